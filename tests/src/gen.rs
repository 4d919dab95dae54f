//! Structured random eBPF programs for differential testing.
//!
//! The same seed always gives the same program. Programs are built from blocks that keep
//! a simple invariant at every block boundary, so that most of them pass the verifier and
//! reach code generation:
//!
//! - r6 holds the input buffer pointer, whose first [`BUFFER_SIZE`] bytes the entry checked
//!   (`if r2 < 64 exit`); r10 is the frame pointer; every other register holds a number.
//! - The top [`STACK_USED`] bytes of each frame's stack are initialized on entry.
//! - Pointers other than r6 and r10 (a map value, a variable offset into the buffer, a
//!   pointer to the caller's stack) live only inside one block and are overwritten with a
//!   number before the block ends, so no pointer value ever reaches r0, memory or a map.
//! - Jumps go forward, except the back edge of a loop, whose counter has a constant bound
//!   and is not written by the loop body.
//! - Calls go from function i to function j > i only (no recursion), at most three deep.
//!
//! The blocks cover every ALU and ALU64 operation with register and immediate operands
//! (division and modulo by zero, signed division and modulo, shifts at and past the width,
//! `le`/`be`/`bswap`, `movsx`), every JMP and JMP32 condition, `ja` and `ja32`, loads and
//! stores of every size on the buffer, the stack and map values, sign-extending loads,
//! every atomic operation in both widths, map lookups, updates and deletes, BPF-to-BPF
//! calls and bounded loops.
//!
//! Map references are `lddw` with source 1 and the map's index as the immediate; the
//! object builder turns them into relocations.

use crate::interp::{MapKind, MapSpec};

/// Bytes of the input buffer the entry checks, so every block may use them.
pub const BUFFER_SIZE: i32 = 64;
/// Bytes at the top of each stack frame that every function initializes on entry.
pub const STACK_USED: i32 = 104;
/// Data area of the stack: [-64, 0).
const DATA_AREA: i32 = 64;
/// A map key lives here.
const KEY_AT: i32 = -72;
/// A map value for an update starts here (32 bytes).
const VALUE_AT: i32 = -104;

/// The maps every generated program has: an array and a small hash map (small so that
/// updates also meet a full map).
pub fn map_specs() -> Vec<MapSpec> {
    vec![
        MapSpec {
            kind: MapKind::Array,
            key_size: 4,
            value_size: 32,
            max_entries: 4,
        },
        MapSpec {
            kind: MapKind::Hash,
            key_size: 4,
            value_size: 16,
            max_entries: 4,
        },
    ]
}

/// A generated program and the input it runs on.
#[derive(Clone, Debug)]
pub struct Program {
    pub seed: u64,
    /// Instruction slots, little-endian.
    pub slots: Vec<[u8; 8]>,
    /// The first slot of every function; function 0 (slot 0) is the entry.
    pub function_starts: Vec<usize>,
    pub maps: Vec<MapSpec>,
    pub input: Vec<u8>,
}

impl Program {
    /// The instruction bytes.
    pub fn bytes(&self) -> Vec<u8> {
        self.slots.iter().flatten().copied().collect()
    }
}

/// SplitMix64: small, fast and fully determined by its seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in 0..n.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// An immediate biased towards edge values.
    pub fn imm(&mut self) -> i32 {
        match self.below(8) {
            0 => self.pick(&[0, 1, -1, 2, 7, 8, 31, 32, 63, 64]),
            1 => self.pick(&[
                i32::MIN,
                i32::MAX,
                i32::MIN + 1,
                0x7fff,
                0x8000,
                0xffff,
                -0x8000,
            ]),
            2 => self.pick(&[0x80, 0x7f, 0xff, -0x80, -0x81, 0x1234_5678, -0x1234_5678]),
            3 | 4 => self.below(256) as i32 - 128,
            _ => self.next_u64() as i32,
        }
    }

    /// A 64-bit constant biased towards edge values.
    pub fn imm64(&mut self) -> u64 {
        match self.below(4) {
            0 => self.pick(&[
                0,
                1,
                u64::MAX,
                i64::MIN as u64,
                i64::MAX as u64,
                0xffff_ffff,
                0x1_0000_0000,
                0x8000_0000,
                0xffff_ffff_8000_0000,
            ]),
            1 => self.imm() as i64 as u64,
            _ => self.next_u64(),
        }
    }
}

