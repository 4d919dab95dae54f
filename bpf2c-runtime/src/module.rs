//! Loading and validating a module's `bpf2c_module_t`.
//!
//! A module is native code, so loading one is an act of trust; what the loader can still do
//! is make sure the metadata is what this runtime understands before using any of it: an
//! unknown ABI, a wrong size, a NULL table or a nonsensical map is reported as an error,
//! never followed. After validation every table is copied into owned Rust values, so the
//! only module memory used later is its code.

use std::collections::HashSet;
use std::ffi::c_char;
use std::mem::{offset_of, size_of};
use std::path::Path;
use std::sync::Arc;

use crate::error::LoadError;
use crate::ffi::{self, bpf2c_map_data_t, bpf2c_module_t};
use crate::types::{HelperSpec, MapAssumption, MapSpec, MapType, ProgramInfo, ProgramType};

/// Longest name the loader reads from a module before deciding it is not NUL-terminated.
pub const MAX_NAME_LEN: usize = 4096;
/// Most maps a module may declare.
pub const MAX_MAPS: u32 = 4096;
/// Most programs a module may declare.
pub const MAX_PROGRAMS: u32 = 65536;
/// Most helpers a module may list.
pub const MAX_HELPERS: u32 = 65536;
/// Most functions a module may list.
pub const MAX_FUNCTIONS: u32 = 1 << 20;
/// Largest key of a hash map: Linux keys come from the 512-byte stack.
pub const MAX_KEY_SIZE: u32 = 512;
/// Largest value of any map; larger values are certainly a corrupt definition.
pub const MAX_VALUE_SIZE: u32 = 1 << 30;

/// The smallest map-data element a module can have been compiled against: version, size
/// and address are in every version of the ABI.
const MIN_MAP_DATA_SIZE: u32 = offset_of!(bpf2c_map_data_t, array_data) as u32;
/// Bytes of a map-data element that must exist for the module to read `array_data`.
pub(crate) const MAP_DATA_WITH_ARRAY_DATA: u32 =
    (offset_of!(bpf2c_map_data_t, array_data) + size_of::<*mut u8>()) as u32;
/// Bytes of a map-data element that must exist for the module to read `cpu_stride`.
pub(crate) const MAP_DATA_WITH_CPU_STRIDE: u32 =
    (offset_of!(bpf2c_map_data_t, cpu_stride) + size_of::<u64>()) as u32;
/// Bytes of a map-data element that must exist for the module to call `lookup`.
pub(crate) const MAP_DATA_WITH_LOOKUP: u32 =
    (offset_of!(bpf2c_map_data_t, lookup) + size_of::<Option<ffi::bpf2c_map_lookup_fn>>()) as u32;

/// A validated module: its metadata as owned values, and whatever keeps its code loaded.
/// Cheap to clone; instances share it.
#[derive(Clone)]
pub struct ModuleImage {
    inner: Arc<ImageInner>,
}

struct ImageInner {
    name: String,
    flags: u32,
    map_data_size: u32,
    maps: Vec<MapSpec>,
    assumptions: Vec<MapAssumption>,
    helpers: Vec<HelperSpec>,
    programs: Vec<ProgramInfo>,
    functions: Vec<String>,
    /// The module's own copy of the repeat loop, when its library exports one.
    run_loop: Option<ffi::bpf2c_run_loop_fn>,
    // Declared last so that it is dropped last: the function pointers above point into it.
    _library: Option<libloading::Library>,
}

// SAFETY: the only raw pointers kept are the programs' function pointers, which point to
// immutable code that stays loaded while `_library` (or, for from_ptr, the caller's
// promise) keeps it; every other field is owned data, and libloading::Library is Send.
unsafe impl Send for ImageInner {}
// SAFETY: nothing in ImageInner is mutated after read_module builds it: shared references
// only read owned data and copy out function pointers to immutable code.
unsafe impl Sync for ImageInner {}

