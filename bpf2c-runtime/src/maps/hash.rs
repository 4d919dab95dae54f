//! HASH, PERCPU_HASH and LRU_HASH maps.
//!
//! Like Linux's preallocated hash maps, every value slot exists from creation and never
//! moves, so a value pointer a program got from a lookup stays valid memory for the map's
//! lifetime: after a delete the slot may be reused for another key (the program then sees
//! that key's value), but it never dangles. Slot `s` of CPU `c` is at
//! `values + (s * cpus + c) * stride`.
//!
//! Lookups, by far the most frequent operation (every program lookup), take no lock. The
//! index is an open-addressing table of atomics (linear probing, with backward-shift
//! deletion so that no tombstones build up) guarded by a sequence lock: a writer makes the
//! sequence odd while it changes the table and even again when it is done; a reader probes
//! with plain atomic loads and keeps its answer only if the sequence was even and unchanged
//! around the probe, else it probes again. This is the role RCU plays for Linux's hash maps.
//! Taking even a shared lock for every lookup cost two atomic read-modify-writes, most of a
//! lookup's time. Updates and deletes are serialized by a mutex; a reader that keeps losing
//! to writers takes that mutex too, so it cannot starve.
//!
//! Keys are hashed with foldhash under a per-map random seed, so that packet-derived keys
//! cannot easily force collisions, which is what Linux's seeded jhash is for.
//!
//! LRU_HASH approximates least-recently-used order with the CLOCK (second chance)
//! algorithm: a program's lookup, or an update of an existing key, sets the slot's referenced
//! bit (a new entry starts clear); when the map is full an insert sweeps a hand over the
//! slots, clearing set bits and evicting the first slot whose bit is clear. Entries unused
//! since the hand last passed go first, as in a real LRU, without a shared list to update
//! on every lookup. Host reads do not count as uses, as in Linux.

use std::hash::BuildHasher;
use std::sync::atomic::{fence, AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::error::MapErrorKind;
use crate::maps::shared::{self, SharedBuf};
use crate::maps::Values;
use crate::types::{MapSpec, UpdateFlags};

/// Lock-free probes a lookup attempts before it waits for the writers instead.
const OPTIMISTIC_ATTEMPTS: u32 = 64;

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
    /// The table: per bucket, 0 when empty, else the low 32 bits of the entry's hash above
    /// slot + 1 (see [`bucket_entry`]), so that a probe skips other keys without loading
    /// them. [`bucket_count`] buckets, so probes stay short and empty buckets always exist.
    buckets: Box<[AtomicU64]>,
    /// Slot `s`'s key, as the `key_words` words [`with_words`] packs, at `s * key_words`.
    keys: Box<[AtomicU64]>,
    key_words: usize,
    /// The sequence lock over `buckets` and `keys`: odd while a writer changes
    /// them. Changed only by the holder of `writer`.
    seq: AtomicU64,
    writer: Mutex<Slots>,
}

/// What only writers use: which slots hold entries, which are free, and their hashes.
struct Slots {
    used: Vec<bool>,
    /// Slot `s`'s key hash: where a writer finds the home bucket of an entry it moves or
    /// removes. Lookups compare the tag in the bucket instead.
    hashes: Vec<u64>,
    /// Free slots; popped from the end, so a fresh map fills slots 0, 1, 2, ...
    free: Vec<u32>,
    /// The CLOCK hand: the next slot the LRU sweep looks at.
    hand: u32,
}

/// `len` zeroed atomics, or None when the allocator refuses.
fn atomics<T: Default>(len: usize) -> Option<Box<[T]>> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).ok()?;
    v.extend((0..len).map(|_| T::default()));
    Some(v.into_boxed_slice())
}

fn zeroed_vec<T: Default + Clone>(len: usize) -> Option<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).ok()?;
    v.resize(len, T::default());
    Some(v)
}

/// Buckets for `entries` entries: a power of two at least four times as many, so that at
/// most a quarter are taken and most lookups find their key in its home bucket (at half
/// load, mispredicted probe loops cost a random lookup about 40% more).
fn bucket_count(entries: usize) -> Option<usize> {
    entries.checked_mul(4)?.max(2).checked_next_power_of_two()
}

