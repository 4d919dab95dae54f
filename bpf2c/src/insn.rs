//! eBPF instructions: encoding constants from RFC 9669, decoding of 8-byte slots, and a
//! disassembler in the style of the Linux verifier's log, used in comments and diagnostics.

use std::fmt;

/// Bytes in one instruction slot.
pub const INSN_SIZE: usize = 8;

// Instruction classes (the low three bits of the opcode).
pub const BPF_LD: u8 = 0x00;
pub const BPF_LDX: u8 = 0x01;
pub const BPF_ST: u8 = 0x02;
pub const BPF_STX: u8 = 0x03;
pub const BPF_ALU: u8 = 0x04;
pub const BPF_JMP: u8 = 0x05;
pub const BPF_JMP32: u8 = 0x06;
pub const BPF_ALU64: u8 = 0x07;

// Source operand bit for ALU and JMP classes.
pub const BPF_K: u8 = 0x00;
pub const BPF_X: u8 = 0x08;

// Size field for load and store classes.
pub const BPF_W: u8 = 0x00;
pub const BPF_H: u8 = 0x08;
pub const BPF_B: u8 = 0x10;
pub const BPF_DW: u8 = 0x18;

// Mode field for load and store classes.
pub const BPF_IMM: u8 = 0x00;
pub const BPF_ABS: u8 = 0x20;
pub const BPF_IND: u8 = 0x40;
pub const BPF_MEM: u8 = 0x60;
pub const BPF_MEMSX: u8 = 0x80;
pub const BPF_ATOMIC: u8 = 0xc0;

// ALU operations.
pub const BPF_ADD: u8 = 0x00;
pub const BPF_SUB: u8 = 0x10;
pub const BPF_MUL: u8 = 0x20;
pub const BPF_DIV: u8 = 0x30;
pub const BPF_OR: u8 = 0x40;
pub const BPF_AND: u8 = 0x50;
pub const BPF_LSH: u8 = 0x60;
pub const BPF_RSH: u8 = 0x70;
pub const BPF_NEG: u8 = 0x80;
pub const BPF_MOD: u8 = 0x90;
pub const BPF_XOR: u8 = 0xa0;
pub const BPF_MOV: u8 = 0xb0;
pub const BPF_ARSH: u8 = 0xc0;
pub const BPF_END: u8 = 0xd0;

// Jump operations.
pub const BPF_JA: u8 = 0x00;
pub const BPF_JEQ: u8 = 0x10;
pub const BPF_JGT: u8 = 0x20;
pub const BPF_JGE: u8 = 0x30;
pub const BPF_JSET: u8 = 0x40;
pub const BPF_JNE: u8 = 0x50;
pub const BPF_JSGT: u8 = 0x60;
pub const BPF_JSGE: u8 = 0x70;
pub const BPF_CALL: u8 = 0x80;
pub const BPF_EXIT: u8 = 0x90;
pub const BPF_JLT: u8 = 0xa0;
pub const BPF_JLE: u8 = 0xb0;
pub const BPF_JSLT: u8 = 0xc0;
pub const BPF_JSLE: u8 = 0xd0;

// Atomic operations (the imm field of an atomic store).
pub const BPF_FETCH: i32 = 0x01;
pub const BPF_XCHG: i32 = 0xe0 | BPF_FETCH;
pub const BPF_CMPXCHG: i32 = 0xf0 | BPF_FETCH;

// Source register values of the 64-bit immediate load.
pub const BPF_PSEUDO_MAP_FD: u8 = 1;
pub const BPF_PSEUDO_MAP_VALUE: u8 = 2;
pub const BPF_PSEUDO_BTF_ID: u8 = 3;
pub const BPF_PSEUDO_FUNC: u8 = 4;
pub const BPF_PSEUDO_MAP_IDX: u8 = 5;
pub const BPF_PSEUDO_MAP_IDX_VALUE: u8 = 6;

// Source register values of a call.
pub const BPF_PSEUDO_CALL: u8 = 1;
pub const BPF_PSEUDO_KFUNC_CALL: u8 = 2;

/// The opcode of the 64-bit immediate load (`lddw`), which takes two slots.
pub const LDDW: u8 = BPF_LD | BPF_IMM | BPF_DW;

/// One 8-byte instruction slot, decoded but not interpreted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Insn {
    pub opcode: u8,
    pub dst: u8,
    pub src: u8,
    pub off: i16,
    pub imm: i32,
}

impl Insn {
    /// An instruction from its five fields, in encoding order (the one builder that unit
    /// tests, the test toolkit and the benches share).
    pub const fn new(opcode: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
        Insn {
            opcode,
            dst,
            src,
            off,
            imm,
        }
    }

