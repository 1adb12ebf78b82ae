//! `onconet backup` and `onconet restore`: the database to a `pg_dump` custom-format file and
//! back (`onconet_db::backup` runs the tools).
//!
//! A backup is written to a temporary file next to the destination, read back (its table of
//! contents), synced and only then renamed, so a file under the final name is always a whole
//! backup. It is created readable by its owner only: it holds contact details and webhook
//! secrets. A restore goes only into an empty database: the whole file is read first (a
//! truncated or foreign file is refused before anything is touched), then `pg_restore` writes
//! everything in one transaction, then pending migrations bring an older schema up to date.

use crate::settings::{DataSettings, redacted};
use crate::startup::Database;
use anyhow::{Context, Result, bail};
use indicatif::{HumanBytes, ProgressBar, ProgressStyle};
use onconet_db::backup::{self, Target};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What `onconet backup` wrote.
#[derive(Debug)]
pub struct BackupReport {
    pub file: PathBuf,
    pub bytes: u64,
    pub tables: usize,
    pub elapsed: Duration,
}

impl std::fmt::Display for BackupReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "backup written to {}: {}, {} tables, {:.1} s",
            self.file.display(),
            HumanBytes(self.bytes),
            self.tables,
            self.elapsed.as_secs_f64()
        )
    }
}

/// What `onconet restore` restored.
#[derive(Debug)]
pub struct RestoreReport {
    pub into: String,
    pub tables: usize,
    pub networks: i64,
    pub revisions: i64,
    pub regions: i64,
    pub migrations: usize,
    pub elapsed: Duration,
}

impl std::fmt::Display for RestoreReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "restored into {}: {} networks, {} revisions, {} regions ({} tables, {} migration(s) applied, {:.1} s)",
            self.into,
            self.networks,
            self.revisions,
            self.regions,
            self.tables,
            self.migrations,
            self.elapsed.as_secs_f64()
        )
    }
}

/// The checks on `--out` that need no database: its folder exists, and it is not there
/// already (unless `force`).
fn check_destination(out: &Path, force: bool) -> Result<(PathBuf, String)> {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .with_context(|| format!("--out {} does not name a file", out.display()))?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        bail!(
            "cannot write {}: the folder {} does not exist",
            out.display(),
            parent.display()
        );
    }
    match std::fs::symlink_metadata(out) {
        Ok(meta) if meta.is_dir() => bail!("{} is a folder; give a file name", out.display()),
        Ok(_) if !force => bail!(
            "{} exists already; choose another name, or give --force to replace it",
            out.display()
        ),
        _ => {}
    }
    Ok((parent, name))
}

