//! The accept suite: every program of every example and test object in the repository
//! verifies, except the `err_*` objects, which the loader must refuse before verification,
//! and the `fail_*` objects, which load but must fail verification. Example objects are
//! verified with the helpers their package declares in `[package.metadata.bpf2c]`.
//! Objects added later under `tests/bpf/`, `tests/bpf/facts/` or `examples/*/bpf/` join the
//! suite without a change here.

mod support;

use std::path::PathBuf;

use bpf2c::facts::InsnRef;
use bpf2c::object::{load_file, InputFormat};
use bpf2c::verify::{verify_object, VerifyOptions};
use support::{helpers_for, objects_in, repo};

/// What the suite expects of an object, from its name.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Expect {
    Verifies,
    /// `err_*`: refused by the loader.
    LoadError,
    /// `fail_*`: loads, fails verification.
    Refused,
}

/// Every object the suite covers, and what it must do.
fn corpus() -> Vec<(PathBuf, Expect)> {
    let mut dirs = vec!["tests/bpf".to_string(), "tests/bpf/facts".to_string()];
    if let Ok(examples) = std::fs::read_dir(repo().join("examples")) {
        let mut found: Vec<String> = examples
            .filter_map(|e| e.ok())
            .map(|e| format!("examples/{}/bpf", e.file_name().to_string_lossy()))
            .collect();
        found.sort();
        dirs.extend(found);
    }
    dirs.iter()
        .flat_map(|d| objects_in(d))
        .map(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            // Objects that used to be refused whole and now load for verification: their
            // programs verify (kprobe, ring buffer, LD_ABS) or are refused one by one (CO-RE).
            let verifies_now = ["err_section.o", "err_ringbuf.o"];
            let expect = if name == "maps_only.o" {
                // An object without any program is an error.
                Expect::LoadError
            } else if name == "err_core.o" || name == "err_ld_abs.o" {
                Expect::Refused
            } else if verifies_now.contains(&name.as_str()) {
                Expect::Verifies
            } else if name.starts_with("err_") {
                Expect::LoadError
            } else if name.starts_with("fail_") {
                Expect::Refused
            } else {
                Expect::Verifies
            };
            (p, expect)
        })
        .collect()
}

#[test]
fn every_program_of_every_object_verifies() {
    let corpus = corpus();
    assert!(
        corpus
            .iter()
            .filter(|(_, e)| *e == Expect::Verifies)
            .count()
            >= 15,
        "the corpus looks incomplete: {corpus:?}"
    );
    let mut failures = Vec::new();
    let mut programs = 0;
    for (path, _) in corpus.iter().filter(|(_, e)| *e == Expect::Verifies) {
        let obj = match load_file(path, InputFormat::Elf) {
            Ok(o) => o,
            Err(e) => {
                failures.push(format!("{}: does not load: {e}", path.display()));
                continue;
            }
        };
        let opts = VerifyOptions {
            helpers: helpers_for(path),
            ..VerifyOptions::default()
        };
        for v in verify_object(&obj, &opts) {
            programs += 1;
            if !v.verified {
                let why: Vec<String> = v.diagnostics.iter().map(|d| d.to_string()).collect();
                failures.push(why.join("\n"));
                continue;
            }
            assert!(v.diagnostics.is_empty());
            // A verified program has facts, and its first instruction is reached.
            let facts = v.facts.as_ref().expect("facts of a verified program");
            let entry = obj.program(&v.program).unwrap().entry;
            let first = InsnRef {
                function: entry,
                insn: 0,
            };
            assert!(
                facts.insns[&first].reached,
                "{}: entry unreached",
                v.program
            );
            assert!(v.instructions > 0);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(programs >= 40, "only {programs} programs verified");
}

#[test]
fn err_objects_fail_to_load_with_a_located_reason() {
    let errs: Vec<PathBuf> = corpus()
        .into_iter()
        .filter_map(|(p, e)| (e == Expect::LoadError).then_some(p))
        .collect();
    assert!(errs.len() >= 6, "{errs:?}");
    for path in errs {
        match load_file(&path, InputFormat::Elf) {
            // A problem confined to one program refuses that program, located.
            Ok(obj) => {
                let refusal = obj.programs.iter().find_map(|p| p.refusal.as_ref());
                let e = refusal.unwrap_or_else(|| panic!("{}: nothing refused", path.display()));
                assert!(
                    e.location.section.is_some() && e.location.function.is_some(),
                    "{e}"
                );
            }
            Err(e) => {
                assert_eq!(e.location.file, path);
                assert!(!e.message.is_empty());
                // "no program at all" concerns the whole object, not a section.
                assert!(
                    e.location.section.is_some() || e.message.contains("holds no program"),
                    "{}: the error names no section: {e}",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn fail_objects_load_but_fail_verification() {
    let fails: Vec<PathBuf> = corpus()
        .into_iter()
        .filter_map(|(p, e)| (e == Expect::Refused).then_some(p))
        .collect();
    assert!(fails.len() >= 2, "{fails:?}");
    for path in fails {
        let obj = load_file(&path, InputFormat::Elf).unwrap();
        let verdicts = verify_object(&obj, &VerifyOptions::default());
        assert!(
            verdicts
                .iter()
                .any(|v| !v.verified && v.diagnostics.iter().any(|d| d.insn.is_some())),
            "{}: expected a located verification failure",
            path.display()
        );
    }
}
