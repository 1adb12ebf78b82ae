//! Request and response types: serde + utoipa + validator. Conversions to the domain happen
//! here, once; handlers only see domain values.

pub mod network;
pub mod page;
pub mod schema;
pub mod vocabulary;
