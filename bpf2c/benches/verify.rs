//! Verification plus fact extraction, on the largest program of the repository's corpus and
//! on a generated program of 10,000+ instructions. `cargo bench -p bpf2c --bench verify`.
//! For peak memory and the split between verifying and extracting facts, see
//! `examples/verify_cost.rs`.

mod workload;

use std::time::Duration;

use bpf2c::verify::{verify_program, VerifyOptions};
use criterion::{criterion_group, criterion_main, Criterion};

fn bench(c: &mut Criterion) {
    let opts = VerifyOptions::default();
    let mut group = c.benchmark_group("verify+facts");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));

    let (obj, prog, n) = workload::largest_corpus_program();
    let name = format!("{}:{} ({n} insns)", obj.name, obj.programs[prog].name);
    assert!(verify_program(&obj, prog, &opts).verified, "{name}");
    group.bench_function(name, |b| {
        b.iter(|| verify_program(&obj, prog, &opts));
    });

    // `cargo test --benches` runs each benchmark once, without `--bench`: keep that quick.
    let measuring = std::env::args().any(|a| a == "--bench");
    let size = if measuring { 10_000 } else { 500 };
    let generated = workload::generated_program(size);
    let v = verify_program(&generated, 0, &opts);
    assert!(v.verified, "{:#?}", v.diagnostics);
    let name = format!("generated ({} insns)", v.instructions);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function(name, |b| {
        b.iter(|| verify_program(&generated, 0, &opts));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
