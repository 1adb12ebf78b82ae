//! `/v1/changes`: a cursor feed of changes to published networks, for sites that sync, and
//! `/v1/networks/{id}/history` for editors.

use crate::auth::MaybeActor;
use crate::dto::network::{NetworkBody, NetworkFields};
use crate::error::{ApiError, ApiResult, Problem};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use onconet_registry::Registry;
use onconet_registry::feed::ChangePage;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// The cursor of the last change you have (`next` of the previous page); 0 or absent: from the start.
    #[param(value_type = Option<i64>, minimum = 0, example = 0)]
    pub since: Option<String>,
    /// Changes per page, 1–500 (default 100).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500, example = 100)]
    pub limit: Option<String>,
}

impl crate::extract::ListParams for ChangesQuery {}

/// A network's public profile as it is now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeedNetwork {
    pub id: Uuid,
    /// Its current version (the change's own is the entry's `version`).
    pub version: i64,
    #[serde(flatten)]
    pub profile: NetworkFields,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeEntry {
    /// Position in the feed; pass the last one as `since`.
    pub cursor: i64,
    pub network_id: Uuid,
    /// `published` (newly visible), `updated` (changed while published) or `unpublished`
    /// (archived or back to draft: remove it).
    #[schema(example = "updated")]
    pub kind: String,
    pub version: i64,
    pub at: DateTime<Utc>,
    /// The network's public profile as it is now: what a syncing site should show. Absent when
    /// it is no longer published (a later entry says `unpublished`). Now, not as it was at the
    /// change, so that a contact withdrawn from the public, or erased, leaves the feed at once.
    pub network: Option<FeedNetwork>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangesResponse {
    pub items: Vec<ChangeEntry>,
    /// The cursor to ask for next (`since`); equal to the request's when nothing is new.
    pub next: i64,
}

/// Changes to published networks in order (created, updated, unpublished), after `since`.
/// Public profiles only: non-public contacts never appear.
#[utoipa::path(
    tag = "networks",
    params(ChangesQuery),
    responses(
        (status = 200, description = "The next changes", body = ChangesResponse, headers(("Link" = String, description = "rel=next with the cursor"))),
        (status = 400, description = "A parameter is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/changes")]
pub async fn list_changes(
    req: HttpRequest,
    registry: web::Data<Registry>,
    query: crate::extract::Query<ChangesQuery>,
) -> ApiResult<HttpResponse> {
    // Unparseable numbers fall out of range, where the registry names them.
    let since = query
        .since
        .as_deref()
        .map_or(Some(0), |s| s.trim().parse::<i64>().ok())
        .unwrap_or(-1);
    let limit = query
        .limit
        .as_deref()
        .map_or(Some(100), |l| l.trim().parse::<i64>().ok())
        .unwrap_or(0);
    let ChangePage { items, next } = registry.changes(since, limit).await?;
    let items: Vec<ChangeEntry> = items
        .into_iter()
        .map(|c| ChangeEntry {
            cursor: c.cursor,
            network_id: c.network_id,
            kind: c.kind.as_str().into(),
            version: c.version,
            at: c.at,
            network: c.network.map(|n| FeedNetwork {
                id: n.id,
                version: n.version,
                profile: NetworkBody::from_profile(&n.profile).into(),
            }),
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((
            header::LINK,
            format!("<{}?since={next}&limit={limit}>; rel=\"next\"", req.path()),
        ))
        .insert_header((header::CACHE_CONTROL, "public, max-age=10"))
        .json(ChangesResponse { items, next }))
}

pub use crate::dto::revision::{Actor, FieldChangeResponse};

#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionResponse {
    pub version: i64,
    /// `created`, `updated`, `transition`, `erased` (personal data removed),
    /// `area_rederived` (a region layer was imported again and the derived area changed),
    /// `imported` (a bulk import) or `verified` (re-confirmed as it is; the note is the
    /// `reason` change).
    pub action: String,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    /// The request that made the change (for support).
    pub request_id: Option<String>,
    /// The registry state after the change.
    pub state: String,
    /// The fields that changed, with old and new values.
    pub changes: Vec<FieldChangeResponse>,
}

/// A stored revision's parts (of a network or a toolbox item).
pub struct HistoryEntries {
    pub version: i64,
    pub action: String,
    pub at: DateTime<Utc>,
    pub actor_sub: String,
    pub actor_name: Option<String>,
    pub request_id: Option<String>,
    pub state: String,
    /// The stored list of field changes.
    pub changes: serde_json::Value,
}

impl RevisionResponse {
    pub fn from_entries(r: HistoryEntries) -> Self {
        RevisionResponse {
            version: r.version,
            action: r.action,
            at: r.at,
            actor: Actor {
                sub: r.actor_sub,
                name: r.actor_name,
            },
            request_id: r.request_id,
            state: r.state,
            changes: serde_json::from_value::<Vec<onconet_domain::changes::FieldChange>>(r.changes)
                .unwrap_or_default()
                .into_iter()
                .map(|c| FieldChangeResponse {
                    field: c.field,
                    old: c.old,
                    new: c.new,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryResponse {
    pub network_id: Uuid,
    /// Every revision, oldest first.
    pub items: Vec<RevisionResponse>,
}

/// Every revision of a network: who, when, which fields changed, old and new values. For
/// editors of the network and IKNL staff.
#[utoipa::path(
    tag = "networks",
    params(("id" = String, Path, description = "Network id (UUID)")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The history", body = HistoryResponse),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an editor of this network", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such network", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/networks/{id}/history")]
pub async fn get_history(
    registry: web::Data<Registry>,
    path: web::Path<String>,
    actor: MaybeActor,
) -> ApiResult<HttpResponse> {
    let id = Uuid::parse_str(&path)
        .map_err(|_| ApiError::NotFound(format!("`{path}` is not a network id (a UUID)")))?;
    let items = registry
        .history(id, actor.0.as_ref())
        .await?
        .into_iter()
        .map(|r| {
            RevisionResponse::from_entries(HistoryEntries {
                version: r.version,
                action: r.action,
                at: r.created_at,
                actor_sub: r.actor_sub,
                actor_name: r.actor_name,
                request_id: r.request_id,
                state: r.state,
                changes: r.changes,
            })
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .json(HistoryResponse {
            network_id: id,
            items,
        }))
}
