//! One eBPF function to one C function.
//!
//! Every eBPF function gets the same C signature: r1..r5, its frame pointer r10, and the
//! invocation. Its registers are C locals, so a callee can never clobber its caller's r6-r9.
//!
//! Stack frames follow the verifier's model exactly: one run has one contiguous stack of
//! `BPF2C_STACK_SIZE` bytes per call level, the program's entry function gets the top frame,
//! and each BPF-to-BPF call passes its callee a frame pointer 512 bytes lower. A callee's
//! own accesses (r10 - 1 .. r10 - 512) therefore never touch its caller's frame, and any
//! access PREVAIL proves in bounds of its stack model lands in memory that exists.

use std::collections::BTreeSet;

use super::address::plan as plan_addresses;
use super::header_copy::plan as plan_header_copies;
use super::insn::{charge_code, translate, Env, Stmt};
use super::loops::analyze as analyze_loops;
use super::names::{c_string, comment_text};
use super::narrow::Narrowing;
use super::out::Out;
use super::{instruction_starts, Module};
use crate::error::Result;
use crate::insn::*;
use crate::object::{Function, FunctionId, Reloc};

/// Marks functions no program reaches, which C compilers would otherwise report as unused.
const UNUSED_MACRO: &str = "BPF2C_FUNCTION_UNUSED";

pub(super) fn signature(name: &str) -> String {
    format!(
        "static uint64_t {name}(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, \
         uint64_t r10, bpf2c_invocation_t *inv)"
    )
}

/// The C name of a program's entry point, which allocates the run's stack.
pub(super) fn entry_name(m: &Module, entry: FunctionId) -> String {
    format!("{}_entry", m.fn_names[entry])
}

/// One entry point per program, with the `bpf2c_function_fn` signature the runtime calls:
/// it allocates the stack for the deepest call chain the program can make and passes its
/// top as the entry function's r10. The stack is not cleared: the verifier proves that no
/// program reads stack bytes it has not written.
pub(super) fn entries(m: &Module, out: &mut Out) {
    // Validation already refused recursion and over-deep chains; should the graph be bad
    // anyway, the most frames any program may use is always enough.
    let depths = m
        .obj
        .call_depths()
        .unwrap_or_else(|_| vec![crate::object::MAX_CALL_DEPTH; m.obj.functions.len()]);
    let mut done = BTreeSet::new();
    for p in &m.obj.programs {
        if !done.insert(p.entry) {
            continue;
        }
        let depth = depths[p.entry].max(1);
        let words = format!("{depth} * BPF2C_STACK_SIZE / 8");
        out.line(format!(
            "/* Entry of program {}: {depth} stack frame(s) of BPF2C_STACK_SIZE bytes. */",
            comment_text(&p.name)
        ));
        out.line(format!(
            "static uint64_t {}(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, \
             bpf2c_invocation_t *inv)",
            entry_name(m, p.entry)
        ));
        out.line("{");
        out.line(format!("    uint64_t stack[{words}];"));
        out.line(format!(
            "    return {}(r1, r2, r3, r4, r5, (uint64_t)(uintptr_t)(stack + {words}), inv);",
            m.fn_names[p.entry]
        ));
        out.line("}");
        out.blank();
    }
}

/// Forward declarations of every function, so that calls and tables may name any of them.
pub(super) fn declarations(m: &Module, out: &mut Out) {
    if m.reachable.iter().any(|r| !r) {
        out.line("#if defined(__GNUC__) || defined(__clang__)");
        out.line(format!("#define {UNUSED_MACRO} __attribute__((unused))"));
        out.line("#else");
        out.line(format!("#define {UNUSED_MACRO}"));
        out.line("#endif");
        out.blank();
    }
    for (id, name) in m.fn_names.iter().enumerate() {
        let unused = if m.reachable[id] {
            String::new()
        } else {
            format!(" {UNUSED_MACRO}")
        };
        out.line(format!("{}{unused};", signature(name)));
    }
    out.blank();
}

