//! Optimized code under the undefined-behaviour and address sanitizers, with gcc and clang:
//! objects whose map helper calls are inlined or called directly are translated with and
//! without optimization, built with warnings as errors, and run side by side in
//! bpf2c-testkit's C stand-in runtime, which plays the runtime with maps laid out as bpf2c.h
//! says (two CPUs) and checks each module's map assumptions. Every input runs on both
//! translations, then their maps are compared. Any out-of-bounds element access, unsound NULL
//! fold (BPF2C_ASSUME reached with a false condition) or difference in results fails the test.

use crate::common;

use std::process::Command;

use bpf2c::driver::{translate, TranslateOptions};
use bpf2c::object::{load_file, InputFormat};
use bpf2c_testkit::cc::{self, Compiler, Output, Unit};
use bpf2c_testkit::stand_in::{self, RunReport, Step};
use common::{compilers, manifest_dir, CFLAGS};

const OBJECTS: [&str; 10] = [
    "opt/array_inline",
    "opt/shared_sites",
    "opt/lookalike",
    "opt/percpu_hash",
    "opt/bench_lookup",
    "maps_basic",
    "legacy_maps",
    "typedef_maps",
    "xdp_parse",
    "atomics",
];

/// One object, translated with and without optimization.
struct Translated {
    name: String,
    on: String,
    off: String,
    /// Its programs, in the module's order.
    programs: Vec<String>,
    /// Call sites inlined or called directly.
    optimized: usize,
}

fn symbol(i: usize, optimize: bool) -> String {
    format!("bpf2c_opt_{i}_{optimize}")
}

fn translations() -> Vec<Translated> {
    OBJECTS
        .iter()
        .enumerate()
        .map(|(i, rel)| {
            let path = manifest_dir().join(format!("../tests/bpf/{rel}.o"));
            let obj = load_file(&path, InputFormat::Elf).unwrap_or_else(|e| panic!("{e}"));
            let c = |optimize: bool| {
                translate(
                    &obj,
                    &TranslateOptions {
                        optimize,
                        module_symbol: Some(symbol(i, optimize)),
                        ..Default::default()
                    },
                )
                .unwrap_or_else(|e| panic!("{rel}: {e}"))
            };
            let (on, off) = (c(true), c(false));
            let (inlined, direct, _) = on.plan.counts();
            Translated {
                name: rel.replace('/', "_"),
                on: on.c_source,
                off: off.c_source,
                programs: obj.programs.iter().map(|p| p.name.clone()).collect(),
                optimized: inlined + direct,
            }
        })
        .collect()
}

/// Keys at the edges of the maps' ranges, each tried four times before random ones.
const EDGE_KEYS: [u32; 15] = [
    0,
    1,
    2,
    3,
    4,
    5,
    7,
    8,
    9,
    1023,
    1024,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_fffe,
    0xffff_ffff,
];

/// Inputs per program.
const INPUTS: usize = EDGE_KEYS.len() * 4 + 16;

/// A 64-bit linear congruential generator: the inputs, the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
}

/// Per object, per program, per input: a run of the optimized translation, a run of the
/// unoptimized one over the same bytes on the same CPU (0 or 1), then a comparison of their
/// maps. An input is up to 32 bytes whose first four are a key and next four a flags word.
fn steps(objects: &[Translated]) -> Vec<Step> {
    let mut rng = Lcg(0x0babe);
    let mut steps = Vec::new();
    for (i, t) in objects.iter().enumerate() {
        let (on, off) = (symbol(i, true), symbol(i, false));
        for program in &t.programs {
            for n in 0..INPUTS {
                let len = (rng.next() % 33) as usize;
                let mut input: Vec<u8> = (0..64).map(|_| rng.next() as u8).collect();
                let key = if n < EDGE_KEYS.len() * 4 {
                    EDGE_KEYS[n % EDGE_KEYS.len()]
                } else {
                    rng.next()
                };
                let flags = rng.next() % 5;
                input[..4].copy_from_slice(&key.to_ne_bytes());
                input[4..8].copy_from_slice(&flags.to_ne_bytes());
                let cpu = (n % 2) as u32;
                steps.push(Step::run(&on, Some(program), &input[..len]).on_cpu(cpu));
                steps.push(Step::run(&off, Some(program), &input[..len]).on_cpu(cpu));
                steps.push(Step::compare(&on, &off));
            }
        }
    }
    steps
}

