//! Instruction lowering, table-driven: one row per instruction form, with the exact C it
//! becomes. Each row is translated as the first instruction of a one-program object (an
//! `exit` after it, maps and a subprogram for the forms that name them), so the row checks
//! the whole path from object to C, not one helper function.

use super::tests::{func, generate, i, map, object, program, EXIT};
use super::CodegenOptions;
use crate::insn::*;
use crate::object::{MapOrigin, MapType, ProgramType, Reloc};

/// A row: the instruction (two slots for `lddw`), its relocation, and the C line it becomes.
struct Row {
    insn: Insn,
    second: Option<i32>,
    reloc: Option<Reloc>,
    c: &'static str,
}

fn row(insn: Insn, c: &'static str) -> Row {
    Row {
        insn,
        second: None,
        reloc: None,
        c,
    }
}

/// The C of the instruction at slot 0 of `r`'s object: the line after its `/* 0: */` comment.
fn lower(r: &Row) -> String {
    let mut insns = vec![r.insn];
    if let Some(hi) = r.second {
        insns.push(i(0, 0, 0, 0, hi));
    }
    insns.push(EXIT);
    let mut main = func("main", "raw", insns);
    if let Some(reloc) = r.reloc {
        main.relocs.insert(0, reloc);
    }
    let sub = func(
        "sub",
        ".text",
        vec![i(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0), EXIT],
    );
    let data = MapOrigin::GlobalData {
        section: ".data".into(),
        read_only: false,
    };
    let hash = MapOrigin::Btf {
        key_type: None,
        value_type: None,
    };
    let obj = object(
        vec![main, sub],
        vec![
            map("table", MapType::Hash, hash, None),
            map(".data", MapType::Array, data, None),
        ],
        vec![program("main", "raw", ProgramType::Raw, 0)],
    );
    let c = generate(&obj, None, &CodegenOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    // Function 0 comes first; its body starts after the line that voids the parameters.
    let body = c.lines().skip_while(|l| !l.contains("(void)inv;"));
    let mut lines = body.skip_while(|l| !l.starts_with("    /* 0: "));
    lines.next();
    lines.next().unwrap_or_default().trim().to_string()
}

fn alu(op: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
    i(op, dst, src, off, imm)
}

#[test]
fn every_instruction_form_lowers_to_its_c() {
    const A64: u8 = BPF_ALU64;
    const A32: u8 = BPF_ALU;
    const J: u8 = BPF_JMP;
    const J32: u8 = BPF_JMP32;
    let rows = vec![
        // ALU64, immediate and register.
        row(alu(A64 | BPF_ADD | BPF_K, 1, 0, 0, 5), "r1 += 5;"),
        row(alu(A64 | BPF_ADD | BPF_K, 1, 0, 0, -8), "r1 -= 8;"),
        row(alu(A64 | BPF_ADD | BPF_X, 1, 2, 0, 0), "r1 += r2;"),
        row(alu(A64 | BPF_SUB | BPF_K, 1, 0, 0, -3), "r1 += 3;"),
        row(alu(A64 | BPF_SUB | BPF_X, 1, 2, 0, 0), "r1 -= r2;"),
        row(alu(A64 | BPF_MUL | BPF_X, 1, 2, 0, 0), "r1 *= r2;"),
        row(alu(A64 | BPF_DIV | BPF_X, 1, 2, 0, 0), "r1 = bpf2c_udiv64(r1, r2);"),
        row(alu(A64 | BPF_DIV | BPF_X, 1, 2, 1, 0), "r1 = bpf2c_sdiv64(r1, r2);"),
        row(alu(A64 | BPF_MOD | BPF_K, 1, 0, 0, 7), "r1 = bpf2c_umod64(r1, 7);"),
        row(alu(A64 | BPF_MOD | BPF_X, 1, 2, 1, 0), "r1 = bpf2c_smod64(r1, r2);"),
        row(alu(A64 | BPF_OR | BPF_K, 1, 0, 0, 0x10), "r1 |= 16;"),
        row(alu(A64 | BPF_OR | BPF_X, 1, 1, 0, 0), "(void)r1;"),
        row(alu(A64 | BPF_AND | BPF_X, 1, 2, 0, 0), "r1 &= r2;"),
        row(alu(A64 | BPF_XOR | BPF_X, 1, 2, 0, 0), "r1 ^= r2;"),
        row(alu(A64 | BPF_LSH | BPF_K, 1, 0, 0, 65), "r1 <<= 1;"),
        row(alu(A64 | BPF_LSH | BPF_X, 1, 2, 0, 0), "r1 <<= (r2 & 63);"),
        row(alu(A64 | BPF_RSH | BPF_K, 1, 0, 0, 3), "r1 >>= 3;"),
        row(alu(A64 | BPF_ARSH | BPF_X, 1, 2, 0, 0), "r1 = bpf2c_arsh64(r1, (r2 & 63));"),
        row(alu(A64 | BPF_NEG, 1, 0, 0, 0), "r1 = 0 - r1;"),
        row(alu(A64 | BPF_MOV | BPF_K, 1, 0, 0, -1), "r1 = (uint64_t)-1;"),
        row(alu(A64 | BPF_MOV | BPF_X, 1, 2, 0, 0), "r1 = r2;"),
        row(alu(A64 | BPF_MOV | BPF_X, 1, 1, 0, 0), "(void)r1;"),
        row(alu(A64 | BPF_MOV | BPF_X, 1, 2, 8, 0), "r1 = (uint64_t)(int64_t)(int8_t)r2;"),
        row(alu(A64 | BPF_MOV | BPF_X, 1, 2, 32, 0), "r1 = (uint64_t)(int64_t)(int32_t)r2;"),
        row(alu(A64 | BPF_END, 1, 0, 0, 16), "r1 = bpf2c_bswap16(r1);"),
        row(alu(A64 | BPF_END, 1, 0, 0, 64), "r1 = bpf2c_bswap64(r1);"),
        // ALU32: results zero-extended.
        row(alu(A32 | BPF_ADD | BPF_X, 1, 2, 0, 0), "w1 = (uint32_t)(r1 + r2);"),
        row(alu(A32 | BPF_SUB | BPF_K, 1, 0, 0, 1), "w1 = (uint32_t)(r1 - 1);"),
        row(alu(A32 | BPF_DIV | BPF_K, 1, 0, 1, -2), "w1 = (uint32_t)bpf2c_sdiv32(r1, (uint64_t)-2);"),
        row(alu(A32 | BPF_LSH | BPF_K, 1, 0, 0, 33), "w1 = (uint32_t)(r1 << 1);"),
        row(alu(A32 | BPF_RSH | BPF_X, 1, 2, 0, 0), "w1 = (uint32_t)r1 >> (r2 & 31);"),
        row(alu(A32 | BPF_ARSH | BPF_K, 1, 0, 0, 4), "w1 = (uint32_t)bpf2c_arsh32(r1, 4);"),
        row(alu(A32 | BPF_NEG, 1, 0, 0, 0), "w1 = (uint32_t)(0 - r1);"),
        row(alu(A32 | BPF_MOV | BPF_K, 1, 0, 0, -1), "w1 = 0xffffffffu;"),
        row(alu(A32 | BPF_MOV | BPF_X, 1, 2, 0, 0), "w1 = (uint32_t)r2;"),
        row(alu(A32 | BPF_MOV | BPF_X, 1, 2, 16, 0), "w1 = (uint32_t)(int32_t)(int16_t)r2;"),
        row(alu(A32 | BPF_END | BPF_K, 1, 0, 0, 32), "w1 = (uint32_t)bpf2c_to_le32(r1);"),
        row(alu(A32 | BPF_END | BPF_X, 1, 0, 0, 16), "w1 = (uint32_t)bpf2c_to_be16(r1);"),
        // Jumps: to slot 1, the exit.
        row(i(J | BPF_JA, 0, 0, 0, 0), "goto L1;"),
        row(i(J32 | BPF_JA, 0, 0, 0, 0), "goto L1;"),
        row(i(J | BPF_JEQ | BPF_K, 1, 0, 0, 5), "if (r1 == 5) goto L1;"),
        row(i(J | BPF_JNE | BPF_X, 1, 2, 0, 0), "if (r1 != r2) goto L1;"),
        row(i(J | BPF_JGT | BPF_K, 1, 0, 0, -1), "(void)0; /* never taken */"),
        row(i(J | BPF_JGE | BPF_X, 1, 2, 0, 0), "if (r1 >= r2) goto L1;"),
        row(i(J | BPF_JLT | BPF_K, 1, 0, 0, 0), "(void)0; /* never taken */"),
        row(i(J | BPF_JLE | BPF_K, 1, 0, 0, 9), "if (r1 <= 9) goto L1;"),
        row(i(J | BPF_JSET | BPF_K, 1, 0, 0, 4), "if ((r1 & 4) != 0) goto L1;"),
        row(i(J | BPF_JSGT | BPF_X, 1, 2, 0, 0), "if ((int64_t)r1 > (int64_t)r2) goto L1;"),
        row(i(J | BPF_JSGE | BPF_K, 1, 0, 0, -4), "if ((int64_t)r1 >= -4) goto L1;"),
        row(i(J | BPF_JSLT | BPF_K, 1, 0, 0, 3), "if ((int64_t)r1 < 3) goto L1;"),
        row(i(J | BPF_JSLE | BPF_X, 1, 1, 0, 0), "goto L1;"),
        row(i(J32 | BPF_JEQ | BPF_K, 1, 0, 0, -1), "if ((uint32_t)r1 == 0xffffffffu) goto L1;"),
        row(i(J32 | BPF_JGT | BPF_X, 1, 2, 0, 0), "if ((uint32_t)r1 > (uint32_t)r2) goto L1;"),
        row(i(J32 | BPF_JSLT | BPF_K, 1, 0, 0, -5), "if ((int32_t)(uint32_t)r1 < -5) goto L1;"),
        row(i(J32 | BPF_JSET | BPF_X, 1, 2, 0, 0), "if (((uint32_t)r1 & (uint32_t)r2) != 0) goto L1;"),
        // Calls and exit.
        row(i(J | BPF_CALL, 0, 0, 0, 1), "r0 = rt->helpers[0](r1, r2, r3, r4, r5, inv); /* bpf_map_lookup_elem */"),
        row(i(J | BPF_CALL, 0, 0, 0, 12), "r0 = rt->helpers[0](r1, r2, r3, r4, r5, inv); if (BPF2C_UNLIKELY(inv->unwind)) return 0; /* bpf_tail_call */"),
        Row {
            reloc: Some(Reloc::Call(1)),
            ..row(i(J | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 1), "r0 = bpf2c_fn_sub(r1, r2, r3, r4, r5, r10 - BPF2C_STACK_SIZE, inv); if (BPF2C_UNLIKELY(inv->unwind)) return 0;")
        },
        row(EXIT, "return (uint64_t)w0;"),
        // Loads, stores and atomics.
        row(i(BPF_LDX | BPF_MEM | BPF_B, 0, 1, 3, 0), "w0 = (uint32_t)bpf2c_load8_ptr(bpf2c_mem(r1) + 3);"),
        row(i(BPF_LDX | BPF_MEM | BPF_H, 0, 1, -2, 0), "w0 = (uint32_t)bpf2c_load16_ptr(bpf2c_mem(r1) - 2);"),
        row(i(BPF_LDX | BPF_MEM | BPF_W, 0, 10, -4, 0), "w0 = (uint32_t)bpf2c_load32_ptr(bpf2c_mem(r10) - 4);"),
        row(i(BPF_LDX | BPF_MEM | BPF_DW, 0, 1, 0, 0), "r0 = bpf2c_load64_ptr(bpf2c_mem(r1));"),
        row(i(BPF_LDX | BPF_MEMSX | BPF_B, 0, 1, 0, 0), "r0 = bpf2c_load8s_ptr(bpf2c_mem(r1));"),
        row(i(BPF_LDX | BPF_MEMSX | BPF_W, 0, 1, 0, 0), "r0 = bpf2c_load32s_ptr(bpf2c_mem(r1));"),
        row(i(BPF_ST | BPF_MEM | BPF_W, 10, 0, -8, -1), "bpf2c_store32_ptr(bpf2c_mem(r10) - 8, (uint64_t)-1);"),
        row(i(BPF_ST | BPF_MEM | BPF_DW, 10, 0, -8, 7), "bpf2c_store64_ptr(bpf2c_mem(r10) - 8, 7);"),
        row(i(BPF_STX | BPF_MEM | BPF_H, 10, 1, -2, 0), "bpf2c_store16_ptr(bpf2c_mem(r10) - 2, r1);"),
        row(i(BPF_STX | BPF_MEM | BPF_DW, 10, 1, -8, 0), "bpf2c_store64_ptr(bpf2c_mem(r10) - 8, r1);"),
        row(i(BPF_STX | BPF_ATOMIC | BPF_W, 10, 1, -4, BPF_ADD as i32), "(void)bpf2c_atomic_add32(r10 - 4, r1);"),
        row(i(BPF_STX | BPF_ATOMIC | BPF_DW, 10, 1, -8, BPF_OR as i32 | BPF_FETCH), "r1 = bpf2c_atomic_or64(r10 - 8, r1);"),
        row(i(BPF_STX | BPF_ATOMIC | BPF_DW, 10, 1, -8, BPF_AND as i32), "(void)bpf2c_atomic_and64(r10 - 8, r1);"),
        row(i(BPF_STX | BPF_ATOMIC | BPF_W, 10, 1, -4, BPF_XOR as i32 | BPF_FETCH), "r1 = bpf2c_atomic_xor32(r10 - 4, r1);"),
        row(i(BPF_STX | BPF_ATOMIC | BPF_DW, 10, 1, -8, BPF_XCHG), "r1 = bpf2c_atomic_xchg64(r10 - 8, r1);"),
        row(i(BPF_STX | BPF_ATOMIC | BPF_W, 10, 1, -4, BPF_CMPXCHG), "r0 = bpf2c_atomic_cmpxchg32(r10 - 4, (uint64_t)w0, r1);"),
        // 64-bit immediates: a constant, a map, a map value's address.
        Row {
            second: Some(0),
            ..row(i(LDDW, 0, 0, 0, 1), "r0 = 0x1ULL;")
        },
        Row {
            second: Some(0x1234_5678),
            ..row(i(LDDW, 1, 0, 0, -2), "r1 = 0x12345678fffffffeULL;")
        },
        Row {
            second: Some(0),
            reloc: Some(Reloc::MapFd(0)),
            ..row(i(LDDW, 1, BPF_PSEUDO_MAP_FD, 0, 0), "r1 = (uint64_t)(uintptr_t)rt->map_data[0].address; /* map table */")
        },
        Row {
            second: Some(0),
            reloc: Some(Reloc::MapValue { map: 1, offset: 8 }),
            ..row(i(LDDW, 2, BPF_PSEUDO_MAP_VALUE, 0, 0), "r2 = (uint64_t)(uintptr_t)rt->map_data[1].array_data + 8; /* .data + 8 */")
        },
    ];
    let mut wrong = Vec::new();
    for r in &rows {
        let got = lower(r);
        if got != r.c {
            wrong.push(format!(
                "{}\n    want: {}\n    got:  {got}",
                r.insn_text(),
                r.c
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} rows differ:\n{}",
        wrong.len(),
        rows.len(),
        wrong.join("\n")
    );
}

impl Row {
    fn insn_text(&self) -> String {
        let i = &self.insn;
        format!(
            "opcode {:#04x} dst r{} src {} off {} imm {}",
            i.opcode, i.dst, i.src, i.off, i.imm
        )
    }
}
