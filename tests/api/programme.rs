//! What the programme's documents ask of a profile (issue 19, item 3): an expert panel's
//! consultation, a regional network's founding date, meeting frequency and joint MDO, member
//! roles per tumour type, partners outside the registry, funders by register code, and the
//! financing report.

use onconet_domain::Role;
use onconet_test_support::fixtures::minimal_network;
use onconet_test_support::{TestApp, spawn_app};
use serde_json::{Value, json};

async fn create(app: &TestApp, body: &Value) -> (u16, Value) {
    let r = app.create_network(body).await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The field errors of a 422 as (pointer, code).
fn errors(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|e| {
                    (
                        e["pointer"].as_str().unwrap_or_default().to_owned(),
                        e["code"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn with(kind: &str, extra: Value) -> Value {
    let mut body = minimal_network("Netwerk");
    body["type"] = json!(kind);
    if kind == "expert_panel" || kind == "network_tumour_group" {
        body["tumour_types"] = json!(["sarcoma"]);
    }
    if let (Some(b), Some(x)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in x {
            b.insert(k.clone(), v.clone());
        }
    }
    body
}

/// `body` is refused with 422 naming exactly `expected` (pointer, code).
async fn refused(app: &TestApp, body: Value, expected: &[(&str, &str)]) {
    let (status, problem) = create(app, &body).await;
    assert_eq!(status, 422, "{body}: {problem}");
    let mut got = errors(&problem);
    got.sort();
    let mut want: Vec<(String, String)> = expected
        .iter()
        .map(|(p, c)| ((*p).to_owned(), (*c).to_owned()))
        .collect();
    want.sort();
    assert_eq!(got, want, "{body}: {problem}");
}

fn consultation(days: i64) -> Value {
    json!({"channel": "email", "contact_point": "Secretariaat expertpanel", "turnaround_days": days,
           "referral_form_url": "https://panel.example.nl/verwijzen"})
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expert_panel_says_how_to_consult_it() {
    let app = spawn_app().await;
    let (status, panel) = create(
        &app,
        &with("expert_panel", json!({"consultation": consultation(5)})),
    )
    .await;
    assert_eq!(status, 201, "{panel}");
    assert_eq!(panel["consultation"]["channel"], "email");
    assert_eq!(panel["consultation"]["turnaround_days"], 5);
    assert_eq!(
        panel["consultation"]["referral_form_url"],
        "https://panel.example.nl/verwijzen"
    );
    assert!(panel["founded_on"].is_null() && panel["mdo"].is_null());
    // Published, the public reads it.
    let published = app
        .create_published(&with(
            "expert_panel",
            json!({"consultation": consultation(1)}),
        ))
        .await;
    let public: Value = app
        .get(&format!(
            "/v1/networks/{}",
            published["id"].as_str().expect("id")
        ))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(public["consultation"]["turnaround_days"], 1);

    for (days, ok) in [
        (0, false),
        (1, true),
        (60, true),
        (61, false),
        (10_000, false),
        (-3, false),
    ] {
        let body = with("expert_panel", json!({"consultation": consultation(days)}));
        if ok {
            assert_eq!(create(&app, &body).await.0, 201, "{days}");
        } else {
            refused(
                &app,
                body,
                &[("/consultation/turnaround_days", "out_of_range")],
            )
            .await;
        }
    }
    let mut c = consultation(5);
    c["referral_form_url"] = json!("ftp://panel.example.nl/form");
    c["contact_point"] = json!("  ");
    refused(
        &app,
        with("expert_panel", json!({"consultation": c})),
        &[
            ("/consultation/contact_point", "empty"),
            ("/consultation/referral_form_url", "invalid_url"),
        ],
    )
    .await;
    let mut c = consultation(5);
    c["channel"] = json!("pigeon");
    let (status, problem) = create(&app, &with("expert_panel", json!({"consultation": c}))).await;
    assert_eq!(status, 422, "{problem}");
    assert!(
        problem["errors"][0]["pointer"]
            .as_str()
            .unwrap_or_default()
            .starts_with("/consultation"),
        "{problem}"
    );
    // Only expert panels are consulted.
    refused(
        &app,
        with(
            "oncology_care_network",
            json!({"consultation": consultation(5)}),
        ),
        &[("/consultation", "not_applicable")],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_regional_network_has_a_founding_date_meetings_an_mdo_and_member_roles() {
    let app = spawn_app().await;
    let today = chrono::Utc::now().date_naive();
    let mdo = json!({"schedule": "Elke dinsdag 16:00–17:30", "how_to_submit": "Via het regionale MDO-formulier"});
    let member = |roles: Value| json!([{"name": "Martini Ziekenhuis", "kind": "hospital", "agb": "06010101", "roles": roles}]);
    let body = with(
        "regional_oncology_network",
        json!({"founded_on": today.to_string(), "meeting_frequency": "monthly", "mdo": mdo,
               "members": member(json!([{"tumour_type": "breast", "roles": ["treatment", "triage", "triage"]},
                                        {"tumour_type": "lung", "roles": ["follow_up"]}]))}),
    );
    let (status, n) = create(&app, &body).await;
    assert_eq!(status, 201, "{n}");
    assert_eq!(n["founded_on"], today.to_string());
    assert_eq!(n["meeting_frequency"], "monthly");
    assert_eq!(n["mdo"]["schedule"], "Elke dinsdag 16:00–17:30");
    assert_eq!(
        n["members"][0]["roles"][0]["roles"],
        json!(["triage", "treatment"]),
        "sorted, once each"
    );
    // A tumour group may say the same.
    let (status, _) = create(
        &app,
        &with(
            "network_tumour_group",
            json!({"meeting_frequency": "quarterly", "mdo": mdo}),
        ),
    )
    .await;
    assert_eq!(status, 201);

    let tomorrow = today.succ_opt().expect("tomorrow").to_string();
    refused(
        &app,
        with("regional_oncology_network", json!({"founded_on": tomorrow})),
        &[("/founded_on", "in_the_future")],
    )
    .await;
    let (status, _) = create(
        &app,
        &with(
            "regional_oncology_network",
            json!({"meeting_frequency": "daily"}),
        ),
    )
    .await;
    assert_eq!(status, 422);
    refused(
        &app,
        with("regional_oncology_network", json!({"mdo": {"schedule": "", "how_to_submit": "x".repeat(1001), "submission_url": "mdo"}})),
        &[("/mdo/schedule", "empty"), ("/mdo/how_to_submit", "too_long"), ("/mdo/submission_url", "invalid_url")],
    )
    .await;
    for kind in ["oncology_care_network", "expert_panel"] {
        refused(
            &app,
            with(
                kind,
                json!({"founded_on": "2020-01-01", "meeting_frequency": "monthly", "mdo": mdo}),
            ),
            &[
                ("/founded_on", "not_applicable"),
                ("/meeting_frequency", "not_applicable"),
                ("/mdo", "not_applicable"),
            ],
        )
        .await;
    }
    refused(
        &app,
        with(
            "regional_oncology_network",
            json!({"members": member(json!([
            {"tumour_type": "astrology", "roles": ["triage"]},
            {"tumour_type": "breast", "roles": []},
            {"tumour_type": "breast", "roles": ["diagnosis"]}]))}),
        ),
        &[("/members/0/roles/0/tumour_type", "unknown_code")],
    )
    .await;
    refused(
        &app,
        with(
            "regional_oncology_network",
            json!({"members": member(json!([
            {"tumour_type": "breast", "roles": []},
            {"tumour_type": "breast", "roles": ["diagnosis"]}]))}),
        ),
        &[
            ("/members/0/roles/0/roles", "empty"),
            ("/members/0/roles/1/tumour_type", "duplicate"),
        ],
    )
    .await;
    refused(
        &app,
        with(
            "oncology_care_network",
            json!({"members": member(json!([{"tumour_type": "breast", "roles": ["triage"]}]))}),
        ),
        &[("/members/0/roles", "not_applicable")],
    )
    .await;
    let (status, problem) = create(
        &app,
        &with(
            "regional_oncology_network",
            json!({"members": member(json!([{"tumour_type": "breast", "roles": ["surgery"]}]))}),
        ),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
}

#[tokio::test(flavor = "multi_thread")]
async fn partners_outside_the_registry_and_funders_by_code() {
    let app = spawn_app().await;
    let partners = json!([
        {"name": "Revalidatiecentrum Beatrixoord", "kind": "rehabilitation", "agb": "05012345"},
        {"name": "Huisartsen Coöperatie Stad", "kind": "gp_collaboration", "kvk": "12345678"},
        {"name": "Martini Ziekenhuis", "kind": "hospital_network", "agb": "06010101", "kvk": "01098765"}
    ]);
    let (status, n) = create(
        &app,
        &with("oncology_care_network", json!({"partners": partners})),
    )
    .await;
    assert_eq!(status, 201, "{n}");
    assert_eq!(n["partners"].as_array().map(Vec::len), Some(3));
    assert_eq!(n["partners"][0]["kind"], "rehabilitation");
    // LOPPSOZ 8 and 9: structural contact with a hospital and with GPs, also outside the registry.
    let criterion = |key: &str| {
        n["qualification"]["criteria"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["key"] == key).cloned())
            .unwrap_or_default()
    };
    assert_eq!(
        criterion("hospital_contact")["met"],
        true,
        "{}",
        n["qualification"]
    );
    assert_eq!(
        criterion("gp_contact")["met"],
        true,
        "{}",
        n["qualification"]
    );
    refused(
        &app,
        with(
            "oncology_care_network",
            json!({"partners": [
                {"name": "Zonder nummer", "kind": "other"},
                {"name": "Dubbel", "kind": "other", "kvk": "12345678"},
                {"name": "dubbel ", "kind": "other", "kvk": "12345679"}
            ]}),
        ),
        &[
            ("/partners/0", "unidentified"),
            ("/partners/2", "duplicate"),
        ],
    )
    .await;
    refused(
        &app,
        with(
            "oncology_care_network",
            json!({"partners": [
                {"name": "Fout AGB", "kind": "other", "agb": "123"},
                {"name": " ", "kind": "other", "kvk": "1234567X"}
            ]}),
        ),
        &[
            ("/partners/0/agb", "invalid_format"),
            ("/partners/1/name", "empty"),
            ("/partners/1/kvk", "invalid_format"),
        ],
    )
    .await;
    let (status, _) = create(
        &app,
        &with(
            "oncology_care_network",
            json!({"partners": [{"name": "X", "kind": "castle", "agb": "05012345"}]}),
        ),
    )
    .await;
    assert_eq!(status, 422);

    let financing = json!([
        {"form": "insurer_contract", "funder": "Zilveren Kruis", "funder_id": {"register": "uzovi", "code": "3311"}},
        {"form": "municipality_grant", "funder": "Gemeente Groningen", "funder_id": {"register": "cbs", "code": "gm0014"}}
    ]);
    let (status, n) = create(
        &app,
        &with("oncology_care_network", json!({"financing": financing})),
    )
    .await;
    assert_eq!(status, 201, "{n}");
    assert_eq!(
        n["financing"][1]["funder_id"],
        json!({"register": "cbs", "code": "GM0014"})
    );
    refused(
        &app,
        with(
            "oncology_care_network",
            json!({"financing": [
                {"form": "insurer_contract", "funder_id": {"register": "uzovi", "code": "331"}},
                {"form": "insurer_contract", "funder_id": {"register": "uzovi", "code": "GM0014"}},
                {"form": "municipality_grant", "funder_id": {"register": "cbs", "code": "3311"}}
            ]}),
        ),
        &[
            ("/financing/0/funder_id/code", "invalid_format"),
            ("/financing/1/funder_id/code", "invalid_format"),
            ("/financing/2/funder_id/code", "invalid_format"),
        ],
    )
    .await;
    let (status, _) = create(
        &app,
        &with("oncology_care_network", json!({"financing": [{"form": "insurer_contract", "funder_id": {"register": "kvk", "code": "12345678"}}]})),
    )
    .await;
    assert_eq!(status, 422);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_financing_report_counts_forms_and_funders_and_lists_what_ends() {
    let app = spawn_app().await;
    let today = chrono::Utc::now().date_naive();
    let day = |days: i64| (today + chrono::Duration::days(days)).to_string();
    let zk = json!({"register": "uzovi", "code": "3311"});
    for (name, financing, publish) in [
        (
            "Noord",
            json!([{"form": "insurer_contract", "funder": "Zilveren Kruis", "funder_id": zk, "until": day(30)},
                         {"form": "municipality_grant", "funder": "Gemeente Groningen", "until": day(-10)}]),
            true,
        ),
        (
            "Oost",
            json!([{"form": "insurer_contract", "funder": "ZK", "funder_id": zk, "until": day(400)},
                        {"form": "membership_fee"}]),
            true,
        ),
        (
            "Zuid",
            json!([{"form": "insurer_contract", "funder": "menzis", "until": day(100)}]),
            true,
        ),
        (
            "Concept",
            json!([{"form": "insurer_contract", "funder": "Menzis", "until": day(5)}]),
            false,
        ),
    ] {
        let body = with(
            "oncology_care_network",
            json!({"name": name, "financing": financing}),
        );
        if publish {
            app.create_published(&body).await;
        } else {
            assert_eq!(create(&app, &body).await.0, 201);
        }
    }
    let report = async |query: &str, token: Option<&str>| -> (u16, Value) {
        let mut r = app.get(&format!("/v1/reports/financing{query}"));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let r = r.send().await.expect("report");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    };
    let (status, r) = report("", Some(&app.staff_token)).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["networks"], 3);
    assert_eq!(r["states"], json!(["published"]));
    let forms: Vec<(String, u64)> = r["forms"]
        .as_array()
        .expect("forms")
        .iter()
        .map(|f| {
            (
                f["form"].as_str().unwrap_or_default().to_owned(),
                f["networks"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        forms,
        [
            ("membership_fee".to_owned(), 1),
            ("insurer_contract".to_owned(), 3),
            ("municipality_grant".to_owned(), 1)
        ]
    );
    let insurer = &r["forms"][1]["funders"];
    assert_eq!(
        insurer[0]["networks"], 2,
        "one UZOVI code, two names: {insurer}"
    );
    assert_eq!(insurer[0]["funder_id"]["code"], "3311");
    assert_eq!(insurer[1]["funder"], "menzis");
    let ending: Vec<(String, String, i64)> = r["ending"]
        .as_array()
        .expect("ending")
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap_or_default().to_owned(),
                e["status"].as_str().unwrap_or_default().to_owned(),
                e["days_left"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        ending,
        [
            ("Noord".to_owned(), "ended".to_owned(), -10),
            ("Noord".to_owned(), "ending".to_owned(), 30),
            ("Zuid".to_owned(), "ending".to_owned(), 100)
        ]
    );
    assert_eq!(r["ending"][1]["index"], 0);
    // Drafts when asked; a shorter period.
    let (_, r) = report(
        "?state=published,draft&within_months=1",
        Some(&app.admin_token),
    )
    .await;
    assert_eq!(r["networks"], 4);
    let names: Vec<&str> = r["ending"]
        .as_array()
        .expect("ending")
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(names, ["Noord", "Concept", "Noord"]);

    // Who may, and bad parameters.
    assert_eq!(report("", None).await.0, 401);
    assert_eq!(report("", Some(&app.adviser_token)).await.0, 403);
    assert_eq!(
        report("", Some(&app.token(&[], None, "nobody"))).await.0,
        403
    );
    assert_eq!(
        report(
            "",
            Some(&app.token(
                &[Role::RosAdviser, Role::IknlStaff],
                Some("ros-noord"),
                "both"
            ))
        )
        .await
        .0,
        200
    );
    for (query, parameter) in [
        ("?within_months=0", "within_months"),
        ("?within_months=25", "within_months"),
        ("?within_months=half", "within_months"),
        ("?within_months=-1", "within_months"),
        ("?state=gepubliceerd", "state"),
        ("?state=published,", "state"),
        ("?colour=red", "colour"),
    ] {
        let (status, problem) = report(query, Some(&app.staff_token)).await;
        assert_eq!(status, 400, "{query}: {problem}");
        assert_eq!(
            problem["errors"][0]["parameter"], parameter,
            "{query}: {problem}"
        );
    }
}
