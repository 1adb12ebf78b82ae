//! `onconet-bench overlay`: the coverage engine alone, without HTTP or a database, on the real
//! municipalities and a `synth` registry — for profiling and for the cold-build figure of
//! docs/BENCHMARKS.md.
//!
//! Areas are derived as the API derives them (the named municipalities and 64-segment circles,
//! united and rounded to 7 decimals); every network of the file counts as published. Prints the
//! time to build the overlay (every network's cells), then one report per discipline of the
//! file plus `all`, each timed, with the unions it computed.

use anyhow::{Context, Result};
use clap::Args;
use geo::MultiPolygon;
use onconet_spatial::coverage::{CoverageOptions, Overlay, UNIONS_COMPUTED};
use onconet_spatial::geojson_io::{canonical, parse_region_feature};
use onconet_spatial::{Region, RegionLayer, circle, union_all};
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

#[derive(Args)]
pub struct OverlayArgs {
    /// The CBS data folder (gemeenten-2024.geojson).
    #[arg(long, env = "ONCONET_REFERENCE_DATA")]
    reference_data: PathBuf,
    /// A file written by `onconet-bench synth`.
    synth: PathBuf,
    /// How many times to repeat the reports (the first round fills the union memo).
    #[arg(long, default_value_t = 1)]
    rounds: usize,
    /// Also list the cells of this region (a municipality code): network, km², whole or part.
    #[arg(long)]
    explain: Option<String>,
}

struct Network {
    active_care: bool,
    disciplines: Vec<String>,
    area: Arc<MultiPolygon<f64>>,
}

pub fn run(args: &OverlayArgs) -> Result<()> {
    let path = args.reference_data.join("gemeenten-2024.geojson");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
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
    let layer = Arc::new(RegionLayer::new(regions));
    let by_code: HashMap<&str, &Region> = layer
        .regions()
        .iter()
        .map(|r| (r.code.as_str(), r))
        .collect();

    let started = Instant::now();
    let mut networks = Vec::new();
    for line in std::fs::read_to_string(&args.synth)?.lines() {
        let v: serde_json::Value = serde_json::from_str(line)?;
        let sa = &v["service_area"];
        let mut parts: Vec<MultiPolygon<f64>> = Vec::new();
        for code in sa["municipalities"].as_array().into_iter().flatten() {
            let code = code.as_str().unwrap_or_default();
            parts.push(by_code.get(code).context("unknown code")?.area.clone());
        }
        for c in sa["circles"].as_array().into_iter().flatten() {
            let f = |k: &str| c[k].as_f64().unwrap_or_default();
            parts.push(MultiPolygon::new(vec![circle(
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
            area: Arc::new(canonical(&union_all(&parts))),
        });
    }
    println!(
        "derived {} areas in {:.2} s",
        networks.len(),
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let overlay = Overlay::build(
        layer.clone(),
        networks
            .iter()
            .enumerate()
            .map(|(i, n)| (i, n.area.clone()))
            .collect(),
    );
    println!(
        "overlay: {} cells for {} networks × {} regions in {:.3} s (cold build, {} threads)",
        overlay.cell_count(),
        networks.len(),
        layer.len(),
        started.elapsed().as_secs_f64(),
        rayon_threads()
    );

    if let Some(code) = &args.explain {
        let i = layer
            .regions()
            .iter()
            .position(|r| &r.code == code)
            .with_context(|| format!("no region {code}"))?;
        let r = &layer.regions()[i];
        println!("{code} {}: {:.6} km²", r.name, r.area_km2);
        for (k, cell) in overlay.cells_in(i) {
            let n = &networks[k];
            println!(
                "  network {k:>3}: {:>12.6} km² {} (active care: {}, {} vertices in its area)",
                cell.area_km2,
                if cell.is_full() { "whole" } else { "part " },
                n.active_care,
                geo::CoordsIter::coords_count(&*n.area)
            );
        }
    }

    let disciplines: BTreeSet<&str> = networks
        .iter()
        .flat_map(|n| n.disciplines.iter().map(String::as_str))
        .collect();
    let filters: Vec<Option<&str>> = disciplines
        .iter()
        .map(|d| Some(*d))
        .chain(std::iter::once(None))
        .collect();
    let options = CoverageOptions::default();
    for round in 1..=args.rounds {
        let round_start = Instant::now();
        for filter in &filters {
            let unions_before = UNIONS_COMPUTED.load(Ordering::Relaxed);
            let t = Instant::now();
            let report = overlay.report(
                &|i: &usize| {
                    let n = &networks[*i];
                    n.active_care && filter.is_none_or(|d| n.disciplines.iter().any(|x| x == d))
                },
                &options,
            );
            println!(
                "round {round} {:>28}: {:8.2} ms  coverage {:.4}  unions {}",
                filter.unwrap_or("all"),
                t.elapsed().as_secs_f64() * 1000.0,
                report.summary.coverage,
                UNIONS_COMPUTED.load(Ordering::Relaxed) - unions_before
            );
        }
        println!(
            "round {round}: {} reports in {:.3} s",
            filters.len(),
            round_start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}
