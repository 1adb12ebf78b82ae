//! Backups of the onconet database: `pg_dump` custom-format archives and `pg_restore` of them,
//! with the same PostgreSQL binaries the embedded launcher uses (`embedded::find_tool`).
//!
//! `pg_dump` reads one snapshot (a `REPEATABLE READ, READ ONLY` transaction), so a backup taken
//! while servers write is consistent, and it takes only `ACCESS SHARE` locks, which block no
//! read or write of the registry. A restore runs in one transaction (`--single-transaction`),
//! so a broken archive leaves nothing behind.
//!
//! The password of a connection URL never appears on a command line: it is taken out of the
//! URL and handed over in `PGPASSWORD`.

use crate::DbError;
use crate::embedded::{EmbeddedError, find_tool};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use secrecy::{ExposeSecret, SecretString};
use std::path::Path;
use std::process::Stdio;
use thiserror::Error;
use tokio::io::{AsyncBufReadExt, BufReader};

/// The tools' sessions in `pg_stat_activity` (so a DBA sees what waits on what).
const APPLICATION_NAME: &str = "onconet backup";

#[derive(Debug, Error)]
pub enum BackupError {
    #[error(transparent)]
    Tools(#[from] EmbeddedError),
    #[error("{0}")]
    Url(String),
    #[error("`{tool}` failed: {detail}")]
    Failed { tool: &'static str, detail: String },
    #[error(
        "{file} is not a backup made by `onconet backup` (a pg_dump custom-format archive): {detail}"
    )]
    NotAnArchive { file: String, detail: String },
    #[error(
        "{file} is a PostgreSQL archive, but not of an onconet database (it has no {missing} table)"
    )]
    NotOnconet { file: String, missing: &'static str },
    #[error(transparent)]
    Db(#[from] DbError),
}

/// How `pg_dump`/`pg_restore` reach a database: the URL without its password (a command-line
/// argument, visible to `ps`) and the password (in the environment of the child only).
pub struct Target {
    url: String,
    password: Option<SecretString>,
}

impl Target {
    /// Splits `url` (a `postgresql://` or `postgres://` URL).
    pub fn from_url(url: &SecretString) -> Result<Self, BackupError> {
        let not_url = || {
            BackupError::Url(
                "the database must be given as a postgresql:// URL (DATABASE_URL); key=value connection strings are not supported by backup and restore".into(),
            )
        };
        let mut parsed = url::Url::parse(url.expose_secret()).map_err(|_| not_url())?;
        if !matches!(parsed.scheme(), "postgresql" | "postgres") {
            return Err(not_url());
        }
        let mut password = parsed.password().map(percent_decode);
        if password.is_some() && parsed.set_password(None).is_err() {
            return Err(BackupError::Url(
                "cannot take the password out of DATABASE_URL (it has no host); give the host in the URL".into(),
            ));
        }
        // `?password=` is libpq's other place for it.
        let mut query: Vec<(String, String)> = Vec::new();
        let mut had_query = false;
        for (key, value) in parsed.query_pairs() {
            had_query = true;
            if key == "password" {
                password = Some(value.into_owned());
            } else {
                query.push((key.into_owned(), value.into_owned()));
            }
        }
        if had_query {
            if query.is_empty() {
                parsed.set_query(None);
            } else {
                parsed.query_pairs_mut().clear().extend_pairs(query);
            }
        }
        Ok(Self {
            url: parsed.to_string(),
            password: password.map(SecretString::from),
        })
    }

    /// The URL handed to the tools (never with a password).
    pub fn url_argument(&self) -> &str {
        &self.url
    }

    fn apply(&self, command: &mut tokio::process::Command) {
        command.env("PGAPPNAME", APPLICATION_NAME);
        if let Some(password) = &self.password {
            command.env("PGPASSWORD", password.expose_secret());
        }
    }
}

/// `%xx` escapes of a URL's user info, decoded (invalid escapes are kept as they are).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What an archive's table of contents says.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Contents {
    /// Tables whose rows the archive holds, as `schema.name`.
    pub tables: Vec<String>,
}

impl Contents {
    /// Reads `pg_restore --list` output.
    pub fn parse(listing: &str) -> Self {
        let tables = listing
            .lines()
            .filter(|l| !l.starts_with(';'))
            .filter_map(|l| l.split_once("; ").map(|(_, rest)| rest))
            .filter_map(|rest| {
                let words: Vec<&str> = rest.split_whitespace().collect();
                match words.as_slice() {
                    [_, _, "TABLE", "DATA", schema, name, ..] => Some(format!("{schema}.{name}")),
                    _ => None,
                }
            })
            .collect();
        Self { tables }
    }

    /// Whether this is an archive of an onconet database, or which table says it is not.
    fn check_onconet(&self) -> Result<(), &'static str> {
        for table in ["public.__diesel_schema_migrations", "public.networks"] {
            if !self.tables.iter().any(|t| t == table) {
                return Err(table);
            }
        }
        Ok(())
    }
}

