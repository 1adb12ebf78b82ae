//! The delivery worker: takes due deliveries from the outbox, signs and sends them, records
//! each attempt, retries with exponential backoff until the retry window of the event has
//! passed, then gives up and disables the subscription.

use super::WebhookSettings;
use super::signing::SigningKey;
use super::target;
use crate::{Registry, Result};
use chrono::{DateTime, Utc};
use onconet_db::webhooks::{self as q, DueDelivery, Outcome};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long to wait before attempt `attempt + 1` after attempt `attempt` (from 1) failed:
/// `base`, doubled per attempt, at most `cap`.
pub fn backoff(attempt: i32, base: Duration, cap: Duration) -> Duration {
    let doublings = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(0)
        .min(30);
    base.saturating_mul(1 << doublings).min(cap)
}

/// After a failed attempt: when to try again, or `None` when the next attempt would fall
/// after the event's retry window (`created + retry_for`).
pub fn next_attempt(
    now: DateTime<Utc>,
    created: DateTime<Utc>,
    attempt: i32,
    settings: &WebhookSettings,
) -> Option<DateTime<Utc>> {
    let wait = backoff(attempt, settings.retry_base, settings.retry_cap());
    let next = now + chrono::Duration::from_std(wait).ok()?;
    let deadline = created + chrono::Duration::from_std(settings.retry_for).ok()?;
    (next <= deadline).then_some(next)
}

/// Resolves names to public addresses only (unless private targets are allowed), at every
/// connection: a name that pointed at a public address when subscribed cannot be turned into
/// a way into the registry's own network later.
struct PublicOnly {
    allow_private: bool,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| target::check_address(a.ip(), allow_private).is_ok())
                .collect();
            if addresses.is_empty() {
                return Err("the host resolves to no public address".into());
            }
            let addresses: reqwest::dns::Addrs = Box::new(addresses.into_iter());
            Ok(addresses)
        })
    }
}

fn client(settings: &WebhookSettings) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .user_agent(concat!("onconet-webhooks/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(settings.timeout)
        .dns_resolver(Arc::new(PublicOnly {
            allow_private: settings.allow_private_targets,
        }))
        .build()
}

/// How long a taken delivery stays with its worker: the request's timeout and a margin.
fn lease(settings: &WebhookSettings) -> f64 {
    (settings.timeout + Duration::from_secs(5)).as_secs_f64()
}

/// Events delivered to everyone are kept this long for the delivery log, then deleted.
const KEEP_EVENTS: chrono::Duration = chrono::Duration::days(30);

impl Registry {
    /// Delivers webhooks until the task is stopped (spawned at start-up). A delivery taken by
    /// a worker that dies (a crash, SIGKILL) is taken again when its lease ends, and sent with
    /// the same `webhook-id`.
    pub async fn deliver_webhooks(self) {
        let settings = self.webhooks.clone();
        let client = match client(&settings) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "webhook deliveries cannot start: no HTTP client");
                return;
            }
        };
        let mut pruned = Instant::now();
        let mut checked: Option<Instant> = None;
        loop {
            if checked.is_none_or(|t| t.elapsed() >= settings.verification_check) {
                checked = Some(Instant::now());
                if let Err(e) = self.announce_due_verifications().await {
                    tracing::warn!(error = %e, "due verifications not announced");
                }
            }
            match self.deliver_due(&client).await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "webhook deliveries paused"),
            }
            if pruned.elapsed() > Duration::from_secs(3600) {
                pruned = Instant::now();
                if let Err(e) = self.prune_webhook_events().await {
                    tracing::warn!(error = %e, "old webhook events not pruned");
                }
            }
            tokio::time::sleep(settings.poll).await;
        }
    }

    /// Sends the deliveries due now (up to the worker's concurrency), returns how many.
    async fn deliver_due(&self, client: &reqwest::Client) -> Result<usize> {
        let settings = &self.webhooks;
        let due = {
            let mut conn = self.conn().await?;
            q::take_due(&mut conn, settings.concurrency as i64, lease(settings)).await?
        };
        let n = due.len();
        let sent = futures_util::future::join_all(due.into_iter().map(|d| async move {
            let outcome = attempt(client, &d, settings).await;
            (d, outcome)
        }))
        .await;
        let mut conn = self.conn().await?;
        for (due, (status, error, duration_ms)) in sent {
            let now = Utc::now();
            let gone = status == Some(410);
            let ok = status.is_some_and(|s| (200..300).contains(&s));
            let (state, next, give_up) = if ok {
                ("delivered", now, false)
            } else if gone {
                ("pending", now, false)
            } else {
                match next_attempt(now, due.retry_from, due.attempts, settings) {
                    Some(next) => ("pending", next, false),
                    None => ("failed", now, true),
                }
            };
            let outcome = Outcome {
                status,
                error: error.clone(),
                duration_ms,
                state,
                next_attempt_at: next,
            };
            q::record_attempt(&mut conn, due.subscription_id, &due.event_id, &outcome).await?;
            let what = match (status, &error) {
                (Some(s), _) => format!("HTTP {s}"),
                (None, Some(e)) => e.clone(),
                (None, None) => "no answer".into(),
            };
            if ok {
                tracing::debug!(subscription = %due.subscription_id, event = %due.event_id, attempt = due.attempts, "webhook delivered");
                continue;
            }
            tracing::info!(subscription = %due.subscription_id, event = %due.event_id, attempt = due.attempts, outcome = %what, "webhook delivery failed");
            let reason = if gone {
                Some("the receiver answered 410 Gone: it no longer wants deliveries".to_owned())
            } else if give_up {
                Some(format!(
                    "event {} could not be delivered within {} (last attempt: {what})",
                    due.event_id,
                    humane(settings.retry_for)
                ))
            } else {
                None
            };
            if let Some(reason) = reason {
                tracing::warn!(subscription = %due.subscription_id, %reason, "webhook subscription disabled");
                q::disable_subscription(&mut conn, due.subscription_id, &reason).await?;
            }
        }
        Ok(n)
    }

    async fn prune_webhook_events(&self) -> Result<()> {
        let mut conn = self.conn().await?;
        let n = q::prune_events(&mut conn, Utc::now() - KEEP_EVENTS).await?;
        if n > 0 {
            tracing::info!(events = n, "old webhook events pruned");
        }
        Ok(())
    }
}

