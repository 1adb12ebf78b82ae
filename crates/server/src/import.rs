//! `onconet networks import FILE [--dry-run]`: the same import as `POST /v1/imports`, run by
//! an operator against the database, with a progress bar on a terminal.

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use onconet_api::dto::network::NetworkBody;
use onconet_domain::{Actor, Role};
use onconet_exchange::Format;
use onconet_registry::imports::{ImportReport, ImportRow, Stage};
use onconet_registry::{Author, Invalid, Registry};
use std::path::Path;
use std::sync::Arc;

/// What the operator asked for.
pub struct ImportRequest<'a> {
    pub file: &'a Path,
    /// The file's format; by its extension when absent.
    pub format: Option<Format>,
    pub dry_run: bool,
    /// Show a progress bar (stderr is a terminal).
    pub progress: bool,
}

/// One problem as a line: where, what, why.
pub fn describe(p: &Invalid, unit: &str) -> String {
    let mut at = Vec::new();
    if let Some(row) = p.row {
        at.push(format!("{unit} {row}"));
    }
    if let Some(column) = &p.column {
        at.push(format!("column \"{column}\""));
    }
    if let Some(pointer) = &p.pointer {
        at.push(pointer.clone());
    }
    let at = if at.is_empty() {
        "file".to_owned()
    } else {
        at.join(", ")
    };
    format!("{at}: {} [{}]", p.detail, p.code)
}

fn bar(progress: bool) -> ProgressBar {
    let bar = if progress {
        ProgressBar::new(0)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{msg:10} [{bar:40}] {pos}/{len} rows ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

/// Reads and imports the file through `registry` as the operator (an admin). `Err` with every
/// problem, one per line, when the file has any (nothing is written then).
pub async fn run(registry: &Registry, request: &ImportRequest<'_>) -> Result<ImportReport> {
    let name = request.file.display().to_string();
    let format = match request.format {
        Some(f) => f,
        None => Format::from_file_name(&name).with_context(|| {
            format!("cannot tell the format of {name} from its extension; give --format csv, xlsx, geojson or ndjson")
        })?,
    };
    let bytes = std::fs::read(request.file).with_context(|| format!("cannot read {name}"))?;
    let bar = Arc::new(bar(request.progress));
    bar.set_message("reading");
    let mut parsed = tokio::task::spawn_blocking(move || onconet_exchange::read(&bytes, format))
        .await
        .context("reading the file failed")?;
    let unit = parsed.unit.as_str();
    let earlier: Vec<Invalid> = parsed
        .problems
        .iter()
        .map(|p| {
            let mut i = Invalid::in_file(p.at, p.code, p.detail.clone());
            i.column = p.column.clone();
            i
        })
        .collect();
    let rows: Vec<ImportRow> = std::mem::take(&mut parsed.rows)
        .into_iter()
        .map(|r| ImportRow {
            at: r.at,
            document: r.document,
        })
        .collect();
    let user = std::env::var("USER").unwrap_or_else(|_| "operator".into());
    let actor = Actor {
        sub: format!("cli:{user}"),
        name: Some(format!("{user} (onconet networks import)")),
        roles: vec![Role::Admin],
        org: None,
    };
    let author = Author {
        actor: &actor,
        request_id: None,
    };
    let shown = bar.clone();
    let progress = move |stage: Stage, done: usize, total: usize| {
        shown.set_message(match stage {
            Stage::Checking => "checking",
            Stage::Writing => "writing",
        });
        shown.set_length(total as u64);
        shown.set_position(done as u64);
    };
    let result = registry
        .import::<NetworkBody>(&author, rows, earlier, request.dry_run, &progress)
        .await;
    bar.finish_and_clear();
    match result {
        Ok(report) => Ok(report),
        Err(onconet_registry::Error::Invalid(problems)) => {
            let mut text = format!(
                "{name} has {} problem(s); nothing was imported:\n",
                problems.len()
            );
            for mut p in problems {
                if p.column.is_none()
                    && let Some(pointer) = &p.pointer
                {
                    p.column = parsed.heading_for(pointer);
                }
                text.push_str("  ");
                text.push_str(&describe(&p, unit));
                text.push('\n');
            }
            bail!(text.trim_end().to_owned())
        }
        Err(e) => Err(anyhow::anyhow!("the import failed: {e}")),
    }
}

/// The peak resident memory of this process so far (Linux: `VmHWM`), e.g. `183 MB`.
pub fn peak_memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(format!("{} MB", kb / 1024))
}
