//! The mapping: published networks (their public side) to mCSD Organization,
//! OrganizationAffiliation and Location resources.

use super::{CS_BASE, ResourceType, derived_id};
use base64::Engine;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use onconet_domain::{
    Contact, ContactRole, Lang, Lifecycle, Link, Member, Network, Vocabularies, Vocabulary,
};
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// The FHIR core extension mCSD uses for a Location's boundary.
pub const BOUNDARY_EXTENSION: &str =
    "http://hl7.org/fhir/StructureDefinition/location-boundary-geojson";
/// HL7 organization types.
const ORGANIZATION_TYPE: &str = "http://terminology.hl7.org/CodeSystem/organization-type";
/// HL7 organization roles (affiliation codes).
const ORGANIZATION_ROLE: &str = "http://hl7.org/fhir/organization-role";
const LOCATION_PHYSICAL_TYPE: &str = "http://terminology.hl7.org/CodeSystem/location-physical-type";
const CONTACT_ENTITY_TYPE: &str = "http://terminology.hl7.org/CodeSystem/contactentity-type";
/// AGB codes (Vektis) and KvK numbers, as the Dutch FHIR profiles (Nictiz) name them.
const AGB_SYSTEM: &str = "http://fhir.nl/fhir/NamingSystem/agb-z";
const KVK_SYSTEM: &str = "http://fhir.nl/fhir/NamingSystem/kvk";
/// Vektis COD016 (AGB specialisms), where a discipline has one.
const VEKTIS_COD016: &str = "urn:oid:2.16.840.1.113883.2.4.6.7";

/// One resource of the views, with what the search parameters look at.
#[derive(Debug, Clone)]
pub struct Resource {
    pub kind: ResourceType,
    pub id: String,
    /// The network it comes from (its version and update time are the resource's).
    pub network_id: Uuid,
    pub version: i64,
    pub last_updated: DateTime<Utc>,
    /// `name` (Organization, Location).
    pub name: Option<String>,
    /// `partof` (Organization): the parent's id.
    pub part_of: Option<String>,
    /// `primary-organization` (OrganizationAffiliation) or `organization` (Location).
    pub organization: Option<String>,
    /// `participating-organization` (OrganizationAffiliation).
    pub participating: Option<String>,
    /// The resource itself; a Location's boundary is added by [`with_boundary`].
    pub body: Value,
}

/// A FHIR instant: RFC 3339 in UTC with milliseconds.
pub fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn meta(kind: ResourceType, network: &Network) -> Value {
    let mut meta = json!({
        "versionId": network.version.to_string(),
        "lastUpdated": instant(network.updated_at),
        "profile": [kind.profile()],
    });
    if network.demo {
        meta["tag"] =
            json!([{"system": format!("{CS_BASE}/tag"), "code": "demo", "display": "Demo data"}]);
    }
    meta
}

fn reference(kind: ResourceType, id: &str) -> Value {
    json!({"reference": format!("{kind}/{id}")})
}

fn coding(system: &str, code: &str, display: Option<&str>) -> Value {
    let mut c = json!({"system": system, "code": code});
    if let Some(d) = display {
        c["display"] = Value::String(d.to_owned());
    }
    c
}

fn labelled(vocabulary: &Vocabulary, system: &str, code: &str) -> Value {
    let entry = vocabulary.get(code);
    let mut concept = json!({"coding": [coding(system, code, entry.map(|e| e.label(Lang::En)))]});
    if let Some(e) = entry {
        concept["text"] = Value::String(e.label(Lang::Nl).to_owned());
    }
    concept
}

/// What a member is known by within its network: its AGB code, else its KvK number, else its
/// name; a second member with the same key gets `#2`, and so on.
pub fn member_keys(members: &[Member]) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    members
        .iter()
        .map(|m| {
            let base = match (&m.agb, &m.kvk) {
                (Some(agb), _) => format!("agb:{}", agb.as_str()),
                (None, Some(kvk)) => format!("kvk:{}", kvk.as_str()),
                (None, None) => format!("name:{}", m.name.trim().to_lowercase()),
            };
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            if *n == 1 { base } else { format!("{base}#{n}") }
        })
        .collect()
}

