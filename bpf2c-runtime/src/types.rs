//! Validated, owned descriptions of what a module declares. The loader copies the module's
//! tables into these once, so nothing later has to trust a module pointer again.

use std::fmt;

use crate::ffi;

/// The map types the runtime implements, numbered as in linux/bpf.h.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MapType {
    Hash,
    Array,
    ProgArray,
    PercpuHash,
    PercpuArray,
    LruHash,
}

impl MapType {
    /// Decodes `bpf2c_map_definition_t.type`; None for types this runtime lacks.
    pub fn from_raw(raw: u32) -> Option<MapType> {
        Some(match raw {
            ffi::BPF2C_MAP_TYPE_HASH => MapType::Hash,
            ffi::BPF2C_MAP_TYPE_ARRAY => MapType::Array,
            ffi::BPF2C_MAP_TYPE_PROG_ARRAY => MapType::ProgArray,
            ffi::BPF2C_MAP_TYPE_PERCPU_HASH => MapType::PercpuHash,
            ffi::BPF2C_MAP_TYPE_PERCPU_ARRAY => MapType::PercpuArray,
            ffi::BPF2C_MAP_TYPE_LRU_HASH => MapType::LruHash,
            _ => return None,
        })
    }

    /// The linux/bpf.h number.
    pub fn raw(self) -> u32 {
        match self {
            MapType::Hash => ffi::BPF2C_MAP_TYPE_HASH,
            MapType::Array => ffi::BPF2C_MAP_TYPE_ARRAY,
            MapType::ProgArray => ffi::BPF2C_MAP_TYPE_PROG_ARRAY,
            MapType::PercpuHash => ffi::BPF2C_MAP_TYPE_PERCPU_HASH,
            MapType::PercpuArray => ffi::BPF2C_MAP_TYPE_PERCPU_ARRAY,
            MapType::LruHash => ffi::BPF2C_MAP_TYPE_LRU_HASH,
        }
    }

    /// Per-CPU maps keep one value per CPU slot for every key.
    pub fn is_percpu(self) -> bool {
        matches!(self, MapType::PercpuHash | MapType::PercpuArray)
    }

    /// Array-like maps have every index from 0 to max_entries - 1 present at all times.
    pub fn is_array(self) -> bool {
        matches!(self, MapType::Array | MapType::PercpuArray)
    }

    /// The linux/bpf.h name, as users know it from bpftool and libbpf.
    pub fn name(self) -> &'static str {
        match self {
            MapType::Hash => "BPF_MAP_TYPE_HASH",
            MapType::Array => "BPF_MAP_TYPE_ARRAY",
            MapType::ProgArray => "BPF_MAP_TYPE_PROG_ARRAY",
            MapType::PercpuHash => "BPF_MAP_TYPE_PERCPU_HASH",
            MapType::PercpuArray => "BPF_MAP_TYPE_PERCPU_ARRAY",
            MapType::LruHash => "BPF_MAP_TYPE_LRU_HASH",
        }
    }
}

impl fmt::Display for MapType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The program types the runtime can build a context for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProgramType {
    /// r1 = a memory buffer, r2 = its length.
    Raw,
    /// r1 = a `bpf2c_xdp_context_t` describing one packet.
    Xdp,
}

impl ProgramType {
    /// Decodes `bpf2c_program_entry_t.program_type`.
    pub fn from_raw(raw: u32) -> Option<ProgramType> {
        match raw {
            ffi::BPF2C_PROG_TYPE_RAW => Some(ProgramType::Raw),
            ffi::BPF2C_PROG_TYPE_XDP => Some(ProgramType::Xdp),
            _ => None,
        }
    }

    /// Short lowercase name, as error messages use it.
    pub fn name(self) -> &'static str {
        match self {
            ProgramType::Raw => "raw",
            ProgramType::Xdp => "xdp",
        }
    }
}

impl fmt::Display for ProgramType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A map as the module declares it, after validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapSpec {
    pub name: String,
    pub map_type: MapType,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    /// Linux `map_flags`, kept for the host; the runtime always preallocates.
    pub map_flags: u32,
    /// `BPF2C_MAP_F_*`.
    pub flags: u32,
    /// Global data: the section's bytes; the rest of the value starts zeroed.
    pub initial_data: Vec<u8>,
    /// PROG_ARRAY: (slot, program index) pairs filled when the instance is created.
    pub initial_programs: Vec<(u32, usize)>,
}

impl MapSpec {
    /// .data, .rodata or .bss: a one-entry array holding the section.
    pub fn is_global_data(&self) -> bool {
        self.flags & ffi::BPF2C_MAP_F_GLOBAL_DATA != 0
    }

    /// .rodata: programs do not write it and the host may not either.
    pub fn is_read_only(&self) -> bool {
        self.flags & ffi::BPF2C_MAP_F_READ_ONLY != 0
    }

    /// Generated code reads this map's `array_data` directly, bypassing the helpers.
    pub fn is_inlined(&self) -> bool {
        self.flags & ffi::BPF2C_MAP_F_INLINED != 0
    }

    /// Bytes between consecutive elements of an array map (`BPF2C_ARRAY_STRIDE`).
    pub fn stride(&self) -> usize {
        ffi::array_stride(self.value_size) as usize
    }
}

/// What a module's generated code assumes about one map it reaches without the map helpers
/// (`bpf2c_map_assumption_t`). Inlined code bakes these numbers in as constants, so an
/// instance is only created when the map it actually made matches them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapAssumption {
    /// Index of the map in the module's map table.
    pub map: usize,
    /// The code addresses elements at `array_data` (`BPF2C_MAP_USE_ARRAY_DATA`).
    pub array_data: bool,
    /// The code calls `map_data.lookup` directly (`BPF2C_MAP_USE_LOOKUP`).
    pub lookup: bool,
    /// The definition compiled in: `type` as the raw linux/bpf.h number.
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    /// The element stride keys are multiplied by.
    pub stride: u64,
}

/// A helper the module calls, at its index in the module's helper table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelperSpec {
    pub id: u32,
    pub name: String,
}

/// A program of the module.
#[derive(Clone, Debug)]
pub struct ProgramInfo {
    /// The program's function symbol, by which hosts find it.
    pub name: String,
    /// The ELF section it came from (e.g. "xdp"), which tools show.
    pub section: String,
    pub program_type: ProgramType,
    pub instruction_count: u32,
    pub(crate) function: ffi::bpf2c_function_fn,
}

/// How an update treats an existing key, as Linux's BPF_ANY / BPF_NOEXIST / BPF_EXIST.
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
    /// Decodes the flags argument of the map_update_elem helper.
    pub fn from_raw(raw: u64) -> Option<UpdateFlags> {
        match raw {
            0 => Some(UpdateFlags::Any),
            1 => Some(UpdateFlags::NoExist),
            2 => Some(UpdateFlags::Exist),
            _ => None,
        }
    }
}
