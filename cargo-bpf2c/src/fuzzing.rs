//! What the CLI-input fuzz targets in `fuzz/` run on each input, kept here so that the test
//! replaying their regression corpora (`tests/fuzz_regressions.rs`) runs the same code.
//! Not part of the supported API.

use bpf2c::driver::{translate, TranslateError, TranslateOptions};
use bpf2c::object::raw::load_raw;

use crate::{hex, maps_file, plugin_input};

/// `--data-hex` and friends: decoding arbitrary text never panics, and whatever decodes
/// round-trips through the encoder.
pub fn hex_text(data: &[u8]) -> Result<Vec<u8>, String> {
    let Ok(text) = std::str::from_utf8(data) else {
        // Command-line arguments reach the decoder as `str`; other bytes cannot.
        return Err("not UTF-8".to_string());
    };
    let result = hex::decode(text);
    match &result {
        Ok(bytes) => assert_eq!(hex::decode(&hex::encode(bytes)).as_ref(), Ok(bytes)),
        Err(e) => assert!(
            e.contains("(character "),
            "the error names no position: {e}"
        ),
    }
    result
}

/// A `--maps-in` file's contents: every decoded key and value is the decoding of the text
/// the file gave for it.
pub fn maps_json(data: &[u8]) -> Result<maps_file::MapsFile, String> {
    let result = maps_file::parse(data);
    match &result {
        Ok(maps) => {
            for (written, key, value) in maps.iter().flat_map(|m| &m.entries) {
                assert_eq!(hex::decode(written).as_ref(), Ok(key));
                assert_eq!(hex::encode(value).len(), 2 * value.len());
            }
        }
        Err(e) => assert!(!e.trim().is_empty(), "an error without a message"),
    }
    result
}

/// The conformance plugin's stdin: hex text of a raw program, loaded and translated without
/// verification as `cargo bpf2c plugin` does before it compiles the C. Returns the C.
pub fn plugin_stdin(data: &[u8]) -> Result<String, String> {
    let program = plugin_input::decode_program(data.to_vec())?;
    let obj = load_raw(&program, "<stdin>".as_ref(), "plugin").map_err(|e| e.to_string())?;
    let options = TranslateOptions {
        verify: false,
        optimize: false,
        module_symbol: Some("bpf2c_module".to_string()),
        ..TranslateOptions::default()
    };
    match translate(&obj, &options) {
        Ok(t) => Ok(t.c_source),
        Err(TranslateError::Codegen(e)) => Err(e.to_string()),
        Err(TranslateError::Refused(_)) => panic!("refused without verifying"),
    }
}
