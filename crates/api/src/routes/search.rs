//! "Find a network": `/v1/search` and `/v1/here`, answered from the in-memory index.

use crate::dto::network::NetworkResponse;
use crate::dto::page::{PageInfo, parse_paging};
use crate::error::{ApiError, ApiResult, InvalidParam, Problem};
use crate::extract::if_none_match;
use crate::geography::SearchEntry;
use crate::routes::regions::GEO_JSON;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use onconet_domain::{Lifecycle, NetworkType, parse_code, parse_municipality_code};
use onconet_spatial::NearbyQuery;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::hash::{Hash, Hasher};
use utoipa::{IntoParams, ToSchema};

/// Default and largest search radius in km.
pub const DEFAULT_RADIUS_KM: f64 = 25.0;
pub const MAX_RADIUS_KM: f64 = 100.0;

/// The place to search around: exactly one of `lat`+`lon`, `postcode` or `municipality`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
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
    /// Network types, comma-separated (any of).
    #[serde(rename = "type")]
    #[param(rename = "type", schema_with = crate::dto::schema::network_type_list, style = Form, explode = false)]
    pub network_type: Option<String>,
    /// Discipline codes, comma-separated (all of).
    #[param(schema_with = crate::dto::schema::discipline_list, style = Form, explode = false)]
    pub discipline: Option<String>,
    /// Tumour-type codes, comma-separated (all of).
    #[param(schema_with = crate::dto::schema::tumour_type_list, style = Form, explode = false)]
    pub tumour_type: Option<String>,
    /// Lifecycles, comma-separated (any of).
    #[param(schema_with = crate::dto::schema::lifecycle_list, style = Form, explode = false)]
    pub lifecycle: Option<String>,
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
}

impl crate::extract::ListParams for SearchQuery {
    const LISTS: &'static [&'static str] = &["type", "discipline", "tumour_type", "lifecycle"];
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
    /// The public profile.
    pub network: NetworkResponse,
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

/// A network found at distance `d` (km).
fn hit(e: &SearchEntry, d: f64) -> Hit<'_> {
    Hit {
        covers: d == 0.0,
        distance_km: round3(d),
        network: &e.public_json,
    }
}

/// A found network as a GeoJSON Feature: its area, with the [`Hit`] as properties.
#[derive(Serialize)]
struct Feature<'a> {
    r#type: &'static str,
    id: uuid::Uuid,
    geometry: &'a RawValue,
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

fn parse_number(name: &str, value: &str) -> ApiResult<f64> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| ApiError::bad_parameter(name, "invalid_type", "must be a number"))
}

fn out_of_range(name: &str, detail: &str) -> ApiError {
    ApiError::Validation(vec![InvalidParam::parameter(name, "out_of_range", detail)])
}

/// Normalises a Dutch postcode (`1234`, `1234AB`, `1234 ab`) to its four digits.
pub fn pc4_of(postcode: &str) -> Option<String> {
    let compact: String = postcode
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    // ASCII only: other digits and letters (`９７１１`, `٩٧١١`) are no Dutch postcode, and
    // splitting them at byte 4 would cut a character.
    if !compact.is_ascii() {
        return None;
    }
    let (digits, letters) = compact.split_at(compact.len().min(4));
    let ok = digits.len() == 4
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0')
        && (letters.is_empty()
            || (letters.len() == 2
                && letters.chars().all(|c| c.is_ascii_uppercase())
                && !matches!(letters, "SA" | "SD" | "SS")));
    ok.then(|| digits.to_owned())
}

fn region_ref(r: &onconet_spatial::Region) -> RegionRef {
    RegionRef {
        code: r.code.clone(),
        name: r.name.clone(),
        population: r.population,
    }
}

