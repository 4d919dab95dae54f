//! An XDP rate limiter, translated to native code by bpf2c and linked into this crate.
//!
//! `bpf/ratelimit.c` keeps per-flow state in an LRU_HASH map keyed by `struct flow_key` and
//! drops a flow's packets beyond `max_pps` per window of `window_ns`. Both limits are
//! `const volatile` globals in `.rodata`: programs cannot change them, and the host sets
//! them before loading through the generated loader's `init`. `enabled` (in `.data`) can be
//! flipped while packets flow; totals accumulate in `.bss`.
//!
//! The program reads the time with `bpf_ktime_get_ns`. [`Clock`] replaces that helper with a
//! clock the host moves by hand, so a simulation (and its tests) is exact.

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bpf2c_runtime::{helper_id, Options};

bpf2c_runtime::include_bindings!("ratelimit");

pub use ratelimit::types::{FlowKey, FlowState};
pub use ratelimit::Ratelimit;

pub const XDP_DROP: u64 = 1;
pub const XDP_PASS: u64 = 2;
pub const IPPROTO_TCP: u8 = 6;
pub const IPPROTO_UDP: u8 = 17;

/// A clock the host moves; shared with the instance as its `bpf_ktime_get_ns`.
#[derive(Clone, Debug, Default)]
pub struct Clock(Arc<AtomicU64>);

impl Clock {
    pub fn now_ns(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    pub fn advance_ns(&self, ns: u64) {
        self.0.fetch_add(ns, Ordering::Relaxed);
    }

    /// Instance options whose `bpf_ktime_get_ns` reads this clock.
    pub fn options(&self) -> Options {
        let clock = self.clone();
        Options::default().helper(helper_id::KTIME_GET_NS, "bpf_ktime_get_ns", move |_| {
            clock.now_ns()
        })
    }
}

/// Loads the limiter with its limits set in `.rodata` and its clock replaced.
pub fn load(
    clock: &Clock,
    max_pps: u32,
    window_ns: u64,
) -> Result<Ratelimit, bpf2c_runtime::LoadError> {
    Ratelimit::loader()
        .options(clock.options())
        .init(move |g| {
            g.rodata().set_max_pps(max_pps).set_window_ns(window_ns);
        })
        .load()
}

/// One flow of the simulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flow {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub proto: u8,
    pub sport: u16,
    pub dport: u16,
}

impl Flow {
    /// An Ethernet + IPv4 + TCP/UDP frame of this flow with `payload` bytes.
    pub fn frame(&self, payload: usize) -> Vec<u8> {
        let l4_header = if self.proto == IPPROTO_TCP { 20 } else { 8 };
        let mut f = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00];
        f.extend_from_slice(&[0x45, 0]);
        f.extend_from_slice(&((20 + l4_header + payload) as u16).to_be_bytes());
        f.extend_from_slice(&[0, 0, 0x40, 0, 64, self.proto, 0, 0]);
        f.extend_from_slice(&self.src.octets());
        f.extend_from_slice(&self.dst.octets());
        let mut l4 = vec![0u8; l4_header];
        l4[0..2].copy_from_slice(&self.sport.to_be_bytes());
        l4[2..4].copy_from_slice(&self.dport.to_be_bytes());
        if self.proto == IPPROTO_TCP {
            l4[12] = 5 << 4;
        }
        f.extend(l4);
        f.extend(std::iter::repeat_n(0x5a, payload));
        f
    }

    /// The key the program files this flow under: addresses as on the wire (network order
    /// in memory), ports converted to host order.
    pub fn key(&self) -> FlowKey {
        FlowKey {
            saddr: u32::from_ne_bytes(self.src.octets()),
            daddr: u32::from_ne_bytes(self.dst.octets()),
            sport: self.sport,
            dport: self.dport,
            proto: self.proto,
            ..FlowKey::default()
        }
    }
}

/// Per-flow outcome of sending packets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub passed: u64,
    pub dropped: u64,
}

/// Sends `count` frames of `flow` with `payload` bytes each, at the clock's current time.
pub fn send(
    limiter: &Ratelimit,
    flow: &Flow,
    count: u32,
    payload: usize,
) -> Result<Tally, bpf2c_runtime::RunError> {
    let program = limiter.limit_flows();
    let mut tally = Tally::default();
    for _ in 0..count {
        match program.run(&mut flow.frame(payload))? {
            XDP_PASS => tally.passed += 1,
            _ => tally.dropped += 1,
        }
    }
    Ok(tally)
}