// Opcode fields, written out here (not taken from bpf2c) so that a wrong constant there
// cannot hide by being shared.
const LD: u8 = 0x00;
const LDX: u8 = 0x01;
const ST: u8 = 0x02;
const STX: u8 = 0x03;
const ALU: u8 = 0x04;
const JMP: u8 = 0x05;
const JMP32: u8 = 0x06;
const ALU64: u8 = 0x07;
const K: u8 = 0x00;
const X: u8 = 0x08;
const MEM: u8 = 0x60;
const MEMSX: u8 = 0x80;
const ATOMIC: u8 = 0xc0;
const IMM: u8 = 0x00;
/// Size field by byte count.
fn size_bits(size: i32) -> u8 {
    match size {
        1 => 0x10,
        2 => 0x08,
        4 => 0x00,
        _ => 0x18,
    }
}

const ADD: u8 = 0x00;
const SUB: u8 = 0x10;
const MUL: u8 = 0x20;
const DIV: u8 = 0x30;
const OR: u8 = 0x40;
const AND: u8 = 0x50;
const LSH: u8 = 0x60;
const RSH: u8 = 0x70;
const NEG: u8 = 0x80;
const MOD: u8 = 0x90;
const XOR: u8 = 0xa0;
const MOV: u8 = 0xb0;
const ARSH: u8 = 0xc0;
const END: u8 = 0xd0;

const JA: u8 = 0x00;
const CONDITIONS: [u8; 11] = [
    0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0,
];
const JEQ: u8 = 0x10;
const JLT: u8 = 0xa0;
const CALL: u8 = 0x80;
const EXIT: u8 = 0x90;

const HELPER_LOOKUP: i32 = 1;
const HELPER_UPDATE: i32 = 2;
const HELPER_DELETE: i32 = 3;

const FP: u8 = 10;
const BUF: u8 = 6;
/// Registers that hold numbers at block boundaries.
const SCALARS: [u8; 9] = [0, 1, 2, 3, 4, 5, 7, 8, 9];

fn slot(opcode: u8, dst: u8, src: u8, off: i16, imm: i32) -> [u8; 8] {
    let mut s = [0u8; 8];
    s[0] = opcode;
    s[1] = (src << 4) | dst;
    s[2..4].copy_from_slice(&off.to_le_bytes());
    s[4..8].copy_from_slice(&imm.to_le_bytes());
    s
}

/// One function under construction.
struct Asm {
    code: Vec<[u8; 8]>,
    /// (slot, callee function index) of each local call, patched after layout.
    calls: Vec<(usize, usize)>,
}

impl Asm {
    fn emit(&mut self, opcode: u8, dst: u8, src: u8, off: i16, imm: i32) -> usize {
        self.code.push(slot(opcode, dst, src, off, imm));
        self.code.len() - 1
    }

    fn mov_imm(&mut self, dst: u8, imm: i32) {
        self.emit(ALU64 | MOV | K, dst, 0, 0, imm);
    }

    fn lddw(&mut self, dst: u8, src: u8, value: u64) {
        self.emit(LD | IMM | 0x18, dst, src, 0, value as u32 as i32);
        self.emit(0, 0, 0, 0, (value >> 32) as u32 as i32);
    }

    /// Points a jump emitted at `at` to the next slot to be emitted.
    fn land(&mut self, at: usize) {
        let offset = self.code.len() as i64 - at as i64 - 1;
        let opcode = self.code[at][0];
        if opcode == JMP32 | JA {
            self.code[at][4..8].copy_from_slice(&(offset as i32).to_le_bytes());
        } else {
            let off = i16::try_from(offset).expect("blocks are short");
            self.code[at][2..4].copy_from_slice(&off.to_le_bytes());
        }
    }
}

struct Gen {
    rng: Rng,
    /// Functions in layout order; each may call only later ones.
    function_count: usize,
}

