//! LOPPSOZ qualification in profiles and filters; overdue verification.

use onconet_test_support::fixtures::{full_network, minimal_network};
use onconet_test_support::spawn_app;
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
    assert_eq!(r.status(), 200, "other fields, quality untouched");
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
