//! Built frames against values computed by hand (and by an independent script), the parser
//! on them, and the assertions' messages.

use std::net::IpAddr;

use super::*;

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[test]
fn udp_over_ipv4_matches_the_textbook_header() {
    // Wikipedia's IPv4 checksum example: 192.168.0.1 -> 192.168.0.199, UDP, total length
    // 0x73 (20 + 8 + 87), DF, TTL 64: header checksum b861.
    let payload: Vec<u8> = (0..87).collect();
    let frame = PacketBuilder::udp("192.168.0.1:5000", "192.168.0.199:53")
        .payload(&payload)
        .build();
    assert_eq!(frame.len(), 14 + 20 + 8 + 87);
    assert_eq!(
        &frame[..14],
        &[2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]
    );
    assert_eq!(
        &frame[14..34],
        &[
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7
        ]
    );
    // Ports 5000 (0x1388) and 53, length 95 (0x5f), checksum fe19.
    assert_eq!(
        &frame[34..42],
        &[0x13, 0x88, 0x00, 0x35, 0x00, 0x5f, 0xfe, 0x19]
    );
    assert_eq!(&frame[42..], &payload[..]);
    let f = Frame::new(&frame);
    assert_eq!(f.ipv4_checksum(), Some(0xb861));
    assert_eq!(
        (f.ipv4_checksum_valid(), f.l4_checksum_valid()),
        (Some(true), Some(true))
    );
    assert_eq!((f.src_port(), f.dst_port()), (Some(5000), Some(53)));
    assert_eq!(f.payload(), Some(&payload[..]));
}

#[test]
fn tcp_syn_over_ipv4() {
    let frame = PacketBuilder::tcp("10.0.0.1:1234", "10.0.0.2:80").build();
    assert_eq!(frame.len(), 54);
    // IPv4 header checksum 26ce, TCP checksum 96bd.
    assert_eq!(&frame[24..26], &[0x26, 0xce]);
    assert_eq!(
        &frame[34..54],
        &[
            0x04, 0xd2, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0x96, 0xbd, 0,
            0
        ]
    );
    let f = Frame::new(&frame);
    assert_eq!(
        (f.ip_src(), f.ip_dst(), f.ttl(), f.ip_protocol()),
        (
            Some(ip("10.0.0.1")),
            Some(ip("10.0.0.2")),
            Some(64),
            Some(6)
        )
    );
    assert!(f.checksums_valid());
    assert_eq!(f.payload(), Some(&[][..]));
    // ACK instead of SYN: the flags byte, and a checksum 0x0e lower.
    let ack = PacketBuilder::tcp("10.0.0.1:1234", "10.0.0.2:80")
        .tcp_flags(tcp_flags::ACK)
        .build();
    assert_eq!(&ack[47..52], &[0x10, 0xff, 0xff, 0x96, 0xaf]);
}

#[test]
fn icmp_echo_over_both_versions() {
    // ICMP: 0800 + 0007 + 0009 = 0810, complemented f7ef; no pseudo-header.
    let v4 = PacketBuilder::icmp_echo("10.0.0.1", "10.0.0.2", 7, 9).build();
    assert_eq!(&v4[34..42], &[8, 0, 0xf7, 0xef, 0, 7, 0, 9]);
    assert_eq!(Frame::new(&v4).l4_checksum_valid(), Some(true));
    // ICMPv6 (type 128) covers the pseudo-header: checksum 333e.
    let v6 = PacketBuilder::icmp_echo("2001:db8::1", "2001:db8::2", 0x1234, 1)
        .ttl(3)
        .payload(b"ping")
        .build();
    assert_eq!(v6.len(), 14 + 40 + 8 + 4);
    assert_eq!(&v6[12..14], &[0x86, 0xdd]);
    // Version 6, payload length 12, next header 58, hop limit 3.
    assert_eq!(&v6[14..22], &[0x60, 0, 0, 0, 0, 12, 58, 3]);
    assert_eq!(&v6[54..62], &[128, 0, 0x33, 0x3e, 0x12, 0x34, 0, 1]);
    let f = Frame::new(&v6);
    assert_eq!(f.ip_src(), Some(ip("2001:db8::1")));
    assert_eq!((f.ttl(), f.ipv4_checksum_valid()), (Some(3), None));
    assert_eq!(f.l4_checksum_valid(), Some(true));
    assert_eq!(f.payload(), Some(&b"ping"[..]));
}

