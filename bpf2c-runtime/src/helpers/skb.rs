//! The socket-buffer helpers of tc programs that read, write and resize the packet:
//! `bpf_skb_load_bytes`, `bpf_skb_store_bytes`, `bpf_skb_pull_data`, `bpf_skb_change_head`,
//! `bpf_skb_change_tail`, `bpf_skb_adjust_room`, `bpf_skb_change_proto`,
//! `bpf_skb_change_type`, `bpf_skb_vlan_push` and `bpf_skb_vlan_pop`, each with the checks and
//! return values of net/core/filter.c.
//!
//! They work on the program's `bpf2c_skb_context_t` and the run's [`Packet`]: the packet
//! bytes live in the packet's frame, which the helpers grow (reallocating it, as Linux
//! reallocates a socket buffer) when the headroom or tailroom is short; afterwards they
//! point the context's data, data_end and data_meta at the new bounds and set its len. The
//! verifier makes programs reload packet pointers after each of these calls. The metadata
//! area stays just before the data.

use crate::ffi::{bpf2c_invocation_t, bpf2c_skb_context_t};
use crate::packet::Packet;

use super::packet::{errno, fail, run_packet};
use super::skb_meta::{with_meta, IpSummed};

/// `BPF_SKB_MAX_LEN` (`SKB_MAX_ALLOC`): 16 KiB less the kernel's `skb_shared_info`.
pub const BPF_SKB_MAX_LEN: usize = 16384 - 320;

const ETH_P_IP: u16 = 0x0800;
const ETH_P_IPV6: u16 = 0x86dd;
const ETH_P_8021Q: u16 = 0x8100;
const ETH_P_8021AD: u16 = 0x88a8;
const VLAN_HLEN: usize = 4;
const IPV4_HLEN: usize = 20;
const IPV6_HLEN: usize = 40;
/// `PACKET_OTHERHOST`, the largest packet type `bpf_skb_change_type` accepts.
const PACKET_OTHERHOST: u32 = 3;

/// `bpf_skb_store_bytes` flags.
pub const BPF_F_RECOMPUTE_CSUM: u64 = 1;
pub const BPF_F_INVALIDATE_HASH: u64 = 2;

/// `bpf_skb_adjust_room` modes and flags.
pub const BPF_ADJ_ROOM_NET: u64 = 0;
pub const BPF_ADJ_ROOM_MAC: u64 = 1;
pub const BPF_F_ADJ_ROOM_FIXED_GSO: u64 = 1 << 0;
pub const BPF_F_ADJ_ROOM_ENCAP_L3_IPV4: u64 = 1 << 1;
pub const BPF_F_ADJ_ROOM_ENCAP_L3_IPV6: u64 = 1 << 2;
pub const BPF_F_ADJ_ROOM_ENCAP_L4_GRE: u64 = 1 << 3;
pub const BPF_F_ADJ_ROOM_ENCAP_L4_UDP: u64 = 1 << 4;
pub const BPF_F_ADJ_ROOM_NO_CSUM_RESET: u64 = 1 << 5;
pub const BPF_F_ADJ_ROOM_ENCAP_L2_ETH: u64 = 1 << 6;
pub const BPF_F_ADJ_ROOM_DECAP_L3_IPV4: u64 = 1 << 7;
pub const BPF_F_ADJ_ROOM_DECAP_L3_IPV6: u64 = 1 << 8;
/// `BPF_F_ADJ_ROOM_ENCAP_L2(len)`: the inner MAC header's length, in the top byte.
pub const BPF_ADJ_ROOM_ENCAP_L2_SHIFT: u32 = 56;
const ENCAP_L3_MASK: u64 = BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_ENCAP_L3_IPV6;
const DECAP_L3_MASK: u64 = BPF_F_ADJ_ROOM_DECAP_L3_IPV4 | BPF_F_ADJ_ROOM_DECAP_L3_IPV6;
/// `BPF_F_ADJ_ROOM_MASK | BPF_F_ADJ_ROOM_NO_CSUM_RESET`: every flag the helper knows.
const ADJ_ROOM_KNOWN: u64 = BPF_F_ADJ_ROOM_FIXED_GSO
    | ENCAP_L3_MASK
    | BPF_F_ADJ_ROOM_ENCAP_L4_GRE
    | BPF_F_ADJ_ROOM_ENCAP_L4_UDP
    | BPF_F_ADJ_ROOM_ENCAP_L2_ETH
    | (0xff << BPF_ADJ_ROOM_ENCAP_L2_SHIFT)
    | DECAP_L3_MASK
    | BPF_F_ADJ_ROOM_NO_CSUM_RESET;

/// An ethertype as `__sk_buff.protocol` and `vlan_proto` hold it: network byte order in
/// the low 16 bits.
fn be16(ethertype: u16) -> u32 {
    u32::from(ethertype.to_be())
}

/// The program's skb context and the run's packet, synchronised.
pub(crate) struct Skb<'a> {
    pub ctx: &'a mut bpf2c_skb_context_t,
    pub packet: &'a mut Packet,
}

