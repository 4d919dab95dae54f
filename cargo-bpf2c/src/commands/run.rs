//! `cargo bpf2c run OBJECT`: compile natively (cached by content), run one program, and
//! print `{"program", "retval", "data_out"[, "ns_per_run"]}` on stdout, with `"redirect"`
//! when the program redirected the packet, `"meta_out"` when it left metadata before it,
//! `"clones"` when it sent copies, `"events"` listing what the program sent to ring and
//! perf buffers (`[{"map", "data"}]`), and `"ctx_out"`: the `__sk_buff` fields as a
//! socket-filter, tc or cgroup-skb program left them.

use std::path::Path;

use bpf2c::driver::{translate, TranslateError, Translation};
use bpf2c::object::Object;
use bpf2c_runtime::{
    Instance, ModuleImage, Options, Packet, ProgramType, Redirect, RunOutcome, UpdateFlags,
};
use cargo_bpf2c::hex;
use cargo_bpf2c::maps_file::{self, MapEntries, MapsFile};
use serde_json::{json, Map, Value};

use crate::cli::RunArgs;
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
    load_translation(shell, obj, &translation, translate, options)
}

/// Translates `obj` to run `program`. A program runs even when other programs of its object
/// fail verification: when verification refuses only others, the object is cut down to
/// `program` and what it needs ([`Object::select_programs`]) and translated again.
fn translate_to_run(
    shell: &Shell,
    obj: &mut Object,
    program: &str,
    args: &crate::cli::TranslateArgs,
) -> Result<Translation, Failure> {
    let opts = super::translate_options(
        args,
        bpf2c::helpers::HelperSet::standard(),
        Some(MODULE_SYMBOL.to_string()),
        None,
    );
    super::announce_translation(shell, obj, &opts);
    let mut result = translate(obj, &opts);
    if let Err(TranslateError::Refused(verdicts)) = &result {
        let only_others = verdicts
            .iter()
            .filter(|v| !v.verified)
            .all(|v| v.program != program);
        if only_others && obj.programs.len() > 1 {
            shell.verbose(
                "Selecting",
                format!("program '{program}': other programs of the object fail verification"),
            );
            *obj = obj
                .select_programs(&[program.to_string()])
                .map_err(Failure::from)?;
            result = translate(obj, &opts);
        }
    }
    super::report_translation(shell, obj, result)
}

/// Compiles (or reuses a cached build of) a translation of `obj` and loads it.
fn load_translation(
    shell: &Shell,
    obj: &Object,
    translation: &Translation,
    translate: &crate::cli::TranslateArgs,
    options: Options,
) -> Result<Instance, Failure> {
    shell.status("Compiling", format!("{} (native)", obj.path.display()));
    let cache = bpf2c_build::native::default_cache_dir();
    let built = bpf2c_build::native::build_shared(&translation.c_source, &cache)
        .map_err(|e| Failure(format!("{}: {e}", obj.path.display())))?;
    if let Some(why) = &built.replaced {
        shell.warn(format!("{why}; it was not loaded, and was built again"));
    }
    let library = built.path;
    shell.verbose("Loading", library.display().to_string());
    // SAFETY: the library is the cache entry for this translation's C source, header and
    // compiler: bpf2c compiled it, now or on an earlier run, and recorded its SHA-256. Its
    // directory and the cache root are owned by this user and writable by no one else
    // (checked), and its bytes matched the record just before this call, so only a process
    // of this same user could have changed it since, and such a process can already run
    // code as this user. So it is the compiler's output for bpf2c's generated C, whose
    // module meets the contract of `from_library`.
    let image = unsafe { ModuleImage::from_library(&library, MODULE_SYMBOL) }
        .map_err(|e| Failure(format!("{}: {e}", library.display())))?;
    let instance = if translate.no_verify {
        // SAFETY: running unverified code is what the user asked for explicitly: `run
        // --no-verify`, after translate_object warned that the output is NOT verified, or
        // `plugin`, the bpf_conformance protocol, whose ISA test programs are not verifiable
        // and which its help and the guide say runs them unverified. The user vouches for
        // the programs, as both flags' documentation tells them.
        unsafe { Instance::new_unverified(image, options) }
    } else {
        Instance::new(image, options)
    };
    instance.map_err(|e| Failure(format!("{}: {e}", obj.path.display())))
}

