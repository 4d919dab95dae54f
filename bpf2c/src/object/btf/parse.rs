//! Reading a `.BTF` section into the [`Btf`] model, checking every offset it follows.

use std::borrow::Cow;

use super::types::*;
use crate::object::bytes::{slice, ByteOrder};

const BTF_MAGIC: u16 = 0xeb9f;
const HEADER_LEN: usize = 24;

/// A cursor over the type section that turns every overrun into [`BtfError::Truncated`].
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    order: ByteOrder,
}

impl Cursor<'_> {
    fn u32(&mut self, what: &'static str) -> BtfResult<u32> {
        let v = self
            .order
            .u32(self.data, self.pos)
            .ok_or(BtfError::Truncated {
                what,
                offset: self.pos,
            })?;
        self.pos = self.pos.saturating_add(4);
        Ok(v)
    }

    /// Fails unless `count` records of `size` bytes remain, so a corrupt count never makes
    /// the parser allocate more than the data could describe.
    fn ensure(&self, count: usize, size: usize, what: &'static str) -> BtfResult<()> {
        let need = count.checked_mul(size);
        let left = self.data.len().saturating_sub(self.pos);
        match need {
            Some(n) if n <= left => Ok(()),
            _ => Err(BtfError::Truncated {
                what,
                offset: self.pos,
            }),
        }
    }
}

pub(super) fn str_at(strings: &[u8], off: u32) -> BtfResult<Cow<'_, str>> {
    let rest = strings
        .get(off as usize..)
        .filter(|r| !r.is_empty())
        .ok_or(BtfError::BadString(off))?;
    let end = rest
        .iter()
        .position(|&b| b == 0)
        .ok_or(BtfError::BadString(off))?;
    Ok(String::from_utf8_lossy(rest.get(..end).unwrap_or_default()))
}

impl Btf {
    /// Parses a `.BTF` section. `little_endian` is the ELF file's byte order, which BTF
    /// must share.
    pub fn parse(data: &[u8], little_endian: bool) -> BtfResult<Btf> {
        let order = ByteOrder {
            little: little_endian,
        };
        let magic = order.u16(data, 0).ok_or(BtfError::Truncated {
            what: "header",
            offset: 0,
        })?;
        if magic != BTF_MAGIC {
            return Err(if magic.swap_bytes() == BTF_MAGIC {
                BtfError::WrongByteOrder
            } else {
                BtfError::BadMagic(magic)
            });
        }
        let header = slice(data, 0, HEADER_LEN).ok_or(BtfError::Truncated {
            what: "header",
            offset: 0,
        })?;
        let version = header.get(2).copied().unwrap_or_default();
        if version != 1 {
            return Err(BtfError::UnsupportedVersion(version));
        }
        let field = |off: usize| order.u32(header, off).unwrap_or_default() as usize;
        let hdr_len = field(4);
        let (type_off, type_len, str_off, str_len) = (field(8), field(12), field(16), field(20));
        if hdr_len < HEADER_LEN {
            return Err(BtfError::BadHeader(format!(
                "header length {hdr_len} is below {HEADER_LEN}"
            )));
        }
        let region = |off: usize, len: usize, what: &str| {
            hdr_len
                .checked_add(off)
                .and_then(|start| slice(data, start, len))
                .ok_or_else(|| {
                    BtfError::BadHeader(format!(
                        "{what} ({len} bytes at offset {off}) lies outside the {} bytes of BTF",
                        data.len()
                    ))
                })
        };
        let type_data = region(type_off, type_len, "type section")?;
        let strings = region(str_off, str_len, "string section")?;
        if strings.first().is_some_and(|&b| b != 0) || strings.last().is_some_and(|&b| b != 0) {
            return Err(BtfError::BadHeader(
                "the string section must start and end with a NUL byte".into(),
            ));
        }

        let mut types = vec![BtfType {
            name: String::new(),
            kind: BtfKind::Void,
        }];
        let mut cur = Cursor {
            data: type_data,
            pos: 0,
            order,
        };
        while cur.pos < type_data.len() {
            let id = TypeId::try_from(types.len()).map_err(|_| BtfError::BadTypeId(u32::MAX))?;
            types.push(parse_type(&mut cur, strings, id)?);
        }
        Ok(Btf {
            types,
            strings: strings.to_vec(),
            little_endian,
        })
    }
}

