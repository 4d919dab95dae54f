//! Error types. Map errors carry a Linux errno because programs see the same failures as
//! negative errno values from the map helpers, and hosts ported from libbpf expect them.

use std::fmt;
use std::path::PathBuf;

use crate::types::MapType;

pub use bpf2c_abi::Errno;

/// Why a map operation failed, without the map's name (see [`MapError`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MapErrorKind {
    /// The instance has no map of that name.
    NoSuchMap,
    KeySize {
        expected: usize,
        got: usize,
    },
    /// `expected` lists every accepted length (per-CPU maps take one value or one per CPU).
    ValueSize {
        expected: Vec<usize>,
        got: usize,
    },
    /// The key is not in the map (ENOENT).
    NotFound,
    /// `NoExist` was asked for and the key is present (EEXIST).
    Exists,
    /// A hash map has no free slot (E2BIG).
    Full {
        max_entries: u32,
    },
    /// An array index past the end (E2BIG for updates, as in Linux).
    IndexOutOfRange {
        index: u32,
        max_entries: u32,
    },
    /// Update flags other than BPF_ANY, BPF_NOEXIST or BPF_EXIST (EINVAL).
    BadFlags(u64),
    /// The operation does not exist for this map type, e.g. deleting from an array (EINVAL).
    Unsupported {
        operation: &'static str,
        map_type: MapType,
    },
    /// .rodata is frozen once loaded, as in Linux, because programs may rely on its values.
    ReadOnly,
    /// A program array was given a program the instance does not have.
    NoSuchProgram(String),
    /// A byte range (`read_at`/`write_at`) reaches past the end of the value (EINVAL).
    RangeOutOfValue {
        offset: usize,
        len: usize,
        value_size: usize,
    },
    /// A typed view was asked of a map of another type (EINVAL).
    WrongMapType {
        wanted: &'static str,
        map_type: MapType,
    },
    // Family "maps" (issue 10).
    /// An LPM_TRIE key's prefix length is longer than its data (EINVAL).
    BadPrefix {
        prefix_len: u32,
        max: u32,
    },
    /// An LPM_TRIE is full and the key is new (ENOSPC, as in Linux).
    NoSpace {
        max_entries: u32,
    },
    /// A QUEUE or STACK has nothing to pop or peek (ENOENT).
    Empty,
    /// A map given as an inner map of a map of maps does not match its template, or is not
    /// a map of the same instance (EINVAL, as in Linux).
    IncompatibleInnerMap(String),
    /// A map could not be created: too large for the instance's limit (E2BIG).
    CannotCreate(String),
}

/// A failed map operation, naming the map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapError {
    /// The map's name, so that a message makes sense on its own.
    pub map: String,
    /// What went wrong, for hosts that react to particular failures.
    pub kind: MapErrorKind,
}

impl MapError {
    pub(crate) fn new(map: &str, kind: MapErrorKind) -> MapError {
        MapError {
            map: map.to_string(),
            kind,
        }
    }

    /// The errno Linux would report for the same failure.
    pub fn errno(&self) -> Errno {
        self.kind.errno()
    }
}

