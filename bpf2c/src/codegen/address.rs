//! How each load and store writes its address.
//!
//! eBPF computes addresses in integer registers: clang's `dst[i] = src[i]` becomes
//! `r5 = r1; r5 += r4; r4 = *(u64 *)(r5 + 0)`. Translated word for word, every address is an
//! unrelated integer cast to a pointer, and C compilers then cannot tell that two accesses
//! share a base: they neither merge adjacent byte loads nor see a copy loop as a memmove.
//! Within a straight-line run of instructions this module follows such sums, so that the load
//! above is written `bpf2c_load64_ptr(bpf2c_mem(r1) + (int64_t)r4)`: the same address, as
//! a base pointer and an offset.
//!
//! A sum is used only while every register in it still holds the value it had when the sum
//! was formed, only within one straight-line run (a jump target or a call forgets all), and
//! only in verified code. A base plus a constant needs no further proof: a register that a
//! verified program dereferences is a pointer, and so is the register it was moved from by a
//! constant. A base plus a register
//! needs the verifier's word that the base is the pointer (`InsnFacts::pointers`); pointer
//! arithmetic on a number that merely holds an address could wrap, which C does not allow.

use std::collections::{BTreeMap, BTreeSet};

use super::loops::{defs, successors};
use crate::facts::InsnFacts;
use crate::insn::*;
use crate::object::Function;

/// An address: `base + index + offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Address {
    pub base: Operand,
    pub index: Option<Operand>,
    pub offset: i64,
}

/// A register of an address, with the instruction whose read of it the address repeats (the
/// `mov` or `add` that formed the sum; the access itself for its own base). The register
/// holds the same value at the access, so code generation reads it as it was read there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Operand {
    pub reg: u8,
    pub read_at: usize,
}

/// Constant offsets beyond this are left as the instruction wrote them: far from any
/// object, pointer arithmetic could wrap where the integer sum does not.
const MAX_OFFSET: i64 = 1 << 30;

/// The addresses of a function's plain loads and stores that are better written as a sum
/// than as the instruction's own `base + off`, by instruction.
pub(super) fn plan<'a>(
    f: &Function,
    starts: &[usize],
    facts: impl Fn(usize) -> Option<&'a InsnFacts>,
) -> BTreeMap<usize, Address> {
    let targets: BTreeSet<usize> = starts
        .iter()
        .filter_map(|&pc| successors(f, pc).1)
        .collect();
    let mut sums: [Option<Address>; 11] = [None; 11];
    let mut out = BTreeMap::new();
    for &pc in starts {
        if targets.contains(&pc) {
            sums = [None; 11];
        }
        let insn = &f.insns[pc];
        if let Some(base) = plain_access_base(insn) {
            if let Some(sum) = sums[base as usize] {
                let sum = Address {
                    offset: sum.offset + insn.off as i64,
                    ..sum
                };
                if let Some(address) = provable(sum, facts(pc)) {
                    out.insert(pc, address);
                }
            }
        }
        step(&mut sums, insn, pc);
    }
    out
}

/// The base register of a plain load or store (not an atomic).
fn plain_access_base(insn: &Insn) -> Option<u8> {
    let mode = insn.opcode & 0xe0;
    match insn.class() {
        BPF_LDX if mode == BPF_MEM || mode == BPF_MEMSX => Some(insn.src),
        BPF_ST | BPF_STX if mode == BPF_MEM => Some(insn.dst),
        _ => None,
    }
}

/// The sum as it may be written, when it may: the register part needs a base the verifier
/// proved a pointer (swapping base and index when it is the index that is).
fn provable(sum: Address, facts: Option<&InsnFacts>) -> Option<Address> {
    // Without verification a dereferenced register need not be a pointer at all.
    let facts = facts.filter(|f| f.reached)?;
    if sum.offset.abs() > MAX_OFFSET {
        return None;
    }
    let Some(index) = sum.index else {
        return Some(sum);
    };
    let pointers = facts.pointers;
    let is_pointer = |r: u8| r == 10 || pointers & (1 << r) != 0;
    if is_pointer(sum.base.reg) {
        Some(sum)
    } else if is_pointer(index.reg) {
        Some(Address {
            base: index,
            index: Some(sum.base),
            ..sum
        })
    } else {
        None
    }
}

