//! A real crate using bpf2c-build, built with the real cargo: the build script reruns when
//! an object or a variable it reads changes, and only then; a refused program fails the
//! build with one line per problem.
//!
//! The crate lives in a fresh temporary directory; its dependencies (bpf2c, the runtime,
//! PREVAIL) build once into a target directory kept under `CARGO_TARGET_TMPDIR`, so only
//! the first run pays for compiling them.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use bpf2c_testkit::repo;

use crate::real_cargo::{cargo, ran_build_script, serial, stderr, target_dir, write_demo_manifest};

/// A crate `demo` whose build.rs builds `bpf/<object>` (copied from `source`).
fn make_crate(dir: &Path, source: &str, object: &str, main: &str) {
    make_crate_with(dir, &[(source, object)], main);
}

/// A crate `demo` whose build.rs builds every `bpf/<object>` (copied from its source).
fn make_crate_with(dir: &Path, objects: &[(&str, &str)], main: &str) {
    let repo = repo();
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::create_dir_all(dir.join("bpf")).unwrap();
    for (source, object) in objects {
        std::fs::copy(repo.join(source), dir.join("bpf").join(object)).unwrap();
    }
    write_demo_manifest(dir);
    let adds: String = objects
        .iter()
        .map(|(_, o)| format!(".object(\"bpf/{o}\")"))
        .collect();
    std::fs::write(
        dir.join("build.rs"),
        format!("fn main() {{\n    bpf2c_build::Builder::new(){adds}.run();\n}}\n"),
    )
    .unwrap();
    std::fs::write(dir.join("src/main.rs"), main).unwrap();
}

fn touch(path: &Path) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() + Duration::from_secs(2))
        .unwrap();
}

const MAIN: &str = r#"
bpf2c_runtime::include_bindings!("counter");

fn main() {
    let c = counter::Counter::load().unwrap();
    let mut frame = vec![0u8; 60];
    frame[12] = 0x08;
    let action = c.count_packets().run(&mut frame).unwrap();
    let ipv4 = c.proto_stats().get(0).unwrap();
    println!("action {action} ipv4 {} {}", ipv4.packets, ipv4.bytes);
}
"#;

#[test]
fn touching_an_object_reruns_the_build_script_and_nothing_else_does() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    make_crate(
        d,
        "examples/packet-counter/bpf/counter.o",
        "counter.o",
        MAIN,
    );

    let first = cargo(d, &["build", "-v"], &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(ran_build_script(&first), "{}", stderr(&first));
    let run = cargo(d, &["run", "-q"], &[]);
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        "action 2 ipv4 1 60\n",
        "{}",
        stderr(&run)
    );

    let out_file = |name: &str| {
        let build = target_dir().join("debug/build");
        let mut found: Vec<PathBuf> = std::fs::read_dir(&build)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("demo-")
            })
            .map(|p| p.join("out/bpf2c").join(name))
            .filter(|p| p.exists())
            .collect();
        found.sort_by_key(|p| std::fs::metadata(p).unwrap().modified().unwrap());
        found.pop().unwrap()
    };
    let bindings = out_file("counter.rs");
    let stamp = std::fs::metadata(&bindings).unwrap().modified().unwrap();

    // Nothing changed: the build script does not run.
    let second = cargo(d, &["build", "-v"], &[]);
    assert!(second.status.success());
    assert!(!ran_build_script(&second), "{}", stderr(&second));
    assert!(
        stderr(&second).contains("Fresh demo"),
        "{}",
        stderr(&second)
    );

    // The object changed: it runs, and its identical outputs are left untouched.
    touch(&d.join("bpf/counter.o"));
    let third = cargo(d, &["build", "-v"], &[]);
    assert!(third.status.success());
    assert!(ran_build_script(&third), "{}", stderr(&third));
    assert!(
        stderr(&third).contains("bpf/counter.o"),
        "{}",
        stderr(&third)
    );
    assert_eq!(
        std::fs::metadata(&bindings).unwrap().modified().unwrap(),
        stamp
    );

    // A variable bpf2c-build reads changed: it runs again.
    let fourth = cargo(d, &["build", "-v"], &[("BPF2C_NO_OPT", "1")]);
    assert!(fourth.status.success());
    assert!(ran_build_script(&fourth), "{}", stderr(&fourth));
    let c = std::fs::read_to_string(out_file("counter.c")).unwrap();
    assert!(c.contains("Optimization: off"));

    // Nothing was written into the crate's sources.
    let mut files: Vec<String> = walk(d);
    files.sort();
    assert_eq!(
        files,
        [
            "Cargo.lock",
            "Cargo.toml",
            "bpf/counter.o",
            "build.rs",
            "src/main.rs"
        ]
    );
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out
}

