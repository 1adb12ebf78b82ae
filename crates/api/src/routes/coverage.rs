//! `/v1/coverage`: where the country has no network, per region, as JSON, GeoJSON, CSV or an
//! SVG map. For IKNL staff and admins, nationally or for one ROS's working area; for ROS
//! advisers, for their own ROS's area (`ros_area`).

use crate::auth::RequireActor;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::accepts;
use crate::routes::regions::GEO_JSON;
use crate::routes::regions::to_square_metre;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use onconet_registry::Registry;
use onconet_registry::reports::{
    Coverage, CoverageParams, CoverageRequest, SNAPSHOT_LAYER, SnapshotRow,
};
use onconet_registry::usage::{Demand, Period, PeriodParams, RegionDemand};
use onconet_spatial::coverage::{CoverageOptions, CoverageSummary, RegionCoverage};
use onconet_spatial::geojson_io::multipolygon_to_geojson;
use onconet_spatial::map::{MapRegion, Scale, map_svg};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

crate::dto::query::filtered_query! {
    lists ["exclude"];
    /// A coverage request: the layer, what-if, the moment, the format; and the network filter.
    pub struct CoverageQuery {
        /// `municipality` (default), `province` or `pc4`.
        #[param(schema_with = crate::dto::schema::layer)]
        pub layer: Option<String>,
        /// A ROS organisation code (`ros-noord`): the report for that ROS's working area
        /// alone (the `ros_area` region layer). Only the regions of the layer (`municipality`
        /// or `pc4`; a `province` report cannot be restricted, 400) that lie in the area, each
        /// clipped to it: `area_km2`, `covered_km2`, `coverage` and `gap` within the area,
        /// `population` scaled by the share of the region's area inside (people taken as
        /// evenly spread; a region wholly inside keeps its own figure); regions with less than
        /// 0.01 km² inside (border slivers) are left out. The summary and the demand totals
        /// are then the area's. IKNL staff and admins: any ROS (absent: the whole country).
        /// ROS advisers: required, and only their own ROS (the `org` of their token); 403
        /// otherwise. 404 when no working area has been imported for the ROS.
        #[param(pattern = "^[a-z0-9][a-z0-9_-]{1,63}$", example = "ros-noord")]
        pub ros_area: Option<String>,
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
        /// The order of the regions: `code` (default); `uncovered_population` (most people
        /// without coverage first); `unmet_demand` (most find-a-network searches without a
        /// covering network first, then uncovered population). The SVG map shades the
        /// regions by searches without result for `unmet_demand`, and lists the first ten.
        #[param(pattern = "^(code|uncovered_population|unmet_demand)$")]
        pub sort: Option<String>,
        /// First day of the searches counted as demand (`YYYY-MM-DD`; default 364 days
        /// before `demand_to`).
        #[param(value_type = Option<chrono::NaiveDate>)]
        pub demand_from: Option<String>,
        /// Last day of the searches counted as demand (`YYYY-MM-DD`; default today).
        #[param(value_type = Option<chrono::NaiveDate>)]
        pub demand_to: Option<String>,
    }
}

crate::dto::query::filtered_query! {
    lists ["exclude"];
    /// One region's coverage: the layer, what-if, the moment; and the network filter (what
    /// `/v1/coverage` takes, less what belongs to a whole report: `min_coverage`, `format`).
    pub struct RegionCoverageQuery {
        /// `municipality` (default), `province` or `pc4`.
        #[param(schema_with = crate::dto::schema::layer)]
        pub layer: Option<String>,
        /// A ROS organisation code (`ros-noord`): the report for that ROS's working area
        /// alone (the `ros_area` region layer). Only the regions of the layer (`municipality`
        /// or `pc4`; a `province` report cannot be restricted, 400) that lie in the area, each
        /// clipped to it: `area_km2`, `covered_km2`, `coverage` and `gap` within the area,
        /// `population` scaled by the share of the region's area inside (people taken as
        /// evenly spread; a region wholly inside keeps its own figure); regions with less than
        /// 0.01 km² inside (border slivers) are left out. The summary and the demand totals
        /// are then the area's. IKNL staff and admins: any ROS (absent: the whole country).
        /// ROS advisers: required, and only their own ROS (the `org` of their token); 403
        /// otherwise. 404 when no working area has been imported for the ROS.
        #[param(pattern = "^[a-z0-9][a-z0-9_-]{1,63}$", example = "ros-noord")]
        pub ros_area: Option<String>,
        /// Network ids to leave out (what-if), comma-separated.
        #[param(schema_with = crate::dto::schema::uuid_list, style = Form, explode = false)]
        pub exclude: Option<String>,
        /// The registry as it was at the end of this date (`YYYY-MM-DD`) or at this RFC 3339 time.
        #[param(value_type = Option<chrono::NaiveDate>, example = "2026-01-01")]
        pub as_of: Option<String>,
        /// First day of the searches counted as demand (`YYYY-MM-DD`; default 364 days
        /// before `demand_to`).
        #[param(value_type = Option<chrono::NaiveDate>)]
        pub demand_from: Option<String>,
        /// Last day of the searches counted as demand (`YYYY-MM-DD`; default today).
        #[param(value_type = Option<chrono::NaiveDate>)]
        pub demand_to: Option<String>,
    }
}

