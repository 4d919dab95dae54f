//! The map types, events and spin locks of issue 10 (family "maps") end to end: our own
//! eBPF C sources in tests/bpf (maps_lpm_queue.c, events.c, spin_lock.c), verified,
//! translated, compiled natively and run, with the exact values Linux would give.

use std::sync::Arc;
use std::thread;

use bpf2c_runtime::events::{PerfBuffer, PerfEvent, RingBuffer};
use bpf2c_runtime::{Instance, MapErrorKind, MapType, Options, TraceSink, UpdateFlags};
use bpf2c_tests::pipeline::{instance, run};
use bpf2c_tests::{u32_at, u64_at};

const ENOENT: i32 = -2;
const E2BIG: i32 = -7;
const EAGAIN: i32 = -11;
const EEXIST: i32 = -17;
const EINVAL: i32 = -22;
const ENOSPC: i32 = -28;
const XDP_DROP: u64 = 1;
const XDP_PASS: u64 = 2;

fn quiet() -> Options {
    Options::default().trace_sink(TraceSink::Discard)
}

fn as_int(r0: u64) -> i32 {
    r0 as u32 as i32
}

// ---------------------------------------------------------------------------------------
// LPM_TRIE
// ---------------------------------------------------------------------------------------

fn route_add(inst: &Instance, prefix_len: u32, addr: [u8; 4], value: u32) -> i32 {
    let mut mem = [&prefix_len.to_ne_bytes()[..], &addr, &value.to_ne_bytes()].concat();
    as_int(run(inst, "route_add", &mut mem))
}

fn route_del(inst: &Instance, prefix_len: u32, addr: [u8; 4]) -> i32 {
    let mut mem = [&prefix_len.to_ne_bytes()[..], &addr].concat();
    as_int(run(inst, "route_del", &mut mem))
}

fn route_lookup(inst: &Instance, addr: [u8; 4]) -> i32 {
    as_int(run(inst, "route_lookup", &mut addr.to_vec()))
}

#[test]
fn lpm_trie_longest_prefix_and_linux_errors() {
    let (_, inst) = instance("maps_lpm_queue.o", quiet());
    let routes = inst.map("routes").unwrap();
    assert_eq!(routes.definition().map_type, MapType::LpmTrie);
    assert_eq!(routes.definition().key_size, 8);

    assert_eq!(route_add(&inst, 8, [10, 0, 0, 0], 1), 0);
    assert_eq!(route_add(&inst, 16, [10, 1, 0, 0], 2), 0);
    assert_eq!(route_add(&inst, 24, [10, 1, 2, 0], 3), 0);
    assert_eq!(route_add(&inst, 0, [0, 0, 0, 0], 99), 0);
    assert_eq!(route_lookup(&inst, [10, 1, 2, 3]), 3);
    assert_eq!(route_lookup(&inst, [10, 1, 3, 3]), 2);
    assert_eq!(route_lookup(&inst, [10, 2, 3, 3]), 1);
    assert_eq!(route_lookup(&inst, [192, 168, 0, 1]), 99);
    // BPF_NOEXIST on the same prefix, whatever the bits past it.
    assert_eq!(route_add(&inst, 16, [10, 1, 99, 99], 5), EEXIST);
    assert_eq!(route_add(&inst, 33, [10, 1, 2, 3], 5), EINVAL);
    assert_eq!(route_del(&inst, 20, [10, 1, 0, 0]), ENOENT);
    assert_eq!(route_del(&inst, 16, [10, 1, 0, 0]), 0);
    assert_eq!(route_lookup(&inst, [10, 1, 3, 3]), 1);

    // The host sees the same map: lookups take the longest prefix too.
    let key = |len: u32, a: [u8; 4]| [&len.to_ne_bytes()[..], &a].concat();
    let v = routes.lookup(&key(32, [10, 1, 2, 200])).unwrap().unwrap();
    assert_eq!(u32_at(&v, 0), 3);
    routes
        .update(
            &key(32, [10, 9, 9, 9]),
            &7u32.to_ne_bytes(),
            UpdateFlags::Any,
        )
        .unwrap();
    assert_eq!(route_lookup(&inst, [10, 9, 9, 9]), 7);
    assert_eq!(routes.entries().len(), 4);
    // Capacity 8: four more fit, the fifth is ENOSPC as in Linux.
    for i in 0..4u8 {
        assert_eq!(route_add(&inst, 32, [1, 1, 1, i], 10 + i as u32), 0);
    }
    assert_eq!(route_add(&inst, 32, [1, 1, 1, 4], 14), ENOSPC);
    let err = routes
        .update(
            &key(32, [2, 2, 2, 2]),
            &1u32.to_ne_bytes(),
            UpdateFlags::Any,
        )
        .unwrap_err();
    assert_eq!(err.kind, MapErrorKind::NoSpace { max_entries: 8 });
}

