//! Facts tests: what verification proves at an instruction, checked exactly on programs
//! whose answers are known from their source. The sources are in `tests/bpf/facts/`; the
//! instruction a fact is about is found through BTF line info from a `FACT(<name>)` marker
//! and its index is asserted too, so a recompilation that moves it is noticed.

use crate::support;

use std::collections::BTreeSet;

use bpf2c::facts::{CtxFact, InsnFacts, KeyFact, MapCallFact, ModuleFacts, ProgramFacts};
use bpf2c::object::{InsnRef, Object};
use support::{load, marker_line, verify};

const MAPS: &str = "tests/bpf/facts/maps";
const CONTEXT: &str = "tests/bpf/facts/context";

fn function(obj: &Object, name: &str) -> usize {
    obj.functions
        .iter()
        .position(|f| f.name == name)
        .unwrap_or_else(|| panic!("no function '{name}'"))
}

fn map(obj: &Object, name: &str) -> usize {
    obj.maps
        .iter()
        .position(|m| m.name == name)
        .unwrap_or_else(|| panic!("no map '{name}'"))
}

fn maps(obj: &Object, names: &[&str]) -> Option<BTreeSet<usize>> {
    Some(names.iter().map(|n| map(obj, n)).collect())
}

/// The facts of a verified program, without the pointer registers (which
/// `loads_and_stores_know_which_registers_are_pointers` checks).
fn facts(obj: &Object, program: &str) -> ProgramFacts {
    let mut facts = facts_with_pointers(obj, program);
    for f in facts.insns.values_mut() {
        f.pointers = 0;
    }
    facts
}

/// The facts of a verified program.
fn facts_with_pointers(obj: &Object, program: &str) -> ProgramFacts {
    let v = verify(obj, program);
    assert!(v.verified, "{program}: {:#?}", v.diagnostics);
    let facts = v.facts.expect("a verified program has facts");
    // Every instruction of every function the program runs has an entry, and no other.
    let entry = obj.program(program).unwrap().entry;
    let expected: usize = obj
        .reachable_functions(entry)
        .iter()
        .map(|&f| obj.functions[f].insns.len())
        .sum();
    assert_eq!(facts.insns.len(), expected, "{program}: fact entries");
    facts
}

/// The instruction of `func` on the line marked `FACT(<marker>)` that `pick` selects.
fn marked(
    obj: &Object,
    source: &str,
    marker: &str,
    func: &str,
    pick: impl Fn(&bpf2c::insn::Insn) -> bool,
) -> InsnRef {
    let line = marker_line(&format!("{source}.c"), &format!("FACT({marker})"));
    let f = function(obj, func);
    let hits: Vec<usize> = (0..obj.functions[f].insns.len())
        .filter(|&i| obj.functions[f].line_at(i).is_some_and(|l| l.line == line))
        .filter(|&i| pick(&obj.functions[f].insns[i]))
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "{marker}: instructions on line {line}: {hits:?}"
    );
    InsnRef {
        function: f,
        insn: hits[0],
    }
}

fn map_call(maps: Option<BTreeSet<usize>>, key: KeyFact) -> InsnFacts {
    InsnFacts {
        reached: true,
        ctx: None,
        map_call: Some(MapCallFact { maps, key }),
        pointers: 0,
    }
}

fn ctx_load(fact: CtxFact) -> InsnFacts {
    InsnFacts {
        reached: true,
        ctx: Some(fact),
        map_call: None,
        pointers: 0,
    }
}

/// Checks the fact at the helper call marked `marker` in `func` of `program`.
fn check_call(obj: &Object, program: &str, func: &str, marker: &str, insn: usize, want: InsnFacts) {
    let at = marked(obj, MAPS, marker, func, |i| i.is_helper_call());
    assert_eq!(at.insn, insn, "{marker}: the call moved");
    assert_eq!(
        facts(obj, program).insns[&at],
        want,
        "{program}: fact at {func}+{insn}"
    );
}

#[test]
fn a_single_map_and_a_constant_key() {
    let obj = load(&format!("{MAPS}.o"));
    let want = map_call(maps(&obj, &["first"]), KeyFact::Const(3));
    check_call(&obj, "const_key", "const_key", "const_key", 6, want);
}

#[test]
fn a_bounded_key_has_its_exact_bounds() {
    let obj = load(&format!("{MAPS}.o"));
    let want = map_call(maps(&obj, &["second"]), KeyFact::Range { min: 2, max: 9 });
    check_call(&obj, "bounded_key", "bounded_key", "bounded_key", 7, want);
}

/// `(int)(len & 7) - 4` stored as a u32 is 0xfffffffc..=0xffffffff or 0..=3: no range of
/// small numbers describes it, so nothing is claimed about the key.
#[test]
fn a_key_that_may_be_negative_is_unknown() {
    let obj = load(&format!("{MAPS}.o"));
    let want = map_call(maps(&obj, &["first"]), KeyFact::Unknown);
    check_call(&obj, "signed_key", "signed_key", "signed_key", 7, want);
}

