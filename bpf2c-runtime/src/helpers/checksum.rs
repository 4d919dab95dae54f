//! The checksum helpers: `bpf_csum_diff`, `bpf_l3_csum_replace`, `bpf_l4_csum_replace`,
//! `bpf_csum_update` and `bpf_csum_level`, computed as net/core/filter.c and
//! include/net/checksum.h compute them.
//!
//! Sums are Internet checksums (RFC 1071): one's-complement sums of 16-bit words as they lie
//! in memory, so a value read from the packet into a register and handed to a helper is
//! summed exactly as the bytes are. The arithmetic is Linux's, operation for operation,
//! including where a 16-bit and a 32-bit computation could differ in how they write zero.

use super::skb_meta::{self as skb, errno, IpSummed, SkbMeta, SKB_MAX_CSUM_LEVEL};
use crate::ffi::{bpf2c_invocation_t, bpf2c_skb_context_t};

/// `flags` of the replace helpers (linux/bpf.h).
pub mod flags {
    /// Low bits: the size of the replaced field (0: `to` is a checksum difference).
    pub const HDR_FIELD_MASK: u64 = 0xf;
    pub const PSEUDO_HDR: u64 = 1 << 4;
    pub const MARK_MANGLED_0: u64 = 1 << 5;
    pub const MARK_ENFORCE: u64 = 1 << 6;
    pub const IPV6: u64 = 1 << 7;
}

/// `bpf_csum_level` levels.
pub mod level {
    pub const QUERY: u64 = 0;
    pub const INC: u64 = 1;
    pub const DEC: u64 = 2;
    pub const RESET: u64 = 3;
}

/// CSUM_MANGLED_0: how a zero UDP checksum is written when zero means "none".
pub const CSUM_MANGLED_0: u16 = 0xffff;

/// Most bytes `bpf_csum_diff` takes, from and to together (Linux's scratch buffer).
pub const CSUM_DIFF_MAX: u64 = 512;

/// `csum_partial`: `seed` plus the one's-complement sum of `bytes` read as 16-bit words in
/// memory order (a trailing odd byte is padded with zero), folded to 32 bits.
pub fn csum_partial(bytes: &[u8], seed: u32) -> u32 {
    let mut acc = seed as u64;
    let mut words = bytes.chunks_exact(2);
    for w in &mut words {
        acc += u16::from_ne_bytes([w[0], w[1]]) as u64;
    }
    if let [last] = words.remainder() {
        acc += u16::from_ne_bytes([*last, 0]) as u64;
    }
    while acc >> 32 != 0 {
        acc = (acc & 0xffff_ffff) + (acc >> 32);
    }
    acc as u32
}

/// `csum_add`: 32-bit one's-complement addition.
pub fn csum_add(a: u32, b: u32) -> u32 {
    let r = a.wrapping_add(b);
    r.wrapping_add((r < b) as u32)
}

/// `csum_sub`.
pub fn csum_sub(a: u32, b: u32) -> u32 {
    csum_add(a, !b)
}

/// `csum_fold`: the 32-bit sum folded to 16 bits and complemented, ready for a header.
pub fn csum_fold(sum: u32) -> u16 {
    let s = (sum & 0xffff) + (sum >> 16);
    let s = (s & 0xffff) + (s >> 16);
    !(s as u16)
}

/// `csum_from32to16`: the 32-bit sum folded to 16 bits, not complemented.
pub fn csum_from32to16(sum: u32) -> u16 {
    (sum.wrapping_add(sum.rotate_right(16)) >> 16) as u16
}

fn csum16_add(sum: u16, addend: u16) -> u16 {
    let r = sum.wrapping_add(addend);
    r.wrapping_add((r < addend) as u16)
}

/// `csum_replace2`: a 16-bit field changed from `old` to `new`.
fn csum_replace2(sum: u16, old: u16, new: u16) -> u16 {
    !csum16_add(csum16_add(!sum, !old), new)
}

