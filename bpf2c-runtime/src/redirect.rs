//! What a run leaves for the host besides r0: where the program redirected the packet and
//! the copies it sent, read from [`RunOutcome`] after `Instance::run_xdp_packet`.

use crate::types::MapType;

/// Linux's `XDP_ABORTED`..`XDP_REDIRECT` actions, r0 of an XDP program.
pub mod xdp_action {
    pub const XDP_ABORTED: u64 = 0;
    pub const XDP_DROP: u64 = 1;
    pub const XDP_PASS: u64 = 2;
    pub const XDP_TX: u64 = 3;
    pub const XDP_REDIRECT: u64 = 4;
}

/// Linux's `TC_ACT_SHOT` and `TC_ACT_REDIRECT`, what the redirect helpers return to tc
/// programs.
pub mod tc_action {
    pub const TC_ACT_SHOT: u64 = 2;
    pub const TC_ACT_REDIRECT: u64 = 7;
}

/// Redirect flags of linux/bpf.h.
pub mod redirect_flags {
    /// `bpf_redirect`/`bpf_clone_redirect` from tc: deliver on the device's ingress path.
    pub const BPF_F_INGRESS: u64 = 1;
    /// `bpf_redirect_map` over a device map: send to every device in it.
    pub const BPF_F_BROADCAST: u64 = 1 << 3;
    /// With `BPF_F_BROADCAST`: except the device the packet came in on.
    pub const BPF_F_EXCLUDE_INGRESS: u64 = 1 << 4;
    /// The low bits of `bpf_redirect_map`'s flags: the action returned when the key is
    /// missing (`BPF_F_ACTION_MASK`, XDP_ABORTED..XDP_TX).
    pub const BPF_F_ACTION_MASK: u64 = 3;
}

/// Where a program redirected its packet: the last `bpf_redirect` or `bpf_redirect_map`
/// call of the run that succeeded. Linux forwards the packet there when the program's
/// verdict is XDP_REDIRECT (or TC_ACT_REDIRECT).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Redirect {
    /// `bpf_redirect(ifindex, flags)`.
    Ifindex { ifindex: u32, flags: u64 },
    /// `bpf_redirect_neigh(ifindex, params, plen, 0)` (tc): out of `ifindex` through the
    /// neighbour the stack resolves; `nexthop` is the 20-byte `struct bpf_redir_neigh`
    /// (`nh_family`, then the address) when the program gave one.
    Neigh {
        ifindex: u32,
        nexthop: Option<Vec<u8>>,
    },
    /// `bpf_redirect_map(map, key, flags)` over a DEVMAP, DEVMAP_HASH, CPUMAP or XSKMAP.
    Map {
        /// The map's name in the module.
        map: String,
        map_type: MapType,
        key: u32,
        flags: u64,
        /// The entry's value when the packet went to one entry: the device's ifindex
        /// (`u32` or `struct bpf_devmap_val`), the CPU map's `qsize` (`u32` or `struct
        /// bpf_cpumap_val`) or the socket's fd, as the host stored it. None for a
        /// broadcast (`BPF_F_BROADCAST`), which goes to every device of the map.
        value: Option<Vec<u8>>,
    },
}

/// A copy of the packet `bpf_clone_redirect` sent, as it was at that moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClonedPacket {
    pub ifindex: u32,
    pub flags: u64,
    pub data: Vec<u8>,
}

/// Everything a packet run returns besides the packet itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunOutcome {
    /// r0: the program's verdict.
    pub retval: u64,
    /// The redirect target, when the program set one.
    pub redirect: Option<Redirect>,
    /// The clones the program sent, in order.
    pub clones: Vec<ClonedPacket>,
}
