//! bpf2c's end-to-end tests, in one test binary so `cargo test` links it once: the
//! verifier's (tests/verify_*.rs) and those past verification (generated C compiled and run,
//! under sanitizers, and the fuzz regression corpora). Each file keeps its own module (and
//! its name as the test-name prefix, so `cargo test -p bpf2c verify_reject` still selects
//! it).

mod common;

#[path = "codegen_runtime.rs"]
mod codegen_runtime;
#[path = "conformance_codegen.rs"]
mod conformance_codegen;
#[path = "fuzz_regressions.rs"]
mod fuzz_regressions;
#[path = "opt_sanitize.rs"]
mod opt_sanitize;

mod support;

#[path = "verify_accept.rs"]
mod verify_accept;
#[path = "verify_containment.rs"]
mod verify_containment;
#[path = "verify_facts.rs"]
mod verify_facts;
#[path = "verify_matches_linux.rs"]
mod verify_matches_linux;
#[path = "verify_reject.rs"]
mod verify_reject;
#[path = "verify_termination.rs"]
mod verify_termination;
#[path = "verify_translate_agree.rs"]
mod verify_translate_agree;
