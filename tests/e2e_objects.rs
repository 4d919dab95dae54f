//! The eBPF objects of tests/bpf, built from their C sources, through the in-process
//! pipeline: `bpf2c::driver` (PREVAIL verification, C generation), `bpf2c_build::native`
//! (the host C compiler) and `bpf2c_runtime`. Every test checks values: return values, map
//! contents, packet bytes, global variables and trace output.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::thread;

use bpf2c_runtime::{
    Instance, MapType, Options, ProgramType, RunError, TraceCapture, TraceSink, UpdateFlags,
};
use bpf2c_tests::pipeline::{instance, read_global, run, write_global};
use bpf2c_tests::{key32, u32_at, u64_at};

const XDP_DROP: u64 = 1;
const XDP_PASS: u64 = 2;
const XDP_TX: u64 = 3;

fn quiet() -> Options {
    Options::default().trace_sink(TraceSink::Discard)
}

/// r0 of a program returning a C `int`, read as that int.
fn as_int(r0: u64) -> i32 {
    r0 as u32 as i32
}

fn run_len(inst: &Instance, program: &str, len: usize) -> u64 {
    run(inst, program, &mut vec![0u8; len])
}

fn u64_value(inst: &Instance, map: &str, key: u32) -> Option<u64> {
    inst.map(map)
        .expect("map exists")
        .lookup(&key32(key))
        .expect("lookup")
        .map(|v| u64_at(&v, 0))
}

// ---------------------------------------------------------------------------------------
// Map types
// ---------------------------------------------------------------------------------------

#[test]
fn array_map_counts_per_key_and_takes_host_writes() {
    let (_, inst) = instance("maps_basic.o", quiet());
    let returns: Vec<u64> = (0..6).map(|len| run_len(&inst, "count", len)).collect();
    assert_eq!(returns, [1, 1, 1, 1, 2, 2]);
    let counters = inst.map("counters").unwrap();
    assert_eq!(counters.definition().map_type, MapType::Array);
    let values: Vec<u64> = counters
        .entries()
        .iter()
        .map(|(_, v)| u64_at(v, 0))
        .collect();
    assert_eq!(values, [2, 2, 1, 1]);

    counters
        .update(&key32(3), &40u64.to_le_bytes(), UpdateFlags::Any)
        .unwrap();
    assert_eq!(run_len(&inst, "count", 3), 41);
    assert_eq!(u64_value(&inst, "counters", 3), Some(41));
    // Arrays have every key; they cannot grow past max_entries.
    assert_eq!(u64_value(&inst, "counters", 4), None);
}

fn table_ops(inst: &Instance, key: u32, value: u32) -> i32 {
    let mut mem = [key.to_le_bytes(), value.to_le_bytes()].concat();
    as_int(run(inst, "table_ops", &mut mem))
}

#[test]
fn hash_map_update_lookup_delete_and_capacity() {
    let (_, inst) = instance("maps_basic.o", quiet());
    let table = inst.map("table").unwrap();
    assert_eq!(table.definition().map_type, MapType::Hash);

    assert_eq!(table_ops(&inst, 7, 21), 42);
    let v = table.lookup(&key32(7)).unwrap().expect("key 7 is present");
    assert_eq!((u32_at(&v, 0), u32_at(&v, 4)), (21, 42));
    // Replace.
    assert_eq!(table_ops(&inst, 7, 5), 10);
    assert_eq!(u32_at(&table.lookup(&key32(7)).unwrap().unwrap(), 4), 10);
    // A zero value deletes; deleting again is -ENOENT.
    assert_eq!(table_ops(&inst, 7, 0), 0);
    assert_eq!(table.lookup(&key32(7)).unwrap(), None);
    assert_eq!(table_ops(&inst, 7, 0), -2);
    // Too short a buffer.
    assert_eq!(as_int(run(&inst, "table_ops", &mut [0u8; 7])), -1);

    // Fill all 16 entries; a 17th key does not fit (the update fails, -2 from the program).
    for k in 0..16 {
        assert_eq!(table_ops(&inst, 100 + k, k + 1), 2 * (k as i32 + 1));
    }
    assert_eq!(table.keys().len(), 16);
    assert_eq!(table_ops(&inst, 999, 1), -2);
    assert_eq!(table.lookup(&key32(999)).unwrap(), None);
    // Replacing an existing key still works when full.
    assert_eq!(table_ops(&inst, 100, 50), 100);

    // The host sees and changes what programs see.
    let pair = [9u32.to_le_bytes(), 18u32.to_le_bytes()].concat();
    table.delete(&key32(101)).unwrap();
    table
        .update(&key32(5), &pair, UpdateFlags::NoExist)
        .unwrap();
    assert!(table
        .update(&key32(5), &pair, UpdateFlags::NoExist)
        .is_err());
    let keys: BTreeSet<u32> = table.keys().iter().map(|k| u32_at(k, 0)).collect();
    assert!(keys.contains(&5) && !keys.contains(&101) && keys.contains(&100));
}

