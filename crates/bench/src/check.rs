//! The correctness check: `/v1/search` (radius 0) against PostGIS `ST_Covers` on the same
//! areas, for seeded random points over the Netherlands' bounding box.

use crate::load::{http_client, local_base};
use crate::points::{LonLat, NL_BOX, SearchParams, random_points, search_path};
use anyhow::{Context, Result, bail};
use futures_util::StreamExt;
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;
use tokio_postgres::{Client, NoTls};

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Base URL of the API (127.0.0.1 only).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// PostgreSQL URL of the PostGIS database (Unix socket), e.g.
    /// `postgresql://onconet@%2Ftmp%2Fx%2Frun:5432/bench_postgis`.
    #[arg(long, env = "BENCH_POSTGIS_URL", hide_env_values = true)]
    pub postgis: String,
    /// Requests in flight at once while exporting.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub export: ExportArgs,
    /// Do not export again: compare with the `bench_areas` already there.
    #[arg(long)]
    pub no_export: bool,
    /// How many random points.
    #[arg(long, default_value_t = 1000)]
    pub points: usize,
    /// Seed of the random points.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Also compare with this table of pieces (`id`, `geom`), e.g. the `ST_Subdivide`d one the
    /// pgbench script queries.
    #[arg(long, value_parser = parse_table_name)]
    pub subdivided: Option<String>,
}

fn parse_table_name(s: &str) -> Result<String, String> {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
        Ok(s.to_owned())
    } else {
        Err("a table name of lowercase letters and `_`".into())
    }
}

pub(crate) async fn connect(url: &str) -> Result<Client> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .context("cannot connect to the PostGIS database")?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("postgis connection: {e}");
        }
    });
    Ok(client)
}

pub(crate) async fn get_json(
    client: &reqwest::Client,
    url: reqwest::Url,
    accept: &str,
) -> Result<Value> {
    let response = client
        .get(url.clone())
        .header("Accept", accept)
        .send()
        .await
        .with_context(|| format!("GET {url}: no answer"))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .with_context(|| format!("GET {url}: unreadable body"))?;
    if !status.is_success() {
        bail!("GET {url}: {status}: {text}");
    }
    serde_json::from_str(&text).with_context(|| format!("GET {url}: not JSON"))
}

/// Every published network's id (the public list).
async fn published_ids(client: &reqwest::Client, base: &reqwest::Url) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    let mut page = 1;
    loop {
        let url = base.join(&format!("v1/networks?per_page=100&page={page}"))?;
        let v = get_json(client, url, "application/json").await?;
        let items = v["items"].as_array().context("no `items` in the list")?;
        for item in items {
            ids.push(
                item["id"]
                    .as_str()
                    .context("an item has no `id`")?
                    .to_owned(),
            );
        }
        let pages = v["page"]["total_pages"].as_i64().unwrap_or(0);
        if page >= pages || items.is_empty() {
            return Ok(ids);
        }
        page += 1;
    }
}

/// Copies every published network's derived area (the GeoJSON Feature the API serves, the
/// geometry its search index holds) and its public profile (`GET /v1/networks/{id}` as JSON,
/// what a search hit carries) into `bench_areas`, replacing what was there.
async fn export_areas(args: &ExportArgs, db: &Client) -> Result<(usize, usize)> {
    let base = local_base(&args.url)?;
    let http = http_client()?;
    let started = Instant::now();
    let ids = published_ids(&http, &base).await?;
    let features: Vec<Result<(String, Value, Value)>> = futures_util::stream::iter(ids)
        .map(|id| {
            let (http, base) = (http.clone(), base.clone());
            async move {
                let url = base.join(&format!("v1/networks/{id}"))?;
                let feature = get_json(&http, url.clone(), "application/geo+json").await?;
                let profile = get_json(&http, url, "application/json").await?;
                Ok((id, feature, profile))
            }
        })
        .buffer_unordered(args.concurrency.max(1))
        .collect()
        .await;
    db.batch_execute(
        "CREATE EXTENSION IF NOT EXISTS postgis;
         DROP TABLE IF EXISTS bench_areas;
         CREATE TABLE bench_areas (
             id text PRIMARY KEY,
             name text NOT NULL,
             geom geometry(MultiPolygon, 4326) NOT NULL,
             profile jsonb NOT NULL
         );",
    )
    .await
    .context("cannot create bench_areas")?;
    let insert = db
        .prepare(
            "INSERT INTO bench_areas (id, name, geom, profile)
             VALUES ($1, $2, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($3), 4326)), $4::text::jsonb)",
        )
        .await?;
    let (mut with_area, mut total) = (0, 0);
    for f in features {
        let (id, feature, profile) = f?;
        total += 1;
        let geometry = &feature["geometry"];
        if geometry.is_null() {
            continue;
        }
        let name = feature["properties"]["name"].as_str().unwrap_or_default();
        db.execute(
            &insert,
            &[&id, &name, &geometry.to_string(), &profile.to_string()],
        )
        .await
        .with_context(|| format!("cannot insert the area of {id}"))?;
        with_area += 1;
    }
    db.batch_execute("CREATE INDEX ON bench_areas USING gist (geom); ANALYZE bench_areas;")
        .await?;
    let invalid: i64 = db
        .query_one(
            "SELECT count(*) FROM bench_areas WHERE NOT ST_IsValid(geom)",
            &[],
        )
        .await?
        .get(0);
    println!(
        "export: {total} published networks, {with_area} with an area, copied to bench_areas in {:.1} s ({invalid} invalid in PostGIS' eyes)",
        started.elapsed().as_secs_f64()
    );
    Ok((total, with_area))
}

pub async fn export(args: ExportArgs) -> Result<()> {
    let db = connect(&args.postgis).await?;
    export_areas(&args, &db).await.map(|_| ())
}

