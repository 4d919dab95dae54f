//! What the verification tests share: finding the repository's eBPF objects, loading them,
//! verifying one program by name, and finding marked lines in their C sources.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use bpf2c::helpers::HelperSet;
use bpf2c::object::{load_file, InputFormat, Object};
use bpf2c::verify::{verify_program, ProgramVerdict, VerifyOptions};

pub use bpf2c_testkit::repo;

/// Loads a committed object by its path relative to the repository root.
pub fn load(rel: &str) -> Object {
    load_file(&repo().join(rel), InputFormat::Elf).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Index of the program named `name` in `obj`.
pub fn program_index(obj: &Object, name: &str) -> usize {
    obj.programs
        .iter()
        .position(|p| p.name == name)
        .unwrap_or_else(|| panic!("{}: no program '{name}'", obj.path.display()))
}

/// Verifies one program with default options.
pub fn verify(obj: &Object, name: &str) -> ProgramVerdict {
    verify_program(obj, program_index(obj, name), &VerifyOptions::default())
}

/// The 1-based line of `source` (relative to the repository root) holding `marker`.
pub fn marker_line(source: &str, marker: &str) -> u32 {
    let text =
        std::fs::read_to_string(repo().join(source)).unwrap_or_else(|e| panic!("{source}: {e}"));
    let hits: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(marker))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(hits.len(), 1, "{source}: '{marker}' should mark one line");
    hits[0] as u32
}

/// The `bpf` directory of every example crate, relative to the repository, in name order.
pub fn example_object_dirs() -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(repo().join("examples"))
        .map(|examples| {
            examples
                .filter_map(|e| e.ok())
                .map(|e| format!("examples/{}/bpf", e.file_name().to_string_lossy()))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// Every `*.o` directly inside `dir` (relative to the repository root), sorted.
pub fn objects_in(dir: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(repo().join(dir)) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "o"))
        .collect();
    out.sort();
    out
}

/// The helpers an object may call: the standard ones, plus those its example package declares.
pub fn helpers_for(path: &Path) -> HelperSet {
    let mut set = HelperSet::standard();
    // examples/<name>/bpf/<object>.o: the package manifest is two levels up.
    let manifest = path
        .parent()
        .and_then(|bpf| bpf.parent())
        .map(|pkg| pkg.join("Cargo.toml"));
    if let Some(manifest) =
        manifest.filter(|m| m.is_file() && path.starts_with(repo().join("examples")))
    {
        let config = bpf2c_build::metadata::from_manifest(&manifest).unwrap();
        for h in config.helpers {
            set.add(h).unwrap();
        }
    }
    set
}
