//! The like-for-like check (issue 18, item 6): the default `/v1/search` (25 km, 20 a page,
//! nearest first) against the PostGIS statement `scripts/bench/pgbench-nearest.sql` benchmarks,
//! run with the same seeded random points bound to `:lon` and `:lat`.

use crate::check::{connect, get_json};
use crate::load::{http_client, local_base};
use crate::points::{LonLat, SearchParams, random_points, search_path};
use anyhow::{Context, Result, bail};
use futures_util::StreamExt;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct PeerCheckArgs {
    /// The onconet server (127.0.0.1 only).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// The PostGIS database holding `bench_areas` and `bench_areas_rd`.
    #[arg(long, env = "BENCH_POSTGIS_URL", hide_env_values = true)]
    pub postgis: String,
    /// The pgbench script whose statement is compared.
    #[arg(long, default_value = "scripts/bench/pgbench-nearest.sql")]
    pub script: PathBuf,
    /// How many random points.
    #[arg(long, default_value_t = 300)]
    pub points: usize,
    /// Seed of the random points.
    #[arg(long, default_value_t = 2)]
    pub seed: u64,
}

/// The default search radius, km.
const RADIUS_KM: f64 = 25.0;

/// The SQL statement of a pgbench script: without its comments and `\set` lines, with `:lon`
/// and `:lat` as parameters `$1` and `$2`.
fn statement(script: &str) -> String {
    script
        .lines()
        .filter(|l| {
            let l = l.trim_start();
            !l.starts_with("--") && !l.starts_with("\\set")
        })
        .collect::<Vec<_>>()
        .join("\n")
        .replace(":lon", "$1")
        .replace(":lat", "$2")
}

/// (network id, distance_km) of each hit of a JSON array of `{covers, distance_km, network}`.
fn hits(items: &Value) -> Result<Vec<(String, f64)>> {
    items
        .as_array()
        .context("not an array of hits")?
        .iter()
        .map(|h| {
            let id = h["network"]["id"]
                .as_str()
                .context("a hit without network.id")?;
            let d = h["distance_km"]
                .as_f64()
                .context("a hit without distance_km")?;
            Ok((id.to_owned(), d))
        })
        .collect()
}

/// How far two distances to the same area may differ, km: the two sides measure in different
/// frames (onconet a local frame scaled to the ellipsoid, PostGIS the RD projection), and round
/// to metres.
fn tolerance(d: f64) -> f64 {
    0.002 + 0.002 * d
}

#[derive(Debug, PartialEq)]
enum Verdict {
    /// The same networks at the same distances (in the same order but for ties).
    Same,
    /// Networks in one answer only at the edge of the page: within tolerance of the radius, or
    /// of the last distance on a full page, where the two frames may decide either way.
    Borderline,
    Different(String),
}

/// Compares the hits of the API with those of PostGIS for one place.
fn compare(api: &[(String, f64)], pg: &[(String, f64)], per_page: usize) -> Verdict {
    // Both are ordered by distance: the n-th distances agree whatever the ties.
    for (i, ((_, a), (_, b))) in api.iter().zip(pg).enumerate() {
        if (a - b).abs() > tolerance(a.max(*b)) {
            return Verdict::Different(format!("hit {}: {a} km against {b} km", i + 1));
        }
    }
    let distance_in =
        |list: &[(String, f64)], id: &str| list.iter().find(|(i, _)| i == id).map(|(_, d)| *d);
    let cut = |list: &[(String, f64)]| match list.last() {
        Some((_, d)) if list.len() >= per_page => *d,
        _ => RADIUS_KM,
    };
    let mut borderline = false;
    for (mine, theirs, name) in [(api, pg, "/v1/search"), (pg, api, "PostGIS")] {
        for (id, d) in mine {
            match distance_in(theirs, id) {
                Some(e) if (d - e).abs() > tolerance(d.max(e)) => {
                    return Verdict::Different(format!(
                        "{id}: {d} km in {name}, {e} km in the other"
                    ));
                }
                Some(_) => {}
                // Missing from the other answer: only at the edge of its page.
                None if (d - cut(theirs)).abs() <= tolerance(*d) => borderline = true,
                None => {
                    return Verdict::Different(format!("{id} at {d} km is only in {name}"));
                }
            }
        }
    }
    if borderline {
        Verdict::Borderline
    } else {
        Verdict::Same
    }
}

struct Outcome {
    point: LonLat,
    verdict: Verdict,
    api_bytes: usize,
    pg_bytes: usize,
    hits: usize,
}

