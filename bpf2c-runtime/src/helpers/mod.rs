//! The helpers programs call, at their Linux ids and with their Linux semantics.
//!
//! Each is an `extern "C"` function of type `bpf2c_helper_fn`. Errors come back as
//! negative errno values in r0, exactly as a Linux program would see them. Map handles in
//! r1 are trusted to be the runtime's own (the verifier proved it), as in Linux.
//!
//! # The helper contract
//!
//! Every helper here, custom.rs's trampolines and [`helper_by_id`] are `unsafe extern "C"`
//! functions that only generated code calls, from a program this runtime started. Their
//! unsafe blocks rest on two facts, cited below as "the helper contract":
//!
//! * `inv` is the invocation the runtime created for the run (instance/run.rs): non-NULL,
//!   alive for the whole run, its `host` the run's live `RunState`, and touched by nobody
//!   else while the helper runs, since the program that called the helper waits for it;
//! * the arguments fit the helper's prototype, which the verifier proved for every call (or
//!   the caller of `Instance::new_unverified` vouched for): a map handle is the address of one
//!   of the instance's maps (which outlive every run), and a key or value pointer is readable
//!   for the map's key or value size.

pub mod checksum;
pub(crate) mod custom;
pub(crate) mod errno;
pub(crate) mod events;
pub mod fib;
pub mod flow_hash;
pub(crate) mod holds;
pub mod host_misc;
pub(crate) mod packet;
pub(crate) mod prandom;
pub(crate) mod queue;
pub(crate) mod redirect;
pub(crate) mod skb;
pub mod skb_meta;
pub(crate) mod spin_lock;
#[cfg(test)]
pub(crate) mod testing;
pub(crate) mod trace;
pub mod tunnel;

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::Errno;
use crate::ffi::{self, bpf2c_helper_fn, bpf2c_invocation_t};
use crate::instance::RunState;
use crate::maps::{Map, MapKind};

pub use custom::{HelperCall, HelperClosure, MAX_CUSTOM_HELPERS};
pub use trace::{
    format_trace_printk, TraceCapture, TraceEvent, TraceRecord, TraceSink, TRACE_LINE_MAX,
};

/// Linux helper ids (linux/bpf.h numbering, which bytecode from clang and libbpf already
/// uses).
pub use bpf2c_abi::helper::id;

extern "C" {
    fn bpf2c_rt_ktime_ns() -> u64;
    fn bpf2c_rt_thread_id() -> u32;
}

