#![no_main]
//! The pipeline: load, validate, verify with small limits, plan, generate C (bpf2c::fuzzing::translate).

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = bpf2c::fuzzing::translate(data);
});
