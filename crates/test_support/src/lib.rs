//! The onconet test harness: a real PostgreSQL (started once per machine and run, reused by
//! every test process), a database per test cloned from a migrated template, and the real
//! application on a real port with tokens for every role.
//!
//! Set `ONCONET_TEST_DATABASE_URL` to use another server; otherwise an embedded cluster lives
//! in `target/onconet-test-pg` (`make test` stops it at the end; `onconet db stop --data-dir
//! target/onconet-test-pg` does it by hand).
//!
//! The servers' logs go to `target/test-logs/` ([`logs`]); `scripts/check-logs.sh` looks there
//! for the non-public contact data of [`fixtures`].

mod app;
mod db;
pub mod fixtures;
pub mod logs;
pub mod oidc;
pub mod receiver;

pub use app::{TestApp, spawn_app, spawn_app_with, spawn_peer};
pub use db::{TestDb, cluster_url};

/// The reference data folder (`ONCONET_REFERENCE_DATA`, default `../shared/data/nl` next to the
/// checkout).
pub fn reference_data() -> std::path::PathBuf {
    std::env::var_os("ONCONET_REFERENCE_DATA")
        .map(Into::into)
        .unwrap_or_else(|| workspace_dir().join("../shared/data/nl"))
}

/// Waits until `check` holds, asking every 20 ms. The 30 s bound only keeps a broken build
/// from hanging the suite; it is not a timing assertion.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = std::time::Instant::now();
    while !check().await {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "{what} never showed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The workspace root.
pub fn workspace_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
