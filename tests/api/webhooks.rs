//! Webhooks: subscriptions and their bad input, which changes raise which events, signed
//! deliveries checked by the Standard Webhooks reference library in a real receiver
//! (`tests/webhooks/receiver.py`), retries, giving up, 410, and delivery through a SIGKILL of
//! the server in the middle of a burst of changes.

use onconet_test_support::fixtures::minimal_network;
use onconet_test_support::receiver::{Received, Receiver};
use onconet_test_support::{TestApp, eventually, spawn_app, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

/// A fixed secret, so the receiver can verify (and `scripts/check-logs.sh` looks for it).
const SECRET: &str = onconet_test_support::fixtures::PRIVATE_WEBHOOK_SECRET;

async fn subscribe(app: &TestApp, body: &Value) -> reqwest::Response {
    let staff = Some(app.staff_token.as_str());
    app.send(Method::POST, "/v1/webhooks", staff, Some(body))
        .await
}

async fn change_subscription(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    let staff = Some(app.staff_token.as_str());
    app.send(Method::PATCH, path, staff, Some(&body)).await
}

async fn subscribed(app: &TestApp, url: &str, events: &[&str]) -> Value {
    let r = subscribe(
        app,
        &json!({"url": url, "events": events, "secret": SECRET}),
    )
    .await;
    assert_eq!(r.status(), 201);
    r.json().await.expect("json")
}

async fn get_json(app: &TestApp, path: &str) -> Value {
    let staff = Some(app.staff_token.as_str());
    let r = app.send(Method::GET, path, staff, None).await;
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.expect("json")
}

async fn patch_network(app: &TestApp, network: &Value, change: Value) -> Value {
    let r = app
        .client
        .patch(app.url(&format!(
            "/v1/networks/{}",
            network["id"].as_str().expect("id")
        )))
        .bearer_auth(&app.staff_token)
        .header("If-Match", format!("\"v{}\"", network["version"]))
        .json(&change)
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), 200);
    r.json().await.expect("json")
}

async fn transition(app: &TestApp, network: &Value, to: &str) -> Value {
    let r = app
        .client
        .post(app.url(&format!(
            "/v1/networks/{}/transitions",
            network["id"].as_str().expect("id")
        )))
        .bearer_auth(&app.staff_token)
        .header("If-Match", format!("\"v{}\"", network["version"]))
        .json(&json!({"to": to, "reason": "test"}))
        .send()
        .await
        .expect("transition");
    assert_eq!(r.status(), 200, "to {to}");
    r.json().await.expect("json")
}