/// What a block may do where it is generated.
#[derive(Clone)]
struct Scope {
    function: usize,
    /// Registers the block may overwrite.
    writable: Vec<u8>,
    /// Registers holding numbers the block may read.
    readable: Vec<u8>,
    /// Nesting depth of conditionals and loops.
    depth: u32,
    in_loop: bool,
}

/// Generates the program of `seed`.
pub fn generate(seed: u64) -> Program {
    let mut g = Gen {
        rng: Rng::new(seed),
        function_count: 0,
    };
    g.function_count = 1 + g.rng.pick(&[0usize, 0, 1, 1, 2]);
    let functions: Vec<Asm> = (0..g.function_count).map(|f| g.function(f)).collect();
    let mut function_starts = Vec::new();
    let mut slots = Vec::new();
    let mut calls = Vec::new();
    for f in functions {
        let start = slots.len();
        function_starts.push(start);
        calls.extend(f.calls.iter().map(|&(at, callee)| (start + at, callee)));
        slots.extend(f.code);
    }
    for (at, callee) in calls {
        let offset = function_starts[callee] as i64 - at as i64 - 1;
        slots[at][4..8].copy_from_slice(&(offset as i32).to_le_bytes());
    }
    let input_len = if g.rng.chance(8) {
        g.rng.below(BUFFER_SIZE as u64) as usize
    } else {
        BUFFER_SIZE as usize + g.rng.below(9) as usize
    };
    let input = (0..input_len).map(|_| g.rng.next_u64() as u8).collect();
    Program {
        seed,
        slots,
        function_starts,
        maps: map_specs(),
        input,
    }
}

impl Gen {
    fn function(&mut self, index: usize) -> Asm {
        let mut a = Asm {
            code: Vec::new(),
            calls: Vec::new(),
        };
        if index == 0 {
            // The entry: keep the buffer, and leave early when it is too short.
            a.emit(ALU64 | MOV | X, BUF, 1, 0, 0);
            let skip = a.emit(JMP | 0x30 | K, 2, 0, 0, BUFFER_SIZE); // if r2 >= 64
            a.mov_imm(0, self.rng.imm());
            a.emit(JMP | EXIT, 0, 0, 0, 0);
            a.land(skip);
            // Make sure the jump skipped exactly the two slots above.
            debug_assert_eq!(a.code.len(), 4);
            for r in SCALARS {
                self.init_reg(&mut a, r);
            }
        } else {
            // Callees get r1 = the buffer, r2 = the caller's stack data area and numbers
            // in r3-r5.
            a.emit(ALU64 | MOV | X, BUF, 1, 0, 0);
            let entry = Scope {
                function: index,
                writable: vec![3, 4, 5],
                readable: vec![3, 4, 5],
                depth: 0,
                in_loop: false,
            };
            for _ in 0..self.rng.below(4) {
                let size = self.rng.pick(&[1, 2, 4, 8]);
                let off = self.rng.below((DATA_AREA - size + 1) as u64) as i16;
                self.access(&mut a, &entry, 2, off, size, &[3, 4, 5]);
            }
            for r in [0, 1, 2, 7, 8, 9] {
                self.init_reg(&mut a, r);
            }
        }
        // Initialize the used stack.
        for k in (1..=STACK_USED / 8).rev() {
            let r = self.rng.pick(&SCALARS);
            if self.rng.chance(50) {
                a.emit(STX | MEM | size_bits(8), FP, r, (-8 * k) as i16, 0);
            } else {
                a.emit(
                    ST | MEM | size_bits(8),
                    FP,
                    0,
                    (-8 * k) as i16,
                    self.rng.imm(),
                );
            }
        }
        let scope = Scope {
            function: index,
            writable: SCALARS.to_vec(),
            readable: SCALARS.to_vec(),
            depth: 0,
            in_loop: false,
        };
        let blocks = 3 + self.rng.below(if index == 0 { 18 } else { 8 });
        for _ in 0..blocks {
            self.block(&mut a, &scope);
        }
        self.epilogue(&mut a);
        a
    }

