//! Register values that always fit in 32 bits, kept in `uint32_t` locals.
//!
//! Every register is a `uint64_t` local `rK`, so 32-bit work (ALU32 operations, 32-bit
//! loads, JMP32 compares) reads `(uint32_t)rK` and writes zero-extended values back. C
//! compilers cannot vectorise loops of such code: the compares are of 64-bit values. This
//! module finds the values that provably stay below 2^32 and gives them a second local,
//! `uint32_t wK`, so the C does its 32-bit work in 32-bit variables.
//!
//! The unit is the web: the definitions of one register that reach a common use, joined
//! (a register defined on both sides of a branch and read after the join has one web).
//! Two webs of one register are never live at once, so all narrow webs of `rK` share `wK`.
//! A web is narrow when each of its definitions leaves a value below 2^32 (see
//! [`Effects::narrow`]); any other definition (an ALU64 result, an 8-byte or sign-extending
//! load, a call result, a parameter) makes the whole web wide. Each instruction then reads
//! a register from the local of the web its reaching definitions form, and writes the
//! local of the web its own definition belongs to, which need not be the same: `r0 += r3`
//! may read `w0` and write `r0`.
//!
//! Webs are found with liveness: where a register is live, every definition reaching that
//! point reaches a use through it, so all of them belong to one web.

use crate::insn::*;
use crate::object::Function;

use super::loops::successors;

/// The registers an instruction reads and writes in its C translation, and which of the
/// writes leave a value below 2^32.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Effects {
    /// Registers read, over-approximated only where an extra use is harmless (a call
    /// passes all of r1..r5, whatever the helper takes).
    pub uses: u16,
    /// Registers written, including the ones a call clobbers.
    pub defs: u16,
    /// The writes that leave a value below 2^32 (a subset of `defs`).
    pub narrow: u16,
}

const fn bit(r: u8) -> u16 {
    1 << (r & 0x0f)
}

/// r1..r5, which every call passes and clobbers.
const ARGS: u16 = 0b11_1110;

/// The effects of `insn`. `context_access` says that a load reads a context field, which
/// the translation rewrites (a packet pointer becomes a 64-bit load), so its value is wide.
///
/// Narrow definitions: every ALU32 instruction (class `BPF_ALU`: its result is zero-extended
/// from 32 bits) except the byte swaps `to_le64`/`to_be64`, `mov64 rD, imm` with a
/// non-negative immediate, and 1, 2 and 4-byte loads that do not sign-extend. Everything
/// else is wide: ALU64 operations, 8-byte and sign-extending loads, `lddw`, call results,
/// atomic fetches, legacy packet loads and the clobbers of calls.
pub(super) fn effects(insn: &Insn, context_access: bool) -> Effects {
    let dst = bit(insn.dst);
    let src = bit(insn.src);
    let x = insn.opcode & BPF_X != 0;
    let op = insn.opcode & 0xf0;
    let mode = insn.opcode & 0xe0;
    let wide = |uses, defs| Effects {
        uses,
        defs,
        narrow: 0,
    };
    match insn.class() {
        BPF_ALU | BPF_ALU64 => {
            let uses = match op {
                BPF_MOV if x => src,
                BPF_MOV => 0,
                BPF_NEG | BPF_END => dst,
                _ if x => dst | src,
                _ => dst,
            };
            let narrow = if insn.class() == BPF_ALU {
                !(op == BPF_END && insn.imm == 64)
            } else {
                op == BPF_MOV && !x && insn.imm >= 0
            };
            Effects {
                uses,
                defs: dst,
                narrow: if narrow { dst } else { 0 },
            }
        }
        BPF_JMP | BPF_JMP32 => match op {
            // A local call also passes its frame pointer below r10; `callx` names the
            // helper in its dst.
            BPF_CALL => wide(ARGS | bit(10) | if x { dst } else { 0 }, ARGS | bit(0)),
            BPF_EXIT => wide(bit(0), 0),
            BPF_JA => wide(0, 0),
            _ if x => wide(dst | src, 0),
            _ => wide(dst, 0),
        },
        BPF_LDX => {
            let narrow = mode == BPF_MEM && insn.opcode & 0x18 != BPF_DW && !context_access;
            Effects {
                uses: src,
                defs: dst,
                narrow: if narrow { dst } else { 0 },
            }
        }
        BPF_ST => wide(dst, 0),
        BPF_STX if mode == BPF_ATOMIC => {
            if insn.imm == BPF_CMPXCHG {
                wide(dst | src | bit(0), bit(0))
            } else if insn.imm & BPF_FETCH != 0 {
                wide(dst | src, src)
            } else {
                wide(dst | src, 0)
            }
        }
        BPF_STX => wide(dst | src, 0),
        // LD_ABS and LD_IND read the packet of the context in r6 (LD_IND adds its source)
        // into r0, and clobber r1..r5 as calls do.
        BPF_LD if !insn.is_lddw() && matches!(mode, BPF_ABS | BPF_IND) => {
            let index = if mode == BPF_IND { src } else { 0 };
            wide(bit(6) | index, bit(0) | ARGS)
        }
        _ => wide(0, dst),
    }
}

