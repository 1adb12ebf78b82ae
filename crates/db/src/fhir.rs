//! Queries behind the FHIR (IHE mCSD) views: published networks without their (large) derived
//! areas, the areas of a few, and the public revisions' member and link lists (to tell a
//! removed member or link, which the FHIR history reports as a deletion).

use crate::DbError;
use crate::models::NetworkRow;
use crate::schema::networks;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use uuid::Uuid;

/// Every published network, `area` left out (`area_km2` says whether there is one).
pub async fn published_without_area(
    conn: &mut AsyncPgConnection,
) -> Result<Vec<NetworkRow>, DbError> {
    let rows: Vec<crate::models::LightRow> = networks::table
        .filter(networks::state.eq("published"))
        .select(crate::models::LightRow::as_select())
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(NetworkRow::from).collect())
}

/// The derived areas (GeoJSON) of those of `ids` that are published and have one.
pub async fn published_areas(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> Result<Vec<(Uuid, Value)>, DbError> {
    let rows: Vec<(Uuid, Option<Value>)> = networks::table
        .filter(networks::state.eq("published"))
        .filter(networks::id.eq_any(ids))
        .select((networks::id, networks::area))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, area)| area.map(|a| (id, a)))
        .collect())
}

/// A revision the public saw (the network published after it, or published before it), with
/// the member and link lists of its snapshot.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct PublicRevisionRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub network_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Int8)]
    pub version: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub state: String,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    pub members: Value,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    pub links: Value,
    /// The snapshot's service area names something (so the version had a derived area).
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub has_area: bool,
}

/// Every public revision, per network in version order.
pub async fn public_revisions(
    conn: &mut AsyncPgConnection,
) -> Result<Vec<PublicRevisionRow>, DbError> {
    Ok(diesel::sql_query(
        "SELECT network_id, version, state, created_at, members, links, has_area FROM (
             SELECT network_id, version, state, created_at,
                    coalesce(snapshot->'members', '[]'::jsonb) AS members,
                    coalesce(snapshot->'links', '[]'::jsonb) AS links,
                    (jsonb_array_length(coalesce(snapshot->'service_area'->'municipalities', '[]'::jsonb)) > 0
                     OR jsonb_array_length(coalesce(snapshot->'service_area'->'postcodes', '[]'::jsonb)) > 0
                     OR jsonb_array_length(coalesce(snapshot->'service_area'->'circles', '[]'::jsonb)) > 0
                     OR coalesce(snapshot->'service_area'->'geometry', 'null'::jsonb) <> 'null'::jsonb) AS has_area,
                    lag(state) OVER (PARTITION BY network_id ORDER BY version) AS previous_state
               FROM network_revisions
         ) r
         WHERE state = 'published' OR previous_state = 'published'
         ORDER BY network_id, version",
    )
    .load(conn)
    .await?)
}
