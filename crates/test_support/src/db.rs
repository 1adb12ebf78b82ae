//! A database per test, cloned from a template migrated once per migration set.

use anyhow::{Context, Result};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use onconet_db::embedded::EmbeddedPostgres;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// The URL of the test cluster's default database, starting the embedded cluster if needed.
pub fn cluster_url() -> Result<String> {
    static URL: OnceLock<Result<String, String>> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("ONCONET_TEST_DATABASE_URL") {
            return Ok(url);
        }
        let mut pg = EmbeddedPostgres::new(&test_cluster_dir()).map_err(|e| e.to_string())?;
        pg.start().map_err(|e| e.to_string())?;
        // Left running for the other test processes; `make test` stops it.
        Ok(pg.url())
    })
    .clone()
    .map_err(anyhow::Error::msg)
}

/// Where the embedded test cluster lives (`make test` stops it there).
fn test_cluster_dir() -> std::path::PathBuf {
    crate::workspace_dir().join("target/onconet-test-pg")
}

/// `url` with its database name replaced.
pub fn with_database(url: &str, name: &str) -> Result<String> {
    let mut u = url::Url::parse(url).context("bad database URL")?;
    u.set_path(&format!("/{name}"));
    Ok(u.to_string())
}

/// A hash of the migrations and reference files, so each combination gets its own template.
fn migrations_hash() -> String {
    let mut hasher = Sha256::new();
    let dir = crate::workspace_dir().join("migrations");
    let mut files: Vec<_> = walk(&dir);
    files.sort();
    for f in files {
        hasher.update(f.to_string_lossy().as_bytes());
        hasher.update(std::fs::read(&f).unwrap_or_default());
    }
    // The reference data and the importer shape the template too.
    let dir = crate::reference_data();
    for (_, file, population) in onconet::regions::reference_files(false) {
        for name in std::iter::once(file).chain(population) {
            let len = std::fs::metadata(dir.join(name))
                .map(|m| m.len())
                .unwrap_or(0);
            hasher.update(format!("{name}:{len}").as_bytes());
        }
    }
    // So does the code that builds it: a rebuilt test binary gets a fresh template.
    if let Ok(meta) = std::env::current_exe().and_then(std::fs::metadata) {
        hasher.update(format!("{:?}:{}", meta.modified().ok(), meta.len()).as_bytes());
    }
    hex::encode(&hasher.finalize()[..8])
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

async fn admin_connection() -> Result<AsyncPgConnection> {
    let url = with_database(&cluster_url()?, "postgres")?;
    AsyncPgConnection::establish(&url)
        .await
        .with_context(|| format!("cannot connect to the test cluster{}", cluster_log_tail()))
}

/// The last lines of the embedded test cluster's log, to say why it is gone (a full disk, a
/// kill); empty against an outside `ONCONET_TEST_DATABASE_URL`.
fn cluster_log_tail() -> String {
    if std::env::var_os("ONCONET_TEST_DATABASE_URL").is_some() {
        return String::new();
    }
    let Ok(log) = EmbeddedPostgres::new(&test_cluster_dir()).map(|pg| pg.log_file()) else {
        return String::new();
    };
    let Ok(text) = std::fs::read_to_string(&log) else {
        return format!(" (no log at {})", log.display());
    };
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(8)..].join("\n  ");
    format!(" (the end of {}:\n  {tail})", log.display())
}

/// Creates the migrated template for the current migrations unless it exists.
async fn ensure_template() -> Result<String> {
    let name = format!("onconet_tpl_{}", migrations_hash());
    let mut conn = admin_connection().await?;
    // Serialise template creation across test processes.
    diesel::sql_query("SELECT pg_advisory_lock(4242)")
        .execute(&mut conn)
        .await?;
    let result = async {
        #[derive(diesel::QueryableByName)]
        struct Exists {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            exists: bool,
        }
        let exists: Exists = diesel::sql_query(format!(
            "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}') AS exists"
        ))
        .get_result(&mut conn)
        .await?;
        if !exists.exists {
            let building = format!("{name}_building");
            diesel::sql_query(format!("DROP DATABASE IF EXISTS {building}"))
                .execute(&mut conn)
                .await?;
            diesel::sql_query(format!(
                "CREATE DATABASE {building} TEMPLATE template0 ENCODING 'UTF8'"
            ))
            .execute(&mut conn)
            .await?;
            let url = with_database(&cluster_url()?, &building)?;
            onconet_db::migrations::run_pending(&url).await?;
            // The reference regions (simplified, for speed) are part of every test database.
            let dir = crate::reference_data();
            for (layer, file, population) in onconet::regions::reference_files(false) {
                let population = population.map(|p| dir.join(p));
                onconet::regions::import(
                    &url,
                    layer,
                    &dir.join(file),
                    population.as_deref(),
                    false,
                )
                .await
                .with_context(|| format!("cannot import {file} from {}", dir.display()))?;
            }
            diesel::sql_query(format!("ALTER DATABASE {building} RENAME TO {name}"))
                .execute(&mut conn)
                .await?;
            drop_stale_templates(&mut conn, &name).await;
        }
        anyhow::Ok(())
    }
    .await;
    diesel::sql_query("SELECT pg_advisory_unlock(4242)")
        .execute(&mut conn)
        .await?;
    result.map(|()| name)
}

/// Drops templates of earlier builds (best effort: one still in use stays).
async fn drop_stale_templates(conn: &mut AsyncPgConnection, keep: &str) {
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }
    let stale: Vec<Name> =
        diesel::sql_query("SELECT datname FROM pg_database WHERE datname LIKE 'onconet\\_tpl\\_%'")
            .load(conn)
            .await
            .unwrap_or_default();
    for db in stale.into_iter().filter(|d| d.datname != keep) {
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {}", db.datname))
            .execute(conn)
            .await;
    }
}

/// A database of its own for one test, dropped when the value is dropped.
pub struct TestDb {
    name: String,
    url: String,
}

impl TestDb {
    /// A fresh database with every migration applied.
    pub async fn new() -> Result<Self> {
        let template = ensure_template().await?;
        Self::create(&format!("TEMPLATE {template}")).await
    }

    /// A fresh database without any migration (for the migration round-trip test).
    pub async fn empty() -> Result<Self> {
        Self::create("TEMPLATE template0 ENCODING 'UTF8'").await
    }

    async fn create(template_clause: &str) -> Result<Self> {
        crate::logs::init();
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = admin_connection().await?;
        diesel::sql_query(format!("CREATE DATABASE {name} {template_clause}"))
            .execute(&mut conn)
            .await
            .with_context(|| format!("cannot create test database {name}"))?;
        Ok(Self {
            url: with_database(&cluster_url()?, &name)?,
            name,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs inside an async test; do the async work on a thread of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let mut conn = admin_connection().await?;
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await?;
                anyhow::Ok(())
            })
        })
        .join();
    }
}
