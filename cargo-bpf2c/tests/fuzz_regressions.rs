//! Replays the regression corpora of the fuzz targets that exercise this crate
//! (`fuzz/regressions/<target>/`, see docs/reliability.md) through the same functions the
//! targets call, on stable, so that every input a fuzzer once found keeps being handled.

use bpf2c_testkit::replay_fuzz_regressions as replay;
use cargo_bpf2c::fuzzing;

#[test]
fn cli_hex() {
    replay("cli_hex", |data| {
        let _ = fuzzing::hex_text(data);
    });
}

#[test]
fn cli_maps_json() {
    replay("cli_maps_json", |data| {
        let _ = fuzzing::maps_json(data);
    });
}

#[test]
fn cli_plugin_stdin() {
    replay("cli_plugin_stdin", |data| {
        let _ = fuzzing::plugin_stdin(data);
    });
}
