//! One place where failures become HTTP: RFC 9457 problem documents with deliberately chosen
//! status codes (STYLE habit 8). Anything unexpected is an opaque 500, logged once with its
//! cause and never sent to the client.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use onconet_domain::FieldError;
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid input: a body field (by JSON pointer) or a query/path parameter (by name).
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct InvalidParam {
    /// RFC 6901 JSON pointer to the invalid body field, e.g. `/contacts/0/email`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// Name of the invalid query or path parameter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// Machine-readable reason, e.g. `required`, `unknown_code`, `too_long`, `invalid_type`.
    pub code: String,
    /// Human-readable explanation.
    pub detail: String,
    /// In an imported file: the row (spreadsheet row, line, or GeoJSON feature) as the file
    /// counts them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    /// In an imported spreadsheet: the heading of the column, as the file writes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
}

impl InvalidParam {
    pub fn parameter(name: &str, code: &str, detail: impl Into<String>) -> Self {
        Self {
            pointer: None,
            parameter: Some(name.to_owned()),
            code: code.to_owned(),
            detail: detail.into(),
            row: None,
            column: None,
        }
    }

    pub fn pointer(pointer: impl Into<String>, code: &str, detail: impl Into<String>) -> Self {
        Self {
            pointer: Some(pointer.into()),
            parameter: None,
            code: code.to_owned(),
            detail: detail.into(),
            row: None,
            column: None,
        }
    }
}

impl From<FieldError> for InvalidParam {
    fn from(e: FieldError) -> Self {
        InvalidParam::pointer(e.pointer(), e.code, e.message)
    }
}

/// An RFC 9457 problem document; every error response of this API is one.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation-failed",
    "title": "The request body is not valid",
    "status": 422,
    "detail": "2 fields are invalid",
    "errors": [
        {"pointer": "/name", "code": "empty", "detail": "must not be empty"},
        {"pointer": "/disciplines/0", "code": "unknown_code", "detail": "`astrology` is not in the disciplines vocabulary (see GET /v1/vocabularies)"}
    ]
}))]
pub struct Problem {
    /// A URI reference identifying the kind of problem.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Each invalid field or parameter (400 and 422).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[serde(default)]
    pub errors: Vec<InvalidParam>,
    /// The proposal a 409 is about (another adviser's pending proposal, or one whose base
    /// version is no longer current): `GET /v1/networks/{id}/proposals/{proposal_id}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposal_id: Option<uuid::Uuid>,
}

#[derive(Debug)]
pub enum ApiError {
    /// 400: the request cannot be parsed (malformed JSON, bad query string).
    BadRequest {
        detail: String,
        errors: Vec<InvalidParam>,
    },
    /// 401: no valid credentials.
    Unauthorized(String),
    /// 403: authenticated, but not allowed.
    Forbidden(String),
    /// 404.
    NotFound(String),
    /// 405: the path exists, the method does not.
    MethodNotAllowed { allow: String },
    /// 406: no acceptable representation.
    NotAcceptable(String),
    /// 408: the request body did not arrive in time.
    RequestTimeout(String),
    /// 409: conflicts with the current state of the resource.
    Conflict(String),
    /// 409: conflicts with a proposal of the network (named in the problem).
    ProposalConflict {
        detail: String,
        proposal_id: uuid::Uuid,
    },
    /// 412: `If-Match` does not match the current ETag.
    PreconditionFailed { current_etag: String },
    /// 413: body over the limit.
    PayloadTooLarge(usize),
    /// 415: wrong `Content-Type`.
    UnsupportedMediaType(String),
    /// 422: parsed, but invalid.
    Validation(Vec<InvalidParam>),
    /// 428: a change without `If-Match`.
    PreconditionRequired,
    /// 429: too many requests from this client.
    TooManyRequests { retry_after: u64, limit: u32 },
    /// 502: a server we depend on (the identity provider) answered wrongly or not at all.
    BadGateway(String),
    /// 503: a dependency (the database) is unavailable.
    Unavailable(String),
    /// 500: a bug or an outage; the cause is logged, not sent.
    Internal(String),
}

pub use onconet_registry::networks::abbreviated;

impl ApiError {
    pub fn bad_parameter(name: &str, code: &str, detail: impl Into<String>) -> Self {
        let param = InvalidParam::parameter(name, code, detail);
        ApiError::BadRequest {
            detail: format!("query parameter `{name}` is invalid: {}", param.detail),
            errors: vec![param],
        }
    }

