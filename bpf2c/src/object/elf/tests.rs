//! Tests against the committed corpus in `tests/bpf` (built by
//! `scripts/build-bpf-objects.sh`), plus byte-patched copies of it for malformed input.

use std::path::{Path, PathBuf};

use object::read::elf::{FileHeader as _, SectionHeader as _};

use super::*;
use crate::insn::*;
use crate::object::{Function, Map, MapKind, MapOrigin, MapType, ProgramType, Reloc};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/bpf")
}

fn bytes_of(name: &str) -> Vec<u8> {
    std::fs::read(corpus().join(name)).unwrap()
}

fn load(name: &str) -> Object {
    load_path(&corpus().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn load_err(name: &str) -> Error {
    first_refusal(load_path(&corpus().join(name)))
}

/// The object's load error, or else the first program refusal: problems confined to some
/// programs refuse those programs only.
fn first_refusal(loaded: std::result::Result<Object, Error>) -> Error {
    match loaded {
        Ok(obj) => obj
            .programs
            .iter()
            .find_map(|p| p.refusal.clone())
            .unwrap_or_else(|| panic!("{} loaded with no refusal", obj.path.display())),
        Err(e) => e,
    }
}

fn corpus_objects() -> Vec<PathBuf> {
    let mut names: Vec<_> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "o"))
        .collect();
    names.sort();
    names
}

fn func<'a>(obj: &'a Object, name: &str) -> &'a Function {
    obj.functions
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no function {name}"))
}

fn func_id(obj: &Object, name: &str) -> usize {
    obj.functions.iter().position(|f| f.name == name).unwrap()
}

fn map_id(obj: &Object, name: &str) -> usize {
    obj.maps.iter().position(|m| m.name == name).unwrap()
}

fn map<'a>(obj: &'a Object, name: &str) -> &'a Map {
    &obj.maps[map_id(obj, name)]
}

/// (section, offset, size) summary of a map definition.
fn def(m: &Map) -> (MapType, u32, u32, u32, u32) {
    (
        m.def
            .map_type
            .runtime()
            .expect("a map type the runtime implements"),
        m.def.key_size,
        m.def.value_size,
        m.def.max_entries,
        m.def.map_flags,
    )
}

/// (line, source text) of each line record of a function, by instruction.
fn lines(f: &Function) -> Vec<(usize, u32, String)> {
    f.line_info
        .iter()
        .map(|l| (l.insn, l.line, l.source.trim().to_string()))
        .collect()
}

// ---- Byte-level helpers for building malformed objects from good ones. ----

type Header = object::elf::FileHeader64<object::Endianness>;

/// File offset and size of the named section.
fn section_range(bytes: &[u8], name: &str) -> (usize, usize) {
    let h = Header::parse(bytes).unwrap();
    let e = h.endian().unwrap();
    let t = h.sections(e, bytes).unwrap();
    for sh in t.iter() {
        if t.section_name(e, sh).unwrap() == name.as_bytes() {
            return (sh.sh_offset(e) as usize, sh.sh_size(e) as usize);
        }
    }
    panic!("no section {name}");
}

/// File offset of the named symbol's `Elf64_Sym`.
fn symbol_entry(bytes: &[u8], name: &str) -> usize {
    let h = Header::parse(bytes).unwrap();
    let e = h.endian().unwrap();
    let t = h.sections(e, bytes).unwrap();
    let syms = t.symbols(e, bytes, object::elf::SHT_SYMTAB).unwrap();
    let (off, _) = section_range(bytes, ".symtab");
    for (i, s) in syms.enumerate() {
        if syms.symbol_name(e, s).unwrap() == name.as_bytes() {
            return off + i.0 * 24;
        }
    }
    panic!("no symbol {name}");
}

fn put_u64(bytes: &mut [u8], off: usize, v: u64) {
    bytes[off..off + 8].copy_from_slice(&v.to_le_bytes());
}