#[test]
fn a_refused_program_fails_the_build_with_one_line() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    make_crate(
        d,
        "tests/bpf/fail_unchecked_lookup.o",
        "unchecked.o",
        "fn main() {}\n",
    );
    let out = cargo(d, &["build"], &[]);
    assert!(!out.status.success());
    let err = stderr(&out);
    let expected = "error: demo@0.1.0: bpf/unchecked.o: program 'count_unchecked' at \
                    tests/bpf/fail_unchecked_lookup.c:20: the pointer may be NULL here";
    assert_eq!(err.matches(expected).count(), 1, "{err}");
    let log_line = err
        .lines()
        .find(|l| l.starts_with("error: demo@0.1.0: full details: "))
        .unwrap_or_else(|| panic!("{err}"));
    let log = log_line.trim_start_matches("error: demo@0.1.0: full details: ");
    let detail = std::fs::read_to_string(log).unwrap();
    assert!(
        detail.contains("verifier: Possible null access"),
        "{detail}"
    );
    // No backtrace, no panic, no dump of the build script's output.
    assert!(!err.contains("panicked"), "{err}");
    assert!(!err.contains("--- stdout"), "{err}");
}

/// Bindings for objects of every shape in the corpus compile, and work.
const CORPUS_MAIN: &str = r#"
bpf2c_runtime::include_bindings!("global_data");
bpf2c_runtime::include_bindings!("maps_basic");
bpf2c_runtime::include_bindings!("legacy_maps");
bpf2c_runtime::include_bindings!("tail_calls");
bpf2c_runtime::include_bindings!("subprograms");
bpf2c_runtime::include_bindings!("typedef_maps");
bpf2c_runtime::include_bindings!("xdp_parse");
bpf2c_runtime::include_bindings!("multi_prog");
bpf2c_runtime::include_bindings!("atomics");
bpf2c_runtime::include_bindings!("helpers");
bpf2c_runtime::include_bindings!("loop");

use bpf2c_runtime::Options;

fn main() {
    let quiet = || Options::default().trace_sink(bpf2c_runtime::TraceSink::Discard);
    let g = global_data::GlobalData::loader()
        .options(quiet())
        .init(|i| {
            i.rodata().set_limit(9);
            i.data().set_counter(100);
        })
        .load()
        .unwrap();
    let r = g.use_globals().run(&mut [0u8; 5]).unwrap();
    let d = g.globals().data();
    println!(
        "globals {r} {} {} {:?} {} {}",
        d.counter(),
        g.globals().bss().hits(),
        // clang moved the never-written static array to .rodata.cst16.
        g.globals().rodata_cst16().table(),
        g.globals().data_custom().custom(),
        g.read_limit().run(&mut []).unwrap()
    );

    let m = maps_basic::MapsBasic::load().unwrap();
    m.table().insert(&3, &maps_basic::types::Pair { value: 1, doubled: 2 }).unwrap();
    println!("pair {:?}", m.table().get(&3).unwrap());

    let l = legacy_maps::LegacyMaps::load().unwrap();
    println!("legacy {}", l.instance().maps().count());

    let t = tail_calls::TailCalls::load().unwrap();
    let slots: Vec<Option<u32>> = (0..4).map(|i| t.jump_table().get(i).unwrap()).collect();
    println!("tail {slots:?} {}", t.dispatch().run(&mut [0u8; 2]).unwrap());

    let s = subprograms::Subprograms::load().unwrap();
    println!("sub {}", s.chain().run(&mut [0u8; 3]).unwrap());

    let _ = typedef_maps::TypedefMaps::load().unwrap();
    let x = xdp_parse::XdpParse::load().unwrap();
    println!("xdp {}", x.xdp_pass_all().run(&mut [0u8; 64]).unwrap());
    multi_prog::MultiProg::load().unwrap();
    atomics::Atomics::load().unwrap();
    helpers::Helpers::load_with(quiet()).unwrap();
    // `loop` is a keyword: the module is `loop_`.
    loop_::Loop::load().unwrap();
}
"#;

