//! The coverage engine: which part of each region the matching networks cover, and what is
//! left (DESIGN §4).
//!
//! The engine keeps an **overlay** of every network's area with one region layer: for each
//! network and each region it overlaps, the *cell* `R ∩ A` (its geometry and geodesic area, or
//! just "all of R" when the network covers the whole region). The overlay does not depend on
//! any filter, so it is computed once per network and kept up to date as networks change
//! (only the changed network's cells are recomputed).
//!
//! A report for a filter then reads the overlay region by region:
//! - no matching cell: nothing covered, the gap is the whole region;
//! - a matching network covers all of R: `covered = area(R)`, no gap;
//! - otherwise `covered = area(⋃ matching cells)` — one small union inside the region,
//!   remembered per set of cells, so every filter that meets the same cells reuses it.
//!
//! This is the same quantity as `area(R ∩ U)` with U the national union of the matching areas
//! (`R ∩ ⋃Aᵢ = ⋃(R ∩ Aᵢ)`), without ever building U. Gap geometries (`R − ⋃ cells`, slivers
//! under [`CoverageOptions::sliver_km2`] dropped) are computed only when asked for.
//!
//! Areas are geodesic on the WGS84 ellipsoid ([`area_km2`]), measured on whole polygons (never
//! summed over pieces cut by straight lines, whose edges a geodesic measure would bend).

use crate::geodesy::{LocalScale, area_km2};
use crate::geojson_io::canonical;
use crate::packed::{Base, CompactArea, PackedArea};
use crate::regions::{Region, RegionLayer};
use crate::window::{Window, window};
use geo::{Area, BooleanOps, BoundingRect, Coord, MultiPolygon, Polygon, Rect};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Covered area below which a region counts as uncovered (1,000 m²: border slivers).
pub const NEGLIGIBLE_KM2: f64 = 0.001;
/// How far (degrees, about 10 cm) beyond a region's box an area's edge counts as near the
/// region (see [`crate::window`]).
const WINDOW_MARGIN: f64 = 1e-6;

/// A cell whose area falls short of its region's by at most this share (10 ppm) is the whole
/// region: the intersection of a region with an area made of that very region gives back the
/// same polygon, up to the boolean operation's integer grid and its dropping of points that are
/// collinear on that grid (measured on the densified CBS boundaries: up to 1.4 × 10⁻⁶). Only a
/// network leaving at most 10 ppm of a region uncovered (0.002 km² of Amsterdam) is rounded up.
pub(crate) const FULL_TOLERANCE: f64 = 1e-5;

/// Polygons of a cell smaller than this (km²; 1 m²) are dropped: the degenerate slivers an
/// intersection leaves along a shared border.
pub const DEGENERATE_KM2: f64 = 1e-6;

pub(crate) fn polygon_km2(p: &Polygon<f64>) -> f64 {
    area_km2(&MultiPolygon::new(vec![p.clone()]))
}

/// Polygons of a cell narrower than this on average (km; 1 cm) are dropped too: slivers along
/// a shared border where rounding to the stored grid moved a point of one side by a few mm.
const SLIVER_WIDTH_KM: f64 = 1e-5;

/// Whether a polygon of `km2` is a sliver: its mean width (twice its area over its perimeter)
/// is under [`SLIVER_WIDTH_KM`]. The perimeter is measured in the local flat frame at the
/// polygon ([`LocalScale`]), close enough for this.
fn is_sliver(p: &Polygon<f64>, km2: f64) -> bool {
    let ring = p.exterior();
    let Some(first) = ring.0.first() else {
        return true;
    };
    // km per degree of longitude and latitude at the polygon.
    let scale = LocalScale::at(first.y);
    let (kx, ky) = (scale.lon_factor * scale.km_per_degree, scale.km_per_degree);
    let perimeter: f64 = std::iter::once(ring)
        .chain(p.interiors())
        .flat_map(|r| r.lines())
        .map(|l| ((l.dx() * kx).powi(2) + (l.dy() * ky).powi(2)).sqrt())
        .sum();
    perimeter > 0.0 && 2.0 * km2 / perimeter < SLIVER_WIDTH_KM
}

/// Thresholds of the engine.
#[derive(Debug, Clone, Copy)]
pub struct CoverageOptions {
    /// Gap polygons smaller than this (km²) are dropped: slivers along shared borders.
    pub sliver_km2: f64,
    /// A network reaches a region when it covers at least this much of it (km²), or half of
    /// a region smaller than twice this.
    pub reach_km2: f64,
}

impl Default for CoverageOptions {
    fn default() -> Self {
        Self {
            sliver_km2: 0.001,
            reach_km2: 0.01,
        }
    }
}

/// The part of one region that one network's area covers.
#[derive(Debug)]
pub struct Cell {
    /// Unique within the process (keys the union memo).
    id: u64,
    /// Geodesic area of `R ∩ A`, km².
    pub area_km2: f64,
    /// `R ∩ A`, packed (the overlay holds hundreds of thousands); `None` when it is all of R.
    pub part: Option<PackedArea>,
}

impl Cell {
    pub fn is_full(&self) -> bool {
        self.part.is_none()
    }

    /// Whether both cells are the same part of their region (both all of it, or the same
    /// polygons).
    fn same_part(&self, other: &Cell) -> bool {
        self.part == other.part
    }
}

