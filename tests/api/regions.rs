//! `/v1/regions`: the imported CBS layers.

use onconet_test_support::{eventually, reference_data, spawn_app};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn layers_list_and_single_regions() {
    let app = spawn_app().await;
    let list: Value = app
        .get("/v1/regions/municipality?per_page=10")
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(list["page"]["total_items"], 342);
    assert_eq!(list["items"].as_array().map(Vec::len), Some(10));
    let provinces: Value = app
        .get("/v1/regions/province")
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(provinces["page"]["total_items"], 12);
    let pc4: Value = app
        .get("/v1/regions/pc4?per_page=1")
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(pc4["page"]["total_items"], 4067);

    let groningen: Value = app
        .get("/v1/regions/municipality/GM0014")
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(groningen["name"], "Groningen");
    // The 2024 CSV and the GeoJSON agree here; the_population_file_wins_over_the_geojson
    // tells them apart.
    assert_eq!(groningen["population"], 243_768);
    assert!(
        groningen["area_km2"]
            .as_f64()
            .is_some_and(|a| (190.0..205.0).contains(&a)),
        "{}",
        groningen["area_km2"]
    );

    // A single region carries an ETag, one per representation, and answers 304 to it.
    let json_tag = app
        .get("/v1/regions/municipality/GM0014")
        .send()
        .await
        .expect("get")
        .headers()["etag"]
        .to_str()
        .expect("etag")
        .to_owned();
    let unchanged = app
        .get("/v1/regions/municipality/GM0014")
        .header("If-None-Match", &json_tag)
        .send()
        .await
        .expect("get");
    assert_eq!(unchanged.status(), 304);
    let feature = app
        .get("/v1/regions/municipality/GM0014")
        .header("Accept", "application/geo+json")
        .header("If-None-Match", &json_tag)
        .send()
        .await
        .expect("get");
    assert_eq!(
        feature.status(),
        200,
        "the JSON tag does not confirm the Feature"
    );
    assert_ne!(feature.headers()["etag"].to_str().expect("etag"), json_tag);
    assert_eq!(feature.headers()["content-type"], "application/geo+json");
    let feature: Value = feature.json().await.expect("json");
    assert_eq!(feature["type"], "Feature");
    assert_eq!(feature["geometry"]["type"], "MultiPolygon");
    assert_eq!(feature["properties"]["code"], "GM0014");
    let collection: Value = app
        .get("/v1/regions/province?format=geojson")
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(collection["features"].as_array().map(Vec::len), Some(12));

    for (path, status) in [
        ("/v1/regions/wijk", 404),
        ("/v1/regions/municipality/GM9999", 404),
        ("/v1/regions/municipality?per_page=0", 400),
        ("/v1/regions/municipality?format=kml", 400),
        ("/v1/regions/municipality/GM0014?colour=red", 400),
    ] {
        let r = app.get(path).send().await.expect("get");
        assert_eq!(r.status(), status, "{path}");
        assert_eq!(
            r.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
    }
}

/// `--population` wins over the file's own figures: the 2023 CSV gives Groningen 238,147
/// inhabitants where the GeoJSON (and the 2024 CSV the suite imports) say 243,768.
#[tokio::test(flavor = "multi_thread")]
async fn the_population_file_wins_over_the_geojson() {
    let app = spawn_app().await;
    let population = || async {
        let groningen: Value = app
            .get("/v1/regions/municipality/GM0014")
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        groningen["population"].clone()
    };
    assert_eq!(population().await, 243_768);
    let data = reference_data();
    let out = app.import_regions(
        "municipality",
        &data.join("gemeenten-2024-simplified.geojson"),
        Some(&data.join("bevolking-gemeenten-2023.csv")),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The server follows through LISTEN/NOTIFY.
    eventually("the new population", || async {
        population().await == 238_147
    })
    .await;
}

/// Positions in a GeoJSON FeatureCollection of MultiPolygons.
fn positions(collection: &Value) -> usize {
    collection["features"]
        .as_array()
        .map(|features| {
            features
                .iter()
                .filter_map(|f| f["geometry"]["coordinates"].as_array())
                .flatten()
                .filter_map(Value::as_array)
                .flatten()
                .filter_map(Value::as_array)
                .map(Vec::len)
                .sum()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn outlines_simplified_per_zoom_level() {
    let app = spawn_app().await;
    let get = |query: &str| {
        let app = &app;
        let query = query.to_owned();
        async move {
            app.get(&format!("/v1/regions/municipality?per_page=500{query}"))
                .header("Accept", "application/geo+json")
                .send()
                .await
                .expect("get")
        }
    };
    let full: Value = get("").await.json().await.expect("json");
    let mut last = positions(&full);
    let mut sizes = Vec::new();
    for zoom in [13, 11, 9, 7] {
        let r = get(&format!("&zoom={zoom}")).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/geo+json");
        let body = r.bytes().await.expect("body");
        let bytes = body.len();
        let layer: Value = serde_json::from_slice(&body).expect("json");
        // Every region stays, with its properties, as a valid-looking MultiPolygon.
        assert_eq!(layer["features"].as_array().map(Vec::len), Some(342));
        assert_eq!(
            layer["features"][0]["properties"],
            full["features"][0]["properties"]
        );
        for f in layer["features"].as_array().into_iter().flatten() {
            let polygons = f["geometry"]["coordinates"].as_array().expect("polygons");
            assert!(!polygons.is_empty(), "{}", f["id"]);
            for ring in polygons.iter().filter_map(Value::as_array).flatten() {
                let ring = ring.as_array().expect("ring");
                assert!(
                    ring.len() >= 4 && ring.first() == ring.last(),
                    "{}",
                    f["id"]
                );
            }
        }
        let n = positions(&layer);
        assert!(
            n <= last,
            "zoom {zoom}: {n} positions, more than the finer level's {last}"
        );
        last = n;
        sizes.push(format!("zoom {zoom}: {bytes} bytes, {n} positions"));
    }
    assert!(
        last * 5 < positions(&full),
        "zoom 7 is much coarser: {last}"
    );
    println!(
        "municipality outlines: full {} positions; {}",
        positions(&full),
        sizes.join("; ")
    );

    // Bad zoom levels, and zoom without GeoJSON, are problem documents naming the parameter.
    for query in ["&zoom=19", "&zoom=-1", "&zoom=8.5", "&zoom=far", "&zoom="] {
        let r = get(query).await;
        assert_eq!(r.status(), 400, "{query}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let body: Value = r.json().await.expect("json");
        assert_eq!(body["errors"][0]["parameter"], "zoom", "{query}: {body}");
    }
    let json = app
        .get("/v1/regions/municipality?zoom=8")
        .send()
        .await
        .expect("get");
    assert_eq!(json.status(), 400);
    let body: Value = json.json().await.expect("json");
    assert_eq!(body["errors"][0]["code"], "not_allowed");
}
