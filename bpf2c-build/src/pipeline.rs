//! One object through the pipeline: read, check against the target, verify, generate C and
//! bindings. Shared by the build script path ([`crate::Builder`]) and `cargo bpf2c build`,
//! so both refuse the same objects with the same words.

use std::fmt::Write;
use std::path::Path;
use std::time::Duration;

use bpf2c::bindings::{self, BindingsOptions};
use bpf2c::driver::{translate, TranslateError, TranslateOptions};
use bpf2c::helpers::HelperSet;
use bpf2c::object::{c_identifier, Object};
use bpf2c::verify::{Diagnostic, ProgramVerdict, VerifyOptions};

use crate::metadata::ObjectConfig;

/// The machine the generated code will run on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The target triple, for messages.
    pub triple: String,
    pub little_endian: bool,
    pub pointer_width: u32,
}

impl Target {
    /// The machine this code is running on.
    pub fn host() -> Target {
        Target {
            triple: crate::native::HOST_TARGET.to_string(),
            little_endian: cfg!(target_endian = "little"),
            pointer_width: usize::BITS,
        }
    }
}

/// An object that made it through.
#[derive(Clone, Debug)]
pub struct Translated {
    /// Module name: a C identifier, also the bindings module and file name.
    pub name: String,
    /// The exported `bpf2c_module_t` symbol.
    pub symbol: String,
    pub c_source: String,
    pub bindings: String,
    pub verdicts: Vec<ProgramVerdict>,
    pub programs: usize,
}

/// Why an object did not make it through.
#[derive(Clone, Debug)]
pub enum Failure {
    /// The object cannot be read, or does not suit the target; one message.
    Object(String),
    /// Programs failed verification; every verdict (passing ones too) for the log.
    Refused {
        verdicts: Vec<ProgramVerdict>,
        diagnostics: Vec<Diagnostic>,
    },
    /// Code generation or bindings failed.
    Generate(String),
}

impl Failure {
    /// One short line per problem: object, program, source file:line, reason.
    pub fn short_messages(&self) -> Vec<String> {
        match self {
            Failure::Object(m) | Failure::Generate(m) => vec![m.clone()],
            Failure::Refused { diagnostics, .. } => diagnostics.iter().map(short).collect(),
        }
    }

    /// Everything known about the failure, for the log.
    pub fn detail(&self) -> String {
        match self {
            Failure::Object(m) | Failure::Generate(m) => format!("error: {m}\n"),
            Failure::Refused { verdicts, .. } => {
                let mut out = String::new();
                for v in verdicts {
                    let _ = writeln!(
                        out,
                        "program '{}': {} ({} instructions, {:.1?})",
                        v.program,
                        if v.verified { "verified" } else { "REFUSED" },
                        v.instructions,
                        v.verify_time
                    );
                    for d in &v.diagnostics {
                        out.push_str(&render(d));
                    }
                }
                out
            }
        }
    }
}

/// `object: program 'p' at file.c:12: reason`.
pub fn short(d: &Diagnostic) -> String {
    let at = match (&d.source, d.insn) {
        (Some(s), _) => format!(" at {}:{}", s.file.trim_start_matches("./"), s.line),
        (None, Some(i)) => format!(" at instruction {i}"),
        (None, None) => String::new(),
    };
    format!("{}: program '{}'{at}: {}", d.object, d.program, d.message)
}

/// A diagnostic with its source line, instruction and the verifier's own words.
pub fn render(d: &Diagnostic) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "error: {}", short(d));
    if let Some(s) = &d.source {
        let _ = writeln!(out, "  --> {}:{}:{}", s.file, s.line, s.column);
        if !s.text.is_empty() {
            let n = s.line.to_string();
            let pad = " ".repeat(n.len());
            let _ = writeln!(out, "{pad} |\n{n} | {}\n{pad} |", s.text.trim_end());
        }
    }
    if let (Some(func), Some(insn)) = (&d.function, d.insn) {
        let _ = writeln!(
            out,
            "   = instruction {insn} of function '{func}' (section '{}'): {}",
            d.section.as_deref().unwrap_or("?"),
            d.disasm.as_deref().unwrap_or("")
        );
    }
    if !d.call_chain.is_empty() {
        let _ = writeln!(out, "   = called from: {}", d.call_chain.join(" -> "));
    }
    if let Some(detail) = &d.detail {
        let _ = writeln!(out, "   = verifier: {detail}");
    }
    out
}

