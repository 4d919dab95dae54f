//! `cargo bpf2c report OBJECT`: every map helper call site, per program, with what the
//! translation does there (`inlined`, `direct` or `helper`) and why it falls back when it
//! does. The rows come from the same plan the generated C carries out, so they cannot
//! disagree with it.

use bpf2c::optimize::report::{call_sites, CallSiteReport};
use bpf2c::optimize::Decision;
use serde_json::json;

use crate::cli::ReportArgs;
use crate::shell::Shell;
use crate::{CmdResult, Outcome};

pub fn run(shell: &Shell, args: ReportArgs) -> CmdResult {
    let obj = super::load(&args.object, args.translate.raw)?;
    let translation = super::translate_object(shell, &obj, &args.translate, None, None)?;
    let rows = call_sites(&obj, &translation.plan);
    let object = args.object.display().to_string();
    if shell.is_json() {
        for r in &rows {
            shell.json(&row_json(&object, r));
        }
        return Ok(Outcome::Success);
    }

    let count = |d: Decision| rows.iter().filter(|r| r.decision == d).count();
    println!(
        "{object}: optimization {}; {} map helper call site(s) over {} program(s): {} inlined, \
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
            println!("  no map helper calls");
            continue;
        }
        print_table(&mine);
    }
    Ok(Outcome::Success)
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
            let maps = if r.maps.is_empty() {
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
