//! `/v1/regions/{layer}`: the region layers, as JSON or GeoJSON.

use crate::dto::page::{ListResponse, PageInfo};
use crate::error::{ApiError, ApiResult, Problem};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use onconet_registry::{LAYERS, Registry};
use onconet_spatial::Region;
use onconet_spatial::geojson_io::multipolygon_to_geojson;
use onconet_spatial::simplify::MAX_ZOOM;
use serde::{Deserialize, Serialize};
use serde_json::json;
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};

pub const GEO_JSON: &str = "application/geo+json";
const MAX_REGIONS_PER_PAGE: i64 = 5000;

#[derive(Debug, Serialize, ToSchema)]
pub struct RegionResponse {
    /// CBS code (`GM0014`, `PV20`), four-digit postcode, or a ROS organisation code
    /// (`ros-noord`) for a working area.
    #[schema(example = "GM0014")]
    pub code: String,
    #[schema(example = "Groningen")]
    pub name: String,
    /// Inhabitants, where known.
    pub population: Option<i64>,
    /// Geodesic area in km², to the m² (6 decimals: the smallest PC4 areas are a few thousand
    /// m², where 3 decimals would be off by several %).
    pub area_km2: f64,
    /// A point inside the region, `[lon, lat]`.
    pub interior_point: [f64; 2],
}

impl RegionResponse {
    fn new(r: &Region) -> Self {
        Self {
            code: r.code.clone(),
            name: r.name.clone(),
            population: r.population,
            area_km2: to_square_metre(r.area_km2),
            interior_point: [r.interior.x(), r.interior.y()],
        }
    }
}

/// km² rounded to the m²: how region areas are given (here and in coverage rows).
pub(crate) fn to_square_metre(km2: f64) -> f64 {
    (km2 * 1e6).round() / 1e6
}

/// A region as a GeoJSON Feature whose geometry is an outline serialised beforehand.
#[derive(Serialize)]
struct OutlineFeature<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a str,
    geometry: &'a RawValue,
    properties: serde_json::Value,
}

#[derive(Serialize)]
struct OutlineCollection<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    features: Vec<OutlineFeature<'a>>,
    page: PageInfo,
}

fn outline_feature<'a>(r: &'a Region, outline: &'a RawValue, layer: &str) -> OutlineFeature<'a> {
    OutlineFeature {
        kind: "Feature",
        id: &r.code,
        geometry: outline,
        properties: properties(r, layer),
    }
}

fn properties(r: &Region, layer: &str) -> serde_json::Value {
    json!({"layer": layer, "code": r.code, "name": r.name, "population": r.population,
           "area_km2": to_square_metre(r.area_km2)})
}

