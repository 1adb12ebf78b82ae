//! What a use case can fail with, in the registry's own words. The HTTP adapter maps each
//! variant to one status code and problem document (`onconet_api::error`); other front ends
//! (the CLI, background tasks) print or log them.

use onconet_db::DbError;
use onconet_domain::FieldError;
use std::fmt;

/// One invalid input: a document field (by JSON pointer) or a named parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// RFC 6901 JSON pointer of the field, e.g. `/contacts/0/email`.
    pub pointer: Option<String>,
    /// Name of the parameter, e.g. `radius_km`.
    pub parameter: Option<String>,
    /// Machine-readable reason (`required`, `unknown_code`, `out_of_range`, …).
    pub code: String,
    /// Human-readable explanation (never quoting a submitted value).
    pub detail: String,
    /// In an imported file: the row (line, feature) as the file counts them.
    pub row: Option<usize>,
    /// In an imported spreadsheet: the column's heading as the file writes it.
    pub column: Option<String>,
}

impl Invalid {
    pub fn pointer(pointer: impl Into<String>, code: &str, detail: impl Into<String>) -> Self {
        Self {
            pointer: Some(pointer.into()),
            parameter: None,
            code: code.to_owned(),
            detail: detail.into(),
            row: None,
            column: None,
        }
    }

    pub fn parameter(name: &str, code: &str, detail: impl Into<String>) -> Self {
        Self {
            pointer: None,
            parameter: Some(name.to_owned()),
            code: code.to_owned(),
            detail: detail.into(),
            row: None,
            column: None,
        }
    }

    /// A problem of a whole imported file, or of row `row` of it.
    pub fn in_file(row: Option<usize>, code: &str, detail: impl Into<String>) -> Self {
        Self {
            pointer: None,
            parameter: None,
            code: code.to_owned(),
            detail: detail.into(),
            row,
            column: None,
        }
    }

    /// The same problem, found in row `row` of an imported file.
    pub fn at_row(mut self, row: usize) -> Self {
        self.row = Some(row);
        self
    }
}

impl From<FieldError> for Invalid {
    fn from(e: FieldError) -> Self {
        Invalid::pointer(e.pointer(), e.code, e.message)
    }
}

#[derive(Debug)]
pub enum Error {
    /// The request cannot be used as given (a malformed or missing parameter).
    BadRequest {
        detail: String,
        errors: Vec<Invalid>,
    },
    /// Well-formed, but a value breaks a rule; every problem at once.
    Invalid(Vec<Invalid>),
    /// Who is asking must be known (no credentials were given).
    Unauthenticated(String),
    /// Known, but not allowed.
    Forbidden(String),
    NotFound(String),
    /// The change conflicts with the current state (a workflow step, a concurrent write).
    Conflict(String),
    /// The change conflicts with a proposal of the network (another adviser's pending one,
    /// or one whose base version is no longer current): which one, so a client can show it.
    ProposalConflict {
        detail: String,
        proposal_id: uuid::Uuid,
    },
    /// The caller's version is not the current one.
    Stale {
        current_version: i64,
    },
    /// A change must name the version it applies to.
    PreconditionRequired,
    /// The database cannot be reached.
    Unavailable(String),
    /// A bug or an outage; the cause is for the log only.
    Internal(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// A parameter that cannot be used: its name, a code and why.
    pub fn bad_parameter(name: &str, code: &str, detail: impl Into<String>) -> Self {
        let invalid = Invalid::parameter(name, code, detail);
        Error::BadRequest {
            detail: format!("query parameter `{name}` is invalid: {}", invalid.detail),
            errors: vec![invalid],
        }
    }

    /// A parameter out of its range (well-formed, so not a 400).
    pub fn out_of_range(name: &str, detail: impl Into<String>) -> Self {
        Error::Invalid(vec![Invalid::parameter(name, "out_of_range", detail)])
    }

    pub fn internal(cause: impl fmt::Display) -> Self {
        Error::Internal(cause.to_string())
    }
}

/// For logs, start-up failures and the CLI. A 500's cause is shown here; the HTTP adapter
/// never sends it.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadRequest { detail, .. } => write!(f, "bad request: {detail}"),
            Error::Invalid(errors) => {
                write!(f, "invalid:")?;
                for e in errors {
                    let at = e
                        .pointer
                        .as_deref()
                        .or(e.parameter.as_deref())
                        .unwrap_or("");
                    write!(f, " {at}: {} ({});", e.detail, e.code)?;
                }
                Ok(())
            }
            Error::Unauthenticated(d) => write!(f, "unauthenticated: {d}"),
            Error::Forbidden(d) => write!(f, "forbidden: {d}"),
            Error::NotFound(d) => write!(f, "not found: {d}"),
            Error::Conflict(d) => write!(f, "conflict: {d}"),
            Error::ProposalConflict { detail, .. } => write!(f, "conflict: {detail}"),
            Error::Stale { current_version } => {
                write!(f, "stale: the current version is {current_version}")
            }
            Error::PreconditionRequired => write!(f, "the version to change must be given"),
            Error::Unavailable(d) => write!(f, "unavailable: {d}"),
            Error::Internal(cause) => write!(f, "internal error: {cause}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<DbError> for Error {
    fn from(e: DbError) -> Self {
        match e {
            e if e.is_connection_lost() => {
                tracing::error!(cause = %e, "database unavailable");
                Error::Unavailable("the database is unavailable; try again shortly".into())
            }
            e if e.is_concurrency_conflict() => {
                tracing::warn!(cause = %e, "a write gave way to a concurrent one");
                Error::Conflict(
                    "a concurrent change to a related network got in the way; send the request again".into(),
                )
            }
            e if e.is_unique_violation() => {
                tracing::warn!(cause = %e, "a write collided with a concurrent one");
                Error::Conflict(
                    "a concurrent change took the same key (an external_id) first; send the request again to see which".into(),
                )
            }
            other => Error::Internal(other.to_string()),
        }
    }
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        Error::from(DbError::from(e))
    }
}

impl From<Vec<FieldError>> for Error {
    fn from(errors: Vec<FieldError>) -> Self {
        Error::Invalid(errors.into_iter().map(Invalid::from).collect())
    }
}

impl From<tokio::task::JoinError> for Error {
    fn from(e: tokio::task::JoinError) -> Self {
        Error::internal(e)
    }
}
