//! Search and history parameters: parsed from the query string (a comma inside a value is
//! "or", a repeated parameter is "and"), then applied to the resources of the views.

use super::resources::Resource;
use super::{ResourceType, is_fhir_id};
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// Most entries of one page.
pub const MAX_COUNT: usize = 200;
/// Entries of a page unless `_count` says otherwise.
pub const DEFAULT_COUNT: usize = 50;
/// Largest `_offset` (far beyond any registry).
const MAX_OFFSET: usize = 10_000_000;

/// Why a query is refused (a 400 with an OperationOutcome).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadParameter(pub String);

type Parsed<T> = Result<T, BadParameter>;

fn bad(msg: impl Into<String>) -> BadParameter {
    BadParameter(msg.into())
}

/// The search parameters of a resource type (beyond `_id` and `_lastUpdated`).
pub fn search_parameters(kind: ResourceType) -> &'static [&'static str] {
    match kind {
        ResourceType::Organization => &["name", "partof"],
        ResourceType::OrganizationAffiliation => {
            &["primary-organization", "participating-organization"]
        }
        ResourceType::Location => &["name", "organization"],
    }
}

/// How a `name` value matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameMatch {
    /// FHIR's default for strings: starts with, ignoring case and accents.
    StartsWith,
    /// `:contains`: anywhere, ignoring case and accents.
    Contains,
    /// `:exact`: the whole string, case and accents included.
    Exact,
}

/// A `_lastUpdated` comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefix {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

/// A date search value: the prefix and the range `[start, end)` its precision covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateCondition {
    pub prefix: Prefix,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl DateCondition {
    /// Whether instant `t` matches (FHIR R4 search §3.1.1.4.5: an instant against the
    /// range of the value).
    pub fn matches(&self, t: DateTime<Utc>) -> bool {
        match self.prefix {
            Prefix::Eq => self.start <= t && t < self.end,
            Prefix::Ne => t < self.start || self.end <= t,
            Prefix::Gt => t >= self.end,
            Prefix::Ge => t >= self.start,
            Prefix::Lt => t < self.start,
            Prefix::Le => t < self.end,
        }
    }
}

/// One condition; a query holds all of them (and), each holds any of its values (or).
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Id(Vec<String>),
    LastUpdated(Vec<DateCondition>),
    Name(NameMatch, Vec<String>),
    PartOf(Vec<String>),
    Organization(Vec<String>),
    Participating(Vec<String>),
}

/// A parsed search.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    pub conditions: Vec<Condition>,
    pub count: usize,
    pub offset: usize,
}

/// A parsed history request.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    pub since: Option<DateTime<Utc>>,
    pub count: usize,
    pub offset: usize,
}

fn parse_count(value: &str) -> Parsed<usize> {
    match value.trim().parse::<usize>() {
        Ok(n) if n <= MAX_COUNT => Ok(n),
        _ => Err(bad(format!(
            "_count must be an integer from 0 to {MAX_COUNT}, not `{}`",
            abbreviated(value)
        ))),
    }
}

fn parse_offset(value: &str) -> Parsed<usize> {
    match value.trim().parse::<usize>() {
        Ok(n) if n <= MAX_OFFSET => Ok(n),
        _ => Err(bad(format!(
            "_offset must be an integer from 0 to {MAX_OFFSET}, not `{}`",
            abbreviated(value)
        ))),
    }
}

fn abbreviated(value: &str) -> String {
    crate::error::abbreviated(value, 80)
}

/// Splits a value at commas (FHIR's "or"); `\,` is a literal comma.
fn or_values(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&',') => {
                current.push(',');
                chars.next();
            }
            ',' => out.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    out.push(current);
    out
}

fn ids(name: &str, value: &str) -> Parsed<Vec<String>> {
    or_values(value)
        .into_iter()
        .map(|v| {
            let v = v.trim().to_owned();
            if is_fhir_id(&v) {
                Ok(v)
            } else {
                Err(bad(format!(
                    "{name}: `{}` is not a FHIR id ([A-Za-z0-9-.], 1–64 characters)",
                    abbreviated(&v)
                )))
            }
        })
        .collect()
}