/// Registers an instruction may name in its translation. Over-approximating only costs an
/// unused local; missing one would not compile.
fn registers(insn: &Insn) -> u16 {
    let bit = |r: u8| if r <= 10 { 1u16 << r } else { 0 };
    let args = 0b11_1111; // r0..r5
    match insn.class() {
        BPF_JMP | BPF_JMP32 => match insn.opcode & 0xf0 {
            BPF_CALL => args | bit(insn.dst),
            BPF_EXIT => bit(0),
            BPF_JA => 0,
            _ => bit(insn.dst) | bit(insn.src),
        },
        BPF_STX => bit(insn.dst) | bit(insn.src) | bit(0),
        // LD_ABS and LD_IND read the context in r6 (and LD_IND its source) into r0.
        BPF_LD if matches!(insn.opcode & 0xe0, BPF_ABS | BPF_IND) => {
            bit(0) | bit(6) | bit(insn.src)
        }
        BPF_LD => bit(insn.dst),
        _ => bit(insn.dst) | bit(insn.src),
    }
}

/// The disassembly of the instruction at `pc`. Relocated instructions are described by
/// their relocation, since in ELF objects their immediates are placeholders.
fn describe(m: &Module, f: &Function, pc: usize) -> String {
    let insn = &f.insns[pc];
    match f.relocs.get(&pc) {
        Some(Reloc::MapFd(i)) => format!("r{} = map[{i}] ll", insn.dst),
        Some(Reloc::MapValue { map, offset }) => {
            format!("r{} = &map[{map}].value + {offset} ll", insn.dst)
        }
        Some(Reloc::Call(callee)) => match m.obj.functions.get(*callee) {
            Some(c) => format!("call {}", c.name),
            None => disasm_at(&f.insns, pc),
        },
        None => disasm_at(&f.insns, pc),
    }
}

/// Where the C compiler should attribute the next line: a source file and line, or the
/// generated file itself (None).
type Mapping = Option<(String, u32)>;

/// Tracks `#line` state: the compiler numbers lines from the last directive on.
struct LineMap {
    /// The mapped file and the mapped number of physical line 0, when a directive is active.
    active: Option<(String, i64)>,
}

impl LineMap {
    /// Emits a directive, if needed, so that the next line is attributed to `want`.
    fn at(&mut self, out: &mut Out, want: &Mapping, output_name: &str) {
        let next = out.next_line() as i64;
        let current = self
            .active
            .as_ref()
            .map(|(file, base)| (file.as_str(), base + next));
        match (want, current) {
            (None, None) => {}
            (Some((file, line)), Some((cur_file, cur_line)))
                if cur_file == file && cur_line == *line as i64 => {}
            (Some((file, line)), _) => {
                out.line(format!("#line {line} {}", c_string(file)));
                // The line after the directive is `line`.
                self.active = Some((file.clone(), *line as i64 - (next + 1)));
            }
            (None, Some(_)) => self.reset(out, output_name),
        }
    }

    /// Hands line numbering back to the generated file.
    fn reset(&mut self, out: &mut Out, output_name: &str) {
        if self.active.take().is_some() {
            // The directive sits on line next_line(); the line after it is one more.
            let after = out.next_line() + 1;
            out.line(format!("#line {after} {}", c_string(output_name)));
        }
    }
}

/// The source position of the instruction at `pc`, when BTF line info covers it and names
/// a usable file and line.
fn source_position(f: &Function, pc: usize) -> Mapping {
    let li = f.line_at(pc)?;
    // C caps #line numbers at 2147483647; line 0 means "no line".
    if li.file.is_empty() || li.line == 0 || li.line > i32::MAX as u32 {
        return None;
    }
    Some((li.file.clone(), li.line))
}

