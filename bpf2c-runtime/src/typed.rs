//! Typed views of maps, programs and global data, for hosts that know the types a module
//! uses: what the bindings `bpf2c-build` generates are made of, and usable by hand too.
//!
//! Keys and values cross between the host and programs as bytes, so every type used here
//! must be [`Pod`]: plain bytes with no padding, valid for every bit pattern. The views
//! check at creation that the map's type and sizes match the Rust types, so a mismatch is an
//! error at load time instead of garbage later.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let instance: bpf2c_runtime::Instance = unimplemented!();
//! use bpf2c_runtime::typed::Array;
//! let counters: Array<'_, u64> = Array::new(instance.map("counters")?)?;
//! println!("{} packets", counters.get(0)?);
//! # Ok(()) }
//! ```

use std::marker::PhantomData;
use std::mem::size_of;

use crate::error::{MapError, MapErrorKind, RunError};
use crate::instance::{Instance, MapRef, Program};
use crate::types::{MapType, UpdateFlags};

/// Plain old data: a `Copy` type whose every byte is part of a field (no padding) and that
/// is valid for every bit pattern.
///
/// # Safety
/// Implement it only for types that are `#[repr(C)]` (or `#[repr(transparent)]`), have no
/// padding bytes, and contain only `Pod` fields. Integers, floats and arrays of `Pod` are
/// `Pod`; `bool`, `char`, references and pointers are not. The generated bindings implement
/// it for the structs they generate, whose padding is spelled out as byte-array fields.
pub unsafe trait Pod: Copy + 'static {}

macro_rules! pod {
    // SAFETY: primitive integers and floats have no padding and no invalid bit pattern.
    ($($t:ty)*) => { $(unsafe impl Pod for $t {})* };
}
pod!(u8 u16 u32 u64 u128 i8 i16 i32 i64 i128 f32 f64);
// SAFETY: an array of Pod has no padding between elements and no invalid bit pattern.
unsafe impl<T: Pod, const N: usize> Pod for [T; N] {}

/// The bytes of a value.
pub fn bytes_of<T: Pod>(value: &T) -> &[u8] {
    // SAFETY: Pod types have no padding, so every byte is initialised.
    unsafe { std::slice::from_raw_parts(value as *const T as *const u8, size_of::<T>()) }
}

/// A value from exactly `size_of::<T>()` bytes (any alignment), or None for another length.
pub fn from_bytes<T: Pod>(bytes: &[u8]) -> Option<T> {
    if bytes.len() != size_of::<T>() {
        return None;
    }
    // SAFETY: the length matches and every bit pattern is a valid T.
    Some(unsafe { (bytes.as_ptr() as *const T).read_unaligned() })
}

/// Decodes a value the runtime copied out of a map; the runtime checked the size, so a
/// mismatch here is a bug in this module.
fn decode<T: Pod>(bytes: &[u8]) -> T {
    match from_bytes(bytes) {
        Some(v) => v,
        None => unreachable!(
            "the map returned {} bytes for a {}-byte type",
            bytes.len(),
            size_of::<T>()
        ),
    }
}

fn check_type(
    map: &MapRef<'_>,
    accepted: &[MapType],
    wanted: &'static str,
) -> Result<(), MapError> {
    let map_type = map.definition().map_type;
    if accepted.contains(&map_type) {
        Ok(())
    } else {
        Err(MapError::new(
            map.name(),
            MapErrorKind::WrongMapType { wanted, map_type },
        ))
    }
}

fn check_sizes<K, V>(map: &MapRef<'_>) -> Result<(), MapError> {
    let def = map.definition();
    if def.key_size as usize != size_of::<K>() {
        return Err(MapError::new(
            map.name(),
            MapErrorKind::KeySize {
                expected: def.key_size as usize,
                got: size_of::<K>(),
            },
        ));
    }
    if def.value_size as usize != size_of::<V>() {
        return Err(MapError::new(
            map.name(),
            MapErrorKind::ValueSize {
                expected: vec![def.value_size as usize],
                got: size_of::<V>(),
            },
        ));
    }
    Ok(())
}

