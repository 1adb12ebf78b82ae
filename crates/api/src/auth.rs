//! Bearer-token authentication (DESIGN §5) with `jsonwebtoken`: the signature is checked
//! against configured public keys, the algorithm is pinned per key, and `exp`, `nbf`, `iss`,
//! `aud` and `sub` are required.
//!
//! Keys are cached. When they come from a [`KeySource`] (a JWKS URL), a token naming a `kid`
//! that is not cached makes the authenticator fetch the set again, at most once per
//! [`MIN_REFETCH_INTERVAL`], with concurrent requests sharing one fetch; a background task
//! ([`Authenticator::spawn_periodic_refresh`]) refreshes them every [`PERIODIC_REFRESH`]. A
//! failed fetch keeps the cached keys.

use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::{BoxFuture, Either, LocalBoxFuture};
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation, decode, decode_header};
use onconet_domain::{Actor, Role};
use serde::Deserialize;
use std::future::{Ready, ready};
use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::time::Duration;
use tokio::time::Instant;

/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECONDS: u64 = 30;

/// Least time between two fetches caused by tokens naming an unknown `kid`, so a stream of
/// made-up key ids cannot hammer the identity provider.
pub const MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(60);

/// How often keys from a [`KeySource`] are fetched again in the background.
pub const PERIODIC_REFRESH: Duration = Duration::from_secs(3600);

/// A key tokens may be signed with, and the one algorithm it is used with.
pub struct VerificationKey {
    pub kid: Option<String>,
    pub algorithm: Algorithm,
    pub key: DecodingKey,
}

/// Where the current keys can be fetched again (the identity provider's JWKS URL).
pub trait KeySource: Send + Sync + 'static {
    /// The whole current key set. The error is a message for the log; it must not contain
    /// secrets.
    fn fetch(&self) -> BoxFuture<'static, Result<Vec<VerificationKey>, String>>;
    /// Where the keys come from, for the log.
    fn describe(&self) -> String;
}

/// A cached key with its ready-made validation rules (built once, not per request).
struct CachedKey {
    kid: Option<String>,
    algorithm: Algorithm,
    key: DecodingKey,
    validation: Validation,
}

/// The cached keys; `generation` grows with every replacement, so a request that waited for
/// a fetch can tell whether one happened meanwhile.
struct KeySet {
    generation: u64,
    keys: Vec<CachedKey>,
}

struct Remote {
    source: Arc<dyn KeySource>,
    /// Held during every fetch (so concurrent requests share one); holds when the last fetch
    /// caused by an unknown `kid` started.
    fetching: tokio::sync::Mutex<Option<Instant>>,
}

/// Verifies bearer tokens.
pub struct Authenticator {
    keys: RwLock<KeySet>,
    issuer: String,
    audience: String,
    remote: Option<Remote>,
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

/// The outcome of a check against the cached keys.
enum Cached {
    Done(Result<Actor, ApiError>),
    /// The token names a key that is not cached; fetching may help.
    UnknownKey {
        generation: u64,
    },
}

fn invalid(why: &str) -> ApiError {
    ApiError::Unauthorized(format!("invalid bearer token: {why}"))
}

impl Authenticator {
    /// Verifies with a fixed set of keys (a JWKS file, the development key).
    pub fn new(keys: Vec<VerificationKey>, issuer: String, audience: String) -> Self {
        let keys = Self::prepare(keys, &issuer, &audience);
        Self {
            keys: RwLock::new(KeySet {
                generation: 0,
                keys,
            }),
            issuer,
            audience,
            remote: None,
        }
    }

    /// Verifies with `keys` (already fetched from `source`), fetching them again from `source`
    /// when a token names an unknown key.
    pub fn with_source(
        keys: Vec<VerificationKey>,
        source: Arc<dyn KeySource>,
        issuer: String,
        audience: String,
    ) -> Self {
        let mut auth = Self::new(keys, issuer, audience);
        auth.remote = Some(Remote {
            source,
            fetching: tokio::sync::Mutex::new(None),
        });
        auth
    }

    fn prepare(keys: Vec<VerificationKey>, issuer: &str, audience: &str) -> Vec<CachedKey> {
        keys.into_iter()
            .map(|k| {
                let mut validation = Validation::new(k.algorithm);
                validation.leeway = LEEWAY_SECONDS;
                validation.validate_exp = true;
                validation.validate_nbf = true;
                validation.set_issuer(&[issuer]);
                validation.set_audience(&[audience]);
                validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
                CachedKey {
                    kid: k.kid,
                    algorithm: k.algorithm,
                    key: k.key,
                    validation,
                }
            })
            .collect()
    }

