//! `/fhir`: read-only FHIR R4 views following IHE mCSD (see [`crate::fhir`] for the mapping).
//! `application/fhir+json` only; every error is an OperationOutcome, not a problem document.

use crate::error::ApiError;
use crate::fhir::bundle::{self, Event, PageLinks};
use crate::fhir::resources::{Resource, all_resources, with_boundary};
use crate::fhir::search::{self, BadParameter};
use crate::fhir::{FHIR_JSON, IssueType, ResourceType, capability, is_fhir_id, operation_outcome};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError, get, web};
use onconet_registry::Registry;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A failed FHIR request: its status and the OperationOutcome's issue.
#[derive(Debug)]
pub struct FhirError {
    pub status: StatusCode,
    pub code: IssueType,
    pub diagnostics: String,
}

impl FhirError {
    fn new(status: StatusCode, code: IssueType, diagnostics: impl Into<String>) -> Self {
        Self {
            status,
            code,
            diagnostics: diagnostics.into(),
        }
    }

    fn bad(e: BadParameter) -> Self {
        Self::new(StatusCode::BAD_REQUEST, IssueType::Invalid, e.0)
    }

    fn not_found(kind: ResourceType, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            IssueType::NotFound,
            format!("{kind}/{} is not known", crate::error::abbreviated(id, 80)),
        )
    }
}

impl fmt::Display for FhirError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status, self.diagnostics)
    }
}

impl ResponseError for FhirError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response
            .insert_header((header::CONTENT_TYPE, FHIR_JSON))
            .insert_header((header::CACHE_CONTROL, "no-store"));
        if self.status == StatusCode::METHOD_NOT_ALLOWED {
            response.insert_header((header::ALLOW, "GET, HEAD"));
        }
        response.body(operation_outcome(self.code, &self.diagnostics).to_string())
    }
}

impl From<onconet_registry::Error> for FhirError {
    fn from(e: onconet_registry::Error) -> Self {
        let api = ApiError::from(e);
        let status = api.status_code();
        if let ApiError::Internal(cause) = &api {
            // Logged once here; the client gets no cause.
            tracing::error!(cause = %cause, "request failed");
        }
        let code = match status {
            StatusCode::SERVICE_UNAVAILABLE => IssueType::Transient,
            s if s.is_server_error() => IssueType::Exception,
            StatusCode::NOT_FOUND => IssueType::NotFound,
            _ => IssueType::Invalid,
        };
        let diagnostics = if status.is_server_error() {
            status
                .canonical_reason()
                .unwrap_or("server error")
                .to_owned()
        } else {
            api.problem().detail.unwrap_or_default()
        };
        Self::new(status, code, diagnostics)
    }
}

type FhirResult<T> = Result<T, FhirError>;

/// The query's pairs, decoded.
fn pairs(req: &HttpRequest) -> Vec<(String, String)> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect()
}

fn is_json_type(media: &str) -> bool {
    matches!(
        media,
        "json" | "application/json" | "application/fhir+json" | "application/json+fhir"
    )
}

/// FHIR JSON is the only format: `_format` (which wins) or `Accept` must allow it (406).
fn negotiate(req: &HttpRequest, pairs: &[(String, String)]) -> FhirResult<()> {
    let formats: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "_format")
        .map(|(_, v)| v.as_str())
        .collect();
    if formats.len() > 1 {
        return Err(FhirError::new(
            StatusCode::BAD_REQUEST,
            IssueType::Invalid,
            "_format may be given once",
        ));
    }
    if let Some(format) = formats.first() {
        let media = format
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if media.is_empty() || is_json_type(&media) {
            return Ok(());
        }
        return Err(FhirError::new(
            StatusCode::NOT_ACCEPTABLE,
            IssueType::NotSupported,
            format!(
                "_format `{}` is not served: only JSON (json, application/fhir+json)",
                crate::error::abbreviated(format, 80)
            ),
        ));
    }
    let Some(accept) = req.headers().get(header::ACCEPT) else {
        return Ok(());
    };
    let accept = accept.to_str().unwrap_or("").to_ascii_lowercase();
    let acceptable = accept.trim().is_empty()
        || accept.split(',').any(|range| {
            let media = range.split(';').next().unwrap_or("").trim();
            media == "*/*" || media == "application/*" || is_json_type(media)
        });
    if acceptable {
        Ok(())
    } else {
        Err(FhirError::new(
            StatusCode::NOT_ACCEPTABLE,
            IssueType::NotSupported,
            "only application/fhir+json is served",
        ))
    }
}

