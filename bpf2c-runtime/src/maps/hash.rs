//! HASH, PERCPU_HASH and LRU_HASH maps.
//!
//! Like Linux's preallocated hash maps, every value slot exists from creation and never
//! moves, so a value pointer a program got from a lookup stays valid memory for the map's
//! lifetime: after a delete the slot may be reused for another key (the program then sees
//! that key's value), but it never dangles. Slot `s` of CPU `c` is at
//! `values + (s * cpus + c) * stride`.
//!
//! The key -> slot index sits behind one `RwLock`: lookups, by far the most frequent
//! operation, share it; updates and deletes take it exclusively. Keys are hashed with
//! foldhash under a per-map random seed, so that packet-derived keys cannot easily force
//! collisions, which is what Linux's seeded jhash is for; it costs a few nanoseconds where
//! SipHash cost over ten, and the hash is on every program lookup.
//!
//! LRU_HASH approximates least-recently-used order with the CLOCK (second chance)
//! algorithm: a program's lookup, or an update of an existing key, sets the slot's referenced
//! bit (a new entry starts clear); when the map is full an insert sweeps a hand over the
//! slots, clearing set bits and evicting the first slot whose bit is clear. Entries unused
//! since the hand last passed go first, as in a real LRU, without a shared list to update
//! on every lookup. Host reads do not count as uses, as in Linux.

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use hashbrown::HashTable;

use crate::error::MapErrorKind;
use crate::maps::shared::{self, SharedBuf};
use crate::maps::Values;
use crate::types::{MapSpec, MapType, UpdateFlags};

pub(crate) struct HashMapStorage {
    key_size: usize,
    value_size: usize,
    stride: usize,
    cpus: usize,
    max_entries: u32,
    lru: bool,
    values: SharedBuf,
    /// CLOCK referenced bits, one per slot; empty unless LRU.
    referenced: Box<[AtomicBool]>,
    hasher: foldhash::quality::RandomState,
    index: RwLock<Index>,
}

struct Index {
    /// Slot numbers, found by the hash of their key.
    table: HashTable<u32>,
    /// Slot `s`'s key at `s * key_size`.
    keys: Vec<u8>,
    hashes: Vec<u64>,
    used: Vec<bool>,
    /// Free slots; popped from the end, so a fresh map fills slots 0, 1, 2, ...
    free: Vec<u32>,
    /// The CLOCK hand: the next slot the LRU sweep looks at.
    hand: u32,
}

impl Index {
    fn key(&self, slot: u32, key_size: usize) -> &[u8] {
        let at = slot as usize * key_size;
        &self.keys[at..at + key_size]
    }

    fn find(&self, hash: u64, key: &[u8], key_size: usize) -> Option<u32> {
        self.table
            .find(hash, |&s| self.key(s, key_size) == key)
            .copied()
    }

    fn remove(&mut self, slot: u32) {
        let hash = self.hashes[slot as usize];
        if let Ok(entry) = self.table.find_entry(hash, |&s| s == slot) {
            entry.remove();
        }
        self.used[slot as usize] = false;
    }
}

fn zeroed_vec<T: Default + Clone>(len: usize) -> Option<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).ok()?;
    v.resize(len, T::default());
    Some(v)
}

impl HashMapStorage {
    /// Preallocates every slot; None when the size overflows or memory is refused.
    pub fn new(spec: &MapSpec, cpus: usize) -> Option<HashMapStorage> {
        let entries = spec.max_entries as usize;
        let stride = spec.stride();
        let values = SharedBuf::zeroed(entries.checked_mul(cpus)?.checked_mul(stride)?)?;
        let key_size = spec.key_size as usize;
        let lru = spec.map_type == MapType::LruHash;
        let referenced = if lru {
            let mut bits = Vec::new();
            bits.try_reserve_exact(entries).ok()?;
            bits.extend((0..entries).map(|_| AtomicBool::new(false)));
            bits.into_boxed_slice()
        } else {
            Box::default()
        };
        // Fallible allocations throughout: a map the allocator refuses is a load error,
        // not an abort of the host.
        let mut table = HashTable::new();
        table.try_reserve(entries, |_: &u32| 0).ok()?;
        let index = Index {
            table,
            keys: zeroed_vec(entries.checked_mul(key_size)?)?,
            hashes: zeroed_vec(entries)?,
            used: zeroed_vec(entries)?,
            free: {
                let mut free = Vec::new();
                free.try_reserve_exact(entries).ok()?;
                free.extend((0..spec.max_entries).rev());
                free
            },
            hand: 0,
        };
        Some(HashMapStorage {
            key_size,
            value_size: spec.value_size as usize,
            stride,
            cpus,
            max_entries: spec.max_entries,
            lru,
            values,
            referenced,
            hasher: Default::default(),
            index: RwLock::new(index),
        })
    }

