//! The soak test: worker threads run `tests/bpf/soak.o`'s `account` program while a host
//! thread updates, deletes and reads the same hash map, and another reads the counters. At
//! the end every run must be counted exactly once (no atomic update lost, no flow lost or
//! counted twice), the host's reads of a flow's counters must never have gone backwards, and
//! the process's memory must not have grown once warmed up.
//!
//! `cargo test` runs a short soak (`tests/e2e_objects.rs`); `cargo run --release -p
//! bpf2c-tests --bin soak -- --runs N --threads T` runs a long one and prints its figures.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use bpf2c_runtime::{Instance, Options, TraceSink, UpdateFlags};

use crate::pipeline::instance;
use crate::{key32, u64_at};

/// Flow keys the programs use; the host inserts and deletes keys from here up.
const PROGRAM_KEYS: u32 = 512;
/// The per-key slots of the `hits` array; the slot after them counts every run.
const HIT_SLOTS: u32 = 64;

/// How hard to soak.
#[derive(Clone, Copy, Debug)]
pub struct SoakConfig {
    /// Program runs per worker thread.
    pub runs_per_thread: u64,
    pub worker_threads: usize,
}

/// What a soak did and found.
#[derive(Debug, Default)]
pub struct SoakReport {
    pub runs: u64,
    pub elapsed: Duration,
    /// Runs that inserted their flow (each flow must be inserted exactly once).
    pub inserts: u64,
    /// Runs that returned 2: a flow vanished or could not be inserted.
    pub failures: u64,
    /// Host map operations done while the programs ran.
    pub host_updates: u64,
    pub host_deletes: u64,
    pub host_lookups: u64,
    /// Host reads of a program flow's counters that saw a smaller value than an earlier read.
    pub regressions: u64,
    /// Resident memory after warm-up and at the end, in KiB.
    pub rss_after_warm_up_kib: u64,
    pub rss_at_end_kib: u64,
    /// Every mismatch between what the runs did and what the maps hold.
    pub discrepancies: Vec<String>,
}

impl SoakReport {
    pub fn rss_growth_kib(&self) -> i64 {
        self.rss_at_end_kib as i64 - self.rss_after_warm_up_kib as i64
    }
}

/// Resident set size of this process, in KiB (0 where /proc is not there).
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4)
}

/// A deterministic key sequence per thread (xorshift), so runs spread over every flow.
fn next_key(state: &mut u64) -> u32 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    (*state % u64::from(PROGRAM_KEYS)) as u32
}

/// What one worker ran: runs per flow key, bytes per flow key, inserts and failures.
struct WorkerTally {
    runs: BTreeMap<u32, u64>,
    bytes: BTreeMap<u32, u64>,
    inserts: u64,
    failures: u64,
}

fn worker(inst: &Instance, seed: u64, runs: u64, warmed: &AtomicU64) -> WorkerTally {
    let prog = inst.program("account").expect("program account");
    let mut tally = WorkerTally {
        runs: BTreeMap::new(),
        bytes: BTreeMap::new(),
        inserts: 0,
        failures: 0,
    };
    let mut state = seed | 1;
    let mut mem = [0u8; 64];
    for i in 0..runs {
        let key = next_key(&mut state);
        // Lengths 4 to 64 bytes, so the byte counts check more than the run counts.
        let len = 4 + (i % 61) as usize;
        mem[..4].copy_from_slice(&key.to_le_bytes());
        match inst.run(&prog, &mut mem[..len]).expect("run") {
            0 => {}
            1 => tally.inserts += 1,
            _ => tally.failures += 1,
        }
        *tally.runs.entry(key).or_default() += 1;
        *tally.bytes.entry(key).or_default() += len as u64;
        if i + 1 == warmed_threshold(runs) {
            warmed.fetch_add(1, Ordering::SeqCst);
        }
    }
    tally
}

/// The run after which a worker counts as warmed up: a tenth of its runs.
fn warmed_threshold(runs: u64) -> u64 {
    (runs / 10).max(1)
}

