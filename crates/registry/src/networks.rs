//! Networks: create, change (JSON Merge Patch), move through the workflow, erase a contact,
//! read one, list them, their history. Each write opens its transaction once, keeps a
//! revision and leaves the database unchanged on failure; after commit the search index of
//! this instance follows at once (others through LISTEN/NOTIFY).

pub mod proposals;

use self::proposals::Outcome;
use crate::Registry;
use crate::error::{Error, Invalid, Result};
use crate::filter::{FilterParams, NetworkFilter};
use crate::geography::DerivedArea;
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use diesel_async::AsyncPgConnection;
use geo::MultiPolygon;
use onconet_db::models::{NewNetwork, NewRevision, ProfileColumns, RevisionRow, snapshot};
pub use onconet_db::networks::PageRequest;
use onconet_db::networks::{ListFilter, ListOrder, QualifiedFilter};
use onconet_db::notify::{self, Change};
use onconet_db::{networks as q, proposals as proposal_store, revisions};
use onconet_domain::changes::diff;
use onconet_domain::proposal::{ProposalKind, needs_review, only_at_once};
use onconet_domain::workflow::check_transition;
use onconet_domain::{
    Actor, LinkKind, Network, NetworkProfile, NetworkType, OrgCode, QualityAttestation,
    RegistryState, Role, Vocabularies, limits, parse_municipality_code,
};
use uuid::Uuid;

/// Who is writing, under which request (kept in the revision).
pub struct Author<'a> {
    pub actor: &'a Actor,
    pub request_id: Option<String>,
}

/// A profile whose every rule has been checked, with its service-area geometry already
/// parsed (so a write parses it once).
#[derive(Debug, Clone)]
pub struct CheckedProfile {
    pub profile: NetworkProfile,
    /// `profile.service_area.geometry` as `geo` types, when there is one.
    pub geometry: Option<MultiPolygon<f64>>,
}

/// A network profile in the shape a front end received it (the HTTP body, later an import
/// row). The registry asks it to check itself, and for a merge patch to show the current
/// profile in the same shape and to read the patched document back.
pub trait ProfileDocument: Sized + Send + 'static {
    /// Every rule (shape, the domain's parse constructors, the service-area geometry with at
    /// most `max_vertices` vertices, cross-field rules); every problem at once, by pointer.
    fn check(
        self,
        id: Uuid,
        vocabularies: &Vocabularies,
        max_vertices: usize,
    ) -> std::result::Result<CheckedProfile, Vec<Invalid>>;

    /// `profile` in this shape, as JSON: what a merge patch is applied to.
    fn document(profile: &NetworkProfile) -> serde_json::Value;

    /// The patched document read back (a wrong type or unknown field names its pointer).
    fn from_document(document: serde_json::Value) -> Result<Self>;

    /// The ROS the document names (`ros_org`), if any: a new network of an adviser belongs to
    /// their own ROS unless it says otherwise.
    fn ros_org(&self) -> Option<&str>;

    fn set_ros_org(&mut self, org: Option<String>);
}

/// The version a change is meant for, as the caller stated it (HTTP: the `If-Match` ETags).
#[derive(Debug, Clone, Default)]
pub struct Precondition {
    /// Whether a version was stated at all (`*` does not count: it protects nothing).
    pub stated: bool,
    /// The versions the caller accepts.
    pub versions: Vec<i64>,
}

impl Precondition {
    /// Exactly `version`.
    pub fn version(version: i64) -> Self {
        Self {
            stated: true,
            versions: vec![version],
        }
    }

    /// Required, and must name the current version.
    pub fn check(&self, current_version: i64) -> Result<()> {
        if !self.stated {
            Err(Error::PreconditionRequired)
        } else if self.versions.contains(&current_version) {
            Ok(())
        } else {
            Err(Error::Stale { current_version })
        }
    }
}

/// Loads a network the caller may see: published ones for everybody, others only for those
/// who may see its private side (404 otherwise, so drafts do not leak their existence).
pub async fn load_visible(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    actor: Option<&Actor>,
) -> Result<(Network, bool)> {
    let network = q::find(conn, id)
        .await?
        .map(|row| row.into_domain())
        .transpose()?
        .ok_or_else(|| not_found(id))?;
    let private = actor.is_some_and(|a| a.can_view_private(network.profile.ros_org.as_ref()));
    if network.state != RegistryState::Published && !private {
        return Err(not_found(id));
    }
    Ok((network, private))
}

