//! An eBPF interpreter written from RFC 9669, the reference side of differential testing.
//!
//! It shares no code with bpf2c: it decodes the instruction bytes itself, with its own
//! opcode tables, and implements every operation directly from the RFC's text (and the
//! execution contract of `tests/conformance/README.md`), so that a mistake in bpf2c's code
//! generation or in `bpf2c.h` cannot be repeated here. Where the RFC leaves a choice, the
//! choice is Linux's: division by zero gives 0, modulo by zero leaves the dividend, shifts
//! mask their amount, `le` truncates on a little-endian machine, and the map helpers
//! return Linux's error numbers.
//!
//! Memory is a set of separate regions with made-up addresses (the input buffer, one
//! 512-byte stack per frame, one block per map value), so that an access outside every
//! region is caught as a fault rather than silently touching something.

use std::fmt;

/// Bytes of stack each frame gets.
pub const STACK_SIZE: u64 = 512;
/// Deepest chain of frames, counting the entry function.
pub const MAX_FRAMES: usize = 8;

const INPUT_BASE: u64 = 0x0000_1000_0000_0000;
const STACK_BASE: u64 = 0x0000_2000_0000_0000;
const STACK_STRIDE: u64 = 0x1_0000;
const MAP_VALUE_BASE: u64 = 0x0000_3000_0000_0000;
const MAP_STRIDE: u64 = 0x1_0000_0000;
const SLOT_STRIDE: u64 = 0x1_0000;
const MAP_HANDLE_BASE: u64 = 0x0000_4000_0000_0000;

/// Linux error numbers the map helpers return, negated.
const EINVAL: u64 = 22;
const ENOENT: u64 = 2;
const EEXIST: u64 = 17;
const E2BIG: u64 = 7;

/// The kinds of map the interpreter models.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapKind {
    Array,
    Hash,
}

/// A map's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapSpec {
    pub kind: MapKind,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
}

/// A map's contents: for an array, every element in index order (key = the index, little
/// endian); for a hash map, the entries present, sorted by key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapContents(pub Vec<(Vec<u8>, Vec<u8>)>);

struct MapState {
    spec: MapSpec,
    /// Arrays: one slot per index, always present. Hash maps: a fixed table of slots.
    slots: Vec<Option<(Vec<u8>, Vec<u8>)>>,
}

impl MapState {
    fn new(spec: MapSpec) -> MapState {
        let slots = (0..spec.max_entries)
            .map(|i| match spec.kind {
                MapKind::Array => {
                    Some((i.to_le_bytes().to_vec(), vec![0; spec.value_size as usize]))
                }
                MapKind::Hash => None,
            })
            .collect();
        MapState { spec, slots }
    }

    fn find(&self, key: &[u8]) -> Option<usize> {
        match self.spec.kind {
            MapKind::Array => {
                let index = u32::from_le_bytes(key[..4].try_into().expect("4-byte key"));
                (index < self.spec.max_entries).then_some(index as usize)
            }
            MapKind::Hash => self
                .slots
                .iter()
                .position(|s| s.as_ref().is_some_and(|(k, _)| k == key)),
        }
    }

    /// `bpf_map_update_elem`: 0 or a negated Linux error number.
    fn update(&mut self, key: &[u8], value: &[u8], flags: u64) -> u64 {
        const ANY: u64 = 0;
        const NOEXIST: u64 = 1;
        const EXIST: u64 = 2;
        if flags > EXIST {
            return EINVAL.wrapping_neg();
        }
        match self.spec.kind {
            MapKind::Array => {
                let Some(slot) = self.find(key) else {
                    return E2BIG.wrapping_neg();
                };
                if flags == NOEXIST {
                    return EEXIST.wrapping_neg();
                }
                self.slots[slot].as_mut().expect("array slots exist").1 = value.to_vec();
                0
            }
            MapKind::Hash => match self.find(key) {
                Some(_) if flags == NOEXIST => EEXIST.wrapping_neg(),
                Some(slot) => {
                    self.slots[slot].as_mut().expect("found").1 = value.to_vec();
                    0
                }
                None if flags == EXIST => ENOENT.wrapping_neg(),
                None => {
                    debug_assert!(flags == ANY || flags == NOEXIST);
                    match self.slots.iter().position(Option::is_none) {
                        Some(free) => {
                            self.slots[free] = Some((key.to_vec(), value.to_vec()));
                            0
                        }
                        None => E2BIG.wrapping_neg(),
                    }
                }
            },
        }
    }

