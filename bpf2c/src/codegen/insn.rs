//! One eBPF instruction to one line of C.
//!
//! Registers are `uint64_t` locals named `r0`..`r10`. Every operation is written so that C
//! cannot make it undefined: arithmetic stays in unsigned types, 32-bit results go through
//! `(uint32_t)`, shift counts are masked, and division, memory, atomics and byte swaps go
//! through the inline functions of `bpf2c.h`. Conditions that C compilers would flag as
//! always true or false (`x < 0` on an unsigned value, `x == x`) are decided here instead, so
//! the output builds with `-Wall -Wextra -Werror`.

use std::collections::BTreeMap;

use super::address::Address;
use super::literals::{address, i32_lit, imm64, u32_lit, u64_lit};
use super::loops::{Charge, LoopPlan};
use super::narrow::{Narrowing, Regs};
use super::{context, plan, Module};
use crate::context_check::{self, Access, FunctionContext};
use crate::error::{Error, Result};
use crate::insn::*;
use crate::object::{Function, FunctionId, MapType, Reloc};

/// The translation context of one function.
pub(super) struct Env<'a> {
    pub module: &'a Module<'a>,
    pub func: FunctionId,
    /// The context of the programs that run the function: whether memory accesses may
    /// touch a context struct and must follow the facts.
    pub context: &'a FunctionContext,
    /// How the function spends the loop budget, which it then keeps in the local `budget`.
    pub loops: &'a LoopPlan,
    /// Loads and stores whose address is written as a sum (`address::plan`).
    pub addresses: &'a BTreeMap<usize, Address>,
    /// Which register reads and writes use the `uint32_t` locals.
    pub narrowing: &'a Narrowing,
}

impl Env<'_> {
    /// How the instruction at `pc` names registers.
    pub fn regs(&self, pc: usize) -> Regs<'_> {
        self.narrowing.at(pc)
    }

    pub fn error(&self, pc: usize, message: impl Into<String>) -> Error {
        Error::new(self.module.obj.location(self.func, Some(pc)), message)
    }

    /// Stores the budget for whatever runs next to see: a callee, the runtime after a tail
    /// call or a return. Empty in functions without loops, which never touch it.
    fn budget_store(&self) -> &'static str {
        if self.loops.has_back_edges {
            "inv->loop_budget = budget; "
        } else {
            ""
        }
    }

    /// Takes the budget back after a call, which may have spent some.
    fn budget_load(&self) -> &'static str {
        if self.loops.has_back_edges {
            " budget = inv->loop_budget;"
        } else {
            ""
        }
    }
}

/// Spends `charge` of the budget before entering a proven loop, or unwinds.
pub(super) fn charge_code(func: usize, charge: &Charge) -> String {
    format!(
        "if (BPF2C_UNLIKELY(budget < {n})) {{ return bpf2c_loop_budget_spent(inv, budget, {func}, \
         {pc}); }} budget -= {n};",
        n = u64_lit(charge.trips),
        pc = charge.report_pc
    )
}

/// The C translation of one instruction.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Stmt {
    /// One line of C (one statement, or a few on one line).
    pub code: String,
    /// The slot a `goto` in `code` jumps to.
    pub target: Option<usize>,
    /// Whether `code` reads `rt`, the runtime context.
    pub needs_rt: bool,
}

impl Stmt {
    fn plain(code: String) -> Stmt {
        Stmt {
            code,
            target: None,
            needs_rt: false,
        }
    }
}

/// How a `call` instruction is resolved. Local call targets come only from relocations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CallKind {
    Helper(u32),
    Local(FunctionId),
    /// `callx`: the helper id is in this register at run time.
    Indirect(u8),
}

///
/// Validation leaves three forms: `callx` without a relocation, a local call with its
/// resolved target, and a helper call (source 0, a positive id) without a relocation.
pub(super) fn call_kind(f: &Function, pc: usize, insn: &Insn) -> CallKind {
    if insn.opcode == BPF_JMP | BPF_CALL | BPF_X {
        return CallKind::Indirect(insn.dst);
    }
    match f.relocs.get(&pc) {
        Some(Reloc::Call(callee)) => CallKind::Local(*callee),
        _ => CallKind::Helper(insn.imm as u32),
    }
}

/// Translates the instruction at `pc` of `f`.
pub(super) fn translate(env: &Env, f: &Function, pc: usize) -> Result<Stmt> {
    let insn = &f.insns[pc];
    match insn.class() {
        BPF_ALU | BPF_ALU64 => Ok(Stmt::plain(alu(env.regs(pc), insn))),
        BPF_JMP | BPF_JMP32 => match insn.opcode & 0xf0 {
            BPF_CALL => {
                let facts = env.module.facts.and_then(|x| x.get(env.func, pc));
                let refusal = crate::verify::map_of_maps::refusal(env.module.obj, insn, facts);
                match refusal {
                    Some(reason) => Err(env.error(pc, reason)),
                    None => Ok(call(env, f, pc, insn)),
                }
            }
            BPF_EXIT => Ok(Stmt::plain(format!(
                "{}return {};",
                env.budget_store(),
                env.regs(pc).read64(0)
            ))),
            _ => Ok(jump(env, pc, insn)),
        },
        BPF_LDX | BPF_ST | BPF_STX => memory(env, pc, insn).map(Stmt::plain),
        _ => lddw(env, f, pc, insn),
    }
}

