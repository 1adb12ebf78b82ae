//! Creates and publishes the networks of a `synth` file: `POST /v1/networks`, then the
//! transitions `submitted` and `published`, each with the version it got back.

use anyhow::{Context, Result, bail};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct LoadArgs {
    /// Base URL of the API (127.0.0.1 only).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Bearer token of an IKNL staff member (`onconet token --role iknl_staff`).
    #[arg(long, env = "ONCONET_TOKEN", hide_env_values = true)]
    pub token: String,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// The `synth` output: one request body a line.
    pub file: PathBuf,
}

/// Refuses any target but the loopback interface.
pub fn local_base(url: &str) -> Result<reqwest::Url> {
    let parsed = reqwest::Url::parse(url).with_context(|| format!("`{url}` is not a URL"))?;
    match parsed.host_str() {
        Some("127.0.0.1" | "localhost" | "[::1]") if parsed.scheme() == "http" => Ok(parsed),
        _ => bail!("`{url}`: only http://127.0.0.1 (or localhost) is allowed as a target"),
    }
}

/// The HTTP client of every bench command. Its pooled connections are dropped after 2 s idle,
/// before the server's keep-alive of 5 s ends them: otherwise a request can go out on a
/// connection the server is closing at that moment and fail with "connection closed before
/// message completed" (seen once in 10,000 writes while loading 5,000 networks).
pub fn http_client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .pool_idle_timeout(std::time::Duration::from_secs(2))
        .build()
        .context("cannot build the HTTP client")
}

pub async fn send(request: reqwest::RequestBuilder, what: &str) -> Result<Value> {
    let response = request
        .send()
        .await
        .with_context(|| format!("{what}: no answer"))?;
    let status = response.status();
    let body = response
        .text()
        .await
        .with_context(|| format!("{what}: unreadable body"))?;
    if !status.is_success() {
        bail!("{what}: {status}: {body}");
    }
    serde_json::from_str(&body).with_context(|| format!("{what}: the answer is not JSON"))
}

pub fn version_of(v: &Value, what: &str) -> Result<i64> {
    v["version"]
        .as_i64()
        .with_context(|| format!("{what}: no `version` in the answer"))
}

async fn create_and_publish(
    client: &reqwest::Client,
    base: &reqwest::Url,
    token: &str,
    line: usize,
    body: Value,
) -> Result<String> {
    let created = send(
        client
            .post(base.join("v1/networks")?)
            .bearer_auth(token)
            .json(&body),
        &format!("line {line}: create"),
    )
    .await?;
    let id = created["id"]
        .as_str()
        .with_context(|| format!("line {line}: no `id` in the answer"))?
        .to_owned();
    let mut version = version_of(&created, "create")?;
    for to in ["submitted", "published"] {
        let moved = send(
            client
                .post(base.join(&format!("v1/networks/{id}/transitions"))?)
                .bearer_auth(token)
                .header("If-Match", format!("\"v{version}\""))
                .json(&json!({ "to": to })),
            &format!("line {line}: transition to {to}"),
        )
        .await?;
        version = version_of(&moved, to)?;
    }
    Ok(id)
}

pub async fn run(args: LoadArgs) -> Result<()> {
    let base = local_base(&args.url)?;
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let bodies: Vec<(usize, Value)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .map(|v| (i + 1, v))
                .with_context(|| format!("line {} is not JSON", i + 1))
        })
        .collect::<Result<_>>()?;
    let client = http_client()?;
    let started = Instant::now();
    let total = bodies.len();
    let results: Vec<Result<String>> = futures_util::stream::iter(bodies)
        .map(|(line, body)| create_and_publish(&client, &base, &args.token, line, body))
        .buffer_unordered(args.concurrency.max(1))
        .collect()
        .await;
    let mut loaded = 0;
    let mut failures = Vec::new();
    for r in results {
        match r {
            Ok(_) => loaded += 1,
            Err(e) => failures.push(e),
        }
    }
    println!(
        "load: {loaded} of {total} networks created and published in {:.1} s ({} at a time)",
        started.elapsed().as_secs_f64(),
        args.concurrency
    );
    if let Some(first) = failures.first() {
        for e in failures.iter().take(5) {
            eprintln!("load: failed: {e:#}");
        }
        bail!(
            "{} networks could not be loaded (first: {first:#})",
            failures.len()
        );
    }
    Ok(())
}
