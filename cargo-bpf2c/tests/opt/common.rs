//! The in-process pipeline for the optimization tests: translate an object (verify, facts,
//! plan, C), compile the C into a shared library, load it and make an instance.
//!
//! Libraries are built with the warnings of the project's C standard as errors, through
//! bpf2c-testkit's compile cache (so a rerun compiles nothing).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use bpf2c::driver::{translate, TranslateOptions, Translation};
use bpf2c::object::{load_file, InputFormat, Object};
use bpf2c::optimize::{Plan, Site};
use bpf2c_runtime::{Instance, ModuleImage, Options};
use bpf2c_testkit::cc::{self, Compiler, Output, Unit};
pub use bpf2c_testkit::repo;

pub const SYMBOL: &str = "bpf2c_module";

/// A file of the repository, by its path from the root.
pub fn path(rel: &str) -> PathBuf {
    repo().join(rel)
}

pub fn load(rel: &str) -> Object {
    load_file(&path(rel), InputFormat::Elf).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Verifies and translates with optimization on or off.
pub fn translate_obj(obj: &Object, optimize: bool, symbol: &str) -> Translation {
    let opts = TranslateOptions {
        optimize,
        module_symbol: Some(symbol.to_string()),
        ..TranslateOptions::default()
    };
    translate(obj, &opts).unwrap_or_else(|e| panic!("{}: {e}", obj.path.display()))
}

/// A translated, compiled and loaded object.
pub struct Loaded {
    pub obj: Object,
    pub translation: Translation,
    pub instance: Instance,
}

impl Loaded {
    pub fn plan(&self) -> &Plan {
        &self.translation.plan
    }

    /// The plan's decision at the map helper calls of `function`, in instruction order.
    pub fn sites_in(&self, function: &str) -> Vec<&Site> {
        let fid = self
            .obj
            .functions
            .iter()
            .position(|f| f.name == function)
            .unwrap_or_else(|| panic!("no function {function}"));
        self.plan()
            .sites
            .iter()
            .filter(|(at, _)| at.function == fid)
            .map(|(_, s)| s)
            .collect()
    }

    pub fn run(&self, program: &str, mem: &mut [u8]) -> u64 {
        let p = self.instance.program(program).unwrap();
        self.instance
            .run(&p, mem)
            .unwrap_or_else(|e| panic!("{program}: {e}"))
    }
}

/// Loads `rel` (a path from the repository root) with optimization on or off.
pub fn loaded(rel: &str, optimize: bool, options: Options) -> Loaded {
    let obj = load(rel);
    let translation = translate_obj(&obj, optimize, SYMBOL);
    let library = build_library(std::slice::from_ref(&translation.c_source));
    let instance = instantiate(&library, SYMBOL, options);
    Loaded {
        obj,
        translation,
        instance,
    }
}

pub fn instantiate(library: &Path, symbol: &str, options: Options) -> Instance {
    // SAFETY: the library was built by these tests from bpf2c's own output.
    let image =
        unsafe { ModuleImage::from_library(library, symbol) }.unwrap_or_else(|e| panic!("{e}"));
    Instance::new(image, options).unwrap_or_else(|e| panic!("{e}"))
}

/// [`instantiate`] for a module translated without verification.
///
/// # Safety
/// As for `Instance::new_unverified`: the module's programs must be memory-safe without
/// the verifier's proof.
pub unsafe fn instantiate_unverified(library: &Path, symbol: &str, options: Options) -> Instance {
    // SAFETY: the library was built by these tests from bpf2c's own output.
    let image =
        unsafe { ModuleImage::from_library(library, symbol) }.unwrap_or_else(|e| panic!("{e}"));
    // SAFETY: the caller vouches for the programs (this function's contract).
    unsafe { Instance::new_unverified(image, options) }.unwrap_or_else(|e| panic!("{e}"))
}

pub fn cflags() -> Vec<&'static str> {
    vec!["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-fPIC"]
}

/// Compiles C sources (each its own translation unit) into one shared library and returns
/// its path, through the testkit's compile cache.
pub fn build_library(sources: &[String]) -> PathBuf {
    try_build_library(sources).unwrap_or_else(|e| panic!("{e}"))
}

pub fn try_build_library(sources: &[String]) -> Result<PathBuf, String> {
    let units: Vec<Unit> = sources
        .iter()
        .enumerate()
        .map(|(i, s)| Unit::new(format!("m{i}.c"), s.clone()))
        .collect();
    cc::build(
        &Compiler::from_env(),
        &cflags(),
        &units,
        Output::SharedLibrary,
    )
}

pub fn key(k: u32) -> [u8; 4] {
    k.to_ne_bytes()
}

pub fn u64v(v: u64) -> [u8; 8] {
    v.to_ne_bytes()
}

/// `-e` as a helper returns it in r0.
pub fn neg(e: i64) -> u64 {
    (-e) as u64
}

/// Little byte-buffer builder: u32s and u64s in host order.
#[derive(Default)]
pub struct Mem(pub Vec<u8>);

impl Mem {
    pub fn u32(mut self, v: u32) -> Mem {
        self.0.extend_from_slice(&v.to_ne_bytes());
        self
    }

    pub fn u64(mut self, v: u64) -> Mem {
        self.0.extend_from_slice(&v.to_ne_bytes());
        self
    }

    pub fn bytes(self) -> Vec<u8> {
        self.0
    }
}

/// SplitMix64: a small seeded generator, so every run of the tests sees the same inputs.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
