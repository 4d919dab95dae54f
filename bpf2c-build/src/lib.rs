//! bpf2c-build: the build-script side of bpf2c. Verifies eBPF objects, generates C,
//! compiles it, and links it into the crate.

pub mod native;
