//! `/v1/networks`: thin handlers over the registry's network operations
//! ([`onconet_registry::networks`]).

use crate::auth::{MaybeActor, RequireActor};
use crate::dto::network::{
    NetworkBody, NetworkPreviewResponse, NetworkResponse, TransitionRequest, VerifyRequest,
};
use crate::dto::page::{ListResponse, PageInfo, parse_paging};
use crate::dto::proposal::ProposalResponse;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{etag, from_value, if_match, if_none_match, parse_json_value, read_body};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use onconet_registry::networks::{ListParams, PageRequest};
use onconet_registry::proposals::Outcome;
use onconet_registry::{Author, Registry};
use serde::Deserialize;
use tracing_actix_web::RequestId;
use utoipa::IntoParams;
use uuid::Uuid;

crate::dto::query::filtered_query! {
    lists ["state"];
    /// Filters and paging of the network list. Comma lists: `type` and `lifecycle` match any of
    /// the values, `discipline` and `tumour_type` require all of them.
    pub struct ListNetworksQuery {
        /// Text to find in the name or description (case-insensitive).
        #[param(
            max_length = 200,
            pattern = "^[^\\x00-\\x1f\\x7f]*$",
            example = "Groningen"
        )]
        pub q: Option<String>,
        /// CBS municipality code listed in the service area.
        #[param(pattern = "^[Gg][Mm][0-9]{4}$", example = "GM0014")]
        pub municipality: Option<String>,
        /// Registry states, comma-separated (any of; default `published`). Other states than
        /// `published` need a token: IKNL staff and admins see every network, a ROS adviser only
        /// those of their own ROS (in every state asked for).
        #[param(schema_with = crate::dto::schema::state_list, style = Form, explode = false)]
        pub state: Option<String>,
        /// Only networks changed after this RFC 3339 time.
        #[param(value_type = Option<chrono::DateTime<chrono::Utc>>, example = "2026-01-01T00:00:00Z")]
        pub modified_after: Option<String>,
        /// Only networks that meet (`true`) or miss (`false`) the LOPPSOZ criteria now
        /// (criterion 7 needs a verification within the last 12 months).
        #[param(value_type = Option<bool>)]
        pub qualified: Option<String>,
        /// `true`: only published networks not verified for 12 months (IKNL staff and admins;
        /// a ROS adviser gets those of their own ROS).
        #[param(value_type = Option<bool>)]
        pub verification_overdue: Option<String>,
        /// The order: `name` (default), `updated_at` (least recently changed first, as a
        /// review queue) or `-updated_at` (most recently changed first).
        #[param(pattern = "^(name|updated_at|-updated_at)$", example = "updated_at")]
        pub sort: Option<String>,
        /// Only the children of this network (networks whose `parent_id` it is).
        #[param(value_type = Option<uuid::Uuid>)]
        pub parent_id: Option<String>,
        /// Only networks in which the practice with this AGB code (8 digits) is a member
        /// today (its `valid_from`/`valid_to` include today).
        #[param(pattern = "^[0-9]{8}$", example = "01234567")]
        pub member_agb: Option<String>,
        /// Only networks in which the organisation with this KvK number (8 digits) is a
        /// member today.
        #[param(pattern = "^[0-9]{8}$", example = "12345678")]
        pub member_kvk: Option<String>,
        /// Page number, from 1.
        #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000, example = 1)]
        pub page: Option<String>,
        /// Items per page, 1–100 (default 20).
        #[param(value_type = Option<i64>, minimum = 1, maximum = 100, example = 20)]
        pub per_page: Option<String>,
    }
}

impl ListNetworksQuery {
    /// The list's parameters as given, for the registry ([`onconet_registry::networks::list_filter`]).
    pub fn params(&self) -> ListParams<'_> {
        ListParams {
            filter: self.filter_params(),
            q: self.q.as_deref(),
            municipality: self.municipality.as_deref(),
            states: self.state.as_deref(),
            modified_after: self.modified_after.as_deref(),
            qualified: self.qualified.as_deref(),
            verification_overdue: self.verification_overdue.as_deref(),
            sort: self.sort.as_deref(),
            parent_id: self.parent_id.as_deref(),
            member_agb: self.member_agb.as_deref(),
            member_kvk: self.member_kvk.as_deref(),
        }
    }
}

/// List published networks, filtered and paginated.
#[utoipa::path(
    tag = "networks",
    params(ListNetworksQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "One page of networks; `Link` has first/prev/next/last", body = ListResponse<NetworkResponse>,
            headers(("Link" = String, description = "RFC 8288 pagination links"))),
        (status = 400, description = "A query parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "The bearer token is invalid, or none was sent for unpublished networks or overdue verifications", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Listing unpublished networks needs IKNL staff, an admin or a ROS adviser (their own ROS)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/networks")]
