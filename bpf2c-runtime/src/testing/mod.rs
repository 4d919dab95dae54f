//! Testing packet programs from `cargo test`: build a frame, run an XDP or tc program over
//! it in one call, then assert on the verdict, the rewritten packet, the redirect target and
//! the events it sent. Maps are read and filled through the instance as usual (the typed
//! bindings `bpf2c-build` generates, [`crate::typed`], [`crate::MapRef`]).
//!
//! ```no_run
//! use bpf2c_runtime::testing::{self, PacketBuilder, XdpAction};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let instance: bpf2c_runtime::Instance = unimplemented!();
//! let packet = PacketBuilder::udp("10.0.0.1:5000", "10.0.0.2:53").ttl(5).packet();
//! let run = testing::run_xdp(&instance, "xdp_firewall", packet)?;
//! run.assert_xdp(XdpAction::Redirect)
//!     .assert_redirect_map("tx_ports", 1)
//!     .assert_checksums_valid();
//! assert_eq!(run.frame().ttl(), Some(4));
//! # Ok(()) }
//! ```
//!
//! The assertions panic (at the caller's line) with a message that names what was expected
//! and what the run gave, like `assert_eq!`.

mod builder;
mod checksum;
mod frame;

use std::collections::BTreeMap;
use std::fmt;

pub use builder::{proto, tcp_flags, PacketBuilder};
pub use checksum::{internet_checksum, ones_complement_sum, with_pseudo_header};
pub use frame::Frame;

use crate::error::RunError;
use crate::events;
use crate::instance::{Instance, SkbFields};
use crate::packet::Packet;
use crate::redirect::{ClonedPacket, Redirect};

/// The verdict of an XDP program (linux/bpf.h's `enum xdp_action`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum XdpAction {
    Aborted = 0,
    Drop = 1,
    Pass = 2,
    Tx = 3,
    Redirect = 4,
}

impl XdpAction {
    /// The action a program's r0 names, or None for a value Linux treats as invalid.
    pub fn from_retval(retval: u64) -> Option<XdpAction> {
        Some(match retval {
            0 => XdpAction::Aborted,
            1 => XdpAction::Drop,
            2 => XdpAction::Pass,
            3 => XdpAction::Tx,
            4 => XdpAction::Redirect,
            _ => return None,
        })
    }
}

/// The verdict of a tc program (linux/pkt_cls.h's `TC_ACT_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TcAction {
    /// `TC_ACT_UNSPEC`, -1: the qdisc's default.
    Unspec = -1,
    Ok = 0,
    Reclassify = 1,
    Shot = 2,
    Pipe = 3,
    Stolen = 4,
    Queued = 5,
    Repeat = 6,
    Redirect = 7,
}

impl TcAction {
    /// The action a program's r0 names (read as the `int` the program returns), or None.
    pub fn from_retval(retval: u64) -> Option<TcAction> {
        Some(match retval as u32 as i32 {
            -1 => TcAction::Unspec,
            0 => TcAction::Ok,
            1 => TcAction::Reclassify,
            2 => TcAction::Shot,
            3 => TcAction::Pipe,
            4 => TcAction::Stolen,
            5 => TcAction::Queued,
            6 => TcAction::Repeat,
            7 => TcAction::Redirect,
            _ => return None,
        })
    }
}

/// Everything one run left: verdict, packet, redirect target, clones and events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestRun {
    /// The program's name, for failure messages.
    pub program: String,
    /// r0.
    pub retval: u64,
    /// The packet as the program left it (bounds moved by the adjust helpers included).
    pub packet: Packet,
    /// Where the program redirected the packet, when it did.
    pub redirect: Option<Redirect>,
    /// The copies `bpf_clone_redirect` sent (tc only).
    pub clones: Vec<ClonedPacket>,
    /// The `__sk_buff` fields as the program left them (tc only).
    pub skb_fields: Option<SkbFields>,
    /// The records waiting in each RINGBUF and PERF_EVENT_ARRAY after the run, by map name:
    /// what this run sent, after whatever earlier runs sent and nobody consumed. Taking
    /// them empties the maps, so the next run starts with none.
    pub events: BTreeMap<String, Vec<Vec<u8>>>,
}

/// Runs the XDP program `program` of `instance` over `packet`.
pub fn run_xdp(
    instance: &Instance,
    program: &str,
    mut packet: Packet,
) -> Result<TestRun, RunError> {
    let prog = instance.program(program)?;
    let outcome = instance.run_xdp_packet(&prog, &mut packet)?;
    Ok(TestRun {
        program: program.to_string(),
        retval: outcome.retval,
        packet,
        redirect: outcome.redirect,
        clones: outcome.clones,
        skb_fields: None,
        events: drain_events(instance),
    })
}

/// Runs the tc (or other `__sk_buff`) program `program` of `instance` over `packet`, with
/// the host's `fields` of `__sk_buff` (`SkbFields::default()` for none).
pub fn run_tc(
    instance: &Instance,
    program: &str,
    mut packet: Packet,
    fields: &SkbFields,
) -> Result<TestRun, RunError> {
    let prog = instance.program(program)?;
    let run = instance.run_skb_packet(&prog, &mut packet, fields)?;
    Ok(TestRun {
        program: program.to_string(),
        retval: run.retval,
        packet,
        redirect: run.redirect,
        clones: run.clones,
        skb_fields: Some(run.fields),
        events: drain_events(instance),
    })
}

fn drain_events(instance: &Instance) -> BTreeMap<String, Vec<Vec<u8>>> {
    let mut out: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
    for event in events::drain_all(instance) {
        out.entry(event.map).or_default().push(event.data);
    }
    out
}

