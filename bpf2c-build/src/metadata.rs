//! `[package.metadata.bpf2c]`: the objects a package declares and how to translate them.
//!
//! One schema serves both readers: `Builder::from_manifest` (the build script reads its own
//! `Cargo.toml`) and `cargo bpf2c` (which gets every package's metadata from `cargo
//! metadata`). Both hand the table over as JSON.
//!
//! ```toml
//! [package.metadata.bpf2c]
//! objects = ["bpf/*.o"]            # paths or globs, relative to the package root
//! no-opt = false                   # default for every object
//!
//! [package.metadata.bpf2c.program-types]  # for sections whose names do not say the type;
//! my_probe = "kprobe"                      # applies to every object with such a section
//!
//! [[package.metadata.bpf2c.helpers]]
//! id = 1000
//! name = "host_log"
//! args = ["readable-mem", "const-size"]
//! ret = "integer"
//!
//! [package.metadata.bpf2c.object."bpf/pricing.o"]
//! no-opt = true
//! name = "pricing"                 # module/bindings name (default: the file stem)
//! module-symbol = "my_symbol"      # exported C symbol (default: bpf2c_module_<name>)
//! program-types = { my_filter = "raw" }  # this object must have the section
//! ```
//!
//! Unknown keys are errors, so a typo never silently does nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bpf2c::helpers::{HelperArg, HelperDecl, HelperReturn};
use bpf2c::object::ProgramTypeOverride;
use serde_json::Value;

use crate::glob;

/// The keys of `[package.metadata.bpf2c]`.
pub const PACKAGE_KEYS: [&str; 5] = ["objects", "no-opt", "helpers", "object", "program-types"];
/// The keys of `[package.metadata.bpf2c.object."<path>"]`.
pub const OBJECT_KEYS: [&str; 4] = ["no-opt", "name", "module-symbol", "program-types"];
/// The keys of one `[[package.metadata.bpf2c.helpers]]` entry.
pub const HELPER_KEYS: [&str; 4] = ["id", "name", "args", "ret"];

/// How to translate one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectConfig {
    /// The object file: absolute, or relative to the package root as declared.
    pub path: PathBuf,
    /// The path as the package declares it (relative to its root), for messages.
    pub display: String,
    /// Module and bindings name; default the file stem as a C identifier.
    pub name: Option<String>,
    pub optimize: bool,
    pub module_symbol: Option<String>,
    /// The package's `program-types`: applied to the programs of the sections this object has.
    pub package_program_types: Vec<ProgramTypeOverride>,
    /// The object's own `program-types`: each section must hold a program. Applied after the
    /// package's, so they win.
    pub program_types: Vec<ProgramTypeOverride>,
}

/// What a package declares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PackageConfig {
    pub objects: Vec<ObjectConfig>,
    pub helpers: Vec<HelperDecl>,
}

