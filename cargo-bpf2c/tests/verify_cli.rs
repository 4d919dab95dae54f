//! `cargo bpf2c verify`: a verdict per program, exit 0 only if every program passes, and
//! `--message-format json` with one JSON object per line.

use std::process::{Command, Output};

use bpf2c_testkit::repo;
use serde_json::Value;

/// Runs the CLI from the repository root, so object paths print as given.
fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cargo-bpf2c"))
        .args(args)
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .output()
        .expect("run cargo-bpf2c")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every stdout line as JSON; anything else on stdout is a failure.
fn json_lines(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}")))
        .collect()
}

#[test]
fn a_verdict_per_program_and_success_when_all_pass() {
    let o = cli(&["verify", "tests/bpf/maps_basic.o", "tests/bpf/loop.o"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    let want = [
        "tests/bpf/maps_basic.o: program 'count' (raw, 14 instructions): ok",
        "tests/bpf/maps_basic.o: program 'table_ops' (raw, 54 instructions): ok",
        "tests/bpf/maps_basic.o: program 'count_percpu' (raw, 15 instructions): ok",
        "tests/bpf/maps_basic.o: program 'percpu_hash_ops' (raw, 25 instructions): ok",
        "tests/bpf/maps_basic.o: program 'lru_insert' (raw, 24 instructions): ok",
        "tests/bpf/loop.o: program 'sum_map' (xdp, 19 instructions): ok",
        "tests/bpf/loop.o: program 'sum_packet' (xdp, 14 instructions): ok",
        "tests/bpf/loop.o: program 'count64' (xdp, 2 instructions): ok",
        "tests/bpf/loop.o: program 'sum_raw' (raw, 12 instructions): ok",
    ];
    assert_eq!(lines, want);
    assert!(
        stderr(&o).contains("Verifying [2/2] tests/bpf/loop.o"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("Finished 9 program(s) of 2 object(s) verified"));
}

#[test]
fn one_failing_program_fails_the_command_and_is_explained_on_stderr() {
    let o = cli(&["verify", "tests/bpf/loop.o", "tests/bpf/reject/maps.o"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("tests/bpf/loop.o: program 'sum_raw' (raw, 12 instructions): ok"));
    assert!(
        out.contains("tests/bpf/reject/maps.o: program 'null_deref' (raw, 9 instructions): FAILED")
    );
    assert_eq!(out.matches(": FAILED").count(), 9, "{out}");
    let err = stderr(&o);
    assert!(
        err.contains("error: program 'null_deref' failed verification"),
        "{err}"
    );
    assert!(
        err.contains("  --> ./tests/bpf/reject/maps.c:33:9"),
        "{err}"
    );
    assert!(
        err.contains("33 | \treturn *v; // REJECT(null_deref)") || err.contains("33 | return *v;"),
        "{err}"
    );
    assert!(
        err.contains("= instruction 7 of function 'null_deref' (section 'raw', object tests/bpf/reject/maps.o): r0 = *(u64 *)(r0 + 0)"),
        "{err}"
    );
    assert!(
        err.contains("= reason: the pointer may be NULL here"),
        "{err}"
    );
    assert!(err.contains("= verifier: Possible null access"), "{err}");
}

#[test]
fn program_selects_one_program() {
    let o = cli(&[
        "verify",
        "tests/bpf/reject/maps.o",
        "--program",
        "not_a_map",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o),
        "tests/bpf/reject/maps.o: program 'not_a_map' (raw, 10 instructions): FAILED\n"
    );
    assert!(stderr(&o).contains("argument 1 of bpf_map_lookup_elem (r1) must be a map"));

    let o = cli(&[
        "verify",
        "tests/bpf/reject/maps.o",
        "tests/bpf/loop.o",
        "--program",
        "sum_raw",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "tests/bpf/loop.o: program 'sum_raw' (raw, 12 instructions): ok\n"
    );

    let o = cli(&["verify", "tests/bpf/loop.o", "--program", "nope"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("error: no program named 'nope' in the given object(s)"));
}

#[test]
fn json_messages_carry_verdicts_and_diagnostics() {
    let o = cli(&[
        "verify",
        "--message-format",
        "json",
        "tests/bpf/typedef_maps.o",
        "tests/bpf/reject/memory.o",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let mut msgs = json_lines(&o);
    // The last message sums up the run, as cargo's build-finished does.
    let summary = msgs.pop().unwrap();
    assert_eq!(summary["reason"], "verify-finished");
    assert_eq!(
        (
            summary["programs"].as_u64(),
            summary["failed_programs"].as_u64()
        ),
        (Some(9), Some(8))
    );
    let verdicts: Vec<&Value> = msgs
        .iter()
        .filter(|m| m["reason"] == "program-verdict")
        .collect();
    let diagnostics: Vec<&Value> = msgs
        .iter()
        .filter(|m| m["reason"] == "diagnostic")
        .collect();
    assert_eq!(verdicts.len() + diagnostics.len(), msgs.len());
    // typedef_maps has one program; memory has eight, all refused with one diagnostic each.
    assert_eq!(verdicts.len(), 9);
    assert_eq!(diagnostics.len(), 8);
    assert_eq!(verdicts[0]["object"], "tests/bpf/typedef_maps.o");
    assert_eq!(verdicts[0]["program"], "bump");
    assert_eq!(verdicts[0]["verified"], true);
    assert_eq!(verdicts[0]["instructions"], 27);
    for v in &verdicts[1..] {
        assert_eq!(v["object"], "tests/bpf/reject/memory.o");
        assert_eq!(v["verified"], false);
    }
    // The subprogram case: the diagnostic names the function and the call chain.
    let d = diagnostics
        .iter()
        .find(|d| d["program"] == "null_into_subprogram")
        .expect("a diagnostic for null_into_subprogram");
    assert_eq!(d["object"], "tests/bpf/reject/memory.o");
    assert_eq!(d["function"], "read_first");
    assert_eq!(d["insn"], 0);
    assert_eq!(d["line"], "./tests/bpf/reject/memory.c:73");
    assert_eq!(d["instruction"], "r0 = *(u8 *)(r1 + 0)");
    assert_eq!(
        d["call_chain"],
        serde_json::json!(["null_into_subprogram+2"])
    );
    assert!(d["message"]
        .as_str()
        .unwrap()
        .starts_with("r1 is used as a pointer here, but it may be NULL"));
    assert!(d["verifier_message"]
        .as_str()
        .unwrap()
        .starts_with("Invalid type (r1.type in {ctx, stack, packet, shared"));
    // Each diagnostic follows its program's verdict.
    let pos = |m: &Value| msgs.iter().position(|x| x == m).unwrap();
    let verdict = verdicts
        .iter()
        .find(|v| v["program"] == "null_into_subprogram")
        .unwrap();
    assert_eq!(pos(d), pos(verdict) + 1);
}

#[test]
fn json_diagnostics_of_raw_bytecode_have_no_line() {
    let dir = tempfile::tempdir().unwrap();
    let prog = dir.path().join("unchecked.bin");
    // r0 = *(u64 *)(r1 + 0); exit — reads the buffer without checking its length.
    let bytes = [
        0x79, 0x10, 0, 0, 0, 0, 0, 0, //
        0x95, 0, 0, 0, 0, 0, 0, 0,
    ];
    std::fs::write(&prog, bytes).unwrap();
    let o = cli(&[
        "verify",
        "--raw",
        "--message-format=json",
        prog.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let mut msgs = json_lines(&o);
    let summary = msgs.pop().unwrap();
    assert_eq!(summary["reason"], "verify-finished");
    assert_eq!(summary["success"], false);
    assert_eq!(summary["failed_programs"], 1);
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert_eq!(msgs[0]["reason"], "program-verdict");
    assert_eq!(msgs[0]["program"], "unchecked");
    assert_eq!(msgs[0]["verified"], false);
    assert_eq!(msgs[1]["reason"], "diagnostic");
    assert_eq!(msgs[1]["insn"], 0);
    assert_eq!(msgs[1]["line"], Value::Null);
    assert!(msgs[1]["message"]
        .as_str()
        .unwrap()
        .contains("past the end of the packet or buffer"));
}

#[test]
fn an_object_that_does_not_load_is_a_json_diagnostic_too() {
    let o = cli(&[
        "verify",
        "--message-format",
        "json",
        "tests/bpf/err_map_def.o",
        "tests/bpf/multi_prog.o",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let msgs = json_lines(&o);
    assert_eq!(msgs[0]["reason"], "diagnostic");
    assert_eq!(msgs[0]["object"], "tests/bpf/err_map_def.o");
    assert_eq!(msgs[0]["program"], Value::Null);
    assert_eq!(msgs[0]["insn"], Value::Null);
    assert_eq!(msgs[0]["line"], Value::Null);
    assert!(msgs[0]["message"]
        .as_str()
        .unwrap()
        .contains("key_size 8 disagrees with the 4-byte key type"));
    // The other object is still verified.
    let ok: Vec<&Value> = msgs
        .iter()
        .filter(|m| m["reason"] == "program-verdict" && m["verified"] == true)
        .collect();
    assert_eq!(ok.len(), 3);
}

/// Malformed input gives a clear error naming the file, never an internal error.
#[test]
fn malformed_input_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let whole = std::fs::read(repo().join("tests/bpf/xdp_parse.o")).unwrap();
    let mut cases: Vec<(String, Vec<u8>, bool)> = vec![
        (
            "truncated.o".into(),
            whole[..whole.len() / 3].to_vec(),
            false,
        ),
        ("header_only.o".into(), whole[..64].to_vec(), false),
        ("empty.o".into(), Vec::new(), false),
        ("text.o".into(), b"not an object at all\n".to_vec(), false),
        ("odd.bin".into(), vec![0x95, 0, 0], true),
        ("empty.bin".into(), Vec::new(), true),
    ];
    // Random bytes as raw bytecode, whole instructions.
    let mut x: u64 = 0x5eed;
    for n in 0..5 {
        let bytes: Vec<u8> = (0..64)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        cases.push((format!("random{n}.bin"), bytes, true));
    }
    for (name, bytes, raw) in cases {
        let path = dir.path().join(&name);
        std::fs::write(&path, &bytes).unwrap();
        let mut args = vec!["verify", path.to_str().unwrap()];
        if raw {
            args.push("--raw");
        }
        let o = cli(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{name}: {err}");
        assert!(!err.contains("internal error"), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert!(
            err.contains(&format!("error: {}", path.display())),
            "{name}: {err}"
        );
    }
    // A file that does not exist.
    let o = cli(&["verify", "no/such/file.o"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("error: no/such/file.o: cannot read the object"),
        "{}",
        stderr(&o)
    );
}

/// The `reason:` lines of human diagnostics on stderr.
fn reasons(err: &str) -> Vec<String> {
    err.lines()
        .filter_map(|l| l.trim_start().strip_prefix("= reason: "))
        .map(str::to_string)
        .collect()
}

/// What PREVAIL proves safe but translation cannot carry out: `verify` refuses it, and `gen`
/// refuses it too, for the same reasons at the same places; and an object that verifies
/// generates.
#[test]
fn verify_and_gen_agree() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.c");
    let out = out.to_str().unwrap();
    for (object, refused) in [
        ("tests/bpf/reject/context.o", 6),
        ("tests/bpf/fail_shared_context.o", 4),
        ("tests/bpf/xdp_parse.o", 0),
    ] {
        let verify = cli(&["verify", object]);
        let gen = cli(&["gen", object, "-o", out]);
        let expect = if refused == 0 { 0 } else { 1 };
        assert_eq!(verify.status.code(), Some(expect), "{}", stderr(&verify));
        assert_eq!(gen.status.code(), Some(expect), "{}", stderr(&gen));
        let (why_verify, why_gen) = (reasons(&stderr(&verify)), reasons(&stderr(&gen)));
        assert_eq!(why_verify.len(), refused, "{object}: {why_verify:#?}");
        assert_eq!(why_verify, why_gen, "{object}");
        let places = |o: &Output| -> Vec<String> {
            stderr(o)
                .lines()
                .filter(|l| l.trim_start().starts_with("= instruction "))
                .map(str::to_string)
                .collect()
        };
        assert_eq!(places(&verify), places(&gen), "{object}");
    }
}

/// A translation refusal is a diagnostic like any other: located, with the source line and
/// the instruction, and no verifier statement.
#[test]
fn translation_refusals_are_json_diagnostics() {
    let o = cli(&[
        "verify",
        "--message-format",
        "json",
        "tests/bpf/reject/context.o",
        "--program",
        "ctx_atomic_add",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let msgs = json_lines(&o);
    assert_eq!(msgs.len(), 3, "{msgs:#?}");
    assert_eq!(msgs[0]["reason"], "program-verdict");
    assert_eq!(msgs[0]["verified"], false);
    let d = &msgs[1];
    assert_eq!(d["reason"], "diagnostic");
    assert_eq!(d["program"], "ctx_atomic_add");
    assert_eq!(d["function"], "ctx_atomic_add");
    assert_eq!(d["section"], "xdp");
    assert_eq!(d["insn"], 1);
    assert_eq!(d["line"], "./tests/bpf/reject/context.c:19");
    assert_eq!(d["instruction"], "lock *(u32 *)(r1 + 12) add= w2");
    assert_eq!(
        d["message"],
        "an atomic operation writes to the context (xdp_md.ingress_ifindex); context fields \
         may only be read"
    );
    assert_eq!(d["verifier_message"], Value::Null);
    assert_eq!(msgs[2]["reason"], "verify-finished");
    assert_eq!(msgs[2]["failed_programs"], 1);

    // Selecting one program of a group that shares a function still judges it with the group.
    let o = cli(&[
        "verify",
        "tests/bpf/fail_shared_context.o",
        "--program",
        "raw_word",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o),
        "tests/bpf/fail_shared_context.o: program 'raw_word' (raw, 6 instructions): FAILED\n"
    );
    assert!(stderr(&o).contains(
        "= instruction 0 of function 'word_16' (section '.text', object \
         tests/bpf/fail_shared_context.o): r0 = *(u32 *)(r1 + 16)"
    ));
}

#[test]
fn json_verdicts_name_the_section_and_program_type() {
    let o = cli(&[
        "verify",
        "--message-format",
        "json",
        "tests/bpf/err_fentry.o",
        "tests/bpf/tracing_helpers.o",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let got: Vec<(String, String, String, bool)> = json_lines(&o)
        .iter()
        .filter(|m| m["reason"] == "program-verdict")
        .map(|v| {
            (
                v["program"].as_str().unwrap().to_string(),
                v["section"].as_str().unwrap().to_string(),
                v["program_type"].as_str().unwrap().to_string(),
                v["verified"].as_bool().unwrap(),
            )
        })
        .collect();
    let want = [
        ("on_unlink", "fentry/do_unlinkat", "unsupported", false),
        ("probe_unlink", "kprobe/do_unlinkat", "kprobe", true),
        ("trace_open", "kprobe/do_sys_openat2", "kprobe", true),
        ("lower_ttl", "tc", "sched_cls", true),
        ("probe_read_number", "raw", "raw", true),
    ]
    .map(|(p, s, t, v)| (p.to_string(), s.to_string(), t.to_string(), v));
    assert_eq!(got, want);
    // The refused program's diagnostic carries its section too.
    let d = json_lines(&o)
        .into_iter()
        .find(|m| m["reason"] == "diagnostic")
        .unwrap();
    assert_eq!(
        (&d["program"], &d["section"], &d["function"]),
        (
            &Value::from("on_unlink"),
            &Value::from("fentry/do_unlinkat"),
            &Value::from("on_unlink")
        )
    );
}

#[test]
fn gen_and_run_refuse_naming_every_piece_the_runtime_lacks() {
    let pieces = [
        "program 'trace_open': program type kprobe is verified but cannot run here",
        "helper 4 (bpf_probe_read) is not provided by this runtime: provide it as a custom helper",
        "helper 16 (bpf_get_current_comm) is not provided by this runtime",
        "helper 113 (bpf_probe_read_kernel) is not provided by this runtime",
    ];
    let out = std::env::temp_dir().join(format!("bpf2c-gen-refusal-{}.c", std::process::id()));
    for args in [vec![
        "gen",
        "tests/bpf/tracing_helpers.o",
        "-o",
        out.to_str().unwrap(),
    ]] {
        let o = cli(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains(
                "error: tests/bpf/tracing_helpers.o: the runtime cannot run this object: "
            ),
            "{args:?}: {err}"
        );
        for piece in pieces {
            assert!(
                err.contains(piece),
                "{args:?}: {piece:?} missing from {err}"
            );
        }
        assert!(!err.contains("panicked"), "{err}");
        // The skb byte helpers are the runtime's own.
        assert!(!err.contains("bpf_skb_store_bytes") && !err.contains("bpf_skb_load_bytes"));
    }
    assert!(!out.exists(), "gen wrote C although it refused");
    // With --program, run and gen judge the programs asked for alone: the raw program's
    // own missing helper, and nothing of the kprobe or tc program beside it.
    for args in [
        vec![
            "run",
            "tests/bpf/tracing_helpers.o",
            "--program",
            "probe_read_number",
        ],
        vec![
            "gen",
            "tests/bpf/tracing_helpers.o",
            "--program",
            "probe_read_number",
        ],
    ] {
        let o = cli(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains(
                "error: tests/bpf/tracing_helpers.o: the runtime cannot run this object: helper 4 \
                 (bpf_probe_read) is not provided by this runtime: provide it as a custom helper\n"
            ),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn program_type_gives_the_type_a_section_name_does_not() {
    // By its name, `my_probe` is a socket filter and the probe is refused.
    let o = cli(&[
        "verify",
        "--message-format",
        "json",
        "tests/bpf/custom_section_probe.o",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let verdict = |o: &Output| {
        json_lines(o)
            .into_iter()
            .find(|m| m["reason"] == "program-verdict")
            .unwrap()
    };
    let v = verdict(&o);
    assert_eq!(
        (&v["program_type"], &v["verified"]),
        (&Value::from("socket_filter"), &Value::from(false))
    );
    // As a kprobe it verifies.
    let o = cli(&[
        "verify",
        "--message-format",
        "json",
        "--program-type",
        "my_probe=kprobe",
        "tests/bpf/custom_section_probe.o",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = verdict(&o);
    assert_eq!(
        (&v["section"], &v["program_type"], &v["verified"]),
        (
            &Value::from("my_probe"),
            &Value::from("kprobe"),
            &Value::from(true)
        )
    );
    // As a raw program, a section-less raw function runs: 3 + 7.
    let o = cli(&[
        "run",
        "tests/bpf/custom_section_raw.o",
        "--program-type",
        "my_filter=raw",
        "--data-hex",
        "0307",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(out["retval"], 10);
    // gen takes it too; without it, gen refuses.
    for (args, code) in [(vec!["--program-type", "my_filter=raw"], 0), (vec![], 1)] {
        let mut all = vec!["gen", "tests/bpf/custom_section_raw.o"];
        all.extend(args);
        let o = cli(&all);
        assert_eq!(o.status.code(), Some(code), "{all:?}: {}", stderr(&o));
        assert_eq!(stdout(&o).contains("sum_two"), code == 0, "{all:?}");
    }
}

#[test]
fn a_wrong_program_type_is_a_clear_error() {
    // An unknown type: a usage error listing the types.
    let o = cli(&[
        "verify",
        "--program-type",
        "my_probe=kprob",
        "tests/bpf/custom_section_probe.o",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("unknown program type 'kprob' for section 'my_probe' (known types: xdp, raw,"),
        "{err}"
    );
    // A section the object does not have: named, with the sections it has.
    let o = cli(&[
        "gen",
        "--program-type",
        "my_prob=kprobe",
        "tests/bpf/custom_section_probe.o",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(
            "tests/bpf/custom_section_probe.o: a program type is given for section 'my_prob', \
             which holds no program (program sections: my_probe)"
        ),
        "{}",
        stderr(&o)
    );
    let o = cli(&[
        "verify",
        "--program-type",
        "my_probe",
        "tests/bpf/custom_section_probe.o",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("'my_probe' is not SECTION=TYPE"));
}

#[test]
fn a_program_over_the_instruction_limit_stops_verify_and_gen_at_once() {
    // 39,999 moves and an exit: past the 32,768-instruction limit, refused before analysis.
    let mut bytes = Vec::new();
    for i in 0..39_999i32 {
        bytes.extend_from_slice(&[0xb7, 0, 0, 0]);
        bytes.extend_from_slice(&i.to_le_bytes());
    }
    bytes.extend_from_slice(&[0x95, 0, 0, 0, 0, 0, 0, 0]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.bin");
    std::fs::write(&path, bytes).unwrap();
    let path = path.to_str().unwrap();
    let reason = "the program has 40000 instructions with its subprograms; the verifier's limit \
                  is 32768";
    for args in [
        vec!["verify", "--raw", path],
        vec!["gen", "--raw", path, "-o", "/dev/null"],
    ] {
        let start = std::time::Instant::now();
        let o = cli(&args);
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "{args:?}"
        );
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains(reason), "{args:?}: {err}");
        assert!(err.contains("program 'big' failed verification"), "{err}");
    }
}

/// `gen -o` onto something that is not a regular file (a FIFO here; `/dev/null` alike) writes
/// through it: renaming a finished file over it, as `gen` does for regular files, would replace
/// the device with a file.
#[cfg(unix)]
#[test]
fn gen_writes_through_a_fifo_instead_of_replacing_it() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("out.c");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let o = cli(&[
        "bpf2c",
        "gen",
        "tests/bpf/maps_basic.o",
        "-o",
        fifo.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let c = reader.join().unwrap();
    assert!(c.contains("bpf2c_module_t"), "{c}");
    let meta = std::fs::symlink_metadata(&fifo).unwrap();
    assert!(meta.file_type().is_fifo(), "{:?}", meta.file_type());
}