pub fn run(shell: &Shell, args: RunArgs) -> CmdResult {
    let mut obj = super::load_typed(
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
    // A program runs even when other programs or maps of its object cannot: the object is
    // then cut down to it, so that only its own missing pieces count.
    if bpf2c::runnable::check_runnable(&obj, &bpf2c::helpers::HelperSet::standard()).is_err()
        && obj.programs.len() > 1
    {
        obj = obj
            .select_programs(std::slice::from_ref(&program))
            .map_err(Failure::from)?;
    }
    let program_type = obj.program(&program).and_then(|p| p.prog_type.runtime());
    // Every input is checked before the (slow) native compile.
    let mut data = match &args.data_file {
        Some(path) => std::fs::read(path)
            .map_err(|e| Failure(format!("--data-file {}: cannot read: {e}", path.display())))?,
        None => hex::decode(&args.data_hex).map_err(|e| Failure(format!("--data-hex: {e}")))?,
    };
    let skb_fields = match &args.ctx_json {
        Some(text) => {
            if !program_type.is_some_and(|t| t.reads_sk_buff()) {
                return Err(Failure(format!(
                    "--ctx-json: program '{program}' is {}, but only programs that read \
                     struct __sk_buff (socket_filter, sched_cls, sched_act, cgroup_skb) take \
                     __sk_buff fields",
                    program_type.map_or("of a type that cannot run here".to_string(), |t| {
                        format!("a {t} program")
                    })
                )));
            }
            if args.repeat.is_some() {
                return Err(Failure(
                    "--ctx-json cannot be combined with --repeat, whose runs give every \
                     __sk_buff field 0"
                        .to_string(),
                ));
            }
            Some(
                cargo_bpf2c::ctx_json::parse(text)
                    .map_err(|e| Failure(format!("--ctx-json: {e}")))?,
            )
        }
        None => None,
    };
    let maps_in = match &args.maps_in {
        Some(path) => Some(read_maps_file(path)?),
        None => None,
    };
    if let Some(path) = &args.maps_out {
        check_maps_out(path)?;
    }

    let mut options = Options::default();
    if let Some(seed) = args.seed {
        options = options.prandom_seed(seed);
    }
    if let Some(budget) = args.loop_budget {
        options = options.loop_budget(budget);
    }
    let translation = translate_to_run(shell, &mut obj, &program, &args.translate)?;
    let instance = load_translation(shell, &obj, &translation, &args.translate, options)?;
    if let (Some(path), Some(maps)) = (&args.maps_in, &maps_in) {
        apply_maps(&instance, path, maps)?;
    }

    let prog = instance.program(&program).map_err(Failure::from)?;
    shell.status(
        "Running",
        format!("{program} ({} bytes of data)", data.len()),
    );
    let is_xdp = instance.programs()[prog.index()].program_type == ProgramType::Xdp;
    let mut outcome = None;
    let mut meta = Vec::new();
    let mut ctx_out = None;
    let (retval, ns_per_run) = match args.repeat {
        // XDP programs get the room a driver gives (256 bytes of headroom, a 4 KiB frame),
        // so they may grow and shrink the packet as in Linux.
        None if is_xdp => {
            let mut packet = Packet::new(&data);
            let run = instance
                .run_xdp_packet(&prog, &mut packet)
                .map_err(Failure::from)?;
            data = packet.data().to_vec();
            meta = packet.meta().to_vec();
            let retval = run.retval;
            outcome = Some(run);
            (retval, None)
        }
        // Socket-filter, tc and cgroup-skb programs get the same room, for the skb resize
        // helpers.
        None if program_type.is_some_and(|t| t.reads_sk_buff()) => {
            let fields = skb_fields.unwrap_or_default();
            let mut packet = Packet::new(&data);
            let run = instance
                .run_skb_packet(&prog, &mut packet, &fields)
                .map_err(Failure::from)?;
            data = packet.data().to_vec();
            ctx_out = Some(run.fields);
            outcome = Some(RunOutcome {
                retval: run.retval,
                redirect: run.redirect,
                clones: run.clones,
            });
            (run.retval, None)
        }
        None => (instance.run(&prog, &mut data).map_err(Failure::from)?, None),
        // clap refuses 0 (see `RunArgs::repeat`).
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
    if !meta.is_empty() {
        result["meta_out"] = json!(hex::encode(&meta));
    }
    if let Some(run) = &outcome {
        add_redirect(&mut result, run);
    }
    // What the program sent to ring buffers and perf buffers, in map order.
    let events: Vec<serde_json::Value> = bpf2c_runtime::events::drain_all(&instance)
        .into_iter()
        .map(|e| json!({"map": e.map, "data": hex::encode(&e.data)}))
        .collect();
    if !events.is_empty() {
        result["events"] = json!(events);
    }
    if let Some(fields) = &ctx_out {
        result["ctx_out"] = cargo_bpf2c::ctx_json::to_json(fields);
    }
    println!("{result}");
    Ok(Outcome::Success)
}

/// Adds where the program sent the packet: `"redirect"` with the ifindex, or the map, key
/// and the entry's value; `"clones"` with each copy `bpf_clone_redirect` sent.
fn add_redirect(result: &mut Value, run: &RunOutcome) {
    match &run.redirect {
        Some(Redirect::Ifindex { ifindex, flags }) => {
            result["redirect"] = json!({ "ifindex": ifindex, "flags": flags });
        }
        Some(Redirect::Neigh { ifindex, nexthop }) => {
            result["redirect"] = json!({
                "ifindex": ifindex,
                "neigh": true,
                "nexthop": nexthop.as_ref().map(|n| hex::encode(n)),
            });
        }
        Some(Redirect::Map {
            map,
            map_type,
            key,
            flags,
            value,
        }) => {
            result["redirect"] = json!({
                "map": map,
                "map_type": map_type.name(),
                "key": key,
                "flags": flags,
                "value": value.as_ref().map(|v| hex::encode(v)),
            });
        }
        None => {}
    }
    if !run.clones.is_empty() {
        let clones: Vec<Value> = run
            .clones
            .iter()
            .map(
                |c| json!({ "ifindex": c.ifindex, "flags": c.flags, "data": hex::encode(&c.data) }),
            )
            .collect();
        result["clones"] = json!(clones);
    }
}

/// Reads and decodes a `--maps-in` file; which maps exist and what sizes their keys and
/// values have is checked when the entries are applied.
fn read_maps_file(path: &Path) -> Result<MapsFile, Failure> {
    let fail = |what: String| Failure(format!("--maps-in {}: {what}", path.display()));
    let bytes = std::fs::read(path).map_err(|e| fail(format!("cannot read the file: {e}")))?;
    maps_file::parse(&bytes).map_err(fail)
}

fn apply_maps(instance: &Instance, path: &Path, maps: &MapsFile) -> Result<(), Failure> {
    let fail = |what: String| Failure(format!("--maps-in {}: {what}", path.display()));
    for MapEntries { name, entries } in maps {
        let map = instance.map(name).map_err(|e| {
            let names: Vec<&str> = instance.maps().map(|m| m.name()).collect();
            let known = if names.is_empty() {
                "the object has no maps".to_string()
            } else {
                format!("the object's maps: {}", names.join(", "))
            };
            fail(format!("{e}; {known}"))
        })?;
        for (k, key, value) in entries {
            // --maps-out lists read-only global data too; feeding that file back must work,
            // so an unchanged read-only value is accepted and left alone.
            if map.definition().is_read_only() {
                let current = map
                    .lookup(key)
                    .map_err(|e| fail(format!("map '{name}', key '{k}': {e}")))?;
                if current.as_deref() == Some(value.as_slice()) {
                    continue;
                }
            }
            map.update(key, value, UpdateFlags::Any)
                .map_err(|e| fail(format!("map '{name}', key '{k}': {e}")))?;
        }
    }
    Ok(())
}

/// Refuses a `--maps-out` path that cannot be written before anything runs, so that a
/// typo does not cost a compile and a run.
fn check_maps_out(path: &Path) -> Result<(), Failure> {
    let fail = |what: String| Failure(format!("--maps-out {}: {what}", path.display()));
    if path.is_dir() {
        return Err(fail("is a directory".to_string()));
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return Err(fail(format!(
            "the directory {} does not exist",
            parent.display()
        )));
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
        .map_err(|e| Failure(format!("--maps-out {}: cannot write: {e}", path.display())))
}
