//! Anonymous usage counts (issue 17, DESIGN §7): find-a-network searches, toolbox searches and
//! toolbox item views, per day; the staff report (`usage`) and the demand that coverage
//! reports show (`demand`).
//!
//! Counting never slows a request: a count is an increment in memory (one short lock, no I/O);
//! a background task ([`Registry::keep_usage`]) adds the counts to the database every few
//! seconds, in one statement, and deletes what is older than 24 months. A crash loses at most
//! the counts since the last flush; a database outage keeps them in memory until it is back.
//! Nothing about the person asking is ever part of a count ([`onconet_domain::usage`]), and
//! every figure below [`MIN_SHOWN`] leaves this module as `None`.

use crate::Registry;
use crate::error::{Error, Result};
use crate::filter::NetworkFilter;
use crate::places::Place;
use chrono::{NaiveDate, Utc};
use onconet_db::usage::{self as q, UsageRow, UsageSum};
use onconet_domain::usage::{MIN_SHOWN, UsageKey, UsageKind, retention_start, shown};
use onconet_domain::{Actor, Lang};
use onconet_spatial::RegionLayer;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;
use uuid::Uuid;

/// How usage is counted.
#[derive(Debug, Clone)]
pub struct UsageSettings {
    /// Whether anything is counted (`ONCONET_USAGE_COUNTS`).
    pub enabled: bool,
    /// How often the counts in memory are added to the database.
    pub flush_every: Duration,
}

impl Default for UsageSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            flush_every: Duration::from_secs(10),
        }
    }
}

/// The counts not yet in the database.
#[derive(Debug, Default)]
pub struct UsageCounter {
    settings: UsageSettings,
    pending: Mutex<HashMap<UsageKey, i64>>,
}

impl UsageCounter {
    pub fn new(settings: UsageSettings) -> Self {
        Self {
            settings,
            pending: Mutex::default(),
        }
    }

    /// Counts one event of today (UTC).
    pub fn count(&self, kind: UsageKind, subject: String, filter: String, found: bool) {
        if !self.settings.enabled {
            return;
        }
        let key = UsageKey {
            day: Utc::now().date_naive(),
            kind,
            subject,
            filter,
            found,
        };
        // A poisoned lock only means another thread panicked while counting: the map is
        // still a map.
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        *pending.entry(key).or_default() += 1;
    }

    fn take(&self) -> HashMap<UsageKey, i64> {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Puts counts that could not be stored back, to go with the next flush.
    fn restore(&self, counts: HashMap<UsageKey, i64>) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        for (key, n) in counts {
            *pending.entry(key).or_default() += n;
        }
    }
}

/// The period of a report, as given: `YYYY-MM-DD` dates, both inclusive.
#[derive(Debug, Clone, Copy, Default)]
pub struct PeriodParams<'a> {
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
}

/// A period of whole days (UTC), both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// Parses `from`/`to` (named `{prefix}from`, `{prefix}to` in problems): `to` defaults to
    /// today, `from` to `default_days` days up to `to`; `from` ≤ `to` ≤ today, and no further
    /// back than counts are kept.
    pub fn parse(p: PeriodParams<'_>, prefix: &str, default_days: u64) -> Result<Self> {
        let today = Utc::now().date_naive();
        let name_from = format!("{prefix}from");
        let name_to = format!("{prefix}to");
        let date = |name: &str, v: &str| {
            crate::reports::parse_full_date(v.trim()).ok_or_else(|| {
                Error::bad_parameter(name, "invalid_format", "use a date: YYYY-MM-DD")
            })
        };
        let to =
            p.to.map(|v| date(&name_to, v))
                .transpose()?
                .unwrap_or(today);
        if to > today {
            return Err(Error::bad_parameter(
                &name_to,
                "in_future",
                "must not be after today",
            ));
        }
        let from = match p.from {
            Some(v) => date(&name_from, v)?,
            None => to - chrono::Days::new(default_days.saturating_sub(1)),
        };
        if from > to {
            return Err(Error::bad_parameter(
                &name_from,
                "out_of_range",
                format!("must not be after `{name_to}`"),
            ));
        }
        let kept = retention_start(today);
        Ok(Self {
            from: from.max(kept),
            to,
        })
    }
}

