//! "Which areas cover this place, and which lie near it, nearest first": the index behind
//! `/v1/search`, and behind each region layer's lookups by point.
//!
//! One structure answers both questions, "which areas cover the point" and "which lie near
//! it": a uniform grid of *boundary chunks*. Every ring is cut into runs of at most
//! [`CHUNK_SEGMENTS`] consecutive edges, no wider or taller than a grid cell (long edges are
//! cut by points on them, which changes no distance), and each chunk belongs to the [`Grid`]
//! cell of its box's centre. The chunks of one area in one cell are filed there as one compact
//! record: their joint box, a vertex and where the chunks are. A query reads the records of the
//! cells around the place in order instead of chasing R-tree nodes through memory.
//!
//! Point in area: each cell of a grid [`CORNERS`] times finer lists the areas that hold its
//! low corner, and a point takes the answer of the corner nearest it, flipped by every edge of
//! the area that the way from the corner to the point crosses; a point on an edge is in
//! ([`inside`]: exact, boundary included). Those edges lie in the chunks of the point's cell
//! and its eight neighbours (a chunk reaches at most half a cell beyond the cell of its
//! centre), so no second copy of the areas is kept for it.
//!
//! Outside an area, the distance to it is the distance to its boundary, and every record gives
//! two cheap bounds: the distance to its box (lower), and to its vertex or, because the chunks
//! touch all four sides of their joint box, the nearest of the sides' farther ends (upper).
//! A query needs exact distances only where the bounds cannot decide: for the areas that can
//! rank within the requested page, and for the areas whose bounds straddle the radius (there
//! the first chunk found within the radius decides). The others are counted from their bounds
//! alone. So a page of 20 among 150 networks within 25 km costs a few dozen exact chunk
//! distances. Radius 0 asks for the covering areas alone: the grid is not read.
//!
//! Distances are measured in a local equirectangular frame around the query point, scaled to
//! the WGS84 ellipsoid there ([`LocalScale`]: a degree of longitude is `N cos φ / M` degrees of
//! latitude, one of latitude `M` km in radians). Against geodesics this is within 0.10 % at
//! 25 km and 0.41 % at 100 km across the Netherlands, where the sphere used before was 0.38 %
//! and 0.66 % off (`geodesy::tests::the_local_frame_agrees_with_geodesics`). Boxes, vertices and edges are
//! measured in the same frame, so the bounds hold exactly.

mod inside;

use crate::geodesy::LocalScale;
use crate::grid::Grid;
use geo::{Coord, MultiPolygon};
use inside::{Meets, corners_inside, meets};
use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};
use std::hash::Hash;

/// Ring edges per boundary chunk at most.
pub const CHUNK_SEGMENTS: usize = 32;

/// Grid cell size in degrees of longitude and latitude (about 8.9 km square at 52°N).
const CELL_LON: f64 = 0.128;
const CELL_LAT: f64 = 0.08;
/// Corners per cell side whose areas are listed: the way from the corner nearest a point to the
/// point is at most half the diagonal of a cell of [`CELL_LON`] / `CORNERS` (about 1.6 km), so
/// few boundaries come near it.
const CORNERS: f64 = 4.0;
/// Largest chunk extent (one cell), so a chunk reaches at most half a cell beyond its centre.
const CHUNK_MAX_LON: f64 = CELL_LON;
const CHUNK_MAX_LAT: f64 = CELL_LAT;

/// The chunks of one area in one grid cell: their joint box, rounded outwards to `f32`, a
/// vertex of them, and which group of the area's chunks they are (32 bytes a record, so a
/// query streams through few cache lines).
#[derive(Debug, Clone, Copy)]
struct Record {
    lo: [f32; 2],
    hi: [f32; 2],
    /// The first vertex of the first chunk, rounded to `f32`.
    first: [f32; 2],
    slot: u32,
    group: u32,
}

/// How far an `f32` box side may lie outside the true one, in degrees: one `f32` step near
/// 64 (degrees of latitude or longitude) is 3.8e-6, so this leaves room to spare. The upper
/// bounds allow for it.
const F32_SLACK: f64 = 1e-5;

fn down(v: f64) -> f32 {
    let f = v as f32;
    if f64::from(f) > v { f.next_down() } else { f }
}

fn up(v: f64) -> f32 {
    let f = v as f32;
    if f64::from(f) < v { f.next_up() } else { f }
}

/// One area's boundary: the vertices of all its chunks, chunk after chunk; per chunk its box,
/// where its vertices start and end and where the boxes of its runs of [`RUN_EDGES`] edges
/// start; per record (group) its range of chunks; the cells its records are in; and its box.
///
/// Vertices and run boxes are kept in units of the stored 7-decimal grid (half the memory of
/// `f64` degrees; a stored area's vertices lie on that grid, and a point cutting a long edge
/// moves by at most 5 mm). A run's box is exact in those units, so its bounds hold for the
/// vertices as measured ([`degrees`] is monotonic).
#[derive(Debug)]
struct Boundary {
    coords: Vec<[i32; 2]>,
    chunks: Vec<Chunk>,
    runs: Vec<[i32; 4]>,
    groups: Vec<(u32, u32)>,
    cells: Vec<usize>,
    /// The box of all its vertices, in grid units ([`EMPTY_UNITS`] without any).
    bbox: [i32; 4],
}

/// The box of no vertex, in grid units.
const EMPTY_UNITS: [i32; 4] = [i32::MAX, i32::MAX, i32::MIN, i32::MIN];

impl Default for Boundary {
    fn default() -> Self {
        Self {
            coords: Vec::new(),
            chunks: Vec::new(),
            runs: Vec::new(),
            groups: Vec::new(),
            cells: Vec::new(),
            bbox: EMPTY_UNITS,
        }
    }
}

/// Grid units per degree (see [`Boundary`]).
const UNITS: f64 = 1e7;

/// The grid units nearest `c` (coordinates are within ±214° here: the Netherlands' box).
fn units(c: Coord<f64>) -> [i32; 2] {
    [(c.x * UNITS).round() as i32, (c.y * UNITS).round() as i32]
}

/// A vertex in grid units as degrees.
#[inline(always)]
fn degrees([x, y]: [i32; 2]) -> Coord<f64> {
    Coord {
        x: f64::from(x) / UNITS,
        y: f64::from(y) / UNITS,
    }
}

/// A box in grid units as degrees.
#[inline(always)]
fn box_degrees(b: [i32; 4]) -> [f64; 4] {
    b.map(|v| f64::from(v) / UNITS)
}

/// The box of some vertices in grid units.
fn units_box(coords: &[[i32; 2]]) -> [i32; 4] {
    coords
        .iter()
        .fold(EMPTY_UNITS, |[x0, y0, x1, y1], &[x, y]| {
            [x0.min(x), y0.min(y), x1.max(x), y1.max(y)]
        })
}

