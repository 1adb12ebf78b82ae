//! Building and running the application: database (embedded or external), migrations,
//! authentication, the HTTP server.

use crate::settings::{AuthSettings, DataSettings, ServeSettings, redacted};
use crate::{demo, dev_keys, jwks};
use actix_web::HttpServer;
use actix_web::dev::Server;
use anyhow::{Context, Result};
use onconet_api::Authenticator;
use onconet_db::embedded::EmbeddedPostgres;
use onconet_registry::{GeoState, Registry};
use secrecy::{ExposeSecret, SecretString};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Attempts at reading the regions and networks at start-up before giving up.
const GEOGRAPHY_ATTEMPTS: u32 = 3;

/// The regions and the search index, read from the database. A failed read is tried again
/// (twice, a second apart, each failure logged with its cause): one query that fails while
/// the database is busy or restarting should not stop the server from starting.
async fn load_geography(pool: &onconet_db::DbPool, max_vertices: usize) -> Result<GeoState> {
    let mut attempt = 1;
    loop {
        match GeoState::load(pool, max_vertices, onconet_api::dto::network::public_json).await {
            Ok(geo) => return Ok(geo),
            Err(e) if attempt < GEOGRAPHY_ATTEMPTS => {
                tracing::warn!(error = %e, attempt, "cannot load the geography; trying again");
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
            Err(e) => anyhow::bail!("cannot load the geography ({attempt} attempts): {e}"),
        }
    }
}

/// A database to talk to, and the embedded cluster behind it if we started one.
pub struct Database {
    pub url: SecretString,
    pub embedded: Option<EmbeddedPostgres>,
    /// Set when the embedded cluster is being stopped on purpose: its supervisor stands down.
    stopping: Arc<AtomicBool>,
}

impl Database {
    /// `DATABASE_URL` if set; otherwise the embedded cluster in the data dir, started if it is
    /// not already running.
    pub fn open(settings: &DataSettings) -> Result<Self> {
        match &settings.database_url {
            Some(url) => {
                tracing::info!(database = %redacted(url), "using the configured PostgreSQL server");
                Ok(Self {
                    url: url.clone(),
                    embedded: None,
                    stopping: Arc::default(),
                })
            }
            None => {
                let mut pg = EmbeddedPostgres::new(&settings.data_dir)?;
                pg.start().with_context(|| {
                    format!(
                        "cannot start the embedded PostgreSQL in {}",
                        pg.location().display()
                    )
                })?;
                Ok(Self {
                    url: SecretString::from(pg.url()),
                    embedded: Some(pg),
                    stopping: Arc::default(),
                })
            }
        }
    }

    /// A task that watches the embedded cluster and starts it again when its postmaster dies
    /// (none for an external database: the pool reconnects on its own).
    pub fn supervisor(&self) -> Option<impl std::future::Future<Output = ()> + Send + 'static> {
        let pg = self.embedded.as_ref()?.handle();
        Some(supervise_embedded(pg, self.stopping.clone()))
    }

    /// Stops the embedded cluster if this process started it.
    pub fn close(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        if let Some(pg) = &mut self.embedded
            && let Err(e) = pg.stop()
        {
            tracing::error!(error = %e, "could not stop the embedded PostgreSQL");
        }
    }
}

