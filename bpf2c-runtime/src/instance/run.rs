//! Running programs: contexts, the CPU-slot lease, and what happens after a program
//! returns (tail calls, exhausted budgets, bad helpers).

use std::ffi::c_void;
use std::time::{Duration, Instant};

use super::{Failure, Instance, RunState};
use crate::error::RunError;
use crate::ffi::{self, bpf2c_invocation_t, bpf2c_xdp_context_t};
use crate::helpers::skb_meta::SkbMeta;
use crate::packet::Packet;
use crate::redirect::RunOutcome;
use crate::types::{ProgramInfo, ProgramType};

/// A program of one instance, found by name once and then cheap to copy and use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Program {
    index: usize,
    instance: u64,
}

impl Program {
    /// The program's index in the module's program table.
    pub fn index(&self) -> usize {
        self.index
    }
}

/// Timing of [`Instance::run_repeat`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RepeatStats {
    /// Runs completed (all of them: the first error ends the call instead).
    pub runs: u64,
    /// Wall time of all runs together, excluding setup.
    pub total: Duration,
    /// r0 of the last run.
    pub last_return: u64,
}

impl RepeatStats {
    /// Mean wall time of one run, the number benchmarks report.
    pub fn ns_per_run(&self) -> f64 {
        if self.runs == 0 {
            return 0.0;
        }
        self.total.as_nanos() as f64 / self.runs as f64
    }
}

/// The registers and context of one run.
#[derive(Clone, Copy)]
pub(super) struct Entry {
    pub(super) r1: u64,
    pub(super) r2: u64,
    pub(super) context: *mut c_void,
}

impl Instance {
    /// Finds a program by name.
    pub fn program(&self, name: &str) -> Result<Program, RunError> {
        self.image
            .programs()
            .iter()
            .position(|p| p.name == name)
            .map(|index| Program {
                index,
                instance: self.id,
            })
            .ok_or_else(|| RunError::NoSuchProgram {
                program: name.to_string(),
                available: self
                    .image
                    .programs()
                    .iter()
                    .map(|p| p.name.clone())
                    .collect(),
            })
    }

    pub(super) fn info(&self, prog: &Program) -> Result<&ProgramInfo, RunError> {
        if prog.instance != self.id {
            return Err(RunError::ForeignProgram {
                program_index: prog.index,
            });
        }
        self.image
            .programs()
            .get(prog.index)
            .ok_or(RunError::ForeignProgram {
                program_index: prog.index,
            })
    }

    /// Refuses data larger than the program type allows (see `BPF2C_MAX_*` in bpf2c.h).
    pub(super) fn check_data(&self, prog: &Program, len: usize) -> Result<(), RunError> {
        let info = self.info(prog)?;
        let max = info.program_type.max_data_size() as usize;
        if len > max {
            return Err(RunError::DataTooLarge {
                program: info.name.clone(),
                len,
                max,
            });
        }
        Ok(())
    }

    fn expect_type(&self, prog: &Program, expected: ProgramType) -> Result<(), RunError> {
        let info = self.info(prog)?;
        if info.program_type != expected {
            return Err(RunError::WrongProgramType {
                program: info.name.clone(),
                expected: expected.to_string(),
                actual: info.program_type.to_string(),
            });
        }
        Ok(())
    }

    /// Runs a raw program over `data`: r1 = its address (0 when empty), r2 = its length.
    /// The program may change the bytes in place.
    pub fn run_raw(&self, prog: &Program, data: &mut [u8]) -> Result<u64, RunError> {
        self.expect_type(prog, ProgramType::Raw)?;
        self.check_data(prog, data.len())?;
        let entry = raw_entry(data);
        self.with_cpu(|cpu| self.execute(prog.index, entry, cpu))
    }

    /// Runs an XDP program over one packet, which it may rewrite in place. r0 is the XDP
    /// action (XDP_DROP = 1, XDP_PASS = 2, ...).
    ///
    /// The packet has no room around it: `bpf_xdp_adjust_head` and `_tail` can only shrink
    /// it, and the slice keeps every byte where it was (use [`Instance::run_xdp_packet`] to
    /// see a packet whose bounds moved).
    pub fn run_xdp(&self, prog: &Program, packet: &mut [u8]) -> Result<u64, RunError> {
        let mut frame = Packet::with_room(packet, 0, 0);
        let outcome = self.run_xdp_packet(prog, &mut frame)?;
        // With no room the frame is exactly the slice, byte for byte.
        packet.copy_from_slice(&frame.frame_mut()[..packet.len()]);
        Ok(outcome.retval)
    }

