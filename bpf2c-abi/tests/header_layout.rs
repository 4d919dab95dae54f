//! The Rust side of the ABI against the C compiler's view of the headers it restates:
//! `bpf2c.h` (the mirrors in `ffi` and the XDP tables in `context`), and Linux's UAPI
//! `linux/bpf.h` (helper ids, map and program types, context layouts) when the machine has
//! it. Uses the host C compiler (`$CC`, else `cc`), which any gcc or clang provides.

use std::collections::BTreeMap;
use std::mem::{align_of, offset_of, size_of};
use std::path::{Path, PathBuf};
use std::process::Command;

use bpf2c_abi::context::{CtxLayout, SKB_NATIVE, SK_BUFF, XDP_MD, XDP_NATIVE};
use bpf2c_abi::ffi::*;
use bpf2c_abi::helper::LINUX_HELPERS;
use bpf2c_abi::map::LINUX_MAP_TYPES;
use bpf2c_abi::program::LINUX_PROG_TYPES;

/// A scratch directory of this test process, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "bpf2c-abi-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Compiles `source` with the host C compiler (warnings are errors; `pedantic` for strict ISO
/// C, which bpf2c.h keeps and linux/bpf.h's GNU macros do not) and runs it. Err holds the
/// compiler's diagnostics when it refuses the source.
fn compile_and_run(tag: &str, source: &Path, pedantic: bool) -> Result<String, String> {
    let scratch = Scratch::new(tag);
    let exe = scratch.0.join("layout");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let out = Command::new(&cc)
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror"])
        .args(pedantic.then_some("-Wpedantic"))
        .arg("-o")
        .arg(&exe)
        .arg("-I")
        .arg(bpf2c_abi::include_dir())
        .arg(source)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the C compiler '{cc}': {e}"));
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let run = Command::new(&exe).output().unwrap();
    assert!(run.status.success(), "{} failed", exe.display());
    Ok(String::from_utf8(run.stdout).unwrap())
}

/// "name value" lines into a map; names may contain spaces, values never do.
fn parse(output: &str) -> BTreeMap<String, u64> {
    output
        .lines()
        .map(|line| {
            let (name, value) = line.rsplit_once(' ').unwrap();
            (name.to_string(), value.parse().unwrap())
        })
        .collect()
}

/// What the C compiler says about bpf2c.h, keyed by the names tests/layout.c uses.
fn c_layout() -> BTreeMap<String, u64> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/layout.c");
    parse(&compile_and_run("bpf2c-h", &source, true).unwrap_or_else(|e| panic!("{e}")))
}

macro_rules! layout {
    ($out:ident; $c:literal: $t:ty { $($cf:literal => $f:ident),* $(,)? }) => {
        $out.insert(concat!("sizeof ", $c).to_string(), size_of::<$t>() as u64);
        $out.insert(concat!("alignof ", $c).to_string(), align_of::<$t>() as u64);
        $( $out.insert(concat!($c, ".", $cf).to_string(), offset_of!($t, $f) as u64); )*
    };
}

