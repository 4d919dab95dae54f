//! The proof that verification passed, as a value: [`Verified`]. Only [`verify_validated`]
//! makes one, and code generation needs one to emit C that says it was verified.

use crate::facts::ModuleFacts;
use crate::object::validate::ValidatedObject;

use super::{verify_object, ProgramVerdict, VerifyOptions};

/// Every program of a validated object passed verification, and what the proofs established.
/// It borrows the object, so the object cannot change while the proof exists.
#[derive(Debug)]
pub struct Verified<'a> {
    object: ValidatedObject<'a>,
    verdicts: Vec<ProgramVerdict>,
    facts: ModuleFacts,
}

impl<'a> Verified<'a> {
    /// The object that was verified.
    pub fn object(&self) -> ValidatedObject<'a> {
        self.object
    }

    /// One verdict per program, in the object's order; every one verified.
    pub fn verdicts(&self) -> &[ProgramVerdict] {
        &self.verdicts
    }

    /// The facts of the whole module, joined over every program.
    pub fn facts(&self) -> &ModuleFacts {
        &self.facts
    }

    /// The verdicts and facts, giving up the proof.
    pub fn into_parts(self) -> (Vec<ProgramVerdict>, ModuleFacts) {
        (self.verdicts, self.facts)
    }

    /// A proof taken on trust, for unit tests of code generation that make their facts by hand.
    #[cfg(test)]
    pub(crate) fn assumed(object: ValidatedObject<'a>, facts: ModuleFacts) -> Verified<'a> {
        Verified {
            object,
            verdicts: Vec::new(),
            facts,
        }
    }
}

/// Verifies every program of `obj` ([`verify_object`]). The proof when every one passed;
/// otherwise every verdict, refused ones and passed ones alike.
pub fn verify_validated<'a>(
    obj: ValidatedObject<'a>,
    opts: &VerifyOptions,
) -> Result<Verified<'a>, Vec<ProgramVerdict>> {
    let verdicts = verify_object(obj.object(), opts);
    if verdicts.iter().any(|v| !v.verified) {
        return Err(verdicts);
    }
    let facts = ModuleFacts::from_programs(verdicts.iter().filter_map(|v| v.facts.as_ref()));
    Ok(Verified {
        object: obj,
        verdicts,
        facts,
    })
}
