//! CPU slots: the runtime's stand-in for Linux CPUs.
//!
//! Per-CPU maps are only race-free because a CPU runs one program at a time. Host threads
//! are not pinned, so each run that needs per-CPU data leases a slot exclusively for its
//! duration instead: it first tries the slot this thread used last (so a thread keeps
//! finding its values warm in cache), then scans the others, and when every slot is busy
//! it yields and tries again. Each slot's flag sits on its own cache line so that threads
//! leasing different slots do not contend.
//!
//! A run nested inside another on the same thread (a host helper that runs a program of
//! the same instance) reuses the outer run's slot rather than waiting for itself, as a
//! nested program in Linux runs on the CPU it interrupted.

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

#[repr(align(64))]
struct Slot(AtomicBool);

pub(crate) struct CpuSlots {
    slots: Box<[Slot]>,
}

thread_local! {
    /// The slot index this thread leased last, reduced modulo the slot count on use.
    static HINT: Cell<u32> = Cell::new(NEXT_HINT.fetch_add(1, Ordering::Relaxed));
    /// Slots this thread holds right now: (address of the CpuSlots, slot).
    static HELD: RefCell<Vec<(usize, u32)>> = const { RefCell::new(Vec::new()) };
}

/// Spreads threads' first choices over the slots.
static NEXT_HINT: AtomicU32 = AtomicU32::new(0);

/// An exclusive claim on one CPU slot, released on drop. Not `Send`: the thread that took
/// it records it in a thread-local and must be the one to release it.
pub(crate) struct Lease<'a> {
    slots: &'a CpuSlots,
    slot: u32,
    nested: bool,
    _not_send: PhantomData<*const ()>,
}

impl Lease<'_> {
    pub fn slot(&self) -> u32 {
        self.slot
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if self.nested {
            return;
        }
        let me = self.slots as *const CpuSlots as usize;
        HELD.with(|held| {
            let mut held = held.borrow_mut();
            if let Some(at) = held.iter().rposition(|&(s, _)| s == me) {
                held.remove(at);
            }
        });
        self.slots.slots[self.slot as usize]
            .0
            .store(false, Ordering::Release);
    }
}

impl CpuSlots {
    pub fn new(count: usize) -> CpuSlots {
        CpuSlots {
            slots: (0..count.max(1))
                .map(|_| Slot(AtomicBool::new(false)))
                .collect(),
        }
    }

    pub fn count(&self) -> usize {
        self.slots.len()
    }

    fn try_take(&self, slot: u32) -> bool {
        let flag = &self.slots[slot as usize].0;
        // A plain load first: a busy slot is skipped without taking its cache line.
        !flag.load(Ordering::Relaxed)
            && flag
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
    }

    /// Leases a slot for one run, waiting if every slot is busy.
    pub fn lease(&self) -> Lease<'_> {
        let me = self as *const CpuSlots as usize;
        if let Some(slot) = HELD.with(|h| {
            h.borrow()
                .iter()
                .rev()
                .find(|&&(s, _)| s == me)
                .map(|&(_, slot)| slot)
        }) {
            return Lease {
                slots: self,
                slot,
                nested: true,
                _not_send: PhantomData,
            };
        }
        let n = self.slots.len() as u32;
        let first = HINT.with(|h| h.get()) % n;
        loop {
            for i in 0..n {
                let slot = (first + i) % n;
                if self.try_take(slot) {
                    HINT.with(|h| h.set(slot));
                    HELD.with(|h| h.borrow_mut().push((me, slot)));
                    return Lease {
                        slots: self,
                        slot,
                        nested: false,
                        _not_send: PhantomData,
                    };
                }
            }
            std::thread::yield_now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    #[test]
    fn a_thread_gets_its_last_slot_back() {
        let slots = CpuSlots::new(4);
        let a = slots.lease().slot();
        let b = slots.lease().slot();
        assert_eq!(a, b);
    }

    #[test]
    fn nested_leases_share_the_outer_slot() {
        let slots = CpuSlots::new(2);
        let outer = slots.lease();
        let inner = slots.lease();
        assert_eq!(outer.slot(), inner.slot());
        drop(inner);
        // The outer lease still holds its slot: another thread must get the other one.
        let s = outer.slot();
        let other = std::thread::scope(|sc| sc.spawn(|| slots.lease().slot()).join().unwrap());
        assert_ne!(other, s);
    }

    #[test]
    fn no_two_runs_hold_one_slot() {
        let slots = Arc::new(CpuSlots::new(2));
        let holders: Arc<Vec<AtomicUsize>> =
            Arc::new((0..2).map(|_| AtomicUsize::new(0)).collect());
        std::thread::scope(|sc| {
            for _ in 0..4 {
                let slots = slots.clone();
                let holders = holders.clone();
                sc.spawn(move || {
                    for _ in 0..2000 {
                        let lease = slots.lease();
                        let h = &holders[lease.slot() as usize];
                        assert_eq!(h.fetch_add(1, Ordering::SeqCst), 0);
                        std::hint::spin_loop();
                        assert_eq!(h.fetch_sub(1, Ordering::SeqCst), 1);
                    }
                });
            }
        });
    }
}
