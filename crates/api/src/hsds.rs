//! Open Referral HSDS 3 views of the registry: pure functions from published networks, as
//! the public sees them, to HSDS documents (the schemas of the specification's 3.2 branch,
//! kept with their licence in `tests/hsds/schema/`), and the HSDS page envelope.
//!
//! The mapping:
//!
//! - each published network is an **organization** (name, description, website, the e-mail of
//!   its first public contact with one; in full also its public contacts with their phones,
//!   its financing as `funding` and its located members as `locations`);
//! - it offers one **service**, the network's care coordination, whose `attributes` link it to
//!   taxonomy terms of the registry's vocabularies (network type, disciplines, tumour types);
//! - the derived service area is that service's **service_area**, its `extent` the GeoJSON
//!   MultiPolygon as a string (`extent_type` `geojson`);
//! - each member with coordinates is a **location** of the organization (its AGB code, else
//!   its KvK number, as the external identifier).
//!
//! Every id is a UUID v5 of the network id and the document's kind (and, for members and
//! contacts, their name), so it is the same on every call and on every instance. Only the
//! public view of a network is read: non-public contacts never reach a document.

use chrono::{DateTime, SecondsFormat, Utc};
use onconet_domain::{
    Contact, ContactRole, Lang, Lifecycle, Member, Network, Vocabularies, Vocabulary,
};
use serde::Serialize;
use std::collections::HashSet;
use std::sync::LazyLock;
use utoipa::ToSchema;
use uuid::Uuid;

/// The HSDS version whose schemas the documents follow.
pub const HSDS_VERSION: &str = "3.2";

/// The namespace of every HSDS id the registry makes.
static NAMESPACE: LazyLock<Uuid> =
    LazyLock::new(|| Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:onconet:hsds"));

/// The id of the document of `kind` (`organization`, `service`, `contact/…`) of `network`.
pub fn document_id(network: Uuid, kind: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, format!("{network}/{kind}").as_bytes())
}

/// The id of a registry-wide document (a taxonomy or one of its terms).
fn registry_id(kind: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, kind.as_bytes())
}

/// What every mapping needs besides the network.
pub struct View<'a> {
    pub vocabularies: &'a Vocabularies,
    /// The language of labels and of the description picked first.
    pub lang: Lang,
    /// The ids of all published networks: a parent outside them is not named.
    pub published: &'a HashSet<Uuid>,
}

/// How much of a document to show: the one-to-one fields (lists), or with its nested arrays
/// (single documents, and lists with `full=true`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    Basic,
    Full,
}

/// An HSDS `organization`: a published network.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HsdsOrganization {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    /// `urn:uuid:` and the network's registry id.
    pub uri: String,
    /// The parent network's organization, when that is published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_organization_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Vec<HsdsContact>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub funding: Option<Vec<HsdsFunding>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locations: Option<Vec<HsdsLocation>>,
}

/// An HSDS `service`: the care coordination a network offers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HsdsService {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `active`, or `inactive` for a network in formation or stopped.
    #[schema(example = "active")]
    pub status: &'static str,
    /// When the network last changed (RFC 3339, milliseconds).
    pub last_modified: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<Box<HsdsOrganization>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Vec<HsdsAttribute>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_areas: Option<Vec<HsdsServiceArea>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_at_locations: Option<Vec<HsdsServiceAtLocation>>,
}

/// An HSDS `service_area`: the network's derived service area.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HsdsServiceArea {
    pub id: Uuid,
    pub service_id: Uuid,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The area as a GeoJSON (RFC 7946) MultiPolygon, serialised as a string.
    pub extent: String,
    #[schema(example = "geojson")]
    pub extent_type: &'static str,
}

/// An HSDS `location`: a member of a network with coordinates.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HsdsLocation {
    pub id: Uuid,
    #[schema(example = "physical")]
    pub location_type: &'static str,
    pub organization_id: Uuid,
    pub name: String,
    pub description: String,
    pub latitude: f64,
    pub longitude: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_identifier: Option<String>,
    /// `AGB` or `KvK`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_identifier_type: Option<&'static str>,
}

