//! Differential testing: random programs ([`crate::gen`]) that the verifier accepts run as
//! native code, translated by bpf2c and compiled with `-fsanitize=undefined,address` into
//! bpf2c-testkit's C stand-in runtime (`csrc/stand_in_runtime.c`), and on the independent interpreter
//! ([`crate::interp`]); r0, the buffer afterwards and every map must agree.
//!
//! Programs go in batches: one executable holds a whole batch of modules (one translation
//! unit each, compiled one process per core), and runs each program once and then dumps
//! its module's maps.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bpf2c::driver::{translate, TranslateError, TranslateOptions};
use bpf2c::insn::{Insn, BPF_PSEUDO_CALL};
use bpf2c::object::{
    validate, Function, Map, MapDef, MapOrigin, MapType, Object, ObjectKind, Program as ObjProgram,
    ProgramType, Reloc,
};

use bpf2c_testkit::stand_in;

use crate::cc::{self, Compiler, Unit, SANITIZE_FLAGS};
use crate::gen::{self, Program};
use crate::interp::{self, MapContents, MapKind, Outcome};

/// Instructions the interpreter may run before it calls a program hung. Generated loops
/// run at most 8 times, nested at most twice, so real programs stay far below this.
pub const STEP_BUDGET: u64 = 1_000_000;

/// The entry function's name in every generated module.
const PROGRAM_NAME: &str = "prog";

/// Counts of a run of the differential tester.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub generated: u64,
    pub verified: u64,
    /// Programs the verifier gave up on at [`VERIFY_TIME_LIMIT`] (neither accepted nor
    /// refused).
    pub verifier_timeouts: u64,
    pub compared: u64,
    pub mismatches: u64,
    pub sanitizer_reports: u64,
    pub hangs: u64,
    /// Verified programs the interpreter saw fault (a verifier soundness suspect).
    pub interpreter_faults: u64,
    /// Verified programs bpf2c could not translate.
    pub codegen_errors: u64,
}

impl Tally {
    pub fn add(&mut self, o: &Tally) {
        self.generated += o.generated;
        self.verified += o.verified;
        self.verifier_timeouts += o.verifier_timeouts;
        self.compared += o.compared;
        self.mismatches += o.mismatches;
        self.sanitizer_reports += o.sanitizer_reports;
        self.hangs += o.hangs;
        self.interpreter_faults += o.interpreter_faults;
        self.codegen_errors += o.codegen_errors;
    }

    /// Nothing went wrong.
    pub fn clean(&self) -> bool {
        self.mismatches == 0
            && self.sanitizer_reports == 0
            && self.hangs == 0
            && self.interpreter_faults == 0
            && self.codegen_errors == 0
    }
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "generated {}, verified {}, verifier timeouts {}, compared {}, mismatches {}, \
             sanitizer reports {}, hangs {}, interpreter faults {}, codegen errors {}",
            self.generated,
            self.verified,
            self.verifier_timeouts,
            self.compared,
            self.mismatches,
            self.sanitizer_reports,
            self.hangs,
            self.interpreter_faults,
            self.codegen_errors
        )
    }
}

/// One finding, with the seed that reproduces it.
#[derive(Clone, Debug)]
pub struct Finding {
    pub seed: u64,
    pub what: String,
}

/// The result of one batch.
#[derive(Debug, Default)]
pub struct BatchReport {
    pub tally: Tally,
    pub findings: Vec<Finding>,
    /// Wall time spent verifying and translating, compiling, and running both sides.
    pub translate_time: Duration,
    pub compile_time: Duration,
    pub run_time: Duration,
}

/// How to run batches.
#[derive(Clone, Debug)]
pub struct Config {
    /// The C compiler of the sanitized build.
    pub compiler: String,
    /// Optimization level flag of the sanitized build, e.g. `-O2`.
    pub opt_level: String,
    /// How long one batch executable may run.
    pub timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            compiler: "gcc".into(),
            opt_level: "-O2".into(),
            timeout: Duration::from_secs(60),
        }
    }
}