impl MapErrorKind {
    /// The errno Linux would report for the same failure.
    pub fn errno(&self) -> Errno {
        match self {
            MapErrorKind::NotFound | MapErrorKind::NoSuchMap => Errno::ENOENT,
            MapErrorKind::Exists => Errno::EEXIST,
            MapErrorKind::Full { .. }
            | MapErrorKind::IndexOutOfRange { .. }
            | MapErrorKind::CannotCreate(_) => Errno::E2BIG,
            MapErrorKind::ReadOnly => Errno::EPERM,
            MapErrorKind::KeySize { .. }
            | MapErrorKind::ValueSize { .. }
            | MapErrorKind::BadFlags(_)
            | MapErrorKind::Unsupported { .. }
            | MapErrorKind::NoSuchProgram(_)
            | MapErrorKind::RangeOutOfValue { .. }
            | MapErrorKind::WrongMapType { .. }
            | MapErrorKind::BadPrefix { .. }
            | MapErrorKind::IncompatibleInnerMap(_) => Errno::EINVAL,
            MapErrorKind::NoSpace { .. } => Errno::ENOSPC,
            MapErrorKind::Empty => Errno::ENOENT,
        }
    }
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "map '{}': ", self.map)?;
        match &self.kind {
            MapErrorKind::NoSuchMap => write!(f, "no such map in this instance")?,
            MapErrorKind::KeySize { expected, got } => {
                write!(f, "key is {got} bytes, the map's keys are {expected} bytes")?
            }
            MapErrorKind::ValueSize { expected, got } => {
                let list: Vec<String> = expected.iter().map(|n| n.to_string()).collect();
                write!(f, "value is {got} bytes, expected {}", list.join(" or "))?
            }
            MapErrorKind::NotFound => write!(f, "no such key")?,
            MapErrorKind::Exists => write!(f, "key already exists and BPF_NOEXIST was given")?,
            MapErrorKind::Full { max_entries } => write!(f, "map is full ({max_entries} entries)")?,
            MapErrorKind::IndexOutOfRange { index, max_entries } => write!(
                f,
                "index {index} is out of range (max_entries {max_entries})"
            )?,
            MapErrorKind::BadFlags(flags) => write!(
                f,
                "update flags {flags:#x} are not BPF_ANY, BPF_NOEXIST or BPF_EXIST"
            )?,
            MapErrorKind::Unsupported {
                operation,
                map_type,
            } => write!(f, "{map_type} maps do not support {operation}")?,
            MapErrorKind::ReadOnly => write!(f, "map is read-only")?,
            MapErrorKind::NoSuchProgram(p) => write!(f, "no program named '{p}'")?,
            MapErrorKind::RangeOutOfValue {
                offset,
                len,
                value_size,
            } => write!(
                f,
                "{len} bytes at offset {offset} reach past the end of the {value_size}-byte value"
            )?,
            MapErrorKind::WrongMapType { wanted, map_type } => {
                write!(f, "is a {map_type}, not {wanted}")?
            }
            MapErrorKind::BadPrefix { prefix_len, max } => write!(
                f,
                "prefix length {prefix_len} is longer than the key's {max} bits"
            )?,
            MapErrorKind::NoSpace { max_entries } => {
                write!(f, "map is full ({max_entries} entries)")?
            }
            MapErrorKind::Empty => write!(f, "nothing to take: the map is empty")?,
            MapErrorKind::IncompatibleInnerMap(reason) => {
                write!(f, "cannot hold that inner map: {reason}")?
            }
            MapErrorKind::CannotCreate(reason) => write!(f, "cannot create the map: {reason}")?,
        }
        write!(f, " ({})", self.errno())
    }
}

impl std::error::Error for MapError {}

