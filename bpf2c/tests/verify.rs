//! The verifier's end-to-end tests, in one test binary so `cargo test` links it once. Each
//! file keeps its own module (and its name as the test-name prefix, so
//! `cargo test -p bpf2c verify_reject` still selects it).

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
