//! Packets with room, the XDP resize helpers and redirects, end to end: tests/bpf/packet_room.c
//! verified, translated, compiled and run over `Packet`s. Every expected value follows from
//! the kernel's definitions (net/core/filter.c): 256 bytes of XDP headroom of which the
//! first 40 hold `struct xdp_frame`, a 4096-byte frame whose last 320 bytes hold
//! `skb_shared_info`, packets of at least ETH_HLEN (14) bytes, metadata in multiples of 4 up
//! to 252 bytes, and redirect_map's fallback action in the low two bits of its flags.

use bpf2c_runtime::packet::XDP_PACKET_HEADROOM;
use bpf2c_runtime::{
    Instance, MapType, Options, Packet, Redirect, RunOutcome, TraceSink, UpdateFlags,
};
use bpf2c_tests::cli;
use bpf2c_tests::key32;
use bpf2c_tests::pipeline::instance;
use serde_json::json;

const XDP_ABORTED: u64 = 0;
const XDP_PASS: u64 = 2;
const XDP_TX: u64 = 3;
const XDP_REDIRECT: u64 = 4;
const EINVAL: i64 = -22;
const EACCES: i64 = -13;
const E2BIG: i32 = 7;
const EINVAL_ERRNO: i32 = 22;

fn object() -> Instance {
    instance(
        "packet_room.o",
        Options::default().trace_sink(TraceSink::Discard),
    )
    .1
}

/// A packet of `len` bytes whose first eight bytes are the program's two arguments and whose
/// other bytes count up from 8, so that every byte's place can be checked.
fn args_packet(a: u32, b: u32, len: usize) -> Vec<u8> {
    let mut bytes: Vec<u8> = (0..len).map(|i| i as u8).collect();
    bytes[..4].copy_from_slice(&a.to_le_bytes());
    bytes[4..8].copy_from_slice(&b.to_le_bytes());
    bytes
}

fn run(inst: &Instance, program: &str, packet: &mut Packet) -> RunOutcome {
    let prog = inst.program(program).unwrap();
    inst.run_xdp_packet(&prog, packet)
        .unwrap_or_else(|e| panic!("{program}: {e}"))
}

fn helper_result(outcome: &RunOutcome) -> i64 {
    outcome.retval as u32 as i32 as i64
}

#[test]
fn adjust_head_grows_into_the_headroom_up_to_the_xdp_frame() {
    let inst = object();
    // 256 bytes of headroom less the 40 of struct xdp_frame: 216 bytes can be pushed.
    let bytes = args_packet((-216i32) as u32, 0, 16);
    let mut packet = Packet::new(&bytes);
    assert_eq!(helper_result(&run(&inst, "adjust_head", &mut packet)), 0);
    assert_eq!(packet.len(), 16 + 216);
    assert_eq!(packet.headroom(), 40);
    assert_eq!(packet.data()[0], 0xaa);
    assert!(packet.data()[1..216].iter().all(|&b| b == 0));
    assert_eq!(&packet.data()[216..], &bytes[..]);

    let mut packet = Packet::new(&args_packet((-217i32) as u32, 0, 16));
    assert_eq!(
        helper_result(&run(&inst, "adjust_head", &mut packet)),
        EINVAL
    );
    assert_eq!(packet.data(), &args_packet((-217i32) as u32, 0, 16)[..]);
    assert_eq!(packet.headroom(), XDP_PACKET_HEADROOM);
}

#[test]
fn adjust_head_shrinks_down_to_an_ethernet_header() {
    let inst = object();
    let bytes = args_packet(2, 0, 16);
    let mut packet = Packet::new(&bytes);
    assert_eq!(helper_result(&run(&inst, "adjust_head", &mut packet)), 0);
    assert_eq!(packet.len(), 14);
    assert_eq!(packet.data()[0], 0xaa);
    assert_eq!(&packet.data()[1..], &bytes[3..]);
    assert_eq!(packet.headroom(), 258);

    let mut packet = Packet::new(&args_packet(3, 0, 16));
    assert_eq!(
        helper_result(&run(&inst, "adjust_head", &mut packet)),
        EINVAL
    );
    assert_eq!(packet.len(), 16);
}