    /// `exit`: return r0 to the caller.
    pub const EXIT: Insn = Insn::new(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

    /// Decodes one slot. `little_endian` selects the byte order of the object it came from.
    pub fn decode(bytes: [u8; INSN_SIZE], little_endian: bool) -> Insn {
        let regs = bytes[1];
        let (dst, src, off, imm) = if little_endian {
            (
                regs & 0x0f,
                regs >> 4,
                i16::from_le_bytes([bytes[2], bytes[3]]),
                i32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
            )
        } else {
            (
                regs >> 4,
                regs & 0x0f,
                i16::from_be_bytes([bytes[2], bytes[3]]),
                i32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
            )
        };
        Insn {
            opcode: bytes[0],
            dst,
            src,
            off,
            imm,
        }
    }

    /// Encodes the slot in little-endian order.
    pub fn encode(&self) -> [u8; INSN_SIZE] {
        let mut b = [0u8; INSN_SIZE];
        b[0] = self.opcode;
        b[1] = (self.dst & 0x0f) | (self.src << 4);
        b[2..4].copy_from_slice(&self.off.to_le_bytes());
        b[4..8].copy_from_slice(&self.imm.to_le_bytes());
        b
    }

    /// Decodes a little-endian instruction stream. The length must be a multiple of 8.
    pub fn decode_all(bytes: &[u8], little_endian: bool) -> Option<Vec<Insn>> {
        if !bytes.len().is_multiple_of(INSN_SIZE) {
            return None;
        }
        Some(
            bytes
                .chunks_exact(INSN_SIZE)
                .map(|c| Insn::decode(c.try_into().expect("chunk of 8"), little_endian))
                .collect(),
        )
    }

    pub fn class(&self) -> u8 {
        self.opcode & 0x07
    }

    pub fn is_lddw(&self) -> bool {
        self.opcode == LDDW
    }

    /// A call to a helper, a local function or a kfunc (not `callx`).
    pub fn is_call(&self) -> bool {
        self.opcode == BPF_JMP | BPF_CALL
    }

    pub fn is_helper_call(&self) -> bool {
        self.is_call() && self.src == 0
    }

    pub fn is_local_call(&self) -> bool {
        self.is_call() && self.src == BPF_PSEUDO_CALL
    }

    pub fn is_exit(&self) -> bool {
        self.opcode == BPF_JMP | BPF_EXIT
    }

    /// Jump offset in slots, counted from the next slot, for every jump that has one
    /// (conditional jumps, `ja` and the 32-bit-offset `gotol`). None for calls and exit.
    pub fn jump_offset(&self) -> Option<i64> {
        let class = self.class();
        if class != BPF_JMP && class != BPF_JMP32 {
            return None;
        }
        let op = self.opcode & 0xf0;
        if op == BPF_CALL || op == BPF_EXIT {
            return None;
        }
        if class == BPF_JMP32 && op == BPF_JA {
            return Some(self.imm as i64);
        }
        Some(self.off as i64)
    }
}

/// Names of helpers that the runtime implements, by Linux helper id.
pub fn standard_helper_name(id: i32) -> Option<&'static str> {
    bpf2c_abi::helper::standard_name(u32::try_from(id).ok()?)
}

fn alu_op_symbol(op: u8) -> Option<&'static str> {
    Some(match op {
        BPF_ADD => "+=",
        BPF_SUB => "-=",
        BPF_MUL => "*=",
        BPF_DIV => "/=",
        BPF_OR => "|=",
        BPF_AND => "&=",
        BPF_LSH => "<<=",
        BPF_RSH => ">>=",
        BPF_MOD => "%=",
        BPF_XOR => "^=",
        BPF_MOV => "=",
        BPF_ARSH => "s>>=",
        _ => return None,
    })
}

fn jmp_op_symbol(op: u8) -> Option<&'static str> {
    Some(match op {
        BPF_JEQ => "==",
        BPF_JGT => ">",
        BPF_JGE => ">=",
        BPF_JSET => "&",
        BPF_JNE => "!=",
        BPF_JSGT => "s>",
        BPF_JSGE => "s>=",
        BPF_JLT => "<",
        BPF_JLE => "<=",
        BPF_JSLT => "s<",
        BPF_JSLE => "s<=",
        _ => return None,
    })
}

fn size_name(opcode: u8) -> &'static str {
    match opcode & 0x18 {
        BPF_W => "u32",
        BPF_H => "u16",
        BPF_B => "u8",
        _ => "u64",
    }
}

fn signed_size_name(opcode: u8) -> &'static str {
    match opcode & 0x18 {
        BPF_W => "s32",
        BPF_H => "s16",
        BPF_B => "s8",
        _ => "s64",
    }
}

/// Disassembly of one instruction. `next_imm` is the second slot's imm for `lddw`.
pub struct Disasm<'a> {
    pub insn: &'a Insn,
    pub next_imm: Option<i32>,
}