/// Counts as shown: `None` below [`MIN_SHOWN`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    pub finder_searches: Option<i64>,
    pub finder_searches_without_result: Option<i64>,
    pub toolbox_searches: Option<i64>,
    pub toolbox_searches_without_result: Option<i64>,
    pub toolbox_views: Option<i64>,
}

/// Raw counts of one day or period, before suppression.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    finder: i64,
    finder_empty: i64,
    toolbox: i64,
    toolbox_empty: i64,
    views: i64,
}

impl Tally {
    fn add(&mut self, kind: &str, found: bool, n: i64) {
        match UsageKind::parse(kind) {
            Some(UsageKind::FinderSearch) => {
                self.finder += n;
                if !found {
                    self.finder_empty += n;
                }
            }
            Some(UsageKind::ToolboxSearch) => {
                self.toolbox += n;
                if !found {
                    self.toolbox_empty += n;
                }
            }
            Some(UsageKind::ToolboxView) => self.views += n,
            None => {}
        }
    }

    fn shown(&self) -> Figures {
        Figures {
            finder_searches: shown(self.finder),
            finder_searches_without_result: shown(self.finder_empty),
            toolbox_searches: shown(self.toolbox),
            toolbox_searches_without_result: shown(self.toolbox_empty),
            toolbox_views: shown(self.views),
        }
    }
}

/// One entry of a top list: shown only when its count is at least [`MIN_SHOWN`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopEntry {
    /// What was counted: a municipality code, a filter line, a search's terms, an item id.
    pub key: String,
    /// Its name, where it has one (a municipality's, an item's title).
    pub label: Option<String>,
    pub count: i64,
    /// Of which nothing was found (`None` below [`MIN_SHOWN`]; views always find).
    pub without_result: Option<i64>,
}

/// The staff usage report.
#[derive(Debug, Clone)]
pub struct UsageReport {
    pub period: Period,
    /// Every day of the period, oldest first.
    pub days: Vec<(NaiveDate, Figures)>,
    pub totals: Figures,
    /// Find-a-network searches by the place's municipality (`""`: outside every one).
    pub municipalities: Vec<TopEntry>,
    /// Find-a-network searches by the filter used (`""`: none).
    pub filters: Vec<TopEntry>,
    /// Toolbox searches by their terms.
    pub toolbox_queries: Vec<TopEntry>,
    /// Toolbox items by views.
    pub toolbox_items: Vec<TopEntry>,
}

/// The usage report's parameters, as given.
#[derive(Debug, Clone, Copy, Default)]
pub struct UsageParams<'a> {
    pub period: PeriodParams<'a>,
    /// Entries per top list, 1–100 (default 10).
    pub top: Option<&'a str>,
    pub lang: Lang,
}

/// How many searches of a region asked for a report's networks, and of those, how many found
/// none covering the place; `None` below [`MIN_SHOWN`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegionDemand {
    pub searches: Option<i64>,
    pub searches_without_result: Option<i64>,
}

/// The demand behind a coverage report: find-a-network searches over a period, per region.
#[derive(Debug, Clone)]
pub struct Demand {
    pub period: Period,
    /// Whether the layer has figures: searches are counted per municipality, so the
    /// municipality and province layers do, PC4 does not.
    pub available: bool,
    /// Per region code.
    pub regions: HashMap<String, RegionDemand>,
    /// The whole country (every search that asked for the report's networks).
    pub total: RegionDemand,
}

impl Demand {
    /// A region's figures (nothing counted: both `None`).
    pub fn of(&self, code: &str) -> RegionDemand {
        self.regions.get(code).copied().unwrap_or_default()
    }
}

