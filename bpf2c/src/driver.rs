//! The pipeline in one call: verify every program (unless told not to), extract the facts,
//! and generate C. Nothing unverified becomes C without an explicit opt-out, and the C then
//! says that it was not verified.

use crate::codegen::{self, CodegenOptions, Source};
use crate::facts::ModuleFacts;
use crate::object::validate::validate_object;
use crate::object::Object;
use crate::optimize::{Disabled, Plan};
use crate::verify::{self, ProgramVerdict, VerifyOptions};

/// How to translate an object.
#[derive(Clone, Debug)]
pub struct TranslateOptions {
    /// Verify every program first (the default). Turning this off is `--no-verify`: the
    /// module's flags then lack `BPF2C_MODULE_F_VERIFIED`, and the runtime's safe
    /// `Instance::new` refuses to run it; only the unsafe `Instance::new_unverified`, whose
    /// caller vouches that the programs are memory-safe, does. Translating unverified code
    /// is harmless by itself (it only produces C text), so this stays a plain option: the
    /// obligation arises where the code is run.
    pub verify: bool,
    /// Use verifier facts to optimize the generated code (the default). Off is `--no-opt`.
    pub optimize: bool,
    /// With `optimize`, also inline `bpf_get_prandom_u32` (the default). Off keeps those
    /// calls on the helper table while map calls are still optimized: to measure what each
    /// optimization contributes.
    pub inline_helpers: bool,
    pub verify_options: VerifyOptions,
    /// Name of the exported module symbol; default `bpf2c_module_<object name>`.
    pub module_symbol: Option<String>,
    /// File name of the generated C, for `#line` directives.
    pub output_name: Option<String>,
}

impl Default for TranslateOptions {
    fn default() -> Self {
        TranslateOptions {
            verify: true,
            optimize: true,
            inline_helpers: true,
            verify_options: VerifyOptions::default(),
            module_symbol: None,
            output_name: None,
        }
    }
}

/// A translated object.
#[derive(Clone, Debug)]
pub struct Translation {
    pub c_source: String,
    /// One verdict per program; empty when verification was skipped.
    pub verdicts: Vec<ProgramVerdict>,
    /// Whether every program was verified.
    pub verified: bool,
    /// Facts of the whole module, when verified.
    pub facts: Option<ModuleFacts>,
    /// The decision at every map helper call, which the C carries out; `cargo bpf2c
    /// report` prints it.
    pub plan: Plan,
}

/// Why an object was not translated.
#[derive(Clone, Debug)]
pub enum TranslateError {
    /// At least one program failed verification; every verdict is here.
    Refused(Vec<ProgramVerdict>),
    /// The verified object could not be turned into C.
    Codegen(crate::Error),
}

impl std::fmt::Display for TranslateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TranslateError::Refused(verdicts) => {
                let failed: Vec<&str> = verdicts
                    .iter()
                    .filter(|v| !v.verified)
                    .map(|v| v.program.as_str())
                    .collect();
                write!(
                    f,
                    "verification failed for program(s): {}",
                    failed.join(", ")
                )?;
                for d in verdicts.iter().flat_map(|v| &v.diagnostics) {
                    write!(f, "\n  {d}")?;
                }
                Ok(())
            }
            TranslateError::Codegen(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for TranslateError {}

/// Verifies (unless disabled) and translates `obj` to C.
pub fn translate(obj: &Object, opts: &TranslateOptions) -> Result<Translation, TranslateError> {
    let validated = match validate_object(obj) {
        Ok(v) => v,
        // A malformed program fails verification too, and its verdict says more than
        // validation's error: refusals come first.
        Err(e) => {
            if opts.verify {
                let verdicts = verify::verify_object(obj, &opts.verify_options);
                if verdicts.iter().any(|v| !v.verified) {
                    return Err(TranslateError::Refused(verdicts));
                }
            }
            return Err(TranslateError::Codegen(e));
        }
    };
    let proof = if opts.verify {
        Some(
            verify::verify_validated(validated, &opts.verify_options)
                .map_err(TranslateError::Refused)?,
        )
    } else {
        None
    };
    crate::runnable::check_runnable(obj, &opts.verify_options.helpers)
        .map_err(TranslateError::Codegen)?;
    let codegen_options = CodegenOptions {
        optimize: opts.optimize && opts.verify,
        module_symbol: opts.module_symbol.clone(),
        output_name: opts.output_name.clone(),
        helper_names: opts.verify_options.helpers.custom_names(),
    };
    let disabled = if !opts.optimize {
        Some(Disabled::NoOpt)
    } else if !opts.verify {
        Some(Disabled::NoVerify)
    } else {
        None
    };
    let source = match &proof {
        Some(p) => Source::Verified(p),
        None => Source::from(validated),
    };
    let mut plan = Plan::new(obj, source.facts(), disabled);
    if !opts.inline_helpers {
        plan.keep_helper_calls(
            crate::helpers::id::GET_PRANDOM_U32,
            "helper inlining disabled (TranslateOptions::inline_helpers)",
        );
    }
    let c_source = codegen::generate_with_plan(source, &plan, &codegen_options)
        .map_err(TranslateError::Codegen)?;
    let (verdicts, facts) = match proof {
        Some(p) => {
            let (verdicts, facts) = p.into_parts();
            (verdicts, Some(facts))
        }
        None => (Vec::new(), None),
    };
    Ok(Translation {
        c_source,
        verdicts,
        verified: opts.verify,
        facts,
        plan,
    })
}
