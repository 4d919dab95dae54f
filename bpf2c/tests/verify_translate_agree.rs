//! Verification's verdict is the truth about the whole pipeline: over every object of the
//! repository, every program verifies exactly when the object translates, and where
//! translation refuses, verification refused at the same instruction for the same reason.
//!
//! Translation is tried two ways: through the driver (`gen` and `run`), which must never
//! fail after verification succeeded, and by code generation straight from the facts of
//! PREVAIL's proofs, which must refuse exactly what verification refused.
//!
//! One exception is by design: verification accepts every Linux program type, map type and
//! helper, the runtime runs a few. An object that verifies but needs what the runtime lacks is
//! refused by the driver with exactly `runnable::check_runnable`'s error, naming every piece.

use crate::support;

use std::path::PathBuf;

use bpf2c::codegen::{self, CodegenOptions, Source};
use bpf2c::driver::{translate, TranslateError, TranslateOptions};
use bpf2c::facts::ModuleFacts;
use bpf2c::object::validate::validate_object;
use bpf2c::object::{load_file, InputFormat, Object};
use bpf2c::verify::{verify_object, ProgramVerdict, VerifyOptions};
use support::{example_object_dirs, helpers_for, objects_in, repo};

/// Every object of the test corpus and the examples.
fn corpus() -> Vec<PathBuf> {
    let mut dirs: Vec<String> = [
        "tests/bpf",
        "tests/bpf/reject",
        "tests/bpf/facts",
        "tests/bpf/opt",
        "tests/bpf/kdiff",
    ]
    .map(String::from)
    .to_vec();
    dirs.extend(example_object_dirs());
    dirs.iter().flat_map(|d| objects_in(d)).collect()
}