    /// `bpf_map_delete_elem`: arrays cannot delete.
    fn delete(&mut self, key: &[u8]) -> u64 {
        match self.spec.kind {
            MapKind::Array => EINVAL.wrapping_neg(),
            MapKind::Hash => match self.find(key) {
                Some(slot) => {
                    self.slots[slot] = None;
                    0
                }
                None => ENOENT.wrapping_neg(),
            },
        }
    }

    fn contents(&self) -> MapContents {
        let mut entries: Vec<(Vec<u8>, Vec<u8>)> = self.slots.iter().flatten().cloned().collect();
        if self.spec.kind == MapKind::Hash {
            entries.sort();
        }
        MapContents(entries)
    }
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `exit` in the outermost frame, with r0.
    Exit(u64),
    /// Something a verified program must never do: the reason and the instruction.
    Fault { pc: usize, reason: String },
    /// The instruction budget ran out.
    OutOfBudget,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Exit(r0) => write!(f, "exit r0 = {r0:#x}"),
            Outcome::Fault { pc, reason } => write!(f, "fault at instruction {pc}: {reason}"),
            Outcome::OutOfBudget => write!(f, "instruction budget exhausted"),
        }
    }
}

/// Everything a run leaves behind that a comparison looks at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    pub outcome: Outcome,
    pub memory: Vec<u8>,
    pub maps: Vec<MapContents>,
    /// Instructions executed.
    pub steps: u64,
}

struct Frame {
    return_pc: usize,
    saved: [u64; 4],
}

struct Machine<'a> {
    program: &'a [[u8; 8]],
    memory: Vec<u8>,
    stacks: Vec<[u8; STACK_SIZE as usize]>,
    maps: Vec<MapState>,
    regs: [u64; 11],
    frames: Vec<Frame>,
}

/// The fields of one instruction slot, decoded straight from its bytes.
#[derive(Clone, Copy)]
struct Fields {
    opcode: u8,
    dst: usize,
    src: usize,
    off: i16,
    imm: i32,
}

fn fields(slot: &[u8; 8]) -> Fields {
    Fields {
        opcode: slot[0],
        dst: (slot[1] & 0x0f) as usize,
        src: (slot[1] >> 4) as usize,
        off: i16::from_le_bytes([slot[2], slot[3]]),
        imm: i32::from_le_bytes([slot[4], slot[5], slot[6], slot[7]]),
    }
}

type Fault = String;

/// Runs `program` (little-endian instruction bytes) over a copy of `input` with fresh maps
/// of the given shapes, for at most `budget` instructions.
pub fn run(program: &[u8], input: &[u8], maps: &[MapSpec], budget: u64) -> Run {
    let slots: Vec<[u8; 8]> = program
        .chunks_exact(8)
        .map(|c| c.try_into().expect("8 bytes"))
        .collect();
    let mut m = Machine {
        program: &slots,
        memory: input.to_vec(),
        stacks: vec![[0; STACK_SIZE as usize]],
        maps: maps.iter().map(|s| MapState::new(*s)).collect(),
        regs: [0; 11],
        frames: Vec::new(),
    };
    m.regs[1] = if input.is_empty() { 0 } else { INPUT_BASE };
    m.regs[2] = input.len() as u64;
    m.regs[10] = STACK_BASE + STACK_SIZE;
    let mut steps = 0;
    let outcome = m.execute(budget, &mut steps);
    Run {
        outcome,
        memory: m.memory,
        maps: m.maps.iter().map(MapState::contents).collect(),
        steps,
    }
}