/// The bpf2c object of a generated program: its functions split at their starts, with
/// relocations for map loads and local calls.
pub fn to_object(p: &Program) -> Object {
    let insns: Vec<Insn> = p.slots.iter().map(|s| Insn::decode(*s, true)).collect();
    let starts = &p.function_starts;
    let function_of = |slot: usize| starts.partition_point(|&s| s <= slot) - 1;
    let mut functions = Vec::new();
    for (f, &start) in starts.iter().enumerate() {
        let end = starts.get(f + 1).copied().unwrap_or(insns.len());
        let mut relocs = BTreeMap::new();
        let mut pc = start;
        while pc < end {
            let insn = &insns[pc];
            if insn.is_lddw() && insn.src == 1 {
                relocs.insert(pc - start, Reloc::MapFd(insn.imm as usize));
            } else if insn.is_call() && insn.src == BPF_PSEUDO_CALL {
                let target = (pc as i64 + 1 + insn.imm as i64) as usize;
                relocs.insert(pc - start, Reloc::Call(function_of(target)));
            }
            pc += if insn.is_lddw() { 2 } else { 1 };
        }
        functions.push(Function {
            name: if f == 0 {
                PROGRAM_NAME.to_string()
            } else {
                format!("{PROGRAM_NAME}_sub_{f}")
            },
            section: "raw".into(),
            section_offset: start,
            insns: insns[start..end].to_vec(),
            relocs,
            line_info: Vec::new(),
        });
    }
    let maps = p
        .maps
        .iter()
        .enumerate()
        .map(|(i, m)| Map {
            name: format!("map{i}"),
            def: MapDef {
                map_type: bpf2c::object::MapKind::Runs(match m.kind {
                    MapKind::Array => MapType::Array,
                    MapKind::Hash => MapType::Hash,
                }),
                key_size: m.key_size,
                value_size: m.value_size,
                max_entries: m.max_entries,
                map_flags: 0,
            },
            origin: MapOrigin::Legacy {
                section: "maps".into(),
            },
            initial_data: None,
            initial_programs: Vec::new(),
            initial_maps: Vec::new(),
            inner_map: None,
            is_inner_template: false,
        })
        .collect();
    Object {
        path: PathBuf::from(format!("gen{}.bin", p.seed)),
        name: format!("gen{}", p.seed),
        kind: ObjectKind::Elf,
        little_endian: true,
        maps,
        functions,
        programs: vec![ObjProgram {
            name: PROGRAM_NAME.into(),
            section: "raw".into(),
            prog_type: bpf2c::object::ProgramKind::Runs(ProgramType::Raw),
            entry: 0,
            refusal: None,
        }],
        btf: None,
        notes: Vec::new(),
    }
}

/// The module symbol of a generated program.
pub fn module_symbol(seed: u64) -> String {
    format!("bpf2c_gen_{seed}")
}

/// What verifying and translating a program gave.
pub enum Translated {
    Refused,
    /// The verifier gave up at [`VERIFY_TIME_LIMIT`].
    OutOfTime,
    Failed(String),
    C(String),
}

/// Verifies and translates one generated program (optimized, as `cargo bpf2c run` does).
pub fn translate_program(p: &Program) -> Translated {
    let obj = to_object(p);
    if let Err(e) = validate::validate_object(&obj) {
        return Translated::Failed(format!("the generated object is malformed: {e}"));
    }
    let opts = TranslateOptions {
        module_symbol: Some(module_symbol(p.seed)),
        output_name: Some(format!("gen{}.c", p.seed)),
        verify_options: verify_options(),
        ..TranslateOptions::default()
    };
    match translate(&obj, &opts) {
        Ok(t) => Translated::C(t.c_source),
        Err(TranslateError::Refused(verdicts)) => {
            let timed_out = verdicts.iter().flat_map(|v| &v.diagnostics).any(|d| {
                d.to_string()
                    .contains("did not finish within the time limit")
            });
            if timed_out {
                Translated::OutOfTime
            } else {
                Translated::Refused
            }
        }
        Err(TranslateError::Codegen(e)) => Translated::Failed(e.to_string()),
    }
}

/// How long the verifier may take on one generated program. A few generated programs
/// (loops holding conditionals) take PREVAIL minutes; they count as timeouts, not as
/// verified programs.
pub const VERIFY_TIME_LIMIT: Duration = Duration::from_secs(2);

fn verify_options() -> bpf2c::verify::VerifyOptions {
    bpf2c::verify::VerifyOptions {
        time_limit: VERIFY_TIME_LIMIT,
        ..Default::default()
    }
}

/// The verifier's diagnostics for a program it refuses (for looking into a generator).
pub fn refusal(p: &Program) -> Option<String> {
    let opts = TranslateOptions {
        verify_options: verify_options(),
        ..TranslateOptions::default()
    };
    match translate(&to_object(p), &opts) {
        Err(e @ TranslateError::Refused(_)) => Some(e.to_string()),
        _ => None,
    }
}

/// A native run, as the driver printed it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct NativeRun {
    r0: Option<u64>,
    unwind: u32,
    memory: Vec<u8>,
    maps: Vec<MapContents>,
    dumped: bool,
}

