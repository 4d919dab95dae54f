//! Map identity under sharing: look-alike maps are never confused, a call site that two maps
//! reach falls back to the helper and stays correct, and a subprogram whose every calling
//! context uses one map is inlined.

use bpf2c::optimize::{Action, Decision, Key};
use bpf2c_runtime::{Options, UpdateFlags};

use super::common::{key, loaded, neg, u64v, Loaded, Mem};

fn get_u64(m: &Loaded, map: &str, k: u32) -> u64 {
    let v = m
        .instance
        .map(map)
        .unwrap()
        .lookup(&key(k))
        .unwrap()
        .unwrap();
    u64::from_ne_bytes(v.try_into().unwrap())
}

fn set(m: &Loaded, map: &str, k: u32, v: u64) {
    m.instance
        .map(map)
        .unwrap()
        .update(&key(k), &u64v(v), UpdateFlags::Any)
        .unwrap();
}

fn all_inlined(m: &Loaded, function: &str, count: usize) {
    let sites = m.sites_in(function);
    assert_eq!(sites.len(), count, "{function}");
    for s in sites {
        assert_eq!(s.decision(), Decision::Inlined, "{function}: {s:?}");
    }
}

fn lookups_inlined(m: &Loaded, function: &str, count: usize) {
    let lookups: Vec<_> = m
        .sites_in(function)
        .into_iter()
        .filter(|s| s.helper == 1)
        .collect();
    assert_eq!(lookups.len(), count, "{function}");
    for s in lookups {
        assert_eq!(s.decision(), Decision::Inlined, "{function}: {s:?}");
    }
}

