//! Inlined ARRAY accesses, run: values the host writes are what programs read through the
//! inlined pointer, and the other way round; keys out of range take the NULL path; keys
//! proven constant or in range skip the check; updates return exactly what the helper
//! returns; 12-byte values leave their neighbours alone.

use bpf2c::optimize::{Action, Decision, Key};
use bpf2c_runtime::{Options, UpdateFlags};

use super::common::{key, loaded, neg, u64v, Loaded, Mem};

const OBJ: &str = "tests/bpf/opt/array_inline.o";

fn array_inline(optimize: bool) -> Loaded {
    loaded(OBJ, optimize, Options::default())
}

/// The single map helper call of `function`, which must have been decided as `want`.
fn only_site(m: &Loaded, function: &str) -> Action {
    let sites = m.sites_in(function);
    assert_eq!(sites.len(), 1, "{function}: one map helper call");
    sites[0].action.clone()
}

fn set(m: &Loaded, map: &str, k: u32, v: &[u8]) {
    m.instance
        .map(map)
        .unwrap()
        .update(&key(k), v, UpdateFlags::Any)
        .unwrap();
}

fn get(m: &Loaded, map: &str, k: u32) -> Vec<u8> {
    m.instance
        .map(map)
        .unwrap()
        .lookup(&key(k))
        .unwrap()
        .unwrap()
}

fn get_u64(m: &Loaded, map: &str, k: u32) -> u64 {
    u64::from_ne_bytes(get(m, map, k).try_into().unwrap())
}

#[test]
fn host_and_program_see_the_same_elements_through_the_inlined_pointer() {
    let m = array_inline(true);
    assert!(
        matches!(
            only_site(&m, "read_value"),
            Action::InlineLookup {
                key: Key::Checked,
                per_cpu: false,
                ..
            }
        ),
        "read_value was inlined with a run-time bounds check"
    );
    assert_eq!(m.sites_in("write_value")[0].decision(), Decision::Inlined);
    assert!(m.translation.c_source.contains(
        "{ uint32_t key = (uint32_t)bpf2c_load32(r2); r0 = key < 8 ? \
         (uint64_t)(uintptr_t)(rt->map_data[0].array_data + (uint64_t)key * 8) : 0; } \
         /* bpf_map_lookup_elem inlined: values */"
    ));

    // Rust writes, the program reads.
    for k in 0..8u32 {
        set(
            &m,
            "values",
            k,
            &u64v(0x1_0000_0000 * (k as u64 + 1) + 7 * k as u64),
        );
    }
    for k in 0..8u32 {
        let r0 = m.run("read_value", &mut Mem::default().u32(k).bytes());
        assert_eq!(r0, 0x1_0000_0000 * (k as u64 + 1) + 7 * k as u64, "key {k}");
    }
    // The program writes, Rust reads, and nothing else changed.
    let mut mem = Mem::default()
        .u32(6)
        .u32(0)
        .u64(0xfeed_face_cafe_beef)
        .bytes();
    assert_eq!(m.run("write_value", &mut mem), 0);
    for k in 0..8u32 {
        let want = if k == 6 {
            0xfeed_face_cafe_beef
        } else {
            0x1_0000_0000 * (k as u64 + 1) + 7 * k as u64
        };
        assert_eq!(get_u64(&m, "values", k), want, "key {k}");
    }
}

#[test]
fn keys_out_of_range_take_the_null_path() {
    let m = array_inline(true);
    for k in 0..8 {
        set(&m, "values", k, &u64v(1));
    }
    for k in [8u32, 9, 0x7fff_ffff, 0x8000_0000, 0xffff_fffe, 0xffff_ffff] {
        assert_eq!(
            m.run("read_value", &mut Mem::default().u32(k).bytes()),
            neg(1),
            "key {k:#x} has no element"
        );
        let mut mem = Mem::default().u32(k).u32(0).u64(99).bytes();
        assert_eq!(m.run("write_value", &mut mem), neg(1), "key {k:#x}");
        assert_eq!(
            m.run("triple_read", &mut Mem::default().u32(k).bytes()),
            if k < 4 { 0 } else { neg(1) }
        );
    }
    assert!((0..8).all(|k| get_u64(&m, "values", k) == 1));

    // A key proven out of range needs no look at all: r0 = 0.
    assert_eq!(
        only_site(&m, "read_past_end"),
        Action::InlineLookup {
            map: 0,
            key: Key::OutOfRange,
            per_cpu: false
        }
    );
    assert!(m
        .translation
        .c_source
        .contains("r0 = 0; /* bpf_map_lookup_elem inlined: values */"));
    assert_eq!(m.run("read_past_end", &mut []), neg(1));
}

