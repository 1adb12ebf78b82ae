//! Service areas: every class of bad geometry is a 422 naming the problem; good parts are
//! united into one area; region imports are all or nothing.

use onconet_test_support::fixtures::minimal_network;
use onconet_test_support::{TestApp, eventually, spawn_app, spawn_app_with, spawn_peer};
use serde_json::{Value, json};

fn with_area(area: Value) -> Value {
    let mut body = minimal_network("Gebied");
    body["service_area"] = area;
    body
}

fn square(x: f64, y: f64, d: f64) -> Value {
    json!([[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]])
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_geometry_is_refused_with_the_reason() {
    let app = spawn_app_with(|s| s.max_vertices = 50).await;
    let before = app.db_fingerprint().await;
    let many: Vec<Value> = (0..=60)
        .map(|i| {
            let a = f64::from(i) / 60.0 * std::f64::consts::TAU;
            json!([5.0 + 0.1 * a.cos(), 52.0 + 0.1 * a.sin()])
        })
        .collect();
    let cases = [
        (
            "not a polygon",
            json!({"geometry": {"type": "Point", "coordinates": [5.0, 52.0]}}),
            "/service_area/geometry",
            "not_a_polygon",
            "not Point",
        ),
        (
            "unclosed ring",
            json!({"geometry": {"type": "Polygon", "coordinates": [[[5.0, 52.0], [5.1, 52.0], [5.1, 52.1], [5.0, 52.1]]]}}),
            "/service_area/geometry",
            "unclosed_ring",
            "ring 0 is not closed",
        ),
        (
            "too few points",
            json!({"geometry": {"type": "Polygon", "coordinates": [[[5.0, 52.0], [5.1, 52.0], [5.0, 52.0]]]}}),
            "/service_area/geometry",
            "too_few_points",
            "ring 0 has 3 positions",
        ),
        (
            "self-intersection",
            json!({"geometry": {"type": "Polygon", "coordinates": [[[5.0, 52.0], [5.1, 52.1], [5.1, 52.0], [5.0, 52.1], [5.0, 52.0]]]}}),
            "/service_area/geometry",
            "self_intersection",
            "exterior ring has a self-intersection",
        ),
        (
            "hole outside its shell",
            json!({"geometry": {"type": "Polygon", "coordinates": [square(5.0, 52.0, 0.1)[0], square(6.0, 52.0, 0.1)[0]]}}),
            "/service_area/geometry",
            "hole_outside_shell",
            "interior ring at index 0 is not contained",
        ),
        (
            "overlapping parts",
            json!({"geometry": {"type": "MultiPolygon", "coordinates": [square(5.0, 52.0, 0.1), square(5.05, 52.0, 0.1)]}}),
            "/service_area/geometry",
            "overlapping_polygons",
            "polygons at indices 0 and 1 overlap",
        ),
        (
            "outside the Netherlands",
            json!({"geometry": {"type": "Polygon", "coordinates": square(13.3, 52.5, 0.1)}}),
            "/service_area/geometry",
            "outside_netherlands",
            "ring 0, position 0 (13.3, 52.5) lies outside",
        ),
        (
            "lat/lon swapped",
            json!({"geometry": {"type": "Polygon", "coordinates": square(52.0, 5.0, 0.1)}}),
            "/service_area/geometry",
            "outside_netherlands",
            "ring 0, position 0 (52, 5) lies outside",
        ),
        (
            "coordinates not numbers",
            json!({"geometry": {"type": "Polygon", "coordinates": [[["5", "52"]]]}}),
            "/service_area/geometry",
            "invalid_coordinates",
            "ring 0, position 0 is not [longitude, latitude]",
        ),
        (
            "too many vertices",
            json!({"geometry": {"type": "Polygon", "coordinates": [many]}}),
            "/service_area/geometry",
            "too_many_vertices",
            "at most 50",
        ),
        (
            "unknown municipality",
            json!({"municipalities": ["GM9999"]}),
            "/service_area/municipalities/0",
            "unknown_region",
            "`GM9999` is not a known municipality code",
        ),
        (
            "unknown postcode area",
            json!({"postcodes": ["1000"]}),
            "/service_area/postcodes/0",
            "unknown_region",
            "`1000` is not a known pc4 code",
        ),
        (
            "circle too large",
            json!({"circles": [{"lat": 52.0, "lon": 5.0, "radius_km": 150}]}),
            "/service_area/circles/0/radius_km",
            "out_of_range",
            "at most 100",
        ),
        (
            "unknown part",
            json!({"wkt": "POLYGON(...)"}),
            "/service_area/wkt",
            "unknown_field",
            "wkt",
        ),
        (
            "positions on a line",
            json!({"geometry": {"type": "Polygon", "coordinates": [[[5.0, 52.0], [5.1, 52.0], [5.2, 52.0], [5.0, 52.0]]]}}),
            "/service_area/geometry",
            "zero_area",
            "encloses no area",
        ),
        (
            "circle too small",
            json!({"circles": [{"lat": 52.0, "lon": 5.0, "radius_km": 5e-324}]}),
            "/service_area/circles/0/radius_km",
            "out_of_range",
            "at least 0.1",
        ),
        (
            "circle centred outside the Netherlands",
            json!({"circles": [{"lat": 52.5, "lon": 13.4, "radius_km": 5}]}),
            "/service_area/circles/0",
            "outside_netherlands",
            "the centre (13.4, 52.5) lies outside the Netherlands",
        ),
    ];
    for (what, area, pointer, code, detail) in cases {
        let r = app.create_network(&with_area(area)).await;
        assert_eq!(r.status(), 422, "{what}");
        assert_eq!(
            r.headers()["content-type"],
            "application/problem+json",
            "{what}"
        );
        let body: Value = r.json().await.expect("json");
        // The problem names what is wrong and where: the pointer, and in the detail the ring
        // and position (or the code) at fault.
        let listed = body["errors"].as_array().is_some_and(|e| {
            e.iter().any(|e| {
                e["pointer"] == pointer
                    && e["code"] == code
                    && e["detail"].as_str().is_some_and(|d| d.contains(detail))
            })
        });
        assert!(
            listed,
            "{what}: expected {pointer} {code} `{detail}` in {body}"
        );
    }
    // A NaN cannot even be written in JSON: the body is malformed.
    let nan = app
        .client
        .post(app.url("/v1/networks"))
        .bearer_auth(&app.staff_token)
        .header("Content-Type", "application/json")
        .body(r#"{"name": "x", "type": "oncology_care_network", "scale": "local", "service_area": {"circles": [{"lat": NaN, "lon": 5, "radius_km": 1}]}}"#)
        .send()
        .await
        .expect("post");
    assert_eq!(nan.status(), 400);
    // Nor an infinity: 1e999 is not a number JSON readers can hold.
    let infinite = app
        .client
        .post(app.url("/v1/networks"))
        .bearer_auth(&app.staff_token)
        .header("Content-Type", "application/json")
        .body(r#"{"name": "x", "type": "oncology_care_network", "scale": "local", "service_area": {"circles": [{"lat": 1e999, "lon": 5, "radius_km": 1}]}}"#)
        .send()
        .await
        .expect("post");
    assert_eq!(infinite.status(), 400);
    assert_eq!(
        infinite.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(app.db_fingerprint().await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn parts_are_united_into_one_area() {
    let app = spawn_app().await;
    let municipality: Value = app
        .get("/v1/regions/municipality/GM0014")
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let groningen_km2 = municipality["area_km2"].as_f64().expect("area");
    // The municipality plus a polygon inside it: the union is the municipality.
    let r = app
        .create_network(&with_area(json!({
            "municipalities": ["GM0014"],
            "geometry": {"type": "Polygon", "coordinates": square(6.55, 53.2, 0.02)}
        })))
        .await;
    assert_eq!(r.status(), 201);
    let n: Value = r.json().await.expect("json");
    let km2 = n["area_km2"].as_f64().expect("area_km2");
    assert!(
        (km2 / groningen_km2 - 1.0).abs() < 1e-3,
        "{km2} vs {groningen_km2}"
    );
    // Two overlapping circles count once; a far one adds its own area.
    let r = app
        .create_network(&with_area(json!({"circles": [
            {"lat": 52.0, "lon": 5.0, "radius_km": 10},
            {"lat": 52.0, "lon": 5.0, "radius_km": 5},
            {"lat": 53.0, "lon": 6.0, "radius_km": 10}
        ]})))
        .await;
    let n: Value = r.json().await.expect("json");
    let expected = 2.0 * std::f64::consts::PI * 100.0;
    let km2 = n["area_km2"].as_f64().expect("area_km2");
    assert!((km2 / expected - 1.0).abs() < 0.01, "{km2} vs {expected}");
    let feature: Value = app
        .get(&format!("/v1/networks/{}", n["id"].as_str().expect("id")))
        .bearer_auth(&app.staff_token)
        .header("Accept", "application/geo+json")
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(feature["geometry"]["type"], "MultiPolygon");
    assert_eq!(
        feature["geometry"]["coordinates"].as_array().map(Vec::len),
        Some(2)
    );
}

/// A region file of `(code, name, ring)` features.
fn write_regions(path: &std::path::Path, features: &[(&str, &str, Value)]) {
    let features: Vec<Value> = features
        .iter()
        .map(|(code, name, coordinates)| {
            json!({"type": "Feature", "properties": {"code": code, "name": name},
                   "geometry": {"type": "Polygon", "coordinates": coordinates}})
        })
        .collect();
    std::fs::write(
        path,
        json!({"type": "FeatureCollection", "features": features}).to_string(),
    )
    .expect("write");
}

/// `total_items` of a region layer on the server at `base`.
async fn layer_size(app: &TestApp, base: &str, layer: &str) -> Value {
    let list: Value = app
        .client
        .get(format!("{base}/v1/regions/{layer}?per_page=1"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    list["page"]["total_items"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_region_file_leaves_the_old_layer() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.geojson");
    write_regions(
        &bad,
        &[
            ("GM0001", "Goed", square(5.0, 52.0, 0.1)),
            (
                "GM0002",
                "Kapot",
                json!([[
                    [5.0, 52.0],
                    [5.1, 52.1],
                    [5.1, 52.0],
                    [5.0, 52.1],
                    [5.0, 52.0]
                ]]),
            ),
        ],
    );
    let out = app.import_regions("municipality", &bad, None);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("feature 1") && stderr.contains("self-intersection"),
        "{stderr}"
    );
    assert_eq!(
        layer_size(&app, &app.address, "municipality").await,
        342,
        "the old layer stays"
    );
    // In the database too: a new instance loads the layer from there.
    let (peer, _running) = spawn_peer(&app).await;
    assert_eq!(
        layer_size(&app, &peer, "municipality").await,
        342,
        "the old layer is stored"
    );
    assert_eq!(layer_size(&app, &app.address, "province").await, 12);

    // A good re-import replaces the layer (12 provinces → 2), and both running instances follow
    // without a restart.
    let two = dir.path().join("two.geojson");
    write_regions(
        &two,
        &[
            ("PV90", "West", square(4.0, 52.0, 0.5)),
            ("PV91", "Oost", square(6.0, 52.0, 0.5)),
        ],
    );
    let out = app.import_regions("province", &two, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for base in [app.address.clone(), peer.clone()] {
        eventually("the new province layer", || async {
            layer_size(&app, &base, "province").await == 2
        })
        .await;
    }
    let west: Value = app
        .get("/v1/regions/province/PV90")
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(west["name"], "West");
}

/// Re-importing a layer re-derives the areas of the networks that name its regions, and the
/// running server's search follows; a changed area is a new version (ETag, history, feed).
#[tokio::test(flavor = "multi_thread")]
async fn a_reimported_layer_reshapes_the_networks_that_name_it() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let import = |side: f64| {
        let file = dir.path().join(format!("municipalities-{side}.geojson"));
        write_regions(
            &file,
            &[
                ("GM9001", "Proef", square(5.0, 52.0, side)),
                ("GM9002", "Elders", square(6.0, 52.0, 0.1)),
            ],
        );
        let out = app.import_regions("municipality", &file, None);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    import(0.1);
    eventually("the imported layer", || async {
        layer_size(&app, &app.address, "municipality").await == 2
    })
    .await;
    let network = app
        .create_published(&with_area(json!({"municipalities": ["GM9001"]})))
        .await;
    let id = network["id"].as_str().expect("id").to_owned();
    let small = network["area_km2"].as_f64().expect("area_km2");
    // Whether the search finds the network at a point in the larger square only.
    let found_outside_the_old = || async {
        let found: Value = app
            .get("/v1/search?lat=52.15&lon=5.15&radius_km=0")
            .send()
            .await
            .expect("search")
            .json()
            .await
            .expect("json");
        found["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|h| h["network"]["id"] == id.as_str()))
    };
    assert!(!found_outside_the_old().await);

    // Twice the side: four times the area, and the search finds it in the new part.
    import(0.2);
    eventually("the re-derived area", || async {
        let now: Value = app
            .get(&format!("/v1/networks/{id}"))
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        let ratio = now["area_km2"].as_f64().unwrap_or(0.0) / small;
        (ratio - 4.0).abs() < 0.05 && found_outside_the_old().await
    })
    .await;

    // What the network covers changed, so its version did: a new ETag, a revision saying why,
    // and an entry in the change feed for the sites that sync.
    let version = network["version"].as_i64().expect("version");
    let after = app
        .get(&format!("/v1/networks/{id}"))
        .send()
        .await
        .expect("get");
    assert_eq!(
        after.headers().get("etag").and_then(|v| v.to_str().ok()),
        Some(format!("\"v{}\"", version + 1).as_str())
    );
    let history: Value = app
        .get(&format!("/v1/networks/{id}/history"))
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .expect("history")
        .json()
        .await
        .expect("json");
    let last = history["items"]
        .as_array()
        .and_then(|items| items.last())
        .expect("a revision");
    assert_eq!(last["action"], "area_rederived", "{last}");
    assert_eq!(last["version"], version + 1);
    assert_eq!(last["changes"][0]["field"], "area_km2", "{last}");
    // The API rounds area_km2 to 0.001 km²; the revision keeps it whole.
    assert!((last["changes"][0]["old"].as_f64().unwrap_or_default() - small).abs() < 1e-3);
    let feed: Value = app
        .get("/v1/changes?since=0&limit=500")
        .send()
        .await
        .expect("feed")
        .json()
        .await
        .expect("json");
    let entry = feed["items"]
        .as_array()
        .and_then(|items| items.iter().rev().find(|e| e["network_id"] == id.as_str()))
        .expect("a feed entry");
    assert_eq!(entry["kind"], "updated", "{entry}");
    assert_eq!(entry["version"], version + 1, "{entry}");

    // The same layer once more changes no area: no new version.
    import(0.2);
    let again: Value = app
        .get(&format!("/v1/networks/{id}"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(again["version"], version + 1, "{again}");
}