    fn init_reg(&mut self, a: &mut Asm, r: u8) {
        match self.rng.below(3) {
            0 => a.mov_imm(r, self.rng.imm()),
            1 => {
                a.emit(ALU | MOV | K, r, 0, 0, self.rng.imm());
            }
            _ => {
                let v = self.rng.imm64();
                a.lddw(r, 0, v)
            }
        }
    }

    /// Folds every number the function holds (registers and the stack data area) into r0,
    /// so that a wrong value anywhere shows in the result.
    fn epilogue(&mut self, a: &mut Asm) {
        for k in 1..=DATA_AREA / 8 {
            a.emit(LDX | MEM | size_bits(8), 1, FP, (-8 * k) as i16, 0);
            a.emit(ALU64 | MUL | K, 0, 0, 0, 0x0100_0193);
            a.emit(ALU64 | XOR | X, 0, 1, 0, 0);
        }
        for r in [2, 3, 4, 5, 7, 8, 9] {
            a.emit(ALU64 | MUL | K, 0, 0, 0, 0x0100_0193);
            a.emit(ALU64 | ADD | X, 0, r, 0, 0);
        }
        a.emit(JMP | EXIT, 0, 0, 0, 0);
    }

    fn block(&mut self, a: &mut Asm, s: &Scope) {
        let choice = self.rng.below(100);
        match choice {
            0..=29 => self.alu(a, s),
            30..=37 => self.special_alu(a, s),
            38..=47 => self.buffer_access(a, s),
            48..=55 => self.stack_access(a, s),
            56..=61 => self.atomic_on_stack(a, s),
            62..=65 => self.variable_buffer_access(a, s),
            66..=75 if s.depth < 3 => self.conditional(a, s),
            76..=80 if s.depth < 2 && !s.in_loop => self.bounded_loop(a, s),
            81..=90 if !s.in_loop => self.map_block(a, s),
            91..=95 if !s.in_loop && s.function + 1 < self.function_count => self.call(a, s),
            _ => self.alu(a, s),
        }
    }

    fn dst(&mut self, s: &Scope) -> u8 {
        self.rng.pick(&s.writable)
    }

    fn src(&mut self, s: &Scope) -> u8 {
        self.rng.pick(&s.readable)
    }

    fn alu(&mut self, a: &mut Asm, s: &Scope) {
        let ops = [
            ADD, SUB, MUL, DIV, OR, AND, LSH, RSH, NEG, MOD, XOR, MOV, ARSH,
        ];
        let op = self.rng.pick(&ops);
        let class = if self.rng.chance(50) { ALU64 } else { ALU };
        let dst = self.dst(s);
        let width = if class == ALU64 { 64 } else { 32 };
        // Signed division and modulo are the offset-1 forms of DIV and MOD.
        let off = if (op == DIV || op == MOD) && self.rng.chance(50) {
            1
        } else {
            0
        };
        if op == NEG {
            a.emit(class | NEG | K, dst, 0, 0, 0);
            return;
        }
        if self.rng.chance(50) {
            let imm = match op {
                // Shifts: mostly inside the width, sometimes at or past it.
                LSH | RSH | ARSH if self.rng.chance(85) => self.rng.below(width) as i32,
                LSH | RSH | ARSH => self.rng.pick(&[width as i32, width as i32 + 1, 255, -1]),
                DIV | MOD if self.rng.chance(10) => 0,
                _ => self.rng.imm(),
            };
            a.emit(class | op | K, dst, 0, off, imm);
        } else {
            let src = self.src(s);
            if (op == DIV || op == MOD) && self.rng.chance(15) {
                // A divisor register that is zero, or -1 (INT_MIN / -1 wraps).
                let value = self.rng.pick(&[0, -1, 0]);
                if s.writable.contains(&src) {
                    a.mov_imm(src, value);
                }
            }
            a.emit(class | op | X, dst, src, off, 0);
        }
    }