#[test]
fn constant_and_masked_keys_skip_the_check_and_are_never_null() {
    let m = array_inline(true);
    assert_eq!(
        only_site(&m, "read_const"),
        Action::InlineLookup {
            map: 0,
            key: Key::Const(5),
            per_cpu: false
        }
    );
    assert!(matches!(
        only_site(&m, "read_masked"),
        Action::InlineLookup {
            key: Key::InRange,
            ..
        }
    ));
    let c = &m.translation.c_source;
    assert!(c.contains(
        "r0 = (uint64_t)(uintptr_t)(rt->map_data[0].array_data + 40); BPF2C_ASSUME(r0 != 0); \
         /* bpf_map_lookup_elem inlined: values */"
    ));
    assert!(c.contains(
        "r0 = (uint64_t)(uintptr_t)(rt->map_data[0].array_data + bpf2c_load32(r2) * 8); \
         BPF2C_ASSUME(r0 != 0); /* bpf_map_lookup_elem inlined: values */"
    ));
    for k in 0..8u32 {
        set(&m, "values", k, &u64v(100 + k as u64));
    }
    assert_eq!(m.run("read_const", &mut [0u8; 3]), 105 + 3);
    for len in 0..24usize {
        let mut mem = vec![0xffu8; len];
        assert_eq!(
            m.run("read_masked", &mut mem),
            100 + (len as u64 & 7),
            "len {len}"
        );
    }
}

/// Every outcome of an ARRAY update, compared value for value with the helper's.
#[test]
fn inlined_updates_return_exactly_what_the_helper_returns() {
    let opt = array_inline(true);
    let helper = array_inline(false);
    assert!(matches!(
        only_site(&opt, "update_value"),
        Action::InlineUpdate {
            key: Key::Checked,
            ..
        }
    ));
    assert_eq!(
        helper.sites_in("update_value")[0].decision(),
        Decision::Helper
    );

    // (key, flags, expected r0): flags are checked first, then the index, then NOEXIST.
    let cases: [(u32, u32, u64); 12] = [
        (0, 0, 0),       // BPF_ANY
        (1, 2, 0),       // BPF_EXIST: array elements always exist
        (2, 1, neg(17)), // BPF_NOEXIST: EEXIST
        (3, 3, neg(22)), // unknown flags: EINVAL
        (4, 0xffff_ffff, neg(22)),
        (8, 0, neg(7)), // past the end: E2BIG
        (0xffff_ffff, 2, neg(7)),
        (8, 5, neg(22)),          // bad flags win over a bad index
        (0xffff_ffff, 1, neg(7)), // a bad index wins over NOEXIST
        (7, 0, 0),
        (7, 2, 0),
        (7, 1, neg(17)),
    ];
    for (i, &(k, flags, want)) in cases.iter().enumerate() {
        let value = 0xabc0 + i as u64;
        for m in [&opt, &helper] {
            let mut mem = Mem::default().u32(k).u32(flags).u64(value).bytes();
            assert_eq!(
                m.run("update_value", &mut mem),
                want,
                "key {k:#x} flags {flags:#x}"
            );
        }
    }
    for k in 0..8u32 {
        assert_eq!(
            get(&opt, "values", k),
            get(&helper, "values", k),
            "values[{k}] after the same updates"
        );
    }
    assert_eq!(get_u64(&opt, "values", 0), 0xabc0);
    assert_eq!(get_u64(&opt, "values", 1), 0xabc1);
    assert_eq!(get_u64(&opt, "values", 2), 0, "NOEXIST wrote nothing");
    assert_eq!(get_u64(&opt, "values", 7), 0xabca);

    // A constant key: no bounds check, and the update is read back.
    assert!(matches!(
        opt.sites_in("update_const")[0].action,
        Action::InlineUpdate {
            key: Key::Const(2),
            ..
        }
    ));
    let mut mem = Mem::default().u64(4321).bytes();
    assert_eq!(opt.run("update_const", &mut mem), 4321);
    assert_eq!(get_u64(&opt, "values", 2), 4321);

    // The element passed as its own new value (source and destination are the same bytes).
    set(&opt, "values", 5, &u64v(41));
    assert_eq!(
        opt.run("update_in_place", &mut Mem::default().u32(5).bytes()),
        0
    );
    assert_eq!(get_u64(&opt, "values", 5), 42);
    assert_eq!(
        opt.run("update_in_place", &mut Mem::default().u32(9).bytes()),
        neg(1)
    );
}

