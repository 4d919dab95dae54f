//! eBPF C sources (`.bpf.c`) compiled in the build script, as libbpf-cargo's
//! `SkeletonBuilder` compiles them: clang for the BPF target with `-O2 -g`, found through
//! `BPF2C_CLANG` or `PATH`, with the headers each source includes reported to cargo
//! (`clang -MD`) so that editing one reruns the build.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Compilers tried on `PATH`, in order, when `BPF2C_CLANG` is not set.
pub const CLANG_NAMES: [&str; 8] = [
    "clang", "clang-21", "clang-20", "clang-19", "clang-18", "clang-17", "clang-16", "clang-15",
];

/// Is this configured path a C source to compile rather than an object?
pub fn is_source(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "c")
}

/// The module name a source gives by default: `counter.bpf.c` makes `counter`.
pub fn module_stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .strip_suffix(".bpf.c")
        .or_else(|| name.strip_suffix(".c"))
        .unwrap_or(&name);
    bpf2c::object::c_identifier(stem)
}

/// The clang to use: `BPF2C_CLANG` if set (a path or a name on `PATH`), else the first of
/// [`CLANG_NAMES`] on `PATH`.
pub fn find_clang(configured: Option<&str>, path_var: Option<OsString>) -> Result<PathBuf, String> {
    let dirs: Vec<PathBuf> = path_var
        .as_ref()
        .map(|p| std::env::split_paths(p).collect())
        .unwrap_or_default();
    let on_path = |name: &str| {
        dirs.iter()
            .map(|d| d.join(name))
            .find(|candidate| is_executable(candidate))
    };
    if let Some(c) = configured.filter(|c| !c.is_empty()) {
        let given = Path::new(c);
        if given.components().count() > 1 {
            return if is_executable(given) {
                Ok(given.to_path_buf())
            } else {
                Err(format!("BPF2C_CLANG={c}: no such executable"))
            };
        }
        return on_path(c).ok_or_else(|| format!("BPF2C_CLANG={c}: not found on PATH"));
    }
    CLANG_NAMES.iter().find_map(|n| on_path(n)).ok_or_else(|| {
        format!(
            "no clang found on PATH (tried {}): install clang 15 or later, or set \
             BPF2C_CLANG=/path/to/clang; committed .o objects need no clang",
            CLANG_NAMES.join(", ")
        )
    })
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// Where the headers of a `-target` triple's C library live on Debian-style systems
/// (`/usr/include/x86_64-linux-gnu` holds `asm/types.h`, which `linux/bpf.h` needs and
/// clang does not search for the BPF target).
fn multiarch_include(host_triple: &str) -> Option<PathBuf> {
    let parts: Vec<&str> = host_triple.split('-').collect();
    let multiarch = match parts.as_slice() {
        [arch, _vendor, os, env] => format!("{arch}-{os}-{env}"),
        [arch, os, env] => format!("{arch}-{os}-{env}"),
        _ => return None,
    };
    let dir = Path::new("/usr/include").join(multiarch);
    dir.is_dir().then_some(dir)
}

/// One compilation.
pub struct SourceBuild<'a> {
    pub clang: &'a Path,
    /// The source, as the package declares it (relative to `package_root` if it is).
    pub source: &'a Path,
    pub package_root: &'a Path,
    /// Where the object and its dependency file go.
    pub object: PathBuf,
    pub little_endian: bool,
    pub host_triple: &'a str,
    pub extra_args: &'a [String],
}

/// A compiled source: its object and every file it was built from (the source first).
#[derive(Debug)]
pub struct Compiled {
    pub object: PathBuf,
    pub inputs: Vec<PathBuf>,
}

