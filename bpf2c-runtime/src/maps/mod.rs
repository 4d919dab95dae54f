//! The map implementations and the one object programs hold a pointer to.
//!
//! A program's map handle (`bpf2c_map_data_t.address`, what a 64-bit map load puts in a
//! register) is the address of a [`Map`]. Helpers and the per-type lookup functions turn it
//! back into a `&Map`; the verifier proved the register holds a map handle, so the runtime
//! trusts it, as Linux does.

pub(crate) mod array;
pub(crate) mod devmap;
pub(crate) mod hash;
pub(crate) mod lpm_trie;
pub(crate) mod map_of_maps;
pub(crate) mod perf_event;
pub(crate) mod prog_array;
pub(crate) mod queue;
pub(crate) mod ringbuf;
pub(crate) mod shared;

use std::ffi::c_void;

use crate::error::MapErrorKind;
use crate::ffi;
use crate::module::MAX_KEY_SIZE;
use crate::types::{MapSpec, MapType, UpdateFlags};

pub(crate) use array::ArrayMap;
pub(crate) use hash::HashMapStorage;
pub(crate) use lpm_trie::LpmTrie;
pub(crate) use map_of_maps::MapOfMaps;
pub(crate) use perf_event::PerfEventArray;
pub(crate) use prog_array::ProgArray;
pub(crate) use queue::QueueStack;
pub(crate) use ringbuf::RingBuf;

/// Where the bytes of an update come from, and which CPU slots they go to.
#[derive(Clone, Copy)]
pub(crate) enum Values<'a> {
    /// A program's update: `value_size` bytes at this address, for the running CPU slot
    /// only (Linux semantics for per-CPU maps); a new per-CPU element's other slots are
    /// zeroed.
    Program { ptr: *const u8, cpu: usize },
    /// A host update with one value: every CPU slot gets it.
    Broadcast(&'a [u8]),
    /// A host update with one value per CPU slot, concatenated.
    PerCpu(&'a [u8]),
}

impl Values<'_> {
    /// Writes the values of one element.
    ///
    /// # Safety
    /// `slot(c)` must return an 8-byte aligned pointer valid for `value_size` bytes for
    /// every `c < cpus`, and the source must be valid as its variant describes.
    pub(crate) unsafe fn write(
        self,
        cpus: usize,
        value_size: usize,
        fresh: bool,
        slot: impl Fn(usize) -> *mut u8,
    ) {
        match self {
            Values::Program { ptr, cpu } => {
                for c in 0..cpus {
                    if c == cpu || cpus == 1 {
                        // SAFETY: `slot(c)` is aligned and valid for value_size bytes, and
                        // the program's `ptr` readable for as many (this function's contract).
                        unsafe { shared::store_from_ptr(slot(c), ptr, value_size) };
                    } else if fresh {
                        // SAFETY: `slot(c)` is aligned and valid for value_size bytes.
                        unsafe { shared::zero(slot(c), value_size) };
                    }
                }
            }
            Values::Broadcast(v) => {
                for c in 0..cpus {
                    // SAFETY: `slot(c)` is aligned and valid for value_size bytes, which a
                    // host value has (MapRef checks its length before it builds a Values).
                    unsafe { shared::store(slot(c), v) };
                }
            }
            Values::PerCpu(v) => {
                for c in 0..cpus {
                    let value = &v[c * value_size..(c + 1) * value_size];
                    // SAFETY: `slot(c)` is aligned and valid for value_size bytes, the
                    // length of `value`.
                    unsafe { shared::store(slot(c), value) };
                }
            }
        }
    }
}

pub(crate) enum MapKind {
    Array(ArrayMap),
    Hash(HashMapStorage),
    ProgArray(ProgArray),
    // Family "maps" (issue 10).
    LpmTrie(LpmTrie),
    QueueStack(QueueStack),
    PerfEventArray(PerfEventArray),
    RingBuf(RingBuf),
    /// ARRAY_OF_MAPS and HASH_OF_MAPS.
    MapOfMaps(MapOfMaps),
}

