//! Loops whose trip count is known before they start, so the loop budget can be charged once
//! on entry instead of on every back edge.
//!
//! Every run has a loop budget (`bpf2c_invocation_t.loop_budget`), and generated code spends
//! it so that no program can run forever. Spending it on each back edge costs a test, a
//! decrement and an exit branch per iteration, and the exit branch keeps C compilers from
//! vectorising the loop. For the common loop shape, a counter stepped by a constant and
//! compared with a constant, this module proves how many back edges one entry into the loop
//! can take at most (`trips`), so the generated code charges that many units once, on each
//! edge into the loop, and its back edges run free. The budget's meaning stays exact: a run
//! takes at most `loop_budget` back edges in total, whatever the program does.
//!
//! The proof is syntactic and deliberately narrow; a loop it cannot prove keeps its per-edge
//! counting, which is always sound. For a loop with head `H` (the target of its back edges)
//! and region `H..=E` (`E`, the last back edge), it needs:
//!
//! 1. every back edge inside the region goes to `H` (no inner loops, no other heads);
//! 2. a register `r`, written in the region by exactly one instruction `P`: `r += k` or
//!    `r -= k` with a constant `k`;
//! 3. a conditional jump `T` after `P` comparing `r` with a constant, one of whose sides can
//!    never reach a back edge (it leaves the region or ends the function) while the other can;
//! 4. every path from `H` to a back edge passes `P` and then `T` on its continuing side;
//! 5. on every edge entering the region from outside, `r` holds a constant `S`, found by
//!    reading back through straight-line code to an instruction `r = constant`. Edges into
//!    a part of the region from which no back edge can be reached (clang places a function's
//!    shared exit inside a rotated loop's range, and an early return jumps there) take no
//!    back edge of the loop, so they are not entries: they need no constant and pay nothing.
//!
//! Then the values `T` compares form the sequence `S + j*k`, `S + (j+1)*k`, ..., and every
//! back edge needs `T` to have continued on the latest one. Entered at `H`, each trip passes
//! `P` before `T`, so the sequence starts at `j = 1` and the back edges per entry are at most
//! `n_1`, the length of the run of continuing comparisons from `S + k`, found by simulating
//! `T` on it. Entered elsewhere, the first, partial trip may pass `T`, `P`, both or neither
//! before its back edge, so the start is `j` = 0, 1 or 2 and the bound `1 + max(n_0, n_1,
//! n_2)`. The simulation gives up past [`MAX_TRIPS`].

use std::collections::{BTreeMap, BTreeSet};

use crate::insn::*;
use crate::object::Function;

/// The largest trip count a loop is charged up front. Beyond it the loop counts per edge, so
/// that no entry charges a large part of the budget for a loop that may leave early.
pub(super) const MAX_TRIPS: u64 = 1 << 16;

/// One charge of the budget: `trips` units, reported at instruction `report_pc` (the loop's
/// last back edge) when the budget cannot pay them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Charge {
    pub trips: u64,
    pub report_pc: usize,
}

/// How one function spends the loop budget.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct LoopPlan {
    /// Back edges (their jump instructions) of proven loops, which spend nothing themselves.
    pub free_back_edges: BTreeSet<usize>,
    /// Jumps from outside a proven loop into it: the jump charges before it goes.
    pub entry_jumps: BTreeMap<usize, Charge>,
    /// Heads of proven loops entered by falling through from the instruction before: the
    /// charge sits just before the head's label, which the back edges jump to.
    pub fallthrough_entries: BTreeMap<usize, Charge>,
    /// Whether the function has any back edge, and so a budget to keep.
    pub has_back_edges: bool,
}

/// The slot after the instruction at `pc` (an lddw takes two).
fn next(f: &Function, pc: usize) -> usize {
    pc + if f.insns[pc].is_lddw() { 2 } else { 1 }
}

/// Where control goes after the instruction at `pc`: the slot after it (when it falls
/// through) and the jump target (when it jumps).
pub(super) fn successors(f: &Function, pc: usize) -> (Option<usize>, Option<usize>) {
    let insn = &f.insns[pc];
    if insn.is_exit() {
        return (None, None);
    }
    let target = insn
        .jump_offset()
        .map(|off| pc as i64 + 1 + off)
        .filter(|&t| t >= 0 && (t as usize) < f.insns.len())
        .map(|t| t as usize);
    let unconditional = insn.opcode == BPF_JMP | BPF_JA || insn.opcode == BPF_JMP32 | BPF_JA;
    let fall = (!unconditional).then(|| next(f, pc));
    (fall.filter(|&n| n < f.insns.len()), target)
}