#[test]
fn percpu_array_keeps_one_value_per_slot_and_never_loses_updates() {
    let (_, inst) = instance("maps_basic.o", quiet().cpu_slots(2));
    let map = inst.map("percpu_counters").unwrap();
    assert_eq!(map.definition().map_type, MapType::PercpuArray);
    assert_eq!(map.cpus(), 2);

    // Host-written per-slot values: a run sees its own slot's.
    map.update(
        &key32(0),
        &[100u64.to_le_bytes(), 200u64.to_le_bytes()].concat(),
        UpdateFlags::Any,
    )
    .unwrap();
    let r = run_len(&inst, "count_percpu", 5);
    assert!(r == 105 || r == 205, "count_percpu returned {r}");
    let slots = map.lookup_percpu(&key32(0)).unwrap().unwrap();
    assert_eq!(slots.len(), 2);
    let sum: u64 = slots.iter().map(|v| u64_at(v, 0)).sum();
    assert_eq!(sum, 305);

    // Four threads, 2 slots, non-atomic `*v += len` in the program: slots are leased
    // exclusively, so nothing is lost.
    map.update(&key32(0), &0u64.to_le_bytes(), UpdateFlags::Any)
        .unwrap();
    let inst = Arc::new(inst);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let inst = Arc::clone(&inst);
            thread::spawn(move || {
                for _ in 0..500 {
                    run_len(&inst, "count_percpu", 3);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let slots = inst
        .map("percpu_counters")
        .unwrap()
        .lookup_percpu(&key32(0))
        .unwrap()
        .unwrap();
    let sum: u64 = slots.iter().map(|v| u64_at(v, 0)).sum();
    assert_eq!(sum, 4 * 500 * 3);
    // Key 1 was never touched.
    let untouched = inst
        .map("percpu_counters")
        .unwrap()
        .lookup(&key32(1))
        .unwrap()
        .unwrap();
    assert_eq!(untouched, vec![0u8; 16]);
}

#[test]
fn percpu_hash_counts_per_slot() {
    // One slot: the program's insert-then-increment sequence is deterministic.
    let (_, inst) = instance("maps_basic.o", quiet().cpu_slots(1));
    let returns: Vec<u64> = (0..3)
        .map(|_| run_len(&inst, "percpu_hash_ops", 4))
        .collect();
    assert_eq!(returns, [1, 2, 3]);
    assert_eq!(run_len(&inst, "percpu_hash_ops", 9), 1);
    let map = inst.map("percpu_table").unwrap();
    assert_eq!(map.definition().map_type, MapType::PercpuHash);
    assert_eq!(
        map.lookup_percpu(&key32(4)).unwrap().unwrap(),
        vec![3u32.to_le_bytes().to_vec()]
    );
    let keys: BTreeSet<u32> = map.keys().iter().map(|k| u32_at(k, 0)).collect();
    assert_eq!(keys, BTreeSet::from([4, 9]));

    // Three slots: whatever slot each run gets, the per-slot counts add up to the runs.
    let (_, inst) = instance("maps_basic.o", quiet().cpu_slots(3));
    for _ in 0..10 {
        let r = run_len(&inst, "percpu_hash_ops", 6);
        assert!((1..=10).contains(&r), "percpu_hash_ops returned {r}");
    }
    let slots = inst
        .map("percpu_table")
        .unwrap()
        .lookup_percpu(&key32(6))
        .unwrap()
        .unwrap();
    assert_eq!(slots.len(), 3);
    assert_eq!(slots.iter().map(|v| u32_at(v, 0)).sum::<u32>(), 10);
}

#[test]
fn lru_hash_evicts_the_least_recently_used_key() {
    let (_, inst) = instance("maps_basic.o", quiet());
    let recent = inst.map("recent").unwrap();
    assert_eq!(recent.definition().map_type, MapType::LruHash);
    let keys = || -> BTreeSet<u32> { recent.keys().iter().map(|k| u32_at(k, 0)).collect() };

    assert_eq!(run_len(&inst, "lru_insert", 1), 10);
    assert_eq!(run_len(&inst, "lru_insert", 2), 20);
    assert_eq!(keys(), BTreeSet::from([1, 2]));
    // Full: each insert of a new key evicts the least recently used one instead of failing.
    assert_eq!(run_len(&inst, "lru_insert", 3), 30);
    assert_eq!(keys(), BTreeSet::from([2, 3]));
    assert_eq!(run_len(&inst, "lru_insert", 4), 40);
    assert_eq!(keys(), BTreeSet::from([3, 4]));
    assert_eq!(u64_value(&inst, "recent", 3), Some(30));
    assert_eq!(u64_value(&inst, "recent", 4), Some(40));
    assert_eq!(u64_value(&inst, "recent", 1), None);
    // Replacing a present key evicts nothing.
    assert_eq!(run_len(&inst, "lru_insert", 4), 40);
    assert_eq!(keys(), BTreeSet::from([3, 4]));
    // Many more keys: the map never holds more than max_entries, and the newest is there.
    for k in 10..50 {
        assert_eq!(run_len(&inst, "lru_insert", k), 10 * k as u64);
        let now = keys();
        assert_eq!(now.len(), 2);
        assert!(now.contains(&(k as u32)));
    }
    // A host insert with NOEXIST into the full map evicts too.
    recent
        .update(&key32(500), &5u64.to_le_bytes(), UpdateFlags::NoExist)
        .unwrap();
    assert!(keys().contains(&500) && keys().len() == 2);
}

/// Points the object's PROG_ARRAY slots at programs, unless the module's own initial
/// entries (`.values`) were already applied; says which happened.
fn ensure_slots(inst: &Instance, map: &str, slots: &[(u32, &str)]) {
    let table = inst.map(map).unwrap();
    assert_eq!(table.definition().map_type, MapType::ProgArray);
    let set: Vec<u32> = table.keys().iter().map(|k| u32_at(k, 0)).collect();
    if set.is_empty() {
        println!("note: {map}: initial PROG_ARRAY entries are not applied by the runtime; setting them with MapRef::set_program");
        for (index, program) in slots {
            table.set_program(*index, program).unwrap();
        }
    } else {
        let expected: Vec<u32> = slots.iter().map(|(i, _)| *i).collect();
        assert_eq!(set, expected, "initial entries of {map}");
    }
}

#[test]
fn prog_array_tail_calls_dispatch_by_slot() {
    let (_, inst) = instance("tail_calls.o", quiet());
    ensure_slots(&inst, "jump_table", &[(0, "stage_zero"), (2, "stage_two")]);
    let dispatch = inst.program("dispatch").unwrap();
    let results: Vec<u64> = (4..12)
        .map(|len| inst.run_xdp(&dispatch, &mut vec![0u8; len]).unwrap())
        .collect();
    // Slot len % 4: 0 -> stage_zero (10), 2 -> stage_two (12), empty slots fall through.
    assert_eq!(results, [10, 100, 12, 100, 10, 100, 12, 100]);

    let table = inst.map("jump_table").unwrap();
    let stage_two_index = inst
        .programs()
        .iter()
        .position(|p| p.name == "stage_two")
        .unwrap() as u32;
    assert_eq!(
        table.lookup(&key32(2)).unwrap(),
        Some(stage_two_index.to_le_bytes().to_vec())
    );
    // Clearing a slot makes the tail call fall through; re-pointing it changes the target.
    table.delete(&key32(0)).unwrap();
    assert_eq!(inst.run_xdp(&dispatch, &mut [0u8; 8]).unwrap(), 100);
    table.set_program(0, "stage_two").unwrap();
    assert_eq!(inst.run_xdp(&dispatch, &mut [0u8; 8]).unwrap(), 12);
    table.set_program(3, "stage_zero").unwrap();
    assert_eq!(inst.run_xdp(&dispatch, &mut [0u8; 7]).unwrap(), 10);
    assert!(table.set_program(1, "no_such_program").is_err());
}

#[test]
fn tail_calls_stop_at_the_linux_limit() {
    let (built, inst) = instance("e2e_extra.o", quiet());
    inst.map("self_table")
        .unwrap()
        .set_program(0, "again")
        .unwrap();
    // The entry run plus 33 tail calls (MAX_TAIL_CALL_CNT); the 34th falls through.
    assert_eq!(run(&inst, "again", &mut [0u8; 4]), 34);
    assert_eq!(
        read_global(&inst, &built.obj, "entries"),
        34u64.to_le_bytes()
    );
    // Each run starts its own count.
    assert_eq!(run(&inst, "again", &mut [0u8; 4]), 68);
}

/// An object with maps and no program has nothing to verify or run: loading it is an error
/// naming the file (as `cargo bpf2c run` reports it; see tests/cli.rs).
#[test]
fn maps_only_object_is_refused_for_holding_no_program() {
    let path = bpf2c_tests::repo_root().join("tests/bpf/maps_only.o");
    let e = bpf2c::object::load_file(&path, bpf2c::object::InputFormat::Elf)
        .expect_err("an object without programs");
    assert_eq!(e.location.file, path);
    assert!(e.message.starts_with("the object holds no program"), "{e}");
}

#[test]
fn legacy_and_typedef_maps_are_distinct_maps() {
    let (_, inst) = instance("legacy_maps.o", quiet().cpu_slots(1));
    assert_eq!(run_len(&inst, "legacy_use", 3), 102);
    assert_eq!(run_len(&inst, "legacy_use", 5), 204);
    assert_eq!(u64_value(&inst, "stats_a", 0), Some(2));
    assert_eq!(u64_value(&inst, "stats_b", 0), Some(4));
    assert_eq!(u64_value(&inst, "flows", 3), Some(3));
    assert_eq!(u64_value(&inst, "flows", 5), Some(5));
    assert_eq!(inst.map("flows").unwrap().keys().len(), 2);
    let solo: Vec<u64> = (0..3).map(|_| run_len(&inst, "solo_use", 0)).collect();
    assert_eq!(solo, [1, 2, 3]);
    assert_eq!(
        inst.map("solo").unwrap().definition().map_type,
        MapType::PercpuArray
    );

    let (_, inst) = instance("typedef_maps.o", quiet());
    assert_eq!(run_len(&inst, "bump", 0), 1002);
    assert_eq!(run_len(&inst, "bump", 0), 2004);
    assert_eq!(u64_value(&inst, "hits_a", 0), Some(2));
    assert_eq!(u64_value(&inst, "hits_b", 0), Some(4));
}

// ---------------------------------------------------------------------------------------
// Global data
// ---------------------------------------------------------------------------------------

/// The address just past `.bss` (one lddw of `buf + 16`) is the end of `buf`: a write of 7
/// through it minus one lands in buf's last byte.
#[test]
fn the_address_past_global_data_is_the_end_of_it() {
    let (built, inst) = instance("global_end.o", quiet());
    assert_eq!(run_len(&inst, "past_end", 0), 7);
    let buf = read_global(&inst, &built.obj, "buf");
    assert_eq!(buf, [[0u8; 15].as_slice(), &[7]].concat());
}

#[test]
fn global_data_sections_are_read_and_written_from_rust() {
    let capture = TraceCapture::new();
    let (built, inst) = instance(
        "global_data.o",
        Options::default().trace_sink(capture.sink()),
    );
    let obj = &built.obj;
    let g64 = |v: &str| u64_at(&read_global(&inst, obj, v), 0);
    let g32 = |v: &str| u32_at(&read_global(&inst, obj, v), 0);
    // Initial values: .data, .rodata, .bss, .data.custom.
    assert_eq!(
        (g64("counter"), g32("limit"), g64("hits"), g32("custom")),
        (5, 3, 0, 7)
    );

    // counter = 5 + 2, table[2] = 3, custom = 7.
    assert_eq!(run_len(&inst, "use_globals", 2), 7 + 3 + 7);
    assert_eq!((g64("counter"), g64("hits")), (7, 1));
    assert!(capture.texts().is_empty(), "2 is not over the limit");

    // Host writes are what the program reads next.
    write_global(&inst, obj, "counter", &100u64.to_le_bytes());
    write_global(&inst, obj, "custom", &1000u32.to_le_bytes());
    assert_eq!(run_len(&inst, "use_globals", 1), 101 + 2 + 1000);
    assert_eq!(run_len(&inst, "use_globals", 5), 106 + 2 + 1000);
    assert_eq!((g64("counter"), g64("hits")), (106, 3));
    assert_eq!(capture.texts(), ["len 5 over limit"]);
    assert_eq!(capture.take()[0].program, "use_globals");

    // .rodata.
    assert_eq!(run_len(&inst, "read_limit", 0), 30);
    let rodata = inst.map(".rodata").unwrap();
    assert!(rodata.definition().is_global_data() && rodata.definition().is_read_only());
    // Optimized code may have folded .rodata constants, so the host cannot change them.
    let err = rodata
        .update(&key32(0), &9u32.to_le_bytes(), UpdateFlags::Any)
        .expect_err(".rodata is read-only");
    assert!(err.to_string().contains("read-only"), "{err}");
    assert_eq!(g32("limit"), 3);
    assert!(inst.map(".bss").unwrap().definition().is_global_data());

    // A second instance of the same library has its own globals.
    let (_, other) = instance("global_data.o", quiet());
    assert_eq!(u64_at(&read_global(&other, obj, "counter"), 0), 5);
    assert_eq!(run_len(&other, "use_globals", 0), 5 + 1 + 7);
    assert_eq!(g64("counter"), 106);
}

// ---------------------------------------------------------------------------------------
// Pointer arithmetic on map values after their NULL check
// ---------------------------------------------------------------------------------------

/// `hashed`'s value: two u64 words.
fn pair(first: u64, second: u64) -> Vec<u8> {
    [first.to_le_bytes(), second.to_le_bytes()].concat()
}

/// The null-checked counterparts of tests/bpf/reject/null_arith.c (which the verifier
/// refuses: NULL + 8 faulted at address 8) take the NULL path when the map is empty and read
/// the right word when it is not.
#[test]
fn arithmetic_after_the_null_check_reads_the_value_or_takes_the_null_path() {
    const SECOND_WORD_READERS: [&str; 8] = [
        "add_imm",
        "add_reg",
        "add_to_number",
        "add_to_checked_copy",
        "spill_reload_add",
        "add_in_subprogram",
        "sub_imm",
        "sub_reg",
    ];
    let (_, inst) = instance("null_checked_arith.o", quiet());
    let mut empty = Vec::new();
    for program in SECOND_WORD_READERS.iter().chain(&["offset_key_to_lookup"]) {
        empty.push((*program, run_len(&inst, program, 64)));
    }
    assert!(empty.iter().all(|(_, r0)| *r0 == 0), "{empty:?}");

    let hashed = inst.map("hashed").unwrap();
    hashed
        .update(&0u64.to_le_bytes(), &pair(0x1111, 5), UpdateFlags::Any)
        .unwrap();
    for program in SECOND_WORD_READERS {
        assert_eq!(run_len(&inst, program, 64), 5, "{program}");
    }
    // hashed[0]'s second word (5) is the key of the second lookup: NULL, then hashed[5].
    assert_eq!(run_len(&inst, "offset_key_to_lookup", 64), 0);
    hashed
        .update(&5u64.to_le_bytes(), &pair(0x5555, 0), UpdateFlags::Any)
        .unwrap();
    assert_eq!(run_len(&inst, "offset_key_to_lookup", 64), 0x5555);
}

/// An array lookup keyed by the packet's first word: in range it reads slots[i], past
/// max_entries (4) the lookup gives NULL and the program returns 0, as for a short packet.
#[test]
fn a_packet_keyed_array_lookup_is_null_past_max_entries() {
    let (_, inst) = instance("null_checked_arith.o", quiet());
    inst.map("slots")
        .unwrap()
        .update(&key32(1), &pair(7, 0x3333), UpdateFlags::Any)
        .unwrap();
    let packet = |index: u32| {
        let mut data = vec![0u8; 64];
        data[..4].copy_from_slice(&index.to_le_bytes());
        run(&inst, "array_packet_key", &mut data)
    };
    assert_eq!(packet(1), 0x3333);
    assert_eq!(packet(0), 0);
    assert_eq!(packet(4), 0);
    assert_eq!(packet(0xffff_ffff), 0);
    assert_eq!(run(&inst, "array_packet_key", &mut [1, 0, 0]), 0);
}

// ---------------------------------------------------------------------------------------
// Programs and subprograms
// ---------------------------------------------------------------------------------------

#[test]
fn subprograms_return_what_their_sources_compute() {
    let (built, inst) = instance("subprograms.o", quiet());
    for len in [0u64, 1, 7, 100] {
        let l = len as usize;
        assert_eq!(run_len(&inst, "prog_a", l), len + 1000, "prog_a({len})");
        assert_eq!(
            run_len(&inst, "prog_b", l),
            2 * len + 1000 + 3 * len,
            "prog_b({len})"
        );
        assert_eq!(run_len(&inst, "chain", l), 2 * len + 8, "chain({len})");
    }
    // The uncalled function is dropped; the shared ones are there once.
    let functions: Vec<&str> = built
        .obj
        .functions
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert!(!functions.contains(&"orphan"), "functions: {functions:?}");
    assert_eq!(functions.iter().filter(|f| **f == "add_bias").count(), 1);
}

#[test]
fn a_callee_cannot_clobber_its_callers_stack() {
    let (_, inst) = instance("subprograms.o", quiet());
    // 1 + 2 + 3 + 4 from the caller's frame, 100 + 400 from fill(100).
    assert_eq!(run_len(&inst, "stack_survives", 0), 510);
    assert_eq!(run_len(&inst, "stack_survives", 64), 510);
}

#[test]
fn several_programs_in_one_section() {
    let (built, inst) = instance("multi_prog.o", quiet());
    let sections: BTreeSet<&str> = built
        .obj
        .programs
        .iter()
        .map(|p| p.section.as_str())
        .collect();
    assert_eq!(sections, BTreeSet::from(["raw"]));
    let names: Vec<&str> = inst.programs().iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names.len(), 3);
    for n in ["first", "second", "third"] {
        assert!(names.contains(&n), "{names:?}");
    }
    assert_eq!(run_len(&inst, "first", 9), 10);
    assert_eq!(run_len(&inst, "second", 3), 21);
    assert_eq!(run_len(&inst, "second", 11), 2);
    assert_eq!(run(&inst, "third", &mut [0x0f, 1]), 0x0f ^ 0x5a);
    assert_eq!(as_int(run(&inst, "third", &mut [])), -1);
    assert!(matches!(
        inst.program("fourth"),
        Err(RunError::NoSuchProgram { .. })
    ));
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

#[test]
fn ktime_is_monotonic_and_follows_real_time() {
    let (_, inst) = instance("helpers.o", quiet());
    for _ in 0..1000 {
        assert_eq!(run_len(&inst, "monotonic", 0), 1);
    }
    let (_, extra) = instance("e2e_extra.o", quiet());
    let host_start = std::time::Instant::now();
    let t1 = run_len(&extra, "now", 0);
    thread::sleep(std::time::Duration::from_millis(30));
    let t2 = run_len(&extra, "now", 0);
    let host_elapsed = host_start.elapsed().as_nanos() as u64;
    assert!(t1 > 0);
    assert!(
        t2 - t1 >= 30_000_000 && t2 - t1 <= host_elapsed,
        "ktime advanced {} ns over a 30 ms sleep (host saw {host_elapsed} ns)",
        t2 - t1
    );
}

#[test]
fn prandom_is_bounded_and_repeatable_with_a_seed() {
    let draws = |options: Options, len: usize| -> Vec<u64> {
        let (_, inst) = instance("helpers.o", options);
        (0..64)
            .map(|_| run_len(&inst, "random_below", len))
            .collect()
    };
    let a = draws(quiet().prandom_seed(42), 1000);
    let b = draws(quiet().prandom_seed(42), 1000);
    let c = draws(quiet().prandom_seed(43), 1000);
    assert_eq!(a, b, "the same seed gives the same sequence");
    assert_ne!(a, c, "another seed gives another sequence");
    assert!(a.iter().chain(&c).all(|&r| r < 1000));
    assert!(a.iter().collect::<BTreeSet<_>>().len() > 32, "{a:?}");
    let unseeded = draws(quiet(), 7);
    assert!(unseeded.iter().all(|&r| r < 7));
    assert!(unseeded.iter().collect::<BTreeSet<_>>().len() > 1);
    assert_eq!(draws(quiet().prandom_seed(1), 0), vec![0; 64]);
}

#[test]
fn smp_processor_id_is_below_the_cpu_slots() {
    let (_, inst) = instance("helpers.o", quiet().cpu_slots(3));
    assert_eq!(inst.cpu_slots(), 3);
    let inst = Arc::new(inst);
    let seen: Vec<BTreeSet<u64>> = (0..4)
        .map(|_| {
            let inst = Arc::clone(&inst);
            thread::spawn(move || (0..300).map(|_| run_len(&inst, "cpu_id", 0)).collect())
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    let all: BTreeSet<u64> = seen.into_iter().flatten().collect();
    assert!(all.iter().all(|&c| c < 3), "cpu ids {all:?}");

    let (_, single) = instance("helpers.o", quiet().cpu_slots(1));
    assert_eq!(run_len(&single, "cpu_id", 0), 0);
}

/// This thread's kernel thread id, from /proc/thread-self -> "<pid>/task/<tid>".
fn current_tid() -> u64 {
    let link = std::fs::read_link("/proc/thread-self").expect("/proc/thread-self");
    link.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.parse().ok())
        .expect("a numeric thread id")
}

#[test]
fn pid_tgid_is_this_process_and_thread() {
    let (_, helpers) = instance("helpers.o", quiet());
    let (_, extra) = instance("e2e_extra.o", quiet());
    let helpers = Arc::new(helpers);
    let extra = Arc::new(extra);
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let (helpers, extra) = (Arc::clone(&helpers), Arc::clone(&extra));
            thread::spawn(move || {
                let tid = current_tid();
                // thread_id returns a C int: only the low 32 bits are its value.
                assert_eq!(run_len(&helpers, "thread_id", 0) & 0xffff_ffff, tid);
                let v = run_len(&extra, "pid_tgid", 0);
                assert_eq!(v >> 32, u64::from(std::process::id()), "tgid");
                assert_eq!(v & 0xffff_ffff, tid, "tid");
                tid
            })
        })
        .collect();
    let tids: BTreeSet<u64> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(tids.len(), 3, "three threads, three thread ids");
}

#[test]
fn trace_printk_output_is_captured() {
    let capture = TraceCapture::new();
    let (_, inst) = instance("helpers.o", Options::default().trace_sink(capture.sink()));
    assert_eq!(
        run(&inst, "print", &mut [7, 0]),
        "len=2 first=7\n".len() as u64
    );
    assert_eq!(
        run(&inst, "print", &mut [200; 300]),
        "len=300 first=200\n".len() as u64
    );
    assert_eq!(run(&inst, "print", &mut []), "len=0 first=0\n".len() as u64);
    let records = capture.take();
    let texts: Vec<&str> = records.iter().map(|r| r.text.as_str()).collect();
    assert_eq!(
        texts,
        ["len=2 first=7", "len=300 first=200", "len=0 first=0"]
    );
    assert!(records.iter().all(|r| r.program == "print"));
    assert!(records.iter().all(|r| (r.cpu as usize) < inst.cpu_slots()));
    assert!(capture.take().is_empty());
}

// ---------------------------------------------------------------------------------------
// XDP
// ---------------------------------------------------------------------------------------

const DST_MAC: [u8; 6] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
const SRC_MAC: [u8; 6] = [0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb];

fn ones_complement_sum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// An Ethernet + IPv4 packet with a correct header checksum and `payload` bytes of data.
fn ipv4_packet(ttl: u8, id: u16, src: [u8; 4], dst: [u8; 4], payload: usize) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&DST_MAC);
    p.extend_from_slice(&SRC_MAC);
    p.extend_from_slice(&[0x08, 0x00]);
    let total = (20 + payload) as u16;
    let mut ip = vec![0x45, 0x00];
    ip.extend_from_slice(&total.to_be_bytes());
    ip.extend_from_slice(&id.to_be_bytes());
    ip.extend_from_slice(&[0x40, 0x00, ttl, 17, 0, 0]);
    ip.extend_from_slice(&src);
    ip.extend_from_slice(&dst);
    let check = !ones_complement_sum(&ip);
    ip[10..12].copy_from_slice(&check.to_be_bytes());
    p.extend_from_slice(&ip);
    p.extend((0..payload).map(|i| i as u8));
    p
}

