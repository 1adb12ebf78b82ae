//! A service-area geometry as a client sends it: bytes → JSON → `parse_service_area`, then, for
//! a valid one, what the registry derives from it (union, canonical form, geodesic area, GeoJSON
//! out and back) and a point lookup in the area index.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onconet_spatial::geojson_io::{canonical, multipolygon_from_geojson, multipolygon_to_geojson};
use onconet_spatial::validate::DEFAULT_MAX_VERTICES;
use onconet_spatial::{AreaIndex, area_km2, parse_service_area, union_all};

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let Ok(area) = parse_service_area(&value, DEFAULT_MAX_VERTICES) else {
        return;
    };
    let union = canonical(&union_all(std::slice::from_ref(&area)));
    let km2 = area_km2(&union);
    assert!(km2.is_finite() && km2 >= 0.0, "area {km2} km² of {value}");
    let back = multipolygon_from_geojson(&multipolygon_to_geojson(&union));
    assert_eq!(back.0.len(), union.0.len());
    // A vertex lies on the boundary, which the index counts as covered.
    let first = union
        .0
        .first()
        .and_then(|p| p.exterior().0.first())
        .copied();
    let index = AreaIndex::build([(1u8, union)]);
    if let Some(first) = first {
        assert_eq!(index.covering(first.x, first.y), [1u8], "{value}");
    }
});
