//! Request and response types: serde for the wire, utoipa for the OpenAPI document,
//! validator for the shape of request bodies.

pub mod import;
pub mod network;
pub mod page;
pub mod proposal;
pub mod query;
pub mod revision;
pub mod schema;
pub mod toolbox;
pub mod vocabulary;
pub mod webhook;
