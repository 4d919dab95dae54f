//! Workloads for measuring verification: the largest program of the repository's corpus,
//! and a generated program of realistic code at any size.
//!
//! Shared by the criterion bench (`benches/verify.rs`), the measuring example
//! (`examples/verify_cost.rs`) and the containment tests, which include this file by path.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use bpf2c::insn::*;
use bpf2c::object::{
    load_file, Function, InputFormat, Map, MapDef, MapOrigin, MapType, Object, ObjectKind, Program,
    ProgramType, Reloc,
};

pub use bpf2c_testkit::repo;

/// The program with the most instructions (entry plus callees) among every loadable object
/// under `tests/bpf/` (and its subdirectories) and `examples/*/bpf/` that verifies with
/// default options: (object, program index, instructions).
pub fn largest_corpus_program() -> (Object, usize, usize) {
    let mut dirs = vec![repo().join("tests/bpf"), repo().join("tests/bpf/facts")];
    if let Ok(ex) = std::fs::read_dir(repo().join("examples")) {
        dirs.extend(ex.filter_map(|e| e.ok()).map(|e| e.path().join("bpf")));
    }
    let mut best: Option<(Object, usize, usize)> = None;
    let mut paths: Vec<PathBuf> = dirs
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "o"))
        .collect();
    paths.sort();
    for path in paths {
        let Ok(obj) = load_file(&path, InputFormat::Elf) else {
            continue;
        };
        for (i, p) in obj.programs.iter().enumerate() {
            let n: usize = obj
                .reachable_functions(p.entry)
                .iter()
                .map(|&f| obj.functions[f].insns.len())
                .sum();
            if best.as_ref().is_none_or(|b| n > b.2) {
                best = Some((obj.clone(), i, n));
            }
        }
    }
    best.expect("the corpus has programs")
}

use bpf2c_testkit::insn as i;

/// Emits the code of one generated program.
struct Emitter {
    insns: Vec<Insn>,
    relocs: BTreeMap<usize, Reloc>,
}

impl Emitter {
    fn push(&mut self, insn: Insn) {
        self.insns.push(insn);
    }

    fn load_map(&mut self, dst: u8, map: usize) {
        self.relocs.insert(self.insns.len(), Reloc::MapFd(map));
        self.push(i(BPF_LD | BPF_IMM | BPF_DW, dst, 0, 0, 0));
        self.push(i(0, 0, 0, 0, 0));
    }

    /// counters[len & 255] += k, with the NULL check a lookup needs.
    fn count(&mut self, k: i32) {
        self.push(i(BPF_ALU64 | BPF_MOV | BPF_X, 3, 6, 0, 0));
        self.push(i(BPF_ALU64 | BPF_AND | BPF_K, 3, 0, 0, 255));
        self.push(i(BPF_STX | BPF_MEM | BPF_W, 10, 3, -4, 0));
        self.load_map(1, 0);
        self.push(i(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0));
        self.push(i(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4));
        self.push(i(BPF_JMP | BPF_CALL, 0, 0, 0, 1));
        self.push(i(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 3, 0));
        self.push(i(BPF_LDX | BPF_MEM | BPF_DW, 1, 0, 0, 0));
        self.push(i(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, k));
        self.push(i(BPF_STX | BPF_MEM | BPF_DW, 0, 1, 0, 0));
    }

    /// table[r7] = {r7, k} through a 16-byte value built on the stack.
    fn record(&mut self, k: i32) {
        self.push(i(BPF_STX | BPF_MEM | BPF_DW, 10, 7, -16, 0));
        self.push(i(BPF_STX | BPF_MEM | BPF_DW, 10, 7, -32, 0));
        self.push(i(BPF_ST | BPF_MEM | BPF_DW, 10, 0, -24, k));
        self.load_map(1, 1);
        self.push(i(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0));
        self.push(i(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -16));
        self.push(i(BPF_ALU64 | BPF_MOV | BPF_X, 3, 10, 0, 0));
        self.push(i(BPF_ALU64 | BPF_ADD | BPF_K, 3, 0, 0, -32));
        self.push(i(BPF_ALU64 | BPF_MOV | BPF_K, 4, 0, 0, 0));
        self.push(i(BPF_JMP | BPF_CALL, 0, 0, 0, 2));
    }

    /// r7 mixes in buffer byte `off` when the buffer is that long.
    fn mix_byte(&mut self, off: i16) {
        self.push(i(BPF_JMP | BPF_JLE | BPF_K, 6, 0, 2, i32::from(off)));
        self.push(i(BPF_LDX | BPF_MEM | BPF_B, 1, 9, off, 0));
        self.push(i(BPF_ALU64 | BPF_ADD | BPF_X, 7, 1, 0, 0));
    }

    /// Plain arithmetic on r7 and r8.
    fn arith(&mut self, k: i32) {
        self.push(i(BPF_ALU64 | BPF_XOR | BPF_K, 7, 0, 0, k));
        self.push(i(BPF_ALU64 | BPF_MUL | BPF_K, 7, 0, 0, 3));
        self.push(i(BPF_ALU64 | BPF_RSH | BPF_K, 7, 0, 0, 1));
        self.push(i(BPF_ALU | BPF_ADD | BPF_X, 8, 7, 0, 0));
        self.push(i(BPF_ALU64 | BPF_OR | BPF_K, 8, 0, 0, 1));
    }
}

