//! Builds generated modules together with `tests/harness.c` and runs them.
//!
//! Every case becomes its own translation unit (generated modules all define the same
//! static names), and the units are compiled by two compiler processes at once, one per
//! core, then linked with the harness and a generated case table into one executable.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use bpf2c::codegen::{c_string, generate, CodegenOptions};
use bpf2c::object::raw::load_raw;
use bpf2c::object::validate::validate_object;

pub const CFLAGS: &[&str] = &[
    "-std=c11",
    "-O2",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-fsanitize=undefined,address",
    "-fno-sanitize-recover=all",
];

/// One module to run: its generated C, the symbol of its bpf2c_module_t and its input.
pub struct Case {
    pub name: String,
    pub c_source: String,
    pub symbol: String,
    pub memory: Vec<u8>,
}

/// What a run printed for one case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub r0: u64,
    pub unwind: u32,
    pub unwind_function: u32,
    pub unwind_pc: u32,
}

/// The results of one harness run; `failure` describes a crash or non-zero exit.
pub struct Run {
    pub outcomes: BTreeMap<String, Outcome>,
    pub failure: Option<String>,
}

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn runtime_include() -> PathBuf {
    bpf2c_runtime::include_dir()
}

/// The C compilers to test with: gcc always, clang-19 when it is installed.
pub fn compilers() -> Vec<&'static str> {
    let mut out = vec!["gcc"];
    let clang = Command::new("clang-19")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if matches!(clang, Ok(s) if s.success()) {
        out.push("clang-19");
    } else {
        // Under CI a missing tool fails: .ci/run installs clang-19, so a skip would hide a
        // broken install step.
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true" || v == "1"),
            "clang-19 is not installed (CI=true: .ci/run must install it, so this fails instead of skipping)"
        );
        println!("clang-19 is not installed: skipping the clang build");
    }
    out
}

/// A case from raw bytecode, translated with default options and a per-case module symbol.
pub fn raw_case(name: &str, bytecode: &[u8], memory: &[u8]) -> Result<Case, String> {
    let obj = load_raw(bytecode, Path::new(&format!("{name}.bin")), name)
        .map_err(|e| format!("{name}: load: {e}"))?;
    let symbol = format!(
        "bpf2c_test_module_{}",
        bpf2c::codegen::sanitize_identifier(name)
    );
    let opts = CodegenOptions {
        module_symbol: Some(symbol.clone()),
        ..CodegenOptions::default()
    };
    let validated = validate_object(&obj).map_err(|e| format!("{name}: validate: {e}"))?;
    let c_source = generate(validated, &opts).map_err(|e| format!("{name}: generate: {e}"))?;
    Ok(Case {
        name: name.to_string(),
        c_source,
        symbol,
        memory: memory.to_vec(),
    })
}

fn cases_table(cases: &[Case]) -> String {
    let mut s = String::from("#include \"harness.h\"\n\n");
    for (i, c) in cases.iter().enumerate() {
        writeln!(s, "extern const bpf2c_module_t {};", c.symbol).unwrap();
        if !c.memory.is_empty() {
            let bytes: Vec<String> = c.memory.iter().map(|b| format!("{b:#04x}")).collect();
            writeln!(
                s,
                "static const uint8_t memory_{i}[] = {{ {} }};",
                bytes.join(", ")
            )
            .unwrap();
        }
    }
    s.push_str("\nconst harness_case_t harness_cases[] = {\n");
    for (i, c) in cases.iter().enumerate() {
        let mem = if c.memory.is_empty() {
            "NULL".to_string()
        } else {
            format!("memory_{i}")
        };
        writeln!(
            s,
            "    {{ {}, &{}, {mem}, {} }},",
            c_string(&c.name),
            c.symbol,
            c.memory.len()
        )
        .unwrap();
    }
    writeln!(s, "}};\nconst size_t harness_case_count = {};", cases.len()).unwrap();
    s
}

/// Shortens long compiler or sanitizer output at a character boundary.
fn truncate(text: &mut String, max: usize) {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str("\n[truncated]");
    }
}