/// `csum_replace4`: a 32-bit field changed from `from` to `to`.
fn csum_replace4(sum: u16, from: u32, to: u32) -> u16 {
    let tmp = csum_sub(!(sum as u32), from);
    csum_fold(csum_add(tmp, to))
}

/// `csum_replace_by_diff`.
fn csum_replace_by_diff(sum: u16, diff: u32) -> u16 {
    csum_fold(csum_add(diff, !(sum as u32)))
}

/// `bpf_csum_diff(from, from_size, to, to_size, seed)`: the checksum difference between
/// two buffers, added to `seed`, folded to 16 bits (Linux 6.12 and later return the folded
/// value on every architecture; earlier x86 kernels returned an unfolded 32-bit sum equal to
/// it modulo 0xffff). Sizes must be multiples of 4 and together at most 512 bytes.
pub fn csum_diff(from: &[u8], to: &[u8], seed: u32) -> Result<u16, i64> {
    let (from_size, to_size) = (from.len() as u64, to.len() as u64);
    if (from_size | to_size) & 3 != 0 || from_size + to_size > CSUM_DIFF_MAX {
        return Err(errno::EINVAL);
    }
    let ret = match (from.is_empty(), to.is_empty()) {
        (false, false) => csum_sub(csum_partial(to, seed), csum_partial(from, 0)),
        (true, false) => csum_partial(to, seed),
        (false, true) => !csum_partial(from, !seed),
        (true, true) => seed,
    };
    Ok(csum_from32to16(ret))
}

fn read_sum(packet: &[u8], offset: usize) -> u16 {
    u16::from_ne_bytes([packet[offset], packet[offset + 1]])
}

fn write_sum(packet: &mut [u8], offset: usize, sum: u16) {
    packet[offset..offset + 2].copy_from_slice(&sum.to_ne_bytes());
}

/// Where the checksum field is, or the error Linux gives: -EFAULT for an odd offset, one
/// past 0xffff, or a field beyond the packet (`bpf_try_make_writable`).
fn field(packet: &[u8], offset: u64) -> Result<usize, i64> {
    if offset > 0xffff || offset & 1 != 0 || offset + 2 > packet.len() as u64 {
        return Err(errno::EFAULT);
    }
    Ok(offset as usize)
}

/// `bpf_l3_csum_replace(skb, offset, from, to, flags)` on `packet` (from skb->data).
pub fn l3_csum_replace(
    packet: &mut [u8],
    offset: u64,
    from: u64,
    to: u64,
    flags: u64,
) -> Result<(), i64> {
    if flags & !flags::HDR_FIELD_MASK != 0 {
        return Err(errno::EINVAL);
    }
    let at = field(packet, offset)?;
    let sum = read_sum(packet, at);
    let new = match flags & flags::HDR_FIELD_MASK {
        0 if from != 0 => return Err(errno::EINVAL),
        0 => csum_replace_by_diff(sum, to as u32),
        2 => csum_replace2(sum, from as u16, to as u16),
        4 => csum_replace4(sum, from as u32, to as u32),
        _ => return Err(errno::EINVAL),
    };
    write_sum(packet, at, new);
    Ok(())
}

/// `inet_proto_csum_replace4` (and `_replace2`, whose 16-bit values are zero-extended).
fn proto_replace4(sum: u16, meta: &mut SkbMeta, from: u32, to: u32, pseudo: bool) -> u16 {
    match &mut meta.checksum {
        IpSummed::Partial if pseudo => !csum_fold(csum_add(csum_sub(sum as u32, from), to)),
        IpSummed::Partial => sum,
        other => {
            if let IpSummed::Complete { csum } = other {
                if pseudo {
                    *csum = !csum_add(csum_sub(!*csum, from), to);
                }
            }
            csum_replace4(sum, from, to)
        }
    }
}

