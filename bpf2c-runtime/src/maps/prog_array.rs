//! PROG_ARRAY maps: tail-call targets, by program index within the same instance.
//!
//! Entries are atomics because the host may change them while programs tail-call through
//! them on other threads; a tail call sees either the old or the new target.

use std::sync::atomic::{AtomicI32, Ordering};

use crate::error::MapErrorKind;
use crate::types::MapSpec;

const EMPTY: i32 = -1;

pub(crate) struct ProgArray {
    slots: Box<[AtomicI32]>,
    program_count: usize,
}

impl ProgArray {
    pub fn new(spec: &MapSpec, program_count: usize) -> ProgArray {
        ProgArray {
            slots: (0..spec.max_entries)
                .map(|_| AtomicI32::new(EMPTY))
                .collect(),
            program_count,
        }
    }

    pub fn entries_len(&self) -> usize {
        self.slots.len()
    }

    fn max_entries(&self) -> u32 {
        self.slots.len() as u32
    }

    /// The program at `index`, if the slot is set.
    pub fn get(&self, index: u32) -> Option<usize> {
        let v = self.slots.get(index as usize)?.load(Ordering::Acquire);
        (v >= 0).then_some(v as usize)
    }

    pub fn set(&self, index: u32, program: usize) -> Result<(), MapErrorKind> {
        if program >= self.program_count {
            return Err(MapErrorKind::NoSuchProgram(format!("#{program}")));
        }
        let slot = self
            .slots
            .get(index as usize)
            .ok_or(MapErrorKind::IndexOutOfRange {
                index,
                max_entries: self.max_entries(),
            })?;
        slot.store(program as i32, Ordering::Release);
        Ok(())
    }

    /// Clears a slot; ENOENT when it was already empty, as in Linux.
    pub fn clear(&self, index: u32) -> Result<(), MapErrorKind> {
        let slot = self
            .slots
            .get(index as usize)
            .ok_or(MapErrorKind::IndexOutOfRange {
                index,
                max_entries: self.max_entries(),
            })?;
        match slot.swap(EMPTY, Ordering::AcqRel) {
            EMPTY => Err(MapErrorKind::NotFound),
            _ => Ok(()),
        }
    }

    /// Every set slot as (index, program).
    pub fn entries(&self) -> Vec<(u32, usize)> {
        (0..self.max_entries())
            .filter_map(|i| self.get(i).map(|p| (i, p)))
            .collect()
    }
}
