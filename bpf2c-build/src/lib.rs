//! bpf2c-build: the build-script side of bpf2c.
//!
//! [`Builder`] verifies eBPF objects, translates them to C, compiles the C against the
//! runtime's ABI header and links it into the crate, and writes typed Rust bindings to
//! `OUT_DIR` for [`bpf2c_runtime::include_bindings!`]. It tells cargo to rerun it when an
//! object or an environment variable it reads changes, writes nothing outside `OUT_DIR`, and
//! reports a refused program as one `cargo::error=` line (object, program, source line,
//! reason) with the full details in a log file.
//!
//! ```no_run
//! // build.rs: fn main() {
//! bpf2c_build::Builder::new().object("bpf/counter.o").run();
//! // }
//! ```

mod builder;
pub mod cache;
pub mod clang;
mod glob;
pub mod metadata;
pub mod native;
pub mod pipeline;

pub use bpf2c::helpers::{HelperArg, HelperDecl, HelperReturn};
pub use builder::{env, BuildError, Builder, Built, BuiltObject, ObjectOptions};
