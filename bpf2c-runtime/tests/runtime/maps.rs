//! Every map type, through the helpers (tests/modules/maps.c) and through the Rust API.

use bpf2c_runtime::{Errno, Instance, MapErrorKind, MapType, Options, UpdateFlags};

use crate::common::{errno_ret, instance};

const OP_LOOKUP: u32 = 0;
const OP_UPDATE: u32 = 1;
const OP_DELETE: u32 = 2;
const OP_INLINE_PTR: u32 = 3;
const OP_INLINE_WRITE: u32 = 4;
const OP_SMP_ID: u32 = 5;

const M_ARR: u32 = 0;
const M_HASH: u32 = 1;
const M_PCPU_ARR: u32 = 2;
const M_PCPU_HASH: u32 = 3;
const M_LRU: u32 = 4;

/// What one run of the "cmd" program did: the helper's r0 and the bytes it copied out.
struct Outcome {
    result: u64,
    out: Vec<u8>,
}

/// Runs the "cmd" program with `struct cmd` of maps.c laid out by hand (72 bytes).
fn exec(inst: &Instance, op: u32, map: u32, key: u32, value: &[u8], flags: u64) -> Outcome {
    let mut buf = [0u8; 72];
    buf[0..4].copy_from_slice(&op.to_ne_bytes());
    buf[4..8].copy_from_slice(&map.to_ne_bytes());
    buf[8..16].copy_from_slice(&flags.to_ne_bytes());
    buf[16..20].copy_from_slice(&key.to_ne_bytes());
    buf[24..24 + value.len()].copy_from_slice(value);
    buf[40..44].copy_from_slice(&16u32.to_ne_bytes());
    let prog = inst.program("cmd").unwrap();
    assert_eq!(inst.run_raw(&prog, &mut buf).unwrap(), 0);
    Outcome {
        result: u64::from_ne_bytes(buf[48..56].try_into().unwrap()),
        out: buf[56..72].to_vec(),
    }
}

fn k(key: u32) -> [u8; 4] {
    key.to_ne_bytes()
}

fn v8(v: u64) -> [u8; 8] {
    v.to_ne_bytes()
}

fn maps_instance(cpus: usize) -> Instance {
    instance("maps", Options::default().cpu_slots(cpus))
}

#[test]
fn array_helpers_follow_linux() {
    let inst = maps_instance(2);
    let value: Vec<u8> = (1..=12).collect();
    assert_eq!(exec(&inst, OP_UPDATE, M_ARR, 1, &value, 0).result, 0);
    let arr = inst.map("arr").unwrap();
    assert_eq!(arr.lookup(&k(1)).unwrap(), Some(value.clone()));
    // BPF_EXIST works (every element exists), BPF_NOEXIST never does.
    assert_eq!(exec(&inst, OP_UPDATE, M_ARR, 1, &value, 2).result, 0);
    assert_eq!(
        exec(&inst, OP_UPDATE, M_ARR, 1, &value, 1).result,
        errno_ret(17)
    );
    assert_eq!(
        exec(&inst, OP_UPDATE, M_ARR, 4, &value, 0).result,
        errno_ret(7)
    );
    assert_eq!(
        exec(&inst, OP_UPDATE, M_ARR, 1, &value, 3).result,
        errno_ret(22)
    );
    assert_eq!(
        exec(&inst, OP_DELETE, M_ARR, 1, &[], 0).result,
        errno_ret(22)
    );
    assert_eq!(exec(&inst, OP_LOOKUP, M_ARR, 4, &[], 0).result, 0);
    let found = exec(&inst, OP_LOOKUP, M_ARR, 1, &[], 0);
    assert_ne!(found.result, 0);
    assert_eq!(&found.out[..12], &value[..]);

    // The Rust API sees and changes the same memory.
    arr.update(&k(2), &[9; 12], UpdateFlags::Any).unwrap();
    assert_eq!(
        &exec(&inst, OP_LOOKUP, M_ARR, 2, &[], 0).out[..12],
        &[9; 12]
    );
    let e = arr
        .update(&k(2), &[9; 12], UpdateFlags::NoExist)
        .unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.errno()),
        (MapErrorKind::Exists, Errno::EEXIST)
    );
    let e = arr.update(&k(9), &[9; 12], UpdateFlags::Any).unwrap_err();
    assert_eq!(e.errno(), Errno::E2BIG);
    assert_eq!(
        e.to_string(),
        "map 'arr': index 9 is out of range (max_entries 4) (E2BIG)"
    );
    let e = arr.delete(&k(2)).unwrap_err();
    assert_eq!(e.errno(), Errno::EINVAL);
    assert_eq!(
        e.to_string(),
        "map 'arr': BPF_MAP_TYPE_ARRAY maps do not support delete (EINVAL)"
    );
    let e = arr.lookup(&[0; 8]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "map 'arr': key is 8 bytes, the map's keys are 4 bytes (EINVAL)"
    );
    let e = arr.update(&k(0), &[0; 8], UpdateFlags::Any).unwrap_err();
    assert_eq!(
        e.to_string(),
        "map 'arr': value is 8 bytes, expected 12 (EINVAL)"
    );
    assert_eq!(arr.lookup(&k(4)).unwrap(), None);

    let entries = arr.entries();
    assert_eq!(entries.len(), 4);
    assert_eq!(entries[0], (k(0).to_vec(), vec![0; 12]));
    assert_eq!(entries[1], (k(1).to_vec(), value));
    assert_eq!(entries[2], (k(2).to_vec(), vec![9; 12]));
    assert_eq!(arr.iter().count(), 4);
    let def = arr.definition();
    assert_eq!(
        (def.map_type, def.key_size, def.value_size, def.max_entries),
        (MapType::Array, 4, 12, 4)
    );
}