/// Registers the function's entry defines as its parameters: r1..r5 and the frame pointer.
const PARAMS: u16 = ARGS | bit(10);
const REGS: usize = 11;

/// Which reads and writes of one function use the `uint32_t` locals.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Narrowing {
    /// Per slot, the registers its instruction reads (its [`Effects::uses`]).
    uses: Vec<u16>,
    /// Per slot, the reads that take the `uint32_t` local.
    narrow_reads: Vec<u16>,
    /// Per slot, the writes that go to the `uint32_t` local.
    narrow_writes: Vec<u16>,
    /// Registers that have a `uint32_t` local.
    locals: u16,
}

/// Union-find over definition ids.
struct Webs {
    parent: Vec<usize>,
}

impl Webs {
    fn find(&mut self, mut d: usize) -> usize {
        while self.parent[d] != d {
            self.parent[d] = self.parent[self.parent[d]];
            d = self.parent[d];
        }
        d
    }

    fn union(&mut self, a: usize, b: usize) -> bool {
        let (a, b) = (self.find(a), self.find(b));
        if a == b {
            return false;
        }
        // The smaller id wins, which keeps the result independent of visiting order.
        let (keep, drop) = (a.min(b), a.max(b));
        self.parent[drop] = keep;
        true
    }
}

impl Narrowing {
    /// Analyses `f`, whose instructions start at `starts` (every slot but the second half of
    /// an `lddw`); `context_access(pc)` says that the load at `pc` reads a context field.
    pub fn analyze(
        f: &Function,
        starts: &[usize],
        context_access: impl Fn(usize) -> bool,
    ) -> Narrowing {
        let insns = &f.insns;
        let n = insns.len();
        let mut effects = vec![Effects::default(); n];
        for &pc in starts {
            effects[pc] = self::effects(&insns[pc], context_access(pc));
        }
        let succs: Vec<[Option<usize>; 2]> = (0..n)
            .map(|pc| {
                if starts.binary_search(&pc).is_ok() {
                    let (fall, jump) = successors(f, pc);
                    [fall, jump]
                } else {
                    [None, None]
                }
            })
            .collect();

        // Liveness, backwards to a fixpoint.
        let mut live_in = vec![0u16; n];
        let mut changed = true;
        while changed {
            changed = false;
            for &pc in starts.iter().rev() {
                let out = succs[pc]
                    .iter()
                    .flatten()
                    .fold(0, |acc, &s| acc | live_in[s]);
                let e = &effects[pc];
                let live = e.uses | (out & !e.defs);
                if live != live_in[pc] {
                    live_in[pc] = live;
                    changed = true;
                }
            }
        }

        // Definition ids: the entry's definition of rK is K; the definition of rK at slot
        // pc is REGS + pc * REGS + K.
        let def_id = |pc: usize, r: usize| REGS + pc * REGS + r;
        let mut webs = Webs {
            parent: (0..REGS + n * REGS).collect(),
        };
        // Per slot, the web (any definition in it) of each register live on arrival.
        let mut arriving: Vec<[Option<usize>; REGS]> = vec![[None; REGS]; n];
        let mut reached = vec![false; n];
        if let Some(&entry) = starts.first() {
            reached[entry] = true;
            arriving[entry] = std::array::from_fn(Some);
        }
        let mut changed = true;
        while changed {
            changed = false;
            for &pc in starts {
                if !reached[pc] {
                    continue;
                }
                let mut leaving = arriving[pc];
                for (r, web) in leaving.iter_mut().enumerate() {
                    if effects[pc].defs & (1 << r) != 0 {
                        *web = Some(def_id(pc, r));
                    }
                }
                for &s in succs[pc].iter().flatten() {
                    if !reached[s] {
                        reached[s] = true;
                        changed = true;
                    }
                    for r in 0..REGS {
                        if live_in[s] & (1 << r) == 0 {
                            continue;
                        }
                        let Some(web) = leaving[r] else { continue };
                        match arriving[s][r] {
                            None => {
                                arriving[s][r] = Some(web);
                                changed = true;
                            }
                            Some(other) => changed |= webs.union(other, web),
                        }
                    }
                }
            }
        }

        // A web is narrow when all its definitions are. Definitions in unreachable code
        // stay wide, so such code is translated as before.
        let mut narrow_web = vec![true; REGS + n * REGS];
        for r in 0..REGS {
            if PARAMS & (1 << r) != 0 {
                let root = webs.find(r);
                narrow_web[root] = false;
            }
        }
        for &pc in starts {
            let e = &effects[pc];
            for r in 0..REGS {
                if e.defs & (1 << r) != 0 && (e.narrow & (1 << r) == 0 || !reached[pc]) {
                    let root = webs.find(def_id(pc, r));
                    narrow_web[root] = false;
                }
            }
        }

        let mut narrowing = Narrowing {
            uses: vec![0; n],
            narrow_reads: vec![0; n],
            narrow_writes: vec![0; n],
            locals: 0,
        };
        for &pc in starts {
            let e = &effects[pc];
            narrowing.uses[pc] = e.uses;
            for r in 0..REGS {
                let b = 1u16 << r;
                if e.uses & b != 0 {
                    if let Some(web) = arriving[pc][r] {
                        if narrow_web[webs.find(web)] {
                            narrowing.narrow_reads[pc] |= b;
                        }
                    }
                }
                if e.defs & b != 0 && narrow_web[webs.find(def_id(pc, r))] {
                    narrowing.narrow_writes[pc] |= b;
                }
            }
            narrowing.locals |= narrowing.narrow_reads[pc] | narrowing.narrow_writes[pc];
        }
        narrowing
    }