fn put_u32(bytes: &mut [u8], off: usize, v: u32) {
    bytes[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

fn from_bytes(bytes: &[u8]) -> Result<Object> {
    load_elf(bytes, Path::new("patched.o"))
}

// ---- Maps. ----

#[test]
fn btf_maps_of_every_supported_type() {
    let obj = load("maps_basic.o");
    assert_eq!(obj.name, "maps_basic");
    let names: Vec<&str> = obj.maps.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "counters",
            "table",
            "percpu_counters",
            "percpu_table",
            "recent"
        ]
    );
    assert_eq!(def(map(&obj, "counters")), (MapType::Array, 4, 8, 4, 0));
    assert_eq!(def(map(&obj, "table")), (MapType::Hash, 4, 8, 16, 0));
    assert_eq!(
        def(map(&obj, "percpu_counters")),
        (MapType::PercpuArray, 4, 8, 2, 0)
    );
    assert_eq!(
        def(map(&obj, "percpu_table")),
        (MapType::PercpuHash, 4, 4, 8, 0)
    );
    assert_eq!(def(map(&obj, "recent")), (MapType::LruHash, 4, 8, 2, 0));

    // The recorded key and value types are the declared ones, typedef names included.
    let btf = obj.btf.as_ref().unwrap();
    let MapOrigin::Btf {
        key_type: Some(k),
        value_type: Some(v),
    } = map(&obj, "table").origin
    else {
        panic!("table is not a BTF map");
    };
    assert_eq!(btf.display_name(k), "__u32");
    assert_eq!(btf.display_name(v), "struct pair");
    let members: Vec<(&str, u32)> = btf
        .members(v)
        .unwrap()
        .iter()
        .map(|m| (m.name.as_str(), m.bit_offset))
        .collect();
    assert_eq!(members, [("value", 0), ("doubled", 32)]);
    assert!(obj.maps.iter().all(|m| m.initial_data.is_none()));
}

#[test]
fn legacy_records_longer_than_20_bytes() {
    let obj = load("legacy_maps.o");
    let names: Vec<&str> = obj.maps.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["flows", "stats_a", "stats_b", "solo"]);
    // 28-byte records: reading at a 20-byte stride would misplace every map after the first.
    assert_eq!(def(map(&obj, "flows")), (MapType::Hash, 4, 8, 32, 1));
    assert_eq!(def(map(&obj, "stats_a")), (MapType::Array, 4, 8, 2, 0));
    assert_eq!(def(map(&obj, "stats_b")), (MapType::Array, 4, 8, 2, 0));
    assert_eq!(def(map(&obj, "solo")), (MapType::PercpuArray, 4, 4, 1, 0));
    assert_eq!(
        map(&obj, "solo").origin,
        MapOrigin::Legacy {
            section: "maps/solo".into()
        }
    );
    assert_eq!(
        map(&obj, "flows").origin,
        MapOrigin::Legacy {
            section: "maps".into()
        }
    );
}

#[test]
fn identical_legacy_definitions_stay_distinct_maps() {
    let obj = load("legacy_maps.o");
    let (a, b) = (map_id(&obj, "stats_a"), map_id(&obj, "stats_b"));
    assert_ne!(a, b);
    assert_eq!(map(&obj, "stats_a").def, map(&obj, "stats_b").def);
    let f = func(&obj, "legacy_use");
    assert_eq!(f.relocs.get(&8), Some(&Reloc::MapFd(map_id(&obj, "flows"))));
    assert_eq!(f.relocs.get(&14), Some(&Reloc::MapFd(a)));
    assert_eq!(f.relocs.get(&19), Some(&Reloc::MapFd(b)));
    // The loaded form names the map in the immediate, as libbpf would.
    assert_eq!(
        (f.insns[19].src, f.insns[19].imm),
        (BPF_PSEUDO_MAP_FD, b as i32)
    );
    assert_eq!(
        func(&obj, "solo_use").relocs.get(&4),
        Some(&Reloc::MapFd(map_id(&obj, "solo")))
    );
}

#[test]
fn btf_maps_through_one_typedef_stay_distinct() {
    let obj = load("typedef_maps.o");
    let names: Vec<&str> = obj.maps.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["hits_a", "hits_b"]);
    assert_eq!(obj.maps[0].def, obj.maps[1].def);
    assert_eq!(def(&obj.maps[0]), (MapType::Array, 4, 8, 1, 0));
    let f = func(&obj, "bump");
    let used: Vec<Reloc> = f.relocs.values().copied().collect();
    assert_eq!(used, [Reloc::MapFd(0), Reloc::MapFd(1)]);
}

#[test]
fn maps_only_object_loads() {
    // An object without any program is an error, not a success with nothing verified.
    let e = load_err("maps_only.o");
    assert!(e.message.contains("holds no program"), "{e}");
}

