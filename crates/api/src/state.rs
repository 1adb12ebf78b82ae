use crate::geography::GeoState;
use onconet_db::DbPool;
use onconet_domain::Vocabularies;
use std::sync::Arc;

/// What every handler may use.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub vocabularies: Arc<Vocabularies>,
    /// Region layers and the search index.
    pub geo: Arc<GeoState>,
    /// Coverage reports per filter.
    pub coverage: Arc<crate::coverage::CoverageCache>,
}
