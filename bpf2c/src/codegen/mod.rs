//! C generation: a validated [`Object`] (and, for XDP programs, verification facts) to one
//! portable C file that implements the module ABI of `bpf2c.h`.
//!
//! What the input promises is in its type: a [`ValidatedObject`] is well-formed, so the
//! generator indexes and matches on it without checking again, and only a [`Verified`]
//! proof makes C that says it was verified.
//!
//! The file holds, in order: a header comment, the map table (with global-data contents),
//! the helper table, forward declarations, one C function per eBPF function, the program and
//! function tables, and the exported `bpf2c_module_t`. Output depends only on the inputs, so
//! the same object always gives the same bytes.

mod address;
mod context;
mod function;
mod header_copy;
mod insn;
mod literals;
mod loops;
mod names;
mod narrow;
mod out;
mod plan;
mod tables;

use std::collections::BTreeMap;

use crate::error::{Error, Location, Result};
use crate::facts::ModuleFacts;
use crate::insn::standard_helper_name;
use crate::object::validate::ValidatedObject;
use crate::object::{Function, Object};
use crate::optimize::{Action, Disabled, Plan};
use crate::verify::Verified;

pub use names::{c_string, sanitize_identifier};

/// What the C is generated from, and so what it may claim about verification.
#[derive(Clone, Copy, Debug)]
pub enum Source<'a> {
    /// Every program passed verification: the header and the module flags say so, and the
    /// facts are the proof's.
    Verified(&'a Verified<'a>),
    /// Code nobody verified (`--no-verify`), with facts taken on the caller's word if any.
    /// The C says it was not verified, and the runtime's safe constructor refuses it.
    Unverified {
        object: ValidatedObject<'a>,
        facts: Option<&'a ModuleFacts>,
    },
}

impl<'a> Source<'a> {
    /// The object the C is generated from.
    pub fn object(&self) -> ValidatedObject<'a> {
        match self {
            Source::Verified(v) => v.object(),
            Source::Unverified { object, .. } => *object,
        }
    }

    /// The facts the C may rely on.
    pub fn facts(&self) -> Option<&'a ModuleFacts> {
        match self {
            Source::Verified(v) => Some(v.facts()),
            Source::Unverified { facts, .. } => *facts,
        }
    }

    pub fn is_verified(&self) -> bool {
        matches!(self, Source::Verified(_))
    }
}

impl<'a> From<&'a Verified<'a>> for Source<'a> {
    fn from(v: &'a Verified<'a>) -> Source<'a> {
        Source::Verified(v)
    }
}

impl<'a> From<ValidatedObject<'a>> for Source<'a> {
    fn from(object: ValidatedObject<'a>) -> Source<'a> {
        Source::Unverified {
            object,
            facts: None,
        }
    }
}

/// Choices that shape the generated C.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CodegenOptions {
    /// Verifier-assisted optimizations were requested (recorded in the module flags). With
    /// [`generate`], this makes the plan; [`generate_with_plan`] follows the plan it is given.
    pub optimize: bool,
    /// Name of the exported `bpf2c_module_t`; default `bpf2c_module_<object name>`.
    pub module_symbol: Option<String>,
    /// File name of the generated C, which `#line` directives return to after source lines;
    /// default `<object name>.c`.
    pub output_name: Option<String>,
    /// Names of helpers beyond the standard ones, by helper id.
    pub helper_names: BTreeMap<u32, String>,
}

/// Generates the C translation of `source`'s object.
///
/// Programs of type XDP need facts for every memory access, which say whether it touches the
/// context. Map helper calls are optimized as [`Plan::new`] decides from the facts when
/// `opts.optimize`.
pub fn generate<'a>(source: impl Into<Source<'a>>, opts: &CodegenOptions) -> Result<String> {
    let source = source.into();
    let disabled = (!opts.optimize).then_some(Disabled::NoOpt);
    let plan = Plan::new(&source.object(), source.facts(), disabled);
    generate_with_plan(source, &plan, opts)
}

