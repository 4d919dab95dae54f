//! A kernel-style XDP firewall and forwarder, translated to native code by bpf2c and linked
//! into this crate, so `cargo test` checks what the kernel would do with each packet.
//!
//! `bpf/firewall.c` is written as for the kernel, against `<linux/bpf.h>` and libbpf's
//! `<bpf/bpf_helpers.h>`/`<bpf/bpf_endian.h>`. It drops IPv4 and IPv6 sources in the
//! LPM_TRIE blocklists (and malformed IP headers), reporting each drop to the RINGBUF
//! `drops`; forwards TCP and UDP to the ports of `forward_ports` through the DEVMAP
//! `tx_ports` after decrementing the TTL (IPv4 checksum updated with `bpf_csum_diff`); and
//! counts packets and bytes per verdict in the PERCPU_ARRAY `action_stats`.
//!
//! This crate adds what a control plane would: filling the maps ([`block`], [`forward`]),
//! reading the counters ([`stats`]) and decoding events ([`DropEvent`]). `tests/` runs the
//! program through [`bpf2c_runtime::testing`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bpf2c_runtime::typed::bytes_of;
use bpf2c_runtime::{MapError, UpdateFlags};

bpf2c_runtime::include_bindings!("firewall");

pub use firewall::types::{Datarec, LpmV4Key, LpmV6Key};
pub use firewall::Firewall;

/// `enum drop_reason` of `bpf/firewall.c`.
pub const REASON_BLOCKLIST: u8 = 1;
pub const REASON_MALFORMED: u8 = 2;

/// Adds the prefix `addr`/`prefix_len` to the blocklist of its IP version.
pub fn block(fw: &Firewall, addr: IpAddr, prefix_len: u32) -> Result<(), MapError> {
    // The value is unused by the program; 1 marks the entry as the host's.
    let mark = 1u32.to_ne_bytes();
    match addr {
        IpAddr::V4(a) => {
            let key = LpmV4Key {
                prefixlen: prefix_len,
                addr: a.octets(),
            };
            fw.blocklist_v4()
                .update(bytes_of(&key), &mark, UpdateFlags::Any)
        }
        IpAddr::V6(a) => {
            let key = LpmV6Key {
                prefixlen: prefix_len,
                addr: a.octets(),
            };
            fw.blocklist_v6()
                .update(bytes_of(&key), &mark, UpdateFlags::Any)
        }
    }
}

/// Forwards TCP and UDP to destination port `port` through slot `slot` of `tx_ports`,
/// which sends to the device `ifindex`.
pub fn forward(fw: &Firewall, port: u16, slot: u32, ifindex: u32) -> Result<(), MapError> {
    fw.forward_ports().insert(&port, &slot)?;
    fw.tx_ports().update(
        &slot.to_ne_bytes(),
        &ifindex.to_ne_bytes(),
        UpdateFlags::Any,
    )
}

/// (packets, bytes) counted under an XDP action, summed over every CPU slot.
pub fn stats(fw: &Firewall, action: u32) -> Result<(u64, u64), MapError> {
    let per_cpu = fw.action_stats().get(action)?;
    Ok(per_cpu
        .iter()
        .fold((0, 0), |(p, b), r| (p + r.packets, b + r.bytes)))
}

/// `struct drop_event` of `bpf/firewall.c`, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DropEvent {
    pub reason: u8,
    /// IPPROTO_* of the dropped packet, 0 when its header was malformed.
    pub protocol: u8,
    pub sport: u16,
    pub dport: u16,
    /// The source address; None when the header was malformed.
    pub source: Option<IpAddr>,
}

impl DropEvent {
    /// Size of the C struct.
    pub const SIZE: usize = 24;

    /// Decodes one ring buffer record; None when it is not a `struct drop_event`.
    pub fn parse(record: &[u8]) -> Option<DropEvent> {
        if record.len() != Self::SIZE {
            return None;
        }
        let (family, reason, protocol) = (record[0], record[1], record[2]);
        let u16_at = |i: usize| u16::from_ne_bytes([record[i], record[i + 1]]);
        let saddr = &record[8..24];
        let source = match (family, reason) {
            (_, REASON_MALFORMED) => None,
            (4, _) => Some(IpAddr::V4(Ipv4Addr::new(
                saddr[0], saddr[1], saddr[2], saddr[3],
            ))),
            (6, _) => Some(IpAddr::V6(Ipv6Addr::from(
                <[u8; 16]>::try_from(saddr).ok()?,
            ))),
            _ => return None,
        };
        Some(DropEvent {
            reason,
            protocol,
            sport: u16_at(4),
            dport: u16_at(6),
            source,
        })
    }
}
