//! Events to the host: `bpf_perf_event_output` and the ring buffer helpers, with Linux's
//! flags, return values and errno (see maps/perf_event.rs and maps/ringbuf.rs for the
//! buffers themselves). Under the helper contract (helpers/mod.rs).

use crate::error::Errno;
use crate::ffi::{self, bpf2c_invocation_t};
use crate::instance::RunState;
use crate::maps::MapKind;
use crate::types::ProgramType;

use super::{errno, map};

/// `BPF_F_INDEX_MASK`, `BPF_F_CURRENT_CPU` and `BPF_F_CTXLEN_MASK` of linux/bpf.h.
const INDEX_MASK: u64 = 0xffff_ffff;
const CURRENT_CPU: u64 = INDEX_MASK;
const CTXLEN_MASK: u64 = 0xf_ffff << 32;
/// `BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP`: the only flags ring buffer output takes.
const RB_WAKEUP_FLAGS: u64 = 3;
/// Linux's EFAULT, for a packet prefix longer than the packet.
const EFAULT: u64 = (-14i64) as u64;

/// Copies `len` bytes of program memory into a new vector.
///
/// # Safety
/// `src` is readable for `len` bytes.
unsafe fn copy_in(src: u64, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    if len > 0 {
        // SAFETY: `len` readable bytes at `src` (this function's contract) into a fresh
        // vector they cannot overlap.
        unsafe { std::ptr::copy_nonoverlapping(src as *const u8, out.as_mut_ptr(), len) };
    }
    out
}

/// bpf_perf_event_output(ctx, map, flags, data, size): appends `size` bytes at `data`, and
/// for XDP programs the first `flags[51:32]` packet bytes after them, to the perf buffer at
/// index `flags & BPF_F_INDEX_MASK` (the running CPU slot for BPF_F_CURRENT_CPU). E2BIG for
/// an index past max_entries, EINVAL for other flag bits or a packet prefix from a program
/// without a packet, EFAULT for a prefix longer than the packet, ENOSPC when the sample is
/// lost for want of room.
pub(super) unsafe extern "C" fn perf_event_output(
    ctx: u64,
    map_handle: u64,
    flags: u64,
    data: u64,
    size: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: the handle argument (the helper contract).
    let Some(MapKind::PerfEventArray(perf)) = (unsafe { map(map_handle) }).map(|m| &m.kind) else {
        return errno(Errno::EINVAL);
    };
    if flags & !(INDEX_MASK | CTXLEN_MASK) != 0 {
        return errno(Errno::EINVAL);
    }
    // SAFETY: `inv` is the run's invocation (the helper contract).
    let cpu = unsafe { (*inv).cpu };
    let index = match flags & INDEX_MASK {
        CURRENT_CPU => u64::from(cpu),
        i => i,
    };
    if index >= u64::from(perf.entries()) {
        return errno(Errno::E2BIG);
    }
    // SAFETY: the verifier proved `data` readable for `size` bytes (the helper contract).
    let mut sample = unsafe { copy_in(data, size as usize) };
    let ctx_len = (flags & CTXLEN_MASK) >> 32;
    if ctx_len > 0 {
        // SAFETY: the run's invocation (the helper contract).
        let Some(state) = (unsafe { RunState::from_invocation(inv) }) else {
            return errno(Errno::EINVAL);
        };
        let programs = state.inner.image.programs();
        if programs[state.program.get()].program_type != ProgramType::Xdp {
            return errno(Errno::EINVAL);
        }
        // SAFETY: an XDP program's ctx is the run's bpf2c_xdp_context_t.
        let xdp = unsafe { &*(ctx as *const ffi::bpf2c_xdp_context_t) };
        if ctx_len > xdp.data_end.saturating_sub(xdp.data) {
            return EFAULT;
        }
        // SAFETY: the packet is readable from data to data_end, which covers ctx_len bytes.
        sample.extend(unsafe { copy_in(xdp.data, ctx_len as usize) });
    }
    if perf.output(index as u32, sample) {
        0
    } else {
        errno(Errno::ENOSPC)
    }
}

/// bpf_ringbuf_output(ringbuf, data, size, flags): 0, EINVAL for flags other than the
/// wakeup flags, EAGAIN when the record does not fit.
pub(super) unsafe extern "C" fn ringbuf_output(
    map_handle: u64,
    data: u64,
    size: u64,
    flags: u64,
    _: u64,
    _: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: the handle argument (the helper contract).
    let Some(MapKind::RingBuf(ring)) = (unsafe { map(map_handle) }).map(|m| &m.kind) else {
        return errno(Errno::EINVAL);
    };
    if flags & !RB_WAKEUP_FLAGS != 0 {
        return errno(Errno::EINVAL);
    }
    if ring.output(data as *const u8, size) {
        0
    } else {
        errno(Errno::EAGAIN)
    }
}

/// bpf_ringbuf_reserve(ringbuf, size, flags): the address of `size` bytes, or NULL when they
/// do not fit or flags are not 0.
pub(super) unsafe extern "C" fn ringbuf_reserve(
    map_handle: u64,
    size: u64,
    flags: u64,
    _: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: the handle argument (the helper contract).
    let Some(MapKind::RingBuf(ring)) = (unsafe { map(map_handle) }).map(|m| &m.kind) else {
        return 0;
    };
    // SAFETY: the run's invocation (the helper contract).
    let Some(state) = (unsafe { RunState::from_invocation(inv) }) else {
        return 0;
    };
    if flags != 0 {
        return 0;
    }
    match ring.reserve(size) {
        Some(data) => {
            state.holds.add_reservation(data, ring);
            data as u64
        }
        None => 0,
    }
}

/// Submits or discards a reservation of this run; anything else is left alone (Linux's
/// verifier refuses such programs).
unsafe fn commit(data: u64, discard: bool, inv: *mut bpf2c_invocation_t) -> u64 {
    // SAFETY: the run's invocation (the helper contract).
    if let Some(state) = unsafe { RunState::from_invocation(inv) } {
        if let Some(ring) = state.holds.take_reservation(data as usize) {
            // SAFETY: the ring is one of the instance's maps and `data` its reservation,
            // which this run has not committed (it was still in the run's list).
            unsafe { (*ring).commit(data as *mut u8, discard) };
        }
    }
    0
}

/// bpf_ringbuf_submit(data, flags).
pub(super) unsafe extern "C" fn ringbuf_submit(
    data: u64,
    _flags: u64,
    _: u64,
    _: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: the helper contract holds for commit's arguments.
    unsafe { commit(data, false, inv) }
}

/// bpf_ringbuf_discard(data, flags).
pub(super) unsafe extern "C" fn ringbuf_discard(
    data: u64,
    _flags: u64,
    _: u64,
    _: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: the helper contract holds for commit's arguments.
    unsafe { commit(data, true, inv) }
}

/// bpf_ringbuf_query(ringbuf, flags): BPF_RB_AVAIL_DATA, _RING_SIZE, _CONS_POS, _PROD_POS;
/// 0 for other flags.
pub(super) unsafe extern "C" fn ringbuf_query(
    map_handle: u64,
    flags: u64,
    _: u64,
    _: u64,
    _: u64,
    _: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: the handle argument (the helper contract).
    match (unsafe { map(map_handle) }).map(|m| &m.kind) {
        Some(MapKind::RingBuf(ring)) => ring.query(flags),
        _ => 0,
    }
}
