//! Build-time verification with PREVAIL, and the facts its proof establishes.
//!
//! Each program is linked ([`link`]), handed to PREVAIL with a platform that describes
//! exactly our runtime ([`platform`]) and an entry state per program type ([`entry`]), and
//! analysed. A refusal becomes [`Diagnostic`]s; a success yields per-instruction facts
//! ([`crate::facts`]), which then decide whether translation can carry the program out
//! (`verify::translation`): the verdict is about the whole pipeline, not PREVAIL alone. The
//! analysis runs contained: on its own thread with a large stack, under a time limit and an
//! instruction limit, with panics turned into errors.

pub mod diagnostics;
pub mod entry;
pub mod facts;
pub mod link;
pub(crate) mod map_of_maps;
pub mod platform;
mod proof;
mod translation;

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use prevail::cfg::label::Label;
use prevail::crab::ebpf_domain::DomainContext;
use prevail::crab::var_registry::VariableRegistry;
use prevail::fwd_analyzer;
use prevail::ir::program::Program as PrevailProgram;
use prevail::ir::unmarshal;
use prevail::spec::config::{EbpfRuntimeConfig, EbpfVerifierOptions};
use prevail::spec::type_descriptors::{ProgramInfo, RawProgram};
use prevail::spec::vm_isa::EbpfInst;

pub use diagnostics::{Diagnostic, SourceLine};
pub use proof::{verify_validated, Verified};

use crate::facts::ProgramFacts;
use crate::helpers::HelperSet;
use crate::object::{InsnRef, Object, MAX_CALL_DEPTH};
use facts::extract_facts;
use link::Layout;

/// Limits and inputs of verification.
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// Host helpers the runtime will provide, beyond the standard ones.
    pub helpers: HelperSet,
    /// Longest time one program's analysis may take.
    pub time_limit: Duration,
    /// Most instruction slots a linked program (entry plus callees) may have. PREVAIL keeps
    /// a full abstract state per instruction, so memory grows with this.
    pub max_instructions: usize,
    /// Most bytes the process's resident memory may grow by while one program is analysed;
    /// past it the analysis is stopped and the program refused. (The process is what the
    /// operating system measures, so analyses running at once on other threads count too.)
    pub max_memory: u64,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            helpers: HelperSet::standard(),
            time_limit: Duration::from_secs(300),
            max_instructions: 32_768,
            max_memory: 8 << 30,
        }
    }
}

/// The verdict on one program.
#[derive(Clone, Debug)]
pub struct ProgramVerdict {
    pub program: String,
    /// The program's section, and the program type it was verified as.
    pub section: String,
    pub program_type: String,
    pub verified: bool,
    /// Why it was refused (empty when verified).
    pub diagnostics: Vec<Diagnostic>,
    /// What PREVAIL's proof established: present when the proof succeeded, also when
    /// translation then refused the program.
    pub facts: Option<ProgramFacts>,
    /// Instruction slots analysed (entry plus callees).
    pub instructions: usize,
    /// Time spent in PREVAIL, and in extracting facts afterwards.
    pub verify_time: Duration,
    pub facts_time: Duration,
}

/// Verifies every program of `obj`, as parts of one object: see [`verify_programs`].
pub fn verify_object(obj: &Object, opts: &VerifyOptions) -> Vec<ProgramVerdict> {
    let all: Vec<usize> = (0..obj.programs.len()).collect();
    verify_programs(obj, &all, opts)
}

/// Verifies the programs of `obj` numbered in `selected`, and returns their verdicts in that
/// order. Each is judged as a part of its object: the object is translated as a whole, with
/// one C function per eBPF function whatever programs share it, so a program that verifies
/// alone is still refused when translation cannot serve it together with the programs it
/// shares functions with. Those programs are analysed as well for that reason.
pub fn verify_programs(
    obj: &Object,
    selected: &[usize],
    opts: &VerifyOptions,
) -> Vec<ProgramVerdict> {
    let mut verdicts: BTreeMap<usize, ProgramVerdict> = sharing_functions(obj, selected)
        .into_iter()
        .map(|p| (p, verify_program(obj, p, opts)))
        .collect();
    translation::check_together(obj, &mut verdicts);
    selected.iter().map(|p| verdicts[p].clone()).collect()
}

