//! `cargo bpf2c`: verify eBPF objects, translate them to C, compile and run them.

mod cli;
mod commands;
mod shell;
mod workspace;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};
use shell::{Shell, Verbosity};

/// Exit status of a command: success, a failure already reported (a program that failed
/// verification, an error), or a usage error.
pub enum Outcome {
    Success,
    Failure,
}

/// A failure to report: printed as `error: <message>` on stderr, exit status 1.
pub struct Failure(pub String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Failure {
        Failure(e.to_string())
    }
}

pub type CmdResult = Result<Outcome, Failure>;

fn main() -> ExitCode {
    // A panic is a bug in bpf2c, never the user's fault; report it in one line, without a
    // backtrace, and exit non-zero.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("error: internal error in cargo-bpf2c{at}: {msg}");
    }));

    // `cargo bpf2c ARGS` runs `cargo-bpf2c bpf2c ARGS`.
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "bpf2c") {
        args.remove(1);
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(2),
            };
        }
    };

    let verbosity = if cli.global.quiet {
        Verbosity::Quiet
    } else if cli.global.verbose {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    };
    let shell = Shell::new(verbosity, cli.global.message_format, cli.global.color);

    let result =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&shell, cli.command)));
    match result {
        Ok(Ok(Outcome::Success)) => ExitCode::SUCCESS,
        Ok(Ok(Outcome::Failure)) => ExitCode::from(1),
        Ok(Err(Failure(msg))) => {
            shell.error(msg);
            ExitCode::from(1)
        }
        Err(_) => ExitCode::from(101),
    }
}

fn run(shell: &Shell, command: Command) -> CmdResult {
    match command {
        Command::Verify(args) => commands::verify::run(shell, args),
        Command::Gen(args) => commands::gen::run(shell, args),
        Command::Build(args) => commands::build::run(shell, args),
        Command::Run(args) => commands::run::run(shell, args),
        Command::Report(args) => commands::report::run(shell, args),
        Command::Plugin(args) => commands::plugin::run(args),
    }
}
