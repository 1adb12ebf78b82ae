//! Webhooks: subscriptions (IKNL staff and admins), the outbox every change writes its events
//! to in its own transaction ([`keep_revisions`]), the delivery log, and the worker that
//! delivers ([`worker`]) signed per Standard Webhooks ([`signing`]) to public targets only
//! ([`target`]).

pub mod signing;
pub mod target;
pub mod worker;

use crate::{Error, Invalid, Registry, Result};
use chrono::{DateTime, Utc};
use onconet_db::AsyncPgConnection;
use onconet_db::models::NewRevision;
use onconet_db::networks::PageRequest;
use onconet_db::webhooks::{self as q, NewEvent, SubscriptionRow};
use onconet_domain::events::{EventType, events_of};
use onconet_domain::{Actor, RegistryState};
use signing::SigningKey;
use std::time::Duration;
use uuid::Uuid;

/// How webhooks are delivered (the server's `ONCONET_WEBHOOK_*` settings).
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Accept targets on private, loopback and link-local addresses, and plain `http`.
    pub allow_private_targets: bool,
    /// The wait after the first failed attempt; doubled after each further one.
    pub retry_base: Duration,
    /// How long after an event its delivery is still tried; then it is given up and the
    /// subscription disabled.
    pub retry_for: Duration,
    /// How long a receiver may take to answer.
    pub timeout: Duration,
    /// How often the worker looks for due deliveries.
    pub poll: Duration,
    /// Deliveries sent at once.
    pub concurrency: usize,
    /// How often the worker looks for verifications that ran out
    /// (`network.verification_due`).
    pub verification_check: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_private_targets: false,
            retry_base: Duration::from_secs(5),
            retry_for: Duration::from_secs(24 * 3600),
            timeout: Duration::from_secs(10),
            poll: Duration::from_millis(500),
            concurrency: 8,
            verification_check: Duration::from_secs(600),
        }
    }
}

impl WebhookSettings {
    /// The longest wait between two attempts: two hours, or less in a shorter window.
    pub fn retry_cap(&self) -> Duration {
        Duration::from_secs(7200).min(self.retry_for / 4)
    }
}

/// What a subscription's state can be.
pub const STATES: [&str; 2] = ["active", "disabled"];

/// A webhook subscription as staff see it (never with its secret).
#[derive(Debug, Clone)]
pub struct Subscription {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<EventType>,
    /// `active`, or `disabled` (by a person, or after deliveries failed for the whole retry
    /// window, or a 410 answer): nothing is sent until it is active again.
    pub state: String,
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deliveries: DeliveryCounts,
}

/// A subscription's deliveries by state.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeliveryCounts {
    pub pending: i64,
    pub delivered: i64,
    pub failed: i64,
}

/// A new subscription, as sent.
#[derive(Debug, Clone)]
pub struct NewSubscription {
    pub url: String,
    pub events: Vec<String>,
    /// `whsec_<base64>`; one is made when none is given.
    pub secret: Option<String>,
}

/// A change to a subscription: what is given replaces what is stored.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionChange {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub state: Option<String>,
}

/// One event owed to a subscription, with its attempts.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub event_id: String,
    pub event_type: String,
    pub state: String,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub log: Vec<Attempt>,
}

#[derive(Debug, Clone)]
pub struct Attempt {
    pub at: DateTime<Utc>,
    pub status: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
}

pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// The states a delivery can be in.
pub const DELIVERY_STATES: [&str; 3] = ["pending", "delivered", "failed"];

fn check_may_manage(actor: &Actor) -> Result<()> {
    if actor.is_registry_staff() {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "only IKNL staff and admins manage webhooks".into(),
        ))
    }
}

fn not_found(id: Uuid) -> Error {
    Error::NotFound(format!("no webhook subscription {id}"))
}

