//! `/hsds`: the Open Referral HSDS 3 views, read-only and public. Thin handlers: the registry
//! lists the published networks ([`Registry::published_networks`]), [`crate::hsds`] maps them
//! to HSDS documents and pages them.
//!
//! `organizations` and `services` (with their `{id}`) follow the HSDS API reference; it has no
//! endpoints for service areas and locations, so `service_areas` and `locations` take the same
//! shape (HSDS pages of `service_area` and `location` documents, `{id}` for one).

use crate::error::{ApiError, ApiResult, Problem};
use crate::hsds::{
    self, Detail, HsdsLocation, HsdsOrganization, HsdsPage, HsdsService, HsdsServiceArea, View,
};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use onconet_domain::{Lang, Network};
use onconet_registry::Registry;
use serde::Serialize;
use std::collections::HashSet;
use uuid::Uuid;

/// The published networks and the view to map them with.
struct Published {
    networks: Vec<Network>,
    ids: HashSet<Uuid>,
    lang: Lang,
}

impl Published {
    async fn load(req: &HttpRequest, registry: &Registry) -> ApiResult<Self> {
        // The published networks (public side only) with their derived areas (the extents),
        // by name, then id, so pages are stable.
        let mut networks = registry.published_networks().await?;
        let all: Vec<Uuid> = networks.iter().map(|n| n.id).collect();
        let mut areas = registry.published_areas(&all).await?;
        for n in &mut networks {
            n.area = areas.remove(&n.id);
        }
        networks.sort_by(|a, b| {
            a.profile
                .name
                .to_lowercase()
                .cmp(&b.profile.name.to_lowercase())
                .then(a.id.cmp(&b.id))
        });
        let ids = networks.iter().map(|n| n.id).collect();
        let lang = crate::extract::lang(req);
        Ok(Self {
            networks,
            ids,
            lang,
        })
    }

    fn view<'a>(&'a self, registry: &'a Registry) -> View<'a> {
        View {
            vocabularies: &registry.vocabularies,
            lang: self.lang,
            published: &self.ids,
        }
    }

    fn respond<T: Serialize>(&self, body: &T) -> HttpResponse {
        HttpResponse::Ok()
            .insert_header((header::CONTENT_LANGUAGE, self.lang.as_str()))
            .insert_header((header::VARY, "Accept-Language"))
            .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
            .json(body)
    }
}

/// `true` or `false` (absent: `false`).
fn parse_flag(name: &str, value: Option<&str>) -> ApiResult<bool> {
    match value.map(str::trim) {
        None => Ok(false),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(_) => Err(ApiError::bad_parameter(
            name,
            "invalid_type",
            "must be `true` or `false`",
        )),
    }
}

fn parse_uuid(name: &str, value: Option<&str>) -> ApiResult<Option<Uuid>> {
    value
        .map(|v| {
            Uuid::parse_str(v.trim())
                .map_err(|_| ApiError::bad_parameter(name, "invalid_type", "must be a UUID"))
        })
        .transpose()
}

/// The search text, lower-cased (absent or blank: no search).
fn parse_search(value: Option<&str>) -> ApiResult<Option<String>> {
    let Some(text) = value.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > 200 {
        return Err(ApiError::bad_parameter(
            "search",
            "too_long",
            "must be at most 200 characters",
        ));
    }
    // What the documented pattern refuses: C0 controls and DEL.
    if text.chars().any(|c| c.is_ascii_control()) {
        return Err(ApiError::bad_parameter(
            "search",
            "invalid_characters",
            "must not contain control characters",
        ));
    }
    Ok(Some(text.to_lowercase()))
}

fn parse_time(name: &str, value: Option<&str>) -> ApiResult<Option<DateTime<Utc>>> {
    value
        .map(|v| {
            DateTime::parse_from_rfc3339(v.trim())
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    ApiError::bad_parameter(name, "invalid_type", "must be an RFC 3339 time")
                })
        })
        .transpose()
}

