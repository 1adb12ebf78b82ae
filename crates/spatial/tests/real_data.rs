//! Checks against the real CBS data in `../shared/data/nl` (or `ONCONET_REFERENCE_DATA`).

use onconet_spatial::geojson_io::parse_region_feature;
use onconet_spatial::{Region, RegionLayer};
use serde_json::Value;
use std::path::PathBuf;

fn reference(file: &str) -> Value {
    let dir = std::env::var_os("ONCONET_REFERENCE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/nl")
        });
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reference data {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn layer(file: &str) -> (RegionLayer, Vec<Option<f64>>) {
    let doc = reference(file);
    let features = doc["features"].as_array().cloned().unwrap_or_default();
    let mut regions = Vec::new();
    let mut cbs = Vec::new();
    for (i, f) in features.iter().enumerate() {
        let r = parse_region_feature(i, f, 1_000_000).unwrap_or_else(|e| panic!("{e}"));
        cbs.push(r.source_area_km2);
        regions.push(Region::new(r.code, r.name, r.population, r.area));
    }
    (RegionLayer::new(regions), cbs)
}

#[test]
fn municipality_areas_agree_with_cbs_within_half_a_percent() {
    let (layer, _) = layer("gemeenten-2024.geojson");
    assert_eq!(layer.len(), 342);
    let doc = reference("gemeenten-2024.geojson");
    let mut worst = 0.0f64;
    for f in doc["features"].as_array().into_iter().flatten() {
        let code = f["properties"]["code"].as_str().unwrap_or_default();
        let cbs = f["properties"]["area_km2"].as_f64().unwrap_or_default();
        let ours = layer.get(code).map(|r| r.area_km2).unwrap_or_default();
        let rel = (ours / cbs - 1.0).abs();
        worst = worst.max(rel);
        assert!(rel < 0.005, "{code}: {ours:.3} km² vs CBS {cbs:.3} km²");
    }
    let total: f64 = layer.regions().iter().map(|r| r.area_km2).sum();
    assert!((total - 35_090.5).abs() < 35.0, "total {total}");
    eprintln!(
        "largest relative difference with CBS: {:.5} %",
        worst * 100.0
    );
}

#[test]
fn points_resolve_to_their_municipality_and_pc4() {
    let (municipalities, _) = layer("gemeenten-2024-simplified.geojson");
    let at = |lon, lat| {
        municipalities
            .at(lon, lat)
            .map(|r| r.name.clone())
            .unwrap_or_default()
    };
    assert_eq!(at(6.5665, 53.2194), "Groningen");
    assert_eq!(at(4.8952, 52.3702), "Amsterdam");
    assert_eq!(at(5.6909, 50.8514), "Maastricht");
    assert_eq!(at(2.0, 52.0), "", "the North Sea is in no municipality");
    let (pc4, _) = layer("pc4-2020-simplified.geojson");
    assert_eq!(pc4.len(), 4067);
    let g = pc4.get("9713").expect("9713");
    assert_eq!(at(g.interior.x(), g.interior.y()), "Groningen");
    let a = pc4.get("1012").expect("1012");
    assert_eq!(at(a.interior.x(), a.interior.y()), "Amsterdam");
}

#[test]
fn coverage_of_real_municipalities_by_themselves_is_complete() {
    use onconet_spatial::coverage::{CoverageOptions, Overlay};
    use onconet_spatial::packed::CompactArea;
    use std::sync::Arc;
    let (layer, _) = layer("gemeenten-2024-simplified.geojson");
    let layer = Arc::new(layer);
    // Every other municipality as a network of its own: those are covered, the rest are not.
    let areas: Vec<(u32, Arc<CompactArea>)> = layer
        .regions()
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(i, r)| (i as u32, Arc::new(CompactArea::new(&r.area))))
        .collect();
    let start = std::time::Instant::now();
    let overlay = Overlay::build(layer.clone(), areas);
    let build_time = start.elapsed();
    let report = overlay.report(&|_| true, &CoverageOptions::default());
    eprintln!(
        "overlay {:?} ({} cells), report {:?} for {} regions (timings are informative only)",
        build_time,
        overlay.cell_count(),
        start.elapsed() - build_time,
        report.regions.len()
    );
    for (i, r) in report.regions.iter().enumerate() {
        if i % 2 == 0 {
            assert_eq!(r.coverage, 1.0, "{} {}", r.code, r.name);
            assert_eq!(r.covered_population, r.population.map(|p| p as f64));
            assert_eq!(r.networks, 1, "{} {}", r.code, r.name);
        } else {
            assert_eq!(r.coverage, 0.0, "{} {}", r.code, r.name);
            assert_eq!(r.networks, 0, "{} {}", r.code, r.name);
        }
    }
}

/// Every PC4 area resolves to a municipality from the point a postcode search starts at,
/// also those whose own interior point lies in water or in a foreign enclave.
#[test]
fn every_postcode_area_resolves_to_a_municipality() {
    let (municipalities, _) = layer("gemeenten-2024-simplified.geojson");
    let (pc4, _) = layer("pc4-2020-simplified.geojson");
    let doc = reference("pc4-2020-simplified.geojson");
    let majority: std::collections::HashMap<String, String> = doc["features"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| {
            let p = &f["properties"];
            Some((
                p["pc4"].as_str()?.to_owned(),
                p["gemeente_code"].as_str()?.to_owned(),
            ))
        })
        .collect();
    let mut elsewhere = Vec::new();
    for region in pc4.regions() {
        let at = onconet_spatial::anchor_within(region, &municipalities);
        let found = municipalities
            .at(at.x(), at.y())
            .unwrap_or_else(|| panic!("PC4 {} resolves to no municipality", region.code));
        if majority.get(&region.code) != Some(&found.code) {
            elsewhere.push(region.code.clone());
        }
    }
    eprintln!(
        "{} of {} PC4 areas resolve to another municipality than the one CBS gives most of it: {elsewhere:?}",
        elsewhere.len(),
        pc4.len()
    );
    // A point inside a PC4 that straddles a border may lie in its smaller part (4 in 2020).
    assert!(elsewhere.len() <= 8, "{elsewhere:?}");
    for code in ["1095", "1086", "5111"] {
        assert!(!elsewhere.contains(&code.to_owned()), "{code}");
    }
}

