//! One module per subcommand, plus what they share: reading objects, translating them with
//! status lines, printing verification diagnostics and pipeline failures, and where a
//! workspace unit's files go. Subcommands use this module, never each other.

pub mod build;
pub mod gen;
pub mod plugin;
pub mod report;
pub mod run;
pub mod verify;

use std::path::{Path, PathBuf};

use bpf2c::driver::{translate, TranslateError, TranslateOptions, Translation};
use bpf2c::helpers::HelperSet;
use bpf2c::object::{load_file, InputFormat, Object, ProgramTypeOverride};
use bpf2c::verify::{Diagnostic, ProgramVerdict};
use bpf2c_build::pipeline::{self, Failure as PipelineFailure};
use serde_json::json;

use crate::cli::TranslateArgs;
use crate::shell::Shell;
use crate::workspace::Unit;
use crate::Failure;

pub fn load(path: &Path, raw: bool) -> Result<Object, Failure> {
    let format = if raw {
        InputFormat::Raw
    } else {
        InputFormat::Elf
    };
    load_file(path, format).map_err(Failure::from)
}

/// [`load`], then the program types `--program-type` gives.
pub fn load_typed(
    path: &Path,
    raw: bool,
    program_types: &[ProgramTypeOverride],
) -> Result<Object, Failure> {
    let mut obj = load(path, raw)?;
    obj.override_program_types(program_types)?;
    Ok(obj)
}

/// Verifies (unless `--no-verify`) and translates, with status lines; a refusal prints every
/// diagnostic and fails.
pub fn translate_object(
    shell: &Shell,
    obj: &Object,
    args: &TranslateArgs,
    module_symbol: Option<String>,
    output_name: Option<String>,
) -> Result<Translation, Failure> {
    translate_object_with(
        shell,
        obj,
        args,
        HelperSet::standard(),
        module_symbol,
        output_name,
    )
}

/// [`translate_object`] with host helpers the programs may call.
pub fn translate_object_with(
    shell: &Shell,
    obj: &Object,
    args: &TranslateArgs,
    helpers: HelperSet,
    module_symbol: Option<String>,
    output_name: Option<String>,
) -> Result<Translation, Failure> {
    let opts = translate_options(args, helpers, module_symbol, output_name);
    announce_translation(shell, obj, &opts);
    report_translation(shell, obj, translate(obj, &opts))
}

/// The driver's options for `args`.
pub fn translate_options(
    args: &TranslateArgs,
    helpers: HelperSet,
    module_symbol: Option<String>,
    output_name: Option<String>,
) -> TranslateOptions {
    TranslateOptions {
        verify: !args.no_verify,
        optimize: !args.no_opt,
        module_symbol,
        output_name,
        verify_options: bpf2c::verify::VerifyOptions {
            helpers,
            ..Default::default()
        },
        ..TranslateOptions::default()
    }
}

/// The status line before a translation with `opts`: verifying, or the warning that it is
/// not verified.
pub fn announce_translation(shell: &Shell, obj: &Object, opts: &TranslateOptions) {
    if opts.verify {
        shell.status("Verifying", obj.path.display().to_string());
    } else {
        shell.warn(format!(
            "{}: verification skipped (--no-verify); the output is NOT verified",
            obj.path.display()
        ));
    }
}

/// A translation's result for the user: verbose lines per verified program, or every
/// diagnostic of a refusal and a failure.
pub fn report_translation(
    shell: &Shell,
    obj: &Object,
    result: Result<Translation, TranslateError>,
) -> Result<Translation, Failure> {
    match result {
        Ok(t) => {
            for v in &t.verdicts {
                shell.verbose(
                    "Verified",
                    format!(
                        "{} ({} instructions, {:.1?})",
                        v.program, v.instructions, v.verify_time
                    ),
                );
            }
            Ok(t)
        }
        Err(TranslateError::Refused(verdicts)) => {
            report_verdicts(shell, &obj.path.display().to_string(), &verdicts);
            let failed = verdicts.iter().filter(|v| !v.verified).count();
            Err(Failure(format!(
                "{}: {failed} of {} program(s) failed verification; nothing was generated",
                obj.path.display(),
                verdicts.len()
            )))
        }
        Err(TranslateError::Codegen(e)) => Err(Failure::from(e)),
    }
}

/// Prints verdicts: JSON messages, or human diagnostics on stderr for failures.
pub fn report_verdicts(shell: &Shell, object: &str, verdicts: &[ProgramVerdict]) {
    report_verdicts_in(shell, None, object, verdicts)
}

