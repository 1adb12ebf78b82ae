//! Logging: human-readable on a terminal, JSON otherwise (or as `ONCONET_LOG_FORMAT` says).
//! Logs name no people: no tokens, e-mail addresses, phone numbers or bodies.

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_env("ONCONET_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let json = match std::env::var("ONCONET_LOG_FORMAT").as_deref() {
        Ok("json") => true,
        Ok("pretty") | Ok("text") => false,
        _ => !std::io::stderr().is_terminal(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.compact().try_init()
    };
    // Already initialised (tests start several apps in one process): keep the first.
    let _ = result;
}
