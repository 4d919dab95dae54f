#![no_main]
//! The CLI's hex arguments (cargo_bpf2c::fuzzing::hex_text).

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = cargo_bpf2c::fuzzing::hex_text(data);
});
