//! The embedded PostgreSQL: a private cluster under the data directory, started from the
//! system's PostgreSQL binaries when no `DATABASE_URL` is configured.
//!
//! Layout under `DIR`: `pg/` (the cluster), `run/` (its Unix socket; it listens on no TCP
//! port), `log/postgres.log`. PostgreSQL refuses to run as root, so when we are root the
//! cluster belongs to the unprivileged `postgres` user and every PostgreSQL command runs
//! through `runuser`. A second process (an import while a server runs) finds the cluster
//! running and uses it without taking ownership; only the process that started it stops it.

use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use thiserror::Error;

/// The role and database the embedded cluster is created with.
pub const DB_USER: &str = "onconet";
pub const DB_NAME: &str = "onconet";
/// The socket file is `.s.PGSQL.<port>` in the socket directory; no TCP port is opened.
const PORT: u16 = 5432;
/// Unix socket paths are limited to 107 bytes on Linux.
const MAX_SOCKET_PATH: usize = 100;

#[derive(Debug, Error)]
pub enum EmbeddedError {
    #[error(
        "PostgreSQL binaries not found (looked in $ONCONET_PG_BIN, pg_config --bindir, /usr/lib/postgresql/*/bin and $PATH); install them with `apt-get install postgresql`"
    )]
    BinariesNotFound,
    #[error(
        "running as root, but there is no unprivileged `postgres` user to run PostgreSQL as (install the Debian postgresql package, which creates it)"
    )]
    NoPostgresUser,
    #[error("the data directory {0} cannot be used: {1}")]
    DataDir(PathBuf, String),
    #[error("`{command}` failed: {detail}")]
    Command { command: String, detail: String },
}

/// Who the PostgreSQL processes run as.
#[derive(Debug, Clone)]
enum RunAs {
    CurrentUser,
    /// Through `runuser -u <name>`.
    User {
        name: String,
        uid: u32,
        gid: u32,
    },
}

#[derive(Debug)]
pub struct EmbeddedPostgres {
    base: PathBuf,
    bin_dir: PathBuf,
    run_as: RunAs,
    /// Whether this process started the cluster (and so stops it).
    owned: bool,
}

impl EmbeddedPostgres {
    /// Prepares (but does not start) the cluster under `data_dir`.
    pub fn new(data_dir: &Path) -> Result<Self, EmbeddedError> {
        fs::create_dir_all(data_dir)
            .map_err(|e| EmbeddedError::DataDir(data_dir.to_owned(), e.to_string()))?;
        let base = data_dir
            .canonicalize()
            .map_err(|e| EmbeddedError::DataDir(data_dir.to_owned(), e.to_string()))?;
        let socket = base.join("run").join(format!(".s.PGSQL.{PORT}"));
        if socket.as_os_str().len() > MAX_SOCKET_PATH {
            return Err(EmbeddedError::DataDir(
                base,
                "its path is too long for a Unix socket; choose a shorter --data-dir".into(),
            ));
        }
        let run_as = if nix::unistd::geteuid().is_root() {
            let user = nix::unistd::User::from_name("postgres")
                .ok()
                .flatten()
                .ok_or(EmbeddedError::NoPostgresUser)?;
            RunAs::User {
                name: user.name,
                uid: user.uid.as_raw(),
                gid: user.gid.as_raw(),
            }
        } else {
            RunAs::CurrentUser
        };
        Ok(Self {
            base,
            bin_dir: find_bin_dir().ok_or(EmbeddedError::BinariesNotFound)?,
            run_as,
            owned: false,
        })
    }

    fn cluster_dir(&self) -> PathBuf {
        self.base.join("pg")
    }

    fn socket_dir(&self) -> PathBuf {
        self.base.join("run")
    }

    /// The cluster's server log.
    pub fn log_file(&self) -> PathBuf {
        self.base.join("log").join("postgres.log")
    }

    /// The connection URL (Unix socket, trust authentication inside a private directory).
    pub fn url(&self) -> String {
        let host: String =
            url::form_urlencoded::byte_serialize(self.socket_dir().to_string_lossy().as_bytes())
                .collect();
        format!("postgresql://{DB_USER}@{host}:{PORT}/{DB_NAME}")
    }