/// The table of contents of `file`, checked to be an onconet archive. Reads only the head of
/// the file (see [`check_readable`] for all of it).
pub async fn contents(file: &Path) -> Result<Contents, BackupError> {
    let contents = listing(file).await?;
    contents
        .check_onconet()
        .map_err(|missing| BackupError::NotOnconet {
            file: file.display().to_string(),
            missing,
        })?;
    Ok(contents)
}

/// The table of contents of `file`, whatever database it came from.
pub async fn listing(file: &Path) -> Result<Contents, BackupError> {
    let out = tokio::process::Command::new(find_tool("pg_restore")?)
        .arg("--list")
        .arg(file)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|e| failed("pg_restore", e.to_string()))?;
    if !out.status.success() {
        return Err(BackupError::NotAnArchive {
            file: file.display().to_string(),
            detail: problems(&String::from_utf8_lossy(&out.stderr)),
        });
    }
    Ok(Contents::parse(&String::from_utf8_lossy(&out.stdout)))
}

/// Reads the whole archive as a restore would (without a database): a truncated or damaged
/// file fails here, before anything is written anywhere.
pub async fn check_readable(file: &Path) -> Result<(), BackupError> {
    let out = tokio::process::Command::new(find_tool("pg_restore")?)
        .args(["--file", "/dev/null"])
        .arg(file)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|e| failed("pg_restore", e.to_string()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(BackupError::NotAnArchive {
            file: file.display().to_string(),
            detail: format!(
                "it cannot be read to the end, so it is probably truncated or damaged ({})",
                problems(&String::from_utf8_lossy(&out.stderr))
            ),
        })
    }
}

/// `pg_dump --format=custom` of `target` into `file` (which is overwritten). `on_table` hears
/// each table as its rows are written.
pub async fn dump(
    target: &Target,
    file: &Path,
    on_table: impl FnMut(&str),
) -> Result<(), BackupError> {
    let mut command = tokio::process::Command::new(find_tool("pg_dump")?);
    command
        .args(["--format=custom", "--verbose", "--no-password", "--file"])
        .arg(file)
        .arg("--dbname")
        .arg(target.url_argument());
    target.apply(&mut command);
    run("pg_dump", command, "dumping contents of table ", on_table).await
}

/// `pg_restore` of `file` into `target`, in one transaction (so all or nothing), without the
/// archive's owners and privileges (the target's roles are not the source's). `on_table` hears
/// each table as its rows are read.
pub async fn restore(
    target: &Target,
    file: &Path,
    on_table: impl FnMut(&str),
) -> Result<(), BackupError> {
    let mut command = tokio::process::Command::new(find_tool("pg_restore")?);
    command
        .args([
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
            "--verbose",
            "--no-password",
            "--dbname",
        ])
        .arg(target.url_argument())
        .arg(file);
    target.apply(&mut command);
    run(
        "pg_restore",
        command,
        "processing data for table ",
        on_table,
    )
    .await
}

/// Runs `tool`, calling `on_table` for each verbose line that starts (after the tool's name)
/// with `marker`; fails with the tool's error lines. The child is killed if this future is
/// dropped (Ctrl-C).
async fn run(
    tool: &'static str,
    mut command: tokio::process::Command,
    marker: &str,
    mut on_table: impl FnMut(&str),
) -> Result<(), BackupError> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| failed(tool, e.to_string()))?;
    let mut said = String::new();
    if let Some(stderr) = child.stderr.take() {
        let mut lines = BufReader::new(stderr).lines();
        while let Some(line) = lines
            .next_line()
            .await
            .map_err(|e| failed(tool, e.to_string()))?
        {
            let text = line
                .strip_prefix(tool)
                .and_then(|l| l.strip_prefix(": "))
                .unwrap_or(&line);
            if let Some(table) = text.strip_prefix(marker) {
                on_table(table.trim_matches('"'));
            }
            said.push_str(&line);
            said.push('\n');
        }
    }
    let status = child
        .wait()
        .await
        .map_err(|e| failed(tool, e.to_string()))?;
    if status.success() {
        Ok(())
    } else {
        Err(failed(tool, problems(&said)))
    }
}

fn failed(tool: &'static str, detail: String) -> BackupError {
    BackupError::Failed { tool, detail }
}

/// The error lines of a tool's (verbose) output, or its last lines when none says `error`.
fn problems(said: &str) -> String {
    let lines: Vec<&str> = said
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let errors: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| {
            ["error:", "detail:", "hint:", "FATAL", "ERROR"]
                .iter()
                .any(|w| l.contains(w))
        })
        .collect();
    let shown = if errors.is_empty() {
        &lines[lines.len().saturating_sub(3)..]
    } else {
        &errors[..]
    };
    if shown.is_empty() {
        "no message".into()
    } else {
        shown.join("; ")
    }
}

