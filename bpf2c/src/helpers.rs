//! Helpers a program may call: the standard ones the runtime implements, at Linux's ids, and
//! custom ones a host application declares with a prototype the verifier checks calls against.

use std::collections::BTreeMap;

/// How the verifier treats one helper argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HelperArg {
    /// Any number (not a pointer).
    Anything,
    /// A pointer to initialised memory the helper reads; the next argument must be its size.
    ReadableMem,
    /// Like `ReadableMem`, but the pointer may be NULL when the size is 0.
    ReadableMemOrNull,
    /// A pointer to memory the helper fills completely; the next argument must be its size.
    WritableMem,
    /// The size of the preceding memory argument: a number greater than zero.
    ConstSize,
    /// The size of the preceding memory argument: a number, possibly zero.
    ConstSizeOrZero,
    /// The program's context.
    Context,
    /// A map (a 64-bit map load).
    Map,
    /// A pointer to a key of the map in the first argument.
    MapKey,
    /// A pointer to a value of the map in the first argument.
    MapValue,
}

/// What a helper returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HelperReturn {
    /// A number.
    Integer,
    /// A pointer to a value of the map in the first argument, or NULL.
    MapValueOrNull,
}

/// A helper's prototype: its name and what its arguments and result are.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HelperDecl {
    pub id: u32,
    pub name: String,
    pub ret: HelperReturn,
    /// At most five arguments, r1 first.
    pub args: Vec<HelperArg>,
}

impl HelperDecl {
    pub fn new(id: u32, name: impl Into<String>, ret: HelperReturn, args: &[HelperArg]) -> Self {
        HelperDecl {
            id,
            name: name.into(),
            ret,
            args: args.to_vec(),
        }
    }

    /// Problems with the prototype itself, in plain words.
    pub fn check(&self) -> Result<(), String> {
        if self.args.len() > 5 {
            return Err(format!(
                "helper '{}' (id {}) declares {} arguments; eBPF passes at most 5",
                self.name,
                self.id,
                self.args.len()
            ));
        }
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(format!(
                "helper id {} has an invalid name '{}'",
                self.id, self.name
            ));
        }
        for (i, a) in self.args.iter().enumerate() {
            let is_mem = matches!(
                a,
                HelperArg::ReadableMem | HelperArg::ReadableMemOrNull | HelperArg::WritableMem
            );
            let next_is_size = matches!(
                self.args.get(i + 1),
                Some(HelperArg::ConstSize | HelperArg::ConstSizeOrZero)
            );
            if is_mem && !next_is_size {
                return Err(format!(
                    "helper '{}' (id {}): a memory argument (r{}) must be followed by its size",
                    self.name,
                    self.id,
                    i + 1
                ));
            }
            let is_size = matches!(a, HelperArg::ConstSize | HelperArg::ConstSizeOrZero);
            let prev_is_mem = i > 0
                && matches!(
                    self.args[i - 1],
                    HelperArg::ReadableMem | HelperArg::ReadableMemOrNull | HelperArg::WritableMem
                );
            if is_size && !prev_is_mem {
                return Err(format!(
                    "helper '{}' (id {}): a size argument (r{}) must follow a memory argument",
                    self.name,
                    self.id,
                    i + 1
                ));
            }
        }
        if self.ret == HelperReturn::MapValueOrNull && self.args.first() != Some(&HelperArg::Map) {
            return Err(format!(
                "helper '{}' (id {}) returns a map value, so its first argument must be a map",
                self.name, self.id
            ));
        }
        Ok(())
    }
}

/// Linux helper ids (`enum bpf_func_id`), from the ABI.
pub use bpf2c_abi::helper::id;

/// The standard helpers every runtime provides, by id. Their prototypes are Linux's.
pub use bpf2c_abi::helper::STANDARD_HELPERS as STANDARD_HELPER_IDS;

/// Is this one of the helpers that take a map in r1 and a key pointer in r2?
pub fn takes_map_and_key(id: u32) -> bool {
    matches!(
        id,
        id::MAP_LOOKUP_ELEM | id::MAP_UPDATE_ELEM | id::MAP_DELETE_ELEM
    )
}

/// The helpers a translation may use: the standard ones plus the host's own.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HelperSet {
    custom: BTreeMap<u32, HelperDecl>,
}

impl HelperSet {
    /// Only the standard helpers.
    pub fn standard() -> HelperSet {
        HelperSet::default()
    }

    /// Adds a host helper. Its id must not be a standard helper's and must be unique.
    pub fn add(&mut self, decl: HelperDecl) -> Result<(), String> {
        decl.check()?;
        if STANDARD_HELPER_IDS.contains(&decl.id) {
            return Err(format!(
                "helper '{}' uses id {}, which belongs to the standard helper {}",
                decl.name,
                decl.id,
                crate::insn::standard_helper_name(decl.id as i32).unwrap_or("?")
            ));
        }
        if let Some(old) = self.custom.get(&decl.id) {
            return Err(format!(
                "helpers '{}' and '{}' both use id {}",
                old.name, decl.name, decl.id
            ));
        }
        self.custom.insert(decl.id, decl);
        Ok(())
    }

    pub fn custom(&self) -> impl Iterator<Item = &HelperDecl> {
        self.custom.values()
    }

    pub fn custom_helper(&self, id: u32) -> Option<&HelperDecl> {
        self.custom.get(&id)
    }

    pub fn is_available(&self, id: u32) -> bool {
        STANDARD_HELPER_IDS.contains(&id) || self.custom.contains_key(&id)
    }

    /// The name of a helper id: standard, custom, or `helper_<id>` for unknown ids.
    pub fn name(&self, id: u32) -> String {
        if let Some(n) = crate::insn::standard_helper_name(id as i32) {
            return n.to_string();
        }
        match self.custom.get(&id) {
            Some(d) => d.name.clone(),
            None => format!("helper_{id}"),
        }
    }

    /// Names of the custom helpers, by id, for code generation.
    pub fn custom_names(&self) -> BTreeMap<u32, String> {
        self.custom
            .iter()
            .map(|(id, d)| (*id, d.name.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_prototypes() {
        let mem_without_size =
            HelperDecl::new(100, "h", HelperReturn::Integer, &[HelperArg::ReadableMem]);
        assert!(mem_without_size
            .check()
            .unwrap_err()
            .contains("followed by its size"));
        let size_alone = HelperDecl::new(100, "h", HelperReturn::Integer, &[HelperArg::ConstSize]);
        assert!(size_alone.check().unwrap_err().contains("must follow"));
        let ok = HelperDecl::new(
            100,
            "log_bytes",
            HelperReturn::Integer,
            &[HelperArg::ReadableMem, HelperArg::ConstSize],
        );
        assert!(ok.check().is_ok());
    }

    #[test]
    fn custom_ids_must_not_clash() {
        let mut set = HelperSet::standard();
        assert!(set
            .add(HelperDecl::new(1, "mine", HelperReturn::Integer, &[]))
            .is_err());
        set.add(HelperDecl::new(
            1000,
            "mine",
            HelperReturn::Integer,
            &[HelperArg::Anything],
        ))
        .unwrap();
        assert!(set
            .add(HelperDecl::new(1000, "other", HelperReturn::Integer, &[]))
            .is_err());
        assert_eq!(set.name(1000), "mine");
        assert_eq!(set.name(1), "bpf_map_lookup_elem");
        assert_eq!(set.name(77), "helper_77");
        assert!(set.is_available(1000) && set.is_available(12) && !set.is_available(4));
    }
}
