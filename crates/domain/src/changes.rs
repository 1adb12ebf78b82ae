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

/// What erased personal data is replaced with in the history.
pub const ERASED: &str = "[erased]";

/// Replaces `secrets` in every string of `doc` by [`ERASED`] (whole strings, and occurrences
/// inside longer text for secrets of three characters or more); returns how many strings
/// changed.
pub fn erase_strings(doc: &mut Value, secrets: &[String]) -> usize {
    match doc {
        Value::String(s) => {
            let mut changed = false;
            for secret in secrets.iter().filter(|x| !x.is_empty()) {
                if s == secret {
                    *s = ERASED.to_owned();
                    return 1;
                }
                if secret.chars().count() >= 3 && s.contains(secret.as_str()) {
                    *s = s.replace(secret.as_str(), ERASED);
                    changed = true;
                }
            }
            usize::from(changed)
        }
        Value::Array(items) => items.iter_mut().map(|v| erase_strings(v, secrets)).sum(),
        Value::Object(map) => map.values_mut().map(|v| erase_strings(v, secrets)).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod erase_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn erases_every_occurrence_and_nothing_else() {
        let mut doc = json!({"contacts": [{"name": "Bram", "email": "b@x.nl", "role": "chair"}], "changes": [{"old": "Bram", "new": "Bram B"}], "name": "Netwerk", "x": "Al"});
        let n = erase_strings(&mut doc, &["Bram".into(), "b@x.nl".into(), "Al".into()]);
        assert_eq!(n, 5);
        assert_eq!(doc["contacts"][0]["name"], ERASED);
        assert_eq!(
            doc["changes"][0]["new"], "[erased] B",
            "inside longer text too"
        );
        assert_eq!(
            doc["name"], "Netwerk",
            "a short secret is only replaced as a whole value"
        );
        assert_eq!(doc["x"], ERASED);
        assert_eq!(doc["contacts"][0]["role"], "chair");
    }
}
