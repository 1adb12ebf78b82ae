//! Use cases: each opens its transaction once and leaves the database unchanged on failure.

pub mod networks;
