//! The one integration-test binary: real HTTP against the real server on real PostgreSQL.
#![expect(clippy::expect_used, reason = "a failed expectation is a failed test")]

mod auth;
mod backups;
mod bad_input;
mod concurrency;
mod console;
mod coverage;
mod embedded;
mod exports;
mod fhir;
mod geometry;
mod health;
mod history;
mod hsds;
mod imports;
mod migrations;
mod networks;
mod oidc;
mod openapi;
mod operations;
mod preview;
mod programme;
mod proposals;
mod quality;
mod regions;
mod relations;
mod roles;
mod ros_areas;
mod search;
mod toolbox;
mod usage;
mod verification;
mod vocabularies;
mod webhooks;