/// A point in grid units: exactly a whole number where it lies on the grid (within 10⁻⁶ units
/// of one: the rounding of the product).
fn point_units(p: Coord<f64>) -> Coord<f64> {
    let snap = |u: f64| {
        let whole = u.round();
        if (u - whole).abs() < 1e-6 { whole } else { u }
    };
    Coord {
        x: snap(p.x * UNITS),
        y: snap(p.y * UNITS),
    }
}

/// Whether the boxes `[min_x, min_y, max_x, max_y]` meet.
fn boxes_meet(a: [f64; 4], b: [f64; 4]) -> bool {
    a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3]
}

/// Up to [`RUN_EDGES`] + 1 vertices in grid units as degrees, on the stack.
#[inline(always)]
fn run_degrees(run: &[[i32; 2]], out: &mut [Coord<f64>; RUN_EDGES + 1]) -> usize {
    for (o, &c) in out.iter_mut().zip(run) {
        *o = degrees(c);
    }
    run.len().min(RUN_EDGES + 1)
}

/// One chunk of a [`Boundary`]: its box, its vertices (`coords[start..end]`) and where the boxes
/// of its runs start in `runs`.
#[derive(Debug, Clone, Copy)]
struct Chunk {
    bbox: [f64; 4],
    start: u32,
    end: u32,
    runs: u32,
}

/// Edges per run inside a chunk: the exact distance skips runs whose box is too far.
const RUN_EDGES: usize = 8;

impl Boundary {
    fn add_chunk(&mut self, chunk: &[Coord<f64>]) {
        let start = u32::try_from(self.coords.len()).unwrap_or(u32::MAX);
        let runs = u32::try_from(self.runs.len()).unwrap_or(u32::MAX);
        let chunk: Vec<[i32; 2]> = chunk.iter().map(|&c| units(c)).collect();
        let own = units_box(&chunk);
        self.bbox = [
            self.bbox[0].min(own[0]),
            self.bbox[1].min(own[1]),
            self.bbox[2].max(own[2]),
            self.bbox[3].max(own[3]),
        ];
        for first in (0..chunk.len().saturating_sub(1)).step_by(RUN_EDGES) {
            self.runs.push(units_box(
                &chunk[first..=(first + RUN_EDGES).min(chunk.len() - 1)],
            ));
        }
        self.coords.extend_from_slice(&chunk);
        let end = u32::try_from(self.coords.len()).unwrap_or(u32::MAX);
        self.chunks.push(Chunk {
            bbox: box_degrees(own),
            start,
            end,
            runs,
        });
    }

    /// The vertices of chunks `first..end` (one after another in `coords`), in degrees.
    fn vertices(&self, first: u32, end: u32) -> impl Iterator<Item = Coord<f64>> + '_ {
        let (start, end) = (
            self.chunks[first as usize].start as usize,
            self.chunks[end as usize - 1].end as usize,
        );
        self.coords[start..end].iter().map(|&c| degrees(c))
    }

    /// The distance² from `p` to the chunks of group `g`, or infinity when it is surely more
    /// than `best`.
    fn group_distance2(&self, g: u32, p: Coord<f64>, kx: f64, best: f64) -> f64 {
        let (first, end) = self.groups[g as usize];
        let mut out = f64::INFINITY;
        for chunk in &self.chunks[first as usize..end as usize] {
            if box_gap2(chunk.bbox, p, kx) <= least(best, out) {
                out = least(out, self.distance2(chunk, p, kx, least(best, out)));
            }
        }
        out
    }

    /// Whether some edge of a chunk comes within distance² `r2` of `p` (stops at the first).
    /// A run, like a chunk, has a vertex on every side of its box: when a side lies within the
    /// radius whole, so does that vertex, and no edge need be measured.
    fn chunk_within(&self, chunk: &Chunk, p: Coord<f64>, kx: f64, r2: f64) -> bool {
        let coords = &self.coords[chunk.start as usize..chunk.end as usize];
        let mut buffer = [Coord::zero(); RUN_EDGES + 1];
        (0..coords.len().saturating_sub(1))
            .step_by(RUN_EDGES)
            .enumerate()
            .any(|(k, first)| {
                let bbox = box_degrees(self.runs[chunk.runs as usize + k]);
                box_gap2(bbox, p, kx) <= r2
                    && (sides_upper2(bbox, p, kx) <= r2 || {
                        let run = &coords[first..=(first + RUN_EDGES).min(coords.len() - 1)];
                        let n = run_degrees(run, &mut buffer);
                        edges_distance2(&buffer[..n], p, kx) <= r2
                    })
            })
    }

    /// The distance² from `p` to a chunk, or infinity when it is surely more than `best`.
    fn distance2(&self, chunk: &Chunk, p: Coord<f64>, kx: f64, best: f64) -> f64 {
        let (start, end, runs) = (chunk.start, chunk.end, chunk.runs);
        let coords = &self.coords[start as usize..end as usize];
        let mut out = f64::INFINITY;
        let mut buffer = [Coord::zero(); RUN_EDGES + 1];
        for (k, first) in (0..coords.len().saturating_sub(1))
            .step_by(RUN_EDGES)
            .enumerate()
        {
            if box_gap2(box_degrees(self.runs[runs as usize + k]), p, kx) > least(best, out) {
                continue;
            }
            let run = &coords[first..=(first + RUN_EDGES).min(coords.len() - 1)];
            let n = run_degrees(run, &mut buffer);
            out = least(out, edges_distance2(&buffer[..n], p, kx));
        }
        out
    }
}

impl Boundary {
    /// Every edge, its ends in grid units.
    fn edges(&self) -> impl Iterator<Item = ([i64; 2], [i64; 2])> + '_ {
        let wide = |[x, y]: [i32; 2]| [i64::from(x), i64::from(y)];
        self.chunks.iter().flat_map(move |c| {
            self.coords[c.start as usize..c.end as usize]
                .windows(2)
                .map(move |w| (wide(w[0]), wide(w[1])))
        })
    }

    /// How the edges of chunks `first..end` meet the way from `p` to the corner `q` (both in
    /// grid units; see [`inside`]): `Holds` when one holds `p`, else `Crosses` when an odd
    /// number cross it. `way` is the way's box in grid units.
    fn crossings(&self, first: u32, end: u32, p: Coord<f64>, q: [i64; 2], way: [f64; 4]) -> Meets {
        let way_degrees = way.map(|v| v / UNITS);
        let from_q = |[x, y]: [i32; 2]| [i64::from(x) - q[0], i64::from(y) - q[1]];
        let p = Coord {
            x: p.x - q[0] as f64,
            y: p.y - q[1] as f64,
        };
        let mut odd = false;
        for chunk in &self.chunks[first as usize..end as usize] {
            if !boxes_meet(chunk.bbox, way_degrees) {
                continue;
            }
            let coords = &self.coords[chunk.start as usize..chunk.end as usize];
            for (k, start) in (0..coords.len().saturating_sub(1))
                .step_by(RUN_EDGES)
                .enumerate()
            {
                if !boxes_meet(self.runs[chunk.runs as usize + k].map(f64::from), way) {
                    continue;
                }
                let run = &coords[start..=(start + RUN_EDGES).min(coords.len() - 1)];
                for w in run.windows(2) {
                    let ([ax, ay], [bx, by]) = (w[0].map(f64::from), w[1].map(f64::from));
                    if !boxes_meet([ax.min(bx), ay.min(by), ax.max(bx), ay.max(by)], way) {
                        continue;
                    }
                    match meets(from_q(w[0]), from_q(w[1]), p) {
                        Meets::Holds => return Meets::Holds,
                        Meets::Crosses => odd = !odd,
                        Meets::Apart => {}
                    }
                }
            }
        }
        if odd { Meets::Crosses } else { Meets::Apart }
    }
}

