//! Property tests (proptest) of the geometry invariants (issue 18, item 4): a union's
//! geodesic area lies between the largest part's and the sum of the parts', the spatial
//! indexes answer point-in-area as `geo` does, and the coverage engine's cells (found through
//! its windows and pieces) are the regions' intersections with the area. Random areas lie in the Netherlands' box.

use geo::{
    Area, ConvexHull, Coord, Intersects, LineString, MultiPoint, MultiPolygon, Point, Polygon,
};
use onconet_spatial::coverage::{Cell, DEGENERATE_KM2, cells_of};
use onconet_spatial::packed::Base;
use onconet_spatial::{NearIndex, Region, RegionLayer, area_km2, union_all};
use proptest::prelude::*;
use std::collections::HashMap;

/// A centre well inside the Netherlands' box (3.0–7.6 °E, 50.6–53.8 °N), so every shape
/// below stays in it.
fn centre() -> impl Strategy<Value = (f64, f64)> {
    (3.6..7.0f64, 51.1..53.3f64)
}

/// A rectangle of 0.005–0.4° a side.
fn rectangle() -> impl Strategy<Value = Polygon<f64>> {
    (centre(), 0.005..0.4f64, 0.005..0.4f64).prop_map(|((x, y), w, h)| {
        geo::Rect::new((x - w / 2.0, y - h / 2.0), (x + w / 2.0, y + h / 2.0)).to_polygon()
    })
}

/// The convex hull of 3–12 points within 0.3° of a centre (skipped when they lie on a line).
fn convex() -> impl Strategy<Value = Polygon<f64>> {
    (
        centre(),
        prop::collection::vec((-0.3..0.3f64, -0.3..0.3f64), 3..12),
    )
        .prop_map(|((x, y), offsets)| {
            let points: MultiPoint<f64> = offsets
                .into_iter()
                .map(|(dx, dy)| Point::new(x + dx, y + dy))
                .collect();
            points.convex_hull()
        })
        .prop_filter("not a line", |p| p.exterior().0.len() >= 4)
}

/// The star-shaped polygon around (`x`, `y`) with these radii (degrees) at evenly spaced
/// angles, squeezed north–south as a degree of longitude is at 52°.
fn star_around(x: f64, y: f64, radii: &[f64]) -> Polygon<f64> {
    let n = radii.len() as f64;
    let mut ring: Vec<Coord<f64>> = radii
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let a = i as f64 / n * std::f64::consts::TAU;
            Coord {
                x: x + r * a.cos(),
                y: y + r * a.sin() * 0.62,
            }
        })
        .collect();
    ring.push(ring[0]);
    Polygon::new(LineString::new(ring), vec![])
}

/// A star-shaped polygon of 3–120 vertices (radius 0.02–0.3° at evenly spaced angles): not
/// convex, and often over the index's 32 vertices a piece, so it gets cut.
fn star() -> impl Strategy<Value = Polygon<f64>> {
    (centre(), prop::collection::vec(0.02..0.3f64, 3..120))
        .prop_map(|((x, y), radii)| star_around(x, y, &radii))
}

/// A star-shaped polygon of 1,100–1,600 vertices (radius 0.05–0.3°): over the 1,024 vertices
/// above which the coverage engine cuts an area into pieces before intersecting regions.
fn big_star() -> impl Strategy<Value = Polygon<f64>> {
    (centre(), prop::collection::vec(0.05..0.3f64, 1100..1600))
        .prop_map(|((x, y), radii)| star_around(x, y, &radii))
}

fn shape() -> impl Strategy<Value = Polygon<f64>> {
    prop_oneof![rectangle(), convex(), star()]
}

fn multi(p: Polygon<f64>) -> MultiPolygon<f64> {
    MultiPolygon::new(vec![p])
}

