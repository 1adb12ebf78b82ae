//! `/v1/networks`: thin handlers over [`crate::service::networks`].

use crate::auth::{MaybeActor, RequireActor};
use crate::dto::network::{NetworkBody, NetworkResponse, TransitionRequest};
use crate::dto::page::{ListResponse, PageInfo, parse_paging};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{IfMatch, etag, from_value, if_none_match, parse_json_value, read_body};
use crate::service::networks::{self as service, WriteContext};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use onconet_db::networks::{NetworkFilter, PageRequest};
use onconet_domain::{
    Actor, Lifecycle, NetworkType, RegistryState, Role, parse_code, parse_municipality_code,
};
use serde::Deserialize;
use tracing_actix_web::RequestId;
use utoipa::IntoParams;
use uuid::Uuid;

/// Filters and paging of the network list. Comma lists: `type` and `lifecycle` match any of
/// the values, `discipline` and `tumour_type` require all of them.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListNetworksQuery {
    /// Text to find in the name or description (case-insensitive).
    #[param(
        max_length = 200,
        pattern = "^[^\\x00-\\x1f\\x7f]*$",
        example = "Groningen"
    )]
    pub q: Option<String>,
    /// Network types, comma-separated (any of).
    #[serde(rename = "type")]
    #[param(rename = "type", schema_with = crate::dto::schema::network_type_list, style = Form, explode = false)]
    pub network_type: Option<String>,
    /// Discipline codes, comma-separated (all of).
    #[param(schema_with = crate::dto::schema::discipline_list, style = Form, explode = false)]
    pub discipline: Option<String>,
    /// Tumour-type codes, comma-separated (all of).
    #[param(schema_with = crate::dto::schema::tumour_type_list, style = Form, explode = false)]
    pub tumour_type: Option<String>,
    /// CBS municipality code listed in the service area.
    #[param(pattern = "^[Gg][Mm][0-9]{4}$", example = "GM0014")]
    pub municipality: Option<String>,
    /// Lifecycles, comma-separated (any of).
    #[param(schema_with = crate::dto::schema::lifecycle_list, style = Form, explode = false)]
    pub lifecycle: Option<String>,
    /// Registry states, comma-separated (any of; default `published`). Other states than
    /// `published` need a token: IKNL staff and admins see every network, a ROS adviser only
    /// those of their own ROS (in every state asked for).
    #[param(schema_with = crate::dto::schema::state_list, style = Form, explode = false)]
    pub state: Option<String>,
    /// Only networks changed after this RFC 3339 time.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>, example = "2026-01-01T00:00:00Z")]
    pub modified_after: Option<String>,
    /// Only networks that meet (`true`) or miss (`false`) the LOPPSOZ criteria.
    #[param(value_type = Option<bool>)]
    pub qualified: Option<String>,
    /// `true`: only published networks not re-verified for 12 months (IKNL staff and admins).
    #[param(value_type = Option<bool>)]
    pub verification_overdue: Option<String>,
    /// Page number, from 1.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000, example = 1)]
    pub page: Option<String>,
    /// Items per page, 1–100 (default 20).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100, example = 20)]
    pub per_page: Option<String>,
}

impl crate::extract::ListParams for ListNetworksQuery {
    const LISTS: &'static [&'static str] =
        &["type", "discipline", "tumour_type", "lifecycle", "state"];
}

