//! Map types and flags: Linux's `enum bpf_map_type` numbering (what a map definition in an
//! object holds), the subset the runtime implements, and the flags of map definitions and of
//! the update helper.

use std::fmt;

linux_enum! {
    /// Every Linux map type number, by its name without the `BPF_MAP_TYPE_` prefix.
    map_type, LINUX_MAP_TYPES, "BPF_MAP_TYPE_" {
        0 UNSPEC,
        1 HASH,
        2 ARRAY,
        3 PROG_ARRAY,
        4 PERF_EVENT_ARRAY,
        5 PERCPU_HASH,
        6 PERCPU_ARRAY,
        7 STACK_TRACE,
        8 CGROUP_ARRAY,
        9 LRU_HASH,
        10 LRU_PERCPU_HASH,
        11 LPM_TRIE,
        12 ARRAY_OF_MAPS,
        13 HASH_OF_MAPS,
        14 DEVMAP,
        15 SOCKMAP,
        16 CPUMAP,
        17 XSKMAP,
        18 SOCKHASH,
        19 CGROUP_STORAGE,
        20 REUSEPORT_SOCKARRAY,
        21 PERCPU_CGROUP_STORAGE,
        22 QUEUE,
        23 STACK,
        24 SK_STORAGE,
        25 DEVMAP_HASH,
        26 STRUCT_OPS,
        27 RINGBUF,
        28 INODE_STORAGE,
        29 TASK_STORAGE,
        30 BLOOM_FILTER,
        31 USER_RINGBUF,
        32 CGRP_STORAGE,
        33 ARENA,
    }
}

/// The `BPF_MAP_TYPE_*` name of a Linux map type number, including types the runtime lacks.
pub fn linux_map_type_name(raw: u32) -> Option<&'static str> {
    LINUX_MAP_TYPES.get(raw as usize).map(|&(_, name)| name)
}

/// [`linux_map_type_name`], or "map type N" for a number Linux does not define, for messages.
pub fn map_type_label(raw: u32) -> String {
    match linux_map_type_name(raw) {
        Some(name) => name.to_string(),
        None => format!("map type {raw}"),
    }
}

/// The map types the runtime implements. `bpf2c_map_definition_t.type` holds their Linux
/// number ([`MapType::raw`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MapType {
    Hash,
    Array,
    ProgArray,
    PercpuHash,
    PercpuArray,
    LruHash,
    // Redirect targets: host-filled, read by bpf_redirect_map.
    Devmap,
    Cpumap,
    Xskmap,
    DevmapHash,
    // Family "maps" (issue 10): more map types at run time.
    LruPercpuHash,
    LpmTrie,
    Queue,
    Stack,
    PerfEventArray,
    RingBuf,
    // Maps of maps: values are inner maps the host sets.
    ArrayOfMaps,
    HashOfMaps,
}

impl MapType {
    /// Every map type the runtime implements.
    pub const ALL: [MapType; 18] = [
        MapType::Hash,
        MapType::Array,
        MapType::ProgArray,
        MapType::PercpuHash,
        MapType::PercpuArray,
        MapType::LruHash,
        MapType::Devmap,
        MapType::Cpumap,
        MapType::Xskmap,
        MapType::DevmapHash,
        // Family "maps" (issue 10).
        MapType::LruPercpuHash,
        MapType::LpmTrie,
        MapType::Queue,
        MapType::Stack,
        MapType::PerfEventArray,
        MapType::RingBuf,
        MapType::ArrayOfMaps,
        MapType::HashOfMaps,
    ];

    /// The Linux number (`BPF_MAP_TYPE_*`).
    pub const fn raw(self) -> u32 {
        match self {
            MapType::Hash => map_type::HASH,
            MapType::Array => map_type::ARRAY,
            MapType::ProgArray => map_type::PROG_ARRAY,
            MapType::PercpuHash => map_type::PERCPU_HASH,
            MapType::PercpuArray => map_type::PERCPU_ARRAY,
            MapType::LruHash => map_type::LRU_HASH,
            MapType::Devmap => map_type::DEVMAP,
            MapType::Cpumap => map_type::CPUMAP,
            MapType::Xskmap => map_type::XSKMAP,
            MapType::DevmapHash => map_type::DEVMAP_HASH,
            MapType::LruPercpuHash => map_type::LRU_PERCPU_HASH,
            MapType::LpmTrie => map_type::LPM_TRIE,
            MapType::Queue => map_type::QUEUE,
            MapType::Stack => map_type::STACK,
            MapType::PerfEventArray => map_type::PERF_EVENT_ARRAY,
            MapType::RingBuf => map_type::RINGBUF,
            MapType::ArrayOfMaps => map_type::ARRAY_OF_MAPS,
            MapType::HashOfMaps => map_type::HASH_OF_MAPS,
        }
    }

