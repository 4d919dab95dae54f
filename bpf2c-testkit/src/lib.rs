//! Test support shared by the workspace's tests and benchmarks, so each test file does not
//! carry its own copy: building raw eBPF instructions, finding the repository root, compiling
//! C ([`cc`], the one compile path, cached), and running generated modules in the one C
//! stand-in runtime ([`stand_in`]).

pub mod cc;
pub mod stand_in;

pub use stand_in::sources as c_runtime_sources;

use std::path::{Path, PathBuf};

use bpf2c::insn::Insn;

/// One instruction from its five fields, in encoding order.
pub const fn insn(opcode: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
    Insn::new(opcode, dst, src, off, imm)
}

/// `exit`: return r0 to the caller.
pub const EXIT: Insn = Insn::EXIT;

/// The bytecode of `insns`, 8 bytes each, as a raw object or the kernel would read it.
pub fn encode(insns: &[Insn]) -> Vec<u8> {
    insns.iter().flat_map(|i| i.encode()).collect()
}

/// The repository root (this crate sits directly inside it).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bpf2c-testkit sits inside the repository")
        .to_path_buf()
}

/// Replays the regression corpus of fuzz target `target` (`fuzz/regressions/<target>/`, see
/// docs/reliability.md) through `check`, the function the target calls, on stable, so every
/// input a fuzzer once found keeps being handled; fails naming each input that panicked.
pub fn replay_fuzz_regressions(target: &str, check: impl Fn(&[u8])) {
    use std::panic::{catch_unwind, AssertUnwindSafe};
    let dir = repo().join("fuzz/regressions").join(target);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_encodes_as_the_exit_opcode_alone() {
        assert_eq!(encode(&[EXIT]), vec![0x95, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn insn_places_each_field() {
        // r1 = r2 (mov64 reg): dst in the low nibble of byte 1, src in the high one.
        let bytes = encode(&[insn(0xbf, 1, 2, -1, 0x0102_0304)]);
        assert_eq!(bytes, vec![0xbf, 0x21, 0xff, 0xff, 0x04, 0x03, 0x02, 0x01]);
    }

    #[test]
    fn repo_is_the_workspace_root() {
        assert!(repo().join("Cargo.toml").is_file());
        assert!(repo().join("bpf2c/src/lib.rs").is_file());
    }
}
