//! Functions, programs and code relocations of an ELF object.

use std::collections::{BTreeMap, BTreeSet};

use object::elf as abi;

use super::maps::{MapTarget, Maps};
use super::{
    relocation_type_name, ElfFile, Relocation, SymSection, R_BPF_64_32, R_BPF_64_64, R_BPF_NONE,
};
use crate::error::{Error, Location, Result};
use crate::insn::{Insn, BPF_PSEUDO_CALL, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE, INSN_SIZE};
use crate::object::kinds::program_kind;
use crate::object::{Function, FunctionId, Program, ProgramKind, Reloc};

/// A program's entry function and its type, or why its type cannot be verified.
pub(super) type Entry = (usize, std::result::Result<ProgramKind, Error>);

/// A function before unreachable ones are dropped; relocations use indices into
/// [`Code::functions`].
pub(super) struct RawFunction {
    pub function: Function,
    pub section_index: usize,
}

pub(super) struct Code {
    pub functions: Vec<RawFunction>,
    /// Function ids by (section index, first slot), to find a slot's function quickly.
    starts: BTreeMap<(usize, usize), usize>,
    /// Functions that cannot be loaded, with the first reason: the programs that run them
    /// are refused, the object's other programs are not.
    pub broken: BTreeMap<usize, Error>,
}

/// [`INSN_SIZE`] for byte offsets and symbol values, which ELF gives as u64.
const SLOT: u64 = INSN_SIZE as u64;

impl Code {
    /// Splits every executable section into functions along its function symbols.
    pub fn collect(elf: &ElfFile<'_>) -> Result<Code> {
        let mut functions = Vec::new();
        for sec in elf.sections.iter().filter(|s| s.is_executable()) {
            if sec.size == 0 {
                continue;
            }
            let err = |msg: String| elf.error_in(&sec.name, msg);
            if sec.data.len() % INSN_SIZE != 0 {
                return Err(err(format!(
                    "the section is {} bytes long, which is not a whole number of 8-byte \
                     instructions",
                    sec.data.len()
                )));
            }
            let insns: Vec<Insn> = sec
                .data
                .chunks_exact(INSN_SIZE)
                .filter_map(|c| <[u8; INSN_SIZE]>::try_from(c).ok())
                .map(|b| Insn::decode(b, elf.order.little))
                .collect();
            let slots = insns.len();

            let mut syms: Vec<&super::Symbol> = elf
                .symbols
                .iter()
                .filter(|s| s.in_section(sec.index) && s.kind == abi::STT_FUNC)
                .collect();
            syms.sort_by_key(|s| s.value);
            if syms.is_empty() {
                // Hand-written assembly may have no symbols: the section is one function.
                functions.push(RawFunction {
                    function: new_function(sec.name.clone(), &sec.name, 0, insns),
                    section_index: sec.index,
                });
                continue;
            }
            for (i, sym) in syms.iter().enumerate() {
                let ferr = |msg: String| {
                    Error::new(
                        Location::file(elf.path)
                            .section(&sec.name)
                            .function(&sym.name),
                        msg,
                    )
                };
                if sym.name.is_empty() {
                    return Err(err(format!(
                        "a function symbol at offset {} has no name",
                        sym.value
                    )));
                }
                let start = slot_of(sym.value, slots).ok_or_else(|| {
                    ferr(format!(
                        "the function starts at byte {}, which is not an instruction of the \
                         {}-byte section",
                        sym.value, sec.size
                    ))
                })?;
                let next = match syms.get(i.saturating_add(1)) {
                    Some(n) => slot_of(n.value, slots).unwrap_or(slots),
                    None => slots,
                };
                if next <= start {
                    return Err(ferr(format!(
                        "the function shares offset {} with '{}'",
                        sym.value,
                        syms.get(i.saturating_add(1))
                            .map_or("?", |n| n.name.as_str())
                    )));
                }
                // The symbol size bounds the function when present; padding past it is not code.
                let end = match sym.size {
                    0 => next,
                    size => {
                        let len = usize::try_from(size / SLOT).unwrap_or(usize::MAX);
                        if size % SLOT != 0 || start.saturating_add(len) > next {
                            return Err(ferr(format!(
                                "the function's size {size} does not fit between offset {} \
                                 and the next function or the end of the section",
                                sym.value
                            )));
                        }
                        start.saturating_add(len)
                    }
                };
                let body = insns
                    .get(start..end)
                    .map(<[Insn]>::to_vec)
                    .unwrap_or_default();
                functions.push(RawFunction {
                    function: new_function(sym.name.clone(), &sec.name, start, body),
                    section_index: sec.index,
                });
            }
        }
        let starts = functions
            .iter()
            .enumerate()
            .map(|(id, f)| ((f.section_index, f.function.section_offset), id))
            .collect();
        Ok(Code {
            functions,
            starts,
            broken: BTreeMap::new(),
        })
    }

