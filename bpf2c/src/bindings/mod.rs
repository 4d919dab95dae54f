//! Rust bindings for a translated object: a module with one struct that loads the linked C
//! module and offers its programs, maps and global variables with the types BTF gives them.
//!
//! For an object `counter.o` the output is one `include!`-able file holding `pub mod counter`
//! with:
//! - `Counter::load()`, `load_with(Options)`, `loader()` (global data set before loading,
//!   host helpers registered by name) and `instance()`;
//! - one method per program returning a typed handle (`XdpProgram`, `SkbProgram`, `RawProgram`);
//! - one method per map returning a typed view (`Array<V>`, `HashMap<K, V>`, ...) when BTF
//!   names its key and value types, else the untyped `MapRef`;
//! - `globals()` with a view per data section, one getter (and, for writable sections,
//!   setter) per variable;
//! - `types`: `#[repr(C)]` mirrors of the BTF structs used by maps and globals.
//!
//! The bindings refer to the C module only through its exported symbol (an `extern "C"`
//! static), never by embedding the object. They depend only on the object, so the same
//! object always gives the same bindings.

mod emit;
mod ident;
mod types;

use std::collections::BTreeSet;

use crate::error::{Error, Location, Result};
use crate::helpers::HelperSet;
use crate::object::btf::VarLinkage;
use crate::object::{MapOrigin, MapType, Object, ProgramType};
use emit::Writer;
use ident::{camel, is_keyword, snake, NameTable};
use types::{RustType, TypeGen};

/// Choices that shape the bindings.
#[derive(Clone, Debug, Default)]
pub struct BindingsOptions {
    /// The C module's exported symbol; default `bpf2c_module_<object name>`, as the code
    /// generator names it.
    pub module_symbol: Option<String>,
    /// Host helpers the module may call: each one it calls gets a `helper_<name>` method on
    /// the loader.
    pub helpers: HelperSet,
}

/// How the bindings offer one map.
enum MapView {
    Array(RustType),
    PerCpuArray(RustType),
    Hash(RustType, RustType),
    PerCpuHash(RustType, RustType),
    ProgArray,
    /// Untyped, with the reason.
    Raw(String),
}

struct MapBinding {
    name: String,
    method: String,
    view: MapView,
    doc: String,
}

struct Var {
    name: String,
    ty: RustType,
    offset: u32,
    c_type: String,
}

struct Section {
    map: String,
    method: String,
    type_name: String,
    read_only: bool,
    vars: Vec<Var>,
    skipped: Vec<(String, String)>,
}

/// Method names of the module struct that maps and programs must not take.
const RESERVED: [&str; 9] = [
    "image",
    "load",
    "load_with",
    "loader",
    "from_instance",
    "instance",
    "into_instance",
    "globals",
    "programs",
];

