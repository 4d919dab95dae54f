//! The generated code of the packet, host-world and map-family helpers' programs, compiled
//! with `-fsanitize=address,undefined -fno-sanitize-recover=all` and run inside the real
//! runtime: `cargo bpf2c run` compiles modules with the `cc` crate, which honours `CC` and
//! `CFLAGS` (part of the compile cache's key, so sanitized and plain builds never mix), and
//! the sanitizer's runtime is preloaded into the `cargo-bpf2c` process (`LD_PRELOAD`), as a
//! sanitized shared library inside an unsanitized program needs. So every helper runs as
//! bpf2c-runtime implements it, not as a C stand-in (toolchains.rs's `stand_in_runtime.c` covers
//! the older programs that way).
//!
//! Every corpus program that calls one of those helpers runs once per input below with gcc
//! and with clang, and must exit 0 with no sanitizer report and print what the plain build
//! prints (the verdict, the packet, the `__sk_buff` fields, redirects, clones, events) and
//! leave the same maps. A negative control proves the setup catches errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bpf2c::object::{load_file, InputFormat};
use bpf2c_runtime::helper_id as id;
use bpf2c_tests::cc::{self, SANITIZE_FLAGS};
use bpf2c_tests::{cli, corpus, corpus_objects, fail_if_ci, report};

/// The helpers every runtime had before the packet, host-world and map-family ones: programs
/// calling only these are covered by toolchains.rs's sanitized driver.
const BASE_HELPERS: [u32; 9] = [
    id::MAP_LOOKUP_ELEM,
    id::MAP_UPDATE_ELEM,
    id::MAP_DELETE_ELEM,
    id::KTIME_GET_NS,
    id::TRACE_PRINTK,
    id::GET_PRANDOM_U32,
    id::GET_SMP_PROCESSOR_ID,
    id::TAIL_CALL,
    id::GET_CURRENT_PID_TGID,
];

/// One run of a corpus program through `cargo bpf2c run`.
struct Case {
    object: &'static str,
    program: &'static str,
    data_hex: String,
    ctx_json: Option<&'static str>,
    maps_in: Option<&'static str>,
    /// The program leaves clock readings in its `__sk_buff` fields, which no two runs share.
    reads_clocks: bool,
}

fn case(object: &'static str, program: &'static str, data_hex: &str) -> Case {
    Case {
        object,
        program,
        data_hex: data_hex.replace(' ', ""),
        ctx_json: None,
        maps_in: None,
        reads_clocks: false,
    }
}

impl Case {
    fn ctx(self, json: &'static str) -> Case {
        Case {
            ctx_json: Some(json),
            ..self
        }
    }

    fn maps(self, json: &'static str) -> Case {
        Case {
            maps_in: Some(json),
            ..self
        }
    }

    fn clock(self) -> Case {
        Case {
            reads_clocks: true,
            ..self
        }
    }

    fn name(&self) -> String {
        format!(
            "{} {} {} {}",
            self.object,
            self.program,
            self.data_hex,
            self.ctx_json.unwrap_or("")
        )
    }
}

/// IPv4/TCP, 192.168.0.1:12345 -> 192.168.0.199:80, four payload bytes (58 bytes).
const IPV4_TCP: &str = "000102030405060708090a0b0800 4500002c000040004006 0000 c0a80001 c0a800c7 \
                        30390050 00000001 00000000 50022000 00000000 deadbeef";
/// The same frame as ARP (neither IPv4 nor IPv6).
const ARP: &str = "000102030405060708090a0b0806 4500002c000040004006 0000 c0a80001 c0a800c7 \
                   30390050 00000001 00000000 50022000 00000000 deadbeef";
/// Q-in-Q: an 802.1ad tag (VID 100) and an 802.1Q tag (VID 5) before the IPv4 header.
const QINQ: &str = "000102030405060708090a0b 88a80064 81000005 0800 4500002c000040004006 0000 \
                    c0a80001 c0a800c7 30390050 00000001 00000000 50022000 00000000 deadbeef";

/// The outer tag of `QINQ` without the two bytes after it (16 bytes; popping needs 18).
const QINQ_CUT_SHORT: &str = "000102030405060708090a0b 88a80064";

