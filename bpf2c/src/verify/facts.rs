//! Reading facts out of PREVAIL's invariants.
//!
//! PREVAIL keeps an abstract state before every instruction of every calling context: a
//! subprogram is analysed once per call site, under a label prefixed with the call chain.
//! A fact about an instruction is the join over every context that reaches it, so it holds
//! however the instruction is reached. Unreached contexts (bottom states) add nothing.
//!
//! Map identity is sound because every map object has its own verifier handle (see
//! [`crate::verify::link`]): "r1.map_fd is in [lo, hi]" means r1 is one of the maps with
//! those handles, and nothing else.

use std::collections::BTreeSet;

use prevail::crab::ebpf_domain::EbpfDomain;
use prevail::crab::var_registry::VariableRegistry;
use prevail::result::AnalysisResult;
use prevail::spec::vm_isa::EbpfInst;

use crate::facts::{join, CtxFact, InsnFacts, KeyFact, MapCallFact, ProgramFacts};
use crate::helpers::takes_map_and_key;
use crate::insn::{Insn, BPF_LDX, BPF_ST, BPF_STX};
use crate::object::{InsnRef, Object};
use crate::verify::link::{map_of_handle, Layout};

/// Extracts the facts of one verified program.
pub fn extract_facts(
    obj: &Object,
    insns: &[Insn],
    layout: &Layout,
    result: &AnalysisResult,
    registry: &mut VariableRegistry,
) -> ProgramFacts {
    let mut facts = ProgramFacts::default();
    // Every instruction of the program starts unreached; contexts that reach it add to it.
    for &(function, _) in &layout.functions {
        let n = obj.functions[function].insns.len();
        for insn in 0..n {
            facts
                .insns
                .insert(InsnRef { function, insn }, InsnFacts::default());
        }
    }
    for (label, pair) in &result.invariants {
        // Instruction labels only: not entry/exit, jump edges or loop counters.
        if label.to != -1
            || !label.special_label.is_empty()
            || label.from < 0
            || label.from == i32::MAX
        {
            continue;
        }
        let pre = &pair.pre;
        if pre.is_bottom() {
            continue;
        }
        let pc = label.from as usize;
        let (Some(at), Some(insn)) = (layout.locate(pc), insns.get(pc)) else {
            continue;
        };
        let seen = facts_at(obj, insn, pre, registry);
        let entry = facts.insns.entry(at).or_default();
        *entry = join(entry, &seen);
    }
    facts
}

/// Whether the facts of `insn` read the abstract state before it, beyond whether it is
/// reached. Verification keeps whole states only before such instructions
/// (`prevail::fwd_analyzer::Retention`); elsewhere it keeps only reachability.
pub fn reads_state(insn: &Insn) -> bool {
    matches!(insn.class(), BPF_LDX | BPF_ST | BPF_STX)
        || (insn.is_helper_call() && insn.imm > 0 && takes_map_and_key(insn.imm as u32))
}

/// Facts at one instruction in one calling context.
fn facts_at(
    obj: &Object,
    insn: &Insn,
    pre: &EbpfDomain,
    registry: &mut VariableRegistry,
) -> InsnFacts {
    let mut f = InsnFacts {
        reached: true,
        ..InsnFacts::default()
    };
    if !reads_state(insn) {
        return f;
    }
    match insn.class() {
        BPF_LDX => f.ctx = Some(ctx_fact(pre, insn.src, insn.off, registry)),
        BPF_ST | BPF_STX => f.ctx = Some(ctx_fact(pre, insn.dst, insn.off, registry)),
        _ => {}
    }
    if matches!(insn.class(), BPF_LDX | BPF_ST | BPF_STX) {
        f.pointers = pointer_registers(pre, registry);
    }
    if insn.is_helper_call() && insn.imm > 0 && takes_map_and_key(insn.imm as u32) {
        f.map_call = Some(MapCallFact {
            maps: map_set(obj, pre, registry),
            key: key_fact(pre, registry),
        });
    }
    f
}

