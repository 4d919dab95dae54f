//! The runtime's own C sources compile without a single warning under the strictest
//! common flags, with every C compiler at hand (build.rs does not use -Werror, so that a
//! future compiler's new warning cannot break users' builds; this test is the guard).

use std::path::Path;

use bpf2c_testkit::cc::{self, Compiler, Unit};

/// `$CC` (else `cc`), and gcc and clang when they are installed (a missing clang fails
/// under CI).
fn compilers() -> Vec<Compiler> {
    let mut list = vec![Compiler::from_env()];
    for c in cc::compilers() {
        if !list.iter().any(|l| l.name() == c.name()) {
            list.push(c.clone());
        }
    }
    list
}

#[test]
fn c_sources_compile_warning_free() {
    let csrc = Path::new(env!("CARGO_MANIFEST_DIR")).join("csrc");
    let include = format!("-I{}", csrc.display());
    let flags = [
        "-std=c11",
        "-O2",
        "-Wall",
        "-Wextra",
        "-Wpedantic",
        "-Werror",
        &include,
    ];
    for compiler in compilers() {
        for src in ["printk.c", "sys.c", "run.c", "prandom.c"] {
            let text = std::fs::read_to_string(csrc.join(src)).unwrap();
            cc::compile_check(&compiler, &flags, &[Unit::new(src, text)])
                .unwrap_or_else(|e| panic!("{compiler} on {src}:\n{e}"));
        }
    }
}
