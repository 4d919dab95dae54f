//! Verification failures in terms a programmer can act on: where (object, program, function,
//! instruction, source line), what the instruction is, and why it was refused, in plain words
//! with the verifier's own statement kept as detail.

use std::fmt;

use crate::facts::InsnRef;
use crate::insn::disasm_at;
use crate::object::Object;

/// A source position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLine {
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// The source text of the line, when BTF recorded it.
    pub text: String,
}

impl fmt::Display for SourceLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One reason a program was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub object: String,
    pub program: String,
    /// The eBPF function holding the instruction (the program itself, or a subprogram).
    pub function: Option<String>,
    pub section: Option<String>,
    /// Instruction index within `function`.
    pub insn: Option<usize>,
    pub source: Option<SourceLine>,
    /// The instruction, disassembled.
    pub disasm: Option<String>,
    /// Why, in plain words.
    pub message: String,
    /// The verifier's own statement, when it differs from `message`.
    pub detail: Option<String>,
    /// Call sites through which a subprogram instruction was reached, outermost first,
    /// as `function+insn`.
    pub call_chain: Vec<String>,
}

impl Diagnostic {
    /// A diagnostic about the program as a whole.
    pub fn program_level(obj: &Object, program: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            object: obj.path.display().to_string(),
            program: program.to_string(),
            function: None,
            section: None,
            insn: None,
            source: None,
            disasm: None,
            message: message.into(),
            detail: None,
            call_chain: vec![],
        }
    }

    /// A diagnostic at one instruction, with its disassembly and source line filled in.
    pub fn at(
        obj: &Object,
        program: &str,
        at: InsnRef,
        verifier_message: &str,
        call_chain: Vec<String>,
    ) -> Diagnostic {
        let func = &obj.functions[at.function];
        let source = func.line_at(at.insn).map(|l| SourceLine {
            file: l.file.clone(),
            line: l.line,
            column: l.column,
            text: l.source.clone(),
        });
        let disasm = (at.insn < func.insns.len()).then(|| disasm_at(&func.insns, at.insn));
        let message = plain_words(verifier_message);
        let detail = (message != verifier_message).then(|| verifier_message.to_string());
        Diagnostic {
            object: obj.path.display().to_string(),
            program: program.to_string(),
            function: Some(func.name.clone()),
            section: Some(func.section.clone()),
            insn: Some(at.insn),
            source,
            disasm,
            message,
            detail,
            call_chain,
        }
    }

    /// `file:line` of the source, if known.
    pub fn line_text(&self) -> Option<String> {
        self.source.as_ref().map(|s| s.to_string())
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: program '{}'", self.object, self.program)?;
        if let (Some(func), Some(insn)) = (&self.function, self.insn) {
            if func != &self.program {
                write!(f, ", function '{func}'")?;
            }
            write!(f, ", instruction {insn}")?;
        }
        if let Some(s) = &self.source {
            write!(f, " ({s})")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(d) = &self.disasm {
            write!(f, " [{d}]")?;
        }
        Ok(())
    }
}

/// Explains a PREVAIL message in plain words, keeping the specifics it names.
pub fn plain_words(msg: &str) -> String {
    let has = |s: &str| msg.contains(s);
    let explanation = if has("Possible null access") {
        "the pointer may be NULL here: check the result of bpf_map_lookup_elem (or any helper \
         that can return NULL) before using it"
    } else if has("Upper bound must be at most packet_size")
        || has("Upper bound must be at most r") && has("packet")
    {
        "the access may run past the end of the packet or buffer: compare against data_end (or \
         the length) first"
    } else if has("Upper bound must be at most") && has("shared_region_size") {
        "the access may run past the end of the map value or global variable"
    } else if has("Upper bound must be at most") && has("stack") {
        "the access may run past the end of the stack frame"
    } else if has("Upper bound must be at most") && has("ctx")
        || has("Upper bound must be at most 24")
    {
        "the access is outside the context structure"
    } else if has("Upper bound must be at most") {
        "the access may run past the end of the memory it points into"
    } else if has("Lower bound must be at least") && has("stack") {
        "the access may reach below the stack frame (the stack is 512 bytes per function)"
    } else if has("Lower bound must be at least") {
        "the access may reach before the start of the memory it points into"
    } else if has("non-numerical value") || has("Stack content is not numeric") {
        "a helper would read stack bytes that were never initialised"
    } else if has("Only numbers can be stored to externally-visible regions") {
        "a pointer would leak: only numbers may be stored into maps, the context or the packet"
    } else if has("Cannot write to context pointer field") {
        "the program writes to a read-only context field"
    } else if has("helper function is unavailable") || has("helper prototype is unavailable") {
        "the program calls a helper that the runtime does not provide"
    } else if has("Map key size is not singleton") || has("Map value size is not singleton") {
        "the map argument may be one of several maps with different key or value sizes"
    } else if has("Only pointers can be dereferenced") {
        "the program dereferences something that is not a pointer"
    } else if has("Invalid type (r0.type == number)") {
        "r0 must hold a number here (at exit a program must return a number, not a pointer or \
         an uninitialised value)"
    } else if has("Invalid type") {
        "a register holds the wrong kind of value for this use (uninitialised, a pointer where a \
         number is required, or the wrong kind of pointer)"
    } else if has("Cannot subtract pointers to different regions") || has("Cannot compare") {
        "the program compares or subtracts pointers into different memory regions"
    } else if has("Only numbers can be added to pointers") {
        "the program adds a pointer to a pointer"
    } else if has("illegal recursion") {
        "the program calls itself recursively"
    } else if has("too many call stack frames") {
        "BPF-to-BPF calls nest deeper than 8 frames"
    } else if has("Loop counter is too large") {
        "a loop may not terminate"
    } else if has("Nonzero context offset") {
        "the context must be passed to the helper unmodified"
    } else {
        return msg.to_string();
    };
    explanation.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explains_common_failures() {
        assert!(
            plain_words("Possible null access (valid_access(r0.offset, width=4) for read)")
                .contains("NULL")
        );
        assert!(plain_words(
            "Upper bound must be at most packet_size (valid_access(r2.offset, width=1) for read)"
        )
        .contains("end of the packet"));
        assert!(plain_words(
            "Illegal map update with a non-numerical value [4092-4096) (within(r2:key_size(r1)))"
        )
        .contains("never initialised"));
        assert_eq!(plain_words("something new"), "something new");
    }
}
