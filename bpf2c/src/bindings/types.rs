//! BTF types as Rust types: integers and floats as themselves, arrays as arrays, structs as
//! `#[repr(C)]` structs with every padding byte spelled out as a field (so that they are
//! `Pod`: no byte of a value is uninitialised), unions and bitfields as aligned bytes.
//!
//! Every struct is emitted with compile-time assertions of its size and of each field's
//! offset against what BTF recorded, so a layout mistake cannot compile.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::quote;

use super::emit::{comment, doc, ident, int};
use super::ident::{camel, snake, NameTable};
use crate::object::btf::{Btf, BtfKind, Member, TypeId};

/// A Rust type for a BTF type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RustType {
    Prim(&'static str),
    Array(Box<RustType>, u32),
    /// A generated type in the `types` module.
    Named(String),
}

/// Size and alignment of a generated Rust type, as C lays it out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Layout {
    size: u64,
    align: u64,
    /// Contains a float, so the type cannot derive `Eq` and `Hash`.
    float: bool,
}

/// Collects the Rust types the bindings need, generating each struct once, in the order
/// they are first needed.
pub struct TypeGen<'a> {
    btf: &'a Btf,
    names: NameTable,
    /// Generated (or being generated) types by BTF id: their name and layout.
    done: BTreeMap<TypeId, (String, Layout)>,
    /// Generated definitions, in order of first use.
    defs: Vec<TokenStream>,
}

/// Deepest nesting of types followed before giving up.
const MAX_DEPTH: usize = 32;

impl<'a> TypeGen<'a> {
    pub fn new(btf: &'a Btf) -> TypeGen<'a> {
        TypeGen {
            btf,
            names: NameTable::default(),
            done: BTreeMap::new(),
            defs: Vec::new(),
        }
    }

    /// The Rust type for BTF type `id`, or why there is none. `hint` names anonymous
    /// structs and unions.
    pub fn rust_type(&mut self, id: TypeId, hint: &str) -> Result<RustType, String> {
        self.ty(id, hint, 0).map(|(t, _)| t)
    }

    /// The definitions generated so far, in order of first use.
    pub fn definitions(&self) -> TokenStream {
        let defs = &self.defs;
        quote!(#(#defs)*)
    }

    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    fn ty(&mut self, id: TypeId, hint: &str, depth: usize) -> Result<(RustType, Layout), String> {
        if depth > MAX_DEPTH {
            return Err("types nest too deeply".into());
        }
        let t = self.btf.type_by_id(id).map_err(|e| e.to_string())?;
        let prim = |name: &'static str, size: u64, float: bool| {
            Ok((
                RustType::Prim(name),
                Layout {
                    size,
                    align: size,
                    float,
                },
            ))
        };
        match &t.kind {
            BtfKind::Int(i) => {
                if i.bit_offset != 0 || u32::from(i.bits) != i.size * 8 {
                    return Err(format!(
                        "integer type '{}' has {} value bits",
                        t.name, i.bits
                    ));
                }
                match integer_name(i.size, i.signed && !i.is_bool) {
                    Some(name) => prim(name, u64::from(i.size), false),
                    None => Err(format!("integer type '{}' is {} bytes", t.name, i.size)),
                }
            }
            BtfKind::Enum(e) | BtfKind::Enum64(e) => {
                match integer_name(e.size, e.signed).filter(|_| e.size <= 8) {
                    Some(name) => prim(name, u64::from(e.size), false),
                    None => Err(format!("enum '{}' is {} bytes", t.name, e.size)),
                }
            }
            BtfKind::Float { size: 4 } => prim("f32", 4, true),
            BtfKind::Float { size: 8 } => prim("f64", 8, true),
            BtfKind::Float { size } => Err(format!("float type '{}' is {size} bytes", t.name)),
            // A pointer in eBPF data is an address the host cannot use; its bits still are
            // eight bytes of the value.
            BtfKind::Ptr { .. } => prim("u64", 8, false),
            BtfKind::Array(a) => {
                let (elem, l) = self.ty(a.elem, hint, depth + 1)?;
                let size = l
                    .size
                    .checked_mul(u64::from(a.nelems))
                    .ok_or("array size overflows")?;
                Ok((
                    RustType::Array(Box::new(elem), a.nelems),
                    Layout { size, ..l },
                ))
            }
            BtfKind::Typedef { target } => {
                let hint = if t.name.is_empty() { hint } else { &t.name };
                self.ty(*target, hint, depth + 1)
            }
            BtfKind::Volatile { target }
            | BtfKind::Const { target }
            | BtfKind::Restrict { target }
            | BtfKind::TypeTag { target } => self.ty(*target, hint, depth + 1),
            BtfKind::Struct(_) | BtfKind::Union(_) => {
                if let Some((name, layout)) = self.done.get(&id) {
                    return Ok((RustType::Named(name.clone()), *layout));
                }
                let base = if t.name.is_empty() {
                    camel(hint)
                } else {
                    camel(&t.name)
                };
                let name = self.names.claim(&base);
                let is_union = matches!(t.kind, BtfKind::Union(_));
                let (text, layout) = if is_union {
                    self.union_def(id, &name, depth)?
                } else {
                    self.struct_def(id, &name, depth)?
                };
                self.done.insert(id, (name.clone(), layout));
                self.defs.push(text);
                Ok((RustType::Named(name), layout))
            }
            BtfKind::Fwd { .. } => Err(format!(
                "'{}' is only declared, so its layout is unknown",
                t.name
            )),
            k => Err(format!("a {} has no data layout", k.name())),
        }
    }

    /// A union: its bytes, with the union's alignment (Rust unions of byte views would
    /// leave bytes uninitialised, which a `Pod` value must not have).
    fn union_def(
        &mut self,
        id: TypeId,
        name: &str,
        depth: usize,
    ) -> Result<(TokenStream, Layout), String> {
        let c = self.btf.composite(id).map_err(|e| e.to_string())?.clone();
        let mut align = 1;
        for (i, m) in c.members.iter().enumerate() {
            let hint = format!("{name}_{}", member_hint(m, i));
            let (_, l) = self.ty(m.ty, &hint, depth + 1)?;
            align = align.max(l.align);
        }
        let size = u64::from(c.size);
        if size % align != 0 {
            align = 1;
        }
        let d = doc(&format!(
            "`union {}` ({size} bytes): its bytes, as a union's active member is unknown.",
            self.c_name(id)
        ));
        let ty = ident(name);
        let (align_lit, size_lit) = (int(align), int(size));
        let checks = pod_and_asserts(name, size, &[]);
        let text = quote! {
            #d
            #[repr(C, align(#align_lit))]
            #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
            pub struct #ty(pub [u8; #size_lit]);
            impl Default for #ty {
                fn default() -> Self {
                    #ty([0; #size_lit])
                }
            }
            #checks
        };
        Ok((
            text,
            Layout {
                size,
                align,
                float: false,
            },
        ))
    }

