//! A real OpenID provider for tests: Node's `oidc-provider` configured by
//! `tests/oidc/provider.mjs` (logins `role` or `role@org`, any password; clients
//! `onconet-console` with the secret `test-secret`, and `onconet-public`). Its packages are
//! installed by `make unit` (`scripts/npm-deps.sh tests/oidc`).

use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// The confidential client's secret in `tests/oidc/provider.mjs`.
pub const CLIENT_SECRET: &str = "test-secret";

/// A running provider; stopped when dropped (its standard input closes too).
pub struct OidcProvider {
    pub issuer: String,
    pub jwks_uri: String,
    child: Child,
}

impl OidcProvider {
    /// Starts the provider on a free port of 127.0.0.1, issuing access tokens for `audience`.
    pub fn start(audience: &str) -> Result<Self> {
        let dir = crate::workspace_dir().join("tests/oidc");
        if !dir.join("node_modules/oidc-provider/package.json").exists() {
            bail!(
                "oidc-provider is not installed: run `scripts/npm-deps.sh tests/oidc` (make unit does)"
            );
        }
        let mut child = Command::new("node")
            .arg("provider.mjs")
            .args(["--port", "0", "--audience", audience, "--watch-stdin"])
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start node tests/oidc/provider.mjs")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let ready: serde_json::Value = serde_json::from_str(&line)
            .with_context(|| format!("the provider did not start: {line:?}"))?;
        let text = |k: &str| ready[k].as_str().map(str::to_owned).context("no issuer");
        Ok(Self {
            issuer: text("issuer")?,
            jwks_uri: text("jwks_uri")?,
            child,
        })
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