/// Reads the `bpf2c` table (None when the package has none) of a package rooted at `root`.
/// Object globs are expanded against the file system, sorted, without duplicates.
pub fn parse(table: Option<&Value>, root: &Path) -> Result<PackageConfig, String> {
    let Some(table) = table else {
        return Ok(PackageConfig::default());
    };
    let t = table
        .as_object()
        .ok_or("[package.metadata.bpf2c] must be a table")?;
    check_keys(t, &PACKAGE_KEYS, "[package.metadata.bpf2c]")?;
    let default_no_opt = match t.get("no-opt") {
        None => false,
        Some(v) => v
            .as_bool()
            .ok_or("[package.metadata.bpf2c] no-opt must be true or false")?,
    };

    let mut paths: Vec<String> = Vec::new();
    if let Some(objects) = t.get("objects") {
        let list = objects
            .as_array()
            .ok_or("[package.metadata.bpf2c] objects must be a list of paths or globs")?;
        for p in list {
            let pattern = p
                .as_str()
                .ok_or("[package.metadata.bpf2c] objects must be a list of strings")?;
            let matched = glob::expand(root, pattern)?;
            if matched.is_empty() {
                return Err(format!(
                    "[package.metadata.bpf2c] objects: '{pattern}' matches no file under {}",
                    root.display()
                ));
            }
            for m in matched {
                if !paths.contains(&m) {
                    paths.push(m);
                }
            }
        }
    }
    paths.sort();
    let package_types = match t.get("program-types") {
        None => Vec::new(),
        Some(v) => program_types(v, "[package.metadata.bpf2c.program-types]")?,
    };

    let mut per_object: BTreeMap<String, &serde_json::Map<String, Value>> = BTreeMap::new();
    if let Some(objects) = t.get("object") {
        let o = objects
            .as_object()
            .ok_or("[package.metadata.bpf2c.object] must be a table of tables")?;
        for (path, v) in o {
            let where_ = format!("[package.metadata.bpf2c.object.\"{path}\"]");
            let v = v.as_object().ok_or(format!("{where_} must be a table"))?;
            check_keys(v, &OBJECT_KEYS, &where_)?;
            let normal = normalize(path);
            if !paths.contains(&normal) {
                return Err(format!(
                    "{where_} configures an object that `objects` does not list"
                ));
            }
            per_object.insert(normal, v);
        }
    }

    let mut objects = Vec::new();
    for p in paths {
        let mut cfg = ObjectConfig {
            path: root.join(&p),
            display: p.clone(),
            name: None,
            optimize: !default_no_opt,
            module_symbol: None,
            package_program_types: package_types.clone(),
            program_types: Vec::new(),
        };
        if let Some(o) = per_object.get(&p) {
            let where_ = format!("[package.metadata.bpf2c.object.\"{p}\"]");
            if let Some(v) = o.get("no-opt") {
                cfg.optimize = !v
                    .as_bool()
                    .ok_or(format!("{where_} no-opt must be true or false"))?;
            }
            if let Some(v) = o.get("name") {
                cfg.name = Some(identifier(v, &format!("{where_} name"))?);
            }
            if let Some(v) = o.get("module-symbol") {
                cfg.module_symbol = Some(identifier(v, &format!("{where_} module-symbol"))?);
            }
            if let Some(v) = o.get("program-types") {
                cfg.program_types = program_types(v, &format!("{where_} program-types"))?;
            }
        }
        objects.push(cfg);
    }

    let mut helpers = Vec::new();
    if let Some(list) = t.get("helpers") {
        let list = list
            .as_array()
            .ok_or("[package.metadata.bpf2c] helpers must be a list of tables ([[...helpers]])")?;
        for (i, h) in list.iter().enumerate() {
            helpers.push(helper(h, i)?);
        }
    }
    Ok(PackageConfig { objects, helpers })
}

/// A `program-types` table: section name = program type name.
fn program_types(v: &Value, what: &str) -> Result<Vec<ProgramTypeOverride>, String> {
    let t = v
        .as_object()
        .ok_or(format!("{what} must be a table of section = \"type\""))?;
    t.iter()
        .map(|(section, ty)| {
            let ty = ty.as_str().ok_or(format!(
                "{what}: the type of section '{section}' must be a string"
            ))?;
            ProgramTypeOverride::new(section, ty).map_err(|e| format!("{what}: {e}"))
        })
        .collect()
}

/// `./bpf/x.o` and `bpf//x.o` name `bpf/x.o`.
fn normalize(path: &str) -> String {
    path.split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect::<Vec<_>>()
        .join("/")
}

fn check_keys(
    t: &serde_json::Map<String, Value>,
    known: &[&str],
    where_: &str,
) -> Result<(), String> {
    for k in t.keys() {
        if !known.contains(&k.as_str()) {
            return Err(format!(
                "{where_}: unknown key '{k}' (known keys: {})",
                known.join(", ")
            ));
        }
    }
    Ok(())
}

fn identifier(v: &Value, what: &str) -> Result<String, String> {
    let s = v.as_str().ok_or(format!("{what} must be a string"))?;
    let ok = !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        return Err(format!("{what} '{s}' is not an identifier"));
    }
    Ok(s.to_string())
}

