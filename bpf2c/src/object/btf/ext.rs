//! `.BTF.ext`: per-section function info, line info and CO-RE relocations.
//!
//! In an object file every `insn_off` counts bytes from the start of the ELF section named by
//! the record group (the linker would rebase them), and every string offset points into the
//! `.BTF` string section, so this parser needs the [`Btf`] it belongs to.

use super::{Btf, BtfError, BtfResult, TypeId};
use crate::object::bytes::{slice, ByteOrder};

const BTF_MAGIC: u16 = 0xeb9f;
/// Header up to and including the line info fields; CO-RE fields follow when present.
const MIN_HEADER_LEN: usize = 24;
const CORE_HEADER_LEN: usize = 32;

/// Records of one kind for one ELF section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectionRecords<T> {
    pub section: String,
    pub records: Vec<T>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FuncInfo {
    /// Byte offset of the function's first instruction in its section.
    pub insn_off: u32,
    /// The FUNC type describing it.
    pub type_id: TypeId,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineRecord {
    /// Byte offset of the instruction in its section.
    pub insn_off: u32,
    pub file: String,
    /// Text of the source line.
    pub source: String,
    pub line: u32,
    pub column: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoreRelo {
    /// Byte offset of the relocated instruction in its section.
    pub insn_off: u32,
    pub type_id: TypeId,
    /// The access string, e.g. `0:1` for the second member.
    pub access: String,
    pub kind: u32,
}

impl CoreRelo {
    /// libbpf's name for the relocation kind.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            0 => "byte_off",
            1 => "byte_sz",
            2 => "field_exists",
            3 => "signed",
            4 => "lshift_u64",
            5 => "rshift_u64",
            6 => "local_type_id",
            7 => "target_type_id",
            8 => "type_exists",
            9 => "type_size",
            10 => "enumval_exists",
            11 => "enumval_value",
            12 => "type_matches",
            _ => "unknown",
        }
    }
}

/// The parsed `.BTF.ext` section.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BtfExt {
    pub func_info: Vec<SectionRecords<FuncInfo>>,
    pub line_info: Vec<SectionRecords<LineRecord>>,
    pub core_relos: Vec<SectionRecords<CoreRelo>>,
}

impl BtfExt {
    /// Parses `.BTF.ext`, resolving names and source text through `btf`'s strings.
    pub fn parse(data: &[u8], btf: &Btf) -> BtfResult<BtfExt> {
        let order = ByteOrder {
            little: btf.little_endian(),
        };
        let truncated = |what: &'static str, offset: usize| BtfError::Truncated { what, offset };
        let magic = order
            .u16(data, 0)
            .ok_or_else(|| truncated("BTF.ext header", 0))?;
        if magic != BTF_MAGIC {
            return Err(if magic.swap_bytes() == BTF_MAGIC {
                BtfError::WrongByteOrder
            } else {
                BtfError::BadMagic(magic)
            });
        }
        let version = data.get(2).copied().unwrap_or_default();
        if version != 1 {
            return Err(BtfError::UnsupportedVersion(version));
        }
        let hdr_len = order
            .u32(data, 4)
            .ok_or_else(|| truncated("BTF.ext header", 4))? as usize;
        if hdr_len < MIN_HEADER_LEN || hdr_len > data.len() {
            return Err(BtfError::BadHeader(format!(
                "BTF.ext header length {hdr_len} is invalid for {} bytes",
                data.len()
            )));
        }
        let field = |off: usize| order.u32(data, off).unwrap_or_default() as usize;
        let region = |off: usize, len: usize, what: &str| {
            hdr_len
                .checked_add(off)
                .and_then(|start| slice(data, start, len))
                .ok_or_else(|| {
                    BtfError::BadHeader(format!(
                        "BTF.ext {what} ({len} bytes at offset {off}) lies outside the section"
                    ))
                })
        };

        let mut ext = BtfExt::default();
        let funcs = region(field(8), field(12), "func info")?;
        ext.func_info = parse_groups(funcs, order, btf, 8, "func info", |r| {
            Ok(FuncInfo {
                insn_off: word(r, 0, order)?,
                type_id: word(r, 4, order)?,
            })
        })?;
        let lines = region(field(16), field(20), "line info")?;
        ext.line_info = parse_groups(lines, order, btf, 16, "line info", |r| {
            let line_col = word(r, 12, order)?;
            Ok(LineRecord {
                insn_off: word(r, 0, order)?,
                file: btf.string(word(r, 4, order)?)?.into_owned(),
                source: btf.string(word(r, 8, order)?)?.into_owned(),
                line: line_col >> 10,
                column: line_col & 0x3ff,
            })
        })?;
        if hdr_len >= CORE_HEADER_LEN {
            let core = region(field(24), field(28), "CO-RE relocations")?;
            ext.core_relos = parse_groups(core, order, btf, 16, "CO-RE relocation", |r| {
                Ok(CoreRelo {
                    insn_off: word(r, 0, order)?,
                    type_id: word(r, 4, order)?,
                    access: btf.string(word(r, 8, order)?)?.into_owned(),
                    kind: word(r, 12, order)?,
                })
            })?;
        }
        Ok(ext)
    }
}