#[test]
fn array_elements_have_fixed_addresses_and_an_8_byte_stride() {
    let inst = maps_instance(2);
    let arr = inst.map("arr").unwrap();
    let base = arr.array_data().unwrap() as u64;
    assert_eq!(base % 64, 0, "array allocations are cache-line aligned");
    for key in 0..4u32 {
        // value_size 12 => stride 16, in the program's inlined view and the helper's.
        let inline = exec(&inst, OP_INLINE_PTR, M_ARR, key, &[], 0).result;
        let helper = exec(&inst, OP_LOOKUP, M_ARR, key, &[], 0).result;
        assert_eq!(inline, base + 16 * key as u64);
        assert_eq!(helper, inline);
    }
    assert_eq!(exec(&inst, OP_INLINE_PTR, M_ARR, 4, &[], 0).result, 0);

    arr.update(&k(0), &[0xaa; 12], UpdateFlags::Any).unwrap();
    arr.update(&k(2), &[0xcc; 12], UpdateFlags::Any).unwrap();
    let value: Vec<u8> = (100..112).collect();
    let mut cmd_value = value.clone();
    cmd_value.resize(16, 0xee); // bytes past value_size that the program must not write
    let mut buf = [0u8; 72];
    buf[0..4].copy_from_slice(&OP_INLINE_WRITE.to_ne_bytes());
    buf[4..8].copy_from_slice(&M_ARR.to_ne_bytes());
    buf[16..20].copy_from_slice(&k(1));
    buf[24..40].copy_from_slice(&cmd_value);
    buf[40..44].copy_from_slice(&12u32.to_ne_bytes());
    inst.run_raw(&inst.program("cmd").unwrap(), &mut buf)
        .unwrap();
    // The host sees the program's write, and neither neighbour changed.
    assert_eq!(arr.lookup(&k(1)).unwrap().unwrap(), value);
    assert_eq!(arr.lookup(&k(0)).unwrap().unwrap(), vec![0xaa; 12]);
    assert_eq!(arr.lookup(&k(2)).unwrap().unwrap(), vec![0xcc; 12]);
    // The 4 padding bytes after element 1 stay zero.
    // SAFETY: element 1's padding lies inside the map's array storage, which the instance
    // keeps alive.
    let padding = unsafe { std::slice::from_raw_parts((base + 16 + 12) as *const u8, 4) };
    assert_eq!(padding, &[0; 4]);
    // Updates rewrite in place: the address never changes.
    arr.update(&k(1), &[1; 12], UpdateFlags::Any).unwrap();
    assert_eq!(arr.array_data().unwrap() as u64, base);
    assert_eq!(exec(&inst, OP_LOOKUP, M_ARR, 1, &[], 0).result, base + 16);
}