/// The list's own parameters besides the filter, as given.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListParams<'a> {
    pub filter: FilterParams<'a>,
    /// Text in the name or description.
    pub q: Option<&'a str>,
    /// A CBS municipality code the service area lists.
    pub municipality: Option<&'a str>,
    /// Registry states, a comma list (default `published`).
    pub states: Option<&'a str>,
    /// RFC 3339.
    pub modified_after: Option<&'a str>,
    /// `true` or `false`.
    pub qualified: Option<&'a str>,
    /// `true` or `false`.
    pub verification_overdue: Option<&'a str>,
    /// `name` (default), `updated_at` (least recently changed first) or `-updated_at`.
    pub sort: Option<&'a str>,
    /// A network id: its children (networks with this `parent_id`).
    pub parent_id: Option<&'a str>,
    /// An AGB code: networks this practice is a current member of.
    pub member_agb: Option<&'a str>,
    /// A KvK number: networks this organisation is a current member of.
    pub member_kvk: Option<&'a str>,
}

/// One page of networks and how many match in all; each with whether the viewer sees its
/// private side.
pub struct NetworkPage {
    pub items: Vec<(Network, bool)>,
    pub total: i64,
}

/// A revision of a network, for its history.
pub type Revision = RevisionRow;

pub fn not_found(id: Uuid) -> Error {
    Error::NotFound(format!("no network with id {id}"))
}

/// A new network's document as `actor` may write it: they need an onconet role, and an
/// adviser's network belongs to their ROS unless they say otherwise (and they may not).
pub(crate) fn new_document<D: ProfileDocument>(actor: &Actor, mut body: D) -> Result<D> {
    if !actor.can_create() {
        return Err(Error::Forbidden(
            "your token carries no onconet role".into(),
        ));
    }
    if !actor.is_registry_staff() && body.ros_org().is_none() {
        if let Some(org) = &actor.org
            && onconet_domain::OrgCode::parse(org).is_err()
        {
            return Err(Error::Forbidden(format!(
                "the `org` claim of your token (`{}`) is not a ROS code (2–64 lowercase letters, digits, '-' or '_'); ask your identity provider to fix it",
                abbreviated(org, 64)
            )));
        }
        body.set_ros_org(actor.org.clone());
    }
    Ok(body)
}

