//! GeoJSON (RFC 7946) in and out: region FeatureCollections and MultiPolygon documents.

use crate::validate::{GeometryError, parse_area};
use geo::{Coord, LineString, MultiPolygon, Polygon, Winding};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Value, json};

/// Rounds to 7 decimals (about 1 cm), the precision areas are stored and indexed at.
fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

/// A ring's positions, wound counter-clockwise (`ccw`) or clockwise, whatever its own order.
fn ring_json(ring: &LineString<f64>, ccw: bool) -> Value {
    let position = |c: &Coord<f64>| json!([round7(c.x), round7(c.y)]);
    let positions: Vec<Value> = if ring.is_ccw() == ccw {
        ring.0.iter().map(position).collect()
    } else {
        ring.0.iter().rev().map(position).collect()
    };
    Value::Array(positions)
}

/// A GeoJSON MultiPolygon geometry (coordinates rounded to 7 decimals), wound as RFC 7946
/// §3.1.6 asks of producers: exterior rings counter-clockwise, holes clockwise. (The parts come
/// from CBS files and boolean operations in either order.)
pub fn multipolygon_to_geojson(area: &MultiPolygon<f64>) -> Value {
    let polygons: Vec<Value> = area
        .0
        .iter()
        .map(|p| {
            let mut rings = vec![ring_json(p.exterior(), true)];
            rings.extend(p.interiors().iter().map(|r| ring_json(r, false)));
            Value::Array(rings)
        })
        .collect();
    json!({"type": "MultiPolygon", "coordinates": polygons})
}

/// `area` as a GeoJSON MultiPolygon geometry, serialised straight from the polygons: the same
/// document as [`multipolygon_to_geojson`] (keys, order, winding, numbers), without building
/// it first. For answers that carry many areas, which need not be kept as text.
pub struct GeoJsonArea<'a>(pub &'a MultiPolygon<f64>);

impl Serialize for GeoJsonArea<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Positions<'a>(&'a LineString<f64>, bool);
        impl Serialize for Positions<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let Positions(ring, ccw) = *self;
                let mut seq = s.serialize_seq(Some(ring.0.len()))?;
                let mut put = |c: &Coord<f64>| seq.serialize_element(&[round7(c.x), round7(c.y)]);
                if ring.is_ccw() == ccw {
                    ring.0.iter().try_for_each(&mut put)?;
                } else {
                    ring.0.iter().rev().try_for_each(&mut put)?;
                }
                seq.end()
            }
        }
        struct Rings<'a>(&'a Polygon<f64>);
        impl Serialize for Rings<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut seq = s.serialize_seq(Some(1 + self.0.interiors().len()))?;
                seq.serialize_element(&Positions(self.0.exterior(), true))?;
                for hole in self.0.interiors() {
                    seq.serialize_element(&Positions(hole, false))?;
                }
                seq.end()
            }
        }
        struct Polygons<'a>(&'a MultiPolygon<f64>);
        impl Serialize for Polygons<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.0.iter().map(Rings))
            }
        }
        // In the order serde_json's map writes them (sorted), as a stored area is read back.
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("coordinates", &Polygons(self.0))?;
        map.serialize_entry("type", "MultiPolygon")?;
        map.end()
    }
}

/// `area` as stored: rounded exactly as [`multipolygon_to_geojson`] writes it.
pub fn canonical(area: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    let ring = |r: &LineString<f64>| {
        LineString::new(
            r.0.iter()
                .map(|c| Coord {
                    x: round7(c.x),
                    y: round7(c.y),
                })
                .collect(),
        )
    };
    MultiPolygon::new(
        area.0
            .iter()
            .map(|p| Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect()))
            .collect(),
    )
}

/// Reads back a stored GeoJSON Polygon/MultiPolygon without re-validating it (it was checked,
/// or derived, before it was stored). Malformed input gives an empty area.
pub fn multipolygon_from_geojson(value: &Value) -> MultiPolygon<f64> {
    fn ring(v: &Value) -> LineString<f64> {
        LineString::new(
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|p| {
                            Some(Coord {
                                x: p.get(0)?.as_f64()?,
                                y: p.get(1)?.as_f64()?,
                            })
                        })
                        .collect()
                })
                .unwrap_or_default(),
        )
    }
    fn polygon(v: &Value) -> Option<Polygon<f64>> {
        let rings = v.as_array()?;
        let mut it = rings.iter().map(ring);
        Some(Polygon::new(it.next()?, it.collect()))
    }
    let coords = value.get("coordinates");
    match value.get("type").and_then(Value::as_str) {
        Some("Polygon") => MultiPolygon::new(coords.and_then(polygon).into_iter().collect()),
        Some("MultiPolygon") => MultiPolygon::new(
            coords
                .and_then(Value::as_array)
                .map(|list| list.iter().filter_map(polygon).collect())
                .unwrap_or_default(),
        ),
        _ => MultiPolygon::new(vec![]),
    }
}

