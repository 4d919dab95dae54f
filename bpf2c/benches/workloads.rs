//! Side by side: the same workloads as eBPF translated by bpf2c, as the same C compiled
//! natively, and (x86_64 only) as the same eBPF bytecode on rbpf's JIT.
//!
//! - Compute workloads, `tests/bpf/bench/workloads.c`: the empty program, the Internet
//!   checksum of 1,500 bytes, a copy of 4 KiB, log2 of 1,024 values, the primes below 10,000
//!   and a packet parser. The committed `workloads.o` is clang-19's eBPF build of that file;
//!   the native side is the file itself, built here with the host's C compiler, `-O2` and
//!   `-DBENCH_NATIVE`, into its own shared library, and called through a function pointer
//!   from a C loop (`benches/native_runner.c`), as the runtime's run loop calls a program.
//! - Map lookups, `tests/bpf/opt/bench_lookup.c`: `array_read` and `hash_read` (a random key
//!   below 1024, one lookup in a 1024-entry ARRAY or HASH). Their native side is
//!   `benches/lookup_floor.c`, the same work written by hand against the module ABI and the
//!   runtime's maps (there is no map outside the runtime to compile them against). rbpf has
//!   no maps, so it does not run these.
//!
//! bpf2c's side runs through `Instance::run_repeat` (the runtime's C loop); rbpf's through
//! `EbpfVmMbuff::execute_program_jit` in a Rust loop, with the buffer as r1 and its length as
//! r2, the raw program convention. Before timing, every engine's result is checked against the
//! native one.
//!
//! `cargo bench -p bpf2c --bench workloads` measures with criterion, then prints a table of
//! medians over interleaved rounds and the ratios to native C. In test mode
//! (`cargo test -p bpf2c --benches`) every workload runs once on every engine, as a check.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bpf2c::driver::{translate, TranslateOptions};
use bpf2c::object::{load_file, InputFormat, Object};
use bpf2c_runtime::{Instance, ModuleImage, Options, Program, UpdateFlags};
use bpf2c_testkit::cc::{self, Compiler, Output, Unit};
use criterion::Criterion;

use bpf2c_testkit::repo;