    /// Runs an XDP program over a packet with room ([`Packet::new`]): the program may move
    /// its start, end and metadata within Linux's limits, and `packet` holds the final
    /// packet and metadata afterwards. The outcome carries r0 and any redirect target.
    pub fn run_xdp_packet(
        &self,
        prog: &Program,
        packet: &mut Packet,
    ) -> Result<RunOutcome, RunError> {
        self.expect_type(prog, ProgramType::Xdp)?;
        self.check_data(prog, packet.len())?;
        let mut xdp = xdp_packet_context(packet);
        let entry = xdp_entry(&mut xdp);
        let state = RunState::new(self, prog.index);
        state.packet.set(packet as *mut Packet);
        let retval = self.with_cpu(|cpu| self.execute_in(&state, entry, cpu));
        state.packet.set(std::ptr::null_mut());
        // The helpers moved the bounds in the context only; the packet follows them.
        sync_xdp_bounds(packet, &xdp);
        Ok(RunOutcome {
            retval: retval?,
            redirect: state.redirect.take(),
            clones: state.clones.take(),
        })
    }

    /// Runs a program with the context its type calls for: raw programs get `data` as a
    /// buffer, XDP and `__sk_buff` programs as a packet (the latter with every host field
    /// 0; [`Instance::run_skb`] sets them and returns what the program wrote).
    pub fn run(&self, prog: &Program, data: &mut [u8]) -> Result<u64, RunError> {
        match self.info(prog)?.program_type {
            ProgramType::Raw => self.run_raw(prog, data),
            ProgramType::Xdp => self.run_xdp(prog, data),
            ProgramType::SocketFilter
            | ProgramType::SchedCls
            | ProgramType::SchedAct
            | ProgramType::CgroupSkb => self
                .run_skb(prog, data, &super::skb::SkbFields::default())
                .map(|run| run.retval),
        }
    }

    /// Runs a program with a context the host built itself: r1 = `context`, r2 = `r2`.
    ///
    /// # Safety
    /// `context` must be what the program's type promises its code (for XDP a valid
    /// `bpf2c_xdp_context_t` whose range is readable and writable, for raw programs a
    /// buffer of `r2` bytes), and stay valid for the run.
    pub unsafe fn run_with_context(
        &self,
        prog: &Program,
        context: *mut c_void,
        r2: u64,
    ) -> Result<u64, RunError> {
        self.info(prog)?;
        let entry = Entry {
            r1: context as u64,
            r2,
            context,
        };
        self.with_cpu(|cpu| self.execute(prog.index, entry, cpu))
    }

    /// Runs a program `runs` times over the same data and times the loop, for benchmarks:
    /// the CPU slot is leased once, and the runs happen in a tight C loop that only resets
    /// the invocation between two calls, so the time is the program's. A run that tail
    /// calls, exhausts its budget or fails leaves the loop and is finished as [`Instance::run`]
    /// would finish it. The data is not reset between runs. Stops at the first error.
    pub fn run_repeat(
        &self,
        prog: &Program,
        data: &mut [u8],
        runs: u64,
    ) -> Result<RepeatStats, RunError> {
        let program_type = self.info(prog)?.program_type;
        self.check_data(prog, data.len())?;
        // XDP runs get a frame without room, as `run_xdp` gives them; the context is set up
        // once, so a program that moves its packet's bounds moves them for the next run too.
        let is_xdp = program_type == ProgramType::Xdp;
        let mut frame = Packet::with_room(if is_xdp { data } else { &[] }, 0, 0);
        let mut xdp = xdp_packet_context(&mut frame);
        let mut skb =
            super::skb::skb_context(program_type, data, &super::skb::SkbFields::default());
        let entry = match program_type {
            ProgramType::Raw => raw_entry(data),
            ProgramType::Xdp => xdp_entry(&mut xdp),
            ProgramType::SocketFilter
            | ProgramType::SchedCls
            | ProgramType::SchedAct
            | ProgramType::CgroupSkb => super::skb::skb_entry(&mut skb),
        };
        let function = self.image.programs()[prog.index].function;
        // The module's own loop calls the program from next to it, which is cheaper than a
        // call from this executable into a library far away (see the ABI header).
        let run_loop = self.image.run_loop().unwrap_or(bpf2c_rt_run_loop);
        let stats = self.with_cpu(|cpu| {
            let state = RunState::new(self, prog.index);
            if is_xdp {
                state.packet.set(&mut frame as *mut Packet);
            }
            let mut inv = self.invocation(entry, cpu, &state);
            let mut last_return = 0;
            let mut done = 0;
            let start = Instant::now();
            while done < runs {
                let mut r0 = 0;
                // SAFETY: as in `execute`: a validated module's function, and an invocation
                // whose runtime context and run state outlive the loop; the loop is the
                // runtime's or the module's copy of the ABI header's, loaded with the module.
                done += unsafe {
                    run_loop(
                        function,
                        entry.r1,
                        entry.r2,
                        &mut inv,
                        self.loop_budget,
                        runs - done,
                        &mut r0,
                    )
                };
                last_return = self.settle(entry, &mut inv, &state, r0)?;
                state.program.set(prog.index);
            }
            Ok(RepeatStats {
                runs,
                total: start.elapsed(),
                last_return,
            })
        });
        if is_xdp {
            data.copy_from_slice(&frame.frame_mut()[..data.len()]);
        }
        stats
    }