/// `inet_proto_csum_replace_by_diff`.
fn proto_replace_by_diff(sum: u16, meta: &mut SkbMeta, diff: u32, pseudo: bool, ipv6: bool) -> u16 {
    match &mut meta.checksum {
        IpSummed::Partial if pseudo => !csum_fold(csum_sub(diff, sum as u32)),
        IpSummed::Partial => sum,
        other => {
            if let IpSummed::Complete { csum } = other {
                if pseudo && !ipv6 {
                    *csum = !csum_sub(diff, *csum);
                }
            }
            csum_replace_by_diff(sum, diff)
        }
    }
}

/// `bpf_l4_csum_replace(skb, offset, from, to, flags)` on `packet` (from skb->data), with
/// the skb's checksum state in `meta`.
pub fn l4_csum_replace(
    packet: &mut [u8],
    meta: &mut SkbMeta,
    offset: u64,
    from: u64,
    to: u64,
    flags: u64,
) -> Result<(), i64> {
    let known = flags::MARK_MANGLED_0
        | flags::MARK_ENFORCE
        | flags::PSEUDO_HDR
        | flags::HDR_FIELD_MASK
        | flags::IPV6;
    if flags & !known != 0 {
        return Err(errno::EINVAL);
    }
    let pseudo = flags & flags::PSEUDO_HDR != 0;
    let mangled_0 = flags & flags::MARK_MANGLED_0 != 0;
    let enforce = flags & flags::MARK_ENFORCE != 0;
    let at = field(packet, offset)?;
    let sum = read_sum(packet, at);
    // A UDP checksum of zero means "no checksum": leave it so unless told otherwise.
    if mangled_0 && !enforce && sum == 0 {
        return Ok(());
    }
    let new = match flags & flags::HDR_FIELD_MASK {
        0 if from != 0 => return Err(errno::EINVAL),
        0 => proto_replace_by_diff(sum, meta, to as u32, pseudo, flags & flags::IPV6 != 0),
        2 => proto_replace4(sum, meta, from as u16 as u32, to as u16 as u32, pseudo),
        4 => proto_replace4(sum, meta, from as u32, to as u32, pseudo),
        _ => return Err(errno::EINVAL),
    };
    let new = if mangled_0 && new == 0 {
        CSUM_MANGLED_0
    } else {
        new
    };
    write_sum(packet, at, new);
    Ok(())
}

/// `bpf_csum_update(skb, csum)`: adds `csum` to a CHECKSUM_COMPLETE packet's sum and
/// returns the new sum; -ENOTSUPP (524) for any other checksum state.
pub fn csum_update(meta: &mut SkbMeta, diff: u32) -> Result<u32, i64> {
    match &mut meta.checksum {
        IpSummed::Complete { csum } => {
            *csum = csum_add(*csum, diff);
            Ok(*csum)
        }
        _ => Err(errno::ENOTSUPP),
    }
}

/// `bpf_csum_level(skb, level)`: queries or changes how many checksums count as verified
/// (CHECKSUM_UNNECESSARY's `csum_level`). QUERY returns the level, or -EACCES when the
/// packet is not CHECKSUM_UNNECESSARY; INC, DEC and RESET return 0.
pub fn csum_level(meta: &mut SkbMeta, request: u64) -> Result<u64, i64> {
    let state = &mut meta.checksum;
    match request {
        level::INC => match state {
            IpSummed::Unnecessary { level } => *level = (*level + 1).min(SKB_MAX_CSUM_LEVEL),
            IpSummed::None => *state = IpSummed::Unnecessary { level: 0 },
            _ => {}
        },
        level::DEC => {
            if let IpSummed::Unnecessary { level } = *state {
                *state = match level {
                    0 => IpSummed::None,
                    l => IpSummed::Unnecessary { level: l - 1 },
                }
            }
        }
        level::RESET => {
            if let IpSummed::Unnecessary { .. } = state {
                *state = IpSummed::None;
            }
        }
        level::QUERY => {
            return match state {
                IpSummed::Unnecessary { level } => Ok(*level as u64),
                _ => Err(errno::EACCES),
            }
        }
        _ => return Err(errno::EINVAL),
    }
    Ok(0)
}

