//! Service-area geometry for onconet: parsing and validating GeoJSON input, geodesic areas and
//! circles, unions, the spatial index behind "find a network", and region layers.
//!
//! Pure functions over `geo` types; no I/O. Coordinates are WGS84 (EPSG:4326) longitude,
//! latitude in degrees, as in RFC 7946; areas are in km², computed geodesically on the WGS84
//! ellipsoid (Karney's algorithm, via `geo::GeodesicArea`).

pub mod area;
pub mod clip;
pub mod coverage;
pub mod geodesy;
pub mod geojson_io;
pub mod grid;
pub mod map;
pub mod nearby;
pub mod packed;
pub mod regions;
pub mod simplify;
pub mod validate;
pub mod window;

pub use area::union_all;
pub use geodesy::{area_km2, circle};
pub use nearby::{NearIndex, NearbyPage, NearbyQuery, PreparedArea};
pub use regions::{Region, RegionLayer, anchor_within};
pub use validate::{
    GeometryError, NL_BBOX, outside_netherlands, parse_area, parse_service_area, validate_geojson,
};
