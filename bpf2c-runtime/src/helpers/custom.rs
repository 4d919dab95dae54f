//! Host-defined helpers.
//!
//! The helper table holds plain C function pointers, but a host helper is a Rust closure.
//! Each registered closure gets a slot `N` and the monomorphised trampoline
//! `trampoline::<N>`, a real `extern "C"` function that finds the closure table through
//! `invocation->host` and calls closure `N`. The table of trampolines is built at compile
//! time, which is why an instance can register at most [`MAX_CUSTOM_HELPERS`] helpers.

use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::error::MapError;
use crate::ffi::{self, bpf2c_helper_fn, bpf2c_invocation_t};
use crate::instance::{MapRef, RunState};

/// Most host helpers one instance can register.
pub const MAX_CUSTOM_HELPERS: usize = 64;

/// A host helper: gets the call, returns r0.
pub type HelperClosure = Arc<dyn Fn(&HelperCall<'_>) -> u64 + Send + Sync>;

#[derive(Clone)]
pub(crate) struct CustomHelper {
    pub id: u32,
    pub name: String,
    pub f: HelperClosure,
}

/// What a host helper sees of the call: the arguments and the run it belongs to.
pub struct HelperCall<'a> {
    pub(crate) args: [u64; 5],
    pub(crate) state: &'a RunState<'a>,
    pub(crate) cpu: u32,
    pub(crate) context: *mut c_void,
}

impl<'a> HelperCall<'a> {
    /// r1..r5. Pointers among them point into the program's memory; reading them is the
    /// helper's own (unsafe) business.
    pub fn args(&self) -> [u64; 5] {
        self.args
    }

    /// The CPU slot of the run (0 unless the module uses per-CPU maps or
    /// bpf_get_smp_processor_id, when runs lease slots).
    pub fn cpu(&self) -> u32 {
        self.cpu
    }

    /// The name of the running program.
    pub fn program(&self) -> &'a str {
        self.state.program_name()
    }

    /// The run's context pointer (r1 at entry).
    pub fn context(&self) -> *mut c_void {
        self.context
    }

    /// Copies `len` bytes of program memory at `addr` (an argument of the call).
    ///
    /// # Safety
    /// `addr..addr + len` must be readable. The verifier proves exactly that for a
    /// `ReadableMem` argument followed by its `ConstSize` argument in the helper's declared
    /// prototype, so `call.read_mem(args[0], args[1] as usize)` is sound for such a helper.
    pub unsafe fn read_mem(&self, addr: u64, len: usize) -> Vec<u8> {
        let mut out = vec![0u8; len];
        if len > 0 {
            // Programs on other threads may write the same map memory: copy it with the
            // runtime's race-tolerant accessors instead of forming a slice.
            // SAFETY: the range is readable (this function's contract).
            unsafe { crate::maps::shared::load_unaligned(addr as usize as *const u8, &mut out) };
        }
        out
    }

    /// Writes `data` into program memory at `addr` (an argument of the call).
    ///
    /// # Safety
    /// `addr..addr + data.len()` must be writable: the verifier proves it for a
    /// `WritableMem` argument when `data` is no longer than its `ConstSize` argument.
    pub unsafe fn write_mem(&self, addr: u64, data: &[u8]) {
        if !data.is_empty() {
            // SAFETY: the range is writable (this function's contract).
            unsafe { crate::maps::shared::store_unaligned(addr as usize as *mut u8, data) };
        }
    }

    /// A map of the running instance, for helpers that keep state in maps.
    pub fn map(&self, name: &str) -> Result<MapRef<'a>, MapError> {
        self.state.inner.map_ref(name)
    }
}

/// Calls custom helper `slot` for the invocation.
///
/// # Safety
/// `inv` is the invocation of the run that called the helper (the helper contract of
/// helpers/mod.rs).
unsafe fn call(slot: usize, args: [u64; 5], inv: *mut bpf2c_invocation_t) -> u64 {
    // SAFETY: the run's invocation, whose host is its RunState (the helper contract).
    let Some(state) = (unsafe { RunState::from_invocation(inv) }) else {
        return 0;
    };
    let Some(helper) = state.inner.custom.get(slot) else {
        return 0;
    };
    // SAFETY: as above; these are plain reads of the live invocation.
    let (cpu, context) = unsafe { ((*inv).cpu, (*inv).context) };
    let call = HelperCall {
        args,
        state,
        cpu,
        context,
    };
    match catch_unwind(AssertUnwindSafe(|| (helper.f)(&call))) {
        Ok(r0) => r0,
        Err(payload) => {
            // SAFETY: as above.
            unsafe { stop_after_panic(inv, state, &helper.name, payload) };
            0
        }
    }
}

/// A panic cannot cross into C: the helper stops the run instead, and the run reports it.
///
/// # Safety
/// `inv` is the invocation of the run that called the helper (the helper contract).
pub(crate) unsafe fn stop_after_panic(
    inv: *mut bpf2c_invocation_t,
    state: &RunState<'_>,
    helper: &str,
    payload: Box<dyn std::any::Any + Send>,
) {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(non-string panic payload)".to_string());
    state.fail_panicked(helper, message);
    // SAFETY: the run's live invocation, which nothing else touches while a helper runs.
    unsafe { (*inv).unwind = ffi::BPF2C_UNWIND_BAD_HELPER };
}

/// Host helper slot `N`, as a C helper function.
///
/// # Safety
/// The helper contract (helpers/mod.rs): only generated code calls it, with its run's
/// invocation.
unsafe extern "C" fn trampoline<const N: usize>(
    r1: u64,
    r2: u64,
    r3: u64,
    r4: u64,
    r5: u64,
    inv: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: the invocation is the calling run's (this function's contract).
    unsafe { call(N, [r1, r2, r3, r4, r5], inv) }
}

macro_rules! trampolines {
    ($($n:literal)*) => { [$(trampoline::<$n> as bpf2c_helper_fn),*] };
}

/// `TRAMPOLINES[n]` calls custom helper slot `n`.
pub(crate) const TRAMPOLINES: [bpf2c_helper_fn; MAX_CUSTOM_HELPERS] = trampolines!(
    0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
    32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60
    61 62 63
);
