//! `cargo bpf2c run OBJECT`: compile natively (cached by content), run one program, and
//! print `{"program", "retval", "data_out"[, "ns_per_run"]}` on stdout.

use std::collections::BTreeMap;
use std::path::Path;

use bpf2c_runtime::{Instance, ModuleImage, Options, UpdateFlags};
use serde_json::{json, Map, Value};

use crate::cli::RunArgs;
use crate::hex;
use crate::shell::Shell;
use crate::{CmdResult, Failure, Outcome};

/// The symbol a shared library built for `run` exports its module under.
pub const MODULE_SYMBOL: &str = "bpf2c_module";

/// Translates, compiles (or reuses a cached build) and loads an object.
pub fn instantiate(
    shell: &Shell,
    obj: &bpf2c::object::Object,
    translate: &crate::cli::TranslateArgs,
    options: Options,
) -> Result<Instance, Failure> {
    let translation =
        super::translate_object(shell, obj, translate, Some(MODULE_SYMBOL.to_string()), None)?;
    shell.status("Compiling", format!("{} (native)", obj.path.display()));
    let cache = bpf2c_build::native::default_cache_dir();
    let library = bpf2c_build::native::compile_shared(&translation.c_source, &cache)
        .map_err(|e| Failure(format!("{}: {e}", obj.path.display())))?;
    shell.verbose("Loading", library.display().to_string());
    // SAFETY: the library was just built by bpf2c from this object's translation.
    let image = unsafe { ModuleImage::from_library(&library, MODULE_SYMBOL) }
        .map_err(|e| Failure(format!("{}: {e}", library.display())))?;
    Instance::new(image, options).map_err(|e| Failure(format!("{}: {e}", obj.path.display())))
}

pub fn run(shell: &Shell, args: RunArgs) -> CmdResult {
    let obj = super::load_typed(
        &args.object,
        args.translate.raw,
        &args.translate.program_types,
    )?;
    if obj.little_endian != cfg!(target_endian = "little") {
        return Err(Failure(format!(
            "{}: the object is {}-endian, but this host is {}-endian, so it cannot run here",
            args.object.display(),
            if obj.little_endian { "little" } else { "big" },
            if cfg!(target_endian = "little") {
                "little"
            } else {
                "big"
            },
        )));
    }
    let program = match &args.program {
        Some(name) => {
            if obj.program(name).is_none() {
                let names: Vec<&str> = obj.programs.iter().map(|p| p.name.as_str()).collect();
                return Err(Failure(format!(
                    "{}: no program named '{name}' (programs: {})",
                    args.object.display(),
                    names.join(", ")
                )));
            }
            name.clone()
        }
        None => match obj.programs.as_slice() {
            [only] => only.name.clone(),
            [] => {
                return Err(Failure(format!(
                    "{}: the object has no programs",
                    args.object.display()
                )))
            }
            many => {
                let names: Vec<&str> = many.iter().map(|p| p.name.as_str()).collect();
                return Err(Failure(format!(
                    "{}: the object has {} programs; choose one with --program ({})",
                    args.object.display(),
                    many.len(),
                    names.join(", ")
                )));
            }
        },
    };
    let mut data = hex::decode(&args.data_hex).map_err(|e| Failure(format!("--data-hex: {e}")))?;
    let maps_in = match &args.maps_in {
        Some(path) => Some(read_maps_file(path)?),
        None => None,
    };

    let mut options = Options::default();
    if let Some(seed) = args.seed {
        options = options.prandom_seed(seed);
    }
    if let Some(budget) = args.loop_budget {
        options = options.loop_budget(budget);
    }
    let instance = instantiate(shell, &obj, &args.translate, options)?;
    if let (Some(path), Some(maps)) = (&args.maps_in, &maps_in) {
        apply_maps(&instance, path, maps)?;
    }

    let prog = instance.program(&program).map_err(Failure::from)?;
    shell.status(
        "Running",
        format!("{program} ({} bytes of data)", data.len()),
    );
    let (retval, ns_per_run) = match args.repeat {
        None => (instance.run(&prog, &mut data).map_err(Failure::from)?, None),
        Some(0) => return Err(Failure("--repeat must be at least 1".to_string())),
        Some(n) => {
            let stats = instance
                .run_repeat(&prog, &mut data, n)
                .map_err(Failure::from)?;
            (stats.last_return, Some(stats.ns_per_run()))
        }
    };

    if let Some(path) = &args.maps_out {
        write_maps_file(&instance, path)?;
    }
    let mut result = json!({
        "program": program,
        "retval": retval,
        "data_out": hex::encode(&data),
    });
    if let Some(ns) = ns_per_run {
        result["ns_per_run"] = json!(ns);
    }
    println!("{result}");
    Ok(Outcome::Success)
}

type MapsFile = BTreeMap<String, BTreeMap<String, String>>;

fn read_maps_file(path: &Path) -> Result<MapsFile, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure(format!("cannot read {}: {e}", path.display())))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| Failure(format!("{}: not valid JSON: {e}", path.display())))?;
    let bad = |what: &str| {
        Failure(format!(
            "{}: {what}; expected {{\"<map name>\": {{\"<key hex>\": \"<value hex>\"}}}}",
            path.display()
        ))
    };
    let Value::Object(maps) = value else {
        return Err(bad("the top level is not an object"));
    };
    let mut out = MapsFile::new();
    for (name, entries) in maps {
        let Value::Object(entries) = entries else {
            return Err(bad(&format!("map '{name}' is not an object")));
        };
        let mut m = BTreeMap::new();
        for (k, v) in entries {
            let Value::String(v) = v else {
                return Err(bad(&format!(
                    "map '{name}', key '{k}': the value is not a string"
                )));
            };
            m.insert(k, v);
        }
        out.insert(name, m);
    }
    Ok(out)
}

fn apply_maps(instance: &Instance, path: &Path, maps: &MapsFile) -> Result<(), Failure> {
    for (name, entries) in maps {
        let map = instance
            .map(name)
            .map_err(|e| Failure(format!("{}: {e}", path.display())))?;
        for (k, v) in entries {
            let key = hex::decode(k).map_err(|e| {
                Failure(format!("{}: map '{name}', key '{k}': {e}", path.display()))
            })?;
            let value = hex::decode(v).map_err(|e| {
                Failure(format!("{}: map '{name}', key '{k}': {e}", path.display()))
            })?;
            // --maps-out lists read-only global data too; feeding that file back must work,
            // so an unchanged read-only value is accepted and left alone.
            if map.definition().is_read_only() {
                let current = map.lookup(&key).map_err(|e| {
                    Failure(format!("{}: map '{name}', key '{k}': {e}", path.display()))
                })?;
                if current.as_deref() == Some(value.as_slice()) {
                    continue;
                }
            }
            map.update(&key, &value, UpdateFlags::Any).map_err(|e| {
                Failure(format!("{}: map '{name}', key '{k}': {e}", path.display()))
            })?;
        }
    }
    Ok(())
}

fn write_maps_file(instance: &Instance, path: &Path) -> Result<(), Failure> {
    let mut out = Map::new();
    for map in instance.maps() {
        let mut entries = Map::new();
        for (k, v) in map.entries() {
            entries.insert(hex::encode(&k), Value::String(hex::encode(&v)));
        }
        out.insert(map.name().to_string(), Value::Object(entries));
    }
    let text = serde_json::to_string_pretty(&Value::Object(out)).expect("JSON of strings");
    std::fs::write(path, text + "\n")
        .map_err(|e| Failure(format!("cannot write {}: {e}", path.display())))
}
