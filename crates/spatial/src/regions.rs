//! Region layers (municipalities, provinces, PC4 areas) in memory, for lookups by code and
//! by point.

use crate::geodesy::area_km2;
use crate::nearby::NearIndex;
use geo::{BooleanOps, BoundingRect, InteriorPoint, MultiPolygon, Point, Rect};
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub population: Option<i64>,
    pub area: MultiPolygon<f64>,
    /// Geodesic area of `area`.
    pub area_km2: f64,
    /// A point guaranteed inside the region (for postcode and municipality searches).
    pub interior: Point<f64>,
    /// The box of `area` (`None` when it is empty).
    pub bbox: Option<Rect<f64>>,
}

impl Region {
    pub fn new(
        code: String,
        name: String,
        population: Option<i64>,
        area: MultiPolygon<f64>,
    ) -> Self {
        let area_km2 = area_km2(&area);
        let interior = area
            .interior_point()
            .unwrap_or_else(|| Point::new(0.0, 0.0));
        let bbox = area.bounding_rect();
        Self {
            code,
            name,
            population,
            area,
            area_km2,
            interior,
            bbox,
        }
    }
}

/// One layer: its regions by code and an index from points to regions.
#[derive(Debug, Default)]
pub struct RegionLayer {
    regions: Vec<Region>,
    by_code: HashMap<String, usize>,
    /// The regions' areas by position in `regions`, for lookups by point.
    index: NearIndex<usize>,
}

impl RegionLayer {
    pub fn new(mut regions: Vec<Region>) -> Self {
        regions.sort_by(|a, b| a.code.cmp(&b.code));
        let by_code = regions
            .iter()
            .enumerate()
            .map(|(i, r)| (r.code.clone(), i))
            .collect();
        let index = NearIndex::build(regions.iter().enumerate().map(|(i, r)| (i, r.area.clone())));
        Self {
            regions,
            by_code,
            index,
        }
    }

    /// The position of region `code` in [`RegionLayer::regions`].
    pub fn index_of(&self, code: &str) -> Option<usize> {
        self.by_code.get(code).copied()
    }

    pub fn get(&self, code: &str) -> Option<&Region> {
        self.by_code.get(code).map(|i| &self.regions[*i])
    }

    /// The region covering (`lon`, `lat`); on a shared border, the one with the lowest code.
    pub fn at(&self, lon: f64, lat: f64) -> Option<&Region> {
        self.index
            .covering(lon, lat)
            .into_iter()
            .min()
            .map(|i| &self.regions[i])
    }

    /// The regions (indices into [`Self::regions`]) whose box meets `rect`, sorted.
    pub fn regions_meeting(&self, rect: geo::Rect<f64>) -> Vec<usize> {
        use geo::Intersects;
        self.regions
            .iter()
            .enumerate()
            .filter(|(_, r)| r.bbox.is_some_and(|b| b.intersects(&rect)))
            .map(|(i, _)| i)
            .collect()
    }

    /// All regions, by code.
    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    pub fn len(&self) -> usize {
        self.regions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.regions.is_empty()
    }
}

/// The point a search for `region` starts from: its interior point, unless that falls outside
/// every region of `land` (a PC4 area's point in water or in a foreign enclave, a hole in the
/// municipality layer). Then a point inside the largest part of `region` that `land` covers,
/// so that the place resolves to the municipality the region mostly lies in.
pub fn anchor_within(region: &Region, land: &RegionLayer) -> Point<f64> {
    let p = region.interior;
    if land.is_empty() || land.at(p.x(), p.y()).is_some() {
        return p;
    }
    let Some(bbox) = region.bbox else {
        return p;
    };
    land.regions_meeting(bbox)
        .into_iter()
        .map(|i| region.area.intersection(&land.regions()[i].area))
        .filter_map(|part| part.interior_point().map(|at| (area_km2(&part), at)))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map_or(p, |(_, at)| at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Rect;

    #[test]
    fn lookup_by_code_and_point() {
        let square =
            |x: f64| MultiPolygon::new(vec![Rect::new((x, 52.0), (x + 0.1, 52.1)).to_polygon()]);
        let layer = RegionLayer::new(vec![
            Region::new("GM0002".into(), "B".into(), Some(20), square(5.1)),
            Region::new("GM0001".into(), "A".into(), Some(10), square(5.0)),
        ]);
        assert_eq!(layer.regions()[0].code, "GM0001");
        assert_eq!(layer.get("GM0002").map(|r| r.name.as_str()), Some("B"));
        assert_eq!(
            layer.at(5.15, 52.05).map(|r| r.code.as_str()),
            Some("GM0002")
        );
        assert_eq!(
            layer.at(5.1, 52.05).map(|r| r.code.as_str()),
            Some("GM0001")
        );
        assert!(layer.at(6.0, 52.05).is_none());
        let a = layer.get("GM0001").map(|r| r.area_km2).unwrap_or_default();
        assert!((a - 76.0).abs() < 1.0, "{a}");
    }

    #[test]
    fn a_postcode_in_water_is_anchored_on_its_largest_land() {
        let strip = |x0: f64, x1: f64| {
            MultiPolygon::new(vec![Rect::new((x0, 52.0), (x1, 52.1)).to_polygon()])
        };
        // Water from 5.04 to 5.13 holds the postcode's own interior point (5.1).
        let land = RegionLayer::new(vec![
            Region::new("GM0001".into(), "Klein".into(), None, strip(4.9, 5.04)),
            Region::new("GM0002".into(), "Groot".into(), None, strip(5.13, 5.3)),
        ]);
        let pc4 = Region::new("1095".into(), "1095".into(), None, strip(5.0, 5.2));
        assert!(land.at(pc4.interior.x(), pc4.interior.y()).is_none());
        let anchor = anchor_within(&pc4, &land);
        assert_eq!(
            land.at(anchor.x(), anchor.y()).map(|r| r.code.as_str()),
            Some("GM0002"),
            "{anchor:?}"
        );
        // On land already: the interior point itself.
        let dry = Region::new("1000".into(), "1000".into(), None, strip(5.15, 5.25));
        assert_eq!(anchor_within(&dry, &land), dry.interior);
        assert_eq!(anchor_within(&pc4, &RegionLayer::default()), pc4.interior);
    }
}
