//! A crate that declares an eBPF C source instead of a committed object, built with the
//! real cargo: the build script compiles it with clang, a change to a header it includes
//! reruns the build, and a missing clang fails the build with one clear line.
//!
//! The tests that compile need clang (found as the build script finds it); without one
//! they say so and stop. The missing-clang test needs nothing.

use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::real_cargo::{cargo, ran_build_script, serial, stderr, write_demo_manifest};

const SOURCE: &str = r#"#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verdict.h"

SEC("xdp")
int decide(struct xdp_md *ctx)
{
	return VERDICT;
}

char LICENSE[] SEC("license") = "GPL";
"#;

const MAIN: &str = r#"
bpf2c_runtime::include_bindings!("gate");

fn main() {
    let gate = gate::Gate::load().unwrap();
    let mut frame = vec![0u8; 60];
    println!("verdict {}", gate.decide().run(&mut frame).unwrap());
}
"#;

/// A crate `demo` whose build.rs compiles `bpf/gate.bpf.c`, which includes
/// `bpf/verdict.h` (`#define VERDICT <verdict>`).
fn make_crate(dir: &Path, verdict: u32) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::create_dir_all(dir.join("bpf")).unwrap();
    std::fs::write(dir.join("bpf/gate.bpf.c"), SOURCE).unwrap();
    std::fs::write(
        dir.join("bpf/verdict.h"),
        format!("#define VERDICT {verdict}\n"),
    )
    .unwrap();
    write_demo_manifest(dir);
    std::fs::write(
        dir.join("build.rs"),
        "fn main() {\n    bpf2c_build::Builder::new().source(\"bpf/gate.bpf.c\").run();\n}\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/main.rs"), MAIN).unwrap();
}

/// Rewrites the header, dated later than anything cargo recorded whatever the file
/// system's timestamp grain.
fn write_verdict(dir: &Path, verdict: u32) {
    let path = dir.join("bpf/verdict.h");
    std::fs::write(&path, format!("#define VERDICT {verdict}\n")).unwrap();
    let f = std::fs::File::options().write(true).open(&path).unwrap();
    f.set_modified(SystemTime::now() + Duration::from_secs(2))
        .unwrap();
}

#[test]
fn a_source_is_compiled_and_a_header_change_rebuilds_it() {
    let _serial = serial();
    if let Err(e) = bpf2c_build::clang::find_clang(None, std::env::var_os("PATH")) {
        eprintln!("skipped: {e}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    make_crate(d, 2);
    let run = cargo(d, &["run", "-q"], &[]);
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        "verdict 2\n",
        "{}",
        stderr(&run)
    );

    // Nothing changed: the build script does not run again.
    let again = cargo(d, &["build", "-v"], &[]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(!ran_build_script(&again), "{}", stderr(&again));

    // The header the source includes changed: it does, and the program follows.
    write_verdict(d, 1);
    let changed = cargo(d, &["build", "-v"], &[]);
    assert!(changed.status.success(), "{}", stderr(&changed));
    assert!(ran_build_script(&changed), "{}", stderr(&changed));
    let run = cargo(d, &["run", "-q"], &[]);
    assert_eq!(String::from_utf8_lossy(&run.stdout), "verdict 1\n");

    // A compile error names the source and clang's first error line.
    std::fs::write(d.join("bpf/verdict.h"), "#define VERDICT (\n").unwrap();
    let broken = cargo(d, &["build"], &[]);
    assert!(!broken.status.success());
    let err = stderr(&broken);
    let line = err
        .lines()
        .find(|l| l.starts_with("error: demo@0.1.0: bpf/gate.bpf.c: "))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(line.contains("failed") && line.contains("error"), "{line}");
    assert!(err.contains("gate.clang.log"), "{err}");
}

#[test]
fn a_missing_clang_fails_the_build_with_one_clear_line() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    make_crate(d, 2);
    let build = cargo(d, &["build"], &[("BPF2C_CLANG", "/nonexistent/clang")]);
    assert!(!build.status.success());
    let err = stderr(&build);
    assert!(
        err.contains(
            "error: demo@0.1.0: bpf/gate.bpf.c: BPF2C_CLANG=/nonexistent/clang: no such \
             executable"
        ),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}
