//! The end-to-end tests, in one test binary so `cargo test` links it once. Each file keeps
//! its own module (and its name as the test-name prefix, so
//! `cargo test -p bpf2c-tests --test e2e packet_room` selects one file's tests). `difftest`
//! stays a binary of its own: it is run alone with a seed range (docs/reliability.md).

#[path = "cli.rs"]
mod cli;
#[path = "conformance.rs"]
mod conformance;
#[path = "e2e_map_of_maps.rs"]
mod e2e_map_of_maps;
#[path = "e2e_maps_events.rs"]
mod e2e_maps_events;
#[path = "e2e_objects.rs"]
mod e2e_objects;
#[path = "fuzz_regressions.rs"]
mod fuzz_regressions;
#[path = "host_helpers.rs"]
mod host_helpers;
#[path = "objects_fresh.rs"]
mod objects_fresh;
#[path = "packet_room.rs"]
mod packet_room;
#[path = "sanitized_runtime.rs"]
mod sanitized_runtime;
#[path = "skb_helpers.rs"]
mod skb_helpers;
#[path = "skb_programs.rs"]
mod skb_programs;
#[path = "testing_api.rs"]
mod testing_api;
#[path = "toolchains.rs"]
mod toolchains;
