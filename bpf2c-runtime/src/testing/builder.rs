//! Frames to feed a packet program: Ethernet, an optional VLAN tag, IPv4 or IPv6, and TCP,
//! UDP or ICMP (ICMPv6 over IPv6) with a payload, every length and checksum filled in.

use std::net::IpAddr;

use super::checksum::{internet_checksum, with_pseudo_header};
use crate::packet::Packet;

/// EtherTypes and IP protocol numbers the builder writes.
pub mod proto {
    pub const ETH_P_IP: u16 = 0x0800;
    pub const ETH_P_IPV6: u16 = 0x86dd;
    pub const ETH_P_8021Q: u16 = 0x8100;
    pub const IPPROTO_ICMP: u8 = 1;
    pub const IPPROTO_TCP: u8 = 6;
    pub const IPPROTO_UDP: u8 = 17;
    pub const IPPROTO_ICMPV6: u8 = 58;
}

/// TCP flag bits (the header's 13th byte).
pub mod tcp_flags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Transport {
    Tcp {
        sport: u16,
        dport: u16,
        flags: u8,
    },
    Udp {
        sport: u16,
        dport: u16,
    },
    /// Echo request: ICMP type 8, or ICMPv6 type 128 over IPv6.
    Echo {
        id: u16,
        seq: u16,
    },
}

/// A frame under construction. Start from [`PacketBuilder::tcp`], [`PacketBuilder::udp`]
/// or [`PacketBuilder::icmp_echo`], adjust, then [`PacketBuilder::build`] the bytes or
/// [`PacketBuilder::packet`] a [`Packet`] with an XDP driver's room around them.
///
/// Defaults: MAC addresses 02:00:00:00:00:01 (source) and 02:00:00:00:00:02 (destination),
/// no VLAN tag, TTL/hop limit 64, IPv4 identification 0 with Don't Fragment set, TCP SYN
/// with sequence number 1 and a 65535-byte window, no payload.
///
/// ```
/// use bpf2c_runtime::testing::PacketBuilder;
/// let frame = PacketBuilder::udp("192.168.0.1:5000", "192.168.0.199:53")
///     .payload(b"hello")
///     .build();
/// assert_eq!(frame.len(), 14 + 20 + 8 + 5);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PacketBuilder {
    eth_src: [u8; 6],
    eth_dst: [u8; 6],
    vlan: Option<u16>,
    src: IpAddr,
    dst: IpAddr,
    ttl: u8,
    transport: Transport,
    payload: Vec<u8>,
}

/// Parses "addr:port" or "[v6addr]:port", panicking with the text when it is neither.
#[track_caller]
fn socket(text: &str) -> (IpAddr, u16) {
    match text.parse::<std::net::SocketAddr>() {
        Ok(addr) => (addr.ip(), addr.port()),
        Err(_) => panic!("PacketBuilder: {text:?} is not \"ip:port\" or \"[ipv6]:port\""),
    }
}

#[track_caller]
fn address(text: &str) -> IpAddr {
    match text.parse() {
        Ok(addr) => addr,
        Err(_) => panic!("PacketBuilder: {text:?} is not an IPv4 or IPv6 address"),
    }
}

impl PacketBuilder {
    /// # Panics
    /// When the two addresses are of different families.
    #[track_caller]
    fn new(src: IpAddr, dst: IpAddr, transport: Transport) -> PacketBuilder {
        assert_eq!(
            src.is_ipv4(),
            dst.is_ipv4(),
            "PacketBuilder: source {src} and destination {dst} are of different IP versions"
        );
        PacketBuilder {
            eth_src: [0x02, 0, 0, 0, 0, 0x01],
            eth_dst: [0x02, 0, 0, 0, 0, 0x02],
            vlan: None,
            src,
            dst,
            ttl: 64,
            transport,
            payload: Vec::new(),
        }
    }