#[test]
fn global_data_sections_become_maps() {
    let obj = load("global_data.o");
    let summary: Vec<(&str, u32, bool, Option<Vec<u8>>)> = obj
        .maps
        .iter()
        .map(|m| {
            let MapOrigin::GlobalData { read_only, .. } = m.origin else {
                panic!("{} is not global data", m.name)
            };
            assert_eq!(
                (m.def.map_type, m.def.key_size, m.def.max_entries),
                (MapKind::Runs(MapType::Array), 4, 1)
            );
            (
                m.name.as_str(),
                m.def.value_size,
                read_only,
                m.initial_data.clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (".data", 8, false, Some(5u64.to_le_bytes().to_vec())),
            (".rodata", 4, true, Some(3u32.to_le_bytes().to_vec())),
            (".data.custom", 4, false, Some(7u32.to_le_bytes().to_vec())),
            (".bss", 8, false, None),
            (
                ".rodata.str1.1",
                20,
                true,
                Some(b"len %lu over limit\n\0".to_vec())
            ),
            // `static const`-like table[4] = {1, 2, 3, 4}, merged into a constant section.
            (
                ".rodata.cst16",
                16,
                true,
                Some(
                    [1u32, 2, 3, 4]
                        .iter()
                        .flat_map(|v| v.to_le_bytes())
                        .collect()
                )
            ),
        ]
    );
}

#[test]
fn global_data_references_carry_value_offsets() {
    let obj = load("global_data.o");
    let f = func(&obj, "use_globals");
    let refs: Vec<(usize, Reloc)> = f.relocs.iter().map(|(&k, &v)| (k, v)).collect();
    let value = |name: &str, offset| Reloc::MapValue {
        map: map_id(&obj, name),
        offset,
    };
    assert_eq!(
        refs,
        [
            (1, value(".bss", 0)),
            (6, value(".data", 0)),
            (11, value(".rodata", 0)),
            (15, value(".rodata.str1.1", 0)),
            (23, value(".rodata.cst16", 0)),
            (28, value(".data.custom", 0)),
        ]
    );
    let lddw = &f.insns[15];
    assert_eq!(
        (lddw.src, lddw.imm),
        (BPF_PSEUDO_MAP_VALUE, map_id(&obj, ".rodata.str1.1") as i32)
    );

    // Two variables in one section: `total` at 0 and `last` at 8 of .bss.
    let obj = load("atomics.o");
    let f = func(&obj, "atomics");
    let bss = map_id(&obj, ".bss");
    assert_eq!(
        f.relocs[&2],
        Reloc::MapValue {
            map: bss,
            offset: 0
        }
    );
    assert_eq!(
        f.relocs[&16],
        Reloc::MapValue {
            map: bss,
            offset: 8
        }
    );
    assert_eq!(f.insns[17].imm, 8, "the second slot holds the value offset");
    assert_eq!(
        f.relocs[&9],
        Reloc::MapValue {
            map: map_id(&obj, ".data"),
            offset: 0
        }
    );
    assert_eq!(f.relocs[&28], Reloc::MapFd(map_id(&obj, "shared")));
}

#[test]
fn prog_array_initial_entries() {
    let obj = load("tail_calls.o");
    let m = map(&obj, "jump_table");
    assert_eq!(def(m), (MapType::ProgArray, 4, 4, 4, 0));
    assert_eq!(
        m.initial_programs,
        [(0, "stage_zero".to_string()), (2, "stage_two".to_string())]
    );
    let f = func(&obj, "dispatch");
    assert_eq!(f.relocs.get(&4), Some(&Reloc::MapFd(0)));
    assert!(f.insns.iter().any(|i| i.is_helper_call() && i.imm == 12));
}

// ---- Functions, programs and calls. ----

#[test]
fn programs_and_functions_with_section_offsets() {
    let obj = load("subprograms.o");
    let fns: Vec<(&str, &str, usize, usize)> = obj
        .functions
        .iter()
        .map(|f| {
            (
                f.name.as_str(),
                f.section.as_str(),
                f.section_offset,
                f.insns.len(),
            )
        })
        .collect();
    // `orphan` sits in .text between level1 and level2 but no program calls it.
    assert_eq!(
        fns,
        [
            ("global_triple", ".text", 0, 3),
            ("add_bias", ".text", 3, 3),
            ("fill", ".text", 6, 12),
            ("level1", ".text", 18, 4),
            ("level2", ".text", 25, 4),
            ("level3", ".text", 29, 3),
            ("prog_a", "raw", 0, 3),
            ("prog_b", "raw", 3, 9),
            ("stack_survives", "raw", 12, 19),
            ("chain", "raw", 31, 3),
        ]
    );
    let progs: Vec<(&str, &str, ProgramType, &str)> = obj
        .programs
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.section.as_str(),
                p.prog_type.runtime().expect("a runtime program type"),
                obj.functions[p.entry].name.as_str(),
            )
        })
        .collect();
    assert_eq!(
        progs,
        [
            ("prog_a", "raw", ProgramType::Raw, "prog_a"),
            ("prog_b", "raw", ProgramType::Raw, "prog_b"),
            ("stack_survives", "raw", ProgramType::Raw, "stack_survives"),
            ("chain", "raw", ProgramType::Raw, "chain"),
        ]
    );
}