/// Compiles one generated file on its own (no harness), with the test flags.
pub fn compile_only(compiler: &str, c_source: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    std::fs::write(dir.path().join("module.c"), c_source).map_err(|e| e.to_string())?;
    let out = Command::new(compiler)
        .current_dir(dir.path())
        .args(CFLAGS)
        .arg("-I")
        .arg(runtime_include())
        .args(["-c", "module.c", "-o", "module.o"])
        .output()
        .map_err(|e| format!("cannot run {compiler}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(compiler_output(compiler, &out))
    }
}

fn compiler_output(what: &str, out: &std::process::Output) -> String {
    let mut text = String::from_utf8_lossy(&out.stderr).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stdout));
    truncate(&mut text, 20_000);
    format!("{what} failed ({}):\n{text}", out.status)
}

/// A linked harness, ready to run.
pub struct Harness {
    dir: tempfile::TempDir,
    names: Vec<String>,
}

/// Compiles every case with `compiler`, links the harness, and runs it with `budget`.
pub fn build_and_run(compiler: &str, cases: &[Case], budget: u64) -> Result<Run, String> {
    build(compiler, cases)?.run(budget)
}

/// Compiles every case with `compiler` and links the harness.
pub fn build(compiler: &str, cases: &[Case]) -> Result<Harness, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir_path = dir.path();
    let include = runtime_include();
    let tests_dir = manifest_dir().join("tests");
    let mut units = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let file = format!("m{i}.c");
        std::fs::write(dir_path.join(&file), &c.c_source).map_err(|e| e.to_string())?;
        units.push(file);
    }
    std::fs::write(dir_path.join("cases.c"), cases_table(cases)).map_err(|e| e.to_string())?;

    let base = |cmd: &mut Command| {
        cmd.current_dir(dir_path)
            .args(CFLAGS)
            .arg("-I")
            .arg(&include)
            .arg("-I")
            .arg(&tests_dir);
    };
    // Two compiler processes, each with half of the units.
    let half = units.len().div_ceil(2).max(1);
    let mut children = Vec::new();
    for batch in units.chunks(half) {
        let mut cmd = Command::new(compiler);
        base(&mut cmd);
        cmd.arg("-c").args(batch);
        let child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {compiler}: {e}"))?;
        children.push(child);
    }
    let mut errors = String::new();
    for child in children {
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        if !out.status.success() {
            errors.push_str(&compiler_output(&format!("{compiler} -c"), &out));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let mut link = Command::new(compiler);
    base(&mut link);
    link.arg(tests_dir.join("harness.c"))
        .arg("cases.c")
        .args(units.iter().map(|u| u.replace(".c", ".o")))
        .arg("-o")
        .arg("harness");
    let out = link.output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(compiler_output(&format!("{compiler} link"), &out));
    }

    Ok(Harness {
        names: cases.iter().map(|c| c.name.clone()).collect(),
        dir,
    })
}

impl Harness {
    /// Runs every case with the given loop budget.
    pub fn run(&self, budget: u64) -> Result<Run, String> {
        let out = Command::new(self.dir.path().join("harness"))
            .arg(budget.to_string())
            .env("ASAN_OPTIONS", "abort_on_error=0")
            .output()
            .map_err(|e| e.to_string())?;
        let mut outcomes = BTreeMap::new();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let parts: Vec<&str> = line.split(' ').collect();
            let parsed = (parts.len() == 5)
                .then(|| {
                    Some(Outcome {
                        r0: parts[1].parse().ok()?,
                        unwind: parts[2].parse().ok()?,
                        unwind_function: parts[3].parse().ok()?,
                        unwind_pc: parts[4].parse().ok()?,
                    })
                })
                .flatten();
            match parsed {
                Some(o) => {
                    outcomes.insert(parts[0].to_string(), o);
                }
                None => return Err(format!("unexpected harness output line: {line}")),
            }
        }
        let failure = (!out.status.success()).then(|| {
            let next = self
                .names
                .iter()
                .find(|n| !outcomes.contains_key(*n))
                .map_or("(none)", |n| n.as_str());
            let mut stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            truncate(&mut stderr, 10_000);
            format!(
                "harness exited with {} while running case {next}:\n{stderr}",
                out.status
            )
        });
        Ok(Run { outcomes, failure })
    }
}

/// Keeps a copy of generated sources for inspection when BPF2C_KEEP_C names a directory.
pub fn keep_sources(cases: &[Case]) {
    if let Some(dir) = std::env::var_os("BPF2C_KEEP_C") {
        let dir = Path::new(&dir);
        let _ = std::fs::create_dir_all(dir);
        for c in cases {
            let _ = std::fs::write(dir.join(format!("{}.c", c.name)), &c.c_source);
        }
    }
}
