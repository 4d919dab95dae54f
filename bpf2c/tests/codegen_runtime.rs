//! Behaviour of generated code when run: the loop budget ends runaway loops, each function
//! has its own stack frame (below its caller's in one contiguous stack), unwinding crosses calls, callx dispatches by id, and XDP context
//! loads read the native context. Also compiles a module with maps, global data, line
//! directives and an unused function, with both compilers.

use crate::common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use bpf2c::codegen::{generate, CodegenOptions, Source};
use bpf2c::facts::{CtxFact, InsnFacts, ModuleFacts};
use bpf2c::insn::*;
use bpf2c::object::validate::validate_object;
use bpf2c::object::{
    Function, InsnRef, LineInfo, Map, MapDef, MapOrigin, MapType, Object, ObjectKind, Program,
    ProgramType, Reloc,
};
use bpf2c_testkit::{encode, insn as i, EXIT};
use common::{build, compile_only, compilers, raw_case, Case, Outcome};

fn mov(dst: u8, imm: i32) -> Insn {
    i(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
}

fn add(dst: u8, imm: i32) -> Insn {
    i(BPF_ALU64 | BPF_ADD | BPF_K, dst, 0, 0, imm)
}

fn call_local(imm: i32) -> Insn {
    i(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, imm)
}

/// r0 = 0; loop { r0 += 1 } — never ends.
fn endless() -> Vec<Insn> {
    vec![mov(0, 0), add(0, 1), i(BPF_JMP | BPF_JA, 0, 0, -2, 0), EXIT]
}

/// Counts r0 up to 10 with a conditional back-edge taken 9 times.
fn counted() -> Vec<Insn> {
    vec![
        mov(0, 0),
        add(0, 1),
        i(BPF_JMP | BPF_JLT | BPF_K, 0, 0, -2, 10),
        EXIT,
    ]
}

/// The caller stores 42 at r10-8 and keeps 6 in r6; the callee stores 7 at its own r10-8
/// and overwrites r6. The caller returns stack * 100 + callee result + r6 * 1000.
fn frames() -> Vec<Insn> {
    vec![
        i(BPF_ST | BPF_MEM | BPF_DW, 10, 0, -8, 42), // 0
        mov(6, 6),                                   // 1
        call_local(6),                               // 2: call 9
        i(BPF_LDX | BPF_MEM | BPF_DW, 1, 10, -8, 0), // 3: r1 = the caller's slot
        i(BPF_ALU64 | BPF_MUL | BPF_K, 1, 0, 0, 100),
        i(BPF_ALU64 | BPF_ADD | BPF_X, 0, 1, 0, 0),
        i(BPF_ALU64 | BPF_MUL | BPF_K, 6, 0, 0, 1000),
        i(BPF_ALU64 | BPF_ADD | BPF_X, 0, 6, 0, 0),
        EXIT,                                       // 8
        i(BPF_ST | BPF_MEM | BPF_DW, 10, 0, -8, 7), // 9: the callee
        mov(6, 99),
        i(BPF_LDX | BPF_MEM | BPF_DW, 0, 10, -8, 0),
        EXIT,
    ]
}

/// The callee loops forever; the caller's code after the call must not run.
fn unwind_through_call() -> Vec<Insn> {
    vec![
        call_local(2), // 0: call 3
        mov(0, 77),    // 1
        EXIT,          // 2
        mov(0, 0),     // 3: callee
        add(0, 1),
        i(BPF_JMP32 | BPF_JA, 0, 0, 0, -2), // 5: gotol 4
        EXIT,
    ]
}

/// The smallest odd divisor from 3 of 143 (= 11 * 13), in clang's rotated shape: a jump
/// to the loop's test, which code generation copies to the jump (`header_copy`). Four back
/// edges (divisors 3, 5, 7 and 9 fail), whichever copy of the test takes them.
fn rotated() -> Vec<Insn> {
    vec![
        mov(1, 143),                                // 0
        i(BPF_ALU | BPF_MOV | BPF_K, 3, 0, 0, 3),   // 1: w3 = 3
        i(BPF_JMP | BPF_JA, 0, 0, 1, 0),            // 2: goto 4, the test
        i(BPF_ALU | BPF_ADD | BPF_K, 3, 0, 0, 2),   // 3: w3 += 2
        i(BPF_ALU | BPF_MOV | BPF_X, 4, 1, 0, 0),   // 4: w4 = w1
        i(BPF_ALU | BPF_MOD | BPF_X, 4, 3, 0, 0),   // 5: w4 %= w3
        i(BPF_JMP | BPF_JNE | BPF_K, 4, 0, -4, 0),  // 6: if r4 != 0 goto 3
        i(BPF_ALU64 | BPF_MOV | BPF_X, 0, 3, 0, 0), // 7: r0 = r3
        EXIT,
    ]
}

/// callx through r3: helper 5 returns its first argument.
fn callx(helper: i32) -> Vec<Insn> {
    vec![
        mov(1, 1234),
        mov(3, helper),
        i(BPF_JMP | BPF_CALL | BPF_X, 3, 0, 0, 0),
        EXIT,
    ]
}

fn raw_cases() -> Vec<Case> {
    let programs: Vec<(&str, Vec<Insn>)> = vec![
        ("endless", endless()),
        ("counted", counted()),
        ("rotated", rotated()),
        ("frames", frames()),
        ("unwind_through_call", unwind_through_call()),
        ("callx_known", callx(5)),
        ("callx_unknown", callx(99)),
    ];
    let mut cases: Vec<Case> = programs
        .iter()
        .map(|(name, insns)| raw_case(name, &encode(insns), &[]).unwrap())
        .collect();
    cases.push(xdp_case());
    cases
}

/// An XDP program reading data, data_end, ingress_ifindex (7) and the low byte of
/// rx_queue_index (3) through struct xdp_md, plus the first packet byte:
/// r0 = byte * 1000 + length * 100 + ifindex * 10 + queue.
fn xdp_case() -> Case {
    let insns = vec![
        i(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0),  // 0: data
        add(1, 4),                                 // 1: r1 points 4 bytes into the context
        i(BPF_LDX | BPF_MEM | BPF_W, 3, 1, 0, 0),  // 2: data_end
        i(BPF_LDX | BPF_MEM | BPF_W, 4, 1, 8, 0),  // 3: ingress_ifindex
        i(BPF_LDX | BPF_MEM | BPF_B, 5, 1, 12, 0), // 4: rx_queue_index, low byte
        i(BPF_LDX | BPF_MEM | BPF_B, 6, 2, 0, 0),  // 5: first packet byte
        i(BPF_ALU64 | BPF_MOV | BPF_X, 0, 3, 0, 0),
        i(BPF_ALU64 | BPF_SUB | BPF_X, 0, 2, 0, 0),
        i(BPF_ALU64 | BPF_MUL | BPF_K, 0, 0, 0, 100),
        i(BPF_ALU64 | BPF_MUL | BPF_K, 4, 0, 0, 10),
        i(BPF_ALU64 | BPF_ADD | BPF_X, 0, 4, 0, 0),
        i(BPF_ALU64 | BPF_ADD | BPF_X, 0, 5, 0, 0),
        i(BPF_ALU64 | BPF_MUL | BPF_K, 6, 0, 0, 1000),
        i(BPF_ALU64 | BPF_ADD | BPF_X, 0, 6, 0, 0),
        EXIT,
    ];
    let obj = Object {
        path: PathBuf::from("xdp_test.o"),
        name: "xdp_test".into(),
        kind: ObjectKind::Elf,
        little_endian: true,
        maps: Vec::new(),
        functions: vec![Function {
            name: "xdp_prog".into(),
            section: "xdp".into(),
            section_offset: 0,
            insns,
            relocs: BTreeMap::new(),
            line_info: Vec::new(),
        }],
        programs: vec![Program {
            name: "xdp_prog".into(),
            section: "xdp".into(),
            prog_type: bpf2c::object::ProgramKind::Runs(ProgramType::Xdp),
            refusal: None,
            entry: 0,
        }],
        btf: None,
        notes: Vec::new(),
    };
    let mut facts = ModuleFacts::default();
    let ctx = |reg_offset, field_offset| CtxFact::Ctx {
        reg_offset,
        field_offset,
    };
    for (pc, fact) in [
        (0, ctx(0, 0)),
        (2, ctx(4, 4)),
        (3, ctx(4, 12)),
        (4, ctx(4, 16)),
        (5, CtxFact::NotCtx),
    ] {
        facts.insns.insert(
            InsnRef {
                function: 0,
                insn: pc,
            },
            InsnFacts {
                reached: true,
                ctx: Some(fact),
                map_call: None,
                pointers: 0,
            },
        );
    }
    let symbol = "bpf2c_test_module_xdp".to_string();
    // The facts are made by hand here, so the C says it was not verified.
    let c_source = generate(
        Source::Unverified {
            object: validate_object(&obj).unwrap(),
            facts: Some(&facts),
        },
        &CodegenOptions {
            module_symbol: Some(symbol.clone()),
            ..CodegenOptions::default()
        },
    )
    .unwrap();
    Case {
        name: "xdp".into(),
        c_source,
        symbol,
        memory: vec![5, 1, 2],
    }
}

fn outcome(r0: u64, unwind: u32, unwind_function: u32, unwind_pc: u32) -> Outcome {
    Outcome {
        r0,
        unwind,
        unwind_function,
        unwind_pc,
    }
}

const UNWIND_LOOP_BUDGET: u32 = 2;
const UNWIND_BAD_HELPER: u32 = 3;

#[test]
fn generated_code_behaves_at_run_time() {
    let cases = raw_cases();
    common::keep_sources(&cases);
    for cc in compilers() {
        let harness = build(cc, &cases).unwrap_or_else(|e| panic!("{cc}: {e}"));

        let run = harness.run(1000).unwrap();
        assert_eq!(run.failure, None, "{cc}");
        let o = &run.outcomes;
        // The endless loop stops at its back-edge (function 0, pc 2) when the budget is gone.
        assert_eq!(o["endless"], outcome(0, UNWIND_LOOP_BUDGET, 0, 2), "{cc}");
        assert_eq!(o["counted"], outcome(10, 0, 0, 0), "{cc}");
        assert_eq!(o["frames"], outcome(6000 + 4200 + 7, 0, 0, 0), "{cc}");
        // The callee (function 1) runs out at its gotol (pc 2 of the callee); the caller
        // returns at once instead of setting r0 = 77.
        assert_eq!(
            o["unwind_through_call"],
            outcome(0, UNWIND_LOOP_BUDGET, 1, 2),
            "{cc}"
        );
        assert_eq!(o["callx_known"], outcome(1234, 0, 0, 0), "{cc}");
        assert_eq!(
            o["callx_unknown"],
            outcome(0, UNWIND_BAD_HELPER, 0, 0),
            "{cc}"
        );
        assert_eq!(o["xdp"], outcome(5000 + 300 + 70 + 3, 0, 0, 0), "{cc}");

        // A budget of 9 back-edges is exactly enough for the counted loop; 8 is not.
        let run = harness.run(9).unwrap();
        assert_eq!(run.outcomes["counted"], outcome(10, 0, 0, 0), "{cc}");
        let run = harness.run(8).unwrap();
        assert_eq!(
            run.outcomes["counted"],
            outcome(0, UNWIND_LOOP_BUDGET, 0, 2),
            "{cc}"
        );

        // The rotated loop's test runs first as the copy at the jump: the same result, and
        // the same four back edges charged, the last one at the test (pc 6).
        assert!(
            cases
                .iter()
                .any(|c| c.name == "rotated" && c.c_source.contains("L4_from_2:")),
            "the rotated loop's test is copied"
        );
        assert_eq!(run.outcomes["rotated"], outcome(11, 0, 0, 0), "{cc}");
        let run = harness.run(4).unwrap();
        assert_eq!(run.outcomes["rotated"], outcome(11, 0, 0, 0), "{cc}");
        let run = harness.run(3).unwrap();
        assert_eq!(
            run.outcomes["rotated"],
            outcome(0, UNWIND_LOOP_BUDGET, 0, 6),
            "{cc}"
        );
    }
}

/// A module using every table: maps, read-only and writable global data, helpers, line
/// directives, a subprogram shared by two programs and a function no program runs.
fn rich_object() -> Object {
    let map = |name: &str, map_type, origin, data: Option<Vec<u8>>| Map {
        name: name.into(),
        def: MapDef {
            map_type: bpf2c::object::MapKind::Runs(map_type),
            key_size: 4,
            value_size: 32,
            max_entries: 8,
            map_flags: 0,
        },
        origin,
        initial_data: data,
        initial_programs: Vec::new(),
        initial_maps: Vec::new(),
        inner_map: None,
        is_inner_template: false,
    };
    let func = |name: &str, section: &str, insns: Vec<Insn>| Function {
        name: name.into(),
        section: section.into(),
        section_offset: 0,
        insns,
        relocs: BTreeMap::new(),
        line_info: Vec::new(),
    };
    let mut main = func(
        "main",
        "raw/a",
        vec![
            i(LDDW, 1, 0, 0, 0),
            i(0, 0, 0, 0, 0),
            i(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, 0),
            i(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0),
            add(2, -4),
            i(BPF_JMP | BPF_CALL, 0, 0, 0, 1),
            i(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 3, 0),
            i(LDDW, 1, 0, 0, 0),
            i(0, 0, 0, 0, 0),
            i(BPF_LDX | BPF_MEM | BPF_DW, 0, 1, 0, 0),
            i(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 0),
            EXIT,
        ],
    );
    main.relocs.insert(0, Reloc::MapFd(0));
    main.relocs.insert(7, Reloc::MapValue { map: 1, offset: 8 });
    main.relocs.insert(10, Reloc::Call(2));
    main.line_info = vec![
        LineInfo {
            insn: 0,
            file: "prog \"a\".c".into(),
            line: 12,
            column: 5,
            source: String::new(),
        },
        LineInfo {
            insn: 6,
            file: "prog \"a\".c".into(),
            line: 14,
            column: 5,
            source: String::new(),
        },
    ];
    let mut second = func("main", "raw/b", vec![call_local(0), EXIT]);
    second.relocs.insert(0, Reloc::Call(2));
    let sub = func(
        "sub",
        ".text",
        vec![i(BPF_JMP | BPF_CALL, 0, 0, 0, 12), mov(0, 1), EXIT],
    );
    let unused = func("unused", ".text", vec![mov(0, 1), EXIT]);
    Object {
        path: PathBuf::from("dir/rich.bpf.o"),
        name: "rich_bpf".into(),
        kind: ObjectKind::Elf,
        little_endian: true,
        maps: vec![
            map(
                "table",
                MapType::Hash,
                MapOrigin::Btf {
                    key_type: None,
                    value_type: None,
                },
                None,
            ),
            map(
                ".rodata",
                MapType::Array,
                MapOrigin::GlobalData {
                    section: ".rodata".into(),
                    read_only: true,
                },
                Some((0u8..20).collect()),
            ),
            map(
                ".bss",
                MapType::Array,
                MapOrigin::GlobalData {
                    section: ".bss".into(),
                    read_only: false,
                },
                None,
            ),
        ],
        functions: vec![main, second, sub, unused],
        programs: vec![
            Program {
                name: "main".into(),
                section: "raw/a".into(),
                prog_type: bpf2c::object::ProgramKind::Runs(ProgramType::Raw),
                refusal: None,
                entry: 0,
            },
            Program {
                name: "main".into(),
                section: "raw/b".into(),
                prog_type: bpf2c::object::ProgramKind::Runs(ProgramType::Raw),
                refusal: None,
                entry: 1,
            },
        ],
        btf: None,
        notes: Vec::new(),
    }
}

#[test]
fn full_module_compiles_cleanly_and_deterministically() {
    let obj = rich_object();
    let opts = CodegenOptions {
        optimize: true,
        ..CodegenOptions::default()
    };
    let validated = validate_object(&obj).unwrap();
    let c = generate(validated, &opts).unwrap();
    assert_eq!(c, generate(validated, &opts).unwrap());
    if let Some(dir) = std::env::var_os("BPF2C_KEEP_C") {
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(PathBuf::from(dir).join("rich_bpf.c"), &c);
    }
    assert!(c.contains("#line 12 \"prog \\\"a\\\".c\""));
    assert!(c.contains("BPF2C_FUNCTION_UNUSED;"));
    for cc in compilers() {
        compile_only(cc, &c).unwrap_or_else(|e| panic!("{cc}: {e}\n{c}"));
    }
}

/// Immediates at the edges of every operand type.
const EDGE_IMMS: [i32; 7] = [0, 1, -1, i32::MIN, i32::MAX, 0x7fff_fffe, 63];

/// Every ALU, jump, memory, atomic and call form, with edge-case immediates and with the
/// same register on both sides. Each must compile without warnings and run without
/// undefined behaviour; jumps all go to the next instruction, so it runs straight through.
fn every_form() -> Vec<Insn> {
    let mut p = vec![
        i(LDDW, 1, 0, 0, -7),
        i(0, 0, 0, 0, -1),
        i(LDDW, 2, 0, 0, i32::MIN),
        i(0, 0, 0, 0, 0),
        mov(3, -1),
        mov(4, 33),
        mov(6, 0),
        mov(7, 1),
        mov(8, i32::MIN),
        mov(9, 65),
    ];
    let alu_ops = [
        BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_MOD, BPF_XOR,
        BPF_MOV, BPF_ARSH,
    ];
    for class in [BPF_ALU, BPF_ALU64] {
        for op in alu_ops {
            let offs: &[i16] = if matches!(op, BPF_DIV | BPF_MOD) {
                &[0, 1]
            } else {
                &[0]
            };
            for &off in offs {
                for imm in EDGE_IMMS {
                    p.push(i(class | op | BPF_K, 5, 0, off, imm));
                }
                for (d, s) in [(5, 1), (5, 2), (5, 3), (5, 4), (6, 6), (7, 8), (8, 9)] {
                    p.push(i(class | op | BPF_X, d, s, off, 0));
                }
            }
        }
        p.push(i(class | BPF_NEG, 5, 0, 0, 0));
        for width in [16, 32, 64] {
            p.push(i(class | BPF_END | BPF_K, 5, 0, 0, width));
            if class == BPF_ALU {
                p.push(i(class | BPF_END | BPF_X, 5, 0, 0, width));
            }
        }
    }
    for off in [8, 16, 32] {
        p.push(i(BPF_ALU64 | BPF_MOV | BPF_X, 5, 8, off, 0));
        if off != 32 {
            p.push(i(BPF_ALU | BPF_MOV | BPF_X, 5, 1, off, 0));
        }
    }
    let jmp_ops = [
        BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE, BPF_JSGT, BPF_JSGE, BPF_JLT, BPF_JLE,
        BPF_JSLT, BPF_JSLE,
    ];
    for class in [BPF_JMP, BPF_JMP32] {
        for op in jmp_ops {
            for imm in EDGE_IMMS {
                p.push(i(class | op | BPF_K, 5, 0, 0, imm));
                p.push(i(class | op | BPF_K, 8, 0, 0, imm));
            }
            for (d, s) in [(5, 1), (3, 3), (8, 2), (10, 10)] {
                p.push(i(class | op | BPF_X, d, s, 0, 0));
            }
        }
    }
    p.push(i(BPF_JMP | BPF_JA, 0, 0, 0, 0));
    p.push(i(BPF_JMP32 | BPF_JA, 0, 0, 0, 0));
    for size in [BPF_B, BPF_H, BPF_W, BPF_DW] {
        p.push(i(BPF_ST | BPF_MEM | size, 10, 0, -16, -3));
        p.push(i(BPF_STX | BPF_MEM | size, 10, 1, -16, 0));
        p.push(i(BPF_LDX | BPF_MEM | size, 5, 10, -16, 0));
        if size != BPF_DW {
            p.push(i(BPF_LDX | BPF_MEMSX | size, 5, 10, -16, 0));
        }
    }
    for size in [BPF_W, BPF_DW] {
        for op in [BPF_ADD, BPF_OR, BPF_AND, BPF_XOR] {
            p.push(i(BPF_STX | BPF_ATOMIC | size, 10, 4, -8, op as i32));
            p.push(i(
                BPF_STX | BPF_ATOMIC | size,
                10,
                4,
                -8,
                op as i32 | BPF_FETCH,
            ));
        }
        p.push(i(BPF_STX | BPF_ATOMIC | size, 10, 4, -8, BPF_XCHG));
        p.push(i(BPF_STX | BPF_ATOMIC | size, 10, 4, -8, BPF_CMPXCHG));
    }
    p.push(mov(1, 11));
    p.push(i(BPF_JMP | BPF_CALL, 0, 0, 0, 5));
    p.push(mov(2, 5));
    p.push(i(BPF_JMP | BPF_CALL | BPF_X, 2, 0, 0, 0));
    p.push(mov(0, 1_234_567));
    p.push(EXIT);
    p
}

#[test]
fn every_instruction_form_builds_and_runs_cleanly() {
    let cases = vec![raw_case("every_form", &encode(&every_form()), &[]).unwrap()];
    common::keep_sources(&cases);
    // Constant conditions are decided at translation time, never handed to the compiler.
    assert!(cases[0].c_source.contains("(void)0; /* never taken */"));
    for cc in compilers() {
        let run = build(cc, &cases)
            .unwrap_or_else(|e| panic!("{cc}: {e}"))
            .run(10)
            .unwrap();
        assert_eq!(run.failure, None, "{cc}");
        assert_eq!(
            run.outcomes["every_form"],
            outcome(1_234_567, 0, 0, 0),
            "{cc}"
        );
    }
}
