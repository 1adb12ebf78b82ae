//! The ten LOPPSOZ quality criteria for oncology care networks (DESIGN §5): computed from the
//! profile where the data decides, attested by IKNL where it cannot.

use crate::network::{LinkKind, Network, NetworkProfile, NetworkType, Scale};
use crate::verification::Verification;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Psychosocial disciplines for criterion 1.
pub const PSYCHOSOCIAL: [&str; 5] = [
    "psychology",
    "social_work",
    "psychosocial_therapy",
    "practice_nurse_mental_health",
    "spiritual_care",
];

/// Share of members that must be listed in the Verwijsgids Kanker (criterion 2).
pub const VERWIJSGIDS_SHARE: f64 = 0.6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Decided by the profile's data.
    Computed,
    /// Stated by IKNL after assessment.
    Attested,
}

/// One criterion and whether it is met (`None`: not known yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Criterion {
    pub number: u8,
    pub key: &'static str,
    pub met: Option<bool>,
    pub source: Source,
}

/// The checklist of a network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Qualification {
    /// LOPPSOZ applies to oncology care networks only.
    pub applicable: bool,
    /// Every criterion is met.
    pub qualified: bool,
    pub criteria: Vec<Criterion>,
}

fn computed(number: u8, key: &'static str, met: Option<bool>) -> Criterion {
    Criterion {
        number,
        key,
        met,
        source: Source::Computed,
    }
}

fn attested(number: u8, key: &'static str, met: Option<bool>) -> Criterion {
    Criterion {
        number,
        key,
        met,
        source: Source::Attested,
    }
}

/// Criterion 7, an up-to-date website: the network has a website and its profile was
/// verified within the last 12 months (on publication or re-confirmed). Not known yet for a
/// profile never verified; never met without a website.
pub fn up_to_date_website(has_website: bool, verification: Verification) -> Option<bool> {
    match (has_website, verification) {
        (false, _) => Some(false),
        (true, Verification::Current) => Some(true),
        (true, Verification::Lapsed) => Some(false),
        (true, Verification::Never) => None,
    }
}

/// The checklist of network `n` at `now` (criterion 7 ages with its last verification).
pub fn qualification_at(n: &Network, now: DateTime<Utc>) -> Qualification {
    qualification(&n.profile, Verification::at(n.last_verified_at, now))
}