/// A `BPF_MAP_TYPE_ARRAY` of `V`, indexed by `u32`.
#[derive(Clone, Copy, Debug)]
pub struct Array<'a, V> {
    map: MapRef<'a>,
    _value: PhantomData<V>,
}

impl<'a, V: Pod> Array<'a, V> {
    /// Checks that `map` is an ARRAY with 4-byte keys and `size_of::<V>()`-byte values.
    pub fn new(map: MapRef<'a>) -> Result<Self, MapError> {
        check_type(&map, &[MapType::Array], "an ARRAY")?;
        check_sizes::<u32, V>(&map)?;
        Ok(Array {
            map,
            _value: PhantomData,
        })
    }

    /// The untyped handle.
    pub fn map(&self) -> MapRef<'a> {
        self.map
    }

    /// `max_entries`: every index below it exists.
    pub fn len(&self) -> u32 {
        self.map.definition().max_entries
    }

    /// Always false: an array's elements exist from the start.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value at `index` (E2BIG past the end, as Linux reports it).
    pub fn get(&self, index: u32) -> Result<V, MapError> {
        match self.map.lookup(&index.to_ne_bytes())? {
            Some(v) => Ok(decode(&v)),
            None => Err(MapError::new(
                self.map.name(),
                MapErrorKind::IndexOutOfRange {
                    index,
                    max_entries: self.len(),
                },
            )),
        }
    }

    /// Replaces the value at `index`.
    pub fn set(&self, index: u32, value: &V) -> Result<(), MapError> {
        self.map
            .update(&index.to_ne_bytes(), bytes_of(value), UpdateFlags::Any)
    }

    /// A snapshot of every value, index 0 first.
    pub fn values(&self) -> Vec<V> {
        self.map
            .entries()
            .into_iter()
            .map(|(_, v)| decode(&v))
            .collect()
    }
}

/// A `BPF_MAP_TYPE_PERCPU_ARRAY` of `V`: one value per CPU slot for every index.
#[derive(Clone, Copy, Debug)]
pub struct PerCpuArray<'a, V> {
    map: MapRef<'a>,
    _value: PhantomData<V>,
}

impl<'a, V: Pod> PerCpuArray<'a, V> {
    /// Checks that `map` is a PERCPU_ARRAY with 4-byte keys and `V`-sized values.
    pub fn new(map: MapRef<'a>) -> Result<Self, MapError> {
        check_type(&map, &[MapType::PercpuArray], "a PERCPU_ARRAY")?;
        check_sizes::<u32, V>(&map)?;
        Ok(PerCpuArray {
            map,
            _value: PhantomData,
        })
    }

    pub fn map(&self) -> MapRef<'a> {
        self.map
    }

    pub fn len(&self) -> u32 {
        self.map.definition().max_entries
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values at `index`, CPU slot 0 first.
    pub fn get(&self, index: u32) -> Result<Vec<V>, MapError> {
        match self.map.lookup_percpu(&index.to_ne_bytes())? {
            Some(values) => Ok(values.iter().map(|v| decode(v)).collect()),
            None => Err(MapError::new(
                self.map.name(),
                MapErrorKind::IndexOutOfRange {
                    index,
                    max_entries: self.len(),
                },
            )),
        }
    }

    /// Gives every CPU slot's value at `index` the same value.
    pub fn set(&self, index: u32, value: &V) -> Result<(), MapError> {
        self.map
            .update(&index.to_ne_bytes(), bytes_of(value), UpdateFlags::Any)
    }
}

/// The hash map types whose keys and values a [`HashMap`] can view.
const HASH_TYPES: [MapType; 2] = [MapType::Hash, MapType::LruHash];

/// A `BPF_MAP_TYPE_HASH` or `BPF_MAP_TYPE_LRU_HASH` from `K` to `V`.
#[derive(Clone, Copy, Debug)]
pub struct HashMap<'a, K, V> {
    map: MapRef<'a>,
    _types: PhantomData<(K, V)>,
}

