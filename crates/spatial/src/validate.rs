//! Validation of GeoJSON Polygon/MultiPolygon input, before any boolean operation.

use geo::{Coord, LineString, MultiPolygon, Polygon, Validation};
use serde_json::Value;
use std::fmt;

/// The bounding box every service area must lie in: the Netherlands including its coastal
/// waters, as (min lon, min lat, max lon, max lat) in WGS84 degrees.
pub const NL_BBOX: (f64, f64, f64, f64) = (3.0, 50.6, 7.6, 53.8);

/// Whether a WGS84 position lies in [`NL_BBOX`]; when it does not, why (the same words as a
/// geometry position outside it).
pub fn outside_netherlands(lon: f64, lat: f64) -> Option<String> {
    let (min_lon, min_lat, max_lon, max_lat) = NL_BBOX;
    if (min_lon..=max_lon).contains(&lon) && (min_lat..=max_lat).contains(&lat) {
        return None;
    }
    Some(format!(
        "({lon}, {lat}) lies outside the Netherlands (longitude {min_lon}–{max_lon}, latitude {min_lat}–{max_lat})"
    ))
}

/// Most vertices one service-area geometry may have.
pub const DEFAULT_MAX_VERTICES: usize = 100_000;

/// Why a geometry was refused, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeometryError {
    code: &'static str,
    message: String,
}

