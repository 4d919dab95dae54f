//! Every input of `cargo bpf2c run` and `cargo bpf2c plugin` that is not what it should be
//! (hex, `--maps-in` files, `--maps-out` paths, the plugin's stdin, program names,
//! `--repeat`, object files) is refused with a message naming the input and the reason:
//! exit 2 for what the command line itself gets wrong (clap's usage errors), exit 1 for
//! contents that are wrong, and never a panic (exit 101).

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use bpf2c_testkit::repo;
use serde_json::{json, Value};

/// One compile cache for every test here, private as the cache requires.
fn cache() -> PathBuf {
    use std::os::unix::fs::DirBuilderExt;
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bpf2c-input-errors-cache");
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .unwrap();
    dir
}

/// Runs the CLI from the repository root, with `stdin` as its standard input.
fn cli_with_stdin<S: AsRef<OsStr>>(args: &[S], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cargo-bpf2c"))
        .args(args)
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .env("BPF2C_CACHE_DIR", cache())
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start cargo-bpf2c");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().expect("cargo-bpf2c finishes")
}

fn cli<S: AsRef<OsStr>>(args: &[S]) -> Output {
    cli_with_stdin(args, b"")
}

/// Asserts that `output` failed with exit `code` and each `expected` text on stderr, with no
/// sign of a panic; returns stderr.
#[track_caller]
fn assert_refused(output: &Output, code: i32, expected: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(code), "stderr:\n{stderr}");
    for text in expected {
        assert!(stderr.contains(text), "stderr lacks '{text}':\n{stderr}");
    }
    for bad in ["panicked", "internal error", "RUST_BACKTRACE"] {
        assert!(!stderr.contains(bad), "stderr shows '{bad}':\n{stderr}");
    }
    assert!(output.stdout.is_empty(), "a refused run prints no result");
    stderr
}

/// The JSON result of a successful run.
#[track_caller]
fn result_of(output: &Output) -> Value {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.lines().last().expect("a result line")).expect("JSON")
}

const COUNT: [&str; 4] = ["run", "tests/bpf/maps_basic.o", "--program", "count"];

fn run_count(extra: &[&str]) -> Output {
    let mut args = COUNT.to_vec();
    args.extend_from_slice(extra);
    cli(&args)
}

#[test]
fn data_hex_is_refused_with_the_character_and_position() {
    let cases: &[(&str, &str)] = &[
        // A character of two UTF-8 bytes once split the text inside it (a panic).
        ("aé0", "--data-hex: 'é' (character 2) is not a hex digit"),
        ("0011é", "--data-hex: 'é' (character 5) is not a hex digit"),
        ("zz", "--data-hex: 'z' (character 1) is not a hex digit"),
        ("01,02", "--data-hex: ',' (character 3) is not a hex digit"),
        (
            "abc",
            "--data-hex: 'abc' (character 1) has an odd number of hex digits (3)",
        ),
        (
            "00 0x",
            "--data-hex: '0x' (character 4) has no digits after the 0x",
        ),
    ];
    for (text, message) in cases {
        let out = run_count(&["--data-hex", text]);
        let stderr = assert_refused(&out, 1, &[message]);
        assert!(
            !stderr.contains("Compiling"),
            "{text}: refused before compiling:\n{stderr}"
        );
    }
    // Whitespace of any kind separates bytes; 0x prefixes and single digits are bytes.
    let result = result_of(&run_count(&["--data-hex", " 0x01\t2 \n0304 "]));
    assert_eq!(result["data_out"], json!("01020304"));
    // An argument that is not UTF-8 at all is a usage error, reported by the parser.
    let mut args: Vec<&OsStr> = COUNT.iter().map(OsStr::new).collect();
    args.extend([OsStr::new("--data-hex"), OsStr::from_bytes(b"0\xff")]);
    assert_refused(&cli(&args), 2, &["invalid UTF-8"]);
}

