//! Rate limiting of anonymous (public) requests per client address: a GCRA bucket per IP
//! (`governor`), answered with 429, `Retry-After` and `RateLimit-*` headers when exceeded.
//! The client address is the TCP peer's, unless the peer is one of the configured trusted
//! proxies: then it is the right-most address of `X-Forwarded-For` that is not a trusted proxy
//! (addresses further left were written by the client and prove nothing).
//! Requests with a valid bearer token, or a valid console session (a cookie-authenticated
//! write also with its CSRF token), are not limited (they are authenticated and few; the
//! console checks a form as its user types); the token is verified here, once, and its caller
//! handed on to the extractors. A request with an invalid token or session counts as
//! anonymous, so a made-up `Authorization` header or cookie is no way around the limit.

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
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

type Limiter =
    RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock, StateInformationMiddleware>;

/// The limiter shared by all workers.
pub struct RateLimit {
    limiter: Limiter,
    burst: u32,
    per_second: u32,
    trusted: TrustedProxies,
    seen: AtomicU64,
}

impl RateLimit {
    /// `per_second` sustained requests per client with bursts of `burst`; `None` when
    /// `per_second` is 0 (no limit).
    pub fn new(per_second: u32, burst: u32, trusted: TrustedProxies) -> Option<Self> {
        let rate = NonZeroU32::new(per_second)?;
        let burst = NonZeroU32::new(burst.max(per_second)).unwrap_or(rate);
        Some(Self {
            limiter: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
                .with_middleware::<StateInformationMiddleware>(),
            burst: burst.get(),
            per_second: rate.get(),
            trusted,
            seen: AtomicU64::new(0),
        })
    }
}

/// The reverse proxies (addresses or CIDR networks) whose `X-Forwarded-For` is believed:
/// `10.0.0.0/8,192.0.2.7`. Empty: none, the TCP peer is the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl std::str::FromStr for TrustedProxies {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        s.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse::<IpNet>()
                    .or_else(|_| p.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("`{p}` is not an IP address or a CIDR network"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }
}

impl TrustedProxies {
    fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address: `peer` itself unless it is a trusted proxy; then, walking the
    /// `X-Forwarded-For` hops (`forwarded_for`, in header order) from the right, the first
    /// address that is not a trusted proxy. A hop that is no address stops the walk at the
    /// last address known (a proxy: its clients then share a bucket, they cannot pick one).
    pub fn client<'a>(&self, peer: IpAddr, forwarded_for: impl Iterator<Item = &'a str>) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        let hops: Vec<&str> = forwarded_for
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            let Some(ip) = hop
                .parse::<IpAddr>()
                .ok()
                .or_else(|| hop.parse::<SocketAddr>().ok().map(|a| a.ip()))
            else {
                return client;
            };
            client = ip;
            if !self.contains(ip) {
                return ip;
            }
        }
        client
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
    let credentials = req.headers().contains_key(header::AUTHORIZATION)
        || req.cookie(crate::auth::SESSION_COOKIE).is_some();
    if credentials && let Ok(Some(actor)) = crate::auth::actor_from(req.request()).await {
        req.extensions_mut().insert(crate::auth::Verified(actor));
        return next.call(req).await;
    }
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return next.call(req).await;
    };
    let ip = rl.trusted.client(
        peer,
        req.headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok()),
    );
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    #[test]
    fn the_client_is_the_right_most_untrusted_hop() {
        let trusted: TrustedProxies = "10.0.0.0/8, 192.0.2.7".parse().expect("valid");
        let client = |peer: &str, xff: &[&str]| trusted.client(ip(peer), xff.iter().copied());
        // Not from a trusted proxy: the header is whatever the client wrote.
        assert_eq!(client("203.0.113.9", &["198.51.100.1"]), ip("203.0.113.9"));
        // From a proxy: the address it appended.
        assert_eq!(client("10.1.2.3", &["198.51.100.1"]), ip("198.51.100.1"));
        // Through two proxies, with a forged first hop: the last untrusted one counts.
        assert_eq!(
            client("10.1.2.3", &["6.6.6.6, 198.51.100.1, 192.0.2.7"]),
            ip("198.51.100.1")
        );
        // Several header lines are one list, in order.
        assert_eq!(
            client("10.1.2.3", &["6.6.6.6", "198.51.100.1"]),
            ip("198.51.100.1")
        );
        // Ports and IPv6 as proxies write them.
        assert_eq!(
            client("10.1.2.3", &["198.51.100.1:4711"]),
            ip("198.51.100.1")
        );
        assert_eq!(
            client("10.1.2.3", &["[2001:db8::1]:443"]),
            ip("2001:db8::1")
        );
        assert_eq!(client("10.1.2.3", &["2001:db8::1"]), ip("2001:db8::1"));
        // An IPv4 peer seen as an IPv6-mapped address is still the proxy.
        assert_eq!(
            client("::ffff:10.1.2.3", &["198.51.100.1"]),
            ip("198.51.100.1")
        );
        // No header, only proxies, or garbage: the nearest address known.
        assert_eq!(client("10.1.2.3", &[]), ip("10.1.2.3"));
        assert_eq!(client("10.1.2.3", &["10.9.9.9"]), ip("10.9.9.9"));
        assert_eq!(client("10.1.2.3", &["unknown"]), ip("10.1.2.3"));
        assert_eq!(
            client("10.1.2.3", &["198.51.100.1, nonsense"]),
            ip("10.1.2.3")
        );
        // Without trusted proxies the peer is always the client.
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(ip("10.1.2.3"), ["198.51.100.1"].into_iter()),
            ip("10.1.2.3")
        );
    }

    #[test]
    fn trusted_proxies_parse_addresses_and_networks() {
        assert_eq!("".parse::<TrustedProxies>(), Ok(TrustedProxies::default()));
        assert!(
            "10.0.0.0/8,::1, 192.0.2.7"
                .parse::<TrustedProxies>()
                .is_ok()
        );
        let err = "10.0.0.0/8,proxy.example"
            .parse::<TrustedProxies>()
            .unwrap_err();
        assert!(err.contains("proxy.example"), "{err}");
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
    }
}
