//! Who changed what, as revisions and proposals list it.

use serde::Serialize;
use utoipa::ToSchema;

/// Who made a change (the token's subject and name).
#[derive(Debug, Serialize, ToSchema)]
pub struct Actor {
    pub sub: String,
    pub name: Option<String>,
}

/// One field changed: its old and new value.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldChangeResponse {
    pub field: String,
    /// The value before (any JSON value; `null` when absent).
    pub old: serde_json::Value,
    /// The value after.
    pub new: serde_json::Value,
}
