//! The real application on a real port.

use crate::db::TestDb;
use anyhow::Result;
use onconet::dev_keys;
use onconet::settings::{AuthSettings, DataSettings, OidcSettings, ServeSettings, WebhookArgs};
use onconet::startup::Application;
use onconet_domain::Role;
use secrecy::SecretString;

pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    pub client: reqwest::Client,
    pub db: TestDb,
    /// Holds the development signing key.
    pub data_dir: tempfile::TempDir,
    pub admin_token: String,
    pub staff_token: String,
    /// A ROS adviser of `ros-noord`.
    pub adviser_token: String,
    /// A ROS adviser of `ros-zuid`.
    pub other_adviser_token: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A token for `roles` signed with this app's development key.
    pub fn token(&self, roles: &[Role], org: Option<&str>, sub: &str) -> String {
        mint(self.data_dir.path(), roles, org, sub).unwrap_or_default()
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path))
    }

    /// `method path` with `token` (`None`: anonymous) and, when given, a JSON body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> reqwest::Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request
            .send()
            .await
            .unwrap_or_else(|e| panic!("request failed: {e}"))
    }

    /// `POST /v1/networks` as IKNL staff.
    pub async fn create_network(&self, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url("/v1/networks"))
            .bearer_auth(&self.staff_token)
            .json(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("request failed: {e}"))
    }

    /// Runs `onconet regions import --layer LAYER FILE [--population CSV]` on this app's
    /// database in a process of its own, as an operator would while the app runs.
    pub fn import_regions(
        &self,
        layer: &str,
        file: &std::path::Path,
        population: Option<&std::path::Path>,
    ) -> std::process::Output {
        let mut command = std::process::Command::new(env!("CARGO"));
        command
            .args(["run", "--quiet", "-p", "onconet", "--bin", "onconet", "--"])
            .args(["regions", "import", "--layer", layer])
            .arg(file);
        if let Some(csv) = population {
            command.arg("--population").arg(csv);
        }
        command
            .env("DATABASE_URL", self.db.url())
            .current_dir(crate::workspace_dir())
            .output()
            .unwrap_or_else(|e| panic!("onconet regions import: {e}"))
    }
}

fn mint(dir: &std::path::Path, roles: &[Role], org: Option<&str>, sub: &str) -> Result<String> {
    let key = dev_keys::load_or_create(dir)?;
    dev_keys::mint(
        &key,
        &dev_keys::TokenRequest {
            roles,
            org,
            sub,
            name: sub,
            issuer: "onconet-dev",
            audience: "onconet",
            ttl_seconds: 3600,
        },
    )
}

/// Starts the application on a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with a chance to change the settings first.
pub async fn spawn_app_with(configure: impl FnOnce(&mut ServeSettings)) -> TestApp {
    match try_spawn(configure).await {
        Ok(app) => app,
        Err(e) => panic!("cannot start the test app: {e:#}"),
    }
}

/// A second server process on the same database (as several instances behind a load balancer),
/// with its own development key.
pub async fn spawn_peer(of: &TestApp) -> (String, tokio::task::JoinHandle<Result<()>>) {
    crate::logs::init();
    let settings = settings_for(of.db.url(), of.data_dir.path());
    let app = match Application::build(&settings).await {
        Ok(app) => app,
        Err(e) => panic!("cannot start the peer: {e:#}"),
    };
    let address = format!("http://127.0.0.1:{}", app.port());
    (address, tokio::spawn(app.run_until_stopped()))
}

fn settings_for(database_url: &str, data_dir: &std::path::Path) -> ServeSettings {
    ServeSettings {
        bind: "127.0.0.1:0".into(),
        demo: false,
        reference_data: crate::reference_data(),
        max_vertices: 100_000,
        daily_snapshot: false,
        // Counted, and in the database within about a second (see `TestApp::usage_stored`).
        usage_counts: true,
        usage_flush_seconds: 1,
        apply_at_once: Vec::new(),
        rate_limit_per_second: 0,
        rate_limit_burst: 0,
        trusted_proxies: Default::default(),
        db_pool_size: 4,
        workers: Some(1),
        huge_pages: true,
        console_tile_url: None,
        console_tile_attribution: String::new(),
        oidc: OidcSettings {
            oidc_issuer: None,
            oidc_client_id: None,
            oidc_client_secret: None,
            oidc_redirect_url: None,
        },
        webhooks: WebhookArgs {
            webhook_allow_private_targets: true,
            webhook_retry_base_ms: 200,
            webhook_retry_for_seconds: 86_400,
            webhook_timeout_ms: 2_000,
            verification_check_seconds: 1,
        },
        data: DataSettings {
            data_dir: data_dir.to_owned(),
            database_url: Some(SecretString::from(database_url.to_owned())),
        },
        auth: AuthSettings {
            jwks: None,
            jwt_issuer: "onconet-dev".into(),
            jwt_audience: "onconet".into(),
        },
    }
}

