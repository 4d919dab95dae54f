//! ELF objects as clang (14 and later) emits them for `-target bpf` / `-target bpfeb`.
//!
//! Reading follows libbpf's conventions: every executable section other than `.text` holds
//! programs, one per global function symbol; `.text` holds subprograms; maps come from the
//! legacy `maps` sections, the BTF-described `.maps` section and global data sections; and
//! every reference from code to a map or a function is taken from a relocation's symbol.
//!
//! The file is untrusted input. Every offset and count is checked before use, so any byte
//! sequence yields either an [`Object`] or an [`Error`] naming the file, and where it can the
//! section, function and instruction.
//!
//! Instructions that carry map relocations are rewritten into the form a loader hands the
//! kernel (`src = BPF_PSEUDO_MAP_FD` or `BPF_PSEUDO_MAP_VALUE`, `imm` = map index, the
//! second slot's `imm` = value offset), so disassembly and verification see loaded code;
//! local calls get `src = BPF_PSEUDO_CALL`. The resolved [`Reloc`](super::Reloc) stays the only
//! source of truth for what an instruction refers to.

// Untrusted bytes: no indexing, unchecked arithmetic, unwrap or panic here or in the
// submodules, which inherit these levels.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

mod code;
mod lines;
mod maps;

use std::collections::BTreeMap;
use std::path::Path;

use object::elf::{self as abi, FileHeader64};
use object::read::elf::{FileHeader, Rel as _, Rela as _, SectionHeader as _, Sym as _};
use object::Endianness;

use super::btf::ext::BtfExt;
use super::btf::Btf;
use super::bytes::ByteOrder;
use super::{validate, Object, ObjectKind};
use crate::error::{Error, Location, Result};

/// Reads the eBPF object file at `path`.
pub fn load_path(path: &Path) -> Result<Object> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::new(Location::file(path), format!("cannot read the file: {e}")))?;
    load_elf(&bytes, path)
}

/// Reads an eBPF ELF object from `bytes`; `path` names it in diagnostics and gives the
/// object its name.
pub fn load_elf(bytes: &[u8], path: &Path) -> Result<Object> {
    let elf = ElfFile::parse(bytes, path)?;
    let mut btf = elf.btf()?;
    if let Some(btf) = btf.as_mut() {
        elf.fix_datasecs(btf);
    }
    let ext = match (&btf, elf.section_by_name(".BTF.ext")) {
        (Some(btf), Some(sec)) => Some(
            BtfExt::parse(sec.data, btf)
                .map_err(|e| elf.error_in(&sec.name, format!("invalid BTF.ext: {e}")))?,
        ),
        (None, Some(sec)) => return Err(elf.error_in(&sec.name, "BTF.ext without a .BTF section")),
        _ => None,
    };

    let mut code = code::Code::collect(&elf)?;
    if let (Some(btf), Some(ext)) = (&btf, &ext) {
        lines::reject_core_relocations(&elf, &mut code, btf, ext)?;
        lines::attach_line_info(&elf, &mut code, ext)?;
    }
    let maps = maps::collect(&elf, btf.as_ref())?;
    code.resolve_relocations(&elf, &maps)?;
    let entries = code.program_entries(&elf)?;
    let (functions, programs) = code.finish(&elf, entries)?;
    let maps = maps.finish(&elf, &programs)?;

    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut object = Object {
        path: path.to_path_buf(),
        name: super::c_identifier(&stem),
        kind: ObjectKind::Elf,
        little_endian: elf.order.little,
        maps,
        functions,
        programs,
        btf,
        notes: elf.notes.clone(),
    };
    validate::validate_programs(&mut object);
    Ok(object)
}

/// One section header with its name and contents.
struct Section<'a> {
    index: usize,
    name: String,
    sh_type: u32,
    flags: u64,
    size: u64,
    /// The section's bytes; empty for `SHT_NOBITS`.
    data: &'a [u8],
}

impl Section<'_> {
    fn is_executable(&self) -> bool {
        self.sh_type == abi::SHT_PROGBITS && self.flags & u64::from(abi::SHF_EXECINSTR) != 0
    }

    fn is_nobits(&self) -> bool {
        self.sh_type == abi::SHT_NOBITS
    }
}

/// Where a symbol is defined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SymSection {
    Undefined,
    /// SHN_ABS, SHN_COMMON and other reserved indices.
    Special,
    Section(usize),
}

struct Symbol {
    name: String,
    value: u64,
    size: u64,
    kind: u8,
    section: SymSection,
}

impl Symbol {
    fn in_section(&self, index: usize) -> bool {
        self.section == SymSection::Section(index)
    }
}

