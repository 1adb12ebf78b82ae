//! Point-in-area lookups over many areas: which regions of a layer cover a point (the search
//! index answers it for service areas from its boundary chunks: [`crate::nearby`]).
//!
//! Each area is cut into pieces of at most [`MAX_PIECE_VERTICES`] vertices (sliced by a grid of
//! lines over its box in one boolean operation, then any piece still too large halved), and
//! each piece is filed in every cell of a uniform [`Grid`] that its box meets, marked *full*
//! when it covers the whole cell, with its key. A point lookup reads the one cell holding the
//! point: full entries cover it outright, the others get a point-in-polygon test on their few
//! vertices (`covers_point`: a ray-crossing count, with the exact orientation where a point
//! lies on or within rounding of an edge). Containment is exact in WGS84 degrees and includes
//! the boundary (like PostGIS `ST_Covers`). Distances are the business of [`crate::nearby`].
//!
//! The pieces' vertices live in one pool, piece after piece and without the rings' closing
//! vertices, and a piece is a small fixed record of where its vertices are: no allocation of
//! its own. Forgetting an area leaves its vertices in the
//! pool until enough are dead to move the live ones together.
//!
//! A vertex is kept as two `i32`s, in units of 10⁻⁸° (about 1 mm) from a corner of its
//! piece's box on the stored 7-decimal grid ([`Frame`]): half the memory of `f64` degrees.
//! Vertices on the stored grid, as every stored area's are, are kept exactly, and so is a
//! point on that grid when it is tested: a point on an area's edge or vertex is still found
//! on it. Only the points where the index cut an edge move, by at most 0.6 mm.

use crate::grid::Grid;
use geo::{BooleanOps, BoundingRect, Coord, CoordsIter, Intersects, MultiPolygon, Polygon, Rect};
use rayon::prelude::*;
use std::collections::HashMap;
use std::hash::Hash;

/// Largest number of vertices in one indexed piece: the point-in-polygon test of a piece costs
/// in proportion; smaller pieces mean more of them.
pub const MAX_PIECE_VERTICES: usize = 32;
const MAX_SPLIT_DEPTH: usize = 16;
/// Grid cell size in degrees (about 2.2 km square at 52°N).
const CELL_LON: f64 = 0.032;
const CELL_LAT: f64 = 0.02;

/// A filed piece: its box, its key and where its vertices are in [`AreaIndex::coords`].
#[derive(Debug, Clone, Copy)]
struct Piece<K> {
    /// Its box in units of the stored grid (10⁻⁷°), rounded outwards: `lo` is also the
    /// origin of its vertices' [`Frame`] (16 bytes instead of the 32 of a `Rect<f64>`).
    lo: [i32; 2],
    hi: [i32; 2],
    /// The first of its vertices in the pool ([`FREE`]: no piece).
    start: u32,
    /// How many vertices, its rings' closing ones left out; with [`HOLED`] set when it has
    /// holes (the rings' lengths are then in [`AreaIndex::rings`]).
    len: u32,
    key: K,
}

/// [`Piece::start`] of a slot that holds no piece.
const FREE: u32 = u32::MAX;
/// The bit of [`Piece::len`] that says the piece has holes.
const HOLED: u32 = 1 << 31;
/// The bit of [`Piece::len`] that says the piece's vertices are in [`COARSE`] units.
const COARSE_BIT: u32 = 1 << 30;

/// Units per degree of a piece's vertices; [`COARSE`] for a piece too wide for `i32`s of
/// [`FINE`] units (over 21°: never in the Netherlands).
const FINE: f64 = 1e8;
const COARSE: f64 = 1e6;

/// Where a piece's vertices are measured from, and in what units: the corner of its box
/// rounded down to the stored 7-decimal grid, so that vertices and points on that grid are
/// whole numbers of units.
#[derive(Debug, Clone, Copy)]
struct Frame {
    origin: Coord<f64>,
    units: f64,
}

impl Frame {
    /// The frame of a piece whose box has its low corner at `lo` (grid units): that corner,
    /// or for [`COARSE`] units the whole unit below it, so that points on the coarse grid are
    /// whole numbers of units too.
    fn at(lo: [i32; 2], coarse: bool) -> Self {
        let (units, step) = if coarse {
            (COARSE, GRID / COARSE)
        } else {
            (FINE, 1.0)
        };
        let corner = |v: i32| (f64::from(v) / step).floor() * step / GRID;
        Self {
            origin: Coord {
                x: corner(lo[0]),
                y: corner(lo[1]),
            },
            units,
        }
    }

    /// A vertex in units, as kept.
    fn vertex(&self, c: Coord<f64>) -> [i32; 2] {
        [
            ((c.x - self.origin.x) * self.units).round() as i32,
            ((c.y - self.origin.y) * self.units).round() as i32,
        ]
    }

