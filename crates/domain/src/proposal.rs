//! Proposed changes (issue 19): a ROS adviser's change to a *published* network is reviewed by
//! IKNL before anybody sees it, and an adviser's "still correct" is confirmed by IKNL. The
//! rules of who proposes, who decides and which changes skip the review live here.

use crate::error::InvalidValue;
use crate::network::{NetworkProfile, RegistryState, string_enum};
use crate::workflow::Actor;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

string_enum!(
    /// What a proposal asks.
    ProposalKind {
        /// A changed profile.
        Change = "change",
        /// "The published profile is still correct": a verification to confirm.
        Verification = "verification",
    }
);

string_enum!(
    /// Where a proposal is.
    ProposalState {
        Pending = "pending",
        Accepted = "accepted",
        Rejected = "rejected",
        Withdrawn = "withdrawn",
    }
);

string_enum!(
    /// Parts of a profile that may be configured to change without review (a setting, none
    /// by default): a network's website, and its contacts' e-mail addresses and phone numbers.
    AtOnceField {
        Website = "website",
        ContactDetails = "contact_details",
    }
);

/// Whether `actor`'s changes to a network in `state` wait for review: an adviser's changes to
/// a published network do; staff changes, and any change to a network nobody sees yet, apply
/// at once.
pub fn needs_review(actor: &Actor, state: RegistryState) -> bool {
    state == RegistryState::Published && !actor.is_registry_staff()
}

/// Whether `after` differs from `before` only in the `at_once` parts (and differs at all is
/// not asked: equal profiles pass). Contact details count only while the contacts stay the
/// same people in the same order (same role, name and visibility).
pub fn only_at_once(
    before: &NetworkProfile,
    after: &NetworkProfile,
    at_once: &[AtOnceField],
) -> bool {
    let mut before = before.clone();
    let mut after = after.clone();
    if at_once.contains(&AtOnceField::Website) {
        before.website = None;
        after.website = None;
    }
    if at_once.contains(&AtOnceField::ContactDetails)
        && before.contacts.len() == after.contacts.len()
    {
        for c in before.contacts.iter_mut().chain(after.contacts.iter_mut()) {
            c.email = None;
            c.phone = None;
        }
    }
    before == after
}

/// Why a decision on a proposal is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecisionError {
    /// The actor may never make it (403).
    Forbidden(String),
    /// Not from the proposal's current state (409).
    NotAllowed(String),
    /// The target is not a decision (422).
    NotADecision,
}

impl fmt::Display for DecisionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecisionError::Forbidden(m) | DecisionError::NotAllowed(m) => f.write_str(m),
            DecisionError::NotADecision => {
                f.write_str("a proposal moves to `accepted`, `rejected` or `withdrawn`")
            }
        }
    }
}