/// The argument kinds as the metadata spells them.
pub const ARG_NAMES: [(&str, HelperArg); 10] = [
    ("anything", HelperArg::Anything),
    ("readable-mem", HelperArg::ReadableMem),
    ("readable-mem-or-null", HelperArg::ReadableMemOrNull),
    ("writable-mem", HelperArg::WritableMem),
    ("const-size", HelperArg::ConstSize),
    ("const-size-or-zero", HelperArg::ConstSizeOrZero),
    ("context", HelperArg::Context),
    ("map", HelperArg::Map),
    ("map-key", HelperArg::MapKey),
    ("map-value", HelperArg::MapValue),
];

fn helper(v: &Value, index: usize) -> Result<HelperDecl, String> {
    let where_ = format!("[[package.metadata.bpf2c.helpers]] entry {}", index + 1);
    let t = v.as_object().ok_or(format!("{where_} must be a table"))?;
    check_keys(t, &HELPER_KEYS, &where_)?;
    let id = t
        .get("id")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or(format!(
            "{where_}: id must be a number from 0 to 4294967295"
        ))?;
    let name = t
        .get("name")
        .and_then(Value::as_str)
        .ok_or(format!("{where_}: name must be a string"))?
        .to_string();
    let mut args = Vec::new();
    if let Some(list) = t.get("args") {
        let list = list
            .as_array()
            .ok_or(format!("{where_}: args must be a list of strings"))?;
        for a in list {
            let a = a
                .as_str()
                .ok_or(format!("{where_}: args must be a list of strings"))?;
            let kind = ARG_NAMES
                .iter()
                .find(|(n, _)| *n == a)
                .map(|(_, k)| *k)
                .ok_or_else(|| {
                    format!(
                        "{where_}: unknown argument kind '{a}' (known: {})",
                        ARG_NAMES.map(|(n, _)| n).join(", ")
                    )
                })?;
            args.push(kind);
        }
    }
    let ret = match t.get("ret").map(|r| r.as_str()) {
        None | Some(Some("integer")) => HelperReturn::Integer,
        Some(Some("map-value-or-null")) => HelperReturn::MapValueOrNull,
        _ => {
            return Err(format!(
                "{where_}: ret must be \"integer\" or \"map-value-or-null\""
            ))
        }
    };
    let decl = HelperDecl::new(id, name, ret, &args);
    decl.check().map_err(|e| format!("{where_}: {e}"))?;
    Ok(decl)
}

