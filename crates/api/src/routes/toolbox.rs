//! `/v1/toolbox`: thin handlers over the registry's financing toolbox
//! ([`onconet_registry::toolbox`]).

use crate::auth::{MaybeActor, RequireActor};
use crate::dto::network::TransitionRequest;
use crate::dto::page::{ListResponse, PageInfo};
use crate::dto::toolbox::{ToolboxBody, ToolboxItemResponse};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{etag, from_value, if_match, if_none_match, parse_json_value, read_body};
use crate::routes::changes::{HistoryEntries, RevisionResponse};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use onconet_domain::toolbox::ToolboxItem;
use onconet_registry::networks::PageRequest;
use onconet_registry::toolbox::ToolboxParams;
use onconet_registry::{Author, Registry};
use serde::Serialize;
use tracing_actix_web::RequestId;
use utoipa::ToSchema;
use uuid::Uuid;

crate::dto::page::paged_query! {
    lists ["state"];
    /// Search, filters and paging of the toolbox.
    pub struct ToolboxQuery {
        /// Words to search for, in Dutch or English (accents and word forms do not matter:
        /// "financiering" finds "financieren"). Items matching more of the words rank higher;
        /// quotes and operators are ordinary characters. The first 32 words count.
        #[param(max_length = 10000, pattern = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*$", example = "financiering MDO")]
        pub q: Option<String>,
        /// Only items of this kind.
        #[param(schema_with = crate::dto::schema::toolbox_kind)]
        pub kind: Option<String>,
        /// Only items about this financing form.
        #[param(schema_with = crate::dto::schema::financing_form)]
        pub financing_form: Option<String>,
        /// Only items meant for this network type.
        #[param(schema_with = crate::dto::schema::network_type)]
        pub network_type: Option<String>,
        /// Only items for this stage of a network.
        #[param(schema_with = crate::dto::schema::toolbox_stage)]
        pub stage: Option<String>,
        /// `true`: also items past their review date (`stale`), left out by default.
        #[param(value_type = Option<bool>)]
        pub include_stale: Option<String>,
        /// Registry states, comma-separated (default `published`). Other states need a token:
        /// IKNL staff and admins see every item, a ROS adviser those of their own ROS.
        #[param(schema_with = crate::dto::schema::state_list, style = Form, explode = false)]
        pub state: Option<String>,
    }
}

fn parse_id(raw: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| {
        ApiError::NotFound(format!(
            "`{}` is not a toolbox item id (a UUID)",
            crate::error::abbreviated(raw, 64)
        ))
    })
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

use crate::extract::lang;

fn item_response(status: StatusCode, item: &ToolboxItem, editor: bool) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ETAG, etag(item.version)))
        .insert_header((
            header::CACHE_CONTROL,
            if editor || item.state != onconet_domain::RegistryState::Published {
                "private, no-cache"
            } else {
                "public, max-age=60"
            },
        ))
        .json(ToolboxItemResponse::new(item, editor, today()))
}

fn author<'a>(actor: &'a RequireActor, request_id: &RequestId) -> Author<'a> {
    Author {
        actor: &actor.0,
        request_id: Some(request_id.to_string()),
    }
}

/// The financing toolbox: guides, example documents, good practices from existing networks,
/// trainings, advice and projects for people who lead or start a network. With `q` a
/// full-text search in Dutch and English, best match first, each item with its highlighted
/// title and passages (`match`, in the language of `Accept-Language`); without, by title.
/// Items past their review date are left out unless `include_stale=true`.
#[utoipa::path(
    tag = "toolbox",
    params(ToolboxQuery, ("Accept-Language" = Option<String>, Header, description = "`nl` (default) or `en`: the language of `match` and of the order by title")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "One page of items; `Link` has first/prev/next/last", body = ListResponse<ToolboxItemResponse>,
            headers(("Link" = String, description = "RFC 8288 pagination links"))),
        (status = 400, description = "A query parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "The bearer token is invalid, or none was sent for unpublished items", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Listing unpublished items needs IKNL staff, an admin or a ROS adviser (their own ROS)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/toolbox")]
pub async fn list_toolbox(
    req: HttpRequest,
    registry: web::Data<Registry>,
    query: crate::extract::Query<ToolboxQuery>,
    actor: MaybeActor,
) -> ApiResult<HttpResponse> {
    let (page, per_page) = query.paging()?;
    let params = ToolboxParams {
        q: query.q.as_deref(),
        kind: query.kind.as_deref(),
        financing_form: query.financing_form.as_deref(),
        network_type: query.network_type.as_deref(),
        stage: query.stage.as_deref(),
        states: query.state.as_deref(),
        include_stale: query.include_stale.as_deref(),
        lang: lang(&req),
    };
    let found = registry
        .search_toolbox(params, PageRequest { page, per_page }, actor.0.as_ref())
        .await?;
    let today = today();
    let items = found
        .items
        .into_iter()
        .map(|hit| ToolboxItemResponse::from_hit(hit, actor.0.as_ref(), today))
        .collect();
    let info = PageInfo::new(page, per_page, found.total);
    Ok(HttpResponse::Ok()
        .insert_header((
            header::LINK,
            info.link_header(req.path(), req.query_string()),
        ))
        .insert_header((header::VARY, "Accept-Language"))
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

/// One toolbox item. The public sees published items; their editors also see drafts and the
/// body's Markdown.
#[utoipa::path(
    tag = "toolbox",
    params(("id" = String, Path, description = "Toolbox item id (UUID)")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The item", body = ToolboxItemResponse,
            headers(("ETag" = String, description = "Send it back in If-Match to change the item"))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 401, description = "The bearer token is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such item (or not visible to you)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/toolbox/{id}")]
pub async fn get_toolbox_item(
    req: HttpRequest,
    registry: web::Data<Registry>,
    path: web::Path<String>,
    actor: MaybeActor,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&path)?;
    let (item, editor) = registry.toolbox_item(id, actor.0.as_ref()).await?;
    let tag = etag(item.version);
    if if_none_match(&req, &tag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, tag))
            .finish());
    }
    Ok(item_response(StatusCode::OK, &item, editor))
}

