//! Per-instruction facts: what verification proved at each instruction, in the terms code
//! generation needs. A fact holds for every path and every calling context that reaches the
//! instruction; anything less is not a fact.

use std::collections::{BTreeMap, BTreeSet};

pub use crate::object::InsnRef;
use crate::object::{FunctionId, MapId};

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
    /// For loads and stores: the registers (bit n for rn) that hold a pointer into memory
    /// (the context, a packet, the stack, a map value) and never a number, so that code
    /// generation may compute an address as such a pointer plus an offset.
    pub pointers: u16,
}

/// Facts of one program: per instruction of every function it runs, joined over all of the
/// program's calling contexts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProgramFacts {
    pub insns: BTreeMap<InsnRef, InsnFacts>,
}

/// Facts of a whole module: per instruction, joined over every program that runs it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleFacts {
    pub insns: BTreeMap<InsnRef, InsnFacts>,
}

impl ModuleFacts {
    /// Facts of a module: per instruction, the join over every program that runs it.
    pub fn from_programs<'a>(programs: impl IntoIterator<Item = &'a ProgramFacts>) -> ModuleFacts {
        let mut out = ModuleFacts::default();
        for p in programs {
            for (at, f) in &p.insns {
                let e = out.insns.entry(*at).or_default();
                *e = join(e, f);
            }
        }
        out
    }

    pub fn get(&self, function: FunctionId, insn: usize) -> Option<&InsnFacts> {
        self.insns.get(&InsnRef { function, insn })
    }
}

/// The least fact that holds wherever either does.
pub fn join(a: &InsnFacts, b: &InsnFacts) -> InsnFacts {
    if !a.reached {
        return b.clone();
    }
    if !b.reached {
        return a.clone();
    }
    let ctx = match (a.ctx, b.ctx) {
        (Some(x), Some(y)) => Some(join_ctx(x, y)),
        (x, None) | (None, x) => x,
    };
    let map_call = match (&a.map_call, &b.map_call) {
        (Some(x), Some(y)) => Some(MapCallFact {
            maps: match (&x.maps, &y.maps) {
                (Some(m), Some(n)) => Some(m.union(n).copied().collect()),
                _ => None,
            },
            key: join_key(x.key, y.key),
        }),
        (x, None) | (None, x) => x.clone(),
    };
    InsnFacts {
        reached: true,
        ctx,
        map_call,
        pointers: a.pointers & b.pointers,
    }
}

/// Two context facts of one access: the same fact, the context at varying offsets, or
/// ambiguous once the context meets anything else.
fn join_ctx(a: CtxFact, b: CtxFact) -> CtxFact {
    let in_ctx = |f: CtxFact| matches!(f, CtxFact::Ctx { .. } | CtxFact::VaryingOffset);
    match (a, b) {
        _ if a == b => a,
        _ if in_ctx(a) && in_ctx(b) => CtxFact::VaryingOffset,
        _ => CtxFact::Ambiguous,
    }
}

fn join_key(a: KeyFact, b: KeyFact) -> KeyFact {
    let range = |k: KeyFact| match k {
        KeyFact::Const(v) => Some((v, v)),
        KeyFact::Range { min, max } => Some((min, max)),
        KeyFact::Unknown => None,
    };
    match (range(a), range(b)) {
        (Some((a0, a1)), Some((b0, b1))) => {
            let (lo, hi) = (a0.min(b0), a1.max(b1));
            if lo == hi {
                KeyFact::Const(lo)
            } else {
                KeyFact::Range { min: lo, max: hi }
            }
        }
        _ => KeyFact::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(maps: Option<&[usize]>, key: KeyFact) -> InsnFacts {
        InsnFacts {
            reached: true,
            ctx: None,
            map_call: Some(MapCallFact {
                maps: maps.map(|m| m.iter().copied().collect()),
                key,
            }),
            pointers: 0,
        }
    }

    #[test]
    fn joins_are_unions_and_hulls() {
        let j = join(
            &call(Some(&[0]), KeyFact::Const(3)),
            &call(Some(&[2]), KeyFact::Const(7)),
        );
        let m = j.map_call.unwrap();
        assert_eq!(m.maps, Some([0, 2].into_iter().collect()));
        assert_eq!(m.key, KeyFact::Range { min: 3, max: 7 });
        let j = join(
            &call(None, KeyFact::Const(1)),
            &call(Some(&[1]), KeyFact::Unknown),
        );
        assert_eq!(
            j.map_call.unwrap(),
            MapCallFact {
                maps: None,
                key: KeyFact::Unknown
            }
        );
    }

    #[test]
    fn unreached_contexts_add_nothing() {
        let reached = call(Some(&[4]), KeyFact::Const(0));
        assert_eq!(join(&InsnFacts::default(), &reached), reached);
        assert_eq!(join(&reached, &InsnFacts::default()), reached);
    }

    #[test]
    fn context_facts_that_differ_are_ambiguous() {
        let a = InsnFacts {
            reached: true,
            ctx: Some(CtxFact::NotCtx),
            map_call: None,
            pointers: 0,
        };
        let b = InsnFacts {
            reached: true,
            ctx: Some(CtxFact::Ctx {
                reg_offset: 0,
                field_offset: 4,
            }),
            map_call: None,
            pointers: 0,
        };
        assert_eq!(join(&a, &b).ctx, Some(CtxFact::Ambiguous));
        assert_eq!(join(&b, &b).ctx, b.ctx);
        // The context at two offsets is the context at a varying offset, until something
        // that is not the context joins.
        let c = InsnFacts {
            ctx: Some(CtxFact::Ctx {
                reg_offset: 4,
                field_offset: 8,
            }),
            ..b.clone()
        };
        let varying = join(&b, &c);
        assert_eq!(varying.ctx, Some(CtxFact::VaryingOffset));
        assert_eq!(join(&varying, &b).ctx, Some(CtxFact::VaryingOffset));
        assert_eq!(join(&varying, &a).ctx, Some(CtxFact::Ambiguous));
    }

    #[test]
    fn a_register_is_a_pointer_only_where_every_context_says_so() {
        let at = |pointers| InsnFacts {
            reached: true,
            pointers,
            ..InsnFacts::default()
        };
        assert_eq!(join(&at(0b0110), &at(0b0011)).pointers, 0b0010);
        assert_eq!(join(&InsnFacts::default(), &at(0b0110)).pointers, 0b0110);
    }
}