/// The period of the searches counted as demand (`demand_from`, `demand_to`).
fn demand_period(from: Option<&str>, to: Option<&str>) -> ApiResult<Period> {
    Ok(Period::parse(
        PeriodParams { from, to },
        "demand_",
        DEMAND_DAYS,
    )?)
}

/// Demand is counted over a year unless the request says otherwise.
const DEMAND_DAYS: u64 = 365;

/// How the regions of a report are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    Code,
    UncoveredPopulation,
    UnmetDemand,
}

fn parse_sort(value: Option<&str>) -> ApiResult<Sort> {
    match value.map(str::trim) {
        None | Some("code") => Ok(Sort::Code),
        Some("uncovered_population") => Ok(Sort::UncoveredPopulation),
        Some("unmet_demand") => Ok(Sort::UnmetDemand),
        Some(other) => Err(ApiError::bad_parameter(
            "sort",
            "unknown_code",
            format!(
                "`{}` is not code, uncovered_population or unmet_demand",
                crate::error::abbreviated(other, 30)
            ),
        )),
    }
}

/// People in a region without coverage (0 when its population is not known).
fn uncovered_people(r: &RegionCoverage) -> f64 {
    r.population
        .zip(r.covered_population)
        .map_or(0.0, |(p, c)| p as f64 - c)
}

/// Orders `regions` by `sort`; searches below the shown minimum count as none. Ties by code.
fn sort_regions(regions: &mut [&RegionCoverage], sort: Sort, demand: &Demand) {
    let unmet = |r: &RegionCoverage| demand.of(&r.code).searches_without_result.unwrap_or(0);
    match sort {
        Sort::Code => regions.sort_by(|a, b| a.code.cmp(&b.code)),
        Sort::UncoveredPopulation => regions.sort_by(|a, b| {
            uncovered_people(b)
                .total_cmp(&uncovered_people(a))
                .then_with(|| a.code.cmp(&b.code))
        }),
        Sort::UnmetDemand => regions.sort_by(|a, b| {
            unmet(b)
                .cmp(&unmet(a))
                .then_with(|| uncovered_people(b).total_cmp(&uncovered_people(a)))
                .then_with(|| a.code.cmp(&b.code))
        }),
    }
}

/// The request for the registry, from either query.
fn coverage_request(
    registry: &Registry,
    filter: onconet_registry::FilterParams<'_>,
    layer: Option<&str>,
    ros_area: Option<&str>,
    exclude: Option<&str>,
    as_of: Option<&str>,
) -> ApiResult<CoverageRequest> {
    Ok(CoverageRequest::parse(
        CoverageParams {
            filter,
            layer,
            ros_area,
            exclude,
            as_of,
        },
        &registry.vocabularies,
    )?)
}

impl CoverageQuery {
    /// The request for the registry.
    fn request(&self, registry: &Registry) -> ApiResult<CoverageRequest> {
        coverage_request(
            registry,
            self.filter_params(),
            self.layer.as_deref(),
            self.ros_area.as_deref(),
            self.exclude.as_deref(),
            self.as_of.as_deref(),
        )
    }

