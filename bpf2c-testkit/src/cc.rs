//! The one way the workspace's tests and benchmarks compile C: [`build`] compiles a set of
//! translation units with a given compiler and flags, one compiler process per core, and
//! links them into an executable or a shared library (or checks they compile, or prints the
//! assembly of one).
//!
//! What it builds goes into bpf2c-build's compile cache ([`bpf2c_build::cache`]), the one
//! `cargo bpf2c run` uses: an entry per content hash of the compiler (its path, arguments and
//! `--version`), the flags, the output kind, every unit and `bpf2c.h`; directories of mode
//! 0700 checked to be this user's; the artifact installed whole under its SHA-256 and hashed
//! again before each reuse. So a test run that translates to the same C as the last one
//! compiles nothing. Failures are not cached. The cache sits in the target directory
//! (`target/bpf2c-test-cache`, or `$BPF2C_TEST_CACHE_DIR`), so `cargo clean` empties it.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output as ProcessOutput, Stdio};
use std::sync::{Arc, Mutex, OnceLock};

use bpf2c_build::cache;
use sha2::{Digest, Sha256};

/// The strict flags every generated file must compile with.
pub const STRICT_FLAGS: &[&str] = &["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror"];

/// The sanitizer flags of the sanitized runs.
pub const SANITIZE_FLAGS: &[&str] = &["-fsanitize=undefined,address", "-fno-sanitize-recover=all"];

/// One translation unit: a file name (without directory) and its text. Units whose name
/// does not end in `.c` (headers) are written beside the others but not compiled.
#[derive(Clone, Debug)]
pub struct Unit {
    pub file: String,
    pub c_source: String,
}

impl Unit {
    pub fn new(file: impl Into<String>, c_source: impl Into<String>) -> Unit {
        Unit {
            file: file.into(),
            c_source: c_source.into(),
        }
    }
}

/// A C compiler: the program and the arguments it always gets.
#[derive(Clone, Debug)]
pub struct Compiler {
    program: PathBuf,
    args: Vec<OsString>,
}

impl std::fmt::Display for Compiler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.program.display())
    }
}

impl Compiler {
    /// The compiler called `name` on the PATH (`gcc`, `clang-19`, ...).
    pub fn named(name: &str) -> Compiler {
        Compiler {
            program: PathBuf::from(name),
            args: Vec::new(),
        }
    }

    /// `$CC`, else `cc`: what a benchmark or a user's build would use.
    pub fn from_env() -> Compiler {
        Compiler::named(&std::env::var("CC").unwrap_or_else(|_| "cc".into()))
    }

    /// The host compiler and flags of `bpf2c_build::native` (the `cc` crate's choice, with
    /// `-O2` and `-fPIC`): what the runtime's own compile path uses.
    pub fn host() -> Result<Compiler, String> {
        let tool = bpf2c_build::native::host_compiler().map_err(|e| e.to_string())?;
        Ok(Compiler {
            program: tool.path().to_path_buf(),
            args: tool.args().to_vec(),
        })
    }

    /// The program's name, for messages.
    pub fn name(&self) -> String {
        self.program.display().to_string()
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args);
        cmd
    }

    /// Whether the compiler runs at all.
    pub fn works(&self) -> bool {
        self.version().is_some()
    }

    /// What `--version` printed, asked once per compiler and process (part of the cache key,
    /// so an upgraded compiler builds afresh).
    fn version(&self) -> Option<String> {
        static VERSIONS: OnceLock<Mutex<HashMap<PathBuf, Option<String>>>> = OnceLock::new();
        let versions = VERSIONS.get_or_init(Default::default);
        if let Some(v) = versions.lock().unwrap().get(&self.program) {
            return v.clone();
        }
        let v = Command::new(&self.program)
            .arg("--version")
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
        versions
            .lock()
            .unwrap()
            .insert(self.program.clone(), v.clone());
        v
    }
}

/// The C compilers to test with: gcc always; clang as well, `$CLANG` if set, else `clang-19`,
/// else `clang`. A missing clang is a skip (printed) except under CI (`CI=true`), where it is
/// a failure: CI installs clang-19, so a skip there would hide a broken install step.
/// They are looked for once per process.
pub fn compilers() -> &'static [Compiler] {
    static FOUND: OnceLock<Vec<Compiler>> = OnceLock::new();
    FOUND.get_or_init(|| {
        let gcc = Compiler::named("gcc");
        assert!(gcc.works(), "gcc is required by the tests");
        let mut out = vec![gcc];
        out.extend(clang());
        out
    })
}

