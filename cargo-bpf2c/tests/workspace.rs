//! `cargo bpf2c` against a temporary workspace: a package whose object verifies, one whose
//! object does not, cargo-style status lines, JSON messages and exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn repo(rel: &str) -> PathBuf {
    bpf2c_testkit::repo().join(rel)
}

/// A workspace with members `good` (two objects) and `bad` (one refused object).
fn workspace() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    std::fs::write(
        root.join("Cargo.toml"),
        "[workspace]\nresolver = \"2\"\nmembers = [\"good\", \"bad\"]\n",
    )
    .unwrap();
    for (pkg, objects, metadata) in [
        (
            "good",
            &[
                ("examples/packet-counter/bpf/counter.o", "counter.o"),
                ("tests/bpf/maps_basic.o", "maps_basic.o"),
            ][..],
            "objects = [\"bpf/*.o\"]\n[package.metadata.bpf2c.object.\"bpf/maps_basic.o\"]\nno-opt = true\n",
        ),
        (
            "bad",
            &[("tests/bpf/fail_unchecked_lookup.o", "unchecked.o")][..],
            "objects = [\"bpf/unchecked.o\"]\n",
        ),
    ] {
        let dir = root.join(pkg);
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::create_dir_all(dir.join("bpf")).unwrap();
        std::fs::write(dir.join("src/lib.rs"), "").unwrap();
        std::fs::write(
            dir.join("Cargo.toml"),
            format!(
                "[package]\nname = \"{pkg}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
                 [package.metadata.bpf2c]\n{metadata}"
            ),
        )
        .unwrap();
        for (from, to) in objects {
            std::fs::copy(repo(from), dir.join("bpf").join(to)).unwrap();
        }
    }
    d
}

