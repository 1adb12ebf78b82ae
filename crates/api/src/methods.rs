//! Request methods, before anything else sees the request.
//!
//! - `HEAD` is answered as `GET` (RFC 9110 §9.1: a general-purpose server supports both); the
//!   connection, which saw `HEAD`, sends the headers and no body.
//! - Any other method is refused here, as routing would (405 with `Allow`, or 404), but before
//!   the metrics, which label requests by method: each made-up method would otherwise be a new
//!   time series, for anyone to add.

use crate::KnownRoutes;
use crate::error::ApiError;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

/// The methods some route (or CORS preflight) answers.
const ROUTED: [Method; 6] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PATCH,
    Method::DELETE,
    Method::OPTIONS,
];

/// The middleware (`actix_web::middleware::from_fn`).
pub async fn normalise(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let method = req.method().clone();
    if !ROUTED.contains(&method) {
        // FHIR clients get an OperationOutcome, as everywhere under /fhir.
        if req.path() == "/fhir" || req.path().starts_with("/fhir/") {
            return Err(crate::routes::fhir::refusal(req.request()).into());
        }
        let refusal = match req.app_data::<actix_web::web::Data<KnownRoutes>>() {
            Some(known) => known.refusal(&method, req.path()),
            None => ApiError::NotFound(format!("no route for {method}")),
        };
        return Err(refusal.into());
    }
    if method == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}
