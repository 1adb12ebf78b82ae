//! Who may do what: every write route against every kind of caller.

use onconet_test_support::{TestApp, spawn_app};
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Anonymous,
    OwnAdviser,
    OtherAdviser,
    Staff,
    Admin,
    NoRole,
    /// Another adviser of the same ROS as `OwnAdviser`.
    Colleague,
}

const EVERYONE: [Who; 6] = [
    Who::Anonymous,
    Who::OwnAdviser,
    Who::OtherAdviser,
    Who::Staff,
    Who::Admin,
    Who::NoRole,
];

fn token(app: &TestApp, who: Who) -> Option<String> {
    match who {
        Who::Anonymous => None,
        Who::OwnAdviser => Some(app.adviser_token.clone()),
        Who::OtherAdviser => Some(app.other_adviser_token.clone()),
        Who::Staff => Some(app.staff_token.clone()),
        Who::Admin => Some(app.admin_token.clone()),
        Who::NoRole => Some(app.token(&[], Some("ros-noord"), "nobody")),
        Who::Colleague => Some(app.token(
            &[onconet_domain::Role::RosAdviser],
            Some("ros-noord"),
            "colleague-noord",
        )),
    }
}

fn body() -> Value {
    json!({"name": "Netwerk Noord", "type": "oncology_care_network", "scale": "local", "ros_org": "ros-noord"})
}

/// A network of ROS Noord in `state`, made by staff; returns (id, version).
async fn network_in(app: &TestApp, state: &str) -> (String, i64) {
    let n: Value = app
        .create_network(&body())
        .await
        .json()
        .await
        .expect("json");
    let id = n["id"].as_str().expect("id").to_owned();
    let mut version = n["version"].as_i64().expect("version");
    let path: &[&str] = match state {
        "draft" => &[],
        "submitted" => &["submitted"],
        "published" => &["submitted", "published"],
        _ => unreachable!(),
    };
    for to in path {
        let r: Value = app
            .client
            .post(app.url(&format!("/v1/networks/{id}/transitions")))
            .bearer_auth(&app.staff_token)
            .header("If-Match", format!("\"v{version}\""))
            .json(&json!({"to": to}))
            .send()
            .await
            .expect("move")
            .json()
            .await
            .expect("json");
        version = r["version"].as_i64().expect("version");
    }
    (id, version)
}

