//! Proposed changes to published networks and verifications waiting for IKNL (issue 19).

use crate::dto::revision::{Actor, FieldChangeResponse};
use chrono::{DateTime, Utc};
use onconet_registry::proposals::Proposal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A proposal: an adviser's change to a published network, or their "still correct", waiting
/// for IKNL's decision (or decided).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProposalResponse {
    pub id: Uuid,
    pub network_id: Uuid,
    /// `change` (a changed profile) or `verification` (the published profile is still correct).
    #[schema(example = "change")]
    pub kind: String,
    /// `pending`, `accepted`, `rejected` or `withdrawn`.
    #[schema(example = "pending")]
    pub state: String,
    /// The network version it was made on: it is accepted only while that is current.
    pub base_version: i64,
    /// The proposal's own version (its ETag, `"v<version>"`): it moves on when its author
    /// amends it, so a reviewer decides on what they saw.
    pub version: i64,
    /// What it changes against version `base_version`, field by field.
    pub changes: Vec<FieldChangeResponse>,
    /// The proposed profile, in the shape `PATCH /v1/networks/{id}` applies to (a change only).
    #[schema(value_type = Option<Object>)]
    pub proposed: Option<serde_json::Value>,
    /// The author's note (a verification's evidence).
    pub note: Option<String>,
    pub proposed_by: Actor,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Who accepted, rejected or withdrew it.
    pub decided_by: Option<Actor>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Why it was rejected (or a note on the decision).
    pub reason: Option<String>,
    /// The network version its acceptance wrote.
    pub applied_version: Option<i64>,
    /// The network's name (in the review queue).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_name: Option<String>,
    #[schema(
        example = "/v1/networks/0190f5a0-0000-7000-8000-000000000000/proposals/0190f5a0-0000-7000-8000-000000000001"
    )]
    pub href: String,
}

impl From<Proposal> for ProposalResponse {
    fn from(p: Proposal) -> Self {
        Self {
            href: format!("/v1/networks/{}/proposals/{}", p.network_id, p.id),
            id: p.id,
            network_id: p.network_id,
            kind: p.kind,
            state: p.state,
            base_version: p.base_version,
            version: p.version,
            changes: serde_json::from_value::<Vec<onconet_domain::changes::FieldChange>>(p.changes)
                .unwrap_or_default()
                .into_iter()
                .map(|c| FieldChangeResponse {
                    field: c.field,
                    old: c.old,
                    new: c.new,
                })
                .collect(),
            proposed: p.document,
            note: p.note,
            proposed_by: Actor {
                sub: p.proposed_by,
                name: p.proposed_by_name,
            },
            created_at: p.created_at,
            updated_at: p.updated_at,
            decided_by: p.decided_by.map(|sub| Actor {
                sub,
                name: p.decided_by_name,
            }),
            decided_at: p.decided_at,
            reason: p.reason,
            applied_version: p.applied_version,
            network_name: None,
        }
    }
}

/// `GET /v1/networks/{id}/proposals`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProposalsResponse {
    pub network_id: Uuid,
    /// Every proposal, oldest first.
    pub items: Vec<ProposalResponse>,
}

/// `POST /v1/networks/{id}/proposals/{proposal_id}/transitions`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalTransitionRequest {
    /// `accepted` or `rejected` (IKNL staff and admins), `withdrawn` (its author).
    #[schema(schema_with = crate::dto::schema::proposal_decision)]
    pub to: onconet_domain::proposal::ProposalState,
    /// Why: required to reject (its author reads it). At most 1,000 characters, no control
    /// characters but line breaks and tabs.
    #[serde(default)]
    pub reason: Option<String>,
}
