//! `bpf_map_push_elem`, `bpf_map_pop_elem` and `bpf_map_peek_elem` on QUEUE and STACK maps,
//! under the helper contract (helpers/mod.rs).

use crate::error::Errno;
use crate::ffi::bpf2c_invocation_t;
use crate::maps::MapKind;

use super::{errno, map};

/// bpf_map_push_elem(map, value, flags): 0; E2BIG when full without BPF_EXIST; EINVAL for
/// other flags or another map type.
pub(super) unsafe extern "C" fn map_push_elem(
    map_handle: u64,
    value: u64,
    flags: u64,
    _: u64,
    _: u64,
    _: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: the handle argument (the helper contract).
    let Some(MapKind::QueueStack(q)) = (unsafe { map(map_handle) }).map(|m| &m.kind) else {
        return errno(Errno::EINVAL);
    };
    let mut bytes = vec![0u8; q.value_size()];
    // SAFETY: the value is readable for the map's value size (the helper contract), and
    // `bytes` is a fresh vector of that size.
    unsafe { std::ptr::copy_nonoverlapping(value as *const u8, bytes.as_mut_ptr(), bytes.len()) };
    match q.push(&bytes, flags) {
        Ok(()) => 0,
        Err(e) => errno(e.errno()),
    }
}

/// Pop (`pop`) or peek into the program's value buffer; ENOENT, with the buffer zeroed, when
/// the map is empty, as in Linux.
unsafe fn take(map_handle: u64, value: u64, pop: bool) -> u64 {
    // SAFETY: the handle argument (the helper contract).
    let Some(MapKind::QueueStack(q)) = (unsafe { map(map_handle) }).map(|m| &m.kind) else {
        return errno(Errno::EINVAL);
    };
    let dst = value as *mut u8;
    match q.take(pop) {
        Some(bytes) => {
            // SAFETY: the destination is writable for the value size (the helper contract:
            // the prototype's uninitialised-memory argument of map value size).
            unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), dst, bytes.len()) };
            0
        }
        None => {
            // SAFETY: as above.
            unsafe { std::ptr::write_bytes(dst, 0, q.value_size()) };
            errno(Errno::ENOENT)
        }
    }
}

/// bpf_map_pop_elem(map, value).
pub(super) unsafe extern "C" fn map_pop_elem(
    map_handle: u64,
    value: u64,
    _: u64,
    _: u64,
    _: u64,
    _: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: the helper contract holds for take's arguments.
    unsafe { take(map_handle, value, true) }
}

/// bpf_map_peek_elem(map, value).
pub(super) unsafe extern "C" fn map_peek_elem(
    map_handle: u64,
    value: u64,
    _: u64,
    _: u64,
    _: u64,
    _: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: the helper contract holds for take's arguments.
    unsafe { take(map_handle, value, false) }
}
