//! Anonymous usage counts (issue 17): what the finder and the toolbox count, `/v1/usage` with
//! its suppression of counts below 5, the demand in coverage reports, and that nothing about
//! the person asking is stored.

use chrono::{Days, Utc};
use onconet_domain::Role;
use onconet_test_support::{TestApp, spawn_app_with, spawn_peer};
use serde_json::Value;
use std::time::{Duration, Instant};

/// A token subject that must never reach the usage counts.
const PROBE_SUB: &str = "usage-probe-subject-7361";

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut r = app.get(path);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.expect("request")
}

async fn ok_json(app: &TestApp, path: &str, token: Option<&str>) -> Value {
    let r = get(app, path, token).await;
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.expect("json")
}

/// `n` times `GET path` (each must be 200).
async fn times(app: &TestApp, n: usize, path: &str, token: Option<&str>) {
    for _ in 0..n {
        let r = get(app, path, token).await;
        assert_eq!(r.status(), 200, "{path}");
    }
}

/// The usage report once the counts have reached the database (they are flushed every second
/// in the tests), i.e. once `ready` holds.
async fn usage_when(app: &TestApp, query: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let report = ok_json(app, &format!("/v1/usage?{query}"), Some(&app.staff_token)).await;
        if ready(&report) {
            return report;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the counts never arrived: {report:#}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn entry<'a>(list: &'a Value, key: &str) -> Option<&'a Value> {
    list.as_array()?.iter().find(|e| e["key"] == key)
}

fn region<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["regions"]
        .as_array()
        .expect("regions")
        .iter()
        .find(|r| r["code"] == code)
        .unwrap_or_else(|| panic!("no region {code}"))
}

#[tokio::test]
async fn searches_and_views_are_counted_suppressed_and_shown_as_demand() {
    let app = spawn_app_with(|s| s.demo = true).await;
    let probe = app.token(&[Role::RosAdviser], Some("ros-noord"), PROBE_SUB);

    // Find a network. Groningen (GM0014) has a care network offering physiotherapy; nothing
    // covers The Hague (GM0518); the demo expert panel covers Rotterdam (GM0599).
    times(
        &app,
        6,
        "/v1/search?postcode=9711&discipline=physiotherapy",
        Some(&probe),
    )
    .await;
    times(
        &app,
        5,
        "/v1/search?municipality=GM0518&discipline=physiotherapy",
        None,
    )
    .await;
    times(&app, 5, "/v1/search?lat=52.0799&lon=4.3113", None).await;
    times(&app, 3, "/v1/search?municipality=GM0599", None).await;
    // Not new searches: further pages.
    times(&app, 4, "/v1/search?postcode=9711&page=2", None).await;

    // The toolbox: one search in two word orders, one that finds nothing, one too rare to
    // show; item views; a second page is no new search.
    times(
        &app,
        5,
        "/v1/toolbox?q=Financiering%20van%20het%20MDO",
        None,
    )
    .await;
    times(&app, 5, "/v1/toolbox?q=MDO%20financiering", None).await;
    times(&app, 5, "/v1/toolbox?q=xyzzy%20plugh", Some(&probe)).await;
    times(&app, 2, "/v1/toolbox?q=beleidsplan", None).await;
    times(&app, 3, "/v1/toolbox?q=MDO&page=2", None).await;
    let items = ok_json(&app, "/v1/toolbox?per_page=2", None).await;
    let first = items["items"][0]["id"].as_str().expect("id").to_owned();
    let second = items["items"][1]["id"].as_str().expect("id").to_owned();
    times(&app, 6, &format!("/v1/toolbox/{first}"), None).await;
    times(&app, 2, &format!("/v1/toolbox/{second}"), None).await;

    let report = usage_when(&app, "", |r| {
        r["totals"]["finder_searches"] == 19 && r["totals"]["toolbox_views"] == 8
    })
    .await;
    let totals = &report["totals"];
    assert_eq!(totals["finder_searches_without_result"], 10, "{report:#}");
    assert_eq!(totals["toolbox_searches"], 17, "{report:#}");
    assert_eq!(totals["toolbox_searches_without_result"], 5, "{report:#}");
    assert_eq!(report["min_shown"], 5);
    let today = Utc::now().date_naive();
    assert_eq!(report["to"], today.to_string());
    assert_eq!(report["days"].as_array().expect("days").len(), 30);
    let last = report["days"]
        .as_array()
        .and_then(|d| d.last())
        .expect("day");
    assert_eq!(last["day"], today.to_string());
    assert_eq!(last["finder_searches"], 19);
    assert_eq!(report["days"][0]["finder_searches"], Value::Null);

    let top = &report["top"];
    let hague = entry(&top["municipalities"], "GM0518").expect("GM0518");
    assert_eq!(
        (&hague["count"], &hague["without_result"], &hague["label"]),
        (
            &Value::from(10),
            &Value::from(10),
            &Value::from("'s-Gravenhage")
        )
    );
    let groningen = entry(&top["municipalities"], "GM0014").expect("GM0014");
    assert_eq!(groningen["count"], 6);
    assert_eq!(groningen["without_result"], Value::Null, "0 is below 5");
    assert!(entry(&top["municipalities"], "GM0599").is_none(), "3 < 5");
    let physio = entry(&top["filters"], "discipline=physiotherapy").expect("physio");
    assert_eq!(
        (&physio["count"], &physio["without_result"]),
        (&11.into(), &5.into())
    );
    let none = entry(&top["filters"], "").expect("no filter");
    assert_eq!(none["count"], 8);
    assert_eq!(
        entry(&top["toolbox_queries"], "financiering mdo").expect("query")["count"],
        10
    );
    let nothing = entry(&top["toolbox_queries"], "plugh xyzzy").expect("xyzzy");
    assert_eq!(nothing["without_result"], 5);
    assert!(
        entry(&top["toolbox_queries"], "beleidsplan").is_none(),
        "2 < 5"
    );
    let viewed = entry(&top["toolbox_items"], &first).expect("viewed item");
    assert_eq!(viewed["count"], 6);
    assert!(viewed["label"].is_string());
    assert!(entry(&top["toolbox_items"], &second).is_none(), "2 < 5");
    let top1 = ok_json(&app, "/v1/usage?top=1", Some(&app.staff_token)).await;
    assert_eq!(
        top1["top"]["municipalities"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(top1["top"]["municipalities"][0]["key"], "GM0518");

    // The same as CSV.
    let csv = get(&app, "/v1/usage?format=csv", Some(&app.staff_token)).await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.expect("csv");
    assert!(
        csv.starts_with("section,day,key,label,measure,count\n"),
        "{csv}"
    );
    assert!(
        csv.contains("\nmunicipality,,GM0518,'s-Gravenhage,finder_searches,10\n"),
        "{csv}"
    );
    assert!(
        csv.contains("\nmunicipality,,GM0014,Groningen,finder_searches_without_result,\n"),
        "{csv}"
    );
    assert!(
        csv.contains(&format!("\nday,{today},,,finder_searches,19\n")),
        "{csv}"
    );
    assert!(!csv.contains("GM0599"), "{csv}");

    // Nothing about who asked is stored: the table has only these columns, and no value
    // holds the client's address or the token's subject.
    let stored = app
        .sql_text("SELECT string_agg(u::text, E'\\n') AS value FROM usage_counts u")
        .await;
    assert!(stored.contains("GM0518"), "{stored}");
    for secret in [PROBE_SUB, "127.0.0.1", "ros-noord"] {
        assert!(!stored.contains(secret), "{secret} in the usage counts");
    }
    let columns = app
        .sql_text(
            "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) AS value FROM information_schema.columns WHERE table_name = 'usage_counts'",
        )
        .await;
    assert_eq!(columns, "day,kind,subject,filter,found,count");

    // Demand in the coverage report (care networks offering physiotherapy): searches that
    // named physiotherapy or no discipline count.
    let staff = Some(app.staff_token.as_str());
    let physio = ok_json(&app, "/v1/coverage?discipline=physiotherapy", staff).await;
    let hague = region(&physio, "GM0518");
    assert_eq!(
        (&hague["searches"], &hague["searches_without_result"]),
        (&10.into(), &10.into())
    );
    let groningen = region(&physio, "GM0014");
    assert_eq!(groningen["searches"], 6);
    assert_eq!(groningen["searches_without_result"], Value::Null);
    assert_eq!(region(&physio, "GM0599")["searches"], Value::Null, "3 < 5");
    assert_eq!(region(&physio, "GM0363")["searches"], Value::Null);
    let demand = &physio["demand"];
    assert_eq!(
        (&demand["searches"], &demand["searches_without_result"]),
        (&19.into(), &10.into())
    );
    assert_eq!(demand["available"], true);
    assert_eq!(demand["to"], today.to_string());
    // A dietetics report: the physiotherapy searches asked for something else.
    let dietetics = ok_json(&app, "/v1/coverage?discipline=dietetics", staff).await;
    assert_eq!(region(&dietetics, "GM0518")["searches"], 5);
    assert_eq!(region(&dietetics, "GM0014")["searches"], Value::Null);
    // Provinces add up their municipalities: The Hague and Rotterdam in Zuid-Holland.
    let provinces = ok_json(
        &app,
        "/v1/coverage?layer=province&discipline=physiotherapy",
        staff,
    )
    .await;
    let zh = physio_province(&provinces, "Zuid-Holland");
    assert_eq!(
        (&zh["searches"], &zh["searches_without_result"]),
        (&13.into(), &10.into())
    );
    // Ranked by unmet demand: The Hague first; then by uncovered population.
    let ranked = ok_json(
        &app,
        "/v1/coverage?discipline=physiotherapy&sort=unmet_demand",
        staff,
    )
    .await;
    assert_eq!(ranked["regions"][0]["code"], "GM0518");
    let second = &ranked["regions"][1];
    assert_eq!(second["searches_without_result"], Value::Null);
    let by_people = ok_json(&app, "/v1/coverage?sort=uncovered_population", staff).await;
    let uncovered: Vec<f64> = by_people["regions"]
        .as_array()
        .expect("regions")
        .iter()
        .map(|r| {
            r["population"].as_f64().unwrap_or(0.0)
                - r["covered_population"].as_f64().unwrap_or(0.0)
        })
        .collect();
    assert!(
        uncovered.windows(2).all(|w| w[0] >= w[1]),
        "most people without coverage first"
    );
    assert!(
        uncovered[0] > 500_000.0,
        "a large city leads: {}",
        by_people["regions"][0]
    );
    // The map shades by searches without result and lists the gaps most searched in.
    let svg = get(
        &app,
        "/v1/coverage?discipline=physiotherapy&sort=unmet_demand&format=svg",
        staff,
    )
    .await;
    assert_eq!(svg.status(), 200);
    let svg = svg.text().await.expect("svg");
    assert!(
        svg.contains("Unmet demand") && svg.contains("Searches without result"),
        "{}",
        &svg[..600]
    );
    assert!(
        svg.contains("1. &#39;s-Gravenhage: 10 without result")
            || svg.contains("1. 's-Gravenhage: 10 without result")
    );
    // CSV and GeoJSON carry the figures too.
    let csv = get(
        &app,
        "/v1/coverage?discipline=physiotherapy&format=csv",
        staff,
    )
    .await
    .text()
    .await
    .expect("csv");
    assert!(
        csv.lines()
            .next()
            .unwrap_or_default()
            .ends_with(",searches,searches_without_result")
    );
    assert!(
        csv.lines()
            .any(|l| l.starts_with("GM0518,") && l.ends_with(",10,10")),
        "{csv}"
    );
    let geo = ok_json(
        &app,
        "/v1/coverage?discipline=physiotherapy&format=geojson",
        staff,
    )
    .await;
    let feature = geo["features"]
        .as_array()
        .expect("features")
        .iter()
        .find(|f| f["id"] == "GM0518")
        .expect("GM0518");
    assert_eq!(feature["properties"]["searches"], 10);
    // One region's figures carry it as well.
    let one = ok_json(
        &app,
        "/v1/coverage/regions/GM0518?discipline=physiotherapy",
        staff,
    )
    .await;
    assert_eq!(one["region"]["searches_without_result"], 10);
    // A period without searches; PC4 has no demand figures.
    let yesterday = today - Days::new(1);
    let before = ok_json(
        &app,
        &format!("/v1/coverage?discipline=physiotherapy&demand_to={yesterday}"),
        staff,
    )
    .await;
    assert_eq!(region(&before, "GM0518")["searches"], Value::Null);
    assert_eq!(before["demand"]["searches"], Value::Null);
    let pc4 = ok_json(
        &app,
        "/v1/coverage?layer=pc4&discipline=physiotherapy&min_coverage=0.01",
        staff,
    )
    .await;
    assert_eq!(pc4["demand"]["available"], false);
    assert_eq!(pc4["demand"]["searches"], 19, "the national figure stands");
    assert!(
        pc4["regions"]
            .as_array()
            .expect("regions")
            .iter()
            .all(|r| r["searches"].is_null())
    );
}

fn physio_province<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["regions"]
        .as_array()
        .expect("regions")
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no province {name}"))
}

#[tokio::test]
async fn only_staff_and_only_good_requests() {
    let app = spawn_app_with(|_| {}).await;
    let staff = Some(app.staff_token.as_str());
    assert_eq!(get(&app, "/v1/usage", None).await.status(), 401);
    assert_eq!(
        get(&app, "/v1/usage", Some(&app.adviser_token))
            .await
            .status(),
        403
    );
    assert_eq!(
        get(&app, "/v1/usage", Some(&app.admin_token))
            .await
            .status(),
        200
    );
    // Nothing counted yet: every figure is null, every list empty.
    let empty = ok_json(&app, "/v1/usage", staff).await;
    assert_eq!(empty["totals"]["finder_searches"], Value::Null);
    assert_eq!(empty["top"]["municipalities"], Value::Array(vec![]));
    let tomorrow = Utc::now().date_naive() + Days::new(1);
    for (query, parameter) in [
        ("from=2026-13-01".to_owned(), "from"),
        ("from=yesterday".to_owned(), "from"),
        (format!("to={tomorrow}"), "to"),
        ("from=2026-03-02&to=2026-03-01".to_owned(), "from"),
        ("top=0".to_owned(), "top"),
        ("top=101".to_owned(), "top"),
        ("top=ten".to_owned(), "top"),
        ("format=xml".to_owned(), "format"),
        ("who=me".to_owned(), "who"),
    ] {
        let r = get(&app, &format!("/v1/usage?{query}"), staff).await;
        assert_eq!(r.status(), 400, "{query}");
        assert_eq!(
            r.headers()["content-type"],
            "application/problem+json",
            "{query}"
        );
        let problem: Value = r.json().await.expect("problem");
        let named = problem.to_string().contains(&format!("\"{parameter}\""));
        assert!(named, "{query}: {problem}");
    }
    // A period further back than counts are kept starts where they start.
    let old = ok_json(&app, "/v1/usage?from=2000-01-01&to=2000-12-31", staff).await;
    assert!(old["from"].as_str().unwrap_or_default() > "2024");
    // The coverage report's new parameters are checked too.
    for (query, parameter) in [
        ("sort=people", "sort"),
        ("demand_from=2026-02-30", "demand_from"),
        ("demand_from=2026-03-02&demand_to=2026-03-01", "demand_from"),
        ("layer=pc4&sort=unmet_demand", "sort"),
    ] {
        let r = get(&app, &format!("/v1/coverage?{query}"), staff).await;
        assert_eq!(r.status(), 400, "{query}");
        let problem: Value = r.json().await.expect("problem");
        assert!(
            problem.to_string().contains(&format!("\"{parameter}\"")),
            "{query}: {problem}"
        );
    }
    let r = get(&app, "/v1/coverage/disciplines?sort=unmet_demand", staff).await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn counts_older_than_24_months_are_deleted() {
    let app = spawn_app_with(|_| {}).await;
    let today = Utc::now().date_naive();
    let day = |months: u32| {
        today
            .checked_sub_months(chrono::Months::new(months))
            .expect("a day")
            .to_string()
    };
    // Straight into the table: two counts from long ago and one just inside the 24 months.
    let planted = app
        .sql_text(&format!(
            "WITH planted AS (INSERT INTO usage_counts (day, kind, subject, filter, found, count) VALUES \
             ('{}', 'finder_search', 'GM0014', '', true, 9), ('{}', 'toolbox_view', 'x', '', true, 7), \
             ('{}', 'finder_search', 'GM0014', '', false, 6) RETURNING 1) SELECT count(*)::text AS value FROM planted",
            day(30),
            day(25),
            day(23)
        ))
        .await;
    assert_eq!(planted, "3");
    // A second instance prunes right after its first flush (about a second after it starts).
    let (_peer, _running) = spawn_peer(&app).await;
    let started = Instant::now();
    loop {
        let left = app
            .sql_text("SELECT string_agg(day::text, ',' ORDER BY day) AS value FROM usage_counts")
            .await;
        if left == day(23) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "still kept: {left}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // What is kept is reported.
    let kept = ok_json(
        &app,
        &format!("/v1/usage?from={}", day(24)),
        Some(&app.staff_token),
    )
    .await;
    assert_eq!(kept["totals"]["finder_searches"], 6);
    assert_eq!(kept["totals"]["finder_searches_without_result"], 6);
}
