//! The translation check: what PREVAIL proves safe but translation cannot carry out is
//! refused at verification too, for translation's own reason, so that a program that
//! verifies always translates.
//!
//! What translation refuses after a successful proof is context accesses of programs with a
//! context struct ([`crate::context_check`], the check code generation runs). Code generation translates a
//! function once for all the programs that run it, under the facts joined over them, so
//! besides each program's own check there is one over the programs of an object together:
//! two programs may each translate alone but not together, as when one gives a shared
//! subprogram the context and the other a stack buffer.

use std::collections::BTreeMap;

use super::{Diagnostic, ProgramVerdict};
use crate::context_check::{untranslatable, ContextUser, FunctionContext};
use crate::facts::{ModuleFacts, ProgramFacts};
use crate::object::Object;

/// Why program `prog`, whose facts are `facts`, cannot be translated: one diagnostic per
/// refused instruction, none when it can.
pub(super) fn check_program(obj: &Object, prog: usize, facts: &ProgramFacts) -> Vec<Diagnostic> {
    let program = &obj.programs[prog];
    let Some(user) = ContextUser::of_program(program) else {
        return Vec::new();
    };
    // The program alone: each of its functions serves its context only.
    let own = FunctionContext::of_users(vec![user]);
    let contexts = vec![own; obj.functions.len()];
    untranslatable(
        obj,
        obj.reachable_functions(program.entry),
        &contexts,
        &facts.insns,
    )
    .into_iter()
    .map(|(at, reason)| Diagnostic::untranslatable(obj, &program.name, at, &reason))
    .collect()
}

/// Refuses, in `verdicts` (by program index), the programs that translate alone but not
/// together with the others: every program whose proof reaches an instruction that the
/// joined facts make untranslatable. Programs PREVAIL refused have no facts and take no
/// part.
pub(super) fn check_together(obj: &Object, verdicts: &mut BTreeMap<usize, ProgramVerdict>) {
    let module = ModuleFacts::from_programs(verdicts.values().filter_map(|v| v.facts.as_ref()));
    let contexts = FunctionContext::of_functions(obj);
    let functions = (0..obj.functions.len()).filter(|&f| contexts[f].has_struct());
    for (at, reason) in untranslatable(obj, functions, &contexts, &module.insns) {
        let function = &obj.functions[at.function].name;
        for v in verdicts.values_mut() {
            let reached = v
                .facts
                .as_ref()
                .and_then(|f| f.insns.get(&at))
                .is_some_and(|f| f.reached);
            // The program's own check may have refused the instruction already.
            let known = v
                .diagnostics
                .iter()
                .any(|d| d.function.as_ref() == Some(function) && d.insn == Some(at.insn));
            if reached && !known {
                let program = v.program.clone();
                v.diagnostics
                    .push(Diagnostic::untranslatable(obj, &program, at, &reason));
                v.verified = false;
            }
        }
    }
}
