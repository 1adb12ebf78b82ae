//! `/v1/coverage`: hand-checkable cases on the real municipalities, formats, bad requests.

use onconet_test_support::{TestApp, spawn_app};
use serde_json::{Value, json};

async fn coverage(app: &TestApp, query: &str) -> reqwest::Response {
    app.get(&format!("/v1/coverage?{query}"))
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .expect("coverage")
}

async fn report(app: &TestApp, query: &str) -> Value {
    let r = coverage(app, query).await;
    assert_eq!(r.status(), 200, "{query}");
    r.json().await.expect("json")
}

fn region<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["regions"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["code"] == code))
        .unwrap_or_else(|| panic!("{code} missing"))
}

fn care(name: &str, area: Value, disciplines: Value) -> Value {
    json!({"name": name, "type": "oncology_care_network", "scale": "local", "lifecycle": "active",
           "disciplines": disciplines, "service_area": area})
}

/// The municipalities that border Groningen (GM0014).
const NEIGHBOURS: [&str; 4] = ["GM1952", "GM1966", "GM1969", "GM1730"];

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_registry_is_all_gap() {
    let app = spawn_app().await;
    let r = report(&app, "").await;
    assert_eq!(r["layer"], "municipality");
    assert_eq!(r["networks"], 0);
    assert_eq!(r["regions"].as_array().map(Vec::len), Some(342));
    assert_eq!(r["summary"]["covered_km2"], 0.0);
    assert_eq!(r["summary"]["uncovered_regions"], 342);
    assert_eq!(
        r["summary"]["population"], 17_942_942,
        "CBS total on 1 Jan 2024"
    );
    let provinces = report(&app, "layer=province").await;
    assert_eq!(provinces["regions"].as_array().map(Vec::len), Some(12));
}