/// Like [`generated_program`] with a body of at least `body_insns` slots, run inside
/// `depth` nested counted loops (10 iterations each, counters on the stack). Cheap to build
/// a CFG for, expensive to analyse: each loop's fixpoint iterates over everything inside it.
pub fn generated_loops(body_insns: usize, depth: usize) -> Object {
    let mut obj = generated_program(body_insns);
    let body = std::mem::take(&mut obj.functions[0].insns);
    let relocs = std::mem::take(&mut obj.functions[0].relocs);
    // The body without its final `r0 = r8; exit`, after its 4-slot prologue.
    let (prologue, rest) = body.split_at(4);
    let inner = &rest[..rest.len() - 2];
    let slot = |level: usize| -48 - 8 * level as i16;
    let mut insns: Vec<Insn> = prologue.to_vec();
    let mut heads = Vec::new();
    for level in 0..depth {
        insns.push(i(BPF_ST | BPF_MEM | BPF_DW, 10, 0, slot(level), 0));
        heads.push(insns.len());
    }
    let shift = insns.len() - 4;
    insns.extend_from_slice(inner);
    for level in (0..depth).rev() {
        insns.push(i(BPF_LDX | BPF_MEM | BPF_DW, 1, 10, slot(level), 0));
        insns.push(i(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, 1));
        insns.push(i(BPF_STX | BPF_MEM | BPF_DW, 10, 1, slot(level), 0));
        let back = heads[level] as i64 - insns.len() as i64 - 1;
        insns.push(i(BPF_JMP | BPF_JLT | BPF_K, 1, 0, back as i16, 10));
    }
    insns.push(i(BPF_ALU64 | BPF_MOV | BPF_X, 0, 8, 0, 0));
    insns.push(i(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    let f = &mut obj.functions[0];
    f.relocs = relocs.into_iter().map(|(pc, r)| (pc + shift, r)).collect();
    f.insns = insns;
    obj.path = PathBuf::from(format!("generated_loops_{}x{depth}.o", f.insns.len()));
    bpf2c::object::validate::validate_object(&obj).expect("the generated program is well-formed");
    obj
}

/// A raw program of at least `min_insns` instruction slots, in blocks of the code clang emits
/// for map-heavy programs: stack stores, map lookups with NULL checks, map updates, bounded
/// buffer reads and arithmetic. It uses an ARRAY map `counters` (u32 -> u64, 256 entries) and
/// a HASH map `table` (u64 -> 16 bytes).
pub fn generated_program(min_insns: usize) -> Object {
    let mut e = Emitter {
        insns: Vec::new(),
        relocs: BTreeMap::new(),
    };
    // r9 = the buffer, r6 = its length, r7 and r8 = accumulators.
    e.push(i(BPF_ALU64 | BPF_MOV | BPF_X, 9, 1, 0, 0));
    e.push(i(BPF_ALU64 | BPF_MOV | BPF_X, 6, 2, 0, 0));
    e.push(i(BPF_ALU64 | BPF_MOV | BPF_K, 7, 0, 0, 0));
    e.push(i(BPF_ALU64 | BPF_MOV | BPF_K, 8, 0, 0, 0));
    let mut block = 0i32;
    while e.insns.len() + 2 < min_insns {
        e.count(block % 7 + 1);
        e.mix_byte((block % 64) as i16);
        e.arith(block.wrapping_mul(2_654_435_761u32 as i32));
        if block % 4 == 3 {
            e.record(block);
        }
        block += 1;
    }
    e.push(i(BPF_ALU64 | BPF_MOV | BPF_X, 0, 8, 0, 0));
    e.push(i(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));

    let map = |name: &str, map_type, key_size, value_size, max_entries| Map {
        name: name.to_string(),
        def: MapDef {
            map_type: bpf2c::object::MapKind::Runs(map_type),
            key_size,
            value_size,
            max_entries,
            map_flags: 0,
        },
        origin: MapOrigin::Btf {
            key_type: None,
            value_type: None,
        },
        initial_data: None,
        initial_programs: Vec::new(),
        initial_maps: Vec::new(),
        inner_map: None,
        is_inner_template: false,
    };
    let obj = Object {
        path: PathBuf::from(format!("generated_{}.o", e.insns.len())),
        name: "generated".to_string(),
        kind: ObjectKind::Elf,
        little_endian: true,
        maps: vec![
            map("counters", MapType::Array, 4, 8, 256),
            map("table", MapType::Hash, 8, 16, 1024),
        ],
        functions: vec![Function {
            name: "generated".to_string(),
            section: "raw".to_string(),
            section_offset: 0,
            insns: e.insns,
            relocs: e.relocs,
            line_info: Vec::new(),
        }],
        programs: vec![Program {
            name: "generated".to_string(),
            section: "raw".to_string(),
            prog_type: bpf2c::object::ProgramKind::Runs(ProgramType::Raw),
            refusal: None,
            entry: 0,
        }],
        btf: None,
        notes: Vec::new(),
    };
    bpf2c::object::validate::validate_object(&obj).expect("the generated program is well-formed");
    obj
}
