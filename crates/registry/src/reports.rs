//! Coverage reports for IKNL (DESIGN section 4): per region of a layer, how much of it the
//! matching networks cover, now or `as_of` a past moment, with networks left out (what-if);
//! the discipline matrix; the daily national snapshots and their trend.

use crate::Registry;
use crate::coverage::{
    CacheOutcome, CoverageFilter, Universe, cache_key, check_exclude, current_members,
    members_as_of, published_areas,
};
use crate::error::{Error, Result};
use crate::filter::{FilterParams, NetworkFilter, parse_list};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
pub use onconet_db::snapshots::SnapshotRow;
use onconet_domain::{Actor, Lifecycle, NetworkType, OrgCode, Role};
use onconet_spatial::RegionLayer;
use onconet_spatial::coverage::{CoverageOptions, CoverageReport, Overlay};
use std::sync::Arc;
use uuid::Uuid;

/// The layers a coverage report is over (not `ros_area`: working areas are what a report is
/// restricted to, and they may overlap or leave gaps, so a national report per ROS would count
/// some ground twice and some not at all).
pub const COVERAGE_LAYERS: [&str; 3] = ["municipality", "province", "pc4"];

/// The layers a report restricted to a ROS area can be over: the units ROS areas are made of.
/// Not provinces: a province clipped to a working area is the area itself, or a border sliver.
pub const CLIPPABLE_LAYERS: [&str; 2] = ["municipality", "pc4"];

/// A coverage request as given.
#[derive(Debug, Clone, Copy, Default)]
pub struct CoverageParams<'a> {
    pub filter: FilterParams<'a>,
    /// `municipality` (default), `province` or `pc4`.
    pub layer: Option<&'a str>,
    /// A ROS organisation code: the report only for that ROS's working area.
    pub ros_area: Option<&'a str>,
    /// Network ids to leave out, a comma list.
    pub exclude: Option<&'a str>,
    /// `YYYY-MM-DD` (the end of that day) or an RFC 3339 time.
    pub as_of: Option<&'a str>,
}

/// A coverage request, parsed.
#[derive(Debug, Clone)]
pub struct CoverageRequest {
    pub layer: String,
    pub filter: CoverageFilter,
    pub as_of: Option<DateTime<Utc>>,
    /// The ROS working area the report is restricted to (`None`: the whole country); see
    /// [`CoverageRequest::authorise`] for an adviser's default.
    pub ros_area: Option<OrgCode>,
}

impl CoverageRequest {
    /// Parses the parameters; the filter gets coverage's defaults (oncology care networks,
    /// active).
    pub fn parse(
        p: CoverageParams<'_>,
        vocabularies: &onconet_domain::Vocabularies,
    ) -> Result<Self> {
        let layer = p.layer.unwrap_or("municipality").trim().to_owned();
        if layer == crate::ROS_AREA {
            return Err(Error::bad_parameter(
                "layer",
                "not_a_report_layer",
                "ROS working areas are not a report layer: restrict a municipality or pc4 report to one with ros_area",
            ));
        }
        if !COVERAGE_LAYERS.contains(&layer.as_str()) {
            return Err(Error::bad_parameter(
                "layer",
                "unknown_code",
                format!(
                    "`{}` is not municipality, province or pc4",
                    crate::networks::abbreviated(&layer, 30)
                ),
            ));
        }
        let ros_area = p
            .ros_area
            .map(|code| {
                OrgCode::parse(code)
                    .map_err(|e| Error::bad_parameter("ros_area", e.code, e.message))
            })
            .transpose()?;
        let mut filter = CoverageFilter::new(NetworkFilter::parse(p.filter, vocabularies)?);
        filter.exclude = parse_list("exclude", p.exclude, |s| {
            Uuid::parse_str(s).map_err(|_| {
                onconet_domain::error::InvalidValue::new(
                    "invalid_format",
                    format!("`{s}` is not a network id"),
                )
            })
        })?;
        let request = Self {
            layer,
            filter,
            as_of: p.as_of.map(parse_as_of).transpose()?,
            ros_area,
        };
        request.check_clippable()?;
        Ok(request)
    }

