//! Bulk import: the rows of a file (profile documents, read by `onconet_exchange`) written in
//! one transaction, or none of them. Every row goes through the rules of `POST /v1/networks`;
//! a row that names an `id` or an `external_id` (with its `ros_org`) of a stored network
//! updates that network, field by field as in a merge patch (a field the file leaves out
//! stays as it is), and only when something changed: importing the same file again writes
//! nothing. Each write keeps a revision with the action `imported`. A dry run does all of
//! it and rolls back, so its report is what the import would do.

use crate::Registry;
use crate::error::{Error, Invalid, Result};
use crate::networks::{Author, ProfileDocument, check_references, new_revision, record};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use onconet_db::models::{NewNetwork, NewRevision, ProfileColumns, snapshot};
use onconet_db::networks as q;
use onconet_db::notify::{self, Change};
use onconet_domain::{Network, NetworkProfile, RegistryState};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// The fields of an exported network that the registry sets: an import leaves them be.
const READ_ONLY: &[&str] = &[
    "state",
    "version",
    "created_at",
    "updated_at",
    "last_verified_at",
    "verification_overdue",
    "qualification",
    "demo",
    "area_km2",
];

/// The field of an exported financing entry that the registry sets (its toolbox link).
const FINANCING_READ_ONLY: &str = "toolbox";

/// At most this many problems are reported (a file that is wrong throughout says so soon).
pub const MAX_PROBLEMS: usize = 1_000;

/// One row of an imported file.
#[derive(Debug, Clone)]
pub struct ImportRow {
    /// Where it is in the file (row, line or feature, as the file counts them).
    pub at: usize,
    /// The profile document, plus `id` when the file names one.
    pub document: Map<String, Value>,
}

/// What became of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
        }
    }
}

/// What an import did (or, dry, would do).
#[derive(Debug, Clone)]
pub struct ImportReport {
    pub dry_run: bool,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Per row: where it is, the network it became, what happened.
    pub rows: Vec<(usize, Uuid, Outcome)>,
}

/// How far an import is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Rows checked against the rules (and their areas derived).
    Checking,
    /// Rows written.
    Writing,
}

/// Called with the stage, rows done and rows in all.
pub type Progress<'a> = &'a (dyn Fn(Stage, usize, usize) + Send + Sync);

/// Where a row goes: the network it updates (locked), or a new one.
struct Target {
    at: usize,
    id: Uuid,
    current: Option<Network>,
    document: Map<String, Value>,
}

/// A dry run ends its transaction with this, so nothing stays.
enum Abort {
    Dry(ImportReport),
    Failed(Error),
}

impl From<Error> for Abort {
    fn from(e: Error) -> Self {
        Abort::Failed(e)
    }
}

impl From<diesel::result::Error> for Abort {
    fn from(e: diesel::result::Error) -> Self {
        Abort::Failed(e.into())
    }
}