/// Why a module could not be loaded or instantiated. Every variant names the module (or the
/// library it came from) and the part of it at fault, so a host can print it as it is.
#[derive(Debug)]
pub enum LoadError {
    /// The shared library could not be opened.
    Library { path: PathBuf, message: String },
    /// The library has no such symbol.
    Symbol {
        path: PathBuf,
        symbol: String,
        message: String,
    },
    /// The module header or one of its tables is malformed or from an unknown ABI.
    Module { module: String, reason: String },
    /// One map definition is unusable.
    Map {
        module: String,
        map: String,
        reason: String,
    },
    /// One program entry is unusable.
    Program {
        module: String,
        program: String,
        reason: String,
    },
    /// The module calls a helper that is neither standard nor registered by the host.
    MissingHelper {
        module: String,
        id: u32,
        name: String,
    },
    /// The instance options are inconsistent (e.g. a custom helper id registered twice).
    Options { reason: String },
    /// The module does not record that its programs passed verification
    /// (`BPF2C_MODULE_F_VERIFIED`), so [`crate::Instance::new`] will not run them; only the
    /// unsafe [`crate::Instance::new_unverified`] does.
    Unverified { module: String },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Library { path, message } => {
                write!(f, "cannot load library {}: {message}", path.display())
            }
            LoadError::Symbol {
                path,
                symbol,
                message,
            } => write!(
                f,
                "library {} has no module symbol '{symbol}': {message}",
                path.display()
            ),
            LoadError::Module { module, reason } => write!(f, "module {module}: {reason}"),
            LoadError::Map {
                module,
                map,
                reason,
            } => write!(f, "module {module}: map '{map}': {reason}"),
            LoadError::Program {
                module,
                program,
                reason,
            } => write!(f, "module {module}: program '{program}': {reason}"),
            LoadError::MissingHelper { module, id, name } => write!(
                f,
                "module {module}: helper {id} ('{name}') is not provided by the runtime \
                 and was not registered by the host"
            ),
            LoadError::Options { reason } => write!(f, "instance options: {reason}"),
            LoadError::Unverified { module } => write!(
                f,
                "module {module} was not verified (translated with --no-verify or \
                 TranslateOptions {{ verify: false }}): its programs may read and write any \
                 memory, so Instance::new refuses to run them; verify the object, or vouch \
                 for the programs with the unsafe Instance::new_unverified"
            ),
        }
    }
}

impl std::error::Error for LoadError {}

/// Why a run did not produce a return value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunError {
    /// The run took more back-edges than its budget allows: most likely an endless loop.
    LoopBudget {
        program: String,
        function: String,
        instruction: u32,
        budget: u64,
    },
    /// callx named a helper the instance does not have (`None` when the generated code
    /// itself reported the bad helper).
    BadHelper {
        program: String,
        helper_id: Option<u64>,
    },
    /// More data than the program type allows: the verifier proved the program safe only
    /// for data up to that size.
    DataTooLarge {
        program: String,
        len: usize,
        max: usize,
    },
    /// The instance has no program of that name.
    NoSuchProgram {
        program: String,
        available: Vec<String>,
    },
    /// A host helper panicked; the run was abandoned at that call.
    HelperPanicked {
        program: String,
        helper: String,
        message: String,
    },
    /// The program's type does not take the context this call provides.
    WrongProgramType {
        program: String,
        expected: String,
        actual: String,
    },
    /// The program handle belongs to another instance.
    ForeignProgram { program_index: usize },
    /// The module reported an unwind reason the runtime does not know, or an impossible
    /// tail-call target: generated code and runtime disagree about the ABI.
    BadUnwind { program: String, reason: String },
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::DataTooLarge { program, len, max } => write!(
                f,
                "program '{program}': {len} bytes of data is more than the {max} bytes its \
                 program type allows"
            ),
            RunError::LoopBudget {
                program,
                function,
                instruction,
                budget,
            } => write!(
                f,
                "program '{program}': loop budget of {budget} back-edges exhausted in \
                 function '{function}' at instruction {instruction}"
            ),
            RunError::BadHelper {
                program,
                helper_id: Some(id),
            } => write!(
                f,
                "program '{program}': called unknown helper {id} through callx"
            ),
            RunError::BadHelper {
                program,
                helper_id: None,
            } => write!(f, "program '{program}': called an unknown helper"),
            RunError::NoSuchProgram { program, available } => write!(
                f,
                "no program named '{program}' (the module has: {})",
                available.join(", ")
            ),
            RunError::HelperPanicked {
                program,
                helper,
                message,
            } => write!(
                f,
                "program '{program}': helper '{helper}' panicked: {message}"
            ),
            RunError::WrongProgramType {
                program,
                expected,
                actual,
            } => write!(
                f,
                "program '{program}' is of type {actual}, this call runs {expected} programs"
            ),
            RunError::ForeignProgram { program_index } => write!(
                f,
                "program handle {program_index} belongs to another instance"
            ),
            RunError::BadUnwind { program, reason } => write!(f, "program '{program}': {reason}"),
        }
    }
}

impl std::error::Error for RunError {}
