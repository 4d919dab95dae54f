#![no_main]
//! The CLI's --maps-in JSON (cargo_bpf2c::fuzzing::maps_json).

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = cargo_bpf2c::fuzzing::maps_json(data);
});
