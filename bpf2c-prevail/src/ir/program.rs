// Copyright (c) Prevail Verifier contributors.
// SPDX-License-Identifier: MIT

//! Program representation and CFG construction from instruction sequences.
//!
//! Ports `src/ir/program.hpp` and `src/ir/cfg_builder.cpp`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::rc::Rc;

use crate::cfg::graph::Cfg;
use crate::cfg::label::Label;
use crate::cfg::wto::{CycleOrLabel, Wto};
use crate::ir::assertions::get_assertions;
use crate::ir::syntax::{
    ArgSingleKind, Assertion, Assume, Bin, BinOp, Call, CallKind, Condition, ConditionOp, Imm,
    IncrementLoopCounter, Instruction, InstructionSeq, LoadMapAddress, LoadMapFd, LoadPseudo, Mem,
    PseudoAddressKind, Un, UnOp, Undefined, Value,
};
use crate::ir::unmarshal::conformance_groups;
use crate::platform::EbpfPlatform;
use crate::spec::config::{EbpfRuntimeConfig, EbpfVerifierOptions};
use crate::spec::type_descriptors::ProgramInfo;

/// Delimiter used between stack frame components in labels.
const STACK_FRAME_DELIMITER: char = '/';

// ---------------------------------------------------------------------------
// Error type
// ---------------------------------------------------------------------------

/// Error indicating invalid control flow in an instruction sequence.
#[derive(Debug)]
pub struct InvalidControlFlow {
    pub message: String,
}

impl fmt::Display for InvalidControlFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for InvalidControlFlow {}

fn is_tail_call_helper(call: &Call, platform: &dyn EbpfPlatform) -> bool {
    if call.kind != CallKind::Helper {
        return false;
    }
    if !platform.is_helper_usable(call.func) {
        return false;
    }
    platform.get_helper_prototype(call.func).return_type
        == crate::spec::ebpf_base::EbpfReturnType::IntegerOrNoReturnIfSucceed
}

fn is_tail_call_site(ins: &Instruction, platform: &dyn EbpfPlatform) -> bool {
    match ins {
        Instruction::Call(call) => is_tail_call_helper(call, platform),
        // At CFG-construction time callx targets are unknown.
        // Conservatively treat callx as a potential tail-call site.
        Instruction::Callx(_) => true,
        _ => false,
    }
}

/// Iterative (explicit work-stack) rather than recursive on cycle-nesting depth.
/// This runs unconditionally for every program via `validate_tail_call_chain_depth`,
/// so a crafted deeply-nested CFG must not be able to overflow the stack here.
pub(crate) fn collect_wto_labels(component: &CycleOrLabel, labels: &mut BTreeSet<Label>) {
    let mut stack = vec![component];
    while let Some(current) = stack.pop() {
        match current {
            CycleOrLabel::Label(label) => {
                labels.insert(label.clone());
            }
            CycleOrLabel::Cycle(cycle) => {
                for nested in cycle.iter() {
                    stack.push(nested);
                }
            }
        }
    }
}

/// Enforce a global upper bound on tail-call chain length by counting
/// tail-call sites over the reachable maximal-SCC DAG.
///
/// PATCH (bpf2c, change 10): the same computation as upstream's, on dense indices. Each
/// reachable label is numbered by its rank in label order, so every set and map of the
/// original (keyed by `Label`, iterated in label order) becomes a vector or a set of ranks
/// iterated in the same order: the result, and the label an error names, are unchanged.
/// Upstream's `BTreeMap<Label, _>` bookkeeping took about a quarter of the verification time
/// of a 10,000-instruction program.
fn validate_tail_call_chain_depth(
    prog: &Program,
    wto: &Wto,
    platform: &dyn EbpfPlatform,
) -> Result<(), InvalidControlFlow> {
    validate_tail_call_chain_depth_up_to(prog, wto, platform, 33)
}

/// [`validate_tail_call_chain_depth`] with the limit as a parameter (tests vary it).
fn validate_tail_call_chain_depth_up_to(
    prog: &Program,
    wto: &Wto,
    platform: &dyn EbpfPlatform,
    #[allow(non_snake_case)] TAIL_CALL_CHAIN_LIMIT: i32,
) -> Result<(), InvalidControlFlow> {
    const UNINITIALIZED_DEPTH: i32 = i32::MIN;

    // WTO only covers labels reachable from entry; ranked in label order.
    let mut reachable_set = BTreeSet::new();
    for component in wto.iter() {
        collect_wto_labels(component, &mut reachable_set);
    }
    let reachable: Vec<Label> = reachable_set.into_iter().collect();
    let rank = |label: &Label| reachable.binary_search(label).ok();
    let count = reachable.len();

    // Partition reachable labels by maximal SCC representative:
    // outermost WTO cycle head, or the label itself if not in a cycle.
    let mut maximal_scc_of = vec![0usize; count];
    let mut maximal_scc_ids = BTreeSet::new();
    for (index, label) in reachable.iter().enumerate() {
        let scc_id = match wto.nesting(label).outermost_head() {
            Some(head) => rank(&head).expect("outermost head is reachable"),
            None => index,
        };
        maximal_scc_of[index] = scc_id;
        maximal_scc_ids.insert(scc_id);
    }

    let mut tail_sites_per_scc = vec![0i32; count];
    let mut representative_tail_label: Vec<Option<usize>> = vec![None; count];
    let mut dag_successors: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); count];
    let mut indegree = vec![0i32; count];

    for (index, label) in reachable.iter().enumerate() {
        let src_scc = maximal_scc_of[index];

        if is_tail_call_site(prog.instruction_at(label), platform) {
            tail_sites_per_scc[src_scc] += 1;
            if representative_tail_label[src_scc].is_none() {
                representative_tail_label[src_scc] = Some(index);
            }
        }

        for child in prog.cfg().children_of(label) {
            let Some(child_index) = rank(child) else {
                continue;
            };
            let dst_scc = maximal_scc_of[child_index];
            if src_scc != dst_scc && dag_successors[src_scc].insert(dst_scc) {
                indegree[dst_scc] += 1;
            }
        }
    }

    let indegree_for_sources = indegree.clone();
    let mut topo_order = Vec::with_capacity(maximal_scc_ids.len());
    for &scc_id in &maximal_scc_ids {
        if indegree[scc_id] == 0 {
            topo_order.push(scc_id);
        }
    }

    let mut index = 0;
    while index < topo_order.len() {
        let scc_id = topo_order[index];
        index += 1;
        for &succ in &dag_successors[scc_id] {
            indegree[succ] -= 1;
            if indegree[succ] == 0 {
                topo_order.push(succ);
            }
        }
    }

    if topo_order.len() != maximal_scc_ids.len() {
        return Err(InvalidControlFlow {
            message: "WTO-derived SCC graph must be acyclic".to_string(),
        });
    }

    let mut max_tail_depth = vec![UNINITIALIZED_DEPTH; count];
    let mut depth_label: Vec<Option<usize>> = vec![None; count];
    for &scc_id in &maximal_scc_ids {
        if indegree_for_sources[scc_id] == 0 {
            max_tail_depth[scc_id] = tail_sites_per_scc[scc_id];
            depth_label[scc_id] = representative_tail_label[scc_id];
        }
    }

    for &scc_id in &topo_order {
        let current_depth = max_tail_depth[scc_id];
        if current_depth == UNINITIALIZED_DEPTH {
            continue;
        }
        if current_depth > TAIL_CALL_CHAIN_LIMIT {
            let at = &reachable[depth_label[scc_id].unwrap_or(scc_id)];
            return Err(InvalidControlFlow {
                message: format!("tail call chain depth exceeds {TAIL_CALL_CHAIN_LIMIT} (at {at})"),
            });
        }

        for &succ in &dag_successors[scc_id] {
            let candidate_depth = current_depth + tail_sites_per_scc[succ];
            if candidate_depth > max_tail_depth[succ] {
                max_tail_depth[succ] = candidate_depth;
                depth_label[succ] = representative_tail_label[succ].or(depth_label[scc_id]);
            }
        }
    }

    Ok(())
}

