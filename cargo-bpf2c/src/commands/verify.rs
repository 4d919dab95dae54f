//! `cargo bpf2c verify OBJECT... [--program NAME]`: a verdict for every program.

use bpf2c::verify::{verify_program, VerifyOptions};
use serde_json::json;

use crate::cli::VerifyArgs;
use crate::shell::Shell;
use crate::{CmdResult, Failure, Outcome};

pub fn run(shell: &Shell, args: VerifyArgs) -> CmdResult {
    let mut all_passed = true;
    let mut matched = false;
    for path in &args.objects {
        let obj = match super::load(path, args.raw) {
            Ok(o) => o,
            Err(Failure(msg)) => {
                all_passed = false;
                if shell.is_json() {
                    shell.json(&json!({
                        "reason": "diagnostic", "level": "error", "object": path.display().to_string(),
                        "program": null, "function": null, "insn": null, "line": null, "message": msg,
                    }));
                }
                shell.error(msg);
                continue;
            }
        };
        shell.status("Verifying", path.display().to_string());
        let object = path.display().to_string();
        for (i, p) in obj.programs.iter().enumerate() {
            if args.program.as_ref().is_some_and(|want| want != &p.name) {
                continue;
            }
            matched = true;
            let verdict = verify_program(&obj, i, &VerifyOptions::default());
            all_passed &= verdict.verified;
            if !shell.is_json() {
                let outcome = if verdict.verified { "ok" } else { "FAILED" };
                println!(
                    "{object}: program '{}' ({}, {} instructions): {outcome}",
                    verdict.program,
                    p.prog_type.name(),
                    verdict.instructions
                );
            }
            super::report_verdicts(shell, &object, std::slice::from_ref(&verdict));
        }
    }
    if let Some(want) = &args.program {
        if !matched {
            return Err(Failure(format!(
                "no program named '{want}' in the given object(s)"
            )));
        }
    }
    Ok(if all_passed {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}
