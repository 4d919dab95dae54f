//! What bpf2c-build adds to `cargo build`, per object and per step: loading the ELF,
//! verifying every program, generating the C and the bindings, and compiling the C with
//! `cc` as the build script does (at cargo's dev `-O0` and release `-O3`).
//!
//! `cargo run -p bpf2c-build --example build_cost`: every object the packages under
//! `examples/` declare. Built like a build script's dependencies are in a dev build (bpf2c at
//! the dev profile's opt-level, the verifier at the opt-level 3 the workspace gives it), so
//! the times are those a `cargo build` pays. Each step is timed 5 times; the median is shown.
//! docs/performance.md has the results.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bpf2c::helpers::{HelperDecl, HelperSet};
use bpf2c::verify::{verify_program, VerifyOptions};
use bpf2c_build::metadata::{self, ObjectConfig};
use bpf2c_build::pipeline::{self, Target};

const REPEATS: usize = 5;

/// User plus system CPU time of this process and, separately, of its waited-for children:
/// what a step costs whatever else the machine is doing.
#[cfg(unix)]
fn cpu() -> (Duration, Duration) {
    let read = |who| {
        // SAFETY: getrusage writes one rusage into the zeroed struct it is given.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: as above; RUSAGE_SELF and RUSAGE_CHILDREN are valid selectors.
        unsafe { libc::getrusage(who, &mut usage) };
        let tv = |t: libc::timeval| {
            Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
        };
        tv(usage.ru_utime) + tv(usage.ru_stime)
    };
    (read(libc::RUSAGE_SELF), read(libc::RUSAGE_CHILDREN))
}

#[cfg(not(unix))]
fn cpu() -> (Duration, Duration) {
    (Duration::ZERO, Duration::ZERO)
}

/// The median wall time of REPEATS runs of `f`, and the mean CPU time one run took (in this
/// process plus its children).
fn median(f: &mut dyn FnMut() -> Duration) -> (Duration, Duration) {
    let (self0, children0) = cpu();
    let mut times: Vec<Duration> = (0..REPEATS).map(|_| f()).collect();
    let (self1, children1) = cpu();
    times.sort();
    let cpu = (self1 - self0 + children1 - children0) / REPEATS as u32;
    (times[REPEATS / 2], cpu)
}

fn ms((wall, cpu): (Duration, Duration)) -> String {
    format!(
        "{:.0} / {:.0}",
        wall.as_secs_f64() * 1000.0,
        cpu.as_secs_f64() * 1000.0
    )
}

/// The objects the example packages declare, with their configuration, read from their
/// manifests as `Builder::from_manifest` reads them.
fn objects() -> Vec<(ObjectConfig, Vec<HelperDecl>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut packages: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("examples/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("Cargo.toml").exists())
        .collect();
    packages.sort();
    let mut out = Vec::new();
    for package in packages {
        let config = metadata::from_manifest(&package.join("Cargo.toml"))
            .expect("a valid [package.metadata.bpf2c]");
        out.extend(
            config
                .objects
                .into_iter()
                .map(|o| (o, config.helpers.clone())),
        );
    }
    out
}

/// Compiles `c` as the build script does, at `opt_level`, into `dir`; the time it took.
fn compile(c: &Path, include: &Path, dir: &Path, opt_level: &str) -> Duration {
    let start = Instant::now();
    let host = bpf2c_build::native::HOST_TARGET;
    cc::Build::new()
        .target(host)
        .host(host)
        .out_dir(dir)
        .opt_level_str(opt_level)
        .debug(false)
        .cargo_metadata(false)
        .include(include)
        .std("c11")
        .warnings(true)
        .extra_warnings(true)
        .file(c)
        .try_compile("cost")
        .expect("the generated C compiles");
    start.elapsed()
}

fn main() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let include = dir.path().join("include");
    bpf2c_runtime::write_abi_header(&include).expect("bpf2c.h");
    println!(
        "Wall time (median of {REPEATS}) / CPU time (mean), milliseconds:\n\n| object | programs | \
         instructions | load + verify + generate | of which verify | cc -O0 | cc -O3 | total \
         (dev build) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (cfg, declared) in objects() {
        let path = cfg.path.clone();
        let mut helpers = HelperSet::standard();
        for h in declared {
            helpers.add(h).expect("a valid helper");
        }
        let target = Target::host();
        let mut translated = None;
        let translate = median(&mut || {
            let start = Instant::now();
            let t = pipeline::translate_object(&cfg, &helpers, &target, None)
                .unwrap_or_else(|e| panic!("{}: {}", path.display(), e.detail()));
            let elapsed = start.elapsed();
            translated = Some(t);
            elapsed
        });
        let t = translated.expect("translated");
        let obj = pipeline::load(&cfg).expect("loads");
        let opts = VerifyOptions {
            helpers: helpers.clone(),
            ..VerifyOptions::default()
        };
        let verify = median(&mut || {
            let start = Instant::now();
            for i in 0..obj.programs.len() {
                assert!(verify_program(&obj, i, &opts).verified);
            }
            start.elapsed()
        });
        let c = dir.path().join(format!("{}.c", t.name));
        std::fs::write(&c, &t.c_source).expect("write the C");
        let out = dir.path().join("out");
        std::fs::create_dir_all(&out).expect("out dir");
        let cc0 = median(&mut || compile(&c, &include, &out, "0"));
        let cc3 = median(&mut || compile(&c, &include, &out, "3"));
        let insns: usize = t.verdicts.iter().map(|v| v.instructions).sum();
        println!(
            "| {} | {} | {insns} | {} | {} | {} | {} | {} |",
            path.file_name().unwrap_or_default().to_string_lossy(),
            t.programs,
            ms(translate),
            ms(verify),
            ms(cc0),
            ms(cc3),
            ms((translate.0 + cc0.0, translate.1 + cc0.1))
        );
    }
}
