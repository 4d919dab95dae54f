//! Command-line definitions. Invoked as `cargo bpf2c ...` (cargo passes `bpf2c` as the first
//! argument, which `main` drops) or directly as `cargo-bpf2c ...`.

use std::path::PathBuf;

use bpf2c::object::ProgramTypeOverride;
use clap::{Args, Parser, Subcommand};

use crate::shell::{ColorChoice, MessageFormat};

#[derive(Parser, Debug)]
#[command(
    name = "cargo bpf2c",
    bin_name = "cargo bpf2c",
    version,
    about = "Verify eBPF objects, translate them to C, and run them natively",
    long_about = "Verify eBPF objects with the PREVAIL verifier, translate them to portable C, \
                  compile the C natively and run it.\n\n\
                  Without an OBJECT argument, verify, gen, report and build work on the objects \
                  that workspace packages declare in [package.metadata.bpf2c]."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: GlobalArgs,
}

#[derive(Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Print no status lines
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Print more status lines
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Coloring of status lines: auto, always, never
    #[arg(long, value_enum, default_value = "auto", global = true)]
    pub color: ColorChoice,
    /// Output format of messages: human, or json (one object per line on stdout)
    #[arg(long, value_enum, default_value = "human", global = true)]
    pub message_format: MessageFormat,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Verify every program of one or more objects, and print a verdict per program
    Verify(VerifyArgs),
    /// Translate an object to C (and Rust bindings, in workspace mode)
    Gen(GenArgs),
    /// Verify, translate and compile objects natively: what bpf2c-build does in a build
    /// script, for every object of the workspace at once
    Build(BuildArgs),
    /// Compile an object natively and run one program
    Run(RunArgs),
    /// List every call site of a map helper or bpf_get_prandom_u32 and whether it is
    /// inlined, called directly or left to the helper, with the reason
    Report(ReportArgs),
    /// Speak the bpf_conformance plugin protocol: program hex on stdin, memory hex as
    /// argument. The program runs unverified (ISA tests are not verifiable programs)
    Plugin(PluginArgs),
}

/// How to read and translate an object.
#[derive(Args, Debug, Clone, Default)]
pub struct TranslateArgs {
    /// Skip verification; the output records that it was not verified. With `run`, the
    /// unverified programs run anyway: only for programs you know to be memory-safe
    #[arg(long)]
    pub no_verify: bool,
    /// Turn off verifier-assisted optimizations
    #[arg(long)]
    pub no_opt: bool,
    /// Read the input as raw little-endian bytecode instead of ELF
    #[arg(long)]
    pub raw: bool,
    /// Verify the programs of section SECTION as program type TYPE (repeatable): for sections
    /// whose names do not say their type. TYPE: xdp, raw, or a Linux type such as kprobe,
    /// sched_cls, socket_filter
    #[arg(long = "program-type", value_name = "SECTION=TYPE", value_parser = ProgramTypeOverride::parse)]
    pub program_types: Vec<ProgramTypeOverride>,
}

/// Where objects come from when none is named: the packages of the workspace, through
/// `cargo metadata` and their `[package.metadata.bpf2c]`. Shared by every command that
/// takes objects (see `workspace::resolve`).
#[derive(Args, Debug, Clone, Default)]
pub struct WorkspaceArgs {
    /// Path to the Cargo.toml of the package or workspace
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Work on this package's objects (repeatable)
    #[arg(short = 'p', long = "package", value_name = "SPEC")]
    pub packages: Vec<String>,
    /// Work on the objects of every workspace member
    #[arg(long)]
    pub workspace: bool,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// eBPF object files (default: the objects of the workspace's packages)
    pub objects: Vec<PathBuf>,
    #[command(flatten)]
    pub ws: WorkspaceArgs,
    /// Verify only this program
    #[arg(long)]
    pub program: Option<String>,
    /// Read the input as raw little-endian bytecode instead of ELF
    #[arg(long)]
    pub raw: bool,
    /// Verify the programs of section SECTION as program type TYPE (repeatable): for sections
    /// whose names do not say their type. TYPE: xdp, raw, or a Linux type such as kprobe,
    /// sched_cls, socket_filter
    #[arg(long = "program-type", value_name = "SECTION=TYPE", value_parser = ProgramTypeOverride::parse)]
    pub program_types: Vec<ProgramTypeOverride>,
}

#[derive(Args, Debug)]
pub struct GenArgs {
    /// eBPF object file (default: the objects of the workspace's packages, written to
    /// target/bpf2c/PACKAGE/)
    pub object: Option<PathBuf>,
    /// With an OBJECT: write the C here instead of stdout. In workspace mode: the directory
    /// to write into instead of target/bpf2c
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// With an OBJECT: translate only this program (repeatable), with the functions and maps
    /// it needs, so that other programs of the object that cannot run here do not stop it
    #[arg(long = "program", value_name = "NAME")]
    pub programs: Vec<String>,
    #[command(flatten)]
    pub translate: TranslateArgs,
    #[command(flatten)]
    pub ws: WorkspaceArgs,
}

#[derive(Args, Debug)]
pub struct BuildArgs {
    /// eBPF object files (default: the objects of the workspace's packages)
    pub objects: Vec<PathBuf>,
    /// Directory for the generated C, bindings and native objects (default: target/bpf2c)
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    #[command(flatten)]
    pub ws: WorkspaceArgs,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// eBPF object file
    pub object: PathBuf,
    /// Program to run (default: the object's only program)
    #[arg(long)]
    pub program: Option<String>,
    /// Packet or memory given to the program, as hex
    #[arg(long, default_value = "")]
    pub data_hex: String,
    /// Read the packet or memory given to the program from this file (raw bytes), for inputs
    /// too long for a command line
    #[arg(long, value_name = "PATH", conflicts_with = "data_hex")]
    pub data_file: Option<PathBuf>,
    /// __sk_buff fields the packet cannot give, for socket-filter, tc and cgroup-skb
    /// programs: a JSON object such as {"mark":1,"priority":2,"ifindex":3,"cb":[1,2,3,4,5]}
    #[arg(long, value_name = "JSON")]
    pub ctx_json: Option<String>,
    /// Map entries to set before the run: {"map": {"key hex": "value hex"}}. For a map of
    /// maps, the value is the 4-byte index of the inner map in the object's map order (the
    /// order --maps-out lists them in)
    #[arg(long)]
    pub maps_in: Option<PathBuf>,
    /// Write every map's entries here after the run, in the --maps-in format
    #[arg(long)]
    pub maps_out: Option<PathBuf>,
    /// Run the program N times (at least once) on the same data and report ns_per_run
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub repeat: Option<u64>,
    /// Seed for bpf_get_prandom_u32, for repeatable runs
    #[arg(long)]
    pub seed: Option<u64>,
    /// Back-edges one run may take before it is stopped
    #[arg(long)]
    pub loop_budget: Option<u64>,
    #[command(flatten)]
    pub translate: TranslateArgs,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// eBPF object files (default: the objects of the workspace's packages)
    pub objects: Vec<PathBuf>,
    #[command(flatten)]
    pub translate: TranslateArgs,
    #[command(flatten)]
    pub ws: WorkspaceArgs,
}

#[derive(Args, Debug)]
pub struct PluginArgs {
    /// Input memory as hex bytes (space-separated or contiguous)
    pub memory: Option<String>,
    /// Accepted for bpf_conformance compatibility; ignored
    #[arg(long, hide = true)]
    pub debug: bool,
}