/// Reference values: `id`, `Organization/id` or a URL ending in `/Organization/id`.
fn references(name: &str, value: &str) -> Parsed<Vec<String>> {
    or_values(value)
        .into_iter()
        .map(|v| {
            let v = v.trim();
            let id = match v.rsplit_once('/') {
                None => v,
                Some((head, id)) if head == "Organization" || head.ends_with("/Organization") => id,
                Some(_) => {
                    return Err(bad(format!(
                        "{name}: `{}` is not a reference to an Organization",
                        abbreviated(v)
                    )));
                }
            };
            if is_fhir_id(id) {
                Ok(id.to_owned())
            } else {
                Err(bad(format!(
                    "{name}: `{}` is not a FHIR id",
                    abbreviated(id)
                )))
            }
        })
        .collect()
}

/// Lower case without the accents of Latin letters, for string matching.
pub fn fold(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ý' | 'ÿ' => 'y',
            c => c,
        })
        .collect()
}

/// A FHIR date, dateTime or instant as the range its precision covers: `2024` is the whole
/// year, `2024-05-01T10:00Z` that minute. A time without a zone is taken as UTC.
pub fn date_range(value: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let v = value.trim();
    // Everything below slices by byte: a date is ASCII.
    if !v.is_ascii() {
        return None;
    }
    let day = |y: i32, m: u32, d: u32| NaiveDate::from_ymd_opt(y, m, d);
    let utc = |d: NaiveDate| Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match v.len() {
        4 if digits(v) => {
            let y: i32 = v.parse().ok()?;
            Some((utc(day(y, 1, 1)?), utc(day(y + 1, 1, 1)?)))
        }
        7 if digits(&v[..4]) && &v[4..5] == "-" && digits(&v[5..]) => {
            let y: i32 = v[..4].parse().ok()?;
            let m: u32 = v[5..].parse().ok()?;
            let start = day(y, m, 1)?;
            let end = if m == 12 {
                day(y + 1, 1, 1)?
            } else {
                day(y, m + 1, 1)?
            };
            Some((utc(start), utc(end)))
        }
        10 => {
            let d = NaiveDate::parse_from_str(v, "%Y-%m-%d").ok()?;
            if !digits(&v[..4]) {
                return None;
            }
            Some((utc(d), utc(d.succ_opt()?)))
        }
        _ => {
            let (date, rest) = v.split_once('T')?;
            if date.len() != 10 {
                return None;
            }
            // The zone: Z, ±hh:mm, or none (UTC).
            let (time, offset) = if let Some(t) = rest.strip_suffix('Z') {
                (t, FixedOffset::east_opt(0)?)
            } else if let Some(at) = rest.rfind(['+', '-']) {
                let (t, z) = rest.split_at(at);
                let sign = if z.starts_with('-') { -1 } else { 1 };
                let (h, m) = z[1..].split_once(':')?;
                if h.len() != 2 || m.len() != 2 || !digits(h) || !digits(m) {
                    return None;
                }
                let secs = sign * (h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60);
                (t, FixedOffset::east_opt(secs)?)
            } else {
                (rest, FixedOffset::east_opt(0)?)
            };
            let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
            let (t, width) = match time.len() {
                5 => (
                    NaiveTime::parse_from_str(time, "%H:%M").ok()?,
                    Duration::minutes(1),
                ),
                8 => (
                    NaiveTime::parse_from_str(time, "%H:%M:%S").ok()?,
                    Duration::seconds(1),
                ),
                n if n > 9 && time.as_bytes()[8] == b'.' && digits(&time[9..]) && n <= 18 => {
                    let t = NaiveTime::parse_from_str(time, "%H:%M:%S%.f").ok()?;
                    let places = u32::try_from(n - 9).ok()?;
                    (t, Duration::nanoseconds(10i64.pow(9 - places.min(9))))
                }
                _ => return None,
            };
            let local = NaiveDateTime::new(d, t);
            let start = offset
                .from_local_datetime(&local)
                .single()?
                .with_timezone(&Utc);
            Some((start, start + width))
        }
    }
}

