// Copyright (c) Prevail Verifier contributors.
// SPDX-License-Identifier: MIT

pub mod config;
pub mod ebpf_base;
pub mod type_descriptors;
pub mod vm_isa;
