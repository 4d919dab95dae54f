//! Replays the regression corpora of the fuzz targets that exercise bpf2c-runtime
//! (`fuzz/regressions/<target>/`, see docs/reliability.md) through the same functions the
//! targets call, on stable, so that every input a fuzzer once found keeps being handled.

use bpf2c_runtime::fuzzing;
use bpf2c_testkit::replay_fuzz_regressions as replay;

#[test]
fn module_tables() {
    replay("module_tables", |data| {
        let _ = fuzzing::load_tampered_module(data);
    });
}