/// Extra C compiler flags for both sides, from `BPF2C_BENCH_CFLAGS` (split at whitespace):
/// for instance `-falign-loops=32`, which takes the placement of loops across 32-byte fetch
/// blocks out of the comparison (docs/performance.md).
fn extra_cflags() -> Vec<String> {
    std::env::var("BPF2C_BENCH_CFLAGS")
        .map(|v| v.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

/// Compiles `sources` (name, C) with `flags` (and `BPF2C_BENCH_CFLAGS`) into one shared
/// library, with `$CC` (else `cc`), through the testkit's compile cache.
fn shared_library(sources: &[(&str, String)], flags: &[&str]) -> PathBuf {
    let extra = extra_cflags();
    let mut all = vec!["-std=gnu11", "-O2", "-fPIC", "-Wall", "-Wextra", "-Werror"];
    all.extend(extra.iter().map(String::as_str));
    all.extend(flags);
    let units: Vec<Unit> = sources
        .iter()
        .map(|(name, c)| Unit::new(format!("{name}.c"), c.clone()))
        .collect();
    cc::build(&Compiler::from_env(), &all, &units, Output::SharedLibrary)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// One way of running a workload: a timed batch of `runs` runs returns the elapsed time and
/// the last result.
type Runner = Box<dyn Fn(u64) -> (Duration, u64)>;

struct Workload {
    name: &'static str,
    /// bpf2c, native C, and rbpf when it runs this bytecode.
    engines: Vec<(&'static str, Runner)>,
}

/// The compute workloads: program name and input length.
const COMPUTE: [(&str, usize); 6] = [
    ("empty", 64),
    ("checksum", 2048),
    ("copy", 8192),
    ("log2_sum", 4096),
    ("primes", 64),
    ("parse", 64),
];

/// The input of a compute workload: deterministic bytes, shaped where the workload needs it.
fn input(name: &str, len: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut buf: Vec<u8> = (0..len).map(|_| next() as u8).collect();
    match name {
        // Values of every magnitude, so the binary search takes every path.
        "log2_sum" => {
            for chunk in buf.chunks_exact_mut(4) {
                let r = next();
                let v = (r as u32) >> ((r >> 32) % 32);
                chunk.copy_from_slice(&v.to_ne_bytes());
            }
        }
        // Ethernet, one 802.1Q tag, IPv4 with one option word, TCP.
        "parse" => {
            let frame: [u8; 46] = [
                0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x81, 0x00, 0x00, 0x2a, 0x08, 0x00, 0x46, 0,
                0, 44, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 1, 1, 1, 1, 0x1f, 0x90,
                0xc3, 0x50,
            ];
            buf[..frame.len()].copy_from_slice(&frame);
        }
        _ => {}
    }
    buf
}

/// A program of an instance and its input, run through `Instance::run_repeat`.
fn bpf2c_runner(instance: std::rc::Rc<Instance>, program: Program, data: Vec<u8>) -> Runner {
    let data = RefCell::new(data);
    Box::new(move |runs| {
        let stats = instance
            .run_repeat(&program, &mut data.borrow_mut(), runs)
            .unwrap();
        (stats.total, stats.last_return)
    })
}

type NativeRepeat =
    unsafe extern "C" fn(NativeWorkload, *mut u8, std::ffi::c_ulong, u64, *mut i64) -> u64;
type NativeWorkload = unsafe extern "C" fn(*mut u8, std::ffi::c_ulong) -> i64;

fn native_runner(lib: std::rc::Rc<libloading::Library>, name: &str, data: Vec<u8>) -> Runner {
    let data = RefCell::new(data);
    // SAFETY: both symbols are defined by the library built just now from workloads.c and
    // native_runner.c, with exactly these C signatures.
    let (repeat, workload) = unsafe {
        (
            *lib.get::<NativeRepeat>(b"bench_native_repeat\0").unwrap(),
            *lib.get::<NativeWorkload>(format!("{name}\0").as_bytes())
                .unwrap(),
        )
    };
    Box::new(move |runs| {
        let _keep = &lib;
        let mut data = data.borrow_mut();
        let mut last = 0i64;
        let start = Instant::now();
        // SAFETY: the workload reads and writes only within the length it is given, which
        // is the buffer's; the library stays loaded while this closure holds it.
        unsafe {
            repeat(
                workload,
                data.as_mut_ptr(),
                data.len() as std::ffi::c_ulong,
                runs,
                &mut last,
            )
        };
        (start.elapsed(), last as u64)
    })
}

/// The eBPF bytecode of a program with no calls and no relocations, as rbpf takes it.
#[cfg(target_arch = "x86_64")]
fn bytecode(obj: &Object, program: &str) -> Option<Vec<u8>> {
    let p = obj.programs.iter().find(|p| p.name == program)?;
    let f = &obj.functions[p.entry];
    if !f.relocs.is_empty() || obj.reachable_functions(p.entry).len() != 1 {
        return None;
    }
    Some(f.insns.iter().flat_map(|i| i.encode()).collect())
}

#[cfg(target_arch = "x86_64")]
fn rbpf_runner(code: Vec<u8>, data: Vec<u8>) -> Runner {
    let data = RefCell::new(data);
    // The VM borrows its program for its whole life; the bench keeps both until it exits.
    let code: &'static [u8] = Box::leak(code.into_boxed_slice());
    let mut vm = rbpf::EbpfVmMbuff::new(Some(code)).expect("rbpf accepts the program");
    vm.jit_compile().expect("rbpf's JIT compiles the program");
    Box::new(move |runs| {
        let mut data = data.borrow_mut();
        let (ptr, len) = (data.as_mut_ptr(), data.len());
        let mut last = 0;
        let start = Instant::now();
        for _ in 0..runs {
            // SAFETY: the program accesses only the buffer, below the length it is given (the
            // verifier proved it for bpf2c's run of the same bytecode, and the results are
            // compared before timing); the slice is rebuilt each run because rbpf borrows it
            // for the VM's lifetime. With an mbuff and no mem, r1 is the buffer and r2 its
            // length.
            last = unsafe {
                let mbuff = std::slice::from_raw_parts_mut(ptr, len);
                vm.execute_program_jit(&mut [], mbuff)
            }
            .expect("the JIT-compiled program runs");
            std::hint::black_box(last);
        }
        (start.elapsed(), last)
    })
}

fn instance(lib: &Path, symbol: &str) -> std::rc::Rc<Instance> {
    // SAFETY: built just now from bpf2c's output and the ABI-conforming floor module.
    let image = unsafe { ModuleImage::from_library(lib, symbol) }.unwrap();
    let options = Options::default().cpu_slots(1);
    let instance = if image.is_verified() {
        Instance::new(image, options)
    } else {
        // SAFETY: the only unverified module is lookup_floor.c, hand-written C whose
        // programs read one element of their own maps by a key below max_entries.
        unsafe { Instance::new_unverified(image, options) }
    };
    std::rc::Rc::new(instance.unwrap())
}

fn setup() -> Vec<Workload> {
    let bench_dir = repo().join("tests/bpf/bench");
    let workloads = load_file(&bench_dir.join("workloads.o"), InputFormat::Elf).unwrap();
    let lookups = load_file(
        &repo().join("tests/bpf/opt/bench_lookup.o"),
        InputFormat::Elf,
    )
    .unwrap();
    let read = |path: PathBuf| std::fs::read_to_string(path).unwrap();
    let mut sources = Vec::new();
    for (obj, symbol) in [(&workloads, "bench_workloads"), (&lookups, "bench_lookups")] {
        let t = translate(
            obj,
            &TranslateOptions {
                module_symbol: Some(symbol.into()),
                ..TranslateOptions::default()
            },
        )
        .unwrap();
        sources.push((symbol, t.c_source));
    }
    sources.push(("floor", read(repo().join("bpf2c/benches/lookup_floor.c"))));
    // The translated side is compiled as bpf2c-build and `cargo bpf2c run` compile it (its
    // loops aligned); native C as a plain -O2 build. BPF2C_BENCH_CFLAGS adds to both.
    let translated = shared_library(&sources, &[bpf2c_build::native::LOOP_ALIGNMENT_FLAG]);
    let native = shared_library(
        &[
            ("native_workloads", read(bench_dir.join("workloads.c"))),
            (
                "native_runner",
                read(repo().join("bpf2c/benches/native_runner.c")),
            ),
        ],
        &["-DBENCH_NATIVE"],
    );
    // SAFETY: the library built just now from workloads.c and native_runner.c; loading it
    // runs no initialisers of its own.
    let native = std::rc::Rc::new(unsafe { libloading::Library::new(&native) }.unwrap());

    let compute = instance(&translated, "bench_workloads");
    let mut out = Vec::new();
    for (name, len) in COMPUTE {
        let data = input(name, len);
        let program = compute.program(name).unwrap();
        #[allow(unused_mut)]
        let mut engines: Vec<(&'static str, Runner)> = vec![
            (
                "bpf2c",
                bpf2c_runner(compute.clone(), program, data.clone()),
            ),
            (
                "native C",
                native_runner(native.clone(), name, data.clone()),
            ),
        ];
        #[cfg(target_arch = "x86_64")]
        if let Some(code) = bytecode(&workloads, name) {
            engines.push(("rbpf JIT", rbpf_runner(code, data.clone())));
        }
        out.push(Workload { name, engines });
    }

    for (name, symbol) in [
        ("array_read", "bench_lookups"),
        ("hash_read", "bench_lookups"),
    ] {
        let fill = |inst: &Instance| {
            for map in inst.maps() {
                for k in 0..1024u32 {
                    map.update(
                        &k.to_ne_bytes(),
                        &(k as u64).to_ne_bytes(),
                        UpdateFlags::Any,
                    )
                    .unwrap();
                }
            }
        };
        let translated_inst = instance(&translated, symbol);
        fill(&translated_inst);
        let floor_inst = instance(&translated, "bpf2c_module_floor");
        fill(&floor_inst);
        let p = translated_inst.program(name).unwrap();
        let q = floor_inst.program(name).unwrap();
        out.push(Workload {
            name,
            engines: vec![
                ("bpf2c", bpf2c_runner(translated_inst, p, vec![0; 2])),
                ("native C", bpf2c_runner(floor_inst, q, vec![0; 2])),
            ],
        });
    }
    out
}

/// Every engine must compute what native C computes before any of them is timed. The lookups
/// draw random keys, so there each result is only checked to be an element (value = key).
fn check(workloads: &[Workload]) {
    for w in workloads {
        let expected = (w.engines[1].1)(1).1;
        for (engine, run) in &w.engines {
            let got = run(1).1;
            if w.name.ends_with("_read") {
                assert!(got < 1024, "{}: {engine} returned {got}", w.name);
            } else {
                assert!(
                    w.name == "empty" || expected != 0,
                    "{}: no work done",
                    w.name
                );
                assert_eq!(got, expected, "{}: {engine} differs from native C", w.name);
            }
        }
    }
}

/// Interleaved rounds: in each, every engine of every workload runs a batch of about 5 ms,
/// so load from elsewhere on the machine falls on all of them alike. Prints per engine the
/// median round, the fastest and the slowest, and two ratios to native C: the median of the
/// per-round ratios (each engine against native C in the same round, moments apart, which
/// cancels slow drifts in the machine's load) and the ratio of the fastest rounds (the runs
/// least disturbed).
fn summary(workloads: &[Workload]) {
    const ROUNDS: usize = 31;
    let batch: Vec<Vec<u64>> = workloads
        .iter()
        .map(|w| {
            w.engines
                .iter()
                .map(|(_, run)| {
                    let probe = run(1000).0.as_nanos().max(1) as u64;
                    (5_000_000 * 1000 / probe).clamp(10, 50_000_000)
                })
                .collect()
        })
        .collect();
    let mut samples: Vec<Vec<Vec<f64>>> = workloads
        .iter()
        .map(|w| vec![Vec::new(); w.engines.len()])
        .collect();
    for _ in 0..ROUNDS {
        for (wi, w) in workloads.iter().enumerate() {
            for (ei, (_, run)) in w.engines.iter().enumerate() {
                let runs = batch[wi][ei];
                let t = run(runs).0;
                samples[wi][ei].push(t.as_nanos() as f64 / runs as f64);
            }
        }
    }
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    println!("\n{ROUNDS} interleaved rounds of about 5 ms per engine and workload, ns per run:");
    println!(
        "| workload | engine | median | fastest | slowest | ratio to native C (median of \
         rounds) | ratio (fastest rounds) |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (w, s) in workloads.iter().zip(&samples) {
        let native = &s[1];
        for ((engine, _), v) in w.engines.iter().zip(s.iter()) {
            let ratios: Vec<f64> = v.iter().zip(native).map(|(a, b)| a / b).collect();
            println!(
                "| {} | {engine} | {} | {} | {} | {:.2}x | {:.2}x |",
                w.name,
                fmt_ns(median(v)),
                fmt_ns(min(v)),
                fmt_ns(max(v)),
                median(&ratios),
                min(v) / min(native)
            );
        }
    }
}

fn fmt_ns(ns: f64) -> String {
    if ns >= 10_000.0 {
        format!("{:.1} µs", ns / 1000.0)
    } else {
        format!("{ns:.2}")
    }
}

fn main() {
    let workloads = setup();
    check(&workloads);
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    for w in &workloads {
        let mut g = c.benchmark_group(w.name);
        for (engine, run) in &w.engines {
            g.bench_function(*engine, |b| b.iter_custom(|iters| run(iters).0));
        }
        g.finish();
    }
    c.final_summary();
    // `--test` (cargo test --benches) checks that everything runs; the table is for `cargo bench`.
    if std::env::args().any(|a| a == "--bench") && !std::env::args().any(|a| a == "--test") {
        summary(&workloads);
    }
}