/// One map of an instance. The instance never moves it, so its address is a stable handle.
pub(crate) struct Map {
    pub spec: MapSpec,
    pub kind: MapKind,
}

/// Bytes the runtime would allocate for a map, or None if that overflows.
pub(crate) fn footprint(spec: &MapSpec, cpus: usize) -> Option<usize> {
    let entries = match (spec.map_type, spec.max_entries) {
        // One perf buffer per CPU slot (see Map::create).
        (MapType::PerfEventArray, 0) => cpus,
        (_, n) => n as usize,
    };
    let cpus = if spec.map_type.is_per_cpu() { cpus } else { 1 };
    match spec.map_type {
        MapType::Array | MapType::PercpuArray => {
            entries.checked_mul(spec.stride())?.checked_mul(cpus)
        }
        MapType::ProgArray => entries.checked_mul(4),
        MapType::Hash
        | MapType::PercpuHash
        | MapType::LruHash
        | MapType::LruPercpuHash
        | MapType::Devmap
        | MapType::Cpumap
        | MapType::Xskmap
        | MapType::DevmapHash => {
            let values = entries.checked_mul(spec.stride())?.checked_mul(cpus)?;
            values.checked_add(hash::index_bytes(spec.max_entries, spec.key_size)?)
        }
        // Family "maps" (issue 10): the most each can grow to.
        MapType::LpmTrie => {
            let per_entry = spec.stride() + 2 * spec.key_size as usize + 64;
            entries.checked_mul(per_entry)
        }
        MapType::Queue | MapType::Stack => entries.checked_mul(spec.value_size as usize + 24),
        MapType::PerfEventArray => entries.checked_mul(perf_event::BUFFER_BYTES),
        MapType::RingBuf => entries.checked_mul(2),
        // A slot's address, or a hash key and its address (inner maps count on their own).
        MapType::ArrayOfMaps => entries.checked_mul(8),
        MapType::HashOfMaps => entries.checked_mul(spec.key_size as usize + 32),
    }
}

impl Map {
    /// Creates the map's storage; the caller has checked the footprint against its limit.
    pub fn create(mut spec: MapSpec, cpus: usize, program_count: usize) -> Result<Map, String> {
        if spec.map_type == MapType::PerfEventArray && spec.max_entries == 0 {
            // libbpf's rule: one perf buffer per CPU.
            spec.max_entries = u32::try_from(cpus).unwrap_or(u32::MAX);
        }
        let nomem = || "the allocator refused the map's memory".to_string();
        let kind = match spec.map_type {
            MapType::Array | MapType::PercpuArray => {
                let cpus = if spec.map_type.is_per_cpu() { cpus } else { 1 };
                let array = ArrayMap::new(&spec, cpus).ok_or_else(nomem)?;
                if !spec.initial_data.is_empty() {
                    array.initialise(&spec.initial_data);
                }
                MapKind::Array(array)
            }
            MapType::Hash | MapType::PercpuHash | MapType::LruHash | MapType::LruPercpuHash => {
                let cpus = if spec.map_type.is_per_cpu() { cpus } else { 1 };
                MapKind::Hash(HashMapStorage::new(&spec, cpus).ok_or_else(nomem)?)
            }
            // Redirect targets keep u32-keyed entries in the hash storage (maps/devmap.rs).
            MapType::Devmap | MapType::Cpumap | MapType::Xskmap | MapType::DevmapHash => {
                devmap::validate(&spec)?;
                MapKind::Hash(HashMapStorage::new(&spec, 1).ok_or_else(nomem)?)
            }
            MapType::LpmTrie => MapKind::LpmTrie(LpmTrie::new(&spec)),
            MapType::Queue => MapKind::QueueStack(QueueStack::new(&spec, false)),
            MapType::Stack => MapKind::QueueStack(QueueStack::new(&spec, true)),
            MapType::PerfEventArray => {
                MapKind::PerfEventArray(PerfEventArray::new(spec.max_entries))
            }
            MapType::RingBuf => MapKind::RingBuf(RingBuf::new(&spec).ok_or_else(nomem)?),
            MapType::ArrayOfMaps | MapType::HashOfMaps => {
                return Err(format!(
                    "a {} is created with its inner map template (Map::create_map_of_maps)",
                    spec.map_type
                ))
            }
            MapType::ProgArray => {
                let slots = ProgArray::new(&spec, program_count);
                for &(index, program) in &spec.initial_programs {
                    slots
                        .set(index, program)
                        .map_err(|e| format!("initial program in slot {index}: {e:?}"))?;
                }
                MapKind::ProgArray(slots)
            }
        };
        Ok(Map { spec, kind })
    }