fn reg(v: u8) -> prevail::ir::syntax::Reg {
    EbpfInst {
        opcode: 0,
        dst_src: v & 0x0f,
        offset: 0,
        imm: 0,
    }
    .dst()
}

/// The interval of a named variable, as (lower, upper) when both ends are finite i64s.
fn interval(pre: &EbpfDomain, name: &str, registry: &mut VariableRegistry) -> Option<(i64, i64)> {
    let iv = pre.eval_interval_by_name(name, registry);
    if iv.is_bottom() {
        return None;
    }
    let lo = iv.lb().number()?.to_i64()?;
    let hi = iv.ub().number()?.to_i64()?;
    (lo <= hi).then_some((lo, hi))
}

fn types(pre: &EbpfDomain, r: u8, registry: &mut VariableRegistry) -> Vec<String> {
    pre.reg_type_names(&reg(r), registry)
}

/// The registers r0..r10 that hold a pointer into memory and never a number (nor a map, a
/// socket or anything else that is not memory the program may address).
fn pointer_registers(pre: &EbpfDomain, registry: &mut VariableRegistry) -> u16 {
    let memory = |t: &String| matches!(t.as_str(), "ctx" | "packet" | "stack" | "shared");
    (0..=10u8)
        .filter(|&r| {
            let t = types(pre, r, registry);
            !t.is_empty() && t.iter().all(memory)
        })
        .fold(0, |bits, r| bits | 1 << r)
}

fn ctx_fact(pre: &EbpfDomain, base: u8, off: i16, registry: &mut VariableRegistry) -> CtxFact {
    let t = types(pre, base, registry);
    if !t.iter().any(|t| t == "ctx") {
        return CtxFact::NotCtx;
    }
    if t.len() != 1 {
        return CtxFact::Ambiguous;
    }
    match interval(pre, &format!("r{base}.ctx_offset"), registry) {
        Some((lo, hi)) if lo == hi => CtxFact::Ctx {
            reg_offset: lo,
            field_offset: lo + off as i64,
        },
        _ => CtxFact::VaryingOffset,
    }
}

/// The maps r1 may hold, when r1 is certainly a map of this object.
fn map_set(
    obj: &Object,
    pre: &EbpfDomain,
    registry: &mut VariableRegistry,
) -> Option<BTreeSet<usize>> {
    let t = types(pre, 1, registry);
    if t.len() != 1 || t[0] != "map_fd" {
        return None;
    }
    let (lo, hi) = interval(pre, "r1.map_fd", registry)?;
    if hi - lo >= obj.maps.len() as i64 {
        return None;
    }
    (lo..=hi).map(|h| map_of_handle(obj, h)).collect()
}

/// What the first four key bytes at r2 hold, when r2 points at a known stack slot.
fn key_fact(pre: &EbpfDomain, registry: &mut VariableRegistry) -> KeyFact {
    let t = types(pre, 2, registry);
    if t.len() != 1 || t[0] != "stack" {
        return KeyFact::Unknown;
    }
    let Some((s, s_hi)) = interval(pre, "r2.stack_offset", registry) else {
        return KeyFact::Unknown;
    };
    if s != s_hi {
        return KeyFact::Unknown;
    }
    let cell = format!("s[{}...{}]", s, s + 3);
    // A value stored into a 4-byte cell is the low 32 bits of what the analysis tracks; a
    // range within [0, u32::MAX] reads the same either way, so only such ranges count.
    let in_u32 = |(lo, hi): (i64, i64)| lo >= 0 && hi <= u32::MAX as i64;
    let range = interval(pre, &format!("{cell}.uvalue"), registry)
        .filter(|r| in_u32(*r))
        .or_else(|| interval(pre, &format!("{cell}.svalue"), registry).filter(|r| in_u32(*r)));
    match range {
        Some((lo, hi)) if lo == hi => KeyFact::Const(lo as u32),
        Some((lo, hi)) => KeyFact::Range {
            min: lo as u32,
            max: hi as u32,
        },
        None => KeyFact::Unknown,
    }
}
