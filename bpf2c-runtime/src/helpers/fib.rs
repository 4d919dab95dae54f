//! `bpf_fib_lookup` over a forwarding table the host describes ([`Fib`], given with
//! `Options::fib`), following `bpf_ipv4_fib_lookup`/`bpf_ipv6_fib_lookup` of
//! net/core/filter.c: the same checks in the same order, the same `struct bpf_fib_lookup`
//! fields written, the same `BPF_FIB_LKUP_RET_*` results.
//!
//! The model: interfaces (index, MAC, MTU, forwarding, addresses), routes in numbered
//! tables (longest prefix, then lowest metric), and neighbour entries. Without
//! `BPF_FIB_LOOKUP_DIRECT` the tables are consulted as Linux's default rules do (local,
//! main, default); policy rules (marks, ports, tos) are not modelled. The default table is
//! empty, so every lookup answers "not forwarded".

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::skb_meta::errno;
use crate::ffi::{bpf2c_invocation_t, bpf2c_skb_context_t};
use crate::instance::RunState;
use bpf2c_abi::program::prog_type;

/// `BPF_FIB_LKUP_RET_*`.
pub mod ret {
    pub const SUCCESS: u64 = 0;
    pub const BLACKHOLE: u64 = 1;
    pub const UNREACHABLE: u64 = 2;
    pub const PROHIBIT: u64 = 3;
    pub const NOT_FWDED: u64 = 4;
    pub const FWD_DISABLED: u64 = 5;
    pub const UNSUPP_LWT: u64 = 6;
    pub const NO_NEIGH: u64 = 7;
    pub const FRAG_NEEDED: u64 = 8;
    pub const NO_SRC_ADDR: u64 = 9;
}

/// `BPF_FIB_LOOKUP_*` flags.
pub mod lookup_flags {
    pub const DIRECT: u32 = 1 << 0;
    pub const OUTPUT: u32 = 1 << 1;
    pub const SKIP_NEIGH: u32 = 1 << 2;
    pub const TBID: u32 = 1 << 3;
    pub const SRC: u32 = 1 << 4;
    pub const MARK: u32 = 1 << 5;
    pub const ALL: u32 = DIRECT | OUTPUT | SKIP_NEIGH | TBID | SRC | MARK;
}

/// Routing table ids (RT_TABLE_*).
pub const TABLE_DEFAULT: u32 = 253;
pub const TABLE_MAIN: u32 = 254;
pub const TABLE_LOCAL: u32 = 255;

const AF_INET: u8 = 2;
const AF_INET6: u8 = 10;

/// Byte offsets in `struct bpf_fib_lookup` (64 bytes).
mod off {
    pub const FAMILY: usize = 0;
    pub const TOT_LEN: usize = 6; // union with mtu_result
    pub const IFINDEX: usize = 8;
    pub const TOS: usize = 12; // union with flowinfo, rt_metric
    pub const SRC: usize = 16;
    pub const DST: usize = 32;
    pub const VLAN_PROTO: usize = 48; // u32 tbid overlays vlan proto and TCI
    pub const VLAN_TCI: usize = 50;
    pub const SMAC: usize = 52;
    pub const DMAC: usize = 58;
    pub const SIZE: usize = 64;
}

/// Size of `struct bpf_fib_lookup`.
pub const FIB_LOOKUP_SIZE: usize = off::SIZE;

/// MTU of an interface the table does not list.
pub const DEFAULT_MTU: u32 = 1500;

/// A network interface of the host's world.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    pub ifindex: u32,
    pub mac: [u8; 6],
    pub mtu: u32,
    /// IN_DEV_FORWARD (and the IPv6 forwarding switch): lookups for packets arriving here
    /// fail with FWD_DISABLED when false.
    pub forwarding: bool,
    /// The address a route without a preferred source uses for BPF_FIB_LOOKUP_SRC.
    pub ipv4: Option<Ipv4Addr>,
    pub ipv6: Option<Ipv6Addr>,
}

impl Interface {
    /// A forwarding interface with MTU 1500 and no addresses.
    pub fn new(ifindex: u32, mac: [u8; 6]) -> Interface {
        Interface {
            ifindex,
            mac,
            mtu: DEFAULT_MTU,
            forwarding: true,
            ipv4: None,
            ipv6: None,
        }
    }