/// The (pointer, code) pairs of a problem document.
fn problems(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["pointer"].as_str().unwrap_or_default().to_owned(),
                e["code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn only_staff_manage_subscriptions_and_bad_ones_are_refused_by_field() {
    let app = spawn_app_with(|s| s.webhooks.webhook_allow_private_targets = false).await;
    let good = json!({"url": "https://93.184.215.14/hook", "events": ["network.published"]});
    let adviser = Some(app.adviser_token.as_str());
    for (method, path, token, status) in [
        (Method::POST, "/v1/webhooks", None, 401),
        (Method::POST, "/v1/webhooks", adviser, 403),
        (Method::GET, "/v1/webhooks", adviser, 403),
        (Method::GET, "/v1/webhooks", None, 401),
    ] {
        let body = (method == Method::POST).then_some(&good);
        let r = app.send(method.clone(), path, token, body).await;
        assert_eq!(r.status(), status, "{method} {path}");
    }

    for (body, pointer, code) in [
        (
            json!({"url": "http://127.0.0.1:9/hook", "events": ["network.published"]}),
            "/url",
            "insecure_url",
        ),
        (
            json!({"url": "https://127.0.0.1/hook", "events": ["network.published"]}),
            "/url",
            "private_target",
        ),
        (
            json!({"url": "https://10.1.2.3/hook", "events": ["network.published"]}),
            "/url",
            "private_target",
        ),
        (
            json!({"url": "https://[::1]/hook", "events": ["network.published"]}),
            "/url",
            "private_target",
        ),
        (
            json!({"url": "https://169.254.169.254/latest", "events": ["network.published"]}),
            "/url",
            "private_target",
        ),
        (
            json!({"url": "https://localhost/hook", "events": ["network.published"]}),
            "/url",
            "private_target",
        ),
        (
            json!({"url": "https://no-such-host.invalid/hook", "events": ["network.published"]}),
            "/url",
            "unresolvable_host",
        ),
        (
            json!({"url": "not a url", "events": ["network.published"]}),
            "/url",
            "invalid_url",
        ),
        (
            json!({"url": "https://user:pw@93.184.215.14/hook", "events": ["network.published"]}),
            "/url",
            "invalid_url",
        ),
        (
            json!({"url": format!("https://93.184.215.14/{}", "a".repeat(2100)), "events": ["network.published"]}),
            "/url",
            "too_long",
        ),
        (
            json!({"url": "https://93.184.215.14/hook", "events": []}),
            "/events",
            "required",
        ),
        (
            json!({"url": "https://93.184.215.14/hook", "events": ["network.deleted"]}),
            "/events/0",
            "unknown_code",
        ),
        (
            json!({"url": "https://93.184.215.14/hook", "events": ["coverage.changed", "coverage.changed"]}),
            "/events/1",
            "duplicate",
        ),
        (
            json!({"url": "https://93.184.215.14/hook", "events": ["coverage.changed"], "secret": "hunter2"}),
            "/secret",
            "invalid_secret",
        ),
        (
            json!({"url": "https://93.184.215.14/hook", "events": ["coverage.changed"], "secret": "whsec_c2hvcnQ="}),
            "/secret",
            "invalid_secret",
        ),
        (
            json!({"url": "https://93.184.215.14/hook", "events": "coverage.changed"}),
            "/events",
            "invalid_type",
        ),
        (
            json!({"url": "https://93.184.215.14/hook", "events": ["coverage.changed"], "colour": "red"}),
            "/colour",
            "unknown_field",
        ),
        (json!({"events": ["coverage.changed"]}), "/url", "required"),
    ] {
        let r = subscribe(&app, &body).await;
        assert_eq!(r.status(), 422, "{body}");
        assert_eq!(
            r.headers()["content-type"],
            "application/problem+json",
            "{body}"
        );
        let problem: Value = r.json().await.expect("json");
        let found = problems(&problem);
        assert!(
            found.iter().any(|(p, c)| p == pointer && c == code),
            "{body}: expected {pointer} {code}, got {problem}"
        );
    }
    let not_json = app
        .client
        .post(app.url("/v1/webhooks"))
        .bearer_auth(&app.staff_token)
        .header("Content-Type", "application/json")
        .body("{\"url\":")
        .send()
        .await
        .expect("post");
    assert_eq!(not_json.status(), 400);
    // All problems of a body at once.
    let r = subscribe(
        &app,
        &json!({"url": "https://127.0.0.1/", "events": ["x"], "secret": "y"}),
    )
    .await;
    let found = problems(&r.json().await.expect("json"));
    assert_eq!(found.len(), 3, "{found:?}");

    // A good one: the secret is answered once, made when none was given.
    let created = subscribe(&app, &good).await;
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["cache-control"], "no-store");
    let location = created.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let created: Value = created.json().await.expect("json");
    let secret = created["secret"].as_str().expect("a secret");
    assert!(
        secret.starts_with("whsec_") && secret.len() >= 38,
        "{secret}"
    );
    assert_eq!(
        location,
        format!("/v1/webhooks/{}", created["id"].as_str().expect("id"))
    );
    let given = subscribe(
        &app,
        &json!({"url": "https://93.184.215.14/other", "events": ["coverage.changed"], "secret": SECRET}),
    )
    .await;
    assert_eq!(given.status(), 201);
    let given: Value = given.json().await.expect("json");
    assert_eq!(given["secret"], SECRET);

    let one = get_json(&app, &location).await;
    assert_eq!(one["state"], "active");
    assert_eq!(one["events"], json!(["network.published"]));
    let list = get_json(&app, "/v1/webhooks?per_page=1").await;
    assert_eq!(list["page"]["total_items"], 2);
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    for shown in [one.to_string(), list.to_string()] {
        assert!(
            !shown.contains("whsec_"),
            "a secret was shown again: {shown}"
        );
        assert!(!shown.contains(secret) && !shown.contains(SECRET));
    }

    // Changes: each field checked the same way; state by name.
    let path = format!("/v1/webhooks/{}", given["id"].as_str().expect("id"));
    let change = |body: Value| change_subscription(&app, &path, body);
    let r = change(json!({"url": "https://192.168.1.1/"})).await;
    assert_eq!(r.status(), 422);
    let r = change(json!({"state": "paused"})).await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        problems(&r.json().await.expect("json")),
        vec![("/state".to_owned(), "unknown_code".to_owned())]
    );
    let r = change(json!({"secret": SECRET})).await;
    assert_eq!(r.status(), 422, "the secret cannot be changed (nor read)");
    let r = change(json!({"state": "disabled", "events": ["network.updated", "network.archived"]}))
        .await;
    assert_eq!(r.status(), 200);
    let changed: Value = r.json().await.expect("json");
    assert_eq!(changed["state"], "disabled");
    assert_eq!(changed["disabled_reason"], "disabled by staff-1");
    assert_eq!(
        changed["events"],
        json!(["network.updated", "network.archived"])
    );
    assert!(changed.get("secret").is_none());

    // Ids and query parameters.
    let staff = Some(app.staff_token.as_str());
    for (path, status) in [
        ("/v1/webhooks/not-a-uuid".to_owned(), 404),
        (format!("/v1/webhooks/{}", uuid::Uuid::nil()), 404),
        (
            format!("/v1/webhooks/{}/deliveries", uuid::Uuid::nil()),
            404,
        ),
        (format!("{path}/deliveries?state=lost"), 400),
        (format!("{path}/deliveries?per_page=0"), 400),
        (format!("{path}/deliveries?colour=red"), 400),
        ("/v1/webhooks?page=x".to_owned(), 400),
    ] {
        let r = app.send(Method::GET, &path, staff, None).await;
        assert_eq!(r.status(), status, "{path}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
    let admin = Some(app.admin_token.as_str());
    let deleted = app.send(Method::DELETE, &path, admin, None).await;
    assert_eq!(deleted.status(), 204);
    let again = app.send(Method::DELETE, &path, admin, None).await;
    assert_eq!(again.status(), 404);
}

/// The events received for network `id`, in order.
fn events_for(received: &[Received], id: &str) -> Vec<String> {
    received
        .iter()
        .filter(|r| {
            serde_json::from_str::<Value>(&r.body).is_ok_and(|b| b["data"]["network_id"] == id)
        })
        .filter_map(|r| r.event_type.clone())
        .collect()
}

#[tokio::test]
async fn a_networks_life_raises_its_events_signed_and_in_order() {
    let app = spawn_app().await;
    let receiver = Receiver::start(SECRET).expect("receiver");
    let all = [
        "network.published",
        "network.updated",
        "network.archived",
        "coverage.changed",
    ];
    let everything = subscribed(&app, &receiver.url(), &all).await;
    let only_coverage = Receiver::start(SECRET).expect("receiver");
    subscribed(&app, &only_coverage.url(), &["coverage.changed"]).await;

    // A draft and its edits raise nothing; publishing raises published + coverage.
    let draft = app.create_network(&minimal_network("Webhooknetwerk")).await;
    assert_eq!(draft.status(), 201);
    let draft: Value = draft.json().await.expect("json");
    let id = draft["id"].as_str().expect("id").to_owned();
    let draft = patch_network(
        &app,
        &draft,
        json!({"description": {"nl": "nog een concept"}}),
    )
    .await;
    let submitted = transition(&app, &draft, "submitted").await;
    let published = transition(&app, &submitted, "published").await;
    // A text change: updated only. A discipline: updated + coverage.
    let edited = patch_network(&app, &published, json!({"description": {"nl": "nieuw"}})).await;
    let edited = patch_network(&app, &edited, json!({"disciplines": ["physiotherapy"]})).await;
    let archived = transition(&app, &edited, "archived").await;

    let expected = [
        "network.published",
        "coverage.changed",
        "network.updated",
        "network.updated",
        "coverage.changed",
        "network.archived",
        "coverage.changed",
    ];
    eventually("every event delivered", || async {
        events_for(&receiver.received(), &id).len() >= expected.len()
    })
    .await;
    let received = receiver.received();
    // Delivered one at a time per worker round, so the order of arrival may mix; the set and
    // the count are exact.
    let mut got = events_for(&received, &id);
    let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    for r in &received {
        assert!(r.verified, "signature did not verify: {r:?}");
        assert!(r.id.starts_with("msg_"), "{}", r.id);
        assert_eq!(r.content_type.as_deref(), Some("application/json"));
        let body: Value = serde_json::from_str(&r.body).expect("json body");
        assert_eq!(body["type"].as_str(), r.event_type.as_deref());
        assert!(body["timestamp"].is_string());
        assert_eq!(body["data"]["href"], format!("/v1/networks/{id}"));
        let text = r.body.to_lowercase();
        assert!(
            !text.contains("@"),
            "no contact data in an event: {}",
            r.body
        );
    }
    let published_event = received
        .iter()
        .find(|r| r.event_type.as_deref() == Some("network.published"))
        .expect("published");
    let body: Value = serde_json::from_str(&published_event.body).expect("json");
    assert_eq!(body["data"]["version"], published["version"]);
    assert_eq!(body["data"]["state"], "published");
    let coverage_edit = received
        .iter()
        .filter_map(|r| serde_json::from_str::<Value>(&r.body).ok())
        .find(|b| b["type"] == "network.updated" && b["data"]["changed"] == json!(["disciplines"]));
    assert!(coverage_edit.is_some(), "the changed fields are named");
    let ids: HashSet<&str> = received.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), received.len(), "each event once");

    eventually("coverage events delivered", || async {
        only_coverage.received().len() >= 3
    })
    .await;
    let coverage = only_coverage.received();
    assert_eq!(
        coverage
            .iter()
            .filter_map(|r| r.event_type.clone())
            .collect::<Vec<_>>(),
        vec!["coverage.changed"; 3]
    );
    // The same event has the same id at every subscriber.
    let everywhere: HashSet<&str> = coverage.iter().map(|r| r.id.as_str()).collect();
    assert!(everywhere.is_subset(&ids));
    assert_eq!(archived["state"], "archived");

    // The delivery log. A delivery is marked delivered once the receiver's answer is in, a
    // moment after the receiver has it.
    let path = format!(
        "/v1/webhooks/{}/deliveries?state=delivered&per_page=100",
        everything["id"].as_str().expect("id")
    );
    eventually("every delivery marked delivered", || async {
        get_json(&app, &path).await["page"]["total_items"] == expected.len()
    })
    .await;
    let log = get_json(&app, &path).await;
    assert_eq!(log["page"]["total_items"], expected.len());
    for d in log["items"].as_array().expect("items") {
        assert_eq!(d["state"], "delivered");
        assert_eq!(d["attempts"], 1);
        assert_eq!(d["log"][0]["status"], 204);
        assert!(d["next_attempt_at"].is_null());
    }
    let one = get_json(
        &app,
        &format!("/v1/webhooks/{}", everything["id"].as_str().expect("id")),
    )
    .await;
    assert_eq!(one["deliveries"]["delivered"], expected.len());
    assert_eq!(one["deliveries"]["pending"], 0);
}

