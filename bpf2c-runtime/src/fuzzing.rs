//! What the module-loading fuzz target in `fuzz/` runs on each input, kept here so that the
//! test replaying its regression corpus (`tests/fuzz_regressions.rs`) runs the same code.
//! Not part of the supported API.
//!
//! The target starts from a valid module, built in Rust through the `#[repr(C)]` mirrors of
//! `bpf2c.h`, and applies the edits the input describes: any numeric field of the header and
//! of every table entry, which entries exist, which tables and strings are NULL, which names
//! the strings hold. It then asks the runtime to validate the module and create an instance
//! of it. Whatever the edits, the runtime must answer with an error or a working instance,
//! never crash.
//!
//! Pointers are never fuzzed: the loader's contract ([`ModuleImage::from_ptr`]) is that
//! every non-NULL pointer is readable for its stated count, which no loader could check.
//! So a count the input sets is kept only when it is either within the table the harness
//! built or beyond a limit the loader checks before reading; otherwise it is cut to the
//! table's length.

use std::ffi::c_char;
use std::sync::OnceLock;

use crate::ffi::{
    self, bpf2c_function_entry_t, bpf2c_helper_entry_t, bpf2c_invocation_t, bpf2c_map_assumption_t,
    bpf2c_map_definition_t, bpf2c_map_entry_t, bpf2c_map_initial_program_t, bpf2c_module_t,
    bpf2c_program_entry_t,
};
use crate::module::{MAX_FUNCTIONS, MAX_HELPERS, MAX_MAPS, MAX_NAME_LEN, MAX_PROGRAMS};
use crate::{Instance, LoadError, ModuleImage, Options};

/// Bytes per edit in the input: the field selector, the entry index, and a 32-bit value.
pub const EDIT_SIZE: usize = 6;

/// Largest initial data the harness backs with real memory; larger sizes that the loader
/// would read are reduced modulo this.
const MAX_INITIAL_DATA: u32 = 4096;

/// The map memory an instance may allocate while fuzzing: enough for the baseline, small
/// enough that a fuzzed `max_entries` cannot exhaust memory.
const MAX_MAP_BYTES: usize = 1 << 20;

/// Validates the module that `data`'s edits make of the baseline, then instantiates it.
/// Returns the error the runtime gave, or the number of maps of the working instance.
pub fn load_tampered_module(data: &[u8]) -> Result<usize, LoadError> {
    let mut module = Tables::baseline();
    for edit in data.chunks_exact(EDIT_SIZE) {
        let value = u32::from_le_bytes([edit[2], edit[3], edit[4], edit[5]]);
        module.apply(edit[0], edit[1] as usize, value);
    }
    let built = module.build();
    // SAFETY: `built` upholds from_ptr's contract: every non-NULL pointer points to a live
    // table at least as long as the count the loader reads, strings are NUL-terminated
    // within MAX_NAME_LEN + 1 bytes or longer than that, and program functions are real.
    let result = unsafe { ModuleImage::from_ptr(&*built.module) }.and_then(|image| {
        let options = Options::default().cpu_slots(2).max_map_bytes(MAX_MAP_BYTES);
        Instance::new(image, options)
    });
    match result {
        Ok(instance) => {
            assert_eq!(instance.maps().count(), instance.module().maps().len());
            Ok(instance.module().maps().len())
        }
        Err(e) => {
            assert!(
                !e.to_string().trim().is_empty(),
                "an error without a message"
            );
            Err(e)
        }
    }
}

/// A program function for the tables; loading never calls it.
unsafe extern "C" fn never_called(
    _r1: u64,
    _r2: u64,
    _r3: u64,
    _r4: u64,
    _r5: u64,
    _invocation: *mut bpf2c_invocation_t,
) -> u64 {
    0
}

/// The strings a name may be: distinct names, a repeated one, an empty one, bytes that are
/// not UTF-8, and one with no NUL within the loader's limit (it ends just past it). Each is
/// NUL-terminated and lives for the whole process, so pointers into it stay valid.
fn strings() -> &'static [Vec<u8>] {
    static STRINGS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    STRINGS.get_or_init(|| {
        let mut all: Vec<Vec<u8>> = [
            "fuzzed",
            "arr",
            "hash",
            "pcpu_arr",
            "pcpu_hash",
            "lru",
            ".data",
            ".rodata",
            "jmp",
            "main",
            "tail",
            "xdp",
            "raw/tail",
            "sub",
            "bpf_map_lookup_elem",
            "bpf_map_update_elem",
            "bpf_map_delete_elem",
            "bpf_get_smp_processor_id",
            "",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        all.push(vec![0xff, 0xfe, b'x']);
        all.push(vec![b'n'; MAX_NAME_LEN + 8]);
        for s in &mut all {
            s.push(0);
        }
        all
    })
}