#[test]
fn adjust_tail_grows_into_the_tailroom_zeroed_and_keeps_14_bytes() {
    let inst = object();
    // A 4096-byte frame less 320 bytes of skb_shared_info less 256 of headroom less 16.
    let room = 4096 - 320 - 256 - 16;
    let bytes = args_packet(room as u32, 0, 16);
    let mut packet = Packet::new(&bytes);
    assert_eq!(packet.tailroom(), room);
    assert_eq!(helper_result(&run(&inst, "adjust_tail", &mut packet)), 0);
    assert_eq!(packet.len(), 16 + room);
    assert_eq!(packet.tailroom(), 0);
    assert_eq!(&packet.data()[..16], &bytes[..]);
    assert!(packet.data()[16..16 + room - 1].iter().all(|&b| b == 0));
    assert_eq!(packet.data()[16 + room - 1], 0xbb);

    let mut packet = Packet::new(&args_packet(room as u32 + 1, 0, 16));
    assert_eq!(
        helper_result(&run(&inst, "adjust_tail", &mut packet)),
        EINVAL
    );
    assert_eq!(packet.len(), 16);

    let mut packet = Packet::new(&args_packet((-2i32) as u32, 0, 16));
    assert_eq!(helper_result(&run(&inst, "adjust_tail", &mut packet)), 0);
    assert_eq!(packet.len(), 14);
    assert_eq!(packet.data()[13], 0xbb);
    let mut packet = Packet::new(&args_packet((-3i32) as u32, 0, 16));
    assert_eq!(
        helper_result(&run(&inst, "adjust_tail", &mut packet)),
        EINVAL
    );
    assert_eq!(packet.len(), 16);
}

#[test]
fn adjust_meta_takes_multiples_of_four_up_to_252_bytes_above_the_xdp_frame() {
    let inst = object();
    let mut packet = Packet::new(&args_packet((-8i32) as u32, 0, 16));
    assert_eq!(helper_result(&run(&inst, "adjust_meta", &mut packet)), 0);
    assert_eq!(packet.meta(), &[0x44, 0x33, 0x22, 0x11, 0, 0, 0, 0]);
    assert_eq!(packet.headroom(), 248);
    assert_eq!(packet.data(), &args_packet((-8i32) as u32, 0, 16)[..]);

    for (delta, expected) in [(-6, EACCES), (4, EINVAL), (-216, 0), (-220, EINVAL)] {
        let mut packet = Packet::new(&args_packet(delta as u32, 0, 16));
        let outcome = run(&inst, "adjust_meta", &mut packet);
        assert_eq!(helper_result(&outcome), expected, "delta {delta}");
        let metalen = if expected == 0 { -delta as usize } else { 0 };
        assert_eq!(packet.meta().len(), metalen, "delta {delta}");
    }
    // With more headroom, the 252-byte limit of the metadata itself shows.
    for (delta, expected) in [(-252, 0), (-256, EACCES)] {
        let mut packet = Packet::with_room(&args_packet(delta as u32, 0, 16), 400, 0);
        let outcome = run(&inst, "adjust_meta", &mut packet);
        assert_eq!(helper_result(&outcome), expected, "delta {delta}");
    }
}

#[test]
fn run_xdp_over_a_slice_has_no_room_but_keeps_every_byte_in_place() {
    let inst = object();
    let prog = inst.program("adjust_head").unwrap();
    let mut bytes = args_packet((-1i32) as u32, 0, 16);
    let before = bytes.clone();
    assert_eq!(
        inst.run_xdp(&prog, &mut bytes).unwrap() as i32 as i64,
        EINVAL
    );
    assert_eq!(bytes, before);
    // Shrinking works; the slice shows the mark where the new first byte is.
    let mut bytes = args_packet(2, 0, 16);
    assert_eq!(inst.run_xdp(&prog, &mut bytes).unwrap(), 0);
    let mut expected = args_packet(2, 0, 16);
    expected[2] = 0xaa;
    assert_eq!(bytes, expected);
}

#[test]
fn encapsulation_pushes_an_outer_ipv4_header_after_the_ethernet_header() {
    let inst = object();
    let inner: Vec<u8> = [
        &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x00][..],
        &[
            0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ],
    ]
    .concat();
    let mut packet = Packet::new(&inner);
    assert_eq!(run(&inst, "encap_ipip", &mut packet).retval, XDP_TX);
    let mut outer = [0u8; 20];
    outer[0] = 0x45;
    outer[8] = 64;
    outer[9] = 4;
    // The Ethernet header moved 20 bytes to the front; the outer header took its old place,
    // and the inner IPv4 packet follows unchanged.
    let expected = [&inner[..14], &outer[..], &inner[14..]].concat();
    assert_eq!(packet.data(), &expected[..]);
    assert_eq!(packet.len(), inner.len() + 20);
}

