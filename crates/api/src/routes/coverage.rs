//! `/v1/coverage`: where the country has no network, per region, as JSON, GeoJSON, CSV or an
//! SVG map. For IKNL staff and admins.

use crate::auth::RequireActor;
use crate::coverage::{
    CoverageFilter, Universe, cache_key, check_exclude, current_members, members_as_of,
    published_areas,
};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::accepts;
use crate::geography::LAYERS;
use crate::routes::regions::GEO_JSON;
use crate::routes::regions::to_square_metre;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use onconet_domain::{Lifecycle, NetworkType, Role, parse_code};
use onconet_spatial::coverage::{CoverageOptions, CoverageReport, CoverageSummary, RegionCoverage};
use onconet_spatial::geojson_io::multipolygon_to_geojson;
use onconet_spatial::map::{MapRegion, choropleth_svg};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CoverageQuery {
    /// `municipality` (default), `province` or `pc4`.
    #[param(schema_with = crate::dto::schema::layer)]
    pub layer: Option<String>,
    /// Network types that count, comma-separated (any of; default `oncology_care_network`).
    #[serde(rename = "type")]
    #[param(rename = "type", schema_with = crate::dto::schema::network_type_list, style = Form, explode = false)]
    pub network_type: Option<String>,
    /// Disciplines a network must offer, comma-separated (all of).
    #[param(schema_with = crate::dto::schema::discipline_list, style = Form, explode = false)]
    pub discipline: Option<String>,
    /// Tumour types a network must cover, comma-separated (all of).
    #[param(schema_with = crate::dto::schema::tumour_type_list, style = Form, explode = false)]
    pub tumour_type: Option<String>,
    /// Lifecycles that count, comma-separated (default `active`).
    #[param(schema_with = crate::dto::schema::lifecycle_list, style = Form, explode = false)]
    pub lifecycle: Option<String>,
    /// Network ids to leave out (what-if), comma-separated.
    #[param(schema_with = crate::dto::schema::uuid_list, style = Form, explode = false)]
    pub exclude: Option<String>,
    /// List only regions with coverage below this (0–1); the summary stays national.
    #[param(value_type = Option<f64>, minimum = 0, maximum = 1)]
    pub min_coverage: Option<String>,
    /// The registry as it was at the end of this date (`YYYY-MM-DD`) or at this RFC 3339 time.
    #[param(value_type = Option<chrono::NaiveDate>, example = "2026-01-01")]
    pub as_of: Option<String>,
    /// `json`, `geojson`, `csv` or `svg` (otherwise by `Accept`).
    #[param(pattern = "^(json|geojson|csv|svg)$")]
    pub format: Option<String>,
}

impl crate::extract::ListParams for CoverageQuery {
    const LISTS: &'static [&'static str] =
        &["type", "discipline", "tumour_type", "lifecycle", "exclude"];
}

/// Figures of one region.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegionCoverageResponse {
    pub code: String,
    pub name: String,
    pub population: Option<i64>,
    /// Geodesic area in km².
    pub area_km2: f64,
    /// Area covered by at least one matching network.
    pub covered_km2: f64,
    /// `covered_km2 / area_km2` (0–1).
    pub coverage: f64,
    /// `population × coverage`, rounded.
    pub covered_population: Option<i64>,
    /// Matching networks that reach the region (overlap ≥ 0.01 km², or ≥ half of a region smaller
    /// than 0.02 km²).
    pub networks: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageSummaryResponse {
    pub regions: usize,
    pub area_km2: f64,
    pub covered_km2: f64,
    pub coverage: f64,
    pub population: i64,
    pub covered_population: i64,
    /// Regions without any coverage.
    pub uncovered_regions: usize,
    /// Regions covered for at least 99.9 %.
    pub covered_regions: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageFilterResponse {
    #[serde(rename = "type")]
    pub types: Vec<String>,
    pub discipline: Vec<String>,
    pub tumour_type: Vec<String>,
    pub lifecycle: Vec<String>,
    pub exclude: Vec<Uuid>,
}

/// A coverage-gap report.
#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageResponse {
    pub layer: String,
    pub filter: CoverageFilterResponse,
    /// The registry moment the report describes (absent: now).
    pub as_of: Option<DateTime<Utc>>,
    /// How many networks count.
    pub networks: usize,
    /// National totals (all regions, whatever `min_coverage` says).
    pub summary: CoverageSummaryResponse,
    /// Regions (below `min_coverage` when given), by code.
    pub regions: Vec<RegionCoverageResponse>,
}

