//! What a run holds that it must give back: ring buffer reservations and spin locks.
//!
//! Linux's verifier proves that a program submits or discards every reservation and
//! releases every spin lock before it exits. PREVAIL does not track either, so the runtime
//! keeps a list per run and cleans up after a program that did not: when the run ends, its
//! open reservations are discarded (so the ring does not stall) and its locks released (so
//! other runs do not deadlock). The list also lets submit, discard and unlock act only on
//! what this run really holds.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::maps::RingBuf;

#[derive(Default)]
pub(crate) struct RunHolds {
    /// Open reservations: the data address and the ring it belongs to.
    reservations: RefCell<Vec<(usize, *const RingBuf)>>,
    /// Spin locks taken and not released.
    locks: RefCell<Vec<*const AtomicU32>>,
}

impl RunHolds {
    pub fn add_reservation(&self, data: *mut u8, ring: &RingBuf) {
        self.reservations
            .borrow_mut()
            .push((data as usize, ring as *const RingBuf));
    }

    /// Forgets the reservation of `data` and returns its ring; None if this run holds none.
    pub fn take_reservation(&self, data: usize) -> Option<*const RingBuf> {
        let mut list = self.reservations.borrow_mut();
        let at = list.iter().position(|&(d, _)| d == data)?;
        Some(list.swap_remove(at).1)
    }

    pub fn holds_any_lock(&self) -> bool {
        !self.locks.borrow().is_empty()
    }

    pub fn add_lock(&self, lock: *const AtomicU32) {
        self.locks.borrow_mut().push(lock);
    }

    /// Forgets `lock`; false if this run does not hold it.
    pub fn take_lock(&self, lock: *const AtomicU32) -> bool {
        let mut list = self.locks.borrow_mut();
        match list.iter().position(|&l| l == lock) {
            Some(at) => {
                list.swap_remove(at);
                true
            }
            None => false,
        }
    }
}

impl Drop for RunHolds {
    fn drop(&mut self) {
        for (data, ring) in self.reservations.get_mut().drain(..) {
            // SAFETY: the ring is one of the instance's maps, which outlive every run, and
            // `data` is a reservation of it that the run never committed.
            unsafe { (*ring).commit(data as *mut u8, true) };
        }
        for lock in self.locks.get_mut().drain(..) {
            // SAFETY: a lock word this run took in map memory, which outlives the run.
            unsafe { (*lock).store(0, Ordering::Release) };
        }
    }
}