pub fn member_organization_id(network: Uuid, key: &str) -> String {
    derived_id(network, &format!("member:{key}"))
}

pub fn membership_id(network: Uuid, key: &str) -> String {
    derived_id(network, &format!("membership:{key}"))
}

pub fn link_id(network: Uuid, link: &Link) -> String {
    derived_id(
        network,
        &format!("link:{}:{}", link.network_id, link.kind.as_str()),
    )
}

pub fn location_id(network: Uuid) -> String {
    derived_id(network, "location")
}

/// The ids of every resource a version of network `id` with these members, links and (or no)
/// area has, whichever other networks are published: for telling what a later version
/// removed.
pub fn ids_of_version(
    id: Uuid,
    members: &[Member],
    links: &[Link],
    has_area: bool,
) -> Vec<(ResourceType, String)> {
    let mut ids = vec![(ResourceType::Organization, id.to_string())];
    if has_area {
        ids.push((ResourceType::Location, location_id(id)));
    }
    for key in member_keys(members) {
        ids.push((ResourceType::Organization, member_organization_id(id, &key)));
        ids.push((
            ResourceType::OrganizationAffiliation,
            membership_id(id, &key),
        ));
    }
    for link in links {
        ids.push((ResourceType::OrganizationAffiliation, link_id(id, link)));
    }
    ids
}

fn contact(c: &Contact) -> Value {
    // HL7's contact entity types have no coordinator or chair: all are administrative
    // contacts, the role itself is the text.
    let role = match c.role {
        ContactRole::Coordinator => "Coordinator",
        ContactRole::Chair => "Chair",
        ContactRole::Secretary => "Secretary",
        ContactRole::General => "General contact",
    };
    let mut out = json!({
        "purpose": {"coding": [coding(CONTACT_ENTITY_TYPE, "ADMIN", Some("Administrative"))], "text": role},
        "name": {"text": c.name},
    });
    let mut telecom = Vec::new();
    if let Some(email) = &c.email {
        telecom.push(json!({"system": "email", "value": email.as_str(), "use": "work"}));
    }
    if let Some(phone) = &c.phone {
        telecom.push(json!({"system": "phone", "value": phone.as_str(), "use": "work"}));
    }
    if !telecom.is_empty() {
        out["telecom"] = Value::Array(telecom);
    }
    out
}

/// Whether a membership from `from` to `to` holds on `today`.
fn current(from: Option<NaiveDate>, to: Option<NaiveDate>, today: NaiveDate) -> bool {
    from.is_none_or(|f| f <= today) && to.is_none_or(|t| t >= today)
}

/// Every resource of the published `networks` (their public side), as of `today` (a
/// membership's `active`). A reference to a network that is not among them (a parent or a
/// link that is not published) is left out, so no reference dangles.
pub fn all_resources(
    networks: &[Network],
    vocabularies: &Vocabularies,
    today: NaiveDate,
) -> Vec<Resource> {
    let published: HashSet<Uuid> = networks.iter().map(|n| n.id).collect();
    let mut out = Vec::new();
    for n in networks {
        network_resources(n, &published, vocabularies, today, &mut out);
    }
    out
}

