//! The skb helpers of tc programs, one program per helper, built from our own C
//! (tests/bpf/skb_resize.c and skb_world.c) and run through the whole pipeline with
//! `Instance::run_skb_packet`. The host passes each helper's arguments in `cb[]` and reads
//! its results from the verdict, the packet, `cb[]` and the other `__sk_buff` fields. Every
//! expected value is worked out by hand from the kernel's definition of the helper
//! (net/core/filter.c, net/core/skbuff.c), as the comments say.

use bpf2c_runtime::{
    ClonedPacket, Instance, IpSummed, Options, Packet, Redirect, SkbFields, SkbMeta, SkbPacketRun,
    TraceSink,
};
use bpf2c_tests::pipeline::instance;

const EINVAL: i32 = -22;
const ENOMEM: i32 = -12;
const EFAULT: i32 = -14;
const EACCES: i32 = -13;
const ENOTSUPP: i32 = -524;
const TC_ACT_OK: u64 = 0;
const TC_ACT_SHOT: u64 = 2;
const TC_ACT_REDIRECT: u64 = 7;
/// BPF_SKB_MAX_LEN, SKB_MAX_ALLOC: four 4 KiB pages less the 320 bytes of x86-64's
/// `struct skb_shared_info`.
const SKB_MAX_LEN: u32 = 16384 - 320;

/// An ethertype as `__sk_buff.protocol` (and `vlan_proto`) holds it: the network-order bytes
/// read as a host number.
fn proto(ethertype: u16) -> u32 {
    u32::from(u16::from_ne_bytes(ethertype.to_be_bytes()))
}

/// 00:01:02:03:04:05 <- 06:07:08:09:0a:0b, IPv4 192.168.0.1:12345 -> 192.168.0.199:80,
/// TCP (a SYN), and the payload de ad be ef: 14 + 20 + 20 + 4 = 58 bytes.
fn ipv4_tcp() -> Vec<u8> {
    hex::decode(
        "000102030405060708090a0b0800\
         4500002c000040004006 0000 c0a80001 c0a800c7\
         30390050 00000001 00000000 50022000 00000000\
         deadbeef"
            .replace(' ', ""),
    )
    .unwrap()
}

/// The same frame with another ethertype after the MAC addresses.
fn with_ethertype(ethertype: u16) -> Vec<u8> {
    let mut p = ipv4_tcp();
    p[12..14].copy_from_slice(&ethertype.to_be_bytes());
    p
}

/// `ipv4_tcp` with `tags` (ethertype, TCI) inserted after the MAC addresses, outermost first.
fn tagged(tags: &[(u16, u16)]) -> Vec<u8> {
    let plain = ipv4_tcp();
    let mut p = plain[..12].to_vec();
    for (tpid, tci) in tags {
        p.extend(tpid.to_be_bytes());
        p.extend(tci.to_be_bytes());
    }
    p.extend(&plain[12..]);
    p
}

fn quiet() -> Options {
    Options::default().trace_sink(TraceSink::Discard)
}

fn cb(args: &[u32]) -> SkbFields {
    let mut fields = SkbFields::default();
    fields.cb[..args.len()].copy_from_slice(args);
    fields
}

/// Runs `program` over `bytes` (with the room of `Packet::new`) and returns the outcome and
/// the final packet.
fn run(inst: &Instance, program: &str, bytes: &[u8], fields: &SkbFields) -> (SkbPacketRun, Packet) {
    let prog = inst.program(program).unwrap();
    let mut packet = Packet::new(bytes);
    let run = inst
        .run_skb_packet(&prog, &mut packet, fields)
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    (run, packet)
}

/// The helper's result, which the program returns as an int.
fn result(run: &SkbPacketRun) -> i32 {
    run.retval as u32 as i32
}

fn resize() -> Instance {
    instance("skb_resize.o", quiet()).1
}