#[test]
fn two_maps_reaching_one_call_are_both_named() {
    let obj = load(&format!("{MAPS}.o"));
    let want = map_call(maps(&obj, &["first", "second"]), KeyFact::Const(1));
    check_call(&obj, "either_map", "either_map", "either_map", 10, want);
}

/// The subprogram is analysed once per call site; its call's fact is the join over both.
#[test]
fn a_subprogram_called_with_two_maps_sees_both() {
    let obj = load(&format!("{MAPS}.o"));
    let want = map_call(
        maps(&obj, &["first", "second"]),
        KeyFact::Range { min: 4, max: 5 },
    );
    check_call(
        &obj,
        "both_maps_via_subprogram",
        "value_of",
        "value_of",
        3,
        want,
    );
}

#[test]
fn a_subprogram_called_twice_with_one_map_sees_one() {
    let obj = load(&format!("{MAPS}.o"));
    let want = map_call(maps(&obj, &["first"]), KeyFact::Range { min: 6, max: 8 });
    check_call(
        &obj,
        "one_map_via_subprogram",
        "value_of",
        "value_of",
        3,
        want,
    );
}

/// A function shared by two programs: each program's facts hold for that program, and the
/// module's facts (what code generation uses for the one copy of the function) join them.
#[test]
fn module_facts_join_the_programs_that_share_a_function() {
    let obj = load(&format!("{MAPS}.o"));
    let at = marked(&obj, MAPS, "value_of", "value_of", |i| i.is_helper_call());
    let one = facts(&obj, "one_map_via_subprogram");
    let second = facts(&obj, "second_via_subprogram");
    assert_eq!(
        second.insns[&at],
        map_call(maps(&obj, &["second"]), KeyFact::Const(0))
    );
    let module = ModuleFacts::from_programs([&one, &second]);
    assert_eq!(
        module.get(at.function, at.insn),
        Some(&map_call(
            maps(&obj, &["first", "second"]),
            KeyFact::Range { min: 0, max: 8 }
        ))
    );
    // Instructions only one program runs keep that program's facts.
    let entry = obj.program("second_via_subprogram").unwrap().entry;
    for (at, f) in &second.insns {
        if at.function == entry {
            assert_eq!(module.insns.get(at), Some(f));
        }
    }
    // The join is the same whichever order the programs come in.
    assert_eq!(module, ModuleFacts::from_programs([&second, &one]));
}

/// Legacy maps with identical definitions share a shape but not an identity: each call sees
/// exactly its own map.
#[test]
fn legacy_maps_with_identical_definitions_stay_apart() {
    let obj = load("tests/bpf/legacy_maps.o");
    let (a, b) = (map(&obj, "stats_a"), map(&obj, "stats_b"));
    assert_eq!(
        obj.maps[a].def, obj.maps[b].def,
        "the test needs identical definitions"
    );
    let facts = facts(&obj, "legacy_use");
    let calls: Vec<(usize, &MapCallFact)> = facts
        .insns
        .iter()
        .filter_map(|(at, f)| f.map_call.as_ref().map(|m| (at.insn, m)))
        .collect();
    let want = [
        (
            11,
            MapCallFact {
                maps: maps(&obj, &["flows"]),
                // flow = len, a u32 of a raw buffer length below 2^24.
                key: KeyFact::Range {
                    min: 0,
                    max: 16_777_216,
                },
            },
        ),
        (
            17,
            MapCallFact {
                maps: maps(&obj, &["stats_a"]),
                key: KeyFact::Const(0),
            },
        ),
        (
            22,
            MapCallFact {
                maps: maps(&obj, &["stats_b"]),
                key: KeyFact::Const(0),
            },
        ),
    ];
    let got: Vec<(usize, MapCallFact)> = calls.into_iter().map(|(i, m)| (i, m.clone())).collect();
    assert_eq!(got, want);
}

/// BTF maps declared through one typedef: one BTF type, two maps, two facts.
#[test]
fn btf_maps_of_one_typedef_stay_apart() {
    let obj = load("tests/bpf/typedef_maps.o");
    let (a, b) = (map(&obj, "hits_a"), map(&obj, "hits_b"));
    assert_eq!(obj.maps[a].def, obj.maps[b].def);
    let facts = facts(&obj, "bump");
    let f = function(&obj, "bump");
    assert_eq!(
        facts.insns[&InsnRef {
            function: f,
            insn: 7
        }],
        map_call(maps(&obj, &["hits_a"]), KeyFact::Const(0))
    );
    assert_eq!(
        facts.insns[&InsnRef {
            function: f,
            insn: 12
        }],
        map_call(maps(&obj, &["hits_b"]), KeyFact::Const(0))
    );
    let map_calls = facts
        .insns
        .values()
        .filter(|f| f.map_call.is_some())
        .count();
    assert_eq!(map_calls, 2);
}

fn is_load(i: &bpf2c::insn::Insn) -> bool {
    i.class() == bpf2c::insn::BPF_LDX
}