/// This server's FHIR base, as the client reached it.
fn base(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}/fhir", info.scheme(), info.host())
}

fn fhir_json(status: StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, FHIR_JSON))
        .insert_header((header::CACHE_CONTROL, "public, max-age=10"))
        .body(body.to_string())
}

/// Every current resource of the views.
async fn current(registry: &Registry) -> FhirResult<Vec<Resource>> {
    let networks = registry.published_networks().await?;
    let today = chrono::Utc::now().date_naive();
    Ok(all_resources(&networks, &registry.vocabularies, today))
}

/// The bodies of `page` as served: Locations with their boundary.
async fn served(registry: &Registry, page: &[&Resource]) -> FhirResult<Vec<Value>> {
    let ids: Vec<Uuid> = page
        .iter()
        .filter(|r| r.kind == ResourceType::Location)
        .map(|r| r.network_id)
        .collect();
    let areas: HashMap<Uuid, Value> = registry.published_areas(&ids).await?;
    Ok(page
        .iter()
        .map(|r| match (r.kind, areas.get(&r.network_id)) {
            (ResourceType::Location, Some(area)) => with_boundary(r.body.clone(), area),
            _ => r.body.clone(),
        })
        .collect())
}

fn window<T>(items: &[T], offset: usize, count: usize) -> &[T] {
    let start = offset.min(items.len());
    let end = start.saturating_add(count).min(items.len());
    &items[start..end]
}

async fn search_type(
    kind: ResourceType,
    req: &HttpRequest,
    registry: &Registry,
) -> FhirResult<HttpResponse> {
    let pairs = pairs(req);
    negotiate(req, &pairs)?;
    let search = search::parse_search(kind, &pairs).map_err(FhirError::bad)?;
    let all = current(registry).await?;
    let mut matched: Vec<&Resource> = all
        .iter()
        .filter(|r| r.kind == kind && search.matches(r))
        .collect();
    matched.sort_by(|a, b| a.id.cmp(&b.id));
    let page = window(&matched, search.offset, search.count);
    let bodies = served(registry, page).await?;
    let entries = page
        .iter()
        .zip(bodies)
        .map(|(r, body)| (r.kind, r.id.clone(), body))
        .collect();
    let links = PageLinks {
        base: base(req),
        path: format!("/{kind}"),
        pairs,
    };
    let bundle = bundle::searchset(&links, search.offset, search.count, matched.len(), entries);
    Ok(fhir_json(StatusCode::OK, &bundle))
}

async fn read(
    kind: ResourceType,
    id: &str,
    req: &HttpRequest,
    registry: &Registry,
) -> FhirResult<HttpResponse> {
    let pairs = pairs(req);
    negotiate(req, &pairs)?;
    if let Some((k, _)) = pairs.iter().find(|(k, _)| k != "_format") {
        return Err(FhirError::new(
            StatusCode::BAD_REQUEST,
            IssueType::Invalid,
            format!(
                "`{}` is not a parameter of read (only _format is)",
                crate::error::abbreviated(k, 80)
            ),
        ));
    }
    if !is_fhir_id(id) {
        return Err(FhirError::not_found(kind, id));
    }
    let all = current(registry).await?;
    let Some(resource) = all.iter().find(|r| r.kind == kind && r.id == id) else {
        let revisions = registry.public_revisions().await?;
        let deleted = bundle::deletions(&revisions)
            .into_iter()
            .any(|d| d.kind == kind && d.id == id);
        return Err(if deleted {
            FhirError::new(
                StatusCode::GONE,
                IssueType::Deleted,
                format!("{kind}/{id} was deleted (see its _history)"),
            )
        } else {
            FhirError::not_found(kind, id)
        });
    };
    let body = served(registry, &[resource])
        .await?
        .pop()
        .unwrap_or(Value::Null);
    let modified = std::time::SystemTime::from(resource.last_updated);
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, FHIR_JSON))
        .insert_header((header::CACHE_CONTROL, "public, max-age=10"))
        .insert_header((header::ETAG, format!("W/\"{}\"", resource.version)))
        .insert_header(header::LastModified(modified.into()))
        .body(body.to_string()))
}