/// The low corner of a grid cell in grid units (the reference point of [`inside`]).
fn corner_units<T>(grid: &Grid<T>, cell: usize) -> [i64; 2] {
    let c = grid.rect_of(cell).min();
    [(c.x * UNITS).round() as i64, (c.y * UNITS).round() as i64]
}

/// The box `[min_x, min_y, max_x, max_y]` of the way from `p` to `q`, in grid units.
fn way_box(p: Coord<f64>, q: [i64; 2]) -> [f64; 4] {
    let (qx, qy) = (q[0] as f64, q[1] as f64);
    [p.x.min(qx), p.y.min(qy), p.x.max(qx), p.y.max(qy)]
}

/// Areas by key, for "covering or within a radius, nearest first" queries.
#[derive(Debug)]
pub struct NearIndex<K> {
    /// The boundary chunks, filed in the cell of their box's centre.
    grid: Grid<Record>,
    /// Per cell of a grid [`CORNERS`] times finer than `grid`, the slots whose area holds its
    /// low corner (nudged: see [`inside`]).
    corners: Grid<u32>,
    /// The key and boundary of each slot (`None`: free).
    keys: Vec<Option<K>>,
    /// The boundary of each slot, apart from the keys so that a query reads keys densely.
    boundaries: Vec<Boundary>,
    slot_of: HashMap<K, u32>,
    free: Vec<u32>,
}

impl<K> Default for NearIndex<K> {
    fn default() -> Self {
        Self {
            grid: Grid::new(CELL_LON, CELL_LAT),
            corners: Grid::new(CELL_LON / CORNERS, CELL_LAT / CORNERS),
            keys: Vec::new(),
            boundaries: Vec::new(),
            slot_of: HashMap::new(),
            free: Vec::new(),
        }
    }
}

/// What [`NearIndex::nearby`] is asked.
#[derive(Debug, Clone, Copy)]
pub struct NearbyQuery {
    pub lon: f64,
    pub lat: f64,
    /// Areas farther than this (in km) are left out.
    pub radius_km: f64,
    /// The window of the ordered answer to return.
    pub skip: usize,
    pub take: usize,
}

/// One page of a [`NearIndex::nearby`] answer.
#[derive(Debug, Clone, PartialEq)]
pub struct NearbyPage<K> {
    /// How many areas cover the place or lie within the radius (after the filter).
    pub total: usize,
    /// The requested window of them, nearest first, with distances in km (0: covering).
    pub items: Vec<(K, f64)>,
}

/// A key met during a query, with the bounds of its distance so far.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    slot: u32,
    lower: f64,
    upper: f64,
    /// The last chunk met (index into the visited list), the head of a linked list.
    head: u32,
}

const NONE: u32 = u32::MAX;
const SKIP: u32 = u32::MAX - 1;

/// The smaller of two numbers that are never NaN here: one `minsd`, where `f64::min` also
/// handles NaN (these run for every record and edge a query reads).
#[inline(always)]
fn least(a: f64, b: f64) -> f64 {
    if a < b { a } else { b }
}

/// The larger of two numbers that are never NaN here (see [`least`]).
#[inline(always)]
fn most(a: f64, b: f64) -> f64 {
    if a > b { a } else { b }
}

/// Squared distance, in degrees of latitude, from `p` to the edges through `coords`, in the
/// frame where a degree of longitude is `kx` degrees of latitude.
fn edges_distance2(coords: &[Coord<f64>], p: Coord<f64>, kx: f64) -> f64 {
    let mut best = f64::INFINITY;
    let mut a = match coords.first() {
        Some(c) => ((c.x - p.x) * kx, c.y - p.y),
        None => return best,
    };
    for c in &coords[1..] {
        let b = ((c.x - p.x) * kx, c.y - p.y);
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len2 = dx * dx + dy * dy;
        let t = if len2 > 0.0 {
            least(most(-(a.0 * dx + a.1 * dy) / len2, 0.0), 1.0)
        } else {
            0.0
        };
        let (cx, cy) = (a.0 + t * dx, a.1 + t * dy);
        best = least(best, cx * cx + cy * cy);
        a = b;
    }
    best
}

/// Squared distance from `p` to the box [`min_x`, `max_x`] × [`min_y`, `max_y`], in the same
/// frame as [`edges_distance2`] (0 inside).
fn box_gap2([min_x, min_y, max_x, max_y]: [f64; 4], p: Coord<f64>, kx: f64) -> f64 {
    let dx = most(most(min_x - p.x, p.x - max_x), 0.0) * kx;
    let dy = most(most(min_y - p.y, p.y - max_y), 0.0);
    dx * dx + dy * dy
}

fn box_distance2(r: &Record, p: Coord<f64>, kx: f64) -> f64 {
    let [lo, hi] = [r.lo, r.hi].map(|c| c.map(f64::from));
    box_gap2([lo[0], lo[1], hi[0], hi[1]], p, kx)
}

/// An upper bound on the distance² from `p` to vertices that touch every side of the box
/// [`min_x`, `min_y`, `max_x`, `max_y`]: a point on a side is no farther than the side's
/// farther end, so the nearest side's farther end bounds it (same frame as [`box_gap2`]).
fn sides_upper2([min_x, min_y, max_x, max_y]: [f64; 4], p: Coord<f64>, kx: f64) -> f64 {
    let (x0, x1) = ((min_x - p.x) * kx, (max_x - p.x) * kx);
    let (y0, y1) = (min_y - p.y, max_y - p.y);
    let (xx0, xx1, yy0, yy1) = (x0 * x0, x1 * x1, y0 * y0, y1 * y1);
    let (d00, d10, d11, d01) = (xx0 + yy0, xx1 + yy0, xx1 + yy1, xx0 + yy1);
    least(
        least(most(d00, d10), most(d10, d11)),
        least(most(d11, d01), most(d01, d00)),
    )
}

/// An upper bound on the distance² from `p` to a record's chunks (up to the `f32` rounding):
/// its vertex, or, as the chunks touch every side of their joint box, the farther end of each
/// side.
fn box_upper2(r: &Record, p: Coord<f64>, kx: f64) -> f64 {
    let [lo, hi, first] = [r.lo, r.hi, r.first].map(|c| c.map(f64::from));
    let (fx, fy) = ((first[0] - p.x) * kx, first[1] - p.y);
    least(
        fx * fx + fy * fy,
        sides_upper2([lo[0], lo[1], hi[0], hi[1]], p, kx),
    )
}

