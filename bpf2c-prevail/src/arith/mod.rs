// Copyright (c) Prevail Verifier contributors.
// SPDX-License-Identifier: MIT

pub mod extended_number;
pub mod linear_constraint;
pub mod linear_expression;
pub mod number;
pub mod safe_i64;
pub mod variable;
