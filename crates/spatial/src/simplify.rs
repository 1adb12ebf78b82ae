//! Region outlines simplified for drawing on a web map at a zoom level: the console's base maps
//! ask for a coarse layer first and finer ones as the user zooms in.
//!
//! Coordinates are WGS84 longitude, latitude in degrees. Zoom levels are those of Web Mercator
//! tiles (256 px per tile; at zoom `z` the world is `256 · 2^z` pixels wide).

use crate::regions::RegionLayer;
use geo::{Area, MultiPolygon, Polygon, SimplifyVwPreserve};
use rayon::prelude::*;

/// The highest zoom level an outline is simplified for (street level; beyond it the outline
/// would be the same).
pub const MAX_ZOOM: u8 = 18;

/// Half a screen pixel at zoom `zoom`, in degrees of longitude: what a simplified outline may
/// deviate from the real one without anyone seeing it. (At the Netherlands' latitude a degree
/// of latitude spans 1.6 times the pixels of one of longitude, so vertically it is under a
/// pixel.)
pub fn tolerance_deg(zoom: u8) -> f64 {
    180.0 / (256.0 * f64::from(1u32 << zoom.min(MAX_ZOOM)))
}

/// `area` simplified to `tolerance` degrees (Visvalingam–Whyatt, keeping topology): a point goes
/// when the triangle it makes with its neighbours is smaller than `tolerance²`, unless removing
/// it would make a ring cross itself or another ring of its polygon. Every ring keeps at least
/// four positions (a closed triangle); parts and holes smaller than `tolerance²` (under a
/// pixel) are dropped, except the region's largest part, so no region disappears from the map.
/// Neighbouring regions are simplified independently: their shared border may open or overlap
/// by up to about `tolerance`, which is less than a pixel at the zoom it is made for.
pub fn simplify_outline(area: &MultiPolygon<f64>, tolerance: f64) -> MultiPolygon<f64> {
    if tolerance.is_nan() || tolerance <= 0.0 || area.0.is_empty() {
        return area.clone();
    }
    let epsilon = tolerance * tolerance;
    let largest = area
        .0
        .iter()
        .enumerate()
        .max_by(|(_, a), (_, b)| a.unsigned_area().total_cmp(&b.unsigned_area()))
        .map_or(0, |(i, _)| i);
    let parts = area
        .0
        .iter()
        .enumerate()
        .filter(|(i, p)| *i == largest || p.unsigned_area() >= epsilon)
        .map(|(_, p)| {
            let holes = p
                .interiors()
                .iter()
                .filter(|h| Polygon::new((*h).clone(), vec![]).unsigned_area() >= epsilon)
                .cloned()
                .collect();
            Polygon::new(p.exterior().clone(), holes).simplify_vw_preserve(epsilon)
        })
        .collect();
    MultiPolygon::new(parts)
}

/// Every region of `layer` simplified for `zoom` ([`tolerance_deg`]), in parallel, in the order
/// of [`RegionLayer::regions`].
pub fn simplify_layer(layer: &RegionLayer, zoom: u8) -> Vec<MultiPolygon<f64>> {
    let tolerance = tolerance_deg(zoom);
    layer
        .regions()
        .par_iter()
        .map(|r| simplify_outline(&r.area, tolerance))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Coord, LineString, Validation};

    /// A square of `side` degrees at (`x`, `y`) with `per_edge` points on each edge (as the
    /// import densifies region boundaries) and a small bump in the middle of the south edge.
    fn densified_square(x: f64, y: f64, side: f64, per_edge: usize, bump: f64) -> Polygon<f64> {
        let mut ring = Vec::new();
        let corners = [(x, y), (x + side, y), (x + side, y + side), (x, y + side)];
        for e in 0..4 {
            let (ax, ay) = corners[e];
            let (bx, by) = corners[(e + 1) % 4];
            for i in 0..per_edge {
                let t = i as f64 / per_edge as f64;
                let dy = if e == 0 && i == per_edge / 2 {
                    -bump
                } else {
                    0.0
                };
                ring.push(Coord {
                    x: ax + (bx - ax) * t,
                    y: ay + (by - ay) * t + dy,
                });
            }
        }
        ring.push(ring[0]);
        Polygon::new(LineString::new(ring), vec![])
    }

    fn points(area: &MultiPolygon<f64>) -> usize {
        area.0
            .iter()
            .map(|p| p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>())
            .sum()
    }

    #[test]
    fn tolerance_halves_with_every_zoom_level() {
        assert!((tolerance_deg(0) - 0.703_125).abs() < 1e-12);
        assert!((tolerance_deg(8) / tolerance_deg(9) - 2.0).abs() < 1e-12);
        assert_eq!(tolerance_deg(30), tolerance_deg(MAX_ZOOM));
    }

    #[test]
    fn straight_edges_lose_their_extra_points_and_small_bumps_go_only_when_coarse() {
        // 0.1° square, 50 points per edge, a 0.002° bump (about 220 m).
        let area = MultiPolygon::new(vec![densified_square(5.0, 52.0, 0.1, 50, 0.002)]);
        assert_eq!(points(&area), 201);
        let fine = simplify_outline(&area, tolerance_deg(12)); // 0.00017°: the bump stays
        assert!(points(&fine) <= 8, "{}", points(&fine));
        assert!(fine.0[0].exterior().0.iter().any(|c| c.y < 52.0 - 0.001));
        let coarse = simplify_outline(&area, tolerance_deg(6)); // 0.011°: the bump goes
        assert_eq!(points(&coarse), 5, "{coarse:?}");
        for s in [&fine, &coarse] {
            assert!(s.is_valid(), "{s:?}");
            let kept = s.unsigned_area() / area.unsigned_area();
            assert!((kept - 1.0).abs() < 0.03, "{kept}");
        }
    }

    #[test]
    fn specks_go_but_a_region_never_disappears_and_holes_stay_valid() {
        let main = densified_square(5.0, 52.0, 0.1, 20, 0.0);
        let speck = densified_square(5.3, 52.0, 0.0005, 3, 0.0);
        let hole = LineString::from(vec![
            (5.03, 52.03),
            (5.03, 52.07),
            (5.07, 52.07),
            (5.07, 52.03),
            (5.03, 52.03),
        ]);
        let with_hole = Polygon::new(main.exterior().clone(), vec![hole]);
        let area = MultiPolygon::new(vec![speck.clone(), with_hole]);
        let s = simplify_outline(&area, tolerance_deg(8));
        assert_eq!(s.0.len(), 1, "the speck is dropped");
        assert_eq!(
            s.0[0].interiors().len(),
            1,
            "a hole larger than a pixel stays"
        );
        assert!(s.is_valid());
        // A region that is only a speck keeps it (as a ring of at least four positions).
        let tiny = simplify_outline(&MultiPolygon::new(vec![speck]), tolerance_deg(4));
        assert_eq!(tiny.0.len(), 1);
        assert!(tiny.0[0].exterior().0.len() >= 4);
        // No tolerance: unchanged.
        assert_eq!(simplify_outline(&area, 0.0), area);
    }
}