fn rust_layout() -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    layout!(m; "bpf2c_map_data_t": bpf2c_map_data_t {
        "version" => version, "size" => size, "address" => address,
        "array_data" => array_data, "cpu_stride" => cpu_stride, "lookup" => lookup,
    });
    layout!(m; "bpf2c_runtime_context_t": bpf2c_runtime_context_t {
        "version" => version, "size" => size, "helpers" => helpers,
        "map_data" => map_data, "helper_by_id" => helper_by_id,
    });
    layout!(m; "bpf2c_invocation_t": bpf2c_invocation_t {
        "runtime" => runtime, "context" => context, "loop_budget" => loop_budget,
        "unwind" => unwind, "cpu" => cpu, "unwind_pc" => unwind_pc,
        "unwind_function" => unwind_function, "tail_call_count" => tail_call_count,
        "tail_call_target" => tail_call_target, "host" => host,
        "prandom" => prandom,
    });
    layout!(m; "bpf2c_prandom_t": bpf2c_prandom_t {
        "state" => state, "shared" => shared, "reserved" => reserved,
    });
    layout!(m; "bpf2c_xdp_md_t": bpf2c_xdp_md_t {
        "data" => data, "data_end" => data_end, "data_meta" => data_meta,
        "ingress_ifindex" => ingress_ifindex, "rx_queue_index" => rx_queue_index,
        "egress_ifindex" => egress_ifindex,
    });
    layout!(m; "bpf2c_xdp_context_t": bpf2c_xdp_context_t {
        "data" => data, "data_end" => data_end, "data_meta" => data_meta,
        "ingress_ifindex" => ingress_ifindex, "rx_queue_index" => rx_queue_index,
        "egress_ifindex" => egress_ifindex, "reserved" => reserved,
    });
    layout!(m; "bpf2c_skb_context_t": bpf2c_skb_context_t {
        "data" => data, "data_end" => data_end, "data_meta" => data_meta, "len" => len,
        "pkt_type" => pkt_type, "mark" => mark, "queue_mapping" => queue_mapping,
        "protocol" => protocol, "vlan_present" => vlan_present, "vlan_tci" => vlan_tci,
        "vlan_proto" => vlan_proto, "priority" => priority,
        "ingress_ifindex" => ingress_ifindex, "ifindex" => ifindex, "tc_index" => tc_index,
        "cb" => cb, "hash" => hash, "tc_classid" => tc_classid, "napi_id" => napi_id,
        "family" => family, "remote_ip4" => remote_ip4, "local_ip4" => local_ip4,
        "remote_ip6" => remote_ip6, "local_ip6" => local_ip6, "remote_port" => remote_port,
        "local_port" => local_port, "wire_len" => wire_len, "gso_segs" => gso_segs,
        "gso_size" => gso_size, "tstamp" => tstamp, "hwtstamp" => hwtstamp,
        "flow_keys" => flow_keys, "sk" => sk, "tstamp_type" => tstamp_type,
        "reserved" => reserved,
    });
    layout!(m; "bpf2c_map_definition_t": bpf2c_map_definition_t {
        "type" => r#type, "key_size" => key_size, "value_size" => value_size,
        "max_entries" => max_entries, "map_flags" => map_flags,
    });
    layout!(m; "bpf2c_map_entry_t": bpf2c_map_entry_t {
        "name" => name, "definition" => definition, "flags" => flags,
        "initial_data_size" => initial_data_size, "initial_data" => initial_data,
        "initial_program_count" => initial_program_count, "inner_map" => inner_map,
        "initial_programs" => initial_programs,
    });
    layout!(m; "bpf2c_map_initial_program_t": bpf2c_map_initial_program_t {
        "index" => index, "program" => program,
    });
    layout!(m; "bpf2c_helper_entry_t": bpf2c_helper_entry_t { "id" => id, "name" => name });
    layout!(m; "bpf2c_program_entry_t": bpf2c_program_entry_t {
        "name" => name, "section" => section, "program_type" => program_type,
        "instruction_count" => instruction_count, "function" => function,
    });
    layout!(m; "bpf2c_function_entry_t": bpf2c_function_entry_t { "name" => name });
    layout!(m; "bpf2c_map_assumption_t": bpf2c_map_assumption_t {
        "map" => map, "uses" => uses, "definition" => definition,
        "reserved" => reserved, "stride" => stride,
    });
    layout!(m; "bpf2c_module_t": bpf2c_module_t {
        "magic" => magic, "abi_version" => abi_version, "module_size" => module_size,
        "map_data_version" => map_data_version, "map_data_size" => map_data_size,
        "runtime_context_size" => runtime_context_size,
        "invocation_size" => invocation_size, "flags" => flags, "name" => name,
        "maps" => maps, "map_count" => map_count, "helper_count" => helper_count,
        "helpers" => helpers, "programs" => programs, "program_count" => program_count,
        "function_count" => function_count, "functions" => functions,
        "map_assumption_count" => map_assumption_count, "reserved" => reserved,
        "map_assumptions" => map_assumptions,
    });
    let consts: &[(&str, u64)] = &[
        ("BPF2C_PRANDOM_GAMMA", BPF2C_PRANDOM_GAMMA),
        ("BPF2C_MAX_XDP_PACKET", BPF2C_MAX_XDP_PACKET.into()),
        ("BPF2C_MAX_SKB_PACKET", BPF2C_MAX_SKB_PACKET.into()),
        ("BPF2C_MAX_RAW_DATA", BPF2C_MAX_RAW_DATA.into()),
        ("BPF2C_ABI_MAGIC", BPF2C_ABI_MAGIC.into()),
        ("BPF2C_ABI_VERSION", BPF2C_ABI_VERSION.into()),
        ("BPF2C_MAP_DATA_VERSION", BPF2C_MAP_DATA_VERSION.into()),
        (
            "BPF2C_RUNTIME_CONTEXT_VERSION",
            BPF2C_RUNTIME_CONTEXT_VERSION.into(),
        ),
        ("BPF2C_STACK_SIZE", BPF2C_STACK_SIZE.into()),
        ("BPF2C_MAX_CALL_DEPTH", BPF2C_MAX_CALL_DEPTH.into()),
        ("BPF2C_MAX_TAIL_CALLS", BPF2C_MAX_TAIL_CALLS.into()),
        ("BPF2C_ARRAY_STRIDE(12)", array_stride(12)),
        ("BPF2C_ARRAY_STRIDE(16)", array_stride(16)),
        ("BPF2C_MAP_TYPE_HASH", BPF2C_MAP_TYPE_HASH.into()),
        ("BPF2C_MAP_TYPE_ARRAY", BPF2C_MAP_TYPE_ARRAY.into()),
        (
            "BPF2C_MAP_TYPE_PROG_ARRAY",
            BPF2C_MAP_TYPE_PROG_ARRAY.into(),
        ),
        (
            "BPF2C_MAP_TYPE_PERCPU_HASH",
            BPF2C_MAP_TYPE_PERCPU_HASH.into(),
        ),
        (
            "BPF2C_MAP_TYPE_PERCPU_ARRAY",
            BPF2C_MAP_TYPE_PERCPU_ARRAY.into(),
        ),
        ("BPF2C_MAP_TYPE_LRU_HASH", BPF2C_MAP_TYPE_LRU_HASH.into()),
        ("BPF2C_MAP_TYPE_DEVMAP", BPF2C_MAP_TYPE_DEVMAP.into()),
        ("BPF2C_MAP_TYPE_CPUMAP", BPF2C_MAP_TYPE_CPUMAP.into()),
        ("BPF2C_MAP_TYPE_XSKMAP", BPF2C_MAP_TYPE_XSKMAP.into()),
        (
            "BPF2C_MAP_TYPE_DEVMAP_HASH",
            BPF2C_MAP_TYPE_DEVMAP_HASH.into(),
        ),
        ("BPF2C_PROG_TYPE_RAW", BPF2C_PROG_TYPE_RAW.into()),
        ("BPF2C_PROG_TYPE_XDP", BPF2C_PROG_TYPE_XDP.into()),
        (
            "BPF2C_PROG_TYPE_SOCKET_FILTER",
            BPF2C_PROG_TYPE_SOCKET_FILTER.into(),
        ),
        (
            "BPF2C_PROG_TYPE_SCHED_CLS",
            BPF2C_PROG_TYPE_SCHED_CLS.into(),
        ),
        (
            "BPF2C_PROG_TYPE_SCHED_ACT",
            BPF2C_PROG_TYPE_SCHED_ACT.into(),
        ),
        (
            "BPF2C_PROG_TYPE_CGROUP_SKB",
            BPF2C_PROG_TYPE_CGROUP_SKB.into(),
        ),
        ("BPF2C_MAP_F_GLOBAL_DATA", BPF2C_MAP_F_GLOBAL_DATA.into()),
        ("BPF2C_MAP_F_READ_ONLY", BPF2C_MAP_F_READ_ONLY.into()),
        ("BPF2C_MAP_F_INLINED", BPF2C_MAP_F_INLINED.into()),
        ("BPF2C_MAP_USE_ARRAY_DATA", BPF2C_MAP_USE_ARRAY_DATA.into()),
        ("BPF2C_MAP_USE_LOOKUP", BPF2C_MAP_USE_LOOKUP.into()),
        ("BPF2C_MODULE_F_VERIFIED", BPF2C_MODULE_F_VERIFIED.into()),
        ("BPF2C_MODULE_F_OPTIMIZED", BPF2C_MODULE_F_OPTIMIZED.into()),
        ("BPF2C_UNWIND_NONE", BPF2C_UNWIND_NONE.into()),
        ("BPF2C_UNWIND_TAIL_CALL", BPF2C_UNWIND_TAIL_CALL.into()),
        ("BPF2C_UNWIND_LOOP_BUDGET", BPF2C_UNWIND_LOOP_BUDGET.into()),
        ("BPF2C_UNWIND_BAD_HELPER", BPF2C_UNWIND_BAD_HELPER.into()),
        // Family "maps" (issue 10).
        (
            "BPF2C_MAP_TYPE_LRU_PERCPU_HASH",
            BPF2C_MAP_TYPE_LRU_PERCPU_HASH.into(),
        ),
        ("BPF2C_MAP_TYPE_LPM_TRIE", BPF2C_MAP_TYPE_LPM_TRIE.into()),
        ("BPF2C_MAP_TYPE_QUEUE", BPF2C_MAP_TYPE_QUEUE.into()),
        ("BPF2C_MAP_TYPE_STACK", BPF2C_MAP_TYPE_STACK.into()),
        (
            "BPF2C_MAP_TYPE_PERF_EVENT_ARRAY",
            BPF2C_MAP_TYPE_PERF_EVENT_ARRAY.into(),
        ),
        ("BPF2C_MAP_TYPE_RINGBUF", BPF2C_MAP_TYPE_RINGBUF.into()),
        (
            "BPF2C_MAP_TYPE_ARRAY_OF_MAPS",
            BPF2C_MAP_TYPE_ARRAY_OF_MAPS.into(),
        ),
        (
            "BPF2C_MAP_TYPE_HASH_OF_MAPS",
            BPF2C_MAP_TYPE_HASH_OF_MAPS.into(),
        ),
        ("BPF2C_UNWIND_PACKET_LOAD", BPF2C_UNWIND_PACKET_LOAD.into()),
    ];
    for (name, value) in consts {
        m.insert(name.to_string(), *value);
    }
    m
}

