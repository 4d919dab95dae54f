//! The runtime refuses a module whose inlined code was compiled for a map other than the
//! one it would create: the generated C is altered after translation, compiled, and loaded.

use bpf2c_runtime::{Instance, ModuleImage, Options};

use super::common::{build_library, load, translate_obj, try_build_library, SYMBOL};

/// The translation of array_inline.o with `from` replaced by `to` (which must occur once).
fn altered(optimize: bool, from: &str, to: &str) -> String {
    let obj = load("tests/bpf/opt/array_inline.o");
    let c = translate_obj(&obj, optimize, SYMBOL).c_source;
    assert_eq!(c.matches(from).count(), 1, "{from}");
    c.replace(from, to)
}

fn instance_error(c_source: String) -> String {
    let library = build_library(&[c_source]);
    // SAFETY: built from bpf2c's output; only constants in its tables were changed.
    let image =
        unsafe { ModuleImage::from_library(&library, SYMBOL) }.unwrap_or_else(|e| panic!("{e}"));
    match Instance::new(image, Options::default()) {
        Ok(_) => panic!("the altered module was accepted"),
        Err(e) => e.to_string(),
    }
}

const VALUES_ENTRY: &str = "{ \"values\", { BPF2C_MAP_TYPE_ARRAY, 4, 8, 8, 0x0 }";

#[test]
fn a_map_table_that_differs_from_the_inlined_code_is_refused() {
    // The code bounds keys by 8 entries, the altered table asks for 16: code and map
    // disagree, and the runtime says so instead of running either.
    let e = instance_error(altered(
        true,
        VALUES_ENTRY,
        "{ \"values\", { BPF2C_MAP_TYPE_ARRAY, 4, 8, 16, 0x0 }",
    ));
    assert!(
        e.contains("map 'values'")
            && e.contains("compiled for max_entries 8, but the map has max_entries 16"),
        "{e}"
    );
    // A larger value would make the code's 8-byte stride step into the middle of elements.
    let e = instance_error(altered(
        true,
        VALUES_ENTRY,
        "{ \"values\", { BPF2C_MAP_TYPE_ARRAY, 4, 16, 8, 0x0 }",
    ));
    assert!(
        e.contains("compiled for value_size 8, but the map has value_size 16"),
        "{e}"
    );
    // The stride the code uses must be the runtime's.
    let e = instance_error(altered(
        true,
        "{ 1, BPF2C_MAP_USE_ARRAY_DATA, { BPF2C_MAP_TYPE_ARRAY, 4, 12, 4, 0x0 }, 0, 16 }",
        "{ 1, BPF2C_MAP_USE_ARRAY_DATA, { BPF2C_MAP_TYPE_ARRAY, 4, 12, 4, 0x0 }, 0, 12 }",
    ));
    assert!(
        e.contains("map 'triples'")
            && e.contains("steps 12 bytes from one element to the next")
            && e.contains("16 bytes apart"),
        "{e}"
    );
    // A map the code reads directly must be flagged INLINED, and the other way round.
    let c = altered(
        true,
        "{ \"counter\", { BPF2C_MAP_TYPE_ARRAY, 4, 8, 1, 0x0 }, BPF2C_MAP_F_INLINED,",
        "{ \"counter\", { BPF2C_MAP_TYPE_ARRAY, 4, 8, 1, 0x0 }, 0,",
    );
    let library = build_library(&[c]);
    // SAFETY: built from bpf2c's output with one map flag changed, which the loader refuses
    // before anything runs.
    let e = unsafe { ModuleImage::from_library(&library, SYMBOL) }
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("map 'counter'") && e.contains("not flagged INLINED"),
        "{e}"
    );
}

#[test]
fn without_inlining_the_same_change_is_only_a_bigger_map() {
    // With --no-opt nothing is compiled in, so the runtime has nothing to hold the map to.
    let c = altered(
        false,
        VALUES_ENTRY,
        "{ \"values\", { BPF2C_MAP_TYPE_ARRAY, 4, 8, 16, 0x0 }",
    );
    assert!(!c.contains("bpf2c_map_assumptions"));
    let library = try_build_library(&[c]).unwrap();
    // SAFETY: bpf2c's verified output with one map made larger. Without inlining, the code
    // reaches the map only through the lookup helper, which checks keys against the map the
    // runtime creates, so what the verifier proved (and the module's VERIFIED flag says)
    // still holds.
    let image = unsafe { ModuleImage::from_library(&library, SYMBOL) }.unwrap();
    let inst = Instance::new(image, Options::default()).unwrap();
    let prog = inst.program("read_value").unwrap();
    let mut mem = 12u32.to_ne_bytes();
    // Key 12 exists in the 16-entry map the altered table asks for; it reads as 0.
    assert_eq!(inst.run_raw(&prog, &mut mem).unwrap(), 0);
}