    /// Who may read this report. IKNL staff and admins: any ROS area, and the whole country
    /// (without `ros_area`). A ROS adviser: only restricted to their own ROS's area, the `org`
    /// of their token, named explicitly (`ros_area=<org>`; without it a 403 says so, so a
    /// saved link never means the whole country for one reader and an area for another);
    /// another ROS's area, or a token without a ROS code in `org`, is a 403. Anyone else:
    /// 403.
    pub fn authorise(&self, actor: &Actor) -> Result<()> {
        require_reader(actor)?;
        if actor.is_registry_staff() {
            return Ok(());
        }
        let own = actor
            .org
            .as_deref()
            .and_then(|org| OrgCode::parse(org).ok())
            .ok_or_else(|| {
                Error::Forbidden(
                    "`ros_area`: a ROS adviser reads coverage of their own ROS's area, and this token's `org` claim names no ROS".into(),
                )
            })?;
        match &self.ros_area {
            Some(asked) if *asked == own => Ok(()),
            Some(_) => Err(Error::Forbidden(format!(
                "`ros_area`: a ROS adviser reads coverage of their own ROS's area only (`{}`)",
                own.as_str()
            ))),
            None => Err(Error::Forbidden(format!(
                "`ros_area`: a ROS adviser reads coverage of their own ROS's area only; pass ros_area={}",
                own.as_str()
            ))),
        }
    }

    /// A report restricted to a ROS area is over a layer that can be clipped to it.
    fn check_clippable(&self) -> Result<()> {
        if self.ros_area.is_some() && !CLIPPABLE_LAYERS.contains(&self.layer.as_str()) {
            return Err(Error::bad_parameter(
                "layer",
                "not_clippable",
                format!(
                    "a report restricted to a ROS area (ros_area) is per municipality or pc4, not per {}",
                    self.layer
                ),
            ));
        }
        Ok(())
    }

    /// What names the report's regions in the coverage engine's state (overlays and cached
    /// reports): the layer, and the ROS area it is clipped to.
    pub fn layer_key(&self) -> String {
        match &self.ros_area {
            None => self.layer.clone(),
            Some(area) => format!("{}@{}={}", self.layer, crate::ROS_AREA, area.as_str()),
        }
    }
}

/// RFC 3339's full-date, `YYYY-MM-DD` with four digits for the year (chrono's `%Y` alone
/// also reads `-2026` and `+12026`).
pub fn parse_full_date(value: &str) -> Option<NaiveDate> {
    let full_date = value.len() == 10
        && value.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    full_date
        .then(|| NaiveDate::parse_from_str(value, "%Y-%m-%d").ok())
        .flatten()
}

/// Parses `as_of`: a date means the end of that day (UTC); it must not be in the future.
pub fn parse_as_of(value: &str) -> Result<DateTime<Utc>> {
    let value = value.trim();
    let date = parse_full_date(value);
    let end_of = |d: NaiveDate| {
        d.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default())
            .and_utc()
    };
    let at = if let Some(date) = date {
        end_of(date)
    } else {
        DateTime::parse_from_rfc3339(value)
            .map_err(|_| {
                Error::bad_parameter(
                    "as_of",
                    "invalid_format",
                    "use YYYY-MM-DD or an RFC 3339 time",
                )
            })?
            .with_timezone(&Utc)
    };
    if at > end_of(Utc::now().date_naive()) {
        return Err(Error::bad_parameter(
            "as_of",
            "in_future",
            "as_of must not be in the future",
        ));
    }
    Ok(at.min(Utc::now()))
}

/// A computed report: the engine's figures, how many networks counted, how it was obtained.
pub struct Coverage {
    pub report: Arc<CoverageReport>,
    /// The layer the report is over (its regions' geometry, for maps and gaps).
    pub layer: Arc<RegionLayer>,
    pub networks: usize,
    pub outcome: CacheOutcome,
}

/// A network that reaches a region (see [`Registry::coverage_reaching`]).
#[derive(Debug, Clone)]
pub struct ReachingNetwork {
    pub id: Uuid,
    /// Its name now (absent for an `as_of` report when it is no longer published).
    pub name: Option<String>,
    pub network_type: Option<NetworkType>,
}

/// Coverage reports are for IKNL staff and admins, and for ROS advisers restricted to their
/// own ROS's area ([`CoverageRequest::authorise`] decides the area once the request is parsed).
pub fn require_reader(actor: &Actor) -> Result<()> {
    if actor.is_registry_staff() || actor.has(Role::RosAdviser) {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "coverage reports are for IKNL staff and admins, and for ROS advisers on their own ROS's area (ros_area)".into(),
        ))
    }
}

/// The national coverage reports (trend, snapshots) are for IKNL staff and admins.
pub fn require_staff(actor: &Actor) -> Result<()> {
    if actor.has(Role::IknlStaff) || actor.has(Role::Admin) {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "coverage reports are for IKNL staff and admins".into(),
        ))
    }
}

/// The region × discipline matrix: for every discipline of the vocabulary (in its order),
/// the report of the request's filter with that discipline.
pub struct DisciplineMatrix {
    pub layer: Arc<RegionLayer>,
    pub disciplines: Vec<String>,
    /// One report per discipline, in the order of `disciplines`.
    pub reports: Vec<Arc<CoverageReport>>,
}