#[tokio::test]
async fn failures_are_retried_then_given_up_and_the_subscription_disabled() {
    // A 3-second retry window (the base wait is 200 ms in the tests): a handful of attempts.
    let app = spawn_app_with(|s| s.webhooks.webhook_retry_for_seconds = 3).await;
    let receiver = Receiver::start(SECRET).expect("receiver");
    receiver.answer("fail", 0).await.expect("control");
    let sub = subscribed(&app, &receiver.url(), &["network.published"]).await;
    let sub_path = format!("/v1/webhooks/{}", sub["id"].as_str().expect("id"));
    app.create_published(&minimal_network("Onbereikbaar")).await;

    eventually("the subscription disabled", || async {
        get_json(&app, &sub_path).await["state"] == "disabled"
    })
    .await;
    let disabled = get_json(&app, &sub_path).await;
    let reason = disabled["disabled_reason"].as_str().expect("a reason");
    assert!(
        reason.contains("could not be delivered within 3 s") && reason.contains("HTTP 503"),
        "{reason}"
    );
    assert_eq!(disabled["deliveries"]["failed"], 1);
    let received = receiver.received();
    assert!(received.len() >= 3, "retried: {} attempts", received.len());
    let first = &received[0].id;
    assert!(
        received.iter().all(|r| &r.id == first && r.verified),
        "every retry carries the same webhook-id and a valid signature"
    );
    let log = get_json(&app, &format!("{sub_path}/deliveries")).await;
    let delivery = &log["items"][0];
    assert_eq!(delivery["state"], "failed");
    assert_eq!(delivery["attempts"], received.len());
    assert_eq!(
        delivery["log"].as_array().map(Vec::len),
        Some(received.len())
    );
    assert_eq!(delivery["last_status"], 503);

    // While disabled nothing is sent; active again, new events flow.
    let before = receiver.received().len();
    receiver.answer("ok", 0).await.expect("control");
    app.create_published(&minimal_network("Terwijl uitgeschakeld"))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(
        receiver.received().len(),
        before,
        "nothing sent while disabled"
    );
    let r = change_subscription(&app, &sub_path, json!({"state": "active"})).await;
    assert_eq!(r.status(), 200);
    let active: Value = r.json().await.expect("json");
    assert!(active["disabled_reason"].is_null());
    app.create_published(&minimal_network("Weer actief")).await;
    eventually("delivered after re-activation", || async {
        receiver.received().iter().any(|r| r.answered == 204)
    })
    .await;
}

