//! The output buffer. It counts the lines it holds, because `#line` directives that hand the
//! numbering back to the generated file must name the real line that follows them.

#[derive(Default)]
pub struct Out {
    text: String,
    lines: usize,
}

impl Out {
    /// Appends `s` and a newline. `s` may itself span several lines.
    pub fn line(&mut self, s: impl AsRef<str>) {
        let s = s.as_ref();
        self.text.push_str(s);
        self.text.push('\n');
        self.lines += 1 + s.bytes().filter(|&b| b == b'\n').count();
    }

    pub fn blank(&mut self) {
        self.line("");
    }

    /// The 1-based number of the line the next call to [`Out::line`] starts.
    pub fn next_line(&self) -> usize {
        self.lines + 1
    }

    pub fn finish(self) -> String {
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_embedded_newlines() {
        let mut o = Out::default();
        assert_eq!(o.next_line(), 1);
        o.line("a");
        o.line("b\nc");
        o.blank();
        assert_eq!(o.next_line(), 5);
        assert_eq!(o.finish(), "a\nb\nc\n\n");
    }
}
