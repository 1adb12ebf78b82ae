//! The network profile (DESIGN §2) and its value objects.
//!
//! Every value type here is built by a `parse` constructor that refuses invalid input, so a
//! [`NetworkProfile`] in hand is always valid. Profiles serialise to the same JSON shape the
//! API speaks; the database stores nested lists in that shape.

use crate::error::{FieldErrors, InvalidValue};
use crate::vocabulary::{Vocabularies, Vocabulary};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

pub mod programme;

/// Declares a closed, string-coded enum with `as_str`, `ALL`, `FromStr` and serde support.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $code)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }

            /// All codes, in declaration order.
            pub fn codes() -> Vec<&'static str> {
                Self::ALL.iter().map(|v| v.as_str()).collect()
            }
        }

        impl FromStr for $name {
            type Err = InvalidValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($code => Ok($name::$variant),)+
                    _ => Err(InvalidValue::new(
                        "unknown_code",
                        format!("unknown value `{s}`, expected one of: {}", Self::codes().join(", ")),
                    )),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_enum;

string_enum!(
    /// The kind of network (DESIGN §1).
    NetworkType {
        RegionalOncologyNetwork = "regional_oncology_network",
        NetworkTumourGroup = "network_tumour_group",
        ExpertPanel = "expert_panel",
        OncologyCareNetwork = "oncology_care_network",
    }
);

impl NetworkType {
    /// Tumour groups and expert panels exist per tumour type, so they must name at least one.
    pub fn requires_tumour_types(self) -> bool {
        matches!(
            self,
            NetworkType::NetworkTumourGroup | NetworkType::ExpertPanel
        )
    }
}

string_enum!(
    /// How large an area a network serves.
    Scale { Local = "local", Regional = "regional", SupraRegional = "supra_regional" }
);

string_enum!(
    /// Whether the network itself is running.
    Lifecycle { InFormation = "in_formation", Active = "active", Inactive = "inactive" }
);

string_enum!(
    /// Where the profile is in the registry's review workflow.
    RegistryState {
        Draft = "draft",
        Submitted = "submitted",
        Published = "published",
        Archived = "archived",
    }
);

string_enum!(
    /// What kind of organisation a member is.
    MemberKind { Umc = "umc", Hospital = "hospital", Practice = "practice", Organisation = "organisation" }
);

string_enum!(
    /// How a network is connected to another.
    LinkKind {
        HospitalNetwork = "hospital_network",
        GpCollaboration = "gp_collaboration",
        RegionalNetwork = "regional_network",
        Rehabilitation = "rehabilitation",
        Other = "other",
    }
);

string_enum!(
    /// The role of a contact person.
    ContactRole { Coordinator = "coordinator", Chair = "chair", Secretary = "secretary", General = "general" }
);

/// Limits on free text and list sizes, so one profile stays a reasonable document.
pub mod limits {
    pub const NAME: usize = 200;
    pub const DESCRIPTION: usize = 5_000;
    pub const NOTE: usize = 1_000;
    pub const URL: usize = 2_048;
    pub const LIST: usize = 100;
    pub const MEMBERS: usize = 1_000;
    pub const AREA_CODES: usize = 5_000;
    pub const CIRCLE_RADIUS_KM: f64 = 100.0;
    /// Smallest circle radius: 100 m (a smaller one encloses next to nothing).
    pub const CIRCLE_MIN_RADIUS_KM: f64 = 0.1;
}

/// A trimmed, non-empty text of at most `max` characters without control characters.
pub fn parse_text(value: &str, max: usize) -> Result<String, InvalidValue> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(InvalidValue::new("empty", "must not be empty"));
    }
    let chars = trimmed.chars().count();
    if chars > max {
        return Err(InvalidValue::new(
            "too_long",
            format!("must be at most {max} characters (got {chars})"),
        ));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(InvalidValue::new(
            "control_character",
            "must not contain control characters",
        ));
    }
    Ok(trimmed.to_owned())
}

/// Like [`parse_text`], but an empty or absent text becomes `None`.
pub fn parse_optional_text(
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, InvalidValue> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => parse_text(v, max).map(Some),
    }
}

/// A public `http(s)` web address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Website(String);

