//! The bpf2c runtime: loads modules that bpf2c generated and compiled, and runs their
//! programs from Rust.
//!
//! The runtime knows nothing of the translator. Its only contract with generated code is
//! `include/bpf2c.h` ([`ABI_HEADER`]): the module describes its maps, helpers and programs
//! in a `bpf2c_module_t`; the runtime creates the maps, fills a `bpf2c_map_data_t` per map
//! and a `bpf2c_runtime_context_t`, and calls each program with a fresh
//! `bpf2c_invocation_t`.
//!
//! ```no_run
//! use bpf2c_runtime::{Instance, ModuleImage, Options};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // SAFETY: the library was produced by bpf2c.
//! let image = unsafe { ModuleImage::from_library("prog.so".as_ref(), "bpf2c_module")? };
//! let instance = Instance::new(image, Options::default())?;
//! let prog = instance.program("xdp_main")?;
//! let mut packet = vec![0u8; 64];
//! let action = instance.run_xdp(&prog, &mut packet)?;
//! # let _ = action; Ok(()) }
//! ```
//!
//! Threads: an [`Instance`] is `Send + Sync`; any number of threads may run its programs
//! and use its maps at once. Runs that can observe a CPU (per-CPU maps,
//! `bpf_get_smp_processor_id`) lease one of [`Instance::cpu_slots`] slots exclusively
//! for their duration, so per-CPU values never race.

mod cpu;
mod error;
pub mod ffi;
mod helpers;
mod instance;
mod maps;
mod module;
pub mod typed;
mod types;

use std::io;
use std::path::{Path, PathBuf};

pub use error::{Errno, LoadError, MapError, MapErrorKind, RunError};
pub use helpers::{
    format_trace_printk, id as helper_id, standard_helpers, HelperCall, HelperClosure,
    TraceCapture, TraceEvent, TraceRecord, TraceSink, MAX_CUSTOM_HELPERS, TRACE_LINE_MAX,
};
pub use instance::{
    Instance, MapRef, Options, Program, RepeatStats, DEFAULT_LOOP_BUDGET, DEFAULT_MAX_MAP_BYTES,
    MAX_CPU_SLOTS,
};
pub use module::{
    ModuleImage, MAX_FUNCTIONS, MAX_HELPERS, MAX_KEY_SIZE, MAX_MAPS, MAX_NAME_LEN, MAX_PROGRAMS,
    MAX_VALUE_SIZE,
};
pub use types::{
    HelperSpec, MapAssumption, MapSpec, MapType, ProgramInfo, ProgramType, UpdateFlags,
};

/// Includes the Rust bindings that `bpf2c-build` generated for an object:
/// `bpf2c_runtime::include_bindings!("counter");` expands to the contents of
/// `$OUT_DIR/bpf2c/counter.rs`, a module `counter` with the struct `Counter`.
#[macro_export]
macro_rules! include_bindings {
    ($name:literal) => {
        include!(concat!(env!("OUT_DIR"), "/bpf2c/", $name, ".rs"));
    };
}

/// The text of `bpf2c.h`, the ABI header generated code includes.
pub const ABI_HEADER: &str = include_str!("../include/bpf2c.h");

/// The directory holding `bpf2c.h` in this crate's source, for `-I` when the source tree
/// is at hand (build scripts of the workspace). Tools that may run elsewhere should use
/// [`write_abi_header`] instead.
pub fn include_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("include")
}

/// Writes `bpf2c.h` into `dir` and returns its path. Leaves an identical file untouched,
/// so builds that track its modification time do not rebuild for nothing.
pub fn write_abi_header(dir: &Path) -> io::Result<PathBuf> {
    let path = dir.join("bpf2c.h");
    match std::fs::read(&path) {
        Ok(existing) if existing == ABI_HEADER.as_bytes() => return Ok(path),
        _ => {}
    }
    std::fs::create_dir_all(dir)?;
    std::fs::write(&path, ABI_HEADER)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_written_once_and_matches() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("inc");
        let p = write_abi_header(&sub).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), ABI_HEADER);
        let mtime = std::fs::metadata(&p).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        write_abi_header(&sub).unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().modified().unwrap(), mtime);
        assert!(include_dir().join("bpf2c.h").exists());
        assert!(ABI_HEADER.contains("#define BPF2C_ABI_VERSION 3u"));
    }
}