/// The event list of a request: at least one, each known, none twice.
fn parse_events(events: &[String]) -> std::result::Result<Vec<EventType>, Vec<Invalid>> {
    let mut problems = Vec::new();
    if events.is_empty() {
        problems.push(Invalid::pointer(
            "/events",
            "required",
            format!("name at least one event: {}", EventType::codes().join(", ")),
        ));
    }
    let mut parsed = Vec::new();
    for (i, e) in events.iter().enumerate() {
        match e.parse::<EventType>() {
            Ok(t) if parsed.contains(&t) => problems.push(Invalid::pointer(
                format!("/events/{i}"),
                "duplicate",
                format!("`{t}` is listed twice"),
            )),
            Ok(t) => parsed.push(t),
            Err(err) => problems.push(Invalid::pointer(
                format!("/events/{i}"),
                err.code,
                format!(
                    "unknown event, expected one of: {}",
                    EventType::codes().join(", ")
                ),
            )),
        }
    }
    if problems.is_empty() {
        Ok(parsed)
    } else {
        Err(problems)
    }
}

impl Registry {
    /// Checks a target URL: its form, then every address its name resolves to.
    async fn check_target(&self, raw: &str) -> std::result::Result<String, Invalid> {
        let allow = self.webhooks.allow_private_targets;
        let refused = |e: target::Refused| Invalid::pointer("/url", e.code, e.detail);
        let url = target::parse(raw, allow).map_err(refused)?;
        target::resolve(&url, allow).await.map_err(refused)?;
        Ok(url.to_string())
    }

    /// Subscribes `new.url` to `new.events`; returns the subscription and its secret, which is
    /// never shown again.
    pub async fn subscribe(
        &self,
        actor: &Actor,
        new: NewSubscription,
    ) -> Result<(Subscription, String)> {
        check_may_manage(actor)?;
        let mut problems = Vec::new();
        let url = self
            .check_target(&new.url)
            .await
            .map_err(|p| problems.push(p))
            .ok();
        let events = parse_events(&new.events)
            .map_err(|p| problems.extend(p))
            .ok();
        let secret = match new.secret {
            Some(text) => SigningKey::parse(&text)
                .map(|_| text)
                .map_err(|detail| {
                    problems.push(Invalid::pointer("/secret", "invalid_secret", detail))
                })
                .ok(),
            None => Some(SigningKey::generate().1),
        };
        let (Some(url), Some(events), Some(secret)) = (url, events, secret) else {
            return Err(Error::Invalid(problems));
        };
        let now = Utc::now();
        let row = SubscriptionRow {
            id: Uuid::now_v7(),
            url,
            events: events.iter().map(|e| e.as_str().to_owned()).collect(),
            secret: secret.clone(),
            state: "active".into(),
            disabled_reason: None,
            disabled_at: None,
            created_by: actor.sub.clone(),
            created_at: now,
            updated_at: now,
        };
        let mut conn = self.conn().await?;
        let row = q::insert_subscription(&mut conn, &row).await?;
        tracing::info!(subscription = %row.id, events = ?row.events, "webhook subscription created");
        Ok((subscription(row, DeliveryCounts::default())?, secret))
    }

    /// One page of subscriptions, oldest first.
    pub async fn subscriptions(
        &self,
        actor: &Actor,
        page: PageRequest,
    ) -> Result<Page<Subscription>> {
        check_may_manage(actor)?;
        let mut conn = self.conn().await?;
        let (rows, total) =
            q::list_subscriptions(&mut conn, (page.page - 1) * page.per_page, page.per_page)
                .await?;
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let counts = q::delivery_counts(&mut conn, &ids).await?;
        let items = rows
            .into_iter()
            .map(|r| {
                let c = counts_of(&counts, r.id);
                subscription(r, c)
            })
            .collect::<Result<_>>()?;
        Ok(Page { items, total })
    }