impl<'a> Skb<'a> {
    /// The context in r1 and the run's packet; None when the run has no packet.
    ///
    /// # Safety
    /// `ctx` is the run's `bpf2c_skb_context_t` (the verifier proved r1 is the context) and
    /// `inv` the run's invocation (the helper contract).
    pub unsafe fn from_call(ctx: u64, inv: *mut bpf2c_invocation_t) -> Option<Skb<'a>> {
        // SAFETY: this function's contract.
        let ctx = unsafe { (ctx as *mut bpf2c_skb_context_t).as_mut() }?;
        // SAFETY: this function's contract.
        let packet = unsafe { run_packet(inv) }?;
        // The context's pointers are the truth during a run; the packet follows them.
        if !adopt_bounds(ctx, packet) {
            return None;
        }
        Some(Skb { ctx, packet })
    }

    /// Points the context at the packet's bounds.
    fn publish(&mut self) {
        publish(self.ctx, self.packet);
    }

    fn len(&self) -> usize {
        self.packet.len()
    }

    /// Inserts `len` zero bytes `at` bytes into the packet (`bpf_skb_generic_push`): the
    /// bytes before `at`, and the metadata, move `len` bytes towards the head.
    fn insert(&mut self, at: usize, len: usize) {
        self.packet.reserve_room(len, 0);
        let (meta, data, end) = self.packet.bounds();
        let frame = self.packet.frame_mut();
        frame.copy_within(meta..data + at, meta - len);
        frame[data + at - len..data + at].fill(0);
        self.packet.set_bounds(meta - len, data - len, end);
    }

    /// Removes `len` bytes `at` bytes into the packet (`bpf_skb_generic_pop`); the caller
    /// checked `at + len <= len()`.
    fn remove(&mut self, at: usize, len: usize) {
        let (meta, data, end) = self.packet.bounds();
        self.packet
            .frame_mut()
            .copy_within(meta..data + at, meta + len);
        self.packet.set_bounds(meta + len, data + len, end);
    }

    /// Sets the packet's length, zero-filling growth.
    fn resize(&mut self, new_len: usize) {
        let len = self.len();
        if new_len > len {
            self.packet.reserve_room(0, new_len - len);
        }
        let (meta, data, end) = self.packet.bounds();
        if new_len > len {
            self.packet.frame_mut()[end..data + new_len].fill(0);
        }
        self.packet.set_bounds(meta, data, data + new_len);
    }

    fn network_offset(&self) -> usize {
        self.packet.skb.network_offset as usize
    }
}

/// Moves a packet's bounds to where an skb context points (what a run does when the
/// program returns); false, leaving the packet alone, when they are not inside its frame.
pub(crate) fn adopt_bounds(ctx: &bpf2c_skb_context_t, packet: &mut Packet) -> bool {
    let bounds = (
        packet.offset_of(ctx.data_meta),
        packet.offset_of(ctx.data),
        packet.offset_of(ctx.data_end),
    );
    match bounds {
        (Some(meta), Some(data), Some(end)) if meta <= data && data <= end => {
            packet.set_bounds(meta, data, end);
            true
        }
        _ => false,
    }
}

/// Points an skb context at a packet's bounds and sets its len: how an skb run sets up its
/// context over a [`Packet`] (with `RunState::packet` set to it), and what every resize
/// helper does after changing the packet.
pub(crate) fn publish(ctx: &mut bpf2c_skb_context_t, packet: &mut Packet) {
    let (meta, data, end) = packet.bounds();
    ctx.data_meta = packet.address(meta);
    ctx.data = packet.address(data);
    ctx.data_end = packet.address(end);
    ctx.len = (end - data) as u32;
}

/// Runs `op` on the call's skb and publishes the result; -EINVAL without a packet.
///
/// # Safety
/// As [`Skb::from_call`].
unsafe fn with_skb(
    ctx: u64,
    inv: *mut bpf2c_invocation_t,
    op: impl FnOnce(&mut Skb) -> u64,
) -> u64 {
    // SAFETY: this function's contract.
    let Some(mut skb) = (unsafe { Skb::from_call(ctx, inv) }) else {
        return fail(errno::EINVAL);
    };
    let r0 = op(&mut skb);
    skb.publish();
    r0
}

/// `bpf_skb_load_bytes(skb, offset, to, len)`: copies packet bytes; -EFAULT, with `to`
/// zeroed, when they are not all in the packet.
pub(crate) unsafe extern "C" fn skb_load_bytes(
    ctx: u64,
    offset: u64,
    to: u64,
    len: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    let (offset, len) = (offset as u32 as usize, len as u32 as usize);
    let to = to as *mut u8;
    // SAFETY: the helper contract: r1 the context, r3 writable for r4 bytes.
    unsafe {
        with_skb(ctx, inv, |skb| {
            if offset > i32::MAX as usize || offset + len > skb.len() {
                std::ptr::write_bytes(to, 0, len);
                return fail(errno::EFAULT);
            }
            let (_, data, _) = skb.packet.bounds();
            let src = skb.packet.frame_mut()[data + offset..].as_ptr();
            std::ptr::copy(src, to, len);
            0
        })
    }
}

/// `bpf_skb_store_bytes(skb, offset, from, len, flags)`: writes packet bytes. -EINVAL for
/// flags other than BPF_F_RECOMPUTE_CSUM (accepted: no checksum state exists here) and
/// BPF_F_INVALIDATE_HASH (which clears `hash`); -EFAULT past the packet's end.
pub(crate) unsafe extern "C" fn skb_store_bytes(
    ctx: u64,
    offset: u64,
    from: u64,
    len: u64,
    flags: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    let (offset, len) = (offset as u32 as usize, len as u32 as usize);
    let from = from as *const u8;
    // SAFETY: the helper contract: r1 the context, r3 readable for r4 bytes.
    unsafe {
        with_skb(ctx, inv, |skb| {
            if flags & !(BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH) != 0 {
                return fail(errno::EINVAL);
            }
            if offset > i32::MAX as usize || offset + len > skb.len() {
                return fail(errno::EFAULT);
            }
            let (_, data, _) = skb.packet.bounds();
            let dst = skb.packet.frame_mut()[data + offset..].as_mut_ptr();
            // `from` may point into the packet itself.
            std::ptr::copy(from, dst, len);
            if flags & BPF_F_INVALIDATE_HASH != 0 {
                skb.ctx.hash = 0;
            }
            0
        })
    }
}

