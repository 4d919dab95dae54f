//! The compile cache of `cargo bpf2c run` loads only what bpf2c built: its directories are
//! private, a library without a matching recorded hash is never loaded, and a directory
//! someone else could write to is refused by name.
//!
//! "Loaded" is observed directly: the planted library has a constructor that creates a
//! marker file when the dynamic loader runs it.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bpf2c_testkit::repo;
use sha2::{Digest, Sha256};

const RUN: [&str; 6] = [
    "run",
    "tests/bpf/multi_prog.o",
    "--program",
    "second",
    "--data-hex",
    "000000",
];
const EXPECTED: &str = r#"{"program":"second","retval":21,"data_out":"000000"}"#;
const MARKER_ENV: &str = "BPF2C_TEST_PLANTED_MARKER";
const NOBODY: u32 = 65534;

/// `cargo-bpf2c run ...` with the environment `env` sets up (cache location, marker).
fn run_with(env: impl FnOnce(&mut Command)) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-bpf2c"));
    cmd.args(RUN)
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE");
    env(&mut cmd);
    cmd.output().expect("run cargo-bpf2c")
}

fn run_in(cache: &Path, marker: &Path) -> Output {
    run_with(|cmd| {
        cmd.env("BPF2C_CACHE_DIR", cache).env(MARKER_ENV, marker);
    })
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
fn assert_ran(o: &Output) {
    assert!(o.status.success(), "{}", stderr(o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim_end(), EXPECTED);
}

#[track_caller]
fn assert_refused(o: &Output, expected: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(o.stdout.is_empty());
    for text in expected {
        assert!(err.contains(text), "stderr lacks '{text}':\n{err}");
    }
    for bad in ["panicked", "internal error"] {
        assert!(!err.contains(bad), "{err}");
    }
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().mode() & 0o777
}

fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn sha256(path: &Path) -> String {
    hex::encode(Sha256::digest(fs::read(path).unwrap()))
}

/// The only entry of a cache that has compiled one object: its directory and library.
fn entry(cache: &Path) -> (PathBuf, PathBuf) {
    let dirs: Vec<PathBuf> = fs::read_dir(cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    let record = fs::read_to_string(dirs[0].join("library.sha256")).unwrap();
    let (hash, name) = record.trim_end().split_once("  ").unwrap();
    let library = dirs[0].join(name);
    assert_eq!(sha256(&library), hash, "the record is the library's hash");
    (dirs[0].clone(), library)
}

/// A shared library whose constructor creates the file named by `$MARKER_ENV`: what an
/// attacker would plant, made harmless.
fn planted_library(dir: &Path) -> PathBuf {
    let source = dir.join("planted.c");
    fs::write(
        &source,
        format!(
            "#include <stdio.h>\n#include <stdlib.h>\n\
             __attribute__((constructor)) static void planted(void) {{\n\
             \tconst char *p = getenv(\"{MARKER_ENV}\");\n\
             \tif (p) {{ FILE *f = fopen(p, \"w\"); if (f) fclose(f); }}\n}}\n"
        ),
    )
    .unwrap();
    let library = dir.join("planted.so");
    let compiler = bpf2c_build::native::host_compiler().unwrap();
    let out = compiler
        .to_command()
        .arg("-shared")
        .arg("-o")
        .arg(&library)
        .arg(&source)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    library
}

#[test]
fn every_level_the_cache_creates_is_private_and_each_library_is_recorded() {
    let root = tempfile::tempdir().unwrap();
    let cache = root.path().join("made/by/bpf2c");
    assert_ran(&run_in(&cache, &root.path().join("marker")));
    let (dir, library) = entry(&cache);
    for level in [
        root.path().join("made"),
        root.path().join("made/by"),
        cache.clone(),
        dir.clone(),
    ] {
        assert_eq!(mode(&level), 0o700, "{}", level.display());
    }
    let name = library.file_name().unwrap().to_str().unwrap();
    assert_eq!(name, format!("module-{}.so", &sha256(&library)[..16]));
    // Nothing half-written or temporary is left: the library, its record, its source.
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["bpf2c.h", "library.sha256", name, "module.c"]);
    // A second run uses the entry as it is.
    assert_ran(&run_in(&cache, &root.path().join("marker")));
    assert_eq!(entry(&cache).1, library);
}

#[test]
fn a_planted_library_without_a_record_is_not_loaded() {
    let root = tempfile::tempdir().unwrap();
    let cache = root.path().join("cache");
    let marker = root.path().join("marker");
    assert_ran(&run_in(&cache, &marker));
    let (dir, library) = entry(&cache);
    let planted = planted_library(root.path());

    // The planted file sits where the library is, and there is no record of it.
    fs::remove_file(dir.join("library.sha256")).unwrap();
    fs::copy(&planted, &library).unwrap();
    let o = run_in(&cache, &marker);
    assert_ran(&o);
    assert!(!marker.exists(), "the planted library was loaded");
    assert_ne!(sha256(&entry(&cache).1), sha256(&planted), "rebuilt");

    // The control: the same file with a record that matches it is loaded (its constructor
    // runs), which is why only the cache's owner may write the directory that holds both.
    let (_, library) = entry(&cache);
    fs::copy(&planted, &library).unwrap();
    let hash = sha256(&planted);
    let name = format!("module-{}.so", &hash[..16]);
    fs::rename(&library, dir.join(&name)).unwrap();
    fs::write(dir.join("library.sha256"), format!("{hash}  {name}\n")).unwrap();
    let o = run_in(&cache, &marker);
    assert!(marker.exists(), "the control did not load: {}", stderr(&o));
    assert_refused(&o, &["bpf2c_module"]);
}

#[test]
fn a_library_swapped_after_it_was_built_is_detected_and_not_loaded() {
    let root = tempfile::tempdir().unwrap();
    let cache = root.path().join("cache");
    let marker = root.path().join("marker");
    assert_ran(&run_in(&cache, &marker));
    let (_, library) = entry(&cache);
    let built = sha256(&library);

    fs::copy(planted_library(root.path()), &library).unwrap();
    let o = run_in(&cache, &marker);
    assert_ran(&o);
    assert!(!marker.exists(), "the swapped library was loaded");
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "warning: {} does not match the SHA-256 recorded when it was built",
            library.display()
        )),
        "{err}"
    );
    assert!(
        err.contains("it was not loaded, and was built again"),
        "{err}"
    );
    let (_, rebuilt) = entry(&cache);
    assert_eq!(sha256(&rebuilt), built, "the compiler's output again");
}

