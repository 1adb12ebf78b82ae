//! What a change means to the systems that subscribed to the registry's webhooks: which
//! events a revision raises.

use crate::error::InvalidValue;
use crate::network::{RegistryState, string_enum};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

string_enum!(
    /// An event a webhook subscription can ask for.
    EventType {
        /// A network became public.
        NetworkPublished = "network.published",
        /// A published network's profile changed, or it was taken back to draft (its state
        /// says so).
        NetworkUpdated = "network.updated",
        /// A published network was archived.
        NetworkArchived = "network.archived",
        /// What the coverage reports count changed: a network entered or left the published
        /// set, or a published network's area, type, lifecycle, disciplines or tumour types
        /// changed.
        CoverageChanged = "coverage.changed",
        /// A published network was last verified over 12 months ago: its editors should
        /// re-confirm it (`POST /v1/networks/{id}/verify`). Sent once per verification that
        /// runs out.
        NetworkVerificationDue = "network.verification_due",
    }
);

/// The top-level profile fields (as a revision names them) that coverage reports depend on.
pub const COVERAGE_FIELDS: [&str; 6] = [
    "service_area",
    "area_km2",
    "type",
    "lifecycle",
    "disciplines",
    "tumour_types",
];

/// The events of one revision: the state before (`None`: a new network), the state after and
/// the fields that changed (without `state`; `last_verified_at` alone is not a change).
pub fn events_of(
    before: Option<RegistryState>,
    after: RegistryState,
    changed: &[&str],
) -> Vec<EventType> {
    use RegistryState::Published;
    let was = before == Some(Published);
    let is = after == Published;
    let changed: Vec<&str> = changed
        .iter()
        .copied()
        .filter(|f| !matches!(*f, "state" | "last_verified_at" | "reason"))
        .collect();
    match (was, is) {
        (false, true) => vec![EventType::NetworkPublished, EventType::CoverageChanged],
        (true, false) if after == RegistryState::Archived => {
            vec![EventType::NetworkArchived, EventType::CoverageChanged]
        }
        (true, false) => vec![EventType::NetworkUpdated, EventType::CoverageChanged],
        (true, true) if changed.is_empty() => Vec::new(),
        (true, true) => {
            let mut events = vec![EventType::NetworkUpdated];
            if changed.iter().any(|f| COVERAGE_FIELDS.contains(f)) {
                events.push(EventType::CoverageChanged);
            }
            events
        }
        (false, false) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EventType::*;
    use RegistryState::*;

    #[test]
    fn drafts_raise_nothing() {
        assert!(events_of(None, Draft, &["name", "service_area"]).is_empty());
        assert!(events_of(Some(Draft), Submitted, &[]).is_empty());
        assert!(events_of(Some(Submitted), Draft, &[]).is_empty());
        assert!(events_of(Some(Archived), Draft, &[]).is_empty());
    }

    #[test]
    fn publishing_and_archiving_change_coverage() {
        assert_eq!(
            events_of(Some(Submitted), Published, &["last_verified_at"]),
            [NetworkPublished, CoverageChanged]
        );
        assert_eq!(
            events_of(Some(Published), Archived, &[]),
            [NetworkArchived, CoverageChanged]
        );
        assert_eq!(
            events_of(Some(Published), Draft, &[]),
            [NetworkUpdated, CoverageChanged]
        );
    }

    #[test]
    fn an_edit_of_a_published_network_is_an_update_and_maybe_a_coverage_change() {
        assert_eq!(
            events_of(Some(Published), Published, &["name"]),
            [NetworkUpdated]
        );
        assert_eq!(
            events_of(Some(Published), Published, &["contacts/0"]),
            [NetworkUpdated]
        );
        for field in COVERAGE_FIELDS {
            assert_eq!(
                events_of(Some(Published), Published, &["website", field]),
                [NetworkUpdated, CoverageChanged],
                "{field}"
            );
        }
        assert!(events_of(Some(Published), Published, &["last_verified_at"]).is_empty());
    }

    #[test]
    fn codes_read_back() {
        for e in EventType::ALL {
            assert_eq!(e.as_str().parse::<EventType>(), Ok(*e));
        }
        assert!("network.deleted".parse::<EventType>().is_err());
    }
}
