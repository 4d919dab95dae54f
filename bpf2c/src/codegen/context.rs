//! XDP context rewriting.
//!
//! XDP programs read `struct xdp_md`, whose packet pointers are 32-bit fields, but a native
//! host needs 64-bit pointers. The runtime therefore passes a `bpf2c_xdp_context_t` instead,
//! and every load that the facts prove to hit the context is rewritten to the matching native
//! field. A context access that cannot be proven would read the wrong bytes, so it is an
//! error rather than a guess.

use bpf2c_abi::context::{CtxField, XDP_MD, XDP_NATIVE};

use crate::facts::{CtxFact, ModuleFacts};
use crate::insn::*;
use crate::object::FunctionId;

/// Bytes of `struct xdp_md`.
const XDP_MD_SIZE: i64 = XDP_MD.size as i64;

/// The address of `field` of the native context, as C over the ABI header, when `base_reg`
/// holds the context address plus `reg_offset`.
fn native_address(base_reg: u8, reg_offset: i64, field: &CtxField) -> Result<String, String> {
    let native = XDP_NATIVE.field(field.name).ok_or_else(|| {
        format!(
            "xdp_md.{} has no field in {}",
            field.name, XDP_NATIVE.c_name
        )
    })?;
    let base = format!(
        "r{base_reg} + offsetof({}, {})",
        XDP_NATIVE.c_name, native.name
    );
    reg_offset
        .checked_neg()
        .map(|delta| super::insn::address(&base, delta))
        .ok_or_else(|| format!("context offset {reg_offset} is out of range"))
}

/// How a memory access relates to the context.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Access {
    /// Ordinary memory: translate as is.
    Plain,
    /// A context access `reg_offset` bytes past the start of the context in the base
    /// register, touching `xdp_md` at `field_offset`.
    Ctx { reg_offset: i64, field_offset: i64 },
}

/// What the facts say about the memory access at `pc` of function `func`.
pub(super) fn classify(
    facts: Option<&ModuleFacts>,
    func: FunctionId,
    pc: usize,
    insn: &Insn,
) -> Result<Access, String> {
    let unproven = || {
        format!(
            "context access at instruction {pc} cannot be proven; xdp programs need \
             verification facts"
        )
    };
    let insn_facts = facts.and_then(|f| f.get(func, pc));
    // The verifier proved no context reaches this instruction: it never runs, so a plain
    // access is as good as any.
    if insn_facts.is_some_and(|f| !f.reached) {
        return Ok(Access::Plain);
    }
    let fact = insn_facts.and_then(|f| f.ctx).ok_or_else(unproven)?;
    match fact {
        CtxFact::NotCtx => Ok(Access::Plain),
        CtxFact::Ambiguous => Err(format!(
            "{}: the base register may or may not point into the context",
            unproven()
        )),
        CtxFact::Ctx {
            reg_offset,
            field_offset,
        } => {
            if insn.class() != BPF_LDX {
                return Err(format!(
                    "instruction {pc} writes the xdp context, which programs may only read"
                ));
            }
            Ok(Access::Ctx {
                reg_offset,
                field_offset,
            })
        }
    }
}

