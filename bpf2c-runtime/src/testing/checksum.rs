//! The Internet checksum (RFC 1071) as the testing module computes it: written apart from
//! the checksum helpers on purpose, so a test that compares a program's rewritten packet
//! with it checks the helpers against a second implementation.

use std::net::IpAddr;

/// The one's-complement sum of `bytes` read as big-endian 16-bit words (an odd last byte
/// padded with zero), folded to 16 bits. Not complemented.
pub fn ones_complement_sum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for pair in bytes.chunks(2) {
        let word = u16::from_be_bytes([pair[0], pair.get(1).copied().unwrap_or(0)]);
        sum += u32::from(word);
        // Folding as we go keeps the sum in 17 bits, whatever the length.
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// The checksum to store in a header whose checksum field is zero: the complement of the
/// one's-complement sum. Summing a header that holds its correct checksum gives 0xffff.
pub fn internet_checksum(bytes: &[u8]) -> u16 {
    !ones_complement_sum(bytes)
}

/// The TCP/UDP/ICMPv6 pseudo-header of RFC 793 and RFC 8200 section 8.1, followed by the
/// transport segment: what the transport checksum covers.
pub fn with_pseudo_header(src: IpAddr, dst: IpAddr, protocol: u8, segment: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(40 + segment.len());
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            out.extend_from_slice(&s.octets());
            out.extend_from_slice(&d.octets());
            out.extend_from_slice(&[0, protocol]);
            out.extend_from_slice(&(segment.len() as u16).to_be_bytes());
        }
        (s, d) => {
            out.extend_from_slice(&ipv6_octets(s));
            out.extend_from_slice(&ipv6_octets(d));
            out.extend_from_slice(&(segment.len() as u32).to_be_bytes());
            out.extend_from_slice(&[0, 0, 0, protocol]);
        }
    }
    out.extend_from_slice(segment);
    out
}

fn ipv6_octets(addr: IpAddr) -> [u8; 16] {
    match addr {
        IpAddr::V6(a) => a.octets(),
        IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_1071_example() {
        // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
        let bytes = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(ones_complement_sum(&bytes), 0xddf2);
        assert_eq!(internet_checksum(&bytes), 0x220d);
        // An odd length pads with a zero byte.
        assert_eq!(ones_complement_sum(&[0x12, 0x34, 0x56]), 0x6834);
    }

    #[test]
    fn a_header_with_its_checksum_sums_to_all_ones() {
        // The IPv4 header of Wikipedia's "IPv4 header checksum" article: checksum b861.
        let mut header = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        assert_eq!(internet_checksum(&header), 0xb861);
        header[10..12].copy_from_slice(&[0xb8, 0x61]);
        assert_eq!(ones_complement_sum(&header), 0xffff);
    }

    #[test]
    fn pseudo_headers_have_the_rfc_layouts() {
        let v4 = with_pseudo_header(
            "10.0.0.1".parse().unwrap(),
            "10.0.0.2".parse().unwrap(),
            17,
            &[0xaa; 3],
        );
        assert_eq!(
            v4,
            [10, 0, 0, 1, 10, 0, 0, 2, 0, 17, 0, 3, 0xaa, 0xaa, 0xaa]
        );
        let v6 = with_pseudo_header(
            "2001:db8::1".parse().unwrap(),
            "2001:db8::2".parse().unwrap(),
            58,
            &[1],
        );
        assert_eq!(v6.len(), 40 + 1);
        assert_eq!(&v6[32..41], &[0, 0, 0, 1, 0, 0, 0, 58, 1]);
        assert_eq!(&v6[..4], &[0x20, 0x01, 0x0d, 0xb8]);
    }
}
