//! Validated, owned descriptions of what a module declares. The loader copies the module's
//! tables into these once, so nothing later has to trust a module pointer again.

use crate::ffi;

pub use bpf2c_abi::{MapType, ProgramType, UpdateFlags};

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
    /// PROG_ARRAY: (slot, program index) pairs filled when the instance is created. Maps of
    /// maps: (key, map index) pairs, the inner maps set when the instance is created.
    pub initial_programs: Vec<(u32, usize)>,
    /// ARRAY_OF_MAPS and HASH_OF_MAPS: the index of the inner map template among the
    /// module's maps; None for other maps.
    pub inner_map: Option<usize>,
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
