//! `cargo bpf2c verify [OBJECT...] [--program NAME]`: a verdict for every program, of the
//! objects named or, without any, of the workspace's packages.

use std::path::PathBuf;

use bpf2c::object::{Object, ProgramTypeOverride};
use bpf2c::verify::{verify_programs, VerifyOptions};
use bpf2c_build::pipeline;
use serde_json::json;

use crate::cli::VerifyArgs;
use crate::shell::Shell;
use crate::workspace::{self, Unit};
use crate::{CmdResult, Failure, Outcome};

pub fn run(shell: &Shell, args: VerifyArgs) -> CmdResult {
    if args.raw && args.objects.is_empty() {
        return Err(Failure(
            "--raw reads raw bytecode files, which must be named on the command line".into(),
        ));
    }
    let units = workspace::resolve(&args.objects, &args.ws)?;
    let mut matched = false;
    let (mut programs, mut failed, mut broken) = (0, 0, 0);
    for (i, unit) in units.iter().enumerate() {
        shell.status(
            "Verifying",
            format!("{}{}", Shell::progress(i, units.len()), unit.label()),
        );
        let obj = match load(unit, args.raw, &args.program_types) {
            Ok(o) => o,
            Err(Failure(msg)) => {
                broken += 1;
                if shell.is_json() {
                    shell.json(&json!({
                        "reason": "diagnostic", "level": "error",
                        "package": unit.package, "object": unit.object.display,
                        "program": null, "function": null, "insn": null, "line": null,
                        "message": msg,
                    }));
                }
                shell.error(msg);
                continue;
            }
        };
        let options = VerifyOptions {
            helpers: unit.helpers.clone(),
            ..VerifyOptions::default()
        };
        let object = unit.object.display.clone();
        for note in &obj.notes {
            shell.note(format!("{object}: {note}"));
        }
        let selected: Vec<usize> = (0..obj.programs.len())
            .filter(|&p| {
                args.program
                    .as_ref()
                    .is_none_or(|want| want == &obj.programs[p].name)
            })
            .collect();
        matched |= !selected.is_empty();
        // Judged as parts of the object, as translation will take them.
        let verdicts = verify_programs(&obj, &selected, &options);
        for (&p, verdict) in selected.iter().zip(verdicts) {
            let prog = &obj.programs[p];
            programs += 1;
            if !verdict.verified {
                failed += 1;
            }
            if !shell.is_json() {
                let outcome = if verdict.verified { "ok" } else { "FAILED" };
                let prefix = unit
                    .package
                    .as_deref()
                    .map(|p| format!("{p} "))
                    .unwrap_or_default();
                println!(
                    "{prefix}{object}: program '{}' ({}, {} instructions): {outcome}",
                    verdict.program, prog.prog_type, verdict.instructions
                );
            }
            super::report_verdicts_in(
                shell,
                unit.package.as_deref(),
                &object,
                std::slice::from_ref(&verdict),
            );
        }
    }
    if let Some(want) = &args.program {
        if !matched {
            return Err(Failure(format!(
                "no program named '{want}' in the given object(s)"
            )));
        }
    }
    let success = failed == 0 && broken == 0;
    if shell.is_json() {
        shell.json(&json!({
            "reason": "verify-finished",
            "success": success,
            "objects": units.len(),
            "programs": programs,
            "failed_programs": failed,
            "unreadable_objects": broken,
        }));
    }
    if success {
        shell.status(
            "Finished",
            format!(
                "{programs} program(s) of {} object(s) verified",
                units.len()
            ),
        );
        Ok(Outcome::Success)
    } else {
        let mut parts = Vec::new();
        if failed > 0 {
            parts.push(format!(
                "{failed} of {programs} program(s) failed verification"
            ));
        }
        if broken > 0 {
            parts.push(format!("{broken} object(s) could not be read"));
        }
        shell.error(parts.join("; "));
        Ok(Outcome::Failure)
    }
}

fn load(unit: &Unit, raw: bool, program_types: &[ProgramTypeOverride]) -> Result<Object, Failure> {
    let path = PathBuf::from(&unit.object.path);
    if raw {
        return super::load_typed(&path, true, program_types);
    }
    let mut obj =
        pipeline::load(&unit.object).map_err(|f| Failure(f.short_messages().join("; ")))?;
    obj.override_program_types(program_types)?;
    Ok(obj)
}
