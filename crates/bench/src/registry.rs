//! The synthetic registry in memory, for the engine benchmarks (`overlay`, `nearby`): the real
//! municipalities (densified as `onconet regions import` does) and every network of a `synth`
//! file with its area derived as the API derives it (the named municipalities and 64-segment
//! circles, united and rounded to 7 decimals). Every network counts as published.

use anyhow::{Context, Result};
use geo::MultiPolygon;
use onconet_spatial::geojson_io::{canonical, parse_region_feature};
use onconet_spatial::{Region, RegionLayer, circle, union_all};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

pub struct Network {
    pub active_care: bool,
    pub disciplines: Vec<String>,
    pub area: Arc<MultiPolygon<f64>>,
    /// The municipality codes of its service area.
    pub municipalities: Vec<String>,
    circles: Vec<MultiPolygon<f64>>,
}

impl Network {
    /// The area of this network's service area with `municipalities` instead of its own.
    pub fn area_with(
        &self,
        layer: &RegionLayer,
        municipalities: &[String],
    ) -> Result<Arc<MultiPolygon<f64>>> {
        derive(layer, municipalities, &self.circles)
    }
}

/// An area as the API derives it: the named municipalities and the circles, united and
/// rounded to 7 decimals.
fn derive(
    layer: &RegionLayer,
    municipalities: &[String],
    circles: &[MultiPolygon<f64>],
) -> Result<Arc<MultiPolygon<f64>>> {
    let mut parts = circles.to_vec();
    for code in municipalities {
        let region = layer
            .get(code)
            .with_context(|| format!("unknown code {code}"))?;
        parts.push(region.area.clone());
    }
    Ok(Arc::new(canonical(&union_all(&parts))))
}

/// The municipality layer of `reference_data` and the networks of the `synth` file.
pub fn load(reference_data: &Path, synth: &Path) -> Result<(Arc<RegionLayer>, Vec<Network>)> {
    let layer = read_layer(&reference_data.join("gemeenten-2024.geojson"))?;

    let started = Instant::now();
    let mut networks = Vec::new();
    for line in std::fs::read_to_string(synth)
        .with_context(|| format!("cannot read {}", synth.display()))?
        .lines()
    {
        let v: serde_json::Value = serde_json::from_str(line)?;
        let sa = &v["service_area"];
        let municipalities: Vec<String> = sa["municipalities"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|code| code.as_str().unwrap_or_default().to_owned())
            .collect();
        let mut circles = Vec::new();
        for c in sa["circles"].as_array().into_iter().flatten() {
            let f = |k: &str| c[k].as_f64().unwrap_or_default();
            circles.push(MultiPolygon::new(vec![circle(
                f("lat"),
                f("lon"),
                f("radius_km"),
                64,
            )]));
        }
        networks.push(Network {
            active_care: v["type"] == "oncology_care_network" && v["lifecycle"] == "active",
            disciplines: v["disciplines"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|d| d.as_str().map(str::to_owned))
                .collect(),
            area: derive(&layer, &municipalities, &circles)?,
            municipalities,
            circles,
        });
    }
    println!(
        "derived {} areas in {:.2} s",
        networks.len(),
        started.elapsed().as_secs_f64()
    );
    Ok((layer, networks))
}

/// A region layer from a CBS GeoJSON file, rounded to the stored grid as an import stores it.
pub fn read_layer(path: &Path) -> Result<Arc<RegionLayer>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let fc: serde_json::Value = serde_json::from_str(&text)?;
    let features = fc["features"].as_array().context("no features")?;
    let mut regions = Vec::new();
    for (i, f) in features.iter().enumerate() {
        let r = parse_region_feature(i, f, usize::MAX).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        regions.push(Region::new(
            r.code,
            r.name,
            r.population,
            canonical(&r.area),
        ));
    }
    Ok(Arc::new(RegionLayer::new(regions)))
}
