//! Coverage reports for IKNL: which networks count for a filter, the cached report per filter,
//! and recomputing only the regions a change touches.

use crate::error::ApiError;
use crate::geography::{GeoState, SearchEntry};
use chrono::{DateTime, Utc};
use geo::MultiPolygon;
use onconet_domain::{Lifecycle, NetworkType};
use onconet_spatial::RegionLayer;
use onconet_spatial::coverage::{CoverageOptions, CoverageReport, Overlay};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use uuid::Uuid;

/// Which networks count.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CoverageFilter {
    /// Any of these types (default: oncology care networks).
    pub types: Vec<NetworkType>,
    /// All of these disciplines.
    pub disciplines: Vec<String>,
    /// All of these tumour types.
    pub tumour_types: Vec<String>,
    /// Any of these lifecycles (default: active).
    pub lifecycles: Vec<Lifecycle>,
    /// Networks left out (what-if).
    pub exclude: Vec<Uuid>,
}

impl CoverageFilter {
    fn matches(&self, e: &SearchEntry) -> bool {
        self.matches_parts(
            e.id,
            e.network_type,
            e.lifecycle,
            &e.disciplines,
            &e.tumour_types,
        )
    }

    pub fn matches_parts(
        &self,
        id: Uuid,
        t: NetworkType,
        l: Lifecycle,
        disciplines: &[String],
        tumour_types: &[String],
    ) -> bool {
        self.types.contains(&t)
            && self.lifecycles.contains(&l)
            && self.disciplines.iter().all(|d| disciplines.contains(d))
            && self.tumour_types.iter().all(|t| tumour_types.contains(t))
            && !self.exclude.contains(&id)
    }

    fn key(&self, layer: &str) -> String {
        let mut exclude = self.exclude.clone();
        exclude.sort();
        format!(
            "{layer}|{:?}|{:?}|{:?}|{:?}|{exclude:?}",
            self.types, self.disciplines, self.tumour_types, self.lifecycles
        )
    }
}

/// The networks a report is computed from: id → (version, area).
pub type Members = BTreeMap<Uuid, (i64, Arc<MultiPolygon<f64>>)>;

struct Cached {
    layer: Arc<RegionLayer>,
    /// The overlay the report was read from (`None`: a throw-away one, for `as_of`).
    overlay: Option<Arc<RwLock<Overlay<Uuid>>>>,
    /// Member ids and versions.
    members: BTreeMap<Uuid, i64>,
    /// The overlay's region generations when the report was made.
    generations: Vec<u64>,
    report: Arc<CoverageReport>,
}

/// The coverage engine's state: one overlay of all published networks per region layer
/// (see `onconet_spatial::coverage`), and the last report per filter.
#[derive(Default)]
pub struct CoverageCache {
    overlays: Mutex<HashMap<String, Arc<RwLock<Overlay<Uuid>>>>>,
    entries: Mutex<HashMap<String, Arc<Cached>>>,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub partial: AtomicU64,
}

/// How a report was obtained (reported in a response header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    Hit,
    /// Only the regions touched by changed networks were recomputed.
    Partial {
        regions: usize,
    },
    Miss,
}

impl CacheOutcome {
    pub fn header(&self) -> String {
        match self {
            CacheOutcome::Hit => "hit".into(),
            CacheOutcome::Partial { regions } => format!("partial; regions={regions}"),
            CacheOutcome::Miss => "miss".into(),
        }
    }
}

/// The current members of a filter, from the search index (published networks with an area).
pub fn current_members(geo: &GeoState, filter: &CoverageFilter) -> Result<Members, ApiError> {
    geo.with_search(|index| {
        index
            .entries()
            .filter(|e| filter.matches(e))
            .map(|e| (e.id, (e.version, e.area.clone())))
            .collect()
    })
}

/// Networks' areas by id.
pub type Areas = Vec<(Uuid, Arc<MultiPolygon<f64>>)>;

