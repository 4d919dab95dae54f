//! `#[repr(C)]` mirrors of the structures and constants of `include/bpf2c.h`.
//!
//! The header is the contract; these types only restate it for Rust. The crate's
//! `tests/header_layout.rs` compares every size, alignment, offset and constant with what the
//! C compiler reports for the same header, so the two cannot drift apart silently.
//!
//! Pointers the module provides are raw (`*const`) and function pointers are wrapped in
//! `Option` so that a NULL from a malformed module is a value the loader can check, not
//! undefined behaviour.

#![allow(non_camel_case_types)]
// Every item restates bpf2c.h, whose comments are the documentation.
#![allow(missing_docs)]

use std::ffi::{c_char, c_void};

use crate::map::map_type;

pub const BPF2C_ABI_MAGIC: u32 = 0x4332_4642;
pub const BPF2C_ABI_VERSION: u32 = 3;
/// Most bytes an XDP run may be given (the verifier assumes it).
pub const BPF2C_MAX_XDP_PACKET: u32 = 65535;
pub const BPF2C_MAX_SKB_PACKET: u32 = 65535;
/// Most bytes a raw run may be given (the verifier assumes it).
pub const BPF2C_MAX_RAW_DATA: u32 = 1 << 24;
pub const BPF2C_MAP_DATA_VERSION: u32 = 1;
pub const BPF2C_RUNTIME_CONTEXT_VERSION: u32 = 1;

pub const BPF2C_STACK_SIZE: u32 = 512;
pub const BPF2C_MAX_CALL_DEPTH: u32 = 8;
pub const BPF2C_MAX_TAIL_CALLS: u32 = 33;

/// `BPF2C_ARRAY_STRIDE`: the distance between consecutive elements of an array map.
pub const fn array_stride(value_size: u32) -> u64 {
    (value_size as u64 + 7) & !7
}

// Map types keep their Linux numbers.
pub const BPF2C_MAP_TYPE_HASH: u32 = map_type::HASH;
pub const BPF2C_MAP_TYPE_ARRAY: u32 = map_type::ARRAY;
pub const BPF2C_MAP_TYPE_PROG_ARRAY: u32 = map_type::PROG_ARRAY;
pub const BPF2C_MAP_TYPE_PERCPU_HASH: u32 = map_type::PERCPU_HASH;
pub const BPF2C_MAP_TYPE_PERCPU_ARRAY: u32 = map_type::PERCPU_ARRAY;
pub const BPF2C_MAP_TYPE_LRU_HASH: u32 = map_type::LRU_HASH;
pub const BPF2C_MAP_TYPE_DEVMAP: u32 = map_type::DEVMAP;
pub const BPF2C_MAP_TYPE_CPUMAP: u32 = map_type::CPUMAP;
pub const BPF2C_MAP_TYPE_XSKMAP: u32 = map_type::XSKMAP;
pub const BPF2C_MAP_TYPE_DEVMAP_HASH: u32 = map_type::DEVMAP_HASH;
// Family "maps" (issue 10).
pub const BPF2C_MAP_TYPE_LRU_PERCPU_HASH: u32 = map_type::LRU_PERCPU_HASH;
pub const BPF2C_MAP_TYPE_LPM_TRIE: u32 = map_type::LPM_TRIE;
pub const BPF2C_MAP_TYPE_QUEUE: u32 = map_type::QUEUE;
pub const BPF2C_MAP_TYPE_STACK: u32 = map_type::STACK;
pub const BPF2C_MAP_TYPE_PERF_EVENT_ARRAY: u32 = map_type::PERF_EVENT_ARRAY;
pub const BPF2C_MAP_TYPE_RINGBUF: u32 = map_type::RINGBUF;
pub const BPF2C_MAP_TYPE_ARRAY_OF_MAPS: u32 = map_type::ARRAY_OF_MAPS;
pub const BPF2C_MAP_TYPE_HASH_OF_MAPS: u32 = map_type::HASH_OF_MAPS;

pub const BPF2C_PROG_TYPE_RAW: u32 = 0;
pub const BPF2C_PROG_TYPE_XDP: u32 = 1;
pub const BPF2C_PROG_TYPE_SOCKET_FILTER: u32 = 2;
pub const BPF2C_PROG_TYPE_SCHED_CLS: u32 = 3;
pub const BPF2C_PROG_TYPE_SCHED_ACT: u32 = 4;
pub const BPF2C_PROG_TYPE_CGROUP_SKB: u32 = 5;