    pub fn mtu(mut self, mtu: u32) -> Interface {
        self.mtu = mtu;
        self
    }

    pub fn forwarding(mut self, on: bool) -> Interface {
        self.forwarding = on;
        self
    }

    pub fn address(mut self, addr: IpAddr) -> Interface {
        match addr {
            IpAddr::V4(a) => self.ipv4 = Some(a),
            IpAddr::V6(a) => self.ipv6 = Some(a),
        }
        self
    }
}

/// What a route does with a matching packet (the RTN_* type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteKind {
    /// Forward through `ifindex`, to `gateway` if any.
    Unicast,
    /// Drop silently: BLACKHOLE.
    Blackhole,
    /// UNREACHABLE.
    Unreachable,
    /// PROHIBIT.
    Prohibit,
    /// Delivered to this host: NOT_FWDED.
    Local,
}

/// One route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub table: u32,
    pub prefix: IpAddr,
    pub prefix_len: u8,
    pub kind: RouteKind,
    /// The next hop; None for a directly connected destination.
    pub gateway: Option<IpAddr>,
    /// The egress interface of a unicast route.
    pub ifindex: u32,
    /// The route's priority (`rt_metric` in the result; lower wins among equal prefixes).
    pub metric: u32,
    /// Preferred source address (`src` of `ip route`).
    pub prefsrc: Option<IpAddr>,
    /// The route's MTU metric; None: the egress interface's MTU.
    pub mtu: Option<u32>,
    /// The route encapsulates (a lightweight tunnel): UNSUPP_LWT.
    pub encap: bool,
}

impl Route {
    /// A unicast route in the main table through `ifindex`, directly connected.
    pub fn direct(prefix: IpAddr, prefix_len: u8, ifindex: u32) -> Route {
        Route {
            table: TABLE_MAIN,
            prefix,
            prefix_len,
            kind: RouteKind::Unicast,
            gateway: None,
            ifindex,
            metric: 0,
            prefsrc: None,
            mtu: None,
            encap: false,
        }
    }

    /// A unicast route in the main table via `gateway` on `ifindex`.
    pub fn via(prefix: IpAddr, prefix_len: u8, gateway: IpAddr, ifindex: u32) -> Route {
        Route {
            gateway: Some(gateway),
            ..Route::direct(prefix, prefix_len, ifindex)
        }
    }

    /// A route of another kind (blackhole, unreachable, prohibit, local).
    pub fn of_kind(prefix: IpAddr, prefix_len: u8, kind: RouteKind) -> Route {
        Route {
            kind,
            ..Route::direct(prefix, prefix_len, 0)
        }
    }

    pub fn table(mut self, table: u32) -> Route {
        self.table = table;
        self
    }

    pub fn metric(mut self, metric: u32) -> Route {
        self.metric = metric;
        self
    }

    pub fn prefsrc(mut self, src: IpAddr) -> Route {
        self.prefsrc = Some(src);
        self
    }

    pub fn mtu(mut self, mtu: u32) -> Route {
        self.mtu = Some(mtu);
        self
    }

    pub fn encap(mut self) -> Route {
        self.encap = true;
        self
    }