#[test]
fn maps_in_files_of_the_wrong_shape_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.json");
    let name = file.to_str().unwrap();
    let prefix = format!("--maps-in {name}: ");
    let format = r#"expected {"<map name>": {"<key hex>": "<value hex>"}}"#;
    let cases: &[(&[u8], &[&str])] = &[
        (b"not json", &["not valid JSON", "line 1 column 2"]),
        (b"{\"counters\": {\xff}}", &["byte 15 (0xff) is not UTF-8 text"]),
        (b"[1, 2]", &["the top level is an array, not an object", format]),
        (
            br#"{"counters": ["00"]}"#,
            &["map 'counters' is an array, not an object", format],
        ),
        (
            br#"{"counters": {"00000000": 5}}"#,
            &[
                "map 'counters', key '00000000': the value is a number, not a hex string",
                format,
            ],
        ),
        (
            r#"{"counters": {"é0000000": "0100000000000000"}}"#.as_bytes(),
            &["map 'counters', key 'é0000000': the key is not hex: 'é' (character 1) is not a hex digit"],
        ),
        (
            br#"{"counters": {"00000000": "010"}}"#,
            &["map 'counters', key '00000000': the value is not hex: '010' (character 1) has an odd number of hex digits (3)"],
        ),
    ];
    for (text, expected) in cases {
        std::fs::write(&file, text).unwrap();
        let mut expected = expected.to_vec();
        expected.push(&prefix);
        let stderr = assert_refused(&run_count(&["--maps-in", name]), 1, &expected);
        assert!(
            !stderr.contains("Compiling"),
            "refused before compiling:\n{stderr}"
        );
    }
    for missing in [dir.path().join("absent.json"), dir.path().to_path_buf()] {
        let missing = missing.to_str().unwrap();
        assert_refused(
            &run_count(&["--maps-in", missing]),
            1,
            &[&format!("--maps-in {missing}: cannot read the file")],
        );
    }
}

#[test]
fn maps_in_entries_that_do_not_fit_the_maps_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.json");
    let name = file.to_str().unwrap();
    let table_full: serde_json::Map<String, Value> = (0u32..17)
        .map(|k| (hex::encode(k.to_le_bytes()), json!("0100000002000000")))
        .collect();
    let cases: Vec<(Value, &[&str])> = vec![
        (
            json!({"nope": {}}),
            &[
                "map 'nope': no such map",
                "the object's maps: counters, table, percpu_counters, percpu_table, recent",
            ],
        ),
        (
            json!({"counters": {"000000": "0100000000000000"}}),
            &[
                "map 'counters', key '000000'",
                "key is 3 bytes, the map's keys are 4 bytes",
            ],
        ),
        (
            json!({"counters": {"00000000": "01"}}),
            &[
                "map 'counters', key '00000000'",
                "value is 1 bytes, expected 8",
            ],
        ),
        (
            json!({"counters": {"09000000": "0100000000000000"}}),
            &[
                "map 'counters', key '09000000'",
                "index 9 is out of range (max_entries 4)",
            ],
        ),
        (
            json!({ "table": table_full }),
            &["map 'table', key '10000000'", "map is full (16 entries)"],
        ),
    ];
    for (maps, expected) in cases {
        std::fs::write(&file, maps.to_string()).unwrap();
        let mut expected = expected.to_vec();
        let prefix = format!("--maps-in {name}: ");
        expected.push(&prefix);
        assert_refused(&run_count(&["--maps-in", name]), 1, &expected);
    }
    // Read-only global data may be fed back unchanged, but not changed.
    std::fs::write(
        &file,
        json!({".rodata": {"00000000": "04000000"}}).to_string(),
    )
    .unwrap();
    let out = cli(&[
        "run",
        "tests/bpf/global_data.o",
        "--program",
        "use_globals",
        "--maps-in",
        name,
    ]);
    assert_refused(
        &out,
        1,
        &["map '.rodata', key '00000000'", "map is read-only"],
    );
}

