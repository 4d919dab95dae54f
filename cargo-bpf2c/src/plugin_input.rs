//! The program the bpf_conformance plugin protocol sends on stdin: hex text (in the forms
//! [`crate::hex`] accepts) of raw little-endian bytecode.

use crate::hex;

/// The program's bytes from the hex text on stdin. Bytes that are not UTF-8 cannot be hex
/// digits; they are named by their offset, since they have no character to show.
pub fn decode_program(input: Vec<u8>) -> Result<Vec<u8>, String> {
    let text = String::from_utf8(input).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let byte = e.as_bytes()[at];
        format!(
            "program on stdin: byte 0x{byte:02x} (byte {}) is not a hex digit",
            at + 1
        )
    })?;
    hex::decode(&text).map_err(|e| format!("program on stdin: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_hex_and_names_bad_bytes() {
        assert_eq!(
            decode_program(b"9500000000000000\n".to_vec()).unwrap(),
            [0x95, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(
            decode_program(vec![b'9', b'5', 0xff]).unwrap_err(),
            "program on stdin: byte 0xff (byte 3) is not a hex digit"
        );
    }
}