/// The implementations of the standard helpers (`bpf2c_abi::helper::STANDARD_HELPERS`), by id.
pub(crate) const STANDARD: [(u32, bpf2c_helper_fn); 57] = [
    (id::MAP_LOOKUP_ELEM, map_lookup_elem),
    (id::MAP_UPDATE_ELEM, map_update_elem),
    (id::MAP_DELETE_ELEM, map_delete_elem),
    (id::KTIME_GET_NS, ktime_get_ns),
    (id::TRACE_PRINTK, trace_printk),
    (id::GET_PRANDOM_U32, get_prandom_u32),
    (id::GET_SMP_PROCESSOR_ID, get_smp_processor_id),
    (id::TAIL_CALL, tail_call),
    (id::GET_CURRENT_PID_TGID, get_current_pid_tgid),
    // Packets with room and redirects (packet.rs, skb.rs, redirect.rs).
    (id::SKB_STORE_BYTES, skb::skb_store_bytes),
    (id::CLONE_REDIRECT, redirect::clone_redirect),
    (id::SKB_VLAN_PUSH, skb::skb_vlan_push),
    (id::SKB_VLAN_POP, skb::skb_vlan_pop),
    (id::REDIRECT, redirect::redirect),
    (id::SKB_LOAD_BYTES, skb::skb_load_bytes),
    (id::SKB_CHANGE_PROTO, skb::skb_change_proto),
    (id::SKB_CHANGE_TYPE, skb::skb_change_type),
    (id::SKB_CHANGE_TAIL, skb::skb_change_tail),
    (id::SKB_PULL_DATA, skb::skb_pull_data),
    (id::SKB_CHANGE_HEAD, skb::skb_change_head),
    (id::XDP_ADJUST_HEAD, packet::xdp_adjust_head),
    (id::SKB_ADJUST_ROOM, skb::skb_adjust_room),
    (id::REDIRECT_MAP, redirect::redirect_map),
    (id::REDIRECT_NEIGH, redirect::redirect_neigh),
    (id::XDP_ADJUST_META, packet::xdp_adjust_meta),
    (id::XDP_ADJUST_TAIL, packet::xdp_adjust_tail),
    // The host's world (checksum.rs, fib.rs, tunnel.rs, flow_hash.rs, host_misc.rs).
    (id::CSUM_DIFF, checksum::bpf_csum_diff),
    (id::L3_CSUM_REPLACE, checksum::bpf_l3_csum_replace),
    (id::L4_CSUM_REPLACE, checksum::bpf_l4_csum_replace),
    (id::CSUM_UPDATE, checksum::bpf_csum_update),
    (id::CSUM_LEVEL, checksum::bpf_csum_level),
    (id::FIB_LOOKUP, fib::bpf_fib_lookup),
    (id::SKB_GET_TUNNEL_KEY, tunnel::bpf_skb_get_tunnel_key),
    (id::SKB_SET_TUNNEL_KEY, tunnel::bpf_skb_set_tunnel_key),
    (id::GET_HASH_RECALC, flow_hash::bpf_get_hash_recalc),
    (id::SET_HASH, flow_hash::bpf_set_hash),
    (id::SET_HASH_INVALID, flow_hash::bpf_set_hash_invalid),
    (id::GET_CGROUP_CLASSID, host_misc::bpf_get_cgroup_classid),
    (id::GET_ROUTE_REALM, host_misc::bpf_get_route_realm),
    (id::SK_LOOKUP_TCP, host_misc::bpf_sk_lookup_tcp),
    (id::SK_LOOKUP_UDP, host_misc::bpf_sk_lookup_udp),
    (id::SKC_LOOKUP_TCP, host_misc::bpf_skc_lookup_tcp),
    (id::SK_RELEASE, host_misc::bpf_sk_release),
    (id::SK_ASSIGN, host_misc::bpf_sk_assign),
    (id::KTIME_GET_BOOT_NS, host_misc::bpf_ktime_get_boot_ns),
    (id::JIFFIES64, host_misc::bpf_jiffies64),
    // Family "maps" (issue 10).
    (id::MAP_PUSH_ELEM, queue::map_push_elem),
    (id::MAP_POP_ELEM, queue::map_pop_elem),
    (id::MAP_PEEK_ELEM, queue::map_peek_elem),
    (id::PERF_EVENT_OUTPUT, events::perf_event_output),
    (id::RINGBUF_OUTPUT, events::ringbuf_output),
    (id::RINGBUF_RESERVE, events::ringbuf_reserve),
    (id::RINGBUF_SUBMIT, events::ringbuf_submit),
    (id::RINGBUF_DISCARD, events::ringbuf_discard),
    (id::RINGBUF_QUERY, events::ringbuf_query),
    (id::SPIN_LOCK, spin_lock::spin_lock),
    (id::SPIN_UNLOCK, spin_lock::spin_unlock),
];

/// The ids and Linux names of the helpers every instance provides.
pub fn standard_helpers() -> impl Iterator<Item = (u32, &'static str)> {
    bpf2c_abi::helper::STANDARD_HELPERS
        .into_iter()
        .filter_map(|id| Some((id, bpf2c_abi::helper::standard_name(id)?)))
}

fn errno(e: Errno) -> u64 {
    e.as_helper_return()
}

/// The map behind a map-handle argument.
///
/// # Safety
/// `handle` is 0 or a map handle of the running instance (the helper contract).
unsafe fn map<'a>(handle: u64) -> Option<&'a Map> {
    // SAFETY: a non-zero handle is the address of one of the instance's maps, which outlive
    // the run and are only read through shared references once the instance is built.
    unsafe { (handle as *const Map).as_ref() }
}

unsafe extern "C" fn map_lookup_elem(
    map_handle: u64,
    key: u64,
    _: u64,
    _: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: the handle argument (the helper contract).
    match unsafe { map(map_handle) } {
        Some(m) if key != 0 => {
            // SAFETY: `inv` is the run's invocation (the helper contract).
            let cpu = unsafe { (*inv).cpu };
            // SAFETY: the key is readable for the map's key size (the helper contract).
            unsafe { m.program_lookup(key as *const u8, cpu) as u64 }
        }
        _ => 0,
    }
}