/// The rewritten C for a load from the context. `little_endian` is the object's byte order,
/// which says which bytes of a field a narrow load reads.
pub(super) fn load(
    insn: &Insn,
    reg_offset: i64,
    field_offset: i64,
    little_endian: bool,
) -> Result<String, String> {
    let mode = insn.opcode & 0xe0;
    if mode != BPF_MEM && mode != BPF_MEMSX {
        return Err(format!("invalid opcode {:#04x}", insn.opcode));
    }
    let sign_extend = mode == BPF_MEMSX;
    if insn.dst >= 10 || insn.src > 10 {
        return Err(format!("invalid registers r{} and r{}", insn.dst, insn.src));
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
            "context access of {size} bytes at offset {field_offset} is outside struct xdp_md \
             ({XDP_MD_SIZE} bytes)"
        ));
    }
    let field = XDP_MD.field_at(field_offset).ok_or_else(|| {
        format!("context access at offset {field_offset} falls in no field of struct xdp_md")
    })?;
    let within = field_offset - field.offset as i64;
    if within + size > field.size as i64 {
        return Err(format!(
            "context access of {size} bytes at offset {field_offset} straddles fields of \
             struct xdp_md"
        ));
    }
    let (d, s) = (insn.dst, insn.src);
    let addr = native_address(s, reg_offset, field)?;
    let name = field.name;
    if field.kind.is_packet_pointer() {
        if size != 4 || sign_extend {
            return Err(format!(
                "xdp_md.{name} is a packet pointer and must be read with a 32-bit load"
            ));
        }
        return Ok(format!(
            "r{d} = bpf2c_load64({addr}); /* xdp_md.{name}: a 64-bit pointer natively */"
        ));
    }
    let sx = if sign_extend { "s" } else { "" };
    if size == 4 {
        return Ok(format!(
            "r{d} = bpf2c_load32{sx}({addr}); /* xdp_md.{name} */"
        ));
    }
    // A narrow read of a field: load the whole native field and pick the bytes, which
    // works whatever the host's byte order.
    let bits = size * 8;
    let shift = if little_endian {
        within * 8
    } else {
        (field.size as i64 - within - size) * 8
    };
    let value = if shift == 0 {
        "bpf2c_load32(ADDR)".to_string()
    } else {
        format!("(bpf2c_load32(ADDR) >> {shift})")
    }
    .replace("ADDR", &addr);
    let expr = if sign_extend {
        format!("(uint64_t)(int64_t)(int{bits}_t){value}")
    } else {
        format!("{value} & {}", (1u64 << bits) - 1)
    };
    Ok(format!(
        "r{d} = {expr}; /* bytes {within}..{} of xdp_md.{name} */",
        within + size
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{InsnFacts, InsnRef};

    fn ldx(size: u8, dst: u8, src: u8, off: i16) -> Insn {
        Insn {
            opcode: BPF_LDX | BPF_MEM | size,
            dst,
            src,
            off,
            imm: 0,
        }
    }

    #[test]
    fn packet_pointers_become_native_pointers() {
        let data = load(&ldx(BPF_W, 2, 1, 0), 0, 0, true).unwrap();
        assert_eq!(
            data,
            "r2 = bpf2c_load64(r1 + offsetof(bpf2c_xdp_context_t, data)); /* xdp_md.data: a 64-bit pointer natively */"
        );
        let end = load(&ldx(BPF_W, 3, 1, 4), 0, 4, true).unwrap();
        assert!(
            end.starts_with("r3 = bpf2c_load64(r1 + offsetof(bpf2c_xdp_context_t, data_end));"),
            "{end}"
        );
        // The base register already points 4 bytes into the context.
        let meta = load(&ldx(BPF_W, 3, 6, 4), 4, 8, true).unwrap();
        assert!(
            meta.starts_with(
                "r3 = bpf2c_load64(r6 + offsetof(bpf2c_xdp_context_t, data_meta) - 4);"
            ),
            "{meta}"
        );
        let data = load(&ldx(BPF_W, 3, 6, -8), 8, 0, true).unwrap();
        assert!(
            data.starts_with("r3 = bpf2c_load64(r6 + offsetof(bpf2c_xdp_context_t, data) - 8);"),
            "{data}"
        );
    }

    #[test]
    fn scalar_fields_move_and_may_be_read_narrow() {
        let ifindex = load(&ldx(BPF_W, 0, 1, 12), 0, 12, true).unwrap();
        assert_eq!(
            ifindex,
            "r0 = bpf2c_load32(r1 + offsetof(bpf2c_xdp_context_t, ingress_ifindex)); /* xdp_md.ingress_ifindex */"
        );
        let byte = load(&ldx(BPF_B, 0, 1, 17), 0, 17, true).unwrap();
        assert_eq!(
            byte,
            "r0 = (bpf2c_load32(r1 + offsetof(bpf2c_xdp_context_t, rx_queue_index)) >> 8) & 255; \
             /* bytes 1..2 of xdp_md.rx_queue_index */"
        );
        let half_be = load(&ldx(BPF_H, 0, 1, 20), 0, 20, false).unwrap();
        assert!(
            half_be.starts_with(
                "r0 = (bpf2c_load32(r1 + offsetof(bpf2c_xdp_context_t, egress_ifindex)) >> 16) & 65535;"
            ),
            "{half_be}"
        );
        let mut sx = ldx(BPF_H, 0, 1, 12);
        sx.opcode = BPF_LDX | BPF_MEMSX | BPF_H;
        let sx = load(&sx, 0, 12, true).unwrap();
        assert!(
            sx.starts_with(
                "r0 = (uint64_t)(int64_t)(int16_t)bpf2c_load32(r1 + offsetof(bpf2c_xdp_context_t, ingress_ifindex));"
            ),
            "{sx}"
        );
    }

    #[test]
    fn unprovable_or_malformed_accesses_are_refused() {
        let narrow_ptr = load(&ldx(BPF_H, 0, 1, 0), 0, 0, true).unwrap_err();
        assert!(narrow_ptr.contains("32-bit load"), "{narrow_ptr}");
        let wide = load(&ldx(BPF_DW, 0, 1, 0), 0, 0, true).unwrap_err();
        assert!(wide.contains("straddles"), "{wide}");
        let outside = load(&ldx(BPF_W, 0, 1, 24), 0, 24, true).unwrap_err();
        assert!(outside.contains("outside struct xdp_md"), "{outside}");
        let disagree = load(&ldx(BPF_W, 0, 1, 4), 0, 8, true).unwrap_err();
        assert!(disagree.contains("disagrees"), "{disagree}");
    }

    #[test]
    fn classification_follows_facts() {
        let insn = ldx(BPF_W, 0, 1, 0);
        let err = classify(None, 0, 3, &insn).unwrap_err();
        assert!(
            err.contains("instruction 3 cannot be proven; xdp programs need verification facts"),
            "{err}"
        );
        let mut facts = ModuleFacts::default();
        let mut put = |insn: usize, ctx| {
            facts.insns.insert(
                InsnRef { function: 0, insn },
                InsnFacts {
                    reached: true,
                    ctx: Some(ctx),
                    map_call: None,
                },
            );
        };
        put(0, CtxFact::NotCtx);
        put(
            1,
            CtxFact::Ctx {
                reg_offset: 0,
                field_offset: 0,
            },
        );
        put(2, CtxFact::Ambiguous);
        assert_eq!(classify(Some(&facts), 0, 0, &insn), Ok(Access::Plain));
        assert_eq!(
            classify(Some(&facts), 0, 1, &insn),
            Ok(Access::Ctx {
                reg_offset: 0,
                field_offset: 0
            })
        );
        assert!(classify(Some(&facts), 0, 2, &insn)
            .unwrap_err()
            .contains("may or may not"));
        // No facts for this instruction.
        assert!(classify(Some(&facts), 0, 5, &insn).is_err());
        let store = Insn {
            opcode: BPF_STX | BPF_MEM | BPF_W,
            ..insn
        };
        assert!(classify(Some(&facts), 0, 1, &store)
            .unwrap_err()
            .contains("writes the xdp context"));
    }
}
