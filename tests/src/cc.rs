//! C compilers: the host compiler the native pipeline uses (for batch builds of many modules
//! at once), and gcc and clang for the strict-warning and sanitizer builds.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The strict flags every generated file must compile with.
pub const STRICT_FLAGS: &[&str] = &["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror"];

/// The sanitizer flags of the sanitized runs.
pub const SANITIZE_FLAGS: &[&str] = &["-fsanitize=undefined,address", "-fno-sanitize-recover=all"];

/// One translation unit: a file name (without directory) and its C.
pub struct Unit {
    pub file: String,
    pub c_source: String,
}

/// Compiler processes to run at once: one per core.
pub fn jobs() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

fn works(compiler: &str) -> bool {
    Command::new(compiler)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// gcc, which the tests require.
pub fn gcc() -> &'static str {
    assert!(works("gcc"), "gcc is required by the toolchain tests");
    "gcc"
}

/// clang: `$CLANG` if set, else `clang-19`, else `clang`; None (after printing why) when
/// none is installed.
pub fn clang() -> Option<String> {
    let candidates: Vec<String> = match std::env::var("CLANG") {
        Ok(c) if !c.is_empty() => vec![c],
        _ => vec!["clang-19".into(), "clang".into()],
    };
    for c in &candidates {
        if works(c) {
            return Some(c.clone());
        }
    }
    crate::fail_if_ci(&format!(
        "no clang found (tried {}); install clang-19 or set CLANG",
        candidates.join(", ")
    ));
    println!(
        "SKIPPED: no clang found (tried {}); install clang-19 or set CLANG",
        candidates.join(", ")
    );
    crate::report(&format!(
        "note: clang ({}) is not installed: its part of this test is skipped",
        candidates.join(", ")
    ));
    None
}

/// Compiler output, shortened so a failure message stays readable.
pub fn describe_failure(what: &str, out: &Output) -> String {
    let mut text = String::from_utf8_lossy(&out.stderr).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stdout));
    if text.len() > 20_000 {
        let mut end = 20_000;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str("\n[truncated]");
    }
    format!("{what} failed ({}):\n{text}", out.status)
}

/// Writes the units into `dir` (with the ABI header) and splits them into `groups` batches
/// of roughly equal size, preserving order.
fn write_units(units: &[Unit], dir: &Path, groups: usize) -> Vec<Vec<String>> {
    bpf2c_runtime::write_abi_header(dir).expect("cannot write bpf2c.h");
    for u in units {
        std::fs::write(dir.join(&u.file), &u.c_source).expect("cannot write a C file");
    }
    let per = units.len().div_ceil(groups.max(1)).max(1);
    units
        .chunks(per)
        .map(|c| c.iter().map(|u| u.file.clone()).collect())
        .collect()
}

/// Runs the commands at once and collects the failures.
fn run_all(commands: Vec<(String, Command)>) -> Result<(), String> {
    let mut children = Vec::new();
    for (what, mut cmd) in commands {
        let child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {what}: {e}"))?;
        children.push((what, child));
    }
    let mut errors = String::new();
    for (what, child) in children {
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        if !out.status.success() {
            errors.push_str(&describe_failure(&what, &out));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Builds the units into a few shared libraries in `dir`, one per core, with the host
/// compiler and flags of `bpf2c_build::native` (each unit stays its own translation unit:
/// generated modules share static names). Returns, per unit, the library holding it.
pub fn build_shared_libraries(units: &[Unit], dir: &Path) -> Result<Vec<PathBuf>, String> {
    let compiler = bpf2c_build::native::host_compiler().map_err(|e| e.to_string())?;
    let batches = write_units(units, dir, jobs());
    let mut commands = Vec::new();
    let mut libraries = Vec::new();
    for (i, batch) in batches.iter().enumerate() {
        let library = dir.join(format!("libbatch{i}.so"));
        let mut cmd = compiler.to_command();
        cmd.current_dir(dir)
            .args(["-std=c11", "-shared", "-I", "."])
            .arg("-o")
            .arg(&library)
            .args(batch);
        commands.push((format!("{} (batch {i})", compiler.path().display()), cmd));
        libraries.extend(std::iter::repeat_n(library, batch.len()));
    }
    run_all(commands)?;
    Ok(libraries)
}

/// Compiles every unit to an object file with `compiler` and `flags` (plus `-I` for the
/// ABI header), in one process per core. Objects land next to the sources in `dir`.
pub fn compile_objects(
    compiler: &str,
    flags: &[&str],
    units: &[Unit],
    dir: &Path,
) -> Result<(), String> {
    let batches = write_units(units, dir, jobs());
    let commands = batches
        .into_iter()
        .map(|batch| {
            let mut cmd = Command::new(compiler);
            cmd.current_dir(dir)
                .args(flags)
                .args(["-I", ".", "-c"])
                .args(&batch);
            (format!("{compiler} {}", flags.join(" ")), cmd)
        })
        .collect();
    run_all(commands)
}
