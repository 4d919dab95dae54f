//! C compilers for the end-to-end tests, through bpf2c-testkit's one compile path (and its
//! compile cache): the host compiler the native pipeline uses, for batch builds of many
//! modules at once, and gcc and clang for the strict-warning and sanitizer builds.

use std::path::PathBuf;

use bpf2c_testkit::cc::{self as testkit_cc, Output};
pub use bpf2c_testkit::cc::{describe_failure, jobs, Compiler, Unit, SANITIZE_FLAGS, STRICT_FLAGS};

/// gcc, which the tests require.
pub fn gcc() -> &'static str {
    assert!(
        Compiler::named("gcc").works(),
        "gcc is required by the toolchain tests"
    );
    "gcc"
}

/// clang: `$CLANG` if set, else `clang-19`, else `clang`; None (after printing why, and
/// noting it in the report) when none is installed. Under CI its absence fails.
pub fn clang() -> Option<String> {
    let found = testkit_cc::clang().map(|c| c.name());
    if found.is_none() {
        crate::report("note: clang is not installed: its part of this test is skipped");
    }
    found
}

/// Builds the units into one shared library with the host compiler and flags of
/// `bpf2c_build::native` (each unit stays its own translation unit: generated modules share
/// static names). Returns, per unit, the library holding it.
pub fn build_shared_libraries(units: &[Unit]) -> Result<Vec<PathBuf>, String> {
    let compiler = Compiler::host()?;
    let library = testkit_cc::build(&compiler, &["-std=c11"], units, Output::SharedLibrary)?;
    Ok(vec![library; units.len()])
}

/// Compiles every unit with `compiler` and `flags` (plus `-I` for the ABI header), one
/// process per core, and returns the names of the object files written.
pub fn compile_check(
    compiler: &str,
    flags: &[&str],
    units: &[Unit],
) -> Result<Vec<String>, String> {
    testkit_cc::compile_check(&Compiler::named(compiler), flags, units)
}
