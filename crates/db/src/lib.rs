//! onconet persistence: the diesel schema, row models, queries, migrations and the embedded
//! PostgreSQL launcher.
//!
//! Query functions take `&mut AsyncPgConnection`, so a caller can pass a transaction; each use
//! case opens its transaction once (STYLE habit 11).

pub mod backup;
pub mod embedded;
pub mod error;
pub mod fhir;
pub mod migrations;
pub mod models;
pub mod networks;
pub mod notify;
pub mod pool;
pub mod proposals;
pub mod regions;
pub mod revisions;
pub mod schema;
pub mod snapshots;
pub mod toolbox;
pub mod usage;
pub mod webhooks;

pub use diesel_async::AsyncPgConnection;
pub use error::DbError;
pub use pool::{DbPool, connect_pool};
