//! Measurements on the WGS84 ellipsoid.

use geo::{Destination, Geodesic, GeodesicArea, MultiPolygon, Point, Polygon};

/// WGS84: equatorial radius in km and first eccentricity squared.
const WGS84_A_KM: f64 = 6378.137;
const WGS84_E2: f64 = 6.694_379_990_14e-3;

/// The WGS84 ellipsoid's local scale at one latitude, for short-range distances in an
/// equirectangular frame around a place: positions in degrees, longitudes multiplied by
/// `lon_factor`, distances in degrees of latitude times `km_per_degree`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalScale {
    /// Length of one degree of latitude here, in km (the meridian's radius of curvature).
    pub km_per_degree: f64,
    /// Length of one degree of longitude here, in degrees of latitude (`N cos φ / M`).
    pub lon_factor: f64,
}

impl LocalScale {
    pub fn at(lat: f64) -> Self {
        let phi = lat.clamp(-89.9, 89.9).to_radians();
        let w2 = 1.0 - WGS84_E2 * phi.sin().powi(2);
        let m = WGS84_A_KM * (1.0 - WGS84_E2) / (w2 * w2.sqrt());
        let n = WGS84_A_KM / w2.sqrt();
        Self {
            km_per_degree: m.to_radians(),
            lon_factor: (n * phi.cos() / m).max(0.01),
        }
    }
}

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

    /// The largest relative error of the local frame against geodesics of `km`, from places
    /// all over the Netherlands in every direction.
    fn worst_local_error(km: f64, scale_at: impl Fn(f64) -> LocalScale) -> f64 {
        use geo::Distance;
        let mut worst = 0.0f64;
        for i in 0..40 {
            let (lat, lon) = (
                50.75 + 2.8 * f64::from(i) / 39.0,
                3.4 + 3.8 * f64::from(i % 7) / 6.0,
            );
            let scale = scale_at(lat);
            for b in 0..36 {
                let from = Point::new(lon, lat);
                let to = Geodesic.destination(from, f64::from(b) * 10.0, km * 1000.0);
                let dx = (to.x() - lon) * scale.lon_factor;
                let dy = to.y() - lat;
                let flat = dx.hypot(dy) * scale.km_per_degree;
                let true_km = Geodesic.distance(from, to) / 1000.0;
                worst = worst.max((flat / true_km - 1.0).abs());
            }
        }
        worst
    }

    #[test]
    fn the_local_frame_agrees_with_geodesics() {
        let (near, far) = (
            worst_local_error(25.0, LocalScale::at),
            worst_local_error(100.0, LocalScale::at),
        );
        let sphere = |lat: f64| LocalScale {
            km_per_degree: 111.195,
            lon_factor: lat.to_radians().cos(),
        };
        let (near_sphere, far_sphere) = (
            worst_local_error(25.0, sphere),
            worst_local_error(100.0, sphere),
        );
        eprintln!(
            "local frame vs geodesic: {:.4} % at 25 km, {:.4} % at 100 km (on a sphere: {:.4} %, {:.4} %)",
            near * 100.0,
            far * 100.0,
            near_sphere * 100.0,
            far_sphere * 100.0
        );
        assert!(near < 0.0011, "{near}");
        assert!(far < 0.0045, "{far}");
        assert!(near < near_sphere && far < far_sphere);
        // The sphere of 6,371 km (111.195 km a degree, cos φ for longitude) was 0.3 % short
        // east-west at 52°N.
        let s = LocalScale::at(52.0);
        assert!((s.km_per_degree - 111.266).abs() < 0.01, "{s:?}");
        assert!(
            (s.lon_factor * s.km_per_degree - 68.677).abs() < 0.01,
            "{s:?}"
        );
    }

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
