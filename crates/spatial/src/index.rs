//! The in-memory spatial index behind "find a network".
//!
//! Each area is cut into pieces of at most [`MAX_PIECE_VERTICES`] vertices (recursive halving
//! of the bounding box), and the pieces go into an R-tree (`rstar`). A point lookup then tests
//! only the few small pieces whose box holds the point. Containment is exact in WGS84 degrees
//! and includes the boundary (like PostGIS `ST_Covers`); distances are computed in a local
//! equirectangular frame around the query point (error well under 1 % within 100 km).

use crate::geodesy::KM_PER_DEGREE;
use geo::{BooleanOps, BoundingRect, Coord, CoordsIter, Intersects, MultiPolygon, Polygon, Rect};
use rstar::{AABB, RTree, RTreeObject};
use std::collections::HashMap;
use std::hash::Hash;

/// Largest number of vertices in one indexed piece. 128 searched fastest on the synthetic
/// registry with densified municipality borders (wrk, 10 s each: 64 → 9,800 req/s,
/// 128 → 11,900, 256 → 10,800, 1,024 → 7,200): smaller pieces cost more in the R-tree walk and
/// the sort, larger ones in the exact distances.
pub const MAX_PIECE_VERTICES: usize = 128;
const MAX_SPLIT_DEPTH: usize = 16;

#[derive(Debug, Clone)]
struct Piece<K> {
    key: K,
    id: u64,
    polygon: Polygon<f64>,
    envelope: AABB<[f64; 2]>,
}

/// A piece's id and box: enough to find it again in the tree.
type PieceRef = (u64, AABB<[f64; 2]>);

impl<K> RTreeObject for Piece<K> {
    type Envelope = AABB<[f64; 2]>;

    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

impl<K> PartialEq for Piece<K> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

/// Areas by key, indexed for point-in-area and distance queries.
#[derive(Debug)]
pub struct AreaIndex<K> {
    tree: RTree<Piece<K>>,
    /// The pieces of each key (id and box), so a key can be removed.
    pieces_of: HashMap<K, Vec<PieceRef>>,
    next_id: u64,
}

impl<K> Default for AreaIndex<K> {
    fn default() -> Self {
        Self {
            tree: RTree::new(),
            pieces_of: HashMap::new(),
            next_id: 0,
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

fn envelope_of(polygon: &Polygon<f64>) -> Option<AABB<[f64; 2]>> {
    polygon
        .bounding_rect()
        .map(|r| AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]))
}

/// Distance in km from `p` to `polygon` (0 inside or on the boundary), in the local frame
/// where one degree of longitude is `kx` degrees of latitude. `may_contain`: whether `p` lies in
/// the polygon's box (otherwise it cannot be inside, and the point-in-polygon test is skipped).
fn distance_km(polygon: &Polygon<f64>, p: Coord<f64>, kx: f64, may_contain: bool) -> f64 {
    if may_contain && polygon.intersects(&p) {
        return 0.0;
    }
    let mut best = f64::INFINITY;
    for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
        for line in ring.lines() {
            let (ax, ay) = ((line.start.x - p.x) * kx, line.start.y - p.y);
            let (bx, by) = ((line.end.x - p.x) * kx, line.end.y - p.y);
            let (dx, dy) = (bx - ax, by - ay);
            let len2 = dx * dx + dy * dy;
            let t = if len2 > 0.0 {
                (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let (cx, cy) = (ax + t * dx, ay + t * dy);
            best = best.min(cx * cx + cy * cy);
        }
    }
    best.sqrt() * KM_PER_DEGREE
}

fn box_distance_km(envelope: &AABB<[f64; 2]>, p: Coord<f64>, kx: f64) -> f64 {
    let (lo, hi) = (envelope.lower(), envelope.upper());
    let dx = (lo[0] - p.x).max(p.x - hi[0]).max(0.0) * kx;
    let dy = (lo[1] - p.y).max(p.y - hi[1]).max(0.0);
    (dx * dx + dy * dy).sqrt() * KM_PER_DEGREE
}

impl<K: Copy + Eq + Hash + Ord> AreaIndex<K> {
    /// Builds the index for many areas at once (bulk-loaded R-tree).
    pub fn build(areas: impl IntoIterator<Item = (K, MultiPolygon<f64>)>) -> Self {
        let mut index = Self::default();
        let mut all = Vec::new();
        for (key, area) in areas {
            all.extend(index.pieces(key, area));
        }
        index.tree = RTree::bulk_load(all);
        index
    }

    fn pieces(&mut self, key: K, area: MultiPolygon<f64>) -> Vec<Piece<K>> {
        let mut out = Vec::new();
        let list = self.pieces_of.entry(key).or_default();
        for polygon in area {
            for piece in split_polygon(polygon, MAX_PIECE_VERTICES) {
                if let Some(envelope) = envelope_of(&piece) {
                    let id = self.next_id;
                    self.next_id += 1;
                    list.push((id, envelope));
                    out.push(Piece {
                        key,
                        id,
                        polygon: piece,
                        envelope,
                    });
                }
            }
        }
        out
    }

    /// Sets (or replaces) the area of `key`.
    pub fn upsert(&mut self, key: K, area: MultiPolygon<f64>) {
        self.remove(key);
        for piece in self.pieces(key, area) {
            self.tree.insert(piece);
        }
    }

    /// Forgets `key`.
    pub fn remove(&mut self, key: K) {
        if let Some(list) = self.pieces_of.remove(&key) {
            for (id, envelope) in list {
                let probe = Piece {
                    key,
                    id,
                    polygon: Polygon::new(geo::LineString::new(vec![]), vec![]),
                    envelope,
                };
                self.tree.remove(&probe);
            }
        }
    }

    pub fn contains_key(&self, key: K) -> bool {
        self.pieces_of.contains_key(&key)
    }

    /// The pieces whose bounding box meets `rect`, with their keys.
    pub fn pieces_in(&self, rect: Rect<f64>) -> impl Iterator<Item = (K, &Polygon<f64>)> {
        let envelope =
            AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]);
        self.tree
            .locate_in_envelope_intersecting(&envelope)
            .map(|piece| (piece.key, &piece.polygon))
    }