#[test]
fn xdp_reflects_ipv4_with_mac_swap_and_ttl_checksum_update() {
    let (_, inst) = instance("xdp_parse.o", quiet());
    let prog = inst.program("xdp_reflect").unwrap();
    assert_eq!(inst.programs()[prog.index()].program_type, ProgramType::Xdp);

    // The packet from the CLI example: a known-good header.
    let mut packet =
        hex::decode("00112233445566778899aabb0800450000140000000040063a7cc0a80001c0a80002")
            .unwrap();
    assert_eq!(inst.run_xdp(&prog, &mut packet).unwrap(), XDP_TX);
    assert_eq!(
        hex::encode(&packet),
        "66778899aabb001122334455080045000014000000003f063b7cc0a80001c0a80002"
    );

    // Many headers: each comes back with swapped MACs, TTL - 1, a valid checksum, and
    // everything else untouched.
    let mut seed = 0x1234_5678u32;
    let mut next = || {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        seed
    };
    for n in 0..200 {
        let r = next();
        let ttl = 2 + (r % 254) as u8;
        let src = next().to_be_bytes();
        let dst = next().to_be_bytes();
        let original = ipv4_packet(ttl, (r >> 8) as u16, src, dst, n % 40);
        let mut packet = original.clone();
        assert_eq!(
            inst.run_xdp(&prog, &mut packet).unwrap(),
            XDP_TX,
            "packet {n}"
        );
        assert_eq!(packet[0..6], SRC_MAC);
        assert_eq!(packet[6..12], DST_MAC);
        assert_eq!(packet[14 + 8], ttl - 1, "TTL of packet {n}");
        assert_eq!(
            ones_complement_sum(&packet[14..34]),
            0xffff,
            "checksum of packet {n}: {}",
            hex::encode(&packet[14..34])
        );
        let unchanged = |p: &[u8]| [&p[12..22], &p[23..24], &p[26..]].concat();
        assert_eq!(unchanged(&packet), unchanged(&original), "packet {n}");
    }
    // The incremental update's carry: a checksum whose high byte is 0xff overflows when
    // TTL - 1 adds 0x0100 to it.
    let carrying = (0..=u16::MAX)
        .map(|id| ipv4_packet(77, id, [10, 1, 2, 3], [10, 3, 2, 1], 0))
        .find(|p| p[24] == 0xff)
        .expect("some id gives a checksum starting with 0xff");
    let mut packet = carrying.clone();
    assert_eq!(inst.run_xdp(&prog, &mut packet).unwrap(), XDP_TX);
    assert_eq!(packet[22], 76);
    assert_eq!(ones_complement_sum(&packet[14..34]), 0xffff, "carry case");
    assert_eq!(u64_value(&inst, "verdicts", XDP_TX as u32), Some(202));
}