fn access_bits(opcode: u8) -> u32 {
    match opcode & 0x18 {
        BPF_B => 8,
        BPF_H => 16,
        BPF_W => 32,
        _ => 64,
    }
}

/// ALU and ALU64 instructions.
///
/// The destination is read and written separately: the instruction may end one web of the
/// register and start another (`codegen::narrow`), so `r0 += r3` can read `w0` and write
/// `r0`. Only when both are the same local is the update written in place.
pub(super) fn alu(regs: Regs, insn: &Insn) -> String {
    let wide = insn.class() == BPF_ALU64;
    let op = insn.opcode & 0xf0;
    let x = insn.opcode & BPF_X != 0;
    let dst = insn.dst;
    let out = regs.write(dst);
    // The destination's value as an operand: all 64 bits, or only the low 32 that an ALU32
    // operation keeps. A closure, since `mov` does not read it.
    let d = || {
        if wide {
            regs.read64(dst)
        } else {
            regs.read_low(dst)
        }
    };
    let bits = if wide { 64 } else { 32 };
    let mask = bits - 1;
    // The second operand; 64-bit math on the sign-extended immediate gives the right low
    // 32 bits for every operation that truncates afterwards.
    let s = if x && op != BPF_END && op != BPF_NEG {
        if wide {
            regs.read64(insn.src)
        } else {
            regs.read_low(insn.src)
        }
    } else {
        imm64(insn.imm)
    };
    // Wraps an expression computed in 64 bits into the result the class wants.
    let result = |e: String| {
        if wide {
            format!("{out} = {e};")
        } else {
            regs.assign32(dst, &e)
        }
    };
    let code = match op {
        BPF_ADD | BPF_SUB | BPF_MUL | BPF_OR | BPF_AND | BPF_XOR => {
            let mut sym = match op {
                BPF_ADD => "+",
                BPF_SUB => "-",
                BPF_MUL => "*",
                BPF_OR => "|",
                BPF_AND => "&",
                _ => "^",
            };
            let mut s = s;
            // `r2 += -8` reads better as `r2 -= 8`; the same bits either way.
            if !x && insn.imm < 0 && insn.imm != i32::MIN && matches!(op, BPF_ADD | BPF_SUB) {
                sym = if op == BPF_ADD { "-" } else { "+" };
                s = u64_lit(insn.imm.unsigned_abs() as u64);
            }
            let d = d();
            if wide && x && insn.dst == insn.src && matches!(op, BPF_OR | BPF_AND) {
                // `r |= r` changes nothing, and clang's -Wself-assign says so.
                if d == out {
                    format!("(void){d};")
                } else {
                    format!("{out} = {d};")
                }
            } else if wide && d == out {
                format!("{d} {sym}= {s};")
            } else {
                result(format!("{d} {sym} {s}"))
            }
        }
        BPF_DIV | BPF_MOD => {
            let signed = match insn.off {
                0 => "u",
                1 => "s",
                _ => unreachable!("validation admits division offsets 0 and 1 only"),
            };
            let name = if op == BPF_DIV { "div" } else { "mod" };
            regs.assign(dst, &format!("bpf2c_{signed}{name}{bits}({}, {s})", d()))
        }
        BPF_LSH | BPF_RSH | BPF_ARSH => {
            let n = if x {
                format!("({s} & {mask})")
            } else {
                ((insn.imm as u32) & mask).to_string()
            };
            let d = d();
            match (op, wide) {
                (BPF_ARSH, _) => regs.assign(dst, &format!("bpf2c_arsh{bits}({d}, {n})")),
                (BPF_LSH, true) if d == out => format!("{d} <<= {n};"),
                (BPF_RSH, true) if d == out => format!("{d} >>= {n};"),
                (BPF_LSH, true) => format!("{out} = {d} << {n};"),
                (BPF_RSH, true) => format!("{out} = {d} >> {n};"),
                (BPF_LSH, false) => result(format!("{d} << {n}")),
                _ => format!("{out} = {} >> {n};", regs.read32(dst)),
            }
        }
        BPF_NEG => result(format!("0 - {}", d())),
        BPF_MOV => match (x, insn.off) {
            (false, 0) if wide && regs.writes_narrow(dst) => {
                format!("{out} = {};", u32_lit(insn.imm as u32))
            }
            (false, 0) if wide => format!("{out} = {s};"),
            (false, 0) => format!("{out} = {};", u32_lit(insn.imm as u32)),
            (true, 0) if wide && s == out => format!("(void){out};"),
            (true, 0) if wide => format!("{out} = {s};"),
            (true, 0) => {
                let v = regs.read32(insn.src);
                if v == out {
                    // A narrow value moved onto itself: clang's -Wself-assign would object.
                    format!("(void){out};")
                } else {
                    format!("{out} = {v};")
                }
            }
            (true, 8 | 16) | (true, 32) if wide => format!(
                "{out} = (uint64_t)(int64_t)(int{}_t){};",
                insn.off,
                regs.read_low(insn.src)
            ),
            (true, 8 | 16) => format!(
                "{out} = (uint32_t)(int32_t)(int{}_t){};",
                insn.off,
                regs.read_low(insn.src)
            ),
            _ => unreachable!("validation admits mov offsets 0, 8, 16 and 32 only"),
        },
        BPF_END => {
            let width = insn.imm;
            let f = match (wide, x) {
                (true, _) => "bswap",
                (false, false) => "to_le",
                (false, true) => "to_be",
            };
            // A 64-bit swap reads all of its operand, whatever the class.
            let v = if width == 64 { regs.read64(dst) } else { d() };
            regs.assign(dst, &format!("bpf2c_{f}{width}({v})"))
        }
        _ => unreachable!("validation admits no such instruction"),
    };
    code
}