    /// `min_coverage`: 0 to 1.
    fn min_coverage(&self) -> ApiResult<Option<f64>> {
        self.min_coverage
            .as_deref()
            .map(|m| {
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
                    })
            })
            .transpose()
    }
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
    /// Find-a-network searches for a place in the region during the demand period that asked
    /// for these networks (their filter named none of the report's types, disciplines or
    /// tumour types, or shared one). `null`: fewer than 5, or not counted for this layer
    /// (searches are counted per municipality, so not for `pc4`).
    pub searches: Option<i64>,
    /// Of those, the searches that found no network covering the place: unmet demand.
    pub searches_without_result: Option<i64>,
}

/// The demand behind a report: the searches of a period (see the regions' `searches`).
#[derive(Debug, Serialize, ToSchema)]
pub struct DemandResponse {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Whether the layer has demand figures (`municipality`, `province`; not `pc4`).
    pub available: bool,
    /// Counts below this are never shown (`null`).
    pub min_shown: i64,
    /// Every search of the period that asked for these networks, nationally.
    pub searches: Option<i64>,
    /// Of those, the searches that found no covering network.
    pub searches_without_result: Option<i64>,
}

fn demand_response(d: &Demand) -> DemandResponse {
    DemandResponse {
        from: d.period.from,
        to: d.period.to,
        available: d.available,
        min_shown: onconet_domain::usage::MIN_SHOWN,
        searches: d.total.searches,
        searches_without_result: d.total.searches_without_result,
    }
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
    /// The ROS working area the report is restricted to (its regions clipped to it); absent:
    /// the whole country.
    #[schema(example = "ros-noord")]
    pub ros_area: Option<String>,
    pub filter: CoverageFilterResponse,
    /// The registry moment the report describes (absent: now).
    pub as_of: Option<DateTime<Utc>>,
    /// How many networks count (with `ros_area`: those reaching a region of the area).
    pub networks: usize,
    /// National totals, or the ROS area's with `ros_area` (all regions, whatever
    /// `min_coverage` says).
    pub summary: CoverageSummaryResponse,
    /// The searches counted as demand, and their period.
    pub demand: DemandResponse,
    /// Regions (below `min_coverage` when given), in the order of `sort` (by code unless
    /// asked otherwise).
    pub regions: Vec<RegionCoverageResponse>,
}