#[test]
fn xdp_data_and_data_end_loads_have_proven_offsets() {
    let obj = load(&format!("{CONTEXT}.o"));
    let facts = facts(&obj, "first_byte");
    let data = marked(&obj, CONTEXT, "data", "first_byte", is_load);
    let end = marked(&obj, CONTEXT, "data_end", "first_byte", is_load);
    assert_eq!((data.insn, end.insn), (2, 1));
    assert_eq!(
        facts.insns[&data],
        ctx_load(CtxFact::Ctx {
            reg_offset: 0,
            field_offset: 0
        })
    );
    assert_eq!(
        facts.insns[&end],
        ctx_load(CtxFact::Ctx {
            reg_offset: 0,
            field_offset: 4
        })
    );
    // The packet load is not a context load.
    let f = function(&obj, "first_byte");
    let packet_loads: Vec<usize> = (0..obj.functions[f].insns.len())
        .filter(|&i| is_load(&obj.functions[f].insns[i]) && i != data.insn && i != end.insn)
        .collect();
    assert_eq!(packet_loads, vec![6]);
    assert_eq!(
        facts.insns[&InsnRef {
            function: f,
            insn: 6
        }],
        ctx_load(CtxFact::NotCtx)
    );
}

#[test]
fn loads_and_stores_know_which_registers_are_pointers() {
    let obj = load(&format!("{CONTEXT}.o"));
    let bits = |regs: &[u8]| regs.iter().fold(0u16, |b, r| b | 1 << r);
    let f = function(&obj, "first_byte");
    let facts = facts_with_pointers(&obj, "first_byte");
    let at = |insn| facts.insns[&InsnRef { function: f, insn }].pointers;
    // r1 = the context (r0 = 1 is a number); then r2 = data_end; then r1 = data, r3 = data + 1.
    assert_eq!(at(1), bits(&[1, 10]));
    assert_eq!(at(2), bits(&[1, 2, 10]));
    assert_eq!(at(6), bits(&[1, 2, 3, 10]));
    // Not a load or store: no pointer facts.
    assert_eq!(at(3), 0);
    // A subprogram: r1 is its caller's context; its other registers are not set.
    let callee = function(&obj, "ifindex_of");
    let facts = facts_with_pointers(&obj, "via_subprogram");
    assert_eq!(
        facts.insns[&InsnRef {
            function: callee,
            insn: 0
        }]
            .pointers,
        bits(&[1, 10])
    );
}

#[test]
fn a_context_passed_to_a_subprogram_keeps_its_offsets() {
    let obj = load(&format!("{CONTEXT}.o"));
    let at = marked(&obj, CONTEXT, "ifindex", "ifindex_of", is_load);
    assert_eq!(at.insn, 0);
    assert_eq!(
        facts(&obj, "via_subprogram").insns[&at],
        ctx_load(CtxFact::Ctx {
            reg_offset: 0,
            field_offset: 12
        })
    );
}

#[test]
fn a_moved_context_pointer_keeps_its_offset() {
    let obj = load(&format!("{CONTEXT}.o"));
    let f = function(&obj, "moved_context");
    assert_eq!(
        facts(&obj, "moved_context").insns[&InsnRef {
            function: f,
            insn: 1
        }],
        ctx_load(CtxFact::Ctx {
            reg_offset: 4,
            field_offset: 4
        })
    );
}

/// The facts of a program whose proof succeeded but that translation refuses: they are kept
/// in the verdict, and show why.
fn facts_of_untranslatable(obj: &Object, program: &str) -> ProgramFacts {
    let v = verify(obj, program);
    assert!(!v.verified, "{program}: translation must refuse it");
    let mut facts = v
        .facts
        .expect("PREVAIL's proof succeeded, so there are facts");
    for f in facts.insns.values_mut() {
        f.pointers = 0;
    }
    facts
}

#[test]
fn a_base_that_may_be_the_context_or_the_stack_is_ambiguous() {
    let obj = load("tests/bpf/reject/context.o");
    let f = function(&obj, "either_base");
    let facts = facts_of_untranslatable(&obj, "either_base");
    let at = |insn| facts.insns[&InsnRef { function: f, insn }].clone();
    assert_eq!(at(1), ctx_load(CtxFact::NotCtx)); // the stack store
    assert_eq!(
        at(4),
        ctx_load(CtxFact::Ctx {
            reg_offset: 0,
            field_offset: 12
        })
    );
    assert_eq!(at(7), ctx_load(CtxFact::Ambiguous));
}

#[test]
fn a_context_index_that_depends_on_the_input_is_a_varying_offset() {
    let obj = load("tests/bpf/reject/context.o");
    let f = function(&obj, "variable_offset");
    let facts = facts_of_untranslatable(&obj, "variable_offset");
    let at = |insn| facts.insns[&InsnRef { function: f, insn }].clone();
    assert_eq!(
        at(0),
        ctx_load(CtxFact::Ctx {
            reg_offset: 0,
            field_offset: 12
        })
    );
    // r1 += (ifindex & 1) * 4, then a load at r1 + 12: field 3 or 4.
    assert_eq!(at(4), ctx_load(CtxFact::VaryingOffset));
}
