//! ARRAY_OF_MAPS and HASH_OF_MAPS end to end: tests/bpf/map_in_map.c verified, translated,
//! compiled natively and run, with inner maps the host sets, swaps and removes.

use std::collections::BTreeMap;

use bpf2c_runtime::{Errno, Instance, MapErrorKind, MapRef, MapType, Options, UpdateFlags};
use bpf2c_tests::pipeline::{instance, run};
use bpf2c_tests::u64_at;

const XDP_ABORTED: u64 = 0;
const XDP_DROP: u64 = 1;
const XDP_PASS: u64 = 2;
const XDP_TX: u64 = 3;

fn key(k: u32) -> [u8; 4] {
    k.to_ne_bytes()
}

/// Counter `index` of a counters array.
fn counter(map: &MapRef<'_>, index: u32) -> u64 {
    u64_at(&map.lookup(&key(index)).unwrap().unwrap(), 0)
}

fn counters(map: &MapRef<'_>) -> [u64; 4] {
    [0, 1, 2, 3].map(|i| counter(map, i))
}

/// count_by_tenant over the packet [slot, index].
fn count(inst: &Instance, slot: u8, index: u8) -> u64 {
    run(inst, "count_by_tenant", &mut [slot, index])
}

#[test]
fn array_of_maps_reads_the_inner_map_the_host_put_in_the_slot() {
    let (_, inst) = instance("map_in_map.o", Options::default());
    let tenants = inst.map_of_maps("tenants").unwrap();
    assert_eq!(tenants.map().definition().map_type, MapType::ArrayOfMaps);
    assert_eq!(tenants.map().definition().value_size, 4);
    let template = tenants.template();
    assert_eq!(
        (template.map_type, template.max_entries),
        (MapType::Array, 4)
    );
    let a = inst.map("counters_a").unwrap();
    let b = inst.map("counters_b").unwrap();

    // Slot 0 holds counters_a from the object's `.values`; every other slot is empty.
    assert_eq!(tenants.get(&key(0)).unwrap().unwrap().name(), "counters_a");
    assert!(tenants.get(&key(1)).unwrap().is_none());
    assert_eq!(count(&inst, 0, 1), XDP_PASS);
    assert_eq!(count(&inst, 0, 5), XDP_PASS); // 5 & 3 = 1
    assert_eq!(counters(&a), [0, 2, 0, 0]);
    // The program hands back the counter's old value in byte 1.
    let mut packet = [0u8, 1];
    assert_eq!(run(&inst, "count_by_tenant", &mut packet), XDP_PASS);
    assert_eq!(packet, [0, 2]);
    assert_eq!(counters(&a), [0, 3, 0, 0]);
    // An empty slot looks up as NULL.
    assert_eq!(count(&inst, 1, 2), XDP_DROP);
    assert_eq!(count(&inst, 7, 2), XDP_DROP);
    // Past the end of the array: NULL as well.
    assert_eq!(count(&inst, 8, 2), XDP_DROP);
    assert_eq!(run(&inst, "count_by_tenant", &mut [1]), XDP_ABORTED);

    // The host puts counters_b in slot 1: the program now counts there.
    tenants.set(&key(1), &b).unwrap();
    assert_eq!(count(&inst, 1, 2), XDP_PASS);
    assert_eq!(count(&inst, 1, 2), XDP_PASS);
    assert_eq!(counters(&b), [0, 0, 2, 0]);
    assert_eq!(counters(&a), [0, 3, 0, 0]);

    // Swapping slot 1 to a fresh map changes what the program sees; counters_b keeps its
    // counts.
    let fresh = inst.new_inner_map("tenants").unwrap();
    assert_eq!(fresh.name(), "tenants.inner#1");
    tenants.set(&key(1), &fresh).unwrap();
    assert_eq!(count(&inst, 1, 2), XDP_PASS);
    assert_eq!(count(&inst, 1, 3), XDP_PASS);
    assert_eq!(counters(&fresh), [0, 0, 1, 1]);
    assert_eq!(counters(&b), [0, 0, 2, 0]);
    // The fresh map is a map of the instance like the others.
    assert_eq!(
        counters(&inst.map("tenants.inner#1").unwrap()),
        [0, 0, 1, 1]
    );

    // Two slots may hold one map.
    tenants.set(&key(5), &a).unwrap();
    assert_eq!(count(&inst, 5, 0), XDP_PASS);
    assert_eq!(count(&inst, 0, 0), XDP_PASS);
    assert_eq!(counters(&a), [2, 3, 0, 0]);

    // Removing a slot makes lookups NULL again; removing it twice is ENOENT.
    tenants.remove(&key(1)).unwrap();
    assert_eq!(count(&inst, 1, 2), XDP_DROP);
    let e = tenants.remove(&key(1)).unwrap_err();
    assert_eq!((e.errno(), e.kind), (Errno::ENOENT, MapErrorKind::NotFound));

    // The template is a map of its own, which no lookup in an inner map ever reached: the
    // translation did not inline those lookups through it.
    assert_eq!(counters(&inst.map("tenants.inner").unwrap()), [0; 4]);

    // The generic view: values are map ids.
    let generic = tenants.map();
    assert_eq!(
        generic.lookup(&key(5)).unwrap(),
        Some(a.id().to_ne_bytes().to_vec())
    );
    assert_eq!(generic.lookup(&key(1)).unwrap(), None);
    generic
        .update(&key(2), &b.id().to_ne_bytes(), UpdateFlags::Any)
        .unwrap();
    assert_eq!(tenants.get(&key(2)).unwrap().unwrap().name(), "counters_b");
    let ids: Vec<(Vec<u8>, Vec<u8>)> = [(0, a.id()), (2, b.id()), (5, a.id())]
        .into_iter()
        .map(|(k, id)| (key(k).to_vec(), id.to_ne_bytes().to_vec()))
        .collect();
    assert_eq!(generic.entries(), ids);
    generic.delete(&key(2)).unwrap();
    assert!(tenants.get(&key(2)).unwrap().is_none());
}

