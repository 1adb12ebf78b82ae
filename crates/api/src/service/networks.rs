//! Creating, changing and moving networks through the workflow, with a revision per write.

use crate::dto::network::NetworkBody;
use crate::error::{ApiError, ApiResult, InvalidParam};
use crate::extract::{IfMatch, etag};
use crate::geography::{DerivedArea, GeoState};
use chrono::Utc;
use diesel_async::AsyncConnection;
use diesel_async::AsyncPgConnection;
use onconet_db::models::{NewNetwork, NewRevision, ProfileColumns, snapshot};
use onconet_db::notify::{self, Change};
use onconet_db::{networks as q, revisions};
use onconet_domain::changes::diff;
use onconet_domain::workflow::check_transition;
use onconet_domain::{
    Actor, LinkKind, Network, NetworkProfile, NetworkType, OrgCode, QualityAttestation,
    RegistryState, Role, ServiceArea, Vocabularies,
};
use std::sync::Arc;
use uuid::Uuid;

/// Who is writing, under which request (kept in the revision), with which geography.
pub struct WriteContext<'a> {
    pub actor: &'a Actor,
    pub request_id: Option<String>,
    pub geo: &'a Arc<GeoState>,
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        ApiError::from(onconet_db::DbError::from(e))
    }
}

/// Loads a network the caller may see: published ones for everybody, others only for those
/// who may see its private side (404 otherwise, so drafts do not leak their existence).
pub async fn load_visible(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    actor: Option<&Actor>,
) -> ApiResult<(Network, bool)> {
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

pub fn not_found(id: Uuid) -> ApiError {
    ApiError::NotFound(format!("no network with id {id}"))
}

/// The networks a profile refers to (its parent and links) must exist *for the actor*: a
/// draft of another ROS is as unknown to an adviser as an id that was never used, here as on
/// `GET /v1/networks/{id}`, so neither can tell the two apart. No parent may close a cycle, and
/// a `hospital_network` link must lead to a hospital-led network (LOPPSOZ criterion 8 counts
/// it as structural contact with hospitals).
async fn check_references(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    self_id: Uuid,
    profile: &NetworkProfile,
) -> ApiResult<()> {
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
            errors.push(InvalidParam::pointer(
                "/parent_id",
                "unknown_network",
                format!("no network with id {parent}"),
            ));
        } else if q::ancestors(conn, parent, 64).await?.contains(&self_id) {
            errors.push(InvalidParam::pointer(
                "/parent_id",
                "cycle",
                "this parent would make the network part of itself",
            ));
        }
    }
    for (i, link) in profile.links.iter().enumerate() {
        match known.get(&link.network_id) {
            None => errors.push(InvalidParam::pointer(
                format!("/links/{i}/network_id"),
                "unknown_network",
                format!("no network with id {}", link.network_id),
            )),
            Some(NetworkType::OncologyCareNetwork) if link.kind == LinkKind::HospitalNetwork => {
                errors.push(InvalidParam::pointer(
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
        Err(ApiError::Validation(errors))
    }
}

fn check_may_edit(actor: &Actor, profile: &NetworkProfile) -> ApiResult<()> {
    if actor.can_edit(profile.ros_org.as_ref()) {
        Ok(())
    } else if actor.roles.is_empty() {
        Err(ApiError::Forbidden(
            "your token carries no onconet role".into(),
        ))
    } else {
        Err(ApiError::Forbidden(
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
) -> ApiResult<()> {
    if actor.is_registry_staff() || before.cloned().unwrap_or_default() == *after {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only IKNL staff and admins attest the quality criteria (`quality`); leave it out or unchanged".into(),
        ))
    }
}

async fn record(
    conn: &mut AsyncPgConnection,
    ctx: &WriteContext<'_>,
    network: &Network,
    action: &str,
    before: Option<&serde_json::Value>,
    reason: Option<String>,
) -> ApiResult<()> {
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
    let mut changes = serde_json::to_value(changes).map_err(ApiError::internal)?;
    if let (Some(reason), serde_json::Value::Array(list)) = (reason, &mut changes) {
        list.push(serde_json::json!({"field": "reason", "old": null, "new": reason}));
    }
    revisions::insert(
        conn,
        &NewRevision {
            network_id: network.id,
            version: network.version,
            action: action.into(),
            actor_sub: ctx.actor.sub.clone(),
            actor_name: ctx.actor.name.clone(),
            request_id: ctx.request_id.clone(),
            changes,
            snapshot: after,
            state: network.state.as_str().into(),
        },
    )
    .await?;
    Ok(())
}

/// Locks network `id` for a change by `actor`: 404 when they may not see it, 403 when they
/// may see but not edit it.
async fn lock_editable(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
) -> ApiResult<Network> {
    let current = q::find_for_update(conn, id)
        .await?
        .ok_or_else(|| not_found(id))?
        .into_domain()?;
    if current.state != RegistryState::Published
        && !actor.can_view_private(current.profile.ros_org.as_ref())
    {
        return Err(not_found(id));
    }
    check_may_edit(actor, &current.profile)?;
    Ok(current)
}

/// Checks a body against every rule (`NetworkBody::into_profile`) on the blocking pool: a large
/// service-area geometry takes from milliseconds up to about 2 s at the vertex limit
/// (`onconet-bench geometry`), which on an HTTP worker would hold every request queued there.
async fn checked_profile(
    body: NetworkBody,
    id: Uuid,
    vocabularies: &Arc<Vocabularies>,
    geo: &Arc<GeoState>,
) -> ApiResult<NetworkProfile> {
    let (vocabularies, max_vertices) = (Arc::clone(vocabularies), geo.max_vertices());
    tokio::task::spawn_blocking(move || {
        body.into_profile(Some(id), &vocabularies, max_vertices)
            .map_err(ApiError::Validation)
    })
    .await
    .map_err(ApiError::internal)?
}

/// The derived area of a service area (the union of its parts), on the blocking pool too.
async fn derived_area(geo: &Arc<GeoState>, area: &ServiceArea) -> ApiResult<Option<DerivedArea>> {
    let (geo, area) = (Arc::clone(geo), area.clone());
    tokio::task::spawn_blocking(move || geo.derive_area(&area))
        .await
        .map_err(ApiError::internal)?
}

/// Creates a network as a draft.
pub async fn create(
    conn: &mut AsyncPgConnection,
    ctx: &WriteContext<'_>,
    vocabularies: &Arc<Vocabularies>,
    body: NetworkBody,
    demo: bool,
) -> ApiResult<Network> {
    let actor = ctx.actor;
    if !actor.can_create() {
        return Err(ApiError::Forbidden(
            "your token carries no onconet role".into(),
        ));
    }
    let mut body = body;
    // An adviser's network belongs to their ROS unless they say otherwise (and they may not).
    if !actor.is_registry_staff() && body.ros_org.is_none() {
        if let Some(org) = &actor.org
            && onconet_domain::OrgCode::parse(org).is_err()
        {
            return Err(ApiError::Forbidden(format!(
                "the `org` claim of your token (`{}`) is not a ROS code (2–64 lowercase letters, digits, '-' or '_'); ask your identity provider to fix it",
                crate::error::abbreviated(org, 64)
            )));
        }
        body.ros_org = actor.org.clone();
    }
    let id = Uuid::now_v7();
    let profile = checked_profile(body, id, vocabularies, ctx.geo).await?;
    check_may_edit(actor, &profile)?;
    check_may_attest(actor, None, &profile.quality)?;
    let area = derived_area(ctx.geo, &profile.service_area).await?;
    let columns = ProfileColumns::from_profile(&profile, area.map(|a| (a.geojson, a.area_km2)))?;
    let network = conn
        .transaction::<_, ApiError, _>(async |conn| {
            check_references(conn, actor, id, &profile).await?;
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
    ctx.geo.apply(&network)?;
    Ok(network)
}

/// Applies a JSON Merge Patch (RFC 7396) to the profile of `id` at `if_match` version.
pub async fn update(
    conn: &mut AsyncPgConnection,
    ctx: &WriteContext<'_>,
    vocabularies: &Arc<Vocabularies>,
    id: Uuid,
    if_match: &IfMatch,
    patch: serde_json::Value,
) -> ApiResult<Network> {
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
        return Err(ApiError::Validation(vec![InvalidParam::pointer(
            "",
            "invalid_type",
            "a merge patch must be a JSON object",
        )]));
    };
    let read_only: Vec<InvalidParam> = READ_ONLY
        .iter()
        .filter(|k| patch_fields.contains_key(**k))
        .map(|k| {
            InvalidParam::pointer(
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
    let network = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let current = lock_editable(conn, ctx.actor, id).await?;
            let actor = ctx.actor;
            if_match.check(current.version)?;
            if !read_only.is_empty() {
                return Err(ApiError::Validation(read_only));
            }
            let mut doc = serde_json::to_value(NetworkBody::from_profile(&current.profile))
                .map_err(ApiError::internal)?;
            json_patch::merge(&mut doc, &patch);
            let body: NetworkBody = crate::extract::from_value(doc)?;
            let profile = checked_profile(body, id, vocabularies, ctx.geo).await?;
            // An adviser cannot hand a network over to another ROS, nor attest its quality.
            check_may_edit(actor, &profile)?;
            check_may_attest(actor, Some(&current.profile.quality), &profile.quality)?;
            if profile == current.profile {
                return Ok(current);
            }
            check_references(conn, actor, id, &profile).await?;
            let before = snapshot(&current)?;
            let area = if profile.service_area == current.profile.service_area {
                current.area.clone().zip(current.area_km2)
            } else {
                derived_area(ctx.geo, &profile.service_area)
                    .await?
                    .map(|a| (a.geojson, a.area_km2))
            };
            let columns = ProfileColumns::from_profile(&profile, area)?;
            let updated = q::update_profile(conn, id, current.version, &columns)
                .await?
                .ok_or_else(|| ApiError::PreconditionFailed {
                    current_etag: etag(current.version + 1),
                })?
                .into_domain()?;
            record(conn, ctx, &updated, "updated", Some(&before), None).await?;
            notify::notify(conn, &Change::Network(id)).await?;
            Ok(updated)
        })
        .await?;
    ctx.geo.apply(&network)?;
    Ok(network)
}

/// Moves `id` to `to` in the review workflow.
pub async fn transition(
    conn: &mut AsyncPgConnection,
    ctx: &WriteContext<'_>,
    id: Uuid,
    if_match: &IfMatch,
    to: RegistryState,
    reason: Option<String>,
) -> ApiResult<Network> {
    let reason = match reason.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(r) if r.chars().count() > 1000 => {
            return Err(ApiError::Validation(vec![InvalidParam::pointer(
                "/reason",
                "too_long",
                "must be at most 1000 characters",
            )]));
        }
        Some(r) => Some(r.to_owned()),
    };
    let network = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let current = lock_editable(conn, ctx.actor, id).await?;
            let actor = ctx.actor;
            // Who may make this move at all is decided before the version: an adviser who can never
            // publish gets 403, not a 412 that invites a retry.
            if let Err(e @ onconet_domain::TransitionError::Forbidden { .. }) =
                onconet_domain::workflow::check_role(actor, to)
            {
                return Err(ApiError::Forbidden(e.to_string()));
            }
            if_match.check(current.version)?;
            check_transition(actor, current.state, to).map_err(|e| match e {
                onconet_domain::TransitionError::Forbidden { .. } => {
                    ApiError::Forbidden(e.to_string())
                }
                onconet_domain::TransitionError::NotAllowed { .. } => {
                    ApiError::Conflict(e.to_string())
                }
            })?;
            let last_verified_at = if to == RegistryState::Published {
                Some(Utc::now())
            } else {
                current.last_verified_at
            };
            let before = snapshot(&current)?;
            let updated = q::update_state(conn, id, current.version, to.as_str(), last_verified_at)
                .await?
                .ok_or_else(|| ApiError::PreconditionFailed {
                    current_etag: etag(current.version + 1),
                })?
                .into_domain()?;
            record(conn, ctx, &updated, "transition", Some(&before), reason).await?;
            notify::notify(conn, &Change::Network(id)).await?;
            Ok(updated)
        })
        .await?;
    ctx.geo.apply(&network)?;
    Ok(network)
}

/// Whether an actor acts with registry-staff rights (used by list filters).
pub fn is_staff(actor: Option<&Actor>) -> bool {
    actor.is_some_and(|a| a.has(Role::IknlStaff) || a.has(Role::Admin))
}

/// Erases the personal data of contact `index` (name, e-mail, phone): the contact leaves the
/// profile, and its data is replaced by a tombstone in every revision. Admins only.
pub async fn erase_contact(
    conn: &mut AsyncPgConnection,
    ctx: &WriteContext<'_>,
    id: Uuid,
    index: usize,
    if_match: &IfMatch,
) -> ApiResult<Network> {
    if !ctx.actor.has(Role::Admin) {
        return Err(ApiError::Forbidden(
            "only admins may erase personal data".into(),
        ));
    }
    let network = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let current = q::find_for_update(conn, id)
                .await?
                .ok_or_else(|| not_found(id))?
                .into_domain()?;
            if_match.check(current.version)?;
            let Some(contact) = current.profile.contacts.get(index) else {
                return Err(ApiError::NotFound(format!(
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
            let mut doc = serde_json::to_value(&profile).map_err(ApiError::internal)?;
            onconet_domain::changes::erase_strings(&mut doc, &secrets);
            let mut profile: NetworkProfile =
                serde_json::from_value(doc).map_err(ApiError::internal)?;
            profile.contacts = others;
            let columns =
                ProfileColumns::from_profile(&profile, current.area.clone().zip(current.area_km2))?;
            let updated = q::update_profile(conn, id, current.version, &columns)
                .await?
                .ok_or_else(|| ApiError::PreconditionFailed {
                    current_etag: etag(current.version + 1),
                })?
                .into_domain()?;
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
            revisions::insert(
                conn,
                &NewRevision {
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
                },
            )
            .await?;
            notify::notify(conn, &Change::Network(id)).await?;
            Ok(updated)
        })
        .await?;
    ctx.geo.apply(&network)?;
    Ok(network)
}
