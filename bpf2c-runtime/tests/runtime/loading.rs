//! Module validation: good modules load, bad ones are refused with a message naming the
//! problem, never a crash.

use std::ffi::CString;
use std::path::Path;

use bpf2c_runtime::ffi::{self, bpf2c_map_entry_t, bpf2c_module_t, bpf2c_program_entry_t};
use bpf2c_runtime::{Instance, LoadError, ModuleImage, Options, ProgramType, UpdateFlags};

use crate::common::{image, module_path, raw_module, u64_at, SYMBOL};

/// Validates a module header, which the tests corrupt field by field.
fn load(m: &bpf2c_module_t) -> Result<ModuleImage, LoadError> {
    // SAFETY: every header here is a copy of a tests/modules header whose library a
    // RawModule keeps open. Tests change its sizes, counts, flags and versions only in ways
    // the loader refuses before it reads past a table (or, for version 1, fields it never
    // reads), and its pointers only to NULL or to live local copies of the tables.
    unsafe { ModuleImage::from_ptr(m) }
}

fn load_err(m: &bpf2c_module_t) -> String {
    match load(m) {
        Ok(_) => panic!("module was accepted"),
        Err(e) => e.to_string(),
    }
}

fn new_err(image: ModuleImage, options: Options) -> String {
    Instance::new(image, options).unwrap_err().to_string()
}

/// The module's map table, copied so that a test can corrupt one entry.
fn maps_of(m: &bpf2c_module_t) -> Vec<bpf2c_map_entry_t> {
    // SAFETY: an uncorrupted module's map table holds map_count entries.
    unsafe { std::slice::from_raw_parts(m.maps, m.map_count as usize).to_vec() }
}

fn programs_of(m: &bpf2c_module_t) -> Vec<bpf2c_program_entry_t> {
    // SAFETY: an uncorrupted module's program table holds program_count entries.
    unsafe { std::slice::from_raw_parts(m.programs, m.program_count as usize).to_vec() }
}

#[test]
fn a_good_module_is_described_faithfully() {
    let img = image("maps");
    assert_eq!(img.name(), "maps");
    assert!(img.is_verified() && !img.is_optimized());
    assert_eq!(img.map_data_size(), 40);
    let names: Vec<&str> = img.maps().iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "arr",
            "hash",
            "pcpu_arr",
            "pcpu_hash",
            "lru",
            ".data",
            ".rodata",
            "counters"
        ]
    );
    assert_eq!(img.maps()[5].initial_data, (1..=12).collect::<Vec<u8>>());
    let helpers: Vec<u32> = img.helpers().iter().map(|h| h.id).collect();
    assert_eq!(helpers, [1, 2, 3, 8]);
    assert_eq!(img.helpers()[3].name, "bpf_get_smp_processor_id");
    let p = &img.programs()[0];
    assert_eq!(
        (
            p.name.as_str(),
            p.section.as_str(),
            p.program_type,
            p.instruction_count
        ),
        ("cmd", "raw/cmd", ProgramType::Raw, 40)
    );
    assert_eq!(img.functions(), ["cmd", "count", "globals"]);

    // The same module through a raw pointer, as a statically linked module would be.
    let raw = raw_module("maps");
    let img2 = load(&raw.module).unwrap();
    assert_eq!(img2.maps(), img.maps());
}

#[test]
fn library_problems_name_the_file_and_symbol() {
    // SAFETY: the library does not exist, so nothing is loaded.
    let e = unsafe { ModuleImage::from_library(Path::new("/nonexistent/libx.so"), SYMBOL) }
        .unwrap_err();
    assert!(matches!(e, LoadError::Library { .. }));
    assert!(
        e.to_string()
            .starts_with("cannot load library /nonexistent/libx.so: "),
        "{e}"
    );
    let path = module_path("maps");
    // SAFETY: a tests/modules library; the symbol does not exist, so nothing is read.
    let e = unsafe { ModuleImage::from_library(&path, "no_such_symbol") }.unwrap_err();
    assert!(
        e.to_string().starts_with(&format!(
            "library {} has no module symbol 'no_such_symbol'",
            path.display()
        )),
        "{e}"
    );
}

