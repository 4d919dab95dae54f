//! XDP context rewriting: the C for a context read that [`crate::xdp_context::classify`]
//! allowed.
//!
//! The runtime passes a `bpf2c_xdp_context_t`, whose packet pointers are 64 bits wide, in
//! place of `struct xdp_md`; each read of an `xdp_md` field becomes a read of the matching
//! native field. Which reads are allowed is decided by the shared check alone, which
//! verification runs too, so that a program that verifies always translates.

use bpf2c_abi::context::XDP_NATIVE;

use crate::insn::Insn;
use crate::xdp_context::FieldRead;

/// The rewritten C for the context read `read` by `insn`. `little_endian` is the object's
/// byte order, which says which bytes of a field a narrow read takes.
pub(super) fn load(insn: &Insn, read: &FieldRead, little_endian: bool) -> String {
    let d = insn.dst;
    let field = read.field;
    let name = field.name;
    // The base register holds the context address plus reg_offset; the native field has the
    // same name in the header's native context (the ABI crate's tests check that every
    // xdp_md field has one). reg_offset is bounded by the check (a field offset in xdp_md,
    // an instruction offset in i16), so its negation cannot overflow.
    let addr = super::literals::address(
        &format!("r{} + offsetof({}, {name})", insn.src, XDP_NATIVE.c_name),
        -read.reg_offset,
    );
    if field.kind.is_packet_pointer() {
        return format!(
            "r{d} = bpf2c_load64({addr}); /* xdp_md.{name}: a 64-bit pointer natively */"
        );
    }
    let sx = if read.sign_extend { "s" } else { "" };
    if read.size == 4 {
        return format!("r{d} = bpf2c_load32{sx}({addr}); /* xdp_md.{name} */");
    }
    // A narrow read of a field: load the whole native field and pick the bytes, which
    // works whatever the host's byte order.
    let (within, size) = (read.within, read.size);
    let bits = size * 8;
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
    let expr = if read.sign_extend {
        format!("(uint64_t)(int64_t)(int{bits}_t){value}")
    } else {
        format!("{value} & {}", (1u64 << bits) - 1)
    };
    format!(
        "r{d} = {expr}; /* bytes {within}..{} of xdp_md.{name} */",
        within + size
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{CtxFact, InsnFacts};
    use crate::insn::*;
    use crate::xdp_context::{classify, Access};

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
        };
        match classify(Some(&facts), insn) {
            Ok(Access::Field(read)) => load(insn, &read, little_endian),
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