impl<'a, K: Pod, V: Pod> HashMap<'a, K, V> {
    /// Checks that `map` is a HASH or LRU_HASH with `K`-sized keys and `V`-sized values.
    pub fn new(map: MapRef<'a>) -> Result<Self, MapError> {
        check_type(&map, &HASH_TYPES, "a HASH or LRU_HASH")?;
        check_sizes::<K, V>(&map)?;
        Ok(HashMap {
            map,
            _types: PhantomData,
        })
    }

    pub fn map(&self) -> MapRef<'a> {
        self.map
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &K) -> Result<Option<V>, MapError> {
        Ok(self.map.lookup(bytes_of(key))?.map(|v| decode(&v)))
    }

    /// Creates or replaces (E2BIG when a HASH map is full; an LRU map evicts instead).
    pub fn insert(&self, key: &K, value: &V) -> Result<(), MapError> {
        self.insert_with(key, value, UpdateFlags::Any)
    }

    /// Creates or replaces as `flags` says (NoExist: EEXIST if present; Exist: ENOENT if
    /// absent).
    pub fn insert_with(&self, key: &K, value: &V, flags: UpdateFlags) -> Result<(), MapError> {
        self.map.update(bytes_of(key), bytes_of(value), flags)
    }

    /// Removes `key`; false when it was not there.
    pub fn remove(&self, key: &K) -> Result<bool, MapError> {
        match self.map.delete(bytes_of(key)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind == MapErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// A snapshot of the entries, in slot order.
    pub fn entries(&self) -> Vec<(K, V)> {
        self.map
            .entries()
            .into_iter()
            .map(|(k, v)| (decode(&k), decode(&v)))
            .collect()
    }

    /// A snapshot of the keys.
    pub fn keys(&self) -> Vec<K> {
        self.map.keys().iter().map(|k| decode(k)).collect()
    }

    /// Entries present now.
    pub fn len(&self) -> usize {
        self.map.keys().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A `BPF_MAP_TYPE_PERCPU_HASH` or `BPF_MAP_TYPE_LRU_PERCPU_HASH` from `K` to one `V` per
/// CPU slot.
#[derive(Clone, Copy, Debug)]
pub struct PerCpuHashMap<'a, K, V> {
    map: MapRef<'a>,
    _types: PhantomData<(K, V)>,
}

impl<'a, K: Pod, V: Pod> PerCpuHashMap<'a, K, V> {
    pub fn new(map: MapRef<'a>) -> Result<Self, MapError> {
        check_type(
            &map,
            &[MapType::PercpuHash, MapType::LruPercpuHash],
            "a PERCPU_HASH or LRU_PERCPU_HASH",
        )?;
        check_sizes::<K, V>(&map)?;
        Ok(PerCpuHashMap {
            map,
            _types: PhantomData,
        })
    }

    pub fn map(&self) -> MapRef<'a> {
        self.map
    }

    /// The values of `key`, CPU slot 0 first.
    pub fn get(&self, key: &K) -> Result<Option<Vec<V>>, MapError> {
        Ok(self
            .map
            .lookup_percpu(bytes_of(key))?
            .map(|values| values.iter().map(|v| decode(v)).collect()))
    }

    /// Creates or replaces `key` with `value` in every CPU slot.
    pub fn insert(&self, key: &K, value: &V) -> Result<(), MapError> {
        self.map
            .update(bytes_of(key), bytes_of(value), UpdateFlags::Any)
    }

    pub fn remove(&self, key: &K) -> Result<bool, MapError> {
        match self.map.delete(bytes_of(key)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind == MapErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub fn keys(&self) -> Vec<K> {
        self.map.keys().iter().map(|k| decode(k)).collect()
    }
}

/// A `BPF_MAP_TYPE_PROG_ARRAY`: slots naming programs of the same instance.
#[derive(Clone, Copy, Debug)]
pub struct ProgramArray<'a> {
    map: MapRef<'a>,
}

impl<'a> ProgramArray<'a> {
    pub fn new(map: MapRef<'a>) -> Result<Self, MapError> {
        check_type(&map, &[MapType::ProgArray], "a PROG_ARRAY")?;
        Ok(ProgramArray { map })
    }

    pub fn map(&self) -> MapRef<'a> {
        self.map
    }

    /// Points `index` at the named program.
    pub fn set(&self, index: u32, program: &str) -> Result<(), MapError> {
        self.map.set_program(index, program)
    }

    /// Empties `index`, so tail calls through it fail.
    pub fn clear(&self, index: u32) -> Result<(), MapError> {
        self.map.delete(&index.to_ne_bytes())
    }

    /// The program index in `index`, if set.
    pub fn get(&self, index: u32) -> Result<Option<u32>, MapError> {
        Ok(self
            .map
            .lookup(&index.to_ne_bytes())?
            .map(|v| decode::<u32>(&v)))
    }
}

/// One global-data section (`.data`, `.rodata`, `.bss`, ...), read and written one variable
/// at a time so that the host never overwrites what programs write to other variables.
#[derive(Clone, Copy, Debug)]
pub struct GlobalData<'a> {
    map: MapRef<'a>,
}

