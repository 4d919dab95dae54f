//! ARRAY_OF_MAPS and HASH_OF_MAPS: maps whose values are other maps of the instance.
//!
//! A slot holds the handle of an inner map (the address of its [`Map`], what a map load
//! puts in a register), or nothing. A program's lookup returns that handle, or NULL for an
//! empty slot, and the program passes it as the map argument of the map helpers, as in
//! Linux. Only the host sets and clears slots: Linux's verifier lets programs look maps of
//! maps up but not change them.
//!
//! Every inner map is a map of the instance (one of the module's maps, or one the host
//! created from the template with `Instance::new_inner_map`), and the instance frees none of
//! them before it is dropped. So a handle a program looked up stays valid for the rest of
//! its run even when the host swaps the slot meanwhile: Linux's RCU guarantee, kept here by
//! never freeing.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::RwLock;

use crate::error::MapErrorKind;
use crate::types::{MapSpec, MapType, UpdateFlags};

use super::{read_index, with_key, Map};

/// The slots of one map of maps, holding inner map addresses (0 for none).
pub(crate) struct MapOfMaps {
    /// The definition every inner map must match.
    template: MapSpec,
    slots: Slots,
}

enum Slots {
    /// ARRAY_OF_MAPS: one slot per index below max_entries.
    Array(Box<[AtomicUsize]>),
    /// HASH_OF_MAPS: at most max_entries keys.
    Hash {
        max_entries: u32,
        entries: RwLock<HashMap<Box<[u8]>, usize>>,
    },
}

impl MapOfMaps {
    /// Empty slots for `spec`, whose inner maps must match `template`.
    pub fn new(spec: &MapSpec, template: MapSpec) -> MapOfMaps {
        let slots = match spec.map_type {
            MapType::ArrayOfMaps => {
                Slots::Array((0..spec.max_entries).map(|_| AtomicUsize::new(0)).collect())
            }
            _ => Slots::Hash {
                max_entries: spec.max_entries,
                entries: RwLock::new(HashMap::new()),
            },
        };
        MapOfMaps { template, slots }
    }

    /// The definition every inner map must match.
    pub fn template(&self) -> &MapSpec {
        &self.template
    }

