//! The coverage engine: which part of each region the matching networks cover, and what is
//! left (DESIGN §4).
//!
//! For one filter the matching networks' areas are united once, nationally; the union is cut
//! into small pieces in an R-tree, so each region meets only the pieces near it. Per region:
//! `covered_km2 = area(R ∩ U)` (geodesic), the `gap = R − U` (slivers below
//! [`CoverageOptions::sliver_km2`] dropped), and how many networks reach it (overlap of at least
//! [`CoverageOptions::reach_km2`], so a network that only borders a region does not count).
//! Regions are computed in parallel.

use crate::geodesy::area_km2;
use crate::index::AreaIndex;
use crate::regions::{Region, RegionLayer};
use geo::{BooleanOps, BoundingRect, MultiPolygon, Polygon};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::hash::Hash;

/// Covered area below which a region counts as uncovered (1,000 m²: border slivers).
pub const NEGLIGIBLE_KM2: f64 = 0.001;

/// Thresholds of the engine.
#[derive(Debug, Clone, Copy)]
pub struct CoverageOptions {
    /// Gap polygons smaller than this (km²) are dropped: slivers along shared borders.
    pub sliver_km2: f64,
    /// A network reaches a region when it covers at least this much of it (km²).
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
    /// The uncovered part, `R − U`, without slivers.
    pub gap: MultiPolygon<f64>,
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

/// The national union of a filter's networks, ready for per-region queries.
#[derive(Debug)]
pub struct PreparedUnion<K> {
    /// The union, in pieces.
    union: AreaIndex<u32>,
    /// Each network's own area, in pieces (for counting the networks that reach a region).
    networks: AreaIndex<K>,
    network_count: usize,
}

impl<K: Copy + Eq + Hash + Ord + Send + Sync> PreparedUnion<K> {
    /// Unites `areas` (one national union) and indexes the result.
    pub fn new(areas: Vec<(K, MultiPolygon<f64>)>) -> Self {
        let union =
            crate::area::union_all(&areas.iter().map(|(_, a)| a.clone()).collect::<Vec<_>>());
        let network_count = areas.len();
        Self {
            union: AreaIndex::build(
                union
                    .0
                    .into_iter()
                    .enumerate()
                    .map(|(i, p)| (i as u32, MultiPolygon::new(vec![p]))),
            ),
            networks: AreaIndex::build(areas),
            network_count,
        }
    }

    pub fn network_count(&self) -> usize {
        self.network_count
    }

    /// Coverage of one region.
    pub fn region(&self, region: &Region, options: &CoverageOptions) -> RegionCoverage {
        let empty = || RegionCoverage {
            code: region.code.clone(),
            name: region.name.clone(),
            population: region.population,
            area_km2: region.area_km2,
            covered_km2: 0.0,
            coverage: 0.0,
            covered_population: region.population.map(|_| 0.0),
            networks: 0,
            gap: region.area.clone(),
        };
        let Some(rect) = region.area.bounding_rect() else {
            return empty();
        };
        let near: Vec<Polygon<f64>> = self.union.pieces_in(rect).map(|(_, p)| p.clone()).collect();
        if near.is_empty() {
            return empty();
        }
        let near = MultiPolygon::new(near);
        let covered = region.area.intersection(&near);
        let covered_km2 = area_km2(&covered).min(region.area_km2);
        if covered_km2 < NEGLIGIBLE_KM2 {
            // Only border slivers: the region is not covered.
            return empty();
        }
        let gap = MultiPolygon::new(
            region
                .area
                .difference(&near)
                .0
                .into_iter()
                .filter(|p| area_km2(&MultiPolygon::new(vec![p.clone()])) >= options.sliver_km2)
                .collect(),
        );
        let mut by_network: BTreeMap<K, Vec<Polygon<f64>>> = BTreeMap::new();
        for (key, piece) in self.networks.pieces_in(rect) {
            by_network.entry(key).or_default().push(piece.clone());
        }
        let networks = by_network
            .into_values()
            .filter(|pieces| {
                area_km2(&region.area.intersection(&MultiPolygon::new(pieces.clone())))
                    >= options.reach_km2
            })
            .count();
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
            networks: u32::try_from(networks).unwrap_or(u32::MAX),
            gap,
        }
    }

