//! LPM_TRIE: longest-prefix match, with Linux's key layout and rules.
//!
//! A key is `struct bpf_lpm_trie_key`: a host-order u32 `prefixlen`, then `key_size - 4`
//! bytes of data, most significant bit first (network order for IP addresses). An entry
//! covers every key whose first `prefixlen` bits equal its own; bits past the prefix are
//! ignored, so updates and deletes find an entry by its prefix length and prefix bits. A
//! lookup also reads only the first `prefixlen` bits of its own key and answers with the
//! entry of the longest prefix that covers them (Linux's `min(node, key)` prefix rule).
//!
//! The index is one hash table per prefix length in use, searched from the longest
//! length down: the same answers as Linux's trie, in at most `8 * (key_size - 4) + 1`
//! probes. Values live in slots that are allocated in chunks as entries arrive (Linux
//! requires BPF_F_NO_PREALLOC for this type) and are never freed while the map lives, so a
//! value pointer a program holds stays valid memory, as RCU keeps it in Linux; a deleted
//! entry's slot is reused by a later insert.

use std::collections::{BTreeMap, HashMap};
use std::sync::RwLock;

use crate::error::MapErrorKind;
use crate::maps::shared::{self, SharedBuf};
use crate::maps::Values;
use crate::types::{MapSpec, UpdateFlags};

/// Value slots per allocated chunk.
const CHUNK: usize = 64;

/// Bytes of the `prefixlen` field in front of the data.
pub(crate) const PREFIX_FIELD: usize = 4;

/// Linux's LPM_DATA_SIZE_MAX: the most data bytes a key may have.
pub(crate) const MAX_DATA_SIZE: u32 = 256;

pub(crate) struct LpmTrie {
    data_size: usize,
    value_size: usize,
    stride: usize,
    max_entries: u32,
    index: RwLock<Index>,
}

#[derive(Default)]
struct Index {
    /// Per prefix length: the prefix bits (data with every later bit cleared) to the slot.
    by_len: BTreeMap<u32, HashMap<Vec<u8>, u32>>,
    /// Each used slot's key as last written, for the host's listing.
    keys: HashMap<u32, Vec<u8>>,
    chunks: Vec<SharedBuf>,
    free: Vec<u32>,
    allocated: u32,
}

/// `data` with every bit from `prefix_len` on cleared.
fn masked(data: &[u8], prefix_len: u32) -> Vec<u8> {
    let mut out = data.to_vec();
    let full = (prefix_len / 8) as usize;
    let rest = prefix_len % 8;
    if full < out.len() {
        out[full] &= if rest == 0 { 0 } else { 0xffu8 << (8 - rest) };
        out[full + 1..].iter_mut().for_each(|b| *b = 0);
    }
    out
}

impl LpmTrie {
    /// An empty trie; the caller checked the definition ([`check_definition`]).
    pub fn new(spec: &MapSpec) -> LpmTrie {
        LpmTrie {
            data_size: spec.key_size as usize - PREFIX_FIELD,
            value_size: spec.value_size as usize,
            stride: spec.stride(),
            max_entries: spec.max_entries,
            index: RwLock::new(Index::default()),
        }
    }

    fn max_prefix_len(&self) -> u32 {
        8 * self.data_size as u32
    }

