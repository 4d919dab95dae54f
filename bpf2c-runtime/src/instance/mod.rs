//! A loaded, runnable module: its maps, its helper table and its runtime context.
//!
//! An instance is built once and then only read, except for map contents, which are
//! synchronised by the maps themselves; that is what makes it `Send + Sync` and lets any
//! number of threads run its programs at once.

mod map_of_maps;
mod map_ref;
mod options;
mod run;
mod skb;

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::cpu::CpuSlots;
use crate::error::{LoadError, MapError, MapErrorKind};
use crate::ffi::{self, bpf2c_helper_fn, bpf2c_invocation_t, bpf2c_map_data_t};
use crate::helpers::custom::{CustomHelper, MAX_CUSTOM_HELPERS, TRAMPOLINES};
use crate::helpers::fib::Fib;
use crate::helpers::prandom::Prandom;
use crate::helpers::skb_meta::SkbMeta;
use crate::helpers::{self, id, TraceSink};
use crate::maps::shared::SharedBuf;
use crate::maps::{footprint, Map};
use crate::module::ModuleImage;
use crate::types::{MapAssumption, MapSpec, MapType, ProgramInfo};

pub use crate::redirect::{ClonedPacket, Redirect, RunOutcome};
pub use map_of_maps::MapOfMapsRef;
pub use map_ref::MapRef;
pub use options::{Options, DEFAULT_LOOP_BUDGET, DEFAULT_MAX_MAP_BYTES, MAX_CPU_SLOTS};
pub use run::{Program, RepeatStats};
pub use skb::{SkbFields, SkbPacketRun, SkbRun};

/// Distinguishes instances so a program handle cannot be used on the wrong one.
static NEXT_INSTANCE_ID: AtomicU64 = AtomicU64::new(1);

/// A module instance: maps created, helpers bound, ready to run programs from any thread.
pub struct Instance {
    /// Complete before any map's address (the handle programs hold) is taken, and never
    /// changed afterwards, so those addresses stay fixed.
    pub(crate) maps: Vec<Map>,
    /// Inner maps the host created for maps of maps ([`Instance::new_inner_map`]). Each is
    /// boxed, so its address (a handle a program may hold) stays fixed when the Vec grows,
    /// and none is removed before the instance is dropped.
    #[allow(clippy::vec_box)]
    pub(crate) inner_maps: Mutex<Vec<Box<Map>>>,
    /// The limit each map's memory must stay under, for maps created later too.
    max_map_bytes: usize,
    /// map_count elements of the module's own map_data_size.
    _map_data: Option<SharedBuf>,
    /// Module-order helper functions; the runtime context points here.
    _helper_table: Vec<Option<bpf2c_helper_fn>>,
    runtime: Box<ffi::bpf2c_runtime_context_t>,
    /// Every helper a run can reach (standard and custom), sorted by id, for callx.
    available: Vec<(u32, bpf2c_helper_fn)>,
    pub(crate) custom: Vec<CustomHelper>,
    pub(crate) trace: TraceSink,
    pub(crate) prandom: Prandom,
    /// What bpf_fib_lookup consults.
    pub(crate) fib: Fib,
    /// Seed of the flow hash bpf_get_hash_recalc computes.
    pub(crate) flow_hash_seed: u32,
    /// The skb state each run starts from.
    pub(crate) skb_meta: SkbMeta,
    slots: CpuSlots,
    /// Runs lease a CPU slot only when something can observe which one they have.
    lease_needed: bool,
    loop_budget: u64,
    id: u64,
    /// Last, so that it is dropped last: it may hold the library with the module's code.
    pub(crate) image: ModuleImage,
}

// SAFETY: the raw pointers in the runtime context point into this instance's own heap
// allocations (helper table, map data, maps), which are written only during construction;
// after that, map storage is the only mutable state, and it synchronises itself (atomics,
// locks, and per-run exclusive CPU slots for per-CPU values).
unsafe impl Send for Instance {}
// SAFETY: as for Send: shared references only read the construction-time state, and map
// storage synchronises itself.
unsafe impl Sync for Instance {}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance")
            .field("module", &self.image.name())
            .field("cpu_slots", &self.slots.count())
            .field("loop_budget", &self.loop_budget)
            .finish()
    }
}