#[tokio::test(flavor = "multi_thread")]
async fn hand_checkable_cases() {
    let app = spawn_app().await;
    let city = app
        .create_published(&care(
            "Stad",
            json!({"municipalities": ["GM0014"]}),
            json!(["physiotherapy", "dietetics"]),
        ))
        .await;

    // Exactly one municipality: that one is covered, its neighbours are not.
    let r = report(&app, "").await;
    let g = region(&r, "GM0014");
    assert!(
        (g["coverage"].as_f64().unwrap_or_default() - 1.0).abs() < 1e-4,
        "{g}"
    );
    assert_eq!(g["networks"], 1);
    assert_eq!(g["covered_population"], 243_768);
    for n in NEIGHBOURS {
        let n = region(&r, n);
        assert!(n["coverage"].as_f64().unwrap_or(1.0) < 1e-4, "{n}");
        assert_eq!(n["networks"], 0, "{n}");
    }
    assert_eq!(r["summary"]["covered_regions"], 1);
    assert_eq!(r["summary"]["uncovered_regions"], 341);

    // A second, overlapping network (a circle in the city): Groningen is not counted twice.
    app.create_published(&care(
        "Cirkel",
        json!({"circles": [{"lat": 53.2194, "lon": 6.5665, "radius_km": 3}]}),
        json!(["physiotherapy"]),
    ))
    .await;
    let r = report(&app, "").await;
    let g = region(&r, "GM0014");
    assert_eq!(g["networks"], 2);
    assert!(g["covered_km2"].as_f64() <= g["area_km2"].as_f64(), "{g}");
    assert!((g["coverage"].as_f64().unwrap_or_default() - 1.0).abs() < 1e-4);

    // Disciplines: only the city network offers dietetics.
    let diet = report(&app, "discipline=dietetics").await;
    assert_eq!(diet["networks"], 1);
    assert_eq!(region(&diet, "GM0014")["networks"], 1);
    let psy = report(&app, "discipline=psychology").await;
    assert_eq!(psy["summary"]["covered_km2"], 0.0);

    // What-if: without the city network only the circle is left; without both, a gap.
    let id = city["id"].as_str().expect("id");
    let without = report(&app, &format!("exclude={id}")).await;
    let g = region(&without, "GM0014");
    assert_eq!(g["networks"], 1);
    assert!(g["coverage"].as_f64().unwrap_or(1.0) < 0.25, "{g}");
    let circle_only = report(&app, "discipline=dietetics").await;
    assert_eq!(circle_only["networks"], 1);
    let none = report(&app, &format!("exclude={id}&discipline=dietetics")).await;
    assert_eq!(
        region(&none, "GM0014")["coverage"],
        0.0,
        "excluding the only network makes a gap"
    );

    // min_coverage lists only the regions below it; the summary stays national.
    let below = report(&app, "min_coverage=0.5").await;
    assert_eq!(below["regions"].as_array().map(Vec::len), Some(341));
    assert_eq!(below["summary"]["regions"], 342);

    // as_of: before anything existed, the registry was empty.
    let past = report(&app, "as_of=2020-01-01").await;
    assert_eq!(past["networks"], 0);
    let today = chrono::Utc::now().date_naive().to_string();
    let now = report(&app, &format!("as_of={today}")).await;
    assert_eq!(now["networks"], 2);
    assert!(
        (region(&now, "GM0014")["coverage"]
            .as_f64()
            .unwrap_or_default()
            - 1.0)
            .abs()
            < 1e-4
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn formats_and_caching() {
    let app = spawn_app().await;
    let n = app
        .create_published(&care(
            "Stad",
            json!({"municipalities": ["GM0014"]}),
            json!(["physiotherapy"]),
        ))
        .await;

    let first = coverage(&app, "").await;
    assert_eq!(first.headers()["x-coverage-cache"], "miss");
    let again = coverage(&app, "").await;
    assert_eq!(again.headers()["x-coverage-cache"], "hit");

    // One network edited: only the regions its old and new areas touch are recomputed.
    let r = app
        .client
        .patch(app.url(&format!("/v1/networks/{}", n["id"].as_str().expect("id"))))
        .bearer_auth(&app.staff_token)
        .header("If-Match", format!("\"v{}\"", n["version"]))
        .json(&json!({"service_area": {"municipalities": ["GM0014", "GM1952"]}}))
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), 200);
    let after = coverage(&app, "").await;
    let outcome = after.headers()["x-coverage-cache"]
        .to_str()
        .expect("header")
        .to_owned();
    assert!(outcome.starts_with("partial"), "{outcome}");
    let recomputed: usize = outcome
        .rsplit('=')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(999);
    assert!(recomputed > 0 && recomputed < 60, "{outcome}");
    let body: Value = after.json().await.expect("json");
    assert!(
        (region(&body, "GM1952")["coverage"]
            .as_f64()
            .unwrap_or_default()
            - 1.0)
            .abs()
            < 1e-4
    );
    // The partial result equals a full recomputation.
    let full: Value = report(
        &app,
        "lifecycle=active&type=oncology_care_network&layer=municipality",
    )
    .await;
    assert_eq!(full["regions"], body["regions"]);

    let geo = coverage(&app, "format=geojson").await;
    assert_eq!(geo.headers()["content-type"], "application/geo+json");
    let geo: Value = geo.json().await.expect("json");
    assert_eq!(geo["features"].as_array().map(Vec::len), Some(342));
    let f = geo["features"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["id"] == "GM0034"))
        .expect("Almere");
    assert_eq!(f["geometry"]["type"], "MultiPolygon");
    assert_eq!(f["properties"]["gap"]["type"], "MultiPolygon");
    assert!(
        f["properties"]["gap"]["coordinates"]
            .as_array()
            .is_some_and(|c| !c.is_empty()),
        "Almere is a gap"
    );

    let csv = app
        .get("/v1/coverage")
        .bearer_auth(&app.staff_token)
        .header("Accept", "text/csv")
        .send()
        .await
        .expect("csv");
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/csv")
    );
    let text = csv.text().await.expect("text");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 343);
    assert_eq!(
        lines[0],
        "code,name,population,area_km2,covered_km2,coverage,covered_population,networks,searches,searches_without_result"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("GM0014,Groningen,243768,"))
    );
    assert!(text.contains("\"'s-Gravenhage\"") || text.contains("'s-Gravenhage"));

    let svg = coverage(&app, "format=svg&discipline=physiotherapy").await;
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    let svg = svg.text().await.expect("svg");
    assert!(svg.starts_with("<svg") && svg.contains("Coverage"));
    assert_eq!(svg.matches("<path").count(), 342);
}

