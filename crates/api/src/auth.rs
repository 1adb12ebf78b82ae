//! Bearer-token authentication (DESIGN §5) with `jsonwebtoken`: the signature is checked
//! against configured public keys, the algorithm is pinned per key, and `exp`, `nbf`, `iss`,
//! `aud` and `sub` are required.

use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use onconet_domain::{Actor, Role};
use serde::Deserialize;
use std::future::{Ready, ready};
use std::sync::Arc;

/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECONDS: u64 = 30;

/// A key tokens may be signed with, and the one algorithm it is used with.
pub struct VerificationKey {
    pub kid: Option<String>,
    pub algorithm: Algorithm,
    pub key: DecodingKey,
}

/// Verifies bearer tokens.
pub struct Authenticator {
    keys: Vec<VerificationKey>,
    issuer: String,
    audience: String,
}

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    org: Option<String>,
}

impl Authenticator {
    pub fn new(keys: Vec<VerificationKey>, issuer: String, audience: String) -> Self {
        Self {
            keys,
            issuer,
            audience,
        }
    }

    /// Verifies `token` and returns who it speaks for.
    pub fn verify(&self, token: &str) -> Result<Actor, ApiError> {
        let invalid = |why: &str| ApiError::Unauthorized(format!("invalid bearer token: {why}"));
        let head = decode_header(token).map_err(|_| invalid("malformed"))?;
        let key = match &head.kid {
            Some(kid) => self
                .keys
                .iter()
                .find(|k| k.kid.as_deref() == Some(kid.as_str())),
            None if self.keys.len() == 1 => self.keys.first(),
            None => None,
        }
        .ok_or_else(|| invalid("unknown signing key"))?;
        if head.alg != key.algorithm {
            return Err(invalid("algorithm not allowed for this key"));
        }
        let mut validation = Validation::new(key.algorithm);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        let data = decode::<Claims>(token, &key.key, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            invalid(match e.kind() {
                ErrorKind::ExpiredSignature => "expired",
                ErrorKind::ImmatureSignature => "not valid yet",
                ErrorKind::InvalidAudience => "wrong audience",
                ErrorKind::InvalidIssuer => "wrong issuer",
                ErrorKind::MissingRequiredClaim(_) => "a required claim is missing",
                ErrorKind::InvalidSignature => "bad signature",
                _ => "rejected",
            })
        })?;
        let claims = data.claims;
        if claims.sub.trim().is_empty() {
            return Err(invalid("empty subject"));
        }
        let roles = claims
            .roles
            .iter()
            .filter_map(|r| r.parse::<Role>().ok())
            .collect();
        Ok(Actor {
            sub: claims.sub,
            name: claims.name,
            roles,
            org: claims.org,
        })
    }
}

/// The caller, if a valid bearer token was sent; an invalid token is a 401 even where no
/// token is needed, so a broken integration is noticed.
pub struct MaybeActor(pub Option<Actor>);

/// The caller, who must have sent a valid bearer token (401 otherwise).
pub struct RequireActor(pub Actor);

fn actor_from(req: &HttpRequest) -> Result<Option<Actor>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("malformed Authorization header".into()))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::Unauthorized("use `Authorization: Bearer <token>`".into()))?;
    let auth = req
        .app_data::<web::Data<Arc<Authenticator>>>()
        .ok_or_else(|| ApiError::internal("no authenticator configured"))?;
    auth.verify(token).map(Some)
}

impl FromRequest for MaybeActor {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(actor_from(req).map(MaybeActor))
    }
}

impl FromRequest for RequireActor {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(actor_from(req).and_then(|a| {
            a.map(RequireActor).ok_or_else(|| {
                ApiError::Unauthorized(
                    "this operation needs `Authorization: Bearer <token>`".into(),
                )
            })
        }))
    }
}
