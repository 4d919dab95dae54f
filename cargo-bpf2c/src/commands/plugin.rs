//! `cargo bpf2c plugin [MEMORY-HEX]`: the bpf_conformance plugin protocol. The program comes
//! as hex bytes on stdin, the memory as the argument; r0 goes to stdout in hex. ISA tests are
//! not verifiable programs, so the plugin translates without verification.

use std::io::Read;

use bpf2c::object::raw::load_raw;
use bpf2c_runtime::Options;

use crate::cli::{PluginArgs, TranslateArgs};
use crate::hex;
use crate::shell::{ColorChoice, MessageFormat, Shell, Verbosity};
use crate::{CmdResult, Failure, Outcome};

pub fn run(args: PluginArgs) -> CmdResult {
    // The runner reads stdout as the result; status lines would only be noise on stderr.
    let shell = Shell::new(Verbosity::Quiet, MessageFormat::Human, ColorChoice::Never);
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .map_err(|e| Failure(format!("cannot read the program from stdin: {e}")))?;
    let program = decode_program(input)?;
    let mut memory = match &args.memory {
        Some(m) => hex::decode(m).map_err(|e| Failure(format!("memory argument: {e}")))?,
        None => Vec::new(),
    };
    let obj = load_raw(&program, "<stdin>".as_ref(), "plugin").map_err(Failure::from)?;
    let translate = TranslateArgs {
        no_verify: true,
        no_opt: true,
        raw: true,
    };
    let instance = super::run::instantiate(&shell, &obj, &translate, Options::default())?;
    let prog = instance.program("plugin").map_err(Failure::from)?;
    let r0 = instance
        .run_raw(&prog, &mut memory)
        .map_err(Failure::from)?;
    println!("{r0:x}");
    Ok(Outcome::Success)
}

/// The program's bytes from the hex text on stdin. Bytes that are not UTF-8 cannot be hex
/// digits; they are named by their offset, since they have no character to show.
fn decode_program(input: Vec<u8>) -> Result<Vec<u8>, Failure> {
    let text = String::from_utf8(input).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let byte = e.as_bytes()[at];
        Failure(format!(
            "program on stdin: byte 0x{byte:02x} (byte {}) is not a hex digit",
            at + 1
        ))
    })?;
    hex::decode(&text).map_err(|e| Failure(format!("program on stdin: {e}")))
}
