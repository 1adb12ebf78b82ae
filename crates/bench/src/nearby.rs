//! `onconet-bench nearby`: the search index alone, without HTTP or a database, on the real
//! municipalities and a `synth` registry — for profiling `/v1/search`'s engine and for
//! docs/BENCHMARKS.md.
//!
//! Builds the index the server builds ([`NearIndex`] over every network's derived area, see
//! [`registry`]), then answers the seeded random points of `points` (the same ones wrk sends)
//! one after another on one thread, for a few radius and page-size variants, and prints the
//! time per query and the average number of networks found.

use crate::points::random_points;
use crate::registry;
use anyhow::Result;
use clap::Args;
use onconet_spatial::{NearIndex, NearbyQuery};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args)]
pub struct NearbyArgs {
    /// The CBS data folder (gemeenten-2024.geojson).
    #[arg(long, env = "ONCONET_REFERENCE_DATA")]
    reference_data: PathBuf,
    /// A file written by `onconet-bench synth`.
    synth: PathBuf,
    /// Seed of the random points (7: the points wrk sends).
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// How many points per variant.
    #[arg(long, default_value_t = 10_000)]
    count: usize,
}

pub fn run(args: &NearbyArgs) -> Result<()> {
    let (_, networks) = registry::load(&args.reference_data, &args.synth)?;
    let (rss_before, heap_before) = (crate::rss_mib(), crate::heap_mib());
    let started = Instant::now();
    let index = NearIndex::build(
        networks
            .iter()
            .enumerate()
            .map(|(i, n)| (i, n.area.as_ref().clone())),
    );
    println!(
        "index: {} networks in {:.3} s; RSS {} MiB before{heap_before}, {} MiB after{}",
        index.len(),
        started.elapsed().as_secs_f64(),
        rss_before.map_or("?".into(), |m| m.to_string()),
        crate::rss_mib().map_or("?".into(), |m| m.to_string()),
        crate::heap_mib(),
    );
    let (chunks, vertices) = index.chunk_stats();
    println!("  {chunks} boundary chunks of {vertices} vertices in all");
    for (part, bytes) in index.heap_bytes() {
        println!("  {part:>26}: {:7.1} MB", bytes as f64 / 1e6);
    }
    let points = random_points(args.seed, args.count);
    for (radius_km, per_page) in [(25.0, 20), (25.0, 1), (0.0, 20), (100.0, 20)] {
        let started = Instant::now();
        let (mut total, mut shown) = (0usize, 0usize);
        for &(lon, lat) in &points {
            let page = index.nearby(
                NearbyQuery {
                    lon,
                    lat,
                    radius_km,
                    skip: 0,
                    take: per_page,
                },
                |_| true,
                |a, b| a.cmp(&b),
            );
            total += page.total;
            shown += page.items.len();
        }
        let per_query = started.elapsed().as_secs_f64() / points.len().max(1) as f64;
        println!(
            "radius_km={radius_km:<5} per_page={per_page:<3}: {:8.2} us per query; found {:.1}, shown {:.1} on average",
            per_query * 1e6,
            total as f64 / points.len().max(1) as f64,
            shown as f64 / points.len().max(1) as f64,
        );
    }
    println!(
        "RSS {} MiB after the queries",
        crate::rss_mib().map_or("?".into(), |m| m.to_string())
    );
    Ok(())
}
