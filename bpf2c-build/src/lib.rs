//! build.rs helper (being written).
