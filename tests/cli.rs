//! The `cargo bpf2c` command line on the eBPF corpus: `run` and its JSON output (with
//! --maps-in, --maps-out, --repeat, --seed, --loop-budget), `verify`, `gen`, and the error
//! paths: every `tests/bpf/err_*.o` must fail with a message naming the file, the place and
//! the construct, never with a panic.

use std::path::Path;

use bpf2c_tests::pipeline::{self, instance};
use bpf2c_tests::{cli, corpus_objects};
use serde_json::{json, Value};

/// Asserts a failed run: non-zero exit, each expected text on stderr, no panic text.
fn assert_fails(args: &[&str], expected: &[&str]) -> String {
    let out = cli::run(args);
    let (stdout, stderr) = cli::texts(&out);
    assert!(
        !out.status.success(),
        "cargo-bpf2c {args:?} should fail; stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert_ne!(out.status.code(), Some(101), "exit 101 means a panic");
    for e in expected {
        assert!(
            stderr.contains(e),
            "cargo-bpf2c {args:?}: stderr lacks '{e}':\n{stderr}"
        );
    }
    assert_no_panic(&stderr);
    stderr
}

fn assert_no_panic(stderr: &str) {
    for bad in ["panicked", "RUST_BACKTRACE", "internal error"] {
        assert!(!stderr.contains(bad), "stderr shows '{bad}':\n{stderr}");
    }
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("the maps file was written");
    serde_json::from_str(&text).expect("the maps file is JSON")
}

fn hex_u64(v: u64) -> String {
    hex::encode(v.to_le_bytes())
}

#[test]
fn run_reflects_an_xdp_packet_and_reports_maps() {
    let dir = tempfile::tempdir().unwrap();
    let maps_out = dir.path().join("maps.json");
    let result = cli::run_json(&[
        "run",
        "tests/bpf/xdp_parse.o",
        "--program",
        "xdp_reflect",
        "--data-hex",
        "00112233445566778899aabb0800450000140000000040063a7cc0a80001c0a80002",
        "--maps-out",
        maps_out.to_str().unwrap(),
    ]);
    assert_eq!(
        result,
        json!({
            "program": "xdp_reflect",
            "retval": 3,
            "data_out": "66778899aabb001122334455080045000014000000003f063b7cc0a80001c0a80002",
        })
    );
    let maps = read_json(&maps_out);
    let verdicts = &maps["verdicts"];
    assert_eq!(verdicts.as_object().unwrap().len(), 5);
    assert_eq!(verdicts["03000000"], json!(hex_u64(1)));
    assert_eq!(verdicts["01000000"], json!(hex_u64(0)));

    // A short packet is dropped and left alone.
    let result = cli::run_json(&[
        "run",
        "tests/bpf/xdp_parse.o",
        "--program",
        "xdp_reflect",
        "--data-hex",
        "0011 2233",
    ]);
    assert_eq!(result["retval"], json!(1));
    assert_eq!(result["data_out"], json!("00112233"));
}

#[test]
fn run_reports_ring_and_perf_buffer_events() {
    let result = cli::run_json(&[
        "run",
        "tests/bpf/events.o",
        "--program",
        "ring_output",
        "--data-hex",
        "0102030405",
    ]);
    assert_eq!(
        result,
        json!({
            "program": "ring_output",
            "retval": 0,
            "data_out": "0102030405",
            // {len = 5, first 4 bytes}, little-endian.
            "events": [{"map": "ring", "data": "0500000001020304"}],
        })
    );
    // XDP: the packet length and the first 6 packet bytes, to this CPU's perf buffer.
    let result = cli::run_json(&[
        "run",
        "tests/bpf/events.o",
        "--program",
        "xdp_sample",
        "--data-hex",
        "aabbccddeeff00112233",
    ]);
    assert_eq!(result["retval"], json!(2));
    assert_eq!(
        result["events"],
        json!([{"map": "perf", "data": "0a000000aabbccddeeff"}])
    );
    // A discarded reservation sends nothing, and the key is left out.
    let result = cli::run_json(&[
        "run",
        "tests/bpf/events.o",
        "--program",
        "ring_reserve",
        "--data-hex",
        "01",
    ]);
    assert_eq!(result["retval"], json!(16));
    assert!(result.get("events").is_none(), "{result}");
}

#[test]
fn maps_in_sets_entries_and_maps_out_reports_them() {
    let dir = tempfile::tempdir().unwrap();
    let maps_in = dir.path().join("in.json");
    let maps_out = dir.path().join("out.json");
    std::fs::write(
        &maps_in,
        json!({
            "counters": { "01000000": hex_u64(41) },
            "table": { "07000000": "0300000006000000" },
        })
        .to_string(),
    )
    .unwrap();
    let result = cli::run_json(&[
        "run",
        "tests/bpf/maps_basic.o",
        "--program",
        "count",
        "--data-hex",
        "0102030405",
        "--maps-in",
        maps_in.to_str().unwrap(),
        "--maps-out",
        maps_out.to_str().unwrap(),
    ]);
    assert_eq!(result["retval"], json!(42), "counters[5 % 4] was 41");
    assert_eq!(result["data_out"], json!("0102030405"));
    let maps = read_json(&maps_out);
    assert_eq!(maps["counters"]["01000000"], json!(hex_u64(42)));
    assert_eq!(maps["counters"]["00000000"], json!(hex_u64(0)));
    assert_eq!(maps["table"], json!({ "07000000": "0300000006000000" }));
    assert_eq!(maps["recent"], json!({}));
    // Per-CPU values come out as one value per CPU slot, concatenated.
    let percpu = maps["percpu_counters"]["00000000"].as_str().unwrap();
    assert_eq!(percpu.len() % 16, 0);
    assert!(percpu.chars().all(|c| c == '0'));

    // The maps-out file is valid maps-in input: a second run continues from it.
    let result = cli::run_json(&[
        "run",
        "tests/bpf/maps_basic.o",
        "--program",
        "count",
        "--data-hex",
        "01",
        "--maps-in",
        maps_out.to_str().unwrap(),
    ]);
    assert_eq!(result["retval"], json!(43));

    // Global data through --maps-in: .data holds `counter` (5 initially).
    std::fs::write(
        &maps_in,
        json!({ ".data": { "00000000": hex_u64(100) } }).to_string(),
    )
    .unwrap();
    let result = cli::run_json(&[
        "run",
        "tests/bpf/global_data.o",
        "--program",
        "use_globals",
        "--data-hex",
        "ff",
        "--maps-in",
        maps_in.to_str().unwrap(),
        "--maps-out",
        maps_out.to_str().unwrap(),
    ]);
    // counter 100 + 1, table[1] = 2, custom = 7.
    assert_eq!(result["retval"], json!(110));
    let maps = read_json(&maps_out);
    assert_eq!(maps[".data"]["00000000"], json!(hex_u64(101)));
    assert_eq!(maps[".bss"]["00000000"], json!(hex_u64(1)));
    assert_eq!(maps[".rodata"]["00000000"], json!("03000000"));
}

#[test]
fn tail_calls_through_maps_in() {
    // The program array's slots are program indices in module order; the in-process build
    // of the same object has the same order.
    let (_, inst) = instance("e2e_extra.o", Default::default());
    let again = inst
        .programs()
        .iter()
        .position(|p| p.name == "again")
        .unwrap() as u32;
    let dir = tempfile::tempdir().unwrap();
    let maps_in = dir.path().join("in.json");
    let maps_out = dir.path().join("out.json");
    std::fs::write(
        &maps_in,
        json!({ "self_table": { "00000000": hex::encode(again.to_le_bytes()) } }).to_string(),
    )
    .unwrap();
    let result = cli::run_json(&[
        "run",
        "tests/bpf/e2e_extra.o",
        "--program",
        "again",
        "--maps-in",
        maps_in.to_str().unwrap(),
        "--maps-out",
        maps_out.to_str().unwrap(),
    ]);
    assert_eq!(result["retval"], json!(34), "1 run + 33 tail calls");
    let maps = read_json(&maps_out);
    assert_eq!(maps[".bss"]["00000000"], json!(hex_u64(34)));
    assert_eq!(
        maps["self_table"],
        json!({ "00000000": hex::encode(again.to_le_bytes()) })
    );

    // tail_calls.o: point slot 1 at stage_two, so a 5-byte packet goes there.
    let (_, inst) = instance("tail_calls.o", Default::default());
    let stage_two = inst
        .programs()
        .iter()
        .position(|p| p.name == "stage_two")
        .unwrap() as u32;
    std::fs::write(
        &maps_in,
        json!({ "jump_table": { "01000000": hex::encode(stage_two.to_le_bytes()) } }).to_string(),
    )
    .unwrap();
    let run = |data: &str| {
        cli::run_json(&[
            "run",
            "tests/bpf/tail_calls.o",
            "--program",
            "dispatch",
            "--data-hex",
            data,
            "--maps-in",
            maps_in.to_str().unwrap(),
        ])["retval"]
            .clone()
    };
    assert_eq!(run("0102030405"), json!(12));
    assert_eq!(run("010203"), json!(100), "slot 3 is empty");
}

#[test]
fn repeat_runs_n_times_and_reports_time() {
    let dir = tempfile::tempdir().unwrap();
    let maps_out = dir.path().join("out.json");
    let result = cli::run_json(&[
        "run",
        "tests/bpf/maps_basic.o",
        "--program",
        "count",
        "--data-hex",
        "00000000",
        "--repeat",
        "25",
        "--maps-out",
        maps_out.to_str().unwrap(),
    ]);
    assert_eq!(result["retval"], json!(25), "the last of 25 runs counts 25");
    let ns = result["ns_per_run"]
        .as_f64()
        .expect("ns_per_run is a number");
    assert!(ns > 0.0 && ns < 1e8, "ns_per_run = {ns}");
    assert_eq!(
        read_json(&maps_out)["counters"]["00000000"],
        json!(hex_u64(25))
    );

    // Without --repeat there is no timing.
    let result = cli::run_json(&[
        "run",
        "tests/bpf/multi_prog.o",
        "--program",
        "second",
        "--data-hex",
        "000000",
    ]);
    assert_eq!(
        result,
        json!({"program": "second", "retval": 21, "data_out": "000000"})
    );
    assert_fails(
        &[
            "run",
            "tests/bpf/multi_prog.o",
            "--program",
            "first",
            "--repeat",
            "0",
        ],
        &["--repeat"],
    );
}

#[test]
fn seed_makes_prandom_repeatable() {
    let draw = |seed: &str| {
        cli::run_json(&[
            "run",
            "tests/bpf/helpers.o",
            "--program",
            "random_below",
            "--data-hex",
            &"00".repeat(1000),
            "--seed",
            seed,
            "--repeat",
            "3",
        ])["retval"]
            .as_u64()
            .unwrap()
    };
    let a = draw("7");
    assert_eq!(a, draw("7"));
    assert!(a < 1000);
    let others: Vec<u64> = ["8", "9", "10", "11"].iter().map(|s| draw(s)).collect();
    assert!(others.iter().all(|&r| r < 1000));
    assert!(others.iter().any(|&r| r != a), "{a} {others:?}");
}

#[test]
fn loop_budget_stops_a_run_with_a_message() {
    let result = cli::run_json(&[
        "run",
        "tests/bpf/loop.o",
        "--program",
        "sum_raw",
        "--data-hex",
        "0102",
    ]);
    assert_eq!(result["retval"], json!(3));
    assert_fails(
        &[
            "run",
            "tests/bpf/loop.o",
            "--program",
            "sum_raw",
            "--data-hex",
            "0102",
            "--loop-budget",
            "10",
        ],
        &["sum_raw", "loop budget", "10"],
    );
}

/// What each refused object's message must name: the file, the place, the construct.
const REFUSED: &[(&str, &[&str])] = &[
    (
        "err_callx.o",
        &[
            "section 'raw'",
            "function 'indirect'",
            "instruction 1",
            "callx",
        ],
    ),
    (
        "err_core.o",
        &[
            "section 'raw'",
            "function 'core_read'",
            "instruction 0",
            "CO-RE",
        ],
    ),
    (
        "err_fentry.o",
        &[
            "program 'on_unlink' failed verification",
            "function 'on_unlink' (section 'fentry/do_unlinkat'",
            "the program type needs kernel BTF",
        ],
    ),
    (
        "err_func_addr.o",
        &[
            "section 'raw'",
            "function 'loop_sum'",
            "instruction 5",
            "function address",
        ],
    ),
    (
        "err_kfunc.o",
        &[
            "section 'raw'",
            "function 'call_kfunc'",
            "instruction 1",
            "bpf_kfunc_example",
        ],
    ),
    (
        "err_ld_abs.o",
        &[
            "section 'raw'",
            "function 'ld_abs'",
            "instruction 1",
            "LD_ABS",
        ],
    ),
    (
        "err_map_def.o",
        &[
            "section '.maps'",
            "map 'confused'",
            "key_size 8",
            "4-byte key",
        ],
    ),
    (
        "err_ringbuf.o",
        &["map 'events': BPF_MAP_TYPE_USER_RINGBUF is verified but the runtime has no such map"],
    ),
    (
        "err_section.o",
        &[
            "the runtime cannot run this object",
            "program 'probe': program type kprobe is verified but cannot run here",
        ],
    ),
    (
        "err_static_map.o",
        &[
            "section 'raw'",
            "function 'use_hidden'",
            "instruction 4",
            "static map",
        ],
    ),
    (
        "fail_one_of_two.o",
        &[
            "program 'unchecked' failed verification",
            "instruction 1 of function 'unchecked'",
            "r0 = *(u8 *)(r1 + 14)",
            "past the end of the packet",
            "fail_one_of_two.c:26",
        ],
    ),
    (
        "fail_shared_context.o",
        &[
            "program 'from_stack' failed verification",
            "program 'raw_word' failed verification",
            "instruction 0 of function 'word_12'",
            "section '.text'",
            "r0 = *(u32 *)(r1 + 12)",
            "the base register points into the context on some paths",
            "fail_shared_context.c:11",
        ],
    ),
    (
        "fail_unchecked_lookup.o",
        &[
            "program 'count_unchecked' failed verification",
            "instruction 7 of function 'count_unchecked'",
            "r1 = *(u64 *)(r0 + 0)",
            "may be NULL",
            "fail_unchecked_lookup.c:20",
        ],
    ),
    (
        "fail_unchecked_packet.o",
        &[
            "program 'unchecked' failed verification",
            "instruction 1 of function 'unchecked'",
            "section 'xdp'",
            "r1 = *(u8 *)(r1 + 14)",
            "past the end of the packet",
            "fail_unchecked_packet.c:10",
            "data[14]",
        ],
    ),
];

/// The program `run` is given, for refused objects with more than one.
const RUN_PROGRAM: &[(&str, &str)] = &[
    ("fail_one_of_two.o", "unchecked"),
    ("fail_shared_context.o", "from_stack"),
    ("err_fentry.o", "on_unlink"),
];

/// Objects named `err_*` for history that now verify (a kprobe program, a user ring buffer): only
/// `run` and `gen` refuse them, naming what the runtime lacks.
const VERIFY_ONLY: &[&str] = &["err_ringbuf.o", "err_section.o"];

#[test]
fn every_refused_object_fails_with_a_precise_message() {
    let listed: Vec<String> = corpus_objects()
        .iter()
        .filter_map(|p| p.file_name()?.to_str().map(String::from))
        .filter(|n| n.starts_with("err_") || n.starts_with("fail_"))
        .collect();
    let covered: Vec<&str> = REFUSED.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        listed, covered,
        "every err_*.o and fail_*.o has expectations here"
    );

    for (name, expected) in REFUSED {
        let path = format!("tests/bpf/{name}");
        let mut with_file = expected.to_vec();
        with_file.push(&path);
        for command in ["run", "verify", "gen"] {
            let mut args = vec![command, path.as_str()];
            if command == "verify" && VERIFY_ONLY.contains(name) {
                let out = cli::run(&args);
                assert!(
                    out.status.success(),
                    "{name} verifies: {:?}",
                    cli::texts(&out)
                );
                continue;
            }
            // `run` runs one program: of an object with several, the one named here.
            if let Some((_, program)) = RUN_PROGRAM.iter().find(|(n, _)| n == name) {
                if command == "run" {
                    args.extend(["--program", program]);
                }
            }
            let stderr = assert_fails(&args, &with_file);
            println!("{command} {name}: {}", stderr.lines().next().unwrap_or(""));
        }
    }
}