fn r3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn region_response(r: &RegionCoverage) -> RegionCoverageResponse {
    RegionCoverageResponse {
        code: r.code.clone(),
        name: r.name.clone(),
        population: r.population,
        // To the m², like `/v1/regions`: the smallest PC4 areas are a few thousand m².
        area_km2: to_square_metre(r.area_km2),
        covered_km2: to_square_metre(r.covered_km2),
        coverage: (r.coverage * 1e6).round() / 1e6,
        covered_population: r.covered_population.map(|p| p.round() as i64),
        networks: r.networks,
    }
}

fn summary_response(s: &CoverageSummary) -> CoverageSummaryResponse {
    CoverageSummaryResponse {
        regions: s.regions,
        area_km2: r3(s.area_km2),
        covered_km2: r3(s.covered_km2),
        coverage: (s.coverage * 1e6).round() / 1e6,
        population: s.population,
        covered_population: s.covered_population.round() as i64,
        uncovered_regions: s.uncovered_regions,
        covered_regions: s.covered_regions,
    }
}

fn require_staff(actor: &RequireActor) -> ApiResult<()> {
    if actor.0.has(Role::IknlStaff) || actor.0.has(Role::Admin) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "coverage reports are for IKNL staff and admins".into(),
        ))
    }
}

/// Parses `as_of`: a date means the end of that day (UTC); it must not be in the future.
fn parse_as_of(value: &str) -> ApiResult<DateTime<Utc>> {
    let value = value.trim();
    // RFC 3339's full-date: four digits for the year (chrono's %Y also reads `-2026` and
    // `+12026`).
    let full_date = value.len() == 10
        && value.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    let date = full_date
        .then(|| NaiveDate::parse_from_str(value, "%Y-%m-%d").ok())
        .flatten();
    let at = if let Some(date) = date {
        date.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default())
            .and_utc()
    } else {
        DateTime::parse_from_rfc3339(value)
            .map_err(|_| {
                ApiError::bad_parameter(
                    "as_of",
                    "invalid_format",
                    "use YYYY-MM-DD or an RFC 3339 time",
                )
            })?
            .with_timezone(&Utc)
    };
    let today_end = Utc::now()
        .date_naive()
        .and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default())
        .and_utc();
    if at > today_end {
        return Err(ApiError::bad_parameter(
            "as_of",
            "in_future",
            "as_of must not be in the future",
        ));
    }
    Ok(at.min(Utc::now()))
}

pub struct Parsed {
    pub layer: String,
    pub filter: CoverageFilter,
    pub min_coverage: Option<f64>,
    pub as_of: Option<DateTime<Utc>>,
}

pub fn parse_query(state: &AppState, q: &CoverageQuery) -> ApiResult<Parsed> {
    let layer = q.layer.clone().unwrap_or_else(|| "municipality".into());
    if !LAYERS.contains(&layer.as_str()) {
        return Err(ApiError::bad_parameter(
            "layer",
            "unknown_code",
            format!("`{layer}` is not municipality, province or pc4"),
        ));
    }
    let v = &state.vocabularies;
    let mut types = crate::extract::parse_list("type", q.network_type.as_deref(), |s| {
        s.parse::<NetworkType>()
    })?;
    if types.is_empty() {
        types.push(NetworkType::OncologyCareNetwork);
    }
    let mut lifecycles = crate::extract::parse_list("lifecycle", q.lifecycle.as_deref(), |s| {
        s.parse::<Lifecycle>()
    })?;
    if lifecycles.is_empty() {
        lifecycles.push(Lifecycle::Active);
    }
    let min_coverage = match q.min_coverage.as_deref() {
        None => None,
        Some(m) => Some(
            m.trim()
                .parse::<f64>()
                .ok()
                .filter(|m| (0.0..=1.0).contains(m))
                .ok_or_else(|| {
                    ApiError::bad_parameter(
                        "min_coverage",
                        "out_of_range",
                        "must be a number from 0 to 1",
                    )
                })?,
        ),
    };
    Ok(Parsed {
        layer,
        filter: CoverageFilter {
            types,
            disciplines: crate::extract::parse_list("discipline", q.discipline.as_deref(), |s| {
                parse_code(&v.disciplines, s)
            })?,
            tumour_types: crate::extract::parse_list(
                "tumour_type",
                q.tumour_type.as_deref(),
                |s| parse_code(&v.tumour_types, s),
            )?,
            lifecycles,
            exclude: crate::extract::parse_list("exclude", q.exclude.as_deref(), |s| {
                Uuid::parse_str(s).map_err(|_| {
                    onconet_domain::error::InvalidValue::new(
                        "invalid_format",
                        format!("`{s}` is not a network id"),
                    )
                })
            })?,
        },
        min_coverage,
        as_of: q.as_of.as_deref().map(parse_as_of).transpose()?,
    })
}