/// Evaluates the ten criteria for `p`, whose verification stands at `verification`.
pub fn qualification(p: &NetworkProfile, verification: Verification) -> Qualification {
    if p.network_type != NetworkType::OncologyCareNetwork {
        return Qualification {
            applicable: false,
            qualified: false,
            criteria: vec![],
        };
    }
    let has = |code: &str| p.disciplines.iter().any(|d| d == code);
    let disciplines = p.disciplines.len() >= 5
        && has("physiotherapy")
        && has("dietetics")
        && PSYCHOSOCIAL.iter().any(|d| has(d));
    let verwijsgids = if p.members.is_empty() {
        None
    } else {
        let listed = p.members.iter().filter(|m| m.in_verwijsgids).count();
        Some(listed as f64 / p.members.len() as f64 >= VERWIJSGIDS_SHARE)
    };
    // A registered network, or a partner outside the registry (a hospital, a GP group).
    let linked = |kind: LinkKind| {
        p.links.iter().any(|l| l.kind == kind)
            || p.programme.partners.iter().any(|x| x.kind == kind)
    };
    let gps = linked(LinkKind::GpCollaboration) || has("general_practice");
    let criteria = vec![
        computed(1, "disciplines", Some(disciplines)),
        computed(2, "verwijsgids_listing", verwijsgids),
        attested(3, "minimum_participation", p.quality.minimum_participation),
        attested(4, "written_vision", p.quality.written_vision),
        attested(5, "non_profit", p.quality.non_profit),
        computed(
            6,
            "local_or_regional",
            Some(p.scale != Scale::SupraRegional),
        ),
        computed(
            7,
            "website",
            up_to_date_website(p.website.is_some(), verification),
        ),
        computed(
            8,
            "hospital_contact",
            Some(linked(LinkKind::HospitalNetwork)),
        ),
        computed(9, "gp_contact", Some(gps)),
        computed(
            10,
            "contact_point",
            Some(p.contacts.iter().any(|c| c.public)),
        ),
    ];
    let qualified = criteria.iter().all(|c| c.met == Some(true));
    Qualification {
        applicable: true,
        qualified,
        criteria,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::*;
    use uuid::Uuid;

    fn current(p: &NetworkProfile) -> Qualification {
        qualification(p, Verification::Current)
    }

    fn qualified_profile() -> NetworkProfile {
        NetworkProfile {
            name: "N".into(),
            external_id: None,
            network_type: NetworkType::OncologyCareNetwork,
            scale: Scale::Local,
            parent_id: None,
            lifecycle: Lifecycle::Active,
            description: LocalizedText::default(),
            website: Website::parse("https://example.nl").ok(),
            disciplines: [
                "physiotherapy",
                "dietetics",
                "psychology",
                "skin_therapy",
                "occupational_therapy",
            ]
            .map(String::from)
            .to_vec(),
            tumour_types: vec![],
            financing: vec![],
            contacts: vec![Contact {
                role: ContactRole::Coordinator,
                name: "C".into(),
                email: Email::parse("c@x.nl").ok(),
                phone: None,
                public: true,
            }],
            members: (0..5)
                .map(|i| Member {
                    name: format!("M{i}"),
                    kind: MemberKind::Practice,
                    discipline: None,
                    agb: None,
                    kvk: None,
                    location: None,
                    valid_from: None,
                    valid_to: None,
                    in_verwijsgids: i < 3,
                    roles: vec![],
                })
                .collect(),
            links: vec![
                Link {
                    network_id: Uuid::nil(),
                    kind: LinkKind::HospitalNetwork,
                },
                Link {
                    network_id: Uuid::nil(),
                    kind: LinkKind::GpCollaboration,
                },
            ],
            ros_org: None,
            service_area: ServiceArea::default(),
            quality: QualityAttestation {
                minimum_participation: Some(true),
                written_vision: Some(true),
                non_profit: Some(true),
                assessed_at: None,
            },
            programme: Default::default(),
        }
    }

    #[test]
    fn all_ten_met_is_qualified() {
        let q = current(&qualified_profile());
        assert!(q.applicable && q.qualified, "{q:?}");
        assert_eq!(q.criteria.len(), 10);
        assert_eq!(
            q.criteria
                .iter()
                .filter(|c| c.source == Source::Attested)
                .count(),
            3
        );
    }

    #[test]
    fn each_missing_criterion_is_reported() {
        let unmet = |p: NetworkProfile| -> Vec<&'static str> {
            current(&p)
                .criteria
                .into_iter()
                .filter(|c| c.met != Some(true))
                .map(|c| c.key)
                .collect()
        };
        let mut p = qualified_profile();
        p.disciplines.retain(|d| d != "psychology");
        assert_eq!(unmet(p), ["disciplines"]);
        let mut p = qualified_profile();
        p.members[2].in_verwijsgids = false; // 2 of 5 = 40 %
        assert_eq!(unmet(p), ["verwijsgids_listing"]);
        let mut p = qualified_profile();
        p.members.clear();
        assert_eq!(unmet(p), ["verwijsgids_listing"], "unknown without members");
        let mut p = qualified_profile();
        p.quality.non_profit = None;
        assert_eq!(unmet(p), ["non_profit"]);
        let mut p = qualified_profile();
        p.scale = Scale::SupraRegional;
        p.website = None;
        p.contacts[0].public = false;
        assert_eq!(unmet(p), ["local_or_regional", "website", "contact_point"]);
        let mut p = qualified_profile();
        p.links.clear();
        assert_eq!(unmet(p), ["hospital_contact", "gp_contact"]);
        let mut p = qualified_profile();
        p.links.retain(|l| l.kind == LinkKind::HospitalNetwork);
        p.disciplines.push("general_practice".into());
        assert_eq!(
            unmet(p),
            Vec::<&str>::new(),
            "a GP in the network counts as GP contact"
        );
    }

    #[test]
    fn only_care_networks_are_assessed() {
        let mut p = qualified_profile();
        p.network_type = NetworkType::ExpertPanel;
        let q = current(&p);
        assert!(!q.applicable && !q.qualified && q.criteria.is_empty());
    }

    fn website(p: &NetworkProfile, verification: Verification) -> Option<bool> {
        let q = qualification(p, verification);
        q.criteria
            .iter()
            .find(|c| c.number == 7)
            .and_then(|c| c.met)
    }

    #[test]
    fn an_up_to_date_website_needs_a_current_verification() {
        let p = qualified_profile();
        assert_eq!(website(&p, Verification::Current), Some(true));
        assert_eq!(website(&p, Verification::Lapsed), Some(false));
        assert_eq!(website(&p, Verification::Never), None, "not known yet");
        assert!(!qualification(&p, Verification::Lapsed).qualified);
        assert!(!qualification(&p, Verification::Never).qualified);
        let mut p = qualified_profile();
        p.website = None;
        for v in [
            Verification::Current,
            Verification::Lapsed,
            Verification::Never,
        ] {
            assert_eq!(website(&p, v), Some(false), "{v:?}");
        }
    }

    #[test]
    fn criterion_seven_ages_with_the_last_verification() {
        use chrono::Duration;
        let now = Utc::now();
        let network = |last_verified_at| Network {
            id: Uuid::nil(),
            profile: qualified_profile(),
            state: RegistryState::Published,
            version: 1,
            created_at: now,
            updated_at: now,
            last_verified_at,
            demo: false,
            area: None,
            area_km2: None,
        };
        let fresh = network(Some(now - Duration::days(30)));
        assert!(qualification_at(&fresh, now).qualified);
        let later = now + Duration::days(340);
        assert!(
            !qualification_at(&fresh, later).qualified,
            "a year after its verification"
        );
        assert!(!qualification_at(&network(None), now).qualified);
    }
}
