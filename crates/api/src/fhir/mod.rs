//! FHIR R4 views of the registry, following IHE mCSD (Mobile Care Services Discovery): pure
//! functions from the public network model to FHIR JSON, unit-tested here and validated
//! against the R4 definitions by `tests/fhir/validate.py` (the `fhir.resources` package).
//!
//! - every published network is an mCSD `Organization` (typed `network`), `partOf` its parent
//!   network when that is published too;
//! - every member is an `Organization` of its own, joined to the network by an mCSD
//!   `OrganizationAffiliation` (`organization` = the network, `participatingOrganization` =
//!   the member, `period` from the membership dates);
//! - every link to another published network is an `OrganizationAffiliation` too;
//! - a network's derived service area is a `Location` managed by the network, its boundary in
//!   the `location-boundary-geojson` extension (what mCSD names for boundaries) as a base64
//!   `application/geo+json` attachment.
//!
//! Ids: a network's `Organization` has the network's UUID; the others have deterministic UUIDs
//! derived from the network's UUID and what they stand for ([`derived_id`]), so they stay the
//! same from one request, version and server to the next. `meta.versionId` and
//! `meta.lastUpdated` are the network's version and update time.
//!
//! [`resources`] maps, [`search`] parses and applies search parameters, [`bundle`] builds the
//! searchset and history Bundles and [`capability`] the CapabilityStatement.

pub mod bundle;
pub mod capability;
pub mod resources;
pub mod search;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// The media type of every FHIR answer.
pub const FHIR_JSON: &str = "application/fhir+json";

/// The FHIR version served.
pub const FHIR_VERSION: &str = "4.0.1";

/// Code systems of our own, for codes FHIR and mCSD have no value set for.
pub const CS_BASE: &str = "https://onconet.nl/fhir/CodeSystem";

/// The resource types served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceType {
    Organization,
    OrganizationAffiliation,
    Location,
}

impl ResourceType {
    pub const ALL: [ResourceType; 3] = [
        ResourceType::Organization,
        ResourceType::OrganizationAffiliation,
        ResourceType::Location,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::Organization => "Organization",
            ResourceType::OrganizationAffiliation => "OrganizationAffiliation",
            ResourceType::Location => "Location",
        }
    }

    /// The mCSD profile the resources of this type follow.
    pub fn profile(self) -> &'static str {
        match self {
            ResourceType::Organization => {
                "https://profiles.ihe.net/ITI/mCSD/StructureDefinition/IHE.mCSD.Organization"
            }
            ResourceType::OrganizationAffiliation => {
                "https://profiles.ihe.net/ITI/mCSD/StructureDefinition/IHE.mCSD.OrganizationAffiliation"
            }
            ResourceType::Location => {
                "https://profiles.ihe.net/ITI/mCSD/StructureDefinition/IHE.mCSD.Location"
            }
        }
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ResourceType {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        ResourceType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or(())
    }
}

/// The id of the resource standing for `what` of network `network`: the first 128 bits of a
/// SHA-256 over both, as an RFC 9562 version 8 UUID (name-based like version 5, with SHA-256
/// instead of SHA-1).
pub fn derived_id(network: Uuid, what: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"onconet:fhir:");
    hasher.update(network.as_bytes());
    hasher.update(b":");
    hasher.update(what.as_bytes());
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// Whether `id` is a FHIR id (`[A-Za-z0-9\-\.]{1,64}`).
pub fn is_fhir_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// The FHIR issue type of an error (the `code` of an OperationOutcome issue).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueType {
    Invalid,
    NotFound,
    NotSupported,
    Deleted,
    Throttled,
    Security,
    Transient,
    Exception,
}

impl IssueType {
    pub fn as_str(self) -> &'static str {
        match self {
            IssueType::Invalid => "invalid",
            IssueType::NotFound => "not-found",
            IssueType::NotSupported => "not-supported",
            IssueType::Deleted => "deleted",
            IssueType::Throttled => "throttled",
            IssueType::Security => "security",
            IssueType::Transient => "transient",
            IssueType::Exception => "exception",
        }
    }
}

/// An OperationOutcome with one error issue.
pub fn operation_outcome(code: IssueType, diagnostics: &str) -> Value {
    json!({
        "resourceType": "OperationOutcome",
        "issue": [{
            "severity": "error",
            "code": code.as_str(),
            "diagnostics": diagnostics,
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_distinct_uuids_and_fhir_ids() {
        let n = Uuid::from_u128(42);
        let a = derived_id(n, "location");
        assert_eq!(a, derived_id(n, "location"));
        assert_ne!(a, derived_id(n, "member:agb:01234567"));
        assert_ne!(a, derived_id(Uuid::from_u128(43), "location"));
        let parsed = Uuid::parse_str(&a).expect("a uuid");
        assert_eq!(parsed.get_version_num(), 8);
        assert!(is_fhir_id(&a));
    }

    #[test]
    fn fhir_ids() {
        assert!(is_fhir_id("abc-1.2"));
        assert!(!is_fhir_id(""));
        assert!(!is_fhir_id("a/b"));
        assert!(!is_fhir_id(&"a".repeat(65)));
        assert!(!is_fhir_id("é"));
    }

    #[test]
    fn resource_types_round_trip() {
        for t in ResourceType::ALL {
            assert_eq!(t.as_str().parse::<ResourceType>(), Ok(t));
        }
        assert!("Patient".parse::<ResourceType>().is_err());
        assert!("organization".parse::<ResourceType>().is_err());
    }
}
