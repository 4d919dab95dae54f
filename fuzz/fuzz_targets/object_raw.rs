#![no_main]
//! Raw bytecode: load and validate (bpf2c::fuzzing::load_raw).

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = bpf2c::fuzzing::load_raw(data);
});
