//! Synthesised frames: Ethernet with IPv4, IPv6 or ARP, carrying TCP, UDP, ICMP or ICMPv6,
//! laid out byte for byte as on the wire.

const ETH_P_IP: u16 = 0x0800;
const ETH_P_ARP: u16 = 0x0806;
const ETH_P_IPV6: u16 = 0x86dd;
const ETH_P_LLDP: u16 = 0x88cc;

pub const IPPROTO_ICMP: u8 = 1;
pub const IPPROTO_TCP: u8 = 6;
pub const IPPROTO_UDP: u8 = 17;
pub const IPPROTO_GRE: u8 = 47;
pub const IPPROTO_ICMPV6: u8 = 58;

fn ethernet(ethertype: u16) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02];
    f.extend_from_slice(&ethertype.to_be_bytes());
    f
}

/// A transport header (TCP 20 bytes, UDP 8, ICMP/ICMPv6 8, anything else empty) and
/// `payload` bytes.
fn transport(proto: u8, payload: usize) -> Vec<u8> {
    let mut t = match proto {
        IPPROTO_TCP => {
            let mut h = vec![0u8; 20];
            h[0..2].copy_from_slice(&40000u16.to_be_bytes());
            h[2..4].copy_from_slice(&443u16.to_be_bytes());
            h[12] = 5 << 4; // data offset: 5 words
            h
        }
        IPPROTO_UDP => {
            let mut h = vec![0u8; 8];
            h[0..2].copy_from_slice(&5353u16.to_be_bytes());
            h[2..4].copy_from_slice(&53u16.to_be_bytes());
            h[4..6].copy_from_slice(&((8 + payload) as u16).to_be_bytes());
            h
        }
        IPPROTO_ICMP | IPPROTO_ICMPV6 => vec![8, 0, 0, 0, 0, 1, 0, 1],
        _ => Vec::new(),
    };
    t.extend((0..payload).map(|i| i as u8));
    t
}

/// Ethernet + IPv4 (20-byte header) + transport + payload.
pub fn ipv4(proto: u8, payload: usize) -> Vec<u8> {
    let l4 = transport(proto, payload);
    let mut f = ethernet(ETH_P_IP);
    let total = (20 + l4.len()) as u16;
    f.extend_from_slice(&[0x45, 0]);
    f.extend_from_slice(&total.to_be_bytes());
    f.extend_from_slice(&[0, 1, 0x40, 0, 64, proto, 0, 0]);
    f.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
    f.extend(l4);
    f
}

/// Ethernet + IPv6 (40-byte header) + transport + payload.
pub fn ipv6(next_header: u8, payload: usize) -> Vec<u8> {
    let l4 = transport(next_header, payload);
    let mut f = ethernet(ETH_P_IPV6);
    f.extend_from_slice(&[0x60, 0, 0, 0]);
    f.extend_from_slice(&(l4.len() as u16).to_be_bytes());
    f.extend_from_slice(&[next_header, 64]);
    f.extend_from_slice(&[0xfd; 16]);
    f.extend_from_slice(&[0xfe; 16]);
    f.extend(l4);
    f
}

/// An ARP request (28 bytes after Ethernet).
pub fn arp() -> Vec<u8> {
    let mut f = ethernet(ETH_P_ARP);
    f.extend_from_slice(&[0, 1, 8, 0, 6, 4, 0, 1]);
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x02, 10, 0, 0, 2]);
    f.extend_from_slice(&[0, 0, 0, 0, 0, 0, 10, 0, 0, 1]);
    f
}

/// An LLDP frame: an EtherType the counter does not know.
pub fn lldp() -> Vec<u8> {
    let mut f = ethernet(ETH_P_LLDP);
    f.extend_from_slice(&[0x02, 0x07, 0x04, 0, 0, 0, 0, 0, 1, 0, 0]);
    f
}

/// A frame too short to hold an Ethernet header.
pub fn runt(len: usize) -> Vec<u8> {
    vec![0xaa; len]
}

/// A small capture: a mix of every kind, always the same frames in the same order.
pub fn capture() -> Vec<Vec<u8>> {
    let mut c = Vec::new();
    for payload in [0, 100, 512, 1400, 60] {
        c.push(ipv4(IPPROTO_TCP, payload));
    }
    for payload in [32, 200, 0] {
        c.push(ipv4(IPPROTO_UDP, payload));
    }
    for payload in [56, 56] {
        c.push(ipv4(IPPROTO_ICMP, payload));
    }
    c.push(ipv4(IPPROTO_GRE, 24));
    for payload in [0, 1000, 20, 300] {
        c.push(ipv6(IPPROTO_TCP, payload));
    }
    for payload in [48, 16] {
        c.push(ipv6(IPPROTO_UDP, payload));
    }
    c.push(ipv6(IPPROTO_ICMPV6, 32));
    c.push(arp());
    c.push(arp());
    c.push(lldp());
    c.push(runt(6));
    c.push(runt(13));
    c
}
