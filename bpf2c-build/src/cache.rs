//! The rules that keep the compile cache of `cargo bpf2c run` to its user: the cache holds
//! shared libraries that get loaded into the process, so whoever can put a file there can
//! run code as whoever loads it.
//!
//! - Every directory of the cache (the root and each entry's directory) must be owned by the
//!   user running bpf2c and must not be writable by its group or by others. bpf2c creates
//!   each level it needs with mode 0700; a directory that fails the check is refused, by
//!   name, and never repaired, since someone else may control it.
//! - A library is installed under a name derived from its own SHA-256, and a record of that
//!   hash (`library.sha256`, in `sha256sum` format) is written after it. Files are written
//!   under a temporary name in the same directory and renamed, so a reader only ever sees
//!   whole files.
//! - A cached library is handed out for loading only after its bytes are hashed again and
//!   match the record. One without a record, or whose bytes do not match it, is not loaded:
//!   the caller builds it again.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::native::CompileError;

/// The record of an entry's library, beside it.
pub const RECORD: &str = "library.sha256";

/// Creates `path` and any missing parent with mode 0700 (less the umask), then checks it
/// with [`check_private_dir`].
pub fn ensure_private_dir(path: &Path) -> Result<(), CompileError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path).map_err(|e| CompileError {
        message: format!("cannot create the cache directory {}: {e}", path.display()),
    })?;
    check_private_dir(path)
}

/// Refuses a cache directory that someone other than this user could write to: one owned
/// by another user, writable by its group or by others, or reached through a symbolic link
/// that another user owns.
#[cfg(unix)]
pub fn check_private_dir(path: &Path) -> Result<(), CompileError> {
    use std::os::unix::fs::MetadataExt;

    let refuse = |why: String| CompileError {
        message: format!("refusing the cache directory {}: {why}", path.display()),
    };
    let uid = current_uid();
    let link = fs::symlink_metadata(path).map_err(|e| refuse(format!("cannot inspect it: {e}")))?;
    if link.file_type().is_symlink() && link.uid() != uid {
        return Err(refuse(format!(
            "it is a symbolic link owned by uid {}, not by this user (uid {uid})",
            link.uid()
        )));
    }
    let meta = fs::metadata(path).map_err(|e| refuse(format!("cannot inspect it: {e}")))?;
    if !meta.is_dir() {
        return Err(refuse("it is not a directory".to_string()));
    }
    if meta.uid() != uid {
        return Err(refuse(format!(
            "it is owned by uid {}, not by this user (uid {uid})",
            meta.uid()
        )));
    }
    let mode = meta.mode() & 0o777;
    let writers = match (mode & 0o020 != 0, mode & 0o002 != 0) {
        (true, true) => "its group and by other users",
        (true, false) => "its group",
        (false, true) => "other users",
        (false, false) => return Ok(()),
    };
    Err(refuse(format!(
        "it is writable by {writers} (mode {mode:03o}); only its owner may write to it \
         (chmod 700)"
    )))
}

/// Without Unix ownership and modes there is nothing to check beyond the directory itself.
#[cfg(not(unix))]
pub fn check_private_dir(path: &Path) -> Result<(), CompileError> {
    if path.is_dir() {
        Ok(())
    } else {
        Err(CompileError {
            message: format!(
                "refusing the cache directory {}: it is not a directory",
                path.display()
            ),
        })
    }
}

/// The effective user id, which owns what this process creates.
#[cfg(unix)]
pub fn current_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// The cache under the shared temporary directory, when there is no home to put it in:
/// one per user (`bpf2c-<uid>`), so that no user can plant a directory another will use.
pub fn temp_cache_dir() -> PathBuf {
    #[cfg(unix)]
    let name = format!("bpf2c-{}", current_uid());
    #[cfg(not(unix))]
    let name = "bpf2c-cache".to_string();
    std::env::temp_dir().join(name)
}

/// What an entry's directory holds for loading.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    /// No library was recorded: build one.
    Missing,
    /// The recorded library, whose bytes match its record.
    Verified(PathBuf),
    /// A record or library that cannot be trusted, and why: build again, never load it.
    Mismatch(String),
}

/// Finds the library recorded in `dir` and checks its bytes against the record.
pub fn find_library(dir: &Path) -> Lookup {
    let record = dir.join(RECORD);
    let text = match fs::read_to_string(&record) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Lookup::Missing,
        Err(e) => return Lookup::Mismatch(format!("cannot read {}: {e}", record.display())),
    };
    let Some((recorded, name)) = parse_record(&text) else {
        return Lookup::Mismatch(format!(
            "{} is not a record of one library's SHA-256",
            record.display()
        ));
    };
    let library = dir.join(name);
    match file_sha256(&library) {
        Ok(actual) if actual == recorded => Lookup::Verified(library),
        Ok(actual) => Lookup::Mismatch(format!(
            "{} does not match the SHA-256 recorded when it was built (recorded {recorded}, \
             found {actual})",
            library.display()
        )),
        Err(e) => Lookup::Mismatch(format!(
            "cannot read the recorded library {}: {e}",
            library.display()
        )),
    }
}

