//! Region layers as the registry uses them: after a layer is imported, the networks whose
//! service area names its regions get their derived area again.

use crate::error::Result;
use crate::geography::GeoState;
use diesel_async::AsyncConnection;
use onconet_db::DbPool;
use onconet_db::models::{NewRevision, snapshot};
use onconet_db::notify::{self, Change};

/// The layers whose codes a service area may name (`municipalities`, `postcodes`).
pub const LAYERS_IN_SERVICE_AREAS: [&str; 2] = ["municipality", "pc4"];

/// Who re-derives areas, in the history.
pub const REDERIVER: &str = "onconet regions import";

/// Recomputes the derived area of every network whose service area names regions, with the
/// layers as they are now. A network whose area changes gets a new version and a revision
/// (`area_rederived`, field `area_km2`), each in its own transaction, so ETags, the change
/// feed and other instances (NOTIFY) follow; an unchanged one is left alone. A network whose
/// regions are no longer in the layer keeps its area (logged). Returns how many changed.
pub async fn rederive_areas(pool: &DbPool) -> Result<usize> {
    let mut conn = onconet_db::pool::get(pool).await?;
    let rows = onconet_db::networks::with_region_parts(&mut conn).await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let geo = GeoState::default();
    for layer in LAYERS_IN_SERVICE_AREAS {
        geo.reload_layer(pool, layer).await?;
    }
    let mut changed = 0;
    for row in rows {
        let network = row.into_domain()?;
        let area = match geo.derive_area(&network.profile.service_area, None) {
            Ok(area) => area,
            Err(e) => {
                tracing::warn!(network = %network.id, error = %e, "area kept: its regions are not in the new layer");
                continue;
            }
        };
        let (json, km2) = match area {
            Some(a) => (Some(a.geojson), Some(a.area_km2)),
            None => (None, None),
        };
        if json == network.area {
            continue;
        }
        let moved = conn
            .transaction::<_, crate::Error, _>(async |conn| {
                let Some(updated) =
                    onconet_db::networks::update_area(conn, network.id, network.version, json, km2)
                        .await?
                else {
                    // Changed meanwhile: that write derived its area from the new layer.
                    return Ok(false);
                };
                let updated = updated.into_domain()?;
                crate::webhooks::keep_revisions(
                    conn,
                    &[NewRevision {
                        network_id: updated.id,
                        version: updated.version,
                        action: "area_rederived".into(),
                        actor_sub: REDERIVER.into(),
                        actor_name: None,
                        request_id: None,
                        changes: serde_json::json!([{
                            "field": "area_km2",
                            "old": network.area_km2,
                            "new": updated.area_km2,
                        }]),
                        snapshot: snapshot(&updated)?,
                        state: updated.state.as_str().into(),
                    }],
                )
                .await?;
                notify::notify(conn, &Change::Network(updated.id)).await?;
                Ok(true)
            })
            .await?;
        changed += usize::from(moved);
    }
    tracing::info!(
        networks = changed,
        "derived areas renewed after a region import"
    );
    Ok(changed)
}