/// Write a toolbox item (as a `draft`). For IKNL staff, admins and ROS advisers.
#[utoipa::path(
    tag = "toolbox",
    request_body(content = ToolboxBody, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = ToolboxItemResponse,
            headers(("Location" = String, description = "URL of the new item"), ("ETag" = String, description = "Its version")),
            links(
                ("GetToolboxItem" = (operation_id = "get_toolbox_item", parameters(("id" = "$response.body#/id")))),
                ("UpdateToolboxItem" = (operation_id = "update_toolbox_item", parameters(("id" = "$response.body#/id"), ("If-Match" = "$response.header.ETag")))),
                ("TransitionToolboxItem" = (operation_id = "transition_toolbox_item", parameters(("id" = "$response.body#/id"), ("If-Match" = "$response.header.ETag")))),
            )),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed for your role or ROS", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 1 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields are invalid; each is listed by JSON pointer", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/toolbox")]
pub async fn create_toolbox_item(
    req: HttpRequest,
    payload: web::Payload,
    registry: web::Data<Registry>,
    actor: RequireActor,
    request_id: RequestId,
) -> ApiResult<HttpResponse> {
    let body = read_body(&req, payload, &["application/json"]).await?;
    let body: ToolboxBody = from_value(parse_json_value(&body)?)?;
    let item = registry
        .create_toolbox_item(
            &author(&actor, &request_id),
            onconet_registry::toolbox::ToolboxDocument::into_input(body),
            false,
        )
        .await?;
    let mut response = item_response(StatusCode::CREATED, &item, true);
    response.headers_mut().insert(
        header::LOCATION,
        header::HeaderValue::from_str(&format!("/v1/toolbox/{}", item.id))
            .map_err(ApiError::internal)?,
    );
    Ok(response)
}

/// Change a toolbox item with a JSON Merge Patch (RFC 7396); `If-Match` with the current
/// ETag is required. Staff record a review by setting `reviewed_at` and `review_due`.
#[utoipa::path(
    tag = "toolbox",
    params(
        ("id" = String, Path, description = "Toolbox item id (UUID)"),
        ("If-Match" = String, Header, description = "The ETag of the version you are changing"),
    ),
    request_body(content = Object, content_type = "application/merge-patch+json", description = "Fields of the item to change"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed (or already as requested)", body = ToolboxItemResponse, headers(("ETag" = String, description = "The new version"))),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "You may not edit this item", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such item", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The item changed since your ETag", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 1 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Wrong content type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The patched item is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/toolbox/{id}")]
pub async fn update_toolbox_item(
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
    let item = registry
        .update_toolbox_item::<ToolboxBody>(
            &author(&actor, &request_id),
            id,
            &if_match(&req),
            patch,
        )
        .await?;
    Ok(item_response(StatusCode::OK, &item, true))
}

/// Move a toolbox item through the review workflow, as a network: `draft → submitted →
/// published → archived`, and back to `draft`. Only IKNL staff and admins publish and archive.
#[utoipa::path(
    tag = "toolbox",
    params(
        ("id" = String, Path, description = "Toolbox item id (UUID)"),
        ("If-Match" = String, Header, description = "The ETag of the version you are moving"),
    ),
    request_body(content = TransitionRequest, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Moved", body = ToolboxItemResponse, headers(("ETag" = String, description = "The new version"))),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Your role may not make this move", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such item", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The workflow does not allow this move from the current state", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The item changed since your ETag", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Wrong content type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`to` is not a state, or the reason is too long", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/toolbox/{id}/transitions")]
pub async fn transition_toolbox_item(
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
    let item = registry
        .transition_toolbox_item(
            &author(&actor, &request_id),
            id,
            &if_match(&req),
            body.to,
            body.reason,
        )
        .await?;
    Ok(item_response(StatusCode::OK, &item, true))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ToolboxHistoryResponse {
    pub item_id: Uuid,
    /// Every revision, oldest first.
    pub items: Vec<RevisionResponse>,
}

/// Every revision of a toolbox item: who, when, which fields changed, old and new values.
/// For its editors and IKNL staff.
#[utoipa::path(
    tag = "toolbox",
    params(("id" = String, Path, description = "Toolbox item id (UUID)")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The history", body = ToolboxHistoryResponse),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an editor of this item", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such item", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/toolbox/{id}/history")]
pub async fn get_toolbox_history(
    registry: web::Data<Registry>,
    path: web::Path<String>,
    actor: MaybeActor,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&path)?;
    let items = registry
        .toolbox_history(id, actor.0.as_ref())
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
        .json(ToolboxHistoryResponse { item_id: id, items }))
}