/// The networks a profile refers to (its parent and links) must exist *for the actor*: a
/// draft of another ROS is as unknown to an adviser as an id that was never used, here as on
/// `GET /v1/networks/{id}`, so neither can tell the two apart. No parent may close a cycle, and
/// a `hospital_network` link must lead to a hospital-led network (LOPPSOZ criterion 8 counts
/// it as structural contact with hospitals).
pub(crate) async fn check_references(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    self_id: Uuid,
    profile: &NetworkProfile,
) -> Result<()> {
    let mut wanted: Vec<Uuid> = profile.links.iter().map(|l| l.network_id).collect();
    wanted.extend(profile.parent_id);
    let known: std::collections::HashMap<Uuid, NetworkType> = q::referenced(conn, &wanted)
        .await?
        .into_iter()
        .filter(|(_, state, ros_org, _)| {
            state == RegistryState::Published.as_str()
                || actor.can_view_private(
                    ros_org
                        .as_deref()
                        .and_then(|o| OrgCode::parse(o).ok())
                        .as_ref(),
                )
        })
        .filter_map(|(id, _, _, t)| Some((id, t.parse::<NetworkType>().ok()?)))
        .collect();
    let mut errors = Vec::new();
    if let Some(parent) = profile.parent_id {
        if !known.contains_key(&parent) {
            errors.push(Invalid::pointer(
                "/parent_id",
                "unknown_network",
                format!("no network with id {parent}"),
            ));
        } else if q::ancestors(conn, parent, 64).await?.contains(&self_id) {
            errors.push(Invalid::pointer(
                "/parent_id",
                "cycle",
                "this parent would make the network part of itself",
            ));
        }
    }
    for (i, link) in profile.links.iter().enumerate() {
        match known.get(&link.network_id) {
            None => errors.push(Invalid::pointer(
                format!("/links/{i}/network_id"),
                "unknown_network",
                format!("no network with id {}", link.network_id),
            )),
            Some(NetworkType::OncologyCareNetwork) if link.kind == LinkKind::HospitalNetwork => {
                errors.push(Invalid::pointer(
                    format!("/links/{i}/network_id"),
                    "not_a_hospital_network",
                    format!(
                        "a `hospital_network` link leads to a regional oncology network, a tumour group or an expert panel; {} is an oncology care network",
                        link.network_id
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors))
    }
}

/// No other network of the same ROS may carry the profile's `external_id` (the database's
/// unique index would refuse it too, but without saying which field or which network).
pub(crate) async fn check_external_id(
    conn: &mut AsyncPgConnection,
    self_id: Uuid,
    profile: &NetworkProfile,
) -> Result<()> {
    let Some(key) = &profile.external_id else {
        return Ok(());
    };
    let ros = profile.ros_org.as_ref().map(|o| o.as_str());
    let taken = q::by_external_ids(conn, ros, &[key.as_str().to_owned()]).await?;
    match taken.into_iter().find(|(_, id)| *id != self_id) {
        Some((_, other)) => Err(Error::Invalid(vec![Invalid::pointer(
            "/external_id",
            "duplicate",
            format!(
                "network {other} of the same ROS already has this external_id; it must be unique per ros_org"
            ),
        )])),
        None => Ok(()),
    }
}

pub(crate) fn check_may_edit(actor: &Actor, profile: &NetworkProfile) -> Result<()> {
    if actor.can_edit(profile.ros_org.as_ref()) {
        Ok(())
    } else if actor.roles.is_empty() {
        Err(Error::Forbidden(
            "your token carries no onconet role".into(),
        ))
    } else {
        Err(Error::Forbidden(
            "ROS advisers may only edit networks of their own ROS (ros_org)".into(),
        ))
    }
}

/// The LOPPSOZ criteria that no data decides are IKNL's to attest: anyone else must leave them
/// as they are (`before`; unset on a new network).
fn check_may_attest(
    actor: &Actor,
    before: Option<&QualityAttestation>,
    after: &QualityAttestation,
) -> Result<()> {
    if actor.is_registry_staff() || before.cloned().unwrap_or_default() == *after {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "only IKNL staff and admins attest the quality criteria (`quality`); leave it out or unchanged".into(),
        ))
    }
}

pub(crate) async fn record(
    conn: &mut AsyncPgConnection,
    ctx: &Author<'_>,
    network: &Network,
    action: &str,
    before: Option<&serde_json::Value>,
    reason: Option<String>,
) -> Result<()> {
    let revision = new_revision(ctx, network, action, before, reason)?;
    crate::webhooks::keep_revisions(conn, &[revision]).await?;
    Ok(())
}

/// The revision a write of `network` keeps: who, what changed since `before`, the snapshot.
pub(crate) fn new_revision(
    ctx: &Author<'_>,
    network: &Network,
    action: &str,
    before: Option<&serde_json::Value>,
    reason: Option<String>,
) -> Result<NewRevision> {
    let after = snapshot(network)?;
    let mut changes = diff(before.unwrap_or(&serde_json::Value::Null), &after);
    if before.is_none() {
        changes.retain(|c| {
            !c.new.is_null() && c.new != serde_json::json!([]) && c.new != serde_json::json!({})
        });
    }
    // Field names only: values may be non-public contact data.
    tracing::debug!(
        network = %network.id,
        version = network.version,
        action,
        fields = ?changes.iter().map(|c| c.field.as_str()).collect::<Vec<_>>(),
        "revision recorded"
    );
    let mut changes = serde_json::to_value(changes).map_err(Error::internal)?;
    if let (Some(reason), serde_json::Value::Array(list)) = (reason, &mut changes) {
        list.push(serde_json::json!({"field": "reason", "old": null, "new": reason}));
    }
    Ok(NewRevision {
        network_id: network.id,
        version: network.version,
        action: action.into(),
        actor_sub: ctx.actor.sub.clone(),
        actor_name: ctx.actor.name.clone(),
        request_id: ctx.request_id.clone(),
        changes,
        snapshot: after,
        state: network.state.as_str().into(),
    })
}

/// Locks network `id` for a change by `actor`: 404 when they may not see it, 403 when they
/// may see but not edit it.
/// A note kept in a revision (a transition's reason, a verification's evidence), checked like
/// other text: trimmed, at most 1,000 characters, no control characters but line breaks and
/// tabs (a NUL would fail in PostgreSQL's jsonb). A problem names `pointer`.
pub(crate) fn parse_note(pointer: &str, note: Option<String>) -> Result<Option<String>> {
    onconet_domain::parse_optional_text(note.as_deref(), limits::NOTE)
        .map_err(|e| Error::Invalid(vec![Invalid::pointer(pointer, e.code, e.message)]))
}

/// Writes `state` and `last_verified_at` as the next version of `current` (locked by the
/// caller's transaction), keeps the revision (`action`, `reason`) and tells the other
/// instances.
#[expect(
    clippy::too_many_arguments,
    reason = "each is one column of the revision"
)]
pub(crate) async fn write_state(
    conn: &mut AsyncPgConnection,
    ctx: &Author<'_>,
    current: &Network,
    state: RegistryState,
    last_verified_at: Option<DateTime<Utc>>,
    action: &str,
    reason: Option<String>,
    extra: Option<serde_json::Value>,
) -> Result<Network> {
    let before = snapshot(current)?;
    let updated = q::update_state(
        conn,
        current.id,
        current.version,
        state.as_str(),
        last_verified_at,
    )
    .await?
    .ok_or(Error::Stale {
        current_version: current.version + 1,
    })?
    .into_domain()?;
    let mut revision = new_revision(ctx, &updated, action, Some(&before), reason)?;
    if let (Some(extra), serde_json::Value::Array(list)) = (extra, &mut revision.changes) {
        list.push(extra);
    }
    crate::webhooks::keep_revisions(conn, &[revision]).await?;
    notify::notify(conn, &Change::Network(current.id)).await?;
    Ok(updated)
}