/// Index into [`strings`] of a name, or `None` for a NULL pointer.
type Name = Option<usize>;

fn name(s: &str) -> Name {
    let wanted = s.as_bytes();
    strings().iter().position(|b| &b[..b.len() - 1] == wanted)
}

fn string_ptr(n: Name) -> *const c_char {
    n.map_or(std::ptr::null(), |i| strings()[i].as_ptr() as *const c_char)
}

/// A count the input may set: the table's length unless overridden.
#[derive(Clone, Copy, Default)]
struct Count(Option<u32>);

impl Count {
    /// The count to write: an override within the table, or one the loader refuses before
    /// reading (above `refused_above`); anything else is cut to the table.
    fn resolve(self, len: usize, refused_above: u32) -> u32 {
        let len = len as u32;
        match self.0 {
            None => len,
            Some(v) if v > refused_above => v,
            Some(v) => v.min(len),
        }
    }
}

#[derive(Clone)]
struct MapEntry {
    name: Name,
    definition: bpf2c_map_definition_t,
    flags: u32,
    initial_data_size: u32,
    initial_data_null: bool,
    initial_programs: Vec<bpf2c_map_initial_program_t>,
    initial_program_count: Count,
    initial_programs_null: bool,
}

#[derive(Clone)]
struct Program {
    name: Name,
    section: Name,
    program_type: u32,
    instruction_count: u32,
    function_null: bool,
}

/// A module as editable tables.
struct Tables {
    magic: u32,
    abi_version: u32,
    module_size: u32,
    map_data_version: u32,
    map_data_size: u32,
    runtime_context_size: u32,
    invocation_size: u32,
    flags: u32,
    reserved: u32,
    name: Name,
    maps: Vec<MapEntry>,
    helpers: Vec<(u32, Name)>,
    programs: Vec<Program>,
    functions: Vec<Name>,
    assumptions: Vec<bpf2c_map_assumption_t>,
    /// Counts in the order maps, helpers, programs, functions, assumptions.
    counts: [Count; 5],
    /// Which of those tables are NULL.
    null_tables: [bool; 5],
}

fn definition(
    map_type: u32,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
) -> bpf2c_map_definition_t {
    bpf2c_map_definition_t {
        r#type: map_type,
        key_size,
        value_size,
        max_entries,
        map_flags: 0,
    }
}

fn map(map_name: &str, definition: bpf2c_map_definition_t, flags: u32) -> MapEntry {
    MapEntry {
        name: name(map_name),
        definition,
        flags,
        initial_data_size: 0,
        initial_data_null: false,
        initial_programs: Vec::new(),
        initial_program_count: Count::default(),
        initial_programs_null: false,
    }
}

fn assumption(map: u32, uses: u32, definition: bpf2c_map_definition_t) -> bpf2c_map_assumption_t {
    bpf2c_map_assumption_t {
        map,
        uses,
        definition,
        reserved: 0,
        stride: if uses & ffi::BPF2C_MAP_USE_ARRAY_DATA != 0 {
            ffi::array_stride(definition.value_size)
        } else {
            0
        },
    }
}

/// Picks an element of a non-empty table by the input's index byte.
fn pick<T>(table: &mut [T], index: usize) -> Option<&mut T> {
    let len = table.len();
    if len == 0 {
        None
    } else {
        table.get_mut(index % len)
    }
}

/// Copies or removes the entry `index` picks: the input's control over which entries exist.
fn copy_or_remove<T: Clone>(table: &mut Vec<T>, index: usize, value: u32) {
    if table.is_empty() {
        return;
    }
    let at = index % table.len();
    if value & 1 == 0 {
        // The tables stay small: the loader's per-entry work is what is being exercised.
        if table.len() < 64 {
            table.push(table[at].clone());
        }
    } else {
        table.remove(at);
    }
}

