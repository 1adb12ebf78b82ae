//! The coverage engine's state: which networks count for a filter, one overlay of every
//! published network per region layer, the cached report per filter, and recomputing only
//! the regions a change touches. The use cases over it are in [`crate::reports`].

use crate::error::Error;
use crate::filter::NetworkFilter;
use crate::geography::{GeoState, SearchEntry};
use chrono::{DateTime, Utc};
use onconet_domain::{Lifecycle, NetworkType};
use onconet_spatial::RegionLayer;
use onconet_spatial::coverage::{CoverageOptions, CoverageReport, Overlay};
use onconet_spatial::packed::CompactArea;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use uuid::Uuid;

/// Which networks count: the filter (with coverage's defaults applied), minus the networks
/// left out for a what-if.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CoverageFilter {
    pub networks: NetworkFilter,
    /// Networks left out (what-if).
    pub exclude: Vec<Uuid>,
}

impl CoverageFilter {
    /// `networks` with coverage's defaults (oncology care networks, active), nothing left out.
    pub fn new(networks: NetworkFilter) -> Self {
        Self {
            networks: networks.or_coverage_defaults(),
            exclude: Vec::new(),
        }
    }

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
        self.networks.matches(t, l, disciplines, tumour_types) && !self.exclude.contains(&id)
    }

    fn key(&self, layer: &str) -> String {
        let mut exclude = self.exclude.clone();
        exclude.sort();
        let f = &self.networks;
        format!(
            "{layer}|{:?}|{:?}|{:?}|{:?}|{exclude:?}",
            f.types, f.disciplines, f.tumour_types, f.lifecycles
        )
    }
}

/// The networks a report is computed from: id → (version, area).
pub type Members = BTreeMap<Uuid, (i64, Arc<CompactArea>)>;

struct Cached {
    layer: Arc<RegionLayer>,
    /// The overlay the report was read from (`None`: a throw-away one, for `as_of`).
    overlay: Option<Arc<RwLock<Overlay<Uuid>>>>,
    /// Member ids and versions.
    members: BTreeMap<Uuid, i64>,
    /// The overlay's region generations when the report was made.
    generations: Vec<u64>,
    report: Arc<CoverageReport>,
    /// How many members reach a region of the layer (when it was asked for).
    reaching: Option<usize>,
}

/// A layer clipped to a ROS area, and the layers it was made from (it is current while both
/// are the layers the registry holds).
struct Clipped {
    base: Arc<RegionLayer>,
    areas: Arc<RegionLayer>,
    layer: Arc<RegionLayer>,
}

/// The coverage engine's state: one overlay of all published networks per region layer
/// (see `onconet_spatial::coverage`) and per layer clipped to a ROS area, the clipped
/// layers, and the last report per filter.
#[derive(Default)]
pub struct CoverageCache {
    overlays: Mutex<HashMap<String, Arc<RwLock<Overlay<Uuid>>>>>,
    /// Per overlay, held while its cells are computed and filed (not by readers): two syncs of
    /// the same change (the background task's and a report's) compute it once, and a report
    /// waits only for its own layer's.
    syncing: Mutex<HashMap<String, Arc<Mutex<()>>>>,
    /// By [`crate::reports::CoverageRequest::layer_key`].
    clipped: Mutex<HashMap<String, Clipped>>,
    entries: Mutex<HashMap<String, Arc<Cached>>>,
    /// The registry at past moments asked for (`as_of`), the most recently made last.
    past: Mutex<Vec<Arc<PastUniverse>>>,
    /// How many past moments were read from the revisions (the rest came from `past`).
    pub past_built: AtomicU64,
    /// Set when the process stops: overlays being computed are given up (see
    /// [`CoverageCache::stop`]).
    stopping: AtomicBool,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub partial: AtomicU64,
}

/// How a report was obtained (`hit`, `partial; regions=N`, `miss`: see [`CacheOutcome::label`]).
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
    pub fn label(&self) -> String {
        match self {
            CacheOutcome::Hit => "hit".into(),
            CacheOutcome::Partial { regions } => format!("partial; regions={regions}"),
            CacheOutcome::Miss => "miss".into(),
        }
    }
}

/// The current members of a filter, from the search index (published networks with an area).
pub fn current_members(geo: &GeoState, filter: &CoverageFilter) -> crate::Result<Members> {
    geo.with_search(|index| {
        index
            .entries()
            .filter(|e| filter.matches(e))
            .map(|e| (e.id, (e.version, e.area.clone())))
            .collect()
    })
}

/// Networks' areas by id.
pub type Areas = Vec<(Uuid, Arc<CompactArea>)>;

