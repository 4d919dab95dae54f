//! Rust bindings for a translated object: a module with one struct that loads the linked C
//! module and offers its programs, maps and global variables with the types BTF gives them.
//!
//! For an object `counter.o` the output is one `include!`-able file holding `pub mod counter`
//! with:
//! - `Counter::load()`, `load_with(Options)`, `loader()` (global data set before loading,
//!   host helpers registered by name) and `instance()`;
//! - one method per program returning a typed handle (`XdpProgram` / `RawProgram`);
//! - one method per map returning a typed view (`Array<V>`, `HashMap<K, V>`, ...) when BTF
//!   names its key and value types, else the untyped `MapRef`;
//! - `globals()` with a view per data section, one getter (and, for writable sections,
//!   setter) per variable;
//! - `types`: `#[repr(C)]` mirrors of the BTF structs used by maps and globals.
//!
//! The bindings refer to the C module only through its exported symbol (an `extern "C"`
//! static), never by embedding the object. They depend only on the object, so the same
//! object always gives the same bindings.

mod ident;
mod types;

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::error::{Error, Location, Result};
use crate::helpers::HelperSet;
use crate::object::btf::VarLinkage;
use crate::object::{MapOrigin, MapType, Object, ProgramType};
use ident::{camel, is_keyword, snake, upper, NameTable};
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
        Some(MapType::Hash | MapType::LruHash | MapType::PercpuHash) => {
            match (sized(key, def.key_size, key_type), value) {
                (Ok((k, kc)), Ok((v, vc))) => {
                    let doc = with_types(Some(&kc), &vc);
                    if def.map_type == MapType::PercpuHash {
                        (MapView::PerCpuHash(k, v), doc)
                    } else {
                        (MapView::Hash(k, v), doc)
                    }
                }
                (Err(e), _) | (_, Err(e)) => (MapView::Raw(e), what),
            }
        }
        Some(MapType::ProgArray) => (MapView::ProgArray, what),
        None => (
            MapView::Raw(format!("the runtime has no {}", def.map_type)),
            what,
        ),
    }
}

/// Everything decided; writes the file.
struct Writer<'a> {
    obj: &'a Object,
    symbol: String,
    mod_name: String,
    struct_name: String,
    programs: Vec<(String, String, ProgramType)>,
    maps: Vec<MapBinding>,
    sections: Vec<Section>,
    helpers: Vec<(u32, String)>,
    types: Option<String>,
}

