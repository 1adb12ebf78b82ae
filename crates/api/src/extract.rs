//! Request parsing shared by the handlers: bounded JSON bodies with path-precise errors,
//! `If-Match`, ETags.

use crate::error::{ApiError, InvalidParam};
pub use crate::etag::etag;
use crate::etag::version_of;
use actix_web::HttpRequest;
use actix_web::http::header;
use actix_web::web::{Bytes, Payload};
use futures_util::StreamExt;
use onconet_registry::Precondition;
use serde::de::DeserializeOwned;

/// Largest request body accepted (1 MiB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Reads the body, refusing more than [`MAX_BODY_BYTES`] (413) and a `Content-Type` other than
/// one of `accepted` (415).
pub async fn read_body(
    req: &HttpRequest,
    payload: Payload,
    accepted: &[&str],
) -> Result<Bytes, ApiError> {
    read_body_up_to(req, payload, accepted, MAX_BODY_BYTES, BODY_TIMEOUT).await
}

/// [`read_body`] with its own size limit and time to arrive (a file upload).
pub async fn read_body_up_to(
    req: &HttpRequest,
    mut payload: Payload,
    accepted: &[&str],
    max_bytes: usize,
    timeout: std::time::Duration,
) -> Result<Bytes, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    match content_type {
        Some(ct) if accepted.contains(&ct.as_str()) => {}
        other => {
            return Err(ApiError::UnsupportedMediaType(format!(
                "Content-Type must be {} (got {})",
                accepted.join(" or "),
                other.as_deref().unwrap_or("none")
            )));
        }
    }
    // The body is read as sent: a compressed one would only fail later as "not JSON".
    if let Some(encoding) = req.headers().get(header::CONTENT_ENCODING) {
        let encoding = encoding.to_str().unwrap_or("").trim();
        if !encoding.eq_ignore_ascii_case("identity") {
            return Err(ApiError::UnsupportedMediaType(
                "Content-Encoding is not supported: send the body uncompressed".into(),
            ));
        }
    }
    if let Some(len) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        && len > max_bytes
    {
        return Err(ApiError::PayloadTooLarge(max_bytes));
    }
    let read = async {
        let mut body = actix_web::web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| ApiError::BadRequest {
                detail: format!("the request body could not be read: {e}"),
                errors: vec![],
            })?;
            if body.len() + chunk.len() > max_bytes {
                return Err(ApiError::PayloadTooLarge(max_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    };
    // actix times out a request's head, not its body: a client that stops sending would hold
    // the request (and its database connection, for a write) for ever.
    tokio::time::timeout(timeout, read).await.map_err(|_| {
        ApiError::RequestTimeout(format!(
            "the request body did not arrive within {} s",
            timeout.as_secs()
        ))
    })?
}

/// How long a request body may take to arrive.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Parses JSON text: a syntax error is 400, a well-formed document of the wrong shape is 422
/// naming the offending field by JSON pointer.
pub fn parse_json_value(body: &[u8]) -> Result<serde_json::Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::BadRequest {
        detail: format!("the body is not valid JSON: {e}"),
        errors: vec![],
    })
}

/// Deserialises an already-parsed JSON document into `T`, reporting the JSON pointer of the
/// first field that does not fit (wrong type, unknown field, unknown enum value, bad UUID or
/// date).
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    // serde would also read a struct from an array of its fields in order; the contract says
    // object.
    if !value.is_object() {
        return Err(ApiError::Validation(vec![InvalidParam::pointer(
            "",
            "invalid_type",
            "the body must be a JSON object",
        )]));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let pointer = pointer_of(e.path());
        let inner = e.into_inner();
        let message = inner.to_string();
        let code = if message.starts_with("unknown field") {
            "unknown_field"
        } else if message.starts_with("missing field") {
            "required"
        } else if message.starts_with("unknown variant") {
            "unknown_code"
        } else {
            "invalid_type"
        };
        // `missing field` is reported at the parent object; point at the field itself.
        let pointer = match (code, message.split('`').nth(1)) {
            ("required", Some(field)) => format!("{pointer}/{field}"),
            ("unknown_field", Some(field)) if !pointer.ends_with(&format!("/{field}")) => {
                format!("{pointer}/{field}")
            }
            _ => pointer,
        };
        ApiError::Validation(vec![InvalidParam::pointer(
            pointer,
            code,
            without_value(&message),
        )])
    })
}

