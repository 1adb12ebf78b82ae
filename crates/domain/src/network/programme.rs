//! What the programme's own documents ask a profile to say (issue 19): how to consult an expert
//! panel; a regional network's or tumour group's founding date, meeting frequency and joint
//! MDO; partners that are not networks in the registry; member roles per tumour type; funders
//! by their register code. Value types with parse constructors, and the rules of which network
//! type may say what.

use super::{Agb, Kvk, LinkKind, NetworkType, Website, limits, parse_text, string_enum};
use crate::error::InvalidValue;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

string_enum!(
    /// How an expert panel is consulted.
    ConsultationChannel {
        Email = "email",
        Phone = "phone",
        WebForm = "web_form",
        /// In the panel's own (regional) multidisciplinary meeting.
        Mdo = "mdo",
        VideoCall = "video_call",
    }
);

string_enum!(
    /// How often a regional network or tumour group meets.
    MeetingFrequency {
        Weekly = "weekly",
        Fortnightly = "fortnightly",
        Monthly = "monthly",
        Quarterly = "quarterly",
        TwiceAYear = "twice_a_year",
        Yearly = "yearly",
        AsNeeded = "as_needed",
    }
);

string_enum!(
    /// What a member of a regional network does for a tumour type.
    CareRole {
        Triage = "triage",
        Diagnosis = "diagnosis",
        Treatment = "treatment",
        FollowUp = "follow_up",
    }
);

string_enum!(
    /// A register that names funders by code.
    FunderRegister {
        /// Health insurers by their UZOVI code (Vektis; 4 digits).
        Uzovi = "uzovi",
        /// Municipalities by their CBS code (`GM` and 4 digits).
        Cbs = "cbs",
    }
);

/// Expected turnaround of an expert panel, in working days: at least 1, at most 60 (a panel
/// that answers later than in three months is no panel to wait for).
pub const TURNAROUND_DAYS: std::ops::RangeInclusive<u16> = 1..=60;

/// How to consult an expert panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consultation {
    pub channel: ConsultationChannel,
    /// Who or what to contact: a secretariat, a phone line, a mailbox (1–200 characters).
    pub contact_point: String,
    /// Working days until an answer.
    pub turnaround_days: u16,
    /// The referral form, when there is one.
    pub referral_form_url: Option<Website>,
}

/// A regional network's or tumour group's joint multidisciplinary meeting (MDO).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mdo {
    /// When it meets (`every Tuesday 16:00–17:30`), 1–200 characters.
    pub schedule: String,
    /// How a hospital submits a patient (1–1,000 characters).
    pub how_to_submit: String,
    /// Where to submit, when online.
    pub submission_url: Option<Website>,
}

/// An organisation the network works with that is not a network in the registry (a hospital, a
/// GP collaboration, a rehabilitation centre), by name with its AGB code or KvK number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partner {
    pub name: String,
    pub kind: LinkKind,
    pub agb: Option<Agb>,
    pub kvk: Option<Kvk>,
}

/// A member's roles for one tumour type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRoles {
    /// Code from the tumour-type vocabulary.
    pub tumour_type: String,
    /// At least one; sorted, each once.
    pub roles: Vec<CareRole>,
}

/// A funder named by its code in a register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunderId {
    pub register: FunderRegister,
    pub code: String,
}

impl FunderId {
    /// `code` checked against `register`'s format: a UZOVI code is 4 digits, a CBS
    /// municipality code `GM` and 4 digits (upper-cased).
    pub fn parse(register: FunderRegister, code: &str) -> Result<Self, InvalidValue> {
        let code = code.trim();
        let code = match register {
            FunderRegister::Uzovi => {
                if code.len() == 4 && code.chars().all(|c| c.is_ascii_digit()) {
                    code.to_owned()
                } else {
                    return Err(InvalidValue::new(
                        "invalid_format",
                        "a UZOVI code (a health insurer in Vektis' register) is 4 digits",
                    ));
                }
            }
            FunderRegister::Cbs => super::parse_municipality_code(code)?,
        };
        Ok(Self { register, code })
    }
}

/// The programme fields of a profile, kept together (they are stored together).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Programme {
    /// Expert panels: how to consult them.
    pub consultation: Option<Consultation>,
    /// Regional networks and tumour groups: when they were founded (not in the future).
    pub founded_on: Option<NaiveDate>,
    /// Regional networks and tumour groups: how often they meet.
    pub meeting_frequency: Option<MeetingFrequency>,
    /// Regional networks and tumour groups: their joint MDO.
    pub mdo: Option<Mdo>,
    /// Partners that are not networks in the registry.
    pub partners: Vec<Partner>,
}

/// Parses a consultation's parts; each problem names its field.
pub fn parse_contact_point(value: &str) -> Result<String, InvalidValue> {
    parse_text(value, limits::NAME)
}

