//! Re-verification (issue 17): a published network stays verified for
//! [`VERIFICATION_VALID_DAYS`]; its editors re-confirm it without a full review
//! ([`Registry::verify`]), and each verification that runs out is announced once to webhook
//! subscribers as `network.verification_due` ([`Registry::announce_due_verifications`]).

use crate::networks::{
    Author, Precondition, VERIFICATION_VALID_DAYS, lock_editable, parse_note,
    verification_due_before, write_state,
};
use crate::webhooks::{millis, new_event};
use crate::{Error, Registry, Result};
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use onconet_db::networks::{self as q, DueVerification};
use onconet_db::webhooks::{self as outbox, NewEvent};
use onconet_domain::events::EventType;
use onconet_domain::{Network, RegistryState};
use uuid::Uuid;

/// Whether a network in `state`, last verified at `last_verified_at`, is due for
/// re-verification at `now` (only published networks are).
pub fn is_due(
    state: RegistryState,
    last_verified_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    state == RegistryState::Published
        && last_verified_at.is_none_or(|t| t < verification_due_before(now))
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
        let note = parse_note("/note", note)?;
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
                write_state(
                    conn,
                    ctx,
                    &current,
                    current.state,
                    Some(Utc::now()),
                    "verified",
                    note,
                )
                .await
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
            let due = q::claim_due_verifications(conn, verification_due_before(now)).await?;
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
    let due_since = d.verified_at + chrono::Duration::days(VERIFICATION_VALID_DAYS);
    new_event(
        EventType::NetworkVerificationDue,
        now,
        serde_json::json!({
            "network_id": d.id,
            "version": d.version,
            "state": RegistryState::Published.as_str(),
            "last_verified_at": millis(d.verified_at),
            "due_since": millis(due_since),
            "href": format!("/v1/networks/{}", d.id),
        }),
    )
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
