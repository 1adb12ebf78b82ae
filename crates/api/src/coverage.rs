//! Coverage reports for IKNL: which networks count for a filter, the cached report per filter,
//! and recomputing only the regions a change touches.

use crate::error::ApiError;
use crate::geography::{GeoState, SearchEntry};
use chrono::{DateTime, Utc};
use geo::{BoundingRect, Intersects, MultiPolygon, Rect};
use onconet_domain::{Lifecycle, NetworkType};
use onconet_spatial::RegionLayer;
use onconet_spatial::coverage::{CoverageOptions, CoverageReport, PreparedUnion, summarise};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
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
    members: Members,
    report: Arc<CoverageReport>,
}

/// Reports per filter, reused while nothing relevant changed.
#[derive(Default)]
pub struct CoverageCache {
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

impl CoverageCache {
    /// The report of `members` over `layer`, from the cache when possible. After a change, only
    /// the regions that the changed networks' old or new areas touch are recomputed.
    pub fn report(
        &self,
        key: &str,
        layer: Arc<RegionLayer>,
        members: Members,
    ) -> Result<(Arc<CoverageReport>, CacheOutcome), ApiError> {
        let previous = self
            .entries
            .lock()
            .map_err(|_| ApiError::internal("coverage cache poisoned"))?
            .get(key)
            .cloned();
        if let Some(p) = &previous
            && Arc::ptr_eq(&p.layer, &layer)
            && p.members.len() == members.len()
            && p.members
                .iter()
                .zip(members.iter())
                .all(|((a, (va, aa)), (b, (vb, ab)))| a == b && va == vb && Arc::ptr_eq(aa, ab))
        {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok((p.report.clone(), CacheOutcome::Hit));
        }
        let prepared = PreparedUnion::new(
            members
                .iter()
                .map(|(id, (_, area))| (*id, (**area).clone()))
                .collect(),
        );
        let options = CoverageOptions::default();
        let (report, outcome) = match previous.filter(|p| Arc::ptr_eq(&p.layer, &layer)) {
            Some(p) => {
                // The boxes of every old and new area that changed: only regions meeting
                // one of them can have changed.
                let mut changed: Vec<Rect<f64>> = Vec::new();
                // Changed: another version, or the same version with a re-derived area (after a
                // region import).
                let same = |a: Option<&(i64, Arc<MultiPolygon<f64>>)>,
                            version: i64,
                            area: &Arc<MultiPolygon<f64>>| {
                    a.is_some_and(|(v, x)| *v == version && Arc::ptr_eq(x, area))
                };
                for (id, (version, area)) in &p.members {
                    if !same(members.get(id), *version, area) {
                        changed.extend(area.bounding_rect());
                    }
                }
                for (id, (version, area)) in &members {
                    if !same(p.members.get(id), *version, area) {
                        changed.extend(area.bounding_rect());
                    }
                }
                let mut recomputed = 0;
                let regions = layer
                    .regions()
                    .iter()
                    .zip(p.report.regions.iter())
                    .map(|(region, old)| {
                        let bbox = region.area.bounding_rect();
                        if bbox.is_some_and(|b| changed.iter().any(|c| c.intersects(&b))) {
                            recomputed += 1;
                            prepared.region(region, &options)
                        } else {
                            old.clone()
                        }
                    })
                    .collect::<Vec<_>>();
                let summary = summarise(&regions);
                self.partial.fetch_add(1, Ordering::Relaxed);
                (
                    CoverageReport { regions, summary },
                    CacheOutcome::Partial {
                        regions: recomputed,
                    },
                )
            }
            None => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                (prepared.report(&layer, &options), CacheOutcome::Miss)
            }
        };
        let report = Arc::new(report);
        self.entries
            .lock()
            .map_err(|_| ApiError::internal("coverage cache poisoned"))?
            .insert(
                key.to_owned(),
                Arc::new(Cached {
                    layer,
                    members,
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
        let (report, _) = tokio::task::spawn_blocking(move || cache.report(&key, layer, members))
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
