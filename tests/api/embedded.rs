//! The binary with its embedded PostgreSQL: data survives a restart, SIGTERM stops cleanly
//! (exit 0, the database stopped, no warning or error logged on the way down).

use onconet_test_support::{fixtures::full_network, logs, workspace_dir};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

pub(crate) fn onconet_binary() -> std::path::PathBuf {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "-p", "onconet", "--bin", "onconet"])
        .current_dir(workspace_dir())
        .status()
        .expect("cargo build");
    assert!(status.success());
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| workspace_dir().join("target"));
    target.join("debug/onconet")
}

/// A running `onconet serve`; stopped with SIGTERM when dropped, so a failing test leaves no
/// server (and no PostgreSQL) behind.
pub(crate) struct Server {
    child: Option<Child>,
    /// Its log lines so far, read from its stderr by `reader`, which ends with the process.
    log: Arc<Mutex<Vec<String>>>,
    reader: Option<JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            let _ = sigterm_and_wait(child);
        }
    }
}

fn sigterm_and_wait(mut child: Child) -> std::io::Result<std::process::ExitStatus> {
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    );
    child.wait()
}

impl Server {
    /// SIGKILL, as a crash or the OOM killer would: nothing runs on the way down.
    pub(crate) fn kill(mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts `onconet serve` on a free port (its embedded PostgreSQL in `data_dir`) and returns it
/// with its base URL.
fn serve(binary: &std::path::Path, data_dir: &std::path::Path) -> (Server, String) {
    serve_with(binary, data_dir, &[])
}

/// Like [`serve`], with more environment (`DATABASE_URL` for another database).
pub(crate) fn serve_with(
    binary: &std::path::Path,
    data_dir: &std::path::Path,
    env: &[(&str, &str)],
) -> (Server, String) {
    let mut child = Command::new(binary)
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env_remove("DATABASE_URL")
        .env_remove("ONCONET_JWKS")
        .envs(logs::child_env())
        .envs(env.iter().copied())
        .stderr(Stdio::piped())
        .stdout(logs::file("onconet-serve-stdout"))
        .spawn()
        .expect("spawn onconet serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    // Its log goes to the test logs (scripts/check-logs.sh reads them); the start-up line
    // tells the URL.
    let mut file = logs::file("onconet-serve");
    let log = Arc::new(Mutex::new(Vec::new()));
    let lines = log.clone();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = writeln!(file, "{line}");
            if let Ok(v) = serde_json::from_str::<Value>(&line)
                && v["message"] == "onconet is listening"
            {
                let _ = tx.send(v["url"].as_str().unwrap_or_default().to_owned());
            }
            lines.lock().expect("log lines").push(line);
        }
    });
    let server = Server {
        child: Some(child),
        log,
        reader: Some(reader),
    };
    let url = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("the server did not start");
    (server, url)
}

/// A development token for IKNL staff, made by `onconet token` for the server in `data_dir`.
fn staff_token(binary: &std::path::Path, data_dir: &std::path::Path) -> String {
    let out = Command::new(binary)
        .args(["token", "--role", "iknl_staff", "--data-dir"])
        .arg(data_dir)
        .stderr(logs::file("onconet-token"))
        .output()
        .expect("onconet token");
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned()
}