#[test]
fn inner_maps_must_match_the_template() {
    let (_, inst) = instance("map_in_map.o", Options::default());
    let tenants = inst.map_of_maps("tenants").unwrap();
    // A HASH where ARRAYs belong.
    let table = inst.map("flow_tables.inner").unwrap();
    let e = tenants.set(&key(1), &table).unwrap_err();
    assert_eq!(e.errno(), Errno::EINVAL);
    assert_eq!(
        e.to_string(),
        "map 'tenants': cannot hold that inner map: map 'flow_tables.inner' does not match \
         the inner map template 'tenants.inner': type BPF_MAP_TYPE_HASH (needs \
         BPF_MAP_TYPE_ARRAY), max_entries 16 (needs 4, as the template has no \
         BPF_F_INNER_MAP) (EINVAL)"
    );
    // A map of another instance.
    let (_, other) = instance("map_in_map.o", Options::default());
    let e = tenants
        .set(&key(1), &other.map("counters_a").unwrap())
        .unwrap_err();
    assert!(e.to_string().contains("belongs to another instance"), "{e}");
    // Slots past the end, flags an array of maps does not take, keys of the wrong size.
    let a = inst.map("counters_a").unwrap();
    let e = tenants.set(&key(8), &a).unwrap_err();
    assert_eq!(e.errno(), Errno::E2BIG);
    let e = tenants
        .set_with_flags(&key(1), &a, UpdateFlags::NoExist)
        .unwrap_err();
    assert_eq!(e.kind, MapErrorKind::BadFlags(1));
    assert!(matches!(
        tenants.set(&[1, 0], &a).unwrap_err().kind,
        MapErrorKind::KeySize {
            expected: 4,
            got: 2
        }
    ));
    // Through the generic view, an id the instance does not have.
    let e = tenants
        .map()
        .update(&key(1), &999u32.to_ne_bytes(), UpdateFlags::Any)
        .unwrap_err();
    assert!(e.to_string().contains("the instance has no map 999"), "{e}");
    // Only maps of maps have a map-of-maps view, and only they make inner maps.
    let e = inst.map_of_maps("counters_a").unwrap_err();
    assert!(matches!(e.kind, MapErrorKind::WrongMapType { .. }), "{e}");
    assert!(inst.new_inner_map("counters_a").is_err());
    // Nothing was set by the failures.
    assert!(tenants.get(&key(1)).unwrap().is_none());
}

