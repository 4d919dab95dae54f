// Copyright (c) Prevail Verifier contributors.
// SPDX-License-Identifier: MIT

use super::*;
use crate::ir::syntax::{AccessType, Bin, BinOp, Deref, Reg, Value};
use crate::spec::config::EbpfRuntimeConfig;
use crate::spec::type_descriptors::ProgramInfo;
use crate::spec::vm_isa::AccessSize;

#[test]
fn test_assertions_add_reg() {
    let ins = Instruction::Bin(Bin {
        op: BinOp::ADD,
        dst: Reg { v: 1 },
        v: Value::Reg(Reg { v: 2 }),
        is64: true,
        lddw: false,
    });

    let info = ProgramInfo::default();
    let assertions = get_assertions(&ins, &info, &EbpfRuntimeConfig::default(), &None);

    // ADD dst, src (reg) should generate:
    // 1. TypeConstraint(dst, PtrOrNum)
    // 2. TypeConstraint(src, PtrOrNum)
    // 3. Addable(src, dst)
    // 4. Addable(dst, src)
    // 5. NonNullForArithmetic(dst), 6. NonNullForArithmetic(src) (PATCH)
    assert_eq!(assertions.len(), 6);
    assert_eq!(
        assertions[4..],
        [
            Assertion::NonNullForArithmetic(NonNullForArithmetic { reg: Reg { v: 1 } }),
            Assertion::NonNullForArithmetic(NonNullForArithmetic { reg: Reg { v: 2 } }),
        ]
    );

    if let Assertion::TypeConstraint(tc) = &assertions[0] {
        assert_eq!(tc.reg.v, 1);
        assert!(matches!(tc.types, TypeGroup::PtrOrNum));
    } else {
        panic!("Expected TypeConstraint");
    }
}

#[test]
fn test_assertions_add_imm() {
    let ins = Instruction::Bin(Bin {
        op: BinOp::ADD,
        dst: Reg { v: 1 },
        v: Value::Imm(Imm { v: 10 }),
        is64: true,
        lddw: false,
    });

    let info = ProgramInfo::default();
    let assertions = get_assertions(&ins, &info, &EbpfRuntimeConfig::default(), &None);

    // ADD dst, imm should generate:
    // 1. TypeConstraint(dst, PtrOrNum)
    // 2. NonNullForArithmetic(dst) (PATCH)
    assert_eq!(assertions.len(), 2);
    assert_eq!(
        assertions[1],
        Assertion::NonNullForArithmetic(NonNullForArithmetic { reg: Reg { v: 1 } })
    );

    if let Assertion::TypeConstraint(tc) = &assertions[0] {
        assert_eq!(tc.reg.v, 1);
        assert!(matches!(tc.types, TypeGroup::PtrOrNum));
    } else {
        panic!("Expected TypeConstraint");
    }
}

/// PATCH: subtraction, by an immediate or a register and at either width, checks that the
/// pointer it moves is not NULL; the other bitwise and arithmetic operations need no such
/// check, since they already require numbers.
#[test]
fn test_assertions_sub_and_32_bit_add_check_non_null() {
    let dst = Reg { v: 0 };
    let non_null = Assertion::NonNullForArithmetic(NonNullForArithmetic { reg: dst });
    let info = ProgramInfo::default();
    let runtime = EbpfRuntimeConfig::default();
    let bin = |op, v, is64| {
        Instruction::Bin(Bin {
            op,
            dst,
            v,
            is64,
            lddw: false,
        })
    };
    for ins in [
        bin(BinOp::SUB, Value::Imm(Imm { v: 8 }), true),
        bin(BinOp::SUB, Value::Reg(Reg { v: 6 }), true),
        bin(BinOp::ADD, Value::Imm(Imm { v: 8 }), false),
    ] {
        let assertions = get_assertions(&ins, &info, &runtime, &None);
        assert_eq!(assertions.last(), Some(&non_null), "{ins:?}");
    }
    let and = get_assertions(
        &bin(BinOp::AND, Value::Imm(Imm { v: 8 }), true),
        &info,
        &runtime,
        &None,
    );
    assert!(!and.contains(&non_null));
}

#[test]
fn test_assertions_mem_load() {
    let val_reg = Reg { v: 2 };
    let base_reg = Reg { v: 1 };
    let ins = Instruction::Mem(Mem {
        access: Deref {
            basereg: base_reg,
            offset: 0,
            width: AccessSize::DWord,
        },
        value: Value::Reg(val_reg),
        is_load: true,
        is_signed: false,
    });

    let info = ProgramInfo::default();
    let assertions = get_assertions(&ins, &info, &EbpfRuntimeConfig::default(), &None);

    // Load should generate:
    // 1. TypeConstraint(base, Dereferenceable)
    // 2. ValidAccess(base, offset=0, width=8, Read)
    assert_eq!(assertions.len(), 2);

    if let Assertion::TypeConstraint(tc) = &assertions[0] {
        assert_eq!(tc.reg.v, 1);
        assert!(matches!(tc.types, TypeGroup::Dereferenceable));
    } else {
        panic!("Expected TypeConstraint for base register");
    }

    if let Assertion::ValidAccess(va) = &assertions[1] {
        assert_eq!(va.reg.v, 1);
        assert_eq!(va.offset, 0);
        assert!(matches!(va.access_type, AccessType::Read));
    } else {
        panic!("Expected ValidAccess");
    }
}
