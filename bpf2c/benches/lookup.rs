//! Map lookups: the helper call against the inlined ARRAY lookup and the direct HASH lookup.
//!
//! The workload is the one ebpf-for-windows measured for its array-lookup inlining ("BPF_MAP_TYPE_ARRAY
//! read"): `key = bpf_get_prandom_u32() % 1024`, then one lookup in a 1024-entry map
//! (tests/bpf/opt/bench_lookup.c). Each variant runs through `Instance::run_repeat`, whose
//! C loop only resets the invocation between runs, so the time per iteration is the program
//! plus one indirect call into it:
//!
//! - `array_read/helper`: translated with `--no-opt`: both calls go through the helper table.
//! - `array_read/lookup inlined`: optimized, but `bpf_get_prandom_u32` kept on the helper
//!   table (`TranslateOptions::inline_helpers = false`): what inlining the lookup alone gives.
//! - `array_read/inlined`: translated with the default optimization: the lookup and the
//!   random-number draw are both inlined.
//! - `array_read/hand-written C`: benches/lookup_floor.c, the same work written by hand
//!   against the module ABI: the runtime's generator from `bpf2c.h`, the map's elements
//!   through map_data.
//! - `hash_read/*`: the same with a 1024-entry HASH map, whose lookup is called directly.
//! - `array_read_input/*`: the ARRAY variants with the key taken from the input (the same
//!   key every run) instead of the random number helper: the lookup alone.
//!
//! `cargo bench -p bpf2c --bench lookup` measures; afterwards a table of medians and ratios
//! is printed, and one of the same programs run on two threads at once. In test mode (`cargo test --benches`) every variant runs once, as a check.

use std::path::PathBuf;
use std::time::Duration;

use bpf2c::driver::{translate, TranslateOptions};
use bpf2c::object::{load_file, InputFormat};
use bpf2c::optimize::Decision;
use bpf2c_runtime::{Instance, ModuleImage, Options, Program, UpdateFlags};
use bpf2c_testkit::cc::{self, Compiler, Output, Unit};
use bpf2c_testkit::repo;
use criterion::Criterion;

struct Variant {
    group: &'static str,
    name: &'static str,
    instance: Instance,
    program: Program,
}