fn feature(r: &Region, layer: &str) -> serde_json::Value {
    json!({
        "type": "Feature",
        "id": r.code,
        "geometry": multipolygon_to_geojson(&r.area),
        "properties": properties(r, layer),
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RegionsQuery {
    /// Page number, from 1.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub page: Option<String>,
    /// Regions per page, 1–5000 (default 500).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 5000)]
    pub per_page: Option<String>,
    /// `geojson` for a FeatureCollection (same as `Accept: application/geo+json`).
    #[param(pattern = "^(json|geojson)$")]
    pub format: Option<String>,
    /// GeoJSON only: the outlines simplified for a web map at this zoom level (0–18, Web
    /// Mercator tiles of 256 px): no outline moves more than half a pixel at that zoom, every
    /// region stays, specks and holes under a pixel go. Absent: the outlines as imported.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 18, example = 8)]
    pub zoom: Option<String>,
}

/// `zoom`: an integer from 0 to [`MAX_ZOOM`].
fn zoom_of(value: Option<&str>) -> ApiResult<Option<u8>> {
    value
        .map(|v| {
            v.trim()
                .parse::<u8>()
                .ok()
                .filter(|z| *z <= MAX_ZOOM)
                .ok_or_else(|| {
                    ApiError::bad_parameter(
                        "zoom",
                        "out_of_range",
                        format!("must be an integer from 0 to {MAX_ZOOM}"),
                    )
                })
        })
        .transpose()
}

impl crate::extract::ListParams for RegionsQuery {}

fn layer_of(
    registry: &Registry,
    layer: &str,
) -> ApiResult<std::sync::Arc<onconet_spatial::RegionLayer>> {
    if !LAYERS.contains(&layer) {
        return Err(ApiError::NotFound(format!(
            "no region layer `{layer}` (municipality, province, pc4, ros_area)"
        )));
    }
    Ok(registry.geo.layer(layer).unwrap_or_default())
}

/// The regions of one layer (`municipality`, `province`, `pc4`, `ros_area`: the ROSes'
/// working areas, by ROS organisation code), by code.
#[utoipa::path(
    tag = "regions",
    params(("layer" = String, Path, description = "municipality, province, pc4 or ros_area", pattern = "^(municipality|province|pc4|ros_area)$"), RegionsQuery),
    responses(
        (status = 200, description = "One page of regions (a GeoJSON FeatureCollection with `Accept: application/geo+json` or `format=geojson`)",
            content((ListResponse<RegionResponse> = "application/json"), (Object = "application/geo+json"))),
        (status = 400, description = "A query parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such layer", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/regions/{layer}")]
pub async fn list_regions(
    req: HttpRequest,
    registry: web::Data<Registry>,
    path: web::Path<String>,
    query: crate::extract::Query<RegionsQuery>,
) -> ApiResult<HttpResponse> {
    let layer_name = path.into_inner();
    let layer = layer_of(&registry, &layer_name)?;
    let geojson = crate::extract::want_geojson(&req, query.format.as_deref())?;
    let zoom = zoom_of(query.zoom.as_deref())?;
    if zoom.is_some() && !geojson {
        return Err(ApiError::bad_parameter(
            "zoom",
            "not_allowed",
            "zoom simplifies outlines: ask for GeoJSON (format=geojson or Accept: application/geo+json)",
        ));
    }
    let parse = |name: &str, v: Option<&str>, default: i64, max: i64| -> ApiResult<i64> {
        match v {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| {
                    ApiError::bad_parameter(
                        name,
                        "out_of_range",
                        format!("must be an integer from 1 to {max}"),
                    )
                }),
        }
    };
    let page = parse("page", query.page.as_deref(), 1, 1_000_000)?;
    let per_page = parse(
        "per_page",
        query.per_page.as_deref(),
        500,
        MAX_REGIONS_PER_PAGE,
    )?;
    let info = PageInfo::new(page, per_page, layer.len() as i64);
    let start = usize::try_from((page - 1) * per_page).unwrap_or(usize::MAX);
    let slice = layer.regions().iter().skip(start).take(per_page as usize);
    let link = info.link_header(req.path(), req.query_string());
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::LINK, link))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::VARY, "Accept"));
    Ok(if geojson {
        if let Some(z) = zoom {
            let outlines = registry.outlines(&layer_name, &layer, z).await?;
            let features: Vec<_> = slice
                .zip(outlines.iter().skip(start))
                .map(|(r, o)| outline_feature(r, o, &layer_name))
                .collect();
            // A struct, not `json!`, so the outlines go out as they were serialised.
            return Ok(response.content_type(GEO_JSON).json(OutlineCollection {
                kind: "FeatureCollection",
                features,
                page: info,
            }));
        }
        let features: Vec<_> = slice.map(|r| feature(r, &layer_name)).collect();
        response
            .content_type(GEO_JSON)
            .json(json!({"type": "FeatureCollection", "features": features, "page": info}))
    } else {
        response.json(ListResponse {
            items: slice.map(RegionResponse::new).collect(),
            page: info,
        })
    })
}

/// One region, as JSON or as a GeoJSON Feature.
#[utoipa::path(
    tag = "regions",
    params(
        ("layer" = String, Path, description = "municipality, province, pc4 or ros_area", pattern = "^(municipality|province|pc4|ros_area)$"),
        ("code" = String, Path, description = "Region code"),
        ("format" = Option<String>, Query, description = "`geojson` for a GeoJSON Feature", pattern = "^(json|geojson)$"),
    ),
    responses(
        (status = 200, description = "The region (a GeoJSON Feature with `Accept: application/geo+json` or `format=geojson`)",
            content((RegionResponse = "application/json"), (Object = "application/geo+json")),
            headers(("ETag" = String, description = "Changes when the registry's geography does"))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 400, description = "A query parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such layer or region", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/regions/{layer}/{code}")]
pub async fn get_region(
    req: HttpRequest,
    registry: web::Data<Registry>,
    path: web::Path<(String, String)>,
    query: crate::extract::Query<std::collections::HashMap<String, String>>,
) -> ApiResult<HttpResponse> {
    let (layer_name, code) = path.into_inner();
    if let Some(unknown) = query.keys().find(|k| *k != "format") {
        return Err(ApiError::bad_parameter(
            unknown,
            "unknown_parameter",
            "unknown query parameter",
        ));
    }
    let layer = layer_of(&registry, &layer_name)?;
    let region = layer
        .get(&code)
        .ok_or_else(|| ApiError::NotFound(format!("no {layer_name} with code `{code}`")))?;
    let geojson = crate::extract::want_geojson(&req, query.get("format").map(String::as_str))?;
    // Weak: it follows every change of the geography (layers and networks), not just this
    // region's, which is rare enough.
    let tag = format!(
        "W/\"{:x}-{}\"",
        registry.generation(),
        if geojson { "geo" } else { "json" }
    );
    if crate::extract::if_none_match(&req, tag.trim_start_matches("W/")) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, tag))
            .insert_header((header::VARY, "Accept"))
            .finish());
    }
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::VARY, "Accept"));
    Ok(if geojson {
        response
            .content_type(GEO_JSON)
            .json(feature(region, &layer_name))
    } else {
        response.json(RegionResponse::new(region))
    })
}
