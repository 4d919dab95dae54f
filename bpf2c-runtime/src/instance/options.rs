//! How an instance is set up: budgets, CPU slots, trace output, randomness, host helpers.

use std::sync::Arc;

use crate::helpers::custom::CustomHelper;
use crate::helpers::fib::Fib;
use crate::helpers::skb_meta::SkbMeta;
use crate::helpers::{HelperCall, TraceSink};

/// Default back-edges one run may take (2^24, about 16.8 million): far more than any
/// terminating packet program needs, few enough that an endless loop stops within a
/// fraction of a second.
pub const DEFAULT_LOOP_BUDGET: u64 = 1 << 24;

/// Default limit on the memory of one map (1 GiB): protects the host from a definition
/// whose sizes are technically valid but absurd.
pub const DEFAULT_MAX_MAP_BYTES: usize = 1 << 30;

/// Most CPU slots an instance may have.
pub const MAX_CPU_SLOTS: usize = 4096;

/// Instance options; `Options::default()` suits most hosts.
#[derive(Clone, Debug)]
pub struct Options {
    pub(crate) loop_budget: u64,
    pub(crate) cpu_slots: usize,
    pub(crate) trace: TraceSink,
    pub(crate) prandom_seed: Option<u64>,
    pub(crate) max_map_bytes: usize,
    pub(crate) helpers: Vec<CustomHelper>,
    /// Replacement initial contents of global-data maps, by map (section) name.
    pub(crate) global_data: Vec<(String, Vec<u8>)>,
    /// The host's world, as packet helpers see it.
    pub(crate) fib: Fib,
    pub(crate) flow_hash_seed: u32,
    pub(crate) skb_meta: SkbMeta,
}

impl std::fmt::Debug for CustomHelper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CustomHelper({}, {:?})", self.id, self.name)
    }
}

impl Default for Options {
    fn default() -> Options {
        Options {
            loop_budget: DEFAULT_LOOP_BUDGET,
            cpu_slots: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            trace: TraceSink::default(),
            prandom_seed: None,
            max_map_bytes: DEFAULT_MAX_MAP_BYTES,
            helpers: Vec::new(),
            global_data: Vec::new(),
            fib: Fib::default(),
            flow_hash_seed: 0,
            skb_meta: SkbMeta::default(),
        }
    }
}

impl Options {
    /// The defaults: see each setter.
    pub fn new() -> Options {
        Options::default()
    }

    /// Back-edges one run (including its tail calls) may take before it is stopped with
    /// [`RunError::LoopBudget`](crate::RunError::LoopBudget). Default [`DEFAULT_LOOP_BUDGET`].
    pub fn loop_budget(mut self, back_edges: u64) -> Options {
        self.loop_budget = back_edges;
        self
    }

    /// CPU slots, i.e. values per key of per-CPU maps and the most runs that use per-CPU
    /// data at once. Default: the machine's available parallelism.
    pub fn cpu_slots(mut self, slots: usize) -> Options {
        self.cpu_slots = slots;
        self
    }

    /// Where trace_printk lines go. Default: standard error.
    pub fn trace_sink(mut self, sink: TraceSink) -> Options {
        self.trace = sink;
        self
    }

    /// Makes bpf_get_prandom_u32 deterministic: the instance hands out the same sequence
    /// every time. Without it each thread draws from its own unpredictable generator.
    pub fn prandom_seed(mut self, seed: u64) -> Options {
        self.prandom_seed = Some(seed);
        self
    }

    /// Largest memory one map may take. Default [`DEFAULT_MAX_MAP_BYTES`].
    pub fn max_map_bytes(mut self, bytes: usize) -> Options {
        self.max_map_bytes = bytes;
        self
    }

    /// Registers a host helper under a helper id. A module that lists the id gets this
    /// closure; an id of a standard helper replaces the standard one (to fake a clock, for
    /// instance). At most [`MAX_CUSTOM_HELPERS`](crate::MAX_CUSTOM_HELPERS) per instance.
    ///
    /// The closure runs on the program's thread, inside the run; a panic stops the run
    /// with [`RunError::HelperPanicked`](crate::RunError::HelperPanicked).
    pub fn helper<F>(mut self, id: u32, name: impl Into<String>, f: F) -> Options
    where
        F: Fn(&HelperCall<'_>) -> u64 + Send + Sync + 'static,
    {
        self.helpers.push(CustomHelper {
            id,
            name: name.into(),
            f: Arc::new(f),
        });
        self
    }

    /// Replaces the initial contents of a global-data map (`.data`, `.rodata`, `.bss`, ...)
    /// before any program runs: how a host configures `const volatile` knobs in `.rodata`,
    /// which nobody may write once the instance exists. `bytes` may be shorter than the
    /// section; the rest starts zeroed. The last call for a section wins.
    ///
    /// The verifier never assumes the values of global data, so any bytes are safe.
    /// [`Instance::new`](crate::Instance::new) fails if no global-data map has this name or
    /// `bytes` is longer than the section.
    pub fn global_data(mut self, section: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Options {
        let section = section.into();
        self.global_data.retain(|(s, _)| *s != section);
        self.global_data.push((section, bytes.into()));
        self
    }

    /// The forwarding table `bpf_fib_lookup` consults: interfaces, routes and neighbours.
    /// Default: empty, so every lookup returns BPF_FIB_LKUP_RET_NOT_FWDED.
    pub fn fib(mut self, fib: Fib) -> Options {
        self.fib = fib;
        self
    }

    /// Seeds the flow hash `bpf_get_hash_recalc` computes (Linux seeds it randomly at
    /// boot). Default 0.
    pub fn flow_hash_seed(mut self, seed: u32) -> Options {
        self.flow_hash_seed = seed;
        self
    }

    /// The skb state every run of a packet program starts from: checksum status, received
    /// tunnel metadata, hash validity. Default: CHECKSUM_NONE, no tunnel, hash valid when
    /// non-zero. [`Instance::run_with_skb_meta`](crate::Instance::run_with_skb_meta) sets it
    /// per run instead and returns the final state.
    pub fn skb_meta(mut self, meta: SkbMeta) -> Options {
        self.skb_meta = meta;
        self
    }
}