fn progress_bar(show: bool, len: Option<usize>, verb: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    // The table's name last, cut to the terminal's width, so the line never wraps.
    let (bar, template) = match len {
        Some(len) => (
            ProgressBar::new(len as u64),
            format!("{verb} [{{bar:30}}] {{pos}}/{{len}} tables ({{elapsed}}) {{wide_msg}}"),
        ),
        None => (
            ProgressBar::new_spinner(),
            format!("{{spinner}} {verb}: {{pos}} tables ({{elapsed}}) {{wide_msg}}"),
        ),
    };
    bar.set_style(
        ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// `onconet backup --out FILE`.
pub async fn backup(
    data: &DataSettings,
    out: &Path,
    force: bool,
    progress: bool,
) -> Result<BackupReport> {
    let started = Instant::now();
    let (folder, name) = check_destination(out, force)?;
    let mut database = Database::open(data)?;
    let present = backup::user_relations(&database.url)
        .await
        .context("cannot look into the database")?;
    if !present.iter().any(|r| r == "public.networks") {
        bail!(
            "the database holds no onconet registry (no networks table), so there is nothing to back up; check --data-dir or DATABASE_URL"
        );
    }
    let target = Target::from_url(&database.url)?;
    // Created 0600; removed when dropped (an error, Ctrl-C) unless renamed into place.
    let partial = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".partial")
        .tempfile_in(&folder)
        .with_context(|| format!("cannot create a temporary file in {}", folder.display()))?;
    let bar = progress_bar(progress, None, "backing up");
    let dumped = tokio::select! {
        r = backup::dump(&target, partial.path(), |table| {
            bar.inc(1);
            bar.set_message(table.to_owned());
        }) => r.map_err(anyhow::Error::from),
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
    };
    bar.finish_and_clear();
    database.close();
    dumped.context("no backup was written")?;
    let contents = backup::contents(partial.path())
        .await
        .context("the backup just written cannot be read back; no backup was written")?;
    partial
        .as_file()
        .sync_all()
        .context("cannot sync the backup to disk")?;
    let bytes = partial.as_file().metadata()?.len();
    let persisted = if force {
        partial.persist(out)
    } else {
        // Fails if someone else made the file meanwhile.
        partial.persist_noclobber(out)
    };
    persisted.map_err(|e| {
        anyhow::anyhow!(
            "cannot rename the finished backup to {}: {}; no backup was written",
            out.display(),
            e.error
        )
    })?;
    // The rename is durable once the folder is.
    std::fs::File::open(&folder)
        .and_then(|dir| dir.sync_all())
        .with_context(|| format!("cannot sync the folder {}", folder.display()))?;
    Ok(BackupReport {
        file: out.to_owned(),
        bytes,
        tables: contents.tables.len(),
        elapsed: started.elapsed(),
    })
}

/// `onconet restore FILE`.
pub async fn restore(data: &DataSettings, file: &Path, progress: bool) -> Result<RestoreReport> {
    let started = Instant::now();
    if !file.is_file() {
        bail!("{} does not exist or is not a file", file.display());
    }
    // The whole file before any database is touched (or an embedded one initialised).
    let contents = backup::contents(file).await?;
    backup::check_readable(file).await?;
    let mut database = Database::open(data)?;
    let into = match &data.database_url {
        Some(url) => format!("the database {}", redacted(url)),
        None => format!("the embedded database in {}", data.data_dir.display()),
    };
    let result = async {
        let present = backup::user_relations(&database.url)
            .await
            .with_context(|| format!("cannot look into {into}"))?;
        if !present.is_empty() {
            let some: Vec<&str> = present.iter().take(5).map(String::as_str).collect();
            bail!(
                "{into} is not empty (it holds {} tables, views or sequences: {}{}); nothing was changed. `onconet restore` only restores into an empty database: create a new one, or give a new --data-dir",
                present.len(),
                some.join(", "),
                if present.len() > some.len() { ", …" } else { "" }
            );
        }
        let target = Target::from_url(&database.url)?;
        let bar = progress_bar(progress, Some(contents.tables.len()), "restoring");
        let restored = tokio::select! {
            r = backup::restore(&target, file, |table| {
                bar.inc(1);
                bar.set_message(table.to_owned());
            }) => r.map_err(anyhow::Error::from),
            _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
        };
        bar.finish_and_clear();
        restored.with_context(|| format!("nothing was restored into {into}"))?;
        use secrecy::ExposeSecret;
        let applied = onconet_db::migrations::run_pending(database.url.expose_secret())
            .await
            .context("the backup was restored, but migrating it to this version failed")?;
        let (networks, revisions, regions) = backup::registry_counts(&database.url).await?;
        Ok(RestoreReport {
            into: into.clone(),
            tables: contents.tables.len(),
            networks,
            revisions,
            regions,
            migrations: applied.len(),
            elapsed: started.elapsed(),
        })
    }
    .await;
    database.close();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_destination_is_checked_before_anything_runs() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let existing = dir.path().join("there.backup");
        std::fs::write(&existing, "old").unwrap_or_else(|e| panic!("{e}"));
        let err = |out: &Path, force| {
            check_destination(out, force)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(err(&existing, false).contains("--force"));
        assert!(check_destination(&existing, true).is_ok());
        assert!(err(&dir.path().join("missing/x.backup"), false).contains("does not exist"));
        assert!(err(dir.path(), true).contains("is a folder"));
        let (folder, name) =
            check_destination(Path::new("x.backup"), false).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((folder, name.as_str()), (PathBuf::from("."), "x.backup"));
    }
}
