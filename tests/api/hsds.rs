//! The Open Referral HSDS 3 views (`/hsds/...`): every document of every route, page by
//! page and one by one, validates against the official HSDS schemas kept in
//! `tests/hsds/schema/` (formats checked too); only published networks and public contacts
//! show; paging, 404 and 400.

use onconet_test_support::fixtures::{
    PRIVATE_CONTACT_EMAIL, PRIVATE_CONTACT_NAME, PRIVATE_CONTACT_PHONE, PRIVATE_SENTINEL,
    full_network,
};
use onconet_test_support::{TestApp, spawn_app, workspace_dir};
use serde_json::{Value, json};
use std::collections::HashSet;

/// Where the schemas say they live (their `$id`s); the registry serves them from the files.
const BASE: &str =
    "https://raw.githubusercontent.com/openreferral/specification/refs/heads/3.2/schema/";

/// The official schemas, from `tests/hsds/schema/`.
struct Schemas {
    page: jsonschema::Validator,
    organization: jsonschema::Validator,
    service: jsonschema::Validator,
    service_area: jsonschema::Validator,
    location: jsonschema::Validator,
}

fn load_schemas() -> Schemas {
    let dir = workspace_dir().join("tests/hsds/schema");
    let read = |name: &str| -> Value {
        let text = std::fs::read_to_string(dir.join(name)).expect("schema file");
        serde_json::from_str(&text).expect("schema JSON")
    };
    let mut resources = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("schema dir") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".json") && name != "page.json" {
            let schema = read(&name);
            assert_eq!(
                schema["$id"],
                format!("{BASE}{name}"),
                "{name}: an unexpected $id"
            );
            resources.push((format!("{BASE}{name}"), schema));
        }
    }
    let registry = jsonschema::Registry::new()
        .extend(resources)
        .expect("schema URIs")
        .prepare()
        .expect("every $ref resolves among the stored schemas");
    let build = |kind: &str| {
        jsonschema::options()
            .with_registry(&registry)
            .should_validate_formats(true)
            .build(&json!({"$ref": format!("{BASE}{kind}.json")}))
            .expect("validator")
    };
    Schemas {
        page: jsonschema::options()
            .should_validate_formats(true)
            .build(&read("page.json"))
            .expect("page validator"),
        organization: build("organization"),
        service: build("service"),
        service_area: build("service_area"),
        location: build("location"),
    }
}

impl Schemas {
    fn of(&self, kind: &str) -> &jsonschema::Validator {
        match kind {
            "organizations" => &self.organization,
            "services" => &self.service,
            "service_areas" => &self.service_area,
            _ => &self.location,
        }
    }
}

fn assert_valid(validator: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = validator.iter_errors(doc).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "{what} is not valid HSDS: {errors:#?}\n{doc:#}"
    );
}

fn etag_of(r: &reqwest::Response) -> String {
    r.headers()["etag"].to_str().expect("etag").to_owned()
}

/// Creates `body` as IKNL staff and publishes it; returns its registry id.
async fn publish(app: &TestApp, body: &Value) -> String {
    let created = app.create_network(body).await;
    assert_eq!(created.status(), 201, "create {}", body["name"]);
    let mut etag = etag_of(&created);
    let id = created.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    for to in ["submitted", "published"] {
        let moved = app
            .client
            .post(app.url(&format!("/v1/networks/{id}/transitions")))
            .bearer_auth(&app.staff_token)
            .header("If-Match", &etag)
            .json(&json!({"to": to}))
            .send()
            .await
            .expect("transition");
        assert_eq!(moved.status(), 200, "to {to}");
        etag = etag_of(&moved);
    }
    id
}