/// r0 with the action's name when it has one, for messages.
struct Verdict(u64, Option<&'static str>);

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Some(name) => write!(f, "{name} ({})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

impl TestRun {
    /// The packet's bytes after the run.
    pub fn data(&self) -> &[u8] {
        self.packet.data()
    }

    /// The packet after the run, parsed.
    pub fn frame(&self) -> Frame<'_> {
        Frame::new(self.packet.data())
    }

    /// The XDP action r0 names.
    pub fn xdp_action(&self) -> Option<XdpAction> {
        XdpAction::from_retval(self.retval)
    }

    /// The tc action r0 names.
    pub fn tc_action(&self) -> Option<TcAction> {
        TcAction::from_retval(self.retval)
    }

    /// The records the program sent to the RINGBUF or PERF_EVENT_ARRAY `map` (empty when
    /// none).
    pub fn events(&self, map: &str) -> &[Vec<u8>] {
        self.events.get(map).map_or(&[], Vec::as_slice)
    }

    /// Panics unless the verdict is `expected`.
    #[track_caller]
    pub fn assert_xdp(&self, expected: XdpAction) -> &TestRun {
        if self.retval != expected as u64 {
            let got = Verdict(self.retval, self.xdp_action().map(xdp_name));
            panic!(
                "{}: expected XDP verdict {}, got {got}",
                self.program,
                Verdict(expected as u64, Some(xdp_name(expected)))
            );
        }
        self
    }

    /// Panics unless the verdict is `expected`.
    #[track_caller]
    pub fn assert_tc(&self, expected: TcAction) -> &TestRun {
        if self.tc_action() != Some(expected) {
            let got = Verdict(self.retval, self.tc_action().map(tc_name));
            panic!(
                "{}: expected tc verdict {} ({}), got {got}",
                self.program,
                tc_name(expected),
                expected as i32
            );
        }
        self
    }

    /// Panics unless the program redirected with `bpf_redirect_map` to `key` of `map`.
    #[track_caller]
    pub fn assert_redirect_map(&self, map: &str, key: u32) -> &TestRun {
        match &self.redirect {
            Some(Redirect::Map { map: m, key: k, .. }) if m == map && *k == key => self,
            other => panic!(
                "{}: expected a redirect to key {key} of map {map}, got {other:?}",
                self.program
            ),
        }
    }

    /// Panics unless the program redirected with `bpf_redirect` to `ifindex`.
    #[track_caller]
    pub fn assert_redirect_ifindex(&self, ifindex: u32) -> &TestRun {
        match &self.redirect {
            Some(Redirect::Ifindex { ifindex: i, .. }) if *i == ifindex => self,
            other => panic!(
                "{}: expected a redirect to ifindex {ifindex}, got {other:?}",
                self.program
            ),
        }
    }

    /// Panics when the program set a redirect target.
    #[track_caller]
    pub fn assert_no_redirect(&self) -> &TestRun {
        if let Some(r) = &self.redirect {
            panic!("{}: expected no redirect, got {r:?}", self.program);
        }
        self
    }

    /// Panics unless the program left the packet byte for byte as `original`.
    #[track_caller]
    pub fn assert_unchanged(&self, original: &[u8]) -> &TestRun {
        if self.data() != original {
            let first = self
                .data()
                .iter()
                .zip(original)
                .position(|(a, b)| a != b)
                .unwrap_or(self.data().len().min(original.len()));
            panic!(
                "{}: the packet changed: {} bytes now, {} before, first difference at byte {first}",
                self.program,
                self.data().len(),
                original.len()
            );
        }
        self
    }

    /// Panics unless every checksum of the final packet holds (see
    /// [`Frame::checksums_valid`]).
    #[track_caller]
    pub fn assert_checksums_valid(&self) -> &TestRun {
        let frame = self.frame();
        if !frame.checksums_valid() {
            panic!(
                "{}: a checksum of the final packet is wrong: IPv4 header {:?}, transport {:?} \
                 (Some(false) is wrong)",
                self.program,
                frame.ipv4_checksum_valid(),
                frame.l4_checksum_valid()
            );
        }
        self
    }

    /// Panics unless the program sent exactly `expected` records to `map`, in that order.
    #[track_caller]
    pub fn assert_events(&self, map: &str, expected: &[&[u8]]) -> &TestRun {
        let got = self.events(map);
        if got.len() != expected.len() || got.iter().zip(expected).any(|(g, e)| g != e) {
            panic!(
                "{}: expected {} event(s) in {map}: {expected:02x?}, got {}: {got:02x?}",
                self.program,
                expected.len(),
                got.len()
            );
        }
        self
    }
}

fn xdp_name(action: XdpAction) -> &'static str {
    match action {
        XdpAction::Aborted => "XDP_ABORTED",
        XdpAction::Drop => "XDP_DROP",
        XdpAction::Pass => "XDP_PASS",
        XdpAction::Tx => "XDP_TX",
        XdpAction::Redirect => "XDP_REDIRECT",
    }
}

fn tc_name(action: TcAction) -> &'static str {
    match action {
        TcAction::Unspec => "TC_ACT_UNSPEC",
        TcAction::Ok => "TC_ACT_OK",
        TcAction::Reclassify => "TC_ACT_RECLASSIFY",
        TcAction::Shot => "TC_ACT_SHOT",
        TcAction::Pipe => "TC_ACT_PIPE",
        TcAction::Stolen => "TC_ACT_STOLEN",
        TcAction::Queued => "TC_ACT_QUEUED",
        TcAction::Repeat => "TC_ACT_REPEAT",
        TcAction::Redirect => "TC_ACT_REDIRECT",
    }
}

#[cfg(test)]
mod tests;
