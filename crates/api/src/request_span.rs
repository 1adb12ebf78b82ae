//! The tracing span of each request (through `tracing-actix-web`).
//!
//! With request logging on (`ONCONET_LOG_REQUESTS`), every request gets an OpenTelemetry-style
//! span (method, route, target, status, error, request id), which the subscriber prints when it
//! closes. It never holds the client's address or user agent: the registry does not record
//! who asked (`scripts/check-logs.sh` fails on either in the test logs). Otherwise — the
//! production default — a request that changes something gets a lean span holding only its
//! request id (which its revision also records), so that whatever is logged while serving it
//! (errors log themselves, see [`crate::error`]) names the request; reads get none, as nothing
//! else would name them. The full span costs about half of an otherwise empty request's CPU time (its
//! fields are formatted as JSON when it opens, and parsed and rewritten when the status is
//! recorded); even the lean one costs a search about 5 %.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::{Error, HttpMessage};
use std::sync::atomic::{AtomicBool, Ordering};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

static LOG_REQUESTS: AtomicBool = AtomicBool::new(false);

/// Turns the full per-request span (and so a log line per request) on or off, process-wide.
pub fn log_requests(on: bool) {
    LOG_REQUESTS.store(on, Ordering::Relaxed);
}

/// The [`RootSpanBuilder`] of the app.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        if LOG_REQUESTS.load(Ordering::Relaxed) {
            return full_span(request);
        }
        if matches!(
            *request.method(),
            Method::GET | Method::HEAD | Method::OPTIONS
        ) {
            return Span::none();
        }
        let request_id = request.extensions().get::<RequestId>().copied();
        tracing::info_span!(
            "HTTP request",
            request_id = request_id.map(tracing::field::display)
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        if LOG_REQUESTS.load(Ordering::Relaxed) {
            // Records the status and any error in the fields declared below.
            DefaultRootSpanBuilder::on_request_end(span, outcome);
        }
    }
}

/// The span of a logged request: the fields of `tracing-actix-web`'s default span but the
/// client's address, user agent and host.
fn full_span(request: &ServiceRequest) -> Span {
    let request_id = request.extensions().get::<RequestId>().copied();
    let route = request.match_pattern();
    let route = route.as_deref().unwrap_or("default");
    let empty = tracing::field::Empty;
    tracing::info_span!(
        "HTTP request",
        http.method = %request.method(),
        http.route = %route,
        http.target = %request.uri().path_and_query().map(|p| p.as_str()).unwrap_or(""),
        http.status_code = empty,
        otel.name = %format_args!("{} {}", request.method(), route),
        otel.kind = "server",
        otel.status_code = empty,
        request_id = request_id.map(tracing::field::display),
        exception.message = empty,
        exception.details = empty,
    )
}
