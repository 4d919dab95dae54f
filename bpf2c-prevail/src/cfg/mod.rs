// Copyright (c) Prevail Verifier contributors.
// SPDX-License-Identifier: MIT

pub mod graph;
pub mod label;
pub(crate) mod wto;