fn date_conditions(value: &str) -> Parsed<Vec<DateCondition>> {
    or_values(value)
        .into_iter()
        .map(|v| {
            let v = v.trim();
            let (prefix, rest) = match v.get(..2) {
                Some("eq") => (Prefix::Eq, &v[2..]),
                Some("ne") => (Prefix::Ne, &v[2..]),
                Some("gt") => (Prefix::Gt, &v[2..]),
                Some("ge") => (Prefix::Ge, &v[2..]),
                Some("lt") => (Prefix::Lt, &v[2..]),
                Some("le") => (Prefix::Le, &v[2..]),
                Some(p @ ("sa" | "eb" | "ap")) => {
                    return Err(bad(format!(
                        "_lastUpdated: the prefix `{p}` is not supported (eq, ne, gt, ge, lt, le are)"
                    )));
                }
                Some(p) if p.bytes().all(|b| b.is_ascii_alphabetic()) => {
                    return Err(bad(format!(
                        "_lastUpdated: `{}` is not a prefix (eq, ne, gt, ge, lt, le)",
                        abbreviated(p)
                    )));
                }
                _ => (Prefix::Eq, v),
            };
            let (start, end) = date_range(rest).ok_or_else(|| {
                bad(format!(
                    "_lastUpdated: `{}` is not a FHIR date or dateTime (e.g. 2026-01-31 or 2026-01-31T10:00:00Z)",
                    abbreviated(rest)
                ))
            })?;
            Ok(DateCondition { prefix, start, end })
        })
        .collect()
}

/// The modifier of a parameter name (`name:exact`), split off.
fn split_modifier(key: &str) -> (&str, Option<&str>) {
    match key.split_once(':') {
        Some((k, m)) => (k, Some(m)),
        None => (key, None),
    }
}

fn unknown(kind: ResourceType, key: &str, allowed: &[&str]) -> BadParameter {
    bad(format!(
        "`{}` is not a search parameter of {kind} here; supported: {}",
        abbreviated(key),
        allowed.join(", ")
    ))
}

/// Parses a search of `kind` from the query's pairs (`_format` is the caller's). Empty
/// values are ignored, as FHIR asks, except where a number is due (`_count`, `_offset`).
pub fn parse_search(kind: ResourceType, pairs: &[(String, String)]) -> Parsed<Search> {
    let mut search = Search {
        conditions: Vec::new(),
        count: DEFAULT_COUNT,
        offset: 0,
    };
    let own = search_parameters(kind);
    let mut allowed = vec!["_id", "_lastUpdated", "_count", "_offset", "_format"];
    allowed.extend_from_slice(own);
    let mut seen_count = false;
    let mut seen_offset = false;
    for (key, value) in pairs {
        let (name, modifier) = split_modifier(key);
        if !allowed.contains(&name) {
            return Err(unknown(kind, key, &allowed));
        }
        if modifier.is_some() && !(name == "name" && matches!(modifier, Some("exact" | "contains")))
        {
            return Err(bad(format!(
                "the modifier `{}` is not supported on {name} (only name:exact and name:contains are)",
                abbreviated(modifier.unwrap_or_default())
            )));
        }
        if value.trim().is_empty() && !matches!(name, "_count" | "_offset") {
            continue;
        }
        let condition = match name {
            "_format" => continue,
            "_count" | "_offset" => {
                let seen = if name == "_count" {
                    &mut seen_count
                } else {
                    &mut seen_offset
                };
                if *seen {
                    return Err(bad(format!("{name} may be given once")));
                }
                *seen = true;
                if name == "_count" {
                    search.count = parse_count(value)?;
                } else {
                    search.offset = parse_offset(value)?;
                }
                continue;
            }
            "_id" => Condition::Id(ids("_id", value)?),
            "_lastUpdated" => Condition::LastUpdated(date_conditions(value)?),
            "name" => {
                let how = match modifier {
                    Some("exact") => NameMatch::Exact,
                    Some(_) => NameMatch::Contains,
                    None => NameMatch::StartsWith,
                };
                let values: Vec<String> = or_values(value)
                    .into_iter()
                    .map(|v| {
                        if how == NameMatch::Exact {
                            v
                        } else {
                            fold(v.trim())
                        }
                    })
                    .collect();
                if values.iter().any(|v| v.chars().count() > 200) {
                    return Err(bad("name: at most 200 characters"));
                }
                Condition::Name(how, values)
            }
            "partof" => Condition::PartOf(references("partof", value)?),
            "primary-organization" | "organization" => {
                Condition::Organization(references(name, value)?)
            }
            "participating-organization" => Condition::Participating(references(name, value)?),
            _ => return Err(unknown(kind, key, &allowed)),
        };
        search.conditions.push(condition);
    }
    Ok(search)
}

