//! Typed settings: defaults, then `ONCONET_*` / `DATABASE_URL` environment variables, then
//! command-line flags (clap applies the last two). Secrets are `SecretString`s and the
//! connection string is never logged whole.

use clap::Args;
use secrecy::{ExposeSecret, SecretString};
use std::path::PathBuf;

/// Where the data lives: the embedded cluster and the development signing key.
#[derive(Debug, Clone, Args)]
pub struct DataSettings {
    /// Data directory (embedded PostgreSQL cluster, development signing key).
    #[arg(long, env = "ONCONET_DATA_DIR", default_value = ".onconet")]
    pub data_dir: PathBuf,
    /// An external PostgreSQL server; without it the embedded cluster in the data dir is used.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<SecretString>,
}

/// Token verification settings (DESIGN §5).
#[derive(Debug, Clone, Args)]
pub struct AuthSettings {
    /// The identity provider's JWKS document: a path, or an https:// URL (http:// only for
    /// 127.0.0.1, ::1 and localhost) fetched at start-up, hourly and on unknown key ids. Unset:
    /// development mode, which accepts tokens made by `onconet token` with the key in the data
    /// dir.
    #[arg(long, env = "ONCONET_JWKS")]
    pub jwks: Option<String>,
    /// Required `iss` claim.
    #[arg(long, env = "ONCONET_JWT_ISSUER", default_value = "onconet-dev")]
    pub jwt_issuer: String,
    /// Required `aud` claim.
    #[arg(long, env = "ONCONET_JWT_AUDIENCE", default_value = "onconet")]
    pub jwt_audience: String,
}

/// The console's OpenID Connect sign-in (DESIGN §7). Needs `ONCONET_JWKS` (the provider's
/// keys), `ONCONET_JWT_ISSUER` and `ONCONET_JWT_AUDIENCE` for the access tokens it gives.
#[derive(Debug, Clone, Args)]
pub struct OidcSettings {
    /// The identity provider's issuer URL (discovery at `/.well-known/openid-configuration`).
    #[arg(long, env = "ONCONET_OIDC_ISSUER", requires = "oidc_client_id")]
    pub oidc_issuer: Option<String>,
    /// The console's client id at the identity provider.
    #[arg(long, env = "ONCONET_OIDC_CLIENT_ID", requires = "oidc_issuer")]
    pub oidc_client_id: Option<String>,
    /// The client secret (a confidential client); without it a public client with PKCE.
    #[arg(long, env = "ONCONET_OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<SecretString>,
    /// The redirect URL registered at the provider (default: `/console/callback` on the host
    /// the browser used).
    #[arg(long, env = "ONCONET_OIDC_REDIRECT_URL")]
    pub oidc_redirect_url: Option<String>,
}

/// Webhook delivery (DESIGN: data exchange; `onconet_registry::webhooks`).
#[derive(Debug, Clone, Args)]
pub struct WebhookArgs {
    /// Accept webhook targets on private, loopback and link-local addresses and plain `http`
    /// (tests and closed networks only).
    #[arg(long, env = "ONCONET_WEBHOOK_ALLOW_PRIVATE_TARGETS", default_value_t = false, action = clap::ArgAction::Set)]
    pub webhook_allow_private_targets: bool,
    /// The wait after a delivery's first failed attempt, doubled after each further one.
    #[arg(long, env = "ONCONET_WEBHOOK_RETRY_BASE_MS", default_value_t = 5_000)]
    pub webhook_retry_base_ms: u64,
    /// How long an event's delivery is retried before it is given up and the subscription
    /// disabled.
    #[arg(
        long,
        env = "ONCONET_WEBHOOK_RETRY_FOR_SECONDS",
        default_value_t = 86_400
    )]
    pub webhook_retry_for_seconds: u64,
    /// How long a receiver may take to answer.
    #[arg(long, env = "ONCONET_WEBHOOK_TIMEOUT_MS", default_value_t = 10_000)]
    pub webhook_timeout_ms: u64,
    /// How often to look for published networks whose verification ran out (12 months),
    /// announced once each as `network.verification_due`.
    #[arg(
        long,
        env = "ONCONET_VERIFICATION_CHECK_SECONDS",
        default_value_t = 600
    )]
    pub verification_check_seconds: u64,
}