fn r3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn region_response(r: &RegionCoverage, demand: &Demand) -> RegionCoverageResponse {
    let RegionDemand {
        searches,
        searches_without_result,
    } = demand.of(&r.code);
    RegionCoverageResponse {
        searches,
        searches_without_result,
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
    Ok(onconet_registry::reports::require_staff(&actor.0)?)
}

/// Who may read a coverage report at all (before its parameters are read).
fn require_reader(actor: &RequireActor) -> ApiResult<()> {
    Ok(onconet_registry::reports::require_reader(&actor.0)?)
}

/// The report's request, parsed and allowed for `actor` (an adviser: their own ROS area).
fn authorised(actor: &RequireActor, request: CoverageRequest) -> ApiResult<CoverageRequest> {
    request.authorise(&actor.0)?;
    Ok(request)
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
/// published networks with a matching lifecycle (default `active`) count. With each region
/// the demand: the find-a-network searches for a place in it over `demand_from`–`demand_to`
/// (default the last 365 days) that asked for these networks, and how many of them found no
/// covering network (`searches_without_result`: unmet demand; counts below 5 are `null`);
/// `sort=unmet_demand` ranks the gaps by it.
///
/// With `ros_area` the report covers one ROS's working area: its regions clipped to it, the
/// summary and demand totals for the area, in every format. IKNL staff and admins may ask for
/// any ROS area or the whole country; a ROS adviser only for their own ROS's area.
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
        (status = 400, description = "A parameter is invalid (unknown layer, discipline or format; as_of in the future; a malformed `ros_area`, or `ros_area` with a layer that cannot be clipped to it)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`exclude` names a network that does not exist, or no working area has been imported for `ros_area`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not IKNL staff or admin, nor a ROS adviser asking for their own ROS's area (`ros_area`, required for advisers)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/coverage")]
pub async fn get_coverage(
    req: HttpRequest,
    registry: web::Data<Registry>,
    query: crate::extract::Query<CoverageQuery>,
    actor: RequireActor,
) -> ApiResult<HttpResponse> {
    require_reader(&actor)?;
    let parsed = authorised(&actor, query.request(&registry)?)?;
    let min_coverage = query.min_coverage()?;
    let format = format_of(&req, query.format.as_deref())?;
    let sort = parse_sort(query.sort.as_deref())?;
    let period = demand_period(query.demand_from.as_deref(), query.demand_to.as_deref())?;
    let Coverage {
        report,
        layer,
        networks,
        outcome,
    } = registry.coverage(&parsed).await?;
    let within = registry.demand_area(&parsed).await?;
    let demand = registry
        .demand(
            &parsed.layer,
            &parsed.filter.networks,
            period,
            within.as_deref(),
        )
        .await?;
    let mut shown: Vec<&RegionCoverage> = report
        .regions
        .iter()
        .filter(|r| min_coverage.is_none_or(|m| r.coverage < m))
        .collect();
    if sort == Sort::UnmetDemand && !demand.available {
        return Err(ApiError::bad_parameter(
            "sort",
            "not_available",
            "searches are counted per municipality: rank by unmet demand on the municipality or province layer",
        ));
    }
    sort_regions(&mut shown, sort, &demand);
    let mut response = HttpResponse::Ok();
    response
        .insert_header(("X-Coverage-Cache", outcome.label()))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .insert_header((header::VARY, "Accept"));
    let ros_area = parsed.ros_area.as_ref().map(|a| a.as_str().to_owned());
    let f = &parsed.filter.networks;
    let filter = CoverageFilterResponse {
        types: f.types.iter().map(|t| t.as_str().to_owned()).collect(),
        discipline: f.disciplines.clone(),
        tumour_type: f.tumour_types.clone(),
        lifecycle: f.lifecycles.iter().map(|l| l.as_str().to_owned()).collect(),
        exclude: parsed.filter.exclude.clone(),
    };
    Ok(match format {
        Format::Json => response.json(CoverageResponse {
            layer: parsed.layer.clone(),
            ros_area: ros_area.clone(),
            filter,
            as_of: parsed.as_of,
            networks,
            summary: summary_response(&report.summary),
            demand: demand_response(&demand),
            regions: shown.iter().map(|r| region_response(r, &demand)).collect(),
        }),
        Format::GeoJson => {
            let features: Vec<serde_json::Value> = shown
                .iter()
                .map(|r| {
                    let geometry = layer.get(&r.code).map(|g| multipolygon_to_geojson(&g.area));
                    let mut properties = serde_json::to_value(region_response(r, &demand)).unwrap_or_default();
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
                "ros_area": ros_area,
                "filter": filter,
                "as_of": parsed.as_of,
                "networks": networks,
                "summary": summary_response(&report.summary),
                "demand": demand_response(&demand),
                "features": features,
            }))
        }
        Format::Csv => {
            let mut out = String::from(
                "code,name,population,area_km2,covered_km2,coverage,covered_population,networks,searches,searches_without_result\n",
            );
            let count = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
            for r in shown.iter().map(|r| region_response(r, &demand)) {
                out.push_str(&format!(
                    "{},{},{},{},{},{},{},{},{},{}\n",
                    csv_field(&r.code),
                    csv_field(&r.name),
                    r.population.map(|p| p.to_string()).unwrap_or_default(),
                    r.area_km2,
                    r.covered_km2,
                    r.coverage,
                    r.covered_population
                        .map(|p| p.to_string())
                        .unwrap_or_default(),
                    r.networks,
                    count(r.searches),
                    count(r.searches_without_result),
                ));
            }
            response
                .content_type("text/csv; charset=utf-8")
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"coverage-{}.csv\"",
                        parsed.layer_key().replace(['@', '='], "-")
                    ),
                ))
                .body(out)
        }
        Format::Svg => {
            let unmet = |r: &RegionCoverage| demand.of(&r.code).searches_without_result;
            let regions: Vec<MapRegion<'_>> = report
                .regions
                .iter()
                .filter_map(|r| {
                    let g = layer.get(&r.code)?;
                    let searched = unmet(r)
                        .map(|n| format!(", {n} searches without result"))
                        .unwrap_or_default();
                    Some(MapRegion {
                        area: &g.area,
                        value: if sort == Sort::UnmetDemand {
                            unmet(r).map(|n| n as f64)
                        } else {
                            Some(r.coverage)
                        },
                        label: format!(
                            "{} ({}): {:.0} % covered, {} networks{searched}",
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
            let title = if sort == Sort::UnmetDemand {
                format!("Unmet demand for oncology networks{what}")
            } else {
                format!("Coverage by oncology networks{what}")
            };
            let subtitle = format!(
                "{} layer{}, {} networks; {:.1} % of the area and {:.1} % of the population covered{}{}",
                parsed.layer,
                ros_area
                    .as_deref()
                    .map(|a| format!(" in the working area of {a}"))
                    .unwrap_or_default(),
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
                    .unwrap_or_default(),
                if sort == Sort::UnmetDemand {
                    format!("; searches {} to {}", demand.period.from, demand.period.to)
                } else {
                    String::new()
                }
            );
            // The gaps first by the chosen rank, ten of them beside the legend.
            let mut gaps: Vec<&RegionCoverage> = report
                .regions
                .iter()
                .filter(|r| r.coverage < 0.999)
                .collect();
            sort_regions(&mut gaps, sort, &demand);
            let lines: Vec<String> = gaps
                .iter()
                .filter(|r| sort != Sort::UnmetDemand || unmet(r).is_some())
                .take(10)
                .map(|r| match sort {
                    Sort::UnmetDemand => format!(
                        "{}: {} without result",
                        r.name,
                        unmet(r).unwrap_or_default()
                    ),
                    _ => format!("{}: {:.0} people", r.name, uncovered_people(r)),
                })
                .collect();
            let (shading, list) = match sort {
                Sort::Code => (Scale::coverage(), None),
                Sort::UncoveredPopulation => (
                    Scale::coverage(),
                    Some(("Most people without coverage", &lines[..])),
                ),
                Sort::UnmetDemand => {
                    let max = report.regions.iter().filter_map(unmet).max().unwrap_or(0);
                    (
                        Scale::counts(
                            "Searches without result",
                            onconet_domain::usage::MIN_SHOWN,
                            max,
                            "fewer than 5",
                        ),
                        Some(("Gaps most searched in", &lines[..])),
                    )
                }
            };
            let svg = map_svg(&regions, &title, &subtitle, 800.0, &shading, list);
            response.content_type("image/svg+xml").body(svg)
        }
    })
}

/// A network that reaches the region.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReachingNetworkResponse {
    pub id: Uuid,
    /// Its name (absent for an `as_of` report when it is no longer published).
    pub name: Option<String>,
    /// Its network type code.
    #[serde(rename = "type")]
    pub network_type: Option<String>,
}

/// One region of a coverage report and the networks that reach it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegionNetworksResponse {
    pub layer: String,
    /// The ROS working area the region is clipped to; absent: the whole region.
    #[schema(example = "ros-noord")]
    pub ros_area: Option<String>,
    /// The region's figures, as in the report's `regions`.
    pub region: RegionCoverageResponse,
    /// The matching networks that reach the region (as counted in `region.networks`), by name.
    pub networks: Vec<ReachingNetworkResponse>,
}