    /// The function of `section` holding slot `slot`, with the slot's index in it.
    pub fn locate(&self, section: usize, slot: usize) -> Option<(usize, usize)> {
        let (&(sec, start), &id) = self.starts.range(..=(section, slot)).next_back()?;
        let local = slot.checked_sub(start)?;
        let len = self.functions.get(id)?.function.insns.len();
        (sec == section && local < len).then_some((id, local))
    }

    fn function_at(&self, section: usize, slot: usize) -> Option<usize> {
        self.starts.get(&(section, slot)).copied()
    }

    fn insn_error(&self, elf: &ElfFile<'_>, func: usize, insn: usize, msg: String) -> Error {
        let mut loc = Location::file(elf.path);
        if let Some(f) = self.functions.get(func) {
            loc = loc.section(&f.function.section).function(&f.function.name);
        }
        Error::new(loc.insn(insn), msg)
    }

    /// Resolves every relocation of code, then the local calls clang resolved itself.
    pub fn resolve_relocations(&mut self, elf: &ElfFile<'_>, maps: &Maps) -> Result<()> {
        let code_sections: BTreeSet<usize> =
            self.functions.iter().map(|f| f.section_index).collect();
        for &section in &code_sections {
            for (table, rel) in elf.relocations_for(section) {
                if let Err((func, e)) = self.apply(elf, maps, section, table, rel)? {
                    self.broken.entry(func).or_insert(e);
                }
            }
        }
        for id in 0..self.functions.len() {
            if let Err(e) = self.resolve_local_calls(elf, id) {
                self.broken.entry(id).or_insert(e);
            }
        }
        Ok(())
    }

    /// Applies one relocation. The outer error concerns the object (a relocation outside
    /// every function); the inner one concerns the function holding the relocation.
    fn apply(
        &mut self,
        elf: &ElfFile<'_>,
        maps: &Maps,
        section: usize,
        table: &str,
        rel: &Relocation,
    ) -> Result<std::result::Result<(), (usize, Error)>> {
        if rel.r_type == R_BPF_NONE {
            return Ok(Ok(()));
        }
        let sec_name = elf.section_name(section).to_string();
        let slot = usize::try_from(rel.offset)
            .ok()
            .filter(|o| o % INSN_SIZE == 0)
            .map(|o| o / INSN_SIZE)
            .ok_or_else(|| {
                elf.error_in(
                    &sec_name,
                    format!(
                        "relocation in '{table}' at byte {} is not on an instruction",
                        rel.offset
                    ),
                )
            })?;
        let (func, local) = self.locate(section, slot).ok_or_else(|| {
            elf.error_in(
                &sec_name,
                format!(
                    "relocation in '{table}' at byte {} is outside every function",
                    rel.offset
                ),
            )
        })?;
        Ok(self
            .apply_in(elf, maps, table, rel, func, local)
            .map_err(|e| (func, e)))
    }