#[test]
fn rust_mirrors_match_the_c_compiler() {
    let c = c_layout();
    let rust = rust_layout();
    for (name, value) in &c {
        assert_eq!(rust.get(name), Some(value), "{name}: C says {value}");
    }
    let only_rust: Vec<_> = rust.keys().filter(|k| !c.contains_key(*k)).collect();
    assert!(only_rust.is_empty(), "not in tests/layout.c: {only_rust:?}");
    // The table must really cover the header, not be trivially empty.
    assert!(c.len() > 100, "only {} layout entries", c.len());
    assert_eq!(c["sizeof bpf2c_map_data_t"], 40);
    assert_eq!(c["bpf2c_invocation_t.host"], 48);
    assert_eq!(c["sizeof bpf2c_map_assumption_t"], 40);
    assert_eq!(c["bpf2c_module_t.map_assumption_count"], 88);
    assert_eq!(c["sizeof bpf2c_module_t"], 104);
}

/// A context table against the header struct that defines it, by the C compiler's offsets.
fn check_table_against_c(c: &BTreeMap<String, u64>, table: &CtxLayout, c_struct: &str) {
    assert_eq!(
        c[&format!("sizeof {c_struct}")],
        u64::from(table.size),
        "{c_struct}"
    );
    let c_fields: Vec<&str> = c
        .keys()
        .filter_map(|k| k.strip_prefix(&format!("{c_struct}.")))
        .collect();
    let mut table_fields: Vec<&str> = table.fields.iter().map(|f| f.name).collect();
    table_fields.sort_unstable();
    assert_eq!(table_fields, c_fields, "{c_struct}: fields");
    for f in table.fields {
        let offset = c[&format!("{c_struct}.{}", f.name)];
        assert_eq!(u64::from(f.offset), offset, "{c_struct}.{}", f.name);
    }
}

