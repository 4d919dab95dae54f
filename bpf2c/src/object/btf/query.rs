//! Questions about a parsed [`Btf`]: lookups by id and name, resolving modifiers and
//! typedefs, sizes, and names for people. Every reference is checked here, and every walk
//! stops after [`MAX_RESOLVE_DEPTH`] steps.

use std::borrow::Cow;

use super::parse::str_at;
use super::types::*;

impl Btf {
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