/// Writes `checked` (its references already checked) as the next version of `current`
/// (locked by the caller's transaction): the area derived again only when the service area
/// changed, the revision kept (with `extra` among its changes: the accepted proposal), the
/// other instances told.
pub(crate) async fn write_profile(
    registry: &Registry,
    conn: &mut AsyncPgConnection,
    ctx: &Author<'_>,
    current: &Network,
    checked: CheckedProfile,
    extra: Option<serde_json::Value>,
) -> Result<Network> {
    let before = snapshot(current)?;
    let (profile, area) = if checked.profile.service_area == current.profile.service_area {
        let area = current.area.clone().zip(current.area_km2);
        (checked.profile, area)
    } else {
        let (profile, area) = derived_area(registry, checked).await?;
        (profile, area.map(|a| (a.geojson, a.area_km2)))
    };
    let columns = ProfileColumns::from_profile(&profile, area)?;
    let updated = store_profile(conn, current, &columns).await?;
    let mut revision = new_revision(ctx, &updated, "updated", Some(&before), None)?;
    if let (Some(extra), serde_json::Value::Array(list)) = (extra, &mut revision.changes) {
        list.push(extra);
    }
    crate::webhooks::keep_revisions(conn, &[revision]).await?;
    notify::notify(conn, &Change::Network(current.id)).await?;
    Ok(updated)
}

pub(crate) async fn lock_editable(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
) -> Result<Network> {
    let current = q::find_for_update(conn, id)
        .await?
        .ok_or_else(|| not_found(id))?
        .into_domain()?;
    may_edit_existing(actor, current)
}

/// Network `id` as it is, if `actor` may edit it (without locking it: for a preview).
pub(crate) async fn editable(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
) -> Result<Network> {
    let current = q::find(conn, id)
        .await?
        .ok_or_else(|| not_found(id))?
        .into_domain()?;
    may_edit_existing(actor, current)
}

/// 404 when `actor` may not see `current`, 403 when they may see but not edit it.
fn may_edit_existing(actor: &Actor, current: Network) -> Result<Network> {
    if current.state != RegistryState::Published
        && !actor.can_view_private(current.profile.ros_org.as_ref())
    {
        return Err(not_found(current.id));
    }
    check_may_edit(actor, &current.profile)?;
    Ok(current)
}

/// Checks a document against every rule ([`ProfileDocument::check`]) on the blocking pool: a
/// large service-area geometry takes from milliseconds up to about 2 s at the vertex limit
/// (`onconet-bench geometry`), which on an HTTP worker would hold every request queued there.
pub(crate) async fn checked_profile<D: ProfileDocument>(
    registry: &Registry,
    document: D,
    id: Uuid,
) -> Result<CheckedProfile> {
    let vocabularies = registry.vocabularies.clone();
    let max_vertices = registry.geo.max_vertices();
    tokio::task::spawn_blocking(move || {
        document
            .check(id, &vocabularies, max_vertices)
            .map_err(Error::Invalid)
    })
    .await?
}

/// The derived area of a checked profile (the union of its parts), on the blocking pool too;
/// the profile comes back with it.
pub(crate) async fn derived_area(
    registry: &Registry,
    checked: CheckedProfile,
) -> Result<(NetworkProfile, Option<DerivedArea>)> {
    let geo = registry.geo.clone();
    tokio::task::spawn_blocking(move || {
        let area = geo.derive_area(&checked.profile.service_area, checked.geometry.as_ref())?;
        Ok((checked.profile, area))
    })
    .await?
}