impl Machine<'_> {
    fn execute(&mut self, budget: u64, steps: &mut u64) -> Outcome {
        let mut pc = 0usize;
        loop {
            if *steps >= budget {
                return Outcome::OutOfBudget;
            }
            *steps += 1;
            let Some(slot) = self.program.get(pc) else {
                return Outcome::Fault {
                    pc,
                    reason: "ran off the end of the program".into(),
                };
            };
            match self.step(pc, fields(slot)) {
                Ok(Next::Goto(next)) => pc = next,
                Ok(Next::Exit(r0)) => return Outcome::Exit(r0),
                Err(reason) => return Outcome::Fault { pc, reason },
            }
        }
    }

    fn step(&mut self, pc: usize, i: Fields) -> Result<Next, Fault> {
        let class = i.opcode & 0x07;
        match class {
            0x04 | 0x07 => {
                self.alu(i, class == 0x07)?;
                Ok(Next::Goto(pc + 1))
            }
            0x05 | 0x06 => self.jump(pc, i, class == 0x06),
            0x00 => self.load_imm64(pc, i),
            0x01 => {
                self.load(i)?;
                Ok(Next::Goto(pc + 1))
            }
            0x02 | 0x03 => {
                self.store(i, class == 0x03)?;
                Ok(Next::Goto(pc + 1))
            }
            _ => unreachable!("three class bits"),
        }
    }

    fn reg(&self, r: usize) -> Result<u64, Fault> {
        self.regs
            .get(r)
            .copied()
            .ok_or_else(|| format!("register r{r} does not exist"))
    }

    fn set(&mut self, r: usize, v: u64) -> Result<(), Fault> {
        if r >= 10 {
            return Err(format!("register r{r} cannot be written"));
        }
        self.regs[r] = v;
        Ok(())
    }

    fn alu(&mut self, i: Fields, wide: bool) -> Result<(), Fault> {
        let op = i.opcode & 0xf0;
        let uses_reg = i.opcode & 0x08 != 0;
        let dst = self.reg(i.dst)?;
        if op == 0xd0 {
            return self.byte_order(i, wide, dst);
        }
        // The operand: a register, or the immediate sign-extended to 64 bits.
        let operand = if uses_reg {
            self.reg(i.src)?
        } else {
            i.imm as i64 as u64
        };
        let signed = i.off == 1;
        let result = if wide {
            alu64(op, dst, operand, i.off, signed)?
        } else {
            alu32(op, dst as u32, operand as u32, i.off, signed)? as u64
        };
        self.set(i.dst, result)
    }

    fn byte_order(&mut self, i: Fields, wide: bool, dst: u64) -> Result<(), Fault> {
        // ALU class: 0xd4 to little endian, 0xdc to big endian. ALU64 class (0xd7): an
        // unconditional swap. This machine is little-endian, so "to little endian" only
        // truncates.
        let to_big = i.opcode & 0x08 != 0;
        let swap = wide || to_big;
        if wide && to_big {
            return Err("byte swap with the source bit set in the ALU64 class".into());
        }
        let v = match (i.imm, swap) {
            (16, false) => dst & 0xffff,
            (32, false) => dst & 0xffff_ffff,
            (64, false) => dst,
            (16, true) => (dst as u16).swap_bytes() as u64,
            (32, true) => (dst as u32).swap_bytes() as u64,
            (64, true) => dst.swap_bytes(),
            (w, _) => return Err(format!("byte-order width {w}")),
        };
        self.set(i.dst, v)
    }

    fn jump(&mut self, pc: usize, i: Fields, narrow: bool) -> Result<Next, Fault> {
        let op = i.opcode & 0xf0;
        let target = |offset: i64| -> Result<Next, Fault> {
            let t = pc as i64 + 1 + offset;
            if t < 0 || t as usize >= self.program.len() {
                return Err(format!("jump to {t}, outside the program"));
            }
            Ok(Next::Goto(t as usize))
        };
        match op {
            0x00 => {
                // JMP's ja takes the offset; JMP32's ja takes the 32-bit immediate.
                let offset = if narrow { i.imm as i64 } else { i.off as i64 };
                return target(offset);
            }
            0x80 if !narrow => return self.call(pc, i),
            0x90 if !narrow => return self.exit(),
            _ => {}
        }
        let a = self.reg(i.dst)?;
        let b = if i.opcode & 0x08 != 0 {
            self.reg(i.src)?
        } else {
            i.imm as i64 as u64
        };
        let taken = if narrow {
            condition(
                op,
                a as u32 as u64,
                b as u32 as u64,
                a as i32 as i64,
                b as i32 as i64,
            )?
        } else {
            condition(op, a, b, a as i64, b as i64)?
        };
        if taken {
            target(i.off as i64)
        } else {
            Ok(Next::Goto(pc + 1))
        }
    }

    fn call(&mut self, pc: usize, i: Fields) -> Result<Next, Fault> {
        match i.src {
            0 => {
                let r0 = self.helper(i.imm)?;
                self.regs[0] = r0;
                Ok(Next::Goto(pc + 1))
            }
            1 => {
                let target = pc as i64 + 1 + i.imm as i64;
                if target < 0 || target as usize >= self.program.len() {
                    return Err(format!("local call to {target}, outside the program"));
                }
                if self.frames.len() + 1 >= MAX_FRAMES {
                    return Err("call chain deeper than 8 frames".into());
                }
                let saved = [self.regs[6], self.regs[7], self.regs[8], self.regs[9]];
                self.frames.push(Frame {
                    return_pc: pc + 1,
                    saved,
                });
                if self.stacks.len() <= self.frames.len() {
                    self.stacks.push([0; STACK_SIZE as usize]);
                }
                // A fresh frame: its own stack, with stale bytes from an earlier call wiped.
                self.stacks[self.frames.len()] = [0; STACK_SIZE as usize];
                self.regs[10] = STACK_BASE + self.frames.len() as u64 * STACK_STRIDE + STACK_SIZE;
                Ok(Next::Goto(target as usize))
            }
            s => Err(format!("call with source {s}")),
        }
    }

    fn exit(&mut self) -> Result<Next, Fault> {
        match self.frames.pop() {
            None => Ok(Next::Exit(self.regs[0])),
            Some(frame) => {
                self.regs[6..10].copy_from_slice(&frame.saved);
                self.regs[10] = STACK_BASE + self.frames.len() as u64 * STACK_STRIDE + STACK_SIZE;
                Ok(Next::Goto(frame.return_pc))
            }
        }
    }

    fn load_imm64(&mut self, pc: usize, i: Fields) -> Result<Next, Fault> {
        if i.opcode != 0x18 {
            return Err(format!("opcode {:#04x} (legacy packet access)", i.opcode));
        }
        let Some(next) = self.program.get(pc + 1) else {
            return Err("lddw without its second slot".into());
        };
        let high = fields(next).imm as u32 as u64;
        let value = match i.src {
            0 => high << 32 | i.imm as u32 as u64,
            1 => {
                let map = i.imm as u32 as usize;
                if map >= self.maps.len() {
                    return Err(format!("map {map} does not exist"));
                }
                MAP_HANDLE_BASE + map as u64
            }
            s => return Err(format!("lddw with source {s}")),
        };
        self.set(i.dst, value)?;
        Ok(Next::Goto(pc + 2))
    }

    fn load(&mut self, i: Fields) -> Result<(), Fault> {
        let mode = i.opcode & 0xe0;
        let size = access_size(i.opcode);
        let address = self.reg(i.src)?.wrapping_add(i.off as i64 as u64);
        let bytes = self.read(address, size)?;
        let v = le_value(&bytes);
        let v = match mode {
            0x60 => v,
            0x80 => match size {
                1 => v as i8 as i64 as u64,
                2 => v as i16 as i64 as u64,
                4 => v as i32 as i64 as u64,
                _ => return Err("sign-extending load of 8 bytes".into()),
            },
            m => return Err(format!("load mode {m:#04x}")),
        };
        self.set(i.dst, v)
    }

    fn store(&mut self, i: Fields, from_reg: bool) -> Result<(), Fault> {
        let mode = i.opcode & 0xe0;
        let size = access_size(i.opcode);
        let address = self.reg(i.dst)?.wrapping_add(i.off as i64 as u64);
        match (mode, from_reg) {
            (0x60, false) => self.write(address, &(i.imm as i64 as u64).to_le_bytes()[..size]),
            (0x60, true) => {
                let v = self.reg(i.src)?;
                self.write(address, &v.to_le_bytes()[..size])
            }
            (0xc0, true) => self.atomic(i, address, size),
            (m, _) => Err(format!("store mode {m:#04x}")),
        }
    }

    fn atomic(&mut self, i: Fields, address: u64, size: usize) -> Result<(), Fault> {
        if size != 4 && size != 8 {
            return Err(format!("atomic operation on {size} bytes"));
        }
        let mask = if size == 4 { 0xffff_ffff } else { u64::MAX };
        let old = le_value(&self.read(address, size)?);
        let src = self.reg(i.src)? & mask;
        let fetch = i.imm & 0x01 != 0;
        let new = match i.imm & !0x01 {
            0x00 => old.wrapping_add(src),
            0x40 => old | src,
            0x50 => old & src,
            0xa0 => old ^ src,
            0xe0 if fetch => src,
            0xf0 if fetch => {
                let expected = self.regs[0] & mask;
                self.regs[0] = old;
                if old == expected {
                    self.write(address, &src.to_le_bytes()[..size])?;
                }
                return Ok(());
            }
            op => return Err(format!("atomic operation {op:#04x}")),
        } & mask;
        self.write(address, &new.to_le_bytes()[..size])?;
        if fetch {
            self.set(i.src, old)?;
        }
        Ok(())
    }

    /// The region an address falls in and the offset inside it, checked for `size` bytes.
    fn locate(&mut self, address: u64, size: usize) -> Result<&mut [u8], Fault> {
        let size64 = size as u64;
        let fits = |base: u64, len: u64| address >= base && address - base + size64 <= len;
        if !self.memory.is_empty() && fits(INPUT_BASE, self.memory.len() as u64) {
            let at = (address - INPUT_BASE) as usize;
            return Ok(&mut self.memory[at..at + size]);
        }
        if (STACK_BASE..MAP_VALUE_BASE).contains(&address) {
            let frame = ((address - STACK_BASE) / STACK_STRIDE) as usize;
            let base = STACK_BASE + frame as u64 * STACK_STRIDE;
            if frame <= self.frames.len() && fits(base, STACK_SIZE) {
                let at = (address - base) as usize;
                return Ok(&mut self.stacks[frame][at..at + size]);
            }
        }
        if (MAP_VALUE_BASE..MAP_HANDLE_BASE).contains(&address) {
            let map = ((address - MAP_VALUE_BASE) / MAP_STRIDE) as usize;
            let within = (address - MAP_VALUE_BASE) % MAP_STRIDE;
            let slot = (within / SLOT_STRIDE) as usize;
            let at = (within % SLOT_STRIDE) as usize;
            if let Some(Some((_, value))) =
                self.maps.get_mut(map).and_then(|m| m.slots.get_mut(slot))
            {
                if at + size <= value.len() {
                    return Ok(&mut value[at..at + size]);
                }
            }
        }
        Err(format!(
            "{size}-byte access at {address:#x} is outside every region"
        ))
    }

    fn read(&mut self, address: u64, size: usize) -> Result<Vec<u8>, Fault> {
        Ok(self.locate(address, size)?.to_vec())
    }

    fn write(&mut self, address: u64, bytes: &[u8]) -> Result<(), Fault> {
        self.locate(address, bytes.len())?.copy_from_slice(bytes);
        Ok(())
    }

    fn map_arg(&self) -> Result<usize, Fault> {
        let handle = self.regs[1];
        let map = handle.wrapping_sub(MAP_HANDLE_BASE);
        if handle < MAP_HANDLE_BASE || map >= self.maps.len() as u64 {
            return Err(format!("r1 = {handle:#x} is not a map"));
        }
        Ok(map as usize)
    }

    fn helper(&mut self, id: i32) -> Result<u64, Fault> {
        const LOOKUP: i32 = 1;
        const UPDATE: i32 = 2;
        const DELETE: i32 = 3;
        if !matches!(id, LOOKUP | UPDATE | DELETE) {
            return Err(format!("helper {id} is not modelled"));
        }
        let map = self.map_arg()?;
        let spec = self.maps[map].spec;
        let key = self.read(self.regs[2], spec.key_size as usize)?;
        Ok(match id {
            LOOKUP => match self.maps[map].find(&key) {
                Some(slot) => MAP_VALUE_BASE + map as u64 * MAP_STRIDE + slot as u64 * SLOT_STRIDE,
                None => 0,
            },
            UPDATE => {
                let value = self.read(self.regs[3], spec.value_size as usize)?;
                let flags = self.regs[4];
                self.maps[map].update(&key, &value, flags)
            }
            _ => self.maps[map].delete(&key),
        })
    }
}

