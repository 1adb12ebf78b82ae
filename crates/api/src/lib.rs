//! onconet's HTTP adapter: routes, request/response types and their OpenAPI schemas,
//! extractors, authentication, the error format and the OpenAPI document. Handlers parse,
//! call one operation of the registry (`onconet_registry`), and shape the answer; this
//! crate does not talk to the database.

pub mod auth;
pub mod dto;
pub mod error;
pub mod etag;
pub mod extract;
pub mod fhir;
pub mod hsds;
pub mod methods;
pub mod oidc;
pub mod openapi;
pub mod ratelimit;
pub mod request_span;
pub mod routes;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, HttpRequest, HttpResponse, web};
use error::{ApiError, InvalidParam};
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_actix_web::{AppExt, UtoipaApp, scope};

pub use auth::{Authenticator, VerificationKey};
pub use onconet_registry::Registry;

/// Mounts every documented route. Both the server and [`openapi`] go through here, so the
/// document cannot drift from the routes.
fn mount<T>(app: UtoipaApp<T>) -> UtoipaApp<T>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    app.service(
        // The public search first: actix tries routes in this order, and the dynamic ones
        // below (`/networks/{id}`, …) cost a regex match each.
        scope("/v1")
            .service(routes::search::search)
            .service(routes::search::here)
            .service(routes::networks::list_networks)
            .service(routes::networks::create_network)
            .service(routes::networks::preview_network)
            .service(routes::networks::get_network)
            .service(routes::networks::update_network)
            .service(routes::networks::transition_network)
            .service(routes::networks::verify_network)
            .service(routes::networks::erase_contact)
            .service(routes::proposals::list_pending_proposals)
            .service(routes::proposals::list_proposals)
            .service(routes::proposals::get_proposal)
            .service(routes::proposals::transition_proposal)
            .service(routes::reports::financing_report)
            .service(routes::imports::create_import)
            .service(routes::imports::template_csv)
            .service(routes::imports::template_xlsx)
            .service(routes::exports::export_networks)
            .service(routes::toolbox::list_toolbox)
            .service(routes::toolbox::create_toolbox_item)
            .service(routes::toolbox::get_toolbox_item)
            .service(routes::toolbox::update_toolbox_item)
            .service(routes::toolbox::transition_toolbox_item)
            .service(routes::toolbox::get_toolbox_history)
            .service(routes::webhooks::create_webhook)
            .service(routes::webhooks::list_webhooks)
            .service(routes::webhooks::get_webhook)
            .service(routes::webhooks::update_webhook)
            .service(routes::webhooks::delete_webhook)
            .service(routes::webhooks::list_webhook_deliveries)
            .service(routes::changes::get_history)
            .service(routes::changes::list_changes)
            .service(routes::vocabularies::list_vocabularies)
            .service(routes::regions::list_regions)
            .service(routes::regions::get_region)
            .service(routes::coverage::get_coverage)
            .service(routes::coverage::get_discipline_matrix)
            .service(routes::coverage::get_region_coverage)
            .service(routes::coverage::get_trend)
            .service(routes::coverage::create_snapshot)
            .service(routes::usage::get_usage)
            .service(routes::console::get_me),
    )
    .service(
        scope("/fhir")
            .service(routes::fhir::metadata)
            .service(routes::fhir::search_organization)
            .service(routes::fhir::organization_history)
            .service(routes::fhir::read_organization)
            .service(routes::fhir::organization_instance_history)
            .service(routes::fhir::search_organization_affiliation)
            .service(routes::fhir::organization_affiliation_history)
            .service(routes::fhir::read_organization_affiliation)
            .service(routes::fhir::organization_affiliation_instance_history)
            .service(routes::fhir::search_location)
            .service(routes::fhir::location_history)
            .service(routes::fhir::read_location)
            .service(routes::fhir::location_instance_history)
            .default_service(web::to(routes::fhir::unrouted)),
    )
    .service(
        scope("/hsds")
            .service(routes::hsds::about)
            .service(routes::hsds::list_organizations)
            .service(routes::hsds::get_organization)
            .service(routes::hsds::list_services)
            .service(routes::hsds::get_service)
            .service(routes::hsds::list_service_areas)
            .service(routes::hsds::get_service_area)
            .service(routes::hsds::list_locations)
            .service(routes::hsds::get_location),
    )
    .service(routes::health::healthz)
    .service(routes::health::readyz)
    .service(routes::health::metrics)
    .service(routes::docs::openapi_document)
    .service(routes::docs::docs_redirect)
    .service(routes::docs::swagger_page)
    .service(routes::docs::swagger_ui)
    .service(routes::widget::widget_script)
    .service(routes::widget::widget_demo)
    .service(routes::console::console_redirect)
    .service(routes::console::console_index)
    .service(routes::console::console_asset)
    .service(routes::console::console_vendor)
    .service(routes::console::sign_in_page)
    .service(routes::console::dev_sign_in)
    .service(routes::console::sign_out)
    .service(routes::console::oidc_start)
    .service(routes::console::oidc_callback)
    .service(routes::console::console_history)
    .service(routes::console::console_network)
    .service(routes::console::console_section)
}

/// The OpenAPI document of this API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, doc) = mount(
        App::new()
            .into_utoipa_app()
            .openapi(openapi::BaseDoc::openapi()),
    )
    .split_for_parts();
    doc
}