    /// Runs `f` with a CPU slot: leased exclusively if per-CPU data could race, else 0.
    pub(super) fn with_cpu<R>(&self, f: impl FnOnce(u32) -> R) -> R {
        if self.lease_needed {
            let lease = self.slots.lease();
            f(lease.slot())
        } else {
            f(0)
        }
    }

    /// A fresh invocation for a run of `entry` on CPU slot `cpu`, reporting to `state`.
    fn invocation(&self, entry: Entry, cpu: u32, state: &RunState<'_>) -> bpf2c_invocation_t {
        bpf2c_invocation_t {
            runtime: &*self.runtime,
            context: entry.context,
            loop_budget: self.loop_budget,
            unwind: ffi::BPF2C_UNWIND_NONE,
            cpu,
            unwind_pc: 0,
            unwind_function: 0,
            tail_call_count: 0,
            tail_call_target: -1,
            host: state as *const RunState<'_> as *mut c_void,
            prandom: self.prandom.generator(),
        }
    }

    /// Runs a packet program over a context the host built itself, with the skb state the
    /// packet helpers see (checksum status, tunnel metadata, hash validity) starting from
    /// `meta` instead of the instance's default; `meta` then holds the state the run left,
    /// such as a tunnel key the program set (also when the run fails).
    ///
    /// # Safety
    /// As for [`Instance::run_with_context`], with r2 = 0: `context` must be what the
    /// program's type promises its code and stay valid for the run.
    pub unsafe fn run_with_skb_meta(
        &self,
        prog: &Program,
        context: *mut c_void,
        meta: &mut SkbMeta,
    ) -> Result<u64, RunError> {
        self.info(prog)?;
        let entry = Entry {
            r1: context as u64,
            r2: 0,
            context,
        };
        self.with_cpu(|cpu| self.execute_with_meta(prog.index, entry, cpu, Some(meta)))
    }

    /// One run: the entry program, then each tail-call target it hands over to.
    pub(super) fn execute(&self, program: usize, entry: Entry, cpu: u32) -> Result<u64, RunError> {
        self.execute_with_meta(program, entry, cpu, None)
    }

    /// [`Instance::execute`], the skb state starting from `meta` and left there if given.
    fn execute_with_meta(
        &self,
        program: usize,
        entry: Entry,
        cpu: u32,
        meta: Option<&mut SkbMeta>,
    ) -> Result<u64, RunError> {
        let state = RunState::new(self, program);
        if let Some(m) = &meta {
            state.skb_meta.replace(Some(**m));
        }
        let result = self.execute_in(&state, entry, cpu);
        if let (Some(m), Some(last)) = (meta, state.skb_meta.take()) {
            *m = last;
        }
        result
    }

    /// [`Instance::execute`] with a run state the caller prepared (a packet) and reads
    /// afterwards (a redirect).
    pub(super) fn execute_in(
        &self,
        state: &RunState<'_>,
        entry: Entry,
        cpu: u32,
    ) -> Result<u64, RunError> {
        let mut inv = self.invocation(entry, cpu, state);
        let function = self.image.programs()[state.program.get()].function;
        // SAFETY: the function comes from a validated module whose code outlives the
        // instance; the invocation and its runtime context are complete and live for the
        // call; and the context is what the program's type promises (checked by the public
        // run methods, vouched for by run_with_context's caller). That the program then
        // stays inside the memory it is given is the verifier's proof, which Instance::new
        // required, or the promise of Instance::new_unverified's caller.
        let r0 = unsafe { function(entry.r1, entry.r2, 0, 0, 0, &mut inv) };
        self.settle(entry, &mut inv, state, r0)
    }

