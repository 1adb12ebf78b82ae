//! "Find a network": `/v1/search` and `/v1/here`, answered from the registry's in-memory
//! index ([`onconet_registry::places`]). The profiles come serialised in advance: an answer is
//! assembled, not re-serialised.

use crate::dto::network::{NetworkResponse, NetworkSummary};
use crate::dto::page::{PageInfo, parse_paging};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::if_none_match;
use crate::routes::regions::GEO_JSON;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use onconet_registry::geography::SearchEntry;
use onconet_registry::places::{self, Place, PlaceParams, parse_radius};
use onconet_registry::{NetworkFilter, Registry, TextQuery};
use onconet_spatial::geojson_io::GeoJsonArea;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

crate::dto::query::filtered_query! {
    lists [];
    /// The place to search around: exactly one of `lat`+`lon`, `postcode` or `municipality`.
    pub struct SearchQuery {
        /// Latitude (WGS84), with `lon`.
        #[param(value_type = Option<f64>, minimum = -90, maximum = 90, example = 53.2194)]
        pub lat: Option<String>,
        /// Longitude (WGS84), with `lat`.
        #[param(value_type = Option<f64>, minimum = -180, maximum = 180, example = 6.5665)]
        pub lon: Option<String>,
        /// Dutch postcode: `1234`, `1234AB` or `1234 AB` (resolved to its PC4 area).
        #[param(pattern = "^[1-9][0-9]{3} ?([A-Za-z]{2})?$", example = "9713")]
        pub postcode: Option<String>,
        /// CBS municipality code.
        #[param(pattern = "^[Gg][Mm][0-9]{4}$", example = "GM0014")]
        pub municipality: Option<String>,
        /// Text to find in the network's name or description (case-insensitive), as on
        /// `/v1/networks`.
        #[param(
            max_length = 200,
            pattern = "^[^\\x00-\\x1f\\x7f]*$",
            example = "oncologie"
        )]
        pub q: Option<String>,
        /// How far to look for networks that do not cover the place, in km (default 25, at most 100).
        #[param(value_type = Option<f64>, minimum = 0, maximum = 100, example = 25)]
        pub radius_km: Option<String>,
        /// Page number, from 1.
        #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000, example = 1)]
        pub page: Option<String>,
        /// Results per page, 1–100 (default 20).
        #[param(value_type = Option<i64>, minimum = 1, maximum = 100, example = 20)]
        pub per_page: Option<String>,
        /// `geojson` for a FeatureCollection (same as `Accept: application/geo+json`).
        #[param(value_type = Option<String>, pattern = "^(json|geojson)$")]
        pub format: Option<String>,
        /// `full` (default): each hit's whole public profile; `summary`: what a widget shows
        /// (id, name, type, website, disciplines, tumour types, public contacts), a fraction
        /// of the bytes.
        #[param(value_type = Option<String>, pattern = "^(full|summary)$")]
        pub view: Option<String>,
    }
}

impl SearchQuery {
    fn place(&self) -> PlaceParams<'_> {
        PlaceParams {
            lat: self.lat.as_deref(),
            lon: self.lon.as_deref(),
            postcode: self.postcode.as_deref(),
            municipality: self.municipality.as_deref(),
        }
    }
}

/// The place a search is about.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlaceResponse {
    pub lat: f64,
    pub lon: f64,
    /// The PC4 area, when searched by postcode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    /// The municipality the point lies in, when known.
    pub municipality: Option<RegionRef>,
    /// The province the point lies in, when known.
    pub province: Option<RegionRef>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RegionRef {
    pub code: String,
    pub name: String,
    pub population: Option<i64>,
}

/// One network found.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHit {
    /// Whether the network's area covers the place.
    pub covers: bool,
    /// Distance from the place to the network's area in km (0 when it covers it).
    pub distance_km: f64,
    /// The public profile (`view=full`, a `NetworkResponse`) or its summary (`view=summary`,
    /// a `NetworkSummary`).
    #[schema(schema_with = hit_network)]
    pub network: serde_json::Value,
}

/// A hit's network: the whole public profile or its summary.
fn hit_network() -> utoipa::openapi::Schema {
    use utoipa::PartialSchema;
    utoipa::openapi::Schema::AnyOf(
        utoipa::openapi::schema::AnyOfBuilder::new()
            .item(utoipa::openapi::Ref::from_schema_name("NetworkResponse"))
            .item(NetworkSummary::schema())
            .build(),
    )
}

/// Which document of each hit an answer carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Full,
    Summary,
}

fn parse_view(value: Option<&str>) -> Result<View, ApiError> {
    match value.map(str::trim) {
        None | Some("full") => Ok(View::Full),
        Some("summary") => Ok(View::Summary),
        Some(_) => Err(ApiError::bad_parameter(
            "view",
            "unknown_code",
            "must be full or summary",
        )),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResponse {
    pub place: PlaceResponse,
    pub radius_km: f64,
    /// Covering networks first, then the others by distance.
    pub items: Vec<SearchHit>,
    pub page: PageInfo,
}

/// What [`SearchHit`] is on the wire, with the profile serialised once, in advance.
#[derive(Serialize)]
struct Hit<'a> {
    covers: bool,
    distance_km: f64,
    network: &'a RawValue,
}

#[derive(Serialize)]
struct Found<'a> {
    place: &'a PlaceResponse,
    radius_km: f64,
    items: Vec<Hit<'a>>,
    page: PageInfo,
}