#[test]
fn look_alike_maps_are_never_confused() {
    let m = loaded("tests/bpf/opt/lookalike.o", true, Options::default());
    all_inlined(&m, "lookalike", 4);
    all_inlined(&m, "lookalike_update", 2);
    // Each site names its own map, though all four definitions are identical.
    let names: Vec<String> = m
        .sites_in("lookalike")
        .iter()
        .map(|s| match s.action {
            Action::InlineLookup { map, .. } => m.obj.maps[map].name.clone(),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(names, ["legacy_a", "legacy_b", "twin_a", "twin_b"]);

    assert_eq!(m.run("lookalike", &mut Mem::default().u32(2).bytes()), 1234);
    assert_eq!(m.run("lookalike", &mut Mem::default().u32(2).bytes()), 2468);
    assert_eq!(m.run("lookalike", &mut Mem::default().u32(3).bytes()), 1234);
    for (map, step) in [
        ("legacy_a", 1),
        ("legacy_b", 2),
        ("twin_a", 3),
        ("twin_b", 4),
    ] {
        assert_eq!(get_u64(&m, map, 2), 2 * step, "{map}[2]");
        assert_eq!(get_u64(&m, map, 3), step, "{map}[3]");
        assert_eq!(get_u64(&m, map, 0), 0, "{map}[0]");
    }
    assert_eq!(
        m.run("lookalike_update", &mut Mem::default().u32(1).bytes()),
        0
    );
    assert_eq!(
        (get_u64(&m, "twin_b", 1), get_u64(&m, "legacy_a", 1)),
        (2, 3)
    );
    assert_eq!(
        (get_u64(&m, "twin_a", 1), get_u64(&m, "legacy_b", 1)),
        (0, 0)
    );
    assert_eq!(
        m.run("lookalike_update", &mut Mem::default().u32(4).bytes()),
        neg(707),
        "both updates past the end fail with E2BIG"
    );
}

/// The corpus objects made for map identity: legacy maps with identical definitions, and
/// BTF maps declared through one typedef.
#[test]
fn corpus_look_alike_objects_keep_their_maps_apart() {
    let legacy = loaded(
        "tests/bpf/legacy_maps.o",
        true,
        Options::default().cpu_slots(1),
    );
    lookups_inlined(&legacy, "legacy_use", 2);
    assert_eq!(
        legacy.sites_in("legacy_use")[0].reason(),
        Some("map type HASH has no inline form for update")
    );
    assert_eq!(legacy.run("legacy_use", &mut [0u8; 3]), 102);
    assert_eq!(legacy.run("legacy_use", &mut [0u8; 3]), 204);
    assert_eq!(get_u64(&legacy, "stats_a", 0), 2);
    assert_eq!(get_u64(&legacy, "stats_b", 0), 4);
    assert_eq!(get_u64(&legacy, "stats_a", 1), 0);
    let flows = legacy.instance.map("flows").unwrap();
    assert_eq!(flows.lookup(&key(3)).unwrap().unwrap(), u64v(3));
    // The per-CPU map of the other program, on the only CPU slot.
    all_inlined(&legacy, "solo_use", 1);
    assert_eq!(legacy.run("solo_use", &mut []), 1);
    assert_eq!(legacy.run("solo_use", &mut []), 2);

    let typedef = loaded("tests/bpf/typedef_maps.o", true, Options::default());
    all_inlined(&typedef, "bump", 2);
    assert_eq!(typedef.run("bump", &mut []), 1002);
    assert_eq!(typedef.run("bump", &mut []), 2004);
    assert_eq!(
        (
            get_u64(&typedef, "hits_a", 0),
            get_u64(&typedef, "hits_b", 0)
        ),
        (2, 4)
    );
}

#[test]
fn a_call_site_two_maps_reach_falls_back_and_stays_correct() {
    let m = loaded("tests/bpf/opt/shared_sites.o", true, Options::default());
    for function in ["read_from", "select_map"] {
        let sites = m.sites_in(function);
        assert_eq!(sites.len(), 1);
        assert_eq!(sites[0].decision(), Decision::Helper);
        assert_eq!(
            sites[0].reason(),
            Some("r1 may be one of 2 maps: left, right"),
            "{function}"
        );
    }
    for k in 0..4u32 {
        set(&m, "left", k, k as u64 + 1);
        set(&m, "right", k, 100 * (k as u64 + 1));
    }
    // read_from is called once with each map.
    for k in 0..4u32 {
        let want = (k as u64 + 1) + 10_000 * 100 * (k as u64 + 1);
        assert_eq!(m.run("both_maps", &mut Mem::default().u32(k).bytes()), want);
    }
    assert_eq!(
        m.run("both_maps", &mut Mem::default().u32(4).bytes()),
        1000 + 10_000 * 1000
    );
    // One call, the map chosen by a branch: odd lengths use left, even ones right.
    let mut odd = Mem::default().u32(1).bytes();
    odd.push(0);
    assert_eq!(m.run("select_map", &mut odd), 2 + 7);
    assert_eq!(
        m.run("select_map", &mut Mem::default().u32(1).bytes()),
        200 + 7
    );
    assert_eq!((get_u64(&m, "left", 1), get_u64(&m, "right", 1)), (9, 207));
    assert_eq!((get_u64(&m, "left", 2), get_u64(&m, "right", 2)), (3, 300));
}

#[test]
fn a_subprogram_with_one_map_in_every_context_is_inlined() {
    let m = loaded("tests/bpf/opt/shared_sites.o", true, Options::default());
    // read_other runs in three contexts: twice from other_twice, once from other_again.
    let sites = m.sites_in("read_other");
    assert_eq!(sites.len(), 1);
    assert!(
        matches!(
            sites[0].action,
            Action::InlineLookup {
                key: Key::Checked,
                ..
            }
        ),
        "{:?}",
        sites[0]
    );
    assert_eq!(
        m.run("other_twice", &mut Mem::default().u32(1).bytes()),
        1003
    );
    assert_eq!(m.run("other_again", &mut Mem::default().u32(1).bytes()), 8);
    assert_eq!(
        m.run("other_twice", &mut Mem::default().u32(3).bytes()),
        1003
    );
    assert_eq!(get_u64(&m, "other", 1), 8);
    assert_eq!(get_u64(&m, "other", 3), 3);
    assert_eq!(get_u64(&m, "other", 0), 0);
    // Out of range in the subprogram: both calls return -1.
    assert_eq!(
        m.run("other_twice", &mut Mem::default().u32(4).bytes()),
        neg(1001)
    );
    assert_eq!(
        m.run("other_again", &mut Mem::default().u32(0xffff_ffff).bytes()),
        neg(1)
    );
}
