//! Replays the regression corpora of the fuzz targets that exercise this crate
//! (`fuzz/regressions/<target>/`, see docs/reliability.md) through the same functions the
//! targets call, on stable, so that every input a fuzzer once found keeps being handled.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use cargo_bpf2c::fuzzing;

/// Runs `check` on every input of a target's regression corpus; fails naming each input
/// that panicked.
fn replay(target: &str, check: impl Fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/regressions")
        .join(target);
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "{} holds no inputs", dir.display());
    let failed: Vec<String> = inputs
        .iter()
        .filter(|path| {
            let data = std::fs::read(path).unwrap();
            catch_unwind(AssertUnwindSafe(|| check(&data))).is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(failed.is_empty(), "inputs that panicked: {failed:#?}");
}

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
