//! The skb's flow hash: `bpf_get_hash_recalc`, `bpf_set_hash`, `bpf_set_hash_invalid`.
//!
//! The hash lives in the context's `hash` field (which programs may also read directly);
//! whether it is valid is [`SkbMeta::hash_valid`]. A valid hash is returned as is, as
//! `skb_get_hash` does; otherwise it is computed from the packet, stored and marked valid.
//!
//! The computed hash is bpf2c's own, not Linux's (Linux keys its flow hash with a random
//! per-boot secret, so no two hosts agree on it either), with the properties programs rely
//! on: it depends only on the flow (addresses, protocol and, for TCP, UDP, SCTP, DCCP and
//! UDP-Lite, the ports), it is the same in both directions (Linux's
//! `__flow_hash_consistentify`), and it is never 0. It is Jenkins' lookup3 `hashword` (the
//! kernel's `jhash2`) over the flow's words, seeded with `Options::flow_hash_seed`.

use super::skb_meta::{self as skb, SkbMeta};
use crate::ffi::{bpf2c_invocation_t, bpf2c_skb_context_t};
use crate::instance::RunState;

/// lookup3's `hashword` (Linux's `jhash2`).
pub fn jhash2(words: &[u32], initval: u32) -> u32 {
    let mut a = 0xdead_beef_u32
        .wrapping_add((words.len() as u32) << 2)
        .wrapping_add(initval);
    let (mut b, mut c) = (a, a);
    let mut k = words;
    while k.len() > 3 {
        a = a.wrapping_add(k[0]);
        b = b.wrapping_add(k[1]);
        c = c.wrapping_add(k[2]);
        // __jhash_mix
        a = a.wrapping_sub(c) ^ c.rotate_left(4);
        c = c.wrapping_add(b);
        b = b.wrapping_sub(a) ^ a.rotate_left(6);
        a = a.wrapping_add(c);
        c = c.wrapping_sub(b) ^ b.rotate_left(8);
        b = b.wrapping_add(a);
        a = a.wrapping_sub(c) ^ c.rotate_left(16);
        c = c.wrapping_add(b);
        b = b.wrapping_sub(a) ^ a.rotate_left(19);
        a = a.wrapping_add(c);
        c = c.wrapping_sub(b) ^ b.rotate_left(4);
        b = b.wrapping_add(a);
        k = &k[3..];
    }
    if k.is_empty() {
        return c;
    }
    if k.len() == 3 {
        c = c.wrapping_add(k[2]);
    }
    if k.len() >= 2 {
        b = b.wrapping_add(k[1]);
    }
    a = a.wrapping_add(k[0]);
    // __jhash_final
    c = (c ^ b).wrapping_sub(b.rotate_left(14));
    a = (a ^ c).wrapping_sub(c.rotate_left(11));
    b = (b ^ a).wrapping_sub(a.rotate_left(25));
    c = (c ^ b).wrapping_sub(b.rotate_left(16));
    a = (a ^ c).wrapping_sub(c.rotate_left(4));
    b = (b ^ a).wrapping_sub(a.rotate_left(14));
    c = (c ^ b).wrapping_sub(b.rotate_left(24));
    c
}

/// The flow of an Ethernet frame: (source address words, destination address words,
/// protocol, source port, destination port); None when it is not IPv4 or IPv6.
type Flow = (Vec<u32>, Vec<u32>, u8, u16, u16);

