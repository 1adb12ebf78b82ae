//! Operations: metrics, Swagger UI, rate limiting.

use onconet_test_support::{spawn_app, spawn_app_with};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_requests_by_route() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.get("/v1/vocabularies").send().await.expect("get");
    }
    app.get("/v1/networks/00000000-0000-4000-8000-000000000000")
        .send()
        .await
        .expect("get");
    let _ = app
        .get("/v1/coverage")
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .expect("coverage");
    let _ = app
        .get("/v1/coverage")
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .expect("coverage");
    for file in [
        "/docs/",
        "/docs/swagger-ui.css",
        "/docs/swagger-initializer.js",
    ] {
        let r = app.get(file).send().await.expect("docs");
        assert_eq!(r.status(), 200, "{file}");
    }
    let text = app
        .get("/metrics")
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        text.lines()
            .any(|l| l.starts_with("onconet_http_requests_total")
                && l.contains("endpoint=\"/v1/vocabularies\"")
                && l.contains("status=\"200\"")
                && l.ends_with(" 3")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("endpoint=\"/v1/networks/{id}\"") && l.contains("status=\"404\"")),
        "route patterns, not ids"
    );
    // Swagger UI's files under one plain pattern (a regex segment made the metrics middleware
    // warn at every request, and label the route with the regex).
    assert!(
        text.lines()
            .any(|l| l.starts_with("onconet_http_requests_total")
                && l.contains("endpoint=\"/docs/{file}\"")
                && l.ends_with(" 2")),
        "{text}"
    );
    assert!(text.contains("endpoint=\"/docs/\""), "{text}");
    assert!(!text.contains("{file:"), "{text}");
    assert!(text.contains("onconet_http_requests_duration_seconds_bucket"));
    assert!(
        text.contains("onconet_coverage_cache_total{outcome=\"hit\"} 1"),
        "{text}"
    );
    assert!(text.contains("onconet_search_index_networks 0"));
}

#[tokio::test(flavor = "multi_thread")]
async fn swagger_ui_is_served_offline() {
    let app = spawn_app().await;
    let r = app.get("/docs").send().await.expect("docs");
    assert_eq!(r.status(), 308);
    let r = app.get("/docs/").send().await.expect("docs");
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("html");
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(!html.contains("https://"), "no assets from elsewhere");
    let init = app
        .get("/docs/swagger-initializer.js")
        .send()
        .await
        .expect("init")
        .text()
        .await
        .expect("js");
    assert!(init.contains("/openapi.json"), "{init}");
    // Unknown files, also below a folder, are problem documents.
    for missing in ["/docs/nope.js", "/docs/a/b.js", "/docs/%2e%2e%2fCargo.toml"] {
        let r = app.get(missing).send().await.expect("docs");
        assert_eq!(r.status(), 404, "{missing}");
        assert_eq!(
            r.headers()["content-type"],
            "application/problem+json",
            "{missing}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn public_rate_limit_answers_429_and_recovers() {
    let app = spawn_app_with(|s| {
        s.rate_limit_per_second = 2;
        s.rate_limit_burst = 3;
    })
    .await;
    let mut statuses = Vec::new();
    let mut limited = None;
    for _ in 0..6 {
        let r = app.get("/v1/vocabularies").send().await.expect("get");
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            limited = Some(r);
        } else {
            assert!(r.headers().contains_key("ratelimit-remaining"));
        }
    }
    assert_eq!(&statuses[..3], &[200, 200, 200], "{statuses:?}");
    let limited = limited.expect("the burst was exceeded");
    assert_eq!(
        limited.headers()["content-type"],
        "application/problem+json"
    );
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .expect("retry-after")
        .parse()
        .expect("seconds");
    assert!((1..=2).contains(&retry));
    assert_eq!(limited.headers()["ratelimit-remaining"], "0");
    // Without trusted proxies, X-Forwarded-For is the client's own word and changes nothing.
    let r = app
        .get("/v1/vocabularies")
        .header("X-Forwarded-For", "198.51.100.77")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 429);
    // A made-up or malformed token is no way around the limit: it counts as anonymous.
    for authorization in [
        "Bearer not-a-token",
        "Bearer ",
        "Basic b25jb25ldDpvbmNvbmV0",
    ] {
        let r = app
            .get("/v1/vocabularies")
            .header("Authorization", authorization)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 429, "{authorization}");
    }
    // Nor is a made-up console session.
    let r = app
        .get("/v1/vocabularies")
        .header("Cookie", "onconet_session=not-a-token")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 429);
    // A signed-in console user is authenticated like a bearer token.
    let session = app
        .get("/v1/vocabularies")
        .header("Cookie", format!("onconet_session={}", app.staff_token))
        .send()
        .await
        .expect("get");
    assert_eq!(session.status(), 200);
    // Authenticated callers are not limited by the public limit, and the server stays responsive.
    let staff = app
        .get("/v1/vocabularies")
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .expect("get");
    assert_eq!(staff.status(), 200);
    tokio::time::sleep(Duration::from_secs(retry)).await;
    assert_eq!(
        app.get("/v1/vocabularies")
            .send()
            .await
            .expect("get")
            .status(),
        200
    );
}

/// Behind a trusted reverse proxy, each client (by `X-Forwarded-For`) has its own bucket, and a
/// client cannot pick another's by writing the header itself.
#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_behind_a_trusted_proxy_goes_by_forwarded_client() {
    let app = spawn_app_with(|s| {
        s.rate_limit_per_second = 1;
        s.rate_limit_burst = 2;
        // The test client connects from 127.0.0.1: it plays the proxy.
        s.trusted_proxies = "127.0.0.0/8, 10.0.0.0/8".parse().expect("proxies");
    })
    .await;
    let get = |xff: &'static str| {
        app.get("/v1/vocabularies")
            .header("X-Forwarded-For", xff)
            .send()
    };
    // A bucket is fresh when a request leaves all but one of the burst (a second later it may
    // have gained a token, never the whole burst back: the assertions hold on a slow machine).
    let fresh = |r: &reqwest::Response| {
        r.status() == 200
            && r.headers()
                .get("ratelimit-remaining")
                .is_some_and(|v| v == "1")
    };
    let mut first = Vec::new();
    for _ in 0..4 {
        first.push(get("198.51.100.1").await.expect("get").status().as_u16());
    }
    assert!(
        first.contains(&429),
        "the first client's burst was exceeded: {first:?}"
    );
    // Another client behind the same proxy is not affected.
    assert!(fresh(&get("198.51.100.2").await.expect("get")));
    // Through a second trusted proxy, still the first client.
    assert!(!fresh(&get("198.51.100.1, 10.0.0.5").await.expect("get")));
    // The first client writing someone else's address in front keeps its own bucket.
    assert!(!fresh(
        &get("203.0.113.50, 198.51.100.1").await.expect("get")
    ));
}
