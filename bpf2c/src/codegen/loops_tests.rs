//! Which loops are proven, and what entering them charges.

use super::*;
use crate::codegen::instruction_starts;
use crate::codegen::tests::func;
use crate::insn::build::{insn as i, EXIT};

fn mov(dst: u8, imm: i32) -> Insn {
    i(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
}

fn add(dst: u8, imm: i32) -> Insn {
    i(BPF_ALU64 | BPF_ADD | BPF_K, dst, 0, 0, imm)
}

fn jmp(op: u8, dst: u8, imm: i32, off: i16) -> Insn {
    i(BPF_JMP | op | BPF_K, dst, 0, off, imm)
}

fn ja(off: i16) -> Insn {
    i(BPF_JMP | BPF_JA, 0, 0, off, 0)
}

fn plan(insns: Vec<Insn>) -> LoopPlan {
    let f = func("f", "raw", insns);
    analyze(&f, &instruction_starts(&f))
}

fn charge(trips: u64, report_pc: usize) -> Charge {
    Charge { trips, report_pc }
}

/// The bound must be the loop's real number of back edges: `i = 0; do i += 2 while i < 10`
/// takes 4 (at 2, 4, 6, 8), the usual clang shape with the test at the bottom.
#[test]
fn a_counted_loop_entered_at_its_head_is_charged_its_back_edges() {
    let p = plan(vec![
        mov(1, 0),               // 0
        add(1, 2),               // 1: head
        mov(0, 7),               // 2
        jmp(BPF_JLT, 1, 10, -3), // 3: if r1 < 10 goto 1
        EXIT,                    // 4
    ]);
    assert!(p.has_back_edges);
    assert_eq!(p.free_back_edges, [3].into());
    assert_eq!(p.fallthrough_entries, [(1, charge(4, 3))].into());
    assert!(p.entry_jumps.is_empty());
}

/// `!=` loops need the start: from 0 by 8 to 4096 is 511 back edges; from 1 the test never
/// fails before the counter wraps, which is no proof.
#[test]
fn an_inequality_loop_is_bounded_only_when_the_start_reaches_the_end() {
    let body = |start| {
        vec![
            mov(3, start),             // 0
            add(3, 8),                 // 1: head
            jmp(BPF_JNE, 3, 4096, -2), // 2: if r3 != 4096 goto 1
            EXIT,                      // 3
        ]
    };
    assert_eq!(
        plan(body(0)).fallthrough_entries,
        [(1, charge(511, 2))].into()
    );
    let odd = plan(body(1));
    assert!(odd.has_back_edges);
    assert!(odd.free_back_edges.is_empty(), "{odd:?}");
    assert!(odd.fallthrough_entries.is_empty());
}

/// clang's rotated loop: the exit test in the middle, an unconditional back edge, the entry
/// jumping past the step. Entered off the head, one more back edge may come before the test.
#[test]
fn a_loop_entered_in_the_middle_charges_the_jump_in() {
    let p = plan(vec![
        mov(2, 0),              // 0
        ja(3),                  // 1: goto 5
        add(2, 4),              // 2: head
        jmp(BPF_JNE, 2, 16, 1), // 3: if r2 != 16 goto 5
        EXIT,                   // 4
        mov(0, 1),              // 5
        ja(-5),                 // 6: goto 2
    ]);
    assert_eq!(p.free_back_edges, [6].into());
    // Really 4 back edges (after the bodies with r2 = 0, 4, 8, 12); charged 1 + the 4
    // comparisons that continue from r2 = 0, since an entry off the head may meet the test
    // before or after the step.
    assert_eq!(p.entry_jumps, [(1, charge(5, 6))].into());
    assert!(p.fallthrough_entries.is_empty());
}

/// clang's log2_sum shape: the length check jumps to the function's exit, which sits inside
/// the rotated loop's range, with the counter not yet set. That jump takes no back edge, so it
/// neither blocks the proof nor pays; the jump that really enters the loop still does.
#[test]
fn a_jump_to_an_exit_inside_the_loop_range_is_no_entry() {
    let p = plan(vec![
        jmp(BPF_JLT, 2, 64, 5), // 0: if r2 < 64 goto 6 (the exit; r2 is the caller's)
        mov(2, 0),              // 1
        ja(4),                  // 2: goto 7
        add(0, 1),              // 3: head
        add(2, 1),              // 4
        jmp(BPF_JNE, 2, 8, 1),  // 5: if r2 != 8 goto 7
        EXIT,                   // 6
        mov(3, 1),              // 7
        ja(-6),                 // 8: goto 3
    ]);
    assert_eq!(p.free_back_edges, [8].into());
    // 8 comparisons continue from r2 = 0, plus one for the entry off the head.
    assert_eq!(p.entry_jumps, [(2, charge(9, 8))].into());
    assert!(p.fallthrough_entries.is_empty());
}

#[test]
fn loops_without_a_proof_keep_counting_each_back_edge() {
    let unproven = |insns: Vec<Insn>| {
        let p = plan(insns.clone());
        assert!(p.has_back_edges);
        assert_eq!(
            (
                p.free_back_edges.len(),
                p.entry_jumps.len(),
                p.fallthrough_entries.len()
            ),
            (0, 0, 0),
            "{insns:?}: {p:?}"
        );
    };
    // The counter comes from memory.
    unproven(vec![
        i(BPF_LDX | BPF_MEM | BPF_DW, 1, 10, -8, 0),
        add(1, 1),
        jmp(BPF_JLT, 1, 10, -2),
        EXIT,
    ]);
    // Two writers.
    unproven(vec![
        mov(1, 0),
        add(1, 1),
        add(1, 1),
        jmp(BPF_JLT, 1, 10, -3),
        EXIT,
    ]);
    // A path around the step: the jump at 2 skips it.
    unproven(vec![
        mov(1, 0),
        mov(0, 0),
        jmp(BPF_JEQ, 0, 5, 1),   // 2: head; if r0 == 5 goto 4
        add(1, 1),               // 3
        jmp(BPF_JLT, 1, 10, -3), // 4: if r1 < 10 goto 2
        EXIT,
    ]);
    // A step of zero never reaches the end.
    unproven(vec![mov(1, 0), add(1, 0), jmp(BPF_JLT, 1, 10, -2), EXIT]);
    // The loop starts the function: its registers come from the caller.
    unproven(vec![add(1, 1), jmp(BPF_JLT, 1, 10, -2), EXIT]);
    // Nested: the outer loop holds another loop's back edge.
    let nested = plan(vec![
        mov(1, 0),              // 0
        mov(2, 0),              // 1: outer head
        add(2, 1),              // 2: inner head
        jmp(BPF_JLT, 2, 3, -2), // 3: if r2 < 3 goto 2
        add(1, 1),              // 4
        jmp(BPF_JLT, 1, 5, -5), // 5: if r1 < 5 goto 1
        EXIT,
    ]);
    assert_eq!(nested.free_back_edges, [3].into(), "the inner loop only");
    assert_eq!(nested.fallthrough_entries, [(2, charge(2, 3))].into());
    // A helper call clobbers r1-r5.
    unproven(vec![
        mov(1, 0),
        add(1, 1),
        i(BPF_JMP | BPF_CALL, 0, 0, 0, 5),
        jmp(BPF_JLT, 1, 10, -3),
        EXIT,
    ]);
    // The start is a jump target: another path may bring another value.
    unproven(vec![
        i(BPF_LDX | BPF_MEM | BPF_DW, 1, 10, -8, 0),
        jmp(BPF_JEQ, 0, 0, 1),
        mov(1, 0), // 2
        add(1, 1), // 3: head, but also the target of 1 with r1 from memory
        jmp(BPF_JLT, 1, 10, -2),
        EXIT,
    ]);
}

/// A loop longer than MAX_TRIPS is left to per-edge counting.
#[test]
fn long_loops_count_per_edge() {
    let p = plan(vec![
        mov(1, 0),
        add(1, 1),
        jmp(BPF_JLT, 1, 1 << 20, -2),
        EXIT,
    ]);
    assert!(p.free_back_edges.is_empty());
    let p = plan(vec![
        mov(1, 0),
        add(1, 1),
        jmp(BPF_JLT, 1, MAX_TRIPS as i32, -2),
        EXIT,
    ]);
    assert_eq!(
        p.fallthrough_entries,
        [(1, charge(MAX_TRIPS - 1, 2))].into()
    );
}

/// 32-bit steps and tests wrap at 2^32: w1 = 0xfffffff0, w1 += 4, loop while w1 > 5
/// (unsigned) runs through 0xfffffff4..0xfffffffc (3 back edges), then 0 stops it.
#[test]
fn thirty_two_bit_counters_wrap_at_two_to_the_thirty_two() {
    let p = plan(vec![
        i(BPF_ALU | BPF_MOV | BPF_K, 1, 0, 0, 0xfffffff0u32 as i32),
        i(BPF_ALU | BPF_ADD | BPF_K, 1, 0, 0, 4),
        i(BPF_JMP32 | BPF_JGT | BPF_K, 1, 0, -2, 5),
        EXIT,
    ]);
    assert_eq!(p.fallthrough_entries, [(1, charge(3, 2))].into());
}