/// clang as [`compilers`] finds it, or None (after saying why) when none is installed.
pub fn clang() -> Option<Compiler> {
    let candidates: Vec<String> = match std::env::var("CLANG") {
        Ok(c) if !c.is_empty() => vec![c],
        _ => vec!["clang-19".into(), "clang".into()],
    };
    if let Some(c) = candidates
        .iter()
        .map(|c| Compiler::named(c))
        .find(Compiler::works)
    {
        return Some(c);
    }
    let why = format!(
        "no clang found (tried {}); install clang-19 or set CLANG",
        candidates.join(", ")
    );
    assert!(
        !std::env::var("CI").is_ok_and(|v| v == "true" || v == "1"),
        "{why}\n(CI=true: CI must install every tool the tests use, so this fails instead of skipping)"
    );
    println!("SKIPPED: {why}");
    None
}

/// What [`build`] makes of the units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// An executable of all the units.
    Executable,
    /// A shared library of all the units (the flags must hold `-fPIC` where it matters).
    SharedLibrary,
    /// Object files only, as a check that every unit compiles; the artifact is a list of
    /// the objects' names, one a line (see [`compile_check`]).
    Objects,
    /// The assembly (`-S`) of the one unit given.
    Assembly,
}

impl Output {
    fn tag(self) -> &'static str {
        match self {
            Output::Executable => "executable",
            Output::SharedLibrary => "shared-library",
            Output::Objects => "objects",
            Output::Assembly => "assembly",
        }
    }
}

/// Compiler processes to run at once: one per core.
pub fn jobs() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Where the tests' builds are cached.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("BPF2C_TEST_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::repo().join("target").join("bpf2c-test-cache"))
}

/// Compiles `units` (with `bpf2c.h` beside them, found through `-I .`) with `compiler` and
/// `flags` into `output`, or finds the same build in the cache; returns the artifact's path.
/// An error holds the compiler's own words.
pub fn build(
    compiler: &Compiler,
    flags: &[&str],
    units: &[Unit],
    output: Output,
) -> Result<PathBuf, String> {
    let version = compiler
        .version()
        .ok_or_else(|| format!("cannot run the C compiler {}", compiler.name()))?;
    let mut hasher = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    field(b"bpf2c-testkit build 1");
    field(compiler.program.as_os_str().as_encoded_bytes());
    for a in &compiler.args {
        field(a.as_encoded_bytes());
    }
    field(version.as_bytes());
    for f in flags {
        field(f.as_bytes());
    }
    field(output.tag().as_bytes());
    field(bpf2c_abi::ABI_HEADER.as_bytes());
    for u in units {
        field(u.file.as_bytes());
        field(u.c_source.as_bytes());
    }
    let key = hex::encode(&hasher.finalize()[..16]);

    // Tests running at once that ask for the same build wait for one compile.
    type Once = Arc<OnceLock<Result<PathBuf, String>>>;
    static BUILDS: OnceLock<Mutex<HashMap<String, Once>>> = OnceLock::new();
    let once: Once = BUILDS
        .get_or_init(Default::default)
        .lock()
        .unwrap()
        .entry(key.clone())
        .or_default()
        .clone();
    once.get_or_init(|| build_entry(&key, compiler, flags, units, output))
        .clone()
}

/// Finds the entry `key` in the cache, or builds it there.
fn build_entry(
    key: &str,
    compiler: &Compiler,
    flags: &[&str],
    units: &[Unit],
    output: Output,
) -> Result<PathBuf, String> {
    let root = cache_dir();
    let fail = |e: bpf2c_build::native::CompileError| e.message;
    cache::ensure_private_dir(&root).map_err(fail)?;
    let entry = root.join(key);
    cache::ensure_private_dir(&entry).map_err(fail)?;
    if let cache::Lookup::Verified(path) = cache::find_library(&entry) {
        return Ok(path);
    }
    let staging = tempfile::Builder::new()
        .prefix(".build-")
        .tempdir_in(&entry)
        .map_err(|e| {
            format!(
                "cannot create a build directory in {}: {e}",
                entry.display()
            )
        })?;
    let built = compile_in(staging.path(), compiler, flags, units, output)?;
    cache::install_library(&entry, &built).map_err(fail)
}

/// [`build`] with [`Output::Objects`]: checks that every unit compiles and returns the
/// names of the object files the compiler wrote (`x.o`, or `x.obj` for MSVC targets).
pub fn compile_check(
    compiler: &Compiler,
    flags: &[&str],
    units: &[Unit],
) -> Result<Vec<String>, String> {
    let list = build(compiler, flags, units, Output::Objects)?;
    let text = std::fs::read_to_string(&list).map_err(|e| e.to_string())?;
    Ok(text.lines().map(str::to_string).collect())
}

