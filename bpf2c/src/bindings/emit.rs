//! Writes the decided bindings as Rust: syntax built with `quote`, printed by `prettyplease`.
//!
//! Token streams carry no `//` comments, and the bindings need some (every `unsafe` block and
//! `unsafe impl` says why it holds). [`comment`] puts a marker statement where a comment
//! goes, and [`render`] turns each marker line back into the comment after printing.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};

use super::ident::{snake, upper};
use super::types::RustType;
use super::{MapBinding, MapView, Section};
use crate::object::{Object, ProgramType};

/// The name of the marker macro [`comment`] writes and [`render`] removes.
const COMMENT_MARKER: &str = "__bpf2c_comment";

/// A `//` comment line at the place of the returned tokens (an item or a statement).
pub(super) fn comment(text: &str) -> TokenStream {
    let marker = Ident::new(COMMENT_MARKER, Span::call_site());
    quote!(#marker!(#text);)
}

/// A doc comment: `/// text`, one attribute per line.
pub(super) fn doc(text: &str) -> TokenStream {
    let lines = text.lines().map(|l| format!(" {l}"));
    quote!(#(#[doc = #lines])*)
}

/// An identifier the name tables made (sanitized, never a keyword).
pub(super) fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// An integer literal without a type suffix.
pub(super) fn int(v: impl Into<u64>) -> Literal {
    Literal::u64_unsuffixed(v.into())
}

/// Prints `items`, turns the comment markers back into comments, and separates documented
/// items with a blank line.
pub(super) fn render(items: TokenStream) -> String {
    let file: syn::File = match syn::parse2(items) {
        Ok(f) => f,
        Err(e) => unreachable!("the bindings are Rust syntax: {e}"),
    };
    let printed = prettyplease::unparse(&file);
    let open = format!("{COMMENT_MARKER}!(");
    let mut out: Vec<String> = Vec::new();
    let mut lines = printed.lines();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        if trimmed.starts_with(&open) {
            // The marker, perhaps wrapped over several lines: its one string literal.
            let mut call = trimmed.to_string();
            while !call.ends_with(");") {
                match lines.next() {
                    Some(l) => call.push_str(l.trim()),
                    None => break,
                }
            }
            let text = call
                .split_once('"')
                .and_then(|(_, rest)| rest.rsplit_once('"'))
                .map_or("", |(text, _)| text)
                .replace("\\\"", "\"");
            out.extend(wrap_comment(indent, &text));
            continue;
        }
        let previous = out.last().map_or("", |l| l.trim_start());
        // Not after an opening brace or an attribute, which belong with what follows.
        let after_open = previous.is_empty() || previous.ends_with('{') || previous.ends_with(']');
        if trimmed.starts_with("///") && !after_open && !previous.starts_with("///") {
            out.push(String::new());
        }
        out.push(line.to_string());
    }
    out.join("\n") + "\n"
}

/// `text` as `//` comment lines of at most 100 columns (a longer word gets a line of its own).
fn wrap_comment(indent: &str, text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = format!("{indent}//");
    for word in text.split_whitespace() {
        if line.len() + 1 + word.len() > 100 && line.len() > indent.len() + 2 {
            lines.push(std::mem::replace(&mut line, format!("{indent}//")));
        }
        line.push(' ');
        line.push_str(word);
    }
    lines.push(line);
    lines
}

impl RustType {
    /// The type as tokens; with `prefixed`, generated types are named `types::Name` (outside
    /// the `types` module).
    pub(super) fn tokens(&self, prefixed: bool) -> TokenStream {
        match self {
            RustType::Prim(p) => {
                let p = ident(p);
                quote!(#p)
            }
            RustType::Array(elem, n) => {
                let elem = elem.tokens(prefixed);
                let n = int(*n);
                quote!([#elem; #n])
            }
            RustType::Named(n) => {
                let n = ident(n);
                if prefixed {
                    quote!(types::#n)
                } else {
                    quote!(#n)
                }
            }
        }
    }
}

/// Everything decided; writes the file.
pub(super) struct Writer<'a> {
    pub obj: &'a Object,
    pub symbol: String,
    pub mod_name: String,
    pub struct_name: String,
    pub programs: Vec<(String, String, ProgramType)>,
    pub maps: Vec<MapBinding>,
    pub sections: Vec<Section>,
    pub helpers: Vec<(u32, String)>,
    /// The `types` module's items.
    pub types: Option<TokenStream>,
}

impl Writer<'_> {
    pub fn write(&self) -> String {
        let source = self
            .obj
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let head = self.head();
        let types = self.types.as_ref().map(|t| {
            let d = doc("Types from the object's BTF, laid out as in C.");
            quote! { #d pub mod types { #t } }
        });
        let helper_ids = (!self.helpers.is_empty()).then(|| {
            let d = doc("Ids of the host helpers the module calls.");
            let consts = self.helpers.iter().map(|(id, name)| {
                let c = ident(&upper(name));
                let id = int(*id);
                quote!(pub const #c: u32 = #id;)
            });
            quote! { #d pub mod helper_ids { #(#consts)* } }
        });
        let module_struct = self.module_struct();
        let loader = self.loader();
        let globals = self.globals();
        let mod_doc = doc(&format!("Bindings of the eBPF object `{source}`."));
        let mod_name = ident(&self.mod_name);
        let file = quote! {
            #mod_doc
            #[allow(dead_code, unused_imports, non_camel_case_types, non_snake_case, non_upper_case_globals, clippy::all)]
            pub mod #mod_name {
                #head
                #types
                #helper_ids
                #module_struct
                #loader
                #globals
            }
        };
        format!(
            "// Generated by bpf2c {} from {}. Do not edit.\n{}",
            env!("CARGO_PKG_VERSION"),
            source.replace(['\n', '\r'], " "),
            render(file)
        )
    }

    fn symbol(&self) -> Ident {
        ident(&self.symbol)
    }

    fn head(&self) -> TokenStream {
        let sym = self.symbol();
        let sym_str = &self.symbol;
        let static_doc =
            doc("The module bpf2c generated from the object, compiled and linked into this crate.");
        let const_doc = doc("The C module's exported symbol.");
        quote! {
            use ::bpf2c_runtime as rt;
            unsafe extern "C" {
                #static_doc
                static #sym: rt::ffi::bpf2c_module_t;
            }
            #const_doc
            pub const MODULE_SYMBOL: &str = #sym_str;
        }
    }

    fn module_struct(&self) -> TokenStream {
        let s = ident(&self.struct_name);
        let loader = format_ident!("{}Loader", self.struct_name);
        let globals = format_ident!("{}Globals", self.struct_name);
        let sym = self.symbol();
        let safety = comment(
            "SAFETY: the symbol is the module that bpf2c-build generated from this object, \
             compiled and linked into this crate; its code stays loaded with the program.",
        );

        // from_instance: checks every typed view once.
        let has_maps = !self.maps.is_empty() || !self.sections.is_empty();
        let module = (has_maps || !self.programs.is_empty())
            .then(|| quote!(let module = format!("'{}'", instance.module().name());));
        let bad_map = has_maps.then(|| {
            quote! {
                let bad_map = |map: &str, e: &dyn ::std::fmt::Display| rt::LoadError::Map {
                    module: module.clone(), map: map.to_string(), reason: e.to_string()
                };
            }
        });
        let bad_program = (!self.programs.is_empty()).then(|| {
            quote! {
                let bad_program = |program: &str, e: &dyn ::std::fmt::Display| rt::LoadError::Program {
                    module: module.clone(), program: program.to_string(), reason: e.to_string()
                };
            }
        });
        let program_checks = self.programs.iter().map(|(name, _, t)| {
            let ty = program_type(*t);
            quote!(rt::typed::#ty::new(&instance, #name).map_err(|e| bad_program(#name, &e))?;)
        });
        let map_checks = self.maps.iter().map(|map| {
            let expr = map_expr(map, quote!(instance));
            let name = &map.name;
            quote!(#expr.map_err(|e| bad_map(#name, &e))?;)
        });
        let section_checks = self.sections.iter().map(|sec| {
            let name = &sec.map;
            quote! {
                rt::typed::GlobalData::new(instance.map(#name).map_err(|e| bad_map(#name, &e))?)
                    .map_err(|e| bad_map(#name, &e))?;
            }
        });

        let program_methods = self.programs.iter().map(|(name, method, t)| {
            let ty = program_type(*t);
            let d = doc(&format!("Program `{name}` ({}).", t.name()));
            let method = ident(method);
            quote! {
                #d
                pub fn #method(&self) -> rt::typed::#ty<'_> {
                    match rt::typed::#ty::new(&self.instance, #name) {
                        Ok(p) => p,
                        Err(e) => unreachable!("checked when loaded: {e}"),
                    }
                }
            }
        });
        let map_methods = self.maps.iter().map(|map| {
            let (ty, text) = match &map.view {
                MapView::Raw(reason) => (
                    quote!(rt::MapRef<'_>),
                    format!("{}; untyped: {reason}", map.doc),
                ),
                v => (view_type(v), map.doc.clone()),
            };
            let d = doc(&format!("Map {text}."));
            let method = ident(&map.method);
            let expr = map_expr(map, quote!(self.instance));
            quote! {
                #d
                pub fn #method(&self) -> #ty {
                    match #expr {
                        Ok(m) => m,
                        Err(e) => unreachable!("checked when loaded: {e}"),
                    }
                }
            }
        });
        let globals_method = (!self.sections.is_empty()).then(|| {
            let d = doc("The global variables, section by section.");
            quote! {
                #d
                pub fn globals(&self) -> #globals<'_> {
                    #globals { instance: &self.instance }
                }
            }
        });

        let struct_doc = doc(
            "A loaded instance of the module: its maps exist and its programs can run, from any thread.",
        );
        let image_doc = doc("The module's metadata, validated.");
        let load_doc = doc("Loads an instance with default options.");
        let load_with_doc = doc("Loads an instance with these options.");
        let loader_doc =
            doc("Starts a load that can set global data and register host helpers first.");
        let from_doc = doc(
            "Wraps an instance of this module, checking that its programs and maps have the types the bindings expect.",
        );
        let instance_doc =
            doc("The runtime instance, for everything the typed methods do not cover.");
        quote! {
            #struct_doc
            #[derive(Debug)]
            pub struct #s {
                instance: rt::Instance,
            }

            impl #s {
                #image_doc
                pub fn image() -> Result<rt::ModuleImage, rt::LoadError> {
                    #safety
                    unsafe { rt::ModuleImage::from_ptr(::core::ptr::addr_of!(#sym)) }
                }

                #load_doc
                pub fn load() -> Result<Self, rt::LoadError> {
                    Self::loader().load()
                }

                #load_with_doc
                pub fn load_with(options: rt::Options) -> Result<Self, rt::LoadError> {
                    Self::loader().options(options).load()
                }

                #loader_doc
                pub fn loader() -> #loader {
                    #loader::default()
                }

                #from_doc
                pub fn from_instance(instance: rt::Instance) -> Result<Self, rt::LoadError> {
                    #module
                    #bad_map
                    #bad_program
                    #(#program_checks)*
                    #(#map_checks)*
                    #(#section_checks)*
                    Ok(#s { instance })
                }

                #instance_doc
                pub fn instance(&self) -> &rt::Instance {
                    &self.instance
                }

                pub fn into_instance(self) -> rt::Instance {
                    self.instance
                }

                #(#program_methods)*
                #(#map_methods)*
                #globals_method
            }
        }
    }

    fn loader(&self) -> TokenStream {
        let s = ident(&self.struct_name);
        let loader = format_ident!("{}Loader", self.struct_name);
        let init_ty = format_ident!("{}Init", self.struct_name);
        let has_sections = !self.sections.is_empty();
        let init_field = has_sections.then(|| quote!(init: Vec<Box<dyn FnOnce(&mut #init_ty)>>,));
        let init_method = has_sections.then(|| {
            let d =
                doc("Sets global variables before the first run; the only way to set `.rodata`.");
            quote! {
                #d
                pub fn init(mut self, f: impl FnOnce(&mut #init_ty) + 'static) -> Self {
                    self.init.push(Box::new(f));
                    self
                }
            }
        });
        let helper_methods = self.helpers.iter().map(|(id, name)| {
            let d = doc(&format!("Implements host helper `{name}` (id {id})."));
            let method = format_ident!("helper_{}", snake(name));
            let id = int(*id);
            quote! {
                #d
                pub fn #method(mut self, f: impl Fn(&rt::HelperCall<'_>) -> u64 + Send + Sync + 'static) -> Self {
                    let f: rt::HelperClosure = ::std::sync::Arc::new(f);
                    self.helpers.push((#id, #name, f));
                    self
                }
            }
        });
        let apply_init = has_sections.then(|| {
            quote! {
                if !self.init.is_empty() {
                    let mut init = #init_ty::new(&image);
                    for f in self.init {
                        f(&mut init);
                    }
                    for (section, bytes) in init.sections {
                        options = options.global_data(section, bytes);
                    }
                }
            }
        });
        let struct_doc = doc(&format!(
            "Options, global data and host helpers for loading [`{}`].",
            self.struct_name
        ));
        let options_doc = doc(
            "Instance options (default: `Options::default()`). Host helpers registered on the loader are added to them.",
        );
        let load_doc = doc("Creates the instance.");
        quote! {
            #struct_doc
            #[derive(Default)]
            pub struct #loader {
                options: Option<rt::Options>,
                helpers: Vec<(u32, &'static str, rt::HelperClosure)>,
                #init_field
            }

            impl #loader {
                #options_doc
                pub fn options(mut self, options: rt::Options) -> Self {
                    self.options = Some(options);
                    self
                }

                #init_method
                #(#helper_methods)*

                #load_doc
                pub fn load(self) -> Result<#s, rt::LoadError> {
                    let image = #s::image()?;
                    let mut options = self.options.unwrap_or_default();
                    for (id, name, f) in self.helpers {
                        options = options.helper(id, name, move |call| f(call));
                    }
                    #apply_init
                    #s::from_instance(rt::Instance::new(image, options)?)
                }
            }
        }
    }

    fn globals(&self) -> TokenStream {
        if self.sections.is_empty() {
            return TokenStream::new();
        }
        let s = &self.struct_name;
        let globals = format_ident!("{s}Globals");
        let init = format_ident!("{s}Init");

        // Live views.
        let section_views = self.sections.iter().map(|sec| {
            let d = doc(&format!(
                "`{}`{}.",
                sec.map,
                if sec.read_only {
                    " (read-only once loaded)"
                } else {
                    ""
                }
            ));
            let method = ident(&sec.method);
            let ty = ident(&sec.type_name);
            let name = &sec.map;
            quote! {
                #d
                pub fn #method(&self) -> #ty<'a> {
                    match self.instance.map(#name).and_then(rt::typed::GlobalData::new) {
                        Ok(data) => #ty { data },
                        Err(e) => unreachable!("checked when loaded: {e}"),
                    }
                }
            }
        });
        let section_types = self.sections.iter().map(|sec| {
            let t = ident(&sec.type_name);
            let d = doc(&format!("The variables of `{}`.", sec.map));
            let map_doc = doc("The untyped section.");
            let accessors = sec.vars.iter().map(|v| {
                let ty = v.ty.tokens(true);
                let get = ident(&v.name);
                let set = format_ident!("set_{}", v.name);
                let offset = int(v.offset);
                let d = doc(&format!(
                    "`{} {}` at offset {}.",
                    v.c_type, v.name, v.offset
                ));
                let setter = (!sec.read_only).then(|| {
                    quote! {
                        pub fn #set(&self, value: #ty) {
                            if let Err(e) = self.data.write(#offset, &value) {
                                unreachable!("a writable section: {e}");
                            }
                        }
                    }
                });
                quote! {
                    #d
                    pub fn #get(&self) -> #ty {
                        match self.data.read::<#ty>(#offset) {
                            Ok(v) => v,
                            Err(e) => unreachable!("inside the section: {e}"),
                        }
                    }
                    #setter
                }
            });
            let skipped = sec
                .skipped
                .iter()
                .map(|(name, reason)| comment(&format!("`{name}` has no accessor: {reason}.")));
            quote! {
                #d
                #[derive(Clone, Copy, Debug)]
                pub struct #t<'a> {
                    data: rt::typed::GlobalData<'a>,
                }

                impl<'a> #t<'a> {
                    #map_doc
                    pub fn map(&self) -> rt::typed::GlobalData<'a> {
                        self.data
                    }
                    #(#accessors)*
                    #(#skipped)*
                }
            }
        });

        // Views before loading.
        let initial = self.sections.iter().map(|sec| {
            let name = &sec.map;
            quote! {
                if let Some(spec) = image.maps().iter().find(|m| m.name == #name) {
                    let mut bytes = spec.initial_data.clone();
                    bytes.resize(spec.value_size as usize, 0);
                    sections.push((#name, bytes));
                }
            }
        });
        let init_views = self.sections.iter().map(|sec| {
            let d = doc(&format!("`{}` before loading.", sec.map));
            let method = ident(&sec.method);
            let ty = format_ident!("{}Init", sec.type_name);
            let name = &sec.map;
            quote! {
                #d
                pub fn #method(&mut self) -> #ty<'_> {
                    #ty { bytes: self.section(#name) }
                }
            }
        });
        let init_types = self.sections.iter().map(|sec| {
            let t = format_ident!("{}Init", sec.type_name);
            let d = doc(&format!("The variables of `{}` before loading.", sec.map));
            let accessors = sec.vars.iter().map(|v| {
                let ty = v.ty.tokens(true);
                let get = ident(&v.name);
                let set = format_ident!("set_{}", v.name);
                let offset = int(v.offset);
                quote! {
                    pub fn #get(&self) -> #ty {
                        let at = #offset;
                        match rt::typed::from_bytes::<#ty>(&self.bytes[at..at + ::core::mem::size_of::<#ty>()]) {
                            Some(v) => v,
                            None => unreachable!("the size matches"),
                        }
                    }

                    pub fn #set(&mut self, value: #ty) -> &mut Self {
                        let at = #offset;
                        self.bytes[at..at + ::core::mem::size_of::<#ty>()].copy_from_slice(rt::typed::bytes_of(&value));
                        self
                    }
                }
            });
            quote! {
                #d
                pub struct #t<'a> {
                    bytes: &'a mut [u8],
                }

                impl #t<'_> {
                    #(#accessors)*
                }
            }
        });
        let globals_doc = doc("The module's global data, one view per section.");
        let init_doc = doc(&format!(
            "Global data before loading: every section's initial bytes, changed through the setters of [`{s}Loader::init`]."
        ));
        quote! {
            #globals_doc
            #[derive(Clone, Copy, Debug)]
            pub struct #globals<'a> {
                instance: &'a rt::Instance,
            }

            impl<'a> #globals<'a> {
                #(#section_views)*
            }

            #(#section_types)*

            #init_doc
            pub struct #init {
                sections: Vec<(&'static str, Vec<u8>)>,
            }

            impl #init {
                fn new(image: &rt::ModuleImage) -> Self {
                    let mut sections = Vec::new();
                    #(#initial)*
                    #init { sections }
                }

                fn section(&mut self, name: &str) -> &mut [u8] {
                    match self.sections.iter_mut().find(|(s, _)| *s == name) {
                        Some((_, bytes)) => bytes,
                        None => unreachable!("the module has section {name}"),
                    }
                }

                #(#init_views)*
            }

            #(#init_types)*
        }
    }
}

/// The expression that builds a map's view from `inst` (a `&Instance`), as a Result.
fn map_expr(map: &MapBinding, inst: TokenStream) -> TokenStream {
    let name = &map.name;
    let get = quote!(#inst.map(#name));
    match &map.view {
        MapView::Raw(_) => get,
        v => {
            let ctor = view_path(v);
            quote!(#get.and_then(#ctor::new))
        }
    }
}

fn program_type(t: ProgramType) -> Ident {
    ident(match t {
        ProgramType::Xdp => "XdpProgram",
        ProgramType::Raw => "RawProgram",
        ProgramType::SocketFilter
        | ProgramType::SchedCls
        | ProgramType::SchedAct
        | ProgramType::CgroupSkb => "SkbProgram",
    })
}

/// The view's type, as a method returns it.
fn view_type(v: &MapView) -> TokenStream {
    match v {
        MapView::Array(v) => {
            let v = v.tokens(true);
            quote!(rt::typed::Array<'_, #v>)
        }
        MapView::PerCpuArray(v) => {
            let v = v.tokens(true);
            quote!(rt::typed::PerCpuArray<'_, #v>)
        }
        MapView::Hash(k, v) => {
            let (k, v) = (k.tokens(true), v.tokens(true));
            quote!(rt::typed::HashMap<'_, #k, #v>)
        }
        MapView::PerCpuHash(k, v) => {
            let (k, v) = (k.tokens(true), v.tokens(true));
            quote!(rt::typed::PerCpuHashMap<'_, #k, #v>)
        }
        MapView::ProgArray => quote!(rt::typed::ProgramArray<'_>),
        MapView::Raw(_) => quote!(rt::MapRef<'_>),
    }
}

/// The view's type in expression position (turbofish, lifetime elided), to call `new` on.
fn view_path(v: &MapView) -> TokenStream {
    match v {
        MapView::Array(v) => {
            let v = v.tokens(true);
            quote!(rt::typed::Array::<#v>)
        }
        MapView::PerCpuArray(v) => {
            let v = v.tokens(true);
            quote!(rt::typed::PerCpuArray::<#v>)
        }
        MapView::Hash(k, v) => {
            let (k, v) = (k.tokens(true), v.tokens(true));
            quote!(rt::typed::HashMap::<#k, #v>)
        }
        MapView::PerCpuHash(k, v) => {
            let (k, v) = (k.tokens(true), v.tokens(true));
            quote!(rt::typed::PerCpuHashMap::<#k, #v>)
        }
        MapView::ProgArray => quote!(rt::typed::ProgramArray),
        MapView::Raw(_) => quote!(rt::MapRef),
    }
}
