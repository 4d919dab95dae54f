//! The helpers that compute or consult the host's world, called by eBPF programs built from
//! our own C (tests/bpf/host_helpers.c) and run through the whole pipeline. Expected values
//! are worked out by hand in the comments.

use std::net::{IpAddr, Ipv4Addr};

use bpf2c_runtime::{Fib, Interface, Options, Route, TraceSink};
use bpf2c_tests::pipeline::{instance, read_global};
use bpf2c_tests::{u32_at, u64_at};

const XDP_PASS: u64 = 2;
const XDP_TX: u64 = 3;

/// Ethernet 66:77:88:99:aa:bb -> 00:11:22:33:44:55, then the IPv4 header
/// 45 00 00 73 00 00 40 00 40 11 [b8 61] c0 a8 00 01 c0 a8 00 c7: 192.168.0.1 ->
/// 192.168.0.199, TTL 64, UDP; its words sum to 2479c, folded 479e, so its checksum is
/// b861.
fn packet() -> Vec<u8> {
    hex::decode(
        "00112233445566778899aabb0800\
         450000730000400040 11b861c0a80001c0a800c7"
            .replace(' ', ""),
    )
    .unwrap()
}

fn quiet() -> Options {
    Options::default().trace_sink(TraceSink::Discard)
}

fn v4(a: [u8; 4]) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(a))
}

#[test]
fn csum_diff_sums_a_header_and_updates_it_by_difference() {
    let (built, inst) = instance("host_helpers.o", quiet());
    let last_diff = || u64_at(&read_global(&inst, &built.obj, "last_diff"), 0);

    // A corrupt checksum is recomputed: the folded sum 479e (bytes 47 9e, which a
    // little-endian register reads as 0x9e47), checksum b8 61.
    let mut p = packet();
    p[24..26].copy_from_slice(&[0xde, 0xad]);
    let prog = inst.program("ip_checksum").unwrap();
    assert_eq!(inst.run_xdp(&prog, &mut p).unwrap(), XDP_TX);
    assert_eq!(p, packet());
    assert_eq!(last_diff(), u16::from_ne_bytes([0x47, 0x9e]) as u64);

    // NAT of the destination c0a800c7 -> c0a80001: the sum falls by c6 to 46d8, which
    // bpf_csum_diff(old, new, ~check) returns folded; the checksum becomes b9 27.
    let mut p = packet();
    let prog = inst.program("nat_destination").unwrap();
    assert_eq!(inst.run_xdp(&prog, &mut p).unwrap(), XDP_TX);
    assert_eq!(last_diff(), u16::from_ne_bytes([0x46, 0xd8]) as u64);
    assert_eq!(p[24..26], [0xb9, 0x27]);
    assert_eq!(p[30..34], [0xc0, 0xa8, 0x00, 0x01]);
    // Recomputed from scratch, the new header agrees.
    let prog = inst.program("ip_checksum").unwrap();
    let mut again = p.clone();
    assert_eq!(inst.run_xdp(&prog, &mut again).unwrap(), XDP_TX);
    assert_eq!(again, p);

    // Not IPv4: passed untouched.
    let mut arp = packet();
    arp[13] = 0x06;
    assert_eq!(inst.run_xdp(&prog, &mut arp.clone()).unwrap(), XDP_PASS);
}

#[test]
fn fib_lookup_without_a_table_forwards_nothing() {
    let (built, inst) = instance("host_helpers.o", quiet());
    let prog = inst.program("fib_forward").unwrap();
    let mut p = packet();
    assert_eq!(inst.run_xdp(&prog, &mut p).unwrap(), XDP_PASS);
    assert_eq!(p, packet());
    let g = |v: &str| read_global(&inst, &built.obj, v);
    // BPF_FIB_LKUP_RET_NOT_FWDED, and nothing written: ifindex stays the ingress one (0),
    // mtu_result still holds tot_len (0x73 = 115).
    assert_eq!(u64_at(&g("fib_rc"), 0), 4);
    assert_eq!(u32_at(&g("fib_ifindex"), 0), 0);
    assert_eq!(u32_at(&g("fib_mtu"), 0) & 0xffff, 115);
}

#[test]
fn fib_lookup_forwards_through_the_hosts_table() {
    let out_mac = [2, 0, 0, 0, 0, 2];
    let gw_mac = [2, 0, 0, 0, 0, 0xc7];
    let fib = Fib::new()
        .interface(Interface::new(2, out_mac).mtu(1500))
        .route(Route::direct(v4([192, 168, 0, 0]), 24, 2))
        .route(Route::direct(v4([192, 168, 0, 192]), 28, 2).mtu(100))
        .neighbor(2, v4([192, 168, 0, 199]), gw_mac);

    // 192.168.0.199 matches the /28 with MTU 100 first: 115 bytes need fragmenting.
    let (built, inst) = instance("host_helpers.o", quiet().fib(fib.clone()));
    let g = |v: &str| read_global(&inst, &built.obj, v);
    let prog = inst.program("fib_forward").unwrap();
    let mut p = packet();
    assert_eq!(inst.run_xdp(&prog, &mut p).unwrap(), XDP_PASS);
    assert_eq!(u64_at(&g("fib_rc"), 0), 8, "BPF_FIB_LKUP_RET_FRAG_NEEDED");
    assert_eq!(u32_at(&g("fib_mtu"), 0) & 0xffff, 100);

    // Without the /28: forwarded on ifindex 2 to the neighbour's MAC, from the interface's,
    // with TTL 63 and the checksum up by 0100: b9 61.
    let fib = Fib {
        routes: fib.routes[..1].to_vec(),
        ..fib
    };
    let (built, inst) = instance("host_helpers.o", quiet().fib(fib));
    let g = |v: &str| read_global(&inst, &built.obj, v);
    let prog = inst.program("fib_forward").unwrap();
    let mut p = packet();
    assert_eq!(inst.run_xdp(&prog, &mut p).unwrap(), XDP_TX);
    assert_eq!(u64_at(&g("fib_rc"), 0), 0);
    assert_eq!(u32_at(&g("fib_ifindex"), 0), 2);
    assert_eq!(u32_at(&g("fib_mtu"), 0) & 0xffff, 1500);
    assert_eq!(p[0..6], gw_mac);
    assert_eq!(p[6..12], out_mac);
    assert_eq!(p[22], 63);
    assert_eq!(p[24..26], [0xb9, 0x61]);
    assert_eq!(p[12..22], packet()[12..22]);
    assert_eq!(p[26..], packet()[26..]);
}