#[test]
fn xdp_passes_non_ipv4_and_drops_short_or_expiring_packets() {
    let (_, inst) = instance("xdp_parse.o", quiet());
    let prog = inst.program("xdp_reflect").unwrap();
    let check = |packet: Vec<u8>, verdict: u64, what: &str| {
        let mut p = packet.clone();
        assert_eq!(inst.run_xdp(&prog, &mut p).unwrap(), verdict, "{what}");
        assert_eq!(p, packet, "{what}: the packet is unchanged");
    };
    let mut arp = ipv4_packet(64, 1, [10, 0, 0, 1], [10, 0, 0, 2], 8);
    arp[12..14].copy_from_slice(&[0x08, 0x06]);
    check(arp, XDP_PASS, "ARP");
    check(vec![0xab; 13], XDP_DROP, "shorter than Ethernet");
    check(vec![], XDP_DROP, "empty");
    let full = ipv4_packet(64, 1, [10, 0, 0, 1], [10, 0, 0, 2], 0);
    check(full[..14 + 19].to_vec(), XDP_DROP, "truncated IPv4 header");
    check(
        ipv4_packet(1, 2, [1, 2, 3, 4], [5, 6, 7, 8], 4),
        XDP_DROP,
        "TTL 1",
    );
    check(
        ipv4_packet(0, 3, [1, 2, 3, 4], [5, 6, 7, 8], 4),
        XDP_DROP,
        "TTL 0",
    );
    // Ethernet-only (no IP) with the ARP type is still passed.
    let mut eth_only = full[..14].to_vec();
    eth_only[12..14].copy_from_slice(&[0x86, 0xdd]);
    check(eth_only, XDP_PASS, "IPv6 type, no payload");

    let pass_all = inst.program("xdp_pass_all").unwrap();
    assert_eq!(inst.run_xdp(&pass_all, &mut [0u8; 3]).unwrap(), XDP_PASS);

    let counts: Vec<u64> = (0..5)
        .map(|k| u64_value(&inst, "verdicts", k).unwrap())
        .collect();
    assert_eq!(counts, [0, 5, 3, 0, 0]);
    // An XDP program cannot be run as a raw one.
    assert!(matches!(
        inst.run_raw(&prog, &mut [0u8; 4]),
        Err(RunError::WrongProgramType { .. })
    ));
}

