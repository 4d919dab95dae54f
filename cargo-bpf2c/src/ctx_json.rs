//! `run --ctx-json`: the `__sk_buff` fields a packet cannot give, as a JSON object
//! (`{"mark": 1, "priority": 2, "ifindex": 3, "cb": [1, 2, 3, 4, 5]}`), and the JSON of the
//! fields a program left behind.

use bpf2c_runtime::SkbFields;
use serde_json::{json, Map, Value};

/// The fields `--ctx-json` accepts, as `__sk_buff` names them.
pub const FIELDS: &[&str] = &[
    "mark",
    "priority",
    "ifindex",
    "ingress_ifindex",
    "cb",
    "hash",
    "pkt_type",
    "queue_mapping",
    "tc_index",
    "tc_classid",
    "vlan_present",
    "vlan_tci",
    "vlan_proto",
    "napi_id",
    "tstamp",
    "hwtstamp",
];

/// Parses `--ctx-json`. Unknown fields, values of the wrong type or out of range, and text
/// that is not a JSON object are errors naming the problem.
pub fn parse(text: &str) -> Result<SkbFields, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let Value::Object(object) = value else {
        return Err("expected a JSON object of __sk_buff fields, such as {\"mark\": 1}".into());
    };
    let mut fields = SkbFields::default();
    for (name, v) in &object {
        let u32_of = |v: &Value| -> Result<u32, String> {
            v.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| {
                    format!("field '{name}' must be a number from 0 to 4294967295, not {v}")
                })
        };
        let u64_of = |v: &Value| -> Result<u64, String> {
            v.as_u64()
                .ok_or_else(|| format!("field '{name}' must be a number from 0 to 2^64-1, not {v}"))
        };
        match name.as_str() {
            "mark" => fields.mark = u32_of(v)?,
            "priority" => fields.priority = u32_of(v)?,
            "ifindex" => fields.ifindex = u32_of(v)?,
            "ingress_ifindex" => fields.ingress_ifindex = u32_of(v)?,
            "hash" => fields.hash = u32_of(v)?,
            "pkt_type" => fields.pkt_type = u32_of(v)?,
            "queue_mapping" => fields.queue_mapping = u32_of(v)?,
            "tc_index" => fields.tc_index = u32_of(v)?,
            "tc_classid" => fields.tc_classid = u32_of(v)?,
            "vlan_present" => fields.vlan_present = u32_of(v)?,
            "vlan_tci" => fields.vlan_tci = u32_of(v)?,
            "vlan_proto" => fields.vlan_proto = u32_of(v)?,
            "napi_id" => fields.napi_id = u32_of(v)?,
            "tstamp" => fields.tstamp = u64_of(v)?,
            "hwtstamp" => fields.hwtstamp = u64_of(v)?,
            "cb" => {
                let items = v.as_array().filter(|a| a.len() <= 5).ok_or_else(|| {
                    format!("field 'cb' must be an array of at most 5 numbers, not {v}")
                })?;
                for (i, item) in items.iter().enumerate() {
                    fields.cb[i] = u32_of(item)?;
                }
            }
            other => {
                return Err(format!(
                    "unknown field '{other}' (known: {})",
                    FIELDS.join(", ")
                ))
            }
        }
    }
    Ok(fields)
}

/// The fields as JSON, in the order of [`FIELDS`].
pub fn to_json(f: &SkbFields) -> Value {
    let mut out = Map::new();
    let values = [
        json!(f.mark),
        json!(f.priority),
        json!(f.ifindex),
        json!(f.ingress_ifindex),
        json!(f.cb),
        json!(f.hash),
        json!(f.pkt_type),
        json!(f.queue_mapping),
        json!(f.tc_index),
        json!(f.tc_classid),
        json!(f.vlan_present),
        json!(f.vlan_tci),
        json!(f.vlan_proto),
        json!(f.napi_id),
        json!(f.tstamp),
        json!(f.hwtstamp),
    ];
    for (name, v) in FIELDS.iter().zip(values) {
        out.insert(name.to_string(), v);
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_parse_and_print_back() {
        let f =
            parse(r#"{"mark":1,"priority":2,"ifindex":3,"cb":[1,2,3,4,5],"tstamp":9}"#).unwrap();
        assert_eq!((f.mark, f.priority, f.ifindex, f.tstamp), (1, 2, 3, 9));
        assert_eq!(f.cb, [1, 2, 3, 4, 5]);
        let partial = parse(r#"{"cb":[7]}"#).unwrap();
        assert_eq!(partial.cb, [7, 0, 0, 0, 0]);
        let back = to_json(&f);
        assert_eq!(back["cb"], json!([1, 2, 3, 4, 5]));
        assert_eq!(back["mark"], json!(1));
        assert_eq!(parse(&back.to_string()).unwrap(), f);
    }

    #[test]
    fn bad_input_is_named() {
        assert!(parse("{").unwrap_err().starts_with("not valid JSON"));
        assert!(parse("[1]").unwrap_err().contains("expected a JSON object"));
        assert!(parse(r#"{"colour":1}"#)
            .unwrap_err()
            .starts_with("unknown field 'colour' (known: mark, priority"));
        assert!(parse(r#"{"mark":-1}"#)
            .unwrap_err()
            .contains("field 'mark' must be"));
        assert!(parse(r#"{"mark":4294967296}"#).is_err());
        assert!(parse(r#"{"cb":[1,2,3,4,5,6]}"#)
            .unwrap_err()
            .contains("at most 5"));
        assert!(parse(r#"{"cb":["x"]}"#).unwrap_err().contains("field 'cb'"));
    }
}