impl GeometryError {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// A stable machine-readable code (`not_a_polygon`, `unclosed_ring`, `self_intersection`, …).
    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl fmt::Display for GeometryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// All problems of a GeoJSON geometry meant as a service area (empty when valid).
pub fn validate_geojson(value: &Value, max_vertices: usize) -> Vec<GeometryError> {
    match parse_area(value, max_vertices) {
        Ok(_) => Vec::new(),
        Err(e) => e,
    }
}

/// Parses a GeoJSON Polygon or MultiPolygon into a valid [`MultiPolygon`], or lists every
/// reason it is not one: wrong type, malformed coordinates, non-finite or out-of-bounds
/// positions, unclosed or too-short rings, too many vertices, self-intersections, holes
/// outside their shell, overlapping parts.
pub fn parse_area(
    value: &Value,
    max_vertices: usize,
) -> Result<MultiPolygon<f64>, Vec<GeometryError>> {
    let kind = value.get("type").and_then(Value::as_str);
    let coordinates = value.get("coordinates");
    let polygons: Vec<&Value> = match (kind, coordinates) {
        (Some("Polygon"), Some(c)) => vec![c],
        (Some("MultiPolygon"), Some(Value::Array(list))) => list.iter().collect(),
        (Some("Polygon" | "MultiPolygon"), _) => {
            return Err(vec![GeometryError::new(
                "invalid_coordinates",
                "`coordinates` is missing or not an array",
            )]);
        }
        (Some(other), _) => {
            return Err(vec![GeometryError::new(
                "not_a_polygon",
                format!("geometry type must be Polygon or MultiPolygon, not {other}"),
            )]);
        }
        (None, _) => {
            return Err(vec![GeometryError::new(
                "not_a_polygon",
                "not a GeoJSON geometry (no `type`)",
            )]);
        }
    };
    if polygons.is_empty() {
        return Err(vec![GeometryError::new(
            "empty",
            "the MultiPolygon has no polygons",
        )]);
    }
    let multi = kind == Some("MultiPolygon");
    let mut errors = Vec::new();
    let mut vertices = 0usize;
    let mut parsed = Vec::new();
    for (pi, polygon) in polygons.iter().enumerate() {
        let where_p = if multi {
            format!("polygon {pi}, ")
        } else {
            String::new()
        };
        let Some(rings) = polygon.as_array().filter(|r| !r.is_empty()) else {
            errors.push(GeometryError::new(
                "invalid_coordinates",
                format!("{where_p}a polygon must be a non-empty array of rings"),
            ));
            continue;
        };
        let mut lines = Vec::new();
        for (ri, ring) in rings.iter().enumerate() {
            let where_r = format!("{where_p}ring {ri}");
            match parse_ring(ring, &where_r, &mut errors) {
                Some(coords) => {
                    vertices += coords.len();
                    lines.push(LineString::new(coords));
                }
                None => continue,
            }
        }
        if lines.len() == rings.len() {
            let mut lines = lines.into_iter();
            if let Some(exterior) = lines.next() {
                parsed.push((pi, Polygon::new(exterior, lines.collect())));
            }
        }
    }
    if vertices > max_vertices {
        errors.push(GeometryError::new(
            "too_many_vertices",
            format!("the geometry has {vertices} vertices; at most {max_vertices} are allowed"),
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    for (pi, polygon) in &parsed {
        for e in polygon.validation_errors() {
            let where_p = if multi {
                format!("polygon {pi}: ")
            } else {
                String::new()
            };
            errors.push(GeometryError::new(
                invalid_code(&e),
                format!("{where_p}{e}"),
            ));
        }
    }
    let result = MultiPolygon::new(parsed.into_iter().map(|(_, p)| p).collect());
    if errors.is_empty() && multi {
        for e in result.validation_errors() {
            errors.push(GeometryError::new("overlapping_polygons", e.to_string()));
        }
    }
    if errors.is_empty() {
        Ok(result)
    } else {
        Err(errors)
    }
}

fn invalid_code(e: &geo::algorithm::validation::InvalidPolygon) -> &'static str {
    use geo::algorithm::validation::InvalidPolygon::*;
    match e {
        TooFewPointsInRing(_) => "too_few_points",
        SelfIntersection(_) => "self_intersection",
        NonFiniteCoord(..) => "non_finite",
        InteriorRingNotContainedInExteriorRing(_) => "hole_outside_shell",
        IntersectingRingsOnALine(..) | IntersectingRingsOnAnArea(..) => "intersecting_rings",
    }
}

fn parse_ring(
    ring: &Value,
    where_r: &str,
    errors: &mut Vec<GeometryError>,
) -> Option<Vec<Coord<f64>>> {
    let Some(positions) = ring.as_array() else {
        errors.push(GeometryError::new(
            "invalid_coordinates",
            format!("{where_r} is not an array of positions"),
        ));
        return None;
    };
    let mut coords = Vec::with_capacity(positions.len());
    for (i, position) in positions.iter().enumerate() {
        let numbers = position
            .as_array()
            .filter(|a| (2..=3).contains(&a.len()))
            .and_then(|a| Some((a[0].as_f64()?, a[1].as_f64()?)));
        let Some((lon, lat)) = numbers else {
            errors.push(GeometryError::new(
                "invalid_coordinates",
                format!("{where_r}, position {i} is not [longitude, latitude]"),
            ));
            return None;
        };
        if !(lon.is_finite() && lat.is_finite()) {
            errors.push(GeometryError::new(
                "non_finite",
                format!("{where_r}, position {i} is not finite"),
            ));
            return None;
        }
        if let Some(why) = outside_netherlands(lon, lat) {
            errors.push(GeometryError::new(
                "outside_netherlands",
                format!("{where_r}, position {i} {why}; GeoJSON order is [longitude, latitude]"),
            ));
            return None;
        }
        coords.push(Coord { x: lon, y: lat });
    }
    if coords.len() < 4 {
        errors.push(GeometryError::new(
            "too_few_points",
            format!(
                "{where_r} has {} positions; a ring needs at least 4",
                coords.len()
            ),
        ));
        return None;
    }
    if coords.first() != coords.last() {
        errors.push(GeometryError::new(
            "unclosed_ring",
            format!("{where_r} is not closed: its last position must equal its first"),
        ));
        return None;
    }
    Some(coords)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn square(x: f64, y: f64, d: f64) -> Value {
        json!([[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]])
    }

    fn codes(v: Value) -> Vec<&'static str> {
        let mut codes: Vec<_> = validate_geojson(&v, DEFAULT_MAX_VERTICES)
            .iter()
            .map(GeometryError::code)
            .collect();
        codes.dedup();
        codes
    }

    #[test]
    fn accepts_valid_polygons() {
        assert!(
            codes(json!({"type": "Polygon", "coordinates": square(5.0, 52.0, 0.1)})).is_empty()
        );
        let multi = json!({"type": "MultiPolygon", "coordinates": [square(5.0, 52.0, 0.1), square(5.5, 52.0, 0.1)]});
        assert!(codes(multi).is_empty());
    }

    #[test]
    fn refuses_each_kind_of_bad_geometry() {
        assert_eq!(
            codes(json!({"type": "Point", "coordinates": [5.0, 52.0]})),
            ["not_a_polygon"]
        );
        assert_eq!(codes(json!({"coordinates": []})), ["not_a_polygon"]);
        assert_eq!(codes(json!({"type": "Polygon"})), ["invalid_coordinates"]);
        assert_eq!(
            codes(
                json!({"type": "Polygon", "coordinates": [[[5.0, 52.0], [5.1, 52.0], [5.1, 52.1], [5.0, 52.1]]]})
            ),
            ["unclosed_ring"]
        );
        assert_eq!(
            codes(
                json!({"type": "Polygon", "coordinates": [[[5.0, 52.0], [5.1, 52.0], [5.0, 52.0]]]})
            ),
            ["too_few_points"]
        );
        // A bow tie crosses itself.
        assert_eq!(
            codes(
                json!({"type": "Polygon", "coordinates": [[[5.0, 52.0], [5.1, 52.1], [5.1, 52.0], [5.0, 52.1], [5.0, 52.0]]]})
            ),
            ["self_intersection"]
        );
        assert_eq!(
            codes(json!({"type": "Polygon", "coordinates": square(13.4, 52.5, 0.1)})),
            ["outside_netherlands"]
        );
        // Latitude and longitude swapped is the most common mistake.
        assert_eq!(
            codes(json!({"type": "Polygon", "coordinates": square(52.0, 5.0, 0.1)})),
            ["outside_netherlands"]
        );
        assert_eq!(
            codes(json!({"type": "Polygon", "coordinates": [[[5.0, 52.0], ["x", 52.0]]]})),
            ["invalid_coordinates"]
        );
        let hole_outside = json!({"type": "Polygon", "coordinates": [square(5.0, 52.0, 0.1)[0], square(6.0, 52.0, 0.1)[0]]});
        assert_eq!(codes(hole_outside), ["hole_outside_shell"]);
        let overlapping = json!({"type": "MultiPolygon", "coordinates": [square(5.0, 52.0, 0.1), square(5.05, 52.0, 0.1)]});
        assert_eq!(codes(overlapping), ["overlapping_polygons"]);
        assert_eq!(
            codes(json!({"type": "MultiPolygon", "coordinates": []})),
            ["empty"]
        );
    }

    #[test]
    fn vertex_limit() {
        let v = json!({"type": "Polygon", "coordinates": square(5.0, 52.0, 0.1)});
        assert!(parse_area(&v, 5).is_ok());
        let errors = parse_area(&v, 4).err().unwrap_or_default();
        assert_eq!(
            errors.iter().map(GeometryError::code).collect::<Vec<_>>(),
            ["too_many_vertices"]
        );
    }
}