/// A network found at distance `d` (km), in `view`.
fn hit(e: &SearchEntry, d: f64, view: View) -> Hit<'_> {
    Hit {
        covers: d == 0.0,
        distance_km: round3(d),
        network: match view {
            View::Full => &e.public_json,
            View::Summary => &e.summary_json,
        },
    }
}

/// A found network as a GeoJSON Feature: its area, with the [`Hit`] as properties.
#[derive(Serialize)]
struct Feature<'a> {
    r#type: &'static str,
    id: uuid::Uuid,
    geometry: GeoJsonArea<'a>,
    properties: Hit<'a>,
}

/// The GeoJSON answer: a FeatureCollection with the search's place, radius and page.
#[derive(Serialize)]
struct FoundFeatures<'a> {
    r#type: &'static str,
    features: Vec<Feature<'a>>,
    place: &'a PlaceResponse,
    radius_km: f64,
    page: PageInfo,
}

impl From<&Place> for PlaceResponse {
    fn from(p: &Place) -> Self {
        let region = |r: &onconet_registry::places::RegionRef| RegionRef {
            code: r.code.clone(),
            name: r.name.clone(),
            population: r.population,
        };
        Self {
            lat: p.lat,
            lon: p.lon,
            postcode: p.postcode.clone(),
            municipality: p.municipality.as_ref().map(region),
            province: p.province.as_ref().map(region),
        }
    }
}

/// A weak ETag for an answer computed from the index: changes whenever the index does.
fn search_etag(generation: u64, req: &HttpRequest) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    req.path().hash(&mut h);
    req.query_string().hash(&mut h);
    req.headers()
        .get(header::ACCEPT)
        .map(|v| v.as_bytes())
        .hash(&mut h);
    format!("W/\"{generation:x}-{:x}\"", h.finish())
}

fn public_headers(response: &mut actix_web::HttpResponseBuilder, etag: &str) {
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .insert_header((header::VARY, "Accept"));
}

/// Find networks for a place: the networks whose service area covers it (`distance_km` 0,
/// `covers` true), then the others within `radius_km`, nearest first.
#[utoipa::path(
    tag = "search",
    params(SearchQuery),
    responses(
        (status = 200, description = "Networks found (a GeoJSON FeatureCollection with `Accept: application/geo+json` or `format=geojson`)",
            content((SearchResponse = "application/json"), (Object = "application/geo+json")),
            headers(("ETag" = String, description = "Changes when the registry does"), ("Link" = String, description = "RFC 8288 pagination links"))),
        (status = 304, description = "Not modified"),
        (status = 400, description = "A parameter is malformed or the place is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown postcode or municipality", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Coordinates or radius out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/search")]
pub async fn search(
    req: HttpRequest,
    registry: web::Data<Registry>,
    query: crate::extract::Query<SearchQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let filter = NetworkFilter::parse(q.filter_params(), &registry.vocabularies)?;
    let text = TextQuery::parse(q.q.as_deref())?;
    let radius_km = parse_radius(q.radius_km.as_deref())?;
    let (page, per_page) = parse_paging(q.page.as_deref(), q.per_page.as_deref())?;
    let geojson = crate::extract::want_geojson(&req, q.format.as_deref())?;
    let view = parse_view(q.view.as_deref())?;
    let place = registry.place(q.place())?;
    let etag = search_etag(registry.generation(), &req);
    if if_none_match(&req, etag.trim_start_matches("W/")) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish());
    }
    let skip = usize::try_from((page - 1) * per_page).unwrap_or(usize::MAX);
    let places::Found {
        total,
        items: found,
    } = registry.search(
        &place,
        &filter,
        text.as_ref(),
        radius_km,
        skip,
        usize::try_from(per_page).unwrap_or(0),
    )?;
    let place = PlaceResponse::from(&place);
    let info = PageInfo::new(page, per_page, total as i64);
    let mut response = HttpResponse::Ok();
    public_headers(&mut response, &etag);
    response.insert_header((
        header::LINK,
        info.link_header(req.path(), req.query_string()),
    ));
    // Written once into a buffer of about the right size (the profiles, serialised in advance,
    // and the areas, written from the index's polygons, are most of it).
    if geojson {
        // The index keeps the areas packed.
        let areas: Vec<_> = found.iter().map(|(e, _)| e.area.unpack()).collect();
        let features: Vec<Feature> = found
            .iter()
            .zip(&areas)
            .map(|((e, d), area)| Feature {
                r#type: "Feature",
                id: e.id,
                geometry: GeoJsonArea(area),
                properties: hit(e, *d, view),
            })
            .collect();
        let size = features
            .iter()
            .map(|f| {
                // About 24 bytes a position ("[5.1234567,52.1234567],").
                geo::CoordsIter::coords_count(f.geometry.0) * 24
                    + f.properties.network.get().len()
                    + 128
            })
            .sum::<usize>();
        let body = json_body(
            &FoundFeatures {
                r#type: "FeatureCollection",
                features,
                place: &place,
                radius_km,
                page: info,
            },
            size,
        )?;
        return Ok(response.content_type(GEO_JSON).body(body));
    }
    let items: Vec<Hit> = found.iter().map(|(e, d)| hit(e, *d, view)).collect();
    let size = items
        .iter()
        .map(|h| h.network.get().len() + 64)
        .sum::<usize>();
    let body = json_body(
        &Found {
            place: &place,
            radius_km,
            items,
            page: info,
        },
        size,
    )?;
    Ok(response
        .content_type(actix_web::http::header::ContentType::json())
        .body(body))
}