fn next_cell_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The cells of `area` in `layer`: for every region it overlaps by more than a boundary, the
/// region's index and `R ∩ A`. Pure; the expensive step of the engine (regions in parallel).
pub fn cells_of(layer: &RegionLayer, area: &MultiPolygon<f64>) -> Vec<(usize, Cell)> {
    let Some(bbox) = area.bounding_rect() else {
        return Vec::new();
    };
    let candidates = layer.regions_meeting(bbox);
    let area = &crate::window::in_pieces(area);
    candidates
        .into_par_iter()
        .filter_map(|i| {
            let region = &layer.regions()[i];
            // A region far from the area's border is in or out whole; one near it is
            // intersected with the area's polygons that come near it (see [`crate::window`]).
            let bbox = region.bbox?;
            let margin = Coord {
                x: WINDOW_MARGIN,
                y: WINDOW_MARGIN,
            };
            let near = Rect::new(bbox.min() - margin, bbox.max() + margin);
            let local = match window(area, near, region.interior) {
                Window::Outside => return None,
                Window::Inside => {
                    return Some((
                        i,
                        Cell {
                            id: next_cell_id(),
                            area_km2: region.area_km2,
                            part: None,
                        },
                    ));
                }
                Window::Crossing(local) => local,
            };
            // Rounded to the stored 7-decimal grid: vertices taken from the region or the area
            // get back their exact stored values (the boolean operation moves them by its
            // integer grid), so the cells of one region share their borders bit for bit and
            // unite cleanly; new crossing points move by at most 5 mm. Where the area only
            // runs along the region's border, the intersection holds degenerate polygons of
            // (next to) no area, or slivers a few mm wide: dropped, they would only slow down
            // the unions.
            let part = MultiPolygon::new(
                canonical(&region.area.intersection(&local))
                    .0
                    .into_iter()
                    .filter(|p| {
                        let km2 = polygon_km2(p);
                        km2 >= DEGENERATE_KM2 && !is_sliver(p, km2)
                    })
                    .collect(),
            );
            let km2 = area_km2(&part);
            if km2 <= 0.0 {
                return None;
            }
            // Whole or not by the area in degrees, the plane the boolean operation cuts in: a
            // geodesic area takes an edge for a geodesic, and cutting a long edge of the
            // region (a notch in it) moves its geodesic area by as much as the notch takes
            // (a 6.5 km edge at 51°N: some 4,000 m²).
            let planar = region.area.unsigned_area();
            let full = planar - part.unsigned_area() <= FULL_TOLERANCE * planar;
            let part = (!full).then(|| {
                let base = Base::new(&region.area);
                let packed = PackedArea::new(&part, &base);
                debug_assert!(packed.unpack(&base) == part, "packing lost a vertex");
                packed
            });
            Some((
                i,
                Cell {
                    id: next_cell_id(),
                    area_km2: km2.min(region.area_km2),
                    part,
                },
            ))
        })
        .collect()
}

/// Coverage of one region.
#[derive(Debug, Clone)]
pub struct RegionCoverage {
    pub code: String,
    pub name: String,
    pub population: Option<i64>,
    pub area_km2: f64,
    pub covered_km2: f64,
    /// `covered_km2 / area_km2`, 0–1.
    pub coverage: f64,
    /// `population × coverage` (people, not rounded).
    pub covered_population: Option<f64>,
    /// Matching networks that reach the region.
    pub networks: u32,
    /// What covers the region, for the gap geometry.
    cover: Cover,
}

#[derive(Debug, Clone)]
enum Cover {
    Nothing,
    All,
    Parts(Vec<Arc<Cell>>),
}

impl RegionCoverage {
    /// The uncovered part `R − U` of `region` (this report's region), without slivers.
    pub fn gap(&self, region: &Region, options: &CoverageOptions) -> MultiPolygon<f64> {
        match &self.cover {
            Cover::Nothing => region.area.clone(),
            Cover::All => MultiPolygon::new(vec![]),
            Cover::Parts(cells) => {
                let covered =
                    crate::area::union_of(unpacked(cells, region).iter().flat_map(|mp| &mp.0));
                MultiPolygon::new(
                    region
                        .area
                        .difference(&covered)
                        .0
                        .into_iter()
                        .filter(|p| polygon_km2(p) >= options.sliver_km2)
                        .collect(),
                )
            }
        }
    }
}

/// National totals of a report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CoverageSummary {
    pub regions: usize,
    pub area_km2: f64,
    pub covered_km2: f64,
    pub coverage: f64,
    pub population: i64,
    pub covered_population: f64,
    /// Regions with less than [`NEGLIGIBLE_KM2`] covered.
    pub uncovered_regions: usize,
    /// Regions with coverage ≥ 0.999.
    pub covered_regions: usize,
}

#[derive(Debug, Clone)]
pub struct CoverageReport {
    pub regions: Vec<RegionCoverage>,
    pub summary: CoverageSummary,
}

impl CoverageReport {
    /// Recomputes the national totals after regions changed.
    pub fn resummarise(&mut self) {
        self.summary = summarise(&self.regions);
    }
}

/// The geometry of partial cells of `region`.
fn unpacked(cells: &[Arc<Cell>], region: &Region) -> Vec<MultiPolygon<f64>> {
    let base = Base::new(&region.area);
    cells
        .iter()
        .filter_map(|c| c.part.as_ref().map(|p| p.unpack(&base)))
        .collect()
}

/// Whether a network's cell reaches its region: border slivers do not; covering the whole
/// region does, and so does half of a region smaller than the threshold (PC4 6421 is
/// 0.0056 km²).
fn reaches(cell: &Cell, region: &Region, options: &CoverageOptions) -> bool {
    cell.is_full() || cell.area_km2 >= options.reach_km2.min(region.area_km2 / 2.0)
}

/// A network's cell as the overlay holds it: a whole region needs no record of its own (at
/// 5,000 networks more than half of the 965,521 PC4 cells are whole).
#[derive(Debug, Clone)]
enum Held {
    Whole,
    Part(Arc<Cell>),
}

impl Held {
    /// `cell` as held: its geometry copied into memory of the calling thread. The cells are
    /// computed on every core, amid the boolean operations' far larger scratch memory, and
    /// kept where they were made they would hold on to the pages of all that scratch.
    fn of(cell: Cell) -> Self {
        if cell.is_full() {
            Held::Whole
        } else {
            Held::Part(Arc::new(Cell {
                part: cell.part.clone(),
                ..cell
            }))
        }
    }

    fn same_part(&self, cell: &Cell) -> bool {
        match self {
            Held::Whole => cell.is_full(),
            Held::Part(old) => old.same_part(cell),
        }
    }

    fn reaches(&self, region: &Region, options: &CoverageOptions) -> bool {
        match self {
            Held::Whole => true,
            Held::Part(cell) => reaches(cell, region, options),
        }
    }
}

