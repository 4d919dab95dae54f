//! Whole-module generation: tables, names, line directives, context rewriting and errors.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::*;
use crate::facts::{CtxFact, InsnFacts};
pub(super) use crate::insn::build::{insn as i, EXIT};
use crate::insn::*;
use crate::object::{
    Function, InsnRef, LineInfo, Map, MapDef, MapKind, MapOrigin, MapType, ObjectKind, Program,
    ProgramType, Reloc,
};

pub(super) fn mov(dst: u8, imm: i32) -> Insn {
    i(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
}

pub(super) fn func(name: &str, section: &str, insns: Vec<Insn>) -> Function {
    Function {
        name: name.into(),
        section: section.into(),
        section_offset: 0,
        insns,
        relocs: BTreeMap::new(),
        line_info: Vec::new(),
    }
}

pub(super) fn program(name: &str, section: &str, prog_type: ProgramType, entry: usize) -> Program {
    Program {
        name: name.into(),
        section: section.into(),
        prog_type: crate::object::ProgramKind::Runs(prog_type),
        entry,
        refusal: None,
    }
}

pub(super) fn object(functions: Vec<Function>, maps: Vec<Map>, programs: Vec<Program>) -> Object {
    Object {
        path: PathBuf::from("/some/dir/sample.bpf.o"),
        name: "sample_bpf".into(),
        kind: ObjectKind::Elf,
        little_endian: true,
        maps,
        functions,
        programs,
        btf: None,
        notes: Vec::new(),
    }
}

pub(super) fn map(name: &str, map_type: MapType, origin: MapOrigin, data: Option<Vec<u8>>) -> Map {
    Map {
        name: name.into(),
        def: MapDef {
            map_type: MapKind::Runs(map_type),
            key_size: 4,
            value_size: 24,
            max_entries: 1,
            map_flags: 0,
        },
        origin,
        initial_data: data,
        initial_programs: Vec::new(),
        initial_maps: Vec::new(),
        inner_map: None,
        is_inner_template: false,
    }
}

/// Validates `obj` and generates its C with facts taken on trust, so unverified C.
pub(super) fn generate(
    obj: &Object,
    facts: Option<&ModuleFacts>,
    opts: &CodegenOptions,
) -> Result<String> {
    let object = crate::object::validate::validate_object(obj)?;
    super::generate(Source::Unverified { object, facts }, opts)
}

/// [`generate`] under a proof taken on trust, so C that says it was verified.
fn generate_verified(obj: &Object, opts: &CodegenOptions) -> Result<String> {
    let object = crate::object::validate::validate_object(obj)?;
    let proof = Verified::assumed(object, ModuleFacts::default());
    super::generate(&proof, opts)
}

fn generate_with_plan(obj: &Object, plan: &Plan, opts: &CodegenOptions) -> Result<String> {
    let object = crate::object::validate::validate_object(obj)?;
    super::generate_with_plan(object, plan, opts)
}

fn gen(obj: &Object) -> String {
    generate(obj, None, &CodegenOptions::default()).unwrap()
}

/// The body of the C function `name`: from its definition to the closing brace.
fn body<'a>(c: &'a str, name: &str) -> &'a str {
    let start = c
        .find(&format!("static uint64_t {name}(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, uint64_t r10, bpf2c_invocation_t *inv)\n{{"))
        .unwrap_or_else(|| panic!("no definition of {name}"));
    let end = c[start..].find("\n}\n").unwrap() + start;
    &c[start..end]
}