pub async fn list_networks(
    req: HttpRequest,
    registry: web::Data<Registry>,
    query: crate::extract::Query<ListNetworksQuery>,
    actor: MaybeActor,
) -> ApiResult<HttpResponse> {
    let (page, per_page) = parse_paging(query.page.as_deref(), query.per_page.as_deref())?;
    let found = registry
        .list_networks(
            query.params(),
            PageRequest { page, per_page },
            actor.0.as_ref(),
        )
        .await?;
    let items = found
        .items
        .iter()
        .map(|(n, private)| NetworkResponse::new(n, *private))
        .collect();
    let info = PageInfo::new(page, per_page, found.total);
    Ok(HttpResponse::Ok()
        .insert_header((
            header::LINK,
            info.link_header(req.path(), req.query_string()),
        ))
        .insert_header((
            header::CACHE_CONTROL,
            if actor.0.is_some() {
                "private, no-cache"
            } else {
                "public, max-age=60"
            },
        ))
        .json(ListResponse { items, page: info }))
}

pub(crate) fn parse_id(raw: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| {
        ApiError::NotFound(format!(
            "`{}` is not a network id (a UUID)",
            crate::error::abbreviated(raw, 64)
        ))
    })
}

/// The ETag of a network's GeoJSON Feature: its version, marked apart from the JSON profile's.
fn geojson_etag(version: i64) -> String {
    format!("\"v{version}-geo\"")
}

fn network_response(
    status: actix_web::http::StatusCode,
    n: &onconet_domain::Network,
    private: bool,
) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ETAG, etag(n.version)))
        .insert_header((header::VARY, "Accept"))
        .insert_header((
            header::CACHE_CONTROL,
            if private {
                "private, no-cache"
            } else {
                "public, max-age=60"
            },
        ))
        .json(NetworkResponse::new(n, private))
}

/// One network. The public sees published networks with their public contacts; editors also
/// see drafts and every contact.
#[utoipa::path(
    tag = "networks",
    params(("id" = String, Path, description = "Network id (UUID)")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The network; with `Accept: application/geo+json` a GeoJSON Feature whose geometry is the derived service area",
            content((NetworkResponse = "application/json"), (Object = "application/geo+json")),
            headers(("ETag" = String, description = "Send it back in If-Match to change the network"))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 401, description = "The bearer token is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such network (or not visible to you)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/networks/{id}")]
pub async fn get_network(
    req: HttpRequest,
    registry: web::Data<Registry>,
    path: web::Path<String>,
    actor: MaybeActor,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&path)?;
    let (network, private) = registry.network(id, actor.0.as_ref()).await?;
    let geojson = crate::extract::accepts(&req, crate::routes::regions::GEO_JSON);
    // The Feature is another representation, so another strong validator (RFC 9110 8.8.3):
    // a cached JSON profile must not be confirmed as the Feature. If-Match takes the JSON one.
    let tag = if geojson {
        geojson_etag(network.version)
    } else {
        etag(network.version)
    };
    if if_none_match(&req, &tag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, tag))
            .insert_header((header::VARY, "Accept"))
            .finish());
    }
    if geojson {
        let feature = serde_json::json!({
            "type": "Feature",
            "id": network.id,
            "geometry": network.area,
            "properties": NetworkResponse::new(&network, private),
        });
        return Ok(HttpResponse::Ok()
            .insert_header((header::ETAG, tag))
            .insert_header((header::VARY, "Accept"))
            .content_type(crate::routes::regions::GEO_JSON)
            .json(feature));
    }
    Ok(network_response(
        actix_web::http::StatusCode::OK,
        &network,
        private,
    ))
}

pub(crate) fn author<'a>(actor: &'a RequireActor, request_id: &RequestId) -> Author<'a> {
    Author {
        actor: &actor.0,
        request_id: Some(request_id.to_string()),
    }
}

/// `POST /v1/networks/preview`: which network the profile is the new whole document of.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PreviewQuery {
    /// The network being edited (you must be allowed to edit it), so that references to it
    /// are checked as they would be on save; leave out for a new network.
    #[param(value_type = Option<Uuid>)]
    pub id: Option<String>,
}

impl crate::extract::ListParams for PreviewQuery {}

/// Check a whole profile and derive its service area without saving anything: the LOPPSOZ
/// checklist, the area in km², the population it reaches and the municipalities it touches,
/// as a GeoJSON Feature whose geometry is the derived area. Every rule of `POST /v1/networks`
/// applies, with the same 422 field errors, so an editor sees them while typing.
#[utoipa::path(
    tag = "networks",
    params(PreviewQuery),
    request_body(content = NetworkBody, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The profile is valid; what it would be if saved", body = NetworkPreviewResponse, content_type = "application/geo+json"),
        (status = 400, description = "The body is not JSON, or `id` is not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed for your role or ROS", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No network `id` (or not visible to you)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 1 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields are invalid; each is listed by JSON pointer", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/networks/preview")]