/// An HSDS `contact`: a public contact of a network.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HsdsContact {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    /// The contact's role in the network.
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub phones: Vec<HsdsPhone>,
}

/// An HSDS `phone` of a contact.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HsdsPhone {
    pub id: Uuid,
    pub contact_id: Uuid,
    pub number: String,
    #[serde(rename = "type")]
    #[schema(example = "voice")]
    pub phone_type: &'static str,
}

/// An HSDS `funding`: one of the network's financing forms.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HsdsFunding {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub source: String,
}

/// An HSDS `attribute`: the service classified by a term of one of the registry's vocabularies.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HsdsAttribute {
    pub id: Uuid,
    pub link_id: Uuid,
    /// `network_type`, `discipline` or `tumour_type`.
    pub link_type: &'static str,
    pub link_entity: &'static str,
    pub taxonomy_term_id: Uuid,
    pub label: String,
    pub taxonomy_term: HsdsTaxonomyTerm,
}

/// An HSDS `taxonomy_term`: an entry of one of the registry's vocabularies.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HsdsTaxonomyTerm {
    pub id: Uuid,
    /// The vocabulary code.
    pub code: String,
    pub name: String,
    pub description: String,
    /// `onconet:` and the vocabulary (`onconet:disciplines`).
    pub taxonomy: String,
    pub taxonomy_id: Uuid,
    /// The language of `name` (ISO 639-1).
    pub language: &'static str,
}

/// An HSDS `service_at_location`: the service at one of the organization's locations.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HsdsServiceAtLocation {
    pub id: Uuid,
    pub service_id: Uuid,
    pub location_id: Uuid,
}

/// An HSDS page (the API reference's `Page` and its `contents`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HsdsPage<T: ToSchema> {
    /// Entities matching the filters, on all pages.
    pub total_items: i64,
    /// Number of pages (0 when nothing matches).
    pub total_pages: i64,
    /// This page, 1-based.
    pub page_number: i64,
    /// Entities on this page.
    pub size: i64,
    pub first_page: bool,
    pub last_page: bool,
    /// Whether this page has no entities.
    pub empty: bool,
    pub contents: Vec<T>,
}

/// Page `page` (1-based) of `items`, `per_page` to a page. A page past the last is empty.
pub fn page<T: ToSchema>(items: Vec<T>, page: i64, per_page: i64) -> HsdsPage<T> {
    let total_items = i64::try_from(items.len()).unwrap_or(i64::MAX);
    let per_page = per_page.max(1);
    let page = page.max(1);
    let total_pages = (total_items + per_page - 1) / per_page;
    let skip = usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX);
    let take = usize::try_from(per_page).unwrap_or(usize::MAX);
    let contents: Vec<T> = items.into_iter().skip(skip).take(take).collect();
    HsdsPage {
        total_items,
        total_pages,
        page_number: page,
        size: i64::try_from(contents.len()).unwrap_or(i64::MAX),
        first_page: page == 1,
        last_page: page >= total_pages,
        empty: contents.is_empty(),
        contents,
    }
}

/// Whether `text` (already lower-cased) is in the network's name or description.
pub fn matches_search(network: &Network, text: &str) -> bool {
    let p = &network.profile;
    [
        Some(&p.name),
        p.description.nl.as_ref(),
        p.description.en.as_ref(),
    ]
    .into_iter()
    .flatten()
    .any(|s| s.to_lowercase().contains(text))
}

/// The id of the taxonomy term for `code` of the vocabulary `taxonomy`.
pub fn taxonomy_term_id(taxonomy: &str, code: &str) -> Uuid {
    registry_id(&format!("taxonomy_term/{taxonomy}/{code}"))
}

/// The taxonomy term ids the service of `network` is linked to.
pub fn service_term_ids(network: &Network) -> Vec<Uuid> {
    terms(network)
        .map(|(taxonomy, _, code)| taxonomy_term_id(taxonomy, code))
        .collect()
}

