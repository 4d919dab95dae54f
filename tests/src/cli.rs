//! Running the `cargo-bpf2c` binary. Another package's binary has no `CARGO_BIN_EXE_*`
//! variable here, so the tests build it with cargo into the same target directory (a no-op
//! when it is up to date) and run it from there.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use crate::{cache_dir, profile_dir, repo_root};

/// `BPF2C_TESTS_CLI` names a prebuilt binary to use instead of building one.
const CLI_ENV: &str = "BPF2C_TESTS_CLI";

fn binary_name() -> String {
    format!("cargo-bpf2c{}", std::env::consts::EXE_SUFFIX)
}

fn build_binary() -> PathBuf {
    if let Some(p) = std::env::var_os(CLI_ENV) {
        return PathBuf::from(p);
    }
    let profile_dir = profile_dir();
    let binary = profile_dir.join(binary_name());
    let target_dir = profile_dir
        .parent()
        .expect("the profile directory has a parent")
        .to_path_buf();
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => "dev".to_string(),
        Some(other) => other.to_string(),
        None => "dev".to_string(),
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let out = Command::new(&cargo)
        .current_dir(repo_root())
        .args([
            "build",
            "--quiet",
            "-p",
            "cargo-bpf2c",
            "--profile",
            &profile,
        ])
        .arg("--target-dir")
        .arg(&target_dir)
        .output();
    match out {
        Ok(o) if o.status.success() => {}
        Ok(o) if binary.is_file() => eprintln!(
            "warning: `cargo build -p cargo-bpf2c` failed; using the existing {}:\n{}",
            binary.display(),
            String::from_utf8_lossy(&o.stderr)
        ),
        Ok(o) => panic!(
            "`cargo build -p cargo-bpf2c` failed:\n{}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) if binary.is_file() => eprintln!(
            "warning: cannot run cargo ({e}); using the existing {}",
            binary.display()
        ),
        Err(e) => panic!("cannot run cargo to build cargo-bpf2c: {e}"),
    }
    assert!(
        binary.is_file(),
        "{} does not exist after building it",
        binary.display()
    );
    binary
}

/// The `cargo-bpf2c` binary, built once per test process.
pub fn binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(build_binary)
}

/// A command running `cargo-bpf2c` from the repository root (so corpus paths can be given
/// relative), with the tests' compile cache and without colour.
pub fn command() -> Command {
    let mut cmd = Command::new(binary());
    cmd.current_dir(repo_root())
        .env("BPF2C_CACHE_DIR", cache_dir())
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE");
    cmd
}

/// Runs `cargo-bpf2c ARGS` with `stdin` as standard input.
pub fn run_with_stdin(args: &[&str], stdin: &str) -> Output {
    let mut child = command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start cargo-bpf2c");
    let mut input = child.stdin.take().expect("stdin is piped");
    input
        .write_all(stdin.as_bytes())
        .expect("cannot write to cargo-bpf2c");
    drop(input);
    child
        .wait_with_output()
        .expect("cargo-bpf2c did not finish")
}

/// Runs `cargo-bpf2c ARGS` with no standard input.
pub fn run(args: &[&str]) -> Output {
    command()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("cannot run cargo-bpf2c")
}

/// Standard output and standard error as text.
pub fn texts(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs a command that must succeed and returns its standard output parsed as the one JSON
/// value of its last line (what `cargo bpf2c run` prints).
pub fn run_json(args: &[&str]) -> serde_json::Value {
    let out = run(args);
    let (stdout, stderr) = texts(&out);
    assert!(
        out.status.success(),
        "cargo-bpf2c {args:?} failed ({}):\n{stderr}",
        out.status
    );
    let line = stdout
        .lines()
        .last()
        .unwrap_or_else(|| panic!("cargo-bpf2c {args:?} printed nothing; stderr:\n{stderr}"));
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}