    /// The coverage of every region of `layer`, computed in parallel, with national totals.
    pub fn report(&self, layer: &RegionLayer, options: &CoverageOptions) -> CoverageReport {
        let regions: Vec<RegionCoverage> = layer
            .regions()
            .par_iter()
            .map(|r| self.region(r, options))
            .collect();
        let summary = summarise(&regions);
        CoverageReport { regions, summary }
    }
}

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
    use geo::Rect;

    fn square(x: f64, y: f64, d: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![Rect::new((x, y), (x + d, y + d)).to_polygon()])
    }

    /// Three municipalities in a row, 0.1° wide.
    fn layer() -> RegionLayer {
        RegionLayer::new(vec![
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
        ])
    }

    fn by_code(report: &CoverageReport, code: &str) -> RegionCoverage {
        report
            .regions
            .iter()
            .find(|r| r.code == code)
            .cloned()
            .unwrap_or_else(|| panic!("{code}"))
    }

    #[test]
    fn one_network_on_exactly_one_region() {
        let layer = layer();
        let report = PreparedUnion::new(vec![(1u32, square(5.1, 52.0, 0.1))])
            .report(&layer, &CoverageOptions::default());
        let mid = by_code(&report, "GM0002");
        assert!((mid.coverage - 1.0).abs() < 1e-9, "{}", mid.coverage);
        assert_eq!(mid.networks, 1);
        assert!(mid.gap.0.is_empty());
        assert!((mid.covered_population.unwrap_or_default() - 2000.0).abs() < 1e-6);
        for neighbour in ["GM0001", "GM0003"] {
            let n = by_code(&report, neighbour);
            assert!(n.coverage.abs() < 1e-9, "{neighbour}: {}", n.coverage);
            assert_eq!(n.networks, 0, "{neighbour}: bordering is not reaching");
            assert!((area_km2(&n.gap) / n.area_km2 - 1.0).abs() < 1e-6);
        }
        assert_eq!(report.summary.uncovered_regions, 2);
        assert_eq!(report.summary.covered_regions, 1);
        assert!((report.summary.covered_population - 2000.0).abs() < 1e-6);
    }

    #[test]
    fn overlapping_networks_are_not_counted_twice() {
        let layer = layer();
        let report = PreparedUnion::new(vec![
            (1u32, square(5.0, 52.0, 0.06)),
            (2, square(5.04, 52.0, 0.06)),
        ])
        .report(&layer, &CoverageOptions::default());
        let west = by_code(&report, "GM0001");
        assert_eq!(west.networks, 2);
        // Together they cover 0.1° × 0.06°: 60 % of the region, not 72 %.
        assert!((west.coverage - 0.6).abs() < 0.002, "{}", west.coverage);
        assert!((west.covered_km2 + area_km2(&west.gap) - west.area_km2).abs() < 0.01);
    }

    #[test]
    fn no_networks_is_all_gap() {
        let report =
            PreparedUnion::<u32>::new(vec![]).report(&layer(), &CoverageOptions::default());
        assert!(
            report
                .regions
                .iter()
                .all(|r| r.coverage == 0.0 && r.networks == 0)
        );
        assert_eq!(report.summary.uncovered_regions, 3);
        assert_eq!(report.summary.population, 6000);
        assert_eq!(report.summary.covered_population, 0.0);
    }

    #[test]
    fn slivers_are_dropped_from_gaps() {
        // Covers the middle region but for a 7 cm strip: coverage ~1, no gap polygon left.
        let almost = MultiPolygon::new(vec![Rect::new((5.1, 52.0), (5.199999, 52.1)).to_polygon()]);
        let report =
            PreparedUnion::new(vec![(1u32, almost)]).report(&layer(), &CoverageOptions::default());
        let mid = by_code(&report, "GM0002");
        assert!(mid.coverage > 0.999);
        assert!(mid.gap.0.is_empty(), "{:?}", mid.gap);
    }
}