/// Follows one instruction: what each register is known to be the sum of afterwards.
fn step(sums: &mut [Option<Address>; 11], insn: &Insn, pc: usize) {
    let written = defs(insn);
    let dst = insn.dst as usize;
    let mut formed = None;
    if insn.class() == BPF_ALU64 && insn.off == 0 && dst < 10 {
        let op = insn.opcode & 0xf0;
        let by_register = insn.opcode & BPF_X != 0;
        match (op, by_register) {
            (BPF_MOV, true) if insn.src != insn.dst => {
                formed = Some(sums[insn.src as usize].unwrap_or(Address {
                    base: Operand {
                        reg: insn.src,
                        read_at: pc,
                    },
                    index: None,
                    offset: 0,
                }));
            }
            (BPF_ADD | BPF_SUB, false) => {
                let delta = if op == BPF_ADD {
                    insn.imm as i64
                } else {
                    -(insn.imm as i64)
                };
                formed = sums[dst].map(|s| Address {
                    offset: s.offset + delta,
                    ..s
                });
            }
            (BPF_ADD, true) if insn.src != insn.dst => {
                formed = match sums[dst] {
                    Some(s) if s.index.is_none() && s.base.reg != insn.src => Some(Address {
                        index: Some(Operand {
                            reg: insn.src,
                            read_at: pc,
                        }),
                        ..s
                    }),
                    _ => None,
                };
            }
            _ => {}
        }
    }
    for (r, sum) in sums.iter_mut().enumerate() {
        let stale = written & (1 << r) != 0
            || sum.is_some_and(|s| {
                written & (1 << s.base.reg) != 0
                    || s.index.is_some_and(|i| written & (1 << i.reg) != 0)
            });
        if stale {
            *sum = None;
        }
    }
    if let Some(s) = formed.filter(|s| s.offset.abs() <= MAX_OFFSET) {
        sums[dst] = Some(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codegen::instruction_starts;
    use crate::codegen::tests::func;

    fn plan_of(insns: Vec<Insn>, pointers: u16) -> BTreeMap<usize, Address> {
        let f = func("f", "raw", insns);
        let facts = InsnFacts {
            reached: true,
            pointers,
            ..InsnFacts::default()
        };
        plan(&f, &instruction_starts(&f), |_| Some(&facts))
    }

    fn operand(reg: u8, read_at: usize) -> Operand {
        Operand { reg, read_at }
    }

    const MOV_X: u8 = BPF_ALU64 | BPF_MOV | BPF_X;
    const ADD_X: u8 = BPF_ALU64 | BPF_ADD | BPF_X;
    const ADD_K: u8 = BPF_ALU64 | BPF_ADD | BPF_K;
    const LDX_DW: u8 = BPF_LDX | BPF_MEM | BPF_DW;
    const STX_B: u8 = BPF_STX | BPF_MEM | BPF_B;

    #[test]
    fn a_moved_pointer_plus_an_index_is_that_pointer_and_index() {
        let insns = vec![
            Insn::new(MOV_X, 5, 1, 0, 0),
            Insn::new(ADD_X, 5, 4, 0, 0),
            Insn::new(LDX_DW, 4, 5, 8, 0),
            Insn::EXIT,
        ];
        let want = Address {
            base: operand(1, 0),
            index: Some(operand(4, 1)),
            offset: 8,
        };
        assert_eq!(plan_of(insns.clone(), 1 << 1), [(2, want)].into());
        // The verifier says r4 is the pointer: the sum is the same with the roles swapped.
        let swapped = Address {
            base: operand(4, 1),
            index: Some(operand(1, 0)),
            offset: 8,
        };
        assert_eq!(plan_of(insns.clone(), 1 << 4), [(2, swapped)].into());
        // Neither is proven a pointer: the instruction's own address stands.
        assert!(plan_of(insns, 0).is_empty());
    }

    #[test]
    fn constants_accumulate_without_needing_facts() {
        let insns = vec![
            Insn::new(MOV_X, 2, 10, 0, 0),
            Insn::new(ADD_K, 2, 0, 0, -16),
            Insn::new(ADD_K, 2, 0, 0, 4),
            Insn::new(STX_B, 2, 3, 1, 0),
            Insn::EXIT,
        ];
        let want = Address {
            base: operand(10, 0),
            index: None,
            offset: -11,
        };
        assert_eq!(plan_of(insns.clone(), 0), [(3, want)].into());
        // Unverified code (no facts) keeps every access's own address.
        let f = func("f", "raw", insns);
        assert!(plan(&f, &instruction_starts(&f), |_| None).is_empty());
    }

    #[test]
    fn a_sum_ends_when_a_part_changes_at_a_jump_target_and_at_a_call() {
        let load = Insn::new(LDX_DW, 0, 5, 0, 0);
        let mov = Insn::new(MOV_X, 5, 1, 0, 0);
        let add = Insn::new(ADD_X, 5, 4, 0, 0);
        let changes = [
            // the index changes
            Insn::new(ADD_K, 4, 0, 0, 1),
            // the base changes
            Insn::new(BPF_ALU | BPF_MOV | BPF_K, 1, 0, 0, 0),
            // a helper call clobbers r1-r5
            Insn::new(BPF_JMP | BPF_CALL, 0, 0, 0, 1),
        ];
        for change in changes {
            let insns = vec![mov, add, change, load, Insn::EXIT];
            assert!(plan_of(insns, 0b10010).is_empty(), "{change:?}");
        }
        // A jump lands between the sum and the load: the load may be reached without it.
        let insns = vec![
            Insn::new(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 2, 0),
            mov,
            add,
            load,
            Insn::EXIT,
        ];
        assert!(plan_of(insns, 0b10010).is_empty());
    }

    #[test]
    fn far_constant_offsets_are_left_alone() {
        let insns = vec![
            Insn::new(MOV_X, 2, 1, 0, 0),
            Insn::new(ADD_K, 2, 0, 0, i32::MAX),
            Insn::new(ADD_K, 2, 0, 0, i32::MAX),
            Insn::new(LDX_DW, 0, 2, 0, 0),
            Insn::EXIT,
        ];
        assert!(plan_of(insns, 0b10).is_empty());
    }
}
