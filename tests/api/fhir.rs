//! The FHIR R4 (IHE mCSD) views: searches, reads, paging, `_lastUpdated`, history, errors as
//! OperationOutcomes, and every document fetched validated with `fhir.resources` (R4) by
//! `tests/fhir/validate.py` when its venv (`scripts/venv.sh fhir`, run by `make unit`) is there.

use base64::Engine;
use onconet_test_support::fixtures::{
    PRIVATE_CONTACT_EMAIL, PRIVATE_CONTACT_NAME, full_network, minimal_network,
};
use onconet_test_support::{TestApp, spawn_app, workspace_dir};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Every document fetched, for the validator.
#[derive(Default)]
struct Fetched(Vec<Value>);

impl Fetched {
    /// GET `path`: the status and the body, after checking the media type.
    async fn get(&mut self, app: &TestApp, path: &str) -> (u16, Value) {
        self.get_with(app, path, None).await
    }

    async fn get_with(&mut self, app: &TestApp, path: &str, accept: Option<&str>) -> (u16, Value) {
        let mut request = app.get(path);
        if let Some(a) = accept {
            request = request.header("Accept", a);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let media = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body: Value = response.json().await.expect("a JSON body");
        assert_eq!(media, "application/fhir+json", "{path}: {body}");
        if status >= 400 {
            assert_eq!(body["resourceType"], "OperationOutcome", "{path}: {body}");
            assert_eq!(body["issue"][0]["severity"], "error", "{path}");
        }
        self.0.push(body.clone());
        (status, body)
    }

    /// Every page of a search or history, following `next`: the entries.
    async fn all_pages(&mut self, app: &TestApp, path: &str) -> Vec<Value> {
        let mut entries = Vec::new();
        let mut next = Some(path.to_owned());
        let mut pages = 0;
        while let Some(path) = next.take() {
            let (status, bundle) = self.get(app, &path).await;
            assert_eq!(status, 200, "{path}: {bundle}");
            entries.extend(bundle["entry"].as_array().cloned().unwrap_or_default());
            next = bundle["link"]
                .as_array()
                .and_then(|l| l.iter().find(|l| l["relation"] == "next"))
                .and_then(|l| l["url"].as_str())
                .map(|url| url.trim_start_matches(&app.address).to_owned());
            pages += 1;
            assert!(pages < 100, "paging does not end");
        }
        entries
    }
}

fn ids(bundle_entries: &[Value]) -> BTreeSet<String> {
    bundle_entries
        .iter()
        .filter_map(|e| e["resource"]["id"].as_str().map(str::to_owned))
        .collect()
}

fn total(bundle: &Value) -> u64 {
    bundle["total"].as_u64().expect("total")
}

async fn transition(app: &TestApp, id: &str, version: i64, to: &str) -> Value {
    let r = app
        .client
        .post(app.url(&format!("/v1/networks/{id}/transitions")))
        .bearer_auth(&app.staff_token)
        .header("If-Match", format!("\"v{version}\""))
        .json(&json!({"to": to}))
        .send()
        .await
        .expect("transition");
    assert_eq!(r.status(), 200);
    r.json().await.expect("json")
}

async fn patch(app: &TestApp, id: &str, version: i64, body: Value) -> Value {
    let r = app
        .client
        .patch(app.url(&format!("/v1/networks/{id}")))
        .bearer_auth(&app.staff_token)
        .header("If-Match", format!("\"v{version}\""))
        .header("Content-Type", "application/merge-patch+json")
        .json(&body)
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), 200);
    r.json().await.expect("json")
}

