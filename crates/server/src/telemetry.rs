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
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(config.filter)
        .with_span_events(spans)
        .with_writer(writer);
    if config.json {
        builder
            .json()
            .flatten_event(true)
            .finish()
            .with(ClientStreamErrors)
            .try_init()?;
    } else {
        builder
            .compact()
            .finish()
            .with(ClientStreamErrors)
            .try_init()?;
    }
    Ok(())
}

/// Leaves out actix-http's ERROR "stream error: …", which it logs for every request it cannot
/// parse (a URI over its limit, a malformed header): the client's fault, already answered with
/// a 400, and anyone could fill the error log with them. Its other errors stay.
struct ClientStreamErrors;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for ClientStreamErrors {
    fn event_enabled(
        &self,
        event: &tracing::Event<'_>,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) -> bool {
        let meta = event.metadata();
        if *meta.level() != tracing::Level::ERROR || !meta.target().starts_with("actix_http::h1") {
            return true;
        }
        struct Message(bool);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0 = format!("{value:?}").starts_with("stream error:");
                }
            }
        }
        let mut message = Message(false);
        event.record(&mut message);
        !message.0
    }
}

/// Logs to stderr as the environment says.
pub fn init() {
    // Already initialised (tests start several apps in one process): keep the first.
    let _ = try_init(LogConfig::from_env(), std::io::stderr);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::layer::SubscriberExt;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut b) = self.0.lock() {
                b.extend_from_slice(bytes);
            }
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn client_stream_errors_are_left_out_other_errors_stay() {
        let buffer = Buffer::default();
        let out = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || out.clone())
            .json()
            .finish()
            .with(ClientStreamErrors);
        tracing::subscriber::with_default(subscriber, || {
            tracing::error!(target: "actix_http::h1::dispatcher", "stream error: {}", "URI error: uri too long");
            tracing::error!(target: "actix_http::h1::dispatcher", "Internal server error: unexpected eof");
            tracing::error!(target: "onconet_api::error", "stream error: ours stays");
        });
        let text = String::from_utf8(buffer.0.lock().map(|b| b.clone()).unwrap_or_default())
            .unwrap_or_default();
        assert!(!text.contains("uri too long"), "{text}");
        assert!(text.contains("unexpected eof"), "{text}");
        assert!(text.contains("ours stays"), "{text}");
    }
}
