//! `GET /v1/exports/networks`: who sees what, formula neutralising, and the round trip: every
//! format exported from one registry and imported into an empty one gives the same profiles,
//! field by field.

use onconet_test_support::fixtures::{PRIVATE_CONTACT_EMAIL, full_network, minimal_network};
use onconet_test_support::{TestApp, spawn_app};
use serde_json::{Value, json};

async fn export(app: &TestApp, format: &str, token: Option<&str>) -> (u16, String, Vec<u8>) {
    let mut r = app.get(&format!("/v1/exports/networks?format={format}"));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().await.expect("export");
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, ct, r.bytes().await.expect("body").to_vec())
}

async fn import(app: &TestApp, body: Vec<u8>, content_type: &str) -> Value {
    let r = app
        .client
        .post(app.url("/v1/imports"))
        .bearer_auth(&app.staff_token)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .expect("import");
    let status = r.status();
    let v: Value = r.json().await.expect("json");
    assert_eq!(status, 200, "{v:#}");
    v
}

/// The networks of `app` as staff sees them, by id.
async fn all(app: &TestApp) -> std::collections::BTreeMap<String, Value> {
    let list: Value = app
        .get("/v1/networks?state=draft,submitted,published,archived&per_page=100")
        .bearer_auth(&app.staff_token)
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
        .map(|n| (n["id"].as_str().unwrap_or("").to_owned(), n.clone()))
        .collect()
}

/// Fields the registry sets, which an import leaves to the registry (`qualification` too:
/// criterion 7 needs a verification, and an imported network is a draft never verified).
const REGISTRY_FIELDS: [&str; 9] = [
    "state",
    "version",
    "created_at",
    "updated_at",
    "last_verified_at",
    "verification_overdue",
    "qualification",
    "demo",
    "area_km2",
];

