//! The network profile on the wire.

use crate::error::InvalidParam;
use chrono::{DateTime, NaiveDate, Utc};
use onconet_domain::programme::{
    CareRole, Consultation, ConsultationChannel, FunderId, FunderRegister, Mdo, MeetingFrequency,
    MemberRoles, Partner, Programme, parse_contact_point, parse_founded_on, parse_turnaround,
};
use onconet_domain::{
    Agb, Circle, Contact, ContactRole, Email, ExternalId, FieldErrors, Financing, GeoPoint, Kvk,
    Lifecycle, Link, LinkKind, LocalizedText, Member, MemberKind, Network, NetworkProfile,
    NetworkType, OrgCode, Phone, QualityAttestation, RegistryState, Scale, ServiceArea,
    Vocabularies, Website, limits, parse_latitude, parse_longitude, parse_municipality_code,
    parse_optional_text, parse_pc4, parse_text,
};
use onconet_registry::{CheckedProfile, ProfileDocument};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

/// Description in Dutch and English.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct DescriptionBody {
    /// Dutch text (at most 5,000 characters).
    #[validate(length(max = 5000))]
    #[serde(default)]
    pub nl: Option<String>,
    /// English text (at most 5,000 characters).
    #[validate(length(max = 5000))]
    #[serde(default)]
    pub en: Option<String>,
}

/// One source of the network's financing.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct FinancingBody {
    /// Code from the `financing_forms` vocabulary.
    #[schema(example = "municipality_grant")]
    pub form: String,
    /// Who pays (insurer, municipality, …).
    #[validate(length(max = 200))]
    #[serde(default)]
    pub funder: Option<String>,
    /// The funder by its register code, where a register exists (health insurers, municipalities).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funder_id: Option<FunderIdBody>,
    /// First day of the financing.
    #[serde(default)]
    pub since: Option<NaiveDate>,
    /// Last day, if it ends.
    #[serde(default)]
    pub until: Option<NaiveDate>,
    /// Anything else about it (conditions, amounts), at most 1,000 characters.
    #[validate(length(max = 1000))]
    #[serde(default)]
    pub note: Option<String>,
}

/// One source of the network's financing, as returned: the entry, and where the toolbox holds
/// the knowledge about its form.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
pub struct FinancingResponse {
    /// Code from the `financing_forms` vocabulary.
    #[schema(example = "insurer_contract")]
    pub form: String,
    /// Who pays (insurer, municipality, …).
    pub funder: Option<String>,
    /// The funder by its register code, where a register exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funder_id: Option<FunderIdBody>,
    /// First day of the financing.
    pub since: Option<NaiveDate>,
    /// Last day, if it ends.
    pub until: Option<NaiveDate>,
    /// Anything else about it (conditions, amounts).
    pub note: Option<String>,
    /// The toolbox items about this form of financing (guides, good practices, advice): the
    /// public toolbox list filtered by `financing_form`, which takes `q`, `per_page` and the
    /// other parameters of `GET /v1/toolbox` too. Set by the registry; not part of a write.
    #[schema(example = "/v1/toolbox?financing_form=insurer_contract")]
    pub toolbox: String,
}

/// The toolbox list of the items about financing form `form`.
pub fn toolbox_link(form: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("financing_form", form)
        .finish();
    format!("/v1/toolbox?{query}")
}

impl From<FinancingBody> for FinancingResponse {
    fn from(f: FinancingBody) -> Self {
        Self {
            toolbox: toolbox_link(&f.form),
            form: f.form,
            funder: f.funder,
            funder_id: f.funder_id,
            since: f.since,
            until: f.until,
            note: f.note,
        }
    }
}

/// A funder by its code in a register.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FunderIdBody {
    /// `uzovi` (a health insurer: its 4-digit UZOVI code in Vektis' register) or `cbs` (a
    /// municipality: its CBS code, `GM` and 4 digits).
    #[schema(schema_with = crate::dto::schema::funder_register)]
    pub register: FunderRegister,
    #[schema(example = "3311")]
    pub code: String,
}

/// How to consult an expert panel (expert panels only).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsultationBody {
    #[schema(schema_with = crate::dto::schema::consultation_channel)]
    pub channel: ConsultationChannel,
    /// Who or what to contact: a secretariat, a phone line, a mailbox (1–200 characters).
    #[schema(
        example = "Secretariaat expertpanel sarcomen, 050 361 0000",
        min_length = 1,
        max_length = 200,
        pattern = "\\S"
    )]
    pub contact_point: String,
    /// Expected working days until an answer, 1–60.
    #[schema(minimum = 1, maximum = 60, example = 5)]
    pub turnaround_days: i64,
    /// The referral form (http or https), when there is one.
    #[serde(default)]
    #[schema(example = "https://www.example.nl/verwijsformulier")]
    pub referral_form_url: Option<String>,
}

/// The joint multidisciplinary meeting (MDO) of a regional network or tumour group.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MdoBody {
    /// When it meets (1–200 characters).
    #[schema(
        example = "Elke dinsdag 16:00–17:30",
        min_length = 1,
        max_length = 200,
        pattern = "\\S"
    )]
    pub schedule: String,
    /// How a hospital submits a patient (1–1,000 characters).
    #[schema(
        example = "Aanmelden via het regionale MDO-formulier, uiterlijk vrijdag 12:00",
        min_length = 1,
        max_length = 1000,
        pattern = "\\S"
    )]
    pub how_to_submit: String,
    /// Where to submit, when online (http or https).
    #[serde(default)]
    pub submission_url: Option<String>,
}