/// One relocation entry; `addend` is only present in `SHT_RELA` tables.
struct Relocation {
    offset: u64,
    symbol: usize,
    r_type: u32,
    addend: Option<i64>,
}

struct RelocationTable {
    /// The relocation section's name, for messages.
    name: String,
    entries: Vec<Relocation>,
}

/// The parts of an ELF file the loader uses, decoded once.
struct ElfFile<'a> {
    path: &'a Path,
    order: ByteOrder,
    sections: Vec<Section<'a>>,
    symbols: Vec<Symbol>,
    /// Relocation tables keyed by the index of the section they patch.
    relocations: BTreeMap<usize, Vec<RelocationTable>>,
    notes: Vec<String>,
}

// Relocation types of the eBPF ELF ABI.
const R_BPF_NONE: u32 = 0;
const R_BPF_64_64: u32 = 1;
const R_BPF_64_ABS64: u32 = 2;
const R_BPF_64_32: u32 = 10;

fn relocation_type_name(r_type: u32) -> String {
    match r_type {
        0 => "R_BPF_NONE".into(),
        1 => "R_BPF_64_64".into(),
        2 => "R_BPF_64_ABS64".into(),
        3 => "R_BPF_64_ABS32".into(),
        4 => "R_BPF_64_NODYLD32".into(),
        10 => "R_BPF_64_32".into(),
        n => format!("type {n}"),
    }
}

impl<'a> ElfFile<'a> {
    fn parse(bytes: &'a [u8], path: &'a Path) -> Result<ElfFile<'a>> {
        let err = |msg: String| Error::new(Location::file(path), msg);
        if bytes.get(..4) != Some(&abi::ELFMAG[..]) {
            return Err(err("not an ELF file".into()));
        }
        if bytes.get(4) != Some(&abi::ELFCLASS64) {
            return Err(err(
                "not a 64-bit ELF file, so not an eBPF object (eBPF objects are ELF64)".into(),
            ));
        }
        let header = FileHeader64::<Endianness>::parse(bytes)
            .map_err(|e| err(format!("invalid ELF header: {e}")))?;
        let endian = header
            .endian()
            .map_err(|e| err(format!("invalid ELF header: {e}")))?;
        let machine = header.e_machine(endian);
        let mut notes = Vec::new();
        if machine == abi::EM_NONE {
            // Clang before 3.9 (and some hand-made objects) left the machine unset.
            notes.push(
                "the ELF machine is 0 (EM_NONE), as old compilers wrote it; read as eBPF".into(),
            );
        } else if machine != abi::EM_BPF {
            return Err(err(format!(
                "not an eBPF object: the ELF machine is {machine}, not EM_BPF ({})",
                abi::EM_BPF
            )));
        }
        if header.e_type(endian) != abi::ET_REL {
            return Err(err(format!(
                "not a relocatable object (ELF type {}); eBPF objects are ET_REL",
                header.e_type(endian)
            )));
        }
        let table = header
            .sections(endian, bytes)
            .map_err(|e| err(format!("invalid section table: {e}")))?;

        let mut sections = Vec::with_capacity(table.len());
        for (index, sh) in table.iter().enumerate() {
            let name = table
                .section_name(endian, sh)
                .map_err(|e| err(format!("section {index} has an invalid name: {e}")))?;
            let name = String::from_utf8_lossy(name).into_owned();
            let data = sh.data(endian, bytes).map_err(|e| {
                err(format!(
                    "section '{name}' lies outside the file or is malformed: {e}"
                ))
            })?;
            sections.push(Section {
                index,
                name,
                sh_type: sh.sh_type(endian),
                flags: sh.sh_flags(endian),
                size: sh.sh_size(endian),
                data,
            });
        }

        let symtab = table
            .symbols(endian, bytes, abi::SHT_SYMTAB)
            .map_err(|e| err(format!("invalid symbol table: {e}")))?;
        let mut symbols = Vec::with_capacity(symtab.len());
        for (i, sym) in symtab.enumerate() {
            let name = symtab
                .symbol_name(endian, sym)
                .map_err(|e| err(format!("symbol {} has an invalid name: {e}", i.0)))?;
            let section = match sym.st_shndx(endian) {
                abi::SHN_UNDEF => SymSection::Undefined,
                _ => match symtab.symbol_section(endian, sym, i) {
                    Ok(Some(s)) if s.0 < sections.len() => SymSection::Section(s.0),
                    Ok(Some(s)) => {
                        return Err(err(format!(
                            "symbol {} refers to section {}, which does not exist",
                            i.0, s.0
                        )))
                    }
                    Ok(None) => SymSection::Special,
                    Err(e) => return Err(err(format!("symbol {} is malformed: {e}", i.0))),
                },
            };
            let mut name = String::from_utf8_lossy(name).into_owned();
            if let (true, SymSection::Section(s)) = (name.is_empty(), section) {
                // Section symbols are nameless; messages name them after their section.
                if sym.st_type() == abi::STT_SECTION {
                    name = sections.get(s).map(|s| s.name.clone()).unwrap_or_default();
                }
            }
            symbols.push(Symbol {
                name,
                value: sym.st_value(endian),
                size: sym.st_size(endian),
                kind: sym.st_type(),
                section,
            });
        }

