//! The eBPF conformance suite, translated to C, built with gcc and clang (with the undefined
//! behaviour and address sanitizers, warnings as errors) and run: every test's r0 must equal
//! its expected result.

use crate::common;

use std::path::PathBuf;

use common::{build_and_run, compilers, keep_sources, raw_case, Case};

struct Test {
    name: String,
    program: Vec<u8>,
    memory: Vec<u8>,
    result: u64,
}

fn tests_file() -> PathBuf {
    common::manifest_dir().join("../tests/conformance/tests.jsonl")
}

fn load_tests() -> Option<Vec<Test>> {
    let path = tests_file();
    // The suite is committed with the repository; a missing file is a broken checkout.
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read the conformance suite {}: {e}", path.display()));
    let mut tests = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}", n + 1));
        let field = |k: &str| {
            v[k].as_str()
                .unwrap_or_else(|| panic!("line {}: {k}", n + 1))
        };
        tests.push(Test {
            name: field("name").to_string(),
            program: hex::decode(field("program")).expect("program hex"),
            memory: hex::decode(field("memory")).expect("memory hex"),
            result: field("result").parse().expect("result is a u64"),
        });
    }
    Some(tests)
}

#[test]
fn conformance_suite_runs_natively() {
    let Some(tests) = load_tests() else {
        return;
    };
    assert_eq!(tests.len(), 218, "the suite holds 218 tests");

    let mut failures = Vec::new();
    let mut cases: Vec<Case> = Vec::new();
    for t in &tests {
        match raw_case(&t.name, &t.program, &t.memory) {
            Ok(c) => cases.push(c),
            Err(e) => failures.push(e),
        }
    }
    keep_sources(&cases);

    for cc in compilers() {
        let run = match build_and_run(cc, &cases, 1_000_000) {
            Ok(run) => run,
            Err(e) => panic!("{cc}: {e}"),
        };
        if let Some(f) = &run.failure {
            failures.push(format!("{cc}: {f}"));
        }
        let mut passed = 0;
        for t in &tests {
            match run.outcomes.get(&t.name) {
                Some(o) if o.r0 == t.result && o.unwind == 0 => passed += 1,
                Some(o) => failures.push(format!(
                    "{cc}: {}: r0 = {:#x} (unwind {}), expected {:#x}",
                    t.name, o.r0, o.unwind, t.result
                )),
                None => failures.push(format!("{cc}: {}: no result", t.name)),
            }
        }
        println!("{cc}: {passed}/{} conformance tests passed", tests.len());
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn translation_is_deterministic() {
    let Some(tests) = load_tests() else {
        return;
    };
    for t in &tests {
        let a = raw_case(&t.name, &t.program, &t.memory).unwrap();
        let b = raw_case(&t.name, &t.program, &t.memory).unwrap();
        assert_eq!(a.c_source, b.c_source, "{}", t.name);
    }
}
