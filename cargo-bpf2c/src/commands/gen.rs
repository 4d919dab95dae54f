//! `cargo bpf2c gen OBJECT [-o FILE]`: the C translation of a verified object, on stdout or
//! into a file. Without an OBJECT, every object of the workspace's packages, as C and Rust
//! bindings, into `target/bpf2c/<package>/` (never the source tree).

use std::io::Write;
use std::path::Path;

use bpf2c_build::pipeline::{self, write_if_changed, Target};
use serde_json::json;

use crate::cli::GenArgs;
use crate::shell::Shell;
use crate::workspace;
use crate::{CmdResult, Failure, Outcome};

pub fn run(shell: &Shell, args: GenArgs) -> CmdResult {
    match args.object.clone() {
        Some(object) => one(shell, &args, &object),
        None => workspace_mode(shell, &args),
    }
}

fn one(shell: &Shell, args: &GenArgs, object: &Path) -> CmdResult {
    let mut obj = super::load_typed(object, args.translate.raw, &args.translate.program_types)?;
    if !args.programs.is_empty() {
        obj = obj.select_programs(&args.programs).map_err(Failure::from)?;
    }
    // A package that declares the object may declare host helpers its programs call.
    let helpers = if args.translate.raw {
        bpf2c::helpers::HelperSet::standard()
    } else {
        workspace::resolve(&[object.to_path_buf()], &args.ws)?
            .pop()
            .map(|u| u.helpers)
            .unwrap_or_default()
    };
    let output_name = args
        .output
        .as_ref()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned());
    let translation =
        super::translate_object_with(shell, &obj, &args.translate, helpers, None, output_name)?;
    shell.status("Generating", format!("C for {}", object.display()));
    match &args.output {
        Some(path) => write_output(path, translation.c_source.as_bytes())
            .map_err(|e| Failure(format!("cannot write {}: {e}", path.display())))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(translation.c_source.as_bytes())
                .and_then(|_| out.flush())
                .map_err(|e| Failure(format!("cannot write the C to stdout: {e}")))?;
        }
    }
    Ok(Outcome::Success)
}

/// Writes the C to `path`. A regular file (or a new one) is written next to the destination
/// and renamed over it, so a failure never leaves a half-written file in place of a good one;
/// anything else that exists there (`/dev/null`, a FIFO, a terminal) is written to as it is,
/// since renaming over it would replace the device with a file.
fn write_output(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() && !meta.is_dir() => std::fs::write(path, bytes),
        _ => {
            let tmp = path.with_extension("c.partial");
            std::fs::write(&tmp, bytes).and_then(|_| std::fs::rename(&tmp, path))
        }
    }
}

fn workspace_mode(shell: &Shell, args: &GenArgs) -> CmdResult {
    if !args.programs.is_empty() {
        return Err(Failure("--program needs an OBJECT".into()));
    }
    if args.translate.raw || args.translate.no_verify {
        return Err(Failure(
            "--raw and --no-verify need an OBJECT: workspace objects are always verified ELF"
                .into(),
        ));
    }
    if !args.translate.program_types.is_empty() {
        return Err(Failure(
            "--program-type needs an OBJECT: in workspace mode, give program types per package \
             with `program-types` in [package.metadata.bpf2c]"
                .into(),
        ));
    }
    let units = workspace::resolve(&[], &args.ws)?;
    let target = Target::host();
    let mut failures = 0;
    for (i, unit) in units.iter().enumerate() {
        let progress = Shell::progress(i, units.len());
        shell.status("Generating", format!("{progress}{}", unit.label()));
        let mut cfg = unit.object.clone();
        cfg.optimize &= !args.translate.no_opt;
        match pipeline::translate_object(&cfg, &unit.helpers, &target, None) {
            Ok(t) => {
                let dir = super::unit_dir(unit, args.output.as_ref());
                let c = dir.join(format!("{}.c", t.name));
                let rs = dir.join(format!("{}.rs", t.name));
                for (path, text) in [(&c, &t.c_source), (&rs, &t.bindings)] {
                    write_if_changed(path, text.as_bytes())
                        .map_err(|e| Failure(format!("cannot write {}: {e}", path.display())))?;
                    shell.verbose("Wrote", path.display().to_string());
                }
                if shell.is_json() {
                    shell.json(&json!({
                        "reason": "generated",
                        "package": unit.package,
                        "object": unit.object.display,
                        "name": t.name,
                        "c_source": c,
                        "bindings": rs,
                    }));
                }
            }
            Err(f) => {
                failures += 1;
                super::report_failure(shell, unit, &f);
            }
        }
    }
    if shell.is_json() {
        shell.json(&json!({"reason": "gen-finished", "success": failures == 0}));
    }
    if failures > 0 {
        shell.error(format!(
            "{failures} of {} object(s) failed; nothing was generated for them",
            units.len()
        ));
        return Ok(Outcome::Failure);
    }
    shell.status(
        "Finished",
        format!("C and bindings for {} object(s)", units.len()),
    );
    Ok(Outcome::Success)
}