/// What a jump instruction does, decided as far as the instruction alone allows.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Branch {
    Always,
    Never,
    If(String),
}

/// The condition of a jump (JMP or JMP32 class, not call or exit).
pub(super) fn branch(regs: Regs, insn: &Insn) -> Branch {
    let op = insn.opcode & 0xf0;
    if op == BPF_JA {
        return Branch::Always;
    }
    let wide = insn.class() == BPF_JMP;
    let x = insn.opcode & BPF_X != 0;
    let signed = matches!(op, BPF_JSGT | BPF_JSGE | BPF_JSLT | BPF_JSLE);
    // An operand as the comparison reads it. A signed 64-bit read of a value below 2^32
    // converts it exactly.
    let operand = |r: u8| match (wide, signed) {
        (true, false) => regs.read64(r),
        (false, false) => regs.read32(r),
        (true, true) => format!("(int64_t){}", regs.read_low(r)),
        (false, true) => format!("(int32_t){}", regs.read32(r)),
    };
    if x {
        if insn.dst == insn.src {
            // Compilers warn about comparing a value with itself; the answer is known.
            return match op {
                BPF_JEQ | BPF_JGE | BPF_JLE | BPF_JSGE | BPF_JSLE => Branch::Always,
                BPF_JSET if wide => Branch::If(format!("{} != 0", regs.read64(insn.dst))),
                BPF_JSET => Branch::If(format!("{} != 0", regs.read32(insn.dst))),
                _ => Branch::Never,
            };
        }
        return Branch::If(compare(op, &operand(insn.dst), &operand(insn.src)));
    }

    // Immediate forms: decide the comparisons that the operand type settles, which C
    // compilers would otherwise report under -Wtype-limits or -Wtautological-compare.
    let imm = insn.imm;
    if wide && regs.reads_narrow(insn.dst) {
        return narrow_branch(regs, insn);
    }
    let (umax, uval) = if wide {
        (u64::MAX, imm as i64 as u64)
    } else {
        (u32::MAX as u64, imm as u32 as u64)
    };
    let (smin, smax) = if wide {
        (i64::MIN, i64::MAX)
    } else {
        (i32::MIN as i64, i32::MAX as i64)
    };
    let sval = imm as i64;
    let decided = match op {
        BPF_JLT if uval == 0 => Some(Branch::Never),
        BPF_JGE if uval == 0 => Some(Branch::Always),
        BPF_JLE if uval == umax => Some(Branch::Always),
        BPF_JGT if uval == umax => Some(Branch::Never),
        BPF_JSET if uval == 0 => Some(Branch::Never),
        BPF_JSLT if sval == smin => Some(Branch::Never),
        BPF_JSGE if sval == smin => Some(Branch::Always),
        BPF_JSLE if sval == smax => Some(Branch::Always),
        BPF_JSGT if sval == smax => Some(Branch::Never),
        _ => None,
    };
    if let Some(b) = decided {
        return b;
    }
    if !wide && !signed && regs.reads_narrow(insn.dst) {
        if let Some(test) = shift_test(op, &regs.read32(insn.dst), uval) {
            return Branch::If(test);
        }
    }
    let r = match (wide, signed) {
        (true, false) => imm64(imm),
        (false, false) => u32_lit(imm as u32),
        (_, true) => i32_lit(imm),
    };
    Branch::If(compare(op, &operand(insn.dst), &r))
}

/// A 64-bit comparison of a value below 2^32 (a narrow read) with an immediate. Compilers
/// see through the widening cast and would report comparisons with constants outside the
/// 32-bit range as always true or false, so those are decided here; the others compare
/// unsigned, since the value is not negative.
fn narrow_branch(regs: Regs, insn: &Insn) -> Branch {
    let op = insn.opcode & 0xf0;
    let imm = insn.imm;
    let v = regs.read64(insn.dst);
    if op == BPF_JSET {
        return if imm == 0 {
            Branch::Never
        } else {
            Branch::If(compare(op, &v, &imm64(imm)))
        };
    }
    let decide = |b: bool| if b { Branch::Always } else { Branch::Never };
    if imm < 0 {
        // Unsigned, the immediate is at least 2^64 - 2^31, above every value; signed, it
        // is negative, below every value.
        return match op {
            BPF_JEQ => Branch::Never,
            BPF_JNE => Branch::Always,
            BPF_JLT | BPF_JLE | BPF_JSGT | BPF_JSGE => Branch::Always,
            _ => Branch::Never,
        };
    }
    let unsigned = match op {
        BPF_JSGT => BPF_JGT,
        BPF_JSGE => BPF_JGE,
        BPF_JSLT => BPF_JLT,
        BPF_JSLE => BPF_JLE,
        op => op,
    };
    match unsigned {
        BPF_JLT if imm == 0 => decide(false),
        BPF_JGE if imm == 0 => decide(true),
        _ => Branch::If(
            shift_test(unsigned, &regs.read32(insn.dst), imm as u64)
                .unwrap_or_else(|| compare(unsigned, &v, &imm64(imm))),
        ),
    }
}