/// Every published network's area: what the overlays hold.
pub fn published_areas(geo: &GeoState) -> crate::Result<Areas> {
    geo.with_search(|index| index.entries().map(|e| (e.id, e.area.clone())).collect())
}

/// Which networks a report reads.
pub enum Universe {
    /// The registry now: the shared overlay of the layer, brought up to date with these areas
    /// (all published networks).
    Current(Areas),
    /// The registry at some past moment: the overlay of every network published then, kept
    /// with that moment ([`PastUniverse`]).
    Past(Arc<PastUniverse>),
}

/// A network as it was published at a past moment.
#[derive(Debug)]
pub struct PastNetwork {
    pub id: Uuid,
    pub version: i64,
    pub network_type: NetworkType,
    pub lifecycle: Lifecycle,
    pub disciplines: Vec<String>,
    pub tumour_types: Vec<String>,
    pub area: Arc<CompactArea>,
}

/// Every network published at a past moment, with its area derived once, and per region layer
/// the overlay of all of them, built on first use. The past does not change, so `as_of`
/// reports of any filter at the same moment share it; it is made again only when a region
/// layer the areas were derived from is imported again.
pub struct PastUniverse {
    pub at: DateTime<Utc>,
    /// The layers the areas were derived from (municipality, pc4), to tell when it is stale.
    derived_from: Vec<Option<Arc<RegionLayer>>>,
    pub networks: Vec<PastNetwork>,
    overlays: Mutex<HashMap<String, Arc<RwLock<Overlay<Uuid>>>>>,
}

impl PastUniverse {
    /// The networks among them that `filter` counts.
    pub fn members(&self, filter: &CoverageFilter) -> Members {
        self.networks
            .iter()
            .filter(|n| {
                filter.matches_parts(
                    n.id,
                    n.network_type,
                    n.lifecycle,
                    &n.disciplines,
                    &n.tumour_types,
                )
            })
            .map(|n| (n.id, (n.version, n.area.clone())))
            .collect()
    }

    /// The overlay of all of them over `layer` (kept under `name`).
    fn overlay(
        &self,
        name: &str,
        layer: &Arc<RegionLayer>,
    ) -> crate::Result<Arc<RwLock<Overlay<Uuid>>>> {
        let mut overlays = self.overlays.lock().map_err(|_| poisoned())?;
        if let Some(o) = overlays.get(name)
            && Arc::ptr_eq(o.read().map_err(|_| poisoned())?.layer(), layer)
        {
            return Ok(o.clone());
        }
        let started = std::time::Instant::now();
        let areas = self
            .networks
            .iter()
            .map(|n| (n.id, n.area.clone()))
            .collect();
        let overlay = Arc::new(RwLock::new(Overlay::build(layer.clone(), areas)));
        tracing::debug!(
            layer = name,
            at = %self.at,
            networks = self.networks.len(),
            ms = started.elapsed().as_secs_f64() * 1000.0,
            "past coverage overlay built"
        );
        overlays.insert(name.to_owned(), overlay.clone());
        Ok(overlay)
    }
}

/// How many past moments keep their universe (the least recently made goes first).
const PAST_KEPT: usize = 8;

/// The layers past areas are derived from.
fn derivation_layers(geo: &GeoState) -> Vec<Option<Arc<RegionLayer>>> {
    ["municipality", "pc4"]
        .iter()
        .map(|l| geo.layer(l))
        .collect()
}

fn same_layers(a: &[Option<Arc<RegionLayer>>], b: &[Option<Arc<RegionLayer>>]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| match (x, y) {
            (Some(x), Some(y)) => Arc::ptr_eq(x, y),
            (None, None) => true,
            _ => false,
        })
}

/// Layers whose overlays are kept ready from start-up, in this order (the cheap ones first; PC4,
/// about 4,000 regions, last): a first report on any of them finds its cells computed. Layers
/// clipped to a ROS area are built on first use.
const EAGER_LAYERS: [&str; 3] = ["municipality", "province", "pc4"];

fn poisoned() -> Error {
    Error::internal("coverage state poisoned")
}