pub const BPF2C_MAP_F_GLOBAL_DATA: u32 = 0x1;
pub const BPF2C_MAP_F_READ_ONLY: u32 = 0x2;
pub const BPF2C_MAP_F_INLINED: u32 = 0x4;

pub const BPF2C_MAP_USE_ARRAY_DATA: u32 = 0x1;
pub const BPF2C_MAP_USE_LOOKUP: u32 = 0x2;

pub const BPF2C_MODULE_F_VERIFIED: u32 = 0x1;
pub const BPF2C_MODULE_F_OPTIMIZED: u32 = 0x2;

pub const BPF2C_UNWIND_NONE: u32 = 0;
pub const BPF2C_UNWIND_TAIL_CALL: u32 = 1;
pub const BPF2C_UNWIND_LOOP_BUDGET: u32 = 2;
pub const BPF2C_UNWIND_BAD_HELPER: u32 = 3;
pub const BPF2C_UNWIND_PACKET_LOAD: u32 = 4;

/// `bpf2c_helper_fn`: r1..r5 and the invocation in, r0 out.
pub type bpf2c_helper_fn =
    unsafe extern "C" fn(u64, u64, u64, u64, u64, *mut bpf2c_invocation_t) -> u64;

/// `bpf2c_map_lookup_fn`: the map handle, the key, the CPU slot; the value or NULL.
pub type bpf2c_map_lookup_fn = unsafe extern "C" fn(*mut c_void, *const c_void, u32) -> *mut c_void;

/// `bpf2c_helper_by_id_fn`: like a helper, with the helper id in front.
pub type bpf2c_helper_by_id_fn =
    unsafe extern "C" fn(u64, u64, u64, u64, u64, u64, *mut bpf2c_invocation_t) -> u64;

/// `bpf2c_function_fn`: every translated eBPF function has this type.
pub type bpf2c_function_fn =
    unsafe extern "C" fn(u64, u64, u64, u64, u64, *mut bpf2c_invocation_t) -> u64;

/// `bpf2c_run_loop_fn`: the repeat loop of `BPF2C_DEFINE_RUN_LOOP` (function, r1, r2,
/// invocation, loop budget, runs, where the last r0 goes; returns the runs made).
pub type bpf2c_run_loop_fn = unsafe extern "C" fn(
    bpf2c_function_fn,
    u64,
    u64,
    *mut bpf2c_invocation_t,
    u64,
    u64,
    *mut u64,
) -> u64;

/// `BPF2C_RUN_LOOP_SUFFIX`: a module's own repeat loop is its module symbol plus this.
pub const BPF2C_RUN_LOOP_SUFFIX: &str = "_run_loop";

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct bpf2c_map_data_t {
    pub version: u32,
    pub size: u32,
    pub address: *mut c_void,
    pub array_data: *mut u8,
    pub cpu_stride: u64,
    pub lookup: Option<bpf2c_map_lookup_fn>,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct bpf2c_runtime_context_t {
    pub version: u32,
    pub size: u32,
    pub helpers: *const Option<bpf2c_helper_fn>,
    pub map_data: *mut bpf2c_map_data_t,
    pub helper_by_id: Option<bpf2c_helper_by_id_fn>,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct bpf2c_invocation_t {
    pub runtime: *const bpf2c_runtime_context_t,
    pub context: *mut c_void,
    pub loop_budget: u64,
    pub unwind: u32,
    pub cpu: u32,
    pub unwind_pc: u32,
    pub unwind_function: u32,
    pub tail_call_count: u32,
    pub tail_call_target: i32,
    pub host: *mut c_void,
    /// ABI version 3 and later.
    pub prandom: *mut bpf2c_prandom_t,
}

/// `sizeof(bpf2c_invocation_t)` for modules of ABI versions 1 and 2, which end at `host`.
pub const INVOCATION_SIZE_V2: u32 = std::mem::offset_of!(bpf2c_invocation_t, prandom) as u32;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct bpf2c_prandom_t {
    pub state: u64,
    pub shared: u32,
    pub reserved: u32,
}

pub const BPF2C_PRANDOM_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// `struct xdp_md` as XDP programs read it (see [`crate::context::XDP_MD`]).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct bpf2c_xdp_md_t {
    pub data: u32,
    pub data_end: u32,
    pub data_meta: u32,
    pub ingress_ifindex: u32,
    pub rx_queue_index: u32,
    pub egress_ifindex: u32,
}

/// What an XDP program's r1 really points to (see [`crate::context::XDP_NATIVE`]).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct bpf2c_xdp_context_t {
    pub data: u64,
    pub data_end: u64,
    pub data_meta: u64,
    pub ingress_ifindex: u32,
    pub rx_queue_index: u32,
    pub egress_ifindex: u32,
    pub reserved: u32,
}

