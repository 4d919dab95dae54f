//! C spellings of constants and address expressions, shared by instruction lowering, plan
//! lowering and context rewriting.

/// A `uint64_t` value as a C constant: small values in decimal, the rest in hex.
pub(super) fn u64_lit(v: u64) -> String {
    if v <= 0xffff {
        v.to_string()
    } else {
        format!("0x{v:x}ULL")
    }
}

/// A 32-bit immediate sign-extended to 64 bits, as RFC 9669 does for 64-bit operations.
pub(super) fn imm64(imm: i32) -> String {
    if imm >= 0 {
        u64_lit(imm as u64)
    } else {
        format!("(uint64_t){}", i32_lit(imm))
    }
}

/// An `int32_t` constant. INT32_MIN is spelled so that its type stays `int`.
pub(super) fn i32_lit(v: i32) -> String {
    if v == i32::MIN {
        "(-2147483647 - 1)".to_string()
    } else {
        v.to_string()
    }
}

/// A `uint32_t` constant.
pub(super) fn u32_lit(v: u32) -> String {
    if v <= 0x7fff_ffff {
        v.to_string()
    } else {
        format!("0x{v:x}u")
    }
}

/// `base + delta` as an address expression, written with `-` for negative deltas.
pub(super) fn address(base: &str, delta: i64) -> String {
    match delta {
        0 => base.to_string(),
        d if d > 0 => format!("{base} + {}", u64_lit(d as u64)),
        d => format!("{base} - {}", u64_lit(d.unsigned_abs())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals() {
        assert_eq!(u64_lit(0), "0");
        assert_eq!(u64_lit(0xffff), "65535");
        assert_eq!(u64_lit(0x1_0000), "0x10000ULL");
        assert_eq!(u64_lit(u64::MAX), "0xffffffffffffffffULL");
        assert_eq!(address("r1", -32768), "r1 - 32768");
        assert_eq!(address("r1", i64::MIN), "r1 - 0x8000000000000000ULL");
        assert_eq!(address("r1", 0), "r1");
    }
}
