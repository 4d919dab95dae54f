//! BTF: the type information clang emits in `.BTF` and `.BTF.ext`.
//! (Being written: type graph, map definitions, line info.)

/// Parsed BTF of an object.
#[derive(Clone, Debug, Default)]
pub struct Btf {}