fn word(record: &[u8], off: usize, order: ByteOrder) -> BtfResult<u32> {
    order.u32(record, off).ok_or(BtfError::Truncated {
        what: "BTF.ext record",
        offset: off,
    })
}

/// Parses one info region: a record size, then groups of (section name, count, records).
fn parse_groups<T>(
    data: &[u8],
    order: ByteOrder,
    btf: &Btf,
    min_record: usize,
    what: &'static str,
    parse: impl Fn(&[u8]) -> BtfResult<T>,
) -> BtfResult<Vec<SectionRecords<T>>> {
    let mut out = Vec::new();
    if data.is_empty() {
        return Ok(out);
    }
    let record_size = order
        .u32(data, 0)
        .ok_or(BtfError::Truncated { what, offset: 0 })? as usize;
    if record_size < min_record {
        return Err(BtfError::BadHeader(format!(
            "{what} records are {record_size} bytes, below the minimum of {min_record}"
        )));
    }
    let mut pos = 4usize;
    // Each group takes at least its 8-byte head, so the loop ends.
    while pos < data.len() {
        let head = |off: usize| {
            order
                .u32(data, off)
                .ok_or(BtfError::Truncated { what, offset: off })
        };
        let name_off = head(pos)?;
        let count = head(pos.saturating_add(4))? as usize;
        pos = pos.saturating_add(8);
        let section = btf.string(name_off)?.into_owned();
        let bytes = count
            .checked_mul(record_size)
            .and_then(|n| slice(data, pos, n))
            .ok_or(BtfError::Truncated { what, offset: pos })?;
        let records = bytes
            .chunks_exact(record_size)
            .map(&parse)
            .collect::<BtfResult<Vec<T>>>()?;
        pos = pos.saturating_add(bytes.len());
        out.push(SectionRecords { section, records });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::tests::Builder;
    use super::*;

    fn words(ws: &[u32]) -> Vec<u8> {
        ws.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    fn sample() -> (Btf, Vec<u8>) {
        let mut b = Builder::new(true);
        let sec = b.str("raw");
        let file = b.str("x.c");
        let text = b.str("return 1;");
        let access = b.str("0:1");
        b.ty("int", 1, 0, false, 4);
        b.words(&[32]);
        let btf = Btf::parse(&b.build(), true).unwrap();

        let funcs = words(&[8, sec, 1, 16, 7]);
        let lines = words(&[
            16,
            sec,
            2,
            0,
            file,
            text,
            (12 << 10) | 5,
            8,
            file,
            text,
            13 << 10,
        ]);
        let core = words(&[16, sec, 1, 24, 1, access, 0]);
        let mut data = vec![0x9f, 0xeb, 1, 0];
        let (f, l) = (funcs.len() as u32, lines.len() as u32);
        data.extend(words(&[32, 0, f, f, l, f + l, core.len() as u32]));
        data.extend(funcs);
        data.extend(lines);
        data.extend(core);
        (btf, data)
    }

    #[test]
    fn parses_all_three_regions() {
        let (btf, data) = sample();
        let ext = BtfExt::parse(&data, &btf).unwrap();
        assert_eq!(ext.func_info[0].section, "raw");
        assert_eq!(
            ext.func_info[0].records,
            vec![FuncInfo {
                insn_off: 16,
                type_id: 7
            }]
        );
        let l = &ext.line_info[0].records;
        assert_eq!(l.len(), 2);
        assert_eq!((l[0].line, l[0].column, l[0].file.as_str()), (12, 5, "x.c"));
        assert_eq!(
            (l[1].insn_off, l[1].line, l[1].source.as_str()),
            (8, 13, "return 1;")
        );
        let c = &ext.core_relos[0].records[0];
        assert_eq!(
            (c.insn_off, c.access.as_str(), c.kind_name()),
            (24, "0:1", "byte_off")
        );
    }

    #[test]
    fn every_truncation_is_an_error() {
        let (btf, data) = sample();
        for len in 0..data.len() {
            assert!(BtfExt::parse(&data[..len], &btf).is_err(), "length {len}");
        }
    }

    #[test]
    fn huge_counts_are_errors() {
        let (btf, mut data) = sample();
        // The line info group's record count.
        let off = 32 + 20 + 8;
        data[off..off + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            BtfExt::parse(&data, &btf),
            Err(BtfError::Truncated { .. })
        ));
    }
}