/// The registers an instruction may write, over-approximated: calls clobber r0-r5.
pub(super) fn defs(insn: &Insn) -> u16 {
    let dst = 1u16 << (insn.dst & 0x0f);
    let args = 0b11_1111;
    match insn.class() {
        BPF_ALU | BPF_ALU64 | BPF_LDX => dst,
        BPF_LD if insn.is_lddw() => dst,
        BPF_LD => dst | args,
        BPF_ST => 0,
        BPF_STX if insn.opcode & 0xe0 == BPF_MEM => 0,
        BPF_STX => (1 << (insn.src & 0x0f)) | 1,
        BPF_JMP | BPF_JMP32 if insn.jump_offset().is_some() => 0,
        BPF_JMP | BPF_JMP32 if insn.is_exit() => 0,
        _ => 0x7ff,
    }
}

/// `r = constant` at `insn`, as the value it leaves in the register.
fn constant(f: &Function, pc: usize) -> Option<u64> {
    let insn = &f.insns[pc];
    if insn.is_lddw() {
        let hi = f.insns.get(pc + 1)?;
        return (!f.relocs.contains_key(&pc) && insn.src == 0)
            .then_some((insn.imm as u32 as u64) | ((hi.imm as u32 as u64) << 32));
    }
    match insn.opcode {
        o if o == BPF_ALU64 | BPF_MOV | BPF_K && insn.off == 0 => Some(insn.imm as i64 as u64),
        o if o == BPF_ALU | BPF_MOV | BPF_K && insn.off == 0 => Some(insn.imm as u32 as u64),
        _ => None,
    }
}

/// The step `P` applies: `r += k` or `r -= k`, in 64 or 32 bits.
fn step_of(insn: &Insn) -> Option<impl Fn(u64) -> u64> {
    if insn.off != 0 || insn.opcode & 0x08 != BPF_K {
        return None;
    }
    let k = insn.imm as i64 as u64;
    let sub = match insn.opcode & 0xf0 {
        BPF_ADD => false,
        BPF_SUB => true,
        _ => return None,
    };
    let wide = insn.class() == BPF_ALU64;
    Some(move |v: u64| {
        let r = if sub {
            v.wrapping_sub(k)
        } else {
            v.wrapping_add(k)
        };
        if wide {
            r
        } else {
            r as u32 as u64
        }
    })
}

/// Whether the conditional jump `insn` (comparing its dst with its immediate) is taken when
/// the register holds `v`. None for anything else.
fn taken(insn: &Insn, v: u64) -> Option<bool> {
    if insn.opcode & 0x08 != BPF_K {
        return None;
    }
    let (a, b, sa, sb) = match insn.class() {
        BPF_JMP => {
            let b = insn.imm as i64 as u64;
            (v, b, v as i64, b as i64)
        }
        BPF_JMP32 => {
            let (a, b) = (v as u32, insn.imm as u32);
            (a as u64, b as u64, a as i32 as i64, b as i32 as i64)
        }
        _ => return None,
    };
    Some(match insn.opcode & 0xf0 {
        BPF_JEQ => a == b,
        BPF_JNE => a != b,
        BPF_JGT => a > b,
        BPF_JGE => a >= b,
        BPF_JLT => a < b,
        BPF_JLE => a <= b,
        BPF_JSET => a & b != 0,
        BPF_JSGT => sa > sb,
        BPF_JSGE => sa >= sb,
        BPF_JSLT => sa < sb,
        BPF_JSLE => sa <= sb,
        _ => return None,
    })
}

/// The constant `r` holds when control leaves `from` (towards the loop), read back through
/// straight-line code: no instruction on the way may be a jump target, and each must be
/// reached by falling through from the one before.
fn entry_value(
    f: &Function,
    starts: &[usize],
    labels: &BTreeSet<usize>,
    from: usize,
    r: u8,
) -> Option<u64> {
    let mut i = starts.binary_search(&from).ok()?;
    loop {
        let pc = starts[i];
        if defs(&f.insns[pc]) & (1 << r) != 0 {
            return constant(f, pc).filter(|_| f.insns[pc].dst == r);
        }
        if labels.contains(&pc) || i == 0 {
            return None;
        }
        i -= 1;
        if successors(f, starts[i]).0 != Some(pc) {
            return None;
        }
    }
}

