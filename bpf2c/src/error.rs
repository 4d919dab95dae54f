//! The one error type of the core: every failure names the file, and where it can, the
//! section, the function or program, the instruction and the reason.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where in an object a problem sits. Each field is optional because a problem may concern
/// the whole file (a truncated header) or one instruction of one function.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub section: Option<String>,
    /// The function (or program) the instruction belongs to.
    pub function: Option<String>,
    /// Instruction index, counted in 8-byte slots from the start of the function.
    pub insn: Option<usize>,
}

impl Location {
    pub fn file(path: &Path) -> Location {
        Location {
            file: path.to_path_buf(),
            ..Location::default()
        }
    }

    pub fn section(mut self, section: impl Into<String>) -> Location {
        self.section = Some(section.into());
        self
    }

    pub fn function(mut self, function: impl Into<String>) -> Location {
        self.function = Some(function.into());
        self
    }

    pub fn insn(mut self, insn: usize) -> Location {
        self.insn = Some(insn);
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(s) = &self.section {
            write!(f, ": section '{s}'")?;
        }
        if let Some(func) = &self.function {
            write!(f, ", function '{func}'")?;
        }
        if let Some(i) = self.insn {
            write!(f, ", instruction {i}")?;
        }
        Ok(())
    }
}

/// What went wrong, in plain words, with the place it went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub location: Location,
    pub message: String,
}

impl Error {
    pub fn new(location: Location, message: impl Into<String>) -> Error {
        Error {
            location,
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