/// A module with maps, global data, helpers, a shared subprogram and two programs.
fn rich_object() -> Object {
    let mut main = func(
        "prog",
        "raw/main",
        vec![
            i(LDDW, 1, BPF_PSEUDO_MAP_FD, 0, 0), // 0: r1 = map counters
            i(0, 0, 0, 0, 0),
            i(LDDW, 2, BPF_PSEUDO_MAP_VALUE, 0, 0), // 2: r2 = &.rodata + 16
            i(0, 0, 0, 0, 16),
            i(BPF_JMP | BPF_CALL, 0, 0, 0, 1), // 4: map_lookup_elem
            i(BPF_JMP | BPF_CALL, 0, 0, 0, 12), // 5: tail_call
            i(BPF_JMP | BPF_CALL, 0, 0, 0, 1000), // 6: custom helper
            i(BPF_JMP | BPF_CALL, 0, 0, 0, 2000), // 7: unknown helper
            i(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 0), // 8: call sub (via reloc)
            EXIT,
        ],
    );
    main.relocs.insert(0, Reloc::MapFd(0));
    main.relocs
        .insert(2, Reloc::MapValue { map: 1, offset: 16 });
    main.relocs.insert(8, Reloc::Call(2));
    let other = func("prog", "raw/other", vec![mov(0, 2), EXIT]);
    let sub = func("sub.helper", ".text", vec![mov(0, 3), EXIT]);
    let mut other2 = other.clone();
    other2.insns = vec![i(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 0), EXIT];
    other2.relocs.insert(0, Reloc::Call(2));
    let dead = func("dead", ".text", vec![mov(0, 4), EXIT]);
    let maps = vec![
        map(
            "counters",
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
    ];
    object(
        vec![main, other2, sub, dead],
        maps,
        vec![
            program("prog", "raw/main", ProgramType::Raw, 0),
            program("prog", "raw/other", ProgramType::Raw, 1),
        ],
    )
}

#[test]
fn map_table_and_global_data() {
    let c = gen(&rich_object());
    assert!(c.contains(
        "static const uint8_t bpf2c_map_initial_data_1[] = {\n    0x00, 0x01, 0x02, 0x03, 0x04, \
         0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,\n    0x10, 0x11, \
         0x12, 0x13,\n};\n"
    ));
    assert!(c.contains(
        "    /* 0: BPF_MAP_TYPE_HASH, key 4 bytes, value 24 bytes, 1 entries */\n    { \"counters\", \
         { BPF2C_MAP_TYPE_HASH, 4, 24, 1, 0x0 }, 0, 0, NULL, 0, 0, NULL },\n"
    ));
    assert!(c.contains(
        "{ \".rodata\", { BPF2C_MAP_TYPE_ARRAY, 4, 24, 1, 0x0 }, BPF2C_MAP_F_GLOBAL_DATA | \
         BPF2C_MAP_F_READ_ONLY | BPF2C_MAP_F_INLINED, 20, bpf2c_map_initial_data_1, 0, 0, NULL },"
    ));
    // The direct value load reads .rodata's array_data, so the module states what it assumes
    // about that map, even without optimizations.
    assert!(c.contains(
        "static const bpf2c_map_assumption_t bpf2c_map_assumptions[] = {\n    { 1, \
         BPF2C_MAP_USE_ARRAY_DATA, { BPF2C_MAP_TYPE_ARRAY, 4, 24, 1, 0x0 }, 0, 24 }, /* .rodata */\n};\n"
    ));
    assert!(c.contains(
        "{ \".bss\", { BPF2C_MAP_TYPE_ARRAY, 4, 24, 1, 0x0 }, BPF2C_MAP_F_GLOBAL_DATA, 0, NULL, 0, 0, NULL },"
    ));
    assert!(!c.contains("bpf2c_map_initial_data_2"));
    let main = body(&c, "bpf2c_fn_prog");
    assert!(main
        .contains("    r1 = (uint64_t)(uintptr_t)rt->map_data[0].address; /* map counters */\n"));
    assert!(main.contains(
        "    r2 = (uint64_t)(uintptr_t)rt->map_data[1].array_data + 16; /* .rodata + 16 */\n"
    ));
    assert!(main.contains("    const bpf2c_runtime_context_t *rt = inv->runtime;\n"));
    // Relocated instructions are described by their relocation, not their placeholder imm.
    assert!(main.contains("    /* 0: r1 = map[0] ll */\n"));
    assert!(main.contains("    /* 2: r2 = &map[1].value + 16 ll */\n"));
    assert!(main.contains("    /* 8: call sub.helper */\n"));
}

#[test]
fn helper_table_is_sorted_and_indexed() {
    let mut opts = CodegenOptions::default();
    opts.helper_names.insert(1000, "my_helper".into());
    let c = generate(&rich_object(), None, &opts).unwrap();
    assert!(c.contains(
        "static const bpf2c_helper_entry_t bpf2c_helpers[] = {\n    /* 0 */ { 1, \
         \"bpf_map_lookup_elem\" },\n    /* 1 */ { 12, \"bpf_tail_call\" },\n    /* 2 */ { 1000, \
         \"my_helper\" },\n    /* 3 */ { 2000, \"helper_2000\" },\n};\n"
    ));
    let main = body(&c, "bpf2c_fn_prog");
    assert!(main
        .contains("    r0 = rt->helpers[0](r1, r2, r3, r4, r5, inv); /* bpf_map_lookup_elem */\n"));
    assert!(main.contains(
        "    r0 = rt->helpers[1](r1, r2, r3, r4, r5, inv); if (BPF2C_UNLIKELY(inv->unwind)) \
         return 0; /* bpf_tail_call */\n"
    ));
    assert!(main.contains("    r0 = rt->helpers[2](r1, r2, r3, r4, r5, inv); /* my_helper */\n"));
    assert!(main.contains(
        "    r0 = bpf2c_fn_sub_helper(r1, r2, r3, r4, r5, r10 - BPF2C_STACK_SIZE, inv); if \
         (BPF2C_UNLIKELY(inv->unwind)) return 0;\n"
    ));
}

#[test]
fn functions_are_named_once_and_deduplicated() {
    let c = gen(&rich_object());
    // Two functions named `prog` in different sections; the shared subprogram appears once.
    for name in ["bpf2c_fn_prog", "bpf2c_fn_prog_2", "bpf2c_fn_sub_helper"] {
        let decl = format!("static uint64_t {name}(uint64_t r1");
        assert_eq!(
            c.matches(&decl).count(),
            2,
            "{name}: declaration + definition"
        );
    }
    assert!(c.contains(
        "static const bpf2c_program_entry_t bpf2c_programs[] = {\n    { \"prog\", \"raw/main\", \
         BPF2C_PROG_TYPE_RAW, 12, bpf2c_fn_prog_entry },\n    { \"prog\", \"raw/other\", \
         BPF2C_PROG_TYPE_RAW, 4, bpf2c_fn_prog_2_entry },\n};\n"
    ));
    assert!(c.contains(
        "    /* 0 */ { \"prog\" },\n    /* 1 */ { \"prog\" },\n    /* 2 */ { \"sub.helper\" },\n    \
         /* 3 */ { \"dead\" },\n"
    ));
    // No program runs `dead`, so it is marked to keep -Wunused-function quiet.
    assert!(c.contains("bpf2c_invocation_t *inv) BPF2C_FUNCTION_UNUSED;\n"));
    assert_eq!(c.matches(" BPF2C_FUNCTION_UNUSED;").count(), 1);
    assert!(c.contains(
        "extern const bpf2c_module_t bpf2c_module_sample_bpf;\nconst bpf2c_module_t \
         bpf2c_module_sample_bpf = {\n    BPF2C_MODULE_HEADER,\n    0,\n    \"sample_bpf\",\n    \
         bpf2c_maps, 3,\n    4, bpf2c_helpers,\n    bpf2c_programs, 2,\n    4, bpf2c_functions,\n    \
         1, 0, bpf2c_map_assumptions,\n};\n"
    ));
}

#[test]
fn header_records_source_name_and_options() {
    let obj = rich_object();
    let c = generate_verified(
        &obj,
        &CodegenOptions {
            optimize: true,
            module_symbol: Some("my_module".into()),
            ..CodegenOptions::default()
        },
    )
    .unwrap();
    assert!(c.starts_with(&format!(
        "/*\n * Generated by bpf2c {} from sample.bpf.o. Do not edit.\n * Verification: yes\n * \
         Optimization: on\n",
        env!("CARGO_PKG_VERSION")
    )));
    assert!(!c.contains("/some/dir"));
    assert!(c.contains("#include \"bpf2c.h\"\n"));
    assert!(c.contains(
        "const bpf2c_module_t my_module = {\n    BPF2C_MODULE_HEADER,\n    \
         BPF2C_MODULE_F_VERIFIED | BPF2C_MODULE_F_OPTIMIZED,\n"
    ));
    let unverified = gen(&obj);
    assert!(unverified.contains(" * Verification: NOT VERIFIED (--no-verify)\n"));
    assert!(unverified.contains(" * Optimization: off\n"));

    let err = generate(
        &obj,
        None,
        &CodegenOptions {
            module_symbol: Some("not-an-identifier".into()),
            ..CodegenOptions::default()
        },
    )
    .unwrap_err();
    assert!(err.message.contains("not a C identifier"), "{err}");
    for (sym, why) in [
        ("static", "not a C identifier"),
        ("bpf2c_maps", "collides"),
        ("bpf2c_fn_prog", "collides"),
    ] {
        let err = generate(
            &obj,
            None,
            &CodegenOptions {
                module_symbol: Some(sym.into()),
                ..CodegenOptions::default()
            },
        )
        .unwrap_err();
        assert!(err.message.contains(why), "{sym}: {err}");
    }
}

#[test]
fn empty_tables_are_null() {
    let obj = object(
        vec![func("f", "raw", vec![mov(0, 1), EXIT])],
        Vec::new(),
        vec![program("f", "raw", ProgramType::Raw, 0)],
    );
    let c = gen(&obj);
    assert!(!c.contains("bpf2c_maps[]"));
    assert!(!c.contains("bpf2c_helpers[]"));
    assert!(
        c.contains("    NULL, 0,\n    0, NULL,\n    bpf2c_programs, 1,\n    1, bpf2c_functions,\n")
    );
    let f = body(&c, "bpf2c_fn_f");
    // Only the registers the function names are declared; no stack, no runtime context.
    assert!(f.contains("    uint64_t r0 = 0;\n"));
    assert!(!f.contains("r6 = 0"));
    assert!(!f.contains("stack"));
    assert!(!f.contains("rt ="));
}

#[test]
fn stack_and_frame_pointer_are_per_function() {
    let obj = object(
        vec![func(
            "f",
            "raw",
            vec![
                i(BPF_ST | BPF_MEM | BPF_DW, 10, 0, -8, 5),
                i(BPF_LDX | BPF_MEM | BPF_DW, 0, 10, -8, 0),
                EXIT,
            ],
        )],
        Vec::new(),
        vec![program("f", "raw", ProgramType::Raw, 0)],
    );
    let c = gen(&obj);
    let f = body(&c, "bpf2c_fn_f");
    // The frame pointer is a parameter: the program's entry point allocates the stack.
    assert!(!f.contains("stack["));
    assert!(f.contains("(void)r10;"));
    assert!(c.contains(
        "static uint64_t bpf2c_fn_f_entry(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, \
         uint64_t r5, bpf2c_invocation_t *inv)\n{\n    uint64_t stack[1 * BPF2C_STACK_SIZE / 8];\n    \
         return bpf2c_fn_f(r1, r2, r3, r4, r5, (uint64_t)(uintptr_t)(stack + 1 * BPF2C_STACK_SIZE / 8), \
         inv);\n}\n"
    ));
    assert!(f.contains(
        "    /* 0: *(u64 *)(r10 - 8) = 5 */\n    bpf2c_store64_ptr(bpf2c_mem(r10) - 8, 5);\n"
    ));
    assert!(f.contains(
        "    /* 1: r0 = *(u64 *)(r10 - 8) */\n    r0 = bpf2c_load64_ptr(bpf2c_mem(r10) - 8);\n"
    ));
}

#[test]
fn labels_only_on_jump_targets_and_back_edges_spend_budget() {
    let obj = object(
        vec![
            func("a", "raw", vec![mov(0, 0), EXIT]),
            func(
                "loop",
                "raw",
                vec![
                    mov(0, 0),                                  // 0
                    i(BPF_ALU64 | BPF_ADD | BPF_K, 0, 0, 0, 1), // 1
                    i(BPF_JMP | BPF_JLT | BPF_K, 0, 0, -2, 10), // 2: if r0 < 10 goto 1
                    i(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1, 10),  // 3: if r0 == 10 goto 5
                    i(BPF_JMP32 | BPF_JA, 0, 0, 0, -5),         // 4: gotol 0
                    EXIT,                                       // 5
                ],
            ),
        ],
        Vec::new(),
        vec![program("loop", "raw", ProgramType::Raw, 1)],
    );
    let c = gen(&obj);
    let f = body(&c, "bpf2c_fn_loop");
    // The budget lives in a local for the function's run, stored back on return.
    assert!(
        f.contains("    uint64_t budget = inv->loop_budget;\n"),
        "{f}"
    );
    assert!(f.contains("    /* 5: exit */\n    inv->loop_budget = budget; return r0;"));
    // The inner loop (1..2) is proven to take 9 back edges per entry from r0 = 0: falling
    // into it charges 9 before its label, and its back edge runs free.
    assert!(f.contains(
        "    /* enter the loop at 1: at most 9 back edge(s) */\n    if (BPF2C_UNLIKELY(budget \
         < 9)) { return bpf2c_loop_budget_spent(inv, budget, 1, 2); } budget -= 9;\nL1:\n    /* 1: \
         r0 += 1 */\n    r0 += 1;\n    /* 2: if r0 < 10 goto -2 */\n    if (r0 < 10) goto L1;\n"
    ));
    assert!(f.contains("    if (r0 == 10) goto L5;\n"));
    // The outer loop holds another loop's back edge, so it has no proof: one unit per edge.
    assert!(f.contains(
        "    /* 4: gotol -5 */\n    { if (BPF2C_UNLIKELY(budget == 0)) { return \
         bpf2c_loop_budget_spent(inv, 0, 1, 4); } budget--; goto L0; }\n"
    ));
    assert_eq!(f.matches("\nL").count(), 3, "labels L0, L1, L5 only:\n{f}");
}

#[test]
fn line_directives_follow_btf_and_return_to_the_output() {
    let mut f = func("f", "raw", vec![mov(0, 1), mov(1, 2), mov(2, 3), EXIT]);
    f.line_info = vec![
        LineInfo {
            insn: 1,
            file: "src/we\"ird\\name.c".into(),
            line: 40,
            column: 3,
            source: "x = 2;".into(),
        },
        LineInfo {
            insn: 3,
            file: "src/b.c".into(),
            line: 0,
            column: 0,
            source: String::new(),
        },
    ];
    let obj = object(
        vec![f],
        Vec::new(),
        vec![program("f", "raw", ProgramType::Raw, 0)],
    );
    let c = generate(
        &obj,
        None,
        &CodegenOptions {
            output_name: Some("out dir/gen.c".into()),
            ..CodegenOptions::default()
        },
    )
    .unwrap();
    let lines: Vec<&str> = c.lines().collect();
    let find = |s: &str| {
        lines
            .iter()
            .position(|l| *l == s)
            .unwrap_or_else(|| panic!("{s}"))
    };
    // Instruction 0 precedes all line info: no directive.
    assert_eq!(lines[find("    w0 = 1;") - 1], "    /* 0: r0 = 1 */");
    // Instructions 1 and 2 both map to line 40 of the source.
    let d = find("    w1 = 2;") - 1;
    assert_eq!(lines[d], r#"#line 40 "src/we\"ird\\name.c""#);
    let d2 = find("    w2 = 3;") - 1;
    assert_eq!(lines[d2], r#"#line 40 "src/we\"ird\\name.c""#);
    // Line 0 means no position: numbering returns to the generated file, and the number
    // named is the real number of the following line (1-based).
    let back = find("    return (uint64_t)w0;") - 1;
    assert_eq!(
        lines[back],
        format!(r#"#line {} "out dir/gen.c""#, back + 2)
    );
    // The function ends without another directive, since numbering is already real.
    assert_eq!(lines[back + 2], "}");
    assert!(!lines[back + 3].starts_with("#line"));
}

#[test]
fn line_numbering_is_reset_after_each_function() {
    let mut f = func("f", "raw", vec![mov(0, 1), EXIT]);
    f.line_info = vec![LineInfo {
        insn: 0,
        file: "a.c".into(),
        line: 7,
        column: 1,
        source: String::new(),
    }];
    let obj = object(
        vec![f],
        Vec::new(),
        vec![program("f", "raw", ProgramType::Raw, 0)],
    );
    let c = gen(&obj);
    let lines: Vec<&str> = c.lines().collect();
    let first = lines
        .iter()
        .position(|l| l.starts_with("#line 7 "))
        .unwrap();
    assert_eq!(lines[first + 1], "    w0 = 1;");
    assert_eq!(
        lines[first + 3],
        "#line 7 \"a.c\"",
        "instruction 1 is still line 7"
    );
    assert_eq!(lines[first + 4], "    return (uint64_t)w0;");
    assert_eq!(lines[first + 5], "}");
    let reset = first + 6;
    assert_eq!(
        lines[reset],
        format!("#line {} \"sample_bpf.c\"", reset + 2)
    );
}

fn xdp_object(insns: Vec<Insn>) -> Object {
    object(
        vec![func("xdp_prog", "xdp", insns)],
        Vec::new(),
        vec![program("xdp_prog", "xdp", ProgramType::Xdp, 0)],
    )
}

fn facts(entries: &[(usize, CtxFact)]) -> ModuleFacts {
    let mut f = ModuleFacts::default();
    for &(insn, ctx) in entries {
        f.insns.insert(
            InsnRef { function: 0, insn },
            InsnFacts {
                reached: true,
                ctx: Some(ctx),
                map_call: None,
                pointers: 0,
            },
        );
    }
    f
}

#[test]
fn xdp_context_loads_are_rewritten() {
    let obj = xdp_object(vec![
        i(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0),
        i(BPF_LDX | BPF_MEM | BPF_W, 3, 1, 4, 0),
        i(BPF_LDX | BPF_MEM | BPF_B, 0, 2, 0, 0),
        EXIT,
    ]);
    let ctx = |off| CtxFact::Ctx {
        reg_offset: 0,
        field_offset: off,
    };
    let f = facts(&[(0, ctx(0)), (1, ctx(4)), (2, CtxFact::NotCtx)]);
    let c = generate(&obj, Some(&f), &CodegenOptions::default()).unwrap();
    assert!(c.contains(
        "    r2 = bpf2c_load64(r1 + offsetof(bpf2c_xdp_context_t, data)); \
         /* xdp_md.data: a 64-bit pointer natively */\n"
    ));
    assert!(c.contains(
        "    r3 = bpf2c_load64(r1 + offsetof(bpf2c_xdp_context_t, data_end)); \
         /* xdp_md.data_end: a 64-bit pointer natively */\n"
    ));
    // A plain byte load, whose value fits in 32 bits.
    assert!(c.contains("    w0 = (uint32_t)bpf2c_load8_ptr(bpf2c_mem(r2));\n"));
    assert!(c.contains("BPF2C_PROG_TYPE_XDP"));

    // Without facts, or with a gap in them, translation stops at the unproven access.
    let err = generate(&obj, None, &CodegenOptions::default()).unwrap_err();
    assert_eq!(err.location.insn, Some(0));
    assert_eq!(err.location.function.as_deref(), Some("xdp_prog"));
    assert!(
        err.message
            .contains("known only from verification facts, and programs with a context struct"),
        "{err}"
    );
    let partial = facts(&[(0, ctx(0)), (1, ctx(4))]);
    let err = generate(&obj, Some(&partial), &CodegenOptions::default()).unwrap_err();
    assert_eq!(err.location.insn, Some(2));
}

#[test]
fn xdp_context_writes_and_ambiguity_are_refused() {
    let store = xdp_object(vec![
        i(BPF_ST | BPF_MEM | BPF_W, 1, 0, 12, 0),
        mov(0, 0),
        EXIT,
    ]);
    let f = facts(&[(
        0,
        CtxFact::Ctx {
            reg_offset: 0,
            field_offset: 12,
        },
    )]);
    let err = generate(&store, Some(&f), &CodegenOptions::default()).unwrap_err();
    assert_eq!(
        err.message,
        "the program writes to the context (xdp_md.ingress_ifindex); context fields may only \
         be read"
    );
    assert_eq!(err.location.insn, Some(0));

    let load = xdp_object(vec![i(BPF_LDX | BPF_MEM | BPF_W, 0, 1, 0, 0), EXIT]);
    let f = facts(&[(0, CtxFact::Ambiguous)]);
    let err = generate(&load, Some(&f), &CodegenOptions::default()).unwrap_err();
    assert!(err.message.contains("on some paths"), "{err}");
    let f = facts(&[(0, CtxFact::VaryingOffset)]);
    let err = generate(&load, Some(&f), &CodegenOptions::default()).unwrap_err();
    assert!(err.message.contains("not a single value"), "{err}");
}

fn skb_object(section: &str, t: ProgramType, insns: Vec<Insn>) -> Object {
    object(
        vec![func("skb_prog", section, insns)],
        Vec::new(),
        vec![program("skb_prog", section, t, 0)],
    )
}

#[test]
fn sk_buff_accesses_are_rewritten_to_the_native_context() {
    let obj = skb_object(
        "tc",
        ProgramType::SchedCls,
        vec![
            i(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 76, 0),  // data
            i(BPF_LDX | BPF_MEM | BPF_B, 3, 1, 9, 0),   // byte 1 of mark
            i(BPF_STX | BPF_MEM | BPF_W, 1, 3, 8, 0),   // mark = r3
            i(BPF_ST | BPF_MEM | BPF_W, 1, 0, 52, 7),   // cb[1] = 7
            i(BPF_LDX | BPF_MEM | BPF_DW, 4, 1, 48, 0), // cb[0..2]
            i(BPF_LD | BPF_ABS | BPF_H, 0, 0, 0, 12),   // ethertype
            EXIT,
        ],
    );
    let ctx = |off| CtxFact::Ctx {
        reg_offset: 0,
        field_offset: off,
    };
    let f = facts(&[
        (0, ctx(76)),
        (1, ctx(9)),
        (2, ctx(8)),
        (3, ctx(52)),
        (4, ctx(48)),
    ]);
    let c = generate(&obj, Some(&f), &CodegenOptions::default()).unwrap();
    for line in [
        "    r2 = bpf2c_load64(r1 + offsetof(bpf2c_skb_context_t, data)); \
         /* __sk_buff.data: a 64-bit pointer natively */\n",
        "    r3 = (bpf2c_load32(r1 + offsetof(bpf2c_skb_context_t, mark)) >> 8) & 255; \
         /* bytes 1..2 of __sk_buff.mark */\n",
        "    bpf2c_store32(r1 + offsetof(bpf2c_skb_context_t, mark), r3); /* __sk_buff.mark */\n",
        "    bpf2c_store32(r1 + offsetof(bpf2c_skb_context_t, cb) + 4, 7); \
         /* bytes 4..8 of __sk_buff.cb */\n",
        "    r4 = bpf2c_load64(r1 + offsetof(bpf2c_skb_context_t, cb)); \
         /* bytes 0..8 of __sk_buff.cb */\n",
        // r6 still holds its initial zero, a value that fits in 32 bits.
        "    { uint64_t packet_value; if (!bpf2c_packet_load((uint64_t)w6, (int64_t)12, 2, &packet_value)) \
         { inv->unwind = BPF2C_UNWIND_PACKET_LOAD; return 0; } r0 = packet_value; } \
         /* legacy packet load, network byte order */\n",
    ] {
        assert!(c.contains(line), "{line}\nin\n{c}");
    }
    assert!(c.contains("BPF2C_PROG_TYPE_SCHED_CLS"));
}

#[test]
fn sk_buff_writes_follow_the_program_type() {
    let store = |section, t| {
        skb_object(
            section,
            t,
            vec![i(BPF_ST | BPF_MEM | BPF_W, 1, 0, 8, 1), mov(0, 0), EXIT],
        )
    };
    let f = facts(&[(
        0,
        CtxFact::Ctx {
            reg_offset: 0,
            field_offset: 8,
        },
    )]);
    assert!(generate(
        &store("tc", ProgramType::SchedCls),
        Some(&f),
        &CodegenOptions::default()
    )
    .is_ok());
    let err = generate(
        &store("socket", ProgramType::SocketFilter),
        Some(&f),
        &CodegenOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.message,
        "the program writes to the context (__sk_buff.mark); socket_filter programs may write \
         only cb, as in Linux"
    );
    assert_eq!(err.location.insn, Some(0));
    // A section that does not name its type is verified as PREVAIL's default socket_filter,
    // but a loader may attach it as tc (iproute2's `tc_mark`): it may write what tc may.
    assert!(generate(
        &store("tc_mark", ProgramType::SocketFilter),
        Some(&f),
        &CodegenOptions::default()
    )
    .is_ok());
    // len is read-only for every type.
    let len = skb_object(
        "tc",
        ProgramType::SchedCls,
        vec![i(BPF_STX | BPF_MEM | BPF_W, 1, 2, 0, 0), mov(0, 0), EXIT],
    );
    let f = facts(&[(
        0,
        CtxFact::Ctx {
            reg_offset: 0,
            field_offset: 0,
        },
    )]);
    let err = generate(&len, Some(&f), &CodegenOptions::default()).unwrap_err();
    assert!(
        err.message.starts_with(
            "the program writes to the context (__sk_buff.len); sched_cls programs may write \
             only mark, queue_mapping, priority, tc_index, cb, tc_classid, tstamp"
        ),
        "{err}"
    );
}

#[test]
fn raw_programs_ignore_context_facts() {
    let obj = object(
        vec![func(
            "f",
            "raw",
            vec![i(BPF_LDX | BPF_MEM | BPF_W, 0, 1, 4, 0), EXIT],
        )],
        Vec::new(),
        vec![program("f", "raw", ProgramType::Raw, 0)],
    );
    let f = facts(&[(
        0,
        CtxFact::Ctx {
            reg_offset: 0,
            field_offset: 4,
        },
    )]);
    let c = generate(&obj, Some(&f), &CodegenOptions::default()).unwrap();
    assert!(c.contains("    w0 = (uint32_t)bpf2c_load32_ptr(bpf2c_mem(r1) + 4);\n"));
}

#[test]
fn map_and_call_identity_come_from_relocations_only() {
    // ELF objects leave src and imm zero on map loads and calls; the relocation decides.
    let mut f = func(
        "f",
        "raw",
        vec![
            i(LDDW, 1, 0, 0, 0),
            i(0, 0, 0, 0, 0),
            i(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, -1),
            EXIT,
        ],
    );
    f.relocs.insert(0, Reloc::MapFd(1));
    f.relocs.insert(2, Reloc::Call(1));
    let g = func("g", "raw", vec![mov(0, 9), EXIT]);
    let obj = object(
        vec![f, g],
        vec![
            map(
                "a",
                MapType::Array,
                MapOrigin::Legacy {
                    section: "maps".into(),
                },
                None,
            ),
            map(
                "b",
                MapType::Array,
                MapOrigin::Legacy {
                    section: "maps".into(),
                },
                None,
            ),
        ],
        vec![program("f", "raw", ProgramType::Raw, 0)],
    );
    let c = gen(&obj);
    assert!(c.contains("    r1 = (uint64_t)(uintptr_t)rt->map_data[1].address; /* map b */\n"));
    assert!(c.contains("    r0 = bpf2c_fn_g(r1, r2, r3, r4, r5, r10 - BPF2C_STACK_SIZE, inv);"));
}

#[test]
fn malformed_objects_give_errors_not_panics() {
    let mut f = func(
        "f",
        "raw",
        vec![i(LDDW, 1, 0, 0, 0), i(0, 0, 0, 0, 0), EXIT],
    );
    f.relocs.insert(0, Reloc::MapFd(3));
    let obj = object(
        vec![f],
        Vec::new(),
        vec![program("f", "raw", ProgramType::Raw, 0)],
    );
    let err = generate(&obj, None, &CodegenOptions::default()).unwrap_err();
    assert_eq!(err.location.insn, Some(0));
    assert!(err.message.contains("map 3, which does not exist"), "{err}");

    let bad_jump = object(
        vec![func(
            "f",
            "raw",
            vec![i(BPF_JMP | BPF_JA, 0, 0, 7, 0), EXIT],
        )],
        Vec::new(),
        vec![program("f", "raw", ProgramType::Raw, 0)],
    );
    let err = generate(&bad_jump, None, &CodegenOptions::default()).unwrap_err();
    assert!(err.message.contains("outside the function"), "{err}");

    let into_lddw = object(
        vec![func(
            "f",
            "raw",
            vec![
                i(BPF_JMP | BPF_JA, 0, 0, 1, 0),
                i(LDDW, 0, 0, 0, 1),
                i(0, 0, 0, 0, 0),
                EXIT,
            ],
        )],
        Vec::new(),
        vec![program("f", "raw", ProgramType::Raw, 0)],
    );
    let err = generate(&into_lddw, None, &CodegenOptions::default()).unwrap_err();
    assert!(err.message.contains("inside an lddw"), "{err}");

    let truncated = object(
        vec![func("f", "raw", vec![EXIT, i(LDDW, 0, 0, 0, 1)])],
        Vec::new(),
        vec![program("f", "raw", ProgramType::Raw, 0)],
    );
    let err = generate(&truncated, None, &CodegenOptions::default()).unwrap_err();
    assert!(err.message.contains("second slot"), "{err}");

    let missing_entry = object(
        vec![func("f", "raw", vec![EXIT])],
        Vec::new(),
        vec![program("f", "raw", ProgramType::Raw, 5)],
    );
    assert!(generate(&missing_entry, None, &CodegenOptions::default()).is_err());

    let mut big = rich_object();
    big.maps[1].initial_data = Some(vec![0; 100]);
    let err = generate(&big, None, &CodegenOptions::default()).unwrap_err();
    assert!(err.message.contains("more than its value size"), "{err}");
}

#[test]
fn hostile_names_stay_inside_strings_and_comments() {
    let name = "evil */ \"name\"\n??/";
    let obj = object(
        vec![func(name, "raw/x*/y", vec![mov(0, 1), EXIT])],
        Vec::new(),
        vec![program(name, "raw/x*/y", ProgramType::Raw, 0)],
    );
    let c = gen(&obj);
    assert!(c.contains("{ \"evil */ \\\"name\\\"\\012\\?\\?/\" }"));
    assert!(c.contains(
        "/* Function 0: evil * / \"name\"? ? ?/ (section raw/x* /y, 2 instruction slots) */"
    ));
    assert!(c.contains("static uint64_t bpf2c_fn_evil_____name_____("));
}

#[test]
fn generation_is_deterministic() {
    let obj = rich_object();
    assert_eq!(gen(&obj), gen(&obj));
}

#[test]
fn lddw_constants_are_full_width_hex() {
    let obj = object(
        vec![func(
            "f",
            "raw",
            vec![
                i(LDDW, 0, 0, 0, 1),
                i(0, 0, 0, 0, 0),
                i(LDDW, 1, 0, 0, -2),
                i(0, 0, 0, 0, 0x1234_5678),
                EXIT,
            ],
        )],
        Vec::new(),
        vec![program("f", "raw", ProgramType::Raw, 0)],
    );
    let c = gen(&obj);
    // The C of each lddw form is in lowering_tests.rs; here, the slot pairs.
    assert!(c.contains("    /* 0: r0 = 0x1 ll */\n"));
    assert!(c.contains("    /* 2: r1 = 0x12345678fffffffe ll */\n"));
    // The second slot of each lddw is not an instruction of its own.
    assert!(!c.contains("/* 1:"));
    assert!(!c.contains("/* 3:"));
}

#[test]
fn direct_value_access_needs_an_array_and_an_offset_inside_the_value() {
    let build = |map_type, offset| {
        let mut f = func(
            "f",
            "raw",
            vec![i(LDDW, 1, 0, 0, 0), i(0, 0, 0, 0, 0), EXIT],
        );
        f.relocs.insert(0, Reloc::MapValue { map: 0, offset });
        object(
            vec![f],
            vec![map(
                "m",
                map_type,
                MapOrigin::Legacy {
                    section: "maps".into(),
                },
                None,
            )],
            vec![program("f", "raw", ProgramType::Raw, 0)],
        )
    };
    let c = gen(&build(MapType::Array, 0));
    assert!(c.contains("    r1 = (uint64_t)(uintptr_t)rt->map_data[0].array_data; /* m */\n"));
    let err = generate(
        &build(MapType::PercpuArray, 0),
        None,
        &CodegenOptions::default(),
    )
    .unwrap_err();
    assert!(err.message.contains("only ARRAY maps"), "{err}");
    assert_eq!(err.location.insn, Some(0));
    let end = gen(&build(MapType::Array, 24));
    assert!(end
        .contains("    r1 = (uint64_t)(uintptr_t)rt->map_data[0].array_data + 24; /* m + 24 */\n"));
    let err = generate(&build(MapType::Array, 25), None, &CodegenOptions::default()).unwrap_err();
    assert!(
        err.message.contains("past the end of its 24-byte value"),
        "{err}"
    );
}

#[test]
fn plans_that_do_not_fit_the_object_are_refused() {
    use crate::optimize::{Action, Key, MapAssumption, Site};
    let call = i(BPF_JMP | BPF_CALL, 0, 0, 0, 1);
    let obj = object(
        vec![func("prog", "raw", vec![call, EXIT])],
        vec![map(
            "arr",
            MapType::Array,
            MapOrigin::Btf {
                key_type: None,
                value_type: None,
            },
            None,
        )],
        vec![program("prog", "raw", ProgramType::Raw, 0)],
    );
    let site = |map| Site {
        helper: 1,
        maps: Some(vec![map]),
        action: Action::InlineLookup {
            map,
            key: Key::Checked,
            per_cpu: false,
        },
    };
    let at = InsnRef {
        function: 0,
        insn: 0,
    };
    let opts = CodegenOptions::default();
    let mut plan = Plan::default();
    plan.sites.insert(at, site(0));
    let err = generate_with_plan(&obj, &plan, &opts).unwrap_err();
    assert!(
        err.to_string().contains("without an assumption record"),
        "{err}"
    );
    plan.assumptions.insert(
        0,
        MapAssumption {
            array_data: true,
            lookup: false,
            stride: 24,
        },
    );
    let c = generate_with_plan(&obj, &plan, &opts).unwrap();
    assert!(c.contains("r0 = key < 1 ? (uint64_t)(uintptr_t)(rt->map_data[0].array_data"));
    assert!(c.contains("BPF2C_MAP_F_INLINED"));
    plan.sites.insert(at, site(3));
    let err = generate_with_plan(&obj, &plan, &opts).unwrap_err();
    assert!(
        err.to_string()
            .contains("names map 3, which does not exist"),
        "{err}"
    );
}

#[test]
fn a_jump_into_a_rotated_loop_runs_a_copy_of_its_test_first() {
    // r3 = 3; goto 5; 2: r3 += 2; 3..4: w4 = w1; w4 %= w3; 5: if r4 != 0 goto 2; exit. The
    // loop's head is its body (2), entered at its test (3), which gets a copy at the jump.
    let obj = object(
        vec![func(
            "f",
            "raw",
            vec![
                i(BPF_ALU | BPF_MOV | BPF_K, 3, 0, 0, 3),
                i(BPF_JMP | BPF_JA, 0, 0, 1, 0),
                i(BPF_ALU | BPF_ADD | BPF_K, 3, 0, 0, 2),
                i(BPF_ALU | BPF_MOV | BPF_X, 4, 1, 0, 0),
                i(BPF_ALU | BPF_MOD | BPF_X, 4, 3, 0, 0),
                i(BPF_JMP | BPF_JNE | BPF_K, 4, 0, -4, 0),
                EXIT,
            ],
        )],
        Vec::new(),
        vec![program("f", "raw", ProgramType::Raw, 0)],
    );
    let c = gen(&obj);
    let f = body(&c, "bpf2c_fn_f");
    let copy = "    goto L3_from_1;\nL3_from_1:\n    /* 3..5 again, for the loop's first trip from 1 */\n    \
                /* 3: w4 = w1 */\n    w4 = (uint32_t)r1;\n    /* 4: w4 %= w3 */\n    \
                w4 = (uint32_t)bpf2c_umod32(w4, w3);\n    /* 5: if r4 != 0 goto -4 */\n    \
                if ((uint64_t)w4 != 0) { if (BPF2C_UNLIKELY(budget == 0)) { return \
                bpf2c_loop_budget_spent(inv, 0, 0, 5); } budget--; goto L2; }\n    goto L6;\n";
    assert!(f.contains(copy), "{f}");
    // The original test stays, reached by falling through from the body; its own label is
    // gone, as nothing jumps there any more.
    assert!(f.contains("    /* 3: w4 = w1 */\n    w4 = (uint32_t)r1;\n"));
    assert!(!f.contains("L3:"));
    assert!(f.contains("L6:\n"));
}
