//! `/v1/networks/{id}/proposals` and the review queue `/v1/proposals`: thin handlers over
//! [`onconet_registry::proposals`].

use crate::auth::RequireActor;
use crate::dto::network::NetworkBody;
use crate::dto::page::{ListResponse, PageInfo, parse_paging};
use crate::dto::proposal::{ProposalResponse, ProposalTransitionRequest, ProposalsResponse};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{etag, from_value, if_match, if_none_match, parse_json_value, read_body};
use crate::routes::networks::{author, parse_id};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use onconet_registry::Registry;
use onconet_registry::networks::PageRequest;
use onconet_registry::proposals::Proposal;
use serde::Deserialize;
use tracing_actix_web::RequestId;
use utoipa::IntoParams;
use uuid::Uuid;

/// A proposal with its ETag (and its `Location` when just made).
pub(crate) fn proposal_response(status: StatusCode, p: Proposal) -> ApiResult<HttpResponse> {
    let body = ProposalResponse::from(p);
    let mut response = HttpResponse::build(status);
    response
        .insert_header((header::ETAG, etag(body.version)))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"));
    if status == StatusCode::ACCEPTED {
        response.insert_header((
            header::LOCATION,
            header::HeaderValue::from_str(&body.href).map_err(ApiError::internal)?,
        ));
    }
    Ok(response.json(body))
}

fn parse_proposal_id(raw: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| {
        ApiError::NotFound(format!(
            "`{}` is not a proposal id (a UUID)",
            crate::error::abbreviated(raw, 64)
        ))
    })
}

/// Every proposal of a network, pending and decided, oldest first: its editors and IKNL
/// staff.
#[utoipa::path(
    tag = "proposals",
    params(("id" = String, Path, description = "Network id (UUID)")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The proposals", body = ProposalsResponse),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an editor of this network", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such network (or not visible to you)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/networks/{id}/proposals")]
pub async fn list_proposals(
    path: web::Path<String>,
    registry: web::Data<Registry>,
    actor: RequireActor,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&path)?;
    let items = registry
        .proposals(id, &actor.0)
        .await?
        .into_iter()
        .map(ProposalResponse::from)
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .json(ProposalsResponse {
            network_id: id,
            items,
        }))
}

/// One proposal, with its ETag (send it back in `If-Match` to decide on it).
#[utoipa::path(
    tag = "proposals",
    params(
        ("id" = String, Path, description = "Network id (UUID)"),
        ("proposal_id" = String, Path, description = "Proposal id (UUID)"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The proposal", body = ProposalResponse, headers(("ETag" = String, description = "Send it back in If-Match to decide"))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an editor of this network", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such network or proposal", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/networks/{id}/proposals/{proposal_id}")]
pub async fn get_proposal(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    registry: web::Data<Registry>,
    actor: RequireActor,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&path.0)?;
    let proposal_id = parse_proposal_id(&path.1)?;
    let p = registry.proposal(id, proposal_id, &actor.0).await?;
    let tag = etag(p.version);
    if if_none_match(&req, &tag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, tag))
            .finish());
    }
    proposal_response(StatusCode::OK, p)
}

/// Decide on a proposal: IKNL staff and admins accept it (a change becomes the network's next
/// version, a verification sets `last_verified_at`; only while the network is still at the
/// version the proposal was made on) or reject it with a reason; its author withdraws it.
/// `If-Match` names the version of the proposal decided on.
#[utoipa::path(
    tag = "proposals",
    params(
        ("id" = String, Path, description = "Network id (UUID)"),
        ("proposal_id" = String, Path, description = "Proposal id (UUID)"),
        ("If-Match" = String, Header, description = "The ETag of the proposal you decide on"),
    ),
    request_body(content = ProposalTransitionRequest, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Decided", body = ProposalResponse, headers(("ETag" = String, description = "The proposal's new version"))),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Your role may not make this decision (advisers withdraw their own proposals; staff accept and reject)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such network or proposal", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The proposal is decided already, or the network changed since it was made (`proposal_id` names it; nothing was changed)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The proposal changed since your ETag", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Wrong content type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`to` is not a decision, a rejection has no reason, or the proposed profile no longer passes the rules", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/networks/{id}/proposals/{proposal_id}/transitions")]
pub async fn transition_proposal(
    req: HttpRequest,
    payload: web::Payload,
    path: web::Path<(String, String)>,
    registry: web::Data<Registry>,
    actor: RequireActor,
    request_id: RequestId,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&path.0)?;
    let proposal_id = parse_proposal_id(&path.1)?;
    let body = read_body(&req, payload, &["application/json"]).await?;
    let body: ProposalTransitionRequest = from_value(parse_json_value(&body)?)?;
    let (p, _) = registry
        .decide::<NetworkBody>(
            &author(&actor, &request_id),
            id,
            proposal_id,
            &if_match(&req),
            body.to,
            body.reason,
        )
        .await?;
    proposal_response(StatusCode::OK, p)
}

/// Paging of the review queue.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PendingProposalsQuery {
    /// Page number, from 1.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000, example = 1)]
    pub page: Option<String>,
    /// Items per page, 1–100 (default 20).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100, example = 20)]
    pub per_page: Option<String>,
}

impl crate::extract::ListParams for PendingProposalsQuery {}

/// The review queue: pending proposals, oldest first, with their network's name. IKNL staff
/// and admins see every one; a ROS adviser those of their own ROS.
#[utoipa::path(
    tag = "proposals",
    params(PendingProposalsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of pending proposals", body = ListResponse<ProposalResponse>,
            headers(("Link" = String, description = "RFC 8288 pagination links"))),
        (status = 400, description = "A query parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not IKNL staff, an admin or a ROS adviser with a ROS", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/proposals")]
pub async fn list_pending_proposals(
    req: HttpRequest,
    query: crate::extract::Query<PendingProposalsQuery>,
    registry: web::Data<Registry>,
    actor: RequireActor,
) -> ApiResult<HttpResponse> {
    let (page, per_page) = parse_paging(query.page.as_deref(), query.per_page.as_deref())?;
    let (rows, total) = registry
        .pending_proposals(&actor.0, PageRequest { page, per_page })
        .await?;
    let items = rows
        .into_iter()
        .map(|(p, name)| ProposalResponse {
            network_name: Some(name),
            ..ProposalResponse::from(p)
        })
        .collect();
    let info = PageInfo::new(page, per_page, total);
    Ok(HttpResponse::Ok()
        .insert_header((
            header::LINK,
            info.link_header(req.path(), req.query_string()),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .json(ListResponse { items, page: info }))
}
