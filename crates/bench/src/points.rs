//! Seeded random points over the Netherlands' bounding box, shared by `check`, `points` (wrk)
//! and `openloop`, and the `/v1/search` paths built from them.

use anyhow::{Context, Result};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::io::Write;
use std::path::PathBuf;

/// The box the points are drawn from (WGS84): lon 3.36–7.23, lat 50.75–53.55. It holds the
/// whole country plus sea, Belgium and Germany around it. pgbench draws from the same box.
pub const NL_BOX: [f64; 4] = [3.36, 50.75, 7.23, 53.55];

/// A point as (lon, lat).
pub type LonLat = (f64, f64);

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// `n` points drawn uniformly from [`NL_BOX`] with `seed`, rounded to 6 decimals (about
/// 10 cm), so the decimal text sent to the API is exactly the `f64` given to PostGIS.
pub fn random_points(seed: u64, n: usize) -> Vec<LonLat> {
    let mut rng = StdRng::seed_from_u64(seed);
    let [min_lon, min_lat, max_lon, max_lat] = NL_BOX;
    (0..n)
        .map(|_| {
            (
                round6(rng.gen_range(min_lon..=max_lon)),
                round6(rng.gen_range(min_lat..=max_lat)),
            )
        })
        .collect()
}

/// The query string parameters after the place, e.g. `&radius_km=0&per_page=1`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SearchParams {
    /// `radius_km` to send (the server's default, 25, when absent).
    #[arg(long)]
    pub radius_km: Option<f64>,
    /// `per_page` to send (the server's default, 20, when absent).
    #[arg(long)]
    pub per_page: Option<u32>,
}

/// `/v1/search?lat=…&lon=…[&radius_km=…][&per_page=…]` for one point.
pub fn search_path(point: LonLat, params: &SearchParams) -> String {
    let (lon, lat) = point;
    let mut path = format!("/v1/search?lat={lat}&lon={lon}");
    if let Some(r) = params.radius_km {
        path.push_str(&format!("&radius_km={r}"));
    }
    if let Some(p) = params.per_page {
        path.push_str(&format!("&per_page={p}"));
    }
    path
}

#[derive(Debug, clap::Args)]
pub struct PointsArgs {
    /// Seed of the random points.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// How many paths to write.
    #[arg(long, default_value_t = 10_000)]
    pub count: usize,
    #[command(flatten)]
    pub params: SearchParams,
    /// Output file (stdout when absent).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

pub fn run(args: &PointsArgs) -> Result<()> {
    let mut text = String::new();
    for p in random_points(args.seed, args.count) {
        text.push_str(&search_path(p, &args.params));
        text.push('\n');
    }
    match &args.out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
        }
        None => std::io::stdout()
            .write_all(text.as_bytes())
            .context("cannot write to stdout"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_are_seeded_inside_the_box_and_round_trip_as_text() {
        let a = random_points(1, 500);
        assert_eq!(a, random_points(1, 500));
        assert_ne!(a, random_points(2, 500));
        for (lon, lat) in &a {
            assert!((NL_BOX[0]..=NL_BOX[2]).contains(lon));
            assert!((NL_BOX[1]..=NL_BOX[3]).contains(lat));
            assert_eq!(lon.to_string().parse::<f64>().unwrap(), *lon);
        }
        let path = search_path(
            (5.1, 52.0),
            &SearchParams {
                radius_km: Some(0.0),
                per_page: Some(100),
            },
        );
        assert_eq!(path, "/v1/search?lat=52&lon=5.1&radius_km=0&per_page=100");
    }
}