/// Indents every non-empty line of `text` by `n` spaces.
fn indent(text: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    text.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{pad}{l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

impl Writer<'_> {
    fn write(&self) -> String {
        let mut body = String::new();
        self.head(&mut body);
        if let Some(t) = &self.types {
            let _ = writeln!(
                body,
                "\n/// Types from the object's BTF, laid out as in C.\npub mod types {{"
            );
            body.push_str(&indent(t, 4));
            let _ = writeln!(body, "}}");
        }
        if !self.helpers.is_empty() {
            let _ = writeln!(
                body,
                "\n/// Ids of the host helpers the module calls.\npub mod helper_ids {{"
            );
            for (id, name) in &self.helpers {
                let _ = writeln!(body, "    pub const {}: u32 = {id};", upper(name));
            }
            let _ = writeln!(body, "}}");
        }
        self.module_struct(&mut body);
        self.loader(&mut body);
        self.globals(&mut body);

        let source = self
            .obj
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "// Generated by bpf2c {} from {}. Do not edit.",
            env!("CARGO_PKG_VERSION"),
            source.replace(['\n', '\r'], " ")
        );
        let _ = writeln!(
            out,
            "#[allow(dead_code, unused_imports, non_camel_case_types, non_snake_case, \
             non_upper_case_globals, clippy::all)]"
        );
        let _ = writeln!(
            out,
            "/// Bindings of the eBPF object `{}`.\npub mod {} {{",
            source, self.mod_name
        );
        out.push_str(&indent(&body, 4));
        out.push_str("}\n");
        out
    }

    fn head(&self, b: &mut String) {
        let _ = writeln!(b, "use ::bpf2c_runtime as rt;\n");
        let _ = writeln!(
            b,
            "unsafe extern \"C\" {{\n    /// The module bpf2c generated from the object, compiled and linked into \
             this crate.\n    static {}: rt::ffi::bpf2c_module_t;\n}}",
            self.symbol
        );
        let _ = writeln!(
            b,
            "\n/// The C module's exported symbol.\npub const MODULE_SYMBOL: &str = \"{}\";",
            self.symbol
        );
    }

    fn module_struct(&self, b: &mut String) {
        let s = &self.struct_name;
        let _ = writeln!(
            b,
            "\n/// A loaded instance of the module: its maps exist and its programs can run, \
             from any thread.\n#[derive(Debug)]\npub struct {s} {{\n    instance: rt::Instance,\n}}\n"
        );
        let _ = writeln!(b, "impl {s} {{");
        let mut m = String::new();
        let _ = writeln!(
            m,
            "/// The module's metadata, validated.\npub fn image() -> Result<rt::ModuleImage, rt::LoadError> {{\n    \
             // SAFETY: the symbol is the module that bpf2c-build generated from this object,\n    \
             // compiled and linked into this crate; its code stays loaded with the program.\n    \
             unsafe {{ rt::ModuleImage::from_ptr(::core::ptr::addr_of!({})) }}\n}}\n",
            self.symbol
        );
        let _ = writeln!(
            m,
            "/// Loads an instance with default options.\npub fn load() -> Result<Self, rt::LoadError> {{\n    \
             Self::loader().load()\n}}\n"
        );
        let _ = writeln!(
            m,
            "/// Loads an instance with these options.\npub fn load_with(options: rt::Options) -> \
             Result<Self, rt::LoadError> {{\n    Self::loader().options(options).load()\n}}\n"
        );
        let _ = writeln!(
            m,
            "/// Starts a load that can set global data and register host helpers first.\n\
             pub fn loader() -> {s}Loader {{\n    {s}Loader::default()\n}}\n"
        );
        // from_instance: checks every typed view once.
        let _ = writeln!(
            m,
            "/// Wraps an instance of this module, checking that its programs and maps have the \
             types the bindings expect.\npub fn from_instance(instance: rt::Instance) -> Result<Self, rt::LoadError> {{"
        );
        let has_maps = !self.maps.is_empty() || !self.sections.is_empty();
        if has_maps || !self.programs.is_empty() {
            let _ = writeln!(
                m,
                "    let module = format!(\"'{{}}'\", instance.module().name());"
            );
        }
        if has_maps {
            let _ = writeln!(m, "    let bad_map = |map: &str, e: &dyn ::std::fmt::Display| rt::LoadError::Map {{ module: module.clone(), map: map.to_string(), reason: e.to_string() }};");
        }
        if !self.programs.is_empty() {
            let _ = writeln!(m, "    let bad_program = |program: &str, e: &dyn ::std::fmt::Display| rt::LoadError::Program {{ module: module.clone(), program: program.to_string(), reason: e.to_string() }};");
        }
        for (name, _, t) in &self.programs {
            let ty = program_type(*t);
            let _ = writeln!(
                m,
                "    rt::typed::{ty}::new(&instance, \"{name}\").map_err(|e| bad_program(\"{name}\", &e))?;"
            );
        }
        for map in &self.maps {
            let _ = writeln!(
                m,
                "    {}.map_err(|e| bad_map(\"{}\", &e))?;",
                self.map_expr(map, "instance"),
                map.name
            );
        }
        for sec in &self.sections {
            let _ = writeln!(
                m,
                "    rt::typed::GlobalData::new(instance.map(\"{0}\").map_err(|e| bad_map(\"{0}\", &e))?).map_err(|e| bad_map(\"{0}\", &e))?;",
                sec.map
            );
        }
        let _ = writeln!(m, "    Ok({s} {{ instance }})\n}}\n");
        let _ = writeln!(
            m,
            "/// The runtime instance, for everything the typed methods do not cover.\n\
             pub fn instance(&self) -> &rt::Instance {{\n    &self.instance\n}}\n"
        );
        let _ = writeln!(
            m,
            "pub fn into_instance(self) -> rt::Instance {{\n    self.instance\n}}"
        );
        for (name, method, t) in &self.programs {
            let ty = program_type(*t);
            let _ = writeln!(
                m,
                "\n/// Program `{name}` ({}).\npub fn {method}(&self) -> rt::typed::{ty}<'_> {{\n    \
                 match rt::typed::{ty}::new(&self.instance, \"{name}\") {{\n        Ok(p) => p,\n        \
                 Err(e) => unreachable!(\"checked when loaded: {{e}}\"),\n    }}\n}}",
                t.name()
            );
        }
        for map in &self.maps {
            let (ty, doc) = match &map.view {
                MapView::Raw(reason) => (
                    "rt::MapRef<'_>".to_string(),
                    format!("{}; untyped: {reason}", map.doc),
                ),
                v => (view_type(v), map.doc.clone()),
            };
            let _ = writeln!(
                m,
                "\n/// Map {doc}.\npub fn {}(&self) -> {ty} {{\n    match {} {{\n        Ok(m) => m,\n        \
                 Err(e) => unreachable!(\"checked when loaded: {{e}}\"),\n    }}\n}}",
                map.method,
                self.map_expr(map, "self.instance")
            );
        }
        if !self.sections.is_empty() {
            let _ = writeln!(
                m,
                "\n/// The global variables, section by section.\npub fn globals(&self) -> {s}Globals<'_> {{\n    \
                 {s}Globals {{ instance: &self.instance }}\n}}"
            );
        }
        b.push_str(&indent(&m, 4));
        let _ = writeln!(b, "}}");
    }

    /// The expression that builds a map's view from `inst` (a `&Instance`), as a Result.
    fn map_expr(&self, map: &MapBinding, inst: &str) -> String {
        let get = format!("{inst}.map(\"{}\")", map.name);
        match &map.view {
            MapView::Raw(_) => get,
            v => format!(
                "{get}.and_then({}::new)",
                view_type(v).replace("<'_, ", "::<").replace("<'_>", "")
            ),
        }
    }

    fn loader(&self, b: &mut String) {
        let s = &self.struct_name;
        let init_field = if self.sections.is_empty() {
            String::new()
        } else {
            format!("    init: Vec<Box<dyn FnOnce(&mut {s}Init)>>,\n")
        };
        let _ = writeln!(
            b,
            "\n/// Options, global data and host helpers for loading [`{s}`].\n#[derive(Default)]\n\
             pub struct {s}Loader {{\n    options: Option<rt::Options>,\n    \
             helpers: Vec<(u32, &'static str, rt::HelperClosure)>,\n{init_field}}}\n"
        );
        let _ = writeln!(b, "impl {s}Loader {{");
        let mut m = String::new();
        let _ = writeln!(
            m,
            "/// Instance options (default: `Options::default()`). Host helpers registered on the \
             loader are added to them.\npub fn options(mut self, options: rt::Options) -> Self {{\n    \
             self.options = Some(options);\n    self\n}}\n"
        );
        if !self.sections.is_empty() {
            let _ = writeln!(
                m,
                "/// Sets global variables before the first run; the only way to set `.rodata`.\n\
                 pub fn init(mut self, f: impl FnOnce(&mut {s}Init) + 'static) -> Self {{\n    \
                 self.init.push(Box::new(f));\n    self\n}}\n"
            );
        }
        for (id, name) in &self.helpers {
            let _ = writeln!(
                m,
                "/// Implements host helper `{name}` (id {id}).\npub fn helper_{}(mut self, f: impl Fn(&rt::HelperCall<'_>) -> u64 + Send + Sync + 'static) -> Self {{\n    \
                 let f: rt::HelperClosure = ::std::sync::Arc::new(f);\n    self.helpers.push(({id}, \"{name}\", f));\n    self\n}}\n",
                snake(name)
            );
        }
        let _ = writeln!(
            m,
            "/// Creates the instance.\npub fn load(self) -> Result<{s}, rt::LoadError> {{\n    \
             let image = {s}::image()?;\n    let mut options = self.options.unwrap_or_default();\n    \
             for (id, name, f) in self.helpers {{\n        options = options.helper(id, name, move |call| f(call));\n    }}"
        );
        if !self.sections.is_empty() {
            let _ = writeln!(
                m,
                "    if !self.init.is_empty() {{\n        let mut init = {s}Init::new(&image);\n        \
                 for f in self.init {{\n            f(&mut init);\n        }}\n        \
                 for (section, bytes) in init.sections {{\n            options = options.global_data(section, bytes);\n        }}\n    }}"
            );
        }
        let _ = writeln!(
            m,
            "    {s}::from_instance(rt::Instance::new(image, options)?)\n}}"
        );
        b.push_str(&indent(&m, 4));
        let _ = writeln!(b, "}}");
    }

    fn globals(&self, b: &mut String) {
        if self.sections.is_empty() {
            return;
        }
        let s = &self.struct_name;
        // Live views.
        let _ = writeln!(
            b,
            "\n/// The module's global data, one view per section.\n#[derive(Clone, Copy, Debug)]\n\
             pub struct {s}Globals<'a> {{\n    instance: &'a rt::Instance,\n}}\n\nimpl<'a> {s}Globals<'a> {{"
        );
        for sec in &self.sections {
            let _ = writeln!(
                b,
                "    /// `{}`{}.\n    pub fn {}(&self) -> {}<'a> {{\n        match self.instance.map(\"{}\").and_then(rt::typed::GlobalData::new) {{\n            \
                 Ok(data) => {} {{ data }},\n            Err(e) => unreachable!(\"checked when loaded: {{e}}\"),\n        }}\n    }}",
                sec.map,
                if sec.read_only { " (read-only once loaded)" } else { "" },
                sec.method,
                sec.type_name,
                sec.map,
                sec.type_name
            );
        }
        let _ = writeln!(b, "}}");
        for sec in &self.sections {
            let t = &sec.type_name;
            let _ = writeln!(
                b,
                "\n/// The variables of `{}`.\n#[derive(Clone, Copy, Debug)]\npub struct {t}<'a> {{\n    data: rt::typed::GlobalData<'a>,\n}}\n\nimpl<'a> {t}<'a> {{",
                sec.map
            );
            let _ = writeln!(
                b,
                "    /// The untyped section.\n    pub fn map(&self) -> rt::typed::GlobalData<'a> {{\n        self.data\n    }}"
            );
            for v in &sec.vars {
                let ty = v.ty.render("types::");
                let _ = writeln!(
                    b,
                    "\n    /// `{} {}` at offset {}.\n    pub fn {}(&self) -> {ty} {{\n        match self.data.read::<{ty}>({}) {{\n            \
                     Ok(v) => v,\n            Err(e) => unreachable!(\"inside the section: {{e}}\"),\n        }}\n    }}",
                    v.c_type, v.name, v.offset, v.name, v.offset
                );
                if !sec.read_only {
                    let _ = writeln!(
                        b,
                        "\n    pub fn set_{}(&self, value: {ty}) {{\n        if let Err(e) = self.data.write({}, &value) {{\n            \
                         unreachable!(\"a writable section: {{e}}\");\n        }}\n    }}",
                        v.name, v.offset
                    );
                }
            }
            for (name, reason) in &sec.skipped {
                let _ = writeln!(b, "\n    // `{name}` has no accessor: {reason}.");
            }
            let _ = writeln!(b, "}}");
        }

        // Views before loading.
        let _ = writeln!(
            b,
            "\n/// Global data before loading: every section's initial bytes, changed through the \
             setters of [`{s}Loader::init`].\npub struct {s}Init {{\n    \
             sections: Vec<(&'static str, Vec<u8>)>,\n}}\n\nimpl {s}Init {{\n    \
             fn new(image: &rt::ModuleImage) -> Self {{\n        let mut sections = Vec::new();"
        );
        for sec in &self.sections {
            let _ = writeln!(
                b,
                "        if let Some(spec) = image.maps().iter().find(|m| m.name == \"{0}\") {{\n            \
                 let mut bytes = spec.initial_data.clone();\n            bytes.resize(spec.value_size as usize, 0);\n            \
                 sections.push((\"{0}\", bytes));\n        }}",
                sec.map
            );
        }
        let _ = writeln!(b, "        {s}Init {{ sections }}\n    }}\n\n    fn section(&mut self, name: &str) -> &mut [u8] {{\n        \
             match self.sections.iter_mut().find(|(s, _)| *s == name) {{\n            Some((_, bytes)) => bytes,\n            \
             None => unreachable!(\"the module has section {{name}}\"),\n        }}\n    }}");
        for sec in &self.sections {
            let _ = writeln!(
                b,
                "\n    /// `{0}` before loading.\n    pub fn {1}(&mut self) -> {2}Init<'_> {{\n        {2}Init {{ bytes: self.section(\"{0}\") }}\n    }}",
                sec.map, sec.method, sec.type_name
            );
        }
        let _ = writeln!(b, "}}");
        for sec in &self.sections {
            let t = &sec.type_name;
            let _ = writeln!(
                b,
                "\n/// The variables of `{}` before loading.\npub struct {t}Init<'a> {{\n    bytes: &'a mut [u8],\n}}\n\nimpl {t}Init<'_> {{",
                sec.map
            );
            for v in &sec.vars {
                let ty = v.ty.render("types::");
                let _ = writeln!(
                    b,
                    "    pub fn {0}(&self) -> {ty} {{\n        let at = {1};\n        \
                     match rt::typed::from_bytes::<{ty}>(&self.bytes[at..at + ::core::mem::size_of::<{ty}>()]) {{\n            \
                     Some(v) => v,\n            None => unreachable!(\"the size matches\"),\n        }}\n    }}\n\n    \
                     pub fn set_{0}(&mut self, value: {ty}) -> &mut Self {{\n        let at = {1};\n        \
                     self.bytes[at..at + ::core::mem::size_of::<{ty}>()].copy_from_slice(rt::typed::bytes_of(&value));\n        self\n    }}",
                    v.name, v.offset
                );
            }
            let _ = writeln!(b, "}}");
        }
    }
}

fn program_type(t: ProgramType) -> &'static str {
    match t {
        ProgramType::Xdp => "XdpProgram",
        ProgramType::Raw => "RawProgram",
        ProgramType::SocketFilter
        | ProgramType::SchedCls
        | ProgramType::SchedAct
        | ProgramType::CgroupSkb => "SkbProgram",
    }
}

fn view_type(v: &MapView) -> String {
    let p = "types::";
    match v {
        MapView::Array(v) => format!("rt::typed::Array<'_, {}>", v.render(p)),
        MapView::PerCpuArray(v) => format!("rt::typed::PerCpuArray<'_, {}>", v.render(p)),
        MapView::Hash(k, v) => format!("rt::typed::HashMap<'_, {}, {}>", k.render(p), v.render(p)),
        MapView::PerCpuHash(k, v) => {
            format!(
                "rt::typed::PerCpuHashMap<'_, {}, {}>",
                k.render(p),
                v.render(p)
            )
        }
        MapView::ProgArray => "rt::typed::ProgramArray<'_>".to_string(),
        MapView::Raw(_) => "rt::MapRef<'_>".to_string(),
    }
}

#[cfg(test)]
mod tests;
