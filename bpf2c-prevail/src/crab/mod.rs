// Copyright (c) Prevail Verifier contributors.
// SPDX-License-Identifier: MIT

pub(crate) mod add_bottom;
pub mod array_domain;
pub(crate) mod bitset_domain;
pub(crate) mod dsu;
pub(crate) mod ebpf_checker;
pub mod ebpf_domain;
pub(crate) mod ebpf_transformer;
pub(crate) mod finite_domain;
pub mod interval;
pub(crate) mod splitdbm;
pub mod string_constraints;
pub(crate) mod type_domain;
pub(crate) mod type_encoding;
pub(crate) mod type_to_number;
pub(crate) mod var_id_map;
pub mod var_registry;
pub(crate) mod zone_domain;