async fn send(
    app: &TestApp,
    who: Who,
    method: reqwest::Method,
    path: &str,
    etag: Option<i64>,
    body: Option<Value>,
) -> u16 {
    let mut req = app.client.request(method, app.url(path));
    if let Some(t) = token(app, who) {
        req = req.bearer_auth(t);
    }
    if let Some(v) = etag {
        req = req.header("If-Match", format!("\"v{v}\""));
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.expect("request").status().as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn role_org_route_matrix() {
    let app = spawn_app().await;
    use reqwest::Method;
    let mut table = Vec::new();
    for who in EVERYONE {
        let create = send(&app, who, Method::POST, "/v1/networks", None, Some(body())).await;
        let (id, v) = network_in(&app, "draft").await;
        let read_draft = send(
            &app,
            who,
            Method::GET,
            &format!("/v1/networks/{id}"),
            None,
            None,
        )
        .await;
        let patch_draft = send(
            &app,
            who,
            Method::PATCH,
            &format!("/v1/networks/{id}"),
            Some(v),
            Some(json!({"name": "x"})),
        )
        .await;
        let (id, v) = network_in(&app, "draft").await;
        let submit = send(
            &app,
            who,
            Method::POST,
            &format!("/v1/networks/{id}/transitions"),
            Some(v),
            Some(json!({"to": "submitted"})),
        )
        .await;
        let (id, v) = network_in(&app, "submitted").await;
        let publish = send(
            &app,
            who,
            Method::POST,
            &format!("/v1/networks/{id}/transitions"),
            Some(v),
            Some(json!({"to": "published"})),
        )
        .await;
        let (id, v) = network_in(&app, "published").await;
        let patch_published = send(
            &app,
            who,
            Method::PATCH,
            &format!("/v1/networks/{id}"),
            Some(v),
            Some(json!({"name": "y"})),
        )
        .await;
        let history = send(
            &app,
            who,
            Method::GET,
            &format!("/v1/networks/{id}/history"),
            None,
            None,
        )
        .await;
        let (id, v) = network_in(&app, "published").await;
        let archive = send(
            &app,
            who,
            Method::POST,
            &format!("/v1/networks/{id}/transitions"),
            Some(v),
            Some(json!({"to": "archived"})),
        )
        .await;
        let coverage = send(
            &app,
            who,
            Method::GET,
            "/v1/coverage?layer=province",
            None,
            None,
        )
        .await;
        let snapshot = send(
            &app,
            who,
            Method::POST,
            "/v1/coverage/snapshots",
            None,
            None,
        )
        .await;
        table.push((
            who,
            [
                create,
                read_draft,
                patch_draft,
                submit,
                publish,
                patch_published,
                history,
                archive,
                coverage,
                snapshot,
            ],
        ));
    }
    // An adviser's change to a published network (patchP) is a proposal: 202.
    //                        create read  patch submit publish patchP history archive coverage snapshot
    let expected: [(Who, [u16; 10]); 6] = [
        (
            Who::Anonymous,
            [401, 404, 401, 401, 401, 401, 401, 401, 401, 401],
        ),
        (
            Who::OwnAdviser,
            [201, 200, 200, 200, 403, 202, 200, 403, 403, 403],
        ),
        (
            Who::OtherAdviser,
            [403, 404, 404, 404, 404, 403, 403, 403, 403, 403],
        ),
        (
            Who::Staff,
            [201, 200, 200, 200, 200, 200, 200, 200, 200, 201],
        ),
        (
            Who::Admin,
            [201, 200, 200, 200, 200, 200, 200, 200, 200, 201],
        ),
        (
            Who::NoRole,
            [403, 404, 404, 404, 404, 403, 403, 403, 403, 403],
        ),
    ];
    for ((who, got), (_, want)) in table.iter().zip(expected.iter()) {
        assert_eq!(got, want, "{who:?}");
    }
}

/// An adviser's `org` claim is a ROS code whatever its case; one that can be no ROS code is a
/// 403 that says so, not a 422 about a field the caller never sent.
#[tokio::test(flavor = "multi_thread")]
async fn the_org_claim_is_read_case_insensitively() {
    let app = spawn_app().await;
    let mut without_org = body();
    without_org.as_object_mut().map(|b| b.remove("ros_org"));
    let create = |token: String| {
        app.client
            .post(app.url("/v1/networks"))
            .bearer_auth(token)
            .json(&without_org)
            .send()
    };
    let upper = app.token(
        &[onconet_domain::Role::RosAdviser],
        Some("ROS-Noord"),
        "adviser-upper",
    );
    let r = create(upper).await.expect("create");
    assert_eq!(r.status(), 201);
    let n: Value = r.json().await.expect("json");
    assert_eq!(n["ros_org"], "ros-noord");
    let odd = app.token(
        &[onconet_domain::Role::RosAdviser],
        Some("ROS Noord!"),
        "adviser-odd",
    );
    let r = create(odd).await.expect("create");
    assert_eq!(r.status(), 403);
    let problem: Value = r.json().await.expect("json");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("`org` claim")),
        "{problem}"
    );
}

