//! Which memory accesses touch the program context, and whether translation can carry them
//! out.
//!
//! XDP programs read `struct xdp_md` and socket-filter, tc and cgroup-skb programs read
//! `struct __sk_buff`, whose packet pointers are 32-bit fields, but a native host needs
//! 64-bit pointers. The runtime therefore passes a native context instead
//! (`bpf2c_xdp_context_t`, `bpf2c_skb_context_t`), and the generated C rewrites every access
//! that the verifier's facts prove to hit the context into an access of the matching native
//! field. That works for an access of one field (or of bytes within one scalar field) at an
//! offset the facts fix, and for nothing else; writes go only to the fields Linux lets a
//! program of that type write, with the sizes Linux allows. PREVAIL proves more than that
//! safe: writes to any field, narrow reads of pointer fields, reads across fields, offsets
//! that vary. So this one check runs twice: at verification, which refuses the program, and
//! at code generation, which translates what it allows. A program that verifies therefore
//! always translates, and for the same reason text.

use std::collections::BTreeMap;

use bpf2c_abi::context::{CtxField, CtxLayout, SKB_NATIVE, SK_BUFF, XDP_MD, XDP_NATIVE};

use crate::facts::{CtxFact, InsnFacts};
use crate::insn::*;
use crate::object::{FunctionId, InsnRef, Object, Program, ProgramType};

/// Size of `struct xdp_md` in bytes.
pub const XDP_MD_SIZE: i64 = XDP_MD.size as i64;

/// The context layouts of the program types that have one: the struct the program reads
/// and the native struct the runtime passes.
pub fn layouts(t: ProgramType) -> Option<(&'static CtxLayout, &'static CtxLayout)> {
    match t {
        ProgramType::Raw => None,
        ProgramType::Xdp => Some((&XDP_MD, &XDP_NATIVE)),
        ProgramType::SocketFilter
        | ProgramType::SchedCls
        | ProgramType::SchedAct
        | ProgramType::CgroupSkb => Some((&SK_BUFF, &SKB_NATIVE)),
    }
}

/// The context fields programs of type `t` may write, as Linux's `*_is_valid_access` of the
/// type allows them (tc: `tc_cls_act_is_valid_access`, socket filters:
/// `sk_filter_is_valid_access`, cgroup skb: `cg_skb_is_valid_access`; `tstamp` needs
/// CAP_BPF there, which a test harness has).
pub fn writable_fields(t: ProgramType) -> &'static [&'static str] {
    match t {
        ProgramType::Raw | ProgramType::Xdp => &[],
        ProgramType::SchedCls | ProgramType::SchedAct => &[
            "mark",
            "queue_mapping",
            "priority",
            "tc_index",
            "cb",
            "tc_classid",
            "tstamp",
        ],
        ProgramType::SocketFilter => &["cb"],
        ProgramType::CgroupSkb => &["mark", "priority", "cb", "tstamp"],
    }
}

/// A program type that runs a function, as far as the context goes: socket filters whose
/// section does not name a type (`tc_mark`, say, which PREVAIL verifies as its default
/// socket_filter but a loader such as iproute2 attaches as tc) may write what tc programs
/// may, since their real type is not known here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContextUser {
    pub program_type: ProgramType,
    /// The section name gives the type (`tc`, `socket`, `xdp`...), or the user did.
    pub type_named: bool,
}

impl ContextUser {
    /// Programs of type `t` whose section names it.
    pub fn named(t: ProgramType) -> ContextUser {
        ContextUser {
            program_type: t,
            type_named: true,
        }
    }

    /// The user of program `p`, None when it cannot run here.
    pub fn of_program(p: &Program) -> Option<ContextUser> {
        let t = p.prog_type.runtime()?;
        let type_named =
            t != ProgramType::SocketFilter || ProgramType::from_section(&p.section) == Some(t);
        Some(ContextUser {
            program_type: t,
            type_named,
        })
    }

    /// The context fields this user may write.
    pub fn writable(self) -> &'static [&'static str] {
        if self.type_named {
            writable_fields(self.program_type)
        } else {
            writable_fields(ProgramType::SchedCls)
        }
    }
}

impl std::fmt::Display for ContextUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.type_named {
            write!(f, "{}", self.program_type)
        } else {
            write!(
                f,
                "{} (from a section that does not name its type, so possibly attached as tc)",
                self.program_type
            )
        }
    }
}