    /// A point in units: exactly a whole number of units when it lies on the grid (within
    /// 10⁻⁶ units of one: the rounding of the subtraction and product).
    fn point(&self, p: Coord<f64>) -> Coord<f64> {
        let snap = |u: f64| {
            let whole = u.round();
            if (u - whole).abs() < 1e-6 { whole } else { u }
        };
        Coord {
            x: snap((p.x - self.origin.x) * self.units),
            y: snap((p.y - self.origin.y) * self.units),
        }
    }
}

/// Units per degree of the stored grid (a piece's box).
const GRID: f64 = 1e7;

impl<K> Piece<K> {
    /// A piece of box `rect` (its box then a little larger: on the grid).
    fn new(rect: &Rect<f64>, start: u32, len: u32, key: K) -> Self {
        Self {
            lo: [
                (rect.min().x * GRID).floor() as i32,
                (rect.min().y * GRID).floor() as i32,
            ],
            hi: [
                (rect.max().x * GRID).ceil() as i32,
                (rect.max().y * GRID).ceil() as i32,
            ],
            start,
            len,
            key,
        }
    }

    fn rect(&self) -> Rect<f64> {
        Rect::new(
            Frame::at(self.lo, false).origin,
            Coord {
                x: f64::from(self.hi[0]) / GRID,
                y: f64::from(self.hi[1]) / GRID,
            },
        )
    }

    /// Whether its box holds the point `units` (a point times [`GRID`]).
    fn holds(&self, units: Coord<f64>) -> bool {
        f64::from(self.lo[0]) <= units.x
            && units.x <= f64::from(self.hi[0])
            && f64::from(self.lo[1]) <= units.y
            && units.y <= f64::from(self.hi[1])
    }

    fn vertices(&self) -> usize {
        (self.len & !(HOLED | COARSE_BIT)) as usize
    }

    fn frame(&self) -> Frame {
        Frame::at(self.lo, self.len & COARSE_BIT != 0)
    }

    /// Whether its vertices fit in `i32`s of [`FINE`] units from its box's low corner.
    fn fits_fine(&self) -> bool {
        let fits = |lo: i32, hi: i32| {
            (f64::from(hi) - f64::from(lo)) * (FINE / GRID) < f64::from(i32::MAX) - 2.0
        };
        fits(self.lo[0], self.hi[0]) && fits(self.lo[1], self.hi[1])
    }

    fn is_free(&self) -> bool {
        self.start == FREE
    }
}

/// A piece as filed in a cell, with its key, so that a lookup reads no piece that covers the
/// whole cell (at 5,000 networks about half the entries a lookup meets).
#[derive(Debug, Clone, Copy)]
struct Entry<K> {
    /// The piece's number, with [`FULL`] set when the piece covers the whole cell.
    tag: u32,
    key: K,
}

/// The bit of [`Entry::tag`] that says the piece covers the whole cell.
const FULL: u32 = 1 << 31;

impl<K> Entry<K> {
    fn piece(&self) -> u32 {
        self.tag & !FULL
    }

    fn full(&self) -> bool {
        self.tag & FULL != 0
    }
}

/// Areas by key, indexed for point-in-area queries.
#[derive(Debug)]
pub struct AreaIndex<K> {
    pieces: Vec<Piece<K>>,
    free: Vec<u32>,
    /// The vertices of all pieces, each in its piece's [`Frame`].
    coords: Vec<[i32; 2]>,
    /// Vertices in `coords` of forgotten pieces.
    dead: usize,
    /// The lengths of the rings of each piece with holes, exterior first.
    rings: HashMap<u32, Box<[u32]>>,
    grid: Grid<Entry<K>>,
    /// The pieces of each key, so a key can be removed.
    pieces_of: HashMap<K, Vec<u32>>,
}

impl<K> AreaIndex<K> {
    /// How many pieces are filed, and their vertices (closing ones included, as cut).
    pub fn piece_stats(&self) -> (usize, usize) {
        self.live().fold((0, 0), |(n, v), (id, p)| {
            (n + 1, v + p.vertices() + self.ring_count(id, p))
        })
    }

    /// Bytes held, roughly: (pieces and their vertices, the grid).
    pub fn heap_bytes(&self) -> (usize, usize) {
        let pieces = self.pieces.capacity() * size_of::<Piece<K>>()
            + self.coords.capacity() * size_of::<[i32; 2]>()
            + self.rings.values().map(|r| r.len() * 4 + 24).sum::<usize>()
            + self
                .pieces_of
                .values()
                .map(|v| v.capacity() * 4 + 48)
                .sum::<usize>();
        (pieces, self.grid.heap_bytes())
    }

    fn live(&self) -> impl Iterator<Item = (u32, &Piece<K>)> {
        (0u32..).zip(&self.pieces).filter(|(_, p)| !p.is_free())
    }

    fn ring_count(&self, id: u32, piece: &Piece<K>) -> usize {
        if piece.len & HOLED == 0 {
            1
        } else {
            self.rings.get(&id).map_or(1, |r| r.len())
        }
    }

