//! Service-area geometry for onconet: parsing and validating GeoJSON input.
//!
//! Pure functions over `geo` types; no I/O. Coordinates are WGS84 (EPSG:4326) longitude,
//! latitude in degrees, as in RFC 7946.

pub mod validate;

pub use validate::{GeometryError, NL_BBOX, parse_area, validate_geojson};