/// Reads an object, naming it by the path as declared (so nothing machine-specific ends up
/// in the generated files).
pub fn load(cfg: &ObjectConfig) -> Result<Object, Failure> {
    let bytes = std::fs::read(&cfg.path)
        .map_err(|e| Failure::Object(format!("{}: cannot read the object: {e}", cfg.display)))?;
    if !bytes.starts_with(b"\x7fELF") {
        return Err(Failure::Object(format!(
            "{}: not an ELF object (build it with clang -target bpf -O2 -g)",
            cfg.display
        )));
    }
    let mut obj = bpf2c::object::elf::load_elf(&bytes, Path::new(&cfg.display))
        .map_err(|e| Failure::Object(e.to_string()))?;
    if let Some(name) = &cfg.name {
        obj.name = c_identifier(name);
    }
    obj.override_program_types_where_present(&cfg.package_program_types);
    obj.override_program_types(&cfg.program_types)
        .map_err(|e| Failure::Object(e.to_string()))?;
    Ok(obj)
}

/// Refuses an object whose byte order is not the target's, and targets the generated code
/// does not support.
pub fn check_target(obj: &Object, display: &str, target: &Target) -> Result<(), Failure> {
    let order = |little: bool| if little { "little" } else { "big" };
    if obj.little_endian != target.little_endian {
        return Err(Failure::Object(format!(
            "{display}: the object is {}-endian eBPF but the target {} is {}-endian; rebuild it \
             with clang -target {}",
            order(obj.little_endian),
            target.triple,
            order(target.little_endian),
            if target.little_endian {
                "bpfel"
            } else {
                "bpfeb"
            }
        )));
    }
    if target.pointer_width != 64 {
        return Err(Failure::Object(format!(
            "{display}: the target {} has {}-bit pointers; bpf2c generates code for 64-bit \
             targets only",
            target.triple, target.pointer_width
        )));
    }
    Ok(())
}

/// The whole pipeline for one object.
pub fn translate_object(
    cfg: &ObjectConfig,
    helpers: &HelperSet,
    target: &Target,
    time_limit: Option<Duration>,
) -> Result<Translated, Failure> {
    let obj = load(cfg)?;
    check_target(&obj, &cfg.display, target)?;
    let symbol = cfg
        .module_symbol
        .clone()
        .unwrap_or_else(|| format!("bpf2c_module_{}", obj.name));
    let mut verify_options = VerifyOptions {
        helpers: helpers.clone(),
        ..VerifyOptions::default()
    };
    if let Some(limit) = time_limit {
        verify_options.time_limit = limit;
    }
    let opts = TranslateOptions {
        verify: true,
        optimize: cfg.optimize,
        verify_options,
        module_symbol: Some(symbol.clone()),
        output_name: Some(format!("{}.c", obj.name)),
        ..TranslateOptions::default()
    };
    let translation = match translate(&obj, &opts) {
        Ok(t) => t,
        Err(TranslateError::Refused(verdicts)) => {
            let diagnostics = verdicts
                .iter()
                .flat_map(|v| v.diagnostics.iter().cloned())
                .collect();
            return Err(Failure::Refused {
                verdicts,
                diagnostics,
            });
        }
        Err(TranslateError::Codegen(e)) => return Err(Failure::Generate(e.to_string())),
    };
    let bindings = bindings::generate(
        &obj,
        &BindingsOptions {
            module_symbol: Some(symbol.clone()),
            helpers: helpers.clone(),
        },
    )
    .map_err(|e| Failure::Generate(e.to_string()))?;
    Ok(Translated {
        name: obj.name.clone(),
        symbol,
        c_source: translation.c_source,
        bindings,
        verdicts: translation.verdicts,
        programs: obj.programs.len(),
    })
}

/// Writes `contents` unless the file already holds exactly that, so unchanged outputs keep
/// their modification time and nothing downstream rebuilds for nothing.
pub fn write_if_changed(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == contents) {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, contents)
}
