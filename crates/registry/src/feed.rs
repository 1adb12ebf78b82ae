//! The change feed of published networks, for sites that sync: revisions in commit order
//! (their id is the cursor), each with the network's public profile as it is *now*.

use crate::Registry;
use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use onconet_domain::{Network, RegistryState};
use std::collections::HashMap;
use uuid::Uuid;

/// How a change looks to a follower.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Newly visible.
    Published,
    /// Changed while published.
    Updated,
    /// Archived or back to draft: remove it.
    Unpublished,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Published => "published",
            ChangeKind::Updated => "updated",
            ChangeKind::Unpublished => "unpublished",
        }
    }
}

/// One entry of the feed.
#[derive(Debug, Clone)]
pub struct Change {
    pub cursor: i64,
    pub network_id: Uuid,
    pub kind: ChangeKind,
    /// The version the change made.
    pub version: i64,
    pub at: DateTime<Utc>,
    /// The network as it is now with only its public side, while it is published: a contact
    /// withdrawn from the public, or erased, leaves the feed at once.
    pub network: Option<Network>,
}

/// A page of the feed and the cursor to ask for next (the request's when nothing is new).
pub struct ChangePage {
    pub items: Vec<Change>,
    pub next: i64,
}

/// Largest page of the feed.
pub const MAX_CHANGES: i64 = 500;

impl Registry {
    /// The changes after cursor `since` (0: from the start), at most `limit` (1–500).
    pub async fn changes(&self, since: i64, limit: i64) -> Result<ChangePage> {
        if since < 0 {
            return Err(Error::bad_parameter(
                "since",
                "invalid_type",
                "must be a cursor (a non-negative integer)",
            ));
        }
        if !(1..=MAX_CHANGES).contains(&limit) {
            return Err(Error::bad_parameter(
                "limit",
                "out_of_range",
                "must be from 1 to 500",
            ));
        }
        let mut conn = self.conn().await?;
        let rows = onconet_db::revisions::public_feed(&mut conn, since, limit).await?;
        let mut ids: Vec<Uuid> = rows.iter().map(|r| r.network_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut current: HashMap<Uuid, Network> = HashMap::new();
        for row in onconet_db::networks::published_among(&mut conn, &ids).await? {
            let mut n = row.into_domain()?;
            n.profile = n.profile.public_view();
            current.insert(n.id, n);
        }
        drop(conn);
        let next = rows.last().map_or(since, |r| r.id.max(since));
        let items = rows
            .into_iter()
            .map(|r| {
                let published = r.state == RegistryState::Published.as_str();
                let kind = match (published, r.previous_state.as_deref() == Some("published")) {
                    (true, true) => ChangeKind::Updated,
                    (true, false) => ChangeKind::Published,
                    _ => ChangeKind::Unpublished,
                };
                Change {
                    cursor: r.id,
                    network_id: r.network_id,
                    kind,
                    version: r.version,
                    at: r.created_at,
                    network: published
                        .then(|| current.get(&r.network_id))
                        .flatten()
                        .cloned(),
                }
            })
            .collect();
        Ok(ChangePage { items, next })
    }
}
