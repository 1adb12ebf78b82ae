//! Change notifications between instances sharing one database (PostgreSQL LISTEN/NOTIFY).

use crate::DbError;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// The channel every change is announced on.
pub const CHANNEL: &str = "onconet_changes";

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A network was written: read it again.
    Network(uuid::Uuid),
    /// A network's row is as it was, but time changed what it shows (its verification ran
    /// out): render it again, at the same version.
    Aged(uuid::Uuid),
    RegionLayer(String),
}

impl Change {
    pub fn payload(&self) -> String {
        match self {
            Change::Network(id) => format!("network:{id}"),
            Change::Aged(id) => format!("aged:{id}"),
            Change::RegionLayer(layer) => format!("regions:{layer}"),
        }
    }

    pub fn parse(payload: &str) -> Option<Self> {
        match payload.split_once(':')? {
            ("network", id) => uuid::Uuid::parse_str(id).ok().map(Change::Network),
            ("aged", id) => uuid::Uuid::parse_str(id).ok().map(Change::Aged),
            ("regions", layer) => Some(Change::RegionLayer(layer.to_owned())),
            _ => None,
        }
    }
}

/// Announces `change`; inside a transaction it is delivered on commit, and not at all on
/// rollback.
pub async fn notify(conn: &mut AsyncPgConnection, change: &Change) -> Result<(), DbError> {
    diesel::sql_query("SELECT pg_notify($1, $2)")
        .bind::<diesel::sql_types::Text, _>(CHANNEL)
        .bind::<diesel::sql_types::Text, _>(change.payload())
        .execute(conn)
        .await?;
    Ok(())
}

/// Announces many changes in one statement (delivered on commit, like [`notify`]).
pub async fn notify_many(conn: &mut AsyncPgConnection, changes: &[Change]) -> Result<(), DbError> {
    if changes.is_empty() {
        return Ok(());
    }
    let payloads: Vec<String> = changes.iter().map(Change::payload).collect();
    diesel::sql_query("SELECT pg_notify($1, p) FROM unnest($2) AS p")
        .bind::<diesel::sql_types::Text, _>(CHANNEL)
        .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(payloads)
        .execute(conn)
        .await?;
    Ok(())
}

/// Starts listening on [`CHANNEL`] on this (dedicated) connection.
pub async fn listen(conn: &mut AsyncPgConnection) -> Result<(), DbError> {
    diesel::sql_query(format!("LISTEN {CHANNEL}"))
        .execute(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        let id = uuid::Uuid::new_v4();
        for c in [
            Change::Network(id),
            Change::Aged(id),
            Change::RegionLayer("pc4".into()),
            Change::RegionLayer("ros_area".into()),
        ] {
            assert_eq!(Change::parse(&c.payload()), Some(c));
        }
        assert_eq!(Change::parse("nonsense"), None);
    }
}