/// Runs the soak.
pub fn soak(config: SoakConfig) -> SoakReport {
    let (_, inst) = instance("soak.o", Options::default().trace_sink(TraceSink::Discard));
    let inst = Arc::new(inst);
    let done = Arc::new(AtomicBool::new(false));
    let warmed = Arc::new(AtomicU64::new(0));
    let start = Instant::now();

    // The host churns its own keys of the same map and reads the programs' flows.
    let host = {
        let (inst, done) = (Arc::clone(&inst), Arc::clone(&done));
        thread::spawn(move || {
            let flows = inst.map("flows").expect("map flows");
            let (mut updates, mut deletes, mut lookups, mut regressions) = (0u64, 0u64, 0u64, 0u64);
            let mut last_seen = vec![0u64; PROGRAM_KEYS as usize];
            let mut round = 0u32;
            while !done.load(Ordering::SeqCst) {
                // 256 host keys: the map (1024 entries) always has room for the 512
                // program flows besides them.
                for k in 0..256u32 {
                    let key = key32(PROGRAM_KEYS + (k + round) % 256);
                    let value = [u64::from(round).to_le_bytes(), 7u64.to_le_bytes()].concat();
                    if flows.update(&key, &value, UpdateFlags::Any).is_ok() {
                        updates += 1;
                    }
                    if k % 2 == 0 && flows.delete(&key).is_ok() {
                        deletes += 1;
                    }
                }
                for k in 0..PROGRAM_KEYS {
                    lookups += 1;
                    if let Ok(Some(v)) = flows.lookup(&key32(k)) {
                        let packets = u64_at(&v, 0);
                        if packets < last_seen[k as usize] {
                            regressions += 1;
                        }
                        last_seen[k as usize] = packets;
                    }
                }
                round = round.wrapping_add(1);
            }
            (updates, deletes, lookups, regressions)
        })
    };

    let workers: Vec<_> = (0..config.worker_threads)
        .map(|t| {
            let (inst, warmed) = (Arc::clone(&inst), Arc::clone(&warmed));
            let runs = config.runs_per_thread;
            thread::spawn(move || worker(&inst, 0x9e37_79b9 + t as u64 * 7919, runs, &warmed))
        })
        .collect();

    // Memory is measured once every worker is past its warm-up.
    let mut rss_after_warm_up_kib = 0;
    while !workers.iter().all(|w| w.is_finished()) {
        if rss_after_warm_up_kib == 0 && warmed.load(Ordering::SeqCst) == workers.len() as u64 {
            rss_after_warm_up_kib = rss_kib();
        }
        thread::sleep(Duration::from_millis(5));
    }
    let tallies: Vec<WorkerTally> = workers
        .into_iter()
        .map(|w| w.join().expect("worker"))
        .collect();
    let elapsed = start.elapsed();
    let rss_at_end_kib = rss_kib();
    if rss_after_warm_up_kib == 0 {
        rss_after_warm_up_kib = rss_at_end_kib;
    }
    done.store(true, Ordering::SeqCst);
    let (host_updates, host_deletes, host_lookups, regressions) = host.join().expect("host");

    let mut report = SoakReport {
        runs: config.runs_per_thread * config.worker_threads as u64,
        elapsed,
        host_updates,
        host_deletes,
        host_lookups,
        regressions,
        rss_after_warm_up_kib,
        rss_at_end_kib,
        ..SoakReport::default()
    };
    let mut runs: BTreeMap<u32, u64> = BTreeMap::new();
    let mut bytes: BTreeMap<u32, u64> = BTreeMap::new();
    for t in &tallies {
        report.inserts += t.inserts;
        report.failures += t.failures;
        for (k, n) in &t.runs {
            *runs.entry(*k).or_default() += n;
        }
        for (k, n) in &t.bytes {
            *bytes.entry(*k).or_default() += n;
        }
    }

    // Every run counted once in the shared total and once in its hit slot.
    let hits = inst.map("hits").expect("map hits");
    let total = hits
        .lookup(&key32(HIT_SLOTS))
        .expect("lookup")
        .map_or(0, |v| u64_at(&v, 0));
    if total != report.runs {
        report.discrepancies.push(format!(
            "hits[{HIT_SLOTS}], which every run adds to, = {total}, but there were {} runs",
            report.runs
        ));
    }
    for slot in 0..HIT_SLOTS {
        let expected: u64 = runs
            .iter()
            .filter(|(k, _)| *k % HIT_SLOTS == slot)
            .map(|(_, n)| n)
            .sum();
        let got = hits
            .lookup(&key32(slot))
            .expect("lookup")
            .map_or(0, |v| u64_at(&v, 0));
        if got != expected {
            report.discrepancies.push(format!(
                "hits[{slot}] = {got}, but {expected} runs counted there"
            ));
        }
    }
    // Every flow inserted once, holding exactly its runs and bytes.
    let flows = inst.map("flows").expect("map flows");
    for (key, n) in &runs {
        match flows.lookup(&key32(*key)).expect("lookup") {
            Some(v) => {
                let (packets, byte_count) = (u64_at(&v, 0), u64_at(&v, 8));
                if packets != *n || byte_count != bytes[key] {
                    report.discrepancies.push(format!(
                        "flows[{key}] = {packets} packets / {byte_count} bytes, but {n} runs \
                         of {} bytes",
                        bytes[key]
                    ));
                }
            }
            None => report
                .discrepancies
                .push(format!("flows[{key}] is missing after {n} runs")),
        }
    }
    if report.inserts != runs.len() as u64 {
        report.discrepancies.push(format!(
            "{} runs inserted a flow, but {} flows were used",
            report.inserts,
            runs.len()
        ));
    }
    report
}
