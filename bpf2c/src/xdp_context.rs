//! Which memory accesses of XDP programs touch the context, and whether translation can
//! carry them out.
//!
//! XDP programs read `struct xdp_md`, whose packet pointers are 32-bit fields, but a native
//! host needs 64-bit pointers. The runtime therefore passes a `bpf2c_xdp_context_t` instead,
//! and the generated C rewrites every access that the verifier's facts prove to hit the
//! context into a read of the matching native field. That works for a read of one field (or
//! of bytes within one scalar field) at an offset the facts fix, and for nothing else.
//! PREVAIL proves more than that safe: writes to scalar fields, narrow reads of pointer
//! fields, reads across fields, offsets that vary. So this one check runs twice: at
//! verification, which refuses the program, and at code generation, which translates what it
//! allows. A program that verifies therefore always translates, and for the same reason text.

use std::collections::BTreeMap;

use bpf2c_abi::context::{CtxField, XDP_MD};

use crate::facts::{CtxFact, InsnFacts, InsnRef};
use crate::insn::*;
use crate::object::{FunctionId, Object, ProgramType};

/// Size of `struct xdp_md` in bytes.
pub const XDP_MD_SIZE: i64 = XDP_MD.size as i64;

/// A read of one context field that translation can rewrite.
#[derive(Debug, PartialEq, Eq)]
pub struct FieldRead {
    /// The `struct xdp_md` field read; its native place is the field of the same name in
    /// `bpf2c_xdp_context_t`.
    pub field: &'static CtxField,
    /// How far past the start of the context the base register points.
    pub reg_offset: i64,
    /// The first byte read, counted from the start of the field.
    pub within: i64,
    /// Bytes read: 1, 2 or 4.
    pub size: i64,
    /// A sign-extending load (`BPF_MEMSX`).
    pub sign_extend: bool,
}

/// How a memory access relates to the context.
#[derive(Debug, PartialEq, Eq)]
pub enum Access {
    /// Ordinary memory: translate as is.
    Plain,
    /// A context read, rewritten to the native field.
    Field(FieldRead),
}

/// What the facts of one memory access in a function that XDP programs run say about it:
/// ordinary memory, a context read translation can rewrite, or the reason translation
/// cannot carry it out. `facts` is None when there are no verification facts for it.
pub fn classify(facts: Option<&InsnFacts>, insn: &Insn) -> Result<Access, String> {
    // The verifier proved no context reaches this instruction: it never runs, so a plain
    // access is as good as any.
    if facts.is_some_and(|f| !f.reached) {
        return Ok(Access::Plain);
    }
    let fact = facts.and_then(|f| f.ctx).ok_or_else(|| {
        "whether this memory access reads the context is known only from verification facts, \
         and XDP programs are translated only with them"
            .to_string()
    })?;
    match fact {
        CtxFact::NotCtx => Ok(Access::Plain),
        CtxFact::Ambiguous => Err(
            "the base register points into the context on some paths (or from some of the \
             programs that share this function) and elsewhere on others; translation must know \
             which, because context accesses are rewritten to the native context's layout"
                .to_string(),
        ),
        CtxFact::VaryingOffset => Err(
            "the offset into the context is not a single value here (it depends on the input, \
             or differs between paths or callers); translation must know which field of struct \
             xdp_md an access reads, because each field moves to its own place natively"
                .to_string(),
        ),
        CtxFact::Ctx {
            reg_offset,
            field_offset,
        } => field_read(insn, reg_offset, field_offset).map(Access::Field),
    }
}

