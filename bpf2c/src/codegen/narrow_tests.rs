//! The narrowing analysis on small functions: which reads and writes take `wK`.

use super::*;
use crate::codegen::instruction_starts;
use crate::codegen::tests::{func, i, mov, EXIT};

fn mov32(dst: u8, imm: i32) -> Insn {
    i(BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, imm)
}

fn analyze(insns: Vec<Insn>) -> Narrowing {
    analyze_with(insns, |_| false)
}

fn analyze_with(insns: Vec<Insn>, context_access: impl Fn(usize) -> bool) -> Narrowing {
    let f = func("f", "s", insns);
    Narrowing::analyze(&f, &instruction_starts(&f), context_access)
}

/// Whether the instruction at `pc` reads `r` from `wK`.
fn reads(n: &Narrowing, pc: usize, r: u8) -> bool {
    n.at(pc).reads_narrow(r)
}

/// Whether the instruction at `pc` writes `r` to `wK`.
fn writes(n: &Narrowing, pc: usize, r: u8) -> bool {
    n.at(pc).writes_narrow(r)
}

#[test]
fn a_redefinition_starts_a_new_web() {
    let n = analyze(vec![
        i(BPF_ALU64 | BPF_MOV | BPF_X, 3, 1, 0, 0), // 0: r3 = r1 (a parameter: wide)
        i(BPF_ALU64 | BPF_ADD | BPF_K, 3, 0, 0, 1), // 1: r3 += 1
        i(BPF_STX | BPF_MEM | BPF_DW, 10, 3, -8, 0), // 2: *(u64 *)(r10 - 8) = r3
        mov32(3, 5),                                // 3: w3 = 5
        i(BPF_JMP32 | BPF_JLT | BPF_K, 3, 0, 0, 7), // 4: if w3 < 7 goto 5
        i(BPF_ALU64 | BPF_MOV | BPF_X, 0, 3, 0, 0), // 5: r0 = r3
        EXIT,
    ]);
    assert!(!reads(&n, 0, 1) && !writes(&n, 0, 3));
    assert!(!reads(&n, 1, 3) && !writes(&n, 1, 3));
    assert!(!reads(&n, 2, 3) && !reads(&n, 2, 10));
    assert!(writes(&n, 3, 3));
    assert!(reads(&n, 4, 3));
    assert!(reads(&n, 5, 3));
    // A 64-bit move of a narrow value is a wide definition.
    assert!(!writes(&n, 5, 0) && !reads(&n, 6, 0));
    assert_eq!(n.locals(), 1 << 3);
}

#[test]
fn one_wide_definition_makes_the_web_wide() {
    let n = analyze(vec![
        mov32(0, 1),                                // 0: w0 = 1
        i(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1, 0),   // 1: if r1 == 0 goto 3
        i(BPF_ALU64 | BPF_MOV | BPF_X, 0, 1, 0, 0), // 2: r0 = r1
        EXIT,                                       // 3: both reach
    ]);
    assert!(!writes(&n, 0, 0), "w0 = 1 meets r0 = r1 at the exit");
    assert!(!writes(&n, 2, 0));
    assert!(!reads(&n, 3, 0));
    assert_eq!(n.locals(), 0);

    // With a narrow definition on both paths, the web is narrow.
    let n = analyze(vec![
        mov32(0, 1),
        i(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1, 0),
        i(BPF_LDX | BPF_MEM | BPF_H, 0, 1, 0, 0), // 2: r0 = *(u16 *)r1
        EXIT,
    ]);
    assert!(writes(&n, 0, 0) && writes(&n, 2, 0) && reads(&n, 3, 0));
    assert_eq!(n.locals(), 1);
}

