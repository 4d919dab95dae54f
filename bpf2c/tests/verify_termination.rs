//! Termination: verification does not prove that loops end (PREVAIL's termination check
//! refuses ordinary clang loops); generated code spends a back-edge budget instead, and a
//! run that exhausts it ends with `RunError::LoopBudget`. Both halves, through the whole
//! pipeline: driver -> C -> native shared library -> runtime instance.

use crate::support;

use std::time::{Duration, Instant};

use bpf2c::driver::{translate, TranslateOptions};
use bpf2c::object::Object;
use bpf2c_runtime::{Instance, ModuleImage, Options, RunError, UpdateFlags};
use support::{load, marker_line, verify};

const SYMBOL: &str = "bpf2c_module";

/// Verifies, translates, compiles and loads `obj` with the given loop budget.
fn instantiate(obj: &Object, cache: &std::path::Path, budget: u64) -> Instance {
    let opts = TranslateOptions {
        module_symbol: Some(SYMBOL.to_string()),
        ..TranslateOptions::default()
    };
    let t = translate(obj, &opts).unwrap_or_else(|e| panic!("{e}"));
    assert!(t.verified && t.verdicts.iter().all(|v| v.verified));
    let lib =
        bpf2c_build::native::compile_shared(&t.c_source, cache).unwrap_or_else(|e| panic!("{e}"));
    // SAFETY: the library was just built from this translation.
    let image = unsafe { ModuleImage::from_library(&lib, SYMBOL) }.unwrap();
    assert!(image.is_verified());
    Instance::new(image, Options::default().loop_budget(budget)).unwrap()
}

/// The back-edge of the loop on the line marked `LOOP(<program>)`: the one backward jump
/// on that line.
fn back_edge(obj: &Object, program: &str) -> u32 {
    let line = marker_line("tests/bpf/facts/endless.c", &format!("LOOP({program})"));
    let f = &obj.functions[obj.program(program).unwrap().entry];
    let edges: Vec<usize> = (0..f.insns.len())
        .filter(|&i| f.line_at(i).is_some_and(|l| l.line == line))
        .filter(|&i| f.insns[i].jump_offset().is_some_and(|o| o < 0))
        .collect();
    assert_eq!(
        edges.len(),
        1,
        "{program}: backward jumps on line {line}: {edges:?}"
    );
    edges[0] as u32
}

#[test]
fn endless_loops_verify_and_runs_stop_at_the_budget() {
    let obj = load("tests/bpf/facts/endless.o");
    for p in ["spin_until_42", "count_to_packet_byte"] {
        assert!(verify(&obj, p).verified, "{p} must verify");
    }
    let cache = tempfile::tempdir().unwrap();
    let budget = 1000;
    let instance = instantiate(&obj, cache.path(), budget);

    let spin = instance.program("spin_until_42").unwrap();
    let edge = back_edge(&obj, "spin_until_42");
    assert_eq!(edge, 4);
    // Ends at once when the flag is already 42: the loop body ran once, n = 0.
    assert_eq!(instance.run(&spin, &mut [42]), Ok(0));
    let start = Instant::now();
    let err = instance.run(&spin, &mut [1]).unwrap_err();
    let took = start.elapsed();
    assert_eq!(
        err,
        RunError::LoopBudget {
            program: "spin_until_42".into(),
            function: "spin_until_42".into(),
            instruction: edge,
            budget,
        }
    );
    assert!(took < Duration::from_secs(2), "stopping took {took:?}");
    let shown = err.to_string();
    assert!(
        shown.contains("spin_until_42") && shown.contains(&format!("instruction {edge}")),
        "{shown}"
    );

    let count = instance.program("count_to_packet_byte").unwrap();
    let edge = back_edge(&obj, "count_to_packet_byte");
    assert_eq!(edge, 20);
    // Counting from 1 to 200 takes 199 back-edges, within the budget: XDP_PASS.
    assert_eq!(instance.run(&count, &mut [200, 0, 0]), Ok(2));
    // The counter starts at 1 and wraps from 255 to 1: it never equals 0.
    assert_eq!(
        instance.run(&count, &mut [0]),
        Err(RunError::LoopBudget {
            program: "count_to_packet_byte".into(),
            function: "count_to_packet_byte".into(),
            instruction: edge,
            budget,
        })
    );
    // An empty packet is refused before the loop.
    assert_eq!(instance.run(&count, &mut []), Ok(0));

    // A finite loop longer than the budget is stopped too: the budget bounds every run.
    let small = instantiate(&obj, cache.path(), 100);
    let count = small.program("count_to_packet_byte").unwrap();
    assert!(matches!(
        small.run(&count, &mut [200]),
        Err(RunError::LoopBudget { budget: 100, .. })
    ));
    assert_eq!(small.run(&count, &mut [50]), Ok(2));
}

#[test]
fn bounded_clang_loops_verify_and_compute_the_right_values() {
    let obj = load("tests/bpf/loop.o");
    for p in &obj.programs {
        assert!(verify(&obj, &p.name).verified, "{} must verify", p.name);
    }
    let cache = tempfile::tempdir().unwrap();
    let instance = instantiate(&obj, cache.path(), bpf2c_runtime::DEFAULT_LOOP_BUDGET);

    // sum_map: the sum of arr[0..64], low byte.
    let arr = instance.map("arr").unwrap();
    let mut expected: u64 = 0;
    for i in 0u32..64 {
        let v = u64::from(i) * 3 + 1;
        expected += v;
        arr.update(&i.to_le_bytes(), &v.to_le_bytes(), UpdateFlags::Any)
            .unwrap();
    }
    let prog = instance.program("sum_map").unwrap();
    assert_eq!(instance.run(&prog, &mut [0; 14]), Ok(expected & 0xff));

    // sum_packet: the sum of the first 64 bytes, or of the whole shorter packet.
    let prog = instance.program("sum_packet").unwrap();
    let mut packet: Vec<u8> = (0..100u32).map(|i| (i * 7 % 251) as u8).collect();
    let want: u64 = packet[..64].iter().map(|&b| u64::from(b)).sum();
    assert_eq!(instance.run(&prog, &mut packet), Ok(want));
    let mut short: Vec<u8> = (1..=10).collect();
    assert_eq!(instance.run(&prog, &mut short), Ok(55));

    // sum_raw: the same over a raw buffer, bounded by its length.
    let prog = instance.program("sum_raw").unwrap();
    let mut buf: Vec<u8> = (0..80u32).map(|i| (i * 13 % 256) as u8).collect();
    let want: u64 = buf[..64].iter().map(|&b| u64::from(b)).sum();
    assert_eq!(instance.run(&prog, &mut buf), Ok(want));
    assert_eq!(instance.run(&prog, &mut [9, 9, 9]), Ok(27));

    // count64: acc = acc * 31 + i over 0..64, in 32 bits.
    let prog = instance.program("count64").unwrap();
    let want = (0u32..64).fold(0u32, |acc, i| acc.wrapping_mul(31).wrapping_add(i));
    assert_eq!(instance.run(&prog, &mut [0; 14]), Ok(u64::from(want)));
}