#[test]
fn header_problems_are_refused() {
    let raw = raw_module("maps");
    let good = raw.module;
    assert!(load(&good).is_ok());
    // SAFETY: NULL is allowed, and refused.
    assert!(unsafe { ModuleImage::from_ptr(std::ptr::null()) }
        .unwrap_err()
        .to_string()
        .ends_with("module pointer is NULL"));

    let mut m = good;
    m.magic = 0x1234_5678;
    assert!(
        load_err(&m).ends_with("bad magic 0x12345678 (expected 0x43324642): not a bpf2c module")
    );

    let mut m = good;
    m.abi_version = 4;
    let e = load_err(&m);
    assert!(
        e.contains("module needs ABI version 4, newer than this runtime's version 3"),
        "{e}"
    );
    m.abi_version = 0;
    assert!(load_err(&m).ends_with("ABI version 0 is invalid"));

    let mut m = good;
    m.module_size += 8;
    assert!(load_err(&m).contains("module_size is 112, but ABI version 3 has a 104-byte"));
    let mut m = good;
    m.abi_version = 1;
    assert!(load_err(&m).contains("module_size is 104, but ABI version 1 has a 88-byte"));

    let mut m = good;
    m.reserved = 1;
    assert!(load_err(&m).contains("the reserved field is not 0"));
    let mut m = good;
    m.map_assumptions = std::ptr::null();
    assert!(load_err(&m).contains("map assumptions table is NULL but the count is 5"));

    let mut m = good;
    m.map_data_size = 48;
    assert!(load_err(&m).contains("map_data_size 48 is larger than this runtime's 40-byte"));
    m.map_data_size = 20;
    assert!(load_err(&m).contains("map_data_size 20 is not a valid bpf2c_map_data_t size"));
    m.map_data_size = 8;
    assert!(load_err(&m).contains("map_data_size 8 is not a valid"));

    let mut m = good;
    m.map_data_version = 2;
    assert!(load_err(&m).contains("map_data_version 2 is unknown"));

    let mut m = good;
    m.runtime_context_size = 40;
    assert!(load_err(&m).contains("runtime_context_size 40 is larger than this runtime's 32"));
    let mut m = good;
    m.invocation_size = 8;
    assert!(load_err(&m).contains("invocation_size 8 does not match"));
    // The invocation grew in version 3 (the prandom generator): a version-2 module knows
    // only the shorter one, a version-3 module must know the whole.
    let mut m = good;
    m.invocation_size = ffi::INVOCATION_SIZE_V2;
    assert!(load_err(&m).contains(&format!(
        "invocation_size {} does not match",
        ffi::INVOCATION_SIZE_V2
    )));
    m.abi_version = 2;
    assert!(load(&m).is_ok());

    let mut m = good;
    m.flags = 0x80;
    assert!(load_err(&m).contains("unknown module flags 0x80"));

    let mut m = good;
    m.name = std::ptr::null();
    assert!(load_err(&m).ends_with("name is NULL"));

    let mut m = good;
    m.maps = std::ptr::null();
    assert!(load_err(&m).contains("maps table is NULL but the count is 8"));
    let mut m = good;
    m.program_count = 1 << 30;
    assert!(load_err(&m).contains("1073741824 programs is more than the limit of 65536"));
}

