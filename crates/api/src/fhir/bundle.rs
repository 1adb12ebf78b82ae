//! Searchset and history Bundles, with their paging links.
//!
//! The history is for sync: it holds every resource's **current** version (when it changed
//! at or after `_since`) and a DELETE entry for each resource a public version had and a
//! later one removed (a member or link taken out, the network archived or sent back to
//! draft). Past versions of a resource are not served (`readHistory` is false in the
//! CapabilityStatement): as in the registry's change feed, a contact withdrawn from the public
//! leaves at once, also from what was published before.

use super::ResourceType;
use super::resources::{Resource, ids_of_version, instant};
use chrono::{DateTime, Utc};
use onconet_registry::published::PublicRevision;
use serde_json::{Value, json};
use std::collections::HashSet;
use uuid::Uuid;

/// Where a Bundle's links point: the server's FHIR base (`http://host/fhir`), the request's
/// path below it and its parameters (without `_offset`, which each link sets).
#[derive(Debug, Clone)]
pub struct PageLinks {
    pub base: String,
    pub path: String,
    pub pairs: Vec<(String, String)>,
}

impl PageLinks {
    fn url(&self, offset: usize, count: usize) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.pairs {
            if k != "_offset" && k != "_count" {
                query.append_pair(k, v);
            }
        }
        query.append_pair("_count", &count.to_string());
        if offset > 0 {
            query.append_pair("_offset", &offset.to_string());
        }
        format!("{}{}?{}", self.base, self.path, query.finish())
    }

    /// `self`, and `next` / `previous` where there are such pages.
    pub fn links(&self, offset: usize, count: usize, total: usize) -> Value {
        let mut links = vec![json!({"relation": "self", "url": self.url(offset, count)})];
        if count > 0 && offset + count < total {
            links.push(json!({"relation": "next", "url": self.url(offset + count, count)}));
        }
        if count > 0 && offset > 0 {
            let previous = offset.saturating_sub(count);
            links.push(json!({"relation": "previous", "url": self.url(previous, count)}));
        }
        Value::Array(links)
    }

    fn full_url(&self, kind: ResourceType, id: &str) -> String {
        format!("{}/{kind}/{id}", self.base)
    }
}

/// A searchset Bundle: `total` matches, this page of them (bodies as served).
pub fn searchset(
    links: &PageLinks,
    offset: usize,
    count: usize,
    total: usize,
    page: Vec<(ResourceType, String, Value)>,
) -> Value {
    let entries: Vec<Value> = page
        .into_iter()
        .map(|(kind, id, body)| {
            json!({
                "fullUrl": links.full_url(kind, &id),
                "resource": body,
                "search": {"mode": "match"},
            })
        })
        .collect();
    let mut bundle = json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links.links(offset, count, total),
    });
    if !entries.is_empty() {
        bundle["entry"] = Value::Array(entries);
    }
    bundle
}

/// A resource a later public version removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deletion {
    pub kind: ResourceType,
    pub id: String,
    pub network_id: Uuid,
    /// The version that removed it, and when.
    pub version: i64,
    pub at: DateTime<Utc>,
}

/// Every removal in `revisions` (per network in version order, as
/// `Registry::public_revisions` gives them): what one public version had and the next
/// public one (or the one that took the network out of view) no longer has.
pub fn deletions(revisions: &[PublicRevision]) -> Vec<Deletion> {
    let mut out = Vec::new();
    let mut network = None;
    let mut before: HashSet<(ResourceType, String)> = HashSet::new();
    for r in revisions {
        if network != Some(r.network_id) {
            network = Some(r.network_id);
            before.clear();
        }
        let now: HashSet<(ResourceType, String)> = if r.published {
            ids_of_version(r.network_id, &r.members, &r.links, r.has_area)
                .into_iter()
                .collect()
        } else {
            HashSet::new()
        };
        let mut gone: Vec<_> = before.difference(&now).cloned().collect();
        gone.sort();
        for (kind, id) in gone {
            out.push(Deletion {
                kind,
                id,
                network_id: r.network_id,
                version: r.version,
                at: r.at,
            });
        }
        before = now;
    }
    out
}

/// One entry of a history: a current resource or a deletion.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    Current(&'a Resource),
    Deleted(&'a Deletion),
}

impl Event<'_> {
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Event::Current(r) => r.last_updated,
            Event::Deleted(d) => d.at,
        }
    }

    pub fn kind(&self) -> ResourceType {
        match self {
            Event::Current(r) => r.kind,
            Event::Deleted(d) => d.kind,
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Event::Current(r) => &r.id,
            Event::Deleted(d) => &d.id,
        }
    }

    fn version(&self) -> i64 {
        match self {
            Event::Current(r) => r.version,
            Event::Deleted(d) => d.version,
        }
    }
}

