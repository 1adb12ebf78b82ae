//! `onconet regions import`: loads a CBS/PDOK-shaped GeoJSON FeatureCollection as a region
//! layer, all or nothing. A bad file is refused with the feature number and the reason, and
//! the old layer stays. Running servers pick the new layer up through NOTIFY.

use anyhow::{Context, Result, bail};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use indicatif::{ProgressBar, ProgressStyle};
use onconet_db::models::RegionRow;
use onconet_db::notify::{self, Change};
use onconet_spatial::area_km2;
use onconet_spatial::geojson_io::{RegionFeature, multipolygon_to_geojson, parse_region_feature};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Largest number of vertices of one region (the detailed CBS files stay far below).
const MAX_REGION_VERTICES: usize = 2_000_000;

/// Whether `code` has the shape of a code of `layer`.
fn code_fits(layer: &str, code: &str) -> bool {
    let digits = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_digit());
    match layer {
        "municipality" => code.strip_prefix("GM").is_some_and(|d| digits(d, 4)),
        "province" => code.strip_prefix("PV").is_some_and(|d| digits(d, 2)),
        "pc4" => digits(code, 4) && !code.starts_with('0'),
        // A ROS working area is named by the ROS's organisation code, as tokens (`org`) and
        // networks (`ros_org`) name it.
        onconet_registry::ROS_AREA => {
            onconet_domain::OrgCode::parse(code).is_ok_and(|org| org.as_str() == code)
        }
        _ => false,
    }
}

/// Reads `code,population` (header names; other columns ignored) from a CBS population CSV.
fn read_population(path: &Path) -> Result<HashMap<String, i64>> {
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let headers = reader.headers()?.clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (Some(code), Some(pop)) = (col("code"), col("population")) else {
        bail!("{}: needs `code` and `population` columns", path.display());
    };
    let mut out = HashMap::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("{}: row {}", path.display(), i + 2))?;
        let value = record.get(pop).unwrap_or("").trim();
        let n: i64 = value
            .parse::<f64>()
            .map(|v| v.round() as i64)
            .ok()
            .filter(|n| *n >= 0)
            .with_context(|| {
                format!(
                    "{}: row {}: population `{value}` is not a number",
                    path.display(),
                    i + 2
                )
            })?;
        out.insert(record.get(code).unwrap_or("").trim().to_owned(), n);
    }
    Ok(out)
}

/// Parses and checks a region file completely before anything is written.
pub fn read_layer(
    layer: &str,
    file: &Path,
    population: Option<&Path>,
    progress: bool,
) -> Result<Vec<RegionRow>> {
    if !onconet_registry::LAYERS.contains(&layer) {
        bail!("unknown layer `{layer}` (municipality, province, pc4 or ros_area)");
    }
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))?;
    if doc.get("type").and_then(|t| t.as_str()) != Some("FeatureCollection") {
        bail!("{} is not a GeoJSON FeatureCollection", file.display());
    }
    let features = doc
        .get("features")
        .and_then(|f| f.as_array())
        .map(Vec::as_slice)
        .unwrap_or_default();
    if features.is_empty() {
        bail!("{} has no features", file.display());
    }
    let bar = if progress {
        ProgressBar::new(features.len() as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} features")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(format!("importing {layer}"));
    let populations = population.map(read_population).transpose()?;
    let mut seen = HashSet::new();
    let mut rows = Vec::with_capacity(features.len());
    for (i, feature) in features.iter().enumerate() {
        let RegionFeature {
            code,
            name,
            population: own,
            area,
            ..
        } = parse_region_feature(i, feature, MAX_REGION_VERTICES)
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        if !code_fits(layer, &code) {
            bail!(
                "{}: feature {i}: `{code}` is not a {layer} code",
                file.display()
            );
        }
        if !seen.insert(code.clone()) {
            bail!(
                "{}: feature {i}: code `{code}` appears twice",
                file.display()
            );
        }
        let population = match &populations {
            Some(p) => p.get(&code).copied().or(own),
            None => own,
        };
        rows.push(RegionRow {
            layer: layer.to_owned(),
            area_km2: area_km2(&area),
            geometry: multipolygon_to_geojson(&area),
            code,
            name,
            population,
        });
        bar.inc(1);
    }
    bar.finish_and_clear();
    if let Some(p) = &populations {
        let missing = p.keys().filter(|c| !seen.contains(*c)).count();
        if missing > 0 {
            tracing::warn!(
                missing,
                "population rows without a region in the file were ignored"
            );
        }
    }
    Ok(rows)
}

