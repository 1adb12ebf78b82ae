use thiserror::Error;

/// Failures of the persistence layer. None of them is the client's fault except where the
/// API maps a constraint violation it expects on purpose.
#[derive(Debug, Error)]
pub enum DbError {
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("no database connection available: {0}")]
    Pool(String),
    #[error("stored data cannot be read: {0}")]
    Corrupt(String),
    #[error("migrations failed: {0}")]
    Migration(String),
}

impl DbError {
    /// PostgreSQL gave up on the transaction because a concurrent one got in its way (a
    /// deadlock it broke, or a serialization failure): nobody's fault, worth trying again.
    pub fn is_concurrency_conflict(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            DbError::Query(Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _)) => {
                true
            }
            // SQLSTATE 40P01 has no kind of its own; the embedded cluster runs in the C
            // locale, and a configured server's messages are English unless set otherwise.
            DbError::Query(Error::DatabaseError(_, info)) => {
                info.message().starts_with("deadlock detected")
            }
            _ => false,
        }
    }

    /// The connection to the server broke or the server is not accepting connections (it
    /// crashed, is restarting, recovering or shutting down): nobody's fault, a 503 to retry.
    pub fn is_connection_lost(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            DbError::Pool(_) => true,
            DbError::Query(Error::BrokenTransactionManager) => true,
            DbError::Query(Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _)) => true,
            DbError::Query(Error::DatabaseError(_, info)) => {
                let m = info.message();
                [
                    "terminating connection",
                    "server closed the connection",
                    "connection to server",
                    "the database system is",
                    "could not receive data from server",
                    "could not send data to server",
                    "no connection to the server",
                    "connection closed",
                ]
                .iter()
                .any(|p| m.contains(p))
            }
            _ => false,
        }
    }

    /// A unique violation: a concurrent write took the same key first.
    pub fn is_unique_violation(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        matches!(
            self,
            DbError::Query(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _))
        )
    }
}
