//! `/v1/usage`: the anonymous usage counts for IKNL staff, as JSON or CSV
//! ([`onconet_registry::usage`] suppresses every figure below 5 before it gets here).

use crate::auth::RequireActor;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::accepts;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use onconet_domain::usage::MIN_SHOWN;
use onconet_registry::Registry;
use onconet_registry::usage::{Figures, PeriodParams, TopEntry, UsageParams, UsageReport};
use serde::{Deserialize, Serialize};
use std::fmt::Write;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// First day (`YYYY-MM-DD`, UTC; default 29 days before `to`; counts are kept 24 months).
    #[param(value_type = Option<chrono::NaiveDate>, example = "2026-11-01")]
    pub from: Option<String>,
    /// Last day (`YYYY-MM-DD`, UTC; default today; not in the future).
    #[param(value_type = Option<chrono::NaiveDate>)]
    pub to: Option<String>,
    /// Entries per top list, 1–100 (default 10).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub top: Option<String>,
    /// `json` or `csv` (otherwise by `Accept`).
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

impl crate::extract::ListParams for UsageQuery {}

/// Counts of a day or a period. `null`: fewer than 5 (never shown), or none.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageFigures {
    /// Find-a-network searches (`/v1/search`, the widget; first pages only).
    pub finder_searches: Option<i64>,
    /// Of which no network covered the place.
    pub finder_searches_without_result: Option<i64>,
    /// Toolbox searches with words (first pages of published items).
    pub toolbox_searches: Option<i64>,
    /// Of which no item matched.
    pub toolbox_searches_without_result: Option<i64>,
    /// Published toolbox items opened.
    pub toolbox_views: Option<i64>,
}

impl From<&Figures> for UsageFigures {
    fn from(f: &Figures) -> Self {
        Self {
            finder_searches: f.finder_searches,
            finder_searches_without_result: f.finder_searches_without_result,
            toolbox_searches: f.toolbox_searches,
            toolbox_searches_without_result: f.toolbox_searches_without_result,
            toolbox_views: f.toolbox_views,
        }
    }
}

/// One day of the series.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageDay {
    pub day: NaiveDate,
    #[serde(flatten)]
    pub figures: UsageFigures,
}

/// One entry of a top list (only entries counted at least 5 times are listed).
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageTopEntry {
    /// A municipality code (`""`: outside every municipality), a filter as
    /// `type=…&discipline=…` (`""`: none), a search's terms (lower case, stop words removed,
    /// sorted) or a toolbox item id.
    pub key: String,
    /// The municipality's name or the item's title, where there is one.
    pub label: Option<String>,
    pub count: i64,
    /// Of which nothing was found (`null` below 5; absent for views).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub without_result: Option<i64>,
}

impl From<&TopEntry> for UsageTopEntry {
    fn from(e: &TopEntry) -> Self {
        Self {
            key: e.key.clone(),
            label: e.label.clone(),
            count: e.count,
            without_result: e.without_result,
        }
    }
}

/// The top lists of the period.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageTop {
    /// Find-a-network searches by the searched place's municipality.
    pub municipalities: Vec<UsageTopEntry>,
    /// Find-a-network searches by the filter used.
    pub filters: Vec<UsageTopEntry>,
    /// Toolbox searches by their terms.
    pub toolbox_queries: Vec<UsageTopEntry>,
    /// Toolbox items by views.
    pub toolbox_items: Vec<UsageTopEntry>,
}

/// Anonymous usage counts of a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageResponse {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Counts below this are never shown (`null`, or left out of the top lists).
    pub min_shown: i64,
    pub totals: UsageFigures,
    /// Every day of the period, oldest first.
    pub days: Vec<UsageDay>,
    pub top: UsageTop,
}

fn response(r: &UsageReport) -> UsageResponse {
    let list = |l: &[TopEntry]| l.iter().map(UsageTopEntry::from).collect();
    UsageResponse {
        from: r.period.from,
        to: r.period.to,
        min_shown: MIN_SHOWN,
        totals: (&r.totals).into(),
        days: r
            .days
            .iter()
            .map(|(day, f)| UsageDay {
                day: *day,
                figures: f.into(),
            })
            .collect(),
        top: UsageTop {
            municipalities: list(&r.municipalities),
            filters: list(&r.filters),
            toolbox_queries: list(&r.toolbox_queries),
            toolbox_items: list(&r.toolbox_items),
        },
    }
}