async fn try_spawn(configure: impl FnOnce(&mut ServeSettings)) -> Result<TestApp> {
    crate::logs::init();
    let db = TestDb::new().await?;
    let data_dir = tempfile::tempdir()?;
    let mut settings = settings_for(db.url(), data_dir.path());
    configure(&mut settings);
    let app = Application::build(&settings).await?;
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let dir = data_dir.path();
    Ok(TestApp {
        address,
        // Idle connections dropped before the server's keep-alive of 5 s ends them (a request
        // sent on a connection the server is closing fails).
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(std::time::Duration::from_secs(2))
            .build()?,
        admin_token: mint(dir, &[Role::Admin], None, "admin-1")?,
        staff_token: mint(dir, &[Role::IknlStaff], None, "staff-1")?,
        adviser_token: mint(dir, &[Role::RosAdviser], Some("ros-noord"), "adviser-noord")?,
        other_adviser_token: mint(dir, &[Role::RosAdviser], Some("ros-zuid"), "adviser-zuid")?,
        db,
        data_dir,
    })
}

impl TestApp {
    /// Moves network `id`'s last verification `months` into the past (straight in the
    /// database: no API turns back the clock).
    pub async fn age_verification(&self, id: &str, months: u32) {
        use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
        let mut conn = match AsyncPgConnection::establish(self.db.url()).await {
            Ok(c) => c,
            Err(e) => panic!("cannot connect to the test database: {e}"),
        };
        let aged = diesel::sql_query(
            "UPDATE networks SET last_verified_at = now() - make_interval(months => $1) WHERE id = $2::uuid",
        )
        .bind::<diesel::sql_types::Int4, _>(i32::try_from(months).unwrap_or(i32::MAX))
        .bind::<diesel::sql_types::Text, _>(id)
        .execute(&mut conn)
        .await;
        if let Err(e) = aged {
            panic!("cannot age the verification of {id}: {e}");
        }
    }

    /// The text column `value` of the one row `sql` returns (`""` for NULL), straight from the
    /// database.
    pub async fn sql_text(&self, sql: &str) -> String {
        use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
            value: Option<String>,
        }
        let mut conn = match AsyncPgConnection::establish(self.db.url()).await {
            Ok(c) => c,
            Err(e) => panic!("cannot connect to the test database: {e}"),
        };
        let row: Result<Row, _> = diesel::sql_query(sql).get_result(&mut conn).await;
        match row {
            Ok(r) => r.value.unwrap_or_default(),
            Err(e) => panic!("query failed: {sql}: {e}"),
        }
    }

    /// A fingerprint of everything stored: equal fingerprints mean equal contents.
    pub async fn db_fingerprint(&self) -> String {
        use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            fp: String,
        }
        let mut conn = match AsyncPgConnection::establish(self.db.url()).await {
            Ok(c) => c,
            Err(e) => panic!("cannot connect to the test database: {e}"),
        };
        let row: Result<Row, _> = diesel::sql_query(
            "SELECT (SELECT count(*) FROM networks)::text || '/' || (SELECT count(*) FROM network_revisions)::text || '/' || \
             coalesce((SELECT md5(string_agg(n::text, '|' ORDER BY n.id)) FROM networks n), '') || '/' || \
             coalesce((SELECT md5(string_agg(r::text, '|' ORDER BY r.id)) FROM network_revisions r), '') AS fp",
        )
        .get_result(&mut conn)
        .await;
        match row {
            Ok(r) => r.fp,
            Err(e) => panic!("fingerprint query failed: {e}"),
        }
    }

    /// Creates a network as staff and publishes it; returns its JSON.
    pub async fn create_published(&self, body: &serde_json::Value) -> serde_json::Value {
        let created = self.create_network(body).await;
        assert_eq!(created.status(), 201, "create failed");
        let mut network: serde_json::Value = created.json().await.unwrap_or_default();
        for to in ["submitted", "published"] {
            let id = network["id"].as_str().unwrap_or_default().to_owned();
            let etag = format!("\"v{}\"", network["version"]);
            let moved = self
                .client
                .post(self.url(&format!("/v1/networks/{id}/transitions")))
                .bearer_auth(&self.staff_token)
                .header("If-Match", etag)
                .json(&serde_json::json!({"to": to}))
                .send()
                .await
                .unwrap_or_else(|e| panic!("request failed: {e}"));
            assert_eq!(moved.status(), 200, "transition to {to} failed");
            network = moved.json().await.unwrap_or_default();
        }
        network
    }
}