/// SIGTERM: the server exits with 0 and logs no warning or error on the way down (before,
/// the change listener reported the embedded database stopping as a lost connection).
fn terminate(mut server: Server) {
    let child = server.child.take().expect("running");
    let before = server.log.lock().expect("log lines").len();
    let status = sigterm_and_wait(child).expect("wait");
    if let Some(reader) = server.reader.take() {
        reader.join().expect("log reader");
    }
    assert!(
        status.success(),
        "onconet serve exits cleanly on SIGTERM: {status:?}"
    );
    let log = server.log.lock().expect("log lines");
    let shutdown = &log[before..];
    assert!(
        shutdown
            .iter()
            .any(|l| l.contains("embedded PostgreSQL stopped")),
        "the shutdown was logged: {shutdown:#?}"
    );
    let faults: Vec<&String> = shutdown
        .iter()
        .filter(|l| {
            serde_json::from_str::<Value>(l)
                .is_ok_and(|v| v["level"] == "WARN" || v["level"] == "ERROR")
        })
        .collect();
    assert!(
        faults.is_empty(),
        "warnings or errors on shutdown: {faults:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn data_survives_a_restart_of_the_embedded_database() {
    let binary = onconet_binary();
    let dir = tempfile::tempdir().expect("tempdir");
    let (child, url) = serve(&binary, dir.path());
    let token = staff_token(&binary, dir.path());
    // Import the regions with the CLI while the server runs on the same embedded database;
    // the server picks them up without a restart.
    let data = onconet_test_support::reference_data();
    for (layer, file) in [
        ("municipality", "gemeenten-2024-simplified.geojson"),
        ("pc4", "pc4-2020-simplified.geojson"),
    ] {
        let out = Command::new(&binary)
            .args(["regions", "import", "--layer", layer])
            .arg(data.join(file))
            .arg("--data-dir")
            .arg(dir.path())
            .env_remove("DATABASE_URL")
            .envs(logs::child_env())
            .output()
            .expect("onconet regions import");
        let mut log = logs::file("onconet-regions-import");
        let _ = log.write_all(&out.stdout);
        let _ = log.write_all(&out.stderr);
        assert!(
            out.status.success(),
            "import {layer}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let client = reqwest::Client::new();
    let mut created = None;
    for _ in 0..50 {
        let r = client
            .post(format!("{url}/v1/networks"))
            .bearer_auth(&token)
            .json(&full_network())
            .send()
            .await
            .expect("post");
        if r.status() == 201 {
            created = Some(r.json::<Value>().await.expect("json"));
            break;
        }
        assert_eq!(r.status(), 422, "only unknown regions may delay the create");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let created = created.expect("the server did not pick up the imported regions within 5 s");
    assert!(
        created["area_km2"].as_f64().is_some_and(|a| a > 80.0),
        "the area was derived: {}",
        created["area_km2"]
    );
    terminate(child);
    assert!(
        !dir.path().join("pg/postmaster.pid").exists(),
        "the embedded PostgreSQL was stopped"
    );

    let (child, url) = serve(&binary, dir.path());
    let read = client
        .get(format!(
            "{url}/v1/networks/{}",
            created["id"].as_str().expect("id")
        ))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get");
    assert_eq!(read.status(), 200);
    let read: Value = read.json().await.expect("json");
    assert_eq!(read, created);
    terminate(child);
}

/// The postmaster killed with SIGKILL (as the OOM killer would): `/readyz` says 503 and writes
/// get a 503 with `Retry-After` while it is down, public reads from memory keep answering, the
/// server starts it again within seconds, and what was committed before is all there.
#[tokio::test(flavor = "multi_thread")]
async fn a_killed_postmaster_is_started_again_and_nothing_committed_is_lost() {
    let binary = onconet_binary();
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, url) = serve(&binary, dir.path());
    let token = staff_token(&binary, dir.path());
    let token = token.as_str();
    let client = reqwest::Client::new();
    let create = |name: &str| {
        client
            .post(format!("{url}/v1/networks"))
            .bearer_auth(token)
            .json(&onconet_test_support::fixtures::minimal_network(name))
            .send()
    };
    let mut before = Vec::new();
    for i in 0..5 {
        let r = create(&format!("Voor de crash {i}")).await.expect("post");
        assert_eq!(r.status(), 201);
        before.push(r.json::<Value>().await.expect("json"));
    }

    let pid_file = std::fs::read_to_string(dir.path().join("pg/postmaster.pid")).expect("pid file");
    let pid: i32 = pid_file
        .lines()
        .next()
        .and_then(|l| l.trim().parse().ok())
        .expect("pid");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("SIGKILL the postmaster");
    let killed = std::time::Instant::now();

    // Down: readiness says so, and a write is refused with a 503 to retry (or, if the
    // supervisor was quicker than this request, it succeeds).
    let mut saw_down = false;
    while killed.elapsed() < Duration::from_secs(10) {
        let ready = client
            .get(format!("{url}/readyz"))
            .send()
            .await
            .expect("readyz");
        if ready.status() == 503 {
            saw_down = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(saw_down, "/readyz never said 503 after the postmaster died");
    let search = client
        .get(format!("{url}/v1/search?lat=53.2&lon=6.5"))
        .send()
        .await
        .expect("search");
    assert_eq!(search.status(), 200, "public reads answer from memory");
    let during = create("Tijdens de storing").await.expect("post");
    match during.status().as_u16() {
        503 => {
            assert_eq!(during.headers()["retry-after"], "5");
            assert_eq!(during.headers()["content-type"], "application/problem+json");
        }
        201 => {}
        other => panic!("a write during the outage got {other}"),
    }

    // Back within seconds.
    let mut back = None;
    while killed.elapsed() < Duration::from_secs(30) {
        let ready = client
            .get(format!("{url}/readyz"))
            .send()
            .await
            .expect("readyz");
        if ready.status() == 200 {
            back = Some(killed.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        back.is_some(),
        "the embedded PostgreSQL was not back within 30 s"
    );
    for n in &before {
        let r = client
            .get(format!(
                "{url}/v1/networks/{}",
                n["id"].as_str().expect("id")
            ))
            .bearer_auth(token)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 200);
        assert_eq!(
            &r.json::<Value>().await.expect("json"),
            n,
            "committed before the crash"
        );
    }
    let mut after = None;
    for _ in 0..50 {
        let r = create("Na de crash").await.expect("post");
        if r.status() == 201 {
            after = Some(r);
            break;
        }
        assert_eq!(r.status(), 503, "only the outage may refuse it");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(after.is_some(), "writes work again");
    // The supervisor logs once `pg_ctl start` has returned, which can be a moment after the
    // server already accepts connections.
    let logged = || {
        server
            .log
            .lock()
            .expect("log lines")
            .iter()
            .any(|l| l.contains("started it again"))
    };
    let waited = std::time::Instant::now();
    while !logged() && waited.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(logged(), "the restart was logged");
    terminate(server);
}
