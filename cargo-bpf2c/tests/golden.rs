//! Golden files: for a representative set of objects, the complete C that `cargo bpf2c gen`
//! prints, the Rust bindings the build pipeline writes, and the table `cargo bpf2c report`
//! prints, kept in `tests/golden/` and compared byte for byte.
//!
//! A change to any of them shows up here as a diff to review. When the change is intended,
//! re-bless with `BPF2C_BLESS=1 cargo test -p cargo-bpf2c --test cli golden` and commit the
//! files with the change.

use std::path::{Path, PathBuf};
use std::process::Command;

use bpf2c::bindings::{self, BindingsOptions};
use bpf2c::object::{load_file, InputFormat};
use bpf2c_testkit::repo;

/// Objects relative to the repository root: maps of every runnable kind, global data, BPF
/// calls, tail calls, atomics, loops, legacy map sections, helpers, and the examples.
const OBJECTS: &[&str] = &[
    "tests/bpf/maps_basic.o",
    "tests/bpf/global_data.o",
    "tests/bpf/global_end.o",
    "tests/bpf/subprograms.o",
    "tests/bpf/tail_calls.o",
    "tests/bpf/atomics.o",
    "tests/bpf/multi_prog.o",
    "tests/bpf/loop.o",
    "tests/bpf/legacy_maps.o",
    "tests/bpf/helpers.o",
    "examples/packet-counter/bpf/counter.o",
    "examples/rate-limiter/bpf/ratelimit.o",
    "examples/plugin-host/bpf/audit.o",
];

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Runs `cargo bpf2c <args>` from the repository root (so paths in the output are relative)
/// and returns its stdout; the command must succeed.
fn cli(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-bpf2c"))
        .arg("bpf2c")
        .args(args)
        .current_dir(repo())
        .output()
        .expect("cargo-bpf2c runs");
    assert!(
        out.status.success(),
        "cargo bpf2c {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("the output is UTF-8")
}

/// The three outputs of one object, by golden file name.
fn outputs(object: &str) -> Vec<(String, String)> {
    let stem = Path::new(object)
        .file_stem()
        .and_then(|s| s.to_str())
        .expect("object names are UTF-8");
    let obj = load_file(&repo().join(object), InputFormat::Elf).expect("the object loads");
    let rust = bindings::generate(&obj, &BindingsOptions::default()).expect("bindings");
    vec![
        (format!("{stem}.c"), cli(&["gen", object, "--quiet"])),
        (format!("{stem}.rs"), rust),
        (format!("{stem}.report.txt"), cli(&["report", object])),
    ]
}

#[test]
fn outputs_match_the_golden_files() {
    let bless = std::env::var_os("BPF2C_BLESS").is_some_and(|v| v != "0");
    let dir = golden_dir();
    let mut wrong = Vec::new();
    let mut expected_files = Vec::new();
    for object in OBJECTS {
        for (name, actual) in outputs(object) {
            let path = dir.join(&name);
            expected_files.push(name.clone());
            if bless {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &actual).unwrap();
                continue;
            }
            match std::fs::read_to_string(&path) {
                Ok(expected) if expected == actual => {}
                Ok(expected) => wrong.push(format!(
                    "{name}: differs\n{}",
                    first_difference(&expected, &actual)
                )),
                Err(e) => wrong.push(format!("{name}: cannot read {}: {e}", path.display())),
            }
        }
    }
    // A golden file no object produces any more is stale.
    let mut present: Vec<String> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    present.retain(|f| !expected_files.contains(f));
    if bless {
        for f in &present {
            std::fs::remove_file(dir.join(f)).unwrap();
        }
    } else if !present.is_empty() {
        wrong.push(format!("stale golden files: {}", present.join(", ")));
    }
    assert!(
        wrong.is_empty(),
        "{}\n\nIf the change is intended: BPF2C_BLESS=1 cargo test -p cargo-bpf2c --test cli golden",
        wrong.join("\n\n")
    );
}

/// The first line that differs, with its number, to show where to look.
fn first_difference(expected: &str, actual: &str) -> String {
    let mut e = expected.lines();
    let mut a = actual.lines();
    for n in 1.. {
        match (e.next(), a.next()) {
            (Some(x), Some(y)) if x == y => continue,
            (None, None) => return "  (line endings differ)".into(),
            (x, y) => {
                return format!(
                    "  line {n}:\n  expected: {}\n  actual:   {}",
                    x.unwrap_or("<end of file>"),
                    y.unwrap_or("<end of file>")
                )
            }
        }
    }
    unreachable!()
}
