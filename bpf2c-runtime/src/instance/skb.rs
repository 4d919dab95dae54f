//! Running the programs that read `struct __sk_buff` (socket filters, tc classifiers and
//! actions, cgroup skb): the host's fields in, the packet's fields filled in, and the fields
//! the program wrote back out.

use std::ffi::c_void;

use super::run::Entry;
use super::run::Program;
use super::{Instance, RunState};
use crate::error::RunError;
use crate::ffi::bpf2c_skb_context_t;
use crate::packet::Packet;
use crate::redirect::{ClonedPacket, Redirect};
use crate::types::ProgramType;

/// The `__sk_buff` fields a packet cannot give, which the host supplies (all 0 by default,
/// as for a packet nothing has classified yet), and after a run the values the program left
/// in them.
///
/// `len`, `wire_len` and `protocol` come from the packet itself (see [`Instance::run_skb`]);
/// `data_meta` is `data` (no metadata area); `family`, the socket addresses and ports, `sk`,
/// `flow_keys` and the GSO fields are 0, since no socket or flow dissector exists here.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SkbFields {
    pub mark: u32,
    pub priority: u32,
    pub ifindex: u32,
    pub ingress_ifindex: u32,
    pub cb: [u32; 5],
    pub hash: u32,
    pub pkt_type: u32,
    pub queue_mapping: u32,
    pub tc_index: u32,
    pub tc_classid: u32,
    pub vlan_present: u32,
    pub vlan_tci: u32,
    pub vlan_proto: u32,
    pub napi_id: u32,
    pub tstamp: u64,
    pub hwtstamp: u64,
}

/// The result of [`Instance::run_skb`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SkbRun {
    /// r0: the verdict (tc: TC_ACT_OK = 0, TC_ACT_SHOT = 2...; socket filters: the bytes to
    /// keep, 0 to drop; cgroup skb: 1 to allow, 0 to drop).
    pub retval: u64,
    /// The host's fields as the program left them (it may write mark, priority, cb... as its
    /// type allows).
    pub fields: SkbFields,
}

/// The result of [`Instance::run_skb_packet`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkbPacketRun {
    /// r0: the verdict, as in [`SkbRun::retval`].
    pub retval: u64,
    /// The host's fields as the program left them.
    pub fields: SkbFields,
    /// The redirect target, when the program set one (`bpf_redirect`, `bpf_redirect_map`).
    pub redirect: Option<Redirect>,
    /// The copies `bpf_clone_redirect` sent, in order.
    pub clones: Vec<ClonedPacket>,
}

/// `__sk_buff.protocol` for a packet: the EtherType of an Ethernet frame, or, for a cgroup
/// skb program (whose packet starts at the network header, as in Linux), ETH_P_IP or
/// ETH_P_IPV6 from the IP version. Kept as Linux keeps it: the big-endian 16-bit value as it
/// lies in memory, read as a host number (what `bpf_htons(ETH_P_IP)` compares with).
fn protocol(program_type: ProgramType, packet: &[u8]) -> u32 {
    let ethertype: u16 = if program_type == ProgramType::CgroupSkb {
        match packet.first().map(|b| b >> 4) {
            Some(4) => 0x0800,
            Some(6) => 0x86dd,
            _ => 0,
        }
    } else {
        match packet.get(12..14) {
            Some(&[hi, lo]) => u16::from_be_bytes([hi, lo]),
            _ => 0,
        }
    };
    u32::from(u16::from_ne_bytes(ethertype.to_be_bytes()))
}

/// The native context of one run over `packet` with the host's `fields`.
pub(super) fn skb_context(
    program_type: ProgramType,
    packet: &mut [u8],
    fields: &SkbFields,
) -> bpf2c_skb_context_t {
    let start = packet.as_mut_ptr() as u64;
    let len = packet.len() as u32;
    bpf2c_skb_context_t {
        data: start,
        data_end: start + u64::from(len),
        data_meta: start,
        len,
        wire_len: len,
        protocol: protocol(program_type, packet),
        pkt_type: fields.pkt_type,
        mark: fields.mark,
        queue_mapping: fields.queue_mapping,
        vlan_present: fields.vlan_present,
        vlan_tci: fields.vlan_tci,
        vlan_proto: fields.vlan_proto,
        priority: fields.priority,
        ingress_ifindex: fields.ingress_ifindex,
        ifindex: fields.ifindex,
        tc_index: fields.tc_index,
        cb: fields.cb,
        hash: fields.hash,
        tc_classid: fields.tc_classid,
        napi_id: fields.napi_id,
        tstamp: fields.tstamp,
        hwtstamp: fields.hwtstamp,
        ..Default::default()
    }
}

/// The host's fields as the program left them in `ctx`.
fn fields_of(ctx: &bpf2c_skb_context_t) -> SkbFields {
    SkbFields {
        mark: ctx.mark,
        priority: ctx.priority,
        ifindex: ctx.ifindex,
        ingress_ifindex: ctx.ingress_ifindex,
        cb: ctx.cb,
        hash: ctx.hash,
        pkt_type: ctx.pkt_type,
        queue_mapping: ctx.queue_mapping,
        tc_index: ctx.tc_index,
        tc_classid: ctx.tc_classid,
        vlan_present: ctx.vlan_present,
        vlan_tci: ctx.vlan_tci,
        vlan_proto: ctx.vlan_proto,
        napi_id: ctx.napi_id,
        tstamp: ctx.tstamp,
        hwtstamp: ctx.hwtstamp,
    }
}