#[test]
fn redirect_to_an_ifindex_records_it_and_refuses_flags_in_xdp() {
    let inst = object();
    let mut packet = Packet::new(&args_packet(7, 0, 14));
    let outcome = run(&inst, "redirect_ifindex", &mut packet);
    assert_eq!(outcome.retval, XDP_REDIRECT);
    assert_eq!(
        outcome.redirect,
        Some(Redirect::Ifindex {
            ifindex: 7,
            flags: 0
        })
    );
    // XDP's bpf_redirect takes no flags at all.
    let mut packet = Packet::new(&args_packet(7, 1, 14));
    let outcome = run(&inst, "redirect_ifindex", &mut packet);
    assert_eq!((outcome.retval, outcome.redirect), (XDP_ABORTED, None));
}

fn redirect_map(inst: &Instance, program: &str, key: u32, flags: u32) -> RunOutcome {
    run(
        inst,
        program,
        &mut Packet::new(&args_packet(key, flags, 14)),
    )
}

fn map_target(map: &str, map_type: MapType, key: u32, value: &[u8]) -> Option<Redirect> {
    Some(Redirect::Map {
        map: map.into(),
        map_type,
        key,
        flags: 0,
        value: Some(value.to_vec()),
    })
}

#[test]
fn devmap_redirects_to_the_stored_ifindex_or_falls_back_to_the_flags_action() {
    let inst = object();
    let devs = inst.map("devs").unwrap();
    assert_eq!(devs.definition().map_type, MapType::Devmap);
    // An empty slot: the low two bits of the flags are the verdict, and nothing is recorded.
    let outcome = redirect_map(&inst, "to_dev", 1, XDP_PASS as u32);
    assert_eq!((outcome.retval, outcome.redirect), (XDP_PASS, None));
    assert_eq!(redirect_map(&inst, "to_dev", 1, 0).retval, XDP_ABORTED);

    devs.update(&key32(1), &9u32.to_ne_bytes(), UpdateFlags::Any)
        .unwrap();
    let outcome = redirect_map(&inst, "to_dev", 1, XDP_PASS as u32);
    assert_eq!(outcome.retval, XDP_REDIRECT);
    assert_eq!(
        outcome.redirect,
        map_target("devs", MapType::Devmap, 1, &9u32.to_ne_bytes())
    );
    // Broadcast needs no entry; flags beyond the action, broadcast and exclude-ingress
    // bits abort.
    let outcome = redirect_map(&inst, "to_dev", 3, 8 | 16);
    assert_eq!(outcome.retval, XDP_REDIRECT);
    assert_eq!(
        outcome.redirect,
        Some(Redirect::Map {
            map: "devs".into(),
            map_type: MapType::Devmap,
            key: 3,
            flags: 24,
            value: None
        })
    );
    assert_eq!(redirect_map(&inst, "to_dev", 1, 32).retval, XDP_ABORTED);

    // The host's side: slots stop at max_entries, and ifindex 0 empties a slot.
    let e = devs
        .update(&key32(4), &9u32.to_ne_bytes(), UpdateFlags::Any)
        .unwrap_err();
    assert_eq!(e.errno().as_helper_return() as i64, -(E2BIG as i64));
    devs.update(&key32(1), &0u32.to_ne_bytes(), UpdateFlags::Any)
        .unwrap();
    assert_eq!(devs.lookup(&key32(1)).unwrap(), None);
    assert_eq!(redirect_map(&inst, "to_dev", 1, 1).retval, 1);
}