/// [`multipolygon_from_geojson`] from the GeoJSON text, parsed straight into polygons (at
/// start-up every stored area is read this way: as a JSON tree first it took three times as
/// long). Anything but a Polygon or MultiPolygon falls back to the tree, and so to an empty
/// area when malformed.
pub fn multipolygon_from_geojson_text(text: &str) -> MultiPolygon<f64> {
    #[derive(serde::Deserialize)]
    #[serde(tag = "type")]
    enum Shape {
        Polygon {
            coordinates: Vec<Vec<[f64; 2]>>,
        },
        MultiPolygon {
            coordinates: Vec<Vec<Vec<[f64; 2]>>>,
        },
    }
    fn polygon(rings: Vec<Vec<[f64; 2]>>) -> Option<Polygon<f64>> {
        let mut it = rings
            .into_iter()
            .map(|r| LineString::new(r.into_iter().map(|[x, y]| Coord { x, y }).collect()));
        Some(Polygon::new(it.next()?, it.collect()))
    }
    match serde_json::from_str::<Shape>(text) {
        Ok(Shape::Polygon { coordinates }) => {
            MultiPolygon::new(polygon(coordinates).into_iter().collect())
        }
        Ok(Shape::MultiPolygon { coordinates }) => {
            MultiPolygon::new(coordinates.into_iter().filter_map(polygon).collect())
        }
        Err(_) => serde_json::from_str::<Value>(text)
            .map(|v| multipolygon_from_geojson(&v))
            .unwrap_or_else(|_| MultiPolygon::new(vec![])),
    }
}

/// One feature of a region file.
#[derive(Debug, Clone)]
pub struct RegionFeature {
    pub code: String,
    pub name: String,
    pub population: Option<i64>,
    /// The source's own area figure, when it has one (CBS files carry `area_km2`).
    pub source_area_km2: Option<f64>,
    pub area: MultiPolygon<f64>,
}

/// Why feature `index` (0-based) of a region file was refused.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureError {
    pub index: usize,
    pub reason: String,
}

impl std::fmt::Display for FeatureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "feature {}: {}", self.index, self.reason)
    }
}

