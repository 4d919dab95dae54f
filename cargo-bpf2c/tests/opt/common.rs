//! The in-process pipeline for the optimization tests: translate an object (verify, facts,
//! plan, C), compile the C into a shared library, load it and make an instance.
//!
//! Libraries are built with the warnings of the project's C standard as errors, cached on
//! disk by content (so a rerun compiles nothing), and built at most once per process even
//! when several tests ask for the same source at the same time.

#![allow(dead_code)]

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};

use bpf2c::driver::{translate, TranslateOptions, Translation};
use bpf2c::object::{load_file, InputFormat, Object};
use bpf2c::optimize::{Plan, Site};
use bpf2c_runtime::{Instance, ModuleImage, Options};

pub const SYMBOL: &str = "bpf2c_module";

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

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

fn cache_root() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bpf2c-opt-tests")
}

/// Compiles C sources (each its own translation unit) into one shared library and returns
/// its path. Two compiler processes share the units, one per core.
pub fn build_library(sources: &[String]) -> PathBuf {
    try_build_library(sources).unwrap_or_else(|e| panic!("{e}"))
}

pub fn try_build_library(sources: &[String]) -> Result<PathBuf, String> {
    let mut h = std::hash::DefaultHasher::new();
    sources.hash(&mut h);
    bpf2c_runtime::ABI_HEADER.hash(&mut h);
    cflags().hash(&mut h);
    let key = format!("{:016x}", h.finish());

    type Build = Arc<OnceLock<Result<PathBuf, String>>>;
    static BUILDS: OnceLock<Mutex<HashMap<String, Build>>> = OnceLock::new();
    let cell = BUILDS
        .get_or_init(Default::default)
        .lock()
        .unwrap()
        .entry(key.clone())
        .or_default()
        .clone();
    cell.get_or_init(|| compile(&key, sources)).clone()
}

fn compile(key: &str, sources: &[String]) -> Result<PathBuf, String> {
    let dir = cache_root().join(key);
    let library = dir.join("module.so");
    if library.is_file() {
        return Ok(library);
    }
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    bpf2c_runtime::write_abi_header(&dir).map_err(|e| e.to_string())?;
    let mut units = Vec::new();
    for (i, s) in sources.iter().enumerate() {
        let name = format!("m{i}.c");
        std::fs::write(dir.join(&name), s).map_err(|e| e.to_string())?;
        units.push(name);
    }
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let half = units.len().div_ceil(2).max(1);
    let children: Vec<_> = units
        .chunks(half)
        .map(|batch| {
            Command::new(&cc)
                .current_dir(&dir)
                .args(cflags())
                .args(["-I", "."])
                .arg("-c")
                .args(batch)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| format!("cannot run {cc}: {e}"))
        })
        .collect::<Result<_, _>>()?;
    for child in children {
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "{cc} failed in {}:\n{}",
                dir.display(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    // Built under a temporary name, then renamed: a library that exists is complete.
    let partial = dir.join(format!("module.so.{}.partial", std::process::id()));
    let out = Command::new(&cc)
        .current_dir(&dir)
        .arg("-shared")
        .arg("-o")
        .arg(&partial)
        .args(units.iter().map(|u| u.replace(".c", ".o")))
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "linking {} failed:\n{}",
            library.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    std::fs::rename(&partial, &library).map_err(|e| e.to_string())?;
    Ok(library)
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
