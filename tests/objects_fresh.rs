//! The committed eBPF objects are what their sources build to: every `tests/bpf/*.c` and
//! `examples/*/bpf/*.c` is rebuilt with `scripts/build-bpf-objects.sh` (same flags, same
//! clang) into a temporary directory, and each fresh object must be byte-identical to the
//! committed one. Skipped, with a message, when clang-19 (or `$CLANG`) is not installed;
//! under `CI=true` that is a failure instead.

use std::path::{Path, PathBuf};
use std::process::Command;

use bpf2c_tests::{repo_root, report};

/// Every eBPF C source the script builds, relative to the repository root.
fn sources(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut push_dir = |dir: PathBuf| {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "c") {
                    out.push(p.strip_prefix(root).unwrap().to_path_buf());
                }
            }
        }
    };
    push_dir(root.join("tests").join("bpf"));
    if let Ok(examples) = std::fs::read_dir(root.join("examples")) {
        for e in examples.flatten() {
            push_dir(e.path().join("bpf"));
        }
    }
    out.sort();
    out
}

fn clang() -> Option<String> {
    let clang = std::env::var("CLANG")
        .ok()
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "clang-19".to_string());
    let ok = Command::new(&clang)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(clang)
}

#[test]
fn every_source_has_its_committed_object() {
    let root = repo_root();
    let srcs = sources(&root);
    assert!(srcs.len() >= 20, "found only {} sources", srcs.len());
    for src in &srcs {
        let obj = root.join(src.with_extension("o"));
        assert!(obj.is_file(), "{} has no committed object", src.display());
    }
    // And no object without its source.
    for entry in std::fs::read_dir(root.join("tests").join("bpf")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|x| x == "o") {
            assert!(
                p.with_extension("c").is_file(),
                "{} has no source",
                p.display()
            );
        }
    }
}

#[test]
fn committed_objects_match_a_fresh_build() {
    let Some(clang) = clang() else {
        let msg = "SKIPPED objects_fresh: clang-19 (or $CLANG) is not installed, so the \
                   committed eBPF objects cannot be rebuilt and compared";
        bpf2c_tests::fail_if_ci(msg);
        println!("{msg}");
        report(msg);
        return;
    };
    let root = repo_root();
    let out_dir = tempfile::tempdir().unwrap();
    let out = Command::new("bash")
        .arg(root.join("scripts").join("build-bpf-objects.sh"))
        .current_dir(&root)
        .env("CLANG", &clang)
        .env("BPF_OUT_DIR", out_dir.path())
        .env_remove("EXTRA_CFLAGS")
        .output()
        .expect("cannot run scripts/build-bpf-objects.sh");
    assert!(
        out.status.success(),
        "the build script failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let srcs = sources(&root);
    let mut differing = Vec::new();
    for src in &srcs {
        let rel = src.with_extension("o");
        let fresh = std::fs::read(out_dir.path().join(&rel))
            .unwrap_or_else(|e| panic!("no fresh {}: {e}", rel.display()));
        let committed = std::fs::read(root.join(&rel)).unwrap();
        if fresh != committed {
            differing.push(rel.display().to_string());
        }
    }
    assert!(
        differing.is_empty(),
        "committed objects differ from a fresh build with {clang} (rebuild them with \
         scripts/build-bpf-objects.sh and commit): {}",
        differing.join(", ")
    );
    report(&format!(
        "objects_fresh: {} objects rebuilt with {clang}, all byte-identical",
        srcs.len()
    ));
}