    /// Finishes a run whose current program just returned `r0`: reports a failed helper,
    /// runs the tail-call targets it hands over to, or turns an unwind into an error.
    fn settle(
        &self,
        entry: Entry,
        inv: &mut bpf2c_invocation_t,
        state: &RunState<'_>,
        mut r0: u64,
    ) -> Result<u64, RunError> {
        let programs = self.image.programs();
        loop {
            let name = || programs[state.program.get()].name.clone();
            if let Some(failure) = state.failure.take() {
                return Err(match failure {
                    Failure::UnknownHelper(helper_id) => RunError::BadHelper {
                        program: name(),
                        helper_id: Some(helper_id),
                    },
                    Failure::Panicked { helper, message } => RunError::HelperPanicked {
                        program: name(),
                        helper,
                        message,
                    },
                });
            }
            match inv.unwind {
                ffi::BPF2C_UNWIND_NONE => return Ok(r0),
                ffi::BPF2C_UNWIND_TAIL_CALL => {
                    let target = inv.tail_call_target;
                    if target < 0
                        || target as usize >= programs.len()
                        || inv.tail_call_count > ffi::BPF2C_MAX_TAIL_CALLS
                    {
                        return Err(RunError::BadUnwind {
                            program: name(),
                            reason: format!(
                                "tail call to program {target} after {} tail calls is \
                                 impossible",
                                inv.tail_call_count
                            ),
                        });
                    }
                    let current = target as usize;
                    state.program.set(current);
                    inv.unwind = ffi::BPF2C_UNWIND_NONE;
                    inv.tail_call_target = -1;
                    // SAFETY: as in `execute`.
                    r0 = unsafe {
                        (programs[current].function)(entry.r1, entry.r2, 0, 0, 0, &mut *inv)
                    };
                }
                ffi::BPF2C_UNWIND_LOOP_BUDGET => {
                    let function = self
                        .image
                        .functions()
                        .get(inv.unwind_function as usize)
                        .cloned()
                        .unwrap_or_else(|| format!("#{}", inv.unwind_function));
                    return Err(RunError::LoopBudget {
                        program: name(),
                        function,
                        instruction: inv.unwind_pc,
                        budget: self.loop_budget,
                    });
                }
                // An LD_ABS/LD_IND load outside the packet: Linux ends the run with r0 = 0.
                ffi::BPF2C_UNWIND_PACKET_LOAD => return Ok(0),
                ffi::BPF2C_UNWIND_BAD_HELPER => {
                    return Err(RunError::BadHelper {
                        program: name(),
                        helper_id: None,
                    })
                }
                other => {
                    return Err(RunError::BadUnwind {
                        program: name(),
                        reason: format!("unknown unwind reason {other}"),
                    })
                }
            }
        }
    }
}

extern "C" {
    fn bpf2c_rt_run_loop(
        function: ffi::bpf2c_function_fn,
        r1: u64,
        r2: u64,
        inv: *mut bpf2c_invocation_t,
        loop_budget: u64,
        runs: u64,
        last_r0: *mut u64,
    ) -> u64;
}

fn raw_entry(data: &mut [u8]) -> Entry {
    let (ptr, len) = if data.is_empty() {
        (std::ptr::null_mut(), 0)
    } else {
        (data.as_mut_ptr(), data.len())
    };
    Entry {
        r1: ptr as u64,
        r2: len as u64,
        context: ptr as *mut c_void,
    }
}

/// The XDP context of a packet: its data, end and metadata addresses in the frame.
fn xdp_packet_context(packet: &mut Packet) -> bpf2c_xdp_context_t {
    let (meta, data, end) = packet.bounds();
    bpf2c_xdp_context_t {
        data: packet.address(data),
        data_end: packet.address(end),
        data_meta: packet.address(meta),
        ingress_ifindex: packet.ingress_ifindex,
        rx_queue_index: packet.rx_queue_index,
        ..Default::default()
    }
}

/// Moves the packet's bounds to where the run's helpers left the context's. XDP frames
/// never move, so each address is still inside the frame.
fn sync_xdp_bounds(packet: &mut Packet, xdp: &bpf2c_xdp_context_t) {
    let (meta, data, end) = packet.bounds();
    let meta = packet.offset_of(xdp.data_meta).unwrap_or(meta);
    let data = packet.offset_of(xdp.data).unwrap_or(data);
    let end = packet.offset_of(xdp.data_end).unwrap_or(end);
    if meta <= data && data <= end {
        packet.set_bounds(meta, data, end);
    }
}

fn xdp_entry(xdp: &mut bpf2c_xdp_context_t) -> Entry {
    let ptr = xdp as *mut bpf2c_xdp_context_t;
    Entry {
        r1: ptr as u64,
        r2: 0,
        context: ptr as *mut c_void,
    }
}