// ---------------------------------------------------------------------------------------
// Loops and atomics
// ---------------------------------------------------------------------------------------

#[test]
fn bounded_loops_compute_their_sums() {
    let (_, inst) = instance("loop.o", quiet());
    let arr = inst.map("arr").unwrap();
    for i in 0..64u32 {
        arr.update(&key32(i), &u64::from(i * 3).to_le_bytes(), UpdateFlags::Any)
            .unwrap();
    }
    let expected_map = (0..64u64).map(|i| i * 3).sum::<u64>() & 0xff;
    assert_eq!(run(&inst, "sum_map", &mut [0u8; 4]), expected_map);

    let data: Vec<u8> = (1..=100).collect();
    let sum = |n: usize| data[..n].iter().map(|&b| u64::from(b)).sum::<u64>();
    for n in [0usize, 1, 10, 63, 64, 65, 100] {
        let mut packet = data[..n].to_vec();
        assert_eq!(
            run(&inst, "sum_packet", &mut packet),
            sum(n.min(64)),
            "sum_packet over {n} bytes"
        );
        let mut mem = data[..n].to_vec();
        assert_eq!(
            run(&inst, "sum_raw", &mut mem),
            sum(n.min(64)),
            "sum_raw over {n} bytes"
        );
    }
    let acc = (0..64u32).fold(0u32, |acc, i| acc.wrapping_mul(31).wrapping_add(i));
    assert_eq!(run(&inst, "count64", &mut [0u8; 1]), u64::from(acc));

    // The loop budget stops a run that takes more back-edges than allowed.
    let (_, tight) = instance("loop.o", quiet().loop_budget(10));
    let prog = tight.program("sum_raw").unwrap();
    match tight.run(&prog, &mut [1u8; 64]) {
        Err(e @ RunError::LoopBudget { .. }) => {
            let text = e.to_string();
            assert!(text.contains("sum_raw"), "{text}");
        }
        other => panic!("expected a loop-budget error, got {other:?}"),
    }
}