/// The demo-like registry: five published networks of every kind (one the child of another,
/// one with a non-public contact, members with and without coordinates) and a draft.
async fn registry_with_networks(app: &TestApp) -> String {
    publish(app, &full_network()).await;
    let parent = publish(
        app,
        &json!({
            "name": "Regionaal Oncologienetwerk Noord", "type": "regional_oncology_network",
            "scale": "supra_regional", "lifecycle": "active",
            "description": {"nl": "Ziekenhuizen in het noorden.", "en": "Hospitals in the north."},
            "website": "https://example.org/noord", "tumour_types": ["breast", "lung"],
            "contacts": [{"role": "general", "name": "Secretariaat", "email": "noord@example.org", "phone": "050 123 4567", "public": true}],
            "members": [
                {"name": "UMC Noord", "kind": "umc", "kvk": "87654321", "location": {"lat": 53.2219, "lon": 6.5756}},
                {"name": "Ziekenhuis Zonder Plek", "kind": "hospital"}
            ],
            "service_area": {"municipalities": ["GM0014", "GM0080"]}
        }),
    )
    .await;
    publish(
        app,
        &json!({
            "name": "Netwerktumorgroep Mamma Noord", "type": "network_tumour_group",
            "scale": "regional", "lifecycle": "active", "parent_id": parent,
            "description": {"en": "Only an English description."},
            "tumour_types": ["breast"],
            "service_area": {"municipalities": ["GM0014"]}
        }),
    )
    .await;
    publish(
        app,
        &json!({
            "name": "Oncologiezorgnetwerk in oprichting", "type": "oncology_care_network",
            "scale": "local", "lifecycle": "in_formation",
            "disciplines": ["physiotherapy", "psychology"],
            "financing": [{"form": "project_grant", "funder": "Fonds", "since": "2026-01-01"}],
            "service_area": {"circles": [{"lat": 52.09, "lon": 5.12, "radius_km": 5.0}]}
        }),
    )
    .await;
    publish(
        app,
        &json!({
            "name": "Expertpanel Sarcomen", "type": "expert_panel", "scale": "supra_regional",
            "lifecycle": "inactive", "tumour_types": ["sarcoma"],
            "members": [
                {"name": "Praktijk", "kind": "practice", "agb": "01234567", "location": {"lat": 52.37, "lon": 4.89}},
                {"name": "Praktijk", "kind": "practice", "location": {"lat": 52.38, "lon": 4.9}}
            ],
            "service_area": {"geometry": {"type": "Polygon", "coordinates": [[[4.8, 52.3], [5.0, 52.3], [5.0, 52.4], [4.8, 52.4], [4.8, 52.3]]]}}
        }),
    )
    .await;
    let draft = app
        .create_network(
            &json!({"name": "Concept DRAFT-ONLY", "type": "oncology_care_network", "scale": "local",
            "service_area": {"municipalities": ["GM0014"]}}),
        )
        .await;
    assert_eq!(draft.status(), 201);
    parent
}

async fn get_json(app: &TestApp, path: &str) -> (reqwest::StatusCode, String, Value) {
    let r = app.get(path).send().await.expect("request");
    let status = r.status();
    let content_type = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or_default().to_owned())
        .unwrap_or_default();
    let text = r.text().await.expect("body");
    assert!(
        !text.contains(PRIVATE_SENTINEL)
            && !text.contains(PRIVATE_CONTACT_NAME)
            && !text.contains(PRIVATE_CONTACT_EMAIL)
            && !text.contains(PRIVATE_CONTACT_PHONE),
        "{path} shows a non-public contact"
    );
    assert!(!text.contains("DRAFT-ONLY"), "{path} shows a draft");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, content_type, body)
}

/// Every page of `/hsds/{kind}{query}` at `per_page`, each validated; the documents.
async fn walk(
    app: &TestApp,
    schemas: &Schemas,
    kind: &str,
    query: &str,
    per_page: usize,
) -> Vec<Value> {
    let mut docs = Vec::new();
    let mut page = 1;
    loop {
        let path = format!("/hsds/{kind}?per_page={per_page}&page={page}{query}");
        let (status, content_type, body) = get_json(app, &path).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert!(
            content_type.starts_with("application/json"),
            "{path}: {content_type}"
        );
        assert_valid(&schemas.page, &body, &path);
        let contents = body["contents"].as_array().expect("contents").clone();
        assert_eq!(body["page_number"], page);
        assert_eq!(body["size"], contents.len());
        assert_eq!(body["empty"], contents.is_empty());
        assert_eq!(body["first_page"], page == 1);
        let total_items = body["total_items"].as_u64().expect("total_items") as usize;
        let total_pages = body["total_pages"].as_u64().expect("total_pages") as usize;
        assert_eq!(total_pages, total_items.div_ceil(per_page));
        assert_eq!(body["last_page"], page >= total_pages);
        for (i, doc) in contents.iter().enumerate() {
            assert_valid(schemas.of(kind), doc, &format!("{path} contents[{i}]"));
        }
        docs.extend(contents);
        if page >= total_pages {
            assert_eq!(docs.len(), total_items, "{kind}: pages add up");
            break;
        }
        assert_eq!(
            body["size"], per_page,
            "{path}: a full page before the last"
        );
        page += 1;
    }
    docs
}