#[test]
fn calls_resolve_to_functions() {
    let obj = load("subprograms.o");
    let id = |n| func_id(&obj, n);
    // A static callee relocated against the .text section symbol, shared by two programs.
    assert_eq!(func(&obj, "prog_a").relocs[&1], Reloc::Call(id("add_bias")));
    assert_eq!(func(&obj, "prog_b").relocs[&3], Reloc::Call(id("add_bias")));
    // A global callee relocated against its own symbol (imm = -1).
    assert_eq!(
        func(&obj, "prog_b").relocs[&6],
        Reloc::Call(id("global_triple"))
    );
    assert_eq!(
        func(&obj, "stack_survives").relocs[&8],
        Reloc::Call(id("fill"))
    );
    // Calls inside .text that clang resolved itself, without relocations.
    assert_eq!(func(&obj, "level1").relocs[&1], Reloc::Call(id("level2")));
    assert_eq!(func(&obj, "level2").relocs[&1], Reloc::Call(id("level3")));
    let chain: Vec<&str> = obj
        .reachable_functions(id("chain"))
        .into_iter()
        .map(|f| obj.functions[f].name.as_str())
        .collect();
    assert_eq!(chain, ["chain", "level1", "level2", "level3"]);
    for f in &obj.functions {
        for (&pc, r) in &f.relocs {
            assert!(matches!(r, Reloc::Call(_)));
            assert_eq!(f.insns[pc].src, BPF_PSEUDO_CALL, "{} insn {pc}", f.name);
        }
    }
}

#[test]
fn callee_uses_the_same_frame_offsets_as_its_caller() {
    // What a test of per-function stack frames relies on: both write r10-8 .. r10-32.
    let obj = load("subprograms.o");
    let stores = |name: &str| -> Vec<i16> {
        func(&obj, name)
            .insns
            .iter()
            .filter(|i| i.opcode == BPF_STX | BPF_MEM | BPF_DW && i.dst == 10)
            .map(|i| i.off)
            .collect()
    };
    assert_eq!(stores("stack_survives"), [-8, -16, -24, -32]);
    assert_eq!(stores("fill"), [-8, -16, -24, -32]);
}

#[test]
fn several_programs_in_one_section() {
    let obj = load("multi_prog.o");
    let progs: Vec<(&str, usize)> = obj
        .programs
        .iter()
        .map(|p| (p.name.as_str(), obj.functions[p.entry].section_offset))
        .collect();
    assert_eq!(progs, [("first", 0), ("second", 3), ("third", 8)]);
    assert!(obj.programs.iter().all(|p| p.section == "raw"));
}

#[test]
fn xdp_programs() {
    let obj = load("xdp_parse.o");
    let progs: Vec<(&str, &str, ProgramType)> = obj
        .programs
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.section.as_str(),
                p.prog_type.runtime().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        progs,
        [
            ("xdp_reflect", "xdp", ProgramType::Xdp),
            ("xdp_pass_all", "xdp/pass", ProgramType::Xdp)
        ]
    );
    let f = func(&obj, "xdp_reflect");
    // ctx->data_end and ctx->data are the first two loads from the context.
    assert_eq!(
        (f.insns[0].opcode, f.insns[0].off, f.insns[1].off),
        (BPF_LDX | BPF_MEM | BPF_W, 4, 0)
    );
    assert!(f.relocs.values().all(|r| *r == Reloc::MapFd(0)));
}