/// The layer of the trend and the snapshots.
pub const SNAPSHOT_LAYER: &str = "municipality";

impl Registry {
    /// The report for `request`, from the cache when nothing it depends on changed.
    pub async fn coverage(&self, request: &CoverageRequest) -> Result<Coverage> {
        check_exclude(&self.pool, &request.filter.exclude).await?;
        let layer = self.report_layer(request).await?;
        let (members, universe) = match request.as_of {
            None => (
                current_members(&self.geo, &request.filter)?,
                Universe::Current(published_areas(&self.geo)?),
            ),
            Some(at) => {
                let past = self
                    .coverage
                    .past_universe(&self.pool, &self.geo, at)
                    .await?;
                (past.members(&request.filter), Universe::Past(past))
            }
        };
        let all = members.len();
        let layer_name = request.layer_key();
        let key = cache_key(&request.filter, &layer_name, request.as_of);
        let cache = self.coverage.clone();
        let for_report = layer.clone();
        // In a ROS area, the networks that count are those reaching one of its regions.
        let in_area = request.ros_area.is_some();
        let (report, outcome, reaching) = tokio::task::spawn_blocking(move || {
            cache.report(&key, &layer_name, for_report, members, universe, in_area)
        })
        .await??;
        Ok(Coverage {
            report,
            layer,
            networks: reaching.unwrap_or(all),
            outcome,
        })
    }

    /// The regions a report for `request` is over: its layer, or with `ros_area` the layer
    /// clipped to that ROS's working area (computed once per pair of imported layers, on the
    /// blocking pool). A 404 when no working area has been imported for that ROS.
    pub async fn report_layer(&self, request: &CoverageRequest) -> Result<Arc<RegionLayer>> {
        let base = self.geo.layer(&request.layer).unwrap_or_default();
        let Some(code) = &request.ros_area else {
            return Ok(base);
        };
        let areas = self.geo.layer(crate::ROS_AREA).unwrap_or_default();
        let (cache, key, code) = (
            self.coverage.clone(),
            request.layer_key(),
            code.as_str().to_owned(),
        );
        let missing = format!(
            "`ros_area`: no working area has been imported for ROS `{code}` (onconet regions import --layer ros_area)"
        );
        tokio::task::spawn_blocking(move || cache.clipped_layer(&key, &base, &areas, &code))
            .await??
            .ok_or(Error::NotFound(missing))
    }

    /// With `ros_area`, the municipalities of that ROS's working area (what restricts the
    /// demand behind a report, whatever its layer: searches are counted per municipality).
    pub async fn demand_area(&self, request: &CoverageRequest) -> Result<Option<Arc<RegionLayer>>> {
        if request.ros_area.is_none() {
            return Ok(None);
        }
        let municipalities = CoverageRequest {
            layer: "municipality".into(),
            ..request.clone()
        };
        Ok(Some(self.report_layer(&municipalities).await?))
    }

    /// The networks of `request`'s filter that reach region `code` of its layer (by the rule
    /// that counts a region's `networks`), with their names; a 404 for an unknown code.
    pub async fn coverage_reaching(
        &self,
        request: &CoverageRequest,
        code: &str,
    ) -> Result<Vec<ReachingNetwork>> {
        check_exclude(&self.pool, &request.filter.exclude).await?;
        let layer = self.report_layer(request).await?;
        let index = layer.index_of(code).ok_or_else(|| {
            Error::NotFound(format!(
                "no {} with code `{}`{}",
                request.layer,
                crate::networks::abbreviated(code, 20),
                request
                    .ros_area
                    .as_ref()
                    .map(|a| format!(" in the working area of ROS `{}`", a.as_str()))
                    .unwrap_or_default()
            ))
        })?;
        let members = match request.as_of {
            None => current_members(&self.geo, &request.filter)?,
            Some(at) => {
                members_as_of(&self.pool, &self.geo, &self.coverage, &request.filter, at).await?
            }
        };
        let (cache, layer_name) = (self.coverage.clone(), request.layer_key());
        let current = request.as_of.is_none();
        let universe = if current {
            Some(published_areas(&self.geo)?)
        } else {
            None
        };
        let ids = tokio::task::spawn_blocking(move || -> Result<Vec<Uuid>> {
            let options = CoverageOptions::default();
            let matches = |id: &Uuid| members.contains_key(id);
            match universe {
                Some(areas) => {
                    let overlay = cache.overlay(&layer_name, &layer, areas)?;
                    let guard = overlay
                        .read()
                        .map_err(|_| Error::internal("coverage state poisoned"))?;
                    Ok(guard.reaching(index, &matches, &options))
                }
                None => {
                    let areas = members
                        .iter()
                        .map(|(id, (_, a))| (*id, a.clone()))
                        .collect();
                    Ok(Overlay::build(layer.clone(), areas).reaching(index, &matches, &options))
                }
            }
        })
        .await??;
        let names = self.geo.with_search(|index| {
            index
                .entries()
                .filter(|e| ids.contains(&e.id))
                .map(|e| (e.id, (e.name.clone(), e.network_type)))
                .collect::<std::collections::HashMap<_, _>>()
        })?;
        let mut reaching: Vec<ReachingNetwork> = ids
            .iter()
            .map(|id| ReachingNetwork {
                id: *id,
                name: names.get(id).map(|(n, _)| n.clone()),
                network_type: names.get(id).map(|(_, t)| *t),
            })
            .collect();
        reaching.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        Ok(reaching)
    }