fn text(props: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match props.get(*k) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// Longest edge of a stored region boundary, in degrees (about 550 m north–south, 340 m
/// east–west).
pub const REGION_MAX_EDGE_DEG: f64 = 0.005;

/// `area` with no edge longer than [`REGION_MAX_EDGE_DEG`] (points inserted along each longer
/// edge, in degrees), rounded as stored ([`canonical`]).
///
/// A long straight edge is ambiguous on the ellipsoid: the geodesic between its ends bows
/// poleward of the straight line in degrees that the boolean operations use (2.6 m over 10 km at
/// 52°N), so the geodesic area of a region, or of a part of it, depends on which points lie along
/// such an edge. Lelystad's 10 km+ IJsselmeer edges made the covered area of one circle differ
/// by 0.008 km² between a cell and the union it belongs to. With edges of at most 550 m the
/// ambiguity is under 0.01 m per edge: any extra or missing point along an edge changes areas by
/// a few m² at most.
pub fn densify_region(area: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    use geo::{Densify, Euclidean};
    canonical(&Euclidean.densify(area, REGION_MAX_EDGE_DEG))
}

/// Parses one feature of a CBS/PDOK-shaped region FeatureCollection: the code is `code`
/// (`statcode`, `pc4`), the name `name` (`statnaam`, `woonplaats`, falling back to the code),
/// the population `population` (`aantal_inwoners`, `population_2021`). The boundary is
/// densified ([`densify_region`]).
pub fn parse_region_feature(
    index: usize,
    feature: &Value,
    max_vertices: usize,
) -> Result<RegionFeature, FeatureError> {
    let err = |reason: String| FeatureError { index, reason };
    if feature.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(err("not a GeoJSON Feature".into()));
    }
    let props = feature.get("properties").cloned().unwrap_or(Value::Null);
    let code = text(&props, &["code", "statcode", "pc4", "postcode"])
        .ok_or_else(|| err("no `code` (or `statcode`, `pc4`) property".into()))?;
    let name = text(&props, &["name", "statnaam", "woonplaats"]).unwrap_or_else(|| code.clone());
    let population = ["population", "aantal_inwoners", "population_2021"]
        .iter()
        .find_map(|k| props.get(*k).and_then(Value::as_f64))
        .map(|p| p.round() as i64);
    if population.is_some_and(|p| p < 0) {
        return Err(err(format!("{code}: negative population")));
    }
    let geometry = feature
        .get("geometry")
        .ok_or_else(|| err(format!("{code}: no geometry")))?;
    let area = parse_area(geometry, max_vertices).map_err(|errors: Vec<GeometryError>| {
        let reasons: Vec<String> = errors.iter().take(3).map(ToString::to_string).collect();
        err(format!("{code}: invalid geometry: {}", reasons.join("; ")))
    })?;
    Ok(RegionFeature {
        code,
        name,
        population,
        source_area_km2: props.get("area_km2").and_then(Value::as_f64),
        area: densify_region(&area),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_reads_as_the_tree_does() {
        let shapes = [
            json!({"type": "Polygon", "coordinates": [[[5, 52], [5.1, 52.0], [5.1, 52.1], [5, 52]]]}),
            json!({"type": "MultiPolygon", "coordinates": [
                [[[5.0, 52.0], [5.1234567, 52.0], [5.1, 52.1], [5.0, 52.0]],
                 [[5.02, 52.01], [5.03, 52.01], [5.03, 52.02], [5.02, 52.01]]],
                [[[6.0, 53.0], [6.1, 53.0], [6.1, 53.1], [6.0, 53.0]]]
            ]}),
            // Not what is stored, but read the same either way: a third coordinate, another
            // type, no type, not JSON.
            json!({"type": "Polygon", "coordinates": [[[5.0, 52.0, 1.0], [5.1, 52.0, 1.0], [5.1, 52.1, 1.0], [5.0, 52.0, 1.0]]]}),
            json!({"type": "Point", "coordinates": [5.0, 52.0]}),
            json!({"coordinates": []}),
        ];
        for shape in shapes {
            let text = shape.to_string();
            assert_eq!(
                multipolygon_from_geojson_text(&text),
                multipolygon_from_geojson(&shape),
                "{text}"
            );
        }
        assert!(multipolygon_from_geojson_text("{not json").0.is_empty());
    }

    #[test]
    fn round_trip() {
        let v = json!({"type": "Polygon", "coordinates": [[[5.0, 52.0], [5.1, 52.0], [5.1, 52.1], [5.0, 52.0]]]});
        let mp = multipolygon_from_geojson(&v);
        assert_eq!(mp.0.len(), 1);
        let out = multipolygon_to_geojson(&mp);
        assert_eq!(out["type"], "MultiPolygon");
        assert_eq!(multipolygon_from_geojson(&out), mp);
    }

    #[test]
    fn an_area_streamed_is_the_document_built() {
        // Rings in both windings, a hole, a part off the grid, and a circle.
        let v = json!({"type": "MultiPolygon", "coordinates": [
            [[[5.0, 52.0], [5.0, 52.1], [5.1, 52.1], [5.1, 52.0], [5.0, 52.0]],
             [[5.02, 52.02], [5.08, 52.02], [5.08, 52.08], [5.02, 52.02]]],
            [[[6.0, 53.0], [6.100000049, 53.0], [6.1, 53.1], [6.0, 53.0]]]
        ]});
        let circle = MultiPolygon::new(vec![crate::geodesy::circle(52.37, 4.89, 12.5, 64)]);
        for area in [
            multipolygon_from_geojson(&v),
            circle.clone(),
            canonical(&circle),
            MultiPolygon::new(vec![]),
        ] {
            let streamed = serde_json::to_string(&GeoJsonArea(&area)).unwrap_or_default();
            let built = multipolygon_to_geojson(&area).to_string();
            assert_eq!(streamed, built);
            assert!(streamed.starts_with(r#"{"coordinates":[["#) || area.0.is_empty());
        }
    }

    #[test]
    fn rings_are_written_in_the_order_rfc_7946_asks() {
        // Exterior clockwise, hole counter-clockwise: both the wrong way round.
        let v = json!({"type": "Polygon", "coordinates": [
            [[5.0, 52.0], [5.0, 52.3], [5.3, 52.3], [5.3, 52.0], [5.0, 52.0]],
            [[5.1, 52.1], [5.2, 52.1], [5.2, 52.2], [5.1, 52.2], [5.1, 52.1]]
        ]});
        let out = multipolygon_to_geojson(&multipolygon_from_geojson(&v));
        let written = multipolygon_from_geojson(&out);
        let p = &written.0[0];
        assert!(p.exterior().is_ccw(), "{out}");
        assert!(p.interiors()[0].is_cw(), "{out}");
        assert_eq!(out["coordinates"][0][0][0], json!([5.0, 52.0]));
        // Already right: unchanged.
        assert_eq!(multipolygon_to_geojson(&written), out);
    }

    #[test]
    fn region_features() {
        let f = json!({"type": "Feature", "properties": {"code": "GM0001", "name": "A", "population": 12.0},
                       "geometry": {"type": "Polygon", "coordinates": [[[5.0, 52.0], [5.1, 52.0], [5.1, 52.1], [5.0, 52.0]]]}});
        let r = parse_region_feature(0, &f, 1000).map_err(|e| e.to_string());
        assert_eq!(
            r.as_ref().map(|r| (r.code.as_str(), r.population)),
            Ok(("GM0001", Some(12)))
        );
        let bad = json!({"type": "Feature", "properties": {"code": "GM0002"}, "geometry": {"type": "Point", "coordinates": [5.0, 52.0]}});
        let e = parse_region_feature(7, &bad, 1000)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.starts_with("feature 7: GM0002: invalid geometry"), "{e}");
        let nameless = json!({"type": "Feature", "properties": {}, "geometry": null});
        assert!(parse_region_feature(1, &nameless, 1000).is_err());
    }
}