/// The context of the programs that run one function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FunctionContext {
    /// No program that reads a context struct runs it (raw programs, or no program).
    NoStruct,
    /// Programs of these types run it, and all read the context through `linux`.
    Layout {
        linux: &'static CtxLayout,
        native: &'static CtxLayout,
        types: Vec<ContextUser>,
    },
    /// Programs that read different context structs run it.
    Mixed(Vec<ContextUser>),
}

impl FunctionContext {
    /// Per function of `obj`, the context of the runnable programs that run it.
    pub fn of_functions(obj: &Object) -> Vec<FunctionContext> {
        let mut types: Vec<Vec<ContextUser>> = vec![Vec::new(); obj.functions.len()];
        for p in &obj.programs {
            let Some(t) = ContextUser::of_program(p) else {
                continue;
            };
            for f in obj.reachable_functions(p.entry) {
                if let Some(list) = types.get_mut(f) {
                    if !list.contains(&t) {
                        list.push(t);
                    }
                }
            }
        }
        types.into_iter().map(FunctionContext::of_users).collect()
    }

    /// The context of a function that programs of `types`, whose sections name them, run.
    pub fn of_types(types: Vec<ProgramType>) -> FunctionContext {
        FunctionContext::of_users(types.into_iter().map(ContextUser::named).collect())
    }

    /// The context of a function that `users` run.
    pub fn of_users(types: Vec<ContextUser>) -> FunctionContext {
        let structs: Vec<_> = types
            .iter()
            .filter_map(|u| layouts(u.program_type))
            .collect();
        match structs.first() {
            None => FunctionContext::NoStruct,
            Some(&(linux, native)) if structs.iter().all(|(l, _)| *l == linux) => {
                FunctionContext::Layout {
                    linux,
                    native,
                    types: types
                        .into_iter()
                        .filter(|u| layouts(u.program_type).is_some())
                        .collect(),
                }
            }
            Some(_) => FunctionContext::Mixed(types),
        }
    }

    /// Whether memory accesses of the function may touch a context struct.
    pub fn has_struct(&self) -> bool {
        *self != FunctionContext::NoStruct
    }
}

/// An access of one context field that translation can rewrite.
#[derive(Debug, PartialEq, Eq)]
pub struct FieldAccess {
    /// The field of the struct the program reads; its native place is the field of the same
    /// name in `native`.
    pub field: &'static CtxField,
    /// The native context struct.
    pub native: &'static CtxLayout,
    /// How far past the start of the context the base register points.
    pub reg_offset: i64,
    /// The first byte accessed, counted from the start of the field.
    pub within: i64,
    /// Bytes accessed: 1, 2, 4 or 8.
    pub size: i64,
    /// A sign-extending load (`BPF_MEMSX`).
    pub sign_extend: bool,
    /// A store (`BPF_ST` or `BPF_STX` with `BPF_MEM`) rather than a load.
    pub write: bool,
}

impl FieldAccess {
    /// The name of the struct the program reads, as messages and comments give it.
    pub fn field_struct_name(&self) -> &'static str {
        if self.native.c_name == XDP_NATIVE.c_name {
            short_name(&XDP_MD)
        } else {
            short_name(&SK_BUFF)
        }
    }
}

/// How a memory access relates to the context.
#[derive(Debug, PartialEq, Eq)]
pub enum Access {
    /// Ordinary memory: translate as is.
    Plain,
    /// A context access, rewritten to the native field.
    Field(FieldAccess),
}

/// The name of a context struct in messages: `xdp_md`, `__sk_buff`.
fn short_name(layout: &CtxLayout) -> &'static str {
    let name = layout.c_name;
    name.strip_prefix("struct ").unwrap_or(name)
}

fn type_names(types: &[ContextUser]) -> String {
    types
        .iter()
        .map(|u| u.program_type.name())
        .collect::<Vec<_>>()
        .join(" and ")
}