fn ret<T: Into<u64>>(r: Result<T, i64>) -> u64 {
    match r {
        Ok(v) => v.into(),
        Err(e) => errno::neg(e),
    }
}

/// A memory argument of `bpf_csum_diff`: NULL with size 0 is the empty buffer.
///
/// # Safety
/// `ptr` is readable for `size` bytes unless `size` is 0 (the verifier proved it).
unsafe fn arg_bytes<'a>(ptr: u64, size: u64) -> &'a [u8] {
    if size == 0 || ptr == 0 {
        return &[];
    }
    // SAFETY: readable for `size` bytes (this function's contract).
    unsafe { std::slice::from_raw_parts(ptr as *const u8, size as usize) }
}

pub(super) unsafe extern "C" fn bpf_csum_diff(
    from: u64,
    from_size: u64,
    to: u64,
    to_size: u64,
    seed: u64,
    _: *mut bpf2c_invocation_t,
) -> u64 {
    // Linux's sizes are u32: the upper register half is not part of the argument.
    let (from_size, to_size) = (from_size as u32 as u64, to_size as u32 as u64);
    if (from_size | to_size) & 3 != 0 || from_size + to_size > CSUM_DIFF_MAX {
        return errno::neg(errno::EINVAL);
    }
    // SAFETY: the prototype's readable-memory-or-NULL arguments with their sizes (the
    // helper contract).
    let (from, to) = unsafe { (arg_bytes(from, from_size), arg_bytes(to, to_size)) };
    ret(csum_diff(from, to, seed as u32))
}

pub(super) unsafe extern "C" fn bpf_l3_csum_replace(
    ctx: u64,
    offset: u64,
    from: u64,
    to: u64,
    flags: u64,
    _: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: r1 is the program's skb context (the helper contract).
    let packet = unsafe { skb::packet(ctx as *mut bpf2c_skb_context_t) };
    ret(l3_csum_replace(packet, offset as u32 as u64, from, to, flags).map(|()| 0u64))
}

pub(super) unsafe extern "C" fn bpf_l4_csum_replace(
    ctx: u64,
    offset: u64,
    from: u64,
    to: u64,
    flags: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: r1 is the program's skb context (the helper contract).
    let packet = unsafe { skb::packet(ctx as *mut bpf2c_skb_context_t) };
    // SAFETY: the run's invocation (the helper contract).
    let r = unsafe {
        skb::with_meta(inv, |meta| {
            l4_csum_replace(packet, meta, offset as u32 as u64, from, to, flags)
        })
    };
    ret(r.map(|()| 0u64))
}

pub(super) unsafe extern "C" fn bpf_csum_update(
    _ctx: u64,
    csum: u64,
    _: u64,
    _: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: the run's invocation (the helper contract).
    let r = unsafe { skb::with_meta(inv, |meta| csum_update(meta, csum as u32)) };
    // Linux returns the __wsum as an s64: zero-extended.
    ret(r.map(u64::from))
}

