//! Raw bytecode: a bare instruction stream, as the conformance suite supplies it.
//!
//! The stream holds one program of type [`ProgramType::Raw`]. Local calls (`call` with
//! src = 1) split it into functions: every call target starts a function, which runs up to
//! the next function's start. Maps cannot be named without relocations, so a raw stream that
//! loads a map is refused.

use std::collections::BTreeSet;
use std::path::Path;

use super::{validate, Function, Object, ObjectKind, Program, ProgramType, Reloc};
use crate::error::{Error, Location, Result};
use crate::insn::{Insn, BPF_PSEUDO_CALL, INSN_SIZE};

/// Reads a raw little-endian instruction stream into an object holding one program.
///
/// `path` names the stream in diagnostics; `name` becomes the program's name.
pub fn load_raw(bytes: &[u8], path: &Path, name: &str) -> Result<Object> {
    let loc = || Location::file(path).section("raw").function(name);
    if bytes.is_empty() {
        return Err(Error::new(loc(), "the program is empty"));
    }
    if !bytes.len().is_multiple_of(INSN_SIZE) {
        return Err(Error::new(
            loc(),
            format!(
                "the program is {} bytes long, which is not a whole number of 8-byte instructions",
                bytes.len()
            ),
        ));
    }
    let insns = Insn::decode_all(bytes, true).expect("length checked above");

    // Every local call target starts a function; slot 0 starts the program.
    let mut starts = BTreeSet::from([0usize]);
    for (pc, insn) in insns.iter().enumerate() {
        if insn.is_call() && insn.src == BPF_PSEUDO_CALL {
            let target = pc as i64 + 1 + insn.imm as i64;
            if target < 0 || target >= insns.len() as i64 {
                return Err(Error::new(
                    loc().insn(pc),
                    format!(
                        "local call target {target} is outside the program (0..{})",
                        insns.len()
                    ),
                ));
            }
            starts.insert(target as usize);
        }
    }
    let starts: Vec<usize> = starts.into_iter().collect();
    let function_of = |pc: usize| starts.partition_point(|&s| s <= pc) - 1;

    let mut functions = Vec::with_capacity(starts.len());
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(insns.len());
        let fname = if start == 0 {
            name.to_string()
        } else {
            format!("{name}_sub_{start}")
        };
        let mut f = Function {
            name: fname,
            section: "raw".to_string(),
            section_offset: start,
            insns: insns[start..end].to_vec(),
            relocs: Default::default(),
            line_info: Vec::new(),
        };
        for (local, insn) in f.insns.iter().enumerate() {
            if insn.is_call() && insn.src == BPF_PSEUDO_CALL {
                let target = (start + local) as i64 + 1 + insn.imm as i64;
                let callee = function_of(target as usize);
                f.relocs.insert(local, Reloc::Call(callee));
            }
        }
        functions.push(f);
    }

    let object = Object {
        path: path.to_path_buf(),
        name: super::c_identifier(name),
        kind: ObjectKind::RawBytecode,
        little_endian: true,
        maps: Vec::new(),
        functions,
        programs: vec![Program {
            name: name.to_string(),
            section: "raw".to_string(),
            prog_type: crate::object::ProgramKind::Runs(ProgramType::Raw),
            refusal: None,
            entry: 0,
        }],
        btf: None,
        notes: Vec::new(),
    };
    validate::validate_object(&object)?;
    Ok(object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insn::build::insn;
    use crate::insn::*;

    fn bytes(insns: &[Insn]) -> Vec<u8> {
        insns.iter().flat_map(|i| i.encode()).collect()
    }

    #[test]
    fn splits_functions_at_call_targets() {
        let prog = [
            insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 1), // 0: call 2
            insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),               // 1
            insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 7),      // 2: sub
            insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),               // 3
        ];
        let obj = load_raw(&bytes(&prog), Path::new("t.bin"), "prog").unwrap();
        assert_eq!(obj.functions.len(), 2);
        assert_eq!(obj.functions[0].insns.len(), 2);
        assert_eq!(obj.functions[1].name, "prog_sub_2");
        assert_eq!(obj.functions[0].relocs.get(&0), Some(&Reloc::Call(1)));
    }

    #[test]
    fn rejects_partial_instruction() {
        let err = load_raw(&[0x95, 0, 0, 0], Path::new("t.bin"), "prog").unwrap_err();
        assert!(err.to_string().contains("not a whole number"), "{err}");
    }

    #[test]
    fn rejects_call_outside_program() {
        let prog = [
            insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 40),
            insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
        ];
        let err = load_raw(&bytes(&prog), Path::new("t.bin"), "prog").unwrap_err();
        assert_eq!(err.location.insn, Some(0));
    }
}
