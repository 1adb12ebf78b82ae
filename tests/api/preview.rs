//! `POST /v1/networks/preview`: every rule of a write, the derived area, its km² and the
//! population it reaches, with nothing saved.

use onconet_test_support::{fixtures, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn preview(
    app: &onconet_test_support::TestApp,
    token: &str,
    query: &str,
    body: &Value,
) -> (StatusCode, Option<String>, Value) {
    let r = app
        .client
        .post(app.url(&format!("/v1/networks/preview{query}")))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("preview");
    let status = r.status();
    let kind = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, kind, r.json().await.unwrap_or(Value::Null))
}

fn pointers(problem: &Value) -> Vec<String> {
    let mut p: Vec<String> = problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["pointer"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    p.sort();
    p
}

#[tokio::test(flavor = "multi_thread")]
async fn a_preview_derives_the_area_and_its_population_and_saves_nothing() {
    let app = spawn_app().await;
    let before = app.db_fingerprint().await;
    let mut body = fixtures::minimal_network("Preview Groningen");
    body["disciplines"] = json!([
        "physiotherapy",
        "dietetics",
        "psychology",
        "speech_therapy",
        "sexology"
    ]);
    body["service_area"] = json!({"municipalities": ["GM0014"]});
    let (status, kind, f) = preview(&app, &app.adviser_token, "", &body).await;
    assert_eq!(status, StatusCode::OK, "{f}");
    assert_eq!(kind.as_deref(), Some("application/geo+json"));
    assert_eq!(f["type"], "Feature");
    assert_eq!(f["geometry"]["type"], "MultiPolygon");
    let p = &f["properties"];
    // An adviser's network belongs to their ROS.
    assert_eq!(p["ros_org"], "ros-noord");
    // Groningen whole: its CBS population, and no neighbour beyond a border sliver.
    assert_eq!(p["population"], 243_768, "{p}");
    let reached: Vec<&str> = p["municipalities"]
        .as_array()
        .expect("municipalities")
        .iter()
        .filter_map(|m| m["code"].as_str())
        .collect();
    assert_eq!(reached, ["GM0014"], "{p}");
    assert_eq!(p["municipalities"][0]["share"], 1.0);
    // Criterion 1 (≥ 5 disciplines with physiotherapy, dietetics and a psychosocial one) is met.
    assert_eq!(p["qualification"]["applicable"], true);
    let first = &p["qualification"]["criteria"][0];
    assert_eq!(
        (first["key"].as_str(), first["met"].as_bool()),
        (Some("disciplines"), Some(true)),
        "{first}"
    );
    assert_eq!(
        app.db_fingerprint().await,
        before,
        "a preview writes nothing"
    );

    // Saved, the network gets the area the preview showed.
    let created: Value = app.create_network(&body).await.json().await.expect("json");
    assert_eq!(created["area_km2"], p["area_km2"], "{created}");

    // A circle added around the city centre (inside Groningen) does not change the population;
    // one reaching into a neighbour adds some of the neighbour's.
    body["service_area"]["circles"] = json!([{"lat": 53.2194, "lon": 6.5665, "radius_km": 2.0}]);
    let (_, _, same) = preview(&app, &app.adviser_token, "", &body).await;
    assert_eq!(same["properties"]["population"], 243_768);
    body["service_area"]["circles"] = json!([{"lat": 53.2194, "lon": 6.5665, "radius_km": 12.0}]);
    let (_, _, wider) = preview(&app, &app.adviser_token, "", &body).await;
    let more = wider["properties"]["population"]
        .as_i64()
        .unwrap_or_default();
    assert!(more > 243_768, "{}", wider["properties"]);
    assert!(wider["properties"]["area_km2"].as_f64() > p["area_km2"].as_f64());
    assert!(
        wider["properties"]["municipalities"]
            .as_array()
            .map_or(0, Vec::len)
            > 1
    );

    // Nothing in the service area: no geometry, no figures.
    let (status, _, empty) = preview(
        &app,
        &app.staff_token,
        "",
        &fixtures::minimal_network("Nowhere yet"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{empty}");
    assert_eq!(empty["geometry"], Value::Null);
    assert_eq!(empty["properties"]["area_km2"], Value::Null);
    assert_eq!(empty["properties"]["population"], Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_preview_refuses_what_a_save_would_refuse() {
    let app = spawn_app().await;
    // The same field errors as POST /v1/networks, by pointer.
    let mut bad = fixtures::minimal_network("Bad");
    bad["disciplines"] = json!(["physiotherapy", "juggling"]);
    bad["service_area"] = json!({"municipalities": ["GM9999"], "circles": [{"lat": 53.2, "lon": 6.5, "radius_km": -1}]});
    bad["links"] = json!([{"network_id": "0190a000-0000-7000-8000-000000000000", "kind": "other"}]);
    let (status, kind, problem) = preview(&app, &app.adviser_token, "", &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(kind.as_deref(), Some("application/problem+json"));
    let saved = app
        .client
        .post(app.url("/v1/networks"))
        .bearer_auth(&app.adviser_token)
        .json(&bad)
        .send()
        .await
        .expect("create");
    assert_eq!(saved.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let saved: Value = saved.json().await.expect("json");
    assert_eq!(pointers(&problem), pointers(&saved), "{problem}");
    assert!(
        pointers(&problem).contains(&"/disciplines/1".to_owned()),
        "{problem}"
    );

    // A missing name is named too.
    let (status, _, problem) = preview(
        &app,
        &app.adviser_token,
        "",
        &json!({"type": "oncology_care_network", "scale": "local"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        pointers(&problem).contains(&"/name".to_owned()),
        "{problem}"
    );

    // Without a token: 401. Another ROS's network: 403, as on save.
    let anonymous = app
        .client
        .post(app.url("/v1/networks/preview"))
        .json(&fixtures::minimal_network("x"))
        .send()
        .await
        .expect("preview");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let mut theirs = fixtures::minimal_network("Theirs");
    theirs["ros_org"] = json!("ros-zuid");
    let (status, _, problem) = preview(&app, &app.adviser_token, "", &theirs).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");

    // Editing: `id` must be a UUID (400) of a network the caller may edit (a draft of another
    // ROS is as unknown as no network at all: 404).
    let (status, _, problem) = preview(
        &app,
        &app.adviser_token,
        "?id=nope",
        &fixtures::minimal_network("x"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(problem["errors"][0]["parameter"], "id");
    let draft: Value = app
        .client
        .post(app.url("/v1/networks"))
        .bearer_auth(&app.other_adviser_token)
        .json(&fixtures::minimal_network("Zuid draft"))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let id = draft["id"].as_str().expect("id");
    let (status, _, _) = preview(
        &app,
        &app.adviser_token,
        &format!("?id={id}"),
        &fixtures::minimal_network("x"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, ok) = preview(
        &app,
        &app.other_adviser_token,
        &format!("?id={id}"),
        &fixtures::minimal_network("Zuid draft, renamed"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{ok}");
    assert_eq!(ok["properties"]["ros_org"], "ros-zuid");
    // A parent that is the network itself would close a cycle: named as on save.
    let mut own_parent = fixtures::minimal_network("Zuid draft");
    own_parent["parent_id"] = json!(id);
    let (status, _, problem) = preview(
        &app,
        &app.other_adviser_token,
        &format!("?id={id}"),
        &own_parent,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(pointers(&problem), ["/parent_id"]);

    // Not JSON, or the wrong content type.
    let r = app
        .client
        .post(app.url("/v1/networks/preview"))
        .bearer_auth(&app.adviser_token)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .expect("preview");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = app
        .client
        .post(app.url("/v1/networks/preview"))
        .bearer_auth(&app.adviser_token)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .expect("preview");
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}