    /// How many keys are cached.
    pub fn key_count(&self) -> usize {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .keys
            .len()
    }

    /// Verifies `token` and returns who it speaks for, fetching the keys again first if it
    /// names an unknown key and a [`KeySource`] is configured.
    pub async fn verify(&self, token: &str) -> Result<Actor, ApiError> {
        match self.verify_cached(token) {
            Cached::Done(result) => result,
            Cached::UnknownKey { generation } => self.verify_after_fetch(token, generation).await,
        }
    }

    /// The fast path: the cached keys only, no allocation beyond decoding the token.
    fn verify_cached(&self, token: &str) -> Cached {
        let head = match decode_header(token) {
            Ok(h) => h,
            Err(_) => return Cached::Done(Err(invalid("malformed"))),
        };
        let set = self.keys.read().unwrap_or_else(PoisonError::into_inner);
        match find_key(&set.keys, &head) {
            Some(key) => Cached::Done(check(token, &head, key)),
            None if self.remote.is_some() && head.kid.is_some() => Cached::UnknownKey {
                generation: set.generation,
            },
            None => Cached::Done(Err(invalid("unknown signing key"))),
        }
    }

    /// After a token named an unknown key while the keys had `generation`: fetch them again
    /// (unless another request did meanwhile, or the last such fetch was less than
    /// [`MIN_REFETCH_INTERVAL`] ago), then look once more.
    async fn verify_after_fetch(&self, token: &str, generation: u64) -> Result<Actor, ApiError> {
        if let Some(remote) = &self.remote {
            let mut last = remote.fetching.lock().await;
            let unchanged = self.generation() == generation;
            let allowed = last.is_none_or(|t| t.elapsed() >= MIN_REFETCH_INTERVAL);
            if unchanged && allowed {
                *last = Some(Instant::now());
                self.fetch(remote, "a token names an unknown key").await;
            }
        }
        match self.verify_cached(token) {
            Cached::Done(result) => result,
            Cached::UnknownKey { .. } => Err(invalid("unknown signing key")),
        }
    }

    fn generation(&self) -> u64 {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .generation
    }

    /// Fetches the keys and replaces the cached ones; a failure keeps them. The caller holds
    /// `remote.fetching`.
    async fn fetch(&self, remote: &Remote, reason: &'static str) {
        let source = remote.source.describe();
        match remote.source.fetch().await {
            Ok(keys) if !keys.is_empty() => {
                let count = keys.len();
                let keys = Self::prepare(keys, &self.issuer, &self.audience);
                let mut set = self.keys.write().unwrap_or_else(PoisonError::into_inner);
                set.keys = keys;
                set.generation += 1;
                drop(set);
                tracing::info!(%source, keys = count, reason, "identity-provider keys fetched");
            }
            Ok(_) => tracing::warn!(
                %source,
                reason,
                cached = self.key_count(),
                "the identity provider's key set is empty; keeping the cached keys"
            ),
            Err(error) => tracing::warn!(
                %source,
                %error,
                reason,
                cached = self.key_count(),
                "cannot fetch the identity provider's keys; keeping the cached keys"
            ),
        }
    }

    /// Fetches the keys again now (the periodic refresh); does nothing without a
    /// [`KeySource`].
    pub async fn refresh(&self) {
        if let Some(remote) = &self.remote {
            let _fetching = remote.fetching.lock().await;
            self.fetch(remote, "periodic refresh").await;
        }
    }

    /// Refreshes the keys every `every` while the authenticator lives (nothing to do without a
    /// [`KeySource`]).
    pub fn spawn_periodic_refresh(self: &Arc<Self>, every: Duration) {
        if self.remote.is_none() {
            return;
        }
        let weak: Weak<Self> = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval_at(Instant::now() + every, every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                let Some(auth) = weak.upgrade() else { break };
                auth.refresh().await;
            }
        });
    }
}

fn find_key<'a>(keys: &'a [CachedKey], head: &Header) -> Option<&'a CachedKey> {
    match &head.kid {
        Some(kid) => keys.iter().find(|k| k.kid.as_deref() == Some(kid.as_str())),
        None if keys.len() == 1 => keys.first(),
        None => None,
    }
}