/// What one point gave.
struct Outcome {
    point: LonLat,
    api: BTreeSet<String>,
    postgis: BTreeSet<String>,
    pieces: Option<BTreeSet<String>>,
}

async fn api_covering(
    http: &reqwest::Client,
    base: &reqwest::Url,
    point: LonLat,
) -> Result<BTreeSet<String>> {
    let params = SearchParams {
        radius_km: Some(0.0),
        per_page: Some(100),
    };
    let mut ids = BTreeSet::new();
    let mut page = 1;
    loop {
        let path = format!("{}&page={page}", search_path(point, &params));
        let v = get_json(http, base.join(&path)?, "application/json").await?;
        let items = v["items"].as_array().context("no `items` in the answer")?;
        for item in items {
            if item["covers"].as_bool() == Some(true) {
                let id = item["network"]["id"]
                    .as_str()
                    .context("a hit without `network.id`")?;
                ids.insert(id.to_owned());
            }
        }
        if page >= v["page"]["total_pages"].as_i64().unwrap_or(0) || items.is_empty() {
            return Ok(ids);
        }
        page += 1;
    }
}

async fn postgis_covering(
    db: &Client,
    statement: &tokio_postgres::Statement,
    point: LonLat,
) -> Result<BTreeSet<String>> {
    let rows = db.query(statement, &[&point.0, &point.1]).await?;
    Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect())
}

pub async fn check(args: CheckArgs) -> Result<()> {
    let db = Arc::new(connect(&args.export.postgis).await?);
    if !args.no_export {
        export_areas(&args.export, &db).await?;
    }
    let base = local_base(&args.export.url)?;
    let http = http_client()?;
    let whole = db
        .prepare(
            "SELECT id FROM bench_areas
             WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))",
        )
        .await
        .context("cannot query bench_areas (run the export first)")?;
    let pieces = match &args.subdivided {
        Some(table) => Some(
            db.prepare(&format!(
                "SELECT DISTINCT id FROM {table}
                 WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))"
            ))
            .await
            .with_context(|| format!("cannot query {table}"))?,
        ),
        None => None,
    };
    let areas: i64 = db
        .query_one("SELECT count(*) FROM bench_areas", &[])
        .await?
        .get(0);
    let started = Instant::now();
    let points = random_points(args.seed, args.points);
    let outcomes: Vec<Result<Outcome>> = futures_util::stream::iter(points)
        .map(|point| {
            let (http, base, db) = (http.clone(), base.clone(), db.clone());
            let (whole, pieces) = (whole.clone(), pieces.clone());
            async move {
                let api = api_covering(&http, &base, point).await?;
                let postgis = postgis_covering(&db, &whole, point).await?;
                let pieces = match &pieces {
                    Some(s) => Some(postgis_covering(&db, s, point).await?),
                    None => None,
                };
                Ok(Outcome {
                    point,
                    api,
                    postgis,
                    pieces,
                })
            }
        })
        .buffered(8)
        .collect()
        .await;
    let outcomes: Vec<Outcome> = outcomes.into_iter().collect::<Result<_>>()?;
    let [min_lon, min_lat, max_lon, max_lat] = NL_BOX;
    let covered = outcomes.iter().filter(|o| !o.postgis.is_empty()).count();
    let matches: usize = outcomes
        .iter()
        .map(|o| o.api.intersection(&o.postgis).count())
        .sum();
    let max_cover = outcomes.iter().map(|o| o.postgis.len()).max().unwrap_or(0);
    let mismatched: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.api != o.postgis || o.pieces.as_ref().is_some_and(|p| *p != o.postgis))
        .collect();
    println!(
        "check: {} seeded random points (seed {}) over lon {min_lon}–{max_lon}, lat {min_lat}–{max_lat}; {areas} areas in PostGIS",
        outcomes.len(),
        args.seed,
    );
    println!(
        "check: points covered by >= 1 network: {covered}; (point, network) coverings found by both: {matches}; most networks at one point: {max_cover}"
    );
    if let Some(table) = &args.subdivided {
        println!("check: also compared with the pieces in {table}");
    }
    for o in mismatched.iter().take(20) {
        let (lon, lat) = o.point;
        let only_api: Vec<&String> = o.api.difference(&o.postgis).collect();
        let only_pg: Vec<&String> = o.postgis.difference(&o.api).collect();
        println!(
            "check: MISMATCH at lat={lat} lon={lon}: only in /v1/search {only_api:?}; only in ST_Covers {only_pg:?}{}",
            match &o.pieces {
                Some(p) if *p != o.postgis => format!("; subdivided table gives {p:?}"),
                _ => String::new(),
            }
        );
        for id in only_api.iter().chain(&only_pg) {
            let row = db
                .query_one(
                    "SELECT ST_Distance(ST_Boundary(geom)::geography,
                                        ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography)
                     FROM bench_areas WHERE id = $1",
                    &[id, &lon, &lat],
                )
                .await;
            if let Ok(row) = row {
                let metres: f64 = row.get(0);
                println!("check:   {id}: the point is {metres:.3} m from its boundary");
            }
        }
    }
    println!(
        "check: mismatches: {} ({:.1} s)",
        mismatched.len(),
        started.elapsed().as_secs_f64()
    );
    if !mismatched.is_empty() {
        bail!(
            "{} of {} points disagree with PostGIS ST_Covers",
            mismatched.len(),
            outcomes.len()
        );
    }
    // With nothing covered, "no mismatch" would prove nothing.
    if covered == 0 || areas == 0 {
        bail!("no point is covered by any network ({areas} areas): the check proves nothing");
    }
    if outcomes.len() < 1000 {
        println!("check: note: fewer than 1,000 points were asked for");
    }
    Ok(())
}
