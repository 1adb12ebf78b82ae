//! Queries on `network_proposals`: proposed changes to published networks and verifications
//! waiting for IKNL's confirmation.

use crate::DbError;
use crate::networks::PageRequest;
use crate::schema::{network_proposals, networks};
use chrono::{DateTime, Utc};
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = network_proposals)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct ProposalRow {
    pub id: Uuid,
    pub network_id: Uuid,
    pub kind: String,
    pub state: String,
    pub base_version: i64,
    pub version: i64,
    pub document: Option<Value>,
    pub changes: Value,
    pub note: Option<String>,
    pub proposed_by: String,
    pub proposed_by_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub decided_by: Option<String>,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    pub applied_version: Option<i64>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = network_proposals)]
pub struct NewProposal {
    pub id: Uuid,
    pub network_id: Uuid,
    pub kind: String,
    pub base_version: i64,
    pub document: Option<Value>,
    pub changes: Value,
    pub note: Option<String>,
    pub proposed_by: String,
    pub proposed_by_name: Option<String>,
}

/// A decision on a pending proposal.
#[derive(Debug, Clone)]
pub struct Decision<'a> {
    pub state: &'a str,
    pub decided_by: &'a str,
    pub decided_by_name: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub applied_version: Option<i64>,
}

/// The pending proposal of network `network_id`, locked until the end of the caller's
/// transaction.
pub async fn pending_for_update(
    conn: &mut AsyncPgConnection,
    network_id: Uuid,
) -> Result<Option<ProposalRow>, DbError> {
    use network_proposals::dsl as p;
    Ok(p::network_proposals
        .filter(p::network_id.eq(network_id))
        .filter(p::state.eq("pending"))
        .select(ProposalRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?)
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    new: &NewProposal,
) -> Result<ProposalRow, DbError> {
    Ok(diesel::insert_into(network_proposals::table)
        .values(new.clone())
        .returning(ProposalRow::as_returning())
        .get_result(conn)
        .await?)
}

/// Replaces the proposed document, its changes and note of pending proposal `id` at
/// `expected_version`; `None` when it moved on meanwhile.
pub async fn amend(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    expected_version: i64,
    document: Option<&Value>,
    changes: &Value,
    note: Option<&str>,
) -> Result<Option<ProposalRow>, DbError> {
    use network_proposals::dsl as p;
    Ok(diesel::update(
        p::network_proposals
            .filter(p::id.eq(id))
            .filter(p::version.eq(expected_version))
            .filter(p::state.eq("pending")),
    )
    .set((
        p::document.eq(document),
        p::changes.eq(changes),
        p::note.eq(note),
        p::version.eq(p::version + 1),
        p::updated_at.eq(diesel::dsl::now),
    ))
    .returning(ProposalRow::as_returning())
    .get_result(conn)
    .await
    .optional()?)
}

/// Proposal `id` of network `network_id`, locked until the end of the caller's transaction.
pub async fn find_for_update(
    conn: &mut AsyncPgConnection,
    network_id: Uuid,
    id: Uuid,
) -> Result<Option<ProposalRow>, DbError> {
    use network_proposals::dsl as p;
    Ok(p::network_proposals
        .filter(p::network_id.eq(network_id))
        .filter(p::id.eq(id))
        .select(ProposalRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?)
}

/// Every proposal of network `network_id`, oldest first.
pub async fn for_network(
    conn: &mut AsyncPgConnection,
    network_id: Uuid,
) -> Result<Vec<ProposalRow>, DbError> {
    use network_proposals::dsl as p;
    Ok(p::network_proposals
        .filter(p::network_id.eq(network_id))
        .order((p::created_at.asc(), p::id.asc()))
        .select(ProposalRow::as_select())
        .load(conn)
        .await?)
}

/// Records `decision` on pending proposal `id` at `expected_version`; `None` when it moved on
/// meanwhile.
pub async fn decide(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    expected_version: i64,
    decision: &Decision<'_>,
) -> Result<Option<ProposalRow>, DbError> {
    use network_proposals::dsl as p;
    Ok(diesel::update(
        p::network_proposals
            .filter(p::id.eq(id))
            .filter(p::version.eq(expected_version))
            .filter(p::state.eq("pending")),
    )
    .set((
        p::state.eq(decision.state),
        p::decided_by.eq(decision.decided_by),
        p::decided_by_name.eq(decision.decided_by_name),
        p::decided_at.eq(diesel::dsl::now),
        p::reason.eq(decision.reason),
        p::applied_version.eq(decision.applied_version),
        p::version.eq(p::version + 1),
        p::updated_at.eq(diesel::dsl::now),
    ))
    .returning(ProposalRow::as_returning())
    .get_result(conn)
    .await
    .optional()?)
}

/// One page of pending proposals, oldest first (a review queue), with their network's name;
/// of networks supported by `ros_org` only, when given.
pub async fn pending(
    conn: &mut AsyncPgConnection,
    ros_org: Option<&str>,
    page: PageRequest,
) -> Result<(Vec<(ProposalRow, String)>, i64), DbError> {
    use network_proposals::dsl as p;
    let filtered = || {
        let mut query = p::network_proposals
            .inner_join(networks::table)
            .filter(p::state.eq("pending"))
            .into_boxed();
        if let Some(org) = ros_org {
            query = query.filter(networks::ros_org.eq(org.to_owned()));
        }
        query
    };
    let total: i64 = filtered().select(count_star()).get_result(conn).await?;
    let rows = filtered()
        .order((p::created_at.asc(), p::id.asc()))
        .select((ProposalRow::as_select(), networks::name))
        .limit(page.per_page)
        .offset((page.page - 1).saturating_mul(page.per_page))
        .load(conn)
        .await?;
    Ok((rows, total))
}