/// `bpf_skb_pull_data(skb, len)`: makes the first `len` bytes directly accessible. The
/// packet here is always linear, so it succeeds unless `len` exceeds the packet (-ENOMEM).
pub(crate) unsafe extern "C" fn skb_pull_data(
    ctx: u64,
    len: u64,
    _: u64,
    _: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    let len = len as u32 as usize;
    // SAFETY: the helper contract: r1 is the context.
    unsafe {
        with_skb(ctx, inv, |skb| {
            if len > skb.len() {
                fail(errno::ENOMEM)
            } else {
                0
            }
        })
    }
}

/// `bpf_skb_change_head(skb, head_room, flags)`: prepends `head_room` zero bytes, which
/// become the new MAC header. -EINVAL for flags or a length beyond BPF_SKB_MAX_LEN.
pub(crate) unsafe extern "C" fn skb_change_head(
    ctx: u64,
    head_room: u64,
    flags: u64,
    _: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    let head_room = head_room as u32 as usize;
    // SAFETY: the helper contract: r1 is the context.
    unsafe {
        with_skb(ctx, inv, |skb| {
            let new_len = skb.len() + head_room;
            if flags != 0 || new_len > BPF_SKB_MAX_LEN {
                return fail(errno::EINVAL);
            }
            skb.insert(0, head_room);
            // skb_reset_mac_header: the network header stays where it was.
            skb.packet.skb.network_offset += head_room as u32;
            0
        })
    }
}

/// `bpf_skb_change_tail(skb, new_len, flags)`: trims the packet or zero-extends it to
/// `new_len`. -EINVAL for flags, beyond BPF_SKB_MAX_LEN, or shorter than the headers
/// before the network header (`__bpf_skb_min_len`).
pub(crate) unsafe extern "C" fn skb_change_tail(
    ctx: u64,
    new_len: u64,
    flags: u64,
    _: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    let new_len = new_len as u32 as usize;
    // SAFETY: the helper contract: r1 is the context.
    unsafe {
        with_skb(ctx, inv, |skb| {
            if flags != 0 || new_len > BPF_SKB_MAX_LEN || new_len < skb.network_offset() {
                return fail(errno::EINVAL);
            }
            skb.resize(new_len);
            0
        })
    }
}

/// `bpf_skb_change_type(skb, type)`: sets `pkt_type`; both the old and the new type must be
/// PACKET_HOST..PACKET_OTHERHOST (0..=3), else -EINVAL.
pub(crate) unsafe extern "C" fn skb_change_type(
    ctx: u64,
    pkt_type: u64,
    _: u64,
    _: u64,
    _: u64,
    _: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: the helper contract: r1 is the run's skb context.
    let Some(ctx) = (unsafe { (ctx as *mut bpf2c_skb_context_t).as_mut() }) else {
        return fail(errno::EINVAL);
    };
    let pkt_type = pkt_type as u32;
    if ctx.pkt_type > PACKET_OTHERHOST || pkt_type > PACKET_OTHERHOST {
        return fail(errno::EINVAL);
    }
    ctx.pkt_type = pkt_type;
    0
}

/// `bpf_skb_change_proto(skb, proto, flags)`: IPv4 to IPv6 inserts 20 zero bytes at the
/// network header (room for the larger header), IPv6 to IPv4 removes 20; `protocol` follows,
/// and the flow hash is cleared (`skb_clear_hash`: `hash` 0 and no longer valid), since the
/// flow's addresses change. -EINVAL for flags, -ENOTSUPP for any other pair, -ENOMEM when
/// the packet is too short.
pub(crate) unsafe extern "C" fn skb_change_proto(
    ctx: u64,
    proto: u64,
    flags: u64,
    _: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    let to = proto as u16 as u32;
    // SAFETY: the helper contract: r1 is the context.
    unsafe {
        with_skb(ctx, inv, |skb| {
            if flags != 0 {
                return fail(errno::EINVAL);
            }
            let off = skb.network_offset();
            let diff = IPV6_HLEN - IPV4_HLEN;
            let from = skb.ctx.protocol;
            if from == be16(ETH_P_IP) && to == be16(ETH_P_IPV6) {
                if off > skb.len() {
                    return fail(errno::ENOMEM);
                }
                skb.insert(off, diff);
            } else if from == be16(ETH_P_IPV6) && to == be16(ETH_P_IP) {
                if off + diff > skb.len() {
                    return fail(errno::ENOMEM);
                }
                skb.remove(off, diff);
            } else {
                return fail(errno::ENOTSUPP);
            }
            skb.ctx.protocol = to;
            // skb_clear_hash; `inv` is the run's invocation (the helper contract).
            skb.ctx.hash = 0;
            with_meta(inv, |meta| meta.hash_valid = Some(false));
            0
        })
    }
}

