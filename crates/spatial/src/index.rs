//! Point-in-area lookups over many areas: which areas (service areas, regions) cover a point.
//!
//! Each area is cut into pieces of at most [`MAX_PIECE_VERTICES`] vertices (recursive halving
//! of the bounding box), and each piece is filed in every cell of a uniform [`Grid`] that its
//! box meets, marked *full* when it covers the whole cell. A point lookup reads the one cell
//! holding the point: full entries cover it outright, the others get an exact point-in-polygon
//! test on their few vertices. Containment is exact in WGS84 degrees and includes the boundary
//! (like PostGIS `ST_Covers`). Distances are the business of [`crate::nearby`].

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

#[derive(Debug, Clone)]
struct Piece<K> {
    key: K,
    polygon: Polygon<f64>,
    rect: Rect<f64>,
}

/// A piece as filed in a cell.
#[derive(Debug, Clone, Copy)]
struct Entry {
    piece: u32,
    /// The piece covers the whole cell.
    full: bool,
}

/// Areas by key, indexed for point-in-area queries.
#[derive(Debug)]
pub struct AreaIndex<K> {
    pieces: Vec<Option<Piece<K>>>,
    free: Vec<u32>,
    grid: Grid<Entry>,
    /// The pieces of each key, so a key can be removed.
    pieces_of: HashMap<K, Vec<u32>>,
}

impl<K> AreaIndex<K> {
    /// How many pieces are filed, and their vertices.
    pub fn piece_stats(&self) -> (usize, usize) {
        self.pieces
            .iter()
            .flatten()
            .fold((0, 0), |(n, v), p| (n + 1, v + p.polygon.coords_count()))
    }

    /// Bytes held, roughly: (pieces' polygons, the grid).
    pub fn heap_bytes(&self) -> (usize, usize) {
        let coord = size_of::<geo::Coord<f64>>();
        let pieces = self.pieces.capacity() * size_of::<Option<Piece<K>>>()
            + self
                .pieces
                .iter()
                .flatten()
                .map(|p| {
                    std::iter::once(p.polygon.exterior())
                        .chain(p.polygon.interiors())
                        .map(|r| r.0.capacity() * coord)
                        .sum::<usize>()
                        + std::mem::size_of_val(p.polygon.interiors())
                })
                .sum::<usize>()
            + self
                .pieces_of
                .values()
                .map(|v| v.capacity() * 4 + 48)
                .sum::<usize>();
        (pieces, self.grid.heap_bytes())
    }
}

impl<K> Default for AreaIndex<K> {
    fn default() -> Self {
        Self {
            pieces: Vec::new(),
            free: Vec::new(),
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

/// Whether `polygon` covers all of `rect`: no edge comes near the rectangle (enlarged by a
/// hair, so rounding can only say no) and its centre is inside.
fn covers_rect(polygon: &Polygon<f64>, rect: Rect<f64>) -> bool {
    const HAIR: f64 = 1e-9;
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
        for piece in split_polygon(polygon, MAX_PIECE_VERTICES) {
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

impl<K: Copy + Eq + Hash + Ord> AreaIndex<K> {
    /// Builds the index for many areas at once (the areas are cut into pieces on every core;
    /// a key given twice keeps its last area).
    pub fn build(areas: impl IntoIterator<Item = (K, MultiPolygon<f64>)>) -> Self
    where
        K: Send,
    {
        let mut index = Self::default();
        let areas: Vec<(K, MultiPolygon<f64>)> = areas.into_iter().collect();
        let cut: Vec<(K, Vec<Cut>)> = {
            let grid = &index.grid;
            areas
                .into_par_iter()
                .map(|(key, area)| (key, cut(grid, area)))
                .collect()
        };
        for (key, pieces) in cut {
            index.forget(key);
            index.file(key, pieces);
        }
        index.grid.seal();
        index
    }

    /// Sets (or replaces) the area of `key`.
    pub fn upsert(&mut self, key: K, area: MultiPolygon<f64>) {
        self.forget(key);
        self.insert(key, area);
        self.grid.seal();
    }

    /// Forgets `key`.
    pub fn remove(&mut self, key: K) {
        self.forget(key);
        self.grid.seal();
    }

    /// Files the pieces of `key`'s area (unsealed).
    fn insert(&mut self, key: K, area: MultiPolygon<f64>) {
        let pieces = cut(&self.grid, area);
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
            let id = match self.free.pop() {
                Some(id) => id,
                None => {
                    self.pieces.push(None);
                    u32::try_from(self.pieces.len() - 1).unwrap_or(u32::MAX)
                }
            };
            for (cell, full) in cells {
                self.grid.push(cell, Entry { piece: id, full });
            }
            self.pieces[id as usize] = Some(Piece { key, polygon, rect });
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
            if let Some(piece) = self.pieces[id as usize].take() {
                for cell in self.grid.cells_over(piece.rect.min(), piece.rect.max()) {
                    self.grid.retain(cell, |e| e.piece != id);
                }
            }
            self.free.push(id);
        }
    }

    pub fn contains_key(&self, key: K) -> bool {
        self.pieces_of.contains_key(&key)
    }

    /// The pieces whose bounding box meets `rect`, with their keys (a piece may come more than
    /// once).
    pub fn pieces_in(&self, rect: Rect<f64>) -> impl Iterator<Item = (K, &Polygon<f64>)> {
        self.grid.over(rect.min(), rect.max()).filter_map(move |e| {
            let piece = self.pieces[e.piece as usize].as_ref()?;
            piece
                .rect
                .intersects(&rect)
                .then_some((piece.key, &piece.polygon))
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
        let mut keys: Vec<K> = self
            .grid
            .cell(self.grid.cell_of(p))
            .iter()
            .filter_map(|e| {
                let piece = self.pieces[e.piece as usize].as_ref()?;
                let inside = (e.full && trust_full)
                    || (piece.rect.intersects(&p) && piece.polygon.intersects(&p));
                inside.then_some(piece.key)
            })
            .collect();
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
        let pieces = split_polygon(polygon.clone(), MAX_PIECE_VERTICES);
        assert!(pieces.len() > 4);
        assert!(
            pieces
                .iter()
                .all(|p| p.coords_count() <= MAX_PIECE_VERTICES)
        );
        let mut state = 12345u64;
        for _ in 0..2000 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let x = 5.25 + (state >> 11) as f64 / (1u64 << 53) as f64 * 0.5;
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let y = 52.05 + (state >> 11) as f64 / (1u64 << 53) as f64 * 0.5;
            let inside = polygon.contains(&Coord { x, y });
            let in_pieces = pieces.iter().any(|p| p.intersects(&Coord { x, y }));
            assert_eq!(inside, in_pieces, "({x}, {y})");
        }
    }

    #[test]
    fn covering_agrees_with_point_in_polygon() {
        let mut state = 99u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
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