/// The boundary chunks of `area`: every ring cut into runs of at most `CHUNK_SEGMENTS` edges
/// and `CHUNK_MAX_LON` × `CHUNK_MAX_LAT` degrees; a longer edge is first cut by points on it.
fn chunks_of(area: &MultiPolygon<f64>) -> Vec<Box<[Coord<f64>]>> {
    let mut out = Vec::new();
    for polygon in area {
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            let Some(&start) = ring.0.first() else {
                continue;
            };
            let mut run = vec![start];
            let mut bounds = grow(EMPTY_BOX, &start);
            let mut push = |c: Coord<f64>, run: &mut Vec<Coord<f64>>| {
                let [x0, y0, x1, y1] = grow(bounds, &c);
                let too_wide = x1 - x0 > CHUNK_MAX_LON || y1 - y0 > CHUNK_MAX_LAT;
                if run.len() > CHUNK_SEGMENTS || (too_wide && run.len() > 1) {
                    let last = run[run.len() - 1];
                    out.push(std::mem::replace(run, vec![last]).into_boxed_slice());
                    bounds = grow(grow(EMPTY_BOX, &last), &c);
                } else {
                    bounds = [x0, y0, x1, y1];
                }
                run.push(c);
            };
            let mut prev = start;
            for &c in &ring.0[1..] {
                // Pieces of the edge short enough for one chunk each.
                let steps = ((c.x - prev.x).abs() / (CHUNK_MAX_LON / 2.0))
                    .max((c.y - prev.y).abs() / (CHUNK_MAX_LAT / 2.0))
                    .ceil()
                    .max(1.0) as usize;
                for i in 1..steps {
                    let t = i as f64 / steps as f64;
                    let mid = Coord {
                        x: prev.x + (c.x - prev.x) * t,
                        y: prev.y + (c.y - prev.y) * t,
                    };
                    push(mid, &mut run);
                }
                push(c, &mut run);
                prev = c;
            }
            if run.len() > 1 {
                out.push(run.into_boxed_slice());
            }
        }
    }
    out
}

/// A box [`min_x`, `min_y`, `max_x`, `max_y`] that holds nothing.
const EMPTY_BOX: [f64; 4] = [
    f64::INFINITY,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NEG_INFINITY,
];

/// The box `b` grown to hold `c`.
fn grow(b: [f64; 4], c: &Coord<f64>) -> [f64; 4] {
    [b[0].min(c.x), b[1].min(c.y), b[2].max(c.x), b[3].max(c.y)]
}

/// The box of some vertices.
fn bbox(coords: &[Coord<f64>]) -> [f64; 4] {
    coords.iter().fold(EMPTY_BOX, grow)
}

/// The cell a chunk belongs to: the one holding its box's centre.
fn home_cell(grid: &Grid<Record>, chunk: &[Coord<f64>]) -> usize {
    let [x0, y0, x1, y1] = bbox(chunk);
    grid.cell_of(Coord {
        x: (x0 + x1) / 2.0,
        y: (y0 + y1) / 2.0,
    })
}

/// An area made ready for [`NearIndex::build_prepared`]: cut into boundary chunks. Preparing
/// is pure and is most of the cost of filing an area, so areas can be prepared on every core,
/// or while more are read.
#[derive(Debug)]
pub struct PreparedArea {
    chunks: Vec<Box<[Coord<f64>]>>,
}

impl PreparedArea {
    pub fn new(area: MultiPolygon<f64>) -> Self {
        Self {
            chunks: chunks_of(&area),
        }
    }
}

impl<K: Copy + Eq + Hash> NearIndex<K> {
    /// Builds the index for many areas at once (prepared on every core; a key given twice
    /// keeps its last area).
    pub fn build(areas: impl IntoIterator<Item = (K, MultiPolygon<f64>)>) -> Self
    where
        K: Send,
    {
        use rayon::prelude::*;
        let areas: Vec<(K, MultiPolygon<f64>)> = areas.into_iter().collect();
        Self::build_prepared(
            areas
                .into_par_iter()
                .map(|(key, area)| (key, PreparedArea::new(area)))
                .collect::<Vec<_>>(),
        )
    }

    /// Builds the index from prepared areas (a key given twice keeps its last).
    pub fn build_prepared(areas: impl IntoIterator<Item = (K, PreparedArea)>) -> Self {
        let mut index = Self::default();
        for (key, PreparedArea { chunks }) in areas {
            index.forget(key);
            index.file(key, chunks);
        }
        index.seal();
        index
    }

    /// Merges what was filed into the grids.
    fn seal(&mut self) {
        self.grid.seal();
        self.corners.seal();
    }

    /// The cells of `corners` over a boundary's box.
    fn cells_over(&self, boundary: &Boundary) -> Vec<usize> {
        if boundary.bbox == EMPTY_UNITS {
            return Vec::new();
        }
        let [x0, y0, x1, y1] = box_degrees(boundary.bbox);
        self.corners
            .cells_over(Coord { x: x0, y: y0 }, Coord { x: x1, y: y1 })
            .collect()
    }

    /// Files `slot` in the corner lists of the cells whose low corner its boundary holds.
    fn file_corners(&mut self, slot: u32, boundary: &Boundary) {
        let cells = self.cells_over(boundary);
        // Cells come row by row: the columns of the first row, the rows of the first column.
        let Some(&first) = cells.first() else {
            return;
        };
        let cols = cells
            .iter()
            .take_while(|&&c| c / self.corners.cols() == first / self.corners.cols())
            .count();
        let xs: Vec<i64> = cells[..cols]
            .iter()
            .map(|&c| corner_units(&self.corners, c)[0])
            .collect();
        let ys: Vec<i64> = cells
            .iter()
            .step_by(cols)
            .map(|&c| corner_units(&self.corners, c)[1])
            .collect();
        for (r, c) in corners_inside(boundary.edges(), &ys, &xs) {
            self.corners.push(cells[r * cols + c], slot);
        }
    }

