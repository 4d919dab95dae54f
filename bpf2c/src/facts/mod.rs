//! Per-instruction facts: what verification proved at each instruction, in the terms code
//! generation needs. A fact holds for every path and every calling context that reaches the
//! instruction; anything less is not a fact.

pub mod extract;

use std::collections::{BTreeMap, BTreeSet};

use crate::object::{FunctionId, MapId};

/// An instruction of the object: a function and a slot index within it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InsnRef {
    pub function: FunctionId,
    pub insn: usize,
}

/// What is known of a memory access's base register with respect to the program context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CtxFact {
    /// The base register never points into the context.
    NotCtx,
    /// The base register always points into the context, `reg_offset` bytes past its start,
    /// so the access touches the context field at `field_offset` (= reg_offset + insn.off).
    Ctx { reg_offset: i64, field_offset: i64 },
    /// The base register always points into the context, but its offset is not a single
    /// value: it depends on the input, or differs between paths or calling contexts.
    VaryingOffset,
    /// The base register may point into the context or elsewhere.
    Ambiguous,
}

/// What is known of the key a map helper call passes in r2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyFact {
    Unknown,
    /// The first four key bytes, read as a u32 in the object's byte order, always hold this
    /// value.
    Const(u32),
    /// The first four key bytes, read as a u32 in the object's byte order, always hold a
    /// value in `min..=max`.
    Range {
        min: u32,
        max: u32,
    },
}

/// Facts at a helper call that takes a map in r1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapCallFact {
    /// Every map object r1 may hold. None when r1 is not proven to be a map of this object.
    pub maps: Option<BTreeSet<MapId>>,
    pub key: KeyFact,
}

/// Facts of one instruction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InsnFacts {
    /// Some verified context reaches the instruction. Facts of an unreached instruction say
    /// nothing, and the instruction never runs.
    pub reached: bool,
    /// For loads and stores: whether the base register is the context.
    pub ctx: Option<CtxFact>,
    /// For map helper calls: the maps and key.
    pub map_call: Option<MapCallFact>,
}

/// Facts of a whole module: per instruction, joined over every program that runs it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleFacts {
    pub insns: BTreeMap<InsnRef, InsnFacts>,
}

impl ModuleFacts {
    /// Facts of a module: per instruction, the join over every program that runs it.
    pub fn from_programs<'a>(
        programs: impl IntoIterator<Item = &'a extract::ProgramFacts>,
    ) -> ModuleFacts {
        let mut out = ModuleFacts::default();
        for p in programs {
            for (at, f) in &p.insns {
                let e = out.insns.entry(*at).or_default();
                *e = extract::join(e, f);
            }
        }
        out
    }

    pub fn get(&self, function: FunctionId, insn: usize) -> Option<&InsnFacts> {
        self.insns.get(&InsnRef { function, insn })
    }
}
