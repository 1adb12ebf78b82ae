//! Row models: `Row` (read), `New…` (insert), `…Changeset` (update); conversions to and from
//! the domain live here so no other crate sees a row.

use crate::DbError;
use crate::schema::{network_revisions, networks};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use onconet_domain::{
    ExternalId, Lifecycle, LocalizedText, Network, NetworkProfile, NetworkType, OrgCode,
    QualityAttestation, RegistryState, Scale, ServiceArea, Website,
};
use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = networks)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct NetworkRow {
    pub id: Uuid,
    pub name: String,
    pub network_type: String,
    pub scale: String,
    pub parent_id: Option<Uuid>,
    pub lifecycle: String,
    pub state: String,
    pub description: Value,
    pub website: Option<String>,
    pub disciplines: Vec<String>,
    pub tumour_types: Vec<String>,
    pub financing: Value,
    pub contacts: Value,
    pub members: Value,
    pub links: Value,
    pub ros_org: Option<String>,
    pub service_area: Value,
    pub quality: Value,
    pub last_verified_at: Option<DateTime<Utc>>,
    pub demo: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The derived service area (GeoJSON MultiPolygon), absent when no area was given.
    pub area: Option<Value>,
    pub area_km2: Option<f64>,
    pub qualified: bool,
    pub external_id: Option<String>,
    pub programme: Value,
}

/// A network row without `area` (kept out of lists and imports: it is the bulk of a row);
/// as a [`NetworkRow`], its `area` is `None`.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = networks)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct LightRow {
    id: Uuid,
    name: String,
    network_type: String,
    scale: String,
    parent_id: Option<Uuid>,
    lifecycle: String,
    state: String,
    description: Value,
    website: Option<String>,
    disciplines: Vec<String>,
    tumour_types: Vec<String>,
    financing: Value,
    contacts: Value,
    members: Value,
    links: Value,
    ros_org: Option<String>,
    service_area: Value,
    quality: Value,
    last_verified_at: Option<DateTime<Utc>>,
    demo: bool,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    area_km2: Option<f64>,
    qualified: bool,
    external_id: Option<String>,
    programme: Value,
}

impl From<LightRow> for NetworkRow {
    fn from(r: LightRow) -> Self {
        NetworkRow {
            id: r.id,
            name: r.name,
            network_type: r.network_type,
            scale: r.scale,
            parent_id: r.parent_id,
            lifecycle: r.lifecycle,
            state: r.state,
            description: r.description,
            website: r.website,
            disciplines: r.disciplines,
            tumour_types: r.tumour_types,
            financing: r.financing,
            contacts: r.contacts,
            members: r.members,
            links: r.links,
            ros_org: r.ros_org,
            service_area: r.service_area,
            quality: r.quality,
            last_verified_at: r.last_verified_at,
            demo: r.demo,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            area: None,
            area_km2: r.area_km2,
            qualified: r.qualified,
            external_id: r.external_id,
            programme: r.programme,
        }
    }
}

/// The columns an editor controls, shared by insert and update.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = networks)]
#[diesel(treat_none_as_null = true)]
pub struct ProfileColumns {
    pub name: String,
    pub network_type: String,
    pub scale: String,
    pub parent_id: Option<Uuid>,
    pub lifecycle: String,
    pub description: Value,
    pub website: Option<String>,
    pub disciplines: Vec<String>,
    pub tumour_types: Vec<String>,
    pub financing: Value,
    pub contacts: Value,
    pub members: Value,
    pub links: Value,
    pub ros_org: Option<String>,
    pub service_area: Value,
    pub quality: Value,
    pub area: Option<Value>,
    pub area_km2: Option<f64>,
    /// All ten LOPPSOZ criteria met as far as the profile decides, criterion 7 counted as met
    /// with a website: qualified while the verification is current. Never filter on it alone
    /// (`networks::QualifiedFilter` adds `last_verified_at`).
    pub qualified: bool,
    pub external_id: Option<String>,
    pub programme: Value,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = networks)]