enum Next {
    Goto(usize),
    Exit(u64),
}

fn access_size(opcode: u8) -> usize {
    match opcode & 0x18 {
        0x00 => 4,
        0x08 => 2,
        0x10 => 1,
        _ => 8,
    }
}

fn le_value(bytes: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    b[..bytes.len()].copy_from_slice(bytes);
    u64::from_le_bytes(b)
}

fn alu64(op: u8, dst: u64, src: u64, off: i16, signed: bool) -> Result<u64, Fault> {
    let shift = (src & 63) as u32;
    Ok(match op {
        0x00 => dst.wrapping_add(src),
        0x10 => dst.wrapping_sub(src),
        0x20 => dst.wrapping_mul(src),
        0x30 if src == 0 => 0,
        0x30 if signed => (dst as i64).wrapping_div(src as i64) as u64,
        0x30 => dst / src,
        0x40 => dst | src,
        0x50 => dst & src,
        0x60 => dst << shift,
        0x70 => dst >> shift,
        0x80 => dst.wrapping_neg(),
        0x90 if src == 0 => dst,
        0x90 if signed => (dst as i64).wrapping_rem(src as i64) as u64,
        0x90 => dst % src,
        0xa0 => dst ^ src,
        0xb0 => match off {
            0 => src,
            8 => src as i8 as i64 as u64,
            16 => src as i16 as i64 as u64,
            32 => src as i32 as i64 as u64,
            o => return Err(format!("mov with offset {o}")),
        },
        0xc0 => ((dst as i64) >> shift) as u64,
        o => return Err(format!("ALU64 operation {o:#04x}")),
    })
}