#[test]
fn map_problems_name_the_map() {
    let raw = raw_module("maps");
    let check = |index: usize, change: &dyn Fn(&mut bpf2c_map_entry_t), expected: &str| {
        let mut maps = maps_of(&raw.module);
        change(&mut maps[index]);
        let mut m = raw.module;
        m.maps = maps.as_ptr();
        let e = load_err(&m);
        assert!(e.contains(expected), "{e}\ndoes not contain: {expected}");
    };
    check(
        1,
        &|e| e.definition.r#type = 99,
        "map 'hash': unknown map type 99",
    );
    check(
        1,
        &|e| e.definition.value_size = 0,
        "map 'hash': value_size is 0",
    );
    check(
        1,
        &|e| e.definition.max_entries = 0,
        "map 'hash': max_entries is 0",
    );
    check(
        1,
        &|e| e.definition.key_size = 513,
        "map 'hash': key_size 513 is larger than 512",
    );
    check(
        0,
        &|e| e.definition.key_size = 8,
        "map 'arr': BPF_MAP_TYPE_ARRAY needs 4-byte keys",
    );
    check(
        1,
        &|e| e.definition.value_size = u32::MAX,
        "map 'hash': value_size 4294967295 is larger than",
    );
    check(
        1,
        &|e| e.flags = ffi::BPF2C_MAP_F_INLINED,
        "map 'hash': flagged INLINED, but BPF_MAP_TYPE_HASH has no array_data",
    );
    check(
        0,
        &|e| e.flags = 0x100,
        "map 'arr': unknown map flags 0x100",
    );
    check(
        5,
        &|e| e.definition.max_entries = 2,
        "map '.data': global data must be a 1-entry ARRAY",
    );
    check(
        5,
        &|e| e.initial_data_size = 17,
        "map '.data': 17 bytes of initial data do not fit the 16-byte value",
    );
    check(
        5,
        &|e| e.initial_data = std::ptr::null(),
        "map '.data': initial_data is NULL but initial_data_size is 12",
    );
    static SLOT: ffi::bpf2c_map_initial_program_t = ffi::bpf2c_map_initial_program_t {
        index: 0,
        program: 0,
    };
    check(
        1,
        &|e| {
            e.initial_program_count = 1;
            e.initial_programs = &SLOT;
        },
        "map 'hash': only PROG_ARRAY maps and maps of maps can have initial programs",
    );
    check(
        0,
        &|e| e.flags = ffi::BPF2C_MAP_F_READ_ONLY,
        "map 'arr': only global data (.rodata) can be read-only",
    );
    let dup = CString::new("arr").unwrap();
    check(
        1,
        &|e| e.name = dup.as_ptr(),
        "map 'arr': two maps have this name",
    );

    // An older map_data without array_data cannot serve an INLINED map.
    let mut m = raw.module;
    m.map_data_size = 16;
    assert!(load_err(&m).contains(
        "map 'arr': flagged INLINED, but the module's 16-byte bpf2c_map_data_t has no \
         array_data field"
    ));
    // ...and one without cpu_stride cannot serve an INLINED per-CPU array.
    m.map_data_size = 24;
    assert!(load_err(&m).contains("map 'pcpu_arr': flagged INLINED, but the module's 24-byte"));
}

#[test]
fn absurd_map_sizes_are_refused_at_instantiation() {
    let raw = raw_module("maps");
    let mut maps = maps_of(&raw.module);
    maps[1].definition.max_entries = 1 << 31;
    maps[1].definition.value_size = 1 << 20;
    let mut m = raw.module;
    m.maps = maps.as_ptr();
    let e = new_err(load(&m).unwrap(), Options::default());
    assert!(
        e.starts_with(
            "module 'maps': map 'hash': needs 2251915777802240 bytes (2147483648 \
                       entries of 1048576 bytes)"
        ),
        "{e}"
    );
    assert!(
        e.ends_with("more than the limit of 1073741824 bytes"),
        "{e}"
    );
    // Per-CPU maps count every CPU slot.
    let e = new_err(
        image("maps"),
        Options::default().cpu_slots(64).max_map_bytes(1000),
    );
    assert!(
        e.ends_with(
            "map 'pcpu_arr': needs 1024 bytes (2 entries of 8 bytes on 64 CPU slots), more \
             than the limit of 1000 bytes"
        ),
        "{e}"
    );
}

#[test]
fn program_problems_name_the_program() {
    let raw = raw_module("maps");
    let check = |change: &dyn Fn(&mut bpf2c_program_entry_t), expected: &str| {
        let mut programs = programs_of(&raw.module);
        change(&mut programs[1]);
        let mut m = raw.module;
        m.programs = programs.as_ptr();
        let e = load_err(&m);
        assert!(e.contains(expected), "{e}\ndoes not contain: {expected}");
    };
    check(
        &|p| p.program_type = 7,
        "program 'count': unknown program type 7",
    );
    check(
        &|p| p.function = None,
        "program 'count': function pointer is NULL",
    );
    check(
        &|p| p.section = std::ptr::null(),
        "program 'count': section is NULL",
    );
    let dup = CString::new("cmd").unwrap();
    check(
        &|p| p.name = dup.as_ptr(),
        "program 'cmd': two programs have this name",
    );
    let long = CString::new("x".repeat(5000)).unwrap();
    check(
        &|p| p.name = long.as_ptr(),
        "program 1: name is not NUL-terminated within 4096 bytes",
    );
}

