//! Runtime tests against hand-written C modules (tests/modules/*.c) that use the ABI the
//! way generated code does.

mod bench;
mod common;
mod concurrency;
mod csrc;
// The fuzz regression corpora (tests/fuzz_regressions.rs) share this binary, so `cargo test`
// links one executable for the crate's integration tests.
#[path = "../fuzz_regressions.rs"]
mod fuzz_regressions;
mod helpers;
mod loading;
mod maps;
mod typed;