#[test]
fn helper_calls_and_loops_and_atomics_decode() {
    let obj = load("helpers.o");
    let helpers = |name: &str| -> Vec<i32> {
        func(&obj, name)
            .insns
            .iter()
            .filter(|i| i.is_helper_call())
            .map(|i| i.imm)
            .collect()
    };
    assert_eq!(helpers("monotonic"), [5, 5]);
    assert_eq!(helpers("random_below"), [7]);
    assert_eq!(helpers("cpu_id"), [8]);
    assert_eq!(helpers("thread_id"), [14]);
    assert_eq!(helpers("print"), [6]);

    let obj = load("loop.o");
    let f = func(&obj, "sum_raw");
    let back_edges = f
        .insns
        .iter()
        .filter(|i| i.jump_offset().is_some_and(|o| o < 0))
        .count();
    assert_eq!(back_edges, 2);

    let obj = load("atomics.o");
    let ops: Vec<(u8, i32)> = func(&obj, "atomics")
        .insns
        .iter()
        .filter(|i| i.class() == BPF_STX && i.opcode & 0xe0 == BPF_ATOMIC)
        .map(|i| (i.opcode & 0x18, i.imm))
        .collect();
    assert_eq!(
        ops,
        [
            (BPF_DW, BPF_ADD as i32),
            (BPF_DW, BPF_ADD as i32 | BPF_FETCH),
            (BPF_W, BPF_OR as i32),
            (BPF_W, BPF_AND as i32),
            (BPF_W, BPF_XOR as i32),
            (BPF_DW, BPF_XCHG),
            (BPF_DW, BPF_CMPXCHG),
            (BPF_DW, BPF_ADD as i32),
        ]
    );
}

#[test]
fn big_endian_objects() {
    let obj = load("bigendian_be.o");
    assert!(!obj.little_endian);
    let names: Vec<&str> = obj.maps.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["be_legacy", ".data", "be_btf"]);
    assert_eq!(def(map(&obj, "be_legacy")), (MapType::Array, 4, 8, 3, 0));
    assert_eq!(def(map(&obj, "be_btf")), (MapType::Hash, 4, 2, 5, 0));
    assert_eq!(map(&obj, ".data").initial_data, Some(vec![1, 2, 3, 4]));
    let f = func(&obj, "be_prog");
    assert_eq!(
        f.insns[15],
        Insn {
            opcode: BPF_ALU | BPF_MOV,
            dst: 0,
            src: 0,
            off: 0,
            imm: -1
        }
    );
    assert_eq!(
        f.insns[17],
        Insn {
            opcode: BPF_LDX | BPF_MEM | BPF_DW,
            dst: 1,
            src: 8,
            off: 0,
            imm: 0
        }
    );
    assert_eq!(f.relocs[&5], Reloc::MapFd(0));
    assert_eq!(f.relocs[&10], Reloc::MapFd(2));
    assert_eq!(f.relocs[&20], Reloc::Call(func_id(&obj, "plus_data")));
    assert_eq!(
        func(&obj, "plus_data").relocs[&0],
        Reloc::MapValue { map: 1, offset: 0 }
    );
    assert_eq!(func(&obj, "be_prog").line_info[0].line, 37);
}

// ---- Line info. ----

#[test]
fn line_info_is_relative_to_each_function() {
    // Expected lines were checked against `llvm-objdump-19 -dl`. They differ only on each
    // function's first instruction, where BTF names the declaration line and DWARF the brace.
    let obj = load("subprograms.o");
    let s = |v: &[(usize, u32, &str)]| -> Vec<(usize, u32, String)> {
        v.iter().map(|&(i, l, t)| (i, l, t.to_string())).collect()
    };
    assert_eq!(
        lines(func(&obj, "prog_b")),
        s(&[
            (0, 23, "int prog_b(unsigned char *mem, unsigned long len)"),
            (1, 25, "return add_bias(len * 2) + global_triple(len);"),
            (3, 25, "return add_bias(len * 2) + global_triple(len);"),
            (5, 25, "return add_bias(len * 2) + global_triple(len);"),
            (7, 25, "return add_bias(len * 2) + global_triple(len);"),
            (8, 25, "return add_bias(len * 2) + global_triple(len);"),
        ])
    );
    // A .text subprogram at section slot 29.
    assert_eq!(
        lines(func(&obj, "level3")),
        s(&[
            (0, 55, "static __attribute__((noinline)) int level3(int x)"),
            (1, 57, "return x + 3;"),
            (2, 57, "return x + 3;"),
        ])
    );
    let survives: Vec<(usize, u32)> = func(&obj, "stack_survives")
        .line_info
        .iter()
        .map(|l| (l.insn, l.line))
        .collect();
    assert_eq!(
        &survives[..7],
        [
            (0, 42),
            (1, 47),
            (3, 48),
            (5, 49),
            (7, 50),
            (8, 51),
            (9, 52)
        ]
    );
    let f = func(&obj, "stack_survives");
    assert_eq!(f.line_at(4).unwrap().line, 48);
    assert_eq!(f.line_at(8).unwrap().column, 6);
    assert!(f.line_info[0].file.ends_with("tests/bpf/subprograms.c"));

    let obj = load("multi_prog.o");
    assert_eq!(
        lines(func(&obj, "third")),
        s(&[
            (0, 20, "int third(unsigned char *mem, unsigned long len)"),
            (1, 22, "if (len == 0)"),
            (2, 24, "return mem[0] ^ 0x5a;"),
            (3, 24, "return mem[0] ^ 0x5a;"),
            (4, 25, "}"),
        ])
    );
    let obj = load("tail_calls.o");
    assert_eq!(lines(func(&obj, "stage_two")), s(&[(0, 40, "return 12;")]));
}

