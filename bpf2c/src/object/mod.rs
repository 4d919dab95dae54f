//! The object model: what an eBPF object holds, independent of how it was read.
//!
//! One model feeds verification, fact extraction and code generation. ELF objects
//! ([`elf`]) and raw bytecode ([`raw`]) both produce an [`Object`]. Every reference an
//! instruction makes to a map or to another function is resolved here, from relocations,
//! into an index into [`Object::maps`] or [`Object::functions`]; later stages never look at
//! an instruction's immediate to learn which map or function it names.

pub mod btf;
mod bytes;
pub mod elf;
pub mod kinds;
pub mod raw;
pub mod select;
pub mod type_override;
pub mod validate;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::error::{Error, Location, Result};
use crate::insn::Insn;

/// Index into [`Object::maps`].
pub type MapId = usize;
/// Index into [`Object::functions`].
pub type FunctionId = usize;

/// An instruction of the object: a function and a slot index within it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InsnRef {
    pub function: FunctionId,
    pub insn: usize,
}

/// Map types the runtime implements, numbered as in `linux/bpf.h` (defined by the ABI).
pub use bpf2c_abi::MapType;
pub use kinds::{MapKind, ProgramKind};
pub use type_override::ProgramTypeOverride;

/// A map's definition: what the runtime needs to create it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MapDef {
    pub map_type: MapKind,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
}

/// Where a map came from in the object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MapOrigin {
    /// A record in the legacy `maps` section (or `maps/<name>`).
    Legacy { section: String },
    /// A BTF-defined map in `.maps`. The type ids name the key and value types when the
    /// definition used `__type(key, ...)` / `__type(value, ...)`.
    Btf {
        key_type: Option<u32>,
        value_type: Option<u32>,
    },
    /// `.data`, `.rodata*` or `.bss`: a one-entry array holding the section.
    GlobalData { section: String, read_only: bool },
}

/// One map object. Two maps with identical definitions are still two maps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Map {
    /// The map's symbol name, or the section name for global data.
    pub name: String,
    pub def: MapDef,
    pub origin: MapOrigin,
    /// Initial contents of the single value of a global-data map (`.bss` has none).
    pub initial_data: Option<Vec<u8>>,
    /// Initial entries of a PROG_ARRAY declared with `.values`: (index, function name).
    pub initial_programs: Vec<(u32, String)>,
    /// Initial entries of a map of maps declared with `.values`: (index, inner map).
    pub initial_maps: Vec<(u32, MapId)>,
    /// For a map of maps: the map (often a template that no instruction names) whose
    /// definition every inner map has.
    pub inner_map: Option<MapId>,
    /// A template describing the inner maps of a map of maps, not a map of its own.
    pub is_inner_template: bool,
}

impl Map {
    pub fn is_global_data(&self) -> bool {
        matches!(self.origin, MapOrigin::GlobalData { .. })
    }
}

/// What a relocation on an instruction refers to, resolved to the object's own indices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reloc {
    /// A 64-bit immediate load of a map (`src = BPF_PSEUDO_MAP_FD` once loaded).
    MapFd(MapId),
    /// A 64-bit immediate load of the address of a map's value plus an offset
    /// (`src = BPF_PSEUDO_MAP_VALUE`), used for global data.
    MapValue { map: MapId, offset: u32 },
    /// A BPF-to-BPF call (`call` with src = 1) to another function.
    Call(FunctionId),
}

/// A source position from BTF line info.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineInfo {
    /// Instruction index within the function (not the section).
    pub insn: usize,
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// The text of the source line, when BTF records it.
    pub source: String,
}

/// One eBPF function: a program's entry point or a subprogram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    /// The function's symbol name.
    pub name: String,
    /// The ELF section holding the function.
    pub section: String,
    /// Index of the function's first slot within its section.
    pub section_offset: usize,
    /// The instruction slots; `lddw` takes two.
    pub insns: Vec<Insn>,
    /// Resolved references, keyed by slot index within the function.
    pub relocs: BTreeMap<usize, Reloc>,
    /// Source positions, sorted by instruction index within the function.
    pub line_info: Vec<LineInfo>,
}