/// An organisation the network works with that is not a network in the registry.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerBody {
    #[schema(
        example = "Revalidatiecentrum Beatrixoord",
        min_length = 1,
        max_length = 200,
        pattern = "\\S"
    )]
    pub name: String,
    #[schema(schema_with = crate::dto::schema::link_kind)]
    pub kind: LinkKind,
    /// Vektis AGB code (8 digits); an AGB code or a KvK number is required.
    #[serde(default)]
    #[schema(example = "05012345")]
    pub agb: Option<String>,
    /// Chamber of Commerce number (8 digits).
    #[serde(default)]
    #[schema(example = "12345678")]
    pub kvk: Option<String>,
}

/// A member's roles for one tumour type (members of regional networks and tumour groups).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberRolesBody {
    /// Code from the `tumour_types` vocabulary.
    #[schema(example = "breast")]
    pub tumour_type: String,
    /// At least one of `triage`, `diagnosis`, `treatment`, `follow_up`.
    #[schema(schema_with = crate::dto::schema::care_roles)]
    pub roles: Vec<CareRole>,
}

/// A contact person. Contacts that are not `public` are shown only to authorised users.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    #[schema(schema_with = crate::dto::schema::contact_role)]
    pub role: ContactRole,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    #[schema(example = "coordinator@example.nl")]
    #[serde(default)]
    pub email: Option<String>,
    #[schema(example = "+31 50 123 4567")]
    #[serde(default)]
    pub phone: Option<String>,
    /// Whether the public may see this contact (default false).
    #[serde(default)]
    pub public: bool,
}

/// A WGS84 position.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct LocationBody {
    /// Latitude, -90 to 90.
    #[schema(example = 53.2194)]
    pub lat: f64,
    /// Longitude, -180 to 180.
    #[schema(example = 6.5665)]
    pub lon: f64,
}

/// An organisation or practice taking part in the network.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct MemberBody {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    #[schema(schema_with = crate::dto::schema::member_kind)]
    pub kind: MemberKind,
    /// Code from the `disciplines` vocabulary.
    #[serde(default)]
    pub discipline: Option<String>,
    /// Vektis AGB code (8 digits).
    #[serde(default)]
    #[schema(example = "01234567")]
    pub agb: Option<String>,
    /// Chamber of Commerce number (8 digits).
    #[serde(default)]
    #[schema(example = "12345678")]
    pub kvk: Option<String>,
    #[validate(nested)]
    #[serde(default)]
    pub location: Option<LocationBody>,
    #[serde(default)]
    pub valid_from: Option<NaiveDate>,
    #[serde(default)]
    pub valid_to: Option<NaiveDate>,
    /// Listed in the Verwijsgids Kanker.
    #[serde(default)]
    pub in_verwijsgids: bool,
    /// What the member does per tumour type (members of regional oncology networks and tumour
    /// groups only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<MemberRolesBody>,
}

/// A connection to another network in the registry.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    pub network_id: Uuid,
    #[schema(schema_with = crate::dto::schema::link_kind)]
    pub kind: LinkKind,
}

/// A circle around a point.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CircleBody {
    /// Latitude of the centre, in the Netherlands' box (50.6 to 53.8).
    #[schema(example = 52.09)]
    pub lat: f64,
    /// Longitude of the centre, in the Netherlands' box (3.0 to 7.6).
    #[schema(example = 5.12)]
    pub lon: f64,
    /// Radius in kilometres, 0.1 to 100.
    #[schema(example = 15.0)]
    pub radius_km: f64,
}

/// The area a network serves, in any combination; the registry derives one MultiPolygon.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ServiceAreaBody {
    /// CBS municipality codes.
    #[serde(default)]
    #[validate(length(max = 5000))]
    #[schema(example = json!(["GM0014"]))]
    pub municipalities: Vec<String>,
    /// Four-digit postcode areas.
    #[serde(default)]
    #[validate(length(max = 5000))]
    #[schema(example = json!(["9711"]))]
    pub postcodes: Vec<String>,
    /// A GeoJSON (RFC 7946) Polygon or MultiPolygon in WGS84.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub geometry: Option<serde_json::Value>,
    #[serde(default)]
    #[validate(length(max = 100), nested)]
    pub circles: Vec<CircleBody>,
}

/// The LOPPSOZ criteria that IKNL attests (the others are computed from the profile). Only IKNL
/// staff and admins may set or change them; anyone else gets 403 unless they leave them as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QualityBody {
    /// Criterion 3: an agreed minimum participation.
    #[serde(default)]
    pub minimum_participation: Option<bool>,
    /// Criterion 4: a written vision.
    #[serde(default)]
    pub written_vision: Option<bool>,
    /// Criterion 5: non-profit.
    #[serde(default)]
    pub non_profit: Option<bool>,
    /// When these were assessed.
    #[serde(default)]
    pub assessed_at: Option<DateTime<Utc>>,
}