/// The vocabulary terms of a network: (taxonomy, link type, code).
fn terms(network: &Network) -> impl Iterator<Item = (&'static str, &'static str, &str)> {
    let p = &network.profile;
    std::iter::once(("network_types", "network_type", p.network_type.as_str()))
        .chain(
            p.disciplines
                .iter()
                .map(|c| ("disciplines", "discipline", c.as_str())),
        )
        .chain(
            p.tumour_types
                .iter()
                .map(|c| ("tumour_types", "tumour_type", c.as_str())),
        )
}

impl View<'_> {
    fn vocabulary(&self, taxonomy: &str) -> &Vocabulary {
        match taxonomy {
            "disciplines" => &self.vocabularies.disciplines,
            "tumour_types" => &self.vocabularies.tumour_types,
            "financing_forms" => &self.vocabularies.financing_forms,
            _ => &self.vocabularies.network_types,
        }
    }

    /// The label of `code` in the view's language (the code itself when it has none).
    fn label(&self, taxonomy: &str, code: &str) -> String {
        self.vocabulary(taxonomy)
            .get(code)
            .map_or_else(|| code.to_owned(), |e| e.label(self.lang).to_owned())
    }

    /// The description in the view's language, else the other one, else the network type.
    fn description(&self, network: &Network) -> String {
        let d = &network.profile.description;
        let (first, second) = match self.lang {
            Lang::Nl => (&d.nl, &d.en),
            Lang::En => (&d.en, &d.nl),
        };
        first
            .as_deref()
            .or(second.as_deref())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map_or_else(
                || self.label("network_types", network.profile.network_type.as_str()),
                str::to_owned,
            )
    }

    pub fn organization(&self, network: &Network, detail: Detail) -> HsdsOrganization {
        let profile = network.profile.public_view();
        let id = document_id(network.id, "organization");
        let full = detail == Detail::Full;
        HsdsOrganization {
            id,
            name: profile.name.clone(),
            description: self.description(network),
            email: public_email(&profile.contacts),
            website: profile.website.as_ref().map(|w| w.as_str().to_owned()),
            uri: format!("urn:uuid:{}", network.id),
            parent_organization_id: profile
                .parent_id
                .filter(|p| self.published.contains(p))
                .map(|p| document_id(p, "organization")),
            contacts: full.then(|| self.contacts(network.id, id, &profile.contacts)),
            funding: full.then(|| {
                profile
                    .financing
                    .iter()
                    .enumerate()
                    .map(|(i, f)| {
                        let mut source = self.label("financing_forms", &f.form);
                        if let Some(funder) = f.funder.as_deref().filter(|s| !s.trim().is_empty()) {
                            source = format!("{source}: {}", funder.trim());
                        }
                        match (f.since, f.until) {
                            (Some(a), Some(b)) => source = format!("{source} ({a} – {b})"),
                            (Some(a), None) => source = format!("{source} ({a} –)"),
                            (None, Some(b)) => source = format!("{source} (– {b})"),
                            (None, None) => {}
                        }
                        HsdsFunding {
                            id: document_id(network.id, &format!("funding/{i}")),
                            organization_id: id,
                            source,
                        }
                    })
                    .collect()
            }),
            locations: full.then(|| self.locations(network)),
        }
    }

    fn contacts(
        &self,
        network: Uuid,
        organization: Uuid,
        contacts: &[Contact],
    ) -> Vec<HsdsContact> {
        contacts
            .iter()
            .filter(|c| c.public)
            .enumerate()
            .map(|(i, c)| {
                let id = document_id(network, &format!("contact/{i}/{}", c.name));
                HsdsContact {
                    id,
                    organization_id: organization,
                    name: c.name.clone(),
                    title: role_label(c.role, self.lang).to_owned(),
                    email: c
                        .email
                        .as_ref()
                        .map(|e| e.as_str().to_owned())
                        .filter(|e| e.is_ascii()),
                    phones: c
                        .phone
                        .iter()
                        .map(|p| HsdsPhone {
                            id: document_id(network, &format!("contact/{i}/{}/phone", c.name)),
                            contact_id: id,
                            number: p.as_str().to_owned(),
                            phone_type: "voice",
                        })
                        .collect(),
                }
            })
            .collect()
    }

    pub fn service(&self, network: &Network, detail: Detail) -> HsdsService {
        let profile = network.profile.public_view();
        let id = document_id(network.id, "service");
        let full = detail == Detail::Full;
        HsdsService {
            id,
            organization_id: document_id(network.id, "organization"),
            name: profile.name.clone(),
            description: self.description(network),
            url: profile.website.as_ref().map(|w| w.as_str().to_owned()),
            email: public_email(&profile.contacts),
            status: match profile.lifecycle {
                Lifecycle::Active => "active",
                Lifecycle::InFormation | Lifecycle::Inactive => "inactive",
            },
            last_modified: timestamp(network.updated_at),
            organization: full.then(|| Box::new(self.organization(network, Detail::Basic))),
            attributes: full.then(|| {
                terms(network)
                    .map(|(taxonomy, link_type, code)| {
                        let term = self.term(taxonomy, code);
                        HsdsAttribute {
                            id: document_id(network.id, &format!("attribute/{taxonomy}/{code}")),
                            link_id: id,
                            link_type,
                            link_entity: "service",
                            taxonomy_term_id: term.id,
                            label: term.name.clone(),
                            taxonomy_term: term,
                        }
                    })
                    .collect()
            }),
            service_areas: full.then(|| self.service_area(network).into_iter().collect()),
            service_at_locations: full.then(|| {
                located_members(network)
                    .map(|(key, _)| HsdsServiceAtLocation {
                        id: document_id(network.id, &format!("service_at_location/{key}")),
                        service_id: id,
                        location_id: document_id(network.id, &format!("location/{key}")),
                    })
                    .collect()
            }),
        }
    }

    fn term(&self, taxonomy: &'static str, code: &str) -> HsdsTaxonomyTerm {
        let entry = self.vocabulary(taxonomy).get(code);
        let name = self.label(taxonomy, code);
        let description = entry.map_or_else(
            || code.to_owned(),
            |e| match e.vektis_cod016 {
                Some(v) => format!("{} / {} (Vektis COD016 {v})", e.label_nl, e.label_en),
                None => format!("{} / {}", e.label_nl, e.label_en),
            },
        );
        HsdsTaxonomyTerm {
            id: taxonomy_term_id(taxonomy, code),
            code: code.to_owned(),
            name,
            description,
            taxonomy: format!("onconet:{taxonomy}"),
            taxonomy_id: registry_id(&format!("taxonomy/{taxonomy}")),
            language: self.lang.as_str(),
        }
    }

    /// The network's derived service area, if it has one.
    pub fn service_area(&self, network: &Network) -> Option<HsdsServiceArea> {
        let area = network.area.as_ref()?;
        let extent = serde_json::to_string(area).ok()?;
        let sa = &network.profile.service_area;
        let mut parts = Vec::new();
        if !sa.municipalities.is_empty() {
            parts.push(format!("municipalities {}", sa.municipalities.join(", ")));
        }
        if !sa.postcodes.is_empty() {
            parts.push(format!("postcodes {}", sa.postcodes.join(", ")));
        }
        if sa.geometry.is_some() {
            parts.push("a drawn area".to_owned());
        }
        if !sa.circles.is_empty() {
            parts.push(format!("{} circle(s)", sa.circles.len()));
        }
        let description = (!parts.is_empty()).then(|| {
            let mut text = format!("Derived from {}", parts.join("; "));
            if let Some(km2) = network.area_km2 {
                text.push_str(&format!("; {km2:.1} km²"));
            }
            text
        });
        Some(HsdsServiceArea {
            id: document_id(network.id, "service_area"),
            service_id: document_id(network.id, "service"),
            name: network.profile.name.clone(),
            description,
            extent,
            extent_type: "geojson",
        })
    }

    /// The network's members with coordinates.
    pub fn locations(&self, network: &Network) -> Vec<HsdsLocation> {
        let organization_id = document_id(network.id, "organization");
        located_members(network)
            .filter_map(|(key, m)| {
                let point = m.location.as_ref()?;
                let mut description = member_kind_label(m, self.lang).to_owned();
                if let Some(d) = &m.discipline {
                    description = format!("{description}, {}", self.label("disciplines", d));
                }
                let (external_identifier, external_identifier_type) =
                    match (m.agb.as_ref(), m.kvk.as_ref()) {
                        (Some(agb), _) => (Some(agb.as_str().to_owned()), Some("AGB")),
                        (None, Some(kvk)) => (Some(kvk.as_str().to_owned()), Some("KvK")),
                        (None, None) => (None, None),
                    };
                Some(HsdsLocation {
                    id: document_id(network.id, &format!("location/{key}")),
                    location_type: "physical",
                    organization_id,
                    name: m.name.clone(),
                    description,
                    latitude: point.lat,
                    longitude: point.lon,
                    external_identifier,
                    external_identifier_type,
                })
            })
            .collect()
    }
}

