//! Queries on `networks`.

use crate::DbError;
use crate::models::{LightRow, NetworkRow, NewNetwork, ProfileColumns};
use crate::schema::networks;
use chrono::{DateTime, Utc};
use diesel::dsl::count_star;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// Filters of the network list; every non-empty list narrows the result.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Any of these registry states.
    pub states: Vec<String>,
    /// Case-insensitive substring of the name or either description.
    pub q: Option<String>,
    /// Any of these network types.
    pub types: Vec<String>,
    /// All of these disciplines.
    pub disciplines: Vec<String>,
    /// All of these tumour types.
    pub tumour_types: Vec<String>,
    /// Any of these lifecycles.
    pub lifecycles: Vec<String>,
    /// Service area lists this municipality code.
    pub municipality: Option<String>,
    /// Changed strictly after this instant.
    pub modified_after: Option<DateTime<Utc>>,
    /// Meets (or does not meet) all LOPPSOZ criteria at a moment.
    pub qualified: Option<QualifiedFilter>,
    /// Only networks supported by this ROS.
    pub ros_org: Option<String>,
    /// Published, and last verified before this instant (or never).
    pub verified_before: Option<DateTime<Utc>>,
    /// The order of the list.
    pub order: ListOrder,
    /// Children of this network.
    pub parent_id: Option<Uuid>,
    /// A member with this AGB code, current on `today`.
    pub member_agb: Option<String>,
    /// A member with this KvK number, current on `today`.
    pub member_kvk: Option<String>,
    /// The day membership is judged on (`valid_from`/`valid_to`, both inclusive).
    pub today: chrono::NaiveDate,
}

/// Qualified or not at one moment. The stored `qualified` column holds what the profile
/// decides (criterion 7 counted as met when there is a website); whether the verification
/// is still current is decided here, at query time, from `last_verified_at`, so the filter
/// ages with the clock without any write.
#[derive(Debug, Clone, Copy)]
pub struct QualifiedFilter {
    pub qualified: bool,
    /// Verifications made before this moment have run out.
    pub verified_since: DateTime<Utc>,
}

/// The order of a network list (ties broken by id, so pages never overlap).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ListOrder {
    /// By name, case-insensitive.
    #[default]
    Name,
    /// Least recently changed first (a review queue: who has waited longest).
    UpdatedAsc,
    /// Most recently changed first.
    UpdatedDesc,
}

#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    /// 1-based.
    pub page: i64,
    pub per_page: i64,
}

/// Escapes `%`, `_` and `\` so user text matches literally inside a LIKE pattern.
pub fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

fn filtered(filter: &ListFilter) -> networks::BoxedQuery<'static, Pg> {
    use networks::dsl as n;
    let mut query = n::networks.into_boxed();
    if !filter.states.is_empty() {
        query = query.filter(n::state.eq_any(filter.states.clone()));
    }
    if let Some(q) = &filter.q {
        let pattern = like_pattern(q);
        query = query.filter(
            n::name
                .ilike(pattern.clone())
                .or(n::description.retrieve_as_text("nl").ilike(pattern.clone()))
                .or(n::description.retrieve_as_text("en").ilike(pattern)),
        );
    }
    if !filter.types.is_empty() {
        query = query.filter(n::network_type.eq_any(filter.types.clone()));
    }
    if !filter.disciplines.is_empty() {
        query = query.filter(n::disciplines.contains(filter.disciplines.clone()));
    }
    if !filter.tumour_types.is_empty() {
        query = query.filter(n::tumour_types.contains(filter.tumour_types.clone()));
    }
    if !filter.lifecycles.is_empty() {
        query = query.filter(n::lifecycle.eq_any(filter.lifecycles.clone()));
    }
    if let Some(code) = &filter.municipality {
        query =
            query.filter(n::service_area.contains(serde_json::json!({ "municipalities": [code] })));
    }
    if let Some(after) = filter.modified_after {
        query = query.filter(n::updated_at.gt(after));
    }
    if let Some(q) = filter.qualified {
        let current = n::last_verified_at.ge(q.verified_since);
        query = if q.qualified {
            query.filter(n::qualified.and(current.assume_not_null()))
        } else {
            query.filter(
                n::qualified
                    .eq(false)
                    .or(n::last_verified_at.is_null())
                    .or(n::last_verified_at.lt(q.verified_since).assume_not_null()),
            )
        };
    }
    if let Some(org) = &filter.ros_org {
        query = query.filter(n::ros_org.eq(org.clone()));
    }
    if let Some(parent) = filter.parent_id {
        query = query.filter(n::parent_id.eq(parent));
    }
    for (key, value) in [("agb", &filter.member_agb), ("kvk", &filter.member_kvk)] {
        if let Some(value) = value {
            query = query.filter(current_member(key, value, filter.today));
        }
    }
    if let Some(before) = filter.verified_before {
        // Only published networks fall due: a draft was never verified, and is not overdue.
        query = query.filter(n::state.eq("published")).filter(
            n::last_verified_at
                .lt(before)
                .or(n::last_verified_at.is_null()),
        );
    }
    query
}

