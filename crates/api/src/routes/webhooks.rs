//! `/v1/webhooks`: thin handlers over the registry's webhook subscriptions and delivery log
//! ([`onconet_registry::webhooks`]).

use crate::auth::RequireActor;
use crate::dto::page::{ListResponse, PageInfo};
use crate::dto::webhook::{DeliveryResponse, WebhookBody, WebhookPatch, WebhookResponse};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{from_value, parse_json_value, read_body};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use onconet_registry::Registry;
use onconet_registry::networks::PageRequest;
use uuid::Uuid;

crate::dto::page::paged_query! {
    /// Paging of the subscription list.
    pub struct WebhooksQuery {
    }
}

crate::dto::page::paged_query! {
    /// Filter and paging of a delivery log.
    pub struct DeliveriesQuery {
        /// Only deliveries in this state.
        #[param(schema_with = crate::dto::schema::delivery_state)]
        pub state: Option<String>,
    }
}

fn parse_id(raw: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| {
        ApiError::NotFound(format!(
            "`{}` is not a webhook subscription id (a UUID)",
            crate::error::abbreviated(raw, 64)
        ))
    })
}

fn private(status: StatusCode) -> actix_web::HttpResponseBuilder {
    let mut b = HttpResponse::build(status);
    b.insert_header((header::CACHE_CONTROL, "no-store"));
    b
}

/// Subscribe a URL to registry events. Each delivery is a `POST` of
/// `{type, timestamp, data: {network_id, version, state, action, changed, href}}` signed per
/// Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`: HMAC-SHA256
/// with the secret); a `webhook-id` stays the same on every retry. Any 2xx answer counts as
/// delivered; otherwise it is tried again with exponential backoff for 24 hours, then given
/// up and the subscription disabled. A 410 answer disables it at once.
#[utoipa::path(
    tag = "exchange",
    request_body(content = WebhookBody, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Subscribed; the answer holds the secret, shown this once", body = WebhookResponse,
            headers(("Location" = String, description = "URL of the subscription")),
            links(
                ("GetWebhook" = (operation_id = "get_webhook", parameters(("id" = "$response.body#/id")))),
                ("ListDeliveries" = (operation_id = "list_webhook_deliveries", parameters(("id" = "$response.body#/id")))),
            )),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only IKNL staff and admins manage webhooks", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 1 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields are invalid (a private or unresolvable target, an unknown event, a malformed secret); each is listed by JSON pointer", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhooks")]
pub async fn create_webhook(
    req: HttpRequest,
    payload: web::Payload,
    registry: web::Data<Registry>,
    actor: RequireActor,
) -> ApiResult<HttpResponse> {
    let body = read_body(&req, payload, &["application/json"]).await?;
    let body: WebhookBody = from_value(parse_json_value(&body)?)?;
    let (subscription, secret) = registry.subscribe(&actor.0, body.into()).await?;
    let location = format!("/v1/webhooks/{}", subscription.id);
    Ok(private(StatusCode::CREATED)
        .insert_header((header::LOCATION, location))
        .json(WebhookResponse::new(subscription, Some(secret))))
}

/// The webhook subscriptions, oldest first (without their secrets).
#[utoipa::path(
    tag = "exchange",
    params(WebhooksQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of subscriptions; `Link` has first/prev/next/last", body = ListResponse<WebhookResponse>,
            headers(("Link" = String, description = "RFC 8288 pagination links"))),
        (status = 400, description = "A query parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only IKNL staff and admins manage webhooks", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/webhooks")]
pub async fn list_webhooks(
    req: HttpRequest,
    registry: web::Data<Registry>,
    query: crate::extract::Query<WebhooksQuery>,
    actor: RequireActor,
) -> ApiResult<HttpResponse> {
    let (page, per_page) = query.paging()?;
    let found = registry
        .subscriptions(&actor.0, PageRequest { page, per_page })
        .await?;
    let info = PageInfo::new(page, per_page, found.total);
    let items = found
        .items
        .into_iter()
        .map(|s| WebhookResponse::new(s, None))
        .collect();
    Ok(private(StatusCode::OK)
        .insert_header((
            header::LINK,
            info.link_header(req.path(), req.query_string()),
        ))
        .json(ListResponse { items, page: info }))
}

/// One webhook subscription, with its delivery counts (never its secret).
#[utoipa::path(
    tag = "exchange",
    params(("id" = String, Path, description = "Subscription id (UUID)")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The subscription", body = WebhookResponse),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only IKNL staff and admins manage webhooks", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such subscription", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/webhooks/{id}")]
pub async fn get_webhook(
    registry: web::Data<Registry>,
    path: web::Path<String>,
    actor: RequireActor,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&path)?;
    let subscription = registry.subscription(&actor.0, id).await?;
    Ok(private(StatusCode::OK).json(WebhookResponse::new(subscription, None)))
}

/// Change a subscription's URL or events, or disable it or make it active again. Making it
/// active again sends what it was still owed at once, with a fresh retry window.
#[utoipa::path(
    tag = "exchange",
    params(("id" = String, Path, description = "Subscription id (UUID)")),
    request_body(content = WebhookPatch, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed subscription", body = WebhookResponse),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only IKNL staff and admins manage webhooks", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such subscription", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 1 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields are invalid; each is listed by JSON pointer", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/webhooks/{id}")]
pub async fn update_webhook(
    req: HttpRequest,
    payload: web::Payload,
    registry: web::Data<Registry>,
    path: web::Path<String>,
    actor: RequireActor,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&path)?;
    let body = read_body(&req, payload, &["application/json"]).await?;
    let change: WebhookPatch = from_value(parse_json_value(&body)?)?;
    let subscription = registry
        .change_subscription(&actor.0, id, change.into())
        .await?;
    Ok(private(StatusCode::OK).json(WebhookResponse::new(subscription, None)))
}

/// Delete a subscription and its delivery log.
#[utoipa::path(
    tag = "exchange",
    params(("id" = String, Path, description = "Subscription id (UUID)")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only IKNL staff and admins manage webhooks", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such subscription", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    registry: web::Data<Registry>,
    path: web::Path<String>,
    actor: RequireActor,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&path)?;
    registry.unsubscribe(&actor.0, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A subscription's delivery log, newest first: every event owed to it, its state and each
/// attempt (status, error, duration).
#[utoipa::path(
    tag = "exchange",
    params(("id" = String, Path, description = "Subscription id (UUID)"), DeliveriesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of deliveries; `Link` has first/prev/next/last", body = ListResponse<DeliveryResponse>,
            headers(("Link" = String, description = "RFC 8288 pagination links"))),
        (status = 400, description = "A query parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only IKNL staff and admins manage webhooks", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such subscription", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_webhook_deliveries(
    req: HttpRequest,
    registry: web::Data<Registry>,
    path: web::Path<String>,
    query: crate::extract::Query<DeliveriesQuery>,
    actor: RequireActor,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&path)?;
    let (page, per_page) = query.paging()?;
    let found = registry
        .deliveries(
            &actor.0,
            id,
            query.state.as_deref(),
            PageRequest { page, per_page },
        )
        .await?;
    let info = PageInfo::new(page, per_page, found.total);
    let items: Vec<DeliveryResponse> = found.items.into_iter().map(Into::into).collect();
    Ok(private(StatusCode::OK)
        .insert_header((
            header::LINK,
            info.link_header(req.path(), req.query_string()),
        ))
        .json(ListResponse { items, page: info }))
}