fn alu32(op: u8, dst: u32, src: u32, off: i16, signed: bool) -> Result<u32, Fault> {
    let shift = src & 31;
    Ok(match op {
        0x00 => dst.wrapping_add(src),
        0x10 => dst.wrapping_sub(src),
        0x20 => dst.wrapping_mul(src),
        0x30 if src == 0 => 0,
        0x30 if signed => (dst as i32).wrapping_div(src as i32) as u32,
        0x30 => dst / src,
        0x40 => dst | src,
        0x50 => dst & src,
        0x60 => dst << shift,
        0x70 => dst >> shift,
        0x80 => dst.wrapping_neg(),
        0x90 if src == 0 => dst,
        0x90 if signed => (dst as i32).wrapping_rem(src as i32) as u32,
        0x90 => dst % src,
        0xa0 => dst ^ src,
        0xb0 => match off {
            0 => src,
            8 => src as i8 as i32 as u32,
            16 => src as i16 as i32 as u32,
            o => return Err(format!("mov32 with offset {o}")),
        },
        0xc0 => ((dst as i32) >> shift) as u32,
        o => return Err(format!("ALU operation {o:#04x}")),
    })
}

fn condition(op: u8, a: u64, b: u64, sa: i64, sb: i64) -> Result<bool, Fault> {
    Ok(match op {
        0x10 => a == b,
        0x20 => a > b,
        0x30 => a >= b,
        0x40 => a & b != 0,
        0x50 => a != b,
        0x60 => sa > sb,
        0x70 => sa >= sb,
        0xa0 => a < b,
        0xb0 => a <= b,
        0xc0 => sa < sb,
        0xd0 => sa <= sb,
        o => return Err(format!("jump operation {o:#04x}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::load_suite;

    /// The interpreter reproduces every conformance result it can run: all but the tests
    /// that call helpers outside its model (uBPF's helper 5, register calls).
    #[test]
    fn matches_the_conformance_suite() {
        let mut checked = 0;
        for case in load_suite() {
            if case
                .notes
                .iter()
                .any(|n| n == "helper-call" || n == "callx")
            {
                continue;
            }
            let run = run(&case.program, &case.memory, &[], 1_000_000);
            assert_eq!(
                run.outcome,
                Outcome::Exit(case.result),
                "conformance test {}",
                case.name
            );
            checked += 1;
        }
        assert!(checked >= 210, "only {checked} conformance tests ran");
    }

    fn hash(max_entries: u32) -> MapSpec {
        MapSpec {
            kind: MapKind::Hash,
            key_size: 4,
            value_size: 8,
            max_entries,
        }
    }

    #[test]
    fn hash_updates_follow_linux_flags_and_capacity() {
        let mut m = MapState::new(hash(1));
        let (k1, k2, v) = (1u32.to_le_bytes(), 2u32.to_le_bytes(), [7u8; 8]);
        assert_eq!(m.update(&k1, &v, 2), ENOENT.wrapping_neg());
        assert_eq!(m.update(&k1, &v, 1), 0);
        assert_eq!(m.update(&k1, &v, 1), EEXIST.wrapping_neg());
        assert_eq!(m.update(&k2, &v, 0), E2BIG.wrapping_neg());
        assert_eq!(m.update(&k1, &v, 3), EINVAL.wrapping_neg());
        assert_eq!(m.delete(&k2), ENOENT.wrapping_neg());
        assert_eq!(m.delete(&k1), 0);
        assert_eq!(m.contents(), MapContents(vec![]));
    }

    #[test]
    fn out_of_region_access_faults() {
        // r0 = *(u64 *)(r10 + 0): one past the top of the stack.
        let program = [0x79, 0xa0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0];
        let run = run(&program, &[], &[], 10);
        assert!(
            matches!(run.outcome, Outcome::Fault { pc: 0, .. }),
            "{:?}",
            run.outcome
        );
    }
}
