//! `onconet backup` and `onconet restore` with the real binary on real PostgreSQL: a backup
//! taken while the server serves and writes holds one consistent snapshot, a restore into an
//! empty database or data dir gives back every row of every table, a server on the restored
//! data answers as the original did, and bad input changes nothing.

use crate::embedded::{onconet_binary, serve_with};
use onconet_test_support::fixtures::{full_network, minimal_network};
use onconet_test_support::{TestApp, TestDb, eventually, logs, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

/// `onconet ARGS` with `database_url` as DATABASE_URL (or none: the `--data-dir` in ARGS).
fn onconet(args: &[&str], database_url: Option<&str>) -> Output {
    // Built once per test process (a build in the middle of the gated backup would outlast
    // the wait for it).
    static BINARY: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    let mut command = Command::new(BINARY.get_or_init(onconet_binary));
    command
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("ONCONET_DATA_DIR")
        .env("RUST_BACKTRACE", "0")
        .envs(logs::child_env());
    if let Some(url) = database_url {
        command.env("DATABASE_URL", url);
    }
    command.output().expect("run onconet")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Succeeded, with a summary on stdout.
fn succeeded(out: &Output, what: &str) -> String {
    let (stdout, stderr) = text(out);
    assert!(out.status.success(), "{what}: {stdout}\n{stderr}");
    stdout
}

/// Failed (exit status not 0) with `message` on stderr; returns stderr.
fn refused(out: &Output, message: &str, what: &str) -> String {
    let (stdout, stderr) = text(out);
    assert!(!out.status.success(), "{what} must fail: {stdout}");
    assert!(stderr.contains(message), "{what}: `{message}` in {stderr}");
    stderr
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

async fn connect(url: &str) -> diesel_async::AsyncPgConnection {
    use diesel_async::AsyncConnection;
    diesel_async::AsyncPgConnection::establish(url)
        .await
        .expect("connect")
}

#[derive(diesel::QueryableByName)]
struct Named {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

/// Every table of the database at `url`, row by row: its row count and an MD5 of its rows'
/// text in a fixed order; and every sequence's position (so new rows after a restore get new
/// ids).
async fn fingerprint(url: &str) -> BTreeMap<String, String> {
    use diesel_async::RunQueryDsl;
    let mut conn = connect(url).await;
    let tables: Vec<Named> = diesel::sql_query(
        "SELECT tablename::text AS name, '' AS value FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    )
    .load(&mut conn)
    .await
    .expect("tables");
    let mut out = BTreeMap::new();
    for table in tables {
        let row: Named = diesel::sql_query(format!(
            "SELECT '{0}' AS name, count(*) || ' rows ' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '-') AS value FROM \"{0}\" t",
            table.name
        ))
        .get_result(&mut conn)
        .await
        .expect("table fingerprint");
        out.insert(row.name, row.value);
    }
    let sequences: Vec<Named> = diesel::sql_query(
        "SELECT 'sequence ' || sequencename AS name, coalesce(last_value::text, 'unused') AS value FROM pg_sequences WHERE schemaname = 'public'",
    )
    .load(&mut conn)
    .await
    .expect("sequences");
    out.extend(sequences.into_iter().map(|s| (s.name, s.value)));
    out
}

/// Equal fingerprints, told table by table when not. A sequence may stand further on: pg_dump
/// reads sequences outside its snapshot (they are not transactional), so numbers taken by
/// writes during the backup are skipped after a restore, never handed out twice.
fn assert_same(restored: &BTreeMap<String, String>, original: &BTreeMap<String, String>) {
    let position = |v: Option<&String>| v.and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let differ: Vec<_> = original
        .keys()
        .chain(restored.keys())
        .filter(|k| {
            if k.starts_with("sequence ") {
                !restored.contains_key(*k)
                    || position(restored.get(*k)) < position(original.get(*k))
            } else {
                original.get(*k) != restored.get(*k)
            }
        })
        .collect();
    assert!(
        differ.is_empty(),
        "differ: {differ:?}\noriginal {original:#?}\nrestored {restored:#?}"
    );
}

/// The restored database's tables, views and sequences (none: nothing was written).
async fn relations(url: &str) -> usize {
    onconet_db::backup::user_relations(&secrecy::SecretString::from(url.to_owned()))
        .await
        .expect("relations")
        .len()
}

async fn get_json(client: &reqwest::Client, url: &str) -> (Option<String>, Value) {
    let r = client.get(url).send().await.expect("get");
    assert_eq!(r.status(), 200, "{url}");
    let etag = r
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    (etag, r.json().await.expect("json"))
}

/// The sum of the stored usage counts.
async fn usage_total(app: &TestApp) -> i64 {
    app.sql_text("SELECT coalesce(sum(count), 0)::text AS value FROM usage_counts")
        .await
        .parse()
        .expect("a number")
}

/// A registry worth backing up: published networks with revisions, drafts, a submitted one,
/// an edit, a webhook subscription and usage counts, on the reference regions of the template.
async fn populate(app: &TestApp) -> Vec<Value> {
    let mut published = Vec::new();
    for (i, name) in ["Netwerk Groningen", "Netwerk Haren", "Netwerk Stad"]
        .iter()
        .enumerate()
    {
        let mut body = full_network();
        body["name"] = json!(name);
        body["service_area"]["circles"][0]["radius_km"] = json!(5.0 + i as f64);
        published.push(app.create_published(&body).await);
    }
    // An edit of a published network (a proposal by an adviser, applied at once by staff).
    let first = &published[0];
    let id = first["id"].as_str().expect("id");
    let r = app
        .client
        .patch(app.url(&format!("/v1/networks/{id}")))
        .bearer_auth(&app.staff_token)
        .header("If-Match", format!("\"v{}\"", first["version"]))
        .json(&json!({"website": "https://www.example.nl/nieuw"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), 200, "edit");
    published[0] = r.json().await.expect("json");
    for name in ["Concept Noord", "Concept Zuid"] {
        let r = app.create_network(&minimal_network(name)).await;
        assert_eq!(r.status(), 201, "draft");
    }
    // A subscription to an event nothing here raises, so no delivery runs in the background.
    let r = app
        .send(
            Method::POST,
            "/v1/webhooks",
            Some(&app.staff_token),
            Some(
                &json!({"url": "http://127.0.0.1:9/hook", "events": ["network.archived"],
                         "secret": onconet_test_support::fixtures::PRIVATE_WEBHOOK_SECRET}),
            ),
        )
        .await;
    assert_eq!(r.status(), 201, "subscription");
    published
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_taken_while_serving_and_writing_restores_every_row() {
    use diesel_async::SimpleAsyncConnection;
    let app = spawn_app().await;
    let published = populate(&app).await;
    let id = published[0]["id"].as_str().expect("id").to_owned();
    // What the public sees (each search is also a usage count).
    let search_path = "/v1/search?postcode=9713";
    let network_path = format!("/v1/networks/{id}");
    let (_, search) = get_json(&app.client, &app.url(search_path)).await;
    assert_eq!(
        search["items"].as_array().map(Vec::len),
        Some(3),
        "{search}"
    );
    let network = get_json(&app.client, &app.url(&network_path)).await;
    for _ in 0..4 {
        get_json(&app.client, &app.url(search_path)).await;
    }
    // Quiet: every count is stored (flushed every second), no background work is due.
    eventually("the usage counts stored", || async {
        usage_total(&app).await == 5
    })
    .await;

    // The gate (the fingerprint first: it reads that table too): pg_dump takes its snapshot first, then locks every table; holding one table
    // makes it wait after the snapshot, while the server goes on serving and writing.
    let before = fingerprint(app.db.url()).await;
    let mut gate = connect(app.db.url()).await;
    gate.batch_execute("BEGIN; LOCK TABLE coverage_snapshots IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("gate");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("registry.backup");
    let _ = onconet(&["--version"], None);
    let backup = {
        let (file, url) = (file.clone(), app.db.url().to_owned());
        std::thread::spawn(move || onconet(&["backup", "--out", path(&file)], Some(&url)))
    };
    eventually("pg_dump waiting at the gate", || async {
        app.sql_text(
            "SELECT (count(*) > 0)::text AS value FROM pg_locks l JOIN pg_stat_activity a USING (pid) \
             WHERE NOT l.granted AND a.application_name = 'onconet backup'",
        )
        .await
            == "true"
    })
    .await;
    // Serving and writing meanwhile: a new network, an edit, a search.
    let extra = app
        .create_published(&minimal_network("Tijdens de back-up"))
        .await;
    let r = app
        .client
        .patch(app.url(&network_path))
        .bearer_auth(&app.staff_token)
        .header("If-Match", format!("\"v{}\"", published[0]["version"]))
        .json(&json!({"website": "https://www.example.nl/tijdens"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), 200);
    get_json(&app.client, &app.url(search_path)).await;
    eventually("the last count stored", || async {
        usage_total(&app).await == 6
    })
    .await;
    assert!(
        !dir.path().join("registry.backup").exists(),
        "nothing under the final name before the backup is complete"
    );
    gate.batch_execute("ROLLBACK").await.expect("open the gate");
    let started = std::time::Instant::now();
    let out = backup.join().expect("backup thread");
    let summary = succeeded(&out, "backup while serving");
    assert!(
        summary.starts_with("backup written to ") && summary.contains(" tables, "),
        "{summary}"
    );
    let size = std::fs::metadata(&file).expect("backup").len();
    eprintln!(
        "backup of the test registry: {} bytes, finished {:.1} s after the gate opened: {summary}",
        size,
        started.elapsed().as_secs_f64()
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file)
            .expect("backup")
            .permissions()
            .mode()
            & 0o777,
        0o600,
        "the backup holds personal data: owner only"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "only the backup: {leftovers:?}");
    let after = fingerprint(app.db.url()).await;
    assert_ne!(after["networks"], before["networks"], "the writes happened");
    assert_ne!(after["usage_counts"], before["usage_counts"]);

    // Into an empty database: exactly the snapshot, without the writes made meanwhile.
    let empty = TestDb::empty().await.expect("empty database");
    let out = onconet(&["restore", path(&file)], Some(empty.url()));
    let summary = succeeded(&out, "restore into an empty database");
    let networks = before["networks"].split(' ').next().expect("count");
    assert!(
        summary.contains(&format!(": {networks} networks"))
            && summary.contains("0 migration(s) applied"),
        "{summary}"
    );
    assert_same(&fingerprint(empty.url()).await, &before);

    // Into an empty data dir, through the embedded cluster; then a server on it.
    let data = tempfile::tempdir().expect("tempdir");
    let out = onconet(
        &["restore", path(&file), "--data-dir", path(data.path())],
        None,
    );
    succeeded(&out, "restore into an empty data dir");
    let (server, base) = serve_with(
        &onconet_binary(),
        data.path(),
        // Nothing written in the background (a snapshot at start-up, the counts of the
        // search below): the tables are compared while it runs.
        &[
            ("ONCONET_DAILY_SNAPSHOT", "false"),
            ("ONCONET_USAGE_COUNTS", "false"),
        ],
    );
    let embedded_url = onconet_db::embedded::EmbeddedPostgres::new(data.path())
        .expect("embedded")
        .url();
    assert_same(&fingerprint(&embedded_url).await, &before);
    let client = reqwest::Client::new();
    let (_, restored_search) = get_json(&client, &format!("{base}{search_path}")).await;
    assert_eq!(restored_search, search, "the same search answer");
    let restored_network = get_json(&client, &format!("{base}{network_path}")).await;
    assert_eq!(restored_network, network, "the same network and ETag");
    let r = client
        .get(format!(
            "{base}/v1/networks/{}",
            extra["id"].as_str().expect("id")
        ))
        .send()
        .await
        .expect("get");
    assert_eq!(
        r.status(),
        404,
        "the network made during the backup is not in it"
    );
    // It takes writes: new rows get new ids.
    let token = succeeded(
        &onconet(
            &[
                "token",
                "--role",
                "iknl_staff",
                "--data-dir",
                path(data.path()),
            ],
            None,
        ),
        "token",
    );
    let r = client
        .post(format!("{base}/v1/networks"))
        .bearer_auth(token.trim())
        .json(&minimal_network("Na het terugzetten"))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 201, "a write on the restored data");

    // A non-empty target is refused, and left as it was: the data dir with its server...
    let served = fingerprint(&embedded_url).await;
    let out = onconet(
        &["restore", path(&file), "--data-dir", path(data.path())],
        None,
    );
    refused(&out, "is not empty", "restore into a served data dir");
    assert_eq!(fingerprint(&embedded_url).await, served);
    // ...and the original database.
    let out = onconet(&["restore", path(&file)], Some(app.db.url()));
    refused(&out, "is not empty", "restore into the original");
    assert_eq!(fingerprint(app.db.url()).await, after);

    // A backup of the embedded cluster while its server runs on it (its tables that no
    // background task writes, as they were before the refused restore).
    let second = dir.path().join("embedded.backup");
    let out = onconet(
        &[
            "backup",
            "--out",
            path(&second),
            "--data-dir",
            path(data.path()),
        ],
        None,
    );
    succeeded(&out, "backup of a served data dir");
    let again = TestDb::empty().await.expect("empty database");
    succeeded(
        &onconet(&["restore", path(&second)], Some(again.url())),
        "restore of the embedded backup",
    );
    let restored = fingerprint(again.url()).await;
    for table in [
        "networks",
        "network_revisions",
        "regions",
        "webhook_subscriptions",
    ] {
        assert_eq!(restored[table], served[table], "{table}");
    }
    drop(server);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_refused_and_changes_nothing() {
    let db = TestDb::new().await.expect("database");
    // A password in the URL (the test cluster trusts its socket and ignores it) must never be
    // shown.
    let secret = "pw-never-shown-7319";
    let mut with_password = url::Url::parse(db.url()).expect("url");
    with_password.set_password(Some(secret)).expect("password");
    let url = with_password.to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("a.backup");
    let shown = |out: &Output| {
        let (stdout, stderr) = text(out);
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "the password was shown: {stdout}{stderr}"
        );
    };

    let out = onconet(&["backup", "--out", path(&file)], Some(&url));
    shown(&out);
    succeeded(&out, "backup");
    let good = std::fs::read(&file).expect("backup");

    // An existing file is not replaced without --force.
    let existing = dir.path().join("existing.backup");
    std::fs::write(&existing, "keep me").expect("write");
    let out = onconet(&["backup", "--out", path(&existing)], Some(&url));
    shown(&out);
    refused(&out, "--force", "backup over an existing file");
    assert_eq!(std::fs::read(&existing).expect("read"), b"keep me");
    succeeded(
        &onconet(&["backup", "--out", path(&existing), "--force"], Some(&url)),
        "backup --force",
    );
    assert_eq!(&std::fs::read(&existing).expect("read")[..5], b"PGDMP");
    // A folder that does not exist.
    let out = onconet(
        &[
            "backup",
            "--out",
            path(&dir.path().join("missing/a.backup")),
        ],
        Some(&url),
    );
    shown(&out);
    refused(&out, "does not exist", "backup into a missing folder");
    // A database that does not exist: pg_dump's reason, without the password.
    let nowhere = onconet_test_support::cluster_url().expect("cluster");
    let mut nowhere = url::Url::parse(&nowhere).expect("url");
    nowhere.set_path("/no_such_database_here");
    nowhere.set_password(Some(secret)).expect("password");
    let out = onconet(
        &["backup", "--out", path(&dir.path().join("b.backup"))],
        Some(nowhere.as_str()),
    );
    shown(&out);
    refused(
        &out,
        "no_such_database_here",
        "backup of a missing database",
    );
    // A database that is not an onconet registry.
    let foreign = TestDb::empty().await.expect("empty database");
    {
        use diesel_async::SimpleAsyncConnection;
        let mut conn = connect(foreign.url()).await;
        conn.batch_execute(
            "CREATE TABLE things (id int PRIMARY KEY); INSERT INTO things VALUES (1)",
        )
        .await
        .expect("a foreign table");
    }
    let out = onconet(
        &["backup", "--out", path(&dir.path().join("c.backup"))],
        Some(foreign.url()),
    );
    refused(
        &out,
        "holds no onconet registry",
        "backup of a foreign database",
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| n == "a.backup" || n == "existing.backup"),
        "no half backups left: {names:?}"
    );

    // Restores that must not happen.
    let before = fingerprint(db.url()).await;
    let out = onconet(&["restore", path(&file)], Some(&url));
    shown(&out);
    refused(&out, "is not empty", "restore into a populated database");
    assert_eq!(fingerprint(db.url()).await, before);

    let truncated = dir.path().join("truncated.backup");
    std::fs::write(&truncated, &good[..good.len() / 2]).expect("write");
    let not_a_backup = dir.path().join("regions.geojson");
    std::fs::write(
        &not_a_backup,
        r#"{"type":"FeatureCollection","features":[]}"#,
    )
    .expect("write");
    // A pg_dump archive, but of another database.
    let foreign_archive = dir.path().join("foreign.backup");
    let dumped = Command::new(onconet_db::embedded::find_tool("pg_dump").expect("pg_dump"))
        .args(["--format=custom", "--file"])
        .arg(&foreign_archive)
        .args(["--dbname", foreign.url()])
        .status()
        .expect("pg_dump");
    assert!(dumped.success());
    let empty = TestDb::empty().await.expect("empty database");
    for (file, message) in [
        (&foreign_archive, "not of an onconet database"),
        (&truncated, "truncated"),
        (&not_a_backup, "is not a backup made by `onconet backup`"),
        (&dir.path().join("missing.backup"), "does not exist"),
    ] {
        let out = onconet(&["restore", path(file)], Some(empty.url()));
        refused(&out, message, &format!("restore of {}", file.display()));
        assert_eq!(relations(empty.url()).await, 0, "nothing written");
        // Into an empty data dir: not even a cluster is made.
        let data = tempfile::tempdir().expect("tempdir");
        let out = onconet(
            &["restore", path(file), "--data-dir", path(data.path())],
            None,
        );
        refused(
            &out,
            message,
            &format!("restore of {} into a data dir", file.display()),
        );
        assert!(!data.path().join("pg").exists(), "no cluster initialised");
    }
    // The good one still goes in.
    let out = onconet(&["restore", path(&file)], Some(empty.url()));
    succeeded(&out, "restore");
    assert_same(&fingerprint(empty.url()).await, &before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_of_an_older_schema_is_migrated_when_restored() {
    use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
    let db = TestDb::new().await.expect("database");
    // Turn the database back to the schema before the newest migration.
    let mut dirs: Vec<_> =
        std::fs::read_dir(onconet_test_support::workspace_dir().join("migrations"))
            .expect("migrations")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
    dirs.sort();
    let newest = dirs.last().expect("a migration");
    let name = newest
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    let version: String = name
        .split('_')
        .next()
        .expect("version")
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let mut conn = connect(db.url()).await;
    conn.batch_execute(&std::fs::read_to_string(newest.join("down.sql")).expect("down.sql"))
        .await
        .expect("revert");
    let deleted = diesel::sql_query(format!(
        "DELETE FROM __diesel_schema_migrations WHERE version = '{version}'"
    ))
    .execute(&mut conn)
    .await
    .expect("forget the migration");
    assert_eq!(deleted, 1, "{name}");
    drop(conn);

    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("old.backup");
    succeeded(
        &onconet(&["backup", "--out", path(&file)], Some(db.url())),
        "backup",
    );
    let target = TestDb::empty().await.expect("empty database");
    let summary = succeeded(
        &onconet(&["restore", path(&file)], Some(target.url())),
        "restore",
    );
    assert!(summary.contains("1 migration(s) applied"), "{summary}");
    let current = TestDb::new().await.expect("database");
    let migrated = fingerprint(target.url()).await;
    let fresh = fingerprint(current.url()).await;
    assert_eq!(
        migrated.keys().collect::<Vec<_>>(),
        fresh.keys().collect::<Vec<_>>(),
        "the same tables as a current database"
    );
    assert_eq!(migrated["regions"], fresh["regions"]);
}