/// The OpenAPI document as served at `/openapi.json` and committed in `openapi/openapi.json`.
pub fn openapi_json() -> String {
    let mut text = openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

fn query_error(err: actix_web::error::QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    let message = err.to_string();
    let parameter = message.split('`').nth(1).unwrap_or("").to_owned();
    ApiError::BadRequest {
        detail: format!("the query string is invalid: {message}"),
        errors: vec![InvalidParam::parameter(
            &parameter,
            "invalid_parameter",
            message.clone(),
        )],
    }
    .into()
}

/// The documented paths with the methods each answers, to tell 405 from 404.
pub(crate) struct KnownRoutes(Vec<(actix_web::dev::ResourceDef, Vec<String>)>);

const HTTP_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

impl KnownRoutes {
    fn from_doc(doc: &utoipa::openapi::OpenApi) -> Self {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods: Vec<String> = serde_json::to_value(item)
                    .ok()
                    .and_then(|v| {
                        v.as_object().map(|o| {
                            o.keys()
                                .filter(|k| HTTP_METHODS.contains(&k.as_str()))
                                .map(|k| k.to_uppercase())
                                .collect()
                        })
                    })
                    .unwrap_or_default();
                // HEAD is answered wherever GET is (see `methods`).
                if methods.iter().any(|m| m == "GET") {
                    methods.push("HEAD".into());
                }
                methods.sort();
                (actix_web::dev::ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        Self(routes)
    }
}

impl KnownRoutes {
    /// Why no route answers `method` on `path`: 405 with the methods it has, or 404.
    pub(crate) fn refusal(&self, method: &actix_web::http::Method, path: &str) -> ApiError {
        match self.0.iter().find(|(def, _)| def.is_match(path)) {
            Some((_, methods)) => ApiError::MethodNotAllowed {
                allow: methods.join(", "),
            },
            None => ApiError::NotFound(format!(
                "no route for {method} {}",
                error::abbreviated(path, 200)
            )),
        }
    }
}

async fn not_found(
    req: HttpRequest,
    known: web::Data<KnownRoutes>,
) -> Result<HttpResponse, ApiError> {
    Err(known.refusal(req.method(), req.path()))
}

/// Any site may read the public API from a browser (no credentials); writes are not
/// offered cross-origin.
fn cors() -> actix_cors::Cors {
    actix_cors::Cors::default()
        .allow_any_origin()
        .send_wildcard()
        .allowed_methods(["GET", "HEAD"])
        .allowed_headers([
            actix_web::http::header::ACCEPT,
            actix_web::http::header::ACCEPT_LANGUAGE,
            actix_web::http::header::IF_NONE_MATCH,
        ])
        .expose_headers([
            actix_web::http::header::ETAG,
            actix_web::http::header::LINK,
            actix_web::http::header::CONTENT_LANGUAGE,
        ])
        .max_age(86_400)
}

/// Process-wide operational parts, built once and shared by every worker.
#[derive(Clone)]
pub struct Ops {
    /// Request counts and latencies by route and status.
    pub metrics: actix_web_prom::PrometheusMetrics,
    /// The public rate limit (`None`: unlimited).
    pub rate_limit: Option<Arc<ratelimit::RateLimit>>,
    /// The console's sign-in (development minter or none).
    pub console: routes::console::Console,
}

impl Ops {
    /// `per_second` = 0 turns rate limiting off; `trusted` are the reverse proxies whose
    /// `X-Forwarded-For` names the client.
    pub fn new(
        per_second: u32,
        burst: u32,
        trusted: ratelimit::TrustedProxies,
    ) -> Result<Self, String> {
        let metrics = actix_web_prom::PrometheusMetricsBuilder::new("onconet")
            .mask_unmatched_patterns("UNMATCHED")
            .exclude("/metrics")
            .buckets(&[
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ])
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            metrics,
            rate_limit: ratelimit::RateLimit::new(per_second, burst, trusted).map(Arc::new),
            console: routes::console::Console::default(),
        })
    }
}

/// The whole application: API routes, `/openapi.json`, `/docs`, shared state, error handlers,
/// CORS, metrics, rate limiting and request logging.
pub fn app(
    registry: Registry,
    auth: Arc<Authenticator>,
    ops: Ops,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, doc) = mount(
        App::new()
            .into_utoipa_app()
            .openapi(openapi::BaseDoc::openapi()),
    )
    .split_for_parts();
    let doc_json = web::Bytes::from({
        let mut text = doc.to_pretty_json().unwrap_or_default();
        text.push('\n');
        text
    });
    let known = web::Data::new(KnownRoutes::from_doc(&doc));
    let mut app = app.app_data(known);
    if let Some(rate_limit) = ops.rate_limit.clone() {
        app = app.app_data(web::Data::from(rate_limit));
    }
    app.app_data(web::Data::new(routes::docs::OpenApiJson(doc_json)))
        .app_data(web::Data::new(Arc::new(utoipa_swagger_ui::Config::new([
            "/openapi.json",
        ]))))
        .app_data(web::Data::new(registry))
        .app_data(web::Data::new(ops.console.clone()))
        .app_data(web::Data::new(auth))
        .app_data(web::Data::new(ops.metrics.registry.clone()))
        .app_data(web::QueryConfig::default().error_handler(query_error))
        .app_data(
            web::PathConfig::default()
                .error_handler(|err, _| ApiError::NotFound(err.to_string()).into()),
        )
        .default_service(web::to(not_found))
        .wrap(actix_web::middleware::from_fn(ratelimit::limit))
        .wrap(cors())
        .wrap(ops.metrics.clone())
        .wrap(actix_web::middleware::from_fn(methods::normalise))
        .wrap(tracing_actix_web::TracingLogger::<request_span::RequestSpan>::new())
}
