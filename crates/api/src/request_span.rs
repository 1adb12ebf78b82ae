//! The tracing span of each request (through `tracing-actix-web`).
//!
//! With request logging on (`ONCONET_LOG_REQUESTS`), every request gets the full
//! OpenTelemetry-style span of [`DefaultRootSpanBuilder`] (client, user agent, target, status,
//! error), which the subscriber prints when it closes. Otherwise — the production default —
//! a request that changes something gets a lean span holding only its request id (which its
//! revision also records), so that whatever is logged while serving it (errors log
//! themselves, see [`crate::error`]) names the request; reads get none, as nothing else would
//! name them. The full span costs about half of an otherwise empty request's CPU time (its
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
            return DefaultRootSpanBuilder::on_request_start(request);
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
            DefaultRootSpanBuilder::on_request_end(span, outcome);
        }
    }
}