/// Compiles each source into its own object and links them into one shared library, with
/// `$CC` (else `cc`), through the testkit's compile cache.
fn build(sources: &[(&str, String)]) -> PathBuf {
    let units: Vec<Unit> = sources
        .iter()
        .map(|(name, c)| Unit::new(format!("{name}.c"), c.clone()))
        .collect();
    let flags = ["-std=c11", "-O2", "-fPIC", "-Wall", "-Wextra", "-Werror"];
    cc::build(&Compiler::from_env(), &flags, &units, Output::SharedLibrary)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn setup() -> Vec<Variant> {
    let obj = load_file(
        &repo().join("tests/bpf/opt/bench_lookup.o"),
        InputFormat::Elf,
    )
    .unwrap();
    let mut sources = Vec::new();
    for (optimize, inline_helpers, symbol) in [
        (false, false, "bench_helper"),
        (true, false, "bench_maps_only"),
        (true, true, "bench_inlined"),
    ] {
        let t = translate(
            &obj,
            &TranslateOptions {
                optimize,
                inline_helpers,
                module_symbol: Some(symbol.into()),
                ..TranslateOptions::default()
            },
        )
        .unwrap();
        // What is measured must be what it says: per site, the helper and its decision.
        let decisions: Vec<(u32, Decision)> = t
            .plan
            .sites
            .values()
            .map(|s| (s.helper, s.decision()))
            .collect();
        let (lookup, prandom) = (1, 7);
        let map = |d| if optimize { d } else { Decision::Helper };
        let rng = if optimize && inline_helpers {
            Decision::Inlined
        } else {
            Decision::Helper
        };
        assert_eq!(
            decisions,
            [
                (prandom, rng),
                (lookup, map(Decision::Inlined)),
                (prandom, rng),
                (lookup, map(Decision::Direct)),
                (lookup, map(Decision::Inlined)),
            ]
        );
        sources.push((symbol, t.c_source));
    }
    let floor = std::fs::read_to_string(repo().join("bpf2c/benches/lookup_floor.c")).unwrap();
    sources.push(("floor", floor));
    let lib = build(&sources);

    let instance = |symbol: &str| {
        // SAFETY: built just now from bpf2c's output and the ABI-conforming floor module.
        let image = unsafe { ModuleImage::from_library(&lib, symbol) }.unwrap();
        let options = Options::default().cpu_slots(1);
        let inst = if image.is_verified() {
            Instance::new(image, options)
        } else {
            // SAFETY: the only unverified module is lookup_floor.c, hand-written C whose
            // programs read one element of their own maps by a key below max_entries.
            unsafe { Instance::new_unverified(image, options) }
        }
        .unwrap();
        // Every key is present, so each lookup finds its element: value = key.
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
        inst
    };
    let variant = |group, name, symbol: &str, program: &str| {
        let instance = instance(symbol);
        let program = instance.program(program).unwrap();
        Variant {
            group,
            name,
            instance,
            program,
        }
    };
    vec![
        variant("array_read", "helper", "bench_helper", "array_read"),
        variant(
            "array_read",
            "lookup inlined",
            "bench_maps_only",
            "array_read",
        ),
        variant("array_read", "inlined", "bench_inlined", "array_read"),
        variant(
            "array_read",
            "hand-written C",
            "bpf2c_module_floor",
            "array_read",
        ),
        variant("hash_read", "helper", "bench_helper", "hash_read"),
        variant("hash_read", "lookup direct", "bench_maps_only", "hash_read"),
        variant("hash_read", "direct", "bench_inlined", "hash_read"),
        variant(
            "array_read_input",
            "helper",
            "bench_helper",
            "array_read_input",
        ),
        variant(
            "array_read_input",
            "inlined",
            "bench_inlined",
            "array_read_input",
        ),
        variant(
            "array_read_input",
            "hand-written C",
            "bpf2c_module_floor",
            "array_read_input",
        ),
    ]
}

/// The input of every run: a key of 777 for the programs that read one.
const INPUT: [u8; 2] = [0x09, 0x03];

fn time(v: &Variant, runs: u64) -> Duration {
    let mut input = INPUT;
    let stats = v.instance.run_repeat(&v.program, &mut input, runs).unwrap();
    // Every key holds itself, so r0 is the key: below 1024.
    assert!(stats.last_return < 1024);
    stats.total
}

/// Interleaved rounds of every variant, so that load from elsewhere on the machine falls on
/// all of them alike; the fastest round of each is its cost with the least interference,
/// the median a typical one. Prints a table and the ratios the optimization is judged by.
fn summary(variants: &[Variant]) {
    const RUNS: u64 = 5_000_000;
    const ROUNDS: usize = 15;
    let mut samples = vec![Vec::new(); variants.len()];
    for _ in 0..ROUNDS {
        for (v, s) in variants.iter().zip(&mut samples) {
            s.push(time(v, RUNS).as_nanos() as f64 / RUNS as f64);
        }
    }
    let stat: Vec<(f64, f64)> = samples
        .iter_mut()
        .map(|s| {
            s.sort_by(f64::total_cmp);
            (s[0], s[s.len() / 2])
        })
        .collect();
    println!("\n{ROUNDS} interleaved rounds of {RUNS} runs per variant:");
    println!("| workload | variant | fastest round, ns/run | median round, ns/run |");
    println!("|---|---|---|---|");
    for (v, (min, med)) in variants.iter().zip(&stat) {
        println!("| {} | {} | {min:.2} | {med:.2} |", v.group, v.name);
    }
    let ratio = |a: usize, b: usize| (stat[a].0 / stat[b].0, stat[a].1 / stat[b].1);
    for (what, a, b) in [
        ("array_read: helper / inlined", 0, 2),
        ("array_read: helper / lookup inlined", 0, 1),
        ("array_read: inlined / hand-written C", 2, 3),
        ("hash_read: helper / direct", 4, 6),
        ("hash_read: helper / lookup direct", 4, 5),
        ("array_read_input: helper / inlined", 7, 8),
        ("array_read_input: inlined / hand-written C", 8, 9),
    ] {
        let (min, med) = ratio(a, b);
        println!("{what} = {min:.2}x (fastest), {med:.2}x (median)");
    }
}

/// The same programs on two threads at once, each timing its own runs: whether readers of
/// one map slow each other down. Fastest of 5 rounds, nanoseconds per run on each thread.
fn two_threads(variants: &[Variant]) {
    const RUNS: u64 = 5_000_000;
    let chosen = [
        ("array_read", "inlined"),
        ("hash_read", "helper"),
        ("hash_read", "direct"),
    ];
    println!("\nOne thread, then two threads at once on the same instance (fastest of 5 rounds):");
    println!("| workload | variant | 1 thread, ns/run | 2 threads, ns/run on each |");
    println!("|---|---|---|---|");
    for (group, name) in chosen {
        let v = variants
            .iter()
            .find(|v| v.group == group && v.name == name)
            .unwrap();
        let mut one = f64::MAX;
        let mut two = f64::MAX;
        for _ in 0..5 {
            one = one.min(time(v, RUNS).as_nanos() as f64 / RUNS as f64);
            let barrier = std::sync::Barrier::new(2);
            let each: Vec<f64> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..2)
                    .map(|_| {
                        s.spawn(|| {
                            barrier.wait();
                            time(v, RUNS).as_nanos() as f64 / RUNS as f64
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            two = two.min(each.iter().copied().fold(0.0, f64::max));
        }
        println!("| {group} | {name} | {one:.2} | {two:.2} |");
    }
}

fn main() {
    let variants = setup();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    for group in ["array_read", "hash_read", "array_read_input"] {
        let mut g = c.benchmark_group(group);
        for v in variants.iter().filter(|v| v.group == group) {
            g.bench_function(v.name, |b| b.iter_custom(|iters| time(v, iters)));
        }
        g.finish();
    }
    c.final_summary();
    // `--test` (cargo test --benches) checks that everything runs; the table is for `cargo bench`.
    if std::env::args().any(|a| a == "--bench") && !std::env::args().any(|a| a == "--test") {
        summary(&variants);
        two_threads(&variants);
    }
}