#[test]
fn change_head_prepends_zeros_up_to_the_maximum_length() {
    let inst = resize();
    let p = ipv4_tcp();
    // Four zero bytes in front, the first marked by the program; protocol stays IPv4.
    let (r, out) = run(&inst, "change_head", &p, &cb(&[4, 0]));
    assert_eq!(result(&r), 0);
    assert_eq!(out.data(), &[&[0xaa, 0, 0, 0][..], &p].concat()[..]);
    assert_eq!(r.fields.cb[4], proto(0x0800));
    // new_len = len + head_room may reach BPF_SKB_MAX_LEN, not pass it.
    let room = SKB_MAX_LEN - p.len() as u32;
    let (r, out) = run(&inst, "change_head", &p, &cb(&[room, 0]));
    assert_eq!((result(&r), out.len()), (0, SKB_MAX_LEN as usize));
    assert_eq!(&out.data()[room as usize..], &p[..]);
    for args in [[room + 1, 0], [4, 1]] {
        let (r, out) = run(&inst, "change_head", &p, &cb(&args));
        assert_eq!(result(&r), EINVAL, "{args:?}");
        assert_eq!(out.data(), &p[..]);
    }
}

#[test]
fn change_tail_zero_extends_and_trims_down_to_the_network_header() {
    let inst = resize();
    let p = ipv4_tcp();
    let (r, out) = run(&inst, "change_tail", &p, &cb(&[100, 0]));
    assert_eq!(result(&r), 0);
    assert_eq!(out.len(), 100);
    assert_eq!(&out.data()[..58], &p[..]);
    assert!(out.data()[58..99].iter().all(|&b| b == 0));
    assert_eq!(out.data()[99], 0xbb);
    // __bpf_skb_min_len: the network header's offset, 14, is the shortest a packet gets.
    let (r, out) = run(&inst, "change_tail", &p, &cb(&[14, 0]));
    assert_eq!(result(&r), 0);
    assert_eq!(out.data(), &[&p[..13], &[0xbb]].concat()[..]);
    let (r, out) = run(&inst, "change_tail", &p, &cb(&[SKB_MAX_LEN, 0]));
    assert_eq!((result(&r), out.len()), (0, SKB_MAX_LEN as usize));
    for args in [[13, 0], [SKB_MAX_LEN + 1, 0], [60, 1]] {
        let (r, out) = run(&inst, "change_tail", &p, &cb(&args));
        assert_eq!(result(&r), EINVAL, "{args:?}");
        assert_eq!(out.data(), &p[..]);
    }
}

#[test]
fn pull_data_succeeds_within_the_packet_and_leaves_it_whole() {
    let inst = resize();
    let p = ipv4_tcp();
    // The packet is linear: all 58 bytes are directly readable before and after.
    for (len, want) in [(0, 0), (20, 0), (58, 0), (59, ENOMEM)] {
        let (r, out) = run(&inst, "pull_data", &p, &cb(&[len]));
        assert_eq!(result(&r), want, "pull {len}");
        assert_eq!(r.fields.cb[1], 58, "pull {len}");
        assert_eq!(out.data(), &p[..]);
    }
}

const ROOM_NET: u32 = 0;
const ROOM_MAC: u32 = 1;
const NO_CSUM_RESET: u32 = 1 << 5;
const ENCAP_L3_IPV4: u32 = 1 << 1;
const ENCAP_L3_IPV6: u32 = 1 << 2;
const ENCAP_L2_ETH: u32 = 1 << 6;
const DECAP_L3_IPV4: u32 = 1 << 7;

/// `adjust_room` with the device having verified two checksums (CHECKSUM_UNNECESSARY,
/// csum_level 1), so that the reset of that state shows.
fn adjust_room(p: &[u8], len_diff: i32, mode: u32, flags: u32) -> (SkbPacketRun, Packet) {
    let meta = SkbMeta {
        checksum: IpSummed::Unnecessary { level: 1 },
        ..SkbMeta::default()
    };
    let (_, inst) = instance("skb_resize.o", quiet().skb_meta(meta));
    run(
        &inst,
        "adjust_room",
        p,
        &cb(&[len_diff as u32, mode, flags, 0]),
    )
}