#[test]
fn a_cache_directory_others_can_write_is_refused_by_name() {
    let root = tempfile::tempdir().unwrap();
    let cache = root.path().join("cache");
    let marker = root.path().join("marker");
    fs::create_dir(&cache).unwrap();
    for (m, writers) in [
        (0o777, "its group and by other users (mode 777)"),
        (0o775, "its group (mode 775)"),
    ] {
        set_mode(&cache, m);
        assert_refused(
            &run_in(&cache, &marker),
            &[&format!(
                "refusing the cache directory {}: it is writable by {writers}",
                cache.display()
            )],
        );
    }
    // An entry's directory is checked too.
    set_mode(&cache, 0o700);
    assert_ran(&run_in(&cache, &marker));
    let (dir, _) = entry(&cache);
    set_mode(&dir, 0o777);
    assert_refused(
        &run_in(&cache, &marker),
        &[&format!(
            "refusing the cache directory {}: it is writable by its group and by other users",
            dir.display()
        )],
    );
}

/// Whether this process may give files away (needed to make a directory another user
/// owns); if not, says which case is skipped.
fn can_chown(case: &str) -> bool {
    let root = tempfile::tempdir().unwrap();
    let ok = std::os::unix::fs::chown(root.path(), Some(NOBODY), None).is_ok();
    if !ok {
        eprintln!("skipping '{case}': only root can make a directory owned by uid {NOBODY}");
    }
    ok
}

#[test]
fn a_cache_directory_another_user_owns_is_refused_by_name() {
    if !can_chown("a cache directory another user owns") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let cache = root.path().join("cache");
    fs::create_dir(&cache).unwrap();
    set_mode(&cache, 0o700);
    std::os::unix::fs::chown(&cache, Some(NOBODY), None).unwrap();
    let uid = fs::metadata(root.path()).unwrap().uid();
    assert_refused(
        &run_in(&cache, &root.path().join("marker")),
        &[&format!(
            "refusing the cache directory {}: it is owned by uid {NOBODY}, not by this user \
             (uid {uid})",
            cache.display()
        )],
    );
}

/// A run with no cache configured and no home: the cache goes under `tmp`.
fn run_with_temp_dir(tmp: &Path) -> Output {
    run_with(|cmd| {
        cmd.env_remove("BPF2C_CACHE_DIR")
            .env_remove("XDG_CACHE_HOME")
            .env_remove("HOME")
            .env("TMPDIR", tmp);
    })
}

#[test]
fn the_temp_dir_fallback_is_per_user_and_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let uid = fs::metadata(tmp.path()).unwrap().uid();
    let cache = tmp.path().join(format!("bpf2c-{uid}"));
    assert_ran(&run_with_temp_dir(tmp.path()));
    assert_eq!(mode(&cache), 0o700);
    entry(&cache);

    // Planted before bpf2c ran, open to everyone: refused.
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join(format!("bpf2c-{uid}"));
    fs::create_dir(&cache).unwrap();
    set_mode(&cache, 0o777);
    assert_refused(
        &run_with_temp_dir(tmp.path()),
        &[&format!(
            "refusing the cache directory {}: it is writable by",
            cache.display()
        )],
    );
    assert_eq!(fs::read_dir(&cache).unwrap().count(), 0, "nothing written");

    // Planted by another user, private to them: refused.
    if can_chown("a temp-dir cache another user planted") {
        set_mode(&cache, 0o700);
        std::os::unix::fs::chown(&cache, Some(NOBODY), None).unwrap();
        assert_refused(
            &run_with_temp_dir(tmp.path()),
            &[&format!(
                "refusing the cache directory {}: it is owned by uid {NOBODY}",
                cache.display()
            )],
        );
    }
}
