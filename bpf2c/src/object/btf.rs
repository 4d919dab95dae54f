//! BTF: the type information clang emits in `.BTF` (and, in [`ext`], `.BTF.ext`).
//!
//! The parser accepts every kind up to ENUM64 (19) and checks every offset it follows, so a
//! corrupt section becomes a [`BtfError`], never a panic. Type references are not checked at
//! parse time; every lookup checks them instead, and every walk along a chain of references
//! (modifiers, typedefs, nested arrays) stops after [`MAX_RESOLVE_DEPTH`] steps, so a cyclic
//! graph is an error rather than a hang.
//!
//! Structs keep every member's name, type, bit offset and bitfield width, and ints keep
//! their encoding, so the type graph is enough to generate `#[repr(C)]` mirrors of map keys,
//! map values and global variables later.

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

pub mod ext;

use std::borrow::Cow;
use std::fmt;

use super::bytes::{slice, ByteOrder};

/// A BTF type id; 0 is `void`.
pub type TypeId = u32;

/// Longest chain of references followed before giving up, as in libbpf.
pub const MAX_RESOLVE_DEPTH: usize = 32;

const BTF_MAGIC: u16 = 0xeb9f;
const HEADER_LEN: usize = 24;

/// What went wrong while reading or walking BTF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BtfError {
    /// The data ends before a structure it must hold.
    Truncated {
        what: &'static str,
        offset: usize,
    },
    BadMagic(u16),
    /// The magic is valid but in the other byte order than the ELF file.
    WrongByteOrder,
    UnsupportedVersion(u8),
    /// A header field is inconsistent (a region outside the data, a too-small record).
    BadHeader(String),
    /// A string offset outside the string section, or a string without its terminator.
    BadString(u32),
    UnknownKind {
        id: TypeId,
        kind: u32,
    },
    /// A reference to a type id that does not exist.
    BadTypeId(TypeId),
    /// A chain of references longer than [`MAX_RESOLVE_DEPTH`]: a cycle or a corrupt graph.
    TooDeep(TypeId),
    /// A size was asked of a type that has none (void, functions, forward declarations).
    NoSize {
        id: TypeId,
        kind: &'static str,
    },
    /// A type is not of the kind the caller needs.
    WrongKind {
        id: TypeId,
        expected: &'static str,
        found: &'static str,
    },
    /// A size computation overflowed.
    Overflow(TypeId),
}

impl fmt::Display for BtfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BtfError::Truncated { what, offset } => {
                write!(f, "BTF is truncated: {what} at byte {offset} is cut off")
            }
            BtfError::BadMagic(m) => write!(f, "BTF has a bad magic number {m:#06x}"),
            BtfError::WrongByteOrder => {
                write!(f, "BTF byte order differs from the ELF file's byte order")
            }
            BtfError::UnsupportedVersion(v) => write!(f, "BTF version {v} is not supported"),
            BtfError::BadHeader(m) => write!(f, "BTF header is invalid: {m}"),
            BtfError::BadString(off) => {
                write!(f, "BTF string offset {off} is outside the string section")
            }
            BtfError::UnknownKind { id, kind } => {
                write!(f, "BTF type [{id}] has unknown kind {kind}")
            }
            BtfError::BadTypeId(id) => write!(f, "BTF refers to type [{id}], which does not exist"),
            BtfError::TooDeep(id) => write!(
                f,
                "BTF type [{id}] starts a chain of more than {MAX_RESOLVE_DEPTH} references (a cycle?)"
            ),
            BtfError::NoSize { id, kind } => write!(f, "BTF type [{id}] ({kind}) has no size"),
            BtfError::WrongKind {
                id,
                expected,
                found,
            } => write!(f, "BTF type [{id}] is {found}, expected {expected}"),
            BtfError::Overflow(id) => write!(f, "the size of BTF type [{id}] overflows"),
        }
    }
}

impl std::error::Error for BtfError {}

pub type BtfResult<T> = std::result::Result<T, BtfError>;

/// How an integer type is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntType {
    /// Size in bytes.
    pub size: u32,
    pub signed: bool,
    pub is_char: bool,
    pub is_bool: bool,
    /// Offset of the value's first bit within the storage (0 for every type clang emits).
    pub bit_offset: u8,
    /// Number of value bits.
    pub bits: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArrayType {
    pub elem: TypeId,
    pub index: TypeId,
    pub nelems: u32,
}

