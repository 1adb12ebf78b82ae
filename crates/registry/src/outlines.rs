//! Region outlines simplified per zoom level for the console's maps
//! (`onconet_spatial::simplify`), computed once per layer and level and kept until the layer is
//! imported again.

use crate::Registry;
use crate::error::{Error, Result};
use onconet_spatial::RegionLayer;
use onconet_spatial::geojson_io::multipolygon_to_geojson;
use onconet_spatial::simplify::simplify_layer;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One layer's outlines at one zoom level as GeoJSON MultiPolygon geometries (serialised once:
/// a layer's GeoJSON is asked for on every console map), in the order of
/// [`RegionLayer::regions`].
pub type Outlines = Arc<Vec<Box<RawValue>>>;

/// A layer's outlines at one level, with the layer they were made from.
type Entry = (Arc<RegionLayer>, Outlines);

/// Simplified outlines by layer name and zoom level, each with the layer they were made from.
#[derive(Default)]
pub struct OutlineCache {
    entries: Mutex<HashMap<(String, u8), Entry>>,
}

impl OutlineCache {
    fn cached(&self, name: &str, layer: &Arc<RegionLayer>, zoom: u8) -> Result<Option<Outlines>> {
        let entries = self.entries.lock().map_err(|_| poisoned())?;
        Ok(entries
            .get(&(name.to_owned(), zoom))
            .filter(|(of, _)| Arc::ptr_eq(of, layer))
            .map(|(_, o)| o.clone()))
    }

    fn store(
        &self,
        name: &str,
        layer: &Arc<RegionLayer>,
        zoom: u8,
        outlines: Outlines,
    ) -> Result<()> {
        let mut entries = self.entries.lock().map_err(|_| poisoned())?;
        // A re-imported layer makes every level of the old one useless.
        entries.retain(|(n, _), (of, _)| n != name || Arc::ptr_eq(of, layer));
        entries.insert((name.to_owned(), zoom), (layer.clone(), outlines));
        Ok(())
    }
}

fn poisoned() -> Error {
    Error::internal("outline cache poisoned")
}

impl Registry {
    /// The outlines of `layer` (a layer the registry holds) simplified for `zoom`, from the
    /// cache or computed on a blocking thread.
    pub async fn outlines(
        &self,
        name: &str,
        layer: &Arc<RegionLayer>,
        zoom: u8,
    ) -> Result<Outlines> {
        if let Some(o) = self.outlines.cached(name, layer, zoom)? {
            return Ok(o);
        }
        let of = layer.clone();
        let outlines = tokio::task::spawn_blocking(move || -> Result<Vec<Box<RawValue>>> {
            simplify_layer(&of, zoom)
                .iter()
                .map(|area| {
                    serde_json::value::to_raw_value(&multipolygon_to_geojson(area))
                        .map_err(Error::internal)
                })
                .collect()
        })
        .await??;
        let outlines = Arc::new(outlines);
        self.outlines.store(name, layer, zoom, outlines.clone())?;
        Ok(outlines)
    }
}
