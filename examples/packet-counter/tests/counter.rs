//! The packet counter end to end: the committed object, verified, translated, compiled and
//! linked by build.rs, run over the synthesised capture.

use example_packet_counter::{count, packets, table, Counter, SlotCounter, XDP_DROP, XDP_PASS};

/// Frame sizes: Ethernet 14, IPv4 20, IPv6 40, TCP 20, UDP 8, ICMP 8, ARP 28, plus payload.
/// IPv4/TCP payloads 0, 100, 512, 1400, 60 -> 54 + 154 + 566 + 1454 + 114 = 2342 bytes;
/// IPv4/UDP 32, 200, 0 -> 74 + 242 + 42 = 358; IPv4/ICMP 2 x 98 = 196; IPv4/GRE 58;
/// IPv6/TCP 0, 1000, 20, 300 -> 74 + 1074 + 94 + 374 = 1616; IPv6/UDP 48, 16 -> 110 + 78 =
/// 188; IPv6/ICMPv6 94; ARP 2 x 42; LLDP 25.
const EXPECTED: [(&str, u64, u64); 9] = [
    ("IPv4", 11, 2342 + 358 + 196 + 58),
    ("IPv6", 7, 1616 + 188 + 94),
    ("ARP", 2, 84),
    ("other L3", 1, 25),
    ("TCP", 9, 2342 + 1616),
    ("UDP", 5, 358 + 188),
    ("ICMP", 2, 196),
    ("ICMPv6", 1, 94),
    ("other L4", 1, 58),
];

#[test]
fn counts_every_protocol_of_the_capture() {
    let counter = Counter::load().unwrap();
    let report = count(&counter, &packets::capture()).unwrap();
    assert_eq!(report.slots, EXPECTED.to_vec());
    assert_eq!((report.passed, report.dropped, report.runts), (21, 2, 2));
    let text = table(&report);
    assert!(text.contains("IPv4             11       2954\n"), "{text}");
    assert!(text.ends_with("21 passed, 2 dropped (2 runts)\n"), "{text}");
}

#[test]
fn verdicts_follow_the_frame() {
    let counter = Counter::load().unwrap();
    let prog = counter.count_packets();
    assert_eq!(prog.run(&mut packets::runt(13)).unwrap(), XDP_DROP);
    assert_eq!(prog.run(&mut packets::ipv4(6, 0)).unwrap(), XDP_PASS);
    // An IPv4 EtherType with a truncated header counts as IPv4 but not as any transport.
    let mut cut = packets::ipv4(6, 0);
    cut.truncate(20);
    assert_eq!(prog.run(&mut cut).unwrap(), XDP_PASS);
    let stats = counter.proto_stats();
    assert_eq!(
        stats.get(0).unwrap(),
        SlotCounter {
            packets: 2,
            bytes: 54 + 20
        }
    );
    assert_eq!(stats.get(4).unwrap().packets, 1);
    assert_eq!(counter.globals().bss().runts(), 1);
    // Past the end of the array: the runtime's error, as Linux reports it.
    assert!(stats.get(9).is_err());
}

#[test]
fn instances_are_independent_and_threads_share_one() {
    let a = Counter::load().unwrap();
    let b = Counter::load().unwrap();
    let capture = packets::capture();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| count(&a, &capture).unwrap());
        }
    });
    let report = count(&b, &capture).unwrap();
    assert_eq!(report.slots, EXPECTED.to_vec());
    // Four threads ran the capture on `a`: the program's atomic adds lost nothing.
    let stats = a.proto_stats();
    for (i, (_, packets, bytes)) in EXPECTED.iter().enumerate() {
        let c = stats.get(i as u32).unwrap();
        assert_eq!((c.packets, c.bytes), (4 * packets, 4 * bytes));
    }
    assert_eq!(a.globals().bss().runts(), 8);
    // The host can reset a global between runs.
    a.globals().bss().set_runts(0);
    assert_eq!(a.globals().bss().runts(), 0);
}

#[test]
fn the_module_says_it_was_verified_and_optimized() {
    let image = Counter::image().unwrap();
    assert!(image.is_verified());
    assert!(image.is_optimized());
    assert_eq!(image.name(), "counter");
    let maps: Vec<&str> = image.maps().iter().map(|m| m.name.as_str()).collect();
    assert_eq!(maps, [".bss", "proto_stats"]);
}

#[test]
fn the_binary_prints_the_table() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_example-packet-counter"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("protocol    packets      bytes\n"),
        "{text}"
    );
    assert!(text.contains("ICMPv6            1         94\n"), "{text}");
}
