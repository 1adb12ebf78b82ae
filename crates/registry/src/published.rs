//! What the public views (FHIR/IHE mCSD and Open Referral HSDS) read: the published networks with only their public side,
//! the derived areas of a few of them, and the public revisions (for the history's deletions).
//! The mapping to FHIR resources is the HTTP adapter's (`onconet_api::fhir`).

use crate::Registry;
use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use onconet_domain::{Link, Member, Network, RegistryState};
use std::collections::HashMap;
use uuid::Uuid;

/// A revision the public saw, with the members and links of that version.
#[derive(Debug, Clone)]
pub struct PublicRevision {
    pub network_id: Uuid,
    pub version: i64,
    /// Published after this revision (otherwise it took the network out of public view).
    pub published: bool,
    pub at: DateTime<Utc>,
    pub members: Vec<Member>,
    pub links: Vec<Link>,
    /// That version's service area named something (so it had a derived area).
    pub has_area: bool,
}

impl Registry {
    /// Every published network with only its public side (non-public contacts removed), its
    /// `area` left out (`area_km2` says whether it has one; see [`Registry::published_areas`]).
    pub async fn published_networks(&self) -> Result<Vec<Network>> {
        let mut conn = self.conn().await?;
        let rows = onconet_db::fhir::published_without_area(&mut conn).await?;
        drop(conn);
        rows.into_iter()
            .map(|row| {
                let mut n = row.into_domain()?;
                n.profile = n.profile.public_view();
                Ok(n)
            })
            .collect()
    }

    /// The derived areas (GeoJSON MultiPolygons) of those of `ids` that are published and
    /// have one.
    pub async fn published_areas(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, serde_json::Value>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let mut conn = self.conn().await?;
        Ok(onconet_db::fhir::published_areas(&mut conn, ids)
            .await?
            .into_iter()
            .collect())
    }

    /// Every revision the public saw, per network in version order.
    pub async fn public_revisions(&self) -> Result<Vec<PublicRevision>> {
        let mut conn = self.conn().await?;
        let rows = onconet_db::fhir::public_revisions(&mut conn).await?;
        drop(conn);
        rows.into_iter()
            .map(|r| {
                let corrupt = |what: &str, e: serde_json::Error| {
                    Error::internal(format!(
                        "revision {} of network {}: {what}: {e}",
                        r.version, r.network_id
                    ))
                };
                Ok(PublicRevision {
                    network_id: r.network_id,
                    version: r.version,
                    published: r.state == RegistryState::Published.as_str(),
                    at: r.created_at,
                    members: serde_json::from_value(r.members.clone())
                        .map_err(|e| corrupt("members", e))?,
                    links: serde_json::from_value(r.links.clone())
                        .map_err(|e| corrupt("links", e))?,
                    has_area: r.has_area,
                })
            })
            .collect()
    }
}
