//! bpf_get_prandom_u32's generators. The generator itself, SplitMix64 (fast, no bad seeds,
//! and well-mixed output from a plain counter, so the shared variant is one atomic add per
//! draw), is written once, in `bpf2c.h`: the runtime's helper calls it through
//! `bpf2c_rt_prandom_u32`, and calls the translator inlined run it in place. Both step the
//! generator each invocation points at (`bpf2c_invocation_t.prandom`), so a run sees one
//! sequence however its calls were translated.

use std::cell::UnsafeCell;
use std::hash::{BuildHasher, Hash, Hasher};

use crate::ffi::bpf2c_prandom_t;

extern "C" {
    fn bpf2c_rt_prandom_u32(generator: *mut bpf2c_prandom_t) -> u64;
}

thread_local! {
    /// Each thread's own generator: a thread only ever steps its own, so no
    /// synchronisation is needed.
    static THREAD_GENERATOR: UnsafeCell<bpf2c_prandom_t> = UnsafeCell::new(bpf2c_prandom_t {
        state: thread_seed(),
        shared: 0,
        reserved: 0,
    });
}

/// A different unpredictable seed for every thread.
fn thread_seed() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    std::thread::current().id().hash(&mut h);
    std::time::SystemTime::now().hash(&mut h);
    h.finish()
}

/// Where an instance's runs draw random numbers from.
pub(crate) enum Prandom {
    /// The running thread's own generator, unpredictable.
    ThreadLocal,
    /// One generator from a fixed seed, shared by every thread and stepped atomically: the
    /// sequence an instance hands out is the same every time (given the same order of
    /// draws), for reproducible tests. Boxed so its address, which invocations hold, is
    /// fixed.
    Seeded(Box<UnsafeCell<bpf2c_prandom_t>>),
    /// The host replaced bpf_get_prandom_u32: runs carry no generator, so inlined calls
    /// go through the helper table to the host's function.
    Replaced,
}

// SAFETY: the seeded generator is only stepped through bpf2c_prandom_u32, which, since
// `shared` is set, uses atomic read-modify-writes and nothing else; the other variants
// hold no data.
unsafe impl Sync for Prandom {}

impl Prandom {
    /// `replaced`: the host supplies its own bpf_get_prandom_u32.
    pub fn new(seed: Option<u64>, replaced: bool) -> Prandom {
        match seed {
            _ if replaced => Prandom::Replaced,
            Some(s) => Prandom::Seeded(Box::new(UnsafeCell::new(bpf2c_prandom_t {
                state: s,
                shared: 1,
                reserved: 0,
            }))),
            None => Prandom::ThreadLocal,
        }
    }

    /// The generator for a run on the calling thread (`bpf2c_invocation_t.prandom`);
    /// valid as long as both this value and the thread live, and to be stepped only on
    /// this thread unless it is shared. NULL when the host replaced the helper.
    pub fn generator(&self) -> *mut bpf2c_prandom_t {
        match self {
            Prandom::ThreadLocal => THREAD_GENERATOR.with(|g| g.get()),
            Prandom::Seeded(g) => g.get(),
            Prandom::Replaced => std::ptr::null_mut(),
        }
    }
}

/// One draw from `generator`.
///
/// # Safety
/// `generator` comes from [`Prandom::generator`] on this thread, or is NULL for the calling
/// thread's own.
pub(crate) unsafe fn next_u32(generator: *mut bpf2c_prandom_t) -> u32 {
    let g = if generator.is_null() {
        Prandom::ThreadLocal.generator()
    } else {
        generator
    };
    // SAFETY: `g` is a live generator: the caller's (from Prandom::generator, stepped on
    // its own thread unless shared, when the C side steps it atomically) or this thread's.
    unsafe { bpf2c_rt_prandom_u32(g) as u32 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::BPF2C_PRANDOM_GAMMA;

    /// SplitMix64's output function, restated to check the C generator against.
    fn mix(mut z: u64) -> u64 {
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn draws(p: &Prandom, n: usize) -> Vec<u32> {
        // SAFETY: `p`'s generator, on the thread that asked for it.
        (0..n).map(|_| unsafe { next_u32(p.generator()) }).collect()
    }

    #[test]
    fn seeded_sequences_repeat_and_differ_by_seed() {
        let a = draws(&Prandom::new(Some(7), false), 4);
        assert_eq!(a, draws(&Prandom::new(Some(7), false), 4));
        assert_ne!(a, draws(&Prandom::new(Some(8), false), 4));
        // SplitMix64 from seed 7: draw k is mix(7 + k * GAMMA) >> 32.
        for (k, v) in a.iter().enumerate() {
            let counter = 7u64.wrapping_add(BPF2C_PRANDOM_GAMMA.wrapping_mul(k as u64 + 1));
            assert_eq!(*v, (mix(counter) >> 32) as u32, "draw {k}");
        }
    }

    #[test]
    fn seeded_draws_from_threads_are_each_handed_out_once() {
        let p = Prandom::new(Some(1), false);
        let per_thread = 10_000;
        let mut all: Vec<u32> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4).map(|_| s.spawn(|| draws(&p, per_thread))).collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        });
        let mut want: Vec<u32> = (1..=4 * per_thread as u64)
            .map(|k| (mix(1u64.wrapping_add(BPF2C_PRANDOM_GAMMA.wrapping_mul(k))) >> 32) as u32)
            .collect();
        all.sort_unstable();
        want.sort_unstable();
        assert_eq!(all, want);
    }

    #[test]
    fn thread_local_values_vary_and_threads_differ() {
        let p = Prandom::new(None, false);
        let here = draws(&p, 1000);
        let set: std::collections::HashSet<u32> = here.iter().copied().collect();
        assert!(set.len() > 990);
        let there = std::thread::spawn(|| draws(&Prandom::new(None, false), 1000))
            .join()
            .unwrap();
        assert_ne!(here, there);
        // A NULL generator is the calling thread's own.
        let g = p.generator();
        // SAFETY: this thread's generator, which lives as long as the thread and which
        // only this thread touches; the reads do not overlap the step.
        let state = unsafe { (*g).state };
        // SAFETY: NULL asks for this thread's own generator.
        unsafe { next_u32(std::ptr::null_mut()) };
        assert_eq!(
            // SAFETY: as for the first read.
            unsafe { (*g).state },
            state.wrapping_add(BPF2C_PRANDOM_GAMMA)
        );
    }
}
