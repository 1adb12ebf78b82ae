//! Request bodies used across tests.
//!
//! Every non-public contact in a fixture carries the values below. `scripts/check-logs.sh`
//! reads the `PRIVATE_*` constants from this file (keep each on one line) and fails when any of
//! them, or the marker, appears in the logs of a test run.

use serde_json::{Value, json};

/// The marker in every non-public contact value of the fixtures.
pub const PRIVATE_SENTINEL: &str = "PRIVATE-SENTINEL";
/// The name of the non-public contact of [`full_network`].
pub const PRIVATE_CONTACT_NAME: &str = "Bram Jansen PRIVATE-SENTINEL";
/// Its e-mail address.
pub const PRIVATE_CONTACT_EMAIL: &str = "private-sentinel.voorzitter@example.nl";
/// Its phone number (`scripts/check-logs.sh` also looks for its bare digits).
pub const PRIVATE_CONTACT_PHONE: &str = "+31 6 1357 9086";
/// The webhook secret of the tests (`tests/api/webhooks.rs`): never logged, never shown again
/// after the subscription is made.
pub const PRIVATE_WEBHOOK_SECRET: &str = "whsec_b25jb25ldC13ZWJob29rLXRlc3Qtc2VjcmV0LTAx";

/// A profile that sets every field of DESIGN §2.
pub fn full_network() -> Value {
    json!({
        "name": "Oncologienetwerk Groningen-Stad",
        "type": "oncology_care_network",
        "scale": "local",
        "lifecycle": "active",
        "description": {"nl": "Eerstelijns zorg rond kanker in de stad Groningen.", "en": "Primary care around cancer in the city of Groningen."},
        "website": "https://www.example.nl/onco-groningen",
        "disciplines": ["physiotherapy", "dietetics", "psychology", "occupational_therapy", "skin_therapy"],
        "tumour_types": ["breast"],
        "financing": [
            {"form": "municipality_grant", "funder": "Gemeente Groningen", "since": "2024-01-01", "until": "2026-12-31", "note": "Pilot"},
            {"form": "membership_fee", "funder": null, "since": null, "until": null, "note": null}
        ],
        "contacts": [
            {"role": "coordinator", "name": "Anna de Vries", "email": "coordinator@example.nl", "phone": "+31 50 123 4567", "public": true},
            {"role": "chair", "name": PRIVATE_CONTACT_NAME, "email": PRIVATE_CONTACT_EMAIL, "phone": PRIVATE_CONTACT_PHONE, "public": false}
        ],
        "members": [
            {"name": "Fysiotherapie Centrum", "kind": "practice", "discipline": "physiotherapy", "agb": "04012345", "kvk": "12345678",
             "location": {"lat": 53.2194, "lon": 6.5665}, "valid_from": "2024-01-01", "valid_to": null, "in_verwijsgids": true},
            {"name": "UMCG", "kind": "umc", "discipline": null, "agb": null, "kvk": null, "location": null,
             "valid_from": null, "valid_to": null, "in_verwijsgids": false}
        ],
        "links": [],
        "ros_org": "ros-noord",
        "service_area": {
            "municipalities": ["GM0014"],
            "postcodes": ["9711", "9712"],
            "geometry": {"type": "Polygon", "coordinates": [[[6.5, 53.2], [6.6, 53.2], [6.6, 53.25], [6.5, 53.25], [6.5, 53.2]]]},
            "circles": [{"lat": 53.2194, "lon": 6.5665, "radius_km": 10.0}]
        },
        "quality": {"minimum_participation": true, "written_vision": true, "non_profit": true, "assessed_at": "2026-01-15T10:00:00Z"}
    })
}

/// The smallest valid profile.
pub fn minimal_network(name: &str) -> Value {
    json!({"name": name, "type": "oncology_care_network", "scale": "local"})
}
