//! Builds the hand-written C modules of tests/modules into shared libraries, once per test
//! binary, with the system C compiler and the runtime's own bpf2c.h.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use bpf2c_runtime::{ffi, Instance, ModuleImage, Options, TraceCapture};

pub const SYMBOL: &str = "bpf2c_module";

fn build_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("temporary directory"))
        .path()
}

/// The shared library built from tests/modules/<name>.c.
pub fn module_path(name: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let mut built = BUILT.get_or_init(Default::default).lock().unwrap();
    if let Some(p) = built.get(name) {
        return p.clone();
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/modules/{name}.c"));
    let out = build_dir().join(format!("lib{name}.so"));
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let status = Command::new(&cc)
        .args([
            "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-fPIC", "-shared",
        ])
        .arg("-I")
        .arg(bpf2c_runtime::include_dir())
        .arg("-o")
        .arg(&out)
        .arg(&src)
        .status()
        .unwrap_or_else(|e| panic!("cannot run {cc}: {e}"));
    assert!(status.success(), "{cc} failed on {}", src.display());
    built.insert(name.to_string(), out.clone());
    out
}

pub fn image(name: &str) -> ModuleImage {
    // SAFETY: the library is one of tests/modules, written to the ABI, just compiled
    // against this runtime's bpf2c.h.
    unsafe { ModuleImage::from_library(&module_path(name), SYMBOL) }
        .unwrap_or_else(|e| panic!("{e}"))
}

pub fn instance(name: &str, options: Options) -> Instance {
    Instance::new(image(name), options).unwrap_or_else(|e| panic!("{e}"))
}

/// An instance whose trace lines are captured.
pub fn traced(name: &str, options: Options) -> (Instance, TraceCapture) {
    let capture = TraceCapture::new();
    let inst = instance(name, options.trace_sink(capture.sink()));
    (inst, capture)
}

/// The library kept open and a copy of its module header, for tests that corrupt it.
pub struct RawModule {
    _lib: libloading::Library,
    pub module: ffi::bpf2c_module_t,
}

pub fn raw_module(name: &str) -> RawModule {
    // SAFETY: a tests/modules library (see `image`), whose module symbol is a
    // bpf2c_module_t; the library stays open in the RawModule, so the pointers in the copy
    // stay valid as long as it lives.
    unsafe {
        let lib = libloading::Library::new(module_path(name)).unwrap();
        let module = {
            let sym: libloading::Symbol<*const ffi::bpf2c_module_t> =
                lib.get(SYMBOL.as_bytes()).unwrap();
            **sym
        };
        RawModule { _lib: lib, module }
    }
}

pub fn u64_at(buf: &[u8], i: usize) -> u64 {
    u64::from_ne_bytes(buf[8 * i..8 * i + 8].try_into().unwrap())
}

pub fn set_u64(buf: &mut [u8], i: usize, v: u64) {
    buf[8 * i..8 * i + 8].copy_from_slice(&v.to_ne_bytes());
}

pub fn errno_ret(e: i64) -> u64 {
    (-e) as u64
}
