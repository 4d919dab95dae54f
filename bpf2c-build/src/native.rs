//! Compiling generated C into a shared library that the runtime can load, with a cache keyed
//! by content so that running the same object twice compiles it once.
//!
//! This is the run-time path (`cargo bpf2c run`, the conformance plugin, tests). Crates that
//! bundle eBPF objects link them statically through the build-script path instead.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::cache;

/// A failure to compile generated C, with the compiler's own words.
#[derive(Debug)]
pub struct CompileError {
    pub message: String,
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CompileError {}

fn io_error(what: &str, path: &Path, e: io::Error) -> CompileError {
    CompileError {
        message: format!("{what} {}: {e}", path.display()),
    }
}

/// The target triple this crate was built for, which is the host that loads the library.
pub const HOST_TARGET: &str = env!("BPF2C_HOST_TARGET");

/// Aligns every loop of the generated code to 32 bytes, for gcc and clang. On the CPUs
/// measured (docs/performance.md) a small loop that straddles two 32-byte fetch blocks runs
/// up to twice as slow as the same bytes within one, so without it a translated loop's speed
/// depends on where unrelated code happened to put it; with it the speed is the code's own.
pub const LOOP_ALIGNMENT_FLAG: &str = "-falign-loops=32";

/// Whether `compiler` takes [`LOOP_ALIGNMENT_FLAG`]: gcc and clang do, MSVC does not.
pub fn takes_loop_alignment(compiler: &cc::Tool) -> bool {
    compiler.is_like_gnu() || compiler.is_like_clang()
}

/// The C compiler the `cc` crate picks for the host, honouring `CC` and `CFLAGS`.
pub fn host_compiler() -> Result<cc::Tool, CompileError> {
    let mut build = cc::Build::new();
    build
        .target(HOST_TARGET)
        .host(HOST_TARGET)
        .opt_level(2)
        .debug(false)
        .cargo_metadata(false)
        .warnings(true)
        .pic(true);
    build.try_get_compiler().map_err(|e| CompileError {
        message: format!("no C compiler found for {HOST_TARGET}: {e}"),
    })
}

/// A shared library from the cache, ready to load.
#[derive(Debug)]
pub struct SharedLibrary {
    /// The library; its bytes matched the hash recorded when it was built, checked last
    /// thing before this was returned.
    pub path: PathBuf,
    /// Why the library found in the cache was not used and this one built instead: the
    /// cache held one that did not match its record.
    pub replaced: Option<String>,
}

/// Compiles `c_source` into a shared library inside `cache_dir` and returns its path. A library
/// built earlier from the same source, header and compiler is reused once its bytes match the
/// hash recorded when it was built. The cache's rules are in [`crate::cache`].
pub fn compile_shared(c_source: &str, cache_dir: &Path) -> Result<PathBuf, CompileError> {
    build_shared(c_source, cache_dir).map(|library| library.path)
}

/// [`compile_shared`], telling also whether a cached library was replaced, and why.
pub fn build_shared(c_source: &str, cache_dir: &Path) -> Result<SharedLibrary, CompileError> {
    let compiler = host_compiler()?;
    let mut hasher = Sha256::new();
    hasher.update(c_source.as_bytes());
    hasher.update(bpf2c_runtime::ABI_HEADER.as_bytes());
    hasher.update(compiler.path().as_os_str().as_encoded_bytes());
    for a in compiler.args() {
        hasher.update(a.as_encoded_bytes());
    }
    let align_loops = takes_loop_alignment(&compiler);
    if align_loops {
        hasher.update(LOOP_ALIGNMENT_FLAG.as_bytes());
    }
    let key = hex::encode(&hasher.finalize()[..16]);
    cache::ensure_private_dir(cache_dir)?;
    let dir = cache_dir.join(&key);
    cache::ensure_private_dir(&dir)?;
    let replaced = match cache::find_library(&dir) {
        cache::Lookup::Verified(path) => {
            return Ok(SharedLibrary {
                path,
                replaced: None,
            })
        }
        cache::Lookup::Missing => None,
        cache::Lookup::Mismatch(why) => Some(why),
    };

    // The source and header stay beside the library, for whoever wants to read or rebuild
    // it by hand. The entry's name is a hash of both, so a concurrent build writes the same
    // bytes, and each file is replaced whole.
    let source = dir.join("module.c");
    cache::write_atomically(&dir, "module.c", c_source.as_bytes())?;
    cache::write_atomically(&dir, "bpf2c.h", bpf2c_runtime::ABI_HEADER.as_bytes())?;

    // The compiler writes into a private directory of its own, so no reader ever sees a
    // library being written; it is renamed into place whole.
    let staging = tempfile::Builder::new()
        .prefix(".build-")
        .tempdir_in(&dir)
        .map_err(|e| io_error("cannot create a build directory in", &dir, e))?;
    let built = staging.path().join("module.so");
    let mut cmd: Command = compiler.to_command();
    if align_loops {
        cmd.arg(LOOP_ALIGNMENT_FLAG);
    }
    cmd.arg("-std=c11")
        .arg("-shared")
        .arg("-I")
        .arg(&dir)
        .arg("-o")
        .arg(&built)
        .arg(&source);
    let output = cmd.output().map_err(|e| CompileError {
        message: format!(
            "cannot run the C compiler {}: {e}",
            compiler.path().display()
        ),
    })?;
    if !output.status.success() {
        return Err(CompileError {
            message: format!(
                "the C compiler failed on {}:\n{}",
                source.display(),
                String::from_utf8_lossy(&output.stderr).trim_end()
            ),
        });
    }
    let path = cache::install_library(&dir, &built)?;
    Ok(SharedLibrary { path, replaced })
}

/// Compiles one generated C file into a native object file (`-c`), against the `bpf2c.h`
/// in `include_dir`, with the host compiler: how `cargo bpf2c build` checks that what it
/// generated compiles, without linking anything.
pub fn compile_object(
    source: &Path,
    include_dir: &Path,
    output: &Path,
) -> Result<(), CompileError> {
    let compiler = host_compiler()?;
    let mut cmd: Command = compiler.to_command();
    cmd.arg("-std=c11")
        .arg("-c")
        .arg("-I")
        .arg(include_dir)
        .arg("-o")
        .arg(output)
        .arg(source);
    let out = cmd.output().map_err(|e| CompileError {
        message: format!(
            "cannot run the C compiler {}: {e}",
            compiler.path().display()
        ),
    })?;
    if !out.status.success() {
        return Err(CompileError {
            message: format!(
                "the C compiler failed on {}:\n{}",
                source.display(),
                String::from_utf8_lossy(&out.stderr).trim_end()
            ),
        });
    }
    Ok(())
}

/// The default cache directory: `$BPF2C_CACHE_DIR`, else `$XDG_CACHE_HOME/bpf2c`, else
/// `~/.cache/bpf2c`, else `bpf2c-<uid>` under the system temporary directory (one per user:
/// see [`crate::cache`]).
pub fn default_cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("BPF2C_CACHE_DIR") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(d).join("bpf2c");
    }
    if let Some(h) = std::env::var_os("HOME") {
        return PathBuf::from(h).join(".cache").join("bpf2c");
    }
    cache::temp_cache_dir()
}