impl<'a> GlobalData<'a> {
    /// Checks that `map` is a global-data map.
    pub fn new(map: MapRef<'a>) -> Result<Self, MapError> {
        if !map.definition().is_global_data() {
            return Err(MapError::new(
                map.name(),
                MapErrorKind::WrongMapType {
                    wanted: "global data",
                    map_type: map.definition().map_type,
                },
            ));
        }
        Ok(GlobalData { map })
    }

    pub fn map(&self) -> MapRef<'a> {
        self.map
    }

    /// Bytes in the section.
    pub fn size(&self) -> usize {
        self.map.definition().value_size as usize
    }

    /// The `T` at byte `offset`.
    pub fn read<T: Pod>(&self, offset: usize) -> Result<T, MapError> {
        let mut bytes = vec![0u8; size_of::<T>()];
        self.map.read_at(0, offset, &mut bytes)?;
        Ok(decode(&bytes))
    }

    /// Writes `value` at byte `offset` (EPERM for `.rodata`: set it before loading with
    /// [`Options::global_data`](crate::Options::global_data)).
    pub fn write<T: Pod>(&self, offset: usize, value: &T) -> Result<(), MapError> {
        self.map.write_at(0, offset, bytes_of(value))
    }
}

/// An XDP program of an instance: runs over one packet at a time.
#[derive(Clone, Copy, Debug)]
pub struct XdpProgram<'a> {
    instance: &'a Instance,
    program: Program,
}

impl<'a> XdpProgram<'a> {
    /// Finds the named program, which must be an XDP program.
    pub fn new(instance: &'a Instance, name: &str) -> Result<Self, RunError> {
        let program = typed_program(instance, name, crate::ProgramType::Xdp)?;
        Ok(XdpProgram { instance, program })
    }

    /// The program's name.
    pub fn name(&self) -> &'a str {
        &self.instance.programs()[self.program.index()].name
    }

    /// The untyped handle, for [`Instance`] methods such as `run_repeat`.
    pub fn program(&self) -> Program {
        self.program
    }

    /// Runs the program over `packet`, which it may rewrite; returns the XDP action
    /// (1 = XDP_DROP, 2 = XDP_PASS, 3 = XDP_TX, ...).
    pub fn run(&self, packet: &mut [u8]) -> Result<u64, RunError> {
        self.instance.run_xdp(&self.program, packet)
    }

    /// Runs the program over a packet with room, which it may also grow, shrink and give
    /// metadata; returns the action and any redirect target.
    pub fn run_packet(&self, packet: &mut crate::Packet) -> Result<crate::RunOutcome, RunError> {
        self.instance.run_xdp_packet(&self.program, packet)
    }
}

/// A raw program of an instance: gets a byte buffer (r1) and its length (r2).
#[derive(Clone, Copy, Debug)]
pub struct RawProgram<'a> {
    instance: &'a Instance,
    program: Program,
}