#[test]
fn dead_definitions_do_not_join_webs() {
    // r2's parameter value is dead at the loop head: the loop's own web stays narrow.
    let n = analyze(vec![
        mov32(0, 0),                                  // 0: w0 = 0
        mov32(2, 0),                                  // 1: w2 = 0
        i(BPF_ALU | BPF_ADD | BPF_X, 0, 2, 0, 0),     // 2: w0 += w2 (loop head)
        i(BPF_ALU | BPF_ADD | BPF_K, 2, 0, 0, 1),     // 3: w2 += 1
        i(BPF_JMP32 | BPF_JLT | BPF_K, 2, 0, -3, 10), // 4: if w2 < 10 goto 2
        EXIT,
    ]);
    for (pc, r) in [(2, 0), (2, 2), (3, 2), (4, 2), (5, 0)] {
        assert!(reads(&n, pc, r), "slot {pc} reads r{r}");
    }
    for (pc, r) in [(0, 0), (1, 2), (2, 0), (3, 2)] {
        assert!(writes(&n, pc, r), "slot {pc} writes r{r}");
    }
    assert_eq!(n.locals(), 0b101);
}

#[test]
fn a_wide_definition_around_a_loop_widens_the_phi() {
    let n = analyze(vec![
        mov32(0, 0),                                  // 0: w0 = 0
        mov32(2, 0),                                  // 1: w2 = 0
        i(BPF_ALU | BPF_ADD | BPF_X, 0, 2, 0, 0),     // 2: w0 += w2 (loop head)
        i(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, 1),   // 3: r2 += 1
        i(BPF_JMP32 | BPF_JLT | BPF_K, 2, 0, -3, 10), // 4: if w2 < 10 goto 2
        EXIT,
    ]);
    // r2 = {1, 3}, joined at the head by the back edge: wide.
    assert!(!writes(&n, 1, 2) && !writes(&n, 3, 2));
    assert!(!reads(&n, 2, 2) && !reads(&n, 3, 2) && !reads(&n, 4, 2));
    // r0 only ever gets ALU32 results.
    assert!(writes(&n, 0, 0) && writes(&n, 2, 0) && reads(&n, 2, 0) && reads(&n, 5, 0));
}

#[test]
fn calls_read_arguments_and_clobber_them() {
    let n = analyze(vec![
        mov(1, 5),                                  // 0: r1 = 5 (narrow: non-negative)
        mov(2, -1),                                 // 1: r2 = -1 (wide)
        mov32(6, 7),                                // 2: w6 = 7
        i(BPF_JMP | BPF_CALL, 0, 0, 0, 1),          // 3: call 1
        i(BPF_ALU64 | BPF_ADD | BPF_X, 0, 6, 0, 0), // 4: r0 += r6
        i(BPF_ALU64 | BPF_MOV | BPF_X, 3, 1, 0, 0), // 5: r3 = r1 (clobbered)
        EXIT,
    ]);
    assert!(writes(&n, 0, 1) && reads(&n, 3, 1));
    assert!(!writes(&n, 1, 2) && !reads(&n, 3, 2));
    // Parameters reach the call's unused arguments, wide.
    assert!(!reads(&n, 3, 3) && !reads(&n, 3, 4) && !reads(&n, 3, 5));
    // The call's result is wide, r6 survives the call.
    assert!(!writes(&n, 3, 0) && !reads(&n, 4, 0) && reads(&n, 4, 6));
    // What the call leaves in r1 is not the narrow 5.
    assert!(!reads(&n, 5, 1));
    assert_eq!(n.locals(), (1 << 1) | (1 << 6));
}

#[test]
fn the_initial_zero_is_narrow_and_parameters_are_wide() {
    let n = analyze(vec![
        i(BPF_ALU64 | BPF_ADD | BPF_X, 6, 1, 0, 0), // 0: r6 += r1
        EXIT,                                       // 1: return r0, still 0
    ]);
    assert!(reads(&n, 1, 0));
    assert!(reads(&n, 0, 6), "r6 still holds its initial zero");
    assert!(!reads(&n, 0, 1) && !writes(&n, 0, 6));
    assert_eq!(n.locals(), (1 << 0) | (1 << 6));
}

