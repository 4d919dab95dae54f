//! Our verdicts agree with the Linux kernel's verifier, without needing the kernel: each
//! table below is what `scripts/kernel-verdicts.sh` printed for the object on Linux 6.18
//! (bpftool 7.1, libbpf 1.1), and the tests check that PREVAIL with bpf2c's patch accepts the
//! same programs and refuses the others at the same instruction. Rerun the script after
//! changing one of these objects and update its table (docs/verification.md, "Checked
//! against Linux").

mod support;

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