/// Whether `actor` may move a proposal made by `proposer` (a token subject) from `from` to
/// `to`: IKNL staff and admins accept and reject; the adviser who proposed it withdraws it.
/// Who may is decided before whether it can still move, so a refusal that no retry mends is a
/// 403.
pub fn check_decision(
    actor: &Actor,
    proposer: &str,
    from: ProposalState,
    to: ProposalState,
) -> Result<(), DecisionError> {
    match to {
        ProposalState::Pending => return Err(DecisionError::NotADecision),
        ProposalState::Accepted | ProposalState::Rejected if !actor.is_registry_staff() => {
            return Err(DecisionError::Forbidden(format!(
                "only IKNL staff and admins may {} a proposal",
                if to == ProposalState::Accepted {
                    "accept"
                } else {
                    "reject"
                }
            )));
        }
        ProposalState::Withdrawn if actor.sub != proposer => {
            return Err(DecisionError::Forbidden(
                "only the adviser who made a proposal may withdraw it; IKNL staff reject it".into(),
            ));
        }
        _ => {}
    }
    if from != ProposalState::Pending {
        return Err(DecisionError::NotAllowed(format!(
            "the proposal is already {from}; only a pending proposal is decided"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::*;
    use crate::workflow::Role;

    fn actor(sub: &str, roles: &[Role]) -> Actor {
        Actor {
            sub: sub.into(),
            name: None,
            roles: roles.to_vec(),
            org: Some("ros-noord".into()),
        }
    }

    fn profile() -> NetworkProfile {
        NetworkProfile {
            name: "Netwerk".into(),
            external_id: None,
            network_type: NetworkType::OncologyCareNetwork,
            scale: Scale::Local,
            parent_id: None,
            lifecycle: Lifecycle::Active,
            description: LocalizedText::default(),
            website: Website::parse("https://a.example.nl").ok(),
            disciplines: vec![],
            tumour_types: vec![],
            financing: vec![],
            contacts: vec![Contact {
                role: ContactRole::Coordinator,
                name: "Anna".into(),
                email: Email::parse("anna@example.nl").ok(),
                phone: Phone::parse("+31 50 123 4567").ok(),
                public: true,
            }],
            members: vec![],
            links: vec![],
            ros_org: None,
            service_area: ServiceArea::default(),
            quality: QualityAttestation::default(),
            programme: Default::default(),
        }
    }

    #[test]
    fn only_advisers_changes_to_published_networks_wait() {
        let adviser = actor("a", &[Role::RosAdviser]);
        let staff = actor("s", &[Role::IknlStaff]);
        let both = actor("b", &[Role::RosAdviser, Role::Admin]);
        for state in RegistryState::ALL {
            let published = *state == RegistryState::Published;
            assert_eq!(needs_review(&adviser, *state), published, "{state}");
            assert!(!needs_review(&staff, *state));
            assert!(!needs_review(&both, *state));
        }
    }

    #[test]
    fn at_once_fields_are_exactly_the_configured_ones() {
        let before = profile();
        let mut site = before.clone();
        site.website = Website::parse("https://b.example.nl").ok();
        let mut phone = before.clone();
        phone.contacts[0].phone = Phone::parse("+31 50 765 4321").ok();
        phone.contacts[0].email = None;
        let mut renamed = before.clone();
        renamed.contacts[0].name = "Bram".into();
        let mut added = before.clone();
        added.contacts.push(before.contacts[0].clone());
        let mut name = before.clone();
        name.name = "Ander netwerk".into();
        let all = [AtOnceField::Website, AtOnceField::ContactDetails];
        assert!(only_at_once(&before, &before, &[]));
        assert!(!only_at_once(&before, &site, &[]));
        assert!(only_at_once(&before, &site, &[AtOnceField::Website]));
        assert!(!only_at_once(
            &before,
            &site,
            &[AtOnceField::ContactDetails]
        ));
        assert!(only_at_once(
            &before,
            &phone,
            &[AtOnceField::ContactDetails]
        ));
        assert!(!only_at_once(&before, &phone, &[AtOnceField::Website]));
        let mut both = site.clone();
        both.contacts = phone.contacts.clone();
        assert!(only_at_once(&before, &both, &all));
        assert!(!only_at_once(&before, &both, &[AtOnceField::Website]));
        // Another person, another contact, another name: reviewed.
        assert!(!only_at_once(&before, &renamed, &all));
        assert!(!only_at_once(&before, &added, &all));
        assert!(!only_at_once(&before, &name, &all));
    }

    #[test]
    fn staff_decide_and_the_proposer_withdraws() {
        use ProposalState::*;
        let proposer = actor("a", &[Role::RosAdviser]);
        let colleague = actor("c", &[Role::RosAdviser]);
        let staff = actor("s", &[Role::IknlStaff]);
        let admin = actor("d", &[Role::Admin]);
        for decider in [&staff, &admin] {
            assert_eq!(check_decision(decider, "a", Pending, Accepted), Ok(()));
            assert_eq!(check_decision(decider, "a", Pending, Rejected), Ok(()));
            assert!(matches!(
                check_decision(decider, "a", Pending, Withdrawn),
                Err(DecisionError::Forbidden(_))
            ));
        }
        assert_eq!(check_decision(&proposer, "a", Pending, Withdrawn), Ok(()));
        for to in [Accepted, Rejected] {
            assert!(matches!(
                check_decision(&proposer, "a", Pending, to),
                Err(DecisionError::Forbidden(_))
            ));
        }
        assert!(matches!(
            check_decision(&colleague, "a", Pending, Withdrawn),
            Err(DecisionError::Forbidden(_))
        ));
        for from in [Accepted, Rejected, Withdrawn] {
            assert!(matches!(
                check_decision(&staff, "a", from, Accepted),
                Err(DecisionError::NotAllowed(_))
            ));
            assert!(matches!(
                check_decision(&proposer, "a", from, Withdrawn),
                Err(DecisionError::NotAllowed(_))
            ));
        }
        assert_eq!(
            check_decision(&staff, "a", Pending, Pending),
            Err(DecisionError::NotADecision)
        );
        // Who may is decided first: an adviser accepting a decided proposal gets a 403.
        assert!(matches!(
            check_decision(&proposer, "a", Accepted, Accepted),
            Err(DecisionError::Forbidden(_))
        ));
    }
}
