//! `onconet`: the registry's one binary.

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use onconet::settings::{AuthSettings, DataSettings, ServeSettings};
use onconet::{dev_keys, startup, telemetry};
use onconet_db::embedded::EmbeddedPostgres;
use onconet_domain::Role;

/// mimalloc instead of the system allocator: a search allocates and frees a few buffers of
/// tens of kB, and glibc's malloc spent about 5 % of its CPU time on them.
#[cfg(not(feature = "heap-stats"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// With `--features heap-stats` (a diagnostic build, for the memory benchmarks): the same
/// allocator, counting what is allocated and not yet freed, so that the live heap can be told
/// apart from what the allocator keeps after frees. Left out otherwise: its atomic counters
/// cost every allocation.
#[cfg(feature = "heap-stats")]
#[global_allocator]
static ALLOCATOR: cap::Cap<mimalloc::MiMalloc> = cap::Cap::new(mimalloc::MiMalloc, usize::MAX);

/// With `--features heap-stats`: a line `heap-stats: live N MiB, peak M MiB` on stderr every
/// second the live heap changed by 1 MiB or more (`scripts/bench-restart.sh` reads the last).
#[cfg(feature = "heap-stats")]
fn report_heap() {
    std::thread::spawn(|| {
        let mut last = usize::MAX;
        loop {
            let live = ALLOCATOR.allocated() >> 20;
            if live != last {
                eprintln!(
                    "heap-stats: live {live} MiB, peak {} MiB",
                    ALLOCATOR.max_allocated() >> 20
                );
                last = live;
            }
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    });
}

#[derive(Parser)]
#[command(
    name = "onconet",
    version,
    about = "The national registry of oncology networks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (with its own PostgreSQL unless DATABASE_URL is set).
    Serve(Box<ServeSettings>),
    /// Print a development token that a server started in development mode with the same
    /// data dir accepts.
    Token {
        /// Role: ros_adviser, iknl_staff or admin.
        #[arg(long)]
        role: String,
        /// The ROS organisation (for ros_adviser).
        #[arg(long)]
        org: Option<String>,
        /// Subject (user id).
        #[arg(long, default_value = "dev-user")]
        sub: String,
        /// Display name.
        #[arg(long, default_value = "Development user")]
        name: String,
        /// Validity in seconds.
        #[arg(long, default_value_t = 12 * 3600)]
        ttl: u64,
        #[command(flatten)]
        data: DataSettings,
        #[command(flatten)]
        auth: AuthSettings,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Manage region layers.
    Regions {
        #[command(subcommand)]
        action: RegionsAction,
    },
    /// Manage networks in bulk.
    Networks {
        #[command(subcommand)]
        action: NetworksAction,
    },
    /// Write a backup of the database to FILE: one consistent snapshot (pg_dump custom
    /// format), also while servers are running on it.
    #[command(
        long_about = "Write a backup of the database to FILE: one consistent snapshot \
(pg_dump custom format), also while servers are running on it and writing. The file is written \
under a temporary name next to FILE and renamed when it is complete and read back; it is \
readable by its owner only (it holds contact details and webhook secrets). Uses the pg_dump \
next to the embedded cluster's initdb (ONCONET_PG_BIN to choose). Restore it with \
`onconet restore FILE`."
    )]
    Backup {
        /// The backup file to write.
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
        /// Replace FILE if it exists (otherwise an existing FILE is refused).
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        data: DataSettings,
    },
    /// Restore a backup made by `onconet backup` into an empty data dir or database, then
    /// apply pending migrations.
    #[command(
        long_about = "Restore a backup made by `onconet backup` into an empty data dir \
(the embedded cluster is initialised there) or an empty database (DATABASE_URL: one without \
tables, e.g. fresh from createdb). A target that holds anything is refused and left as it is. \
The whole file is read first, so a truncated or foreign file is refused before anything is \
written; then everything is restored in one transaction (all or nothing), without the \
original owners and privileges, and pending migrations bring a backup of an older version up \
to date."
    )]
    Restore {
        /// The backup file.
        file: std::path::PathBuf,
        #[command(flatten)]
        data: DataSettings,
    },
    /// Manage the embedded PostgreSQL cluster.
    Db {
        #[command(subcommand)]
        action: DbAction,
    },
}