    /// Registers that need a `uint32_t` local.
    pub fn locals(&self) -> u16 {
        self.locals
    }

    /// How the translation of the instruction at `pc` names registers.
    pub fn at(&self, pc: usize) -> Regs<'_> {
        Regs {
            narrowing: Some(self),
            pc,
        }
    }
}

/// How the C of one instruction names the registers it reads and writes: the one place that
/// spells a register in generated code.
#[derive(Clone, Copy, Debug)]
pub(super) struct Regs<'a> {
    narrowing: Option<&'a Narrowing>,
    pc: usize,
}

#[cfg(test)]
impl Regs<'static> {
    /// Every register in its `uint64_t` local (code outside any analysed function, tests).
    pub fn wide() -> Regs<'static> {
        Regs {
            narrowing: None,
            pc: 0,
        }
    }
}

impl Regs<'_> {
    /// Whether the instruction reads `r` from its `uint32_t` local.
    pub fn reads_narrow(&self, r: u8) -> bool {
        self.narrowing.is_some_and(|n| {
            debug_assert!(
                n.uses[self.pc] & bit(r) != 0,
                "the translation of slot {} reads r{r}, which its effects do not list",
                self.pc
            );
            n.narrow_reads[self.pc] & bit(r) != 0
        })
    }

    fn narrow_write(&self, r: u8) -> bool {
        self.narrowing
            .is_some_and(|n| n.narrow_writes[self.pc] & bit(r) != 0)
    }

    /// The value of `r` as a `uint64_t`.
    pub fn read64(&self, r: u8) -> String {
        if self.reads_narrow(r) {
            format!("(uint64_t)w{r}")
        } else {
            format!("r{r}")
        }
    }

    /// The low 32 bits of `r` as a `uint32_t`.
    pub fn read32(&self, r: u8) -> String {
        if self.reads_narrow(r) {
            format!("w{r}")
        } else {
            format!("(uint32_t)r{r}")
        }
    }

    /// `r` as an operand of arithmetic whose result keeps only its low 32 bits (ALU32
    /// operations), where either local gives the right bits.
    pub fn read_low(&self, r: u8) -> String {
        if self.reads_narrow(r) {
            format!("w{r}")
        } else {
            format!("r{r}")
        }
    }

    /// Whether the instruction writes `r` to its `uint32_t` local.
    pub fn writes_narrow(&self, r: u8) -> bool {
        self.narrow_write(r)
    }

    /// The local the instruction writes `r` to.
    pub fn write(&self, r: u8) -> String {
        if self.narrow_write(r) {
            format!("w{r}")
        } else {
            format!("r{r}")
        }
    }

    /// `r = value;` for a `uint64_t` value (a name or a call, which a cast may prefix),
    /// which a narrow definition proves below 2^32.
    pub fn assign(&self, r: u8, value: &str) -> String {
        if self.narrow_write(r) {
            format!("w{r} = (uint32_t){value};")
        } else {
            format!("r{r} = {value};")
        }
    }

    /// `r = ` the low 32 bits of the 64-bit expression `e`, zero-extended.
    pub fn assign32(&self, r: u8, e: &str) -> String {
        format!("{} = (uint32_t)({e});", self.write(r))
    }

    /// The arguments of a helper call: r1..r5 as `uint64_t`, and the invocation.
    pub fn helper_args(&self) -> String {
        format!("{}, inv", self.call_args())
    }

    /// r1..r5 as `uint64_t`, the arguments every call passes.
    pub fn call_args(&self) -> String {
        let args: Vec<String> = (1..=5).map(|r| self.read64(r)).collect();
        args.join(", ")
    }
}

#[cfg(test)]
#[path = "narrow_tests.rs"]
mod tests;