fn ids(docs: &[Value]) -> Vec<String> {
    docs.iter()
        .map(|d| d["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_document_validates_against_the_hsds_schemas() {
    let app = spawn_app().await;
    let schemas = load_schemas();
    // The validators do refuse what HSDS refuses (formats included).
    for (validator, bad) in [
        (
            &schemas.organization,
            json!({"id": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610", "name": "no description"}),
        ),
        (
            &schemas.organization,
            json!({"id": "not-a-uuid", "name": "x", "description": "y"}),
        ),
        (
            &schemas.organization,
            json!({"id": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610", "name": "x", "description": "y", "email": "not-an-address"}),
        ),
        (
            &schemas.service,
            json!({"id": "ac148810-d857-441c-9679-408f346de14b", "name": "x", "status": "open"}),
        ),
        (
            &schemas.service,
            json!({"id": "ac148810-d857-441c-9679-408f346de14b", "name": "x", "status": "active",
            "contacts": [{"id": "1e7efce3-639b-4880-940c-b95cd30cdb50", "phones": [{"id": "1554f2e2-a373-45db-a3fa-9fc48a61c15e"}]}]}),
        ),
        (
            &schemas.service_area,
            json!({"id": "381c64f1-a724-4884-9c21-ac96c21cca3e", "extent": {"type": "MultiPolygon"}}),
        ),
        (
            &schemas.location,
            json!({"id": "3a19ff88-4620-4d17-9830-ac1d859eb5d5", "location_type": "office"}),
        ),
        (&schemas.page, json!({"total_items": 1})),
    ] {
        assert!(!validator.is_valid(&bad), "accepted {bad}");
    }
    let parent = registry_with_networks(&app).await;
    let mut counts = Vec::new();
    for (kind, expected) in [
        ("organizations", 5),
        ("services", 5),
        ("service_areas", 5),
        // Fysiotherapie Centrum, UMC Noord, and the two practices of the expert panel.
        ("locations", 4),
    ] {
        let variants: &[&str] = if matches!(kind, "organizations" | "services") {
            &["", "&full=true", "&full=false"]
        } else {
            &[""]
        };
        let mut seen = None;
        for variant in variants {
            for per_page in [1, 2, 100] {
                let docs = walk(&app, &schemas, kind, variant, per_page).await;
                assert_eq!(docs.len(), expected, "{kind}{variant}");
                let these = ids(&docs);
                let unique: HashSet<_> = these.iter().collect();
                assert_eq!(unique.len(), these.len(), "{kind}: ids are unique");
                // Ids are the same on every call, at any page size, with or without `full`.
                match &seen {
                    None => seen = Some(these),
                    Some(first) => assert_eq!(first, &these, "{kind}{variant}: stable ids"),
                }
            }
        }
        // Each one by itself, fully nested.
        let mut validated = 0;
        for id in seen.expect("walked") {
            let path = format!("/hsds/{kind}/{id}");
            let (status, _, doc) = get_json(&app, &path).await;
            assert_eq!(status, 200, "{path}");
            assert_valid(schemas.of(kind), &doc, &path);
            assert_eq!(doc["id"], id.as_str());
            validated += 1;
        }
        counts.push(format!("{kind}: {validated} valid / {expected}"));
    }
    eprintln!("HSDS documents validated: {}", counts.join(", "));

    // The mapping, spot-checked.
    let services = walk(&app, &schemas, "services", "&full=true", 100).await;
    let organizations = walk(&app, &schemas, "organizations", "&full=true", 100).await;
    let by_name = |docs: &[Value], name: &str| {
        docs.iter()
            .find(|d| d["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let groningen = by_name(&organizations, "Oncologienetwerk Groningen-Stad");
    assert_eq!(groningen["email"], "coordinator@example.nl");
    assert_eq!(
        groningen["website"],
        "https://www.example.nl/onco-groningen"
    );
    assert_eq!(groningen["contacts"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        groningen["contacts"][0]["phones"][0]["number"],
        "+31 50 123 4567"
    );
    assert_eq!(groningen["funding"].as_array().map(Vec::len), Some(2));
    assert_eq!(groningen["locations"][0]["external_identifier"], "04012345");
    assert_eq!(groningen["locations"][0]["external_identifier_type"], "AGB");
    let noord = by_name(&organizations, "Regionaal Oncologienetwerk Noord");
    assert_eq!(noord["uri"], format!("urn:uuid:{parent}"));
    let group = by_name(&organizations, "Netwerktumorgroep Mamma Noord");
    assert_eq!(group["parent_organization_id"], noord["id"]);
    assert_eq!(group["description"], "Only an English description.");
    let forming = by_name(&services, "Oncologiezorgnetwerk in oprichting");
    assert_eq!(forming["status"], "inactive");
    // No description: the network type's label.
    assert_eq!(forming["description"], "Oncologiezorgnetwerk");
    let service = by_name(&services, "Oncologienetwerk Groningen-Stad");
    assert_eq!(service["status"], "active");
    assert_eq!(service["organization_id"], groningen["id"]);
    assert_eq!(service["organization"]["id"], groningen["id"]);
    let area = &service["service_areas"][0];
    assert_eq!(area["extent_type"], "geojson");
    assert_eq!(area["service_id"], service["id"]);
    let extent: Value =
        serde_json::from_str(area["extent"].as_str().expect("extent")).expect("GeoJSON");
    assert_eq!(extent["type"], "MultiPolygon");
    assert!(
        extent["coordinates"]
            .as_array()
            .is_some_and(|c| !c.is_empty())
    );
    let physio = service["attributes"]
        .as_array()
        .expect("attributes")
        .iter()
        .find(|a| a["taxonomy_term"]["code"] == "physiotherapy")
        .cloned()
        .expect("physiotherapy attribute");
    assert_eq!(physio["taxonomy_term"]["name"], "Fysiotherapie");
    assert_eq!(physio["taxonomy_term"]["taxonomy"], "onconet:disciplines");
    assert_eq!(physio["link_id"], service["id"]);

    // Filters, cumulative.
    let term = physio["taxonomy_term_id"].as_str().expect("term");
    let with_physio = walk(
        &app,
        &schemas,
        "services",
        &format!("&taxonomy_term_id={term}"),
        10,
    )
    .await;
    let mut names: Vec<_> = with_physio.iter().map(|s| s["name"].clone()).collect();
    names.sort_by_key(|n| n.to_string());
    assert_eq!(
        names,
        vec![
            json!("Oncologienetwerk Groningen-Stad"),
            json!("Oncologiezorgnetwerk in oprichting")
        ]
    );
    let org = groningen["id"].as_str().expect("org");
    let one = walk(
        &app,
        &schemas,
        "services",
        &format!("&taxonomy_term_id={term}&organization_id={org}"),
        10,
    )
    .await;
    assert_eq!(one.len(), 1);
    assert_eq!(
        walk(&app, &schemas, "services", "&search=SARCOMEN", 10)
            .await
            .len(),
        1
    );
    assert_eq!(
        walk(&app, &schemas, "organizations", "&search=noord", 10)
            .await
            .len(),
        2
    );
    assert_eq!(
        walk(
            &app,
            &schemas,
            "services",
            "&modified_after=2000-01-01T00:00:00Z",
            10
        )
        .await
        .len(),
        5
    );
    assert_eq!(
        walk(
            &app,
            &schemas,
            "services",
            "&modified_after=2999-01-01T00:00:00Z",
            10
        )
        .await
        .len(),
        0
    );
    assert_eq!(
        walk(
            &app,
            &schemas,
            "locations",
            &format!("&organization_id={org}"),
            10
        )
        .await
        .len(),
        1
    );
    let sid = service["id"].as_str().expect("service id");
    let areas = walk(
        &app,
        &schemas,
        "service_areas",
        &format!("&service_id={sid}"),
        10,
    )
    .await;
    assert_eq!(areas.len(), 1);
    assert_eq!(areas[0]["id"], area["id"]);

    // Labels follow Accept-Language.
    let en: Value = app
        .get(&format!("/hsds/services/{sid}"))
        .header("Accept-Language", "en")
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(
        en["description"],
        "Primary care around cancer in the city of Groningen."
    );
    assert!(
        en["attributes"]
            .as_array()
            .expect("attributes")
            .iter()
            .any(|a| a["label"] == "Physiotherapy")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn paging_unknown_ids_and_bad_parameters() {
    let app = spawn_app().await;
    let schemas = load_schemas();
    // The reference's `/`: the HSDS version and the OpenAPI document.
    let (status, _, about) = get_json(&app, "/hsds/").await;
    assert_eq!(status, 200);
    assert_eq!(about["version"], "3.2");
    let openapi_url = about["openapi_url"].as_str().expect("openapi_url");
    assert_eq!(openapi_url, app.url("/openapi.json"));
    let doc: Value = app
        .client
        .get(openapi_url)
        .send()
        .await
        .expect("openapi")
        .json()
        .await
        .expect("json");
    assert!(doc["paths"]["/hsds/services/{id}"]["get"].is_object());
    // An empty registry is an empty page.
    let (status, _, empty) = get_json(&app, "/hsds/organizations").await;
    assert_eq!(status, 200);
    assert_valid(&schemas.page, &empty, "empty page");
    assert_eq!(
        empty,
        json!({"total_items": 0, "total_pages": 0, "page_number": 1, "size": 0,
            "first_page": true, "last_page": true, "empty": true, "contents": []})
    );
    publish(&app, &full_network()).await;
    // Past the last page: empty, not an error.
    let (status, _, past) = get_json(&app, "/hsds/services?page=7").await;
    assert_eq!(status, 200);
    assert_eq!(past["total_items"], 1);
    assert_eq!(past["page_number"], 7);
    assert_eq!(past["empty"], true);
    assert_eq!(past["last_page"], true);
    assert_eq!(past["first_page"], false);

    for kind in ["organizations", "services", "service_areas", "locations"] {
        for bad in [
            "page=0",
            "page=-1",
            "page=x",
            "page=1.5",
            "page=1000001",
            "per_page=0",
            "per_page=101",
            "per_page=",
            "page=1&page=2",
            "unknown=1",
            "format=csv",
        ] {
            let path = format!("/hsds/{kind}?{bad}");
            let (status, content_type, body) = get_json(&app, &path).await;
            assert_eq!(status, 400, "{path}: {body}");
            assert_eq!(content_type, "application/problem+json", "{path}");
            assert_eq!(body["status"], 400, "{path}");
        }
        for missing in [
            "not-a-uuid".to_owned(),
            "00000000-0000-0000-0000-000000000000".to_owned(),
            format!("{}%00", uuid_like()),
        ] {
            let path = format!("/hsds/{kind}/{missing}");
            let (status, content_type, body) = get_json(&app, &path).await;
            assert_eq!(status, 404, "{path}: {body}");
            assert_eq!(content_type, "application/problem+json", "{path}");
        }
        let post = app
            .client
            .post(app.url(&format!("/hsds/{kind}")))
            .json(&json!({}))
            .send()
            .await
            .expect("post");
        assert_eq!(post.status(), 405, "POST /hsds/{kind}");
    }
    for (path, parameter) in [
        ("/hsds/organizations?full=yes", "full"),
        ("/hsds/services?full=1", "full"),
        ("/hsds/services?organization_id=42", "organization_id"),
        (
            "/hsds/services?taxonomy_term_id=physiotherapy",
            "taxonomy_term_id",
        ),
        ("/hsds/services?modified_after=yesterday", "modified_after"),
        ("/hsds/service_areas?service_id=x", "service_id"),
        ("/hsds/locations?organization_id=%00", "organization_id"),
        ("/hsds/services?search=%07bell", "search"),
    ] {
        let (status, content_type, body) = get_json(&app, path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(content_type, "application/problem+json", "{path}");
        assert_eq!(body["errors"][0]["parameter"], parameter, "{path}: {body}");
    }
    let long = "a".repeat(201);
    let (status, _, _) = get_json(&app, &format!("/hsds/organizations?search={long}")).await;
    assert_eq!(status, 400);
    // The documented pattern refuses C0 controls and DEL only: other characters are text.
    let (status, _, found) = get_json(&app, "/hsds/services?search=Gron%C2%85ingen").await;
    assert_eq!(status, 200);
    assert_eq!(found["total_items"], 0);
    // A registry id is not an HSDS id.
    let network: Value = app
        .get("/v1/networks")
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let network_id = network["items"][0]["id"].as_str().expect("id");
    let (status, _, _) = get_json(&app, &format!("/hsds/organizations/{network_id}")).await;
    assert_eq!(status, 404);
}

fn uuid_like() -> &'static str {
    "6f1c2b9e-4a7d-4c1e-9b3a-2d5e8f7a1c00"
}
