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