#[test]
fn adjust_room_grows_and_shrinks_after_the_mac_or_the_l3_header() {
    let p = ipv4_tcp();
    // BPF_ADJ_ROOM_NET: eight zero bytes after the 20-byte IPv4 header, at 34. The checksum
    // state is reset (csum_level's query then gives -EACCES) ...
    let (r, out) = adjust_room(&p, 8, ROOM_NET, 0);
    assert_eq!(result(&r), 0);
    assert_eq!(out.data(), &[&p[..34], &[0; 8], &p[34..]].concat()[..]);
    assert_eq!(r.fields.cb[3] as i32, EACCES);
    // ... unless BPF_F_ADJ_ROOM_NO_CSUM_RESET says otherwise.
    let (r, _) = adjust_room(&p, 8, ROOM_NET, NO_CSUM_RESET);
    assert_eq!((result(&r), r.fields.cb[3]), (0, 1));
    // BPF_ADJ_ROOM_MAC: after the Ethernet header.
    let (r, out) = adjust_room(&p, 8, ROOM_MAC, 0);
    assert_eq!(result(&r), 0);
    assert_eq!(out.data(), &[&p[..14], &[0; 8], &p[14..]].concat()[..]);
    // Shrinking takes the bytes after the IPv4 header: the TCP ports go first.
    let (r, out) = adjust_room(&p, -4, ROOM_NET, 0);
    assert_eq!(result(&r), 0);
    assert_eq!(out.data(), &[&p[..34], &p[38..]].concat()[..]);
    // 44 bytes follow the network header; at least the 20 of the IPv4 header must remain.
    let (r, out) = adjust_room(&p, -24, ROOM_NET, 0);
    assert_eq!((result(&r), out.data()), (0, &p[..34]));
    let (r, out) = adjust_room(&p, -25, ROOM_NET, 0);
    assert_eq!(result(&r), ENOTSUPP);
    assert_eq!(r.fields.cb[3], 1, "a refusal keeps the checksum state");
    assert_eq!(out.data(), &p[..]);
}

#[test]
fn adjust_room_tracks_encapsulation_and_refuses_what_linux_refuses() {
    let p = ipv4_tcp();
    // An IPv6 outer header in front of the IPv4 packet: protocol becomes IPv6.
    let (r, out) = adjust_room(&p, 40, ROOM_MAC, ENCAP_L3_IPV6);
    assert_eq!(result(&r), 0);
    assert_eq!(out.len(), 98);
    assert_eq!(r.fields.cb[4], proto(0x86dd));
    // An IPv4 outer header keeps it IPv4.
    let (r, _) = adjust_room(&p, 20, ROOM_MAC, ENCAP_L3_IPV4);
    assert_eq!((result(&r), r.fields.cb[4]), (0, proto(0x0800)));
    // Decapsulating IPv4 from IPv4: the inner header must fit what is left.
    let (r, out) = adjust_room(&p, -20, ROOM_MAC, DECAP_L3_IPV4);
    assert_eq!(result(&r), 0);
    assert_eq!(out.data(), &[&p[..14], &p[34..]].concat()[..]);
    // ENCAP_L2(len) is the top byte of the 64-bit flags, so the top byte of cb[3].
    let inner_mac = |len: u32| len << 24;
    let refusals = [
        ("more than 0xfff bytes", 0x1000, ROOM_NET, 0, 0, EFAULT),
        ("no such mode", 8, 2, 0, 0, ENOTSUPP),
        ("an unknown flag", 8, ROOM_NET, 1 << 15, 0, EINVAL),
        (
            "two outer families",
            8,
            ROOM_MAC,
            ENCAP_L3_IPV4 | ENCAP_L3_IPV6,
            0,
            EINVAL,
        ),
        (
            "decapsulation while growing",
            8,
            ROOM_MAC,
            DECAP_L3_IPV4,
            0,
            EINVAL,
        ),
        (
            "an inner MAC header longer than the room",
            10,
            ROOM_MAC,
            ENCAP_L3_IPV4,
            inner_mac(20),
            EINVAL,
        ),
        (
            "an inner Ethernet header of 12 bytes",
            30,
            ROOM_MAC,
            ENCAP_L3_IPV4 | ENCAP_L2_ETH,
            inner_mac(12),
            EINVAL,
        ),
    ];
    for (why, diff, mode, lo, hi, want) in refusals {
        let (r, out) = run(&resize(), "adjust_room", &p, &cb(&[diff, mode, lo, hi]));
        assert_eq!(result(&r), want, "{why}");
        assert_eq!(out.data(), &p[..], "{why}");
    }
    // An inner Ethernet header of 14 bytes inside 34 of room: accepted.
    let (r, _) = run(
        &resize(),
        "adjust_room",
        &p,
        &cb(&[34, ROOM_MAC, ENCAP_L3_IPV4 | ENCAP_L2_ETH, inner_mac(14)]),
    );
    assert_eq!(result(&r), 0);
    // Neither IPv4 nor IPv6 (ARP): nothing to adjust.
    let (r, _) = adjust_room(&with_ethertype(0x0806), 8, ROOM_NET, 0);
    assert_eq!(result(&r), ENOTSUPP);
}