/// Runs the R4 validator over `docs` when its venv exists: the counts per type.
fn validate(docs: &[Value]) -> Option<Value> {
    let root = workspace_dir();
    let python = root.join("target/fhir-venv/bin/python");
    if !python.exists() {
        eprintln!(
            "target/fhir-venv is missing (scripts/venv.sh fhir): FHIR documents not validated"
        );
        return None;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("docs.ndjson");
    let text: String = docs.iter().map(|d| format!("{d}\n")).collect();
    std::fs::write(&file, text).expect("write");
    let out = std::process::Command::new(python)
        .arg(root.join("tests/fhir/validate.py"))
        .arg("--json")
        .arg(&file)
        .output()
        .expect("validator runs");
    assert!(
        out.status.success(),
        "invalid FHIR documents:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).expect("counts"))
}

#[tokio::test(flavor = "multi_thread")]
async fn mcsd_views_search_read_page_history_and_validate() {
    let app = spawn_app().await;
    let mut f = Fetched::default();

    // A published regional network, a published care network inside it (members, a link to
    // it, a private contact), and a draft that must stay out of view.
    let mut parent = minimal_network("Regionaal Oncologienetwerk Noord");
    parent["type"] = json!("regional_oncology_network");
    parent["scale"] = json!("regional");
    parent["service_area"] = json!({"municipalities": ["GM0014"]});
    let parent = app.create_published(&parent).await;
    let parent_id = parent["id"].as_str().expect("id").to_owned();
    let mut child = full_network();
    child["parent_id"] = json!(parent_id);
    child["links"] = json!([{"network_id": parent_id, "kind": "hospital_network"}]);
    let child = app.create_published(&child).await;
    let child_id = child["id"].as_str().expect("id").to_owned();
    let draft = app
        .create_network(&minimal_network("Concept Netwerk"))
        .await;
    assert_eq!(draft.status(), 201);
    let draft: Value = draft.json().await.expect("json");
    let draft_id = draft["id"].as_str().expect("id").to_owned();

    // The CapabilityStatement.
    let (status, cap) = f.get(&app, "/fhir/metadata").await;
    assert_eq!(status, 200);
    assert_eq!(cap["resourceType"], "CapabilityStatement");
    assert_eq!(cap["fhirVersion"], "4.0.1");
    assert_eq!(cap["rest"][0]["resource"].as_array().map(Vec::len), Some(3));

    // Organizations: two networks and the child's two members.
    let (status, orgs) = f.get(&app, "/fhir/Organization").await;
    assert_eq!(status, 200);
    assert_eq!(orgs["type"], "searchset");
    assert_eq!(total(&orgs), 4);
    let entries = orgs["entry"].as_array().expect("entries");
    assert!(!ids(entries).contains(&draft_id));
    let network = entries
        .iter()
        .map(|e| &e["resource"])
        .find(|r| r["id"] == child_id.as_str())
        .expect("the child network");
    assert_eq!(
        network["partOf"]["reference"],
        format!("Organization/{parent_id}")
    );
    assert_eq!(network["meta"]["versionId"], child["version"].to_string());
    assert!(
        network["type"]
            .as_array()
            .expect("types")
            .iter()
            .any(|t| t["coding"][0]["code"] == "network")
    );
    assert!(
        entries[0]["fullUrl"]
            .as_str()
            .expect("fullUrl")
            .starts_with(&app.address)
    );
    let text = orgs.to_string();
    assert!(
        text.contains("Anna de Vries"),
        "the public contact is there"
    );
    assert!(!text.contains(PRIVATE_CONTACT_NAME) && !text.contains(PRIVATE_CONTACT_EMAIL));

    // Search parameters.
    let count = |b: &Value| total(b);
    let (_, b) = f
        .get(&app, "/fhir/Organization?name=oncologienetwerk")
        .await;
    assert_eq!(count(&b), 1, "starts with, any case");
    let (_, b) = f
        .get(&app, "/fhir/Organization?name:contains=NETWERK")
        .await;
    assert_eq!(count(&b), 2);
    let (_, b) = f.get(&app, "/fhir/Organization?name:exact=umcg").await;
    assert_eq!(count(&b), 0);
    let (_, b) = f.get(&app, "/fhir/Organization?name:exact=UMCG").await;
    assert_eq!(count(&b), 1);
    let (_, b) = f
        .get(&app, &format!("/fhir/Organization?partof={parent_id}"))
        .await;
    assert_eq!(
        ids(b["entry"].as_array().expect("entries")),
        BTreeSet::from([child_id.clone()])
    );
    let (_, b) = f
        .get(
            &app,
            &format!("/fhir/Organization?partof=Organization/{parent_id}"),
        )
        .await;
    assert_eq!(count(&b), 1);
    let (_, b) = f
        .get(
            &app,
            &format!("/fhir/Organization?_id={child_id},{parent_id},nope"),
        )
        .await;
    assert_eq!(count(&b), 2);
    let (_, b) = f.get(&app, "/fhir/Organization?_count=0").await;
    assert_eq!((count(&b), b.get("entry").is_none()), (4, true));

    // Paging: one a page, every resource exactly once.
    let paged = f.all_pages(&app, "/fhir/Organization?_count=1").await;
    assert_eq!(paged.len(), 4);
    assert_eq!(ids(&paged).len(), 4);
    let (_, second) = f.get(&app, "/fhir/Organization?_count=1&_offset=1").await;
    let relations: Vec<&str> = second["link"]
        .as_array()
        .expect("links")
        .iter()
        .filter_map(|l| l["relation"].as_str())
        .collect();
    assert_eq!(relations, ["self", "next", "previous"]);

    // _lastUpdated.
    let today = chrono::Utc::now().date_naive();
    let tomorrow = today.succ_opt().expect("date");
    for (q, n) in [
        (format!("ge{today}"), 4),
        (format!("{today}"), 4),
        (format!("lt{today}"), 0),
        (format!("gt{tomorrow}"), 0),
        (format!("le{tomorrow}"), 4),
        ("gt2020".into(), 4),
        ("ne2020-01".into(), 4),
    ] {
        let (status, b) = f
            .get(&app, &format!("/fhir/Organization?_lastUpdated={q}"))
            .await;
        assert_eq!((status, count(&b)), (200, n), "_lastUpdated={q}");
    }
    let (_, b) = f
        .get(
            &app,
            &format!("/fhir/Organization?_lastUpdated=ge{today}&_lastUpdated=lt{today}"),
        )
        .await;
    assert_eq!(count(&b), 0, "repeated: and");

    // Affiliations: two memberships and the link to the parent.
    let (_, affs) = f.get(&app, "/fhir/OrganizationAffiliation").await;
    assert_eq!(total(&affs), 3);
    let (_, b) = f
        .get(
            &app,
            &format!("/fhir/OrganizationAffiliation?primary-organization={child_id}"),
        )
        .await;
    assert_eq!(count(&b), 3);
    let (_, b) = f
        .get(
            &app,
            &format!(
                "/fhir/OrganizationAffiliation?participating-organization=Organization/{parent_id}"
            ),
        )
        .await;
    assert_eq!(count(&b), 1);
    let membership = affs["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| &e["resource"])
        .find(|r| r["period"]["start"] == "2024-01-01")
        .expect("the dated membership");
    assert_eq!(
        membership["organization"]["reference"],
        format!("Organization/{child_id}")
    );
    assert_eq!(membership["code"][0]["coding"][0]["code"], "member");
    assert_eq!(membership["active"], true);

    // Locations: both service areas, with the boundary as base64 GeoJSON.
    let (_, locs) = f.get(&app, "/fhir/Location").await;
    assert_eq!(total(&locs), 2);
    let (_, b) = f
        .get(&app, &format!("/fhir/Location?organization={child_id}"))
        .await;
    assert_eq!(count(&b), 1);
    let loc = &b["entry"][0]["resource"];
    let ext = &loc["extension"][0];
    assert_eq!(
        ext["url"],
        "http://hl7.org/fhir/StructureDefinition/location-boundary-geojson"
    );
    assert_eq!(
        ext["valueAttachment"]["contentType"],
        "application/geo+json"
    );
    let geometry: Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(ext["valueAttachment"]["data"].as_str().expect("data"))
            .expect("base64"),
    )
    .expect("GeoJSON");
    assert_eq!(geometry["type"], "MultiPolygon");
    let location_id = loc["id"].as_str().expect("id").to_owned();

    // Reads.
    let response = app
        .get(&format!("/fhir/Organization/{child_id}"))
        .send()
        .await
        .expect("read");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers().get("etag").and_then(|v| v.to_str().ok()),
        Some(format!("W/\"{}\"", child["version"]).as_str())
    );
    assert!(response.headers().get("last-modified").is_some());
    let (status, read) = f.get(&app, &format!("/fhir/Location/{location_id}")).await;
    assert_eq!(
        (status, read["extension"][0]["url"].is_string()),
        (200, true)
    );
    let (status, read) = f
        .get(&app, &format!("/fhir/Organization/{child_id}?_format=json"))
        .await;
    assert_eq!(
        (status, read["id"].as_str()),
        (200, Some(child_id.as_str()))
    );

    // Errors, as OperationOutcomes with the right status.
    for (path, want, code) in [
        (format!("/fhir/Organization/{draft_id}"), 404, "not-found"),
        (format!("/fhir/Location/{child_id}"), 404, "not-found"),
        ("/fhir/Organization/not..an/id".into(), 404, "not-supported"),
        ("/fhir/Organization/%20".into(), 404, "not-found"),
        ("/fhir/Patient".into(), 404, "not-supported"),
        ("/fhir/Patient/1".into(), 404, "not-supported"),
        (
            "/fhir/Organization/x/_history/1".into(),
            404,
            "not-supported",
        ),
        ("/fhir/Organization?foo=bar".into(), 400, "invalid"),
        ("/fhir/Organization?_sort=name".into(), 400, "invalid"),
        (
            "/fhir/Organization?name:missing=true".into(),
            400,
            "invalid",
        ),
        ("/fhir/Location?partof=x".into(), 400, "invalid"),
        (
            "/fhir/Organization?partof=Location/x".into(),
            400,
            "invalid",
        ),
        ("/fhir/Organization?_count=abc".into(), 400, "invalid"),
        ("/fhir/Organization?_count=-1".into(), 400, "invalid"),
        ("/fhir/Organization?_count=1000".into(), 400, "invalid"),
        ("/fhir/Organization?_offset=x".into(), 400, "invalid"),
        (
            "/fhir/Organization?_lastUpdated=xx2026".into(),
            400,
            "invalid",
        ),
        (
            "/fhir/Organization?_lastUpdated=sa2026".into(),
            400,
            "invalid",
        ),
        (
            "/fhir/Organization?_lastUpdated=2026-13".into(),
            400,
            "invalid",
        ),
        ("/fhir/Organization?_lastUpdated=ge".into(), 400, "invalid"),
        ("/fhir/Organization?_id=a%2Fb".into(), 400, "invalid"),
        (
            "/fhir/Organization?_format=xml".into(),
            406,
            "not-supported",
        ),
        (
            "/fhir/metadata?_format=application/fhir%2Bxml".into(),
            406,
            "not-supported",
        ),
        ("/fhir/metadata?mode=full".into(), 400, "invalid"),
        (
            format!("/fhir/Organization/{child_id}?name=x"),
            400,
            "invalid",
        ),
        (
            "/fhir/Organization/_history?_since=2026-01-01".into(),
            400,
            "invalid",
        ),
        (
            "/fhir/Organization/_history?_at=2026".into(),
            400,
            "invalid",
        ),
        ("/fhir/Organization/nope/_history".into(), 404, "not-found"),
    ] {
        let (status, body) = f.get(&app, &path).await;
        assert_eq!(status, want, "{path}: {body}");
        assert_eq!(body["issue"][0]["code"], code, "{path}: {body}");
    }
    let (status, _) = f
        .get_with(&app, "/fhir/Organization", Some("application/xml"))
        .await;
    assert_eq!(status, 406);
    let (status, _) = f
        .get_with(
            &app,
            "/fhir/Organization",
            Some("application/fhir+json, */*;q=0.1"),
        )
        .await;
    assert_eq!(status, 200);
    let post = app
        .client
        .post(app.url("/fhir/Organization"))
        .json(&json!({"resourceType": "Organization"}))
        .send()
        .await
        .expect("post");
    assert_eq!(post.status(), 405);
    assert_eq!(
        post.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/fhir+json")
    );
    for method in [reqwest::Method::PUT, reqwest::Method::DELETE] {
        let r = app
            .client
            .request(
                method.clone(),
                app.url(&format!("/fhir/Organization/{child_id}")),
            )
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 405, "{method}");
        assert_eq!(
            r.headers().get("allow").and_then(|v| v.to_str().ok()),
            Some("GET, HEAD")
        );
        let body: Value = r.json().await.expect("json");
        assert_eq!(body["resourceType"], "OperationOutcome");
    }
    let r = app
        .client
        .delete(app.url("/fhir/Patient/1"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 404);

    // History for sync: all current versions; none after now.
    let (_, h) = f.get(&app, "/fhir/Organization/_history").await;
    assert_eq!((h["type"].as_str(), total(&h)), (Some("history"), 4));
    assert_eq!(h["entry"][0]["request"]["method"], "PUT");
    let later = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let (_, h) = f
        .get(
            &app,
            &format!(
                "/fhir/Organization/_history?_since={}",
                later.replace('+', "%2B")
            ),
        )
        .await;
    assert_eq!(total(&h), 0);
    let (_, h) = f
        .get(&app, &format!("/fhir/Organization/{child_id}/_history"))
        .await;
    assert_eq!(total(&h), 1);

    // A member leaves: its Organization and membership are DELETE entries, and read says 410.
    let before = chrono::Utc::now();
    let mut members = child["members"].clone();
    members.as_array_mut().expect("members").truncate(1);
    let child = patch(
        &app,
        &child_id,
        child["version"].as_i64().expect("v"),
        json!({"members": members}),
    )
    .await;
    let (_, b) = f.get(&app, "/fhir/OrganizationAffiliation").await;
    assert_eq!(total(&b), 2);
    let since = before.to_rfc3339().replace('+', "%2B");
    let (_, h) = f
        .get(
            &app,
            &format!("/fhir/OrganizationAffiliation/_history?_since={since}"),
        )
        .await;
    let methods: Vec<&str> = h["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["request"]["method"].as_str())
        .collect();
    assert_eq!(methods.iter().filter(|m| **m == "DELETE").count(), 1, "{h}");
    assert_eq!(methods.iter().filter(|m| **m == "PUT").count(), 2, "{h}");
    let gone = h["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["request"]["method"] == "DELETE")
        .and_then(|e| e["request"]["url"].as_str())
        .expect("a deletion")
        .to_owned();
    let (status, body) = f.get(&app, &format!("/fhir/{gone}")).await;
    assert_eq!(
        (status, body["issue"][0]["code"].as_str()),
        (410, Some("deleted"))
    );
    let (status, h) = f.get(&app, &format!("/fhir/{gone}/_history")).await;
    assert_eq!((status, total(&h)), (200, 1));

    // Archived: the network leaves every view, and its history says so.
    transition(
        &app,
        &child_id,
        child["version"].as_i64().expect("v"),
        "archived",
    )
    .await;
    let (_, b) = f.get(&app, "/fhir/Organization").await;
    assert_eq!(total(&b), 1);
    let (_, b) = f.get(&app, "/fhir/Location").await;
    assert_eq!(total(&b), 1);
    let (status, _) = f.get(&app, &format!("/fhir/Organization/{child_id}")).await;
    assert_eq!(status, 410);
    let (_, h) = f
        .get(&app, &format!("/fhir/Location/{location_id}/_history"))
        .await;
    assert_eq!(h["entry"][0]["request"]["method"], "DELETE");
    let history = f
        .all_pages(&app, "/fhir/Organization/_history?_count=2")
        .await;
    assert!(history.len() >= 4);

    // Everything fetched is valid FHIR R4.
    if let Some(counts) = validate(&f.0) {
        for kind in [
            "Bundle",
            "CapabilityStatement",
            "OperationOutcome",
            "Organization",
            "OrganizationAffiliation",
            "Location",
        ] {
            let [valid, all] = [counts[kind][0].as_u64(), counts[kind][1].as_u64()];
            assert!(all.unwrap_or(0) > 0, "no {kind} validated: {counts}");
            assert_eq!(valid, all, "{kind}: {counts}");
        }
        eprintln!("validated with fhir.resources (R4): {counts}");
    }
}