    /// A TCP SYN from `src` to `dst`, each "ip:port" ("\[ipv6\]:port" for IPv6).
    ///
    /// # Panics
    /// When an address does not parse or the two are of different IP versions.
    #[track_caller]
    pub fn tcp(src: &str, dst: &str) -> PacketBuilder {
        let ((s, sport), (d, dport)) = (socket(src), socket(dst));
        let flags = tcp_flags::SYN;
        PacketBuilder::new(
            s,
            d,
            Transport::Tcp {
                sport,
                dport,
                flags,
            },
        )
    }

    /// A UDP datagram from `src` to `dst`, each "ip:port" ("\[ipv6\]:port" for IPv6).
    ///
    /// # Panics
    /// As [`PacketBuilder::tcp`].
    #[track_caller]
    pub fn udp(src: &str, dst: &str) -> PacketBuilder {
        let ((s, sport), (d, dport)) = (socket(src), socket(dst));
        PacketBuilder::new(s, d, Transport::Udp { sport, dport })
    }

    /// An echo request (ping) from `src` to `dst`: ICMP type 8 over IPv4, ICMPv6 type 128
    /// over IPv6, with identifier `id` and sequence number `seq`.
    ///
    /// # Panics
    /// As [`PacketBuilder::tcp`].
    #[track_caller]
    pub fn icmp_echo(src: &str, dst: &str, id: u16, seq: u16) -> PacketBuilder {
        PacketBuilder::new(address(src), address(dst), Transport::Echo { id, seq })
    }

    /// Source and destination MAC addresses.
    pub fn eth(mut self, src: [u8; 6], dst: [u8; 6]) -> PacketBuilder {
        self.eth_src = src;
        self.eth_dst = dst;
        self
    }

    /// An 802.1Q tag with VLAN id `vid` (priority 0) between the MAC addresses and the
    /// EtherType.
    pub fn vlan(mut self, vid: u16) -> PacketBuilder {
        self.vlan = Some(vid & 0x0fff);
        self
    }

    /// The IPv4 TTL or the IPv6 hop limit.
    pub fn ttl(mut self, ttl: u8) -> PacketBuilder {
        self.ttl = ttl;
        self
    }

    /// The TCP flags (see [`tcp_flags`]); no effect on other transports.
    pub fn tcp_flags(mut self, flags: u8) -> PacketBuilder {
        if let Transport::Tcp { flags: f, .. } = &mut self.transport {
            *f = flags;
        }
        self
    }

    /// The bytes after the transport header.
    pub fn payload(mut self, payload: &[u8]) -> PacketBuilder {
        self.payload = payload.to_vec();
        self
    }

    /// The IP protocol number of the transport.
    fn protocol(&self) -> u8 {
        match (&self.transport, self.src) {
            (Transport::Tcp { .. }, _) => proto::IPPROTO_TCP,
            (Transport::Udp { .. }, _) => proto::IPPROTO_UDP,
            (Transport::Echo { .. }, IpAddr::V4(_)) => proto::IPPROTO_ICMP,
            (Transport::Echo { .. }, IpAddr::V6(_)) => proto::IPPROTO_ICMPV6,
        }
    }