/// A draft of another ROS is unknown to an adviser also as a parent or link: the answer is the
/// same as for an id never used. A `hospital_network` link must lead to a hospital-led network.
#[tokio::test(flavor = "multi_thread")]
async fn references_follow_what_the_editor_may_see() {
    let app = spawn_app().await;
    let post = |token: &str, body: Value| {
        app.client
            .post(app.url("/v1/networks"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let zuid_draft: Value = post(
        &app.other_adviser_token,
        json!({"name": "Concept Zuid", "type": "oncology_care_network", "scale": "local"}),
    )
    .await
    .expect("create")
    .json()
    .await
    .expect("json");
    let noord_draft: Value = post(&app.adviser_token, body())
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let never = "0190a000-0000-7000-8000-000000000000";
    let refer = |parent: &Value| {
        let mut b = body();
        b.as_object_mut().map(|o| o.remove("ros_org"));
        b["parent_id"] = parent.clone();
        b
    };
    let zuid_id = zuid_draft["id"].as_str().unwrap_or("-").to_owned();
    let problem_of = async |r: reqwest::Response| {
        assert_eq!(r.status(), 422);
        let p: Value = r.json().await.expect("json");
        (
            p["errors"][0]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            p["errors"][0]["detail"]
                .as_str()
                .unwrap_or_default()
                .replace(never, "ID")
                .replace(&zuid_id, "ID"),
        )
    };
    let hidden = problem_of(
        post(&app.adviser_token, refer(&zuid_draft["id"]))
            .await
            .expect("create"),
    )
    .await;
    let unknown = problem_of(
        post(&app.adviser_token, refer(&json!(never)))
            .await
            .expect("create"),
    )
    .await;
    assert_eq!(
        hidden, unknown,
        "a hidden draft looks like no network at all"
    );
    assert_eq!(hidden.0, "unknown_network");
    let own = post(&app.adviser_token, refer(&noord_draft["id"]))
        .await
        .expect("create");
    assert_eq!(own.status(), 201, "their own ROS's draft is fine");
    let staff = post(&app.staff_token, refer(&zuid_draft["id"]))
        .await
        .expect("create");
    assert_eq!(staff.status(), 201, "staff see every network");

    // Criterion 8 counts hospital_network links: one to a care network is refused.
    let mut linked = body();
    linked["links"] = json!([{"network_id": noord_draft["id"], "kind": "hospital_network"}]);
    let r = post(&app.staff_token, linked.clone())
        .await
        .expect("create");
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.expect("json");
    assert_eq!(p["errors"][0]["pointer"], "/links/0/network_id", "{p}");
    assert_eq!(p["errors"][0]["code"], "not_a_hospital_network", "{p}");
    linked["links"][0]["kind"] = json!("other");
    let r = post(&app.staff_token, linked).await.expect("create");
    assert_eq!(r.status(), 201);
}

/// A published network of ROS Noord with a pending change proposed by `OwnAdviser`; returns
/// (network id, network version, proposal href).
async fn with_proposal(app: &TestApp) -> (String, i64, String) {
    let (id, v) = network_in(app, "published").await;
    let p: Value = app
        .client
        .patch(app.url(&format!("/v1/networks/{id}")))
        .bearer_auth(&app.adviser_token)
        .header("If-Match", format!("\"v{v}\""))
        .json(&json!({"name": "Voorstel"}))
        .send()
        .await
        .expect("propose")
        .json()
        .await
        .expect("json");
    let href = p["href"].as_str().expect("href").to_owned();
    (id, v, href)
}

/// The actions of proposed changes (issue 19) against every kind of caller, the proposal's
/// author and a colleague of the same ROS among them.
#[tokio::test(flavor = "multi_thread")]
async fn proposal_role_org_action_matrix() {
    let app = spawn_app().await;
    use reqwest::Method;
    let mut table = Vec::new();
    let whos = EVERYONE.into_iter().chain([Who::Colleague]);
    for who in whos {
        let (id, v) = network_in(&app, "published").await;
        let verify = send(
            &app,
            who,
            Method::POST,
            &format!("/v1/networks/{id}/verify"),
            Some(v),
            Some(json!({"note": "klopt"})),
        )
        .await;
        let (id, v, href) = with_proposal(&app).await;
        let list = send(
            &app,
            who,
            Method::GET,
            &format!("/v1/networks/{id}/proposals"),
            None,
            None,
        )
        .await;
        let read = send(&app, who, Method::GET, &href, None, None).await;
        let queue = send(&app, who, Method::GET, "/v1/proposals", None, None).await;
        let patch = send(
            &app,
            who,
            Method::PATCH,
            &format!("/v1/networks/{id}"),
            Some(v),
            Some(json!({"description": {"nl": "Anders"}})),
        )
        .await;
        let mut decisions = Vec::new();
        for body in [
            json!({"to": "accepted"}),
            json!({"to": "rejected", "reason": "Niet in de statuten"}),
            json!({"to": "withdrawn"}),
        ] {
            let (_, _, href) = with_proposal(&app).await;
            decisions.push(
                send(
                    &app,
                    who,
                    Method::POST,
                    &format!("{href}/transitions"),
                    Some(1),
                    Some(body),
                )
                .await,
            );
        }
        table.push((
            who,
            [
                verify,
                list,
                read,
                queue,
                patch,
                decisions[0],
                decisions[1],
                decisions[2],
            ],
        ));
    }
    // A pending proposal by OwnAdviser blocks a colleague's change (409); staff change at once.
    //                     verify list read queue patch accept reject withdraw
    let expected: [(Who, [u16; 8]); 7] = [
        (Who::Anonymous, [401, 401, 401, 401, 401, 401, 401, 401]),
        (Who::OwnAdviser, [202, 200, 200, 200, 202, 403, 403, 200]),
        (Who::OtherAdviser, [403, 403, 403, 200, 403, 403, 403, 403]),
        (Who::Staff, [200, 200, 200, 200, 200, 200, 200, 403]),
        (Who::Admin, [200, 200, 200, 200, 200, 200, 200, 403]),
        (Who::NoRole, [403, 403, 403, 403, 403, 403, 403, 403]),
        (Who::Colleague, [202, 200, 200, 200, 409, 403, 403, 403]),
    ];
    for ((who, got), (_, want)) in table.iter().zip(expected.iter()) {
        assert_eq!(got, want, "{who:?}");
    }
}