#[test]
fn hash_helpers_follow_linux() {
    let inst = maps_instance(1);
    let hash = inst.map("hash").unwrap();
    assert_eq!(
        exec(&inst, OP_UPDATE, M_HASH, 7, &v8(70), 2).result,
        errno_ret(2)
    );
    assert_eq!(exec(&inst, OP_UPDATE, M_HASH, 7, &v8(70), 1).result, 0);
    assert_eq!(
        exec(&inst, OP_UPDATE, M_HASH, 7, &v8(71), 1).result,
        errno_ret(17)
    );
    assert_eq!(exec(&inst, OP_UPDATE, M_HASH, 7, &v8(72), 2).result, 0);
    assert_eq!(
        exec(&inst, OP_UPDATE, M_HASH, 7, &v8(72), 4).result,
        errno_ret(22)
    );
    assert_eq!(hash.lookup(&k(7)).unwrap(), Some(v8(72).to_vec()));
    let hit = exec(&inst, OP_LOOKUP, M_HASH, 7, &[], 0);
    assert_eq!(&hit.out[..8], &v8(72));
    assert_eq!(exec(&inst, OP_LOOKUP, M_HASH, 8, &[], 0).result, 0);

    for key in [1, 2, 3] {
        hash.update(&k(key), &v8(key as u64 * 10), UpdateFlags::NoExist)
            .unwrap();
    }
    // Full: a new key fails with E2BIG, an existing key can still be replaced.
    assert_eq!(
        exec(&inst, OP_UPDATE, M_HASH, 9, &v8(90), 0).result,
        errno_ret(7)
    );
    let e = hash.update(&k(9), &v8(90), UpdateFlags::Any).unwrap_err();
    assert_eq!(e.to_string(), "map 'hash': map is full (4 entries) (E2BIG)");
    assert_eq!(exec(&inst, OP_UPDATE, M_HASH, 1, &v8(11), 0).result, 0);

    assert_eq!(exec(&inst, OP_DELETE, M_HASH, 2, &[], 0).result, 0);
    assert_eq!(
        exec(&inst, OP_DELETE, M_HASH, 2, &[], 0).result,
        errno_ret(2)
    );
    assert_eq!(hash.delete(&k(2)).unwrap_err().errno(), Errno::ENOENT);
    assert_eq!(hash.lookup(&k(2)).unwrap(), None);
    hash.delete(&k(3)).unwrap();
    assert_eq!(exec(&inst, OP_LOOKUP, M_HASH, 3, &[], 0).result, 0);

    let mut entries = hash.entries();
    entries.sort();
    assert_eq!(
        entries,
        vec![
            (k(1).to_vec(), v8(11).to_vec()),
            (k(7).to_vec(), v8(72).to_vec())
        ]
    );
    assert_eq!(hash.keys().len(), 2);
}

#[test]
fn percpu_array_values_belong_to_the_running_cpu_slot() {
    let inst = maps_instance(3);
    let cpu = exec(&inst, OP_SMP_ID, 0, 0, &[], 0).result as usize;
    assert!(cpu < 3);
    // This thread keeps getting the same slot back when it is free.
    assert_eq!(exec(&inst, OP_SMP_ID, 0, 0, &[], 0).result as usize, cpu);

    let m = inst.map("pcpu_arr").unwrap();
    assert_eq!(m.cpus(), 3);
    assert_eq!(exec(&inst, OP_UPDATE, M_PCPU_ARR, 1, &v8(5), 0).result, 0);
    let mut expected = vec![vec![0u8; 8]; 3];
    expected[cpu] = v8(5).to_vec();
    assert_eq!(m.lookup_percpu(&k(1)).unwrap().unwrap(), expected);
    assert_eq!(m.lookup(&k(1)).unwrap().unwrap(), expected.concat());

    // One value for every slot, or one per slot.
    m.update(&k(0), &v8(9), UpdateFlags::Any).unwrap();
    assert_eq!(
        m.lookup_percpu(&k(0)).unwrap().unwrap(),
        vec![v8(9).to_vec(); 3]
    );
    let per: Vec<u8> = [v8(100), v8(101), v8(102)].concat();
    m.update(&k(0), &per, UpdateFlags::Any).unwrap();
    assert_eq!(m.lookup(&k(0)).unwrap().unwrap(), per);
    let seen = exec(&inst, OP_LOOKUP, M_PCPU_ARR, 0, &[], 0);
    assert_eq!(&seen.out[..8], &v8(100 + cpu as u64));
    let e = m.update(&k(0), &[0; 16], UpdateFlags::Any).unwrap_err();
    assert_eq!(
        e.to_string(),
        "map 'pcpu_arr': value is 16 bytes, expected 8 or 24 (EINVAL)"
    );

    // Inlined access: array_data + cpu * cpu_stride + key * stride, cpu_stride = 2 * 8.
    let base = m.array_data().unwrap() as u64;
    let inline = exec(&inst, OP_INLINE_PTR, M_PCPU_ARR, 1, &[], 0).result;
    assert_eq!(inline, base + cpu as u64 * 16 + 8);
    assert_eq!(exec(&inst, OP_LOOKUP, M_PCPU_ARR, 1, &[], 0).result, inline);
}

