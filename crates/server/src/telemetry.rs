//! Logging: human-readable on a terminal, JSON otherwise (or as `ONCONET_LOG_FORMAT` says).
//! Logs name no people: no tokens, e-mail addresses, phone numbers or bodies.
//!
//! With `ONCONET_LOG_REQUESTS=true` every request also gets a line when it ends (the
//! `tracing-actix-web` span: method, route, path, status, request id, error), off by default.
//! The tests write their servers' logs this way, through [`try_init`], and `scripts/check-logs.sh`
//! checks that no non-public contact data reached them.

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

/// How to log.
pub struct LogConfig {
    pub filter: EnvFilter,
    /// JSON lines (production), or compact text.
    pub json: bool,
    /// A line per finished request.
    pub requests: bool,
}

impl LogConfig {
    /// From `ONCONET_LOG` (else `RUST_LOG`, else `info`), `ONCONET_LOG_FORMAT` (else JSON unless
    /// stderr is a terminal) and `ONCONET_LOG_REQUESTS`.
    pub fn from_env() -> Self {
        let filter = EnvFilter::try_from_env("ONCONET_LOG")
            .or_else(|_| EnvFilter::try_from_default_env())
            .unwrap_or_else(|_| EnvFilter::new("info"));
        let json = match std::env::var("ONCONET_LOG_FORMAT").as_deref() {
            Ok("json") => true,
            Ok("pretty") | Ok("text") => false,
            _ => !std::io::stderr().is_terminal(),
        };
        let requests = matches!(
            std::env::var("ONCONET_LOG_REQUESTS").as_deref(),
            Ok("true") | Ok("1") | Ok("yes")
        );
        Self {
            filter,
            json,
            requests,
        }
    }
}

/// Installs the process-wide subscriber writing to `writer`; an error when one is installed
/// already.
pub fn try_init<W>(
    config: LogConfig,
    writer: W,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    onconet_api::request_span::log_requests(config.requests);
    let spans = if config.requests {
        FmtSpan::CLOSE
    } else {
        FmtSpan::NONE
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(config.filter)
        .with_span_events(spans)
        .with_writer(writer);
    if config.json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.compact().try_init()
    }
}

/// Logs to stderr as the environment says.
pub fn init() {
    // Already initialised (tests start several apps in one process): keep the first.
    let _ = try_init(LogConfig::from_env(), std::io::stderr);
}
