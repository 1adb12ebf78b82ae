//! Every test process writes the logs of the servers it starts, in the production JSON format
//! with a line per request and `debug` for onconet's crates, to a file of its own in
//! `target/test-logs/` (or `ONCONET_TEST_LOG_DIR`). `scripts/check-logs.sh` (after the tests in
//! `make test`) fails when non-public contact data shows up in any of them. `TEST_LOG=1` also
//! copies the lines to stderr.

use std::fs::{File, OpenOptions};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// The filter of the test logs: verbose for our own crates, so request spans and their fields
/// are in.
pub const FILTER: &str = "info,onconet=debug,onconet_api=debug,onconet_registry=debug,onconet_db=debug,onconet_domain=debug,onconet_spatial=debug,onconet_test_support=debug";

/// The folder of this run's logs: `ONCONET_TEST_LOG_DIR` (relative to the workspace) or
/// `target/test-logs`.
pub fn dir() -> PathBuf {
    match std::env::var_os("ONCONET_TEST_LOG_DIR") {
        Some(d) if !d.is_empty() => crate::workspace_dir().join(d),
        _ => crate::workspace_dir().join("target/test-logs"),
    }
}

/// A new log file in [`dir`] named after `what` and this process (for the output of a child
/// process such as `onconet serve`).
pub fn file(what: &str) -> File {
    let dir = dir();
    let path = dir.join(format!(
        "{what}-{}-{}.log",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir)
        .and_then(|()| OpenOptions::new().create(true).append(true).open(&path))
        .unwrap_or_else(|e| panic!("cannot write the test log {}: {e}", path.display()))
}

/// The environment that makes an `onconet` child process log like the in-process servers.
pub fn child_env() -> [(&'static str, &'static str); 3] {
    [
        ("ONCONET_LOG", FILTER),
        ("ONCONET_LOG_FORMAT", "json"),
        ("ONCONET_LOG_REQUESTS", "true"),
    ]
}

/// Installs this process's log subscriber (once; later calls do nothing).
pub fn init() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        use tracing_subscriber::fmt::writer::{BoxMakeWriter, MakeWriterExt};
        let name = std::env::current_exe()
            .ok()
            .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "test".into());
        let file = Arc::new(self::file(&name));
        let writer = if std::env::var_os("TEST_LOG").is_some() {
            BoxMakeWriter::new(file.and(std::io::stderr))
        } else {
            BoxMakeWriter::new(file)
        };
        let config = onconet::telemetry::LogConfig {
            filter: tracing_subscriber::EnvFilter::new(FILTER),
            json: true,
            requests: true,
        };
        // Another subscriber may be installed by the test itself; then that one logs.
        let _ = onconet::telemetry::try_init(config, writer);
    });
}