/// One member of a struct or union.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Empty for anonymous members.
    pub name: String,
    pub ty: TypeId,
    /// Offset from the start of the aggregate, in bits.
    pub bit_offset: u32,
    /// Width of a bitfield in bits; 0 when the member is not a bitfield.
    pub bitfield_size: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Composite {
    /// Size in bytes.
    pub size: u32,
    pub members: Vec<Member>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumValue {
    pub name: String,
    /// Exact for every signed and unsigned 64-bit value.
    pub value: i128,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumType {
    pub size: u32,
    pub signed: bool,
    pub values: Vec<EnumValue>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FuncLinkage {
    Static,
    Global,
    Extern,
    Other(u16),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VarLinkage {
    Static,
    Global,
    Extern,
    Other(u32),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    /// 0 with an empty name marks a variadic prototype's `...`.
    pub ty: TypeId,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuncProto {
    pub ret: TypeId,
    pub params: Vec<Param>,
}

/// One variable of a data section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VarSecInfo {
    /// The VAR (or FUNC, for `.ksyms`) type.
    pub ty: TypeId,
    /// Byte offset within the section. Clang leaves it to the linker, so the ELF reader
    /// fills it from the symbol table (see [`Btf::fix_datasec`]).
    pub offset: u32,
    pub size: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Datasec {
    pub size: u32,
    pub vars: Vec<VarSecInfo>,
}

/// The kind-specific part of a type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BtfKind {
    Void,
    Int(IntType),
    Ptr {
        target: TypeId,
    },
    Array(ArrayType),
    Struct(Composite),
    Union(Composite),
    Enum(EnumType),
    Fwd {
        is_union: bool,
    },
    Typedef {
        target: TypeId,
    },
    Volatile {
        target: TypeId,
    },
    Const {
        target: TypeId,
    },
    Restrict {
        target: TypeId,
    },
    Func {
        proto: TypeId,
        linkage: FuncLinkage,
    },
    FuncProto(FuncProto),
    Var {
        ty: TypeId,
        linkage: VarLinkage,
    },
    Datasec(Datasec),
    Float {
        size: u32,
    },
    /// `component` is the member or parameter index, or None when the tag is on the type.
    DeclTag {
        target: TypeId,
        component: Option<u32>,
    },
    TypeTag {
        target: TypeId,
    },
    Enum64(EnumType),
}

impl BtfKind {
    /// The kind's name as BTF tools print it.
    pub fn name(&self) -> &'static str {
        match self {
            BtfKind::Void => "void",
            BtfKind::Int(_) => "INT",
            BtfKind::Ptr { .. } => "PTR",
            BtfKind::Array(_) => "ARRAY",
            BtfKind::Struct(_) => "STRUCT",
            BtfKind::Union(_) => "UNION",
            BtfKind::Enum(_) => "ENUM",
            BtfKind::Fwd { .. } => "FWD",
            BtfKind::Typedef { .. } => "TYPEDEF",
            BtfKind::Volatile { .. } => "VOLATILE",
            BtfKind::Const { .. } => "CONST",
            BtfKind::Restrict { .. } => "RESTRICT",
            BtfKind::Func { .. } => "FUNC",
            BtfKind::FuncProto(_) => "FUNC_PROTO",
            BtfKind::Var { .. } => "VAR",
            BtfKind::Datasec(_) => "DATASEC",
            BtfKind::Float { .. } => "FLOAT",
            BtfKind::DeclTag { .. } => "DECL_TAG",
            BtfKind::TypeTag { .. } => "TYPE_TAG",
            BtfKind::Enum64(_) => "ENUM64",
        }
    }

    /// The type a qualifier (const, volatile, restrict, type tag) applies to.
    pub fn modifier_target(&self) -> Option<TypeId> {
        match *self {
            BtfKind::Volatile { target }
            | BtfKind::Const { target }
            | BtfKind::Restrict { target }
            | BtfKind::TypeTag { target } => Some(target),
            _ => None,
        }
    }
}

/// One type: its name (empty for anonymous types) and its kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BtfType {
    pub name: String,
    pub kind: BtfKind,
}

/// The parsed `.BTF` section of an object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Btf {
    /// Index = type id; entry 0 is `void`.
    types: Vec<BtfType>,
    strings: Vec<u8>,
    little_endian: bool,
}

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

fn str_at(strings: &[u8], off: u32) -> BtfResult<Cow<'_, str>> {
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

    pub fn little_endian(&self) -> bool {
        self.little_endian
    }

    /// Number of type ids, counting `void` (id 0).
    pub fn len(&self) -> usize {
        self.types.len()
    }

    pub fn is_empty(&self) -> bool {
        self.types.len() <= 1
    }

    /// Every type with its id, `void` first.
    pub fn types(&self) -> impl Iterator<Item = (TypeId, &BtfType)> {
        (0..).zip(self.types.iter())
    }

    pub fn type_by_id(&self, id: TypeId) -> BtfResult<&BtfType> {
        self.types.get(id as usize).ok_or(BtfError::BadTypeId(id))
    }

    /// The string at `off` of the string section (names, file names, source lines).
    pub fn string(&self, off: u32) -> BtfResult<Cow<'_, str>> {
        str_at(&self.strings, off)
    }

    /// The first type named `name`.
    pub fn find_by_name(&self, name: &str) -> Option<TypeId> {
        self.types().find(|(_, t)| t.name == name).map(|(id, _)| id)
    }

    /// The first type named `name` whose kind `pred` accepts.
    pub fn find(&self, name: &str, pred: impl Fn(&BtfKind) -> bool) -> Option<TypeId> {
        self.types()
            .find(|(_, t)| t.name == name && pred(&t.kind))
            .map(|(id, _)| id)
    }

    /// Follows const, volatile, restrict and type tags to the type they qualify.
    pub fn skip_modifiers(&self, id: TypeId) -> BtfResult<TypeId> {
        self.follow(id, |k| k.modifier_target())
    }

    /// Follows qualifiers and typedefs to the underlying type.
    pub fn resolve(&self, id: TypeId) -> BtfResult<TypeId> {
        self.follow(id, |k| match *k {
            BtfKind::Typedef { target } => Some(target),
            ref k => k.modifier_target(),
        })
    }

    fn follow(&self, id: TypeId, next: impl Fn(&BtfKind) -> Option<TypeId>) -> BtfResult<TypeId> {
        let mut cur = id;
        for _ in 0..=MAX_RESOLVE_DEPTH {
            match next(&self.type_by_id(cur)?.kind) {
                Some(t) => cur = t,
                None => return Ok(cur),
            }
        }
        Err(BtfError::TooDeep(id))
    }

    /// The kind of `id` after qualifiers and typedefs.
    pub fn resolved_kind(&self, id: TypeId) -> BtfResult<(TypeId, &BtfKind)> {
        let r = self.resolve(id)?;
        Ok((r, &self.type_by_id(r)?.kind))
    }

    /// Size in bytes of a value of type `id`.
    pub fn size_of(&self, id: TypeId) -> BtfResult<u64> {
        self.size_at_depth(id, 0)
    }

    fn size_at_depth(&self, id: TypeId, depth: usize) -> BtfResult<u64> {
        if depth > MAX_RESOLVE_DEPTH {
            return Err(BtfError::TooDeep(id));
        }
        let deeper = depth.saturating_add(1);
        let kind = &self.type_by_id(id)?.kind;
        Ok(match kind {
            BtfKind::Int(i) => i.size.into(),
            BtfKind::Ptr { .. } => 8,
            BtfKind::Struct(c) | BtfKind::Union(c) => c.size.into(),
            BtfKind::Enum(e) | BtfKind::Enum64(e) => e.size.into(),
            BtfKind::Float { size } => (*size).into(),
            BtfKind::Datasec(d) => d.size.into(),
            BtfKind::Array(a) => {
                let elem = self.size_at_depth(a.elem, deeper)?;
                elem.checked_mul(a.nelems.into())
                    .ok_or(BtfError::Overflow(id))?
            }
            BtfKind::Typedef { target }
            | BtfKind::Volatile { target }
            | BtfKind::Const { target }
            | BtfKind::Restrict { target }
            | BtfKind::TypeTag { target }
            | BtfKind::Var { ty: target, .. } => self.size_at_depth(*target, deeper)?,
            k @ (BtfKind::Void
            | BtfKind::Fwd { .. }
            | BtfKind::Func { .. }
            | BtfKind::FuncProto(_)
            | BtfKind::DeclTag { .. }) => return Err(BtfError::NoSize { id, kind: k.name() }),
        })
    }

    fn wrong_kind(&self, id: TypeId, expected: &'static str) -> BtfError {
        BtfError::WrongKind {
            id,
            expected,
            found: self
                .type_by_id(id)
                .map(|t| t.kind.name())
                .unwrap_or("missing"),
        }
    }

    /// The struct or union `id` names (through qualifiers and typedefs).
    pub fn composite(&self, id: TypeId) -> BtfResult<&Composite> {
        match self.resolved_kind(id)? {
            (_, BtfKind::Struct(c) | BtfKind::Union(c)) => Ok(c),
            (r, _) => Err(self.wrong_kind(r, "a struct or union")),
        }
    }

    /// Members of the struct or union `id`, in declaration order.
    pub fn members(&self, id: TypeId) -> BtfResult<&[Member]> {
        self.composite(id).map(|c| c.members.as_slice())
    }

    /// The array `id` names (through qualifiers and typedefs).
    pub fn array(&self, id: TypeId) -> BtfResult<&ArrayType> {
        match self.resolved_kind(id)? {
            (_, BtfKind::Array(a)) => Ok(a),
            (r, _) => Err(self.wrong_kind(r, "an array")),
        }
    }

    /// The integer type `id` names (through qualifiers and typedefs).
    pub fn int(&self, id: TypeId) -> BtfResult<&IntType> {
        match self.resolved_kind(id)? {
            (_, BtfKind::Int(i)) => Ok(i),
            (r, _) => Err(self.wrong_kind(r, "an integer")),
        }
    }

    /// The enum (32- or 64-bit) `id` names (through qualifiers and typedefs).
    pub fn enumeration(&self, id: TypeId) -> BtfResult<&EnumType> {
        match self.resolved_kind(id)? {
            (_, BtfKind::Enum(e) | BtfKind::Enum64(e)) => Ok(e),
            (r, _) => Err(self.wrong_kind(r, "an enum")),
        }
    }

    /// The pointee of the pointer `id` names (through qualifiers and typedefs).
    pub fn pointee(&self, id: TypeId) -> BtfResult<TypeId> {
        match self.resolved_kind(id)? {
            (_, BtfKind::Ptr { target }) => Ok(*target),
            (r, _) => Err(self.wrong_kind(r, "a pointer")),
        }
    }

    /// Every DATASEC: its id, its name (the ELF section) and its variables.
    pub fn datasecs(&self) -> impl Iterator<Item = (TypeId, &str, &Datasec)> {
        self.types().filter_map(|(id, t)| match &t.kind {
            BtfKind::Datasec(d) => Some((id, t.name.as_str(), d)),
            _ => None,
        })
    }

    pub fn datasec(&self, name: &str) -> Option<(TypeId, &Datasec)> {
        self.datasecs()
            .find(|(_, n, _)| *n == name)
            .map(|(id, _, d)| (id, d))
    }

    /// The name, type and linkage of a variable a DATASEC lists.
    pub fn var(&self, id: TypeId) -> BtfResult<(&str, TypeId, VarLinkage)> {
        let t = self.type_by_id(id)?;
        match t.kind {
            BtfKind::Var { ty, linkage } => Ok((&t.name, ty, linkage)),
            _ => Err(self.wrong_kind(id, "a variable")),
        }
    }

    /// Sets a DATASEC's size and its variables' offsets, which clang leaves for the linker
    /// to fill. `offset_of` maps a variable's name to its offset in the section (from the ELF
    /// symbol table); variables it does not know keep their recorded offset.
    pub fn fix_datasec(&mut self, id: TypeId, size: u32, offset_of: impl Fn(&str) -> Option<u32>) {
        let Some(t) = self.types.get(id as usize) else {
            return;
        };
        let BtfKind::Datasec(sec) = &t.kind else {
            return;
        };
        let offsets: Vec<Option<u32>> = sec
            .vars
            .iter()
            .map(|v| match self.types.get(v.ty as usize) {
                Some(var) => offset_of(&var.name),
                None => None,
            })
            .collect();
        if let Some(BtfType {
            kind: BtfKind::Datasec(sec),
            ..
        }) = self.types.get_mut(id as usize)
        {
            sec.size = size;
            for (v, off) in sec.vars.iter_mut().zip(offsets) {
                if let Some(off) = off {
                    v.offset = off;
                }
            }
        }
    }

    /// A C-like spelling of a type for messages: `struct pair`, `__u32`, `int *`, `char[4]`.
    pub fn display_name(&self, id: TypeId) -> String {
        self.display_at_depth(id, 0)
    }

    fn display_at_depth(&self, id: TypeId, depth: usize) -> String {
        let Ok(t) = self.type_by_id(id) else {
            return format!("<bad type {id}>");
        };
        if depth > MAX_RESOLVE_DEPTH {
            return "...".into();
        }
        let deeper = depth.saturating_add(1);
        let named = |prefix: &str| {
            if t.name.is_empty() {
                format!("{prefix} <anon>")
            } else {
                format!("{prefix} {}", t.name)
            }
        };
        match &t.kind {
            BtfKind::Void => "void".into(),
            BtfKind::Struct(_) => named("struct"),
            BtfKind::Union(_) => named("union"),
            BtfKind::Enum(_) | BtfKind::Enum64(_) => named("enum"),
            BtfKind::Fwd { is_union } => named(if *is_union { "union" } else { "struct" }),
            BtfKind::Ptr { target } => format!("{} *", self.display_at_depth(*target, deeper)),
            BtfKind::Array(a) => format!("{}[{}]", self.display_at_depth(a.elem, deeper), a.nelems),
            BtfKind::Const { target } => {
                format!("const {}", self.display_at_depth(*target, deeper))
            }
            BtfKind::Volatile { target } => {
                format!("volatile {}", self.display_at_depth(*target, deeper))
            }
            BtfKind::Restrict { target } | BtfKind::TypeTag { target } => {
                self.display_at_depth(*target, deeper)
            }
            BtfKind::FuncProto(_) => "function".into(),
            _ => t.name.clone(),
        }
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds BTF by hand, to test kinds clang rarely emits and corrupt inputs.
    #[derive(Default)]
    pub(crate) struct Builder {
        pub types: Vec<u8>,
        pub strings: Vec<u8>,
        pub little: bool,
    }

    impl Builder {
        pub fn new(little: bool) -> Builder {
            Builder {
                types: Vec::new(),
                strings: vec![0],
                little,
            }
        }

        fn word(&mut self, v: u32) {
            let b = if self.little {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            };
            self.types.extend_from_slice(&b);
        }

        pub fn str(&mut self, s: &str) -> u32 {
            if s.is_empty() {
                return 0;
            }
            let off = self.strings.len() as u32;
            self.strings.extend_from_slice(s.as_bytes());
            self.strings.push(0);
            off
        }

        pub fn ty(&mut self, name: &str, kind: u32, vlen: u32, flag: bool, size_or_type: u32) {
            let n = self.str(name);
            self.word(n);
            self.word((kind << 24) | vlen | if flag { 1 << 31 } else { 0 });
            self.word(size_or_type);
        }

        pub fn words(&mut self, ws: &[u32]) {
            for &w in ws {
                self.word(w);
            }
        }

        pub fn build(&self) -> Vec<u8> {
            let mut out = Vec::new();
            let w = |v: u32, little: bool| {
                if little {
                    v.to_le_bytes()
                } else {
                    v.to_be_bytes()
                }
            };
            let magic: u16 = 0xeb9f;
            out.extend_from_slice(&if self.little {
                magic.to_le_bytes()
            } else {
                magic.to_be_bytes()
            });
            out.extend_from_slice(&[1, 0]);
            for v in [
                24,
                0,
                self.types.len() as u32,
                self.types.len() as u32,
                self.strings.len() as u32,
            ] {
                out.extend_from_slice(&w(v, self.little));
            }
            out.extend_from_slice(&self.types);
            out.extend_from_slice(&self.strings);
            out
        }
    }

    fn every_kind(little: bool) -> Vec<u8> {
        let mut b = Builder::new(little);
        b.ty("int", 1, 0, false, 4); // [1]
        b.words(&[(1 << 24) | 32]);
        b.ty("", 2, 0, false, 1); // [2] int *
        b.ty("", 3, 0, false, 0); // [3] int[3]
        b.words(&[1, 1, 3]);
        b.ty("s", 4, 2, true, 8); // [4] struct s { int a; int b:3; }
        let a = b.str("a");
        let bb = b.str("b");
        b.words(&[a, 1, 0, bb, 1, (3 << 24) | 32]);
        b.ty("u", 5, 1, false, 4); // [5] union u { int x; }
        let x = b.str("x");
        b.words(&[x, 1, 0]);
        b.ty("e", 6, 2, true, 4); // [6] signed enum e { NEG = -1, ONE = 1 }
        let neg = b.str("NEG");
        let one = b.str("ONE");
        b.words(&[neg, (-1i32) as u32, one, 1]);
        b.ty("fwd", 7, 0, true, 0); // [7] union fwd;
        b.ty("myint", 8, 0, false, 1); // [8] typedef int myint
        b.ty("", 9, 0, false, 8); // [9] volatile myint
        b.ty("", 10, 0, false, 9); // [10] const volatile myint
        b.ty("", 11, 0, false, 2); // [11] int *restrict
        b.ty("f", 12, 1, false, 13); // [12] global func f
        b.ty("", 13, 1, false, 1); // [13] int (int p)
        let p = b.str("p");
        b.words(&[p, 1]);
        b.ty("v", 14, 0, false, 10); // [14] var v
        b.words(&[1]);
        b.ty(".data", 15, 1, false, 4); // [15] datasec
        b.words(&[14, 0, 4]);
        b.ty("double", 16, 0, false, 8); // [16]
        b.ty("tag", 17, 0, false, 4); // [17] decl tag on member 1 of s
        b.words(&[1]);
        b.ty("user", 18, 0, false, 1); // [18] type tag
        b.ty("e64", 19, 1, false, 8); // [19] unsigned enum64
        let big = b.str("BIG");
        b.words(&[big, 0, 0x8000_0000]);
        b.build()
    }

    #[test]
    fn parses_every_kind() {
        for little in [true, false] {
            let btf = Btf::parse(&every_kind(little), little).unwrap();
            assert_eq!(btf.len(), 20);
            assert_eq!(
                btf.int(1).unwrap(),
                &IntType {
                    size: 4,
                    signed: true,
                    is_char: false,
                    is_bool: false,
                    bit_offset: 0,
                    bits: 32
                }
            );
            assert_eq!(btf.pointee(2).unwrap(), 1);
            assert_eq!(btf.size_of(3).unwrap(), 12);
            let m = btf.members(4).unwrap();
            assert_eq!(
                (m[1].name.as_str(), m[1].bit_offset, m[1].bitfield_size),
                ("b", 32, 3)
            );
            assert_eq!(btf.size_of(5).unwrap(), 4);
            let e = btf.enumeration(6).unwrap();
            assert!(e.signed);
            assert_eq!(e.values[0].value, -1);
            assert_eq!(
                btf.type_by_id(7).unwrap().kind,
                BtfKind::Fwd { is_union: true }
            );
            assert_eq!(btf.resolve(10).unwrap(), 1);
            assert_eq!(btf.skip_modifiers(10).unwrap(), 8);
            assert_eq!(btf.size_of(10).unwrap(), 4);
            assert_eq!(btf.skip_modifiers(11).unwrap(), 2);
            assert!(matches!(
                btf.type_by_id(12).unwrap().kind,
                BtfKind::Func {
                    proto: 13,
                    linkage: FuncLinkage::Global
                }
            ));
            let (name, ty, linkage) = btf.var(14).unwrap();
            assert_eq!((name, ty, linkage), ("v", 10, VarLinkage::Global));
            let (id, sec) = btf.datasec(".data").unwrap();
            assert_eq!((id, sec.vars[0].ty, sec.vars[0].size), (15, 14, 4));
            assert_eq!(btf.size_of(16).unwrap(), 8);
            assert_eq!(
                btf.type_by_id(17).unwrap().kind,
                BtfKind::DeclTag {
                    target: 4,
                    component: Some(1)
                }
            );
            assert_eq!(btf.skip_modifiers(18).unwrap(), 1);
            assert_eq!(
                btf.enumeration(19).unwrap().values[0].value,
                0x8000_0000_0000_0000
            );
            assert_eq!(btf.display_name(10), "const volatile myint");
            assert_eq!(btf.display_name(3), "int[3]");
            assert_eq!(btf.find_by_name("s"), Some(4));
            assert!(matches!(
                btf.size_of(12),
                Err(BtfError::NoSize {
                    id: 12,
                    kind: "FUNC"
                })
            ));
        }
    }

    #[test]
    fn rejects_wrong_byte_order_and_bad_magic() {
        assert_eq!(
            Btf::parse(&every_kind(true), false).unwrap_err(),
            BtfError::WrongByteOrder
        );
        let mut data = every_kind(true);
        data[0] = 0;
        assert!(matches!(
            Btf::parse(&data, true),
            Err(BtfError::BadMagic(_))
        ));
    }

    #[test]
    fn cycles_are_errors_not_hangs() {
        let mut b = Builder::new(true);
        b.ty("a", 8, 0, false, 2); // [1] typedef a = [2]
        b.ty("b", 8, 0, false, 1); // [2] typedef b = [1]
        b.ty("", 3, 0, false, 0); // [3] array of itself
        b.words(&[3, 3, 2]);
        let btf = Btf::parse(&b.build(), true).unwrap();
        assert_eq!(btf.resolve(1), Err(BtfError::TooDeep(1)));
        assert!(matches!(btf.size_of(2), Err(BtfError::TooDeep(_))));
        assert!(matches!(btf.size_of(3), Err(BtfError::TooDeep(_))));
        assert_eq!(
            btf.display_name(3).matches('[').count(),
            MAX_RESOLVE_DEPTH + 1
        );
    }

    #[test]
    fn overflowing_array_size_is_an_error() {
        let mut b = Builder::new(true);
        b.ty("", 3, 0, false, 0); // [1] u8[u32::MAX][u32::MAX] ... nested
        b.words(&[2, 0, u32::MAX]);
        b.ty("", 3, 0, false, 0); // [2]
        b.words(&[3, 0, u32::MAX]);
        b.ty("", 3, 0, false, 0); // [3]
        b.words(&[4, 0, u32::MAX]);
        b.ty("big", 4, 0, false, u32::MAX); // [4]
        let btf = Btf::parse(&b.build(), true).unwrap();
        assert_eq!(btf.size_of(1), Err(BtfError::Overflow(2)));
    }

    #[test]
    fn bad_references_and_strings_are_errors() {
        let mut b = Builder::new(true);
        b.ty("", 2, 0, false, 77); // [1] pointer to a missing type
        let btf = Btf::parse(&b.build(), true).unwrap();
        assert_eq!(btf.pointee(1), Ok(77));
        assert_eq!(btf.size_of(77), Err(BtfError::BadTypeId(77)));

        let mut b = Builder::new(true);
        b.words(&[9999, 2 << 24, 0]); // name offset past the strings
        assert_eq!(Btf::parse(&b.build(), true), Err(BtfError::BadString(9999)));

        let mut b = Builder::new(true);
        b.ty("x", 20, 0, false, 0);
        assert_eq!(
            Btf::parse(&b.build(), true),
            Err(BtfError::UnknownKind { id: 1, kind: 20 })
        );

        let mut b = Builder::new(true);
        b.ty("s", 4, 0xffff, false, 4); // claims 65535 members, holds none
        assert!(matches!(
            Btf::parse(&b.build(), true),
            Err(BtfError::Truncated {
                what: "members",
                ..
            })
        ));
    }

    #[test]
    fn every_truncation_is_an_error() {
        let data = every_kind(true);
        for len in 0..data.len() {
            assert!(Btf::parse(&data[..len], true).is_err(), "length {len}");
        }
    }

    #[test]
    fn fixes_datasec_offsets() {
        let mut btf = Btf::parse(&every_kind(true), true).unwrap();
        btf.fix_datasec(15, 64, |name| (name == "v").then_some(40));
        let (_, sec) = btf.datasec(".data").unwrap();
        assert_eq!((sec.size, sec.vars[0].offset), (64, 40));
    }
}