/// Parses a history request (`_since`, `_count`, `_offset`; `_format` is the caller's).
pub fn parse_history(pairs: &[(String, String)]) -> Parsed<History> {
    let mut history = History {
        since: None,
        count: DEFAULT_COUNT,
        offset: 0,
    };
    let mut seen: Vec<&str> = Vec::new();
    for (key, value) in pairs {
        let name = key.as_str();
        if !["_since", "_count", "_offset", "_format"].contains(&name) {
            return Err(bad(format!(
                "`{}` is not a history parameter here; supported: _since, _count, _offset, _format",
                abbreviated(key)
            )));
        }
        if seen.contains(&name) {
            return Err(bad(format!("{name} may be given once")));
        }
        seen.push(name);
        if value.trim().is_empty() && name == "_format" {
            continue;
        }
        match name {
            "_since" => {
                // An instant: a full time with a zone.
                let t = DateTime::parse_from_rfc3339(value.trim()).map_err(|_| {
                    bad(format!(
                        "_since must be an instant (e.g. 2026-01-31T10:00:00Z), not `{}`",
                        abbreviated(value)
                    ))
                })?;
                history.since = Some(t.with_timezone(&Utc));
            }
            "_count" => history.count = parse_count(value)?,
            "_offset" => history.offset = parse_offset(value)?,
            _ => {}
        }
    }
    Ok(history)
}

fn name_matches(how: NameMatch, values: &[String], name: Option<&str>) -> bool {
    let Some(name) = name else { return false };
    match how {
        NameMatch::Exact => values.iter().any(|v| v == name),
        NameMatch::StartsWith => {
            let name = fold(name);
            values.iter().any(|v| name.starts_with(v.as_str()))
        }
        NameMatch::Contains => {
            let name = fold(name);
            values.iter().any(|v| name.contains(v.as_str()))
        }
    }
}

fn among(values: &[String], target: Option<&str>) -> bool {
    target.is_some_and(|t| values.iter().any(|v| v == t))
}

