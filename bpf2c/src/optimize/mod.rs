//! Verifier-assisted optimization of map helper calls: the plan.
//!
//! Every call of `bpf_map_lookup_elem`, `bpf_map_update_elem` or `bpf_map_delete_elem` gets
//! exactly one decision, made here from the facts verification established (see
//! [`crate::facts`]), and consumed unchanged by code generation and by `cargo bpf2c report`,
//! so what the report says is what the C does.
//!
//! - **inlined**: the call becomes C that addresses the element itself. ARRAY and
//!   PERCPU_ARRAY lookups, and ARRAY updates, when r1 is proven to be exactly one map.
//! - **direct**: a lookup in a proven HASH, LRU_HASH or PERCPU_HASH map calls that map
//!   type's own lookup function (`map_data[i].lookup`) instead of the generic helper.
//! - **helper**: everything else, with the reason. That includes every call whose r1 may be
//!   an inner map template: after a lookup in a map of maps, the verifier names the template
//!   for whatever inner map the host put in the slot.
//!
//! One helper that takes no map is planned here too: `bpf_get_prandom_u32` is **inlined**
//! as a draw from the run's generator (`bpf2c_prandom_u32` in `bpf2c.h`, the same code
//! the runtime's helper runs, on the same state), or through the helper table when the host
//! replaced that helper. It needs no facts; it follows the module's optimization switch.
//!
//! Why the facts suffice: a fact holds on every path and in every calling context of every
//! program that reaches the instruction (facts are joined over all of them), and map
//! identity is per map object (each map has its own verifier handle), so "r1 is map m"
//! means exactly that. A key fact describes the four bytes r2 points to, which for ARRAY
//! maps are the whole key.

pub mod report;

use std::collections::BTreeMap;

use crate::facts::{KeyFact, ModuleFacts};
use crate::helpers::id;
use crate::insn::{Insn, BPF_CALL, BPF_JMP};
use crate::object::{FunctionId, InsnRef, MapId, MapKind, MapOrigin, MapType, Object};

/// How an inlined array access treats its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// Not proven in range: read it and compare it with max_entries at run time.
    Checked,
    /// Proven to be this value, below max_entries: no read, no comparison.
    Const(u32),
    /// Proven below max_entries but not one value: read it, no comparison.
    InRange,
    /// Proven at or above max_entries: the element does not exist.
    OutOfRange,
}

impl Key {
    fn from_fact(fact: KeyFact, max_entries: u32) -> Key {
        match fact {
            KeyFact::Const(k) if k < max_entries => Key::Const(k),
            KeyFact::Const(_) => Key::OutOfRange,
            KeyFact::Range { max, .. } if max < max_entries => Key::InRange,
            KeyFact::Range { min, .. } if min >= max_entries => Key::OutOfRange,
            KeyFact::Range { .. } | KeyFact::Unknown => Key::Checked,
        }
    }

    /// A lookup with this key never returns NULL.
    pub fn proven_in_range(self) -> bool {
        matches!(self, Key::Const(_) | Key::InRange)
    }
}

/// What the generated code does at one map helper call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// The normal call through the helper table, for `reason`.
    Helper { reason: String },
    /// r0 = the element's address (this CPU slot's for a per-CPU array), or 0.
    InlineLookup { map: MapId, key: Key, per_cpu: bool },
    /// The ARRAY update helper's exact semantics, inline.
    InlineUpdate { map: MapId, key: Key },
    /// r0 = the map type's own lookup function, called directly.
    DirectLookup { map: MapId },
    /// `bpf_get_prandom_u32`: r0 = a draw from the invocation's generator, or the helper
    /// table's function when the runtime gives the run no generator.
    InlinePrandom,
}

/// The three outcomes the report names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    Inlined,
    Direct,
    Helper,
}

impl Decision {
    pub fn name(self) -> &'static str {
        match self {
            Decision::Inlined => "inlined",
            Decision::Direct => "direct",
            Decision::Helper => "helper",
        }
    }
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One call site of a helper the optimizer considers, and its decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    /// `bpf_map_lookup_elem`, `bpf_map_update_elem`, `bpf_map_delete_elem` or
    /// `bpf_get_prandom_u32`.
    pub helper: u32,
    /// The maps r1 may hold here, joined over every program and context, when proven to be
    /// maps of this object.
    pub maps: Option<Vec<MapId>>,
    pub action: Action,
}