#[test]
fn percpu_hash_updates_from_programs_touch_one_slot() {
    let inst = maps_instance(2);
    let cpu = exec(&inst, OP_SMP_ID, 0, 0, &[], 0).result as usize;
    let m = inst.map("pcpu_hash").unwrap();
    assert_eq!(exec(&inst, OP_UPDATE, M_PCPU_HASH, 3, &v8(33), 0).result, 0);
    let mut expected = vec![vec![0u8; 8]; 2];
    expected[cpu] = v8(33).to_vec();
    assert_eq!(m.lookup_percpu(&k(3)).unwrap().unwrap(), expected);

    m.update(&k(4), &[v8(40), v8(41)].concat(), UpdateFlags::NoExist)
        .unwrap();
    assert_eq!(
        &exec(&inst, OP_LOOKUP, M_PCPU_HASH, 4, &[], 0).out[..8],
        &v8(40 + cpu as u64)
    );
    // A program's update of an existing key leaves the other slot alone.
    assert_eq!(exec(&inst, OP_UPDATE, M_PCPU_HASH, 4, &v8(7), 2).result, 0);
    let values = m.lookup_percpu(&k(4)).unwrap().unwrap();
    assert_eq!(values[cpu], v8(7).to_vec());
    assert_eq!(values[1 - cpu], v8(41 - cpu as u64).to_vec());
    assert_eq!(exec(&inst, OP_DELETE, M_PCPU_HASH, 4, &[], 0).result, 0);
    assert_eq!(m.lookup(&k(4)).unwrap(), None);
}

#[test]
fn lru_hash_evicts_the_least_recently_used_entry() {
    let inst = maps_instance(1);
    let lru = inst.map("lru").unwrap();
    for key in 1..=4u32 {
        lru.update(&k(key), &v8(key as u64), UpdateFlags::Any)
            .unwrap();
    }
    // Programs use 1 and 3; then an insert into the full map must evict 2, not fail.
    assert_ne!(exec(&inst, OP_LOOKUP, M_LRU, 1, &[], 0).result, 0);
    assert_ne!(exec(&inst, OP_LOOKUP, M_LRU, 3, &[], 0).result, 0);
    assert_eq!(exec(&inst, OP_UPDATE, M_LRU, 5, &v8(5), 1).result, 0);
    let mut keys: Vec<u32> = lru
        .keys()
        .iter()
        .map(|key| u32::from_ne_bytes(key[..4].try_into().unwrap()))
        .collect();
    keys.sort();
    assert_eq!(keys, vec![1, 3, 4, 5]);
    // Next in line is 4, the only entry not used since the hand last passed.
    lru.update(&k(6), &v8(6), UpdateFlags::Any).unwrap();
    assert_eq!(lru.lookup(&k(4)).unwrap(), None);
    assert_eq!(lru.lookup(&k(6)).unwrap(), Some(v8(6).to_vec()));
    assert_eq!(lru.entries().len(), 4);
}

#[test]
fn global_data_starts_with_the_section_bytes() {
    let inst = maps_instance(1);
    let data = inst.map(".data").unwrap();
    let mut initial: Vec<u8> = (1..=12).collect();
    initial.extend([0; 4]);
    assert_eq!(data.lookup(&k(0)).unwrap().unwrap(), initial);
    let rodata = inst.map(".rodata").unwrap();
    assert_eq!(rodata.lookup(&k(0)).unwrap().unwrap(), b"rodata!\0");

    let prog = inst.program("globals").unwrap();
    let mut out = [0u8; 8];
    let r0 = inst.run_raw(&prog, &mut out).unwrap();
    assert_eq!(r0.to_ne_bytes(), *b"rodata!\0");
    assert_eq!(u64::from_ne_bytes(out), 78);
    inst.run_raw(&prog, &mut out).unwrap();
    assert_eq!(
        &data.lookup(&k(0)).unwrap().unwrap()[12..],
        &2u32.to_ne_bytes()
    );

    // .data is writable from the host; .rodata is frozen.
    data.update(&k(0), &[2; 16], UpdateFlags::Any).unwrap();
    inst.run_raw(&prog, &mut out).unwrap();
    assert_eq!(u64::from_ne_bytes(out), 24);
    let e = rodata.update(&k(0), &[0; 8], UpdateFlags::Any).unwrap_err();
    assert_eq!(e.errno(), Errno::EPERM);
    assert_eq!(e.to_string(), "map '.rodata': map is read-only (EPERM)");
    assert!(rodata.definition().is_read_only() && rodata.definition().is_global_data());
}

#[test]
fn unknown_names_are_clear_errors() {
    let inst = maps_instance(1);
    let e = inst.map("nope").unwrap_err();
    assert_eq!(
        e.to_string(),
        "map 'nope': no such map in this instance (ENOENT)"
    );
    let e = inst.program("nope").unwrap_err();
    assert_eq!(
        e.to_string(),
        "no program named 'nope' (the module has: cmd, count, globals)"
    );
    assert_eq!(inst.maps().count(), 8);
}