/// `bpf_skb_adjust_room(skb, len_diff, mode, flags)`: grows (zero bytes) or shrinks the
/// packet at the network header (BPF_ADJ_ROOM_MAC) or after the L3 header
/// (BPF_ADJ_ROOM_NET), for IPv4 and IPv6 packets only. On success, unless
/// BPF_F_ADJ_ROOM_NO_CSUM_RESET is set, checksums the device verified count no more
/// (`__skb_reset_checksum_unnecessary`: CHECKSUM_UNNECESSARY becomes CHECKSUM_NONE).
pub(crate) unsafe extern "C" fn skb_adjust_room(
    ctx: u64,
    len_diff: u64,
    mode: u64,
    flags: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    let len_diff = len_diff as i32;
    let mode = mode as u32 as u64;
    // SAFETY: the helper contract: r1 is the context.
    let r0 = unsafe { with_skb(ctx, inv, |skb| adjust_room(skb, len_diff, mode, flags)) };
    if r0 == 0 && flags & BPF_F_ADJ_ROOM_NO_CSUM_RESET == 0 {
        // SAFETY: the run's invocation (the helper contract).
        unsafe {
            with_meta(inv, |meta| {
                if let IpSummed::Unnecessary { .. } = meta.checksum {
                    meta.checksum = IpSummed::None;
                }
            })
        };
    }
    r0
}

fn adjust_room(skb: &mut Skb, len_diff: i32, mode: u64, flags: u64) -> u64 {
    let diff = len_diff.unsigned_abs() as usize;
    let shrink = len_diff < 0;
    let proto = skb.ctx.protocol;
    let net_base = if proto == be16(ETH_P_IP) {
        IPV4_HLEN
    } else if proto == be16(ETH_P_IPV6) {
        IPV6_HLEN
    } else {
        0
    };
    let mut len_min = net_base;
    if flags & !ADJ_ROOM_KNOWN != 0 {
        return fail(errno::EINVAL);
    }
    if diff > 0xfff {
        return fail(errno::EFAULT);
    }
    if net_base == 0 {
        return fail(errno::ENOTSUPP);
    }
    let mut off = skb.network_offset();
    match mode {
        BPF_ADJ_ROOM_NET => off += net_base,
        BPF_ADJ_ROOM_MAC => {}
        _ => return fail(errno::ENOTSUPP),
    }
    if flags & DECAP_L3_MASK != 0 {
        if !shrink {
            return fail(errno::EINVAL);
        }
        len_min = match flags & DECAP_L3_MASK {
            BPF_F_ADJ_ROOM_DECAP_L3_IPV4 => IPV4_HLEN,
            BPF_F_ADJ_ROOM_DECAP_L3_IPV6 => IPV6_HLEN,
            _ => return fail(errno::EINVAL),
        };
    }
    let len_cur = skb.len().saturating_sub(skb.network_offset());
    if (shrink && (diff >= len_cur || len_cur - diff < len_min))
        || (!shrink && skb.len() + diff > BPF_SKB_MAX_LEN)
    {
        return fail(errno::ENOTSUPP);
    }
    if shrink {
        shrink_room(skb, off, diff, flags)
    } else {
        grow_room(skb, off, diff, flags)
    }
}

/// `bpf_skb_net_shrink`.
fn shrink_room(skb: &mut Skb, off: usize, diff: usize, flags: u64) -> u64 {
    let allowed = BPF_F_ADJ_ROOM_FIXED_GSO | DECAP_L3_MASK | BPF_F_ADJ_ROOM_NO_CSUM_RESET;
    if flags & !allowed != 0 {
        return fail(errno::EINVAL);
    }
    if off + diff > skb.len() {
        return fail(errno::ENOMEM);
    }
    skb.remove(off, diff);
    if flags & BPF_F_ADJ_ROOM_DECAP_L3_IPV4 != 0 {
        skb.ctx.protocol = be16(ETH_P_IP);
    } else if flags & BPF_F_ADJ_ROOM_DECAP_L3_IPV6 != 0 {
        skb.ctx.protocol = be16(ETH_P_IPV6);
    }
    0
}

/// `bpf_skb_net_grow`, with the tunnel bookkeeping of the ENCAP flags.
fn grow_room(skb: &mut Skb, off: usize, diff: usize, flags: u64) -> u64 {
    let encap = flags & ENCAP_L3_MASK != 0;
    if encap {
        let inner_mac_len = ((flags >> BPF_ADJ_ROOM_ENCAP_L2_SHIFT) & 0xff) as usize;
        if flags & ENCAP_L3_MASK == ENCAP_L3_MASK
            || (flags & BPF_F_ADJ_ROOM_ENCAP_L4_GRE != 0
                && flags & BPF_F_ADJ_ROOM_ENCAP_L4_UDP != 0)
            || (flags & BPF_F_ADJ_ROOM_ENCAP_L2_ETH != 0 && inner_mac_len != 14)
        {
            return fail(errno::EINVAL);
        }
        if skb.packet.skb.encapsulation {
            return fail(errno::EALREADY);
        }
        if inner_mac_len > diff {
            return fail(errno::EINVAL);
        }
    }
    if off > skb.len() {
        return fail(errno::ENOMEM);
    }
    skb.insert(off, diff);
    if encap {
        skb.packet.skb.encapsulation = true;
        let proto = skb.ctx.protocol;
        if proto == be16(ETH_P_IP) && flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV6 != 0 {
            skb.ctx.protocol = be16(ETH_P_IPV6);
        } else if proto == be16(ETH_P_IPV6) && flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 != 0 {
            skb.ctx.protocol = be16(ETH_P_IP);
        }
    }
    0
}

fn is_vlan(proto: u32) -> bool {
    proto == be16(ETH_P_8021Q) || proto == be16(ETH_P_8021AD)
}