    pub fn internal(cause: impl fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        use ApiError::*;
        match self {
            BadRequest { .. } => (
                StatusCode::BAD_REQUEST,
                "bad-request",
                "The request is malformed",
            ),
            Unauthorized(_) => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Authentication is required",
            ),
            Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Not allowed"),
            NotFound(_) => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            NotAcceptable(_) => (
                StatusCode::NOT_ACCEPTABLE,
                "not-acceptable",
                "No acceptable representation",
            ),
            RequestTimeout(_) => (
                StatusCode::REQUEST_TIMEOUT,
                "request-timeout",
                "The request body did not arrive in time",
            ),
            Conflict(_) | ProposalConflict { .. } => (
                StatusCode::CONFLICT,
                "conflict",
                "Conflict with the current state",
            ),
            PreconditionFailed { .. } => (
                StatusCode::PRECONDITION_FAILED,
                "stale-etag",
                "The resource was changed since you read it",
            ),
            PayloadTooLarge(_) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "The request body is too large",
            ),
            UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported content type",
            ),
            // An imported file's problems are by row.
            Validation(errors)
                if errors
                    .iter()
                    .any(|e| e.row.is_some() || e.pointer.is_none() && e.parameter.is_none()) =>
            {
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation-failed",
                    "The file has problems; nothing was imported",
                )
            }
            // A GET has no body: out-of-range query parameters are named as such.
            Validation(errors)
                if !errors.is_empty() && errors.iter().all(|e| e.pointer.is_none()) =>
            {
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation-failed",
                    "A query parameter is not valid",
                )
            }
            Validation(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation-failed",
                "The request body is not valid",
            ),
            PreconditionRequired => (
                StatusCode::PRECONDITION_REQUIRED,
                "if-match-required",
                "If-Match is required",
            ),
            MethodNotAllowed { .. } => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
            ),
            TooManyRequests { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many requests",
            ),
            BadGateway(_) => (
                StatusCode::BAD_GATEWAY,
                "bad-gateway",
                "A server this one depends on failed",
            ),
            Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
            ),
            Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal server error",
            ),
        }
    }

    pub fn problem(&self) -> Problem {
        use ApiError::*;
        let (status, slug, title) = self.parts();
        let (detail, errors) = match self {
            BadRequest { detail, errors } => (Some(detail.clone()), errors.clone()),
            Unauthorized(d)
            | Forbidden(d)
            | NotFound(d)
            | NotAcceptable(d)
            | Conflict(d)
            | ProposalConflict { detail: d, .. }
            | RequestTimeout(d)
            | UnsupportedMediaType(d)
            | BadGateway(d)
            | Unavailable(d) => (Some(d.clone()), vec![]),
            PreconditionFailed { current_etag } => (
                Some(format!(
                    "If-Match does not match the current ETag {current_etag}; read the resource again and reapply your change"
                )),
                vec![],
            ),
            MethodNotAllowed { allow } => (Some(format!("this resource answers {allow}")), vec![]),
            TooManyRequests { retry_after, .. } => (
                Some(format!(
                    "slow down: try again in {retry_after} s, or use a token"
                )),
                vec![],
            ),
            PayloadTooLarge(limit) => (
                Some(format!("the body must be at most {limit} bytes")),
                vec![],
            ),
            Validation(errors)
                if errors
                    .iter()
                    .any(|e| e.row.is_some() || e.pointer.is_none() && e.parameter.is_none()) =>
            {
                let rows: std::collections::BTreeSet<usize> =
                    errors.iter().filter_map(|e| e.row).collect();
                let problems = match errors.len() {
                    1 => "1 problem".to_owned(),
                    n => format!("{n} problems"),
                };
                let rows = match rows.len() {
                    0 => String::new(),
                    1 => " in 1 row".to_owned(),
                    n => format!(" in {n} rows"),
                };
                (
                    Some(format!(
                        "the file has {problems}{rows}; nothing was imported"
                    )),
                    errors.clone(),
                )
            }
            Validation(errors) => (
                Some(match errors.len() {
                    1 => format!(
                        "{}: {}",
                        errors[0]
                            .pointer
                            .as_deref()
                            .or(errors[0].parameter.as_deref())
                            .unwrap_or(""),
                        errors[0].detail
                    ),
                    n => format!("{n} fields are invalid"),
                }),
                errors.clone(),
            ),
            PreconditionRequired => (
                Some(
                    "send If-Match with the ETag of the version you are changing (GET it first)"
                        .into(),
                ),
                vec![],
            ),
            Internal(_) => (
                Some("an unexpected error occurred; it has been logged".into()),
                vec![],
            ),
        };
        Problem {
            problem_type: format!("/problems/{slug}"),
            title: title.into(),
            status: status.as_u16(),
            detail,
            errors,
            proposal_id: match self {
                ProposalConflict { proposal_id, .. } => Some(*proposal_id),
                _ => None,
            },
        }
    }
}

