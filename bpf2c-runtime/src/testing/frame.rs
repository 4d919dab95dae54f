//! Reading a frame after a run: the headers a packet program rewrites, and whether their
//! checksums still hold.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::builder::{checksum_offset, proto};
use super::checksum::{ones_complement_sum, with_pseudo_header};

/// A parsed view of an Ethernet frame: an optional 802.1Q/802.1ad tag, then IPv4 or IPv6,
/// then the transport. Accessors return None for what the frame does not hold (or holds
/// cut short).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    bytes: &'a [u8],
    /// Offset of the EtherType after any VLAN tag.
    ethertype_at: usize,
    /// Offset and header length of a complete IP header.
    ip: Option<(usize, usize)>,
}

impl<'a> Frame<'a> {
    pub fn new(bytes: &'a [u8]) -> Frame<'a> {
        let mut ethertype_at = 12;
        if matches!(be16(bytes, 12), Some(0x8100 | 0x88a8)) {
            ethertype_at = 16;
        }
        let l3 = ethertype_at + 2;
        let ip = match be16(bytes, ethertype_at) {
            Some(proto::ETH_P_IP) => bytes
                .get(l3)
                .map(|b| usize::from(b & 0x0f) * 4)
                .filter(|&ihl| ihl >= 20 && bytes.len() >= l3 + ihl)
                .map(|ihl| (l3, ihl)),
            Some(proto::ETH_P_IPV6) => (bytes.len() >= l3 + 40).then_some((l3, 40)),
            _ => None,
        };
        Frame {
            bytes,
            ethertype_at,
            ip,
        }
    }

    /// The whole frame.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    pub fn eth_dst(&self) -> Option<[u8; 6]> {
        self.bytes.get(0..6)?.try_into().ok()
    }

    pub fn eth_src(&self) -> Option<[u8; 6]> {
        self.bytes.get(6..12)?.try_into().ok()
    }

    /// The VLAN id of the outer tag, when there is one.
    pub fn vlan_id(&self) -> Option<u16> {
        (self.ethertype_at == 16).then(|| be16(self.bytes, 14).map(|tci| tci & 0x0fff))?
    }

    /// The EtherType after any VLAN tag.
    pub fn ethertype(&self) -> Option<u16> {
        be16(self.bytes, self.ethertype_at)
    }

    fn is_ipv4(&self) -> bool {
        self.ethertype() == Some(proto::ETH_P_IP)
    }

    /// The IP header, when complete.
    fn ip_header(&self) -> Option<&'a [u8]> {
        let (at, len) = self.ip?;
        Some(&self.bytes[at..at + len])
    }

    pub fn ip_src(&self) -> Option<IpAddr> {
        let ip = self.ip_header()?;
        Some(if self.is_ipv4() {
            IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(&ip[12..16]).ok()?))
        } else {
            IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(&ip[8..24]).ok()?))
        })
    }

    pub fn ip_dst(&self) -> Option<IpAddr> {
        let ip = self.ip_header()?;
        Some(if self.is_ipv4() {
            IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(&ip[16..20]).ok()?))
        } else {
            IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(&ip[24..40]).ok()?))
        })
    }

    /// The IPv4 TTL or the IPv6 hop limit.
    pub fn ttl(&self) -> Option<u8> {
        let ip = self.ip_header()?;
        Some(if self.is_ipv4() { ip[8] } else { ip[7] })
    }

    /// The IPv4 protocol or the IPv6 next header.
    pub fn ip_protocol(&self) -> Option<u8> {
        let ip = self.ip_header()?;
        Some(if self.is_ipv4() { ip[9] } else { ip[6] })
    }

    /// The IPv4 header checksum as stored.
    pub fn ipv4_checksum(&self) -> Option<u16> {
        self.is_ipv4().then(|| be16(self.ip_header()?, 10))?
    }

    /// The transport header and payload: up to the IPv4 total length or the IPv6 payload
    /// length (Ethernet padding excluded), or None when the frame ends before that.
    pub fn l4(&self) -> Option<&'a [u8]> {
        let (at, len) = self.ip?;
        let end = if self.is_ipv4() {
            at + usize::from(be16(self.bytes, at + 2)?)
        } else {
            at + 40 + usize::from(be16(self.bytes, at + 4)?)
        };
        self.bytes.get(at + len..end)
    }

    fn ports(&self) -> Option<(u16, u16)> {
        match self.ip_protocol()? {
            proto::IPPROTO_TCP | proto::IPPROTO_UDP => {
                let l4 = self.l4()?;
                Some((be16(l4, 0)?, be16(l4, 2)?))
            }
            _ => None,
        }
    }

    /// The TCP or UDP source port.
    pub fn src_port(&self) -> Option<u16> {
        self.ports().map(|p| p.0)
    }

    /// The TCP or UDP destination port.
    pub fn dst_port(&self) -> Option<u16> {
        self.ports().map(|p| p.1)
    }

    /// The bytes after the TCP, UDP or ICMP header.
    pub fn payload(&self) -> Option<&'a [u8]> {
        let l4 = self.l4()?;
        let header = match self.ip_protocol()? {
            proto::IPPROTO_TCP => usize::from(l4.get(12)? >> 4) * 4,
            proto::IPPROTO_UDP | proto::IPPROTO_ICMP | proto::IPPROTO_ICMPV6 => 8,
            _ => return None,
        };
        l4.get(header..)
    }

    /// Whether the IPv4 header checksum holds (None for IPv6, which has none, or when
    /// there is no complete IPv4 header).
    pub fn ipv4_checksum_valid(&self) -> Option<bool> {
        if !self.is_ipv4() {
            return None;
        }
        Some(ones_complement_sum(self.ip_header()?) == 0xffff)
    }

    /// Whether the TCP, UDP, ICMP or ICMPv6 checksum holds (a UDP checksum of zero over
    /// IPv4 means "none" and holds). None for other transports or a cut segment.
    pub fn l4_checksum_valid(&self) -> Option<bool> {
        let protocol = self.ip_protocol()?;
        let offset = checksum_offset(protocol)?;
        let l4 = self.l4()?;
        let stored = be16(l4, offset)?;
        if protocol == proto::IPPROTO_UDP && stored == 0 && self.is_ipv4() {
            return Some(true);
        }
        let covered = if protocol == proto::IPPROTO_ICMP {
            l4.to_vec()
        } else {
            with_pseudo_header(self.ip_src()?, self.ip_dst()?, protocol, l4)
        };
        Some(ones_complement_sum(&covered) == 0xffff)
    }

    /// Every checksum the frame carries holds: the IPv4 header's and the transport's, when
    /// present.
    pub fn checksums_valid(&self) -> bool {
        self.ipv4_checksum_valid() != Some(false) && self.l4_checksum_valid() != Some(false)
    }
}

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}