#[derive(Subcommand)]
enum RegionsAction {
    /// Replace a layer with the regions of a CBS/PDOK-shaped GeoJSON FeatureCollection.
    Import {
        /// municipality, province, pc4 or ros_area (ROS working areas, coded by ROS
        /// organisation code).
        #[arg(long)]
        layer: String,
        /// The GeoJSON file.
        file: std::path::PathBuf,
        /// A CSV with `code` and `population` columns (overrides the file's population).
        #[arg(long)]
        population: Option<std::path::PathBuf>,
        #[command(flatten)]
        data: DataSettings,
    },
}

#[derive(Subcommand)]
enum NetworksAction {
    /// Import networks from a CSV, XLSX, GeoJSON or NDJSON file, as `POST /v1/imports` does:
    /// every row checked, all written in one transaction or none; rows with the id or the
    /// external_id (per ros_org) of a stored network update it.
    Import {
        /// The file (its extension tells the format unless --format says it).
        file: std::path::PathBuf,
        /// csv, xlsx, geojson or ndjson.
        #[arg(long)]
        format: Option<String>,
        /// Check every row and say what would happen, without writing anything.
        #[arg(long)]
        dry_run: bool,
        /// Largest service-area geometry, in vertices (as `serve --max-vertices`).
        #[arg(long, env = "ONCONET_MAX_VERTICES", default_value_t = 100_000)]
        max_vertices: usize,
        #[command(flatten)]
        data: DataSettings,
    },
}

#[derive(Subcommand)]
enum DbAction {
    /// Start it (initialising it the first time) and leave it running.
    Start(DataSettings),
    /// Stop it, whoever started it.
    Stop(DataSettings),
    /// Say whether it runs, and its connection URL.
    Status(DataSettings),
    /// Apply pending migrations (embedded cluster or DATABASE_URL).
    Migrate(DataSettings),
}

#[tokio::main]
async fn main() -> Result<()> {
    telemetry::init();
    #[cfg(feature = "heap-stats")]
    report_heap();
    match Cli::parse().command {
        Command::Serve(settings) => serve(*settings).await,
        Command::Token {
            role,
            org,
            sub,
            name,
            ttl,
            data,
            auth,
        } => {
            if auth.jwks.is_some() {
                bail!(
                    "ONCONET_JWKS is set: a server with identity-provider keys refuses development tokens"
                );
            }
            let role: Role = role.parse().map_err(anyhow::Error::msg)?;
            let key = dev_keys::load_or_create(&data.data_dir)?;
            let token = dev_keys::mint(
                &key,
                &dev_keys::TokenRequest {
                    roles: &[role],
                    org: org.as_deref(),
                    sub: &sub,
                    name: &name,
                    issuer: &auth.jwt_issuer,
                    audience: &auth.jwt_audience,
                    ttl_seconds: ttl,
                },
            )?;
            println!("{token}");
            Ok(())
        }
        Command::Openapi => {
            print!("{}", onconet_api::openapi_json());
            Ok(())
        }
        Command::Db { action } => db(action).await,
        Command::Backup { out, force, data } => {
            use std::io::IsTerminal;
            let report =
                onconet::backup::backup(&data, &out, force, std::io::stderr().is_terminal())
                    .await?;
            println!("{report}");
            Ok(())
        }
        Command::Restore { file, data } => {
            use std::io::IsTerminal;
            let report =
                onconet::backup::restore(&data, &file, std::io::stderr().is_terminal()).await?;
            println!("{}", report);
            Ok(())
        }
        Command::Networks {
            action:
                NetworksAction::Import {
                    file,
                    format,
                    dry_run,
                    max_vertices,
                    data,
                },
        } => {
            use secrecy::ExposeSecret;
            use std::io::IsTerminal;
            let format = match format.as_deref() {
                None => None,
                Some(code) => {
                    Some(onconet_exchange::Format::from_code(code).with_context(|| {
                        format!("unknown format {code}: csv, xlsx, geojson or ndjson")
                    })?)
                }
            };
            let started = std::time::Instant::now();
            let mut database = startup::Database::open(&data)?;
            let result = async {
                let url = database.url.expose_secret().to_owned();
                onconet_db::migrations::run_pending(&url).await?;
                let pool = onconet_db::connect_pool(&url, 4)?;
                let geo = onconet_registry::GeoState::load(
                    &pool,
                    max_vertices,
                    onconet_api::dto::network::public_json,
                )
                .await
                .map_err(|e| anyhow::anyhow!("cannot load the regions: {e}"))?;
                let registry = onconet_registry::Registry::new(pool, std::sync::Arc::new(geo));
                onconet::import::run(
                    &registry,
                    &onconet::import::ImportRequest {
                        file: &file,
                        format,
                        dry_run,
                        progress: std::io::stderr().is_terminal(),
                    },
                )
                .await
            }
            .await;
            database.close();
            let report = result?;
            println!(
                "{}{}: {} created, {} updated, {} unchanged ({:.1} s, peak memory {})",
                if report.dry_run {
                    "dry run, nothing written: "
                } else {
                    "imported "
                },
                file.display(),
                report.created,
                report.updated,
                report.unchanged,
                started.elapsed().as_secs_f64(),
                onconet::import::peak_memory().unwrap_or_else(|| "unknown".into()),
            );
            Ok(())
        }
        Command::Regions {
            action:
                RegionsAction::Import {
                    layer,
                    file,
                    population,
                    data,
                },
        } => {
            use secrecy::ExposeSecret;
            use std::io::IsTerminal;
            let mut database = startup::Database::open(&data)?;
            onconet_db::migrations::run_pending(database.url.expose_secret()).await?;
            let result = onconet::regions::import(
                database.url.expose_secret(),
                &layer,
                &file,
                population.as_deref(),
                std::io::stderr().is_terminal(),
            )
            .await;
            database.close();
            let count = result?;
            println!("imported {count} {layer} regions from {}", file.display());
            Ok(())
        }
    }
}