    /// One subscription.
    pub async fn subscription(&self, actor: &Actor, id: Uuid) -> Result<Subscription> {
        check_may_manage(actor)?;
        let mut conn = self.conn().await?;
        let row = q::find_subscription(&mut conn, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        let counts = q::delivery_counts(&mut conn, &[id]).await?;
        subscription(row, counts_of(&counts, id))
    }

    /// Changes the target, the events or the state. Activating a disabled subscription clears
    /// its reason, and what it was still owed (`pending`) is due at once with a fresh retry
    /// window; events raised while it was disabled are not sent to it.
    pub async fn change_subscription(
        &self,
        actor: &Actor,
        id: Uuid,
        change: SubscriptionChange,
    ) -> Result<Subscription> {
        check_may_manage(actor)?;
        let mut problems = Vec::new();
        let url = match &change.url {
            Some(raw) => match self.check_target(raw).await {
                Ok(url) => Some(url),
                Err(p) => {
                    problems.push(p);
                    None
                }
            },
            None => None,
        };
        let events = match &change.events {
            Some(list) => match parse_events(list) {
                Ok(events) => Some(events),
                Err(p) => {
                    problems.extend(p);
                    None
                }
            },
            None => None,
        };
        if let Some(state) = &change.state
            && !STATES.contains(&state.as_str())
        {
            problems.push(Invalid::pointer(
                "/state",
                "unknown_code",
                format!("must be one of: {}", STATES.join(", ")),
            ));
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let mut conn = self.conn().await?;
        let mut row = q::find_subscription(&mut conn, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        if let Some(url) = url {
            row.url = url;
        }
        if let Some(events) = events {
            row.events = events.iter().map(|e| e.as_str().to_owned()).collect();
        }
        let reactivated = change.state.as_deref() == Some("active") && row.state != "active";
        match change.state.as_deref() {
            Some("active") => {
                row.state = "active".into();
                row.disabled_reason = None;
                row.disabled_at = None;
            }
            Some("disabled") if row.state != "disabled" => {
                row.state = "disabled".into();
                row.disabled_reason = Some(format!("disabled by {}", actor.sub));
                row.disabled_at = Some(Utc::now());
            }
            _ => {}
        }
        let row = q::update_subscription(&mut conn, &row)
            .await?
            .ok_or_else(|| not_found(id))?;
        if reactivated {
            q::restart_pending(&mut conn, id).await?;
        }
        tracing::info!(subscription = %id, state = %row.state, "webhook subscription changed");
        let counts = q::delivery_counts(&mut conn, &[id]).await?;
        subscription(row, counts_of(&counts, id))
    }

    /// Deletes a subscription with its deliveries.
    pub async fn unsubscribe(&self, actor: &Actor, id: Uuid) -> Result<()> {
        check_may_manage(actor)?;
        let mut conn = self.conn().await?;
        if q::delete_subscription(&mut conn, id).await? {
            tracing::info!(subscription = %id, "webhook subscription deleted");
            Ok(())
        } else {
            Err(not_found(id))
        }
    }

    /// The delivery log of a subscription, newest first, optionally in one `state`.
    pub async fn deliveries(
        &self,
        actor: &Actor,
        id: Uuid,
        state: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<Delivery>> {
        check_may_manage(actor)?;
        if let Some(s) = state
            && !DELIVERY_STATES.contains(&s)
        {
            return Err(Error::bad_parameter(
                "state",
                "unknown_code",
                format!("must be one of: {}", DELIVERY_STATES.join(", ")),
            ));
        }
        let mut conn = self.conn().await?;
        if q::find_subscription(&mut conn, id).await?.is_none() {
            return Err(not_found(id));
        }
        let (rows, total) = q::deliveries(
            &mut conn,
            id,
            state,
            (page.page - 1) * page.per_page,
            page.per_page,
        )
        .await?;
        let event_ids: Vec<String> = rows.iter().map(|(d, _)| d.event_id.clone()).collect();
        let attempts = q::attempts(&mut conn, id, &event_ids).await?;
        let items = rows
            .into_iter()
            .map(|(d, event_type)| Delivery {
                log: attempts
                    .iter()
                    .filter(|a| a.event_id == d.event_id)
                    .map(|a| Attempt {
                        at: a.attempted_at,
                        status: a.status,
                        error: a.error.clone(),
                        duration_ms: a.duration_ms,
                    })
                    .collect(),
                next_attempt_at: (d.state == "pending").then_some(d.next_attempt_at),
                event_id: d.event_id,
                event_type,
                state: d.state,
                attempts: d.attempts,
                created_at: d.created_at,
                delivered_at: d.delivered_at,
                last_status: d.last_status,
                last_error: d.last_error,
            })
            .collect();
        Ok(Page { items, total })
    }
}

fn counts_of(counts: &[(Uuid, String, i64)], id: Uuid) -> DeliveryCounts {
    let mut c = DeliveryCounts::default();
    for (_, state, n) in counts.iter().filter(|(sub, _, _)| *sub == id) {
        match state.as_str() {
            "pending" => c.pending = *n,
            "delivered" => c.delivered = *n,
            _ => c.failed += *n,
        }
    }
    c
}

fn subscription(row: SubscriptionRow, deliveries: DeliveryCounts) -> Result<Subscription> {
    let events = row
        .events
        .iter()
        .map(|e| {
            e.parse::<EventType>()
                .map_err(|_| Error::internal(format!("stored event type `{e}` is unknown")))
        })
        .collect::<Result<_>>()?;
    Ok(Subscription {
        id: row.id,
        url: row.url,
        events,
        state: row.state,
        disabled_reason: row.disabled_reason,
        disabled_at: row.disabled_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
        deliveries,
    })
}

/// Records `revisions` and puts the webhook events they raise into the outbox, in the
/// caller's transaction: a change and its events commit together or not at all.
pub(crate) async fn keep_revisions(
    conn: &mut AsyncPgConnection,
    revisions: &[NewRevision],
) -> Result<()> {
    match revisions {
        [] => return Ok(()),
        [one] => onconet_db::revisions::insert(conn, one).await?,
        many => onconet_db::revisions::insert_many(conn, many).await?,
    }
    let now = Utc::now();
    let events: Vec<NewEvent> = revisions.iter().flat_map(|r| events_for(r, now)).collect();
    q::enqueue(conn, &events).await?;
    Ok(())
}

/// The events of one revision, with their bodies: `{type, timestamp, data}` as Standard
/// Webhooks recommends, `data` naming the network, its version and state, the action and the
/// fields that changed (names only: values may be private).
fn events_for(revision: &NewRevision, now: DateTime<Utc>) -> Vec<NewEvent> {
    let changes = revision
        .changes
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let field = |c: &serde_json::Value| c["field"].as_str().map(str::to_owned);
    let fields: Vec<String> = changes
        .iter()
        .filter_map(field)
        .filter(|f| f != "reason")
        .collect();
    let after = revision.state.parse::<RegistryState>().ok();
    let Some(after) = after else {
        return Vec::new();
    };
    let before = match changes.iter().find(|c| c["field"] == "state") {
        Some(c) => c["old"].as_str().and_then(|s| s.parse().ok()),
        None => Some(after),
    };
    let names: Vec<&str> = fields.iter().map(String::as_str).collect();
    events_of(before, after, &names)
        .into_iter()
        .map(|t| {
            new_event(
                t,
                now,
                serde_json::json!({
                    "network_id": revision.network_id,
                    "version": revision.version,
                    "state": revision.state,
                    "action": revision.action,
                    "changed": fields,
                    "href": format!("/v1/networks/{}", revision.network_id),
                }),
            )
        })
        .collect()
}

/// An event for the outbox: a new `webhook-id` and the body `{type, timestamp, data}`, as
/// Standard Webhooks recommends.
pub(crate) fn new_event(t: EventType, now: DateTime<Utc>, data: serde_json::Value) -> NewEvent {
    NewEvent {
        id: format!("msg_{}", Uuid::now_v7().simple()),
        event_type: t.as_str().into(),
        payload: serde_json::json!({
            "type": t.as_str(),
            "timestamp": millis(now),
            "data": data,
        }),
    }
}

/// An RFC 3339 time with milliseconds, as events carry times.
pub(crate) fn millis(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