    /// Whether piece `id` covers `p`, boundary included: its vertices in its frame's units,
    /// as `f64`s (in `buffer`), against the point in the same units.
    fn piece_covers(
        &self,
        id: u32,
        piece: &Piece<K>,
        p: Coord<f64>,
        buffer: &mut Vec<Coord<f64>>,
    ) -> bool {
        let start = piece.start as usize;
        buffer.clear();
        buffer.extend(
            self.coords[start..start + piece.vertices()]
                .iter()
                .map(|&[x, y]| Coord {
                    x: f64::from(x),
                    y: f64::from(y),
                }),
        );
        let rings = if piece.len & HOLED == 0 {
            Rings {
                vertices: buffer,
                lengths: &[],
                single: true,
            }
        } else {
            Rings {
                vertices: buffer,
                lengths: self.rings.get(&id).map_or(&[], |r| r),
                single: false,
            }
        };
        covers_point(rings, piece.frame().point(p))
    }
}

/// The rings of a piece, one slice each.
struct Rings<'a> {
    vertices: &'a [Coord<f64>],
    lengths: &'a [u32],
    single: bool,
}

impl<'a> Iterator for Rings<'a> {
    type Item = &'a [Coord<f64>];

    fn next(&mut self) -> Option<Self::Item> {
        if self.single {
            self.single = false;
            return Some(std::mem::take(&mut self.vertices));
        }
        let (&len, rest) = self.lengths.split_first()?;
        self.lengths = rest;
        let (ring, tail) = self
            .vertices
            .split_at((len as usize).min(self.vertices.len()));
        self.vertices = tail;
        Some(ring)
    }
}

impl<K: Clone> Default for AreaIndex<K> {
    fn default() -> Self {
        Self {
            pieces: Vec::new(),
            free: Vec::new(),
            coords: Vec::new(),
            dead: 0,
            rings: HashMap::new(),
            grid: Grid::new(CELL_LON, CELL_LAT),
            pieces_of: HashMap::new(),
        }
    }
}

/// Cuts `polygon` into pieces of at most `max` vertices.
pub fn split_polygon(polygon: Polygon<f64>, max: usize) -> Vec<Polygon<f64>> {
    let mut out = Vec::new();
    split_into(polygon, max, 0, &mut out);
    out
}

/// Cuts `polygon` into pieces of at most `max` vertices, for the index: first by a grid of
/// lines over its box in one operation (fine enough that a cell holds about `max / 2` of its
/// vertices), then any piece still too large by halving ([`split_polygon`]). One slicing
/// costs about what one halving does, where halving down to `max` takes a dozen.
fn slice_polygon(polygon: Polygon<f64>, max: usize) -> Vec<Polygon<f64>> {
    use i_overlay::core::fill_rule::FillRule;
    use i_overlay::float::slice::FloatSlice;
    let n = polygon.coords_count();
    let Some(rect) = polygon.bounding_rect() else {
        return Vec::new();
    };
    if n <= max {
        return vec![polygon];
    }
    // Cells about square on the ground (a degree of longitude is 0.62 of one of latitude).
    let cells = (2 * n / max).max(2) as f64;
    let (w, h) = (rect.width() * 0.62, rect.height());
    let side = (w * h / cells).sqrt();
    let (cols, rows) = (
        ((w / side).round() as usize).clamp(1, 512),
        ((h / side).round() as usize).clamp(1, 512),
    );
    let (min, max_c) = (rect.min(), rect.max());
    let (pad_x, pad_y) = (rect.width() * 0.01 + 1e-9, rect.height() * 0.01 + 1e-9);
    let mut lines: Vec<Vec<[f64; 2]>> = Vec::with_capacity(cols + rows);
    for i in 1..cols {
        let x = min.x + rect.width() * i as f64 / cols as f64;
        lines.push(vec![[x, min.y - pad_y], [x, max_c.y + pad_y]]);
    }
    for j in 1..rows {
        let y = min.y + rect.height() * j as f64 / rows as f64;
        lines.push(vec![[min.x - pad_x, y], [max_c.x + pad_x, y]]);
    }
    if lines.is_empty() {
        return split_polygon(polygon, max);
    }
    let ring = |r: &geo::LineString<f64>| -> Vec<[f64; 2]> {
        r.0[..r.0.len().saturating_sub(1)]
            .iter()
            .map(|c| [c.x, c.y])
            .collect()
    };
    let shape: Vec<Vec<[f64; 2]>> = std::iter::once(polygon.exterior())
        .chain(polygon.interiors())
        .map(ring)
        .collect();
    let mut out = Vec::new();
    for piece in shape.slice_by(&lines, FillRule::EvenOdd) {
        let mut rings = piece.into_iter().map(|contour| {
            let mut coords: Vec<Coord<f64>> =
                contour.into_iter().map(|[x, y]| Coord { x, y }).collect();
            if let Some(&first) = coords.first() {
                coords.push(first);
            }
            geo::LineString::new(coords)
        });
        let Some(exterior) = rings.next() else {
            continue;
        };
        let piece = Polygon::new(exterior, rings.collect());
        if piece.coords_count() <= max {
            out.push(piece);
        } else {
            out.extend(split_polygon(piece, max));
        }
    }
    out
}

