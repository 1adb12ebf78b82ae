//! ROS working areas (issue 19, item 5): the `ros_area` region layer, and coverage reports
//! restricted to one ROS's area (`ros_area=`), for IKNL staff and for the ROS's own advisers.
//!
//! The areas are made from the real CBS provinces: `ros-noord` is Groningen, Fryslân and
//! Drenthe united (the provinces were dissolved from the municipalities, so its municipalities
//! lie in it whole); `ros-limburg` is Limburg; `ros-proef` is a rectangle that cuts the
//! municipality of Groningen, to check clipping by hand. `ros-zuid` (the other adviser's ROS)
//! has no area.

use onconet_domain::Role;
use onconet_spatial::geojson_io::{multipolygon_from_geojson, multipolygon_to_geojson};
use onconet_test_support::{TestApp, eventually, reference_data, spawn_app};
use serde_json::{Value, json};
use std::collections::BTreeSet;

const NORTH: [&str; 3] = ["PV20", "PV21", "PV22"];

/// The rectangle of `ros-proef`: the western part of the municipality of Groningen.
const PROEF: [f64; 4] = [6.50, 53.18, 6.56, 53.25];

fn read(file: &str) -> Value {
    let path = reference_data().join(file);
    let text = std::fs::read_to_string(&path).expect("reference data");
    serde_json::from_str(&text).expect("GeoJSON")
}

fn features(doc: &Value) -> &[Value] {
    doc["features"].as_array().map(Vec::as_slice).unwrap_or(&[])
}

/// The codes of the municipalities in the northern provinces, from the CBS file.
fn northern_municipalities() -> BTreeSet<String> {
    let doc = read("gemeenten-2024-simplified.geojson");
    features(&doc)
        .iter()
        .filter(|f| NORTH.contains(&f["properties"]["province_code"].as_str().unwrap_or("")))
        .filter_map(|f| f["properties"]["code"].as_str().map(str::to_owned))
        .collect()
}

/// The ROS areas file, written to the app's data folder.
fn ros_area_file(app: &TestApp) -> std::path::PathBuf {
    let provinces = read("provincies-2024-simplified.geojson");
    let province = |code: &str| {
        features(&provinces)
            .iter()
            .find(|f| f["properties"]["code"] == code)
            .map(|f| multipolygon_from_geojson(&f["geometry"]))
            .expect("province")
    };
    let north: Vec<_> = NORTH.iter().map(|c| province(c)).collect();
    let noord = onconet_spatial::union_all(&north);
    let [w, s, e, n] = PROEF;
    let doc = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "ros-noord", "name": "ROS Noord"},
         "geometry": multipolygon_to_geojson(&noord)},
        {"type": "Feature", "properties": {"code": "ros-limburg", "name": "ROS Limburg", "population": 1_133_255},
         "geometry": multipolygon_to_geojson(&province("PV31"))},
        {"type": "Feature", "properties": {"code": "ros-proef", "name": "Proefgebied"},
         "geometry": {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}},
    ]});
    let path = app.data_dir.path().join("ros-areas.geojson");
    std::fs::write(&path, doc.to_string()).expect("write");
    path
}