/// Reads `[package.metadata.bpf2c]` from a `Cargo.toml`.
pub fn from_manifest(manifest: &Path) -> Result<PackageConfig, String> {
    let text = std::fs::read_to_string(manifest)
        .map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
    let doc: toml::Table =
        toml::from_str(&text).map_err(|e| format!("{}: {e}", manifest.display()))?;
    let json = serde_json::to_value(&doc).map_err(|e| format!("{}: {e}", manifest.display()))?;
    let table = json
        .get("package")
        .and_then(|p| p.get("metadata"))
        .and_then(|m| m.get("bpf2c"));
    let root = manifest.parent().unwrap_or(Path::new("."));
    parse(table, root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tree() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("bpf/sub")).unwrap();
        for f in ["bpf/b.o", "bpf/a.o", "bpf/a.c", "bpf/sub/c.o"] {
            std::fs::write(d.path().join(f), b"x").unwrap();
        }
        d
    }

    #[test]
    fn objects_expand_and_take_per_object_options() {
        let d = tree();
        let cfg = parse(
            Some(&json!({
                "objects": ["bpf/*.o", "bpf/sub/c.o", "./bpf/a.o"],
                "no-opt": true,
                "object": {"bpf/b.o": {"no-opt": false, "name": "bee"}},
                "helpers": [{"id": 1000, "name": "host_log", "args": ["readable-mem", "const-size"]}],
            })),
            d.path(),
        )
        .unwrap();
        let names: Vec<&str> = cfg.objects.iter().map(|o| o.display.as_str()).collect();
        assert_eq!(names, ["bpf/a.o", "bpf/b.o", "bpf/sub/c.o"]);
        assert!(!cfg.objects[0].optimize);
        assert!(cfg.objects[1].optimize);
        assert_eq!(cfg.objects[1].name.as_deref(), Some("bee"));
        assert_eq!(cfg.objects[2].path, d.path().join("bpf/sub/c.o"));
        assert_eq!(
            cfg.helpers,
            vec![HelperDecl::new(
                1000,
                "host_log",
                HelperReturn::Integer,
                &[HelperArg::ReadableMem, HelperArg::ConstSize]
            )]
        );
        assert_eq!(parse(None, d.path()).unwrap(), PackageConfig::default());
    }

    #[test]
    fn mistakes_are_named() {
        let d = tree();
        let err = |v: Value| parse(Some(&v), d.path()).unwrap_err();
        assert_eq!(
            err(json!({"object": []})),
            "[package.metadata.bpf2c.object] must be a table of tables"
        );
        assert!(err(json!({"objcts": []})).contains("unknown key 'objcts'"));
        assert!(err(json!({"objects": ["nope/*.o"]})).contains("'nope/*.o' matches no file"));
        assert!(
            err(json!({"objects": ["bpf/a.o"], "object": {"bpf/b.o": {}}}))
                .contains("does not list")
        );
        assert!(
            err(json!({"objects": ["bpf/a.o"], "object": {"bpf/a.o": {"noopt": true}}})).contains(
                "unknown key 'noopt' (known keys: no-opt, name, module-symbol, program-types)"
            )
        );
        assert!(
            err(json!({"helpers": [{"id": 5, "name": "x", "args": ["pointer"]}]}))
                .contains("unknown argument kind 'pointer'")
        );
        assert!(
            err(json!({"helpers": [{"id": 5, "name": "x", "args": ["readable-mem"]}]}))
                .contains("must be followed by its size")
        );
        assert!(
            err(json!({"objects": ["bpf/a.o"], "object": {"bpf/a.o": {"name": "a-b"}}}))
                .contains("is not an identifier")
        );
    }

    #[test]
    fn program_types_are_read_for_the_package_and_per_object() {
        let d = tree();
        let cfg = parse(
            Some(&json!({
                "objects": ["bpf/a.o", "bpf/b.o"],
                "program-types": {"probe": "kprobe"},
                "object": {"bpf/b.o": {"program-types": {"filter": "raw", "probe": "tracepoint"}}},
            })),
            d.path(),
        )
        .unwrap();
        let types = |v: &[ProgramTypeOverride]| -> Vec<(String, String)> {
            v.iter()
                .map(|o| (o.section.clone(), o.kind.name().to_string()))
                .collect()
        };
        let pair = |s: &str, t: &str| (s.to_string(), t.to_string());
        for o in &cfg.objects {
            assert_eq!(types(&o.package_program_types), [pair("probe", "kprobe")]);
        }
        assert!(cfg.objects[0].program_types.is_empty());
        assert_eq!(
            types(&cfg.objects[1].program_types),
            [pair("filter", "raw"), pair("probe", "tracepoint")]
        );
        let err = |v: Value| parse(Some(&v), d.path()).unwrap_err();
        assert!(
            err(json!({"program-types": {"probe": "kprob"}})).starts_with(
                "[package.metadata.bpf2c.program-types]: unknown program type 'kprob' for section \
             'probe' (known types: xdp, raw,"
            )
        );
        assert_eq!(
            err(json!({"program-types": {"probe": 3}})),
            "[package.metadata.bpf2c.program-types]: the type of section 'probe' must be a string"
        );
        assert_eq!(
            err(json!({"program-types": ["probe"]})),
            "[package.metadata.bpf2c.program-types] must be a table of section = \"type\""
        );
    }

    #[test]
    fn reads_a_manifest() {
        let d = tree();
        let manifest = d.path().join("Cargo.toml");
        std::fs::write(
            &manifest,
            "[package]\nname = \"x\"\n\n[package.metadata.bpf2c]\nobjects = [\"bpf/sub/*.o\"]\n",
        )
        .unwrap();
        let cfg = from_manifest(&manifest).unwrap();
        assert_eq!(cfg.objects.len(), 1);
        assert_eq!(cfg.objects[0].display, "bpf/sub/c.o");
        std::fs::write(&manifest, "[package\n").unwrap();
        assert!(from_manifest(&manifest).unwrap_err().contains("Cargo.toml"));
    }
}