impl Site {
    pub fn decision(&self) -> Decision {
        match self.action {
            Action::Helper { .. } => Decision::Helper,
            Action::InlineLookup { .. } | Action::InlineUpdate { .. } | Action::InlinePrandom => {
                Decision::Inlined
            }
            Action::DirectLookup { .. } => Decision::Direct,
        }
    }

    /// Why the site falls back to the helper; None when it does not.
    pub fn reason(&self) -> Option<&str> {
        match &self.action {
            Action::Helper { reason } => Some(reason),
            _ => None,
        }
    }

    /// What the optimized code does, in words; None for helper calls.
    pub fn detail(&self, obj: &Object) -> Option<String> {
        let entries = |m: MapId| obj.maps[m].def.max_entries;
        // A lookup proven in range never returns NULL; an update proven in range cannot fail
        // its bounds check.
        let key = |k: Key, m: MapId, proven: &str| match k {
            Key::Checked => format!("key checked against {} entries", entries(m)),
            Key::Const(k) => format!("key proven to be {k}: {proven}"),
            Key::InRange => format!("key proven below {}: {proven}", entries(m)),
            Key::OutOfRange => format!(
                "key proven at or past {} entries: no such element",
                entries(m)
            ),
        };
        Some(match self.action {
            Action::Helper { .. } => return None,
            Action::InlineLookup {
                map,
                key: k,
                per_cpu,
            } => format!(
                "{} element address; {}",
                if per_cpu { "this CPU slot's" } else { "the" },
                key(k, map, "no check, never NULL")
            ),
            Action::InlineUpdate { map, key: k } => format!(
                "flags, bounds and a {}-byte copy inline; {}",
                obj.maps[map].def.value_size,
                key(k, map, "no bounds check")
            ),
            Action::DirectLookup { map } => format!(
                "calls the {} lookup function directly",
                short_type_name(obj.maps[map].def.map_type)
            ),
            Action::InlinePrandom => {
                "draws from the run's generator in place (the helper table's function when \
                 the host replaced the helper)"
                    .to_string()
            }
        })
    }
}

/// What the generated code assumes about a map it reaches without the helpers; the module
/// carries these so the runtime can refuse a map that differs (`bpf2c_map_assumption_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapAssumption {
    /// Elements are addressed at `array_data` (inlined accesses, direct value loads).
    pub array_data: bool,
    /// `map_data.lookup` is called directly.
    pub lookup: bool,
    /// The element stride compiled into the code.
    pub stride: u64,
}

/// Why a whole module is translated without optimizations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disabled {
    /// `--no-opt` / `TranslateOptions::optimize == false`.
    NoOpt,
    /// `--no-verify`: there are no facts to rely on.
    NoVerify,
}

/// Every call site of a helper the optimizer considers (the map helpers and
/// `bpf_get_prandom_u32`) with its decision, and what the resulting code assumes about each
/// map. Computed once per translation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Whether optimizations were enabled (and facts available).
    pub enabled: bool,
    pub sites: BTreeMap<InsnRef, Site>,
    pub assumptions: BTreeMap<MapId, MapAssumption>,
}

/// `BPF2C_ARRAY_STRIDE`: what the runtime steps array elements by.
pub use bpf2c_abi::ffi::array_stride;

/// `HASH` for `BPF_MAP_TYPE_HASH`: the names reasons and the report use.
pub fn short_type_name(t: MapKind) -> String {
    t.name().trim_start_matches("BPF_MAP_TYPE_").to_string()
}

fn helper_word(helper: u32) -> &'static str {
    match helper {
        id::MAP_LOOKUP_ELEM => "lookup",
        id::MAP_UPDATE_ELEM => "update",
        _ => "delete",
    }
}

