//! PERCPU_ARRAY lookups inlined at the run's CPU slot, direct calls to the hash map types'
//! own lookup functions (with their LRU and per-CPU behaviour), and exact counts when
//! threads add into one inlined ARRAY value at once.

use bpf2c::optimize::{Action, Decision};
use bpf2c_runtime::{Options, UpdateFlags};

use super::common::{key, loaded, neg, u64v, Loaded, Mem};

const OBJ: &str = "tests/bpf/opt/percpu_hash.o";

fn slots(m: &Loaded, map: &str, k: u32) -> Vec<u64> {
    m.instance
        .map(map)
        .unwrap()
        .lookup_percpu(&key(k))
        .unwrap()
        .unwrap()
        .iter()
        .map(|v| u64::from_ne_bytes(v.as_slice().try_into().unwrap()))
        .collect()
}

#[test]
fn per_cpu_array_lookups_use_the_runs_slot() {
    let m = loaded(OBJ, true, Options::default().cpu_slots(3));
    assert!(matches!(
        m.sites_in("pcpu_add")[0].action,
        Action::InlineLookup { per_cpu: true, .. }
    ));
    assert!(m
        .translation
        .c_source
        .contains("rt->map_data[0].array_data + (uint64_t)inv->cpu * rt->map_data[0].cpu_stride"));
    // Values the host puts in each slot are what a run on that slot sees: a thread gets its
    // last slot back, so one thread's runs all see one slot.
    m.instance
        .map("pcpu")
        .unwrap()
        .update(
            &key(2),
            &[u64v(1000), u64v(2000), u64v(3000)].concat(),
            UpdateFlags::Any,
        )
        .unwrap();
    let first = m.run("pcpu_add", &mut Mem::default().u32(2).bytes());
    let slot = [1000, 2000, 3000]
        .iter()
        .position(|&base| first == base + 4)
        .expect("the run saw one slot's value plus its length");
    let second = m.run("pcpu_add", &mut Mem::default().u32(2).u32(0).bytes());
    assert_eq!(second, first + 8);
    let mut want = vec![1000, 2000, 3000];
    want[slot] += 12;
    assert_eq!(slots(&m, "pcpu", 2), want, "only the run's slot changed");
    assert_eq!(slots(&m, "pcpu", 1), [0, 0, 0]);

    for k in [4u32, 0xffff_ffff] {
        assert_eq!(
            m.run("pcpu_add", &mut Mem::default().u32(k).bytes()),
            neg(1)
        );
    }
    assert_eq!(m.run("pcpu_const", &mut []), 1);
    assert_eq!(m.run("pcpu_const", &mut []), 2);
    assert_eq!(slots(&m, "pcpu", 3).iter().sum::<u64>(), 2);

    // From several threads at once: every slot's count is its own runs'; the sum is all.
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                for _ in 0..500 {
                    m.run("pcpu_add", &mut Mem::default().u32(1).bytes());
                }
            });
        }
    });
    assert_eq!(slots(&m, "pcpu", 1).iter().sum::<u64>(), 3 * 500 * 4);
}

#[test]
fn hash_lookups_call_the_map_types_own_function() {
    let m = loaded(OBJ, true, Options::default());
    for (function, map) in [("hash_get", "hash"), ("lru_get", "lru")] {
        let sites = m.sites_in(function);
        assert_eq!(sites[0].decision(), Decision::Direct, "{function}");
        assert!(m
            .translation
            .c_source
            .contains(&format!("/* bpf_map_lookup_elem direct: {map} */")));
    }
    assert_eq!(
        m.sites_in("hash_put")[0].reason(),
        Some("map type HASH has no inline form for update")
    );
    let hash = m.instance.map("hash").unwrap();
    hash.update(&key(5), &u64v(55), UpdateFlags::Any).unwrap();
    assert_eq!(m.run("hash_get", &mut Mem::default().u32(5).bytes()), 55);
    assert_eq!(
        m.run("hash_get", &mut Mem::default().u32(6).bytes()),
        neg(1)
    );
    let mut put = Mem::default().u32(6).u32(0).u64(66).bytes();
    assert_eq!(m.run("hash_put", &mut put), 0);
    assert_eq!(m.run("hash_get", &mut Mem::default().u32(6).bytes()), 66);
    hash.delete(&key(5)).unwrap();
    assert_eq!(
        m.run("hash_get", &mut Mem::default().u32(5).bytes()),
        neg(1)
    );
}

