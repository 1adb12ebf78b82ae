//! Proposed changes (issue 19): a ROS adviser's change to a published network, and their
//! "still correct", wait for IKNL's decision while the published profile stays as it is
//! (the rules: [`onconet_domain::proposal`]). At most one proposal per network is pending; the
//! adviser who made it amends it until it is decided. Accepting applies it as the network's
//! next version, only while the version it was made on is still current, so nothing changed
//! in between is ever overwritten unseen. The change feed, search and exports read the
//! networks table, which holds accepted changes only.

use super::{
    Author, Precondition, ProfileDocument, check_external_id, check_references, checked_profile,
    not_found, parse_note, write_profile, write_state,
};
use crate::{Error, Invalid, Registry, Result};
use chrono::Utc;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use onconet_db::networks::{self as q, PageRequest};
pub use onconet_db::proposals::ProposalRow as Proposal;
use onconet_db::proposals::{self as store, Decision, NewProposal};
use onconet_domain::changes::diff;
use onconet_domain::proposal::{DecisionError, ProposalKind, ProposalState, check_decision};
use onconet_domain::{Actor, Network, NetworkProfile, RegistryState, Role};
use uuid::Uuid;

/// What a change or a verification by an editor came to.
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "one per request, returned once: boxing would buy nothing"
)]
pub enum Outcome {
    /// Applied: the network as it is now.
    Applied(Network),
    /// Waiting for IKNL's decision: the proposal.
    Proposed(Proposal),
}

/// The one pending proposal `actor` may amend (their own, of `kind`, made on the current
/// version); a 409 naming the proposal otherwise.
pub(crate) fn own_pending(
    actor: &Actor,
    pending: Proposal,
    kind: ProposalKind,
    current_version: i64,
) -> Result<Proposal> {
    let conflict = |detail: String| Error::ProposalConflict {
        detail,
        proposal_id: pending.id,
    };
    if pending.proposed_by != actor.sub {
        return Err(conflict(format!(
            "this network has a pending proposal by someone else ({}): IKNL accepts or rejects it, or its author withdraws it, before another is made",
            pending.id
        )));
    }
    if pending.kind != kind.as_str() {
        return Err(conflict(format!(
            "your {} ({}) waits for IKNL: withdraw it first to {}",
            if pending.kind == ProposalKind::Verification.as_str() {
                "confirmation that the network is still correct"
            } else {
                "proposed change"
            },
            pending.id,
            if kind == ProposalKind::Change {
                "propose a change"
            } else {
                "confirm the published profile as it is"
            }
        )));
    }
    if pending.base_version != current_version {
        return Err(conflict(format!(
            "your pending proposal ({}) was made on version {}, and the network is now at version {}: withdraw it and propose again on the current profile",
            pending.id, pending.base_version, current_version
        )));
    }
    Ok(pending)
}

/// Records a proposed change of `current` by `ctx` (a new proposal, or `amending` the
/// author's own): the proposed document in the shape PATCH applies to, and its changes
/// against the published profile.
pub(crate) async fn propose_change(
    conn: &mut AsyncPgConnection,
    ctx: &Author<'_>,
    current: &Network,
    amending: Option<Proposal>,
    proposed: &NetworkProfile,
    document: serde_json::Value,
) -> Result<Option<Proposal>> {
    let changes = profile_changes(&current.profile, proposed)?;
    let proposal = match amending {
        // Every proposed change undone: nothing is left to review.
        Some(p) if proposed == &current.profile => {
            decide_row(
                conn,
                &p,
                &Decision {
                    state: ProposalState::Withdrawn.as_str(),
                    decided_by: &ctx.actor.sub,
                    decided_by_name: ctx.actor.name.as_deref(),
                    reason: Some("every proposed change was undone"),
                    applied_version: None,
                },
            )
            .await?;
            return Ok(None);
        }
        Some(p) => store::amend(conn, p.id, p.version, Some(&document), &changes, None)
            .await?
            .ok_or_else(|| Error::Conflict("the proposal changed meanwhile; try again".into()))?,
        None => {
            store::insert(
                conn,
                &NewProposal {
                    id: Uuid::now_v7(),
                    network_id: current.id,
                    kind: ProposalKind::Change.as_str().into(),
                    base_version: current.version,
                    document: Some(document),
                    changes,
                    note: None,
                    proposed_by: ctx.actor.sub.clone(),
                    proposed_by_name: ctx.actor.name.clone(),
                },
            )
            .await?
        }
    };
    // Field names only: values may be non-public contact data.
    tracing::info!(network = %current.id, proposal = %proposal.id, version = proposal.version, "change proposed");
    Ok(Some(proposal))
}