impl Website {
    pub fn parse(value: &str) -> Result<Self, InvalidValue> {
        let value = value.trim();
        if value.len() > limits::URL {
            return Err(InvalidValue::new(
                "too_long",
                format!("must be at most {} characters", limits::URL),
            ));
        }
        let url = url::Url::parse(value)
            .map_err(|e| InvalidValue::new("invalid_url", format!("not a valid URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(InvalidValue::new(
                "invalid_url",
                "must be an http or https URL",
            ));
        }
        match url.host_str() {
            Some(host) if host.contains('.') || host == "localhost" => {}
            _ => return Err(InvalidValue::new("invalid_url", "must name a host")),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(InvalidValue::new(
                "invalid_url",
                "must not contain credentials",
            ));
        }
        // The address is kept as the URL parser writes it, with anything beyond ASCII
        // percent-encoded (or, in a host, punycoded): that form, too, must keep to the limit,
        // or a stored profile would fail its own check when it comes back (an export
        // re-imported, a PATCH of another field).
        let normalised = url.to_string();
        if normalised.len() > limits::URL {
            return Err(InvalidValue::new(
                "too_long",
                format!(
                    "must be at most {} characters once characters beyond ASCII are percent-encoded (it has {})",
                    limits::URL,
                    normalised.len()
                ),
            ));
        }
        Ok(Self(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address (syntax check only: `local@domain.tld`, at most 254 characters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(value: &str) -> Result<Self, InvalidValue> {
        let value = value.trim();
        let invalid = || InvalidValue::new("invalid_email", "not a valid e-mail address");
        if value.len() > 254 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = value.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            });
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A telephone number: digits with optional `+`, spaces, dashes and parentheses; 6–15 digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    pub fn parse(value: &str) -> Result<Self, InvalidValue> {
        let value = value.trim();
        let allowed = value.chars().enumerate().all(|(i, c)| {
            c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')') || (c == '+' && i == 0)
        });
        let digits = value.chars().filter(char::is_ascii_digit).count();
        if !allowed || !(6..=15).contains(&digits) {
            return Err(InvalidValue::new(
                "invalid_phone",
                "not a valid phone number (6 to 15 digits, optional leading +)",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn parse_digits(value: &str, len: usize, what: &str) -> Result<String, InvalidValue> {
    let value = value.trim();
    if value.len() == len && value.chars().all(|c| c.is_ascii_digit()) {
        Ok(value.to_owned())
    } else {
        Err(InvalidValue::new(
            "invalid_format",
            format!("{what} must be exactly {len} digits"),
        ))
    }
}

/// A Vektis AGB code (8 digits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Agb(String);

impl Agb {
    pub fn parse(value: &str) -> Result<Self, InvalidValue> {
        parse_digits(value, 8, "an AGB code").map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A Chamber of Commerce (KvK) number (8 digits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Kvk(String);

impl Kvk {
    pub fn parse(value: &str) -> Result<Self, InvalidValue> {
        parse_digits(value, 8, "a KvK number").map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The key a network has in the system it was imported from (`ROS-NOORD-017`, a row number):
/// 1–100 characters, no control characters, trimmed. Unique per ROS, so importing the same
/// source again updates its networks instead of copying them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ExternalId(String);

impl ExternalId {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(value: &str) -> Result<Self, InvalidValue> {
        let value = value.trim();
        if value.is_empty() {
            return Err(InvalidValue::new("required", "must not be empty"));
        }
        if value.chars().count() > Self::MAX_CHARS {
            return Err(InvalidValue::new(
                "too_long",
                format!("must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        if value.chars().any(char::is_control) {
            return Err(InvalidValue::new(
                "invalid_character",
                "must not contain control characters",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The code of a ROS organisation (`proscoop`, `ros-friesland`): lowercase letters, digits,
/// `-` and `_`, 2–64 characters. Matched against the `org` claim of an adviser's token.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrgCode(String);

impl OrgCode {
    pub fn parse(value: &str) -> Result<Self, InvalidValue> {
        let value = value.trim();
        let ok = (2..=64).contains(&value.len())
            && value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
            && value
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric());
        if ok {
            Ok(Self(value.to_owned()))
        } else {
            Err(InvalidValue::new(
                "invalid_format",
                "must be 2–64 lowercase letters, digits, '-' or '_'",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A WGS84 position in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
}

/// A latitude in degrees (WGS84), -90 to 90.
pub fn parse_latitude(lat: f64) -> Result<f64, InvalidValue> {
    if lat.is_finite() && (-90.0..=90.0).contains(&lat) {
        Ok(lat)
    } else {
        Err(InvalidValue::new(
            "out_of_range",
            "latitude must be between -90 and 90",
        ))
    }
}

/// A longitude in degrees (WGS84), -180 to 180.
pub fn parse_longitude(lon: f64) -> Result<f64, InvalidValue> {
    if lon.is_finite() && (-180.0..=180.0).contains(&lon) {
        Ok(lon)
    } else {
        Err(InvalidValue::new(
            "out_of_range",
            "longitude must be between -180 and 180",
        ))
    }
}

impl GeoPoint {
    pub fn parse(lat: f64, lon: f64) -> Result<Self, InvalidValue> {
        Ok(Self {
            lat: parse_latitude(lat)?,
            lon: parse_longitude(lon)?,
        })
    }
}

/// A vocabulary code checked against its vocabulary.
pub fn parse_code(vocabulary: &Vocabulary, value: &str) -> Result<String, InvalidValue> {
    if vocabulary.contains(value) {
        Ok(value.to_owned())
    } else {
        Err(InvalidValue::new(
            "unknown_code",
            format!(
                "`{value}` is not in the {} vocabulary (see GET /v1/vocabularies)",
                vocabulary.kind.as_str()
            ),
        ))
    }
}

/// Description in Dutch and English; either may be absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalizedText {
    pub nl: Option<String>,
    pub en: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Financing {
    pub form: String,
    pub funder: Option<String>,
    /// The funder by its register code (a health insurer's UZOVI code, a municipality's CBS
    /// code), when there is a register; `funder` keeps the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funder_id: Option<self::programme::FunderId>,
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub role: ContactRole,
    pub name: String,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    /// Only public contacts are shown to the public (GDPR/AVG).
    pub public: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub name: String,
    pub kind: MemberKind,
    pub discipline: Option<String>,
    pub agb: Option<Agb>,
    pub kvk: Option<Kvk>,
    pub location: Option<GeoPoint>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    /// Listed in the Verwijsgids Kanker (LOPPSOZ criterion 2).
    #[serde(default)]
    pub in_verwijsgids: bool,
    /// Regional networks' members: what they do per tumour type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<self::programme::MemberRoles>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub network_id: Uuid,
    pub kind: LinkKind,
}

/// A circle of `radius_km` around a WGS84 point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Circle {
    pub lat: f64,
    pub lon: f64,
    pub radius_km: f64,
}

impl Circle {
    pub fn parse(lat: f64, lon: f64, radius_km: f64) -> Result<Self, InvalidValue> {
        let p = GeoPoint::parse(lat, lon)?;
        Ok(Self {
            lat: p.lat,
            lon: p.lon,
            radius_km: Self::parse_radius(radius_km)?,
        })
    }

    /// A circle's radius in km: [`limits::CIRCLE_MIN_RADIUS_KM`] to
    /// [`limits::CIRCLE_RADIUS_KM`].
    pub fn parse_radius(radius_km: f64) -> Result<f64, InvalidValue> {
        if (limits::CIRCLE_MIN_RADIUS_KM..=limits::CIRCLE_RADIUS_KM).contains(&radius_km) {
            Ok(radius_km)
        } else {
            Err(InvalidValue::new(
                "out_of_range",
                format!(
                    "radius_km must be at least {} and at most {}",
                    limits::CIRCLE_MIN_RADIUS_KM,
                    limits::CIRCLE_RADIUS_KM
                ),
            ))
        }
    }
}

/// The service area as the editor gave it; the registry derives one MultiPolygon from it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceArea {
    /// CBS municipality codes (`GM0014`).
    #[serde(default)]
    pub municipalities: Vec<String>,
    /// Four-digit postcode areas (`9711`).
    #[serde(default)]
    pub postcodes: Vec<String>,
    /// A GeoJSON Polygon or MultiPolygon (WGS84), checked by `onconet_spatial`.
    #[serde(default)]
    pub geometry: Option<serde_json::Value>,
    #[serde(default)]
    pub circles: Vec<Circle>,
}

impl ServiceArea {
    pub fn is_empty(&self) -> bool {
        self.municipalities.is_empty()
            && self.postcodes.is_empty()
            && self.geometry.is_none()
            && self.circles.is_empty()
    }
}

/// A CBS municipality code, `GM` and four digits.
pub fn parse_municipality_code(value: &str) -> Result<String, InvalidValue> {
    let v = value.trim().to_ascii_uppercase();
    if v.len() == 6 && v.starts_with("GM") && v[2..].chars().all(|c| c.is_ascii_digit()) {
        Ok(v)
    } else {
        Err(InvalidValue::new(
            "invalid_format",
            format!("`{value}` is not a CBS municipality code (GM followed by 4 digits)"),
        ))
    }
}

/// A four-digit Dutch postcode area (PC4), 1000–9999.
pub fn parse_pc4(value: &str) -> Result<String, InvalidValue> {
    let v = value.trim();
    if v.len() == 4 && v.chars().all(|c| c.is_ascii_digit()) && !v.starts_with('0') {
        Ok(v.to_owned())
    } else {
        Err(InvalidValue::new(
            "invalid_format",
            format!("`{value}` is not a four-digit postcode area (1000–9999)"),
        ))
    }
}

/// The LOPPSOZ criteria that IKNL attests because no data decides them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualityAttestation {
    /// (3) an agreed minimum participation of members.
    pub minimum_participation: Option<bool>,
    /// (4) a written vision.
    pub written_vision: Option<bool>,
    /// (5) the network is non-profit.
    pub non_profit: Option<bool>,
    /// When the attestation was last assessed.
    pub assessed_at: Option<DateTime<Utc>>,
}

/// A complete, valid network profile: everything an editor sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkProfile {
    pub name: String,
    /// The key in the source system (see [`ExternalId`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<ExternalId>,
    #[serde(rename = "type")]
    pub network_type: NetworkType,
    pub scale: Scale,
    pub parent_id: Option<Uuid>,
    pub lifecycle: Lifecycle,
    pub description: LocalizedText,
    pub website: Option<Website>,
    pub disciplines: Vec<String>,
    pub tumour_types: Vec<String>,
    pub financing: Vec<Financing>,
    pub contacts: Vec<Contact>,
    pub members: Vec<Member>,
    pub links: Vec<Link>,
    pub ros_org: Option<OrgCode>,
    pub service_area: ServiceArea,
    pub quality: QualityAttestation,
    /// What the programme's documents ask of a profile (by network type).
    #[serde(flatten)]
    pub programme: self::programme::Programme,
}

impl NetworkProfile {
    /// Checks the rules that span several fields and normalises code lists (sorted, unique).
    ///
    /// `self_id` is the id of the network being edited (absent on create), so it cannot be
    /// its own parent or link to itself.
    pub fn check(
        mut self,
        self_id: Option<Uuid>,
        vocabularies: &Vocabularies,
    ) -> Result<Self, Vec<crate::FieldError>> {
        let mut errors = FieldErrors::new();
        normalise_codes(
            &mut self.disciplines,
            &vocabularies.disciplines,
            "disciplines",
            &mut errors,
        );
        normalise_codes(
            &mut self.tumour_types,
            &vocabularies.tumour_types,
            "tumour_types",
            &mut errors,
        );
        if self.network_type.requires_tumour_types() && self.tumour_types.is_empty() {
            errors.add_at(
                "tumour_types",
                "required",
                format!(
                    "a network of type {} must name at least one tumour type",
                    self.network_type
                ),
            );
        }
        if let (Some(parent), Some(id)) = (self.parent_id, self_id)
            && parent == id
        {
            errors.add_at(
                "parent_id",
                "self_reference",
                "a network cannot be its own parent",
            );
        }
        errors.in_key("links", |errors| {
            let mut seen = std::collections::HashSet::new();
            for (i, link) in self.links.iter().enumerate() {
                if Some(link.network_id) == self_id {
                    errors.in_index(i, |e| {
                        e.add_at(
                            "network_id",
                            "self_reference",
                            "a network cannot link to itself",
                        )
                    });
                } else if !seen.insert((link.network_id, link.kind)) {
                    errors.in_index(i, |e| e.add("duplicate", "this link is listed twice"));
                }
            }
        });
        errors.in_key("financing", |errors| {
            for (i, f) in self.financing.iter().enumerate() {
                if let (Some(since), Some(until)) = (f.since, f.until)
                    && since > until
                {
                    errors.in_index(i, |e| {
                        e.add_at("until", "before_start", "must not be before `since`")
                    });
                }
            }
        });
        errors.in_key("contacts", |errors| {
            for (i, c) in self.contacts.iter().enumerate() {
                if c.email.is_none() && c.phone.is_none() {
                    errors.in_index(i, |e| {
                        e.add(
                            "unreachable",
                            "a contact needs an email address or a phone number",
                        )
                    });
                }
            }
        });
        let with_roles = self::programme::members_have_roles(self.network_type);
        let network_type = self.network_type;
        errors.in_key("members", |errors| {
            for (i, m) in self.members.iter_mut().enumerate() {
                errors.in_index(i, |e| {
                    if let (Some(from), Some(to)) = (m.valid_from, m.valid_to)
                        && from > to
                    {
                        e.add_at(
                            "valid_to",
                            "before_start",
                            "must not be before `valid_from`",
                        );
                    }
                    if !m.roles.is_empty() && !with_roles {
                        e.add_at(
                            "roles",
                            "not_applicable",
                            format!(
                                "roles per tumour type are for members of regional oncology networks and tumour groups, not of a {network_type}"
                            ),
                        );
                    }
                    e.in_key("roles", |e| {
                        let mut seen = std::collections::HashSet::new();
                        for (j, r) in m.roles.iter_mut().enumerate() {
                            e.in_index(j, |e| {
                                if let Err(x) = parse_code(&vocabularies.tumour_types, &r.tumour_type) {
                                    e.add_at("tumour_type", x.code, x.message);
                                } else if !seen.insert(r.tumour_type.clone()) {
                                    e.add_at(
                                        "tumour_type",
                                        "duplicate",
                                        "this tumour type is listed twice for the member",
                                    );
                                }
                                r.roles.sort();
                                r.roles.dedup();
                                if r.roles.is_empty() {
                                    e.add_at(
                                        "roles",
                                        "empty",
                                        "name at least one role: triage, diagnosis, treatment or follow_up",
                                    );
                                }
                            });
                        }
                    });
                });
            }
        });
        for (key, allowed) in self::programme::applicable(self.network_type) {
            if !allowed && self.programme.has(key) {
                errors.add_at(
                    key,
                    "not_applicable",
                    format!("a {} does not have `{key}`", self.network_type),
                );
            }
        }
        errors.in_key("partners", |errors| {
            let mut seen = std::collections::HashSet::new();
            for (i, p) in self.programme.partners.iter().enumerate() {
                errors.in_index(i, |e| {
                    if p.agb.is_none() && p.kvk.is_none() {
                        e.add("unidentified", "a partner needs its AGB code or KvK number");
                    }
                    if !seen.insert((p.name.to_lowercase(), p.kind)) {
                        e.add("duplicate", "this partner is listed twice");
                    }
                });
            }
        });
        errors.finish(|| self)
    }

    /// The profile as the public may see it: non-public contacts removed.
    pub fn public_view(&self) -> NetworkProfile {
        let mut out = self.clone();
        out.contacts.retain(|c| c.public);
        out
    }
}

fn normalise_codes(
    codes: &mut Vec<String>,
    vocabulary: &Vocabulary,
    key: &str,
    errors: &mut FieldErrors,
) {
    errors.in_key(key, |errors| {
        for (i, code) in codes.iter().enumerate() {
            if let Err(e) = parse_code(vocabulary, code) {
                errors.in_index(i, |errors| errors.add(e.code, e.message));
            }
        }
    });
    codes.sort();
    codes.dedup();
}

/// A stored network: the profile plus what the registry keeps about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    pub id: Uuid,
    pub profile: NetworkProfile,
    pub state: RegistryState,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_verified_at: Option<DateTime<Utc>>,
    pub demo: bool,
    /// The service area derived from `profile.service_area` (a GeoJSON MultiPolygon).
    pub area: Option<serde_json::Value>,
    /// Its geodesic size.
    pub area_km2: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> NetworkProfile {
        NetworkProfile {
            name: "Oncologienetwerk Test".into(),
            external_id: None,
            network_type: NetworkType::OncologyCareNetwork,
            scale: Scale::Local,
            parent_id: None,
            lifecycle: Lifecycle::Active,
            description: LocalizedText::default(),
            website: None,
            disciplines: vec!["psychology".into(), "dietetics".into(), "psychology".into()],
            tumour_types: vec![],
            financing: vec![],
            contacts: vec![],
            members: vec![],
            links: vec![],
            ros_org: None,
            service_area: ServiceArea::default(),
            quality: QualityAttestation::default(),
            programme: Default::default(),
        }
    }

    #[test]
    fn check_sorts_and_dedupes_codes() {
        let p = profile().check(None, &Vocabularies::builtin());
        assert_eq!(
            p.map(|p| p.disciplines),
            Ok(vec!["dietetics".to_owned(), "psychology".to_owned()])
        );
    }

    #[test]
    fn check_reports_every_broken_rule_with_its_path() {
        let mut p = profile();
        p.network_type = NetworkType::ExpertPanel;
        p.disciplines.push("astrology".into());
        let id = Uuid::new_v4();
        p.parent_id = Some(id);
        p.contacts.push(Contact {
            role: ContactRole::Chair,
            name: "A".into(),
            email: None,
            phone: None,
            public: true,
        });
        let errors = match p.check(Some(id), &Vocabularies::builtin()) {
            Ok(_) => panic!("accepted an invalid profile"),
            Err(e) => e,
        };
        let pointers: Vec<_> = errors.iter().map(|e| e.pointer()).collect();
        assert_eq!(
            pointers,
            [
                "/disciplines/3",
                "/tumour_types",
                "/parent_id",
                "/contacts/0"
            ]
        );
    }

    #[test]
    fn value_objects_refuse_bad_input() {
        assert!(Email::parse("a@b.nl").is_ok());
        assert_eq!(
            Email::parse("Jan@Example.NL").map(|e| e.0),
            Ok("Jan@example.nl".into())
        );
        for bad in ["", "a", "a@b", "@b.nl", "a b@c.nl", "a@-b.nl", "a@b..nl"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        assert!(Website::parse("https://www.example.nl/x").is_ok());
        for bad in [
            "ftp://x.nl",
            "example.nl",
            "https://",
            "javascript:alert(1)",
            "https://u:p@x.nl",
        ] {
            assert!(Website::parse(bad).is_err(), "{bad}");
        }
        // Found by the merge_patch fuzz target: under the limit as typed, over it once the
        // non-ASCII characters are percent-encoded; what is kept always parses again.
        let typed = format!("https://x.nl/{}", "é".repeat(1000));
        assert!(typed.len() <= limits::URL);
        let e = Website::parse(&typed).unwrap_err();
        assert_eq!(e.code, "too_long");
        let fits = format!("https://x.nl/{}", "é".repeat(300));
        let kept = Website::parse(&fits).unwrap();
        assert_eq!(Website::parse(kept.as_str()), Ok(kept.clone()));
        assert!(Phone::parse("+31 (0)50-123 4567").is_ok());
        for bad in ["12", "0501234567890123", "050+1234567", "call me"] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
        assert!(Agb::parse("12345678").is_ok());
        assert!(Agb::parse("1234567").is_err());
        assert!(Kvk::parse("1234567a").is_err());
        assert!(OrgCode::parse("proscoop").is_ok());
        assert_eq!(
            ExternalId::parse("  ROS-17 ").map(|e| e.0),
            Ok("ROS-17".into())
        );
        for bad in ["", "  ", "a\tb", &"x".repeat(101)] {
            assert!(ExternalId::parse(bad).is_err(), "{bad}");
        }
        assert!(OrgCode::parse("Pro Scoop").is_err());
        assert!(parse_text("  x  ", 5) == Ok("x".into()));
        assert!(parse_text("   ", 5).is_err());
        assert!(parse_text("abcdef", 5).is_err());
        assert!(parse_text("a\u{0}b", 5).is_err());
        assert_eq!(parse_municipality_code("gm0014"), Ok("GM0014".into()));
        assert!(parse_municipality_code("GM14").is_err());
        assert!(parse_pc4("0123").is_err());
        assert!(parse_pc4("9711").is_ok());
        assert!(Circle::parse(52.0, 5.0, 0.0).is_err());
        assert!(Circle::parse(52.0, 5.0, 5e-324).is_err());
        assert!(Circle::parse(52.0, 5.0, 0.1).is_ok());
        assert!(Circle::parse(52.0, 5.0, 101.0).is_err());
        assert!(Circle::parse(f64::NAN, 5.0, 10.0).is_err());
        assert!(GeoPoint::parse(91.0, 5.0).is_err());
    }

    #[test]
    fn public_view_hides_private_contacts() {
        let mut p = profile();
        for public in [true, false] {
            p.contacts.push(Contact {
                role: ContactRole::General,
                name: format!("public={public}"),
                email: Email::parse("x@y.nl").ok(),
                phone: None,
                public,
            });
        }
        let view = p.public_view();
        assert_eq!(view.contacts.len(), 1);
        assert!(view.contacts[0].public);
    }

    #[test]
    fn enums_round_trip_their_codes() {
        for t in NetworkType::ALL {
            assert_eq!(t.as_str().parse::<NetworkType>(), Ok(*t));
        }
        assert!("nope".parse::<Scale>().is_err());
    }
}