    /// The transport header and payload, checksum included.
    fn segment(&self) -> Vec<u8> {
        let mut seg = match self.transport {
            Transport::Tcp {
                sport,
                dport,
                flags,
            } => {
                let mut h = Vec::with_capacity(20);
                h.extend_from_slice(&sport.to_be_bytes());
                h.extend_from_slice(&dport.to_be_bytes());
                h.extend_from_slice(&1u32.to_be_bytes()); // sequence number
                h.extend_from_slice(&0u32.to_be_bytes()); // acknowledgment number
                h.extend_from_slice(&[5 << 4, flags]); // data offset 5 words
                h.extend_from_slice(&65535u16.to_be_bytes()); // window
                h.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
                h
            }
            Transport::Udp { sport, dport } => {
                let len = (8 + self.payload.len()) as u16;
                let mut h = Vec::with_capacity(8);
                h.extend_from_slice(&sport.to_be_bytes());
                h.extend_from_slice(&dport.to_be_bytes());
                h.extend_from_slice(&len.to_be_bytes());
                h.extend_from_slice(&[0, 0]);
                h
            }
            Transport::Echo { id, seq } => {
                let kind = if self.src.is_ipv4() { 8 } else { 128 };
                let mut h = vec![kind, 0, 0, 0];
                h.extend_from_slice(&id.to_be_bytes());
                h.extend_from_slice(&seq.to_be_bytes());
                h
            }
        };
        seg.extend_from_slice(&self.payload);
        let offset = checksum_offset(self.protocol()).expect("every transport has a checksum");
        let protocol = self.protocol();
        let sum = if protocol == proto::IPPROTO_ICMP {
            // ICMP over IPv4 has no pseudo-header.
            internet_checksum(&seg)
        } else {
            let sum = internet_checksum(&with_pseudo_header(self.src, self.dst, protocol, &seg));
            // UDP writes a computed zero as all ones: zero means "no checksum".
            if protocol == proto::IPPROTO_UDP && sum == 0 {
                0xffff
            } else {
                sum
            }
        };
        seg[offset..offset + 2].copy_from_slice(&sum.to_be_bytes());
        seg
    }

    /// The frame's bytes.
    pub fn build(&self) -> Vec<u8> {
        let segment = self.segment();
        let mut frame = Vec::with_capacity(18 + 40 + segment.len());
        frame.extend_from_slice(&self.eth_dst);
        frame.extend_from_slice(&self.eth_src);
        if let Some(vid) = self.vlan {
            frame.extend_from_slice(&proto::ETH_P_8021Q.to_be_bytes());
            frame.extend_from_slice(&vid.to_be_bytes());
        }
        match (self.src, self.dst) {
            (IpAddr::V4(src), IpAddr::V4(dst)) => {
                frame.extend_from_slice(&proto::ETH_P_IP.to_be_bytes());
                let total = (20 + segment.len()) as u16;
                let mut ip = [0u8; 20];
                ip[0] = 0x45; // version 4, 5 words
                ip[2..4].copy_from_slice(&total.to_be_bytes());
                ip[6] = 0x40; // Don't Fragment
                ip[8] = self.ttl;
                ip[9] = self.protocol();
                ip[12..16].copy_from_slice(&src.octets());
                ip[16..20].copy_from_slice(&dst.octets());
                let sum = internet_checksum(&ip);
                ip[10..12].copy_from_slice(&sum.to_be_bytes());
                frame.extend_from_slice(&ip);
            }
            (src, dst) => {
                frame.extend_from_slice(&proto::ETH_P_IPV6.to_be_bytes());
                let (IpAddr::V6(src), IpAddr::V6(dst)) = (src, dst) else {
                    unreachable!("PacketBuilder::new checked the families match")
                };
                frame.extend_from_slice(&[0x60, 0, 0, 0]); // version 6, no class or flow
                frame.extend_from_slice(&(segment.len() as u16).to_be_bytes());
                frame.extend_from_slice(&[self.protocol(), self.ttl]);
                frame.extend_from_slice(&src.octets());
                frame.extend_from_slice(&dst.octets());
            }
        }
        frame.extend_from_slice(&segment);
        frame
    }

    /// The frame in a [`Packet`] with the headroom and tailroom of a page-based XDP driver
    /// ([`Packet::new`]).
    pub fn packet(&self) -> Packet {
        Packet::new(&self.build())
    }
}

/// Where the checksum lies in a transport header of `protocol`, when the builder and
/// [`super::Frame`] know it.
pub(crate) fn checksum_offset(protocol: u8) -> Option<usize> {
    match protocol {
        proto::IPPROTO_TCP => Some(16),
        proto::IPPROTO_UDP => Some(6),
        proto::IPPROTO_ICMP | proto::IPPROTO_ICMPV6 => Some(2),
        _ => None,
    }
}
