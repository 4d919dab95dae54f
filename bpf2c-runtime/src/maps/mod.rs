//! The map implementations and the one object programs hold a pointer to.
//!
//! A program's map handle (`bpf2c_map_data_t.address`, what a 64-bit map load puts in a
//! register) is the address of a [`Map`]. Helpers and the per-type lookup functions turn it
//! back into a `&Map`; the verifier proved the register holds a map handle, so the runtime
//! trusts it, as Linux does.

pub(crate) mod array;
pub(crate) mod devmap;
pub(crate) mod hash;
pub(crate) mod prog_array;
pub(crate) mod shared;

use std::ffi::c_void;

use crate::error::MapErrorKind;
use crate::ffi;
use crate::module::MAX_KEY_SIZE;
use crate::types::{MapSpec, MapType, UpdateFlags};

pub(crate) use array::ArrayMap;
pub(crate) use hash::HashMapStorage;
pub(crate) use prog_array::ProgArray;

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
}

/// One map of an instance. The instance never moves it, so its address is a stable handle.
pub(crate) struct Map {
    pub spec: MapSpec,
    pub kind: MapKind,
}

/// Bytes the runtime would allocate for a map, or None if that overflows.
pub(crate) fn footprint(spec: &MapSpec, cpus: usize) -> Option<usize> {
    let entries = spec.max_entries as usize;
    let cpus = if spec.map_type.is_per_cpu() { cpus } else { 1 };
    match spec.map_type {
        MapType::Array | MapType::PercpuArray => {
            entries.checked_mul(spec.stride())?.checked_mul(cpus)
        }
        MapType::ProgArray => entries.checked_mul(4),
        MapType::Hash
        | MapType::PercpuHash
        | MapType::LruHash
        | MapType::Devmap
        | MapType::Cpumap
        | MapType::Xskmap
        | MapType::DevmapHash => {
            let values = entries.checked_mul(spec.stride())?.checked_mul(cpus)?;
            values.checked_add(hash::index_bytes(spec.max_entries, spec.key_size)?)
        }
    }
}

impl Map {
    /// Creates the map's storage; the caller has checked the footprint against its limit.
    pub fn create(spec: MapSpec, cpus: usize, program_count: usize) -> Result<Map, String> {
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
            MapType::Hash | MapType::PercpuHash | MapType::LruHash => {
                let cpus = if spec.map_type.is_per_cpu() { cpus } else { 1 };
                MapKind::Hash(HashMapStorage::new(&spec, cpus).ok_or_else(nomem)?)
            }
            // Redirect targets keep u32-keyed entries in the hash storage (maps/devmap.rs).
            MapType::Devmap | MapType::Cpumap | MapType::Xskmap | MapType::DevmapHash => {
                devmap::validate(&spec)?;
                MapKind::Hash(HashMapStorage::new(&spec, 1).ok_or_else(nomem)?)
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
            MapKind::ProgArray(_) => None,
        }
    }

    /// The CPU slots that hold a value for each key.
    pub fn cpus(&self) -> usize {
        match &self.kind {
            MapKind::Array(a) => a.cpus(),
            MapKind::Hash(h) => h.cpus(),
            MapKind::ProgArray(_) => 1,
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
            MapKind::ProgArray(_) => std::ptr::null_mut(),
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
        if self.spec.map_type.is_redirect_target() {
            // Linux's verifier keeps programs from changing redirect maps; only the host can.
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
        }
    }

    /// A program's delete.
    ///
    /// # Safety
    /// `key` is readable for the map's key size.
    pub unsafe fn program_delete(&self, key: *const u8) -> Result<(), MapErrorKind> {
        if self.spec.map_type.is_redirect_target() {
            return Err(self.unsupported("deletes from programs"));
        }
        match &self.kind {
            MapKind::Array(_) => Err(self.unsupported("delete")),
            // SAFETY: the key is readable for the map's key size (this function's contract).
            MapKind::Hash(h) => unsafe { with_key(key, self.spec.key_size, |k| h.delete(k)) },
            MapKind::ProgArray(_) => Err(self.unsupported("deletes from programs")),
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
