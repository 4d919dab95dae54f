//! Decisions from facts: every map type and helper, every kind of key fact, and every reason
//! to fall back. The facts are written by hand here; the tests that run generated code
//! (cargo-bpf2c/tests/opt) take them from real verification.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::report::{call_sites, CallSiteReport};
use super::*;
use crate::facts::{InsnFacts, MapCallFact};
use crate::insn::build::EXIT;
use crate::insn::*;
use crate::object::{
    Function, LineInfo, Map, MapDef, MapKind, MapOrigin, ObjectKind, Program, ProgramType, Reloc,
};

fn call(helper: i32) -> Insn {
    Insn {
        opcode: BPF_JMP | BPF_CALL,
        dst: 0,
        src: 0,
        off: 0,
        imm: helper,
    }
}

fn map(name: &str, map_type: MapType, value_size: u32, max_entries: u32) -> Map {
    Map {
        name: name.into(),
        def: MapDef {
            map_type: MapKind::Runs(map_type),
            key_size: 4,
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
    }
}

/// Maps: 0 arr (ARRAY 12 B x 4), 1 twin (ARRAY, same), 2 pcpu (PERCPU_ARRAY), 3 h (HASH),
/// 4 lru (LRU_HASH), 5 ph (PERCPU_HASH), 6 prog (PROG_ARRAY), 7 .rodata.
/// Function 0 (`main`, program `main`): helper calls at 0..=2; it calls function 1 (`sub`)
/// from slot 3, whose helper call is at 0. Function 2 (`dead`) is run by no program.
fn object() -> Object {
    let mut rodata = map(".rodata", MapType::Array, 8, 1);
    rodata.origin = MapOrigin::GlobalData {
        section: ".rodata".into(),
        read_only: true,
    };
    let f = |name: &str, insns: Vec<Insn>| Function {
        name: name.into(),
        section: "raw".into(),
        section_offset: 0,
        insns,
        relocs: BTreeMap::new(),
        line_info: vec![LineInfo {
            insn: 0,
            file: "prog.c".into(),
            line: 10,
            column: 2,
            source: "  v = bpf_map_lookup_elem(&m, &k);".into(),
        }],
    };
    let mut main = f(
        "main",
        vec![
            call(1),
            call(2),
            call(3),
            Insn {
                src: BPF_PSEUDO_CALL,
                imm: 1,
                ..call(0)
            },
            call(7),
            EXIT,
        ],
    );
    main.relocs.insert(3, Reloc::Call(1));
    Object {
        path: PathBuf::from("prog.o"),
        name: "prog".into(),
        kind: ObjectKind::Elf,
        little_endian: true,
        maps: vec![
            map("arr", MapType::Array, 12, 4),
            map("twin", MapType::Array, 12, 4),
            map("pcpu", MapType::PercpuArray, 8, 2),
            map("h", MapType::Hash, 8, 16),
            map("lru", MapType::LruHash, 8, 16),
            map("ph", MapType::PercpuHash, 8, 16),
            map("prog", MapType::ProgArray, 4, 4),
            rodata,
        ],
        functions: vec![
            main,
            f("sub", vec![call(1), EXIT]),
            f("dead", vec![call(1), EXIT]),
        ],
        programs: vec![
            Program {
                name: "main".into(),
                section: "raw".into(),
                prog_type: crate::object::ProgramKind::Runs(ProgramType::Raw),
                refusal: None,
                entry: 0,
            },
            Program {
                name: "other".into(),
                section: "raw/other".into(),
                prog_type: crate::object::ProgramKind::Runs(ProgramType::Raw),
                refusal: None,
                entry: 1,
            },
        ],
        btf: None,
        notes: Vec::new(),
    }
}

fn fact(maps: Option<&[MapId]>, key: KeyFact) -> InsnFacts {
    InsnFacts {
        reached: true,
        ctx: None,
        pointers: 0,
        map_call: Some(MapCallFact {
            maps: maps.map(|m| m.iter().copied().collect()),
            key,
        }),
    }
}

/// Facts for main's three helper calls and sub's one; everything else reached, no facts.
fn facts(main: [InsnFacts; 3], sub: InsnFacts) -> ModuleFacts {
    let mut f = ModuleFacts::default();
    for (insn, x) in main.into_iter().enumerate() {
        f.insns.insert(InsnRef { function: 0, insn }, x);
    }
    f.insns.insert(
        InsnRef {
            function: 1,
            insn: 0,
        },
        sub,
    );
    f
}

fn plan_for(main: [InsnFacts; 3], sub: InsnFacts) -> Plan {
    Plan::new(&object(), Some(&facts(main, sub)), None)
}

fn action(plan: &Plan, function: FunctionId, insn: usize) -> Action {
    plan.site(function, insn).unwrap().action.clone()
}

fn unknown() -> InsnFacts {
    fact(None, KeyFact::Unknown)
}

#[test]
fn array_lookups_are_inlined_and_keys_decide_the_check() {
    let cases = [
        (KeyFact::Unknown, Key::Checked),
        (KeyFact::Const(3), Key::Const(3)),
        (KeyFact::Const(4), Key::OutOfRange),
        (KeyFact::Const(u32::MAX), Key::OutOfRange),
        (KeyFact::Range { min: 0, max: 3 }, Key::InRange),
        (KeyFact::Range { min: 2, max: 4 }, Key::Checked),
        (KeyFact::Range { min: 4, max: 9 }, Key::OutOfRange),
    ];
    for (key_fact, key) in cases {
        let plan = plan_for(
            [fact(Some(&[0]), key_fact), unknown(), unknown()],
            unknown(),
        );
        assert_eq!(
            action(&plan, 0, 0),
            Action::InlineLookup {
                map: 0,
                key,
                per_cpu: false
            },
            "{key_fact:?}"
        );
        assert_eq!(plan.site(0, 0).unwrap().decision(), Decision::Inlined);
        assert_eq!(plan.site(0, 0).unwrap().reason(), None);
        assert_eq!(
            key.proven_in_range(),
            matches!(key, Key::Const(_) | Key::InRange)
        );
    }
}

#[test]
fn per_cpu_arrays_inline_and_hashes_call_their_own_lookup() {
    for (map, want) in [
        (
            2,
            Action::InlineLookup {
                map: 2,
                key: Key::Const(1),
                per_cpu: true,
            },
        ),
        (3, Action::DirectLookup { map: 3 }),
        (4, Action::DirectLookup { map: 4 }),
        (5, Action::DirectLookup { map: 5 }),
    ] {
        let plan = plan_for(
            [fact(Some(&[map]), KeyFact::Const(1)), unknown(), unknown()],
            unknown(),
        );
        assert_eq!(action(&plan, 0, 0), want);
    }
    let plan = plan_for(
        [fact(Some(&[6]), KeyFact::Const(0)), unknown(), unknown()],
        unknown(),
    );
    assert_eq!(
        plan.site(0, 0).unwrap().reason(),
        Some("map type PROG_ARRAY has no inline form for lookup")
    );
}

#[test]
fn updates_inline_only_for_writable_arrays_and_deletes_never() {
    let update = |map: MapId, key: KeyFact| {
        let plan = plan_for(
            [unknown(), fact(Some(&[map]), key), fact(Some(&[map]), key)],
            unknown(),
        );
        (
            action(&plan, 0, 1),
            plan.site(0, 2).unwrap().reason().map(String::from),
        )
    };
    assert_eq!(
        update(0, KeyFact::Const(9)).0,
        Action::InlineUpdate {
            map: 0,
            key: Key::OutOfRange
        }
    );
    assert_eq!(
        update(0, KeyFact::Range { min: 1, max: 2 }).0,
        Action::InlineUpdate {
            map: 0,
            key: Key::InRange
        }
    );
    let (a, delete) = update(0, KeyFact::Unknown);
    assert_eq!(
        a,
        Action::InlineUpdate {
            map: 0,
            key: Key::Checked
        }
    );
    assert_eq!(
        delete.as_deref(),
        Some("map type ARRAY has no inline form for delete")
    );
    for (map, reason) in [
        (2, "map type PERCPU_ARRAY has no inline form for update"),
        (3, "map type HASH has no inline form for update"),
        (4, "map type LRU_HASH has no inline form for update"),
        (7, "map .rodata is read-only global data (.rodata)"),
    ] {
        assert_eq!(
            update(map, KeyFact::Const(0)).0,
            Action::Helper {
                reason: reason.into()
            }
        );
    }
}

#[test]
fn anything_not_proven_falls_back_with_its_reason() {
    let obj = object();
    let reasons = |main: [InsnFacts; 3]| -> Vec<String> {
        let plan = Plan::new(&obj, Some(&facts(main, unknown())), None);
        (0..3)
            .map(|i| plan.site(0, i).unwrap().reason().unwrap_or("").to_string())
            .collect()
    };
    let unreached = InsnFacts::default();
    let no_call_fact = InsnFacts {
        reached: true,
        ..InsnFacts::default()
    };
    assert_eq!(
        reasons([
            fact(Some(&[0, 1]), KeyFact::Const(0)),
            unknown(),
            unreached.clone()
        ]),
        [
            "r1 may be one of 2 maps: arr, twin",
            "r1 is not proven to be one of this object's maps",
            "no verified path reaches this call",
        ]
    );
    assert_eq!(
        reasons([no_call_fact, fact(Some(&[]), KeyFact::Unknown), unknown()])[..2],
        [
            "the verifier recorded nothing about this call",
            "r1 is proven to be no map",
        ]
    );
    // No program runs `dead`, so there are no facts for it at all.
    let plan = Plan::new(
        &obj,
        Some(&facts([unknown(), unknown(), unknown()], unknown())),
        None,
    );
    assert_eq!(
        plan.site(2, 0).unwrap().reason(),
        Some("no program runs this function")
    );
    // Switched off, or nothing verified: every call keeps the helper.
    let f = facts(
        [fact(Some(&[0]), KeyFact::Const(0)), unknown(), unknown()],
        unknown(),
    );
    let off = Plan::new(&obj, Some(&f), Some(Disabled::NoOpt));
    assert!(!off.enabled);
    assert!(off
        .sites
        .values()
        .all(|s| s.reason() == Some("optimizations disabled (--no-opt)")));
    let unverified = Plan::new(&obj, None, None);
    assert!(unverified
        .sites
        .values()
        .all(|s| s.reason() == Some("not verified (--no-verify): no facts to rely on")));
    assert_eq!(
        off.sites.len(),
        6,
        "every call of helper 1, 2, 3 or 7, in every function"
    );
    assert!(off.assumptions.is_empty() && off.counts() == (0, 0, 6));
}

#[test]
fn assumptions_cover_every_map_the_code_reaches_without_helpers() {
    let plan = plan_for(
        [
            fact(Some(&[0]), KeyFact::Unknown),
            fact(Some(&[0]), KeyFact::Unknown),
            unknown(),
        ],
        fact(Some(&[3]), KeyFact::Unknown),
    );
    assert_eq!(
        plan.assumptions,
        BTreeMap::from([
            (
                0,
                MapAssumption {
                    array_data: true,
                    lookup: false,
                    stride: 16
                }
            ),
            (
                3,
                MapAssumption {
                    array_data: false,
                    lookup: true,
                    stride: 8
                }
            ),
        ])
    );
    // Two array lookups and the prandom call inlined, one direct, two helper calls.
    assert_eq!(plan.counts(), (3, 1, 2));
    // A direct value load of global data reads array_data too, optimized or not.
    let mut obj = object();
    obj.functions[1]
        .relocs
        .insert(0, Reloc::MapValue { map: 7, offset: 0 });
    obj.functions[1].insns = vec![
        Insn {
            opcode: LDDW,
            dst: 1,
            src: 0,
            off: 0,
            imm: 0,
        },
        Insn {
            opcode: 0,
            dst: 0,
            src: 0,
            off: 0,
            imm: 0,
        },
        EXIT,
    ];
    let plan = Plan::new(&obj, None, Some(Disabled::NoOpt));
    assert_eq!(
        plan.assumptions.get(&7),
        Some(&MapAssumption {
            array_data: true,
            lookup: false,
            stride: 8
        })
    );
    assert_eq!(array_stride(12), 16);
    assert_eq!(array_stride(16), 16);
    assert_eq!(array_stride(1), 8);
}

#[test]
fn the_report_lists_shared_sites_under_every_program_that_runs_them() {
    let obj = object();
    let plan = Plan::new(
        &obj,
        Some(&facts(
            [
                fact(Some(&[0]), KeyFact::Const(1)),
                fact(Some(&[3]), KeyFact::Unknown),
                unknown(),
            ],
            fact(Some(&[0, 1]), KeyFact::Unknown),
        )),
        None,
    );
    let rows = call_sites(&obj, &plan);
    let brief: Vec<(&str, &str, usize, &str)> = rows
        .iter()
        .map(|r| {
            (
                r.program.as_str(),
                r.function.as_str(),
                r.insn,
                r.decision.name(),
            )
        })
        .collect();
    assert_eq!(
        brief,
        [
            ("main", "main", 0, "inlined"),
            ("main", "main", 1, "helper"),
            ("main", "main", 2, "helper"),
            ("main", "main", 4, "inlined"),
            ("main", "sub", 0, "helper"),
            ("other", "sub", 0, "helper"),
        ]
    );
    let r = &rows[0];
    assert_eq!(r.helper, "bpf_map_lookup_elem");
    assert_eq!(r.maps, ["arr"]);
    assert_eq!(r.line.as_deref(), Some("prog.c:10"));
    assert_eq!(
        r.source.as_deref(),
        Some("v = bpf_map_lookup_elem(&m, &k);")
    );
    assert_eq!(
        r.detail.as_deref(),
        Some("the element address; key proven to be 1: no check, never NULL")
    );
    assert_eq!(rows[1].helper, "bpf_map_update_elem");
    assert_eq!(
        rows[1].reason.as_deref(),
        Some("map type HASH has no inline form for update")
    );
    assert_eq!(rows[3].helper, "bpf_get_prandom_u32");
    assert!(rows[3].maps.is_empty() && rows[3].reason.is_none());
    assert_eq!(rows[4].maps, ["arr", "twin"]);
    assert_eq!(
        CallSiteReport {
            program: "other".into(),
            ..rows[4].clone()
        },
        rows[5]
    );
}

#[test]
fn prandom_calls_are_inlined_whatever_the_facts_unless_switched_off() {
    // No facts at all about the call at main:4: it needs none.
    let mut plan = plan_for([unknown(), unknown(), unknown()], unknown());
    let site = plan.site(0, 4).unwrap();
    assert_eq!(
        (site.helper, site.action.clone()),
        (id::GET_PRANDOM_U32, Action::InlinePrandom)
    );
    assert!(site.maps.is_none());
    assert!(site.detail(&object()).unwrap().contains("run's generator"));
    // Nothing about maps is assumed for it.
    assert!(plan.assumptions.is_empty());
    // Kept on the helper table on request; the map sites stay as they were.
    let before: Vec<Site> = plan.sites.values().cloned().collect();
    plan.keep_helper_calls(id::GET_PRANDOM_U32, "off for this test");
    assert_eq!(plan.site(0, 4).unwrap().reason(), Some("off for this test"));
    let after: Vec<Site> = plan.sites.values().cloned().collect();
    let changed = before.iter().zip(&after).filter(|(a, b)| a != b).count();
    assert_eq!(changed, 1);
    // --no-opt and --no-verify keep it on the table, like every other site.
    let off = Plan::new(&object(), None, Some(Disabled::NoOpt));
    assert_eq!(
        off.site(0, 4).unwrap().reason(),
        Some("optimizations disabled (--no-opt)")
    );
    let unverified = Plan::new(&object(), None, None);
    assert_eq!(unverified.site(0, 4).unwrap().decision(), Decision::Helper);
}

/// After a lookup in a map of maps the verifier names the inner map template for r1, though
/// r1 holds whatever map the host put in the slot: calls on a template (an ARRAY whose
/// lookup and update would otherwise be inlined, a HASH whose lookup would be called
/// directly) keep the helper, which reaches the real map through its handle.
#[test]
fn calls_on_inner_maps_are_never_inlined_through_their_template() {
    // main: lookup and update of arr (0); sub: lookup of h (3).
    let facts = || {
        let arr = || fact(Some(&[0]), KeyFact::Const(1));
        facts(
            [arr(), arr(), unknown()],
            fact(Some(&[3]), KeyFact::Unknown),
        )
    };
    let mut obj = object();
    let mut outer = map("outer", MapType::ArrayOfMaps, 4, 8);
    outer.inner_map = Some(0);
    let mut hash_outer = map("hash_outer", MapType::HashOfMaps, 4, 8);
    hash_outer.inner_map = Some(3);
    obj.maps.push(outer);
    obj.maps.push(hash_outer);
    let plan = Plan::new(&obj, Some(&facts()), None);
    for (function, insn, outer, template) in [
        (0, 0, "outer", "arr"),
        (0, 1, "outer", "arr"),
        (1, 0, "hash_outer", "h"),
    ] {
        let site = plan.site(function, insn).unwrap();
        assert_eq!(site.decision(), Decision::Helper, "{function}+{insn}");
        assert_eq!(
            site.reason().unwrap(),
            format!(
                "r1 may be any inner map of map of maps {outer}, which the verifier knows only \
                 by its template {template}"
            )
        );
    }
    // Nothing is assumed about the templates, so the module carries no assumption either.
    assert!(plan.assumptions.is_empty());
    // Without the maps of maps, the same facts inline and call directly.
    let plan = Plan::new(&object(), Some(&facts()), None);
    assert_eq!(plan.site(0, 0).unwrap().decision(), Decision::Inlined);
    assert_eq!(plan.site(0, 1).unwrap().decision(), Decision::Inlined);
    assert_eq!(plan.site(1, 0).unwrap().decision(), Decision::Direct);
}
