// Copyright (c) Prevail Verifier contributors.
// SPDX-License-Identifier: MIT

pub(crate) mod kfunc;
pub mod linux_platform;
pub mod spec_prototypes;
pub(crate) mod spec_type_descriptors;
#[cfg(target_os = "linux")]
pub(crate) mod sys_bpf;