    pub fn cpus(&self) -> usize {
        self.cpus
    }

    // A poisoned lock only means another thread panicked while holding it; no code under
    // these locks can leave the index half-updated, so the data is still consistent.
    fn read(&self) -> RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(|e| e.into_inner())
    }

    fn value(&self, slot: u32, cpu: usize) -> *mut u8 {
        // SAFETY: slot < max_entries and cpu < cpus, so the offset is in the allocation.
        unsafe {
            self.values
                .as_ptr()
                .add((slot as usize * self.cpus + cpu) * self.stride)
        }
    }

    fn touch(&self, slot: u32) {
        if self.lru {
            let bit = &self.referenced[slot as usize];
            // Reading first keeps hot entries from bouncing their cache line on every lookup.
            if !bit.load(Ordering::Relaxed) {
                bit.store(true, Ordering::Relaxed);
            }
        }
    }

    fn slot_of(&self, key: &[u8]) -> Option<u32> {
        let hash = self.hasher.hash_one(key);
        self.read().find(hash, key, self.key_size)
    }

    /// A program's lookup: the value of `key` for CPU slot `cpu` (the one copy, unless
    /// per-CPU), or NULL.
    pub fn lookup(&self, key: &[u8], cpu: usize) -> *mut u8 {
        let cpu = if self.cpus == 1 { 0 } else { cpu };
        if cpu >= self.cpus {
            return std::ptr::null_mut();
        }
        match self.slot_of(key) {
            Some(slot) => {
                self.touch(slot);
                self.value(slot, cpu)
            }
            None => std::ptr::null_mut(),
        }
    }

    /// Creates or replaces `key`'s value, following Linux's flag and capacity rules.
    ///
    /// # Safety
    /// A `Values::Program` source must be readable for value_size bytes.
    pub unsafe fn update(
        &self,
        key: &[u8],
        src: Values<'_>,
        flags: UpdateFlags,
    ) -> Result<(), MapErrorKind> {
        let hash = self.hasher.hash_one(key);
        let mut guard = self.write();
        let index = &mut *guard;
        if let Some(slot) = index.find(hash, key, self.key_size) {
            if flags == UpdateFlags::NoExist {
                return Err(MapErrorKind::Exists);
            }
            src.write(self.cpus, self.value_size, false, |c| self.value(slot, c));
            self.touch(slot);
            return Ok(());
        }
        if flags == UpdateFlags::Exist {
            return Err(MapErrorKind::NotFound);
        }
        let slot = match index.free.pop() {
            Some(slot) => slot,
            None if self.lru => self.evict(index),
            None => {
                return Err(MapErrorKind::Full {
                    max_entries: self.max_entries,
                })
            }
        };
        let at = slot as usize * self.key_size;
        index.keys[at..at + self.key_size].copy_from_slice(key);
        index.hashes[slot as usize] = hash;
        index.used[slot as usize] = true;
        // The value is complete before the key becomes findable: lookups need the lock
        // this thread holds.
        src.write(self.cpus, self.value_size, true, |c| self.value(slot, c));
        let Index { table, hashes, .. } = index;
        table.insert_unique(hash, slot, |&s| hashes[s as usize]);
        Ok(())
    }

    /// Evicts an entry of a full LRU map and returns its now free slot.
    fn evict(&self, index: &mut Index) -> u32 {
        let n = self.max_entries;
        // After one full turn every referenced bit is clear, so two turns always find one.
        for _ in 0..2 * n as u64 {
            let slot = index.hand;
            index.hand = (slot + 1) % n;
            if !index.used[slot as usize] {
                continue;
            }
            if self.referenced[slot as usize].swap(false, Ordering::Relaxed) {
                continue;
            }
            index.remove(slot);
            return slot;
        }
        // Unreachable when the map is full, but the hand's slot is a safe answer anyway.
        let slot = index.hand;
        index.remove(slot);
        slot
    }

    pub fn delete(&self, key: &[u8]) -> Result<(), MapErrorKind> {
        let hash = self.hasher.hash_one(key);
        let mut index = self.write();
        let slot = index
            .find(hash, key, self.key_size)
            .ok_or(MapErrorKind::NotFound)?;
        index.remove(slot);
        index.free.push(slot);
        if self.lru {
            self.referenced[slot as usize].store(false, Ordering::Relaxed);
        }
        Ok(())
    }

    fn read_values(&self, slot: u32) -> Vec<Vec<u8>> {
        (0..self.cpus)
            .map(|c| {
                let mut v = vec![0u8; self.value_size];
                // SAFETY: the slot is in range and 8-byte aligned.
                unsafe { shared::load(self.value(slot, c), &mut v) };
                v
            })
            .collect()
    }

    /// A host lookup: one value per CPU slot. As in Linux, a lookup from outside the
    /// programs does not count as a use for LRU, so inspecting a map does not change what
    /// it evicts.
    pub fn get(&self, key: &[u8]) -> Option<Vec<Vec<u8>>> {
        let hash = self.hasher.hash_one(key);
        let index = self.read();
        let slot = index.find(hash, key, self.key_size)?;
        Some(self.read_values(slot))
    }

    /// Every entry, in slot order, with one value per CPU slot.
    pub fn entries(&self) -> Vec<(Vec<u8>, Vec<Vec<u8>>)> {
        let index = self.read();
        (0..self.max_entries)
            .filter(|&s| index.used[s as usize])
            .map(|s| (index.key(s, self.key_size).to_vec(), self.read_values(s)))
            .collect()
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        let index = self.read();
        self.max_entries as usize - index.free.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(map_type: MapType, max_entries: u32) -> MapSpec {
        MapSpec {
            name: "t".into(),
            map_type,
            key_size: 4,
            value_size: 8,
            max_entries,
            map_flags: 0,
            flags: 0,
            initial_data: vec![],
            initial_programs: vec![],
        }
    }

    fn put(h: &HashMapStorage, k: u32, v: u64, f: UpdateFlags) -> Result<(), MapErrorKind> {
        unsafe { h.update(&k.to_ne_bytes(), Values::Broadcast(&v.to_ne_bytes()), f) }
    }

    fn get(h: &HashMapStorage, k: u32) -> Option<u64> {
        h.get(&k.to_ne_bytes())
            .map(|v| u64::from_ne_bytes(v[0].clone().try_into().unwrap()))
    }

    #[test]
    fn flags_and_capacity_follow_linux() {
        let h = HashMapStorage::new(&spec(MapType::Hash, 2), 1).unwrap();
        assert_eq!(
            put(&h, 1, 10, UpdateFlags::Exist),
            Err(MapErrorKind::NotFound)
        );
        put(&h, 1, 10, UpdateFlags::NoExist).unwrap();
        assert_eq!(
            put(&h, 1, 11, UpdateFlags::NoExist),
            Err(MapErrorKind::Exists)
        );
        put(&h, 1, 12, UpdateFlags::Exist).unwrap();
        put(&h, 2, 20, UpdateFlags::Any).unwrap();
        assert_eq!(
            put(&h, 3, 30, UpdateFlags::Any),
            Err(MapErrorKind::Full { max_entries: 2 })
        );
        // Replacing an existing key needs no free slot.
        put(&h, 2, 21, UpdateFlags::Any).unwrap();
        assert_eq!(
            (get(&h, 1), get(&h, 2), get(&h, 3)),
            (Some(12), Some(21), None)
        );
        h.delete(&1u32.to_ne_bytes()).unwrap();
        assert_eq!(h.delete(&1u32.to_ne_bytes()), Err(MapErrorKind::NotFound));
        put(&h, 3, 30, UpdateFlags::Any).unwrap();
        assert_eq!(h.len(), 2);
    }

    #[test]
    fn value_slots_never_move_and_are_reused_after_delete() {
        let h = HashMapStorage::new(&spec(MapType::Hash, 4), 1).unwrap();
        put(&h, 7, 70, UpdateFlags::Any).unwrap();
        let p = h.lookup(&7u32.to_ne_bytes(), 0);
        put(&h, 8, 80, UpdateFlags::Any).unwrap();
        put(&h, 7, 71, UpdateFlags::Any).unwrap();
        assert_eq!(h.lookup(&7u32.to_ne_bytes(), 0), p);
        h.delete(&7u32.to_ne_bytes()).unwrap();
        put(&h, 9, 90, UpdateFlags::Any).unwrap();
        // The freed slot is handed to the next new key: the old pointer now shows its value.
        assert_eq!(h.lookup(&9u32.to_ne_bytes(), 0), p);
        assert_eq!(unsafe { (p as *const u64).read() }, 90);
    }

    #[test]
    fn lru_evicts_the_entry_not_used_since_the_last_sweep() {
        let h = HashMapStorage::new(&spec(MapType::LruHash, 4), 1).unwrap();
        for k in 1..=4 {
            put(&h, k, k as u64, UpdateFlags::Any).unwrap();
        }
        assert!(!h.lookup(&1u32.to_ne_bytes(), 0).is_null());
        assert!(!h.lookup(&3u32.to_ne_bytes(), 0).is_null());
        put(&h, 5, 5, UpdateFlags::NoExist).unwrap();
        assert_eq!(get(&h, 2), None, "2 was the least recently used");
        assert_eq!(
            (get(&h, 1), get(&h, 3), get(&h, 4)),
            (Some(1), Some(3), Some(4))
        );
        // Use order, oldest first, is now 4, 1, 3, 5 (host reads do not count): the sweep
        // resumes after 2's old slot, clears 3's bit and evicts 4.
        put(&h, 6, 6, UpdateFlags::Any).unwrap();
        assert_eq!(get(&h, 4), None);
        assert_eq!(
            (get(&h, 1), get(&h, 3), get(&h, 5), get(&h, 6)),
            (Some(1), Some(3), Some(5), Some(6))
        );
        assert_eq!(h.len(), 4);
    }

    #[test]
    fn concurrent_inserts_deletes_and_lookups_stay_consistent() {
        let h = HashMapStorage::new(&spec(MapType::Hash, 32), 1).unwrap();
        std::thread::scope(|s| {
            for t in 0..4u32 {
                let h = &h;
                s.spawn(move || {
                    for round in 0..2000u32 {
                        // Each thread owns keys t*8 .. t*8+8: 32 keys fill the map exactly.
                        let key = t * 8 + round % 8;
                        let value = ((t as u64) << 32) | round as u64;
                        put(h, key, value, UpdateFlags::Any).unwrap();
                        let p = h.lookup(&key.to_ne_bytes(), 0);
                        assert!(!p.is_null());
                        // Only this thread writes this key, so its pointer shows its value.
                        assert_eq!(unsafe { (p as *const u64).read_volatile() }, value);
                        if round % 3 == 0 {
                            h.delete(&key.to_ne_bytes()).unwrap();
                            assert_eq!(get(h, key), None);
                        }
                    }
                });
            }
        });
        assert!(h.len() <= 32);
        let entries = h.entries();
        assert_eq!(entries.len(), h.len());
        for (key, values) in entries {
            let key = u32::from_ne_bytes(key.try_into().unwrap());
            let value = u64::from_ne_bytes(values[0].clone().try_into().unwrap());
            assert_eq!(
                value >> 32,
                (key / 8) as u64,
                "key {key} holds another thread's value"
            );
        }
    }

    #[test]
    fn percpu_program_updates_touch_one_slot() {
        let h = HashMapStorage::new(&spec(MapType::PercpuHash, 2), 3).unwrap();
        let v = 5u64.to_ne_bytes();
        unsafe {
            h.update(
                &1u32.to_ne_bytes(),
                Values::Program {
                    ptr: v.as_ptr(),
                    cpu: 1,
                },
                UpdateFlags::Any,
            )
            .unwrap()
        };
        let vals = h.get(&1u32.to_ne_bytes()).unwrap();
        assert_eq!(
            vals,
            vec![vec![0; 8], 5u64.to_ne_bytes().to_vec(), vec![0; 8]]
        );
        let p0 = h.lookup(&1u32.to_ne_bytes(), 0) as usize;
        let p2 = h.lookup(&1u32.to_ne_bytes(), 2) as usize;
        assert_eq!(p2 - p0, 16);
        assert!(h.lookup(&1u32.to_ne_bytes(), 3).is_null());
    }
}