fn split_into(polygon: Polygon<f64>, max: usize, depth: usize, out: &mut Vec<Polygon<f64>>) {
    let n = polygon.coords_count();
    let Some(rect) = polygon.bounding_rect() else {
        return;
    };
    if n <= max || depth >= MAX_SPLIT_DEPTH {
        out.push(polygon);
        return;
    }
    let (min, max_c) = (rect.min(), rect.max());
    // Halve along the longer side (longitude shrunk by cos 52°, the country's middle).
    let halves = if rect.width() * 0.62 >= rect.height() {
        let mid = (min.x + max_c.x) / 2.0;
        [
            Rect::new(min, Coord { x: mid, y: max_c.y }),
            Rect::new(Coord { x: mid, y: min.y }, max_c),
        ]
    } else {
        let mid = (min.y + max_c.y) / 2.0;
        [
            Rect::new(min, Coord { x: max_c.x, y: mid }),
            Rect::new(Coord { x: min.x, y: mid }, max_c),
        ]
    };
    for half in halves {
        for piece in polygon.intersection(&half.to_polygon()) {
            split_into(piece, max, depth + 1, out);
        }
    }
}

/// Whether the polygon of `rings` (each without its closing vertex, exterior first) covers
/// `p`, boundary included (like `polygon.intersects(&p)`, and as exact), by counting the edges
/// a ray from `p` eastwards crosses, with each crossing's side decided by the orientation of
/// `p` against the edge. Where that orientation is too near 0 to trust in floating point
/// (Shewchuk's error bound for `orient2d`), the exact orientation decides: 0 means `p` lies on
/// the edge. Most points are nowhere near an edge, and this is several times faster than
/// geo's exact test on the pieces' few vertices.
fn covers_point<'a>(rings: impl IntoIterator<Item = &'a [Coord<f64>]>, p: Coord<f64>) -> bool {
    /// `(3 + 16 ε) ε` for `f64`: Shewchuk's bound on the error of the plain determinant.
    const ORIENT_BOUND: f64 = 3.330_669_073_875_471_6e-16;
    let mut inside = false;
    for ring in rings {
        let Some(last) = ring.last() else {
            continue;
        };
        // Each edge, the closing one first.
        for (&a, &b) in std::iter::once(last).chain(ring).zip(ring) {
            // Edges whose closed span of latitude misses p's cannot cross the ray or hold p.
            if (a.y > p.y && b.y > p.y) || (a.y < p.y && b.y < p.y) {
                continue;
            }
            let left = (a.x - p.x) * (b.y - p.y);
            let right = (a.y - p.y) * (b.x - p.x);
            let mut det = left - right;
            if det.abs() <= ORIENT_BOUND * (left.abs() + right.abs()) {
                det = robust::orient2d(
                    robust::Coord { x: a.x, y: a.y },
                    robust::Coord { x: b.x, y: b.y },
                    robust::Coord { x: p.x, y: p.y },
                );
                // On the edge's line within its span of latitude: on the edge, unless the edge
                // is level and p beside it.
                if det == 0.0 {
                    if p.x >= a.x.min(b.x) && p.x <= a.x.max(b.x) {
                        return true;
                    }
                    continue;
                }
            }
            // Half-open in latitude, so a vertex on the ray counts once; the crossing lies east
            // of p when p is left of an upward edge or right of a downward one.
            if (a.y <= p.y) != (b.y <= p.y) && (det > 0.0) == (b.y > a.y) {
                inside = !inside;
            }
        }
    }
    inside
}

