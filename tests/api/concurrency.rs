//! Concurrent writers never lose an update: of many PATCHes carrying the same ETag exactly one
//! wins, the others get 412, and the history holds every accepted change and nothing else.

use onconet_test_support::fixtures::minimal_network;
use onconet_test_support::spawn_app;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_winner_per_round() {
    let app = spawn_app().await;
    let created = app.create_network(&minimal_network("Race")).await;
    let mut network: Value = created.json().await.expect("json");
    let id = network["id"].as_str().expect("id").to_owned();
    let url = app.url(&format!("/v1/networks/{id}"));
    const ROUNDS: usize = 10;
    const WRITERS: usize = 100;
    let mut winners = Vec::new();
    for round in 0..ROUNDS {
        let etag = format!("\"v{}\"", network["version"]);
        let requests = (0..WRITERS).map(|w| {
            app.client
                .patch(&url)
                .bearer_auth(&app.staff_token)
                .header("If-Match", &etag)
                .json(&json!({"description": {"nl": format!("ronde {round}, schrijver {w}")}}))
                .send()
        });
        let responses = futures_util::future::join_all(requests).await;
        let mut ok = Vec::new();
        let mut stale = 0;
        for r in responses {
            let r = r.expect("patch");
            match r.status().as_u16() {
                200 => ok.push(r.json::<Value>().await.expect("json")),
                412 => stale += 1,
                other => panic!("round {round}: unexpected {other}"),
            }
        }
        assert_eq!(ok.len(), 1, "round {round}: exactly one writer wins");
        assert_eq!(stale, WRITERS - 1);
        network = ok.remove(0);
        winners.push(
            network["description"]["nl"]
                .as_str()
                .expect("text")
                .to_owned(),
        );
    }
    assert_eq!(network["version"], 1 + ROUNDS as i64);
    let history: Value = app
        .get(&format!("/v1/networks/{id}/history"))
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .expect("h")
        .json()
        .await
        .expect("json");
    let updates: Vec<String> = history["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|r| r["action"] == "updated")
        .map(|r| {
            r["changes"][0]["new"]["nl"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    assert_eq!(
        updates, winners,
        "every accepted change, and nothing else, in order"
    );
}

/// A site that follows `/v1/changes` while writers commit in parallel receives every change:
/// the cursor never moves past a change that commits later with a smaller number. Fails when
/// revisions are numbered before their turn to commit (then a follower misses some).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_feed_follower_misses_no_change_under_parallel_writers() {
    let app = spawn_app().await;
    const WRITERS: usize = 6;
    const EDITS: usize = 20;
    let mut networks = Vec::new();
    for w in 0..WRITERS {
        networks.push(
            app.create_published(&minimal_network(&format!("Volger {w}")))
                .await,
        );
    }
    let done = std::sync::atomic::AtomicBool::new(false);
    let writers = networks.iter().map(|n| {
        let id = n["id"].as_str().expect("id").to_owned();
        let mut version = n["version"].as_i64().expect("version");
        let app = &app;
        async move {
            for e in 0..EDITS {
                let r = app
                    .client
                    .patch(app.url(&format!("/v1/networks/{id}")))
                    .bearer_auth(&app.staff_token)
                    .header("If-Match", format!("\"v{version}\""))
                    .json(&json!({"description": {"nl": format!("wijziging {e}")}}))
                    .send()
                    .await
                    .expect("patch");
                assert_eq!(r.status(), 200);
                version += 1;
            }
        }
    });
    let follower = async {
        let mut seen = Vec::new();
        let mut cursor = 0;
        loop {
            let finished = done.load(std::sync::atomic::Ordering::SeqCst);
            let page: Value = app
                .get(&format!("/v1/changes?since={cursor}&limit=500"))
                .send()
                .await
                .expect("feed")
                .json()
                .await
                .expect("json");
            let items = page["items"].as_array().expect("items");
            seen.extend(items.iter().map(|i| i["cursor"].as_i64().expect("cursor")));
            cursor = page["next"].as_i64().expect("next");
            if finished && items.is_empty() {
                return seen;
            }
        }
    };
    let write_all = async {
        futures_util::future::join_all(writers).await;
        done.store(true, std::sync::atomic::Ordering::SeqCst);
    };
    let ((), seen) = tokio::join!(write_all, follower);
    let all: Value = app
        .get("/v1/changes?limit=500")
        .send()
        .await
        .expect("feed")
        .json()
        .await
        .expect("json");
    let all: Vec<i64> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["cursor"].as_i64().expect("cursor"))
        .collect();
    assert_eq!(all.len(), WRITERS * (EDITS + 1), "published + every edit");
    let missed: Vec<&i64> = all.iter().filter(|c| !seen.contains(c)).collect();
    assert!(missed.is_empty(), "the follower missed {missed:?}");
}

/// Two networks made each other's parent at the same moment: PostgreSQL breaks the deadlock
/// of their foreign keys by failing one; that one is a 409 to send again, never a 500, and no
/// cycle is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crossed_parents_at_once_give_way_with_409() {
    let app = spawn_app().await;
    let mut statuses = Vec::new();
    for round in 0..8 {
        let a: Value = app
            .create_network(&minimal_network(&format!("A{round}")))
            .await
            .json()
            .await
            .expect("json");
        let b: Value = app
            .create_network(&minimal_network(&format!("B{round}")))
            .await
            .json()
            .await
            .expect("json");
        let set_parent = |child: &Value, parent: &Value| {
            app.client
                .patch(app.url(&format!(
                    "/v1/networks/{}",
                    child["id"].as_str().expect("id")
                )))
                .bearer_auth(&app.staff_token)
                .header("If-Match", "\"v1\"")
                .json(&json!({"parent_id": parent["id"]}))
                .send()
        };
        let (ra, rb) = tokio::join!(set_parent(&a, &b), set_parent(&b, &a));
        let (ra, rb) = (ra.expect("patch"), rb.expect("patch"));
        let pair = [ra.status().as_u16(), rb.status().as_u16()];
        for r in [ra, rb] {
            if r.status() == 409 {
                let problem: Value = r.json().await.expect("json");
                assert!(
                    problem["detail"]
                        .as_str()
                        .is_some_and(|d| d.contains("send the request again")),
                    "{problem}"
                );
            }
        }
        // 409 when they deadlocked, 422 (a cycle) when one went first; never both through.
        assert!(
            pair.iter().all(|s| [200, 409, 422].contains(s)) && pair != [200, 200],
            "round {round}: {pair:?}"
        );
        statuses.push(pair);
    }
    eprintln!("statuses per round: {statuses:?}");
}
