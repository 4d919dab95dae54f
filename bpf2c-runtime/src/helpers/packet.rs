//! The XDP helpers that move a packet's bounds within its frame: `bpf_xdp_adjust_head`,
//! `bpf_xdp_adjust_tail` and `bpf_xdp_adjust_meta`, with the limits of net/core/filter.c.
//!
//! Each reaches the run's [`Packet`] through the run state, and moves the bounds in the
//! program's context (`bpf2c_xdp_context_t`); the run copies them back into the packet when
//! the program returns. A run without a packet (`run_with_context`) gets -EINVAL.

use crate::ffi::{bpf2c_invocation_t, bpf2c_xdp_context_t, BPF2C_MAX_XDP_PACKET};
use crate::instance::RunState;
use crate::packet::{Packet, ETH_HLEN};

pub(crate) use super::errno;

/// r0 for a failure: -errno as a u64.
pub(crate) fn fail(e: i64) -> u64 {
    errno::neg(e)
}

/// The largest metadata area: `xdp_metalen_invalid` allows up to the u8 `meta_len` of
/// `struct skb_shared_info` (255), in multiples of 4.
pub const XDP_MAX_META: usize = 252;

/// The run's packet, when it has one.
///
/// # Safety
/// `inv` is the run's invocation (the helper contract); the packet it names is the one the
/// run method lent the run, which nothing else touches while the helper runs.
pub(crate) unsafe fn run_packet<'a>(inv: *mut bpf2c_invocation_t) -> Option<&'a mut Packet> {
    // SAFETY: the helper contract.
    let state = unsafe { RunState::from_invocation(inv) }?;
    // SAFETY: NULL or the packet the run method holds a unique borrow of for the run.
    unsafe { state.packet.get().as_mut() }
}

/// The XDP context and the packet behind it, or None when the run has no packet.
///
/// # Safety
/// As [`run_packet`]; `ctx` is the program's context pointer, which the verifier proved to
/// be the run's context (a `bpf2c_xdp_context_t` for XDP programs).
unsafe fn xdp<'a>(
    ctx: u64,
    inv: *mut bpf2c_invocation_t,
) -> Option<(&'a mut bpf2c_xdp_context_t, &'a mut Packet)> {
    // SAFETY: the run's context (this function's contract), alive for the run.
    let ctx = unsafe { (ctx as *mut bpf2c_xdp_context_t).as_mut() }?;
    // SAFETY: this function's contract.
    let packet = unsafe { run_packet(inv) }?;
    Some((ctx, packet))
}

/// Bounds as offsets in the frame: (meta, data, end).
fn offsets(ctx: &bpf2c_xdp_context_t, packet: &Packet) -> Option<(usize, usize, usize)> {
    Some((
        packet.offset_of(ctx.data_meta)?,
        packet.offset_of(ctx.data)?,
        packet.offset_of(ctx.data_end)?,
    ))
}

/// `bpf_xdp_adjust_head(xdp_md, delta)`: moves the packet's start by `delta` bytes (negative
/// grows it into the headroom, whose new bytes keep what the frame held), carrying the
/// metadata along. -EINVAL when the metadata would reach the kernel's `xdp_frame` at the
/// start of the frame or fewer than 14 bytes (ETH_HLEN) would remain.
pub(crate) unsafe extern "C" fn xdp_adjust_head(
    ctx: u64,
    delta: u64,
    _: u64,
    _: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: the helper contract: r1 is the run's XDP context.
    let Some((ctx, packet)) = (unsafe { xdp(ctx, inv) }) else {
        return fail(errno::EINVAL);
    };
    let Some((meta, data, end)) = offsets(ctx, packet) else {
        return fail(errno::EINVAL);
    };
    let delta = delta as i32 as i64;
    let metalen = data - meta;
    let new_data = data as i64 + delta;
    let lowest = (packet.reserved() + metalen) as i64;
    if new_data < lowest || new_data > end as i64 - ETH_HLEN as i64 {
        return fail(errno::EINVAL);
    }
    let new_data = new_data as usize;
    let new_meta = new_data - metalen;
    if metalen > 0 {
        packet
            .frame_mut()
            .copy_within(meta..meta + metalen, new_meta);
    }
    ctx.data = packet.address(new_data);
    ctx.data_meta = packet.address(new_meta);
    0
}