    /// Number of indexed pieces.
    pub fn piece_count(&self) -> usize {
        self.tree.size()
    }

    /// The keys whose area covers (`lon`, `lat`), boundary included, sorted.
    pub fn covering(&self, lon: f64, lat: f64) -> Vec<K> {
        let p = Coord { x: lon, y: lat };
        let mut keys: Vec<K> = self
            .tree
            .locate_in_envelope_intersecting(&AABB::from_point([lon, lat]))
            .filter(|piece| piece.polygon.intersects(&p))
            .map(|piece| piece.key)
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// Every key whose area lies within `radius_km` of (`lon`, `lat`), with its distance in km
    /// (0 when the area covers the point), nearest first.
    pub fn nearby(&self, lon: f64, lat: f64, radius_km: f64) -> Vec<(K, f64)> {
        let p = Coord { x: lon, y: lat };
        let kx = lat.to_radians().cos().max(0.01);
        let dlat = radius_km / KM_PER_DEGREE;
        let dlon = dlat / kx;
        let search = AABB::from_corners([lon - dlon, lat - dlat], [lon + dlon, lat + dlat]);
        let mut candidates: Vec<(f64, &Piece<K>)> = self
            .tree
            .locate_in_envelope_intersecting(&search)
            .map(|piece| (box_distance_km(&piece.envelope, p, kx), piece))
            .filter(|(d, _)| *d <= radius_km)
            .collect();
        candidates.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut best: HashMap<K, f64> = HashMap::new();
        for (box_distance, piece) in candidates {
            if best.get(&piece.key).is_some_and(|d| *d <= box_distance) {
                continue;
            }
            let d = distance_km(&piece.polygon, p, kx, box_distance == 0.0);
            let entry = best.entry(piece.key).or_insert(f64::INFINITY);
            if d < *entry {
                *entry = d;
            }
        }
        let mut out: Vec<(K, f64)> = best.into_iter().filter(|(_, d)| *d <= radius_km).collect();
        out.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        out
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
    fn covering_and_nearby() {
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
        let near = index.nearby(5.02, 52.05, 100.0);
        assert_eq!(
            near.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert_eq!(near[0].1, 0.0);
        // Key 2 starts 0.03° of longitude east: about 0.03 × 111.195 × cos 52.05° ≈ 2.05 km.
        assert!((near[1].1 - 2.05).abs() < 0.05, "{}", near[1].1);
        // Key 3 is about 0.88° east: ~60 km, outside a 25 km radius.
        assert_eq!(index.nearby(5.02, 52.05, 25.0).len(), 2);
        index.remove(1);
        assert_eq!(index.covering(5.07, 52.05), vec![2]);
        index.upsert(2, square(7.0, 53.0, 0.1));
        assert!(index.covering(5.07, 52.05).is_empty());
        assert_eq!(index.covering(7.05, 53.05), vec![2]);
        assert_eq!(index.piece_count(), 2);
    }
}