/// Replaces `layer` in one transaction, re-derives the areas of networks that name its
/// regions, and announces the change to running servers.
pub async fn import(
    url: &str,
    layer: &str,
    file: &Path,
    population: Option<&Path>,
    progress: bool,
) -> Result<usize> {
    let layer_owned = layer.to_owned();
    let (file_owned, population_owned) = (file.to_owned(), population.map(Path::to_owned));
    let rows = tokio::task::spawn_blocking(move || {
        read_layer(
            &layer_owned,
            &file_owned,
            population_owned.as_deref(),
            progress,
        )
    })
    .await??;
    let count = rows.len();
    let source = file
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut conn = AsyncPgConnection::establish(url)
        .await
        .context("cannot connect to the database")?;
    let layer_name = layer.to_owned();
    conn.transaction::<_, anyhow::Error, _>(async |conn| {
        onconet_db::regions::replace_layer(conn, &layer_name, &source, &rows).await?;
        notify::notify(conn, &Change::RegionLayer(layer_name.clone())).await?;
        Ok(())
    })
    .await?;
    if onconet_registry::regions::LAYERS_IN_SERVICE_AREAS.contains(&layer) {
        rederive_areas(url).await?;
    }
    tracing::info!(layer, regions = count, "region layer imported");
    Ok(count)
}

/// Re-derives the areas of networks that name regions (a version and a revision each whose
/// area changes; see [`onconet_registry::regions::rederive_areas`]).
async fn rederive_areas(url: &str) -> Result<()> {
    let pool = onconet_db::connect_pool(url, 2)?;
    onconet_registry::regions::rederive_areas(&pool).await?;
    Ok(())
}

/// The reference files of each layer in `ONCONET_REFERENCE_DATA`.
pub fn reference_files(detailed: bool) -> [(&'static str, &'static str, Option<&'static str>); 3] {
    if detailed {
        [
            (
                "municipality",
                "gemeenten-2024.geojson",
                Some("bevolking-gemeenten-2024.csv"),
            ),
            ("province", "provincies-2024.geojson", None),
            ("pc4", "pc4-2020.geojson", None),
        ]
    } else {
        [
            (
                "municipality",
                "gemeenten-2024-simplified.geojson",
                Some("bevolking-gemeenten-2024.csv"),
            ),
            ("province", "provincies-2024-simplified.geojson", None),
            ("pc4", "pc4-2020-simplified.geojson", None),
        ]
    }
}

/// Imports each reference layer that the database does not have yet.
pub async fn import_missing_reference_layers(url: &str, dir: &Path) -> Result<()> {
    let mut conn = AsyncPgConnection::establish(url).await?;
    let present: Vec<String> = onconet_db::regions::layers(&mut conn)
        .await?
        .into_iter()
        .map(|l| l.layer)
        .collect();
    drop(conn);
    for (layer, file, population) in reference_files(true) {
        if present.iter().any(|p| p == layer) {
            continue;
        }
        let path = dir.join(file);
        if !path.exists() {
            tracing::warn!(path = %path.display(), "reference data not found; set ONCONET_REFERENCE_DATA");
            continue;
        }
        import(
            url,
            layer,
            &path,
            population.map(|p| dir.join(p)).as_deref(),
            false,
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_codes() {
        assert!(code_fits("municipality", "GM0014"));
        assert!(!code_fits("municipality", "PV20"));
        assert!(code_fits("province", "PV20"));
        assert!(code_fits("pc4", "9711"));
        assert!(!code_fits("pc4", "0711"));
        assert!(!code_fits("wijk", "WK001401"));
        assert!(code_fits("ros_area", "ros-noord"));
        assert!(code_fits("ros_area", "proscoop_2"));
        assert!(!code_fits("ros_area", "ROS-Noord"));
        assert!(!code_fits("ros_area", " ros-noord"));
        assert!(!code_fits("ros_area", "r"));
        assert!(!code_fits("municipality", "ros-noord"));
    }
}