/// The programs of `selected` and every program that runs a function one of them runs.
fn sharing_functions(obj: &Object, selected: &[usize]) -> BTreeSet<usize> {
    let functions: BTreeSet<usize> = selected
        .iter()
        .flat_map(|&p| obj.reachable_functions(obj.programs[p].entry))
        .collect();
    let mut out: BTreeSet<usize> = selected.iter().copied().collect();
    for (p, program) in obj.programs.iter().enumerate() {
        if obj
            .reachable_functions(program.entry)
            .iter()
            .any(|f| functions.contains(f))
        {
            out.insert(p);
        }
    }
    out
}

/// Verifies program number `prog` of `obj` on its own. Whether it can also be translated
/// together with the other programs of its object is [`verify_programs`]'s question.
pub fn verify_program(obj: &Object, prog: usize, opts: &VerifyOptions) -> ProgramVerdict {
    let program = &obj.programs[prog];
    let (insns, layout) = link::link(obj, program.entry);
    let refuse_with = |diagnostic: Diagnostic| ProgramVerdict {
        program: program.name.clone(),
        section: program.section.clone(),
        program_type: program.prog_type.name().to_string(),
        verified: false,
        diagnostics: vec![diagnostic],
        facts: None,
        instructions: insns.len(),
        verify_time: Duration::ZERO,
        facts_time: Duration::ZERO,
    };
    let refuse =
        |message: String| refuse_with(Diagnostic::program_level(obj, &program.name, message));
    if let Some(e) = &program.refusal {
        return refuse_with(Diagnostic::load_error(obj, &program.name, e));
    }
    if insns.len() > opts.max_instructions {
        return refuse(format!(
            "the program has {} instructions with its subprograms; the verifier's limit is {}",
            insns.len(),
            opts.max_instructions
        ));
    }

    // The analysis runs on its own thread: a deep recursion, a panic or a runaway analysis
    // inside PREVAIL must not take the tool down. Past the time limit the fixpoint iteration
    // stops itself (a deadline inside PREVAIL), so a timed-out analysis does not go on
    // holding a core and its memory.
    let (tx, rx) = mpsc::channel();
    let deadline = Instant::now().checked_add(opts.time_limit);
    // Memory has no per-thread limit, so this thread watches the process's resident size and
    // raises a flag that the analysis checks where it checks its deadline.
    let cancel = Arc::new(AtomicBool::new(false));
    let baseline = resident_bytes();
    let job = {
        let cancel = Arc::clone(&cancel);
        let obj = obj.clone();
        let helpers = opts.helpers.clone();
        let insns = insns.clone();
        let layout = layout.clone();
        move || {
            quiet_panics(true);
            fwd_analyzer::set_deadline(deadline);
            fwd_analyzer::set_cancel_flag(Some(cancel));
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                let opts = verifier_options(&obj, prog);
                analyse(&obj, prog, &helpers, &insns, &layout, deadline, &opts)
            }));
            fwd_analyzer::set_deadline(None);
            fwd_analyzer::set_cancel_flag(None);
            let _ = tx.send(match outcome {
                Ok(verdict) => Outcome::Done(verdict),
                Err(p) if p.is::<fwd_analyzer::DeadlineExceeded>() => Outcome::OutOfTime,
                Err(p) if p.is::<fwd_analyzer::Cancelled>() => Outcome::OutOfMemory,
                Err(p) => Outcome::Panicked(panic_message(p)),
            });
        }
    };
    let spawned = std::thread::Builder::new()
        .name(format!("bpf2c-verify-{}", program.name))
        .stack_size(256 << 20)
        .spawn(job);
    if let Err(e) = spawned {
        return refuse(format!("cannot start the verifier thread: {e}"));
    }
    let out_of_time = || {
        refuse(format!(
            "verification did not finish within the time limit of {}; the program is too \
             complex to verify in that time",
            describe_duration(opts.time_limit)
        ))
    };
    let out_of_memory = || {
        refuse(format!(
            "verification needed more than {} MiB of memory, the verifier's limit; the program \
             is too complex to verify",
            opts.max_memory >> 20
        ))
    };
    let started = Instant::now();
    let received = loop {
        let left = opts.time_limit.saturating_sub(started.elapsed());
        match rx.recv_timeout(left.min(MEMORY_POLL)) {
            Err(mpsc::RecvTimeoutError::Timeout) if !left.is_zero() => {
                let grown = resident_bytes().saturating_sub(baseline);
                if grown > opts.max_memory && !cancel.swap(true, Ordering::Relaxed) {
                    // The analysis stops at its next step; wait briefly for it to let go.
                    let _ = rx.recv_timeout(Duration::from_secs(5));
                    return out_of_memory();
                }
            }
            other => break other,
        }
    };
    match received {
        Ok(Outcome::Done(mut verdict)) => {
            verdict.instructions = insns.len();
            verdict
        }
        Ok(Outcome::OutOfMemory) => out_of_memory(),
        Ok(Outcome::OutOfTime) | Err(mpsc::RecvTimeoutError::Timeout) => out_of_time(),
        Ok(Outcome::Panicked(panic)) => refuse(format!(
            "the verifier failed internally on this program: {panic}"
        )),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            refuse("the verifier stopped without a result".to_string())
        }
    }
}

