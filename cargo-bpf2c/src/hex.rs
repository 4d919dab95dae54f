//! Hex in the forms the CLI accepts: contiguous (`0a1b`) or space-separated (`0a 1b`), with an
//! optional `0x` prefix per byte group.

/// Decodes hex bytes, ignoring whitespace between them.
pub fn decode(text: &str) -> Result<Vec<u8>, String> {
    let mut digits = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        let word = word
            .strip_prefix("0x")
            .or_else(|| word.strip_prefix("0X"))
            .unwrap_or(word);
        if word.len() % 2 != 0 && text.split_whitespace().count() > 1 {
            // A space-separated single digit ("a") means one byte.
            digits.push('0');
        }
        digits.push_str(word);
    }
    if !digits.len().is_multiple_of(2) {
        return Err(format!(
            "hex input has an odd number of digits ({})",
            digits.len()
        ));
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&digits[i..i + 2], 16)
                .map_err(|_| format!("invalid hex digits '{}'", &digits[i..i + 2]))
        })
        .collect()
}

/// Lowercase contiguous hex.
pub fn encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_both_forms() {
        assert_eq!(decode("0a1bff").unwrap(), vec![0x0a, 0x1b, 0xff]);
        assert_eq!(decode("0a 1b ff\n").unwrap(), vec![0x0a, 0x1b, 0xff]);
        assert_eq!(decode("a b").unwrap(), vec![0x0a, 0x0b]);
        assert_eq!(decode("").unwrap(), Vec::<u8>::new());
        assert!(decode("abc").is_err());
        assert!(decode("zz").is_err());
        assert_eq!(encode(&[0, 0xab]), "00ab");
    }
}