#[test]
fn xdp_tables_match_the_header() {
    let c = c_layout();
    check_table_against_c(&c, &XDP_MD, "bpf2c_xdp_md_t");
    check_table_against_c(&c, &XDP_NATIVE, "bpf2c_xdp_context_t");
    check_table_against_c(&c, &SKB_NATIVE, "bpf2c_skb_context_t");
    assert_eq!(
        u64::from(SKB_NATIVE.size),
        size_of::<bpf2c_skb_context_t>() as u64
    );
    // Field sizes through the Rust mirrors, whose layout the test above ties to C.
    let md = bpf2c_xdp_md_t::default();
    let native = bpf2c_xdp_context_t::default();
    let sizes_md = [
        ("data", size_of_val(&md.data)),
        ("data_end", size_of_val(&md.data_end)),
        ("data_meta", size_of_val(&md.data_meta)),
        ("ingress_ifindex", size_of_val(&md.ingress_ifindex)),
        ("rx_queue_index", size_of_val(&md.rx_queue_index)),
        ("egress_ifindex", size_of_val(&md.egress_ifindex)),
    ];
    for (name, size) in sizes_md {
        assert_eq!(XDP_MD.field(name).unwrap().size as usize, size, "{name}");
    }
    let sizes_native = [
        ("data", size_of_val(&native.data)),
        ("data_end", size_of_val(&native.data_end)),
        ("data_meta", size_of_val(&native.data_meta)),
        ("ingress_ifindex", size_of_val(&native.ingress_ifindex)),
        ("rx_queue_index", size_of_val(&native.rx_queue_index)),
        ("egress_ifindex", size_of_val(&native.egress_ifindex)),
        ("reserved", size_of_val(&native.reserved)),
    ];
    for (name, size) in sizes_native {
        assert_eq!(
            XDP_NATIVE.field(name).unwrap().size as usize,
            size,
            "{name}"
        );
    }
}

