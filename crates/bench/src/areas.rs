//! `onconet-bench areas`: the areas a running server computed for a region layer, read through
//! `GET /v1/regions/{layer}`, against the `area_km2` the data file gives for each region (the
//! geodesic area of the detailed polygon, see the data's README). Issue 3 asks for agreement
//! within 0.5 % on the municipalities. Fails when a region differs by more, or is missing.

use crate::load::{http_client, local_base, send};
use anyhow::{Context, Result, bail};
use clap::Args;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;

#[derive(Args)]
pub struct AreasArgs {
    /// Base URL of the API (127.0.0.1 only).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// The layer to compare.
    #[arg(long, default_value = "municipality")]
    layer: String,
    /// The GeoJSON file that layer was imported from (its features carry `area_km2`).
    file: PathBuf,
    /// The largest difference allowed, in %.
    #[arg(long, default_value_t = 0.5)]
    tolerance_pct: f64,
}

/// Half the last decimal of the file's `area_km2` (4 decimals), with room for the API's (6).
const ROUNDING_KM2: f64 = 0.000_051;

pub async fn run(args: AreasArgs) -> Result<()> {
    let base = local_base(&args.url)?;
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let data: Value = serde_json::from_str(&text).context("the file is not JSON")?;
    // The file read as `onconet regions import` reads it (code property names and all).
    let expected: HashMap<String, f64> = data["features"]
        .as_array()
        .context("no features")?
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let region =
                onconet_spatial::geojson_io::parse_region_feature(i, f, usize::MAX).ok()?;
            Some((region.code, region.source_area_km2?))
        })
        .collect();
    if expected.is_empty() {
        bail!("no feature of {} carries `area_km2`", args.file.display());
    }
    let client = http_client()?;
    let mut served: HashMap<String, f64> = HashMap::new();
    for page in 1.. {
        let url = base.join(&format!(
            "v1/regions/{}?per_page=100&page={page}",
            args.layer
        ))?;
        let answer = send(client.get(url), "regions").await?;
        for r in answer["items"].as_array().into_iter().flatten() {
            if let (Some(code), Some(km2)) = (r["code"].as_str(), r["area_km2"].as_f64()) {
                served.insert(code.to_owned(), km2);
            }
        }
        if answer["page"]["total_pages"]
            .as_i64()
            .is_none_or(|t| page >= t)
        {
            break;
        }
    }
    let mut worst = (String::new(), 0.0f64);
    let mut outside = Vec::new();
    let mut missing = Vec::new();
    for (code, want) in &expected {
        let Some(got) = served.get(code) else {
            missing.push(code.clone());
            continue;
        };
        let pct = (got / want - 1.0).abs() * 100.0;
        // The file gives km² to 4 decimals: for a tiny PC4 area that rounding alone is
        // about 1 %.
        if (got - want).abs() <= ROUNDING_KM2 {
            continue;
        }
        if pct > worst.1 {
            worst = (code.clone(), pct);
        }
        if pct > args.tolerance_pct {
            outside.push(format!(
                "{code}: served {got} km², file {want} km² ({pct:.3} %)"
            ));
        }
    }
    println!(
        "areas: {} {} regions compared; largest difference beyond the file's rounding to 0.0001 km²: {:.4} % ({}); {} beyond {} %; {} missing",
        expected.len() - missing.len(),
        args.layer,
        worst.1,
        worst.0,
        outside.len(),
        args.tolerance_pct,
        missing.len()
    );
    for o in outside.iter().take(10) {
        println!("areas:   {o}");
    }
    if !outside.is_empty() || !missing.is_empty() {
        bail!(
            "{} regions differ by more than {} % and {} are missing",
            outside.len(),
            args.tolerance_pct,
            missing.len()
        );
    }
    Ok(())
}
