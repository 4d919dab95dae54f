//! The build-script pipeline: objects in, a linked static library and Rust bindings in
//! `OUT_DIR` out, with cargo's rebuild rules and error reporting done right.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bpf2c::helpers::{HelperDecl, HelperSet};

use crate::metadata::{self, ObjectConfig};
use crate::pipeline::{self, write_if_changed, Target};

/// Options of one object added with [`Builder::object_with`].
#[derive(Clone, Debug)]
pub struct ObjectOptions {
    /// Verifier-assisted optimisations (default on).
    pub optimize: bool,
    /// Module and bindings name; default the file stem as a C identifier.
    pub name: Option<String>,
    /// The exported C symbol; default `bpf2c_module_<name>`. Two crates linked into one
    /// binary need distinct symbols.
    pub module_symbol: Option<String>,
    /// Program types for sections whose names do not say the type; each section must hold
    /// a program.
    pub program_types: Vec<bpf2c::object::ProgramTypeOverride>,
}

impl Default for ObjectOptions {
    fn default() -> Self {
        ObjectOptions {
            optimize: true,
            name: None,
            module_symbol: None,
            program_types: Vec::new(),
        }
    }
}

/// Verifies eBPF objects, translates them to C, compiles and links the C into the crate,
/// and writes Rust bindings to `OUT_DIR/bpf2c/<name>.rs`.
///
/// ```no_run
/// // build.rs: fn main() {
/// bpf2c_build::Builder::new().object("bpf/counter.o").run();
/// // }
/// ```
/// ```ignore
/// // src/main.rs
/// bpf2c_runtime::include_bindings!("counter");
/// let counter = counter::Counter::load()?;
/// ```
#[derive(Clone, Debug, Default)]
pub struct Builder {
    objects: Vec<ObjectConfig>,
    helpers: Vec<HelperDecl>,
    /// Problems found while configuring (reported by `build`).
    config_errors: Vec<String>,
    read_manifest: bool,
    time_limit: Option<Duration>,
    /// Extra clang arguments for `.bpf.c` sources.
    clang_args: Vec<String>,
}

/// What a successful build produced.
#[derive(Clone, Debug)]
pub struct Built {
    pub objects: Vec<BuiltObject>,
    /// The static library linked into the crate.
    pub library: String,
}

#[derive(Clone, Debug)]
pub struct BuiltObject {
    pub name: String,
    pub symbol: String,
    pub c_source: PathBuf,
    pub bindings: PathBuf,
    pub log: PathBuf,
}

/// Why the build failed: one short line per problem, and the log holding the details.
#[derive(Clone)]
pub struct BuildError {
    pub problems: Vec<String>,
    pub log: Option<PathBuf>,
}

impl BuildError {
    fn new(problem: impl Into<String>) -> BuildError {
        BuildError {
            problems: vec![problem.into()],
            log: None,
        }
    }

    /// The messages as cargo shows them: each problem, then where the details are.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = self.problems.clone();
        if let Some(log) = &self.log {
            lines.push(format!("full details: {}", log.display()));
        }
        lines
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.lines().join("\n"))
    }
}

// `fn main() -> Result<(), BuildError>` prints the Debug form; make it the readable one.
impl fmt::Debug for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for BuildError {}

/// Environment variables of bpf2c-build itself.
pub mod env {
    /// Set (to anything but `0`) to turn verifier-assisted optimisations off for every
    /// object, e.g. to rule them out while chasing a bug.
    pub const NO_OPT: &str = "BPF2C_NO_OPT";
    /// Seconds one program's verification may take (default 300).
    pub const VERIFY_TIMEOUT: &str = "BPF2C_VERIFY_TIMEOUT";
    /// The clang that compiles `.bpf.c` sources: a path, or a name on `PATH`. Default: the
    /// first of `clang`, `clang-21` ... `clang-15` on `PATH`.
    pub const CLANG: &str = "BPF2C_CLANG";
}