/// Resolves the place of a search.
fn resolve_place(
    state: &AppState,
    lat: Option<&str>,
    lon: Option<&str>,
    postcode: Option<&str>,
    municipality: Option<&str>,
) -> ApiResult<PlaceResponse> {
    let given = [
        lat.is_some() || lon.is_some(),
        postcode.is_some(),
        municipality.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(ApiError::BadRequest {
            detail: "give exactly one place: `lat` and `lon`, `postcode`, or `municipality`".into(),
            errors: vec![InvalidParam::parameter(
                "lat",
                "required",
                "one place is required",
            )],
        });
    }
    let (lon, lat, postcode) = if let (Some(lat), Some(lon)) = (lat, lon) {
        let (lat, lon) = (parse_number("lat", lat)?, parse_number("lon", lon)?);
        if !(-90.0..=90.0).contains(&lat) {
            return Err(out_of_range("lat", "latitude must be between -90 and 90"));
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(out_of_range(
                "lon",
                "longitude must be between -180 and 180",
            ));
        }
        (lon, lat, None)
    } else if lat.is_some() || lon.is_some() {
        let missing = if lat.is_none() { "lat" } else { "lon" };
        return Err(ApiError::bad_parameter(
            missing,
            "required",
            "`lat` and `lon` go together",
        ));
    } else if let Some(postcode) = postcode {
        let pc4 = pc4_of(postcode).ok_or_else(|| {
            ApiError::bad_parameter(
                "postcode",
                "invalid_format",
                "not a Dutch postcode (1234, 1234AB or 1234 AB)",
            )
        })?;
        let layer = state.geo.layer("pc4").unwrap_or_default();
        let area = layer
            .get(&pc4)
            .ok_or_else(|| ApiError::NotFound(format!("postcode area {pc4} is not known")))?;
        let land = state.geo.layer("municipality").unwrap_or_default();
        let at = onconet_spatial::anchor_within(area, &land);
        (at.x(), at.y(), Some(pc4))
    } else {
        let code = parse_municipality_code(municipality.unwrap_or_default())
            .map_err(|e| ApiError::bad_parameter("municipality", e.code, e.message))?;
        let layer = state.geo.layer("municipality").unwrap_or_default();
        let m = layer
            .get(&code)
            .ok_or_else(|| ApiError::NotFound(format!("municipality {code} is not known")))?;
        (m.interior.x(), m.interior.y(), None)
    };
    let municipality = state
        .geo
        .layer("municipality")
        .and_then(|l| l.at(lon, lat).map(region_ref));
    let province = state
        .geo
        .layer("province")
        .and_then(|l| l.at(lon, lat).map(region_ref));
    Ok(PlaceResponse {
        lat,
        lon,
        postcode,
        municipality,
        province,
    })
}

/// Filters on the index entries.
struct EntryFilter {
    types: Vec<NetworkType>,
    disciplines: Vec<String>,
    tumour_types: Vec<String>,
    lifecycles: Vec<Lifecycle>,
}

impl EntryFilter {
    fn is_empty(&self) -> bool {
        self.types.is_empty()
            && self.disciplines.is_empty()
            && self.tumour_types.is_empty()
            && self.lifecycles.is_empty()
    }