#[test]
fn change_proto_makes_room_for_the_ipv6_header_and_clears_the_hash() {
    let inst = resize();
    let p = ipv4_tcp();
    let fields = |to: u16, flags: u32| SkbFields {
        hash: 0x77,
        ..cb(&[proto(to), flags])
    };
    // IPv4 to IPv6: 20 zero bytes after the Ethernet header (the program rewrites the
    // header), protocol IPv6, and skb_clear_hash.
    let (r, out) = run(&inst, "change_proto", &p, &fields(0x86dd, 0));
    assert_eq!(result(&r), 0);
    assert_eq!(out.data(), &[&p[..14], &[0; 20], &p[14..]].concat()[..]);
    assert_eq!((r.fields.cb[4], r.fields.hash), (proto(0x86dd), 0));
    // IPv6 to IPv4 takes the 20 bytes after the Ethernet header away.
    let v6 = with_ethertype(0x86dd);
    let (r, out) = run(&inst, "change_proto", &v6, &fields(0x0800, 0));
    assert_eq!(result(&r), 0);
    assert_eq!(out.data(), &[&v6[..14], &v6[34..]].concat()[..]);
    assert_eq!(r.fields.cb[4], proto(0x0800));
    // Same family, another family, or flags: refused, hash kept.
    for (to, flags, want) in [
        (0x0800, 0, ENOTSUPP),
        (0x0806, 0, ENOTSUPP),
        (0x86dd, 1, EINVAL),
    ] {
        let (r, out) = run(&inst, "change_proto", &p, &fields(to, flags));
        assert_eq!(result(&r), want, "{to:#x} {flags}");
        assert_eq!((out.data(), r.fields.hash), (&p[..], 0x77));
        assert_eq!(r.fields.cb[4], proto(0x0800));
    }
}

#[test]
fn change_type_moves_between_host_and_otherhost_only() {
    let inst = resize();
    let p = ipv4_tcp();
    // PACKET_HOST (0) .. PACKET_OTHERHOST (3), from and to.
    let (r, _) = run(&inst, "change_type", &p, &cb(&[3]));
    assert_eq!((result(&r), r.fields.pkt_type), (0, 3));
    let (r, _) = run(&inst, "change_type", &p, &cb(&[4]));
    assert_eq!((result(&r), r.fields.pkt_type), (EINVAL, 0));
    // From PACKET_OUTGOING (4) nothing may change.
    let outgoing = SkbFields {
        pkt_type: 4,
        ..cb(&[0])
    };
    let (r, _) = run(&inst, "change_type", &p, &outgoing);
    assert_eq!((result(&r), r.fields.pkt_type), (EINVAL, 4));
}