fn network_resources(
    n: &Network,
    published: &HashSet<Uuid>,
    vocabularies: &Vocabularies,
    today: NaiveDate,
    out: &mut Vec<Resource>,
) {
    let p = &n.profile;
    let org_id = n.id.to_string();
    let base = |kind: ResourceType, id: String, body: Value| Resource {
        kind,
        id,
        network_id: n.id,
        version: n.version,
        last_updated: n.updated_at,
        name: None,
        part_of: None,
        organization: None,
        participating: None,
        body,
    };

    // The network.
    let mut org = Map::new();
    org.insert("resourceType".into(), json!("Organization"));
    org.insert("id".into(), json!(org_id));
    org.insert("meta".into(), meta(ResourceType::Organization, n));
    org.insert(
        "identifier".into(),
        json!([{"system": "urn:ietf:rfc:3986", "value": format!("urn:uuid:{}", n.id)}]),
    );
    org.insert("active".into(), json!(p.lifecycle != Lifecycle::Inactive));
    org.insert(
        "type".into(),
        json!([
            {"coding": [coding(ORGANIZATION_TYPE, "other", Some("Other"))]},
            {"coding": [coding(&format!("{CS_BASE}/organization-kind"), "network", Some("Network"))]},
            labelled(&vocabularies.network_types, &format!("{CS_BASE}/network-type"), p.network_type.as_str()),
        ]),
    );
    org.insert("name".into(), json!(p.name));
    if let Some(w) = &p.website {
        org.insert(
            "telecom".into(),
            json!([{"system": "url", "value": w.as_str(), "use": "work"}]),
        );
    }
    let contacts: Vec<Value> = p
        .contacts
        .iter()
        .filter(|c| c.public)
        .map(contact)
        .collect();
    if !contacts.is_empty() {
        org.insert("contact".into(), Value::Array(contacts));
    }
    let parent = p.parent_id.filter(|id| published.contains(id));
    if let Some(parent) = parent {
        org.insert(
            "partOf".into(),
            reference(ResourceType::Organization, &parent.to_string()),
        );
    }
    let mut resource = base(
        ResourceType::Organization,
        org_id.clone(),
        Value::Object(org),
    );
    resource.name = Some(p.name.clone());
    resource.part_of = parent.map(|id| id.to_string());
    out.push(resource);

    // Its service area.
    if n.area_km2.is_some() {
        let id = location_id(n.id);
        let body = json!({
            "resourceType": "Location",
            "id": id,
            "meta": meta(ResourceType::Location, n),
            "status": if p.lifecycle == Lifecycle::Inactive { "inactive" } else { "active" },
            "name": p.name,
            "description": format!("Werkgebied (service area) van {}", p.name),
            "mode": "instance",
            "type": [{"coding": [coding(&format!("{CS_BASE}/location-type"), "service_area", Some("Service area"))]}],
            "physicalType": {"coding": [coding(LOCATION_PHYSICAL_TYPE, "area", Some("Area"))]},
            "managingOrganization": reference(ResourceType::Organization, &org_id),
        });
        let mut resource = base(ResourceType::Location, id, body);
        resource.name = Some(p.name.clone());
        resource.organization = Some(org_id.clone());
        out.push(resource);
    }

    // Members and their memberships.
    let network_ref = reference(ResourceType::Organization, &org_id);
    for (m, key) in p.members.iter().zip(member_keys(&p.members)) {
        let member_id = member_organization_id(n.id, &key);
        let mut identifiers = Vec::new();
        if let Some(agb) = &m.agb {
            identifiers.push(json!({"system": AGB_SYSTEM, "value": agb.as_str()}));
        }
        if let Some(kvk) = &m.kvk {
            identifiers.push(json!({"system": KVK_SYSTEM, "value": kvk.as_str()}));
        }
        let active = current(m.valid_from, m.valid_to, today);
        let mut body = json!({
            "resourceType": "Organization",
            "id": member_id,
            "meta": meta(ResourceType::Organization, n),
            "active": active,
            "type": [
                {"coding": [coding(ORGANIZATION_TYPE, "prov", Some("Healthcare Provider"))]},
                {"coding": [coding(&format!("{CS_BASE}/member-kind"), m.kind.as_str(), None)]},
            ],
            "name": m.name,
        });
        if !identifiers.is_empty() {
            body["identifier"] = Value::Array(identifiers);
        }
        let mut resource = base(ResourceType::Organization, member_id.clone(), body);
        resource.name = Some(m.name.clone());
        out.push(resource);

        let aff_id = membership_id(n.id, &key);
        let mut body = json!({
            "resourceType": "OrganizationAffiliation",
            "id": aff_id,
            "meta": meta(ResourceType::OrganizationAffiliation, n),
            "active": active,
            "organization": network_ref,
            "participatingOrganization": reference(ResourceType::Organization, &member_id),
            "network": [network_ref],
            "code": [{"coding": [coding(ORGANIZATION_ROLE, "member", Some("Member"))]}],
        });
        let mut period = Map::new();
        if let Some(from) = m.valid_from {
            period.insert("start".into(), json!(from.to_string()));
        }
        if let Some(to) = m.valid_to {
            period.insert("end".into(), json!(to.to_string()));
        }
        if !period.is_empty() {
            body["period"] = Value::Object(period);
        }
        if let Some(d) = &m.discipline {
            let mut concept = labelled(
                &vocabularies.disciplines,
                &format!("{CS_BASE}/discipline"),
                d,
            );
            if let Some(vektis) = vocabularies
                .disciplines
                .get(d)
                .and_then(|e| e.vektis_cod016)
                && let Some(codings) = concept["coding"].as_array_mut()
            {
                codings.push(coding(VEKTIS_COD016, vektis, None));
            }
            body["specialty"] = json!([concept]);
        }
        let mut resource = base(ResourceType::OrganizationAffiliation, aff_id, body);
        resource.organization = Some(org_id.clone());
        resource.participating = Some(member_id);
        out.push(resource);
    }

    // Links to other published networks.
    let mut seen = HashSet::new();
    for link in p.links.iter().filter(|l| published.contains(&l.network_id)) {
        let id = link_id(n.id, link);
        if !seen.insert(id.clone()) {
            continue;
        }
        let target = link.network_id.to_string();
        let body = json!({
            "resourceType": "OrganizationAffiliation",
            "id": id,
            "meta": meta(ResourceType::OrganizationAffiliation, n),
            "active": true,
            "organization": network_ref,
            "participatingOrganization": reference(ResourceType::Organization, &target),
            "network": [network_ref],
            "code": [{"coding": [coding(&format!("{CS_BASE}/link-kind"), link.kind.as_str(), None)]}],
        });
        let mut resource = base(ResourceType::OrganizationAffiliation, id, body);
        resource.organization = Some(org_id.clone());
        resource.participating = Some(target);
        out.push(resource);
    }
}

