//! Replays the regression corpora of the fuzz targets that exercise this crate
//! (`fuzz/regressions/<target>/`, see docs/reliability.md) through the same functions the
//! targets call, on stable, so that every input a fuzzer once found keeps being handled.

use bpf2c::fuzzing;
use bpf2c_testkit::replay_fuzz_regressions as replay;

#[test]
fn object_elf() {
    replay("object_elf", |data| {
        let _ = fuzzing::load_elf(data);
    });
}

#[test]
fn object_raw() {
    replay("object_raw", |data| {
        let _ = fuzzing::load_raw(data);
    });
}

#[test]
fn translate() {
    replay("translate", |data| {
        let _ = fuzzing::translate(data);
    });
}
