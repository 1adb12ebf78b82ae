//! An import file: arbitrary bytes read as CSV, as NDJSON and as GeoJSON by the exchange crate,
//! and each row's document read and checked as a `NetworkBody` (what an import does per row).
#![no_main]

use libfuzzer_sys::fuzz_target;
use onconet_api::dto::network::NetworkBody;
use onconet_domain::Vocabularies;
use onconet_exchange::{Format, read};
use onconet_registry::networks::ProfileDocument;
use onconet_spatial::validate::DEFAULT_MAX_VERTICES;
use std::sync::LazyLock;

static VOCABULARIES: LazyLock<Vocabularies> = LazyLock::new(Vocabularies::builtin);

fuzz_target!(|data: &[u8]| {
    for format in [Format::Csv, Format::Ndjson, Format::GeoJson] {
        let parsed = read(data, format);
        for problem in &parsed.problems {
            if let Some(column) = &problem.column {
                let _ = parsed.heading_for(column);
            }
        }
        for row in parsed.rows {
            let mut document = row.document;
            // An import names the network by `id` in the row; the body itself has none.
            document.remove("id");
            if let Ok(body) = NetworkBody::from_document(serde_json::Value::Object(document)) {
                let _ = body.check(uuid::Uuid::nil(), &VOCABULARIES, DEFAULT_MAX_VERTICES);
            }
        }
    }
});
