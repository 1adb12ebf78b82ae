//! The onconet binary's library: settings, telemetry, start-up, development keys and the
//! demo data. `main.rs` is only the command line.

pub mod backup;
pub mod demo;
pub mod dev_keys;
pub mod import;
pub mod jwks;
pub mod regions;
pub mod settings;
pub mod startup;
pub mod telemetry;
