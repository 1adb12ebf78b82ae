//! "Find a network": `/v1/search` and `/v1/here`, kept in step with writes on every instance.

use onconet_test_support::{TestApp, spawn_app, spawn_peer};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn network(name: &str, kind: &str, area: Value, disciplines: Value, tumour_types: Value) -> Value {
    json!({"name": name, "type": kind, "scale": "regional", "lifecycle": "active",
           "disciplines": disciplines, "tumour_types": tumour_types, "service_area": area})
}

async fn search(app: &TestApp, base: &str, query: &str) -> Value {
    let r = app
        .client
        .get(format!("{base}/v1/search?{query}"))
        .send()
        .await
        .expect("search");
    assert_eq!(r.status(), 200, "{query}");
    r.json().await.expect("json")
}

fn names(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|h| h["network"]["name"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Groningen (municipality), a 12 km circle around Haren, Amsterdam, a regional network
/// over three northern municipalities and an expert panel for sarcoma over Groningen.
async fn registry(app: &TestApp) -> Vec<Value> {
    let mut out = Vec::new();
    for body in [
        network(
            "Stad Groningen",
            "oncology_care_network",
            json!({"municipalities": ["GM0014"]}),
            json!(["physiotherapy", "dietetics"]),
            json!([]),
        ),
        network(
            "Rondom Haren",
            "oncology_care_network",
            json!({"circles": [{"lat": 53.17, "lon": 6.60, "radius_km": 12}]}),
            json!(["physiotherapy"]),
            json!([]),
        ),
        network(
            "Amsterdam Zuid",
            "oncology_care_network",
            json!({"postcodes": ["1071", "1072", "1073"]}),
            json!(["physiotherapy"]),
            json!([]),
        ),
        network(
            "Regio Noord",
            "regional_oncology_network",
            json!({"municipalities": ["GM0014", "GM0106", "GM0080"]}),
            json!([]),
            json!([]),
        ),
        network(
            "Sarcoompanel Noord",
            "expert_panel",
            json!({"municipalities": ["GM0014"]}),
            json!([]),
            json!(["sarcoma"]),
        ),
    ] {
        out.push(app.create_published(&body).await);
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn search_by_point_postcode_and_municipality() {
    let app = spawn_app().await;
    registry(&app).await;
    let base = app.address.clone();

    // 9713 is in the city of Groningen: covered by the city network, the region and the panel,
    // and the Haren circle is near; Amsterdam is far away.
    let found = search(&app, &base, "postcode=9713").await;
    assert_eq!(found["place"]["postcode"], "9713");
    assert_eq!(found["place"]["municipality"]["name"], "Groningen");
    let items = found["items"].as_array().expect("items");
    let covering: Vec<&str> = items
        .iter()
        .filter(|h| h["covers"] == true)
        .filter_map(|h| h["network"]["name"].as_str())
        .collect();
    assert!(
        covering.contains(&"Stad Groningen")
            && covering.contains(&"Regio Noord")
            && covering.contains(&"Sarcoompanel Noord"),
        "{covering:?}"
    );
    // All at 0 km: ordered by name.
    let mut by_name = covering.clone();
    by_name.sort_unstable();
    assert_eq!(covering, by_name);
    assert!(
        items
            .iter()
            .all(|h| (h["covers"] == true) == (h["distance_km"] == 0.0))
    );
    assert!(!names(&found).contains(&"Amsterdam Zuid".to_owned()));
    let distances: Vec<f64> = items
        .iter()
        .filter_map(|h| h["distance_km"].as_f64())
        .collect();
    assert!(
        distances.windows(2).all(|w| w[0] <= w[1]),
        "nearest first: {distances:?}"
    );

    // The same with spaces and letters, and by municipality.
    assert_eq!(
        names(&search(&app, &base, "postcode=9713%20ab").await),
        names(&found)
    );
    let by_municipality = search(
        &app,
        &base,
        "municipality=GM0014&type=oncology_care_network",
    )
    .await;
    let first = &by_municipality["items"][0];
    assert_eq!(first["covers"], true);
    assert!(names(&by_municipality).contains(&"Stad Groningen".to_owned()));

    // A point in Amsterdam (Museumplein, PC4 1071) finds the Amsterdam network only.
    let amsterdam = search(&app, &base, "lat=52.3579&lon=4.8816").await;
    assert_eq!(names(&amsterdam), ["Amsterdam Zuid"]);
    assert_eq!(amsterdam["items"][0]["covers"], true);

    // Filters: all of the disciplines; any of the types; radius.
    assert_eq!(
        names(
            &search(
                &app,
                &base,
                "postcode=9713&discipline=physiotherapy,dietetics"
            )
            .await
        ),
        ["Stad Groningen"]
    );
    assert_eq!(
        names(&search(&app, &base, "postcode=9713&type=expert_panel").await),
        ["Sarcoompanel Noord"]
    );
    assert_eq!(
        names(&search(&app, &base, "postcode=9713&tumour_type=sarcoma").await),
        ["Sarcoompanel Noord"]
    );
    let far = search(&app, &base, "lat=52.0&lon=5.1&radius_km=100").await;
    assert!(names(&far).contains(&"Amsterdam Zuid".to_owned()));
    assert!(
        far["items"][0]["distance_km"]
            .as_f64()
            .is_some_and(|d| d > 30.0 && d < 60.0),
        "{}",
        far["items"][0]
    );
    assert_eq!(
        search(&app, &base, "lat=52.0&lon=5.1&radius_km=10").await["items"],
        json!([])
    );

    // GeoJSON answer.
    let geo = app
        .client
        .get(format!("{base}/v1/search?postcode=9713&format=geojson"))
        .send()
        .await
        .expect("search");
    assert_eq!(geo.headers()["content-type"], "application/geo+json");
    let geo: Value = geo.json().await.expect("json");
    assert_eq!(geo["type"], "FeatureCollection");
    assert_eq!(geo["features"][0]["geometry"]["type"], "MultiPolygon");
    // The index writes each area from its polygons: the very document the network stores.
    for feature in geo["features"].as_array().expect("features") {
        let id = feature["id"].as_str().expect("id");
        let stored: Value = app
            .get(&format!("/v1/networks/{id}"))
            .header("Accept", "application/geo+json")
            .send()
            .await
            .expect("network")
            .json()
            .await
            .expect("json");
        assert_eq!(feature["geometry"], stored["geometry"], "{id}");
    }

    // Caching: ETag + 304, CORS for any origin.
    let first = app
        .client
        .get(format!("{base}/v1/search?postcode=9713"))
        .header("Origin", "https://example.org")
        .send()
        .await
        .expect("search");
    assert_eq!(first.headers()["access-control-allow-origin"], "*");
    assert!(
        first.headers()["cache-control"]
            .to_str()
            .unwrap_or("")
            .contains("max-age")
    );
    let etag = first.headers()["etag"].to_str().expect("etag").to_owned();
    let again = app
        .client
        .get(format!("{base}/v1/search?postcode=9713"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("search");
    assert_eq!(again.status(), 304);
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{base}/v1/search"))
        .header("Origin", "https://example.org")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .expect("preflight");
    assert!(preflight.status().is_success(), "{}", preflight.status());

    // A write changes the answer's ETag: the old one no longer gets 304.
    app.create_published(&network(
        "Nieuw in Groningen",
        "oncology_care_network",
        json!({"municipalities": ["GM0014"]}),
        json!([]),
        json!([]),
    ))
    .await;
    let after = app
        .client
        .get(format!("{base}/v1/search?postcode=9713"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("search");
    assert_eq!(after.status(), 200);
    assert_ne!(after.headers()["etag"].to_str().expect("etag"), etag);
}

/// The details of the place and the filters: postcode forms, 1012 in Amsterdam, the default
/// radius of 25 km, the lifecycle filter.
#[tokio::test(flavor = "multi_thread")]
async fn search_places_radius_and_lifecycle() {
    let app = spawn_app().await;
    registry(&app).await;
    let base = app.address.clone();
    let plain = names(&search(&app, &base, "postcode=9713").await);
    assert!(!plain.is_empty());
    assert_eq!(names(&search(&app, &base, "postcode=9713AB").await), plain);
    let dam = search(&app, &base, "postcode=1012").await;
    assert_eq!(dam["place"]["municipality"]["name"], "Amsterdam");
    assert_eq!(dam["place"]["province"]["name"], "Noord-Holland");
    // Postcode areas whose own interior point lies in water (1095, 1086: the IJ) or in a
    // Belgian enclave (5111, Baarle) still resolve to the municipality they mostly lie in.
    for (pc4, municipality) in [
        ("1095", "Amsterdam"),
        ("1086", "Amsterdam"),
        ("5111", "Baarle-Nassau"),
    ] {
        let found = search(&app, &base, &format!("postcode={pc4}")).await;
        assert_eq!(
            found["place"]["municipality"]["name"], municipality,
            "{pc4}: {}",
            found["place"]
        );
    }

    // 30 km north of the centre of the 12 km Haren circle: about 18 km from its edge. Found
    // with the default radius (25 km), not within 10 km.
    let north = "lat=53.44&lon=6.60";
    let default = search(&app, &base, north).await;
    assert_eq!(default["radius_km"], 25.0);
    let haren = default["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|h| h["network"]["name"] == "Rondom Haren")
        .unwrap_or_else(|| panic!("not found: {default}"));
    assert!(
        haren["distance_km"]
            .as_f64()
            .is_some_and(|d| (17.0..19.0).contains(&d)),
        "{haren}"
    );
    assert!(
        !names(&search(&app, &base, &format!("{north}&radius_km=10")).await)
            .contains(&"Rondom Haren".to_owned())
    );

    let twice: Value = app
        .get("/v1/search?postcode=9713&per_page=1&per_page=2")
        .send()
        .await
        .expect("search")
        .json()
        .await
        .expect("json");
    assert_eq!(twice["errors"][0]["code"], "repeated", "{twice}");
    // A list parameter may be repeated instead of comma-separated.
    assert_eq!(
        names(
            &search(
                &app,
                &base,
                "postcode=9713&type=expert_panel&type=oncology_care_network"
            )
            .await
        ),
        names(
            &search(
                &app,
                &base,
                "postcode=9713&type=expert_panel,oncology_care_network"
            )
            .await
        )
    );

    // Every registry network is active.
    assert_eq!(
        names(&search(&app, &base, "postcode=9713&lifecycle=active").await),
        plain
    );
    assert_eq!(
        search(&app, &base, "postcode=9713&lifecycle=in_formation,inactive").await["items"],
        json!([])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn here_answers_everything_for_a_place() {
    let app = spawn_app().await;
    registry(&app).await;
    let r = app
        .get("/v1/here?postcode=9713&tumour_type=sarcoma")
        .send()
        .await
        .expect("here");
    assert_eq!(r.status(), 200);
    let here: Value = r.json().await.expect("json");
    assert_eq!(here["place"]["municipality"]["code"], "GM0014");
    assert_eq!(here["place"]["province"]["name"], "Groningen");
    let care: Vec<&str> = here["care_networks"]
        .as_array()
        .expect("care")
        .iter()
        .filter_map(|n| n["name"].as_str())
        .collect();
    assert!(care.contains(&"Stad Groningen"), "{care:?}");
    assert_eq!(here["regional_network"]["name"], "Regio Noord");
    assert_eq!(here["expert_panels"][0]["name"], "Sarcoompanel Noord");
    let lung: Value = app
        .get("/v1/here?postcode=9713&tumour_type=lung")
        .send()
        .await
        .expect("here")
        .json()
        .await
        .expect("json");
    assert_eq!(lung["expert_panels"], json!([]));
    let nowhere: Value = app
        .get("/v1/here?lat=51.44&lon=3.58")
        .send()
        .await
        .expect("here")
        .json()
        .await
        .expect("json");
    assert_eq!(nowhere["care_networks"], json!([]));
    assert_eq!(nowhere["regional_network"], Value::Null);

    // Regional networks nest: the smallest covering one is `regional_network`, and the list
    // runs from small to large whatever the names. Without a tumour type every panel is listed.
    app.create_published(&network(
        "Aaa Groot",
        "regional_oncology_network",
        json!({"municipalities": ["GM0014", "GM0106", "GM0080", "GM0034"]}),
        json!([]),
        json!([]),
    ))
    .await;
    app.create_published(&network(
        "Zzz Stad",
        "regional_oncology_network",
        json!({"circles": [{"lat": 53.2194, "lon": 6.5665, "radius_km": 3}]}),
        json!([]),
        json!([]),
    ))
    .await;
    let nested: Value = app
        .get("/v1/here?postcode=9713")
        .send()
        .await
        .expect("here")
        .json()
        .await
        .expect("json");
    assert_eq!(nested["regional_network"]["name"], "Zzz Stad");
    let order: Vec<&str> = nested["regional_networks"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|n| n["name"].as_str())
        .collect();
    assert_eq!(order, ["Zzz Stad", "Regio Noord", "Aaa Groot"]);
    assert_eq!(nested["expert_panels"][0]["name"], "Sarcoompanel Noord");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_places_are_problems() {
    let app = spawn_app().await;
    for (query, status, parameter) in [
        ("", 400, Some("lat")),
        ("lat=52.1", 400, Some("lon")),
        ("lat=abc&lon=5", 400, Some("lat")),
        ("lat=91&lon=5", 422, Some("lat")),
        ("lat=52&lon=-181", 422, Some("lon")),
        ("lat=NaN&lon=5", 400, Some("lat")),
        ("lat=52&lon=5&radius_km=101", 422, Some("radius_km")),
        ("lat=52&lon=5&radius_km=-1", 422, Some("radius_km")),
        ("postcode=12", 400, Some("postcode")),
        // A parameter that takes one value, given twice, is named as such.
        ("postcode=9713&per_page=1&per_page=2", 400, Some("per_page")),
        ("lat=53.2&lat=53.3&lon=6.5", 400, Some("lat")),
        // Digits that are not ASCII (fullwidth, Arabic-Indic) once panicked a worker.
        (
            "postcode=%EF%BC%99%EF%BC%97%EF%BC%91%EF%BC%91",
            400,
            Some("postcode"),
        ),
        ("postcode=9%D9%A7%D9%A1%D9%A1", 400, Some("postcode")),
        ("postcode=1000", 404, None),
        ("municipality=GM9999", 404, None),
        ("municipality=Groningen", 400, Some("municipality")),
        ("postcode=9713&municipality=GM0014", 400, None),
        (
            "postcode=9713&discipline=astrology",
            400,
            Some("discipline"),
        ),
        ("postcode=9713&per_page=101", 400, Some("per_page")),
        ("postcode=9713&format=kml", 400, Some("format")),
        ("postcode=9713&colour=red", 400, None),
    ] {
        let r = app
            .get(&format!("/v1/search?{query}"))
            .send()
            .await
            .expect("search");
        assert_eq!(r.status(), status, "{query}");
        assert_eq!(
            r.headers()["content-type"],
            "application/problem+json",
            "{query}"
        );
        let body: Value = r.json().await.expect("json");
        if status == 422 {
            assert_eq!(body["title"], "A query parameter is not valid", "{query}");
        }
        if let Some(p) = parameter {
            assert!(
                body["errors"]
                    .as_array()
                    .is_some_and(|e| e.iter().any(|e| e["parameter"] == p)),
                "{query}: {body}"
            );
        }
    }
    assert_eq!(
        app.get("/v1/here?tumour_type=lung")
            .send()
            .await
            .expect("here")
            .status(),
        400
    );
    assert_eq!(
        app.get("/v1/here?postcode=9713&tumour_type=astrology")
            .send()
            .await
            .expect("here")
            .status(),
        400
    );
}

/// Polls `query` on `base` until `check` holds; returns how long that took.
async fn until_visible(
    app: &TestApp,
    base: &str,
    query: &str,
    check: impl Fn(&Value) -> bool,
) -> Duration {
    let start = Instant::now();
    loop {
        let v = search(app, base, query).await;
        if check(&v) {
            return start.elapsed();
        }
        // No wall-clock limit worth the name in a test (machines are noisy): the time is
        // printed, and only a change that never arrives fails.
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{base}: not visible after 30 s: {v}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn changes_reach_every_instance() {
    let app = spawn_app().await;
    let (peer, _handle) = spawn_peer(&app).await;
    let body = network(
        "Nieuw in Utrecht",
        "oncology_care_network",
        json!({"municipalities": ["GM0344"]}),
        json!([]),
        json!([]),
    );
    let published = app.create_published(&body).await;
    let query = "lat=52.0907&lon=5.1214";
    let has = |v: &Value| names(v).contains(&"Nieuw in Utrecht".to_owned());
    let here = until_visible(&app, &app.address, query, has).await;
    let there = until_visible(&app, &peer, query, has).await;
    eprintln!(
        "published network searchable after {here:?} on the writing instance, {there:?} more on the peer"
    );

    // Move the area to Amsterdam on the peer: both instances follow.
    let id = published["id"].as_str().expect("id");
    let r = app
        .client
        .patch(format!("{peer}/v1/networks/{id}"))
        .bearer_auth(&app.staff_token)
        .header("If-Match", format!("\"v{}\"", published["version"]))
        .json(&json!({"service_area": {"municipalities": ["GM0363"]}}))
        .send()
        .await
        .expect("patch");
    assert_eq!(
        r.status(),
        200,
        "the peer accepts tokens of the same development key"
    );
    let etag = r.headers()["etag"].to_str().expect("etag").to_owned();
    let gone = |v: &Value| {
        !names(v).iter().any(|n| n == "Nieuw in Utrecht") || v["items"][0]["covers"] == false
    };
    until_visible(&app, &app.address, &format!("{query}&radius_km=1"), |v| {
        gone(v)
    })
    .await;
    until_visible(&app, &app.address, "lat=52.3702&lon=4.8952", has).await;
    until_visible(&app, &peer, "lat=52.3702&lon=4.8952", has).await;

    // Archived: out of the index everywhere.
    let r = app
        .client
        .post(format!("{}/v1/networks/{id}/transitions", app.address))
        .bearer_auth(&app.staff_token)
        .header("If-Match", etag)
        .json(&json!({"to": "archived"}))
        .send()
        .await
        .expect("archive");
    assert_eq!(r.status(), 200);
    until_visible(&app, &peer, "lat=52.3702&lon=4.8952", |v| !has(v)).await;
}

/// Even-odd ray casting over the rings of a GeoJSON Polygon or MultiPolygon: the independent
/// point-in-polygon reference, written here apart from the server's geometry code.
fn ray_cast_covers(geometry: &Value, lon: f64, lat: f64) -> bool {
    let polygons: Vec<&Value> = match geometry["type"].as_str() {
        Some("Polygon") => vec![&geometry["coordinates"]],
        Some("MultiPolygon") => geometry["coordinates"]
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    polygons.iter().any(|rings| {
        let mut inside = false;
        for ring in rings.as_array().into_iter().flatten() {
            let points: Vec<(f64, f64)> = ring
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| Some((p[0].as_f64()?, p[1].as_f64()?)))
                .collect();
            for w in points.windows(2) {
                let ((x1, y1), (x2, y2)) = (w[0], w[1]);
                if (y1 > lat) != (y2 > lat) && lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1) {
                    inside = !inside;
                }
            }
        }
        inside
    })
}

/// Issue 3: the covering networks of `/v1/search` agree exactly with an independent
/// point-in-polygon test on 1,000 seeded points, over areas of every kind (municipalities,
/// postcodes, a polygon with a hole, a MultiPolygon, circles and mixes).
#[tokio::test(flavor = "multi_thread")]
async fn covering_networks_agree_with_ray_casting_on_1000_points() {
    let app = spawn_app().await;
    let square = |x0: f64, y0: f64, x1: f64, y1: f64| {
        json!([[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]])
    };
    let mut areas = vec![
        json!({"municipalities": ["GM0344"]}),
        json!({"municipalities": ["GM0307", "GM0310"]}),
        json!({"municipalities": ["GM0356", "GM0321"]}),
        json!({"postcodes": ["3511", "3512", "3581"]}),
        json!({"geometry": {"type": "Polygon", "coordinates": [
            square(5.0, 52.0, 5.2, 52.15), square(5.08, 52.06, 5.12, 52.09)]}}),
        json!({"geometry": {"type": "MultiPolygon", "coordinates": [
            [square(5.25, 51.98, 5.3, 52.02)], [square(5.32, 52.2, 5.4, 52.24)]]}}),
        json!({"circles": [{"lat": 52.1, "lon": 5.3, "radius_km": 6}, {"lat": 52.0, "lon": 5.0, "radius_km": 4}]}),
        json!({"municipalities": ["GM0355"], "circles": [{"lat": 52.2, "lon": 5.2, "radius_km": 3}]}),
    ];
    for i in 0..12 {
        let f = f64::from(i);
        areas.push(json!({"circles": [{
            "lat": 51.97 + (f * 0.37) % 0.26,
            "lon": 4.97 + (f * 0.61) % 0.46,
            "radius_km": 2.0 + f % 6.0,
        }]}));
    }
    let mut networks = Vec::new();
    for (i, area) in areas.into_iter().enumerate() {
        let published = app
            .create_published(&network(
                &format!("Gebied {i}"),
                "oncology_care_network",
                area,
                json!([]),
                json!([]),
            ))
            .await;
        let id = published["id"].as_str().expect("id").to_owned();
        let feature: Value = app
            .get(&format!("/v1/networks/{id}"))
            .header("Accept", "application/geo+json")
            .send()
            .await
            .expect("feature")
            .json()
            .await
            .expect("json");
        networks.push((id, feature["geometry"].clone()));
    }
    let mut seed: u64 = 1;
    let mut next = || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let (mut covered, mut several, mut mismatches) = (0, 0, Vec::new());
    for _ in 0..1000 {
        let (lat, lon) = (51.95 + next() * 0.3, 4.95 + next() * 0.5);
        let answer = search(
            &app,
            &app.address,
            &format!("lat={lat}&lon={lon}&radius_km=0&per_page=100"),
        )
        .await;
        let mut found: Vec<String> = answer["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|h| h["covers"] == true)
            .filter_map(|h| h["network"]["id"].as_str().map(str::to_owned))
            .collect();
        let mut expected: Vec<String> = networks
            .iter()
            .filter(|(_, g)| ray_cast_covers(g, lon, lat))
            .map(|(id, _)| id.clone())
            .collect();
        found.sort();
        expected.sort();
        if found != expected {
            mismatches.push(format!(
                "({lat}, {lon}): search {found:?}, ray casting {expected:?}"
            ));
        }
        covered += usize::from(!expected.is_empty());
        several += usize::from(expected.len() > 1);
    }
    assert!(
        mismatches.is_empty(),
        "{} of 1000 differ: {:?}",
        mismatches.len(),
        &mismatches[..mismatches.len().min(5)]
    );
    // Enough covered and overlapping points for the agreement to mean something.
    assert!(
        covered >= 300 && several >= 50,
        "{covered} covered, {several} by several"
    );
}

/// `view=summary`: what the widget shows of each hit, and nothing else; the same hits in the
/// same order as the whole profiles.
#[tokio::test]
async fn the_summary_view_carries_what_a_widget_shows() {
    let app = spawn_app().await;
    let mut body = onconet_test_support::fixtures::full_network();
    body["lifecycle"] = json!("active");
    app.create_published(&body).await;
    let full = search(&app, &app.address, "municipality=GM0014").await;
    let summary = search(&app, &app.address, "municipality=GM0014&view=summary").await;
    assert_eq!(names(&full), names(&summary));
    let hit = &summary["items"][0];
    assert_eq!(hit["covers"], true);
    let mut keys: Vec<&str> = hit["network"]
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "contacts",
            "disciplines",
            "id",
            "name",
            "tumour_types",
            "type",
            "website"
        ]
    );
    assert_eq!(hit["network"]["id"], full["items"][0]["network"]["id"]);
    assert_eq!(
        hit["network"]["contacts"].as_array().map(Vec::len),
        Some(1),
        "the public contact only"
    );
    let text = summary.to_string();
    assert!(!text.contains(onconet_test_support::fixtures::PRIVATE_CONTACT_EMAIL));
    assert!(
        text.len() * 3 < full.to_string().len(),
        "a fraction of the bytes"
    );
    let geo = search(
        &app,
        &app.address,
        "municipality=GM0014&view=summary&format=geojson",
    )
    .await;
    assert_eq!(geo["features"][0]["properties"]["network"], hit["network"]);
    for bad in ["view=compact", "view=", "view=summary&view=full"] {
        let r = app
            .get(&format!("/v1/search?municipality=GM0014&{bad}"))
            .send()
            .await
            .expect("search");
        assert_eq!(r.status(), 400, "{bad}");
    }
}