/// `location` with its boundary: `area` (a GeoJSON geometry) base64-encoded in the
/// `location-boundary-geojson` extension, as mCSD asks.
pub fn with_boundary(mut location: Value, area: &Value) -> Value {
    let data = base64::engine::general_purpose::STANDARD.encode(area.to_string());
    location["extension"] = json!([{
        "url": BOUNDARY_EXTENSION,
        "valueAttachment": {"contentType": "application/geo+json", "data": data},
    }]);
    location
}

#[cfg(test)]
mod tests {
    use super::*;
    use onconet_domain::{Agb, LinkKind, MemberKind, NetworkProfile, NetworkType, RegistryState};

    pub(crate) fn network(name: &str) -> Network {
        let profile: NetworkProfile = serde_json::from_value(json!({
            "name": name, "type": "oncology_care_network", "scale": "local",
            "lifecycle": "active", "description": {"nl": null, "en": null}, "website": null,
            "disciplines": [], "tumour_types": [], "financing": [], "contacts": [],
            "members": [], "links": [], "ros_org": null,
            "service_area": {}, "quality": {}
        }))
        .expect("profile");
        Network {
            id: Uuid::now_v7(),
            profile,
            state: RegistryState::Published,
            version: 3,
            created_at: Utc::now(),
            updated_at: "2026-11-02T10:00:00Z".parse().expect("time"),
            last_verified_at: None,
            demo: false,
            area: None,
            area_km2: None,
        }
    }

    fn member(name: &str, agb: Option<&str>) -> Member {
        Member {
            name: name.into(),
            kind: MemberKind::Practice,
            discipline: Some("physiotherapy".into()),
            agb: agb.map(|a| Agb::parse(a).expect("agb")),
            kvk: None,
            location: None,
            valid_from: "2024-01-01".parse().ok(),
            valid_to: None,
            in_verwijsgids: false,
            roles: vec![],
        }
    }

    fn today() -> NaiveDate {
        "2026-12-01".parse().expect("date")
    }