    /// Creates an empty ARRAY_OF_MAPS or HASH_OF_MAPS whose inner maps must match
    /// `template`.
    pub fn create_map_of_maps(spec: MapSpec, template: MapSpec) -> Map {
        let kind = MapKind::MapOfMaps(MapOfMaps::new(&spec, template));
        Map { spec, kind }
    }

    /// The handle programs use for this map.
    pub fn address(&self) -> *mut c_void {
        self as *const Map as *mut c_void
    }

    /// `bpf2c_map_data_t.array_data` and `.cpu_stride` for this map.
    pub fn array_view(&self) -> (*mut u8, u64) {
        match &self.kind {
            MapKind::Array(a) if self.spec.map_type.is_per_cpu() => {
                (a.base(), a.cpu_stride() as u64)
            }
            MapKind::Array(a) => (a.base(), 0),
            _ => (std::ptr::null_mut(), 0),
        }
    }

    /// The element stride of an array map's storage; None for other kinds.
    pub fn array_stride(&self) -> Option<u64> {
        match &self.kind {
            MapKind::Array(a) => Some(a.stride() as u64),
            _ => None,
        }
    }

    /// The type's own lookup function for `bpf2c_map_data_t.lookup`.
    pub fn lookup_fn(&self) -> Option<ffi::bpf2c_map_lookup_fn> {
        match self.kind {
            MapKind::Array(_) => Some(array_lookup),
            MapKind::Hash(_) => Some(hash_lookup),
            MapKind::LpmTrie(_) => Some(lpm_lookup),
            _ => None,
        }
    }

    /// The CPU slots that hold a value for each key.
    pub fn cpus(&self) -> usize {
        match &self.kind {
            MapKind::Array(a) => a.cpus(),
            MapKind::Hash(h) => h.cpus(),
            _ => 1,
        }
    }

    /// A program's lookup: the value for `cpu`, or NULL.
    ///
    /// # Safety
    /// `key` is readable for the map's key size.
    pub unsafe fn program_lookup(&self, key: *const u8, cpu: u32) -> *mut u8 {
        match &self.kind {
            // SAFETY: an array key is 4 readable bytes (this function's contract).
            MapKind::Array(a) => a.element(unsafe { read_index(key) }, cpu as usize),
            // SAFETY: the key is readable for the map's key size (this function's contract).
            MapKind::Hash(h) => unsafe { h.lookup_raw(key, cpu as usize) },
            // SAFETY: the key is readable for the map's key size (this function's contract).
            MapKind::LpmTrie(t) => unsafe { t.lookup_raw(key) },
            // The inner map's handle, which the program passes to the map helpers.
            // SAFETY: the key is readable for the map's key size (this function's contract).
            MapKind::MapOfMaps(m) => unsafe { m.lookup_raw(key, self.spec.key_size) },
            // Linux's lookup of queues, stacks and event maps gives NULL to programs.
            _ => std::ptr::null_mut(),
        }
    }