pub struct NewNetwork {
    pub id: Uuid,
    #[diesel(embed)]
    pub profile: ProfileColumns,
    pub state: String,
    pub demo: bool,
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, DbError> {
    serde_json::to_value(value).map_err(|e| DbError::Corrupt(e.to_string()))
}

fn from_json<T: DeserializeOwned>(column: &str, value: Value) -> Result<T, DbError> {
    serde_json::from_value(value).map_err(|e| DbError::Corrupt(format!("networks.{column}: {e}")))
}

fn parse_code<T: std::str::FromStr>(column: &str, value: &str) -> Result<T, DbError> {
    value
        .parse()
        .map_err(|_| DbError::Corrupt(format!("networks.{column}: unknown value {value:?}")))
}

impl ProfileColumns {
    /// `area` is the derived service area (GeoJSON) and its size in km².
    pub fn from_profile(p: &NetworkProfile, area: Option<(Value, f64)>) -> Result<Self, DbError> {
        let (area, area_km2) = match area {
            Some((a, km2)) => (Some(a), Some(km2)),
            None => (None, None),
        };
        Ok(Self {
            name: p.name.clone(),
            network_type: p.network_type.as_str().to_owned(),
            scale: p.scale.as_str().to_owned(),
            parent_id: p.parent_id,
            lifecycle: p.lifecycle.as_str().to_owned(),
            description: to_json(&p.description)?,
            website: p.website.as_ref().map(|w| w.as_str().to_owned()),
            disciplines: p.disciplines.clone(),
            tumour_types: p.tumour_types.clone(),
            financing: to_json(&p.financing)?,
            contacts: to_json(&p.contacts)?,
            members: to_json(&p.members)?,
            links: to_json(&p.links)?,
            ros_org: p.ros_org.as_ref().map(|o| o.as_str().to_owned()),
            service_area: to_json(&p.service_area)?,
            quality: to_json(&p.quality)?,
            area,
            area_km2,
            qualified: onconet_domain::quality::qualification(
                p,
                onconet_domain::verification::Verification::Current,
            )
            .qualified,
            external_id: p.external_id.as_ref().map(|e| e.as_str().to_owned()),
            programme: to_json(&p.programme)?,
        })
    }
}

impl NetworkRow {
    /// Reads a row back into the domain; a row that does not parse is corrupt (a 500, never
    /// the client's fault).
    pub fn into_domain(self) -> Result<Network, DbError> {
        let website = match self.website {
            Some(w) => Some(
                Website::parse(&w)
                    .map_err(|e| DbError::Corrupt(format!("networks.website: {e}")))?,
            ),
            None => None,
        };
        let ros_org = match self.ros_org {
            Some(o) => Some(
                OrgCode::parse(&o)
                    .map_err(|e| DbError::Corrupt(format!("networks.ros_org: {e}")))?,
            ),
            None => None,
        };
        let external_id = match self.external_id {
            Some(e) => Some(
                ExternalId::parse(&e)
                    .map_err(|e| DbError::Corrupt(format!("networks.external_id: {e}")))?,
            ),
            None => None,
        };
        let profile = NetworkProfile {
            name: self.name,
            external_id,
            network_type: parse_code::<NetworkType>("network_type", &self.network_type)?,
            scale: parse_code::<Scale>("scale", &self.scale)?,
            parent_id: self.parent_id,
            lifecycle: parse_code::<Lifecycle>("lifecycle", &self.lifecycle)?,
            description: from_json::<LocalizedText>("description", self.description)?,
            website,
            disciplines: self.disciplines,
            tumour_types: self.tumour_types,
            financing: from_json("financing", self.financing)?,
            contacts: from_json("contacts", self.contacts)?,
            members: from_json("members", self.members)?,
            links: from_json("links", self.links)?,
            ros_org,
            service_area: from_json::<ServiceArea>("service_area", self.service_area)?,
            quality: from_json::<QualityAttestation>("quality", self.quality)?,
            programme: from_json("programme", self.programme)?,
        };
        Ok(Network {
            id: self.id,
            profile,
            state: parse_code::<RegistryState>("state", &self.state)?,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
            last_verified_at: self.last_verified_at,
            demo: self.demo,
            area: self.area,
            area_km2: self.area_km2,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = network_revisions)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct RevisionRow {
    pub id: i64,
    pub network_id: Uuid,
    pub version: i64,
    pub action: String,
    pub actor_sub: String,
    pub actor_name: Option<String>,
    pub request_id: Option<String>,
    pub changes: Value,
    pub snapshot: Value,
    pub state: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = network_revisions)]
pub struct NewRevision {
    pub network_id: Uuid,
    pub version: i64,
    pub action: String,
    pub actor_sub: String,
    pub actor_name: Option<String>,
    pub request_id: Option<String>,
    pub changes: Value,
    pub snapshot: Value,
    pub state: String,
}

/// The full stored document of a network at one version (what a revision snapshots).
pub fn snapshot(network: &Network) -> Result<Value, DbError> {
    let mut doc = to_json(&network.profile)?;
    if let Value::Object(map) = &mut doc {
        map.insert("state".into(), Value::String(network.state.as_str().into()));
        map.insert(
            "last_verified_at".into(),
            to_json(&network.last_verified_at)?,
        );
    }
    Ok(doc)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::regions)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct RegionRow {
    pub layer: String,
    pub code: String,
    pub name: String,
    pub population: Option<i64>,
    pub area_km2: f64,
    pub geometry: Value,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = crate::schema::region_layers)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct RegionLayerRow {
    pub layer: String,
    pub source: String,
    pub feature_count: i32,
    pub version: i64,
    pub imported_at: DateTime<Utc>,
}