/// The tables, views and sequences in the database at `url` outside PostgreSQL's own schemas,
/// as `schema.name` (an empty list: nothing a restore could collide with).
pub async fn user_relations(url: &SecretString) -> Result<Vec<String>, DbError> {
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let mut conn = AsyncPgConnection::establish(url.expose_secret())
        .await
        .map_err(|e| DbError::Pool(format!("cannot connect: {e}")))?;
    let names: Vec<Name> = diesel::sql_query(
        "SELECT n.nspname || '.' || c.relname AS name FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') \
           AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
           AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' \
         ORDER BY 1",
    )
    .load(&mut conn)
    .await?;
    Ok(names.into_iter().map(|n| n.name).collect())
}

/// How many networks, revisions and regions the database at `url` holds (for the summary of a
/// restore).
pub async fn registry_counts(url: &SecretString) -> Result<(i64, i64, i64), DbError> {
    #[derive(diesel::QueryableByName)]
    struct Counts {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        networks: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        revisions: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        regions: i64,
    }
    let mut conn = AsyncPgConnection::establish(url.expose_secret())
        .await
        .map_err(|e| DbError::Pool(format!("cannot connect: {e}")))?;
    let c: Counts = diesel::sql_query(
        "SELECT (SELECT count(*) FROM networks) AS networks, \
                (SELECT count(*) FROM network_revisions) AS revisions, \
                (SELECT count(*) FROM regions) AS regions",
    )
    .get_result(&mut conn)
    .await?;
    Ok((c.networks, c.revisions, c.regions))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(url: &str) -> (String, Option<String>) {
        let target = Target::from_url(&SecretString::from(url.to_owned()))
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        (
            target.url,
            target.password.map(|p| p.expose_secret().to_owned()),
        )
    }

    #[test]
    fn the_password_leaves_the_url_for_the_environment() {
        assert_eq!(
            split("postgresql://app:hunter%402@db.example:5432/onconet?sslmode=require"),
            (
                "postgresql://app@db.example:5432/onconet?sslmode=require".into(),
                Some("hunter@2".into())
            )
        );
        assert_eq!(
            split("postgres://app@db.example/onconet?password=s3cret&sslmode=verify-full"),
            (
                "postgres://app@db.example/onconet?sslmode=verify-full".into(),
                Some("s3cret".into())
            )
        );
        assert_eq!(
            split("postgresql://app@db.example/onconet?password=s3cret"),
            (
                "postgresql://app@db.example/onconet".into(),
                Some("s3cret".into())
            )
        );
        // The embedded cluster: a socket directory as the host, no password.
        assert_eq!(
            split("postgresql://onconet@%2Ftmp%2Fx%2Frun:5432/onconet"),
            (
                "postgresql://onconet@%2Ftmp%2Fx%2Frun:5432/onconet".into(),
                None
            )
        );
    }

    #[test]
    fn only_urls_are_accepted() {
        for bad in ["host=db user=app password=x", "mysql://app:x@db/onconet"] {
            let err = Target::from_url(&SecretString::from(bad.to_owned()))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains("postgresql:// URL"), "{bad}: {err}");
            assert!(
                !err.contains("password=x") && !err.contains("app:x"),
                "{err}"
            );
        }
    }

    #[test]
    fn the_listing_names_the_tables_with_rows() {
        let listing = ";\n; Archive created at 2026-12-06 17:30:00 UTC\n;     Format: CUSTOM\n;\n\
            3; 3079 16385 EXTENSION - unaccent \n\
            218; 1259 16398 TABLE public networks onconet\n\
            219; 1259 16399 TABLE public __diesel_schema_migrations onconet\n\
            3950; 0 16398 TABLE DATA public networks onconet\n\
            3951; 0 16399 TABLE DATA public __diesel_schema_migrations \n\
            3952; 0 0 SEQUENCE SET public network_revisions_id_seq onconet\n";
        let contents = Contents::parse(listing);
        assert_eq!(
            contents.tables,
            ["public.networks", "public.__diesel_schema_migrations"]
        );
        assert_eq!(contents.check_onconet(), Ok(()));
        assert_eq!(
            Contents::parse("3950; 0 16398 TABLE DATA public things x\n").check_onconet(),
            Err("public.__diesel_schema_migrations")
        );
    }

    #[test]
    fn problems_are_the_error_lines() {
        let said = "pg_dump: last built-in OID is 16383\npg_dump: reading extensions\n\
            pg_dump: error: connection to server failed: FATAL:  database \"x\" does not exist\n";
        assert_eq!(
            problems(said),
            "pg_dump: error: connection to server failed: FATAL:  database \"x\" does not exist"
        );
        assert_eq!(problems("a\nb\nc\nd\n"), "b; c; d");
    }
}