impl Instance {
    /// Creates the module's maps and binds its helpers. Fails, naming the culprit, when a
    /// helper is missing, a map cannot be created, or the options are inconsistent.
    ///
    /// Only a module whose programs all passed verification is run: one translated without
    /// it ([`ModuleImage::is_verified`] is false) is refused with [`LoadError::Unverified`],
    /// since nothing then keeps its programs inside their memory. The unsafe
    /// [`Instance::new_unverified`] runs such a module anyway.
    pub fn new(image: ModuleImage, options: Options) -> Result<Instance, LoadError> {
        if !image.is_verified() {
            return Err(LoadError::Unverified {
                module: format!("'{}'", image.name()),
            });
        }
        // SAFETY: the module records that every program passed bpf2c's verifier, which
        // proved each memory access stays inside the memory the runtime hands it; the
        // record itself is truthful by the contract of the ModuleImage constructors.
        unsafe { Instance::new_unverified(image, options) }
    }

    /// [`Instance::new`] without the verification check: also instantiates a module whose
    /// programs were not verified (`cargo bpf2c gen --no-verify`,
    /// `TranslateOptions { verify: false, .. }`).
    ///
    /// # Safety
    /// The caller vouches for what the verifier would have proved: every program of the
    /// module is memory-safe, reading and writing only its context, its stack and the values
    /// the map helpers return, and calling helpers only with arguments of the types their
    /// prototypes declare. A program that breaks this corrupts or leaks this process's
    /// memory, and running it (through any `run` method) is undefined behaviour.
    pub unsafe fn new_unverified(
        image: ModuleImage,
        options: Options,
    ) -> Result<Instance, LoadError> {
        let label = format!("'{}'", image.name());
        if options.cpu_slots == 0 || options.cpu_slots > MAX_CPU_SLOTS {
            return Err(LoadError::Options {
                reason: format!(
                    "{} CPU slots requested; between 1 and {MAX_CPU_SLOTS} are possible",
                    options.cpu_slots
                ),
            });
        }
        let available = available_helpers(&options.helpers)?;
        let find = |id: u32| {
            available
                .binary_search_by_key(&id, |&(i, _)| i)
                .ok()
                .map(|at| available[at].1)
        };
        let mut helper_table = Vec::with_capacity(image.helpers().len());
        for h in image.helpers() {
            let f = find(h.id).ok_or_else(|| LoadError::MissingHelper {
                module: label.clone(),
                id: h.id,
                name: h.name.clone(),
            })?;
            helper_table.push(Some(f));
        }

        for (section, bytes) in &options.global_data {
            let Some(spec) = image.maps().iter().find(|m| &m.name == section) else {
                return Err(LoadError::Options {
                    reason: format!("global data for '{section}': the module has no such map"),
                });
            };
            if !spec.is_global_data() {
                return Err(LoadError::Options {
                    reason: format!("global data for '{section}': that map is not global data"),
                });
            }
            if bytes.len() > spec.value_size as usize {
                return Err(LoadError::Options {
                    reason: format!(
                        "global data for '{section}': {} bytes given, the section has {}",
                        bytes.len(),
                        spec.value_size
                    ),
                });
            }
        }

        let cpus = options.cpu_slots;
        let mut maps = Vec::with_capacity(image.maps().len());
        for spec in image.maps() {
            let replaced;
            let spec = match options.global_data.iter().find(|(s, _)| *s == spec.name) {
                Some((_, bytes)) => {
                    replaced = MapSpec {
                        initial_data: bytes.clone(),
                        ..spec.clone()
                    };
                    &replaced
                }
                None => spec,
            };
            let map_error = |reason: String| LoadError::Map {
                module: label.clone(),
                map: spec.name.clone(),
                reason,
            };
            match footprint(spec, cpus) {
                Some(bytes) if bytes <= options.max_map_bytes => {}
                Some(bytes) => {
                    return Err(map_error(format!(
                        "needs {bytes} bytes ({} entries of {} bytes{}), more than the limit \
                         of {} bytes",
                        spec.max_entries,
                        spec.value_size,
                        if spec.map_type.is_per_cpu() {
                            format!(" on {cpus} CPU slots")
                        } else {
                            String::new()
                        },
                        options.max_map_bytes
                    )))
                }
                None => return Err(map_error("its size overflows the address space".into())),
            }
            let map = match spec.inner_map {
                // check_templates made sure the template exists.
                Some(t) => Map::create_map_of_maps(spec.clone(), image.maps()[t].clone()),
                None => {
                    Map::create(spec.clone(), cpus, image.programs().len()).map_err(map_error)?
                }
            };
            maps.push(map);
        }
        map_of_maps::fill_initial_slots(&maps).map_err(|(map, reason)| LoadError::Map {
            module: label.clone(),
            map,
            reason,
        })?;

        let map_data =
            fill_map_data(&maps, image.map_data_size()).ok_or_else(|| LoadError::Module {
                module: label.clone(),
                reason: "the allocator refused the map data table".into(),
            })?;
        check_assumptions(&label, &maps, image.map_assumptions())?;

        let runtime = Box::new(ffi::bpf2c_runtime_context_t {
            version: ffi::BPF2C_RUNTIME_CONTEXT_VERSION,
            size: std::mem::size_of::<ffi::bpf2c_runtime_context_t>() as u32,
            helpers: helper_table.as_ptr(),
            map_data: map_data.as_ref().map_or(std::ptr::null_mut(), |b| {
                b.as_ptr() as *mut bpf2c_map_data_t
            }),
            helper_by_id: Some(helpers::helper_by_id),
        });
        let lease_needed = image.maps().iter().any(|m| m.map_type.is_per_cpu())
            || image
                .helpers()
                .iter()
                .any(|h| h.id == id::GET_SMP_PROCESSOR_ID);
        let prandom_replaced = options.helpers.iter().any(|h| h.id == id::GET_PRANDOM_U32);
        let prandom = Prandom::new(options.prandom_seed, prandom_replaced);
        Ok(Instance {
            maps,
            inner_maps: Mutex::new(Vec::new()),
            max_map_bytes: options.max_map_bytes,
            _map_data: map_data,
            _helper_table: helper_table,
            runtime,
            available,
            custom: options.helpers,
            trace: options.trace,
            prandom,
            fib: options.fib,
            flow_hash_seed: options.flow_hash_seed,
            skb_meta: options.skb_meta,
            slots: CpuSlots::new(cpus),
            lease_needed,
            loop_budget: options.loop_budget,
            id: NEXT_INSTANCE_ID.fetch_add(1, Ordering::Relaxed),
            image,
        })
    }