/// For logs and start-up failures, never sent to a client (responses use [`ApiError::problem`]):
/// a 500 shows its cause, which its problem document leaves out.
impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let ApiError::Internal(cause) = self {
            return write!(f, "500 internal error: {cause}");
        }
        let p = self.problem();
        write!(f, "{} {}", p.status, p.detail.unwrap_or(p.title))
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            tracing::error!(cause = %cause, "request failed");
        }
        let problem = self.problem();
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        match self {
            ApiError::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"onconet\""));
            }
            ApiError::PreconditionFailed { current_etag } => {
                response.insert_header((header::ETAG, current_etag.as_str()));
            }
            ApiError::MethodNotAllowed { allow } => {
                response.insert_header((header::ALLOW, allow.as_str()));
            }
            ApiError::Unavailable(_) => {
                // The embedded database restarts within seconds (its supervisor); an external
                // one is retried by the pool on every request.
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            ApiError::TooManyRequests { retry_after, limit } => {
                response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
                response.insert_header(("RateLimit-Limit", limit.to_string()));
                response.insert_header(("RateLimit-Remaining", "0"));
                response.insert_header(("RateLimit-Reset", retry_after.to_string()));
            }
            _ => {}
        }
        match serde_json::to_vec(&problem) {
            Ok(body) => response.body(body),
            Err(_) => response.finish(),
        }
    }
}

impl From<onconet_registry::Invalid> for InvalidParam {
    fn from(e: onconet_registry::Invalid) -> Self {
        Self {
            pointer: e.pointer,
            parameter: e.parameter,
            code: e.code,
            detail: e.detail,
            row: e.row,
            column: e.column,
        }
    }
}

impl From<InvalidParam> for onconet_registry::Invalid {
    fn from(e: InvalidParam) -> Self {
        Self {
            pointer: e.pointer,
            parameter: e.parameter,
            code: e.code,
            detail: e.detail,
            row: e.row,
            column: e.column,
        }
    }
}

/// The one mapping from what a use case says to the status code a client gets.
impl From<onconet_registry::Error> for ApiError {
    fn from(e: onconet_registry::Error) -> Self {
        use onconet_registry::Error as E;
        let params = |errors: Vec<onconet_registry::Invalid>| {
            errors.into_iter().map(InvalidParam::from).collect()
        };
        match e {
            E::BadRequest { detail, errors } => ApiError::BadRequest {
                detail,
                errors: params(errors),
            },
            E::Invalid(errors) => ApiError::Validation(params(errors)),
            E::Unauthenticated(d) => ApiError::Unauthorized(d),
            E::Forbidden(d) => ApiError::Forbidden(d),
            E::NotFound(d) => ApiError::NotFound(d),
            E::Conflict(d) => ApiError::Conflict(d),
            E::ProposalConflict {
                detail,
                proposal_id,
            } => ApiError::ProposalConflict {
                detail,
                proposal_id,
            },
            E::Stale { current_version } => ApiError::PreconditionFailed {
                current_etag: crate::etag::etag(current_version),
            },
            E::PreconditionRequired => ApiError::PreconditionRequired,
            E::Unavailable(d) => ApiError::Unavailable(d),
            E::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

/// Back into the registry's words, for a front-end part the registry calls (a document read
/// back after a merge patch): a client error stays one, anything else is internal.
impl From<ApiError> for onconet_registry::Error {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Validation(errors) => {
                onconet_registry::Error::Invalid(errors.into_iter().map(Into::into).collect())
            }
            other => onconet_registry::Error::Internal(other.to_string()),
        }
    }
}

impl From<Vec<FieldError>> for ApiError {
    fn from(errors: Vec<FieldError>) -> Self {
        ApiError::Validation(errors.into_iter().map(InvalidParam::from).collect())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    #[test]
    fn abbreviated_cuts_at_characters() {
        assert_eq!(super::abbreviated("abc", 3), "abc");
        assert_eq!(super::abbreviated("abcd", 3), "abc…");
        assert_eq!(super::abbreviated("éééé", 2), "éé…");
    }

    #[test]
    fn a_500_shows_its_cause_in_logs_but_not_to_clients() {
        let e = super::ApiError::internal("connection reset by peer");
        assert_eq!(
            e.to_string(),
            "500 internal error: connection reset by peer"
        );
        let sent = serde_json::to_string(&e.problem()).unwrap();
        assert!(!sent.contains("connection reset"), "{sent}");
    }
}