impl fmt::Display for Disasm<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = self.insn;
        let (dst, src) = (i.dst, i.src);
        let off = |o: i16| {
            if o < 0 {
                format!("- {}", -(o as i32))
            } else {
                format!("+ {o}")
            }
        };
        match i.class() {
            BPF_ALU | BPF_ALU64 => {
                let wide = i.class() == BPF_ALU64;
                let r = if wide { "r" } else { "w" };
                let op = i.opcode & 0xf0;
                let operand = if i.opcode & BPF_X != 0 {
                    format!("{r}{src}")
                } else {
                    format!("{}", i.imm)
                };
                match op {
                    BPF_NEG => write!(f, "{r}{dst} = -{r}{dst}"),
                    BPF_END => {
                        let kind = if wide {
                            "bswap"
                        } else if i.opcode & BPF_X != 0 {
                            "be"
                        } else {
                            "le"
                        };
                        write!(f, "r{dst} = {kind}{} r{dst}", i.imm)
                    }
                    BPF_MOV if i.off != 0 => write!(f, "{r}{dst} = (s{}) {r}{src}", i.off),
                    BPF_DIV | BPF_MOD if i.off == 1 => {
                        let s = if op == BPF_DIV { "s/=" } else { "s%=" };
                        write!(f, "{r}{dst} {s} {operand}")
                    }
                    _ => match alu_op_symbol(op) {
                        Some(s) => write!(f, "{r}{dst} {s} {operand}"),
                        None => write!(f, "invalid alu opcode {:#04x}", i.opcode),
                    },
                }
            }
            BPF_JMP | BPF_JMP32 => {
                let op = i.opcode & 0xf0;
                let r = if i.class() == BPF_JMP { "r" } else { "w" };
                match op {
                    BPF_JA => {
                        let o = i.jump_offset().unwrap_or(0);
                        if i.class() == BPF_JMP32 {
                            write!(f, "gotol {o:+}")
                        } else {
                            write!(f, "goto {o:+}")
                        }
                    }
                    BPF_CALL if i.opcode & BPF_X != 0 => write!(f, "callx r{dst}"),
                    BPF_CALL => match i.src {
                        BPF_PSEUDO_CALL => write!(f, "call pc{:+}", i.imm as i64 + 1),
                        BPF_PSEUDO_KFUNC_CALL => write!(f, "call kfunc#{}", i.imm),
                        _ => match standard_helper_name(i.imm) {
                            Some(n) => write!(f, "call {n}#{}", i.imm),
                            None => write!(f, "call #{}", i.imm),
                        },
                    },
                    BPF_EXIT => write!(f, "exit"),
                    _ => {
                        let operand = if i.opcode & BPF_X != 0 {
                            format!("{r}{src}")
                        } else {
                            format!("{}", i.imm)
                        };
                        match jmp_op_symbol(op) {
                            Some(s) => write!(f, "if {r}{dst} {s} {operand} goto {:+}", i.off),
                            None => write!(f, "invalid jump opcode {:#04x}", i.opcode),
                        }
                    }
                }
            }
            BPF_LDX => {
                let mode = i.opcode & 0xe0;
                let size = if mode == BPF_MEMSX {
                    signed_size_name(i.opcode)
                } else {
                    size_name(i.opcode)
                };
                write!(f, "r{dst} = *({size} *)(r{src} {})", off(i.off))
            }
            BPF_ST => write!(
                f,
                "*({} *)(r{dst} {}) = {}",
                size_name(i.opcode),
                off(i.off),
                i.imm
            ),
            BPF_STX => {
                let mode = i.opcode & 0xe0;
                let size = size_name(i.opcode);
                if mode == BPF_ATOMIC {
                    let r = if i.opcode & 0x18 == BPF_DW { "r" } else { "w" };
                    let mem = format!("*({size} *)(r{dst} {})", off(i.off));
                    let fetch = if i.imm & BPF_FETCH != 0 { "fetch_" } else { "" };
                    match i.imm {
                        BPF_XCHG => write!(f, "{r}{src} = atomic_xchg({mem}, {r}{src})"),
                        BPF_CMPXCHG => {
                            write!(f, "r0 = atomic_cmpxchg({mem}, r0, {r}{src})")
                        }
                        imm => {
                            let name = match (imm & !BPF_FETCH) as u8 {
                                BPF_ADD => "add",
                                BPF_OR => "or",
                                BPF_AND => "and",
                                BPF_XOR => "xor",
                                _ => return write!(f, "invalid atomic operation {imm:#x}"),
                            };
                            if fetch.is_empty() {
                                write!(f, "lock {mem} {name}= {r}{src}")
                            } else {
                                write!(f, "{r}{src} = atomic_{fetch}{name}({mem}, {r}{src})")
                            }
                        }
                    }
                } else {
                    write!(f, "*({size} *)(r{dst} {}) = r{src}", off(i.off))
                }
            }
            _ => {
                if i.is_lddw() {
                    let hi = self.next_imm.unwrap_or(0);
                    match i.src {
                        BPF_PSEUDO_MAP_FD => write!(f, "r{dst} = map[id:{}]", i.imm),
                        BPF_PSEUDO_MAP_VALUE => {
                            write!(f, "r{dst} = map[id:{}][0]+{}", i.imm, hi)
                        }
                        0 => {
                            let v = (i.imm as u32 as u64) | ((hi as u32 as u64) << 32);
                            write!(f, "r{dst} = {v:#x} ll")
                        }
                        s => write!(f, "r{dst} = lddw src={s} imm={}", i.imm),
                    }
                } else {
                    match i.opcode & 0xe0 {
                        BPF_ABS => write!(f, "r0 = *({} *)skb[{}]", size_name(i.opcode), i.imm),
                        BPF_IND => write!(
                            f,
                            "r0 = *({} *)skb[r{src} + {}]",
                            size_name(i.opcode),
                            i.imm
                        ),
                        _ => write!(f, "invalid load opcode {:#04x}", i.opcode),
                    }
                }
            }
        }
    }
}