async fn serve(settings: ServeSettings) -> Result<()> {
    if !settings.huge_pages {
        without_huge_pages();
    }
    let app = startup::Application::build(&settings).await?;
    let host = settings
        .bind
        .rsplit_once(':')
        .map(|(h, _)| h)
        .unwrap_or("127.0.0.1");
    let base = format!("http://{host}:{}", app.port());
    tracing::info!(url = %base, "onconet is listening");
    eprintln!(
        "\nonconet is running:\n  API           {base}/v1/networks\n  find          {base}/v1/search?postcode=9713\n  vocabularies  {base}/v1/vocabularies\n  API docs      {base}/docs/  ({base}/openapi.json)\n  widget        {base}/widget/demo\n  health        {base}/healthz  {base}/readyz  {base}/metrics\nStop with Ctrl-C.\n"
    );
    app.run_until_stopped().await
}

/// Turns transparent huge pages off for this process (and the embedded PostgreSQL it starts),
/// with `--huge-pages false`. With the kernel's default `always`, a 2 MiB page holding a few
/// live objects stays resident whole: at 5,000 networks that was about 110 MiB of the
/// server's memory (RSS 528 → 416–420 MiB, `scripts/bench-restart.sh`); searches per second
/// were the same, but the open-loop p99 at 10,000 req/s rose from about 5 to 7 ms
/// (docs/BENCHMARKS.md, seventeenth session). Set before the data is loaded.
fn without_huge_pages() {
    if let Err(e) = nix::sys::prctl::set_thp_disable(true) {
        tracing::warn!(error = %e, "could not turn transparent huge pages off");
    }
}

async fn db(action: DbAction) -> Result<()> {
    match action {
        DbAction::Start(data) => {
            let mut pg = EmbeddedPostgres::new(&data.data_dir)?;
            pg.start()?;
            println!("{}", pg.url());
        }
        DbAction::Stop(data) => {
            EmbeddedPostgres::new(&data.data_dir)?.stop_now()?;
        }
        DbAction::Status(data) => {
            let pg = EmbeddedPostgres::new(&data.data_dir)?;
            if pg.is_running()? {
                println!("running: {}", pg.url());
            } else {
                println!("stopped");
            }
        }
        DbAction::Migrate(data) => {
            let mut database = startup::Database::open(&data)?;
            use secrecy::ExposeSecret;
            let applied = onconet_db::migrations::run_pending(database.url.expose_secret())
                .await
                .context("migration failed")?;
            println!("applied {} migration(s)", applied.len());
            database.close();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// `--huge-pages false` reaches the kernel: the process's THP flag is off afterwards.
    #[test]
    fn huge_pages_can_be_turned_off() {
        super::without_huge_pages();
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let flag = status
            .lines()
            .find_map(|l| l.strip_prefix("THP_enabled:"))
            .map(str::trim);
        assert_eq!(flag, Some("0"), "{status}");
    }
}