/// `24 h`, `90 s`.
fn humane(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 && s.is_multiple_of(3600) {
        format!("{} h", s / 3600)
    } else {
        format!("{s} s")
    }
}

/// One attempt: the status the receiver answered, or why there was none; and how long it took.
async fn attempt(
    client: &reqwest::Client,
    due: &DueDelivery,
    settings: &WebhookSettings,
) -> (Option<i32>, Option<String>, i32) {
    let started = Instant::now();
    let result = send(client, due, settings).await;
    let ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    match result {
        Ok(status) => (Some(i32::from(status)), None, ms),
        Err(e) => (None, Some(e), ms),
    }
}

async fn send(
    client: &reqwest::Client,
    due: &DueDelivery,
    settings: &WebhookSettings,
) -> std::result::Result<u16, String> {
    let key = SigningKey::parse(&due.secret).map_err(|e| format!("the secret is unusable: {e}"))?;
    // The address is checked again at every attempt: an IP literal is not resolved (so the
    // resolver never sees it), and the setting may have changed since.
    let url = target::parse(&due.url, settings.allow_private_targets).map_err(|e| e.detail)?;
    let timestamp = Utc::now().timestamp();
    let signature = key.sign(&due.event_id, timestamp, due.payload.as_bytes());
    let response = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("webhook-id", &due.event_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(due.payload.clone())
        .send()
        .await
        .map_err(|e| describe(&e))?;
    Ok(response.status().as_u16())
}

/// A transport error without the URL (which may carry a token of the receiver's).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "the request failed"
    };
    let mut cause = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {cause}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let base = Duration::from_secs(5);
        let cap = Duration::from_secs(7200);
        let waits: Vec<u64> = (1..=12).map(|a| backoff(a, base, cap).as_secs()).collect();
        assert_eq!(
            waits,
            [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120, 7200]
        );
        assert_eq!(backoff(1000, base, cap), cap);
        assert_eq!(backoff(0, base, cap), base);
    }

    #[test]
    fn retries_stop_after_the_window() {
        let settings = WebhookSettings::default();
        let created = Utc::now();
        // With the defaults (5 s doubling to 2 h, for 24 h) an event gets 20 attempts or so.
        let mut now = created;
        let mut attempts = 1;
        while let Some(next) = next_attempt(now, created, attempts, &settings) {
            now = next;
            attempts += 1;
        }
        assert!((15..=25).contains(&attempts), "{attempts} attempts");
        assert!(now - created <= chrono::Duration::hours(24));
        assert!(now - created > chrono::Duration::hours(22));
    }
}