    fn apply_in(
        &mut self,
        elf: &ElfFile<'_>,
        maps: &Maps,
        table: &str,
        rel: &Relocation,
        func: usize,
        local: usize,
    ) -> Result<()> {
        let fail = |msg: String| self.insn_error(elf, func, local, msg);
        let sym = elf.symbol(rel.symbol).ok_or_else(|| {
            fail(format!(
                "relocation in '{table}' refers to symbol {}, which does not exist",
                rel.symbol
            ))
        })?;
        let sym_section = match sym.section {
            SymSection::Section(s) => s,
            SymSection::Undefined => {
                return Err(fail(format!("unresolved external symbol '{}'", sym.name)))
            }
            SymSection::Special => {
                return Err(fail(format!(
                    "relocation against '{}', which is not defined in a section",
                    sym.name
                )))
            }
        };
        let insn = self
            .functions
            .get(func)
            .and_then(|f| f.function.insns.get(local))
            .copied()
            .ok_or_else(|| fail("relocated instruction is missing".into()))?;
        let already = self
            .functions
            .get(func)
            .is_some_and(|f| f.function.relocs.contains_key(&local));
        if already {
            return Err(fail("the instruction is relocated twice".into()));
        }
        // The addend of REL entries lives in the instruction's immediate, as libbpf reads it.
        let addend = i64::from(insn.imm).saturating_add(rel.addend.unwrap_or(0));
        let target_is_code = elf.section(sym_section).is_some_and(|s| s.is_executable());

        let reloc = match rel.r_type {
            R_BPF_64_64 => {
                if !insn.is_lddw() {
                    return Err(fail(format!(
                        "R_BPF_64_64 relocation against '{}' on an instruction that is not lddw",
                        sym.name
                    )));
                }
                if target_is_code || sym.kind == abi::STT_FUNC {
                    return Err(fail("lddw of a function address is not supported".into()));
                }
                if sym.kind == abi::STT_SECTION && maps.is_map_definition_section(sym_section) {
                    // Only a map's own symbol names it; a section symbol plus an offset in
                    // the immediate is how clang refers to `static` maps.
                    return Err(fail(format!(
                        "lddw refers to a map through the section symbol '{}' (a static map?); \
                         only maps with their own symbol are supported, so drop 'static'",
                        sym.name
                    )));
                }
                match maps.target(sym_section, sym.value) {
                    MapTarget::Definition(map) => Reloc::MapFd(map),
                    MapTarget::Data { map, size } => {
                        let offset = i64::try_from(sym.value)
                            .ok()
                            .and_then(|v| v.checked_add(addend))
                            .filter(|&o| o >= 0 && o as u64 <= size)
                            .and_then(|o| u32::try_from(o).ok())
                            .ok_or_else(|| {
                                fail(format!(
                                    "address of '{}' + {addend} lies outside section '{}'",
                                    sym.name,
                                    elf.section_name(sym_section)
                                ))
                            })?;
                        Reloc::MapValue { map, offset }
                    }
                    MapTarget::NotAMap if maps.is_map_definition_section(sym_section) => {
                        return Err(fail(format!(
                            "lddw refers to '{}' in map section '{}', but no map starts there",
                            sym.name,
                            elf.section_name(sym_section)
                        )))
                    }
                    MapTarget::NotAMap => {
                        return Err(fail(format!(
                            "lddw refers to '{}' in section '{}', which holds neither maps nor \
                             global data",
                            sym.name,
                            elf.section_name(sym_section)
                        )))
                    }
                }
            }
            R_BPF_64_32 => {
                if !insn.is_call() {
                    return Err(fail(format!(
                        "R_BPF_64_32 relocation against '{}' on an instruction that is not a call",
                        sym.name
                    )));
                }
                if !target_is_code {
                    return Err(fail(format!(
                        "call to '{}', which is not code (section '{}')",
                        sym.name,
                        elf.section_name(sym_section)
                    )));
                }
                // libbpf's rule: the callee's slot is the symbol's slot plus imm + 1, which
                // covers global functions (imm = -1) and static ones (section symbol + offset).
                let target = (sym.value % SLOT == 0)
                    .then(|| i64::try_from(sym.value / SLOT).ok())
                    .flatten()
                    .and_then(|s| s.checked_add(addend))
                    .and_then(|s| s.checked_add(1))
                    .and_then(|s| usize::try_from(s).ok());
                let callee = target
                    .and_then(|t| self.function_at(sym_section, t))
                    .ok_or_else(|| {
                        fail(format!(
                            "call target (slot {} of section '{}', via '{}') is not the start \
                             of a function",
                            target.map_or_else(|| "?".to_string(), |t| t.to_string()),
                            elf.section_name(sym_section),
                            sym.name
                        ))
                    })?;
                Reloc::Call(callee)
            }
            other => {
                return Err(fail(format!(
                    "relocation {} in '{table}' is not supported in code",
                    relocation_type_name(other)
                )))
            }
        };
        self.set_reloc(func, local, reloc);
        Ok(())
    }