fn check(token: &str, head: &Header, key: &CachedKey) -> Result<Actor, ApiError> {
    if head.alg != key.algorithm {
        return Err(invalid("algorithm not allowed for this key"));
    }
    let data = decode::<Claims>(token, &key.key, &key.validation).map_err(|e| {
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
        // ROS codes are lowercase; an identity provider may spell them otherwise.
        org: claims
            .org
            .map(|o| o.trim().to_ascii_lowercase())
            .filter(|o| !o.is_empty()),
    })
}

/// The caller, if a valid bearer token was sent; an invalid token is a 401 even where no
/// token is needed, so a broken integration is noticed.
pub struct MaybeActor(pub Option<Actor>);

/// The caller, who must have sent a valid bearer token (401 otherwise).
pub struct RequireActor(pub Actor);

/// Ready when the cached keys decide; a boxed future only when the keys must be fetched.
type ActorFuture<T> =
    Either<Ready<Result<T, ApiError>>, LocalBoxFuture<'static, Result<T, ApiError>>>;

/// The caller of a request whose token the rate limiter has already verified, kept in the
/// request's extensions so that the extractors do not verify it again.
#[derive(Debug, Clone)]
pub(crate) struct Verified(pub Actor);

/// The console's session cookie: the signed-in user's token (HttpOnly, SameSite=Lax).
pub const SESSION_COOKIE: &str = "onconet_session";
/// The console's CSRF cookie (readable by the console's script, which echoes it in
/// [`CSRF_HEADER`] on every write; another site can neither read it nor set the header).
pub const CSRF_COOKIE: &str = "onconet_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The caller named by the request's bearer token: `None` without an `Authorization` header, an
/// error (401) for a malformed, invalid or expired token. Without the header, the console's
/// session cookie names the caller (see [`session_actor`]).
pub(crate) fn actor_from(req: &HttpRequest) -> ActorFuture<Option<Actor>> {
    caller(req, false)
}

fn caller(req: &HttpRequest, required: bool) -> ActorFuture<Option<Actor>> {
    let done = |r| Either::Left(ready(r));
    if let Some(Verified(actor)) = req.extensions().get::<Verified>() {
        return done(Ok(Some(actor.clone())));
    }
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return session_actor(req, required);
    };
    let Ok(value) = value.to_str() else {
        return done(Err(ApiError::Unauthorized(
            "malformed Authorization header".into(),
        )));
    };
    let Some(token) = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        return done(Err(ApiError::Unauthorized(
            "use `Authorization: Bearer <token>`".into(),
        )));
    };
    let Some(auth) = req.app_data::<web::Data<Arc<Authenticator>>>() else {
        return done(Err(ApiError::internal("no authenticator configured")));
    };
    match auth.verify_cached(token) {
        Cached::Done(result) => done(result.map(Some)),
        Cached::UnknownKey { generation } => {
            let auth = Arc::clone(auth.get_ref());
            let token = token.to_owned();
            Either::Right(Box::pin(async move {
                auth.verify_after_fetch(&token, generation).await.map(Some)
            }))
        }
    }
}

/// The caller named by the console's session cookie, checked like a bearer token (same keys,
/// issuer, audience, expiry). A write (any method but GET, HEAD, OPTIONS) must also send the
/// CSRF cookie's value in `X-CSRF-Token` (403 otherwise). An expired or invalid session is a
/// 401 where a caller is required, and no caller elsewhere: a public page of this origin keeps
/// working after a console session ends.
fn session_actor(req: &HttpRequest, required: bool) -> ActorFuture<Option<Actor>> {
    let done = |r| Either::Left(ready(r));
    let Some(session) = req.cookie(SESSION_COOKIE).filter(|c| !c.value().is_empty()) else {
        return done(Ok(None));
    };
    if !matches!(
        *req.method(),
        actix_web::http::Method::GET
            | actix_web::http::Method::HEAD
            | actix_web::http::Method::OPTIONS
    ) {
        let expected = req.cookie(CSRF_COOKIE).map(|c| c.value().to_owned());
        let sent = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::trim);
        if expected.as_deref().is_none_or(str::is_empty) || sent != expected.as_deref() {
            return done(Err(ApiError::Forbidden(
                "a write with the console's session cookie must send the CSRF cookie's value in X-CSRF-Token".into(),
            )));
        }
    }
    let Some(auth) = req.app_data::<web::Data<Arc<Authenticator>>>() else {
        return done(Err(ApiError::internal("no authenticator configured")));
    };
    let expired = move |e: ApiError| {
        if required {
            Err(ApiError::Unauthorized(format!(
                "your console session is no longer valid; sign in again ({})",
                e.problem().detail.unwrap_or_default()
            )))
        } else {
            Ok(None)
        }
    };
    let token = session.value().to_owned();
    match auth.verify_cached(&token) {
        Cached::Done(Ok(actor)) => done(Ok(Some(actor))),
        Cached::Done(Err(e)) => done(expired(e)),
        Cached::UnknownKey { generation } => {
            let auth = Arc::clone(auth.get_ref());
            Either::Right(Box::pin(async move {
                match auth.verify_after_fetch(&token, generation).await {
                    Ok(actor) => Ok(Some(actor)),
                    Err(e) => expired(e),
                }
            }))
        }
    }
}