fn cases() -> Vec<Case> {
    let resize = "skb_resize.o";
    let world = "skb_world.o";
    let room = "packet_room.o";
    vec![
        // skb_resize.c: within Linux's limits and past them.
        case(resize, "change_head", IPV4_TCP).ctx(r#"{"cb":[4,0,0,0,0]}"#),
        case(resize, "change_head", IPV4_TCP).ctx(r#"{"cb":[16006,0,0,0,0]}"#),
        case(resize, "change_head", IPV4_TCP).ctx(r#"{"cb":[16007,0,0,0,0]}"#),
        case(resize, "change_tail", IPV4_TCP).ctx(r#"{"cb":[16064,0,0,0,0]}"#),
        case(resize, "change_tail", IPV4_TCP).ctx(r#"{"cb":[14,0,0,0,0]}"#),
        case(resize, "change_tail", IPV4_TCP).ctx(r#"{"cb":[13,0,0,0,0]}"#),
        case(resize, "pull_data", IPV4_TCP).ctx(r#"{"cb":[58,0,0,0,0]}"#),
        case(resize, "pull_data", IPV4_TCP).ctx(r#"{"cb":[59,0,0,0,0]}"#),
        case(resize, "adjust_room", IPV4_TCP).ctx(r#"{"cb":[4095,0,0,0,0]}"#),
        case(resize, "adjust_room", IPV4_TCP).ctx(r#"{"cb":[8,1,0,0,0]}"#),
        case(resize, "adjust_room", IPV4_TCP).ctx(r#"{"cb":[4294967272,0,0,0,0]}"#),
        case(resize, "adjust_room", IPV4_TCP).ctx(r#"{"cb":[4294967276,1,128,0,0]}"#),
        case(resize, "adjust_room", IPV4_TCP).ctx(r#"{"cb":[40,1,4,0,0]}"#),
        case(resize, "adjust_room", IPV4_TCP).ctx(r#"{"cb":[34,1,66,234881024,0]}"#),
        case(resize, "adjust_room", ARP).ctx(r#"{"cb":[8,0,0,0,0]}"#),
        case(resize, "change_proto", IPV4_TCP).ctx(r#"{"cb":[56710,0,0,0,0],"hash":7}"#),
        case(resize, "change_proto", IPV4_TCP).ctx(r#"{"cb":[8,0,0,0,0]}"#),
        case(resize, "change_type", IPV4_TCP).ctx(r#"{"cb":[3,0,0,0,0]}"#),
        case(resize, "change_type", IPV4_TCP).ctx(r#"{"cb":[4,0,0,0,0]}"#),
        case(resize, "vlan_push", IPV4_TCP).ctx(r#"{"cb":[129,5,0,0,0]}"#),
        case(resize, "vlan_push", IPV4_TCP)
            .ctx(r#"{"cb":[129,7,0,0,0],"vlan_present":1,"vlan_proto":43144,"vlan_tci":291}"#),
        case(resize, "vlan_pop", QINQ),
        case(resize, "vlan_pop", QINQ_CUT_SHORT),
        case(resize, "vlan_pop", IPV4_TCP)
            .ctx(r#"{"vlan_present":1,"vlan_proto":129,"vlan_tci":9}"#),
        // skb_world.c.
        case(world, "clone", IPV4_TCP).ctx(r#"{"cb":[5,1,0,0,0]}"#),
        case(world, "clone", IPV4_TCP).ctx(r#"{"cb":[0,2,0,0,0]}"#),
        case(world, "neigh", IPV4_TCP).ctx(r#"{"cb":[4,0,0,16777226,0]}"#),
        case(world, "neigh_via", IPV4_TCP).ctx(r#"{"cb":[4,0,0,16777226,0]}"#),
        case(world, "neigh_short", IPV4_TCP).ctx(r#"{"cb":[4,0,0,16777226,0]}"#),
        case(world, "hash", IPV4_TCP).ctx(r#"{"cb":[0,43981,0,0,0]}"#),
        case(world, "hash", ARP).ctx(r#"{"cb":[0,9,0,0,0]}"#),
        case(world, "classid_realm", IPV4_TCP).ctx(r#"{"cb":[9,9,9,9,9]}"#),
        case(world, "sockets", IPV4_TCP).ctx(r#"{"cb":[7,7,7,7,7]}"#),
        case(world, "sockets", ARP),
        case(world, "clocks", IPV4_TCP).clock(),
        // The XDP resize and redirect helpers (packet_room.c: arguments in the first words).
        case(room, "adjust_head", "28ffffff 00000000 0000000000000000"),
        case(room, "adjust_head", "02000000 00000000 0000000000000000"),
        case(room, "adjust_tail", "b00d0000 00000000 0000000000000000"),
        case(room, "adjust_tail", "feffffff 00000000 0000000000000000"),
        case(room, "adjust_meta", "04ffffff 00000000 0000000000000000"),
        case(room, "adjust_meta", "fcffffff 00000000 0000000000000000"),
        case(room, "encap_ipip", IPV4_TCP),
        case(room, "redirect_ifindex", "07000000 00000000 000000000000"),
        case(room, "to_dev", "01000000 02000000 000000000000")
            .maps(r#"{"devs": {"01000000": "09000000"}}"#),
        case(room, "to_dev", "03000000 18000000 000000000000"),
        case(room, "to_dev_hash", "e8030000 00000000 000000000000")
            .maps(r#"{"dev_hash": {"e8030000": "0500000000000000"}}"#),
        case(room, "to_cpu", "01000000 00000000 000000000000")
            .maps(r#"{"cpus": {"01000000": "8000000000000000"}}"#),
        case(room, "to_xsk", "03000000 00000000 000000000000")
            .maps(r#"{"xsks": {"03000000": "2a000000"}}"#),
        // Checksums, the FIB and tunnel keys.
        case("host_helpers.o", "ip_checksum", IPV4_TCP),
        case("host_helpers.o", "nat_destination", IPV4_TCP),
        case("host_helpers.o", "fib_forward", IPV4_TCP),
        case("skb_host_helpers.o", "rewrite", IPV4_TCP),
        case("tracing_helpers.o", "lower_ttl", IPV4_TCP),
        // Events, queues, stacks, spin locks.
        case("events.o", "ring_output", "0102030405"),
        case("events.o", "ring_reserve", "02"),
        case("events.o", "ring_reserve", "03"),
        case("events.o", "ring_bad_flags", "00"),
        case("events.o", "ring_leak", "00"),
        case("events.o", "perf_indexed", "ffffffff 2a000000 00000000"),
        case("events.o", "perf_indexed", "40000000 2a000000 00000000"),
        case("events.o", "xdp_sample", IPV4_TCP),
        case("map_kinds.o", "emit_len", IPV4_TCP),
        case("map_kinds.o", "route", IPV4_TCP),
        case(
            "maps_lpm_queue.o",
            "queue_ops",
            "00000000 00000000 2a000000",
        ),
        case(
            "maps_lpm_queue.o",
            "queue_ops",
            "04000000 00000000 00000000",
        ),
        case("spin_lock.o", "locked_add", "0102030405"),
        // The __sk_buff fields without helpers, for the skb context's layout.
        case("skb_context.o", "tc_fields", IPV4_TCP)
            .ctx(r#"{"mark":513,"ifindex":3,"cb":[1,2,3,4,5],"vlan_tci":15}"#),
    ]
}

/// Every (object, program) of the corpus that the runtime can run and that calls a helper
/// outside [`BASE_HELPERS`] (directly or in a subprogram).
fn programs_calling_newer_helpers() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for path in corpus_objects() {
        let file = path.file_name().unwrap().to_str().unwrap().to_string();
        if file.starts_with("err_") || file.starts_with("fail_") || file.ends_with("_be.o") {
            continue;
        }
        let Ok(obj) = load_file(&path, InputFormat::Elf) else {
            continue;
        };
        for program in &obj.programs {
            if program.prog_type.runtime().is_none() || program.refusal.is_some() {
                continue;
            }
            let helpers: Vec<u32> = obj
                .reachable_functions(program.entry)
                .into_iter()
                .flat_map(|f| obj.functions[f].insns.iter())
                .filter(|i| i.opcode == 0x85 && i.src == 0)
                .map(|i| i.imm as u32)
                .collect();
            let runs_here = helpers
                .iter()
                .all(|h| bpf2c_runtime::standard_helpers().any(|(id, _)| id == *h));
            if runs_here && helpers.iter().any(|h| !BASE_HELPERS.contains(h)) {
                out.push((file.clone(), program.name.clone()));
            }
        }
    }
    out
}

#[test]
fn every_program_calling_the_newer_helpers_has_a_sanitized_case() {
    let listed = cases();
    let missing: Vec<String> = programs_calling_newer_helpers()
        .into_iter()
        .filter(|(o, p)| !listed.iter().any(|c| c.object == o && c.program == p))
        .map(|(o, p)| format!("{o} {p}"))
        .collect();
    assert!(
        missing.is_empty(),
        "no input in sanitized_runtime.rs's cases() for: {missing:?}"
    );
    // The skb helpers this test exists for are all there.
    assert!(listed.iter().any(|c| c.program == "sockets"));
}

/// A compiler with its AddressSanitizer runtime, ready to build modules for the runtime.
struct Sanitizer {
    compiler: String,
    cflags: String,
    /// The sanitizer's shared runtime, preloaded into cargo-bpf2c.
    preload: PathBuf,
}

/// `compiler -print-file-name=library`, when that names a file that exists.
fn library_of(compiler: &str, library: &str) -> Option<PathBuf> {
    let out = Command::new(compiler)
        .arg(format!("-print-file-name={library}"))
        .output()
        .ok()?;
    let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    (path.is_absolute() && path.is_file()).then_some(path)
}

fn sanitizer(compiler: &str, library: &str, extra_flags: &[&str]) -> Option<Sanitizer> {
    let Some(preload) = library_of(compiler, library) else {
        let why = format!(
            "{compiler} has no {library} (its AddressSanitizer runtime): install it \
             (gcc: libasan, with gcc itself; clang-19: libclang-rt-19-dev)"
        );
        fail_if_ci(&why);
        println!("SKIPPED: {why}");
        report(&format!("note: {why}; its sanitized runs are skipped"));
        return None;
    };
    let mut flags: Vec<&str> = SANITIZE_FLAGS.to_vec();
    flags.push("-fno-omit-frame-pointer");
    flags.extend(extra_flags);
    Some(Sanitizer {
        compiler: compiler.to_string(),
        cflags: flags.join(" "),
        preload,
    })
}

/// gcc, and clang when installed (clang's shared runtime needs `-shared-libasan`).
fn sanitizers() -> Vec<Sanitizer> {
    let mut out: Vec<Sanitizer> = sanitizer(cc::gcc(), "libasan.so", &[])
        .into_iter()
        .collect();
    if let Some(clang) = cc::clang() {
        let library = format!("libclang_rt.asan-{}.so", std::env::consts::ARCH);
        out.extend(sanitizer(&clang, &library, &["-shared-libasan"]));
    }
    out
}

/// `cargo bpf2c run` with `args`, plain or with a sanitizer.
fn cargo_bpf2c(args: &[&str], sanitizer: Option<&Sanitizer>) -> Output {
    let mut cmd = cli::command();
    cmd.args(args);
    match sanitizer {
        Some(s) => {
            cmd.env("CC", &s.compiler)
                .env("CFLAGS", &s.cflags)
                .env("LD_PRELOAD", &s.preload)
                .env("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=0")
                .env("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1");
        }
        None => {
            cmd.env_remove("CFLAGS").env_remove("LD_PRELOAD");
        }
    }
    cmd.output().expect("cannot run cargo-bpf2c")
}

/// What a run shows: its JSON line (without `ctx_out` when it holds clock readings) and the
/// maps it left.
#[derive(Debug, PartialEq)]
struct Shown {
    result: serde_json::Value,
    maps: serde_json::Value,
}

/// Runs a case and returns what it showed, or the failure as text.
fn run_case(case: &Case, sanitizer: Option<&Sanitizer>, dir: &Path) -> Result<Shown, String> {
    let object = corpus(case.object);
    let maps_out = dir.join("maps_out.json");
    let mut args: Vec<String> = vec![
        "run".into(),
        "-q".into(),
        object.to_str().unwrap().into(),
        "--program".into(),
        case.program.into(),
        "--data-hex".into(),
        case.data_hex.clone(),
        "--maps-out".into(),
        maps_out.to_str().unwrap().into(),
    ];
    if let Some(json) = case.ctx_json {
        args.extend(["--ctx-json".into(), json.into()]);
    }
    if let Some(json) = case.maps_in {
        let path = dir.join("maps_in.json");
        std::fs::write(&path, json).unwrap();
        args.extend(["--maps-in".into(), path.to_str().unwrap().into()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = cargo_bpf2c(&args, sanitizer);
    let (stdout, stderr) = cli::texts(&out);
    if !out.status.success() || !stderr.trim().is_empty() {
        return Err(format!(
            "exit {}, stderr:\n{}",
            out.status,
            stderr.lines().take(40).collect::<Vec<_>>().join("\n")
        ));
    }
    let line = stdout.lines().last().unwrap_or_default();
    let mut result: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not JSON ({e}): {line}"))?;
    if case.reads_clocks {
        result
            .as_object_mut()
            .ok_or(format!("not a JSON object: {line}"))?
            .remove("ctx_out");
    }
    let text = std::fs::read_to_string(&maps_out).map_err(|e| e.to_string())?;
    let maps = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    Ok(Shown { result, maps })
}

#[test]
fn the_newer_helpers_run_clean_under_asan_and_ubsan_in_the_real_runtime() {
    let sanitizers = sanitizers();
    let cases = cases();
    // Cases spread over one thread per core; each runs plain, then with every sanitizer.
    let per_thread = cases.len().div_ceil(cc::jobs());
    let failures: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = cases
            .chunks(per_thread)
            .map(|chunk| {
                let sanitizers = &sanitizers;
                scope.spawn(move || {
                    let mut failures = Vec::new();
                    for case in chunk {
                        let dir = tempfile::tempdir().unwrap();
                        let plain = match run_case(case, None, dir.path()) {
                            Ok(shown) => shown,
                            Err(e) => {
                                failures.push(format!("{} (plain): {e}", case.name()));
                                continue;
                            }
                        };
                        for s in sanitizers {
                            match run_case(case, Some(s), dir.path()) {
                                Ok(shown) if shown == plain => {}
                                Ok(shown) => failures.push(format!(
                                    "{} ({}): sanitized {shown:?}\nplain {plain:?}",
                                    case.name(),
                                    s.compiler
                                )),
                                Err(e) => {
                                    failures.push(format!("{} ({}): {e}", case.name(), s.compiler))
                                }
                            }
                        }
                    }
                    failures
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    let names: Vec<&str> = sanitizers.iter().map(|s| s.compiler.as_str()).collect();
    report(&format!(
        "sanitized_runtime: {} runs of {} programs clean under {} with -fsanitize=address,undefined, \
         each the same as the plain run",
        cases.len(),
        {
            let mut p: Vec<(&str, &str)> = cases.iter().map(|c| (c.object, c.program)).collect();
            p.sort();
            p.dedup();
            p.len()
        },
        names.join(" and ")
    ));
}

/// The sanitized runs are only worth something if they catch errors: an unverified program
/// (`run --no-verify`) that reads the byte before its 4-byte buffer, which the plain build
/// reads without complaint, must stop cargo-bpf2c with an AddressSanitizer report.
#[test]
fn a_sanitized_module_in_the_real_runtime_catches_an_out_of_bounds_read() {
    let dir = tempfile::tempdir().unwrap();
    // r0 = *(u8 *)(r1 - 1); exit
    let program = dir.path().join("oob_read.bin");
    std::fs::write(
        &program,
        hex::decode("7110ffff000000009500000000000000").unwrap(),
    )
    .unwrap();
    let args = [
        "run",
        "-q",
        "--raw",
        "--no-verify",
        program.to_str().unwrap(),
        "--data-hex",
        "01020304",
    ];
    let plain = cargo_bpf2c(&args, None);
    assert!(
        plain.status.success(),
        "the plain build reads it unnoticed: {}",
        cli::texts(&plain).1
    );
    for s in sanitizers() {
        let out = cargo_bpf2c(&args, Some(&s));
        let (_, stderr) = cli::texts(&out);
        assert!(
            !out.status.success(),
            "{}: the out-of-bounds read went unnoticed:\n{stderr}",
            s.compiler
        );
        assert!(
            stderr.contains("ERROR: AddressSanitizer: heap-buffer-overflow")
                && stderr.contains("READ of size 1"),
            "{}: {stderr}",
            s.compiler
        );
    }
}