/// The top `n` of `counts` (key → (count, without result)) at or above [`MIN_SHOWN`], most
/// first, equal counts by key.
fn top(counts: BTreeMap<String, (i64, i64)>, n: usize, finds_always: bool) -> Vec<TopEntry> {
    let mut entries: Vec<TopEntry> = counts
        .into_iter()
        .filter(|(_, (c, _))| *c >= MIN_SHOWN)
        .map(|(key, (count, empty))| TopEntry {
            key,
            label: None,
            count,
            without_result: if finds_always { None } else { shown(empty) },
        })
        .collect();
    entries.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    entries.truncate(n);
    entries
}

fn add_to(map: &mut BTreeMap<String, (i64, i64)>, key: &str, s: &UsageSum) {
    let e = map.entry(key.to_owned()).or_default();
    e.0 += s.count;
    if !s.found {
        e.1 += s.count;
    }
}

/// Usage reports are for IKNL staff and admins.
fn require_staff(actor: &Actor) -> Result<()> {
    if crate::networks::is_staff(Some(actor)) {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "usage counts are for IKNL staff and admins".into(),
        ))
    }
}

impl Registry {
    /// Counts a find-a-network search for `place` with `filter`; `found`: a network covers
    /// the place.
    pub(crate) fn count_finder_search(&self, place: &Place, filter: &NetworkFilter, found: bool) {
        let municipality = place
            .municipality
            .as_ref()
            .map(|m| m.code.clone())
            .unwrap_or_default();
        self.usage.count(
            UsageKind::FinderSearch,
            municipality,
            filter.canonical(),
            found,
        );
    }

    /// Adds the counts in memory to the database; how many counters were written. On failure
    /// they stay in memory for the next attempt.
    pub async fn flush_usage(&self) -> Result<usize> {
        let pending = self.usage.take();
        if pending.is_empty() {
            return Ok(0);
        }
        let rows: Vec<UsageRow> = pending
            .iter()
            .map(|(k, n)| UsageRow {
                day: k.day,
                kind: k.kind.as_str().to_owned(),
                subject: k.subject.clone(),
                filter: k.filter.clone(),
                found: k.found,
                count: *n,
            })
            .collect();
        let written = async {
            let mut conn = self.conn().await?;
            Ok::<_, Error>(q::add(&mut conn, &rows).await?)
        }
        .await;
        match written {
            Ok(n) => Ok(n),
            Err(e) => {
                self.usage.restore(pending);
                Err(e)
            }
        }
    }

    /// Deletes the counts older than [`onconet_domain::usage::RETENTION_MONTHS`].
    pub async fn prune_usage(&self) -> Result<usize> {
        let mut conn = self.conn().await?;
        Ok(q::delete_before(&mut conn, retention_start(Utc::now().date_naive())).await?)
    }