impl<'a> RawProgram<'a> {
    /// Finds the named program, which must be a raw program.
    pub fn new(instance: &'a Instance, name: &str) -> Result<Self, RunError> {
        let program = typed_program(instance, name, crate::ProgramType::Raw)?;
        Ok(RawProgram { instance, program })
    }

    pub fn name(&self) -> &'a str {
        &self.instance.programs()[self.program.index()].name
    }

    pub fn program(&self) -> Program {
        self.program
    }

    /// Runs the program over `data`, which it may change in place; returns r0.
    pub fn run(&self, data: &mut [u8]) -> Result<u64, RunError> {
        self.instance.run_raw(&self.program, data)
    }
}

/// A program that reads `struct __sk_buff` (socket filter, tc, cgroup skb): runs over one
/// packet with the host's `__sk_buff` fields.
#[derive(Clone, Copy, Debug)]
pub struct SkbProgram<'a> {
    instance: &'a Instance,
    program: Program,
}

impl<'a> SkbProgram<'a> {
    /// Finds the named program, which must read `struct __sk_buff`.
    pub fn new(instance: &'a Instance, name: &str) -> Result<Self, RunError> {
        let program = instance.program(name)?;
        let actual = instance.programs()[program.index()].program_type;
        if !actual.reads_sk_buff() {
            return Err(RunError::WrongProgramType {
                program: name.to_string(),
                expected: "a program that reads struct __sk_buff".to_string(),
                actual: actual.to_string(),
            });
        }
        Ok(SkbProgram { instance, program })
    }

    pub fn name(&self) -> &'a str {
        &self.instance.programs()[self.program.index()].name
    }

    pub fn program(&self) -> Program {
        self.program
    }

    /// Runs the program over `packet` with every host field 0; returns r0.
    pub fn run(&self, packet: &mut [u8]) -> Result<u64, RunError> {
        self.run_with(packet, &crate::SkbFields::default())
            .map(|run| run.retval)
    }

    /// Runs the program over `packet` with the host's fields; returns r0 and the fields as
    /// the program left them.
    pub fn run_with(
        &self,
        packet: &mut [u8],
        fields: &crate::SkbFields,
    ) -> Result<crate::SkbRun, RunError> {
        self.instance.run_skb(&self.program, packet, fields)
    }
}

fn typed_program(
    instance: &Instance,
    name: &str,
    expected: crate::ProgramType,
) -> Result<Program, RunError> {
    let program = instance.program(name)?;
    let actual = instance.programs()[program.index()].program_type;
    if actual != expected {
        return Err(RunError::WrongProgramType {
            program: name.to_string(),
            expected: expected.to_string(),
            actual: actual.to_string(),
        });
    }
    Ok(program)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[repr(C)]
    #[derive(Clone, Copy, Debug, PartialEq)]
    struct Pair {
        a: u32,
        b: u16,
        pad: [u8; 2],
    }
    // SAFETY: repr(C), 4 + 2 + 2 bytes with the padding spelled out as a field.
    unsafe impl Pod for Pair {}

    #[test]
    fn bytes_round_trip() {
        let p = Pair {
            a: 0x0102_0304,
            b: 7,
            pad: [0; 2],
        };
        let bytes = bytes_of(&p);
        assert_eq!(bytes.len(), 8);
        assert_eq!(&bytes[..4], &0x0102_0304u32.to_ne_bytes());
        assert_eq!(from_bytes::<Pair>(bytes), Some(p));
        assert_eq!(from_bytes::<Pair>(&bytes[1..]), None);
        // Any alignment.
        let mut shifted = [0u8; 9];
        shifted[1..].copy_from_slice(bytes);
        assert_eq!(from_bytes::<Pair>(&shifted[1..]), Some(p));
        assert_eq!(
            from_bytes::<[u16; 2]>(&[1, 0, 2, 0]),
            Some([u16::from_ne_bytes([1, 0]), u16::from_ne_bytes([2, 0])])
        );
    }
}