/// The context access `insn`, whose base register points `reg_offset` bytes into the
/// context, so that it touches offset `field_offset`.
fn field_read(insn: &Insn, reg_offset: i64, field_offset: i64) -> Result<FieldRead, String> {
    let mode = insn.opcode & 0xe0;
    if insn.class() != BPF_LDX {
        let what = if insn.class() == BPF_STX && mode == BPF_ATOMIC {
            "an atomic operation writes to the context"
        } else {
            "the program writes to the context"
        };
        let field = match XDP_MD.field_at(field_offset) {
            Some(f) => format!(" (xdp_md.{})", f.name),
            None => String::new(),
        };
        return Err(format!("{what}{field}; context fields may only be read"));
    }
    if mode != BPF_MEM && mode != BPF_MEMSX {
        return Err(format!("invalid opcode {:#04x}", insn.opcode));
    }
    if reg_offset.checked_add(insn.off as i64) != Some(field_offset) {
        return Err(format!(
            "the facts place this context access at offset {field_offset}, but the base \
             register's offset {reg_offset} plus the instruction's {} disagrees",
            insn.off
        ));
    }
    let size: i64 = match insn.opcode & 0x18 {
        BPF_B => 1,
        BPF_H => 2,
        BPF_W => 4,
        _ => 8,
    };
    if field_offset < 0 || field_offset > XDP_MD_SIZE - size {
        return Err(format!(
            "a read of {size} bytes at offset {field_offset} of the context is outside \
             struct xdp_md ({XDP_MD_SIZE} bytes)"
        ));
    }
    let field = XDP_MD
        .field_at(field_offset)
        .expect("an offset inside xdp_md is in a field");
    let within = field_offset - i64::from(field.offset);
    if within + size > i64::from(field.size) {
        let last = XDP_MD
            .field_at(field_offset + size - 1)
            .map_or("?", |f| f.name);
        return Err(format!(
            "a read of {size} bytes at offset {field_offset} of the context spans fields \
             xdp_md.{} to xdp_md.{last}; translation reads one field at a time, because the \
             fields lie elsewhere natively",
            field.name
        ));
    }
    let sign_extend = mode == BPF_MEMSX;
    if field.kind.is_packet_pointer() && (size != i64::from(field.size) || sign_extend) {
        let how = if sign_extend {
            "this load sign-extends".to_string()
        } else {
            format!("this is a {}-bit load", size * 8)
        };
        return Err(format!(
            "xdp_md.{} is a packet pointer, which must be read whole with a plain 32-bit load \
             ({how}): natively it is a 64-bit pointer",
            field.name
        ));
    }
    Ok(FieldRead {
        field,
        reg_offset,
        within,
        size,
        sign_extend,
    })
}

/// Per function, whether some XDP program runs it: its memory accesses are classified.
pub fn xdp_functions(obj: &Object) -> Vec<bool> {
    let mut xdp = vec![false; obj.functions.len()];
    for p in obj
        .programs
        .iter()
        .filter(|p| p.prog_type == ProgramType::Xdp)
    {
        for f in obj.reachable_functions(p.entry) {
            if let Some(x) = xdp.get_mut(f) {
                *x = true;
            }
        }
    }
    xdp
}

/// Every memory access of `functions` that translation cannot carry out under `facts`, with
/// the reason, in instruction order.
pub fn untranslatable(
    obj: &Object,
    functions: impl IntoIterator<Item = FunctionId>,
    facts: &BTreeMap<InsnRef, InsnFacts>,
) -> Vec<(InsnRef, String)> {
    let mut out = Vec::new();
    for function in functions {
        let Some(f) = obj.functions.get(function) else {
            continue;
        };
        let mut pc = 0;
        while pc < f.insns.len() {
            let insn = &f.insns[pc];
            let at = InsnRef { function, insn: pc };
            if matches!(insn.class(), BPF_LDX | BPF_ST | BPF_STX) {
                if let Err(reason) = classify(facts.get(&at), insn) {
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
        }
    }

    fn reason(insn: &Insn, facts: InsnFacts) -> String {
        classify(Some(&facts), insn).unwrap_err()
    }

    #[test]
    fn whole_fields_and_bytes_of_scalar_fields_are_translatable() {
        let Access::Field(read) = classify(Some(&ctx(4, 8)), &ldx(BPF_W, 4)).unwrap() else {
            panic!("a context read")
        };
        assert_eq!(read.field.name, "data_meta");
        assert_eq!((read.reg_offset, read.within, read.size), (4, 0, 4));
        let Access::Field(read) = classify(Some(&ctx(0, 17)), &ldx(BPF_B, 17)).unwrap() else {
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
        };
        assert!(classify(None, &load)
            .unwrap_err()
            .contains("only from verification facts"));
        assert_eq!(
            classify(Some(&fact(CtxFact::NotCtx)), &load),
            Ok(Access::Plain)
        );
        assert!(reason(&load, fact(CtxFact::Ambiguous)).contains("on some paths"));
        assert!(reason(&load, fact(CtxFact::VaryingOffset)).contains("not a single value"));
        // An instruction no context reaches never runs.
        let unreached = InsnFacts {
            reached: false,
            ..fact(CtxFact::Ambiguous)
        };
        assert_eq!(classify(Some(&unreached), &load), Ok(Access::Plain));
        // A reached access without a context fact has no facts to go on.
        let silent = InsnFacts {
            ctx: None,
            ..fact(CtxFact::NotCtx)
        };
        assert!(classify(Some(&silent), &load).is_err());
    }

    #[test]
    fn fields_are_found_by_offset() {
        assert_eq!(XDP_MD.field_at(0).map(|f| f.name), Some("data"));
        assert_eq!(XDP_MD.field_at(23).map(|f| f.name), Some("egress_ifindex"));
        assert_eq!(XDP_MD.field_at(24), None);
        assert_eq!(XDP_MD.field_at(-1), None);
    }
}