/// Imports the ROS areas with `onconet regions import` and waits for the server to load them.
async fn import_ros_areas(app: &TestApp) {
    let out = app.import_regions("ros_area", &ros_area_file(app), None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eventually("the ros_area layer", || async {
        let r = app.get("/v1/regions/ros_area").send().await.expect("get");
        let v: Value = r.json().await.unwrap_or_default();
        v["page"]["total_items"] == 3
    })
    .await;
}

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = app.get(path);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let r = request.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

async fn ok(app: &TestApp, path: &str) -> Value {
    let (status, body) = get(app, path, Some(&app.staff_token)).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn regions(report: &Value) -> &[Value] {
    report["regions"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn region<'a>(report: &'a Value, code: &str) -> &'a Value {
    regions(report)
        .iter()
        .find(|r| r["code"] == code)
        .unwrap_or_else(|| panic!("{code} missing"))
}

fn care(name: &str, area: Value) -> Value {
    json!({"name": name, "type": "oncology_care_network", "scale": "local", "lifecycle": "active",
           "disciplines": ["physiotherapy"], "service_area": area})
}

#[tokio::test(flavor = "multi_thread")]
async fn ros_areas_are_a_region_layer() {
    let app = spawn_app().await;
    // None imported yet: an empty layer, and a report for an area is a 404 that says so.
    let empty = ok(&app, "/v1/regions/ros_area").await;
    assert_eq!(empty["page"]["total_items"], 0);
    let (status, problem) = get(
        &app,
        "/v1/coverage?ros_area=ros-noord",
        Some(&app.staff_token),
    )
    .await;
    assert_eq!(status, 404, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("ros_area") && d.contains("ros-noord")),
        "{problem}"
    );

    import_ros_areas(&app).await;
    let list = ok(&app, "/v1/regions/ros_area").await;
    let codes: Vec<&str> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["code"].as_str())
        .collect();
    assert_eq!(codes, ["ros-limburg", "ros-noord", "ros-proef"]);
    let noord = ok(&app, "/v1/regions/ros_area/ros-noord").await;
    assert_eq!(noord["name"], "ROS Noord");
    assert_eq!(noord["population"], Value::Null, "no population given");
    let limburg = ok(&app, "/v1/regions/ros_area/ros-limburg").await;
    assert_eq!(limburg["population"], 1_133_255);
    // Its area is the three provinces'.
    let mut provinces = 0.0;
    for code in NORTH {
        provinces += f(&ok(&app, &format!("/v1/regions/province/{code}")).await["area_km2"]);
    }
    let area = f(&noord["area_km2"]);
    assert!(
        (area / provinces - 1.0).abs() < 0.001,
        "{area} vs {provinces}"
    );
    // GeoJSON, and outlines for the console's map.
    let feature = ok(&app, "/v1/regions/ros_area/ros-noord?format=geojson").await;
    assert_eq!(feature["properties"]["layer"], "ros_area");
    assert_eq!(feature["geometry"]["type"], "MultiPolygon");
    let outlines = ok(&app, "/v1/regions/ros_area?format=geojson&zoom=7").await;
    assert_eq!(outlines["features"].as_array().map(Vec::len), Some(3));
    let (status, _) = get(&app, "/v1/regions/ros_area/ros-zuid", None).await;
    assert_eq!(status, 404);

    // A file whose codes are no ROS codes is refused whole, and the layer stays.
    let bad = app.data_dir.path().join("bad-ros-areas.geojson");
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(ros_area_file(&app)).expect("read"))
            .expect("json");
    doc["features"][1]["properties"]["code"] = json!("ROS Limburg");
    std::fs::write(&bad, doc.to_string()).expect("write");
    let out = app.import_regions("ros_area", &bad, None);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is not a ros_area code"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        ok(&app, "/v1/regions/ros_area").await["page"]["total_items"],
        3
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_restricted_to_a_ros_area_is_clipped_to_it() {
    let app = spawn_app().await;
    import_ros_areas(&app).await;
    let city = app
        .create_published(&care("Stad", json!({"municipalities": ["GM0014"]})))
        .await;
    app.create_published(&care("Maastricht", json!({"municipalities": ["GM0935"]})))
        .await;
    let area_km2 = f(&ok(&app, "/v1/regions/ros_area/ros-noord").await["area_km2"]);

    let national = ok(&app, "/v1/coverage").await;
    assert_eq!(national["networks"], 2);
    assert_eq!(national["ros_area"], Value::Null);
    let r = ok(&app, "/v1/coverage?ros_area=ros-noord").await;
    assert_eq!(r["layer"], "municipality");
    assert_eq!(r["ros_area"], "ros-noord");
    // Only the northern municipalities, whole; they add up to the area.
    let codes: BTreeSet<String> = regions(&r)
        .iter()
        .filter_map(|r| r["code"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(codes, northern_municipalities());
    let total: f64 = regions(&r).iter().map(|r| f(&r["area_km2"])).sum();
    assert!(
        (total / area_km2 - 1.0).abs() < 0.005,
        "{total} vs {area_km2}"
    );
    assert!((f(&r["summary"]["area_km2"]) / area_km2 - 1.0).abs() < 0.005);
    assert_eq!(r["summary"]["regions"], codes.len());
    // Only the network inside counts, and it covers Groningen whole.
    assert_eq!(r["networks"], 1);
    let groningen = region(&r, "GM0014");
    assert_eq!(groningen["population"], 243_768);
    assert_eq!(groningen["covered_population"], 243_768);
    assert!(
        (f(&groningen["coverage"]) - 1.0).abs() < 1e-4,
        "{groningen}"
    );
    assert!(
        (f(&r["summary"]["covered_km2"]) - f(&groningen["area_km2"])).abs() < 0.01,
        "{}",
        r["summary"]
    );
    assert_eq!(r["summary"]["covered_regions"], 1);
    // The population of the area is its municipalities', which is the provinces'.
    let people: i64 = regions(&r)
        .iter()
        .filter_map(|r| r["population"].as_i64())
        .sum();
    assert_eq!(r["summary"]["population"], people);
    let mut provinces = 0;
    for code in NORTH {
        provinces += ok(&app, &format!("/v1/regions/province/{code}")).await["population"]
            .as_i64()
            .unwrap_or_default();
    }
    assert_eq!(people, provinces);
    // The national report is another cache entry: still the whole country.
    let again = ok(&app, "/v1/coverage").await;
    assert_eq!(again["regions"].as_array().map(Vec::len), Some(342));
    assert_eq!(again["summary"], national["summary"]);
    let cached = app
        .get("/v1/coverage?ros_area=ros-noord")
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .expect("coverage");
    assert_eq!(
        cached
            .headers()
            .get("x-coverage-cache")
            .and_then(|v| v.to_str().ok()),
        Some("hit")
    );

    // Clipped by hand: ros-proef takes the western part of Groningen.
    let proef = ok(&app, "/v1/coverage?ros_area=ros-proef").await;
    let part = region(&proef, "GM0014");
    let whole = region(&national, "GM0014");
    let share = f(&part["area_km2"]) / f(&whole["area_km2"]);
    assert!(share > 0.05 && share < 0.95, "{share}");
    let proef_km2 = f(&ok(&app, "/v1/regions/ros_area/ros-proef").await["area_km2"]);
    let total: f64 = regions(&proef).iter().map(|r| f(&r["area_km2"])).sum();
    assert!(
        (total / proef_km2 - 1.0).abs() < 0.005,
        "{total} vs {proef_km2}"
    );
    let scaled = (243_768.0 * share).round();
    assert!(
        (f(&part["population"]) - scaled).abs() <= 1.0,
        "{part}: {scaled}"
    );
    assert!((f(&part["coverage"]) - 1.0).abs() < 1e-4, "{part}");
    assert_eq!(part["covered_km2"], part["area_km2"]);
    assert!(
        regions(&proef)
            .iter()
            .all(|r| r["code"] == "GM0014" || f(&r["covered_km2"]) == 0.0),
        "{proef}"
    );

    // PC4 areas of the north, clipped; provinces cannot be.
    let pc4 = ok(&app, "/v1/coverage?layer=pc4&ros_area=ros-noord").await;
    assert_eq!(pc4["layer"], "pc4");
    assert!(regions(&pc4).len() > 900, "{}", regions(&pc4).len());
    assert!(
        regions(&pc4)
            .iter()
            .all(|r| r["code"].as_str().is_some_and(|c| c >= "7000")),
        "only northern postcodes"
    );
    let total: f64 = regions(&pc4).iter().map(|r| f(&r["area_km2"])).sum();
    assert!(
        (total / area_km2 - 1.0).abs() < 0.01,
        "{total} vs {area_km2}"
    );
    assert!((f(&pc4["summary"]["covered_km2"]) / f(&groningen["area_km2"]) - 1.0).abs() < 0.01);

    // Every format holds the same regions.
    let geojson = ok(&app, "/v1/coverage?ros_area=ros-noord&format=geojson").await;
    assert_eq!(geojson["ros_area"], "ros-noord");
    let features = geojson["features"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    assert_eq!(features.len(), codes.len());
    let g = features
        .iter()
        .find(|f| f["id"] == "GM0014")
        .expect("GM0014");
    assert_eq!(g["properties"]["gap"]["coordinates"], json!([]));
    let proef_geojson = ok(&app, "/v1/coverage?ros_area=ros-proef&format=geojson").await;
    let clipped = multipolygon_from_geojson(&proef_geojson["features"][0]["geometry"]);
    let [w, s, e, n] = PROEF;
    assert!(
        clipped
            .0
            .iter()
            .flat_map(|p| p.exterior().coords())
            .all(|c| {
                (w - 1e-6..=e + 1e-6).contains(&c.x) && (s - 1e-6..=n + 1e-6).contains(&c.y)
            }),
        "the region's geometry is clipped to the area"
    );
    let csv = app
        .get("/v1/coverage?ros_area=ros-noord&format=csv")
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .expect("csv");
    assert!(
        csv.headers()
            .get("content-disposition")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|d| d.contains("ros-noord")),
    );
    let text = csv.text().await.expect("text");
    assert_eq!(text.lines().count(), codes.len() + 1);
    assert!(text.lines().all(|l| !l.starts_with("GM0935")));
    let svg = app
        .get("/v1/coverage?ros_area=ros-noord&format=svg")
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .expect("svg")
        .text()
        .await
        .expect("text");
    assert!(svg.contains("working area of ros-noord"), "{svg:.300}");
    assert!(svg.contains("Groningen (GM0014)") && !svg.contains("(GM0935)"));

    // One region of the area, and the networks reaching it; a region outside is not in it.
    let one = ok(&app, "/v1/coverage/regions/GM0014?ros_area=ros-noord").await;
    assert_eq!(one["ros_area"], "ros-noord");
    assert_eq!(one["networks"][0]["id"], city["id"]);
    let (status, _) = get(
        &app,
        "/v1/coverage/regions/GM0935?ros_area=ros-noord",
        Some(&app.staff_token),
    )
    .await;
    assert_eq!(status, 404);
    let matrix = ok(&app, "/v1/coverage/disciplines?ros_area=ros-noord").await;
    assert_eq!(matrix["ros_area"], "ros-noord");
    assert_eq!(
        matrix["regions"].as_array().map(Vec::len),
        Some(codes.len())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn who_may_read_which_area() {
    let app = spawn_app().await;
    import_ros_areas(&app).await;
    let no_org = app.token(&[Role::RosAdviser], None, "adviser-without-org");
    let no_role = app.token(&[], Some("ros-noord"), "nobody");
    let cases: [(&str, Option<&str>, &str, u16); 15] = [
        ("anonymous", None, "/v1/coverage?ros_area=ros-noord", 401),
        (
            "adviser",
            Some(&app.adviser_token),
            "/v1/coverage?ros_area=ros-noord",
            200,
        ),
        (
            "adviser",
            Some(&app.adviser_token),
            "/v1/coverage?layer=pc4&ros_area=ros-noord&format=csv",
            200,
        ),
        (
            "adviser",
            Some(&app.adviser_token),
            "/v1/coverage/regions/GM0014?ros_area=ros-noord",
            200,
        ),
        (
            "adviser",
            Some(&app.adviser_token),
            "/v1/coverage/disciplines?ros_area=ros-noord",
            200,
        ),
        (
            "adviser",
            Some(&app.adviser_token),
            "/v1/coverage?ros_area=ros-limburg",
            403,
        ),
        ("adviser", Some(&app.adviser_token), "/v1/coverage", 403),
        (
            "adviser",
            Some(&app.adviser_token),
            "/v1/coverage/trend",
            403,
        ),
        (
            "other adviser",
            Some(&app.other_adviser_token),
            "/v1/coverage?ros_area=ros-noord",
            403,
        ),
        (
            "other adviser",
            Some(&app.other_adviser_token),
            "/v1/coverage?ros_area=ros-zuid",
            404,
        ),
        (
            "adviser without org",
            Some(&no_org),
            "/v1/coverage?ros_area=ros-noord",
            403,
        ),
        (
            "no role",
            Some(&no_role),
            "/v1/coverage?ros_area=ros-noord",
            403,
        ),
        (
            "staff",
            Some(&app.staff_token),
            "/v1/coverage?ros_area=ros-limburg",
            200,
        ),
        ("staff", Some(&app.staff_token), "/v1/coverage", 200),
        (
            "admin",
            Some(&app.admin_token),
            "/v1/coverage?ros_area=ros-noord&format=geojson",
            200,
        ),
    ];
    let mut failed = Vec::new();
    for (who, token, path, want) in cases {
        let (got, body) = get(&app, path, token).await;
        if got != want {
            failed.push(format!("{who} {path}: {got}, not {want}: {body}"));
        }
        if (400..500).contains(&got) && got != 401 {
            assert_eq!(body["status"], got, "a problem document: {body}");
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
    // What the 403s and 404s say.
    let detail = |token: &str, path: &'static str| {
        let token = token.to_owned();
        let app = &app;
        async move {
            get(app, path, Some(&token)).await.1["detail"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        }
    };
    let d = detail(&app.adviser_token, "/v1/coverage").await;
    assert!(d.contains("ros_area=ros-noord"), "{d}");
    let d = detail(&app.adviser_token, "/v1/coverage?ros_area=ros-limburg").await;
    assert!(d.contains("`ros_area`") && d.contains("own"), "{d}");
    let d = detail(&no_org, "/v1/coverage?ros_area=ros-noord").await;
    assert!(d.contains("`ros_area`") && d.contains("`org`"), "{d}");
    let d = detail(&app.other_adviser_token, "/v1/coverage?ros_area=ros-zuid").await;
    assert!(
        d.contains("no working area") && d.contains("ros-zuid"),
        "{d}"
    );
    // An adviser's area report is the staff's.
    let mine = get(
        &app,
        "/v1/coverage?ros_area=ros-noord",
        Some(&app.adviser_token),
    )
    .await
    .1;
    let staff = ok(&app, "/v1/coverage?ros_area=ros-noord").await;
    assert_eq!(mine["summary"], staff["summary"]);
    assert_eq!(mine["regions"], staff["regions"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_ros_area_parameters_are_problems_naming_them() {
    let app = spawn_app().await;
    import_ros_areas(&app).await;
    for (query, parameter, code) in [
        ("ros_area=ROS-Noord", "ros_area", "invalid_format"),
        ("ros_area=r", "ros_area", "invalid_format"),
        ("ros_area=", "ros_area", "invalid_format"),
        ("ros_area=ros%20noord", "ros_area", "invalid_format"),
        (
            "layer=province&ros_area=ros-noord",
            "layer",
            "not_clippable",
        ),
        ("layer=ros_area", "layer", "not_a_report_layer"),
        ("ros_area=ros-noord&ros_area=ros-limburg", "ros_area", ""),
    ] {
        for path in ["/v1/coverage", "/v1/coverage/regions/GM0014"] {
            let (status, problem) =
                get(&app, &format!("{path}?{query}"), Some(&app.staff_token)).await;
            assert_eq!(status, 400, "{path}?{query}: {problem}");
            assert_eq!(
                problem["errors"][0]["parameter"], parameter,
                "{query}: {problem}"
            );
            if !code.is_empty() {
                assert_eq!(problem["errors"][0]["code"], code, "{query}: {problem}");
            }
        }
    }
    // Well-formed but unknown: a 404 that names the parameter.
    let (status, problem) = get(
        &app,
        "/v1/coverage?ros_area=ros-onbekend",
        Some(&app.staff_token),
    )
    .await;
    assert_eq!(status, 404, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("`ros_area`")),
        "{problem}"
    );
    // The adviser's own area with a province layer: the layer is the problem.
    let (status, problem) = get(
        &app,
        "/v1/coverage?layer=province&ros_area=ros-noord",
        Some(&app.adviser_token),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(problem["errors"][0]["parameter"], "layer");
}
