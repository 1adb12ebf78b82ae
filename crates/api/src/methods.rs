//! Request methods, before anything else sees the request.
//!
//! - `HEAD` is answered as `GET` (RFC 9110 §9.1: a general-purpose server supports both); the
//!   connection, which saw `HEAD`, sends the headers and no body.
//! - A method HTTP does not define gets 501 here, before the metrics, which label requests by
//!   method: each made-up method would otherwise be a new time series, for anyone to add.

use crate::error::ApiError;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

/// The methods of RFC 9110 and PATCH (RFC 5789).
const KNOWN: [Method; 9] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::CONNECT,
    Method::OPTIONS,
    Method::TRACE,
    Method::PATCH,
];

/// The middleware (`actix_web::middleware::from_fn`).
pub async fn normalise(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let method = req.method().clone();
    if !KNOWN.contains(&method) {
        return Err(ApiError::NotImplemented(
            "this server implements the HTTP methods of RFC 9110 and PATCH only".into(),
        )
        .into());
    }
    if method == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}