fn text_of(doc: &Map<String, Value>, key: &str) -> Option<String> {
    doc.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Problems sorted by row and capped at [`MAX_PROBLEMS`].
fn finish(mut problems: Vec<Invalid>) -> Error {
    problems.sort_by_key(|p| p.row.unwrap_or(0));
    let total = problems.len();
    if total > MAX_PROBLEMS {
        problems.truncate(MAX_PROBLEMS);
        problems.push(Invalid::in_file(
            None,
            "too_many_problems",
            format!(
                "{} more problems are not listed; fix these first",
                total - MAX_PROBLEMS
            ),
        ));
    }
    Error::Invalid(problems)
}

/// Imports are for IKNL staff and admins.
pub fn check_may_import(actor: &onconet_domain::Actor) -> Result<()> {
    if actor.is_registry_staff() {
        Ok(())
    } else if actor.roles.is_empty() {
        Err(Error::Forbidden(
            "your token carries no onconet role".into(),
        ))
    } else {
        Err(Error::Forbidden(
            "imports are for IKNL staff and admins; a ROS adviser registers networks one at a time (POST /v1/networks)".into(),
        ))
    }
}

impl Registry {
    /// Imports `rows` as `ctx.actor` (IKNL staff or an admin). `earlier` are the problems found
    /// while reading the file: with any of them, or any row breaking a rule, nothing is
    /// written and every problem comes back at once, by row and field.
    pub async fn import<D: ProfileDocument>(
        &self,
        ctx: &Author<'_>,
        rows: Vec<ImportRow>,
        earlier: Vec<Invalid>,
        dry_run: bool,
        progress: Progress<'_>,
    ) -> Result<ImportReport> {
        check_may_import(ctx.actor)?;
        if rows.is_empty() && earlier.is_empty() {
            return Err(Error::Invalid(vec![Invalid::in_file(
                None,
                "empty_file",
                "the file holds no network",
            )]));
        }
        let mut conn = self.conn().await?;
        let outcome = conn
            .transaction::<_, Abort, _>(async |conn| {
                let report = self
                    .import_in::<D>(conn, ctx, rows, earlier, dry_run, progress)
                    .await?;
                if dry_run {
                    Err(Abort::Dry(report.0))
                } else {
                    Ok(report)
                }
            })
            .await;
        let (report, networks) = match outcome {
            Ok(done) => done,
            Err(Abort::Dry(report)) => return Ok(report),
            Err(Abort::Failed(e)) => return Err(e),
        };
        for n in &networks {
            self.geo.apply(n)?;
        }
        tracing::info!(
            created = report.created,
            updated = report.updated,
            unchanged = report.unchanged,
            actor = %ctx.actor.sub,
            "import written"
        );
        Ok(report)
    }

    async fn import_in<D: ProfileDocument>(
        &self,
        conn: &mut AsyncPgConnection,
        ctx: &Author<'_>,
        rows: Vec<ImportRow>,
        mut problems: Vec<Invalid>,
        dry_run: bool,
        progress: Progress<'_>,
    ) -> std::result::Result<(ImportReport, Vec<Network>), Abort> {
        let total = rows.len();
        let targets = resolve(conn, rows, &mut problems).await?;

        // Every row against the rules, and the area of every new or changed one, on the
        // blocking pool in parallel.
        let checked = self.check_rows::<D>(&targets, progress).await?;
        let mut writes = Vec::new();
        for (target, result) in targets.into_iter().zip(checked) {
            match result {
                Ok(checked) => writes.push((target, checked)),
                Err(errors) => problems.extend(errors.into_iter().map(|e| e.at_row(target.at))),
            }
        }
        // The rows that passed go on to be written (and rolled back if any row has a problem),
        // so one run finds what only writing finds too: unknown references.

        // A parent must exist when its child is written (a foreign key): in the file or stored.
        let in_file: HashSet<Uuid> = writes.iter().map(|(t, _)| t.id).collect();
        let outside: Vec<Uuid> = writes
            .iter()
            .filter_map(|(_, c)| c.profile.parent_id)
            .filter(|p| !in_file.contains(p))
            .collect();
        let stored: HashSet<Uuid> = q::existing_ids(conn, &outside)
            .await
            .map_err(Error::from)?
            .into_iter()
            .collect();
        writes.retain(|(t, c)| {
            let self_reference = c.profile.parent_id == Some(t.id)
                || c.profile.links.iter().any(|l| l.network_id == t.id);
            if self_reference {
                problems.push(
                    Invalid::pointer(
                        "/parent_id",
                        "self_reference",
                        "a network cannot be its own parent or link to itself",
                    )
                    .at_row(t.at),
                );
                return false;
            }
            match c.profile.parent_id {
                Some(p) if !in_file.contains(&p) && !stored.contains(&p) => {
                    problems.push(
                        Invalid::pointer(
                            "/parent_id",
                            "unknown_network",
                            format!("no network with id {p}, in the registry or in the file"),
                        )
                        .at_row(t.at),
                    );
                    false
                }
                _ => true,
            }
        });
        // Parents before their children; new networks in batches.
        let order = parents_first(&writes);
        let mut report = ImportReport {
            dry_run,
            created: 0,
            updated: 0,
            unchanged: 0,
            rows: Vec::with_capacity(total),
        };
        let writing = writes.len();
        let mut written = Vec::new();
        let mut batch = Batch::default();
        for (n, i) in order.into_iter().enumerate() {
            let (target, checked) = &writes[i];
            let outcome = match (&target.current, checked.changed) {
                (Some(_), false) => Outcome::Unchanged,
                (None, _) => {
                    batch.add(ctx, target.id, checked)?;
                    if batch.networks.len() >= BATCH {
                        batch.flush(conn).await?;
                    }
                    Outcome::Created
                }
                (Some(current), true) => {
                    // An update may name a parent still waiting in the batch.
                    batch.flush(conn).await?;
                    written.push(update_row(conn, ctx, current, checked).await?);
                    Outcome::Updated
                }
            };
            match outcome {
                Outcome::Created => report.created += 1,
                Outcome::Updated => report.updated += 1,
                Outcome::Unchanged => report.unchanged += 1,
            }
            report.rows.push((target.at, target.id, outcome));
            if n % 100 == 0 || n + 1 == writing {
                progress(Stage::Writing, n + 1, writing);
            }
        }
        batch.flush(conn).await?;
        // References are checked once every row is in place: a row may name another row's
        // network as its parent or in its links.
        for (target, checked) in &writes {
            if let Err(e) = check_references(conn, ctx.actor, target.id, &checked.profile).await {
                match e {
                    Error::Invalid(errors) => {
                        problems.extend(errors.into_iter().map(|e| e.at_row(target.at)))
                    }
                    other => return Err(other.into()),
                }
            }
        }
        if !problems.is_empty() {
            return Err(finish(problems).into());
        }
        report.rows.sort_by_key(|r| r.0);
        Ok((report, written))
    }

    /// Checks each target's merged document ([`ProfileDocument::check`]) and derives its
    /// area where it is new or changed, spread over the blocking pool.
    async fn check_rows<D: ProfileDocument>(
        &self,
        targets: &[Target],
        progress: Progress<'_>,
    ) -> Result<Vec<std::result::Result<Checked, Vec<Invalid>>>> {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        let total = targets.len();
        let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut jobs = Vec::new();
        let chunk = total.div_ceil(workers).max(1);
        for part in targets.chunks(chunk) {
            let part: Vec<(Uuid, Option<NetworkProfile>, Map<String, Value>)> = part
                .iter()
                .map(|t| {
                    (
                        t.id,
                        t.current.as_ref().map(|c| c.profile.clone()),
                        t.document.clone(),
                    )
                })
                .collect();
            let vocabularies = self.vocabularies.clone();
            let geo = self.geo.clone();
            let done = done.clone();
            jobs.push(tokio::task::spawn_blocking(move || {
                part.into_iter()
                    .map(|(id, current, row)| {
                        let result = check_one::<D>(id, current.as_ref(), row, &vocabularies, &geo);
                        done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        result
                    })
                    .collect::<Vec<_>>()
            }));
        }
        let mut out = Vec::with_capacity(total);
        let mut waiting = jobs.into_iter();
        // Report progress while the workers run.
        let mut next = waiting.next();
        while let Some(job) = next.as_mut() {
            tokio::select! {
                result = job => {
                    out.extend(result.map_err(Error::internal)?);
                    next = waiting.next();
                }
                _ = tokio::time::sleep(std::time::Duration::from_millis(200)) => {}
            }
            progress(
                Stage::Checking,
                done.load(std::sync::atomic::Ordering::Relaxed),
                total,
            );
        }
        progress(Stage::Checking, total, total);
        Ok(out)
    }
}

/// How many new networks one INSERT writes.
const BATCH: usize = 500;

/// New networks waiting to be written, with their revisions and announcements.
#[derive(Default)]
struct Batch {
    networks: Vec<NewNetwork>,
    revisions: Vec<NewRevision>,
    changes: Vec<Change>,
}

impl Batch {
    fn add(&mut self, ctx: &Author<'_>, id: Uuid, checked: &Checked) -> Result<()> {
        let area = checked.area()?;
        let area_km2 = area.as_ref().map(|a| a.1);
        let columns = ProfileColumns::from_profile(&checked.profile, area)?;
        let now = chrono::Utc::now();
        // The network as the insert stores it, for its revision's snapshot.
        let network = Network {
            id,
            profile: checked.profile.clone(),
            state: RegistryState::Draft,
            version: 1,
            created_at: now,
            updated_at: now,
            last_verified_at: None,
            demo: false,
            area: None,
            area_km2,
        };
        self.revisions
            .push(new_revision(ctx, &network, "imported", None, None)?);
        self.networks.push(NewNetwork {
            id,
            profile: columns,
            state: RegistryState::Draft.as_str().into(),
            demo: false,
        });
        self.changes.push(Change::Network(id));
        Ok(())
    }

    async fn flush(&mut self, conn: &mut AsyncPgConnection) -> Result<()> {
        q::insert_many(conn, &self.networks).await?;
        crate::webhooks::keep_revisions(conn, &self.revisions).await?;
        notify::notify_many(conn, &self.changes).await?;
        self.networks.clear();
        self.revisions.clear();
        self.changes.clear();
        Ok(())
    }
}

/// Writes a changed row onto its stored network, with the revision, and tells the other
/// instances.
async fn update_row(
    conn: &mut AsyncPgConnection,
    ctx: &Author<'_>,
    current: &Network,
    checked: &Checked,
) -> Result<Network> {
    let columns = ProfileColumns::from_profile(&checked.profile, checked.area()?)?;
    let before = snapshot(current)?;
    let updated = crate::networks::store_profile(conn, current, &columns).await?;
    record(conn, ctx, &updated, "imported", Some(&before), None).await?;
    notify::notify(conn, &Change::Network(updated.id)).await?;
    Ok(updated)
}

/// A row checked: the profile it gives, whether that differs from the stored one (always for
/// a new network), and then its derived area.
#[derive(Debug, Clone)]
struct Checked {
    profile: NetworkProfile,
    changed: bool,
    /// As JSON text until it is written: ten thousand areas as `serde_json::Value` trees take
    /// about a gigabyte, as text a tenth of that.
    area: Option<(String, f64)>,
}

impl Checked {
    fn area(&self) -> Result<Option<(Value, f64)>> {
        self.area
            .as_ref()
            .map(|(text, km2)| {
                serde_json::from_str(text)
                    .map(|v| (v, *km2))
                    .map_err(Error::internal)
            })
            .transpose()
    }
}

/// A row's document merged onto the stored profile (if any), read and checked, and its area
/// derived unless the profile is the stored one.
fn check_one<D: ProfileDocument>(
    id: Uuid,
    current: Option<&NetworkProfile>,
    row: Map<String, Value>,
    vocabularies: &onconet_domain::Vocabularies,
    geo: &crate::GeoState,
) -> std::result::Result<Checked, Vec<Invalid>> {
    let mut doc = match current {
        Some(c) => D::document(c),
        None => Value::Object(Map::new()),
    };
    json_patch::merge(&mut doc, &Value::Object(row));
    let document = D::from_document(doc).map_err(|e| match e {
        Error::Invalid(errors) => errors,
        Error::BadRequest { errors, detail } if errors.is_empty() => {
            vec![Invalid::in_file(None, "invalid_document", detail)]
        }
        Error::BadRequest { errors, .. } => errors,
        other => vec![Invalid::in_file(
            None,
            "invalid_document",
            other.to_string(),
        )],
    })?;
    let checked = document.check(id, vocabularies, geo.max_vertices())?;
    if current == Some(&checked.profile) {
        return Ok(Checked {
            profile: checked.profile,
            changed: false,
            area: None,
        });
    }
    let area = geo
        .derive_area(&checked.profile.service_area, checked.geometry.as_ref())
        .map_err(|e| match e {
            Error::Invalid(errors) => errors,
            other => vec![Invalid::in_file(
                None,
                "invalid_service_area",
                other.to_string(),
            )],
        })?;
    Ok(Checked {
        profile: checked.profile,
        changed: true,
        area: area.map(|a| (a.geojson.to_string(), a.area_km2)),
    })
}

/// Finds the network each row updates: by `id` when it names one (a stored network, or the id
/// a new one gets), else by `ros_org` and `external_id`; new rows get a new id. Two rows for
/// the same network, or a row whose `id` and `external_id` lead to different networks, are
/// problems. Stored networks found are locked until the import ends.
async fn resolve(
    conn: &mut AsyncPgConnection,
    rows: Vec<ImportRow>,
    problems: &mut Vec<Invalid>,
) -> Result<Vec<Target>> {
    let mut named_ids = Vec::new();
    let mut keys: HashMap<Option<String>, Vec<String>> = HashMap::new();
    let mut prepared = Vec::with_capacity(rows.len());
    for mut row in rows {
        // What an export (NDJSON, GeoJSON) carries besides the profile: the registry's own.
        for key in READ_ONLY {
            row.document.remove(*key);
        }
        // Each financing entry's link to the toolbox is the registry's too.
        if let Some(Value::Array(entries)) = row.document.get_mut("financing") {
            for entry in entries.iter_mut() {
                if let Value::Object(entry) = entry {
                    entry.remove(FINANCING_READ_ONLY);
                }
            }
        }
        let id = match row.document.remove("id") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => match Uuid::parse_str(s.trim()) {
                Ok(id) => Some(id),
                Err(_) => {
                    problems.push(
                        Invalid::pointer("/id", "invalid_format", "must be a UUID").at_row(row.at),
                    );
                    continue;
                }
            },
            Some(_) => {
                problems.push(
                    Invalid::pointer("/id", "invalid_type", "must be a UUID string").at_row(row.at),
                );
                continue;
            }
        };
        let key =
            text_of(&row.document, "external_id").map(|k| (text_of(&row.document, "ros_org"), k));
        if let Some((ros, k)) = &key {
            keys.entry(ros.clone()).or_default().push(k.clone());
        }
        named_ids.extend(id);
        prepared.push((row, id, key));
    }
    let mut by_key: HashMap<(Option<String>, String), Uuid> = HashMap::new();
    let mut wanted: HashSet<Uuid> = named_ids.iter().copied().collect();
    for (ros, list) in &keys {
        for (k, id) in q::by_external_ids(conn, ros.as_deref(), list).await? {
            by_key.insert((ros.clone(), k), id);
            wanted.insert(id);
        }
    }
    let wanted: Vec<Uuid> = wanted.into_iter().collect();
    let stored: HashMap<Uuid, Network> = q::find_many_for_update(conn, &wanted)
        .await?
        .into_iter()
        // Without their derived areas (the bulk of a row): a changed row derives its own.
        .map(|r| r.into_domain().map(|n| (n.id, n)))
        .collect::<std::result::Result<_, _>>()?;

    let mut targets = Vec::with_capacity(prepared.len());
    let mut seen_ids: HashMap<Uuid, usize> = HashMap::new();
    let mut seen_keys: HashMap<(Option<String>, String), usize> = HashMap::new();
    for (row, id, key) in prepared {
        if let Some(k) = &key
            && let Some(first) = seen_keys.insert(k.clone(), row.at)
        {
            problems.push(
                Invalid::pointer(
                    "/external_id",
                    "duplicate",
                    format!(
                        "row {first} of the file has the same external_id (for the same ros_org)"
                    ),
                )
                .at_row(row.at),
            );
            continue;
        }
        let by_external = key.as_ref().and_then(|k| by_key.get(k)).copied();
        let id = match (id, by_external) {
            (Some(named), Some(found)) if named != found => {
                problems.push(
                    Invalid::pointer(
                        "/external_id",
                        "conflict",
                        format!("this external_id belongs to network {found}, not to the row's id {named}"),
                    )
                    .at_row(row.at),
                );
                continue;
            }
            (Some(named), _) => named,
            (None, Some(found)) => found,
            (None, None) => Uuid::now_v7(),
        };
        if let Some(first) = seen_ids.insert(id, row.at) {
            problems.push(
                Invalid::pointer(
                    "/id",
                    "duplicate",
                    format!("row {first} of the file is the same network"),
                )
                .at_row(row.at),
            );
            continue;
        }
        targets.push(Target {
            at: row.at,
            id,
            current: stored.get(&id).cloned(),
            document: row.document,
        });
    }
    Ok(targets)
}

/// The order to write rows in: a row whose parent is another row of the file after it.
fn parents_first(writes: &[(Target, Checked)]) -> Vec<usize> {
    let index: HashMap<Uuid, usize> = writes
        .iter()
        .enumerate()
        .map(|(i, (t, _))| (t.id, i))
        .collect();
    let mut order = Vec::with_capacity(writes.len());
    let mut state = vec![0u8; writes.len()]; // 0 new, 1 on the path, 2 placed
    for start in 0..writes.len() {
        let mut path = vec![start];
        while let Some(&i) = path.last() {
            if state[i] == 2 {
                path.pop();
                continue;
            }
            state[i] = 1;
            let parent = writes[i]
                .1
                .profile
                .parent_id
                .and_then(|p| index.get(&p).copied())
                .filter(|&p| state[p] == 0);
            match parent {
                Some(p) => path.push(p),
                None => {
                    state[i] = 2;
                    order.push(i);
                    path.pop();
                }
            }
        }
    }
    order
}