impl Registry {
    /// Creates a network as a draft.
    pub async fn create<D: ProfileDocument>(
        &self,
        ctx: &Author<'_>,
        body: D,
        demo: bool,
    ) -> Result<Network> {
        let actor = ctx.actor;
        let body = new_document(actor, body)?;
        let id = Uuid::now_v7();
        let checked = checked_profile(self, body, id).await?;
        check_may_edit(actor, &checked.profile)?;
        check_may_attest(actor, None, &checked.profile.quality)?;
        let (profile, area) = derived_area(self, checked).await?;
        let columns =
            ProfileColumns::from_profile(&profile, area.map(|a| (a.geojson, a.area_km2)))?;
        let mut conn = self.conn().await?;
        let network = conn
            .transaction::<_, Error, _>(async |conn| {
                check_references(conn, actor, id, &profile).await?;
                check_external_id(conn, id, &profile).await?;
                let row = q::insert(
                    conn,
                    &NewNetwork {
                        id,
                        profile: columns,
                        state: RegistryState::Draft.as_str().into(),
                        demo,
                    },
                )
                .await?;
                let network = row.into_domain()?;
                record(conn, ctx, &network, "created", None, None).await?;
                notify::notify(conn, &Change::Network(network.id)).await?;
                Ok(network)
            })
            .await?;
        self.geo.apply(&network)?;
        Ok(network)
    }

    /// Applies a JSON Merge Patch (RFC 7396) to the profile of `id` at `if_match` version.
    /// A ROS adviser's change to a published network is not applied but proposed
    /// ([`proposals`]), unless it only touches fields configured to apply at once.
    pub async fn update<D: ProfileDocument>(
        &self,
        ctx: &Author<'_>,
        id: Uuid,
        if_match: &Precondition,
        patch: serde_json::Value,
    ) -> Result<Outcome> {
        const READ_ONLY: [&str; 7] = [
            "id",
            "state",
            "version",
            "created_at",
            "updated_at",
            "last_verified_at",
            "demo",
        ];
        let Some(patch_fields) = patch.as_object() else {
            return Err(Error::Invalid(vec![Invalid::pointer(
                "",
                "invalid_type",
                "a merge patch must be a JSON object",
            )]));
        };
        let read_only: Vec<Invalid> = READ_ONLY
            .iter()
            .filter(|k| patch_fields.contains_key(**k))
            .map(|k| {
                Invalid::pointer(
                    format!("/{k}"),
                    "read_only",
                    if *k == "state" {
                        "the state changes through POST /v1/networks/{id}/transitions".to_owned()
                    } else {
                        format!("`{k}` is set by the registry")
                    },
                )
            })
            .collect();
        let mut conn = self.conn().await?;
        let outcome = conn
            .transaction::<_, Error, _>(async |conn| {
                let current = lock_editable(conn, ctx.actor, id).await?;
                let actor = ctx.actor;
                if_match.check(current.version)?;
                if !read_only.is_empty() {
                    return Err(Error::Invalid(read_only));
                }
                // An adviser's change to a published network waits for review; they amend
                // their own pending proposal, and anybody else's blocks theirs.
                let review = needs_review(actor, current.state);
                let amending = match review {
                    true => match proposal_store::pending_for_update(conn, id).await? {
                        Some(p) => Some(self::proposals::own_pending(
                            actor,
                            p,
                            ProposalKind::Change,
                            current.version,
                        )?),
                        None => None,
                    },
                    false => None,
                };
                let mut doc = match amending.as_ref().and_then(|p| p.document.clone()) {
                    Some(proposed) => proposed,
                    None => D::document(&current.profile),
                };
                json_patch::merge(&mut doc, &patch);
                let checked = checked_profile(self, D::from_document(doc)?, id).await?;
                // An adviser cannot hand a network over to another ROS, nor attest its quality.
                check_may_edit(actor, &checked.profile)?;
                check_may_attest(
                    actor,
                    Some(&current.profile.quality),
                    &checked.profile.quality,
                )?;
                if checked.profile == current.profile && amending.is_none() {
                    return Ok(Outcome::Applied(current));
                }
                check_references(conn, actor, id, &checked.profile).await?;
                check_external_id(conn, id, &checked.profile).await?;
                let at_once = amending.is_none()
                    && only_at_once(&current.profile, &checked.profile, &self.at_once);
                if review && !at_once {
                    let document = D::document(&checked.profile);
                    return Ok(
                        match self::proposals::propose_change(
                            conn,
                            ctx,
                            &current,
                            amending,
                            &checked.profile,
                            document,
                        )
                        .await?
                        {
                            Some(p) => Outcome::Proposed(p),
                            None => Outcome::Applied(current),
                        },
                    );
                }
                write_profile(self, conn, ctx, &current, checked, None)
                    .await
                    .map(Outcome::Applied)
            })
            .await?;
        if let Outcome::Applied(network) = &outcome {
            self.geo.apply(network)?;
        }
        Ok(outcome)
    }