/// Bytes of the index beside the values: keys (whole words), hashes, buckets, and the
/// writers' and LRU bookkeeping.
pub(crate) fn index_bytes(max_entries: u32, key_size: u32) -> Option<usize> {
    let entries = max_entries as usize;
    let per_entry = (key_size as usize).div_ceil(8) * 8 + 8 + 1 + 4 + 1;
    entries
        .checked_mul(per_entry)?
        .checked_add(bucket_count(entries)?.checked_mul(8)?)
}

/// A bucket's value for the entry in `slot` whose key hashes to `hash`; never 0.
fn bucket_entry(hash: u64, slot: u32) -> u64 {
    (hash << 32) | (slot as u64 + 1)
}

/// The slot of a non-empty bucket value.
fn entry_slot(entry: u64) -> usize {
    (entry as u32 as usize).wrapping_sub(1)
}

/// Calls `f` with the key at `key` as the table hashes, stores and compares it: `len`
/// bytes as little-endian words (byte k is bits 8k..8k+8 of word k / 8), the last one
/// zero-padded. Comparing words instead of bytes keeps the probe loop free of calls. Keys of
/// up to 64 bytes (nearly all) are packed on the stack, in place: a packed key that was
/// moved after its words were written would be read back with wider loads than it was
/// written with, which stalls store forwarding for longer than the whole lookup takes.
///
/// # Safety
/// `key` is readable for `len` bytes.
#[inline(always)]
unsafe fn with_words<R>(key: *const u8, len: usize, f: impl FnOnce(&[u64]) -> R) -> R {
    let n = len.div_ceil(8);
    if n <= 8 {
        let mut buf = [0u64; 8];
        // SAFETY: `key` is readable for `len` bytes (this function's contract), and `n`
        // words hold them.
        unsafe { pack(key, len, &mut buf[..n]) };
        f(&buf[..n])
    } else {
        let mut buf = vec![0u64; n];
        // SAFETY: as above.
        unsafe { pack(key, len, &mut buf) };
        f(&buf)
    }
}

/// Packs `len` bytes at `key` into `words` (`len.div_ceil(8)` of them), as [`with_words`]
/// describes.
///
/// # Safety
/// `key` is readable for `len` bytes.
#[inline(always)]
unsafe fn pack(key: *const u8, len: usize, words: &mut [u64]) {
    let full = len / 8;
    for (i, w) in words[..full].iter_mut().enumerate() {
        // SAFETY: bytes `i * 8..i * 8 + 8` lie inside the `len` readable bytes, as
        // `i < len / 8`; read_unaligned takes any alignment.
        *w = u64::from_le(unsafe { key.add(i * 8).cast::<u64>().read_unaligned() });
    }
    let rest = len % 8;
    if rest != 0 {
        // Assembled in a register, for the same reason as above.
        // SAFETY: `full * 8 < len`: the tail starts inside the readable range.
        let tail = unsafe { key.add(full * 8) };
        let (mut word, mut at) = if rest >= 4 {
            // SAFETY: `rest >= 4` bytes are readable at `tail`; any alignment will do.
            let first = unsafe { tail.cast::<u32>().read_unaligned() };
            (u32::from_le(first) as u64, 4)
        } else {
            (0, 0)
        };
        while at < rest {
            // SAFETY: `at < rest`, the bytes readable at `tail`.
            word |= (unsafe { tail.add(at).read() } as u64) << (8 * at);
            at += 1;
        }
        words[full] = word;
    }
}

