//! Status output in cargo's style: right-aligned verbs on stderr, `-q` to silence them, `-v`
//! for more, colour when stderr is a terminal (or as `--color` says), and JSON lines on stdout
//! for `--message-format json`.

use std::io::{IsTerminal, Write};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum MessageFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

pub struct Shell {
    pub verbosity: Verbosity,
    pub format: MessageFormat,
    color: bool,
}

const GREEN: &str = "\x1b[1;32m";
const CYAN: &str = "\x1b[1;36m";
const YELLOW: &str = "\x1b[1;33m";
const RED: &str = "\x1b[1;31m";
const RESET: &str = "\x1b[0m";

impl Shell {
    pub fn new(verbosity: Verbosity, format: MessageFormat, color: ColorChoice) -> Shell {
        let color = match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            // Like cargo: CARGO_TERM_COLOR decides when --color does not.
            ColorChoice::Auto => match std::env::var("CARGO_TERM_COLOR").as_deref() {
                Ok("always") => true,
                Ok("never") => false,
                _ => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
            },
        };
        Shell {
            verbosity,
            format,
            color,
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("{code}{text}{RESET}")
        } else {
            text.to_string()
        }
    }

    /// A status line such as `   Verifying counter.o`, unless `-q`.
    pub fn status(&self, verb: &str, message: impl AsRef<str>) {
        if self.verbosity > Verbosity::Quiet {
            let verb = self.paint(GREEN, &format!("{verb:>12}"));
            let _ = writeln!(std::io::stderr(), "{verb} {}", message.as_ref());
        }
    }

    /// A status line shown only with `-v`.
    pub fn verbose(&self, verb: &str, message: impl AsRef<str>) {
        if self.verbosity == Verbosity::Verbose {
            let verb = self.paint(CYAN, &format!("{verb:>12}"));
            let _ = writeln!(std::io::stderr(), "{verb} {}", message.as_ref());
        }
    }

    pub fn warn(&self, message: impl AsRef<str>) {
        if self.verbosity > Verbosity::Quiet {
            let _ = writeln!(
                std::io::stderr(),
                "{}: {}",
                self.paint(YELLOW, "warning"),
                message.as_ref()
            );
        }
    }

    /// An error line; shown even with `-q`.
    pub fn error(&self, message: impl AsRef<str>) {
        let _ = writeln!(
            std::io::stderr(),
            "{}: {}",
            self.paint(RED, "error"),
            message.as_ref()
        );
    }

    /// A free-form note line on stderr (diagnostic details), unless `-q`.
    pub fn note(&self, message: impl AsRef<str>) {
        if self.verbosity > Verbosity::Quiet {
            let _ = writeln!(std::io::stderr(), "{}", message.as_ref());
        }
    }

    /// `[3/12] ` in front of a status message when a run covers more than one object.
    pub fn progress(index: usize, total: usize) -> String {
        if total > 1 {
            format!("[{}/{total}] ", index + 1)
        } else {
            String::new()
        }
    }

    /// A note (multi-line details) shown only with `-v`.
    pub fn verbose_note(&self, message: impl AsRef<str>) {
        if self.verbosity == Verbosity::Verbose {
            let _ = writeln!(std::io::stderr(), "{}", message.as_ref());
        }
    }

    pub fn is_json(&self) -> bool {
        self.format == MessageFormat::Json
    }

    /// One JSON message on stdout, one per line, as cargo's `--message-format json` does.
    pub fn json(&self, value: &serde_json::Value) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{value}");
        let _ = out.flush();
    }
}