    fn matches(&self, addr: IpAddr) -> bool {
        match (self.prefix, addr) {
            (IpAddr::V4(p), IpAddr::V4(a)) => {
                let len = self.prefix_len.min(32) as u32;
                let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
                u32::from(p) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(p), IpAddr::V6(a)) => {
                let len = self.prefix_len.min(128) as u32;
                let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
                u128::from(p) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// A resolved neighbour: the link address of `addr` on `ifindex` (NUD_VALID).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Neighbor {
    pub ifindex: u32,
    pub addr: IpAddr,
    pub mac: [u8; 6],
}

/// The host's forwarding information: what `bpf_fib_lookup` consults.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fib {
    pub interfaces: Vec<Interface>,
    pub routes: Vec<Route>,
    pub neighbors: Vec<Neighbor>,
}

impl Fib {
    /// An empty table: every lookup is NOT_FWDED.
    pub fn new() -> Fib {
        Fib::default()
    }

    pub fn interface(mut self, i: Interface) -> Fib {
        self.interfaces.retain(|o| o.ifindex != i.ifindex);
        self.interfaces.push(i);
        self
    }

    pub fn route(mut self, r: Route) -> Fib {
        self.routes.push(r);
        self
    }

    pub fn neighbor(mut self, ifindex: u32, addr: IpAddr, mac: [u8; 6]) -> Fib {
        self.neighbors.push(Neighbor { ifindex, addr, mac });
        self
    }

    /// The interface with this index; one the table does not list exists, forwards, has
    /// MTU 1500, a zero MAC and no addresses.
    fn device(&self, ifindex: u32) -> Interface {
        self.interfaces
            .iter()
            .find(|i| i.ifindex == ifindex)
            .cloned()
            .unwrap_or_else(|| Interface::new(ifindex, [0; 6]))
    }

    /// Longest prefix, then lowest metric, then first listed, among `table`'s routes.
    fn lookup_table(&self, table: u32, dst: IpAddr) -> Option<&Route> {
        self.routes
            .iter()
            .filter(|r| r.table == table && r.matches(dst))
            .min_by_key(|r| (std::cmp::Reverse(r.prefix_len), r.metric))
    }

    /// Linux's default rules: local, then main, then default.
    fn lookup_rules(&self, dst: IpAddr) -> Option<&Route> {
        [TABLE_LOCAL, TABLE_MAIN, TABLE_DEFAULT]
            .into_iter()
            .find_map(|t| self.lookup_table(t, dst))
    }

    fn table_exists(&self, table: u32) -> bool {
        table == TABLE_MAIN || table == TABLE_LOCAL || self.routes.iter().any(|r| r.table == table)
    }

    fn neighbor_mac(&self, ifindex: u32, addr: IpAddr) -> Option<[u8; 6]> {
        self.neighbors
            .iter()
            .find(|n| n.ifindex == ifindex && n.addr == addr)
            .map(|n| n.mac)
    }
}

fn get_u16(p: &[u8; 64], at: usize) -> u16 {
    u16::from_ne_bytes([p[at], p[at + 1]])
}

fn put_u16(p: &mut [u8; 64], at: usize, v: u16) {
    p[at..at + 2].copy_from_slice(&v.to_ne_bytes());
}

fn get_u32(p: &[u8; 64], at: usize) -> u32 {
    u32::from_ne_bytes([p[at], p[at + 1], p[at + 2], p[at + 3]])
}

fn put_u32(p: &mut [u8; 64], at: usize, v: u32) {
    p[at..at + 4].copy_from_slice(&v.to_ne_bytes());
}

fn get_addr(p: &[u8; 64], at: usize, v6: bool) -> IpAddr {
    if v6 {
        let mut b = [0u8; 16];
        b.copy_from_slice(&p[at..at + 16]);
        IpAddr::V6(Ipv6Addr::from(b))
    } else {
        IpAddr::V4(Ipv4Addr::new(p[at], p[at + 1], p[at + 2], p[at + 3]))
    }
}

fn put_addr(p: &mut [u8; 64], at: usize, a: IpAddr) {
    match a {
        IpAddr::V4(a) => p[at..at + 4].copy_from_slice(&a.octets()),
        IpAddr::V6(a) => p[at..at + 16].copy_from_slice(&a.octets()),
    }
}

/// How the calling program type runs the lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caller {
    /// XDP: the MTU is always checked against `tot_len`.
    Xdp,
    /// tc and other skb programs: with `tot_len` 0, the skb's length (`len`) is checked
    /// against the egress interface instead.
    Skb { len: u32 },
}

/// `bpf_fib_lookup(ctx, params, plen, flags)` over `params` (a `struct bpf_fib_lookup`):
/// the helper's r0.
pub fn fib_lookup(fib: &Fib, params: &mut [u8; 64], plen: i32, flags: u32, caller: Caller) -> u64 {
    if plen < FIB_LOOKUP_SIZE as i32 || flags & !lookup_flags::ALL != 0 {
        return errno::neg(errno::EINVAL);
    }
    let check_mtu = match caller {
        Caller::Xdp => true,
        Caller::Skb { .. } => get_u16(params, off::TOT_LEN) != 0,
    };
    let rc = match params[off::FAMILY] {
        AF_INET => lookup(fib, params, flags, check_mtu, false),
        AF_INET6 => lookup(fib, params, flags, check_mtu, true),
        _ => return errno::neg(errno::EAFNOSUPPORT),
    };
    if let (Caller::Skb { len }, ret::SUCCESS, false) = (caller, rc, check_mtu) {
        let dev = fib.device(get_u32(params, off::IFINDEX));
        // is_skb_forwardable: the MTU plus an Ethernet header and one VLAN tag.
        let rc = if len as u64 <= dev.mtu as u64 + 14 + 4 {
            rc
        } else {
            ret::FRAG_NEEDED
        };
        put_u16(params, off::TOT_LEN, dev.mtu as u16);
        return rc;
    }
    rc
}

/// rt6_need_strict: link-local, multicast and loopback addresses are never forwarded.
fn v6_strict(a: IpAddr) -> bool {
    match a {
        IpAddr::V6(a) => {
            a.is_multicast() || a.is_loopback() || (a.segments()[0] & 0xffc0) == 0xfe80
        }
        IpAddr::V4(_) => false,
    }
}

fn lookup(fib: &Fib, p: &mut [u8; 64], flags: u32, check_mtu: bool, v6: bool) -> u64 {
    let dst = get_addr(p, off::DST, v6);
    let src = get_addr(p, off::SRC, v6);
    if v6 && (v6_strict(dst) || v6_strict(src)) {
        return ret::NOT_FWDED;
    }
    let input = fib.device(get_u32(p, off::IFINDEX));
    if !input.forwarding {
        return ret::FWD_DISABLED;
    }
    let route = if flags & lookup_flags::DIRECT != 0 {
        let mut table = TABLE_MAIN;
        if flags & lookup_flags::TBID != 0 {
            table = get_u32(p, off::VLAN_PROTO);
            put_u32(p, off::VLAN_PROTO, 0);
        }
        if !fib.table_exists(table) {
            return ret::NOT_FWDED;
        }
        fib.lookup_table(table, dst)
    } else {
        fib.lookup_rules(dst)
    };
    let Some(route) = route else {
        return ret::NOT_FWDED;
    };
    match route.kind {
        RouteKind::Unicast => {}
        RouteKind::Blackhole => return ret::BLACKHOLE,
        RouteKind::Unreachable => return ret::UNREACHABLE,
        RouteKind::Prohibit => return ret::PROHIBIT,
        RouteKind::Local => return ret::NOT_FWDED,
    }
    let dev = fib.device(route.ifindex);
    let mut mtu = 0;
    if check_mtu {
        mtu = route.mtu.unwrap_or(dev.mtu);
        if get_u16(p, off::TOT_LEN) as u32 > mtu {
            put_u16(p, off::TOT_LEN, mtu as u16);
            return ret::FRAG_NEEDED;
        }
    }
    if route.encap {
        return ret::UNSUPP_LWT;
    }
    // IPv6 replaces the destination with the gateway before it writes the metric.
    let mut next_hop = dst;
    if let Some(gw) = route.gateway {
        next_hop = gw;
        if v6 || gw.is_ipv4() {
            put_addr(p, off::DST, gw);
        }
    }
    put_u32(p, off::TOS, route.metric);
    put_u32(p, off::IFINDEX, dev.ifindex);
    if flags & lookup_flags::SRC != 0 {
        let chosen = route.prefsrc.or(match v6 {
            false => dev.ipv4.map(IpAddr::V4),
            true => dev.ipv6.map(IpAddr::V6),
        });
        match chosen {
            Some(a) => put_addr(p, off::SRC, a),
            // IPv4 takes 0.0.0.0 (inet_select_addr found nothing); IPv6 fails.
            None if !v6 => put_addr(p, off::SRC, IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            None => return ret::NO_SRC_ADDR,
        }
    }
    if !v6 {
        if let Some(IpAddr::V6(gw)) = route.gateway {
            // An IPv4 route through an IPv6 next hop turns the result into IPv6.
            p[off::FAMILY] = AF_INET6;
            put_addr(p, off::DST, IpAddr::V6(gw));
        }
    }
    if flags & lookup_flags::SKIP_NEIGH == 0 {
        let Some(mac) = fib.neighbor_mac(dev.ifindex, next_hop) else {
            return ret::NO_NEIGH;
        };
        p[off::DMAC..off::DMAC + 6].copy_from_slice(&mac);
        p[off::SMAC..off::SMAC + 6].copy_from_slice(&dev.mac);
    }
    // bpf_fib_set_fwd_params
    put_u16(p, off::VLAN_TCI, 0);
    put_u16(p, off::VLAN_PROTO, 0);
    if mtu != 0 {
        put_u16(p, off::TOT_LEN, mtu as u16);
    }
    ret::SUCCESS
}

pub(super) unsafe extern "C" fn bpf_fib_lookup(
    ctx: u64,
    params: u64,
    plen: u64,
    flags: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: the run's invocation (the helper contract).
    let Some(state) = (unsafe { RunState::from_invocation(inv) }) else {
        return errno::neg(errno::EINVAL);
    };
    let plen = plen as u32 as i32;
    if plen < FIB_LOOKUP_SIZE as i32 {
        return errno::neg(errno::EINVAL);
    }
    // XDP and raw programs have no skb; every other Linux packet type's context is one.
    let caller = match state.program_type().linux_type() {
        None | Some(prog_type::XDP) => Caller::Xdp,
        Some(_) => Caller::Skb {
            // SAFETY: r1 is the program's context (the helper contract), an skb context
            // for the Linux program types that are not XDP.
            len: unsafe { (*(ctx as *const bpf2c_skb_context_t)).len },
        },
    };
    let mut local = [0u8; 64];
    // SAFETY: the verifier proved params readable for plen >= 64 bytes; the program's own
    // memory (stack or map value), which nothing else touches during the call.
    unsafe { std::ptr::copy_nonoverlapping(params as *const u8, local.as_mut_ptr(), 64) };
    let r = fib_lookup(&state.inner.fib, &mut local, plen, flags as u32, caller);
    // SAFETY: as above; Linux's helper writes the same memory.
    unsafe { std::ptr::copy_nonoverlapping(local.as_ptr(), params as *mut u8, 64) };
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC_OUT: [u8; 6] = [2, 0, 0, 0, 0, 2];
    const MAC_GW: [u8; 6] = [2, 0, 0, 0, 0, 0xfe];

    fn v4(a: [u8; 4]) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(a))
    }

