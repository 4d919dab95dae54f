//! Verification failures in terms a programmer can act on: where (object, program, function,
//! instruction, source line), what the instruction is, and why it was refused, in plain words
//! with the verifier's own statement kept as detail.

use std::fmt;

use crate::helpers::{HelperSet, STANDARD_HELPER_IDS};
use crate::insn::{disasm_at, Insn};
use crate::object::InsnRef;
use crate::object::{Object, Reloc};

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

    /// A program refused while loading: the error's location, and its message.
    pub fn load_error(obj: &Object, program: &str, e: &crate::error::Error) -> Diagnostic {
        let mut d = Diagnostic::program_level(obj, program, e.message.clone());
        d.section = e.location.section.clone();
        d.function = e.location.function.clone();
        d.insn = e.location.insn;
        let func = obj
            .functions
            .iter()
            .find(|f| Some(&f.name) == e.location.function.as_ref());
        if let (Some(f), Some(insn)) = (func, e.location.insn) {
            d.disasm = f.insns.get(insn).map(|_| disasm_at(&f.insns, insn));
            d.source = f.line_at(insn).map(|l| SourceLine {
                file: l.file.clone(),
                line: l.line,
                column: l.column,
                text: l.source.clone(),
            });
        }
        d
    }

    /// A diagnostic at one instruction, with its disassembly and source line filled in.
    pub fn at(
        obj: &Object,
        program: &str,
        at: InsnRef,
        verifier_message: &str,
        call_chain: Vec<String>,
        helpers: &HelperSet,
    ) -> Diagnostic {
        let insn = obj.functions[at.function].insns.get(at.insn);
        let message = explain(verifier_message, insn, helpers);
        let detail = (message != verifier_message).then(|| verifier_message.to_string());
        Diagnostic {
            detail,
            call_chain,
            ..Diagnostic::located(obj, program, at, message)
        }
    }

    /// A diagnostic at one instruction that PREVAIL accepted but translation cannot carry
    /// out: `reason` is the translation's own, word for word, so that `verify` and `gen`
    /// refuse for the same reason.
    pub fn untranslatable(obj: &Object, program: &str, at: InsnRef, reason: &str) -> Diagnostic {
        Diagnostic::located(obj, program, at, reason.to_string())
    }

    /// A diagnostic at one instruction, with its disassembly and source line filled in.
    fn located(obj: &Object, program: &str, at: InsnRef, message: String) -> Diagnostic {
        let func = &obj.functions[at.function];
        let source = func.line_at(at.insn).map(|l| SourceLine {
            file: l.file.clone(),
            line: l.line,
            column: l.column,
            text: l.source.clone(),
        });
        let disasm = func.insns.get(at.insn).map(|_| disassemble(obj, at));
        Diagnostic {
            object: obj.path.display().to_string(),
            program: program.to_string(),
            function: Some(func.name.clone()),
            section: Some(func.section.clone()),
            insn: Some(at.insn),
            source,
            disasm,
            message,
            detail: None,
            call_chain: vec![],
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

/// The instruction as written in the object, with relocated operands named: a map load shows
/// the map, a local call the function it calls.
pub fn disassemble(obj: &Object, at: InsnRef) -> String {
    let func = &obj.functions[at.function];
    let insn = &func.insns[at.insn];
    match func.relocs.get(&at.insn) {
        Some(Reloc::MapFd(m)) => format!("r{} = map[{}]", insn.dst, obj.maps[*m].name),
        Some(Reloc::MapValue { map, offset }) => {
            format!("r{} = &{}[{offset}]", insn.dst, obj.maps[*map].name)
        }
        Some(Reloc::Call(callee)) => format!("call {}", obj.functions[*callee].name),
        // Helpers the runtime lacks still have a Linux name worth showing.
        None if insn.is_helper_call() => match helper_name(insn.imm, &HelperSet::standard()) {
            Some(name) => format!("call {name}#{}", insn.imm),
            None => disasm_at(&func.insns, at.insn),
        },
        None => disasm_at(&func.insns, at.insn),
    }
}

/// The name of a helper id for messages: the runtime's, the host's, or Linux's for helpers
/// the runtime lacks.
pub fn helper_name(id: i32, helpers: &HelperSet) -> Option<String> {
    if let Some(n) = crate::insn::standard_helper_name(id) {
        return Some(n.to_string());
    }
    if let Some(d) = u32::try_from(id)
        .ok()
        .and_then(|i| helpers.custom_helper(i))
    {
        return Some(d.name.clone());
    }
    let linux = usize::try_from(id)
        .ok()
        .and_then(|i| prevail::linux::spec_prototypes::PROTOTYPES.get(i))?;
    (id != 0).then(|| format!("bpf_{}", linux.name))
}

/// Explains a verifier message about `insn` in plain words: what is wrong, in terms of the
/// instruction (which helper argument, which register), and what usually fixes it.
pub fn explain(msg: &str, insn: Option<&Insn>, helpers: &HelperSet) -> String {
    let call = insn.filter(|i| i.is_helper_call());
    let has = |s: &str| msg.contains(s);
    if let Some(call) = call {
        let name = helper_name(call.imm, helpers);
        let helper = match &name {
            Some(n) => format!("helper {} ({n})", call.imm),
            None => format!("helper {}", call.imm),
        };
        if has("helper function is unavailable") || has("helper prototype is unavailable") {
            let known = if name.is_some() {
                "which the runtime does not provide"
            } else {
                "which is not a known helper"
            };
            let provided: Vec<String> = STANDARD_HELPER_IDS
                .iter()
                .map(|&id| id as i32)
                .chain(helpers.custom().map(|d| d.id as i32))
                .filter_map(|id| helper_name(id, helpers))
                .collect();
            return format!(
                "the program calls {helper}, {known}; available helpers: {} (a host \
                 application can declare more)",
                provided.join(", ")
            );
        }
        let fname = name.unwrap_or_else(|| format!("helper {}", call.imm));
        if let Some((reg, kinds)) = invalid_type(msg) {
            if (1..=5).contains(&reg) {
                return format!(
                    "argument {reg} of {fname} (r{reg}) must be {}",
                    describe_kinds(&kinds)
                );
            }
        }
        if let Some((reg, what)) = map_operand(msg) {
            let role = if what == "key" { "key" } else { "value" };
            if has("non-numerical value") {
                return format!(
                    "the map {role} that r{reg} points to is not fully initialised: {fname} \
                     reads the map's whole {role} ({what}_size bytes), and some of those stack \
                     bytes were never written (or hold a pointer)"
                );
            }
            if has("Upper bound must be at most") {
                return format!(
                    "the map {role} that r{reg} points to runs past the end of its memory: \
                     {fname} reads the map's whole {role} ({what}_size bytes), which is larger \
                     than the variable passed"
                );
            }
            if has("Lower bound must be at least") {
                return format!(
                    "the map {role} that r{reg} points to starts outside its memory (below the \
                     stack frame or before the start of the region)"
                );
            }
            if has("Possible null access") {
                return format!(
                    "the map {role} pointer in r{reg} may be NULL: check it before calling \
                     {fname}"
                );
            }
        }
        if let Some((ptr, size)) = sized_access(msg) {
            if has("Upper bound must be at most") {
                let region = region_of(msg);
                return format!(
                    "{fname} would access r{size} bytes from r{ptr}, which runs past the end \
                     of {region}: the size argument is larger than the memory"
                );
            }
            if has("Lower bound must be at least") {
                return format!(
                    "{fname} would access memory at r{ptr} that starts outside its region"
                );
            }
        }
    }
    if let (Some(i), Some((reg, kinds))) = (insn, invalid_type(msg)) {
        if i.is_exit() && reg == 0 {
            return "r0 must hold a number at exit: a program (or function) returns a number, \
                    never a pointer or an uninitialised value"
                .to_string();
        }
        let mode = i.opcode & 0xe0;
        if i.class() == crate::insn::BPF_LD
            && (mode == crate::insn::BPF_ABS || mode == crate::insn::BPF_IND)
            && reg == 6
        {
            return "a legacy packet load (LD_ABS/LD_IND) needs the program's socket buffer \
                    context in r6, and r6 does not hold it here (only socket buffer program \
                    types such as socket filters and tc have one)"
                .to_string();
        }
        if kinds.len() > 1 && kinds.iter().any(|k| k == "ctx") && !i.is_call() {
            return format!(
                "r{reg} is used as a pointer here, but it may be NULL, a plain number or \
                 uninitialised: check it against NULL (or set it) before the access"
            );
        }
        return format!("r{reg} must be {} here", describe_kinds(&kinds));
    }
    if let (Some(_), Some(reg)) = (insn, null_arithmetic_operand(msg)) {
        return format!(
            "r{reg} may be NULL here (a map value from bpf_map_lookup_elem before its NULL \
             check), and pointer arithmetic on it is refused: NULL plus an offset is no longer \
             NULL, so a later check would let the access through; compare r{reg} with 0 before \
             adding to or subtracting from it"
        );
    }
    plain_words(msg)
}

/// `(rN != null before arithmetic)`: the possibly-NULL operand of pointer arithmetic.
fn null_arithmetic_operand(msg: &str) -> Option<u8> {
    let end = msg.find(" != null before arithmetic")?;
    let start = msg[..end].rfind("(r")? + "(r".len();
    msg[start..end].parse().ok()
}

/// `Invalid type (rN.type == T)` or `Invalid type (rN.type in {A, B})`: the register and
/// the kinds it must have.
fn invalid_type(msg: &str) -> Option<(u8, Vec<String>)> {
    let rest = msg.strip_prefix("Invalid type (r")?;
    let (reg, rest) = rest.split_once(".type ")?;
    let reg: u8 = reg.parse().ok()?;
    let kinds = if let Some(k) = rest.strip_prefix("== ") {
        vec![k.trim_end_matches(')').to_string()]
    } else {
        let set = rest.strip_prefix("in {")?.split_once('}')?.0;
        set.split(',').map(|k| k.trim().to_string()).collect()
    };
    Some((reg, kinds))
}

/// `within(rK:key_size(r1))`: the register holding a map key or value pointer, and which.
fn map_operand(msg: &str) -> Option<(u8, &'static str)> {
    let rest = &msg[msg.find("within(r")? + "within(r".len()..];
    let (reg, rest) = rest.split_once(':')?;
    let what = if rest.starts_with("key_size") {
        "key"
    } else if rest.starts_with("value_size") {
        "value"
    } else {
        return None;
    };
    Some((reg.parse().ok()?, what))
}

/// `valid_access(rP.offset, width=rS)`: a helper's memory argument and its size register.
fn sized_access(msg: &str) -> Option<(u8, u8)> {
    let rest = &msg[msg.find("valid_access(r")? + "valid_access(r".len()..];
    let (ptr, rest) = rest.split_once('.')?;
    let size = &rest[rest.find("width=r")? + "width=r".len()..];
    let size: String = size.chars().take_while(|c| c.is_ascii_digit()).collect();
    Some((ptr.parse().ok()?, size.parse().ok()?))
}

fn region_of(msg: &str) -> &'static str {
    if msg.contains("packet_size") {
        "the packet or buffer"
    } else if msg.contains("shared_region_size") {
        "the map value or global variable"
    } else if msg.contains("stack") {
        "the stack frame"
    } else {
        "the memory it points into"
    }
}

fn describe_kinds(kinds: &[String]) -> String {
    let one = |k: &str| match k {
        "number" => "a number".to_string(),
        "map_fd" => "a map (&map in C)".to_string(),
        "map_fd_programs" => "a program array (a BPF_MAP_TYPE_PROG_ARRAY map)".to_string(),
        "ctx" => "the context".to_string(),
        "stack" => "a stack pointer".to_string(),
        "packet" => "a packet pointer".to_string(),
        "shared" => "a map value pointer".to_string(),
        other => format!("of type {other}"),
    };
    match kinds {
        [k] => one(k),
        _ if kinds
            .iter()
            .all(|k| ["stack", "packet", "shared"].contains(&k.as_str())) =>
        {
            "a pointer to the stack, the packet or a map value (initialised memory)".to_string()
        }
        _ => {
            let all: Vec<String> = kinds.iter().map(|k| one(k)).collect();
            format!("one of: {}", all.join(", "))
        }
    }
}

/// Explains a PREVAIL message in plain words, keeping the specifics it names. Used where the
/// instruction is not known; [`explain`] says more when it is.
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
        "the access may run past the end of the stack frame (above r10)"
    } else if has("Upper bound must be at most") && has("ctx")
        || has("Upper bound must be at most 24")
    {
        "the access is outside the context structure"
    } else if has("Upper bound must be at most") {
        "the access may run past the end of the memory it points into"
    } else if has("Lower bound must be at least") && has("stack") {
        "the access may reach below the stack frame (each function has 512 bytes below r10)"
    } else if has("Lower bound must be at least") {
        "the access may reach before the start of the memory it points into"
    } else if has("non-numerical value") {
        "a helper would read stack bytes that were never initialised (or that hold a pointer)"
    } else if has("Stack content is not numeric") {
        "the program reads stack bytes that were never written (or that hold a pointer) as a \
         number"
    } else if has("Only numbers can be stored to externally-visible regions") {
        "a pointer would leak: only numbers may be stored into maps, the context or the packet"
    } else if has("Cannot write to context pointer field") {
        "the program writes to the context, whose fields are read-only"
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
    } else if has("Pointer arithmetic on a possibly-NULL pointer") {
        "pointer arithmetic on a pointer that may be NULL (a map value before its NULL check): \
         compare it with 0 first, then add the offset"
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
    use crate::insn::build::EXIT;
    use crate::insn::*;

    fn call(id: i32) -> Insn {
        Insn {
            opcode: BPF_JMP | BPF_CALL,
            dst: 0,
            src: 0,
            off: 0,
            imm: id,
        }
    }

    fn load(dst: u8, src: u8) -> Insn {
        Insn {
            opcode: BPF_LDX | BPF_MEM | BPF_DW,
            dst,
            src,
            off: 0,
            imm: 0,
        }
    }

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

    #[test]
    fn names_the_helper_and_argument() {
        let h = HelperSet::standard();
        let m = explain("Invalid type (r1.type == map_fd)", Some(&call(1)), &h);
        assert_eq!(
            m,
            "argument 1 of bpf_map_lookup_elem (r1) must be a map (&map in C)"
        );
        let m = explain(
            "Invalid type (r2.type == map_fd_programs)",
            Some(&call(12)),
            &h,
        );
        assert!(m.starts_with("argument 2 of bpf_tail_call (r2) must be a program array"));
        let m = explain(
            "helper function is unavailable on this platform",
            Some(&call(4)),
            &h,
        );
        assert!(m.starts_with(
            "the program calls helper 4 (bpf_probe_read), which the runtime does not provide"
        ));
        assert!(m.contains("bpf_get_current_pid_tgid"));
        let m = explain(
            "helper function is unavailable on this platform",
            Some(&call(999)),
            &h,
        );
        assert!(m.starts_with("the program calls helper 999, which is not a known helper"));
    }

    #[test]
    fn explains_map_keys_and_sizes() {
        let h = HelperSet::standard();
        let m = explain(
            "Upper bound must be at most total_stack_size (within(r2:key_size(r1)))",
            Some(&call(1)),
            &h,
        );
        assert!(m.starts_with("the map key that r2 points to runs past the end"));
        let m = explain(
            "Illegal map update with a non-numerical value [4080-4096) (within(r3:value_size(r1)))",
            Some(&call(2)),
            &h,
        );
        assert!(m.starts_with("the map value that r3 points to is not fully initialised"));
        let m = explain(
            "Upper bound must be at most total_stack_size (valid_access(r1.offset, width=r2) for read)",
            Some(&call(6)),
            &h,
        );
        assert!(m.starts_with("bpf_trace_printk would access r2 bytes from r1"));
        assert!(m.contains("the stack frame"));
    }

    #[test]
    fn explains_registers_outside_calls() {
        let h = HelperSet::standard();
        let m = explain("Invalid type (r0.type == number)", Some(&EXIT), &h);
        assert!(m.starts_with("r0 must hold a number at exit"));
        let m = explain(
            "Invalid type (r1.type in {ctx, stack, packet, shared, socket, alloc_mem})",
            Some(&load(0, 1)),
            &h,
        );
        assert!(m.starts_with("r1 is used as a pointer here, but it may be NULL"));
        // Without the instruction, the context-free explanation.
        assert_eq!(
            explain("Possible null access (x)", None, &h),
            plain_words("Possible null access (x)")
        );
    }

    #[test]
    fn explains_arithmetic_on_a_possibly_null_pointer() {
        let h = HelperSet::standard();
        let msg = "Pointer arithmetic on a possibly-NULL pointer (map value or NULL): \
                   null-check it first (r6 != null before arithmetic)";
        let add = Insn {
            opcode: BPF_ALU64 | BPF_ADD | BPF_K,
            dst: 6,
            src: 0,
            off: 0,
            imm: 8,
        };
        let m = explain(msg, Some(&add), &h);
        assert!(m.starts_with("r6 may be NULL here"), "{m}");
        assert!(m.contains("compare r6 with 0 before adding"), "{m}");
        assert!(plain_words(msg).starts_with("pointer arithmetic on a pointer that may be NULL"));
        assert_eq!(
            null_arithmetic_operand("(r10 != null before arithmetic)"),
            Some(10)
        );
        assert_eq!(null_arithmetic_operand("Possible null access (x)"), None);
    }
}
