//! What the runtime cannot execute in an object that verifies.
//!
//! Verification accepts every program type, map type and helper PREVAIL's Linux platform
//! describes; the runtime runs a few program types, implements a few map types and provides
//! the standard helpers plus the host's. `gen` and `run` ask [`missing_pieces`] and refuse an
//! object naming every missing piece at once, so one attempt shows all the work a port needs.
//! A caller that wants only some programs cuts the object down to them first
//! ([`Object::select_programs`](crate::object::Object::select_programs)), so that only their
//! own missing pieces count.

use std::collections::BTreeSet;

use crate::error::{Error, Location, Result};
use crate::helpers::HelperSet;
use crate::insn::{BPF_ABS, BPF_IND, BPF_LD};
use crate::object::Object;

/// Each piece of `obj` the runtime lacks, in words a user can act on; empty when it runs.
pub fn missing_pieces(obj: &Object, helpers: &HelperSet) -> Vec<String> {
    let mut out = Vec::new();
    for p in &obj.programs {
        if let Some(e) = &p.refusal {
            out.push(format!(
                "program '{}' cannot be loaded: {}",
                p.name, e.message
            ));
        } else if p.prog_type.runtime().is_none() {
            out.push(format!(
                "program '{}': program type {} is verified but cannot run here",
                p.name, p.prog_type
            ));
        }
    }
    for m in obj
        .maps
        .iter()
        .filter(|m| m.def.map_type.runtime().is_none())
    {
        out.push(format!(
            "map '{}': {} is verified but the runtime has no such map",
            m.name, m.def.map_type
        ));
    }
    for m in &obj.maps {
        let Some(template) = m.inner_map.map(|t| &obj.maps[t]) else {
            continue;
        };
        let nested = template.def.map_type.runtime().filter(|t| {
            t.is_map_of_maps() || t.is_event_output() || *t == crate::object::MapType::ProgArray
        });
        if let Some(t) = nested {
            out.push(format!(
                "map '{}': its inner maps are {t}s, which the runtime cannot put in a map of maps",
                m.name
            ));
        }
    }
    let mut missing_helpers = BTreeSet::new();
    let mut legacy_loads = BTreeSet::new();
    for p in &obj.programs {
        // Linux gives legacy packet loads to the programs that read struct __sk_buff, and
        // the translation reads the packet through their context.
        let loads_run = p.prog_type.runtime().is_some_and(|t| t.reads_sk_buff());
        for f in obj.reachable_functions(p.entry) {
            let func = &obj.functions[f];
            for (pc, insn) in func.insns.iter().enumerate() {
                if insn.is_call() && insn.src == 0 && insn.imm > 0 {
                    let id = insn.imm as u32;
                    if !helpers.is_available(id) {
                        missing_helpers.insert(id);
                    }
                }
                let mode = insn.opcode & 0xe0;
                if insn.class() == BPF_LD && (mode == BPF_ABS || mode == BPF_IND) && !loads_run {
                    legacy_loads.insert(format!("{}+{pc}", func.name));
                }
            }
        }
    }
    for id in missing_helpers {
        let name = bpf2c_abi::helper::linux_name(id).unwrap_or("an unknown helper");
        out.push(format!(
            "helper {id} ({name}) is not provided by this runtime: provide it as a custom helper"
        ));
    }
    if !legacy_loads.is_empty() {
        let at: Vec<String> = legacy_loads.into_iter().collect();
        out.push(format!(
            "legacy packet loads (LD_ABS/LD_IND, at {}) run only in programs that read \
             struct __sk_buff (socket filters, tc, cgroup skb)",
            at.join(", ")
        ));
    }
    out
}

/// [`missing_pieces`] as one error naming the object, or Ok when the runtime can run it.
pub fn check_runnable(obj: &Object, helpers: &HelperSet) -> Result<()> {
    let missing = missing_pieces(obj, helpers);
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::new(
        Location::file(&obj.path),
        format!("the runtime cannot run this object: {}", missing.join("; ")),
    ))
}
