//! Calls packet helpers the way generated code does, for unit tests: a context and a
//! packet built by hand, and an invocation whose run state lends the helper the packet.

use crate::ffi::{self, bpf2c_helper_fn, bpf2c_invocation_t};
use crate::instance::tests::{image, instantiate};
use crate::instance::{Options, RunState};
use crate::packet::Packet;
use crate::redirect::RunOutcome;

/// Calls `helper` with r1 = `ctx` and r2..r5 = `args` during a pretend run over `packet`;
/// returns r0 as a signed number (helpers return -errno).
pub(crate) fn call<C>(
    helper: bpf2c_helper_fn,
    ctx: &mut C,
    packet: &mut Packet,
    args: [u64; 4],
) -> i64 {
    call_outcome(helper, ctx, packet, args).retval as i64
}

/// [`call`], returning r0 with the redirect and clones the helper recorded. The pretend
/// program is a raw one, so the redirect helpers behave as for tc programs.
pub(crate) fn call_outcome<C>(
    helper: bpf2c_helper_fn,
    ctx: &mut C,
    packet: &mut Packet,
    args: [u64; 4],
) -> RunOutcome {
    let inst = instantiate(image(false), Options::default()).unwrap();
    let state = RunState::new(&inst, 0);
    state.packet.set(packet as *mut Packet);
    let mut inv = bpf2c_invocation_t {
        runtime: std::ptr::null(),
        context: (ctx as *mut C).cast(),
        loop_budget: 0,
        unwind: ffi::BPF2C_UNWIND_NONE,
        cpu: 0,
        unwind_pc: 0,
        unwind_function: 0,
        tail_call_count: 0,
        tail_call_target: -1,
        host: (&state as *const RunState<'_>).cast_mut().cast(),
        prandom: std::ptr::null_mut(),
    };
    let [r2, r3, r4, r5] = args;
    // SAFETY: as generated code calls it: r1 the run's context, the invocation's host a live
    // run state whose packet is `packet`, borrowed for the call; pointer arguments in
    // `args` are the caller's, valid for the sizes it passes.
    let r0 = unsafe { helper(ctx as *mut C as u64, r2, r3, r4, r5, &mut inv) };
    RunOutcome {
        retval: r0,
        redirect: state.redirect.take(),
        clones: state.clones.take(),
    }
}