/// Compiles in `dir` and returns the artifact, still in `dir`.
fn compile_in(
    dir: &Path,
    compiler: &Compiler,
    flags: &[&str],
    units: &[Unit],
    output: Output,
) -> Result<PathBuf, String> {
    bpf2c_abi::write_abi_header(dir).map_err(|e| format!("cannot write bpf2c.h: {e}"))?;
    for u in units {
        std::fs::write(dir.join(&u.file), &u.c_source)
            .map_err(|e| format!("cannot write {}: {e}", u.file))?;
    }
    let sources: Vec<&str> = units
        .iter()
        .map(|u| u.file.as_str())
        .filter(|f| f.ends_with(".c"))
        .collect();
    let base = |cmd: &mut Command| {
        cmd.current_dir(dir).args(flags).args(["-I", "."]);
    };
    let what = format!("{} {}", compiler.name(), flags.join(" "));
    if output == Output::Assembly {
        let [source] = sources[..] else {
            return Err(format!("assembly is of one unit, not {}", sources.len()));
        };
        let mut cmd = compiler.command();
        base(&mut cmd);
        cmd.args(["-S", "-o", "unit.s", source]);
        run_all(vec![(format!("{what} -S"), cmd)])?;
        return Ok(dir.join("unit.s"));
    }
    // One compiler process per core, each with its share of the units, in order.
    let per = sources.len().div_ceil(jobs()).max(1);
    let commands = sources
        .chunks(per)
        .map(|batch| {
            let mut cmd = compiler.command();
            base(&mut cmd);
            cmd.arg("-c").args(batch);
            (format!("{what} -c"), cmd)
        })
        .collect();
    run_all(commands)?;
    let mut objects: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".o") || name.ends_with(".obj"))
        .collect();
    objects.sort();
    let artifact = dir.join(match output {
        Output::Executable => "program",
        Output::SharedLibrary => "library.so",
        Output::Objects => "objects.txt",
        Output::Assembly => unreachable!("handled above"),
    });
    if output == Output::Objects {
        let list: String = objects.iter().map(|o| format!("{o}\n")).collect();
        std::fs::write(&artifact, list).map_err(|e| e.to_string())?;
        return Ok(artifact);
    }
    let mut link = compiler.command();
    base(&mut link);
    if output == Output::SharedLibrary {
        link.arg("-shared");
    }
    link.arg("-o").arg(&artifact).args(&objects);
    run_all(vec![(format!("{what} (link)"), link)])?;
    Ok(artifact)
}

/// Runs the commands at once and collects the failures.
fn run_all(commands: Vec<(String, Command)>) -> Result<(), String> {
    let mut children = Vec::new();
    for (what, mut cmd) in commands {
        let child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {what}: {e}"))?;
        children.push((what, child));
    }
    let mut errors = String::new();
    for (what, child) in children {
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        if !out.status.success() {
            errors.push_str(&describe_failure(&what, &out));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// A tool's output, shortened so a failure message stays readable.
pub fn describe_failure(what: &str, out: &ProcessOutput) -> String {
    let mut text = String::from_utf8_lossy(&out.stderr).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stdout));
    truncate(&mut text, 20_000);
    format!("{what} failed ({}):\n{text}", out.status)
}

/// Cuts `text` to at most `max` bytes at a character boundary, saying so.
pub fn truncate(text: &mut String, max: usize) {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str("\n[truncated]");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gcc() -> Compiler {
        Compiler::named("gcc")
    }

    #[test]
    fn a_second_build_of_the_same_units_comes_from_the_cache() {
        let units = [Unit::new(
            "answer.c",
            "#include \"bpf2c.h\"\nint main(void) { return 42; }\n",
        )];
        let first = build(&gcc(), STRICT_FLAGS, &units, Output::Executable).unwrap();
        let again = build(&gcc(), STRICT_FLAGS, &units, Output::Executable).unwrap();
        assert_eq!(first, again);
        let status = Command::new(&first).status().unwrap();
        assert_eq!(status.code(), Some(42));
        // Other flags are another entry.
        let other = build(&gcc(), &["-std=c11", "-O0"], &units, Output::Executable).unwrap();
        assert_ne!(first.parent(), other.parent());
    }

    #[test]
    fn a_compile_error_gives_the_compilers_words() {
        let units = [Unit::new("broken.c", "int f(void) { return x; }\n")];
        let err = compile_check(&gcc(), STRICT_FLAGS, &units).unwrap_err();
        assert!(
            err.contains("broken.c:1") && err.contains("undeclared"),
            "{err}"
        );
    }

    #[test]
    fn compile_check_lists_one_object_per_c_unit() {
        let units = [
            Unit::new("a.c", "int a(void) { return 1; }\n"),
            Unit::new("b.c", "#include \"b.h\"\nint b(void) { return B; }\n"),
            Unit::new("b.h", "#define B 2\n"),
        ];
        let objects = compile_check(&gcc(), STRICT_FLAGS, &units).unwrap();
        assert_eq!(objects, ["a.o", "b.o"]);
    }
}