/// value_size 12: elements are 16 bytes apart, as the runtime lays them out.
#[test]
fn twelve_byte_values_leave_their_neighbours_untouched() {
    let m = array_inline(true);
    let triple = |a: u32, b: u32, c: u32| Mem::default().u32(a).u32(b).u32(c).bytes();
    for k in 0..4u32 {
        set(
            &m,
            "triples",
            k,
            &triple(k + 1, 10 * (k + 1), 100 * (k + 1)),
        );
    }
    let map = m.instance.map("triples").unwrap();
    let base = map.array_data().unwrap();
    // The padding after each element is never written: 16-byte stride, 12-byte values.
    // SAFETY: for k < 4, bytes 12..16 of element k lie inside the 4-entry array's storage,
    // which the instance keeps alive; read_unaligned takes any alignment.
    let padding =
        |k: usize| unsafe { std::ptr::read_unaligned(base.add(16 * k + 12) as *const u32) };

    // The program reads what the host wrote, for every element.
    for k in 0..4u32 {
        let r0 = m.run("triple_read", &mut Mem::default().u32(k).bytes());
        let (a, b, c) = (k as u64 + 1, 10 * (k as u64 + 1), 100 * (k as u64 + 1));
        assert_eq!(r0, a + 1000 * b + 1_000_000 * c, "element {k}");
    }
    // The program writes element 1 through the pointer; the host sees exactly that.
    let mut mem = Mem::default().u32(1).u32(7).u32(8).u32(9).bytes();
    assert_eq!(m.run("triple_write", &mut mem), 0);
    assert_eq!(get(&m, "triples", 1), triple(7, 8, 9));
    // Element 2 through the inlined update (a 12-byte copy).
    let mut mem = Mem::default()
        .u32(2)
        .u32(0)
        .u32(0xa)
        .u32(0xb)
        .u32(0xc)
        .bytes();
    assert_eq!(m.run("triple_update", &mut mem), 0);
    assert_eq!(get(&m, "triples", 2), triple(0xa, 0xb, 0xc));
    let mut mem = Mem::default().u32(4).u32(0).u32(1).u32(1).u32(1).bytes();
    assert_eq!(m.run("triple_update", &mut mem), neg(7));
    // The neighbours kept their values, and no padding byte was touched.
    assert_eq!(get(&m, "triples", 0), triple(1, 10, 100));
    assert_eq!(get(&m, "triples", 3), triple(4, 40, 400));
    for k in 0..4 {
        assert_eq!(padding(k), 0, "padding after element {k}");
    }
    // The host's raw view agrees with the program's layout.
    // SAFETY: element k < 4, field < 3: inside the array's storage, as for `padding`.
    let raw = |k: usize, field: usize| unsafe {
        std::ptr::read_unaligned(base.add(16 * k + 4 * field) as *const u32)
    };
    assert_eq!((raw(1, 0), raw(1, 1), raw(1, 2)), (7, 8, 9));
    assert_eq!((raw(2, 0), raw(2, 1), raw(2, 2)), (0xa, 0xb, 0xc));
}
