//! The `--maps-in` file: `{"<map name>": {"<key hex>": "<value hex>"}}`. Parsing checks the
//! shape and decodes the hex; which maps exist and what sizes their keys and values have is
//! checked when the entries are applied to an instance.

use serde_json::Value;

use crate::hex;

/// The entries of a `--maps-in` file, decoded, in file order.
pub type MapsFile = Vec<MapEntries>;

/// One map's entries.
#[derive(Debug, PartialEq, Eq)]
pub struct MapEntries {
    pub name: String,
    /// (key as written, key bytes, value bytes)
    pub entries: Vec<(String, Vec<u8>, Vec<u8>)>,
}

const MAPS_FORMAT: &str = "expected {\"<map name>\": {\"<key hex>\": \"<value hex>\"}}";

/// Decodes the contents of a `--maps-in` file. The error says what is wrong and where,
/// without the file's name, which the caller adds.
pub fn parse(bytes: &[u8]) -> Result<MapsFile, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        format!(
            "not valid JSON: byte {} (0x{:02x}) is not UTF-8 text",
            at + 1,
            bytes[at]
        )
    })?;
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let bad = |what: String| format!("{what}; {MAPS_FORMAT}");
    let Value::Object(maps) = value else {
        return Err(bad(format!(
            "the top level is {}, not an object",
            json_kind(&value)
        )));
    };
    let mut out = MapsFile::new();
    for (name, entries) in maps {
        let Value::Object(entries) = entries else {
            return Err(bad(format!(
                "map '{name}' is {}, not an object",
                json_kind(&entries)
            )));
        };
        let mut decoded = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            let Value::String(v) = v else {
                return Err(bad(format!(
                    "map '{name}', key '{k}': the value is {}, not a hex string",
                    json_kind(&v)
                )));
            };
            let key = hex::decode(&k)
                .map_err(|e| format!("map '{name}', key '{k}': the key is not hex: {e}"))?;
            let value = hex::decode(&v)
                .map_err(|e| format!("map '{name}', key '{k}': the value is not hex: {e}"))?;
            decoded.push((k, key, value));
        }
        out.push(MapEntries {
            name,
            entries: decoded,
        });
    }
    Ok(out)
}

/// "an array", "a number", ...: what a JSON value is, for messages.
fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_entries_in_file_order() {
        let maps = parse(br#"{"b": {"01": "0a0b"}, "a": {"0x02 03": "ff", "04": ""}}"#).unwrap();
        assert_eq!(
            maps,
            [
                MapEntries {
                    name: "b".into(),
                    entries: vec![("01".into(), vec![1], vec![10, 11])],
                },
                MapEntries {
                    name: "a".into(),
                    entries: vec![
                        ("0x02 03".into(), vec![2, 3], vec![0xff]),
                        ("04".into(), vec![4], vec![]),
                    ],
                },
            ]
        );
    }

    #[test]
    fn errors_say_what_is_wrong_and_where() {
        assert_eq!(
            parse(b"[1]").unwrap_err(),
            format!("the top level is an array, not an object; {MAPS_FORMAT}")
        );
        assert_eq!(
            parse(br#"{"m": {"01": 2}}"#).unwrap_err(),
            format!("map 'm', key '01': the value is a number, not a hex string; {MAPS_FORMAT}")
        );
        assert_eq!(
            parse(b"{\"m\": \xff}").unwrap_err(),
            "not valid JSON: byte 7 (0xff) is not UTF-8 text"
        );
        assert_eq!(
            parse(br#"{"m": {"zz": "00"}}"#).unwrap_err(),
            "map 'm', key 'zz': the key is not hex: 'z' (character 1) is not a hex digit"
        );
    }
}
