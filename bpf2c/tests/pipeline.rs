//! The end-to-end tests past verification (generated C compiled and run, under sanitizers,
//! and the fuzz regression corpora), in one test binary so `cargo test` links it once. Each
//! file keeps its own module (and its name as the test-name prefix, so
//! `cargo test -p bpf2c codegen_runtime` still selects it).

mod common;

#[path = "codegen_runtime.rs"]
mod codegen_runtime;
#[path = "conformance_codegen.rs"]
mod conformance_codegen;
#[path = "fuzz_regressions.rs"]
mod fuzz_regressions;
#[path = "opt_sanitize.rs"]
mod opt_sanitize;