unsafe extern "C" fn map_update_elem(
    map_handle: u64,
    key: u64,
    value: u64,
    flags: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: the handle argument (the helper contract).
    let Some(m) = (unsafe { map(map_handle) }) else {
        return errno(Errno::EINVAL);
    };
    if key == 0 || value == 0 {
        return errno(Errno::EINVAL);
    }
    // SAFETY: `inv` is the run's invocation (the helper contract).
    let cpu = unsafe { (*inv).cpu };
    // SAFETY: key and value are readable for the map's sizes (the helper contract).
    match unsafe { m.program_update(key as *const u8, value as *const u8, flags, cpu) } {
        Ok(()) => 0,
        Err(e) => errno(e.errno()),
    }
}

unsafe extern "C" fn map_delete_elem(
    map_handle: u64,
    key: u64,
    _: u64,
    _: u64,
    _: u64,
    _: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: the handle argument (the helper contract).
    let Some(m) = (unsafe { map(map_handle) }) else {
        return errno(Errno::EINVAL);
    };
    if key == 0 {
        return errno(Errno::EINVAL);
    }
    // SAFETY: the key is readable for the map's key size (the helper contract).
    match unsafe { m.program_delete(key as *const u8) } {
        Ok(()) => 0,
        Err(e) => errno(e.errno()),
    }
}

unsafe extern "C" fn ktime_get_ns(
    _: u64,
    _: u64,
    _: u64,
    _: u64,
    _: u64,
    _: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: csrc/sys.c's clock read takes no arguments and touches no Rust memory.
    unsafe { bpf2c_rt_ktime_ns() }
}

unsafe extern "C" fn trace_printk(
    fmt: u64,
    fmt_size: u64,
    a1: u64,
    a2: u64,
    a3: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    let mut line = [0u8; trace::TRACE_LINE_MAX];
    // SAFETY: the verifier proved the format readable for fmt_size bytes (the helper
    // contract: bpf_trace_printk's prototype is readable-mem, const-size).
    let n = unsafe { trace::format_raw(&mut line, fmt as *const u8, fmt_size, [a1, a2, a3]) };
    if n < 0 {
        return n as u64;
    }
    // SAFETY: `inv` is the run's invocation, whose host is its RunState (the helper contract).
    if let Some(state) = unsafe { RunState::from_invocation(inv) } {
        let text = String::from_utf8_lossy(&line[..n as usize]);
        let text = text.strip_suffix('\n').unwrap_or(&text);
        let event = trace::TraceEvent {
            program: state.program_name(),
            // SAFETY: as above.
            cpu: unsafe { (*inv).cpu },
            text,
        };
        // The sink may be the host's callback, which may panic.
        let emitted = catch_unwind(AssertUnwindSafe(|| state.inner.trace.emit(&event)));
        if let Err(payload) = emitted {
            let helper = "bpf_trace_printk (trace sink)";
            // SAFETY: as above.
            unsafe { custom::stop_after_panic(inv, state, helper, payload) };
            return 0;
        }
    }
    n as u64
}

unsafe extern "C" fn get_prandom_u32(
    _: u64,
    _: u64,
    _: u64,
    _: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    // The invocation's generator, which inlined calls in the same run step too.
    // SAFETY: `inv` is the run's invocation (the helper contract).
    let generator = unsafe { inv.as_ref() }.map_or(std::ptr::null_mut(), |inv| inv.prandom);
    // SAFETY: the runtime set the invocation's generator from Prandom::generator on this
    // thread (instance/run.rs), or left it NULL.
    unsafe { prandom::next_u32(generator) as u64 }
}

unsafe extern "C" fn get_smp_processor_id(
    _: u64,
    _: u64,
    _: u64,
    _: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: `inv` is the run's invocation (the helper contract).
    unsafe { (*inv).cpu as u64 }
}

