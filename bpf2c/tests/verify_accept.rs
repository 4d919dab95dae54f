//! The accept suite: every program of every example and test object in the repository
//! verifies, except the `err_*` objects, which the loader must refuse before verification,
//! and the `fail_*` objects, which load but must fail verification. Example objects are
//! verified with the helpers their package declares in `[package.metadata.bpf2c]`.
//! Objects added later under `tests/bpf/`, `tests/bpf/facts/` or `examples/*/bpf/` join the
//! suite without a change here.

use crate::support;

use std::path::PathBuf;

use bpf2c::object::InsnRef;
use bpf2c::object::{load_file, InputFormat};
use bpf2c::verify::{verify_object, VerifyOptions};
use support::{example_object_dirs, helpers_for, objects_in, repo};

/// What the suite expects of an object, from its name.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Expect {
    Verifies,
    /// `err_*`: refused by the loader.
    LoadError,
    /// `fail_*`: loads, fails verification.
    Refused,
}

/// Every object the suite covers, and what it must do.
fn corpus() -> Vec<(PathBuf, Expect)> {
    let mut dirs = vec!["tests/bpf".to_string(), "tests/bpf/facts".to_string()];
    dirs.extend(example_object_dirs());
    dirs.iter()
        .flat_map(|d| objects_in(d))
        .map(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            // Objects that used to be refused whole and now load for verification: their
            // programs verify (kprobe, ring buffer, LD_ABS) or are refused one by one (CO-RE).
            let verifies_now = ["err_section.o", "err_ringbuf.o"];
            let expect = if name == "maps_only.o" {
                // An object without any program is an error.
                Expect::LoadError
            } else if name == "err_core.o"
                || name == "err_ld_abs.o"
                || name.starts_with("custom_section_")
            {
                // custom_section_*: verify only with the program type given by
                // `--program-type` (cargo-bpf2c's verify_cli tests); by section name they fail.
                Expect::Refused
            } else if verifies_now.contains(&name.as_str()) {
                Expect::Verifies
            } else if name.starts_with("err_") {
                Expect::LoadError
            } else if name.starts_with("fail_") {
                Expect::Refused
            } else {
                Expect::Verifies
            };
            (p, expect)
        })
        .collect()
}