/// Runs the binary as cargo runs a subcommand (`cargo-bpf2c bpf2c ARGS`).
fn cargo_bpf2c(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cargo-bpf2c"))
        .arg("bpf2c")
        .args(args)
        .current_dir(dir)
        .env_remove("CARGO_TERM_COLOR")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json_lines(out: &Output) -> Vec<Value> {
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

/// Every file under `dir` except `target/`, relative.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            if rel == "target" {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(rel);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn verify_passes_for_a_package_and_shows_progress() {
    let ws = workspace();
    let out = cargo_bpf2c(ws.path(), &["verify", "-p", "good"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("   Verifying [1/2] good bpf/counter.o\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("   Verifying [2/2] good bpf/maps_basic.o\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("    Finished 6 program(s) of 2 object(s) verified"),
        "{stderr}"
    );
    assert!(
        stdout.contains("good bpf/counter.o: program 'count_packets' (xdp, 118 instructions): ok"),
        "{stdout}"
    );
    // -q: no status lines at all.
    let quiet = cargo_bpf2c(ws.path(), &["verify", "-q", "-p", "good"]);
    assert_eq!(quiet.status.code(), Some(0));
    assert_eq!(text(&quiet.stderr), "");
    // The package containing the current directory, as cargo picks it.
    let here = cargo_bpf2c(&ws.path().join("good/bpf"), &["verify"]);
    assert_eq!(here.status.code(), Some(0));
    assert!(!text(&here.stdout).contains("unchecked"));
}

#[test]
fn a_refused_program_fails_with_its_source_line() {
    let ws = workspace();
    let out = cargo_bpf2c(ws.path(), &["verify", "--workspace"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("   Verifying [3/3] bad bpf/unchecked.o\n"),
        "{stderr}"
    );
    assert!(stderr.contains("20 | \t*v += 1;"), "{stderr}");
    assert!(
        stderr.contains(
            "reason: the pointer may be NULL here: check the result of bpf_map_lookup_elem"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: 1 of 7 program(s) failed verification"),
        "{stderr}"
    );
    assert!(text(&out.stdout)
        .contains("bad bpf/unchecked.o: program 'count_unchecked' (raw, 12 instructions): FAILED"));
}

#[test]
fn json_messages_carry_a_reason() {
    let ws = workspace();
    let manifest = ws.path().join("Cargo.toml");
    let out = cargo_bpf2c(
        Path::new("/"),
        &[
            "verify",
            "--workspace",
            "--message-format",
            "json",
            "--manifest-path",
            manifest.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let msgs = json_lines(&out);
    assert!(msgs.iter().all(|m| m["reason"].is_string()), "{msgs:?}");
    let verdicts: Vec<(&str, &str, bool)> = msgs
        .iter()
        .filter(|m| m["reason"] == "program-verdict")
        .map(|m| {
            (
                m["package"].as_str().unwrap(),
                m["program"].as_str().unwrap(),
                m["verified"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(verdicts.len(), 7);
    assert!(verdicts.contains(&("good", "count_packets", true)));
    assert!(verdicts.contains(&("bad", "count_unchecked", false)));
    let diag = msgs.iter().find(|m| m["reason"] == "diagnostic").unwrap();
    assert_eq!(diag["package"], "bad");
    assert_eq!(diag["object"], "bpf/unchecked.o");
    assert_eq!(diag["program"], "count_unchecked");
    assert_eq!(diag["line"], "./tests/bpf/fail_unchecked_lookup.c:20");
    assert_eq!(diag["insn"], 7);
    assert!(diag["message"]
        .as_str()
        .unwrap()
        .starts_with("the pointer may be NULL here"));
    assert_eq!(
        diag["verifier_message"],
        "Possible null access (valid_access(r0.offset, width=8) for read)"
    );
    let last = msgs.last().unwrap();
    assert_eq!(last["reason"], "verify-finished");
    assert_eq!(last["success"], false);
    assert_eq!(last["failed_programs"], 1);
}

#[test]
fn gen_and_build_write_under_target_only() {
    let ws = workspace();
    let before = files(ws.path());
    let out = cargo_bpf2c(ws.path(), &["gen", "-p", "good"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let target = ws.path().join("target/bpf2c/good");
    let c = std::fs::read_to_string(target.join("counter.c")).unwrap();
    assert!(c.contains("const bpf2c_module_t bpf2c_module_counter = {"));
    assert!(std::fs::read_to_string(target.join("maps_basic.c"))
        .unwrap()
        .contains("Optimization: off"));
    assert!(std::fs::read_to_string(target.join("counter.rs"))
        .unwrap()
        .contains("pub struct Counter {"));
    assert_eq!(files(ws.path()), before, "gen wrote into the source tree");

    let out = cargo_bpf2c(
        ws.path(),
        &["build", "-p", "good", "--message-format", "json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("   Compiling [2/2] good bpf/maps_basic.o\n"),
        "{stderr}"
    );
    let msgs = json_lines(&out);
    let built: Vec<&Value> = msgs
        .iter()
        .filter(|m| m["reason"] == "compiled-object")
        .collect();
    assert_eq!(built.len(), 2);
    for m in &built {
        assert!(Path::new(m["native_object"].as_str().unwrap()).is_file());
    }
    assert_eq!(built[0]["symbol"], "bpf2c_module_counter");
    assert_eq!(msgs.last().unwrap()["reason"], "build-finished");
    assert_eq!(files(ws.path()), before, "build wrote into the source tree");

    // A failing object: reported, nothing built for it, exit status 1.
    let out = cargo_bpf2c(ws.path(), &["build", "-p", "bad"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("error: bpf/unchecked.o: program 'count_unchecked' at tests/bpf/fail_unchecked_lookup.c:20: the pointer may be NULL here"),
        "{stderr}"
    );
    assert!(!ws.path().join("target/bpf2c/bad/unchecked.o").exists());
}

#[test]
fn usage_errors_and_help() {
    let ws = workspace();
    assert_eq!(
        cargo_bpf2c(ws.path(), &["verify", "--bogus"]).status.code(),
        Some(2)
    );
    assert_eq!(
        cargo_bpf2c(ws.path(), &["frobnicate"]).status.code(),
        Some(2)
    );
    let out = cargo_bpf2c(ws.path(), &["verify", "-p", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("package 'nope' is not a member of the workspace (members: ")
    );
    // `cargo help bpf2c` runs `cargo-bpf2c bpf2c --help`.
    let help = cargo_bpf2c(ws.path(), &["--help"]);
    assert_eq!(help.status.code(), Some(0));
    let help = text(&help.stdout);
    assert!(
        help.contains("Usage: cargo bpf2c [OPTIONS] <COMMAND>"),
        "{help}"
    );
    for cmd in ["verify", "gen", "build", "report", "run"] {
        assert!(help.contains(&format!("  {cmd} ")), "{help}");
    }
    // And through cargo itself, with the binary on PATH as `cargo install` leaves it.
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_cargo-bpf2c"))
        .parent()
        .unwrap();
    let path = std::env::join_paths(std::iter::once(bin_dir.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    for args in [&["help", "bpf2c"][..], &["bpf2c", "--help"][..]] {
        let out = Command::new(&cargo)
            .args(args)
            .env("PATH", &path)
            .current_dir(ws.path())
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "cargo {args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stdout).contains("Usage: cargo bpf2c [OPTIONS] <COMMAND>"),
            "cargo {args:?}: {}",
            text(&out.stdout)
        );
    }
    let sub = text(&cargo_bpf2c(ws.path(), &["verify", "--help"]).stdout);
    for flag in [
        "--manifest-path",
        "--package",
        "--workspace",
        "--message-format",
        "--color",
    ] {
        assert!(sub.contains(flag), "{sub}");
    }
    // Outside any workspace and without objects: a clear error, status 1.
    let empty = tempfile::tempdir().unwrap();
    let out = cargo_bpf2c(empty.path(), &["verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("cannot read the workspace"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn metadata_mistakes_name_the_key() {
    let ws = workspace();
    let manifest = ws.path().join("good/Cargo.toml");
    let m = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, m.replace("no-opt = true", "no_opt = true")).unwrap();
    let out = cargo_bpf2c(ws.path(), &["verify", "-p", "good"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(
            "package good: [package.metadata.bpf2c.object.\"bpf/maps_basic.o\"]: unknown key 'no_opt' (known keys: no-opt, name, module-symbol, program-types)"
        ),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn color_follows_the_flag() {
    let ws = workspace();
    let out = cargo_bpf2c(ws.path(), &["verify", "-p", "good", "--color", "always"]);
    assert!(text(&out.stderr).contains("\x1b[1;32m   Verifying\x1b[0m"));
    let out = cargo_bpf2c(ws.path(), &["verify", "-p", "good", "--color", "never"]);
    assert!(!text(&out.stderr).contains('\x1b'));
}

/// `report` without an object reports every object of the selected packages, honouring each
/// object's options: `good`'s maps_basic.o is declared `no-opt`, so its sites stay helpers.
#[test]
fn report_covers_the_workspace_with_per_object_options() {
    let ws = workspace();
    let out = cargo_bpf2c(
        ws.path(),
        &["report", "-p", "good", "--message-format", "json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rows = json_lines(&out);
    let of = |object: &str| -> Vec<&Value> {
        rows.iter()
            .filter(|r| r["object"].as_str().is_some_and(|o| o.ends_with(object)))
            .collect()
    };
    let counter = of("bpf/counter.o");
    assert!(!counter.is_empty());
    assert!(counter
        .iter()
        .all(|r| r["package"] == "good" && r["kind"] == "call-site"));
    assert!(
        counter.iter().any(|r| r["decision"] == "inlined"),
        "{counter:?}"
    );
    let basic = of("bpf/maps_basic.o");
    assert!(!basic.is_empty());
    assert!(basic.iter().all(|r| r["decision"] == "helper"), "{basic:?}");
    assert!(basic
        .iter()
        .all(|r| r["reason"].as_str().is_some_and(|s| s.contains("--no-opt"))));

    // The refused package fails the command with its diagnostic.
    let out = cargo_bpf2c(ws.path(), &["report", "-p", "bad"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("unchecked.o"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn program_types_in_the_metadata_apply_to_the_package_objects() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    std::fs::write(
        root.join("Cargo.toml"),
        "[workspace]\nresolver = \"2\"\nmembers = [\"typed\"]\n",
    )
    .unwrap();
    let dir = root.join("typed");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::create_dir_all(dir.join("bpf")).unwrap();
    std::fs::write(dir.join("src/lib.rs"), "").unwrap();
    for o in ["custom_section_probe.o", "custom_section_raw.o"] {
        std::fs::copy(repo(&format!("tests/bpf/{o}")), dir.join("bpf").join(o)).unwrap();
    }
    let manifest = dir.join("Cargo.toml");
    let write = |metadata: &str| {
        std::fs::write(
            &manifest,
            format!(
                "[package]\nname = \"typed\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
                 [package.metadata.bpf2c]\nobjects = [\"bpf/*.o\"]\n{metadata}"
            ),
        )
        .unwrap()
    };
    let verdicts = |out: &Output| -> Vec<(String, String, bool)> {
        json_lines(out)
            .iter()
            .filter(|m| m["reason"] == "program-verdict")
            .map(|v| {
                (
                    v["program"].as_str().unwrap().to_string(),
                    v["program_type"].as_str().unwrap().to_string(),
                    v["verified"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    let row = |p: &str, t: &str, ok: bool| (p.to_string(), t.to_string(), ok);
    // Package-wide for the probe's section, per object for the raw one.
    write(
        "program-types = { my_probe = \"kprobe\" }\n\
         [package.metadata.bpf2c.object.\"bpf/custom_section_raw.o\"]\n\
         program-types = { my_filter = \"raw\" }\n",
    );
    let out = cargo_bpf2c(root, &["verify", "--message-format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        verdicts(&out),
        [
            row("read_returned", "kprobe", true),
            row("sum_two", "raw", true)
        ]
    );
    // Without them, both are read by section name and refused.
    write("");
    let out = cargo_bpf2c(root, &["verify", "--message-format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        verdicts(&out),
        [
            row("read_returned", "socket_filter", false),
            row("sum_two", "socket_filter", false)
        ]
    );
    // An object's own entry must name one of its sections.
    write(
        "[package.metadata.bpf2c.object.\"bpf/custom_section_raw.o\"]\n\
         program-types = { my_filtr = \"raw\" }\n",
    );
    let out = cargo_bpf2c(root, &["verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(
            "a program type is given for section 'my_filtr', which holds no program (program \
             sections: my_filter)"
        ),
        "{}",
        text(&out.stderr)
    );
}