/// Writes a C program that prints, for the machine's linux/bpf.h, every helper id (through
/// the header's own helper list) and the given enum constants and context layouts.
fn uapi_program(dir: &Path, enums: &[&str], layouts: &[&CtxLayout]) -> PathBuf {
    let mut c = String::from(
        "#include <stddef.h>\n#include <stdio.h>\n#include <linux/bpf.h>\n\
         static void rec(const char *name, unsigned long long value)\n\
         { printf(\"%s %llu\\n\", name, value); }\n\
         /* Linux 6.2 gave the helper list explicit ids and dropped its commas. */\n\
         #ifdef ___BPF_FUNC_MAPPER\n\
         #define HELPER(name, ...) rec(\"bpf_\" #name, BPF_FUNC_##name);\n\
         #else\n\
         #define HELPER(name, ...) rec(\"bpf_\" #name, BPF_FUNC_##name)\n\
         #endif\n\
         int main(void)\n{\n\
         #ifdef ___BPF_FUNC_MAPPER\n    __BPF_FUNC_MAPPER(HELPER)\n\
         #else\n    __BPF_FUNC_MAPPER(HELPER) 0;\n#endif\n\
",
    );
    for e in enums {
        c += &format!("    rec(\"{e}\", {e});\n");
    }
    for l in layouts {
        let t = l.c_name;
        c += &format!("    rec(\"sizeof {t}\", sizeof({t}));\n");
        for f in l.fields {
            let n = f.name;
            c += &format!(
                "    rec(\"{t}.{n}\", offsetof({t}, {n}));\n    \
                 rec(\"sizeof {t}.{n}\", sizeof((({t} *)0)->{n}));\n"
            );
        }
    }
    c += "    return 0;\n}\n";
    let path = dir.join("uapi.c");
    std::fs::write(&path, c).unwrap();
    path
}