fn word(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn dissect(frame: &[u8]) -> Option<Flow> {
    let mut at = 12;
    let mut ethertype = u16::from_be_bytes([*frame.get(at)?, *frame.get(at + 1)?]);
    // Up to two VLAN tags (802.1Q, 802.1ad).
    for _ in 0..2 {
        if ethertype != 0x8100 && ethertype != 0x88a8 {
            break;
        }
        at += 4;
        ethertype = u16::from_be_bytes([*frame.get(at)?, *frame.get(at + 1)?]);
    }
    let l3 = at + 2;
    let (src, dst, proto, l4, fragment) = match ethertype {
        0x0800 => {
            let h = frame.get(l3..l3 + 20)?;
            let ihl = (h[0] & 0xf) as usize * 4;
            let frag = u16::from_be_bytes([h[6], h[7]]) & 0x3fff != 0;
            (
                vec![word(&h[12..])],
                vec![word(&h[16..])],
                h[9],
                l3 + ihl,
                frag,
            )
        }
        0x86dd => {
            let h = frame.get(l3..l3 + 40)?;
            let addr = |o: usize| (0..4).map(|i| word(&h[o + 4 * i..])).collect::<Vec<_>>();
            (addr(8), addr(24), h[6], l3 + 40, false)
        }
        _ => return None,
    };
    let has_ports = matches!(proto, 6 | 17 | 33 | 132 | 136) && !fragment;
    let (sport, dport) = match frame.get(l4..l4 + 4) {
        Some(p) if has_ports => (
            u16::from_be_bytes([p[0], p[1]]),
            u16::from_be_bytes([p[2], p[3]]),
        ),
        _ => (0, 0),
    };
    Some((src, dst, proto, sport, dport))
}

/// The flow hash of an Ethernet frame, or 0 when it carries neither IPv4 nor IPv6 (Linux's
/// flow dissector gives up on those too).
pub fn flow_hash(frame: &[u8], seed: u32) -> u32 {
    let Some((mut src, mut dst, proto, mut sport, mut dport)) = dissect(frame) else {
        return 0;
    };
    // Both directions of a flow hash alike.
    if (dst.as_slice(), dport) < (src.as_slice(), sport) {
        std::mem::swap(&mut src, &mut dst);
        std::mem::swap(&mut sport, &mut dport);
    }
    let mut words = dst;
    words.extend(src);
    words.push(((sport as u32) << 16) | dport as u32);
    words.push(proto as u32);
    match jhash2(&words, seed) {
        0 => 1,
        h => h,
    }
}

/// `bpf_get_hash_recalc` on a context and its state: the valid hash, or a fresh one.
pub fn get_hash_recalc(
    ctx: &mut bpf2c_skb_context_t,
    frame: &[u8],
    meta: &mut SkbMeta,
    seed: u32,
) -> u32 {
    let valid = meta.hash_valid.unwrap_or(ctx.hash != 0);
    if !valid {
        ctx.hash = flow_hash(frame, seed);
        // Linux marks the hash valid only when the dissector found a flow.
        meta.hash_valid = Some(ctx.hash != 0);
    }
    ctx.hash
}

pub(super) unsafe extern "C" fn bpf_get_hash_recalc(
    ctx: u64,
    _: u64,
    _: u64,
    _: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: the run's invocation (the helper contract).
    let seed = unsafe { RunState::from_invocation(inv) }.map_or(0, |s| s.inner.flow_hash_seed);
    let ctx = ctx as *mut bpf2c_skb_context_t;
    // SAFETY: r1 is the program's skb context (the helper contract); its packet and the
    // context struct are separate memory.
    let frame = unsafe { skb::packet(ctx) };
    // SAFETY: as above; nothing else uses the context during the call.
    let ctx = unsafe { &mut *ctx };
    // SAFETY: the run's invocation (the helper contract).
    unsafe { skb::with_meta(inv, |meta| get_hash_recalc(ctx, frame, meta, seed)) as u64 }
}

pub(super) unsafe extern "C" fn bpf_set_hash(
    ctx: u64,
    hash: u64,
    _: u64,
    _: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: r1 is the program's skb context (the helper contract).
    unsafe { (*(ctx as *mut bpf2c_skb_context_t)).hash = hash as u32 };
    // SAFETY: the run's invocation (the helper contract).
    unsafe { skb::with_meta(inv, |meta| meta.hash_valid = Some(true)) };
    0
}

pub(super) unsafe extern "C" fn bpf_set_hash_invalid(
    ctx: u64,
    _: u64,
    _: u64,
    _: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: r1 is the program's skb context (the helper contract).
    unsafe { (*(ctx as *mut bpf2c_skb_context_t)).hash = 0 };
    // SAFETY: the run's invocation (the helper contract).
    unsafe { skb::with_meta(inv, |meta| meta.hash_valid = Some(false)) };
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ethernet + IPv4 + TCP, addresses and ports given.
    fn tcp4(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16) -> Vec<u8> {
        let mut f = vec![0u8; 54];
        f[12..14].copy_from_slice(&[0x08, 0x00]);
        f[14] = 0x45;
        f[23] = 6;
        f[26..30].copy_from_slice(&src);
        f[30..34].copy_from_slice(&dst);
        f[34..36].copy_from_slice(&sport.to_be_bytes());
        f[36..38].copy_from_slice(&dport.to_be_bytes());
        f
    }

    #[test]
    fn jhash2_known_values() {
        // lookup3: no words hash to the initial value 0xdeadbeef + seed.
        assert_eq!(jhash2(&[], 0), 0xdead_beef);
        assert_eq!(jhash2(&[], 1), 0xdead_bef0);
        // One word: a = b = c = 0xdeadbef3 (len 1 << 2), a += 1, then the final mix,
        // worked through step by step.
        let (mut a, mut b, mut c) = (0xdead_bef4u32, 0xdead_bef3u32, 0xdead_bef3u32);
        c = (c ^ b).wrapping_sub(b.rotate_left(14));
        a = (a ^ c).wrapping_sub(c.rotate_left(11));
        b = (b ^ a).wrapping_sub(a.rotate_left(25));
        c = (c ^ b).wrapping_sub(b.rotate_left(16));
        a = (a ^ c).wrapping_sub(c.rotate_left(4));
        b = (b ^ a).wrapping_sub(a.rotate_left(14));
        c = (c ^ b).wrapping_sub(b.rotate_left(24));
        assert_eq!(jhash2(&[1], 0), c);
    }

    #[test]
    fn the_flow_hash_is_symmetric_flow_based_and_never_zero() {
        let fwd = tcp4([10, 0, 0, 1], [10, 0, 0, 2], 1234, 80);
        let back = tcp4([10, 0, 0, 2], [10, 0, 0, 1], 80, 1234);
        let h = flow_hash(&fwd, 0);
        assert_ne!(h, 0);
        assert_eq!(h, flow_hash(&back, 0));
        assert_ne!(
            h,
            flow_hash(&tcp4([10, 0, 0, 1], [10, 0, 0, 2], 1235, 80), 0)
        );
        assert_ne!(h, flow_hash(&fwd, 1));
        // The payload does not matter; non-IP frames have no flow.
        let mut longer = fwd.clone();
        longer.extend([1, 2, 3]);
        assert_eq!(h, flow_hash(&longer, 0));
        assert_eq!(flow_hash(&[0u8; 60], 0), 0);
        // The words hashed: dst, src (ordered), ports, protocol.
        let words = [0x0a00_0002, 0x0a00_0001, (1234 << 16) | 80, 6];
        assert_eq!(h, jhash2(&words, 0));
    }

    #[test]
    fn recalc_keeps_a_valid_hash_and_fills_an_invalid_one() {
        let frame = tcp4([10, 0, 0, 1], [10, 0, 0, 2], 1234, 80);
        let mut ctx = bpf2c_skb_context_t::default();
        let mut meta = SkbMeta::default();
        // A host-given non-zero hash is valid.
        ctx.hash = 77;
        assert_eq!(get_hash_recalc(&mut ctx, &frame, &mut meta, 0), 77);
        // Cleared (set_hash_invalid): computed from the flow, stored, valid.
        ctx.hash = 0;
        meta.hash_valid = Some(false);
        let h = get_hash_recalc(&mut ctx, &frame, &mut meta, 0);
        assert_eq!(
            (h, ctx.hash, meta.hash_valid),
            (flow_hash(&frame, 0), h, Some(true))
        );
        // set_hash(0) is a valid hash of 0.
        ctx.hash = 0;
        meta.hash_valid = Some(true);
        assert_eq!(get_hash_recalc(&mut ctx, &frame, &mut meta, 0), 0);
    }
}