/// How often the memory watchdog looks at the process's resident size.
const MEMORY_POLL: Duration = Duration::from_millis(20);

/// The process's resident memory in bytes (0 where the platform does not say).
fn resident_bytes() -> u64 {
    prevail::memsize::resident_set_size_kb().max(0) as u64 * 1024
}

/// What the analysis thread reports.
enum Outcome {
    Done(ProgramVerdict),
    /// The deadline stopped the analysis.
    OutOfTime,
    /// The memory watchdog stopped the analysis.
    OutOfMemory,
    /// PREVAIL panicked; the message.
    Panicked(String),
}

fn verifier_options(obj: &Object, prog: usize) -> EbpfVerifierOptions {
    let t = &obj.programs[prog].prog_type;
    EbpfVerifierOptions {
        runtime: EbpfRuntimeConfig {
            strict: false,
            // Division by zero is defined by RFC 9669 and by the generated C.
            allow_division_by_zero: true,
            setup_constraints: true,
            big_endian: !obj.little_endian,
            // Termination is enforced at run time by the back-edge budget instead.
            check_for_termination: false,
            subprogram_stack_size: bpf2c_abi::STACK_SIZE as i32,
            max_call_stack_frames: MAX_CALL_DEPTH as i32,
            // PREVAIL assumes packet_size < max_packet_size.
            max_packet_size: entry::max_data_size(t) as i32 + 1,
        },
        must_have_exit: true,
        mock_map_fds: false,
        ..Default::default()
    }
}

fn analyse(
    obj: &Object,
    prog: usize,
    helpers: &HelperSet,
    insns: &[crate::insn::Insn],
    layout: &Layout,
    deadline: Option<Instant>,
    opts: &EbpfVerifierOptions,
) -> ProgramVerdict {
    analyse_keeping(obj, prog, helpers, insns, layout, deadline, opts, false)
}