fn parse_type(cur: &mut Cursor<'_>, strings: &[u8], id: TypeId) -> BtfResult<BtfType> {
    let name_off = cur.u32("type header")?;
    let info = cur.u32("type header")?;
    let size_or_type = cur.u32("type header")?;
    let name = str_at(strings, name_off)?.into_owned();
    let vlen = (info & 0xffff) as usize;
    let kind_num = (info >> 24) & 0x1f;
    let kind_flag = info >> 31 != 0;
    let name_of = |off: u32| str_at(strings, off).map(Cow::into_owned);

    let kind = match kind_num {
        1 => {
            let enc = cur.u32("INT encoding")?;
            BtfKind::Int(IntType {
                size: size_or_type,
                signed: (enc >> 24) & 1 != 0,
                is_char: (enc >> 24) & 2 != 0,
                is_bool: (enc >> 24) & 4 != 0,
                bit_offset: ((enc >> 16) & 0xff) as u8,
                bits: (enc & 0xff) as u8,
            })
        }
        2 => BtfKind::Ptr {
            target: size_or_type,
        },
        3 => BtfKind::Array(ArrayType {
            elem: cur.u32("ARRAY")?,
            index: cur.u32("ARRAY")?,
            nelems: cur.u32("ARRAY")?,
        }),
        4 | 5 => {
            cur.ensure(vlen, 12, "members")?;
            let mut members = Vec::with_capacity(vlen);
            for _ in 0..vlen {
                let m_name = cur.u32("member")?;
                let ty = cur.u32("member")?;
                let offset = cur.u32("member")?;
                let (bit_offset, bitfield_size) = if kind_flag {
                    (offset & 0x00ff_ffff, offset >> 24)
                } else {
                    (offset, 0)
                };
                members.push(Member {
                    name: name_of(m_name)?,
                    ty,
                    bit_offset,
                    bitfield_size,
                });
            }
            let c = Composite {
                size: size_or_type,
                members,
            };
            if kind_num == 4 {
                BtfKind::Struct(c)
            } else {
                BtfKind::Union(c)
            }
        }
        6 => {
            cur.ensure(vlen, 8, "enumerators")?;
            let mut values = Vec::with_capacity(vlen);
            for _ in 0..vlen {
                let v_name = cur.u32("enumerator")?;
                let raw = cur.u32("enumerator")?;
                let value = if kind_flag {
                    i128::from(raw as i32)
                } else {
                    i128::from(raw)
                };
                values.push(EnumValue {
                    name: name_of(v_name)?,
                    value,
                });
            }
            BtfKind::Enum(EnumType {
                size: size_or_type,
                signed: kind_flag,
                values,
            })
        }
        7 => BtfKind::Fwd {
            is_union: kind_flag,
        },
        8 => BtfKind::Typedef {
            target: size_or_type,
        },
        9 => BtfKind::Volatile {
            target: size_or_type,
        },
        10 => BtfKind::Const {
            target: size_or_type,
        },
        11 => BtfKind::Restrict {
            target: size_or_type,
        },
        12 => BtfKind::Func {
            proto: size_or_type,
            linkage: match vlen {
                0 => FuncLinkage::Static,
                1 => FuncLinkage::Global,
                2 => FuncLinkage::Extern,
                n => FuncLinkage::Other(n as u16),
            },
        },
        13 => {
            cur.ensure(vlen, 8, "parameters")?;
            let mut params = Vec::with_capacity(vlen);
            for _ in 0..vlen {
                let p_name = cur.u32("parameter")?;
                let ty = cur.u32("parameter")?;
                params.push(Param {
                    name: name_of(p_name)?,
                    ty,
                });
            }
            BtfKind::FuncProto(FuncProto {
                ret: size_or_type,
                params,
            })
        }
        14 => BtfKind::Var {
            ty: size_or_type,
            linkage: match cur.u32("VAR")? {
                0 => VarLinkage::Static,
                1 => VarLinkage::Global,
                2 => VarLinkage::Extern,
                n => VarLinkage::Other(n),
            },
        },
        15 => {
            cur.ensure(vlen, 12, "section variables")?;
            let mut vars = Vec::with_capacity(vlen);
            for _ in 0..vlen {
                vars.push(VarSecInfo {
                    ty: cur.u32("section variable")?,
                    offset: cur.u32("section variable")?,
                    size: cur.u32("section variable")?,
                });
            }
            BtfKind::Datasec(Datasec {
                size: size_or_type,
                vars,
            })
        }
        16 => BtfKind::Float { size: size_or_type },
        17 => {
            let idx = cur.u32("DECL_TAG")? as i32;
            BtfKind::DeclTag {
                target: size_or_type,
                component: u32::try_from(idx).ok(),
            }
        }
        18 => BtfKind::TypeTag {
            target: size_or_type,
        },
        19 => {
            cur.ensure(vlen, 12, "enumerators")?;
            let mut values = Vec::with_capacity(vlen);
            for _ in 0..vlen {
                let v_name = cur.u32("enumerator")?;
                let lo = cur.u32("enumerator")?;
                let hi = cur.u32("enumerator")?;
                let bits = (u64::from(hi) << 32) | u64::from(lo);
                let value = if kind_flag {
                    i128::from(bits as i64)
                } else {
                    i128::from(bits)
                };
                values.push(EnumValue {
                    name: name_of(v_name)?,
                    value,
                });
            }
            BtfKind::Enum64(EnumType {
                size: size_or_type,
                signed: kind_flag,
                values,
            })
        }
        kind => return Err(BtfError::UnknownKind { id, kind }),
    };
    Ok(BtfType { name, kind })
}