    /// Why `inner` cannot be an inner map of this map, or Ok. Linux's rule
    /// (`bpf_map_meta_equal`): the same type, key size, value size and map flags, and for
    /// arrays the same max_entries unless the template has BPF_F_INNER_MAP.
    pub fn check_compatible(&self, inner: &MapSpec) -> Result<(), String> {
        let t = &self.template;
        if inner.is_global_data() {
            return Err(format!(
                "'{}' is global data, which cannot be an inner map",
                inner.name
            ));
        }
        let mut differences = Vec::new();
        if inner.map_type != t.map_type {
            differences.push(format!("type {} (needs {})", inner.map_type, t.map_type));
        }
        for (what, got, wanted) in [
            ("key_size", inner.key_size, t.key_size),
            ("value_size", inner.value_size, t.value_size),
        ] {
            if got != wanted {
                differences.push(format!("{what} {got} (needs {wanted})"));
            }
        }
        if inner.map_flags != t.map_flags {
            differences.push(format!(
                "map_flags {:#x} (needs {:#x})",
                inner.map_flags, t.map_flags
            ));
        }
        let any_size = t.map_flags & bpf2c_abi::map::map_flags::BPF_F_INNER_MAP != 0;
        if t.map_type.is_array() && !any_size && inner.max_entries != t.max_entries {
            differences.push(format!(
                "max_entries {} (needs {}, as the template has no BPF_F_INNER_MAP)",
                inner.max_entries, t.max_entries
            ));
        }
        if differences.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "map '{}' does not match the inner map template '{}': {}",
                inner.name,
                t.name,
                differences.join(", ")
            ))
        }
    }

    /// A program's lookup: the inner map's handle, or NULL.
    ///
    /// # Safety
    /// `key` is readable for the map's key size (4 bytes for an ARRAY_OF_MAPS).
    pub unsafe fn lookup_raw(&self, key: *const u8, key_size: u32) -> *mut u8 {
        let address = match &self.slots {
            // SAFETY: an array key is 4 readable bytes (this function's contract).
            Slots::Array(slots) => slots
                .get(unsafe { read_index(key) } as usize)
                .map_or(0, |s| s.load(Ordering::Acquire)),
            // SAFETY: the key is readable for the key size (this function's contract).
            Slots::Hash { entries, .. } => unsafe {
                with_key(key, key_size, |k| {
                    read(entries).get(k).copied().unwrap_or(0)
                })
            },
        };
        address as *mut u8
    }

    /// The inner map address at `key` (a checked host key), if the slot is set.
    pub fn get(&self, key: &[u8]) -> Option<usize> {
        let address = match &self.slots {
            Slots::Array(slots) => slots
                .get(index(key) as usize)
                .map_or(0, |s| s.load(Ordering::Acquire)),
            Slots::Hash { entries, .. } => read(entries).get(key).copied().unwrap_or(0),
        };
        (address != 0).then_some(address)
    }

    /// Sets `key` to the inner map `inner` (whose compatibility the caller checked), with
    /// Linux's flag rules: an ARRAY_OF_MAPS takes only BPF_ANY (EINVAL otherwise), a
    /// HASH_OF_MAPS all three, and E2BIG when full.
    pub fn set(&self, key: &[u8], inner: &Map, flags: UpdateFlags) -> Result<(), MapErrorKind> {
        let address = inner.address() as usize;
        match &self.slots {
            Slots::Array(slots) => {
                if flags != UpdateFlags::Any {
                    return Err(MapErrorKind::BadFlags(flags.raw()));
                }
                let i = index(key);
                let slot = slots.get(i as usize).ok_or(MapErrorKind::IndexOutOfRange {
                    index: i,
                    max_entries: slots.len() as u32,
                })?;
                slot.store(address, Ordering::Release);
                Ok(())
            }
            Slots::Hash {
                max_entries,
                entries,
            } => {
                let mut entries = write(entries);
                let present = entries.contains_key(key);
                match flags {
                    UpdateFlags::NoExist if present => return Err(MapErrorKind::Exists),
                    UpdateFlags::Exist if !present => return Err(MapErrorKind::NotFound),
                    _ => {}
                }
                if !present && entries.len() >= *max_entries as usize {
                    return Err(MapErrorKind::Full {
                        max_entries: *max_entries,
                    });
                }
                entries.insert(key.into(), address);
                Ok(())
            }
        }
    }

    /// Empties `key`'s slot: ENOENT when it holds no map (E2BIG past an array's end, as in
    /// Linux).
    pub fn remove(&self, key: &[u8]) -> Result<(), MapErrorKind> {
        match &self.slots {
            Slots::Array(slots) => {
                let i = index(key);
                let slot = slots.get(i as usize).ok_or(MapErrorKind::IndexOutOfRange {
                    index: i,
                    max_entries: slots.len() as u32,
                })?;
                match slot.swap(0, Ordering::AcqRel) {
                    0 => Err(MapErrorKind::NotFound),
                    _ => Ok(()),
                }
            }
            Slots::Hash { entries, .. } => match write(entries).remove(key) {
                Some(_) => Ok(()),
                None => Err(MapErrorKind::NotFound),
            },
        }
    }

    /// Every set slot as (key, inner map address): arrays in index order, hashes in key
    /// order.
    pub fn entries(&self) -> Vec<(Vec<u8>, usize)> {
        match &self.slots {
            Slots::Array(slots) => slots
                .iter()
                .enumerate()
                .filter_map(|(i, s)| {
                    let a = s.load(Ordering::Acquire);
                    (a != 0).then(|| ((i as u32).to_ne_bytes().to_vec(), a))
                })
                .collect(),
            Slots::Hash { entries, .. } => {
                let mut all: Vec<(Vec<u8>, usize)> = read(entries)
                    .iter()
                    .map(|(k, &a)| (k.to_vec(), a))
                    .collect();
                all.sort();
                all
            }
        }
    }
}