/// A path id: not a UUID is as unknown as an id nobody uses.
fn parse_id(raw: &str, kind: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| {
        ApiError::NotFound(format!(
            "`{}` is not an HSDS {kind} id (a UUID)",
            crate::error::abbreviated(raw, 64)
        ))
    })
}

fn not_found(kind: &str, id: Uuid) -> ApiError {
    ApiError::NotFound(format!("no HSDS {kind} with id {id}"))
}

fn detail(full: bool) -> Detail {
    if full { Detail::Full } else { Detail::Basic }
}

/// `GET /hsds/`: what this API is, in HSDS terms (the reference's required `/` endpoint).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HsdsAboutResponse {
    /// The HSDS version of the documents.
    #[schema(example = "3.2")]
    pub version: &'static str,
    /// The URL of the OpenAPI document that defines this API.
    pub openapi_url: String,
    pub description: &'static str,
    pub publisher: HsdsPublisher,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HsdsPublisher {
    pub name: &'static str,
}

/// This API in HSDS terms: its HSDS version and where its OpenAPI document is.
#[utoipa::path(
    tag = "HSDS",
    responses((status = 200, description = "The HSDS version and the OpenAPI document's URL", body = HsdsAboutResponse))
)]
#[get("/")]
pub async fn about(req: HttpRequest) -> HttpResponse {
    let info = req.connection_info();
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .json(HsdsAboutResponse {
            version: hsds::HSDS_VERSION,
            openapi_url: format!("{}://{}/openapi.json", info.scheme(), info.host()),
            description: "The national registry of oncology networks in the Netherlands: each published network as an HSDS organization offering one service (its care coordination), with its service area and located members.",
            publisher: HsdsPublisher { name: "onconet" },
        })
}

crate::dto::page::paged_query! {
    /// The filters and paging of `GET /hsds/organizations`.
    pub struct OrganizationsQuery {
        /// Text to find in the name or description (case-insensitive).
        #[param(
            max_length = 200,
            pattern = "^[^\\x00-\\x1f\\x7f]*$",
            example = "Groningen"
        )]
        pub search: Option<String>,
        /// `true`: each organization with its contacts, funding and locations.
        #[param(value_type = Option<bool>)]
        pub full: Option<String>,
    }
}

crate::dto::page::paged_query! {
    /// The filters and paging of `GET /hsds/services`.
    pub struct ServicesQuery {
        /// Text to find in the name or description (case-insensitive).
        #[param(
            max_length = 200,
            pattern = "^[^\\x00-\\x1f\\x7f]*$",
            example = "Groningen"
        )]
        pub search: Option<String>,
        /// Only the service of this organization.
        #[param(value_type = Option<Uuid>)]
        pub organization_id: Option<String>,
        /// Only services linked to this taxonomy term (a network type, discipline or tumour type).
        #[param(value_type = Option<Uuid>)]
        pub taxonomy_term_id: Option<String>,
        /// Only services modified on or after this RFC 3339 time.
        #[param(value_type = Option<chrono::DateTime<chrono::Utc>>, example = "2026-01-01T00:00:00Z")]
        pub modified_after: Option<String>,
        /// `true`: each service fully nested (organization, attributes, service area, locations).
        #[param(value_type = Option<bool>)]
        pub full: Option<String>,
    }
}

crate::dto::page::paged_query! {
    /// The filters and paging of `GET /hsds/service_areas`.
    pub struct ServiceAreasQuery {
        /// Only the area of this service.
        #[param(value_type = Option<Uuid>)]
        pub service_id: Option<String>,
    }
}

crate::dto::page::paged_query! {
    /// The filters and paging of `GET /hsds/locations`.
    pub struct LocationsQuery {
        /// Only the locations of this organization.
        #[param(value_type = Option<Uuid>)]
        pub organization_id: Option<String>,
    }
}

/// A page of HSDS organizations: one per published network, ordered by name.
#[utoipa::path(
    tag = "HSDS",
    params(OrganizationsQuery, ("Accept-Language" = Option<String>, Header, description = "`nl` (default) or `en`: labels, and which description comes first")),
    responses(
        (status = 200, description = "An HSDS page of organizations (HSDS `organization`)", body = HsdsPage<HsdsOrganization>),
        (status = 400, description = "A query parameter is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/organizations")]