    fn split<'k>(&self, key: &'k [u8]) -> (u32, &'k [u8]) {
        let len = u32::from_ne_bytes([key[0], key[1], key[2], key[3]]);
        (len, &key[PREFIX_FIELD..PREFIX_FIELD + self.data_size])
    }

    fn read_index(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_index(&self) -> std::sync::RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(|e| e.into_inner())
    }

    fn slot_ptr(&self, index: &Index, slot: u32) -> *mut u8 {
        let chunk = &index.chunks[slot as usize / CHUNK];
        // SAFETY: the slot's offset lies inside its chunk of CHUNK * stride bytes.
        unsafe { chunk.as_ptr().add((slot as usize % CHUNK) * self.stride) }
    }

    /// The slot of the longest prefix covering `key` (full key layout), if any.
    fn longest_match(&self, index: &Index, key: &[u8]) -> Option<u32> {
        let (key_len, data) = self.split(key);
        let limit = key_len.min(self.max_prefix_len());
        index
            .by_len
            .range(..=limit)
            .rev()
            .find_map(|(&len, table)| table.get(&masked(data, len)).copied())
    }

    /// A program's lookup: the value of the longest matching prefix, or NULL.
    ///
    /// # Safety
    /// `key` is readable for the map's key size.
    pub unsafe fn lookup_raw(&self, key: *const u8) -> *mut u8 {
        let mut buf = [0u8; PREFIX_FIELD + MAX_DATA_SIZE as usize];
        let len = PREFIX_FIELD + self.data_size;
        // SAFETY: the key is readable for key_size = len bytes (this function's contract) and
        // `buf` is a local that program memory cannot overlap.
        unsafe { std::ptr::copy_nonoverlapping(key, buf.as_mut_ptr(), len) };
        let index = self.read_index();
        match self.longest_match(&index, &buf[..len]) {
            Some(slot) => self.slot_ptr(&index, slot),
            None => std::ptr::null_mut(),
        }
    }

    /// The host's lookup, with a program's longest-prefix rule.
    pub fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let index = self.read_index();
        let slot = self.longest_match(&index, key)?;
        let mut value = vec![0u8; self.value_size];
        // SAFETY: a used slot's value is 8-byte aligned and value_size bytes long.
        unsafe { shared::load(self.slot_ptr(&index, slot), &mut value) };
        Some(value)
    }

    /// Creates or replaces the entry of the key's prefix. EINVAL for a prefix longer than
    /// the data, ENOSPC for a new entry in a full map, EEXIST/ENOENT for the flags.
    ///
    /// # Safety
    /// The source is valid as [`Values`] describes for one CPU slot of value_size bytes.
    pub unsafe fn update(
        &self,
        key: &[u8],
        src: Values<'_>,
        flags: UpdateFlags,
    ) -> Result<(), MapErrorKind> {
        let (len, data) = self.split(key);
        if len > self.max_prefix_len() {
            return Err(MapErrorKind::BadPrefix {
                prefix_len: len,
                max: self.max_prefix_len(),
            });
        }
        let prefix = masked(data, len);
        let mut index = self.write_index();
        let existing = index.by_len.get(&len).and_then(|t| t.get(&prefix)).copied();
        let slot = match (existing, flags) {
            (Some(_), UpdateFlags::NoExist) => return Err(MapErrorKind::Exists),
            (None, UpdateFlags::Exist) => return Err(MapErrorKind::NotFound),
            (Some(slot), _) => slot,
            (None, _) => {
                if index.keys.len() as u64 >= u64::from(self.max_entries) {
                    return Err(MapErrorKind::NoSpace {
                        max_entries: self.max_entries,
                    });
                }
                self.take_slot(&mut index)?
            }
        };
        let at = self.slot_ptr(&index, slot);
        // SAFETY: the slot is aligned and valid for value_size bytes; the source as this
        // function's contract says.
        unsafe { src.write(1, self.value_size, existing.is_none(), |_| at) };
        index.by_len.entry(len).or_default().insert(prefix, slot);
        index.keys.insert(slot, key.to_vec());
        Ok(())
    }

    fn take_slot(&self, index: &mut Index) -> Result<u32, MapErrorKind> {
        if let Some(slot) = index.free.pop() {
            return Ok(slot);
        }
        if (index.allocated as usize).is_multiple_of(CHUNK) {
            let chunk = SharedBuf::zeroed(CHUNK * self.stride).ok_or(MapErrorKind::NoSpace {
                max_entries: self.max_entries,
            })?;
            index.chunks.push(chunk);
        }
        index.allocated += 1;
        Ok(index.allocated - 1)
    }

    /// Removes the entry of exactly the key's prefix; ENOENT when there is none.
    pub fn delete(&self, key: &[u8]) -> Result<(), MapErrorKind> {
        let (len, data) = self.split(key);
        if len > self.max_prefix_len() {
            return Err(MapErrorKind::BadPrefix {
                prefix_len: len,
                max: self.max_prefix_len(),
            });
        }
        let mut index = self.write_index();
        let table = index.by_len.get_mut(&len).ok_or(MapErrorKind::NotFound)?;
        let slot = table
            .remove(&masked(data, len))
            .ok_or(MapErrorKind::NotFound)?;
        if table.is_empty() {
            index.by_len.remove(&len);
        }
        index.keys.remove(&slot);
        index.free.push(slot);
        Ok(())
    }

    /// Every entry as (key as last written, value), shortest prefixes first, then by key.
    pub fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let index = self.read_index();
        let mut out = Vec::new();
        for table in index.by_len.values() {
            let mut slots: Vec<(&Vec<u8>, u32)> = table.iter().map(|(p, &s)| (p, s)).collect();
            slots.sort();
            for (_, slot) in slots {
                let mut value = vec![0u8; self.value_size];
                // SAFETY: a used slot's value is 8-byte aligned and value_size bytes long.
                unsafe { shared::load(self.slot_ptr(&index, slot), &mut value) };
                out.push((index.keys[&slot].clone(), value));
            }
        }
        out
    }
}

