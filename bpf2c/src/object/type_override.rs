//! Program types chosen by the user for sections whose names do not say the type (or say it
//! wrongly): `--program-type SECTION=TYPE` on the command line, `program-types` in
//! `[package.metadata.bpf2c]`.

use super::kinds::{program_kind_by_name, LINUX_TYPE_SECTIONS};
use super::{Object, ProgramKind};
use crate::error::{Error, Location, Result};

/// One `SECTION=TYPE`: every program of `section` is of `kind`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramTypeOverride {
    pub section: String,
    pub kind: ProgramKind,
}

/// Every type name an override accepts, comma-separated, for error messages.
fn type_names() -> String {
    let mut names = vec!["xdp", "raw"];
    names.extend(LINUX_TYPE_SECTIONS.iter().map(|(n, _)| *n));
    names.join(", ")
}

impl ProgramTypeOverride {
    /// Reads `SECTION=TYPE`; the section is everything before the last `=`, so section names
    /// holding `=` still work.
    pub fn parse(arg: &str) -> std::result::Result<Self, String> {
        let (section, ty) = arg
            .rsplit_once('=')
            .ok_or_else(|| format!("'{arg}' is not SECTION=TYPE"))?;
        Self::new(section, ty)
    }

    /// The override for `section`, with `ty` read as a program type name.
    pub fn new(section: &str, ty: &str) -> std::result::Result<Self, String> {
        if section.is_empty() {
            return Err(format!("'{section}={ty}' names no section"));
        }
        let kind = program_kind_by_name(ty).ok_or_else(|| {
            format!(
                "unknown program type '{ty}' for section '{section}' (known types: {})",
                type_names()
            )
        })?;
        Ok(ProgramTypeOverride {
            section: section.to_string(),
            kind,
        })
    }
}

impl Object {
    /// Gives every program of each override's section the override's type. A section that
    /// holds no program is an error naming the sections that do, so a typo does not go
    /// unnoticed. A program already refused (CO-RE, a type needing kernel BTF...) stays
    /// refused: the override changes its type, not the reason it cannot be verified.
    pub fn override_program_types(&mut self, overrides: &[ProgramTypeOverride]) -> Result<()> {
        for o in overrides {
            let mut matched = false;
            for p in self.programs.iter_mut().filter(|p| p.section == o.section) {
                p.prog_type = o.kind.clone();
                matched = true;
            }
            if !matched {
                let mut sections: Vec<&str> =
                    self.programs.iter().map(|p| p.section.as_str()).collect();
                sections.dedup();
                return Err(Error::new(
                    Location::file(&self.path),
                    format!(
                        "a program type is given for section '{}', which holds no program \
                         (program sections: {})",
                        o.section,
                        sections.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl Object {
    /// Like [`Object::override_program_types`], for defaults shared by several objects: a
    /// section this object lacks is skipped.
    pub fn override_program_types_where_present(&mut self, overrides: &[ProgramTypeOverride]) {
        for o in overrides {
            for p in self.programs.iter_mut().filter(|p| p.section == o.section) {
                p.prog_type = o.kind.clone();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::ProgramType;

    #[test]
    fn section_and_type_are_read_from_the_last_equals_sign() {
        let o = ProgramTypeOverride::parse("maps=odd=kprobe").unwrap();
        assert_eq!(o.section, "maps=odd");
        assert_eq!(o.kind.name(), "kprobe");
        let o = ProgramTypeOverride::parse("my_filter=raw").unwrap();
        assert_eq!(o.kind, ProgramKind::Runs(ProgramType::Raw));
    }

    #[test]
    fn malformed_or_unknown_types_are_refused_with_the_known_names() {
        assert_eq!(
            ProgramTypeOverride::parse("xdp").unwrap_err(),
            "'xdp' is not SECTION=TYPE"
        );
        assert_eq!(
            ProgramTypeOverride::parse("=xdp").unwrap_err(),
            "'=xdp' names no section"
        );
        let e = ProgramTypeOverride::parse("prog=kprob").unwrap_err();
        assert!(
            e.starts_with("unknown program type 'kprob' for section 'prog' (known types: xdp, raw, socket_filter,"),
            "{e}"
        );
    }
}