impl Tables {
    /// A module the runtime accepts: every map type, inlined maps with their assumptions,
    /// global data with initial contents, a PROG_ARRAY with initial programs, helpers,
    /// programs of both types and a function table.
    fn baseline() -> Tables {
        use ffi::*;
        let arr = definition(BPF2C_MAP_TYPE_ARRAY, 4, 8, 4);
        let pcpu_arr = definition(BPF2C_MAP_TYPE_PERCPU_ARRAY, 4, 12, 2);
        let lru = definition(BPF2C_MAP_TYPE_LRU_HASH, 8, 8, 8);
        let mut data = map(
            ".data",
            definition(BPF2C_MAP_TYPE_ARRAY, 4, 16, 1),
            BPF2C_MAP_F_GLOBAL_DATA,
        );
        data.initial_data_size = 12;
        let mut rodata = map(
            ".rodata",
            definition(BPF2C_MAP_TYPE_ARRAY, 4, 8, 1),
            BPF2C_MAP_F_GLOBAL_DATA | BPF2C_MAP_F_READ_ONLY,
        );
        rodata.initial_data_size = 8;
        let mut jmp = map("jmp", definition(BPF2C_MAP_TYPE_PROG_ARRAY, 4, 4, 4), 0);
        jmp.initial_programs = vec![
            bpf2c_map_initial_program_t {
                index: 0,
                program: 0,
            },
            bpf2c_map_initial_program_t {
                index: 2,
                program: 1,
            },
        ];
        Tables {
            magic: BPF2C_ABI_MAGIC,
            abi_version: BPF2C_ABI_VERSION,
            module_size: std::mem::size_of::<bpf2c_module_t>() as u32,
            map_data_version: BPF2C_MAP_DATA_VERSION,
            map_data_size: std::mem::size_of::<bpf2c_map_data_t>() as u32,
            runtime_context_size: std::mem::size_of::<bpf2c_runtime_context_t>() as u32,
            invocation_size: std::mem::size_of::<bpf2c_invocation_t>() as u32,
            flags: BPF2C_MODULE_F_VERIFIED | BPF2C_MODULE_F_OPTIMIZED,
            reserved: 0,
            name: name("fuzzed"),
            maps: vec![
                map("arr", arr, BPF2C_MAP_F_INLINED),
                map("hash", definition(BPF2C_MAP_TYPE_HASH, 8, 16, 16), 0),
                map("pcpu_arr", pcpu_arr, BPF2C_MAP_F_INLINED),
                map(
                    "pcpu_hash",
                    definition(BPF2C_MAP_TYPE_PERCPU_HASH, 4, 4, 8),
                    0,
                ),
                map("lru", lru, 0),
                data,
                rodata,
                jmp,
            ],
            helpers: vec![
                (1, name("bpf_map_lookup_elem")),
                (2, name("bpf_map_update_elem")),
                (3, name("bpf_map_delete_elem")),
                (8, name("bpf_get_smp_processor_id")),
            ],
            programs: vec![
                Program {
                    name: name("main"),
                    section: name("xdp"),
                    program_type: BPF2C_PROG_TYPE_XDP,
                    instruction_count: 10,
                    function_null: false,
                },
                Program {
                    name: name("tail"),
                    section: name("raw/tail"),
                    program_type: BPF2C_PROG_TYPE_RAW,
                    instruction_count: 5,
                    function_null: false,
                },
            ],
            functions: vec![name("main"), name("tail"), name("sub")],
            assumptions: vec![
                assumption(0, BPF2C_MAP_USE_ARRAY_DATA, arr),
                assumption(2, BPF2C_MAP_USE_ARRAY_DATA, pcpu_arr),
                assumption(4, BPF2C_MAP_USE_LOOKUP, lru),
            ],
            counts: [Count::default(); 5],
            null_tables: [false; 5],
        }
    }