/// Every published network's area: what the overlays hold.
pub fn published_areas(geo: &GeoState) -> Result<Areas, ApiError> {
    geo.with_search(|index| index.entries().map(|e| (e.id, e.area.clone())).collect())
}

/// Which networks a report reads.
pub enum Universe {
    /// The registry now: the shared overlay of the layer, brought up to date with these areas
    /// (all published networks).
    Current(Areas),
    /// The registry at some past moment: an overlay of the members alone.
    Past,
}

/// Layers whose overlays are kept ready from start-up (others are built on first use).
const EAGER_LAYERS: [&str; 2] = ["municipality", "province"];

fn poisoned() -> ApiError {
    ApiError::internal("coverage state poisoned")
}

impl CoverageCache {
    /// The overlay of `layer_name`, brought in line with `areas` (new or changed networks get
    /// their cells computed).
    pub fn overlay(
        &self,
        layer_name: &str,
        layer: &Arc<RegionLayer>,
        areas: Areas,
    ) -> Result<Arc<RwLock<Overlay<Uuid>>>, ApiError> {
        let overlay = {
            let mut overlays = self.overlays.lock().map_err(|_| poisoned())?;
            let entry = overlays
                .entry(layer_name.to_owned())
                .or_insert_with(|| Arc::new(RwLock::new(Overlay::new(layer.clone()))));
            let stale = !Arc::ptr_eq(entry.read().map_err(|_| poisoned())?.layer(), layer);
            if stale {
                *entry = Arc::new(RwLock::new(Overlay::new(layer.clone())));
            }
            entry.clone()
        };
        let stats = overlay.write().map_err(|_| poisoned())?.sync(areas);
        if stats.computed > 0 || stats.removed > 0 {
            tracing::debug!(
                layer = layer_name,
                computed = stats.computed,
                removed = stats.removed,
                "coverage overlay updated"
            );
        }
        Ok(overlay)
    }

    /// Brings the overlays of the municipality and province layers, and of any other layer a
    /// report has used, in line with the published networks (at start-up and after each
    /// change, so that a report finds the cells ready).
    pub fn sync_all(&self, geo: &GeoState) -> Result<(), ApiError> {
        let mut names: BTreeSet<String> = self
            .overlays
            .lock()
            .map_err(|_| poisoned())?
            .keys()
            .cloned()
            .collect();
        names.extend(EAGER_LAYERS.iter().map(|s| (*s).to_owned()));
        let areas = published_areas(geo)?;
        for name in names {
            if let Some(layer) = geo.layer(&name).filter(|l| !l.is_empty()) {
                self.overlay(&name, &layer, areas.clone())?;
            }
        }
        Ok(())
    }