/// How many comparisons in a row continue the loop, from `start` on; None past MAX_TRIPS.
fn run_length(
    start: u64,
    step: &impl Fn(u64) -> u64,
    cont: &impl Fn(u64) -> Option<bool>,
) -> Option<u64> {
    let mut v = start;
    let mut n = 0;
    while cont(v)? {
        n += 1;
        if n > MAX_TRIPS {
            return None;
        }
        v = step(v);
    }
    Some(n)
}

/// One loop: head, last back edge, and the slots of the region in order.
struct Region<'a> {
    f: &'a Function,
    head: usize,
    end: usize,
    slots: Vec<usize>,
}

impl Region<'_> {
    fn contains(&self, pc: usize) -> bool {
        (self.head..=self.end).contains(&pc)
    }

    /// For each slot, whether some path from it within the region reaches a back edge.
    fn reaches_back_edge(&self) -> BTreeMap<usize, bool> {
        let mut reach = BTreeMap::new();
        for &pc in self.slots.iter().rev() {
            let (fall, target) = successors(self.f, pc);
            let edge = |s: Option<usize>| match s {
                Some(t) if t <= pc => true,
                Some(t) if self.contains(t) => reach.get(&t).copied().unwrap_or(false),
                _ => false,
            };
            let r = edge(fall) || edge(target);
            reach.insert(pc, r);
        }
        reach
    }

    /// Condition 4 for step `p` and test `t` whose continuing side is its jump (`cont_taken`)
    /// or its fall-through: every path from the head to a back edge passes `p`, then `t`
    /// continuing.
    fn paths_pass(&self, p: usize, t: usize, cont_taken: bool) -> bool {
        // Bit 0: passed p; bit 1: then passed t on its continuing side. A set of such states
        // per slot, on arrival.
        let mut arriving: BTreeMap<usize, u8> = BTreeMap::new();
        arriving.insert(self.head, 1 << 0b00);
        for &pc in &self.slots {
            let Some(&states) = arriving.get(&pc) else {
                continue;
            };
            let (fall, target) = successors(self.f, pc);
            for (succ, is_jump) in [(fall, false), (target, true)] {
                let Some(s) = succ else { continue };
                let mut out = 0u8;
                for state in 0..4u8 {
                    if states & (1 << state) == 0 {
                        continue;
                    }
                    let mut next = state;
                    if pc == p {
                        next |= 0b01;
                    }
                    if pc == t && is_jump == cont_taken && next & 0b01 != 0 {
                        next |= 0b10;
                    }
                    out |= 1 << next;
                }
                if s <= pc {
                    // A back edge: only the state that passed p and then t may take it.
                    if out & !(1 << 0b11) != 0 {
                        return false;
                    }
                } else if self.contains(s) {
                    *arriving.entry(s).or_default() |= out;
                }
            }
        }
        true
    }
}

/// The loop plan of one function. `starts` are its instruction slots.
pub(super) fn analyze(f: &Function, starts: &[usize]) -> LoopPlan {
    let mut plan = LoopPlan::default();
    let mut edges: Vec<(usize, usize)> = Vec::new();
    for &pc in starts {
        if let (_, Some(t)) = successors(f, pc) {
            edges.push((pc, t));
        }
    }
    let labels: BTreeSet<usize> = edges.iter().map(|&(_, t)| t).collect();
    let mut heads: BTreeMap<usize, usize> = BTreeMap::new();
    for &(pc, t) in &edges {
        if t <= pc {
            plan.has_back_edges = true;
            let end = heads.entry(t).or_insert(pc);
            *end = (*end).max(pc);
        }
    }
    for (&head, &end) in &heads {
        if let Some(charges) = prove(f, starts, &labels, &edges, head, end) {
            for &(pc, t) in &edges {
                if (head..=end).contains(&pc) && t <= pc {
                    plan.free_back_edges.insert(pc);
                }
            }
            // An entry whose loop takes no back edge pays nothing.
            for (from, charge) in charges.into_iter().filter(|(_, c)| c.trips > 0) {
                match from {
                    Entry::Jump(pc) => plan.entry_jumps.insert(pc, charge),
                    Entry::FallThrough => plan.fallthrough_entries.insert(head, charge),
                };
            }
        }
    }
    plan
}

#[derive(Clone, Copy, Debug)]
enum Entry {
    Jump(usize),
    FallThrough,
}