/// A network's number in one overlay ([`Overlay::keys`]): its cells carry this instead of the
/// key, a quarter of a UUID's size (a PC4 overlay of 5,000 networks holds 965,157 cells).
type Slot = u32;

/// The cells of one region, sorted by slot (a sorted list takes a third of what a hash map
/// of a few hundred entries does, and regions are edited rarely).
#[derive(Debug)]
struct Cells(Vec<(Slot, Held)>);

impl Cells {
    fn get(&self, slot: Slot) -> Option<&Held> {
        self.0
            .binary_search_by_key(&slot, |(s, _)| *s)
            .ok()
            .map(|i| &self.0[i].1)
    }

    fn insert(&mut self, slot: Slot, held: Held) {
        match self.0.binary_search_by_key(&slot, |(s, _)| *s) {
            Ok(i) => self.0[i].1 = held,
            Err(i) => self.0.insert(i, (slot, held)),
        }
    }

    fn remove(&mut self, slot: Slot) {
        if let Ok(i) = self.0.binary_search_by_key(&slot, |(s, _)| *s) {
            self.0.remove(i);
        }
    }

    fn iter(&self) -> impl Iterator<Item = (Slot, &Held)> {
        self.0.iter().map(|(s, h)| (*s, h))
    }
}

/// Where one network lies in the overlay.
#[derive(Debug)]
struct Placed {
    slot: Slot,
    area: Arc<CompactArea>,
    /// The regions (indices) its area overlaps.
    regions: Vec<u32>,
}

/// Every network's cells in one region layer (see the module documentation).
#[derive(Debug)]
pub struct Overlay<K> {
    layer: Arc<RegionLayer>,
    networks: HashMap<K, Placed>,
    /// The network of each slot (`None`: a free slot, listed in `free`).
    keys: Vec<Option<K>>,
    free: Vec<Slot>,
    /// Per region: the cells of the networks overlapping it, by slot.
    cells: Vec<Cells>,
    /// Per region: bumped whenever one of its cells changes.
    generations: Vec<u64>,
    /// Covered km² of a region by a set of partial cells (ids sorted).
    unions: Mutex<HashMap<Vec<u64>, f64>>,
}

/// Networks' freshly computed cells (from [`Overlay::compute`], for [`Overlay::sync_computed`]).
pub struct Computed<K>(Vec<(K, Arc<CompactArea>, RegionCells)>);

/// A network's cells: (region index, cell) for every region its area overlaps.
type RegionCells = Vec<(usize, Cell)>;

/// What [`Overlay::sync`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SyncStats {
    /// Networks whose cells were (re)computed.
    pub computed: usize,
    /// Networks dropped.
    pub removed: usize,
}

/// What an overlay holds (see [`Overlay::cell_stats`]).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CellStats {
    pub full: usize,
    pub partial: usize,
    /// Bytes held for the partial cells' geometry.
    pub bytes: usize,
}

/// Beyond this many remembered unions the memo starts afresh.
const MAX_UNIONS: usize = 100_000;

impl<K: Copy + Eq + Hash + Ord + Send + Sync> Overlay<K> {
    pub fn new(layer: Arc<RegionLayer>) -> Self {
        let n = layer.len();
        Self {
            layer,
            networks: HashMap::new(),
            keys: Vec::new(),
            free: Vec::new(),
            cells: (0..n).map(|_| Cells(Vec::new())).collect(),
            generations: vec![0; n],
            unions: Mutex::new(HashMap::new()),
        }
    }

    /// An overlay of `areas` (computed in parallel).
    pub fn build(layer: Arc<RegionLayer>, areas: Vec<(K, Arc<CompactArea>)>) -> Self {
        let mut overlay = Self::new(layer);
        overlay.sync(areas);
        overlay
    }

    pub fn layer(&self) -> &Arc<RegionLayer> {
        &self.layer
    }

    /// Brings the overlay in line with `areas`: networks gone are dropped, new or changed ones
    /// get their cells computed (in parallel). The same as [`Overlay::stale`],
    /// [`Overlay::compute`] and [`Overlay::sync_computed`] in a row.
    pub fn sync(&mut self, areas: Vec<(K, Arc<CompactArea>)>) -> SyncStats {
        let computed = Self::compute(&self.layer, self.stale(&areas));
        self.sync_computed(areas, computed)
    }

    /// The networks of `areas` whose cells the overlay lacks or holds for another area.
    pub fn stale(&self, areas: &[(K, Arc<CompactArea>)]) -> Vec<(K, Arc<CompactArea>)> {
        areas
            .iter()
            .filter(|(k, area)| {
                self.networks
                    .get(k)
                    .is_none_or(|p| !Arc::ptr_eq(&p.area, area) && *p.area != **area)
            })
            .cloned()
            .collect()
    }

    /// The cells of `todo` in `layer`, computed in parallel. Pure: run it without holding the
    /// overlay's lock, then hand the result to [`Overlay::sync_computed`].
    pub fn compute(layer: &RegionLayer, todo: Vec<(K, Arc<CompactArea>)>) -> Computed<K> {
        Computed(
            todo.into_par_iter()
                .map(|(k, area)| {
                    let cells = cells_of(layer, &area.unpack());
                    (k, area, cells)
                })
                .collect(),
        )
    }

    /// [`Overlay::compute`], given up (`None`) once `stop` is set: no network's cells are
    /// begun after that, so a process that is stopping does not wait for a whole overlay (the
    /// PC4 overlay of 5,000 networks takes over a minute).
    pub fn compute_unless(
        layer: &RegionLayer,
        todo: Vec<(K, Arc<CompactArea>)>,
        stop: &AtomicBool,
    ) -> Option<Computed<K>> {
        todo.into_par_iter()
            .map(|(k, area)| {
                if stop.load(Ordering::Relaxed) {
                    return None;
                }
                let cells = cells_of(layer, &area.unpack());
                Some((k, area, cells))
            })
            .collect::<Option<Vec<_>>>()
            .map(Computed)
    }