/// The members with coordinates, each with a key that names it within the network: its name
/// and how many members of that name came before it.
fn located_members(network: &Network) -> impl Iterator<Item = (String, &Member)> {
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    network
        .profile
        .members
        .iter()
        .map(move |m| {
            let n = seen.entry(m.name.as_str()).or_default();
            let key = format!("{}#{n}", m.name);
            *n += 1;
            (key, m)
        })
        .filter(|(_, m)| m.location.is_some())
}

/// The e-mail address of the first public contact with one (a general contact point first).
fn public_email(contacts: &[Contact]) -> Option<String> {
    let public = || contacts.iter().filter(|c| c.public);
    public()
        .filter(|c| c.role == ContactRole::General)
        .chain(public())
        .find_map(|c| c.email.as_ref())
        .map(|e| e.as_str().to_owned())
        // The schema's `email` format is ASCII; an internationalised address is left out.
        .filter(|e| e.is_ascii())
}

fn role_label(role: ContactRole, lang: Lang) -> &'static str {
    match (role, lang) {
        (ContactRole::Coordinator, Lang::Nl) => "Coördinator",
        (ContactRole::Coordinator, Lang::En) => "Coordinator",
        (ContactRole::Chair, Lang::Nl) => "Voorzitter",
        (ContactRole::Chair, Lang::En) => "Chair",
        (ContactRole::Secretary, Lang::Nl) => "Secretaris",
        (ContactRole::Secretary, Lang::En) => "Secretary",
        (ContactRole::General, Lang::Nl) => "Algemeen contactpunt",
        (ContactRole::General, Lang::En) => "General contact point",
    }
}