/// Whether `geo` answers differently a hair (1e-7°, about 1 cm) around `p`: there the index's
/// cut pieces may round the other way.
fn near_boundary(area: &MultiPolygon<f64>, p: Coord<f64>) -> bool {
    const HAIR: f64 = 1e-7;
    let here = area.intersects(&Point::from(p));
    [(HAIR, 0.0), (-HAIR, 0.0), (0.0, HAIR), (0.0, -HAIR)]
        .iter()
        .any(|(dx, dy)| area.intersects(&Point::new(p.x + dx, p.y + dy)) != here)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn union_area_lies_between_largest_part_and_sum(parts in prop::collection::vec(shape(), 1..5)) {
        // Areas in the plane of longitude and latitude, where the boolean operations work: there
        // the invariant is exact up to rounding. (A geodesic area is not: where the union cuts
        // an edge, the new vertex lies on the straight segment in that plane, not on the
        // geodesic the area follows, so on edges tens of km long the union can come out a
        // fraction of a per mille above the sum; regions' edges are far shorter.)
        let parts: Vec<MultiPolygon<f64>> = parts.into_iter().map(multi).collect();
        let areas: Vec<f64> = parts.iter().map(|p| p.unsigned_area()).collect();
        let sum: f64 = areas.iter().sum();
        let largest = areas.iter().copied().fold(0.0, f64::max);
        let union_area = union_all(&parts).unsigned_area();
        // The boolean operation rounds the union's vertices to its integer grid: allow every
        // edge of the parts to move by 1e-7° (about 1 cm).
        let perimeter: f64 = parts
            .iter()
            .flat_map(|p| p.0.iter())
            .map(|p| p.exterior().lines().map(|l| l.dx().hypot(l.dy())).sum::<f64>())
            .sum();
        let tolerance = perimeter * 1e-7;
        prop_assert!(union_area <= sum + tolerance, "union {union_area} > sum {sum} ({areas:?})");
        prop_assert!(union_area >= largest - tolerance, "union {union_area} < largest {largest} ({areas:?})");
        // The geodesic area, which reports show, agrees with the parts' within 0.5 %.
        let geodesic: f64 = parts.iter().map(area_km2).sum();
        prop_assert!(area_km2(&union_all(&parts)) <= geodesic * 1.005 + 1e-6);
    }

    #[test]
    fn the_index_agrees_with_geo_on_point_in_area(
        areas in prop::collection::vec(prop::collection::vec(shape(), 1..3), 1..5),
        points in prop::collection::vec((0.0..1.0f64, 0.0..1.0f64), 64),
    ) {
        // Each key's area: the union of its parts (what the registry indexes).
        let areas: Vec<(u32, MultiPolygon<f64>)> = areas
            .into_iter()
            .enumerate()
            .map(|(k, parts)| {
                let parts: Vec<MultiPolygon<f64>> = parts.into_iter().map(multi).collect();
                (k as u32, union_all(&parts))
            })
            .collect();
        let near = NearIndex::build(areas.clone());
        // Points over the box of all areas, a little enlarged, so both answers come up.
        let (x0, y0, x1, y1) = areas.iter().flat_map(|(_, a)| a.0.iter()).flat_map(|p| p.exterior().0.iter()).fold(
            (f64::MAX, f64::MAX, f64::MIN, f64::MIN),
            |(a, b, c, d), q| (a.min(q.x), b.min(q.y), c.max(q.x), d.max(q.y)),
        );
        let (x0, y0, x1, y1) = (x0 - 0.05, y0 - 0.05, x1 + 0.05, y1 + 0.05);
        for (u, v) in points {
            let p = Coord { x: x0 + u * (x1 - x0), y: y0 + v * (y1 - y0) };
            let mut expected: Vec<u32> = Vec::new();
            let mut ambiguous = false;
            for (k, area) in &areas {
                if area.intersects(&Point::from(p)) {
                    expected.push(*k);
                }
                ambiguous |= near_boundary(area, p);
            }
            if ambiguous {
                continue;
            }
            let mut found = near.covering(p.x, p.y);
            found.sort_unstable();
            prop_assert_eq!(found, expected, "NearIndex at {:?}", p);
        }
    }
}

proptest! {
    // Fewer cases: each intersects up to 64 regions with areas of over a thousand vertices.
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn coverage_cells_are_the_intersections(
        parts in prop::collection::vec(prop_oneof![1 => shape(), 2 => big_star()], 1..3),
        cols in 3..9usize,
        rows in 3..9usize,
    ) {
        // A grid of regions over the area's box, a little enlarged: some regions lie inside
        // the area whole, some outside, most across its border.
        let parts: Vec<MultiPolygon<f64>> = parts.into_iter().map(multi).collect();
        let area = union_all(&parts);
        let Some(b) = geo::BoundingRect::bounding_rect(&area) else {
            return Ok(());
        };
        let (x0, y0) = (b.min().x - 0.01, b.min().y - 0.01);
        let (w, h) = ((b.width() + 0.02) / cols as f64, (b.height() + 0.02) / rows as f64);
        let regions: Vec<Region> = (0..cols * rows)
            .map(|i| {
                let (x, y) = (x0 + (i % cols) as f64 * w, y0 + (i / cols) as f64 * h);
                let square = geo::Rect::new((x, y), (x + w, y + h)).to_polygon();
                Region::new(format!("R{i}"), format!("R{i}"), None, multi(square))
            })
            .collect();
        let layer = RegionLayer::new(regions);
        let cells: HashMap<usize, Cell> = cells_of(&layer, &area).into_iter().collect();
        // In the plane of longitude and latitude, where the boolean operations work (see the
        // union property: geodesic areas differ where an edge tens of km long is cut). Every
        // vertex on the area's border may move by 1e-7° (about 1 cm): the boolean operation's
        // grid, then the stored 7-decimal grid.
        let perimeter = |m: &MultiPolygon<f64>| -> f64 {
            m.0.iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .flat_map(|r| r.lines())
                .map(|l| l.dx().hypot(l.dy()))
                .sum()
        };
        for (i, region) in layer.regions().iter().enumerate() {
            let direct = geo::BooleanOps::intersection(&region.area, &area);
            // The engine drops the polygons of a cell under 1 m² (DEGENERATE_KM2): so may
            // the cell miss them (with a margin for the rounding to the stored grid).
            let dropped: f64 = direct
                .0
                .iter()
                .filter(|p| area_km2(&MultiPolygon::new(vec![(*p).clone()])) < 1.5 * DEGENERATE_KM2)
                .map(|p| p.unsigned_area())
                .sum();
            let tolerance = 4e-7 * perimeter(&direct) + dropped;
            let direct = direct.unsigned_area();
            let cell = match cells.get(&i) {
                None => 0.0,
                Some(c) => c.part.as_ref().map_or(region.area.unsigned_area(), |p| p.unpack(&Base::new(&region.area)).unsigned_area()),
            };
            prop_assert!(
                (cell - direct).abs() <= tolerance,
                "region {}: cell {} deg², directly {} deg² (of {})", i, cell, direct, region.area.unsigned_area()
            );
        }
    }
}