impl CoverageCache {
    /// Gives up the overlays being computed, and any computed later, with
    /// [`Error::Unavailable`]: the process is stopping and must not wait for them.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Relaxed);
    }

    /// `base` clipped to ROS area `code` of `areas` (the `ros_area` layer), kept under `key`
    /// until either layer is replaced. `None` when `areas` has no such area.
    pub fn clipped_layer(
        &self,
        key: &str,
        base: &Arc<RegionLayer>,
        areas: &Arc<RegionLayer>,
        code: &str,
    ) -> crate::Result<Option<Arc<RegionLayer>>> {
        let current = |c: &Clipped| Arc::ptr_eq(&c.base, base) && Arc::ptr_eq(&c.areas, areas);
        if let Some(c) = self.clipped.lock().map_err(|_| poisoned())?.get(key)
            && current(c)
        {
            return Ok(Some(c.layer.clone()));
        }
        let Some(area) = areas.get(code) else {
            return Ok(None);
        };
        let started = std::time::Instant::now();
        let layer = Arc::new(onconet_spatial::clip::clip_layer(base, &area.area));
        tracing::debug!(
            key,
            regions = layer.len(),
            ms = started.elapsed().as_secs_f64() * 1000.0,
            "layer clipped to a ROS area"
        );
        self.clipped.lock().map_err(|_| poisoned())?.insert(
            key.to_owned(),
            Clipped {
                base: base.clone(),
                areas: areas.clone(),
                layer: layer.clone(),
            },
        );
        Ok(Some(layer))
    }

    /// Every overlay kept, by layer name, with how many cells (network × region) it holds.
    pub fn overlay_cells(&self) -> Vec<(String, usize)> {
        let Ok(overlays) = self.overlays.lock() else {
            return Vec::new();
        };
        overlays
            .iter()
            .map(|(name, o)| (name.clone(), o.read().map_or(0, |o| o.cell_count())))
            .collect()
    }

    /// The clipped layer kept under `key`, if it is still current for `geo`'s layers.
    fn current_clipped(&self, key: &str, geo: &GeoState) -> Option<Arc<RegionLayer>> {
        let clipped = self.clipped.lock().ok()?;
        let c = clipped.get(key)?;
        let base = geo.layer(key.split('@').next()?)?;
        let areas = geo.layer(crate::ROS_AREA)?;
        (Arc::ptr_eq(&c.base, &base) && Arc::ptr_eq(&c.areas, &areas)).then(|| c.layer.clone())
    }

    /// The overlay of `layer_name`, brought in line with `areas` (new or changed networks get
    /// their cells computed).
    pub fn overlay(
        &self,
        layer_name: &str,
        layer: &Arc<RegionLayer>,
        areas: Areas,
    ) -> crate::Result<Arc<RwLock<Overlay<Uuid>>>> {
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
        // Reports read the overlay: only when it lags behind the areas (the background task
        // has not caught up with a change yet) is it synced. The cells are computed without
        // the lock (an overlay of thousands of networks takes seconds to build), so that
        // readers (reports, /metrics) wait only for them to be filed.
        if overlay.read().map_err(|_| poisoned())?.in_step(&areas) {
            return Ok(overlay);
        }
        let turn = self
            .syncing
            .lock()
            .map_err(|_| poisoned())?
            .entry(layer_name.to_owned())
            .or_default()
            .clone();
        let _syncing = turn.lock().map_err(|_| poisoned())?;
        // Another sync may have brought it in step while this one waited.
        let (todo, layer) = {
            let current = overlay.read().map_err(|_| poisoned())?;
            (current.stale(&areas), current.layer().clone())
        };
        if todo.is_empty() && overlay.read().map_err(|_| poisoned())?.in_step(&areas) {
            return Ok(overlay);
        }
        let computed = Overlay::compute_unless(&layer, todo, &self.stopping)
            .ok_or_else(|| Error::Unavailable("the server is stopping".into()))?;
        let stats = overlay
            .write()
            .map_err(|_| poisoned())?
            .sync_computed(areas, computed);
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

    /// Brings the overlays of the municipality, province and PC4 layers, and of any other layer
    /// (or layer clipped to a ROS area) a report has used, in line with the published
    /// networks (at start-up and after each change, so that a report finds the cells ready).
    pub fn sync_all(&self, geo: &GeoState) -> crate::Result<()> {
        let used: BTreeSet<String> = self
            .overlays
            .lock()
            .map_err(|_| poisoned())?
            .keys()
            .cloned()
            .collect();
        let names: Vec<String> = EAGER_LAYERS
            .iter()
            .map(|s| (*s).to_owned())
            .chain(
                used.into_iter()
                    .filter(|n| !EAGER_LAYERS.contains(&n.as_str())),
            )
            .collect();
        let areas = published_areas(geo)?;
        for name in names {
            let layer = geo
                .layer(&name)
                .or_else(|| self.current_clipped(&name, geo));
            if let Some(layer) = layer.filter(|l| !l.is_empty()) {
                self.overlay(&name, &layer, areas.clone())?;
            }
        }
        Ok(())
    }

    /// The report of `members` over `layer`, from the cache when possible. After a change,
    /// only the regions whose cells changed, or that a network joining or leaving the filter
    /// overlaps, are recomputed. With `count_reaching`, also how many members reach a region
    /// of the layer (the networks of a report over a layer clipped to a ROS area).
    pub fn report(
        &self,
        key: &str,
        layer_name: &str,
        layer: Arc<RegionLayer>,
        members: Members,
        universe: Universe,
        count_reaching: bool,
    ) -> crate::Result<(Arc<CoverageReport>, CacheOutcome, Option<usize>)> {
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
            Universe::Past(past) => {
                if let Some(p) = &previous
                    && p.overlay.is_none()
                    && Arc::ptr_eq(&p.layer, &layer)
                    && p.members == versions
                    && (p.reaching.is_some() || !count_reaching)
                {
                    self.hits.fetch_add(1, Ordering::Relaxed);
                    return Ok((p.report.clone(), CacheOutcome::Hit, p.reaching));
                }
                (past.overlay(layer_name, &layer)?, false)
            }
        };
        let guard = overlay.read().map_err(|_| poisoned())?;
        let matches = |id: &Uuid| versions.contains_key(id);
        let generations = guard.generations().to_vec();
        let reaching = count_reaching.then(|| guard.reaching_count(&matches, &options));
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
                    return Ok((p.report.clone(), CacheOutcome::Hit, reaching));
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
                reaching,
            }),
        );
        Ok((report, outcome, reaching))
    }
}

