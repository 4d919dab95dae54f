//! QUEUE (first in, first out) and STACK (last in, first out) maps: keyless, bounded by
//! max_entries, with Linux's push, pop and peek.
//!
//! A push into a full map fails with E2BIG unless its flags hold BPF_EXIST, which makes
//! room by dropping the oldest value, for stacks as for queues (Linux's
//! `queue_stack_map_push_elem`). A pop or peek of an empty map fails with ENOENT and zeroes
//! the destination, as Linux does.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::error::MapErrorKind;
use crate::types::MapSpec;

/// Linux's flags of `bpf_map_push_elem`: BPF_ANY or BPF_EXIST.
const BPF_EXIST: u64 = 2;

pub(crate) struct QueueStack {
    lifo: bool,
    value_size: usize,
    max_entries: u32,
    /// Oldest at the front.
    values: Mutex<VecDeque<Vec<u8>>>,
}

impl QueueStack {
    pub fn new(spec: &MapSpec, lifo: bool) -> QueueStack {
        QueueStack {
            lifo,
            value_size: spec.value_size as usize,
            max_entries: spec.max_entries,
            values: Mutex::new(VecDeque::new()),
        }
    }

    fn values(&self) -> std::sync::MutexGuard<'_, VecDeque<Vec<u8>>> {
        self.values.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn value_size(&self) -> usize {
        self.value_size
    }

    /// Adds a value (`value_size` bytes). Flags other than BPF_ANY (0) and BPF_EXIST are
    /// EINVAL; a full map is E2BIG unless BPF_EXIST drops the oldest value.
    pub fn push(&self, value: &[u8], flags: u64) -> Result<(), MapErrorKind> {
        if flags & !BPF_EXIST != 0 {
            return Err(MapErrorKind::BadFlags(flags));
        }
        let mut values = self.values();
        if values.len() >= self.max_entries as usize {
            if flags != BPF_EXIST {
                return Err(MapErrorKind::Full {
                    max_entries: self.max_entries,
                });
            }
            values.pop_front();
        }
        values.push_back(value.to_vec());
        Ok(())
    }

    /// Removes (`pop`) or copies (`!pop`) the next value: the oldest of a queue, the newest
    /// of a stack. None when empty.
    pub fn take(&self, pop: bool) -> Option<Vec<u8>> {
        let mut values = self.values();
        match (self.lifo, pop) {
            (false, true) => values.pop_front(),
            (true, true) => values.pop_back(),
            (false, false) => values.front().cloned(),
            (true, false) => values.back().cloned(),
        }
    }

    /// The values in the order pops would return them.
    pub fn snapshot(&self) -> Vec<Vec<u8>> {
        let values = self.values();
        if self.lifo {
            values.iter().rev().cloned().collect()
        } else {
            values.iter().cloned().collect()
        }
    }
}

/// Linux's checks at map creation: no key, a value, no flags but access flags.
pub(crate) fn check_definition(key_size: u32, map_flags: u32) -> Result<(), String> {
    use bpf2c_abi::map::map_flags::*;
    if key_size != 0 {
        return Err(format!(
            "QUEUE and STACK maps have no key, not {key_size}-byte keys"
        ));
    }
    let allowed =
        BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG;
    if map_flags & !allowed != 0 {
        return Err(format!(
            "QUEUE and STACK maps do not take map_flags {:#x}",
            map_flags & !allowed
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::MapType;

    fn map(lifo: bool, max_entries: u32) -> QueueStack {
        let spec = MapSpec {
            name: "q".into(),
            map_type: if lifo { MapType::Stack } else { MapType::Queue },
            key_size: 0,
            value_size: 1,
            max_entries,
            map_flags: 0,
            flags: 0,
            initial_data: vec![],
            initial_programs: vec![],
            inner_map: None,
        };
        QueueStack::new(&spec, lifo)
    }

    /// Random pushes, pops and peeks against a VecDeque reference.
    #[test]
    fn model_against_a_deque() {
        for lifo in [false, true] {
            let q = map(lifo, 5);
            let mut model: VecDeque<u8> = VecDeque::new();
            let mut x: u32 = 12345;
            for step in 0..5000u32 {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let v = (step % 251) as u8;
                match (x >> 16) % 4 {
                    0 | 1 => {
                        let flags = if (x >> 20).is_multiple_of(2) {
                            0
                        } else {
                            BPF_EXIST
                        };
                        let expected = if model.len() < 5 {
                            model.push_back(v);
                            Ok(())
                        } else if flags == BPF_EXIST {
                            model.pop_front();
                            model.push_back(v);
                            Ok(())
                        } else {
                            Err(MapErrorKind::Full { max_entries: 5 })
                        };
                        assert_eq!(q.push(&[v], flags), expected);
                    }
                    2 => {
                        let expected = if lifo {
                            model.pop_back()
                        } else {
                            model.pop_front()
                        };
                        assert_eq!(q.take(true), expected.map(|b| vec![b]));
                    }
                    _ => {
                        let expected = if lifo { model.back() } else { model.front() };
                        assert_eq!(q.take(false), expected.map(|&b| vec![b]));
                    }
                }
            }
        }
    }

    #[test]
    fn linux_rules() {
        let q = map(true, 2);
        assert_eq!(q.push(&[1], 1), Err(MapErrorKind::BadFlags(1)));
        q.push(&[1], 0).unwrap();
        q.push(&[2], 0).unwrap();
        q.push(&[3], BPF_EXIST).unwrap();
        // The oldest (1) went; the stack pops newest first.
        assert_eq!(q.snapshot(), vec![vec![3], vec![2]]);
        assert!(check_definition(4, 0).is_err());
        assert!(check_definition(0, 1).is_err());
        assert!(check_definition(0, 0).is_ok());
    }
}
