//! Re-verification: editors re-confirm a published network without a review (`verify`),
//! advisers list their own overdue networks, and a verification that runs out is announced
//! once to webhook subscribers (`network.verification_due`).

use onconet_test_support::fixtures::{PRIVATE_WEBHOOK_SECRET, minimal_network};
use onconet_test_support::receiver::Receiver;
use onconet_test_support::{TestApp, eventually, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

async fn network(app: &TestApp, id: &str) -> Value {
    let r = app
        .send(
            Method::GET,
            &format!("/v1/networks/{id}"),
            Some(&app.staff_token),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    r.json().await.expect("json")
}

/// `POST /v1/networks/{id}/verify` with `token`, `if_match` (a version) and `body`.
async fn verify(
    app: &TestApp,
    id: &str,
    token: Option<&str>,
    if_match: Option<i64>,
    body: &str,
    content_type: &str,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(&format!("/v1/networks/{id}/verify")))
        .header("Content-Type", content_type)
        .body(body.to_owned());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(version) = if_match {
        request = request.header("If-Match", format!("\"v{version}\""));
    }
    request.send().await.expect("verify")
}

async fn overdue_names(app: &TestApp, token: &str) -> Vec<String> {
    let r = app
        .send(
            Method::GET,
            "/v1/networks?verification_overdue=true",
            Some(token),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let list: Value = r.json().await.expect("json");
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|n| n["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn editors_reverify_a_published_network_without_a_review() {
    let app = spawn_app().await;
    let mut body = minimal_network("Noord, lang niet bevestigd");
    body["ros_org"] = json!("ros-noord");
    let noord = app.create_published(&body).await;
    let id = noord["id"].as_str().expect("id").to_owned();
    let mut body = minimal_network("Zuid, lang niet bevestigd");
    body["ros_org"] = json!("ros-zuid");
    let zuid = app.create_published(&body).await;
    app.age_verification(&id, 13).await;
    app.age_verification(zuid["id"].as_str().expect("id"), 13)
        .await;
    let before = network(&app, &id).await;
    assert_eq!(before["verification_overdue"], true);
    let version = before["version"].as_i64().expect("version");

    // Advisers see the overdue networks of their own ROS; staff see all.
    assert_eq!(
        overdue_names(&app, &app.adviser_token).await,
        ["Noord, lang niet bevestigd"]
    );
    assert_eq!(
        overdue_names(&app, &app.other_adviser_token).await,
        ["Zuid, lang niet bevestigd"]
    );
    assert_eq!(overdue_names(&app, &app.staff_token).await.len(), 2);

    // Bad requests, each with its own status and nothing changed.
    let adviser = Some(app.adviser_token.as_str());
    let json = "application/json";
    let long = json!({"note": "x".repeat(1001)}).to_string();
    for (token, if_match, body, content_type, status, what) in [
        (None, Some(version), "{}", json, 401, "no token"),
        (
            Some(app.other_adviser_token.as_str()),
            Some(version),
            "{}",
            json,
            403,
            "another ROS",
        ),
        (adviser, None, "{}", json, 428, "no If-Match"),
        (adviser, Some(version - 1), "{}", json, 412, "stale"),
        (
            adviser,
            Some(version),
            "note=ok",
            "text/plain",
            415,
            "not JSON",
        ),
        (
            adviser,
            Some(version),
            "{\"note\":",
            json,
            400,
            "broken JSON",
        ),
        (
            adviser,
            Some(version),
            "{\"by\": \"me\"}",
            json,
            422,
            "unknown field",
        ),
        (
            adviser,
            Some(version),
            long.as_str(),
            json,
            422,
            "note too long",
        ),
        (
            adviser,
            Some(version),
            "{\"note\": \"a\\u0000b\"}",
            json,
            422,
            "NUL in the note",
        ),
    ] {
        let r = verify(&app, &id, token, if_match, body, content_type).await;
        assert_eq!(r.status().as_u16(), status, "{what}");
        assert_eq!(
            r.headers()["content-type"],
            "application/problem+json",
            "{what}"
        );
    }
    let r = verify(&app, &id, adviser, Some(version), &long, json).await;
    let problem: Value = r.json().await.expect("problem");
    assert_eq!(problem["errors"][0]["pointer"], "/note");
    assert_eq!(
        network(&app, &id).await["version"],
        version,
        "nothing changed"
    );

    // IKNL re-confirms it: still published, verified now, a new version. (An adviser's
    // "still correct" waits for IKNL to confirm it: `tests/api/proposals.rs`.)
    let note = "Gebeld met de coördinator: website en contactgegevens kloppen";
    let r = verify(
        &app,
        &id,
        Some(app.staff_token.as_str()),
        Some(version),
        &json!({"note": note}).to_string(),
        json,
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["etag"], format!("\"v{}\"", version + 1));
    let after: Value = r.json().await.expect("json");
    assert_eq!(after["state"], "published");
    assert_eq!(after["verification_overdue"], false);
    assert!(
        after["last_verified_at"].as_str() > before["last_verified_at"].as_str(),
        "{} after {}",
        after["last_verified_at"],
        before["last_verified_at"]
    );
    assert_eq!(after["name"], before["name"]);
    assert_eq!(
        overdue_names(&app, &app.adviser_token).await,
        Vec::<String>::new()
    );

    // The history says who verified, with the note.
    let history: Value = app
        .send(
            Method::GET,
            &format!("/v1/networks/{id}/history"),
            adviser,
            None,
        )
        .await
        .json()
        .await
        .expect("history");
    let last = history["items"]
        .as_array()
        .and_then(|i| i.last())
        .expect("revision");
    assert_eq!(last["action"], "verified");
    assert_eq!(last["actor"]["sub"], "staff-1");
    assert_eq!(last["state"], "published");
    let fields: Vec<&str> = last["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["field"].as_str())
        .collect();
    assert!(fields.contains(&"last_verified_at"), "{fields:?}");
    assert!(
        last["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .any(|c| c["field"] == "reason" && c["new"] == note),
        "{last}"
    );

    // Only a published network is re-verified: a draft is published (and so verified) instead.
    let draft: Value = app
        .create_network(&minimal_network("Concept"))
        .await
        .json()
        .await
        .expect("json");
    let r = verify(
        &app,
        draft["id"].as_str().expect("id"),
        Some(&app.staff_token),
        draft["version"].as_i64(),
        "{}",
        json,
    )
    .await;
    assert_eq!(r.status(), 409);
    let r = verify(
        &app,
        "00000000-0000-0000-0000-000000000000",
        Some(&app.staff_token),
        Some(1),
        "{}",
        json,
    )
    .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_verification_that_runs_out_is_announced_once() {
    let app = spawn_app().await;
    let receiver = Receiver::start(PRIVATE_WEBHOOK_SECRET).expect("receiver");
    let r = app
        .send(
            Method::POST,
            "/v1/webhooks",
            Some(&app.staff_token),
            Some(&json!({
                "url": receiver.url(),
                "events": ["network.verification_due"],
                "secret": PRIVATE_WEBHOOK_SECRET,
            })),
        )
        .await;
    assert_eq!(r.status(), 201);
    let fresh = app.create_published(&minimal_network("Vers")).await;
    let old = app.create_published(&minimal_network("Oud")).await;
    let id = old["id"].as_str().expect("id").to_owned();
    app.age_verification(&id, 13).await;

    eventually("the due verification is delivered", || async {
        !receiver.received().is_empty()
    })
    .await;
    // The worker looks every second (in the tests): three more looks announce nothing new.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let received = receiver.received();
    assert_eq!(received.len(), 1, "announced once");
    let event = &received[0];
    assert!(event.verified, "{:?}", event.error);
    assert_eq!(
        event.event_type.as_deref(),
        Some("network.verification_due")
    );
    let body: Value = serde_json::from_str(&event.body).expect("body");
    assert_eq!(body["data"]["network_id"], id.as_str());
    assert_eq!(body["data"]["href"], format!("/v1/networks/{id}"));
    assert!(body["data"]["due_since"].is_string());
    assert_ne!(body["data"]["network_id"], fresh["id"]);

    // Re-verified, then run out again: a new verification, so a new announcement.
    let current = network(&app, &id).await;
    let r = verify(
        &app,
        &id,
        Some(&app.staff_token),
        current["version"].as_i64(),
        "{}",
        "application/json",
    )
    .await;
    assert_eq!(r.status(), 200);
    app.age_verification(&id, 14).await;
    eventually("the second due verification is delivered", || async {
        receiver.received().len() >= 2
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let received = receiver.received();
    assert_eq!(received.len(), 2);
    assert_ne!(
        received[0].id, received[1].id,
        "two events, two webhook-ids"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn only_published_networks_are_due_whatever_states_are_listed() {
    // The console lists every state and adds `verification_overdue=true`: a draft was never
    // verified, and is not due.
    let app = spawn_app().await;
    let aged = app.create_published(&minimal_network("Verlopen")).await;
    app.age_verification(aged["id"].as_str().expect("id"), 13)
        .await;
    let draft = app.create_network(&minimal_network("Concept")).await;
    assert_eq!(draft.status(), 201);
    app.create_published(&minimal_network("Vers")).await;
    let r = app
        .send(
            Method::GET,
            "/v1/networks?verification_overdue=true&state=draft,submitted,published,archived",
            Some(&app.staff_token),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let list: Value = r.json().await.expect("json");
    let names: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|n| n["name"].as_str())
        .collect();
    assert_eq!(names, ["Verlopen"]);
}