pub async fn preview_network(
    req: HttpRequest,
    payload: web::Payload,
    query: crate::extract::Query<PreviewQuery>,
    registry: web::Data<Registry>,
    actor: RequireActor,
) -> ApiResult<HttpResponse> {
    let id = query
        .id
        .as_deref()
        .map(|raw| {
            Uuid::parse_str(raw).map_err(|_| ApiError::BadRequest {
                detail: "`id` must be a network id (a UUID)".into(),
                errors: vec![crate::error::InvalidParam::parameter(
                    "id",
                    "invalid_uuid",
                    "must be a UUID",
                )],
            })
        })
        .transpose()?;
    let body = read_body(&req, payload, &["application/json"]).await?;
    let body: NetworkBody = from_value(parse_json_value(&body)?)?;
    let preview = registry.preview(&actor.0, id, body).await?;
    Ok(HttpResponse::Ok()
        .content_type(crate::routes::regions::GEO_JSON)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(NetworkPreviewResponse::new(preview)))
}

/// Register a network (as a `draft`).
#[utoipa::path(
    tag = "networks",
    request_body(content = NetworkBody, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = NetworkResponse,
            headers(("Location" = String, description = "URL of the new network"), ("ETag" = String, description = "Its version")),
            links(
                ("GetNetwork" = (operation_id = "get_network", parameters(("id" = "$response.body#/id")))),
                ("UpdateNetwork" = (operation_id = "update_network", parameters(("id" = "$response.body#/id"), ("If-Match" = "$response.header.ETag")))),
                ("TransitionNetwork" = (operation_id = "transition_network", parameters(("id" = "$response.body#/id"), ("If-Match" = "$response.header.ETag")))),
                ("GetHistory" = (operation_id = "get_history", parameters(("id" = "$response.body#/id")))),
            )),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed for your role or ROS", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A concurrent change to a related network got in the way (send the request again), or the network has a pending proposal by someone else, or your own pending proposal was made on an older version (`proposal_id` names it)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 1 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields are invalid; each is listed by JSON pointer", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/networks")]
pub async fn create_network(
    req: HttpRequest,
    payload: web::Payload,
    registry: web::Data<Registry>,
    actor: RequireActor,
    request_id: RequestId,
) -> ApiResult<HttpResponse> {
    let body = read_body(&req, payload, &["application/json"]).await?;
    let body: NetworkBody = from_value(parse_json_value(&body)?)?;
    let network = registry
        .create(&author(&actor, &request_id), body, false)
        .await?;
    let mut response = network_response(actix_web::http::StatusCode::CREATED, &network, true);
    response.headers_mut().insert(
        header::LOCATION,
        header::HeaderValue::from_str(&format!("/v1/networks/{}", network.id))
            .map_err(ApiError::internal)?,
    );
    Ok(response)
}

/// Change a network with a JSON Merge Patch (RFC 7396). `If-Match` with the current ETag is
/// required; keys set to `null` are removed (required fields cannot be). A ROS adviser's change
/// to a *published* network is proposed, not applied: 202 with the proposal, which IKNL staff
/// accept or reject (`/v1/networks/{id}/proposals`); while it is pending the adviser's next
/// PATCH amends it (the patch applies to the proposed profile). Changes that only touch fields
/// the registry is configured to apply at once (`ONCONET_APPLY_AT_ONCE`) apply at once.
#[utoipa::path(
    tag = "networks",
    params(
        ("id" = String, Path, description = "Network id (UUID)"),
        ("If-Match" = String, Header, description = "The ETag of the version you are changing"),
    ),
    request_body(content = Object, content_type = "application/merge-patch+json", description = "Fields of the network profile to change"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed (or already as requested)", body = NetworkResponse, headers(("ETag" = String, description = "The new version"))),
        (status = 202, description = "Proposed: the published profile stays as it is until IKNL accepts the proposal", body = ProposalResponse,
            headers(("ETag" = String, description = "The proposal's version"), ("Location" = String, description = "The proposal"))),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "You may not edit this network", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such network", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A concurrent change to a related network got in the way; send the request again", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The network changed since your ETag", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 1 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Wrong content type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The patched profile is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/networks/{id}")]
pub async fn update_network(
    req: HttpRequest,
    payload: web::Payload,
    path: web::Path<String>,
    registry: web::Data<Registry>,
    actor: RequireActor,
    request_id: RequestId,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&path)?;
    let body = read_body(
        &req,
        payload,
        &["application/merge-patch+json", "application/json"],
    )
    .await?;
    let patch = parse_json_value(&body)?;
    let outcome = registry
        .update::<NetworkBody>(&author(&actor, &request_id), id, &if_match(&req), patch)
        .await?;
    outcome_response(outcome)
}