/// Whether the network has a member whose `key` (`agb` or `kvk`) is `value` and whose
/// membership runs on `today`. The containment test lets PostgreSQL use the GIN index on
/// `members`; the dates are checked per member.
fn current_member(
    key: &'static str,
    value: &str,
    today: chrono::NaiveDate,
) -> Box<dyn BoxableExpression<networks::table, Pg, SqlType = diesel::sql_types::Bool>> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Bool, Date, Text};
    use networks::dsl as n;
    Box::new(
        n::members
            .contains(serde_json::json!([{ key: value }]))
            .and(
                sql::<Bool>(
                    "EXISTS (SELECT 1 FROM jsonb_array_elements(networks.members) m WHERE m->>",
                )
                .bind::<Text, _>(key)
                .sql(" = ")
                .bind::<Text, _>(value.to_owned())
                .sql(" AND coalesce((m->>'valid_from')::date <= ")
                .bind::<Date, _>(today)
                .sql(", true) AND coalesce((m->>'valid_to')::date >= ")
                .bind::<Date, _>(today)
                .sql(", true))"),
            ),
    )
}

/// One page of networks matching `filter`, in `filter.order`, and the total number of matches.
pub async fn list(
    conn: &mut AsyncPgConnection,
    filter: &ListFilter,
    page: PageRequest,
) -> Result<(Vec<NetworkRow>, i64), DbError> {
    use networks::dsl as n;
    let total: i64 = filtered(filter)
        .select(count_star())
        .get_result(conn)
        .await?;
    let query = filtered(filter).select(NetworkRow::as_select());
    let query = match filter.order {
        ListOrder::Name => query.order((
            diesel::dsl::sql::<diesel::sql_types::Text>("lower(name)"),
            n::id,
        )),
        ListOrder::UpdatedAsc => query.order((n::updated_at.asc(), n::id)),
        ListOrder::UpdatedDesc => query.order((n::updated_at.desc(), n::id)),
    };
    let rows = query
        .limit(page.per_page)
        .offset((page.page - 1).saturating_mul(page.per_page))
        .load(conn)
        .await?;
    Ok((rows, total))
}

pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> Result<Option<NetworkRow>, DbError> {
    Ok(networks::table
        .find(id)
        .select(NetworkRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Like [`find`], locking the row until the end of the surrounding transaction.
pub async fn find_for_update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> Result<Option<NetworkRow>, DbError> {
    Ok(networks::table
        .find(id)
        .select(NetworkRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?)
}

/// Which networks an export holds.
#[derive(Debug, Clone)]
pub enum ExportScope {
    Published,
    All,
    /// Published ones and every one of this ROS.
    PublishedAndRos(String),
}

/// Up to `limit` networks of `scope` with an id after `after`, by id (an export's next batch).
pub async fn batch_after(
    conn: &mut AsyncPgConnection,
    after: Option<Uuid>,
    limit: i64,
    scope: &ExportScope,
) -> Result<Vec<NetworkRow>, DbError> {
    use networks::dsl as n;
    let mut query = n::networks.select(NetworkRow::as_select()).into_boxed();
    if let Some(after) = after {
        query = query.filter(n::id.gt(after));
    }
    query = match scope {
        ExportScope::Published => query.filter(n::state.eq("published")),
        ExportScope::All => query,
        ExportScope::PublishedAndRos(ros) => {
            query.filter(n::state.eq("published").or(n::ros_org.eq(ros.clone())))
        }
    };
    Ok(query.order(n::id).limit(limit).load(conn).await?)
}

/// The networks among `ids`, locked until the end of the surrounding transaction, without
/// their derived areas (`area` is `None`: for ten thousand networks those are a gigabyte).
pub async fn find_many_for_update(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> Result<Vec<NetworkRow>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<crate::models::LightRow> = networks::table
        .filter(networks::id.eq_any(ids.to_vec()))
        .select(crate::models::LightRow::as_select())
        .order(networks::id)
        .for_update()
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(NetworkRow::from).collect())
}

/// Inserts many networks in one statement (an import's batch).
pub async fn insert_many(conn: &mut AsyncPgConnection, new: &[NewNetwork]) -> Result<(), DbError> {
    if new.is_empty() {
        return Ok(());
    }
    diesel::insert_into(networks::table)
        .values(new.to_vec())
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn insert(conn: &mut AsyncPgConnection, new: &NewNetwork) -> Result<NetworkRow, DbError> {
    Ok(diesel::insert_into(networks::table)
        .values(new.clone())
        .returning(NetworkRow::as_returning())
        .get_result(conn)
        .await?)
}

/// Replaces the profile of network `id` if it is still at `expected_version`; bumps the
/// version. `None` when the version moved on (or the row is gone).
pub async fn update_profile(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    expected_version: i64,
    profile: &ProfileColumns,
) -> Result<Option<NetworkRow>, DbError> {
    use networks::dsl as n;
    Ok(diesel::update(
        n::networks
            .filter(n::id.eq(id))
            .filter(n::version.eq(expected_version)),
    )
    .set((
        profile,
        n::version.eq(n::version + 1),
        n::updated_at.eq(diesel::dsl::now),
    ))
    .returning(NetworkRow::as_returning())
    .get_result(conn)
    .await
    .optional()?)
}

/// Moves network `id` to `state` if it is still at `expected_version`.
pub async fn update_state(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    expected_version: i64,
    state: &str,
    last_verified_at: Option<DateTime<Utc>>,
) -> Result<Option<NetworkRow>, DbError> {
    use networks::dsl as n;
    Ok(diesel::update(
        n::networks
            .filter(n::id.eq(id))
            .filter(n::version.eq(expected_version)),
    )
    .set((
        n::state.eq(state),
        n::last_verified_at.eq(last_verified_at),
        n::version.eq(n::version + 1),
        n::updated_at.eq(diesel::dsl::now),
    ))
    .returning(NetworkRow::as_returning())
    .get_result(conn)
    .await
    .optional()?)
}

/// A published network whose verification ran out, claimed for its one announcement.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct DueVerification {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Int8)]
    pub version: i64,
    /// Its last verification (or its creation, if it was never verified).
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub verified_at: DateTime<Utc>,
}

/// Claims, inside the caller's transaction, the published networks last verified before
/// `before` that were not announced for that verification yet: each verification that runs
/// out is claimed once, by one instance, however many run.
pub async fn claim_due_verifications(
    conn: &mut AsyncPgConnection,
    before: DateTime<Utc>,
) -> Result<Vec<DueVerification>, DbError> {
    Ok(diesel::sql_query(
        "WITH due AS (
             INSERT INTO verification_reminders (network_id, verified_at)
             SELECT id, coalesce(last_verified_at, created_at) FROM networks
              WHERE state = 'published' AND coalesce(last_verified_at, created_at) < $1
             ON CONFLICT DO NOTHING
             RETURNING network_id, verified_at
         )
         SELECT n.id, n.version, due.verified_at FROM due JOIN networks n ON n.id = due.network_id
          ORDER BY n.id",
    )
    .bind::<diesel::sql_types::Timestamptz, _>(before)
    .load(conn)
    .await?)
}

/// Those of `ids` that are published now.
pub async fn published_among(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> Result<Vec<NetworkRow>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(networks::table
        .filter(networks::id.eq_any(ids.to_vec()))
        .filter(networks::state.eq("published"))
        .select(NetworkRow::as_select())
        .load(conn)
        .await?)
}

/// What a write needs to know of the networks it refers to: id, registry state, ROS and type.
pub async fn referenced(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> Result<Vec<(Uuid, String, Option<String>, String)>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(networks::table
        .filter(networks::id.eq_any(ids.to_vec()))
        .select((
            networks::id,
            networks::state,
            networks::ros_org,
            networks::network_type,
        ))
        .load(conn)
        .await?)
}

/// The networks of ROS `ros_org` (or of none) whose `external_id` is one of `keys`, as
/// `(external_id, id)`: what an import or a write of those keys would collide with.
pub async fn by_external_ids(
    conn: &mut AsyncPgConnection,
    ros_org: Option<&str>,
    keys: &[String],
) -> Result<Vec<(String, Uuid)>, DbError> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Bool, Nullable, Text};
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    // `coalesce(ros_org, '')` is the expression the unique index is built on.
    Ok(networks::table
        .filter(
            sql::<Bool>("coalesce(ros_org, '') = coalesce(")
                .bind::<Nullable<Text>, _>(ros_org.map(str::to_owned))
                .sql(", '')"),
        )
        .filter(networks::external_id.eq_any(keys.to_vec()))
        .select((networks::external_id.assume_not_null(), networks::id))
        .load(conn)
        .await?)
}