#[test]
fn devmap_hash_cpumap_and_xskmap_redirect_through_their_entries() {
    let inst = object();
    // DEVMAP_HASH: any u32 key, struct bpf_devmap_val values.
    let dev_hash = inst.map("dev_hash").unwrap();
    let val = [5u32.to_ne_bytes(), 0u32.to_ne_bytes()].concat();
    dev_hash
        .update(&key32(1000), &val, UpdateFlags::Any)
        .unwrap();
    let outcome = redirect_map(&inst, "to_dev_hash", 1000, 0);
    assert_eq!(outcome.retval, XDP_REDIRECT);
    assert_eq!(
        outcome.redirect,
        map_target("dev_hash", MapType::DevmapHash, 1000, &val)
    );
    assert_eq!(redirect_map(&inst, "to_dev_hash", 1001, 2).retval, XDP_PASS);
    // A program to run on the device cannot be honoured here.
    let with_prog = [5u32.to_ne_bytes(), 3u32.to_ne_bytes()].concat();
    let e = dev_hash
        .update(&key32(1), &with_prog, UpdateFlags::Any)
        .unwrap_err();
    assert_eq!(e.errno().as_helper_return() as i64, -(EINVAL_ERRNO as i64));

    // CPUMAP: struct bpf_cpumap_val { qsize, prog }, no broadcast.
    let cpus = inst.map("cpus").unwrap();
    let val = [128u32.to_ne_bytes(), 0u32.to_ne_bytes()].concat();
    cpus.update(&key32(1), &val, UpdateFlags::Any).unwrap();
    let outcome = redirect_map(&inst, "to_cpu", 1, 0);
    assert_eq!(outcome.retval, XDP_REDIRECT);
    assert_eq!(
        outcome.redirect,
        map_target("cpus", MapType::Cpumap, 1, &val)
    );
    assert_eq!(redirect_map(&inst, "to_cpu", 1, 8).retval, XDP_ABORTED);
    assert_eq!(redirect_map(&inst, "to_cpu", 0, 3).retval, XDP_TX);
    assert!(cpus.update(&key32(2), &val, UpdateFlags::Any).is_err());

    // XSKMAP: a socket fd per queue.
    let xsks = inst.map("xsks").unwrap();
    xsks.update(&key32(3), &42u32.to_ne_bytes(), UpdateFlags::Any)
        .unwrap();
    let outcome = redirect_map(&inst, "to_xsk", 3, 0);
    assert_eq!(outcome.retval, XDP_REDIRECT);
    assert_eq!(
        outcome.redirect,
        map_target("xsks", MapType::Xskmap, 3, &42u32.to_ne_bytes())
    );
    // A missing key after a successful redirect clears the target, as in Linux.
    assert_eq!(redirect_map(&inst, "to_xsk", 2, 2).redirect, None);
}

#[test]
fn cli_run_reports_the_final_packet_the_metadata_and_the_redirect() {
    let result = cli::run_json(&[
        "run",
        "tests/bpf/packet_room.o",
        "--program",
        "redirect_ifindex",
        "--data-hex",
        "0700000000000000000000000000",
    ]);
    assert_eq!(
        result,
        json!({
            "program": "redirect_ifindex",
            "retval": 4,
            "data_out": "0700000000000000000000000000",
            "redirect": { "ifindex": 7, "flags": 0 },
        })
    );
    let result = cli::run_json(&[
        "run",
        "tests/bpf/packet_room.o",
        "--program",
        "adjust_meta",
        "--data-hex",
        "f8ffffff000000000000000000000000",
    ]);
    assert_eq!(result["retval"], json!(0));
    assert_eq!(result["meta_out"], json!("4433221100000000"));
    // adjust_head(-4) leaves four more bytes in front, the first marked.
    let result = cli::run_json(&[
        "run",
        "tests/bpf/packet_room.o",
        "--program",
        "adjust_head",
        "--data-hex",
        "fcffffff000000000000000000000000",
    ]);
    assert_eq!(
        result["data_out"],
        json!("aa000000fcffffff000000000000000000000000")
    );
}

#[test]
fn cli_run_fills_redirect_maps_from_maps_in() {
    let dir = tempfile::tempdir().unwrap();
    let maps_in = dir.path().join("maps.json");
    std::fs::write(&maps_in, r#"{"devs": {"01000000": "09000000"}}"#).unwrap();
    let result = cli::run_json(&[
        "run",
        "tests/bpf/packet_room.o",
        "--program",
        "to_dev",
        "--data-hex",
        "0100000000000000000000000000",
        "--maps-in",
        maps_in.to_str().unwrap(),
    ]);
    assert_eq!(
        result["redirect"],
        json!({
            "map": "devs",
            "map_type": "BPF_MAP_TYPE_DEVMAP",
            "key": 1,
            "flags": 0,
            "value": "09000000",
        })
    );
    assert_eq!(result["retval"], json!(4));
    // Key 2 is empty: the fallback action in the flags' low bits (XDP_PASS), no redirect.
    let result = cli::run_json(&[
        "run",
        "tests/bpf/packet_room.o",
        "--program",
        "to_dev",
        "--data-hex",
        "0200000002000000000000000000",
        "--maps-in",
        maps_in.to_str().unwrap(),
    ]);
    assert_eq!(result["retval"], json!(2));
    assert!(result.get("redirect").is_none(), "{result}");
}