/// What `after` changes in `before`, field by field, as revisions list it.
fn profile_changes(before: &NetworkProfile, after: &NetworkProfile) -> Result<serde_json::Value> {
    let before = serde_json::to_value(before).map_err(Error::internal)?;
    let after = serde_json::to_value(after).map_err(Error::internal)?;
    serde_json::to_value(diff(&before, &after)).map_err(Error::internal)
}

async fn decide_row(
    conn: &mut AsyncPgConnection,
    p: &Proposal,
    decision: &Decision<'_>,
) -> Result<Proposal> {
    store::decide(conn, p.id, p.version, decision)
        .await?
        .ok_or(Error::Stale {
            current_version: p.version + 1,
        })
}

/// The revision entry naming the accepted proposal and its author.
fn proposal_entry(p: &Proposal) -> serde_json::Value {
    serde_json::json!({
        "field": "proposal",
        "old": null,
        "new": {
            "id": p.id,
            "kind": p.kind,
            "proposed_by": {"sub": p.proposed_by, "name": p.proposed_by_name},
            "proposed_at": p.created_at,
        }
    })
}

/// Whether `actor` sees the proposals of a network of `network`'s ROS (its editors and IKNL
/// staff); a 404 for a draft they may not see, a 403 for a published network.
fn check_may_see(actor: &Actor, network: &Network) -> Result<()> {
    if actor.can_view_private(network.profile.ros_org.as_ref()) {
        Ok(())
    } else if network.state == RegistryState::Published {
        Err(Error::Forbidden(
            "proposals are for the network's editors and IKNL staff".into(),
        ))
    } else {
        Err(not_found(network.id))
    }
}

impl Registry {
    /// Records `actor`'s "still correct" on published network `current` (locked by the
    /// caller) as a verification proposal for IKNL to confirm, with `note` as the evidence; an
    /// earlier one of theirs still pending gets the new note.
    pub(crate) async fn propose_verification(
        &self,
        conn: &mut AsyncPgConnection,
        ctx: &Author<'_>,
        current: &Network,
        note: Option<String>,
    ) -> Result<Proposal> {
        let pending = match store::pending_for_update(conn, current.id).await? {
            Some(p) => Some(own_pending(
                ctx.actor,
                p,
                ProposalKind::Verification,
                current.version,
            )?),
            None => None,
        };
        let proposal = match pending {
            Some(p) => store::amend(
                conn,
                p.id,
                p.version,
                None,
                &serde_json::json!([]),
                note.as_deref(),
            )
            .await?
            .ok_or_else(|| Error::Conflict("the proposal changed meanwhile; try again".into()))?,
            None => {
                store::insert(
                    conn,
                    &NewProposal {
                        id: Uuid::now_v7(),
                        network_id: current.id,
                        kind: ProposalKind::Verification.as_str().into(),
                        base_version: current.version,
                        document: None,
                        changes: serde_json::json!([]),
                        note,
                        proposed_by: ctx.actor.sub.clone(),
                        proposed_by_name: ctx.actor.name.clone(),
                    },
                )
                .await?
            }
        };
        tracing::info!(network = %current.id, proposal = %proposal.id, "verification proposed");
        Ok(proposal)
    }

    /// Every proposal of network `id`, oldest first, for its editors and IKNL staff.
    pub async fn proposals(&self, id: Uuid, viewer: &Actor) -> Result<Vec<Proposal>> {
        let mut conn = self.conn().await?;
        let network = q::find(&mut conn, id)
            .await?
            .ok_or_else(|| not_found(id))?
            .into_domain()?;
        check_may_see(viewer, &network)?;
        Ok(store::for_network(&mut conn, id).await?)
    }

    /// Proposal `proposal` of network `id`.
    pub async fn proposal(&self, id: Uuid, proposal: Uuid, viewer: &Actor) -> Result<Proposal> {
        self.proposals(id, viewer)
            .await?
            .into_iter()
            .find(|p| p.id == proposal)
            .ok_or_else(|| no_proposal(id, proposal))
    }

    /// One page of the pending proposals, oldest first, with their network's name: every one
    /// for IKNL staff and admins, those of their own ROS for an adviser.
    pub async fn pending_proposals(
        &self,
        viewer: &Actor,
        page: PageRequest,
    ) -> Result<(Vec<(Proposal, String)>, i64)> {
        let ros_org = if viewer.is_registry_staff() {
            None
        } else {
            match viewer
                .org
                .as_deref()
                .filter(|_| viewer.has(Role::RosAdviser))
            {
                Some(org) => Some(org),
                None => {
                    return Err(Error::Forbidden(
                        "the review queue is for IKNL staff, admins and ROS advisers (their own ROS)"
                            .into(),
                    ));
                }
            }
        };
        let mut conn = self.conn().await?;
        Ok(store::pending(&mut conn, ros_org, page).await?)
    }