    /// The background task: flushes every `flush_every`, prunes once an hour. (On shutdown
    /// the server flushes once more after the last request.)
    pub async fn keep_usage(self) {
        let every = self.usage.settings.flush_every;
        let mut last_prune: Option<std::time::Instant> = None;
        loop {
            tokio::time::sleep(every).await;
            if let Err(e) = self.flush_usage().await {
                tracing::warn!(error = %e, "usage counts not stored yet; kept for the next try");
            }
            if last_prune.is_none_or(|t| t.elapsed() >= Duration::from_secs(3600)) {
                match self.prune_usage().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(rows = n, "usage counts older than 24 months deleted"),
                    Err(e) => tracing::warn!(error = %e, "old usage counts not deleted"),
                }
                last_prune = Some(std::time::Instant::now());
            }
        }
    }

    /// The usage report for staff: per day and in total, and the top lists, every figure
    /// below [`MIN_SHOWN`] suppressed.
    pub async fn usage_report(&self, actor: &Actor, p: UsageParams<'_>) -> Result<UsageReport> {
        require_staff(actor)?;
        let period = Period::parse(p.period, "", 30)?;
        let n = match p.top {
            None => 10,
            Some(t) => t
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| {
                    Error::bad_parameter(
                        "top",
                        "out_of_range",
                        "must be a whole number from 1 to 100",
                    )
                })?,
        };
        let mut conn = self.conn().await?;
        let daily = q::daily(&mut conn, period.from, period.to).await?;
        let sums = q::sums(&mut conn, period.from, period.to, None).await?;
        let mut per_day: BTreeMap<NaiveDate, Tally> = BTreeMap::new();
        let mut totals = Tally::default();
        for d in &daily {
            per_day
                .entry(d.day)
                .or_default()
                .add(&d.kind, d.found, d.count);
            totals.add(&d.kind, d.found, d.count);
        }
        let days = period
            .from
            .iter_days()
            .take_while(|d| *d <= period.to)
            .map(|d| (d, per_day.get(&d).copied().unwrap_or_default().shown()))
            .collect();
        let (mut places, mut filters, mut queries, mut items) = Default::default();
        for s in &sums {
            match UsageKind::parse(&s.kind) {
                Some(UsageKind::FinderSearch) => {
                    add_to(&mut places, &s.subject, s);
                    add_to(&mut filters, &s.filter, s);
                }
                Some(UsageKind::ToolboxSearch) => add_to(&mut queries, &s.subject, s),
                Some(UsageKind::ToolboxView) => add_to(&mut items, &s.subject, s),
                None => {}
            }
        }
        let mut municipalities = top(places, n, false);
        let layer = self.geo.layer("municipality").unwrap_or_default();
        for m in &mut municipalities {
            m.label = layer.get(&m.key).map(|r| r.name.clone());
        }
        let mut toolbox_items = top(items, n, true);
        let ids: Vec<Uuid> = toolbox_items
            .iter()
            .filter_map(|e| Uuid::parse_str(&e.key).ok())
            .collect();
        let titles = onconet_db::toolbox::titles(&mut conn, &ids).await?;
        for e in &mut toolbox_items {
            e.label = titles.iter().find(|t| t.0.to_string() == e.key).map(|t| {
                if p.lang == Lang::En {
                    t.2.clone()
                } else {
                    t.1.clone()
                }
            });
        }
        Ok(UsageReport {
            period,
            days,
            totals: totals.shown(),
            municipalities,
            filters: top(filters, n, false),
            toolbox_queries: top(queries, n, false),
            toolbox_items,
        })
    }

    /// The find-a-network searches over `period` that asked for `filter`'s networks, per
    /// region of `layer` (municipality: as counted; province: its municipalities' sum; PC4:
    /// not available, searches are counted per municipality). With `within` (a layer clipped
    /// to a ROS area), only the searches in its municipalities count, the total too; a
    /// municipality on the area's border brings all its searches (they are counted per
    /// municipality, not per place).
    pub async fn demand(
        &self,
        layer: &str,
        filter: &NetworkFilter,
        period: Period,
        within: Option<&RegionLayer>,
    ) -> Result<Demand> {
        let mut conn = self.conn().await?;
        let sums = q::sums(
            &mut conn,
            period.from,
            period.to,
            Some(UsageKind::FinderSearch.as_str()),
        )
        .await?;
        drop(conn);
        let available = layer != "pc4";
        // Which region a municipality's searches go to.
        let municipalities = self.geo.layer("municipality").unwrap_or_default();
        let target = self.geo.layer(layer).unwrap_or_default();
        let region_of = |code: &str| -> Option<String> {
            match layer {
                "municipality" => Some(code.to_owned()),
                "province" => {
                    let m = municipalities.get(code)?;
                    target
                        .at(m.interior.x(), m.interior.y())
                        .map(|p| p.code.clone())
                }
                _ => None,
            }
        };
        let mut parsed: HashMap<&str, bool> = HashMap::new();
        let mut raw: HashMap<String, (i64, i64)> = HashMap::new();
        let mut total = (0i64, 0i64);
        for s in &sums {
            let asks = *parsed.entry(s.filter.as_str()).or_insert_with(|| {
                NetworkFilter::from_canonical(&s.filter, &self.vocabularies)
                    .is_some_and(|f| f.asks_for(filter))
            });
            if !asks {
                continue;
            }
            if within.is_some_and(|w| w.get(&s.subject).is_none()) {
                continue;
            }
            let empty = if s.found { 0 } else { s.count };
            total = (total.0 + s.count, total.1 + empty);
            if !available {
                continue;
            }
            if let Some(region) = region_of(&s.subject) {
                let e = raw.entry(region).or_default();
                *e = (e.0 + s.count, e.1 + empty);
            }
        }
        let suppressed = |(n, empty): (i64, i64)| RegionDemand {
            searches: shown(n),
            searches_without_result: shown(empty),
        };
        Ok(Demand {
            period,
            available,
            regions: raw.into_iter().map(|(k, v)| (k, suppressed(v))).collect(),
            total: suppressed(total),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(kind: UsageKind, subject: &str, found: bool, count: i64) -> UsageSum {
        UsageSum {
            kind: kind.as_str().into(),
            subject: subject.into(),
            filter: String::new(),
            found,
            count,
        }
    }

    #[test]
    fn top_lists_leave_out_small_counts_and_hide_small_parts() {
        let mut m = BTreeMap::new();
        for s in [
            sum(UsageKind::FinderSearch, "GM0014", true, 7),
            sum(UsageKind::FinderSearch, "GM0014", false, 3),
            sum(UsageKind::FinderSearch, "GM0363", false, 12),
            sum(UsageKind::FinderSearch, "GM0518", true, 4),
        ] {
            add_to(&mut m, &s.subject, &s);
        }
        let t = top(m, 10, false);
        assert_eq!(
            t.iter()
                .map(|e| (e.key.as_str(), e.count, e.without_result))
                .collect::<Vec<_>>(),
            [("GM0363", 12, Some(12)), ("GM0014", 10, None)]
        );
        let mut m = BTreeMap::new();
        add_to(&mut m, "a", &sum(UsageKind::FinderSearch, "a", false, 5));
        add_to(&mut m, "b", &sum(UsageKind::FinderSearch, "b", false, 9));
        assert_eq!(top(m, 1, false)[0].key, "b");
    }

    #[test]
    fn tallies_suppress_each_figure_on_its_own() {
        let mut t = Tally::default();
        t.add("finder_search", true, 20);
        t.add("finder_search", false, 4);
        t.add("toolbox_search", false, 5);
        t.add("toolbox_view", true, 1);
        t.add("something_else", true, 100);
        assert_eq!(
            t.shown(),
            Figures {
                finder_searches: Some(24),
                finder_searches_without_result: None,
                toolbox_searches: Some(5),
                toolbox_searches_without_result: Some(5),
                toolbox_views: None,
            }
        );
    }

    #[test]
    fn periods_default_and_refuse_what_cannot_be() {
        let today = Utc::now().date_naive();
        let p = Period::parse(PeriodParams::default(), "", 30).unwrap();
        assert_eq!((p.to, (p.to - p.from).num_days()), (today, 29));
        let p = Period::parse(
            PeriodParams {
                from: Some("2000-01-01"),
                to: None,
            },
            "demand_",
            30,
        )
        .unwrap();
        assert_eq!(p.from, retention_start(today));
        for (from, to, name) in [
            (Some("2026-13-01"), None, "from"),
            (None, Some("tomorrow"), "to"),
            (Some("2026-01-02"), Some("2026-01-01"), "from"),
            (None, Some("9999-01-01"), "to"),
        ] {
            match Period::parse(PeriodParams { from, to }, "x_", 30) {
                Err(Error::BadRequest { errors, .. }) => {
                    assert_eq!(errors[0].parameter.as_deref(), Some(&*format!("x_{name}")))
                }
                other => panic!("{from:?} {to:?}: {other:?}"),
            }
        }
    }
}
