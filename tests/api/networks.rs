//! Create, read, list, filter, paginate, merge-patch and publish networks.

use onconet_test_support::fixtures::{
    PRIVATE_CONTACT_EMAIL, PRIVATE_CONTACT_NAME, PRIVATE_CONTACT_PHONE, PRIVATE_SENTINEL,
    full_network, minimal_network,
};
use onconet_test_support::spawn_app;
use serde_json::{Value, json};

fn etag_of(r: &reqwest::Response) -> String {
    r.headers()["etag"].to_str().expect("etag").to_owned()
}

/// The names of a list answer's items, in order.
fn names(v: Value) -> Vec<String> {
    v["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|n| n["name"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn full_profile_round_trip() {
    let app = spawn_app().await;
    let body = full_network();
    let created = app.create_network(&body).await;
    if created.status() != 201 {
        panic!(
            "create failed: {}",
            created.text().await.unwrap_or_default()
        );
    }
    let location = created.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let etag = etag_of(&created);
    assert_eq!(etag, "\"v1\"");
    let created: Value = created.json().await.expect("json");
    assert_eq!(
        location,
        format!("/v1/networks/{}", created["id"].as_str().expect("id"))
    );
    assert_eq!(created["state"], "draft");
    assert_eq!(created["version"], 1);

    // Staff read back exactly what was sent, every field.
    let read = app
        .get(&location)
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .expect("get");
    assert_eq!(read.status(), 200);
    assert_eq!(etag_of(&read), etag);
    let read: Value = read.json().await.expect("json");
    for (key, sent) in body.as_object().expect("object") {
        let mut sent = sent.clone();
        if key == "disciplines" {
            // Code lists come back sorted.
            let mut codes: Vec<String> = serde_json::from_value(sent).expect("codes");
            codes.sort();
            sent = json!(codes);
        }
        if key == "financing" {
            // Each entry comes back with its link to the toolbox for its form.
            for entry in sent.as_array_mut().expect("financing") {
                let link = format!(
                    "/v1/toolbox?financing_form={}",
                    entry["form"].as_str().expect("form")
                );
                entry["toolbox"] = json!(link);
            }
        }
        assert_eq!(read[key], sent, "field {key}");
    }

    // A draft is invisible to the public; so is it in the list.
    let public = app.get(&location).send().await.expect("get");
    assert_eq!(public.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn public_sees_published_networks_without_private_contacts() {
    let app = spawn_app().await;
    let network = app.create_published(&full_network()).await;
    let id = network["id"].as_str().expect("id");
    assert_eq!(network["state"], "published");
    assert!(
        network["last_verified_at"].is_string(),
        "publication sets last_verified_at"
    );
    let public: Value = app
        .get(&format!("/v1/networks/{id}"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let contacts = public["contacts"].as_array().expect("contacts");
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0]["public"], true);
    let text = public.to_string();
    for private in [
        PRIVATE_CONTACT_NAME,
        PRIVATE_CONTACT_EMAIL,
        PRIVATE_CONTACT_PHONE,
    ] {
        assert!(!text.contains(private), "{private}");
    }
    let list: Value = app
        .get("/v1/networks")
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(list["page"]["total_items"], 1);
    assert!(!list.to_string().contains(PRIVATE_SENTINEL));
    // Staff still see everything.
    let staff: Value = app
        .get(&format!("/v1/networks/{id}"))
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(staff["contacts"].as_array().map(Vec::len), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn conditional_get_answers_304() {
    let app = spawn_app().await;
    let network = app.create_published(&minimal_network("Netwerk A")).await;
    let path = format!("/v1/networks/{}", network["id"].as_str().expect("id"));
    let first = app.get(&path).send().await.expect("get");
    let etag = etag_of(&first);
    let again = app
        .get(&path)
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("get");
    assert_eq!(again.status(), 304);
    assert!(
        first.headers()["vary"]
            .to_str()
            .is_ok_and(|v| v.split(',').any(|h| h.trim() == "Accept"))
    );
    // The GeoJSON Feature is another representation with a validator of its own: the JSON
    // profile's ETag does not confirm a cached Feature, the Feature's does.
    let feature = |tag: &str| {
        app.get(&path)
            .header("Accept", "application/geo+json")
            .header("If-None-Match", tag)
            .send()
    };
    let geo = feature(&etag).await.expect("get");
    assert_eq!(geo.status(), 200);
    let geo_etag = etag_of(&geo);
    assert_ne!(geo_etag, etag);
    assert_eq!(feature(&geo_etag).await.expect("get").status(), 304);
}

#[tokio::test(flavor = "multi_thread")]
async fn filters_and_pagination() {
    let app = spawn_app().await;
    let make = |name: &str,
                kind: &str,
                disciplines: Value,
                tumour: Value,
                lifecycle: &str,
                municipality: &str| {
        json!({"name": name, "type": kind, "scale": "regional", "lifecycle": lifecycle,
               "disciplines": disciplines, "tumour_types": tumour,
               "description": {"nl": format!("Beschrijving van {name}")},
               "service_area": {"municipalities": [municipality]}})
    };
    app.create_published(&make(
        "Alpha zorgnetwerk",
        "oncology_care_network",
        json!(["physiotherapy", "dietetics"]),
        json!([]),
        "active",
        "GM0014",
    ))
    .await;
    app.create_published(&make(
        "Beta zorgnetwerk",
        "oncology_care_network",
        json!(["physiotherapy"]),
        json!([]),
        "in_formation",
        "GM0363",
    ))
    .await;
    app.create_published(&make(
        "Gamma panel",
        "expert_panel",
        json!([]),
        json!(["lung", "breast"]),
        "active",
        "GM0363",
    ))
    .await;
    let draft = app
        .create_network(&make(
            "Delta concept",
            "oncology_care_network",
            json!(["physiotherapy", "dietetics"]),
            json!([]),
            "active",
            "GM0014",
        ))
        .await;
    assert_eq!(draft.status(), 201);

    let list = |q: &str| {
        let url = format!("/v1/networks{q}");
        let req = app.get(&url);
        async move {
            req.send()
                .await
                .expect("list")
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    assert_eq!(
        names(list("").await),
        ["Alpha zorgnetwerk", "Beta zorgnetwerk", "Gamma panel"]
    );
    assert_eq!(
        names(list("?discipline=physiotherapy,dietetics").await),
        ["Alpha zorgnetwerk"]
    );
    assert_eq!(
        names(list("?discipline=physiotherapy").await),
        ["Alpha zorgnetwerk", "Beta zorgnetwerk"]
    );
    assert_eq!(names(list("?type=expert_panel").await), ["Gamma panel"]);
    assert_eq!(
        names(list("?type=expert_panel,oncology_care_network&lifecycle=active").await),
        ["Alpha zorgnetwerk", "Gamma panel"]
    );
    assert_eq!(names(list("?tumour_type=breast").await), ["Gamma panel"]);
    assert_eq!(
        names(list("?tumour_type=breast,sarcoma").await),
        Vec::<String>::new()
    );
    assert_eq!(
        names(list("?q=ZORG").await),
        ["Alpha zorgnetwerk", "Beta zorgnetwerk"]
    );
    assert_eq!(
        names(list("?q=beschrijving%20van%20gamma").await),
        ["Gamma panel"]
    );
    assert_eq!(
        names(list("?q=%25").await),
        Vec::<String>::new(),
        "% is literal"
    );
    assert_eq!(
        names(list("?municipality=GM0363").await),
        ["Beta zorgnetwerk", "Gamma panel"]
    );
    assert_eq!(
        names(list("?modified_after=2999-01-01T00:00:00Z").await),
        Vec::<String>::new()
    );
    assert_eq!(
        names(list("?modified_after=2000-01-01T00:00:00%2B01:00").await).len(),
        3
    );

    // Staff may list drafts; the public may not.
    let staff: Value = app
        .get("/v1/networks?state=draft")
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(names(staff), ["Delta concept"]);
    for path in [
        "/v1/networks?state=draft",
        "/v1/networks?verification_overdue=true",
    ] {
        let anonymous = app.get(path).send().await.expect("list");
        assert_eq!(anonymous.status(), 401, "{path}: no token");
        assert!(anonymous.headers().contains_key("www-authenticate"));
        let adviser = app
            .get(path)
            .bearer_auth(app.token(&[onconet_domain::Role::RosAdviser], None, "zonder-ros"))
            .send()
            .await
            .expect("list");
        assert_eq!(adviser.status(), 403, "{path}: an adviser without a ROS");
    }

    // Pagination: envelope and Link header.
    let page = app
        .get("/v1/networks?per_page=2&page=2")
        .send()
        .await
        .expect("list");
    let link = page.headers()["link"].to_str().expect("link").to_owned();
    let page: Value = page.json().await.expect("json");
    assert_eq!(
        page["page"],
        json!({"page": 2, "per_page": 2, "total_items": 3, "total_pages": 2})
    );
    assert_eq!(names(page), ["Gamma panel"]);
    assert!(
        link.contains("</v1/networks?per_page=2&page=1>; rel=\"prev\""),
        "{link}"
    );
    assert!(
        link.contains("rel=\"first\"")
            && link.contains("rel=\"last\"")
            && !link.contains("rel=\"next\""),
        "{link}"
    );
    let beyond: Value = list("?page=9").await;
    assert_eq!(beyond["items"], json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn merge_patch_needs_the_current_etag() {
    let app = spawn_app().await;
    let created = app.create_network(&full_network()).await;
    let etag = etag_of(&created);
    let network: Value = created.json().await.expect("json");
    let path = app.url(&format!(
        "/v1/networks/{}",
        network["id"].as_str().expect("id")
    ));
    let patch = |if_match: Option<&str>, body: Value| {
        let mut req = app
            .client
            .patch(&path)
            .bearer_auth(&app.staff_token)
            .header("Content-Type", "application/merge-patch+json");
        if let Some(tag) = if_match {
            req = req.header("If-Match", tag);
        }
        req.body(body.to_string()).send()
    };
    let without = patch(None, json!({"name": "Nieuwe naam"}))
        .await
        .expect("patch");
    assert_eq!(without.status(), 428);
    assert_eq!(
        without.headers()["content-type"],
        "application/problem+json"
    );
    let stale = patch(Some("\"v0\""), json!({"name": "Nieuwe naam"}))
        .await
        .expect("patch");
    assert_eq!(stale.status(), 412);
    assert_eq!(etag_of(&stale), etag, "a 412 tells the current ETag");

    let ok = patch(Some(&etag), json!({"name": "Nieuwe naam", "website": null, "description": {"en": null}, "disciplines": ["dietetics", "physiotherapy", "psychology"]})).await.expect("patch");
    assert_eq!(ok.status(), 200);
    let new_etag = etag_of(&ok);
    assert_eq!(new_etag, "\"v2\"");
    let patched: Value = ok.json().await.expect("json");
    assert_eq!(patched["name"], "Nieuwe naam");
    assert_eq!(patched["website"], Value::Null);
    assert_eq!(
        patched["description"],
        json!({"nl": network["description"]["nl"], "en": null})
    );
    assert_eq!(
        patched["contacts"], network["contacts"],
        "untouched fields stay"
    );

    // The old ETag is now stale; a no-op patch keeps the version.
    assert_eq!(
        patch(Some(&etag), json!({"name": "x"}))
            .await
            .expect("patch")
            .status(),
        412
    );
    let same = patch(Some(&new_etag), json!({"name": "Nieuwe naam"}))
        .await
        .expect("patch");
    assert_eq!(same.status(), 200);
    assert_eq!(etag_of(&same), new_etag);
}

#[tokio::test(flavor = "multi_thread")]
async fn workflow_transitions() {
    let app = spawn_app().await;
    let created = app.create_network(&minimal_network("Workflow")).await;
    let mut etag = etag_of(&created);
    let id = created.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let path = app.url(&format!("/v1/networks/{id}/transitions"));
    let step = |token: &str, to: &str, tag: Option<&str>| {
        let mut req = app
            .client
            .post(&path)
            .bearer_auth(token)
            .json(&json!({"to": to}));
        if let Some(t) = tag {
            req = req.header("If-Match", t);
        }
        req.send()
    };
    assert_eq!(
        step(&app.staff_token, "submitted", None)
            .await
            .expect("post")
            .status(),
        428
    );
    assert_eq!(
        step(&app.staff_token, "published", Some(&etag))
            .await
            .expect("post")
            .status(),
        409,
        "draft cannot be published directly"
    );
    let r = step(&app.staff_token, "submitted", Some(&etag))
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    etag = etag_of(&r);
    // An adviser cannot publish (the network has no ROS, so they may not even touch it).
    assert_eq!(
        step(&app.adviser_token, "published", Some(&etag))
            .await
            .expect("post")
            .status(),
        404
    );
    let r = step(&app.staff_token, "published", Some(&etag))
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    etag = etag_of(&r);
    let r = step(&app.staff_token, "archived", Some(&etag))
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    let archived: Value = r.json().await.expect("json");
    assert_eq!(archived["state"], "archived");
    assert_eq!(
        app.get(&format!("/v1/networks/{id}"))
            .send()
            .await
            .expect("get")
            .status(),
        404
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn advisers_work_within_their_own_ros() {
    let app = spawn_app().await;
    // An adviser's network belongs to their ROS by default.
    let created = app
        .client
        .post(app.url("/v1/networks"))
        .bearer_auth(&app.adviser_token)
        .json(&minimal_network("Netwerk van ROS Noord"))
        .send()
        .await
        .expect("post");
    assert_eq!(created.status(), 201);
    let etag = etag_of(&created);
    let network: Value = created.json().await.expect("json");
    assert_eq!(network["ros_org"], "ros-noord");
    let path = app.url(&format!(
        "/v1/networks/{}",
        network["id"].as_str().expect("id")
    ));
    // Another ROS cannot see the draft, let alone change it.
    let other = app
        .client
        .patch(&path)
        .bearer_auth(&app.other_adviser_token)
        .header("If-Match", &etag)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(other.status(), 404);
    // Each adviser lists the drafts of their own ROS, and no others'.
    let zuid = app
        .client
        .post(app.url("/v1/networks"))
        .bearer_auth(&app.other_adviser_token)
        .json(&minimal_network("Netwerk van ROS Zuid"))
        .send()
        .await
        .expect("post");
    assert_eq!(zuid.status(), 201);
    let drafts = |token: &str| {
        app.get("/v1/networks?state=draft,submitted")
            .bearer_auth(token)
            .send()
    };
    let noord: Value = drafts(&app.adviser_token)
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(names(noord), ["Netwerk van ROS Noord"]);
    let zuid: Value = drafts(&app.other_adviser_token)
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(names(zuid), ["Netwerk van ROS Zuid"]);
    let all: Value = drafts(&app.staff_token)
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(
        names(all),
        ["Netwerk van ROS Noord", "Netwerk van ROS Zuid"]
    );
    // Nor can an adviser create for another ROS, or hand theirs over.
    let foreign = app.client.post(app.url("/v1/networks")).bearer_auth(&app.adviser_token)
        .json(&json!({"name": "x", "type": "oncology_care_network", "scale": "local", "ros_org": "ros-zuid"})).send().await.expect("post");
    assert_eq!(foreign.status(), 403);
    let hand_over = app
        .client
        .patch(&path)
        .bearer_auth(&app.adviser_token)
        .header("If-Match", &etag)
        .json(&json!({"ros_org": "ros-zuid"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(hand_over.status(), 403);
    // Submitting is theirs; publishing is not.
    let submitted = app
        .client
        .post(format!("{path}/transitions"))
        .bearer_auth(&app.adviser_token)
        .header("If-Match", &etag)
        .json(&json!({"to": "submitted"}))
        .send()
        .await
        .expect("post");
    assert_eq!(submitted.status(), 200);
    let etag = etag_of(&submitted);
    let publish = app
        .client
        .post(format!("{path}/transitions"))
        .bearer_auth(&app.adviser_token)
        .header("If-Match", &etag)
        .json(&json!({"to": "published"}))
        .send()
        .await
        .expect("post");
    assert_eq!(publish.status(), 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_sort_by_name_or_by_last_change() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for name in ["Beta", "alpha", "Gamma"] {
        let r: Value = app
            .create_network(&onconet_test_support::fixtures::minimal_network(name))
            .await
            .json()
            .await
            .expect("json");
        ids.push(r["id"].as_str().expect("id").to_owned());
    }
    // Touch Beta last: it becomes the most recently changed.
    let r = app
        .client
        .patch(app.url(&format!("/v1/networks/{}", ids[0])))
        .bearer_auth(&app.staff_token)
        .header("content-type", "application/merge-patch+json")
        .header("if-match", "\"v1\"")
        .body(r#"{"website": "https://beta.example.nl"}"#)
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), 200);
    let names = |sort: &'static str| {
        let app = &app;
        async move {
            let r = app
                .get(&format!("/v1/networks?state=draft{sort}"))
                .bearer_auth(&app.staff_token)
                .send()
                .await
                .expect("list");
            assert_eq!(r.status(), 200);
            let body: Value = r.json().await.expect("json");
            body["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|n| n["name"].as_str().unwrap_or_default().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(names("").await, ["alpha", "Beta", "Gamma"]);
    assert_eq!(names("&sort=name").await, ["alpha", "Beta", "Gamma"]);
    assert_eq!(names("&sort=updated_at").await, ["alpha", "Gamma", "Beta"]);
    assert_eq!(names("&sort=-updated_at").await, ["Beta", "Gamma", "alpha"]);
    let bad = app
        .get("/v1/networks?sort=size")
        .send()
        .await
        .expect("list");
    assert_eq!(bad.status(), 400);
    let problem: Value = bad.json().await.expect("json");
    assert_eq!(problem["errors"][0]["parameter"], "sort", "{problem}");
}

#[tokio::test(flavor = "multi_thread")]
async fn external_id_is_unique_per_ros() {
    let app = spawn_app().await;
    let with = |name: &str, ros: &str, key: &str| {
        let mut body = minimal_network(name);
        body["ros_org"] = json!(ros);
        body["external_id"] = json!(key);
        body
    };
    let first = app
        .create_network(&with("Een", "ros-noord", " R-17 "))
        .await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.expect("json");
    assert_eq!(first["external_id"], "R-17", "trimmed");

    // The same key in the same ROS is refused, naming the field and the other network.
    let again = app.create_network(&with("Twee", "ros-noord", "R-17")).await;
    assert_eq!(again.status(), 422);
    let problem: Value = again.json().await.expect("json");
    assert_eq!(problem["errors"][0]["pointer"], "/external_id");
    assert_eq!(problem["errors"][0]["code"], "duplicate");
    let other = first["id"].as_str().expect("id");
    assert!(
        problem["errors"][0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains(other)),
        "{problem}"
    );

    // Another ROS may use it; so may a network without a ROS (once).
    for ros in ["ros-zuid"] {
        let r = app.create_network(&with("Drie", ros, "R-17")).await;
        assert_eq!(r.status(), 201);
    }
    let mut no_ros = minimal_network("Vier");
    no_ros["external_id"] = json!("R-17");
    assert_eq!(app.create_network(&no_ros).await.status(), 201);
    assert_eq!(app.create_network(&no_ros).await.status(), 422);

    // A merge patch onto a taken key is refused the same way; removing it is fine.
    let second = app.create_network(&with("Vijf", "ros-noord", "R-18")).await;
    let second: Value = second.json().await.expect("json");
    let url = format!("/v1/networks/{}", second["id"].as_str().expect("id"));
    let patch = |body: Value| {
        app.client
            .patch(app.url(&url))
            .bearer_auth(&app.staff_token)
            .header("If-Match", "\"v1\"")
            .header("Content-Type", "application/merge-patch+json")
            .body(body.to_string())
    };
    let taken = patch(json!({"external_id": "R-17"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(taken.status(), 422);
    let removed = patch(json!({"external_id": null}))
        .send()
        .await
        .expect("patch");
    assert_eq!(removed.status(), 200);
    let removed: Value = removed.json().await.expect("json");
    assert_eq!(removed["external_id"], Value::Null);

    // Bad keys get precise problems.
    for bad in [
        json!(""),
        json!("a\u{7}b"),
        json!("x".repeat(101)),
        json!(5),
    ] {
        let mut body = minimal_network("Zes");
        body["external_id"] = bad.clone();
        let r = app.create_network(&body).await;
        let status = r.status();
        let problem: Value = r.json().await.expect("json");
        if bad == json!("") {
            // Empty is the same as absent, as for the other optional texts.
            assert_eq!(status, 201, "{problem}");
        } else {
            assert!(status == 422 || status == 400, "{bad}: {status}");
            assert_eq!(problem["errors"][0]["pointer"], "/external_id", "{problem}");
        }
    }
}
