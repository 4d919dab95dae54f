//! What the fuzz targets in `fuzz/` run on each input, kept here so that the test replaying
//! their regression corpora (`tests/fuzz_regressions.rs`) runs exactly the same code.
//! Not part of the supported API.
//!
//! Every entry point takes arbitrary bytes and must return: a panic, a hang or an unbounded
//! allocation is a bug. Beyond not crashing, each checks what any result must satisfy, so
//! that the fuzzer also finds wrong answers that do not crash.

use std::path::Path;
use std::time::Duration;

use crate::driver::{self, TranslateError, TranslateOptions};
use crate::error::{Error, Result};
use crate::object::{c_identifier, elf, raw, Object};
use crate::verify::VerifyOptions;

/// The name inputs carry in diagnostics; every error must name it.
pub const INPUT_PATH: &str = "fuzz-input.o";

/// An ELF object, BTF and `.BTF.ext` included, from arbitrary bytes.
pub fn load_elf(data: &[u8]) -> Result<Object> {
    checked(elf::load_elf(data, Path::new(INPUT_PATH)))
}

/// Raw bytecode from arbitrary bytes.
pub fn load_raw(data: &[u8]) -> Result<Object> {
    checked(raw::load_raw(
        data,
        Path::new(INPUT_PATH),
        &stem_identifier(),
    ))
}

/// Limits small enough that one input takes at most about a second: the fuzzer needs many
/// inputs per second, and a program needing more than this is refused, not hung on.
pub fn verify_options() -> VerifyOptions {
    VerifyOptions {
        time_limit: Duration::from_secs(1),
        max_instructions: 1024,
        max_memory: 256 << 20,
        ..VerifyOptions::default()
    }
}

/// What the translation target found: how far the input got.
#[derive(Debug, PartialEq, Eq)]
pub enum TranslateOutcome {
    /// Not a loadable object.
    NotLoaded,
    /// Loaded; verification refused it (with diagnostics) or code generation failed.
    Refused,
    /// Verified and translated to C.
    Translated,
}

/// The whole pipeline on arbitrary bytes: load (ELF when the bytes start with the ELF magic,
/// raw bytecode otherwise), validate, verify with [`verify_options`], plan and generate C;
/// then generate C again without verification, as `--no-verify` and the conformance plugin
/// do, which must also fail cleanly or produce the same C twice.
pub fn translate(data: &[u8]) -> TranslateOutcome {
    let loaded = if data.starts_with(b"\x7fELF") {
        load_elf(data)
    } else {
        load_raw(data)
    };
    let Ok(obj) = loaded else {
        return TranslateOutcome::NotLoaded;
    };

    let verified = TranslateOptions {
        verify_options: verify_options(),
        ..TranslateOptions::default()
    };
    let outcome = match driver::translate(&obj, &verified) {
        Ok(t) => {
            assert!(t.verified && t.verdicts.iter().all(|v| v.verified));
            assert_eq!(t.verdicts.len(), obj.programs.len());
            assert!(!t.c_source.is_empty());
            TranslateOutcome::Translated
        }
        Err(TranslateError::Refused(verdicts)) => {
            for v in verdicts.iter().filter(|v| !v.verified) {
                assert!(
                    !v.diagnostics.is_empty(),
                    "program {} was refused without a diagnostic",
                    v.program
                );
            }
            TranslateOutcome::Refused
        }
        Err(TranslateError::Codegen(e)) => {
            check_error(&e);
            TranslateOutcome::Refused
        }
    };

    let unverified = TranslateOptions {
        verify: false,
        optimize: false,
        ..TranslateOptions::default()
    };
    match driver::translate(&obj, &unverified) {
        Ok(first) => {
            let second = driver::translate(&obj, &unverified)
                .expect("the same object translated once must translate again");
            assert_eq!(
                first.c_source, second.c_source,
                "the C is not deterministic"
            );
        }
        Err(TranslateError::Codegen(e)) => check_error(&e),
        Err(TranslateError::Refused(_)) => panic!("refused without verifying"),
    }
    outcome
}

fn stem_identifier() -> String {
    let stem = Path::new(INPUT_PATH).file_stem().and_then(|s| s.to_str());
    c_identifier(stem.unwrap_or_default())
}

fn checked(result: Result<Object>) -> Result<Object> {
    if let Err(e) = &result {
        check_error(e);
    }
    result
}

/// An error is a message for a person: it names the input and says something.
fn check_error(e: &Error) {
    assert_eq!(e.location.file, Path::new(INPUT_PATH), "{e}");
    assert!(
        !e.message.trim().is_empty(),
        "an error without a message at {}",
        e.location
    );
}
