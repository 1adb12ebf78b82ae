//! Measurements on the WGS84 ellipsoid.

use geo::{Destination, Geodesic, GeodesicArea, MultiPolygon, Point, Polygon};

/// Mean length of one degree of latitude in km (and of longitude at the equator), for local,
/// short-range distance estimates.
pub const KM_PER_DEGREE: f64 = 111.195;

/// Geodesic area in km² (WGS84 ellipsoid), whatever the ring orientation.
///
/// Rings are measured one by one with the signed formula and their absolute values used:
/// geographiclib's *unsigned* area of a clockwise ring is the rest of the Earth, which turns a
/// degenerate sliver from a boolean operation into 510 million km².
pub fn area_km2(area: &MultiPolygon<f64>) -> f64 {
    let ring =
        |r: &geo::LineString<f64>| Polygon::new(r.clone(), vec![]).geodesic_area_signed().abs();
    area.0
        .iter()
        .map(|p| (ring(p.exterior()) - p.interiors().iter().map(ring).sum::<f64>()).max(0.0))
        .sum::<f64>()
        / 1e6
}

/// A circle of `radius_km` around (`lat`, `lon`) as a polygon of `segments` geodesic
/// destinations, counter-clockwise as RFC 7946 wants exterior rings.
pub fn circle(lat: f64, lon: f64, radius_km: f64, segments: usize) -> Polygon<f64> {
    let centre = Point::new(lon, lat);
    let n = segments.max(8);
    let mut ring: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            // Bearings decreasing from north: counter-clockwise on the map.
            let bearing = 360.0 - (i as f64) * 360.0 / n as f64;
            let p = Geodesic.destination(centre, bearing % 360.0, radius_km * 1000.0);
            (p.x(), p.y())
        })
        .collect();
    ring.push(ring[0]);
    Polygon::new(ring.into(), vec![])
}

/// Distance in km between two WGS84 points on the ellipsoid.
pub fn distance_km(a: Point<f64>, b: Point<f64>) -> f64 {
    use geo::Distance;
    Geodesic.distance(a, b) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Contains, MultiPolygon};

    #[test]
    fn a_one_degree_cell_at_52n_has_the_known_area() {
        // 1° × 1° at 52–53°N on WGS84 is about 7,553 km² (ellipsoidal band area formula).
        let cell: Polygon<f64> = Polygon::new(
            vec![
                (5.0, 52.0),
                (6.0, 52.0),
                (6.0, 53.0),
                (5.0, 53.0),
                (5.0, 52.0),
            ]
            .into(),
            vec![],
        );
        let a = area_km2(&MultiPolygon::new(vec![cell]));
        assert!((a - 7553.0).abs() < 10.0, "{a}");
    }

    #[test]
    fn orientation_does_not_matter() {
        let ccw: Polygon<f64> = Polygon::new(
            vec![(5.0, 52.0), (5.1, 52.0), (5.1, 52.1), (5.0, 52.0)].into(),
            vec![],
        );
        let cw: Polygon<f64> = Polygon::new(
            vec![(5.0, 52.0), (5.1, 52.1), (5.1, 52.0), (5.0, 52.0)].into(),
            vec![],
        );
        let a = area_km2(&MultiPolygon::new(vec![ccw]));
        let b = area_km2(&MultiPolygon::new(vec![cw]));
        assert!(a > 30.0 && a < 40.0 && (a - b).abs() < 1e-9, "{a} {b}");
        // A square with a hole of a quarter of it.
        let holed: Polygon<f64> = Polygon::new(
            vec![
                (5.0, 52.0),
                (5.2, 52.0),
                (5.2, 52.2),
                (5.0, 52.2),
                (5.0, 52.0),
            ]
            .into(),
            vec![
                vec![
                    (5.05, 52.05),
                    (5.05, 52.15),
                    (5.15, 52.15),
                    (5.15, 52.05),
                    (5.05, 52.05),
                ]
                .into(),
            ],
        );
        let full = area_km2(&MultiPolygon::new(vec![Polygon::new(
            holed.exterior().clone(),
            vec![],
        )]));
        let with_hole = area_km2(&MultiPolygon::new(vec![holed]));
        assert!(
            (with_hole / full - 0.75).abs() < 0.001,
            "{with_hole} {full}"
        );
    }

    #[test]
    fn circles_have_the_area_of_a_circle() {
        let c = circle(52.1, 5.1, 10.0, 128);
        let a = area_km2(&MultiPolygon::new(vec![c.clone()]));
        let expected = std::f64::consts::PI * 100.0;
        assert!((a / expected - 1.0).abs() < 0.002, "{a} vs {expected}");
        assert!(c.contains(&Point::new(5.1, 52.1)));
        assert!(
            !c.contains(&Point::new(5.1, 52.2)),
            "11 km north is outside"
        );
    }

    #[test]
    fn distances() {
        // Groningen – Maastricht, about 274 km.
        let d = distance_km(Point::new(6.5665, 53.2194), Point::new(5.6909, 50.8514));
        assert!((d - 273.0).abs() < 3.0, "{d}");
    }
}
