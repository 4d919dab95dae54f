//! Copies of a loop's first test at the jumps that enter the loop.
//!
//! clang emits loops already rotated: `r3 = 3; goto L8` jumps straight to the test at the
//! loop's head (`L8: r4 = r1 % r3; if r4 != 0 goto L3`). Translated as is, the loop is a
//! do-while to a C compiler, which then never specialises the first trip for what is known
//! on entry: in the benchmark's trial division the first divisor is the constant 3, which
//! gcc, given the C source's for-loop, turns from a division into a multiplication by copying
//! the loop's header ahead of it. It does not copy the header of a loop that is already a
//! do-while, so bpf2c does: at an unconditional jump to the head of a loop, it emits a copy
//! of the head's short run of arithmetic and its closing conditional jump, followed by a
//! jump to the instruction after that one. The copy is the same instructions with the same
//! successors, so it computes the same values and spends the loop budget the same way.

use std::collections::BTreeMap;

use super::loops::{successors, LoopPlan};
use crate::insn::*;
use crate::object::Function;

/// Longest run of arithmetic copied before the closing jump: the point is to expose a
/// loop's first test, not to duplicate loop bodies.
const MAX_ARITHMETIC: usize = 8;

/// A copy of the head `header..=test` to place at the unconditional jump `jump`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct HeaderCopy {
    pub header: usize,
    /// The instructions copied: arithmetic, then `test`, the conditional jump closing them.
    pub copied: Vec<usize>,
    /// Where the copy goes when the test falls through: the slot after `test`.
    pub after: usize,
}

/// The header copies of a function, by the jump that gets each.
pub(super) fn plan(
    f: &Function,
    starts: &[usize],
    loops: &LoopPlan,
) -> BTreeMap<usize, HeaderCopy> {
    let target = |pc: usize| successors(f, pc).1;
    // The ranges of loops, from a back edge's target to the back edge.
    let loops_ranges: Vec<(usize, usize)> = starts
        .iter()
        .filter_map(|&pc| target(pc).filter(|&t| t <= pc).map(|t| (t, pc)))
        .collect();
    // A jump from outside a loop to past its head: the rotated loop's test. (A jump to the
    // head itself is another back edge or a plain entry, which a compiler handles itself.)
    let enters_loop = |from: usize, to: usize| {
        loops_ranges
            .iter()
            .any(|&(h, b)| h < to && to <= b && !(h..=b).contains(&from))
    };
    let mut out = BTreeMap::new();
    for &pc in starts {
        let insn = &f.insns[pc];
        let unconditional = insn.opcode == BPF_JMP | BPF_JA || insn.opcode == BPF_JMP32 | BPF_JA;
        let Some(header) = target(pc).filter(|&t| unconditional && enters_loop(pc, t)) else {
            continue;
        };
        if let Some(copy) = head_of(f, header, loops) {
            if !copy.copied.contains(&pc) {
                out.insert(pc, copy);
            }
        }
    }
    out
}

/// The copyable head of the loop at `header`: a short run of arithmetic closed by a
/// conditional jump, whose fall-through is a plain label (a proven loop entered by falling
/// through pays its charge before its label, which a jump there would skip).
fn head_of(f: &Function, header: usize, loops: &LoopPlan) -> Option<HeaderCopy> {
    let mut copied = Vec::new();
    let mut pc = header;
    loop {
        let insn = f.insns.get(pc)?;
        copied.push(pc);
        match insn.class() {
            BPF_ALU | BPF_ALU64 if copied.len() <= MAX_ARITHMETIC => pc += 1,
            BPF_JMP | BPF_JMP32 => {
                let op = insn.opcode & 0xf0;
                let conditional = insn.jump_offset().is_some() && op != BPF_JA;
                let after = pc + 1;
                return (conditional
                    && after < f.insns.len()
                    && !loops.fallthrough_entries.contains_key(&after))
                .then_some(HeaderCopy {
                    header,
                    copied,
                    after,
                });
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codegen::instruction_starts;
    use crate::codegen::loops::analyze;
    use crate::codegen::tests::func;

    fn plan_of(insns: Vec<Insn>) -> BTreeMap<usize, HeaderCopy> {
        let f = func("f", "raw", insns);
        let starts = instruction_starts(&f);
        plan(&f, &starts, &analyze(&f, &starts))
    }

    const MOV_K: u8 = BPF_ALU | BPF_MOV | BPF_K;
    const MOD_X: u8 = BPF_ALU | BPF_MOD | BPF_X;
    const ADD_K: u8 = BPF_ALU | BPF_ADD | BPF_K;
    const JNE_K: u8 = BPF_JMP | BPF_JNE | BPF_K;
    const JA: u8 = BPF_JMP | BPF_JA;

    /// `r3 = 3; goto head; body: r3 += 2; head: r4 = r1; r4 %= r3; if r4 != 0 goto body;
    /// exit`, with the `goto` at 1 and the head at 3.
    fn rotated_loop(arithmetic_in_head: usize) -> Vec<Insn> {
        let mut v = vec![
            Insn::new(MOV_K, 3, 0, 0, 3),
            Insn::new(JA, 0, 0, 1, 0),
            Insn::new(ADD_K, 3, 0, 0, 2),
        ];
        for _ in 0..arithmetic_in_head {
            v.push(Insn::new(MOD_X, 4, 3, 0, 0));
        }
        let back = -(arithmetic_in_head as i16) - 2;
        v.push(Insn::new(JNE_K, 4, 0, back, 0));
        v.push(Insn::EXIT);
        v
    }

    #[test]
    fn the_jump_into_a_rotated_loop_gets_a_copy_of_its_test() {
        let copies = plan_of(rotated_loop(2));
        let want = HeaderCopy {
            header: 3,
            copied: vec![3, 4, 5],
            after: 6,
        };
        assert_eq!(copies, [(1, want)].into());
    }

    #[test]
    fn long_heads_and_jumps_to_non_loops_get_none() {
        assert!(plan_of(rotated_loop(MAX_ARITHMETIC + 1)).is_empty());
        // A forward jump to a block in no loop.
        let insns = vec![
            Insn::new(JA, 0, 0, 1, 0),
            Insn::new(MOV_K, 0, 0, 0, 1),
            Insn::new(MOV_K, 0, 0, 0, 2),
            Insn::new(JNE_K, 0, 0, 0, 0),
            Insn::EXIT,
        ];
        assert!(plan_of(insns).is_empty());
    }

    #[test]
    fn heads_with_calls_or_memory_are_not_copied() {
        let mut insns = rotated_loop(1);
        insns[3] = Insn::new(BPF_JMP | BPF_CALL, 0, 0, 0, 1);
        assert!(plan_of(insns).is_empty());
        let mut insns = rotated_loop(1);
        insns[3] = Insn::new(BPF_LDX | BPF_MEM | BPF_W, 4, 10, -4, 0);
        assert!(plan_of(insns).is_empty());
    }
}