/// PATCH (bpf2c, change 10): the original, label-keyed implementation, kept for tests
/// that check the indexed one against it.
#[cfg(test)]
#[allow(non_snake_case)]
fn validate_tail_call_chain_depth_by_label(
    prog: &Program,
    wto: &Wto,
    platform: &dyn EbpfPlatform,
    TAIL_CALL_CHAIN_LIMIT: i32,
) -> Result<(), InvalidControlFlow> {
    const UNINITIALIZED_DEPTH: i32 = i32::MIN;

    // WTO only covers labels reachable from entry.
    let mut reachable = BTreeSet::new();
    for component in wto.iter() {
        collect_wto_labels(component, &mut reachable);
    }

    // Partition reachable labels by maximal SCC representative:
    // outermost WTO cycle head, or the label itself if not in a cycle.
    let mut maximal_scc_of: BTreeMap<Label, Label> = BTreeMap::new();
    let mut maximal_scc_ids = BTreeSet::new();
    for label in &reachable {
        let scc_id = wto
            .nesting(label)
            .outermost_head()
            .unwrap_or_else(|| label.clone());
        maximal_scc_of.insert(label.clone(), scc_id.clone());
        maximal_scc_ids.insert(scc_id);
    }

    let mut tail_sites_per_scc: BTreeMap<Label, i32> = BTreeMap::new();
    let mut representative_tail_label: BTreeMap<Label, Option<Label>> = BTreeMap::new();
    let mut dag_successors: BTreeMap<Label, BTreeSet<Label>> = BTreeMap::new();
    let mut indegree: BTreeMap<Label, i32> = BTreeMap::new();

    for scc_id in &maximal_scc_ids {
        tail_sites_per_scc.insert(scc_id.clone(), 0);
        representative_tail_label.insert(scc_id.clone(), None);
        dag_successors.insert(scc_id.clone(), BTreeSet::new());
        indegree.insert(scc_id.clone(), 0);
    }

    for label in &reachable {
        let src_scc = maximal_scc_of
            .get(label)
            .expect("reachable label missing SCC");

        if is_tail_call_site(prog.instruction_at(label), platform) {
            *tail_sites_per_scc
                .get_mut(src_scc)
                .expect("missing SCC tail count") += 1;
            let representative = representative_tail_label
                .get_mut(src_scc)
                .expect("missing SCC representative");
            if representative.is_none() {
                *representative = Some(label.clone());
            }
        }

        for child in prog.cfg().children_of(label) {
            if !reachable.contains(child) {
                continue;
            }
            let dst_scc = maximal_scc_of
                .get(child)
                .expect("reachable child missing SCC");
            if src_scc != dst_scc {
                let inserted = dag_successors
                    .get_mut(src_scc)
                    .expect("missing SCC successors")
                    .insert(dst_scc.clone());
                if inserted {
                    *indegree.get_mut(dst_scc).expect("missing SCC indegree") += 1;
                }
            }
        }
    }

    let indegree_for_sources = indegree.clone();
    let mut topo_order = Vec::with_capacity(maximal_scc_ids.len());
    for scc_id in &maximal_scc_ids {
        if *indegree.get(scc_id).expect("missing SCC indegree") == 0 {
            topo_order.push(scc_id.clone());
        }
    }

    let mut index = 0;
    while index < topo_order.len() {
        let scc_id = topo_order[index].clone();
        index += 1;
        let successors: Vec<Label> = dag_successors
            .get(&scc_id)
            .expect("missing SCC successors")
            .iter()
            .cloned()
            .collect();
        for succ in &successors {
            let entry = indegree.get_mut(succ).expect("missing SCC indegree");
            *entry -= 1;
            if *entry == 0 {
                topo_order.push(succ.clone());
            }
        }
    }

    if topo_order.len() != maximal_scc_ids.len() {
        return Err(InvalidControlFlow {
            message: "WTO-derived SCC graph must be acyclic".to_string(),
        });
    }

    let mut max_tail_depth: BTreeMap<Label, i32> = BTreeMap::new();
    let mut depth_label: BTreeMap<Label, Option<Label>> = BTreeMap::new();
    for scc_id in &maximal_scc_ids {
        max_tail_depth.insert(scc_id.clone(), UNINITIALIZED_DEPTH);
        depth_label.insert(scc_id.clone(), None);
        if *indegree_for_sources
            .get(scc_id)
            .expect("missing SCC indegree source")
            == 0
        {
            max_tail_depth.insert(
                scc_id.clone(),
                *tail_sites_per_scc
                    .get(scc_id)
                    .expect("missing SCC tail count source"),
            );
            depth_label.insert(
                scc_id.clone(),
                representative_tail_label
                    .get(scc_id)
                    .expect("missing SCC representative source")
                    .clone(),
            );
        }
    }

    for scc_id in &topo_order {
        let current_depth = *max_tail_depth.get(scc_id).expect("missing SCC max depth");
        if current_depth == UNINITIALIZED_DEPTH {
            continue;
        }
        if current_depth > TAIL_CALL_CHAIN_LIMIT {
            let at = depth_label
                .get(scc_id)
                .and_then(|x| x.clone())
                .unwrap_or_else(|| scc_id.clone());
            return Err(InvalidControlFlow {
                message: format!("tail call chain depth exceeds {TAIL_CALL_CHAIN_LIMIT} (at {at})"),
            });
        }

        let successors: Vec<Label> = dag_successors
            .get(scc_id)
            .expect("missing SCC successors")
            .iter()
            .cloned()
            .collect();
        for succ in &successors {
            let candidate_depth = current_depth
                + tail_sites_per_scc
                    .get(succ)
                    .expect("missing SCC tail count successor");
            let succ_depth = *max_tail_depth
                .get(succ)
                .expect("missing SCC successor max depth");
            if candidate_depth > succ_depth {
                max_tail_depth.insert(succ.clone(), candidate_depth);
                let representative = representative_tail_label
                    .get(succ)
                    .expect("missing SCC successor representative")
                    .clone();
                if representative.is_some() {
                    depth_label.insert(succ.clone(), representative);
                } else {
                    depth_label.insert(
                        succ.clone(),
                        depth_label
                            .get(scc_id)
                            .expect("missing SCC depth label")
                            .clone(),
                    );
                }
            }
        }
    }

    Ok(())
}

// ---------------------------------------------------------------------------
// Program
// ---------------------------------------------------------------------------

/// A verified-ready eBPF program: instructions indexed by label, with a CFG
/// and pre-computed assertions.
pub struct Program {
    /// Map from label to the instruction at that label.
    instructions: BTreeMap<Label, Instruction>,
    /// Cached assertions for each label.
    assertions: BTreeMap<Label, Vec<Assertion>>,
    /// Control-flow graph over labels.
    cfg: Cfg,
    /// Valid top-level instruction labels usable as callback entries via
    /// PTR_TO_FUNC. Populated by `from_sequence` from the CFG.
    callback_target_labels: BTreeSet<i32>,
    /// Subset of `callback_target_labels` whose body can reach a top-level Exit.
    callback_targets_with_exit: BTreeSet<i32>,
}

impl crate::fwd_analyzer::Program for Program {
    fn cfg(&self) -> &Cfg {
        &self.cfg
    }
    fn instruction_at(&self, label: &Label) -> &Instruction {
        self.instruction_at(label)
    }
    fn assertions_at(&self, label: &Label) -> &[Assertion] {
        self.assertions_at(label)
    }
}

impl Program {
    /// Returns a reference to the control-flow graph.
    pub fn cfg(&self) -> &Cfg {
        &self.cfg
    }

    /// Returns a reference to the instruction map.
    pub fn instructions(&self) -> &BTreeMap<Label, Instruction> {
        &self.instructions
    }

    /// Returns an iterator over all labels in the CFG (including entry and exit).
    pub fn labels(&self) -> impl Iterator<Item = &Label> {
        self.cfg.labels()
    }

    /// Returns a reference to the instruction at the given label.
    ///
    /// Panics if the label is not found in the CFG.
    pub fn instruction_at(&self, label: &Label) -> &Instruction {
        self.instructions
            .get(label)
            .unwrap_or_else(|| panic!("Label {label} not found in the CFG"))
    }

    /// Returns a mutable reference to the instruction at the given label.
    ///
    /// Panics if the label is not found in the CFG.
    pub fn instruction_at_mut(&mut self, label: &Label) -> &mut Instruction {
        self.instructions
            .get_mut(label)
            .unwrap_or_else(|| panic!("Label {label} not found in the CFG"))
    }

    /// Returns the assertions at the given label.
    ///
    /// Panics if the label is not found in the CFG.
    pub fn assertions_at(&self, label: &Label) -> &[Assertion] {
        self.assertions
            .get(label)
            .unwrap_or_else(|| panic!("Label {label} not found in the CFG"))
    }

    /// Top-level instruction labels usable as callback entries via PTR_TO_FUNC.
    pub fn callback_target_labels(&self) -> &BTreeSet<i32> {
        &self.callback_target_labels
    }

    /// Subset of `callback_target_labels` whose body can reach a top-level Exit.
    pub fn callback_targets_with_exit(&self) -> &BTreeSet<i32> {
        &self.callback_targets_with_exit
    }

