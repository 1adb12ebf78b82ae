//! `onconet-bench geometry`: how long the service-area check (`onconet_spatial::parse_area`,
//! run on every create and edit) takes on large inputs, the worst an editor may send within
//! the vertex limit: one ring of many vertices, a shell with many holes, and a MultiPolygon of
//! many parts. Prints the time per check and whether each was found valid.

use anyhow::Result;
use clap::Args;
use serde_json::{Value, json};
use std::f64::consts::TAU;
use std::time::Instant;

#[derive(Args)]
pub struct GeometryArgs {
    /// Vertices per shape (the server's default limit is 100,000).
    #[arg(long, default_value_t = 50_000)]
    vertices: usize,
    /// Repetitions per shape; the median is printed.
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

/// A ring of `n` positions around (`x`, `y`), closed.
fn ring(n: usize, x: f64, y: f64, rx: f64, ry: f64) -> Value {
    let positions: Vec<Value> = (0..=n)
        .map(|i| {
            let a = (i % n) as f64 / n as f64 * TAU;
            json!([x + rx * a.cos(), y + ry * a.sin()])
        })
        .collect();
    Value::Array(positions)
}

/// Squares of side `d` on a lattice with gaps, `count` of them, from (`x`, `y`).
fn squares(count: usize, x: f64, y: f64, d: f64) -> Vec<Value> {
    let per_row = (count as f64).sqrt().ceil() as usize;
    (0..count)
        .map(|i| {
            let (cx, cy) = (
                x + (i % per_row) as f64 * 2.0 * d,
                y + (i / per_row) as f64 * 2.0 * d,
            );
            json!([
                [cx, cy],
                [cx + d, cy],
                [cx + d, cy + d],
                [cx, cy + d],
                [cx, cy]
            ])
        })
        .collect()
}

pub fn run(args: &GeometryArgs) -> Result<()> {
    let n = args.vertices.max(20);
    let parts = n / 5;
    let holes = (n / 2) / 5;
    let shapes = [
        (
            format!("one ring of {n} vertices"),
            json!({"type": "Polygon", "coordinates": [ring(n, 5.1, 52.1, 0.3, 0.2)]}),
        ),
        (
            format!("a shell of {} vertices with {holes} square holes", n / 2),
            {
                // The holes fill the square inscribed in the shell.
                let mut rings = vec![ring(n / 2, 5.1, 52.1, 0.6, 0.6)];
                let side = (holes as f64).sqrt().ceil();
                rings.extend(squares(holes, 4.8, 51.8, 0.6 / side / 2.0));
                json!({"type": "Polygon", "coordinates": rings})
            },
        ),
        (format!("a MultiPolygon of {parts} squares"), {
            let polygons: Vec<Value> = squares(parts, 4.0, 51.0, 1.0 / (parts as f64).sqrt())
                .into_iter()
                .map(|r| json!([r]))
                .collect();
            json!({"type": "MultiPolygon", "coordinates": polygons})
        }),
    ];
    for (what, geometry) in shapes {
        let mut times = Vec::new();
        let mut valid = false;
        for _ in 0..args.runs.max(1) {
            let started = Instant::now();
            let result = onconet_spatial::parse_area(&geometry, 1_000_000);
            times.push(started.elapsed().as_secs_f64());
            valid = result.is_ok();
            if let Err(errors) = result {
                println!("  refused: {}", errors[0]);
            }
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{what}: {:.1} ms per check (median of {}), {}",
            times[times.len() / 2] * 1000.0,
            times.len(),
            if valid { "valid" } else { "INVALID" }
        );
    }
    Ok(())
}