/// How often the supervisor looks at the embedded cluster.
const SUPERVISE_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Watches the embedded cluster every [`SUPERVISE_EVERY`] and starts it again when its
/// postmaster is gone (an OOM kill, a crash, an immediate stop). Crash recovery brings back
/// every committed write; the pool's connections to the dead server fail once and are
/// replaced, the change listener reconnects and reloads. Stands down when `stopping` is set.
async fn supervise_embedded(mut pg: EmbeddedPostgres, stopping: Arc<AtomicBool>) {
    let mut down_since: Option<std::time::Instant> = None;
    loop {
        tokio::time::sleep(SUPERVISE_EVERY).await;
        if stopping.load(Ordering::SeqCst) {
            return;
        }
        let stop = stopping.clone();
        let checked = tokio::task::spawn_blocking(move || {
            // Checked again here: a shutdown may have begun while this waited for a thread.
            let result = if stop.load(Ordering::SeqCst) || pg.is_running().unwrap_or(true) {
                Ok(false)
            } else {
                Err(pg.restart_if_down())
            };
            (pg, result)
        })
        .await;
        let Ok((back, result)) = checked else {
            return;
        };
        pg = back;
        match result {
            Ok(_) => {}
            Err(Ok(_)) => {
                let since = down_since.take().unwrap_or_else(std::time::Instant::now);
                tracing::warn!(
                    down_ms = since.elapsed().as_millis() as u64,
                    dir = %pg.location().display(),
                    "the embedded PostgreSQL had stopped; started it again (crash recovery replayed its log)"
                );
            }
            Err(Err(e)) => {
                if down_since.is_none() {
                    down_since = Some(std::time::Instant::now());
                    tracing::error!(error = %e, "the embedded PostgreSQL is down and does not start yet; trying again every second");
                } else {
                    tracing::debug!(error = %e, "the embedded PostgreSQL does not start yet");
                }
            }
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        self.close();
    }
}

/// The authenticator: identity-provider keys when `ONCONET_JWKS` is set (a file, or a URL
/// fetched now, refreshed in the background and on unknown key ids), otherwise the development
/// key (said loudly in the log).
pub async fn authenticator(auth: &AuthSettings, data: &DataSettings) -> Result<Arc<Authenticator>> {
    let issuer = auth.jwt_issuer.clone();
    let audience = auth.jwt_audience.clone();
    let Some(source) = &auth.jwks else {
        let key = dev_keys::load_or_create(&data.data_dir)?;
        tracing::warn!(
            "DEVELOPMENT MODE: ONCONET_JWKS is not set, so tokens made by `onconet token` with the key in {} are accepted. Never run a public deployment like this.",
            data.data_dir.display()
        );
        let keys = vec![dev_keys::verification_key(&key)?];
        return Ok(Arc::new(Authenticator::new(keys, issuer, audience)));
    };
    match jwks::JwksSource::parse(source)? {
        jwks::JwksSource::File(path) => {
            let keys = jwks::load_file(&path)?;
            tracing::info!(
                keys = keys.len(),
                file = %path.display(),
                "verifying tokens with the identity provider's keys; development tokens are refused"
            );
            Ok(Arc::new(Authenticator::new(keys, issuer, audience)))
        }
        jwks::JwksSource::Url(url) => {
            let shown = jwks::shown(&url);
            let remote = jwks::JwksUrl::new(url)?;
            let keys = remote.fetch_keys().await.with_context(|| {
                format!("cannot start: the first fetch of ONCONET_JWKS {shown} failed")
            })?;
            tracing::info!(
                keys = keys.len(),
                url = %shown,
                refresh_seconds = onconet_api::auth::PERIODIC_REFRESH.as_secs(),
                "verifying tokens with the identity provider's keys; development tokens are refused"
            );
            let auth = Arc::new(Authenticator::with_source(
                keys,
                Arc::new(remote),
                issuer,
                audience,
            ));
            auth.spawn_periodic_refresh(onconet_api::auth::PERIODIC_REFRESH);
            Ok(auth)
        }
    }
}

/// The console's development sign-in: tokens from the development key, only while
/// `ONCONET_JWKS` is unset (the same key `authenticator` trusts then).
fn dev_minter(
    auth: &AuthSettings,
    data: &DataSettings,
) -> Result<Option<onconet_api::routes::console::DevMinter>> {
    if auth.jwks.is_some() {
        return Ok(None);
    }
    let key = dev_keys::load_or_create(&data.data_dir)?;
    let (issuer, audience) = (auth.jwt_issuer.clone(), auth.jwt_audience.clone());
    Ok(Some(Arc::new(
        move |t: &onconet_api::routes::console::DevToken<'_>| {
            dev_keys::mint(
                &key,
                &dev_keys::TokenRequest {
                    roles: &[t.role],
                    org: t.org,
                    sub: t.sub,
                    name: t.name,
                    issuer: &issuer,
                    audience: &audience,
                    ttl_seconds: t.ttl_seconds,
                },
            )
            .map_err(|e| e.to_string())
        },
    )))
}

/// The console's OpenID Connect sign-in, when an identity provider is configured. Its tokens
/// are checked with the provider's keys, so `ONCONET_JWKS` must be set too (and development
/// tokens are then refused).
fn relying_party(settings: &ServeSettings) -> Result<Option<Arc<onconet_api::oidc::RelyingParty>>> {
    let oidc = &settings.oidc;
    let (Some(issuer), Some(client_id)) = (&oidc.oidc_issuer, &oidc.oidc_client_id) else {
        return Ok(None);
    };
    if settings.auth.jwks.is_none() {
        anyhow::bail!(
            "ONCONET_OIDC_ISSUER is set but ONCONET_JWKS is not: set ONCONET_JWKS to the identity provider's keys (its jwks_uri), and ONCONET_JWT_ISSUER / ONCONET_JWT_AUDIENCE to what its access tokens carry"
        );
    }
    let party = onconet_api::oidc::RelyingParty::new(onconet_api::oidc::OidcSettings {
        issuer: issuer.clone(),
        client_id: client_id.clone(),
        client_secret: oidc.oidc_client_secret.clone(),
        redirect_url: oidc.oidc_redirect_url.clone(),
    })
    .map_err(anyhow::Error::msg)?;
    tracing::info!(issuer = %issuer, client_id = %client_id, "console sign-in through OpenID Connect");
    Ok(Some(Arc::new(party)))
}

/// A built, not yet running application.
pub struct Application {
    port: u16,
    server: Server,
    /// Tasks that use the database; stopped before it is.
    background: Vec<tokio::task::JoinHandle<()>>,
    /// For the last flush of the usage counts, after the last request.
    registry: Registry,
    pub database: Database,
}

