//! The plan as a list a person can read: one row per call site of a helper the optimizer
//! considers (the map helpers and `bpf_get_prandom_u32`) per program that runs it. A subprogram shared by two programs appears under both, with the same decision,
//! since both run the same generated code.

use super::{Decision, Plan};
use crate::insn::standard_helper_name;
use crate::object::Object;

/// One call site as one program sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallSiteReport {
    pub program: String,
    /// Symbol of the eBPF function holding the call: the program's own name for its main
    /// body, or the subprogram's.
    pub function: String,
    /// Instruction index within `function`.
    pub insn: usize,
    /// `file:line` from BTF line info, when recorded.
    pub line: Option<String>,
    /// The text of that source line, when recorded.
    pub source: Option<String>,
    /// The helper's name, e.g. `bpf_map_lookup_elem`.
    pub helper: String,
    /// Whether the helper takes a map in r1 (so `maps` says what is known about it).
    pub map_helper: bool,
    /// Names of the maps r1 may hold (empty when not proven to be maps of the object).
    pub maps: Vec<String>,
    pub decision: Decision,
    /// Why the call falls back to the helper; None when it does not.
    pub reason: Option<String>,
    /// What the optimized code does; None for helper calls.
    pub detail: Option<String>,
}

/// Every planned call site of every program, in program order, then in the order the
/// program's functions are laid out (entry first), then by instruction.
pub fn call_sites(obj: &Object, plan: &Plan) -> Vec<CallSiteReport> {
    let mut out = Vec::new();
    for p in &obj.programs {
        if p.entry >= obj.functions.len() {
            continue;
        }
        for fid in obj.reachable_functions(p.entry) {
            let f = &obj.functions[fid];
            for (at, site) in plan.sites.range(
                crate::object::InsnRef {
                    function: fid,
                    insn: 0,
                }..crate::object::InsnRef {
                    function: fid,
                    insn: usize::MAX,
                },
            ) {
                let li = f.line_at(at.insn).filter(|l| l.line != 0);
                out.push(CallSiteReport {
                    program: p.name.clone(),
                    function: f.name.clone(),
                    insn: at.insn,
                    line: li.map(|l| format!("{}:{}", l.file, l.line)),
                    source: li
                        .map(|l| l.source.trim().to_string())
                        .filter(|s| !s.is_empty()),
                    helper: standard_helper_name(site.helper as i32)
                        .unwrap_or("?")
                        .to_string(),
                    map_helper: crate::helpers::takes_map_and_key(site.helper),
                    maps: site
                        .maps
                        .iter()
                        .flatten()
                        .map(|&m| obj.maps[m].name.clone())
                        .collect(),
                    decision: site.decision(),
                    reason: site.reason().map(str::to_string),
                    detail: site.detail(obj),
                });
            }
        }
    }
    out
}
