//! `onconet-bench propagation`: how soon a change made through the API is found by
//! `/v1/search`, on the server that made it and on a second server process using the same
//! database (kept in step by `LISTEN/NOTIFY`).
//!
//! Each round creates and publishes a network with a small circle at a place of its own, moves
//! the circle to another place (JSON Merge Patch), then archives it. After each 2xx it polls
//! `/v1/search?radius_km=0` at the place on both servers until the answer shows the change,
//! and records the time from the 2xx. Prints the median and the largest delay per step and
//! server, and fails when any delay exceeds `--limit-ms` or a change never shows.

use crate::load::{http_client, local_base, send, version_of};
use anyhow::{Context, Result, bail};
use clap::Args;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[derive(Args)]
pub struct PropagationArgs {
    /// The server that takes the writes (127.0.0.1 only).
    #[arg(long)]
    url: String,
    /// A second server process on the same database (127.0.0.1 only).
    #[arg(long)]
    peer: String,
    /// Bearer token of an IKNL staff member (`onconet token --role iknl_staff`).
    #[arg(long, env = "ONCONET_TOKEN", hide_env_values = true)]
    token: String,
    /// Networks created, moved and archived, one after another.
    #[arg(long, default_value_t = 20)]
    rounds: usize,
    /// The target: every change found within this many milliseconds of its 2xx.
    #[arg(long, default_value_t = 1000)]
    limit_ms: u64,
}

/// How long to look for a change before calling it lost.
const GIVE_UP: Duration = Duration::from_secs(10);

/// Round `i`'s two places (lat, lon), spread over the Netherlands and apart from each other.
fn places(i: usize) -> [(f64, f64); 2] {
    let (row, col) = ((i / 5) as f64, (i % 5) as f64);
    let a = (51.5 + 0.2 * row, 4.6 + 0.3 * col);
    [a, (a.0 + 0.1, a.1 + 0.15)]
}

/// Whether `/v1/search` at `place` lists network `id` as covering it.
async fn found(
    client: &reqwest::Client,
    base: &reqwest::Url,
    place: (f64, f64),
    id: &str,
) -> Result<bool> {
    let mut url = base.join("v1/search")?;
    url.query_pairs_mut()
        .append_pair("lat", &place.0.to_string())
        .append_pair("lon", &place.1.to_string())
        .append_pair("radius_km", "0")
        .append_pair("per_page", "100");
    let answer: Value = send(client.get(url), "search").await?;
    Ok(answer["items"]
        .as_array()
        .is_some_and(|items| items.iter().any(|h| h["network"]["id"] == id)))
}

/// Milliseconds from `since` until `/v1/search` at `place` on `base` shows (`present`) or no
/// longer shows network `id`; `None` when it never does within [`GIVE_UP`].
async fn delay(
    client: &reqwest::Client,
    base: &reqwest::Url,
    place: (f64, f64),
    id: &str,
    present: bool,
    since: Instant,
) -> Result<Option<f64>> {
    while since.elapsed() < GIVE_UP {
        if found(client, base, place, id).await? == present {
            return Ok(Some(since.elapsed().as_secs_f64() * 1000.0));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(None)
}

/// The delays on the writer and on the peer, polled at the same time.
async fn both(
    client: &reqwest::Client,
    servers: &[reqwest::Url; 2],
    place: (f64, f64),
    id: &str,
    present: bool,
    since: Instant,
) -> Result<[Option<f64>; 2]> {
    let (a, b) = tokio::join!(
        delay(client, &servers[0], place, id, present, since),
        delay(client, &servers[1], place, id, present, since)
    );
    Ok([a?, b?])
}

async fn transition(
    client: &reqwest::Client,
    base: &reqwest::Url,
    token: &str,
    id: &str,
    version: i64,
    to: &str,
) -> Result<i64> {
    let moved = send(
        client
            .post(base.join(&format!("v1/networks/{id}/transitions"))?)
            .bearer_auth(token)
            .header("If-Match", format!("\"v{version}\""))
            .json(&json!({ "to": to })),
        &format!("transition to {to}"),
    )
    .await?;
    version_of(&moved, to)
}

pub async fn run(args: PropagationArgs) -> Result<()> {
    let servers = [local_base(&args.url)?, local_base(&args.peer)?];
    let client = http_client()?;
    let token = &args.token;
    // Per step (published, moved, archived) and server (writer, peer): the delays in ms.
    let mut delays: [[Vec<f64>; 2]; 3] = Default::default();
    let mut lost = Vec::new();
    for round in 0..args.rounds {
        let [here, there] = places(round);
        let circle =
            |(lat, lon): (f64, f64)| json!({"circles": [{"lat": lat, "lon": lon, "radius_km": 2}]});
        let created = send(
            client
                .post(servers[0].join("v1/networks")?)
                .bearer_auth(token)
                .json(&json!({
                    "name": format!("[BENCH] propagation {round}"),
                    "type": "oncology_care_network",
                    "scale": "local",
                    "service_area": circle(here),
                })),
            "create",
        )
        .await?;
        let id = created["id"].as_str().context("no `id`")?.to_owned();
        let version = transition(
            &client,
            &servers[0],
            token,
            &id,
            version_of(&created, "create")?,
            "submitted",
        )
        .await?;
        let version = transition(&client, &servers[0], token, &id, version, "published").await?;
        let steps = [
            ("published", here, true),
            ("moved", there, true),
            ("archived", there, false),
        ];
        let mut version = version;
        for (step, (name, place, present)) in steps.iter().enumerate() {
            if step == 1 {
                let moved = send(
                    client
                        .patch(servers[0].join(&format!("v1/networks/{id}"))?)
                        .bearer_auth(token)
                        .header("If-Match", format!("\"v{version}\""))
                        .header("Content-Type", "application/merge-patch+json")
                        .body(json!({ "service_area": circle(*place) }).to_string()),
                    "move",
                )
                .await?;
                version = version_of(&moved, "move")?;
            } else if step == 2 {
                version = transition(&client, &servers[0], token, &id, version, "archived").await?;
            }
            // Just after the 2xx (of the publication, the PATCH or the archiving).
            let since = Instant::now();
            for (server, d) in both(&client, &servers, *place, &id, *present, since)
                .await?
                .into_iter()
                .enumerate()
            {
                match d {
                    Some(ms) => delays[step][server].push(ms),
                    None => lost.push(format!(
                        "round {round}: {name} not seen on {}",
                        servers[server]
                    )),
                }
            }
        }
    }
    let mut worst = 0.0f64;
    for (step, name) in ["published", "moved (PATCH)", "archived"]
        .iter()
        .enumerate()
    {
        for (server, who) in ["writer", "second process"].iter().enumerate() {
            let list = &mut delays[step][server];
            list.sort_by(f64::total_cmp);
            let (median, max) = match (list.get(list.len() / 2), list.last()) {
                (Some(m), Some(x)) => (*m, *x),
                _ => (f64::NAN, f64::NAN),
            };
            worst = worst.max(max);
            println!(
                "{name:>14} on the {who:<14}: median {median:>6.1} ms, largest {max:>6.1} ms ({} changes)",
                list.len()
            );
        }
    }
    println!(
        "RESULT propagation rounds={} worst_ms={worst:.1} limit_ms={} lost={}",
        args.rounds,
        args.limit_ms,
        lost.len()
    );
    for l in &lost {
        eprintln!("propagation: {l}");
    }
    if !lost.is_empty() || worst > args.limit_ms as f64 {
        bail!(
            "a change took longer than {} ms or was never seen",
            args.limit_ms
        );
    }
    Ok(())
}
