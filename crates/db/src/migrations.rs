//! Embedded diesel migrations, run at start-up.

use crate::DbError;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

type SyncConnection = AsyncConnectionWrapper<AsyncPgConnection>;

/// Applies every pending migration on a fresh connection to `url`.
///
/// Runs on a blocking thread: diesel's migration harness is synchronous. Concurrent callers
/// (several instances starting at once) are serialised by a PostgreSQL advisory lock.
pub async fn run_pending(url: &str) -> Result<Vec<String>, DbError> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        use diesel::Connection;
        let mut conn = SyncConnection::establish(&url)
            .map_err(|e| DbError::Migration(format!("cannot connect: {e}")))?;
        with_migration_lock(&mut conn, |conn| {
            conn.run_pending_migrations(MIGRATIONS)
                .map(|versions| versions.iter().map(ToString::to_string).collect())
                .map_err(|e| DbError::Migration(e.to_string()))
        })
    })
    .await
    .map_err(|e| DbError::Migration(e.to_string()))?
}

/// Reverts every applied migration, newest first (used by the migration round-trip test).
pub async fn revert_all(url: &str) -> Result<Vec<String>, DbError> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        use diesel::Connection;
        let mut conn = SyncConnection::establish(&url)
            .map_err(|e| DbError::Migration(format!("cannot connect: {e}")))?;
        conn.revert_all_migrations(MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect())
            .map_err(|e| DbError::Migration(e.to_string()))
    })
    .await
    .map_err(|e| DbError::Migration(e.to_string()))?
}

fn with_migration_lock<T>(
    conn: &mut SyncConnection,
    f: impl FnOnce(&mut SyncConnection) -> Result<T, DbError>,
) -> Result<T, DbError> {
    use diesel::RunQueryDsl;
    // A fixed, arbitrary key ("onconet\0" read as a big-endian integer).
    const KEY: i64 = 0x6F6E_636F_6E65_7400;
    diesel::sql_query(format!("SELECT pg_advisory_lock({KEY})")).execute(conn)?;
    let out = f(conn);
    diesel::sql_query(format!("SELECT pg_advisory_unlock({KEY})")).execute(conn)?;
    out
}
