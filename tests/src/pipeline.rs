//! The in-process pipeline: load an object, verify and translate it with the driver, compile
//! the C into a shared library, and load the library with the runtime.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use bpf2c::driver::{translate, TranslateOptions, Translation};
use bpf2c::object::{c_identifier, load_file, InputFormat, Object};
use bpf2c_runtime::{Instance, ModuleImage, Options, UpdateFlags};

use crate::{cache_dir, corpus};

/// A corpus object translated (verified) and compiled.
pub struct Built {
    pub obj: Object,
    pub translation: Translation,
    pub library: PathBuf,
    pub symbol: String,
}

/// The module symbol the tests give an object's module.
pub fn module_symbol(obj: &Object) -> String {
    format!("bpf2c_e2e_{}", c_identifier(&obj.name))
}

/// Loads a corpus object (`"maps_basic.o"`).
pub fn load(name: &str) -> Object {
    let path = corpus(name);
    load_file(&path, InputFormat::Elf).unwrap_or_else(|e| panic!("loading {name}: {e}"))
}

/// Translates an object with verification on, as `cargo bpf2c run` does.
pub fn translate_verified(obj: &Object) -> Translation {
    let opts = TranslateOptions {
        module_symbol: Some(module_symbol(obj)),
        ..TranslateOptions::default()
    };
    translate(obj, &opts).unwrap_or_else(|e| panic!("translating {}: {e}", obj.path.display()))
}

/// One build per object name, filled by whichever test asks first.
type BuildCells = Mutex<HashMap<String, Arc<OnceLock<Arc<Built>>>>>;

/// Translates and compiles a corpus object once per test process; later calls share it.
pub fn build(name: &str) -> Arc<Built> {
    static BUILT: OnceLock<BuildCells> = OnceLock::new();
    // One cell per object, so that different objects build in parallel and the same object
    // builds once.
    let cell = BUILT
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(name.to_string())
        .or_default()
        .clone();
    cell.get_or_init(|| {
        let obj = load(name);
        let translation = translate_verified(&obj);
        assert!(translation.verified, "{name}: the driver verified it");
        let library = bpf2c_build::native::compile_shared(&translation.c_source, &cache_dir())
            .unwrap_or_else(|e| panic!("compiling {name}: {e}"));
        Arc::new(Built {
            symbol: module_symbol(&obj),
            obj,
            translation,
            library,
        })
    })
    .clone()
}

/// Loads a module from a library built by bpf2c.
pub fn load_image(library: &Path, symbol: &str) -> ModuleImage {
    // SAFETY: every library the tests load was compiled from C that bpf2c generated.
    unsafe { ModuleImage::from_library(library, symbol) }
        .unwrap_or_else(|e| panic!("loading {symbol} from {}: {e}", library.display()))
}

/// A fresh instance (fresh maps) of a corpus object.
pub fn instance(name: &str, options: Options) -> (Arc<Built>, Instance) {
    let built = build(name);
    let image = load_image(&built.library, &built.symbol);
    let instance =
        Instance::new(image, options).unwrap_or_else(|e| panic!("instantiating {name}: {e}"));
    (built, instance)
}

/// Runs a named program once over `data` and returns r0, panicking on a run error.
pub fn run(instance: &Instance, program: &str, data: &mut [u8]) -> u64 {
    let prog = instance
        .program(program)
        .unwrap_or_else(|e| panic!("program {program}: {e}"));
    instance
        .run(&prog, data)
        .unwrap_or_else(|e| panic!("running {program}: {e}"))
}

/// Where a global variable lives: its section's map name, offset and size, from BTF.
pub fn global_var(obj: &Object, var: &str) -> (String, usize, usize) {
    let btf = obj.btf.as_ref().expect("the object has BTF");
    for (_, section, sec) in btf.datasecs() {
        for v in &sec.vars {
            let (name, _, _) = btf.var(v.ty).expect("a DATASEC lists variables");
            if name == var {
                return (section.to_string(), v.offset as usize, v.size as usize);
            }
        }
    }
    panic!("{}: no global variable '{var}'", obj.path.display())
}

/// The bytes of a global variable, read through its section's map.
pub fn read_global(instance: &Instance, obj: &Object, var: &str) -> Vec<u8> {
    let (section, offset, size) = global_var(obj, var);
    let value = instance
        .map(&section)
        .unwrap_or_else(|e| panic!("map {section}: {e}"))
        .lookup(&0u32.to_le_bytes())
        .expect("lookup")
        .expect("a global-data map has entry 0");
    value[offset..offset + size].to_vec()
}

/// Sets a global variable, writing its section's map.
pub fn write_global(instance: &Instance, obj: &Object, var: &str, bytes: &[u8]) {
    let (section, offset, size) = global_var(obj, var);
    assert_eq!(bytes.len(), size, "size of {var}");
    let map = instance
        .map(&section)
        .unwrap_or_else(|e| panic!("map {section}: {e}"));
    let mut value = map
        .lookup(&0u32.to_le_bytes())
        .expect("lookup")
        .expect("entry 0");
    value[offset..offset + size].copy_from_slice(bytes);
    map.update(&0u32.to_le_bytes(), &value, UpdateFlags::Any)
        .unwrap_or_else(|e| panic!("writing {var}: {e}"));
}