/// Computes (or takes from the cache) the report for a parsed query.
pub async fn compute(
    state: &AppState,
    p: &Parsed,
) -> ApiResult<(Arc<CoverageReport>, usize, crate::coverage::CacheOutcome)> {
    check_exclude(&state.pool, &p.filter.exclude).await?;
    let layer = state.geo.layer(&p.layer).unwrap_or_default();
    let (members, universe) = match p.as_of {
        None => (
            current_members(&state.geo, &p.filter)?,
            Universe::Current(published_areas(&state.geo)?),
        ),
        Some(at) => (
            members_as_of(&state.pool, &state.geo, &p.filter, at).await?,
            Universe::Past,
        ),
    };
    let count = members.len();
    let key = cache_key(&p.filter, &p.layer, p.as_of);
    let cache = state.coverage.clone();
    let layer_name = p.layer.clone();
    let (report, outcome) = tokio::task::spawn_blocking(move || {
        cache.report(&key, &layer_name, layer, members, universe)
    })
    .await
    .map_err(ApiError::internal)??;
    Ok((report, count, outcome))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    GeoJson,
    Csv,
    Svg,
}

fn format_of(req: &HttpRequest, format: Option<&str>) -> ApiResult<Format> {
    match format {
        Some("json") => Ok(Format::Json),
        Some("geojson") => Ok(Format::GeoJson),
        Some("csv") => Ok(Format::Csv),
        Some("svg") => Ok(Format::Svg),
        Some(other) => Err(ApiError::bad_parameter(
            "format",
            "unknown_code",
            format!("`{other}` is not json, geojson, csv or svg"),
        )),
        None if accepts(req, GEO_JSON) => Ok(Format::GeoJson),
        None if accepts(req, "text/csv") => Ok(Format::Csv),
        None if accepts(req, "image/svg+xml") => Ok(Format::Svg),
        None => Ok(Format::Json),
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The coverage-gap report: per region of the layer, area, covered area, coverage, population,
/// covered population and how many networks reach it, plus a national summary. Only
/// published networks with a matching lifecycle (default `active`) count.
#[utoipa::path(
    tag = "coverage",
    params(CoverageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report as JSON; also `application/geo+json` (regions with their figures and gap geometries), `text/csv` or `image/svg+xml` (a choropleth map) by `Accept` or `format`",
            content(
                (CoverageResponse = "application/json"),
                (Object = "application/geo+json"),
                (String = "text/csv"),
                (String = "image/svg+xml"),
            ),
            headers(("X-Coverage-Cache" = String, description = "hit, partial (regions recomputed) or miss"))),
        (status = 400, description = "A parameter is invalid (unknown layer, discipline or format; as_of in the future)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`exclude` names a network that does not exist", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not IKNL staff or admin", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/coverage")]
pub async fn get_coverage(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: crate::extract::Query<CoverageQuery>,
    actor: RequireActor,
) -> ApiResult<HttpResponse> {
    require_staff(&actor)?;
    let parsed = parse_query(&state, &query)?;
    let format = format_of(&req, query.format.as_deref())?;
    let (report, networks, outcome) = compute(&state, &parsed).await?;
    let shown: Vec<&RegionCoverage> = report
        .regions
        .iter()
        .filter(|r| parsed.min_coverage.is_none_or(|m| r.coverage < m))
        .collect();
    let mut response = HttpResponse::Ok();
    response
        .insert_header(("X-Coverage-Cache", outcome.header()))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .insert_header((header::VARY, "Accept"));
    let f = &parsed.filter;
    let filter = CoverageFilterResponse {
        types: f.types.iter().map(|t| t.as_str().to_owned()).collect(),
        discipline: f.disciplines.clone(),
        tumour_type: f.tumour_types.clone(),
        lifecycle: f.lifecycles.iter().map(|l| l.as_str().to_owned()).collect(),
        exclude: f.exclude.clone(),
    };
    Ok(match format {
        Format::Json => response.json(CoverageResponse {
            layer: parsed.layer.clone(),
            filter,
            as_of: parsed.as_of,
            networks,
            summary: summary_response(&report.summary),
            regions: shown.iter().map(|r| region_response(r)).collect(),
        }),
        Format::GeoJson => {
            let layer = state.geo.layer(&parsed.layer).unwrap_or_default();
            let features: Vec<serde_json::Value> = shown
                .iter()
                .map(|r| {
                    let geometry = layer.get(&r.code).map(|g| multipolygon_to_geojson(&g.area));
                    let mut properties = serde_json::to_value(region_response(r)).unwrap_or_default();
                    properties["gap"] = layer
                        .get(&r.code)
                        .map(|g| multipolygon_to_geojson(&r.gap(g, &CoverageOptions::default())))
                        .unwrap_or_default();
                    serde_json::json!({"type": "Feature", "id": r.code, "geometry": geometry, "properties": properties})
                })
                .collect();
            response.content_type(GEO_JSON).json(serde_json::json!({
                "type": "FeatureCollection",
                "layer": parsed.layer,
                "filter": filter,
                "as_of": parsed.as_of,
                "networks": networks,
                "summary": summary_response(&report.summary),
                "features": features,
            }))
        }
        Format::Csv => {
            let mut out = String::from(
                "code,name,population,area_km2,covered_km2,coverage,covered_population,networks\n",
            );
            for r in shown.iter().map(|r| region_response(r)) {
                out.push_str(&format!(
                    "{},{},{},{},{},{},{},{}\n",
                    csv_field(&r.code),
                    csv_field(&r.name),
                    r.population.map(|p| p.to_string()).unwrap_or_default(),
                    r.area_km2,
                    r.covered_km2,
                    r.coverage,
                    r.covered_population
                        .map(|p| p.to_string())
                        .unwrap_or_default(),
                    r.networks
                ));
            }
            response
                .content_type("text/csv; charset=utf-8")
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"coverage-{}.csv\"", parsed.layer),
                ))
                .body(out)
        }
        Format::Svg => {
            let layer = state.geo.layer(&parsed.layer).unwrap_or_default();
            let regions: Vec<MapRegion<'_>> = report
                .regions
                .iter()
                .filter_map(|r| {
                    let g = layer.get(&r.code)?;
                    Some(MapRegion {
                        area: &g.area,
                        value: Some(r.coverage),
                        label: format!(
                            "{} ({}): {:.0} % covered, {} networks",
                            r.name,
                            r.code,
                            r.coverage * 100.0,
                            r.networks
                        ),
                    })
                })
                .collect();
            let what = if f.disciplines.is_empty() {
                String::new()
            } else {
                format!(" offering {}", f.disciplines.join(", "))
            };
            let title = format!("Coverage by oncology networks{what}");
            let subtitle = format!(
                "{} layer, {} networks; {:.1} % of the area and {:.1} % of the population covered{}",
                parsed.layer,
                networks,
                report.summary.coverage * 100.0,
                if report.summary.population > 0 {
                    report.summary.covered_population / report.summary.population as f64 * 100.0
                } else {
                    0.0
                },
                parsed
                    .as_of
                    .map(|a| format!(" (as of {})", a.date_naive()))
                    .unwrap_or_default()
            );
            let svg = choropleth_svg(&regions, &title, &subtitle, 800.0);
            response.content_type("image/svg+xml").body(svg)
        }
    })
}