impl Function {
    /// The source position that covers instruction `insn`: the last entry at or before it.
    pub fn line_at(&self, insn: usize) -> Option<&LineInfo> {
        let idx = self.line_info.partition_point(|l| l.insn <= insn);
        idx.checked_sub(1).map(|i| &self.line_info[i])
    }
}

/// Program types the runtime supports (defined by the ABI).
pub use bpf2c_abi::ProgramType;

/// A program: an entry function plus everything it calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// The entry function's symbol name.
    pub name: String,
    pub section: String,
    pub prog_type: ProgramKind,
    pub entry: FunctionId,
    /// Why the program cannot be verified, when loading it already showed that (an
    /// unsupported relocation, a CO-RE relocation, a program type needing kernel BTF...).
    /// The object's other programs are unaffected.
    pub refusal: Option<Error>,
}

/// Where an object came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectKind {
    Elf,
    RawBytecode,
}

/// An eBPF object: its maps, functions and programs.
#[derive(Clone, Debug)]
pub struct Object {
    pub path: PathBuf,
    /// A C identifier naming the module, derived from the file name.
    pub name: String,
    pub kind: ObjectKind,
    pub little_endian: bool,
    pub maps: Vec<Map>,
    pub functions: Vec<Function>,
    pub programs: Vec<Program>,
    /// The object's BTF, when it has any.
    pub btf: Option<btf::Btf>,
    /// Things about the object worth saying that do not stop it loading (an old compiler's
    /// ELF header, for one).
    pub notes: Vec<String>,
}

/// Deepest chain of BPF-to-BPF calls, counting the entry function, as in Linux.
pub use bpf2c_abi::MAX_CALL_DEPTH;

impl Object {
    /// Location of instruction `insn` of function `func`, for diagnostics.
    pub fn location(&self, func: FunctionId, insn: Option<usize>) -> Location {
        let f = &self.functions[func];
        let mut loc = Location::file(&self.path)
            .section(&f.section)
            .function(&f.name);
        loc.insn = insn;
        loc
    }

    pub fn program(&self, name: &str) -> Option<&Program> {
        self.programs.iter().find(|p| p.name == name)
    }

    /// Functions a function calls directly, in order of first call, without duplicates.
    pub fn callees(&self, func: FunctionId) -> Vec<FunctionId> {
        let mut out = Vec::new();
        for r in self.functions[func].relocs.values() {
            if let Reloc::Call(callee) = *r {
                if !out.contains(&callee) {
                    out.push(callee);
                }
            }
        }
        out
    }

    /// Every function a program may run: its entry first, then callees in depth-first order.
    pub fn reachable_functions(&self, entry: FunctionId) -> Vec<FunctionId> {
        let mut seen = vec![entry];
        let mut known = vec![false; self.functions.len()];
        known[entry] = true;
        let mut stack = vec![entry];
        while let Some(f) = stack.pop() {
            for c in self.callees(f).into_iter().rev() {
                if !known[c] {
                    known[c] = true;
                    seen.push(c);
                    stack.push(c);
                }
            }
        }
        seen
    }

    /// Rejects recursion and call chains deeper than [`MAX_CALL_DEPTH`] from any program.
    pub fn check_call_graph(&self) -> Result<()> {
        self.call_depths().map(|_| ())
    }

    /// For every function a program runs, the most stack frames a call into it can use (1 for
    /// a function that calls nothing); 0 for functions no program runs. Fails on recursion and
    /// on chains deeper than [`MAX_CALL_DEPTH`]. Each function is explored once, so shared
    /// callees cost nothing extra however many paths lead to them.
    pub fn call_depths(&self) -> Result<Vec<usize>> {
        let entries: Vec<FunctionId> = self.programs.iter().map(|p| p.entry).collect();
        self.call_depths_from(&entries)
    }