    /// Byte swaps, sign-extending moves and 64-bit constants.
    fn special_alu(&mut self, a: &mut Asm, s: &Scope) {
        let dst = self.dst(s);
        match self.rng.below(5) {
            0 => {
                // le / be (ALU class, source bit selects big endian).
                let to_big = self.rng.chance(50);
                let width = self.rng.pick(&[16, 32, 64]);
                a.emit(ALU | END | if to_big { X } else { K }, dst, 0, 0, width);
            }
            1 => {
                let width = self.rng.pick(&[16, 32, 64]);
                a.emit(ALU64 | END | K, dst, 0, 0, width);
            }
            2 => {
                let src = self.src(s);
                let from = self.rng.pick(&[8, 16, 32]);
                a.emit(ALU64 | MOV | X, dst, src, from, 0);
            }
            3 => {
                let src = self.src(s);
                let from = self.rng.pick(&[8, 16]);
                a.emit(ALU | MOV | X, dst, src, from, 0);
            }
            _ => {
                let v = self.rng.imm64();
                a.lddw(dst, 0, v);
            }
        }
    }

    /// A load into one of `dsts` or a store, at `base + off`, of `size` bytes.
    fn access(&mut self, a: &mut Asm, s: &Scope, base: u8, off: i16, size: i32, dsts: &[u8]) {
        match self.rng.below(4) {
            0 => {
                let dst = self.rng.pick(dsts);
                a.emit(LDX | MEM | size_bits(size), dst, base, off, 0);
            }
            1 if size < 8 => {
                let dst = self.rng.pick(dsts);
                a.emit(LDX | MEMSX | size_bits(size), dst, base, off, 0);
            }
            2 => {
                let imm = self.rng.imm();
                a.emit(ST | MEM | size_bits(size), base, 0, off, imm);
            }
            _ => {
                let src = self.src(s);
                a.emit(STX | MEM | size_bits(size), base, src, off, 0);
            }
        }
    }

    fn buffer_access(&mut self, a: &mut Asm, s: &Scope) {
        let size = self.rng.pick(&[1, 2, 4, 8]);
        let off = self.rng.below((BUFFER_SIZE - size + 1) as u64) as i16;
        self.access(a, s, BUF, off, size, &s.writable.clone());
    }

    fn stack_access(&mut self, a: &mut Asm, s: &Scope) {
        let size = self.rng.pick(&[1, 2, 4, 8]);
        let mut off = -(self.rng.below((STACK_USED - size + 1) as u64) as i32) - size;
        if self.rng.chance(70) {
            off &= !(size - 1);
        }
        // Stores stay in the data area, so map keys and values are written where they are
        // used; loads may read the whole initialized stack.
        let w = s.writable.clone();
        if off < -DATA_AREA {
            let dst = self.rng.pick(&w);
            a.emit(LDX | MEM | size_bits(size), dst, FP, off as i16, 0);
        } else {
            self.access(a, s, FP, off as i16, size, &w);
        }
    }

    /// One atomic operation of either width at an aligned address of `base + off`.
    fn atomic(&mut self, a: &mut Asm, s: &Scope, base: u8, off: i16, size: i32) {
        let op = self.rng.pick(&[0x00, 0x40, 0x50, 0xa0, 0xe0, 0xf0]);
        let fetch = op >= 0xe0 || self.rng.chance(50);
        let imm = op | i32::from(fetch);
        // The fetching forms write their source register (cmpxchg writes r0), so the
        // source must be writable.
        let src = if fetch {
            let candidates: Vec<u8> = s.writable.iter().copied().filter(|&r| r != 0).collect();
            self.rng.pick(&candidates)
        } else {
            self.src(s)
        };
        if op == 0xf0 && !s.writable.contains(&0) {
            return;
        }
        if op == 0xf0 && self.rng.chance(50) {
            // Make the comparison succeed sometimes: expect what is there.
            a.emit(LDX | MEM | size_bits(size), 0, base, off, 0);
        }
        a.emit(STX | ATOMIC | size_bits(size), base, src, off, imm);
    }

    fn atomic_on_stack(&mut self, a: &mut Asm, s: &Scope) {
        let size = self.rng.pick(&[4, 8]);
        let off = -(self.rng.below((DATA_AREA / size) as u64) as i32 + 1) * size;
        self.atomic(a, s, FP, off as i16, size);
    }