impl std::fmt::Debug for ModuleImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModuleImage")
            .field("name", &self.inner.name)
            .field("maps", &self.inner.maps)
            .field("helpers", &self.inner.helpers)
            .field(
                "programs",
                &self
                    .inner
                    .programs
                    .iter()
                    .map(|p| &p.name)
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl ModuleImage {
    /// Validates a module linked into the process (or otherwise kept in memory).
    ///
    /// # Safety
    /// `module` must be NULL or point to readable memory laid out as a `bpf2c_module_t`,
    /// whose non-NULL pointers point to tables of the stated counts, and whose program
    /// functions are real code that stays loaded as long as any instance of this image
    /// exists. Strings are read up to [`MAX_NAME_LEN`] bytes. Its flags must be truthful:
    /// `BPF2C_MODULE_F_VERIFIED` only if bpf2c's verifier passed every program, since
    /// [`Instance::new`](crate::Instance::new) runs the programs on the strength of it.
    /// These are facts the loader cannot check; everything it can check, it does.
    pub unsafe fn from_ptr(module: *const bpf2c_module_t) -> Result<ModuleImage, LoadError> {
        let origin = format!("at {module:p}");
        // SAFETY: the caller's contract is read_module's.
        let inner = unsafe { read_module(module, &origin, None) }?;
        Ok(ModuleImage {
            inner: Arc::new(inner),
        })
    }

    /// Loads a shared library and validates the module its `symbol` names. The library stays
    /// loaded for as long as this image or an instance of it lives. If the library also
    /// exports `symbol` + `_run_loop` (`BPF2C_DEFINE_RUN_LOOP`, which generated modules
    /// carry), [`Instance::run_repeat`](crate::Instance::run_repeat) runs that loop.
    ///
    /// # Safety
    /// Loading a library runs its initialisers, and its module must satisfy the contract
    /// of [`ModuleImage::from_ptr`]; a `symbol` + `_run_loop` it exports must be the ABI
    /// header's repeat loop. Only load libraries produced by bpf2c (or written to its ABI). A module bpf2c translated without verification says so in its flags, and
    /// [`Instance::new`](crate::Instance::new) refuses it.
    pub unsafe fn from_library(path: &Path, symbol: &str) -> Result<ModuleImage, LoadError> {
        // SAFETY: running the library's initialisers is what the caller vouches for.
        let library =
            unsafe { libloading::Library::new(path) }.map_err(|e| LoadError::Library {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        let module: *const bpf2c_module_t = {
            // SAFETY: the symbol is read as a plain address, not called or dereferenced
            // here; the caller vouches that it names a bpf2c_module_t.
            let sym: libloading::Symbol<*const bpf2c_module_t> =
                unsafe { library.get(symbol.as_bytes()) }.map_err(|e| LoadError::Symbol {
                    path: path.to_path_buf(),
                    symbol: symbol.to_string(),
                    message: e.to_string(),
                })?;
            *sym
        };
        // Optional: the module's own repeat loop (BPF2C_DEFINE_RUN_LOOP in the ABI header).
        let run_loop_symbol = format!("{symbol}{}", ffi::BPF2C_RUN_LOOP_SUFFIX);
        // SAFETY: a symbol with the module symbol's name plus the suffix is, by the ABI
        // header, that module's BPF2C_DEFINE_RUN_LOOP, of exactly this type; the function
        // pointer is copied out and kept only while the library stays loaded (below).
        let run_loop = unsafe { library.get::<ffi::bpf2c_run_loop_fn>(run_loop_symbol.as_bytes()) }
            .ok()
            .map(|f| *f);
        let origin = format!("{}:{symbol}", path.display());
        // SAFETY: the module is the caller's (this function's contract), and the library
        // that holds its code moves into the image, so it stays loaded with the image.
        let mut inner = unsafe { read_module(module, &origin, Some(library)) }?;
        inner.run_loop = run_loop;
        Ok(ModuleImage {
            inner: Arc::new(inner),
        })
    }

    /// The module's name, as the translator recorded it.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The module says every program passed verification (`BPF2C_MODULE_F_VERIFIED`).
    pub fn is_verified(&self) -> bool {
        self.inner.flags & ffi::BPF2C_MODULE_F_VERIFIED != 0
    }

    /// The module was generated with verifier-assisted optimisations.
    pub fn is_optimized(&self) -> bool {
        self.inner.flags & ffi::BPF2C_MODULE_F_OPTIMIZED != 0
    }

    /// The `bpf2c_map_data_t` size the module was compiled against; the runtime fills that
    /// many bytes of each element.
    pub fn map_data_size(&self) -> u32 {
        self.inner.map_data_size
    }

    /// Map definitions, indexed like `bpf2c_runtime_context_t.map_data`.
    pub fn maps(&self) -> &[MapSpec] {
        &self.inner.maps
    }

    /// What the module's code assumes about the maps it reaches without the map helpers;
    /// [`crate::Instance::new`] refuses maps that do not match.
    pub fn map_assumptions(&self) -> &[MapAssumption] {
        &self.inner.assumptions
    }

    /// Helpers the module calls, indexed like `bpf2c_runtime_context_t.helpers`.
    pub fn helpers(&self) -> &[HelperSpec] {
        &self.inner.helpers
    }

    /// The module's programs, in module order.
    pub fn programs(&self) -> &[ProgramInfo] {
        &self.inner.programs
    }

    /// Names of the module's eBPF functions, indexed like `unwind_function`.
    pub fn functions(&self) -> &[String] {
        &self.inner.functions
    }

    /// The module's own copy of the repeat loop, next to its programs, if its library
    /// exports one; [`Instance::run_repeat`](crate::Instance::run_repeat) prefers it to the
    /// runtime's.
    pub(crate) fn run_loop(&self) -> Option<ffi::bpf2c_run_loop_fn> {
        self.inner.run_loop
    }

    /// Whether the module's library exports its own repeat loop (`BPF2C_DEFINE_RUN_LOOP`),
    /// which [`Instance::run_repeat`](crate::Instance::run_repeat) then runs.
    pub fn has_own_run_loop(&self) -> bool {
        self.inner.run_loop.is_some()
    }
}

fn module_error(module: &str, reason: impl Into<String>) -> LoadError {
    LoadError::Module {
        module: module.to_string(),
        reason: reason.into(),
    }
}

/// Reads a NUL-terminated string of at most MAX_NAME_LEN bytes.
///
/// # Safety
/// `ptr` is NULL or readable up to its NUL or MAX_NAME_LEN bytes.
unsafe fn read_str(ptr: *const c_char) -> Result<String, &'static str> {
    if ptr.is_null() {
        return Err("is NULL");
    }
    let mut bytes = Vec::new();
    for i in 0..=MAX_NAME_LEN {
        // SAFETY: every byte before the NUL, and at most MAX_NAME_LEN of them, is readable
        // (this function's contract); the loop stops at the first NUL.
        let b = unsafe { ptr.add(i).read() } as u8;
        if b == 0 {
            return Ok(String::from_utf8_lossy(&bytes).into_owned());
        }
        bytes.push(b);
    }
    Err("is not NUL-terminated within 4096 bytes")
}

/// Checks a table pointer against its count; a zero count needs no table.
fn check_table<T>(
    module: &str,
    what: &str,
    ptr: *const T,
    count: u32,
    max: u32,
) -> Result<(), LoadError> {
    if count > max {
        return Err(module_error(
            module,
            format!("{count} {what} is more than the limit of {max}"),
        ));
    }
    if count > 0 && ptr.is_null() {
        return Err(module_error(
            module,
            format!("{what} table is NULL but the count is {count}"),
        ));
    }
    if count > 0 && !(ptr as usize).is_multiple_of(std::mem::align_of::<T>()) {
        return Err(module_error(
            module,
            format!("{what} table at {ptr:p} is misaligned"),
        ));
    }
    Ok(())
}

/// A module table as a slice, once [`check_table`] accepted its pointer and count.
///
/// # Safety
/// When `count > 0`, `ptr` is non-NULL, aligned (both checked by [`check_table`]) and points
/// to `count` initialised elements that nothing changes while `'a` lasts.
unsafe fn table<'a, T>(ptr: *const T, count: u32) -> &'a [T] {
    if count == 0 {
        // No table is needed, and the pointer may be anything.
        return &[];
    }
    // SAFETY: this function's contract is exactly from_raw_parts' for `count` elements.
    unsafe { std::slice::from_raw_parts(ptr, count as usize) }
}

/// Reads and validates a module.
///
/// # Safety
/// As for [`ModuleImage::from_ptr`]; `library`, if any, is what keeps the module loaded.
unsafe fn read_module(
    module: *const bpf2c_module_t,
    origin: &str,
    library: Option<libloading::Library>,
) -> Result<ImageInner, LoadError> {
    if module.is_null() {
        return Err(module_error(origin, "module pointer is NULL"));
    }
    if !(module as usize).is_multiple_of(std::mem::align_of::<bpf2c_module_t>()) {
        return Err(module_error(origin, "module is misaligned"));
    }
    // The first three fields are the same in every ABI version: read them alone before
    // assuming anything about the rest.
    // SAFETY: `module` is non-NULL and aligned (checked above) and points to a
    // bpf2c_module_t of some ABI version (from_ptr's contract), and every version begins
    // with the three u32 fields read here and below.
    let magic = unsafe { std::ptr::addr_of!((*module).magic).read() };
    if magic != ffi::BPF2C_ABI_MAGIC {
        return Err(module_error(
            origin,
            format!(
                "bad magic {magic:#010x} (expected {:#010x}): not a bpf2c module",
                ffi::BPF2C_ABI_MAGIC
            ),
        ));
    }
    // SAFETY: see the magic above.
    let abi = unsafe { std::ptr::addr_of!((*module).abi_version).read() };
    if abi == 0 {
        return Err(module_error(origin, "ABI version 0 is invalid"));
    }
    if abi > ffi::BPF2C_ABI_VERSION {
        return Err(module_error(
            origin,
            format!(
                "module needs ABI version {abi}, newer than this runtime's version {}; \
                 rebuild it with this runtime's bpf2c or upgrade the runtime",
                ffi::BPF2C_ABI_VERSION
            ),
        ));
    }
    // SAFETY: see the magic above.
    let module_size = unsafe { std::ptr::addr_of!((*module).module_size).read() };
    let expected = if abi == 1 {
        ffi::MODULE_SIZE_V1
    } else {
        size_of::<bpf2c_module_t>() as u32
    };
    if module_size != expected {
        return Err(module_error(
            origin,
            format!(
                "module_size is {module_size}, but ABI version {abi} has a {expected}-byte \
                 bpf2c_module_t"
            ),
        ));
    }
    // Only the fields of the module's own ABI version exist; later ones read as zero.
    let m = {
        let mut m = std::mem::MaybeUninit::<bpf2c_module_t>::zeroed();
        // SAFETY: a module of ABI version `abi` is `module_size` bytes long (checked above
        // against that version's size, never more than ours), readable by from_ptr's
        // contract, and `m` is a local of at least that size.
        unsafe {
            std::ptr::copy_nonoverlapping(
                module as *const u8,
                m.as_mut_ptr() as *mut u8,
                module_size as usize,
            )
        };
        // SAFETY: every field is an integer or a raw pointer, for which zero is valid.
        unsafe { m.assume_init() }
    };

    // SAFETY: module strings are NULL or NUL-terminated within MAX_NAME_LEN readable bytes
    // (from_ptr's contract); the same holds for every read_str below.
    let name =
        unsafe { read_str(m.name) }.map_err(|e| module_error(origin, format!("name {e}")))?;
    let label = format!("'{name}' ({origin})");
    check_sizes(&m, &label)?;

    check_table(&label, "maps", m.maps, m.map_count, MAX_MAPS)?;
    check_table(&label, "helpers", m.helpers, m.helper_count, MAX_HELPERS)?;
    check_table(
        &label,
        "programs",
        m.programs,
        m.program_count,
        MAX_PROGRAMS,
    )?;
    check_table(
        &label,
        "functions",
        m.functions,
        m.function_count,
        MAX_FUNCTIONS,
    )?;
    check_table(
        &label,
        "map assumptions",
        m.map_assumptions,
        m.map_assumption_count,
        MAX_MAPS,
    )?;
    if m.reserved != 0 {
        return Err(module_error(&label, "the reserved field is not 0"));
    }
    // SAFETY: check_table accepted each table's pointer and count above, and the tables
    // hold that many entries that nothing changes (from_ptr's contract). The slices live
    // only while this function reads them: everything is copied into owned values.
    let map_table = unsafe { table(m.maps, m.map_count) };
    // SAFETY: see the map table.
    let helper_table = unsafe { table(m.helpers, m.helper_count) };
    // SAFETY: see the map table.
    let program_table = unsafe { table(m.programs, m.program_count) };
    // SAFETY: see the map table.
    let function_table = unsafe { table(m.functions, m.function_count) };
    // An ABI version 1 module has no assumption table: its count reads as zero.
    // SAFETY: see the map table.
    let assumption_table = unsafe { table(m.map_assumptions, m.map_assumption_count) };

    let mut maps = Vec::with_capacity(map_table.len());
    for (i, entry) in map_table.iter().enumerate() {
        let counts = (m.program_count, m.map_count);
        // SAFETY: a map entry of the module (from_ptr's contract covers its strings and
        // initial-data and initial-program tables).
        let spec = unsafe { read_map(entry, i, &label, m.map_data_size, counts) }?;
        if maps.iter().any(|other: &MapSpec| other.name == spec.name) {
            return Err(LoadError::Map {
                module: label,
                map: spec.name,
                reason: "two maps have this name".into(),
            });
        }
        maps.push(spec);
    }
    crate::maps::map_of_maps::check_templates(&maps).map_err(|(map, reason)| LoadError::Map {
        module: label.clone(),
        map,
        reason,
    })?;
    let assumptions = read_assumptions(&m, abi, assumption_table, &maps, &label)?;

    let mut helpers = Vec::with_capacity(helper_table.len());
    for (i, h) in helper_table.iter().enumerate() {
        // SAFETY: a module string (see the module name).
        let name = unsafe { read_str(h.name) }
            .map_err(|e| module_error(&label, format!("helper {i} (id {}): name {e}", h.id)))?;
        helpers.push(HelperSpec { id: h.id, name });
    }

    let mut programs = Vec::with_capacity(program_table.len());
    let mut program_names = HashSet::new();
    for (i, entry) in program_table.iter().enumerate() {
        // SAFETY: a program entry of the module, whose strings from_ptr's contract covers.
        let p = unsafe { read_program(entry, i, &label) }?;
        if !program_names.insert(p.name.clone()) {
            return Err(LoadError::Program {
                module: label,
                program: p.name,
                reason: "two programs have this name".into(),
            });
        }
        programs.push(p);
    }

    let mut functions = Vec::with_capacity(function_table.len());
    for (i, f) in function_table.iter().enumerate() {
        // SAFETY: a module string (see the module name).
        let name = unsafe { read_str(f.name) }
            .map_err(|e| module_error(&label, format!("function {i}: name {e}")))?;
        functions.push(name);
    }

    Ok(ImageInner {
        name,
        flags: m.flags,
        map_data_size: m.map_data_size,
        maps,
        assumptions,
        helpers,
        programs,
        functions,
        run_loop: None,
        _library: library,
    })
}

/// The structure sizes the module was compiled against must be ones this runtime can serve.
fn check_sizes(m: &bpf2c_module_t, label: &str) -> Result<(), LoadError> {
    let ours = ffi::BPF2C_MAP_DATA_VERSION;
    if m.map_data_version == 0 || m.map_data_version > ours {
        return Err(module_error(
            label,
            format!(
                "map_data_version {} is unknown (this runtime fills version {ours})",
                m.map_data_version
            ),
        ));
    }
    let max = size_of::<bpf2c_map_data_t>() as u32;
    let size = m.map_data_size;
    if size > max {
        return Err(module_error(
            label,
            format!(
                "map_data_size {size} is larger than this runtime's {max}-byte \
                 bpf2c_map_data_t: the module expects fields this runtime does not fill"
            ),
        ));
    }
    if size < MIN_MAP_DATA_SIZE || !size.is_multiple_of(8) {
        return Err(module_error(
            label,
            format!(
                "map_data_size {size} is not a valid bpf2c_map_data_t size (a multiple \
                 of 8 from {MIN_MAP_DATA_SIZE} to {max})"
            ),
        ));
    }
    for (what, size, ours) in [
        (
            "runtime_context_size",
            m.runtime_context_size,
            size_of::<ffi::bpf2c_runtime_context_t>() as u32,
        ),
        // The runtime always provides the whole invocation; a module of an older ABI
        // version only knows the fields up to its version's end.
        (
            "invocation_size",
            m.invocation_size,
            if m.abi_version < 3 {
                ffi::INVOCATION_SIZE_V2
            } else {
                size_of::<ffi::bpf2c_invocation_t>() as u32
            },
        ),
    ] {
        if size > ours {
            return Err(module_error(
                label,
                format!(
                    "{what} {size} is larger than this runtime's {ours}: the module expects \
                     fields this runtime does not provide"
                ),
            ));
        }
        if size < ours {
            return Err(module_error(
                label,
                format!("{what} {size} does not match this ABI's {ours} bytes"),
            ));
        }
    }
    let known = ffi::BPF2C_MODULE_F_VERIFIED | ffi::BPF2C_MODULE_F_OPTIMIZED;
    if m.flags & !known != 0 {
        return Err(module_error(
            label,
            format!("unknown module flags {:#x}", m.flags & !known),
        ));
    }
    Ok(())
}

/// Reads and validates one map entry.
///
/// # Safety
/// The entry's name, initial data and initial-program table are what their fields say
/// (from_ptr's contract); the counts are checked here before any table is read.
unsafe fn read_map(
    e: &ffi::bpf2c_map_entry_t,
    index: usize,
    label: &str,
    map_data_size: u32,
    (program_count, map_count): (u32, u32),
) -> Result<MapSpec, LoadError> {
    // SAFETY: a module string (this function's contract).
    let name = unsafe { read_str(e.name) }
        .map_err(|err| module_error(label, format!("map {index}: name {err}")))?;
    let fail = |reason: String| LoadError::Map {
        module: label.to_string(),
        map: name.clone(),
        reason,
    };
    let d = e.definition;
    let map_type = MapType::from_raw(d.r#type).ok_or_else(|| {
        let known: Vec<&str> = MapType::ALL
            .iter()
            .map(|t| t.name().trim_start_matches("BPF_MAP_TYPE_"))
            .collect();
        fail(format!(
            "unknown map type {} (this runtime has {})",
            d.r#type,
            known.join(", ")
        ))
    })?;
    crate::maps::check_sizes(
        map_type,
        d.key_size,
        d.value_size,
        d.max_entries,
        d.map_flags,
    )
    .map_err(fail)?;
    if d.key_size > MAX_KEY_SIZE {
        return Err(fail(format!(
            "key_size {} is larger than {MAX_KEY_SIZE}",
            d.key_size
        )));
    }
    if map_type == MapType::ProgArray && d.value_size != 4 {
        return Err(fail(format!(
            "{map_type} needs 4-byte values, not {}",
            d.value_size
        )));
    }
    if d.value_size > MAX_VALUE_SIZE {
        return Err(fail(format!(
            "value_size {} is larger than {MAX_VALUE_SIZE}",
            d.value_size
        )));
    }
    let known =
        ffi::BPF2C_MAP_F_GLOBAL_DATA | ffi::BPF2C_MAP_F_READ_ONLY | ffi::BPF2C_MAP_F_INLINED;
    if e.flags & !known != 0 {
        return Err(fail(format!("unknown map flags {:#x}", e.flags & !known)));
    }
    let global = e.flags & ffi::BPF2C_MAP_F_GLOBAL_DATA != 0;
    if global && (map_type != MapType::Array || d.max_entries != 1) {
        return Err(fail(format!(
            "global data must be a 1-entry ARRAY, not a {}-entry {map_type}",
            d.max_entries
        )));
    }
    if e.flags & ffi::BPF2C_MAP_F_READ_ONLY != 0 && !global {
        return Err(fail("only global data (.rodata) can be read-only".into()));
    }
    if e.flags & ffi::BPF2C_MAP_F_INLINED != 0 {
        if !map_type.is_array() {
            return Err(fail(format!(
                "flagged INLINED, but {map_type} has no array_data to read directly"
            )));
        }
        if map_data_size < MAP_DATA_WITH_ARRAY_DATA {
            return Err(fail(format!(
                "flagged INLINED, but the module's {map_data_size}-byte bpf2c_map_data_t \
                 has no array_data field"
            )));
        }
        if map_type == MapType::PercpuArray && map_data_size < MAP_DATA_WITH_CPU_STRIDE {
            return Err(fail(format!(
                "flagged INLINED, but the module's {map_data_size}-byte bpf2c_map_data_t \
                 has no cpu_stride field"
            )));
        }
    }
    let initial_data = if e.initial_data_size > 0 {
        if !global {
            return Err(fail("only global data maps can have initial data".into()));
        }
        if e.initial_data_size > d.value_size {
            return Err(fail(format!(
                "{} bytes of initial data do not fit the {}-byte value",
                e.initial_data_size, d.value_size
            )));
        }
        if e.initial_data.is_null() {
            return Err(fail(format!(
                "initial_data is NULL but initial_data_size is {}",
                e.initial_data_size
            )));
        }
        // SAFETY: initial_data is non-NULL (checked above) and points to
        // initial_data_size bytes (this function's contract); u8 needs no alignment.
        unsafe { std::slice::from_raw_parts(e.initial_data, e.initial_data_size as usize) }.to_vec()
    } else {
        Vec::new()
    };
    let mut initial_programs = Vec::new();
    // A map of maps names maps of the module where a program array names programs.
    let (slot_targets, target_kind) = if map_type.is_map_of_maps() {
        (map_count, "maps")
    } else {
        (program_count, "programs")
    };
    if e.initial_program_count > 0 {
        if map_type != MapType::ProgArray && !map_type.is_map_of_maps() {
            return Err(fail(
                "only PROG_ARRAY maps and maps of maps can have initial programs".into(),
            ));
        }
        if e.initial_program_count > d.max_entries || e.initial_programs.is_null() {
            return Err(fail(format!(
                "{} initial programs for {} slots{}",
                e.initial_program_count,
                d.max_entries,
                if e.initial_programs.is_null() {
                    ", and the table is NULL"
                } else {
                    ""
                }
            )));
        }
        for k in 0..e.initial_program_count as usize {
            // SAFETY: the table is non-NULL (checked above) and holds initial_program_count
            // entries (this function's contract); an unaligned one is still read correctly.
            let entry = unsafe { e.initial_programs.add(k).read_unaligned() };
            // A HASH_OF_MAPS takes any u32 key; the others have slots below max_entries.
            let slot_ok = map_type == MapType::HashOfMaps || entry.index < d.max_entries;
            if !slot_ok || entry.program >= slot_targets {
                return Err(fail(format!(
                    "initial program {k} puts {} #{} in slot {}, but the module has {} \
                     {target_kind} and the map {} slots",
                    &target_kind[..target_kind.len() - 1],
                    entry.program,
                    entry.index,
                    slot_targets,
                    d.max_entries
                )));
            }
            initial_programs.push((entry.index, entry.program as usize));
        }
    }
    Ok(MapSpec {
        name,
        initial_programs,
        inner_map: map_type.is_map_of_maps().then_some(e.inner_map as usize),
        map_type,
        key_size: d.key_size,
        value_size: d.value_size,
        max_entries: d.max_entries,
        map_flags: d.map_flags,
        flags: e.flags,
        initial_data,
    })
}

/// Reads and checks the assumption table against the map table. The comparison with the maps
/// an instance creates happens in [`crate::Instance::new`]; here only the table's own
/// consistency: known maps, known uses, one record per map, and exactly the maps flagged
/// INLINED addressing `array_data`.
fn read_assumptions(
    m: &bpf2c_module_t,
    abi: u32,
    table: &[ffi::bpf2c_map_assumption_t],
    maps: &[MapSpec],
    label: &str,
) -> Result<Vec<MapAssumption>, LoadError> {
    let map_error = |map: &MapSpec, reason: String| LoadError::Map {
        module: label.to_string(),
        map: map.name.clone(),
        reason,
    };
    if abi < 2 {
        if let Some(map) = maps.iter().find(|s| s.is_inlined()) {
            return Err(map_error(
                map,
                "flagged INLINED, but an ABI version 1 module carries no assumptions about \
                 its maps for the runtime to check; rebuild it with a current bpf2c"
                    .into(),
            ));
        }
        return Ok(Vec::new());
    }
    let mut out: Vec<MapAssumption> = Vec::with_capacity(table.len());
    for (k, &a) in table.iter().enumerate() {
        let Some(spec) = maps.get(a.map as usize) else {
            return Err(module_error(
                label,
                format!(
                    "map assumption {k} names map {}, but the module has {} maps",
                    a.map,
                    maps.len()
                ),
            ));
        };
        let known = ffi::BPF2C_MAP_USE_ARRAY_DATA | ffi::BPF2C_MAP_USE_LOOKUP;
        if a.uses == 0 || a.uses & !known != 0 || a.reserved != 0 {
            return Err(map_error(
                spec,
                format!(
                    "assumption record has uses {:#x} and reserved {:#x}; this runtime knows \
                     uses {known:#x} and reserved 0",
                    a.uses, a.reserved
                ),
            ));
        }
        if out.iter().any(|o| o.map == a.map as usize) {
            return Err(map_error(
                spec,
                "two assumption records name this map".into(),
            ));
        }
        let array_data = a.uses & ffi::BPF2C_MAP_USE_ARRAY_DATA != 0;
        if array_data != spec.is_inlined() {
            return Err(map_error(
                spec,
                if array_data {
                    "the code addresses its array_data but the map is not flagged INLINED"
                } else {
                    "flagged INLINED but no assumption record says how the code addresses it"
                }
                .into(),
            ));
        }
        let lookup = a.uses & ffi::BPF2C_MAP_USE_LOOKUP != 0;
        if lookup && m.map_data_size < MAP_DATA_WITH_LOOKUP {
            return Err(map_error(
                spec,
                format!(
                    "the code calls its lookup function, but the module's {}-byte \
                     bpf2c_map_data_t has no lookup field",
                    m.map_data_size
                ),
            ));
        }
        let d = a.definition;
        out.push(MapAssumption {
            map: a.map as usize,
            array_data,
            lookup,
            map_type: d.r#type,
            key_size: d.key_size,
            value_size: d.value_size,
            max_entries: d.max_entries,
            stride: a.stride,
        });
    }
    if let Some(map) = maps
        .iter()
        .enumerate()
        .find(|(i, s)| s.is_inlined() && !out.iter().any(|a| a.map == *i))
        .map(|(_, s)| s)
    {
        return Err(map_error(
            map,
            "flagged INLINED but no assumption record says how the code addresses it".into(),
        ));
    }
    Ok(out)
}

/// Reads and validates one program entry.
///
/// # Safety
/// The entry's name and section are module strings (from_ptr's contract).
unsafe fn read_program(
    p: &ffi::bpf2c_program_entry_t,
    index: usize,
    label: &str,
) -> Result<ProgramInfo, LoadError> {
    // SAFETY: module strings (this function's contract), as is the section below.
    let name = unsafe { read_str(p.name) }
        .map_err(|err| module_error(label, format!("program {index}: name {err}")))?;
    let fail = |reason: String| LoadError::Program {
        module: label.to_string(),
        program: name.clone(),
        reason,
    };
    // SAFETY: see the name.
    let section = unsafe { read_str(p.section) }.map_err(|err| fail(format!("section {err}")))?;
    let program_type = ProgramType::from_raw(p.program_type).ok_or_else(|| {
        fail(format!(
            "unknown program type {} (this runtime runs raw (0) and xdp (1))",
            p.program_type
        ))
    })?;
    let function = p
        .function
        .ok_or_else(|| fail("function pointer is NULL".into()))?;
    Ok(ProgramInfo {
        name,
        section,
        program_type,
        instruction_count: p.instruction_count,
        function,
    })
}