    /// A program's update.
    ///
    /// # Safety
    /// `key` and `value` are readable for the map's key and value sizes.
    pub unsafe fn program_update(
        &self,
        key: *const u8,
        value: *const u8,
        flags: u64,
        cpu: u32,
    ) -> Result<(), MapErrorKind> {
        if self.spec.map_type.is_redirect_target() || self.spec.map_type.is_map_of_maps() {
            // Linux's verifier keeps programs from changing redirect maps and maps of maps;
            // only the host can.
            return Err(self.unsupported("updates from programs"));
        }
        let flags = UpdateFlags::from_raw(flags).ok_or(MapErrorKind::BadFlags(flags))?;
        let src = Values::Program {
            ptr: value,
            cpu: cpu as usize,
        };
        match &self.kind {
            MapKind::Array(a) => {
                // SAFETY: an array key is 4 readable bytes (this function's contract).
                let index = unsafe { read_index(key) };
                // SAFETY: a program source is readable for the value size (ditto).
                unsafe { a.update(index, src, flags) }
            }
            MapKind::Hash(h) => {
                // SAFETY: a program source is readable for the value size (this function's
                // contract); the key is the Rust copy with_key made.
                let update = |k: &[u8]| unsafe { h.update(k, src, flags) };
                // SAFETY: the key is readable for the map's key size (ditto).
                unsafe { with_key(key, self.spec.key_size, update) }
            }
            // Linux programs cannot change a program array; only the host can.
            MapKind::ProgArray(_) => Err(self.unsupported("updates from programs")),
            MapKind::LpmTrie(t) => {
                // SAFETY: as for hash maps.
                let update = |k: &[u8]| unsafe { t.update(k, src, flags) };
                // SAFETY: the key is readable for the map's key size (ditto).
                unsafe { with_key(key, self.spec.key_size, update) }
            }
            _ => Err(self.unsupported("update")),
        }
    }

    /// A program's delete.
    ///
    /// # Safety
    /// `key` is readable for the map's key size.
    pub unsafe fn program_delete(&self, key: *const u8) -> Result<(), MapErrorKind> {
        if self.spec.map_type.is_redirect_target() || self.spec.map_type.is_map_of_maps() {
            return Err(self.unsupported("deletes from programs"));
        }
        match &self.kind {
            MapKind::Array(_) => Err(self.unsupported("delete")),
            // SAFETY: the key is readable for the map's key size (this function's contract).
            MapKind::Hash(h) => unsafe { with_key(key, self.spec.key_size, |k| h.delete(k)) },
            MapKind::ProgArray(_) => Err(self.unsupported("deletes from programs")),
            // SAFETY: the key is readable for the map's key size (this function's contract).
            MapKind::LpmTrie(t) => unsafe { with_key(key, self.spec.key_size, |k| t.delete(k)) },
            _ => Err(self.unsupported("delete")),
        }
    }

    pub fn unsupported(&self, operation: &'static str) -> MapErrorKind {
        MapErrorKind::Unsupported {
            operation,
            map_type: self.spec.map_type,
        }
    }
}

/// Array keys are u32 indexes in host byte order; programs may keep them unaligned.
///
/// # Safety
/// `key` is readable for 4 bytes.
unsafe fn read_index(key: *const u8) -> u32 {
    // SAFETY: the caller vouches for 4 readable bytes; read_unaligned takes any alignment.
    unsafe { key.cast::<u32>().read_unaligned() }
}

/// Copies a program's key out of its memory before the map looks at it, so no Rust
/// reference to program memory is ever formed.
///
/// # Safety
/// `key` is readable for `key_size` bytes.
unsafe fn with_key<R>(key: *const u8, key_size: u32, f: impl FnOnce(&[u8]) -> R) -> R {
    let mut buf = [0u8; MAX_KEY_SIZE as usize];
    let len = (key_size as usize).min(buf.len());
    // SAFETY: `len <= key_size` bytes are readable at `key` (caller) and fit `buf`, a local
    // that program memory cannot overlap.
    unsafe { std::ptr::copy_nonoverlapping(key, buf.as_mut_ptr(), len) };
    f(&buf[..len])
}

/// The map behind a handle that generated code passes to a lookup function.
///
/// # Safety
/// `map` is NULL or a handle from [`Map::address`] of a map that outlives `'a`: generated
/// code passes `bpf2c_map_data_t.address`, which the instance set to one of its maps, and
/// the instance outlives every run.
unsafe fn map_from_handle<'a>(map: *mut c_void) -> Option<&'a Map> {
    // SAFETY: a non-NULL handle is the address of a live Map (the caller's contract); Map
    // is only ever read through shared references after the instance is built.
    unsafe { map.cast::<Map>().cast_const().as_ref() }
}