    /// The map type with this Linux number; None for types the runtime lacks.
    pub fn from_raw(raw: u32) -> Option<MapType> {
        MapType::ALL.into_iter().find(|t| t.raw() == raw)
    }

    /// The `BPF_MAP_TYPE_*` name, as users know it from bpftool and libbpf.
    pub fn name(self) -> &'static str {
        LINUX_MAP_TYPES[self.raw() as usize].1
    }

    /// The `BPF2C_MAP_TYPE_*` macro of bpf2c.h naming this type in generated C.
    pub fn abi_macro(self) -> &'static str {
        match self {
            MapType::Hash => "BPF2C_MAP_TYPE_HASH",
            MapType::Array => "BPF2C_MAP_TYPE_ARRAY",
            MapType::ProgArray => "BPF2C_MAP_TYPE_PROG_ARRAY",
            MapType::PercpuHash => "BPF2C_MAP_TYPE_PERCPU_HASH",
            MapType::PercpuArray => "BPF2C_MAP_TYPE_PERCPU_ARRAY",
            MapType::LruHash => "BPF2C_MAP_TYPE_LRU_HASH",
            MapType::Devmap => "BPF2C_MAP_TYPE_DEVMAP",
            MapType::Cpumap => "BPF2C_MAP_TYPE_CPUMAP",
            MapType::Xskmap => "BPF2C_MAP_TYPE_XSKMAP",
            MapType::DevmapHash => "BPF2C_MAP_TYPE_DEVMAP_HASH",
            MapType::LruPercpuHash => "BPF2C_MAP_TYPE_LRU_PERCPU_HASH",
            MapType::LpmTrie => "BPF2C_MAP_TYPE_LPM_TRIE",
            MapType::Queue => "BPF2C_MAP_TYPE_QUEUE",
            MapType::Stack => "BPF2C_MAP_TYPE_STACK",
            MapType::PerfEventArray => "BPF2C_MAP_TYPE_PERF_EVENT_ARRAY",
            MapType::RingBuf => "BPF2C_MAP_TYPE_RINGBUF",
            MapType::ArrayOfMaps => "BPF2C_MAP_TYPE_ARRAY_OF_MAPS",
            MapType::HashOfMaps => "BPF2C_MAP_TYPE_HASH_OF_MAPS",
        }
    }

    /// Per-CPU maps keep one value per CPU slot for every key.
    pub fn is_per_cpu(self) -> bool {
        matches!(
            self,
            MapType::PercpuHash | MapType::PercpuArray | MapType::LruPercpuHash
        )
    }

    /// The hash-table types (HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH): keyed lookups
    /// of preallocated values that stay put.
    pub fn is_hash(self) -> bool {
        matches!(
            self,
            MapType::Hash | MapType::PercpuHash | MapType::LruHash | MapType::LruPercpuHash
        )
    }

    /// LRU_HASH and LRU_PERCPU_HASH: a full map evicts instead of refusing.
    pub fn is_lru(self) -> bool {
        matches!(self, MapType::LruHash | MapType::LruPercpuHash)
    }

    /// QUEUE and STACK: no keys (key_size 0), values pushed and popped.
    pub fn is_queue_or_stack(self) -> bool {
        matches!(self, MapType::Queue | MapType::Stack)
    }

    /// Maps whose programs emit events to the host rather than store values: PERF_EVENT_ARRAY
    /// and RINGBUF. Programs cannot look them up.
    pub fn is_event_output(self) -> bool {
        matches!(self, MapType::PerfEventArray | MapType::RingBuf)
    }

    /// Arrays of values: every index below max_entries is present at all times, and the
    /// values live at `bpf2c_map_data_t.array_data`.
    pub fn is_array(self) -> bool {
        matches!(self, MapType::Array | MapType::PercpuArray)
    }

    /// Keys are indices below max_entries: the arrays and the program array.
    pub fn has_index_keys(self) -> bool {
        self.is_array()
            || matches!(
                self,
                MapType::ProgArray
                    | MapType::Devmap
                    | MapType::Cpumap
                    | MapType::Xskmap
                    | MapType::ArrayOfMaps
            )
    }

    /// ARRAY_OF_MAPS and HASH_OF_MAPS: each value is an inner map, which the host sets and
    /// programs look up to pass to the map helpers.
    pub fn is_map_of_maps(self) -> bool {
        matches!(self, MapType::ArrayOfMaps | MapType::HashOfMaps)
    }

    /// The maps `bpf_redirect_map` sends packets through: devices, CPUs and AF_XDP
    /// sockets, which only the host fills.
    pub fn is_redirect_target(self) -> bool {
        matches!(
            self,
            MapType::Devmap | MapType::Cpumap | MapType::Xskmap | MapType::DevmapHash
        )
    }
}

