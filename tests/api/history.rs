//! History for editors, and the public change feed.

use onconet_test_support::fixtures::{
    PRIVATE_CONTACT_EMAIL, PRIVATE_CONTACT_NAME, PRIVATE_CONTACT_PHONE, PRIVATE_SENTINEL,
    full_network,
};
use onconet_test_support::spawn_app;
use serde_json::{Value, json};

/// The non-public contact of `full_network()`.
const PRIVATE: [&str; 3] = [
    PRIVATE_CONTACT_NAME,
    PRIVATE_CONTACT_EMAIL,
    PRIVATE_CONTACT_PHONE,
];

#[tokio::test(flavor = "multi_thread")]
async fn a_full_story_through_history_and_the_feed() {
    let app = spawn_app().await;
    // An adviser of ROS Noord creates and submits; IKNL publishes; the adviser edits. (IKNL
    // attests the quality criteria, so the adviser leaves them out.)
    let mut body = full_network();
    body.as_object_mut().map(|b| b.remove("quality"));
    let created = app
        .client
        .post(app.url("/v1/networks"))
        .bearer_auth(&app.adviser_token)
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(created.status(), 201);
    let n: Value = created.json().await.expect("json");
    let id = n["id"].as_str().expect("id").to_owned();
    let path = app.url(&format!("/v1/networks/{id}"));
    let step = |token: &str, to: &str, version: i64| {
        app.client
            .post(format!("{path}/transitions"))
            .bearer_auth(token)
            .header("If-Match", format!("\"v{version}\""))
            .json(&json!({"to": to}))
            .send()
    };
    assert_eq!(
        step(&app.adviser_token, "submitted", 1)
            .await
            .expect("submit")
            .status(),
        200
    );
    assert_eq!(
        step(&app.staff_token, "published", 2)
            .await
            .expect("publish")
            .status(),
        200
    );
    let edit = app
        .client
        .patch(&path)
        .bearer_auth(&app.adviser_token)
        .header("If-Match", "\"v3\"")
        .json(&json!({"name": "Nieuwe naam"}))
        .send()
        .await
        .expect("patch");
    // Published: the adviser's change is a proposal until IKNL accepts it.
    assert_eq!(edit.status(), 202);
    let proposal: Value = edit.json().await.expect("json");
    let accept = app
        .client
        .post(app.url(&format!(
            "{}/transitions",
            proposal["href"].as_str().expect("href")
        )))
        .bearer_auth(&app.staff_token)
        .header("If-Match", "\"v1\"")
        .json(&json!({"to": "accepted"}))
        .send()
        .await
        .expect("accept");
    assert_eq!(accept.status(), 200);
    // Another ROS may not touch it.
    let other = app
        .client
        .patch(&path)
        .bearer_auth(&app.other_adviser_token)
        .header("If-Match", "\"v4\"")
        .json(&json!({"name": "Kaping"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(other.status(), 403);

    let history: Value = app
        .get(&format!("/v1/networks/{id}/history"))
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .expect("history")
        .json()
        .await
        .expect("json");
    let items = history["items"].as_array().expect("items");
    let steps: Vec<(&str, &str, &str)> = items
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap_or(""),
                r["state"].as_str().unwrap_or(""),
                r["actor"]["sub"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("created", "draft", "adviser-noord"),
            ("transition", "submitted", "adviser-noord"),
            ("transition", "published", "staff-1"),
            ("updated", "published", "staff-1")
        ]
    );
    let rename = &items[3]["changes"][0];
    assert_eq!(
        rename,
        &json!({"field": "name", "old": "Oncologienetwerk Groningen-Stad", "new": "Nieuwe naam"})
    );
    assert!(items.iter().all(|r| r["request_id"].is_string()));
    assert_eq!(
        app.get(&format!("/v1/networks/{id}/history"))
            .send()
            .await
            .expect("h")
            .status(),
        401
    );
    assert_eq!(
        app.get(&format!("/v1/networks/{id}/history"))
            .bearer_auth(&app.other_adviser_token)
            .send()
            .await
            .expect("h")
            .status(),
        403
    );

    // The feed carries the current public profile, never a private contact.
    let text = app
        .get("/v1/changes")
        .send()
        .await
        .expect("feed")
        .text()
        .await
        .expect("text");
    assert!(
        PRIVATE.iter().all(|p| !text.contains(p)),
        "no private contact in the feed"
    );
    assert!(
        text.contains("coordinator@example.nl"),
        "public contacts are there"
    );
    assert!(text.contains("Nieuwe naam") && !text.contains("Groningen-Stad\""));

    // Published, then updated; after archiving, unpublished, and no entry carries the profile.
    let archive = step(&app.staff_token, "archived", 4)
        .await
        .expect("archive");
    assert_eq!(archive.status(), 200);
    let feed: Value = app
        .get("/v1/changes")
        .send()
        .await
        .expect("feed")
        .json()
        .await
        .expect("json");
    let kinds: Vec<&str> = feed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|c| c["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["published", "updated", "unpublished"]);
    assert!(
        feed["items"]
            .as_array()
            .is_some_and(|i| i.iter().all(|c| c["network"].is_null())),
        "{feed}"
    );
    let next = feed["next"].as_i64().expect("next");
    let rest: Value = app
        .get(&format!("/v1/changes?since={next}"))
        .send()
        .await
        .expect("feed")
        .json()
        .await
        .expect("json");
    assert_eq!(rest["items"], json!([]));
    assert_eq!(rest["next"], next);
    for (q, p) in [
        ("since=-1", "since"),
        ("since=x", "since"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
    ] {
        let r = app
            .get(&format!("/v1/changes?{q}"))
            .send()
            .await
            .expect("feed");
        assert_eq!(r.status(), 400, "{q}");
        let body: Value = r.json().await.expect("json");
        assert!(body["errors"][0]["parameter"] == p, "{q}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_erases_a_contact_also_from_history() {
    let app = spawn_app().await;
    let n = app.create_published(&full_network()).await;
    let id = n["id"].as_str().expect("id").to_owned();
    // A later edit carries the private contact's data into another revision's changes.
    let r = app
        .client
        .patch(app.url(&format!("/v1/networks/{id}")))
        .bearer_auth(&app.staff_token)
        .header("If-Match", format!("\"v{}\"", n["version"]))
        .json(&json!({"description": {"nl": format!("Voorzitter is {PRIVATE_CONTACT_NAME}.")}}))
        .send()
        .await
        .expect("patch");
    let version = r.json::<Value>().await.expect("json")["version"]
        .as_i64()
        .expect("version");
    let erase = |token: &str, index: usize, v: i64| {
        app.client
            .post(app.url(&format!("/v1/networks/{id}/contacts/{index}/erasure")))
            .bearer_auth(token)
            .header("If-Match", format!("\"v{v}\""))
            .send()
    };
    assert_eq!(
        erase(&app.staff_token, 1, version)
            .await
            .expect("erase")
            .status(),
        403,
        "admins only"
    );
    assert_eq!(
        erase(&app.admin_token, 7, version)
            .await
            .expect("erase")
            .status(),
        404
    );
    assert_eq!(
        erase(&app.admin_token, 1, version - 1)
            .await
            .expect("erase")
            .status(),
        412
    );
    let done = erase(&app.admin_token, 1, version).await.expect("erase");
    assert_eq!(done.status(), 200);
    let after: Value = done.json().await.expect("json");
    assert_eq!(after["contacts"].as_array().map(Vec::len), Some(1));

    let history: Value = app
        .get(&format!("/v1/networks/{id}/history"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .expect("h")
        .json()
        .await
        .expect("json");
    let text = history.to_string();
    for secret in PRIVATE {
        assert!(!text.contains(secret), "{secret} is still in the history");
    }
    assert!(text.contains("[erased]"), "a tombstone remains");
    assert_eq!(
        history["items"]
            .as_array()
            .and_then(|i| i.last())
            .map(|r| r["action"].clone()),
        Some(json!("erased"))
    );
    let feed = app
        .get("/v1/changes")
        .send()
        .await
        .expect("feed")
        .text()
        .await
        .expect("text");
    assert!(!feed.contains(PRIVATE_SENTINEL));
}

/// Non-public contact data never appears in anything the public can fetch.
#[tokio::test(flavor = "multi_thread")]
async fn no_public_response_carries_private_contacts() {
    let app = spawn_app().await;
    let n = app.create_published(&full_network()).await;
    let id = n["id"].as_str().expect("id");
    let private = PRIVATE;
    let public_paths = [
        "/v1/networks".to_owned(),
        "/v1/networks?q=Groningen".to_owned(),
        format!("/v1/networks/{id}"),
        "/v1/search?postcode=9711".to_owned(),
        "/v1/search?postcode=9711&format=geojson".to_owned(),
        "/v1/search?municipality=GM0014&radius_km=100".to_owned(),
        "/v1/here?postcode=9711".to_owned(),
        "/v1/changes".to_owned(),
    ];
    let mut scanned = 0;
    for path in &public_paths {
        for accept in ["application/json", "application/geo+json"] {
            let r = app
                .get(path)
                .header("Accept", accept)
                .send()
                .await
                .expect("get");
            assert_eq!(r.status(), 200, "{path}");
            let text = r.text().await.expect("text");
            for secret in private {
                assert!(!text.contains(secret), "{path} ({accept}) shows {secret}");
            }
            assert!(
                text.contains("coordinator@example.nl") || path.contains("q="),
                "{path}: the public contact is there"
            );
            scanned += 1;
        }
    }
    assert_eq!(scanned, 16);
    // The editor sees both.
    let staff = app
        .get(&format!("/v1/networks/{id}"))
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    assert!(private.iter().all(|s| staff.contains(s)));
}

/// A contact withdrawn from the public leaves the change feed at once, also from the entries
/// made while it was public (a syncing site gets the profile as it is now).
#[tokio::test(flavor = "multi_thread")]
async fn a_withdrawn_contact_leaves_the_feed() {
    let app = spawn_app().await;
    let n = app.create_published(&full_network()).await;
    let id = n["id"].as_str().expect("id");
    let feed = || async {
        app.get("/v1/changes")
            .send()
            .await
            .expect("feed")
            .text()
            .await
            .expect("text")
    };
    assert!(feed().await.contains("coordinator@example.nl"));
    let mut contacts = n["contacts"].clone();
    contacts[0]["public"] = json!(false);
    let r = app
        .client
        .patch(app.url(&format!("/v1/networks/{id}")))
        .bearer_auth(&app.staff_token)
        .header("If-Match", format!("\"v{}\"", n["version"]))
        .json(&json!({"contacts": contacts}))
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), 200);
    let text = feed().await;
    assert!(!text.contains("coordinator@example.nl"), "{text}");
    assert!(!text.contains("Anna de Vries"), "{text}");
}

/// Erasing one contact leaves the others whole: a shared address stays theirs, a name that
/// contains the erased one is not touched, and the network can be edited afterwards.
#[tokio::test(flavor = "multi_thread")]
async fn erasing_a_contact_leaves_the_others_whole() {
    let app = spawn_app().await;
    let mut body = full_network();
    body["contacts"] = json!([
        {"role": "coordinator", "name": "Anna de Vries", "email": "info@netwerk.nl", "phone": "+31 50 123 4567", "public": true},
        {"role": "chair", "name": "Anna", "email": "info@netwerk.nl", "phone": null, "public": false}
    ]);
    let n = app.create_published(&body).await;
    let id = n["id"].as_str().expect("id");
    let erased = app
        .client
        .post(app.url(&format!("/v1/networks/{id}/contacts/1/erasure")))
        .bearer_auth(&app.admin_token)
        .header("If-Match", format!("\"v{}\"", n["version"]))
        .send()
        .await
        .expect("erase");
    assert_eq!(erased.status(), 200);
    let after: Value = erased.json().await.expect("json");
    assert_eq!(
        after["contacts"],
        json!([{"role": "coordinator", "name": "Anna de Vries", "email": "info@netwerk.nl", "phone": "+31 50 123 4567", "public": true}])
    );
    let r = app
        .client
        .patch(app.url(&format!("/v1/networks/{id}")))
        .bearer_auth(&app.staff_token)
        .header("If-Match", format!("\"v{}\"", after["version"]))
        .json(&json!({"website": "https://netwerk.nl"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
}