/// The helper a call instruction invokes, if it is one the optimizer considers. Calls that
/// carry a relocation are local calls, whatever their immediate says.
fn planned_helper(f: &crate::object::Function, pc: usize, insn: &Insn) -> Option<u32> {
    if insn.opcode != BPF_JMP | BPF_CALL || insn.src != 0 || f.relocs.contains_key(&pc) {
        return None;
    }
    let h = u32::try_from(insn.imm).ok()?;
    (crate::helpers::takes_map_and_key(h) || h == id::GET_PRANDOM_U32).then_some(h)
}

/// Slot indices where instructions start (the second half of an `lddw` is not one).
fn instruction_starts(insns: &[Insn]) -> impl Iterator<Item = usize> + '_ {
    let mut pc = 0;
    std::iter::from_fn(move || {
        let at = pc;
        let insn = insns.get(at)?;
        pc += if insn.is_lddw() { 2 } else { 1 };
        Some(at)
    })
}

impl Plan {
    /// Decides every map helper call of `obj`. `facts` are the module's facts (None when
    /// verification was skipped); `disabled` turns every decision into a helper call.
    pub fn new(obj: &Object, facts: Option<&ModuleFacts>, disabled: Option<Disabled>) -> Plan {
        let disabled = disabled.or(if facts.is_none() {
            Some(Disabled::NoVerify)
        } else {
            None
        });
        let mut plan = Plan {
            enabled: disabled.is_none(),
            ..Plan::default()
        };
        for (fid, f) in obj.functions.iter().enumerate() {
            for pc in instruction_starts(&f.insns) {
                let Some(helper) = planned_helper(f, pc, &f.insns[pc]) else {
                    continue;
                };
                let at = InsnRef {
                    function: fid,
                    insn: pc,
                };
                let site = match (disabled, facts) {
                    (None, Some(_)) if helper == id::GET_PRANDOM_U32 => Site {
                        helper,
                        maps: None,
                        action: Action::InlinePrandom,
                    },
                    (None, Some(facts)) => decide(obj, facts, fid, at, helper),
                    (d, _) => Site {
                        helper,
                        maps: None,
                        action: Action::Helper {
                            reason: match d.unwrap_or(Disabled::NoVerify) {
                                Disabled::NoOpt => "optimizations disabled (--no-opt)",
                                Disabled::NoVerify => {
                                    "not verified (--no-verify): no facts to rely on"
                                }
                            }
                            .to_string(),
                        },
                    },
                };
                plan.add(obj, at, site);
            }
        }
        plan.add_value_loads(obj);
        plan
    }

    /// Keeps every call of `helper` that the plan inlines on the helper table instead, for
    /// `reason`: what `TranslateOptions::inline_helpers == false` does to
    /// `bpf_get_prandom_u32`. Map sites are not affected.
    pub fn keep_helper_calls(&mut self, helper: u32, reason: &str) {
        for site in self.sites.values_mut() {
            if site.helper == helper && site.action == Action::InlinePrandom {
                site.action = Action::Helper {
                    reason: reason.to_string(),
                };
            }
        }
    }

    fn add(&mut self, obj: &Object, at: InsnRef, site: Site) {
        let (map, array_data, lookup) = match site.action {
            Action::InlineLookup { map, .. } | Action::InlineUpdate { map, .. } => {
                (map, true, false)
            }
            Action::DirectLookup { map } => (map, false, true),
            Action::Helper { .. } | Action::InlinePrandom => {
                self.sites.insert(at, site);
                return;
            }
        };
        self.assume(obj, map, array_data, lookup);
        self.sites.insert(at, site);
    }

    fn assume(&mut self, obj: &Object, map: MapId, array_data: bool, lookup: bool) {
        let stride = array_stride(obj.maps[map].def.value_size);
        let a = self.assumptions.entry(map).or_insert(MapAssumption {
            array_data: false,
            lookup: false,
            stride,
        });
        a.array_data |= array_data;
        a.lookup |= lookup;
    }