impl fmt::Display for MapType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Flags of a map definition's `map_flags` (Linux's `BPF_F_*` map creation flags). The
/// runtime carries them through; it always preallocates.
pub mod map_flags {
    pub const BPF_F_NO_PREALLOC: u32 = 1 << 0;
    pub const BPF_F_NO_COMMON_LRU: u32 = 1 << 1;
    pub const BPF_F_NUMA_NODE: u32 = 1 << 2;
    pub const BPF_F_RDONLY: u32 = 1 << 3;
    pub const BPF_F_WRONLY: u32 = 1 << 4;
    pub const BPF_F_STACK_BUILD_ID: u32 = 1 << 5;
    pub const BPF_F_ZERO_SEED: u32 = 1 << 6;
    pub const BPF_F_RDONLY_PROG: u32 = 1 << 7;
    pub const BPF_F_WRONLY_PROG: u32 = 1 << 8;
    pub const BPF_F_CLONE: u32 = 1 << 9;
    pub const BPF_F_MMAPABLE: u32 = 1 << 10;
    pub const BPF_F_PRESERVE_ELEMS: u32 = 1 << 11;
    pub const BPF_F_INNER_MAP: u32 = 1 << 12;
}

/// How `bpf_map_update_elem` treats an existing key: its flags argument, as Linux's
/// BPF_ANY / BPF_NOEXIST / BPF_EXIST.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UpdateFlags {
    /// Create or replace.
    #[default]
    Any = 0,
    /// Create only; EEXIST if present.
    NoExist = 1,
    /// Replace only; ENOENT if absent.
    Exist = 2,
}

impl UpdateFlags {
    /// The largest flags value the update helper accepts; anything above is EINVAL.
    pub const MAX_RAW: u64 = UpdateFlags::Exist as u64;

    /// Decodes the flags argument of the update helper.
    pub fn from_raw(raw: u64) -> Option<UpdateFlags> {
        match raw {
            0 => Some(UpdateFlags::Any),
            1 => Some(UpdateFlags::NoExist),
            2 => Some(UpdateFlags::Exist),
            _ => None,
        }
    }

    /// The helper argument value.
    pub const fn raw(self) -> u64 {
        self as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_numbers_are_dense_and_named() {
        for (i, &(raw, name)) in LINUX_MAP_TYPES.iter().enumerate() {
            assert_eq!(raw as usize, i, "{name}");
        }
        assert_eq!(linux_map_type_name(27), Some("BPF_MAP_TYPE_RINGBUF"));
        assert_eq!(linux_map_type_name(33), Some("BPF_MAP_TYPE_ARENA"));
        assert_eq!(map_type_label(34), "map type 34");
        assert_eq!(map_type::LRU_HASH, 9);
    }

    #[test]
    fn supported_types_round_trip() {
        for t in MapType::ALL {
            assert_eq!(MapType::from_raw(t.raw()), Some(t));
            assert_eq!(
                t.abi_macro().strip_prefix("BPF2C_"),
                t.name().strip_prefix("BPF_")
            );
        }
        assert_eq!(MapType::PercpuArray.raw(), 6);
        assert_eq!(MapType::from_raw(map_type::ARENA), None);
        assert_eq!(MapType::LruHash.to_string(), "BPF_MAP_TYPE_LRU_HASH");
        assert!(MapType::ProgArray.has_index_keys() && !MapType::ProgArray.is_array());
        assert!(MapType::PercpuHash.is_per_cpu() && !MapType::Hash.is_per_cpu());
        assert_eq!(MapType::from_raw(10), Some(MapType::LruPercpuHash));
        assert!(MapType::LruPercpuHash.is_per_cpu() && MapType::LruPercpuHash.is_lru());
        assert_eq!(MapType::LpmTrie.raw(), 11);
        assert_eq!(MapType::Queue.raw(), 22);
        assert_eq!(MapType::Stack.raw(), 23);
        assert_eq!(MapType::PerfEventArray.raw(), 4);
        assert_eq!(MapType::RingBuf.raw(), 27);
        assert_eq!(MapType::from_raw(12), Some(MapType::ArrayOfMaps));
        assert_eq!(MapType::from_raw(13), Some(MapType::HashOfMaps));
        assert!(MapType::ArrayOfMaps.has_index_keys() && !MapType::HashOfMaps.has_index_keys());
        assert!(MapType::HashOfMaps.is_map_of_maps() && !MapType::Array.is_map_of_maps());
    }

    #[test]
    fn update_flags_decode() {
        assert_eq!(UpdateFlags::from_raw(1), Some(UpdateFlags::NoExist));
        assert_eq!(UpdateFlags::from_raw(UpdateFlags::MAX_RAW + 1), None);
        assert_eq!(UpdateFlags::Exist.raw(), 2);
    }
}
