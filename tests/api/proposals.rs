//! Proposed changes (issue 19, items 1 and 2): an adviser's change to a published network, and
//! their "still correct", wait for IKNL; the published profile, search and the change feed
//! see accepted revisions only.

use onconet_domain::Role;
use onconet_domain::proposal::AtOnceField;
use onconet_test_support::fixtures::full_network;
use onconet_test_support::{TestApp, spawn_app, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};

/// `method path` with `token`, `If-Match: "v<version>"` and a JSON body, when given.
async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    version: Option<i64>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app.client.request(method, app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(v) = version {
        request = request.header("If-Match", format!("\"v{v}\""));
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let r = request.send().await.expect("request");
    let status = r.status().as_u16();
    if status >= 400 {
        let ct = r.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            ct.starts_with("application/problem+json"),
            "{path}: {status} {ct}"
        );
    }
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A published network of ROS Noord; returns its JSON.
async fn published(app: &TestApp) -> Value {
    app.create_published(&full_network()).await
}

fn version(v: &Value) -> i64 {
    v["version"].as_i64().expect("version")
}

async fn network(app: &TestApp, id: &str, token: Option<&str>) -> Value {
    call(
        app,
        Method::GET,
        &format!("/v1/networks/{id}"),
        token,
        None,
        None,
    )
    .await
    .1
}

async fn decide(
    app: &TestApp,
    token: &str,
    proposal: &Value,
    version: Option<i64>,
    body: Value,
) -> (u16, Value) {
    call(
        app,
        Method::POST,
        &format!("{}/transitions", proposal["href"].as_str().expect("href")),
        Some(token),
        version,
        Some(body),
    )
    .await
}

async fn feed_len(app: &TestApp) -> usize {
    let (_, feed) = call(
        app,
        Method::GET,
        "/v1/changes?since=0&limit=500",
        None,
        None,
        None,
    )
    .await;
    feed["items"].as_array().map_or(0, Vec::len)
}

fn fields(proposal: &Value) -> Vec<String> {
    proposal["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| c["field"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_advisers_change_waits_for_review_and_is_applied_when_accepted() {
    let app = spawn_app().await;
    let n = published(&app).await;
    let id = n["id"].as_str().expect("id").to_owned();
    let v = version(&n);
    let path = format!("/v1/networks/{id}");
    let feed_before = feed_len(&app).await;
    let adviser = app.adviser_token.as_str();

    // Proposed, not applied.
    let r = app
        .client
        .patch(app.url(&path))
        .bearer_auth(adviser)
        .header("If-Match", format!("\"v{v}\""))
        .json(&json!({"name": "Oncologienetwerk Groningen", "disciplines": ["physiotherapy", "dietetics", "psychology", "occupational_therapy", "skin_therapy", "speech_therapy"]}))
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), 202);
    assert_eq!(r.headers()["etag"], "\"v1\"");
    let location = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let proposal: Value = r.json().await.expect("json");
    assert_eq!(location, proposal["href"]);
    assert_eq!(proposal["state"], "pending");
    assert_eq!(proposal["kind"], "change");
    assert_eq!(proposal["base_version"], v);
    assert_eq!(proposal["proposed_by"]["sub"], "adviser-noord");
    assert_eq!(fields(&proposal), ["disciplines", "name"]);
    assert_eq!(proposal["proposed"]["name"], "Oncologienetwerk Groningen");
    let public = network(&app, &id, None).await;
    assert_eq!(
        public["name"], n["name"],
        "the published profile stays as it is"
    );
    assert_eq!(version(&public), v);
    assert_eq!(
        feed_len(&app).await,
        feed_before,
        "the feed sees no proposal"
    );
    let (_, found) = call(
        &app,
        Method::GET,
        "/v1/search?municipality=GM0014&q=Groningen-Stad",
        None,
        None,
        None,
    )
    .await;
    assert_eq!(
        found["items"].as_array().map(Vec::len),
        Some(1),
        "search keeps the published name"
    );

    // The adviser amends it: the patch applies to the proposed profile.
    let (status, amended) = call(
        &app,
        Method::PATCH,
        &path,
        Some(adviser),
        Some(v),
        Some(json!({"website": "https://www.example.nl/onco-groningen-nieuw"})),
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(amended["id"], proposal["id"]);
    assert_eq!(amended["version"], 2);
    assert_eq!(fields(&amended), ["disciplines", "name", "website"]);

    // A colleague of the same ROS cannot make another; an invalid amendment is a 422 and
    // leaves the proposal as it was.
    let colleague = app.token(&[Role::RosAdviser], Some("ros-noord"), "colleague-noord");
    let (status, problem) = call(
        &app,
        Method::PATCH,
        &path,
        Some(&colleague),
        Some(v),
        Some(json!({"name": "Anders"})),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(problem["proposal_id"], proposal["id"], "{problem}");
    let (status, problem) = call(
        &app,
        Method::POST,
        &format!("{path}/verify"),
        Some(&colleague),
        Some(v),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(problem["proposal_id"], proposal["id"]);
    let (status, problem) = call(
        &app,
        Method::PATCH,
        &path,
        Some(adviser),
        Some(v),
        Some(json!({"disciplines": ["astrology"]})),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        problem["errors"][0]["pointer"], "/disciplines/0",
        "{problem}"
    );

    // Only staff accept, on the version they saw.
    let (status, _) = decide(&app, adviser, &amended, Some(2), json!({"to": "accepted"})).await;
    assert_eq!(status, 403);
    let (status, _) = decide(
        &app,
        &app.staff_token,
        &amended,
        None,
        json!({"to": "accepted"}),
    )
    .await;
    assert_eq!(status, 428);
    let (status, _) = decide(
        &app,
        &app.staff_token,
        &amended,
        Some(1),
        json!({"to": "accepted"}),
    )
    .await;
    assert_eq!(status, 412);
    let (status, _) = decide(
        &app,
        &app.staff_token,
        &amended,
        Some(2),
        json!({"to": "pending"}),
    )
    .await;
    assert_eq!(status, 422);
    let (status, accepted) = decide(
        &app,
        &app.staff_token,
        &amended,
        Some(2),
        json!({"to": "accepted", "reason": "Checked with the ROS"}),
    )
    .await;
    assert_eq!(status, 200, "{accepted}");
    assert_eq!(accepted["state"], "accepted");
    assert_eq!(accepted["decided_by"]["sub"], "staff-1");
    assert_eq!(accepted["applied_version"], v + 1);
    let now = network(&app, &id, None).await;
    assert_eq!(now["name"], "Oncologienetwerk Groningen");
    assert_eq!(
        now["website"],
        "https://www.example.nl/onco-groningen-nieuw"
    );
    assert_eq!(now["state"], "published");
    assert_eq!(version(&now), v + 1);
    assert_eq!(
        feed_len(&app).await,
        feed_before + 1,
        "the feed sees the accepted revision"
    );
    let (_, found) = call(
        &app,
        Method::GET,
        "/v1/search?municipality=GM0014&q=Groningen-Stad",
        None,
        None,
        None,
    )
    .await;
    assert_eq!(
        found["items"].as_array().map(Vec::len),
        Some(0),
        "search follows the accepted name"
    );

    // The history keeps the proposal and who accepted it.
    let (_, history) = call(
        &app,
        Method::GET,
        &format!("{path}/history"),
        Some(adviser),
        None,
        None,
    )
    .await;
    let last = history["items"]
        .as_array()
        .and_then(|i| i.last())
        .expect("revision");
    assert_eq!(last["actor"]["sub"], "staff-1");
    let entry = last["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["field"] == "proposal")
        .expect("proposal entry");
    assert_eq!(entry["new"]["id"], proposal["id"]);
    assert_eq!(entry["new"]["proposed_by"]["sub"], "adviser-noord");
    let (_, all) = call(
        &app,
        Method::GET,
        &format!("{path}/proposals"),
        Some(adviser),
        None,
        None,
    )
    .await;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(all["items"][0]["state"], "accepted");

    // Decided is decided.
    let (status, _) = decide(
        &app,
        &app.staff_token,
        &accepted,
        Some(3),
        json!({"to": "rejected", "reason": "x"}),
    )
    .await;
    assert_eq!(status, 409);
    // Now that nothing is pending, the colleague may propose.
    let (status, _) = call(
        &app,
        Method::PATCH,
        &path,
        Some(&colleague),
        Some(v + 1),
        Some(json!({"name": "Anders"})),
    )
    .await;
    assert_eq!(status, 202);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_proposal_on_an_old_version_is_never_applied_over_newer_changes() {
    let app = spawn_app().await;
    let n = published(&app).await;
    let id = n["id"].as_str().expect("id").to_owned();
    let v = version(&n);
    let path = format!("/v1/networks/{id}");
    let adviser = app.adviser_token.as_str();
    let (status, proposal) = call(
        &app,
        Method::PATCH,
        &path,
        Some(adviser),
        Some(v),
        Some(json!({"name": "Voorstel"})),
    )
    .await;
    assert_eq!(status, 202);

    // Staff change the network meanwhile (at once).
    let (status, changed) = call(
        &app,
        Method::PATCH,
        &path,
        Some(&app.staff_token),
        Some(v),
        Some(json!({"description": {"nl": "Door IKNL bijgewerkt"}})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(version(&changed), v + 1);

    // Accepting would undo that: 409, and nothing changes.
    let before = app.db_fingerprint().await;
    let (status, problem) = decide(
        &app,
        &app.staff_token,
        &proposal,
        Some(1),
        json!({"to": "accepted"}),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(problem["proposal_id"], proposal["id"]);
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(&format!("version {v}")) && detail.contains(&format!("version {}", v + 1)),
        "{detail}"
    );
    assert_eq!(
        app.db_fingerprint().await,
        before,
        "nothing lost, nothing written"
    );

    // The author cannot amend it either, but may withdraw it and propose again.
    let (status, problem) = call(
        &app,
        Method::PATCH,
        &path,
        Some(adviser),
        Some(v + 1),
        Some(json!({"name": "Voorstel 2"})),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(problem["proposal_id"], proposal["id"]);
    let (status, _) = decide(
        &app,
        &app.staff_token,
        &proposal,
        Some(1),
        json!({"to": "withdrawn"}),
    )
    .await;
    assert_eq!(status, 403, "staff reject; they do not withdraw");
    let (status, withdrawn) = decide(
        &app,
        adviser,
        &proposal,
        Some(1),
        json!({"to": "withdrawn"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(withdrawn["state"], "withdrawn");
    let (status, again) = call(
        &app,
        Method::PATCH,
        &path,
        Some(adviser),
        Some(v + 1),
        Some(json!({"name": "Voorstel 2"})),
    )
    .await;
    assert_eq!(status, 202);
    assert_ne!(again["id"], proposal["id"]);
    assert_eq!(again["base_version"], v + 1);

    // Rejecting needs a reason, which the author then reads.
    let (status, problem) = decide(
        &app,
        &app.staff_token,
        &again,
        Some(1),
        json!({"to": "rejected"}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["pointer"], "/reason");
    let (status, problem) = decide(
        &app,
        &app.staff_token,
        &again,
        Some(1),
        json!({"to": "rejected", "reason": "a\u{0}b"}),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    let (status, rejected) = decide(
        &app,
        &app.staff_token,
        &again,
        Some(1),
        json!({"to": "rejected", "reason": "De naam staat in de statuten anders."}),
    )
    .await;
    assert_eq!(status, 200);
    let (_, seen) = call(
        &app,
        Method::GET,
        again["href"].as_str().expect("href"),
        Some(adviser),
        None,
        None,
    )
    .await;
    assert_eq!(seen["state"], "rejected");
    assert_eq!(seen["reason"], "De naam staat in de statuten anders.");
    assert_eq!(seen["version"], rejected["version"]);
    assert_eq!(network(&app, &id, None).await["name"], n["name"]);

    // Undoing every proposed change withdraws the proposal by itself.
    let (status, p) = call(
        &app,
        Method::PATCH,
        &path,
        Some(adviser),
        Some(v + 1),
        Some(json!({"name": "Tijdelijk"})),
    )
    .await;
    assert_eq!(status, 202);
    let (status, same) = call(
        &app,
        Method::PATCH,
        &path,
        Some(adviser),
        Some(v + 1),
        Some(json!({"name": n["name"]})),
    )
    .await;
    assert_eq!(status, 200, "{same}");
    assert_eq!(version(&same), v + 1);
    let (_, seen) = call(
        &app,
        Method::GET,
        p["href"].as_str().expect("href"),
        Some(adviser),
        None,
        None,
    )
    .await;
    assert_eq!(seen["state"], "withdrawn");

    // Unknown and malformed proposal ids.
    let (status, _) = call(
        &app,
        Method::GET,
        &format!("{path}/proposals/00000000-0000-4000-8000-000000000000"),
        Some(adviser),
        None,
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = call(
        &app,
        Method::GET,
        &format!("{path}/proposals/nope"),
        Some(adviser),
        None,
        None,
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_advisers_still_correct_is_confirmed_by_staff_without_unpublishing() {
    let app = spawn_app().await;
    let n = published(&app).await;
    let id = n["id"].as_str().expect("id").to_owned();
    app.age_verification(&id, 13).await;
    let v = version(&n);
    let path = format!("/v1/networks/{id}");
    let adviser = app.adviser_token.as_str();
    let (status, proposal) = call(
        &app,
        Method::POST,
        &format!("{path}/verify"),
        Some(adviser),
        Some(v),
        Some(json!({"note": "Gebeld met de coördinator"})),
    )
    .await;
    assert_eq!(status, 202, "{proposal}");
    assert_eq!(proposal["kind"], "verification");
    assert_eq!(proposal["note"], "Gebeld met de coördinator");
    assert!(proposal["proposed"].is_null());
    let still = network(&app, &id, Some(adviser)).await;
    assert_eq!(still["state"], "published");
    assert_eq!(
        still["verification_overdue"], true,
        "not verified until staff confirm"
    );
    // Saying it again updates the note; a change proposal meanwhile is refused.
    let (status, again) = call(
        &app,
        Method::POST,
        &format!("{path}/verify"),
        Some(adviser),
        Some(v),
        Some(json!({"note": "Gebeld en gemaild"})),
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(again["id"], proposal["id"]);
    assert_eq!(again["version"], 2);
    let (status, problem) = call(
        &app,
        Method::PATCH,
        &path,
        Some(adviser),
        Some(v),
        Some(json!({"name": "X"})),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(problem["proposal_id"], proposal["id"]);

    let (status, accepted) = decide(
        &app,
        &app.staff_token,
        &again,
        Some(2),
        json!({"to": "accepted"}),
    )
    .await;
    assert_eq!(status, 200, "{accepted}");
    let now = network(&app, &id, Some(adviser)).await;
    assert_eq!(now["state"], "published");
    assert_eq!(now["verification_overdue"], false);
    assert_eq!(version(&now), v + 1);
    let (_, history) = call(
        &app,
        Method::GET,
        &format!("{path}/history"),
        Some(adviser),
        None,
        None,
    )
    .await;
    let last = history["items"]
        .as_array()
        .and_then(|i| i.last())
        .expect("revision");
    assert_eq!(last["action"], "verified");
    assert_eq!(last["state"], "published");
    assert_eq!(last["actor"]["sub"], "staff-1");
    let changes = last["changes"].as_array().expect("changes");
    assert!(
        changes
            .iter()
            .any(|c| c["field"] == "reason" && c["new"] == "Gebeld en gemaild"),
        "{last}"
    );
    assert!(
        changes
            .iter()
            .any(|c| c["field"] == "proposal" && c["new"]["proposed_by"]["sub"] == "adviser-noord"),
        "{last}"
    );

    // Staff verify at once.
    let (status, verified) = call(
        &app,
        Method::POST,
        &format!("{path}/verify"),
        Some(&app.staff_token),
        Some(v + 1),
        Some(json!({"note": "Jaarlijkse controle"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(verified["state"], "published");
    assert_eq!(version(&verified), v + 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn configured_fields_apply_at_once_and_nothing_else_does() {
    let app = spawn_app_with(|s| {
        s.apply_at_once = vec![AtOnceField::Website, AtOnceField::ContactDetails];
    })
    .await;
    let n = published(&app).await;
    let id = n["id"].as_str().expect("id").to_owned();
    let path = format!("/v1/networks/{id}");
    let adviser = app.adviser_token.as_str();
    let mut v = version(&n);
    let (status, changed) = call(
        &app,
        Method::PATCH,
        &path,
        Some(adviser),
        Some(v),
        Some(json!({"website": "https://nieuw.example.nl"})),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["website"], "https://nieuw.example.nl/");
    v += 1;
    let mut contacts = changed["contacts"].clone();
    contacts[0]["phone"] = json!("+31 50 765 4321");
    contacts[0]["email"] = json!("nieuw@example.nl");
    let (status, changed) = call(
        &app,
        Method::PATCH,
        &path,
        Some(adviser),
        Some(v),
        Some(json!({"contacts": contacts})),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["contacts"][0]["phone"], "+31 50 765 4321");
    v += 1;
    // Another person, or any other field, is reviewed.
    let mut renamed = changed["contacts"].clone();
    renamed[0]["name"] = json!("Iemand Anders");
    let (status, _) = call(
        &app,
        Method::PATCH,
        &path,
        Some(adviser),
        Some(v),
        Some(json!({"contacts": renamed})),
    )
    .await;
    assert_eq!(status, 202);
    let (_, p) = call(
        &app,
        Method::GET,
        &format!("{path}/proposals"),
        Some(adviser),
        None,
        None,
    )
    .await;
    let pending = &p["items"][0];
    let (status, _) = decide(&app, adviser, pending, Some(1), json!({"to": "withdrawn"})).await;
    assert_eq!(status, 200);
    let (status, _) = call(
        &app,
        Method::PATCH,
        &path,
        Some(adviser),
        Some(v),
        Some(json!({"website": "https://nog-nieuwer.example.nl", "name": "Ander"})),
    )
    .await;
    assert_eq!(status, 202, "a mixed change is reviewed whole");

    // Without the setting (the default), even the website waits.
    let plain = spawn_app().await;
    let n = published(&plain).await;
    let (status, _) = call(
        &plain,
        Method::PATCH,
        &format!("/v1/networks/{}", n["id"].as_str().expect("id")),
        Some(&plain.adviser_token),
        Some(version(&n)),
        Some(json!({"website": "https://nieuw.example.nl"})),
    )
    .await;
    assert_eq!(status, 202);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_review_queue_lists_pending_proposals_by_who_may_see_them() {
    let app = spawn_app().await;
    let noord = published(&app).await;
    let mut zuid_body = full_network();
    zuid_body["ros_org"] = json!("ros-zuid");
    zuid_body["name"] = json!("Netwerk Zuid");
    let zuid = app.create_published(&zuid_body).await;
    for (n, token) in [
        (&noord, &app.adviser_token),
        (&zuid, &app.other_adviser_token),
    ] {
        let (status, _) = call(
            &app,
            Method::PATCH,
            &format!("/v1/networks/{}", n["id"].as_str().expect("id")),
            Some(token),
            Some(version(n)),
            Some(json!({"lifecycle": "inactive"})),
        )
        .await;
        assert_eq!(status, 202);
    }
    let names = async |token: Option<&str>, query: &str| -> (u16, Vec<String>) {
        let (status, body) = call(
            &app,
            Method::GET,
            &format!("/v1/proposals{query}"),
            token,
            None,
            None,
        )
        .await;
        let names = body["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|p| p["network_name"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        (status, names)
    };
    assert_eq!(
        names(Some(&app.staff_token), "").await,
        (
            200,
            vec![
                "Oncologienetwerk Groningen-Stad".to_owned(),
                "Netwerk Zuid".to_owned()
            ]
        )
    );
    assert_eq!(
        names(Some(&app.admin_token), "?per_page=1&page=2").await,
        (200, vec!["Netwerk Zuid".to_owned()])
    );
    assert_eq!(
        names(Some(&app.adviser_token), "").await,
        (200, vec!["Oncologienetwerk Groningen-Stad".to_owned()])
    );
    assert_eq!(
        names(Some(&app.other_adviser_token), "").await,
        (200, vec!["Netwerk Zuid".to_owned()])
    );
    assert_eq!(names(None, "").await.0, 401);
    assert_eq!(
        names(Some(&app.token(&[], Some("ros-noord"), "nobody")), "")
            .await
            .0,
        403
    );
    assert_eq!(
        names(Some(&app.token(&[Role::RosAdviser], None, "orgless")), "")
            .await
            .0,
        403
    );
    assert_eq!(names(Some(&app.staff_token), "?per_page=0").await.0, 400);
    assert_eq!(names(Some(&app.staff_token), "?state=pending").await.0, 400);
    // Another ROS's proposals are not theirs to read.
    let (status, _) = call(
        &app,
        Method::GET,
        &format!(
            "/v1/networks/{}/proposals",
            zuid["id"].as_str().expect("id")
        ),
        Some(&app.adviser_token),
        None,
        None,
    )
    .await;
    assert_eq!(status, 403);
}
