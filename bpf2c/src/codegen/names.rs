//! C spellings of names that come from the object: identifiers, string literals and comment
//! text. Object names are arbitrary bytes as far as C is concerned (dots, slashes, quotes,
//! `*/`), so nothing from the object reaches the output without passing through here.

use std::collections::BTreeSet;

/// Turns any name into a C identifier: characters other than ASCII letters, digits and `_`
/// become `_`, and a leading digit (or an empty name) gets a `_` in front.
pub fn sanitize_identifier(name: &str) -> String {
    crate::object::c_identifier(name)
}

/// Whether `s` is a valid C identifier (ASCII letters, digits, `_`; not starting with a digit).
pub fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether `s` is a C11 keyword (or one of the names bpf2c.h defines as a macro), which a
/// valid-looking identifier may still be.
pub fn is_c_keyword(s: &str) -> bool {
    const KEYWORDS: [&str; 44] = [
        "auto",
        "break",
        "case",
        "char",
        "const",
        "continue",
        "default",
        "do",
        "double",
        "else",
        "enum",
        "extern",
        "float",
        "for",
        "goto",
        "if",
        "inline",
        "int",
        "long",
        "register",
        "restrict",
        "return",
        "short",
        "signed",
        "sizeof",
        "static",
        "struct",
        "switch",
        "typedef",
        "union",
        "unsigned",
        "void",
        "volatile",
        "while",
        "_Alignas",
        "_Alignof",
        "_Atomic",
        "_Bool",
        "_Complex",
        "_Generic",
        "_Imaginary",
        "_Noreturn",
        "_Static_assert",
        "_Thread_local",
    ];
    KEYWORDS.contains(&s) || s.starts_with("BPF2C_")
}

/// Hands out distinct identifiers. Names are claimed in object order, so the suffixes that
/// resolve collisions are the same on every run.
#[derive(Default)]
pub struct NameTable {
    used: BTreeSet<String>,
}

impl NameTable {
    /// Claims `base`, or `base_2`, `base_3`, ... when it is taken.
    pub fn claim(&mut self, base: &str) -> String {
        if self.used.insert(base.to_string()) {
            return base.to_string();
        }
        (2usize..)
            .map(|n| format!("{base}_{n}"))
            .find(|candidate| self.used.insert(candidate.clone()))
            .expect("an unbounded range always yields a free name")
    }
}

/// A C string literal, quotes included, holding the UTF-8 bytes of `s`.
///
/// Bytes outside printable ASCII become three-digit octal escapes (which cannot swallow a
/// following digit, unlike hex escapes), and every `?` is escaped so that no trigraph can
/// form under `-std=c11`.
pub fn c_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &b in s.as_bytes() {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'?' => out.push_str("\\?"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\{b:03o}")),
        }
    }
    out.push('"');
    out
}

/// Text that is safe inside a one-line `/* ... */` comment: it cannot close the comment, open
/// a nested one (`-Wcomment`), form a trigraph, or break the line. Non-ASCII and control
/// characters become `?` so the output stays plain ASCII.
pub fn comment_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev = '\0';
    for c in s.chars() {
        let c = if c.is_ascii() && !c.is_ascii_control() {
            c
        } else {
            '?'
        };
        if matches!((prev, c), ('*', '/') | ('/', '*') | ('?', '?')) {
            out.push(' ');
        }
        out.push(c);
        prev = c;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_sanitized() {
        assert_eq!(sanitize_identifier("xdp/prog.v2"), "xdp_prog_v2");
        assert_eq!(sanitize_identifier("1st"), "_1st");
        assert_eq!(sanitize_identifier(""), "_");
        assert_eq!(sanitize_identifier("café"), "caf_");
        assert!(is_identifier("bpf2c_module_x"));
        assert!(!is_identifier("2x"));
        assert!(!is_identifier("a-b"));
        assert!(!is_identifier(""));
        assert!(is_c_keyword("static"));
        assert!(is_c_keyword("BPF2C_STACK_SIZE"));
        assert!(!is_c_keyword("my_module"));
    }

    #[test]
    fn name_table_suffixes_collisions_in_order() {
        let mut t = NameTable::default();
        assert_eq!(t.claim("bpf2c_fn_f"), "bpf2c_fn_f");
        assert_eq!(t.claim("bpf2c_fn_f"), "bpf2c_fn_f_2");
        // A name that happens to look like a suffixed one does not collide later.
        assert_eq!(t.claim("bpf2c_fn_g_2"), "bpf2c_fn_g_2");
        assert_eq!(t.claim("bpf2c_fn_g"), "bpf2c_fn_g");
        assert_eq!(t.claim("bpf2c_fn_g"), "bpf2c_fn_g_3");
        assert_eq!(t.claim("bpf2c_fn_f"), "bpf2c_fn_f_3");
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(c_string("xdp/prog.v2"), r#""xdp/prog.v2""#);
        assert_eq!(c_string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(c_string("??="), r#""\?\?=""#);
        assert_eq!(c_string("a\nb\t1"), r#""a\012b\0111""#);
        assert_eq!(c_string("é"), r#""\303\251""#);
    }

    #[test]
    fn comments_cannot_escape() {
        assert_eq!(comment_text("a */ b"), "a * / b");
        assert_eq!(comment_text("/*/"), "/ * /");
        assert_eq!(comment_text("x??/"), "x? ?/");
        assert_eq!(comment_text("line\nbreak"), "line?break");
        assert_eq!(
            comment_text("r0 = *(u32 *)(r1 + 4)"),
            "r0 = *(u32 *)(r1 + 4)"
        );
    }
}