    fn v6(s: &str) -> IpAddr {
        IpAddr::V6(s.parse().unwrap())
    }

    /// An IPv4 request as xdp_fwd_kern.c builds one.
    fn params_v4(src: [u8; 4], dst: [u8; 4], ifindex: u32, tot_len: u16) -> [u8; 64] {
        let mut p = [0u8; 64];
        p[off::FAMILY] = AF_INET;
        p[1] = 6;
        put_u16(&mut p, off::TOT_LEN, tot_len);
        put_u32(&mut p, off::IFINDEX, ifindex);
        p[off::TOS] = 0x10;
        p[off::SRC..off::SRC + 4].copy_from_slice(&src);
        p[off::DST..off::DST + 4].copy_from_slice(&dst);
        p
    }

    /// eth1 (2) reaches 10.1.0.0/16 through 10.1.0.254 and 10.1.2.0/24 directly; 10.9/16
    /// is blackholed, 10.8/16 unreachable, 10.7/16 prohibited, 10.6/16 encapsulated.
    fn world() -> Fib {
        Fib::new()
            .interface(Interface::new(1, [2, 0, 0, 0, 0, 1]))
            .interface(
                Interface::new(2, MAC_OUT)
                    .mtu(1400)
                    .address(v4([10, 1, 0, 1])),
            )
            .interface(Interface::new(3, [2, 0, 0, 0, 0, 3]).forwarding(false))
            .route(Route::via(v4([10, 1, 0, 0]), 16, v4([10, 1, 0, 254]), 2).metric(100))
            .route(Route::direct(v4([10, 1, 2, 0]), 24, 2).metric(5))
            .route(Route::of_kind(v4([10, 9, 0, 0]), 16, RouteKind::Blackhole))
            .route(Route::of_kind(
                v4([10, 8, 0, 0]),
                16,
                RouteKind::Unreachable,
            ))
            .route(Route::of_kind(v4([10, 7, 0, 0]), 16, RouteKind::Prohibit))
            .route(Route::direct(v4([10, 6, 0, 0]), 16, 2).encap())
            .route(Route::direct(v4([10, 5, 0, 0]), 16, 2).table(100).metric(7))
            .neighbor(2, v4([10, 1, 0, 254]), MAC_GW)
            .neighbor(2, v4([10, 1, 2, 3]), [2, 0, 0, 0, 2, 3])
    }