#[test]
fn verification_diagnostics_as_json() {
    let out = cli::run(&[
        "verify",
        "--message-format",
        "json",
        "tests/bpf/fail_unchecked_packet.o",
    ]);
    assert!(!out.status.success());
    let (stdout, stderr) = cli::texts(&out);
    assert_no_panic(&stderr);
    let messages: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let verdict = messages
        .iter()
        .find(|m| m["reason"] == "program-verdict")
        .expect("a verdict");
    assert_eq!(verdict["program"], json!("unchecked"));
    assert_eq!(verdict["verified"], json!(false));
    let diag = messages
        .iter()
        .find(|m| m["reason"] == "diagnostic")
        .expect("a diagnostic");
    assert_eq!(diag["function"], json!("unchecked"));
    assert_eq!(diag["section"], json!("xdp"));
    assert_eq!(diag["insn"], json!(1));
    assert_eq!(diag["instruction"], json!("r1 = *(u8 *)(r1 + 14)"));
    assert!(diag["source"].as_str().unwrap().contains("data[14]"));
}

#[test]
fn verify_reports_each_program() {
    let out = cli::run(&["verify", "tests/bpf/subprograms.o", "tests/bpf/xdp_parse.o"]);
    let (stdout, stderr) = cli::texts(&out);
    assert!(out.status.success(), "{stderr}");
    for program in ["prog_a", "prog_b", "stack_survives", "chain"] {
        let line = format!("tests/bpf/subprograms.o: program '{program}' (raw, ");
        assert!(stdout.contains(&line), "no line for {program}:\n{stdout}");
    }
    assert!(stdout.contains("tests/bpf/xdp_parse.o: program 'xdp_reflect' (xdp, "));
    assert!(stdout.contains("tests/bpf/xdp_parse.o: program 'xdp_pass_all' (xdp, "));
    assert_eq!(stdout.lines().count(), 6, "{stdout}");
    assert!(stdout.lines().all(|l| l.ends_with("): ok")), "{stdout}");

    let out = cli::run(&["verify", "tests/bpf/multi_prog.o", "--program", "second"]);
    let (stdout, _) = cli::texts(&out);
    assert!(out.status.success());
    assert_eq!(stdout.lines().count(), 1);
    assert!(stdout.contains("program 'second'"));
}

