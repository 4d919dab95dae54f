//! Rust spellings of names from the object: snake_case methods, CamelCase types, escaped
//! keywords, and a table that hands out distinct names in a fixed order.

use std::collections::BTreeSet;

/// Rust keywords (strict and reserved, all editions) that cannot name an item as they are.
const KEYWORDS: [&str; 52] = [
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

pub fn is_keyword(s: &str) -> bool {
    KEYWORDS.contains(&s)
}

/// Any name as a Rust identifier fragment: characters other than ASCII letters, digits and
/// `_` become `_`, and a leading digit gets a `_` in front (the same rule as C identifiers).
fn sanitize(name: &str) -> String {
    crate::object::c_identifier(name)
}

/// A snake_case-ish name for a method or field: the C name as it is (C names are already
/// snake_case by convention), sanitized, with a `_` appended to keywords.
pub fn snake(name: &str) -> String {
    let s = sanitize(name);
    if is_keyword(&s) {
        format!("{s}_")
    } else {
        s
    }
}

/// A CamelCase name for a type: `flow_key` -> `FlowKey`, `.rodata` -> `Rodata`.
pub fn camel(name: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if upper {
                out.push(c.to_ascii_uppercase());
            } else {
                out.push(c);
            }
            upper = false;
        } else {
            upper = true;
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'T');
    }
    if is_keyword(&out) {
        out.push('_');
    }
    out
}

/// UPPER_SNAKE for constants.
pub fn upper(name: &str) -> String {
    sanitize(name).to_ascii_uppercase()
}

/// Hands out distinct names: a name already taken gets `_2`, `_3`, ... Names are claimed
/// in object order, so the same object always gets the same names.
#[derive(Default)]
pub struct NameTable {
    taken: BTreeSet<String>,
}

impl NameTable {
    pub fn reserve(&mut self, names: &[&str]) {
        self.taken.extend(names.iter().map(|s| s.to_string()));
    }

    pub fn claim(&mut self, base: &str) -> String {
        let mut name = base.to_string();
        let mut n = 2;
        while self.taken.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        self.taken.insert(name.clone());
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_rust_identifiers() {
        assert_eq!(snake("count_packets"), "count_packets");
        assert_eq!(snake("type"), "type_");
        assert_eq!(snake(".data.custom"), "_data_custom");
        assert_eq!(camel("flow_key"), "FlowKey");
        assert_eq!(camel(".rodata.str1.1"), "RodataStr11");
        assert_eq!(camel("3d"), "T3d");
        assert_eq!(camel("self"), "Self_");
        assert_eq!(upper("host_log"), "HOST_LOG");
        let mut t = NameTable::default();
        t.reserve(&["load"]);
        assert_eq!(t.claim("load"), "load_2");
        assert_eq!(t.claim("x"), "x");
        assert_eq!(t.claim("x"), "x_2");
    }
}