/// Coverage per region and discipline (for the municipality layer by default).
#[derive(Debug, Serialize, ToSchema)]
pub struct DisciplineMatrixResponse {
    pub layer: String,
    /// The discipline codes, in vocabulary order (the keys of each region's `coverage`).
    pub disciplines: Vec<String>,
    pub regions: Vec<MatrixRow>,
    /// National totals per discipline.
    pub summary: std::collections::BTreeMap<String, CoverageSummaryResponse>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatrixRow {
    pub code: String,
    pub name: String,
    pub population: Option<i64>,
    /// Discipline code → coverage (0–1).
    pub coverage: std::collections::BTreeMap<String, f64>,
}

/// The filter of the discipline matrix: as for `/v1/coverage`, without `discipline`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MatrixQuery {
    /// `municipality` (default), `province` or `pc4`.
    #[param(schema_with = crate::dto::schema::layer)]
    pub layer: Option<String>,
    /// Network types that count (any of; default `oncology_care_network`).
    #[serde(rename = "type")]
    #[param(rename = "type", schema_with = crate::dto::schema::network_type_list)]
    pub network_type: Option<String>,
    /// Tumour types a network must cover (all of).
    #[param(schema_with = crate::dto::schema::tumour_type_list)]
    pub tumour_type: Option<String>,
    /// Lifecycles that count (default `active`).
    #[param(schema_with = crate::dto::schema::lifecycle_list)]
    pub lifecycle: Option<String>,
    /// Network ids to leave out (what-if).
    #[param(schema_with = crate::dto::schema::uuid_list)]
    pub exclude: Option<String>,
    /// The registry as it was at the end of this date.
    #[param(value_type = Option<chrono::NaiveDate>)]
    pub as_of: Option<String>,
}

