//! `cargo bpf2c report [OBJECT...]`: every call site of a map helper or of
//! `bpf_get_prandom_u32`, per program, with what the
//! translation does there (`inlined`, `direct` or `helper`) and why it falls back when it
//! does. The rows come from the same plan the generated C carries out, so they cannot
//! disagree with it. Without an OBJECT, every object of the workspace's packages (with the
//! helpers and options each package declares).

use bpf2c::optimize::report::{call_sites, CallSiteReport};
use bpf2c::optimize::Decision;
use serde_json::json;

use std::path::Path;

use bpf2c::helpers::HelperSet;

use crate::cli::{ReportArgs, TranslateArgs};
use crate::shell::Shell;
use crate::workspace;
use crate::{CmdResult, Failure, Outcome};

pub fn run(shell: &Shell, args: ReportArgs) -> CmdResult {
    if args.objects.is_empty() && args.translate.raw {
        return Err(Failure(
            "--raw needs an OBJECT: workspace objects are ELF".into(),
        ));
    }
    let units = if args.translate.raw {
        // Raw bytecode is never declared by a package: standard helpers, default options.
        args.objects
            .iter()
            .map(|p| (p.clone(), None, HelperSet::standard(), true))
            .collect()
    } else {
        workspace::resolve(&args.objects, &args.ws)?
            .into_iter()
            .map(|u| {
                (
                    u.object.path.clone(),
                    u.package.clone(),
                    u.helpers,
                    u.object.optimize,
                )
            })
            .collect::<Vec<_>>()
    };
    if units.is_empty() {
        return Err(Failure(
            "no objects: name one, or declare them in [package.metadata.bpf2c]".into(),
        ));
    }
    for (i, (path, package, helpers, optimize)) in units.into_iter().enumerate() {
        if i > 0 && !shell.is_json() {
            println!();
        }
        let mut translate = args.translate.clone();
        translate.no_opt |= !optimize;
        one(shell, &path, package.as_deref(), &translate, helpers)?;
    }
    Ok(Outcome::Success)
}

fn one(
    shell: &Shell,
    path: &Path,
    package: Option<&str>,
    translate: &TranslateArgs,
    helpers: HelperSet,
) -> Result<(), Failure> {
    let obj = super::load_typed(path, translate.raw, &translate.program_types)?;
    let translation = super::translate_object_with(shell, &obj, translate, helpers, None, None)?;
    let rows = call_sites(&obj, &translation.plan);
    let object = path.display().to_string();
    if shell.is_json() {
        for r in &rows {
            let mut row = row_json(&object, r);
            row["package"] = json!(package);
            shell.json(&row);
        }
        return Ok(());
    }

    let count = |d: Decision| rows.iter().filter(|r| r.decision == d).count();
    println!(
        "{object}: optimization {}; {} optimizable call site(s) over {} program(s): {} inlined, \
         {} direct, {} helper",
        if translation.plan.enabled {
            "on"
        } else {
            "off"
        },
        rows.len(),
        obj.programs.len(),
        count(Decision::Inlined),
        count(Decision::Direct),
        count(Decision::Helper)
    );
    for p in &obj.programs {
        let mine: Vec<&CallSiteReport> = rows.iter().filter(|r| r.program == p.name).collect();
        println!();
        println!(
            "program '{}' (section {}, {})",
            p.name,
            p.section,
            p.prog_type.name()
        );
        if mine.is_empty() {
            println!("  no optimizable helper calls");
            continue;
        }
        print_table(&mine);
    }
    Ok(())
}

fn row_json(object: &str, r: &CallSiteReport) -> serde_json::Value {
    json!({
        "kind": "call-site",
        "object": object,
        "program": r.program,
        "function": r.function,
        "insn": r.insn,
        "line": r.line,
        "source": r.source,
        "helper": r.helper,
        "maps": r.maps,
        "decision": r.decision.name(),
        "reason": r.reason,
        "detail": r.detail,
    })
}

/// Aligned columns: where, source line, call, decision, then the reason or the detail.
fn print_table(rows: &[&CallSiteReport]) {
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|r| {
            let maps = if !r.map_helper {
                String::new()
            } else if r.maps.is_empty() {
                "?".to_string()
            } else {
                r.maps.join(" | ")
            };
            let why = match (&r.reason, &r.detail) {
                (Some(reason), _) => reason.clone(),
                (None, Some(detail)) => detail.clone(),
                (None, None) => String::new(),
            };
            [
                format!("{}+{}", r.function, r.insn),
                r.line.clone().unwrap_or_else(|| "-".to_string()),
                format!("{}({maps})", r.helper),
                r.decision.name().to_string(),
                why,
            ]
        })
        .collect();
    let header = ["site", "line", "call", "decision", "why"];
    let mut width = header.map(str::len);
    for c in &cells {
        for (w, cell) in width.iter_mut().zip(c) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |c: [&str; 5]| {
        let mut s = String::from("  ");
        for (i, cell) in c.iter().enumerate() {
            if i + 1 == c.len() {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}  ", w = width[i]));
            }
        }
        s.trim_end().to_string()
    };
    println!("{}", line(header));
    for c in &cells {
        println!("{}", line([&c[0], &c[1], &c[2], &c[3], &c[4]]));
    }
}
