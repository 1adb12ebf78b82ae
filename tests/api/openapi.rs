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
