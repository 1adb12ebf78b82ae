//! `POST /v1/imports` and the templates: every format, dry runs, re-imports that write nothing,
//! updates by external id, and a file of broken rows of every kind, each reported at its row
//! with nothing written.

use onconet_exchange::write::{Headings, XlsxWriter};
use onconet_test_support::{TestApp, spawn_app};
use serde_json::{Map, Value, json};

const CSV: &str = "text/csv";
const XLSX: &str = onconet_exchange::XLSX_MEDIA_TYPE;

async fn import(app: &TestApp, body: Vec<u8>, content_type: &str, dry_run: bool) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(&format!("/v1/imports?dry_run={dry_run}")))
        .bearer_auth(&app.staff_token)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .expect("import");
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// `(row, code)` of every problem, in order.
fn problems(problem: &Value) -> Vec<(Option<u64>, String)> {
    problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["row"].as_u64(),
                        e["code"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn staff_list(app: &TestApp, query: &str) -> Value {
    app.get(&format!(
        "/v1/networks?state=draft,submitted,published,archived&per_page=100&{query}"
    ))
    .bearer_auth(&app.staff_token)
    .send()
    .await
    .expect("list")
    .json()
    .await
    .expect("json")
}

async fn history_len(app: &TestApp, id: &str) -> usize {
    let h: Value = app
        .get(&format!("/v1/networks/{id}/history"))
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .expect("history")
        .json()
        .await
        .expect("json");
    h["items"].as_array().map_or(0, Vec::len)
}

const DUTCH_CSV: &str = "\u{feff}Extern ID;Naam;Soort;Schaal;Levensfase;ROS;Disciplines;Gemeenten (CBS-codes);Postcodes (PC4);Naam contactpersoon;Rol contactpersoon;E-mail contactpersoon;Contactpersoon openbaar\r\n\
A-1;Netwerk Stad;oncology_care_network;local;active;ros-noord;physiotherapy| dietetics;GM0014;;Anna;coordinator;anna@example.nl;ja\r\n\
A-2;Netwerk Ommeland;oncology_care_network;regional;active;ros-noord;psychology;;9711|9712;Bram;chair;bram@example.nl;nee\r\n\
A-3;Borstkanker Noord;network_tumour_group;regional;in_formation;ros-noord;;;;;;;\r\n";

#[tokio::test(flavor = "multi_thread")]
async fn csv_import_dry_run_then_for_real_then_again() {
    let app = spawn_app().await;
    // A tumour group needs its tumour types: the third row gets them in an English column.
    let file: String = DUTCH_CSV
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, l)| match i {
            0 => format!("{l};Tumour types\r\n"),
            3 => format!("{l};breast\r\n"),
            _ => format!("{l};\r\n"),
        })
        .collect();
    let before = app.db_fingerprint().await;
    let (status, report) = import(
        &app,
        file.clone().into_bytes(),
        "text/csv; charset=utf-8",
        true,
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["unit"], "line");
    assert_eq!(
        (report["created"].as_u64(), report["updated"].as_u64()),
        (Some(3), Some(0))
    );
    assert_eq!(
        app.db_fingerprint().await,
        before,
        "a dry run writes nothing"
    );

    let (status, report) = import(&app, file.clone().into_bytes(), CSV, false).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["created"], 3);
    assert_eq!(report["rows"][0]["row"], 2);
    let list = staff_list(&app, "").await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(3));
    let stad = &list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|n| n["external_id"] == "A-1")
        .cloned()
        .expect("A-1");
    assert_eq!(stad["state"], "draft");
    assert_eq!(stad["disciplines"], json!(["dietetics", "physiotherapy"]));
    assert_eq!(stad["service_area"]["municipalities"], json!(["GM0014"]));
    assert_eq!(
        stad["contacts"],
        json!([{"role": "coordinator", "name": "Anna", "email": "anna@example.nl", "phone": null, "public": true}])
    );
    let id = stad["id"].as_str().expect("id").to_owned();
    let h: Value = app
        .get(&format!("/v1/networks/{id}/history"))
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .expect("h")
        .json()
        .await
        .expect("json");
    assert_eq!(h["items"][0]["action"], "imported", "{h}");

    // The same file again: every row found by its external id, nothing changed, nothing written.
    let written = app.db_fingerprint().await;
    let (status, report) = import(&app, file.clone().into_bytes(), CSV, false).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (
            report["created"].as_u64(),
            report["updated"].as_u64(),
            report["unchanged"].as_u64()
        ),
        (Some(0), Some(0), Some(3))
    );
    assert_eq!(
        app.db_fingerprint().await,
        written,
        "a re-import writes no revision"
    );

    // One cell changed: that network is updated, the others untouched; a column the file does
    // not have (website, set meanwhile) stays.
    let patched = app
        .client
        .patch(app.url(&format!("/v1/networks/{id}")))
        .bearer_auth(&app.staff_token)
        .header("If-Match", "\"v1\"")
        .header("Content-Type", "application/merge-patch+json")
        .body(json!({"website": "https://www.example.nl/stad"}).to_string())
        .send()
        .await
        .expect("patch");
    assert_eq!(patched.status(), 200);
    let changed = file.replace("Netwerk Stad;", "Netwerk Stad-Centrum;");
    let (status, report) = import(&app, changed.into_bytes(), CSV, false).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (
            report["created"].as_u64(),
            report["updated"].as_u64(),
            report["unchanged"].as_u64()
        ),
        (Some(0), Some(1), Some(2))
    );
    let read: Value = app
        .get(&format!("/v1/networks/{id}"))
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(read["name"], "Netwerk Stad-Centrum");
    assert_eq!(read["website"], "https://www.example.nl/stad");
    assert_eq!(history_len(&app, &id).await, 3);
}