#[test]
fn missing_helpers_and_bad_options_are_refused() {
    // helpers.so lists helper 1000, which only the host can provide.
    let e = new_err(image("helpers"), Options::default());
    assert!(e.starts_with("module 'helpers'"), "{e}");
    assert!(e.ends_with(
        "helper 1000 ('host_add') is not provided by the runtime and was not registered by \
         the host"
    ));
    let e = new_err(image("maps"), Options::default().cpu_slots(0));
    assert_eq!(
        e,
        "instance options: 0 CPU slots requested; between 1 and 4096 are possible"
    );
    let e = new_err(
        image("maps"),
        Options::default()
            .helper(500, "one", |_| 0)
            .helper(500, "two", |_| 0),
    );
    assert_eq!(
        e,
        "instance options: helper id 500 registered twice ('one' and 'two')"
    );
    let mut options = Options::default();
    for i in 0..=bpf2c_runtime::MAX_CUSTOM_HELPERS as u32 {
        options = options.helper(2000 + i, format!("h{i}"), |_| 0);
    }
    assert!(new_err(image("maps"), options).contains("at most 64"));
}

/// A version-1 module (no assumption table) still loads, unless it flags maps INLINED: then
/// nothing says what its code assumes about them, so the runtime cannot check it.
#[test]
fn version_1_modules_load_unless_they_inline_maps() {
    let raw = raw_module("maps");
    let mut m = raw.module;
    m.abi_version = 1;
    m.module_size = ffi::MODULE_SIZE_V1;
    m.invocation_size = ffi::INVOCATION_SIZE_V2;
    let e = load_err(&m);
    assert!(
        e.contains("map 'arr'") && e.contains("ABI version 1 module carries no assumptions"),
        "{e}"
    );
    let mut maps = maps_of(&m);
    for e in &mut maps {
        e.flags &= !ffi::BPF2C_MAP_F_INLINED;
    }
    m.maps = maps.as_ptr();
    // The fields after `functions` are not read from a version-1 module.
    m.map_assumption_count = 99;
    m.map_assumptions = std::ptr::null();
    let img = load(&m).unwrap();
    assert!(img.map_assumptions().is_empty());
    assert_eq!(img.maps().len(), 8);
    // In a version-2 or later module, INLINED and the assumption table must agree.
    let mut m = raw.module;
    m.maps = maps.as_ptr();
    let e = load_err(&m);
    assert!(
        e.contains("the code addresses its array_data but the map is not flagged INLINED"),
        "{e}"
    );
}

#[test]
fn a_module_built_against_a_shorter_map_data_still_works() {
    let img = image("old_abi");
    assert_eq!(img.map_data_size(), 24);
    // Hand-written, it does not claim to be verified.
    assert!(!img.is_verified());
    // SAFETY: old_abi.c's one program, sum, reads in-range elements of its two arrays and a
    // NULL-checked hash lookup result, and writes 16 bytes of its buffer, which is 16 bytes
    // long below.
    let inst = unsafe { Instance::new_unverified(img, Options::default()) }.unwrap();
    inst.map("a")
        .unwrap()
        .update(&1u32.to_ne_bytes(), &11u64.to_ne_bytes(), UpdateFlags::Any)
        .unwrap();
    inst.map("b")
        .unwrap()
        .update(&2u32.to_ne_bytes(), &22u64.to_ne_bytes(), UpdateFlags::Any)
        .unwrap();
    inst.map("h")
        .unwrap()
        .update(&5u32.to_ne_bytes(), &55u64.to_ne_bytes(), UpdateFlags::Any)
        .unwrap();
    let mut buf = [0u8; 16];
    let r0 = inst
        .run_raw(&inst.program("sum").unwrap(), &mut buf)
        .unwrap();
    assert_eq!(r0, 11 + 22 * 1000);
    assert_eq!(
        u64_at(&buf, 0),
        55,
        "the third element's address is the hash map"
    );
    assert_eq!(u64_at(&buf, 1), 24, "each element records the size filled");
}

#[test]
fn instances_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Instance>();
    assert_send_sync::<ModuleImage>();
}
