//! Inlined `bpf_get_prandom_u32`, run: the inlined draw gives exactly the numbers the
//! runtime's helper gives (SplitMix64 over the instance's seeded generator, from any number
//! of threads, each number handed out once), varies when unseeded, and a host that replaces
//! the helper still gets its own function called.

use bpf2c::optimize::{Action, Decision};
use bpf2c_runtime::Options;

use super::common::{loaded, Loaded};

const OBJ: &str = "tests/bpf/helpers.o";
/// `random_below` returns the draw modulo the buffer's length: with 2^24 bytes, its low
/// 24 bits.
const LEN: usize = 1 << 24;
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's draw k (from 1) after `seed`, as bpf_get_prandom_u32 returns it.
fn draw(seed: u64, k: u64) -> u32 {
    let mut z = seed.wrapping_add(GAMMA.wrapping_mul(k));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) >> 32) as u32
}

fn helpers(optimize: bool, options: Options) -> Loaded {
    let m = loaded(OBJ, optimize, options);
    let sites = m.sites_in("random_below");
    assert_eq!(sites.len(), 1);
    assert_eq!(
        sites[0].decision(),
        if optimize {
            Decision::Inlined
        } else {
            Decision::Helper
        }
    );
    if optimize {
        assert_eq!(sites[0].action, Action::InlinePrandom);
    }
    m
}

fn random_below(m: &Loaded, mem: &mut [u8]) -> u64 {
    m.run("random_below", mem)
}

#[test]
fn inlined_draws_are_the_helpers_numbers() {
    let seed = 0x1234_5678_9abc_def0;
    let mut mem = vec![0u8; LEN];
    for optimize in [true, false] {
        let m = helpers(optimize, Options::default().prandom_seed(seed));
        let got: Vec<u64> = (0..64).map(|_| random_below(&m, &mut mem)).collect();
        let want: Vec<u64> = (1..=64)
            .map(|k| (draw(seed, k) % LEN as u32) as u64)
            .collect();
        assert_eq!(got, want, "optimize = {optimize}");
    }
}

#[test]
fn threads_drawing_inline_from_a_seeded_instance_never_share_a_number() {
    let seed = 99;
    let m = helpers(true, Options::default().prandom_seed(seed));
    const THREADS: usize = 4;
    const RUNS: usize = 2_000;
    let mut got: Vec<u64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                s.spawn(|| {
                    let mut mem = vec![0u8; LEN];
                    (0..RUNS)
                        .map(|_| random_below(&m, &mut mem))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut want: Vec<u64> = (1..=(THREADS * RUNS) as u64)
        .map(|k| (draw(seed, k) % LEN as u32) as u64)
        .collect();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want);
}

#[test]
fn unseeded_inline_draws_vary_by_run_and_by_thread() {
    let m = helpers(true, Options::default());
    let runs = |m: &Loaded| {
        let mut mem = vec![0u8; LEN];
        (0..1000)
            .map(|_| random_below(m, &mut mem))
            .collect::<Vec<_>>()
    };
    let here = runs(&m);
    let distinct: std::collections::HashSet<u64> = here.iter().copied().collect();
    // 1000 draws below 2^24: a repeat is unlikely (p ~ 3%), several are a broken generator.
    assert!(distinct.len() >= 995, "{} distinct", distinct.len());
    let there = std::thread::scope(|s| s.spawn(|| runs(&m)).join().unwrap());
    assert_ne!(here, there);
}

#[test]
fn a_host_replacement_is_called_even_where_the_call_was_inlined() {
    for optimize in [true, false] {
        let m = helpers(
            optimize,
            Options::default().helper(7, "fixed_random", |_| 1_000_003),
        );
        let mut mem = vec![0u8; 1000];
        assert_eq!(random_below(&m, &mut mem), 3, "optimize = {optimize}");
    }
}