    /// Moves `id` to `to` in the review workflow; `reason` goes into the revision.
    pub async fn transition(
        &self,
        ctx: &Author<'_>,
        id: Uuid,
        if_match: &Precondition,
        to: RegistryState,
        reason: Option<String>,
    ) -> Result<Network> {
        let reason = parse_note("/reason", reason)?;
        let mut conn = self.conn().await?;
        let network = conn
            .transaction::<_, Error, _>(async |conn| {
                let current = lock_editable(conn, ctx.actor, id).await?;
                let actor = ctx.actor;
                // Who may make this move at all is decided before the version: an adviser who can never
                // publish gets 403, not a 412 that invites a retry.
                if let Err(e @ onconet_domain::TransitionError::Forbidden { .. }) =
                    onconet_domain::workflow::check_role(actor, to)
                {
                    return Err(Error::Forbidden(e.to_string()));
                }
                if_match.check(current.version)?;
                check_transition(actor, current.state, to).map_err(|e| match e {
                    onconet_domain::TransitionError::Forbidden { .. } => {
                        Error::Forbidden(e.to_string())
                    }
                    onconet_domain::TransitionError::NotAllowed { .. } => {
                        Error::Conflict(e.to_string())
                    }
                })?;
                let last_verified_at = if to == RegistryState::Published {
                    Some(Utc::now())
                } else {
                    current.last_verified_at
                };
                write_state(
                    conn,
                    ctx,
                    &current,
                    to,
                    last_verified_at,
                    "transition",
                    reason,
                    None,
                )
                .await
            })
            .await?;
        self.geo.apply(&network)?;
        Ok(network)
    }

    /// Erases the personal data of contact `index` (name, e-mail, phone): the contact leaves the
    /// profile, and its data is replaced by a tombstone in every revision. Admins only.
    pub async fn erase_contact(
        &self,
        ctx: &Author<'_>,
        id: Uuid,
        index: usize,
        if_match: &Precondition,
    ) -> Result<Network> {
        if !ctx.actor.has(Role::Admin) {
            return Err(Error::Forbidden(
                "only admins may erase personal data".into(),
            ));
        }
        let mut conn = self.conn().await?;
        let network = conn
            .transaction::<_, Error, _>(async |conn| {
                let current = q::find_for_update(conn, id)
                    .await?
                    .ok_or_else(|| not_found(id))?
                    .into_domain()?;
                if_match.check(current.version)?;
                let Some(contact) = current.profile.contacts.get(index) else {
                    return Err(Error::NotFound(format!(
                        "network {id} has no contact {index}"
                    )));
                };
                let secrets: Vec<String> = [
                    Some(contact.name.clone()),
                    contact.email.as_ref().map(|e| e.as_str().to_owned()),
                    contact.phone.as_ref().map(|p| p.as_str().to_owned()),
                ]
                .into_iter()
                .flatten()
                .collect();
                let mut profile = current.profile.clone();
                profile.contacts.remove(index);
                // What another contact still uses (a shared info@ address, a practice's phone) is
                // that contact's data too: it stays, or erasing one would break the other.
                let secrets: Vec<String> = secrets
                    .into_iter()
                    .filter(|s| {
                        !profile.contacts.iter().any(|c| {
                            c.name == *s
                                || c.email.as_ref().is_some_and(|e| e.as_str() == s)
                                || c.phone.as_ref().is_some_and(|p| p.as_str() == s)
                        })
                    })
                    .collect();
                // The same data in free text (a description naming the person) goes too; the
                // other contacts are left as they are ("Anna" erased is no reason to touch
                // "Anna de Vries").
                let others = std::mem::take(&mut profile.contacts);
                let mut doc = serde_json::to_value(&profile).map_err(Error::internal)?;
                onconet_domain::changes::erase_strings(&mut doc, &secrets);
                let mut profile: NetworkProfile =
                    serde_json::from_value(doc).map_err(Error::internal)?;
                profile.contacts = others;
                let columns =
                    ProfileColumns::from_profile(&profile, current.area.clone().zip(current.area_km2))?;
                let updated = store_profile(conn, &current, &columns).await?;
                let mut rewritten = 0;
                for mut r in revisions::for_network(conn, id).await? {
                    let a = onconet_domain::changes::erase_strings(&mut r.snapshot, &secrets);
                    let b = onconet_domain::changes::erase_strings(&mut r.changes, &secrets);
                    if a + b > 0 {
                        revisions::rewrite(conn, r.id, &r.snapshot, &r.changes).await?;
                        rewritten += 1;
                    }
                }
                tracing::debug!(network = %id, index, rewritten, "contact erased from the profile and its revisions");
                crate::webhooks::keep_revisions(
                    conn,
                    &[NewRevision {
                        network_id: id,
                        version: updated.version,
                        action: "erased".into(),
                        actor_sub: ctx.actor.sub.clone(),
                        actor_name: ctx.actor.name.clone(),
                        request_id: ctx.request_id.clone(),
                        changes: serde_json::json!([{
                            "field": format!("contacts/{index}"),
                            "old": onconet_domain::changes::ERASED,
                            "new": null
                        }]),
                        snapshot: snapshot(&updated)?,
                        state: updated.state.as_str().into(),
                    }],
                )
                .await?;
                notify::notify(conn, &Change::Network(id)).await?;
                Ok(updated)
            })
            .await?;
        self.geo.apply(&network)?;
        Ok(network)
    }
}