impl SourceBuild<'_> {
    /// Runs clang; on failure, the first error line and clang's whole output.
    pub fn run(&self) -> Result<Compiled, (String, String)> {
        let depfile = self.object.with_extension("d");
        let mut cmd = Command::new(self.clang);
        // Relative paths from the package root keep file names in the object's debug and
        // line information independent of where the package is checked out.
        cmd.current_dir(self.package_root)
            .arg("-target")
            .arg(if self.little_endian { "bpfel" } else { "bpfeb" })
            .args(["-O2", "-g", "-fdebug-compilation-dir=.", "-c"])
            .arg(self.source)
            .arg("-o")
            .arg(&self.object)
            .arg("-MD")
            .arg("-MF")
            .arg(&depfile);
        if let Some(dir) = multiarch_include(self.host_triple) {
            cmd.arg(format!("-I{}", dir.display()));
        }
        cmd.args(self.extra_args);
        let out = cmd.output().map_err(|e| {
            let msg = format!("cannot run {}: {e}", self.clang.display());
            (msg.clone(), msg)
        })?;
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if !out.status.success() {
            let first = stderr
                .lines()
                .find(|l| l.contains("error"))
                .or_else(|| stderr.lines().next())
                .unwrap_or("no output")
                .to_string();
            return Err((
                format!("{} failed ({}): {first}", self.clang.display(), out.status),
                format!("{cmd:?}\n{stderr}"),
            ));
        }
        let deps = std::fs::read_to_string(&depfile).unwrap_or_default();
        let inputs = depfile_inputs(&deps)
            .into_iter()
            .map(|p| self.package_root.join(p))
            .collect();
        Ok(Compiled {
            object: self.object.clone(),
            inputs,
        })
    }
}

/// The prerequisites of a Make-style dependency file (`target: a.c b.h \` ...), with
/// backslash-escaped spaces and `$$` undone.
pub fn depfile_inputs(text: &str) -> Vec<String> {
    let joined = text.replace("\\\r\n", " ").replace("\\\n", " ");
    let Some(colon) = find_rule_colon(&joined) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = joined[colon + 1..].chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek().is_some_and(|n| *n == ' ' || *n == '#') => {
                cur.push(chars.next().unwrap_or(' '));
            }
            '$' if chars.peek() == Some(&'$') => {
                chars.next();
                cur.push('$');
            }
            c if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The colon ending the rule's target: the first ": " or ':' at the end, skipping a drive
/// letter's colon.
fn find_rule_colon(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    (0..b.len()).find(|&i| b[i] == b':' && (i + 1 == b.len() || b[i + 1].is_ascii_whitespace()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_files_are_parsed_like_make() {
        let text = "/out/bpf2c/bpf/x.o: bpf/x.bpf.c bpf/my\\ header.h \\\n  /usr/include/linux/bpf.h \\\n  cost$$.h\n";
        assert_eq!(
            depfile_inputs(text),
            [
                "bpf/x.bpf.c",
                "bpf/my header.h",
                "/usr/include/linux/bpf.h",
                "cost$.h"
            ]
        );
        assert!(depfile_inputs("").is_empty());
    }

    #[test]
    fn sources_and_their_module_names() {
        assert!(is_source(Path::new("bpf/counter.bpf.c")));
        assert!(!is_source(Path::new("bpf/counter.o")));
        assert_eq!(module_stem(Path::new("bpf/counter.bpf.c")), "counter");
        assert_eq!(module_stem(Path::new("bpf/rate-limit.c")), "rate_limit");
    }

    #[test]
    fn clang_is_found_or_named_as_missing() {
        let empty = tempfile::tempdir().unwrap();
        let e = find_clang(None, Some(empty.path().as_os_str().to_owned())).unwrap_err();
        assert!(
            e.starts_with("no clang found on PATH (tried clang, clang-21"),
            "{e}"
        );
        assert!(e.contains("set BPF2C_CLANG=/path/to/clang"), "{e}");
        let e = find_clang(Some("/no/such/clang"), None).unwrap_err();
        assert_eq!(e, "BPF2C_CLANG=/no/such/clang: no such executable");
        let e = find_clang(Some("clang-99"), Some(empty.path().into())).unwrap_err();
        assert_eq!(e, "BPF2C_CLANG=clang-99: not found on PATH");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let fake = empty.path().join("clang-19");
            std::fs::write(&fake, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
            let found = find_clang(None, Some(empty.path().into())).unwrap();
            assert_eq!(found, fake);
            assert_eq!(
                find_clang(Some("clang-19"), Some(empty.path().into())).unwrap(),
                fake
            );
        }
    }
}
