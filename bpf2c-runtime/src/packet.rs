//! A packet buffer with room around the data, as a driver or the kernel's socket buffers
//! give it: headroom before the data (XDP_PACKET_HEADROOM, 256 bytes, by default), a
//! metadata area just before the data, and tailroom after it. Programs grow and shrink the
//! packet into that room with `bpf_xdp_adjust_head`/`_tail`/`_meta` and the skb resize
//! helpers, and the host reads the final packet and metadata afterwards.
//!
//! The layout is one byte vector, `frame`:
//!
//! ```text
//! 0 ........ meta ........ data ........ end ........ frame.len()
//!   headroom    metadata      packet        tailroom
//! ```
//!
//! During a run the program's context holds addresses into `frame`; the helpers that move
//! the boundaries update both the context and this struct (see `helpers/packet.rs`). XDP
//! frames never move in memory, as in Linux; skb helpers may reallocate `frame` to grow
//! it, since the verifier makes programs reload every packet pointer after them.

/// Linux's `XDP_PACKET_HEADROOM`: the headroom every XDP driver reserves before a packet.
pub const XDP_PACKET_HEADROOM: usize = 256;

/// The page a typical XDP driver gives each frame (`frame_sz`).
pub const XDP_FRAME_SIZE: usize = 4096;

/// `SKB_DATA_ALIGN(sizeof(struct skb_shared_info))` on 64-bit Linux: the end of every
/// frame the kernel keeps for itself, which `bpf_xdp_adjust_tail` cannot grow into.
pub const SKB_SHARED_INFO_SIZE: usize = 320;

/// `sizeof(struct xdp_frame)` on 64-bit Linux: the start of the headroom the kernel keeps
/// for itself, which neither `bpf_xdp_adjust_head` nor `bpf_xdp_adjust_meta` may reach.
pub const XDP_FRAME_RESERVED: usize = 40;

/// `ETH_HLEN`: no helper makes an XDP packet shorter than an Ethernet header.
pub const ETH_HLEN: usize = 14;

/// The socket-buffer state a packet carries beyond its bytes, for the skb helpers: what
/// Linux keeps in `struct sk_buff` and programs cannot read from the packet itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SkbHeaders {
    /// Bytes from the start of the data (the MAC header) to the network header:
    /// `skb_network_offset`, 14 on Ethernet.
    pub network_offset: u32,
    /// The packet carries a tunnel that `bpf_skb_adjust_room` added (`skb->encapsulation`).
    pub encapsulation: bool,
}

impl Default for SkbHeaders {
    fn default() -> SkbHeaders {
        SkbHeaders {
            network_offset: ETH_HLEN as u32,
            encapsulation: false,
        }
    }
}

/// A packet with headroom, metadata and tailroom. Build one with [`Packet::new`] (the room
/// an XDP driver gives) or [`Packet::with_room`], run a program over it
/// (`Instance::run_xdp_packet`), then read [`Packet::data`] and [`Packet::meta`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    frame: Vec<u8>,
    meta: usize,
    data: usize,
    end: usize,
    /// `xdp_md.ingress_ifindex` / `__sk_buff.ingress_ifindex` of runs over this packet.
    pub ingress_ifindex: u32,
    /// `xdp_md.rx_queue_index`.
    pub rx_queue_index: u32,
    /// Header offsets and flags the skb helpers keep.
    pub skb: SkbHeaders,
    /// The start of the frame that holds the kernel's `struct xdp_frame`, out of reach of
    /// the XDP helpers: 40 bytes, or the whole headroom when a packet was built with less.
    reserved: usize,
}

impl Packet {
    /// `bytes` in a frame as a page-based XDP driver lays it out: 256 bytes of headroom,
    /// and a 4096-byte frame whose last 320 bytes belong to the kernel, so a 64-byte packet
    /// has 3456 bytes of tailroom. A longer packet gets a larger frame with no tailroom.
    pub fn new(bytes: &[u8]) -> Packet {
        let usable = XDP_FRAME_SIZE - SKB_SHARED_INFO_SIZE - XDP_PACKET_HEADROOM;
        Packet::with_room(
            bytes,
            XDP_PACKET_HEADROOM,
            usable.saturating_sub(bytes.len()),
        )
    }