#[test]
fn vlan_push_keeps_the_new_tag_outside_and_moves_an_old_one_in() {
    let inst = resize();
    let p = ipv4_tcp();
    let (r, out) = run(&inst, "vlan_push", &p, &cb(&[proto(0x8100), 5]));
    assert_eq!(result(&r), 0);
    assert_eq!(
        out.data(),
        &p[..],
        "the accelerated tag is not in the packet"
    );
    let f = r.fields;
    assert_eq!(
        (f.vlan_present, f.vlan_proto, f.vlan_tci, f.cb[4]),
        (1, proto(0x8100), 5, proto(0x0800))
    );
    // Any protocol but 802.1Q and 802.1ad means 802.1Q.
    let (r, _) = run(&inst, "vlan_push", &p, &cb(&[proto(0x1234), 0xfff]));
    assert_eq!(
        (r.fields.vlan_proto, r.fields.vlan_tci),
        (proto(0x8100), 0xfff)
    );
    // An accelerated 802.1ad tag (TCI 0x123) is already there: it goes into the packet
    // after the MAC addresses, and protocol becomes 802.1ad.
    let fields = SkbFields {
        vlan_present: 1,
        vlan_proto: proto(0x88a8),
        vlan_tci: 0x123,
        ..cb(&[proto(0x8100), 7])
    };
    let (r, out) = run(&inst, "vlan_push", &p, &fields);
    assert_eq!(result(&r), 0);
    assert_eq!(out.data(), &tagged(&[(0x88a8, 0x123)])[..]);
    let f = r.fields;
    assert_eq!(
        (f.vlan_present, f.vlan_proto, f.vlan_tci, f.cb[4]),
        (1, proto(0x8100), 7, proto(0x88a8))
    );
}

#[test]
fn vlan_pop_removes_a_tag_and_moves_the_next_one_out_of_the_packet() {
    let inst = resize();
    let plain = ipv4_tcp();
    // An accelerated tag: cleared, the packet untouched.
    let fields = SkbFields {
        vlan_present: 1,
        vlan_proto: proto(0x8100),
        vlan_tci: 9,
        ..SkbFields::default()
    };
    let (r, out) = run(&inst, "vlan_pop", &plain, &fields);
    assert_eq!(result(&r), 0);
    assert_eq!(out.data(), &plain[..]);
    assert_eq!(
        (
            r.fields.vlan_present,
            r.fields.vlan_proto,
            r.fields.vlan_tci
        ),
        (0, 0, 0)
    );
    // One tag in the packet: taken out; protocol becomes what it carried.
    let (r, out) = run(&inst, "vlan_pop", &tagged(&[(0x8100, 5)]), &cb(&[]));
    assert_eq!(result(&r), 0);
    assert_eq!(out.data(), &plain[..]);
    assert_eq!((r.fields.vlan_present, r.fields.cb[4]), (0, proto(0x0800)));
    // Q-in-Q: the outer tag goes, the inner one becomes the accelerated tag.
    let qinq = tagged(&[(0x88a8, 100), (0x8100, 5)]);
    let (r, out) = run(&inst, "vlan_pop", &qinq, &cb(&[]));
    assert_eq!(result(&r), 0);
    assert_eq!(out.data(), &plain[..]);
    let f = r.fields;
    assert_eq!(
        (f.vlan_present, f.vlan_proto, f.vlan_tci, f.cb[4]),
        (1, proto(0x8100), 5, proto(0x0800))
    );
    // No tag anywhere: nothing to do.
    let (r, out) = run(&inst, "vlan_pop", &plain, &cb(&[]));
    assert_eq!((result(&r), out.data()), (0, &plain[..]));
    // A tag cut short (16 bytes, 18 needed): -ENOMEM.
    let short = &tagged(&[(0x8100, 5)])[..16];
    let (r, out) = run(&inst, "vlan_pop", short, &cb(&[]));
    assert_eq!((result(&r), out.data()), (ENOMEM, short));
}

fn world() -> Instance {
    instance("skb_world.o", quiet()).1
}

