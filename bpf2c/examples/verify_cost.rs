//! Measures what verification costs: for the largest program of the repository's corpus and
//! for a generated program of 10,000+ instructions, the time PREVAIL takes, the time fact
//! extraction takes afterwards (and its share of the verifier's time), and peak memory.
//!
//! ```text
//! cargo run --release -p bpf2c --example verify_cost [-- RUNS [MIN_INSNS]]
//! ```
//!
//! Each workload is measured in a child process of its own, so that its peak resident set
//! (VmHWM, the ru_maxrss of getrusage) is its own and not the largest seen so far. Linux only.

#[path = "../benches/workload/mod.rs"]
mod workload;

use std::process::Command;
use std::time::Duration;

use bpf2c::object::Object;
use bpf2c::verify::{verify_program, VerifyOptions};

/// Peak and current resident set of this process, in KiB, from /proc/self/status.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn workload(which: &str, min_insns: usize) -> (Object, usize) {
    match which {
        "corpus" => {
            let (obj, prog, _) = workload::largest_corpus_program();
            (obj, prog)
        }
        "generated" => (workload::generated_program(min_insns), 0),
        other => panic!("unknown workload {other}"),
    }
}

/// In the child: measure one workload and print one line of `key=value` fields.
fn child(which: &str, runs: usize, min_insns: usize) {
    let (obj, prog) = workload(which, min_insns);
    let opts = VerifyOptions::default();
    let (_, rss_before) = memory_kib();
    let mut verify = Vec::new();
    let mut facts = Vec::new();
    let mut insns = 0;
    let mut peak_first = 0;
    for run in 0..runs {
        let v = verify_program(&obj, prog, &opts);
        assert!(v.verified, "{which}: {:#?}", v.diagnostics);
        insns = v.instructions;
        verify.push(v.verify_time);
        facts.push(v.facts_time);
        if run == 0 {
            peak_first = memory_kib().0;
        }
    }
    // Later runs can raise the peak further: each analysis thread gets its own malloc arena,
    // and memory freed in one arena is not reused by the next thread's.
    let (peak, _) = memory_kib();
    let name = format!("{}:{}", obj.name, obj.programs[prog].name);
    println!(
        "name={name} insns={insns} verify_us={} facts_us={} rss_before_kib={rss_before} \
         peak_first_kib={peak_first} peak_kib={peak}",
        median(verify).as_micros(),
        median(facts).as_micros()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        let runs = args[3].parse().expect("runs");
        let min = args[4].parse().expect("min insns");
        child(&args[2], runs, min);
        return;
    }
    let runs: usize = args.get(1).map_or(5, |a| a.parse().expect("RUNS"));
    let min_insns: usize = args
        .get(2)
        .map_or(10_000, |a| a.parse().expect("MIN_INSNS"));
    let exe = std::env::current_exe().expect("own path");
    println!(
        "{:<30} {:>6} {:>12} {:>11} {:>8} {:>11} {:>15} {:>14}",
        "program",
        "insns",
        "verify (ms)",
        "facts (ms)",
        "facts %",
        "RSS before",
        "peak, 1st run",
        "peak, all runs"
    );
    for which in ["corpus", "generated"] {
        let out = Command::new(&exe)
            .args(["--child", which, &runs.to_string(), &min_insns.to_string()])
            .output()
            .expect("run the measuring child");
        assert!(
            out.status.success(),
            "{which}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = String::from_utf8_lossy(&out.stdout);
        let field = |k: &str| -> String {
            line.split_whitespace()
                .find_map(|f| f.strip_prefix(&format!("{k}=")))
                .unwrap_or_else(|| panic!("{which}: no {k} in {line}"))
                .to_string()
        };
        let num = |k: &str| field(k).parse::<f64>().expect(k);
        let (v, f) = (num("verify_us") / 1e3, num("facts_us") / 1e3);
        let mib = |k: &str| format!("{:.1} MiB", num(k) / 1024.0);
        println!(
            "{:<30} {:>6} {:>12.2} {:>11.2} {:>7.1}% {:>11} {:>15} {:>14}",
            field("name"),
            field("insns"),
            v,
            f,
            100.0 * f / v,
            mib("rss_before_kib"),
            mib("peak_first_kib"),
            mib("peak_kib")
        );
    }
    println!("(median of {runs} runs each; each workload in its own process)");
}