/// [`report_verdicts`] for an object of a workspace package, which JSON messages name.
pub fn report_verdicts_in(
    shell: &Shell,
    package: Option<&str>,
    object: &str,
    verdicts: &[ProgramVerdict],
) {
    for v in verdicts {
        if shell.is_json() {
            shell.json(&json!({
                "reason": "program-verdict",
                "package": package,
                "object": object,
                "program": v.program,
                "section": v.section,
                "program_type": v.program_type,
                "verified": v.verified,
                "instructions": v.instructions,
                "verify_time_ms": v.verify_time.as_secs_f64() * 1e3,
            }));
            for d in &v.diagnostics {
                let mut message = diagnostic_json(d);
                message["package"] = json!(package);
                shell.json(&message);
            }
        } else {
            for d in &v.diagnostics {
                shell.error(format!("program '{}' failed verification", v.program));
                shell.note(render_diagnostic(d));
            }
        }
    }
}

pub fn diagnostic_json(d: &Diagnostic) -> serde_json::Value {
    json!({
        "reason": "diagnostic",
        "level": "error",
        "object": d.object,
        "program": d.program,
        "function": d.function,
        "section": d.section,
        "insn": d.insn,
        "line": d.line_text(),
        "source": d.source.as_ref().map(|s| s.text.clone()),
        "instruction": d.disasm,
        "message": d.message,
        "verifier_message": d.detail,
        "call_chain": d.call_chain,
    })
}

/// A diagnostic laid out like rustc's: location, source line, instruction and reason.
pub fn render_diagnostic(d: &Diagnostic) -> String {
    let mut out = String::new();
    let place = match &d.source {
        Some(s) => format!("{}:{}:{}", s.file, s.line, s.column),
        None => d.object.clone(),
    };
    out.push_str(&format!("  --> {place}\n"));
    if let Some(s) = &d.source {
        if !s.text.is_empty() {
            let n = s.line.to_string();
            let pad = " ".repeat(n.len());
            out.push_str(&format!("{pad} |\n{n} | {}\n{pad} |\n", s.text.trim_end()));
        }
    }
    if let (Some(func), Some(insn)) = (&d.function, d.insn) {
        let section = d.section.as_deref().unwrap_or("?");
        let what = d.disasm.as_deref().unwrap_or("");
        out.push_str(&format!(
            "   = instruction {insn} of function '{func}' (section '{section}', object {}): {what}\n",
            d.object
        ));
    } else if let (Some(func), Some(section)) = (&d.function, &d.section) {
        // A refusal of the whole program (its type, a relocation...): where it is.
        out.push_str(&format!(
            "   = function '{func}' (section '{section}', object {})\n",
            d.object
        ));
    } else {
        out.push_str(&format!("   = object {}\n", d.object));
    }
    if !d.call_chain.is_empty() {
        out.push_str(&format!(
            "   = called from: {}\n",
            d.call_chain.join(" -> ")
        ));
    }
    out.push_str(&format!("   = reason: {}\n", d.message));
    if let Some(detail) = &d.detail {
        out.push_str(&format!("   = verifier: {detail}\n"));
    }
    out
}

/// The directory a unit's files go to: `-o DIR/<package>` or `target/bpf2c/<package>`.
pub fn unit_dir(unit: &Unit, out: Option<&PathBuf>) -> PathBuf {
    match (out, &unit.package) {
        (Some(dir), Some(p)) => dir.join(p),
        (Some(dir), None) => dir.clone(),
        (None, _) => unit.out_dir.clone(),
    }
}

/// Prints why an object failed: a short line per problem (the details with -v), or JSON.
pub fn report_failure(shell: &Shell, unit: &Unit, failure: &PipelineFailure) {
    if shell.is_json() {
        match failure {
            PipelineFailure::Refused { diagnostics, .. } => {
                for d in diagnostics {
                    let mut m = diagnostic_json(d);
                    m["package"] = json!(unit.package);
                    shell.json(&m);
                }
            }
            other => {
                for msg in other.short_messages() {
                    shell.json(&json!({
                        "reason": "diagnostic", "level": "error",
                        "package": unit.package, "object": unit.object.display,
                        "program": null, "function": null, "insn": null, "line": null,
                        "message": msg,
                    }));
                }
            }
        }
        return;
    }
    match failure {
        PipelineFailure::Refused { diagnostics, .. } => {
            for d in diagnostics {
                shell.error(pipeline::short(d));
                shell.verbose_note(render_diagnostic(d));
            }
        }
        other => {
            for msg in other.short_messages() {
                shell.error(msg);
            }
        }
    }
}
