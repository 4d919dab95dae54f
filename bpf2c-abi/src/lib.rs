//! The ABI shared by the bpf2c translator and the bpf2c runtime, in one place.
//!
//! - [`ABI_HEADER`]: `include/bpf2c.h`, the C contract between generated code and the
//!   runtime, and [`ffi`], its `#[repr(C)]` mirrors (tested against the C compiler's view).
//! - [`helper`]: helper ids and names, Linux's `enum bpf_func_id`, and the standard helpers
//!   every runtime provides.
//! - [`map`]: map types (Linux's `enum bpf_map_type`, and the [`MapType`]s the runtime
//!   implements), map flags and update flags.
//! - [`program`]: program types (Linux's `enum bpf_prog_type`, and the [`ProgramType`]s the
//!   runtime runs).
//! - [`context`]: the context structs programs read (`struct xdp_md`, `struct __sk_buff`) and
//!   the native context the runtime passes instead, as data.
//! - [`Errno`]: the errno values helpers return.
//!
//! Neither side defines any of this again, so the translator's idea of the ABI and the
//! runtime's cannot drift apart. The crate has no dependencies.

/// Generates a module of `u32` constants and a table of (value, C name) pairs from one list
/// of a Linux UAPI enum, so that the numbers and the names cannot disagree.
macro_rules! linux_enum {
    ($(#[$doc:meta])* $module:ident, $table:ident, $prefix:literal {
        $($value:literal $name:ident,)*
    }) => {
        $(#[$doc])*
        pub mod $module {
            $(
                #[doc = concat!("`", $prefix, stringify!($name), "`")]
                pub const $name: u32 = $value;
            )*
        }

        #[doc = concat!("Every `", $prefix, "*` value and its name, in numeric order.")]
        pub const $table: &[(u32, &str)] = &[$(($value, concat!($prefix, stringify!($name))),)*];
    };
}

pub mod context;
mod errno;
pub mod ffi;
pub mod helper;
pub mod map;
pub mod program;

use std::io;
use std::path::{Path, PathBuf};

pub use errno::Errno;
pub use map::{MapType, UpdateFlags};
pub use program::ProgramType;

/// The text of `bpf2c.h`, the ABI header generated code includes.
pub const ABI_HEADER: &str = include_str!("../include/bpf2c.h");

/// Each eBPF function's stack frame, in bytes (`BPF2C_STACK_SIZE`).
pub const STACK_SIZE: u32 = ffi::BPF2C_STACK_SIZE;

/// The deepest chain of BPF-to-BPF calls, counting the entry function
/// (`BPF2C_MAX_CALL_DEPTH`, as in Linux).
pub const MAX_CALL_DEPTH: usize = ffi::BPF2C_MAX_CALL_DEPTH as usize;

/// The directory holding `bpf2c.h` in this crate's source, for `-I` when the source tree is
/// at hand (build scripts of the workspace). Tools that may run elsewhere should use
/// [`write_abi_header`] instead.
pub fn include_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("include")
}

/// Writes `bpf2c.h` into `dir` and returns its path. Leaves an identical file untouched,
/// so builds that track its modification time do not rebuild for nothing.
pub fn write_abi_header(dir: &Path) -> io::Result<PathBuf> {
    let path = dir.join("bpf2c.h");
    match std::fs::read(&path) {
        Ok(existing) if existing == ABI_HEADER.as_bytes() => return Ok(path),
        _ => {}
    }
    std::fs::create_dir_all(dir)?;
    std::fs::write(&path, ABI_HEADER)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_written_once_and_matches() {
        let dir = std::env::temp_dir().join(format!("bpf2c-abi-header-{}", std::process::id()));
        let sub = dir.join("inc");
        let p = write_abi_header(&sub).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), ABI_HEADER);
        let mtime = std::fs::metadata(&p).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        write_abi_header(&sub).unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().modified().unwrap(), mtime);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(include_dir().join("bpf2c.h").exists());
        assert!(ABI_HEADER.contains("#define BPF2C_ABI_VERSION 3u"));
    }
}