impl ListNetworksQuery {
    /// The filter for `viewer`: networks that are not published are listed for IKNL staff and
    /// admins, and for a ROS adviser those of their own ROS only.
    fn into_filter(
        self,
        state: &AppState,
        viewer: Option<&Actor>,
    ) -> ApiResult<(NetworkFilter, PageRequest)> {
        let staff = service::is_staff(viewer);
        let v = &state.vocabularies;
        let (page, per_page) = parse_paging(self.page.as_deref(), self.per_page.as_deref())?;
        let states = crate::extract::parse_list("state", self.state.as_deref(), |s| {
            s.parse::<RegistryState>()
        })?;
        let mut ros_org = None;
        if states.iter().any(|s| *s != RegistryState::Published) && !staff {
            match viewer
                .filter(|a| a.has(Role::RosAdviser))
                .and_then(|a| a.org.clone())
            {
                Some(org) => ros_org = Some(org),
                None if viewer.is_none() => {
                    return Err(ApiError::Unauthorized(
                        "a bearer token is required to list networks that are not published".into(),
                    ));
                }
                None => {
                    return Err(ApiError::Forbidden(
                        "only IKNL staff, admins and ROS advisers (for their own ROS) may list networks that are not published".into(),
                    ));
                }
            }
        }
        let modified_after = match self.modified_after.as_deref() {
            None => None,
            Some(t) => Some(
                DateTime::parse_from_rfc3339(t.trim())
                    .map_err(|e| {
                        ApiError::bad_parameter(
                            "modified_after",
                            "invalid_format",
                            format!("not an RFC 3339 time: {e}"),
                        )
                    })?
                    .with_timezone(&Utc),
            ),
        };
        let q = self
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(str::to_owned);
        // PostgreSQL text cannot hold NUL, and no search needs control characters.
        if q.as_ref()
            .is_some_and(|q| q.chars().any(|c| c < ' ' || c == '\u{7f}'))
        {
            return Err(ApiError::bad_parameter(
                "q",
                "control_character",
                "must not contain control characters",
            ));
        }
        if q.as_ref().is_some_and(|q| q.chars().count() > 200) {
            return Err(ApiError::bad_parameter(
                "q",
                "too_long",
                "must be at most 200 characters",
            ));
        }
        let flag = |name: &str, v: Option<&str>| -> ApiResult<Option<bool>> {
            match v {
                None => Ok(None),
                Some("true") => Ok(Some(true)),
                Some("false") => Ok(Some(false)),
                Some(_) => Err(ApiError::bad_parameter(
                    name,
                    "invalid_type",
                    "must be true or false",
                )),
            }
        };
        let qualified = flag("qualified", self.qualified.as_deref())?;
        let overdue = flag("verification_overdue", self.verification_overdue.as_deref())?;
        if overdue.is_some() && viewer.is_none() {
            return Err(ApiError::Unauthorized(
                "a bearer token is required to list overdue verifications".into(),
            ));
        }
        if overdue.is_some() && !staff {
            return Err(ApiError::Forbidden(
                "only IKNL staff and admins may list overdue verifications".into(),
            ));
        }
        let filter = NetworkFilter {
            qualified,
            verified_before: overdue.filter(|o| *o).map(|_| {
                Utc::now() - chrono::Duration::days(crate::dto::network::VERIFICATION_VALID_DAYS)
            }),
            states: if states.is_empty() {
                vec![RegistryState::Published.as_str().into()]
            } else {
                states.iter().map(|s| s.as_str().to_owned()).collect()
            },
            q,
            types: crate::extract::parse_list("type", self.network_type.as_deref(), |s| {
                s.parse::<NetworkType>()
            })?
            .iter()
            .map(|t| t.as_str().to_owned())
            .collect(),
            disciplines: crate::extract::parse_list(
                "discipline",
                self.discipline.as_deref(),
                |s| parse_code(&v.disciplines, s),
            )?,
            tumour_types: crate::extract::parse_list(
                "tumour_type",
                self.tumour_type.as_deref(),
                |s| parse_code(&v.tumour_types, s),
            )?,
            lifecycles: crate::extract::parse_list("lifecycle", self.lifecycle.as_deref(), |s| {
                s.parse::<Lifecycle>()
            })?
            .iter()
            .map(|l| l.as_str().to_owned())
            .collect(),
            municipality: match self.municipality.as_deref() {
                None => None,
                Some(m) => Some(
                    parse_municipality_code(m)
                        .map_err(|e| ApiError::bad_parameter("municipality", e.code, e.message))?,
                ),
            },
            modified_after,
            ros_org,
        };
        Ok((filter, PageRequest { page, per_page }))
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
    state: web::Data<AppState>,
    query: crate::extract::Query<ListNetworksQuery>,
    actor: MaybeActor,
) -> ApiResult<HttpResponse> {
    let viewer = actor.0.as_ref();
    let (filter, page) = query.into_inner().into_filter(&state, viewer)?;
    let mut conn = onconet_db::pool::get(&state.pool).await?;
    let (rows, total) = onconet_db::networks::list(&mut conn, &filter, page).await?;
    let items = rows
        .into_iter()
        .map(|r| {
            r.into_domain().map(|n| {
                let private =
                    viewer.is_some_and(|a| a.can_view_private(n.profile.ros_org.as_ref()));
                NetworkResponse::new(&n, private)
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let info = PageInfo::new(page.page, page.per_page, total);
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

fn parse_id(raw: &str) -> ApiResult<Uuid> {
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
    state: web::Data<AppState>,
    path: web::Path<String>,
    actor: MaybeActor,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&path)?;
    let mut conn = onconet_db::pool::get(&state.pool).await?;
    let (network, private) = service::load_visible(&mut conn, id, actor.0.as_ref()).await?;
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

fn write_context<'a>(
    actor: &'a RequireActor,
    request_id: &RequestId,
    state: &'a AppState,
) -> WriteContext<'a> {
    WriteContext {
        actor: &actor.0,
        request_id: Some(request_id.to_string()),
        geo: &state.geo,
    }
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
        (status = 409, description = "A concurrent change to a related network got in the way; send the request again", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 1 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields are invalid; each is listed by JSON pointer", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/networks")]
pub async fn create_network(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    actor: RequireActor,
    request_id: RequestId,
) -> ApiResult<HttpResponse> {
    let body = read_body(&req, payload, &["application/json"]).await?;
    let body: NetworkBody = from_value(parse_json_value(&body)?)?;
    let mut conn = onconet_db::pool::get(&state.pool).await?;
    let ctx = write_context(&actor, &request_id, &state);
    let network = service::create(&mut conn, &ctx, &state.vocabularies, body, false).await?;
    let mut response = network_response(actix_web::http::StatusCode::CREATED, &network, true);
    response.headers_mut().insert(
        header::LOCATION,
        header::HeaderValue::from_str(&format!("/v1/networks/{}", network.id))
            .map_err(ApiError::internal)?,
    );
    Ok(response)
}

/// Change a network with a JSON Merge Patch (RFC 7396). `If-Match` with the current ETag is
/// required; keys set to `null` are removed (required fields cannot be).
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
    state: web::Data<AppState>,
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
    let mut conn = onconet_db::pool::get(&state.pool).await?;
    let ctx = write_context(&actor, &request_id, &state);
    let network = service::update(
        &mut conn,
        &ctx,
        &state.vocabularies,
        id,
        &IfMatch::parse(&req),
        patch,
    )
    .await?;
    Ok(network_response(
        actix_web::http::StatusCode::OK,
        &network,
        true,
    ))
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
    state: web::Data<AppState>,
    actor: RequireActor,
    request_id: RequestId,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&path)?;
    let body = read_body(&req, payload, &["application/json"]).await?;
    let body: TransitionRequest = from_value(parse_json_value(&body)?)?;
    let reason = body
        .checked_reason()
        .map_err(|e| ApiError::Validation(vec![e]))?;
    let mut conn = onconet_db::pool::get(&state.pool).await?;
    let ctx = write_context(&actor, &request_id, &state);
    let network =
        service::transition(&mut conn, &ctx, id, &IfMatch::parse(&req), body.to, reason).await?;
    Ok(network_response(
        actix_web::http::StatusCode::OK,
        &network,
        true,
    ))
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
    state: web::Data<AppState>,
    actor: RequireActor,
    request_id: RequestId,
) -> ApiResult<HttpResponse> {
    let (id, index) = path.into_inner();
    let id = parse_id(&id)?;
    let index: usize = index
        .parse()
        .map_err(|_| ApiError::NotFound(format!("`{index}` is not a contact position")))?;
    let mut conn = onconet_db::pool::get(&state.pool).await?;
    let ctx = write_context(&actor, &request_id, &state);
    let network = service::erase_contact(&mut conn, &ctx, id, index, &IfMatch::parse(&req)).await?;
    Ok(network_response(
        actix_web::http::StatusCode::OK,
        &network,
        true,
    ))
}