/// Generates the C translation of `source`'s object, carrying out `plan` at every map helper
/// call.
pub fn generate_with_plan<'a>(
    source: impl Into<Source<'a>>,
    plan: &Plan,
    opts: &CodegenOptions,
) -> Result<String> {
    let source = source.into();
    let obj = source.object().object();
    let module = Module::new(obj, source.facts(), source.is_verified(), plan, opts)?;
    let mut out = out::Out::default();
    header(&module, &mut out);
    tables::maps(&module, &mut out);
    tables::helpers(&module, &mut out);
    function::declarations(&module, &mut out);
    for fid in 0..obj.functions.len() {
        function::emit(&module, fid, &mut out)?;
    }
    function::entries(&module, &mut out);
    tables::programs(&module, &mut out);
    tables::functions(&module, &mut out);
    tables::module(&module, &mut out);
    Ok(out.finish())
}

/// What every part of the generator needs to know about the module.
pub(crate) struct Module<'a> {
    obj: &'a Object,
    facts: Option<&'a ModuleFacts>,
    /// Every program passed verification (recorded in the header and the module flags).
    verified: bool,
    /// What each map helper call becomes.
    plan: &'a Plan,
    opts: &'a CodegenOptions,
    /// C identifier of each function, by function index.
    fn_names: Vec<String>,
    /// Helpers the code calls, sorted by id: (id, name). Code calls helper k as
    /// `rt->helpers[k]`.
    helpers: Vec<(u32, String)>,
    /// Functions some XDP program runs: their context accesses are rewritten.
    /// Per function, the context of the programs that run it.
    contexts: Vec<crate::context_check::FunctionContext>,
    /// Functions some program runs.
    reachable: Vec<bool>,
}

impl<'a> Module<'a> {
    fn new(
        obj: &'a Object,
        facts: Option<&'a ModuleFacts>,
        verified: bool,
        plan: &'a Plan,
        opts: &'a CodegenOptions,
    ) -> Result<Module<'a>> {
        if let Some(sym) = &opts.module_symbol {
            if !names::is_identifier(sym) || names::is_c_keyword(sym) {
                return Err(Error::new(
                    Location::file(&obj.path),
                    format!("module symbol '{sym}' is not a C identifier"),
                ));
            }
            if sym.starts_with("bpf2c_fn_")
                || sym.starts_with("bpf2c_map_initial_data_")
                || tables::TABLE_NAMES.contains(&sym.as_str())
            {
                return Err(Error::new(
                    Location::file(&obj.path),
                    format!("module symbol '{sym}' collides with a name the generated C uses"),
                ));
            }
        }

        let mut table = names::NameTable::default();
        let fn_names = obj
            .functions
            .iter()
            .map(|f| table.claim(&format!("bpf2c_fn_{}", sanitize_identifier(&f.name))))
            .collect();

        let mut ids = BTreeMap::new();
        for f in &obj.functions {
            for pc in instruction_starts(f) {
                let insn = &f.insns[pc];
                if !insn.is_call() {
                    continue;
                }
                if let insn::CallKind::Helper(id) = insn::call_kind(f, pc, insn) {
                    ids.entry(id).or_insert_with(|| helper_name(opts, id));
                }
            }
        }
        let helpers = ids.into_iter().collect();

        let contexts = crate::context_check::FunctionContext::of_functions(obj);
        let mut reachable = vec![false; obj.functions.len()];
        for p in &obj.programs {
            for f in obj.reachable_functions(p.entry) {
                reachable[f] = true;
            }
        }
        check_plan(obj, plan)?;
        Ok(Module {
            obj,
            facts,
            verified,
            plan,
            opts,
            fn_names,
            helpers,
            contexts,
            reachable,
        })
    }

    fn helper_index(&self, id: u32) -> Option<usize> {
        self.helpers.binary_search_by_key(&id, |h| h.0).ok()
    }

    fn module_symbol(&self) -> String {
        self.opts
            .module_symbol
            .clone()
            .unwrap_or_else(|| format!("bpf2c_module_{}", sanitize_identifier(&self.obj.name)))
    }

    fn output_name(&self) -> String {
        self.opts
            .output_name
            .clone()
            .unwrap_or_else(|| format!("{}.c", self.obj.name))
    }
}

