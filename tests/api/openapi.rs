//! The committed OpenAPI document must equal what the server serves.

use onconet_test_support::{spawn_app, workspace_dir};

#[tokio::test(flavor = "multi_thread")]
async fn committed_document_matches_the_served_one() {
    let app = spawn_app().await;
    let served = app.get("/openapi.json").send().await.expect("request");
    assert_eq!(served.status(), 200);
    let served = served.text().await.expect("body");
    let path = workspace_dir().join("openapi/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &served).expect("write openapi.json");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == served,
        "openapi/openapi.json differs from GET /openapi.json; run `make openapi` and commit the result"
    );
    assert_eq!(
        served,
        onconet_api_document(),
        "`onconet openapi` must print the same document"
    );
    let doc: serde_json::Value = serde_json::from_str(&served).expect("json");
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1"))
    );
    for path in [
        "/v1/networks",
        "/v1/networks/{id}",
        "/v1/networks/{id}/transitions",
        "/v1/vocabularies",
        "/healthz",
        "/readyz",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is not documented");
    }
}

fn onconet_api_document() -> String {
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "run", "--quiet", "-p", "onconet", "--bin", "onconet", "--", "openapi",
        ])
        .current_dir(workspace_dir())
        .output()
        .expect("cargo run onconet openapi");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Every operation in the document is answered by a route (not the fallback's 404/405), and
/// the router has nothing undocumented: everything is mounted through `mount()`, whose
/// `service(...)` calls are what the document is generated from.
#[tokio::test(flavor = "multi_thread")]
async fn every_documented_operation_is_routed() {
    let app = spawn_app().await;
    let network = app
        .create_published(&onconet_test_support::fixtures::minimal_network("Route"))
        .await;
    let id = network["id"].as_str().expect("id");
    let doc: serde_json::Value = app
        .get("/openapi.json")
        .send()
        .await
        .expect("doc")
        .json()
        .await
        .expect("json");
    let mut walked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let concrete = path
            .replace("{id}", id)
            .replace("{layer}", "municipality")
            .replace("{code}", "GM0014")
            .replace("{index}", "0")
            .replace("{file}", "index.html");
        for method in item.as_object().expect("item").keys() {
            let method =
                reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let r = app
                .client
                .request(method.clone(), app.url(&concrete))
                .bearer_auth(&app.admin_token)
                .send()
                .await
                .expect("request");
            let status = r.status().as_u16();
            let body = r.text().await.unwrap_or_default();
            assert!(
                status != 405 && !(status == 404 && body.contains("no route for")),
                "{method} {path}: {status} {body}"
            );
            walked += 1;
        }
    }
    assert!(walked >= 20, "{walked} operations");
    // And an undocumented path is the fallback's.
    let r = app.get("/v2/networks").send().await.expect("request");
    assert_eq!(r.status(), 404);
    let r = app
        .client
        .delete(app.url("/v1/networks"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "GET, HEAD, POST");
}

/// HEAD is answered wherever GET is: the same status and headers, no body (RFC 9110 §9.1).
/// Any other method gets 405 with `Allow` (404 off the documented paths), and a made-up one
/// leaves no trace in the metrics.
#[tokio::test(flavor = "multi_thread")]
async fn head_is_get_without_a_body_and_other_methods_get_405() {
    let app = spawn_app().await;
    for path in [
        "/healthz",
        "/v1/networks",
        "/v1/regions/municipality/GM0014",
        "/widget/onconet-finder.js",
    ] {
        let get = app.get(path).send().await.expect("get");
        let head = app.client.head(app.url(path)).send().await.expect("head");
        assert_eq!(head.status(), get.status(), "{path}");
        assert_eq!(head.status(), 200, "{path}");
        for name in ["content-type", "content-length", "etag"] {
            assert_eq!(
                head.headers().get(name),
                get.headers().get(name),
                "{path}: {name}"
            );
        }
        assert!(head.bytes().await.expect("body").is_empty(), "{path}");
    }
    for (method, path, status) in [
        ("XKQZZY", "/healthz", 405),
        ("QUERY", "/v1/search", 405),
        ("PUT", "/v1/networks", 405),
        ("XKQZZY", "/nowhere", 404),
    ] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let r = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), status, "{method} {path}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        if status == 405 {
            assert!(r.headers().contains_key("allow"), "{method} {path}");
        }
    }
    let metrics = app
        .get("/metrics")
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        !metrics.contains("XKQZZY"),
        "the made-up method is a series"
    );
}