/// Declares the network profile twice from one field list: [`NetworkBody`] for requests
/// (unknown fields refused, `additionalProperties: false` in the schema) and [`NetworkFields`]
/// for responses, where the profile is flattened next to `id`, `state`, … .
///
/// One field, marked `=> ResponseType`, differs: a list whose entries the response enriches
/// with links the registry sets (`financing` and its toolbox links); its entries convert with
/// `From`.
macro_rules! network_profile {
    (
        $( $(#[$fm:meta])* pub $field:ident : $ty:ty ),* ;
        $(#[$xm:meta])* pub $xfield:ident : Vec<$bty:ty> => Vec<$rty:ty> ;
        $( $(#[$gm:meta])* pub $gfield:ident : $gty:ty ),* $(,)?
    ) => {
        /// A network profile: what an editor sends on create, and the result a merge patch must
        /// produce.
        #[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
        #[serde(deny_unknown_fields)]
        pub struct NetworkBody {
            $( $(#[$fm])* pub $field: $ty, )*
            $(#[$xm])* pub $xfield: Vec<$bty>,
            $( $(#[$gm])* pub $gfield: $gty ),*
        }

        /// The network profile as returned (the fields of [`NetworkBody`], financing entries
        /// with their toolbox links).
        #[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
        pub struct NetworkFields {
            $( $(#[$fm])* pub $field: $ty, )*
            $(#[$xm])* pub $xfield: Vec<$rty>,
            $( $(#[$gm])* pub $gfield: $gty ),*
        }

        impl From<NetworkBody> for NetworkFields {
            fn from(b: NetworkBody) -> Self {
                Self {
                    $( $field: b.$field, )*
                    $xfield: b.$xfield.into_iter().map(Into::into).collect(),
                    $( $gfield: b.$gfield ),*
                }
            }
        }
    };
}

network_profile! {
    /// Name of the network (1–200 characters).
    #[validate(length(min = 1, max = 200))]
    #[schema(example = "Oncologienetwerk Groningen-Stad", min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    /// The network's key in the system it was imported from (1–100 characters, unique per
    /// `ros_org`): importing the same source again updates the network instead of copying it.
    #[serde(default)]
    #[schema(example = "ROS-NOORD-017", min_length = 1, max_length = 100)]
    pub external_id: Option<String>,
    #[serde(rename = "type")]
    #[schema(schema_with = crate::dto::schema::network_type)]
    pub network_type: NetworkType,
    #[schema(schema_with = crate::dto::schema::scale)]
    pub scale: Scale,
    /// The larger network this one is part of.
    #[serde(default)]
    pub parent_id: Option<Uuid>,
    /// Defaults to `in_formation`.
    #[serde(default = "default_lifecycle")]
    #[schema(schema_with = crate::dto::schema::lifecycle)]
    pub lifecycle: Lifecycle,
    #[serde(default)]
    #[validate(nested)]
    pub description: DescriptionBody,
    /// Public web site (http or https).
    #[serde(default)]
    #[schema(example = "https://www.example.nl")]
    pub website: Option<String>,
    /// Codes from the `disciplines` vocabulary.
    #[serde(default)]
    #[validate(length(max = 100))]
    #[schema(example = json!(["physiotherapy", "dietetics", "psychology"]))]
    pub disciplines: Vec<String>,
    /// Codes from the `tumour_types` vocabulary (required for tumour groups and expert panels).
    #[serde(default)]
    #[validate(length(max = 100))]
    pub tumour_types: Vec<String>;
    #[serde(default)]
    #[validate(length(max = 100), nested)]
    pub financing: Vec<FinancingBody> => Vec<FinancingResponse>;
    #[serde(default)]
    #[validate(length(max = 100), nested)]
    pub contacts: Vec<ContactBody>,
    #[serde(default)]
    #[validate(length(max = 1000), nested)]
    pub members: Vec<MemberBody>,
    #[serde(default)]
    #[validate(length(max = 100))]
    pub links: Vec<LinkBody>,
    /// The supporting ROS organisation; its advisers may edit the network.
    #[serde(default)]
    #[schema(example = "proscoop")]
    pub ros_org: Option<String>,
    #[serde(default)]
    #[validate(nested)]
    pub service_area: ServiceAreaBody,
    #[serde(default)]
    pub quality: QualityBody,
    /// How to consult the panel (expert panels only).
    #[serde(default)]
    pub consultation: Option<ConsultationBody>,
    /// When the network was founded, not in the future (regional oncology networks and tumour
    /// groups only).
    #[serde(default)]
    pub founded_on: Option<NaiveDate>,
    /// How often it meets (regional oncology networks and tumour groups only).
    #[serde(default)]
    #[schema(schema_with = crate::dto::schema::meeting_frequency)]
    pub meeting_frequency: Option<MeetingFrequency>,
    /// Its joint MDO (regional oncology networks and tumour groups only).
    #[serde(default)]
    pub mdo: Option<MdoBody>,
    /// Partners that are not networks in the registry (a hospital, a GP collaboration, a
    /// rehabilitation centre), by name with AGB code or KvK number; registered networks go in
    /// `links`.
    #[serde(default)]
    #[validate(length(max = 100))]
    pub partners: Vec<PartnerBody>
}

fn default_lifecycle() -> Lifecycle {
    Lifecycle::InFormation
}

/// What a `validator` rule without its own message asks for, in words: "length must be at
/// most 200", "must be at least 1 and at most 10".
fn describe(e: &validator::ValidationError) -> String {
    let bound = |name: &str| e.params.get(name).map(ToString::to_string);
    let limits: Vec<String> = [
        ("min", "at least"),
        ("exclusive_min", "greater than"),
        ("max", "at most"),
        ("exclusive_max", "less than"),
        ("equal", "exactly"),
    ]
    .iter()
    .filter_map(|(name, words)| bound(name).map(|b| format!("{words} {b}")))
    .collect();
    let subject = if e.code == "length" {
        "length must be"
    } else {
        "must be"
    };
    if limits.is_empty() {
        format!("fails the `{}` rule", e.code)
    } else {
        format!("{subject} {}", limits.join(" and "))
    }
}

/// Renders `validator`'s nested errors as JSON pointers.
pub fn validation_params(errors: &ValidationErrors) -> Vec<InvalidParam> {
    fn walk(errors: &ValidationErrors, prefix: &str, out: &mut Vec<InvalidParam>) {
        for (field, kind) in errors.errors() {
            let path = format!("{prefix}/{field}");
            match kind {
                ValidationErrorsKind::Field(list) => {
                    for e in list {
                        let detail = e
                            .message
                            .as_ref()
                            .map(ToString::to_string)
                            .unwrap_or_else(|| describe(e));
                        let code = match e.code.as_ref() {
                            "length" => "invalid_length",
                            "range" => "out_of_range",
                            other => other,
                        };
                        out.push(InvalidParam::pointer(path.clone(), code, detail));
                    }
                }
                ValidationErrorsKind::Struct(inner) => walk(inner, &path, out),
                ValidationErrorsKind::List(items) => {
                    for (i, inner) in items {
                        walk(inner, &format!("{path}/{i}"), out);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(errors, "", &mut out);
    out.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    out
}

impl NetworkBody {
    /// Validates the shape (`validator`) and every domain rule, reporting all problems at once,
    /// each by JSON pointer; the service-area geometry comes back parsed, so a write reads it
    /// once. `max_vertices` bounds the size of a service-area polygon.
    pub fn into_checked(
        self,
        self_id: Option<Uuid>,
        vocabularies: &Vocabularies,
        max_vertices: usize,
    ) -> Result<CheckedProfile, Vec<InvalidParam>> {
        let mut shape = match self.validate() {
            Ok(()) => Vec::new(),
            Err(e) => validation_params(&e),
        };
        let (profile, geometry) = match self.parse(self_id, vocabularies, max_vertices) {
            Ok(p) => p,
            Err(errors) => {
                for e in errors.into_vec() {
                    let p = InvalidParam::from(e);
                    if !shape.iter().any(|s| s.pointer == p.pointer) {
                        shape.push(p);
                    }
                }
                return Err(shape);
            }
        };
        if !shape.is_empty() {
            return Err(shape);
        }
        let profile = profile.check(self_id, vocabularies).map_err(|errors| {
            errors
                .into_iter()
                .map(InvalidParam::from)
                .collect::<Vec<_>>()
        })?;
        Ok(CheckedProfile { profile, geometry })
    }

    fn parse(
        self,
        self_id: Option<Uuid>,
        v: &Vocabularies,
        max_vertices: usize,
    ) -> Result<(NetworkProfile, Option<geo::MultiPolygon<f64>>), FieldErrors> {
        let _ = self_id;
        let mut geometry = None;
        let mut e = FieldErrors::new();
        let name = e.check("name", parse_text(&self.name, limits::NAME));
        let description = e.in_key("description", |e| LocalizedText {
            nl: e
                .check(
                    "nl",
                    parse_optional_text(self.description.nl.as_deref(), limits::DESCRIPTION),
                )
                .flatten(),
            en: e
                .check(
                    "en",
                    parse_optional_text(self.description.en.as_deref(), limits::DESCRIPTION),
                )
                .flatten(),
        });
        for (key, codes, vocabulary) in [
            ("disciplines", &self.disciplines, &v.disciplines),
            ("tumour_types", &self.tumour_types, &v.tumour_types),
        ] {
            e.in_key(key, |e| {
                for (i, code) in codes.iter().enumerate() {
                    e.in_index(i, |e| {
                        e.check_here(onconet_domain::parse_code(vocabulary, code))
                    });
                }
            });
        }
        let website = match self.website.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(w) => e.check("website", Website::parse(w)),
        };
        let ros_org = match self.ros_org.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(o) => e.check("ros_org", OrgCode::parse(o)),
        };
        let external_id = match self.external_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(x) => e.check("external_id", ExternalId::parse(x)),
        };
        let financing = e.in_key("financing", |e| {
            let mut out = Vec::new();
            for (i, f) in self.financing.iter().enumerate() {
                e.in_index(i, |e| {
                    let form = e.check(
                        "form",
                        onconet_domain::parse_code(&v.financing_forms, &f.form),
                    );
                    let funder = e.check(
                        "funder",
                        parse_optional_text(f.funder.as_deref(), limits::NAME),
                    );
                    let note =
                        e.check("note", parse_optional_text(f.note.as_deref(), limits::NOTE));
                    let funder_id = match &f.funder_id {
                        None => Some(None),
                        Some(id) => e.in_key("funder_id", |e| {
                            e.check("code", FunderId::parse(id.register, &id.code))
                                .map(Some)
                        }),
                    };
                    if let (Some(form), Some(funder), Some(note), Some(funder_id)) =
                        (form, funder, note, funder_id)
                    {
                        out.push(Financing {
                            form,
                            funder,
                            funder_id,
                            since: f.since,
                            until: f.until,
                            note,
                        });
                    }
                });
            }
            out
        });
        let contacts = e.in_key("contacts", |e| {
            let mut out = Vec::new();
            for (i, c) in self.contacts.iter().enumerate() {
                e.in_index(i, |e| {
                    let name = e.check("name", parse_text(&c.name, limits::NAME));
                    let email = match c.email.as_deref().map(str::trim) {
                        None | Some("") => Some(None),
                        Some(v) => e.check("email", Email::parse(v)).map(Some),
                    };
                    let phone = match c.phone.as_deref().map(str::trim) {
                        None | Some("") => Some(None),
                        Some(v) => e.check("phone", Phone::parse(v)).map(Some),
                    };
                    if let (Some(name), Some(email), Some(phone)) = (name, email, phone) {
                        out.push(Contact {
                            role: c.role,
                            name,
                            email,
                            phone,
                            public: c.public,
                        });
                    }
                });
            }
            out
        });
        let members = e.in_key("members", |e| {
            let mut out = Vec::new();
            for (i, m) in self.members.iter().enumerate() {
                e.in_index(i, |e| {
                    let name = e.check("name", parse_text(&m.name, limits::NAME));
                    let discipline = match m.discipline.as_deref() {
                        None => Some(None),
                        Some(d) => e
                            .check("discipline", onconet_domain::parse_code(&v.disciplines, d))
                            .map(Some),
                    };
                    let agb = match m.agb.as_deref() {
                        None => Some(None),
                        Some(a) => e.check("agb", Agb::parse(a)).map(Some),
                    };
                    let kvk = match m.kvk.as_deref() {
                        None => Some(None),
                        Some(k) => e.check("kvk", Kvk::parse(k)).map(Some),
                    };
                    let location = match m.location {
                        None => Some(None),
                        Some(l) => e.in_key("location", |e| {
                            let lat = e.check("lat", parse_latitude(l.lat));
                            let lon = e.check("lon", parse_longitude(l.lon));
                            Some(Some(GeoPoint {
                                lat: lat?,
                                lon: lon?,
                            }))
                        }),
                    };
                    let roles = e.in_key("roles", |e| {
                        m.roles
                            .iter()
                            .enumerate()
                            .map(|(j, r)| {
                                e.in_index(j, |e| MemberRoles {
                                    tumour_type: e
                                        .check(
                                            "tumour_type",
                                            onconet_domain::parse_code(
                                                &v.tumour_types,
                                                &r.tumour_type,
                                            ),
                                        )
                                        .unwrap_or_default(),
                                    roles: r.roles.clone(),
                                })
                            })
                            .collect::<Vec<_>>()
                    });
                    if let (Some(name), Some(discipline), Some(agb), Some(kvk), Some(location)) =
                        (name, discipline, agb, kvk, location)
                    {
                        out.push(Member {
                            roles,
                            name,
                            kind: m.kind,
                            discipline,
                            agb,
                            kvk,
                            location,
                            valid_from: m.valid_from,
                            valid_to: m.valid_to,
                            in_verwijsgids: m.in_verwijsgids,
                        });
                    }
                });
            }
            out
        });
        let service_area = e.in_key("service_area", |e| {
            let a = &self.service_area;
            let municipalities = e.in_key("municipalities", |e| {
                a.municipalities
                    .iter()
                    .enumerate()
                    .filter_map(|(i, c)| {
                        e.in_index(i, |e| e.check_here(parse_municipality_code(c)))
                    })
                    .collect::<Vec<_>>()
            });
            let postcodes = e.in_key("postcodes", |e| {
                a.postcodes
                    .iter()
                    .enumerate()
                    .filter_map(|(i, c)| e.in_index(i, |e| e.check_here(parse_pc4(c))))
                    .collect::<Vec<_>>()
            });
            let circles = e.in_key("circles", |e| {
                a.circles
                    .iter()
                    .enumerate()
                    .filter_map(|(i, c)| {
                        e.in_index(i, |e| {
                            let lat = e.check("lat", parse_latitude(c.lat));
                            let lon = e.check("lon", parse_longitude(c.lon));
                            let radius_km = e.check("radius_km", Circle::parse_radius(c.radius_km));
                            let (lat, lon, radius_km) = (lat?, lon?, radius_km?);
                            if let Some(why) = onconet_spatial::outside_netherlands(lon, lat) {
                                e.add("outside_netherlands", format!("the centre {why}"));
                                return None;
                            }
                            Some(Circle { lat, lon, radius_km })
                        })
                    })
                    .collect::<Vec<_>>()
            });
            if let Some(g) = &a.geometry {
                e.in_key("geometry", |e| {
                    match onconet_spatial::validate::parse_service_area(g, max_vertices) {
                        Ok(parsed) => geometry = Some(parsed),
                        Err(errors) => {
                            for err in errors {
                                e.add(err.code(), err.to_string());
                            }
                        }
                    }
                });
            }
            let mut municipalities = municipalities;
            municipalities.sort();
            municipalities.dedup();
            let mut postcodes = postcodes;
            postcodes.sort();
            postcodes.dedup();
            ServiceArea {
                municipalities,
                postcodes,
                // Kept as given, but only the members that make the geometry: foreign members
                // (`crs`, `properties`, …) are dropped.
                geometry: a.geometry.as_ref().map(|g| {
                    serde_json::json!({"type": g.get("type").cloned().unwrap_or_default(), "coordinates": g.get("coordinates").cloned().unwrap_or_default()})
                }),
                circles,
            }
        });
        let quality = QualityAttestation {
            minimum_participation: self.quality.minimum_participation,
            written_vision: self.quality.written_vision,
            non_profit: self.quality.non_profit,
            assessed_at: self.quality.assessed_at,
        };
        let links = self
            .links
            .iter()
            .map(|l| Link {
                network_id: l.network_id,
                kind: l.kind,
            })
            .collect();
        let today = Utc::now().date_naive();
        let consultation = self.consultation.as_ref().and_then(|c| {
            e.in_key("consultation", |e| {
                let contact_point = e.check("contact_point", parse_contact_point(&c.contact_point));
                let turnaround_days =
                    e.check("turnaround_days", parse_turnaround(c.turnaround_days));
                let referral_form_url =
                    optional_url(e, "referral_form_url", c.referral_form_url.as_deref());
                Some(Consultation {
                    channel: c.channel,
                    contact_point: contact_point?,
                    turnaround_days: turnaround_days?,
                    referral_form_url: referral_form_url?,
                })
            })
        });
        let founded_on = self
            .founded_on
            .and_then(|d| e.check("founded_on", parse_founded_on(d, today)));
        let mdo = self.mdo.as_ref().and_then(|m| {
            e.in_key("mdo", |e| {
                let schedule = e.check("schedule", parse_text(&m.schedule, limits::NAME));
                let how_to_submit =
                    e.check("how_to_submit", parse_text(&m.how_to_submit, limits::NOTE));
                let submission_url = optional_url(e, "submission_url", m.submission_url.as_deref());
                Some(Mdo {
                    schedule: schedule?,
                    how_to_submit: how_to_submit?,
                    submission_url: submission_url?,
                })
            })
        });
        let partners = e.in_key("partners", |e| {
            self.partners
                .iter()
                .enumerate()
                .filter_map(|(i, p)| {
                    e.in_index(i, |e| {
                        let name = e.check("name", parse_text(&p.name, limits::NAME));
                        let agb = match p.agb.as_deref() {
                            None => Some(None),
                            Some(a) => e.check("agb", Agb::parse(a)).map(Some),
                        };
                        let kvk = match p.kvk.as_deref() {
                            None => Some(None),
                            Some(k) => e.check("kvk", Kvk::parse(k)).map(Some),
                        };
                        Some(Partner {
                            name: name?,
                            kind: p.kind,
                            agb: agb?,
                            kvk: kvk?,
                        })
                    })
                })
                .collect::<Vec<_>>()
        });
        let programme = Programme {
            consultation,
            founded_on,
            meeting_frequency: self.meeting_frequency,
            mdo,
            partners,
        };
        match name {
            Some(name) if e.is_empty() => Ok((
                NetworkProfile {
                    name,
                    external_id,
                    network_type: self.network_type,
                    scale: self.scale,
                    parent_id: self.parent_id,
                    lifecycle: self.lifecycle,
                    description,
                    website,
                    disciplines: self.disciplines,
                    tumour_types: self.tumour_types,
                    financing,
                    contacts,
                    members,
                    links,
                    ros_org,
                    service_area,
                    quality,
                    programme,
                },
                geometry,
            )),
            _ => Err(e),
        }
    }

    /// The profile as it goes out (and as a merge patch is applied to).
    pub fn from_profile(p: &NetworkProfile) -> Self {
        Self {
            name: p.name.clone(),
            external_id: p.external_id.as_ref().map(|x| x.as_str().to_owned()),
            network_type: p.network_type,
            scale: p.scale,
            parent_id: p.parent_id,
            lifecycle: p.lifecycle,
            description: DescriptionBody {
                nl: p.description.nl.clone(),
                en: p.description.en.clone(),
            },
            website: p.website.as_ref().map(|w| w.as_str().to_owned()),
            disciplines: p.disciplines.clone(),
            tumour_types: p.tumour_types.clone(),
            financing: p
                .financing
                .iter()
                .map(|f| FinancingBody {
                    form: f.form.clone(),
                    funder: f.funder.clone(),
                    funder_id: f.funder_id.as_ref().map(|id| FunderIdBody {
                        register: id.register,
                        code: id.code.clone(),
                    }),
                    since: f.since,
                    until: f.until,
                    note: f.note.clone(),
                })
                .collect(),
            contacts: p
                .contacts
                .iter()
                .map(|c| ContactBody {
                    role: c.role,
                    name: c.name.clone(),
                    email: c.email.as_ref().map(|e| e.as_str().to_owned()),
                    phone: c.phone.as_ref().map(|p| p.as_str().to_owned()),
                    public: c.public,
                })
                .collect(),
            members: p
                .members
                .iter()
                .map(|m| MemberBody {
                    name: m.name.clone(),
                    kind: m.kind,
                    discipline: m.discipline.clone(),
                    agb: m.agb.as_ref().map(|a| a.as_str().to_owned()),
                    kvk: m.kvk.as_ref().map(|k| k.as_str().to_owned()),
                    location: m.location.map(|l| LocationBody {
                        lat: l.lat,
                        lon: l.lon,
                    }),
                    valid_from: m.valid_from,
                    valid_to: m.valid_to,
                    in_verwijsgids: m.in_verwijsgids,
                    roles: m
                        .roles
                        .iter()
                        .map(|r| MemberRolesBody {
                            tumour_type: r.tumour_type.clone(),
                            roles: r.roles.clone(),
                        })
                        .collect(),
                })
                .collect(),
            links: p
                .links
                .iter()
                .map(|l| LinkBody {
                    network_id: l.network_id,
                    kind: l.kind,
                })
                .collect(),
            ros_org: p.ros_org.as_ref().map(|o| o.as_str().to_owned()),
            service_area: ServiceAreaBody {
                municipalities: p.service_area.municipalities.clone(),
                postcodes: p.service_area.postcodes.clone(),
                geometry: p.service_area.geometry.clone(),
                circles: p
                    .service_area
                    .circles
                    .iter()
                    .map(|c| CircleBody {
                        lat: c.lat,
                        lon: c.lon,
                        radius_km: c.radius_km,
                    })
                    .collect(),
            },
            quality: QualityBody {
                minimum_participation: p.quality.minimum_participation,
                written_vision: p.quality.written_vision,
                non_profit: p.quality.non_profit,
                assessed_at: p.quality.assessed_at,
            },
            consultation: p.programme.consultation.as_ref().map(|c| ConsultationBody {
                channel: c.channel,
                contact_point: c.contact_point.clone(),
                turnaround_days: i64::from(c.turnaround_days),
                referral_form_url: c.referral_form_url.as_ref().map(|u| u.as_str().to_owned()),
            }),
            founded_on: p.programme.founded_on,
            meeting_frequency: p.programme.meeting_frequency,
            mdo: p.programme.mdo.as_ref().map(|m| MdoBody {
                schedule: m.schedule.clone(),
                how_to_submit: m.how_to_submit.clone(),
                submission_url: m.submission_url.as_ref().map(|u| u.as_str().to_owned()),
            }),
            partners: p
                .programme
                .partners
                .iter()
                .map(|x| PartnerBody {
                    name: x.name.clone(),
                    kind: x.kind,
                    agb: x.agb.as_ref().map(|a| a.as_str().to_owned()),
                    kvk: x.kvk.as_ref().map(|k| k.as_str().to_owned()),
                })
                .collect(),
        }
    }
}

/// An optional web address at `key`: `Some(None)` when absent or blank, `None` when invalid
/// (the problem recorded).
fn optional_url(e: &mut FieldErrors, key: &str, value: Option<&str>) -> Option<Option<Website>> {
    match value.map(str::trim) {
        None | Some("") => Some(None),
        Some(u) => e.check(key, Website::parse(u)).map(Some),
    }
}

/// One LOPPSOZ criterion.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CriterionResponse {
    /// 1–10, as numbered in the LOPPSOZ framework.
    pub number: u8,
    #[schema(example = "disciplines")]
    pub key: String,
    /// Met, not met, or not known yet (`null`).
    pub met: Option<bool>,
    /// `computed` from the profile or `attested` by IKNL.
    #[schema(example = "computed")]
    pub source: String,
}

/// The LOPPSOZ checklist (oncology care networks only).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QualificationResponse {
    pub applicable: bool,
    /// All ten criteria met.
    pub qualified: bool,
    pub criteria: Vec<CriterionResponse>,
}

impl QualificationResponse {
    pub fn new(q: onconet_domain::quality::Qualification) -> Self {
        Self {
            applicable: q.applicable,
            qualified: q.qualified,
            criteria: q
                .criteria
                .into_iter()
                .map(|c| CriterionResponse {
                    number: c.number,
                    key: c.key.into(),
                    met: c.met,
                    source: match c.source {
                        onconet_domain::quality::Source::Computed => "computed".into(),
                        onconet_domain::quality::Source::Attested => "attested".into(),
                    },
                })
                .collect(),
        }
    }
}

/// The HTTP body is how the registry's use cases see a profile document: checked by
/// [`NetworkBody::into_checked`], shown and read back for merge patches.
impl ProfileDocument for NetworkBody {
    fn check(
        self,
        id: Uuid,
        vocabularies: &Vocabularies,
        max_vertices: usize,
    ) -> Result<CheckedProfile, Vec<onconet_registry::Invalid>> {
        self.into_checked(Some(id), vocabularies, max_vertices)
            .map_err(|errors| errors.into_iter().map(Into::into).collect())
    }

    fn document(profile: &NetworkProfile) -> serde_json::Value {
        serde_json::to_value(NetworkBody::from_profile(profile)).unwrap_or_default()
    }

    fn from_document(document: serde_json::Value) -> onconet_registry::Result<Self> {
        Ok(crate::extract::from_value(document)?)
    }

    fn ros_org(&self) -> Option<&str> {
        self.ros_org.as_deref()
    }

    fn set_ros_org(&mut self, org: Option<String>) {
        self.ros_org = org;
    }
}

/// The public documents of a published network as the search index keeps them (serialised
/// once): the whole profile, and its summary for widgets.
pub fn public_json(n: &Network) -> Option<onconet_registry::PublicViews> {
    Some(onconet_registry::PublicViews {
        full: serde_json::value::to_raw_value(&NetworkResponse::new(n, false)).ok()?,
        summary: serde_json::value::to_raw_value(&NetworkSummary::new(n)).ok()?,
    })
}

/// A network as a "find a network" widget shows it (`view=summary`): what a person needs to
/// choose and get in touch, nothing more.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NetworkSummary {
    pub id: Uuid,
    #[schema(example = "Oncologienetwerk Groningen-Stad")]
    pub name: String,
    #[serde(rename = "type")]
    #[schema(schema_with = crate::dto::schema::network_type)]
    pub network_type: NetworkType,
    /// Public web site.
    pub website: Option<String>,
    /// Codes from the `disciplines` vocabulary.
    pub disciplines: Vec<String>,
    /// Codes from the `tumour_types` vocabulary.
    pub tumour_types: Vec<String>,
    /// The public contacts only.
    pub contacts: Vec<ContactBody>,
}

impl NetworkSummary {
    pub fn new(n: &Network) -> Self {
        let p = &n.profile;
        Self {
            id: n.id,
            name: p.name.clone(),
            network_type: p.network_type,
            website: p.website.as_ref().map(|w| w.as_str().to_owned()),
            disciplines: p.disciplines.clone(),
            tumour_types: p.tumour_types.clone(),
            contacts: p
                .contacts
                .iter()
                .filter(|c| c.public)
                .map(|c| ContactBody {
                    role: c.role,
                    name: c.name.clone(),
                    email: c.email.as_ref().map(|e| e.as_str().to_owned()),
                    phone: c.phone.as_ref().map(|p| p.as_str().to_owned()),
                    public: true,
                })
                .collect(),
        }
    }
}

/// A network as the registry returns it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NetworkResponse {
    pub id: Uuid,
    #[serde(flatten)]
    pub profile: NetworkFields,
    #[schema(schema_with = crate::dto::schema::registry_state)]
    pub state: RegistryState,
    /// Increases with every change; the ETag is derived from it.
    pub version: i64,
    /// When the profile was last verified: on publication, or re-confirmed as it is with
    /// `POST /v1/networks/{id}/verify`.
    pub last_verified_at: Option<DateTime<Utc>>,
    /// Published, and not verified for 12 months: due for re-verification
    /// (`POST /v1/networks/{id}/verify`).
    pub verification_overdue: bool,
    /// The LOPPSOZ quality criteria and whether the network is qualified, now: criterion 7
    /// (an up-to-date website) needs a website and a verification within the last 12 months
    /// (`null`, not known yet, for a network never verified).
    pub qualification: QualificationResponse,
    /// Part of the clearly labelled demo data set.
    pub demo: bool,
    /// Size of the derived service area in km² (geodesic), when the network has one.
    pub area_km2: Option<f64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl NetworkResponse {
    /// `private` includes non-public contacts (for authorised users only).
    pub fn new(n: &Network, private: bool) -> Self {
        let now = Utc::now();
        let profile = if private {
            n.profile.clone()
        } else {
            n.profile.public_view()
        };
        Self {
            id: n.id,
            profile: NetworkBody::from_profile(&profile).into(),
            state: n.state,
            version: n.version,
            last_verified_at: n.last_verified_at,
            verification_overdue: onconet_domain::verification::is_due(
                n.state,
                n.last_verified_at,
                now,
            ),
            qualification: QualificationResponse::new(onconet_domain::quality::qualification_at(
                n, now,
            )),
            demo: n.demo,
            area_km2: n.area_km2.map(|a| (a * 1000.0).round() / 1000.0),
            created_at: n.created_at,
            updated_at: n.updated_at,
        }
    }
}

/// `POST /v1/networks/{id}/transitions`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    /// The state to move to.
    #[schema(schema_with = crate::dto::schema::registry_state)]
    pub to: RegistryState,
    /// Why (kept in the history; useful when sending back to draft). At most 1,000
    /// characters, no control characters but line breaks and tabs.
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /v1/networks/{id}/verify`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The evidence: how the profile was checked (kept in the history). At most 1,000
    /// characters, no control characters but line breaks and tabs.
    #[serde(default)]
    #[schema(example = "Checked with the coordinator by phone; website and contacts current")]
    pub note: Option<String>,
}

/// A municipality a previewed service area reaches.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReachedRegionResponse {
    #[schema(example = "GM0014")]
    pub code: String,
    #[schema(example = "Groningen")]
    pub name: String,
    /// Share of the region's area inside the service area, 0–1.
    pub share: f64,
    /// The region's population × `share`, rounded.
    pub population: i64,
}

/// What a profile would be if saved: its LOPPSOZ checklist, the size of its derived service
/// area and whom it reaches (the `properties` of the preview Feature).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NetworkPreviewProperties {
    /// The ROS the network would belong to (an adviser's own unless the body names it).
    pub ros_org: Option<String>,
    pub qualification: QualificationResponse,
    /// Size of the derived service area in km² (geodesic); `null` when it is empty.
    pub area_km2: Option<f64>,
    /// People living in the area: each municipality's population times the share of its area
    /// covered, summed and rounded; `null` when the area is empty or no municipality layer
    /// has been imported.
    pub population: Option<i64>,
    /// The municipalities the area reaches, by code.
    pub municipalities: Vec<ReachedRegionResponse>,
}

/// `POST /v1/networks/preview`: a GeoJSON Feature whose geometry is the derived service area
/// (`null` when empty).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NetworkPreviewResponse {
    /// Always `Feature`.
    #[schema(example = "Feature")]
    pub r#type: &'static str,
    /// A GeoJSON MultiPolygon, or `null`.
    #[schema(value_type = Option<Object>)]
    pub geometry: Option<serde_json::Value>,
    pub properties: NetworkPreviewProperties,
}

impl NetworkPreviewResponse {
    pub fn new(preview: onconet_registry::preview::Preview) -> Self {
        let area_km2 = preview
            .area
            .as_ref()
            .map(|a| (a.area_km2 * 1000.0).round() / 1000.0);
        let (population, municipalities) = match &preview.reach {
            Some(reach) => (
                Some(reach.population.round() as i64),
                reach
                    .regions
                    .iter()
                    .map(|r| ReachedRegionResponse {
                        code: r.code.clone(),
                        name: r.name.clone(),
                        share: (r.share * 10_000.0).round() / 10_000.0,
                        population: r.population.round() as i64,
                    })
                    .collect(),
            ),
            None => (None, Vec::new()),
        };
        Self {
            r#type: "Feature",
            geometry: preview.area.map(|a| a.geojson),
            properties: NetworkPreviewProperties {
                ros_org: preview
                    .profile
                    .ros_org
                    .as_ref()
                    .map(|o| o.as_str().to_owned()),
                qualification: QualificationResponse::new(onconet_domain::quality::qualification(
                    &preview.profile,
                    onconet_domain::verification::Verification::at(
                        preview.last_verified_at,
                        Utc::now(),
                    ),
                )),
                area_km2,
                population,
                municipalities,
            },
        }
    }
}