/// Generates the bindings of `obj`.
pub fn generate(obj: &Object, opts: &BindingsOptions) -> Result<String> {
    let err = |m: String| Error::new(Location::file(&obj.path), m);
    let symbol = opts
        .module_symbol
        .clone()
        .unwrap_or_else(|| format!("bpf2c_module_{}", obj.name));
    if !symbol
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
        || is_keyword(&symbol)
    {
        return Err(err(format!(
            "module symbol '{symbol}' is not an identifier"
        )));
    }
    let mod_name = snake(&obj.name);
    let struct_name = camel(&obj.name);

    let mut typegen = obj.btf.as_ref().map(TypeGen::new);
    let mut methods = NameTable::default();
    methods.reserve(&RESERVED);

    // Programs.
    // Bindings are generated for objects that run here, whose programs all have a runtime
    // type; a program without one gets no method.
    let programs: Vec<(String, String, ProgramType)> = obj
        .programs
        .iter()
        .filter_map(|p| {
            Some((
                p.name.clone(),
                methods.claim(&snake(&p.name)),
                p.prog_type.runtime()?,
            ))
        })
        .collect();

    // Maps other than global data.
    let mut maps = Vec::new();
    for m in obj.maps.iter().filter(|m| !m.is_global_data()) {
        let method = methods.claim(&snake(&m.name));
        let (view, doc) = map_view(obj, m, typegen.as_mut());
        maps.push(MapBinding {
            name: m.name.clone(),
            method,
            view,
            doc,
        });
    }

    // Global data sections described by BTF.
    let mut sections = Vec::new();
    let mut section_methods = NameTable::default();
    let mut type_names = NameTable::default();
    type_names.reserve(&[&struct_name]);
    for m in obj.maps.iter() {
        let MapOrigin::GlobalData { section, read_only } = &m.origin else {
            continue;
        };
        let (Some(btf), Some(gen)) = (obj.btf.as_ref(), typegen.as_mut()) else {
            continue;
        };
        let Some((_, datasec)) = btf.datasec(section) else {
            continue;
        };
        let trimmed = section.trim_start_matches('.');
        let mut s = Section {
            map: m.name.clone(),
            method: section_methods.claim(&snake(trimmed)),
            type_name: type_names.claim(&format!("{struct_name}{}", camel(trimmed))),
            read_only: *read_only,
            vars: Vec::new(),
            skipped: Vec::new(),
        };
        let mut var_names = NameTable::default();
        var_names.reserve(&["map"]);
        let mut vars: Vec<_> = datasec.vars.clone();
        vars.sort_by_key(|v| v.offset);
        for v in vars {
            let Ok((name, ty, linkage)) = btf.var(v.ty) else {
                continue;
            };
            if matches!(linkage, VarLinkage::Extern) || !is_c_identifier(name) {
                continue;
            }
            let end = u64::from(v.offset) + u64::from(v.size);
            if end > u64::from(m.def.value_size) {
                s.skipped
                    .push((name.to_string(), "it lies outside the section".into()));
                continue;
            }
            match gen.rust_type(ty, name) {
                Ok(rt) => {
                    let size = btf.size_of(ty).unwrap_or(0);
                    if size != u64::from(v.size) {
                        s.skipped.push((
                            name.to_string(),
                            format!("BTF gives it {size} bytes but the section {}", v.size),
                        ));
                        continue;
                    }
                    s.vars.push(Var {
                        name: var_names.claim(&snake(name)),
                        ty: rt,
                        offset: v.offset,
                        c_type: btf.display_name(ty),
                    })
                }
                Err(reason) => s.skipped.push((name.to_string(), reason)),
            }
        }
        if !s.vars.is_empty() || !s.skipped.is_empty() {
            sections.push(s);
        }
    }

    // Host helpers the object calls.
    let mut called = BTreeSet::new();
    for f in &obj.functions {
        for i in f.insns.iter().filter(|i| i.is_helper_call()) {
            if let Ok(id) = u32::try_from(i.imm) {
                if opts.helpers.custom_helper(id).is_some() {
                    called.insert(id);
                }
            }
        }
    }
    let helpers: Vec<(u32, String)> = called
        .into_iter()
        .filter_map(|id| opts.helpers.custom_helper(id).map(|d| (id, d.name.clone())))
        .collect();

    let w = Writer {
        obj,
        symbol,
        mod_name,
        struct_name,
        programs,
        maps,
        sections,
        helpers,
        types: typegen
            .as_ref()
            .filter(|g| !g.is_empty())
            .map(|g| g.definitions()),
    };
    Ok(w.write())
}