impl HashMapStorage {
    /// Preallocates every slot; None when the size overflows or memory is refused.
    pub fn new(spec: &MapSpec, cpus: usize) -> Option<HashMapStorage> {
        let entries = spec.max_entries as usize;
        let stride = spec.stride();
        let values = SharedBuf::zeroed(entries.checked_mul(cpus)?.checked_mul(stride)?)?;
        let key_size = spec.key_size as usize;
        let key_words = key_size.div_ceil(8);
        let lru = spec.map_type.is_lru();
        // Fallible allocations throughout: a map the allocator refuses is a load error,
        // not an abort of the host.
        let referenced = if lru {
            atomics(entries)?
        } else {
            Box::default()
        };
        let capacity = bucket_count(entries)?;
        // Bucket entries are slot + 1 in a u32.
        if entries >= u32::MAX as usize {
            return None;
        }
        let slots = Slots {
            used: zeroed_vec(entries)?,
            hashes: zeroed_vec(entries)?,
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
            buckets: atomics(capacity)?,
            keys: atomics(entries.checked_mul(key_words)?)?,
            key_words,
            seq: AtomicU64::new(0),
            writer: Mutex::new(slots),
        })
    }

    pub fn cpus(&self) -> usize {
        self.cpus
    }

    // A poisoned mutex only means another thread panicked while holding it; every write
    // section below completes its table change before anything can panic, so the data is
    // still consistent.
    fn lock(&self) -> MutexGuard<'_, Slots> {
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
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

    fn mask(&self) -> usize {
        self.buckets.len() - 1
    }

    #[inline(always)]
    fn key_matches(&self, slot: usize, key: &[u64]) -> bool {
        if let [word] = key {
            return self.keys[slot].load(Ordering::Relaxed) == *word;
        }
        let stored = &self.keys[slot * self.key_words..(slot + 1) * self.key_words];
        stored
            .iter()
            .zip(key)
            .all(|(w, k)| w.load(Ordering::Relaxed) == *k)
    }

    /// A map's keys all have one size, so one-word keys can be hashed as a number.
    #[inline(always)]
    fn hash(&self, key: &[u64]) -> u64 {
        match key {
            [word] => self.hasher.hash_one(*word),
            words => self.hasher.hash_one(words),
        }
    }

    /// Calls `f` with a host's or a helper's key as words.
    fn with_key<R>(&self, key: &[u8], f: impl FnOnce(&[u64]) -> R) -> R {
        debug_assert_eq!(key.len(), self.key_size);
        // SAFETY: a slice is readable for its length.
        unsafe { with_words(key.as_ptr(), key.len(), f) }
    }

    /// The bucket holding `key` and its slot. Only relaxed loads: under the sequence lock
    /// the answer may come from a table a writer was changing, which the caller detects;
    /// every index is checked, and the walk is bounded, whatever the loads return.
    #[inline(always)]
    fn probe(&self, hash: u64, key: &[u64]) -> Option<(usize, u32)> {
        let mask = self.mask();
        let mut b = hash as usize & mask;
        for _ in 0..=mask {
            let entry = self.buckets[b].load(Ordering::Relaxed);
            if entry == 0 {
                return None;
            }
            let slot = entry_slot(entry);
            if entry >> 32 == hash & 0xffff_ffff
                && slot < self.max_entries as usize
                && self.key_matches(slot, key)
            {
                return Some((b, slot as u32));
            }
            b = (b + 1) & mask;
        }
        None
    }

    /// The slot holding `key`, without a lock when no writer is in the way.
    #[inline(always)]
    fn find(&self, key: &[u64]) -> Option<u32> {
        let hash = self.hash(key);
        for _ in 0..OPTIMISTIC_ATTEMPTS {
            let before = self.seq.load(Ordering::Acquire);
            if before & 1 == 0 {
                let found = self.probe(hash, key);
                #[cfg(test)]
                tests::after_probe();
                // Orders the probe's loads before the second read of the sequence.
                fence(Ordering::Acquire);
                if self.seq.load(Ordering::Relaxed) == before {
                    return found.map(|(_, slot)| slot);
                }
            }
            std::hint::spin_loop();
        }
        let _writers_wait = self.lock();
        self.probe(hash, key).map(|(_, slot)| slot)
    }

    /// Runs `change` on the table inside the sequence lock; `slots` is the mutex's data,
    /// so only its holder can.
    fn write_section<R>(&self, slots: &mut Slots, change: impl FnOnce(&mut Slots) -> R) -> R {
        let s = self.seq.load(Ordering::Relaxed);
        self.seq.store(s.wrapping_add(1), Ordering::Relaxed);
        // Readers that see any of the changes below also see the odd sequence.
        fence(Ordering::Release);
        let r = change(slots);
        // Publishes the changes (and any value written before them) to readers that see
        // the even sequence.
        self.seq.store(s.wrapping_add(2), Ordering::Release);
        r
    }

    /// Makes `slot` findable under `key`. Inside a write section.
    fn insert(&self, slots: &mut Slots, slot: u32, hash: u64, key: &[u64]) {
        let s = slot as usize;
        slots.hashes[s] = hash;
        for (w, k) in self.keys[s * self.key_words..(s + 1) * self.key_words]
            .iter()
            .zip(key)
        {
            w.store(*k, Ordering::Relaxed);
        }
        let mask = self.mask();
        let mut b = hash as usize & mask;
        // At most max_entries of at least 4 * max_entries buckets are taken.
        while self.buckets[b].load(Ordering::Relaxed) != 0 {
            b = (b + 1) & mask;
        }
        self.buckets[b].store(bucket_entry(hash, slot), Ordering::Relaxed);
    }

    /// Empties bucket `b` and moves later entries of its run back, so that every entry
    /// stays reachable from its home bucket without tombstones. Inside a write section.
    fn remove_bucket(&self, slots: &Slots, mut b: usize) {
        let mask = self.mask();
        let mut next = b;
        loop {
            next = (next + 1) & mask;
            let entry = self.buckets[next].load(Ordering::Relaxed);
            if entry == 0 {
                break;
            }
            let home = slots.hashes[entry_slot(entry)] as usize & mask;
            // The entry may fill the hole unless its home lies cyclically in (b, next].
            let stays = if b <= next {
                b < home && home <= next
            } else {
                b < home || home <= next
            };
            if !stays {
                self.buckets[b].store(entry, Ordering::Relaxed);
                b = next;
            }
        }
        self.buckets[b].store(0, Ordering::Relaxed);
    }

    /// Removes `slot`'s entry from the table. Inside a write section.
    fn remove_slot(&self, slots: &Slots, slot: u32) {
        let hash = slots.hashes[slot as usize];
        let mask = self.mask();
        let mut b = hash as usize & mask;
        for _ in 0..=mask {
            match self.buckets[b].load(Ordering::Relaxed) {
                0 => return,
                e if entry_slot(e) == slot as usize => return self.remove_bucket(slots, b),
                _ => b = (b + 1) & mask,
            }
        }
    }

    /// A program's lookup: the value of `key` for CPU slot `cpu` (the one copy, unless
    /// per-CPU), or NULL.
    #[cfg(test)]
    pub fn lookup(&self, key: &[u8], cpu: usize) -> *mut u8 {
        self.with_key(key, |k| self.lookup_words(k, cpu))
    }

    /// [`lookup`](Self::lookup) with the key read straight from a program's memory.
    ///
    /// # Safety
    /// `key` is readable for key_size bytes.
    pub unsafe fn lookup_raw(&self, key: *const u8, cpu: usize) -> *mut u8 {
        // One-word keys (u32, u64: most maps) get their own path, which the compiler keeps
        // in registers from end to end. Here, on the program path only: the same branch
        // inside `with_words` made the compiler stop inlining the lookup into it (a program
        // hash lookup measured 11.3 instead of 9.1 ns).
        if self.key_words == 1 {
            let mut word = [0u64];
            // SAFETY: `key` is readable for key_size bytes (this function's contract), which
            // one word holds.
            unsafe { pack(key, self.key_size, &mut word) };
            return self.lookup_words(&word, cpu);
        }
        // SAFETY: `key` is readable for key_size bytes (this function's contract).
        unsafe { with_words(key, self.key_size, |k| self.lookup_words(k, cpu)) }
    }

    #[inline(always)]
    fn lookup_words(&self, key: &[u64], cpu: usize) -> *mut u8 {
        let cpu = if self.cpus == 1 { 0 } else { cpu };
        if cpu >= self.cpus {
            return std::ptr::null_mut();
        }
        match self.find(key) {
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
        // SAFETY: the source's contract is this function's.
        self.with_key(key, |key| unsafe { self.update_words(key, src, flags) })
    }

    /// [`update`](Self::update) with the key as words.
    ///
    /// # Safety
    /// As for [`update`](Self::update).
    unsafe fn update_words(
        &self,
        key: &[u64],
        src: Values<'_>,
        flags: UpdateFlags,
    ) -> Result<(), MapErrorKind> {
        let hash = self.hash(key);
        let mut slots = self.lock();
        // The mutex keeps the table still, so this probe needs no sequence check.
        if let Some((_, slot)) = self.probe(hash, key) {
            if flags == UpdateFlags::NoExist {
                return Err(MapErrorKind::Exists);
            }
            // SAFETY: `value` gives each CPU slot's aligned value of value_size bytes inside
            // the allocation; the source is readable as this function's contract says.
            unsafe { src.write(self.cpus, self.value_size, false, |c| self.value(slot, c)) };
            self.touch(slot);
            return Ok(());
        }
        if flags == UpdateFlags::Exist {
            return Err(MapErrorKind::NotFound);
        }
        let slot = match slots.free.pop() {
            Some(slot) => slot,
            None if self.lru => {
                let slot = self.evict(&mut slots);
                self.write_section(&mut slots, |s| self.remove_slot(s, slot));
                slot
            }
            None => {
                return Err(MapErrorKind::Full {
                    max_entries: self.max_entries,
                })
            }
        };
        slots.used[slot as usize] = true;
        // The value is complete before the key becomes findable: the write section's
        // release publishes both together.
        // SAFETY: as for the replacement above.
        unsafe { src.write(self.cpus, self.value_size, true, |c| self.value(slot, c)) };
        self.write_section(&mut slots, |s| self.insert(s, slot, hash, key));
        Ok(())
    }

    /// Chooses the entry a full LRU map gives up and returns its slot, still in the table.
    fn evict(&self, slots: &mut Slots) -> u32 {
        let n = self.max_entries;
        // After one full turn every referenced bit is clear, so two turns always find one.
        for _ in 0..2 * n as u64 {
            let slot = slots.hand;
            slots.hand = (slot + 1) % n;
            if !slots.used[slot as usize] {
                continue;
            }
            if self.referenced[slot as usize].swap(false, Ordering::Relaxed) {
                continue;
            }
            return slot;
        }
        // Unreachable when the map is full, but the hand's slot is a safe answer anyway.
        slots.hand
    }

    pub fn delete(&self, key: &[u8]) -> Result<(), MapErrorKind> {
        self.with_key(key, |key| self.delete_words(key))
    }

    fn delete_words(&self, key: &[u64]) -> Result<(), MapErrorKind> {
        let hash = self.hash(key);
        let mut slots = self.lock();
        let (bucket, slot) = self.probe(hash, key).ok_or(MapErrorKind::NotFound)?;
        self.write_section(&mut slots, |s| self.remove_bucket(s, bucket));
        slots.used[slot as usize] = false;
        slots.free.push(slot);
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
        let slot = self.with_key(key, |key| self.find(key))?;
        Some(self.read_values(slot))
    }

    /// Slot `s`'s key bytes. The caller holds the mutex.
    fn key_of(&self, slot: u32) -> Vec<u8> {
        let s = slot as usize;
        let mut key: Vec<u8> = self.keys[s * self.key_words..(s + 1) * self.key_words]
            .iter()
            .flat_map(|w| w.load(Ordering::Relaxed).to_le_bytes())
            .collect();
        key.truncate(self.key_size);
        key
    }

    /// Every entry, in slot order, with one value per CPU slot.
    pub fn entries(&self) -> Vec<(Vec<u8>, Vec<Vec<u8>>)> {
        let slots = self.lock();
        (0..self.max_entries)
            .filter(|&s| slots.used[s as usize])
            .map(|s| (self.key_of(s), self.read_values(s)))
            .collect()
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.max_entries as usize - self.lock().free.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::MapType;

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
            inner_map: None,
        }
    }

    fn put(h: &HashMapStorage, k: u32, v: u64, f: UpdateFlags) -> Result<(), MapErrorKind> {
        // SAFETY: a host (Broadcast) source is a Rust slice, which update's contract allows.
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
        // SAFETY: value slots live as long as the map and hold 8 aligned bytes.
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
                        // SAFETY: a non-NULL lookup result is an aligned 8-byte value slot,
                        // which lives as long as the map.
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

    /// A tiny deterministic generator for the model tests.
    fn lcg(state: &mut u64) -> u64 {
        *state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *state >> 33
    }

    fn with_key_size(map_type: MapType, max_entries: u32, key_size: u32) -> MapSpec {
        MapSpec {
            key_size,
            ..spec(map_type, max_entries)
        }
    }

    /// Random inserts, replacements, deletes and lookups against a BTreeMap, with a key
    /// universe four times the map's size so that the table is often full, runs of
    /// colliding buckets form, and deletes shift entries back through them. Keys of 4, 12
    /// and 20 bytes cover one word, a padded last word and several words.
    #[test]
    fn the_table_agrees_with_a_model_through_collisions_and_deletes() {
        for key_size in [4u32, 12, 20] {
            let max = 16u32;
            let h = HashMapStorage::new(&with_key_size(MapType::Hash, max, key_size), 1).unwrap();
            let mut model = std::collections::BTreeMap::<Vec<u8>, u64>::new();
            let mut rng = key_size as u64;
            let key_of = |k: u64| {
                let mut key = vec![0u8; key_size as usize];
                key[..8.min(key_size as usize)]
                    .copy_from_slice(&k.to_ne_bytes()[..8.min(key_size as usize)]);
                // Distinct tails too, so that a comparison of only the first word fails.
                *key.last_mut().unwrap() ^= (k % 3) as u8;
                key
            };
            for step in 0..20_000u64 {
                let key = key_of(lcg(&mut rng) % (4 * max as u64));
                match lcg(&mut rng) % 4 {
                    0 | 1 => {
                        // SAFETY: a host (Broadcast) source is a Rust slice.
                        let r = unsafe {
                            h.update(
                                &key,
                                Values::Broadcast(&step.to_ne_bytes()),
                                UpdateFlags::Any,
                            )
                        };
                        if model.contains_key(&key) || model.len() < max as usize {
                            r.unwrap();
                            model.insert(key.clone(), step);
                        } else {
                            assert_eq!(r, Err(MapErrorKind::Full { max_entries: max }));
                        }
                    }
                    2 => assert_eq!(
                        h.delete(&key).is_ok(),
                        model.remove(&key).is_some(),
                        "step {step}"
                    ),
                    _ => {}
                }
                let got = h
                    .get(&key)
                    .map(|v| u64::from_ne_bytes(v[0].clone().try_into().unwrap()));
                assert_eq!(got, model.get(&key).copied(), "step {step}");
                let p = h.lookup(&key, 0);
                assert_eq!(p.is_null(), !model.contains_key(&key));
            }
            let mut all: Vec<(Vec<u8>, u64)> = h
                .entries()
                .into_iter()
                .map(|(k, v)| (k, u64::from_ne_bytes(v[0].clone().try_into().unwrap())))
                .collect();
            all.sort();
            assert_eq!(all, model.into_iter().collect::<Vec<_>>());
        }
    }

    /// Lock-free lookups while writers insert and delete around them: keys that stay in
    /// the map must be found, with their own value, on every single lookup, even as deletes
    /// shift their buckets back and inserts fill the runs they sit in. A lookup that kept a
    /// probe of a half-changed table would miss one.
    #[test]
    fn lookups_never_miss_a_present_key_while_writers_move_entries() {
        // A full map: the runs of neighbouring entries that deletes shift back are longest.
        let h = HashMapStorage::new(&spec(MapType::Hash, 32), 1).unwrap();
        let resident: Vec<u32> = (0..16).collect();
        for &k in &resident {
            put(&h, k, 1000 + k as u64, UpdateFlags::Any).unwrap();
        }
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            let writers: Vec<_> = (0..2u32)
                .map(|t| {
                    let (h, stop) = (&h, &stop);
                    s.spawn(move || {
                        let mut rng = t as u64 + 1;
                        let mut rounds = 0u64;
                        while !stop.load(Ordering::Relaxed) {
                            // Transient keys 100.. churn through the free slots.
                            let k = 100 + t * 1000 + (lcg(&mut rng) % 8) as u32;
                            if put(h, k, k as u64, UpdateFlags::Any).is_ok() {
                                let _ = h.delete(&k.to_ne_bytes());
                            }
                            rounds += 1;
                        }
                        rounds
                    })
                })
                .collect();
            let reader = s.spawn(|| {
                for i in 0..300_000usize {
                    let k = resident[i % resident.len()];
                    let p = h.lookup(&k.to_ne_bytes(), 0);
                    assert!(!p.is_null(), "resident key {k} missed at lookup {i}");
                    assert_eq!(
                        // SAFETY: a non-NULL lookup result is an aligned 8-byte value slot,
                        // which lives as long as the map.
                        unsafe { (p as *const u64).read_volatile() },
                        1000 + k as u64
                    );
                }
            });
            reader.join().unwrap();
            stop.store(true, Ordering::Relaxed);
            for w in writers {
                assert!(w.join().unwrap() > 0);
            }
        });
        assert_eq!(h.len(), resident.len());
    }

    thread_local! {
        /// Runs once on this thread between a lookup's probe and its second read of the
        /// sequence: where a writer on another core could complete a change.
        static AFTER_PROBE: std::cell::RefCell<Option<Box<dyn FnOnce()>>> =
            std::cell::RefCell::new(None);
    }

    pub(super) fn after_probe() {
        if let Some(hook) = AFTER_PROBE.with(|h| h.borrow_mut().take()) {
            hook();
        }
    }

    /// A writer that completes a change between a reader's probe and its check of the
    /// sequence makes the reader probe again: here the key the probe found is deleted in
    /// that gap, so the lookup must come back empty, not with the slot it found.
    #[test]
    fn a_probe_overtaken_by_a_completed_write_is_redone() {
        let h = std::sync::Arc::new(HashMapStorage::new(&spec(MapType::Hash, 8), 1).unwrap());
        put(&h, 5, 55, UpdateFlags::Any).unwrap();
        let writer = h.clone();
        AFTER_PROBE.with(|hook| {
            *hook.borrow_mut() = Some(Box::new(move || {
                writer.delete(&5u32.to_ne_bytes()).unwrap();
            }))
        });
        assert!(h.lookup(&5u32.to_ne_bytes(), 0).is_null());
        assert_eq!(h.len(), 0);
    }

    /// A reader that probes while a writer is inside its section never keeps that probe:
    /// here the writer holds the table in a state where the key is unreachable, and the
    /// reader must wait it out and then find the key.
    #[test]
    fn a_probe_made_while_a_writer_is_inside_is_never_kept() {
        let h = HashMapStorage::new(&spec(MapType::Hash, 8), 1).unwrap();
        put(&h, 5, 55, UpdateFlags::Any).unwrap();
        let key = 5u32.to_ne_bytes();
        let (bucket, _) = h.with_key(&key, |k| h.probe(h.hash(k), k)).unwrap();
        let mut slots = h.lock();
        std::thread::scope(|s| {
            let reader = h.write_section(&mut slots, |_| {
                let entry = h.buckets[bucket].swap(0, Ordering::Relaxed);
                let reader = s.spawn(|| h.lookup(&key, 0) as usize);
                std::thread::sleep(std::time::Duration::from_millis(50));
                assert!(
                    !reader.is_finished(),
                    "the lookup used a half-changed table"
                );
                h.buckets[bucket].store(entry, Ordering::Relaxed);
                reader
            });
            drop(slots);
            let p = reader.join().unwrap() as *const u64;
            // SAFETY: the lookup found key 5, so `p` is its aligned 8-byte value slot.
            assert_eq!(unsafe { p.read() }, 55);
        });
    }

    #[test]
    fn percpu_program_updates_touch_one_slot() {
        let h = HashMapStorage::new(&spec(MapType::PercpuHash, 2), 3).unwrap();
        let v = 5u64.to_ne_bytes();
        // SAFETY: the program source `v` is readable for the map's 8-byte values.
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