    /// Build a `Program` from an instruction sequence.
    ///
    /// `from_sequence` reads as orchestration: each soundness-relevant
    /// transformation is its own `pass_*` function with a documented
    /// Reads / Writes / Throws / Invariant header. Ordering between passes
    /// is encoded by the call sequence below — and, where load-bearing,
    /// by debug-asserts inside the passes themselves.
    pub fn from_sequence(
        inst_seq: &InstructionSeq,
        info: &mut ProgramInfo,
        platform: &dyn EbpfPlatform,
        options: &EbpfVerifierOptions,
    ) -> Result<Program, InvalidControlFlow> {
        options
            .validate()
            .map_err(|message| InvalidControlFlow { message })?;

        pass_validate_instruction_support(inst_seq, info)?;
        let resolved_kfunc_calls = pass_resolve_kfunc_calls(inst_seq, info, platform)?;
        let lowered_pseudo_loads = pass_lower_pseudo_loads(inst_seq, info)?;

        let mut builder = CfgBuilder::new();
        pass_populate_nodes(
            &mut builder,
            inst_seq,
            &resolved_kfunc_calls,
            &lowered_pseudo_loads,
        );
        pass_validate_control_flow_targets(&builder, inst_seq)?;
        pass_connect_edges(&mut builder, inst_seq, options.must_have_exit)?;
        pass_inline_local_calls(
            &mut builder,
            inst_seq,
            options.runtime.max_call_stack_frames,
        )?;

        let wto = Wto::new(&builder.prog.cfg);
        pass_validate_tail_call_depth(&builder.prog, &wto, platform)?;
        pass_compute_callback_metadata(&mut builder.prog);
        if options.runtime.check_for_termination {
            pass_insert_termination_counters(&mut builder, &wto);
        }
        pass_extract_assertions(&mut builder, info, &options.runtime);

        Ok(builder.prog)
    }
}

// ---------------------------------------------------------------------------
// Preparation passes
//
// Each pass below carries a Reads / Writes / Throws / Invariant header. The
// invariant lines call out ordering constraints between passes; debug-asserts
// inside the passes guard the cases where mis-sequencing would silently
// produce wrong CFG shape rather than fail loudly.
// ---------------------------------------------------------------------------

/// Pass: ValidateInstructionSupport
/// Reads    : instruction sequence, platform conformance groups (via `info`).
/// Writes   : nothing.
/// Throws   : `InvalidControlFlow` on any instruction the platform cannot run.
/// Invariant: must run before CFG construction; later passes assume every
///            instruction has been vetted here.
fn pass_validate_instruction_support(
    insts: &InstructionSeq,
    info: &ProgramInfo,
) -> Result<(), InvalidControlFlow> {
    for (label, inst, _) in insts {
        if let Some(reason) = check_instruction_feature_support(inst, info) {
            return Err(InvalidControlFlow {
                message: match reason.kind {
                    RejectKind::Capability => format!("rejected: {} (at {})", reason.detail, label),
                },
            });
        }
    }
    Ok(())
}

/// Pass: ResolveKfuncCalls
/// Reads    : instruction sequence, platform kfunc resolver.
/// Writes   : returns a `Label -> Call` map for every `CallBtf` in the sequence.
/// Throws   : `InvalidControlFlow` if any `CallBtf` cannot be resolved for this
///            platform.
/// Invariant: `pass_populate_nodes` consults this map to replace `CallBtf` with
///            the resolved `Call`.
fn pass_resolve_kfunc_calls(
    insts: &InstructionSeq,
    info: &ProgramInfo,
    platform: &dyn EbpfPlatform,
) -> Result<ResolvedKfuncCalls, InvalidControlFlow> {
    let mut resolved = ResolvedKfuncCalls::new();
    for (label, inst, _) in insts {
        if let Instruction::CallBtf(call_btf) = inst {
            let mut call = platform
                .resolve_kfunc_call(call_btf.btf_id, call_btf.module, info)
                .map_err(|why_not| InvalidControlFlow {
                    message: format!("not implemented: {why_not} (at {label})"),
                })?;
            // The lowered Call's identity is the pre-resolution (btf_id, module)
            // pair plus the fixed CallKind::Kfunc tag; stamp those from the source
            // CallBtf rather than trusting the resolver, so two kfuncs sharing a
            // BTF id across modules remain distinguishable in the lowered IR.
            call.func = call_btf.btf_id;
            call.kind = CallKind::Kfunc;
            call.module = call_btf.module;
            resolved.insert(label.clone(), call);
        }
    }
    Ok(resolved)
}

/// Pass: LowerPseudoLoads
/// Reads    : instruction sequence, program info (`map_descriptors`).
/// Writes   : returns a `Label -> Instruction` map with the concrete replacement
///            for every `LoadPseudo` that is lowered. `CodeAddr` `LoadPseudo`
///            instructions are intentionally excluded so they remain observable
///            to the abstract transformer (which types them as `T_FUNC`); every
///            other kind is replaced.
/// Throws   : `InvalidControlFlow` if a `MapByIdx` / `MapValueByIdx` references
///            an out-of-range map descriptor.
/// Invariant: `pass_populate_nodes` consults this map to substitute `LoadPseudo`
///            with its lowered form while inserting CFG nodes.
fn pass_lower_pseudo_loads(
    insts: &InstructionSeq,
    info: &ProgramInfo,
) -> Result<LoweredPseudoLoads, InvalidControlFlow> {
    let mut lowered = LoweredPseudoLoads::new();
    for (label, inst, _) in insts {
        if let Instruction::LoadPseudo(pseudo) = inst
            && pseudo.addr.kind != PseudoAddressKind::CodeAddr
        {
            lowered.insert(label.clone(), resolve_pseudo_load(pseudo, info)?);
        }
    }
    Ok(lowered)
}

/// Pass: PopulateNodes (BuildInitialCfg, populate step).
/// Reads    : instruction sequence, resolved-kfunc map, lowered-pseudo-load map.
/// Writes   : inserts one CFG node per live instruction into `builder` (labels +
///            instructions). `CallBtf` is replaced with the resolved `Call`;
///            non-`CodeAddr` `LoadPseudo` is replaced with its lowered form;
///            every other instruction is inserted verbatim.
/// Invariant: `pass_validate_instruction_support`, `pass_resolve_kfunc_calls`,
///            and `pass_lower_pseudo_loads` have been applied on the same
///            instruction sequence.
fn pass_populate_nodes(
    builder: &mut CfgBuilder,
    insts: &InstructionSeq,
    resolved_kfunc_calls: &ResolvedKfuncCalls,
    lowered_pseudo_loads: &LoweredPseudoLoads,
) {
    for (label, inst, _) in insts {
        if matches!(inst, Instruction::Undefined(_)) {
            continue;
        }
        if matches!(inst, Instruction::CallBtf(_)) {
            let call = resolved_kfunc_calls
                .get(label)
                .expect("internal error: missing validated kfunc resolution")
                .clone();
            builder.insert(label.clone(), Instruction::Call(call));
            continue;
        }
        if let Some(lowered) = lowered_pseudo_loads.get(label) {
            builder.insert(label.clone(), lowered.clone());
            continue;
        }
        builder.insert(label.clone(), inst.clone());
    }
}

/// Pass: ValidateControlFlowTargets.
/// Reads    : instruction sequence and the populated CFG nodes.
/// Throws   : `InvalidControlFlow` if a jump or local-call target does not
///            resolve to a populated instruction node — for instance a target
///            that lands on the second slot of a wide `lddw` instruction, which
///            passes the unmarshal in-bounds check but is not an instruction
///            boundary.
/// Invariant: `pass_populate_nodes` has run, so every real instruction (and the
///            entry/exit nodes) is present in the CFG.
fn pass_validate_control_flow_targets(
    builder: &CfgBuilder,
    inst_seq: &InstructionSeq,
) -> Result<(), InvalidControlFlow> {
    for (label, inst, _) in inst_seq {
        let target = match inst {
            Instruction::Jmp(jmp) => &jmp.target,
            Instruction::CallLocal(call) => &call.target,
            _ => continue,
        };
        if !builder.prog.cfg.contains(target) {
            return Err(InvalidControlFlow {
                message: format!(
                    "control-flow target {target} at {label} is not an instruction boundary"
                ),
            });
        }
    }
    Ok(())
}