/// Slot indices where instructions start: every slot except the second half of an `lddw`.
fn instruction_starts(f: &Function) -> Vec<usize> {
    let mut starts = Vec::with_capacity(f.insns.len());
    let mut pc = 0;
    while pc < f.insns.len() {
        starts.push(pc);
        pc += if f.insns[pc].is_lddw() { 2 } else { 1 };
    }
    starts
}

/// Standard names first: those are the helpers the runtime implements under those names.
fn helper_name(opts: &CodegenOptions, id: u32) -> String {
    i32::try_from(id)
        .ok()
        .and_then(standard_helper_name)
        .map(str::to_string)
        .or_else(|| opts.helper_names.get(&id).cloned())
        .unwrap_or_else(|| format!("helper_{id}"))
}

/// The plan must fit the object: a plan made for another one could name maps this one
/// lacks, and every map the code reaches without the helpers needs its assumption record,
/// or the runtime could not check what the code was compiled for.
fn check_plan(obj: &Object, plan: &Plan) -> Result<()> {
    let fail = |m: String| Err(Error::new(Location::file(&obj.path), m));
    if let Some(&map) = plan.assumptions.keys().find(|&&m| m >= obj.maps.len()) {
        return fail(format!(
            "the optimization plan names map {map}, which does not exist"
        ));
    }
    for (at, site) in &plan.sites {
        let (map, array_data) = match site.action {
            Action::InlineLookup { map, .. } | Action::InlineUpdate { map, .. } => (map, true),
            Action::DirectLookup { map } => (map, false),
            Action::Helper { .. } | Action::InlinePrandom => continue,
        };
        if map >= obj.maps.len() {
            return fail(format!(
                "the optimization plan names map {map}, which does not exist"
            ));
        }
        let recorded = plan.assumptions.get(&map).is_some_and(|a| {
            if array_data {
                a.array_data
            } else {
                a.lookup
            }
        });
        if !recorded {
            return fail(format!(
                "the optimization plan optimizes function {} instruction {} on map {map} \
                 without an assumption record for it",
                at.function, at.insn
            ));
        }
    }
    Ok(())
}

fn header(m: &Module, out: &mut out::Out) {
    let source = m
        .obj
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    out.line("/*");
    out.line(format!(
        " * Generated by bpf2c {} from {}. Do not edit.",
        env!("CARGO_PKG_VERSION"),
        names::comment_text(&source)
    ));
    out.line(format!(
        " * Verification: {}",
        if m.verified {
            "yes"
        } else {
            "NOT VERIFIED (--no-verify)"
        }
    ));
    out.line(format!(
        " * Optimization: {}",
        if m.opts.optimize { "on" } else { "off" }
    ));
    if !m.plan.sites.is_empty() {
        let (inlined, direct, helper) = m.plan.counts();
        out.line(format!(
            " * Optimized helper calls: {inlined} inlined, {direct} direct, {helper} through \
             the helper table"
        ));
    }
    for p in &m.obj.programs {
        out.line(format!(
            " * Program {} (section {}, {})",
            names::comment_text(&p.name),
            names::comment_text(&p.section),
            p.prog_type.name()
        ));
    }
    out.line(" */");
    out.line("#include \"bpf2c.h\"");
    out.blank();
    // Loads and stores are emitted in the object's byte order, which must be the host's.
    // bpf2c.h says which order the host has, for GNU compilers and MSVC alike.
    let (wrong, order) = if m.obj.little_endian {
        ("BPF2C_HOST_BIG_ENDIAN", "little")
    } else {
        ("!BPF2C_HOST_BIG_ENDIAN", "big")
    };
    out.line(format!("#if defined(BPF2C_HOST_BIG_ENDIAN) && {wrong}"));
    out.line(format!(
        "#error \"this module was translated from a {order}-endian eBPF object\""
    ));
    out.line("#endif");
    out.blank();
}

#[cfg(test)]
mod lowering_tests;
#[cfg(test)]
mod tests;