    /// Records a relocation and rewrites the instruction into its loaded form.
    fn set_reloc(&mut self, func: usize, local: usize, reloc: Reloc) {
        let Some(f) = self.functions.get_mut(func) else {
            return;
        };
        let f = &mut f.function;
        f.relocs.insert(local, reloc);
        let (src, imm, second) = match reloc {
            Reloc::MapFd(map) => (BPF_PSEUDO_MAP_FD, map, Some(0)),
            Reloc::MapValue { map, offset } => (BPF_PSEUDO_MAP_VALUE, map, Some(offset as i32)),
            Reloc::Call(_) => {
                if let Some(i) = f.insns.get_mut(local) {
                    i.src = BPF_PSEUDO_CALL;
                }
                return;
            }
        };
        if let Some(i) = f.insns.get_mut(local) {
            i.src = src;
            i.imm = i32::try_from(imm).unwrap_or(i32::MAX);
        }
        if let (Some(second), Some(next)) = (second, f.insns.get_mut(local.saturating_add(1))) {
            next.imm = second;
        }
    }

    /// A call with src = 1 and no relocation is pc-relative within its section.
    fn resolve_local_calls(&mut self, elf: &ElfFile<'_>, id: usize) -> Result<()> {
        let Some(f) = self.functions.get(id) else {
            return Ok(());
        };
        let mut found = Vec::new();
        for (local, insn) in f.function.insns.iter().enumerate() {
            if !insn.is_local_call() || f.function.relocs.contains_key(&local) {
                continue;
            }
            let target = i64::try_from(f.function.section_offset.saturating_add(local))
                .ok()
                .and_then(|pc| pc.checked_add(i64::from(insn.imm)))
                .and_then(|t| t.checked_add(1))
                .and_then(|t| usize::try_from(t).ok());
            match target.and_then(|t| self.function_at(f.section_index, t)) {
                Some(callee) => found.push((local, callee)),
                None => {
                    return Err(self.insn_error(
                        elf,
                        id,
                        local,
                        format!(
                            "local call target (slot {}) is not the start of a function",
                            target.map_or_else(|| "out of range".to_string(), |t| t.to_string())
                        ),
                    ))
                }
            }
        }
        for (local, callee) in found {
            self.set_reloc(id, local, Reloc::Call(callee));
        }
        Ok(())
    }

    /// The programs, found as libbpf and PREVAIL find them: every function of an executable
    /// section other than `.text` (global or, in old objects, static); and when no section
    /// but `.text` holds code, the `.text` functions no other function calls. Each comes with
    /// its program type, or why the type cannot be verified.
    pub fn program_entries(&self, elf: &ElfFile<'_>) -> Result<Vec<Entry>> {
        let mut called = vec![false; self.functions.len()];
        for f in &self.functions {
            for r in f.function.relocs.values() {
                if let Reloc::Call(c) = *r {
                    if let Some(flag) = called.get_mut(c) {
                        *flag = true;
                    }
                }
            }
        }
        let uncalled = |id: usize| !called.get(id).copied().unwrap_or(true);
        let mut ids: Vec<usize> = self
            .functions
            .iter()
            .enumerate()
            .filter(|(_, f)| f.function.section != ".text")
            .map(|(id, _)| id)
            .collect();
        if ids.is_empty() {
            ids = (0..self.functions.len())
                .filter(|&id| uncalled(id))
                .collect();
        }
        if ids.is_empty() {
            return Err(Error::new(
                Location::file(elf.path),
                "the object holds no program: no executable section has a function that could \
                 be one",
            ));
        }
        Ok(ids
            .into_iter()
            .filter_map(|id| {
                let f = self.functions.get(id)?;
                let kind = program_kind(&f.function.section, elf.path).map_err(|reason| {
                    Error::new(
                        Location::file(elf.path)
                            .section(&f.function.section)
                            .function(&f.function.name),
                        reason,
                    )
                });
                Some((id, kind))
            })
            .collect())
    }

