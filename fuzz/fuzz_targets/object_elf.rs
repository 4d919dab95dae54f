#![no_main]
//! ELF objects, BTF and .BTF.ext included: load and validate (bpf2c::fuzzing::load_elf).

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = bpf2c::fuzzing::load_elf(data);
});