/// Pass: ConnectEdges (BuildInitialCfg, connect step; also performs
///       InsertAssumeEdges).
/// Reads    : instruction sequence, `must_have_exit` flag.
/// Writes   : CFG edges from entry, and for every populated node to its
///            successors. Conditional `Jmp` instructions are materialised as
///            two synthetic Assume jump-labels (`insert_jump`) carrying the
///            positive and negated conditions.
/// Throws   : `InvalidControlFlow` on empty sequence, fallthrough past the
///            final instruction, or a jump whose target label is not in the CFG.
/// Invariant: `pass_populate_nodes` has been applied (all nodes exist before
///            edges are added).
fn pass_connect_edges(
    builder: &mut CfgBuilder,
    insts: &InstructionSeq,
    must_have_exit: bool,
) -> Result<(), InvalidControlFlow> {
    if insts.is_empty() {
        return Err(InvalidControlFlow {
            message: "empty instruction sequence".to_string(),
        });
    }
    // Ordering check: pass_populate_nodes must run first so the entry's target
    // already exists (unless it is an Undefined slot — which we do not insert).
    debug_assert!(
        matches!(insts[0].1, Instruction::Undefined(_)) || builder.prog.cfg.contains(&insts[0].0)
    );

    let first_label = &insts[0].0;
    builder.add_child(&Label::entry(), first_label);

    for i in 0..insts.len() {
        let (label, inst, _) = &insts[i];

        if matches!(inst, Instruction::Undefined(_)) {
            continue;
        }

        let fallthrough = if i + 1 < insts.len() {
            insts[i + 1].0.clone()
        } else {
            if has_fall(inst) && must_have_exit {
                return Err(InvalidControlFlow {
                    message: "fallthrough in last instruction".to_string(),
                });
            }
            Label::exit()
        };

        if let Instruction::Jmp(jmp) = inst
            && let Some(cond) = &jmp.cond
        {
            // Conditional jump.
            let target_label = &jmp.target;
            if *target_label == fallthrough {
                builder.add_child(label, &fallthrough);
            } else {
                if !builder.prog.cfg.contains(target_label) {
                    return Err(InvalidControlFlow {
                        message: format!("jump to undefined label {target_label}"),
                    });
                }
                builder.insert_jump(
                    label,
                    target_label,
                    Instruction::Assume(Assume {
                        cond: cond.clone(),
                        is_implicit: true,
                    }),
                );
                builder.insert_jump(
                    label,
                    &fallthrough,
                    Instruction::Assume(Assume {
                        cond: reverse_condition(cond),
                        is_implicit: true,
                    }),
                );
            }
        } else if let Instruction::Jmp(jmp) = inst {
            builder.add_child(label, &jmp.target);
        } else if has_fall(inst) {
            builder.add_child(label, &fallthrough);
        }

        if matches!(inst, Instruction::Exit(_)) {
            builder.add_child(label, &Label::exit());
        }
    }
    Ok(())
}

/// Pass: InlineLocalCalls
/// Reads    : instruction sequence, `max_call_stack_frames` bound.
/// Writes   : for every `CallLocal` in the sequence, clones the callee region
///            into the CFG under a unique stack-frame prefix. Recurses into
///            nested calls.
/// Throws   : `InvalidControlFlow` on illegal recursion or exceeding the
///            call-stack frame bound.
/// Invariant: `pass_connect_edges` has been applied — inlining walks existing
///            parents/children. Restricted to callees that are reachable after
///            edge connection, which is why this runs as a separate pass rather
///            than during population.
fn pass_inline_local_calls(
    builder: &mut CfgBuilder,
    insts: &InstructionSeq,
    max_call_stack_frames: i32,
) -> Result<(), InvalidControlFlow> {
    debug_assert!(
        insts.is_empty() || !builder.prog.cfg.children_of(&Label::entry()).is_empty(),
        "pass_connect_edges must run before pass_inline_local_calls"
    );
    for (label, inst, _) in insts {
        if let Instruction::CallLocal(call_local) = inst {
            add_cfg_nodes(builder, label, &call_local.target, max_call_stack_frames)?;
        }
    }
    Ok(())
}

/// Pass: ValidateTailCallDepth
/// Reads    : Program (CFG + instructions), Wto, platform.
/// Writes   : nothing.
/// Throws   : `InvalidControlFlow` if the reachable tail-call chain exceeds
///            the fixed limit (33).
/// Notes    : Counts tail-call sites along the longest path through the
///            reachable maximal-SCC DAG so cycles do not inflate depth.
///            Maximal SCCs are derived from WTO nesting.
fn pass_validate_tail_call_depth(
    prog: &Program,
    wto: &Wto,
    platform: &dyn EbpfPlatform,
) -> Result<(), InvalidControlFlow> {
    validate_tail_call_chain_depth(prog, wto, platform)
}

/// Pass: ComputeCallbackMetadata
/// Reads    : Program (CFG + instructions).
/// Writes   : `prog.callback_target_labels` (top-level concrete-instruction
///            labels eligible as `PTR_TO_FUNC` targets) and
///            `prog.callback_targets_with_exit` (subset whose body can reach a
///            top-level Exit).
/// Notes    : Excludes `Label::entry`/`Label::exit`, synthetic jump labels,
///            labels under an inlined stack-frame prefix, and Exit instructions
///            themselves.
fn pass_compute_callback_metadata(prog: &mut Program) {
    let mut callback_target_labels = BTreeSet::new();
    for label in prog.labels() {
        if *label == Label::entry()
            || *label == Label::exit()
            || label.isjump()
            || !label.stack_frame_prefix.is_empty()
        {
            continue;
        }
        if matches!(prog.instruction_at(label), Instruction::Exit(_)) {
            continue;
        }
        callback_target_labels.insert(label.from);
    }

    // PATCH: one reverse BFS from all "exit targets" instead of one DFS per label (O(n^2)).
    let mut can_exit: BTreeSet<Label> = BTreeSet::new();
    let mut worklist: Vec<Label> = Vec::new();
    for label in prog.labels() {
        let is_target = *label == Label::exit()
            || (*label != Label::entry()
                && matches!(prog.instruction_at(label), Instruction::Exit(_))
                && label.stack_frame_prefix.is_empty());
        if is_target {
            worklist.push(label.clone());
        }
    }
    while let Some(label) = worklist.pop() {
        if !can_exit.insert(label.clone()) {
            continue;
        }
        for parent in prog.cfg().parents_of(&label) {
            if !can_exit.contains(parent) {
                worklist.push(parent.clone());
            }
        }
    }
    let mut callback_targets_with_exit = BTreeSet::new();
    for label_num in &callback_target_labels {
        if can_exit.contains(&Label::new(*label_num)) {
            callback_targets_with_exit.insert(*label_num);
        }
    }
    prog.callback_target_labels = callback_target_labels;
    prog.callback_targets_with_exit = callback_targets_with_exit;
}

/// Pass: InsertTerminationCounters
/// Reads    : WTO of the current CFG.
/// Writes   : inserts an `IncrementLoopCounter` instruction immediately after
///            every loop head identified by WTO. These counters are the natural
///            locations for the bounded-loop-count check.
/// Invariant: only invoked when `runtime.check_for_termination` is set.
fn pass_insert_termination_counters(builder: &mut CfgBuilder, wto: &Wto) {
    let mut loop_heads = Vec::new();
    wto.for_each_loop_head(&mut |label| loop_heads.push(label.clone()));
    for label in loop_heads {
        let counter_label = Label::make_increment_counter(&label);
        let ins = Instruction::IncrementLoopCounter(IncrementLoopCounter {
            name: label.clone(),
        });
        builder.insert_after(&label, counter_label, ins);
    }
}

/// Pass: ExtractAssertions
/// Reads    : Program (CFG + instructions), `ProgramInfo`, runtime config.
/// Writes   : annotates every CFG label with the assertions that must hold
///            before its instruction, via `builder.set_assertions`.
/// Invariant: must run last — assertions reference the final CFG shape, so
///            any pass that adds nodes (e.g. `pass_insert_termination_counters`)
///            must run first.
fn pass_extract_assertions(
    builder: &mut CfgBuilder,
    info: &ProgramInfo,
    runtime: &EbpfRuntimeConfig,
) {
    let labels: Vec<Label> = builder.prog.cfg.labels().cloned().collect();
    for label in &labels {
        let ins = builder.prog.instruction_at(label);
        let assertions = get_assertions(ins, info, runtime, &Some(label.clone()));
        builder.set_assertions(label, assertions);
    }
}

// ---------------------------------------------------------------------------
// CfgBuilder — private construction helper
// ---------------------------------------------------------------------------

/// Builder for constructing a `Program` from an instruction sequence.
///
/// Wraps a `Program` under construction and provides mutation methods
/// that keep the CFG, instruction map, and assertion map in sync.
struct CfgBuilder {
    prog: Program,
}

impl CfgBuilder {
    /// Create a new builder with an empty program (entry + exit only).
    fn new() -> Self {
        let mut instructions = BTreeMap::new();
        instructions.insert(
            Label::entry(),
            Instruction::Undefined(Undefined { opcode: 0 }),
        );
        instructions.insert(
            Label::exit(),
            Instruction::Undefined(Undefined { opcode: 0 }),
        );

        let mut assertions = BTreeMap::new();
        assertions.insert(Label::entry(), Vec::new());
        assertions.insert(Label::exit(), Vec::new());

        CfgBuilder {
            prog: Program {
                instructions,
                assertions,
                cfg: Cfg::new(),
                callback_target_labels: BTreeSet::new(),
                callback_targets_with_exit: BTreeSet::new(),
            },
        }
    }