    /// Drops functions no program reaches and renumbers the rest.
    pub fn finish(
        self,
        elf: &ElfFile<'_>,
        entries: Vec<Entry>,
    ) -> Result<(Vec<Function>, Vec<Program>)> {
        // Reachability over raw ids; the walk visits each function once.
        let mut keep = vec![false; self.functions.len()];
        let mut stack: Vec<usize> = entries.iter().map(|(id, _)| *id).collect();
        while let Some(id) = stack.pop() {
            match keep.get_mut(id) {
                Some(k) if !*k => *k = true,
                _ => continue,
            }
            if let Some(f) = self.functions.get(id) {
                for r in f.function.relocs.values() {
                    if let Reloc::Call(c) = *r {
                        stack.push(c);
                    }
                }
            }
        }
        let mut names = BTreeSet::new();
        for f in self
            .functions
            .iter()
            .zip(&keep)
            .filter(|(_, &k)| k)
            .map(|(f, _)| f)
        {
            if !names.insert(f.function.name.as_str()) {
                return Err(elf.error_in(
                    &f.function.section,
                    format!("two functions are named '{}'", f.function.name),
                ));
            }
        }
        let mut new_id: BTreeMap<usize, FunctionId> = BTreeMap::new();
        for (id, _) in keep.iter().enumerate().filter(|(_, &k)| k) {
            let next = new_id.len();
            new_id.insert(id, next);
        }

        // A program is refused with the first reason any function it runs cannot be loaded.
        let refusal_of = |entry: usize| -> Option<Error> {
            let mut seen = BTreeSet::new();
            let mut stack = vec![entry];
            while let Some(id) = stack.pop() {
                if !seen.insert(id) {
                    continue;
                }
                if let Some(e) = self.broken.get(&id) {
                    return Some(e.clone());
                }
                if let Some(f) = self.functions.get(id) {
                    for r in f.function.relocs.values().rev() {
                        if let Reloc::Call(c) = *r {
                            stack.push(c);
                        }
                    }
                }
            }
            None
        };
        let programs = entries
            .into_iter()
            .filter_map(|(id, kind)| {
                let f = self.functions.get(id)?;
                let (prog_type, refusal) = match kind {
                    Ok(kind) => (kind, refusal_of(id)),
                    // The type cannot be verified; the name says what it would have been.
                    Err(e) => (
                        ProgramKind::VerifyOnly {
                            name: "unsupported".to_string(),
                            prevail_section: f.function.section.clone(),
                        },
                        Some(e),
                    ),
                };
                Some(Program {
                    name: f.function.name.clone(),
                    section: f.function.section.clone(),
                    prog_type,
                    entry: *new_id.get(&id)?,
                    refusal,
                })
            })
            .collect();
        let functions = self
            .functions
            .into_iter()
            .enumerate()
            .filter(|(id, _)| new_id.contains_key(id))
            .map(|(_, raw)| {
                let mut f = raw.function;
                for r in f.relocs.values_mut() {
                    if let Reloc::Call(c) = r {
                        // Every callee of a kept function is kept.
                        *c = new_id.get(c).copied().unwrap_or(usize::MAX);
                    }
                }
                f
            })
            .collect();
        Ok((functions, programs))
    }
}

fn slot_of(value: u64, slots: usize) -> Option<usize> {
    if !value.is_multiple_of(SLOT) {
        return None;
    }
    usize::try_from(value / SLOT).ok().filter(|&s| s < slots)
}

fn new_function(name: String, section: &str, start: usize, insns: Vec<Insn>) -> Function {
    Function {
        name,
        section: section.to_string(),
        section_offset: start,
        insns,
        relocs: BTreeMap::new(),
        line_info: Vec::new(),
    }
}