pub(super) fn skb_entry(ctx: &mut bpf2c_skb_context_t) -> Entry {
    let ptr = ctx as *mut bpf2c_skb_context_t;
    Entry {
        r1: ptr as u64,
        r2: 0,
        context: ptr as *mut c_void,
    }
}

impl Instance {
    /// Runs a socket-filter, tc or cgroup-skb program over one packet, which it may rewrite
    /// in place, with the host's `fields` of `__sk_buff`. `len` and `wire_len` are the
    /// packet's length; `protocol` is its EtherType (for cgroup skb, whose packet starts at
    /// the IP header as in Linux, the one its IP version gives). A legacy packet load
    /// (LD_ABS/LD_IND) outside the packet ends the run returning 0, as in Linux.
    pub fn run_skb(
        &self,
        prog: &Program,
        packet: &mut [u8],
        fields: &SkbFields,
    ) -> Result<SkbRun, RunError> {
        self.skb_program_type(prog)?;
        self.check_data(prog, packet.len())?;
        // Without room around it the frame is exactly the slice: the program may rewrite and
        // shrink it, and its bytes stay where they were.
        let mut frame = Packet::with_room(packet, 0, 0);
        let run = self.run_skb_packet(prog, &mut frame, fields)?;
        packet.copy_from_slice(&frame.frame_mut()[..packet.len()]);
        Ok(SkbRun {
            retval: run.retval,
            fields: run.fields,
        })
    }

    /// [`Instance::run_skb`] over a packet with room ([`Packet::new`]), which the resize
    /// helpers (`bpf_skb_change_head`, `bpf_skb_adjust_room`, ...) grow and shrink within
    /// Linux's limits; `packet` holds the final packet afterwards. The outcome carries r0, the
    /// host's fields as the program left them, and any redirect target and clones.
    pub fn run_skb_packet(
        &self,
        prog: &Program,
        packet: &mut Packet,
        fields: &SkbFields,
    ) -> Result<SkbPacketRun, RunError> {
        let program_type = self.skb_program_type(prog)?;
        self.check_data(prog, packet.len())?;
        let mut ctx = skb_context(program_type, packet.data_mut(), fields);
        crate::helpers::skb::publish(&mut ctx, packet);
        let entry = skb_entry(&mut ctx);
        let state = RunState::new(self, prog.index());
        state.packet.set(packet as *mut Packet);
        let retval = self.with_cpu(|cpu| self.execute_in(&state, entry, cpu));
        state.packet.set(std::ptr::null_mut());
        // The helpers keep the context and the packet in step; a direct write to the context's
        // packet pointers is refused by verification, so the bounds are the packet's.
        crate::helpers::skb::adopt_bounds(&ctx, packet);
        Ok(SkbPacketRun {
            retval: retval?,
            fields: fields_of(&ctx),
            redirect: state.redirect.take(),
            clones: state.clones.take(),
        })
    }

    /// The program's type, when it reads `struct __sk_buff`.
    fn skb_program_type(&self, prog: &Program) -> Result<ProgramType, RunError> {
        let info = self.info(prog)?;
        let program_type = info.program_type;
        if !program_type.reads_sk_buff() {
            return Err(RunError::WrongProgramType {
                program: info.name.clone(),
                expected: "a program that reads struct __sk_buff (socket_filter, sched_cls, \
                           sched_act or cgroup_skb)"
                    .to_string(),
                actual: program_type.to_string(),
            });
        }
        Ok(program_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_is_the_ethertype_as_linux_stores_it() {
        let mut frame = vec![0u8; 14];
        frame[12..14].copy_from_slice(&[0x08, 0x00]);
        let p = protocol(ProgramType::SchedCls, &frame);
        assert_eq!(p.to_ne_bytes()[..2], [0x08, 0x00]);
        assert_eq!(protocol(ProgramType::SchedCls, &frame[..13]), 0);
        // cgroup skb: the packet is the IP packet.
        let p = protocol(ProgramType::CgroupSkb, &[0x60, 0, 0, 0]);
        assert_eq!(p.to_ne_bytes()[..2], [0x86, 0xdd]);
        assert_eq!(protocol(ProgramType::CgroupSkb, &[]), 0);
    }

    #[test]
    fn the_context_describes_the_packet_and_carries_the_fields_back() {
        let mut packet = vec![0u8; 60];
        let fields = SkbFields {
            mark: 7,
            cb: [1, 2, 3, 4, 5],
            ..Default::default()
        };
        let mut ctx = skb_context(ProgramType::SocketFilter, &mut packet, &fields);
        assert_eq!((ctx.len, ctx.wire_len), (60, 60));
        assert_eq!(ctx.data_end - ctx.data, 60);
        assert_eq!(ctx.data_meta, ctx.data);
        ctx.priority = 9;
        let back = fields_of(&ctx);
        assert_eq!(back.mark, 7);
        assert_eq!(back.priority, 9);
        assert_eq!(back.cb, [1, 2, 3, 4, 5]);
    }
}