/// serde's message without the value it quotes: `invalid type: string "x", expected a
/// boolean` → `invalid type: string, expected a boolean`; `unknown variant `x`, expected one
/// of …` → `unknown variant, expected one of …`. What was sent may be a non-public contact's
/// data, and problems are logged with the request; the pointer says where it was.
fn without_value(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix) {
            let (unexpected, expected) = match rest.rfind(", expected ") {
                Some(at) => (&rest[..at], &rest[at..]),
                None => (rest, ""),
            };
            let kind = match unexpected.find(['`', '"']) {
                Some(i) => unexpected[..i].trim_end(),
                None => unexpected,
            };
            return format!("{prefix}{kind}{expected}");
        }
    }
    if message.starts_with("unknown variant") {
        return match message.rfind(", expected ") {
            Some(at) => format!("unknown variant{}", &message[at..]),
            None => "unknown variant".into(),
        };
    }
    message.to_owned()
}

fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => {
                out.push('/');
                out.push_str(&index.to_string());
            }
            Segment::Map { key } => {
                out.push('/');
                out.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    out
}

/// The version a change is meant for, from `If-Match` (read before any await so handlers
/// stay `Send`): absent, or only `*` (which would not protect against lost updates), states
/// none; each strong tag `"v<n>"` names version n; weak tags never match.
pub fn if_match(req: &HttpRequest) -> Precondition {
    let tags: Vec<&str> = req
        .headers()
        .get_all(header::IF_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    Precondition {
        stated: tags.iter().any(|t| *t != "*"),
        versions: tags.iter().filter_map(|t| version_of(t)).collect(),
    }
}

/// Whether `If-None-Match` lists the current ETag (so a 304 can be sent).
pub fn if_none_match(req: &HttpRequest, current: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().trim_start_matches("W/"))
        .any(|v| v == current || v == "*")
}

/// Whether the client prefers `media_type` over plain JSON in its `Accept` header.
pub fn accepts(req: &HttpRequest, media_type: &str) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| {
            accept.split(',').any(|part| {
                let mut it = part.split(';');
                let mt = it.next().unwrap_or("").trim();
                let q_zero = it.any(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                });
                mt.eq_ignore_ascii_case(media_type) && !q_zero
            })
        })
}

/// Query parameters as `T`, where a repeated key (`type=a&type=b`, the OpenAPI default) and a
/// comma list (`type=a,b`) mean the same; an unknown or malformed parameter is a 400 naming it.
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// The pairs of a query string, in order of first appearance, a repeated key's values joined
/// with commas; and the keys that were repeated.
pub fn query_pairs(query: &str) -> (Vec<(String, String)>, Vec<String>) {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut repeated: Vec<String> = Vec::new();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        match pairs.iter_mut().find(|(key, _)| *key == k) {
            Some((key, existing)) => {
                existing.push(',');
                existing.push_str(&v);
                if !repeated.contains(key) {
                    repeated.push(key.clone());
                }
            }
            None => pairs.push((k.into_owned(), v.into_owned())),
        }
    }
    (pairs, repeated)
}

/// The query parameters of a query struct that take a list (comma-separated or repeated). Any
/// other parameter given more than once is refused by [`Query`], naming it: joined with commas
/// it would only fail later as a malformed value.
pub trait ListParams {
    const LISTS: &'static [&'static str] = &[];
}

impl ListParams for std::collections::HashMap<String, String> {}

/// A query parameter's value: a string, and present (so `Option<String>` fields get `Some`).
struct QueryValue(String);

impl<'de> serde::de::IntoDeserializer<'de, serde::de::value::Error> for QueryValue {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de> serde::Deserializer<'de> for QueryValue {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_string(self.0)
    }

    fn deserialize_option<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_some(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

impl<T: DeserializeOwned + ListParams> actix_web::FromRequest for Query<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(Query))
    }
}

/// A query string read as [`Query`] reads it: a repeated parameter that takes one value, an
/// unknown or malformed one is a 400 naming it. Public for the fuzz target `filter_query` and
/// for tests; handlers take [`Query`].
pub fn parse_query<T: DeserializeOwned + ListParams>(query: &str) -> Result<T, ApiError> {
    let (pairs, repeated) = query_pairs(query);
    if let Some(key) = repeated.iter().find(|k| !T::LISTS.contains(&k.as_str())) {
        return Err(ApiError::bad_parameter(
            key,
            "repeated",
            "given more than once; it takes one value",
        ));
    }
    let pairs = serde::de::value::MapDeserializer::<_, serde::de::value::Error>::new(
        pairs.into_iter().map(|(k, v)| (k, QueryValue(v))),
    );
    serde_path_to_error::deserialize(pairs).map_err(|e| {
        let message = e.inner().to_string();
        let name = message
            .split('`')
            .nth(1)
            .map(str::to_owned)
            .unwrap_or_else(|| e.path().to_string());
        ApiError::bad_parameter(&name, "invalid_parameter", message)
    })
}