fn doc(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("object")
}

#[tokio::test(flavor = "multi_thread")]
async fn xlsx_geojson_and_ndjson_imports() {
    let app = spawn_app().await;
    let mut xlsx = XlsxWriter::export(Headings::English).expect("xlsx");
    for i in 1..=3 {
        xlsx.push(&doc(json!({
            "external_id": format!("X-{i}"), "name": format!("Spreadsheet {i}"), "type": "oncology_care_network",
            "scale": "local", "ros_org": "ros-zuid", "service_area": {"circles": [{"lat": 51.44, "lon": 5.47, "radius_km": 5 + i}]},
            "contacts": [{"role": "general", "name": "Info", "phone": "+31 40 123 4567", "public": true}]
        })))
        .expect("row");
    }
    let (status, report) = import(&app, xlsx.finish().expect("finish"), XLSX, false).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["unit"], "row");
    assert_eq!(report["created"], 3);
    let list = staff_list(&app, "q=Spreadsheet").await;
    let phones: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|n| n["contacts"][0]["phone"].as_str())
        .collect();
    assert_eq!(
        phones, ["+31 40 123 4567"; 3],
        "a neutralised cell reads back as written"
    );

    let geojson = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Vlak", "type": "oncology_care_network", "scale": "local", "external_id": "G-1"},
         "geometry": {"type": "Polygon", "coordinates": [[[6.5, 53.2], [6.6, 53.2], [6.6, 53.25], [6.5, 53.25], [6.5, 53.2]]]}}
    ]});
    let (status, report) = import(
        &app,
        geojson.to_string().into_bytes(),
        "application/geo+json",
        false,
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (report["unit"].as_str(), report["created"].as_u64()),
        (Some("feature"), Some(1))
    );
    let vlak = staff_list(&app, "q=Vlak").await;
    assert_eq!(
        vlak["items"][0]["service_area"]["geometry"]["type"],
        "Polygon"
    );
    assert!(
        vlak["items"][0]["area_km2"]
            .as_f64()
            .is_some_and(|a| a > 10.0)
    );

    let ndjson = "{\"name\": \"Regel een\", \"type\": \"oncology_care_network\", \"scale\": \"local\"}\n\n{\"name\": \"Regel twee\", \"type\": \"expert_panel\", \"scale\": \"supra_regional\", \"tumour_types\": [\"breast\"]}\n";
    let (status, report) = import(
        &app,
        ndjson.as_bytes().to_vec(),
        "application/x-ndjson",
        false,
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["created"], 2);
    assert_eq!(report["rows"][1]["row"], 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn who_may_import_and_the_templates() {
    let app = spawn_app().await;
    let send = |token: Option<&str>| {
        let mut r = app
            .client
            .post(app.url("/v1/imports"))
            .header("Content-Type", CSV)
            .body(DUTCH_CSV);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    assert_eq!(send(None).await.expect("anon").status(), 401);
    let adviser = send(Some(&app.adviser_token)).await.expect("adviser");
    assert_eq!(adviser.status(), 403);
    assert_eq!(
        adviser.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(
        send(Some(&app.admin_token)).await.expect("admin").status(),
        422,
        "the tumour group lacks tumour types"
    );

    for (path, lang, heading) in [
        ("/v1/imports/template.csv", "nl", "Naam"),
        ("/v1/imports/template.csv", "en", "Name"),
        ("/v1/imports/template.csv", "", "Naam"),
    ] {
        let r = app
            .get(
                &format!("{path}?lang={lang}")
                    .replace("?lang=", if lang.is_empty() { "?" } else { "?lang=" }),
            )
            .send()
            .await
            .expect("template");
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap_or("")
                .starts_with("text/csv")
        );
        let text = r.text().await.expect("text");
        assert!(
            text.lines()
                .next()
                .unwrap_or("")
                .split(',')
                .any(|h| h == heading),
            "{text}"
        );
    }
    let r = app
        .get("/v1/imports/template.xlsx?lang=en")
        .send()
        .await
        .expect("xlsx");
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.expect("bytes");
    let parsed = onconet_exchange::read(&bytes, onconet_exchange::Format::Xlsx);
    assert!(parsed.problems.is_empty());
    assert_eq!(parsed.rows.len(), 1, "one example row");
    assert_eq!(
        app.get("/v1/imports/template.csv?lang=de")
            .send()
            .await
            .expect("de")
            .status(),
        400
    );

    // The template's example row imports as it is (it is a valid network, clearly named).
    let template = app
        .get("/v1/imports/template.csv")
        .send()
        .await
        .expect("t")
        .bytes()
        .await
        .expect("b");
    let (status, report) = import(&app, template.to_vec(), CSV, true).await;
    assert_eq!(status, 200, "{report}");
}

/// One file with a broken row of every kind a row can be broken in; each is reported at its
/// line, with its column, and nothing is written.
#[tokio::test(flavor = "multi_thread")]
async fn a_file_of_broken_rows_writes_nothing_and_says_where() {
    let app = spawn_app().await;
    let parent = "01939f6e-0000-7000-8000-00000000abcd";
    let bowtie = r#""{""type"":""Polygon"",""coordinates"":[[[5,52],[5.1,52.1],[5.1,52],[5,52.1],[5,52]]]}""#;
    let long = "x".repeat(201);
    let lines = [
        "external_id;name;type;scale;disciplines;municipalities;postcodes;service_area.geometry;service_area.circles;website;ros_org;parent_id;tumour_types;contact.name;contact.email;contact.public;contacts".to_owned(),
        /* 2 */ "B-01;Goed;oncology_care_network;local;;GM0014;;;;;;;;;;;".to_owned(),
        /* 3 */ "B-02;Codes;oncology_care_network;local;astrology;;;;;;;;;;;;".to_owned(),
        /* 4 */ "B-03;Gemeente;oncology_care_network;local;;GM9999;;;;;;;;;;;".to_owned(),
        /* 5 */ "B-04;Postcode;oncology_care_network;local;;;0123;;;;;;;;;;".to_owned(),
        /* 6 */ format!("B-05;Vlinder;oncology_care_network;local;;;;{bowtie};;;;;;;;;"),
        /* 7 */ r#"B-06;Parijs;oncology_care_network;local;;;;;"[{""lat"":48.85,""lon"":2.35,""radius_km"":10}]";;;;;;;;"#.to_owned(),
        /* 8 */ "B-07;Mail;oncology_care_network;local;;;;;;;;;;Piet;piet@@example;ja;".to_owned(),
        /* 9 */ "B-01;Dubbel;oncology_care_network;local;;;;;;;;;;;;;".to_owned(),
        /* 10 */ ";;;;;;;;;;;;;;;;".to_owned(),
        /* 11 */ "B-09;=HYPERLINK(\"\"http://evil.example\"\",\"\"klik\"\");oncology_care_network;local;;;;;;;;;;;;;".to_owned(),
        /* 12 */ "B-10;Soort;hospital;local;;;;;;;;;;;;;".to_owned(),
        /* 13 */ "B-11;;oncology_care_network;local;;;;;;;;;;;;;".to_owned(),
        /* 14 */ "B-12;Json;oncology_care_network;local;;;;;;;;;;;;;[{\"role\":".to_owned(),
        /* 15 */ "B-13;Te veel;oncology_care_network;local;;;;;;;;;;;;;;extra".to_owned(),
        /* 16 */ "B-14,Komma,oncology_care_network,local".to_owned(),
        /* 17 */ "B-15;Site;oncology_care_network;local;;;;;;www.example.nl;;;;;;;".to_owned(),
        /* 18 */ "B-16;Ros;oncology_care_network;local;;;;;;;Pro Scoop;;;;;;".to_owned(),
        /* 19 */ "B-17;Openbaar;oncology_care_network;local;;;;;;;;;;Jan;jan@example.nl;misschien;".to_owned(),
        /* 20 */ format!("B-18;Ouder;oncology_care_network;local;;;;;;;;{parent};;;;;"),
        /* 21 */ format!("B-19;{long};oncology_care_network;local;;;;;;;;;;;;;"),
        /* 22 */ "B-20;Tumorgroep;network_tumour_group;regional;;;;;;;;;;;;;".to_owned(),
        /* 23 */ "B-21;Goed twee;oncology_care_network;local;;;9711;;;;;;;;;;".to_owned(),
    ];
    let file = lines.join("\n") + "\n";
    let before = app.db_fingerprint().await;
    let (status, problem) = import(&app, file.into_bytes(), CSV, false).await;
    assert_eq!(status, 422, "{problem}");
    let found = problems(&problem);
    let expected: &[(u64, &str)] = &[
        (3, "unknown_code"),
        (4, "unknown_region"),
        (5, "invalid_format"),
        (6, "self_intersection"),
        (7, "outside_netherlands"),
        (8, "invalid_email"),
        (9, "duplicate"),
        (10, "empty_row"),
        (11, "formula"),
        (12, "unknown_code"),
        (13, "required"),
        (14, "invalid_json"),
        (15, "too_many_cells"),
        (16, "wrong_delimiter"),
        (17, "invalid_url"),
        (18, "invalid_format"),
        (19, "invalid_boolean"),
        (20, "unknown_network"),
        (21, "invalid_length"),
        (22, "required"),
    ];
    for (row, code) in expected {
        assert!(
            found
                .iter()
                .any(|(r, c)| *r == Some(*row) && c.as_str() == *code),
            "line {row}: expected {code}; got {found:?}\n{problem:#}"
        );
    }
    let rows: Vec<u64> = found.iter().filter_map(|(r, _)| *r).collect();
    assert!(
        !rows.contains(&2) && !rows.contains(&23),
        "the good rows have no problem: {found:?}"
    );
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("nothing was imported")),
        "{problem}"
    );
    let mail = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .find(|e| e["row"] == 8)
        .expect("row 8");
    assert_eq!(mail["column"], "contact.email", "{mail}");
    assert_eq!(mail["pointer"], "/contacts/0/email");
    assert_eq!(app.db_fingerprint().await, before, "nothing was written");
}