/// The program's view of a HASH_OF_MAPS of flow tables, checked against a model: which
/// table each tenant has (BTreeMap tenant -> table number) and each table's flow counts.
#[test]
fn hash_of_maps_agrees_with_a_model() {
    let (_, inst) = instance("map_in_map.o", Options::default());
    let outer = inst.map_of_maps("flow_tables").unwrap();
    // Three tables made from the template, plus the template map itself, which matches.
    let mut tables: Vec<MapRef<'_>> = (0..3)
        .map(|_| inst.new_inner_map("flow_tables").unwrap())
        .collect();
    tables.push(inst.map("flow_tables.inner").unwrap());
    let mut slots: BTreeMap<u32, usize> = BTreeMap::new();
    let mut flows: Vec<BTreeMap<u32, u64>> = vec![BTreeMap::new(); tables.len()];
    let (outer_max, table_max) = (8, 16);

    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    for step in 0..3000 {
        let tenant = next(11) as u32;
        match next(20) {
            0 => {
                let t = next(tables.len() as u64) as usize;
                let result = outer.set(&key(tenant), &tables[t]);
                if slots.contains_key(&tenant) || slots.len() < outer_max {
                    result.unwrap();
                    slots.insert(tenant, t);
                } else {
                    assert_eq!(
                        result.unwrap_err().kind,
                        MapErrorKind::Full { max_entries: 8 }
                    );
                }
            }
            1 => {
                let result = outer.remove(&key(tenant));
                match slots.remove(&tenant) {
                    Some(_) => result.unwrap(),
                    None => assert_eq!(result.unwrap_err().kind, MapErrorKind::NotFound),
                }
            }
            _ => {
                let flow = if next(30) == 0 {
                    u32::MAX
                } else {
                    next(24) as u32
                };
                let mut packet = [key(tenant), flow.to_ne_bytes()].concat();
                let got = run(&inst, "count_flows", &mut packet);
                let expected = match slots.get(&tenant) {
                    None => XDP_DROP,
                    Some(&t) if flow == u32::MAX => {
                        flows[t].remove(&0);
                        XDP_TX
                    }
                    Some(&t) => {
                        let table = &mut flows[t];
                        if let Some(n) = table.get_mut(&flow) {
                            *n += 1;
                            XDP_PASS
                        } else if table.len() < table_max {
                            table.insert(flow, 1);
                            XDP_PASS
                        } else {
                            XDP_DROP
                        }
                    }
                };
                assert_eq!(
                    got, expected,
                    "step {step}: tenant {tenant}, flow {flow:#x}"
                );
            }
        }
        if step % 100 == 99 {
            for (t, table) in tables.iter().enumerate() {
                let seen: BTreeMap<u32, u64> = table
                    .entries()
                    .into_iter()
                    .map(|(k, v)| {
                        (
                            u32::from_ne_bytes(k[..4].try_into().unwrap()),
                            u64_at(&v, 0),
                        )
                    })
                    .collect();
                assert_eq!(seen, flows[t], "step {step}: table {t}");
            }
            let held: BTreeMap<u32, String> = outer
                .entries()
                .into_iter()
                .map(|(k, m)| {
                    (
                        u32::from_ne_bytes(k[..4].try_into().unwrap()),
                        m.name().into(),
                    )
                })
                .collect();
            let model: BTreeMap<u32, String> = slots
                .iter()
                .map(|(&k, &t)| (k, tables[t].name().to_string()))
                .collect();
            assert_eq!(held, model, "step {step}");
        }
    }
    // The run did reach every outcome.
    assert!(flows.iter().any(|f| f.len() == table_max));
    assert!(slots.len() >= 2);
}

/// Programs running on other threads while the host swaps an inner map back and forth:
/// every packet is counted in exactly one of the two maps, or dropped while the slot is
/// empty, and a map a run looked up stays valid for the rest of that run.
#[test]
fn swapping_inner_maps_while_programs_run() {
    let (_, inst) = instance("map_in_map.o", Options::default().cpu_slots(4));
    let tenants = inst.map_of_maps("tenants").unwrap();
    let b = inst.map("counters_b").unwrap();
    let fresh = inst.new_inner_map("tenants").unwrap();
    let per_thread = 2000u64;
    let dropped: u64 = std::thread::scope(|s| {
        let workers: Vec<_> = (0..3)
            .map(|_| {
                s.spawn(|| {
                    (0..per_thread)
                        .filter(|_| count(&inst, 3, 0) == XDP_DROP)
                        .count() as u64
                })
            })
            .collect();
        for round in 0..300 {
            match round % 3 {
                0 => tenants.set(&key(3), &b).unwrap(),
                1 => tenants.set(&key(3), &fresh).unwrap(),
                _ => {
                    let _ = tenants.remove(&key(3));
                }
            }
        }
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    assert_eq!(
        counter(&b, 0) + counter(&fresh, 0) + dropped,
        3 * per_thread
    );
}