    /// The module this instance runs, for its metadata.
    pub fn module(&self) -> &ModuleImage {
        &self.image
    }

    /// The number of CPU slots, i.e. values per key in per-CPU maps.
    pub fn cpu_slots(&self) -> usize {
        self.slots.count()
    }

    /// The module's programs, in module order (a [`Program`]'s index refers to this).
    pub fn programs(&self) -> &[ProgramInfo] {
        self.image.programs()
    }

    /// A handle to the named map.
    pub fn map(&self, name: &str) -> Result<MapRef<'_>, MapError> {
        self.map_ref(name)
    }

    pub(crate) fn map_ref(&self, name: &str) -> Result<MapRef<'_>, MapError> {
        let module_map = self.maps.iter().find(|m| m.spec.name == name);
        module_map
            .or_else(|| {
                self.created_maps()
                    .into_iter()
                    .find(|m| m.spec.name == name)
            })
            .map(|m| MapRef::new(self, m))
            .ok_or_else(|| MapError::new(name, MapErrorKind::NoSuchMap))
    }

    /// Every map, in module order.
    pub fn maps(&self) -> impl Iterator<Item = MapRef<'_>> {
        self.maps.iter().map(|m| MapRef::new(self, m))
    }

    /// The function for a helper id, as callx finds it.
    pub(crate) fn helper_fn(&self, id: u32) -> Option<bpf2c_helper_fn> {
        self.available
            .binary_search_by_key(&id, |&(i, _)| i)
            .ok()
            .map(|at| self.available[at].1)
    }

    /// True when the runtime context handed to programs carries `helper_id` in its helper
    /// table or can reach it through callx.
    pub fn has_helper(&self, helper_id: u32) -> bool {
        self.helper_fn(helper_id).is_some()
    }

    /// Whether the module has a map of this type (handy for hosts deciding what to show).
    pub fn has_map_type(&self, map_type: MapType) -> bool {
        self.maps.iter().any(|m| m.spec.map_type == map_type)
    }
}