/// An unsigned comparison of a 32-bit value `v` with a power of two `c` (`<`, `>=`) or one
/// less (`<=`, `>`), as a test of the bits from that power up: `v < 65536` is
/// `(v >> 16) == 0`. The same truth for every value, but C compilers vectorise it on every
/// x86-64 (SSE2 has a shift and an equality test, but no unsigned comparison), and it is the
/// form the source had before clang turned it into a comparison. None for other constants.
fn shift_test(op: u8, v: &str, c: u64) -> Option<String> {
    let bound = match op {
        BPF_JLT | BPF_JGE => c,
        BPF_JLE | BPF_JGT => c.checked_add(1)?,
        _ => return None,
    };
    if !bound.is_power_of_two() {
        return None;
    }
    let k = bound.trailing_zeros();
    if !(1..32).contains(&k) {
        return None;
    }
    let sym = if matches!(op, BPF_JLT | BPF_JLE) {
        "=="
    } else {
        "!="
    };
    Some(format!("({v} >> {k}) {sym} 0"))
}

fn compare(op: u8, l: &str, r: &str) -> String {
    let sym = match op {
        BPF_JEQ => "==",
        BPF_JNE => "!=",
        BPF_JGT | BPF_JSGT => ">",
        BPF_JGE | BPF_JSGE => ">=",
        BPF_JLT | BPF_JSLT => "<",
        BPF_JLE | BPF_JSLE => "<=",
        BPF_JSET => return format!("({l} & {r}) != 0"),
        _ => unreachable!("validation admits no such instruction"),
    };
    format!("{l} {sym} {r}")
}

/// Jumps. A jump back (target at or before the jump) spends one unit of the loop budget when
/// taken, unless it closes a loop whose entries charge its trips up front (`codegen::loops`);
/// a jump into such a loop from outside charges them.
///
/// Validation put the target on an instruction of the same function.
fn jump(env: &Env, pc: usize, insn: &Insn) -> Stmt {
    let off = insn.jump_offset().expect("a jump has an offset");
    let target = (pc as i64 + 1 + off) as usize;
    let mut before = String::new();
    if let Some(charge) = env.loops.entry_jumps.get(&pc) {
        before.push_str(&charge_code(env.func, charge));
        before.push(' ');
    }
    if target <= pc && !env.loops.free_back_edges.contains(&pc) {
        before.push_str(&format!(
            "if (BPF2C_UNLIKELY(budget == 0)) {{ return bpf2c_loop_budget_spent(inv, 0, {}, {pc}); }} \
             budget--; ",
            env.func
        ));
    }
    let compound = !before.is_empty();
    let goto = format!("{before}goto L{target};");
    let (code, target) = match branch(env.regs(pc), insn) {
        Branch::Never => ("(void)0; /* never taken */".to_string(), None),
        Branch::Always if compound => (format!("{{ {goto} }}"), Some(target)),
        Branch::Always => (goto, Some(target)),
        Branch::If(c) if compound => (format!("if ({c}) {{ {goto} }}"), Some(target)),
        Branch::If(c) => (format!("if ({c}) {goto}"), Some(target)),
    };
    Stmt {
        code,
        target,
        needs_rt: false,
    }
}

fn call(env: &Env, f: &Function, pc: usize, insn: &Insn) -> Stmt {
    const UNWIND: &str = "if (BPF2C_UNLIKELY(inv->unwind)) return 0;";
    let m = env.module;
    let regs = env.regs(pc);
    let r0 = regs.write(0);
    let args = regs.helper_args();
    let (code, needs_rt) = match call_kind(f, pc, insn) {
        CallKind::Helper(id) => {
            let site = m.plan.site(env.func, pc).filter(|s| s.helper == id);
            if let Some(code) = site.and_then(|s| plan::lower(m, regs, s)) {
                return Stmt {
                    code,
                    target: None,
                    needs_rt: true,
                };
            }
            let k = m
                .helper_index(id)
                .expect("the helper table holds every helper the code calls");
            let name = super::names::comment_text(&m.helpers[k].1);
            let mut code = format!("{r0} = rt->helpers[{k}]({args});");
            // Only a tail call asks every frame to return; other helpers never set unwind,
            // nor read the budget, which the tail-called program goes on spending.
            if id == TAIL_CALL_HELPER {
                code = format!("{}{code}{} {UNWIND}", env.budget_store(), env.budget_load());
            }
            code.push_str(&format!(" /* {name} */"));
            (code, true)
        }
        CallKind::Local(callee) => {
            let name = &m.fn_names[callee];
            // The callee's frame lies right below this one, as in the verifier's model.
            (
                format!(
                    "{}{r0} = {name}({args_only}, {} - BPF2C_STACK_SIZE, inv);{} {UNWIND}",
                    env.budget_store(),
                    regs.read64(10),
                    env.budget_load(),
                    args_only = regs.call_args()
                ),
                false,
            )
        }
        CallKind::Indirect(r) => (
            format!(
                "{}{r0} = rt->helper_by_id({}, {args});{} {UNWIND}",
                env.budget_store(),
                regs.read64(r),
                env.budget_load()
            ),
            true,
        ),
    };
    Stmt {
        code,
        target: None,
        needs_rt,
    }
}

