//! The subcommand's end-to-end tests, in one test binary so `cargo test` links it once. Each
//! file keeps its own module (and its name as the test-name prefix, so
//! `cargo test -p cargo-bpf2c --test cli gate_cli` selects one file's tests; `golden` is the
//! filter to bless the golden files with, and `opt` has modules of its own, in `opt/`).

#[path = "cache.rs"]
mod cache;
#[path = "examples.rs"]
mod examples;
#[path = "fuzz_regressions.rs"]
mod fuzz_regressions;
#[path = "gate_cli.rs"]
mod gate_cli;
#[path = "golden.rs"]
mod golden;
#[path = "input_errors.rs"]
mod input_errors;
#[path = "opt/main.rs"]
mod opt;
#[path = "verify_cli.rs"]
mod verify_cli;
#[path = "workspace.rs"]
mod workspace;
