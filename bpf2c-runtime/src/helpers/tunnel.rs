//! `bpf_skb_get_tunnel_key` and `bpf_skb_set_tunnel_key` over the skb's tunnel metadata
//! ([`TunnelInfo`] in [`SkbMeta`]), with Linux's `struct bpf_tunnel_key` layout, accepted
//! sizes (the current 44 bytes and the older 28, 24, 22 and 8-byte layouts) and errors.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::skb_meta::{self as skb, errno, tunnel_flags, SkbMeta, TunnelInfo};
use crate::ffi::bpf2c_invocation_t;

/// `flags` of the tunnel-key helpers (linux/bpf.h).
pub mod key_flags {
    pub const TUNINFO_IPV6: u64 = 1 << 0;
    pub const ZERO_CSUM_TX: u64 = 1 << 1;
    pub const DONT_FRAGMENT: u64 = 1 << 2;
    pub const SEQ_NUMBER: u64 = 1 << 3;
    /// For set: BPF_F_NO_TUNNEL_KEY; for get: BPF_F_TUNINFO_FLAGS (the same bit).
    pub const NO_TUNNEL_KEY: u64 = 1 << 4;
    pub const TUNINFO_FLAGS: u64 = 1 << 4;
}

/// `sizeof(struct bpf_tunnel_key)`.
pub const TUNNEL_KEY_SIZE: usize = 44;

/// Offsets in `struct bpf_tunnel_key`.
mod off {
    pub const TUNNEL_ID: usize = 0;
    pub const REMOTE: usize = 4;
    pub const REMOTE_IPV6_1: usize = 8;
    pub const TOS: usize = 20;
    pub const TTL: usize = 21;
    pub const EXT: usize = 22; // tunnel_ext / tunnel_flags
    pub const LABEL: usize = 24;
    pub const LOCAL: usize = 28;
}

/// The older, shorter layouts Linux still accepts: up to `local_ipv6`, `tunnel_label`,
/// `tunnel_ext`, and the IPv4-only `remote_ipv6[1]` one.
fn compat_size(size: usize) -> bool {
    matches!(
        size,
        off::LOCAL | off::LABEL | off::EXT | off::REMOTE_IPV6_1
    )
}

/// IPV6_FLOWLABEL_MASK in host order.
const FLOWLABEL_MASK: u32 = 0x000f_ffff;

/// `bpf_skb_get_tunnel_key(skb, to, size, flags)` into `to` (its whole length is `size`).
pub fn get_tunnel_key(meta: &SkbMeta, to: &mut [u8], flags: u64) -> Result<(), i64> {
    let result = fill_key(meta, to, flags);
    if result.is_err() {
        to.fill(0);
    }
    result
}

fn fill_key(meta: &SkbMeta, to: &mut [u8], flags: u64) -> Result<(), i64> {
    let Some(info) = meta.tunnel.as_ref() else {
        return Err(errno::EINVAL);
    };
    if flags & !(key_flags::TUNINFO_IPV6 | key_flags::TUNINFO_FLAGS) != 0 {
        return Err(errno::EINVAL);
    }
    let want_v6 = flags & key_flags::TUNINFO_IPV6 != 0;
    if info.is_ipv6() != want_v6 {
        return Err(errno::EPROTO);
    }
    let size = to.len();
    let bad_compat = !compat_size(size) || (size == off::REMOTE_IPV6_1 && info.is_ipv6());
    if size != TUNNEL_KEY_SIZE && bad_compat {
        return Err(errno::EINVAL);
    }
    let mut k = [0u8; TUNNEL_KEY_SIZE];
    k[off::TUNNEL_ID..off::TUNNEL_ID + 4].copy_from_slice(&(info.id as u32).to_ne_bytes());
    k[off::TOS] = info.tos;
    k[off::TTL] = info.ttl;
    if flags & key_flags::TUNINFO_FLAGS != 0 {
        // ip_tunnel_flags_to_be16: the low 16 flag bits, in network order.
        k[off::EXT..off::EXT + 2].copy_from_slice(&info.flags.to_be_bytes());
    }
    match (info.src, info.dst) {
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            k[off::REMOTE..off::REMOTE + 16].copy_from_slice(&s.octets());
            k[off::LOCAL..off::LOCAL + 16].copy_from_slice(&d.octets());
            k[off::LABEL..off::LABEL + 4].copy_from_slice(&info.label.to_ne_bytes());
        }
        (s, d) => {
            // IPv4 addresses in host order, as be32_to_cpu leaves them.
            k[off::REMOTE..off::REMOTE + 4].copy_from_slice(&v4_host(s).to_ne_bytes());
            k[off::LOCAL..off::LOCAL + 4].copy_from_slice(&v4_host(d).to_ne_bytes());
        }
    }
    to.copy_from_slice(&k[..size]);
    Ok(())
}