/// Builds and runs the steps; returns, per object, how many inputs ran alike on both.
fn build_and_run(compiler: &Compiler, objects: &[Translated], steps: &[Step]) -> Vec<usize> {
    let units: Vec<Unit> = objects
        .iter()
        .enumerate()
        .flat_map(|(i, t)| {
            [
                Unit::new(format!("m{i}_on.c"), t.on.clone()),
                Unit::new(format!("m{i}_off.c"), t.off.clone()),
            ]
        })
        .collect();
    let exe = stand_in::build(compiler, CFLAGS, &units, steps)
        .unwrap_or_else(|e| panic!("{compiler}: {e}"));
    // The loop budget of each run.
    let out = Command::new(&exe)
        .arg("1000000")
        .env("ASAN_OPTIONS", "abort_on_error=0")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the {compiler} stand-in runtime failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = stand_in::parse_output(&stdout).unwrap();
    assert_eq!(
        printed.len(),
        steps.len(),
        "{compiler}: every step reported"
    );
    let mut runs = Vec::new();
    let mut step = 0;
    for t in objects {
        let mut alike = 0;
        for program in &t.programs {
            for n in 0..INPUTS {
                // What each returned, how it unwound, and its buffer afterwards.
                let result = |line: &str| RunReport::parse(line).map(|r| (r.r0, r.unwind, r.data));
                let on = result(&printed[&step].line);
                let off = result(&printed[&(step + 1)].line);
                let maps = &printed[&(step + 2)].line;
                assert!(
                    on.is_some() && on == off && maps == "same",
                    "{compiler}: MISMATCH {} program {program} input {n}: optimized {}, \
                     unoptimized {}, maps {maps}",
                    t.name,
                    printed[&step].line,
                    printed[&(step + 1)].line,
                );
                alike += 1;
                step += 3;
            }
        }
        runs.push(alike);
    }
    runs
}

#[test]
fn optimized_code_is_sanitizer_clean_and_agrees_with_the_helpers() {
    let objects = translations();
    let optimized: usize = objects.iter().map(|t| t.optimized).sum();
    assert!(optimized >= 30, "only {optimized} optimized call sites");
    let steps = steps(&objects);
    for cc in compilers() {
        let runs = build_and_run(cc, &objects, &steps);
        assert_eq!(runs.len(), objects.len(), "{cc}");
        for (runs, t) in runs.iter().zip(&objects) {
            assert!(*runs >= 70, "{cc}: {} ran {runs} inputs", t.name);
        }
    }
}

/// The assembly of one function of a translation, compiled with `cc -O2 -S`.
fn assembly(cc: &Compiler, c_source: &str, function: &str) -> String {
    let asm = cc::build(
        cc,
        &["-std=c11", "-O2"],
        &[Unit::new("m.c", c_source)],
        Output::Assembly,
    )
    .unwrap_or_else(|e| panic!("{cc} -S: {e}"));
    let asm = std::fs::read_to_string(asm).unwrap();
    let start = asm
        .find(&format!("\n{function}:"))
        .unwrap_or_else(|| panic!("{cc}: no {function} in the assembly"));
    let body = &asm[start + 1..];
    let end = body.find(".cfi_endproc").expect("the end of the function");
    body[..end].to_string()
}

/// A lookup proven in range tells the compiler it is never NULL, so the program's own NULL
/// test (returning -1) is gone from the machine code, as is the call; without optimization
/// both are there.
#[test]
fn proven_lookups_let_the_c_compiler_drop_the_programs_null_test() {
    let path = manifest_dir().join("../tests/bpf/opt/array_inline.o");
    let obj = load_file(&path, InputFormat::Elf).unwrap();
    let c = |optimize| {
        translate(
            &obj,
            &TranslateOptions {
                optimize,
                ..Default::default()
            },
        )
        .unwrap()
        .c_source
    };
    let (on, off) = (c(true), c(false));
    for cc in compilers() {
        // The entry points: compilers inline the single-use function bodies into them.
        for function in ["bpf2c_fn_read_const_entry", "bpf2c_fn_read_masked_entry"] {
            let opt = assembly(cc, &on, function);
            assert!(
                !opt.contains("$-1") && !opt.contains("call"),
                "{cc} {function}:\n{opt}"
            );
            let helper = assembly(cc, &off, function);
            assert!(
                helper.contains("$-1") && helper.contains("call"),
                "{cc} {function} without optimization:\n{helper}"
            );
        }
    }
}