    /// `bytes` with exactly `headroom` bytes before them and `tailroom` after them.
    pub fn with_room(bytes: &[u8], headroom: usize, tailroom: usize) -> Packet {
        let mut frame = vec![0u8; headroom + bytes.len() + tailroom];
        frame[headroom..headroom + bytes.len()].copy_from_slice(bytes);
        Packet {
            frame,
            meta: headroom,
            data: headroom,
            end: headroom + bytes.len(),
            ingress_ifindex: 0,
            rx_queue_index: 0,
            skb: SkbHeaders::default(),
            reserved: headroom.min(XDP_FRAME_RESERVED),
        }
    }

    /// The packet's bytes.
    pub fn data(&self) -> &[u8] {
        &self.frame[self.data..self.end]
    }

    /// The packet's bytes, to change before a run.
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.frame[self.data..self.end]
    }

    /// The metadata area just before the data (`bpf_xdp_adjust_meta`); empty at first.
    pub fn meta(&self) -> &[u8] {
        &self.frame[self.meta..self.data]
    }

    /// Packet length in bytes.
    pub fn len(&self) -> usize {
        self.end - self.data
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.data
    }

    /// Bytes before the metadata (or the data when there is none).
    pub fn headroom(&self) -> usize {
        self.meta
    }

    /// Bytes after the data up to the end of the frame.
    pub fn tailroom(&self) -> usize {
        self.frame.len() - self.end
    }

    /// Bytes at the start of the frame no XDP helper may move the data or metadata into.
    pub(crate) fn reserved(&self) -> usize {
        self.reserved
    }

    /// Makes sure at least `headroom` bytes precede the metadata and `tailroom` bytes follow
    /// the data, moving the frame to a larger allocation when needed (skb helpers only:
    /// Linux reallocates socket buffers the same way, never XDP frames).
    pub(crate) fn reserve_room(&mut self, headroom: usize, tailroom: usize) {
        let add_head = headroom.saturating_sub(self.meta);
        let add_tail = tailroom.saturating_sub(self.tailroom());
        if add_head == 0 && add_tail == 0 {
            return;
        }
        let mut frame = vec![0u8; add_head + self.frame.len() + add_tail];
        frame[add_head..add_head + self.frame.len()].copy_from_slice(&self.frame);
        self.frame = frame;
        self.meta += add_head;
        self.data += add_head;
        self.end += add_head;
        self.reserved += add_head;
    }

    /// The whole frame: headroom, metadata, data and tailroom.
    pub(crate) fn frame_mut(&mut self) -> &mut Vec<u8> {
        &mut self.frame
    }

    /// The offsets of meta, data and end within the frame.
    pub(crate) fn bounds(&self) -> (usize, usize, usize) {
        (self.meta, self.data, self.end)
    }

    /// Moves the boundaries; `meta <= data <= end <= frame.len()`.
    pub(crate) fn set_bounds(&mut self, meta: usize, data: usize, end: usize) {
        debug_assert!(meta <= data && data <= end && end <= self.frame.len());
        self.meta = meta;
        self.data = data;
        self.end = end;
    }

    /// Frame address of an offset, for a context.
    pub(crate) fn address(&mut self, offset: usize) -> u64 {
        self.frame.as_mut_ptr() as u64 + offset as u64
    }

    /// The offset of an address inside the frame, or None when it lies outside.
    pub(crate) fn offset_of(&self, address: u64) -> Option<usize> {
        let start = self.frame.as_ptr() as u64;
        let offset = address.checked_sub(start)?;
        (offset <= self.frame.len() as u64).then_some(offset as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_packet_has_the_room_of_a_page_based_xdp_driver() {
        let p = Packet::new(&[1, 2, 3]);
        assert_eq!(p.data(), &[1, 2, 3]);
        assert_eq!(p.headroom(), 256);
        assert_eq!(p.tailroom(), 4096 - 320 - 256 - 3);
        assert!(p.meta().is_empty());
        let big = Packet::new(&vec![7; 5000]);
        assert_eq!((big.len(), big.tailroom(), big.headroom()), (5000, 0, 256));
        let exact = Packet::with_room(&[9; 20], 8, 4);
        assert_eq!((exact.headroom(), exact.tailroom()), (8, 4));
        assert_eq!(exact.bounds(), (8, 8, 28));
        assert_eq!(exact.reserved(), 8);
    }

    #[test]
    fn reserving_room_keeps_the_bytes_and_their_order() {
        let mut p = Packet::with_room(&[1, 2, 3], 2, 1);
        p.reserve_room(10, 5);
        assert_eq!(
            (p.headroom(), p.tailroom(), p.data()),
            (10, 5, &[1u8, 2, 3][..])
        );
        p.reserve_room(4, 2);
        assert_eq!((p.headroom(), p.tailroom()), (10, 5));
    }
}
