//! The BTF data model: type ids, kinds and their records, and the errors of reading them.

use std::fmt;

/// A BTF type id; 0 is `void`.
pub type TypeId = u32;

/// Longest chain of references followed before giving up, as in libbpf.
pub const MAX_RESOLVE_DEPTH: usize = 32;

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
    pub(super) types: Vec<BtfType>,
    pub(super) strings: Vec<u8>,
    pub(super) little_endian: bool,
}
