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
