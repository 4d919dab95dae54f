//! The checksum helpers: `bpf_csum_diff`, `bpf_l3_csum_replace`, `bpf_l4_csum_replace`,
//! `bpf_csum_update` and `bpf_csum_level`, computed as net/core/filter.c and
//! include/net/checksum.h compute them.
//!
//! Sums are Internet checksums (RFC 1071): one's-complement sums of 16-bit words as they lie
//! in memory, so a value read from the packet into a register and handed to a helper is
//! summed exactly as the bytes are. The arithmetic is Linux's, operation for operation,
//! including where a 16-bit and a 32-bit computation could differ in how they write zero.

use super::skb::{self, errno, IpSummed, SkbMeta, SKB_MAX_CSUM_LEVEL};
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
