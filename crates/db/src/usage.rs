//! Queries on `usage_counts`: anonymous counts per day (issue 17). Instances add their
//! batches to the day's counts; reports read sums over a period.

use crate::DbError;
use chrono::NaiveDate;
use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Bool, Date, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// One counter: a day, what was counted, and how often.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct UsageRow {
    #[diesel(sql_type = Date)]
    pub day: NaiveDate,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub subject: String,
    #[diesel(sql_type = Text)]
    pub filter: String,
    #[diesel(sql_type = Bool)]
    pub found: bool,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

/// Adds `rows` to the stored counts (a row for a key that exists adds to its count), in one
/// statement.
pub async fn add(conn: &mut AsyncPgConnection, rows: &[UsageRow]) -> Result<usize, DbError> {
    if rows.is_empty() {
        return Ok(0);
    }
    let column = |f: fn(&UsageRow) -> String| rows.iter().map(f).collect::<Vec<String>>();
    let days: Vec<NaiveDate> = rows.iter().map(|r| r.day).collect();
    let found: Vec<bool> = rows.iter().map(|r| r.found).collect();
    let counts: Vec<i64> = rows.iter().map(|r| r.count).collect();
    Ok(diesel::sql_query(
        "INSERT INTO usage_counts (day, kind, subject, filter, found, count)
         SELECT * FROM unnest($1::date[], $2::text[], $3::text[], $4::text[], $5::bool[], $6::int8[])
         ON CONFLICT (day, kind, subject, filter, found)
         DO UPDATE SET count = usage_counts.count + excluded.count",
    )
    .bind::<Array<Date>, _>(days)
    .bind::<Array<Text>, _>(column(|r| r.kind.clone()))
    .bind::<Array<Text>, _>(column(|r| r.subject.clone()))
    .bind::<Array<Text>, _>(column(|r| r.filter.clone()))
    .bind::<Array<Bool>, _>(found)
    .bind::<Array<BigInt>, _>(counts)
    .execute(conn)
    .await?)
}

/// Deletes the counts of days before `first_kept`; how many rows went.
pub async fn delete_before(
    conn: &mut AsyncPgConnection,
    first_kept: NaiveDate,
) -> Result<usize, DbError> {
    Ok(diesel::sql_query("DELETE FROM usage_counts WHERE day < $1")
        .bind::<Date, _>(first_kept)
        .execute(conn)
        .await?)
}

/// A sum over several days.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct UsageSum {
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub subject: String,
    #[diesel(sql_type = Text)]
    pub filter: String,
    #[diesel(sql_type = Bool)]
    pub found: bool,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

/// The counts from `from` to `to` (inclusive) summed over the days, per kind, subject, filter
/// and outcome; only `kind` when given.
pub async fn sums(
    conn: &mut AsyncPgConnection,
    from: NaiveDate,
    to: NaiveDate,
    kind: Option<&str>,
) -> Result<Vec<UsageSum>, DbError> {
    Ok(diesel::sql_query(
        "SELECT kind, subject, filter, found, sum(count)::int8 AS count
         FROM usage_counts
         WHERE day BETWEEN $1 AND $2 AND ($3::text IS NULL OR kind = $3)
         GROUP BY kind, subject, filter, found
         ORDER BY kind, subject, filter, found",
    )
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .bind::<Nullable<Text>, _>(kind)
    .load(conn)
    .await?)
}

/// A day's count of one kind and outcome.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct DailyCount {
    #[diesel(sql_type = Date)]
    pub day: NaiveDate,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Bool)]
    pub found: bool,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

/// The counts per day, kind and outcome from `from` to `to` (inclusive), oldest first.
pub async fn daily(
    conn: &mut AsyncPgConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DailyCount>, DbError> {
    Ok(diesel::sql_query(
        "SELECT day, kind, found, sum(count)::int8 AS count
         FROM usage_counts
         WHERE day BETWEEN $1 AND $2
         GROUP BY day, kind, found
         ORDER BY day, kind, found",
    )
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .load(conn)
    .await?)
}