fn v4_host(a: IpAddr) -> u32 {
    match a {
        IpAddr::V4(a) => u32::from(a),
        IpAddr::V6(_) => 0,
    }
}

fn u32_at(k: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([k[at], k[at + 1], k[at + 2], k[at + 3]])
}

/// `bpf_skb_set_tunnel_key(skb, from, size, flags)`: attaches transmit metadata built from
/// `from` (its whole length is `size`), replacing any the skb had.
pub fn set_tunnel_key(meta: &mut SkbMeta, from: &[u8], flags: u64) -> Result<(), i64> {
    use key_flags::*;
    if flags & !(TUNINFO_IPV6 | ZERO_CSUM_TX | DONT_FRAGMENT | SEQ_NUMBER | NO_TUNNEL_KEY) != 0 {
        return Err(errno::EINVAL);
    }
    let size = from.len();
    if size != TUNNEL_KEY_SIZE && !compat_size(size) {
        return Err(errno::EINVAL);
    }
    let mut k = [0u8; TUNNEL_KEY_SIZE];
    k[..size].copy_from_slice(from);
    let v6 = flags & TUNINFO_IPV6 != 0;
    let label = u32_at(&k, off::LABEL);
    let ext = u16::from_ne_bytes([k[off::EXT], k[off::EXT + 1]]);
    if (!v6 && label != 0) || ext != 0 {
        return Err(errno::EINVAL);
    }
    let mut tun_flags = tunnel_flags::NOCACHE;
    if flags & DONT_FRAGMENT != 0 {
        tun_flags |= tunnel_flags::DONT_FRAGMENT;
    }
    if flags & ZERO_CSUM_TX == 0 {
        tun_flags |= tunnel_flags::CSUM;
    }
    if flags & SEQ_NUMBER != 0 {
        tun_flags |= tunnel_flags::SEQ;
    }
    if flags & NO_TUNNEL_KEY == 0 {
        tun_flags |= tunnel_flags::KEY;
    }
    let (src, dst, label) = if v6 {
        let addr = |at: usize| {
            let mut b = [0u8; 16];
            b.copy_from_slice(&k[at..at + 16]);
            IpAddr::V6(Ipv6Addr::from(b))
        };
        (addr(off::LOCAL), addr(off::REMOTE), label & FLOWLABEL_MASK)
    } else {
        let addr = |at: usize| IpAddr::V4(Ipv4Addr::from(u32_at(&k, at)));
        (addr(off::LOCAL), addr(off::REMOTE), 0)
    };
    meta.tunnel = Some(TunnelInfo {
        tx: true,
        id: u32_at(&k, off::TUNNEL_ID) as u64,
        src,
        dst,
        tos: k[off::TOS],
        ttl: k[off::TTL],
        label,
        flags: tun_flags,
    });
    Ok(())
}

fn ret(r: Result<(), i64>) -> u64 {
    match r {
        Ok(()) => 0,
        Err(e) => errno::neg(e),
    }
}

pub(super) unsafe extern "C" fn bpf_skb_get_tunnel_key(
    _ctx: u64,
    to: u64,
    size: u64,
    flags: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: the verifier proved `to` writable for `size` (> 0) bytes: the program's own
    // memory, which nothing else touches during the call (the helper contract).
    let to = unsafe { std::slice::from_raw_parts_mut(to as *mut u8, size as u32 as usize) };
    // SAFETY: the run's invocation (the helper contract).
    ret(unsafe { skb::with_meta(inv, |meta| get_tunnel_key(meta, to, flags)) })
}