    #[test]
    fn a_network_with_members_links_parent_and_area() {
        let vocab = Vocabularies::builtin();
        let parent = network("Regio Noord");
        let hidden = Uuid::now_v7();
        let mut n = network("Zorgnetwerk Stad");
        n.area_km2 = Some(12.0);
        n.profile.parent_id = Some(parent.id);
        n.profile.network_type = NetworkType::OncologyCareNetwork;
        n.profile.members = vec![
            member("Fysio A", Some("04012345")),
            member("Fysio B", None),
            member("fysio b", None),
        ];
        n.profile.links = vec![
            Link {
                network_id: parent.id,
                kind: LinkKind::HospitalNetwork,
            },
            Link {
                network_id: hidden,
                kind: LinkKind::Other,
            },
        ];
        n.profile.members[1].valid_to = "2025-01-01".parse().ok();
        let all = all_resources(&[parent.clone(), n.clone()], &vocab, today());
        let of = |k: ResourceType| {
            all.iter()
                .filter(move |r| r.kind == k && r.network_id == n.id)
        };
        assert_eq!(of(ResourceType::Organization).count(), 4);
        assert_eq!(of(ResourceType::Location).count(), 1);
        // Three memberships and the link to the published parent; not the hidden one.
        assert_eq!(of(ResourceType::OrganizationAffiliation).count(), 4);

        let org = &all
            .iter()
            .find(|r| r.id == n.id.to_string())
            .expect("org")
            .body;
        assert_eq!(
            org["partOf"]["reference"],
            format!("Organization/{}", parent.id)
        );
        assert_eq!(org["meta"]["versionId"], "3");
        assert_eq!(org["meta"]["lastUpdated"], "2026-11-02T10:00:00.000Z");
        assert_eq!(org["type"][1]["coding"][0]["code"], "network");
        assert_eq!(org["type"][2]["coding"][0]["code"], "oncology_care_network");

        let keys = member_keys(&n.profile.members);
        assert_eq!(keys, ["agb:04012345", "name:fysio b", "name:fysio b#2"]);
        let ended = all
            .iter()
            .find(|r| r.id == membership_id(n.id, "name:fysio b"))
            .expect("membership");
        assert_eq!(ended.body["active"], false);
        assert_eq!(ended.body["period"]["end"], "2025-01-01");
        assert_eq!(
            ended.body["participatingOrganization"]["reference"],
            format!(
                "Organization/{}",
                member_organization_id(n.id, "name:fysio b")
            )
        );
        assert_eq!(ended.body["specialty"][0]["coding"][1]["code"], "0400");

        let ids: HashSet<(ResourceType, String)> =
            ids_of_version(n.id, &n.profile.members, &n.profile.links, true)
                .into_iter()
                .collect();
        // The version's ids include the link to the hidden network; the view does not.
        for r in all.iter().filter(|r| r.network_id == n.id) {
            assert!(ids.contains(&(r.kind, r.id.clone())), "{}", r.id);
        }
        assert_eq!(ids.len(), 10);
    }

    #[test]
    fn an_unpublished_parent_is_not_referenced_and_private_contacts_never_appear() {
        let vocab = Vocabularies::builtin();
        let mut n = network("Netwerk");
        n.profile.parent_id = Some(Uuid::now_v7());
        n.profile.contacts = serde_json::from_value(json!([
            {"role": "chair", "name": "Openbaar", "email": "a@b.nl", "phone": null, "public": true},
            {"role": "chair", "name": "Geheim", "email": "c@d.nl", "phone": null, "public": false}
        ]))
        .expect("contacts");
        let all = all_resources(&[n], &vocab, today());
        assert_eq!(all.len(), 1);
        let text = all[0].body.to_string();
        assert!(all[0].body.get("partOf").is_none());
        assert!(text.contains("Openbaar") && !text.contains("Geheim"));
    }

    #[test]
    fn the_boundary_is_base64_geojson() {
        let area = json!({"type": "MultiPolygon", "coordinates": []});
        let loc = with_boundary(json!({"resourceType": "Location"}), &area);
        let ext = &loc["extension"][0];
        assert_eq!(ext["url"], BOUNDARY_EXTENSION);
        assert_eq!(
            ext["valueAttachment"]["contentType"],
            "application/geo+json"
        );
        let data = base64::engine::general_purpose::STANDARD
            .decode(ext["valueAttachment"]["data"].as_str().expect("data"))
            .expect("base64");
        assert_eq!(serde_json::from_slice::<Value>(&data).expect("json"), area);
    }
}