/// [`analyse`], keeping every abstract state of the analysis when `keep_every_state` (as
/// unpatched PREVAIL does), or only those the facts read (the default: about a quarter of
/// the memory; the verdict, diagnostics and facts are the same, as a test checks).
#[allow(clippy::too_many_arguments)]
fn analyse_keeping(
    obj: &Object,
    prog: usize,
    helpers: &HelperSet,
    insns: &[crate::insn::Insn],
    layout: &Layout,
    deadline: Option<Instant>,
    opts: &EbpfVerifierOptions,
    keep_every_state: bool,
) -> ProgramVerdict {
    // PREVAIL checks the deadline during the fixpoint iteration; the stages before it (CFG
    // construction is more than half of the time on long straight-line programs) are
    // checked between stages.
    let check_deadline = || {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            std::panic::panic_any(fwd_analyzer::DeadlineExceeded);
        }
    };
    let program = &obj.programs[prog];
    let start = Instant::now();
    let program_type =
        entry::prevail_program_type(&program.prog_type, &obj.path.display().to_string());
    let platform = platform::Platform::new(obj, helpers, program_type.clone());
    let mut raw = RawProgram {
        filename: obj.path.display().to_string(),
        section_name: program.section.clone(),
        insn_off: 0,
        function_name: program.name.clone(),
        prog: insns
            .iter()
            .map(|i| EbpfInst {
                opcode: i.opcode,
                dst_src: (i.dst & 0x0f) | (i.src << 4),
                offset: i.off,
                imm: i.imm,
            })
            .collect(),
        info: ProgramInfo {
            map_descriptors: platform.map_descriptors().to_vec(),
            program_type,
            cache: Default::default(),
            line_info: Default::default(),
            supported_conformance_groups: u32::MAX,
            builtin_call_offsets: Default::default(),
        },
    };
    let fail = |diagnostics: Vec<Diagnostic>| ProgramVerdict {
        program: program.name.clone(),
        section: program.section.clone(),
        program_type: program.prog_type.name().to_string(),
        verified: false,
        diagnostics,
        facts: None,
        instructions: insns.len(),
        verify_time: start.elapsed(),
        facts_time: Duration::ZERO,
    };
    let at = |pc: usize, message: &str, chain: Vec<String>| match layout.locate(pc) {
        Some(r) => Diagnostic::at(obj, &program.name, r, message, chain, helpers),
        None => Diagnostic::program_level(obj, &program.name, message),
    };

    let mut notes = Vec::new();
    let seq = match unmarshal::unmarshal(&raw.prog, &mut notes, &raw.info, &platform, opts) {
        Ok(seq) => seq,
        Err(unmarshal::UnmarshalError::InvalidInstruction { pc, message }) => {
            return fail(vec![at(pc, &message, vec![])]);
        }
        Err(e) => {
            return fail(vec![Diagnostic::program_level(
                obj,
                &program.name,
                e.to_string(),
            )])
        }
    };
    check_deadline();
    let cfg = match PrevailProgram::from_sequence(&seq, &mut raw.info, &platform, opts) {
        Ok(p) => p,
        Err(e) => {
            // Messages of this stage end in "(at <label>)" when they concern one instruction.
            let msg = e.message;
            let pc = msg.rsplit_once("(at ").and_then(|(_, rest)| {
                rest.trim_end_matches(')')
                    .split(['/', ':', ' '])
                    .next_back()?
                    .parse()
                    .ok()
            });
            let text = msg.rsplit_once(" (at ").map(|(m, _)| m).unwrap_or(&msg);
            let text = text.strip_prefix("rejected: ").unwrap_or(text);
            return fail(vec![match pc {
                Some(pc) => at(pc, text, vec![]),
                None => Diagnostic::program_level(obj, &program.name, text),
            }]);
        }
    };

    check_deadline();
    let mut registry = VariableRegistry::new();
    let ctx = DomainContext::new(&raw.info, &cfg, opts, &platform);
    // Facts read whole states only before some instructions; keeping only reachability
    // elsewhere bounds the analysis's memory by those instructions (docs/verification.md).
    let keep_pre = |label: &Label| {
        label.to == -1
            && label.special_label.is_empty()
            && usize::try_from(label.from)
                .ok()
                .and_then(|pc| insns.get(pc))
                .is_some_and(facts::reads_state)
    };
    let retention = fwd_analyzer::Retention {
        keep_pre: &keep_pre,
    };
    let entry_state = entry::entry_state(&program.prog_type);
    let result = match (keep_every_state, &entry_state) {
        (true, None) => fwd_analyzer::analyze(&cfg, &ctx, &mut registry),
        (true, Some(state)) => fwd_analyzer::analyze_with_entry(&cfg, state, &ctx, &mut registry),
        (false, _) => fwd_analyzer::analyze_retaining(
            &cfg,
            entry_state.as_ref(),
            &ctx,
            &mut registry,
            retention,
        ),
    };
    let verify_time = start.elapsed();

    if result.failed {
        let mut diagnostics = Vec::new();
        for (label, pair) in &result.invariants {
            let Some(err) = &pair.error else { continue };
            if pair.pre.is_bottom() {
                continue;
            }
            let chain = call_chain(label, layout, obj);
            let diagnostic = match usize::try_from(label.from) {
                Ok(pc) if label.from != i32::MAX => at(pc, &err.message, chain),
                _ => Diagnostic::program_level(obj, &program.name, &err.message),
            };
            if !diagnostics.contains(&diagnostic) {
                diagnostics.push(diagnostic);
            }
        }
        if diagnostics.is_empty() {
            diagnostics.push(Diagnostic::program_level(
                obj,
                &program.name,
                "verification failed",
            ));
        }
        let mut verdict = fail(diagnostics);
        verdict.verify_time = verify_time;
        return verdict;
    }

    let facts_start = Instant::now();
    let facts = extract_facts(obj, insns, layout, &result, &mut registry);
    let facts_time = facts_start.elapsed();
    let mut untranslatable = translation::check_program(obj, prog, &facts);
    untranslatable.extend(map_of_maps::changes_from_programs(obj, prog, &facts));
    ProgramVerdict {
        program: program.name.clone(),
        section: program.section.clone(),
        program_type: program.prog_type.name().to_string(),
        verified: untranslatable.is_empty(),
        diagnostics: untranslatable,
        facts: Some(facts),
        instructions: insns.len(),
        verify_time,
        facts_time,
    }
}