    /// A buffer access through a pointer with a bounded variable offset.
    fn variable_buffer_access(&mut self, a: &mut Asm, s: &Scope) {
        let size = self.rng.pick(&[1, 2, 4, 8]);
        let mask = self.rng.pick(&[0x07, 0x0f, 0x1f, 0x38]);
        let room = BUFFER_SIZE - size - mask;
        let off = self.rng.below(room as u64 + 1) as i16;
        let tmp = self.dst(s);
        let src = self.src(s);
        a.emit(ALU64 | MOV | X, tmp, src, 0, 0);
        a.emit(ALU64 | AND | K, tmp, 0, 0, mask);
        a.emit(ALU64 | ADD | X, tmp, BUF, 0, 0);
        let dsts: Vec<u8> = s.writable.iter().copied().filter(|&r| r != tmp).collect();
        self.access(a, s, tmp, off, size, &dsts);
        a.mov_imm(tmp, self.rng.imm());
    }

    fn condition_jump(&mut self, a: &mut Asm, s: &Scope) -> usize {
        let class = if self.rng.chance(50) { JMP } else { JMP32 };
        let op = self.rng.pick(&CONDITIONS);
        let dst = self.src(s);
        if self.rng.chance(50) {
            a.emit(class | op | K, dst, 0, 0, self.rng.imm())
        } else {
            let src = self.src(s);
            a.emit(class | op | X, dst, src, 0, 0)
        }
    }

    fn conditional(&mut self, a: &mut Asm, s: &Scope) {
        let inner = Scope {
            depth: s.depth + 1,
            ..s.clone()
        };
        let jump = self.condition_jump(a, s);
        for _ in 0..1 + self.rng.below(4) {
            self.block(a, &inner);
        }
        if self.rng.chance(40) {
            // if / else: the then-part jumps over the else-part, by ja or ja32.
            let over = if self.rng.chance(50) {
                a.emit(JMP | JA, 0, 0, 0, 0)
            } else {
                a.emit(JMP32 | JA, 0, 0, 0, 0)
            };
            a.land(jump);
            for _ in 0..1 + self.rng.below(3) {
                self.block(a, &inner);
            }
            a.land(over);
        } else {
            a.land(jump);
        }
    }

    fn bounded_loop(&mut self, a: &mut Asm, s: &Scope) {
        let counter = self.dst(s);
        let bound = 1 + self.rng.below(8) as i32;
        let inner = Scope {
            writable: s
                .writable
                .iter()
                .copied()
                .filter(|&r| r != counter)
                .collect(),
            depth: s.depth + 1,
            in_loop: true,
            ..s.clone()
        };
        a.mov_imm(counter, 0);
        let top = a.code.len();
        for _ in 0..1 + self.rng.below(4) {
            self.block(a, &inner);
        }
        a.emit(ALU64 | ADD | K, counter, 0, 0, 1);
        // A 64-bit comparison: with a 32-bit one PREVAIL may take minutes to find the bound.
        let back = top as i64 - a.code.len() as i64 - 1;
        a.emit(JMP | JLT | K, counter, 0, back as i16, bound);
    }

    /// Reinitializes r1-r5 after a call, which leaves them unreadable.
    fn after_call(&mut self, a: &mut Asm) {
        for r in 1..=5 {
            self.init_reg(a, r);
        }
    }

    fn map_key(&mut self, a: &mut Asm, s: &Scope) {
        if self.rng.chance(60) {
            let key = self.rng.below(6) as i32;
            a.emit(ST | MEM | size_bits(4), FP, 0, KEY_AT as i16, key);
        } else {
            // A key from a register: bounded, or anything.
            let src = self.src(s);
            a.emit(STX | MEM | size_bits(4), FP, src, KEY_AT as i16, 0);
        }
    }

