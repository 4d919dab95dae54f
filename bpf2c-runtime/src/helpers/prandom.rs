//! bpf_get_prandom_u32's generator: SplitMix64, which is fast, has no bad seeds, and
//! turns a plain counter into well-mixed output, so the seeded variant can be one atomic
//! add per call.

use std::cell::Cell;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

thread_local! {
    static STATE: Cell<u64> = Cell::new(thread_seed());
}

/// A different unpredictable seed for every thread.
fn thread_seed() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    std::thread::current().id().hash(&mut h);
    std::time::SystemTime::now().hash(&mut h);
    h.finish()
}

pub(crate) enum Prandom {
    /// Per-thread state, unpredictable: no synchronisation at all.
    ThreadLocal,
    /// One shared counter from a fixed seed: the sequence of values an instance hands out
    /// is the same every time (given the same order of calls), for reproducible tests.
    Seeded(AtomicU64),
}

impl Prandom {
    pub fn new(seed: Option<u64>) -> Prandom {
        match seed {
            Some(s) => Prandom::Seeded(AtomicU64::new(s)),
            None => Prandom::ThreadLocal,
        }
    }

    pub fn next_u32(&self) -> u32 {
        let counter = match self {
            Prandom::ThreadLocal => STATE.with(|s| {
                let v = s.get().wrapping_add(GAMMA);
                s.set(v);
                v
            }),
            Prandom::Seeded(state) => state
                .fetch_add(GAMMA, Ordering::Relaxed)
                .wrapping_add(GAMMA),
        };
        (mix(counter) >> 32) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_sequences_repeat_and_differ_by_seed() {
        let a: Vec<u32> = (0..4)
            .map({
                let p = Prandom::new(Some(7));
                move |_| p.next_u32()
            })
            .collect();
        let b: Vec<u32> = (0..4)
            .map({
                let p = Prandom::new(Some(7));
                move |_| p.next_u32()
            })
            .collect();
        let c: Vec<u32> = (0..4)
            .map({
                let p = Prandom::new(Some(8));
                move |_| p.next_u32()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        // SplitMix64 from seed 7: first output is mix(7 + GAMMA) >> 32.
        assert_eq!(a[0], (mix(7u64.wrapping_add(GAMMA)) >> 32) as u32);
    }

    #[test]
    fn thread_local_values_vary() {
        let p = Prandom::new(None);
        let v: std::collections::HashSet<u32> = (0..1000).map(|_| p.next_u32()).collect();
        assert!(v.len() > 990);
    }
}
