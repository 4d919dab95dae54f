//! Hex in the forms the CLI accepts: contiguous (`0a1b`) or whitespace-separated groups
//! (`0a 1b`), each group with an optional `0x` prefix. A group of one digit is one byte
//! (`a b` is `0a 0b`); a longer group must have two digits per byte.
//!
//! Errors name the offending character or group and its position (the 1-based character
//! index in the text), since the text is typed by hand or comes from another tool.

/// Decodes hex bytes.
pub fn decode(text: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    for (position, group) in groups(text) {
        let digits = group
            .strip_prefix("0x")
            .or_else(|| group.strip_prefix("0X"))
            .unwrap_or(group);
        let prefix_len = group.len() - digits.len();
        if let Some((offset, c)) = digits
            .chars()
            .enumerate()
            .find(|(_, c)| !c.is_ascii_hexdigit())
        {
            return Err(format!(
                "{c:?} (character {}) is not a hex digit",
                position + prefix_len + offset
            ));
        }
        // Every character is now an ASCII hex digit, so lengths count digits.
        let decoded = match digits.len() {
            0 => {
                return Err(format!(
                    "'{group}' (character {position}) has no digits after the 0x"
                ))
            }
            1 => hex::decode(format!("0{digits}")),
            n if n % 2 != 0 => {
                return Err(format!(
                    "'{group}' (character {position}) has an odd number of hex digits \
                     ({n}); write each byte as two digits"
                ))
            }
            _ => hex::decode(digits),
        };
        bytes.extend(decoded.map_err(|e| format!("'{group}' (character {position}): {e}"))?);
    }
    Ok(bytes)
}

/// The whitespace-separated groups of `text`, each with the 1-based character index where
/// it starts.
fn groups(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    // (byte offset, character index) of the group being read.
    let mut start: Option<(usize, usize)> = None;
    for (char_index, (byte, c)) in text.char_indices().enumerate() {
        match (c.is_whitespace(), start) {
            (true, Some((from, at))) => {
                out.push((at + 1, &text[from..byte]));
                start = None;
            }
            (false, None) => start = Some((byte, char_index)),
            _ => {}
        }
    }
    if let Some((from, at)) = start {
        out.push((at + 1, &text[from..]));
    }
    out
}

/// Lowercase contiguous hex.
pub fn encode(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_both_forms() {
        assert_eq!(decode("0a1bff").unwrap(), vec![0x0a, 0x1b, 0xff]);
        assert_eq!(decode("0a 1b ff\n").unwrap(), vec![0x0a, 0x1b, 0xff]);
        assert_eq!(decode("0x0a 0X1B\t0xf").unwrap(), vec![0x0a, 0x1b, 0x0f]);
        assert_eq!(decode("a b").unwrap(), vec![0x0a, 0x0b]);
        assert_eq!(decode("c").unwrap(), vec![0x0c]);
        assert_eq!(decode("0a1b 2c").unwrap(), vec![0x0a, 0x1b, 0x2c]);
        assert_eq!(decode("").unwrap(), Vec::<u8>::new());
        assert_eq!(decode(" \n ").unwrap(), Vec::<u8>::new());
        assert_eq!(encode(&[0, 0xab]), "00ab");
    }

    #[test]
    fn errors_name_the_character_and_its_position() {
        // A multi-byte character is reported whole, at its character index.
        assert_eq!(
            decode("aé0").unwrap_err(),
            "'é' (character 2) is not a hex digit"
        );
        assert_eq!(
            decode("00 1z").unwrap_err(),
            "'z' (character 5) is not a hex digit"
        );
        assert_eq!(
            decode("0xg1").unwrap_err(),
            "'g' (character 3) is not a hex digit"
        );
        assert_eq!(
            decode("01,02").unwrap_err(),
            "',' (character 3) is not a hex digit"
        );
        assert_eq!(
            decode("ab\u{0}").unwrap_err(),
            "'\\0' (character 3) is not a hex digit"
        );
        assert_eq!(
            decode("é abc").unwrap_err(),
            "'é' (character 1) is not a hex digit"
        );
        assert_eq!(
            decode("00 abc").unwrap_err(),
            "'abc' (character 4) has an odd number of hex digits (3); write each byte as \
             two digits"
        );
        assert_eq!(
            decode("01 0x").unwrap_err(),
            "'0x' (character 4) has no digits after the 0x"
        );
    }
}