    /// Where the cluster lives (for messages).
    pub fn location(&self) -> &Path {
        &self.base
    }

    /// Initialises the cluster on first use and starts it unless it is already running.
    ///
    /// Serialised across processes by a lock file, so concurrent starts (parallel tests, an
    /// import beside a server) neither initialise twice nor start twice.
    pub fn start(&mut self) -> Result<(), EmbeddedError> {
        let lock = File::create(self.base.join(".lock"))
            .map_err(|e| EmbeddedError::DataDir(self.base.clone(), e.to_string()))?;
        lock.lock()
            .map_err(|e| EmbeddedError::DataDir(self.base.clone(), e.to_string()))?;
        let fresh = !self.cluster_dir().join("PG_VERSION").exists();
        if fresh {
            self.init()?;
        }
        if !self.is_running()? {
            self.prepare_dir(&self.socket_dir())?;
            let options = format!(
                "-c listen_addresses='' -k {} -p {PORT} -c max_connections=200 -c shared_buffers=64MB -c fsync=on -c synchronous_commit=on -c full_page_writes=on",
                self.socket_dir().display()
            );
            self.pg(
                "pg_ctl",
                &[
                    "start",
                    "-w",
                    "-t",
                    "60",
                    "-s",
                    "-D",
                    &self.cluster_dir().to_string_lossy(),
                    "-l",
                    &self.log_file().to_string_lossy(),
                    "-o",
                    &options,
                ],
            )?;
            self.owned = true;
            tracing::info!(dir = %self.base.display(), "embedded PostgreSQL started");
        } else {
            tracing::info!(dir = %self.base.display(), "embedded PostgreSQL already running; using it");
        }
        if fresh {
            self.pg(
                "createdb",
                &[
                    "-h",
                    &self.socket_dir().to_string_lossy(),
                    "-p",
                    &PORT.to_string(),
                    "-U",
                    DB_USER,
                    DB_NAME,
                ],
            )?;
        }
        drop(lock);
        Ok(())
    }

    /// Whether this process started the cluster.
    pub fn owned(&self) -> bool {
        self.owned
    }

    /// Another handle on the same cluster, owning nothing (for a supervisor).
    pub fn handle(&self) -> Self {
        Self {
            base: self.base.clone(),
            bin_dir: self.bin_dir.clone(),
            run_as: self.run_as.clone(),
            owned: false,
        }
    }

    /// Starts the cluster again when its postmaster is gone (killed, crashed, stopped in
    /// immediate mode): PostgreSQL's crash recovery replays the write-ahead log, so every
    /// committed transaction is back (`fsync` and `synchronous_commit` are on). Returns whether
    /// it had to. While backends of the dead postmaster linger, the start fails; try again.
    pub fn restart_if_down(&mut self) -> Result<bool, EmbeddedError> {
        if self.is_running()? {
            return Ok(false);
        }
        self.start()?;
        Ok(true)
    }

    /// Whether the cluster's postmaster is running.
    pub fn is_running(&self) -> Result<bool, EmbeddedError> {
        if !self.cluster_dir().join("PG_VERSION").exists() {
            return Ok(false);
        }
        let out = self.pg_output(
            "pg_ctl",
            &["status", "-D", &self.cluster_dir().to_string_lossy()],
        )?;
        Ok(out.status.success())
    }

    /// Stops the cluster if this process started it (fast shutdown: open sessions are
    /// rolled back, committed data is safe).
    pub fn stop(&mut self) -> Result<(), EmbeddedError> {
        if self.owned {
            self.stop_now()?;
            self.owned = false;
        }
        Ok(())
    }

    /// Stops the cluster whoever started it (`onconet db stop`).
    pub fn stop_now(&self) -> Result<(), EmbeddedError> {
        if self.is_running()? {
            self.pg(
                "pg_ctl",
                &[
                    "stop",
                    "-w",
                    "-s",
                    "-m",
                    "fast",
                    "-D",
                    &self.cluster_dir().to_string_lossy(),
                ],
            )?;
            tracing::info!(dir = %self.base.display(), "embedded PostgreSQL stopped");
        }
        Ok(())
    }