impl Application {
    pub async fn build(settings: &ServeSettings) -> Result<Self> {
        // First, so a wrong ONCONET_JWKS fails before any database work.
        let auth = authenticator(&settings.auth, &settings.data).await?;
        let database = Database::open(&settings.data)?;
        let url = database.url.expose_secret().to_owned();
        onconet_db::migrations::run_pending(&url)
            .await
            .context("cannot migrate the database")?;
        if settings.demo {
            crate::regions::import_missing_reference_layers(&url, &settings.reference_data)
                .await
                .context("cannot import the reference regions")?;
        }
        let pool = onconet_db::connect_pool(&url, settings.db_pool_size)?;
        // Listening before the load: no change can fall between the two.
        let listening = onconet_registry::geography::listen_for_changes(&url)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen for changes: {e}"))?;
        let geo = Arc::new(load_geography(&pool, settings.max_vertices).await?);
        let mut background = Vec::new();
        if let Some(supervisor) = database.supervisor() {
            background.push(tokio::spawn(supervisor));
        }
        background.push(tokio::spawn(onconet_registry::geography::follow_changes(
            url.clone(),
            pool.clone(),
            geo.clone(),
            listening,
        )));
        let registry = Registry::new(pool, geo)
            .with_webhooks(settings.webhooks.settings())
            .with_at_once(&settings.apply_at_once)
            .with_usage(onconet_registry::usage::UsageSettings {
                enabled: settings.usage_counts,
                flush_every: std::time::Duration::from_secs(settings.usage_flush_seconds.max(1)),
            });
        if settings.demo {
            demo::load(&registry)
                .await
                .context("cannot load the demo networks")?;
            demo::load_toolbox(&registry)
                .await
                .context("cannot load the demo toolbox")?;
        }
        background.push(tokio::spawn(registry.clone().keep_overlays_current()));
        background.push(tokio::spawn(registry.clone().deliver_webhooks()));
        background.push(tokio::spawn(registry.clone().keep_usage()));
        if settings.daily_snapshot {
            background.push(tokio::spawn(registry.clone().snapshot_daily()));
        }
        let mut ops = onconet_api::Ops::new(
            settings.rate_limit_per_second,
            settings.rate_limit_burst,
            settings.trusted_proxies.clone(),
        )
        .map_err(anyhow::Error::msg)?;
        ops.console.dev_minter = dev_minter(&settings.auth, &settings.data)?;
        ops.console.oidc = relying_party(settings)?;
        ops.console.tiles = settings
            .console_tile_url
            .as_deref()
            .map(|url| {
                onconet_api::routes::console::Tiles::parse(url, &settings.console_tile_attribution)
            })
            .transpose()
            .map_err(anyhow::Error::msg)?;
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let for_server = registry.clone();
        let mut server = HttpServer::new(move || {
            onconet_api::app(for_server.clone(), auth.clone(), ops.clone())
        })
        .listen(listener)?
        .shutdown_timeout(10)
        // SIGTERM and Ctrl-C are handled in `run_until_stopped`.
        .disable_signals();
        if let Some(workers) = settings.workers {
            server = server.workers(workers);
        }
        Ok(Self {
            port,
            server: server.run(),
            background,
            registry,
            database,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or Ctrl-C. Then, in this order: the background tasks stop while
    /// the HTTP workers still run (once a change applied at SIGTERM failed in the listener,
    /// most likely on a pooled connection that a stopped worker had opened on its runtime),
    /// in-flight requests finish, the usage counts still in memory are stored, and the
    /// embedded database stops if this process started it.
    pub async fn run_until_stopped(mut self) -> Result<()> {
        let handle = self.server.handle();
        let tasks: Vec<_> = self.background.drain(..).collect();
        let aborts: Vec<_> = tasks.iter().map(|t| t.abort_handle()).collect();
        let coverage = self.registry.coverage.clone();
        let on_signal = tokio::spawn(async move {
            shutdown_signal().await;
            tracing::info!("stopping: background tasks, then the HTTP server");
            // An overlay being computed runs on a blocking thread, which aborting its task
            // does not stop and which the runtime waits for on exit.
            coverage.stop();
            stop_tasks(tasks).await;
            handle.stop(true).await;
        });
        let result = (&mut self.server).await;
        on_signal.abort();
        // Also when the server stopped without a signal.
        self.registry.coverage.stop();
        for task in aborts {
            task.abort();
        }
        // Every request has finished: the last counts go in before the database stops.
        if let Err(e) = self.registry.flush_usage().await {
            tracing::warn!(error = %e, "the last usage counts could not be stored");
        }
        self.database.close();
        result.context("the HTTP server failed")
    }
}

/// Stops `tasks` and waits until they have.
async fn stop_tasks(tasks: Vec<tokio::task::JoinHandle<()>>) {
    for task in &tasks {
        task.abort();
    }
    for task in tasks {
        let _ = task.await;
    }
}

/// SIGTERM or Ctrl-C (SIGINT).
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the server");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