    /// Moves proposal `proposal` of network `id` to `to`: IKNL staff accept (the proposal
    /// becomes the network's next version, or confirms its verification) or reject it (with
    /// a reason the adviser reads); its author withdraws it. `if_match` names the version of
    /// the proposal decided on. Returns the proposal and, when accepted, the network.
    pub async fn decide<D: ProfileDocument>(
        &self,
        ctx: &Author<'_>,
        id: Uuid,
        proposal: Uuid,
        if_match: &Precondition,
        to: ProposalState,
        reason: Option<String>,
    ) -> Result<(Proposal, Option<Network>)> {
        let reason = parse_note("/reason", reason)?;
        let actor = ctx.actor;
        let mut conn = self.conn().await?;
        let decided = conn
            .transaction::<_, Error, _>(async |conn| {
                let network = q::find_for_update(conn, id)
                    .await?
                    .ok_or_else(|| not_found(id))?
                    .into_domain()?;
                check_may_see(actor, &network)?;
                let p = store::find_for_update(conn, id, proposal)
                    .await?
                    .ok_or_else(|| no_proposal(id, proposal))?;
                let from: ProposalState = p.state.parse().map_err(Error::internal)?;
                check_decision(actor, &p.proposed_by, from, to).map_err(|e| match e {
                    DecisionError::Forbidden(m) => Error::Forbidden(m),
                    DecisionError::NotAllowed(m) => Error::Conflict(m),
                    DecisionError::NotADecision => Error::Invalid(vec![Invalid::pointer(
                        "/to",
                        "not_a_decision",
                        e.to_string(),
                    )]),
                })?;
                if_match.check(p.version)?;
                if to == ProposalState::Rejected && reason.is_none() {
                    return Err(Error::Invalid(vec![Invalid::pointer(
                        "/reason",
                        "required",
                        "say why the proposal is rejected: its author reads it",
                    )]));
                }
                let mut decision = Decision {
                    state: to.as_str(),
                    decided_by: &actor.sub,
                    decided_by_name: actor.name.as_deref(),
                    reason: reason.as_deref(),
                    applied_version: None,
                };
                if to != ProposalState::Accepted {
                    let decided = decide_row(conn, &p, &decision).await?;
                    tracing::info!(network = %id, proposal = %p.id, state = to.as_str(), "proposal decided");
                    return Ok((decided, None));
                }
                if p.base_version != network.version {
                    return Err(Error::ProposalConflict {
                        detail: format!(
                            "the proposal was made on version {} and the network is now at version {}: accepting it would undo what changed in between, so nothing was changed; reject it, or its author withdraws it and proposes again",
                            p.base_version, network.version
                        ),
                        proposal_id: p.id,
                    });
                }
                let updated = match p.kind.parse::<ProposalKind>().map_err(Error::internal)? {
                    ProposalKind::Change => self.apply_proposal::<D>(conn, ctx, &network, &p).await?,
                    ProposalKind::Verification => {
                        if network.state != RegistryState::Published {
                            return Err(Error::Conflict(format!(
                                "the network is {}; only a published network is verified",
                                network.state
                            )));
                        }
                        let note = [p.note.as_deref(), reason.as_deref()]
                            .into_iter()
                            .flatten()
                            .collect::<Vec<_>>()
                            .join("\n");
                        write_state(
                            conn,
                            ctx,
                            &network,
                            network.state,
                            Some(Utc::now()),
                            "verified",
                            (!note.is_empty()).then_some(note),
                            Some(proposal_entry(&p)),
                        )
                        .await?
                    }
                };
                decision.applied_version = Some(updated.version);
                let decided = decide_row(conn, &p, &decision).await?;
                tracing::info!(network = %id, proposal = %p.id, version = updated.version, "proposal accepted");
                Ok((decided, Some(updated)))
            })
            .await?;
        if let (_, Some(network)) = &decided {
            self.geo.apply(network)?;
        }
        Ok(decided)
    }

    /// Applies change proposal `p` to `current` (locked by the caller): every rule is checked
    /// again (a vocabulary may have changed since), the area derived, the revision kept.
    async fn apply_proposal<D: ProfileDocument>(
        &self,
        conn: &mut AsyncPgConnection,
        ctx: &Author<'_>,
        current: &Network,
        p: &Proposal,
    ) -> Result<Network> {
        let document = p
            .document
            .clone()
            .ok_or_else(|| Error::Internal(format!("change proposal {} has no document", p.id)))?;
        let checked = checked_profile(self, D::from_document(document)?, current.id).await?;
        check_references(conn, ctx.actor, current.id, &checked.profile).await?;
        check_external_id(conn, current.id, &checked.profile).await?;
        write_profile(self, conn, ctx, current, checked, Some(proposal_entry(p))).await
    }
}

fn no_proposal(id: Uuid, proposal: Uuid) -> Error {
    Error::NotFound(format!("network {id} has no proposal {proposal}"))
}