    /// [`Object::call_depths`] for the functions the given entries run.
    pub fn call_depths_from(&self, entries: &[FunctionId]) -> Result<Vec<usize>> {
        struct Walk<'a> {
            obj: &'a Object,
            depth: Vec<usize>,
            on_path: Vec<bool>,
            path: Vec<FunctionId>,
        }
        impl Walk<'_> {
            fn names(&self, chain: &[FunctionId]) -> String {
                let names: Vec<&str> = chain
                    .iter()
                    .map(|&i| self.obj.functions[i].name.as_str())
                    .collect();
                names.join(" -> ")
            }

            /// The current path continued by the deepest chain below `f`, cut after one frame
            /// too many: the chain a depth error names.
            fn too_deep(&self, f: FunctionId) -> Error {
                let mut chain = self.path.clone();
                let mut at = Some(f);
                while let Some(g) = at.filter(|_| chain.len() <= MAX_CALL_DEPTH) {
                    chain.push(g);
                    at = self
                        .obj
                        .callees(g)
                        .into_iter()
                        .max_by_key(|&c| self.depth[c]);
                }
                let last = *chain.last().unwrap_or(&f);
                Error::new(
                    self.obj.location(last, None),
                    format!(
                        "BPF-to-BPF calls nest deeper than {MAX_CALL_DEPTH} frames: {}",
                        self.names(&chain)
                    ),
                )
            }

            fn visit(&mut self, f: FunctionId) -> Result<usize> {
                if self.on_path[f] {
                    let mut chain = self.path.clone();
                    chain.push(f);
                    return Err(Error::new(
                        self.obj.location(f, None),
                        format!("recursive BPF-to-BPF call: {}", self.names(&chain)),
                    ));
                }
                if self.depth[f] == 0 {
                    if self.path.len() >= MAX_CALL_DEPTH {
                        return Err(self.too_deep(f));
                    }
                    self.path.push(f);
                    self.on_path[f] = true;
                    let mut d = 1;
                    for c in self.obj.callees(f) {
                        d = d.max(1 + self.visit(c)?);
                    }
                    self.on_path[f] = false;
                    self.path.pop();
                    self.depth[f] = d;
                }
                if self.path.len() + self.depth[f] > MAX_CALL_DEPTH {
                    return Err(self.too_deep(f));
                }
                Ok(self.depth[f])
            }
        }
        let n = self.functions.len();
        let mut walk = Walk {
            obj: self,
            depth: vec![0; n],
            on_path: vec![false; n],
            path: Vec::new(),
        };
        for &entry in entries {
            walk.visit(entry)?;
        }
        Ok(walk.depth)
    }
}

/// Turns any name (a file stem, a symbol) into a C identifier, which is also a valid Rust
/// identifier fragment: characters other than ASCII letters, digits and `_` become `_`, and
/// a leading digit (or an empty name) gets a `_` in front.
pub fn c_identifier(stem: &str) -> String {
    let mut s: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_sanitized() {
        assert_eq!(c_identifier("flow-table.v2"), "flow_table_v2");
        assert_eq!(c_identifier("3maps"), "_3maps");
    }
}

/// How to read an input file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum InputFormat {
    /// An ELF object (what clang emits for `-target bpf`).
    #[default]
    Elf,
    /// Raw little-endian bytecode: one program, named after the file.
    Raw,
}

/// Reads an object from a file.
pub fn load_file(path: &std::path::Path, format: InputFormat) -> Result<Object> {
    match format {
        InputFormat::Elf => {
            let bytes = std::fs::read(path).map_err(|e| {
                Error::new(Location::file(path), format!("cannot read the file: {e}"))
            })?;
            if !bytes.starts_with(b"\x7fELF") {
                return Err(Error::new(
                    Location::file(path),
                    "not an ELF object (pass --raw to read raw bytecode)",
                ));
            }
            elf::load_elf(&bytes, path)
        }
        InputFormat::Raw => {
            let bytes = std::fs::read(path).map_err(|e| {
                Error::new(Location::file(path), format!("cannot read the file: {e}"))
            })?;
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("prog");
            raw::load_raw(&bytes, path, &c_identifier(stem))
        }
    }
}
