//! `cargo bpf2c plugin [MEMORY-HEX]`: the bpf_conformance plugin protocol. The program comes
//! as hex bytes on stdin, the memory as the argument; r0 goes to stdout in hex. ISA tests are
//! not verifiable programs, so the plugin translates without verification.

use std::io::Read;

use bpf2c::object::raw::load_raw;
use bpf2c_runtime::Options;
use cargo_bpf2c::hex;
use cargo_bpf2c::plugin_input::decode_program;

use crate::cli::{PluginArgs, TranslateArgs};
use crate::shell::{ColorChoice, MessageFormat, Shell, Verbosity};
use crate::{CmdResult, Failure, Outcome};

pub fn run(args: PluginArgs) -> CmdResult {
    // The runner reads stdout as the result; status lines would only be noise on stderr.
    let shell = Shell::new(Verbosity::Quiet, MessageFormat::Human, ColorChoice::Never);
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .map_err(|e| Failure(format!("cannot read the program from stdin: {e}")))?;
    let program = decode_program(input).map_err(Failure)?;
    let mut memory = match &args.memory {
        Some(m) => hex::decode(m).map_err(|e| Failure(format!("memory argument: {e}")))?,
        None => Vec::new(),
    };
    let obj = load_raw(&program, "<stdin>".as_ref(), "plugin").map_err(Failure::from)?;
    let translate = TranslateArgs {
        no_verify: true,
        no_opt: true,
        raw: true,
        program_types: Vec::new(),
    };
    let instance = super::run::instantiate(&shell, &obj, &translate, Options::default())?;
    let prog = instance.program("plugin").map_err(Failure::from)?;
    let r0 = instance
        .run_raw(&prog, &mut memory)
        .map_err(Failure::from)?;
    println!("{r0:x}");
    Ok(Outcome::Success)
}
