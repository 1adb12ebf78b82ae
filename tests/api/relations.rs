//! Finding networks by relation (issue 19, item 4): the children of a network, the networks a
//! practice (AGB) or organisation (KvK) is a member of today, and text on the search.

use onconet_test_support::{TestApp, spawn_app};
use serde_json::{Value, json};

async fn list(app: &TestApp, query: &str, token: Option<&str>) -> Vec<String> {
    let mut request = app.get(&format!("/v1/networks?{query}"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let r = request.send().await.expect("list");
    assert_eq!(r.status(), 200, "{query}");
    let body: Value = r.json().await.expect("json");
    let mut names: Vec<String> = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|n| n["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    names.sort();
    names
}

async fn bad(app: &TestApp, path: &str, parameter: &str) {
    let r = app.get(path).send().await.expect("request");
    assert_eq!(r.status(), 400, "{path}");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("application/problem+json"),
        "{path}"
    );
    let problem: Value = r.json().await.expect("problem");
    assert_eq!(
        problem["errors"][0]["parameter"], parameter,
        "{path}: {problem}"
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains(parameter),
        "{path}: {problem}"
    );
}

fn member(agb: &str, kvk: &str, from: Value, to: Value) -> Value {
    json!({"name": format!("Praktijk {agb}"), "kind": "practice", "discipline": "physiotherapy",
           "agb": agb, "kvk": kvk, "valid_from": from, "valid_to": to})
}

#[tokio::test]
async fn children_are_found_by_parent_id() {
    let app = spawn_app().await;
    let parent = app
        .create_published(
            &json!({"name": "Netwerk Noord", "type": "regional_oncology_network",
                                   "scale": "supra_regional", "lifecycle": "active"}),
        )
        .await;
    let parent_id = parent["id"].as_str().expect("id").to_owned();
    for name in ["Tumourgroep Borst Noord", "Tumourgroep Long Noord"] {
        app.create_published(&json!({"name": name, "type": "network_tumour_group", "scale": "regional",
                                      "lifecycle": "active", "tumour_types": ["breast"], "parent_id": parent_id}))
            .await;
    }
    let draft = app
        .create_network(&json!({"name": "Tumourgroep Prostaat Noord", "type": "network_tumour_group",
                                 "scale": "regional", "tumour_types": ["prostate"], "parent_id": parent_id}))
        .await;
    assert_eq!(draft.status(), 201);
    app.create_published(
        &json!({"name": "Elders", "type": "oncology_care_network", "scale": "local"}),
    )
    .await;

    let query = format!("parent_id={parent_id}");
    assert_eq!(
        list(&app, &query, None).await,
        ["Tumourgroep Borst Noord", "Tumourgroep Long Noord"],
        "the public sees the published children"
    );
    assert_eq!(
        list(
            &app,
            &format!("{query}&state=published,draft"),
            Some(&app.staff_token)
        )
        .await,
        [
            "Tumourgroep Borst Noord",
            "Tumourgroep Long Noord",
            "Tumourgroep Prostaat Noord"
        ],
        "staff also see the draft child"
    );
    // With the other filters: all of them apply.
    assert_eq!(
        list(&app, &format!("{query}&q=long"), None).await,
        ["Tumourgroep Long Noord"]
    );
    // A network without children, and an id that was never used: an empty list, not a 404.
    assert!(
        list(&app, "parent_id=00000000-0000-4000-8000-000000000000", None)
            .await
            .is_empty()
    );
    bad(&app, "/v1/networks?parent_id=noord", "parent_id").await;
    bad(&app, "/v1/networks?parent_id=", "parent_id").await;
}

#[tokio::test]
async fn practices_are_found_by_agb_and_kvk_while_they_are_members() {
    let app = spawn_app().await;
    let today = chrono::Utc::now().date_naive();
    let day = |days: i64| json!((today + chrono::Duration::days(days)).to_string());
    let network = |name: &str, members: Value| json!({"name": name, "type": "oncology_care_network", "scale": "local", "members": members});
    for (name, members) in [
        (
            "Nu lid",
            json!([member("04012345", "12345678", day(-400), Value::Null)]),
        ),
        (
            "Lid tot en met vandaag",
            json!([member("04012345", "87654321", day(-30), day(0))]),
        ),
        (
            "Vanaf vandaag lid",
            json!([member("04012345", "87654321", day(0), day(30))]),
        ),
        (
            "Was lid",
            json!([member("04012345", "12345678", day(-400), day(-1))]),
        ),
        (
            "Wordt lid",
            json!([member("04012345", "12345678", day(1), Value::Null)]),
        ),
        (
            "Ander lid",
            json!([
                member("01999999", "11111111", Value::Null, Value::Null),
                member("04012345", "12345678", Value::Null, day(-10))
            ]),
        ),
    ] {
        app.create_published(&network(name, members)).await;
    }
    assert_eq!(
        list(&app, "member_agb=04012345", None).await,
        ["Lid tot en met vandaag", "Nu lid", "Vanaf vandaag lid"]
    );
    assert_eq!(list(&app, "member_kvk=12345678", None).await, ["Nu lid"]);
    assert_eq!(
        list(&app, "member_agb=04012345&member_kvk=87654321", None).await,
        ["Lid tot en met vandaag", "Vanaf vandaag lid"]
    );
    // Another member of the same network carrying the code does not count for this one.
    assert_eq!(list(&app, "member_agb=01999999", None).await, ["Ander lid"]);
    assert!(list(&app, "member_kvk=11111112", None).await.is_empty());
    // Surrounding blanks are forgiven, as in a profile.
    assert_eq!(
        list(&app, "member_kvk=%2012345678%20", None).await,
        ["Nu lid"]
    );
    for bad_code in ["0401234", "040123456", "04O12345", "", "04012345%00"] {
        bad(
            &app,
            &format!("/v1/networks?member_agb={bad_code}"),
            "member_agb",
        )
        .await;
        bad(
            &app,
            &format!("/v1/networks?member_kvk={bad_code}"),
            "member_kvk",
        )
        .await;
    }
}

#[tokio::test]
async fn search_narrows_by_text_as_the_list_does() {
    let app = spawn_app().await;
    for (name, nl) in [
        ("Stad Groningen", "Zorg rond kanker in de stad"),
        ("Ommeland", "Fysiotherapie en diëtetiek in het ommeland"),
        ("100% Noord", "Alles"),
    ] {
        app.create_published(
            &json!({"name": name, "type": "oncology_care_network", "scale": "local",
                                      "lifecycle": "active", "description": {"nl": nl},
                                      "service_area": {"municipalities": ["GM0014"]}}),
        )
        .await;
    }
    let search = async |q: &str| -> Vec<String> {
        let r = app
            .get(&format!("/v1/search?municipality=GM0014&{q}"))
            .send()
            .await
            .expect("search");
        assert_eq!(r.status(), 200, "{q}");
        let body: Value = r.json().await.expect("json");
        let mut names: Vec<String> = body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|h| h["network"]["name"].as_str().unwrap_or_default().to_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(search("").await.len(), 3);
    // Name or description, case-insensitive, beyond ASCII too.
    assert_eq!(search("q=STAD").await, ["Stad Groningen"]);
    assert_eq!(search("q=DI%C3%8BTETIEK").await, ["Ommeland"]);
    // `%` and `_` are literal, as on the list.
    assert_eq!(search("q=100%25").await, ["100% Noord"]);
    assert!(search("q=_").await.is_empty());
    // Not across the name and the description.
    assert!(search("q=groningen%20zorg").await.is_empty());
    // With the other filters; a blank q does not restrict.
    assert!(search("q=stad&discipline=dietetics").await.is_empty());
    assert_eq!(search("q=%20%20").await.len(), 3);
    // The list answers the same question the same way.
    for q in ["STAD", "DI%C3%8BTETIEK", "100%25", "_"] {
        assert_eq!(
            search(&format!("q={q}")).await,
            list(&app, &format!("q={q}&municipality=GM0014"), None).await,
            "{q}"
        );
    }
    bad(&app, "/v1/search?municipality=GM0014&q=a%00b", "q").await;
    bad(&app, "/v1/search?municipality=GM0014&q=a%0Ab", "q").await;
    bad(
        &app,
        &format!("/v1/search?municipality=GM0014&q={}", "x".repeat(201)),
        "q",
    )
    .await;
}
