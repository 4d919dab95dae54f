//! The Linux errno values helpers return, negated in r0, exactly as a program running in
//! Linux would see them. Inlined helper code in the translator returns the same numbers.

use std::fmt;

/// The errno values the runtime's helpers and map operations report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Errno {
    EPERM,
    ENOENT,
    E2BIG,
    EEXIST,
    EINVAL,
    // Family "maps" (issue 10): ring and perf buffers that are full.
    EAGAIN,
    ENOSPC,
}

impl Errno {
    /// The positive errno number, as in Linux (asm-generic/errno-base.h).
    pub const fn code(self) -> i32 {
        match self {
            Errno::EPERM => 1,
            Errno::ENOENT => 2,
            Errno::E2BIG => 7,
            Errno::EEXIST => 17,
            Errno::EINVAL => 22,
            Errno::EAGAIN => 11,
            Errno::ENOSPC => 28,
        }
    }

    /// The symbolic name ("ENOENT"), which is what people search for.
    pub const fn name(self) -> &'static str {
        match self {
            Errno::EPERM => "EPERM",
            Errno::ENOENT => "ENOENT",
            Errno::E2BIG => "E2BIG",
            Errno::EEXIST => "EEXIST",
            Errno::EINVAL => "EINVAL",
            Errno::EAGAIN => "EAGAIN",
            Errno::ENOSPC => "ENOSPC",
        }
    }

    /// The helper return value for this error: `-errno` in a 64-bit register.
    pub const fn as_helper_return(self) -> u64 {
        (-(self.code() as i64)) as u64
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helper_returns_are_negated_codes() {
        assert_eq!(Errno::EINVAL.as_helper_return() as i64, -22);
        assert_eq!(Errno::E2BIG.as_helper_return(), (-7i64) as u64);
        assert_eq!(Errno::EEXIST.to_string(), "EEXIST");
    }
}