    /// Direct value loads (`r1 = &map.value + off`, global data) read `array_data` whether
    /// or not optimizations are on; their maps carry an assumption too, so the runtime
    /// checks the value size the offsets were validated against.
    fn add_value_loads(&mut self, obj: &Object) {
        let mut maps = Vec::new();
        for f in &obj.functions {
            for reloc in f.relocs.values() {
                if let crate::object::Reloc::MapValue { map, .. } = *reloc {
                    if map < obj.maps.len() && obj.maps[map].def.map_type == MapType::Array {
                        maps.push(map);
                    }
                }
            }
        }
        for m in maps {
            self.assume(obj, m, true, false);
        }
    }

    /// The decision for a call site, if it is a call the optimizer considers.
    pub fn site(&self, function: FunctionId, insn: usize) -> Option<&Site> {
        self.sites.get(&InsnRef { function, insn })
    }

    /// How many sites got each decision: (inlined, direct, helper).
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for s in self.sites.values() {
            match s.decision() {
                Decision::Inlined => c.0 += 1,
                Decision::Direct => c.1 += 1,
                Decision::Helper => c.2 += 1,
            }
        }
        c
    }
}

fn decide(obj: &Object, facts: &ModuleFacts, fid: FunctionId, at: InsnRef, helper: u32) -> Site {
    let helper_site = |maps: Option<Vec<MapId>>, reason: String| Site {
        helper,
        maps,
        action: Action::Helper { reason },
    };
    let Some(f) = facts.get(fid, at.insn) else {
        return helper_site(None, "no program runs this function".into());
    };
    if !f.reached {
        return helper_site(None, "no verified path reaches this call".into());
    }
    let Some(call) = &f.map_call else {
        return helper_site(None, "the verifier recorded nothing about this call".into());
    };
    let Some(maps) = &call.maps else {
        return helper_site(
            None,
            "r1 is not proven to be one of this object's maps".into(),
        );
    };
    let maps: Vec<MapId> = maps.iter().copied().collect();
    let map = match maps.as_slice() {
        [m] => *m,
        [] => return helper_site(Some(maps), "r1 is proven to be no map".into()),
        many => {
            let names: Vec<&str> = many.iter().map(|&m| obj.maps[m].name.as_str()).collect();
            let reason = format!("r1 may be one of {} maps: {}", many.len(), names.join(", "));
            return helper_site(Some(maps), reason);
        }
    };
    let m = &obj.maps[map];
    // After a lookup in a map of maps, the verifier knows r1 only as "a map like the inner
    // map template": the map itself is whichever one the host put in the slot, so neither
    // the template's array_data nor its lookup function may stand for it.
    if let Some(outer) = obj.maps.iter().find(|o| o.inner_map == Some(map)) {
        let reason = format!(
            "r1 may be any inner map of map of maps {}, which the verifier knows only by its \
             template {}",
            outer.name, m.name
        );
        return helper_site(Some(maps), reason);
    }
    let t = m.def.map_type;
    let key = || Key::from_fact(call.key, m.def.max_entries);
    let no_form = || {
        format!(
            "map type {} has no inline form for {}",
            short_type_name(t),
            helper_word(helper)
        )
    };
    let action = match (helper, t.runtime()) {
        // Array keys are always 4 bytes; anything else would be a malformed object.
        (_, Some(MapType::Array | MapType::PercpuArray)) if m.def.key_size != 4 => Action::Helper {
            reason: format!("map {} has {}-byte keys", m.name, m.def.key_size),
        },
        (id::MAP_LOOKUP_ELEM, Some(MapType::Array | MapType::PercpuArray)) => {
            Action::InlineLookup {
                map,
                key: key(),
                per_cpu: t == MapType::PercpuArray,
            }
        }
        (id::MAP_LOOKUP_ELEM, Some(t)) if t.is_hash() => Action::DirectLookup { map },
        (id::MAP_UPDATE_ELEM, Some(MapType::Array)) => match &m.origin {
            MapOrigin::GlobalData {
                read_only: true,
                section,
            } => Action::Helper {
                reason: format!("map {} is read-only global data ({section})", m.name),
            },
            _ => Action::InlineUpdate { map, key: key() },
        },
        _ => Action::Helper { reason: no_form() },
    };
    Site {
        helper,
        maps: Some(maps),
        action,
    }
}

#[cfg(test)]
mod tests;