impl WebhookArgs {
    pub fn settings(&self) -> onconet_registry::webhooks::WebhookSettings {
        use std::time::Duration;
        onconet_registry::webhooks::WebhookSettings {
            allow_private_targets: self.webhook_allow_private_targets,
            retry_base: Duration::from_millis(self.webhook_retry_base_ms.max(1)),
            retry_for: Duration::from_secs(self.webhook_retry_for_seconds.max(1)),
            timeout: Duration::from_millis(self.webhook_timeout_ms.max(1)),
            verification_check: Duration::from_secs(self.verification_check_seconds.max(1)),
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct ServeSettings {
    /// Address to listen on.
    #[arg(long, env = "ONCONET_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Load the reference regions (when missing) and a clearly labelled set of demo networks.
    #[arg(long, env = "ONCONET_DEMO")]
    pub demo: bool,
    /// Folder with the CBS reference data that `--demo` imports.
    #[arg(
        long,
        env = "ONCONET_REFERENCE_DATA",
        default_value = "../shared/data/nl"
    )]
    pub reference_data: std::path::PathBuf,
    /// Take the national coverage snapshot once a day (for `/v1/coverage/trend`).
    #[arg(long, env = "ONCONET_DAILY_SNAPSHOT", default_value_t = true, action = clap::ArgAction::Set)]
    pub daily_snapshot: bool,
    /// Keep anonymous usage counts (searches, toolbox use; `/v1/usage`, demand in coverage).
    #[arg(long, env = "ONCONET_USAGE_COUNTS", default_value_t = true, action = clap::ArgAction::Set)]
    pub usage_counts: bool,
    /// How often the usage counts in memory are added to the database, in seconds.
    #[arg(long, env = "ONCONET_USAGE_FLUSH_SECONDS", default_value_t = 10)]
    pub usage_flush_seconds: u64,
    /// What a ROS adviser may change on a published network without IKNL's review, a comma
    /// list: `website`, `contact_details` (contacts' e-mail and phone). Empty (the default):
    /// every change to a published network is a proposal.
    #[arg(long, env = "ONCONET_APPLY_AT_ONCE", value_delimiter = ',', value_parser = parse_at_once)]
    pub apply_at_once: Vec<onconet_domain::proposal::AtOnceField>,
    /// Most vertices a service-area polygon may have.
    #[arg(long, env = "ONCONET_MAX_VERTICES", default_value_t = 100_000)]
    pub max_vertices: usize,
    /// Anonymous requests per second per client address (0: no limit).
    #[arg(long, env = "ONCONET_RATE_LIMIT_PER_SECOND", default_value_t = 20)]
    pub rate_limit_per_second: u32,
    /// Burst of anonymous requests per client address.
    #[arg(long, env = "ONCONET_RATE_LIMIT_BURST", default_value_t = 100)]
    pub rate_limit_burst: u32,
    /// Reverse proxies in front (addresses or CIDR networks, comma-separated) whose
    /// `X-Forwarded-For` names the client for the rate limit (default: none, the TCP peer is
    /// the client).
    #[arg(long, env = "ONCONET_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: onconet_api::ratelimit::TrustedProxies,
    /// Largest number of database connections.
    #[arg(long, env = "ONCONET_DB_POOL_SIZE", default_value_t = 16)]
    pub db_pool_size: usize,
    /// A raster tile server for the console's maps, e.g.
    /// `https://tiles.example.nl/{z}/{x}/{y}.png` (default: none; the maps show the regions).
    #[arg(long, env = "ONCONET_CONSOLE_TILE_URL")]
    pub console_tile_url: Option<String>,
    /// The attribution the tile server asks for.
    #[arg(long, env = "ONCONET_CONSOLE_TILE_ATTRIBUTION", default_value = "")]
    pub console_tile_attribution: String,
    #[command(flatten)]
    pub oidc: OidcSettings,
    #[command(flatten)]
    pub webhooks: WebhookArgs,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "ONCONET_WORKERS")]
    pub workers: Option<usize>,
    /// Let the kernel back the server's memory with transparent huge pages (as it does by
    /// default). `false` saves about 110 MiB of resident memory at 5,000 networks, but the
    /// open-loop p99 of search at 10,000 req/s rose from about 5 to 7 ms (docs/BENCHMARKS.md).
    #[arg(long, env = "ONCONET_HUGE_PAGES", default_value_t = true, action = clap::ArgAction::Set)]
    pub huge_pages: bool,
    #[command(flatten)]
    pub data: DataSettings,
    #[command(flatten)]
    pub auth: AuthSettings,
}

/// `postgresql://user:secret@host/db` → `postgresql://user:***@host/db`, for logs.
pub fn redacted(url: &SecretString) -> String {
    match url::Url::parse(url.expose_secret()) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        Err(_) => "(unparsable DATABASE_URL)".into(),
    }
}

/// One item of `--apply-at-once`.
fn parse_at_once(value: &str) -> Result<onconet_domain::proposal::AtOnceField, String> {
    value
        .trim()
        .parse()
        .map_err(|e: onconet_domain::error::InvalidValue| e.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(clap::Parser)]
    struct Serve {
        #[command(flatten)]
        settings: ServeSettings,
    }

    #[test]
    fn apply_at_once_is_a_checked_list_and_empty_by_default() {
        use clap::Parser;
        use onconet_domain::proposal::AtOnceField;
        let parse = |args: &[&str]| Serve::try_parse_from([&["serve"], args].concat());
        assert!(
            parse(&[])
                .expect("defaults")
                .settings
                .apply_at_once
                .is_empty()
        );
        let both = parse(&["--apply-at-once", "website, contact_details"]).expect("valid");
        assert_eq!(
            both.settings.apply_at_once,
            [AtOnceField::Website, AtOnceField::ContactDetails]
        );
        let err = parse(&["--apply-at-once", "website,name"])
            .err()
            .expect("refused")
            .to_string();
        assert!(
            err.contains("--apply-at-once") && err.contains("contact_details"),
            "{err}"
        );
    }

    #[test]
    fn trusted_proxies_are_checked_when_parsed() {
        use clap::Parser;
        let parse = |value: &str| Serve::try_parse_from(["serve", "--trusted-proxies", value]);
        let ok = parse("10.0.0.0/8, 192.0.2.7").expect("valid proxies");
        assert_eq!(
            ok.settings.trusted_proxies,
            "10.0.0.0/8,192.0.2.7".parse().expect("valid")
        );
        for bad in ["proxy.example", "10.0.0.0/33", "10.0.0.0/8,,300.1.1.1"] {
            let err = parse(bad).err().expect("refused").to_string();
            assert!(err.contains("--trusted-proxies"), "{bad}: {err}");
            assert!(
                err.contains("is not an IP address or a CIDR network"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn passwords_are_redacted() {
        let url = SecretString::from("postgresql://app:hunter2@db.example:5432/onconet");
        assert_eq!(
            redacted(&url),
            "postgresql://app:***@db.example:5432/onconet"
        );
    }
}