/// One region of the coverage report (the same parameters as `/v1/coverage`) with the matching
/// networks that reach it: what the dashboard lists when a region is chosen.
#[utoipa::path(
    tag = "coverage",
    params(("code" = String, Path, description = "The region's code in `layer` (`GM0014`, `PV20`, `9711`)"), RegionCoverageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The region and the networks reaching it", body = RegionNetworksResponse),
        (status = 400, description = "A parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not IKNL staff or admin, nor a ROS adviser asking for their own ROS's area (`ros_area`, required for advisers)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such region in the layer (or in the ROS area), `exclude` names a network that does not exist, or no working area has been imported for `ros_area`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/coverage/regions/{code}")]
pub async fn get_region_coverage(
    registry: web::Data<Registry>,
    code: web::Path<String>,
    query: crate::extract::Query<RegionCoverageQuery>,
    actor: RequireActor,
) -> ApiResult<HttpResponse> {
    require_reader(&actor)?;
    let parsed = authorised(
        &actor,
        coverage_request(
            &registry,
            query.filter_params(),
            query.layer.as_deref(),
            query.ros_area.as_deref(),
            query.exclude.as_deref(),
            query.as_of.as_deref(),
        )?,
    )?;
    let period = demand_period(query.demand_from.as_deref(), query.demand_to.as_deref())?;
    let networks = registry.coverage_reaching(&parsed, &code).await?;
    let coverage = registry.coverage(&parsed).await?;
    let within = registry.demand_area(&parsed).await?;
    let demand = registry
        .demand(
            &parsed.layer,
            &parsed.filter.networks,
            period,
            within.as_deref(),
        )
        .await?;
    let region = coverage
        .report
        .regions
        .iter()
        .find(|r| r.code == *code)
        .map(|r| region_response(r, &demand))
        .ok_or_else(|| ApiError::NotFound(format!("no {} with this code", parsed.layer)))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .json(RegionNetworksResponse {
            ros_area: parsed.ros_area.as_ref().map(|a| a.as_str().to_owned()),
            layer: parsed.layer,
            region,
            networks: networks
                .into_iter()
                .map(|n| ReachingNetworkResponse {
                    id: n.id,
                    name: n.name,
                    network_type: n.network_type.map(|t| t.as_str().to_owned()),
                })
                .collect(),
        }))
}

