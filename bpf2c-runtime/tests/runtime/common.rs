//! Builds the hand-written C modules of tests/modules into shared libraries with the system
//! C compiler and the ABI's bpf2c.h, through bpf2c-testkit's compile cache.

use std::path::{Path, PathBuf};

use bpf2c_runtime::{ffi, Instance, ModuleImage, Options, TraceCapture};
use bpf2c_testkit::cc::{self, Compiler, Output, Unit};

pub const SYMBOL: &str = "bpf2c_module";

/// The shared library built from tests/modules/<name>.c with `$CC` (else `cc`), through
/// the testkit's compile cache.
pub fn module_path(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/modules");
    let src = dir.join(format!("{name}.c"));
    let read = |path: &Path| std::fs::read_to_string(path).unwrap();
    // The module and the header the modules share.
    let units = [
        Unit::new(format!("{name}.c"), read(&src)),
        Unit::new("testmod.h", read(&dir.join("testmod.h"))),
    ];
    let flags = ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-fPIC"];
    cc::build(&Compiler::from_env(), &flags, &units, Output::SharedLibrary)
        .unwrap_or_else(|e| panic!("{}: {e}", src.display()))
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
