//! `bpf_redirect`, `bpf_redirect_map` and `bpf_clone_redirect`: they return the action
//! Linux returns and record the target in the run state, which the run hands the host
//! ([`crate::RunOutcome`]).

use crate::ffi::{bpf2c_invocation_t, bpf2c_skb_context_t};
use crate::instance::RunState;
use crate::maps::{devmap, Map};
use crate::redirect::redirect_flags::*;
use crate::redirect::tc_action::*;
use crate::redirect::xdp_action::*;
use crate::redirect::{ClonedPacket, Redirect};
use crate::types::{MapType, ProgramType};

use super::packet::{errno, fail, run_packet};

/// Is the running program an XDP program (else a socket-buffer program, tc)?
fn runs_xdp(state: &RunState<'_>) -> bool {
    state.inner.image.programs()[state.program.get()].program_type == ProgramType::Xdp
}

/// `bpf_redirect(ifindex, flags)`. XDP: any flag makes it XDP_ABORTED, else XDP_REDIRECT.
/// tc: flags other than BPF_F_INGRESS make it TC_ACT_SHOT, else TC_ACT_REDIRECT.
pub(crate) unsafe extern "C" fn redirect(
    ifindex: u64,
    flags: u64,
    _: u64,
    _: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: `inv` is the run's invocation (the helper contract).
    let Some(state) = (unsafe { RunState::from_invocation(inv) }) else {
        return XDP_ABORTED;
    };
    let ifindex = ifindex as u32;
    let (allowed, refused, redirected) = if runs_xdp(state) {
        (0, XDP_ABORTED, XDP_REDIRECT)
    } else {
        (BPF_F_INGRESS, TC_ACT_SHOT, TC_ACT_REDIRECT)
    };
    if flags & !allowed != 0 {
        return refused;
    }
    state
        .redirect
        .replace(Some(Redirect::Ifindex { ifindex, flags }));
    redirected
}

/// Bytes of Linux's `struct bpf_redir_neigh`: `nh_family` and a 16-byte address.
const REDIR_NEIGH_SIZE: u64 = 20;

/// `bpf_redirect_neigh(ifindex, params, plen, flags)`, tc only: TC_ACT_REDIRECT out of
/// `ifindex`, whose neighbour the stack would resolve (for the next hop in `params` when
/// `plen` is not 0), recorded as [`Redirect::Neigh`]. As in Linux, any flag, or a `params`
/// shorter than `struct bpf_redir_neigh`, gives TC_ACT_SHOT and records nothing.
pub(crate) unsafe extern "C" fn redirect_neigh(
    ifindex: u64,
    params: u64,
    plen: u64,
    flags: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: `inv` is the run's invocation (the helper contract).
    let Some(state) = (unsafe { RunState::from_invocation(inv) }) else {
        return TC_ACT_SHOT;
    };
    if flags != 0 || (plen != 0 && plen < REDIR_NEIGH_SIZE) {
        return TC_ACT_SHOT;
    }
    let nexthop = if plen == 0 || params == 0 {
        None
    } else {
        // SAFETY: the verifier proved `params` readable for `plen` bytes (memory or NULL
        // with its size), and `plen` is at least the 20 bytes read.
        let bytes =
            unsafe { std::slice::from_raw_parts(params as *const u8, REDIR_NEIGH_SIZE as usize) };
        Some(bytes.to_vec())
    };
    state.redirect.replace(Some(Redirect::Neigh {
        ifindex: ifindex as u32,
        nexthop,
    }));
    TC_ACT_REDIRECT
}

/// `bpf_redirect_map(map, key, flags)` over a DEVMAP, DEVMAP_HASH, CPUMAP or XSKMAP:
/// XDP_REDIRECT when the key has an entry (or BPF_F_BROADCAST is set on a device map),
/// else the action in the low two bits of `flags`, clearing any earlier target. Unknown
/// flags give XDP_ABORTED.
pub(crate) unsafe extern "C" fn redirect_map(
    map_handle: u64,
    key: u64,
    flags: u64,
    _: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: `inv` is the run's invocation (the helper contract).
    let Some(state) = (unsafe { RunState::from_invocation(inv) }) else {
        return XDP_ABORTED;
    };
    // SAFETY: the handle is one of the instance's maps (the helper contract).
    let Some(map) = (unsafe { (map_handle as *const Map).as_ref() }) else {
        return XDP_ABORTED;
    };
    let map_type = map.spec.map_type;
    if !map_type.is_redirect_target() {
        return XDP_ABORTED;
    }
    let extra = match map_type {
        MapType::Devmap | MapType::DevmapHash => BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS,
        _ => 0,
    };
    if flags & !(BPF_F_ACTION_MASK | extra) != 0 {
        return XDP_ABORTED;
    }
    // Linux looks the key up as a u32.
    let key = key as u32;
    let broadcast = flags & BPF_F_BROADCAST != 0;
    let value = devmap::target(map, key);
    if value.is_none() && !broadcast {
        state.redirect.replace(None);
        return flags & BPF_F_ACTION_MASK;
    }
    state.redirect.replace(Some(Redirect::Map {
        map: map.spec.name.clone(),
        map_type,
        key,
        flags: if broadcast { flags } else { 0 },
        value: if broadcast { None } else { value },
    }));
    XDP_REDIRECT
}