    /// The report for every discipline of the vocabulary (the request's own discipline
    /// filter is replaced by each in turn).
    pub async fn discipline_matrix(&self, request: &CoverageRequest) -> Result<DisciplineMatrix> {
        let disciplines: Vec<String> = self
            .vocabularies
            .disciplines
            .codes()
            .map(str::to_owned)
            .collect();
        let mut reports = Vec::with_capacity(disciplines.len());
        for code in &disciplines {
            let mut one = request.clone();
            one.filter.networks.disciplines = vec![code.clone()];
            reports.push(self.coverage(&one).await?.report);
        }
        Ok(DisciplineMatrix {
            layer: self.report_layer(request).await?,
            disciplines,
            reports,
        })
    }

    /// A discipline code as given to [`Registry::trend`] (a 400 when unknown).
    pub fn discipline(&self, value: Option<&str>) -> Result<Option<String>> {
        value
            .map(|d| {
                onconet_domain::parse_code(&self.vocabularies.disciplines, d.trim())
                    .map_err(|e| Error::bad_parameter("discipline", e.code, e.message))
            })
            .transpose()
    }

    /// The national snapshots from `from` to `to` (days, inclusive) for `discipline` (all
    /// active oncology care networks when `None`), oldest first.
    pub async fn trend(
        &self,
        discipline: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<SnapshotRow>> {
        if from > to {
            return Ok(Vec::new());
        }
        let mut conn = self.conn().await?;
        Ok(onconet_db::snapshots::series(
            &mut conn,
            SNAPSHOT_LAYER,
            discipline.unwrap_or(""),
            from,
            to,
        )
        .await?)
    }

    /// Takes today's national coverage snapshot on the municipality layer: all active
    /// oncology care networks, and each discipline. Idempotent: a second snapshot the same
    /// day replaces it.
    pub async fn take_snapshot(&self) -> Result<Vec<SnapshotRow>> {
        let now = Utc::now();
        let disciplines: Vec<String> = std::iter::once(String::new())
            .chain(self.vocabularies.disciplines.codes().map(str::to_owned))
            .collect();
        let mut rows = Vec::new();
        for discipline in disciplines {
            let filter = CoverageFilter::new(NetworkFilter {
                types: vec![NetworkType::OncologyCareNetwork],
                disciplines: if discipline.is_empty() {
                    vec![]
                } else {
                    vec![discipline.clone()]
                },
                tumour_types: vec![],
                lifecycles: vec![Lifecycle::Active],
            });
            let coverage = self
                .coverage(&CoverageRequest {
                    layer: SNAPSHOT_LAYER.into(),
                    filter,
                    as_of: None,
                    ros_area: None,
                })
                .await?;
            let s = &coverage.report.summary;
            rows.push(SnapshotRow {
                day: now.date_naive(),
                layer: SNAPSHOT_LAYER.into(),
                discipline,
                networks: i32::try_from(coverage.networks).unwrap_or(i32::MAX),
                area_km2: s.area_km2,
                covered_km2: s.covered_km2,
                population: s.population,
                covered_population: s.covered_population.round() as i64,
                taken_at: now,
            });
        }
        let mut conn = self.conn().await?;
        onconet_db::snapshots::upsert(&mut conn, &rows).await?;
        Ok(rows)
    }

    /// Keeps the coverage overlays in step with the published networks: after every change,
    /// the changed networks' cells are computed in the background, so a report asked for
    /// next finds them ready (and reads them without the write lock).
    pub async fn keep_overlays_current(self) {
        let mut first = true;
        loop {
            if !first {
                self.geo.changed().await;
            }
            first = false;
            let started = std::time::Instant::now();
            let (cache, geo) = (self.coverage.clone(), self.geo.clone());
            match tokio::task::spawn_blocking(move || cache.sync_all(&geo)).await {
                Ok(Ok(())) => tracing::debug!(
                    ms = started.elapsed().as_secs_f64() * 1000.0,
                    "coverage overlays in step"
                ),
                Ok(Err(e)) => tracing::warn!(error = %e, "coverage overlays not updated"),
                Err(e) => tracing::warn!(error = %e, "coverage overlay update failed"),
            }
        }
    }

    /// Takes a snapshot once a day (checked hourly; every instance may try, the day's rows
    /// are simply replaced).
    pub async fn snapshot_daily(self) {
        loop {
            let due = match self.conn().await {
                Ok(mut conn) => !onconet_db::snapshots::exists(&mut conn, Utc::now().date_naive())
                    .await
                    .unwrap_or(true),
                Err(_) => false,
            };
            if due {
                match self.take_snapshot().await {
                    Ok(rows) => tracing::info!(rows = rows.len(), "daily coverage snapshot taken"),
                    Err(e) => tracing::warn!(error = %e, "daily coverage snapshot failed"),
                }
            }
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(layer: Option<&str>, ros_area: Option<&str>) -> Result<CoverageRequest> {
        CoverageRequest::parse(
            CoverageParams {
                layer,
                ros_area,
                ..CoverageParams::default()
            },
            &onconet_domain::Vocabularies::builtin(),
        )
    }

    fn actor(roles: &[Role], org: Option<&str>) -> Actor {
        Actor {
            sub: "t".into(),
            name: None,
            roles: roles.to_vec(),
            org: org.map(str::to_owned),
        }
    }

    /// The parameter a 400 names, its code; or the kind of error.
    fn outcome<T>(r: &Result<T>) -> String {
        match r {
            Ok(_) => "ok".into(),
            Err(Error::BadRequest { errors, .. }) => errors
                .iter()
                .map(|e| format!("{}:{}", e.parameter.as_deref().unwrap_or(""), e.code))
                .collect(),
            Err(Error::Forbidden(_)) => "403".into(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn ros_area_is_a_ros_code_on_a_layer_that_can_be_clipped() {
        let ok = parse(None, Some("ros-noord"));
        assert_eq!(outcome(&ok), "ok");
        let ok = ok.ok();
        assert_eq!(
            ok.as_ref().map(CoverageRequest::layer_key).as_deref(),
            Some("municipality@ros_area=ros-noord")
        );
        assert_eq!(outcome(&parse(Some("pc4"), Some("ros-noord"))), "ok");
        for (layer, area, want) in [
            (None, "ROS Noord", "ros_area:invalid_format"),
            (None, "r", "ros_area:invalid_format"),
            (Some("province"), "ros-noord", "layer:not_clippable"),
        ] {
            assert_eq!(outcome(&parse(layer, Some(area))), want, "{area}");
        }
        assert_eq!(
            outcome(&parse(Some("ros_area"), None)),
            "layer:not_a_report_layer"
        );
        // Without ros_area: the whole country, under the layer's own name.
        let national = parse(Some("province"), None).ok();
        assert_eq!(
            national.as_ref().map(CoverageRequest::layer_key).as_deref(),
            Some("province")
        );
    }

    #[test]
    fn staff_read_any_area_and_advisers_only_their_own() {
        let noord = parse(None, Some("ros-noord")).ok();
        let national = parse(None, None).ok();
        let check = |request: &Option<CoverageRequest>, actor: &Actor| {
            outcome(
                &request
                    .as_ref()
                    .ok_or(Error::internal("unparsed"))
                    .and_then(|r| r.authorise(actor)),
            )
        };
        for staff in [Role::IknlStaff, Role::Admin] {
            assert_eq!(check(&noord, &actor(&[staff], None)), "ok");
            assert_eq!(check(&national, &actor(&[staff], None)), "ok");
        }
        let own = actor(&[Role::RosAdviser], Some("ros-noord"));
        assert_eq!(check(&noord, &own), "ok");
        assert_eq!(check(&national, &own), "403", "the area must be named");
        let other = actor(&[Role::RosAdviser], Some("ros-zuid"));
        assert_eq!(check(&noord, &other), "403");
        assert_eq!(check(&noord, &actor(&[Role::RosAdviser], None)), "403");
        assert_eq!(
            check(&noord, &actor(&[Role::RosAdviser], Some("ROS Noord!"))),
            "403"
        );
        assert_eq!(check(&noord, &actor(&[], Some("ros-noord"))), "403");
    }
}
