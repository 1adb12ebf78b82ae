//! A region layer restricted to one area (a ROS working area): every region that lies in the
//! area by more than a border sliver, clipped to it.
//!
//! Coordinates are WGS84 longitude, latitude in degrees; areas are geodesic km² ([`area_km2`]).
//! A clipped region keeps its code and name; its area is `R ∩ S` for the area S, and its
//! population is the region's population scaled by the share of its area inside S (people are
//! taken to be spread evenly over a region; a region wholly inside keeps its own figure). The
//! clipped layer is an ordinary [`RegionLayer`], so the coverage engine, gaps and maps work
//! on it unchanged.

use crate::coverage::{DEGENERATE_KM2, FULL_TOLERANCE, polygon_km2};
use crate::geodesy::area_km2;
use crate::geojson_io::canonical;
use crate::regions::{Region, RegionLayer};
use geo::{BooleanOps, BoundingRect, MultiPolygon};
use rayon::prelude::*;

/// A region is left out when less than this much of it (km²; 10,000 m²) lies in the area —
/// the slivers where the area's border and the layer's borders were drawn apart — unless that
/// is at least half of a small region.
pub const CLIP_MIN_KM2: f64 = 0.01;

/// `region` clipped to `area`: `None` when less than [`CLIP_MIN_KM2`] (or less than half of
/// a smaller region) lies inside; the region itself, unchanged, when it lies inside whole (up
/// to the boolean operation's rounding, 10 ppm); otherwise `R ∩ area` (rounded to the stored
/// 7-decimal grid, degenerate pieces under 1 m² dropped) with the population scaled by the
/// share of the area inside, rounded.
pub fn clip_region(region: &Region, area: &MultiPolygon<f64>) -> Option<Region> {
    let part = MultiPolygon::new(
        canonical(&region.area.intersection(area))
            .0
            .into_iter()
            .filter(|p| polygon_km2(p) >= DEGENERATE_KM2)
            .collect(),
    );
    let km2 = area_km2(&part);
    if region.area_km2 - km2 <= FULL_TOLERANCE * region.area_km2 {
        return Some(region.clone());
    }
    if km2 < CLIP_MIN_KM2.min(region.area_km2 / 2.0) {
        return None;
    }
    let share = if region.area_km2 > 0.0 {
        (km2 / region.area_km2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    Some(Region::new(
        region.code.clone(),
        region.name.clone(),
        region.population.map(|p| (p as f64 * share).round() as i64),
        part,
    ))
}

/// The regions of `layer` that lie in `area`, each clipped to it ([`clip_region`]), as a
/// layer of their own (regions in parallel).
pub fn clip_layer(layer: &RegionLayer, area: &MultiPolygon<f64>) -> RegionLayer {
    let Some(bbox) = area.bounding_rect() else {
        return RegionLayer::default();
    };
    let regions: Vec<Region> = layer
        .regions_meeting(bbox)
        .into_par_iter()
        .filter_map(|i| clip_region(&layer.regions()[i], area))
        .collect();
    RegionLayer::new(regions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Rect;

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![Rect::new((x0, y0), (x1, y1)).to_polygon()])
    }

    /// Three 0.1° squares side by side at 52°N (about 76 km² each), 1,000 people each.
    fn layer() -> RegionLayer {
        RegionLayer::new(
            (0..3)
                .map(|i| {
                    let x = 5.0 + 0.1 * f64::from(i);
                    Region::new(
                        format!("GM000{i}"),
                        format!("R{i}"),
                        Some(1000),
                        rect(x, 52.0, x + 0.1, 52.1),
                    )
                })
                .collect(),
        )
    }

    #[test]
    fn regions_inside_stay_whole_those_across_are_clipped_and_those_outside_go() {
        let layer = layer();
        // From the middle of GM0000 to the end of GM0001: half, whole, nothing.
        let area = rect(5.05, 52.0, 5.2, 52.1);
        let clipped = clip_layer(&layer, &area);
        let codes: Vec<&str> = clipped.regions().iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes, ["GM0000", "GM0001"]);
        let half = clipped.get("GM0000").map(|r| (r.area_km2, r.population));
        let whole = layer.get("GM0000").map(|r| r.area_km2).unwrap_or_default();
        let (km2, population) = half.unwrap_or_default();
        assert!((km2 / whole - 0.5).abs() < 1e-3, "{km2} of {whole}");
        assert_eq!(population, Some(500));
        // Wholly inside: the region itself, geometry and population untouched.
        let inside = clipped
            .get("GM0001")
            .map(|r| (r.area.clone(), r.population));
        assert_eq!(
            inside,
            layer.get("GM0001").map(|r| (r.area.clone(), r.population))
        );
        // The clipped areas add up to the area.
        let total: f64 = clipped.regions().iter().map(|r| r.area_km2).sum();
        assert!((total / area_km2(&area) - 1.0).abs() < 1e-6, "{total}");
    }

    #[test]
    fn border_slivers_and_touching_regions_are_left_out() {
        let layer = layer();
        // A strip of GM0001 0.000005° wide (about 0.004 km²) that touches GM0002 along its
        // western edge: nothing of either.
        let sliver = rect(5.199995, 52.0, 5.2, 52.1);
        assert!(clip_layer(&layer, &sliver).is_empty());
        // Ten times as wide (about 0.04 km²): more than a sliver.
        let strip = rect(5.19995, 52.0, 5.2, 52.1);
        let clipped = clip_layer(&layer, &strip);
        let kept: Vec<(&str, Option<i64>)> = clipped
            .regions()
            .iter()
            .map(|r| (r.code.as_str(), r.population))
            .collect();
        // 0.04 km² of 76 km²: 0.5 of its 1,000 people, rounded.
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert_eq!(kept[0].0, "GM0001");
    }

    #[test]
    fn without_population_stays_without() {
        let region = Region::new("x".into(), "x".into(), None, rect(5.0, 52.0, 5.1, 52.1));
        let clipped = clip_region(&region, &rect(5.0, 52.0, 5.05, 52.1));
        assert_eq!(clipped.map(|r| r.population), Some(None));
        assert!(clip_region(&region, &MultiPolygon::new(vec![])).is_none());
        assert!(clip_layer(&layer(), &MultiPolygon::new(vec![])).is_empty());
    }
}
