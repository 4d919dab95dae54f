//! The long soak: `cargo run --release -p bpf2c-tests --bin soak -- [--runs N] [--threads T]`
//! runs `tests/bpf/soak.o` on T worker threads (N runs each) while the host churns and reads
//! the same maps, prints the figures, and exits 1 on any lost or doubled update, memory
//! growth past 8 MiB after warm-up, or a counter read going backwards.

use bpf2c_tests::soak::{soak, SoakConfig};

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    match args.iter().position(|a| a == name) {
        None => default,
        Some(i) => match args.get(i + 1).map(|v| v.parse::<u64>()) {
            Some(Ok(v)) if v > 0 => v,
            _ => {
                eprintln!("error: {name} takes a positive number");
                std::process::exit(2);
            }
        },
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = SoakConfig {
        runs_per_thread: arg(&args, "--runs", 2_000_000),
        worker_threads: arg(&args, "--threads", 4) as usize,
    };
    let r = soak(config);
    let secs = r.elapsed.as_secs_f64();
    println!(
        "soak: {} threads x {} runs = {} runs in {secs:.1} s ({:.0} runs/s)",
        config.worker_threads,
        config.runs_per_thread,
        r.runs,
        r.runs as f64 / secs
    );
    println!(
        "host, meanwhile: {} updates, {} deletes, {} lookups; {} counter reads went backwards",
        r.host_updates, r.host_deletes, r.host_lookups, r.regressions
    );
    println!(
        "flows inserted: {}; failed runs: {}; lost or doubled updates: {}",
        r.inserts,
        r.failures,
        r.discrepancies.len()
    );
    println!(
        "resident memory: {} KiB after warm-up, {} KiB at the end ({:+} KiB)",
        r.rss_after_warm_up_kib,
        r.rss_at_end_kib,
        r.rss_growth_kib()
    );
    for d in &r.discrepancies {
        println!("mismatch: {d}");
    }
    let ok = r.discrepancies.is_empty()
        && r.failures == 0
        && r.regressions == 0
        && r.rss_growth_kib() <= 8 * 1024;
    std::process::exit(if ok { 0 } else { 1 });
}
