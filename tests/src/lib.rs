//! Helpers shared by the end-to-end tests: where things are, building eBPF objects through
//! the whole pipeline (driver, native compile, runtime), running the `cargo-bpf2c` binary,
//! finding C compilers, and reading the conformance suite.

pub mod cc;
pub mod cli;
pub mod conformance;
pub mod difftest;
pub mod gen;
pub mod interp;
pub mod pipeline;
pub mod soak;

use std::path::PathBuf;

/// The repository root (the workspace directory).
pub use bpf2c_testkit::repo as repo_root;

/// The eBPF corpus directory, `tests/bpf`.
pub fn corpus_dir() -> PathBuf {
    repo_root().join("tests").join("bpf")
}

/// A file of the corpus, e.g. `corpus("xdp_parse.o")`.
pub fn corpus(name: &str) -> PathBuf {
    corpus_dir().join(name)
}

/// Every committed object of the corpus, sorted by name.
pub fn corpus_objects() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("tests/bpf is readable")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "o"))
        .collect();
    out.sort();
    out
}

/// The profile directory the test binary was built into (`target/debug`), found from the
/// test executable, which cargo puts in its `deps` subdirectory.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable has a path");
    let deps = exe.parent().expect("the test executable is in a directory");
    if deps.file_name().is_some_and(|n| n == "deps") {
        deps.parent().expect("deps has a parent").to_path_buf()
    } else {
        deps.to_path_buf()
    }
}

/// A directory for compiled modules that survives between test runs (the compile cache is
/// keyed by content, so stale entries are never used), inside the build directory. Private
/// (0700) whatever the umask, as the cache requires of its directories.
pub fn cache_dir() -> PathBuf {
    let dir = profile_dir().join("bpf2c-tests-cache");
    bpf2c_build::cache::ensure_private_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot create the test compile cache: {e}"));
    dir
}

/// Little-endian bytes of a u32 key.
pub fn key32(k: u32) -> Vec<u8> {
    k.to_le_bytes().to_vec()
}

/// A u64 from the first 8 bytes of a little-endian value.
pub fn u64_at(bytes: &[u8], offset: usize) -> u64 {
    u64::from_le_bytes(bytes[offset..offset + 8].try_into().expect("8 bytes"))
}

/// A u32 from 4 bytes of a little-endian value.
pub fn u32_at(bytes: &[u8], offset: usize) -> u32 {
    u32::from_le_bytes(bytes[offset..offset + 4].try_into().expect("4 bytes"))
}

/// Writes a summary line straight to the test process's stderr, which the test harness does
/// not capture, so that counts show in a normal `cargo test` run.
pub fn report(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// True under CI (`CI=true`, as CI systems and `.ci/run` set it).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Under CI a missing tool is a failure, not a skip: `.ci/run` installs every tool the tests
/// use, so a skip there would hide a broken install step.
pub fn fail_if_ci(why: &str) {
    assert!(
        !in_ci(),
        "{why}\n(CI=true: .ci/run must install every tool the tests use, so this fails instead of skipping)"
    );
}