async fn history(
    kind: ResourceType,
    id: Option<&str>,
    req: &HttpRequest,
    registry: &Registry,
) -> FhirResult<HttpResponse> {
    let pairs = pairs(req);
    negotiate(req, &pairs)?;
    let params = search::parse_history(&pairs).map_err(FhirError::bad)?;
    if id.is_some_and(|id| !is_fhir_id(id)) {
        return Err(FhirError::not_found(kind, id.unwrap_or_default()));
    }
    let all = current(registry).await?;
    let revisions = registry.public_revisions().await?;
    let deletions = bundle::deletions(&revisions);
    if let Some(id) = id {
        let known = all.iter().any(|r| r.kind == kind && r.id == id)
            || deletions.iter().any(|d| d.kind == kind && d.id == id);
        if !known {
            return Err(FhirError::not_found(kind, id));
        }
    }
    let events = bundle::history_events(kind, id, params.since, &all, &deletions);
    let page = window(&events, params.offset, params.count);
    let current_page: Vec<&Resource> = page
        .iter()
        .filter_map(|e| match e {
            Event::Current(r) => Some(*r),
            Event::Deleted(_) => None,
        })
        .collect();
    let mut bodies = served(registry, &current_page).await?.into_iter();
    let entries: Vec<(Event<'_>, Option<Value>)> = page
        .iter()
        .map(|e| match e {
            Event::Current(_) => (*e, bodies.next()),
            Event::Deleted(_) => (*e, None),
        })
        .collect();
    let links = PageLinks {
        base: base(req),
        path: match id {
            Some(id) => format!("/{kind}/{id}/_history"),
            None => format!("/{kind}/_history"),
        },
        pairs,
    };
    let bundle = bundle::history(&links, params.offset, params.count, events.len(), &entries);
    Ok(fhir_json(StatusCode::OK, &bundle))
}

// ---- OpenAPI: the shapes of what these routes send (documentation only) ----

/// A FHIR R4 Bundle (`searchset` or `history`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FhirBundle {
    /// `Bundle`.
    #[schema(example = "Bundle")]
    pub resource_type: String,
    /// `searchset` or `history`.
    #[serde(rename = "type")]
    pub bundle_type: String,
    /// How many match (every page).
    pub total: u64,
    /// `self`, and `next` / `previous` where there are such pages.
    pub link: Vec<FhirBundleLink>,
    /// This page's entries (absent when there are none): `fullUrl`, `resource`, and `search`
    /// (searchset) or `request` and `response` (history; a DELETE entry has no resource).
    #[schema(value_type = Option<Vec<Object>>)]
    pub entry: Option<Vec<Value>>,
}

#[derive(Serialize, ToSchema)]
pub struct FhirBundleLink {
    pub relation: String,
    pub url: String,
}

/// A FHIR R4 resource (Organization, OrganizationAffiliation or Location, following mCSD).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FhirResource {
    #[schema(example = "Organization")]
    pub resource_type: String,
    pub id: String,
    /// `versionId` (the network's version), `lastUpdated`, `profile` (the mCSD profile).
    #[schema(value_type = Object)]
    pub meta: Value,
}