pub(super) fn emit(m: &Module, fid: FunctionId, out: &mut Out) -> Result<()> {
    let f = &m.obj.functions[fid];
    let starts = instruction_starts(f);
    let loops = analyze_loops(f, &starts);
    let facts = |pc| m.facts.and_then(|x| x.get(fid, pc));
    let addresses = plan_addresses(f, &starts, facts);
    let context = &m.contexts[fid];
    // The loads that read a context field, which the translation rewrites (see `memory`).
    let context_access = |pc: usize| {
        let insn = &f.insns[pc];
        context.has_struct()
            && insn.class() == BPF_LDX
            && matches!(
                crate::context_check::classify(m.facts.and_then(|x| x.get(fid, pc)), insn, context),
                Ok(crate::context_check::Access::Field(_))
            )
    };
    let narrowing = Narrowing::analyze(f, &starts, context_access);
    let env = Env {
        module: m,
        func: fid,
        context,
        loops: &loops,
        addresses: &addresses,
        narrowing: &narrowing,
    };
    let mut stmts: Vec<(usize, Stmt)> = Vec::with_capacity(starts.len());
    let mut used_regs = 0u16;
    for &pc in &starts {
        stmts.push((pc, translate(&env, f, pc)?));
        used_regs |= registers(&f.insns[pc]);
    }
    let copies = plan_header_copies(f, &starts, &loops);
    let stmt_at = |pc: usize| {
        let k = stmts.partition_point(|(p, _)| *p < pc);
        &stmts[k].1
    };
    // Validation put every jump target on an instruction start of this function.
    // A jump that gets a header copy goes to the copy instead; the copy's own test keeps
    // its target, and its fall-through jumps to the slot after the test.
    let labels: BTreeSet<usize> = stmts
        .iter()
        .filter(|(pc, _)| !copies.contains_key(pc))
        .filter_map(|(_, s)| s.target)
        .chain(copies.values().flat_map(|c| {
            let test = c.copied.last().copied().unwrap_or(c.header);
            stmt_at(test).target.into_iter().chain([c.after])
        }))
        .collect();
    let needs_rt = stmts.iter().any(|(_, s)| s.needs_rt);

    out.line(format!(
        "/* Function {fid}: {} (section {}, {} instruction slots) */",
        comment_text(&f.name),
        comment_text(&f.section),
        f.insns.len()
    ));
    out.line(signature(&m.fn_names[fid]));
    out.line("{");
    if needs_rt {
        out.line("    const bpf2c_runtime_context_t *rt = inv->runtime;");
    }
    for r in [0u8, 6, 7, 8, 9] {
        if used_regs & (1 << r) != 0 {
            out.line(format!("    uint64_t r{r} = 0;"));
        }
    }
    // 32-bit locals for the registers some of whose values always fit (`codegen::narrow`).
    // Zero, as the 64-bit ones, for the values that flow in from the function's start.
    let narrow_locals: Vec<u8> = (0..=10u8)
        .filter(|&r| narrowing.locals() & (1 << r) != 0)
        .collect();
    for r in &narrow_locals {
        out.line(format!("    uint32_t w{r} = 0;"));
    }
    // Parameters and locals that a function leaves unread would trip -Wunused-*.
    let mut voids: Vec<String> = (0..=10u8)
        .filter(|&r| (1..=5).contains(&r) || r == 10 || used_regs & (1 << r) != 0)
        .map(|r| format!("(void)r{r};"))
        .collect();
    voids.extend(narrow_locals.iter().map(|r| format!("(void)w{r};")));
    voids.push("(void)inv;".into());
    out.line(format!("    {}", voids.join(" ")));
    if loops.has_back_edges {
        // A local, so that the compiler keeps it in a register: program memory goes through
        // memcpy and could otherwise be the invocation for all it knows.
        out.line("    uint64_t budget = inv->loop_budget;");
    }
    out.blank();

    let output_name = m.output_name();
    let mut lines = LineMap { active: None };
    let mut emit_stmt = |out: &mut Out, pc: usize, code: &str| {
        out.line(format!(
            "    /* {pc}: {} */",
            comment_text(&describe(m, f, pc))
        ));
        lines.at(out, &source_position(f, pc), &output_name);
        out.line(format!("    {code}"));
    };
    for (pc, stmt) in &stmts {
        // Falling into a proven loop pays its trips; its back edges jump past this, to the label.
        if let Some(charge) = loops.fallthrough_entries.get(pc) {
            out.line(format!(
                "    /* enter the loop at {pc}: at most {} back edge(s) */",
                charge.trips
            ));
            out.line(format!("    {}", charge_code(fid, charge)));
        }
        if labels.contains(pc) {
            out.line(format!("L{pc}:"));
        }
        let Some(copy) = copies.get(pc) else {
            emit_stmt(out, *pc, &stmt.code);
            continue;
        };
        // The jump goes to its own copy of the loop's head, placed right after it.
        let entry = format!("L{}_from_{pc}", copy.header);
        let code = stmt.code.replace(
            &format!("goto L{};", copy.header),
            &format!("goto {entry};"),
        );
        emit_stmt(out, *pc, &code);
        out.line(format!("{entry}:"));
        let test = copy.copied.last().copied().unwrap_or(copy.header);
        let span = if test == copy.header {
            copy.header.to_string()
        } else {
            format!("{}..{test}", copy.header)
        };
        out.line(format!(
            "    /* {span} again, for the loop's first trip from {pc} */"
        ));
        for &c in &copy.copied {
            emit_stmt(out, c, &stmt_at(c).code);
        }
        out.line(format!("    goto L{};", copy.after));
    }
    out.line("}");
    lines.reset(out, &output_name);
    out.blank();
    Ok(())
}