/// The charge of each edge into the loop `head..=end`, when its trip count is proven.
fn prove(
    f: &Function,
    starts: &[usize],
    labels: &BTreeSet<usize>,
    edges: &[(usize, usize)],
    head: usize,
    end: usize,
) -> Option<Vec<(Entry, Charge)>> {
    let region = Region {
        f,
        head,
        end,
        slots: starts
            .iter()
            .copied()
            .filter(|&pc| (head..=end).contains(&pc))
            .collect(),
    };
    // 1. Every back edge in the region goes to the head.
    if edges
        .iter()
        .any(|&(pc, t)| region.contains(pc) && t <= pc && t != head)
    {
        return None;
    }
    // The edges into the region from outside. The function's start is an entry too, with
    // unknown registers.
    if head == 0 {
        return None;
    }
    let reach = region.reaches_back_edge();
    // (entry, the instruction control leaves, whether it enters at the head). An entry
    // into a part of the region from which no back edge can be reached (a jump to the
    // function's exit placed inside the loop's range) takes no back edge of this loop: it
    // needs no charge and no known counter, and is left out.
    let mut entries: Vec<(Entry, usize, bool)> = edges
        .iter()
        .filter(|&&(pc, t)| !region.contains(pc) && region.contains(t))
        .filter(|&&(_, t)| t == head || reach.get(&t).copied().unwrap_or(false))
        .map(|&(pc, t)| (Entry::Jump(pc), pc, t == head))
        .collect();
    let before = starts[starts.binary_search(&head).ok()?.checked_sub(1)?];
    if successors(f, before).0 == Some(head) {
        entries.push((Entry::FallThrough, before, true));
    }
    // The instructions of the region that write each register, found once: a candidate test
    // needs its register written by exactly one.
    let mut writers: [Vec<usize>; 11] = Default::default();
    for &pc in &region.slots {
        let d = defs(&f.insns[pc]);
        for (r, w) in writers.iter_mut().enumerate() {
            if d & (1 << r) != 0 {
                w.push(pc);
            }
        }
    }
    let mut best: Option<Vec<(Entry, Charge)>> = None;
    for &t in &region.slots {
        let test = &f.insns[t];
        let (fall, Some(target)) = successors(f, t) else {
            continue;
        };
        let Some(fall) = fall else { continue };
        let r = test.dst;
        if r >= 10 || taken(test, 0).is_none() {
            continue;
        }
        // 3. One side continues, the other never reaches a back edge.
        let side = |s: usize| {
            if s <= t {
                true
            } else {
                region.contains(s) && reach.get(&s).copied().unwrap_or(false)
            }
        };
        let cont_taken = match (side(target), side(fall)) {
            (true, false) => true,
            (false, true) => false,
            _ => continue,
        };
        // 2. Exactly one instruction of the region writes r, before t, and it steps r.
        let [p] = writers[r as usize][..] else {
            continue;
        };
        if p >= t || f.insns[p].dst != r {
            continue;
        }
        let Some(step) = step_of(&f.insns[p]) else {
            continue;
        };
        // 4. Every path to a back edge passes p, then t continuing.
        if !region.paths_pass(p, t, cont_taken) {
            continue;
        }
        // 5. A constant on every entry, and the bound it gives.
        let cont = |v: u64| taken(test, v).map(|tk| tk == cont_taken);
        let mut charges = Vec::new();
        for &(entry, from, at_head) in &entries {
            let Some(s) = entry_value(f, starts, labels, from, r) else {
                charges.clear();
                break;
            };
            // From the head, the first comparison sees step(s) (condition 4); from elsewhere
            // it may see s, step(s) or step(step(s)), after one back edge at most.
            let runs = if at_head {
                run_length(step(s), &step, &cont)
            } else {
                [s, step(s), step(step(s))]
                    .into_iter()
                    .map(|start| run_length(start, &step, &cont))
                    .try_fold(0, |longest, n| Some(longest.max(n?)))
                    .map(|n| n + 1)
            };
            let Some(longest) = runs else {
                charges.clear();
                break;
            };
            charges.push((
                entry,
                Charge {
                    trips: longest,
                    report_pc: end,
                },
            ));
        }
        if charges.is_empty() || charges.len() != entries.len() {
            continue;
        }
        let total = |c: &Vec<(Entry, Charge)>| c.iter().map(|(_, c)| c.trips).max();
        if best.as_ref().is_none_or(|b| total(&charges) < total(b)) {
            best = Some(charges);
        }
    }
    best
}

#[cfg(test)]
#[path = "loops_tests.rs"]
mod tests;
