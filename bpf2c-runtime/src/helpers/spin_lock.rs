//! `bpf_spin_lock` and `bpf_spin_unlock`: a `struct bpf_spin_lock` (one u32) inside a map
//! value, taken with acquire and released with release ordering, so that what a program
//! writes while it holds the lock is seen whole by the next holder on any thread.
//!
//! Linux's verifier allows one lock at a time, only in map values, always released before
//! exit. PREVAIL checks only that the argument is memory, so the runtime guards the rest:
//! a second lock while one is held, and an unlock of a lock the run does not hold, do
//! nothing; a misaligned lock word is left alone; locks still held when the run ends are
//! released (helpers/holds.rs).

use std::sync::atomic::{AtomicU32, Ordering};

use crate::ffi::bpf2c_invocation_t;
use crate::instance::RunState;

/// Busy-wait rounds before a waiter yields its thread to the holder.
const SPINS_BEFORE_YIELD: u32 = 64;

/// The lock word at `addr`, or None when it is not aligned for a u32.
///
/// # Safety
/// `addr` is 0 or valid for 4 bytes of map memory, which outlives the run.
unsafe fn lock_word<'a>(addr: u64) -> Option<&'a AtomicU32> {
    if addr == 0 || !addr.is_multiple_of(4) {
        return None;
    }
    // SAFETY: aligned and valid (checked above, and this function's contract); the bytes
    // are only accessed atomically while they serve as a lock.
    Some(unsafe { &*(addr as *const AtomicU32) })
}

pub(super) unsafe extern "C" fn spin_lock(
    lock: u64,
    _: u64,
    _: u64,
    _: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: the run's invocation (the helper contract).
    let Some(state) = (unsafe { RunState::from_invocation(inv) }) else {
        return 0;
    };
    // SAFETY: the argument is memory the verifier proved valid (the helper contract).
    let Some(word) = (unsafe { lock_word(lock) }) else {
        return 0;
    };
    if state.holds.holds_any_lock() {
        return 0;
    }
    let mut spins = 0u32;
    while word
        .compare_exchange_weak(0, 1, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        while word.load(Ordering::Relaxed) != 0 {
            spins += 1;
            if spins.is_multiple_of(SPINS_BEFORE_YIELD) {
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
    }
    state.holds.add_lock(word);
    0
}

pub(super) unsafe extern "C" fn spin_unlock(
    lock: u64,
    _: u64,
    _: u64,
    _: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: the run's invocation (the helper contract).
    let Some(state) = (unsafe { RunState::from_invocation(inv) }) else {
        return 0;
    };
    // SAFETY: the argument is memory the verifier proved valid (the helper contract).
    let Some(word) = (unsafe { lock_word(lock) }) else {
        return 0;
    };
    if state.holds.take_lock(word) {
        word.store(0, Ordering::Release);
    }
    0
}