    /// The report of `members` over `layer`, from the cache when possible. After a change,
    /// only the regions whose cells changed, or that a network joining or leaving the filter
    /// overlaps, are recomputed.
    pub fn report(
        &self,
        key: &str,
        layer_name: &str,
        layer: Arc<RegionLayer>,
        members: Members,
        universe: Universe,
    ) -> Result<(Arc<CoverageReport>, CacheOutcome), ApiError> {
        let previous = self
            .entries
            .lock()
            .map_err(|_| poisoned())?
            .get(key)
            .cloned();
        let versions: BTreeMap<Uuid, i64> = members.iter().map(|(id, (v, _))| (*id, *v)).collect();
        let options = CoverageOptions::default();
        let (overlay, kept) = match universe {
            Universe::Current(areas) => (self.overlay(layer_name, &layer, areas)?, true),
            Universe::Past => {
                if let Some(p) = &previous
                    && p.overlay.is_none()
                    && Arc::ptr_eq(&p.layer, &layer)
                    && p.members == versions
                {
                    self.hits.fetch_add(1, Ordering::Relaxed);
                    return Ok((p.report.clone(), CacheOutcome::Hit));
                }
                let areas = members
                    .iter()
                    .map(|(id, (_, a))| (*id, a.clone()))
                    .collect();
                (
                    Arc::new(RwLock::new(Overlay::build(layer.clone(), areas))),
                    false,
                )
            }
        };
        let guard = overlay.read().map_err(|_| poisoned())?;
        let matches = |id: &Uuid| versions.contains_key(id);
        let generations = guard.generations().to_vec();
        let reusable = previous.filter(|p| {
            kept && Arc::ptr_eq(&p.layer, &layer)
                && p.overlay.as_ref().is_some_and(|o| Arc::ptr_eq(o, &overlay))
        });
        let (report, outcome) = match reusable {
            Some(p) => {
                let mut dirty: BTreeSet<usize> = generations
                    .iter()
                    .zip(&p.generations)
                    .enumerate()
                    .filter(|(_, (now, then))| now != then)
                    .map(|(i, _)| i)
                    .collect();
                // Networks that joined, left or changed version: the regions they overlap.
                let changed = versions
                    .iter()
                    .filter(|(id, v)| p.members.get(id) != Some(v))
                    .chain(
                        p.members
                            .iter()
                            .filter(|(id, _)| !versions.contains_key(id)),
                    )
                    .map(|(id, _)| id);
                for id in changed {
                    dirty.extend(guard.regions_of(id));
                }
                if dirty.is_empty() {
                    self.hits.fetch_add(1, Ordering::Relaxed);
                    return Ok((p.report.clone(), CacheOutcome::Hit));
                }
                let mut report = (*p.report).clone();
                for &i in &dirty {
                    report.regions[i] = guard.region(i, &matches, &options);
                }
                report.resummarise();
                self.partial.fetch_add(1, Ordering::Relaxed);
                (
                    report,
                    CacheOutcome::Partial {
                        regions: dirty.len(),
                    },
                )
            }
            None => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                (guard.report(&matches, &options), CacheOutcome::Miss)
            }
        };
        drop(guard);
        let report = Arc::new(report);
        self.entries.lock().map_err(|_| poisoned())?.insert(
            key.to_owned(),
            Arc::new(Cached {
                layer,
                overlay: kept.then_some(overlay),
                members: versions,
                generations,
                report: report.clone(),
            }),
        );
        Ok((report, outcome))
    }
}

/// The members as the registry was at `at`: for each network its last revision up to then,
/// if published then, with its area derived from that revision's service area.
pub async fn members_as_of(
    pool: &onconet_db::DbPool,
    geo: &GeoState,
    filter: &CoverageFilter,
    at: DateTime<Utc>,
) -> Result<Members, ApiError> {
    let mut conn = onconet_db::pool::get(pool).await?;
    let revisions = onconet_db::revisions::latest_before(&mut conn, at).await?;
    drop(conn);
    let mut members = Members::new();
    for r in revisions {
        if r.state != "published" {
            continue;
        }
        let Ok(profile) =
            serde_json::from_value::<onconet_domain::NetworkProfile>(r.snapshot.clone())
        else {
            continue;
        };
        if !filter.matches_parts(
            r.network_id,
            profile.network_type,
            profile.lifecycle,
            &profile.disciplines,
            &profile.tumour_types,
        ) {
            continue;
        }
        if let Ok(Some(area)) = geo.derive_area(&profile.service_area) {
            members.insert(
                r.network_id,
                (
                    r.version,
                    Arc::new(onconet_spatial::geojson_io::multipolygon_from_geojson(
                        &area.geojson,
                    )),
                ),
            );
        }
    }
    Ok(members)
}

/// The cache key of a filter over a layer (and a point in time).
pub fn cache_key(filter: &CoverageFilter, layer: &str, as_of: Option<DateTime<Utc>>) -> String {
    format!("{}|{as_of:?}", filter.key(layer))
}