/// A program's lookup marks an LRU entry as used, so the entry not looked up is the one an
/// insert into the full map evicts. The direct call must do what the helper does.
#[test]
fn direct_lru_lookups_mark_entries_as_used_like_the_helper() {
    for optimize in [true, false] {
        let m = loaded(OBJ, optimize, Options::default());
        let want = if optimize {
            Decision::Direct
        } else {
            Decision::Helper
        };
        assert_eq!(m.sites_in("lru_get")[0].decision(), want);
        let k = |k: u32| Mem::default().u32(k).bytes();
        assert_eq!(m.run("lru_put", &mut k(1)), 0);
        assert_eq!(m.run("lru_put", &mut k(2)), 0);
        assert_eq!(m.run("lru_get", &mut k(1)), 10);
        assert_eq!(m.run("lru_put", &mut k(3)), 0);
        assert_eq!(
            m.run("lru_get", &mut k(2)),
            neg(1),
            "2 was evicted (opt {optimize})"
        );
        assert_eq!(m.run("lru_get", &mut k(1)), 10, "1 was used, so kept");
        assert_eq!(m.run("lru_get", &mut k(3)), 30);
        // Now 1 and 3 are both marked; the sweep clears both and evicts the first again
        // unless it is used in between.
        assert_eq!(m.run("lru_put", &mut k(4)), 0);
        let kept: Vec<u64> = [1, 3, 4]
            .iter()
            .map(|&x| m.run("lru_get", &mut k(x)))
            .collect();
        assert_eq!(kept.iter().filter(|&&v| v == neg(1)).count(), 1, "{kept:?}");
        assert_eq!(kept[2], 40);
    }
}

#[test]
fn direct_per_cpu_hash_lookups_use_the_runs_slot() {
    let m = loaded(OBJ, true, Options::default().cpu_slots(2));
    assert_eq!(
        m.sites_in("pcpu_hash_count")[0].decision(),
        Decision::Direct
    );
    let k = || Mem::default().u32(7).bytes();
    assert_eq!(m.run("pcpu_hash_count", &mut k()), 1);
    assert_eq!(m.run("pcpu_hash_count", &mut k()), 2);
    assert_eq!(m.run("pcpu_hash_count", &mut k()), 3);
    let mut v = slots(&m, "pcpu_hash", 7);
    v.sort();
    assert_eq!(v, [0, 3], "one slot counted every run, the other none");
}

#[test]
fn concurrent_atomic_adds_into_an_inlined_value_are_exact() {
    let m = loaded("tests/bpf/opt/array_inline.o", true, Options::default());
    assert_eq!(m.sites_in("atomic_bump")[0].decision(), Decision::Inlined);
    const THREADS: usize = 4;
    const RUNS: usize = 20_000;
    let prog = m.instance.program("atomic_bump").unwrap();
    let barrier = std::sync::Barrier::new(THREADS);
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                barrier.wait();
                for _ in 0..RUNS {
                    assert_eq!(m.instance.run_raw(&prog, &mut []).unwrap(), 0);
                }
            });
        }
    });
    let v = m
        .instance
        .map("counter")
        .unwrap()
        .lookup(&key(0))
        .unwrap()
        .unwrap();
    assert_eq!(
        u64::from_ne_bytes(v.try_into().unwrap()),
        (THREADS * RUNS) as u64
    );
}
