//! Queries on `network_revisions`.

use crate::DbError;
use crate::models::{NewRevision, RevisionRow};
use crate::schema::network_revisions;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

pub async fn insert(conn: &mut AsyncPgConnection, new: &NewRevision) -> Result<(), DbError> {
    diesel::insert_into(network_revisions::table)
        .values(new.clone())
        .execute(conn)
        .await?;
    Ok(())
}

/// Every revision of one network, oldest first.
pub async fn for_network(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> Result<Vec<RevisionRow>, DbError> {
    Ok(network_revisions::table
        .filter(network_revisions::network_id.eq(id))
        .order(network_revisions::version.asc())
        .select(RevisionRow::as_select())
        .load(conn)
        .await?)
}

/// For every network, its last revision created at or before `at`.
pub async fn latest_before(
    conn: &mut AsyncPgConnection,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<RevisionRow>, DbError> {
    Ok(network_revisions::table
        .filter(network_revisions::created_at.le(at))
        .distinct_on(network_revisions::network_id)
        .order((
            network_revisions::network_id,
            network_revisions::version.desc(),
        ))
        .select(RevisionRow::as_select())
        .load(conn)
        .await?)
}