    /// One edit: `field` selects what changes, `index` which entry, `value` the new value.
    fn apply(&mut self, field: u8, index: usize, value: u32) {
        let string = || {
            let n = strings().len() as u32 + 1;
            match value % n {
                0 => None,
                i => Some(i as usize - 1),
            }
        };
        match field % 44 {
            0 => self.magic = value,
            1 => self.abi_version = value,
            2 => self.module_size = value,
            3 => self.map_data_version = value,
            4 => self.map_data_size = value,
            5 => self.runtime_context_size = value,
            6 => self.invocation_size = value,
            7 => self.flags = value,
            8 => self.reserved = value,
            9 => self.name = string(),
            10 => self.counts[index % 5] = Count(Some(value)),
            11 => self.null_tables[index % 5] = value & 1 != 0,
            12 => copy_or_remove(&mut self.maps, index, value),
            13..=27 => {
                let Some(m) = pick(&mut self.maps, index) else {
                    return;
                };
                match field % 44 {
                    13 => m.name = string(),
                    14 => m.definition.r#type = value,
                    15 => m.definition.key_size = value,
                    16 => m.definition.value_size = value,
                    17 => m.definition.max_entries = value,
                    18 => m.definition.map_flags = value,
                    19 => m.flags = value,
                    20 => m.initial_data_size = value,
                    21 => m.initial_data_null = value & 1 != 0,
                    22 => m.initial_program_count = Count(Some(value)),
                    23 => m.initial_programs_null = value & 1 != 0,
                    24 => copy_or_remove(&mut m.initial_programs, index / 8, value),
                    25 => {
                        if m.initial_programs.len() < 64 {
                            m.initial_programs.push(bpf2c_map_initial_program_t {
                                index: value & 0xffff,
                                program: value >> 16,
                            });
                        }
                    }
                    26 => {
                        if let Some(p) = pick(&mut m.initial_programs, index / 8) {
                            p.index = value;
                        }
                    }
                    _ => {
                        if let Some(p) = pick(&mut m.initial_programs, index / 8) {
                            p.program = value;
                        }
                    }
                }
            }
            28 => copy_or_remove(&mut self.helpers, index, value),
            29 => {
                if let Some(h) = pick(&mut self.helpers, index) {
                    h.0 = value;
                }
            }
            30 => {
                if let Some(h) = pick(&mut self.helpers, index) {
                    h.1 = string();
                }
            }
            31 => copy_or_remove(&mut self.programs, index, value),
            32..=36 => {
                let Some(p) = pick(&mut self.programs, index) else {
                    return;
                };
                match field % 44 {
                    32 => p.name = string(),
                    33 => p.section = string(),
                    34 => p.program_type = value,
                    35 => p.instruction_count = value,
                    _ => p.function_null = value & 1 != 0,
                }
            }
            37 => copy_or_remove(&mut self.functions, index, value),
            38 => {
                if let Some(f) = pick(&mut self.functions, index) {
                    *f = string();
                }
            }
            39 => copy_or_remove(&mut self.assumptions, index, value),
            _ => {
                let Some(a) = pick(&mut self.assumptions, index) else {
                    return;
                };
                match field % 44 {
                    40 => a.map = value,
                    41 => a.uses = value,
                    42 => a.reserved = value,
                    _ => {
                        // The definition's fields and the stride, chosen by the index's top bits.
                        match index >> 5 {
                            0 => a.definition.r#type = value,
                            1 => a.definition.key_size = value,
                            2 => a.definition.value_size = value,
                            3 => a.definition.max_entries = value,
                            4 => a.stride = u64::from(value),
                            _ => a.stride = u64::from(value) << 32 | u64::from(value),
                        }
                    }
                }
            }
        }
    }