/// What the facts of one memory access in a function run by programs with context
/// `context` say about it: ordinary memory, a context access translation can rewrite, or the
/// reason translation cannot carry it out. `facts` is None when there are no verification
/// facts for it.
pub fn classify(
    facts: Option<&InsnFacts>,
    insn: &Insn,
    context: &FunctionContext,
) -> Result<Access, String> {
    if !context.has_struct() {
        return Ok(Access::Plain);
    }
    // The verifier proved no context reaches this instruction: it never runs, so a plain
    // access is as good as any.
    if facts.is_some_and(|f| !f.reached) {
        return Ok(Access::Plain);
    }
    let fact = facts.and_then(|f| f.ctx).ok_or_else(|| {
        "whether this memory access reads the context is known only from verification facts, \
         and programs with a context struct are translated only with them"
            .to_string()
    })?;
    let (linux, native, types) = match context {
        FunctionContext::NoStruct => return Ok(Access::Plain),
        FunctionContext::Mixed(types) => {
            return match fact {
                CtxFact::NotCtx => Ok(Access::Plain),
                _ => Err(format!(
                    "this function is run by {} programs, whose context structs differ; \
                     translation rewrites a context access to one native layout, so a \
                     function that touches the context must serve one kind of context",
                    type_names(types)
                )),
            };
        }
        FunctionContext::Layout {
            linux,
            native,
            types,
        } => (*linux, *native, types),
    };
    let name = short_name(linux);
    match fact {
        CtxFact::NotCtx => Ok(Access::Plain),
        CtxFact::Ambiguous => Err(
            "the base register points into the context on some paths (or from some of the \
             programs that share this function) and elsewhere on others; translation must know \
             which, because context accesses are rewritten to the native context's layout"
                .to_string(),
        ),
        CtxFact::VaryingOffset => Err(format!(
            "the offset into the context is not a single value here (it depends on the input, \
             or differs between paths or callers); translation must know which field of struct \
             {name} an access reads, because each field moves to its own place natively"
        )),
        CtxFact::Ctx {
            reg_offset,
            field_offset,
        } => field_access(insn, reg_offset, field_offset, linux, native, types).map(Access::Field),
    }
}

fn access_size(insn: &Insn) -> i64 {
    match insn.opcode & 0x18 {
        BPF_B => 1,
        BPF_H => 2,
        BPF_W => 4,
        _ => 8,
    }
}

/// The context access `insn`, whose base register points `reg_offset` bytes into the
/// context, so that it touches offset `field_offset` of `linux`.
fn field_access(
    insn: &Insn,
    reg_offset: i64,
    field_offset: i64,
    linux: &'static CtxLayout,
    native: &'static CtxLayout,
    types: &[ContextUser],
) -> Result<FieldAccess, String> {
    let name = short_name(linux);
    let mode = insn.opcode & 0xe0;
    let write = insn.class() != BPF_LDX;
    let size = access_size(insn);
    if write {
        let writable = |f: &CtxField| types.iter().all(|t| t.writable().contains(&f.name));
        let field = linux.field_at(field_offset);
        let atomic = insn.class() == BPF_STX && mode == BPF_ATOMIC;
        if atomic || mode != BPF_MEM || !field.is_some_and(writable) {
            let what = if atomic {
                "an atomic operation writes to the context"
            } else {
                "the program writes to the context"
            };
            let field = match field {
                Some(f) => format!(" ({name}.{})", f.name),
                None => String::new(),
            };
            let rule = if types.iter().all(|t| t.writable().is_empty()) {
                "context fields may only be read".to_string()
            } else if atomic {
                "Linux allows no atomic operation on the context".to_string()
            } else {
                let rules: Vec<String> = types
                    .iter()
                    .map(|&t| format!("{t} programs may write only {}", t.writable().join(", ")))
                    .collect();
                format!("{}, as in Linux", rules.join("; "))
            };
            return Err(format!("{what}{field}; {rule}"));
        }
    } else if mode != BPF_MEM && mode != BPF_MEMSX {
        return Err(format!("invalid opcode {:#04x}", insn.opcode));
    }
    if reg_offset.checked_add(insn.off as i64) != Some(field_offset) {
        return Err(format!(
            "the facts place this context access at offset {field_offset}, but the base \
             register's offset {reg_offset} plus the instruction's {} disagrees",
            insn.off
        ));
    }
    let verb = if write { "write" } else { "read" };
    let struct_size = i64::from(linux.size);
    if field_offset < 0 || field_offset > struct_size - size {
        return Err(format!(
            "a {verb} of {size} bytes at offset {field_offset} of the context is outside \
             struct {name} ({struct_size} bytes)"
        ));
    }
    let field = linux.field_at(field_offset).ok_or_else(|| {
        format!(
            "a {verb} of {size} bytes at offset {field_offset} of the context touches padding \
             of struct {name}, which is no field"
        )
    })?;
    let within = field_offset - i64::from(field.offset);
    if within + size > i64::from(field.size) {
        let last = linux
            .field_at(field_offset + size - 1)
            .map_or("?", |f| f.name);
        return Err(format!(
            "a {verb} of {size} bytes at offset {field_offset} of the context spans fields \
             {name}.{} to {name}.{last}; translation reads one field at a time, because the \
             fields lie elsewhere natively",
            field.name
        ));
    }
    let sign_extend = mode == BPF_MEMSX;
    let field_size = i64::from(field.size);
    if field.kind.is_packet_pointer() && (size != field_size || sign_extend) {
        let how = if sign_extend {
            "this load sign-extends".to_string()
        } else {
            format!("this is a {}-bit load", size * 8)
        };
        return Err(format!(
            "{name}.{} is a packet pointer, which must be read whole with a plain 32-bit load \
             ({how}): natively it is a 64-bit pointer",
            field.name
        ));
    }
    // Linux's bpf_skb_is_valid_access: 64-bit fields are accessed whole; arrays (cb) in
    // aligned pieces of any size; other fields written whole.
    let array = field_size > 8;
    if field_size == 8 && size != 8 {
        return Err(format!(
            "{name}.{} is a 64-bit field, which Linux lets programs access only whole (this \
             is a {}-bit {verb})",
            field.name,
            size * 8
        ));
    }
    if array && within % size != 0 {
        return Err(format!(
            "a {verb} of {size} bytes at byte {within} of {name}.{} is not aligned to its size, \
             which Linux requires within a context array",
            field.name
        ));
    }
    if write && !array && size != field_size {
        return Err(format!(
            "the program writes {size} bytes of {name}.{}, a {field_size}-byte field; Linux \
             lets programs write context fields only whole",
            field.name
        ));
    }
    Ok(FieldAccess {
        field,
        native,
        reg_offset,
        within,
        size,
        sign_extend,
        write,
    })
}