fn member_kind_label(member: &Member, lang: Lang) -> &'static str {
    use onconet_domain::MemberKind as K;
    match (member.kind, lang) {
        (K::Umc, Lang::Nl) => "Universitair medisch centrum",
        (K::Umc, Lang::En) => "University medical centre",
        (K::Hospital, Lang::Nl) => "Ziekenhuis",
        (K::Hospital, Lang::En) => "Hospital",
        (K::Practice, Lang::Nl) => "Praktijk",
        (K::Practice, Lang::En) => "Practice",
        (K::Organisation, Lang::Nl) => "Organisatie",
        (K::Organisation, Lang::En) => "Organisation",
    }
}

/// RFC 3339 in UTC with milliseconds, as HSDS asks of `last_modified`.
fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn network(profile: serde_json::Value) -> Network {
        let mut doc = json!({
            "name": "Netwerk", "type": "oncology_care_network", "scale": "local", "parent_id": null,
            "lifecycle": "active", "description": {"nl": null, "en": null}, "website": null,
            "disciplines": [], "tumour_types": [], "financing": [], "contacts": [], "members": [],
            "links": [], "ros_org": null, "service_area": {}, "quality": {}
        });
        if let (Some(base), Some(extra)) = (doc.as_object_mut(), profile.as_object()) {
            for (k, v) in extra {
                base.insert(k.clone(), v.clone());
            }
        }
        Network {
            id: Uuid::from_u128(7),
            profile: serde_json::from_value(doc).expect("profile"),
            state: onconet_domain::RegistryState::Published,
            version: 1,
            created_at: DateTime::<Utc>::UNIX_EPOCH,
            updated_at: DateTime::<Utc>::UNIX_EPOCH,
            last_verified_at: None,
            demo: false,
            area: Some(
                json!({"type": "MultiPolygon", "coordinates": [[[[6.5, 53.2], [6.6, 53.2], [6.6, 53.3], [6.5, 53.2]]]]}),
            ),
            area_km2: Some(12.34),
        }
    }

    fn with_view<T>(lang: Lang, published: &[Uuid], f: impl FnOnce(&View<'_>) -> T) -> T {
        let vocabularies = Vocabularies::builtin();
        let published: HashSet<Uuid> = published.iter().copied().collect();
        f(&View {
            vocabularies: &vocabularies,
            lang,
            published: &published,
        })
    }

    #[test]
    fn pages_count_from_one_and_past_the_end_are_empty() {
        let p = page((0..5).collect::<Vec<i32>>(), 2, 2);
        assert_eq!((p.total_items, p.total_pages, p.size), (5, 3, 2));
        assert_eq!(p.contents, vec![2, 3]);
        assert!(!p.first_page && !p.last_page && !p.empty);
        let last = page((0..5).collect::<Vec<i32>>(), 3, 2);
        assert_eq!(last.contents, vec![4]);
        assert!(last.last_page);
        let past = page((0..5).collect::<Vec<i32>>(), 9, 2);
        assert!(past.empty && past.last_page && past.contents.is_empty());
        let none = page(Vec::<i32>::new(), 1, 20);
        assert_eq!((none.total_pages, none.size), (0, 0));
        assert!(none.first_page && none.last_page && none.empty);
    }

    #[test]
    fn ids_are_stable_and_differ_by_kind_and_network() {
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        assert_eq!(
            document_id(a, "organization"),
            document_id(a, "organization")
        );
        assert_ne!(document_id(a, "organization"), document_id(a, "service"));
        assert_ne!(
            document_id(a, "organization"),
            document_id(b, "organization")
        );
        assert_ne!(document_id(a, "organization"), a);
        assert_eq!(document_id(a, "service").get_version_num(), 5);
    }

    #[test]
    fn only_public_contacts_show() {
        let n = network(json!({"contacts": [
            {"role": "chair", "name": "Geheim", "email": "geheim@example.nl", "phone": "+31 6 1234 5678", "public": false},
            {"role": "coordinator", "name": "Open", "email": "open@example.nl", "phone": "050 123 4567", "public": true},
        ]}));
        with_view(Lang::Nl, &[], |view| {
            let org = view.organization(&n, Detail::Full);
            let text = serde_json::to_string(&org).expect("json");
            assert!(
                !text.contains("Geheim")
                    && !text.contains("geheim@")
                    && !text.contains("1234 5678")
            );
            assert_eq!(org.email.as_deref(), Some("open@example.nl"));
            let contacts = org.contacts.expect("contacts");
            assert_eq!(contacts.len(), 1);
            assert_eq!(contacts[0].title, "Coördinator");
            assert_eq!(contacts[0].phones[0].number, "050 123 4567");
            let service = serde_json::to_string(&view.service(&n, Detail::Full)).expect("json");
            assert!(!service.contains("Geheim") && !service.contains("geheim@"));
        });
    }

    #[test]
    fn a_parent_is_named_only_when_published() {
        let parent = Uuid::from_u128(99);
        let n = network(json!({"parent_id": parent}));
        with_view(Lang::Nl, &[], |view| {
            assert_eq!(
                view.organization(&n, Detail::Basic).parent_organization_id,
                None
            );
        });
        with_view(Lang::Nl, &[parent], |view| {
            assert_eq!(
                view.organization(&n, Detail::Basic).parent_organization_id,
                Some(document_id(parent, "organization"))
            );
        });
    }

    #[test]
    fn descriptions_labels_and_status_follow_the_profile() {
        let n = network(
            json!({"lifecycle": "in_formation", "description": {"nl": null, "en": "English only"},
            "disciplines": ["physiotherapy"], "tumour_types": ["breast"]}),
        );
        with_view(Lang::Nl, &[], |view| {
            let s = view.service(&n, Detail::Full);
            assert_eq!(s.status, "inactive");
            assert_eq!(s.description, "English only");
            assert_eq!(s.last_modified, "1970-01-01T00:00:00.000Z");
            let attributes = s.attributes.expect("attributes");
            let codes: Vec<_> = attributes
                .iter()
                .map(|a| a.taxonomy_term.code.as_str())
                .collect();
            assert_eq!(codes, ["oncology_care_network", "physiotherapy", "breast"]);
            assert_eq!(attributes[1].label, "Fysiotherapie");
            assert!(attributes[1].taxonomy_term.description.contains("0400"));
            assert_eq!(service_term_ids(&n)[1], attributes[1].taxonomy_term_id);
            assert!(s.organization.expect("organization").contacts.is_none());
        });
        let bare = network(json!({}));
        with_view(Lang::En, &[], |view| {
            assert_eq!(
                view.organization(&bare, Detail::Basic).description,
                "Oncology care network"
            );
        });
    }

    #[test]
    fn service_area_and_locations() {
        let n = network(json!({
            "service_area": {"municipalities": ["GM0014"]},
            "members": [
                {"name": "Praktijk", "kind": "practice", "discipline": "dietetics", "agb": "01234567", "location": {"lat": 53.1, "lon": 6.1}},
                {"name": "Zonder plek", "kind": "hospital"},
                {"name": "Praktijk", "kind": "practice", "kvk": "12345678", "location": {"lat": 53.2, "lon": 6.2}}
            ]
        }));
        with_view(Lang::Nl, &[], |view| {
            let area = view.service_area(&n).expect("area");
            assert_eq!(area.extent_type, "geojson");
            let extent: serde_json::Value = serde_json::from_str(&area.extent).expect("GeoJSON");
            assert_eq!(extent["type"], "MultiPolygon");
            assert_eq!(area.service_id, document_id(n.id, "service"));
            assert!(
                area.description
                    .as_deref()
                    .is_some_and(|d| d.contains("GM0014"))
            );
            let locations = view.locations(&n);
            assert_eq!(locations.len(), 2);
            assert_ne!(
                locations[0].id, locations[1].id,
                "same name, different members"
            );
            assert_eq!(locations[0].description, "Praktijk, Diëtetiek");
            assert_eq!(locations[0].external_identifier_type, Some("AGB"));
            assert_eq!(locations[1].external_identifier_type, Some("KvK"));
            assert_eq!((locations[1].latitude, locations[1].longitude), (53.2, 6.2));
            let sal = view
                .service(&n, Detail::Full)
                .service_at_locations
                .expect("links");
            assert_eq!(
                sal.iter().map(|s| s.location_id).collect::<Vec<_>>(),
                locations.iter().map(|l| l.id).collect::<Vec<_>>()
            );
        });
        let mut no_area = n.clone();
        no_area.area = None;
        with_view(Lang::Nl, &[], |view| {
            assert!(view.service_area(&no_area).is_none())
        });
    }

    #[test]
    fn search_looks_in_name_and_both_descriptions() {
        let n = network(
            json!({"name": "Zorg Noord", "description": {"nl": "Eerstelijns", "en": "Primary care"}}),
        );
        assert!(matches_search(&n, "noord"));
        assert!(matches_search(&n, "eerstelijns"));
        assert!(matches_search(&n, "primary"));
        assert!(!matches_search(&n, "zuid"));
    }
}