/// A change or verification applied (200 with the network) or proposed (202 with the
/// proposal and its `Location`).
fn outcome_response(outcome: Outcome) -> ApiResult<HttpResponse> {
    match outcome {
        Outcome::Applied(network) => Ok(network_response(
            actix_web::http::StatusCode::OK,
            &network,
            true,
        )),
        Outcome::Proposed(proposal) => crate::routes::proposals::proposal_response(
            actix_web::http::StatusCode::ACCEPTED,
            proposal,
        ),
    }
}

/// Move a network through the review workflow: `draft → submitted → published → archived`,
/// and back to `draft` for rework. Only IKNL staff and admins publish and archive.
#[utoipa::path(
    tag = "networks",
    params(
        ("id" = String, Path, description = "Network id (UUID)"),
        ("If-Match" = String, Header, description = "The ETag of the version you are moving"),
    ),
    request_body(content = TransitionRequest, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Moved", body = NetworkResponse, headers(("ETag" = String, description = "The new version"))),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Your role may not make this move", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such network", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The workflow does not allow this move from the current state", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The network changed since your ETag", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Wrong content type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`to` is not a state", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/networks/{id}/transitions")]
pub async fn transition_network(
    req: HttpRequest,
    payload: web::Payload,
    path: web::Path<String>,
    registry: web::Data<Registry>,
    actor: RequireActor,
    request_id: RequestId,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&path)?;
    let body = read_body(&req, payload, &["application/json"]).await?;
    let body: TransitionRequest = from_value(parse_json_value(&body)?)?;
    let network = registry
        .transition(
            &author(&actor, &request_id),
            id,
            &if_match(&req),
            body.to,
            body.reason,
        )
        .await?;
    Ok(network_response(
        actix_web::http::StatusCode::OK,
        &network,
        true,
    ))
}

/// Re-verify a published network as it is, without a full review and without unpublishing it:
/// `last_verified_at` becomes now, the network is no longer `verification_overdue`, and the
/// history keeps who verified it with the note. IKNL staff and admins verify at once; an
/// adviser of its ROS says it is still correct, which IKNL confirms: 202 with a
/// `verification` proposal until then.
#[utoipa::path(
    tag = "networks",
    params(
        ("id" = String, Path, description = "Network id (UUID)"),
        ("If-Match" = String, Header, description = "The ETag of the version you verified"),
    ),
    request_body(content = VerifyRequest, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Verified", body = NetworkResponse, headers(("ETag" = String, description = "The new version"))),
        (status = 202, description = "An adviser's \"still correct\", waiting for IKNL to confirm it", body = ProposalResponse,
            headers(("ETag" = String, description = "The proposal's version"), ("Location" = String, description = "The proposal"))),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "You may not edit this network", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such network", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The network is not published, or it has another pending proposal (`proposal_id` names it)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The network changed since your ETag", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Wrong content type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The note is too long or holds control characters", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/networks/{id}/verify")]
pub async fn verify_network(
    req: HttpRequest,
    payload: web::Payload,
    path: web::Path<String>,
    registry: web::Data<Registry>,
    actor: RequireActor,
    request_id: RequestId,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&path)?;
    let body = read_body(&req, payload, &["application/json"]).await?;
    let body: VerifyRequest = from_value(parse_json_value(&body)?)?;
    let outcome = registry
        .verify(&author(&actor, &request_id), id, &if_match(&req), body.note)
        .await?;
    outcome_response(outcome)
}

/// Erase a contact's personal data (GDPR/AVG): the contact leaves the profile and its name,
/// e-mail and phone are replaced by `[erased]` throughout the history. Admins only.
#[utoipa::path(
    tag = "networks",
    params(
        ("id" = String, Path, description = "Network id (UUID)"),
        ("index" = usize, Path, description = "Position of the contact in `contacts` (from 0)"),
        ("If-Match" = String, Header, description = "The ETag of the version you are changing"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Erased", body = NetworkResponse, headers(("ETag" = String, description = "The new version"))),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such network or contact", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The network changed since your ETag", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/networks/{id}/contacts/{index}/erasure")]
pub async fn erase_contact(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    registry: web::Data<Registry>,
    actor: RequireActor,
    request_id: RequestId,
) -> ApiResult<HttpResponse> {
    let (id, index) = path.into_inner();
    let id = parse_id(&id)?;
    let index: usize = index
        .parse()
        .map_err(|_| ApiError::NotFound(format!("`{index}` is not a contact position")))?;
    let network = registry
        .erase_contact(&author(&actor, &request_id), id, index, &if_match(&req))
        .await?;
    Ok(network_response(
        actix_web::http::StatusCode::OK,
        &network,
        true,
    ))
}
