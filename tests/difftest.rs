//! Differential testing in `cargo test`: random programs (tests/src/gen.rs) that the
//! verifier accepts run natively, translated by bpf2c and built with gcc
//! `-fsanitize=undefined,address`, and on the RFC 9669 interpreter (tests/src/interp.rs);
//! r0, the buffer and the maps must agree. The long run is the `difftest` binary
//! (docs/reliability.md).

use bpf2c_tests::difftest::{run_batch, run_programs, Config};
use bpf2c_tests::gen::{map_specs, Program};
use bpf2c_tests::report;

/// Seeds of this test: a fixed range, so a failure names a seed that reproduces it with
/// `cargo run --release -p bpf2c-tests --bin difftest -- --explain SEED` (or `--reduce`).
const SEEDS: std::ops::Range<u64> = 1..241;

#[test]
fn random_programs_agree_with_the_interpreter() {
    let started = std::time::Instant::now();
    let config = Config::default();
    let mut total = bpf2c_tests::difftest::Tally::default();
    let mut findings = Vec::new();
    // Two batches, so that each compile step has enough files for every core.
    let middle = (SEEDS.start + SEEDS.end) / 2;
    for range in [SEEDS.start..middle, middle..SEEDS.end] {
        let batch = run_batch(range, &config).unwrap_or_else(|e| panic!("batch failed: {e}"));
        total.add(&batch.tally);
        findings.extend(batch.findings);
    }
    report(&format!("difftest: {total} in {:.1?}", started.elapsed()));
    let listed: Vec<String> = findings
        .iter()
        .map(|f| format!("seed {}: {}", f.seed, f.what))
        .collect();
    assert!(
        total.clean(),
        "{} finding(s):\n{}",
        listed.len(),
        listed.join("\n")
    );
    assert_eq!(total.generated, SEEDS.end - SEEDS.start);
    // The generator is meant to produce mostly verifiable programs; far fewer means it (or
    // the verifier) changed and the test no longer exercises code generation.
    assert!(
        total.compared * 10 >= total.generated * 6,
        "only {} of {} programs were compared",
        total.compared,
        total.generated
    );
}

fn slot(opcode: u8, dst: u8, src: u8, off: i16, imm: i32) -> [u8; 8] {
    let mut s = [opcode, (src << 4) | dst, 0, 0, 0, 0, 0, 0];
    s[2..4].copy_from_slice(&off.to_le_bytes());
    s[4..8].copy_from_slice(&imm.to_le_bytes());
    s
}

/// A bounded loop whose atomic fetch-op feeds its own operand. GCC 12 at -O1 and above
/// miscompiled `__atomic_fetch_{or,and,xor}` in this shape, so bpf2c.h writes them as a
/// compare-exchange loop under GCC; found by the differential tester (seed 6).
#[test]
fn looped_atomic_fetch_ops_feeding_their_operand_are_compiled_correctly() {
    let mut programs = Vec::new();
    // fetch_or, fetch_and, fetch_xor, each in both widths.
    for (i, (op, size)) in [
        (0x41, 0x18),
        (0x51, 0x18),
        (0xa1, 0x18),
        (0x41, 0),
        (0x51, 0),
        (0xa1, 0),
    ]
    .into_iter()
    .enumerate()
    {
        let slots = vec![
            slot(0xb7, 0, 0, 0, -686_347_664), // r0 = -686347664
            slot(0x18, 8, 0, 0, 0x0000_0001),  // r8 = 0x8000000000000001 ll
            slot(0x00, 0, 0, 0, i32::MIN),
            slot(0x7a, 10, 0, -16, 102),       // *(u64 *)(r10 - 16) = 102
            slot(0xb7, 1, 0, 0, 0),            // r1 = 0
            slot(0xc3 | size, 10, 8, -16, op), // r8 = atomic_fetch_op(*(r10 - 16), r8)
            slot(0x07, 1, 0, 0, 1),            // r1 += 1
            slot(0xa5, 1, 0, -3, 8),           // if r1 < 8 goto -3
            slot(0x0f, 0, 8, 0, 0),            // r0 += r8
            slot(0x95, 0, 0, 0, 0),            // exit
        ];
        programs.push(Program {
            seed: i as u64,
            slots,
            function_starts: vec![0],
            maps: map_specs(),
            input: vec![0; 64],
        });
    }
    for compiler in ["gcc".to_string()]
        .into_iter()
        .chain(bpf2c_tests::cc::clang())
    {
        let config = Config {
            compiler: compiler.clone(),
            ..Config::default()
        };
        let batch = run_programs(programs.clone(), &config).unwrap();
        let listed: Vec<String> = batch
            .findings
            .iter()
            .map(|f| format!("program {}: {}", f.seed, f.what))
            .collect();
        assert!(batch.tally.clean(), "{compiler}:\n{}", listed.join("\n"));
        assert_eq!(
            batch.tally.compared,
            programs.len() as u64,
            "{compiler}: every program ran"
        );
    }
}