    fn c_name(&self, id: TypeId) -> String {
        self.btf.display_name(id)
    }

    fn struct_def(
        &mut self,
        id: TypeId,
        name: &str,
        depth: usize,
    ) -> Result<(TokenStream, Layout), String> {
        let c = self.btf.composite(id).map_err(|e| e.to_string())?.clone();
        let size = u64::from(c.size);
        let mut members: Vec<(usize, &Member)> = c.members.iter().enumerate().collect();
        members.sort_by_key(|(i, m)| (m.bit_offset, *i));

        // Fields in offset order: (name, type, offset, size).
        let mut fields: Vec<(String, TokenStream, u64, u64)> = Vec::new();
        let mut field_names = NameTable::default();
        let mut cursor = 0u64;
        let mut align = 1u64;
        let mut packed = false;
        let mut float = false;
        let mut pad = 0;
        let mut bitfield = 0;
        let mut k = 0;
        while k < members.len() {
            let (i, m) = members[k];
            if m.bitfield_size != 0 || m.bit_offset % 8 != 0 {
                // A run of bitfields becomes the bytes it covers.
                let start = u64::from(m.bit_offset) / 8;
                let mut end = start;
                while k < members.len() {
                    let (_, b) = members[k];
                    if b.bitfield_size == 0 && b.bit_offset % 8 == 0 {
                        break;
                    }
                    let bits = if b.bitfield_size != 0 {
                        u64::from(b.bitfield_size)
                    } else {
                        self.btf.size_of(b.ty).map_err(|e| e.to_string())? * 8
                    };
                    end = end.max((u64::from(b.bit_offset) + bits).div_ceil(8));
                    k += 1;
                }
                let start = start.max(cursor);
                if start > cursor {
                    fields.push(padding(&mut pad, cursor, start - cursor));
                }
                if end > start {
                    let fname = field_names.claim(&format!("_bitfield{bitfield}"));
                    bitfield += 1;
                    let len = int(end - start);
                    fields.push((fname, quote!([u8; #len]), start, end - start));
                    cursor = end;
                }
                continue;
            }
            k += 1;
            let offset = u64::from(m.bit_offset / 8);
            let hint = format!("{name}_{}", member_hint(m, i));
            let (rt, l) = self.ty(m.ty, &hint, depth + 1)?;
            if offset < cursor {
                return Err(format!(
                    "member '{}' of {} overlaps the member before it",
                    m.name,
                    self.c_name(id)
                ));
            }
            if offset > cursor {
                fields.push(padding(&mut pad, cursor, offset - cursor));
            }
            if l.align > 0 && offset % l.align != 0 {
                packed = true;
            }
            align = align.max(l.align);
            float |= l.float;
            let fname = if m.name.is_empty() {
                field_names.claim(&format!("_anon{i}"))
            } else {
                field_names.claim(&snake(&m.name))
            };
            fields.push((fname, rt.tokens(false), offset, l.size));
            cursor = offset + l.size;
        }
        if cursor > size {
            return Err(format!(
                "the members of {} take {cursor} bytes, more than its size {size}",
                self.c_name(id)
            ));
        }
        if cursor < size {
            fields.push(padding(&mut pad, cursor, size - cursor));
        }
        if size % align != 0 {
            packed = true;
        }
        if packed {
            align = 1;
        }

        let d = doc(&format!("`{}` ({size} bytes).", self.c_name(id)));
        let repr = if packed {
            quote!(#[repr(C, packed)])
        } else {
            quote!(#[repr(C)])
        };
        let derives = if float {
            quote!(#[derive(Clone, Copy, Debug, PartialEq)])
        } else {
            quote!(#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)])
        };
        let ty = ident(name);
        let field_defs = fields.iter().map(|(fname, fty, _, _)| {
            let f = ident(fname);
            quote!(pub #f: #fty)
        });
        let safety = comment(
            "SAFETY: every field is an integer, a float or bytes, for which zero is valid.",
        );
        let offsets: Vec<(String, u64)> =
            fields.iter().map(|(n, _, o, _)| (n.clone(), *o)).collect();
        let checks = pod_and_asserts(name, size, &offsets);
        let text = quote! {
            #d
            #repr
            #derives
            pub struct #ty {
                #(#field_defs,)*
            }
            impl Default for #ty {
                fn default() -> Self {
                    #safety
                    unsafe { ::core::mem::zeroed() }
                }
            }
            #checks
        };
        Ok((text, Layout { size, align, float }))
    }
}

fn member_hint(m: &Member, index: usize) -> String {
    if m.name.is_empty() {
        format!("anon{index}")
    } else {
        m.name.clone()
    }
}

fn padding(counter: &mut usize, at: u64, len: u64) -> (String, TokenStream, u64, u64) {
    let name = format!("_pad{counter}");
    *counter += 1;
    let n = int(len);
    (name, quote!([u8; #n]), at, len)
}

/// `Pod`, and compile-time checks of the size and of each field's offset.
fn pod_and_asserts(name: &str, size: u64, offsets: &[(String, u64)]) -> TokenStream {
    let ty = ident(name);
    let size = int(size);
    let safety = comment("SAFETY: #[repr(C)], padding spelled out as fields, and only Pod fields.");
    let fields = offsets.iter().map(|(field, off)| {
        let f = ident(field);
        let off = int(*off);
        quote!(assert!(::core::mem::offset_of!(#ty, #f) == #off);)
    });
    quote! {
        #safety
        unsafe impl ::bpf2c_runtime::typed::Pod for #ty {}
        const _: () = {
            let size = ::core::mem::size_of::<#ty>();
            assert!(size == #size);
            #(#fields)*
        };
    }
}

/// The Rust integer type of a C integer of `size` bytes.
fn integer_name(size: u32, signed: bool) -> Option<&'static str> {
    Some(match (size, signed) {
        (1, false) => "u8",
        (1, true) => "i8",
        (2, false) => "u16",
        (2, true) => "i16",
        (4, false) => "u32",
        (4, true) => "i32",
        (8, false) => "u64",
        (8, true) => "i64",
        (16, false) => "u128",
        (16, true) => "i128",
        _ => return None,
    })
}
