//! Every class of bad input gets the right 4xx, a problem document naming the field, and
//! leaves the database exactly as it was.

use onconet_test_support::fixtures::{
    PRIVATE_CONTACT_NAME, PRIVATE_CONTACT_PHONE, PRIVATE_SENTINEL, full_network, minimal_network,
};
use onconet_test_support::{TestApp, spawn_app};
use serde_json::{Value, json};

/// `full_network()` with the field at `pointer` set to `value` (its parent must exist).
fn with(pointer: &str, value: Value) -> Value {
    let mut doc = full_network();
    let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", pointer));
    let target = doc
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no {parent} in the fixture"));
    match target {
        Value::Array(list) => list[key.parse::<usize>().expect("index")] = value,
        Value::Object(map) => {
            map.insert(key.to_owned(), value);
        }
        _ => panic!("{parent} is not a container"),
    }
    doc
}

fn without(key: &str) -> Value {
    let mut doc = full_network();
    doc.as_object_mut().expect("object").remove(key);
    doc
}

struct Case {
    what: &'static str,
    status: u16,
    /// A pointer (`/x`) or parameter name that must be listed in `errors`.
    field: Option<&'static str>,
}

async fn expect_problem(response: reqwest::Response, case: &Case) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(status, case.status, "{}: {body}", case.what);
    assert_eq!(content_type, "application/problem+json", "{}", case.what);
    assert_eq!(body["status"], case.status, "{}", case.what);
    assert!(
        body["title"].is_string() && body["type"].is_string(),
        "{}: {body}",
        case.what
    );
    // A problem names the field, never what was sent for it: the answer ends up in the
    // request log, and a submitted contact may be non-public.
    let digits: String = PRIVATE_CONTACT_PHONE
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let text = body.to_string();
    assert!(
        !text.contains(PRIVATE_SENTINEL) && !text.contains(&digits),
        "{}: the problem echoes a submitted value: {body}",
        case.what
    );
    if let Some(field) = case.field {
        let listed = body["errors"].as_array().is_some_and(|errors| {
            errors
                .iter()
                .any(|e| e["pointer"] == field || e["parameter"] == field)
        });
        assert!(listed, "{}: expected {field} in {body}", case.what);
    }
    // Each problem is listed once, in words a person reads (not a rule's internal name).
    let errors = body["errors"].as_array().cloned().unwrap_or_default();
    let mut places: Vec<String> = errors
        .iter()
        .map(|e| format!("{}{}", e["pointer"], e["parameter"]))
        .collect();
    places.sort();
    let listed = places.len();
    places.dedup();
    assert_eq!(
        places.len(),
        listed,
        "{}: a field listed twice: {body}",
        case.what
    );
    for e in &errors {
        let detail = e["detail"].as_str().unwrap_or("");
        assert!(
            !detail.is_empty() && !detail.contains("fails `"),
            "{}: unclear detail in {body}",
            case.what
        );
    }
}