/// What a program reading `struct __sk_buff` really gets in r1 (see
/// [`crate::context::SKB_NATIVE`]).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct bpf2c_skb_context_t {
    pub data: u64,
    pub data_end: u64,
    pub data_meta: u64,
    pub len: u32,
    pub pkt_type: u32,
    pub mark: u32,
    pub queue_mapping: u32,
    pub protocol: u32,
    pub vlan_present: u32,
    pub vlan_tci: u32,
    pub vlan_proto: u32,
    pub priority: u32,
    pub ingress_ifindex: u32,
    pub ifindex: u32,
    pub tc_index: u32,
    pub cb: [u32; 5],
    pub hash: u32,
    pub tc_classid: u32,
    pub napi_id: u32,
    pub family: u32,
    pub remote_ip4: u32,
    pub local_ip4: u32,
    pub remote_ip6: [u32; 4],
    pub local_ip6: [u32; 4],
    pub remote_port: u32,
    pub local_port: u32,
    pub wire_len: u32,
    pub gso_segs: u32,
    pub gso_size: u32,
    pub tstamp: u64,
    pub hwtstamp: u64,
    pub flow_keys: u64,
    pub sk: u64,
    pub tstamp_type: u8,
    pub reserved: [u8; 7],
}

/// A map's definition as the module declares it (`bpf2c_map_definition_t`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct bpf2c_map_definition_t {
    /// `BPF2C_MAP_TYPE_*`, numbered as in linux/bpf.h.
    pub r#type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    /// Linux `map_flags`, carried through unchanged.
    pub map_flags: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct bpf2c_map_entry_t {
    pub name: *const c_char,
    pub definition: bpf2c_map_definition_t,
    pub flags: u32,
    pub initial_data_size: u32,
    pub initial_data: *const u8,
    pub initial_program_count: u32,
    /// Maps of maps: the module map index of the inner map template; else 0.
    pub inner_map: u32,
    pub initial_programs: *const bpf2c_map_initial_program_t,
}

/// A PROG_ARRAY slot filled at load time.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct bpf2c_map_initial_program_t {
    pub index: u32,
    pub program: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct bpf2c_helper_entry_t {
    pub id: u32,
    pub name: *const c_char,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct bpf2c_program_entry_t {
    pub name: *const c_char,
    pub section: *const c_char,
    pub program_type: u32,
    pub instruction_count: u32,
    pub function: Option<bpf2c_function_fn>,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct bpf2c_function_entry_t {
    pub name: *const c_char,
}

/// What generated code assumes about a map it reaches without the map helpers.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct bpf2c_map_assumption_t {
    pub map: u32,
    pub uses: u32,
    pub definition: bpf2c_map_definition_t,
    pub reserved: u32,
    pub stride: u64,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct bpf2c_module_t {
    pub magic: u32,
    pub abi_version: u32,
    pub module_size: u32,
    pub map_data_version: u32,
    pub map_data_size: u32,
    pub runtime_context_size: u32,
    pub invocation_size: u32,
    pub flags: u32,
    pub name: *const c_char,
    pub maps: *const bpf2c_map_entry_t,
    pub map_count: u32,
    pub helper_count: u32,
    pub helpers: *const bpf2c_helper_entry_t,
    pub programs: *const bpf2c_program_entry_t,
    pub program_count: u32,
    pub function_count: u32,
    pub functions: *const bpf2c_function_entry_t,
    /// ABI version 2 and later.
    pub map_assumption_count: u32,
    pub reserved: u32,
    pub map_assumptions: *const bpf2c_map_assumption_t,
}

/// Bytes of a `bpf2c_module_t` of ABI version 1, which ends at `functions`.
pub const MODULE_SIZE_V1: u32 = std::mem::offset_of!(bpf2c_module_t, map_assumption_count) as u32;