#[test]
fn loads_are_narrow_unless_wide_signed_or_context() {
    let load = |opcode: u8| {
        analyze(vec![i(BPF_LDX | opcode, 0, 1, 0, 0), EXIT])
            .at(1)
            .reads_narrow(0)
    };
    assert!(load(BPF_MEM | BPF_B));
    assert!(load(BPF_MEM | BPF_H));
    assert!(load(BPF_MEM | BPF_W));
    assert!(!load(BPF_MEM | BPF_DW));
    assert!(!load(BPF_MEMSX | BPF_B));
    assert!(!load(BPF_MEMSX | BPF_W));
    let n = analyze_with(vec![i(BPF_LDX | BPF_MEM | BPF_W, 0, 1, 0, 0), EXIT], |pc| {
        pc == 0
    });
    assert!(
        !writes(&n, 0, 0),
        "a context field may be a 64-bit pointer natively"
    );
}

#[test]
fn effects_of_each_kind() {
    let e = |insn: Insn| effects(&insn, false);
    let (r0, r1, r2, r6) = (1u16, 2u16, 4u16, 1u16 << 6);
    // Byte swaps: 16 and 32-bit conversions are narrow, 64-bit ones and ALU64 swaps wide.
    let to_le = |w| e(i(BPF_ALU | BPF_END | BPF_K, 1, 0, 0, w));
    assert_eq!(to_le(16).narrow, r1);
    assert_eq!(to_le(32).narrow, r1);
    assert_eq!(to_le(64).narrow, 0);
    assert_eq!(e(i(BPF_ALU | BPF_END | BPF_X, 1, 0, 0, 64)).narrow, 0);
    assert_eq!(e(i(BPF_ALU64 | BPF_END | BPF_K, 1, 0, 0, 16)).narrow, 0);
    // Moves read only their source; an immediate move reads nothing.
    assert_eq!(e(i(BPF_ALU | BPF_MOV | BPF_X, 1, 2, 8, 0)).uses, r2);
    assert_eq!(
        e(mov(1, 0)),
        Effects {
            uses: 0,
            defs: r1,
            narrow: r1
        }
    );
    assert_eq!(e(mov(1, -1)).narrow, 0);
    assert_eq!(e(i(BPF_ALU64 | BPF_AND | BPF_K, 1, 0, 0, 255)).narrow, 0);
    // Atomics: a fetch writes its source, cmpxchg reads and writes r0; all wide.
    let fetch = e(i(
        BPF_STX | BPF_ATOMIC | BPF_W,
        1,
        2,
        0,
        BPF_ADD as i32 | BPF_FETCH,
    ));
    assert_eq!(
        fetch,
        Effects {
            uses: r1 | r2,
            defs: r2,
            narrow: 0
        }
    );
    let cmpxchg = e(i(BPF_STX | BPF_ATOMIC | BPF_W, 1, 2, 0, BPF_CMPXCHG));
    assert_eq!(
        cmpxchg,
        Effects {
            uses: r0 | r1 | r2,
            defs: r0,
            narrow: 0
        }
    );
    assert_eq!(
        e(i(BPF_STX | BPF_ATOMIC | BPF_DW, 1, 2, 0, BPF_ADD as i32)).defs,
        0
    );
    // Legacy packet loads read r6 (and the index) and clobber r0..r5, wide.
    let ind = e(i(BPF_LD | BPF_IND | BPF_W, 0, 2, 0, 4));
    assert_eq!(
        ind,
        Effects {
            uses: r6 | r2,
            defs: 0b11_1111,
            narrow: 0
        }
    );
    // Calls: all arguments and the frame pointer; callx its helper id too.
    let call = e(i(BPF_JMP | BPF_CALL, 0, 0, 0, 1));
    assert_eq!(
        call,
        Effects {
            uses: 0b100_0011_1110,
            defs: 0b11_1111,
            narrow: 0
        }
    );
    let callx = e(i(BPF_JMP | BPF_CALL | BPF_X, 7, 0, 0, 0));
    assert_eq!(callx.uses, 0b100_1011_1110);
    assert_eq!(e(EXIT).uses, r0);
    assert_eq!(
        e(i(LDDW, 1, 0, 0, 7)),
        Effects {
            uses: 0,
            defs: r1,
            narrow: 0
        }
    );
}

