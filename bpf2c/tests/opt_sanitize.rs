//! Optimized code under the undefined-behaviour and address sanitizers, with gcc and clang:
//! objects whose map helper calls are inlined or called directly are translated with and
//! without optimization, built with warnings as errors, and run side by side by
//! `tests/opt_harness.c`, which plays the runtime with maps laid out as bpf2c.h says. Any
//! out-of-bounds element access, unsound NULL fold (BPF2C_ASSUME reached with a false
//! condition) or difference in results fails the test.

use crate::common;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use bpf2c::codegen::c_string;
use bpf2c::driver::{translate, TranslateOptions};
use bpf2c::object::{load_file, InputFormat};
use common::{compilers, manifest_dir, runtime_include, CFLAGS};

const OBJECTS: [&str; 10] = [
    "opt/array_inline",
    "opt/shared_sites",
    "opt/lookalike",
    "opt/percpu_hash",
    "opt/bench_lookup",
    "maps_basic",
    "legacy_maps",
    "typedef_maps",
    "xdp_parse",
    "atomics",
];

struct Unit {
    name: String,
    on: String,
    off: String,
    /// Call sites inlined or called directly.
    optimized: usize,
}

fn units() -> Vec<Unit> {
    OBJECTS
        .iter()
        .enumerate()
        .map(|(i, rel)| {
            let path = manifest_dir().join(format!("../tests/bpf/{rel}.o"));
            let obj = load_file(&path, InputFormat::Elf).unwrap_or_else(|e| panic!("{e}"));
            let c = |optimize: bool| {
                translate(
                    &obj,
                    &TranslateOptions {
                        optimize,
                        module_symbol: Some(format!("bpf2c_opt_{i}_{optimize}")),
                        ..Default::default()
                    },
                )
                .unwrap_or_else(|e| panic!("{rel}: {e}"))
            };
            let (on, off) = (c(true), c(false));
            let (inlined, direct, _) = on.plan.counts();
            Unit {
                name: rel.replace('/', "_"),
                on: on.c_source,
                off: off.c_source,
                optimized: inlined + direct,
            }
        })
        .collect()
}

fn cases_table(units: &[Unit]) -> String {
    let mut s = String::from("#include \"bpf2c.h\"\n\n");
    s.push_str(
        "typedef struct opt_case { const char *name; const bpf2c_module_t *on, *off; } \
         opt_case_t;\n",
    );
    for i in 0..units.len() {
        writeln!(
            s,
            "extern const bpf2c_module_t bpf2c_opt_{i}_true, bpf2c_opt_{i}_false;"
        )
        .unwrap();
    }
    s.push_str("const opt_case_t opt_cases[] = {\n");
    for (i, u) in units.iter().enumerate() {
        writeln!(
            s,
            "    {{ {}, &bpf2c_opt_{i}_true, &bpf2c_opt_{i}_false }},",
            c_string(&u.name)
        )
        .unwrap();
    }
    writeln!(s, "}};\nconst size_t opt_case_count = {};", units.len()).unwrap();
    s
}

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{text}",
        out.status
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn build_and_run(cc: &str, dir: &Path, units: &[Unit]) -> String {
    let mut files = Vec::new();
    for (i, u) in units.iter().enumerate() {
        for (side, src) in [("on", &u.on), ("off", &u.off)] {
            let f = format!("m{i}_{side}.c");
            std::fs::write(dir.join(&f), src).unwrap();
            files.push(f);
        }
    }
    std::fs::write(dir.join("cases.c"), cases_table(units)).unwrap();
    let base = |cmd: &mut Command| {
        cmd.current_dir(dir)
            .args(CFLAGS)
            .arg("-I")
            .arg(runtime_include());
    };
    // Two compiler processes, one per core.
    let half = files.len().div_ceil(2);
    let children: Vec<_> = files
        .chunks(half)
        .map(|batch| {
            let mut cmd = Command::new(cc);
            base(&mut cmd);
            cmd.arg("-c").args(batch);
            cmd.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{cc} -c failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut link = Command::new(cc);
    base(&mut link);
    link.arg(manifest_dir().join("tests/opt_harness.c"))
        .arg("cases.c")
        .args(files.iter().map(|f| f.replace(".c", ".o")))
        .args(["-o", "harness"]);
    run(&mut link, &format!("{cc} link"));
    run(
        Command::new(dir.join("harness")).env("ASAN_OPTIONS", "abort_on_error=0"),
        &format!("the {cc} harness"),
    )
}

#[test]
fn optimized_code_is_sanitizer_clean_and_agrees_with_the_helpers() {
    let units = units();
    let optimized: usize = units.iter().map(|u| u.optimized).sum();
    assert!(optimized >= 30, "only {optimized} optimized call sites");
    for cc in compilers() {
        let dir = tempfile::tempdir().unwrap();
        let out = build_and_run(cc, dir.path(), &units);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), units.len(), "{cc}: {out}");
        for (line, u) in lines.iter().zip(&units) {
            let parts: Vec<&str> = line.split(' ').collect();
            assert_eq!(parts[0], u.name, "{cc}: {line}");
            let runs: usize = parts[2].parse().unwrap();
            assert!(runs >= 70, "{cc}: {line}");
        }
    }
}

/// The assembly of one function of a translation, compiled with `cc -O2 -S`.
fn assembly(cc: &str, c_source: &str, function: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.c"), c_source).unwrap();
    let asm = run(
        Command::new(cc)
            .current_dir(dir.path())
            .args(["-std=c11", "-O2", "-S", "-o", "-", "-I"])
            .arg(runtime_include())
            .arg("m.c"),
        &format!("{cc} -S"),
    );
    let start = asm
        .find(&format!("\n{function}:"))
        .unwrap_or_else(|| panic!("{cc}: no {function} in the assembly"));
    let body = &asm[start + 1..];
    let end = body.find(".cfi_endproc").expect("the end of the function");
    body[..end].to_string()
}

/// A lookup proven in range tells the compiler it is never NULL, so the program's own NULL
/// test (returning -1) is gone from the machine code, as is the call; without optimization
/// both are there.
#[test]
fn proven_lookups_let_the_c_compiler_drop_the_programs_null_test() {
    let path = manifest_dir().join("../tests/bpf/opt/array_inline.o");
    let obj = load_file(&path, InputFormat::Elf).unwrap();
    let c = |optimize| {
        translate(
            &obj,
            &TranslateOptions {
                optimize,
                ..Default::default()
            },
        )
        .unwrap()
        .c_source
    };
    let (on, off) = (c(true), c(false));
    for cc in compilers() {
        // The entry points: compilers inline the single-use function bodies into them.
        for function in ["bpf2c_fn_read_const_entry", "bpf2c_fn_read_masked_entry"] {
            let opt = assembly(cc, &on, function);
            assert!(
                !opt.contains("$-1") && !opt.contains("call"),
                "{cc} {function}:\n{opt}"
            );
            let helper = assembly(cc, &off, function);
            assert!(
                helper.contains("$-1") && helper.contains("call"),
                "{cc} {function} without optimization:\n{helper}"
            );
        }
    }
}