#[test]
fn line_info_matches_the_source_files() {
    // Every record of every loadable corpus object names a line whose text BTF also quotes.
    let root = corpus().join("../..");
    let mut checked = 0;
    for path in corpus_objects() {
        let Ok(obj) = load_path(&path) else { continue };
        for f in &obj.functions {
            assert!(!f.line_info.is_empty(), "{}: {}", path.display(), f.name);
            assert!(f.line_info.windows(2).all(|w| w[0].insn <= w[1].insn));
            for l in &f.line_info {
                assert!(l.insn < f.insns.len());
                let text = std::fs::read_to_string(root.join(&l.file)).unwrap();
                let line = text.lines().nth(l.line as usize - 1).unwrap();
                assert_eq!(line.trim(), l.source.trim(), "{}:{}", l.file, l.line);
                checked += 1;
            }
        }
    }
    assert!(checked > 250, "only {checked} records");
}

// ---- Errors. ----

#[test]
fn unsupported_section_is_named() {
    // A kprobe program verifies as PREVAIL's Linux kprobe type; the runtime cannot run it.
    let obj = load("err_section.o");
    let p = obj.program("probe").unwrap();
    assert_eq!(p.section, "kprobe/do_sys_open");
    assert_eq!(p.prog_type.name(), "kprobe");
    assert!(p.refusal.is_none() && p.prog_type.runtime().is_none());
}

#[test]
fn unsupported_map_type_is_named() {
    // A user ring buffer loads for verification, as BPF_MAP_TYPE_USER_RINGBUF.
    let obj = load("err_ringbuf.o");
    let events = map(&obj, "events");
    assert_eq!(events.def.map_type, MapKind::VerifyOnly(31));
    assert_eq!(events.def.map_type.name(), "BPF_MAP_TYPE_USER_RINGBUF");
}

#[test]
fn core_relocations_are_refused_at_their_instruction() {
    let e = load_err("err_core.o");
    assert_eq!(e.location.section.as_deref(), Some("raw"));
    assert_eq!(e.location.function.as_deref(), Some("core_read"));
    assert_eq!(e.location.insn, Some(0));
    assert!(
        e.message.contains("CO-RE relocations are not supported"),
        "{e}"
    );
    assert!(e.message.contains("struct sample"), "{e}");
}

#[test]
fn external_symbols_are_refused() {
    let e = load_err("err_kfunc.o");
    assert_eq!(e.message, "unresolved external symbol 'bpf_kfunc_example'");
    assert_eq!(e.location.function.as_deref(), Some("call_kfunc"));
    assert_eq!(e.location.insn, Some(1));
}

#[test]
fn unsupported_instructions_are_refused() {
    // Legacy packet loads load (and verify); `gen` refuses them.
    let obj = load("err_ld_abs.o");
    assert!(obj.programs.iter().all(|p| p.refusal.is_none()));
    let missing = crate::runnable::missing_pieces(&obj, &crate::helpers::HelperSet::standard());
    assert!(
        missing.iter().any(|m| m.contains("LD_ABS/LD_IND, at ")),
        "{missing:?}"
    );
    let e = load_err("err_callx.o");
    assert!(e.message.contains("callx"), "{e}");
    assert_eq!(e.location.insn, Some(1));
    let e = load_err("err_func_addr.o");
    assert_eq!(e.message, "lddw of a function address is not supported");
    assert_eq!(
        (e.location.function.as_deref(), e.location.insn),
        (Some("loop_sum"), Some(5))
    );
}