/// Linux's `bpf_tail_call`.
pub(super) const TAIL_CALL_HELPER: u32 = bpf2c_abi::helper::id::TAIL_CALL;

fn memory(env: &Env, pc: usize, insn: &Insn) -> Result<String> {
    let err = |m: String| env.error(pc, m);
    if env.context.has_struct() {
        let facts = env.module.facts.and_then(|f| f.get(env.func, pc));
        match context_check::classify(facts, insn, env.context).map_err(err)? {
            Access::Plain => {}
            Access::Field(field) => {
                return Ok(context::access(
                    env.regs(pc),
                    insn,
                    &field,
                    env.module.obj.little_endian,
                ))
            }
        }
    }
    let planned = env.addresses.get(&pc).map(|a| planned_pointer(env, a));
    Ok(plain_memory(env.regs(pc), insn, planned))
}

/// A planned address as a pointer expression. Each register is read as the instruction
/// that formed the sum read it: it holds the same value here, in the same C local.
fn planned_pointer(env: &Env, a: &Address) -> String {
    let base = format!("bpf2c_mem({})", env.regs(a.base.read_at).read64(a.base.reg));
    match a.index {
        None => address(&base, a.offset),
        Some(i) => {
            let index = env.regs(i.read_at).read64(i.reg);
            // The index is an offset that may be negative; it is added as such, in 64 bits.
            if a.offset == 0 {
                format!("{base} + (int64_t){index}")
            } else {
                format!("{base} + (int64_t)({})", address(&index, a.offset))
            }
        }
    }
}

/// Loads, stores and atomics on ordinary memory. Plain loads and stores take their address
/// as a pointer: `planned` (see `address`), else their own base register and offset;
/// atomics take it as the integer the header's atomics take.
pub(super) fn plain_memory(regs: Regs, insn: &Insn, planned: Option<String>) -> String {
    let pointer = |base: u8| {
        planned.clone().unwrap_or_else(|| {
            address(
                &format!("bpf2c_mem({})", regs.read64(base)),
                insn.off as i64,
            )
        })
    };
    let bits = access_bits(insn.opcode);
    let mode = insn.opcode & 0xe0;
    match insn.class() {
        BPF_LDX => {
            let d = insn.dst;
            let p = pointer(insn.src);
            if mode == BPF_MEMSX {
                regs.assign(d, &format!("bpf2c_load{bits}s_ptr({p})"))
            } else {
                regs.assign(d, &format!("bpf2c_load{bits}_ptr({p})"))
            }
        }
        BPF_ST => {
            let p = pointer(insn.dst);
            format!("bpf2c_store{bits}_ptr({p}, {});", imm64(insn.imm))
        }
        _ => {
            let s = regs.read64(insn.src);
            if mode == BPF_MEM {
                let p = pointer(insn.dst);
                return format!("bpf2c_store{bits}_ptr({p}, {s});");
            }
            let addr = address(&regs.read64(insn.dst), insn.off as i64);
            // An atomic operation, of 32 or 64 bits.
            let name = match insn.imm {
                BPF_XCHG => "xchg",
                BPF_CMPXCHG => {
                    return format!(
                        "{} = bpf2c_atomic_cmpxchg{bits}({addr}, {}, {s});",
                        regs.write(0),
                        regs.read64(0)
                    )
                }
                imm => match (imm & 0xf0) as u8 {
                    BPF_ADD => "add",
                    BPF_OR => "or",
                    BPF_AND => "and",
                    BPF_XOR => "xor",
                    _ => unreachable!("validation admits no such instruction"),
                },
            };
            if insn.imm & BPF_FETCH != 0 {
                format!(
                    "{} = bpf2c_atomic_{name}{bits}({addr}, {s});",
                    regs.write(insn.src)
                )
            } else {
                format!("(void)bpf2c_atomic_{name}{bits}({addr}, {s});")
            }
        }
    }
}

/// A legacy packet load (LD_ABS, LD_IND): r0 = the 1, 2 or 4 bytes at the offset into the
/// packet of the context in r6 (the verifier requires r6 to hold it), read in network byte
/// order. LD_IND adds its source register to the immediate in 32 bits, as Linux does. A load
/// outside the packet ends the whole run returning 0, as in Linux: every frame returns at
/// once through the unwind mechanism, and the runtime turns the unwind into r0 = 0.
fn legacy_packet_load(regs: Regs, insn: &Insn) -> std::result::Result<Stmt, String> {
    let size = match insn.opcode & 0x18 {
        BPF_B => 1,
        BPF_H => 2,
        BPF_W => 4,
        _ => {
            return Err(format!(
                "invalid opcode {:#04x}: legacy packet loads are 1, 2 or 4 bytes wide",
                insn.opcode
            ))
        }
    };
    let offset = if insn.opcode & 0xe0 == BPF_ABS {
        format!("(int64_t){}", insn.imm)
    } else {
        format!(
            "(int64_t)(int32_t)(uint32_t)({} + (uint64_t)(int64_t){})",
            regs.read_low(insn.src),
            insn.imm
        )
    };
    Ok(Stmt {
        code: format!(
            "{{ uint64_t packet_value; if (!bpf2c_packet_load({}, {offset}, {size}, &packet_value)) \
             {{ inv->unwind = BPF2C_UNWIND_PACKET_LOAD; return 0; }} {} }} \
             /* legacy packet load, network byte order */",
            regs.read64(6),
            regs.assign(0, "packet_value")
        ),
        target: None,
        needs_rt: false,
    })
}