/// The networks that `filter` counts among those published at `at`.
pub async fn members_as_of(
    pool: &onconet_db::DbPool,
    geo: &GeoState,
    cache: &CoverageCache,
    filter: &CoverageFilter,
    at: DateTime<Utc>,
) -> crate::Result<Members> {
    Ok(cache.past_universe(pool, geo, at).await?.members(filter))
}

impl CoverageCache {
    /// Every network published at `at` (its latest revision at or before then), with its area
    /// derived by today's region layers: from the cache when this moment was asked for
    /// before (and no layer was imported since), else read from the revisions and kept.
    pub async fn past_universe(
        &self,
        pool: &onconet_db::DbPool,
        geo: &GeoState,
        at: DateTime<Utc>,
    ) -> crate::Result<Arc<PastUniverse>> {
        let layers = derivation_layers(geo);
        if let Some(p) = self
            .past
            .lock()
            .map_err(|_| poisoned())?
            .iter()
            .find(|p| p.at == at && same_layers(&p.derived_from, &layers))
        {
            return Ok(p.clone());
        }
        let mut conn = onconet_db::pool::get(pool).await?;
        let revisions = onconet_db::revisions::latest_before(&mut conn, at).await?;
        drop(conn);
        let mut networks = Vec::new();
        for r in revisions {
            if r.state != "published" {
                continue;
            }
            let Ok(profile) = serde_json::from_value::<onconet_domain::NetworkProfile>(r.snapshot)
            else {
                continue;
            };
            if let Ok(Some(area)) = geo.derive_area(&profile.service_area, None) {
                networks.push(PastNetwork {
                    id: r.network_id,
                    version: r.version,
                    network_type: profile.network_type,
                    lifecycle: profile.lifecycle,
                    disciplines: profile.disciplines,
                    tumour_types: profile.tumour_types,
                    area: Arc::new(CompactArea::new(&area.union)),
                });
            }
        }
        self.past_built.fetch_add(1, Ordering::Relaxed);
        let universe = Arc::new(PastUniverse {
            at,
            derived_from: layers,
            networks,
            overlays: Mutex::default(),
        });
        // Kept only once `at` lies safely behind: a write's revision carries the time its
        // transaction began, so one that began before `at` may still be committing.
        if at + chrono::Duration::minutes(1) > Utc::now() {
            return Ok(universe);
        }
        let mut past = self.past.lock().map_err(|_| poisoned())?;
        past.retain(|p| p.at != at);
        if past.len() >= PAST_KEPT {
            past.remove(0);
        }
        past.push(universe.clone());
        Ok(universe)
    }
}

/// The cache key of a filter over a layer (and a point in time).
pub fn cache_key(filter: &CoverageFilter, layer: &str, as_of: Option<DateTime<Utc>>) -> String {
    format!("{}|{as_of:?}", filter.key(layer))
}

/// Unknown network ids in `exclude` are a client error.
pub async fn check_exclude(pool: &onconet_db::DbPool, exclude: &[Uuid]) -> crate::Result<()> {
    if exclude.is_empty() {
        return Ok(());
    }
    let mut conn = onconet_db::pool::get(pool).await?;
    let existing = onconet_db::networks::existing_ids(&mut conn, exclude).await?;
    match exclude.iter().find(|id| !existing.contains(id)) {
        Some(id) => Err(Error::NotFound(format!(
            "`exclude` names a network that does not exist: {id}"
        ))),
        None => Ok(()),
    }
}
