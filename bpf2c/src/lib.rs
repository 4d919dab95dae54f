//! bpf2c: eBPF objects to verified, portable C.
//!
//! The pipeline runs one way: an [`object::Object`] is read from an ELF file or raw
//! bytecode, verified, its per-instruction facts extracted, and C generated from the object
//! and the facts.

pub mod bindings;
pub mod codegen;
pub mod context_check;
pub mod driver;
pub mod error;
pub mod facts;
#[doc(hidden)]
pub mod fuzzing;
pub mod helpers;
pub mod insn;
pub mod object;
pub mod optimize;
pub mod runnable;
pub mod verify;

pub use error::{Error, Location, Result};