fn map_future<T, U: 'static>(
    future: ActorFuture<T>,
    f: fn(T) -> Result<U, ApiError>,
) -> ActorFuture<U>
where
    T: 'static,
{
    match future {
        Either::Left(ready_result) => Either::Left(ready(ready_result.into_inner().and_then(f))),
        Either::Right(pending) => Either::Right(Box::pin(async move { pending.await.and_then(f) })),
    }
}

impl FromRequest for MaybeActor {
    type Error = ApiError;
    type Future = ActorFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        map_future(actor_from(req), |a| Ok(MaybeActor(a)))
    }
}

impl FromRequest for RequireActor {
    type Error = ApiError;
    type Future = ActorFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        map_future(caller(req, true), |a| {
            a.map(RequireActor).ok_or_else(|| {
                ApiError::Unauthorized(
                    "this operation needs `Authorization: Bearer <token>` (or a console session)"
                        .into(),
                )
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, encode};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Serves HMAC keys named in `kids`, counting fetches.
    struct FakeSource {
        kids: std::sync::Mutex<Vec<&'static str>>,
        fetches: AtomicUsize,
    }

    impl KeySource for FakeSource {
        fn fetch(&self) -> BoxFuture<'static, Result<Vec<VerificationKey>, String>> {
            self.fetches.fetch_add(1, Ordering::SeqCst);
            let kids = self.kids.lock().expect("lock").clone();
            Box::pin(async move {
                // Long enough for concurrent callers to pile up behind this fetch.
                tokio::time::sleep(Duration::from_millis(20)).await;
                Ok(kids.into_iter().map(key).collect())
            })
        }
        fn describe(&self) -> String {
            "fake".into()
        }
    }

    fn key(kid: &'static str) -> VerificationKey {
        VerificationKey {
            kid: Some(kid.into()),
            algorithm: Algorithm::HS256,
            key: DecodingKey::from_secret(kid.as_bytes()),
        }
    }

    fn token(kid: &'static str) -> String {
        let now = chrono::Utc::now().timestamp();
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(kid.into());
        let claims =
            serde_json::json!({"sub": "s", "iss": "i", "aud": "a", "nbf": now, "exp": now + 60});
        encode(&header, &claims, &EncodingKey::from_secret(kid.as_bytes())).expect("sign")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn unknown_kids_share_one_rate_limited_fetch() {
        let source = Arc::new(FakeSource {
            kids: std::sync::Mutex::new(vec!["a", "b"]),
            fetches: AtomicUsize::new(0),
        });
        let auth = Arc::new(Authenticator::with_source(
            vec![key("a")],
            source.clone(),
            "i".into(),
            "a".into(),
        ));
        assert!(auth.verify(&token("a")).await.is_ok());
        assert_eq!(
            source.fetches.load(Ordering::SeqCst),
            0,
            "a known kid fetches nothing"
        );

        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let auth = auth.clone();
                tokio::spawn(async move { auth.verify(&token("b")).await.is_ok() })
            })
            .collect();
        for t in tasks {
            assert!(t.await.expect("join"), "b is found after the fetch");
        }
        assert_eq!(source.fetches.load(Ordering::SeqCst), 1, "one shared fetch");

        for _ in 0..20 {
            assert!(matches!(
                auth.verify(&token("c")).await,
                Err(ApiError::Unauthorized(_))
            ));
        }
        assert_eq!(
            source.fetches.load(Ordering::SeqCst),
            1,
            "no second fetch within the minimum interval"
        );
        auth.refresh().await;
        assert_eq!(source.fetches.load(Ordering::SeqCst), 2, "periodic refresh");
        assert_eq!(auth.key_count(), 2);
    }
}