/// Compares what the module's code assumes about each map it reaches without the helpers
/// with the map this instance actually created. Inlined code has the bound, stride and value
/// size compiled in, so any difference would make it read or write the wrong memory.
fn check_assumptions(
    label: &str,
    maps: &[Map],
    assumptions: &[MapAssumption],
) -> Result<(), LoadError> {
    for a in assumptions {
        let map = &maps[a.map];
        let fail = |reason: String| LoadError::Map {
            module: label.to_string(),
            map: map.spec.name.clone(),
            reason,
        };
        let spec = &map.spec;
        for (what, compiled, actual) in [
            ("type", a.map_type, spec.map_type.raw()),
            ("key_size", a.key_size, spec.key_size),
            ("value_size", a.value_size, spec.value_size),
            ("max_entries", a.max_entries, spec.max_entries),
        ] {
            if compiled != actual {
                return Err(fail(format!(
                    "the module's code was compiled for {what} {compiled}, but the map has \
                     {what} {actual}: its map table does not match its code (altered after \
                     translation?); rebuild the module"
                )));
            }
        }
        if a.array_data {
            let (array_data, _) = map.array_view();
            if array_data.is_null() || !spec.map_type.is_array() {
                return Err(fail(
                    "the module's code addresses its elements directly, but the map has no \
                     array_data"
                        .into(),
                ));
            }
            let stride = map.array_stride().unwrap_or(0);
            if stride != a.stride {
                return Err(fail(format!(
                    "the module's code steps {} bytes from one element to the next, but this \
                     runtime lays elements out {stride} bytes apart",
                    a.stride
                )));
            }
        }
        if a.lookup && map.lookup_fn().is_none() {
            return Err(fail(format!(
                "the module's code calls its lookup function, but a {} has none",
                spec.map_type
            )));
        }
    }
    Ok(())
}

/// Standard helpers plus the host's, sorted by id; a host helper replaces a standard one.
fn available_helpers(custom: &[CustomHelper]) -> Result<Vec<(u32, bpf2c_helper_fn)>, LoadError> {
    if custom.len() > MAX_CUSTOM_HELPERS {
        return Err(LoadError::Options {
            reason: format!(
                "{} host helpers registered; an instance can have at most {MAX_CUSTOM_HELPERS}",
                custom.len()
            ),
        });
    }
    let mut all: Vec<(u32, bpf2c_helper_fn)> = Vec::new();
    for (slot, h) in custom.iter().enumerate() {
        if let Some(other) = custom[..slot].iter().find(|o| o.id == h.id) {
            return Err(LoadError::Options {
                reason: format!(
                    "helper id {} registered twice ('{}' and '{}')",
                    h.id, other.name, h.name
                ),
            });
        }
        all.push((h.id, TRAMPOLINES[slot]));
    }
    for &(id, f) in helpers::STANDARD.iter() {
        if !custom.iter().any(|h| h.id == id) {
            all.push((id, f));
        }
    }
    all.sort_by_key(|&(id, _)| id);
    Ok(all)
}

/// Builds the map-data table with the module's element size: each element gets the prefix
/// of the runtime's full `bpf2c_map_data_t` that fits, which is exactly the fields an older
/// module knows (the struct has no padding, and fields are only ever appended).
fn fill_map_data(maps: &[Map], element_size: u32) -> Option<Option<SharedBuf>> {
    if maps.is_empty() {
        return Some(None);
    }
    let size = element_size as usize;
    debug_assert!(size <= std::mem::size_of::<bpf2c_map_data_t>());
    let buf = SharedBuf::zeroed(maps.len().checked_mul(size)?)?;
    for (i, map) in maps.iter().enumerate() {
        let (array_data, cpu_stride) = map.array_view();
        let full = bpf2c_map_data_t {
            version: ffi::BPF2C_MAP_DATA_VERSION,
            size: element_size,
            address: map.address(),
            array_data,
            cpu_stride,
            lookup: map.lookup_fn(),
        };
        // SAFETY: element i lies inside the buffer, and size <= sizeof(full).
        unsafe {
            std::ptr::copy_nonoverlapping(
                &full as *const bpf2c_map_data_t as *const u8,
                buf.as_ptr().add(i * size),
                size,
            );
        }
    }
    Some(Some(buf))
}