/// The 64-bit immediate load: a constant, a map, or the address of a map's value.
fn lddw(env: &Env, f: &Function, pc: usize, insn: &Insn) -> Result<Stmt> {
    let err = |m: String| env.error(pc, m);
    if !insn.is_lddw() {
        let mode = insn.opcode & 0xe0;
        if mode == BPF_ABS || mode == BPF_IND {
            return legacy_packet_load(env.regs(pc), insn).map_err(err);
        }
    }
    let d = env.regs(pc).write(insn.dst);
    let next = &f.insns[pc + 1];
    let map_name = |i: usize| super::names::comment_text(&env.module.obj.maps[i].name);
    let (code, needs_rt) = match f.relocs.get(&pc) {
        Some(Reloc::MapFd(i)) => (
            format!(
                "{d} = (uint64_t)(uintptr_t)rt->map_data[{i}].address; /* map {} */",
                map_name(*i)
            ),
            true,
        ),
        Some(Reloc::MapValue { map, offset }) => {
            let name = map_name(*map);
            // Only ARRAY maps (global data included) have one address for their value; a
            // per-CPU array's array_data is CPU 0's copy.
            let def = &env.module.obj.maps[*map].def;
            if def.map_type != MapType::Array {
                return Err(err(format!(
                    "direct value access to map {name} of type {}: only ARRAY maps and global \
                     data have a value address",
                    def.map_type.name()
                )));
            }
            // The address just past the value is one a program may hold (as the end of a
            // loop over a global array); the verifier refuses reading through it.
            if *offset > def.value_size {
                return Err(err(format!(
                    "offset {offset} into map {name} lies past the end of its {}-byte value",
                    def.value_size
                )));
            }
            let value = "(uint64_t)(uintptr_t)rt->map_data";
            let code = if *offset == 0 {
                format!("{d} = {value}[{map}].array_data; /* {name} */")
            } else {
                format!("{d} = {value}[{map}].array_data + {offset}; /* {name} + {offset} */")
            };
            (code, true)
        }
        // Validation refuses a function's address and any other source without a relocation.
        _ => {
            let v = (insn.imm as u32 as u64) | ((next.imm as u32 as u64) << 32);
            // The full 64-bit value, in hex, so both halves of the slot pair stay visible.
            (format!("{d} = 0x{v:x}ULL;"), false)
        }
    };
    Ok(Stmt {
        code,
        target: None,
        needs_rt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn i(opcode: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
        Insn::new(opcode, dst, src, off, imm)
    }

    fn a(opcode: u8, dst: u8, src: u8, off: i16, imm: i32) -> String {
        alu(Regs::wide(), &i(opcode, dst, src, off, imm))
    }

    #[test]
    fn alu64_operations() {
        assert_eq!(a(BPF_ALU64 | BPF_ADD | BPF_X, 0, 1, 0, 0), "r0 += r1;");
        assert_eq!(a(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -8), "r2 -= 8;");
        assert_eq!(a(BPF_ALU64 | BPF_SUB | BPF_K, 2, 0, 0, -8), "r2 += 8;");
        assert_eq!(
            a(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, i32::MIN),
            "r2 += (uint64_t)(-2147483647 - 1);"
        );
        assert_eq!(
            a(BPF_ALU64 | BPF_AND | BPF_K, 3, 0, 0, -256),
            "r3 &= (uint64_t)-256;"
        );
        assert_eq!(
            a(BPF_ALU64 | BPF_MUL | BPF_K, 3, 0, 0, 70000),
            "r3 *= 0x11170ULL;"
        );
        assert_eq!(a(BPF_ALU64 | BPF_LSH | BPF_K, 1, 0, 0, 65), "r1 <<= 1;");
        assert_eq!(
            a(BPF_ALU64 | BPF_RSH | BPF_X, 1, 2, 0, 0),
            "r1 >>= (r2 & 63);"
        );
        assert_eq!(
            a(BPF_ALU64 | BPF_ARSH | BPF_K, 1, 0, 0, 3),
            "r1 = bpf2c_arsh64(r1, 3);"
        );
        assert_eq!(a(BPF_ALU64 | BPF_NEG, 4, 0, 0, 0), "r4 = 0 - r4;");
        assert_eq!(
            a(BPF_ALU64 | BPF_DIV | BPF_X, 0, 1, 1, 0),
            "r0 = bpf2c_sdiv64(r0, r1);"
        );
        assert_eq!(
            a(BPF_ALU64 | BPF_MOD | BPF_K, 0, 0, 0, 7),
            "r0 = bpf2c_umod64(r0, 7);"
        );
        assert_eq!(
            a(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, -1),
            "r0 = (uint64_t)-1;"
        );
        assert_eq!(a(BPF_ALU64 | BPF_MOV | BPF_X, 0, 0, 0, 0), "(void)r0;");
        assert_eq!(a(BPF_ALU64 | BPF_OR | BPF_X, 6, 6, 0, 0), "(void)r6;");
        assert_eq!(a(BPF_ALU64 | BPF_AND | BPF_X, 6, 6, 0, 0), "(void)r6;");
        assert_eq!(a(BPF_ALU64 | BPF_XOR | BPF_X, 6, 6, 0, 0), "r6 ^= r6;");
        assert_eq!(
            a(BPF_ALU | BPF_AND | BPF_X, 6, 6, 0, 0),
            "r6 = (uint32_t)(r6 & r6);"
        );
        assert_eq!(
            a(BPF_ALU64 | BPF_MOV | BPF_X, 0, 1, 32, 0),
            "r0 = (uint64_t)(int64_t)(int32_t)r1;"
        );
        assert_eq!(
            a(BPF_ALU64 | BPF_END | BPF_K, 0, 0, 0, 16),
            "r0 = bpf2c_bswap16(r0);"
        );
    }

    #[test]
    fn alu32_operations_zero_extend() {
        assert_eq!(
            a(BPF_ALU | BPF_ADD | BPF_X, 0, 1, 0, 0),
            "r0 = (uint32_t)(r0 + r1);"
        );
        assert_eq!(
            a(BPF_ALU | BPF_ADD | BPF_K, 0, 0, 0, -3),
            "r0 = (uint32_t)(r0 - 3);"
        );
        assert_eq!(
            a(BPF_ALU | BPF_MOV | BPF_K, 0, 0, 0, -1),
            "r0 = 0xffffffffu;"
        );
        assert_eq!(
            a(BPF_ALU | BPF_MOV | BPF_X, 0, 0, 0, 0),
            "r0 = (uint32_t)r0;"
        );
        assert_eq!(
            a(BPF_ALU | BPF_MOV | BPF_X, 0, 1, 8, 0),
            "r0 = (uint32_t)(int32_t)(int8_t)r1;"
        );
        assert_eq!(
            a(BPF_ALU | BPF_LSH | BPF_K, 1, 0, 0, 33),
            "r1 = (uint32_t)(r1 << 1);"
        );
        assert_eq!(
            a(BPF_ALU | BPF_RSH | BPF_X, 1, 2, 0, 0),
            "r1 = (uint32_t)r1 >> (r2 & 31);"
        );
        assert_eq!(
            a(BPF_ALU | BPF_ARSH | BPF_X, 1, 2, 0, 0),
            "r1 = bpf2c_arsh32(r1, (r2 & 31));"
        );
        assert_eq!(a(BPF_ALU | BPF_NEG, 1, 0, 0, 0), "r1 = (uint32_t)(0 - r1);");
        assert_eq!(
            a(BPF_ALU | BPF_DIV | BPF_K, 1, 0, 0, 0),
            "r1 = bpf2c_udiv32(r1, 0);"
        );
        assert_eq!(
            a(BPF_ALU | BPF_MOD | BPF_X, 1, 2, 1, 0),
            "r1 = bpf2c_smod32(r1, r2);"
        );
        assert_eq!(
            a(BPF_ALU | BPF_END | BPF_K, 1, 0, 0, 32),
            "r1 = bpf2c_to_le32(r1);"
        );
        assert_eq!(
            a(BPF_ALU | BPF_END | BPF_X, 1, 0, 0, 64),
            "r1 = bpf2c_to_be64(r1);"
        );
    }

    fn b(opcode: u8, dst: u8, src: u8, imm: i32) -> Branch {
        branch(Regs::wide(), &i(opcode, dst, src, 1, imm))
    }

    fn cond(s: &str) -> Branch {
        Branch::If(s.to_string())
    }

    #[test]
    fn jump_conditions() {
        assert_eq!(b(BPF_JMP | BPF_JA, 0, 0, 0), Branch::Always);
        assert_eq!(b(BPF_JMP | BPF_JGT | BPF_X, 1, 2, 0), cond("r1 > r2"));
        assert_eq!(
            b(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, -1),
            cond("r1 == (uint64_t)-1")
        );
        assert_eq!(
            b(BPF_JMP32 | BPF_JEQ | BPF_K, 1, 0, -1),
            cond("(uint32_t)r1 == 0xffffffffu")
        );
        assert_eq!(
            b(BPF_JMP | BPF_JSLT | BPF_X, 1, 2, 0),
            cond("(int64_t)r1 < (int64_t)r2")
        );
        assert_eq!(
            b(BPF_JMP32 | BPF_JSGE | BPF_K, 1, 0, -5),
            cond("(int32_t)(uint32_t)r1 >= -5")
        );
        assert_eq!(
            b(BPF_JMP32 | BPF_JSGT | BPF_K, 1, 0, i32::MIN),
            cond("(int32_t)(uint32_t)r1 > (-2147483647 - 1)")
        );
        assert_eq!(
            b(BPF_JMP32 | BPF_JLE | BPF_X, 3, 4, 0),
            cond("(uint32_t)r3 <= (uint32_t)r4")
        );
        assert_eq!(
            b(BPF_JMP | BPF_JSET | BPF_K, 1, 0, 8),
            cond("(r1 & 8) != 0")
        );
        assert_eq!(
            b(BPF_JMP32 | BPF_JSET | BPF_X, 1, 2, 0),
            cond("((uint32_t)r1 & (uint32_t)r2) != 0")
        );
    }

    #[test]
    fn jump_conditions_settled_by_type_are_decided() {
        assert_eq!(b(BPF_JMP | BPF_JLT | BPF_K, 1, 0, 0), Branch::Never);
        assert_eq!(b(BPF_JMP32 | BPF_JGE | BPF_K, 1, 0, 0), Branch::Always);
        assert_eq!(b(BPF_JMP32 | BPF_JLE | BPF_K, 1, 0, -1), Branch::Always);
        assert_eq!(b(BPF_JMP | BPF_JGT | BPF_K, 1, 0, -1), Branch::Never);
        assert_eq!(
            b(BPF_JMP32 | BPF_JSLT | BPF_K, 1, 0, i32::MIN),
            Branch::Never
        );
        assert_eq!(
            b(BPF_JMP32 | BPF_JSLE | BPF_K, 1, 0, i32::MAX),
            Branch::Always
        );
        // 64-bit signed comparisons with a 32-bit immediate are never settled.
        assert_eq!(
            b(BPF_JMP | BPF_JSLE | BPF_K, 1, 0, i32::MAX),
            cond("(int64_t)r1 <= 2147483647")
        );
        assert_eq!(b(BPF_JMP | BPF_JEQ | BPF_X, 2, 2, 0), Branch::Always);
        assert_eq!(b(BPF_JMP32 | BPF_JSLT | BPF_X, 2, 2, 0), Branch::Never);
        assert_eq!(
            b(BPF_JMP32 | BPF_JSET | BPF_X, 2, 2, 0),
            cond("(uint32_t)r2 != 0")
        );
    }

    #[test]
    fn comparisons_with_powers_of_two_become_shift_tests() {
        let t = |op, c| shift_test(op, "w1", c);
        assert_eq!(t(BPF_JLT, 65536).as_deref(), Some("(w1 >> 16) == 0"));
        assert_eq!(t(BPF_JGE, 256).as_deref(), Some("(w1 >> 8) != 0"));
        assert_eq!(t(BPF_JLE, 255).as_deref(), Some("(w1 >> 8) == 0"));
        assert_eq!(t(BPF_JGT, 1).as_deref(), Some("(w1 >> 1) != 0"));
        assert_eq!(t(BPF_JGE, 1 << 31).as_deref(), Some("(w1 >> 31) != 0"));
        assert_eq!(t(BPF_JGT, 0x7fff_ffff).as_deref(), Some("(w1 >> 31) != 0"));
        // v < 1 is v == 0, and 2^32 is past every 32-bit value: left as comparisons.
        assert_eq!(t(BPF_JLT, 1), None);
        assert_eq!(t(BPF_JLE, 0), None);
        assert_eq!(t(BPF_JLT, 1 << 32), None);
        assert_eq!(t(BPF_JLE, u64::MAX), None);
        assert_eq!(t(BPF_JLT, 10), None);
        assert_eq!(t(BPF_JEQ, 256), None);
        assert_eq!(t(BPF_JSLT, 256), None);
    }

    #[test]
    fn memory_accesses() {
        let m = |opcode, dst, src, off, imm| {
            plain_memory(Regs::wide(), &i(opcode, dst, src, off, imm), None)
        };
        assert_eq!(
            m(BPF_LDX | BPF_MEM | BPF_W, 0, 1, 4, 0),
            "r0 = bpf2c_load32_ptr(bpf2c_mem(r1) + 4);"
        );
        assert_eq!(
            m(BPF_LDX | BPF_MEMSX | BPF_H, 0, 10, -2, 0),
            "r0 = bpf2c_load16s_ptr(bpf2c_mem(r10) - 2);"
        );
        assert_eq!(
            m(BPF_ST | BPF_MEM | BPF_DW, 10, 0, -8, -1),
            "bpf2c_store64_ptr(bpf2c_mem(r10) - 8, (uint64_t)-1);"
        );
        assert_eq!(
            m(BPF_STX | BPF_MEM | BPF_B, 1, 2, 0, 0),
            "bpf2c_store8_ptr(bpf2c_mem(r1), r2);"
        );
        assert_eq!(
            m(BPF_STX | BPF_ATOMIC | BPF_W, 1, 2, 0, BPF_ADD as i32),
            "(void)bpf2c_atomic_add32(r1, r2);"
        );
        assert_eq!(
            m(
                BPF_STX | BPF_ATOMIC | BPF_DW,
                1,
                2,
                8,
                BPF_XOR as i32 | BPF_FETCH
            ),
            "r2 = bpf2c_atomic_xor64(r1 + 8, r2);"
        );
        assert_eq!(
            m(BPF_STX | BPF_ATOMIC | BPF_DW, 10, 3, -8, BPF_XCHG),
            "r3 = bpf2c_atomic_xchg64(r10 - 8, r3);"
        );
        assert_eq!(
            m(BPF_STX | BPF_ATOMIC | BPF_W, 10, 3, -4, BPF_CMPXCHG),
            "r0 = bpf2c_atomic_cmpxchg32(r10 - 4, r0, r3);"
        );
    }
}
