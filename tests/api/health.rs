use onconet_test_support::spawn_app;

#[tokio::test(flavor = "multi_thread")]
async fn liveness_and_readiness() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let r = app.get(path).send().await.expect("request");
        assert_eq!(r.status(), 200, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_routes_are_problem_documents() {
    let app = spawn_app().await;
    let r = app.get("/v1/nothing-here").send().await.expect("request");
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: serde_json::Value = r.json().await.expect("json");
    assert_eq!(p["status"], 404);
    assert!(
        p["detail"]
            .as_str()
            .unwrap_or("")
            .contains("/v1/nothing-here")
    );
}