/// What a run's helpers can reach through `bpf2c_invocation_t.host`.
pub(crate) struct RunState<'a> {
    pub inner: &'a Instance,
    /// The program running now: the entry program, or the last tail-call target.
    pub program: Cell<usize>,
    failure: RefCell<Option<Failure>>,
    /// The packet of an XDP or skb run, which the resize helpers change; NULL when the run
    /// has none (raw programs, `run_with_context`).
    pub packet: Cell<*mut crate::packet::Packet>,
    /// The target of the last `bpf_redirect`/`bpf_redirect_map` of the run.
    pub redirect: RefCell<Option<Redirect>>,
    /// The copies `bpf_clone_redirect` sent, in order.
    pub clones: RefCell<Vec<ClonedPacket>>,
    /// The skb state the packet helpers share; None until one first needs it.
    skb_meta: RefCell<Option<SkbMeta>>,
    /// Ring buffer reservations and spin locks the run holds (family "maps", issue 10).
    pub holds: crate::helpers::holds::RunHolds,
}

enum Failure {
    UnknownHelper(u64),
    Panicked { helper: String, message: String },
}

impl<'a> RunState<'a> {
    pub(crate) fn new(inner: &'a Instance, program: usize) -> RunState<'a> {
        RunState {
            inner,
            program: Cell::new(program),
            failure: RefCell::new(None),
            packet: Cell::new(std::ptr::null_mut()),
            redirect: RefCell::new(None),
            clones: RefCell::new(Vec::new()),
            skb_meta: RefCell::new(None),
            holds: Default::default(),
        }
    }

    /// Runs `f` on the run's skb state, which starts as the instance's default.
    pub fn with_skb_meta<R>(&self, f: impl FnOnce(&mut SkbMeta) -> R) -> R {
        let mut meta = self.skb_meta.borrow_mut();
        f(meta.get_or_insert(self.inner.skb_meta))
    }

    /// The type of the program running now.
    pub fn program_type(&self) -> crate::types::ProgramType {
        self.inner.image.programs()[self.program.get()].program_type
    }

    /// The run state of an invocation the runtime started.
    ///
    /// # Safety
    /// `inv` is NULL or an invocation whose `host` is NULL or a live `RunState`, which
    /// holds for every invocation this runtime creates.
    pub unsafe fn from_invocation<'b>(inv: *mut bpf2c_invocation_t) -> Option<&'b RunState<'b>> {
        // SAFETY: NULL or a live invocation (this function's contract).
        let inv = unsafe { inv.as_ref() }?;
        // SAFETY: `host` is NULL or the run's RunState, which outlives the run's helpers.
        unsafe { (inv.host as *const RunState<'b>).as_ref() }
    }

    pub fn program_name(&self) -> &'a str {
        &self.inner.image.programs()[self.program.get()].name
    }

    pub fn fail_unknown_helper(&self, id: u64) {
        self.failure.replace(Some(Failure::UnknownHelper(id)));
    }

    pub fn fail_panicked(&self, helper: &str, message: String) {
        self.failure.replace(Some(Failure::Panicked {
            helper: helper.to_string(),
            message,
        }));
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ffi::*;

    unsafe extern "C" fn ret_cpu(
        _: u64,
        _: u64,
        _: u64,
        _: u64,
        _: u64,
        inv: *mut bpf2c_invocation_t,
    ) -> u64 {
        // SAFETY: the runtime calls programs with the run's live invocation.
        unsafe { (*inv).cpu as u64 }
    }

    /// The unit tests' module was never verified (its "program" is `ret_cpu`), so it is
    /// instantiated the unsafe way.
    pub(crate) fn instantiate(image: ModuleImage, options: Options) -> Result<Instance, LoadError> {
        // SAFETY: the module's one program is ret_cpu above, which only reads its
        // invocation's cpu field: memory-safe without a verifier's proof.
        unsafe { Instance::new_unverified(image, options) }
    }

    /// A module written in Rust: one ARRAY (value 12) and, if asked, one PERCPU_ARRAY
    /// (value 8), both addressed directly by "inlined code".
    pub(crate) fn image(per_cpu: bool) -> ModuleImage {
        try_image(per_cpu, |_| {}).unwrap()
    }

    fn assumption(map: u32, def: bpf2c_map_definition_t, uses: u32) -> bpf2c_map_assumption_t {
        bpf2c_map_assumption_t {
            map,
            uses,
            definition: def,
            reserved: 0,
            stride: array_stride(def.value_size),
        }
    }

    /// Like `image`, with the assumption table edited by `tamper` first.
    fn try_image(
        per_cpu: bool,
        tamper: impl FnOnce(&mut [bpf2c_map_assumption_t]),
    ) -> Result<ModuleImage, LoadError> {
        let maps = [
            bpf2c_map_entry_t {
                name: c"a".as_ptr(),
                definition: bpf2c_map_definition_t {
                    r#type: BPF2C_MAP_TYPE_ARRAY,
                    key_size: 4,
                    value_size: 12,
                    max_entries: 3,
                    map_flags: 0,
                },
                flags: BPF2C_MAP_F_INLINED,
                initial_data_size: 0,
                initial_data: std::ptr::null(),
                initial_program_count: 0,
                inner_map: 0,
                initial_programs: std::ptr::null(),
            },
            bpf2c_map_entry_t {
                name: c"p".as_ptr(),
                definition: bpf2c_map_definition_t {
                    r#type: BPF2C_MAP_TYPE_PERCPU_ARRAY,
                    key_size: 4,
                    value_size: 8,
                    max_entries: 2,
                    map_flags: 0,
                },
                flags: BPF2C_MAP_F_INLINED,
                initial_data_size: 0,
                initial_data: std::ptr::null(),
                initial_program_count: 0,
                inner_map: 0,
                initial_programs: std::ptr::null(),
            },
        ];
        let mut assumptions = [
            assumption(0, maps[0].definition, BPF2C_MAP_USE_ARRAY_DATA),
            assumption(
                1,
                maps[1].definition,
                BPF2C_MAP_USE_ARRAY_DATA | BPF2C_MAP_USE_LOOKUP,
            ),
        ];
        tamper(&mut assumptions);
        let programs = [bpf2c_program_entry_t {
            name: c"cpu".as_ptr(),
            section: c"raw".as_ptr(),
            program_type: BPF2C_PROG_TYPE_RAW,
            instruction_count: 2,
            function: Some(ret_cpu),
        }];
        let module = bpf2c_module_t {
            magic: BPF2C_ABI_MAGIC,
            abi_version: BPF2C_ABI_VERSION,
            module_size: std::mem::size_of::<bpf2c_module_t>() as u32,
            map_data_version: BPF2C_MAP_DATA_VERSION,
            map_data_size: std::mem::size_of::<bpf2c_map_data_t>() as u32,
            runtime_context_size: std::mem::size_of::<bpf2c_runtime_context_t>() as u32,
            invocation_size: std::mem::size_of::<bpf2c_invocation_t>() as u32,
            flags: 0,
            name: c"unit".as_ptr(),
            maps: maps.as_ptr(),
            map_count: if per_cpu { 2 } else { 1 },
            helper_count: 0,
            helpers: std::ptr::null(),
            programs: programs.as_ptr(),
            program_count: 1,
            function_count: 0,
            functions: std::ptr::null(),
            map_assumption_count: if per_cpu { 2 } else { 1 },
            reserved: 0,
            map_assumptions: assumptions.as_ptr(),
        };
        // SAFETY: `module` and the tables it points to are complete locals laid out by the
        // ABI mirrors, alive for the call; the image copies every table, so they may go away
        // afterwards, and ret_cpu is code that stays loaded.
        unsafe { ModuleImage::from_ptr(&module) }
    }

    fn refusal(tamper: impl FnOnce(&mut [bpf2c_map_assumption_t])) -> String {
        match try_image(true, tamper) {
            Ok(image) => instantiate(image, Options::default())
                .unwrap_err()
                .to_string(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn maps_that_differ_from_what_the_code_assumes_are_refused() {
        let e = refusal(|a| a[0].definition.max_entries = 4);
        assert!(
            e.contains("map 'a'")
                && e.contains("compiled for max_entries 4, but the map has max_entries 3"),
            "{e}"
        );
        let e = refusal(|a| a[1].definition.value_size = 16);
        assert!(e.contains("map 'p'") && e.contains("value_size 16"), "{e}");
        let e = refusal(|a| a[0].definition.r#type = BPF2C_MAP_TYPE_PERCPU_ARRAY);
        assert!(
            e.contains("compiled for type 6, but the map has type 2"),
            "{e}"
        );
        let e = refusal(|a| a[0].definition.key_size = 8);
        assert!(e.contains("key_size 8"), "{e}");
        // The runtime's real stride for a 12-byte value is 16, not 12.
        let e = refusal(|a| a[0].stride = 12);
        assert!(
            e.contains("steps 12 bytes from one element to the next")
                && e.contains("16 bytes apart"),
            "{e}"
        );
        // Table consistency is checked when the image is read.
        let e = refusal(|a| a[0].uses = BPF2C_MAP_USE_LOOKUP);
        assert!(
            e.contains("flagged INLINED but no assumption record"),
            "{e}"
        );
        let e = refusal(|a| a[1].map = 0);
        assert!(e.contains("two assumption records name this map"), "{e}");
        let e = refusal(|a| a[1].map = 7);
        assert!(e.contains("names map 7, but the module has 2 maps"), "{e}");
        let e = refusal(|a| a[0].uses |= 0x80);
        assert!(e.contains("uses 0x81"), "{e}");
        // Untouched, it loads.
        assert!(instantiate(image(true), Options::default()).is_ok());
    }

    #[test]
    fn map_data_describes_each_array_for_inlined_access() {
        let inst = instantiate(image(true), Options::default().cpu_slots(3)).unwrap();
        // SAFETY: the instance filled one full-size element per map (two maps), and keeps
        // the table alive as long as `inst`.
        let md = unsafe { std::slice::from_raw_parts(inst.runtime.map_data, 2) };
        let (a, p) = (inst.map("a").unwrap(), inst.map("p").unwrap());
        assert_eq!((md[0].version, md[0].size), (1, 40));
        assert_eq!(md[0].array_data, a.array_data().unwrap());
        // cpu_stride 0 lets one formula address plain and per-CPU arrays alike.
        assert_eq!(md[0].cpu_stride, 0);
        assert_eq!(md[1].cpu_stride, 16);
        assert_eq!(md[1].array_data, p.array_data().unwrap());
        assert_ne!(md[0].address, md[1].address);
        assert!(md[0].lookup.is_some() && md[1].lookup.is_some());
        let key = 1u32.to_ne_bytes();
        let lookup = md[1].lookup.unwrap();
        // SAFETY: the map's own handle and a 4-byte key, as generated code would pass them.
        let found = unsafe { lookup(md[1].address, key.as_ptr().cast(), 2) };
        assert_eq!(found as usize, md[1].array_data as usize + 2 * 16 + 8);
        let past_end = 2u32.to_ne_bytes();
        // SAFETY: as above.
        assert!(unsafe { lookup(md[1].address, past_end.as_ptr().cast(), 2) }.is_null());
        // The per-CPU map makes runs lease a slot.
        let prog = inst.program("cpu").unwrap();
        assert!(inst.run_raw(&prog, &mut []).unwrap() < 3);
    }

    #[test]
    fn runs_without_per_cpu_state_use_slot_zero() {
        let inst = instantiate(image(false), Options::default().cpu_slots(4)).unwrap();
        let prog = inst.program("cpu").unwrap();
        // Nothing can observe the slot, so no lease is taken, even with runs in parallel.
        let _outer = inst.slots.lease();
        std::thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| assert_eq!(inst.run_raw(&prog, &mut []).unwrap(), 0));
            }
        });
    }

    #[test]
    fn only_the_unsafe_constructor_runs_an_unverified_module() {
        let e = Instance::new(image(false), Options::default()).unwrap_err();
        assert!(matches!(&e, LoadError::Unverified { module } if module == "'unit'"));
        let message = e.to_string();
        assert!(
            message.starts_with("module 'unit' was not verified (translated with --no-verify")
                && message.contains("Instance::new refuses to run them")
                && message.contains("the unsafe Instance::new_unverified"),
            "{message}"
        );
        // The same image, vouched for, instantiates and runs.
        let inst = instantiate(image(false), Options::default()).unwrap();
        let prog = inst.program("cpu").unwrap();
        assert_eq!(inst.run_raw(&prog, &mut []).unwrap(), 0);
        assert!(!inst.module().is_verified());
    }
}