/// `bpf_xdp_adjust_tail(xdp_md, delta)`: moves the packet's end by `delta` bytes. Growth
/// is zero-filled and stops at the frame's tailroom; the packet keeps at least 14 bytes.
/// -EINVAL beyond either limit.
pub(crate) unsafe extern "C" fn xdp_adjust_tail(
    ctx: u64,
    delta: u64,
    _: u64,
    _: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: the helper contract: r1 is the run's XDP context.
    let Some((ctx, packet)) = (unsafe { xdp(ctx, inv) }) else {
        return fail(errno::EINVAL);
    };
    let Some((_, data, end)) = offsets(ctx, packet) else {
        return fail(errno::EINVAL);
    };
    let delta = delta as i32 as i64;
    let new_end = end as i64 + delta;
    let hard_end = packet.frame_mut().len() as i64;
    if new_end > hard_end
        || new_end < (data + ETH_HLEN) as i64
        // The verifier proved every packet access against this bound.
        || new_end - data as i64 > BPF2C_MAX_XDP_PACKET as i64
    {
        return fail(errno::EINVAL);
    }
    let new_end = new_end as usize;
    if new_end > end {
        packet.frame_mut()[end..new_end].fill(0);
    }
    ctx.data_end = packet.address(new_end);
    0
}

/// `bpf_xdp_adjust_meta(xdp_md, delta)`: moves the start of the metadata by `delta` bytes
/// (negative grows it). -EINVAL when it would reach the kernel's `xdp_frame` or pass the
/// data; -EACCES when the area's size is not a multiple of 4 or above 252 bytes.
pub(crate) unsafe extern "C" fn xdp_adjust_meta(
    ctx: u64,
    delta: u64,
    _: u64,
    _: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: the helper contract: r1 is the run's XDP context.
    let Some((ctx, packet)) = (unsafe { xdp(ctx, inv) }) else {
        return fail(errno::EINVAL);
    };
    let Some((meta, data, _)) = offsets(ctx, packet) else {
        return fail(errno::EINVAL);
    };
    let new_meta = meta as i64 + delta as i32 as i64;
    if new_meta < packet.reserved() as i64 || new_meta > data as i64 {
        return fail(errno::EINVAL);
    }
    let metalen = data - new_meta as usize;
    if !metalen.is_multiple_of(4) || metalen > XDP_MAX_META {
        return fail(errno::EACCES);
    }
    ctx.data_meta = packet.address(new_meta as usize);
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::helpers::testing::call;

    fn xdp_ctx(packet: &mut Packet) -> bpf2c_xdp_context_t {
        let (meta, data, end) = packet.bounds();
        bpf2c_xdp_context_t {
            data: packet.address(data),
            data_end: packet.address(end),
            data_meta: packet.address(meta),
            ..Default::default()
        }
    }

    #[test]
    fn adjust_head_carries_the_metadata_and_counts_it_against_the_headroom() {
        let bytes: Vec<u8> = (0..20).collect();
        let mut p = Packet::new(&bytes);
        let mut ctx = xdp_ctx(&mut p);
        assert_eq!(
            call(xdp_adjust_meta, &mut ctx, &mut p, [(-8i64) as u64, 0, 0, 0]),
            0
        );
        let meta_at = p.offset_of(ctx.data_meta).unwrap();
        p.frame_mut()[meta_at..meta_at + 8].copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        // 256 - 40 - 8 bytes of headroom remain for the data.
        let too_far = (-209i64) as u64;
        assert_eq!(
            call(xdp_adjust_head, &mut ctx, &mut p, [too_far, 0, 0, 0]),
            -22
        );
        assert_eq!(
            call(
                xdp_adjust_head,
                &mut ctx,
                &mut p,
                [(-208i64) as u64, 0, 0, 0]
            ),
            0
        );
        let (meta, data, end) = (
            p.offset_of(ctx.data_meta).unwrap(),
            p.offset_of(ctx.data).unwrap(),
            p.offset_of(ctx.data_end).unwrap(),
        );
        assert_eq!((meta, data, end), (40, 48, 276));
        assert_eq!(&p.frame_mut()[40..48], &[1, 2, 3, 4, 5, 6, 7, 8]);
        // Shrinking moves it forward again.
        assert_eq!(call(xdp_adjust_head, &mut ctx, &mut p, [100, 0, 0, 0]), 0);
        let meta = p.offset_of(ctx.data_meta).unwrap();
        assert_eq!(meta, 140);
        assert_eq!(&p.frame_mut()[140..148], &[1, 2, 3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn a_context_outside_the_runs_frame_gets_einval() {
        // A context the host built itself (run_with_context), pointing at no frame.
        let mut ctx = bpf2c_xdp_context_t::default();
        let mut elsewhere = Packet::with_room(&[0; 14], 0, 0);
        for helper in [xdp_adjust_head, xdp_adjust_tail, xdp_adjust_meta] {
            assert_eq!(call(helper, &mut ctx, &mut elsewhere, [0; 4]), -22);
        }
    }
}