/// Linux's checks at map creation (`trie_alloc`): BPF_F_NO_PREALLOC set, 1 to 256 data
/// bytes after the prefix length.
pub(crate) fn check_definition(key_size: u32, map_flags: u32) -> Result<(), String> {
    use bpf2c_abi::map::map_flags::BPF_F_NO_PREALLOC;
    if map_flags & BPF_F_NO_PREALLOC == 0 {
        return Err("LPM_TRIE maps need BPF_F_NO_PREALLOC in map_flags, as in Linux".into());
    }
    let data = key_size.saturating_sub(PREFIX_FIELD as u32);
    if data == 0 || data > MAX_DATA_SIZE {
        return Err(format!(
            "LPM_TRIE keys are a 4-byte prefix length and 1 to {MAX_DATA_SIZE} data bytes, \
             not {key_size} bytes in all"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::MapType;

    fn trie(data: u32, max_entries: u32) -> LpmTrie {
        LpmTrie::new(&MapSpec {
            name: "lpm".into(),
            map_type: MapType::LpmTrie,
            key_size: 4 + data,
            value_size: 4,
            max_entries,
            map_flags: 1,
            flags: 0,
            initial_data: vec![],
            initial_programs: vec![],
            inner_map: None,
        })
    }

    fn key(len: u32, data: &[u8]) -> Vec<u8> {
        [&len.to_ne_bytes()[..], data].concat()
    }

    fn put(t: &LpmTrie, len: u32, data: &[u8], v: u32) -> Result<(), MapErrorKind> {
        let value = v.to_ne_bytes();
        // SAFETY: a host (Broadcast) source is a Rust slice of value_size bytes.
        unsafe { t.update(&key(len, data), Values::Broadcast(&value), UpdateFlags::Any) }
    }

    fn get(t: &LpmTrie, len: u32, data: &[u8]) -> Option<u32> {
        t.get(&key(len, data))
            .map(|v| u32::from_ne_bytes(v.try_into().unwrap()))
    }

    #[test]
    fn longest_prefix_wins_and_the_key_prefix_caps_the_match() {
        let t = trie(4, 8);
        put(&t, 8, &[10, 0, 0, 0], 1).unwrap();
        put(&t, 16, &[10, 1, 0, 0], 2).unwrap();
        put(&t, 24, &[10, 1, 2, 0], 3).unwrap();
        assert_eq!(get(&t, 32, &[10, 1, 2, 3]), Some(3));
        assert_eq!(get(&t, 32, &[10, 1, 9, 3]), Some(2));
        assert_eq!(get(&t, 32, &[10, 9, 9, 9]), Some(1));
        assert_eq!(get(&t, 32, &[11, 1, 2, 3]), None);
        // A lookup key of prefix 20 cannot use the /24 entry.
        assert_eq!(get(&t, 20, &[10, 1, 2, 3]), Some(2));
        // Bits past the prefix do not matter to updates: this replaces the /8 entry.
        put(&t, 8, &[10, 77, 77, 77], 4).unwrap();
        assert_eq!(get(&t, 32, &[10, 200, 0, 0]), Some(4));
        assert_eq!(t.entries().len(), 3);
    }

    #[test]
    fn linux_errors() {
        let t = trie(4, 2);
        assert_eq!(
            put(&t, 33, &[0; 4], 1),
            Err(MapErrorKind::BadPrefix {
                prefix_len: 33,
                max: 32
            })
        );
        put(&t, 0, &[0; 4], 1).unwrap();
        put(&t, 32, &[1, 2, 3, 4], 2).unwrap();
        assert_eq!(
            put(&t, 31, &[1, 2, 3, 4], 3),
            Err(MapErrorKind::NoSpace { max_entries: 2 })
        );
        // Replacing in a full map works (Linux 6.13 on).
        put(&t, 32, &[1, 2, 3, 4], 5).unwrap();
        assert_eq!(
            t.delete(&key(31, &[1, 2, 3, 4])),
            Err(MapErrorKind::NotFound)
        );
        t.delete(&key(32, &[1, 2, 3, 4])).unwrap();
        assert_eq!(get(&t, 32, &[1, 2, 3, 4]), Some(1));
        let v = 9u32.to_ne_bytes();
        // SAFETY: a host source.
        let exist =
            unsafe { t.update(&key(5, &[0; 4]), Values::Broadcast(&v), UpdateFlags::Exist) };
        assert_eq!(exist, Err(MapErrorKind::NotFound));
        // SAFETY: a host source.
        let noexist = unsafe {
            t.update(
                &key(0, &[9; 4]),
                Values::Broadcast(&v),
                UpdateFlags::NoExist,
            )
        };
        assert_eq!(noexist, Err(MapErrorKind::Exists));
        assert!(check_definition(8, 0).is_err());
        assert!(check_definition(4, 1).is_err());
        assert!(check_definition(261, 1).is_err());
        assert!(check_definition(260, 1).is_ok());
    }

    /// A small xorshift generator, so the model test is reproducible.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    /// The reference: a list of (prefix len, data, value), scanned for the longest prefix
    /// whose bits equal the key's, bit by bit.
    fn reference_lookup(model: &[(u32, Vec<u8>, u32)], len: u32, data: &[u8]) -> Option<u32> {
        let bit = |d: &[u8], i: u32| (d[(i / 8) as usize] >> (7 - i % 8)) & 1;
        model
            .iter()
            .filter(|(plen, pdata, _)| {
                *plen <= len && (0..*plen).all(|i| bit(pdata, i) == bit(data, i))
            })
            .max_by_key(|(plen, _, _)| *plen)
            .map(|&(_, _, v)| v)
    }

    #[test]
    fn model_against_a_linear_scan() {
        for data_size in [1usize, 2, 4, 16] {
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ data_size as u64);
            let max_entries = 40;
            let t = trie(data_size as u32, max_entries);
            let mut model: Vec<(u32, Vec<u8>, u32)> = Vec::new();
            let bits = 8 * data_size as u64;
            // Few distinct high bytes, so prefixes overlap often.
            let random_data = |rng: &mut Rng| -> Vec<u8> {
                (0..data_size)
                    .map(|i| {
                        if i == 0 {
                            (rng.next() % 4) as u8
                        } else {
                            rng.next() as u8
                        }
                    })
                    .collect()
            };
            for step in 0..3000u32 {
                let len = (rng.next() % (bits + 1)) as u32;
                let data = random_data(&mut rng);
                let same = |(l, d, _): &(u32, Vec<u8>, u32)| {
                    *l == len && masked(d, len) == masked(&data, len)
                };
                match rng.next() % 3 {
                    0 => {
                        let expected = match model.iter().position(same) {
                            Some(i) => {
                                model[i].2 = step;
                                Ok(())
                            }
                            None if model.len() < max_entries as usize => {
                                model.push((len, data.clone(), step));
                                Ok(())
                            }
                            None => Err(MapErrorKind::NoSpace { max_entries }),
                        };
                        assert_eq!(put(&t, len, &data, step), expected);
                    }
                    1 => {
                        let expected = match model.iter().position(same) {
                            Some(i) => {
                                model.remove(i);
                                Ok(())
                            }
                            None => Err(MapErrorKind::NotFound),
                        };
                        assert_eq!(t.delete(&key(len, &data)), expected);
                    }
                    _ => {
                        let lookup_len = if rng.next().is_multiple_of(2) {
                            bits as u32
                        } else {
                            len
                        };
                        assert_eq!(
                            get(&t, lookup_len, &data),
                            reference_lookup(&model, lookup_len, &data),
                            "data size {data_size}, step {step}"
                        );
                    }
                }
                assert_eq!(t.entries().len(), model.len());
            }
        }
    }
}