/// The driver's steps: per program, a run over its input and a dump of its maps.
fn steps(programs: &[&Program]) -> Vec<stand_in::Step> {
    programs
        .iter()
        .flat_map(|p| {
            let sym = module_symbol(p.seed);
            [
                stand_in::Step::run(&sym, Some(PROGRAM_NAME), &p.input),
                stand_in::Step::dump(&sym),
            ]
        })
        .collect()
}

/// Parses the driver's output into one run per program, in step order.
fn parse_output(stdout: &str, programs: usize, map_count: usize) -> Vec<NativeRun> {
    let mut runs = vec![NativeRun::default(); programs];
    // Per program, per map, the (key, value) entries dumped.
    type Entries = Vec<(Vec<u8>, Vec<u8>)>;
    let mut maps: Vec<Vec<Entries>> = vec![vec![Vec::new(); map_count]; programs];
    for line in stdout.lines() {
        let parts: Vec<&str> = line.split(' ').collect();
        let step: usize = match parts.get(1).and_then(|s| s.parse().ok()) {
            Some(s) if s / 2 < programs => s,
            _ => continue,
        };
        let run = &mut runs[step / 2];
        match parts.as_slice() {
            ["step", _, "r0", r0, "unwind", unwind, "at", _, _, "out", out] => {
                run.r0 = r0.parse().ok();
                run.unwind = unwind.parse().unwrap_or(u32::MAX);
                run.memory = hex::decode(out.trim_end_matches('-')).unwrap_or_default();
            }
            ["step", _, "dump"] => run.dumped = true,
            ["map", _, index, key, value] => {
                if let (Ok(i), Ok(k), Ok(v)) =
                    (index.parse::<usize>(), hex::decode(key), hex::decode(value))
                {
                    if i < map_count {
                        maps[step / 2][i].push((k, v));
                    }
                }
            }
            _ => {}
        }
    }
    for (run, mut program_maps) in runs.iter_mut().zip(maps) {
        run.maps = program_maps
            .iter_mut()
            .map(|entries| {
                entries.sort();
                MapContents(std::mem::take(entries))
            })
            .collect();
    }
    runs
}

/// What running the batch executable gave.
struct Execution {
    stdout: String,
    stderr: String,
    timed_out: bool,
    success: bool,
}

fn execute(exe: &Path, timeout: Duration) -> std::io::Result<Execution> {
    let mut child = Command::new(exe)
        .env("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=0")
        .env("UBSAN_OPTIONS", "print_stacktrace=1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut out_pipe = child.stdout.take().expect("piped");
    let mut err_pipe = child.stderr.take().expect("piped");
    let out_thread = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out_pipe.read_to_end(&mut s);
        s
    });
    let err_thread = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err_pipe.read_to_end(&mut s);
        s
    });
    let started = Instant::now();
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > timeout {
            timed_out = true;
            let _ = child.kill();
            break child.wait()?;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stdout = String::from_utf8_lossy(&out_thread.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err_thread.join().unwrap_or_default()).into_owned();
    Ok(Execution {
        stdout,
        stderr,
        timed_out,
        success: status.success(),
    })
}

/// Compiles the units, the steps and the stand-in runtime with the sanitizers.
fn build_driver(
    config: &Config,
    units: Vec<Unit>,
    steps: &[stand_in::Step],
) -> Result<PathBuf, String> {
    let mut flags: Vec<&str> = vec!["-std=c11", &config.opt_level, "-Wall", "-Wextra", "-Werror"];
    flags.extend(SANITIZE_FLAGS);
    stand_in::build(&Compiler::named(&config.compiler), &flags, &units, steps)
}

/// Compares a native run with the interpreter's; None when they agree.
fn compare(p: &Program, native: &NativeRun, reference: &interp::Run) -> Option<String> {
    let Outcome::Exit(r0) = reference.outcome else {
        return Some(format!("interpreter: {}", reference.outcome));
    };
    let mut diffs = Vec::new();
    if native.r0 != Some(r0) || native.unwind != 0 {
        diffs.push(format!(
            "r0: native {:?} (unwind {}), interpreter {r0:#x}",
            native.r0.map(|v| format!("{v:#x}")),
            native.unwind
        ));
    }
    if native.memory != reference.memory {
        diffs.push(format!(
            "buffer: native {}, interpreter {}",
            hex::encode(&native.memory),
            hex::encode(&reference.memory)
        ));
    }
    if !native.dumped {
        diffs.push("native maps were not dumped".into());
    } else {
        for (i, (n, r)) in native.maps.iter().zip(&reference.maps).enumerate() {
            if n != r {
                diffs.push(format!("map {i}: native {n:?}, interpreter {r:?}"));
            }
        }
    }
    let _ = p;
    (!diffs.is_empty()).then(|| diffs.join("; "))
}