/// `value` as JSON, in a buffer sized for `size` bytes of items plus the rest of the answer.
fn json_body(value: &impl Serialize, size: usize) -> ApiResult<Vec<u8>> {
    let mut body = Vec::with_capacity(1024 + size);
    serde_json::to_writer(&mut body, value).map_err(ApiError::internal)?;
    Ok(body)
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HereQuery {
    /// Latitude (WGS84), with `lon`.
    #[param(value_type = Option<f64>, minimum = -90, maximum = 90, example = 53.2194)]
    pub lat: Option<String>,
    /// Longitude (WGS84), with `lat`.
    #[param(value_type = Option<f64>, minimum = -180, maximum = 180, example = 6.5665)]
    pub lon: Option<String>,
    /// Dutch postcode (`1234`, `1234AB`).
    #[param(pattern = "^[1-9][0-9]{3} ?([A-Za-z]{2})?$", example = "9713")]
    pub postcode: Option<String>,
    /// CBS municipality code.
    #[param(pattern = "^[Gg][Mm][0-9]{4}$", example = "GM0014")]
    pub municipality: Option<String>,
    /// Only expert panels and tumour groups for this tumour type.
    #[param(schema_with = crate::dto::schema::tumour_type)]
    pub tumour_type: Option<String>,
}

impl crate::extract::ListParams for HereQuery {}

impl HereQuery {
    fn place(&self) -> PlaceParams<'_> {
        PlaceParams {
            lat: self.lat.as_deref(),
            lon: self.lon.as_deref(),
            postcode: self.postcode.as_deref(),
            municipality: self.municipality.as_deref(),
        }
    }
}

/// Everything there is for one place.
#[derive(Debug, Serialize, ToSchema)]
pub struct HereResponse {
    pub place: PlaceResponse,
    /// Oncology care networks whose area covers the place.
    pub care_networks: Vec<NetworkResponse>,
    /// The most specific (smallest) regional oncology network covering the place.
    pub regional_network: Option<NetworkResponse>,
    /// Every regional oncology network covering the place, smallest first (they nest).
    pub regional_networks: Vec<NetworkResponse>,
    /// Network tumour groups covering the place (for `tumour_type` if given).
    pub tumour_groups: Vec<NetworkResponse>,
    /// Expert panels covering the place (for `tumour_type` if given).
    pub expert_panels: Vec<NetworkResponse>,
}

#[derive(Serialize)]
struct Here<'a> {
    place: &'a PlaceResponse,
    care_networks: Vec<&'a RawValue>,
    regional_network: Option<&'a RawValue>,
    regional_networks: Vec<&'a RawValue>,
    tumour_groups: Vec<&'a RawValue>,
    expert_panels: Vec<&'a RawValue>,
}

/// One call for a place: its municipality and province, the care networks covering it, the
/// regional oncology network, and the tumour groups and expert panels.
#[utoipa::path(
    tag = "search",
    params(HereQuery),
    responses(
        (status = 200, description = "What is there for this place", body = HereResponse),
        (status = 400, description = "A parameter is malformed or the place is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown postcode or municipality", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Coordinates out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/here")]
pub async fn here(
    req: HttpRequest,
    registry: web::Data<Registry>,
    query: crate::extract::Query<HereQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let tumour = registry.tumour_type(q.tumour_type.as_deref())?;
    let place = registry.place(q.place())?;
    let etag = search_etag(registry.generation(), &req);
    if if_none_match(&req, etag.trim_start_matches("W/")) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish());
    }
    let here = registry.here(&place, tumour.as_deref())?;
    fn raw(list: &[Arc<SearchEntry>]) -> Vec<&RawValue> {
        list.iter().map(|e| &*e.public_json).collect()
    }
    let place = PlaceResponse::from(&place);
    let body = Here {
        place: &place,
        care_networks: raw(&here.care_networks),
        regional_network: here.regional_networks.first().map(|e| &*e.public_json),
        regional_networks: raw(&here.regional_networks),
        tumour_groups: raw(&here.tumour_groups),
        expert_panels: raw(&here.expert_panels),
    };
    let mut response = HttpResponse::Ok();
    public_headers(&mut response, &etag);
    Ok(response.json(body))
}