/// Which of `ids` exist.
pub async fn existing_ids(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> Result<Vec<Uuid>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(networks::table
        .filter(networks::id.eq_any(ids.to_vec()))
        .select(networks::id)
        .load(conn)
        .await?)
}

/// The chain of ancestors of `start` (its parent, the parent's parent, …), at most `limit`.
pub async fn ancestors(
    conn: &mut AsyncPgConnection,
    start: Uuid,
    limit: usize,
) -> Result<Vec<Uuid>, DbError> {
    let mut out = Vec::new();
    let mut current = start;
    while out.len() < limit {
        let parent: Option<Option<Uuid>> = networks::table
            .find(current)
            .select(networks::parent_id)
            .first(conn)
            .await
            .optional()?;
        match parent.flatten() {
            Some(p) if !out.contains(&p) => {
                out.push(p);
                current = p;
            }
            _ => break,
        }
    }
    Ok(out)
}

/// Whether any demo network is stored (so `--demo` loads its set once).
pub async fn has_demo(conn: &mut AsyncPgConnection) -> Result<bool, DbError> {
    let n: i64 = networks::table
        .filter(networks::demo.eq(true))
        .select(count_star())
        .get_result(conn)
        .await?;
    Ok(n > 0)
}

/// Up to `limit` published networks with an id after `after`, by id (the search index reads
/// the registry a page at a time, so that no more than a page of stored areas is in memory at
/// once): each row without its area, and the area as GeoJSON text, for the caller to parse
/// straight into polygons (as a JSON tree, the areas took most of the time start-up spent
/// reading).
pub async fn published_page(
    conn: &mut AsyncPgConnection,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<(NetworkRow, Option<String>)>, DbError> {
    use diesel::sql_types::{Nullable, Text};
    let mut query = networks::table
        .filter(networks::state.eq("published"))
        .select((
            LightRow::as_select(),
            diesel::dsl::sql::<Nullable<Text>>("networks.area::text"),
        ))
        .order(networks::id)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(networks::id.gt(after));
    }
    let rows: Vec<(LightRow, Option<String>)> = query.load(conn).await?;
    Ok(rows
        .into_iter()
        .map(|(row, area)| (NetworkRow::from(row), area))
        .collect())
}

/// Networks whose service area names regions (to re-derive after a region import).
pub async fn with_region_parts(conn: &mut AsyncPgConnection) -> Result<Vec<NetworkRow>, DbError> {
    use networks::dsl as n;
    Ok(n::networks
        .filter(
            n::service_area
                .retrieve_as_object("municipalities")
                .ne(serde_json::json!([]))
                .or(n::service_area
                    .retrieve_as_object("postcodes")
                    .ne(serde_json::json!([]))),
        )
        .select(NetworkRow::as_select())
        .load(conn)
        .await?)
}

/// Stores a re-derived area of network `id` if it is still at `expected_version`, and bumps
/// the version: the profile is the same, but what the network covers is not, so ETags and the
/// change feed must follow. `None` when the version moved on.
pub async fn update_area(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    expected_version: i64,
    area: Option<serde_json::Value>,
    area_km2: Option<f64>,
) -> Result<Option<NetworkRow>, DbError> {
    use networks::dsl as n;
    Ok(diesel::update(
        n::networks
            .filter(n::id.eq(id))
            .filter(n::version.eq(expected_version)),
    )
    .set((
        n::area.eq(area),
        n::area_km2.eq(area_km2),
        n::version.eq(n::version + 1),
        n::updated_at.eq(diesel::dsl::now),
    ))
    .returning(NetworkRow::as_returning())
    .get_result(conn)
    .await
    .optional()?)
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn like_patterns_are_literal() {
        assert_eq!(like_pattern("a%b_c\\"), "%a\\%b\\_c\\\\%");
    }
}

/// One network's financing, for the financing report.
#[derive(Debug, Clone, Queryable)]
pub struct FinancingRow {
    pub id: Uuid,
    pub name: String,
    pub state: String,
    pub ros_org: Option<String>,
    pub financing: serde_json::Value,
}

/// The financing of every network in one of `states`, by name.
pub async fn financing_of(
    conn: &mut AsyncPgConnection,
    states: &[String],
) -> Result<Vec<FinancingRow>, DbError> {
    use networks::dsl as n;
    Ok(n::networks
        .filter(n::state.eq_any(states.to_vec()))
        .filter(n::financing.ne(serde_json::json!([])))
        .order((
            diesel::dsl::sql::<diesel::sql_types::Text>("lower(name)"),
            n::id,
        ))
        .select((n::id, n::name, n::state, n::ros_org, n::financing))
        .load(conn)
        .await?)
}