#[test]
fn clone_redirect_sends_the_packet_as_it_is_at_each_call() {
    let inst = world();
    let p = ipv4_tcp();
    let mut marked = p.clone();
    marked[0] = 0xcc;
    // To ifindex 5 with BPF_F_INGRESS, then (after the first byte changed) to 6.
    let (r, out) = run(&inst, "clone", &p, &cb(&[5, 1]));
    assert_eq!(r.retval, TC_ACT_OK);
    assert_eq!((r.fields.cb[2], r.fields.cb[3]), (0, 0));
    assert_eq!(
        r.clones,
        [
            ClonedPacket {
                ifindex: 5,
                flags: 1,
                data: p.clone()
            },
            ClonedPacket {
                ifindex: 6,
                flags: 0,
                data: marked.clone()
            },
        ]
    );
    assert_eq!(out.data(), &marked[..]);
    assert_eq!(r.redirect, None, "a clone is not a redirect");
    // No device has ifindex 0, and flags other than BPF_F_INGRESS are refused.
    for args in [[0, 0], [5, 2]] {
        let (r, _) = run(&inst, "clone", &p, &cb(&args));
        assert_eq!(r.fields.cb[2] as i32, EINVAL, "{args:?}");
        assert_eq!(r.clones.len(), 1, "{args:?}: only the second copy went");
    }
}

#[test]
fn redirect_neigh_records_the_device_and_the_next_hop() {
    let inst = world();
    let p = ipv4_tcp();
    let nh = u32::from_ne_bytes([10, 0, 0, 1]);
    let (r, out) = run(&inst, "neigh", &p, &cb(&[4, 0, 0, nh]));
    assert_eq!(r.retval, TC_ACT_REDIRECT);
    assert_eq!(
        r.redirect,
        Some(Redirect::Neigh {
            ifindex: 4,
            nexthop: None
        })
    );
    assert_eq!(out.data(), &p[..]);
    // struct bpf_redir_neigh: nh_family AF_INET (2), then the address, 20 bytes in all.
    let (r, _) = run(&inst, "neigh_via", &p, &cb(&[4, 0, 0, nh]));
    assert_eq!(r.retval, TC_ACT_REDIRECT);
    let mut params = vec![2, 0, 0, 0, 10, 0, 0, 1];
    params.resize(20, 0);
    assert_eq!(
        r.redirect,
        Some(Redirect::Neigh {
            ifindex: 4,
            nexthop: Some(params)
        })
    );
    // Parameters shorter than the struct, or any flag: TC_ACT_SHOT, nothing recorded.
    let (r, _) = run(&inst, "neigh_short", &p, &cb(&[4, 0, 0, nh]));
    assert_eq!((r.retval, r.redirect), (TC_ACT_SHOT, None));
    let (r, _) = run(&inst, "neigh", &p, &cb(&[4, 0, 1, nh]));
    assert_eq!((r.retval, r.redirect), (TC_ACT_SHOT, None));
}

/// lookup3's hashword (the kernel's jhash2) over the flow of `ipv4_tcp` with seed 0, and 7,
/// computed separately (a Python transcription of include/linux/jhash.h): the words are
/// daddr c0a800c7, saddr c0a80001, the ports 3039 0050 and the protocol 6.
const FLOW_HASH_SEED_0: u32 = 0x270f_d315;
const FLOW_HASH_SEED_7: u32 = 0x4817_509a;

#[test]
fn the_flow_hash_is_computed_set_and_invalidated_as_skb_get_hash_does() {
    let inst = world();
    let p = ipv4_tcp();
    // No valid hash: computed from the flow; set_hash makes 0xabcd the valid hash; after
    // set_hash_invalid it is computed again.
    let (r, _) = run(&inst, "hash", &p, &cb(&[0, 0xabcd]));
    assert_eq!(
        r.fields.cb,
        [FLOW_HASH_SEED_0, 0xabcd, 0, 0xabcd, FLOW_HASH_SEED_0]
    );
    assert_eq!(r.fields.hash, FLOW_HASH_SEED_0);
    // Both directions of the flow hash alike.
    let mut reply = p.clone();
    let (src, dst) = (p[26..30].to_vec(), p[30..34].to_vec());
    reply[26..30].copy_from_slice(&dst);
    reply[30..34].copy_from_slice(&src);
    reply[34..36].copy_from_slice(&p[36..38]);
    reply[36..38].copy_from_slice(&p[34..36]);
    let (r, _) = run(&inst, "hash", &reply, &cb(&[0, 1]));
    assert_eq!(r.fields.cb[0], FLOW_HASH_SEED_0);
    // The host's seed keys it.
    let (_, seeded) = instance("skb_world.o", quiet().flow_hash_seed(7));
    let (r, _) = run(&seeded, "hash", &p, &cb(&[0, 1]));
    assert_eq!(r.fields.cb[0], FLOW_HASH_SEED_7);
    // A hash the host gave is valid and returned as it is.
    let given = SkbFields {
        hash: 0x55,
        ..cb(&[0, 1])
    };
    let (r, _) = run(&inst, "hash", &p, &given);
    assert_eq!(r.fields.cb[0], 0x55);
    // No flow to hash (ARP): 0, and the hash stays invalid.
    let (r, _) = run(&inst, "hash", &with_ethertype(0x0806), &cb(&[0, 9]));
    assert_eq!(r.fields.cb, [0, 9, 0, 9, 0]);
}

