//! The kernel-style firewall of bpf/firewall.c under `cargo test`: frames built with
//! `bpf2c_runtime::testing`, run through the translated program, and the verdicts,
//! rewritten packets, redirect targets, events and counters checked with exact values.

use std::net::IpAddr;

use bpf2c_runtime::testing::{self, PacketBuilder, TestRun, XdpAction};
use bpf2c_runtime::{Packet, Redirect, RunError};
use example_xdp_firewall::{
    block, forward, stats, DropEvent, Firewall, REASON_BLOCKLIST, REASON_MALFORMED,
};

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn run(fw: &Firewall, packet: Packet) -> Result<TestRun, RunError> {
    testing::run_xdp(fw.instance(), "xdp_firewall", packet)
}

const DROP: u32 = XdpAction::Drop as u32;
const PASS: u32 = XdpAction::Pass as u32;
const REDIRECT: u32 = XdpAction::Redirect as u32;

#[test]
fn a_blocked_ipv4_source_is_dropped_and_reported() {
    let fw = Firewall::load().unwrap();
    block(&fw, ip("10.1.0.0"), 16).unwrap();
    let syn = PacketBuilder::tcp("10.1.2.3:4444", "192.0.2.10:22");
    let run_blocked = run(&fw, syn.packet()).unwrap();
    run_blocked
        .assert_xdp(XdpAction::Drop)
        .assert_no_redirect()
        .assert_unchanged(&syn.build());
    // struct drop_event: family 4, reason 1, IPPROTO_TCP, pad, ports in host order, the
    // source in the first four of 16 address bytes.
    let mut expected = vec![4, REASON_BLOCKLIST, 6, 0];
    expected.extend_from_slice(&4444u16.to_ne_bytes());
    expected.extend_from_slice(&22u16.to_ne_bytes());
    expected.extend_from_slice(&[10, 1, 2, 3]);
    expected.extend_from_slice(&[0; 12]);
    run_blocked.assert_events("drops", &[&expected]);
    assert_eq!(
        DropEvent::parse(&run_blocked.events("drops")[0]),
        Some(DropEvent {
            reason: REASON_BLOCKLIST,
            protocol: 6,
            sport: 4444,
            dport: 22,
            source: Some(ip("10.1.2.3")),
        })
    );
    // Outside the /16: passes untouched, no event.
    let other = PacketBuilder::tcp("10.2.0.1:4444", "192.0.2.10:22");
    run(&fw, other.packet())
        .unwrap()
        .assert_xdp(XdpAction::Pass)
        .assert_unchanged(&other.build())
        .assert_events("drops", &[]);
    assert_eq!(stats(&fw, DROP).unwrap(), (1, 54));
    assert_eq!(stats(&fw, PASS).unwrap(), (1, 54));
}

#[test]
fn the_longest_ipv6_prefix_decides_and_vlan_tags_are_seen_through() {
    let fw = Firewall::load().unwrap();
    block(&fw, ip("2001:db8::"), 32).unwrap();
    let blocked = PacketBuilder::udp("[2001:db8:1::5]:123", "[2001:db8:ffff::1]:123").vlan(42);
    let r = run(&fw, blocked.packet()).unwrap();
    r.assert_xdp(XdpAction::Drop);
    let event = DropEvent::parse(&r.events("drops")[0]).unwrap();
    assert_eq!(
        (event.source, event.protocol, event.sport, event.dport),
        (Some(ip("2001:db8:1::5")), 17, 123, 123)
    );
    // 2001:db9::/32 is a neighbour, not a match.
    let neighbour = PacketBuilder::udp("[2001:db9::1]:123", "[2001:db8::1]:123");
    run(&fw, neighbour.packet())
        .unwrap()
        .assert_xdp(XdpAction::Pass);
    // A host route inside the blocked /32 changes nothing: any match drops.
    block(&fw, ip("2001:db8:1::5"), 128).unwrap();
    run(&fw, blocked.packet())
        .unwrap()
        .assert_xdp(XdpAction::Drop);
    // 18 + 40 + 8 bytes for the tagged frames, 14 + 40 + 8 for the other.
    assert_eq!(stats(&fw, DROP).unwrap(), (2, 132));
    assert_eq!(stats(&fw, PASS).unwrap(), (1, 62));
}

#[test]
fn forwarded_ipv4_has_its_ttl_and_checksum_rewritten_and_is_redirected() {
    let fw = Firewall::load().unwrap();
    forward(&fw, 53, 1, 7).unwrap();
    let query = PacketBuilder::udp("198.51.100.7:5000", "203.0.113.9:53").payload(b"query");
    let before = query.build();
    assert_eq!(&before[22..26], &[64, 17, 0xd4, 0x87]);
    let r = run(&fw, query.packet()).unwrap();
    r.assert_xdp(XdpAction::Redirect)
        .assert_redirect_map("tx_ports", 1)
        .assert_checksums_valid();
    // The device map's entry for slot 1 holds the ifindex the host stored; the flags
    // kept for a single target are 0 (the fallback action only mattered for a miss).
    match &r.redirect {
        Some(Redirect::Map { value, flags, .. }) => {
            assert_eq!(value.as_deref(), Some(&7u32.to_ne_bytes()[..]));
            assert_eq!(*flags, 0);
        }
        other => panic!("{other:?}"),
    }
    // TTL 64 -> 63; the header checksum d487 -> d587 (RFC 1624: one less in the high byte
    // of a word is 0x100 more in its complement); nothing else moved.
    let after = r.data();
    assert_eq!(&after[22..26], &[63, 17, 0xd5, 0x87]);
    assert_eq!(after.len(), before.len());
    let changed: Vec<usize> = (0..after.len())
        .filter(|&i| after[i] != before[i])
        .collect();
    assert_eq!(changed, [22, 24]);
    let frame = r.frame();
    assert_eq!(frame.ttl(), Some(63));
    assert_eq!(frame.ipv4_checksum(), Some(0xd587));
    assert_eq!(frame.payload(), Some(&b"query"[..]));
    assert_eq!(stats(&fw, REDIRECT).unwrap(), (1, 47));
}

