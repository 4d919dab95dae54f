//! The parsers of cargo-bpf2c's text inputs, as a library: the binary uses them, and so do
//! the fuzz targets in `fuzz/` and the test replaying their regression corpora, so all three
//! run the same code.

pub mod ctx_json;
pub mod hex;
pub mod maps_file;
pub mod plugin_input;

#[doc(hidden)]
pub mod fuzzing;