/// Whether an actor acts with registry-staff rights (used by list filters).
pub fn is_staff(actor: Option<&Actor>) -> bool {
    actor.is_some_and(|a| a.has(Role::IknlStaff) || a.has(Role::Admin))
}

/// `text` cut to `max` characters (with "…"), for echoing what a caller sent: a 60 kB value
/// should not come back as a 60 kB message.
pub fn abbreviated(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

impl Registry {
    /// Network `id` as `viewer` may see it, and whether they see its private side: published
    /// networks for everybody, others only for those who may see their private side (404
    /// otherwise, so drafts do not leak their existence).
    pub async fn network(&self, id: Uuid, viewer: Option<&Actor>) -> Result<(Network, bool)> {
        let mut conn = self.conn().await?;
        load_visible(&mut conn, id, viewer).await
    }

    /// One page of the networks matching `params`, as `viewer` may list them: networks that
    /// are not published are listed for IKNL staff and admins, and for a ROS adviser those of
    /// their own ROS only.
    pub async fn list_networks(
        &self,
        params: ListParams<'_>,
        page: PageRequest,
        viewer: Option<&Actor>,
    ) -> Result<NetworkPage> {
        let filter = list_filter(params, &self.vocabularies, viewer)?;
        let mut conn = self.conn().await?;
        let (rows, total) = q::list(&mut conn, &filter, page).await?;
        drop(conn);
        let items = rows
            .into_iter()
            .map(|r| {
                r.into_domain().map(|n| {
                    let private =
                        viewer.is_some_and(|a| a.can_view_private(n.profile.ros_org.as_ref()));
                    (n, private)
                })
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(NetworkPage { items, total })
    }

    /// Every revision of network `id`, oldest first: for its editors and IKNL staff (a
    /// draft they may not see is a 404, a published network's history a 403).
    pub async fn history(&self, id: Uuid, viewer: Option<&Actor>) -> Result<Vec<Revision>> {
        let Some(actor) = viewer else {
            return Err(Error::Unauthenticated(
                "the history is for editors: send a bearer token".into(),
            ));
        };
        let mut conn = self.conn().await?;
        let network = q::find(&mut conn, id)
            .await?
            .ok_or_else(|| not_found(id))?
            .into_domain()?;
        if !actor.can_view_private(network.profile.ros_org.as_ref()) {
            return Err(if network.state == RegistryState::Published {
                Error::Forbidden("the history is for the network's editors and IKNL staff".into())
            } else {
                not_found(id)
            });
        }
        Ok(revisions::for_network(&mut conn, id).await?)
    }
}

/// The database filter of a list request for `viewer`: every parameter parsed. Public for the
/// fuzz target `filter_query` and for tests; front ends call [`Registry::list_networks`].
pub fn list_filter(
    params: ListParams<'_>,
    vocabularies: &Vocabularies,
    viewer: Option<&Actor>,
) -> Result<ListFilter> {
    let staff = is_staff(viewer);
    let networks = NetworkFilter::parse(params.filter, vocabularies)?;
    let states = crate::filter::parse_list("state", params.states, |s| s.parse::<RegistryState>())?;
    let mut ros_org = None;
    if states.iter().any(|s| *s != RegistryState::Published) && !staff {
        match viewer
            .filter(|a| a.has(Role::RosAdviser))
            .and_then(|a| a.org.clone())
        {
            Some(org) => ros_org = Some(org),
            None if viewer.is_none() => {
                return Err(Error::Unauthenticated(
                    "a bearer token is required to list networks that are not published".into(),
                ));
            }
            None => {
                return Err(Error::Forbidden(
                    "only IKNL staff, admins and ROS advisers (for their own ROS) may list networks that are not published".into(),
                ));
            }
        }
    }
    let modified_after = match params.modified_after {
        None => None,
        Some(t) => Some(
            DateTime::parse_from_rfc3339(t.trim())
                .map_err(|e| {
                    Error::bad_parameter(
                        "modified_after",
                        "invalid_format",
                        format!("not an RFC 3339 time: {e}"),
                    )
                })?
                .with_timezone(&Utc),
        ),
    };
    let q = crate::filter::TextQuery::parse(params.q)?.map(|q| q.text);
    let parent_id = params
        .parent_id
        .map(|p| {
            Uuid::parse_str(p.trim()).map_err(|_| {
                Error::bad_parameter(
                    "parent_id",
                    "invalid_format",
                    "must be a network id (a UUID)",
                )
            })
        })
        .transpose()?;
    let member_agb = params
        .member_agb
        .map(|v| {
            onconet_domain::Agb::parse(v)
                .map(|a| a.as_str().to_owned())
                .map_err(|e| Error::bad_parameter("member_agb", e.code, e.message))
        })
        .transpose()?;
    let member_kvk = params
        .member_kvk
        .map(|v| {
            onconet_domain::Kvk::parse(v)
                .map(|k| k.as_str().to_owned())
                .map_err(|e| Error::bad_parameter("member_kvk", e.code, e.message))
        })
        .transpose()?;
    let flag = |name: &str, v: Option<&str>| -> Result<Option<bool>> {
        match v {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(Error::bad_parameter(
                name,
                "invalid_type",
                "must be true or false",
            )),
        }
    };
    let now = Utc::now();
    let due_before = onconet_domain::verification::due_before(now);
    let qualified = flag("qualified", params.qualified)?.map(|qualified| QualifiedFilter {
        qualified,
        verified_since: due_before,
    });
    let overdue = flag("verification_overdue", params.verification_overdue)?;
    if overdue.is_some() && viewer.is_none() {
        return Err(Error::Unauthenticated(
            "a bearer token is required to list overdue verifications".into(),
        ));
    }
    // Advisers see the overdue networks of their own ROS (those they are to re-verify).
    if overdue.is_some() && !staff {
        match viewer
            .filter(|a| a.has(Role::RosAdviser))
            .and_then(|a| a.org.clone())
        {
            Some(org) => ros_org = Some(org),
            None => {
                return Err(Error::Forbidden(
                    "only IKNL staff, admins and ROS advisers (for their own ROS) may list overdue verifications".into(),
                ));
            }
        }
    }
    let order = match params.sort {
        None | Some("name") => ListOrder::Name,
        Some("updated_at") => ListOrder::UpdatedAsc,
        Some("-updated_at") => ListOrder::UpdatedDesc,
        Some(_) => {
            return Err(Error::bad_parameter(
                "sort",
                "unknown_code",
                "must be name, updated_at or -updated_at",
            ));
        }
    };
    Ok(ListFilter {
        order,
        qualified,
        verified_before: overdue.filter(|o| *o).map(|_| due_before),
        states: if states.is_empty() {
            vec![RegistryState::Published.as_str().into()]
        } else {
            states.iter().map(|s| s.as_str().to_owned()).collect()
        },
        q,
        types: networks
            .types
            .iter()
            .map(|t| t.as_str().to_owned())
            .collect(),
        disciplines: networks.disciplines,
        tumour_types: networks.tumour_types,
        lifecycles: networks
            .lifecycles
            .iter()
            .map(|l| l.as_str().to_owned())
            .collect(),
        municipality: match params.municipality {
            None => None,
            Some(m) => Some(
                parse_municipality_code(m)
                    .map_err(|e| Error::bad_parameter("municipality", e.code, e.message))?,
            ),
        },
        modified_after,
        ros_org,
        parent_id,
        member_agb,
        member_kvk,
        today: now.date_naive(),
    })
}

impl Registry {
    /// Whether the demo networks are loaded (any network marked `demo`).
    pub async fn has_demo(&self) -> Result<bool> {
        let mut conn = self.conn().await?;
        Ok(q::has_demo(&mut conn).await?)
    }
}

/// Writes `columns` as the next version of `current`: a [`Error::Stale`] when someone else
/// wrote a version in between.
pub(crate) async fn store_profile(
    conn: &mut AsyncPgConnection,
    current: &Network,
    columns: &ProfileColumns,
) -> Result<Network> {
    q::update_profile(conn, current.id, current.version, columns)
        .await?
        .ok_or(Error::Stale {
            current_version: current.version + 1,
        })?
        .into_domain()
        .map_err(Into::into)
}
