//! A real webhook receiver on 127.0.0.1 (`tests/webhooks/receiver.py`): it checks every
//! delivery's signature with the Standard Webhooks reference library and records it.

use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A delivery as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Received {
    /// `webhook-id`.
    pub id: String,
    pub event_type: Option<String>,
    /// The signature matched (per the `standardwebhooks` library, timestamp included).
    pub verified: bool,
    pub error: Option<String>,
    pub body: String,
    pub content_type: Option<String>,
    /// The status the receiver answered.
    pub answered: u16,
}

/// The receiver process; killed when dropped.
pub struct Receiver {
    child: Child,
    port: u16,
    log: tempfile::NamedTempFile,
    client: reqwest::Client,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The python of `target/webhooks-venv`, made (or found up to date) by `scripts/venv.sh`.
fn python() -> Result<String> {
    let out = Command::new(crate::workspace_dir().join("scripts/venv.sh"))
        .arg("webhooks")
        .stderr(Stdio::inherit())
        .output()
        .context("scripts/venv.sh webhooks")?;
    if !out.status.success() {
        bail!("scripts/venv.sh webhooks failed: {:?}", out.status);
    }
    Ok(String::from_utf8(out.stdout)?.trim().to_owned())
}

impl Receiver {
    /// Starts a receiver that verifies with `secret` (`whsec_…`).
    pub fn start(secret: &str) -> Result<Self> {
        let log = tempfile::NamedTempFile::new()?;
        let mut child = Command::new(python()?)
            .arg(crate::workspace_dir().join("tests/webhooks/receiver.py"))
            .arg("--secret")
            .arg(secret)
            .arg("--log")
            .arg(log.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("start tests/webhooks/receiver.py")?;
        let stdout = child.stdout.take().context("receiver stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let port = line
            .trim()
            .parse()
            .with_context(|| format!("the receiver did not say its port: {line:?}"))?;
        Ok(Self {
            child,
            port,
            log,
            client: reqwest::Client::new(),
        })
    }

    /// The URL to subscribe (`http://127.0.0.1:PORT/hook`).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    /// Sets how it answers: `ok` (204), `fail` (503) or `gone` (410), after `delay_ms`.
    pub async fn answer(&self, mode: &str, delay_ms: u64) -> Result<()> {
        let r = self
            .client
            .post(format!("http://127.0.0.1:{}/control", self.port))
            .json(&serde_json::json!({"mode": mode, "delay_ms": delay_ms}))
            .send()
            .await?;
        if r.status() != 204 {
            bail!("the receiver refused the control request: {}", r.status());
        }
        Ok(())
    }

    /// Every delivery so far, in the order they arrived.
    pub fn received(&self) -> Vec<Received> {
        let text = std::fs::read_to_string(self.log.path()).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .map(|v| Received {
                id: v["id"].as_str().unwrap_or_default().to_owned(),
                event_type: v["type"].as_str().map(str::to_owned),
                verified: v["verified"] == true,
                error: v["error"].as_str().map(str::to_owned),
                body: v["body"].as_str().unwrap_or_default().to_owned(),
                content_type: v["content_type"].as_str().map(str::to_owned),
                answered: v["answered"].as_u64().unwrap_or_default() as u16,
            })
            .collect()
    }
}