/// Region × discipline: for every discipline of the vocabulary, the share of each region
/// covered by matching networks offering it.
#[utoipa::path(
    tag = "coverage",
    params(MatrixQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The matrix", body = DisciplineMatrixResponse),
        (status = 400, description = "A parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not IKNL staff or admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`exclude` names a network that does not exist", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/coverage/disciplines")]
pub async fn get_discipline_matrix(
    state: web::Data<AppState>,
    query: crate::extract::Query<CoverageQuery>,
    actor: RequireActor,
) -> ApiResult<HttpResponse> {
    require_staff(&actor)?;
    let given = [
        ("discipline", query.discipline.is_some()),
        (
            "format",
            query.format.as_deref().is_some_and(|f| f != "json"),
        ),
        ("min_coverage", query.min_coverage.is_some()),
    ];
    if let Some((name, _)) = given.iter().find(|(_, given)| *given) {
        return Err(ApiError::bad_parameter(
            name,
            "not_allowed",
            "the matrix covers every discipline as JSON; leave out discipline, min_coverage and format",
        ));
    }
    let parsed = parse_query(&state, &query)?;
    let codes: Vec<String> = state
        .vocabularies
        .disciplines
        .codes()
        .map(str::to_owned)
        .collect();
    let layer = state.geo.layer(&parsed.layer).unwrap_or_default();
    let mut rows: Vec<MatrixRow> = layer
        .regions()
        .iter()
        .map(|r| MatrixRow {
            code: r.code.clone(),
            name: r.name.clone(),
            population: r.population,
            coverage: Default::default(),
        })
        .collect();
    let mut summary = std::collections::BTreeMap::new();
    for code in &codes {
        let mut p = Parsed {
            layer: parsed.layer.clone(),
            filter: parsed.filter.clone(),
            min_coverage: None,
            as_of: parsed.as_of,
        };
        p.filter.disciplines = vec![code.clone()];
        let (report, _, _) = compute(&state, &p).await?;
        for (row, r) in rows.iter_mut().zip(report.regions.iter()) {
            row.coverage
                .insert(code.clone(), (r.coverage * 1e6).round() / 1e6);
        }
        summary.insert(code.clone(), summary_response(&report.summary));
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .json(DisciplineMatrixResponse {
            layer: parsed.layer,
            disciplines: codes,
            regions: rows,
            summary,
        }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TrendQuery {
    /// A discipline code; absent: every active oncology care network.
    #[param(schema_with = crate::dto::schema::discipline)]
    pub discipline: Option<String>,
    /// First day (`YYYY-MM-DD`, default a year ago).
    #[param(value_type = Option<chrono::NaiveDate>)]
    pub from: Option<String>,
    /// Last day (`YYYY-MM-DD`, default today).
    #[param(value_type = Option<chrono::NaiveDate>)]
    pub to: Option<String>,
}

impl crate::extract::ListParams for TrendQuery {}

/// One day of the national series.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrendPoint {
    pub day: NaiveDate,
    pub networks: i32,
    pub area_km2: f64,
    pub covered_km2: f64,
    pub coverage: f64,
    pub population: i64,
    pub covered_population: i64,
    /// `covered_population / population`.
    pub population_coverage: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrendResponse {
    pub layer: String,
    pub discipline: Option<String>,
    pub points: Vec<TrendPoint>,
}

fn point(r: &onconet_db::snapshots::SnapshotRow) -> TrendPoint {
    TrendPoint {
        day: r.day,
        networks: r.networks,
        area_km2: r3(r.area_km2),
        covered_km2: r3(r.covered_km2),
        coverage: if r.area_km2 > 0.0 {
            ((r.covered_km2 / r.area_km2) * 1e6).round() / 1e6
        } else {
            0.0
        },
        population: r.population,
        covered_population: r.covered_population,
        population_coverage: if r.population > 0 {
            ((r.covered_population as f64 / r.population as f64) * 1e6).round() / 1e6
        } else {
            0.0
        },
    }
}

/// The national coverage over time: one point per day a snapshot was taken (daily, and on
/// demand with `POST /v1/coverage/snapshots`).
#[utoipa::path(
    tag = "coverage",
    params(TrendQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The series, oldest first", body = TrendResponse),
        (status = 400, description = "A parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not IKNL staff or admin", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/coverage/trend")]
pub async fn get_trend(
    state: web::Data<AppState>,
    query: crate::extract::Query<TrendQuery>,
    actor: RequireActor,
) -> ApiResult<HttpResponse> {
    require_staff(&actor)?;
    let discipline = match query.discipline.as_deref() {
        None => None,
        Some(d) => Some(
            parse_code(&state.vocabularies.disciplines, d.trim())
                .map_err(|e| ApiError::bad_parameter("discipline", e.code, e.message))?,
        ),
    };
    let day = |name: &str, v: Option<&str>, default: NaiveDate| -> ApiResult<NaiveDate> {
        v.map(|v| {
            NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
                .map_err(|_| ApiError::bad_parameter(name, "invalid_format", "use YYYY-MM-DD"))
        })
        .unwrap_or(Ok(default))
    };
    let today = Utc::now().date_naive();
    let to = day("to", query.to.as_deref(), today)?;
    let from = day("from", query.from.as_deref(), to - chrono::Days::new(365))?;
    if from > to {
        // An empty period: an empty series.
        return Ok(HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "private, no-cache"))
            .json(TrendResponse {
                layer: "municipality".into(),
                discipline,
                points: vec![],
            }));
    }
    let mut conn = onconet_db::pool::get(&state.pool).await?;
    let rows = onconet_db::snapshots::series(
        &mut conn,
        "municipality",
        discipline.as_deref().unwrap_or(""),
        from,
        to,
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .json(TrendResponse {
            layer: "municipality".into(),
            discipline,
            points: rows.iter().map(point).collect(),
        }))
}

/// Takes today's snapshot now (it is also taken daily).
#[utoipa::path(
    tag = "coverage",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Today's points, overall first, then per discipline", body = Vec<TrendPoint>),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not IKNL staff or admin", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/coverage/snapshots")]
pub async fn create_snapshot(
    state: web::Data<AppState>,
    actor: RequireActor,
) -> ApiResult<HttpResponse> {
    require_staff(&actor)?;
    let rows = crate::coverage::take_snapshot(&state).await?;
    Ok(HttpResponse::Created().json(rows.iter().map(point).collect::<Vec<_>>()))
}