/// An ARRAY_OF_MAPS key (4 bytes, checked by the caller) as an index.
fn index(key: &[u8]) -> u32 {
    u32::from_ne_bytes([key[0], key[1], key[2], key[3]])
}

/// The hash slots for reading. A panic while the lock was held cannot leave the map
/// half-changed (every change is one insert or remove), so a poisoned lock is still good.
fn read(
    entries: &RwLock<HashMap<Box<[u8]>, usize>>,
) -> std::sync::RwLockReadGuard<'_, HashMap<Box<[u8]>, usize>> {
    entries.read().unwrap_or_else(|p| p.into_inner())
}

fn write(
    entries: &RwLock<HashMap<Box<[u8]>, usize>>,
) -> std::sync::RwLockWriteGuard<'_, HashMap<Box<[u8]>, usize>> {
    entries.write().unwrap_or_else(|p| p.into_inner())
}

/// Checks, when a module is read, that every map of maps names an inner map template that
/// exists and can be one: Err holds the culprit map's name and the reason.
pub(crate) fn check_templates(maps: &[MapSpec]) -> Result<(), (String, String)> {
    for spec in maps {
        let Some(t) = spec.inner_map else { continue };
        let fail = |reason: String| Err((spec.name.clone(), reason));
        let Some(template) = maps.get(t) else {
            return fail(format!(
                "its inner map template is map {t}, but the module has {} maps",
                maps.len()
            ));
        };
        if template.map_type.is_map_of_maps() {
            return fail(format!(
                "its inner map template '{}' is itself a {}; Linux allows one level of \
                 nesting only",
                template.name, template.map_type
            ));
        }
        if template.map_type == MapType::ProgArray || template.map_type.is_event_output() {
            return fail(format!(
                "its inner map template '{}' is a {}, which cannot be an inner map here",
                template.name, template.map_type
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn spec(name: &str, map_type: MapType, max_entries: u32) -> MapSpec {
        MapSpec {
            name: name.into(),
            map_type,
            key_size: 4,
            value_size: if map_type.is_map_of_maps() { 4 } else { 8 },
            max_entries,
            map_flags: 0,
            flags: 0,
            initial_data: Vec::new(),
            initial_programs: Vec::new(),
            inner_map: None,
        }
    }

    fn inner(name: &str, max_entries: u32) -> Map {
        Map::create(spec(name, MapType::Array, max_entries), 1, 0).unwrap()
    }

    #[test]
    fn array_slots_start_empty_and_take_only_bpf_any() {
        let outer = spec("outer", MapType::ArrayOfMaps, 2);
        let m = MapOfMaps::new(&outer, spec("t", MapType::Array, 4));
        let a = inner("a", 4);
        let key = 1u32.to_ne_bytes();
        // SAFETY: a 4-byte key.
        assert!(unsafe { m.lookup_raw(key.as_ptr(), 4) }.is_null());
        assert_eq!(m.set(&key, &a, UpdateFlags::Any), Ok(()));
        // SAFETY: as above.
        let found = unsafe { m.lookup_raw(key.as_ptr(), 4) };
        assert_eq!(found as usize, a.address() as usize);
        assert_eq!(
            m.set(&key, &a, UpdateFlags::NoExist),
            Err(MapErrorKind::BadFlags(1))
        );
        assert_eq!(
            m.set(&2u32.to_ne_bytes(), &a, UpdateFlags::Any),
            Err(MapErrorKind::IndexOutOfRange {
                index: 2,
                max_entries: 2
            })
        );
        assert_eq!(m.entries(), vec![(key.to_vec(), a.address() as usize)]);
        assert_eq!(m.remove(&key), Ok(()));
        assert_eq!(m.remove(&key), Err(MapErrorKind::NotFound));
        // SAFETY: as above.
        assert!(unsafe { m.lookup_raw(key.as_ptr(), 4) }.is_null());
    }

    #[test]
    fn hash_slots_follow_the_update_flags_and_fill_up() {
        let outer = spec("outer", MapType::HashOfMaps, 2);
        let m = MapOfMaps::new(&outer, spec("t", MapType::Array, 4));
        let (a, b) = (inner("a", 4), inner("b", 4));
        let k = |i: u32| i.to_ne_bytes();
        assert_eq!(
            m.set(&k(7), &a, UpdateFlags::Exist),
            Err(MapErrorKind::NotFound)
        );
        assert_eq!(m.set(&k(7), &a, UpdateFlags::NoExist), Ok(()));
        assert_eq!(
            m.set(&k(7), &b, UpdateFlags::NoExist),
            Err(MapErrorKind::Exists)
        );
        assert_eq!(m.set(&k(7), &b, UpdateFlags::Exist), Ok(()));
        assert_eq!(m.get(&k(7)), Some(b.address() as usize));
        assert_eq!(m.set(&k(9), &a, UpdateFlags::Any), Ok(()));
        assert_eq!(
            m.set(&k(10), &a, UpdateFlags::Any),
            Err(MapErrorKind::Full { max_entries: 2 })
        );
        assert_eq!(m.remove(&k(9)), Ok(()));
        assert_eq!(m.get(&k(9)), None);
        assert_eq!(m.remove(&k(9)), Err(MapErrorKind::NotFound));
    }

    #[test]
    fn compatibility_is_linux_meta_equality() {
        let outer = spec("outer", MapType::ArrayOfMaps, 2);
        let m = MapOfMaps::new(&outer, spec("t", MapType::Array, 4));
        assert_eq!(m.check_compatible(&spec("ok", MapType::Array, 4)), Ok(()));
        let e = m
            .check_compatible(&spec("h", MapType::Hash, 4))
            .unwrap_err();
        assert_eq!(
            e,
            "map 'h' does not match the inner map template 't': type BPF_MAP_TYPE_HASH \
             (needs BPF_MAP_TYPE_ARRAY)"
        );
        let e = m
            .check_compatible(&spec("small", MapType::Array, 3))
            .unwrap_err();
        assert!(e.contains("max_entries 3 (needs 4"), "{e}");
        let mut wide = spec("wide", MapType::Array, 4);
        wide.value_size = 16;
        let e = m.check_compatible(&wide).unwrap_err();
        assert!(e.ends_with("value_size 16 (needs 8)"), "{e}");
        // BPF_F_INNER_MAP lets array inner maps differ in size.
        let mut t = spec("t", MapType::Array, 4);
        t.map_flags = bpf2c_abi::map::map_flags::BPF_F_INNER_MAP;
        let m = MapOfMaps::new(&outer, t.clone());
        let mut small = spec("small", MapType::Array, 3);
        small.map_flags = t.map_flags;
        assert_eq!(m.check_compatible(&small), Ok(()));
        // Hash inner maps never compare max_entries.
        let m = MapOfMaps::new(&outer, spec("t", MapType::Hash, 4));
        assert_eq!(m.check_compatible(&spec("big", MapType::Hash, 64)), Ok(()));
    }

    #[test]
    fn templates_are_checked_when_the_module_is_read() {
        let mut outer = spec("outer", MapType::ArrayOfMaps, 2);
        outer.inner_map = Some(1);
        let ok = [outer.clone(), spec("t", MapType::Hash, 4)];
        assert_eq!(check_templates(&ok), Ok(()));
        let (map, why) = check_templates(&ok[..1]).unwrap_err();
        assert_eq!(map, "outer");
        assert!(why.contains("map 1, but the module has 1 maps"), "{why}");
        let nested = [outer.clone(), spec("t", MapType::HashOfMaps, 4)];
        let (_, why) = check_templates(&nested).unwrap_err();
        assert!(why.contains("one level of nesting"), "{why}");
    }
}