/// The identifiers a compiler's errors call undeclared: the first quoted name of each such
/// line (gcc: `‘X’ undeclared ... did you mean ‘Y’`; clang: `undeclared identifier 'X'`).
fn undeclared(errors: &str) -> Vec<&str> {
    errors
        .lines()
        .filter(|line| line.contains("undeclared"))
        .filter_map(|line| {
            let quote = |c: char| c == '\'' || c == '‘' || c == '’';
            let start = line.find(quote)?;
            let rest = &line[start..];
            let rest = &rest[rest.chars().next()?.len_utf8()..];
            Some(&rest[..rest.find(quote)?])
        })
        .collect()
}

#[test]
fn linux_numbering_and_contexts_match_the_uapi_header() {
    let scratch = Scratch::new("uapi-src");
    let all: Vec<&str> = LINUX_MAP_TYPES
        .iter()
        .chain(LINUX_PROG_TYPES)
        .map(|&(_, name)| name)
        .collect();
    let layouts = [&XDP_MD, &SK_BUFF];
    // An older header lacks the newest map and program types, and C cannot ask whether an
    // enumerator exists: drop the names the compiler calls undeclared, then compile again.
    let first = uapi_program(&scratch.0, &all, &layouts);
    let (output, enums) = match compile_and_run("uapi", &first, false) {
        Ok(out) => (out, all.clone()),
        Err(e) if e.contains("linux/bpf.h") && !e.contains("undeclared") => {
            eprintln!("linux/bpf.h is not usable here; the UAPI comparison did not run:\n{e}");
            return;
        }
        Err(e) => {
            let missing = undeclared(&e);
            let known: Vec<&str> = all
                .iter()
                .copied()
                .filter(|n| !missing.contains(n))
                .collect();
            let again = uapi_program(&scratch.0, &known, &layouts);
            let out =
                compile_and_run("uapi-known", &again, false).unwrap_or_else(|e| panic!("{e}"));
            (out, known)
        }
    };
    let c = parse(&output);
    // Only the newest entries may be missing from the header: a prefix of each table.
    for table in [LINUX_MAP_TYPES, LINUX_PROG_TYPES] {
        let present = table.iter().take_while(|(_, n)| enums.contains(n)).count();
        assert!(
            present >= 30,
            "only {present} entries of {} known",
            table[0].1
        );
        assert!(
            table[present..].iter().all(|(_, n)| !enums.contains(n)),
            "linux/bpf.h lacks an entry in the middle of the table of {}",
            table[0].1
        );
    }

    // Helpers: every one the header lists, by name and id (the table may know newer ones).
    let known = c.keys().filter(|k| k.starts_with("bpf_")).count();
    assert!(known > 200, "only {known} helpers in linux/bpf.h?");
    for &(id, name) in LINUX_HELPERS {
        if let Some(&c_id) = c.get(name) {
            assert_eq!(u64::from(id), c_id, "{name}");
        }
    }
    for (name, &c_id) in c.iter().filter(|(k, _)| k.starts_with("bpf_")) {
        if c_id == 0 {
            continue; // bpf_unspec
        }
        let ours = LINUX_HELPERS.iter().find(|&&(_, n)| n == name);
        assert_eq!(ours.map(|&(id, _)| u64::from(id)), Some(c_id), "{name}");
    }
    // Map and program types the header has: every one, by name and number.
    for name in &enums {
        let ours = LINUX_MAP_TYPES
            .iter()
            .chain(LINUX_PROG_TYPES)
            .find(|&&(_, n)| n == *name)
            .unwrap();
        assert_eq!(u64::from(ours.0), c[*name], "{name}");
    }
    // Context layouts: size, and every field's offset and size.
    for l in [&XDP_MD, &SK_BUFF] {
        let t = l.c_name;
        assert_eq!(u64::from(l.size), c[&format!("sizeof {t}")], "{t}");
        for f in l.fields {
            let n = f.name;
            assert_eq!(u64::from(f.offset), c[&format!("{t}.{n}")], "{t}.{n}");
            assert_eq!(u64::from(f.size), c[&format!("sizeof {t}.{n}")], "{t}.{n}");
        }
    }
}
