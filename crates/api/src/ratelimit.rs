//! Rate limiting of anonymous (public) requests per client address: a GCRA bucket per IP
//! (`governor`), answered with 429, `Retry-After` and `RateLimit-*` headers when exceeded.
//! Requests with a valid bearer token are not limited (they are authenticated and few); the
//! token is verified here, once, and its caller handed on to the extractors. A request with an
//! invalid token counts as anonymous, so a made-up `Authorization` header is no way around the
//! limit.

use crate::error::ApiError;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

type Limiter =
    RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock, StateInformationMiddleware>;

/// The limiter shared by all workers.
pub struct RateLimit {
    limiter: Limiter,
    burst: u32,
    per_second: u32,
    seen: AtomicU64,
}

impl RateLimit {
    /// `per_second` sustained requests per client with bursts of `burst`; `None` when
    /// `per_second` is 0 (no limit).
    pub fn new(per_second: u32, burst: u32) -> Option<Self> {
        let rate = NonZeroU32::new(per_second)?;
        let burst = NonZeroU32::new(burst.max(per_second)).unwrap_or(rate);
        Some(Self {
            limiter: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
                .with_middleware::<StateInformationMiddleware>(),
            burst: burst.get(),
            per_second: rate.get(),
            seen: AtomicU64::new(0),
        })
    }
}

fn set(headers: &mut actix_web::http::header::HeaderMap, name: &'static str, value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        headers.insert(HeaderName::from_static(name), v);
    }
}

/// The middleware (`actix_web::middleware::from_fn`).
pub async fn limit(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let Some(rl) = req.app_data::<web::Data<RateLimit>>().cloned() else {
        return next.call(req).await;
    };
    if req.headers().contains_key(header::AUTHORIZATION)
        && let Ok(Some(actor)) = crate::auth::actor_from(req.request()).await
    {
        req.extensions_mut().insert(crate::auth::Verified(actor));
        return next.call(req).await;
    }
    let Some(ip) = req.peer_addr().map(|a| a.ip()) else {
        return next.call(req).await;
    };
    // Forget idle clients now and then, so the table stays small.
    if rl.seen.fetch_add(1, Ordering::Relaxed) % 10_000 == 9_999 {
        rl.limiter.retain_recent();
    }
    match rl.limiter.check_key(&ip) {
        Ok(state) => {
            let mut response = next.call(req).await?;
            let headers = response.headers_mut();
            set(headers, "ratelimit-limit", rl.burst.to_string());
            set(
                headers,
                "ratelimit-remaining",
                state.remaining_burst_capacity().to_string(),
            );
            set(
                headers,
                "ratelimit-policy",
                format!("{};w=1;burst={}", rl.per_second, rl.burst),
            );
            Ok(response)
        }
        Err(not_until) => {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            Err(ApiError::TooManyRequests {
                retry_after: wait.as_secs_f64().ceil().max(1.0) as u64,
                limit: rl.burst,
            }
            .into())
        }
    }
}