    #[test]
    fn the_default_table_forwards_nothing() {
        let mut p = params_v4([10, 0, 0, 1], [10, 1, 2, 3], 1, 60);
        let before = p;
        assert_eq!(
            fib_lookup(&Fib::default(), &mut p, 64, 0, Caller::Xdp),
            ret::NOT_FWDED
        );
        assert_eq!(p, before);
    }

    #[test]
    fn a_gateway_route_fills_every_output_field() {
        let mut p = params_v4([10, 0, 0, 1], [10, 1, 7, 7], 1, 60);
        put_u32(&mut p, off::VLAN_PROTO, 0xdead_beef);
        assert_eq!(
            fib_lookup(&world(), &mut p, 64, 0, Caller::Xdp),
            ret::SUCCESS
        );
        assert_eq!(p[off::FAMILY], AF_INET);
        assert_eq!(get_u32(&p, off::IFINDEX), 2);
        assert_eq!(get_u32(&p, off::TOS), 100, "rt_metric");
        assert_eq!(p[off::DST..off::DST + 4], [10, 1, 0, 254], "the gateway");
        assert_eq!(p[off::SRC..off::SRC + 4], [10, 0, 0, 1], "source untouched");
        assert_eq!(p[off::SMAC..off::SMAC + 6], MAC_OUT);
        assert_eq!(p[off::DMAC..off::DMAC + 6], MAC_GW);
        assert_eq!(
            get_u32(&p, off::VLAN_PROTO),
            0,
            "vlan proto and TCI cleared"
        );
        // XDP always checks the MTU, so mtu_result is the egress MTU.
        assert_eq!(get_u16(&p, off::TOT_LEN), 1400);
    }