    /// Brings the overlay in line with `areas`, taking the cells from `computed` where they were
    /// computed for the same area, and computing the others (a change that came after
    /// `computed` was made).
    pub fn sync_computed(
        &mut self,
        areas: Vec<(K, Arc<CompactArea>)>,
        computed: Computed<K>,
    ) -> SyncStats {
        let keep: HashSet<K> = areas.iter().map(|(k, _)| *k).collect();
        let gone: Vec<K> = self
            .networks
            .keys()
            .filter(|k| !keep.contains(k))
            .copied()
            .collect();
        let mut stats = SyncStats {
            removed: gone.len(),
            ..SyncStats::default()
        };
        for k in gone {
            self.remove(k);
        }
        let mut ready: HashMap<K, (Arc<CompactArea>, RegionCells)> = computed
            .0
            .into_iter()
            .map(|(k, area, cells)| (k, (area, cells)))
            .collect();
        let mut fresh = Vec::new();
        let mut todo = Vec::new();
        for (k, area) in areas {
            match self.networks.get_mut(&k) {
                Some(p) if Arc::ptr_eq(&p.area, &area) => {}
                Some(p) if *p.area == *area => p.area = area,
                _ => match ready.remove(&k) {
                    Some((a, cells)) if Arc::ptr_eq(&a, &area) || *a == *area => {
                        fresh.push((k, area, cells));
                    }
                    _ => todo.push((k, area)),
                },
            }
        }
        fresh.extend(Self::compute(&self.layer, todo).0);
        stats.computed = fresh.len();
        for (k, area, cells) in fresh {
            let (slot, before) = match self.networks.remove(&k) {
                Some(p) => (p.slot, p.regions.into_iter().collect()),
                None => (self.take_slot(k), HashSet::new()),
            };
            let mut regions = Vec::with_capacity(cells.len());
            for (i, cell) in cells {
                regions.push(i as u32);
                // A region the change left alone keeps its cell, and with it the unions
                // remembered for it and its generation (its reports stay valid).
                if self.cells[i]
                    .get(slot)
                    .is_some_and(|old| old.same_part(&cell))
                {
                    continue;
                }
                self.cells[i].insert(slot, Held::of(cell));
                self.generations[i] += 1;
            }
            let now: HashSet<u32> = regions.iter().copied().collect();
            for &i in before.difference(&now) {
                self.cells[i as usize].remove(slot);
                self.generations[i as usize] += 1;
            }
            self.networks.insert(
                k,
                Placed {
                    slot,
                    area,
                    regions,
                },
            );
        }
        for cells in &mut self.cells {
            if cells.0.capacity() > cells.0.len() + cells.0.len() / 8 + 4 {
                cells.0.shrink_to_fit();
            }
        }
        if let Ok(mut unions) = self.unions.lock()
            && unions.len() > MAX_UNIONS
        {
            unions.clear();
        }
        stats
    }

    /// Whether the overlay holds exactly `areas` (the same objects, as `sync` leaves them), so
    /// that [`Overlay::sync`] would change nothing: a reader can tell without the write lock.
    pub fn in_step(&self, areas: &[(K, Arc<CompactArea>)]) -> bool {
        areas.len() == self.networks.len()
            && areas.iter().all(|(k, area)| {
                self.networks
                    .get(k)
                    .is_some_and(|p| Arc::ptr_eq(&p.area, area))
            })
    }

    fn remove(&mut self, k: K) {
        if let Some(placed) = self.networks.remove(&k) {
            for i in placed.regions {
                self.cells[i as usize].remove(placed.slot);
                self.generations[i as usize] += 1;
            }
            self.keys[placed.slot as usize] = None;
            self.free.push(placed.slot);
        }
    }

    /// A free slot, now `k`'s.
    fn take_slot(&mut self, k: K) -> Slot {
        match self.free.pop() {
            Some(slot) => {
                self.keys[slot as usize] = Some(k);
                slot
            }
            None => {
                self.keys.push(Some(k));
                Slot::try_from(self.keys.len() - 1).unwrap_or(Slot::MAX)
            }
        }
    }

    /// The key of a slot (every slot that holds cells has one).
    fn key(&self, slot: Slot) -> Option<&K> {
        self.keys.get(slot as usize).and_then(Option::as_ref)
    }

    /// The cells of region `i` with their networks' keys.
    fn keyed(&self, i: usize) -> impl Iterator<Item = (&K, &Held)> {
        self.cells[i]
            .iter()
            .filter_map(|(slot, held)| Some((self.key(slot)?, held)))
    }