/// `bpf_clone_redirect(skb, ifindex, flags)`: sends a copy of the packet as it is now and
/// returns 0. -EINVAL for flags other than BPF_F_INGRESS and for ifindex 0, which no
/// device has.
pub(crate) unsafe extern "C" fn clone_redirect(
    ctx: u64,
    ifindex: u64,
    flags: u64,
    _: u64,
    _: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    let ifindex = ifindex as u32;
    if flags & !BPF_F_INGRESS != 0 || ifindex == 0 {
        return fail(errno::EINVAL);
    }
    // SAFETY: `inv` is the run's invocation (the helper contract).
    let Some(state) = (unsafe { RunState::from_invocation(inv) }) else {
        return fail(errno::EINVAL);
    };
    // SAFETY: r1 is the run's skb context (the helper contract).
    let Some(ctx) = (unsafe { (ctx as *const bpf2c_skb_context_t).as_ref() }) else {
        return fail(errno::EINVAL);
    };
    // SAFETY: the helper contract.
    let Some(packet) = (unsafe { run_packet(inv) }) else {
        return fail(errno::EINVAL);
    };
    let (Some(data), Some(end)) = (packet.offset_of(ctx.data), packet.offset_of(ctx.data_end))
    else {
        return fail(errno::EINVAL);
    };
    let bytes = packet
        .frame_mut()
        .get(data..end)
        .unwrap_or_default()
        .to_vec();
    state.clones.borrow_mut().push(ClonedPacket {
        ifindex,
        flags,
        data: bytes,
    });
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::helpers::skb::publish;
    use crate::helpers::testing::call_outcome;
    use crate::packet::Packet;

    fn skb(bytes: &[u8]) -> (Packet, bpf2c_skb_context_t) {
        let mut packet = Packet::with_room(bytes, 0, 0);
        let mut ctx = bpf2c_skb_context_t::default();
        publish(&mut ctx, &mut packet);
        (packet, ctx)
    }

    #[test]
    fn tc_redirect_takes_only_the_ingress_flag() {
        let (mut p, mut ctx) = skb(&[1; 14]);
        // bpf_redirect has no context argument; r1 is the ifindex.
        let mut ifindex = 3u64;
        let out = call_outcome(redirect, &mut ifindex, &mut p, [BPF_F_INGRESS, 0, 0, 0]);
        assert_eq!(out.retval, TC_ACT_REDIRECT);
        assert!(matches!(
            out.redirect,
            Some(Redirect::Ifindex { flags: 1, .. })
        ));
        let out = call_outcome(redirect, &mut ctx, &mut p, [2, 0, 0, 0]);
        assert_eq!((out.retval, out.redirect), (TC_ACT_SHOT, None));
    }

    #[test]
    fn redirect_neigh_records_the_device_and_next_hop() {
        let (mut p, mut ctx) = skb(&[1; 14]);
        // struct bpf_redir_neigh: AF_INET (2), then 10.0.0.1.
        let mut params = [0u8; 20];
        params[0] = 2;
        params[4..8].copy_from_slice(&[10, 0, 0, 1]);
        let at = params.as_ptr() as u64;
        let out = call_outcome(redirect_neigh, &mut ctx, &mut p, [at, 20, 0, 0]);
        assert_eq!(out.retval, TC_ACT_REDIRECT);
        // r1 is the ifindex: here the context's address, truncated as Linux truncates it.
        let ifindex = (&mut ctx as *mut bpf2c_skb_context_t as u64) as u32;
        assert_eq!(
            out.redirect,
            Some(Redirect::Neigh {
                ifindex,
                nexthop: Some(params.to_vec())
            })
        );
        let out = call_outcome(redirect_neigh, &mut ctx, &mut p, [0, 0, 0, 0]);
        assert_eq!(
            out.redirect,
            Some(Redirect::Neigh {
                ifindex,
                nexthop: None
            })
        );
        // A flag, or params shorter than the struct: dropped, nothing recorded.
        for args in [[0, 0, 1, 0], [at, 19, 0, 0]] {
            let out = call_outcome(redirect_neigh, &mut ctx, &mut p, args);
            assert_eq!((out.retval, out.redirect), (TC_ACT_SHOT, None));
        }
    }

    #[test]
    fn clone_redirect_records_a_copy_of_the_packet_as_it_is() {
        let (mut p, mut ctx) = skb(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 8, 0]);
        let out = call_outcome(clone_redirect, &mut ctx, &mut p, [5, BPF_F_INGRESS, 0, 0]);
        assert_eq!(out.retval, 0);
        assert_eq!(
            out.clones,
            [ClonedPacket {
                ifindex: 5,
                flags: 1,
                data: vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 8, 0],
            }]
        );
        assert_eq!(out.redirect, None);
        let einval = fail(errno::EINVAL);
        let out = call_outcome(clone_redirect, &mut ctx, &mut p, [5, 2, 0, 0]);
        assert_eq!((out.retval, out.clones.len()), (einval, 0));
        let out = call_outcome(clone_redirect, &mut ctx, &mut p, [0, 0, 0, 0]);
        assert_eq!((out.retval, out.clones.len()), (einval, 0));
    }
}