    #[test]
    fn longest_prefix_wins_and_the_destination_itself_is_the_neighbour() {
        let mut p = params_v4([10, 0, 0, 1], [10, 1, 2, 3], 1, 0);
        assert_eq!(
            fib_lookup(&world(), &mut p, 64, 0, Caller::Xdp),
            ret::SUCCESS
        );
        assert_eq!(get_u32(&p, off::TOS), 5);
        assert_eq!(p[off::DST..off::DST + 4], [10, 1, 2, 3]);
        assert_eq!(p[off::DMAC..off::DMAC + 6], [2, 0, 0, 0, 2, 3]);
    }

    #[test]
    fn failures_return_linuxs_codes() {
        let w = world();
        let run = |dst: [u8; 4], ifindex: u32, tot_len: u16, flags: u32| {
            let mut p = params_v4([10, 0, 0, 1], dst, ifindex, tot_len);
            let r = fib_lookup(&w, &mut p, 64, flags, Caller::Xdp);
            (r, p)
        };
        assert_eq!(run([10, 9, 1, 1], 1, 0, 0).0, ret::BLACKHOLE);
        assert_eq!(run([10, 8, 1, 1], 1, 0, 0).0, ret::UNREACHABLE);
        assert_eq!(run([10, 7, 1, 1], 1, 0, 0).0, ret::PROHIBIT);
        assert_eq!(run([10, 6, 1, 1], 1, 0, 0).0, ret::UNSUPP_LWT);
        assert_eq!(run([10, 1, 1, 1], 3, 0, 0).0, ret::FWD_DISABLED);
        // Too long for the 1400-byte egress: FRAG_NEEDED with the MTU.
        let (r, p) = run([10, 1, 1, 1], 1, 1401, 0);
        assert_eq!((r, get_u16(&p, off::TOT_LEN)), (ret::FRAG_NEEDED, 1400));
        // No neighbour entry for 10.1.2.9: NO_NEIGH, with ifindex and metric already set.
        let (r, p) = run([10, 1, 2, 9], 1, 0, 0);
        assert_eq!((r, get_u32(&p, off::IFINDEX)), (ret::NO_NEIGH, 2));
        assert_eq!(p[off::DMAC..off::DMAC + 6], [0; 6]);
        // ...which SKIP_NEIGH skips, leaving the MACs alone.
        let (r, p) = run([10, 1, 2, 9], 1, 0, lookup_flags::SKIP_NEIGH);
        assert_eq!(r, ret::SUCCESS);
        assert_eq!(p[off::SMAC..off::SMAC + 6], [0; 6]);
        // Bad arguments.
        let mut p = params_v4([10, 0, 0, 1], [10, 1, 2, 3], 1, 0);
        assert_eq!(fib_lookup(&w, &mut p, 63, 0, Caller::Xdp) as i64, -22);
        assert_eq!(fib_lookup(&w, &mut p, 64, 1 << 6, Caller::Xdp) as i64, -22);
        p[off::FAMILY] = 7;
        assert_eq!(fib_lookup(&w, &mut p, 64, 0, Caller::Xdp) as i64, -97);
    }

