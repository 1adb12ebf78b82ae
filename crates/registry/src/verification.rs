//! Re-verification (issue 17): a published network stays verified for
//! [`VERIFICATION_VALID_DAYS`] (the rule: [`onconet_domain::verification`]); its editors
//! re-confirm it without a full review
//! ([`Registry::verify`]), and each verification that runs out is announced once to webhook
//! subscribers as `network.verification_due` ([`Registry::announce_due_verifications`]).

use crate::networks::proposals::Outcome;
use crate::networks::{Author, Precondition, lock_editable, parse_note, write_state};
use crate::webhooks::{millis, new_event};
use crate::{Error, Registry, Result};
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use onconet_db::networks::{self as q, DueVerification};
use onconet_db::notify::{self, Change};
use onconet_db::webhooks::{self as outbox, NewEvent};
use onconet_domain::RegistryState;
use onconet_domain::events::EventType;
use onconet_domain::proposal::needs_review;
pub use onconet_domain::verification::VERIFICATION_VALID_DAYS;
use onconet_domain::verification::{due_before, runs_out_at};
use uuid::Uuid;

impl Registry {
    /// Re-confirms the published network `id` as it is: `last_verified_at` becomes now, the
    /// version moves on (so does the ETag) and the revision (`verified`) keeps `note`, the
    /// evidence. IKNL staff and admins verify at once; an adviser of its ROS says it is still
    /// correct, which staff confirm ([`Registry::decide`]): a proposal until then.
    pub async fn verify(
        &self,
        ctx: &Author<'_>,
        id: Uuid,
        if_match: &Precondition,
        note: Option<String>,
    ) -> Result<Outcome> {
        let note = parse_note("/note", note)?;
        let mut conn = self.conn().await?;
        let outcome = conn
            .transaction::<_, Error, _>(async |conn| {
                let current = lock_editable(conn, ctx.actor, id).await?;
                if_match.check(current.version)?;
                if current.state != RegistryState::Published {
                    return Err(Error::Conflict(format!(
                        "only a published network is re-verified; this one is {} (publishing it verifies it)",
                        current.state
                    )));
                }
                if needs_review(ctx.actor, current.state) {
                    let proposal = self
                        .propose_verification(conn, ctx, &current, note)
                        .await?;
                    return Ok(Outcome::Proposed(proposal));
                }
                write_state(
                    conn,
                    ctx,
                    &current,
                    current.state,
                    Some(Utc::now()),
                    "verified",
                    note,
                    None,
                )
                .await
                .map(Outcome::Applied)
            })
            .await?;
        if let Outcome::Applied(network) = &outcome {
            self.geo.apply(network)?;
        }
        Ok(outcome)
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
            // Nothing stored changed, but what the network shows did (`verification_overdue`,
            // LOPPSOZ criterion 7): every instance renders its public document again.
            let aged: Vec<Change> = due.iter().map(|d| Change::Aged(d.id)).collect();
            notify::notify_many(conn, &aged).await?;
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
    let due_since = runs_out_at(d.verified_at);
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