impl Search {
    /// Whether `r` meets every condition.
    pub fn matches(&self, r: &Resource) -> bool {
        self.conditions.iter().all(|c| match c {
            Condition::Id(ids) => ids.contains(&r.id),
            Condition::LastUpdated(dates) => dates.iter().any(|d| d.matches(r.last_updated)),
            Condition::Name(how, values) => name_matches(*how, values, r.name.as_deref()),
            Condition::PartOf(ids) => among(ids, r.part_of.as_deref()),
            Condition::Organization(ids) => among(ids, r.organization.as_deref()),
            Condition::Participating(ids) => among(ids, r.participating.as_deref()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &[(&str, &str)]) -> Vec<(String, String)> {
        q.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect()
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().expect("time")
    }

    #[test]
    fn date_precisions_are_ranges() {
        assert_eq!(
            date_range("2026"),
            Some((t("2026-01-01T00:00:00Z"), t("2027-01-01T00:00:00Z")))
        );
        assert_eq!(
            date_range("2026-12"),
            Some((t("2026-12-01T00:00:00Z"), t("2027-01-01T00:00:00Z")))
        );
        assert_eq!(
            date_range("2026-02-28"),
            Some((t("2026-02-28T00:00:00Z"), t("2026-03-01T00:00:00Z")))
        );
        assert_eq!(
            date_range("2026-02-28T10:00+01:00"),
            Some((t("2026-02-28T09:00:00Z"), t("2026-02-28T09:01:00Z")))
        );
        assert_eq!(
            date_range("2026-02-28T10:00:05Z"),
            Some((t("2026-02-28T10:00:05Z"), t("2026-02-28T10:00:06Z")))
        );
        assert_eq!(
            date_range("2026-02-28T10:00:05.25Z"),
            Some((t("2026-02-28T10:00:05.25Z"), t("2026-02-28T10:00:05.26Z")))
        );
        for bad in [
            "",
            "26",
            "2026-13",
            "2026-02-30",
            "2026-02-28T25:00Z",
            "2026-02-28T10Z",
            "2026-02-28T10:00+1:00",
            "yesterday",
            "2026-02-28T10:00:05.Z",
            "+026-01-01",
        ] {
            assert_eq!(date_range(bad), None, "{bad}");
        }
    }

    #[test]
    fn prefixes_compare_an_instant_with_the_range() {
        let updated = t("2026-05-10T12:00:00Z");
        let check = |v: &str| {
            let s = parse_search(ResourceType::Organization, &pairs(&[("_lastUpdated", v)]))
                .expect("parses");
            let Condition::LastUpdated(d) = &s.conditions[0] else {
                panic!("date")
            };
            d.iter().any(|d| d.matches(updated))
        };
        assert!(check("2026-05-10"));
        assert!(check("eq2026-05"));
        assert!(!check("ne2026"));
        assert!(check("gt2026-05-09"));
        assert!(!check("gt2026-05-10"));
        assert!(check("ge2026-05-10"));
        assert!(check("lt2026-05-11"));
        assert!(!check("lt2026-05-10"));
        assert!(check("le2026-05-10"));
        assert!(check("lt2020,eq2026"));
        for v in [
            "sa2026",
            "xx2026",
            "gt",
            "ge2026-5-1",
            "2026-05-10T12:00:00+25:00",
        ] {
            assert!(
                parse_search(ResourceType::Organization, &pairs(&[("_lastUpdated", v)])).is_err(),
                "{v}"
            );
        }
    }

    #[test]
    fn parameters_per_type_and_bad_ones() {
        let ok = |k: ResourceType, q: &[(&str, &str)]| parse_search(k, &pairs(q)).is_ok();
        assert!(ok(
            ResourceType::Organization,
            &[("name", "zorg"), ("partof", "Organization/abc")]
        ));
        assert!(ok(
            ResourceType::Location,
            &[("organization", "http://x/fhir/Organization/a")]
        ));
        assert!(ok(
            ResourceType::OrganizationAffiliation,
            &[("participating-organization", "a,b")]
        ));
        assert!(!ok(ResourceType::Location, &[("partof", "a")]));
        assert!(!ok(ResourceType::Organization, &[("partof", "Location/a")]));
        assert!(!ok(ResourceType::Organization, &[("_id", "a/b")]));
        assert!(!ok(ResourceType::Organization, &[("name:missing", "true")]));
        assert!(!ok(ResourceType::Organization, &[("_sort", "name")]));
        assert!(!ok(ResourceType::Organization, &[("_count", "-1")]));
        assert!(!ok(ResourceType::Organization, &[("_count", "201")]));
        assert!(!ok(
            ResourceType::Organization,
            &[("_count", "1"), ("_count", "2")]
        ));
        assert!(ok(
            ResourceType::Organization,
            &[("_count", "0"), ("name", "")]
        ));
        let s = parse_search(
            ResourceType::Organization,
            &pairs(&[("_count", "7"), ("_offset", "14")]),
        )
        .expect("ok");
        assert_eq!((s.count, s.offset), (7, 14));
    }

    #[test]
    fn names_match_from_the_start_without_case_or_accents() {
        assert!(name_matches(
            NameMatch::StartsWith,
            &[fold("ZORG")],
            Some("Zorgnetwerk")
        ));
        assert!(name_matches(
            NameMatch::StartsWith,
            &[fold("cafe")],
            Some("Café Één")
        ));
        assert!(!name_matches(
            NameMatch::StartsWith,
            &[fold("netwerk")],
            Some("Zorgnetwerk")
        ));
        assert!(name_matches(
            NameMatch::Contains,
            &[fold("netwerk")],
            Some("Zorgnetwerk")
        ));
        assert!(!name_matches(
            NameMatch::Exact,
            &["zorgnetwerk".into()],
            Some("Zorgnetwerk")
        ));
        assert!(name_matches(
            NameMatch::Exact,
            &["Zorgnetwerk".into()],
            Some("Zorgnetwerk")
        ));
    }

    #[test]
    fn history_parameters() {
        let h = parse_history(&pairs(&[
            ("_since", "2026-01-01T00:00:00+01:00"),
            ("_count", "5"),
        ]))
        .expect("ok");
        assert_eq!(h.since, Some(t("2025-12-31T23:00:00Z")));
        assert_eq!(h.count, 5);
        assert!(parse_history(&pairs(&[("_since", "2026-01-01")])).is_err());
        assert!(parse_history(&pairs(&[("_at", "2026")])).is_err());
        assert!(parse_history(&pairs(&[("_since", "")])).is_err());
        assert!(parse_history(&pairs(&[("_count", "")])).is_err());
        assert!(parse_history(&pairs(&[("_format", "")])).is_ok());
        assert!(
            parse_history(&pairs(&[
                ("_since", "2026-01-01T00:00:00Z"),
                ("_since", "2026-01-01T00:00:00Z")
            ]))
            .is_err()
        );
    }
}
