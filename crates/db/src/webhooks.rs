//! Queries on the webhook tables: subscriptions, the outbox of events, deliveries and their
//! attempts.

use crate::DbError;
use crate::schema::{webhook_attempts, webhook_deliveries, webhook_events, webhook_subscriptions};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Int4, Int8, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use uuid::Uuid;

#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_subscriptions)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct SubscriptionRow {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub secret: String,
    pub state: String,
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Printed without its secret.
impl std::fmt::Debug for SubscriptionRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubscriptionRow")
            .field("id", &self.id)
            .field("url", &self.url)
            .field("events", &self.events)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = webhook_events)]
pub struct NewEvent {
    pub id: String,
    pub event_type: String,
    pub payload: Value,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct DeliveryRow {
    pub subscription_id: Uuid,
    pub event_id: String,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_attempts)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct AttemptRow {
    pub event_id: String,
    pub attempted_at: DateTime<Utc>,
    pub status: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
}

/// A delivery taken by a worker: where it goes, how it is signed, what it says.
#[derive(Clone, QueryableByName)]
pub struct DueDelivery {
    #[diesel(sql_type = SqlUuid)]
    pub subscription_id: Uuid,
    #[diesel(sql_type = Text)]
    pub event_id: String,
    /// This attempt's number, from 1.
    #[diesel(sql_type = Int4)]
    pub attempts: i32,
    #[diesel(sql_type = Text)]
    pub url: String,
    #[diesel(sql_type = Text)]
    pub secret: String,
    /// The body, exactly as every attempt sends and signs it.
    #[diesel(sql_type = Text)]
    pub payload: String,
    /// Where its retry window starts.
    #[diesel(sql_type = Timestamptz)]
    pub retry_from: DateTime<Utc>,
}

impl std::fmt::Debug for DueDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DueDelivery")
            .field("subscription_id", &self.subscription_id)
            .field("event_id", &self.event_id)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

pub async fn insert_subscription(
    conn: &mut AsyncPgConnection,
    row: &SubscriptionRow,
) -> Result<SubscriptionRow, DbError> {
    Ok(diesel::insert_into(webhook_subscriptions::table)
        .values(row.clone())
        .returning(SubscriptionRow::as_returning())
        .get_result(conn)
        .await?)
}

/// One page of subscriptions, oldest first, and how many there are.
pub async fn list_subscriptions(
    conn: &mut AsyncPgConnection,
    offset: i64,
    limit: i64,
) -> Result<(Vec<SubscriptionRow>, i64), DbError> {
    use webhook_subscriptions::dsl as s;
    let total = s::webhook_subscriptions.count().get_result(conn).await?;
    let rows = s::webhook_subscriptions
        .order((s::created_at.asc(), s::id.asc()))
        .offset(offset)
        .limit(limit)
        .select(SubscriptionRow::as_select())
        .load(conn)
        .await?;
    Ok((rows, total))
}

pub async fn find_subscription(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> Result<Option<SubscriptionRow>, DbError> {
    Ok(webhook_subscriptions::table
        .find(id)
        .select(SubscriptionRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Replaces what a subscriber may change: the target, the events, the state (with its
/// reason when disabled).
pub async fn update_subscription(
    conn: &mut AsyncPgConnection,
    row: &SubscriptionRow,
) -> Result<Option<SubscriptionRow>, DbError> {
    use webhook_subscriptions::dsl as s;
    Ok(diesel::update(s::webhook_subscriptions.find(row.id))
        .set((
            s::url.eq(&row.url),
            s::events.eq(&row.events),
            s::state.eq(&row.state),
            s::disabled_reason.eq(&row.disabled_reason),
            s::disabled_at.eq(row.disabled_at),
            s::updated_at.eq(Utc::now()),
        ))
        .returning(SubscriptionRow::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

/// Makes what a subscription is still owed due now, with a fresh retry window (when it is
/// activated again).
pub async fn restart_pending(conn: &mut AsyncPgConnection, id: Uuid) -> Result<usize, DbError> {
    use webhook_deliveries::dsl as d;
    let now = Utc::now();
    Ok(diesel::update(
        d::webhook_deliveries
            .filter(d::subscription_id.eq(id))
            .filter(d::state.eq("pending")),
    )
    .set((
        d::next_attempt_at.eq(now),
        d::retry_from.eq(now),
        d::attempts.eq(0),
    ))
    .execute(conn)
    .await?)
}

/// Disables an active subscription with `reason`.
pub async fn disable_subscription(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    reason: &str,
) -> Result<(), DbError> {
    use webhook_subscriptions::dsl as s;
    diesel::update(
        s::webhook_subscriptions
            .find(id)
            .filter(s::state.eq("active")),
    )
    .set((
        s::state.eq("disabled"),
        s::disabled_reason.eq(reason),
        s::disabled_at.eq(Utc::now()),
        s::updated_at.eq(Utc::now()),
    ))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_subscription(conn: &mut AsyncPgConnection, id: Uuid) -> Result<bool, DbError> {
    let n = diesel::delete(webhook_subscriptions::table.find(id))
        .execute(conn)
        .await?;
    Ok(n > 0)
}

/// Puts `events` into the outbox, inside the caller's transaction, owed to every active
/// subscription that asked for their type. Events nobody asked for are not stored.
pub async fn enqueue(conn: &mut AsyncPgConnection, events: &[NewEvent]) -> Result<(), DbError> {
    if events.is_empty() {
        return Ok(());
    }
    use webhook_subscriptions::dsl as s;
    let wanted: Vec<Vec<String>> = s::webhook_subscriptions
        .filter(s::state.eq("active"))
        .select(s::events)
        .load(conn)
        .await?;
    let events: Vec<NewEvent> = events
        .iter()
        .filter(|e| wanted.iter().flatten().any(|t| *t == e.event_type))
        .cloned()
        .collect();
    if events.is_empty() {
        return Ok(());
    }
    diesel::insert_into(webhook_events::table)
        .values(&events)
        .execute(conn)
        .await?;
    let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    diesel::sql_query(
        "INSERT INTO webhook_deliveries (subscription_id, event_id) \
         SELECT s.id, e.id FROM webhook_subscriptions s \
         JOIN unnest($1::text[], $2::text[]) AS e(id, type) ON e.type = ANY (s.events) \
         WHERE s.state = 'active'",
    )
    .bind::<Array<Text>, _>(ids)
    .bind::<Array<Text>, _>(types)
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes up to `limit` deliveries that are due (pending, of an active subscription, not taken
/// by another worker) for `lease_seconds`, counting the attempt. A worker that dies holding
/// them only delays them until the lease ends.
pub async fn take_due(
    conn: &mut AsyncPgConnection,
    limit: i64,
    lease_seconds: f64,
) -> Result<Vec<DueDelivery>, DbError> {
    Ok(diesel::sql_query(
        "WITH due AS ( \
           SELECT d.subscription_id, d.event_id FROM webhook_deliveries d \
           JOIN webhook_subscriptions s ON s.id = d.subscription_id \
           WHERE d.state = 'pending' AND s.state = 'active' AND d.next_attempt_at <= now() \
             AND (d.leased_until IS NULL OR d.leased_until < now()) \
           ORDER BY d.next_attempt_at LIMIT $1 \
           FOR UPDATE OF d SKIP LOCKED) \
         UPDATE webhook_deliveries d \
           SET leased_until = now() + make_interval(secs => $2), attempts = d.attempts + 1 \
         FROM due, webhook_subscriptions s, webhook_events e \
         WHERE d.subscription_id = due.subscription_id AND d.event_id = due.event_id \
           AND s.id = d.subscription_id AND e.id = d.event_id \
         RETURNING d.subscription_id, d.event_id, d.attempts, s.url, s.secret, \
           e.payload::text AS payload, d.retry_from",
    )
    .bind::<Int8, _>(limit)
    .bind::<diesel::sql_types::Float8, _>(lease_seconds)
    .load(conn)
    .await?)
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
    /// `delivered`, `pending` (tried again at `next_attempt_at`) or `failed` (given up).
    pub state: &'static str,
    pub next_attempt_at: DateTime<Utc>,
}

/// Records an attempt and the delivery's new state.
pub async fn record_attempt(
    conn: &mut AsyncPgConnection,
    subscription_id: Uuid,
    event_id: &str,
    outcome: &Outcome,
) -> Result<(), DbError> {
    use webhook_deliveries::dsl as d;
    diesel::update(d::webhook_deliveries.find((subscription_id, event_id)))
        .set((
            d::state.eq(outcome.state),
            d::leased_until.eq(None::<DateTime<Utc>>),
            d::next_attempt_at.eq(outcome.next_attempt_at),
            d::last_status.eq(outcome.status),
            d::last_error.eq(&outcome.error),
            d::delivered_at.eq((outcome.state == "delivered").then(Utc::now)),
        ))
        .execute(conn)
        .await?;
    diesel::insert_into(webhook_attempts::table)
        .values((
            webhook_attempts::subscription_id.eq(subscription_id),
            webhook_attempts::event_id.eq(event_id),
            webhook_attempts::status.eq(outcome.status),
            webhook_attempts::error.eq(&outcome.error),
            webhook_attempts::duration_ms.eq(outcome.duration_ms),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// One page of a subscription's deliveries (newest first, optionally in one state) with their
/// event types, and how many match.
pub async fn deliveries(
    conn: &mut AsyncPgConnection,
    subscription_id: Uuid,
    state: Option<&str>,
    offset: i64,
    limit: i64,
) -> Result<(Vec<(DeliveryRow, String)>, i64), DbError> {
    use webhook_deliveries::dsl as d;
    let mut count = d::webhook_deliveries
        .filter(d::subscription_id.eq(subscription_id))
        .into_boxed();
    let mut page = d::webhook_deliveries
        .inner_join(webhook_events::table)
        .filter(d::subscription_id.eq(subscription_id))
        .into_boxed();
    if let Some(state) = state {
        count = count.filter(d::state.eq(state.to_owned()));
        page = page.filter(d::state.eq(state.to_owned()));
    }
    let total = count.count().get_result(conn).await?;
    let rows = page
        .order((d::created_at.desc(), d::event_id.desc()))
        .offset(offset)
        .limit(limit)
        .select((DeliveryRow::as_select(), webhook_events::event_type))
        .load(conn)
        .await?;
    Ok((rows, total))
}

/// The attempts at `event_ids` for one subscription, oldest first.
pub async fn attempts(
    conn: &mut AsyncPgConnection,
    subscription_id: Uuid,
    event_ids: &[String],
) -> Result<Vec<AttemptRow>, DbError> {
    use webhook_attempts::dsl as a;
    Ok(a::webhook_attempts
        .filter(a::subscription_id.eq(subscription_id))
        .filter(a::event_id.eq_any(event_ids))
        .order(a::id.asc())
        .select(AttemptRow::as_select())
        .load(conn)
        .await?)
}

/// How many deliveries of each subscription are in each state.
pub async fn delivery_counts(
    conn: &mut AsyncPgConnection,
    subscription_ids: &[Uuid],
) -> Result<Vec<(Uuid, String, i64)>, DbError> {
    use webhook_deliveries::dsl as d;
    Ok(d::webhook_deliveries
        .filter(d::subscription_id.eq_any(subscription_ids))
        .group_by((d::subscription_id, d::state))
        .select((d::subscription_id, d::state, diesel::dsl::count_star()))
        .load(conn)
        .await?)
}

/// Deletes events older than `before` that nobody is owed any more; returns how many.
pub async fn prune_events(
    conn: &mut AsyncPgConnection,
    before: DateTime<Utc>,
) -> Result<usize, DbError> {
    Ok(diesel::sql_query(
        "DELETE FROM webhook_events e WHERE e.created_at < $1 AND NOT EXISTS \
         (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.state = 'pending')",
    )
    .bind::<Timestamptz, _>(before)
    .execute(conn)
    .await?)
}
