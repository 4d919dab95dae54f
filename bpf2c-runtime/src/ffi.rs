//! `#[repr(C)]` mirrors of the structures and constants of `bpf2c.h`, which live in
//! bpf2c-abi with the header itself and the test that ties them to it; re-exported here so
//! that hosts and hand-written modules need only this crate.

pub use bpf2c_abi::ffi::*;