    #[test]
    fn tables_sources_and_skb_mtu_checks() {
        let w = world();
        // 10.5/16 is only in table 100: found with DIRECT|TBID, which clears tbid.
        let mut p = params_v4([10, 0, 0, 1], [10, 5, 0, 9], 1, 0);
        assert_eq!(fib_lookup(&w, &mut p, 64, 0, Caller::Xdp), ret::NOT_FWDED);
        put_u32(&mut p, off::VLAN_PROTO, 100);
        let f = lookup_flags::DIRECT | lookup_flags::TBID | lookup_flags::SKIP_NEIGH;
        assert_eq!(fib_lookup(&w, &mut p, 64, f, Caller::Xdp), ret::SUCCESS);
        assert_eq!(
            (get_u32(&p, off::TOS), get_u32(&p, off::VLAN_PROTO)),
            (7, 0)
        );
        put_u32(&mut p, off::VLAN_PROTO, 42);
        assert_eq!(fib_lookup(&w, &mut p, 64, f, Caller::Xdp), ret::NOT_FWDED);
        // SRC: the egress interface's address.
        let mut p = params_v4([0; 4], [10, 1, 2, 3], 1, 0);
        assert_eq!(
            fib_lookup(&w, &mut p, 64, lookup_flags::SRC, Caller::Xdp),
            ret::SUCCESS
        );
        assert_eq!(p[off::SRC..off::SRC + 4], [10, 1, 0, 1]);
        // An skb without tot_len is checked by its length: MTU + 18 bytes pass.
        let mut p = params_v4([10, 0, 0, 1], [10, 1, 2, 3], 1, 0);
        assert_eq!(
            fib_lookup(&w, &mut p, 64, 0, Caller::Skb { len: 1418 }),
            ret::SUCCESS
        );
        assert_eq!(get_u16(&p, off::TOT_LEN), 1400);
        let mut p = params_v4([10, 0, 0, 1], [10, 1, 2, 3], 1, 0);
        let r = fib_lookup(&w, &mut p, 64, 0, Caller::Skb { len: 1419 });
        assert_eq!((r, get_u16(&p, off::TOT_LEN)), (ret::FRAG_NEEDED, 1400));
    }

    #[test]
    fn ipv6_lookups() {
        let w = Fib::new()
            .interface(Interface::new(4, MAC_OUT).address(v6("2001:db8::1")))
            .route(Route::via(v6("2001:db8:1::"), 48, v6("fe80::1"), 4).metric(1024))
            .neighbor(4, v6("fe80::1"), MAC_GW);
        let mut p = [0u8; 64];
        p[off::FAMILY] = AF_INET6;
        put_u32(&mut p, off::IFINDEX, 1);
        put_addr(&mut p, off::SRC, v6("2001:db8:2::5"));
        put_addr(&mut p, off::DST, v6("2001:db8:1::9"));
        let mut q = p;
        assert_eq!(
            fib_lookup(&w, &mut q, 64, lookup_flags::SRC, Caller::Xdp),
            ret::SUCCESS
        );
        assert_eq!(get_addr(&q, off::DST, true), v6("fe80::1"));
        assert_eq!(get_addr(&q, off::SRC, true), v6("2001:db8::1"));
        assert_eq!(
            (get_u32(&q, off::IFINDEX), get_u32(&q, off::TOS)),
            (4, 1024)
        );
        assert_eq!(q[off::DMAC..off::DMAC + 6], MAC_GW);
        // Link-local destinations are never forwarded.
        let mut q = p;
        put_addr(&mut q, off::DST, v6("fe80::7"));
        assert_eq!(fib_lookup(&w, &mut q, 64, 0, Caller::Xdp), ret::NOT_FWDED);
        // Without an address to pick from, SRC fails for IPv6.
        let bare = Fib {
            interfaces: vec![Interface::new(4, MAC_OUT)],
            ..w.clone()
        };
        let mut q = p;
        let r = fib_lookup(&bare, &mut q, 64, lookup_flags::SRC, Caller::Xdp);
        assert_eq!(r, ret::NO_SRC_ADDR);
    }
}