#[tokio::test]
async fn a_410_disables_at_once_and_what_is_owed_follows_on_reactivation() {
    let app = spawn_app().await;
    let receiver = Receiver::start(SECRET).expect("receiver");
    receiver.answer("gone", 0).await.expect("control");
    let sub = subscribed(&app, &receiver.url(), &["network.published"]).await;
    let sub_path = format!("/v1/webhooks/{}", sub["id"].as_str().expect("id"));
    app.create_published(&minimal_network("Weg")).await;
    eventually("disabled by the 410", || async {
        get_json(&app, &sub_path).await["state"] == "disabled"
    })
    .await;
    let disabled = get_json(&app, &sub_path).await;
    assert!(
        disabled["disabled_reason"]
            .as_str()
            .is_some_and(|r| r.contains("410")),
        "{disabled}"
    );
    assert_eq!(receiver.received().len(), 1, "no retry after a 410");
    assert_eq!(disabled["deliveries"]["pending"], 1, "still owed");
    receiver.answer("ok", 0).await.expect("control");
    let r = change_subscription(&app, &sub_path, json!({"state": "active"})).await;
    assert_eq!(r.status(), 200);
    eventually("the owed event delivered", || async {
        receiver.received().len() == 2
    })
    .await;
    let received = receiver.received();
    assert_eq!(received[0].id, received[1].id);
    assert_eq!(received[1].answered, 204);
    assert!(received.iter().all(|r| r.verified));
    // The worker records the 204 a moment after the receiver has answered it.
    let want = json!({"pending": 0, "delivered": 1, "failed": 0});
    eventually("the owed delivery recorded as delivered", || async {
        get_json(&app, &sub_path).await["deliveries"] == want
    })
    .await;
}

