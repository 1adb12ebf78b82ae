//! Unions of service-area parts.

use geo::{MultiPolygon, Polygon};

/// The union of all `parts` (overlaps merged, touching parts joined).
pub fn union_all(parts: &[MultiPolygon<f64>]) -> MultiPolygon<f64> {
    let polygons: Vec<&Polygon<f64>> = parts.iter().flat_map(|mp| mp.0.iter()).collect();
    match polygons.len() {
        0 => MultiPolygon::new(vec![]),
        1 => MultiPolygon::new(vec![polygons[0].clone()]),
        _ => geo::unary_union(polygons),
    }
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
    fn disjoint_parts_stay_apart() {
        let u = union_all(&[square(5.0, 52.0, 0.1), square(6.0, 52.0, 0.1)]);
        assert_eq!(u.0.len(), 2);
        assert!(union_all(&[]).0.is_empty());
    }
}
