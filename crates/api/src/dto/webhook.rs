//! What `/v1/webhooks` takes and answers.

use chrono::{DateTime, Utc};
use onconet_registry::webhooks::{
    Attempt, Delivery, NewSubscription, Subscription, SubscriptionChange,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A new subscription.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookBody {
    /// Where deliveries are POSTed: `https`, at most 2000 characters, a public address (names
    /// are resolved and every address checked).
    #[schema(max_length = 2000, example = "https://ros-noord.example/onconet-hook")]
    pub url: String,
    #[schema(schema_with = crate::dto::schema::webhook_events)]
    pub events: Vec<String>,
    /// The signing secret, `whsec_` and 24–64 random bytes in base64 (Standard Webhooks).
    /// Leave out to have one made; either way it is answered once, in the 201, and never shown
    /// again.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: Option<String>,
}

impl From<WebhookBody> for NewSubscription {
    fn from(b: WebhookBody) -> Self {
        Self {
            url: b.url,
            events: b.events,
            secret: b.secret,
        }
    }
}

/// A change to a subscription: what is given replaces what is stored.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    #[schema(max_length = 2000, example = "https://ros-noord.example/onconet-hook")]
    pub url: Option<String>,
    #[schema(schema_with = crate::dto::schema::webhook_events)]
    pub events: Option<Vec<String>>,
    /// `active` starts deliveries again (what was still pending is tried at once); `disabled`
    /// stops them.
    #[schema(schema_with = crate::dto::schema::webhook_state)]
    pub state: Option<String>,
}

impl From<WebhookPatch> for SubscriptionChange {
    fn from(p: WebhookPatch) -> Self {
        Self {
            url: p.url,
            events: p.events,
            state: p.state,
        }
    }
}

/// How many deliveries a subscription has in each state.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct DeliveryCountsResponse {
    pub pending: i64,
    pub delivered: i64,
    pub failed: i64,
}

/// A webhook subscription. Its secret is only in the answer that created it.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookResponse {
    pub id: Uuid,
    pub url: String,
    #[schema(schema_with = crate::dto::schema::webhook_events)]
    pub events: Vec<&'static str>,
    #[schema(schema_with = crate::dto::schema::webhook_state)]
    pub state: String,
    /// Why it is disabled: by whom, or which delivery failed for the whole retry window, or
    /// that the receiver answered 410 Gone.
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deliveries: DeliveryCountsResponse,
    /// The signing secret: only in the 201 of `POST /v1/webhooks`; keep it, it is never shown
    /// again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl WebhookResponse {
    pub fn new(s: Subscription, secret: Option<String>) -> Self {
        Self {
            id: s.id,
            url: s.url,
            events: s.events.iter().map(|e| e.as_str()).collect(),
            state: s.state,
            disabled_reason: s.disabled_reason,
            disabled_at: s.disabled_at,
            created_at: s.created_at,
            updated_at: s.updated_at,
            deliveries: DeliveryCountsResponse {
                pending: s.deliveries.pending,
                delivered: s.deliveries.delivered,
                failed: s.deliveries.failed,
            },
            secret,
        }
    }
}

/// One attempt to deliver an event.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptResponse {
    pub at: DateTime<Utc>,
    /// The HTTP status the receiver answered; absent when there was no answer.
    pub status: Option<i32>,
    /// Why there was no answer (refused, timed out, …).
    pub error: Option<String>,
    pub duration_ms: i32,
}

impl From<Attempt> for AttemptResponse {
    fn from(a: Attempt) -> Self {
        Self {
            at: a.at,
            status: a.status,
            error: a.error,
            duration_ms: a.duration_ms,
        }
    }
}

/// An event owed to a subscription and what became of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryResponse {
    /// The event id: the `webhook-id` header of every attempt.
    #[schema(example = "msg_0193a4f2c1d87b3e9f5a6c2d1e0b4a77")]
    pub event_id: String,
    #[schema(example = "network.published")]
    pub event_type: String,
    #[schema(schema_with = crate::dto::schema::delivery_state)]
    pub state: String,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    /// When it is tried next (pending only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    /// Every attempt, oldest first.
    pub log: Vec<AttemptResponse>,
}

impl From<Delivery> for DeliveryResponse {
    fn from(d: Delivery) -> Self {
        Self {
            event_id: d.event_id,
            event_type: d.event_type,
            state: d.state,
            attempts: d.attempts,
            created_at: d.created_at,
            next_attempt_at: d.next_attempt_at,
            delivered_at: d.delivered_at,
            last_status: d.last_status,
            last_error: d.last_error,
            log: d.log.into_iter().map(Into::into).collect(),
        }
    }
}