/// `bpf_skb_vlan_push(skb, vlan_proto, vlan_tci)`: the new tag goes where Linux keeps it,
/// outside the packet (vlan_present, vlan_tci, vlan_proto); a tag already there moves into
/// the packet, after the MAC addresses. A protocol other than 802.1Q or 802.1ad means 802.1Q.
pub(crate) unsafe extern "C" fn skb_vlan_push(
    ctx: u64,
    vlan_proto: u64,
    vlan_tci: u64,
    _: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    let mut proto = vlan_proto as u16 as u32;
    if !is_vlan(proto) {
        proto = be16(ETH_P_8021Q);
    }
    let tci = vlan_tci as u16;
    // SAFETY: the helper contract: r1 is the context.
    unsafe {
        with_skb(ctx, inv, |skb| {
            if skb.ctx.vlan_present != 0 {
                if skb.len() < 12 {
                    return fail(errno::ENOMEM);
                }
                // __vlan_insert_tag: the accelerated tag goes into the packet.
                skb.insert(12, VLAN_HLEN);
                let old_proto = skb.ctx.vlan_proto as u16;
                let old_tci = skb.ctx.vlan_tci as u16;
                let (_, data, _) = skb.packet.bounds();
                let tag = &mut skb.packet.frame_mut()[data + 12..data + 16];
                tag[..2].copy_from_slice(&old_proto.to_ne_bytes());
                tag[2..].copy_from_slice(&old_tci.to_be_bytes());
                skb.ctx.protocol = u32::from(old_proto);
                skb.packet.skb.network_offset += VLAN_HLEN as u32;
            }
            skb.ctx.vlan_present = 1;
            skb.ctx.vlan_proto = proto;
            skb.ctx.vlan_tci = u32::from(tci);
            0
        })
    }
}

/// `bpf_skb_vlan_pop(skb)`: removes the accelerated tag (or, without one, the tag in the
/// packet), then moves a tag still in the packet out of it. -ENOMEM when a tag in the
/// packet is cut short.
pub(crate) unsafe extern "C" fn skb_vlan_pop(
    ctx: u64,
    _: u64,
    _: u64,
    _: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: the helper contract: r1 is the context.
    unsafe {
        with_skb(ctx, inv, |skb| {
            if skb.ctx.vlan_present != 0 {
                skb.ctx.vlan_present = 0;
                skb.ctx.vlan_tci = 0;
                skb.ctx.vlan_proto = 0;
            } else {
                if !is_vlan(skb.ctx.protocol) {
                    return 0;
                }
                if let Err(e) = pop_packet_tag(skb) {
                    return fail(e);
                }
            }
            if !is_vlan(skb.ctx.protocol) {
                return 0;
            }
            let proto = skb.ctx.protocol;
            match pop_packet_tag(skb) {
                Ok(tci) => {
                    skb.ctx.vlan_present = 1;
                    skb.ctx.vlan_proto = proto;
                    skb.ctx.vlan_tci = u32::from(tci);
                    0
                }
                Err(e) => fail(e),
            }
        })
    }
}

