//! A JSON Merge Patch (RFC 7396) applied to a network profile, as `Registry::update` does: the
//! merged document read back as a `NetworkBody` and checked with the built-in vocabularies.
//!
//! The input is either a JSON array `[document, patch]` (both fuzzed) or a patch alone, applied
//! to a complete valid profile. A profile that passes must come back unchanged through its
//! document (`ProfileDocument::document`, read and checked again).
#![no_main]

use libfuzzer_sys::fuzz_target;
use onconet_api::dto::network::NetworkBody;
use onconet_domain::Vocabularies;
use onconet_registry::networks::ProfileDocument;
use onconet_spatial::validate::DEFAULT_MAX_VERTICES;
use serde_json::Value;
use std::sync::LazyLock;

/// A profile that sets every field (`crates/test_support/src/fixtures.rs`, public contacts only).
const BASE: &str = include_str!("../corpus/merge_patch/base.json");

static VOCABULARIES: LazyLock<Vocabularies> = LazyLock::new(Vocabularies::builtin);
static BASE_DOC: LazyLock<Value> =
    LazyLock::new(|| serde_json::from_str::<Value>(BASE).expect("base.json is JSON"));

fuzz_target!(|data: &[u8]| {
    let Ok(input) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let (mut doc, patch) = match input {
        Value::Array(mut pair) if pair.len() == 2 => {
            let patch = pair.pop().unwrap_or_default();
            (pair.pop().unwrap_or_default(), patch)
        }
        patch => (BASE_DOC.clone(), patch),
    };
    json_patch::merge(&mut doc, &patch);
    let Ok(body) = NetworkBody::from_document(doc) else {
        return;
    };
    let id = uuid::Uuid::nil();
    let Ok(checked) = body.check(id, &VOCABULARIES, DEFAULT_MAX_VERTICES) else {
        return;
    };
    let again = NetworkBody::from_document(NetworkBody::document(&checked.profile))
        .map_err(|e| format!("{e:?}"))
        .and_then(|b| {
            b.check(id, &VOCABULARIES, DEFAULT_MAX_VERTICES)
                .map_err(|e| format!("{e:?}"))
        });
    match again {
        Ok(again) => assert_eq!(again.profile, checked.profile),
        Err(e) => panic!("a checked profile's own document fails its check: {e}"),
    }
});
