//! Queries on `regions` and `region_layers`.

use crate::DbError;
use crate::models::{RegionLayerRow, RegionRow};
use crate::schema::{region_layers, regions};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// Replaces every region of `layer` with `rows` and bumps the layer's version. Run it in a
/// transaction: a failure leaves the old layer in place.
pub async fn replace_layer(
    conn: &mut AsyncPgConnection,
    layer: &str,
    source: &str,
    rows: &[RegionRow],
) -> Result<i64, DbError> {
    diesel::delete(regions::table.filter(regions::layer.eq(layer)))
        .execute(conn)
        .await?;
    for chunk in rows.chunks(250) {
        diesel::insert_into(regions::table)
            .values(chunk.to_vec())
            .execute(conn)
            .await?;
    }
    let count = i32::try_from(rows.len()).unwrap_or(i32::MAX);
    let version: i64 = diesel::insert_into(region_layers::table)
        .values((
            region_layers::layer.eq(layer),
            region_layers::source.eq(source),
            region_layers::feature_count.eq(count),
        ))
        .on_conflict(region_layers::layer)
        .do_update()
        .set((
            region_layers::source.eq(source),
            region_layers::feature_count.eq(count),
            region_layers::version.eq(region_layers::version + 1),
            region_layers::imported_at.eq(diesel::dsl::now),
        ))
        .returning(region_layers::version)
        .get_result(conn)
        .await?;
    Ok(version)
}

pub async fn layers(conn: &mut AsyncPgConnection) -> Result<Vec<RegionLayerRow>, DbError> {
    Ok(region_layers::table
        .order(region_layers::layer)
        .select(RegionLayerRow::as_select())
        .load(conn)
        .await?)
}

/// Every region of `layer`, by code.
pub async fn load_layer(
    conn: &mut AsyncPgConnection,
    layer: &str,
) -> Result<Vec<RegionRow>, DbError> {
    Ok(regions::table
        .filter(regions::layer.eq(layer))
        .order(regions::code)
        .select(RegionRow::as_select())
        .load(conn)
        .await?)
}
