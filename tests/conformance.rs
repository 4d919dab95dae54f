//! The conformance suite through the whole pipeline: bytecode -> C (unverified, raw program
//! type) -> the host C compiler -> shared libraries -> bpf2c-runtime. Every test must pass;
//! none is skipped. A handful also go through the `cargo bpf2c plugin` protocol.

use std::time::Instant;

use bpf2c_runtime::{Instance, Options, TraceSink};
use bpf2c_tests::cc::{build_shared_libraries, Unit};
use bpf2c_tests::conformance::{
    load_suite, program_name, spaced_hex, translate_case, Case, SUITE_SIZE,
};
use bpf2c_tests::{cli, pipeline, report};

fn run_case(case: &Case, library: &std::path::Path, symbol: &str) -> Result<u64, String> {
    let image = pipeline::load_image(library, symbol);
    let options = Options::default().trace_sink(TraceSink::Discard);
    // SAFETY: ISA tests are not verifiable, so the module is unverified; but each test only
    // touches its 512-byte stack and the memory buffer it is run with below, as the suite's
    // execution contract says (tests/conformance/README.md) and tests/toolchains.rs checks
    // by running every one under -fsanitize=address.
    let instance = unsafe { Instance::new_unverified(image, options) }
        .map_err(|e| format!("instance: {e}"))?;
    let prog = instance
        .program(&program_name(case))
        .map_err(|e| format!("program: {e}"))?;
    let mut memory = case.memory.clone();
    instance
        .run_raw(&prog, &mut memory)
        .map_err(|e| format!("run: {e}"))
}

#[test]
fn every_conformance_test_passes_natively() {
    let started = Instant::now();
    let cases = load_suite();
    assert_eq!(
        cases.len(),
        SUITE_SIZE,
        "the suite must hold {SUITE_SIZE} tests"
    );

    let mut units: Vec<Unit> = Vec::new();
    let mut symbols = Vec::new();
    let mut outcomes: Vec<Option<Result<u64, String>>> = vec![None; cases.len()];
    for (i, case) in cases.iter().enumerate() {
        match translate_case(i, case) {
            Ok((symbol, unit)) => {
                symbols.push((i, symbol));
                units.push(unit);
            }
            Err(e) => outcomes[i] = Some(Err(e)),
        }
    }
    let libraries = build_shared_libraries(&units)
        .unwrap_or_else(|e| panic!("compiling the conformance modules failed:\n{e}"));
    let compiled = started.elapsed();

    for ((i, symbol), library) in symbols.iter().zip(&libraries) {
        outcomes[*i] = Some(run_case(&cases[*i], library, symbol));
    }

    let mut passed = 0;
    let mut failed = Vec::new();
    for (case, outcome) in cases.iter().zip(&outcomes) {
        let (ok, line) = match outcome.as_ref().expect("every case has an outcome") {
            Ok(r0) if *r0 == case.result => (
                true,
                format!("conformance {} ... ok (r0 = {r0:#x})", case.name),
            ),
            Ok(r0) => (
                false,
                format!(
                    "conformance {} ... FAILED: r0 = {r0:#x}, expected {:#x}",
                    case.name, case.result
                ),
            ),
            Err(e) => (false, format!("conformance {} ... FAILED: {e}", case.name)),
        };
        println!("{line}");
        if ok {
            passed += 1;
        } else {
            failed.push(line);
        }
    }
    let summary = format!(
        "conformance summary: {passed} of {} passed, {} failed, 0 skipped \
         (translate + compile {:.1?}, total {:.1?})",
        cases.len(),
        failed.len(),
        compiled,
        started.elapsed()
    );
    println!("{summary}");
    report(&summary);
    assert!(
        failed.is_empty(),
        "{} conformance test(s) failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
    assert_eq!(passed, SUITE_SIZE);
}

/// The bpf_conformance plugin protocol: program bytes as space-separated hex on stdin, the
/// memory as the argument, r0 in hex on stdout.
#[test]
fn plugin_protocol_gives_the_expected_r0() {
    let cases = load_suite();
    // A local call that must preserve r6-r9, memory reads and writes, a 64-bit immediate,
    // a helper call, atomics and division by zero.
    let wanted = [
        "call_local",
        "ldxb",
        "stxdw",
        "lddw",
        "call_unwind_fail",
        "lock_fetch_add",
        "div64-by-zero-reg",
    ];
    let mut checked = 0;
    for name in wanted {
        let case = cases
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("the suite has no test named {name}"));
        let mut args = vec!["plugin"];
        let memory = spaced_hex(&case.memory);
        if !case.memory.is_empty() {
            args.push(&memory);
        }
        let out = cli::run_with_stdin(&args, &format!("{}\n", spaced_hex(&case.program)));
        let (stdout, stderr) = cli::texts(&out);
        assert!(
            out.status.success(),
            "plugin failed on {name} ({}):\n{stderr}",
            out.status
        );
        let text = stdout.trim();
        let digits = text.strip_prefix("0x").unwrap_or(text);
        let r0 = u64::from_str_radix(digits, 16)
            .unwrap_or_else(|e| panic!("{name}: plugin printed '{text}', not hex: {e}"));
        assert_eq!(r0, case.result, "{name}: r0 from the plugin");
        println!("plugin {name} ... ok (r0 = {r0:#x})");
        checked += 1;
    }
    assert_eq!(checked, wanted.len());

    // The protocol's error path: bytes that are not a program give a non-zero exit and a
    // message, not a panic.
    let out = cli::run_with_stdin(&["plugin"], "95 00 00\n");
    let (_, stderr) = cli::texts(&out);
    assert!(!out.status.success(), "a truncated program must fail");
    assert!(stderr.contains("error"), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
}

/// The committed copy must not drift from the workplace's suite, where that is at hand
/// (`../shared/conformance` beside the checkout).
#[test]
fn committed_suite_matches_the_shared_one() {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/conformance/tests.jsonl");
    let Ok(shared) = std::fs::read(&shared) else {
        println!("{} is absent: nothing to compare", shared.display());
        return;
    };
    let ours = std::fs::read(bpf2c_tests::conformance::suite_path()).unwrap();
    assert!(
        ours == shared,
        "tests/conformance/tests.jsonl differs from shared/conformance"
    );
}