    /// The regions (indices) `k`'s area overlaps.
    pub fn regions_of(&self, k: &K) -> impl Iterator<Item = usize> + '_ {
        self.networks
            .get(k)
            .into_iter()
            .flat_map(|p| p.regions.iter().map(|&i| i as usize))
    }

    /// Per region, a number that changes whenever the region's cells change.
    pub fn generations(&self) -> &[u64] {
        &self.generations
    }

    /// The cells of region `i`, by key: the km² each covers and whether that is all of it.
    pub fn cells_in(&self, i: usize) -> Vec<(K, f64, bool)> {
        let whole = self.layer.regions()[i].area_km2;
        self.keyed(i)
            .map(|(k, held)| match held {
                Held::Whole => (*k, whole, true),
                Held::Part(cell) => (*k, cell.area_km2, false),
            })
            .collect()
    }

    /// How many of the networks `matches` accepts reach at least one region of the layer (by
    /// the rule that counts a region's `networks`): the networks of a report over a layer
    /// clipped to an area.
    pub fn reaching_count(
        &self,
        matches: &(impl Fn(&K) -> bool + Sync),
        options: &CoverageOptions,
    ) -> usize {
        let regions = self.layer.regions();
        let reaching: HashSet<&K> = regions
            .iter()
            .enumerate()
            .flat_map(|(i, region)| {
                self.keyed(i)
                    .filter(|(k, held)| matches(k) && held.reaches(region, options))
                    .map(|(k, _)| k)
            })
            .collect();
        reaching.len()
    }

    /// What the overlay holds: whole and partial cells, and the size of the partial ones.
    pub fn cell_stats(&self) -> CellStats {
        let mut stats = CellStats::default();
        for (_, held) in self.cells.iter().flat_map(Cells::iter) {
            match held {
                Held::Whole => stats.full += 1,
                Held::Part(cell) => {
                    stats.partial += 1;
                    stats.bytes += cell.part.as_ref().map_or(0, PackedArea::heap_bytes);
                }
            }
        }
        stats
    }

    /// Number of cells (network × region overlaps) held.
    pub fn cell_count(&self) -> usize {
        self.cells.iter().map(|c| c.0.len()).sum()
    }

    /// Coverage of region `i` by the networks `matches` accepts.
    pub fn region(
        &self,
        i: usize,
        matches: &(impl Fn(&K) -> bool + Sync),
        options: &CoverageOptions,
    ) -> RegionCoverage {
        let region = &self.layer.regions()[i];
        let mut networks = 0u32;
        let mut full = false;
        let mut parts: Vec<Arc<Cell>> = Vec::new();
        for (k, held) in self.keyed(i) {
            if !matches(k) {
                continue;
            }
            if held.reaches(region, options) {
                networks += 1;
            }
            match held {
                Held::Whole => full = true,
                Held::Part(cell) if !full => parts.push(cell.clone()),
                Held::Part(_) => {}
            }
        }
        let (covered_km2, cover) = if full {
            (region.area_km2, Cover::All)
        } else if parts.is_empty() {
            (0.0, Cover::Nothing)
        } else {
            parts.sort_by_key(|c| c.id);
            let km2 = match parts.as_slice() {
                [one] => one.area_km2,
                _ => self.union_km2(region, &parts),
            };
            (km2.min(region.area_km2), Cover::Parts(parts))
        };
        let (covered_km2, cover) = if covered_km2 < NEGLIGIBLE_KM2 {
            // Only border slivers: the region is not covered.
            (0.0, Cover::Nothing)
        } else {
            (covered_km2, cover)
        };
        let coverage = if region.area_km2 > 0.0 {
            (covered_km2 / region.area_km2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        RegionCoverage {
            code: region.code.clone(),
            name: region.name.clone(),
            population: region.population,
            area_km2: region.area_km2,
            covered_km2,
            coverage,
            covered_population: region.population.map(|p| p as f64 * coverage),
            networks,
            cover,
        }
    }

    /// The networks `matches` accepts that reach region `i` (by the rule that counts
    /// [`RegionCoverage::networks`]), in key order.
    pub fn reaching(
        &self,
        i: usize,
        matches: &impl Fn(&K) -> bool,
        options: &CoverageOptions,
    ) -> Vec<K> {
        let Some(region) = self.layer.regions().get(i) else {
            return Vec::new();
        };
        let mut keys: Vec<K> = self
            .keyed(i)
            .filter(|(k, held)| matches(k) && held.reaches(region, options))
            .map(|(k, _)| *k)
            .collect();
        keys.sort_unstable();
        keys
    }

    /// Area of the union of several partial cells (sorted by id), remembered.
    fn union_km2(&self, region: &Region, parts: &[Arc<Cell>]) -> f64 {
        let key: Vec<u64> = parts.iter().map(|c| c.id).collect();
        if let Some(km2) = self.unions.lock().ok().and_then(|u| u.get(&key).copied()) {
            return km2;
        }
        let km2 = area_km2(&crate::area::union_of(
            unpacked(parts, region).iter().flat_map(|mp| &mp.0),
        ));
        UNIONS_COMPUTED.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut u) = self.unions.lock() {
            u.insert(key, km2);
        }
        km2
    }

    /// The coverage of every region by the networks `matches` accepts, computed in parallel,
    /// with national totals.
    pub fn report(
        &self,
        matches: &(impl Fn(&K) -> bool + Sync),
        options: &CoverageOptions,
    ) -> CoverageReport {
        let regions: Vec<RegionCoverage> = (0..self.layer.len())
            .into_par_iter()
            .map(|i| self.region(i, matches, options))
            .collect();
        let summary = summarise(&regions);
        CoverageReport { regions, summary }
    }
}

/// Unions computed by all overlays since the start (a metric).
pub static UNIONS_COMPUTED: AtomicUsize = AtomicUsize::new(0);

