//! LOPPSOZ qualification in profiles and filters; overdue verification.

use onconet_test_support::fixtures::{full_network, minimal_network};
use onconet_test_support::{eventually, spawn_app};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread")]
async fn qualification_is_shown_and_filterable() {
    let app = spawn_app().await;
    let hospital = app.create_published(&json!({"name": "Ziekenhuisnetwerk", "type": "regional_oncology_network", "scale": "regional"})).await;
    let mut body = full_network();
    body["disciplines"] = json!([
        "physiotherapy",
        "dietetics",
        "psychology",
        "occupational_therapy",
        "skin_therapy",
        "general_practice"
    ]);
    body["links"] = json!([{"network_id": hospital["id"], "kind": "hospital_network"}]);
    // One of the two members is in the Verwijsgids: 50 %, below 60 %.
    let n = app.create_published(&body).await;
    let q = &n["qualification"];
    assert_eq!(q["applicable"], true);
    assert_eq!(q["qualified"], false);
    let unmet: Vec<&str> = q["criteria"]
        .as_array()
        .expect("criteria")
        .iter()
        .filter(|c| c["met"] != true)
        .filter_map(|c| c["key"].as_str())
        .collect();
    assert_eq!(unmet, ["verwijsgids_listing"]);
    assert_eq!(
        q["criteria"][2],
        json!({"number": 3, "key": "minimum_participation", "met": true, "source": "attested"})
    );

    let r = app
        .client
        .patch(app.url(&format!("/v1/networks/{}", n["id"].as_str().expect("id"))))
        .bearer_auth(&app.staff_token)
        .header("If-Match", format!("\"v{}\"", n["version"]))
        .json(
            &json!({"members": [{"name": "Praktijk", "kind": "practice", "in_verwijsgids": true}]}),
        )
        .send()
        .await
        .expect("patch");
    let patched: Value = r.json().await.expect("json");
    assert_eq!(patched["qualification"]["qualified"], true);

    // The network's own ROS adviser edits it, but attests nothing: IKNL does.
    let id = n["id"].as_str().expect("id");
    let adviser_patch = |body: Value, version: &Value| {
        app.client
            .patch(app.url(&format!("/v1/networks/{id}")))
            .bearer_auth(&app.adviser_token)
            .header("If-Match", format!("\"v{version}\""))
            .json(&body)
            .send()
    };
    let refused = adviser_patch(
        json!({"quality": {"non_profit": false}}),
        &patched["version"],
    )
    .await
    .expect("patch");
    assert_eq!(refused.status(), 403);
    let r = adviser_patch(
        json!({"website": "https://netwerk.example.nl"}),
        &patched["version"],
    )
    .await
    .expect("patch");
    assert_eq!(
        r.status(),
        202,
        "other fields, quality untouched: proposed for IKNL's review"
    );
    let mut attested = minimal_network("Zelf beoordeeld");
    attested["ros_org"] = json!("ros-noord");
    attested["quality"] = json!({"written_vision": true});
    let r = app
        .client
        .post(app.url("/v1/networks"))
        .bearer_auth(&app.adviser_token)
        .json(&attested)
        .send()
        .await
        .expect("create");
    assert_eq!(r.status(), 403);
    app.create_published(&minimal_network("Nog niet gekwalificeerd"))
        .await;

    let names = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|n| n["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let qualified: Value = app
        .get("/v1/networks?qualified=true")
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(names(qualified), ["Oncologienetwerk Groningen-Stad"]);
    let not: Value = app
        .get("/v1/networks?qualified=false&type=oncology_care_network")
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(names(not), ["Nog niet gekwalificeerd"]);
    assert_eq!(hospital["qualification"]["applicable"], false);
    assert_eq!(
        app.get("/v1/networks?qualified=maybe")
            .send()
            .await
            .expect("list")
            .status(),
        400
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn networks_not_verified_for_a_year_are_flagged() {
    let app = spawn_app().await;
    let old = app.create_published(&minimal_network("Oud")).await;
    app.create_published(&minimal_network("Vers")).await;
    assert_eq!(old["verification_overdue"], false);
    app.age_verification(old["id"].as_str().expect("id"), 13)
        .await;
    let list: Value = app
        .get("/v1/networks?verification_overdue=true")
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["name"], "Oud");
    assert_eq!(items[0]["verification_overdue"], true);
    assert_eq!(
        app.get("/v1/networks?verification_overdue=true")
            .send()
            .await
            .expect("list")
            .status(),
        401,
        "no token"
    );
}

/// Criterion 7 of `network` (`met`).
fn website_criterion(network: &Value) -> Value {
    network["qualification"]["criteria"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["number"] == 7))
        .map(|c| c["met"].clone())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_up_to_date_website_needs_a_verification_within_a_year() {
    let app = spawn_app().await;
    let hospital = app.create_published(&json!({"name": "Ziekenhuisnetwerk", "type": "regional_oncology_network", "scale": "regional"})).await;
    let mut body = full_network();
    body["disciplines"] = json!([
        "physiotherapy",
        "dietetics",
        "psychology",
        "occupational_therapy",
        "skin_therapy",
        "general_practice"
    ]);
    body["links"] = json!([{"network_id": hospital["id"], "kind": "hospital_network"}]);
    for member in body["members"].as_array_mut().expect("members") {
        member["in_verwijsgids"] = json!(true);
    }
    // A draft was never verified: whether its website is up to date is not known yet.
    let r = app.create_network(&body).await;
    assert_eq!(r.status(), 201);
    let draft: Value = r.json().await.expect("json");
    assert_eq!(website_criterion(&draft), Value::Null);
    assert_eq!(draft["qualification"]["qualified"], false);
    let mut no_site = minimal_network("Zonder website");
    no_site["website"] = Value::Null;
    let r = app.create_network(&no_site).await;
    let no_site: Value = r.json().await.expect("json");
    assert_eq!(website_criterion(&no_site), false, "no website: not met");

    let n = app.create_published(&body).await;
    let id = n["id"].as_str().expect("id").to_owned();
    assert_eq!(website_criterion(&n), true);
    assert_eq!(n["qualification"]["qualified"], true);
    let qualified_names = || async {
        let list: Value = app
            .get("/v1/networks?qualified=true")
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("json");
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|n| n["name"].as_str().map(str::to_owned))
            .collect::<Vec<_>>()
    };
    let unqualified_names = || async {
        let list: Value = app
            .get("/v1/networks?qualified=false&type=oncology_care_network")
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("json");
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|n| n["name"].as_str().map(str::to_owned))
            .collect::<Vec<_>>()
    };
    let found = || async {
        let found: Value = app
            .get("/v1/search?lat=53.22&lon=6.55&radius_km=0")
            .send()
            .await
            .expect("search")
            .json()
            .await
            .expect("json");
        found["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|h| h["network"]["id"] == json!(id))
            .map(|h| h["network"].clone())
            .expect("the network is found")
    };
    assert_eq!(qualified_names().await, ["Oncologienetwerk Groningen-Stad"]);
    assert_eq!(website_criterion(&found().await), true);

    // Thirteen months later, nothing was written, but the verification ran out.
    app.age_verification(&id, 13).await;
    assert!(qualified_names().await.is_empty(), "no longer qualified");
    assert_eq!(
        unqualified_names().await,
        ["Oncologienetwerk Groningen-Stad"]
    );
    let aged: Value = app
        .get(&format!("/v1/networks/{id}"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(website_criterion(&aged), false);
    assert_eq!(aged["qualification"]["qualified"], false);
    assert_eq!(aged["verification_overdue"], true);
    assert_eq!(aged["version"], n["version"], "no write");
    // The search index renders it again once the verification worker claims it (every
    // second in the tests), at the same version.
    eventually("criterion 7 not met in the search hit", || async {
        website_criterion(&found().await) == false
    })
    .await;
    let hit = found().await;
    assert_eq!(hit["verification_overdue"], true);
    assert_eq!(hit["qualification"]["qualified"], false);
    assert_eq!(hit["version"], n["version"]);

    // Re-verified: qualified again, everywhere.
    let r = app
        .client
        .post(app.url(&format!("/v1/networks/{id}/verify")))
        .bearer_auth(&app.staff_token)
        .header("If-Match", format!("\"v{}\"", aged["version"]))
        .json(&json!({"note": "Website gecontroleerd"}))
        .send()
        .await
        .expect("verify");
    assert_eq!(r.status(), 200);
    let verified: Value = r.json().await.expect("json");
    assert_eq!(website_criterion(&verified), true);
    assert_eq!(verified["qualification"]["qualified"], true);
    assert_eq!(qualified_names().await, ["Oncologienetwerk Groningen-Stad"]);
    let hit = found().await;
    assert_eq!(website_criterion(&hit), true);
    assert_eq!(hit["verification_overdue"], false);
}
