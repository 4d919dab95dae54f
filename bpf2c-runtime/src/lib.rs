//! The bpf2c runtime: loads modules that bpf2c generated and compiled, and runs their
//! programs from Rust.
//!
//! The runtime knows nothing of the translator. Its only contract with generated code is
//! `bpf2c.h` ([`ABI_HEADER`], from the bpf2c-abi crate both sides build on): the module describes its maps, helpers and programs
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
pub mod events;
pub mod ffi;
#[doc(hidden)]
pub mod fuzzing;
mod helpers;
mod instance;
mod maps;
mod module;
pub mod packet;
pub mod redirect;
pub mod testing;
pub mod typed;
mod types;

pub use error::{Errno, LoadError, MapError, MapErrorKind, RunError};
pub use helpers::fib::{Fib, Interface, Neighbor, Route, RouteKind};
pub use helpers::skb_meta::{IpSummed, SkbMeta, TunnelInfo};
pub use helpers::{
    format_trace_printk, id as helper_id, standard_helpers, HelperCall, HelperClosure,
    TraceCapture, TraceEvent, TraceRecord, TraceSink, MAX_CUSTOM_HELPERS, TRACE_LINE_MAX,
};
pub use instance::{
    ClonedPacket, Instance, MapOfMapsRef, MapRef, Options, Program, Redirect, RepeatStats,
    RunOutcome, SkbFields, SkbPacketRun, SkbRun, DEFAULT_LOOP_BUDGET, DEFAULT_MAX_MAP_BYTES,
    MAX_CPU_SLOTS,
};
pub use module::{
    ModuleImage, MAX_FUNCTIONS, MAX_HELPERS, MAX_KEY_SIZE, MAX_MAPS, MAX_NAME_LEN, MAX_PROGRAMS,
    MAX_VALUE_SIZE,
};
pub use packet::Packet;
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

/// `bpf2c.h` and the helpers to put it where a C compiler finds it, from bpf2c-abi.
pub use bpf2c_abi::{include_dir, write_abi_header, ABI_HEADER};