    /// Insert a new label with its instruction. Panics if the label already exists.
    fn insert(&mut self, label: Label, ins: Instruction) {
        if self.prog.cfg.contains(&label) {
            panic!("Label {label} already exists");
        }
        self.prog.cfg.insert(label.clone());
        self.prog.instructions.insert(label, ins);
    }

    /// Insert a new label after `prev_label`, splicing it into all of prev's
    /// outgoing edges: prev -> new_label -> (all former children of prev).
    fn insert_after(&mut self, prev_label: &Label, new_label: Label, ins: Instruction) {
        assert_ne!(
            *prev_label, new_label,
            "Cannot insert after the same label {new_label}"
        );
        self.prog.instructions.insert(new_label.clone(), ins);
        self.prog.cfg.insert_after(prev_label, new_label);
    }

    /// Insert a jump label on the edge from `from` to `to`, with the given
    /// instruction (typically an `Assume`). Returns the new jump label.
    fn insert_jump(&mut self, from: &Label, to: &Label, ins: Instruction) -> Label {
        let jump_label = Label::make_jump(from, to);
        if self.prog.cfg.contains(&jump_label) {
            panic!("Jump label {jump_label} already exists");
        }
        self.insert(jump_label.clone(), ins);
        self.add_child(from, &jump_label);
        self.add_child(&jump_label, to);
        jump_label
    }

    /// Add a directed edge from `a` to `b`.
    fn add_child(&mut self, a: &Label, b: &Label) {
        self.prog.cfg.add_child(a, b);
    }

    /// Remove a directed edge from `a` to `b`.
    fn remove_child(&mut self, a: &Label, b: &Label) {
        self.prog.cfg.remove_child(a, b);
    }

    /// Set the assertions for a given label. Panics if the label is not in the CFG.
    fn set_assertions(&mut self, label: &Label, assertions: Vec<Assertion>) {
        if !self.prog.cfg.contains(label) {
            panic!("Label {label} not found in the CFG");
        }
        self.prog.assertions.insert(label.clone(), assertions);
    }
}

// ---------------------------------------------------------------------------
// Free functions: condition reversal, fall-through detection
// ---------------------------------------------------------------------------

/// Get the inverse of a comparison operator.
pub fn reverse_op(op: ConditionOp) -> ConditionOp {
    match op {
        ConditionOp::EQ => ConditionOp::NE,
        ConditionOp::NE => ConditionOp::EQ,

        ConditionOp::GE => ConditionOp::LT,
        ConditionOp::LT => ConditionOp::GE,

        ConditionOp::SGE => ConditionOp::SLT,
        ConditionOp::SLT => ConditionOp::SGE,

        ConditionOp::LE => ConditionOp::GT,
        ConditionOp::GT => ConditionOp::LE,

        ConditionOp::SLE => ConditionOp::SGT,
        ConditionOp::SGT => ConditionOp::SLE,

        ConditionOp::SET => ConditionOp::NSET,
        ConditionOp::NSET => ConditionOp::SET,
    }
}

/// Get the inverse of a full condition (flips the operator, keeps operands).
pub fn reverse_condition(cond: &Condition) -> Condition {
    Condition {
        op: reverse_op(cond.op),
        left: cond.left,
        right: cond.right,
        is64: cond.is64,
    }
}