#[tokio::test(flavor = "multi_thread")]
async fn only_staff_and_only_good_requests() {
    let app = spawn_app().await;
    assert_eq!(
        app.get("/v1/coverage").send().await.expect("get").status(),
        401
    );
    let adviser = app
        .get("/v1/coverage")
        .bearer_auth(&app.adviser_token)
        .send()
        .await
        .expect("get");
    assert_eq!(adviser.status(), 403);
    assert_eq!(
        app.get("/v1/coverage")
            .bearer_auth(&app.admin_token)
            .send()
            .await
            .expect("get")
            .status(),
        200
    );
    let unknown = coverage(&app, "exclude=00000000-0000-4000-8000-000000000000").await;
    assert_eq!(unknown.status(), 404, "an unknown network to exclude");
    for (query, parameter) in [
        ("layer=wijk", "layer"),
        ("discipline=astrology", "discipline"),
        ("type=club", "type"),
        ("exclude=not-a-uuid", "exclude"),
        ("as_of=2999-01-01", "as_of"),
        ("as_of=yesterday", "as_of"),
        ("as_of=-2026-01-01", "as_of"),
        ("as_of=%2B12026-01-01", "as_of"),
        ("as_of=2026-1-1", "as_of"),
        ("format=pdf", "format"),
        ("min_coverage=2", "min_coverage"),
        ("colour=red", "colour"),
    ] {
        let r = coverage(&app, query).await;
        assert_eq!(r.status(), 400, "{query}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let body: Value = r.json().await.expect("json");
        assert!(
            body["errors"]
                .as_array()
                .is_some_and(|e| e.iter().any(|e| e["parameter"] == parameter)),
            "{query}: {body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn discipline_matrix_and_trend() {
    let app = spawn_app().await;
    app.create_published(&care(
        "Stad",
        json!({"municipalities": ["GM0014"]}),
        json!(["physiotherapy", "dietetics"]),
    ))
    .await;
    let m = app
        .get("/v1/coverage/disciplines")
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .expect("matrix");
    assert_eq!(m.status(), 200);
    let m: Value = m.json().await.expect("json");
    assert!(m["disciplines"].as_array().is_some_and(|d| d.len() >= 20));
    let g = m["regions"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["code"] == "GM0014"))
        .expect("GM0014");
    assert!((g["coverage"]["physiotherapy"].as_f64().unwrap_or_default() - 1.0).abs() < 1e-4);
    assert_eq!(g["coverage"]["psychology"], 0.0);
    assert!(
        m["summary"]["dietetics"]["covered_km2"]
            .as_f64()
            .is_some_and(|a| a > 190.0)
    );
    // The matrix takes no discipline, format or threshold; the problem names the one given.
    for name in ["discipline=physiotherapy", "format=csv", "min_coverage=0.5"] {
        let r = app
            .get(&format!("/v1/coverage/disciplines?{name}"))
            .bearer_auth(&app.staff_token)
            .send()
            .await
            .expect("m");
        assert_eq!(r.status(), 400, "{name}");
        let problem: Value = r.json().await.expect("json");
        let parameter = name.split('=').next().unwrap_or_default();
        assert_eq!(problem["errors"][0]["parameter"], parameter, "{problem}");
    }

    // No snapshot yet: an empty series. Take one on demand, then it is there.
    let empty: Value = app
        .get("/v1/coverage/trend")
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .expect("trend")
        .json()
        .await
        .expect("json");
    assert_eq!(empty["points"], json!([]));
    let taken = app
        .client
        .post(app.url("/v1/coverage/snapshots"))
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .expect("snapshot");
    assert_eq!(taken.status(), 201);
    let trend: Value = app
        .get("/v1/coverage/trend?discipline=dietetics")
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .expect("trend")
        .json()
        .await
        .expect("json");
    let points = trend["points"].as_array().expect("points");
    assert_eq!(points.len(), 1);
    assert_eq!(points[0]["networks"], 1);
    assert_eq!(points[0]["covered_population"], 243_768);
    for (query, status) in [
        ("discipline=astrology", 400),
        ("from=2026-13-01", 400),
        ("from=2026-02-01&to=2026-01-01", 200),
    ] {
        assert_eq!(
            app.get(&format!("/v1/coverage/trend?{query}"))
                .bearer_auth(&app.staff_token)
                .send()
                .await
                .expect("t")
                .status(),
            status,
            "{query}"
        );
    }
    let adviser = app
        .client
        .post(app.url("/v1/coverage/snapshots"))
        .bearer_auth(&app.adviser_token)
        .send()
        .await
        .expect("snapshot");
    assert_eq!(adviser.status(), 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_region_lists_the_networks_that_reach_it() {
    let app = spawn_app().await;
    let city = app
        .create_published(&care(
            "Stad",
            json!({"municipalities": ["GM0014"]}),
            json!(["physiotherapy", "dietetics"]),
        ))
        .await;
    let circle = app
        .create_published(&care(
            "Cirkel",
            json!({"circles": [{"lat": 53.2194, "lon": 6.5665, "radius_km": 3}]}),
            json!(["physiotherapy"]),
        ))
        .await;
    let one = |query: &str| {
        let app = &app;
        let query = query.to_owned();
        async move {
            app.get(&format!("/v1/coverage/regions/GM0014?{query}"))
                .bearer_auth(&app.staff_token)
                .send()
                .await
                .expect("get")
        }
    };
    let body: Value = one("").await.json().await.expect("json");
    assert_eq!(body["layer"], "municipality");
    assert_eq!(body["region"]["code"], "GM0014");
    assert_eq!(body["region"]["networks"], 2);
    let names: Vec<&str> = body["networks"]
        .as_array()
        .map(|a| a.iter().filter_map(|n| n["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["Cirkel", "Stad"], "by name");
    assert_eq!(body["networks"][1]["id"], city["id"]);
    assert_eq!(body["networks"][1]["type"], "oncology_care_network");

    // The same filter as the report: a discipline, what-if, another layer.
    let diet: Value = one("discipline=dietetics")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(diet["networks"].as_array().map(Vec::len), Some(1));
    let id = city["id"].as_str().expect("id");
    let without: Value = one(&format!("exclude={id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(without["networks"][0]["id"], circle["id"]);
    assert_eq!(without["region"]["networks"], 1);
    // A neighbour borders the city network but is not reached by it.
    let neighbour: Value = app
        .get(&format!("/v1/coverage/regions/{}", NEIGHBOURS[0]))
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(neighbour["networks"], json!([]));
    let province: Value = app
        .get("/v1/coverage/regions/PV20?layer=province")
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(province["networks"].as_array().map(Vec::len), Some(2));

    // Staff only; bad input is a problem document.
    let anonymous = app
        .get("/v1/coverage/regions/GM0014")
        .send()
        .await
        .expect("get");
    assert_eq!(anonymous.status(), 401);
    let adviser = app
        .get("/v1/coverage/regions/GM0014")
        .bearer_auth(&app.adviser_token)
        .send()
        .await
        .expect("get");
    assert_eq!(adviser.status(), 403);
    let unknown = app
        .get("/v1/coverage/regions/GM9999")
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .expect("get");
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        unknown.headers()["content-type"],
        "application/problem+json"
    );
    for (query, parameter) in [
        ("format=csv", "format"),
        ("min_coverage=0.5", "min_coverage"),
        ("layer=wijk", "layer"),
        ("discipline=astrology", "discipline"),
        ("exclude=not-a-uuid", "exclude"),
        ("colour=red", "colour"),
    ] {
        let r = one(query).await;
        assert_eq!(r.status(), 400, "{query}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let body: Value = r.json().await.expect("json");
        assert!(
            body["errors"]
                .as_array()
                .is_some_and(|e| e.iter().any(|e| e["parameter"] == parameter)),
            "{query}: {body}"
        );
    }
}

/// The PC4 overlay is built in the background from start-up and kept in step with every
/// change, like the municipality and province ones: no first PC4 report pays for it.
#[tokio::test(flavor = "multi_thread")]
async fn the_pc4_overlay_is_ready_before_anyone_asks() {
    let app = spawn_app().await;
    app.create_published(&json!({"name": "Stad", "type": "oncology_care_network", "scale": "local",
                                  "lifecycle": "active", "service_area": {"municipalities": ["GM0014"]}}))
        .await;
    let cells = async |layer: &str| -> u64 {
        let text = app
            .get("/metrics")
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        text.lines()
            .find_map(|l| {
                l.strip_prefix(&format!(
                    "onconet_coverage_overlay_cells{{layer=\"{layer}\"}} "
                ))
            })
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    onconet_test_support::eventually("the PC4 overlay holds the published network", async || {
        cells("pc4").await > 0 && cells("municipality").await > 0 && cells("province").await > 0
    })
    .await;
    let misses_before = app
        .get("/metrics")
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        misses_before.contains("onconet_coverage_cache_total{outcome=\"miss\"} 0"),
        "no report asked yet"
    );
    let r = report(&app, "layer=pc4").await;
    assert!(
        r["summary"]["covered_km2"].as_f64().unwrap_or(0.0) > 0.0,
        "{}",
        r["summary"]
    );
}

/// `as_of` reports of any filter at the same past moment share one reading of the revisions
/// and one overlay per layer; a moment not yet safely past is read afresh every time.
#[tokio::test(flavor = "multi_thread")]
async fn as_of_reports_at_one_moment_share_their_past() {
    let app = spawn_app().await;
    for (name, discipline) in [("Fysio", "physiotherapy"), ("Dieet", "dietetics")] {
        app.create_published(&care(
            name,
            json!({"municipalities": ["GM0014"]}),
            json!([discipline]),
        ))
        .await;
    }
    // Two days ago, as far as the revisions know.
    app.sql_text(
        "WITH moved AS (UPDATE network_revisions SET created_at = created_at - interval '2 days' RETURNING 1) \
         SELECT count(*)::text AS value FROM moved",
    )
    .await;
    let builds = async || -> u64 {
        let text = app
            .get("/metrics")
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        text.lines()
            .find_map(|l| l.strip_prefix("onconet_coverage_past_builds_total "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(u64::MAX)
    };
    let yesterday = (chrono::Utc::now().date_naive() - chrono::Duration::days(1)).to_string();
    let before = builds().await;
    let all = report(&app, &format!("as_of={yesterday}")).await;
    assert_eq!(all["networks"], 2);
    let fysio = report(&app, &format!("as_of={yesterday}&discipline=physiotherapy")).await;
    assert_eq!(fysio["networks"], 1);
    let dieet = report(
        &app,
        &format!("as_of={yesterday}&discipline=dietetics&layer=province"),
    )
    .await;
    assert_eq!(dieet["networks"], 1);
    assert!(
        region(&dieet, "PV20")["covered_km2"]
            .as_f64()
            .unwrap_or(0.0)
            > 100.0,
        "{}",
        region(&dieet, "PV20")
    );
    assert_eq!(
        builds().await,
        before + 1,
        "one reading of the past for three reports"
    );
    // Today is not past yet: every report reads it again (a write may still be committing).
    let today = chrono::Utc::now().date_naive().to_string();
    report(&app, &format!("as_of={today}")).await;
    report(&app, &format!("as_of={today}&discipline=dietetics")).await;
    assert_eq!(builds().await, before + 3);
}
