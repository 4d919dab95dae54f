// Copyright (c) Prevail Verifier contributors.
// SPDX-License-Identifier: MIT

//! Shared type descriptors, mirroring `src/spec/type_descriptors.hpp`.

use std::collections::{BTreeMap, BTreeSet};

use super::ebpf_base::EbpfCtxDescriptor;
use super::vm_isa::EbpfInst;

/// Describes the key properties of an eBPF map.
/// Mirrors C++ `EbpfMapDescriptor`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EbpfMapDescriptor {
    pub original_fd: i32,
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub inner_map_fd: i32,
    /// Map name from ELF (empty if not available).
    pub name: String,
    /// True if this descriptor is referenced as an inner map template.
    pub is_inner_map_template: bool,
}

/// The type of values stored in a map.
/// Mirrors C++ `EbpfMapValueType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EbpfMapValueType {
    Any,
    Map,
    Program,
}

/// Describes a map type (platform-specific).
/// Mirrors C++ `EbpfMapType`.
#[derive(Clone, Debug)]
pub struct EbpfMapType {
    pub platform_specific_type: u32,
    pub name: String,
    pub is_array: bool,
    pub value_type: EbpfMapValueType,
}

/// Whether a struct field may be written, or is read-only.
/// Mirrors C++ `EbpfStructFieldPermission`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EbpfStructFieldPermission {
    #[default]
    ReadOnly,
    ReadWrite,
}

/// Describes one field of a directly-accessible struct (e.g. a socket).
/// Mirrors C++ `EbpfStructFieldDescriptor`.
///
/// Default permission is `ReadOnly` so a descriptor that omits an explicit
/// permission fails closed (rejects writes); writable fields must opt in with
/// `ReadWrite`.
#[derive(Clone, Copy, Debug, Default)]
pub struct EbpfStructFieldDescriptor {
    pub offset: i32,
    pub span: i32,
    pub permission: EbpfStructFieldPermission,
    pub max_access_width: i32,
    pub allow_narrow_access: bool,
    /// Additional exact-width read allowed only at the field start.
    pub extra_read_width_at_start: i32,
}

/// Describes a directly-accessible struct's layout as a set of fields.
/// Mirrors C++ `EbpfStructDescriptor`.
#[derive(Clone, Copy, Debug)]
pub struct EbpfStructDescriptor {
    pub size: i32,
    pub fields: &'static [EbpfStructFieldDescriptor],
}

/// Describes an eBPF program type.
/// Mirrors C++ `EbpfProgramType`.
///
/// `ctx_descriptor` references a static descriptor from platform modules
/// (e.g. `&SK_BUFF_DESCR`). The verifier can compare descriptors by pointer
/// identity via `std::ptr::eq` on the references.
#[derive(Clone, Debug, Default)]
pub struct EbpfProgramType {
    pub name: String,
    pub ctx_descriptor: Option<&'static EbpfCtxDescriptor>,
    pub platform_specific_data: u64,
    pub section_prefixes: Vec<String>,
    pub is_privileged: bool,
    pub is_sleepable: bool,
}

/// Key characteristics that determine equivalence between eBPF maps.
/// Used to cache and compare map configurations.
/// Mirrors C++ `EquivalenceKey`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct EquivalenceKey {
    pub value_type: EbpfMapValueType,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
}

/// BTF line information for a single instruction.
/// Mirrors C++ `btf_line_info_t`.
#[derive(Clone, Debug)]
pub struct BtfLineInfo {
    pub file_name: String,
    pub source_line: String,
    pub line_number: u32,
    pub column_number: u32,
}

/// All metadata about a parsed eBPF program.
/// Mirrors C++ `ProgramInfo`.
///
/// In the C++ code this holds a raw pointer to `ebpf_platform_t`.
/// In Rust we omit the platform reference here; the caller carries it separately.
#[derive(Clone, Debug)]
pub struct ProgramInfo {
    pub map_descriptors: Vec<EbpfMapDescriptor>,
    pub program_type: EbpfProgramType,
    pub cache: BTreeMap<EquivalenceKey, i32>,
    pub line_info: BTreeMap<usize, BtfLineInfo>,
    pub supported_conformance_groups: u32,
    /// Per-program instruction indices rewritten from builtin relocations.
    pub builtin_call_offsets: BTreeSet<usize>,
}

impl Default for ProgramInfo {
    fn default() -> Self {
        Self {
            map_descriptors: Vec::new(),
            program_type: EbpfProgramType::default(),
            cache: BTreeMap::new(),
            line_info: BTreeMap::new(),
            // Unknown context defaults to permissive mask.
            supported_conformance_groups: u32::MAX,
            builtin_call_offsets: BTreeSet::new(),
        }
    }
}

/// A parsed but not yet verified eBPF program.
/// Mirrors C++ `RawProgram`.
#[derive(Clone, Debug)]
pub struct RawProgram {
    pub filename: String,
    pub section_name: String,
    /// Byte offset in section of first instruction in this program.
    pub insn_off: u32,
    pub function_name: String,
    pub prog: Vec<EbpfInst>,
    pub info: ProgramInfo,
}