    fn matches(&self, e: &SearchEntry) -> bool {
        (self.types.is_empty() || self.types.contains(&e.network_type))
            && (self.lifecycles.is_empty() || self.lifecycles.contains(&e.lifecycle))
            && self.disciplines.iter().all(|d| e.disciplines.contains(d))
            && self.tumour_types.iter().all(|t| e.tumour_types.contains(t))
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
    state: web::Data<AppState>,
    query: crate::extract::Query<SearchQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let v = &state.vocabularies;
    let filter = EntryFilter {
        types: crate::extract::parse_list("type", q.network_type.as_deref(), |s| {
            s.parse::<NetworkType>()
        })?,
        disciplines: crate::extract::parse_list("discipline", q.discipline.as_deref(), |s| {
            parse_code(&v.disciplines, s)
        })?,
        tumour_types: crate::extract::parse_list("tumour_type", q.tumour_type.as_deref(), |s| {
            parse_code(&v.tumour_types, s)
        })?,
        lifecycles: crate::extract::parse_list("lifecycle", q.lifecycle.as_deref(), |s| {
            s.parse::<Lifecycle>()
        })?,
    };
    let radius_km = match q.radius_km.as_deref() {
        None => DEFAULT_RADIUS_KM,
        Some(r) => {
            let r = parse_number("radius_km", r)?;
            if !(0.0..=MAX_RADIUS_KM).contains(&r) {
                return Err(out_of_range("radius_km", "must be between 0 and 100"));
            }
            r
        }
    };
    let (page, per_page) = parse_paging(q.page.as_deref(), q.per_page.as_deref())?;
    let geojson = crate::extract::want_geojson(&req, q.format.as_deref())?;
    let place = resolve_place(
        &state,
        q.lat.as_deref(),
        q.lon.as_deref(),
        q.postcode.as_deref(),
        q.municipality.as_deref(),
    )?;
    let etag = search_etag(state.geo.generation(), &req);
    if if_none_match(&req, etag.trim_start_matches("W/")) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish());
    }
    let skip = usize::try_from((page - 1) * per_page).unwrap_or(usize::MAX);
    let query = NearbyQuery {
        lon: place.lon,
        lat: place.lat,
        radius_km,
        skip,
        take: usize::try_from(per_page).unwrap_or(0),
    };
    let (total, found) = state.geo.with_search(|index| {
        index.nearby(
            query,
            (!filter.is_empty()).then_some(|e: &SearchEntry| filter.matches(e)),
        )
    })?;
    let info = PageInfo::new(page, per_page, total as i64);
    let mut response = HttpResponse::Ok();
    public_headers(&mut response, &etag);
    response.insert_header((
        header::LINK,
        info.link_header(req.path(), req.query_string()),
    ));
    // Written once into a buffer of about the right size (the profiles and areas, serialised
    // in advance, are most of it).
    if geojson {
        let features: Vec<Feature> = found
            .iter()
            .map(|(e, d)| Feature {
                r#type: "Feature",
                id: e.id,
                geometry: &e.area_json,
                properties: hit(e, *d),
            })
            .collect();
        let size = features
            .iter()
            .map(|f| f.geometry.get().len() + f.properties.network.get().len() + 128)
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
    let items: Vec<Hit> = found.iter().map(|(e, d)| hit(e, *d)).collect();
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
    state: web::Data<AppState>,
    query: crate::extract::Query<HereQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let tumour = match q.tumour_type.as_deref() {
        None => None,
        Some(t) => Some(
            parse_code(&state.vocabularies.tumour_types, t.trim())
                .map_err(|e| ApiError::bad_parameter("tumour_type", e.code, e.message))?,
        ),
    };
    let place = resolve_place(
        &state,
        q.lat.as_deref(),
        q.lon.as_deref(),
        q.postcode.as_deref(),
        q.municipality.as_deref(),
    )?;
    let etag = search_etag(state.geo.generation(), &req);
    if if_none_match(&req, etag.trim_start_matches("W/")) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish());
    }
    let mut covering = state
        .geo
        .with_search(|index| index.covering(place.lon, place.lat))?;
    covering.sort_by(|a, b| {
        a.area_km2
            .total_cmp(&b.area_km2)
            .then_with(|| a.name.cmp(&b.name))
    });
    let of = |t: NetworkType, by_tumour: bool| -> Vec<&RawValue> {
        covering
            .iter()
            .filter(|e| e.network_type == t)
            .filter(|e| !by_tumour || tumour.as_ref().is_none_or(|tt| e.tumour_types.contains(tt)))
            .map(|e| &*e.public_json)
            .collect()
    };
    let regional = of(NetworkType::RegionalOncologyNetwork, false);
    let body = Here {
        place: &place,
        care_networks: of(NetworkType::OncologyCareNetwork, false),
        regional_network: regional.first().copied(),
        regional_networks: regional.clone(),
        tumour_groups: of(NetworkType::NetworkTumourGroup, true),
        expert_panels: of(NetworkType::ExpertPanel, true),
    };
    let mut response = HttpResponse::Ok();
    public_headers(&mut response, &etag);
    Ok(response.json(body))
}

#[cfg(test)]
mod tests {
    use super::pc4_of;

    #[test]
    fn postcodes() {
        assert_eq!(pc4_of("9713").as_deref(), Some("9713"));
        assert_eq!(pc4_of("9713AB").as_deref(), Some("9713"));
        assert_eq!(pc4_of(" 9713 ab ").as_deref(), Some("9713"));
        for bad in [
            "0713",
            "971",
            "97133",
            "9713A",
            "9713 SS",
            "abcd",
            "",
            "９７１１",
            "9٧١١",
            "9713ÄB",
            "é713",
        ] {
            assert_eq!(pc4_of(bad), None, "{bad}");
        }
    }
}