    /// Lays the tables out as C structures.
    fn build(&self) -> Built {
        let mut initial_data = Vec::with_capacity(self.maps.len());
        let mut initial_programs = Vec::with_capacity(self.maps.len());
        let mut maps = Vec::with_capacity(self.maps.len());
        for m in &self.maps {
            let d = m.definition;
            // The loader reads initial data only when its size fits the value.
            let mut data_size = m.initial_data_size;
            if data_size <= d.value_size && data_size > MAX_INITIAL_DATA {
                data_size %= MAX_INITIAL_DATA + 1;
            }
            let bytes: Box<[u8]> = if data_size <= d.value_size {
                (0..data_size).map(|i| i as u8).collect()
            } else {
                Box::new([])
            };
            // ... and initial programs only when their count fits max_entries.
            let programs: Box<[bpf2c_map_initial_program_t]> = m.initial_programs.clone().into();
            let program_count = m
                .initial_program_count
                .resolve(programs.len(), d.max_entries);
            maps.push(bpf2c_map_entry_t {
                name: string_ptr(m.name),
                definition: d,
                flags: m.flags,
                initial_data_size: data_size,
                initial_data: if m.initial_data_null {
                    std::ptr::null()
                } else {
                    bytes.as_ptr()
                },
                initial_program_count: program_count,
                inner_map: 0,
                initial_programs: if m.initial_programs_null {
                    std::ptr::null()
                } else {
                    programs.as_ptr()
                },
            });
            initial_data.push(bytes);
            initial_programs.push(programs);
        }
        let helpers: Box<[bpf2c_helper_entry_t]> = self
            .helpers
            .iter()
            .map(|&(id, n)| bpf2c_helper_entry_t {
                id,
                name: string_ptr(n),
            })
            .collect();
        let programs: Box<[bpf2c_program_entry_t]> = self
            .programs
            .iter()
            .map(|p| bpf2c_program_entry_t {
                name: string_ptr(p.name),
                section: string_ptr(p.section),
                program_type: p.program_type,
                instruction_count: p.instruction_count,
                function: if p.function_null {
                    None
                } else {
                    Some(never_called)
                },
            })
            .collect();
        let functions: Box<[bpf2c_function_entry_t]> = self
            .functions
            .iter()
            .map(|&n| bpf2c_function_entry_t {
                name: string_ptr(n),
            })
            .collect();
        let maps: Box<[bpf2c_map_entry_t]> = maps.into();
        let assumptions: Box<[bpf2c_map_assumption_t]> = self.assumptions.clone().into();

        let table = |i: usize, ptr: *const u8| {
            if self.null_tables[i] {
                std::ptr::null()
            } else {
                ptr
            }
        };
        let [map_count, helper_count, program_count, function_count, assumption_count] =
            self.counts;
        let module = Box::new(bpf2c_module_t {
            magic: self.magic,
            abi_version: self.abi_version,
            module_size: self.module_size,
            map_data_version: self.map_data_version,
            map_data_size: self.map_data_size,
            runtime_context_size: self.runtime_context_size,
            invocation_size: self.invocation_size,
            flags: self.flags,
            name: string_ptr(self.name),
            maps: table(0, maps.as_ptr().cast()).cast(),
            map_count: map_count.resolve(maps.len(), MAX_MAPS),
            helper_count: helper_count.resolve(helpers.len(), MAX_HELPERS),
            helpers: table(1, helpers.as_ptr().cast()).cast(),
            programs: table(2, programs.as_ptr().cast()).cast(),
            program_count: program_count.resolve(programs.len(), MAX_PROGRAMS),
            function_count: function_count.resolve(functions.len(), MAX_FUNCTIONS),
            functions: table(3, functions.as_ptr().cast()).cast(),
            map_assumption_count: assumption_count.resolve(assumptions.len(), MAX_MAPS),
            reserved: self.reserved,
            map_assumptions: table(4, assumptions.as_ptr().cast()).cast(),
        });
        Built {
            module,
            _maps: maps,
            _initial_data: initial_data,
            _initial_programs: initial_programs,
            _helpers: helpers,
            _programs: programs,
            _functions: functions,
            _assumptions: assumptions,
        }
    }
}

/// The module and every table it points to, kept alive together.
struct Built {
    module: Box<bpf2c_module_t>,
    _maps: Box<[bpf2c_map_entry_t]>,
    _initial_data: Vec<Box<[u8]>>,
    _initial_programs: Vec<Box<[bpf2c_map_initial_program_t]>>,
    _helpers: Box<[bpf2c_helper_entry_t]>,
    _programs: Box<[bpf2c_program_entry_t]>,
    _functions: Box<[bpf2c_function_entry_t]>,
    _assumptions: Box<[bpf2c_map_assumption_t]>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_baseline_module_loads() {
        assert_eq!(load_tampered_module(&[]).unwrap(), 8);
    }

    #[test]
    fn a_count_past_the_table_is_cut_unless_the_loader_refuses_it() {
        assert_eq!(Count(Some(3)).resolve(8, MAX_MAPS), 3);
        assert_eq!(Count(Some(9)).resolve(8, MAX_MAPS), 8);
        assert_eq!(Count(Some(MAX_MAPS + 1)).resolve(8, MAX_MAPS), MAX_MAPS + 1);
        assert_eq!(Count(None).resolve(8, MAX_MAPS), 8);
    }

    #[test]
    fn edits_reach_the_loader() {
        // Field 0 is the magic: any other value is not a bpf2c module.
        let e = load_tampered_module(&[0, 0, 1, 2, 3, 4]).unwrap_err();
        assert!(e.to_string().contains("bad magic 0x04030201"), "{e}");
        // Field 17 on map 1 ('hash') sets max_entries past what the fuzzing instance allows.
        let e = load_tampered_module(&[17, 1, 0, 0, 0, 0x10]).unwrap_err();
        assert!(e.to_string().contains("'hash'"), "{e}");
        assert!(e.to_string().contains("more than the limit"), "{e}");
    }
}