pub async fn list_organizations(
    req: HttpRequest,
    registry: web::Data<Registry>,
    query: crate::extract::Query<OrganizationsQuery>,
) -> ApiResult<HttpResponse> {
    let (page, per_page) = query.paging()?;
    let full = parse_flag("full", query.full.as_deref())?;
    let search = parse_search(query.search.as_deref())?;
    let published = Published::load(&req, &registry).await?;
    let view = published.view(&registry);
    let items = published
        .networks
        .iter()
        .filter(|n| search.as_deref().is_none_or(|s| hsds::matches_search(n, s)))
        .map(|n| view.organization(n, detail(full)))
        .collect();
    Ok(published.respond(&hsds::page(items, page, per_page)))
}

/// One HSDS organization, fully nested (contacts, funding, locations).
#[utoipa::path(
    tag = "HSDS",
    params(("id" = String, Path, description = "HSDS organization id (UUID)"),
        ("Accept-Language" = Option<String>, Header, description = "`nl` (default) or `en`")),
    responses(
        (status = 200, description = "The organization (HSDS `organization`)", body = HsdsOrganization),
        (status = 404, description = "No such organization", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/organizations/{id}")]
pub async fn get_organization(
    req: HttpRequest,
    registry: web::Data<Registry>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&path, "organization")?;
    let published = Published::load(&req, &registry).await?;
    let network = published
        .networks
        .iter()
        .find(|n| hsds::document_id(n.id, "organization") == id)
        .ok_or_else(|| not_found("organization", id))?;
    Ok(published.respond(
        &published
            .view(&registry)
            .organization(network, Detail::Full),
    ))
}

/// A page of HSDS services: the care coordination of each published network.
#[utoipa::path(
    tag = "HSDS",
    params(ServicesQuery, ("Accept-Language" = Option<String>, Header, description = "`nl` (default) or `en`: labels, and which description comes first")),
    responses(
        (status = 200, description = "An HSDS page of services (HSDS `service`)", body = HsdsPage<HsdsService>),
        (status = 400, description = "A query parameter is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/services")]
pub async fn list_services(
    req: HttpRequest,
    registry: web::Data<Registry>,
    query: crate::extract::Query<ServicesQuery>,
) -> ApiResult<HttpResponse> {
    let (page, per_page) = query.paging()?;
    let full = parse_flag("full", query.full.as_deref())?;
    let search = parse_search(query.search.as_deref())?;
    let organization = parse_uuid("organization_id", query.organization_id.as_deref())?;
    let term = parse_uuid("taxonomy_term_id", query.taxonomy_term_id.as_deref())?;
    let modified_after = parse_time("modified_after", query.modified_after.as_deref())?;
    let published = Published::load(&req, &registry).await?;
    let view = published.view(&registry);
    let items = published
        .networks
        .iter()
        .filter(|n| search.as_deref().is_none_or(|s| hsds::matches_search(n, s)))
        .filter(|n| organization.is_none_or(|o| hsds::document_id(n.id, "organization") == o))
        .filter(|n| term.is_none_or(|t| hsds::service_term_ids(n).contains(&t)))
        .filter(|n| modified_after.is_none_or(|t| n.updated_at >= t))
        .map(|n| view.service(n, detail(full)))
        .collect();
    Ok(published.respond(&hsds::page(items, page, per_page)))
}

/// One HSDS service, fully nested (organization, attributes, service area, locations).
#[utoipa::path(
    tag = "HSDS",
    params(("id" = String, Path, description = "HSDS service id (UUID)"),
        ("Accept-Language" = Option<String>, Header, description = "`nl` (default) or `en`")),
    responses(
        (status = 200, description = "The service (HSDS `service`)", body = HsdsService),
        (status = 404, description = "No such service", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/services/{id}")]
pub async fn get_service(
    req: HttpRequest,
    registry: web::Data<Registry>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&path, "service")?;
    let published = Published::load(&req, &registry).await?;
    let network = published
        .networks
        .iter()
        .find(|n| hsds::document_id(n.id, "service") == id)
        .ok_or_else(|| not_found("service", id))?;
    Ok(published.respond(&published.view(&registry).service(network, Detail::Full)))
}

/// A page of HSDS service areas: the derived area of each published network that has one, its
/// `extent` a GeoJSON MultiPolygon (`extent_type` `geojson`).
#[utoipa::path(
    tag = "HSDS",
    params(ServiceAreasQuery),
    responses(
        (status = 200, description = "An HSDS page of service areas (HSDS `service_area`)", body = HsdsPage<HsdsServiceArea>),
        (status = 400, description = "A query parameter is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/service_areas")]
pub async fn list_service_areas(
    req: HttpRequest,
    registry: web::Data<Registry>,
    query: crate::extract::Query<ServiceAreasQuery>,
) -> ApiResult<HttpResponse> {
    let (page, per_page) = query.paging()?;
    let service = parse_uuid("service_id", query.service_id.as_deref())?;
    let published = Published::load(&req, &registry).await?;
    let view = published.view(&registry);
    let items = published
        .networks
        .iter()
        .filter(|n| service.is_none_or(|s| hsds::document_id(n.id, "service") == s))
        .filter_map(|n| view.service_area(n))
        .collect();
    Ok(published.respond(&hsds::page(items, page, per_page)))
}

/// One HSDS service area.
#[utoipa::path(
    tag = "HSDS",
    params(("id" = String, Path, description = "HSDS service area id (UUID)")),
    responses(
        (status = 200, description = "The service area (HSDS `service_area`)", body = HsdsServiceArea),
        (status = 404, description = "No such service area", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/service_areas/{id}")]
pub async fn get_service_area(
    req: HttpRequest,
    registry: web::Data<Registry>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&path, "service area")?;
    let published = Published::load(&req, &registry).await?;
    let view = published.view(&registry);
    let area = published
        .networks
        .iter()
        .filter(|n| hsds::document_id(n.id, "service_area") == id)
        .find_map(|n| view.service_area(n))
        .ok_or_else(|| not_found("service area", id))?;
    Ok(published.respond(&area))
}

/// A page of HSDS locations: the members of published networks that have coordinates, by
/// network (ordered by name), then in the network's order.
#[utoipa::path(
    tag = "HSDS",
    params(LocationsQuery, ("Accept-Language" = Option<String>, Header, description = "`nl` (default) or `en`: labels")),
    responses(
        (status = 200, description = "An HSDS page of locations (HSDS `location`)", body = HsdsPage<HsdsLocation>),
        (status = 400, description = "A query parameter is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/locations")]
pub async fn list_locations(
    req: HttpRequest,
    registry: web::Data<Registry>,
    query: crate::extract::Query<LocationsQuery>,
) -> ApiResult<HttpResponse> {
    let (page, per_page) = query.paging()?;
    let organization = parse_uuid("organization_id", query.organization_id.as_deref())?;
    let published = Published::load(&req, &registry).await?;
    let view = published.view(&registry);
    let items = published
        .networks
        .iter()
        .filter(|n| organization.is_none_or(|o| hsds::document_id(n.id, "organization") == o))
        .flat_map(|n| view.locations(n))
        .collect();
    Ok(published.respond(&hsds::page(items, page, per_page)))
}

/// One HSDS location.
#[utoipa::path(
    tag = "HSDS",
    params(("id" = String, Path, description = "HSDS location id (UUID)"),
        ("Accept-Language" = Option<String>, Header, description = "`nl` (default) or `en`")),
    responses(
        (status = 200, description = "The location (HSDS `location`)", body = HsdsLocation),
        (status = 404, description = "No such location", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/locations/{id}")]
pub async fn get_location(
    req: HttpRequest,
    registry: web::Data<Registry>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&path, "location")?;
    let published = Published::load(&req, &registry).await?;
    let view = published.view(&registry);
    let location = published
        .networks
        .iter()
        .flat_map(|n| view.locations(n))
        .find(|l| l.id == id)
        .ok_or_else(|| not_found("location", id))?;
    Ok(published.respond(&location))
}
