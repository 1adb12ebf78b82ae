//! The connection pool.

use crate::DbError;
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::pooled_connection::deadpool::{Object, Pool};

pub type DbPool = Pool<AsyncPgConnection>;
pub type PooledConnection = Object<AsyncPgConnection>;

/// Builds a pool of at most `max_size` connections to `url` (nothing connects until first use).
pub fn connect_pool(url: &str, max_size: usize) -> Result<DbPool, DbError> {
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(url);
    Pool::builder(manager)
        .max_size(max_size)
        .wait_timeout(Some(std::time::Duration::from_secs(10)))
        .create_timeout(Some(std::time::Duration::from_secs(10)))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|e| DbError::Pool(e.to_string()))
}

/// Takes a connection from the pool.
pub async fn get(pool: &DbPool) -> Result<PooledConnection, DbError> {
    pool.get().await.map_err(|e| DbError::Pool(e.to_string()))
}

/// Whether the server answers on `conn` (`SELECT 1`).
pub async fn ping(conn: &mut AsyncPgConnection) -> Result<(), DbError> {
    use diesel_async::RunQueryDsl;
    diesel::sql_query("SELECT 1").execute(conn).await?;
    Ok(())
}
