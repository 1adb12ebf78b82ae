//! `onconet-bench`: the tools behind `scripts/bench-search.sh`.
//!
//! - `synth` writes a seeded, **synthetic** registry (request bodies, one JSON document a line)
//!   over the real CBS municipalities;
//! - `files` writes a `synth` registry as the CSV and XLSX files an import takes;
//! - `load` creates and publishes those networks through the API;
//! - `export` copies every published network's derived area into a PostGIS table;
//! - `check` compares the covering networks of `/v1/search` with PostGIS `ST_Covers` on random
//!   points;
//! - `areas` compares the region areas a server computed with the data file's `area_km2`;
//! - `points` writes the seeded search paths that `wrk` picks from;
//! - `overlay` runs the coverage engine alone (no HTTP, no database) on a `synth` registry;
//! - `nearby` runs the search index alone the same way;
//! - `propagation` measures how soon a change is found by `/v1/search`, on the writing server
//!   and on a second process on the same database;
//! - `geometry` times the service-area check on the largest inputs the vertex limit allows;
//! - `openloop` is a constant-rate (wrk2-style) load generator that reports latency measured
//!   from each request's scheduled send time.
//!
//! Everything here talks only to 127.0.0.1 and to a PostgreSQL Unix socket.

mod areas;
mod check;
mod files;
mod geometry;
mod load;
mod nearby;
mod openloop;
mod overlay;
mod peer;
mod points;
mod propagation;
mod registry;
mod synth;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "onconet-bench",
    version,
    about = "Benchmark and correctness tools for onconet's /v1/search"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a seeded synthetic registry: one `POST /v1/networks` body per line.
    Synth(synth::SynthArgs),
    /// Write a `synth` registry as CSV and XLSX import files (with external ids).
    Files(files::FilesArgs),
    /// Create and publish the networks of a `synth` file through the API.
    Load(load::LoadArgs),
    /// Copy every published network's area into a PostGIS table (`bench_areas`).
    Export(check::ExportArgs),
    /// Compare `/v1/search` (radius 0) with PostGIS `ST_Covers` on seeded random points.
    Check(check::CheckArgs),
    /// Compare the default `/v1/search` (nearest 20 within 25 km) with the PostGIS statement of
    /// `scripts/bench/pgbench-nearest.sql` on seeded random points.
    PeerCheck(peer::PeerCheckArgs),
    /// Compare the areas a server serves for a region layer with the data file's `area_km2`.
    Areas(areas::AreasArgs),
    /// Write seeded `/v1/search` paths, one a line (for wrk's Lua script).
    Points(points::PointsArgs),
    /// The coverage engine alone on a synth registry: overlay build and one report per
    /// discipline, timed (no HTTP, no database).
    Overlay(overlay::OverlayArgs),
    /// The search index alone on a synth registry: time per query at seeded random points
    /// (no HTTP, no database).
    Nearby(nearby::NearbyArgs),
    /// How soon a create, an edit and an archiving are found by `/v1/search`, on the writing
    /// server and on a second server process using the same database.
    Propagation(propagation::PropagationArgs),
    /// The service-area check alone on large generated geometries, timed.
    Geometry(geometry::GeometryArgs),
    /// Constant-rate open-loop load against 127.0.0.1, latency corrected for coordinated
    /// omission.
    Openloop(openloop::OpenLoopArgs),
}

fn runtime(threads: usize) -> Result<tokio::runtime::Runtime> {
    let mut builder = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(threads);
        b
    };
    builder
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Synth(args) => synth::run(&args),
        Command::Points(args) => points::run(&args),
        Command::Files(args) => files::run(&args),
        Command::Overlay(args) => overlay::run(&args),
        Command::Nearby(args) => nearby::run(&args),
        Command::Geometry(args) => geometry::run(&args),
        Command::Load(args) => runtime(2)?.block_on(load::run(args)),
        Command::Areas(args) => runtime(2)?.block_on(areas::run(args)),
        Command::Propagation(args) => runtime(2)?.block_on(propagation::run(args)),
        Command::Export(args) => runtime(2)?.block_on(check::export(args)),
        Command::Check(args) => runtime(2)?.block_on(check::check(args)),
        Command::PeerCheck(args) => runtime(2)?.block_on(peer::run(args)),
        Command::Openloop(args) => {
            let threads = args.threads;
            runtime(threads)?.block_on(openloop::run(args))
        }
    }
}

/// The server's allocator, so that the resident memory printed is what the server's would be.
#[cfg(not(feature = "heap-stats"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// With `--features heap-stats`, the system allocator, counting: what the process holds live
/// (see [`heap_mib`]), apart from what the allocator keeps after frees (in the RSS).
#[cfg(feature = "heap-stats")]
#[global_allocator]
static ALLOCATOR: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, usize::MAX);

/// With `--features heap-stats`: the bytes allocated and not yet freed, and the most there
/// have been so far, MiB, as text for a report line ("" without the feature).
pub(crate) fn heap_mib() -> String {
    #[cfg(feature = "heap-stats")]
    {
        format!(
            "; live heap {} MiB (peak {} MiB)",
            ALLOCATOR.allocated() >> 20,
            ALLOCATOR.max_allocated() >> 20
        )
    }
    #[cfg(not(feature = "heap-stats"))]
    String::new()
}

/// Resident set size of this process (Linux), MiB.
pub(crate) fn rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024)
}