/// How often each event id arrived, and whether every copy was the same body.
fn tally(received: &[Received]) -> (HashMap<String, usize>, bool) {
    let mut counts = HashMap::new();
    let mut bodies: HashMap<&str, &str> = HashMap::new();
    let mut same = true;
    for r in received {
        *counts.entry(r.id.clone()).or_insert(0) += 1;
        if let Some(b) = bodies.insert(&r.id, &r.body) {
            same &= b == r.body;
        }
    }
    (counts, same)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_event_arrives_through_a_sigkill_in_the_middle_of_a_burst() {
    crash::run().await;
}

mod crash {
    use super::*;
    use crate::embedded::{onconet_binary, serve_with};
    use onconet::dev_keys;
    use onconet_domain::Role;
    use onconet_test_support::TestDb;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tokio::sync::watch;

    const NETWORKS: usize = 20;
    const WRITERS: usize = 4;
    const CHANGES: usize = 200;

    pub async fn run() {
        let db = TestDb::new().await.expect("database");
        let dir = tempfile::tempdir().expect("tempdir");
        let receiver = Receiver::start(SECRET).expect("receiver");
        // Slow answers, so deliveries are queued and in flight when the server dies.
        receiver.answer("ok", 100).await.expect("control");
        let binary = onconet_binary();
        let env = [
            ("DATABASE_URL", db.url()),
            ("ONCONET_WEBHOOK_ALLOW_PRIVATE_TARGETS", "true"),
            ("ONCONET_WEBHOOK_RETRY_BASE_MS", "200"),
            ("ONCONET_WEBHOOK_TIMEOUT_MS", "2000"),
            ("ONCONET_DAILY_SNAPSHOT", "false"),
        ];
        let (server, url) = serve_with(&binary, dir.path(), &env);
        let key = dev_keys::load_or_create(dir.path()).expect("dev key");
        let token = dev_keys::mint(
            &key,
            &dev_keys::TokenRequest {
                roles: &[Role::IknlStaff],
                org: None,
                sub: "staff-crash",
                name: "staff-crash",
                issuer: "onconet-dev",
                audience: "onconet",
                ttl_seconds: 3600,
            },
        )
        .expect("token");
        let client = reqwest::Client::new();
        let mut published = Vec::new();
        for i in 0..NETWORKS {
            published.push(publish(&client, &url, &token, i).await);
        }
        let sub: Value = client
            .post(format!("{url}/v1/webhooks"))
            .bearer_auth(&token)
            .json(&json!({"url": receiver.url(), "secret": SECRET,
                "events": ["network.published", "network.updated", "network.archived", "coverage.changed"]}))
            .send()
            .await
            .expect("subscribe")
            .json()
            .await
            .expect("json");
        let sub_id = sub["id"].as_str().expect("id").to_owned();

        // The burst: WRITERS at once, each over its own networks, until CHANGES succeeded.
        let (url_tx, url_rx) = watch::channel(url);
        let done = Arc::new(AtomicUsize::new(0));
        let failed = Arc::new(AtomicUsize::new(0));
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let mine: Vec<Value> = published.iter().skip(w).step_by(WRITERS).cloned().collect();
                tokio::spawn(write(
                    client.clone(),
                    url_rx.clone(),
                    token.clone(),
                    mine,
                    done.clone(),
                    failed.clone(),
                ))
            })
            .collect();
        eventually("half the burst", || async {
            done.load(Ordering::SeqCst) >= CHANGES / 2
        })
        .await;
        server.kill();
        let at_kill = (done.load(Ordering::SeqCst), receiver.received().len());
        let (server, url) = serve_with(&binary, dir.path(), &env);
        url_tx.send(url.clone()).expect("writers listening");
        let mut finals = Vec::new();
        for w in writers {
            finals.extend(w.await.expect("writer"));
        }
        let changes = done.load(Ordering::SeqCst);

        // Everything owed is delivered (a delivery the dead server held waits for its lease).
        let sub_path = format!("{url}/v1/webhooks/{sub_id}");
        let counts = || async {
            let one: Value = client
                .get(&sub_path)
                .bearer_auth(&token)
                .send()
                .await
                .expect("get")
                .json()
                .await
                .expect("json");
            one["deliveries"].clone()
        };
        eventually("every delivery done", || async {
            counts().await["pending"] == 0
        })
        .await;
        let counts = counts().await;
        assert_eq!(counts["failed"], 0, "{counts}");
        let outbox = deliveries(&client, &sub_path, &token).await;
        assert_eq!(counts["delivered"], outbox.len());

        let received = receiver.received();
        let (times, same_body) = tally(&received);
        let unverified: Vec<&Received> = received.iter().filter(|r| !r.verified).collect();
        assert!(unverified.is_empty(), "signatures failed: {unverified:?}");
        assert!(same_body, "a duplicate webhook-id carried another body");
        let missing: Vec<&String> = outbox
            .iter()
            .filter(|id| !times.contains_key(*id))
            .collect();
        assert!(missing.is_empty(), "never received: {missing:?}");
        let unknown: Vec<&String> = times.keys().filter(|id| !outbox.contains(*id)).collect();
        assert!(
            unknown.is_empty(),
            "received but not in the outbox: {unknown:?}"
        );

        // No change without its event: each network's updates name every version after
        // publication exactly once.
        let bodies: HashMap<&str, Value> = received
            .iter()
            .map(|r| {
                (
                    r.id.as_str(),
                    serde_json::from_str(&r.body).expect("json body"),
                )
            })
            .collect();
        let mut versions: HashMap<String, Vec<i64>> = HashMap::new();
        for body in bodies.values().filter(|b| b["type"] == "network.updated") {
            versions
                .entry(body["data"]["network_id"].as_str().expect("id").to_owned())
                .or_default()
                .push(body["data"]["version"].as_i64().expect("version"));
        }
        let last: HashMap<&str, i64> = finals
            .iter()
            .map(|n| {
                (
                    n["id"].as_str().expect("id"),
                    n["version"].as_i64().expect("version"),
                )
            })
            .collect();
        for first in &published {
            let id = first["id"].as_str().expect("id");
            let mut seen = versions.remove(id).unwrap_or_default();
            seen.sort_unstable();
            let from = first["version"].as_i64().expect("version") + 1;
            assert_eq!(seen, (from..=last[id]).collect::<Vec<_>>(), "network {id}");
        }
        let duplicates = received.len() - times.len();
        let coverage = bodies
            .values()
            .filter(|b| b["type"] == "coverage.changed")
            .count();
        println!(
            "webhooks through a SIGKILL: {changes} changes ({} requests failed around the kill, \
             killed after {} changes and {} deliveries), {} events ({coverage} coverage.changed), \
             {} deliveries received, {duplicates} duplicates (same webhook-id and body), all {} \
             signatures verified by standardwebhooks",
            failed.load(Ordering::SeqCst),
            at_kill.0,
            at_kill.1,
            outbox.len(),
            received.len(),
            received.len(),
        );
        assert!(changes >= CHANGES);
        drop(server);
    }

    /// The ids of every event owed to the subscription (each delivered).
    async fn deliveries(client: &reqwest::Client, sub_path: &str, token: &str) -> HashSet<String> {
        let mut ids = HashSet::new();
        for page in 1.. {
            let list: Value = client
                .get(format!("{sub_path}/deliveries?per_page=100&page={page}"))
                .bearer_auth(token)
                .send()
                .await
                .expect("get")
                .json()
                .await
                .expect("json");
            let items = list["items"].as_array().cloned().unwrap_or_default();
            if items.is_empty() {
                break;
            }
            for d in items {
                assert_eq!(d["state"], "delivered");
                ids.insert(d["event_id"].as_str().expect("id").to_owned());
            }
        }
        ids
    }

    async fn publish(client: &reqwest::Client, url: &str, token: &str, i: usize) -> Value {
        let r = client
            .post(format!("{url}/v1/networks"))
            .bearer_auth(token)
            .json(&minimal_network(&format!("Crashnetwerk {i}")))
            .send()
            .await
            .expect("create");
        assert_eq!(r.status(), 201);
        let mut n: Value = r.json().await.expect("json");
        for to in ["submitted", "published"] {
            let r = client
                .post(format!(
                    "{url}/v1/networks/{}/transitions",
                    n["id"].as_str().expect("id")
                ))
                .bearer_auth(token)
                .header("If-Match", format!("\"v{}\"", n["version"]))
                .json(&json!({"to": to}))
                .send()
                .await
                .expect("transition");
            assert_eq!(r.status(), 200);
            n = r.json().await.expect("json");
        }
        n
    }

    /// Changes `networks` in turn (every fifth change to what coverage counts) until `done`
    /// reaches CHANGES. A failed request (the server died under it) is counted; the network
    /// is read again, from the URL of the server then running, before the next try.
    async fn write(
        client: reqwest::Client,
        url: watch::Receiver<String>,
        token: String,
        mut networks: Vec<Value>,
        done: Arc<AtomicUsize>,
        failed: Arc<AtomicUsize>,
    ) -> Vec<Value> {
        let mut turn = 0;
        while done.load(Ordering::SeqCst) < CHANGES {
            let i = turn % networks.len();
            let base = url.borrow().clone();
            let path = format!(
                "{base}/v1/networks/{}",
                networks[i]["id"].as_str().expect("id")
            );
            let body = if turn % 5 == 4 {
                json!({"lifecycle": if turn % 10 == 4 { "in_formation" } else { "active" }})
            } else {
                json!({"description": {"nl": format!("Wijziging {turn}")}})
            };
            let answer = client
                .patch(&path)
                .bearer_auth(&token)
                .header("If-Match", format!("\"v{}\"", networks[i]["version"]))
                .json(&body)
                .send()
                .await;
            match answer {
                Ok(r) if r.status() == 200 => {
                    networks[i] = r.json().await.expect("json");
                    done.fetch_add(1, Ordering::SeqCst);
                    turn += 1;
                }
                _ => {
                    failed.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    let base = url.borrow().clone();
                    let path = path.replacen(&path[..path.find("/v1/").unwrap_or(0)], &base, 1);
                    if let Ok(r) = client.get(&path).bearer_auth(&token).send().await
                        && r.status() == 200
                    {
                        networks[i] = r.json().await.expect("json");
                    }
                }
            }
        }
        // The last version of each, read back.
        let base = url.borrow().clone();
        let mut last = Vec::new();
        for n in networks {
            let r = client
                .get(format!(
                    "{base}/v1/networks/{}",
                    n["id"].as_str().expect("id")
                ))
                .bearer_auth(&token)
                .send()
                .await
                .expect("get");
            last.push(r.json().await.expect("json"));
        }
        last
    }
}
