//! `bpf2c_runtime::testing` over our own tc and XDP objects (the xdp-firewall example covers
//! XDP with maps and events): run_tc on a NAT rewrite whose checksums must still hold, and
//! run_xdp on a redirect and on a program that grows the packet.

use std::net::IpAddr;

use bpf2c_runtime::testing::{self, PacketBuilder, TcAction, XdpAction};
use bpf2c_runtime::{Options, Packet, SkbFields, TraceSink};
use bpf2c_tests::pipeline::instance;

fn quiet() -> Options {
    Options::default().trace_sink(TraceSink::Discard)
}

#[test]
fn run_tc_sees_a_nat_rewrite_with_valid_checksums() {
    // tests/bpf/skb_host_helpers.c `rewrite`: source address -> 10.0.0.99 (l3 and l4
    // csum_replace with the pseudo-header flag), destination port -> 8080, sequence bytes
    // -> 01 02 03 04 (csum_diff), returns TC_ACT_OK.
    let (_, inst) = instance("skb_host_helpers.o", quiet());
    let syn = PacketBuilder::tcp("10.0.0.1:12345", "10.0.0.2:80");
    let fields = SkbFields {
        mark: 5,
        ..SkbFields::default()
    };
    let run = testing::run_tc(&inst, "rewrite", syn.packet(), &fields).unwrap();
    run.assert_tc(TcAction::Ok)
        .assert_no_redirect()
        .assert_checksums_valid();
    let frame = run.frame();
    assert_eq!(frame.ip_src(), Some("10.0.0.99".parse::<IpAddr>().unwrap()));
    assert_eq!(frame.ip_dst(), Some("10.0.0.2".parse::<IpAddr>().unwrap()));
    assert_eq!(
        (frame.src_port(), frame.dst_port()),
        (Some(12345), Some(8080))
    );
    assert_eq!(&run.data()[38..42], &[1, 2, 3, 4]);
    assert_eq!(run.skb_fields.map(|f| f.mark), Some(5));
}

#[test]
fn run_xdp_records_a_redirect_to_an_ifindex() {
    // tests/bpf/packet_room.c `redirect_ifindex`: bytes 0..4 are the ifindex, 4..8 the flags.
    let (_, inst) = instance("packet_room.o", quiet());
    let mut bytes = vec![0u8; 64];
    bytes[..4].copy_from_slice(&12u32.to_le_bytes());
    let run = testing::run_xdp(&inst, "redirect_ifindex", Packet::new(&bytes)).unwrap();
    run.assert_xdp(XdpAction::Redirect)
        .assert_redirect_ifindex(12)
        .assert_unchanged(&bytes);
    // Any flag makes bpf_redirect from XDP return XDP_ABORTED, with no target.
    bytes[4] = 1;
    testing::run_xdp(&inst, "redirect_ifindex", Packet::new(&bytes))
        .unwrap()
        .assert_xdp(XdpAction::Aborted)
        .assert_no_redirect();
}

#[test]
fn run_xdp_returns_the_grown_packet() {
    // `encap_ipip`: adjust_head(-20), the Ethernet header moved to the front, then an outer
    // IPv4 header with version, ihl, ttl 64 and protocol 4 and every other byte zero.
    let (_, inst) = instance("packet_room.o", quiet());
    let inner = PacketBuilder::udp("10.0.0.1:7", "10.0.0.2:9").build();
    let run = testing::run_xdp(&inst, "encap_ipip", Packet::new(&inner)).unwrap();
    run.assert_xdp(XdpAction::Tx);
    assert_eq!(run.data().len(), inner.len() + 20);
    assert_eq!(run.packet.headroom(), 256 - 20);
    let frame = run.frame();
    assert_eq!((frame.ttl(), frame.ip_protocol()), (Some(64), Some(4)));
    assert_eq!(frame.ip_src(), Some("0.0.0.0".parse::<IpAddr>().unwrap()));
    // The program wrote no outer checksum: the parser says so.
    assert_eq!(frame.ipv4_checksum_valid(), Some(false));
    // The inner packet follows, untouched.
    assert_eq!(&run.data()[34..], &inner[14..]);
}