pub(super) unsafe extern "C" fn bpf_skb_set_tunnel_key(
    _ctx: u64,
    from: u64,
    size: u64,
    flags: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: the verifier proved `from` readable for `size` (> 0) bytes (the contract).
    let from = unsafe { std::slice::from_raw_parts(from as *const u8, size as u32 as usize) };
    // SAFETY: the run's invocation (the helper contract).
    ret(unsafe { skb::with_meta(inv, |meta| set_tunnel_key(meta, from, flags)) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn received_v4() -> SkbMeta {
        let mut info = TunnelInfo::received(
            0x1_0000_002a,
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
            IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7)),
        );
        info.tos = 0x20;
        info.ttl = 64;
        SkbMeta {
            tunnel: Some(info),
            ..SkbMeta::default()
        }
    }

    #[test]
    fn get_fills_the_key_as_linux_lays_it_out() {
        let mut k = [0xaau8; TUNNEL_KEY_SIZE];
        get_tunnel_key(&received_v4(), &mut k, key_flags::TUNINFO_FLAGS).unwrap();
        // tunnel_id: the low 32 bits, host order.
        assert_eq!(u32_at(&k, 0), 0x2a);
        // remote_ipv4 in host order: 192.0.2.1 = 0xc0000201; the rest of remote_ipv6 zero.
        assert_eq!(u32_at(&k, 4), 0xc000_0201);
        assert_eq!(k[8..20], [0; 12]);
        assert_eq!((k[20], k[21]), (0x20, 64));
        // tunnel_flags: TUNNEL_KEY (bit 2) in network order.
        assert_eq!(k[22..24], [0x00, 0x04]);
        assert_eq!(u32_at(&k, 24), 0, "label");
        assert_eq!(u32_at(&k, 28), 0xc633_6407, "local 198.51.100.7");
        assert_eq!(k[32..44], [0; 12]);
        // Without TUNINFO_FLAGS, tunnel_ext is 0.
        get_tunnel_key(&received_v4(), &mut k, 0).unwrap();
        assert_eq!(k[22..24], [0, 0]);
        // An old 24-byte key gets the prefix.
        let mut short = [0xaau8; 24];
        get_tunnel_key(&received_v4(), &mut short, 0).unwrap();
        assert_eq!(short, k[..24]);
    }

    #[test]
    fn get_errors_clear_the_buffer() {
        let mut k = [0xaau8; TUNNEL_KEY_SIZE];
        assert_eq!(
            get_tunnel_key(&SkbMeta::default(), &mut k, 0),
            Err(errno::EINVAL)
        );
        assert_eq!(k, [0; TUNNEL_KEY_SIZE]);
        k.fill(1);
        let r = get_tunnel_key(&received_v4(), &mut k, key_flags::TUNINFO_IPV6);
        assert_eq!((r, k), (Err(errno::EPROTO), [0; TUNNEL_KEY_SIZE]));
        assert_eq!(
            get_tunnel_key(&received_v4(), &mut k, 1 << 5),
            Err(errno::EINVAL)
        );
        let mut odd = [1u8; 30];
        assert_eq!(
            get_tunnel_key(&received_v4(), &mut odd, 0),
            Err(errno::EINVAL)
        );
        assert_eq!(odd, [0; 30]);
    }

    #[test]
    fn set_records_transmit_metadata() {
        let mut k = [0u8; TUNNEL_KEY_SIZE];
        k[0..4].copy_from_slice(&7u32.to_ne_bytes());
        k[4..8].copy_from_slice(&0x0a00_0002u32.to_ne_bytes()); // remote 10.0.0.2
        k[28..32].copy_from_slice(&0x0a00_0001u32.to_ne_bytes()); // local 10.0.0.1
        k[21] = 9;
        let mut meta = received_v4();
        let f = key_flags::ZERO_CSUM_TX | key_flags::DONT_FRAGMENT;
        set_tunnel_key(&mut meta, &k, f).unwrap();
        let info = meta.tunnel.unwrap();
        assert!(info.tx);
        assert_eq!(info.id, 7);
        assert_eq!(info.dst, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)));
        assert_eq!(info.src, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(info.ttl, 9);
        use tunnel_flags::*;
        assert_eq!(info.flags, NOCACHE | DONT_FRAGMENT | KEY);
        // Reading it back shows src as remote, as Linux's skb_tunnel_info does.
        let mut back = [0u8; TUNNEL_KEY_SIZE];
        get_tunnel_key(&meta, &mut back, 0).unwrap();
        assert_eq!(u32_at(&back, 4), 0x0a00_0001);
        // A label needs IPv6; tunnel_ext must be 0; unknown flags and sizes fail.
        let mut bad = k;
        bad[24] = 1;
        assert_eq!(set_tunnel_key(&mut meta, &bad, 0), Err(errno::EINVAL));
        let mut bad = k;
        bad[22] = 1;
        assert_eq!(set_tunnel_key(&mut meta, &bad, 0), Err(errno::EINVAL));
        assert_eq!(set_tunnel_key(&mut meta, &k, 1 << 5), Err(errno::EINVAL));
        assert_eq!(set_tunnel_key(&mut meta, &k[..12], 0), Err(errno::EINVAL));
        // IPv6, with the label masked to 20 bits and the checksum flag.
        let mut k6 = [0u8; TUNNEL_KEY_SIZE];
        k6[4..20].copy_from_slice(&"2001:db8::2".parse::<Ipv6Addr>().unwrap().octets());
        k6[24..28].copy_from_slice(&0xfff1_2345u32.to_ne_bytes());
        set_tunnel_key(&mut meta, &k6, key_flags::TUNINFO_IPV6).unwrap();
        let info = meta.tunnel.unwrap();
        assert_eq!(info.dst, IpAddr::V6("2001:db8::2".parse().unwrap()));
        assert_eq!(info.label, 0x1_2345);
        assert_eq!(info.flags, NOCACHE | CSUM | KEY);
        // An 8-byte (IPv4-only) layout cannot be read from IPv6 metadata.
        let mut eight = [0u8; 8];
        assert_eq!(
            get_tunnel_key(&meta, &mut eight, key_flags::TUNINFO_IPV6),
            Err(errno::EINVAL)
        );
    }
}
