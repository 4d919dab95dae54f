//! Builds generated modules together with bpf2c-testkit's C stand-in runtime and runs them.
//!
//! Every case becomes its own translation unit (generated modules all define the same
//! static names), compiled one compiler process per core and linked with the runtime and a
//! generated step table (one run of each case's first program, with the conformance suite's
//! helper set) into one executable, through the testkit's compile cache.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use bpf2c::codegen::{generate, CodegenOptions};
use bpf2c::object::raw::load_raw;
use bpf2c::object::validate::validate_object;
use bpf2c_testkit::cc::{self, Compiler, Output, Unit};
use bpf2c_testkit::stand_in::{self, HelperSet, RunReport, Step};

/// The strict flags and the sanitizers.
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

/// The results of one run; `failure` describes a crash or non-zero exit.
pub struct Run {
    pub outcomes: BTreeMap<String, Outcome>,
    pub failure: Option<String>,
}

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The C compilers to test with: gcc, and clang when it is installed (required under CI).
pub fn compilers() -> &'static [Compiler] {
    cc::compilers()
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

/// Compiles one generated file on its own (no runtime), with the test flags.
pub fn compile_only(compiler: &Compiler, c_source: &str) -> Result<(), String> {
    cc::build(
        compiler,
        CFLAGS,
        &[Unit::new("module.c", c_source)],
        Output::Objects,
    )
    .map(drop)
}

/// A linked executable of the cases, ready to run.
pub struct Harness {
    exe: PathBuf,
    names: Vec<String>,
}

/// Compiles every case with `compiler`, links the runtime, and runs it with `budget`.
pub fn build_and_run(compiler: &Compiler, cases: &[Case], budget: u64) -> Result<Run, String> {
    build(compiler, cases)?.run(budget)
}

/// XDP cases see this `xdp_md`: ingress_ifindex 7, rx_queue_index 3.
const XDP_INGRESS_IFINDEX: u32 = 7;
const XDP_RX_QUEUE_INDEX: u32 = 3;

/// Compiles every case with `compiler` and links the runtime.
pub fn build(compiler: &Compiler, cases: &[Case]) -> Result<Harness, String> {
    let units: Vec<Unit> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| Unit::new(format!("m{i}.c"), c.c_source.clone()))
        .collect();
    let steps: Vec<Step> = cases
        .iter()
        .map(|c| {
            Step::run(&c.symbol, None, &c.memory)
                .with_helpers(HelperSet::Conformance)
                .with_xdp_queue(XDP_INGRESS_IFINDEX, XDP_RX_QUEUE_INDEX)
        })
        .collect();
    Ok(Harness {
        exe: stand_in::build(compiler, CFLAGS, &units, &steps)?,
        names: cases.iter().map(|c| c.name.clone()).collect(),
    })
}

impl Harness {
    /// Runs every case with the given loop budget.
    pub fn run(&self, budget: u64) -> Result<Run, String> {
        let out = Command::new(&self.exe)
            .arg(budget.to_string())
            .env("ASAN_OPTIONS", "abort_on_error=0")
            .output()
            .map_err(|e| e.to_string())?;
        let mut outcomes = BTreeMap::new();
        for (step, printed) in stand_in::parse_output(&String::from_utf8_lossy(&out.stdout))? {
            let name = self
                .names
                .get(step)
                .ok_or_else(|| format!("output for step {step}, which is no case"))?;
            let r = RunReport::parse(&printed.line)
                .ok_or_else(|| format!("{name}: unexpected output: {}", printed.line))?;
            outcomes.insert(
                name.clone(),
                Outcome {
                    r0: r.r0,
                    unwind: r.unwind,
                    unwind_function: r.unwind_function,
                    unwind_pc: r.unwind_pc,
                },
            );
        }
        let failure = (!out.status.success()).then(|| {
            let next = self
                .names
                .iter()
                .find(|n| !outcomes.contains_key(*n))
                .map_or("(none)", |n| n.as_str());
            let mut stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            cc::truncate(&mut stderr, 10_000);
            format!(
                "the stand-in runtime exited with {} while running case {next}:\n{stderr}",
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
