//! `cargo bpf2c gen OBJECT [-o FILE]`: the C translation of a verified object.

use std::io::Write;

use crate::cli::GenArgs;
use crate::shell::Shell;
use crate::{CmdResult, Failure, Outcome};

pub fn run(shell: &Shell, args: GenArgs) -> CmdResult {
    let obj = super::load(&args.object, args.translate.raw)?;
    let output_name = args
        .output
        .as_ref()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned());
    let translation = super::translate_object(shell, &obj, &args.translate, None, output_name)?;
    shell.status("Generating", format!("C for {}", args.object.display()));
    match &args.output {
        Some(path) => {
            // Write next to the destination, then rename, so a failure never leaves a
            // half-written file in place of a good one.
            let tmp = path.with_extension("c.partial");
            std::fs::write(&tmp, &translation.c_source)
                .and_then(|_| std::fs::rename(&tmp, path))
                .map_err(|e| Failure(format!("cannot write {}: {e}", path.display())))?;
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(translation.c_source.as_bytes())
                .and_then(|_| out.flush())
                .map_err(|e| Failure(format!("cannot write the C to stdout: {e}")))?;
        }
    }
    Ok(Outcome::Success)
}