/// The C of a one-function raw program made of `insns`.
fn c_of(insns: Vec<Insn>) -> String {
    use crate::codegen::tests::{generate, object, program};
    use crate::object::ProgramType;
    let obj = object(
        vec![func("f", "raw", insns)],
        Vec::new(),
        vec![program("f", "raw", ProgramType::Raw, 0)],
    );
    generate(&obj, None, &crate::codegen::CodegenOptions::default()).unwrap()
}

#[test]
fn narrow_values_live_in_32_bit_locals() {
    let c = c_of(vec![
        mov(1, 1),                                    // 0: r1 = 1
        i(BPF_JMP | BPF_CALL, 0, 0, 0, 5),            // 1: call bpf_ktime_get_ns
        mov32(0, 0),                                  // 2: w0 = 0
        mov(3, 5),                                    // 3: r3 = 5
        i(BPF_ALU64 | BPF_ADD | BPF_X, 0, 3, 0, 0),   // 4: r0 += r3
        i(BPF_JMP | BPF_JSGT | BPF_K, 3, 0, 1, -1),   // 5: if r3 s> -1 goto 7
        mov(0, -1),                                   // 6: r0 = -1
        i(BPF_JMP | BPF_JSLT | BPF_K, 3, 0, 0, 10),   // 7: if r3 s< 10 goto 8
        i(BPF_JMP32 | BPF_JLT | BPF_K, 3, 0, 0, 7),   // 8: if w3 < 7 goto 9
        i(BPF_ALU | BPF_MOV | BPF_X, 3, 3, 0, 0),     // 9: w3 = w3
        i(BPF_ALU64 | BPF_MOV | BPF_X, 4, 3, 0, 0),   // 10: r4 = r3
        i(BPF_ALU64 | BPF_RSH | BPF_K, 4, 0, 0, 1),   // 11: r4 >>= 1
        i(BPF_ALU | BPF_RSH | BPF_K, 3, 0, 0, 1),     // 12: w3 >>= 1
        i(BPF_STX | BPF_MEM | BPF_W, 10, 3, -4, 0),   // 13: *(u32 *)(r10 - 4) = r3
        i(BPF_JMP32 | BPF_JLT | BPF_K, 3, 0, 0, 256), // 14: if w3 < 256 goto 15
        i(BPF_JMP | BPF_JGT | BPF_K, 3, 0, 0, 65535), // 15: if r3 > 65535 goto 16
        i(BPF_JMP | BPF_JSGE | BPF_K, 3, 0, 0, 4),    // 16: if r3 s>= 4 goto 17
        EXIT,                                         // 14
    ]);
    for line in [
        "    uint32_t w0 = 0;\n",
        "    uint32_t w1 = 0;\n",
        "    uint32_t w3 = 0;\n",
        "    w1 = 1;\n",
        // Narrow arguments are widened; the result of a call is wide.
        "    r0 = rt->helpers[0]((uint64_t)w1, r2, r3, r4, r5, inv); /* bpf_ktime_get_ns */\n",
        "    w0 = 0;\n",
        "    w3 = 5;\n",
        // Both operands are 32-bit locals, the sum is computed and kept in 64 bits.
        "    r0 = (uint64_t)w0 + (uint64_t)w3;\n",
        // A value below 2^32 is above every negative number...
        "    goto L7;\n",
        "    r0 = (uint64_t)-1;\n",
        // ... and compares with a non-negative one as unsigned.
        "    if ((uint64_t)w3 < 10) goto L8;\n",
        "    if (w3 < 7) goto L9;\n",
        "    (void)w3;\n",
        "    r4 = (uint64_t)w3;\n",
        "    r4 >>= 1;\n",
        "    w3 = w3 >> 1;\n",
        "    bpf2c_store32_ptr(bpf2c_mem(r10) - 4, (uint64_t)w3);\n",
        // Comparisons with powers of two test the high bits, which SSE2 vectorises.
        "    if ((w3 >> 8) == 0) goto L15;\n",
        "    if ((w3 >> 16) != 0) goto L16;\n",
        "    if ((w3 >> 2) != 0) goto L17;\n",
        "    return r0;\n",
    ] {
        assert!(c.contains(line), "{line}\nin\n{c}");
    }
}