#[test]
fn static_maps_are_refused() {
    let e = load_err("err_static_map.o");
    assert!(e.message.contains("section symbol '.maps'"), "{e}");
    assert_eq!(e.location.insn, Some(4));
}

#[test]
fn unreadable_and_foreign_files() {
    let missing = corpus().join("no-such-file.o");
    let e = load_path(&missing).unwrap_err();
    assert_eq!(e.location.file, missing);
    assert!(e.message.contains("cannot read"), "{e}");

    let e = load_path(&corpus().join("loop.c")).unwrap_err();
    assert!(e.to_string().contains("loop.c: not an ELF file"), "{e}");

    let mut bytes = bytes_of("loop.o");
    bytes[18] = 62; // EM_X86_64
    assert!(from_bytes(&bytes)
        .unwrap_err()
        .message
        .contains("not an eBPF object"));
    let mut bytes = bytes_of("loop.o");
    bytes[4] = 1; // ELFCLASS32
    assert!(first_refusal(from_bytes(&bytes)).message.contains("64-bit"));
    let mut bytes = bytes_of("loop.o");
    bytes[16] = 2; // ET_EXEC
    assert!(from_bytes(&bytes)
        .unwrap_err()
        .message
        .contains("relocatable"));
}

#[test]
fn legacy_stride_must_match_symbols() {
    let mut bytes = bytes_of("legacy_maps.o");
    // Claim a 20-byte record for stats_a inside 28-byte records.
    let entry = symbol_entry(&bytes, "stats_a");
    put_u64(&mut bytes, entry + 16, 20);
    let e = first_refusal(from_bytes(&bytes));
    assert_eq!(e.location.section.as_deref(), Some("maps"));
    assert!(
        e.message.contains("'stats_a'") && e.message.contains("28-byte"),
        "{e}"
    );

    let mut bytes = bytes_of("legacy_maps.o");
    let entry = symbol_entry(&bytes, "stats_b");
    put_u64(&mut bytes, entry + 8, 0x1c);
    let e = first_refusal(from_bytes(&bytes));
    assert!(e.message.contains("'stats_b'"), "{e}");
}

#[test]
fn unknown_relocation_types_are_named() {
    let mut bytes = bytes_of("legacy_maps.o");
    let (rel, _) = section_range(&bytes, ".relraw");
    // First entry's r_info: keep the symbol, change the type to R_BPF_64_ABS32.
    let info = u64::from_le_bytes(bytes[rel + 8..rel + 16].try_into().unwrap());
    put_u64(&mut bytes, rel + 8, (info & !0xffff_ffff) | 3);
    let e = first_refusal(from_bytes(&bytes));
    assert!(e.message.contains("R_BPF_64_ABS32"), "{e}");
    assert_eq!(
        (e.location.function.as_deref(), e.location.insn),
        (Some("legacy_use"), Some(8))
    );

    put_u64(&mut bytes, rel + 8, (info & !0xffff_ffff) | 77);
    assert!(first_refusal(from_bytes(&bytes))
        .message
        .contains("type 77"));
}

#[test]
fn map_relocation_on_a_non_lddw_is_refused() {
    let mut bytes = bytes_of("legacy_maps.o");
    let (rel, _) = section_range(&bytes, ".relraw");
    put_u64(&mut bytes, rel, 0); // move the first map relocation onto instruction 0
    let e = first_refusal(from_bytes(&bytes));
    assert!(e.message.contains("not lddw"), "{e}");
    assert_eq!(e.location.insn, Some(0));
}

#[test]
fn call_into_the_middle_of_a_function_is_refused() {
    let mut bytes = bytes_of("subprograms.o");
    let (text, _) = section_range(&bytes, ".text");
    // level1's local call at .text slot 19: point it one slot into level2.
    let imm = text + 19 * 8 + 4;
    assert_eq!(
        i32::from_le_bytes(bytes[imm..imm + 4].try_into().unwrap()),
        5
    );
    put_u32(&mut bytes, imm, 6);
    let e = first_refusal(from_bytes(&bytes));
    assert!(e.message.contains("not the start of a function"), "{e}");
    assert_eq!(
        (e.location.function.as_deref(), e.location.insn),
        (Some("level1"), Some(1))
    );

    // The same through a relocation: prog_a's call against the .text section symbol.
    let mut bytes = bytes_of("subprograms.o");
    let (raw, _) = section_range(&bytes, "raw");
    put_u32(&mut bytes, raw + 8 + 4, 3);
    let e = first_refusal(from_bytes(&bytes));
    assert!(e.message.contains("slot 4 of section '.text'"), "{e}");
}

