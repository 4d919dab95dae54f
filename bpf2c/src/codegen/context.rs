//! Context rewriting: the C for a context access that [`crate::context_check::classify`]
//! allowed.
//!
//! The runtime passes a native context (`bpf2c_xdp_context_t`, `bpf2c_skb_context_t`), whose
//! packet pointers are 64 bits wide, in place of `struct xdp_md` or `struct __sk_buff`; each
//! access of a field becomes an access of the native field of the same name. Which accesses
//! are allowed is decided by the shared check alone, which verification runs too, so that a
//! program that verifies always translates.

use super::narrow::Regs;
use crate::context_check::FieldAccess;
use crate::insn::{Insn, BPF_ST};

/// The rewritten C for the context access `access` by `insn`, naming registers as `regs`
/// does. `little_endian` is the object's byte order, which says which bytes of a field a
/// narrow read takes.
pub(super) fn access(regs: Regs, insn: &Insn, access: &FieldAccess, little_endian: bool) -> String {
    let field = access.field;
    let name = field.name;
    let ctx = access.field_struct_name();
    // The base register holds the context address plus reg_offset; the native field has the
    // same name in the header's native context (the ABI crate's tests check that every
    // field has one). reg_offset is bounded by the check (a field offset, an instruction
    // offset in i16), so its negation cannot overflow.
    let base = if access.write { insn.dst } else { insn.src };
    let field_addr = |within: i64| {
        super::literals::address(
            &format!(
                "{} + offsetof({}, {name})",
                regs.read64(base),
                access.native.c_name
            ),
            within - access.reg_offset,
        )
    };
    let addr = field_addr(0);
    let bits = access.size * 8;
    let (within, size) = (access.within, access.size);
    if access.write {
        let value = if insn.class() == BPF_ST {
            super::literals::imm64(insn.imm)
        } else {
            regs.read64(insn.src)
        };
        let part = if size == i64::from(field.size) {
            String::new()
        } else {
            format!("bytes {within}..{} of ", within + size)
        };
        return format!(
            "bpf2c_store{bits}({}, {value}); /* {part}{ctx}.{name} */",
            field_addr(within)
        );
    }
    // The analysis keeps context reads wide (`codegen::narrow`), so this is `rK`.
    let d = regs.write(insn.dst);
    if field.kind.is_packet_pointer() {
        return format!(
            "{d} = bpf2c_load64({addr}); /* {ctx}.{name}: a 64-bit pointer natively */"
        );
    }
    let sx = if access.sign_extend { "s" } else { "" };
    if size == i64::from(field.size) {
        return format!("{d} = bpf2c_load{bits}{sx}({addr}); /* {ctx}.{name} */");
    }
    if field.size != 4 {
        // Bytes of an array (cb, the IPv6 addresses) lie natively as they lie in the struct
        // the program reads.
        return format!(
            "{d} = bpf2c_load{bits}{sx}({}); /* bytes {within}..{} of {ctx}.{name} */",
            field_addr(within),
            within + size
        );
    }
    // A narrow read of a 32-bit field: load the whole native field and pick the bytes, which
    // works whatever the host's byte order.
    let shift = if little_endian {
        within * 8
    } else {
        (i64::from(field.size) - within - size) * 8
    };
    let value = if shift == 0 {
        format!("bpf2c_load32({addr})")
    } else {
        format!("(bpf2c_load32({addr}) >> {shift})")
    };
    let expr = if access.sign_extend {
        format!("(uint64_t)(int64_t)(int{bits}_t){value}")
    } else {
        format!("{value} & {}", (1u64 << bits) - 1)
    };
    format!(
        "{d} = {expr}; /* bytes {within}..{} of {ctx}.{name} */",
        within + size
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context_check::{classify, Access, FunctionContext};
    use crate::facts::{CtxFact, InsnFacts};
    use crate::insn::*;
    use crate::object::ProgramType;

    fn ldx(size: u8, dst: u8, src: u8, off: i16) -> Insn {
        Insn {
            opcode: BPF_LDX | BPF_MEM | size,
            dst,
            src,
            off,
            imm: 0,
        }
    }

    /// The C for `insn`, a context read whose base points `reg_offset` into the context.
    fn c(insn: &Insn, reg_offset: i64, little_endian: bool) -> String {
        let facts = InsnFacts {
            reached: true,
            ctx: Some(CtxFact::Ctx {
                reg_offset,
                field_offset: reg_offset + insn.off as i64,
            }),
            map_call: None,
            pointers: 0,
        };
        match classify(
            Some(&facts),
            insn,
            &FunctionContext::of_types(vec![ProgramType::Xdp]),
        ) {
            Ok(Access::Field(read)) => access(Regs::wide(), insn, &read, little_endian),
            other => panic!("not a translatable context read: {other:?}"),
        }
    }

    #[test]
    fn packet_pointers_become_native_pointers() {
        let data = c(&ldx(BPF_W, 2, 1, 0), 0, true);
        assert_eq!(
            data,
            "r2 = bpf2c_load64(r1 + offsetof(bpf2c_xdp_context_t, data)); /* xdp_md.data: a 64-bit pointer natively */"
        );
        let end = c(&ldx(BPF_W, 3, 1, 4), 0, true);
        assert!(
            end.starts_with("r3 = bpf2c_load64(r1 + offsetof(bpf2c_xdp_context_t, data_end));"),
            "{end}"
        );
        // The base register already points 4 bytes into the context.
        let meta = c(&ldx(BPF_W, 3, 6, 4), 4, true);
        assert!(
            meta.starts_with(
                "r3 = bpf2c_load64(r6 + offsetof(bpf2c_xdp_context_t, data_meta) - 4);"
            ),
            "{meta}"
        );
        let data = c(&ldx(BPF_W, 3, 6, -8), 8, true);
        assert!(
            data.starts_with("r3 = bpf2c_load64(r6 + offsetof(bpf2c_xdp_context_t, data) - 8);"),
            "{data}"
        );
    }

    #[test]
    fn scalar_fields_move_and_may_be_read_narrow() {
        let ifindex = c(&ldx(BPF_W, 0, 1, 12), 0, true);
        assert_eq!(
            ifindex,
            "r0 = bpf2c_load32(r1 + offsetof(bpf2c_xdp_context_t, ingress_ifindex)); /* xdp_md.ingress_ifindex */"
        );
        let byte = c(&ldx(BPF_B, 0, 1, 17), 0, true);
        assert_eq!(
            byte,
            "r0 = (bpf2c_load32(r1 + offsetof(bpf2c_xdp_context_t, rx_queue_index)) >> 8) & 255; \
             /* bytes 1..2 of xdp_md.rx_queue_index */"
        );
        let half_be = c(&ldx(BPF_H, 0, 1, 20), 0, false);
        assert!(
            half_be.starts_with("r0 = (bpf2c_load32(r1 + offsetof(bpf2c_xdp_context_t, egress_ifindex)) >> 16) & 65535;"),
            "{half_be}"
        );
        let mut sx = ldx(BPF_H, 0, 1, 12);
        sx.opcode = BPF_LDX | BPF_MEMSX | BPF_H;
        let sx = c(&sx, 0, true);
        assert!(
            sx.starts_with("r0 = (uint64_t)(int64_t)(int16_t)bpf2c_load32(r1 + offsetof(bpf2c_xdp_context_t, ingress_ifindex));"),
            "{sx}"
        );
    }
}