#[test]
fn classid_and_realm_are_zero_without_a_net_cls_cgroup_or_realms() {
    let inst = world();
    let (r, _) = run(&inst, "classid_realm", &ipv4_tcp(), &cb(&[9, 9, 9]));
    assert_eq!(r.retval, TC_ACT_OK);
    assert_eq!(r.fields.cb, [0, 0, 9, 0, 0]);
}

#[test]
fn socket_lookups_find_no_socket_of_the_hosts_world() {
    let inst = world();
    // The lookups ran (cb[0..3] overwritten with "not found"), none found a socket, so the
    // program assigned and released nothing.
    let (r, _) = run(&inst, "sockets", &ipv4_tcp(), &cb(&[7, 7, 7, 7]));
    assert_eq!(r.retval, TC_ACT_OK);
    assert_eq!(r.fields.cb, [0, 0, 0, 7, 0]);
    let (r, _) = run(
        &inst,
        "sockets",
        &with_ethertype(0x0806),
        &cb(&[7, 7, 7, 7]),
    );
    assert_eq!(r.fields.cb, [7, 7, 7, 0x5a, 0]);
}

/// Seconds since boot (CLOCK_BOOTTIME), from /proc/uptime, in nanoseconds; it has
/// hundredths of a second.
fn uptime_ns() -> u64 {
    let text = std::fs::read_to_string("/proc/uptime").expect("/proc/uptime");
    let secs = text.split_whitespace().next().expect("uptime");
    let (whole, hundredths) = secs.split_once('.').expect("seconds.hundredths");
    whole.parse::<u64>().unwrap() * 1_000_000_000 + hundredths.parse::<u64>().unwrap() * 10_000_000
}

#[test]
fn boot_clock_and_jiffies_count_from_boot() {
    let inst = world();
    let before = uptime_ns();
    let (r, _) = run(&inst, "clocks", &ipv4_tcp(), &SkbFields::default());
    let after = uptime_ns() + 10_000_000;
    assert_eq!(r.retval, 1, "the boot clock did not go backwards");
    let f = r.fields;
    let u64_of = |lo: u32, hi: u32| u64::from(hi) << 32 | u64::from(lo);
    let (mono, boot) = (u64_of(f.cb[0], f.cb[1]), u64_of(f.cb[2], f.cb[3]));
    let (jiffies, boot_after) = (f.tstamp, u64_of(f.mark, f.priority));
    // CLOCK_MONOTONIC stops in suspend, CLOCK_BOOTTIME does not.
    assert!(mono <= boot, "{mono} <= {boot}");
    assert!(
        before <= boot && boot <= boot_after && boot_after <= after,
        "{before} <= {boot} <= {boot_after} <= {after}"
    );
    // 250 Hz from INITIAL_JIFFIES = 2^32 - 300 * 250 (five minutes before the 32-bit wrap),
    // read between the two boot-clock reads.
    let at = |ns: u64| 4_294_892_296 + ns / 4_000_000;
    assert!(at(boot) <= jiffies && jiffies <= at(boot_after));
}