/// `bpf2c_map_data_t.lookup` of ARRAY and PERCPU_ARRAY maps.
///
/// # Safety
/// `map` is NULL or a map handle ([`map_from_handle`]); `key` is NULL or readable for 4
/// bytes, which the verifier proved of every key a program passes.
unsafe extern "C" fn array_lookup(map: *mut c_void, key: *const c_void, cpu: u32) -> *mut c_void {
    if key.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: the handle comes from generated code (this function's contract).
    match unsafe { map_from_handle(map) }.map(|m| &m.kind) {
        Some(MapKind::Array(a)) => {
            // SAFETY: an array key is 4 readable bytes (this function's contract).
            let index = unsafe { read_index(key.cast()) };
            a.element(index, cpu as usize).cast()
        }
        _ => std::ptr::null_mut(),
    }
}

/// `bpf2c_map_data_t.lookup` of the hash map types.
///
/// # Safety
/// `map` is NULL or a map handle ([`map_from_handle`]); `key` is NULL or readable for the
/// map's key size, which the verifier proved of every key a program passes.
unsafe extern "C" fn hash_lookup(map: *mut c_void, key: *const c_void, cpu: u32) -> *mut c_void {
    if key.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: the handle comes from generated code (this function's contract).
    match unsafe { map_from_handle(map) }.map(|m| &m.kind) {
        // SAFETY: the key is readable for the map's key size (this function's contract).
        Some(MapKind::Hash(h)) => unsafe { h.lookup_raw(key.cast(), cpu as usize) }.cast(),
        _ => std::ptr::null_mut(),
    }
}

/// `bpf2c_map_data_t.lookup` of LPM_TRIE maps.
///
/// # Safety
/// As for [`hash_lookup`].
unsafe extern "C" fn lpm_lookup(map: *mut c_void, key: *const c_void, _cpu: u32) -> *mut c_void {
    if key.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: the handle comes from generated code (this function's contract).
    match unsafe { map_from_handle(map) }.map(|m| &m.kind) {
        // SAFETY: the key is readable for the map's key size (this function's contract).
        Some(MapKind::LpmTrie(t)) => unsafe { t.lookup_raw(key.cast()) }.cast(),
        _ => std::ptr::null_mut(),
    }
}

/// Linux's size and flag rules at map creation for `map_type`, as the loader applies them:
/// a message saying what is wrong, else Ok.
pub(crate) fn check_sizes(
    map_type: MapType,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
    map_flags: u32,
) -> Result<(), String> {
    if map_type.is_map_of_maps() && value_size != 4 {
        return Err(format!(
            "{map_type} holds 4-byte map references as values, not {value_size} bytes"
        ));
    }
    match map_type {
        // Family "maps" (issue 10): types whose key or value may be absent.
        MapType::RingBuf => return ringbuf::check_definition(key_size, value_size, max_entries),
        MapType::Queue | MapType::Stack => {
            queue::check_definition(key_size, map_flags)?;
            if value_size == 0 || max_entries == 0 {
                return Err(format!(
                    "{map_type} needs a value size and max_entries, not {value_size} and \
                     {max_entries}"
                ));
            }
            return Ok(());
        }
        MapType::PerfEventArray => {
            // max_entries 0 means one buffer per CPU slot, as libbpf makes it.
            if key_size != 4 || value_size != 4 {
                return Err(format!(
                    "{map_type} needs 4-byte keys and values, not {key_size} and {value_size}"
                ));
            }
            return Ok(());
        }
        MapType::LpmTrie => lpm_trie::check_definition(key_size, map_flags)?,
        _ => {}
    }
    for (what, value) in [
        ("key_size", key_size),
        ("value_size", value_size),
        ("max_entries", max_entries),
    ] {
        if value == 0 {
            return Err(format!("{what} is 0"));
        }
    }
    if map_type.has_index_keys() && key_size != 4 {
        return Err(format!("{map_type} needs 4-byte keys, not {key_size}"));
    }
    Ok(())
}