/// Translates every program, one thread per core, keeping the order.
fn translate_all(programs: &[Program]) -> Vec<Translated> {
    let per = programs.len().div_ceil(cc::jobs()).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = programs
            .chunks(per)
            .map(|chunk| {
                scope.spawn(move || chunk.iter().map(translate_program).collect::<Vec<_>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("translation does not panic"))
            .collect()
    })
}

/// Generates, verifies, translates and runs the programs of `seeds` in one batch.
pub fn run_batch(
    seeds: impl IntoIterator<Item = u64>,
    config: &Config,
) -> Result<BatchReport, String> {
    run_programs(seeds.into_iter().map(gen::generate).collect(), config)
}

/// Verifies, translates and runs `programs` in one batch (each program's `seed` names its
/// module, so they must differ).
pub fn run_programs(programs: Vec<Program>, config: &Config) -> Result<BatchReport, String> {
    let mut report = BatchReport::default();
    let mut accepted: Vec<Program> = Vec::new();
    let mut units = Vec::new();
    let started = Instant::now();
    // Verification and translation take as long as compiling: one thread per core.
    let translated = translate_all(&programs);
    for (p, t) in programs.into_iter().zip(translated) {
        let seed = p.seed;
        report.tally.generated += 1;
        match t {
            Translated::Refused => {}
            Translated::OutOfTime => report.tally.verifier_timeouts += 1,
            Translated::Failed(e) => {
                report.tally.verified += 1;
                report.tally.codegen_errors += 1;
                report.findings.push(Finding {
                    seed,
                    what: format!("verified but not translated: {e}"),
                });
            }
            Translated::C(c_source) => {
                report.tally.verified += 1;
                units.push(Unit {
                    file: format!("gen{seed}.c"),
                    c_source,
                });
                accepted.push(p);
            }
        }
    }
    report.translate_time = started.elapsed();
    if accepted.is_empty() {
        return Ok(report);
    }
    let started = Instant::now();
    let references: Vec<interp::Run> = accepted
        .iter()
        .map(|p| interp::run(&p.bytes(), &p.input, &p.maps, STEP_BUDGET))
        .collect();
    let refs: Vec<&Program> = accepted.iter().collect();
    let exe = build_driver(config, units, &steps(&refs))?;
    report.compile_time = started.elapsed();
    let started = Instant::now();
    let execution =
        execute(&exe, config.timeout).map_err(|e| format!("running the driver: {e}"))?;
    let natives = parse_output(&execution.stdout, accepted.len(), gen::map_specs().len());
    // With -fno-sanitize-recover the driver stops at the first report; the program whose
    // run did not finish is the one that caused it (or hung).
    let stopped_at = natives.iter().position(|n| !n.dumped);
    report.run_time = started.elapsed();
    for (i, ((p, native), reference)) in accepted.iter().zip(&natives).zip(&references).enumerate()
    {
        if Some(i) == stopped_at {
            let what = if execution.timed_out {
                report.tally.hangs += 1;
                "native run hung".to_string()
            } else {
                report.tally.sanitizer_reports += 1;
                format!(
                    "native run stopped: {}",
                    execution
                        .stderr
                        .lines()
                        .take(12)
                        .collect::<Vec<_>>()
                        .join("\n")
                )
            };
            report.findings.push(Finding { seed: p.seed, what });
            continue;
        }
        if stopped_at.is_some_and(|s| i > s) {
            // Not run: the batch stopped before it. Counted as generated and verified only.
            continue;
        }
        match &reference.outcome {
            Outcome::Exit(_) => {}
            Outcome::OutOfBudget => {
                report.tally.hangs += 1;
                report.findings.push(Finding {
                    seed: p.seed,
                    what: "the interpreter ran out of budget".into(),
                });
                continue;
            }
            Outcome::Fault { .. } => {
                report.tally.interpreter_faults += 1;
                report.findings.push(Finding {
                    seed: p.seed,
                    what: format!(
                        "verified program faults on the interpreter: {}",
                        reference.outcome
                    ),
                });
                continue;
            }
        }
        report.tally.compared += 1;
        if let Some(diff) = compare(p, native, reference) {
            report.tally.mismatches += 1;
            report.findings.push(Finding {
                seed: p.seed,
                what: diff,
            });
        }
    }
    if stopped_at.is_none() && (!execution.success || !execution.stderr.trim().is_empty()) {
        report.tally.sanitizer_reports += 1;
        report.findings.push(Finding {
            seed: accepted[0].seed,
            what: format!(
                "the driver failed after every run: {}",
                execution
                    .stderr
                    .lines()
                    .take(12)
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        });
    }
    Ok(report)
}

/// A readable account of one generated program: its listing (slot, function start marks),
/// its input, the verifier's verdict and the interpreter's outcome. For looking into a
/// finding by its seed.
pub fn explain(seed: u64) -> String {
    let p = gen::generate(seed);
    let insns: Vec<Insn> = p.slots.iter().map(|s| Insn::decode(*s, true)).collect();
    let mut s = format!(
        "seed {seed}: {} slots, input {}\n",
        insns.len(),
        hex::encode(&p.input)
    );
    let mut pc = 0;
    while pc < insns.len() {
        if let Some(f) = p.function_starts.iter().position(|&st| st == pc) {
            writeln!(s, "function {f}:").unwrap();
        }
        writeln!(s, "  {pc:4}: {}", bpf2c::insn::disasm_at(&insns, pc)).unwrap();
        pc += if insns[pc].is_lddw() { 2 } else { 1 };
    }
    match refusal(&p) {
        Some(r) => writeln!(s, "verifier: {r}").unwrap(),
        None => writeln!(s, "verifier: accepted").unwrap(),
    }
    let run = interp::run(&p.bytes(), &p.input, &p.maps, STEP_BUDGET);
    writeln!(s, "interpreter: {} after {} steps", run.outcome, run.steps).unwrap();
    writeln!(s, "buffer after: {}", hex::encode(&run.memory)).unwrap();
    for (i, m) in run.maps.iter().enumerate() {
        writeln!(s, "map {i}: {m:?}").unwrap();
    }
    s
}

/// `ja +0`: an instruction that does nothing, so replacing others with it keeps every jump
/// offset and function start where it was.
const NOP: [u8; 8] = [0x05, 0, 0, 0, 0, 0, 0, 0];

/// Shrinks a program that shows a finding: chunks of instructions become no-ops as long as
/// the verifier still accepts the result and some finding remains. All candidates of one
/// chunk size go through one batch. Returns the smallest program found and its finding.
pub fn reduce(p: &Program, config: &Config) -> Result<(Program, String), String> {
    let mut best = p.clone();
    let first = run_programs(vec![best.clone()], config)?;
    let Some(mut finding) = first.findings.first().map(|f| f.what.clone()) else {
        return Err(format!("seed {}: no finding to reduce", p.seed));
    };
    let lddw_tail = |slots: &[[u8; 8]], i: usize| i > 0 && slots[i - 1][0] == 0x18;
    let mut chunk = best.slots.len().div_ceil(2).max(1);
    loop {
        let mut candidates = Vec::new();
        let mut start = 0;
        while start < best.slots.len() {
            let mut end = (start + chunk).min(best.slots.len());
            // Never split an lddw.
            while end < best.slots.len() && lddw_tail(&best.slots, end) {
                end += 1;
            }
            let range = if lddw_tail(&best.slots, start) {
                start - 1..end
            } else {
                start..end
            };
            if best.slots[range.clone()].iter().any(|s| *s != NOP) {
                let mut c = best.clone();
                c.slots[range].fill(NOP);
                c.seed = candidates.len() as u64;
                candidates.push(c);
            }
            start = end;
        }
        let report = run_programs(candidates.clone(), config)?;
        // The same kind of finding (what differs, or how the run failed), not just any.
        let kind = |what: &str| what.split(':').next().unwrap_or("").to_string();
        let hit = report
            .findings
            .iter()
            .filter(|f| kind(&f.what) == kind(&finding))
            .min_by_key(|f| f.seed);
        match hit {
            Some(f) => {
                best = candidates[f.seed as usize].clone();
                finding = f.what.clone();
            }
            None if chunk == 1 => break,
            None => chunk = chunk.div_ceil(2),
        }
    }
    best.seed = p.seed;
    Ok((best, finding))
}

/// A listing of a program without its no-ops.
pub fn listing(p: &Program) -> String {
    let insns: Vec<Insn> = p.slots.iter().map(|s| Insn::decode(*s, true)).collect();
    let mut s = String::new();
    let mut pc = 0;
    while pc < insns.len() {
        if let Some(f) = p.function_starts.iter().position(|&st| st == pc) {
            writeln!(s, "function {f}:").unwrap();
        }
        if p.slots[pc] != NOP {
            writeln!(s, "  {pc:4}: {}", bpf2c::insn::disasm_at(&insns, pc)).unwrap();
        }
        pc += if insns[pc].is_lddw() { 2 } else { 1 };
    }
    s
}