/// Differential: random routes added and deleted through the generated code, random
/// lookups through it, against a linear scan of the routes.
#[test]
fn lpm_trie_matches_a_linear_scan() {
    let (_, inst) = instance("maps_lpm_queue.o", quiet());
    let mut routes: Vec<(u32, [u8; 4], u32)> = Vec::new();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let covers = |len: u32, net: [u8; 4], addr: [u8; 4]| {
        let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
        u32::from_be_bytes(net) & mask == u32::from_be_bytes(addr) & mask
    };
    for step in 0..4000u32 {
        let r = next();
        // Two high bytes out of a few values, so prefixes nest and collide.
        let addr = [10, (r >> 8) as u8 % 3, (r >> 16) as u8 % 4, (r >> 24) as u8];
        let len = (r >> 32) as u32 % 33;
        match r % 4 {
            0 => {
                let present = routes
                    .iter()
                    .any(|&(l, n, _)| l == len && covers(len, n, addr));
                let expected = if present {
                    EEXIST
                } else if routes.len() == 8 {
                    ENOSPC
                } else {
                    routes.push((len, addr, step));
                    0
                };
                assert_eq!(route_add(&inst, len, addr, step), expected, "step {step}");
            }
            1 => {
                let at = routes
                    .iter()
                    .position(|&(l, n, _)| l == len && covers(len, n, addr));
                let expected = match at {
                    Some(i) => {
                        routes.remove(i);
                        0
                    }
                    None => ENOENT,
                };
                assert_eq!(route_del(&inst, len, addr), expected, "step {step}");
            }
            _ => {
                let expected = routes
                    .iter()
                    .filter(|&&(l, n, _)| covers(l, n, addr))
                    .max_by_key(|&&(l, _, _)| l)
                    .map_or(-1, |&(_, _, v)| v as i32);
                assert_eq!(route_lookup(&inst, addr), expected, "step {step}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// QUEUE and STACK
// ---------------------------------------------------------------------------------------

/// Runs queue_ops: (helper result, the value it left at mem + 8).
fn queue_op(inst: &Instance, op: u32, flags: u32, value: u32) -> (i32, u32) {
    let mut mem = [op.to_ne_bytes(), flags.to_ne_bytes(), value.to_ne_bytes()].concat();
    let r = as_int(run(inst, "queue_ops", &mut mem));
    (r, u32_at(&mem, 8))
}

#[test]
fn queue_and_stack_push_pop_peek() {
    let (_, inst) = instance("maps_lpm_queue.o", quiet());
    const PUSH: u32 = 0;
    const POP: u32 = 1;
    const PEEK: u32 = 2;
    const STACK: u32 = 3;
    for base in [0, STACK] {
        for v in [11, 22, 33] {
            assert_eq!(queue_op(&inst, base + PUSH, 0, v), (0, v));
        }
        assert_eq!(queue_op(&inst, base + PUSH, 0, 44), (E2BIG, 44));
        assert_eq!(queue_op(&inst, base + PUSH, 1, 44), (EINVAL, 44));
        // BPF_EXIST drops the oldest (11) to make room, for both kinds.
        assert_eq!(queue_op(&inst, base + PUSH, 2, 44), (0, 44));
    }
    assert_eq!(queue_op(&inst, PEEK, 0, 0), (0, 22));
    assert_eq!(queue_op(&inst, POP, 0, 0), (0, 22));
    assert_eq!(queue_op(&inst, POP, 0, 0), (0, 33));
    assert_eq!(queue_op(&inst, STACK + PEEK, 0, 0), (0, 44));
    assert_eq!(queue_op(&inst, STACK + POP, 0, 0), (0, 44));
    assert_eq!(queue_op(&inst, STACK + POP, 0, 0), (0, 33));

    // The host pushes and pops the same maps.
    let fifo = inst.map("fifo").unwrap();
    let lifo = inst.map("lifo").unwrap();
    fifo.push(&55u32.to_ne_bytes(), UpdateFlags::Any).unwrap();
    assert_eq!(u32_at(&fifo.pop().unwrap(), 0), 44);
    assert_eq!(queue_op(&inst, POP, 0, 0), (0, 55));
    // Empty: ENOENT and the destination zeroed, as in Linux.
    assert_eq!(queue_op(&inst, POP, 0, 7), (ENOENT, 0));
    assert_eq!(queue_op(&inst, PEEK, 0, 7), (ENOENT, 0));
    assert_eq!(fifo.pop().unwrap_err().kind, MapErrorKind::Empty);
    assert_eq!(u32_at(&lifo.peek().unwrap(), 0), 22);
    assert_eq!(lifo.entries().len(), 1);
}

// ---------------------------------------------------------------------------------------
// LRU_PERCPU_HASH
// ---------------------------------------------------------------------------------------

#[test]
fn lru_percpu_hash_counts_per_cpu_slot_and_evicts() {
    let (_, inst) = instance("maps_lpm_queue.o", quiet().cpu_slots(4));
    let recent = inst.map("recent_per_cpu").unwrap();
    assert_eq!(recent.definition().map_type, MapType::LruPercpuHash);
    assert_eq!(recent.cpus(), 4);
    let counts: Vec<u64> = (0..3)
        .map(|_| run(&inst, "count_recent", &mut [0u8; 5]))
        .collect();
    assert_eq!(counts, [1, 2, 3]);
    // One thread keeps one slot: one slot holds 3, the others were zeroed on insert.
    let mut slots: Vec<u64> = recent
        .lookup_percpu(&5u32.to_ne_bytes())
        .unwrap()
        .unwrap()
        .iter()
        .map(|v| u64_at(v, 0))
        .collect();
    slots.sort();
    assert_eq!(slots, [0, 0, 0, 3]);
    // Two entries fit; a third evicts the one not used since (key 5 was used last by the
    // lookups above, then key 6 is inserted, then key 5 used again, so 6 goes).
    run(&inst, "count_recent", &mut [0u8; 6]);
    run(&inst, "count_recent", &mut [0u8; 5]);
    run(&inst, "count_recent", &mut [0u8; 7]);
    assert_eq!(recent.entries().len(), 2);
    assert!(recent.lookup(&5u32.to_ne_bytes()).unwrap().is_some());
}

// ---------------------------------------------------------------------------------------
// RINGBUF
// ---------------------------------------------------------------------------------------

#[test]
fn ring_buffer_output_reserve_query_and_consumer() {
    let (_, inst) = instance("events.o", quiet());
    let mut ring = RingBuffer::new(inst.map("ring").unwrap()).unwrap();
    assert_eq!(ring.size(), 4096);

    assert_eq!(as_int(run(&inst, "ring_output", &mut [1, 2, 3, 4, 5])), 0);
    // Submitted: 16 bytes (header and 8 data bytes) per record, until consumed.
    assert_eq!(run(&inst, "ring_reserve", &mut [8, 0]), 32);
    // Discarded, but the bytes stay in the ring until the consumer passes them.
    assert_eq!(run(&inst, "ring_reserve", &mut [9]), 48);
    assert_eq!(as_int(run(&inst, "ring_bad_flags", &mut [0])), EINVAL);
    // A reservation never submitted is discarded when the run ends.
    assert_eq!(run(&inst, "ring_leak", &mut [0]), 0);
    assert_eq!(ring.available(), 64);

    let records: Vec<Vec<u8>> = ring.by_ref().collect();
    let expected = [
        [
            5u32.to_ne_bytes(),
            u32::from_ne_bytes([1, 2, 3, 4]).to_ne_bytes(),
        ]
        .concat(),
        [2u32.to_ne_bytes(), 8u32.to_ne_bytes()].concat(),
    ];
    assert_eq!(records, expected);
    assert_eq!(ring.available(), 0);

    // 255 records of 16 bytes fit a 4096-byte ring (Linux keeps the fill below the size);
    // the 256th is EAGAIN and counted.
    for i in 0..255 {
        assert_eq!(
            as_int(run(&inst, "ring_output", &mut [0; 4])),
            0,
            "record {i}"
        );
    }
    assert_eq!(as_int(run(&inst, "ring_output", &mut [0; 4])), EAGAIN);
    assert_eq!(run(&inst, "ring_reserve", &mut [0]), 1);
    assert_eq!(ring.dropped(), 2);
    let mut n = 0;
    assert_eq!(ring.consume(|r| n += r.len()), 255);
    assert_eq!(n, 255 * 8);
    assert_eq!(as_int(run(&inst, "ring_output", &mut [0; 4])), 0);
}

// ---------------------------------------------------------------------------------------
// PERF_EVENT_ARRAY
// ---------------------------------------------------------------------------------------

fn perf_indexed(inst: &Instance, index: u32, value: u32) -> (u64, i32) {
    let mut packet = [index.to_ne_bytes(), value.to_ne_bytes()].concat();
    let verdict = run(inst, "perf_indexed", &mut packet);
    (verdict, u32_at(&packet, 4) as i32)
}

#[test]
fn perf_event_output_by_index_current_cpu_and_packet_bytes() {
    let (_, inst) = instance("events.o", quiet().cpu_slots(1));
    let mut perf = PerfBuffer::new(inst.map("perf").unwrap()).unwrap();
    assert_eq!(perf_indexed(&inst, 1, 0xaa), (XDP_PASS, 0));
    assert_eq!(perf_indexed(&inst, 0, 0xbb), (XDP_PASS, 0));
    assert_eq!(perf_indexed(&inst, 0xffff_ffff, 0xcc), (XDP_PASS, 0));
    assert_eq!(perf_indexed(&inst, 2, 0xdd), (XDP_DROP, E2BIG));
    let packet: Vec<u8> = (1..=20).collect();
    assert_eq!(run(&inst, "xdp_sample", &mut packet.clone()), XDP_PASS);
    let sample = |cpu: u32, data: Vec<u8>| PerfEvent::Sample { cpu, data };
    assert_eq!(
        perf.drain(),
        vec![
            sample(0, 0xbbu32.to_ne_bytes().to_vec()),
            sample(0, 0xccu32.to_ne_bytes().to_vec()),
            sample(0, [&20u32.to_ne_bytes()[..], &packet[..6]].concat()),
            sample(1, 0xaau32.to_ne_bytes().to_vec()),
        ]
    );

    // A 10-byte sample takes 24 bytes of the 64-page buffer: 10922 fit, then ENOSPC, and
    // the consumer hears of the lost ones.
    for _ in 0..10922 {
        assert_eq!(run(&inst, "xdp_sample", &mut packet.clone()), XDP_PASS);
    }
    assert_eq!(as_int(run(&inst, "xdp_sample", &mut packet.clone())), 0);
    assert_eq!(run(&inst, "xdp_sample", &mut packet.clone()), 0);
    let (mut samples, mut lost) = (0, Vec::new());
    perf.poll(|_, _| samples += 1, |cpu, n| lost.push((cpu, n)));
    assert_eq!(samples, 10922);
    assert_eq!(lost, [(0, 2)]);
}

// ---------------------------------------------------------------------------------------
// Spin locks and atomics under concurrent runs
// ---------------------------------------------------------------------------------------

#[test]
fn spin_lock_and_atomics_give_exact_totals_across_threads() {
    let (_, inst) = instance("spin_lock.o", quiet().cpu_slots(4));
    let inst = Arc::new(inst);
    const THREADS: u64 = 4;
    const RUNS: u64 = 20_000;
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let inst = Arc::clone(&inst);
            thread::spawn(move || {
                let prog = inst.program("locked_add").unwrap();
                let mut seen = Vec::with_capacity(RUNS as usize);
                for i in 0..RUNS {
                    let mut mem = vec![0u8; (1 + t + i % 7) as usize];
                    seen.push(inst.run(&prog, &mut mem).unwrap());
                }
                seen
            })
        })
        .collect();
    let mut seen: Vec<u64> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    // Each run saw a different count under the lock: 1..=N, each once.
    seen.sort();
    assert!(seen.iter().copied().eq(1..=THREADS * RUNS));
    let lens = (0..THREADS).flat_map(|t| (0..RUNS).map(move |i| 1 + t + i % 7));
    let sum: u64 = lens.clone().sum();
    let squares: u64 = lens.map(|x| x * x).sum();
    let v = inst
        .map("totals")
        .unwrap()
        .lookup(&0u32.to_ne_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(u32_at(&v, 0), 0, "the lock is free after the runs");
    assert_eq!(u64_at(&v, 8), THREADS * RUNS);
    assert_eq!(u64_at(&v, 16), sum);
    assert_eq!(u64_at(&v, 24), squares);
    assert_eq!(u64_at(&v, 32), sum);
}
