//! The generated C against real toolchains: gcc and clang compile the C of every corpus
//! object that translates (verified and optimized, verified without optimizations, and
//! unverified) and of a sample of conformance programs with `-std=c11 -O2 -Wall -Wextra
//! -Werror`; and corpus programs plus conformance programs run inside an executable built
//! with `-fsanitize=undefined,address -fno-sanitize-recover=all` (a small C stand-in for the
//! runtime, bpf2c-testkit's `csrc/stand_in_runtime.c`), where every result must equal
//! bpf2c-runtime's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use bpf2c::driver::{translate, TranslateError, TranslateOptions};
use bpf2c::object::{load_file, InputFormat, ProgramType};
use bpf2c_runtime::{Options, TraceCapture, UpdateFlags};
use bpf2c_testkit::stand_in;
use bpf2c_tests::cc::{self, Unit, SANITIZE_FLAGS, STRICT_FLAGS};
use bpf2c_tests::conformance::{load_suite, translate_case, Case};
use bpf2c_tests::pipeline::{self, module_symbol, translate_verified};
use bpf2c_tests::{corpus_objects, report};

/// Corpus objects whose C is meant to run here: every object that loads and needs nothing
/// the runtime lacks, except the big-endian one, whose C refuses little-endian hosts by
/// design.
fn runnable_objects() -> Vec<PathBuf> {
    corpus_objects()
        .into_iter()
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            !name.starts_with("err_") && !name.starts_with("fail_") && !name.ends_with("_be.o")
        })
        // Objects that only verify (Linux program types, maps or helpers the runtime lacks)
        // and the one without programs have no C to compile.
        .filter(|p| {
            load_file(p, InputFormat::Elf).is_ok_and(|obj| {
                bpf2c::runnable::missing_pieces(&obj, &bpf2c::helpers::HelperSet::standard())
                    .is_empty()
            })
        })
        // Programs of custom sections verify as socket filters by default, and some only as
        // the type their tests give them (`--program-type`): those run elsewhere.
        .filter(|p| {
            let obj = load_file(p, InputFormat::Elf).unwrap();
            bpf2c::verify::verify_object(&obj, &bpf2c::verify::VerifyOptions::default())
                .iter()
                .all(|v| v.verified)
        })
        .collect()
}

fn object_units() -> Vec<Unit> {
    let mut units = Vec::new();
    for path in runnable_objects() {
        let obj = load_file(&path, InputFormat::Elf).unwrap();
        let mut variants = vec![("opt", true, true), ("noopt", true, false)];
        // XDP context accesses can only be translated with verifier facts.
        if obj.programs.iter().all(|p| p.prog_type == ProgramType::Raw) {
            variants.push(("unverified", false, false));
        }
        for (tag, verify, optimize) in variants {
            let opts = TranslateOptions {
                verify,
                optimize,
                module_symbol: Some(format!("{}_{tag}", module_symbol(&obj))),
                ..TranslateOptions::default()
            };
            let t = translate(&obj, &opts).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            units.push(Unit {
                file: format!("{}_{tag}.c", obj.name),
                c_source: t.c_source,
            });
        }
    }
    units
}

/// Every third conformance test, so each compiler sees a spread of instruction forms.
fn conformance_sample(cases: &[Case], every: usize) -> Vec<Unit> {
    cases
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(i, c)| translate_case(i, c).unwrap().1)
        .collect()
}

#[test]
fn generated_c_compiles_warning_free_with_gcc_and_clang() {
    let mut units = object_units();
    let from_objects = units.len();
    let cases = load_suite();
    units.extend(conformance_sample(&cases, 3));
    let mut compilers = vec![cc::gcc().to_string()];
    compilers.extend(cc::clang());
    for compiler in &compilers {
        let objects = cc::compile_check(compiler, STRICT_FLAGS, &units)
            .unwrap_or_else(|e| panic!("{compiler} {}:\n{e}", STRICT_FLAGS.join(" ")));
        for u in &units {
            let object = u.file.replace(".c", ".o");
            assert!(objects.contains(&object), "{compiler} produced no {object}");
        }
        report(&format!(
            "toolchains: {compiler} {} compiled {} files ({from_objects} translations of {} corpus objects, {} conformance programs)",
            STRICT_FLAGS.join(" "),
            units.len(),
            runnable_objects().len(),
            units.len() - from_objects
        ));
    }
}