#[test]
fn maps_out_paths_that_cannot_be_written_are_refused_before_running() {
    let dir = tempfile::tempdir().unwrap();
    let in_missing_dir = dir.path().join("no/such/dir/out.json");
    let cases = [
        (
            in_missing_dir.to_str().unwrap().to_string(),
            format!(
                "the directory {} does not exist",
                dir.path().join("no/such/dir").display()
            ),
        ),
        (
            dir.path().to_str().unwrap().to_string(),
            "is a directory".to_string(),
        ),
    ];
    for (path, reason) in cases {
        let out = run_count(&["--maps-out", &path]);
        let stderr = assert_refused(&out, 1, &[&format!("--maps-out {path}: {reason}")]);
        assert!(
            !stderr.contains("Running"),
            "refused before running:\n{stderr}"
        );
    }
}

#[test]
fn plugin_stdin_and_memory_are_refused_with_the_reason() {
    // r0 = 1; exit
    let program = "b7 00 00 00 01 00 00 00 95 00 00 00 00 00 00 00";
    let out = cli_with_stdin(&["plugin"], program.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1\n");

    let cases: &[(&[u8], &str)] = &[
        (
            "b7 0é".as_bytes(),
            "program on stdin: 'é' (character 5) is not a hex digit",
        ),
        (
            b"b7 00\xff",
            "program on stdin: byte 0xff (byte 6) is not a hex digit",
        ),
        (
            b"b7 000",
            "program on stdin: '000' (character 4) has an odd number of hex digits (3)",
        ),
        (b"", "the program is empty"),
        (
            b"b7 00 00",
            "the program is 3 bytes long, which is not a whole number of 8-byte instructions",
        ),
    ];
    for (stdin, message) in cases {
        assert_refused(&cli_with_stdin(&["plugin"], stdin), 1, &[message]);
    }
    assert_refused(
        &cli_with_stdin(&["plugin", "00 é"], program.as_bytes()),
        1,
        &["memory argument: 'é' (character 4) is not a hex digit"],
    );
}

#[test]
fn program_names_and_repeat_counts_are_checked() {
    assert_refused(
        &cli(&["run", "tests/bpf/multi_prog.o", "--program", "fourth"]),
        1,
        &["tests/bpf/multi_prog.o: no program named 'fourth' (programs: first, second, third)"],
    );
    // --repeat takes a count of at least 1 that fits in 64 bits; anything else is a usage
    // error.
    for (count, reason) in [
        ("0", "invalid value '0' for '--repeat <N>': 0 is not in 1.."),
        ("18446744073709551616", "number too large"),
        ("-1", "unexpected argument '-1'"),
        ("ten", "invalid value 'ten' for '--repeat <N>'"),
    ] {
        assert_refused(&run_count(&["--repeat", count]), 2, &[reason]);
    }
    let result = result_of(&run_count(&["--repeat", "1", "--data-hex", "00"]));
    assert_eq!(result["retval"], json!(1));
}

#[test]
fn object_paths_that_are_not_objects_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let truncated = dir.path().join("truncated.o");
    let elf = std::fs::read(repo().join("tests/bpf/multi_prog.o")).unwrap();
    std::fs::write(&truncated, &elf[..100]).unwrap();
    let partial = dir.path().join("partial.bin");
    std::fs::write(&partial, [0xb7, 0, 0]).unwrap();
    let empty = dir.path().join("empty.bin");
    std::fs::write(&empty, []).unwrap();
    let (truncated, partial, empty) = (
        truncated.to_str().unwrap(),
        partial.to_str().unwrap(),
        empty.to_str().unwrap(),
    );
    let cases: &[(&[&str], &str)] = &[
        (
            &["run", "tests/bpf/no_such.o"],
            "tests/bpf/no_such.o: cannot read the file",
        ),
        (
            &["run", "tests/bpf"],
            "tests/bpf: cannot read the file: Is a directory",
        ),
        (
            &["run", "Cargo.toml"],
            "Cargo.toml: not an ELF object (pass --raw",
        ),
        (&["run", truncated], "invalid section table"),
        (&["run", "--raw", empty], "the program is empty"),
        (
            &["run", "--raw", partial],
            "the program is 3 bytes long, which is not a whole number of 8-byte instructions",
        ),
    ];
    for (args, message) in cases {
        assert_refused(&cli(args), 1, &[message]);
    }
}