#[test]
fn gen_is_deterministic_and_matches_the_driver() {
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = d1.path().join("module.c");
    let b = d2.path().join("module.c");
    for out in [&a, &b] {
        let o = cli::run(&["gen", "tests/bpf/xdp_parse.o", "-o", out.to_str().unwrap()]);
        assert!(o.status.success(), "{}", cli::texts(&o).1);
    }
    let text = std::fs::read_to_string(&a).unwrap();
    assert!(
        text == std::fs::read_to_string(&b).unwrap(),
        "two runs of gen differ"
    );
    assert!(text.contains("#include \"bpf2c.h\""));
    assert!(text.contains("xdp_reflect"));

    // Byte for byte what the library's driver gives with the same options.
    let obj = pipeline::load("xdp_parse.o");
    let opts = bpf2c::driver::TranslateOptions {
        output_name: Some("module.c".into()),
        ..Default::default()
    };
    assert!(
        bpf2c::driver::translate(&obj, &opts).unwrap().c_source == text,
        "gen differs from bpf2c::driver::translate"
    );

    // To stdout, and through `cargo bpf2c`'s argument form.
    let o = cli::run(&["bpf2c", "gen", "tests/bpf/multi_prog.o"]);
    assert!(o.status.success());
    let (stdout, _) = cli::texts(&o);
    assert!(stdout.contains("first") && stdout.contains("second") && stdout.contains("third"));
}