/// The call sites through which an inlined subprogram instruction was reached.
fn call_chain(label: &Label, layout: &Layout, obj: &Object) -> Vec<String> {
    if label.stack_frame_prefix.is_empty() {
        return vec![];
    }
    label
        .stack_frame_prefix
        .split('/')
        .filter_map(|s| s.parse::<usize>().ok())
        .filter_map(|pc| layout.locate(pc))
        .map(|InsnRef { function, insn }| format!("{}+{insn}", obj.functions[function].name))
        .collect()
}

/// A limit in the unit a person would use: "300 s", "1.5 s", "20 ms".
fn describe_duration(d: Duration) -> String {
    if d >= Duration::from_secs(1) {
        let s = d.as_secs_f64();
        if s.fract() == 0.0 {
            format!("{s:.0} s")
        } else {
            format!("{s:.1} s")
        }
    } else if d >= Duration::from_millis(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{} µs", d.as_micros())
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

thread_local! {
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Panics on verifier threads are reported as diagnostics, so the process-wide panic hook
/// must stay silent for them while still reporting every other panic.
fn quiet_panics(quiet: bool) {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(|q| q.get()) {
                previous(info);
            }
        }));
    });
    QUIET.with(|q| q.set(quiet));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::{load_file, InputFormat};

    /// Runs the analysis of program `name` of a corpus object with PREVAIL's own
    /// termination check on or off.
    fn analyse_corpus(rel: &str, name: &str, check_for_termination: bool) -> ProgramVerdict {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(rel);
        let obj = load_file(&path, InputFormat::Elf).unwrap();
        let prog = obj.programs.iter().position(|p| p.name == name).unwrap();
        let (insns, layout) = link::link(&obj, obj.programs[prog].entry);
        let mut opts = verifier_options(&obj, prog);
        opts.runtime.check_for_termination = check_for_termination;
        analyse(
            &obj,
            prog,
            &HelperSet::standard(),
            &insns,
            &layout,
            None,
            &opts,
        )
    }

    /// Keeping only the states the facts read changes nothing bpf2c reports: on every
    /// program of the test objects (loops, subprograms, refusals of every kind, raw and XDP
    /// entry states), the verdict, the diagnostics and the facts are those of the analysis
    /// that keeps every state.
    #[test]
    fn retained_states_give_the_same_verdicts_diagnostics_and_facts() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut paths = Vec::new();
        for dir in ["tests/bpf", "tests/bpf/facts", "tests/bpf/reject"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "o") {
                    paths.push(path);
                }
            }
        }
        paths.sort();
        let (mut compared, mut refused) = (0, 0);
        for path in paths {
            let Ok(obj) = load_file(&path, InputFormat::Elf) else {
                continue;
            };
            for prog in 0..obj.programs.len() {
                if obj.programs[prog].refusal.is_some() {
                    continue;
                }
                let (insns, layout) = link::link(&obj, obj.programs[prog].entry);
                let opts = verifier_options(&obj, prog);
                let helpers = HelperSet::standard();
                let run = |keep| {
                    analyse_keeping(&obj, prog, &helpers, &insns, &layout, None, &opts, keep)
                };
                let (all, retained) = (run(true), run(false));
                let name = format!("{}:{}", path.display(), obj.programs[prog].name);
                assert_eq!(all.verified, retained.verified, "{name}");
                assert_eq!(all.diagnostics, retained.diagnostics, "{name}");
                assert_eq!(all.facts, retained.facts, "{name}");
                compared += 1;
                refused += usize::from(!all.verified);
            }
        }
        assert!(
            compared > 100 && refused > 40,
            "{compared} compared, {refused} refused"
        );
    }

    /// Why termination is left to the run-time budget: PREVAIL's termination check refuses
    /// loops that clang emits for ordinary bounded code (64 iterations each here).
    #[test]
    fn prevails_termination_check_refuses_ordinary_bounded_loops() {
        for name in ["sum_map", "sum_raw"] {
            let checked = analyse_corpus("tests/bpf/loop.o", name, true);
            assert!(!checked.verified, "{name}");
            let d = &checked.diagnostics[0];
            assert_eq!(d.message, "a loop may not terminate");
            assert!(
                d.detail
                    .as_deref()
                    .is_some_and(|t| t.starts_with("Loop counter is too large")),
                "{d:?}"
            );
            assert!(
                analyse_corpus("tests/bpf/loop.o", name, false).verified,
                "{name}"
            );
        }
    }
}
