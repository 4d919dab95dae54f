//! Linking a program for the verifier: its entry function followed by every function it
//! reaches, the way libbpf lays out a program for the kernel, with each map reference
//! rewritten to a verifier handle that belongs to exactly one map object.
//!
//! PREVAIL's own ELF reader hands out map handles by shape, so two maps with the same
//! definition would share one and the verifier could not tell them apart. Here the handle
//! of map `i` is `i + 1`, unique per map object, so "r1 holds handle h" means exactly one
//! map. The [`Layout`] maps every linked instruction back to its function and index.

use crate::insn::{Insn, BPF_PSEUDO_CALL, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE};
use crate::object::InsnRef;
use crate::object::{FunctionId, MapId, Object, Reloc};

/// The verifier handle of a map: unique per map object, never 0.
pub fn map_handle(map: MapId) -> i32 {
    map as i32 + 1
}

/// The map a verifier handle names, if it names one of `obj`'s maps.
pub fn map_of_handle(obj: &Object, handle: i64) -> Option<MapId> {
    let idx = usize::try_from(handle.checked_sub(1)?).ok()?;
    (idx < obj.maps.len()).then_some(idx)
}

/// Where each function of a linked program starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// (function, first linked slot), in link order; the entry function comes first.
    pub functions: Vec<(FunctionId, usize)>,
    pub len: usize,
}

impl Layout {
    /// The function instruction a linked slot belongs to.
    pub fn locate(&self, linked_pc: usize) -> Option<InsnRef> {
        if linked_pc >= self.len {
            return None;
        }
        let i = self
            .functions
            .partition_point(|&(_, base)| base <= linked_pc)
            .checked_sub(1)?;
        let (function, base) = self.functions[i];
        Some(InsnRef {
            function,
            insn: linked_pc - base,
        })
    }

    /// The linked slot of a function instruction, if the function is part of the program.
    pub fn linked_pc(&self, at: InsnRef) -> Option<usize> {
        self.functions
            .iter()
            .find(|(f, _)| *f == at.function)
            .map(|(_, base)| base + at.insn)
    }
}

/// Lays out the program whose entry is `entry` and rewrites its references.
pub fn link(obj: &Object, entry: FunctionId) -> (Vec<Insn>, Layout) {
    let order = obj.reachable_functions(entry);
    let mut functions = Vec::with_capacity(order.len());
    let mut len = 0;
    for &f in &order {
        functions.push((f, len));
        len += obj.functions[f].insns.len();
    }
    let layout = Layout { functions, len };
    let mut insns = Vec::with_capacity(len);
    for &(f, base) in &layout.functions {
        let func = &obj.functions[f];
        let start = insns.len();
        insns.extend_from_slice(&func.insns);
        for (&pc, reloc) in &func.relocs {
            let at = start + pc;
            match *reloc {
                Reloc::MapFd(map) => {
                    insns[at].src = BPF_PSEUDO_MAP_FD;
                    insns[at].imm = map_handle(map);
                }
                Reloc::MapValue { map, offset } => {
                    insns[at].src = BPF_PSEUDO_MAP_VALUE;
                    insns[at].imm = map_handle(map);
                    if let Some(next) = insns.get_mut(at + 1) {
                        next.imm = offset as i32;
                    }
                }
                Reloc::Call(callee) => {
                    let target = layout.linked_pc(InsnRef {
                        function: callee,
                        insn: 0,
                    });
                    if let Some(target) = target {
                        insns[at].src = BPF_PSEUDO_CALL;
                        insns[at].imm = (target as i64 - (base + pc) as i64 - 1) as i32;
                    }
                }
            }
        }
    }
    (insns, layout)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insn::*;
    use crate::object::raw::load_raw;
    use std::path::Path;

    #[test]
    fn links_callees_after_the_entry_and_maps_back() {
        let prog = [
            Insn {
                opcode: BPF_JMP | BPF_CALL,
                dst: 0,
                src: 1,
                off: 0,
                imm: 2,
            }, // call 3
            Insn {
                opcode: BPF_ALU64 | BPF_MOV,
                dst: 0,
                src: 0,
                off: 0,
                imm: 0,
            },
            Insn {
                opcode: BPF_JMP | BPF_EXIT,
                dst: 0,
                src: 0,
                off: 0,
                imm: 0,
            },
            Insn {
                opcode: BPF_ALU64 | BPF_MOV,
                dst: 0,
                src: 0,
                off: 0,
                imm: 1,
            },
            Insn {
                opcode: BPF_JMP | BPF_EXIT,
                dst: 0,
                src: 0,
                off: 0,
                imm: 0,
            },
        ];
        let bytes: Vec<u8> = prog.iter().flat_map(|i| i.encode()).collect();
        let obj = load_raw(&bytes, Path::new("t"), "p").unwrap();
        let (insns, layout) = link(&obj, 0);
        assert_eq!(insns.len(), 5);
        assert_eq!(insns[0].imm, 2);
        assert_eq!(
            layout.locate(3),
            Some(InsnRef {
                function: 1,
                insn: 0
            })
        );
        assert_eq!(
            layout.locate(1),
            Some(InsnRef {
                function: 0,
                insn: 1
            })
        );
        assert_eq!(layout.locate(5), None);
        assert_eq!(map_handle(0), 1);
    }
}