thread_local! {
    /// The kernel thread id never changes for a thread; ask the kernel once.
    // SAFETY: csrc/sys.c's thread id query takes no arguments and touches no Rust memory.
    static THREAD_ID: u32 = unsafe { bpf2c_rt_thread_id() };
}

unsafe extern "C" fn get_current_pid_tgid(
    _: u64,
    _: u64,
    _: u64,
    _: u64,
    _: u64,
    _: *mut bpf2c_invocation_t,
) -> u64 {
    let tgid = std::process::id() as u64;
    let tid = THREAD_ID.with(|t| *t) as u64;
    (tgid << 32) | tid
}

/// bpf_tail_call(ctx, prog_array, index). On success it only records the target and asks
/// every function to unwind; the run loop then starts the target with the same context.
/// On failure the program continues, as in Linux, with a negative errno in r0: ENOENT for
/// an index past the end or an empty slot, E2BIG once BPF2C_MAX_TAIL_CALLS tail calls have
/// run, EINVAL for a map that is not a program array or a target of another program type.
/// As in Linux, an attempt that passes the index and count checks uses up one tail call
/// even when the slot turns out to be empty.
unsafe extern "C" fn tail_call(
    _ctx: u64,
    map_handle: u64,
    index: u64,
    _: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: `inv` is the run's invocation, whose host is its RunState (the helper contract).
    let Some(state) = (unsafe { RunState::from_invocation(inv) }) else {
        return errno(Errno::EINVAL);
    };
    // SAFETY: the handle argument (the helper contract).
    let Some(MapKind::ProgArray(array)) = (unsafe { map(map_handle) }).map(|m| &m.kind) else {
        return errno(Errno::EINVAL);
    };
    // SAFETY: the run's invocation, which nothing else touches while the helper runs (the
    // helper contract); `state` borrows the RunState behind `host`, not the invocation.
    let inv = unsafe { &mut *inv };
    // Linux truncates the index to 32 bits.
    let index = index as u32;
    if index as usize >= array.entries_len() {
        return errno(Errno::ENOENT);
    }
    if inv.tail_call_count >= ffi::BPF2C_MAX_TAIL_CALLS {
        return errno(Errno::E2BIG);
    }
    inv.tail_call_count += 1;
    let Some(target) = array.get(index) else {
        return errno(Errno::ENOENT);
    };
    let programs = state.inner.image.programs();
    let current = state.program.get();
    if programs[target].program_type != programs[current].program_type {
        return errno(Errno::EINVAL);
    }
    inv.tail_call_target = target as i32;
    inv.unwind = ffi::BPF2C_UNWIND_TAIL_CALL;
    0
}

/// `bpf2c_runtime_context_t.helper_by_id`: callx, whose helper is only known at run time.
/// An id the instance does not have stops the run with BPF2C_UNWIND_BAD_HELPER.
pub(crate) unsafe extern "C" fn helper_by_id(
    helper_id: u64,
    r1: u64,
    r2: u64,
    r3: u64,
    r4: u64,
    r5: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: `inv` is the run's invocation, whose host is its RunState (the helper contract).
    let Some(state) = (unsafe { RunState::from_invocation(inv) }) else {
        return 0;
    };
    let found = u32::try_from(helper_id)
        .ok()
        .and_then(|id| state.inner.helper_fn(id));
    match found {
        // SAFETY: a helper of this instance, given the same run's invocation. Its arguments
        // are the caller's: bpf2c refuses callx in verified objects (object::validate), so
        // only an unverified module gets here, whose arguments the caller of
        // Instance::new_unverified vouched for.
        Some(f) => unsafe { f(r1, r2, r3, r4, r5, inv) },
        None => {
            state.fail_unknown_helper(helper_id);
            // SAFETY: the run's invocation (the helper contract).
            unsafe { (*inv).unwind = ffi::BPF2C_UNWIND_BAD_HELPER };
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implements_exactly_the_standard_helpers_of_the_abi() {
        let implemented: Vec<u32> = STANDARD.iter().map(|&(id, _)| id).collect();
        assert_eq!(implemented, bpf2c_abi::helper::STANDARD_HELPERS);
        let names: Vec<(u32, &str)> = standard_helpers().collect();
        assert_eq!(names.len(), STANDARD.len());
        assert!(names.contains(&(12, "bpf_tail_call")));
    }
}
