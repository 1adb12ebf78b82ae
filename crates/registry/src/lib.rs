//! onconet's use cases: what the registry does, for any front end. The HTTP adapter
//! (`onconet_api`), the binary's commands and background tasks call these operations; none of
//! them knows actix, HTTP status codes or utoipa (`make check` enforces it).
//!
//! - [`networks`]: create, patch (JSON Merge Patch), transition, erase a contact, read one,
//!   list, history;
//! - [`exports`]: every network a viewer may see, in batches, for streamed exports;
//! - [`feed`]: the change feed of published networks;
//! - [`imports`]: bulk import of a file's rows in one transaction, dry run, idempotent by key;
//! - [`published`]: what the FHIR and HSDS views read (published networks, public side only,
//!   their areas, the public revisions);
//! - [`preview`]: a profile checked and its area derived (km², population reached), unsaved;
//! - [`places`]: find a network (`search`) and everything for a place (`here`), from memory;
//! - [`reports`]: coverage reports, what-if, `as_of`, the discipline matrix, snapshots and the
//!   trend;
//! - [`regions`]: region layers, re-deriving network areas after a layer import;
//! - [`outlines`]: region outlines simplified per zoom level, cached;
//! - [`geography`] and [`coverage`]: the in-memory state those read (region layers, the search
//!   index and its LISTEN/NOTIFY follower; the coverage overlays and report cache);
//! - [`toolbox`]: the financing toolbox (write through the workflow, history, the NL/EN
//!   search); [`markdown`]: its bodies as safe HTML and as plain text;
//! - [`usage`]: anonymous usage counts (in memory, flushed in batches), the staff report and
//!   the demand behind coverage reports;
//! - [`webhooks`]: subscriptions, the outbox each change writes its events to, the delivery
//!   log and the delivery worker;
//! - [`filter`]: the one network filter and its parser;
//! - [`error`]: what an operation can fail with.

pub mod coverage;
pub mod error;
pub mod exports;
pub mod feed;
pub mod filter;
pub mod financing;
pub mod geography;
pub mod imports;
pub mod markdown;
pub mod networks;
pub mod outlines;
pub mod places;
pub mod preview;
pub mod published;
pub mod regions;
pub mod reports;
pub mod toolbox;
pub mod usage;
pub mod verification;
pub mod webhooks;

pub use error::{Error, Invalid, Result};
pub use filter::{FilterParams, NetworkFilter, TextQuery, parse_list};
pub use geography::{GeoState, LAYERS, PublicJson, PublicViews, ROS_AREA};
pub use networks::proposals;
pub use networks::{Author, CheckedProfile, Precondition, ProfileDocument};

use onconet_db::DbPool;
use onconet_domain::Vocabularies;
use std::sync::Arc;

/// The registry: its database, vocabularies and in-memory state, shared by every caller
/// (cheap to clone).
#[derive(Clone)]
pub struct Registry {
    pub pool: DbPool,
    pub vocabularies: Arc<Vocabularies>,
    /// Region layers and the search index.
    pub geo: Arc<GeoState>,
    /// Coverage overlays and reports per filter.
    pub coverage: Arc<coverage::CoverageCache>,
    /// Region outlines simplified per zoom level.
    pub outlines: Arc<outlines::OutlineCache>,
    /// How webhooks are delivered.
    pub webhooks: Arc<webhooks::WebhookSettings>,
    /// Anonymous usage counts not yet stored.
    pub usage: Arc<usage::UsageCounter>,
    /// The parts of a profile an adviser changes on a published network without review.
    pub at_once: Arc<[onconet_domain::proposal::AtOnceField]>,
}

impl Registry {
    /// A registry over `pool` whose in-memory state is `geo` (loaded by the caller, after it
    /// started listening for changes: see [`geography::listen_for_changes`]).
    pub fn new(pool: DbPool, geo: Arc<GeoState>) -> Self {
        Self {
            pool,
            vocabularies: Arc::new(Vocabularies::builtin()),
            geo,
            coverage: Arc::default(),
            outlines: Arc::default(),
            webhooks: Arc::default(),
            usage: Arc::default(),
            at_once: Arc::new([]),
        }
    }

    /// The same registry letting advisers change `fields` of a published network without
    /// review.
    pub fn with_at_once(mut self, fields: &[onconet_domain::proposal::AtOnceField]) -> Self {
        self.at_once = fields.into();
        self
    }

    /// The same registry counting usage by `settings`.
    pub fn with_usage(mut self, settings: usage::UsageSettings) -> Self {
        self.usage = Arc::new(usage::UsageCounter::new(settings));
        self
    }

    /// The same registry delivering webhooks by `settings`.
    pub fn with_webhooks(mut self, settings: webhooks::WebhookSettings) -> Self {
        self.webhooks = Arc::new(settings);
        self
    }

    /// A connection from the pool (503 when none can be had).
    pub(crate) async fn conn(&self) -> Result<onconet_db::pool::PooledConnection> {
        Ok(onconet_db::pool::get(&self.pool).await?)
    }

    /// Whether the database answers (readiness).
    pub async fn ready(&self) -> Result<()> {
        let mut conn = self.conn().await?;
        onconet_db::pool::ping(&mut conn)
            .await
            .map_err(|e| Error::Unavailable(format!("the database does not answer: {e}")))
    }
}