/// A FHIR R4 OperationOutcome: what went wrong.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OperationOutcome {
    #[schema(example = "OperationOutcome")]
    pub resource_type: String,
    pub issue: Vec<OperationOutcomeIssue>,
}

#[derive(Serialize, ToSchema)]
pub struct OperationOutcomeIssue {
    /// `error`.
    pub severity: String,
    /// The FHIR issue type: `invalid`, `not-found`, `not-supported`, `deleted`, `exception`, …
    pub code: String,
    pub diagnostics: String,
}

/// The FHIR R4 CapabilityStatement of this server.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CapabilityStatement {
    #[schema(example = "CapabilityStatement")]
    pub resource_type: String,
    pub status: String,
    pub date: String,
    pub kind: String,
    #[schema(example = "4.0.1")]
    pub fhir_version: String,
    pub format: Vec<String>,
    /// The resources, their interactions and search parameters.
    #[schema(value_type = Vec<Object>)]
    pub rest: Vec<Value>,
}

/// `_format` alone (every FHIR route takes it).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// `json`, `application/json` or `application/fhir+json` (406 otherwise); wins over `Accept`.
    #[param(rename = "_format", example = "json")]
    pub format: Option<String>,
}

/// The history parameters.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Only what changed at or after this instant (RFC 3339 with a zone).
    #[param(rename = "_since", value_type = Option<String>, format = DateTime, example = "2026-01-01T00:00:00Z")]
    pub since: Option<String>,
    /// Entries per page, 0–200 (default 50).
    #[param(rename = "_count", value_type = Option<i64>, minimum = 0, maximum = 200)]
    pub count: Option<String>,
    /// Entries to skip (the `next` link sets it).
    #[param(rename = "_offset", value_type = Option<i64>, minimum = 0, maximum = 10000000)]
    pub offset: Option<String>,
    /// `json`, `application/json` or `application/fhir+json` (406 otherwise).
    #[param(rename = "_format", example = "json")]
    pub format: Option<String>,
}

/// Search parameters every type takes.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommonSearchQuery {
    /// Resource ids, a comma list (any of them).
    #[param(rename = "_id")]
    pub id: Option<String>,
    /// `meta.lastUpdated`: a prefix `eq` (default), `ne`, `gt`, `ge`, `lt`, `le` and a FHIR
    /// date (`2026`, `2026-05`, `2026-05-10`) or dateTime (`2026-05-10T12:00:00Z`); repeat it
    /// for a range.
    #[param(rename = "_lastUpdated", example = "ge2026-01-01")]
    pub last_updated: Option<String>,
    /// Entries per page, 0–200 (default 50; 0: the total only).
    #[param(rename = "_count", value_type = Option<i64>, minimum = 0, maximum = 200)]
    pub count: Option<String>,
    /// Entries to skip (the `next` link sets it).
    #[param(rename = "_offset", value_type = Option<i64>, minimum = 0, maximum = 10000000)]
    pub offset: Option<String>,
    /// `json`, `application/json` or `application/fhir+json` (406 otherwise).
    #[param(rename = "_format", example = "json")]
    pub format: Option<String>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrganizationSearchQuery {
    /// The name starts with this, ignoring case and accents (`name:contains`, `name:exact`
    /// also work).
    pub name: Option<String>,
    /// The parent network: `id` or `Organization/id`.
    pub partof: Option<String>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AffiliationSearchQuery {
    /// The network (`organization`): `id` or `Organization/id`.
    #[param(rename = "primary-organization")]
    pub primary_organization: Option<String>,
    /// The member or linked network (`participatingOrganization`): `id` or `Organization/id`.
    #[param(rename = "participating-organization")]
    pub participating_organization: Option<String>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LocationSearchQuery {
    /// The name starts with this, ignoring case and accents.
    pub name: Option<String>,
    /// The managing organization (the network): `id` or `Organization/id`.
    pub organization: Option<String>,
}

/// The CapabilityStatement: the types, interactions and search parameters served.
#[utoipa::path(
    tag = "FHIR",
    params(FormatQuery),
    responses(
        (status = 200, description = "The CapabilityStatement", body = CapabilityStatement, content_type = "application/fhir+json"),
        (status = 400, description = "A parameter is invalid", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 406, description = "A format other than FHIR JSON was asked for", body = OperationOutcome, content_type = "application/fhir+json"),
    )
)]
#[get("/metadata")]
pub async fn metadata(req: HttpRequest) -> FhirResult<HttpResponse> {
    let pairs = pairs(&req);
    negotiate(&req, &pairs)?;
    if let Some((k, _)) = pairs.iter().find(|(k, _)| k != "_format") {
        return Err(FhirError::new(
            StatusCode::BAD_REQUEST,
            IssueType::Invalid,
            format!(
                "`{}` is not a parameter of metadata",
                crate::error::abbreviated(k, 80)
            ),
        ));
    }
    Ok(fhir_json(
        StatusCode::OK,
        &capability::capability_statement(&base(&req)),
    ))
}

