//! The host's view of one map: typed, size-checked access with Linux's semantics.

use crate::error::{MapError, MapErrorKind};
use crate::maps::{Map, MapKind, Values};
use crate::types::{MapSpec, UpdateFlags};

use super::Instance;

/// A handle to one map of an instance. Safe to use while programs run on other threads;
/// values copied while a program writes them may mix old and new bytes, as in Linux.
#[derive(Clone, Copy)]
pub struct MapRef<'a> {
    instance: &'a Instance,
    map: &'a Map,
}

impl std::fmt::Debug for MapRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("MapRef").field(&self.map.spec).finish()
    }
}

impl<'a> MapRef<'a> {
    pub(crate) fn new(instance: &'a Instance, map: &'a Map) -> MapRef<'a> {
        MapRef { instance, map }
    }

    /// The map's name in the module (section name for global data).
    pub fn name(&self) -> &'a str {
        &self.map.spec.name
    }

    /// The map's definition as the module declared it.
    pub fn definition(&self) -> &'a MapSpec {
        &self.map.spec
    }

    /// Values per key: the instance's CPU slots for per-CPU maps, else 1.
    pub fn cpus(&self) -> usize {
        self.map.cpus()
    }

    /// Where element 0 of an array map lives (CPU slot 0 for per-CPU arrays): the
    /// `array_data` programs read. It never changes while the instance lives.
    pub fn array_data(&self) -> Option<*mut u8> {
        let (ptr, _) = self.map.array_view();
        (!ptr.is_null()).then_some(ptr)
    }

    fn err(&self, kind: MapErrorKind) -> MapError {
        MapError::new(&self.map.spec.name, kind)
    }

    /// The instance the map belongs to.
    pub(super) fn instance(&self) -> &'a Instance {
        self.instance
    }

    /// The map itself.
    pub(super) fn raw(&self) -> &'a Map {
        self.map
    }

    pub(super) fn check_key(&self, key: &[u8]) -> Result<(), MapError> {
        let expected = self.map.spec.key_size as usize;
        if key.len() != expected {
            return Err(self.err(MapErrorKind::KeySize {
                expected,
                got: key.len(),
            }));
        }
        Ok(())
    }

    fn index(key: &[u8]) -> u32 {
        u32::from_ne_bytes([key[0], key[1], key[2], key[3]])
    }

    /// The value of `key` in each CPU slot (one element for other maps). A program array
    /// reports the program index as a u32.
    pub fn lookup_percpu(&self, key: &[u8]) -> Result<Option<Vec<Vec<u8>>>, MapError> {
        self.check_key(key)?;
        Ok(match &self.map.kind {
            MapKind::Array(a) => a.read(Self::index(key)),
            MapKind::Hash(h) => h.get(key),
            MapKind::ProgArray(p) => p
                .get(Self::index(key))
                .map(|prog| vec![(prog as u32).to_ne_bytes().to_vec()]),
            MapKind::LpmTrie(t) => t.get(key).map(|v| vec![v]),
            MapKind::MapOfMaps(m) => self.map_of_maps_lookup(m, key).map(|v| vec![v]),
            // Linux's lookup of a queue or stack from the host is a peek.
            MapKind::QueueStack(q) => q.take(false).map(|v| vec![v]),
            MapKind::PerfEventArray(_) | MapKind::RingBuf(_) => {
                return Err(self.err(self.map.unsupported("lookup")))
            }
        })
    }

    /// The value of `key`; for per-CPU maps, every CPU slot's value concatenated
    /// (`value_size` bytes each, slot 0 first).
    pub fn lookup(&self, key: &[u8]) -> Result<Option<Vec<u8>>, MapError> {
        Ok(self.lookup_percpu(key)?.map(|values| values.concat()))
    }

    /// Creates or replaces a value. Per-CPU maps take either one value, given to every CPU
    /// slot, or one value per slot concatenated. A program array takes a u32 program index
    /// (see also [`MapRef::set_program`]). A map of maps takes the id ([`MapRef::id`]) of
    /// the inner map to hold, as a u32 (see also [`Instance::map_of_maps`]).
    pub fn update(&self, key: &[u8], value: &[u8], flags: UpdateFlags) -> Result<(), MapError> {
        let spec = &self.map.spec;
        if spec.is_read_only() {
            return Err(self.err(MapErrorKind::ReadOnly));
        }
        self.check_key(key)?;
        if spec.map_type.is_map_of_maps() {
            return self.map_of_maps_update(key, value, flags);
        }
        let size = spec.value_size as usize;
        let cpus = self.cpus();
        let src = if value.len() == size {
            Values::Broadcast(value)
        } else if spec.map_type.is_per_cpu() && value.len() == size * cpus {
            Values::PerCpu(value)
        } else {
            let mut expected = vec![size];
            if spec.map_type.is_per_cpu() && cpus > 1 {
                expected.push(size * cpus);
            }
            return Err(self.err(MapErrorKind::ValueSize {
                expected,
                got: value.len(),
            }));
        };
        if spec.map_type.is_redirect_target() {
            return crate::maps::devmap::host_update(self.map, key, value, flags)
                .map_err(|k| self.err(k));
        }
        // SAFETY: host sources are slices of the checked length.
        let result = unsafe {
            match &self.map.kind {
                MapKind::Array(a) => a.update(Self::index(key), src, flags),
                MapKind::Hash(h) => h.update(key, src, flags),
                MapKind::ProgArray(p) => {
                    // Linux only accepts BPF_ANY for program arrays.
                    if flags != UpdateFlags::Any {
                        Err(MapErrorKind::BadFlags(flags as u64))
                    } else {
                        p.set(Self::index(key), Self::index(value) as usize)
                    }
                }
                MapKind::LpmTrie(t) => t.update(key, src, flags),
                // Linux's update of a queue or stack from the host is a push.
                MapKind::QueueStack(q) => q.push(value, flags.raw()),
                MapKind::PerfEventArray(_) | MapKind::RingBuf(_) | MapKind::MapOfMaps(_) => {
                    Err(self.map.unsupported("update"))
                }
            }
        };
        result.map_err(|k| self.err(k))
    }

    /// Removes a key. Arrays cannot delete (EINVAL), as in Linux; a program array clears
    /// the slot, and so does a map of maps.
    pub fn delete(&self, key: &[u8]) -> Result<(), MapError> {
        self.check_key(key)?;
        if self.map.spec.map_type.is_redirect_target() {
            return crate::maps::devmap::host_delete(self.map, key).map_err(|k| self.err(k));
        }
        let result = match &self.map.kind {
            MapKind::Array(_) => Err(self.map.unsupported("delete")),
            MapKind::Hash(h) => h.delete(key),
            MapKind::ProgArray(p) => p.clear(Self::index(key)),
            MapKind::LpmTrie(t) => t.delete(key),
            MapKind::MapOfMaps(m) => m.remove(key),
            _ => Err(self.map.unsupported("delete")),
        };
        result.map_err(|k| self.err(k))
    }

    /// A snapshot of every entry as (key, value), values as [`MapRef::lookup`] returns
    /// them. Arrays list every index; hash maps their current keys in slot order; program
    /// arrays their set slots.
    pub fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        match &self.map.kind {
            MapKind::Array(a) => (0..a.max_entries())
                .filter_map(|i| a.read(i).map(|v| (i.to_ne_bytes().to_vec(), v.concat())))
                .collect(),
            MapKind::Hash(h) => h
                .entries()
                .into_iter()
                .map(|(k, v)| (k, v.concat()))
                .collect(),
            MapKind::ProgArray(p) => p
                .entries()
                .into_iter()
                .map(|(i, prog)| {
                    (
                        i.to_ne_bytes().to_vec(),
                        (prog as u32).to_ne_bytes().to_vec(),
                    )
                })
                .collect(),
            MapKind::LpmTrie(t) => t.entries(),
            // Keyless: the values in the order pops would take them.
            MapKind::QueueStack(q) => q.snapshot().into_iter().map(|v| (vec![], v)).collect(),
            MapKind::PerfEventArray(_) | MapKind::RingBuf(_) => Vec::new(),
            MapKind::MapOfMaps(m) => self.map_of_maps_entries(m),
        }
    }

    /// Iterates over a snapshot of the entries (see [`MapRef::entries`]).
    pub fn iter(&self) -> impl Iterator<Item = (Vec<u8>, Vec<u8>)> {
        self.entries().into_iter()
    }

    /// The keys of a snapshot of the entries.
    pub fn keys(&self) -> Vec<Vec<u8>> {
        self.entries().into_iter().map(|(k, _)| k).collect()
    }

    /// Copies `dst.len()` bytes at byte `offset` of array element `index` (CPU slot 0 of a
    /// per-CPU array): how a host reads one variable of a global-data section without
    /// copying the whole section.
    pub fn read_at(&self, index: u32, offset: usize, dst: &mut [u8]) -> Result<(), MapError> {
        let MapKind::Array(a) = &self.map.kind else {
            return Err(self.err(self.map.unsupported("read_at")));
        };
        self.check_range(index, offset, dst.len())?;
        a.read_range(index, 0, offset, dst);
        Ok(())
    }

    /// Writes `src` at byte `offset` of array element `index` (every CPU slot of a per-CPU
    /// array), leaving the other bytes of the value as they are, so a host can set one
    /// global variable while programs update others. Read-only maps refuse (EPERM).
    pub fn write_at(&self, index: u32, offset: usize, src: &[u8]) -> Result<(), MapError> {
        let MapKind::Array(a) = &self.map.kind else {
            return Err(self.err(self.map.unsupported("write_at")));
        };
        if self.map.spec.is_read_only() {
            return Err(self.err(MapErrorKind::ReadOnly));
        }
        self.check_range(index, offset, src.len())?;
        a.write_range(index, offset, src);
        Ok(())
    }

    fn check_range(&self, index: u32, offset: usize, len: usize) -> Result<(), MapError> {
        let spec = &self.map.spec;
        if index >= spec.max_entries {
            return Err(self.err(MapErrorKind::IndexOutOfRange {
                index,
                max_entries: spec.max_entries,
            }));
        }
        let size = spec.value_size as usize;
        if offset.checked_add(len).is_none_or(|end| end > size) {
            return Err(self.err(MapErrorKind::RangeOutOfValue {
                offset,
                len,
                value_size: size,
            }));
        }
        Ok(())
    }

    /// Points slot `index` of a program array at the named program of the same instance.
    pub fn set_program(&self, index: u32, program: &str) -> Result<(), MapError> {
        let MapKind::ProgArray(p) = &self.map.kind else {
            return Err(self.err(self.map.unsupported("set_program")));
        };
        let target = self
            .instance
            .image
            .programs()
            .iter()
            .position(|p| p.name == program)
            .ok_or_else(|| self.err(MapErrorKind::NoSuchProgram(program.to_string())))?;
        p.set(index, target).map_err(|k| self.err(k))
    }

    /// Pushes a value onto a QUEUE or STACK (`bpf_map_push_elem`'s semantics: E2BIG when
    /// full unless `flags` is BPF_EXIST, which drops the oldest value).
    pub fn push(&self, value: &[u8], flags: UpdateFlags) -> Result<(), MapError> {
        let MapKind::QueueStack(q) = &self.map.kind else {
            return Err(self.err(self.map.unsupported("push")));
        };
        if value.len() != q.value_size() {
            return Err(self.err(MapErrorKind::ValueSize {
                expected: vec![q.value_size()],
                got: value.len(),
            }));
        }
        q.push(value, flags.raw()).map_err(|k| self.err(k))
    }

    /// Removes and returns the next value of a QUEUE (oldest) or STACK (newest); ENOENT
    /// ([`MapErrorKind::Empty`]) when empty.
    pub fn pop(&self) -> Result<Vec<u8>, MapError> {
        self.take(true)
    }

    /// The value [`MapRef::pop`] would return, left in place.
    pub fn peek(&self) -> Result<Vec<u8>, MapError> {
        self.take(false)
    }

    fn take(&self, pop: bool) -> Result<Vec<u8>, MapError> {
        let MapKind::QueueStack(q) = &self.map.kind else {
            return Err(self.err(self.map.unsupported(if pop { "pop" } else { "peek" })));
        };
        q.take(pop).ok_or_else(|| self.err(MapErrorKind::Empty))
    }

    /// The map's storage, for the event consumers.
    pub(crate) fn kind(&self) -> &'a MapKind {
        &self.map.kind
    }
}
