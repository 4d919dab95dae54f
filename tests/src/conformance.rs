//! The conformance suite (`tests/conformance/tests.jsonl`, a committed copy) and its
//! translation into modules.

use std::path::{Path, PathBuf};

use bpf2c::driver::{translate, TranslateOptions};
use bpf2c::object::raw::load_raw;

use crate::cc::Unit;

/// The number of tests the suite holds.
pub const SUITE_SIZE: usize = 218;

/// One conformance test.
#[derive(Clone, Debug)]
pub struct Case {
    pub name: String,
    pub program: Vec<u8>,
    pub memory: Vec<u8>,
    pub result: u64,
    pub notes: Vec<String>,
}

/// Where the suite lives: `tests/conformance/tests.jsonl`, committed with the repository.
pub fn suite_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/tests.jsonl")
}

/// Reads every test of the suite; panics, saying where it looked, when the file is missing.
pub fn load_suite() -> Vec<Case> {
    let path = suite_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "the conformance suite is missing: cannot read {} ({e}). It is expected at \
             tests/conformance/tests.jsonl in the repository.",
            path.display()
        )
    });
    let mut cases = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{}:{}: not JSON: {e}", path.display(), n + 1));
        let field = |k: &str| -> &str {
            v[k].as_str()
                .unwrap_or_else(|| panic!("{}:{}: no string field '{k}'", path.display(), n + 1))
        };
        assert!(
            v["error"].is_null(),
            "{}:{}: error tests are not expected in this suite",
            path.display(),
            n + 1
        );
        cases.push(Case {
            name: field("name").to_string(),
            program: hex::decode(field("program")).expect("program is hex"),
            memory: hex::decode(field("memory")).expect("memory is hex"),
            result: field("result").parse().expect("result is a decimal u64"),
            notes: v["notes"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
        });
    }
    cases
}

/// The program name a case's module uses (a C identifier derived from the test name).
pub fn program_name(case: &Case) -> String {
    bpf2c::object::c_identifier(&case.name)
}

/// A translated case: its module symbol and C, unverified (ISA tests are not verifiable
/// programs), as the plugin translates them.
pub fn translate_case(index: usize, case: &Case) -> Result<(String, Unit), String> {
    let name = program_name(case);
    let obj = load_raw(
        &case.program,
        Path::new(&format!("{}.bin", case.name)),
        &name,
    )
    .map_err(|e| format!("{}: load: {e}", case.name))?;
    let symbol = format!("bpf2c_conformance_{index}_{name}");
    let opts = TranslateOptions {
        verify: false,
        module_symbol: Some(symbol.clone()),
        output_name: Some(format!("case{index}.c")),
        ..TranslateOptions::default()
    };
    let t = translate(&obj, &opts).map_err(|e| format!("{}: translate: {e}", case.name))?;
    Ok((
        symbol,
        Unit {
            file: format!("case{index}.c"),
            c_source: t.c_source,
        },
    ))
}

/// Space-separated hex bytes, the plugin protocol's format.
pub fn spaced_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}
