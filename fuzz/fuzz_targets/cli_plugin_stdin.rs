#![no_main]
//! The conformance plugin's stdin: hex of a raw program, loaded and translated unverified (cargo_bpf2c::fuzzing::plugin_stdin).

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = cargo_bpf2c::fuzzing::plugin_stdin(data);
});
