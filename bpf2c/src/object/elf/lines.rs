//! `.BTF.ext` applied to functions: line info, and the refusal of CO-RE relocations.

use super::code::Code;
use super::ElfFile;
use crate::error::{Error, Location, Result};
use crate::insn::INSN_SIZE;
use crate::object::btf::ext::BtfExt;
use crate::object::btf::Btf;
use crate::object::LineInfo;

/// The index of the executable section named `name`.
fn code_section(elf: &ElfFile<'_>, name: &str) -> Option<usize> {
    elf.sections
        .iter()
        .find(|s| s.name == name && s.is_executable())
        .map(|s| s.index)
}

/// The slot `insn_off` bytes into a section, when the offset is on a slot boundary.
fn slot(insn_off: u32) -> Option<usize> {
    let off = usize::try_from(insn_off).ok()?;
    (off % INSN_SIZE == 0).then_some(off / INSN_SIZE)
}

/// The executable section named `name` and the slot `insn_off` bytes into it.
fn place(elf: &ElfFile<'_>, name: &str, insn_off: u32) -> Option<(usize, usize)> {
    Some((code_section(elf, name)?, slot(insn_off)?))
}

/// CO-RE relocations patch field offsets against the running kernel's BTF; there is no
/// kernel to relocate against here, so an object that needs them is refused.
pub(super) fn reject_core_relocations(
    elf: &ElfFile<'_>,
    code: &mut Code,
    btf: &Btf,
    ext: &BtfExt,
) -> Result<()> {
    for group in &ext.core_relos {
        for relo in &group.records {
            let reason = format!(
                "CO-RE relocations are not supported ({} relocation of type '{}', access {})",
                relo.kind_name(),
                btf.display_name(relo.type_id),
                relo.access
            );
            let slot = place(elf, &group.section, relo.insn_off);
            match slot.and_then(|(sec, slot)| code.locate(sec, slot)) {
                // A relocation marks its own function: the programs running it are refused,
                // the object's other programs are not.
                Some((func, local)) => {
                    let name = code
                        .functions
                        .get(func)
                        .map(|f| f.function.name.clone())
                        .unwrap_or_default();
                    let loc = Location::file(elf.path)
                        .section(&group.section)
                        .function(&name)
                        .insn(local);
                    code.broken
                        .entry(func)
                        .or_insert_with(|| Error::new(loc, reason));
                }
                None => {
                    let mut loc = Location::file(elf.path).section(&group.section);
                    if let Some((_, slot)) = slot {
                        loc = loc.insn(slot);
                    }
                    return Err(Error::new(loc, reason));
                }
            }
        }
    }
    Ok(())
}

/// Converts line records (byte offsets in sections) into per-function instruction indices.
pub(super) fn attach_line_info(elf: &ElfFile<'_>, code: &mut Code, ext: &BtfExt) -> Result<()> {
    for group in &ext.line_info {
        let section = code_section(elf, &group.section);
        for rec in &group.records {
            let located = section
                .zip(slot(rec.insn_off))
                .and_then(|(sec, slot)| code.locate(sec, slot));
            let Some((func, insn)) = located else {
                return Err(elf.error_in(
                    &group.section,
                    format!(
                        "line info for byte {} ({}:{}) does not fall on an instruction of a \
                         function",
                        rec.insn_off, rec.file, rec.line
                    ),
                ));
            };
            if let Some(f) = code.functions.get_mut(func) {
                f.function.line_info.push(LineInfo {
                    insn,
                    file: rec.file.clone(),
                    line: rec.line,
                    column: rec.column,
                    source: rec.source.clone(),
                });
            }
        }
    }
    for f in &mut code.functions {
        // Stable, so records clang emits for one instruction keep their order.
        f.function.line_info.sort_by_key(|l| l.insn);
    }
    Ok(())
}
