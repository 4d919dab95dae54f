//! Per-run overhead, for humans: `cargo test --release -- --ignored --nocapture bench`.

use bpf2c_runtime::Options;

use crate::common::instance;

#[test]
#[ignore = "timing, not correctness"]
fn bench_run_overhead() {
    let helpers = instance(
        "helpers",
        Options::default().helper(1000, "host_add", |c| c.args()[0]),
    );
    let xdp = helpers.program("xdp_swap").unwrap();
    let mut packet = vec![0u8; 64];
    let stats = helpers.run_repeat(&xdp, &mut packet, 2_000_000).unwrap();
    println!(
        "xdp_swap (leases a CPU slot): {:.1} ns/run",
        stats.ns_per_run()
    );

    let maps = instance("maps", Options::default());
    let count = maps.program("count").unwrap();
    let mut key = 0u32.to_ne_bytes();
    let stats = maps.run_repeat(&count, &mut key, 2_000_000).unwrap();
    println!(
        "count (4 map accesses, 1 hash lookup): {:.1} ns/run",
        stats.ns_per_run()
    );
    let start = std::time::Instant::now();
    for _ in 0..1_000_000 {
        maps.run_raw(&count, &mut key).unwrap();
    }
    println!(
        "count via run_raw: {:.1} ns/run",
        start.elapsed().as_nanos() as f64 / 1e6
    );
}