#[tokio::test(flavor = "multi_thread")]
async fn every_format_round_trips_into_an_empty_registry() {
    let source = spawn_app().await;
    // A published network with every field, a draft child of it with a formula-like name and
    // a link, and a plain one.
    let parent = source.create_published(&full_network()).await;
    let parent_id = parent["id"].as_str().expect("id").to_owned();
    let mut child = minimal_network("=HYPERLINK(\"http://evil.example\",\"klik\") - kind");
    child["type"] = json!("regional_oncology_network");
    child["parent_id"] = json!(parent_id);
    child["external_id"] = json!("KIND-1");
    child["ros_org"] = json!("ros-noord");
    child["description"] = json!({"nl": "+ begint met een plus", "en": "@ starts with an at"});
    child["service_area"] = json!({"postcodes": ["9711"]});
    // The programme's fields (issue 19) travel in every format too.
    child["founded_on"] = json!("2019-03-01");
    child["meeting_frequency"] = json!("quarterly");
    child["mdo"] = json!({"schedule": "Elke dinsdag 16:00", "how_to_submit": "Via het MDO-formulier; \"spoed\" bellen", "submission_url": "https://mdo.example.nl/aanmelden"});
    child["partners"] = json!([{"name": "Revalidatiecentrum Noord", "kind": "rehabilitation", "agb": "05012345", "kvk": null}]);
    child["members"] = json!([{"name": "Martini Ziekenhuis", "kind": "hospital", "agb": "06010101",
                               "roles": [{"tumour_type": "breast", "roles": ["triage", "treatment"]}]}]);
    child["financing"] = json!([{"form": "insurer_contract", "funder": "Zilveren Kruis", "funder_id": {"register": "uzovi", "code": "3311"}, "until": "2027-01-31"}]);
    let child = source.create_network(&child).await;
    assert_eq!(child.status(), 201);
    let mut panel = minimal_network("Expertpanel sarcomen");
    panel["type"] = json!("expert_panel");
    panel["tumour_types"] = json!(["sarcoma"]);
    panel["consultation"] = json!({"channel": "web_form", "contact_point": "Secretariaat, 050 361 0000", "turnaround_days": 5, "referral_form_url": "https://panel.example.nl/verwijzen"});
    let panel = source.create_network(&panel).await;
    assert_eq!(panel.status(), 201);
    let plain = source.create_network(&minimal_network("Eenvoudig")).await;
    assert_eq!(plain.status(), 201);
    let originals = all(&source).await;
    assert_eq!(originals.len(), 4);
    assert!(
        originals
            .values()
            .any(|n| n["consultation"]["turnaround_days"] == 5)
    );

    // CSV: formulas neutralised.
    let (status, ct, csv) = export(&source, "csv", Some(&source.staff_token)).await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("text/csv"), "{ct}");
    let text = String::from_utf8(csv.clone()).expect("utf-8");
    assert!(text.contains("\"'=HYPERLINK("), "{text}");
    assert!(text.contains(",'+ begint met een plus,"), "{text}");
    assert!(
        !text.contains(",=") && !text.contains(",\"="),
        "no cell starts with a formula"
    );

    let target = spawn_app().await;
    let (_, _, ndjson) = export(&source, "ndjson", Some(&source.staff_token)).await;
    let report = import(&target, ndjson, "application/x-ndjson").await;
    assert_eq!(report["created"], 4, "{report}");
    let copies = all(&target).await;
    assert_eq!(
        copies.keys().collect::<Vec<_>>(),
        originals.keys().collect::<Vec<_>>(),
        "the ids are kept"
    );
    for (id, original) in &originals {
        let copy = &copies[id];
        for (field, value) in original.as_object().expect("object") {
            if REGISTRY_FIELDS.contains(&field.as_str()) {
                continue;
            }
            assert_eq!(&copy[field], value, "network {id}, field {field}");
        }
        assert_eq!(copy["state"], "draft", "imported networks are drafts");
        let criteria = |n: &Value| {
            let mut criteria = n["qualification"]["criteria"].clone();
            if let Some(c) = criteria.as_array_mut() {
                c.retain(|c| c["key"] != "website");
            }
            criteria
        };
        assert_eq!(criteria(copy), criteria(original), "network {id}");
    }
    // The other formats hold the same profiles: importing them finds nothing to change.
    for (format, content_type) in [
        ("csv", "text/csv"),
        ("geojson", "application/geo+json"),
        ("xlsx", onconet_exchange::XLSX_MEDIA_TYPE),
    ] {
        let (status, ct, body) = export(&source, format, Some(&source.admin_token)).await;
        assert_eq!(status, 200, "{format}");
        assert!(ct.starts_with(content_type), "{format}: {ct}");
        let report = import(&target, body, content_type).await;
        assert_eq!(
            (
                report["created"].as_u64(),
                report["updated"].as_u64(),
                report["unchanged"].as_u64()
            ),
            (Some(0), Some(0), Some(4)),
            "{format}: {report}"
        );
    }
    assert_eq!(all(&target).await, copies);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_public_export_holds_published_networks_without_private_contacts() {
    let app = spawn_app().await;
    app.create_published(&full_network()).await;
    let draft = app.create_network(&minimal_network("Concept")).await;
    assert_eq!(draft.status(), 201);
    for format in ["ndjson", "csv", "geojson"] {
        let (status, _, body) = export(&app, format, None).await;
        assert_eq!(status, 200);
        let text = String::from_utf8(body).expect("utf-8");
        assert!(text.contains("Oncologienetwerk Groningen-Stad"), "{format}");
        assert!(!text.contains("Concept"), "{format}: a draft is not public");
        assert!(
            !text.contains(PRIVATE_CONTACT_EMAIL),
            "{format}: a private contact leaked"
        );
    }
    let (_, _, geojson) = export(&app, "geojson", None).await;
    let geojson: Value = serde_json::from_slice(&geojson).expect("GeoJSON");
    assert_eq!(geojson["type"], "FeatureCollection");
    assert_eq!(geojson["features"][0]["geometry"]["type"], "Polygon");
    // Staff also get the draft and the private contact.
    let (_, _, staff) = export(&app, "ndjson", Some(&app.staff_token)).await;
    let staff = String::from_utf8(staff).expect("utf-8");
    assert_eq!(staff.lines().count(), 2);
    assert!(staff.contains("Concept") && staff.contains(PRIVATE_CONTACT_EMAIL));
    // An adviser of another ROS: the published one only, without its private contact.
    let (_, _, other) = export(&app, "ndjson", Some(&app.other_adviser_token)).await;
    let other = String::from_utf8(other).expect("utf-8");
    assert_eq!(other.lines().count(), 1);
    assert!(!other.contains(PRIVATE_CONTACT_EMAIL));
    // Bad parameters.
    for query in ["format=pdf", "lang=de", "colour=red"] {
        let r = app
            .get(&format!("/v1/exports/networks?{query}"))
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 400, "{query}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
    // An empty registry exports empty files that are still well-formed.
    let empty = spawn_app().await;
    let (_, _, body) = export(&empty, "geojson", None).await;
    let v: Value = serde_json::from_slice(&body).expect("GeoJSON");
    assert_eq!(v["features"], json!([]));
}