/// Whether to answer GeoJSON: `format=geojson`, or `Accept: application/geo+json` without a
/// `format`; any other `format` than `json`/`geojson` is a 400.
pub fn want_geojson(req: &HttpRequest, format: Option<&str>) -> Result<bool, ApiError> {
    match format {
        None => Ok(accepts(req, "application/geo+json")),
        Some("geojson") => Ok(true),
        Some("json") => Ok(false),
        Some(other) => Err(ApiError::bad_parameter(
            "format",
            "unknown_code",
            format!("`{other}` is not json or geojson"),
        )),
    }
}

/// The language `Accept-Language` asks for (`nl` unless it prefers `en`).
pub fn lang(req: &HttpRequest) -> onconet_domain::Lang {
    onconet_domain::Lang::negotiate(
        req.headers()
            .get(actix_web::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn if_match_rules() {
        use onconet_registry::Error;
        let check = |req: &HttpRequest, v| if_match(req).check(v);
        let req = TestRequest::default().to_http_request();
        assert!(matches!(check(&req, 1), Err(Error::PreconditionRequired)));
        let req = TestRequest::default()
            .insert_header(("If-Match", "*"))
            .to_http_request();
        assert!(matches!(check(&req, 1), Err(Error::PreconditionRequired)));
        let req = TestRequest::default()
            .insert_header(("If-Match", "\"v1\""))
            .to_http_request();
        assert!(check(&req, 1).is_ok());
        assert!(matches!(
            check(&req, 2),
            Err(Error::Stale { current_version: 2 })
        ));
        let req = TestRequest::default()
            .insert_header(("If-Match", "W/\"v1\""))
            .to_http_request();
        assert!(matches!(check(&req, 1), Err(Error::Stale { .. })));
        let req = TestRequest::default()
            .insert_header(("If-Match", "\"v0\", \"v2\""))
            .to_http_request();
        assert!(check(&req, 2).is_ok());
        let req = TestRequest::default()
            .insert_header(("If-Match", "\"v1x\", \"x\", \"v01\""))
            .to_http_request();
        assert!(matches!(check(&req, 1), Err(Error::Stale { .. })));
    }

    #[test]
    fn type_errors_point_at_the_field() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[expect(dead_code, reason = "only deserialised")]
        struct Inner {
            a: u32,
        }
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[expect(dead_code, reason = "only deserialised")]
        struct Outer {
            list: Vec<Inner>,
        }
        let pointer = |v: serde_json::Value| match from_value::<Outer>(v) {
            Err(ApiError::Validation(e)) => {
                (e[0].pointer.clone().unwrap_or_default(), e[0].code.clone())
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(
            pointer(serde_json::json!({"list": [{"a": 1}, {"a": "x"}]})),
            ("/list/1/a".into(), "invalid_type".into())
        );
        assert_eq!(
            pointer(serde_json::json!({"list": [{"a": 1, "b": 2}]})),
            ("/list/0/b".into(), "unknown_field".into())
        );
        assert_eq!(
            pointer(serde_json::json!({"list": [{}]})),
            ("/list/0/a".into(), "required".into())
        );
    }

    #[test]
    fn accept_negotiation() {
        let req = TestRequest::default()
            .insert_header(("Accept", "application/geo+json, application/json;q=0.5"))
            .to_http_request();
        assert!(accepts(&req, "application/geo+json"));
        let req = TestRequest::default()
            .insert_header(("Accept", "application/geo+json;q=0"))
            .to_http_request();
        assert!(!accepts(&req, "application/geo+json"));
    }
}

#[cfg(test)]
mod value_free_tests {
    use super::without_value;

    #[test]
    fn serde_messages_lose_the_values_they_quote() {
        for (message, expected) in [
            (
                r#"invalid type: string "Jan, expected x", expected a boolean"#,
                "invalid type: string, expected a boolean",
            ),
            (
                "invalid type: integer `31612345678`, expected a string",
                "invalid type: integer, expected a string",
            ),
            (
                "invalid value: floating point `1.5`, expected u8",
                "invalid value: floating point, expected u8",
            ),
            (
                "invalid type: map, expected a string",
                "invalid type: map, expected a string",
            ),
            (
                "unknown variant `Jan Jansen`, expected one of `chair`, `coordinator`",
                "unknown variant, expected one of `chair`, `coordinator`",
            ),
            (
                "unknown variant `x`, there are no variants",
                "unknown variant",
            ),
            ("missing field `name`", "missing field `name`"),
        ] {
            assert_eq!(without_value(message), expected, "{message}");
        }
    }
}