/// Moves the library at `built` (a file in a directory under `dir`, so the same file
/// system) into `dir` under its content name, then records its hash; returns where it is.
pub fn install_library(dir: &Path, built: &Path) -> Result<PathBuf, CompileError> {
    let hash = file_sha256(built).map_err(|e| CompileError {
        message: format!("cannot read the library {}: {e}", built.display()),
    })?;
    let name = library_name(&hash);
    let library = dir.join(&name);
    // A concurrent build of the same entry may rename over this name: only with a library
    // of the same hash, so whoever loads it loads these bytes.
    fs::rename(built, &library).map_err(|e| CompileError {
        message: format!(
            "cannot move the library {} to {}: {e}",
            built.display(),
            library.display()
        ),
    })?;
    write_atomically(dir, RECORD, format!("{hash}  {name}\n").as_bytes())?;
    Ok(library)
}

/// Writes `bytes` to `dir/name` through a temporary file in `dir` and a rename, so that
/// readers see the old file or the new one, never part of one. (A file cut short by a
/// crash is caught by the hash check and rebuilt, so there is no fsync.)
pub fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), CompileError> {
    let path = dir.join(name);
    let fail = |e: io::Error| CompileError {
        message: format!("cannot write {}: {e}", path.display()),
    };
    let mut file = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .tempfile_in(dir)
        .map_err(fail)?;
    file.write_all(bytes).map_err(fail)?;
    file.persist(&path).map_err(|e| fail(e.error))?;
    Ok(())
}

/// The file name of a library with SHA-256 `hash` (lowercase hex).
fn library_name(hash: &str) -> String {
    format!("module-{}.so", &hash[..16])
}

/// The hash and library name of a record: one line, `<64 hex digits>  <library name>`,
/// whose name must be the one the hash gives (so a record can name nothing else).
fn parse_record(text: &str) -> Option<(&str, String)> {
    let (hash, name) = text.strip_suffix('\n')?.split_once("  ")?;
    let is_hash = hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let expected = is_hash.then(|| library_name(hash))?;
    (name == expected).then_some((hash, expected))
}

/// SHA-256 of a file's bytes, as lowercase hex.
pub fn file_sha256(path: &Path) -> io::Result<String> {
    let mut file = fs::File::open(path)?;
    let mut hasher = Sha256::new();
    io::copy(&mut file, &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn set_mode(path: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn creates_every_missing_level_private() {
        let root = tempfile::tempdir().unwrap();
        let deep = root.path().join("a/b/cache");
        ensure_private_dir(&deep).unwrap();
        #[cfg(unix)]
        for level in ["a", "a/b", "a/b/cache"] {
            use std::os::unix::fs::MetadataExt;
            let mode = fs::metadata(root.path().join(level)).unwrap().mode() & 0o777;
            assert_eq!(mode, 0o700, "{level}");
        }
        // An existing private directory is fine.
        ensure_private_dir(&deep).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn refuses_directories_others_can_write() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("cache");
        fs::create_dir(&dir).unwrap();
        for (mode, writers) in [
            (0o777, "its group and by other users (mode 777)"),
            (0o770, "its group (mode 770)"),
            (0o703, "other users (mode 703)"),
        ] {
            set_mode(&dir, mode);
            let e = ensure_private_dir(&dir).unwrap_err();
            assert_eq!(
                e.message,
                format!(
                    "refusing the cache directory {}: it is writable by {writers}; only its \
                     owner may write to it (chmod 700)",
                    dir.display()
                )
            );
        }
        // Readable by others is not a way in.
        set_mode(&dir, 0o755);
        check_private_dir(&dir).unwrap();
        // Neither is a file where the directory should be.
        let file = root.path().join("file");
        fs::write(&file, "").unwrap();
        let e = check_private_dir(&file).unwrap_err();
        assert!(
            e.message.ends_with("it is not a directory"),
            "{}",
            e.message
        );
    }

    #[test]
    fn records_name_only_their_own_library() {
        let hash = "ab".repeat(32);
        let line = format!("{hash}  module-abababababababab.so\n");
        assert_eq!(
            parse_record(&line),
            Some((hash.as_str(), "module-abababababababab.so".to_string()))
        );
        for bad in [
            format!("{hash}  ../../elsewhere.so\n"),
            format!("{hash}  module-0000000000000000.so\n"),
            format!("{hash}  module-abababababababab.so"),
            format!("{}  module-ABABABABABABABAB.so\n", "AB".repeat(32)),
            "abab  module-abab.so\n".to_string(),
            String::new(),
        ] {
            assert_eq!(parse_record(&bad), None, "{bad:?}");
        }
    }

    #[test]
    fn installed_libraries_are_found_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(find_library(dir.path()), Lookup::Missing);
        let staging = tempfile::tempdir_in(dir.path()).unwrap();
        let built = staging.path().join("module.so");
        fs::write(&built, b"library bytes").unwrap();
        let library = install_library(dir.path(), &built).unwrap();
        assert!(!built.exists());
        drop(staging);
        assert_eq!(find_library(dir.path()), Lookup::Verified(library.clone()));
        let record = fs::read_to_string(dir.path().join(RECORD)).unwrap();
        let hash = file_sha256(&library).unwrap();
        assert_eq!(record, format!("{hash}  {}\n", library_name(&hash)));
        // No temporary file is left behind.
        let names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert_eq!(names, Vec::<String>::new());

        fs::write(&library, b"other bytes").unwrap();
        match find_library(dir.path()) {
            Lookup::Mismatch(why) => assert!(
                why.contains("does not match the SHA-256 recorded when it was built"),
                "{why}"
            ),
            other => panic!("{other:?}"),
        }
        fs::remove_file(&library).unwrap();
        assert!(matches!(find_library(dir.path()), Lookup::Mismatch(_)));
        fs::write(dir.path().join(RECORD), "garbage\n").unwrap();
        assert!(matches!(find_library(dir.path()), Lookup::Mismatch(_)));
    }
}