#[tokio::test(flavor = "multi_thread")]
async fn broken_files_are_refused_whole() {
    let app = spawn_app().await;
    let before = app.db_fingerprint().await;
    // A wrong delimiter throughout, an unknown column, the wrong encoding, a cut-off workbook,
    // something that is not a FeatureCollection, an empty file.
    let cases: Vec<(Vec<u8>, &str, Option<u64>, &str)> = vec![
        (b"name\ttype\nA\toncology_care_network\n".to_vec(), CSV, Some(1), "wrong_delimiter"),
        (b"naam;kleur\nA;rood\n".to_vec(), CSV, Some(1), "unknown_column"),
        (b"naam;soort;schaal\nA;oncology_care_network;local\nCaf\xe9;oncology_care_network;local\n".to_vec(), CSV, Some(3), "encoding"),
        ({
            let mut w = XlsxWriter::export(Headings::Dutch).expect("xlsx");
            w.push(&doc(json!({"name": "A", "type": "oncology_care_network", "scale": "local"}))).expect("row");
            let mut bytes = w.finish().expect("finish");
            bytes.truncate(bytes.len() / 2);
            bytes
        }, XLSX, None, "unreadable_xlsx"),
        (b"{\"type\": \"Feature\"}".to_vec(), "application/geo+json", None, "not_a_feature_collection"),
        (Vec::new(), CSV, None, "empty_file"),
    ];
    for (body, content_type, row, code) in cases {
        let (status, problem) = import(&app, body, content_type, false).await;
        assert_eq!(status, 422, "{code}: {problem}");
        assert_eq!(
            problems(&problem).first().cloned(),
            Some((row, code.to_owned())),
            "{problem}"
        );
    }
    // Not one of the four formats.
    let (status, problem) = import(&app, b"x".to_vec(), "text/plain", false).await;
    assert_eq!(status, 415, "{problem}");
    assert_eq!(app.db_fingerprint().await, before);
}

/// A 50 MB upload is refused from its Content-Length, before the body is read.
#[tokio::test(flavor = "multi_thread")]
async fn a_file_of_50_mb_is_refused_before_it_is_read() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app().await;
    let addr = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let head = format!(
        "POST /v1/imports HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Type: text/csv\r\nContent-Length: {}\r\n\r\nname\r\n",
        app.staff_token,
        50 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.expect("send head");
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    // The answer comes although the body is 50 MB short.
    loop {
        let n = tokio::time::timeout(std::time::Duration::from_secs(20), stream.read(&mut buf))
            .await
            .expect("answered without the body")
            .expect("read");
        answer.extend_from_slice(&buf[..n]);
        if n == 0
            || String::from_utf8_lossy(&answer).contains("\r\n\r\n{") && answer.ends_with(b"}")
        {
            break;
        }
    }
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("application/problem+json"), "{text}");
}