/// Stand-ins for the MSVC C runtime's headers, which a Linux machine does not have: only the
/// declarations that `bpf2c.h` and clang's own `intrin.h` use, with the CRT's signatures.
const MSVC_CRT_STANDINS: &[(&str, &str)] = &[
    (
        "stdlib.h",
        "#pragma once\n#include <stddef.h>\nvoid *malloc(size_t);\nvoid free(void *);\n\
         void *_aligned_malloc(size_t, size_t);\nvoid _aligned_free(void *);\n\
         unsigned short _byteswap_ushort(unsigned short);\n\
         unsigned long _byteswap_ulong(unsigned long);\n\
         unsigned __int64 _byteswap_uint64(unsigned __int64);\n",
    ),
    (
        "string.h",
        "#pragma once\n#include <stddef.h>\nvoid *memcpy(void *, const void *, size_t);\n\
         void *memset(void *, int, size_t);\nint memcmp(const void *, const void *, size_t);\n",
    ),
    ("malloc.h", "#pragma once\n#include <stdlib.h>\n"),
    (
        "setjmp.h",
        "#pragma once\ntypedef struct { unsigned __int64 part[32]; } jmp_buf[1];\n",
    ),
];

/// The flags of an MSVC-mode compile: clang as `cl.exe` for 64-bit Windows, where `_MSC_VER`
/// is defined and `__GNUC__` is not, with cl's strict warnings (`/W4` is clang's `-Wall
/// -Wextra`) as errors.
fn msvc_flags(crt: &Path) -> Vec<String> {
    [
        "--driver-mode=cl",
        "--target=x86_64-pc-windows-msvc",
        "/std:c11",
        "/O2",
        "/W4",
        "/WX",
    ]
    .iter()
    .map(|f| f.to_string())
    .chain([format!("/I{}", crt.display())])
    .collect()
}

/// `bpf2c.h` and the generated C take the MSVC branch (`_byteswap_*`, `_Interlocked*`) where
/// `__GNUC__` is not defined: every translation of the corpus objects and a sample of
/// conformance programs compiles warning-free in clang's cl mode. Compiled only: the objects
/// are for Windows and cannot be linked or run here.
#[test]
fn generated_c_compiles_in_msvc_mode() {
    let Some(clang) = cc::clang() else {
        return;
    };
    let crt = tempfile::tempdir().unwrap();
    for (name, text) in MSVC_CRT_STANDINS {
        std::fs::write(crt.path().join(name), text).unwrap();
    }
    let flags = msvc_flags(crt.path());
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    // The mode is what this test claims, and the header took its MSVC branch.
    let probe = Unit {
        file: "msvc_probe.c".into(),
        c_source: "#include \"bpf2c.h\"\n\
                   #if defined(__GNUC__) || !defined(_MSC_VER)\n#error \"not MSVC mode\"\n#endif\n\
                   #if !defined(BPF2C_MSVC_INTRINSICS) || defined(BPF2C_GNU_BUILTINS)\n\
                   #error \"bpf2c.h did not take its MSVC branch\"\n#endif\n\
                   uint64_t probe(uint64_t a) { return bpf2c_bswap32(a) + bpf2c_atomic_add64(a, 1); }\n"
            .into(),
    };
    let mut units = vec![probe];
    units.extend(object_units());
    units.extend(conformance_sample(&load_suite(), 3));
    let objects = cc::compile_check(&clang, &flags, &units)
        .unwrap_or_else(|e| panic!("{clang} {}:\n{e}", flags.join(" ")));
    for u in &units {
        let object = u.file.replace(".c", ".obj");
        assert!(objects.contains(&object), "{clang} produced no {object}");
    }
    // MSVC's targets are all little-endian, so a big-endian module must refuse them too.
    let be = Unit {
        file: "be.c".into(),
        c_source: translate_verified(&pipeline::load("bigendian_be.o")).c_source,
    };
    let err = cc::compile_check(&clang, &flags, &[be])
        .expect_err("a big-endian module must not compile for an MSVC target");
    assert!(
        err.contains("translated from a big-endian eBPF object"),
        "{err}"
    );
    report(&format!(
        "toolchains: {clang} in MSVC mode ({}) compiled {} files",
        flags.join(" "),
        units.len()
    ));
}

