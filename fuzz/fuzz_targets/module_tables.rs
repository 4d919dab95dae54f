#![no_main]
//! A valid module's tables, tampered field by field, validated and instantiated by the runtime (bpf2c_runtime::fuzzing::load_tampered_module).

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = bpf2c_runtime::fuzzing::load_tampered_module(data);
});
