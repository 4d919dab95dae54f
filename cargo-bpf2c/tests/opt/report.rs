//! `cargo bpf2c report`: one row per map helper call site per program, with the decision
//! and the reason for every fallback, in human and JSON form; `--no-opt` on report, gen and
//! run. The rows must be the plan the C carries out.

use std::process::Command;

use bpf2c::optimize::report::call_sites;
use serde_json::Value;

use super::common::{load, path, translate_obj, SYMBOL};

fn cargo_bpf2c(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-bpf2c"))
        .current_dir(super::common::repo())
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json_rows(args: &[&str]) -> Vec<Value> {
    let mut all = vec!["bpf2c", "report", "--message-format", "json", "-q"];
    all.extend_from_slice(args);
    let (ok, stdout, stderr) = cargo_bpf2c(&all);
    assert!(ok, "{stderr}");
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

fn row<'a>(rows: &'a [Value], program: &str, function: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["program"] == program && r["function"] == function)
        .unwrap_or_else(|| panic!("no row for {program}/{function}"))
}

#[test]
fn json_rows_name_program_function_maps_decision_and_reason() {
    let rows = json_rows(&["tests/bpf/opt/shared_sites.o"]);
    // both_maps: one site, in the subprogram; other_twice and other_again each list the
    // shared read_other; select_map its own.
    assert_eq!(rows.len(), 4, "{rows:#?}");
    let r = row(&rows, "both_maps", "read_from");
    assert_eq!(r["kind"], "call-site");
    assert_eq!(r["decision"], "helper");
    assert_eq!(r["reason"], "r1 may be one of 2 maps: left, right");
    assert_eq!(r["maps"], serde_json::json!(["left", "right"]));
    assert_eq!(r["helper"], "bpf_map_lookup_elem");
    assert!(r["insn"].as_u64().is_some());
    assert!(
        r["line"].as_str().unwrap().ends_with("shared_sites.c:38"),
        "{}",
        r["line"]
    );
    for program in ["other_twice", "other_again"] {
        let r = row(&rows, program, "read_other");
        assert_eq!(r["decision"], "inlined");
        assert_eq!(r["reason"], Value::Null);
        assert_eq!(r["maps"], serde_json::json!(["other"]));
        assert_eq!(
            r["detail"],
            "the element address; key checked against 4 entries"
        );
    }
    let r = row(&rows, "select_map", "select_map");
    assert_eq!(r["decision"], "helper");

    let rows = json_rows(&["tests/bpf/opt/percpu_hash.o"]);
    let update = row(&rows, "hash_put", "hash_put");
    assert_eq!(
        update["reason"],
        "map type HASH has no inline form for update"
    );
    assert_eq!(row(&rows, "hash_get", "hash_get")["decision"], "direct");
    assert_eq!(row(&rows, "pcpu_add", "pcpu_add")["decision"], "inlined");

    let rows = json_rows(&["--no-opt", "tests/bpf/opt/percpu_hash.o"]);
    assert_eq!(rows.len(), 8);
    for r in &rows {
        assert_eq!(r["decision"], "helper");
        assert_eq!(r["reason"], "optimizations disabled (--no-opt)");
    }
}

/// The report is computed from the same plan as the C: every row agrees with the comment
/// the code generator put at that call.
#[test]
fn report_rows_are_what_the_generated_c_does() {
    for rel in [
        "tests/bpf/opt/array_inline.o",
        "tests/bpf/opt/shared_sites.o",
        "tests/bpf/opt/percpu_hash.o",
        "tests/bpf/maps_basic.o",
    ] {
        let obj = load(rel);
        let t = translate_obj(&obj, true, SYMBOL);
        let rows = call_sites(&obj, &t.plan);
        assert!(!rows.is_empty());
        let c = &t.c_source;
        for r in &rows {
            let fid = obj
                .functions
                .iter()
                .position(|f| f.name == r.function)
                .unwrap();
            // The statement after the instruction's comment in this function's C body.
            let body = &c[c.find(&format!("/* Function {fid}: ")).unwrap()..];
            let at = body.find(&format!("    /* {}: call ", r.insn)).unwrap();
            let stmt = body[at..].lines().nth(1).unwrap();
            let stmt = if stmt.starts_with("#line") {
                body[at..].lines().nth(2).unwrap()
            } else {
                stmt
            };
            let want = match r.decision.name() {
                "inlined" => "inlined: ",
                "direct" => "direct: ",
                _ => "rt->helpers[",
            };
            assert!(
                stmt.contains(want),
                "{rel} {}+{}: {stmt}",
                r.function,
                r.insn
            );
        }
    }
}

#[test]
fn human_report_and_no_opt_switches() {
    let (ok, stdout, stderr) = cargo_bpf2c(&["bpf2c", "report", "tests/bpf/opt/shared_sites.o"]);
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with(
        "tests/bpf/opt/shared_sites.o: optimization on; 4 optimizable call site(s) over 4 \
         program(s): 2 inlined, 0 direct, 2 helper"
    ));
    assert!(stdout.contains("program 'both_maps' (section raw, raw)"));
    let line = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("read_from+"))
        .unwrap();
    assert!(
        line.contains("bpf_map_lookup_elem(left | right)")
            && line.contains("helper")
            && line.ends_with("r1 may be one of 2 maps: left, right"),
        "{line}"
    );

    // gen --no-opt: no inlined code, no assumptions; gen without: both.
    let obj = path("tests/bpf/opt/array_inline.o");
    let obj = obj.to_str().unwrap();
    let (ok, on, _) = cargo_bpf2c(&["bpf2c", "gen", "-q", obj]);
    assert!(ok);
    let (ok, off, _) = cargo_bpf2c(&["bpf2c", "gen", "-q", "--no-opt", obj]);
    assert!(ok);
    assert!(on.contains("inlined: values") && on.contains("bpf2c_map_assumptions"));
    assert!(!off.contains("inlined:") && !off.contains("bpf2c_map_assumptions"));
    assert!(off.contains(" * Optimization: off\n"));

    // run --no-opt and run agree on a value read through either path.
    for extra in [&[][..], &["--no-opt"][..]] {
        let mut args = vec![
            "bpf2c",
            "run",
            "-q",
            obj,
            "--program",
            "read_const",
            "--data-hex",
            "000000",
        ];
        args.extend_from_slice(extra);
        let (ok, stdout, stderr) = cargo_bpf2c(&args);
        assert!(ok, "{stderr}");
        let v: Value = serde_json::from_str(stdout.trim()).unwrap();
        assert_eq!(v["retval"], 3, "{extra:?}: values[5] is 0, plus len 3");
    }
}
