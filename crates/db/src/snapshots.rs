//! Queries on `coverage_snapshots`.

use crate::DbError;
use crate::schema::coverage_snapshots;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = coverage_snapshots)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct SnapshotRow {
    pub day: NaiveDate,
    pub layer: String,
    /// `""` for every network of the filter, else a discipline code.
    pub discipline: String,
    pub networks: i32,
    pub area_km2: f64,
    pub covered_km2: f64,
    pub population: i64,
    pub covered_population: i64,
    pub taken_at: DateTime<Utc>,
}

/// Stores (or replaces) the snapshots of one day.
pub async fn upsert(conn: &mut AsyncPgConnection, rows: &[SnapshotRow]) -> Result<(), DbError> {
    use coverage_snapshots::dsl as s;
    diesel::insert_into(s::coverage_snapshots)
        .values(rows.to_vec())
        .on_conflict((s::day, s::layer, s::discipline))
        .do_update()
        .set((
            s::networks.eq(excluded(s::networks)),
            s::area_km2.eq(excluded(s::area_km2)),
            s::covered_km2.eq(excluded(s::covered_km2)),
            s::population.eq(excluded(s::population)),
            s::covered_population.eq(excluded(s::covered_population)),
            s::taken_at.eq(excluded(s::taken_at)),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether a snapshot of `day` exists.
pub async fn exists(conn: &mut AsyncPgConnection, day: NaiveDate) -> Result<bool, DbError> {
    use coverage_snapshots::dsl as s;
    let n: i64 = s::coverage_snapshots
        .filter(s::day.eq(day))
        .count()
        .get_result(conn)
        .await?;
    Ok(n > 0)
}

/// The series of one discipline (`""`: all) on one layer between two days, oldest first.
pub async fn series(
    conn: &mut AsyncPgConnection,
    layer: &str,
    discipline: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<SnapshotRow>, DbError> {
    use coverage_snapshots::dsl as s;
    Ok(s::coverage_snapshots
        .filter(s::layer.eq(layer))
        .filter(s::discipline.eq(discipline))
        .filter(s::day.between(from, to))
        .order(s::day.asc())
        .select(SnapshotRow::as_select())
        .load(conn)
        .await?)
}