/// The history of `kind` (of resource `id` only, when given) at or after `since`: newest
/// first (ties by id, deletions before a re-creation at the same time).
pub fn history_events<'a>(
    kind: ResourceType,
    id: Option<&str>,
    since: Option<DateTime<Utc>>,
    current: &'a [Resource],
    deletions: &'a [Deletion],
) -> Vec<Event<'a>> {
    let wanted = |k: ResourceType, i: &str, at: DateTime<Utc>| {
        k == kind && id.is_none_or(|id| id == i) && since.is_none_or(|s| at >= s)
    };
    let mut events: Vec<Event<'a>> = current
        .iter()
        .filter(|r| wanted(r.kind, &r.id, r.last_updated))
        .map(Event::Current)
        .chain(
            deletions
                .iter()
                .filter(|d| wanted(d.kind, &d.id, d.at))
                .map(Event::Deleted),
        )
        .collect();
    events.sort_by(|a, b| {
        b.at()
            .cmp(&a.at())
            .then_with(|| a.id().cmp(b.id()))
            .then_with(|| b.version().cmp(&a.version()))
    });
    events
}

/// A history Bundle: `total` events, this page of them (current ones with their bodies as
/// served).
pub fn history(
    links: &PageLinks,
    offset: usize,
    count: usize,
    total: usize,
    page: &[(Event<'_>, Option<Value>)],
) -> Value {
    let entries: Vec<Value> = page
        .iter()
        .map(|(event, body)| {
            let kind = event.kind();
            let id = event.id();
            let etag = format!("W/\"{}\"", event.version());
            match (event, body) {
                (Event::Current(_), Some(body)) => json!({
                    "fullUrl": links.full_url(kind, id),
                    "resource": body,
                    "request": {"method": "PUT", "url": format!("{kind}/{id}")},
                    "response": {"status": "200 OK", "etag": etag, "lastModified": instant(event.at())},
                }),
                _ => json!({
                    "fullUrl": links.full_url(kind, id),
                    "request": {"method": "DELETE", "url": format!("{kind}/{id}")},
                    "response": {"status": "204 No Content", "etag": etag, "lastModified": instant(event.at())},
                }),
            }
        })
        .collect();
    let mut bundle = json!({
        "resourceType": "Bundle",
        "type": "history",
        "total": total,
        "link": links.links(offset, count, total),
    });
    if !entries.is_empty() {
        bundle["entry"] = Value::Array(entries);
    }
    bundle
}

#[cfg(test)]
mod tests {
    use super::*;
    use onconet_domain::{Member, MemberKind};

    fn member(name: &str) -> Member {
        Member {
            name: name.into(),
            kind: MemberKind::Practice,
            discipline: None,
            agb: None,
            kvk: None,
            location: None,
            valid_from: None,
            valid_to: None,
            in_verwijsgids: false,
            roles: vec![],
        }
    }

    fn revision(network: Uuid, version: i64, published: bool, members: &[&str]) -> PublicRevision {
        PublicRevision {
            network_id: network,
            version,
            published,
            at: DateTime::from_timestamp(1_800_000_000 + version * 60, 0).expect("time"),
            members: members.iter().map(|m| member(m)).collect(),
            links: Vec::new(),
            has_area: true,
        }
    }

    #[test]
    fn removed_members_and_unpublished_networks_are_deletions() {
        let n = Uuid::from_u128(7);
        let revisions = [
            revision(n, 3, true, &["A", "B"]),
            revision(n, 4, true, &["A"]),
            revision(n, 5, false, &["A"]),
        ];
        let d = deletions(&revisions);
        // v4 removes B (its Organization and membership); v5 everything else.
        assert_eq!(d.iter().filter(|d| d.version == 4).count(), 2);
        assert_eq!(d.iter().filter(|d| d.version == 5).count(), 4);
        assert!(d.iter().any(|d| d.version == 5 && d.id == n.to_string()));
        assert!(
            d.iter()
                .any(|d| d.version == 5 && d.kind == ResourceType::Location)
        );
    }

    #[test]
    fn links_page_through() {
        let links = PageLinks {
            base: "http://h/fhir".into(),
            path: "/Organization".into(),
            pairs: vec![
                ("name".into(), "zorg net".into()),
                ("_offset".into(), "4".into()),
            ],
        };
        let l = links.links(4, 2, 7);
        assert_eq!(
            l[0]["url"],
            "http://h/fhir/Organization?name=zorg+net&_count=2&_offset=4"
        );
        assert_eq!(l[1]["relation"], "next");
        assert_eq!(
            l[1]["url"],
            "http://h/fhir/Organization?name=zorg+net&_count=2&_offset=6"
        );
        assert_eq!(
            l[2]["url"],
            "http://h/fhir/Organization?name=zorg+net&_count=2&_offset=2"
        );
        assert_eq!(
            links.links(1, 2, 7)[2]["url"],
            "http://h/fhir/Organization?name=zorg+net&_count=2"
        );
        let last = links.links(6, 2, 7);
        assert_eq!(last.as_array().map(Vec::len), Some(2));
        assert_eq!(last[1]["relation"], "previous");
    }
}
