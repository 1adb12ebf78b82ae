//! A profile checked by every rule of a write and its service area derived, without saving:
//! what an editor sees while they type (the console's form and map). Nothing is written and
//! nothing is locked; a save later checks everything again.

use crate::Registry;
use crate::error::{Error, Result};
use crate::geography::DerivedArea;
use crate::networks::{
    ProfileDocument, check_may_edit, check_references, checked_profile, derived_area, editable,
    new_document,
};
use chrono::{DateTime, Utc};
use onconet_domain::{Actor, NetworkProfile};
use onconet_spatial::RegionLayer;
use onconet_spatial::coverage::cells_of;
use uuid::Uuid;

/// The layer whose population a preview counts.
pub const REACH_LAYER: &str = "municipality";

/// A checked profile, its derived area and whom that area reaches.
#[derive(Debug, Clone)]
pub struct Preview {
    pub profile: NetworkProfile,
    /// The last verification of the network previewed (`None` for a new one): LOPPSOZ
    /// criterion 7 depends on it.
    pub last_verified_at: Option<DateTime<Utc>>,
    /// `None` for an empty service area.
    pub area: Option<DerivedArea>,
    /// `None` for an empty service area, or when no municipality layer has been imported.
    pub reach: Option<Reach>,
}

/// The regions of [`REACH_LAYER`] an area reaches and the population living in it, counted
/// as a region's population times the share of its area covered (as the coverage report
/// does).
#[derive(Debug, Clone, PartialEq)]
pub struct Reach {
    pub layer: &'static str,
    pub population: f64,
    /// By code.
    pub regions: Vec<ReachedRegion>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReachedRegion {
    pub code: String,
    pub name: String,
    /// Covered share of the region's area, 0–1.
    pub share: f64,
    /// Population × share (0 when the layer has no population for it).
    pub population: f64,
}

/// Whom `area` reaches in `layer`. Pure.
pub fn reach(layer: &RegionLayer, area: &geo::MultiPolygon<f64>) -> Reach {
    let mut regions: Vec<ReachedRegion> = cells_of(layer, area)
        .into_iter()
        .map(|(i, cell)| {
            let region = &layer.regions()[i];
            let share = if region.area_km2 > 0.0 {
                (cell.area_km2 / region.area_km2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            ReachedRegion {
                code: region.code.clone(),
                name: region.name.clone(),
                share,
                population: region.population.unwrap_or(0) as f64 * share,
            }
        })
        .collect();
    regions.sort_by(|a, b| a.code.cmp(&b.code));
    Reach {
        layer: REACH_LAYER,
        population: regions.iter().map(|r| r.population).sum(),
        regions,
    }
}

impl Registry {
    /// Checks `body` as `POST /v1/networks` would (or as the new whole profile of network
    /// `id`, which `actor` must be allowed to edit) and derives its service area, saving
    /// nothing. The same errors as the write: field errors by pointer, 403, 404.
    pub async fn preview<D: ProfileDocument>(
        &self,
        actor: &Actor,
        id: Option<Uuid>,
        body: D,
    ) -> Result<Preview> {
        let body = new_document(actor, body)?;
        let mut conn = self.conn().await?;
        let (self_id, last_verified_at) = match id {
            Some(id) => {
                let network = editable(&mut conn, actor, id).await?;
                (network.id, network.last_verified_at)
            }
            None => (Uuid::nil(), None),
        };
        drop(conn);
        let checked = checked_profile(self, body, self_id).await?;
        check_may_edit(actor, &checked.profile)?;
        let (profile, area) = derived_area(self, checked).await?;
        let mut conn = self.conn().await?;
        check_references(&mut conn, actor, self_id, &profile).await?;
        drop(conn);
        let layer = self.geo.layer(REACH_LAYER).filter(|l| !l.is_empty());
        let (area, reach) = match (area, layer) {
            (Some(area), Some(layer)) => tokio::task::spawn_blocking(move || {
                let reach = reach(&layer, &area.union);
                (Some(area), Some(reach))
            })
            .await
            .map_err(Error::internal)?,
            (area, _) => (area, None),
        };
        Ok(Preview {
            profile,
            last_verified_at,
            area,
            reach,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{MultiPolygon, Rect};
    use onconet_spatial::Region;

    fn square(x: f64, y: f64, d: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![Rect::new((x, y), (x + d, y + d)).to_polygon()])
    }

    #[test]
    fn reach_counts_population_by_covered_share() {
        let layer = RegionLayer::new(vec![
            Region::new(
                "GM0001".into(),
                "West".into(),
                Some(1000),
                square(5.0, 52.0, 0.1),
            ),
            Region::new(
                "GM0002".into(),
                "East".into(),
                Some(500),
                square(5.1, 52.0, 0.1),
            ),
            Region::new(
                "GM0003".into(),
                "Far".into(),
                Some(700),
                square(6.0, 52.0, 0.1),
            ),
        ]);
        // All of West and the western half of East.
        let area = square(5.0, 52.0, 0.1);
        let half = MultiPolygon::new(vec![Rect::new((5.1, 52.0), (5.15, 52.1)).to_polygon()]);
        let both = onconet_spatial::union_all(&[area, half]);
        let r = reach(&layer, &both);
        assert_eq!(
            r.regions
                .iter()
                .map(|r| r.code.as_str())
                .collect::<Vec<_>>(),
            ["GM0001", "GM0002"]
        );
        assert!((r.regions[0].share - 1.0).abs() < 1e-6);
        // Half of East's area, to within the curvature of a 0.1° square.
        assert!(
            (r.regions[1].share - 0.5).abs() < 1e-3,
            "{}",
            r.regions[1].share
        );
        assert!((r.population - 1250.0).abs() < 1.0, "{}", r.population);
    }

    #[test]
    fn an_area_outside_every_region_reaches_nobody() {
        let layer = RegionLayer::new(vec![Region::new(
            "GM0001".into(),
            "West".into(),
            Some(1000),
            square(5.0, 52.0, 0.1),
        )]);
        let r = reach(&layer, &square(7.0, 53.0, 0.1));
        assert!(r.regions.is_empty());
        assert_eq!(r.population, 0.0);
    }
}
