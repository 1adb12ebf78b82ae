//! Re-verification (issue 17): a published network stays verified for
//! [`VERIFICATION_VALID_DAYS`]; its editors re-confirm it without a full review
//! ([`Registry::verify`]), and each verification that runs out is announced once to webhook
//! subscribers as `network.verification_due` ([`Registry::announce_due_verifications`]).

pub use crate::networks::verification_due_before as due_before;
use crate::networks::{Author, Precondition, VERIFICATION_VALID_DAYS, lock_editable, record};
use crate::{Error, Invalid, Registry, Result};
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use onconet_db::networks::{self as q, DueVerification};
use onconet_db::notify::{self, Change};
use onconet_db::webhooks::{self as outbox, NewEvent};
use onconet_domain::events::EventType;
use onconet_domain::{Network, RegistryState, limits};
use uuid::Uuid;

/// Whether a network in `state`, last verified at `last_verified_at`, is due for
/// re-verification at `now` (only published networks are).
pub fn is_due(
    state: RegistryState,
    last_verified_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    state == RegistryState::Published && last_verified_at.is_none_or(|t| t < due_before(now))
}

impl Registry {
    /// Re-confirms the published network `id` as it is: `last_verified_at` becomes now, the
    /// version moves on (so does the ETag) and the revision (`verified`) keeps `note`, the
    /// evidence. Its editors may do it: IKNL staff and admins, and advisers of its ROS.
    pub async fn verify(
        &self,
        ctx: &Author<'_>,
        id: Uuid,
        if_match: &Precondition,
        note: Option<String>,
    ) -> Result<Network> {
        let note = onconet_domain::parse_optional_text(note.as_deref(), limits::NOTE)
            .map_err(|e| Error::Invalid(vec![Invalid::pointer("/note", e.code, e.message)]))?;
        let mut conn = self.conn().await?;
        let network = conn
            .transaction::<_, Error, _>(async |conn| {
                let current = lock_editable(conn, ctx.actor, id).await?;
                if_match.check(current.version)?;
                if current.state != RegistryState::Published {
                    return Err(Error::Conflict(format!(
                        "only a published network is re-verified; this one is {} (publishing it verifies it)",
                        current.state
                    )));
                }
                let before = onconet_db::models::snapshot(&current)?;
                let updated = q::update_state(
                    conn,
                    id,
                    current.version,
                    current.state.as_str(),
                    Some(Utc::now()),
                )
                .await?
                .ok_or(Error::Stale {
                    current_version: current.version + 1,
                })?
                .into_domain()?;
                record(conn, ctx, &updated, "verified", Some(&before), note).await?;
                notify::notify(conn, &Change::Network(id)).await?;
                Ok(updated)
            })
            .await?;
        self.geo.apply(&network)?;
        Ok(network)
    }

    /// Puts a `network.verification_due` event in the outbox for every published network
    /// whose verification ran out and was not announced yet; returns how many. Run
    /// periodically by the webhook worker; safe with several instances.
    pub async fn announce_due_verifications(&self) -> Result<usize> {
        let now = Utc::now();
        let mut conn = self.conn().await?;
        conn.transaction::<_, Error, _>(async |conn| {
            let due = q::claim_due_verifications(conn, due_before(now)).await?;
            let events: Vec<NewEvent> = due.iter().map(|d| due_event(d, now)).collect();
            outbox::enqueue(conn, &events).await?;
            if !due.is_empty() {
                tracing::info!(networks = due.len(), "verifications ran out");
            }
            Ok(due.len())
        })
        .await
    }
}

/// The event announcing one verification that ran out, in the shape of the other events.
fn due_event(d: &DueVerification, now: DateTime<Utc>) -> NewEvent {
    let t = EventType::NetworkVerificationDue;
    let millis = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    NewEvent {
        id: format!("msg_{}", Uuid::now_v7().simple()),
        event_type: t.as_str().into(),
        payload: serde_json::json!({
            "type": t.as_str(),
            "timestamp": millis(now),
            "data": {
                "network_id": d.id,
                "version": d.version,
                "state": RegistryState::Published.as_str(),
                "last_verified_at": millis(d.verified_at),
                "due_since": millis(d.verified_at + chrono::Duration::days(VERIFICATION_VALID_DAYS)),
                "href": format!("/v1/networks/{}", d.id),
            },
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_published_networks_fall_due_after_a_year() {
        let now = Utc::now();
        let days = |d: i64| Some(now - chrono::Duration::days(d));
        assert!(!is_due(RegistryState::Published, days(364), now));
        assert!(is_due(RegistryState::Published, days(366), now));
        assert!(is_due(RegistryState::Published, None, now));
        for state in [
            RegistryState::Draft,
            RegistryState::Submitted,
            RegistryState::Archived,
        ] {
            assert!(!is_due(state, days(400), now), "{state}");
        }
    }
}