    /// Gives `key` a slot and files its boundary chunks ([`chunks_of`]) in the grid.
    fn file(&mut self, key: K, chunks: Vec<Box<[Coord<f64>]>>) -> u32 {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.keys.push(None);
                self.boundaries.push(Boundary::default());
                u32::try_from(self.keys.len() - 1).unwrap_or(u32::MAX)
            }
        };
        let mut boundary = Boundary::default();
        let mut chunks: Vec<(usize, Box<[Coord<f64>]>)> = chunks
            .into_iter()
            .map(|chunk| (home_cell(&self.grid, &chunk), chunk))
            .collect();
        chunks.sort_by_key(|(cell, _)| *cell);
        for same_cell in chunks.chunk_by(|a, b| a.0 == b.0) {
            let cell = same_cell[0].0;
            let first = u32::try_from(boundary.chunks.len()).unwrap_or(u32::MAX);
            for (_, chunk) in same_cell {
                boundary.add_chunk(chunk);
            }
            let end = u32::try_from(boundary.chunks.len()).unwrap_or(u32::MAX);
            let joint = boundary
                .vertices(first, end)
                .fold(EMPTY_BOX, |b, c| grow(b, &c));
            let vertex = degrees(boundary.coords[boundary.chunks[first as usize].start as usize]);
            self.grid.push(
                cell,
                Record {
                    lo: [down(joint[0]), down(joint[1])],
                    hi: [up(joint[2]), up(joint[3])],
                    first: [vertex.x as f32, vertex.y as f32],
                    slot,
                    group: u32::try_from(boundary.groups.len()).unwrap_or(u32::MAX),
                },
            );
            boundary.groups.push((first, end));
            boundary.cells.push(cell);
        }
        boundary.coords.shrink_to_fit();
        boundary.runs.shrink_to_fit();
        boundary.chunks.shrink_to_fit();
        self.file_corners(slot, &boundary);
        self.keys[slot as usize] = Some(key);
        self.boundaries[slot as usize] = boundary;
        self.slot_of.insert(key, slot);
        slot
    }

    /// Sets (or replaces) the area of `key`.
    pub fn upsert(&mut self, key: K, area: MultiPolygon<f64>) {
        self.forget(key);
        self.file(key, chunks_of(&area));
        self.seal();
    }

    /// Forgets `key`.
    pub fn remove(&mut self, key: K) {
        if self.forget(key) {
            self.seal();
        }
    }

    /// Takes `key`'s boundary out of the grids (unsealed) and frees its slot.
    fn forget(&mut self, key: K) -> bool {
        let Some(slot) = self.slot_of.remove(&key) else {
            return false;
        };
        self.keys[slot as usize] = None;
        let boundary = std::mem::take(&mut self.boundaries[slot as usize]);
        for cell in self.cells_over(&boundary) {
            self.corners.retain(cell, |s| *s != slot);
        }
        for cell in boundary.cells {
            self.grid.retain(cell, |r| r.slot != slot);
        }
        self.free.push(slot);
        true
    }

    pub fn len(&self) -> usize {
        self.slot_of.len()
    }

    /// How many boundary chunks the areas were cut into, and their vertices.
    pub fn chunk_stats(&self) -> (usize, usize) {
        self.boundaries
            .iter()
            .fold((0, 0), |(n, v), b| (n + b.chunks.len(), v + b.coords.len()))
    }

    /// Bytes held, roughly, by part (for the memory figures of the benchmarks).
    pub fn heap_bytes(&self) -> Vec<(&'static str, usize)> {
        let boundaries = self
            .boundaries
            .iter()
            .map(|b| {
                b.coords.capacity() * size_of::<[i32; 2]>()
                    + b.chunks.capacity() * size_of::<Chunk>()
                    + b.runs.capacity() * size_of::<[i32; 4]>()
                    + b.groups.capacity() * size_of::<(u32, u32)>()
                    + b.cells.capacity() * size_of::<usize>()
            })
            .sum();
        vec![
            ("boundaries", boundaries),
            ("boundary records", self.grid.heap_bytes()),
            ("corner lists", self.corners.heap_bytes()),
        ]
    }

    pub fn is_empty(&self) -> bool {
        self.slot_of.is_empty()
    }

    fn key(&self, slot: u32) -> Option<K> {
        self.keys[slot as usize]
    }

    /// The keys whose area covers (`lon`, `lat`), boundary included.
    pub fn covering(&self, lon: f64, lat: f64) -> Vec<K> {
        self.covering_slots(Coord { x: lon, y: lat })
            .into_iter()
            .filter_map(|slot| self.key(slot))
            .collect()
    }

    /// The slots whose area covers `p`, boundary included, sorted: those holding the low
    /// corner of `p`'s cell, changed by the crossings on the way from there (see [`inside`]).
    fn covering_slots(&self, p: Coord<f64>) -> Vec<u32> {
        let units = point_units(p);
        if !self.grid.holds(p) {
            return self.covering_outside(units);
        }
        let corner = self.nearest_corner(p);
        let q = corner_units(&self.corners, corner);
        let way = way_box(units, q);
        let way_degrees = way.map(|v| v / UNITS);
        // Slots seen odd times here flip; the corner's slots are listed once each.
        let mut flips: Vec<u32> = self.corners.cell(corner).to_vec();
        let mut held: Vec<u32> = Vec::new();
        // The way lies in the cell of p, so the chunks that meet it are filed in that cell or
        // a neighbour: those whose cell comes within half a cell of the way (and a hair, for
        // vertices rounded to the grid's units).
        let half = Coord {
            x: CELL_LON / 2.0 + 1e-6,
            y: CELL_LAT / 2.0 + 1e-6,
        };
        let (lo, hi) = (
            Coord {
                x: way_degrees[0],
                y: way_degrees[1],
            },
            Coord {
                x: way_degrees[2],
                y: way_degrees[3],
            },
        );
        for r in self.grid.over(lo - half, hi + half) {
            let bounds = [r.lo[0], r.lo[1], r.hi[0], r.hi[1]].map(f64::from);
            if !boxes_meet(bounds, way_degrees) {
                continue;
            }
            let boundary = &self.boundaries[r.slot as usize];
            let (first, end) = boundary.groups[r.group as usize];
            match boundary.crossings(first, end, units, q, way) {
                Meets::Holds => held.push(r.slot),
                Meets::Crosses => flips.push(r.slot),
                Meets::Apart => {}
            }
        }
        flips.sort_unstable();
        let mut out: Vec<u32> = flips
            .chunk_by(|a, b| a == b)
            .filter(|same| same.len() % 2 == 1)
            .map(|same| same[0])
            .collect();
        if !held.is_empty() {
            out.extend(held);
            out.sort_unstable();
            out.dedup();
        }
        out
    }

    /// The cell of `corners` whose low corner is the corner nearest `p` (in the grid) of the
    /// cell holding `p`; the cell's own where the nearer corner is the grid's far border.
    fn nearest_corner(&self, p: Coord<f64>) -> usize {
        let cell = self.corners.cell_of(p);
        let (cols, rows) = (self.corners.cols(), self.corners.rows());
        let (col, row) = (cell % cols, cell / cols);
        let rect = self.corners.rect_of(cell);
        let east = p.x - rect.min().x > rect.width() / 2.0 && col + 1 < cols;
        let north = p.y - rect.min().y > rect.height() / 2.0 && row + 1 < rows;
        cell + usize::from(east) + if north { cols } else { 0 }
    }

    /// [`Self::covering_slots`] for a point outside the grid (`units`: in grid units), slowly:
    /// every area whose box holds it, by the crossings on the way from a corner outside its
    /// box.
    fn covering_outside(&self, units: Coord<f64>) -> Vec<u32> {
        (0u32..)
            .zip(&self.boundaries)
            .filter(|(slot, b)| {
                let [x0, y0, x1, y1] = b.bbox.map(f64::from);
                self.keys[*slot as usize].is_some()
                    && (x0..=x1).contains(&units.x)
                    && (y0..=y1).contains(&units.y)
                    && {
                        let q = [i64::from(b.bbox[0]) - 1, i64::from(b.bbox[1]) - 1];
                        let end = u32::try_from(b.chunks.len()).unwrap_or(u32::MAX);
                        b.crossings(0, end, units, q, way_box(units, q)) != Meets::Apart
                    }
            })
            .map(|(slot, _)| slot)
            .collect()
    }

    /// The areas accepted by `accept` that cover the place or lie within the radius of it: how
    /// many, and the requested window of them ordered by distance, then by `order` (a total
    /// order: keys it finds equal may come in any order).
    pub fn nearby(
        &self,
        query: NearbyQuery,
        accept: impl Fn(K) -> bool,
        order: impl Fn(K, K) -> Ordering,
    ) -> NearbyPage<K> {
        let NearbyQuery {
            lon,
            lat,
            radius_km,
            skip,
            take,
        } = query;
        let p = Coord { x: lon, y: lat };
        let scale = LocalScale::at(lat);
        let kx = scale.lon_factor;
        // In degrees of latitude, like the distances below (which are squared).
        let r = radius_km / scale.km_per_degree;
        let r2 = r * r;

        // The covering areas, then every other accepted area with a chunk within the radius.
        let mut state = vec![NONE; self.keys.len()];
        let mut covering: Vec<K> = Vec::new();
        for slot in self.covering_slots(p) {
            state[slot as usize] = SKIP;
            if let Some(k) = self.key(slot).filter(|k| accept(*k)) {
                covering.push(k);
            }
        }
        // Outside every covering area the distance is more than 0, so radius 0 asks for the
        // covering areas alone.
        let need = skip.saturating_add(take).saturating_sub(covering.len());
        let (mut near, counted) = if r2 > 0.0 {
            self.around(p, kx, r, &mut state, need, &accept)
        } else {
            (Vec::new(), 0)
        };
        let total = covering.len() + near.len() + counted;

        covering.sort_unstable_by(|a, b| order(*a, *b));
        near.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then_with(|| order(a.1, b.1)));
        let items = covering
            .into_iter()
            .map(|k| (k, 0.0))
            .chain(
                near.into_iter()
                    .map(|(d2, k)| (k, d2.sqrt() * scale.km_per_degree)),
            )
            .skip(skip)
            .take(take)
            .collect();
        NearbyPage { total, items }
    }

    /// The accepted areas not marked in `state` (covering ones are [`SKIP`]) that lie within
    /// `r` (degrees of latitude) of `p`: the nearest `need` or more of them with their
    /// distance², ties included, and how many others.
    fn around(
        &self,
        p: Coord<f64>,
        kx: f64,
        r: f64,
        state: &mut [u32],
        need: usize,
        accept: &impl Fn(K) -> bool,
    ) -> (Vec<(f64, K)>, usize) {
        let (lon, lat, r2) = (p.x, p.y, r * r);
        // Upper bounds carry the f32 rounding of the boxes: a candidate is surely within the
        // radius when its upper bound² is at most this.
        let sure2 = if r > F32_SLACK {
            (r - F32_SLACK) * (r - F32_SLACK)
        } else {
            -1.0
        };
        let mut candidates: Vec<Candidate> = Vec::with_capacity(256);
        // (lower bound², next record of the same key, the record's group of chunks)
        let mut visited: Vec<(f64, u32, u32)> = Vec::with_capacity(2048);
        // A chunk reaches at most half its extent beyond the centre that filed it.
        let (min, max) = (
            Coord {
                x: lon - r / kx - CHUNK_MAX_LON / 2.0,
                y: lat - r - CHUNK_MAX_LAT / 2.0,
            },
            Coord {
                x: lon + r / kx + CHUNK_MAX_LON / 2.0,
                y: lat + r + CHUNK_MAX_LAT / 2.0,
            },
        );
        let reach = |cell: usize| {
            // How near a chunk filed in this cell can come, from the cell's rectangle grown by
            // half a chunk; edge cells also hold whatever lies beyond the grid.
            if self.grid.is_edge(cell) {
                return 0.0;
            }
            let rect = self.grid.rect_of(cell);
            let (gx, gy) = (CHUNK_MAX_LON / 2.0, CHUNK_MAX_LAT / 2.0);
            box_gap2(
                [
                    rect.min().x - gx,
                    rect.min().y - gy,
                    rect.max().x + gx,
                    rect.max().y + gy,
                ],
                p,
                kx,
            )
        };
        let cells = self.grid.cells_over(min, max).filter(|c| reach(*c) <= r2);
        for record in cells.flat_map(|c| self.grid.cell(c)) {
            let s = record.slot as usize;
            if state[s] == SKIP {
                continue;
            }
            let lower = box_distance2(record, p, kx);
            if lower > r2 {
                continue;
            }
            if state[s] == NONE {
                if !self.key(record.slot).is_some_and(&accept) {
                    state[s] = SKIP;
                    continue;
                }
                state[s] = u32::try_from(candidates.len()).unwrap_or(SKIP);
                candidates.push(Candidate {
                    slot: record.slot,
                    lower,
                    upper: f64::INFINITY,
                    head: NONE,
                });
            }
            let c = &mut candidates[state[s] as usize];
            c.lower = least(c.lower, lower);
            c.upper = least(c.upper, box_upper2(record, p, kx));
            visited.push((lower, c.head, record.group));
            c.head = u32::try_from(visited.len() - 1).unwrap_or(NONE);
        }

        // The exact distance² of a candidate: its chunks met, skipping those whose box is no
        // nearer than the best so far. Chunks not met are beyond the radius.
        let exact = |c: &Candidate| -> f64 {
            let boundary = &self.boundaries[c.slot as usize];
            // No chunk whose box lies beyond the upper bound (widened by the rounding) can be
            // the nearest; the nearest one is always computed.
            let bound = c.upper.sqrt() + F32_SLACK;
            let mut best = bound * bound;
            // The record with the nearest box first: its distance usually rules the others out.
            let mut nearest = c.head;
            let mut at = c.head;
            while at != NONE {
                let (lower, next, _) = visited[at as usize];
                if lower <= c.lower {
                    nearest = at;
                    break;
                }
                at = next;
            }
            let mut computed = f64::INFINITY;
            if let Some(&(_, _, group)) = visited.get(nearest as usize) {
                computed = boundary.group_distance2(group, p, kx, best);
                best = least(best, computed);
            }
            let mut at = c.head;
            while at != NONE {
                let (lower, next, group) = visited[at as usize];
                if at != nearest && lower <= best {
                    computed = least(computed, boundary.group_distance2(group, p, kx, best));
                    best = least(best, computed);
                }
                at = next;
            }
            computed
        };
        // Exact distances, nearest lower bound first, until no other candidate can rank among
        // the first `need` (ties included); the rest only need to be counted. A heap orders
        // only the few taken (a handful of some 400 at 5,000 networks), not all.
        let mut queue: BinaryHeap<Reverse<(TotalF64, u32)>> = (0u32..)
            .zip(&candidates)
            .map(|(i, c)| Reverse((TotalF64(c.lower), i)))
            .collect();
        let mut near: Vec<(f64, K)> = Vec::new();
        let mut largest = BinaryHeap::<TotalF64>::new();
        let mut counted = 0usize;
        while let Some(&Reverse((lower, i))) = queue.peek() {
            if largest.len() >= need && largest.peek().is_none_or(|d| d.0 < lower.0) {
                break;
            }
            queue.pop();
            let c = &candidates[i as usize];
            let d2 = exact(c);
            if d2 <= r2
                && let Some(k) = self.key(c.slot)
            {
                near.push((d2, k));
                largest.push(TotalF64(d2));
                if largest.len() > need {
                    largest.pop();
                }
            }
        }
        // The others are counted: surely within by their bounds, or else by their boundary,
        // where the first chunk within the radius decides. These borderline boundaries lie
        // scattered over memory (some 80 MB at 5,000 networks), so they are read level by
        // level across all the candidates (the groups' chunk ranges, then the chunks' boxes,
        // then edges) in short loops: the processor then fetches for many networks at once,
        // where reading one network to the end before the next made each fetch wait for the
        // last (default search at 5,000 networks: the count took about 40 of 130 us).
        let undecided: Vec<&Candidate> = queue
            .into_iter()
            .map(|Reverse((_, i))| &candidates[i as usize])
            .collect();
        let mut groups: Vec<(usize, &Boundary, u32)> = Vec::new();
        for (i, c) in undecided.iter().enumerate() {
            if c.upper <= sure2 {
                counted += 1;
                continue;
            }
            let boundary = &self.boundaries[c.slot as usize];
            let mut at = c.head;
            while at != NONE {
                let (lower, next, group) = visited[at as usize];
                if lower <= r2 {
                    groups.push((i, boundary, group));
                }
                at = next;
            }
        }
        let ranges: Vec<(usize, &[Chunk], &Boundary)> = groups
            .into_iter()
            .map(|(i, boundary, g)| {
                let (first, end) = boundary.groups[g as usize];
                (i, &boundary.chunks[first as usize..end as usize], boundary)
            })
            .collect();
        let mut within = vec![false; undecided.len()];
        let mut near_chunks: Vec<(usize, &Chunk, &Boundary)> = Vec::new();
        for (i, chunks, boundary) in ranges {
            for chunk in chunks {
                if within[i] {
                    break;
                }
                if box_gap2(chunk.bbox, p, kx) <= r2 {
                    // The chunk has a vertex on every side of its box.
                    if sides_upper2(chunk.bbox, p, kx) <= r2 {
                        within[i] = true;
                    } else {
                        near_chunks.push((i, chunk, boundary));
                    }
                }
            }
        }
        for (i, chunk, boundary) in near_chunks {
            if !within[i] && boundary.chunk_within(chunk, p, kx, r2) {
                within[i] = true;
            }
        }
        counted += within.iter().filter(|w| **w).count();
        (near, counted)
    }
}