/// What happened to one object, or why the property does not hold for it.
fn check(obj: &Object, opts: &VerifyOptions) -> Result<Outcome, String> {
    let verdicts = verify_object(obj, opts);
    let verified = verdicts.iter().all(|v| v.verified);
    let runnable = bpf2c::runnable::check_runnable(obj, &opts.helpers);

    // The driver: verification first, then C. A refusal must come from verification.
    let driver = translate(
        obj,
        &TranslateOptions {
            verify_options: opts.clone(),
            ..TranslateOptions::default()
        },
    );
    if let (true, Err(missing)) = (verified, &runnable) {
        return match &driver {
            Err(TranslateError::Codegen(e)) if e == missing => Ok(Outcome::VerifiedNotRunnable),
            other => Err(format!(
                "verified but not runnable ({missing}), yet the driver gave {:?}",
                other.as_ref().map(|_| "C")
            )),
        };
    }
    match (&driver, verified) {
        (Ok(_), true) | (Err(TranslateError::Refused(_)), false) => {}
        (Ok(_), false) => return Err("verification refused it, but the driver translated".into()),
        (Err(TranslateError::Refused(_)), true) => {
            return Err("the driver refused what verify_object verified".into())
        }
        (Err(TranslateError::Codegen(e)), _) => {
            return Err(format!("verified, but translation refused: {e}"))
        }
    }

    // Code generation from PREVAIL's facts, when PREVAIL proved every program: it must refuse
    // exactly when verification did, at one of verification's instructions, in its words.
    if verdicts.iter().any(|v| v.facts.is_none()) {
        return Ok(Outcome::RefusedByPrevail);
    }
    let facts = ModuleFacts::from_programs(verdicts.iter().filter_map(|v| v.facts.as_ref()));
    let options = CodegenOptions {
        optimize: true,
        ..CodegenOptions::default()
    };
    // PREVAIL's facts, also where translation refused: what code generation makes of them
    // without a Verified proof, which only a full pass gives.
    let source = |object| Source::Unverified {
        object,
        facts: Some(&facts),
    };
    let generated = validate_object(obj).and_then(|v| codegen::generate(source(v), &options));
    match (generated, verified) {
        (Ok(_), true) => Ok(Outcome::Translated),
        (Ok(_), false) => Err("verification refused it, but code generation translated".into()),
        (Err(e), true) => Err(format!("verified, but code generation refused: {e}")),
        (Err(e), false) => {
            let same = |v: &ProgramVerdict| {
                v.diagnostics.iter().any(|d| {
                    d.message == e.message
                        && d.function == e.location.function
                        && d.section == e.location.section
                        && d.insn == e.location.insn
                })
            };
            if verdicts.iter().any(same) {
                Ok(Outcome::RefusedForTranslation)
            } else {
                Err(format!(
                    "code generation refused for a reason verification does not give: {e}"
                ))
            }
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Translated,
    RefusedByPrevail,
    /// PREVAIL proved every program, and translation (so verification) refused one.
    RefusedForTranslation,
    /// Verified, but the runtime lacks a program type, map type, helper or instruction it
    /// needs; gen and run say which.
    VerifiedNotRunnable,
}

#[test]
fn every_object_verifies_exactly_when_it_translates() {
    let mut outcomes = Vec::new();
    let mut failures = Vec::new();
    for path in corpus() {
        let name = path
            .strip_prefix(repo())
            .unwrap_or(&path)
            .display()
            .to_string();
        // Objects the loader refuses (err_*) reach neither stage.
        let Ok(obj) = load_file(&path, InputFormat::Elf) else {
            continue;
        };
        let opts = VerifyOptions {
            helpers: helpers_for(&path),
            ..VerifyOptions::default()
        };
        match check(&obj, &opts) {
            Ok(outcome) => outcomes.push((name, outcome)),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The corpus holds each kind, so the property was put to the test both ways.
    let count = |o: Outcome| outcomes.iter().filter(|(_, x)| *x == o).count();
    assert!(count(Outcome::Translated) >= 20, "{outcomes:?}");
    assert!(count(Outcome::RefusedByPrevail) >= 4, "{outcomes:?}");
    let for_translation: Vec<&str> = outcomes
        .iter()
        .filter(|(_, o)| *o == Outcome::RefusedForTranslation)
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(
        for_translation,
        [
            "tests/bpf/fail_shared_context.o",
            "tests/bpf/reject/context.o",
            "tests/bpf/reject/map_of_maps.o",
            "tests/bpf/reject/skb_readonly.o"
        ]
    );
    let not_runnable: Vec<&str> = outcomes
        .iter()
        .filter(|(_, o)| *o == Outcome::VerifiedNotRunnable)
        .map(|(n, _)| n.as_str())
        .collect();
    for name in ["tests/bpf/sections.o", "tests/bpf/tracing_helpers.o"] {
        assert!(not_runnable.contains(&name), "{name}: {outcomes:?}");
    }
}

/// Programs that verify alone but not together: each is refused at the shared load, for the
/// reason code generation gives, and a program that shares nothing is judged alone.
#[test]
fn programs_sharing_a_function_are_judged_together() {
    let obj = support::load("tests/bpf/fail_shared_context.o");
    for p in 0..obj.programs.len() {
        let alone = bpf2c::verify::verify_program(&obj, p, &VerifyOptions::default());
        assert!(
            alone.verified,
            "{}: {:#?}",
            alone.program, alone.diagnostics
        );
    }
    let verdicts = verify_object(&obj, &VerifyOptions::default());
    let at: Vec<(&str, &str, Option<usize>)> = verdicts
        .iter()
        .flat_map(|v| {
            v.diagnostics
                .iter()
                .map(|d| (d.program.as_str(), d.function.as_deref().unwrap(), d.insn))
        })
        .collect();
    assert_eq!(
        at,
        [
            ("from_context", "word_12", Some(0)),
            ("from_stack", "word_12", Some(0)),
            ("xdp_word", "word_16", Some(0)),
            ("raw_word", "word_16", Some(0)),
        ]
    );
    let line = support::marker_line("tests/bpf/fail_shared_context.c", "SHARED(word_12)");
    let d = &verdicts[0].diagnostics[0];
    assert_eq!(d.source.as_ref().map(|s| s.line), Some(line));
    assert_eq!(d.disasm.as_deref(), Some("r0 = *(u32 *)(r1 + 12)"));
    assert!(d
        .message
        .starts_with("the base register points into the context on some paths"));

    // Selecting one program still judges it with the programs it shares word_12 with, but
    // not with those of word_16.
    let from_stack = support::program_index(&obj, "from_stack");
    let selected = bpf2c::verify::verify_programs(&obj, &[from_stack], &VerifyOptions::default());
    assert_eq!(selected.len(), 1);
    assert_eq!(selected[0].diagnostics, verdicts[from_stack].diagnostics);

    // Translation stops at the first of those instructions, in the same words.
    let facts = ModuleFacts::from_programs(verdicts.iter().filter_map(|v| v.facts.as_ref()));
    let source = Source::Unverified {
        object: validate_object(&obj).unwrap(),
        facts: Some(&facts),
    };
    let e = codegen::generate(source, &CodegenOptions::default()).unwrap_err();
    assert_eq!(e.message, d.message);
    assert_eq!(e.location.function.as_deref(), Some("word_12"));
    assert_eq!(e.location.insn, Some(0));
}
