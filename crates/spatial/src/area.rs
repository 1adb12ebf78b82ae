//! Unions of service-area parts.

use geo::orient::{Direction, Orient};
use geo::{BooleanOps, MultiPolygon, Polygon};

/// The union of all `parts` (overlaps merged, touching parts joined), whatever the
/// orientation of their rings; valid in the OGC sense (what service areas are stored as).
///
/// `geo::unary_union` takes its fill rule from the first ring's orientation, so a
/// counter-clockwise circle after a clockwise municipality would be dropped: every polygon is
/// first oriented the RFC 7946 way (exterior counter-clockwise, holes clockwise).
pub fn union_all(parts: &[MultiPolygon<f64>]) -> MultiPolygon<f64> {
    let oriented: Vec<Polygon<f64>> = parts
        .iter()
        .flat_map(|mp| mp.0.iter())
        .map(|p| p.orient(Direction::Default))
        .collect();
    match oriented.len() {
        0 => MultiPolygon::new(vec![]),
        1 => MultiPolygon::new(oriented),
        _ => geo::unary_union(&oriented),
    }
}

/// The union of `polygons`, whatever the orientation of their rings, for measuring it: a
/// cascaded union (pairs, then pairs of pairs), each step a two-operand `BooleanOps::union`.
///
/// Not `geo::unary_union` (as in [`union_all`]): on polygons that share most of their
/// boundary — the cells of one region — it produced tens of thousands of spurious vertices and
/// took up to 5.7 s where this takes 2 ms, for the same area to 10⁻⁷.
pub fn union_of<'a>(polygons: impl IntoIterator<Item = &'a Polygon<f64>>) -> MultiPolygon<f64> {
    let mut level: Vec<MultiPolygon<f64>> = polygons
        .into_iter()
        .map(|p| MultiPolygon::new(vec![p.orient(Direction::Default)]))
        .collect();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [a, b] => a.union(b),
                [a] => a.clone(),
                _ => MultiPolygon::new(vec![]),
            })
            .collect();
    }
    level.pop().unwrap_or_else(|| MultiPolygon::new(vec![]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geodesy::area_km2;
    use geo::Rect;

    fn square(x: f64, y: f64, d: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![Rect::new((x, y), (x + d, y + d)).to_polygon()])
    }

    #[test]
    fn overlaps_count_once() {
        let a = square(5.0, 52.0, 0.1);
        let b = square(5.05, 52.0, 0.1);
        let u = union_all(&[a.clone(), b]);
        assert_eq!(u.0.len(), 1);
        let expected = area_km2(&a) * 1.5;
        assert!((area_km2(&u) / expected - 1.0).abs() < 1e-3);
    }

    #[test]
    fn ring_orientation_does_not_matter() {
        let ccw = Rect::new((5.0, 52.0), (5.1, 52.1)).to_polygon();
        let mut cw = Rect::new((6.0, 52.0), (6.1, 52.1)).to_polygon();
        cw.exterior_mut(|r| r.0.reverse());
        let one = area_km2(&MultiPolygon::new(vec![ccw.clone()]));
        for parts in [
            [
                MultiPolygon::new(vec![cw.clone()]),
                MultiPolygon::new(vec![ccw.clone()]),
            ],
            [MultiPolygon::new(vec![ccw]), MultiPolygon::new(vec![cw])],
        ] {
            let u = union_all(&parts);
            assert_eq!(u.0.len(), 2);
            assert!(
                (area_km2(&u) / (2.0 * one) - 1.0).abs() < 1e-3,
                "{}",
                area_km2(&u)
            );
        }
    }

    #[test]
    fn disjoint_parts_stay_apart() {
        let u = union_all(&[square(5.0, 52.0, 0.1), square(6.0, 52.0, 0.1)]);
        assert_eq!(u.0.len(), 2);
        assert!(union_all(&[]).0.is_empty());
    }
}