#[test]
fn atomics_are_exact_from_many_threads() {
    let (built, inst) = instance("atomics.o", quiet());
    let obj = &built.obj;
    // One run from the zeroed state with len 5: old total 5, previous last 0, cmpxchg saw 5.
    assert_eq!(run_len(&inst, "atomics", 5), 10);
    assert_eq!(u64_at(&read_global(&inst, obj, "total"), 0), 6);
    assert_eq!(u32_at(&read_global(&inst, obj, "bits"), 0), 0x35);
    assert_eq!(u64_at(&read_global(&inst, obj, "last"), 0), 6);
    assert_eq!(u64_value(&inst, "shared", 0), Some(2));

    let inst = Arc::new(inst);
    let (threads, runs) = (4u64, 2000u64);
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let inst = Arc::clone(&inst);
            thread::spawn(move || {
                for _ in 0..runs {
                    run_len(&inst, "atomics", t as usize + 1);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    // Each run adds len + 1 to total and 2 to shared[0]; xor 4 toggles bit 2 once per run.
    let added: u64 = (0..threads).map(|t| (t + 2) * runs).sum();
    let total_runs = 1 + threads * runs;
    assert_eq!(u64_at(&read_global(&inst, obj, "total"), 0), 6 + added);
    assert_eq!(u64_value(&inst, "shared", 0), Some(2 * total_runs));
    let bits = u32_at(&read_global(&inst, obj, "bits"), 0);
    assert_eq!(bits, if total_runs % 2 == 1 { 0x35 } else { 0x31 });
    // last ends as some thread's len + 1 (or its len, if another thread's exchange came
    // between that thread's exchange and compare-exchange).
    let last = u64_at(&read_global(&inst, obj, "last"), 0);
    assert!((1..=threads + 1).contains(&last), "last = {last}");
}

// ---------------------------------------------------------------------------------------
// Input sizes the verifier assumed
// ---------------------------------------------------------------------------------------

/// The verifier proves XDP programs safe for packets of at most 65535 bytes and raw programs
/// for buffers of at most 16 MiB (bpf2c::verify::entry), and the runtime refuses larger data. size_bounds.o's programs only stay in
/// bounds within those sizes.
const MAX_XDP_PACKET: usize = 65535;
const MAX_RAW_BUFFER: usize = 1 << 24;

#[test]
fn inputs_up_to_the_verified_bounds_run() {
    let (_, inst) = instance("size_bounds.o", quiet());
    assert_eq!(
        run(&inst, "xdp_bound", &mut vec![0u8; MAX_XDP_PACKET]),
        XDP_PASS
    );
    assert_eq!(run(&inst, "raw_bound", &mut vec![0u8; MAX_RAW_BUFFER]), 7);
}

/// Runs `program` over the first `len` bytes of a larger buffer whose byte `len + 4096` is
/// 0xab, so a program that reads there (outside its input) reads defined memory and says so.
fn run_oversized(inst: &Instance, program: &str, len: usize) -> Result<u64, RunError> {
    let mut backing = vec![0u8; len + 8192];
    backing[len + 4096] = 0xab;
    let prog = inst.program(program).unwrap();
    inst.run(&prog, &mut backing[..len])
}

#[test]
fn inputs_beyond_the_verified_bounds_are_refused() {
    let (_, inst) = instance("size_bounds.o", quiet());
    let mut ran = Vec::new();
    for (program, len) in [
        ("xdp_bound", MAX_XDP_PACKET + 1),
        ("raw_bound", MAX_RAW_BUFFER + 1),
    ] {
        if let Ok(r0) = run_oversized(&inst, program, len) {
            ran.push(format!(
                "{program} ran over {len} bytes, more than the verifier assumed, and returned \
                 {r0:#x}{}",
                if r0 == 0xab {
                    ", the byte 4096 past the end of its input"
                } else {
                    ""
                }
            ));
        }
    }
    assert!(ran.is_empty(), "{}", ran.join("\n"));
}

// ---------------------------------------------------------------------------------------
// Load
// ---------------------------------------------------------------------------------------

/// A short soak (the long one is `cargo run --release -p bpf2c-tests --bin soak`): four
/// threads run the accounting program while the host churns and reads the same hash map.
/// Every run is counted exactly once, the host never sees a counter go backwards, and memory
/// does not grow after warm-up.
#[test]
fn soak_programs_and_host_share_maps_without_losing_an_update() {
    let report = bpf2c_tests::soak::soak(bpf2c_tests::soak::SoakConfig {
        runs_per_thread: 250_000,
        worker_threads: 4,
    });
    assert!(
        report.discrepancies.is_empty(),
        "{:#?}",
        report.discrepancies
    );
    assert_eq!(report.failures, 0, "runs that lost their flow");
    assert_eq!(report.regressions, 0, "host reads that went backwards");
    assert!(
        report.host_updates > 0 && report.host_lookups > 0,
        "{report:?}"
    );
    assert!(
        report.rss_growth_kib() <= 8 * 1024,
        "memory grew by {} KiB after warm-up",
        report.rss_growth_kib()
    );
}
