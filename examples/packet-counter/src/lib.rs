//! An XDP packet counter, translated to native code by bpf2c and linked into this crate.
//!
//! `bpf/counter.c` classifies each frame by network and transport protocol and counts
//! packets and bytes per class in the ARRAY map `proto_stats`; frames shorter than an
//! Ethernet header are dropped and counted in the global `runts`. This crate feeds it a
//! synthesised capture ([`packets`]) and reads the counters back through the generated,
//! typed bindings.

pub mod packets;

bpf2c_runtime::include_bindings!("counter");

pub use counter::types::Counter as SlotCounter;
pub use counter::Counter;

/// The counter slots, in the order of `enum slot` in `bpf/counter.c`.
pub const SLOTS: [&str; 9] = [
    "IPv4", "IPv6", "ARP", "other L3", "TCP", "UDP", "ICMP", "ICMPv6", "other L4",
];

/// The XDP actions the program returns.
pub const XDP_DROP: u64 = 1;
pub const XDP_PASS: u64 = 2;

/// What one pass over a capture produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// (slot name, packets, bytes), in slot order.
    pub slots: Vec<(&'static str, u64, u64)>,
    pub runts: u64,
    pub passed: u64,
    pub dropped: u64,
}

/// Runs the counter over every frame of `capture` and reads the counters back.
pub fn count(counter: &Counter, capture: &[Vec<u8>]) -> Result<Report, Box<dyn std::error::Error>> {
    let program = counter.count_packets();
    let (mut passed, mut dropped) = (0, 0);
    for frame in capture {
        // The program may rewrite the frame in place, so each run gets its own copy.
        let mut frame = frame.clone();
        match program.run(&mut frame)? {
            XDP_PASS => passed += 1,
            XDP_DROP => dropped += 1,
            other => return Err(format!("unexpected XDP action {other}").into()),
        }
    }
    let stats = counter.proto_stats();
    let slots = SLOTS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let c = stats.get(i as u32)?;
            Ok((*name, c.packets, c.bytes))
        })
        .collect::<Result<_, bpf2c_runtime::MapError>>()?;
    Ok(Report {
        slots,
        runts: counter.globals().bss().runts(),
        passed,
        dropped,
    })
}

/// The report as a table.
pub fn table(report: &Report) -> String {
    let mut out = format!("{:<10} {:>8} {:>10}\n", "protocol", "packets", "bytes");
    for (name, packets, bytes) in &report.slots {
        out.push_str(&format!("{name:<10} {packets:>8} {bytes:>10}\n"));
    }
    out.push_str(&format!(
        "{} passed, {} dropped ({} runts)\n",
        report.passed, report.dropped, report.runts
    ));
    out
}