/// Whether `polygon` covers all of `rect`: no edge comes near the rectangle (enlarged by a
/// hair, more than a vertex moves in its piece's units, so rounding can only say no) and its
/// centre is inside.
fn covers_rect(polygon: &Polygon<f64>, rect: Rect<f64>) -> bool {
    const HAIR: f64 = 2e-8;
    let (lo, hi) = (
        Coord {
            x: rect.min().x - HAIR,
            y: rect.min().y - HAIR,
        },
        Coord {
            x: rect.max().x + HAIR,
            y: rect.max().y + HAIR,
        },
    );
    let corners = [
        lo,
        Coord { x: hi.x, y: lo.y },
        hi,
        Coord { x: lo.x, y: hi.y },
    ];
    let edge_meets = |a: Coord<f64>, b: Coord<f64>| -> bool {
        if a.x.max(b.x) < lo.x || a.x.min(b.x) > hi.x || a.y.max(b.y) < lo.y || a.y.min(b.y) > hi.y
        {
            return false;
        }
        // The boxes overlap: the edge misses only if every corner lies strictly on one side.
        let side = |c: Coord<f64>| (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
        let sides = corners.map(side);
        !(sides.iter().all(|s| *s > 0.0) || sides.iter().all(|s| *s < 0.0))
    };
    let near = std::iter::once(polygon.exterior())
        .chain(polygon.interiors())
        .flat_map(|ring| ring.lines())
        .any(|l| edge_meets(l.start, l.end));
    !near && polygon.intersects(&rect.center())
}

/// One piece of an area: its polygon, box and the grid cells its box meets, each with whether
/// the piece covers the whole cell.
#[derive(Debug)]
struct Cut {
    polygon: Polygon<f64>,
    rect: Rect<f64>,
    cells: Vec<(usize, bool)>,
}

/// Cuts `area` into pieces of at most [`MAX_PIECE_VERTICES`] and finds their cells in `grid`
/// (pure: areas can be cut in parallel and filed after).
fn cut<T>(grid: &Grid<T>, area: MultiPolygon<f64>) -> Vec<Cut> {
    let mut out = Vec::new();
    for polygon in area {
        for piece in slice_polygon(polygon, MAX_PIECE_VERTICES) {
            let Some(rect) = piece.bounding_rect() else {
                continue;
            };
            // Kept for the index's lifetime: without the room the boolean operations left in
            // the rings (about as much again).
            let (mut exterior, mut interiors) = piece.into_inner();
            exterior.0.shrink_to_fit();
            for ring in &mut interiors {
                ring.0.shrink_to_fit();
            }
            interiors.shrink_to_fit();
            let piece = Polygon::new(exterior, interiors);
            let cells = grid
                .cells_over(rect.min(), rect.max())
                .map(|cell| {
                    let cell_rect = grid.rect_of(cell);
                    let full = rect.min().x <= cell_rect.min().x
                        && rect.min().y <= cell_rect.min().y
                        && rect.max().x >= cell_rect.max().x
                        && rect.max().y >= cell_rect.max().y
                        && covers_rect(&piece, cell_rect);
                    (cell, full)
                })
                .collect();
            out.push(Cut {
                polygon: piece,
                rect,
                cells,
            });
        }
    }
    out
}

/// `area` cut into the pieces an [`AreaIndex`] files (pure: the costly part of filing an area,
/// so that areas can be cut on every core, or while more are read).
fn cut_area(area: MultiPolygon<f64>) -> Vec<Cut> {
    static GRID: std::sync::LazyLock<Grid<()>> =
        std::sync::LazyLock::new(|| Grid::new(CELL_LON, CELL_LAT));
    cut(&GRID, area)
}

impl<K: Copy + Eq + Hash + Ord> AreaIndex<K> {
    /// Builds the index for many areas at once (the areas are cut into pieces on every core;
    /// a key given twice keeps its last area).
    pub fn build(areas: impl IntoIterator<Item = (K, MultiPolygon<f64>)>) -> Self
    where
        K: Send + Sync,
    {
        let areas: Vec<(K, MultiPolygon<f64>)> = areas.into_iter().collect();
        Self::from_cuts(
            areas
                .into_par_iter()
                .map(|(key, area)| (key, cut_area(area)))
                .collect(),
        )
    }

    /// Builds the index from areas cut by [`cut_area`] (a key given twice keeps its last).
    fn from_cuts(cut: Vec<(K, Vec<Cut>)>) -> Self {
        let mut index = Self::default();
        index
            .pieces
            .reserve_exact(cut.iter().map(|(_, pieces)| pieces.len()).sum());
        index.coords.reserve_exact(
            cut.iter()
                .flat_map(|(_, pieces)| pieces)
                .map(|c| c.polygon.coords_count())
                .sum(),
        );
        for (key, pieces) in cut {
            index.forget(key);
            index.file(key, pieces);
        }
        index.seal();
        index
    }

    /// Sets (or replaces) the area of `key`.
    pub fn upsert(&mut self, key: K, area: MultiPolygon<f64>) {
        self.forget(key);
        self.insert(key, area);
        self.seal();
    }

    /// Forgets `key`.
    pub fn remove(&mut self, key: K) {
        self.forget(key);
        self.seal();
    }

    /// Files the pieces of `key`'s area (unsealed).
    fn insert(&mut self, key: K, area: MultiPolygon<f64>) {
        let pieces = cut_area(area);
        self.file(key, pieces);
    }

    /// Files pieces cut by [`cut`] under `key` (unsealed).
    fn file(&mut self, key: K, pieces: Vec<Cut>) {
        let mut ids = Vec::with_capacity(pieces.len());
        for Cut {
            polygon,
            rect,
            cells,
        } in pieces
        {
            // The box a hair larger than the polygon's, so that it holds the vertices as kept
            // (rounded to the frame's units); the frame is its low corner.
            let rect = Rect::new(
                Coord {
                    x: rect.min().x - 1e-8,
                    y: rect.min().y - 1e-8,
                },
                Coord {
                    x: rect.max().x + 1e-8,
                    y: rect.max().y + 1e-8,
                },
            );
            let mut piece = Piece::new(&rect, FREE, 0, key);
            let coarse = !piece.fits_fine();
            let frame = Frame::at(piece.lo, coarse);
            let id = match self.free.pop() {
                Some(id) => id,
                None => {
                    self.pieces.push(piece);
                    u32::try_from(self.pieces.len() - 1).unwrap_or(FULL - 1)
                }
            };
            for (cell, full) in cells {
                let tag = if full { id | FULL } else { id };
                self.grid.push(cell, Entry { tag, key });
            }
            let start = u32::try_from(self.coords.len()).unwrap_or(FREE - 1);
            let mut lengths = Vec::new();
            for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                let open = crate::packed::open(ring);
                self.coords.extend(open.iter().map(|&c| frame.vertex(c)));
                lengths.push(u32::try_from(open.len()).unwrap_or(u32::MAX));
            }
            let len = u32::try_from(self.coords.len() - start as usize).unwrap_or(COARSE_BIT - 1);
            let len = if coarse { len | COARSE_BIT } else { len };
            let len = if lengths.len() > 1 {
                self.rings.insert(id, lengths.into_boxed_slice());
                len | HOLED
            } else {
                len
            };
            piece.start = start;
            piece.len = len;
            self.pieces[id as usize] = piece;
            ids.push(id);
        }
        self.pieces_of.insert(key, ids);
    }

    /// Takes the pieces of `key` out (unsealed).
    fn forget(&mut self, key: K) {
        let Some(ids) = self.pieces_of.remove(&key) else {
            return;
        };
        for id in ids {
            let slot = &mut self.pieces[id as usize];
            let piece = *slot;
            slot.start = FREE;
            slot.len = 0;
            if piece.is_free() {
                continue;
            }
            let rect = piece.rect();
            for cell in self.grid.cells_over(rect.min(), rect.max()) {
                self.grid.retain(cell, |e| e.piece() != id);
            }
            self.dead += piece.vertices();
            self.rings.remove(&id);
            self.free.push(id);
        }
    }

    /// Merges what was filed into the grid, and moves the live vertices together once a
    /// quarter of the pool is dead.
    fn seal(&mut self) {
        self.grid.seal();
        if self.dead > 0 && self.dead * 4 >= self.coords.len() {
            let mut coords = Vec::with_capacity(self.coords.len() - self.dead);
            for piece in self.pieces.iter_mut().filter(|p| !p.is_free()) {
                let start = piece.start as usize;
                let moved = u32::try_from(coords.len()).unwrap_or(FREE - 1);
                coords.extend_from_slice(&self.coords[start..start + piece.vertices()]);
                piece.start = moved;
            }
            self.coords = coords;
            self.dead = 0;
        }
    }

    pub fn contains_key(&self, key: K) -> bool {
        self.pieces_of.contains_key(&key)
    }

    /// The keys of the pieces whose bounding box meets `rect` (a key may come more than
    /// once).
    pub fn keys_meeting(&self, rect: Rect<f64>) -> impl Iterator<Item = K> {
        self.grid.over(rect.min(), rect.max()).filter_map(move |e| {
            let piece = &self.pieces[e.piece() as usize];
            (!piece.is_free() && piece.rect().intersects(&rect)).then_some(piece.key)
        })
    }

    /// Number of indexed pieces.
    pub fn piece_count(&self) -> usize {
        self.pieces.len() - self.free.len()
    }

    /// The keys whose area covers (`lon`, `lat`), boundary included, sorted.
    pub fn covering(&self, lon: f64, lat: f64) -> Vec<K> {
        let p = Coord { x: lon, y: lat };
        // Outside the grid the point is not in its cell's rectangle: test every piece.
        let trust_full = self.grid.holds(p);
        // Two passes: first the boxes of the cell's pieces, then the point-in-polygon tests on
        // those whose box holds the point. The pieces lie scattered in memory; a short first
        // loop lets the processor fetch many of them at once, where a test between two
        // fetches would make each wait for the last (radius-0 search at 5,000 networks: 25 ->
        // 19.5 us).
        let units = Coord {
            x: lon * GRID,
            y: lat * GRID,
        };
        let mut keys: Vec<K> = Vec::new();
        let mut maybe: Vec<u32> = Vec::new();
        for e in self.grid.cell(self.grid.cell_of(p)) {
            if e.full() && trust_full {
                keys.push(e.key);
            } else {
                let piece = &self.pieces[e.piece() as usize];
                if !piece.is_free() && piece.holds(units) {
                    maybe.push(e.piece());
                }
            }
        }
        let mut buffer = Vec::with_capacity(2 * MAX_PIECE_VERTICES);
        keys.extend(maybe.into_iter().filter_map(|id| {
            let piece = &self.pieces[id as usize];
            self.piece_covers(id, piece, p, &mut buffer)
                .then_some(piece.key)
        }));
        keys.sort();
        keys.dedup();
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Contains;

    fn square(x: f64, y: f64, d: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![Rect::new((x, y), (x + d, y + d)).to_polygon()])
    }

    /// Seeded numbers in [0, 1), the same on every run (a 64-bit LCG's top 53 bits).
    fn uniform(seed: u64) -> impl FnMut() -> f64 {
        let mut state = seed;
        move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// A star-shaped polygon with many vertices, so it gets split.
    fn star(cx: f64, cy: f64, n: usize) -> Polygon<f64> {
        let mut ring: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                let r = if i % 2 == 0 { 0.2 } else { 0.12 };
                (cx + r * a.cos(), cy + r * a.sin())
            })
            .collect();
        ring.push(ring[0]);
        Polygon::new(ring.into(), vec![])
    }

    #[test]
    fn split_pieces_are_small_and_cover_the_same_points() {
        let polygon = star(5.5, 52.3, 1200);
        for pieces in [
            split_polygon(polygon.clone(), MAX_PIECE_VERTICES),
            slice_polygon(polygon.clone(), MAX_PIECE_VERTICES),
        ] {
            same_points(&polygon, &pieces);
        }
        // With a hole, and the hole cut too.
        let ring = |p: Polygon<f64>| p.exterior().clone();
        let holed = Polygon::new(
            ring(star(5.5, 52.3, 1200)),
            vec![ring(star(5.5, 52.3, 300))],
        );
        let mut small = holed.clone();
        small.exterior_mut(|r| {
            for c in r.0.iter_mut() {
                c.x = 5.5 + (c.x - 5.5) * 2.5;
                c.y = 52.3 + (c.y - 52.3) * 2.5;
            }
        });
        same_points(&small, &slice_polygon(small.clone(), MAX_PIECE_VERTICES));
    }

    /// `pieces` are at most [`MAX_PIECE_VERTICES`] each and cover the points `polygon` covers.
    fn same_points(polygon: &Polygon<f64>, pieces: &[Polygon<f64>]) {
        assert!(pieces.len() > 4);
        assert!(
            pieces
                .iter()
                .all(|p| p.coords_count() <= MAX_PIECE_VERTICES)
        );
        let mut next = uniform(12345);
        for _ in 0..2000 {
            let x = 5.25 + next() * 0.5;
            let y = 52.05 + next() * 0.5;
            let inside = polygon.contains(&Coord { x, y });
            let in_pieces = pieces.iter().any(|p| p.intersects(&Coord { x, y }));
            assert_eq!(inside, in_pieces, "({x}, {y})");
        }
    }

    #[test]
    fn covers_point_agrees_with_the_exact_test() {
        let mut next = uniform(7);
        let outer = Rect::new((5.0, 52.0), (5.6, 52.4)).to_polygon();
        let hole = Rect::new((5.1, 52.1), (5.3, 52.3)).to_polygon();
        let holed = Polygon::new(outer.exterior().clone(), vec![hole.exterior().clone()]);
        for polygon in [star(5.3, 52.2, 40), star(5.3, 52.2, 7), holed] {
            let coords: Vec<Coord<f64>> = polygon.coords_iter().collect();
            let mut points: Vec<Coord<f64>> = Vec::new();
            for (i, w) in coords.windows(2).enumerate() {
                // Every vertex, points along the edges (on them up to rounding), and near them.
                points.push(w[0]);
                let t = next();
                let on = Coord {
                    x: w[0].x + (w[1].x - w[0].x) * t,
                    y: w[0].y + (w[1].y - w[0].y) * t,
                };
                points.push(on);
                points.push(Coord {
                    x: on.x + (next() - 0.5) * 1e-12,
                    y: on.y,
                });
                points.push(Coord { x: on.x, y: w[0].y });
                points.push(Coord {
                    x: coords[(i * 7) % coords.len()].x,
                    y: w[0].y,
                });
            }
            for _ in 0..5_000 {
                points.push(Coord {
                    x: 4.9 + next() * 0.8,
                    y: 51.9 + next() * 0.6,
                });
            }
            let open: Vec<&[Coord<f64>]> = std::iter::once(polygon.exterior())
                .chain(polygon.interiors())
                .map(|r| &r.0[..r.0.len() - 1])
                .collect();
            for p in points {
                assert_eq!(
                    covers_point(open.iter().copied(), p),
                    polygon.intersects(&p),
                    "{p:?}"
                );
            }
        }
    }

    #[test]
    fn covering_agrees_with_point_in_polygon() {
        let mut next = uniform(99);
        // Stars big and small (many full cells, many partial ones), a ring with a hole, and a
        // square across the grid's corner.
        let mut areas: Vec<(u32, MultiPolygon<f64>)> = (0..40)
            .map(|k| {
                let (x, y) = (3.5 + next() * 3.5, 50.8 + next() * 2.8);
                let mut s = star(x, y, 40 + (next() * 800.0) as usize);
                let scale = 0.05 + next() * 2.0;
                s.exterior_mut(|ring| {
                    for c in ring.0.iter_mut() {
                        c.x = x + (c.x - x) * scale;
                        c.y = y + (c.y - y) * scale;
                    }
                });
                (k, MultiPolygon::new(vec![s]))
            })
            .collect();
        let outer = Rect::new((5.0, 52.0), (5.6, 52.4)).to_polygon();
        let hole = Rect::new((5.1, 52.1), (5.3, 52.3)).to_polygon();
        areas.push((
            40,
            MultiPolygon::new(vec![Polygon::new(
                outer.exterior().clone(),
                vec![hole.exterior().clone()],
            )]),
        ));
        areas.push((41, square(7.4, 53.6, 0.5)));
        let index = AreaIndex::build(areas.clone());
        for _ in 0..20_000 {
            let (x, y) = (2.8 + next() * 5.2, 50.4 + next() * 3.8);
            let p = Coord { x, y };
            let want: Vec<u32> = areas
                .iter()
                .filter(|(_, a)| a.intersects(&p))
                .map(|(k, _)| *k)
                .collect();
            assert_eq!(index.covering(x, y), want, "({x}, {y})");
        }
    }

    #[test]
    fn edits_keep_lookups_exact_as_the_pool_is_compacted() {
        let mut next = uniform(2024);
        let star_at = |next: &mut dyn FnMut() -> f64| {
            let (x, y) = (4.0 + next() * 2.5, 51.0 + next() * 2.0);
            let mut s = star(x, y, 20 + (next() * 300.0) as usize);
            let scale = 0.2 + next();
            s.exterior_mut(|ring| {
                for c in ring.0.iter_mut() {
                    c.x = x + (c.x - x) * scale;
                    c.y = y + (c.y - y) * scale;
                }
            });
            MultiPolygon::new(vec![s])
        };
        let mut areas: HashMap<u32, MultiPolygon<f64>> =
            (0..20).map(|k| (k, star_at(&mut next))).collect();
        let mut index = AreaIndex::build(areas.clone());
        for round in 0..60 {
            let key = (next() * 25.0) as u32;
            if round % 4 == 3 {
                index.remove(key);
                areas.remove(&key);
            } else {
                let area = star_at(&mut next);
                index.upsert(key, area.clone());
                areas.insert(key, area);
            }
            assert!(index.dead * 4 < index.coords.len().max(1), "compacted");
            for _ in 0..300 {
                let (x, y) = (3.6 + next() * 3.4, 50.6 + next() * 2.8);
                let p = Coord { x, y };
                let mut want: Vec<u32> = areas
                    .iter()
                    .filter(|(_, a)| a.intersects(&p))
                    .map(|(k, _)| *k)
                    .collect();
                want.sort();
                assert_eq!(index.covering(x, y), want, "round {round} ({x}, {y})");
            }
        }
    }

    #[test]
    fn a_piece_wider_than_fine_units_allow_is_kept_coarse() {
        // 30° wide: beyond i32s of 10⁻⁸° from its corner, so in 10⁻⁶° units; a vertex and
        // points on and off its edges still come out right.
        let triangle = MultiPolygon::new(vec![Polygon::new(
            geo::LineString::from(vec![
                (-10.0, 40.0),
                (20.0, 40.0),
                (5.0, 41.0),
                (-10.0, 40.0),
            ]),
            vec![],
        )]);
        let index = AreaIndex::build([(1u32, triangle)]);
        assert_eq!(index.piece_count(), 1);
        assert!(index.pieces[0].len & COARSE_BIT != 0);
        assert_eq!(index.covering(5.0, 41.0), vec![1]);
        assert_eq!(index.covering(5.0, 40.0), vec![1]);
        assert_eq!(index.covering(5.0, 40.5), vec![1]);
        assert!(index.covering(5.0, 41.001).is_empty());
        assert!(index.covering(5.0, 39.999).is_empty());
    }

    #[test]
    fn vertices_on_the_grid_stay_on_the_boundary() {
        // A stored area (on the 7-decimal grid), large enough to be cut into many pieces: each
        // of its vertices is on its boundary, so covered, also where a cut runs near it; a
        // step of one grid unit outwards from the centre leaves it.
        let (lat, lon) = (52.2, 5.3);
        let circle =
            crate::geojson_io::canonical(&MultiPolygon::new(vec![crate::geodesy::circle(
                lat, lon, 15.0, 2000,
            )]));
        let index = AreaIndex::build([(1u32, circle.clone())]);
        assert!(index.piece_count() > 60, "{} pieces", index.piece_count());
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
    fn covering() {
        let mut index = AreaIndex::build([
            (1u32, square(5.0, 52.0, 0.1)),
            (2, square(5.05, 52.0, 0.1)),
            (3, square(6.0, 52.0, 0.1)),
        ]);
        assert_eq!(index.covering(5.07, 52.05), vec![1, 2]);
        assert_eq!(index.covering(5.02, 52.05), vec![1]);
        assert_eq!(
            index.covering(5.1, 52.05),
            vec![1, 2],
            "the boundary counts"
        );
        assert!(index.covering(5.5, 52.05).is_empty());
        index.remove(1);
        assert_eq!(index.covering(5.07, 52.05), vec![2]);
        index.upsert(2, square(7.0, 53.0, 0.1));
        assert!(index.covering(5.07, 52.05).is_empty());
        assert_eq!(index.covering(7.05, 53.05), vec![2]);
        assert_eq!(index.piece_count(), 2);
    }
}