#[test]
fn every_program_of_every_object_verifies() {
    let corpus = corpus();
    assert!(
        corpus
            .iter()
            .filter(|(_, e)| *e == Expect::Verifies)
            .count()
            >= 15,
        "the corpus looks incomplete: {corpus:?}"
    );
    let mut failures = Vec::new();
    let mut programs = 0;
    for (path, _) in corpus.iter().filter(|(_, e)| *e == Expect::Verifies) {
        let obj = match load_file(path, InputFormat::Elf) {
            Ok(o) => o,
            Err(e) => {
                failures.push(format!("{}: does not load: {e}", path.display()));
                continue;
            }
        };
        let opts = VerifyOptions {
            helpers: helpers_for(path),
            ..VerifyOptions::default()
        };
        for v in verify_object(&obj, &opts) {
            programs += 1;
            if !v.verified {
                let why: Vec<String> = v.diagnostics.iter().map(|d| d.to_string()).collect();
                failures.push(why.join("\n"));
                continue;
            }
            assert!(v.diagnostics.is_empty());
            // A verified program has facts, and its first instruction is reached.
            let facts = v.facts.as_ref().expect("facts of a verified program");
            let entry = obj.program(&v.program).unwrap().entry;
            let first = InsnRef {
                function: entry,
                insn: 0,
            };
            assert!(
                facts.insns[&first].reached,
                "{}: entry unreached",
                v.program
            );
            assert!(v.instructions > 0);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(programs >= 40, "only {programs} programs verified");
}

#[test]
fn err_objects_fail_to_load_with_a_located_reason() {
    let errs: Vec<PathBuf> = corpus()
        .into_iter()
        .filter_map(|(p, e)| (e == Expect::LoadError).then_some(p))
        .collect();
    assert!(errs.len() >= 6, "{errs:?}");
    for path in errs {
        match load_file(&path, InputFormat::Elf) {
            // A problem confined to one program refuses that program, located.
            Ok(obj) => {
                let refusal = obj.programs.iter().find_map(|p| p.refusal.as_ref());
                let e = refusal.unwrap_or_else(|| panic!("{}: nothing refused", path.display()));
                assert!(
                    e.location.section.is_some() && e.location.function.is_some(),
                    "{e}"
                );
            }
            Err(e) => {
                assert_eq!(e.location.file, path);
                assert!(!e.message.is_empty());
                // "no program at all" concerns the whole object, not a section.
                assert!(
                    e.location.section.is_some() || e.message.contains("holds no program"),
                    "{}: the error names no section: {e}",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn fail_objects_load_but_fail_verification() {
    let fails: Vec<PathBuf> = corpus()
        .into_iter()
        .filter_map(|(p, e)| (e == Expect::Refused).then_some(p))
        .collect();
    assert!(fails.len() >= 2, "{fails:?}");
    for path in fails {
        let obj = load_file(&path, InputFormat::Elf).unwrap();
        let verdicts = verify_object(&obj, &VerifyOptions::default());
        assert!(
            verdicts
                .iter()
                .any(|v| !v.verified && v.diagnostics.iter().any(|d| d.insn.is_some())),
            "{}: expected a located verification failure",
            path.display()
        );
    }
}

// ---------------------------------------------------------------------------------------
// What real toolchains produce: section forms, map classes, Linux helpers, legacy packet
// loads. Each program must verify as the type its section gives, and `gen`/`run` must name
// every piece the runtime lacks.
// ---------------------------------------------------------------------------------------

/// Verifies every program of `rel` and returns (program, section, program type, verified).
fn verdicts_of(rel: &str) -> Vec<(String, String, String, bool)> {
    let obj = support::load(rel);
    verify_object(&obj, &VerifyOptions::default())
        .into_iter()
        .map(|v| (v.program, v.section, v.program_type, v.verified))
        .collect()
}

fn expect_verdicts(rel: &str, want: &[(&str, &str, &str)]) {
    let got = verdicts_of(rel);
    let want: Vec<(String, String, String, bool)> = want
        .iter()
        .map(|&(p, s, t)| (p.into(), s.into(), t.into(), true))
        .collect();
    assert_eq!(got, want, "{rel}");
}

/// The error gen and run give for `rel`, split into its pieces.
fn missing_pieces_of(rel: &str) -> Vec<String> {
    let obj = support::load(rel);
    let e = bpf2c::runnable::check_runnable(&obj, &bpf2c::helpers::HelperSet::standard())
        .expect_err("the runtime cannot run it");
    assert!(e.location.file.ends_with(rel), "{e}");
    let prefix = "the runtime cannot run this object: ";
    assert!(e.message.starts_with(prefix), "{e}");
    e.message[prefix.len()..]
        .split("; ")
        .map(str::to_string)
        .collect()
}

#[test]
fn every_section_form_verifies_as_the_program_type_it_names() {
    expect_verdicts(
        "tests/bpf/sections.o",
        &[
            ("tc_len", "tc", "sched_cls"),
            ("classifier_mark", "classifier", "sched_cls"),
            ("socket_keep", "socket", "socket_filter"),
            ("kprobe_open", "kprobe/do_sys_openat2", "kprobe"),
            ("kretprobe_open", "kretprobe/do_sys_openat2", "kprobe"),
            // libbpf attaches uprobes through the kprobe program type.
            ("uprobe_readline", "uprobe//bin/bash:readline", "kprobe"),
            (
                "uretprobe_readline",
                "uretprobe//bin/bash:readline",
                "kprobe",
            ),
            (
                "tracepoint_write",
                "tracepoint/syscalls/sys_enter_write",
                "tracepoint",
            ),
            (
                "raw_tracepoint_enter",
                "raw_tracepoint/sys_enter",
                "raw_tracepoint",
            ),
            ("perf_sample", "perf_event", "perf_event"),
            ("cgroup_skb_allow", "cgroup_skb/ingress", "cgroup_skb"),
            ("cgroup_sock_allow", "cgroup/sock_create", "cgroup_sock"),
            (
                "cgroup_connect_allow",
                "cgroup/connect4",
                "cgroup_sock_addr",
            ),
            ("sockops_seen", "sockops", "sock_ops"),
            ("sk_skb_parse", "sk_skb/stream_parser", "sk_skb"),
            ("sk_msg_pass", "sk_msg", "sk_msg"),
            ("lwt_in_pass", "lwt_in", "lwt_in"),
            ("lwt_xmit_pass", "lwt_xmit", "lwt_xmit"),
            ("xdp1_pass", "xdp1", "xdp"),
            ("xdp_prog_drop", "xdp_prog", "xdp"),
        ],
    );
    // The legacy XDP names, tc, socket filters and cgroup skb run here; every other type is
    // verified only, and gen says so for each program.
    let missing = missing_pieces_of("tests/bpf/sections.o");
    assert_eq!(missing.len(), 14, "{missing:#?}");
    assert!(missing.contains(
        &"program 'uretprobe_readline': program type kprobe is verified but cannot run here"
            .to_string()
    ));
    for runs in [
        "xdp1_pass",
        "tc_len",
        "classifier_mark",
        "socket_keep",
        "cgroup_skb_allow",
    ] {
        assert!(!missing.iter().any(|m| m.contains(runs)), "{runs}");
    }
}

#[test]
fn a_program_attached_through_kernel_btf_is_refused_alone_and_located() {
    let obj = support::load("tests/bpf/err_fentry.o");
    let verdicts = verify_object(&obj, &VerifyOptions::default());
    let [fentry, kprobe] = verdicts.as_slice() else {
        panic!("two programs expected: {verdicts:#?}");
    };
    assert_eq!(
        (
            fentry.program.as_str(),
            fentry.section.as_str(),
            fentry.verified
        ),
        ("on_unlink", "fentry/do_unlinkat", false)
    );
    let [d] = fentry.diagnostics.as_slice() else {
        panic!("one diagnostic expected: {:#?}", fentry.diagnostics);
    };
    assert_eq!(d.program, "on_unlink");
    assert!(
        d.message
            .starts_with("programs of section 'fentry/...' attach through the kernel's BTF")
            && d.message.ends_with("the program type needs kernel BTF"),
        "{d}"
    );
    // The loader's refusal names section and function.
    let refusal = obj.program("on_unlink").unwrap().refusal.as_ref().unwrap();
    assert_eq!(
        refusal.location.section.as_deref(),
        Some("fentry/do_unlinkat")
    );
    assert_eq!(refusal.location.function.as_deref(), Some("on_unlink"));
    // The other program of the object is unaffected.
    assert_eq!(
        (
            kprobe.program.as_str(),
            kprobe.program_type.as_str(),
            kprobe.verified
        ),
        ("probe_unlink", "kprobe", true)
    );
}

#[test]
fn every_map_class_verifies_and_gen_names_each_map_the_runtime_lacks() {
    expect_verdicts(
        "tests/bpf/map_kinds.o",
        &[
            ("emit_len", "tc", "sched_cls"),
            ("route", "xdp", "xdp"),
            ("count_nested", "xdp", "xdp"),
        ],
    );
    let obj = support::load("tests/bpf/map_kinds.o");
    let map = |name: &str| {
        obj.maps
            .iter()
            .position(|m| m.name == name)
            .unwrap_or_else(|| panic!("no map '{name}'"))
    };
    // Each map of maps points at a template of its BTF inner definition (array of 8 u64).
    for outer in ["counts_by_slot", "counts_by_id", "counts_preset"] {
        let inner = obj.maps[map(outer)].inner_map.expect("an inner map");
        let template = &obj.maps[inner];
        assert_eq!(template.name, format!("{outer}.inner"));
        assert!(template.is_inner_template);
        assert_eq!(
            (
                template.def.map_type.name(),
                template.def.value_size,
                template.def.max_entries
            ),
            ("BPF_MAP_TYPE_ARRAY".to_string(), 8, 8)
        );
    }
    // `.values` fills slot 0 of counts_preset with counts_slot0.
    assert_eq!(
        obj.maps[map("counts_preset")].initial_maps,
        vec![(0, map("counts_slot0"))]
    );
    // Every map class of the object runs here: PERF_EVENT_ARRAY, RINGBUF, LPM_TRIE and the
    // maps of maps (family "maps", issue 10), the redirect maps, and the inner templates.
    let missing = bpf2c::runnable::missing_pieces(&obj, &bpf2c::helpers::HelperSet::standard());
    assert!(missing.is_empty(), "{missing:#?}");
}

#[test]
fn a_legacy_map_of_maps_finds_its_inner_map_across_sections() {
    expect_verdicts(
        "tests/bpf/legacy_map_in_map.o",
        &[("read_nested", "socket", "socket_filter")],
    );
    let obj = support::load("tests/bpf/legacy_map_in_map.o");
    let names: Vec<&str> = obj.maps.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["outer", "inner"]);
    assert_eq!(obj.maps[0].inner_map, Some(1));
}

#[test]
fn linux_helpers_verify_and_gen_names_each_helper_the_runtime_lacks() {
    expect_verdicts(
        "tests/bpf/tracing_helpers.o",
        &[
            ("trace_open", "kprobe/do_sys_openat2", "kprobe"),
            ("lower_ttl", "tc", "sched_cls"),
            ("probe_read_number", "raw", "raw"),
        ],
    );
    let missing = missing_pieces_of("tests/bpf/tracing_helpers.o");
    assert_eq!(
        missing,
        [
            "program 'trace_open': program type kprobe is verified but cannot run here",
            "helper 4 (bpf_probe_read) is not provided by this runtime: provide it as a custom \
             helper",
            "helper 16 (bpf_get_current_comm) is not provided by this runtime: provide it as a \
             custom helper",
            "helper 113 (bpf_probe_read_kernel) is not provided by this runtime: provide it as \
             a custom helper",
        ]
    );
}

#[test]
fn legacy_packet_loads_verify_and_run_in_socket_filters() {
    expect_verdicts(
        "tests/bpf/packet_ld_abs.o",
        &[("ld_abs_ind", "socket", "socket_filter")],
    );
    let obj = support::load("tests/bpf/packet_ld_abs.o");
    assert_eq!(
        bpf2c::runnable::missing_pieces(&obj, &bpf2c::helpers::HelperSet::standard()),
        Vec::<String>::new()
    );
    // In a program whose context is no socket buffer, the same load is refused, located.
    let obj = support::load("tests/bpf/err_ld_abs.o");
    let v = verify_object(&obj, &VerifyOptions::default());
    assert!(!v[0].verified);
    assert!(v[0].diagnostics.iter().all(|d| d.insn.is_some()), "{v:#?}");
}

#[test]
fn a_text_only_object_lists_its_uncalled_functions_as_programs() {
    expect_verdicts(
        "tests/bpf/text_only.o",
        &[("text_entry", ".text", "socket_filter")],
    );
}

#[test]
fn an_object_without_programs_is_an_error_naming_the_file() {
    let path = repo().join("tests/bpf/maps_only.o");
    let e = load_file(&path, InputFormat::Elf).expect_err("no program to verify");
    assert_eq!(e.location.file, path);
    assert!(e.message.starts_with("the object holds no program"), "{e}");
}
