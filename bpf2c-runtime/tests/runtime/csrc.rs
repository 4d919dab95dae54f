//! The runtime's own C sources compile without a single warning under the strictest
//! common flags, with every C compiler at hand (build.rs does not use -Werror, so that a
//! future compiler's new warning cannot break users' builds; this test is the guard).

use std::path::Path;
use std::process::Command;

fn compilers() -> Vec<String> {
    let mut list = vec![std::env::var("CC").unwrap_or_else(|_| "cc".to_string())];
    for candidate in ["gcc", "clang", "clang-19"] {
        let found = Command::new(candidate)
            .arg("--version")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if found && !list.iter().any(|c| c == candidate) {
            list.push(candidate.to_string());
        }
    }
    list
}

#[test]
fn c_sources_compile_warning_free() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    for cc in compilers() {
        for src in ["printk.c", "sys.c", "run.c", "prandom.c"] {
            let output = Command::new(&cc)
                .args([
                    "-std=c11",
                    "-O2",
                    "-Wall",
                    "-Wextra",
                    "-Wpedantic",
                    "-Werror",
                    "-c",
                ])
                .arg("-I")
                .arg(bpf2c_runtime::include_dir())
                .arg("-I")
                .arg(root.join("csrc"))
                .arg("-o")
                .arg(out.path().join("x.o"))
                .arg(root.join("csrc").join(src))
                .output()
                .unwrap_or_else(|e| panic!("cannot run {cc}: {e}"));
            assert!(
                output.status.success(),
                "{cc} on {src}:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}