pub(super) unsafe extern "C" fn bpf_csum_level(
    _ctx: u64,
    request: u64,
    _: u64,
    _: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: the run's invocation (the helper contract).
    ret(unsafe { skb::with_meta(inv, |meta| csum_level(meta, request)) })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 16-bit value as it lies in memory: `[hi, lo]` of a network-order field.
    fn wire16(hi: u8, lo: u8) -> u64 {
        u16::from_ne_bytes([hi, lo]) as u64
    }

    fn wire32(b: [u8; 4]) -> u64 {
        u32::from_ne_bytes(b) as u64
    }

    #[test]
    fn rfc1071_example_sum() {
        // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to 2ddf0, folded ddf2, whose
        // complement 220d is the checksum.
        let bytes = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        let sum = csum_partial(&bytes, 0);
        assert_eq!(csum_from32to16(sum).to_ne_bytes(), [0xdd, 0xf2]);
        assert_eq!(csum_fold(sum).to_ne_bytes(), [0x22, 0x0d]);
        // An odd byte is padded with zero: 01 is the word 0100.
        assert_eq!(
            csum_from32to16(csum_partial(&[0x01], 0)).to_ne_bytes(),
            [0x01, 0x00]
        );
    }

    #[test]
    fn csum_diff_pushes_pulls_and_diffs() {
        let a = [0x00, 0x01, 0xf2, 0x03];
        let b = [0xf4, 0xf5, 0xf6, 0xf7];
        // Pushing: the sum of the words, 0001 + f203 = f204.
        assert_eq!(csum_diff(&[], &a, 0).unwrap().to_ne_bytes(), [0xf2, 0x04]);
        // Pushing both buffers gives RFC 1071's folded sum.
        let ab = [a, b].concat();
        assert_eq!(csum_diff(&[], &ab, 0).unwrap().to_ne_bytes(), [0xdd, 0xf2]);
        // Diffing b against itself leaves the seed: 0x1234 in memory order.
        let seed = u16::from_ne_bytes([0x12, 0x34]) as u32;
        assert_eq!(csum_diff(&b, &b, seed).unwrap().to_ne_bytes(), [0x12, 0x34]);
        // Pulling a from the sum of a and b leaves the sum of b: f4f5 + f6f7 = 1ebec -> ebed.
        let sum_ab = csum_diff(&[], &ab, 0).unwrap() as u32;
        assert_eq!(
            csum_diff(&a, &[], sum_ab).unwrap().to_ne_bytes(),
            [0xeb, 0xed]
        );
        // a -> b: f4f5 + f6f7 - (0001 + f203) = ebed - f204 = ebed + 0dfb = f9e8.
        assert_eq!(csum_diff(&a, &b, 0).unwrap().to_ne_bytes(), [0xf9, 0xe8]);
        assert_eq!(csum_diff(&[], &[], 0x1_0002).unwrap(), 3);
        assert_eq!(csum_diff(&[1, 2], &[], 0), Err(errno::EINVAL));
        assert_eq!(csum_diff(&[0; 256], &[0; 260], 0), Err(errno::EINVAL));
        // 0 - 0 in one's complement is the negative zero, ffff.
        assert_eq!(csum_diff(&[0; 256], &[0; 256], 0), Ok(0xffff));
        // Through the helper, sizes in registers.
        // SAFETY: a and b are readable for their sizes; NULL goes with size 0.
        unsafe {
            let r = bpf_csum_diff(0, 0, ab.as_ptr() as u64, 8, 0, std::ptr::null_mut());
            assert_eq!((r as u16).to_ne_bytes(), [0xdd, 0xf2]);
            assert_eq!(r >> 16, 0);
            let r = bpf_csum_diff(a.as_ptr() as u64, 3, 0, 0, 0, std::ptr::null_mut());
            assert_eq!(r as i64, -22);
        }
    }

    #[test]
    fn rfc1624_example_replace2() {
        // RFC 1624 section 4: HC = dd2f, m = 5555 -> m' = 3285 gives HC' = 0000 by
        // equation 3, which is what csum_replace2 computes.
        let mut p = [0xdd, 0x2f, 0, 0];
        l3_csum_replace(&mut p, 0, wire16(0x55, 0x55), wire16(0x32, 0x85), 2).unwrap();
        assert_eq!(p[..2], [0x00, 0x00]);
    }

    #[test]
    fn l3_replace_of_an_address_matches_the_recomputed_header() {
        // 45 00 00 73 00 00 40 00 40 11 [b8 61] c0 a8 00 01 c0 a8 00 c7: checksum b861.
        // With destination c0 a8 00 01 the words sum to 246d6, folded 46d8: checksum b927.
        let mut h = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        let (old, new) = ([0xc0, 0xa8, 0x00, 0xc7], [0xc0, 0xa8, 0x00, 0x01]);
        l3_csum_replace(&mut h, 10, wire32(old), wire32(new), 4).unwrap();
        assert_eq!(h[10..12], [0xb9, 0x27]);
        // Back again, through a checksum difference (size 0).
        let diff = csum_diff(&new, &old, 0).unwrap() as u64;
        l3_csum_replace(&mut h, 10, 0, diff, 0).unwrap();
        assert_eq!(h[10..12], [0xb8, 0x61]);
    }

    #[test]
    fn replace_errors_are_linuxs() {
        let mut p = [0u8; 6];
        let mut meta = SkbMeta::default();
        assert_eq!(l3_csum_replace(&mut p, 5, 0, 0, 2), Err(errno::EFAULT));
        assert_eq!(l3_csum_replace(&mut p, 6, 0, 0, 2), Err(errno::EFAULT));
        assert_eq!(
            l3_csum_replace(&mut p, 0x10000, 0, 0, 2),
            Err(errno::EFAULT)
        );
        assert_eq!(l3_csum_replace(&mut p, 4, 0, 0, 3), Err(errno::EINVAL));
        assert_eq!(l3_csum_replace(&mut p, 4, 1, 0, 0), Err(errno::EINVAL));
        assert_eq!(
            l3_csum_replace(&mut p, 4, 0, 0, flags::PSEUDO_HDR | 2),
            Err(errno::EINVAL)
        );
        assert_eq!(
            l4_csum_replace(&mut p, &mut meta, 4, 0, 0, 1 << 8),
            Err(errno::EINVAL)
        );
        assert_eq!(
            l4_csum_replace(&mut p, &mut meta, 6, 0, 0, 2),
            Err(errno::EFAULT)
        );
        assert_eq!(
            l4_csum_replace(&mut p, &mut meta, 4, 9, 0, 0),
            Err(errno::EINVAL)
        );
        assert_eq!(p, [0; 6]);
    }

    #[test]
    fn mangled_zero_marks_and_skips_udp_checksums() {
        let mut meta = SkbMeta::default();
        // A zero UDP checksum (none) stays zero without MARK_ENFORCE...
        let mut p = [0u8; 2];
        let f = flags::MARK_MANGLED_0 | 2;
        l4_csum_replace(&mut p, &mut meta, 0, wire16(0, 1), wire16(0, 2), f).unwrap();
        assert_eq!(p, [0, 0]);
        // ...and a result of zero is written as ffff. ~(~fffe + ~0001 + 0000) = 0000.
        let mut p = [0xff, 0xfe];
        l4_csum_replace(&mut p, &mut meta, 0, wire16(0, 1), 0, f).unwrap();
        assert_eq!(p, [0xff, 0xff]);
        // With MARK_ENFORCE a zero checksum is updated: ~(~0000 + ~0001 + 0002) = fffe.
        let mut p = [0u8; 2];
        let f = f | flags::MARK_ENFORCE;
        l4_csum_replace(&mut p, &mut meta, 0, wire16(0, 1), wire16(0, 2), f).unwrap();
        assert_eq!(p, [0xff, 0xfe]);
    }

    #[test]
    fn pseudo_header_changes_follow_the_checksum_state() {
        let from = wire32([10, 0, 0, 1]);
        let to = wire32([10, 0, 0, 2]);
        // CHECKSUM_PARTIAL: the field holds the uncomplemented pseudo sum, which moves by
        // +1 (0x1234 -> 0x1235); a non-pseudo change leaves it alone.
        let mut meta = SkbMeta {
            checksum: IpSummed::Partial,
            ..SkbMeta::default()
        };
        let mut p = [0x12, 0x34];
        l4_csum_replace(&mut p, &mut meta, 0, from, to, flags::PSEUDO_HDR | 4).unwrap();
        assert_eq!(p, [0x12, 0x35]);
        l4_csum_replace(&mut p, &mut meta, 0, from, to, 4).unwrap();
        assert_eq!(p, [0x12, 0x35]);
        // CHECKSUM_COMPLETE: the field falls by 1, and so does skb->csum, the packet's sum
        // (the pseudo header is not in the packet, the field is).
        let mut meta = SkbMeta {
            checksum: IpSummed::Complete {
                csum: u16::from_ne_bytes([0x40, 0x00]) as u32,
            },
            ..SkbMeta::default()
        };
        let mut p = [0x12, 0x34];
        l4_csum_replace(&mut p, &mut meta, 0, from, to, flags::PSEUDO_HDR | 4).unwrap();
        assert_eq!(p, [0x12, 0x33]);
        let IpSummed::Complete { csum } = meta.checksum else {
            panic!()
        };
        assert_eq!(csum_from32to16(csum).to_ne_bytes(), [0x3f, 0xff]);
        // BPF_F_IPV6 with a difference leaves skb->csum alone.
        let diff = csum_diff(&[10, 0, 0, 2], &[10, 0, 0, 1], 0).unwrap() as u64;
        let f = flags::PSEUDO_HDR | flags::IPV6;
        l4_csum_replace(&mut p, &mut meta, 0, 0, diff, f).unwrap();
        assert_eq!(p, [0x12, 0x34]);
        assert_eq!(meta.checksum, IpSummed::Complete { csum });
    }

    #[test]
    fn csum_update_and_level_by_hand() {
        let mut meta = SkbMeta::default();
        assert_eq!(csum_update(&mut meta, 5), Err(errno::ENOTSUPP));
        meta.checksum = IpSummed::Complete { csum: 0xffff_0000 };
        // ffff0000 + 00010000 carries out: 00000000 + 1.
        assert_eq!(csum_update(&mut meta, 0x0001_0000), Ok(1));
        assert_eq!(meta.checksum, IpSummed::Complete { csum: 1 });
        // csum_level: NONE -> UNNECESSARY(0) -> 1 -> 2 -> 3 -> 3 (capped).
        let mut meta = SkbMeta::default();
        assert_eq!(csum_level(&mut meta, level::QUERY), Err(errno::EACCES));
        for want in [0, 1, 2, 3, 3] {
            assert_eq!(csum_level(&mut meta, level::INC), Ok(0));
            assert_eq!(csum_level(&mut meta, level::QUERY), Ok(want));
        }
        assert_eq!(csum_level(&mut meta, level::DEC), Ok(0));
        assert_eq!(meta.checksum, IpSummed::Unnecessary { level: 2 });
        assert_eq!(csum_level(&mut meta, level::RESET), Ok(0));
        assert_eq!(meta.checksum, IpSummed::None);
        assert_eq!(csum_level(&mut meta, level::DEC), Ok(0));
        assert_eq!(meta.checksum, IpSummed::None);
        meta.checksum = IpSummed::Unnecessary { level: 0 };
        csum_level(&mut meta, level::DEC).unwrap();
        assert_eq!(meta.checksum, IpSummed::None);
        // COMPLETE is neither raised nor reset.
        meta.checksum = IpSummed::Complete { csum: 7 };
        csum_level(&mut meta, level::INC).unwrap();
        csum_level(&mut meta, level::RESET).unwrap();
        assert_eq!(meta.checksum, IpSummed::Complete { csum: 7 });
        assert_eq!(csum_level(&mut meta, 4), Err(errno::EINVAL));
    }

    /// RFC 1071 written the plain way, big-endian words, for the differential test.
    fn reference_sum(chunks: &[&[u8]]) -> u32 {
        let bytes: Vec<u8> = chunks.concat();
        let mut sum: u64 = 0;
        for w in bytes.chunks(2) {
            sum += ((w[0] as u64) << 8) | *w.get(1).unwrap_or(&0) as u64;
        }
        while sum >> 16 != 0 {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        sum as u32
    }

    /// Writes the IPv4 header and TCP checksums of `p` (20-byte IP header, then TCP).
    fn recompute(p: &mut [u8]) {
        p[10..12].fill(0);
        let ip = !reference_sum(&[&p[..20]]) as u16;
        p[10..12].copy_from_slice(&ip.to_be_bytes());
        p[36..38].fill(0);
        let len = (p.len() - 20) as u16;
        let pseudo = [&p[12..20], &[0, 6], &len.to_be_bytes()[..]].concat();
        let tcp = !reference_sum(&[&pseudo, &p[20..]]) as u16;
        p[36..38].copy_from_slice(&tcp.to_be_bytes());
    }

    /// Equal as checksums: the same, or the two forms of zero.
    fn same_checksum(a: &[u8], b: &[u8]) -> bool {
        let zeros = |x: &[u8]| x == [0, 0] || x == [0xff, 0xff];
        a == b || (zeros(a) && zeros(b))
    }

    fn mod_ffff(sum: u32) -> u16 {
        match csum_from32to16(sum) {
            0xffff => 0,
            s => s,
        }
    }

    #[test]
    fn incremental_updates_match_full_recomputation_on_random_packets() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..2000 {
            let payload = (next() % 48) as usize;
            let mut p: Vec<u8> = (0..40 + payload).map(|_| next() as u8).collect();
            p[0] = 0x45;
            p[9] = 6;
            recompute(&mut p);
            let mut meta = SkbMeta {
                checksum: IpSummed::Complete {
                    csum: csum_partial(&p, 0),
                },
                ..SkbMeta::default()
            };
            for _ in 0..4 {
                let before = p.clone();
                match next() % 4 {
                    // A new source address: IP and TCP (pseudo header) checksums.
                    0 => {
                        let new: [u8; 4] = (next() as u32).to_ne_bytes();
                        let old: [u8; 4] = p[12..16].try_into().unwrap();
                        p[12..16].copy_from_slice(&new);
                        l3_csum_replace(&mut p, 10, wire32(old), wire32(new), 4).unwrap();
                        let f = flags::PSEUDO_HDR | 4;
                        l4_csum_replace(&mut p, &mut meta, 36, wire32(old), wire32(new), f)
                            .unwrap();
                    }
                    // A new destination port.
                    1 => {
                        let new = next() as u16;
                        let old = u16::from_ne_bytes([p[22], p[23]]);
                        p[22..24].copy_from_slice(&new.to_ne_bytes());
                        l4_csum_replace(&mut p, &mut meta, 36, old as u64, new as u64, 2).unwrap();
                    }
                    // New TTL and protocol word (the protocol stays TCP).
                    2 => {
                        let old = u16::from_ne_bytes([p[8], p[9]]);
                        p[8] = next() as u8;
                        let new = u16::from_ne_bytes([p[8], p[9]]);
                        l3_csum_replace(&mut p, 10, old as u64, new as u64, 2).unwrap();
                    }
                    // Eight new bytes of TCP header (sequence and ack), by csum_diff.
                    _ => {
                        let old = p[24..32].to_vec();
                        let new: Vec<u8> = (0..8).map(|_| next() as u8).collect();
                        p[24..32].copy_from_slice(&new);
                        let diff = csum_diff(&old, &new, 0).unwrap() as u64;
                        l4_csum_replace(&mut p, &mut meta, 36, 0, diff, 0).unwrap();
                    }
                }
                let mut full = p.clone();
                recompute(&mut full);
                let at = format!("round {round}: {before:02x?} -> {p:02x?}");
                assert!(same_checksum(&p[10..12], &full[10..12]), "IP {at}");
                assert!(same_checksum(&p[36..38], &full[36..38]), "TCP {at}");
                let IpSummed::Complete { csum } = meta.checksum else {
                    panic!()
                };
                assert_eq!(
                    mod_ffff(csum),
                    mod_ffff(csum_partial(&p, 0)),
                    "skb csum {at}"
                );
            }
        }
    }
}