pub async fn run(args: PeerCheckArgs) -> Result<()> {
    let script = std::fs::read_to_string(&args.script)
        .with_context(|| format!("cannot read {}", args.script.display()))?;
    let db = Arc::new(connect(&args.postgis).await?);
    let query = db
        .prepare(&format!(
            "SELECT ({})::text",
            statement(&script).trim().trim_end_matches(';')
        ))
        .await
        .context("cannot prepare the nearest-networks statement (run scripts/bench/nearest.sql)")?;
    let base = local_base(&args.url)?;
    let http = http_client()?;
    let params = SearchParams::default();
    let per_page = 20;
    let started = Instant::now();
    let outcomes: Vec<Result<Outcome>> =
        futures_util::stream::iter(random_points(args.seed, args.points))
            .map(|point| {
                let (http, base, db, query) =
                    (http.clone(), base.clone(), db.clone(), query.clone());
                let path = search_path(point, &params);
                async move {
                    let answer = get_json(&http, base.join(&path)?, "application/json").await?;
                    let pg: String = db.query_one(&query, &[&point.0, &point.1]).await?.get(0);
                    let pg: Value = serde_json::from_str(&pg)?;
                    let api_hits = hits(&answer["items"])?;
                    let pg_hits = hits(&pg)?;
                    Ok(Outcome {
                        point,
                        verdict: compare(&api_hits, &pg_hits, per_page),
                        api_bytes: answer["items"].to_string().len(),
                        pg_bytes: pg.to_string().len(),
                        hits: api_hits.len(),
                    })
                }
            })
            .buffered(8)
            .collect()
            .await;
    let outcomes: Vec<Outcome> = outcomes.into_iter().collect::<Result<_>>()?;
    let count = |v: fn(&Verdict) -> bool| outcomes.iter().filter(|o| v(&o.verdict)).count();
    let same = count(|v| *v == Verdict::Same);
    let borderline = count(|v| *v == Verdict::Borderline);
    let different: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| matches!(o.verdict, Verdict::Different(_)))
        .collect();
    for o in different.iter().take(20) {
        if let Verdict::Different(why) = &o.verdict {
            println!(
                "peer-check: MISMATCH at lat={} lon={}: {why}",
                o.point.1, o.point.0
            );
        }
    }
    let n = outcomes.len().max(1);
    let mean = |f: fn(&Outcome) -> usize| outcomes.iter().map(f).sum::<usize>() / n;
    println!(
        "peer-check: {} points (seed {}); mean hits {}; mean items JSON {} bytes from /v1/search, {} bytes from PostGIS ({:.1} s)",
        outcomes.len(),
        args.seed,
        mean(|o| o.hits),
        mean(|o| o.api_bytes),
        mean(|o| o.pg_bytes),
        started.elapsed().as_secs_f64()
    );
    println!(
        "RESULT peer-check points={} same={same} borderline={borderline} mismatches={}",
        outcomes.len(),
        different.len()
    );
    if !different.is_empty() {
        bail!(
            "{} of {} places disagree with PostGIS",
            different.len(),
            outcomes.len()
        );
    }
    if mean(|o| o.hits) == 0 {
        bail!("no hits at all: the check proves nothing");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(v: &[(&str, f64)]) -> Vec<(String, f64)> {
        v.iter().map(|(i, d)| ((*i).to_owned(), *d)).collect()
    }

    #[test]
    fn the_statement_binds_the_place() {
        let s = statement("-- c\n\\set lon 1\nSELECT :lon, :lat, '[]'::json");
        assert_eq!(s, "SELECT $1, $2, '[]'::json");
    }

    #[test]
    fn verdicts() {
        let a = list(&[("a", 0.0), ("b", 3.0), ("c", 24.999)]);
        assert_eq!(compare(&a, &a, 20), Verdict::Same);
        // c just inside the radius on one side, just outside on the other
        assert_eq!(compare(&a, &a[..2], 20), Verdict::Borderline);
        // b and c tie (within tolerance) and come in the other order
        let t = list(&[("a", 0.0), ("b", 3.0), ("c", 3.001)]);
        let u = list(&[("a", 0.0), ("c", 3.0), ("b", 3.001)]);
        assert_eq!(compare(&t, &u, 20), Verdict::Same);
        // a full page of 2: c and d tie at the last place, each side shows another
        let p = list(&[("a", 0.0), ("c", 4.0)]);
        let q = list(&[("a", 0.0), ("d", 4.001)]);
        assert_eq!(compare(&p, &q, 2), Verdict::Borderline);
        assert!(matches!(compare(&p, &q, 20), Verdict::Different(_)));
        // a network missing well inside the radius
        assert!(matches!(compare(&a[1..], &a, 20), Verdict::Different(_)));
        // a distance that differs
        let d = list(&[("a", 0.0), ("b", 3.5), ("c", 24.999)]);
        assert!(matches!(compare(&a, &d, 20), Verdict::Different(_)));
    }
}