async fn post_json(app: &TestApp, body: &Value) -> reqwest::Response {
    app.create_network(body).await
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_bodies_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    // Something to refer to and to patch, before the fingerprint.
    let existing = app
        .create_published(&minimal_network("Bestaand netwerk"))
        .await;
    let existing_id = existing["id"].as_str().expect("id").to_owned();
    let before = app.db_fingerprint().await;

    let long = "x".repeat(201);
    let cases: Vec<(Case, Value)> = vec![
        (
            Case {
                what: "wrong type",
                status: 422,
                field: Some("/name"),
            },
            with("/name", json!(5)),
        ),
        (
            Case {
                what: "unknown field",
                status: 422,
                field: Some("/colour"),
            },
            {
                let mut d = full_network();
                d["colour"] = json!("red");
                d
            },
        ),
        (
            Case {
                what: "unknown field in a nested object",
                status: 422,
                field: Some("/contacts/0/fax"),
            },
            {
                let mut d = full_network();
                d["contacts"][0]["fax"] = json!("x");
                d
            },
        ),
        (
            Case {
                what: "unknown discipline",
                status: 422,
                field: Some("/disciplines/1"),
            },
            with("/disciplines/1", json!("astrology")),
        ),
        (
            Case {
                what: "unknown financing form",
                status: 422,
                field: Some("/financing/0/form"),
            },
            with("/financing/0/form", json!("lottery")),
        ),
        (
            Case {
                what: "unknown network type",
                status: 422,
                field: Some("/type"),
            },
            with("/type", json!("club")),
        ),
        (
            Case {
                what: "unknown contact role",
                status: 422,
                field: Some("/contacts/0/role"),
            },
            with("/contacts/0/role", json!("boss")),
        ),
        (
            Case {
                what: "bad email",
                status: 422,
                field: Some("/contacts/1/email"),
            },
            with("/contacts/1/email", json!("not-an-email")),
        ),
        (
            Case {
                what: "wrong type for a non-public contact's flag",
                status: 422,
                field: Some("/contacts/1/public"),
            },
            with("/contacts/1/public", json!(PRIVATE_CONTACT_NAME)),
        ),
        (
            Case {
                what: "a non-public contact's phone as a number",
                status: 422,
                field: Some("/contacts/1/phone"),
            },
            with(
                "/contacts/1/phone",
                json!(
                    PRIVATE_CONTACT_PHONE
                        .chars()
                        .filter(char::is_ascii_digit)
                        .collect::<String>()
                        .parse::<u64>()
                        .expect("digits")
                ),
            ),
        ),
        (
            Case {
                what: "unknown role for a non-public contact",
                status: 422,
                field: Some("/contacts/1/role"),
            },
            with("/contacts/1/role", json!(PRIVATE_CONTACT_NAME)),
        ),
        (
            Case {
                what: "bad e-mail address of a non-public contact",
                status: 422,
                field: Some("/contacts/1/email"),
            },
            with("/contacts/1/email", json!(format!("{PRIVATE_SENTINEL}@"))),
        ),
        (
            Case {
                what: "bad phone",
                status: 422,
                field: Some("/contacts/0/phone"),
            },
            with("/contacts/0/phone", json!("call me")),
        ),
        (
            Case {
                what: "bad URL",
                status: 422,
                field: Some("/website"),
            },
            with("/website", json!("ftp://example.nl")),
        ),
        (
            Case {
                what: "script URL",
                status: 422,
                field: Some("/website"),
            },
            with("/website", json!("javascript:alert(1)")),
        ),
        (
            Case {
                what: "URL over 2,048 characters once percent-encoded",
                status: 422,
                field: Some("/website"),
            },
            with(
                "/website",
                json!(format!("https://x.nl/{}", "é".repeat(1000))),
            ),
        ),
        (
            Case {
                what: "empty name",
                status: 422,
                field: Some("/name"),
            },
            with("/name", json!("   ")),
        ),
        (
            Case {
                what: "too-long name",
                status: 422,
                field: Some("/name"),
            },
            with("/name", json!(long)),
        ),
        (
            Case {
                what: "too-long description",
                status: 422,
                field: Some("/description/nl"),
            },
            with("/description/nl", json!("x".repeat(5001))),
        ),
        (
            Case {
                what: "control character",
                status: 422,
                field: Some("/name"),
            },
            with("/name", json!("a\u{0007}b")),
        ),
        (
            Case {
                what: "bad UUID",
                status: 422,
                field: Some("/parent_id"),
            },
            with("/parent_id", json!("not-a-uuid")),
        ),
        (
            Case {
                what: "bad UUID in a link",
                status: 422,
                field: Some("/links/0/network_id"),
            },
            with("/links", json!([{"network_id": "123", "kind": "other"}])),
        ),
        (
            Case {
                what: "unknown parent",
                status: 422,
                field: Some("/parent_id"),
            },
            with("/parent_id", json!("00000000-0000-4000-8000-000000000000")),
        ),
        (
            Case {
                what: "unknown linked network",
                status: 422,
                field: Some("/links/1/network_id"),
            },
            with(
                "/links",
                json!([{"network_id": existing_id, "kind": "hospital_network"}, {"network_id": "00000000-0000-4000-8000-000000000001", "kind": "other"}]),
            ),
        ),
        (
            Case {
                what: "missing required field",
                status: 422,
                field: Some("/scale"),
            },
            without("scale"),
        ),
        (
            Case {
                what: "bad date",
                status: 422,
                field: Some("/financing/0/since"),
            },
            with("/financing/0/since", json!("2024-13-01")),
        ),
        (
            Case {
                what: "end before start",
                status: 422,
                field: Some("/financing/0/until"),
            },
            with("/financing/0/until", json!("2023-01-01")),
        ),
        (
            Case {
                what: "bad AGB code",
                status: 422,
                field: Some("/members/0/agb"),
            },
            with("/members/0/agb", json!("123")),
        ),
        (
            Case {
                what: "latitude out of range",
                status: 422,
                field: Some("/members/0/location/lat"),
            },
            with("/members/0/location/lat", json!(123.0)),
        ),
        (
            Case {
                what: "zero radius",
                status: 422,
                field: Some("/service_area/circles/0/radius_km"),
            },
            with("/service_area/circles/0/radius_km", json!(0)),
        ),
        (
            Case {
                what: "bad municipality code",
                status: 422,
                field: Some("/service_area/municipalities/0"),
            },
            with("/service_area/municipalities/0", json!("Groningen")),
        ),
        (
            Case {
                what: "self-intersecting polygon",
                status: 422,
                field: Some("/service_area/geometry"),
            },
            with(
                "/service_area/geometry",
                json!({"type": "Polygon", "coordinates": [[[6.5, 53.2], [6.6, 53.25], [6.6, 53.2], [6.5, 53.25], [6.5, 53.2]]]}),
            ),
        ),
        (
            Case {
                what: "polygon outside the Netherlands",
                status: 422,
                field: Some("/service_area/geometry"),
            },
            with(
                "/service_area/geometry",
                json!({"type": "Polygon", "coordinates": [[[13.3, 52.5], [13.4, 52.5], [13.4, 52.6], [13.3, 52.5]]]}),
            ),
        ),
        (
            Case {
                what: "tumour group without tumour types",
                status: 422,
                field: Some("/tumour_types"),
            },
            json!({"name": "Tumorgroep", "type": "network_tumour_group", "scale": "regional"}),
        ),
        (
            Case {
                what: "not an object",
                status: 422,
                field: None,
            },
            json!(["a", "b"]),
        ),
    ];
    for (case, body) in &cases {
        expect_problem(post_json(&app, body).await, case).await;
    }

    // Several bad fields are all listed at once.
    let mut many = full_network();
    many["name"] = json!("");
    many["website"] = json!("nope");
    many["disciplines"] = json!(["astrology"]);
    many["contacts"][0]["email"] = json!("x@");
    let r = post_json(&app, &many).await;
    assert_eq!(r.status(), 422);
    let problem: Value = r.json().await.expect("json");
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["pointer"].as_str())
        .collect();
    for p in ["/name", "/website", "/disciplines/0", "/contacts/0/email"] {
        assert!(pointers.contains(&p), "{p} missing from {pointers:?}");
    }

    let raw = |body: &'static str, content_type: &'static str| {
        app.client
            .post(app.url("/v1/networks"))
            .bearer_auth(&app.staff_token)
            .header("Content-Type", content_type)
            .body(body)
            .send()
    };
    expect_problem(
        raw("{\"name\": ", "application/json").await.expect("post"),
        &Case {
            what: "malformed JSON",
            status: 400,
            field: None,
        },
    )
    .await;
    expect_problem(
        raw("name=x", "text/plain").await.expect("post"),
        &Case {
            what: "wrong content type",
            status: 415,
            field: None,
        },
    )
    .await;
    // serde reads a struct from an array of its fields in order; the API takes objects only.
    expect_problem(
        raw(
            r#"["positional", "oncology_care_network", "local"]"#,
            "application/json",
        )
        .await
        .expect("post"),
        &Case {
            what: "the fields as an array",
            status: 422,
            field: Some(""),
        },
    )
    .await;
    let encoded = app
        .client
        .post(app.url("/v1/networks"))
        .bearer_auth(&app.staff_token)
        .header("Content-Type", "application/json")
        .header("Content-Encoding", "br")
        .body(minimal_network("x").to_string())
        .send()
        .await
        .expect("post");
    expect_problem(
        encoded,
        &Case {
            what: "a Content-Encoding",
            status: 415,
            field: None,
        },
    )
    .await;
    let huge = json!({"name": "x", "type": "oncology_care_network", "scale": "local", "description": {"nl": "x".repeat(1024 * 1024 + 10)}});
    expect_problem(
        post_json(&app, &huge).await,
        &Case {
            what: "body over 1 MiB",
            status: 413,
            field: None,
        },
    )
    .await;

    // Authentication.
    let anonymous = app
        .client
        .post(app.url("/v1/networks"))
        .json(&minimal_network("x"))
        .send()
        .await
        .expect("post");
    expect_problem(
        anonymous,
        &Case {
            what: "no token",
            status: 401,
            field: None,
        },
    )
    .await;
    let garbage = app
        .client
        .post(app.url("/v1/networks"))
        .bearer_auth("garbage")
        .json(&minimal_network("x"))
        .send()
        .await
        .expect("post");
    expect_problem(
        garbage,
        &Case {
            what: "garbage token",
            status: 401,
            field: None,
        },
    )
    .await;

    // Unknown and malformed ids.
    for path in [
        "/v1/networks/00000000-0000-4000-8000-000000000000",
        "/v1/networks/not-a-uuid",
    ] {
        expect_problem(
            app.get(path).send().await.expect("get"),
            &Case {
                what: "unknown id",
                status: 404,
                field: None,
            },
        )
        .await;
    }
    // A long id is not echoed back whole.
    let long = format!("/v1/networks/{}", "a".repeat(20_000));
    let r = app.get(&long).send().await.expect("get");
    assert_eq!(r.status(), 404);
    let text = r.text().await.expect("text");
    assert!(text.len() < 1_000, "{} bytes", text.len());

    // Bad patches.
    let path = app.url(&format!("/v1/networks/{existing_id}"));
    let etag = format!("\"v{}\"", existing["version"]);
    let patch = |body: Value| {
        app.client
            .patch(&path)
            .bearer_auth(&app.staff_token)
            .header("If-Match", &etag)
            .json(&body)
            .send()
    };
    expect_problem(
        patch(json!({"state": "draft"})).await.expect("patch"),
        &Case {
            what: "read-only field",
            status: 422,
            field: Some("/state"),
        },
    )
    .await;
    expect_problem(
        patch(json!({"name": null})).await.expect("patch"),
        &Case {
            what: "removing a required field",
            status: 422,
            field: Some("/name"),
        },
    )
    .await;
    expect_problem(
        patch(json!({"disciplines": ["astrology"]}))
            .await
            .expect("patch"),
        &Case {
            what: "unknown code by patch",
            status: 422,
            field: Some("/disciplines/0"),
        },
    )
    .await;
    expect_problem(
        patch(json!({"parent_id": existing_id}))
            .await
            .expect("patch"),
        &Case {
            what: "own parent",
            status: 422,
            field: Some("/parent_id"),
        },
    )
    .await;
    expect_problem(
        patch(json!({"contacts": [{"role": "chair", "name": PRIVATE_CONTACT_NAME, "phone": PRIVATE_CONTACT_PHONE, "public": PRIVATE_CONTACT_NAME}]}))
            .await
            .expect("patch"),
        &Case {
            what: "a non-public contact of the wrong shape by patch",
            status: 422,
            field: Some("/contacts/0/public"),
        },
    )
    .await;
    expect_problem(
        patch(json!("text")).await.expect("patch"),
        &Case {
            what: "patch not an object",
            status: 422,
            field: None,
        },
    )
    .await;

    // Bad transitions.
    let transition = |body: Value| {
        app.client
            .post(format!("{path}/transitions"))
            .bearer_auth(&app.staff_token)
            .header("If-Match", &etag)
            .json(&body)
            .send()
    };
    expect_problem(
        transition(json!({"to": "deleted"})).await.expect("post"),
        &Case {
            what: "unknown state",
            status: 422,
            field: Some("/to"),
        },
    )
    .await;
    expect_problem(
        transition(json!({"to": "submitted"})).await.expect("post"),
        &Case {
            what: "impossible move",
            status: 409,
            field: None,
        },
    )
    .await;

    // Bad list parameters.
    for (query, parameter) in [
        ("per_page=101", "per_page"),
        ("per_page=0", "per_page"),
        ("page=abc", "page"),
        ("discipline=astrology", "discipline"),
        ("type=club", "type"),
        ("lifecycle=dormant", "lifecycle"),
        ("modified_after=yesterday", "modified_after"),
        ("municipality=Groningen", "municipality"),
        ("colour=red", "colour"),
    ] {
        let r = app
            .get(&format!("/v1/networks?{query}"))
            .send()
            .await
            .expect("get");
        expect_problem(
            r,
            &Case {
                what: "bad list parameter",
                status: 400,
                field: Some(parameter),
            },
        )
        .await;
    }

    assert_eq!(
        app.db_fingerprint().await,
        before,
        "a refused request must leave the database unchanged"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn nul_bytes_are_refused_not_stored() {
    let app = spawn_app().await;
    let r = app.get("/v1/networks?q=ab%00c").send().await.expect("list");
    assert_eq!(r.status(), 400);
    let mut body = minimal_network("Met \u{0}");
    let r = app.create_network(&body).await;
    assert_eq!(r.status(), 422);
    // Foreign members of a GeoJSON geometry are not kept (they could hold anything).
    body["name"] = json!("Gebied");
    body["service_area"] = json!({"geometry": {"type": "Polygon", "coordinates": [[[5.0, 52.0], [5.1, 52.0], [5.1, 52.1], [5.0, 52.0]]], "crs": "x\u{0}"}});
    let r = app.create_network(&body).await;
    assert_eq!(r.status(), 201);
    let n: Value = r.json().await.expect("json");
    assert!(n["service_area"]["geometry"].get("crs").is_none());
    // A transition's reason is text like any other (it was a 500 from PostgreSQL's jsonb).
    let id = n["id"].as_str().expect("id");
    for (reason, status) in [
        ("a\u{0}b", 422),
        ("a\u{7}b", 422),
        ("regel 1\nregel 2", 200),
    ] {
        let r = app
            .client
            .post(app.url(&format!("/v1/networks/{id}/transitions")))
            .bearer_auth(&app.staff_token)
            .header("If-Match", "\"v1\"")
            .json(&json!({"to": "submitted", "reason": reason}))
            .send()
            .await
            .expect("transition");
        assert_eq!(r.status(), status, "{reason:?}");
        if status == 422 {
            let problem: Value = r.json().await.expect("json");
            assert_eq!(problem["errors"][0]["pointer"], "/reason", "{problem}");
        }
    }
}

/// A body that stops arriving gets a 408 problem once `BODY_TIMEOUT` has passed (actix itself
/// times out only the head), and the write it was for does not happen.
#[tokio::test(flavor = "multi_thread")]
async fn a_body_that_stops_arriving_is_answered_408() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app().await;
    let before = app.db_fingerprint().await;
    let host = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&host)
        .await
        .expect("connect");
    let head = format!(
        "POST /v1/networks HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\"",
        app.staff_token
    );
    stream.write_all(head.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    // The server answers and closes; a generous bound keeps a broken server from hanging the
    // suite (it is not a timing assertion).
    let read = tokio::time::timeout(std::time::Duration::from_secs(120), async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    answer.extend_from_slice(&buf[..n]);
                    if answer.windows(4).any(|w| w == b"\r\n\r\n")
                        && String::from_utf8_lossy(&answer).contains("request-timeout")
                    {
                        break;
                    }
                }
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no answer to a stalled body");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("application/problem+json"), "{text}");
    assert_eq!(app.db_fingerprint().await, before);
}