#[test]
fn a_vlan_tag_sits_before_the_ethertype() {
    let frame = PacketBuilder::udp("[2001:db8::1]:1", "[2001:db8::2]:2")
        .vlan(100)
        .eth([1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12])
        .build();
    assert_eq!(frame.len(), 18 + 40 + 8);
    assert_eq!(&frame[..6], &[7, 8, 9, 10, 11, 12]);
    assert_eq!(&frame[12..18], &[0x81, 0x00, 0x00, 100, 0x86, 0xdd]);
    let f = Frame::new(&frame);
    assert_eq!(f.vlan_id(), Some(100));
    assert_eq!(f.ethertype(), Some(0x86dd));
    assert_eq!(f.eth_src(), Some([1, 2, 3, 4, 5, 6]));
    assert_eq!((f.src_port(), f.dst_port()), (Some(1), Some(2)));
    assert_eq!(f.l4_checksum_valid(), Some(true));
    assert_eq!(
        Frame::new(&PacketBuilder::udp("1.1.1.1:1", "2.2.2.2:2").build()).vlan_id(),
        None
    );
}

#[test]
fn damage_shows_in_the_checksums() {
    let mut frame = PacketBuilder::udp("10.0.0.1:7", "10.0.0.2:9")
        .payload(b"abcd")
        .build();
    frame[22] -= 1; // TTL, without fixing the header checksum
    let f = Frame::new(&frame);
    assert_eq!(f.ipv4_checksum_valid(), Some(false));
    // The TTL is outside the pseudo-header: UDP's checksum still holds.
    assert_eq!(f.l4_checksum_valid(), Some(true));
    assert!(!f.checksums_valid());
    frame[22] += 1;
    frame[45] ^= 0x20; // payload
    assert_eq!(Frame::new(&frame).l4_checksum_valid(), Some(false));
    // An IPv4 UDP checksum of zero means "none".
    frame[40..42].copy_from_slice(&[0, 0]);
    assert_eq!(Frame::new(&frame).l4_checksum_valid(), Some(true));
}

#[test]
fn cut_frames_parse_to_none() {
    let frame = PacketBuilder::tcp("10.0.0.1:1", "10.0.0.2:2").build();
    let f = Frame::new(&frame[..30]);
    assert_eq!(
        (f.ethertype(), f.ip_src(), f.ttl()),
        (Some(0x0800), None, None)
    );
    assert_eq!((f.l4_checksum_valid(), f.dst_port()), (None, None));
    assert!(f.checksums_valid());
    let f = Frame::new(&frame[..40]);
    assert_eq!(f.ip_dst(), Some(ip("10.0.0.2")));
    assert_eq!((f.dst_port(), f.l4()), (None, None));
    assert_eq!(Frame::new(&[0u8; 5]).eth_src(), None);
}

#[test]
#[should_panic(expected = "different IP versions")]
fn mixed_families_are_refused() {
    PacketBuilder::tcp("10.0.0.1:1", "[::1]:2");
}

#[test]
fn verdicts_have_the_kernels_numbers() {
    assert_eq!(XdpAction::from_retval(4), Some(XdpAction::Redirect));
    assert_eq!(XdpAction::from_retval(5), None);
    assert_eq!(TcAction::from_retval(0xffff_ffff), Some(TcAction::Unspec));
    assert_eq!(TcAction::from_retval(u64::MAX), Some(TcAction::Unspec));
    assert_eq!(TcAction::from_retval(2), Some(TcAction::Shot));
    assert_eq!(TcAction::from_retval(8), None);
}

fn run(retval: u64) -> TestRun {
    TestRun {
        program: "prog".into(),
        retval,
        packet: Packet::new(&[1, 2, 3]),
        redirect: Some(Redirect::Ifindex {
            ifindex: 3,
            flags: 0,
        }),
        clones: Vec::new(),
        skb_fields: None,
        events: BTreeMap::from([("drops".to_string(), vec![vec![1, 2]])]),
    }
}

#[test]
fn passing_assertions_chain() {
    run(4)
        .assert_xdp(XdpAction::Redirect)
        .assert_redirect_ifindex(3)
        .assert_unchanged(&[1, 2, 3])
        .assert_events("drops", &[&[1, 2]])
        .assert_events("other", &[]);
    run(7).assert_tc(TcAction::Redirect);
    assert_eq!(run(0).events("none"), &[] as &[Vec<u8>]);
}

#[test]
#[should_panic(expected = "prog: expected XDP verdict XDP_PASS (2), got XDP_DROP (1)")]
fn a_wrong_verdict_names_both() {
    run(1).assert_xdp(XdpAction::Pass);
}

#[test]
#[should_panic(expected = "prog: expected tc verdict TC_ACT_OK (0), got 9")]
fn an_unknown_verdict_shows_its_number() {
    run(9).assert_tc(TcAction::Ok);
}

#[test]
#[should_panic(expected = "expected a redirect to key 1 of map tx, got Some(Ifindex")]
fn a_wrong_redirect_shows_the_real_one() {
    run(4).assert_redirect_map("tx", 1);
}

#[test]
#[should_panic(expected = "expected 0 event(s) in drops: [], got 1: [[01, 02]]")]
fn unexpected_events_are_listed() {
    run(1).assert_events("drops", &[]);
}

#[test]
#[should_panic(expected = "first difference at byte 1")]
fn a_changed_packet_says_where() {
    run(1).assert_unchanged(&[1, 9, 3]);
}