#[test]
fn the_checksum_update_holds_for_every_ttl() {
    let fw = Firewall::load().unwrap();
    forward(&fw, 443, 0, 3).unwrap();
    for ttl in 2..=255u8 {
        let r = run(
            &fw,
            PacketBuilder::tcp("192.0.2.1:40000", "192.0.2.2:443")
                .ttl(ttl)
                .packet(),
        )
        .unwrap();
        r.assert_xdp(XdpAction::Redirect).assert_checksums_valid();
        assert_eq!(r.frame().ttl(), Some(ttl - 1));
    }
    assert_eq!(stats(&fw, REDIRECT).unwrap(), (254, 254 * 54));
}

#[test]
fn a_dying_ttl_goes_to_the_stack_untouched() {
    let fw = Firewall::load().unwrap();
    forward(&fw, 53, 1, 7).unwrap();
    let last_hop = PacketBuilder::udp("198.51.100.7:5000", "203.0.113.9:53").ttl(1);
    run(&fw, last_hop.packet())
        .unwrap()
        .assert_xdp(XdpAction::Pass)
        .assert_no_redirect()
        .assert_unchanged(&last_hop.build());
}

#[test]
fn forwarded_ipv6_loses_a_hop() {
    let fw = Firewall::load().unwrap();
    forward(&fw, 8080, 2, 9).unwrap();
    let request = PacketBuilder::tcp("[2001:db8::1]:5555", "[2001:db8::2]:8080").ttl(10);
    let before = request.build();
    let r = run(&fw, request.packet()).unwrap();
    r.assert_xdp(XdpAction::Redirect)
        .assert_redirect_map("tx_ports", 2)
        .assert_checksums_valid();
    // Only the hop limit (byte 21: Ethernet 14 + 7) changed; TCP's checksum does not
    // cover it.
    let after = r.data();
    let changed: Vec<usize> = (0..after.len())
        .filter(|&i| after[i] != before[i])
        .collect();
    assert_eq!(changed, [21]);
    assert_eq!(r.frame().ttl(), Some(9));
}

#[test]
fn a_missing_device_falls_back_to_pass() {
    // Port 80 names slot 5, which the host never filled: bpf_redirect_map returns the
    // action in its flags' low bits (XDP_PASS) and records no target, as in Linux.
    let fw = Firewall::load().unwrap();
    fw.forward_ports().insert(&80, &5).unwrap();
    let r = run(
        &fw,
        PacketBuilder::tcp("192.0.2.1:1000", "192.0.2.2:80").packet(),
    )
    .unwrap();
    r.assert_xdp(XdpAction::Pass).assert_no_redirect();
    // The TTL was decremented before the lookup failed, and the checksum with it.
    assert_eq!(r.frame().ttl(), Some(63));
    r.assert_checksums_valid();
}

#[test]
fn malformed_and_foreign_frames() {
    let fw = Firewall::load().unwrap();
    // An IPv4 EtherType with 10 bytes of header: dropped, reported without addresses.
    let full = PacketBuilder::udp("10.0.0.1:1", "10.0.0.2:2").build();
    let r = run(&fw, Packet::new(&full[..24])).unwrap();
    r.assert_xdp(XdpAction::Drop);
    let mut expected = vec![4, REASON_MALFORMED];
    expected.extend_from_slice(&[0; 22]);
    r.assert_events("drops", &[&expected]);
    assert_eq!(DropEvent::parse(&expected).unwrap().source, None);
    // Shorter than an Ethernet header: dropped, no event.
    run(&fw, Packet::new(&full[..10]))
        .unwrap()
        .assert_xdp(XdpAction::Drop)
        .assert_events("drops", &[]);
    // ARP passes.
    let mut arp = full[..42].to_vec();
    arp[12..14].copy_from_slice(&[0x08, 0x06]);
    run(&fw, Packet::new(&arp))
        .unwrap()
        .assert_xdp(XdpAction::Pass)
        .assert_unchanged(&arp);
    assert_eq!(stats(&fw, DROP).unwrap(), (2, 34));
    assert_eq!(stats(&fw, PASS).unwrap(), (1, 42));
}

#[test]
fn the_object_is_a_verified_xdp_program_with_the_kernel_map_types() {
    let image = Firewall::image().unwrap();
    assert!(image.is_verified());
    let maps: Vec<(String, String)> = image
        .maps()
        .iter()
        .map(|m| (m.name.clone(), m.map_type.to_string()))
        .collect();
    let names: Vec<&str> = maps.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "blocklist_v4",
            "blocklist_v6",
            "forward_ports",
            "tx_ports",
            "action_stats",
            "drops"
        ]
    );
}