/// Every memory access of `functions` that translation cannot carry out under `facts`, with
/// the reason, in instruction order; `contexts` is [`FunctionContext::of_functions`].
pub fn untranslatable(
    obj: &Object,
    functions: impl IntoIterator<Item = FunctionId>,
    contexts: &[FunctionContext],
    facts: &BTreeMap<InsnRef, InsnFacts>,
) -> Vec<(InsnRef, String)> {
    let mut out = Vec::new();
    for function in functions {
        let (Some(f), Some(context)) = (obj.functions.get(function), contexts.get(function)) else {
            continue;
        };
        let mut pc = 0;
        while pc < f.insns.len() {
            let insn = &f.insns[pc];
            let at = InsnRef { function, insn: pc };
            if matches!(insn.class(), BPF_LDX | BPF_ST | BPF_STX) {
                if let Err(reason) = classify(facts.get(&at), insn, context) {
                    out.push((at, reason));
                }
            }
            pc += if insn.is_lddw() { 2 } else { 1 };
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ldx(size: u8, off: i16) -> Insn {
        Insn {
            opcode: BPF_LDX | BPF_MEM | size,
            dst: 0,
            src: 1,
            off,
            imm: 0,
        }
    }

    fn ctx(reg_offset: i64, field_offset: i64) -> InsnFacts {
        InsnFacts {
            reached: true,
            ctx: Some(CtxFact::Ctx {
                reg_offset,
                field_offset,
            }),
            map_call: None,
            pointers: 0,
        }
    }

    fn xdp() -> FunctionContext {
        FunctionContext::of_types(vec![ProgramType::Xdp])
    }

    fn reason(insn: &Insn, facts: InsnFacts) -> String {
        classify(Some(&facts), insn, &xdp()).unwrap_err()
    }

    #[test]
    fn whole_fields_and_bytes_of_scalar_fields_are_translatable() {
        let Access::Field(read) = classify(Some(&ctx(4, 8)), &ldx(BPF_W, 4), &xdp()).unwrap()
        else {
            panic!("a context read")
        };
        assert_eq!(read.field.name, "data_meta");
        assert_eq!((read.reg_offset, read.within, read.size), (4, 0, 4));
        let Access::Field(read) = classify(Some(&ctx(0, 17)), &ldx(BPF_B, 17), &xdp()).unwrap()
        else {
            panic!("a context read")
        };
        assert_eq!(read.field.name, "rx_queue_index");
        assert_eq!((read.within, read.size), (1, 1));
    }

    #[test]
    fn untranslatable_context_accesses_are_refused_with_a_reason() {
        let narrow = reason(&ldx(BPF_H, 0), ctx(0, 0));
        assert!(
            narrow.starts_with("xdp_md.data is a packet pointer"),
            "{narrow}"
        );
        assert!(narrow.contains("this is a 16-bit load"), "{narrow}");
        let mut sx = ldx(BPF_W, 4);
        sx.opcode = BPF_LDX | BPF_MEMSX | BPF_W;
        assert!(reason(&sx, ctx(0, 4)).contains("this load sign-extends"));
        let wide = reason(&ldx(BPF_DW, 16), ctx(0, 16));
        assert!(
            wide.contains("spans fields xdp_md.rx_queue_index to xdp_md.egress_ifindex"),
            "{wide}"
        );
        let outside = reason(&ldx(BPF_W, 24), ctx(0, 24));
        assert!(
            outside.contains("outside struct xdp_md (24 bytes)"),
            "{outside}"
        );
        let disagree = reason(&ldx(BPF_W, 4), ctx(0, 8));
        assert!(disagree.contains("disagrees"), "{disagree}");
        let store = Insn {
            opcode: BPF_ST | BPF_MEM | BPF_W,
            dst: 1,
            src: 0,
            off: 16,
            imm: 3,
        };
        assert_eq!(
            reason(&store, ctx(0, 16)),
            "the program writes to the context (xdp_md.rx_queue_index); context fields may \
             only be read"
        );
        let atomic = Insn {
            opcode: BPF_STX | BPF_ATOMIC | BPF_W,
            imm: BPF_ADD as i32,
            ..store
        };
        assert!(reason(&atomic, ctx(0, 12))
            .starts_with("an atomic operation writes to the context (xdp_md.ingress_ifindex)"));
    }

    #[test]
    fn classification_follows_facts() {
        let load = ldx(BPF_W, 0);
        let fact = |ctx| InsnFacts {
            reached: true,
            ctx: Some(ctx),
            map_call: None,
            pointers: 0,
        };
        assert!(classify(None, &load, &xdp())
            .unwrap_err()
            .contains("only from verification facts"));
        assert_eq!(
            classify(Some(&fact(CtxFact::NotCtx)), &load, &xdp()),
            Ok(Access::Plain)
        );
        assert!(reason(&load, fact(CtxFact::Ambiguous)).contains("on some paths"));
        assert!(reason(&load, fact(CtxFact::VaryingOffset)).contains("not a single value"));
        // An instruction no context reaches never runs.
        let unreached = InsnFacts {
            reached: false,
            ..fact(CtxFact::Ambiguous)
        };
        assert_eq!(classify(Some(&unreached), &load, &xdp()), Ok(Access::Plain));
        // A reached access without a context fact has no facts to go on.
        let silent = InsnFacts {
            ctx: None,
            ..fact(CtxFact::NotCtx)
        };
        assert!(classify(Some(&silent), &load, &xdp()).is_err());
    }

    fn skb(types: &[ProgramType]) -> FunctionContext {
        FunctionContext::of_types(types.to_vec())
    }

    fn store(size: u8, off: i16) -> Insn {
        Insn {
            opcode: BPF_STX | BPF_MEM | size,
            dst: 1,
            src: 2,
            off,
            imm: 0,
        }
    }

    fn skb_reason(insn: &Insn, off: i64, types: &[ProgramType]) -> String {
        classify(Some(&ctx(0, off)), insn, &skb(types)).unwrap_err()
    }

    #[test]
    fn sk_buff_reads_and_writes_follow_linux() {
        let tc = [ProgramType::SchedCls];
        let read = |insn: &Insn, off| match classify(Some(&ctx(0, off)), insn, &skb(&tc)) {
            Ok(Access::Field(a)) => (a.field.name, a.within, a.size, a.write),
            other => panic!("{other:?}"),
        };
        assert_eq!(read(&ldx(BPF_W, 16), 16), ("protocol", 0, 4, false));
        assert_eq!(read(&ldx(BPF_B, 10), 10), ("mark", 2, 1, false));
        assert_eq!(read(&ldx(BPF_DW, 56), 56), ("cb", 8, 8, false));
        assert_eq!(read(&ldx(BPF_DW, 152), 152), ("tstamp", 0, 8, false));
        for (off, size, name) in [
            (8, BPF_W, "mark"),
            (12, BPF_W, "queue_mapping"),
            (32, BPF_W, "priority"),
            (44, BPF_W, "tc_index"),
            (64, BPF_W, "cb"),
            (48, BPF_B, "cb"),
            (72, BPF_W, "tc_classid"),
            (152, BPF_DW, "tstamp"),
        ] {
            assert_eq!(read(&store(size, off as i16), off).0, name);
        }
        // Read-only fields, and fields another type may not write.
        assert!(skb_reason(&store(BPF_W, 0), 0, &tc).starts_with(
            "the program writes to the context (__sk_buff.len); sched_cls programs may write only"
        ));
        let sf = [ProgramType::SocketFilter];
        assert!(skb_reason(&store(BPF_W, 8), 8, &sf)
            .ends_with("socket_filter programs may write only cb, as in Linux"));
        assert!(classify(Some(&ctx(0, 48)), &store(BPF_W, 48), &skb(&sf)).is_ok());
        let cg = [ProgramType::CgroupSkb];
        assert!(classify(Some(&ctx(0, 8)), &store(BPF_W, 8), &skb(&cg)).is_ok());
        assert!(skb_reason(&store(BPF_W, 44), 44, &cg).contains("(__sk_buff.tc_index)"));
        // A function shared by a tc program and a socket filter may write only what both may.
        assert!(skb_reason(
            &store(BPF_W, 8),
            8,
            &[ProgramType::SchedCls, ProgramType::SocketFilter]
        )
        .contains("sched_cls programs may write only mark"));
        // Sizes Linux refuses.
        assert!(skb_reason(&store(BPF_H, 8), 8, &tc).contains("write context fields only whole"));
        assert!(skb_reason(&ldx(BPF_W, 152), 152, &tc).contains("64-bit field"));
        assert!(skb_reason(&store(BPF_W, 50), 50, &tc).contains("not aligned"));
        assert!(skb_reason(&store(BPF_DW, 64), 64, &tc)
            .contains("spans fields __sk_buff.cb to __sk_buff.hash"));
        assert!(
            skb_reason(&ldx(BPF_H, 76), 76, &tc).starts_with("__sk_buff.data is a packet pointer")
        );
        assert!(skb_reason(&ldx(BPF_B, 181), 181, &tc).contains("padding"));
        let atomic = Insn {
            opcode: BPF_STX | BPF_ATOMIC | BPF_W,
            imm: BPF_ADD as i32,
            ..store(BPF_W, 8)
        };
        assert!(skb_reason(&atomic, 8, &tc)
            .ends_with("Linux allows no atomic operation on the context"));
    }

    #[test]
    fn functions_shared_by_different_contexts_touch_no_context() {
        let mixed = FunctionContext::of_types(vec![ProgramType::Xdp, ProgramType::SchedCls]);
        assert!(matches!(mixed, FunctionContext::Mixed(_)));
        let reason = classify(Some(&ctx(0, 0)), &ldx(BPF_W, 0), &mixed).unwrap_err();
        assert!(
            reason.contains("run by xdp and sched_cls programs"),
            "{reason}"
        );
        let plain = InsnFacts {
            ctx: Some(CtxFact::NotCtx),
            ..ctx(0, 0)
        };
        assert_eq!(
            classify(Some(&plain), &ldx(BPF_W, 0), &mixed),
            Ok(Access::Plain)
        );
        let raw = FunctionContext::of_types(vec![ProgramType::Raw]);
        assert_eq!(raw, FunctionContext::NoStruct);
        assert_eq!(classify(None, &ldx(BPF_W, 0), &raw), Ok(Access::Plain));
    }

    #[test]
    fn fields_are_found_by_offset() {
        assert_eq!(XDP_MD.field_at(0).map(|f| f.name), Some("data"));
        assert_eq!(XDP_MD.field_at(23).map(|f| f.name), Some("egress_ifindex"));
        assert_eq!(XDP_MD.field_at(24), None);
        assert_eq!(XDP_MD.field_at(-1), None);
    }
}