/// Declares the four routes of one resource type: search, type history, read and instance
/// history (in that order: `_history` must be tried before `{id}`).
macro_rules! fhir_type_routes {
    ($kind:expr, $name:literal, $search_params:ty,
     $search:ident = $search_path:literal, $type_history:ident = $type_history_path:literal,
     $read:ident = $read_path:literal, $instance_history:ident = $instance_history_path:literal) => {
        #[doc = concat!("Search ", $name, " (a searchset Bundle, paged).")]
        #[utoipa::path(
            tag = "FHIR",
            params(CommonSearchQuery, $search_params),
            responses(
                (status = 200, description = "A searchset Bundle", body = FhirBundle, content_type = "application/fhir+json"),
                (status = 400, description = "A parameter is unknown or invalid", body = OperationOutcome, content_type = "application/fhir+json"),
                (status = 406, description = "A format other than FHIR JSON was asked for", body = OperationOutcome, content_type = "application/fhir+json"),
            )
        )]
        #[get($search_path)]
        pub async fn $search(req: HttpRequest, registry: web::Data<Registry>) -> FhirResult<HttpResponse> {
            search_type($kind, &req, &registry).await
        }

        #[doc = concat!("The history of every ", $name, " for sync: current versions changed at or after `_since` and deletions, newest first.")]
        #[utoipa::path(
            tag = "FHIR",
            params(HistoryQuery),
            responses(
                (status = 200, description = "A history Bundle", body = FhirBundle, content_type = "application/fhir+json"),
                (status = 400, description = "A parameter is unknown or invalid", body = OperationOutcome, content_type = "application/fhir+json"),
                (status = 406, description = "A format other than FHIR JSON was asked for", body = OperationOutcome, content_type = "application/fhir+json"),
            )
        )]
        #[get($type_history_path)]
        pub async fn $type_history(req: HttpRequest, registry: web::Data<Registry>) -> FhirResult<HttpResponse> {
            history($kind, None, &req, &registry).await
        }

        #[doc = concat!("One ", $name, ".")]
        #[utoipa::path(
            tag = "FHIR",
            params(("id" = String, Path, description = "The resource id"), FormatQuery),
            responses(
                (status = 200, description = "The resource", body = FhirResource, content_type = "application/fhir+json",
                 headers(("ETag" = String, description = "W/\"version\""), ("Last-Modified" = String, description = "meta.lastUpdated"))),
                (status = 400, description = "A parameter other than _format", body = OperationOutcome, content_type = "application/fhir+json"),
                (status = 404, description = "No such resource", body = OperationOutcome, content_type = "application/fhir+json"),
                (status = 406, description = "A format other than FHIR JSON was asked for", body = OperationOutcome, content_type = "application/fhir+json"),
                (status = 410, description = "The resource was deleted", body = OperationOutcome, content_type = "application/fhir+json"),
            )
        )]
        #[get($read_path)]
        pub async fn $read(req: HttpRequest, registry: web::Data<Registry>, id: web::Path<String>) -> FhirResult<HttpResponse> {
            read($kind, &id, &req, &registry).await
        }

        #[doc = concat!("The history of one ", $name, ": its current version and any deletion.")]
        #[utoipa::path(
            tag = "FHIR",
            params(("id" = String, Path, description = "The resource id"), HistoryQuery),
            responses(
                (status = 200, description = "A history Bundle", body = FhirBundle, content_type = "application/fhir+json"),
                (status = 400, description = "A parameter is unknown or invalid", body = OperationOutcome, content_type = "application/fhir+json"),
                (status = 404, description = "No such resource, now or before", body = OperationOutcome, content_type = "application/fhir+json"),
                (status = 406, description = "A format other than FHIR JSON was asked for", body = OperationOutcome, content_type = "application/fhir+json"),
            )
        )]
        #[get($instance_history_path)]
        pub async fn $instance_history(req: HttpRequest, registry: web::Data<Registry>, id: web::Path<String>) -> FhirResult<HttpResponse> {
            history($kind, Some(&id), &req, &registry).await
        }
    };
}