#[test]
fn usage_errors_are_reported_plainly() {
    assert_fails(
        &["run", "tests/bpf/no_such_object.o"],
        &["tests/bpf/no_such_object.o", "cannot read"],
    );
    assert_fails(&["run", "Cargo.toml"], &["Cargo.toml", "not an ELF object"]);
    assert_fails(
        &["run", "tests/bpf/maps_only.o"],
        &["tests/bpf/maps_only.o", "the object holds no program"],
    );
    assert_fails(
        &["run", "tests/bpf/multi_prog.o"],
        &["3 programs", "--program", "first, second, third"],
    );
    assert_fails(
        &["run", "tests/bpf/multi_prog.o", "--program", "fourth"],
        &["no program named 'fourth'", "first, second, third"],
    );
    assert_fails(
        &[
            "run",
            "tests/bpf/multi_prog.o",
            "--program",
            "first",
            "--data-hex",
            "zz",
        ],
        &["--data-hex: 'z' (character 1) is not a hex digit"],
    );
    let dir = tempfile::tempdir().unwrap();
    let maps_in = dir.path().join("in.json");
    std::fs::write(&maps_in, r#"{"nope": {}}"#).unwrap();
    assert_fails(
        &[
            "run",
            "tests/bpf/multi_prog.o",
            "--program",
            "first",
            "--maps-in",
            maps_in.to_str().unwrap(),
        ],
        &["map 'nope'"],
    );
    std::fs::write(&maps_in, r#"{"counters": {"00000000": "01"}}"#).unwrap();
    assert_fails(
        &[
            "run",
            "tests/bpf/maps_basic.o",
            "--program",
            "count",
            "--maps-in",
            maps_in.to_str().unwrap(),
        ],
        &["counters", "00000000"],
    );
    std::fs::write(&maps_in, "not json").unwrap();
    assert_fails(
        &[
            "run",
            "tests/bpf/maps_basic.o",
            "--program",
            "count",
            "--maps-in",
            maps_in.to_str().unwrap(),
        ],
        &["not valid JSON"],
    );
    // A big-endian object translates, but cannot run on this little-endian host.
    let stderr = assert_fails(&["run", "tests/bpf/bigendian_be.o"], &["big-endian"]);
    assert!(stderr.contains("bigendian_be.o"), "{stderr}");
    // Unknown subcommands and options are usage errors (exit 2).
    let out = cli::run(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn raw_bytecode_runs_with_and_without_verification() {
    let case = bpf2c_tests::conformance::load_suite()
        .into_iter()
        .find(|c| c.name == "call_local")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("call_local.bin");
    std::fs::write(&file, &case.program).unwrap();
    let file = file.to_str().unwrap();
    for extra in [&[][..], &["--no-verify"][..], &["--no-opt"][..]] {
        let mut args = vec!["run", "--raw", file];
        args.extend_from_slice(extra);
        let result = cli::run_json(&args);
        assert_eq!(result["program"], json!("call_local"));
        assert_eq!(result["retval"], json!(case.result), "{extra:?}");
    }
    let out = cli::run(&["run", "--raw", "--no-verify", file]);
    assert!(cli::texts(&out).1.contains("NOT verified"));
    // Without --raw, bytecode is not an ELF object.
    assert_fails(&["run", file], &["not an ELF object", "--raw"]);
}

/// `--maps-out` promises the `--maps-in` format, so its file must feed the next run. It
/// lists the read-only `.rodata*` maps too, which `--maps-in` then refuses to write.
#[test]
fn maps_out_of_an_object_with_rodata_feeds_maps_in() {
    let dir = tempfile::tempdir().unwrap();
    let maps = dir.path().join("maps.json");
    let maps = maps.to_str().unwrap();
    let first = cli::run_json(&[
        "run",
        "tests/bpf/global_data.o",
        "--program",
        "use_globals",
        "--data-hex",
        "01",
        "--maps-out",
        maps,
    ]);
    // counter 5 + 1, table[1] = 2, custom = 7.
    assert_eq!(first["retval"], json!(15));
    let out = cli::run(&[
        "run",
        "tests/bpf/global_data.o",
        "--program",
        "use_globals",
        "--data-hex",
        "01",
        "--maps-in",
        maps,
    ]);
    let (stdout, stderr) = cli::texts(&out);
    assert!(out.status.success(), "{stderr}");
    let second: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(second["retval"], json!(16), "counter continued from 6");
}

/// A map of maps on the command line: without --maps-in its slots are empty (lookups give
/// NULL) but for the object's own `.values`; --maps-in sets a slot to a map by its index in
/// the module (the order --maps-out lists maps in), and refuses one unlike the template.
#[test]
fn run_sets_inner_maps_of_a_map_of_maps_by_module_index() {
    let dir = tempfile::tempdir().unwrap();
    let (maps_in, maps_out) = (dir.path().join("in.json"), dir.path().join("out.json"));
    let run = |packet: &str, maps_in: Option<&Path>| {
        let mut args = vec![
            "run",
            "tests/bpf/map_in_map.o",
            "--program",
            "count_by_tenant",
            "--data-hex",
            packet,
            "--maps-out",
            maps_out.to_str().unwrap(),
        ];
        if let Some(p) = maps_in {
            args.extend(["--maps-in", p.to_str().unwrap()]);
        }
        cli::run_json(&args)["retval"].clone()
    };
    // Slot 0 holds counters_a (`.values`): XDP_PASS, counted there.
    assert_eq!(run("0001", None), json!(2));
    let maps = read_json(&maps_out);
    assert_eq!(maps["counters_a"]["01000000"], json!(hex_u64(1)));
    assert_eq!(maps["tenants"], json!({ "00000000": "00000000" }));
    // Slot 1 is empty: XDP_DROP.
    assert_eq!(run("0102", None), json!(1));
    // Map 5 is counters_b.
    let listed = read_json(&maps_out);
    let order: Vec<&String> = listed.as_object().unwrap().keys().collect();
    assert_eq!(order[5], "counters_b", "{order:?}");
    std::fs::write(&maps_in, r#"{"tenants": {"01000000": "05000000"}}"#).unwrap();
    assert_eq!(run("0102", Some(&maps_in)), json!(2));
    let maps = read_json(&maps_out);
    assert_eq!(maps["counters_b"]["02000000"], json!(hex_u64(1)));
    assert_eq!(
        maps["tenants"],
        json!({ "00000000": "00000000", "01000000": "05000000" })
    );
    // Map 3 is flow_tables.inner, a HASH: refused, naming the map and the difference.
    std::fs::write(&maps_in, r#"{"tenants": {"01000000": "03000000"}}"#).unwrap();
    assert_fails(
        &[
            "run",
            "tests/bpf/map_in_map.o",
            "--program",
            "count_by_tenant",
            "--data-hex",
            "0102",
            "--maps-in",
            maps_in.to_str().unwrap(),
        ],
        &[
            "map 'tenants', key '01000000'",
            "does not match the inner map template 'tenants.inner': type BPF_MAP_TYPE_HASH",
        ],
    );
}

/// A program runs when other programs of its object fail verification: the object is then
/// cut down to it (its maps, functions and tail-call targets), as when other programs or
/// maps cannot run here.
#[test]
fn run_runs_a_program_whose_object_has_others_that_fail_verification() {
    let result = cli::run_json(&[
        "run",
        "tests/bpf/fail_one_of_two.o",
        "--program",
        "counted",
        "--data-hex",
        "00",
    ]);
    // runs[0] was 0: XDP_PASS + 0.
    assert_eq!(result["retval"], json!(2));
}
