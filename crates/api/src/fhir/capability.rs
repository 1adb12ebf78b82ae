//! The CapabilityStatement: exactly what the FHIR routes do.

use super::search::{DEFAULT_COUNT, MAX_COUNT, search_parameters};
use super::{FHIR_JSON, FHIR_VERSION, ResourceType};
use serde_json::{Value, json};

/// The date of this statement (changed with what it says).
const DATE: &str = "2026-12-04";

fn search_param(name: &str, kind: ResourceType) -> Value {
    let (definition, kind_of, documentation) = match name {
        "_id" => (
            "http://hl7.org/fhir/SearchParameter/Resource-id".to_owned(),
            "token",
            "The resource id; a comma list is any of them.".to_owned(),
        ),
        "_lastUpdated" => (
            "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated".to_owned(),
            "date",
            "meta.lastUpdated, with the prefixes eq (default), ne, gt, ge, lt, le; a date, a month, a year or a dateTime (the range its precision covers). Repeat the parameter for a range.".to_owned(),
        ),
        "name" => (
            format!("http://hl7.org/fhir/SearchParameter/{kind}-name"),
            "string",
            "Starts with the value, ignoring case and accents; name:contains anywhere, name:exact the whole name.".to_owned(),
        ),
        "partof" => (
            "http://hl7.org/fhir/SearchParameter/Organization-partof".to_owned(),
            "reference",
            "The parent network: `id` or `Organization/id`.".to_owned(),
        ),
        "organization" => (
            "http://hl7.org/fhir/SearchParameter/Location-organization".to_owned(),
            "reference",
            "The managing organization (the network): `id` or `Organization/id`.".to_owned(),
        ),
        "primary-organization" => (
            "http://hl7.org/fhir/SearchParameter/OrganizationAffiliation-primary-organization".to_owned(),
            "reference",
            "The network (OrganizationAffiliation.organization).".to_owned(),
        ),
        _ => (
            "http://hl7.org/fhir/SearchParameter/OrganizationAffiliation-participating-organization".to_owned(),
            "reference",
            "The member, or the linked network (participatingOrganization).".to_owned(),
        ),
    };
    json!({"name": name, "definition": definition, "type": kind_of, "documentation": documentation})
}

fn resource(kind: ResourceType) -> Value {
    let mut params = vec![
        search_param("_id", kind),
        search_param("_lastUpdated", kind),
    ];
    params.extend(
        search_parameters(kind)
            .iter()
            .map(|p| search_param(p, kind)),
    );
    let documentation = match kind {
        ResourceType::Organization => {
            "Published networks (type `network`, partOf their parent network) and their members."
        }
        ResourceType::OrganizationAffiliation => {
            "Memberships (organization = the network, participatingOrganization = the member, period = the membership) and links between networks."
        }
        ResourceType::Location => {
            "Each network's service area, its boundary in the location-boundary-geojson extension (base64 application/geo+json)."
        }
    };
    json!({
        "type": kind.as_str(),
        "profile": kind.profile(),
        "documentation": documentation,
        "interaction": [
            {"code": "read"},
            {"code": "search-type", "documentation": format!("Paged with _count (0–{MAX_COUNT}, default {DEFAULT_COUNT}) and _offset; the Bundle has total and self/next/previous links.")},
            {"code": "history-instance", "documentation": "The current version and any deletion."},
            {"code": "history-type", "documentation": "For sync: every resource's current version changed at or after _since, and deletions; newest first, paged with _count and _offset."},
        ],
        "versioning": "versioned",
        "readHistory": false,
        "updateCreate": false,
        "conditionalCreate": false,
        "conditionalRead": "not-supported",
        "conditionalUpdate": false,
        "conditionalDelete": "not-supported",
        "searchParam": params,
    })
}

/// The CapabilityStatement of the server whose FHIR base is `base`.
pub fn capability_statement(base: &str) -> Value {
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": DATE,
        "publisher": "onconet",
        "kind": "instance",
        "software": {"name": "onconet", "version": env!("CARGO_PKG_VERSION")},
        "implementation": {
            "description": "onconet: the national registry of oncology networks in the Netherlands, as read-only FHIR R4 views following IHE mCSD (Organization, OrganizationAffiliation, Location). Published networks only, public contacts only.",
            "url": base,
        },
        "fhirVersion": FHIR_VERSION,
        "format": [FHIR_JSON, "json"],
        "rest": [{
            "mode": "server",
            "documentation": "Read-only. Errors are OperationOutcome resources. No authentication: everything here is public.",
            "resource": ResourceType::ALL.iter().map(|k| resource(*k)).collect::<Vec<_>>(),
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_every_type_and_parameter() {
        let c = capability_statement("http://h/fhir");
        let resources = c["rest"][0]["resource"].as_array().expect("resources");
        assert_eq!(resources.len(), 3);
        let org = &resources[0];
        let names: Vec<&str> = org["searchParam"]
            .as_array()
            .expect("params")
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(names, ["_id", "_lastUpdated", "name", "partof"]);
        assert_eq!(c["fhirVersion"], "4.0.1");
    }
}
