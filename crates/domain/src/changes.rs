//! What changed between two versions of a stored document, field by field.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One top-level field whose value changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub old: Value,
    pub new: Value,
}

/// The top-level fields of two JSON objects that differ, in key order. A missing key counts
/// as `null`.
pub fn diff(old: &Value, new: &Value) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let old = old.as_object().unwrap_or(&empty);
    let new = new.as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let a = old.get(k).unwrap_or(&Value::Null);
            let b = new.get(k).unwrap_or(&Value::Null);
            (a != b).then(|| FieldChange {
                field: k.clone(),
                old: a.clone(),
                new: b.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_changed_fields_only() {
        let changes = diff(
            &json!({"a": 1, "b": [1], "c": null}),
            &json!({"a": 1, "b": [2], "d": "x"}),
        );
        let fields: Vec<_> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["b", "d"]);
        assert_eq!(changes[1].old, Value::Null);
    }
}
