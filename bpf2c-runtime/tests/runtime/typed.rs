//! Typed views (`bpf2c_runtime::typed`) and load-time global data, against the hand-written
//! `maps` module.

use bpf2c_runtime::typed::{
    Array, GlobalData, HashMap, PerCpuArray, PerCpuHashMap, RawProgram, XdpProgram,
};
use bpf2c_runtime::{Errno, LoadError, MapErrorKind, Options};

use crate::common::{image, instance};

#[test]
fn typed_views_check_types_and_sizes() {
    let inst = instance("maps", Options::default().cpu_slots(2));
    let e = Array::<u32>::new(inst.map("counters").unwrap()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "map 'counters': value is 4 bytes, expected 8 (EINVAL)"
    );
    let e = Array::<u64>::new(inst.map("hash").unwrap()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "map 'hash': is a BPF_MAP_TYPE_HASH, not an ARRAY (EINVAL)"
    );
    assert!(HashMap::<u64, u64>::new(inst.map("hash").unwrap()).is_err());
    assert!(HashMap::<u32, u64>::new(inst.map("lru").unwrap()).is_ok());
    assert!(PerCpuHashMap::<u32, u64>::new(inst.map("hash").unwrap()).is_err());

    let counters = Array::<u64>::new(inst.map("counters").unwrap()).unwrap();
    assert_eq!(counters.len(), 2);
    counters.set(1, &41).unwrap();
    assert_eq!(counters.get(1).unwrap(), 41);
    assert_eq!(counters.values(), vec![0, 41]);
    let e = counters.get(2).unwrap_err();
    assert_eq!(e.errno(), Errno::E2BIG);

    // The `count` program bumps counters[0] and [1], a per-CPU counter and hash[key].
    let count = RawProgram::new(&inst, "count").unwrap();
    let mut key = 7u32.to_ne_bytes();
    count.run(&mut key).unwrap();
    count.run(&mut key).unwrap();
    assert_eq!(counters.values(), vec![2, 43]);
    let hash = HashMap::<u32, u64>::new(inst.map("hash").unwrap()).unwrap();
    assert_eq!(hash.get(&7).unwrap(), Some(2));
    assert_eq!(hash.get(&8).unwrap(), None);
    hash.insert(&8, &80).unwrap();
    let mut entries = hash.entries();
    entries.sort();
    assert_eq!(entries, vec![(7, 2), (8, 80)]);
    assert_eq!(hash.len(), 2);
    assert!(hash.remove(&8).unwrap());
    assert!(!hash.remove(&8).unwrap());
    assert_eq!(hash.keys(), vec![7]);

    let pcpu = PerCpuArray::<u64>::new(inst.map("pcpu_arr").unwrap()).unwrap();
    assert_eq!(pcpu.get(0).unwrap().iter().sum::<u64>(), 2);
    pcpu.set(1, &5).unwrap();
    assert_eq!(pcpu.get(1).unwrap(), vec![5, 5]);

    assert!(XdpProgram::new(&inst, "count").is_err());
    assert_eq!(count.name(), "count");
}

#[test]
fn global_data_reads_and_writes_one_variable() {
    let inst = instance("maps", Options::default().cpu_slots(1));
    let data = GlobalData::new(inst.map(".data").unwrap()).unwrap();
    assert_eq!(data.size(), 16);
    assert_eq!(
        data.read::<u32>(0).unwrap(),
        u32::from_ne_bytes([1, 2, 3, 4])
    );
    assert_eq!(data.read::<u16>(5).unwrap(), u16::from_ne_bytes([6, 7]));
    data.write::<u16>(5, &u16::from_ne_bytes([60, 70])).unwrap();
    let all = inst
        .map(".data")
        .unwrap()
        .lookup(&0u32.to_ne_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(&all[..12], &[1, 2, 3, 4, 5, 60, 70, 8, 9, 10, 11, 12]);
    let e = data.read::<u64>(12).unwrap_err();
    assert_eq!(
        e.kind,
        MapErrorKind::RangeOutOfValue {
            offset: 12,
            len: 8,
            value_size: 16
        }
    );
    let rodata = GlobalData::new(inst.map(".rodata").unwrap()).unwrap();
    assert_eq!(rodata.read::<[u8; 8]>(0).unwrap(), *b"rodata!\0");
    assert_eq!(rodata.write(0, &1u8).unwrap_err().errno(), Errno::EPERM);
    assert!(GlobalData::new(inst.map("counters").unwrap()).is_err());
}

#[test]
fn global_data_can_be_replaced_before_loading() {
    let inst = instance(
        "maps",
        Options::default()
            .cpu_slots(1)
            .global_data(".rodata", *b"configd")
            .global_data(".data", vec![9u8; 3]),
    );
    let prog = inst.program("globals").unwrap();
    let mut out = [0u8; 8];
    // r0 is .rodata's 8 bytes: the replacement, zero-filled past its end.
    let r0 = inst.run_raw(&prog, &mut out).unwrap();
    assert_eq!(r0.to_ne_bytes(), *b"configd\0");
    assert_eq!(u64::from_ne_bytes(out), 27);

    for (options, message) in [
        (
            Options::default().global_data(".rodata", vec![0u8; 9]),
            "instance options: global data for '.rodata': 9 bytes given, the section has 8",
        ),
        (
            Options::default().global_data(".text", vec![]),
            "instance options: global data for '.text': the module has no such map",
        ),
        (
            Options::default().global_data("counters", vec![]),
            "instance options: global data for 'counters': that map is not global data",
        ),
    ] {
        let e = bpf2c_runtime::Instance::new(image("maps"), options).unwrap_err();
        assert!(matches!(e, LoadError::Options { .. }));
        assert_eq!(e.to_string(), message);
    }
}