/// Disassembles the instruction at `pc` of `insns`, using the following slot for `lddw`.
pub fn disasm_at(insns: &[Insn], pc: usize) -> String {
    let insn = &insns[pc];
    let next_imm = if insn.is_lddw() {
        insns.get(pc + 1).map(|n| n.imm)
    } else {
        None
    };
    Disasm { insn, next_imm }.to_string()
}

/// Instruction builders for this crate's unit tests. (Integration tests take the same from
/// the `bpf2c-testkit` crate; unit tests cannot, since it links the non-test build of this
/// crate, whose `Insn` is another type.)
/// Instruction builders for this crate's unit tests, over [`Insn::new`] and [`Insn::EXIT`].
#[cfg(test)]
pub(crate) mod build {
    use super::Insn;

    /// One instruction from its five fields, in encoding order.
    pub(crate) const fn insn(opcode: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
        Insn::new(opcode, dst, src, off, imm)
    }

    /// `exit`: return r0 to the caller.
    pub(crate) const EXIT: Insn = Insn::EXIT;
}

#[cfg(test)]
mod tests {
    use super::*;
    use build::insn;

    #[test]
    fn decode_roundtrip_little_endian() {
        let i = insn(BPF_ALU64 | BPF_ADD | BPF_X, 3, 7, -5, 0x1234_5678);
        assert_eq!(Insn::decode(i.encode(), true), i);
    }

    #[test]
    fn decode_big_endian_swaps_register_nibbles() {
        let bytes = [0xb7, 0x12, 0x00, 0x01, 0x00, 0x00, 0x00, 0x2a];
        let i = Insn::decode(bytes, false);
        assert_eq!((i.dst, i.src, i.off, i.imm), (1, 2, 1, 42));
    }

    #[test]
    fn disassembles_common_forms() {
        let prog = [
            insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 7),
            insn(BPF_JMP | BPF_JGT | BPF_X, 1, 2, 3, 0),
            insn(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 4, 0),
            insn(
                BPF_STX | BPF_ATOMIC | BPF_DW,
                1,
                2,
                0,
                BPF_ADD as i32 | BPF_FETCH,
            ),
            insn(BPF_JMP | BPF_CALL, 0, 0, 0, 1),
            insn(LDDW, 1, BPF_PSEUDO_MAP_FD, 0, 3),
            insn(0, 0, 0, 0, 0),
        ];
        let d: Vec<String> = (0..6).map(|pc| disasm_at(&prog, pc)).collect();
        assert_eq!(d[0], "r0 = 7");
        assert_eq!(d[1], "if r1 > r2 goto +3");
        assert_eq!(d[2], "r2 = *(u32 *)(r1 + 4)");
        assert_eq!(d[3], "r2 = atomic_fetch_add(*(u64 *)(r1 + 0), r2)");
        assert_eq!(d[4], "call bpf_map_lookup_elem#1");
        assert_eq!(d[5], "r1 = map[id:3]");
    }

    #[test]
    fn jump_offsets_include_gotol() {
        assert_eq!(
            insn(BPF_JMP32 | BPF_JA, 0, 0, 0, -9).jump_offset(),
            Some(-9)
        );
        assert_eq!(insn(BPF_JMP | BPF_JA, 0, 0, 4, 0).jump_offset(), Some(4));
        assert_eq!(insn(BPF_JMP | BPF_CALL, 0, 0, 0, 1).jump_offset(), None);
    }
}