fn csv_field(s: &str) -> String {
    // Formula-looking text (`=`, `+`, `-`, `@`) is neutralised like every export's.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The report as one long CSV table: `section,day,key,label,measure,count` (an empty count is
/// one below 5).
fn csv(r: &UsageReport) -> String {
    let mut out = String::from("section,day,key,label,measure,count\n");
    let n = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let mut figures = |section: &str, day: &str, f: &Figures| {
        for (measure, v) in [
            ("finder_searches", f.finder_searches),
            (
                "finder_searches_without_result",
                f.finder_searches_without_result,
            ),
            ("toolbox_searches", f.toolbox_searches),
            (
                "toolbox_searches_without_result",
                f.toolbox_searches_without_result,
            ),
            ("toolbox_views", f.toolbox_views),
        ] {
            let _ = writeln!(out, "{section},{day},,,{measure},{}", n(v));
        }
    };
    figures(
        "total",
        &format!("{}/{}", r.period.from, r.period.to),
        &r.totals,
    );
    for (day, f) in &r.days {
        figures("day", &day.to_string(), f);
    }
    for (section, list, measure) in [
        ("municipality", &r.municipalities, "finder_searches"),
        ("filter", &r.filters, "finder_searches"),
        ("toolbox_query", &r.toolbox_queries, "toolbox_searches"),
        ("toolbox_item", &r.toolbox_items, "toolbox_views"),
    ] {
        for e in list {
            let label = csv_field(e.label.as_deref().unwrap_or_default());
            let key = csv_field(&e.key);
            let _ = writeln!(out, "{section},,{key},{label},{measure},{}", e.count);
            if section != "toolbox_item" {
                let _ = writeln!(
                    out,
                    "{section},,{key},{label},{measure}_without_result,{}",
                    n(e.without_result)
                );
            }
        }
    }
    out
}

/// Anonymous usage counts: find-a-network searches (by the searched place's municipality, the
/// filter used, and whether a network covered the place), toolbox searches (their terms, stop
/// words removed) and toolbox item views, per day. Nothing about who asked is kept (no
/// address, agent, token or cookie); a count below 5 is never shown; counts are kept for 24
/// months. Counts reach the database in batches every few seconds, so the last seconds may
/// not be in yet.
#[utoipa::path(
    tag = "usage",
    params(UsageQuery, ("Accept-Language" = Option<String>, Header, description = "`nl` (default) or `en`: the language of toolbox item titles")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The counts as JSON, or as CSV with `format=csv` or `Accept: text/csv`",
            content((UsageResponse = "application/json"), (String = "text/csv"))),
        (status = 400, description = "A parameter is invalid (a date, `from` after `to`, `to` in the future, `top`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not IKNL staff or admin", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/usage")]
pub async fn get_usage(
    req: HttpRequest,
    registry: web::Data<Registry>,
    query: crate::extract::Query<UsageQuery>,
    actor: RequireActor,
) -> ApiResult<HttpResponse> {
    let csv_wanted = match query.format.as_deref() {
        Some("csv") => true,
        Some("json") => false,
        Some(other) => {
            return Err(ApiError::bad_parameter(
                "format",
                "unknown_code",
                format!(
                    "`{}` is not json or csv",
                    crate::error::abbreviated(other, 20)
                ),
            ));
        }
        None => accepts(&req, "text/csv"),
    };
    let lang = crate::extract::lang(&req);
    let report = registry
        .usage_report(
            &actor.0,
            UsageParams {
                period: PeriodParams {
                    from: query.from.as_deref(),
                    to: query.to.as_deref(),
                },
                top: query.top.as_deref(),
                lang,
            },
        )
        .await?;
    let mut out = HttpResponse::Ok();
    out.insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .insert_header((header::VARY, "Accept, Accept-Language"));
    Ok(if csv_wanted {
        out.content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"usage-{}-{}.csv\"",
                    report.period.from, report.period.to
                ),
            ))
            .body(csv(&report))
    } else {
        out.json(response(&report))
    })
}