#[test]
fn bindings_of_the_corpus_compile_and_run() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let objects: Vec<(String, String)> = [
        "global_data",
        "maps_basic",
        "legacy_maps",
        "tail_calls",
        "subprograms",
        "typedef_maps",
        "xdp_parse",
        "multi_prog",
        "atomics",
        "helpers",
        "loop",
    ]
    .iter()
    .map(|n| (format!("tests/bpf/{n}.o"), format!("{n}.o")))
    .collect();
    let refs: Vec<(&str, &str)> = objects
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    make_crate_with(d, &refs, CORPUS_MAIN);
    // Neither the generated C nor the generated Rust draws a warning.
    let build = cargo(d, &["build"], &[]);
    assert!(build.status.success(), "{}", stderr(&build));
    assert!(!stderr(&build).contains("warning"), "{}", stderr(&build));
    let out = cargo(d, &["run", "-q"], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}\n{stdout}", stderr(&out));
    println!("{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    // use_globals(len 5) with counter 100: counter 105, hits 1, table[1] = 2, custom 7;
    // read_limit returns limit * 10 with the limit set before loading.
    assert_eq!(lines[0], "globals 114 105 1 [1, 2, 3, 4] 7 90");
    assert_eq!(lines[1], "pair Some(Pair { value: 1, doubled: 2 })");
    assert_eq!(lines[2], "legacy 4");
    assert_eq!(lines[4], "sub 14");
    assert_eq!(lines[5], "xdp 2");
    // Slots 0 and 2 are filled at load; dispatch over 2 bytes tail-calls slot 2 (returns 12).
    assert_eq!(lines[3], "tail [Some(0), None, Some(1), None] 12");
}

/// The fenced blocks of the guide's "Getting started" section, in order, each as
/// `(info string, text)` with the list item's indentation removed.
fn getting_started_blocks() -> Vec<(String, String)> {
    let guide = std::fs::read_to_string(repo().join("docs/guide.md")).unwrap();
    let start = guide
        .find("\n## Getting started")
        .expect("docs/guide.md has a 'Getting started' section");
    let section = &guide[start + 1..];
    let section = &section[..section[1..].find("\n## ").map_or(section.len(), |e| e + 1)];
    let mut blocks = Vec::new();
    let mut open: Option<(String, String)> = None;
    for line in section.lines() {
        let text = line.strip_prefix("   ").unwrap_or(line);
        match (&mut open, text.strip_prefix("```")) {
            (None, Some(info)) => open = Some((info.to_string(), String::new())),
            (Some(_), Some(_)) => blocks.push(open.take().unwrap()),
            (Some((_, body)), None) => {
                body.push_str(text);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    blocks
}

/// A new crate outside this workspace, made from nothing but the guide's "Getting started"
/// text (its Cargo.toml lines, build.rs and main.rs), builds against these crates by path
/// and runs. This is what failed when the patched verifier reached bpf2c only through the
/// workspace's `[patch.crates-io]`, which cargo ignores for dependents.
#[test]
fn the_guides_getting_started_crate_builds_outside_the_workspace_and_runs() {
    let blocks = getting_started_blocks();
    let block = |info: &str, needle: &str| -> String {
        blocks
            .iter()
            .find(|(i, body)| i == info && body.contains(needle))
            .unwrap_or_else(|| panic!("no ```{info} block with {needle:?} in Getting started"))
            .1
            .clone()
    };
    // The eBPF program: the committed object is compiled from exactly the guide's source.
    let program = block("c", "SEC(\"xdp\")");
    let committed = std::fs::read_to_string(repo().join("tests/bpf/guide_counter.c")).unwrap();
    assert_eq!(
        program, committed,
        "tests/bpf/guide_counter.c must be the guide's program, word for word"
    );
    let manifest = block("toml", "[build-dependencies]");
    assert!(
        !manifest.contains("[patch"),
        "the guide must not ask for a [patch] section"
    );
    let build_rs = block("rust", "fn main()");
    let main_rs = block("rust", "include_bindings!");

    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("src")).unwrap();
    std::fs::create_dir_all(d.join("bpf")).unwrap();
    std::fs::copy(
        repo().join("tests/bpf/guide_counter.o"),
        d.join("bpf/counter.o"),
    )
    .unwrap();
    // The guide's `../bpf2c` stands for the user's checkout: here, this repository.
    let manifest = manifest.replace("../bpf2c/", &format!("{}/", repo().display()));
    std::fs::write(
        d.join("Cargo.toml"),
        format!(
            "[package]\nname = \"my-crate\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             {manifest}\n[workspace]\n"
        ),
    )
    .unwrap();
    std::fs::write(d.join("build.rs"), build_rs).unwrap();
    std::fs::write(d.join("src/main.rs"), main_rs).unwrap();
    // The workspace's lock file pins every dependency to a version already downloaded.
    std::fs::copy(repo().join("Cargo.lock"), d.join("Cargo.lock")).unwrap();

    let run = cargo(d, &["run", "-q"], &[]);
    assert!(run.status.success(), "{}", stderr(&run));
    // XDP_PASS, and the program counted the one packet.
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        "2 1\n",
        "{}",
        stderr(&run)
    );
}