#[test]
fn loading_is_deterministic() {
    for path in corpus_objects() {
        let (a, b) = (load_path(&path), load_path(&path));
        match (a, b) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.maps, b.maps);
                assert_eq!(a.functions, b.functions);
                assert_eq!(a.programs, b.programs);
                assert_eq!(a.btf, b.btf);
            }
            (Err(a), Err(b)) => assert_eq!(a, b),
            _ => panic!("{} loads only sometimes", path.display()),
        }
    }
}

// ---- Robustness. ----

/// File ranges the loader reads: everything but DWARF, whose corruption proves nothing.
fn interesting_ranges(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let h = Header::parse(bytes).unwrap();
    let e = h.endian().unwrap();
    let t = h.sections(e, bytes).unwrap();
    let shoff = h.e_shoff(e) as usize;
    let mut out = vec![0..64, shoff..shoff + t.len() * 64];
    for sh in t.iter() {
        let name = t.section_name(e, sh).unwrap();
        let dwarf = name.starts_with(b".debug") || name.starts_with(b".rel.debug");
        if !dwarf && sh.sh_type(e) != object::elf::SHT_NOBITS {
            let off = sh.sh_offset(e) as usize;
            out.push(off..off + sh.sh_size(e) as usize);
        }
    }
    out
}

#[test]
fn truncated_and_corrupted_objects_never_panic() {
    for path in corpus_objects() {
        let bytes = std::fs::read(&path).unwrap();
        let name = Path::new("fuzz.o");
        for len in (0..bytes.len()).step_by(5) {
            assert!(load_elf(&bytes[..len], name).is_err() || len == bytes.len());
        }
        let mut mutated = bytes.clone();
        for range in interesting_ranges(&bytes) {
            for off in range {
                // One flip per byte, cycling through patterns that hit the sign bit, the low
                // bit and every bit.
                let pattern = [0xffu8, 0x80, 0x01][off % 3];
                mutated[off] ^= pattern;
                let _ = load_elf(&mutated, name);
                mutated[off] ^= pattern;
            }
        }
    }
}

#[test]
fn randomly_corrupted_objects_never_panic() {
    // xorshift64: fixed seed, so a failure reproduces.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for path in corpus_objects() {
        let bytes = std::fs::read(&path).unwrap();
        let ranges = interesting_ranges(&bytes);
        for _ in 0..300 {
            let mut mutated = bytes.clone();
            for _ in 0..1 + next() % 6 {
                let r = &ranges[(next() % ranges.len() as u64) as usize];
                if r.is_empty() {
                    continue;
                }
                let off = r.start + (next() % r.len() as u64) as usize;
                // Small values, all-ones and random bytes reach different checks.
                mutated[off] = match next() % 3 {
                    0 => (next() % 4) as u8,
                    1 => 0xff,
                    _ => next() as u8,
                };
            }
            let _ = load_elf(&mutated, Path::new("fuzz.o"));
        }
    }
}

#[test]
fn contradictory_btf_map_definitions_are_refused() {
    let e = load_err("err_map_def.o");
    assert_eq!(e.location.section.as_deref(), Some(".maps"));
    assert_eq!(
        e.message,
        "map 'confused': key_size 8 disagrees with the 4-byte key type"
    );
}

#[test]
fn a_section_without_function_symbols_is_one_program() {
    // Hand-written assembly may define no function symbols; mimic it by retyping sum_raw,
    // the only function of its section.
    let mut bytes = bytes_of("loop.o");
    let entry = symbol_entry(&bytes, "sum_raw");
    bytes[entry + 4] = (object::elf::STB_GLOBAL << 4) | object::elf::STT_NOTYPE;
    let obj = from_bytes(&bytes).unwrap();
    let p = obj.programs.iter().find(|p| p.section == "raw").unwrap();
    assert_eq!(p.name, "raw");
    let f = &obj.functions[p.entry];
    assert_eq!((f.name.as_str(), f.insns.len()), ("raw", 12));
    assert_eq!(f.line_info, func(&load("loop.o"), "sum_raw").line_info);
}