        let mut relocations: BTreeMap<usize, Vec<RelocationTable>> = BTreeMap::new();
        for (sh, sec) in table.iter().zip(&sections) {
            let target = sh.sh_info(endian) as usize;
            let bad = |e: object::read::Error| {
                err(format!(
                    "relocation section '{}' is malformed: {e}",
                    sec.name
                ))
            };
            let entries: Vec<Relocation> =
                if let Some((rels, _)) = sh.rel(endian, bytes).map_err(bad)? {
                    rels.iter()
                        .map(|r| Relocation {
                            offset: r.r_offset(endian),
                            symbol: r.r_sym(endian) as usize,
                            r_type: r.r_type(endian),
                            addend: None,
                        })
                        .collect()
                } else if let Some((relas, _)) = sh.rela(endian, bytes).map_err(bad)? {
                    relas
                        .iter()
                        .map(|r| Relocation {
                            offset: r.r_offset(endian),
                            symbol: r.r_sym(endian, false) as usize,
                            r_type: r.r_type(endian, false),
                            addend: Some(r.r_addend(endian)),
                        })
                        .collect()
                } else {
                    continue;
                };
            if target == 0 || target >= sections.len() {
                return Err(err(format!(
                    "relocation section '{}' applies to section {target}, which does not exist",
                    sec.name
                )));
            }
            relocations
                .entry(target)
                .or_default()
                .push(RelocationTable {
                    name: sec.name.clone(),
                    entries,
                });
        }

        Ok(ElfFile {
            path,
            order: ByteOrder {
                little: endian == Endianness::Little,
            },
            sections,
            symbols,
            relocations,
            notes,
        })
    }

    fn section_by_name(&self, name: &str) -> Option<&Section<'a>> {
        self.sections.iter().find(|s| s.name == name)
    }

    fn section(&self, index: usize) -> Option<&Section<'a>> {
        self.sections.get(index)
    }

    fn section_name(&self, index: usize) -> &str {
        self.sections.get(index).map_or("?", |s| s.name.as_str())
    }

    fn symbol(&self, index: usize) -> Option<&Symbol> {
        // Symbol 0 is the reserved null symbol; nothing may refer to it.
        self.symbols.get(index).filter(|_| index != 0)
    }

    fn relocations_for(&self, section: usize) -> impl Iterator<Item = (&str, &Relocation)> {
        self.relocations
            .get(&section)
            .into_iter()
            .flatten()
            .flat_map(|t| t.entries.iter().map(move |r| (t.name.as_str(), r)))
    }

    fn error_in(&self, section: &str, msg: impl Into<String>) -> Error {
        Error::new(Location::file(self.path).section(section), msg)
    }

    fn btf(&self) -> Result<Option<Btf>> {
        let Some(sec) = self.section_by_name(".BTF") else {
            return Ok(None);
        };
        Btf::parse(sec.data, self.order.little)
            .map(Some)
            .map_err(|e| self.error_in(&sec.name, format!("invalid BTF: {e}")))
    }

    /// Fills in the DATASEC sizes and variable offsets clang leaves for the linker, from the
    /// section headers and the symbol table, as libbpf does before loading.
    fn fix_datasecs(&self, btf: &mut Btf) {
        let fixes: Vec<(u32, usize, u32)> = btf
            .datasecs()
            .filter_map(|(id, name, _)| {
                let sec = self.section_by_name(name)?;
                Some((id, sec.index, u32::try_from(sec.size).unwrap_or(u32::MAX)))
            })
            .collect();
        for (id, index, size) in fixes {
            btf.fix_datasec(id, size, |var| {
                self.symbols
                    .iter()
                    .find(|s| s.in_section(index) && s.name == var && s.kind != abi::STT_SECTION)
                    .and_then(|s| u32::try_from(s.value).ok())
            });
        }
    }
}

#[cfg(test)]
mod tests;