/// National totals over per-region results.
pub fn summarise(regions: &[RegionCoverage]) -> CoverageSummary {
    let area_km2: f64 = regions.iter().map(|r| r.area_km2).sum();
    let covered_km2: f64 = regions.iter().map(|r| r.covered_km2).sum();
    CoverageSummary {
        regions: regions.len(),
        area_km2,
        covered_km2,
        coverage: if area_km2 > 0.0 {
            covered_km2 / area_km2
        } else {
            0.0
        },
        population: regions.iter().filter_map(|r| r.population).sum(),
        covered_population: regions.iter().filter_map(|r| r.covered_population).sum(),
        uncovered_regions: regions
            .iter()
            .filter(|r| r.covered_km2 < NEGLIGIBLE_KM2)
            .count(),
        covered_regions: regions.iter().filter(|r| r.coverage >= 0.999).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::LineString;

    fn shared(area: MultiPolygon<f64>) -> Arc<CompactArea> {
        Arc::new(CompactArea::new(&area))
    }

    fn square(x: f64, y: f64, d: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![Rect::new((x, y), (x + d, y + d)).to_polygon()])
    }

    /// Three municipalities in a row, 0.1° wide.
    fn layer() -> Arc<RegionLayer> {
        Arc::new(RegionLayer::new(vec![
            Region::new(
                "GM0001".into(),
                "West".into(),
                Some(1000),
                square(5.0, 52.0, 0.1),
            ),
            Region::new(
                "GM0002".into(),
                "Midden".into(),
                Some(2000),
                square(5.1, 52.0, 0.1),
            ),
            Region::new(
                "GM0003".into(),
                "Oost".into(),
                Some(3000),
                square(5.2, 52.0, 0.1),
            ),
        ]))
    }

    fn report(areas: Vec<(u32, MultiPolygon<f64>)>) -> (Arc<RegionLayer>, CoverageReport) {
        let layer = layer();
        let overlay = Overlay::build(
            layer.clone(),
            areas.into_iter().map(|(k, a)| (k, shared(a))).collect(),
        );
        let report = overlay.report(&|_| true, &CoverageOptions::default());
        (layer, report)
    }

    fn by_code<'a>(report: &'a CoverageReport, code: &str) -> &'a RegionCoverage {
        report
            .regions
            .iter()
            .find(|r| r.code == code)
            .unwrap_or_else(|| panic!("{code}"))
    }

    fn gap_km2(layer: &RegionLayer, r: &RegionCoverage) -> f64 {
        let region = layer.get(&r.code).unwrap_or_else(|| panic!("{}", r.code));
        area_km2(&r.gap(region, &CoverageOptions::default()))
    }

    #[test]
    fn one_network_on_exactly_one_region() {
        let (layer, report) = report(vec![(1, square(5.1, 52.0, 0.1))]);
        let mid = by_code(&report, "GM0002");
        assert_eq!(mid.coverage, 1.0);
        assert_eq!(mid.networks, 1);
        assert_eq!(gap_km2(&layer, mid), 0.0);
        assert!((mid.covered_population.unwrap_or_default() - 2000.0).abs() < 1e-9);
        for neighbour in ["GM0001", "GM0003"] {
            let n = by_code(&report, neighbour);
            assert_eq!(n.coverage, 0.0, "{neighbour}");
            assert_eq!(n.networks, 0, "{neighbour}: bordering is not reaching");
            assert!((gap_km2(&layer, n) / n.area_km2 - 1.0).abs() < 1e-9);
        }
        assert_eq!(report.summary.uncovered_regions, 2);
        assert_eq!(report.summary.covered_regions, 1);
        assert!((report.summary.covered_population - 2000.0).abs() < 1e-9);
    }

    #[test]
    fn overlapping_networks_are_not_counted_twice() {
        let (layer, report) = report(vec![
            (1, square(5.0, 52.0, 0.06)),
            (2, square(5.04, 52.0, 0.06)),
        ]);
        let west = by_code(&report, "GM0001");
        assert_eq!(west.networks, 2);
        // Together they cover 0.1° × 0.06°: 60 % of the region, not 72 %.
        assert!((west.coverage - 0.6).abs() < 0.002, "{}", west.coverage);
        assert!((west.covered_km2 + gap_km2(&layer, west) - west.area_km2).abs() < 1e-6);
        // The second network ends on the middle region's border: it does not reach it.
        let mid = by_code(&report, "GM0002");
        assert_eq!(mid.networks, 0);
        assert_eq!(mid.coverage, 0.0);
    }

    #[test]
    fn networks_reaching_any_region_are_counted_once() {
        let overlay = Overlay::build(
            layer(),
            vec![
                // Across two regions: one network.
                (1, shared(square(5.05, 52.0, 0.1))),
                // On the east region's outer border only: none.
                (2, shared(square(5.3, 52.0, 0.1))),
                (3, shared(square(5.2, 52.0, 0.05))),
            ],
        );
        let options = CoverageOptions::default();
        assert_eq!(overlay.reaching_count(&|_| true, &options), 2);
        assert_eq!(overlay.reaching_count(&|k| *k != 3, &options), 1);
        assert_eq!(overlay.reaching_count(&|_| false, &options), 0);
    }

    #[test]
    fn a_computation_is_given_up_once_told_to_stop() {
        let layer = RegionLayer::new(
            (0..4)
                .map(|i| {
                    let x = 5.0 + f64::from(i) * 0.1;
                    Region::new(format!("R{i}"), format!("R{i}"), None, square(x, 52.0, 0.1))
                })
                .collect(),
        );
        let todo: Vec<(u32, Arc<CompactArea>)> = (0..8)
            .map(|k| (k, shared(square(5.05 + f64::from(k) * 0.02, 52.02, 0.05))))
            .collect();
        let stop = AtomicBool::new(false);
        let whole = Overlay::compute(&layer, todo.clone());
        let unless = Overlay::compute_unless(&layer, todo.clone(), &stop).map(|c| c.0.len());
        assert_eq!(unless, Some(whole.0.len()));
        stop.store(true, Ordering::Relaxed);
        assert!(Overlay::compute_unless(&layer, todo, &stop).is_none());
    }

    #[test]
    fn cells_are_the_direct_intersections() {
        // A 2,000-vertex circle (cut into pieces) over a 12 × 12 grid of small squares: every
        // square inside it is a whole cell, every square outside has none, and every square on
        // its border has the cell the plain intersection gives.
        let area = MultiPolygon::new(vec![crate::geodesy::circle(52.05, 5.05, 3.0, 2000)]);
        let regions: Vec<Region> = (0..144)
            .map(|i| {
                let (x, y) = (5.0 + (i % 12) as f64 * 0.01, 52.0 + (i / 12) as f64 * 0.01);
                Region::new(format!("R{i}"), format!("R{i}"), None, square(x, y, 0.01))
            })
            .collect();
        let layer = RegionLayer::new(regions);
        let cells: HashMap<usize, Cell> = cells_of(&layer, &area).into_iter().collect();
        let (mut whole, mut part) = (0, 0);
        for (i, region) in layer.regions().iter().enumerate() {
            let direct = area_km2(&region.area.intersection(&area));
            match cells.get(&i) {
                None => assert!(direct < 1e-9, "R{i}: no cell, but {direct} km² covered"),
                Some(cell) if cell.is_full() => {
                    whole += 1;
                    assert!(
                        (direct - region.area_km2).abs() < 1e-6,
                        "R{i}: whole, but {direct} of {} km²",
                        region.area_km2
                    );
                }
                Some(cell) => {
                    part += 1;
                    assert!(
                        (cell.area_km2 - direct).abs() < 1e-6,
                        "R{i}: {} km², directly {direct}",
                        cell.area_km2
                    );
                }
            }
        }
        assert!(whole > 10 && part > 10, "{whole} whole, {part} partial");
    }

    #[test]
    fn slivers_along_a_border_are_not_cells() {
        // 1 km long: 5 mm wide is a sliver, 1 m wide is not.
        let strip = |w_deg: f64| {
            Polygon::new(
                LineString::from(vec![
                    (5.0, 52.0),
                    (5.0147, 52.0),
                    (5.0147, 52.0 + w_deg),
                    (5.0, 52.0 + w_deg),
                    (5.0, 52.0),
                ]),
                vec![],
            )
        };
        let thin = strip(5e-3 / 110_570.0);
        let wide = strip(1.0 / 110_570.0);
        assert!(is_sliver(&thin, polygon_km2(&thin)));
        assert!(!is_sliver(&wide, polygon_km2(&wide)));
    }

    #[test]
    fn cells_add_up_to_the_whole_area() {
        // A fine-grained circle of 2,000 vertices over the middle and the east region: its
        // cells add up to the area measured whole.
        let big = crate::geodesy::circle(52.05, 5.2, 4.0, 2000);
        let small = crate::geodesy::circle(52.05, 5.2, 4.0, 200);
        let (_, fine) = report(vec![(1, MultiPolygon::new(vec![big.clone()]))]);
        let whole_km2 = area_km2(&MultiPolygon::new(vec![big]));
        let covered: f64 = fine.regions.iter().map(|r| r.covered_km2).sum();
        assert!(
            (covered - whole_km2).abs() < 1e-6,
            "{covered} vs {whole_km2}"
        );
        let (_, coarse) = report(vec![(1, MultiPolygon::new(vec![small]))]);
        assert!((coarse.summary.covered_km2 - covered).abs() / covered < 1e-3);
    }

    #[test]
    fn filters_and_what_if() {
        let layer = layer();
        let overlay = Overlay::build(
            layer.clone(),
            vec![
                (1u32, shared(square(5.0, 52.0, 0.1))),
                (2, shared(square(5.1, 52.0, 0.1))),
            ],
        );
        let options = CoverageOptions::default();
        let all = overlay.report(&|_| true, &options);
        let without_2 = overlay.report(&|k| *k != 2, &options);
        assert_eq!(by_code(&all, "GM0002").coverage, 1.0);
        assert_eq!(by_code(&without_2, "GM0002").coverage, 0.0);
        assert_eq!(by_code(&without_2, "GM0001").coverage, 1.0);
        // Who reaches a region follows the same filter; bordering is not reaching.
        assert_eq!(overlay.reaching(1, &|_| true, &options), vec![2]);
        assert!(overlay.reaching(1, &|k| *k != 2, &options).is_empty());
        assert_eq!(overlay.reaching(0, &|_| true, &options), vec![1]);
        assert!(overlay.reaching(9, &|_| true, &options).is_empty());
    }

    #[test]
    fn sync_recomputes_only_what_changed() {
        let layer = layer();
        let a = shared(square(5.0, 52.0, 0.05));
        let mut overlay = Overlay::build(
            layer.clone(),
            vec![(1u32, a.clone()), (2, shared(square(5.2, 52.0, 0.1)))],
        );
        let before = overlay.generations().to_vec();
        // The same geometry as a new object: nothing to compute, and afterwards a reader sees
        // the overlay in step with those objects.
        let same = vec![
            (1, Arc::new((*a).clone())),
            (2, shared(square(5.2, 52.0, 0.1))),
        ];
        assert!(!overlay.in_step(&same));
        let stats = overlay.sync(same.clone());
        assert_eq!(stats, SyncStats::default());
        assert_eq!(overlay.generations(), before.as_slice());
        assert!(overlay.in_step(&same));
        assert!(!overlay.in_step(&same[..1]));
        // Network 1 grows into the middle region; network 2 goes.
        let stats = overlay.sync(vec![(1, shared(square(5.0, 52.0, 0.15)))]);
        assert_eq!(
            stats,
            SyncStats {
                computed: 1,
                removed: 1
            }
        );
        assert_eq!(overlay.regions_of(&1).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(overlay.regions_of(&2).count(), 0);
        let report = overlay.report(&|_| true, &CoverageOptions::default());
        assert_eq!(by_code(&report, "GM0001").coverage, 1.0);
        assert!((by_code(&report, "GM0002").coverage - 0.5).abs() < 0.002);
        assert_eq!(by_code(&report, "GM0003").coverage, 0.0);
    }

    #[test]
    fn a_network_that_comes_after_one_that_went_gets_its_own_cells() {
        let layer = layer();
        let options = CoverageOptions::default();
        // 30 covers the west region, 20 half of the middle one; 30 goes and 10 comes (and
        // takes the place 30 had inside the overlay), covering the east region.
        let mut overlay = Overlay::build(
            layer.clone(),
            vec![
                (30u32, shared(square(5.0, 52.0, 0.1))),
                (20, shared(square(5.1, 52.0, 0.05))),
            ],
        );
        overlay.sync(vec![
            (20, shared(square(5.1, 52.0, 0.05))),
            (10, shared(square(5.2, 52.0, 0.1))),
        ]);
        assert_eq!(overlay.cell_count(), 2);
        assert!(overlay.cells_in(0).is_empty());
        let middle = overlay.cells_in(1);
        assert_eq!(middle.len(), 1);
        assert_eq!((middle[0].0, middle[0].2), (20, false));
        assert_eq!(overlay.cells_in(2).len(), 1);
        assert_eq!(
            (overlay.cells_in(2)[0].0, overlay.cells_in(2)[0].2),
            (10, true)
        );
        assert_eq!(overlay.regions_of(&10).collect::<Vec<_>>(), [2]);
        assert_eq!(overlay.regions_of(&30).count(), 0);
        let report = overlay.report(&|k| *k != 20, &options);
        assert_eq!(by_code(&report, "GM0001").coverage, 0.0);
        assert_eq!(by_code(&report, "GM0002").coverage, 0.0);
        assert_eq!(by_code(&report, "GM0003").coverage, 1.0);
        // Both reach the middle and east regions when they overlap them, listed by key.
        overlay.sync(vec![
            (20, shared(square(5.1, 52.0, 0.15))),
            (10, shared(square(5.1, 52.0, 0.2))),
        ]);
        assert_eq!(overlay.reaching(1, &|_| true, &options), vec![10, 20]);
        assert_eq!(overlay.reaching(2, &|_| true, &options), vec![10, 20]);
        assert_eq!(overlay.reaching_count(&|k| *k == 10, &options), 1);
    }

    #[test]
    fn a_change_leaves_the_regions_it_did_not_touch_alone() {
        let layer = layer();
        // Half of the west region, all of the middle one.
        let mut overlay = Overlay::build(
            layer.clone(),
            vec![
                (1u32, shared(square(5.05, 52.0, 0.15))),
                (2, shared(square(5.0, 52.0, 0.07))),
            ],
        );
        let options = CoverageOptions::default();
        let west = by_code(&overlay.report(&|_| true, &options), "GM0001").covered_km2;
        let before = overlay.generations().to_vec();
        // Network 1 grows into the east region: the west and middle cells are as they were.
        overlay.sync(vec![
            (1, shared(square(5.05, 52.0, 0.2))),
            (2, shared(square(5.0, 52.0, 0.07))),
        ]);
        let after = overlay.generations();
        assert_eq!(after[..2], before[..2]);
        assert!(after[2] > before[2]);
        // The west region's union is still remembered: reading it again unites nothing (other
        // tests may run unions meanwhile, so only this overlay's memo is checked).
        assert_eq!(overlay.unions.lock().map(|u| u.len()).unwrap_or(0), 1);
        let report = overlay.report(&|_| true, &options);
        assert_eq!(by_code(&report, "GM0001").covered_km2, west);
        assert_eq!(overlay.unions.lock().map(|u| u.len()).unwrap_or(0), 1);
        // Shrinking back out of the east region touches only that region.
        overlay.sync(vec![
            (1, shared(square(5.05, 52.0, 0.15))),
            (2, shared(square(5.0, 52.0, 0.07))),
        ]);
        assert_eq!(overlay.generations()[..2], before[..2]);
        assert_eq!(overlay.regions_of(&1).collect::<Vec<_>>(), [0, 1]);
        assert!(overlay.cells_in(2).is_empty());
    }

    #[test]
    fn no_networks_is_all_gap() {
        let (layer, report) = report(vec![]);
        assert!(
            report
                .regions
                .iter()
                .all(|r| r.coverage == 0.0 && r.networks == 0)
        );
        assert!(
            report
                .regions
                .iter()
                .all(|r| (gap_km2(&layer, r) - r.area_km2).abs() < 1e-9)
        );
        assert_eq!(report.summary.uncovered_regions, 3);
        assert_eq!(report.summary.population, 6000);
        assert_eq!(report.summary.covered_population, 0.0);
    }

    #[test]
    fn a_notch_in_a_long_edge_keeps_the_cell_partial() {
        // A 6.5 km wide region and an area that covers it but for a notch of about 3,400 m²
        // cut into its southern edge: splitting that edge moves the region's geodesic area by
        // almost as much as the notch takes, so the notch must be seen in the plane.
        let region = MultiPolygon::new(vec![
            Rect::new((3.5234, 51.0520), (3.6167, 51.0915)).to_polygon(),
        ]);
        let layer = RegionLayer::new(vec![Region::new(
            "R".into(),
            "R".into(),
            None,
            region.clone(),
        )]);
        let notch = MultiPolygon::new(vec![Polygon::new(
            LineString::from(vec![
                (3.5593, 51.0510),
                (3.5612, 51.0510),
                (3.5607, 51.0529),
                (3.5593, 51.0510),
            ]),
            vec![],
        )]);
        let area = square(3.4, 50.9, 0.4).difference(&notch);
        let cells = cells_of(&layer, &area);
        assert_eq!(cells.len(), 1);
        let taken = region.unsigned_area() - region.intersection(&area).unsigned_area();
        assert!(
            taken > 3e-7,
            "the notch reaches into the region: {taken} deg²"
        );
        let part = cells[0]
            .1
            .part
            .as_ref()
            .expect("not whole: the notch is missing");
        let part = part.unpack(&Base::new(&region));
        assert!((region.unsigned_area() - part.unsigned_area() - taken).abs() < 1e-9);
    }

    #[test]
    fn a_network_covering_a_tiny_region_reaches_it() {
        // 0.0005° square at 52°N: about 0.002 km², under the 0.01 km² that border slivers need.
        let tiny = Arc::new(RegionLayer::new(vec![Region::new(
            "6421".into(),
            "Klein".into(),
            Some(15),
            square(5.0, 52.0, 0.0005),
        )]));
        let overlay = Overlay::build(tiny.clone(), vec![(1, shared(square(4.99, 51.99, 0.02)))]);
        let report = overlay.report(&|_| true, &CoverageOptions::default());
        let r = by_code(&report, "6421");
        assert!(
            r.area_km2 < CoverageOptions::default().reach_km2,
            "{}",
            r.area_km2
        );
        assert_eq!((r.coverage, r.networks), (1.0, 1));
        // A sliver of it is still no reach.
        let edge = Overlay::build(tiny, vec![(1, shared(square(5.00049, 52.0, 0.02)))]);
        let r = edge.report(&|_| true, &CoverageOptions::default()).regions[0].clone();
        assert_eq!(r.networks, 0, "{}", r.covered_km2);
    }

    #[test]
    fn slivers_are_dropped_from_gaps() {
        // Covers the middle region but for a 7 cm strip: coverage ~1, no gap polygon left.
        let almost = MultiPolygon::new(vec![Rect::new((5.1, 52.0), (5.199999, 52.1)).to_polygon()]);
        let (layer, report) = report(vec![(1, almost)]);
        let mid = by_code(&report, "GM0002");
        assert!(mid.coverage > 0.999);
        assert_eq!(gap_km2(&layer, mid), 0.0);
    }
}