/// Unknown network ids in `exclude` are a client error.
pub async fn check_exclude(pool: &onconet_db::DbPool, exclude: &[Uuid]) -> Result<(), ApiError> {
    let mut conn = onconet_db::pool::get(pool).await?;
    let existing = onconet_db::networks::existing_ids(&mut conn, exclude).await?;
    match exclude.iter().find(|id| !existing.contains(id)) {
        Some(id) => Err(ApiError::NotFound(format!(
            "`exclude` names a network that does not exist: {id}"
        ))),
        None => Ok(()),
    }
}

/// Takes today's national coverage snapshot on the municipality layer: all active oncology
/// care networks, and each discipline. Idempotent: a second snapshot the same day replaces it.
pub async fn take_snapshot(
    state: &crate::state::AppState,
) -> Result<Vec<onconet_db::snapshots::SnapshotRow>, ApiError> {
    let layer_name = "municipality";
    let layer = state.geo.layer(layer_name).unwrap_or_default();
    let now = Utc::now();
    let mut rows = Vec::new();
    let disciplines: Vec<String> = std::iter::once(String::new())
        .chain(state.vocabularies.disciplines.codes().map(str::to_owned))
        .collect();
    for discipline in disciplines {
        let filter = CoverageFilter {
            types: vec![NetworkType::OncologyCareNetwork],
            disciplines: if discipline.is_empty() {
                vec![]
            } else {
                vec![discipline.clone()]
            },
            tumour_types: vec![],
            lifecycles: vec![Lifecycle::Active],
            exclude: vec![],
        };
        let members = current_members(&state.geo, &filter)?;
        let networks = i32::try_from(members.len()).unwrap_or(i32::MAX);
        let key = cache_key(&filter, layer_name, None);
        let cache = state.coverage.clone();
        let layer = layer.clone();
        let areas = published_areas(&state.geo)?;
        let (report, _) = tokio::task::spawn_blocking(move || {
            cache.report(&key, layer_name, layer, members, Universe::Current(areas))
        })
        .await
        .map_err(ApiError::internal)??;
        let s = &report.summary;
        rows.push(onconet_db::snapshots::SnapshotRow {
            day: now.date_naive(),
            layer: layer_name.into(),
            discipline,
            networks,
            area_km2: s.area_km2,
            covered_km2: s.covered_km2,
            population: s.population,
            covered_population: s.covered_population.round() as i64,
            taken_at: now,
        });
    }
    let mut conn = onconet_db::pool::get(&state.pool).await?;
    onconet_db::snapshots::upsert(&mut conn, &rows).await?;
    Ok(rows)
}

/// Keeps the coverage overlays in step with the published networks: after every change,
/// the changed networks' cells are computed in the background, so a report asked for next
/// finds them ready.
pub async fn keep_overlays_current(state: crate::state::AppState) {
    let mut first = true;
    loop {
        if !first {
            state.geo.changed().await;
        }
        first = false;
        let started = std::time::Instant::now();
        let (cache, geo) = (state.coverage.clone(), state.geo.clone());
        match tokio::task::spawn_blocking(move || cache.sync_all(&geo)).await {
            Ok(Ok(())) => tracing::debug!(
                ms = started.elapsed().as_secs_f64() * 1000.0,
                "coverage overlays in step"
            ),
            Ok(Err(e)) => tracing::warn!(error = %e, "coverage overlays not updated"),
            Err(e) => tracing::warn!(error = %e, "coverage overlay update failed"),
        }
    }
}

/// Takes a snapshot once a day (checked hourly; every instance may try, the day's row is
/// simply replaced).
pub async fn snapshot_daily(state: crate::state::AppState) {
    loop {
        let due = match onconet_db::pool::get(&state.pool).await {
            Ok(mut conn) => !onconet_db::snapshots::exists(&mut conn, Utc::now().date_naive())
                .await
                .unwrap_or(true),
            Err(_) => false,
        };
        if due {
            match take_snapshot(&state).await {
                Ok(rows) => tracing::info!(rows = rows.len(), "daily coverage snapshot taken"),
                Err(e) => tracing::warn!(error = %e, "daily coverage snapshot failed"),
            }
        }
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    }
}
