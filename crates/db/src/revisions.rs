//! Queries on `network_revisions`.

use crate::DbError;
use crate::models::{NewRevision, RevisionRow};
use crate::schema::network_revisions;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// The advisory lock that numbers revisions in the order they commit.
const COMMIT_ORDER_LOCK: i64 = 0x6f6e_636f_6e65; // "oncone"

/// Records a revision, inside the caller's transaction. Revision ids are the change feed's
/// cursor, so they must be given in the order the revisions become visible: were two writers
/// to take ids 7 and 8 and 8 commit first, a site syncing from the feed would move its cursor
/// past 7 before 7 exists, and never see it. The transaction-level lock taken here, before the
/// id, is held until the caller commits; the revision is the last thing a write records, so
/// writers only wait on each other for the commit itself.
pub async fn insert(conn: &mut AsyncPgConnection, new: &NewRevision) -> Result<(), DbError> {
    diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
        .bind::<diesel::sql_types::Int8, _>(COMMIT_ORDER_LOCK)
        .execute(conn)
        .await?;
    diesel::insert_into(network_revisions::table)
        .values(new.clone())
        .execute(conn)
        .await?;
    Ok(())
}

/// Inserts many revisions at once (an import), under the same commit-order lock as [`insert`].
pub async fn insert_many(conn: &mut AsyncPgConnection, new: &[NewRevision]) -> Result<(), DbError> {
    if new.is_empty() {
        return Ok(());
    }
    diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
        .bind::<diesel::sql_types::Int8, _>(COMMIT_ORDER_LOCK)
        .execute(conn)
        .await?;
    diesel::insert_into(network_revisions::table)
        .values(new.to_vec())
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

/// One entry of the change feed: a revision, with the registry state before it.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct FeedRow {
    #[diesel(sql_type = diesel::sql_types::Int8)]
    pub id: i64,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub network_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Int8)]
    pub version: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub state: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub previous_state: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Revisions after cursor `since` (a revision id) that the public sees: the network is
/// published after the revision, or was published before it (then it was unpublished).
pub async fn public_feed(
    conn: &mut AsyncPgConnection,
    since: i64,
    limit: i64,
) -> Result<Vec<FeedRow>, DbError> {
    Ok(diesel::sql_query(
        "SELECT id, network_id, version, state, previous_state, created_at FROM (
             SELECT id, network_id, version, state, created_at,
                    lag(state) OVER (PARTITION BY network_id ORDER BY version) AS previous_state
               FROM network_revisions
         ) r
         WHERE id > $1 AND (state = 'published' OR previous_state = 'published')
         ORDER BY id
         LIMIT $2",
    )
    .bind::<diesel::sql_types::Int8, _>(since)
    .bind::<diesel::sql_types::Int8, _>(limit)
    .load(conn)
    .await?)
}

/// Rewrites the snapshot and changes of one revision (personal-data erasure).
pub async fn rewrite(
    conn: &mut AsyncPgConnection,
    id: i64,
    snapshot: &serde_json::Value,
    changes: &serde_json::Value,
) -> Result<(), DbError> {
    diesel::update(network_revisions::table.find(id))
        .set((
            network_revisions::snapshot.eq(snapshot),
            network_revisions::changes.eq(changes),
        ))
        .execute(conn)
        .await?;
    Ok(())
}
