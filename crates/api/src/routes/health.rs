use crate::error::{ApiError, Problem};
use actix_web::{HttpResponse, get, web};
use onconet_registry::Registry;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct HealthResponse {
    #[schema(example = "ok")]
    pub status: String,
}

/// Liveness: the process is up and serving.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Alive", body = HealthResponse)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthResponse {
        status: "ok".into(),
    })
}

/// Readiness: the database answers.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready", body = HealthResponse),
        (status = 503, description = "The database is unreachable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(registry: web::Data<Registry>) -> Result<HttpResponse, ApiError> {
    registry.ready().await?;
    Ok(HttpResponse::Ok().json(HealthResponse {
        status: "ready".into(),
    }))
}

/// Prometheus metrics: requests by route and status, latencies, coverage-cache outcomes and the
/// size of the search index.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
#[get("/metrics")]
pub async fn metrics(
    registry: web::Data<Registry>,
    metrics: web::Data<prometheus::Registry>,
) -> Result<HttpResponse, ApiError> {
    use prometheus::Encoder;
    use std::fmt::Write;
    use std::sync::atomic::Ordering;
    let mut buffer = Vec::new();
    prometheus::TextEncoder::new()
        .encode(&metrics.gather(), &mut buffer)
        .map_err(ApiError::internal)?;
    let mut text = String::from_utf8(buffer).map_err(ApiError::internal)?;
    let cache = &registry.coverage;
    let _ = write!(
        text,
        "# HELP onconet_coverage_cache_total Coverage reports by cache outcome.\n# TYPE onconet_coverage_cache_total counter\n\
         onconet_coverage_cache_total{{outcome=\"hit\"}} {}\nonconet_coverage_cache_total{{outcome=\"partial\"}} {}\nonconet_coverage_cache_total{{outcome=\"miss\"}} {}\n\
         # HELP onconet_search_index_networks Published networks in the search index.\n# TYPE onconet_search_index_networks gauge\nonconet_search_index_networks {}\n",
        std::sync::atomic::AtomicU64::load(&cache.hits, Ordering::Relaxed),
        std::sync::atomic::AtomicU64::load(&cache.partial, Ordering::Relaxed),
        std::sync::atomic::AtomicU64::load(&cache.misses, Ordering::Relaxed),
        registry.geo.with_search(|i| i.len()).unwrap_or(0),
    );
    let _ = writeln!(
        text,
        "# HELP onconet_coverage_past_builds_total Past moments (as_of) whose networks were read from the revisions; other as_of reports reuse them.\n# TYPE onconet_coverage_past_builds_total counter\nonconet_coverage_past_builds_total {}",
        std::sync::atomic::AtomicU64::load(&cache.past_built, Ordering::Relaxed)
    );
    let _ = writeln!(
        text,
        "# HELP onconet_coverage_overlay_cells Cells (network x region) of each coverage overlay kept in memory.\n# TYPE onconet_coverage_overlay_cells gauge"
    );
    let mut overlays = cache.overlay_cells();
    overlays.sort();
    for (layer, cells) in overlays {
        let _ = writeln!(
            text,
            "onconet_coverage_overlay_cells{{layer=\"{}\"}} {cells}",
            layer.replace(['"', '\\', '\n'], "_")
        );
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(text))
}