/// Returns true if the instruction falls through to the next instruction
/// (i.e., it is not a terminator like `Exit` or an unconditional `Jmp`).
pub fn has_fall(ins: &Instruction) -> bool {
    match ins {
        Instruction::Exit(_) => false,
        Instruction::Jmp(jmp) => {
            // Unconditional jump does not fall through; conditional jump does.
            jmp.cond.is_some()
        }
        _ => true,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RejectKind {
    Capability,
}

#[derive(Clone, Debug)]
struct RejectionReason {
    kind: RejectKind,
    detail: String,
}

fn supports(groups: u32, group: u32) -> bool {
    (groups & group) == group
}

fn un_requires_base64(un: &Un) -> bool {
    matches!(un.op, UnOp::BE64 | UnOp::LE64 | UnOp::SWAP64)
}

/// Check that a conformance group pair (64-bit and 32-bit variants) is supported,
/// selecting the variant based on `need_64`. Returns a rejection reason if not supported.
fn require_group_pair(
    groups: u32,
    need_64: bool,
    group_64: u32,
    name_64: &str,
    group_32: u32,
    name_32: &str,
) -> Option<RejectionReason> {
    let (group, name) = if need_64 {
        (group_64, name_64)
    } else {
        (group_32, name_32)
    };
    if !supports(groups, group) {
        Some(RejectionReason {
            kind: RejectKind::Capability,
            detail: format!("requires conformance group {name}"),
        })
    } else {
        None
    }
}

fn require_base(groups: u32, need_64: bool) -> Option<RejectionReason> {
    require_group_pair(
        groups,
        need_64,
        conformance_groups::BASE64,
        "base64",
        conformance_groups::BASE32,
        "base32",
    )
}

fn check_instruction_feature_support(
    ins: &Instruction,
    info: &ProgramInfo,
) -> Option<RejectionReason> {
    let reject_capability = |detail: &str| RejectionReason {
        kind: RejectKind::Capability,
        detail: detail.to_string(),
    };
    let groups = info.supported_conformance_groups;

    if let Instruction::Call(call) = ins
        && !call.is_supported
    {
        return Some(reject_capability(
            call.unsupported_reason.to_string().as_str(),
        ));
    }
    if matches!(ins, Instruction::Callx(_)) && !supports(groups, conformance_groups::CALLX) {
        return Some(reject_capability("requires conformance group callx"));
    }
    if (matches!(ins, Instruction::Call(_))
        || matches!(ins, Instruction::CallLocal(_))
        || matches!(ins, Instruction::Callx(_))
        || matches!(ins, Instruction::CallBtf(_))
        || matches!(ins, Instruction::Exit(_)))
        && !supports(groups, conformance_groups::BASE32)
    {
        return Some(reject_capability("requires conformance group base32"));
    }
    if let Instruction::Bin(bin) = ins {
        if let r @ Some(_) = require_base(groups, bin.is64) {
            return r;
        }
        if matches!(
            bin.op,
            BinOp::MUL | BinOp::UDIV | BinOp::UMOD | BinOp::SDIV | BinOp::SMOD
        ) && let r @ Some(_) = require_group_pair(
            groups,
            bin.is64,
            conformance_groups::DIVMUL64,
            "divmul64",
            conformance_groups::DIVMUL32,
            "divmul32",
        ) {
            return r;
        }
    }
    if let Instruction::Un(un) = ins
        && let r @ Some(_) = require_base(groups, un.is64 || un_requires_base64(un))
    {
        return r;
    }
    if let Instruction::Jmp(jmp) = ins {
        let need_base64 = jmp.cond.as_ref().is_some_and(|c| c.is64);
        if let r @ Some(_) = require_base(groups, need_base64) {
            return r;
        }
    }
    if let Instruction::LoadPseudo(lp) = ins {
        if !supports(groups, conformance_groups::BASE64) {
            return Some(reject_capability("requires conformance group base64"));
        }
        match lp.addr.kind {
            // All pseudo address kinds are lowered during CFG construction.
            PseudoAddressKind::VariableAddr
            | PseudoAddressKind::CodeAddr
            | PseudoAddressKind::MapByIdx
            | PseudoAddressKind::MapValueByIdx => {}
        }
    }
    if (matches!(ins, Instruction::LoadMapFd(_)) || matches!(ins, Instruction::LoadMapAddress(_)))
        && !supports(groups, conformance_groups::BASE64)
    {
        return Some(reject_capability("requires conformance group base64"));
    }
    if let Instruction::Mem(Mem {
        access, is_signed, ..
    }) = ins
    {
        if let r @ Some(_) = require_base(groups, access.width.bytes() == 8) {
            return r;
        }
        if *is_signed && !supports(groups, conformance_groups::BASE64) {
            return Some(reject_capability("requires conformance group base64"));
        }
    }
    if matches!(ins, Instruction::Packet(_)) && !supports(groups, conformance_groups::PACKET) {
        return Some(reject_capability("requires conformance group packet"));
    }
    if let Instruction::Atomic(atomic) = ins
        && let r @ Some(_) = require_group_pair(
            groups,
            atomic.access.width.bytes() == 8,
            conformance_groups::ATOMIC64,
            "atomic64",
            conformance_groups::ATOMIC32,
            "atomic32",
        )
    {
        return r;
    }
    None
}

type ResolvedKfuncCalls = BTreeMap<Label, Call>;
type LoweredPseudoLoads = BTreeMap<Label, Instruction>;

fn merge_imm32_to_u64(lo: i32, hi: i32) -> u64 {
    (lo as u32 as u64) | ((hi as u32 as u64) << 32)
}

/// Resolve a `LoadPseudo` to a concrete instruction before abstract interpretation.
fn resolve_pseudo_load(
    pseudo: &LoadPseudo,
    info: &ProgramInfo,
) -> Result<Instruction, InvalidControlFlow> {
    if matches!(pseudo.addr.kind, PseudoAddressKind::VariableAddr) {
        return Ok(Instruction::Bin(Bin {
            op: BinOp::MOV,
            dst: pseudo.dst,
            v: Value::Imm(Imm {
                v: merge_imm32_to_u64(pseudo.addr.imm, pseudo.addr.next_imm),
            }),
            is64: true,
            lddw: true,
        }));
    }

    let descriptors = &info.map_descriptors;
    if pseudo.addr.imm < 0 || (pseudo.addr.imm as usize) >= descriptors.len() {
        return Err(InvalidControlFlow {
            message: format!(
                "invalid map index {} (have {} maps)",
                pseudo.addr.imm,
                descriptors.len()
            ),
        });
    }
    let mapfd = descriptors[pseudo.addr.imm as usize].original_fd;
    match pseudo.addr.kind {
        PseudoAddressKind::MapByIdx => Ok(Instruction::LoadMapFd(LoadMapFd {
            dst: pseudo.dst,
            mapfd,
        })),
        PseudoAddressKind::MapValueByIdx => Ok(Instruction::LoadMapAddress(LoadMapAddress {
            dst: pseudo.dst,
            mapfd,
            offset: pseudo.addr.next_imm,
        })),
        _ => unreachable!("pseudo kind handled earlier: {:?}", pseudo.addr.kind),
    }
}

// ---------------------------------------------------------------------------
// add_cfg_nodes — inline function macros
// ---------------------------------------------------------------------------

/// Update a control-flow graph to inline function macros.
///
/// Walks the transitive closure of CFG nodes starting at `entry_label` and
/// ending at any exit instruction, cloning them into the caller's stack frame.
fn add_cfg_nodes(
    builder: &mut CfgBuilder,
    caller_label: &Label,
    entry_label: &Label,
    max_call_stack_frames: i32,
) -> Result<(), InvalidControlFlow> {
    // Guard at the entry so the check applies uniformly to all invocations
    // (including the top-level one), matching upstream PR #1070.
    let caller_label_str = format!("{caller_label}");
    let stack_frame_depth = caller_label_str
        .chars()
        .filter(|&c| c == STACK_FRAME_DELIMITER)
        .count() as i32
        + 2;
    if stack_frame_depth > max_call_stack_frames {
        return Err(InvalidControlFlow {
            message: "too many call stack frames".to_string(),
        });
    }

    let mut first = true;

    // Get the label of the node to go to on returning from the macro. A
    // well-formed local call has exactly one continuation (its fallthrough);
    // a malformed one (e.g. a local call as the last instruction, or a block
    // with multiple successors) does not. Reject those rather than letting
    // `get_child`'s assertion fire.
    if builder.prog.cfg.out_degree(caller_label) != 1 {
        return Err(InvalidControlFlow {
            message: format!("local call at {caller_label} must have exactly one continuation"),
        });
    }
    let exit_to_label = builder.prog.cfg.get_child(caller_label);

    // Construct the variable prefix to use for the new stack frame
    // and store a copy in the CallLocal instruction since the instruction-specific
    // labels may only exist until the CFG is simplified.
    let stack_frame_prefix = format!("{caller_label}");
    if let Instruction::CallLocal(pcall) = builder.prog.instruction_at_mut(caller_label) {
        pcall.stack_frame_prefix = Rc::from(stack_frame_prefix.as_str());
    }

    // Walk the transitive closure of CFG nodes starting at entry_label and ending at
    // any exit instruction.
    let mut macro_labels = BTreeSet::new();
    macro_labels.insert(entry_label.clone());
    let mut seen_labels = BTreeSet::new();
    seen_labels.insert(entry_label.clone());

    while let Some(macro_label) = macro_labels.pop_first() {
        if stack_frame_prefix == macro_label.stack_frame_prefix {
            return Err(InvalidControlFlow {
                message: format!("{stack_frame_prefix}: illegal recursion"),
            });
        }

        // Clone the macro block into a new block with the new stack frame prefix.
        let label = Label::new_full(macro_label.from, macro_label.to, stack_frame_prefix.clone());
        let mut inst = builder.prog.instruction_at(&macro_label).clone();
        match &mut inst {
            Instruction::Exit(pexit) => {
                pexit.stack_frame_prefix = Rc::from(label.stack_frame_prefix.as_str());
            }
            Instruction::Call(pcall) => {
                pcall.stack_frame_prefix = Rc::from(label.stack_frame_prefix.as_str());
            }
            _ => {}
        }
        builder.insert(label.clone(), inst);

        if first {
            // Add an edge from the caller to the new block.
            first = false;
            builder.add_child(caller_label, &label);
        }

        // Walk all successor nodes, enqueuing any not-yet-cloned macro block.
        let next_macro_nodes: Vec<Label> = builder
            .prog
            .cfg
            .children_of(&macro_label)
            .iter()
            .cloned()
            .collect();
        for next_macro_label in &next_macro_nodes {
            if *next_macro_label != Label::exit() && !seen_labels.contains(next_macro_label) {
                macro_labels.insert(next_macro_label.clone());
                seen_labels.insert(next_macro_label.clone());
            }
        }
    }

    // Reconstruct the cloned subprogram's internal edges now that every macro
    // block has been cloned. This must run as a second pass: reconstructing
    // edges while cloning (from already-cloned predecessors) loses any
    // back-edge, because a loop latch is cloned after its head, so the
    // latch->head edge is never re-added. The clone would then be analyzed
    // straight-line, without widening or loop-counter insertion, missing a
    // pointer that walks out of bounds across iterations.
    for macro_label in &seen_labels {
        let label = Label::new_full(macro_label.from, macro_label.to, stack_frame_prefix.clone());
        let next_macro_nodes: Vec<Label> = builder
            .prog
            .cfg
            .children_of(macro_label)
            .iter()
            .cloned()
            .collect();
        for next_macro_label in &next_macro_nodes {
            if *next_macro_label == Label::exit() {
                // This is an exit transition, so add an edge to the block to
                // execute upon returning from the macro.
                builder.add_child(&label, &exit_to_label);
            } else {
                let next_label = Label::new_full(
                    next_macro_label.from,
                    next_macro_label.to,
                    stack_frame_prefix.clone(),
                );
                builder.add_child(&label, &next_label);
            }
        }
    }

    // Remove the original edge from the caller node to its successor,
    // since processing now goes through the function macro instead.
    builder.remove_child(caller_label, &exit_to_label);

    // Finally, recurse to replace any nested function macros. The depth
    // guard at the entry of this function covers all call sites.
    let seen_labels_snapshot: Vec<Label> = seen_labels.into_iter().collect();
    for macro_label in &seen_labels_snapshot {
        let label = Label::new_full(macro_label.from, macro_label.to, caller_label_str.clone());
        if builder.prog.cfg.contains(&label)
            && let Instruction::CallLocal(cl) = builder.prog.instruction_at(&label)
        {
            let target = cl.target.clone();
            add_cfg_nodes(builder, &label, &target, max_call_stack_frames)?;
        }
    }

    Ok(())
}

// ---------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------

/// Get the type string of an instruction. Most of these type names are also
/// statistics header labels.
pub fn instype(ins: &Instruction) -> &'static str {
    match ins {
        Instruction::Call(call) => {
            if call.contract.is_map_lookup {
                "call_1"
            } else if call.contract.pairs.is_empty() {
                if call
                    .contract
                    .singles
                    .iter()
                    .all(|kr| kr.kind == ArgSingleKind::Anything)
                {
                    "call_nomem"
                } else {
                    "call_mem"
                }
            } else {
                "call_mem"
            }
        }
        Instruction::Callx(_) => "callx",
        Instruction::CallBtf(_) => "call_btf",
        Instruction::Mem(mem) => {
            if mem.is_load {
                "load"
            } else {
                "store"
            }
        }
        Instruction::Atomic(_) => "load_store",
        Instruction::Packet(_) => "packet_access",
        Instruction::Bin(bin) => match bin.op {
            BinOp::MOV | BinOp::MOVSX8 | BinOp::MOVSX16 | BinOp::MOVSX32 => "assign",
            _ => "arith",
        },
        Instruction::Un(_) => "arith",
        Instruction::LoadMapFd(_) => "assign",
        Instruction::LoadMapAddress(_) => "assign",
        Instruction::LoadPseudo(_) => "assign",
        Instruction::Assume(_) => "assume",
        _ => "other",
    }
}

/// Returns the list of statistics header keys.
pub fn stats_headers() -> Vec<&'static str> {
    vec![
        "instructions",
        "joins",
        "other",
        "jumps",
        "assign",
        "arith",
        "load",
        "store",
        "load_store",
        "packet_access",
        "call_1",
        "call_mem",
        "call_btf",
        "call_nomem",
        "reallocate",
        "map_in_map",
        "arith64",
        "arith32",
    ]
}

