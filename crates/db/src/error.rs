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

/// Whether a query failed because the connection broke or the server would not serve it.
fn query_lost_connection(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::BrokenTransactionManager => true,
        Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => true,
        Error::DatabaseError(_, info) => {
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
                // tokio-postgres's words for an I/O error on the socket (the server stopped
                // mid-query): seen once as a 500 in check-faults' external mode.
                "error communicating with the server",
            ]
            .iter()
            .any(|p| m.contains(p))
        }
        // A COMMIT that failed as the server went away, and the ROLLBACK after it too.
        Error::RollbackErrorOnCommit {
            commit_error,
            rollback_error,
        } => query_lost_connection(commit_error) || query_lost_connection(rollback_error),
        _ => false,
    }
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
        match self {
            DbError::Pool(_) => true,
            DbError::Query(e) => query_lost_connection(e),
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

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::result::{DatabaseErrorKind, Error};

    fn db(kind: DatabaseErrorKind, message: &str) -> Error {
        Error::DatabaseError(kind, Box::new(message.to_owned()))
    }

    #[test]
    fn a_server_going_away_is_a_lost_connection() {
        let lost = [
            DbError::Pool("timed out".into()),
            DbError::Query(db(DatabaseErrorKind::ClosedConnection, "closed")),
            DbError::Query(db(
                DatabaseErrorKind::Unknown,
                "terminating connection due to administrator command",
            )),
            DbError::Query(db(
                DatabaseErrorKind::Unknown,
                "the database system is shutting down",
            )),
            DbError::Query(db(
                DatabaseErrorKind::Unknown,
                "error communicating with the server",
            )),
            // The COMMIT failed as the server went, and so did the ROLLBACK after it.
            DbError::Query(Error::RollbackErrorOnCommit {
                commit_error: Box::new(db(DatabaseErrorKind::Unknown, "connection closed")),
                rollback_error: Box::new(Error::BrokenTransactionManager),
            }),
        ];
        for e in &lost {
            assert!(e.is_connection_lost(), "{e}");
        }
        let not_lost = [
            DbError::Query(db(DatabaseErrorKind::UniqueViolation, "duplicate key")),
            DbError::Query(Error::RollbackErrorOnCommit {
                commit_error: Box::new(db(
                    DatabaseErrorKind::SerializationFailure,
                    "could not serialize",
                )),
                rollback_error: Box::new(Error::NotFound),
            }),
            DbError::Corrupt("bad json".into()),
        ];
        for e in &not_lost {
            assert!(!e.is_connection_lost(), "{e}");
        }
    }
}