    fn init(&self) -> Result<(), EmbeddedError> {
        self.prepare_dir(&self.cluster_dir())?;
        self.prepare_dir(&self.socket_dir())?;
        self.prepare_dir(&self.log_file().with_file_name(""))?;
        self.pg(
            "initdb",
            &[
                "-D",
                &self.cluster_dir().to_string_lossy(),
                "-U",
                DB_USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-instructions",
            ],
        )?;
        tracing::info!(dir = %self.base.display(), "embedded PostgreSQL cluster initialised");
        Ok(())
    }

    /// Creates `dir` owned by the PostgreSQL user with mode 0700, and checks that user can
    /// reach it (a data dir under /root, say, is not reachable for `postgres`).
    fn prepare_dir(&self, dir: &Path) -> Result<(), EmbeddedError> {
        let err = |e: String| EmbeddedError::DataDir(dir.to_owned(), e);
        fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| err(e.to_string()))?;
        if let RunAs::User { name, uid, gid } = &self.run_as {
            nix::unistd::chown(
                dir,
                Some(nix::unistd::Uid::from_raw(*uid)),
                Some(nix::unistd::Gid::from_raw(*gid)),
            )
            .map_err(|e| err(e.to_string()))?;
            let ok = Command::new("runuser")
                .args(["-u", name, "--", "test", "-w", &dir.to_string_lossy()])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if !ok {
                return Err(err(format!(
                    "the `{name}` user cannot write there (a parent directory is closed to it); choose a --data-dir it can reach, e.g. under /var/lib or /tmp"
                )));
            }
        }
        Ok(())
    }

    fn command(&self, program: &str, args: &[&str]) -> Command {
        let program = self.bin_dir.join(program);
        match &self.run_as {
            RunAs::CurrentUser => {
                let mut c = Command::new(program);
                c.args(args);
                c
            }
            RunAs::User { name, .. } => {
                let mut c = Command::new("runuser");
                c.args(["-u", name, "--"]).arg(program).args(args);
                c
            }
        }
    }

    fn pg_output(&self, program: &str, args: &[&str]) -> Result<Output, EmbeddedError> {
        self.command(program, args)
            .current_dir(&self.base)
            .env_remove("PGDATA")
            .output()
            .map_err(|e| EmbeddedError::Command {
                command: program.into(),
                detail: e.to_string(),
            })
    }

    fn pg(&self, program: &str, args: &[&str]) -> Result<(), EmbeddedError> {
        let out = self.pg_output(program, args)?;
        if out.status.success() {
            return Ok(());
        }
        let mut detail = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        if program == "pg_ctl"
            && let Ok(log) = fs::read_to_string(self.log_file())
        {
            let tail: Vec<_> = log.lines().rev().take(5).collect();
            detail.push_str("; server log: ");
            detail.push_str(&tail.into_iter().rev().collect::<Vec<_>>().join(" | "));
        }
        Err(EmbeddedError::Command {
            command: program.into(),
            detail,
        })
    }
}

/// `pg_dump`, `pg_restore`, …: from the same directory as the cluster's `initdb` and `pg_ctl`
/// (see [`find_bin_dir`]), so their version matches the embedded cluster's.
pub fn find_tool(name: &str) -> Result<PathBuf, EmbeddedError> {
    let path = find_bin_dir()
        .ok_or(EmbeddedError::BinariesNotFound)?
        .join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(EmbeddedError::Command {
            command: name.into(),
            detail: format!(
                "not found at {} (install the PostgreSQL client programs of the same version)",
                path.display()
            ),
        })
    }
}

/// Finds the directory holding `initdb` and `pg_ctl`.
pub fn find_bin_dir() -> Option<PathBuf> {
    let has_tools = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os("ONCONET_PG_BIN").map(PathBuf::from) {
        return has_tools(&dir).then_some(dir);
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if has_tools(&dir) {
            return Some(dir);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            Some((v, e.path().join("bin")))
        })
        .filter(|(_, dir)| has_tools(dir))
        .collect();
    versions.sort();
    if let Some((_, dir)) = versions.pop() {
        return Some(dir);
    }
    std::env::var_os("PATH").and_then(|path| std::env::split_paths(&path).find(|d| has_tools(d)))
}