fn is_c_identifier(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn map_view(
    obj: &Object,
    m: &crate::object::Map,
    gen: Option<&mut TypeGen<'_>>,
) -> (MapView, String) {
    let def = &m.def;
    let what = format!(
        "`{}`: {}, {} entries, {}-byte keys, {}-byte values",
        m.name,
        def.map_type.name(),
        def.max_entries,
        def.key_size,
        def.value_size
    );
    if def.map_type == MapType::ProgArray {
        return (MapView::ProgArray, what);
    }
    let (key_type, value_type) = match &m.origin {
        MapOrigin::Btf {
            key_type,
            value_type,
        } => (*key_type, *value_type),
        _ => {
            return (
                MapView::Raw("a legacy map definition has no key and value types".into()),
                what,
            )
        }
    };
    let (Some(gen), Some(btf)) = (gen, obj.btf.as_ref()) else {
        return (MapView::Raw("the object has no BTF".into()), what);
    };
    let hint = format!("{}_value", m.name);
    let value = match value_type {
        Some(v) => gen.rust_type(v, &hint).map(|t| (t, btf.display_name(v))),
        None => Err("BTF does not name the value type".into()),
    };
    let key = match key_type {
        Some(k) => gen
            .rust_type(k, &format!("{}_key", m.name))
            .map(|t| (t, btf.display_name(k))),
        None => Err("BTF does not name the key type".into()),
    };
    let sized = |r: std::result::Result<(RustType, String), String>, want: u32, id: Option<u32>| {
        r.and_then(|(t, c)| {
            let size = id.and_then(|i| btf.size_of(i).ok()).unwrap_or(0);
            if size == u64::from(want) {
                Ok((t, c))
            } else {
                Err(format!("BTF gives {c} {size} bytes, the map {want}"))
            }
        })
    };
    let value = sized(value, def.value_size, value_type);
    let with_types = |k: Option<&str>, v: &str| match k {
        Some(k) => format!("{what} (key `{k}`, value `{v}`)"),
        None => format!("{what} (value `{v}`)"),
    };
    match def.map_type.runtime() {
        Some(MapType::Array | MapType::PercpuArray) => match value {
            Ok((v, c)) if def.key_size == 4 => {
                let doc = with_types(None, &c);
                if def.map_type == MapType::Array {
                    (MapView::Array(v), doc)
                } else {
                    (MapView::PerCpuArray(v), doc)
                }
            }
            Ok(_) => (MapView::Raw("its keys are not 4 bytes".into()), what),
            Err(e) => (MapView::Raw(e), what),
        },
        Some(MapType::Hash | MapType::LruHash | MapType::PercpuHash | MapType::LruPercpuHash) => {
            match (sized(key, def.key_size, key_type), value) {
                (Ok((k, kc)), Ok((v, vc))) => {
                    let doc = with_types(Some(&kc), &vc);
                    if def.map_type.runtime().is_some_and(|t| t.is_per_cpu()) {
                        (MapView::PerCpuHash(k, v), doc)
                    } else {
                        (MapView::Hash(k, v), doc)
                    }
                }
                (Err(e), _) | (_, Err(e)) => (MapView::Raw(e), what),
            }
        }
        Some(MapType::ProgArray) => (MapView::ProgArray, what),
        Some(MapType::Devmap | MapType::Cpumap | MapType::Xskmap | MapType::DevmapHash) => (
            MapView::Raw(format!(
                "a {} holds redirect targets, filled through its untyped handle",
                def.map_type
            )),
            what,
        ),
        // Family "maps" (issue 10): reached through MapRef and bpf2c_runtime::events.
        Some(
            t @ (MapType::LpmTrie
            | MapType::Queue
            | MapType::Stack
            | MapType::PerfEventArray
            | MapType::RingBuf),
        ) => (
            MapView::Raw(format!("the bindings have no typed view of {t} yet")),
            what,
        ),
        Some(t @ (MapType::ArrayOfMaps | MapType::HashOfMaps)) => (
            MapView::Raw(format!(
                "a {t} holds inner maps, set through Instance::map_of_maps"
            )),
            what,
        ),
        None => (
            MapView::Raw(format!("the runtime has no {}", def.map_type)),
            what,
        ),
    }
}

#[cfg(test)]
mod tests;