/// Collect statistics about the instructions in a program.
pub fn collect_stats(prog: &Program) -> BTreeMap<String, i32> {
    let mut res = BTreeMap::new();
    for h in stats_headers() {
        res.insert(h.to_string(), 0);
    }
    for label in prog.labels() {
        *res.get_mut("instructions").unwrap() += 1;
        let cmd = prog.instruction_at(label);

        if let Instruction::LoadMapFd(lmf) = cmd
            && lmf.mapfd == -1
        {
            res.insert("map_in_map".to_string(), 1);
        }
        if let Instruction::Call(call) = cmd
            && call.contract.reallocate_packet
        {
            res.insert("reallocate".to_string(), 1);
        }
        if let Instruction::Bin(bin) = cmd {
            let key = if bin.is64 { "arith64" } else { "arith32" };
            *res.get_mut(key).unwrap() += 1;
        }

        let typ = instype(cmd);
        *res.get_mut(typ).unwrap() += 1;

        if prog.cfg().in_degree(label) > 1 {
            *res.get_mut("joins").unwrap() += 1;
        }
        if prog.cfg().out_degree(label) > 1 {
            *res.get_mut("jumps").unwrap() += 1;
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfg::label::Label;
    use crate::ir::syntax::{
        Bin, BinOp, Call, CallBtf, CallKind, Exit, Instruction, InstructionSeq, Jmp, LoadMapFd,
        LoadPseudo, PseudoAddress, PseudoAddressKind, Reg, Value,
    };
    use crate::linux::linux_platform::LinuxPlatform;
    use crate::spec::config::EbpfVerifierOptions;
    use crate::spec::type_descriptors::{EbpfMapDescriptor, ProgramInfo};
    use std::rc::Rc;

    fn create_simple_seq() -> InstructionSeq {
        // 0: MOV r1, 10
        // 1: EXIT
        vec![
            (
                Label::new(0),
                Instruction::Bin(Bin {
                    op: BinOp::MOV,
                    dst: Reg { v: 1 },
                    v: Value::Imm(crate::ir::syntax::Imm { v: 10 }),
                    is64: true,
                    lddw: false,
                }),
                None,
            ),
            (
                Label::new(1),
                Instruction::Exit(crate::ir::syntax::Exit {
                    stack_frame_prefix: Rc::from(""),
                }),
                None,
            ),
        ]
    }

    #[test]
    fn test_program_from_sequence_simple() {
        let seq = create_simple_seq();
        let mut info = ProgramInfo::default();
        let platform = LinuxPlatform::new();
        let opts = EbpfVerifierOptions::default();

        let prog =
            Program::from_sequence(&seq, &mut info, &platform, &opts).expect("Result should be Ok");

        // Check CFG structure
        // Entry -> 0 -> 1 -> Exit
        let entry = Label::entry();
        let exit = Label::exit();
        let l0 = Label::new(0);
        let l1 = Label::new(1);

        assert!(prog.cfg.contains(&entry));
        assert!(prog.cfg.contains(&exit));
        assert!(prog.cfg.contains(&l0));
        assert!(prog.cfg.contains(&l1));

        // Edges
        // Entry -> 0
        let children_entry = prog.cfg.children_of(&entry);
        assert!(children_entry.contains(&l0));

        // 0 -> 1 (fallthrough)
        let children_0 = prog.cfg.children_of(&l0);
        assert!(children_0.contains(&l1));

        // 1 -> Exit
        let children_1 = prog.cfg.children_of(&l1);
        assert!(children_1.contains(&exit));
    }

    /// A jump whose target is not an instruction boundary (e.g. the second slot
    /// of a wide `lddw`, or any non-instruction offset) must be rejected as
    /// invalid control flow rather than panicking in CFG construction.
    #[test]
    fn jump_to_non_instruction_target_is_rejected() {
        let seq: InstructionSeq = vec![
            (
                Label::new(0),
                Instruction::Jmp(Jmp {
                    cond: None,
                    target: Label::new(7), // no instruction at label 7
                }),
                None,
            ),
            (
                Label::new(1),
                Instruction::Exit(crate::ir::syntax::Exit {
                    stack_frame_prefix: Rc::from(""),
                }),
                None,
            ),
        ];
        let mut info = ProgramInfo::default();
        let platform = LinuxPlatform::new();
        let opts = EbpfVerifierOptions::default();
        let err = Program::from_sequence(&seq, &mut info, &platform, &opts)
            .err()
            .expect("expected InvalidControlFlow rejection");
        assert!(err.message.contains("instruction boundary"));
    }

    #[test]
    fn test_program_empty_error() {
        let seq: InstructionSeq = Vec::new();
        let mut info = ProgramInfo::default();
        let platform = LinuxPlatform::new();
        let opts = EbpfVerifierOptions::default();

        let res = Program::from_sequence(&seq, &mut info, &platform, &opts);
        assert!(res.is_err());
    }

    #[test]
    fn test_lddw_variable_addr_is_lowered_to_mov_imm64() {
        let seq = vec![
            (
                Label::new(0),
                Instruction::LoadPseudo(LoadPseudo {
                    dst: Reg { v: 1 },
                    addr: PseudoAddress {
                        kind: PseudoAddressKind::VariableAddr,
                        imm: 0x5566_7788_u32 as i32,
                        next_imm: 0x1122_3344_u32 as i32,
                    },
                }),
                None,
            ),
            (
                Label::new(1),
                Instruction::Exit(Exit {
                    stack_frame_prefix: Rc::from(""),
                }),
                None,
            ),
        ];

        let mut info = ProgramInfo::default();
        let platform = LinuxPlatform::new();
        let opts = EbpfVerifierOptions::default();
        let program =
            Program::from_sequence(&seq, &mut info, &platform, &opts).expect("expected valid CFG");

        let lowered = program.instruction_at(&Label::new(0));
        match lowered {
            Instruction::Bin(bin) => {
                assert_eq!(bin.op, BinOp::MOV);
                assert!(bin.is64);
                assert!(bin.lddw);
                assert_eq!(bin.dst, Reg { v: 1 });
                assert_eq!(
                    bin.v,
                    Value::Imm(crate::ir::syntax::Imm {
                        v: 0x1122_3344_5566_7788
                    })
                );
            }
            _ => panic!("expected LoadPseudo to be lowered into Bin::MOV"),
        }
    }

    #[test]
    fn test_lddw_code_addr_is_preserved() {
        let seq = vec![
            (
                Label::new(0),
                Instruction::LoadPseudo(LoadPseudo {
                    dst: Reg { v: 2 },
                    addr: PseudoAddress {
                        kind: PseudoAddressKind::CodeAddr,
                        imm: 11,
                        next_imm: 0,
                    },
                }),
                None,
            ),
            (
                Label::new(1),
                Instruction::Exit(Exit {
                    stack_frame_prefix: Rc::from(""),
                }),
                None,
            ),
        ];

        let mut info = ProgramInfo::default();
        let platform = LinuxPlatform::new();
        let opts = EbpfVerifierOptions::default();
        let program =
            Program::from_sequence(&seq, &mut info, &platform, &opts).expect("expected valid CFG");

        match program.instruction_at(&Label::new(0)) {
            Instruction::LoadPseudo(pseudo) => {
                assert_eq!(pseudo.dst, Reg { v: 2 });
                assert_eq!(pseudo.addr.kind, PseudoAddressKind::CodeAddr);
                assert_eq!(pseudo.addr.imm, 11);
            }
            other => panic!("expected code_addr LoadPseudo to be preserved, got {other:?}"),
        }
    }

    #[test]
    fn test_callback_target_sets_track_reachable_exit() {
        let seq = vec![
            (
                Label::new(0),
                Instruction::Bin(Bin {
                    op: BinOp::MOV,
                    dst: Reg { v: 0 },
                    v: Value::Imm(crate::ir::syntax::Imm { v: 0 }),
                    is64: true,
                    lddw: false,
                }),
                None,
            ),
            (
                Label::new(1),
                Instruction::Exit(Exit {
                    stack_frame_prefix: Rc::from(""),
                }),
                None,
            ),
            (
                Label::new(2),
                Instruction::Jmp(Jmp {
                    cond: None,
                    target: Label::new(2),
                }),
                None,
            ),
        ];

        let mut info = ProgramInfo::default();
        let platform = LinuxPlatform::new();
        let opts = EbpfVerifierOptions::default();
        let prog =
            Program::from_sequence(&seq, &mut info, &platform, &opts).expect("expected valid CFG");

        assert!(prog.callback_target_labels().contains(&0));
        assert!(prog.callback_target_labels().contains(&2));

        assert!(prog.callback_targets_with_exit().contains(&0));
        assert!(!prog.callback_targets_with_exit().contains(&2));
    }

    /// PATCH (bpf2c, change 10): the indexed tail-call depth check gives upstream's
    /// label-keyed result, error label included, on random programs with loops, branches
    /// and tail calls, at every limit from 0 to beyond the deepest chain.
    #[test]
    fn test_indexed_tail_call_depth_matches_label_keyed() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |bound: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % bound
        };
        let tail_call = || {
            Instruction::Call(Call {
                func: 12,
                kind: CallKind::Helper,
                module: 0,
                name: Rc::from("tail_call"),
                is_supported: true,
                unsupported_reason: Rc::from(""),
                contract: crate::ir::syntax::CallContract::default(),
                stack_frame_prefix: Rc::from(""),
            })
        };
        let platform = LinuxPlatform::new();
        let opts = EbpfVerifierOptions::default();
        let (mut compared, mut refused) = (0, 0);
        for _ in 0..400 {
            let n = 3 + next(40) as i32;
            let mut seq: InstructionSeq = Vec::new();
            for pc in 0..n - 1 {
                let ins = match next(6) {
                    0 | 1 => tail_call(),
                    2 => Instruction::Jmp(Jmp {
                        cond: Some(Condition {
                            op: ConditionOp::EQ,
                            left: Reg { v: 0 },
                            right: Value::Imm(Imm { v: 0 }),
                            is64: true,
                        }),
                        target: Label::new(next(n as u64) as i32),
                    }),
                    3 if next(3) == 0 => Instruction::Exit(Exit {
                        stack_frame_prefix: Rc::from(""),
                    }),
                    _ => Instruction::Bin(Bin {
                        op: BinOp::MOV,
                        dst: Reg { v: 0 },
                        v: Value::Imm(Imm { v: 0 }),
                        is64: true,
                        lddw: false,
                    }),
                };
                seq.push((Label::new(pc), ins, None));
            }
            seq.push((
                Label::new(n - 1),
                Instruction::Exit(Exit {
                    stack_frame_prefix: Rc::from(""),
                }),
                None,
            ));
            let mut info = ProgramInfo::default();
            let Ok(prog) = Program::from_sequence(&seq, &mut info, &platform, &opts) else {
                continue;
            };
            let wto = Wto::new(prog.cfg());
            for limit in 0..=n {
                let indexed = validate_tail_call_chain_depth_up_to(&prog, &wto, &platform, limit)
                    .map_err(|e| e.message);
                let by_label =
                    validate_tail_call_chain_depth_by_label(&prog, &wto, &platform, limit)
                        .map_err(|e| e.message);
                assert_eq!(indexed, by_label, "limit {limit}, program {seq:?}");
                compared += 1;
                refused += usize::from(indexed.is_err());
            }
        }
        assert!(
            compared > 2_000 && refused > 500,
            "{compared} compared, {refused} refused"
        );
    }

    #[test]
    fn test_tail_call_chain_depth_above_33_is_rejected() {
        let mut seq: InstructionSeq = Vec::new();
        for i in 0..34 {
            seq.push((
                Label::new(i),
                Instruction::Call(Call {
                    func: 12,
                    kind: CallKind::Helper,
                    module: 0,
                    name: Rc::from("tail_call"),
                    is_supported: true,
                    unsupported_reason: Rc::from(""),
                    contract: crate::ir::syntax::CallContract::default(),
                    stack_frame_prefix: Rc::from(""),
                }),
                None,
            ));
        }
        seq.push((
            Label::new(34),
            Instruction::Exit(Exit {
                stack_frame_prefix: Rc::from(""),
            }),
            None,
        ));

        let mut info = ProgramInfo::default();
        let platform = LinuxPlatform::new();
        let opts = EbpfVerifierOptions::default();
        let Err(err) = Program::from_sequence(&seq, &mut info, &platform, &opts) else {
            panic!("must reject >33 tail calls")
        };
        assert!(err.message.contains("tail call chain depth exceeds 33"));
    }

    #[test]
    fn test_tail_call_chain_depth_of_33_is_accepted() {
        let mut seq: InstructionSeq = Vec::new();
        for i in 0..33 {
            seq.push((
                Label::new(i),
                Instruction::Call(Call {
                    func: 12,
                    kind: CallKind::Helper,
                    module: 0,
                    name: Rc::from("tail_call"),
                    is_supported: true,
                    unsupported_reason: Rc::from(""),
                    contract: crate::ir::syntax::CallContract::default(),
                    stack_frame_prefix: Rc::from(""),
                }),
                None,
            ));
        }
        seq.push((
            Label::new(33),
            Instruction::Exit(Exit {
                stack_frame_prefix: Rc::from(""),
            }),
            None,
        ));

        let mut info = ProgramInfo::default();
        let platform = LinuxPlatform::new();
        let opts = EbpfVerifierOptions::default();
        Program::from_sequence(&seq, &mut info, &platform, &opts)
            .expect("depth 33 should be accepted");
    }

    #[test]
    fn test_lddw_map_by_index_still_resolves() {
        let seq = vec![
            (
                Label::new(0),
                Instruction::LoadPseudo(LoadPseudo {
                    dst: Reg { v: 1 },
                    addr: PseudoAddress {
                        kind: PseudoAddressKind::MapByIdx,
                        imm: 0,
                        next_imm: 0,
                    },
                }),
                None,
            ),
            (
                Label::new(1),
                Instruction::Exit(Exit {
                    stack_frame_prefix: Rc::from(""),
                }),
                None,
            ),
        ];

        let mut info = ProgramInfo::default();
        info.map_descriptors.push(EbpfMapDescriptor {
            original_fd: 123,
            map_type: 1,
            key_size: 4,
            value_size: 8,
            max_entries: 16,
            inner_map_fd: 0,
            name: String::new(),
            is_inner_map_template: false,
        });
        let platform = LinuxPlatform::new();
        let opts = EbpfVerifierOptions::default();
        let program = Program::from_sequence(&seq, &mut info, &platform, &opts)
            .expect("map-by-index must resolve");
        assert_eq!(
            program.instruction_at(&Label::new(0)),
            &Instruction::LoadMapFd(LoadMapFd {
                dst: Reg { v: 1 },
                mapfd: 123
            })
        );
    }

    #[test]
    fn test_call_btf_unknown_kfunc_is_rejected() {
        let seq = vec![
            (
                Label::new(0),
                Instruction::CallBtf(CallBtf {
                    btf_id: 1,
                    module: 0,
                }),
                None,
            ),
            (
                Label::new(1),
                Instruction::Exit(Exit {
                    stack_frame_prefix: Rc::from(""),
                }),
                None,
            ),
        ];

        let mut info = ProgramInfo::default();
        let platform = LinuxPlatform::new();
        let opts = EbpfVerifierOptions::default();
        let Err(err) = Program::from_sequence(&seq, &mut info, &platform, &opts) else {
            panic!("unknown kfunc id must be rejected")
        };
        assert!(
            err.message
                .contains("not implemented: kfunc prototype lookup failed for BTF id 1")
        );
        assert!(err.message.contains("(at 0)"));
    }

    #[test]
    fn test_call_btf_known_kfunc_is_lowered_to_call() {
        let seq = vec![
            (
                Label::new(0),
                Instruction::CallBtf(CallBtf {
                    btf_id: 1000,
                    module: 0,
                }),
                None,
            ),
            (
                Label::new(1),
                Instruction::Exit(Exit {
                    stack_frame_prefix: Rc::from(""),
                }),
                None,
            ),
        ];

        let mut info = ProgramInfo::default();
        let platform = LinuxPlatform::new();
        let opts = EbpfVerifierOptions::default();
        let program = Program::from_sequence(&seq, &mut info, &platform, &opts)
            .expect("known kfunc must pass");
        match program.instruction_at(&Label::new(0)) {
            Instruction::Call(call) => {
                assert_eq!(call.kind, CallKind::Kfunc);
                assert_eq!(call.func, 1000);
            }
            other => panic!("expected lowered kfunc call, got {other:?}"),
        }
    }

    #[test]
    fn test_kfunc_btf_id_overlap_with_tail_call_helper_is_not_misclassified() {
        let mut seq: InstructionSeq = Vec::new();
        for i in 0..34 {
            seq.push((
                Label::new(i),
                Instruction::CallBtf(CallBtf {
                    btf_id: 12,
                    module: 0,
                }),
                None,
            ));
        }
        seq.push((
            Label::new(34),
            Instruction::Exit(Exit {
                stack_frame_prefix: Rc::from(""),
            }),
            None,
        ));

        let mut info = ProgramInfo::default();
        let platform = LinuxPlatform::new();
        let opts = EbpfVerifierOptions::default();
        Program::from_sequence(&seq, &mut info, &platform, &opts)
            .expect("kfunc id overlap must not trigger tail-call-depth rejection");
    }
}