/// Coverage per region and discipline (for the municipality layer by default).
#[derive(Debug, Serialize, ToSchema)]
pub struct DisciplineMatrixResponse {
    pub layer: String,
    /// The ROS working area the regions are clipped to; absent: the whole country.
    #[schema(example = "ros-noord")]
    pub ros_area: Option<String>,
    /// The discipline codes, in vocabulary order (the keys of each region's `coverage`).
    pub disciplines: Vec<String>,
    pub regions: Vec<MatrixRow>,
    /// Totals per discipline: national, or the ROS area's with `ros_area`.
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

/// Region × discipline: for every discipline of the vocabulary, the share of each region
/// covered by matching networks offering it. The parameters are those of `/v1/coverage`, but
/// `discipline`, `min_coverage`, `format`, `sort`, `demand_from` and `demand_to` are refused
/// (400): the matrix covers every discipline's coverage, as JSON.
#[utoipa::path(
    tag = "coverage",
    params(CoverageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The matrix", body = DisciplineMatrixResponse),
        (status = 400, description = "A parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not IKNL staff or admin, nor a ROS adviser asking for their own ROS's area (`ros_area`, required for advisers)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`exclude` names a network that does not exist, or no working area has been imported for `ros_area`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/coverage/disciplines")]
pub async fn get_discipline_matrix(
    registry: web::Data<Registry>,
    query: crate::extract::Query<CoverageQuery>,
    actor: RequireActor,
) -> ApiResult<HttpResponse> {
    require_reader(&actor)?;
    let given = [
        ("discipline", query.discipline.is_some()),
        (
            "format",
            query.format.as_deref().is_some_and(|f| f != "json"),
        ),
        ("min_coverage", query.min_coverage.is_some()),
        ("sort", query.sort.is_some()),
        ("demand_from", query.demand_from.is_some()),
        ("demand_to", query.demand_to.is_some()),
    ];
    if let Some((name, _)) = given.iter().find(|(_, given)| *given) {
        return Err(ApiError::bad_parameter(
            name,
            "not_allowed",
            "the matrix covers every discipline's coverage as JSON; leave out discipline, min_coverage, format, sort and the demand period",
        ));
    }
    let parsed = authorised(&actor, query.request(&registry)?)?;
    let matrix = registry.discipline_matrix(&parsed).await?;
    let mut rows: Vec<MatrixRow> = matrix
        .layer
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
    for (code, report) in matrix.disciplines.iter().zip(&matrix.reports) {
        for (row, r) in rows.iter_mut().zip(report.regions.iter()) {
            row.coverage
                .insert(code.clone(), (r.coverage * 1e6).round() / 1e6);
        }
        summary.insert(code.clone(), summary_response(&report.summary));
    }
    let codes = matrix.disciplines;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .json(DisciplineMatrixResponse {
            ros_area: parsed.ros_area.as_ref().map(|a| a.as_str().to_owned()),
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

fn point(r: &SnapshotRow) -> TrendPoint {
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
    registry: web::Data<Registry>,
    query: crate::extract::Query<TrendQuery>,
    actor: RequireActor,
) -> ApiResult<HttpResponse> {
    require_staff(&actor)?;
    let discipline = registry.discipline(query.discipline.as_deref())?;
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
    // An empty period is an empty series.
    let rows = registry.trend(discipline.as_deref(), from, to).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .json(TrendResponse {
            layer: SNAPSHOT_LAYER.into(),
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
    registry: web::Data<Registry>,
    actor: RequireActor,
) -> ApiResult<HttpResponse> {
    require_staff(&actor)?;
    let rows = registry.take_snapshot().await?;
    Ok(HttpResponse::Created().json(rows.iter().map(point).collect::<Vec<_>>()))
}