#[test]
fn big_endian_c_refuses_a_little_endian_host() {
    let obj = pipeline::load("bigendian_be.o");
    assert!(!obj.little_endian);
    let c = translate_verified(&obj).c_source;
    let unit = Unit {
        file: "be.c".into(),
        c_source: c,
    };
    let err = cc::compile_check(cc::gcc(), STRICT_FLAGS, &[unit])
        .expect_err("a big-endian module must not compile on a little-endian host");
    assert!(
        err.contains("translated from a big-endian eBPF object"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------
// Sanitized runs
// ---------------------------------------------------------------------------------------

enum Step {
    Run {
        object: &'static str,
        program: &'static str,
        data: Vec<u8>,
    },
    Update {
        object: &'static str,
        map: &'static str,
        key: Vec<u8>,
        value: Vec<u8>,
    },
    Conformance(usize),
}

fn run(object: &'static str, program: &'static str, data: &[u8]) -> Step {
    Step::Run {
        object,
        program,
        data: data.to_vec(),
    }
}

fn update(object: &'static str, map: &'static str, key: u32, value: &[u8]) -> Step {
    Step::Update {
        object,
        map,
        key: key.to_le_bytes().to_vec(),
        value: value.to_vec(),
    }
}

/// Program index of `program` in `object`'s module (module order), for PROG_ARRAY values.
fn program_index(object: &str, program: &str) -> u32 {
    let (_, inst) = pipeline::instance(object, Options::default());
    inst.programs()
        .iter()
        .position(|p| p.name == program)
        .unwrap() as u32
}

fn ipv4_packet(ttl: u8) -> Vec<u8> {
    let mut p = hex::decode("00112233445566778899aabb0800450000140000000040063a7cc0a80001c0a80002")
        .unwrap();
    // Keep the header checksum valid for the new TTL (RFC 1624 style adjustment).
    let old = u16::from_be_bytes([p[22], p[23]]);
    let new = u16::from_be_bytes([ttl, p[23]]);
    let check = u16::from_be_bytes([p[24], p[25]]);
    let mut sum = u32::from(!check) + u32::from(!old) + u32::from(new);
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    p[22] = ttl;
    p[24..26].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    p
}

fn corpus_steps() -> Vec<Step> {
    let mut steps = Vec::new();
    let pair = |k: u32, v: u32| [k.to_le_bytes(), v.to_le_bytes()].concat();
    for len in 0..5 {
        steps.push(run("maps_basic.o", "count", &vec![0; len]));
    }
    for (k, v) in [(7, 21), (7, 5), (7, 0), (7, 0)] {
        steps.push(run("maps_basic.o", "table_ops", &pair(k, v)));
    }
    steps.push(run("maps_basic.o", "table_ops", &[1, 2, 3]));
    for k in 0..17 {
        steps.push(run("maps_basic.o", "table_ops", &pair(100 + k, k + 1)));
    }
    for len in [3, 4, 4] {
        steps.push(run("maps_basic.o", "count_percpu", &vec![9; len]));
        steps.push(run("maps_basic.o", "percpu_hash_ops", &vec![9; len]));
    }
    for len in 1..=4 {
        steps.push(run("maps_basic.o", "lru_insert", &vec![0; len]));
    }
    for len in [2, 5, 0] {
        steps.push(run("global_data.o", "use_globals", &vec![1; len]));
    }
    steps.push(run("global_data.o", "read_limit", &[]));
    for len in [0, 7] {
        for p in ["prog_a", "prog_b", "stack_survives", "chain"] {
            steps.push(run("subprograms.o", p, &vec![0; len]));
        }
    }
    steps.push(run("multi_prog.o", "first", &[1, 2, 3]));
    steps.push(run("multi_prog.o", "second", &[1, 2, 3]));
    steps.push(run("multi_prog.o", "third", &[0x0f]));
    steps.push(run("multi_prog.o", "third", &[]));
    steps.push(run("helpers.o", "monotonic", &[]));
    steps.push(run("helpers.o", "cpu_id", &[]));
    steps.push(run("helpers.o", "print", &[7, 0]));
    steps.push(run("helpers.o", "print", &[]));
    for ttl in [64, 2, 1] {
        steps.push(run("xdp_parse.o", "xdp_reflect", &ipv4_packet(ttl)));
    }
    let mut arp = ipv4_packet(64);
    arp[13] = 0x06;
    steps.push(run("xdp_parse.o", "xdp_reflect", &arp));
    steps.push(run("xdp_parse.o", "xdp_reflect", &ipv4_packet(64)[..20]));
    steps.push(run("xdp_parse.o", "xdp_reflect", &[0; 13]));
    steps.push(run("xdp_parse.o", "xdp_pass_all", &[0; 3]));
    for program in ["ip_checksum", "nat_destination", "fib_forward"] {
        steps.push(run("host_helpers.o", program, &ipv4_packet(64)));
        steps.push(run("host_helpers.o", program, &ipv4_packet(64)[..30]));
    }
    // Programs that read struct __sk_buff: context reads and writes, direct packet access,
    // and legacy loads in and out of the packet.
    let frame = ipv4_packet(64);
    for program in ["tc_fields", "sock_keep"] {
        steps.push(run("skb_context.o", program, &frame));
        steps.push(run("skb_context.o", program, &frame[..20]));
    }
    steps.push(run("skb_context.o", "cg_mark", &frame[14..]));
    steps.push(run("skb_context.o", "cg_mark", &[]));
    for n in [frame.len(), 24, 23, 0] {
        steps.push(run("packet_ld_abs.o", "ld_abs_ind", &frame[..n]));
    }
    for i in [0u32, 5, 63] {
        steps.push(update("loop.o", "arr", i, &u64::from(i + 1).to_le_bytes()));
    }
    steps.push(run("loop.o", "sum_map", &[0; 4]));
    let bytes: Vec<u8> = (1..=100).collect();
    for n in [0, 10, 64, 100] {
        steps.push(run("loop.o", "sum_packet", &bytes[..n]));
        steps.push(run("loop.o", "sum_raw", &bytes[..n]));
    }
    steps.push(run("loop.o", "count64", &[0]));
    steps.push(run("atomics.o", "atomics", &[0; 5]));
    steps.push(run("atomics.o", "atomics", &[0; 2]));
    let stage_zero = program_index("tail_calls.o", "stage_zero");
    let stage_two = program_index("tail_calls.o", "stage_two");
    steps.push(update(
        "tail_calls.o",
        "jump_table",
        0,
        &stage_zero.to_le_bytes(),
    ));
    steps.push(update(
        "tail_calls.o",
        "jump_table",
        2,
        &stage_two.to_le_bytes(),
    ));
    for len in 4..8 {
        steps.push(run("tail_calls.o", "dispatch", &vec![0; len]));
    }
    let again = program_index("e2e_extra.o", "again");
    steps.push(update("e2e_extra.o", "self_table", 0, &again.to_le_bytes()));
    steps.push(run("e2e_extra.o", "again", &[0; 2]));
    steps.push(run("legacy_maps.o", "legacy_use", &[0; 3]));
    steps.push(run("legacy_maps.o", "legacy_use", &[0; 3]));
    steps.push(run("legacy_maps.o", "solo_use", &[]));
    steps.push(run("typedef_maps.o", "bump", &[]));
    steps.push(run("typedef_maps.o", "bump", &[]));
    steps.push(run("user_space_safe.o", "moved_context_pointer", &[0; 14]));
    steps.push(run("user_space_safe.o", "callee_copies_r6", &[0; 14]));
    steps.extend(packet_room_steps());
    steps.extend(maps_family_steps());
    steps
}

/// The XDP resize and redirect helpers, called by generated code: each program of
/// packet_room.o takes two little-endian words from the front of its packet (a delta, or a
/// key or ifindex and flags). Packets have no room here, so growth fails with -EINVAL.
fn packet_room_steps() -> Vec<Step> {
    const OBJ: &str = "packet_room.o";
    let args = |a: i32, b: u32, len: usize| {
        let mut p: Vec<u8> = (0..len as u8).collect();
        p[..4].copy_from_slice(&a.to_le_bytes());
        p[4..8].copy_from_slice(&b.to_le_bytes());
        p
    };
    let mut steps = Vec::new();
    for delta in [2, 3, -1, 0] {
        steps.push(run(OBJ, "adjust_head", &args(delta, 0, 16)));
    }
    for delta in [-2, -3, 1, 0] {
        steps.push(run(OBJ, "adjust_tail", &args(delta, 0, 16)));
    }
    for delta in [0, -4, 4] {
        steps.push(run(OBJ, "adjust_meta", &args(delta, 0, 16)));
    }
    steps.push(run(OBJ, "encap_ipip", &args(0, 0, 40)));
    steps.push(run(OBJ, "redirect_ifindex", &args(7, 0, 14)));
    steps.push(run(OBJ, "redirect_ifindex", &args(7, 1, 14)));
    steps.push(update(OBJ, "devs", 1, &9u32.to_le_bytes()));
    let devmap_val = [5u32.to_le_bytes(), 0u32.to_le_bytes()].concat();
    steps.push(update(OBJ, "dev_hash", 1000, &devmap_val));
    let cpumap_val = [128u32.to_le_bytes(), 0u32.to_le_bytes()].concat();
    steps.push(update(OBJ, "cpus", 1, &cpumap_val));
    steps.push(update(OBJ, "xsks", 3, &42u32.to_le_bytes()));
    for (program, key, flags) in [
        ("to_dev", 1, 0),
        ("to_dev", 2, 2),
        ("to_dev", 3, 8),
        ("to_dev", 1, 32),
        ("to_dev_hash", 1000, 0),
        ("to_dev_hash", 1001, 1),
        ("to_cpu", 1, 0),
        ("to_cpu", 1, 8),
        ("to_cpu", 0, 3),
        ("to_xsk", 3, 0),
        ("to_xsk", 2, 2),
    ] {
        steps.push(run(OBJ, program, &args(key, flags, 14)));
    }
    steps
}

/// Family "maps" (issue 10): LPM_TRIE, QUEUE/STACK, LRU_PERCPU_HASH, ring and perf buffers
/// and spin locks, through every helper they add, including the error returns.
fn maps_family_steps() -> Vec<Step> {
    let route = |len: u32, addr: [u8; 4], value: Option<u32>| {
        let mut mem = [&len.to_ne_bytes()[..], &addr[..]].concat();
        if let Some(v) = value {
            mem.extend(v.to_ne_bytes());
        }
        mem
    };
    let mut steps = Vec::new();
    for (len, addr, value) in [
        (8, [10, 0, 0, 0], 1),
        (16, [10, 1, 0, 0], 2),
        (24, [10, 1, 2, 0], 3),
        (16, [10, 1, 9, 9], 4),
        (33, [10, 1, 2, 3], 5),
        (0, [0, 0, 0, 0], 6),
    ] {
        steps.push(run(
            "maps_lpm_queue.o",
            "route_add",
            &route(len, addr, Some(value)),
        ));
    }
    for addr in [[10, 1, 2, 3], [10, 1, 3, 3], [10, 2, 0, 0], [11, 0, 0, 0]] {
        steps.push(run("maps_lpm_queue.o", "route_lookup", &addr));
    }
    steps.push(run(
        "maps_lpm_queue.o",
        "route_del",
        &route(20, [10, 1, 0, 0], None),
    ));
    steps.push(run(
        "maps_lpm_queue.o",
        "route_del",
        &route(16, [10, 1, 0, 0], None),
    ));
    steps.push(run("maps_lpm_queue.o", "route_lookup", &[10, 1, 3, 3]));
    for i in 0..6u8 {
        steps.push(run(
            "maps_lpm_queue.o",
            "route_add",
            &route(32, [1, 1, 1, i], Some(9)),
        ));
    }
    let queue = |op: u32, flags: u32, value: u32| {
        [op.to_ne_bytes(), flags.to_ne_bytes(), value.to_ne_bytes()].concat()
    };
    for base in [0, 3] {
        for (flags, value) in [(0, 11), (0, 22), (0, 33), (0, 44), (1, 44), (2, 55)] {
            steps.push(run(
                "maps_lpm_queue.o",
                "queue_ops",
                &queue(base, flags, value),
            ));
        }
        for op in [2, 1, 1, 1, 1, 2] {
            steps.push(run(
                "maps_lpm_queue.o",
                "queue_ops",
                &queue(base + op, 0, 7),
            ));
        }
    }
    for len in [5, 5, 6] {
        steps.push(run("maps_lpm_queue.o", "count_recent", &vec![0; len]));
    }

    steps.push(run("events.o", "ring_output", &[1, 2, 3, 4, 5]));
    steps.push(run("events.o", "ring_reserve", &[8, 0]));
    steps.push(run("events.o", "ring_reserve", &[9]));
    steps.push(run("events.o", "ring_bad_flags", &[0]));
    steps.push(run("events.o", "ring_leak", &[0]));
    steps.push(run("events.o", "ring_reserve", &[2]));
    let perf = |index: u32, value: u32| [index.to_ne_bytes(), value.to_ne_bytes()].concat();
    for (index, value) in [(1, 0xaa), (0, 0xbb), (u32::MAX, 0xcc), (2, 0xdd)] {
        steps.push(run("events.o", "perf_indexed", &perf(index, value)));
    }
    let packet: Vec<u8> = (1..=20).collect();
    steps.push(run("events.o", "xdp_sample", &packet));
    // Fewer packet bytes than the program asks to append: EFAULT, so XDP_ABORTED.
    steps.push(run("events.o", "xdp_sample", &packet[..3]));

    steps.push(run("spin_lock.o", "locked_add", &[0; 3]));
    steps.push(run("spin_lock.o", "locked_add", &[0; 5]));

    // Maps of maps: slot 0 of `tenants` holds counters_a (`.values`); the host puts map 5
    // (counters_b) in slot 1 and map 3 (flow_tables.inner) in flow_tables[4]. Lookups go
    // through the returned inner map; results depend on its contents (a full table drops).
    let object = "map_in_map.o";
    for packet in [&[0u8, 1][..], &[1, 2], &[9, 0], &[0]] {
        steps.push(run(object, "count_by_tenant", packet));
    }
    steps.push(update(object, "tenants", 1, &5u32.to_le_bytes()));
    steps.push(run(object, "count_by_tenant", &[1, 2]));
    let flow = |tenant: u32, flow: u32| [tenant.to_le_bytes(), flow.to_le_bytes()].concat();
    steps.push(run(object, "count_flows", &flow(4, 1)));
    steps.push(update(object, "flow_tables", 4, &3u32.to_le_bytes()));
    for f in (0..18).chain([1, u32::MAX, 17]) {
        steps.push(run(object, "count_flows", &flow(4, f)));
    }
    steps
}

/// What a step gave: r0 and the data afterwards, or a map update's result, plus traces.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Outcome {
    text: String,
    traces: Vec<String>,
}

/// The steps for the stand-in runtime.
fn stand_in_steps(
    steps: &[Step],
    symbol_of: &dyn Fn(&Step) -> String,
    cases: &[Case],
) -> Vec<stand_in::Step> {
    steps
        .iter()
        .map(|step| {
            let sym = symbol_of(step);
            match step {
                Step::Run { program, data, .. } => stand_in::Step::run(&sym, Some(program), data),
                Step::Update {
                    map, key, value, ..
                } => stand_in::Step::update(&sym, map, key, value),
                Step::Conformance(c) => {
                    let case = &cases[*c];
                    let program = bpf2c_tests::conformance::program_name(case);
                    stand_in::Step::run(&sym, Some(&program), &case.memory)
                }
            }
        })
        .collect()
}

fn parse_driver_output(stdout: &str) -> BTreeMap<usize, Outcome> {
    stand_in::parse_output(stdout)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|(i, printed)| {
            (
                i,
                Outcome {
                    text: printed.line,
                    traces: printed.traces,
                },
            )
        })
        .collect()
}

/// The same steps through bpf2c-runtime (one CPU slot, like the driver).
fn runtime_outcomes(steps: &[Step]) -> BTreeMap<usize, Outcome> {
    let mut instances = BTreeMap::new();
    let mut out = BTreeMap::new();
    for (i, step) in steps.iter().enumerate() {
        let object = match step {
            Step::Run { object, .. } | Step::Update { object, .. } => *object,
            Step::Conformance(_) => continue,
        };
        let (inst, capture) = instances.entry(object).or_insert_with(|| {
            let capture = TraceCapture::new();
            let (_, inst) = pipeline::instance(
                object,
                Options::default().cpu_slots(1).trace_sink(capture.sink()),
            );
            (inst, capture)
        });
        let text = match step {
            Step::Run { program, data, .. } => {
                let prog = inst.program(program).unwrap();
                let mut data = data.clone();
                let r0 = inst.run(&prog, &mut data).unwrap();
                format!("r0 {r0} unwind 0 at 0 0 out {}-", hex::encode(&data))
            }
            Step::Update {
                map, key, value, ..
            } => {
                inst.map(map)
                    .unwrap()
                    .update(key, value, UpdateFlags::Any)
                    .unwrap();
                "update 0".to_string()
            }
            Step::Conformance(_) => unreachable!(),
        };
        out.insert(
            i,
            Outcome {
                text,
                traces: capture.take().into_iter().map(|r| r.text).collect(),
            },
        );
    }
    out
}

fn build_sanitized(compiler: &str, units: &[Unit], steps: &[stand_in::Step]) -> PathBuf {
    let flags: Vec<&str> = STRICT_FLAGS.iter().chain(SANITIZE_FLAGS).copied().collect();
    stand_in::build(&cc::Compiler::named(compiler), &flags, units, steps)
        .unwrap_or_else(|e| panic!("{compiler} with sanitizers:\n{e}"))
}

#[test]
fn programs_run_clean_under_ubsan_and_asan() {
    let mut steps = corpus_steps();
    let corpus_step_count = steps.len();
    let cases = load_suite();
    // Conformance programs that touch memory, the stack, calls or atomics.
    let interesting = |c: &Case| {
        c.notes.iter().any(|n| {
            matches!(
                n.as_str(),
                "memory-input" | "local-call" | "atomic" | "ldxs" | "helper-call"
            )
        })
    };
    let chosen: Vec<usize> = (0..cases.len())
        .filter(|&i| interesting(&cases[i]))
        .collect();
    steps.extend(chosen.iter().map(|&i| Step::Conformance(i)));

    // One unit per object (verified, optimized: the C `cargo bpf2c run` compiles) and per
    // chosen conformance program.
    let mut units = Vec::new();
    let mut symbols: BTreeMap<String, String> = BTreeMap::new();
    for step in &steps {
        if let Step::Run { object, .. } | Step::Update { object, .. } = step {
            if !symbols.contains_key(*object) {
                let obj = pipeline::load(object);
                units.push(Unit {
                    file: format!("{}.c", obj.name),
                    c_source: translate_verified(&obj).c_source,
                });
                symbols.insert(object.to_string(), module_symbol(&obj));
            }
        }
    }
    let mut case_symbols = BTreeMap::new();
    for &i in &chosen {
        let (symbol, unit) = translate_case(i, &cases[i]).unwrap();
        units.push(unit);
        case_symbols.insert(i, symbol);
    }
    let symbol_of = |s: &Step| match s {
        Step::Run { object, .. } | Step::Update { object, .. } => symbols[*object].clone(),
        Step::Conformance(i) => case_symbols[i].clone(),
    };
    let table = stand_in_steps(&steps, &symbol_of, &cases);
    let expected = runtime_outcomes(&steps);

    let mut compilers = vec![cc::gcc().to_string()];
    compilers.extend(cc::clang());
    for compiler in &compilers {
        let exe = build_sanitized(compiler, &units, &table);
        let out = Command::new(&exe)
            .env("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=0")
            .env("UBSAN_OPTIONS", "print_stacktrace=1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.trim().is_empty(),
            "{compiler}: the sanitized driver failed ({}):\n{stderr}\nlast output:\n{}",
            out.status,
            stdout.lines().rev().take(5).collect::<Vec<_>>().join("\n")
        );
        let got = parse_driver_output(&stdout);
        assert_eq!(got.len(), steps.len(), "{compiler}: every step reported");
        for (i, step) in steps.iter().enumerate() {
            let outcome = &got[&i];
            match step {
                Step::Conformance(c) => {
                    let case = &cases[*c];
                    let want = format!("r0 {} unwind 0 at 0 0 out ", case.result);
                    assert!(
                        outcome.text.starts_with(&want),
                        "{compiler}: conformance {}: {} (expected r0 {})",
                        case.name,
                        outcome.text,
                        case.result
                    );
                }
                _ => {
                    let what = match step {
                        Step::Run {
                            object, program, ..
                        } => format!("{object} {program}"),
                        Step::Update { object, map, .. } => format!("{object} update {map}"),
                        Step::Conformance(_) => unreachable!(),
                    };
                    assert_eq!(
                        outcome, &expected[&i],
                        "{compiler}: step {i} ({what}): sanitized driver vs bpf2c-runtime"
                    );
                }
            }
        }
        report(&format!(
            "toolchains: {compiler} -fsanitize=undefined,address: {corpus_step_count} corpus steps and {} conformance programs ran clean and matched",
            chosen.len()
        ));
    }
}

/// The sanitized build is only worth something if it catches errors: an unverified program
/// that reads past its 4-byte buffer must stop the driver with an address-sanitizer report.
#[test]
fn the_sanitized_driver_catches_an_out_of_bounds_read() {
    // r0 = *(u8 *)(r1 + 100); exit
    let bytecode = hex::decode("71106400000000009500000000000000").unwrap();
    let case = Case {
        name: "oob_read".into(),
        program: bytecode,
        memory: vec![1, 2, 3, 4],
        result: 0,
        notes: Vec::new(),
    };
    let (symbol, unit) = translate_case(0, &case).unwrap();
    let cases = vec![case];
    let steps = [Step::Conformance(0)];
    let table = stand_in_steps(&steps, &|_| symbol.clone(), &cases);
    let exe = build_sanitized(cc::gcc(), &[unit], &table);
    let out = Command::new(&exe)
        .env("ASAN_OPTIONS", "detect_leaks=0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "the out-of-bounds read went unnoticed"
    );
    assert!(stderr.contains("heap-buffer-overflow"), "{stderr}");
}

/// Damaged objects never panic the loader, verifier or translator: each truncation or byte
/// corruption either is refused with an error naming the file, or translates to C that
/// still compiles with the strict flags.
#[test]
fn damaged_objects_fail_cleanly_or_translate_to_valid_c() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut units = Vec::new();
    let (mut refused, mut total) = (0, 0);
    for path in corpus_objects() {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        for variant in 0..16 {
            let mut damaged = bytes.clone();
            if variant < 4 {
                damaged.truncate(next() as usize % bytes.len());
            } else {
                for _ in 0..1 + next() % 3 {
                    let at = next() as usize % damaged.len();
                    damaged[at] = next() as u8;
                }
            }
            let label = format!("{name}_v{variant}");
            let fake = PathBuf::from(format!("{label}.o"));
            total += 1;
            let result = std::panic::catch_unwind(|| -> Result<String, String> {
                let obj =
                    bpf2c::object::elf::load_elf(&damaged, &fake).map_err(|e| e.to_string())?;
                let opts = TranslateOptions {
                    module_symbol: Some(format!("bpf2c_damaged_{}", obj.name)),
                    ..TranslateOptions::default()
                };
                match translate(&obj, &opts) {
                    Ok(t) => Ok(t.c_source),
                    Err(TranslateError::Refused(verdicts)) => {
                        // Verification refusals name the object in each diagnostic.
                        let diags: Vec<_> = verdicts.iter().flat_map(|v| &v.diagnostics).collect();
                        assert!(!diags.is_empty(), "{label}: refused without a diagnostic");
                        Err(diags
                            .iter()
                            .map(|d| d.object.clone())
                            .collect::<Vec<_>>()
                            .join(" "))
                    }
                    Err(TranslateError::Codegen(e)) => Err(e.to_string()),
                }
            });
            match result {
                Err(_) => panic!("{label}: the pipeline panicked on a damaged object"),
                Ok(Err(text)) => {
                    refused += 1;
                    assert!(
                        text.contains(&label),
                        "{label}: error does not name the file: {text}"
                    );
                }
                // Big-endian C refuses this host by design (see above).
                Ok(Ok(_)) if name.ends_with("_be") => {}
                Ok(Ok(c_source)) => units.push(Unit {
                    file: format!("{label}.c"),
                    c_source,
                }),
            }
        }
    }
    let translated = units.len();
    cc::compile_check(cc::gcc(), STRICT_FLAGS, &units)
        .unwrap_or_else(|e| panic!("C from a damaged object does not compile:\n{e}"));
    report(&format!(
        "toolchains: {total} damaged objects: {refused} refused cleanly, {translated} translated to C that compiles"
    ));
}