    fn map_block(&mut self, a: &mut Asm, s: &Scope) {
        let map = self.rng.below(2) as i32;
        let spec = map_specs()[map as usize];
        self.map_key(a, s);
        match self.rng.below(10) {
            0..=4 => {
                a.lddw(1, 1, map as u32 as u64);
                a.emit(ALU64 | MOV | X, 2, FP, 0, 0);
                a.emit(ALU64 | ADD | K, 2, 0, 0, KEY_AT);
                a.emit(JMP | CALL, 0, 0, 0, HELPER_LOOKUP);
                let skip = a.emit(JMP | JEQ | K, 0, 0, 0, 0);
                let ptr = self.rng.pick(&[7, 8, 9]);
                a.emit(ALU64 | MOV | X, ptr, 0, 0, 0);
                a.mov_imm(0, self.rng.imm());
                // r1-r5 are unreadable after the call.
                let inner = Scope {
                    writable: s.writable.iter().copied().filter(|&r| r != ptr).collect(),
                    readable: [0, 7, 8, 9].into_iter().filter(|&r| r != ptr).collect(),
                    ..s.clone()
                };
                for _ in 0..1 + self.rng.below(4) {
                    let size = self.rng.pick(&[1, 2, 4, 8]);
                    let slots = spec.value_size as i32 / size;
                    let off = (self.rng.below(slots as u64) as i32 * size) as i16;
                    if size >= 4 && self.rng.chance(40) {
                        self.atomic(a, &inner, ptr, off, size);
                    } else {
                        let dsts = inner.writable.clone();
                        self.access(a, &inner, ptr, off, size, &dsts);
                    }
                }
                a.mov_imm(ptr, self.rng.imm());
                a.land(skip);
                // On the NULL path r0 is still the lookup's result, not a number.
                a.mov_imm(0, self.rng.imm());
            }
            5..=8 => {
                // The value comes from the data area and the value area.
                for k in 0..spec.value_size as i32 / 8 {
                    let src = self.src(s);
                    a.emit(
                        STX | MEM | size_bits(8),
                        FP,
                        src,
                        (VALUE_AT + 8 * k) as i16,
                        0,
                    );
                }
                a.lddw(1, 1, map as u32 as u64);
                a.emit(ALU64 | MOV | X, 2, FP, 0, 0);
                a.emit(ALU64 | ADD | K, 2, 0, 0, KEY_AT);
                a.emit(ALU64 | MOV | X, 3, FP, 0, 0);
                a.emit(ALU64 | ADD | K, 3, 0, 0, VALUE_AT);
                let flags = self.rng.pick(&[0, 0, 0, 1, 2, 3]);
                a.mov_imm(4, flags);
                a.emit(JMP | CALL, 0, 0, 0, HELPER_UPDATE);
            }
            _ => {
                a.lddw(1, 1, map as u32 as u64);
                a.emit(ALU64 | MOV | X, 2, FP, 0, 0);
                a.emit(ALU64 | ADD | K, 2, 0, 0, KEY_AT);
                a.emit(JMP | CALL, 0, 0, 0, HELPER_DELETE);
            }
        }
        self.after_call(a);
    }

    fn call(&mut self, a: &mut Asm, s: &Scope) {
        let callee = s.function
            + 1
            + self
                .rng
                .below((self.function_count - s.function - 1) as u64) as usize;
        a.emit(ALU64 | MOV | X, 1, BUF, 0, 0);
        a.emit(ALU64 | MOV | X, 2, FP, 0, 0);
        a.emit(ALU64 | ADD | K, 2, 0, 0, -DATA_AREA);
        let at = a.emit(JMP | CALL, 0, 1, 0, 0);
        a.calls.push((at, callee));
        self.after_call(a);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_program() {
        for seed in [0, 1, 42, u64::MAX] {
            let (a, b) = (generate(seed), generate(seed));
            assert_eq!(a.slots, b.slots);
            assert_eq!(a.input, b.input);
        }
        assert_ne!(generate(1).slots, generate(2).slots);
    }

    #[test]
    fn programs_run_to_exit_on_the_interpreter() {
        let mut exits = 0;
        for seed in 0..200 {
            let p = generate(seed);
            let run = crate::interp::run(&p.bytes(), &p.input, &p.maps, 1_000_000);
            if matches!(run.outcome, crate::interp::Outcome::Exit(_)) {
                exits += 1;
            } else {
                panic!("seed {seed}: {}", run.outcome);
            }
        }
        assert_eq!(exits, 200);
    }
}