/// `__skb_vlan_pop`: takes the tag after the MAC addresses out of the packet and returns
/// its TCI; `protocol` becomes the ethertype it carried (802.3 or 802.2 for a length).
fn pop_packet_tag(skb: &mut Skb) -> Result<u16, i64> {
    if skb.len() < 18 {
        return Err(errno::ENOMEM);
    }
    let (_, data, _) = skb.packet.bounds();
    let frame = skb.packet.frame_mut();
    let tci = u16::from_be_bytes([frame[data + 14], frame[data + 15]]);
    let inner = u16::from_be_bytes([frame[data + 16], frame[data + 17]]);
    skb.remove(12, VLAN_HLEN);
    // vlan_set_encap_proto: a length instead of an ethertype means 802.3 or 802.2, which
    // Linux tells apart by the packet's first two bytes (as it finds them after the pull).
    let (_, data, _) = skb.packet.bounds();
    let first = &skb.packet.frame_mut()[data..data + 2];
    skb.ctx.protocol = if inner >= 0x0600 {
        be16(inner)
    } else if first == [0xff, 0xff] {
        be16(0x0001) // ETH_P_802_3
    } else {
        be16(0x0004) // ETH_P_802_2
    };
    skb.packet.skb.network_offset = skb.packet.skb.network_offset.saturating_sub(4);
    Ok(tci)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::helpers::testing::call;

    const EINVAL: i64 = -22;
    const EFAULT: i64 = -14;
    const ENOMEM: i64 = -12;
    const ENOTSUPP: i64 = -524;
    const EALREADY: i64 = -114;

    /// Ethernet (MACs 1..=12, the given ethertype), then `rest`.
    fn frame(ethertype: u16, rest: &[u8]) -> Vec<u8> {
        let mut bytes: Vec<u8> = (1..=12).collect();
        bytes.extend_from_slice(&ethertype.to_be_bytes());
        bytes.extend_from_slice(rest);
        bytes
    }

    /// An IPv4 packet: a 20-byte header of bytes 0x40.. and an 8-byte payload of 0xe0...
    fn ipv4() -> Vec<u8> {
        let header: Vec<u8> = (0x40..0x54).collect();
        let payload: Vec<u8> = (0xe0..0xe8).collect();
        frame(ETH_P_IP, &[header, payload].concat())
    }

    /// A packet without room (so growth reallocates) and its context.
    fn setup(bytes: &[u8], ethertype: u16) -> (Packet, bpf2c_skb_context_t) {
        let mut packet = Packet::with_room(bytes, 0, 0);
        let mut ctx = bpf2c_skb_context_t {
            protocol: be16(ethertype),
            ..Default::default()
        };
        publish(&mut ctx, &mut packet);
        (packet, ctx)
    }

    fn check_published(packet: &mut Packet, ctx: &bpf2c_skb_context_t) {
        let (meta, data, end) = packet.bounds();
        assert_eq!(ctx.data, packet.address(data));
        assert_eq!(ctx.data_end, packet.address(end));
        assert_eq!(ctx.data_meta, packet.address(meta));
        assert_eq!(ctx.len as usize, end - data);
    }

    #[test]
    fn load_bytes_copies_or_zeroes_and_faults() {
        let (mut p, mut ctx) = setup(&ipv4(), ETH_P_IP);
        let mut buf = [0xffu8; 4];
        let to = buf.as_mut_ptr() as u64;
        assert_eq!(call(skb_load_bytes, &mut ctx, &mut p, [14, to, 4, 0]), 0);
        assert_eq!(buf, [0x40, 0x41, 0x42, 0x43]);
        // 42 bytes: offset 39 + 4 is past the end.
        assert_eq!(
            call(skb_load_bytes, &mut ctx, &mut p, [39, to, 4, 0]),
            EFAULT
        );
        assert_eq!(buf, [0; 4]);
        assert_eq!(call(skb_load_bytes, &mut ctx, &mut p, [38, to, 4, 0]), 0);
        assert_eq!(buf, [0xe4, 0xe5, 0xe6, 0xe7]);
    }

    #[test]
    fn store_bytes_writes_checks_flags_and_invalidates_the_hash() {
        let (mut p, mut ctx) = setup(&ipv4(), ETH_P_IP);
        ctx.hash = 77;
        let src = [9u8, 8];
        let from = src.as_ptr() as u64;
        assert_eq!(call(skb_store_bytes, &mut ctx, &mut p, [0, from, 2, 1]), 0);
        assert_eq!(&p.data()[..3], &[9, 8, 3]);
        assert_eq!(ctx.hash, 77);
        assert_eq!(call(skb_store_bytes, &mut ctx, &mut p, [40, from, 2, 2]), 0);
        assert_eq!(&p.data()[40..], &[9, 8]);
        assert_eq!(ctx.hash, 0);
        assert_eq!(
            call(skb_store_bytes, &mut ctx, &mut p, [41, from, 2, 0]),
            EFAULT
        );
        assert_eq!(
            call(skb_store_bytes, &mut ctx, &mut p, [0, from, 2, 4]),
            EINVAL
        );
        assert_eq!(p.len(), 42);
    }

    #[test]
    fn pull_data_succeeds_within_the_linear_packet() {
        let (mut p, mut ctx) = setup(&ipv4(), ETH_P_IP);
        assert_eq!(call(skb_pull_data, &mut ctx, &mut p, [42, 0, 0, 0]), 0);
        assert_eq!(call(skb_pull_data, &mut ctx, &mut p, [0, 0, 0, 0]), 0);
        assert_eq!(call(skb_pull_data, &mut ctx, &mut p, [43, 0, 0, 0]), ENOMEM);
    }

    #[test]
    fn change_head_prepends_zeros_up_to_the_maximum_length() {
        let bytes = ipv4();
        let (mut p, mut ctx) = setup(&bytes, ETH_P_IP);
        assert_eq!(call(skb_change_head, &mut ctx, &mut p, [4, 0, 0, 0]), 0);
        assert_eq!(p.data(), &[&[0u8; 4][..], &bytes].concat()[..]);
        assert_eq!(p.skb.network_offset, 18);
        check_published(&mut p, &ctx);
        assert_eq!(
            call(skb_change_head, &mut ctx, &mut p, [4, 1, 0, 0]),
            EINVAL
        );
        // 46 bytes now; BPF_SKB_MAX_LEN is 16064.
        let exact = (BPF_SKB_MAX_LEN - 46) as u64;
        assert_eq!(
            call(skb_change_head, &mut ctx, &mut p, [exact + 1, 0, 0, 0]),
            EINVAL
        );
        assert_eq!(call(skb_change_head, &mut ctx, &mut p, [exact, 0, 0, 0]), 0);
        assert_eq!(ctx.len, 16064);
        assert_eq!(&p.data()[16064 - 42..], &bytes[..]);
    }

    #[test]
    fn change_tail_trims_and_zero_extends_down_to_the_network_header() {
        let bytes = ipv4();
        let (mut p, mut ctx) = setup(&bytes, ETH_P_IP);
        assert_eq!(call(skb_change_tail, &mut ctx, &mut p, [50, 0, 0, 0]), 0);
        assert_eq!(p.data(), &[&bytes[..], &[0u8; 8]].concat()[..]);
        check_published(&mut p, &ctx);
        assert_eq!(call(skb_change_tail, &mut ctx, &mut p, [14, 0, 0, 0]), 0);
        assert_eq!(p.data(), &bytes[..14]);
        assert_eq!(
            call(skb_change_tail, &mut ctx, &mut p, [13, 0, 0, 0]),
            EINVAL
        );
        assert_eq!(
            call(skb_change_tail, &mut ctx, &mut p, [16065, 0, 0, 0]),
            EINVAL
        );
        assert_eq!(
            call(skb_change_tail, &mut ctx, &mut p, [20, 1, 0, 0]),
            EINVAL
        );
        assert_eq!(call(skb_change_tail, &mut ctx, &mut p, [16064, 0, 0, 0]), 0);
        assert_eq!(ctx.len, 16064);
    }

    #[test]
    fn change_type_allows_host_to_otherhost_only() {
        let (mut p, mut ctx) = setup(&ipv4(), ETH_P_IP);
        assert_eq!(call(skb_change_type, &mut ctx, &mut p, [3, 0, 0, 0]), 0);
        assert_eq!(ctx.pkt_type, 3);
        assert_eq!(
            call(skb_change_type, &mut ctx, &mut p, [4, 0, 0, 0]),
            EINVAL
        );
        ctx.pkt_type = 5; // PACKET_LOOPBACK: not one a program may change
        assert_eq!(
            call(skb_change_type, &mut ctx, &mut p, [0, 0, 0, 0]),
            EINVAL
        );
        assert_eq!(ctx.pkt_type, 5);
    }

    #[test]
    fn change_proto_makes_and_takes_room_for_the_ipv6_header() {
        let bytes = ipv4();
        let (mut p, mut ctx) = setup(&bytes, ETH_P_IP);
        let v6 = u64::from(ETH_P_IPV6.to_be());
        let v4 = u64::from(ETH_P_IP.to_be());
        assert_eq!(
            call(skb_change_proto, &mut ctx, &mut p, [v4, 0, 0, 0]),
            ENOTSUPP
        );
        ctx.hash = 0x1234;
        assert_eq!(
            call(skb_change_proto, &mut ctx, &mut p, [v6, 1, 0, 0]),
            EINVAL
        );
        assert_eq!(ctx.hash, 0x1234, "a refused change keeps the hash");
        assert_eq!(call(skb_change_proto, &mut ctx, &mut p, [v6, 0, 0, 0]), 0);
        assert_eq!(ctx.hash, 0, "skb_clear_hash: the flow changed");
        let grown = [&bytes[..14], &[0u8; 20], &bytes[14..]].concat();
        assert_eq!(p.data(), &grown[..]);
        assert_eq!(ctx.protocol, be16(ETH_P_IPV6));
        check_published(&mut p, &ctx);
        assert_eq!(call(skb_change_proto, &mut ctx, &mut p, [v4, 0, 0, 0]), 0);
        assert_eq!(p.data(), &bytes[..]);
        assert_eq!(ctx.protocol, be16(ETH_P_IP));
    }

    #[test]
    fn adjust_room_grows_and_shrinks_at_the_mac_or_network_header() {
        let bytes = ipv4();
        let (mut p, mut ctx) = setup(&bytes, ETH_P_IP);
        let mac = BPF_ADJ_ROOM_MAC;
        let net = BPF_ADJ_ROOM_NET;
        assert_eq!(call(skb_adjust_room, &mut ctx, &mut p, [8, mac, 0, 0]), 0);
        assert_eq!(
            p.data(),
            &[&bytes[..14], &[0u8; 8], &bytes[14..]].concat()[..]
        );
        assert_eq!(
            call(
                skb_adjust_room,
                &mut ctx,
                &mut p,
                [(-8i64) as u64, mac, 0, 0]
            ),
            0
        );
        assert_eq!(p.data(), &bytes[..]);
        // NET: after the 20-byte IPv4 header.
        assert_eq!(call(skb_adjust_room, &mut ctx, &mut p, [8, net, 0, 0]), 0);
        assert_eq!(
            p.data(),
            &[&bytes[..34], &[0u8; 8], &bytes[34..]].concat()[..]
        );
        assert_eq!(
            call(
                skb_adjust_room,
                &mut ctx,
                &mut p,
                [(-16i64) as u64, net, 0, 0]
            ),
            0
        );
        assert_eq!(p.data(), &bytes[..34]);
        check_published(&mut p, &ctx);
        // 20 bytes past the network header remain, the IPv4 minimum: no more shrinking.
        assert_eq!(
            call(
                skb_adjust_room,
                &mut ctx,
                &mut p,
                [(-1i64) as u64, mac, 0, 0]
            ),
            ENOTSUPP
        );
        assert_eq!(
            call(skb_adjust_room, &mut ctx, &mut p, [0x1000, mac, 0, 0]),
            EFAULT
        );
        assert_eq!(
            call(skb_adjust_room, &mut ctx, &mut p, [4, 2, 0, 0]),
            ENOTSUPP
        );
        assert_eq!(
            call(skb_adjust_room, &mut ctx, &mut p, [4, mac, 1 << 9, 0]),
            EINVAL
        );
        let decap = BPF_F_ADJ_ROOM_DECAP_L3_IPV4;
        assert_eq!(
            call(skb_adjust_room, &mut ctx, &mut p, [4, mac, decap, 0]),
            EINVAL
        );
        let (mut arp, mut arp_ctx) = setup(&frame(0x0806, &[0; 28]), 0x0806);
        assert_eq!(
            call(skb_adjust_room, &mut arp_ctx, &mut arp, [4, mac, 0, 0]),
            ENOTSUPP
        );
    }

    #[test]
    fn adjust_room_encapsulates_once_and_decapsulates_to_the_inner_protocol() {
        let bytes = ipv4();
        let (mut p, mut ctx) = setup(&bytes, ETH_P_IP);
        let mac = BPF_ADJ_ROOM_MAC;
        let both = ENCAP_L3_MASK;
        assert_eq!(
            call(skb_adjust_room, &mut ctx, &mut p, [20, mac, both, 0]),
            EINVAL
        );
        let eth_bad = BPF_F_ADJ_ROOM_ENCAP_L3_IPV4
            | BPF_F_ADJ_ROOM_ENCAP_L2_ETH
            | (10 << BPF_ADJ_ROOM_ENCAP_L2_SHIFT);
        assert_eq!(
            call(skb_adjust_room, &mut ctx, &mut p, [38, mac, eth_bad, 0]),
            EINVAL
        );
        let too_long = BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | (24 << BPF_ADJ_ROOM_ENCAP_L2_SHIFT);
        assert_eq!(
            call(skb_adjust_room, &mut ctx, &mut p, [20, mac, too_long, 0]),
            EINVAL
        );
        assert_eq!(p.data(), &bytes[..]);
        // IPv4 in IPv6: room for the outer header, and the protocol becomes IPv6.
        let v6_outer = BPF_F_ADJ_ROOM_ENCAP_L3_IPV6;
        assert_eq!(
            call(skb_adjust_room, &mut ctx, &mut p, [40, mac, v6_outer, 0]),
            0
        );
        assert_eq!(ctx.protocol, be16(ETH_P_IPV6));
        assert!(p.skb.encapsulation);
        assert_eq!(
            p.data(),
            &[&bytes[..14], &[0u8; 40], &bytes[14..]].concat()[..]
        );
        assert_eq!(
            call(skb_adjust_room, &mut ctx, &mut p, [8, mac, v6_outer, 0]),
            EALREADY
        );
        // Decapsulation back to IPv4: 40 bytes off, the IPv4 minimum checked.
        let decap = BPF_F_ADJ_ROOM_DECAP_L3_IPV4;
        assert_eq!(
            call(
                skb_adjust_room,
                &mut ctx,
                &mut p,
                [(-40i64) as u64, mac, decap, 0]
            ),
            0
        );
        assert_eq!(ctx.protocol, be16(ETH_P_IP));
        assert_eq!(p.data(), &bytes[..]);
        // 28 bytes past the network header; leaving fewer than 20 is refused.
        assert_eq!(
            call(
                skb_adjust_room,
                &mut ctx,
                &mut p,
                [(-9i64) as u64, mac, decap, 0]
            ),
            ENOTSUPP
        );
    }

    #[test]
    fn vlan_push_keeps_the_tag_outside_then_moves_it_into_the_packet() {
        let bytes = ipv4();
        let (mut p, mut ctx) = setup(&bytes, ETH_P_IP);
        let q = u64::from(ETH_P_8021Q.to_be());
        let ad = u64::from(ETH_P_8021AD.to_be());
        assert_eq!(call(skb_vlan_push, &mut ctx, &mut p, [q, 100, 0, 0]), 0);
        assert_eq!(
            (ctx.vlan_present, ctx.vlan_tci, ctx.vlan_proto),
            (1, 100, be16(0x8100))
        );
        assert_eq!(p.data(), &bytes[..]);
        // A second tag: the first goes into the packet after the MAC addresses.
        assert_eq!(call(skb_vlan_push, &mut ctx, &mut p, [ad, 200, 0, 0]), 0);
        let tagged = [&bytes[..12], &[0x81, 0x00, 0x00, 100], &bytes[12..]].concat();
        assert_eq!(p.data(), &tagged[..]);
        assert_eq!((ctx.vlan_tci, ctx.vlan_proto), (200, be16(0x88a8)));
        assert_eq!(ctx.protocol, be16(0x8100));
        assert_eq!(p.skb.network_offset, 18);
        check_published(&mut p, &ctx);
        // Pop: the accelerated tag goes, and the packet's tag takes its place.
        assert_eq!(call(skb_vlan_pop, &mut ctx, &mut p, [0; 4]), 0);
        assert_eq!(p.data(), &bytes[..]);
        assert_eq!(
            (ctx.vlan_present, ctx.vlan_tci, ctx.vlan_proto),
            (1, 100, be16(0x8100))
        );
        assert_eq!(ctx.protocol, be16(ETH_P_IP));
        assert_eq!(p.skb.network_offset, 14);
        assert_eq!(call(skb_vlan_pop, &mut ctx, &mut p, [0; 4]), 0);
        assert_eq!((ctx.vlan_present, ctx.vlan_tci, ctx.vlan_proto), (0, 0, 0));
        assert_eq!(call(skb_vlan_pop, &mut ctx, &mut p, [0; 4]), 0);
        assert_eq!(p.data(), &bytes[..]);
        // Any other protocol means 802.1Q.
        assert_eq!(call(skb_vlan_push, &mut ctx, &mut p, [0x1234, 7, 0, 0]), 0);
        assert_eq!(ctx.vlan_proto, be16(0x8100));
    }

    #[test]
    fn vlan_pop_takes_a_tag_out_of_the_packet_without_an_accelerated_one() {
        let inner = ipv4();
        let tagged = [&inner[..12], &[0x81, 0x00, 0x0f, 0xff], &inner[12..]].concat();
        let (mut p, mut ctx) = setup(&tagged, ETH_P_8021Q);
        assert_eq!(call(skb_vlan_pop, &mut ctx, &mut p, [0; 4]), 0);
        assert_eq!(p.data(), &inner[..]);
        assert_eq!(ctx.protocol, be16(ETH_P_IP));
        assert_eq!(ctx.vlan_present, 0);
        // A tag cut short cannot be popped.
        let (mut short, mut short_ctx) = setup(&tagged[..17], ETH_P_8021Q);
        assert_eq!(
            call(skb_vlan_pop, &mut short_ctx, &mut short, [0; 4]),
            ENOMEM
        );
    }
}
