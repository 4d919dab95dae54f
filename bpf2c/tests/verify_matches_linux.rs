//! Our verdicts agree with the Linux kernel's verifier, without needing the kernel: each
//! table below is what `scripts/kernel-verdicts.sh` printed for the object on Linux 6.18
//! (bpftool 7.1, libbpf 1.1), and the tests check that PREVAIL with bpf2c's patch accepts the
//! same programs and refuses the others at the same instruction. Rerun the script after
//! changing one of these objects and update its table (docs/verification.md, "Checked
//! against Linux").

use crate::support;

use bpf2c::object::Object;
use support::{load, program_index, verify};

/// What the kernel said about one program.
enum Linux {
    Accept,
    /// Refused at this instruction of the program as loaded (the entry function, then the
    /// subprograms it calls), with this reason.
    Refuse(usize, &'static str),
}

use Linux::{Accept, Refuse};

const ARITH_ON_NULL: &str =
    "pointer arithmetic on map_value_or_null prohibited, null-check it first";

/// `tests/bpf/reject/null_arith.o`.
const NULL_ARITH: &[(&str, Linux)] = &[
    ("add_imm_unchecked", Refuse(6, ARITH_ON_NULL)),
    ("add_imm_checked_after", Refuse(6, ARITH_ON_NULL)),
    ("add_reg", Refuse(7, ARITH_ON_NULL)),
    ("add_to_number", Refuse(7, ARITH_ON_NULL)),
    ("add_to_copy_check_original", Refuse(7, ARITH_ON_NULL)),
    ("spill_reload_add", Refuse(8, ARITH_ON_NULL)),
    ("add_in_subprogram", Refuse(9, ARITH_ON_NULL)),
    ("offset_key_to_lookup", Refuse(6, ARITH_ON_NULL)),
    (
        "null_key_to_lookup",
        Refuse(
            9,
            "R2 type=map_value_or_null expected=fp, pkt, pkt_meta, map_key, ...",
        ),
    ),
    ("array_packet_key", Refuse(8, ARITH_ON_NULL)),
    ("sub_imm", Refuse(6, ARITH_ON_NULL)),
    ("sub_reg", Refuse(7, ARITH_ON_NULL)),
    (
        "alu32_add",
        Refuse(6, "R0 32-bit pointer arithmetic prohibited"),
    ),
    ("and_mask", Refuse(6, ARITH_ON_NULL)),
];

/// `tests/bpf/null_checked_arith.o`.
const NULL_CHECKED_ARITH: &[(&str, Linux)] = &[
    ("add_imm", Accept),
    ("add_reg", Accept),
    ("add_to_number", Accept),
    ("add_to_checked_copy", Accept),
    ("spill_reload_add", Accept),
    ("add_in_subprogram", Accept),
    ("offset_key_to_lookup", Accept),
    ("array_packet_key", Accept),
    ("sub_imm", Accept),
    ("sub_reg", Accept),
];

/// Where we disagree with the kernel, one line per program.
fn disagreements(obj: &Object, table: &[(&str, Linux)]) -> Vec<String> {
    let mut wrong = Vec::new();
    for (program, linux) in table {
        let verdict = verify(obj, program);
        match (linux, verdict.diagnostics.first()) {
            (Accept, None) if verdict.verified => {}
            (Accept, _) => wrong.push(format!(
                "{program}: Linux accepts it, we refuse: {:?}",
                verdict.diagnostics
            )),
            (Refuse(insn, reason), None) => wrong.push(format!(
                "{program}: Linux refuses it at {insn} ({reason}), we accept it"
            )),
            (Refuse(insn, reason), Some(d)) => {
                // The kernel numbers instructions across the program as loaded: the entry
                // function, then the subprogram after it.
                let entry = &obj.functions[obj.programs[program_index(obj, program)].entry];
                let ours = match (d.function.as_deref(), d.insn) {
                    (Some(f), Some(i)) if f == entry.name => Some(i),
                    (Some(_), Some(i)) => Some(entry.insns.len() + i),
                    _ => None,
                };
                if ours != Some(*insn) {
                    wrong.push(format!(
                        "{program}: Linux refuses it at {insn} ({reason}), we at {ours:?}: {d}"
                    ));
                }
            }
        }
    }
    wrong
}

#[test]
fn pointer_arithmetic_before_the_null_check_is_refused_where_linux_refuses_it() {
    let obj = load("tests/bpf/reject/null_arith.o");
    assert_eq!(
        obj.programs.len(),
        NULL_ARITH.len(),
        "a program lacks its verdict"
    );
    let wrong = disagreements(&obj, NULL_ARITH);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn pointer_arithmetic_after_the_null_check_is_accepted_as_linux_accepts_it() {
    let obj = load("tests/bpf/null_checked_arith.o");
    assert_eq!(
        obj.programs.len(),
        NULL_CHECKED_ARITH.len(),
        "a program lacks its verdict"
    );
    let wrong = disagreements(&obj, NULL_CHECKED_ARITH);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

// The kernel-differential suite (tests/bpf/kdiff): unsafe/safe pairs over packet bounds,
// map values with variable offsets, NULL paths, the stack, the context, calls, 32-bit bounds
// and loops. Every `<case>_unsafe` program is one the kernel refuses and every `<case>_safe`
// one it accepts; the tables are scripts/kernel-verdicts.sh's output for each object.

/// What scripts/kernel-verdicts.sh prints for a program the kernel gives up on after its
/// million-instruction budget: the log's last line is the trace of the instruction it was
/// at, so the reason is restated here.
const TOO_LARGE: &str = "BPF program is too large (1,000,000 instructions processed)";

/// `tests/bpf/kdiff/bounds32.o`.
const KDIFF_BOUNDS32: &[(&str, Linux)] = &[
    (
        "w_bound_on_64bit_unsafe",
        Refuse(
            10,
            "math between map_value pointer and register with unbounded min value is not allowed",
        ),
    ),
    ("w_bound_on_64bit_safe", Accept),
    (
        "w_signed_bound_unsafe",
        Refuse(
            11,
            "R0 unbounded memory access, make sure to bounds check any such access",
        ),
    ),
    ("w_signed_bound_safe", Accept),
    (
        "w_wraparound_unsafe",
        Refuse(
            12,
            "R0 unbounded memory access, make sure to bounds check any such access",
        ),
    ),
    ("w_wraparound_safe", Accept),
    (
        "w_shift_unsafe",
        Refuse(13, "R0 max value is outside of the allowed memory range"),
    ),
    ("w_shift_safe", Accept),
];

/// `tests/bpf/kdiff/calls.o`.
const KDIFF_CALLS: &[(&str, Linux)] = &[
    ("clobbered_argument_unsafe", Refuse(6, "R2 !read_ok")),
    ("clobbered_argument_safe", Accept),
    (
        "key_too_short_unsafe",
        Refuse(6, "invalid read from stack R2 off=-4 size=8"),
    ),
    ("key_too_short_safe", Accept),
    (
        "packet_key_unchecked_unsafe",
        Refuse(4, "R2 offset is outside of the packet"),
    ),
    ("packet_key_unchecked_safe", Accept),
    ("callee_reads_r6_unsafe", Refuse(5, "R6 !read_ok")),
    ("callee_reads_r6_safe", Accept),
    ("callee_derefs_callers_r6_unsafe", Refuse(4, "R6 !read_ok")),
    ("callee_derefs_callers_r6_safe", Accept),
    (
        "dangling_stack_unsafe",
        Refuse(7, "cannot return stack pointer to the caller"),
    ),
    ("dangling_stack_safe", Accept),
];

/// `tests/bpf/kdiff/ctx.o`.
const KDIFF_CTX: &[(&str, Linux)] = &[
    (
        "past_end_unsafe",
        Refuse(0, "invalid bpf_context access off=24 size=4"),
    ),
    ("past_end_safe", Accept),
    (
        "write_data_unsafe",
        Refuse(1, "invalid bpf_context access off=0 size=4"),
    ),
    ("write_data_safe", Accept),
    (
        "misaligned_unsafe",
        Refuse(0, "invalid bpf_context access off=14 size=4"),
    ),
    ("misaligned_safe", Accept),
    (
        "moved_pointer_unsafe",
        Refuse(1, "dereference of modified ctx ptr R1 off=12 disallowed"),
    ),
    ("moved_pointer_safe", Accept),
    (
        "wide_read_unsafe",
        Refuse(0, "invalid bpf_context access off=0 size=8"),
    ),
    ("wide_read_safe", Accept),
];

/// `tests/bpf/kdiff/loops.o`.
const KDIFF_LOOPS: &[(&str, Linux)] = &[
    (
        "index_one_past_unsafe",
        Refuse(11, "R1 min value is outside of the allowed memory range"),
    ),
    ("index_one_past_safe", Accept),
    (
        "packet_walk_unchecked_unsafe",
        Refuse(7, "R2 offset is outside of the packet"),
    ),
    ("packet_walk_unchecked_safe", Accept),
    (
        "stack_walk_unsafe",
        Refuse(4, "invalid write to stack R1 off=-520 size=8"),
    ),
    ("stack_walk_safe", Accept),
    ("endless_unsafe", Refuse(1, TOO_LARGE)),
    ("endless_safe", Accept),
];

/// `tests/bpf/kdiff/map_value.o`.
const KDIFF_MAP_VALUE: &[(&str, Linux)] = &[
    (
        "unbounded_index_unsafe",
        Refuse(
            8,
            "math between map_value pointer and register with unbounded min value is not allowed",
        ),
    ),
    ("unbounded_index_safe", Accept),
    (
        "upper_bound_off_by_one_unsafe",
        Refuse(10, "R0 max value is outside of the allowed memory range"),
    ),
    ("upper_bound_off_by_one_safe", Accept),
    (
        "signed_bound_unsafe",
        Refuse(
            9,
            "math between map_value pointer and register with unbounded min value is not allowed",
        ),
    ),
    ("signed_bound_safe", Accept),
    (
        "masked_write_unsafe",
        Refuse(11, "R0 max value is outside of the allowed memory range"),
    ),
    ("masked_write_safe", Accept),
    (
        "subtracted_index_unsafe",
        Refuse(
            10,
            "R0 min value is negative, either use unsigned index or do a if (index >=0) check.",
        ),
    ),
    ("subtracted_index_safe", Accept),
];

/// `tests/bpf/kdiff/null.o`.
const KDIFF_NULL: &[(&str, Linux)] = &[
    (
        "no_check_unsafe",
        Refuse(6, "R0 invalid mem access 'map_value_or_null'"),
    ),
    ("no_check_safe", Accept),
    (
        "inverted_check_unsafe",
        Refuse(7, "R0 invalid mem access 'scalar'"),
    ),
    ("inverted_check_safe", Accept),
    (
        "checked_the_other_unsafe",
        Refuse(14, "R6 invalid mem access 'map_value_or_null'"),
    ),
    ("checked_the_other_safe", Accept),
    (
        "spilled_unchecked_unsafe",
        Refuse(8, "R1 invalid mem access 'map_value_or_null'"),
    ),
    ("spilled_unchecked_safe", Accept),
    (
        "write_unchecked_unsafe",
        Refuse(7, "R0 invalid mem access 'map_value_or_null'"),
    ),
    ("write_unchecked_safe", Accept),
];

/// `tests/bpf/kdiff/packet.o`.
const KDIFF_PACKET: &[(&str, Linux)] = &[
    (
        "read_past_check_unsafe",
        Refuse(5, "R2 offset is outside of the packet"),
    ),
    ("read_past_check_safe", Accept),
    (
        "wide_write_unsafe",
        Refuse(6, "R2 offset is outside of the packet"),
    ),
    ("wide_write_safe", Accept),
    (
        "inverted_check_unsafe",
        Refuse(5, "R2 offset is outside of the packet"),
    ),
    ("inverted_check_safe", Accept),
    (
        "variable_offset_unchecked_unsafe",
        Refuse(7, "R2 offset is outside of the packet"),
    ),
    ("variable_offset_unchecked_safe", Accept),
    (
        "before_start_unsafe",
        Refuse(5, "R2 offset is outside of the packet"),
    ),
    ("before_start_safe", Accept),
    (
        "moved_after_check_unsafe",
        Refuse(6, "R2 offset is outside of the packet"),
    ),
    ("moved_after_check_safe", Accept),
];

/// `tests/bpf/kdiff/stack.o`.
const KDIFF_STACK: &[(&str, Linux)] = &[
    (
        "below_frame_unsafe",
        Refuse(1, "invalid write to stack R10 off=-520 size=8"),
    ),
    ("below_frame_safe", Accept),
    (
        "above_frame_unsafe",
        Refuse(1, "invalid write to stack R10 off=0 size=8"),
    ),
    ("above_frame_safe", Accept),
    (
        "straddles_top_unsafe",
        Refuse(2, "misaligned stack access off 0+0+-4 size 8"),
    ),
    ("straddles_top_safe", Accept),
    (
        "clobbered_spill_unsafe",
        Refuse(4, "R1 invalid mem access 'scalar'"),
    ),
    ("clobbered_spill_safe", Accept),
    (
        "variable_offset_unsafe",
        Refuse(
            10,
            "invalid variable-offset write to stack R6 var_off=(0x0; 0xff) off=-128 size=1",
        ),
    ),
    ("variable_offset_safe", Accept),
];

/// Programs the kernel refuses that bpf2c accepts, each safe in user space for the reason
/// given (docs/verification.md, "Checked against Linux").
const SAFE_IN_USER_SPACE: &[(&str, &str)] = &[
    (
        "endless_unsafe",
        "termination is not proved at build time; the run-time loop budget stops it",
    ),
    (
        "callee_reads_r6_unsafe",
        "the callee copies its r6, which the verifier treats as unknown (never as a pointer), \
         and the caller drops the copy; in C every register is a local set to 0",
    ),
    (
        "callee_reads_r6_unsafe",
        "the callee copies its r6, which the verifier treats as unknown (never as a pointer), \
         and the caller drops the copy; in C every register is a local set to 0",
    ),
    (
        "moved_pointer_unsafe",
        "a context pointer moved by a constant to a whole field is read as that field: \
         translation rewrites the access by its proven offset (ingress_ifindex)",
    ),
];

/// Programs the kernel accepts that bpf2c refuses: PREVAIL is stricter there, which costs
/// reach, not safety.
const STRICTER_THAN_LINUX: &[(&str, &str)] = &[
    (
        "w_bound_on_64bit_safe",
        "PREVAIL does not carry a 32-bit comparison over to the 64-bit bounds of a \
         zero-extended register",
    ),
    (
        "w_signed_bound_safe",
        "PREVAIL does not carry 32-bit signed comparisons over to the 64-bit bounds",
    ),
    (
        "index_one_past_safe",
        "widening at the loop head loses the index's upper bound",
    ),
    (
        "stack_walk_safe",
        "widening at the loop head loses the pointer's lower bound",
    ),
];

/// Each program of a kdiff object against the kernel's verdict. Refusing what the kernel
/// refuses is required, unless the program is in SAFE_IN_USER_SPACE (and then accepting it
/// is required); the instruction may differ, as the kernel refuses pointer arithmetic that
/// PREVAIL allows and refuses at the access that follows it. Accepting what the kernel accepts
/// is required unless the program is in STRICTER_THAN_LINUX (and then refusing it is
/// required, so that a table entry that no longer holds is noticed).
fn kdiff_disagreements(path: &str, table: &[(&str, Linux)]) -> Vec<String> {
    let obj = load(path);
    assert_eq!(
        obj.programs.len(),
        table.len(),
        "{path}: a program lacks its verdict"
    );
    let mut wrong = Vec::new();
    for (program, linux) in table {
        let verdict = verify(&obj, program);
        let exempt_accept = SAFE_IN_USER_SPACE.iter().any(|(p, _)| p == program);
        let exempt_refuse = STRICTER_THAN_LINUX.iter().any(|(p, _)| p == program);
        match linux {
            Accept if verdict.verified != exempt_refuse => {}
            Accept if exempt_refuse => wrong.push(format!(
                "{program}: listed as stricter than Linux, but we accept it"
            )),
            Accept => wrong.push(format!(
                "{program}: Linux accepts it, we refuse: {:?}",
                verdict.diagnostics
            )),
            Refuse(insn, reason) => match verdict.diagnostics.first() {
                None if exempt_accept => {}
                None => wrong.push(format!(
                    "{program}: Linux refuses it at {insn} ({reason}), we accept it"
                )),
                Some(d) if exempt_accept => wrong.push(format!(
                    "{program}: listed as safe in user space, but we refuse it: {d}"
                )),
                Some(_) => {}
            },
        }
    }
    wrong
}

#[test]
fn kernel_differential_suite_agrees_with_linux() {
    let suites: &[(&str, &[(&str, Linux)])] = &[
        ("tests/bpf/kdiff/packet.o", KDIFF_PACKET),
        ("tests/bpf/kdiff/map_value.o", KDIFF_MAP_VALUE),
        ("tests/bpf/kdiff/null.o", KDIFF_NULL),
        ("tests/bpf/kdiff/stack.o", KDIFF_STACK),
        ("tests/bpf/kdiff/ctx.o", KDIFF_CTX),
        ("tests/bpf/kdiff/calls.o", KDIFF_CALLS),
        ("tests/bpf/kdiff/bounds32.o", KDIFF_BOUNDS32),
        ("tests/bpf/kdiff/loops.o", KDIFF_LOOPS),
    ];
    let mut wrong = Vec::new();
    for (path, table) in suites {
        for w in kdiff_disagreements(path, table) {
            wrong.push(format!("{path}: {w}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
