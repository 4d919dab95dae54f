//! Many threads running one instance's programs and using its maps at once.

use std::sync::atomic::{AtomicBool, Ordering};

use bpf2c_runtime::{Instance, Options};

use crate::common::instance;

const THREADS: u32 = 4;
const RUNS: u64 = 20_000;

fn counter(inst: &Instance, map: &str, key: u32) -> Vec<u64> {
    inst.map(map)
        .unwrap()
        .lookup_percpu(&key.to_ne_bytes())
        .unwrap()
        .unwrap_or_default()
        .iter()
        .map(|v| u64::from_ne_bytes(v[..8].try_into().unwrap()))
        .collect()
}

/// Every thread runs "count" RUNS times: two shared atomic counters, a non-atomic per-CPU
/// counter, and a per-thread hash entry must all come out exact.
fn hammer(cpu_slots: usize) {
    let inst = instance("maps", Options::default().cpu_slots(cpu_slots));
    let prog = inst.program("count").unwrap();
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        // A host thread reading while programs write: values only ever grow.
        let reader = s.spawn(|| {
            let mut last = 0;
            let mut reads = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let now = counter(&inst, "counters", 0)[0];
                assert!(now >= last, "counter went back from {last} to {now}");
                last = now;
                assert!(inst.map("hash").unwrap().entries().len() <= THREADS as usize);
                reads += 1;
            }
            reads
        });
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let inst = &inst;
                s.spawn(move || {
                    let mut key = t.to_ne_bytes();
                    for _ in 0..RUNS {
                        assert_eq!(inst.run_raw(&prog, &mut key).unwrap(), 0);
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        stop.store(true, Ordering::Relaxed);
        assert!(reader.join().unwrap() > 0);
    });
    let total = THREADS as u64 * RUNS;
    assert_eq!(
        counter(&inst, "counters", 0),
        [total],
        "helper lookup + atomic add"
    );
    assert_eq!(
        counter(&inst, "counters", 1),
        [total],
        "inlined access + atomic add"
    );
    let per_cpu = counter(&inst, "pcpu_arr", 0);
    assert_eq!(per_cpu.len(), cpu_slots);
    assert_eq!(
        per_cpu.iter().sum::<u64>(),
        total,
        "per-CPU slots: {per_cpu:?}"
    );
    for t in 0..THREADS {
        assert_eq!(counter(&inst, "hash", t), [RUNS], "thread {t}'s hash entry");
    }
}

#[test]
fn four_threads_on_fewer_cpu_slots_count_exactly() {
    hammer(2);
}

#[test]
fn four_threads_on_many_cpu_slots_count_exactly() {
    hammer(8);
}