#[test]
fn municipalities_clipped_to_three_provinces_are_their_municipalities() {
    use onconet_spatial::clip::clip_layer;
    let (provinces, _) = layer("provincies-2024-simplified.geojson");
    let north: Vec<_> = ["PV20", "PV21", "PV22"]
        .iter()
        .filter_map(|c| provinces.get(c).map(|r| r.area.clone()))
        .collect();
    let area = onconet_spatial::union_all(&north);
    let area_km2 = onconet_spatial::area_km2(&area);
    let (municipalities, _) = layer("gemeenten-2024-simplified.geojson");
    let doc = reference("gemeenten-2024-simplified.geojson");
    let mut expected: Vec<String> = doc["features"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| {
            ["PV20", "PV21", "PV22"]
                .contains(&f["properties"]["province_code"].as_str().unwrap_or(""))
        })
        .filter_map(|f| f["properties"]["code"].as_str().map(str::to_owned))
        .collect();
    expected.sort();
    let started = std::time::Instant::now();
    let clipped = clip_layer(&municipalities, &area);
    eprintln!("municipalities clipped in {:?}", started.elapsed());
    let codes: Vec<String> = clipped.regions().iter().map(|r| r.code.clone()).collect();
    assert_eq!(codes, expected);
    // The provinces were dissolved from these very municipalities: all of them lie inside
    // whole, and together they are the area.
    for r in clipped.regions() {
        assert_eq!(
            municipalities.get(&r.code).map(|m| m.population),
            Some(r.population),
            "{}",
            r.code
        );
    }
    let total: f64 = clipped.regions().iter().map(|r| r.area_km2).sum();
    assert!(
        (total / area_km2 - 1.0).abs() < 0.005,
        "{total} vs {area_km2}"
    );
    // PC4 areas come from another source: those across the border are clipped.
    let (pc4, _) = layer("pc4-2020-simplified.geojson");
    let started = std::time::Instant::now();
    let clipped = clip_layer(&pc4, &area);
    let total: f64 = clipped.regions().iter().map(|r| r.area_km2).sum();
    eprintln!(
        "{} PC4 areas clipped in {:?}: {total:.1} of {area_km2:.1} km²",
        clipped.len(),
        started.elapsed()
    );
    assert!(
        (total / area_km2 - 1.0).abs() < 0.01,
        "{total} vs {area_km2}"
    );
    assert!(clipped.regions().iter().all(|r| r.code.as_str() >= "7000"));
}

/// The area index answers point in area from boundary chunks and the corners of its grid
/// cells. On the real postcode areas (many shared borders, vertices on the stored grid) it
/// finds what `geo` finds: at every vertex, where two or more areas meet and each must be
/// found, and at random points. (The piece index it replaced, its areas sliced by a boolean
/// operation that moves vertices by a hair, found one area only at 1,415 of these points.)
#[test]
fn the_area_index_finds_what_geo_finds_on_real_postcode_areas() {
    use geo::{BoundingRect, CoordsIter, Intersects, Point};
    use onconet_spatial::NearIndex;
    use std::collections::HashMap;
    let (pc4, _) = layer("pc4-2020-simplified.geojson");
    let areas: Vec<(u32, geo::MultiPolygon<f64>)> = (0u32..)
        .zip(pc4.regions())
        .map(|(i, r)| (i, r.area.clone()))
        .collect();
    let index = NearIndex::build(areas.clone());
    // The areas by buckets of 0.02° their box meets: geo is asked about those only.
    let bucket = |x: f64, y: f64| ((x / 0.02).floor() as i32, (y / 0.02).floor() as i32);
    let mut buckets: HashMap<(i32, i32), Vec<u32>> = HashMap::new();
    for (k, area) in &areas {
        let Some(b) = area.bounding_rect() else {
            continue;
        };
        let ((x0, y0), (x1, y1)) = (bucket(b.min().x, b.min().y), bucket(b.max().x, b.max().y));
        for bx in x0..=x1 {
            for by in y0..=y1 {
                buckets.entry((bx, by)).or_default().push(*k);
            }
        }
    }
    let mut checked = 0;
    let mut check = |x: f64, y: f64, own: Option<u32>| {
        let mut found = index.covering(x, y);
        found.sort_unstable();
        let mut want: Vec<u32> = buckets
            .get(&bucket(x, y))
            .into_iter()
            .flatten()
            .copied()
            .filter(|k| areas[*k as usize].1.intersects(&Point::new(x, y)))
            .collect();
        want.sort_unstable();
        assert_eq!(found, want, "at ({x}, {y})");
        if let Some(own) = own {
            assert!(found.contains(&own), "({x}, {y}) is a vertex of {own}");
        }
        checked += 1;
    };
    for (k, area) in &areas {
        for c in area.coords_iter() {
            check(c.x, c.y, Some(*k));
        }
    }
    let mut seed = 11u64;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    for _ in 0..100_000 {
        check(3.2 + next() * 4.1, 50.7 + next() * 2.9, None);
    }
    assert!(checked > 200_000, "{checked} points");
}
