//! Programs may look maps of maps up, never change them: Linux's verifier allows only
//! `bpf_map_lookup_elem` on an ARRAY_OF_MAPS or HASH_OF_MAPS (its inner maps are the host's
//! to set). PREVAIL does not check that, so verification checks it on the proof's facts, and
//! code generation refuses the same calls in the same words.

use crate::facts::{InsnFacts, ProgramFacts};
use crate::helpers::id;
use crate::insn::Insn;
use crate::object::Object;

use super::Diagnostic;

/// Why the helper call `insn`, with facts `facts`, may not run: an update or delete whose
/// map may be a map of maps. None for every other instruction.
pub(crate) fn refusal(obj: &Object, insn: &Insn, facts: Option<&InsnFacts>) -> Option<String> {
    let facts = facts.filter(|f| f.reached)?;
    let maps = facts.map_call.as_ref()?.maps.as_ref()?;
    let helper = match u32::try_from(insn.imm).ok()? {
        id::MAP_UPDATE_ELEM => "bpf_map_update_elem",
        id::MAP_DELETE_ELEM => "bpf_map_delete_elem",
        _ => return None,
    };
    let outer = maps
        .iter()
        .map(|&m| &obj.maps[m])
        .find(|m| m.def.map_type.runtime().is_some_and(|t| t.is_map_of_maps()))?;
    Some(format!(
        "{helper} on map '{}', a {}: programs may only look maps of maps up, as in Linux; the \
         host sets their inner maps",
        outer.name, outer.def.map_type
    ))
}

/// One diagnostic per instruction of program `prog` that [`refusal`] refuses.
pub(super) fn changes_from_programs(
    obj: &Object,
    prog: usize,
    facts: &ProgramFacts,
) -> Vec<Diagnostic> {
    let program = &obj.programs[prog];
    let mut out = Vec::new();
    for (&at, f) in &facts.insns {
        let Some(insn) = obj.functions[at.function].insns.get(at.insn) else {
            continue;
        };
        if let Some(reason) = refusal(obj, insn, Some(f)) {
            out.push(Diagnostic::untranslatable(obj, &program.name, at, &reason));
        }
    }
    out
}