impl Builder {
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Takes objects, options and host helpers from the package's `[package.metadata.bpf2c]`
    /// (the same table `cargo bpf2c` reads), so they are declared once.
    pub fn from_manifest() -> Builder {
        let mut b = Builder {
            read_manifest: true,
            ..Builder::default()
        };
        let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR") else {
            b.config_errors.push(
                "CARGO_MANIFEST_DIR is not set: Builder::from_manifest runs in a build script"
                    .into(),
            );
            return b;
        };
        match metadata::from_manifest(&Path::new(&dir).join("Cargo.toml")) {
            Ok(cfg) => {
                if cfg.objects.is_empty() {
                    b.config_errors
                        .push("Cargo.toml: [package.metadata.bpf2c] declares no objects".into());
                }
                b.objects = cfg.objects;
                b.helpers = cfg.helpers;
            }
            Err(e) => b.config_errors.push(e),
        }
        b
    }

    /// Adds an object (relative paths are relative to the package root) with the default
    /// options.
    pub fn object(self, path: impl AsRef<Path>) -> Builder {
        self.object_with(path, ObjectOptions::default())
    }

    /// Adds an object with its own options.
    pub fn object_with(mut self, path: impl AsRef<Path>, options: ObjectOptions) -> Builder {
        let path = path.as_ref();
        self.objects.push(ObjectConfig {
            path: path.to_path_buf(),
            display: path.display().to_string(),
            name: options.name,
            optimize: options.optimize,
            module_symbol: options.module_symbol,
            package_program_types: Vec::new(),
            program_types: options.program_types,
        });
        self
    }

    /// Adds an eBPF C source (`bpf/counter.bpf.c`, relative to the package root), which the
    /// build compiles with clang for the BPF target (`-O2 -g`) before translating it, as
    /// libbpf-cargo's `SkeletonBuilder` does. The module is named after the file
    /// (`counter`). Clang comes from `BPF2C_CLANG` or `PATH`; every header the source
    /// includes reruns the build when it changes. (`object` accepts a `.c` path too.)
    pub fn source(self, path: impl AsRef<Path>) -> Builder {
        self.object_with(path, ObjectOptions::default())
    }

    /// [`Builder::source`] with options.
    pub fn source_with(self, path: impl AsRef<Path>, options: ObjectOptions) -> Builder {
        self.object_with(path, options)
    }

    /// Passes an argument to clang when it compiles a source (`-Iinclude`, `-DDEBUG=1`).
    pub fn clang_arg(mut self, arg: impl Into<String>) -> Builder {
        self.clang_args.push(arg.into());
        self
    }

    /// Declares a host helper: programs may call it, and the verifier checks every call
    /// against its prototype. The host supplies its implementation when it loads the module
    /// (`Options::helper`, or the `helper_<name>` method of the generated loader).
    pub fn helper(mut self, decl: HelperDecl) -> Builder {
        self.helpers.push(decl);
        self
    }

    /// Runs the build; on failure reports each problem with `cargo::error=` and exits
    /// without a panic or a backtrace, so cargo shows exactly those lines.
    pub fn run(self) -> Built {
        match self.build() {
            Ok(built) => built,
            Err(e) => {
                let mut out = std::io::stdout().lock();
                for line in e.lines() {
                    let _ = writeln!(out, "cargo::error={line}");
                }
                let _ = out.flush();
                // cargo::error fails the build by itself; exiting with success keeps cargo
                // from repeating every line of our output after the errors.
                std::process::exit(0);
            }
        }
    }

    /// Runs the build and returns what it produced, or the problems.
    pub fn build(self) -> Result<Built, BuildError> {
        let env = |name: &str| std::env::var(name).ok();
        let mut directives = Vec::new();
        let result = self.build_with(&env, &mut directives, true);
        let mut out = std::io::stdout().lock();
        for line in directives {
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
        result
    }

    /// The build with its environment given; cargo directives are collected in
    /// `directives` (the C compiler's own go to stdout when `cargo_metadata`).
    pub(crate) fn build_with(
        self,
        env: &dyn Fn(&str) -> Option<String>,
        directives: &mut Vec<String>,
        cargo_metadata: bool,
    ) -> Result<Built, BuildError> {
        let mut read = |name: &str| {
            directives.push(format!("cargo:rerun-if-env-changed={name}"));
            env(name)
        };
        let out_dir = read("OUT_DIR").ok_or_else(|| {
            BuildError::new("OUT_DIR is not set: bpf2c_build::Builder runs in a build script")
        })?;
        let manifest_dir = read("CARGO_MANIFEST_DIR").unwrap_or_else(|| ".".into());
        let triple = read("TARGET").unwrap_or_else(|| crate::native::HOST_TARGET.to_string());
        let host = read("HOST").unwrap_or_else(|| crate::native::HOST_TARGET.to_string());
        let host_target = Target::host();
        let target = Target {
            little_endian: match read("CARGO_CFG_TARGET_ENDIAN").as_deref() {
                Some("big") => false,
                Some(_) => true,
                None => host_target.little_endian,
            },
            pointer_width: read("CARGO_CFG_TARGET_POINTER_WIDTH")
                .and_then(|w| w.parse().ok())
                .unwrap_or(host_target.pointer_width),
            triple: triple.clone(),
        };
        let package = read("CARGO_PKG_NAME").unwrap_or_else(|| "crate".into());
        let opt_level = read("OPT_LEVEL").unwrap_or_else(|| "2".into());
        let no_opt = read(env::NO_OPT).is_some_and(|v| !v.is_empty() && v != "0");
        let time_limit = match read(env::VERIFY_TIMEOUT) {
            None => self.time_limit,
            Some(s) => match s.parse::<u64>() {
                Ok(secs) if secs > 0 => Some(Duration::from_secs(secs)),
                _ => {
                    return Err(BuildError::new(format!(
                        "{}={s}: expected a number of seconds",
                        env::VERIFY_TIMEOUT
                    )))
                }
            },
        };
        let clang_setting = read(env::CLANG);
        let path_var = env("PATH").map(std::ffi::OsString::from);
        let mut say = |line: String| directives.push(line);
        if self.read_manifest {
            say(format!("cargo:rerun-if-changed={manifest_dir}/Cargo.toml"));
        }
        if !self.config_errors.is_empty() {
            return Err(BuildError {
                problems: self.config_errors,
                log: None,
            });
        }
        if self.objects.is_empty() {
            return Err(BuildError::new(
                "no eBPF objects given: call Builder::object (or declare objects in \
                 [package.metadata.bpf2c] and use Builder::from_manifest)",
            ));
        }

        let mut helpers = HelperSet::standard();
        let mut problems = Vec::new();
        for h in &self.helpers {
            if let Err(e) = helpers.add(h.clone()) {
                problems.push(e);
            }
        }

        let dir = Path::new(&out_dir).join("bpf2c");
        let include = dir.join("include");
        bpf2c_runtime::write_abi_header(&include)
            .map_err(|e| BuildError::new(format!("cannot write {}: {e}", include.display())))?;

        let mut objects = Vec::new();
        let mut names: BTreeMap<String, String> = BTreeMap::new();
        let mut first_log = None;
        let mut clang = None;
        for mut cfg in self.objects {
            if cfg.path.is_relative() {
                cfg.path = Path::new(&manifest_dir).join(&cfg.path);
            }
            if no_opt {
                cfg.optimize = false;
            }
            say(format!("cargo:rerun-if-changed={}", cfg.path.display()));
            if !problems.is_empty() {
                continue;
            }
            if crate::clang::is_source(&cfg.path) {
                let clang = clang.get_or_insert_with(|| {
                    crate::clang::find_clang(clang_setting.as_deref(), path_var.clone())
                });
                let clang = match clang {
                    Ok(c) => c.clone(),
                    Err(e) => {
                        problems.push(format!("{}: {e}", cfg.display));
                        continue;
                    }
                };
                let stem = crate::clang::module_stem(&cfg.path);
                let objects_dir = dir.join("bpf");
                std::fs::create_dir_all(&objects_dir).map_err(|e| {
                    BuildError::new(format!("cannot create {}: {e}", objects_dir.display()))
                })?;
                let source = cfg
                    .path
                    .strip_prefix(&manifest_dir)
                    .unwrap_or(&cfg.path)
                    .to_path_buf();
                let build = crate::clang::SourceBuild {
                    clang: &clang,
                    source: &source,
                    package_root: Path::new(&manifest_dir),
                    object: objects_dir.join(format!("{stem}.o")),
                    little_endian: target.little_endian,
                    host_triple: &host,
                    extra_args: &self.clang_args,
                };
                match build.run() {
                    Ok(compiled) => {
                        for input in compiled.inputs.iter().skip(1) {
                            say(format!("cargo:rerun-if-changed={}", input.display()));
                        }
                        cfg.path = compiled.object;
                        cfg.name.get_or_insert(stem);
                    }
                    Err((short, detail)) => {
                        let log = dir.join(format!("{stem}.clang.log"));
                        let _ = write_if_changed(&log, detail.as_bytes());
                        problems.push(format!("{}: {short}", cfg.display));
                        first_log.get_or_insert(log);
                        continue;
                    }
                }
            }
            let result = pipeline::translate_object(&cfg, &helpers, &target, time_limit);
            let stem = match &result {
                Ok(t) => t.name.clone(),
                Err(_) => pipeline::load(&cfg)
                    .map(|o| o.name)
                    .unwrap_or_else(|_| bpf2c::object::c_identifier(&file_stem(&cfg.path))),
            };
            let log = dir.join(format!("{stem}.log"));
            match result {
                Ok(t) => {
                    if let Some(other) = names.insert(t.name.clone(), cfg.display.clone()) {
                        problems.push(format!(
                            "{} and {other} both make a module named '{}'; give one another \
                             name",
                            cfg.display, t.name
                        ));
                        continue;
                    }
                    let mut detail = String::new();
                    for v in &t.verdicts {
                        detail.push_str(&format!(
                            "program '{}': verified ({} instructions)\n",
                            v.program, v.instructions
                        ));
                    }
                    let c_source = dir.join(format!("{}.c", t.name));
                    let bindings = dir.join(format!("{}.rs", t.name));
                    for (path, bytes) in [
                        (&c_source, t.c_source.as_bytes()),
                        (&bindings, t.bindings.as_bytes()),
                        (&log, detail.as_bytes()),
                    ] {
                        write_if_changed(path, bytes).map_err(|e| {
                            BuildError::new(format!("cannot write {}: {e}", path.display()))
                        })?;
                    }
                    objects.push(BuiltObject {
                        name: t.name,
                        symbol: t.symbol,
                        c_source,
                        bindings,
                        log,
                    });
                }
                Err(failure) => {
                    let _ = write_if_changed(&log, failure.detail().as_bytes());
                    problems.extend(failure.short_messages());
                    first_log.get_or_insert(log);
                }
            }
        }
        if !problems.is_empty() {
            return Err(BuildError {
                problems,
                log: first_log,
            });
        }

        let library = format!("bpf2c_{}", bpf2c::object::c_identifier(&package));
        let mut cc = cc::Build::new();
        cc.target(&triple)
            .host(&host)
            .out_dir(&dir)
            .opt_level_str(&opt_level)
            // Debug info would record OUT_DIR, making the library differ between checkouts.
            .debug(false)
            .cargo_metadata(cargo_metadata)
            .include(&include)
            // `std` spells the flag for the compiler family cc has detected anyway; probing
            // with flag_if_supported would cost one more compiler run per build.
            .std("c11")
            .warnings(true)
            .extra_warnings(true);
        if cc
            .try_get_compiler()
            .is_ok_and(|c| crate::native::takes_loop_alignment(&c))
        {
            cc.flag(crate::native::LOOP_ALIGNMENT_FLAG);
        }
        for o in &objects {
            cc.file(&o.c_source);
        }
        if let Err(e) = cc.try_compile(&library) {
            let log = dir.join("cc.log");
            let _ = write_if_changed(&log, format!("{e}\n").as_bytes());
            return Err(BuildError {
                problems: vec![format!(
                    "the C compiler failed on the generated code ({}): {}",
                    objects
                        .iter()
                        .map(|o| o.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    e.to_string().lines().next().unwrap_or("")
                )],
                log: Some(log),
            });
        }
        Ok(Built { objects, library })
    }

    /// Sets the longest time one program's verification may take (default 300 s;
    /// `BPF2C_VERIFY_TIMEOUT` overrides it).
    pub fn verify_time_limit(mut self, limit: Duration) -> Builder {
        self.time_limit = Some(limit);
        self
    }
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "object".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn repo(rel: &str) -> PathBuf {
        bpf2c_testkit::repo().join(rel)
    }

    /// A build-script environment for `out_dir`, as cargo would set it for this host.
    fn env(out_dir: &Path, extra: &[(&str, &str)]) -> HashMap<String, String> {
        let mut e: HashMap<String, String> = [
            ("OUT_DIR", out_dir.to_str().unwrap()),
            ("CARGO_MANIFEST_DIR", env!("CARGO_MANIFEST_DIR")),
            ("TARGET", crate::native::HOST_TARGET),
            ("HOST", crate::native::HOST_TARGET),
            ("CARGO_CFG_TARGET_ENDIAN", "little"),
            ("CARGO_CFG_TARGET_POINTER_WIDTH", "64"),
            ("CARGO_PKG_NAME", "demo-crate"),
            ("OPT_LEVEL", "0"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in extra {
            e.insert(k.to_string(), v.to_string());
        }
        e
    }

    fn build(
        b: Builder,
        env: &HashMap<String, String>,
    ) -> (Result<Built, BuildError>, Vec<String>) {
        let mut directives = Vec::new();
        let lookup = |name: &str| env.get(name).cloned();
        let r = b.build_with(&lookup, &mut directives, false);
        (r, directives)
    }

    #[test]
    fn builds_objects_into_out_dir_deterministically() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let builder = || {
            Builder::new()
                .object("../examples/packet-counter/bpf/counter.o")
                .object_with(
                    repo("examples/rate-limiter/bpf/ratelimit.o"),
                    ObjectOptions {
                        optimize: false,
                        name: Some("limiter".into()),
                        module_symbol: Some("limiter_module".into()),
                        ..ObjectOptions::default()
                    },
                )
        };
        let (built, directives) = build(builder(), &env(a.path(), &[]));
        let built = built.unwrap();
        assert_eq!(built.library, "bpf2c_demo_crate");
        let names: Vec<(&str, &str)> = built
            .objects
            .iter()
            .map(|o| (o.name.as_str(), o.symbol.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("counter", "bpf2c_module_counter"),
                ("limiter", "limiter_module")
            ]
        );
        for var in ["OUT_DIR", "TARGET", "CARGO_CFG_TARGET_ENDIAN", env::NO_OPT] {
            assert!(
                directives.contains(&format!("cargo:rerun-if-env-changed={var}")),
                "{directives:?}"
            );
        }
        assert!(directives
            .iter()
            .any(|d| d.starts_with("cargo:rerun-if-changed=") && d.ends_with("bpf/counter.o")));
        let out = a.path().join("bpf2c");
        assert!(out.join("include/bpf2c.h").is_file());
        assert!(out.join("libbpf2c_demo_crate.a").is_file());
        let rs = std::fs::read_to_string(out.join("limiter.rs")).unwrap();
        assert!(rs.contains("pub mod limiter {"));
        assert!(rs.contains("static limiter_module: rt::ffi::bpf2c_module_t;"));
        let c = std::fs::read_to_string(out.join("limiter.c")).unwrap();
        assert!(c.contains("Optimization: off"));

        // Another OUT_DIR: byte-identical C, bindings and log.
        let (again, _) = build(builder(), &env(b.path(), &[]));
        again.unwrap();
        for f in [
            "counter.c",
            "counter.rs",
            "limiter.c",
            "limiter.rs",
            "counter.log",
        ] {
            let x = std::fs::read(out.join(f)).unwrap();
            let y = std::fs::read(b.path().join("bpf2c").join(f)).unwrap();
            assert!(x == y, "{f} differs between two builds");
        }
        // Nothing written outside OUT_DIR/bpf2c.
        let top: Vec<_> = std::fs::read_dir(a.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(top, ["bpf2c"]);
    }

    #[test]
    fn refused_programs_give_one_line_each_and_a_log() {
        let out = tempfile::tempdir().unwrap();
        let (r, directives) = build(
            Builder::new().object(repo("tests/bpf/fail_unchecked_lookup.o")),
            &env(out.path(), &[]),
        );
        let e = r.unwrap_err();
        assert_eq!(e.problems.len(), 1, "{e}");
        assert!(
            e.problems[0].ends_with(
                "fail_unchecked_lookup.o: program 'count_unchecked' at \
                 tests/bpf/fail_unchecked_lookup.c:20: the pointer may be NULL here: check the \
                 result of bpf_map_lookup_elem (or any helper that can return NULL) before \
                 using it"
            ),
            "{e}"
        );
        let log = e.log.clone().unwrap();
        assert_eq!(log, out.path().join("bpf2c/fail_unchecked_lookup.log"));
        let detail = std::fs::read_to_string(&log).unwrap();
        assert!(
            detail.contains("program 'count_unchecked': REFUSED"),
            "{detail}"
        );
        assert!(detail.contains("20 | \t*v += 1;"), "{detail}");
        assert!(
            detail.contains("verifier: Possible null access"),
            "{detail}"
        );
        assert_eq!(
            e.lines().last().unwrap(),
            &format!("full details: {}", log.display())
        );
        // The object is watched even though it failed, so fixing it reruns the build.
        assert!(directives
            .iter()
            .any(|d| d.ends_with("fail_unchecked_lookup.o")));
    }

    #[test]
    fn the_target_must_match_the_object() {
        let out = tempfile::tempdir().unwrap();
        let (r, _) = build(
            Builder::new().object(repo("tests/bpf/maps_basic.o")),
            &env(
                out.path(),
                &[
                    ("CARGO_CFG_TARGET_ENDIAN", "big"),
                    ("TARGET", "powerpc64-unknown-linux-gnu"),
                ],
            ),
        );
        let e = r.unwrap_err();
        assert!(
            e.problems[0].ends_with(
                "maps_basic.o: the object is little-endian eBPF but the target \
                 powerpc64-unknown-linux-gnu is big-endian; rebuild it with clang -target bpfeb"
            ),
            "{e}"
        );
        let (r, _) = build(
            Builder::new().object(repo("tests/bpf/maps_basic.o")),
            &env(out.path(), &[("CARGO_CFG_TARGET_POINTER_WIDTH", "32")]),
        );
        assert!(r.unwrap_err().problems[0].contains("has 32-bit pointers"));
        let (r, _) = build(
            Builder::new().object(repo("tests/bpf/bigendian_be.o")),
            &env(out.path(), &[]),
        );
        assert!(r.unwrap_err().problems[0].contains("the object is big-endian eBPF"));
    }

    #[test]
    fn configuration_mistakes_are_reported_not_panicked() {
        let out = tempfile::tempdir().unwrap();
        let (r, _) = build(Builder::new(), &env(out.path(), &[]));
        assert!(r.unwrap_err().problems[0].starts_with("no eBPF objects given"));
        let (r, _) = build(Builder::new().object("x.o"), &HashMap::new());
        assert!(r.unwrap_err().problems[0].starts_with("OUT_DIR is not set"));
        let (r, _) = build(Builder::new().object("missing.o"), &env(out.path(), &[]));
        assert!(r.unwrap_err().problems[0].starts_with("missing.o: cannot read the object"));
        let (r, _) = build(
            Builder::new()
                .object(repo("tests/bpf/maps_basic.o"))
                .helper(HelperDecl::new(
                    1,
                    "clash",
                    bpf2c::helpers::HelperReturn::Integer,
                    &[],
                )),
            &env(out.path(), &[]),
        );
        assert!(r.unwrap_err().problems[0].contains("belongs to the standard helper"));
        let (r, _) = build(
            Builder::new()
                .object(repo("tests/bpf/maps_basic.o"))
                .object(repo("tests/bpf/maps_basic.o")),
            &env(out.path(), &[]),
        );
        assert!(r.unwrap_err().problems[0].contains("both make a module named 'maps_basic'"));
        let (r, _) = build(
            Builder::new().object(repo("tests/bpf/maps_basic.o")),
            &env(out.path(), &[(env::VERIFY_TIMEOUT, "soon")]),
        );
        assert_eq!(
            r.unwrap_err().problems[0],
            "BPF2C_VERIFY_TIMEOUT=soon: expected a number of seconds"
        );
    }

    #[test]
    fn no_opt_from_the_environment_applies_to_every_object() {
        let out = tempfile::tempdir().unwrap();
        let (r, _) = build(
            Builder::new().object(repo("tests/bpf/maps_basic.o")),
            &env(out.path(), &[(env::NO_OPT, "1")]),
        );
        r.unwrap();
        let c = std::fs::read_to_string(out.path().join("bpf2c/maps_basic.c")).unwrap();
        assert!(c.contains("Optimization: off"));
    }
}
