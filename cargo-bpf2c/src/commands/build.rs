//! `cargo bpf2c build [OBJECT...]`: what bpf2c-build does in a build script, for many
//! objects at once: verify, generate C and bindings, compile the C natively. Files go to
//! `target/bpf2c/<package>/` (or `--out-dir`); every object is tried, and every failure
//! reported.

use bpf2c_build::native;
use bpf2c_build::pipeline::{self, write_if_changed, Target};
use serde_json::json;

use crate::cli::BuildArgs;
use crate::shell::Shell;
use crate::workspace;
use crate::{CmdResult, Failure, Outcome};

pub fn run(shell: &Shell, args: BuildArgs) -> CmdResult {
    let units = workspace::resolve(&args.objects, &args.ws)?;
    let target = Target::host();
    let mut failures = 0;
    for (i, unit) in units.iter().enumerate() {
        let progress = Shell::progress(i, units.len());
        shell.status("Verifying", format!("{progress}{}", unit.label()));
        let t = match pipeline::translate_object(&unit.object, &unit.helpers, &target, None) {
            Ok(t) => t,
            Err(f) => {
                failures += 1;
                super::report_failure(shell, unit, &f);
                continue;
            }
        };
        let dir = super::unit_dir(unit, args.out_dir.as_ref());
        shell.status("Generating", format!("{progress}{}", unit.label()));
        let include = dir.join("include");
        let c = dir.join(format!("{}.c", t.name));
        let rs = dir.join(format!("{}.rs", t.name));
        let native_object = dir.join(format!("{}.o", t.name));
        for (path, text) in [(&c, &t.c_source), (&rs, &t.bindings)] {
            write_if_changed(path, text.as_bytes())
                .map_err(|e| Failure(format!("cannot write {}: {e}", path.display())))?;
        }
        bpf2c_runtime::write_abi_header(&include)
            .map_err(|e| Failure(format!("cannot write {}: {e}", include.display())))?;
        shell.status("Compiling", format!("{progress}{}", unit.label()));
        if let Err(e) = native::compile_object(&c, &include, &native_object) {
            failures += 1;
            let msg = format!("{}: {e}", unit.label());
            if shell.is_json() {
                shell.json(&json!({
                    "reason": "diagnostic", "level": "error", "package": unit.package,
                    "object": unit.object.display, "message": msg,
                }));
            } else {
                shell.error(msg);
            }
            continue;
        }
        shell.verbose(
            "Built",
            format!(
                "{} ({} program(s), symbol {})",
                native_object.display(),
                t.programs,
                t.symbol
            ),
        );
        if shell.is_json() {
            shell.json(&json!({
                "reason": "compiled-object",
                "package": unit.package,
                "object": unit.object.display,
                "name": t.name,
                "symbol": t.symbol,
                "programs": t.programs,
                "c_source": c,
                "bindings": rs,
                "native_object": native_object,
            }));
        }
    }
    if shell.is_json() {
        shell.json(&json!({"reason": "build-finished", "success": failures == 0}));
    }
    if failures > 0 {
        shell.error(format!(
            "could not build {failures} of {} object(s)",
            units.len()
        ));
        return Ok(Outcome::Failure);
    }
    shell.status("Finished", format!("{} object(s)", units.len()));
    Ok(Outcome::Success)
}
