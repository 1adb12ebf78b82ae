//! `onconet-bench overlay`: the coverage engine alone, without HTTP or a database, on the real
//! municipalities and a `synth` registry — for profiling and for the cold-build figure of
//! docs/BENCHMARKS.md.
//!
//! Areas are derived as the API derives them (see [`registry`]). Prints the time to build the
//! overlay (every network's cells), then one report per discipline of the file plus `all`, each
//! timed, with the unions it computed.

use crate::registry;
use anyhow::{Context, Result};
use clap::Args;
use onconet_spatial::RegionLayer;
use onconet_spatial::coverage::{CoverageOptions, Overlay, UNIONS_COMPUTED};
use onconet_spatial::packed::CompactArea;
use std::collections::BTreeSet;
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
    /// The region layer: a CBS GeoJSON file in the data folder (`pc4-2020.geojson` for
    /// postcode areas). Networks' areas are derived from the municipalities either way.
    #[arg(long, default_value = "gemeenten-2024.geojson")]
    layer: String,
    /// Also list the cells of this region (a municipality code): network, km², whole or part.
    #[arg(long)]
    explain: Option<String>,
    /// After the reports, add this municipality to the first active care network with a
    /// municipality list and take it out again, `--edits` times in all (what
    /// scripts/bench-scale.sh does through the API): prints the time to bring the overlay in
    /// line and the report after each edit, with the unions it computed.
    #[arg(long)]
    toggle: Option<String>,
    #[arg(long, default_value_t = 4)]
    edits: usize,
}

pub fn run(args: &OverlayArgs) -> Result<()> {
    let (municipalities, networks) = registry::load(&args.reference_data, &args.synth)?;
    let layer = registry::read_layer(&args.reference_data.join(&args.layer))?;
    // Packed as the server keeps them (the overlay unpacks each to cut it).
    let compact: Vec<Arc<CompactArea>> = networks
        .iter()
        .map(|n| Arc::new(CompactArea::new(&n.area)))
        .collect();
    let started = Instant::now();
    let mut overlay = Overlay::build(layer.clone(), compact.iter().cloned().enumerate().collect());
    println!(
        "overlay: {} cells for {} networks × {} regions in {:.3} s (cold build, {} threads)",
        overlay.cell_count(),
        networks.len(),
        layer.len(),
        started.elapsed().as_secs_f64(),
        rayon_threads()
    );
    let stats = overlay.cell_stats();
    println!(
        "cells: {} whole, {} partial holding {:.1} MB of geometry; RSS {} MiB{}",
        stats.full,
        stats.partial,
        stats.bytes as f64 / 1e6,
        crate::rss_mib().map_or("?".into(), |m| m.to_string()),
        crate::heap_mib(),
    );

    if let Some(code) = &args.explain {
        let i = layer
            .regions()
            .iter()
            .position(|r| &r.code == code)
            .with_context(|| format!("no region {code}"))?;
        let r = &layer.regions()[i];
        println!("{code} {}: {:.6} km²", r.name, r.area_km2);
        for (k, km2, whole) in overlay.cells_in(i) {
            let n = &networks[k];
            println!(
                "  network {k:>3}: {km2:>12.6} km² {} (active care: {}, {} vertices in its area)",
                if whole { "whole" } else { "part " },
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
    if let Some(code) = &args.toggle {
        toggle(
            &mut overlay,
            &municipalities,
            &networks,
            &compact,
            code,
            args.edits,
            &options,
        )?;
    }
    Ok(())
}

/// Adds `code` to a network's area and takes it out again, timing the sync and the report.
fn toggle(
    overlay: &mut Overlay<usize>,
    municipalities: &RegionLayer,
    networks: &[registry::Network],
    compact: &[Arc<CompactArea>],
    code: &str,
    edits: usize,
    options: &CoverageOptions,
) -> Result<()> {
    let (target, network) = networks
        .iter()
        .enumerate()
        .find(|(_, n)| {
            n.active_care
                && !n.municipalities.is_empty()
                && !n.municipalities.iter().any(|c| c == code)
        })
        .context("no active care network with a municipality list without that code")?;
    let with: Vec<String> = network
        .municipalities
        .iter()
        .cloned()
        .chain([code.to_owned()])
        .collect();
    let areas = [
        Arc::new(CompactArea::new(
            network.area_with(municipalities, &with)?.as_ref(),
        )),
        Arc::new(CompactArea::new(
            network
                .area_with(municipalities, &network.municipalities)?
                .as_ref(),
        )),
    ];
    println!(
        "toggling {code} in network {target} ({} municipalities)",
        network.municipalities.len()
    );
    let matches = |i: &usize| networks[*i].active_care;
    for edit in 0..edits {
        let area = areas[edit % 2].clone();
        let all = compact
            .iter()
            .enumerate()
            .map(|(i, a)| (i, if i == target { &area } else { a }.clone()))
            .collect();
        let unions_before = UNIONS_COMPUTED.load(Ordering::Relaxed);
        let t = Instant::now();
        overlay.sync(all);
        let synced = t.elapsed();
        let t = Instant::now();
        let report = overlay.report(&matches, options);
        println!(
            "edit {} ({}): sync {:7.2} ms, report {:7.2} ms, coverage {:.4}, unions {}",
            edit + 1,
            if edit % 2 == 0 { "added" } else { "removed" },
            synced.as_secs_f64() * 1000.0,
            t.elapsed().as_secs_f64() * 1000.0,
            report.summary.coverage,
            UNIONS_COMPUTED.load(Ordering::Relaxed) - unions_before
        );
    }
    Ok(())
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}