fhir_type_routes!(
    ResourceType::Organization,
    "Organization",
    OrganizationSearchQuery,
    search_organization = "/Organization",
    organization_history = "/Organization/_history",
    read_organization = "/Organization/{id}",
    organization_instance_history = "/Organization/{id}/_history"
);
fhir_type_routes!(
    ResourceType::OrganizationAffiliation,
    "OrganizationAffiliation",
    AffiliationSearchQuery,
    search_organization_affiliation = "/OrganizationAffiliation",
    organization_affiliation_history = "/OrganizationAffiliation/_history",
    read_organization_affiliation = "/OrganizationAffiliation/{id}",
    organization_affiliation_instance_history = "/OrganizationAffiliation/{id}/_history"
);
fhir_type_routes!(
    ResourceType::Location,
    "Location",
    LocationSearchQuery,
    search_location = "/Location",
    location_history = "/Location/_history",
    read_location = "/Location/{id}",
    location_instance_history = "/Location/{id}/_history"
);

/// Whatever else reaches `/fhir`: an unknown type or interaction (404), or a method other
/// than GET on a FHIR path (405), as OperationOutcomes.
pub async fn unrouted(req: HttpRequest) -> FhirResult<HttpResponse> {
    Err(refusal(&req))
}

/// Why nothing under `/fhir` answers `req` (also for the methods `methods::normalise` refuses
/// before routing).
pub(crate) fn refusal(req: &HttpRequest) -> FhirError {
    let path = req.path().trim_start_matches("/fhir").trim_matches('/');
    let parts: Vec<&str> = if path.is_empty() {
        Vec::new()
    } else {
        path.split('/').collect()
    };
    let known_type = parts
        .first()
        .is_some_and(|t| t.parse::<ResourceType>().is_ok());
    let routed = match parts.as_slice() {
        ["metadata"] => true,
        [_] | [_, _] => known_type,
        [_, _, "_history"] => known_type,
        _ => false,
    };
    if routed && req.method() != actix_web::http::Method::GET {
        return FhirError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            IssueType::NotSupported,
            format!(
                "{} is not supported: this FHIR server is read-only",
                req.method()
            ),
        );
    }
    match parts.first() {
        Some(t) if !known_type && *t != "metadata" => FhirError::new(
            StatusCode::NOT_FOUND,
            IssueType::NotSupported,
            format!(
                "the resource type `{}` is not served (Organization, OrganizationAffiliation, Location are)",
                crate::error::abbreviated(t, 80)
            ),
        ),
        _ => FhirError::new(
            StatusCode::NOT_FOUND,
            IssueType::NotSupported,
            format!(
                "no FHIR interaction at {}",
                crate::error::abbreviated(req.path(), 200)
            ),
        ),
    }
}