/// An `f64` ordered by `total_cmp`, for the heaps.
#[derive(Debug, Clone, Copy, PartialEq)]
struct TotalF64(f64);

impl Eq for TotalF64 {}

impl PartialOrd for TotalF64 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for TotalF64 {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Intersects, Polygon, Rect};
    use std::collections::HashMap;

    fn square(x: f64, y: f64, d: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![Rect::new((x, y), (x + d, y + d)).to_polygon()])
    }

    /// A star-shaped polygon with many vertices and a hole.
    fn star(cx: f64, cy: f64, size: f64, n: usize) -> MultiPolygon<f64> {
        let ring = |r_even: f64, r_odd: f64, n: usize| -> geo::LineString<f64> {
            let mut ring: Vec<(f64, f64)> = (0..n)
                .map(|i| {
                    let a = i as f64 / n as f64 * std::f64::consts::TAU;
                    let r = if i % 2 == 0 { r_even } else { r_odd };
                    (cx + r * a.cos() / 0.62, cy + r * a.sin())
                })
                .collect();
            ring.push(ring[0]);
            ring.into()
        };
        MultiPolygon::new(vec![Polygon::new(
            ring(size, size * 0.6, n),
            vec![ring(size * 0.2, size * 0.15, 12)],
        )])
    }

    fn q(lon: f64, lat: f64, radius_km: f64, skip: usize, take: usize) -> NearbyQuery {
        NearbyQuery {
            lon,
            lat,
            radius_km,
            skip,
            take,
        }
    }

    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// Every distance by brute force: 0 when covered, else the nearest edge.
    fn brute(areas: &[(u32, MultiPolygon<f64>)], lon: f64, lat: f64, r_km: f64) -> Vec<(u32, f64)> {
        let p = Coord { x: lon, y: lat };
        let scale = LocalScale::at(lat);
        let kx = scale.lon_factor;
        let mut out: Vec<(u32, f64)> = areas
            .iter()
            .map(|(k, a)| {
                let d = if a.intersects(&p) {
                    0.0
                } else {
                    a.iter()
                        .flat_map(|poly| std::iter::once(poly.exterior()).chain(poly.interiors()))
                        .map(|ring| edges_distance2(&ring.0, p, kx))
                        .fold(f64::INFINITY, f64::min)
                        .sqrt()
                        * scale.km_per_degree
                };
                (*k, d)
            })
            .filter(|(_, d)| *d <= r_km)
            .collect();
        out.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        out
    }

    #[test]
    fn pages_agree_with_brute_force() {
        let mut rng = Lcg(7);
        let areas: Vec<(u32, MultiPolygon<f64>)> = (0..60)
            .map(|k| {
                let (x, y) = (4.0 + rng.next() * 2.5, 51.5 + rng.next() * 1.5);
                let area = if k % 3 == 0 {
                    square(x, y, 0.05 + rng.next() * 0.2)
                } else {
                    star(
                        x,
                        y,
                        0.05 + rng.next() * 0.25,
                        40 + (rng.next() * 400.0) as usize,
                    )
                };
                (k, area)
            })
            // One across the grid's corner, partly outside the Netherlands' box.
            .chain(std::iter::once((60, square(7.45, 53.7, 0.3))))
            // On the stored grid, as stored areas are (the boundaries are kept in its units).
            .map(|(k, area)| (k, crate::geojson_io::canonical(&area)))
            .collect();
        let index = NearIndex::build(areas.clone());
        for _ in 0..300 {
            let (lon, lat) = (3.8 + rng.next() * 4.2, 51.3 + rng.next() * 2.8);
            let r_km = [0.0, 5.0, 25.0, 100.0][(rng.next() * 4.0) as usize];
            let want = brute(&areas, lon, lat, r_km);
            for (skip, take) in [(0, 1), (0, 5), (0, 20), (3, 4), (10, 20), (0, usize::MAX)] {
                let got = index.nearby(q(lon, lat, r_km, skip, take), |_| true, |a, b| a.cmp(&b));
                assert_eq!(got.total, want.len(), "({lon}, {lat}) r {r_km}");
                let expected: Vec<_> = want.iter().skip(skip).take(take).collect();
                assert_eq!(got.items.len(), expected.len());
                // The index keeps boundaries in grid units: a point it put on a long edge
                // may lie 5 mm off it (1e-5 km allows for that and nothing more).
                for ((k, d), (wk, wd)) in got.items.iter().zip(expected) {
                    assert!((d - wd).abs() < 1e-5, "({lon}, {lat}) {k} {d} vs {wk} {wd}");
                    // Equal distances may come in either key order only if they tie.
                    assert!(k == wk || (d - wd).abs() < 1e-5);
                }
            }
            // A filter is applied before counting and paging.
            let odd = index.nearby(q(lon, lat, r_km, 0, 10), |k| k % 2 == 1, |a, b| a.cmp(&b));
            let want_odd: Vec<_> = want.iter().filter(|(k, _)| k % 2 == 1).collect();
            assert_eq!(odd.total, want_odd.len());
            assert_eq!(
                odd.items.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
                want_odd
                    .iter()
                    .take(10)
                    .map(|(k, _)| *k)
                    .collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn vertices_on_the_grid_stay_on_the_boundary() {
        // A stored area (on the 7-decimal grid) of many chunks: each of its vertices is on its
        // boundary, so covered; a step of one grid unit outwards from the centre leaves it.
        let (lat, lon) = (52.2, 5.3);
        let circle =
            crate::geojson_io::canonical(&MultiPolygon::new(vec![crate::geodesy::circle(
                lat, lon, 15.0, 2000,
            )]));
        let index = NearIndex::build([(1u32, circle.clone())]);
        assert!(index.chunk_stats().0 > 60, "{:?}", index.chunk_stats());
        for c in circle.0[0].exterior().coords() {
            assert_eq!(index.covering(c.x, c.y), vec![1], "{c:?}");
            let out = |v: f64, centre: f64| v + (v - centre).signum() * 1e-7;
            let beyond = Coord {
                x: out(c.x, lon),
                y: out(c.y, lat),
            };
            assert_eq!(
                index.covering(beyond.x, beyond.y).is_empty(),
                !circle.intersects(&beyond),
                "{beyond:?}"
            );
        }
    }

    #[test]
    fn edits_keep_lookups_exact() {
        let mut rng = Lcg(2024);
        let star_at = |rng: &mut Lcg| {
            let (x, y) = (4.0 + rng.next() * 2.5, 51.0 + rng.next() * 2.0);
            let n = 20 + (rng.next() * 300.0) as usize;
            crate::geojson_io::canonical(&star(x, y, 0.05 + rng.next() * 0.3, n))
        };
        let mut areas: HashMap<u32, MultiPolygon<f64>> =
            (0..20).map(|k| (k, star_at(&mut rng))).collect();
        let mut index = NearIndex::build(areas.clone());
        for round in 0..60 {
            let key = (rng.next() * 25.0) as u32;
            if round % 4 == 3 {
                index.remove(key);
                areas.remove(&key);
            } else {
                let area = star_at(&mut rng);
                index.upsert(key, area.clone());
                areas.insert(key, area);
            }
            for _ in 0..300 {
                let (x, y) = (3.6 + rng.next() * 3.4, 50.6 + rng.next() * 2.8);
                let p = Coord { x, y };
                let mut want: Vec<u32> = areas
                    .iter()
                    .filter(|(_, a)| a.intersects(&p))
                    .map(|(k, _)| *k)
                    .collect();
                want.sort();
                let mut got = index.covering(x, y);
                got.sort();
                assert_eq!(got, want, "round {round} ({x}, {y})");
            }
        }
    }

    #[test]
    fn an_area_far_beyond_the_grid_is_found_on_and_in_it() {
        // 30° wide, mostly outside the Netherlands' box (points there are answered without
        // the grid): a vertex and points on and off its edges come out right, inside the box
        // and beyond it.
        let triangle = MultiPolygon::new(vec![Polygon::new(
            geo::LineString::from(vec![
                (-10.0, 40.0),
                (20.0, 40.0),
                (5.0, 55.0),
                (-10.0, 40.0),
            ]),
            vec![],
        )]);
        let index = NearIndex::build([(1u32, triangle.clone())]);
        assert_eq!(index.covering(5.0, 55.0), vec![1]);
        assert_eq!(index.covering(5.0, 40.0), vec![1]);
        assert_eq!(index.covering(5.0, 47.5), vec![1]);
        assert!(index.covering(5.0, 55.001).is_empty());
        assert!(index.covering(5.0, 39.999).is_empty());
        assert!(index.covering(-9.0, 50.0).is_empty());
        let mut rng = Lcg(5);
        for _ in 0..2000 {
            let p = Coord {
                x: 2.0 + rng.next() * 6.0,
                y: 50.0 + rng.next() * 6.0,
            };
            assert_eq!(
                index.covering(p.x, p.y) == vec![1],
                triangle.intersects(&p),
                "{p:?}"
            );
        }
    }

    #[test]
    fn covering_first_then_by_distance() {
        let mut index = NearIndex::build([
            (1u32, square(5.0, 52.0, 0.1)),
            (2, square(5.05, 52.0, 0.1)),
            (3, square(6.0, 52.0, 0.1)),
        ]);
        let all = |i: &NearIndex<u32>, lon, lat, r| {
            i.nearby(
                q(lon, lat, r, 0, usize::MAX),
                |_| true,
                |a: u32, b| a.cmp(&b),
            )
        };
        let near = all(&index, 5.02, 52.05, 100.0);
        assert_eq!(near.total, 3);
        assert_eq!(near.items[0], (1, 0.0));
        // Key 2 starts 0.03° of longitude east: about 0.03 × 111.195 × cos 52.05° ≈ 2.05 km.
        assert_eq!(near.items[1].0, 2);
        assert!((near.items[1].1 - 2.05).abs() < 0.05, "{}", near.items[1].1);
        // Key 3 is about 0.88° east: ~60 km, outside a 25 km radius.
        assert_eq!(all(&index, 5.02, 52.05, 25.0).total, 2);
        // The boundary counts as covered.
        assert_eq!(index.covering(5.1, 52.05), vec![1, 2]);
        index.remove(1);
        assert_eq!(index.covering(5.07, 52.05), vec![2]);
        index.upsert(2, square(7.0, 53.0, 0.1));
        assert!(index.covering(5.07, 52.05).is_empty());
        assert_eq!(index.covering(7.05, 53.05), vec![2]);
        assert_eq!(all(&index, 7.05, 53.05, 0.0).items, vec![(2, 0.0)]);
        // A key given twice to `build`: the last area counts.
        let twice = NearIndex::build([(1u32, square(5.0, 52.0, 0.1)), (1, square(6.0, 52.0, 0.1))]);
        assert_eq!(twice.len(), 1);
        assert!(twice.covering(5.05, 52.05).is_empty());
        assert_eq!(twice.covering(6.05, 52.05), vec![1]);
        assert_eq!(all(&twice, 5.05, 52.05, 100.0).total, 1);
        // A freed slot is reused without mixing keys up.
        index.upsert(4, square(5.0, 52.0, 0.1));
        assert_eq!(index.covering(5.02, 52.05), vec![4]);
        assert_eq!(index.len(), 3);
    }
}