/// A turnaround in working days within [`TURNAROUND_DAYS`].
pub fn parse_turnaround(days: i64) -> Result<u16, InvalidValue> {
    u16::try_from(days)
        .ok()
        .filter(|d| TURNAROUND_DAYS.contains(d))
        .ok_or_else(|| {
            InvalidValue::new(
                "out_of_range",
                format!(
                    "must be between {} and {} working days",
                    TURNAROUND_DAYS.start(),
                    TURNAROUND_DAYS.end()
                ),
            )
        })
}

/// A founding date: not after `today`.
pub fn parse_founded_on(date: NaiveDate, today: NaiveDate) -> Result<NaiveDate, InvalidValue> {
    if date > today {
        Err(InvalidValue::new(
            "in_the_future",
            format!("a founding date cannot lie in the future (today is {today})"),
        ))
    } else {
        Ok(date)
    }
}

/// Which network types may carry each programme field: `(field, allowed)`.
pub fn applicable(network_type: NetworkType) -> [(&'static str, bool); 4] {
    let hospital_led = matches!(
        network_type,
        NetworkType::RegionalOncologyNetwork | NetworkType::NetworkTumourGroup
    );
    [
        ("consultation", network_type == NetworkType::ExpertPanel),
        ("founded_on", hospital_led),
        ("meeting_frequency", hospital_led),
        ("mdo", hospital_led),
    ]
}

/// Whether members of a network of `network_type` may carry roles per tumour type (regional
/// networks and their tumour groups: the hospitals that triage, diagnose, treat, follow up).
pub fn members_have_roles(network_type: NetworkType) -> bool {
    matches!(
        network_type,
        NetworkType::RegionalOncologyNetwork | NetworkType::NetworkTumourGroup
    )
}

impl Programme {
    /// Whether field `key` (see [`applicable`]) is set.
    pub fn has(&self, key: &str) -> bool {
        match key {
            "consultation" => self.consultation.is_some(),
            "founded_on" => self.founded_on.is_some(),
            "meeting_frequency" => self.meeting_frequency.is_some(),
            "mdo" => self.mdo.is_some(),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turnarounds_are_working_days_within_reason() {
        assert_eq!(parse_turnaround(1), Ok(1));
        assert_eq!(parse_turnaround(60), Ok(60));
        for bad in [0, -1, 61, 10_000, i64::MAX] {
            assert_eq!(
                parse_turnaround(bad).map_err(|e| e.code),
                Err("out_of_range"),
                "{bad}"
            );
        }
    }

    #[test]
    fn founding_dates_are_not_in_the_future() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap_or_default();
        assert!(parse_founded_on(today, today).is_ok());
        assert!(parse_founded_on(today.pred_opt().unwrap_or_default(), today).is_ok());
        assert_eq!(
            parse_founded_on(today.succ_opt().unwrap_or_default(), today).map_err(|e| e.code),
            Err("in_the_future")
        );
    }

    #[test]
    fn funder_codes_follow_their_register() {
        assert_eq!(
            FunderId::parse(FunderRegister::Uzovi, " 3311 ").map(|f| f.code),
            Ok("3311".to_owned())
        );
        assert_eq!(
            FunderId::parse(FunderRegister::Cbs, "gm0014").map(|f| f.code),
            Ok("GM0014".to_owned())
        );
        for (register, bad) in [
            (FunderRegister::Uzovi, "331"),
            (FunderRegister::Uzovi, "33110"),
            (FunderRegister::Uzovi, "33a1"),
            (FunderRegister::Uzovi, "GM0014"),
            (FunderRegister::Cbs, "0014"),
            (FunderRegister::Cbs, "GM14"),
            (FunderRegister::Cbs, "3311"),
        ] {
            assert!(FunderId::parse(register, bad).is_err(), "{register} {bad}");
        }
    }

    #[test]
    fn only_the_right_network_types_say_what_the_documents_ask() {
        let allowed = |t: NetworkType| -> Vec<&str> {
            applicable(t)
                .into_iter()
                .filter(|(_, ok)| *ok)
                .map(|(k, _)| k)
                .collect()
        };
        assert_eq!(allowed(NetworkType::ExpertPanel), ["consultation"]);
        for t in [
            NetworkType::RegionalOncologyNetwork,
            NetworkType::NetworkTumourGroup,
        ] {
            assert_eq!(allowed(t), ["founded_on", "meeting_frequency", "mdo"]);
            assert!(members_have_roles(t));
        }
        assert!(allowed(NetworkType::OncologyCareNetwork).is_empty());
        assert!(!members_have_roles(NetworkType::OncologyCareNetwork));
        assert!(!members_have_roles(NetworkType::ExpertPanel));
    }
}
