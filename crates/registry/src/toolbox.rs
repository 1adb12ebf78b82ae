//! The financing toolbox: knowledge items written by IKNL staff and ROS advisers through the
//! networks' workflow (draft → submitted → published → archived, only staff publish), each
//! write kept as a revision; a public search in Dutch and English with ranked, highlighted
//! results; items past their review date are stale and left out unless asked for.

use crate::error::{Error, Invalid, Result};
use crate::networks::{Author, PageRequest, Precondition, is_staff, parse_note};
use crate::{Registry, markdown};
use chrono::{NaiveDate, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use onconet_db::toolbox::{
    self as q, NewToolboxRevision, SearchFilter, ToolboxColumns, ToolboxRow,
};
use onconet_domain::changes::diff;
use onconet_domain::toolbox::{
    Bilingual, Stage, ToolboxContent, ToolboxInput, ToolboxItem, ToolboxKind,
};
use onconet_domain::usage::{UsageKind, search_terms};
use onconet_domain::workflow::{check_role, check_transition};
use onconet_domain::{Actor, Lang, OrgCode, RegistryState, Role, TransitionError, Website};
use uuid::Uuid;

/// The longest search text: longer ones are refused (400), not cut silently.
pub const MAX_QUERY_CHARS: usize = 10_000;
/// A search uses the first this many words of its text (a pasted page is answered from its
/// beginning: OR-ing thousands of lexemes would match everything and rank nothing).
pub const MAX_QUERY_WORDS: usize = 32;

/// A toolbox item in the shape a front end received it (the HTTP body): what a merge patch is
/// read back into.
pub trait ToolboxDocument: Sized {
    /// The patched document read back (a wrong type or unknown field names its pointer).
    fn from_document(document: serde_json::Value) -> Result<Self>;
    fn into_input(self) -> ToolboxInput;
}

/// The list's parameters, as given.
#[derive(Debug, Clone, Copy, Default)]
pub struct ToolboxParams<'a> {
    pub q: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub financing_form: Option<&'a str>,
    pub network_type: Option<&'a str>,
    pub stage: Option<&'a str>,
    /// Registry states, a comma list (default `published`).
    pub states: Option<&'a str>,
    /// `true` or `false`.
    pub include_stale: Option<&'a str>,
    pub lang: Lang,
}

/// One item of a list or search.
#[derive(Debug, Clone)]
pub struct ToolboxHit {
    pub item: ToolboxItem,
    /// With a search: how well it matched (higher is better).
    pub rank: Option<f32>,
    /// With a search: the title with its matches in `<mark>`, as HTML.
    pub title_html: Option<String>,
    /// With a search: up to two passages with the matches in `<mark>`, as HTML.
    pub snippet_html: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ToolboxPage {
    pub items: Vec<ToolboxHit>,
    pub total: i64,
}

/// A revision of a toolbox item, for its history.
pub type ToolboxRevision = onconet_db::toolbox::ToolboxRevisionRow;

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn not_found(id: Uuid) -> Error {
    Error::NotFound(format!("no toolbox item with id {id}"))
}

fn into_domain(row: ToolboxRow) -> Result<ToolboxItem> {
    let bad = |what: &str, e: String| Error::internal(format!("stored toolbox {what}: {e}"));
    let content = ToolboxContent {
        kind: row
            .kind
            .parse::<ToolboxKind>()
            .map_err(|e| bad("kind", e.message))?,
        title: Bilingual {
            nl: row.title_nl,
            en: row.title_en,
        },
        summary: Bilingual {
            nl: row.summary_nl,
            en: row.summary_en,
        },
        body: row.body,
        financing_forms: row.financing_forms,
        network_types: row.network_types,
        stage: row
            .stage
            .parse::<Stage>()
            .map_err(|e| bad("stage", e.message))?,
        url: row
            .url
            .as_deref()
            .map(Website::parse)
            .transpose()
            .map_err(|e| bad("url", e.message))?,
        network_ids: row.network_ids,
        reviewed_at: row.reviewed_at,
        review_due: row.review_due,
        ros_org: row
            .ros_org
            .as_deref()
            .map(OrgCode::parse)
            .transpose()
            .map_err(|e| bad("ros_org", e.message))?,
    };
    Ok(ToolboxItem {
        id: row.id,
        content,
        state: row
            .state
            .parse::<RegistryState>()
            .map_err(|e| bad("state", e.message))?,
        version: row.version,
        demo: row.demo,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn columns(c: &ToolboxContent) -> ToolboxColumns {
    ToolboxColumns {
        kind: c.kind.as_str().into(),
        title_nl: c.title.nl.clone(),
        title_en: c.title.en.clone(),
        summary_nl: c.summary.nl.clone(),
        summary_en: c.summary.en.clone(),
        body: c.body.clone(),
        body_text: markdown::plain_text(&c.body),
        financing_forms: c.financing_forms.clone(),
        network_types: c.network_types.clone(),
        stage: c.stage.as_str().into(),
        url: c.url.as_ref().map(|u| u.as_str().into()),
        network_ids: c.network_ids.clone(),
        reviewed_at: c.reviewed_at,
        review_due: c.review_due,
        ros_org: c.ros_org.as_ref().map(|o| o.as_str().into()),
    }
}

/// What a revision keeps of an item: its content as the API writes it, and its state.
fn snapshot(item: &ToolboxItem) -> Result<serde_json::Value> {
    let mut doc =
        serde_json::to_value(ToolboxInput::from(&item.content)).map_err(Error::internal)?;
    if let Some(map) = doc.as_object_mut() {
        map.insert("state".into(), item.state.as_str().into());
    }
    Ok(doc)
}

async fn record(
    conn: &mut AsyncPgConnection,
    ctx: &Author<'_>,
    item: &ToolboxItem,
    action: &str,
    before: Option<&serde_json::Value>,
    reason: Option<String>,
) -> Result<()> {
    let after = snapshot(item)?;
    let mut changes = diff(before.unwrap_or(&serde_json::Value::Null), &after);
    if before.is_none() {
        changes.retain(|c| !c.new.is_null() && c.new != serde_json::json!([]));
    }
    let mut changes = serde_json::to_value(changes).map_err(Error::internal)?;
    if let (Some(reason), serde_json::Value::Array(list)) = (reason, &mut changes) {
        list.push(serde_json::json!({"field": "reason", "old": null, "new": reason}));
    }
    q::insert_revision(
        conn,
        &NewToolboxRevision {
            item_id: item.id,
            version: item.version,
            action: action.into(),
            actor_sub: ctx.actor.sub.clone(),
            actor_name: ctx.actor.name.clone(),
            request_id: ctx.request_id.clone(),
            changes,
            snapshot: after,
            state: item.state.as_str().into(),
        },
    )
    .await?;
    Ok(())
}

/// Checks `input` against every rule, and that `actor` may write an item of its ROS.
fn checked(registry: &Registry, actor: &Actor, input: ToolboxInput) -> Result<ToolboxContent> {
    let content = input
        .check(&registry.vocabularies, today())
        .map_err(|errors| Error::Invalid(errors.into_iter().map(Invalid::from).collect()))?;
    may_edit(actor, &content)?;
    Ok(content)
}

fn may_edit(actor: &Actor, content: &ToolboxContent) -> Result<()> {
    if actor.can_edit(content.ros_org.as_ref()) {
        Ok(())
    } else if actor.roles.is_empty() {
        Err(Error::Forbidden(
            "your token carries no onconet role".into(),
        ))
    } else {
        Err(Error::Forbidden(
            "ROS advisers may only write toolbox items of their own ROS (ros_org)".into(),
        ))
    }
}

/// The networks a good practice comes from must exist for the author (a draft of another ROS
/// is as unknown as an id never used).
async fn check_networks(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    content: &ToolboxContent,
) -> Result<()> {
    let known = onconet_db::networks::referenced(conn, &content.network_ids).await?;
    let problems: Vec<Invalid> = content
        .network_ids
        .iter()
        .enumerate()
        .filter(|(_, id)| {
            !known.iter().any(|(k, state, ros_org, _)| {
                k == *id
                    && (state == RegistryState::Published.as_str()
                        || actor.can_view_private(
                            ros_org
                                .as_deref()
                                .and_then(|o| OrgCode::parse(o).ok())
                                .as_ref(),
                        ))
            })
        })
        .map(|(i, id)| {
            Invalid::pointer(
                format!("/network_ids/{i}"),
                "unknown_network",
                format!("no network with id {id}"),
            )
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(problems))
    }
}

/// Loads item `id` for a change by `actor`: 404 when they may not see it, 403 when they may
/// see but not edit it.
async fn lock_editable(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
) -> Result<ToolboxItem> {
    let item = into_domain(
        q::find_for_update(conn, id)
            .await?
            .ok_or_else(|| not_found(id))?,
    )?;
    if item.state != RegistryState::Published
        && !actor.can_view_private(item.content.ros_org.as_ref())
    {
        return Err(not_found(id));
    }
    may_edit(actor, &item.content)?;
    Ok(item)
}

/// The toolbox filters of a search in one line, as usage counts keep them
/// (`kind=guide&financing_form=insurer_contract`; `""` for none).
fn toolbox_filter_line(f: &SearchFilter) -> String {
    [
        ("kind", f.kind.as_deref()),
        ("financing_form", f.financing_form.as_deref()),
        ("network_type", f.network_type.as_deref()),
        ("stage", f.stage.as_deref()),
    ]
    .iter()
    .filter_map(|(name, v)| v.map(|v| format!("{name}={v}")))
    .collect::<Vec<_>>()
    .join("&")
}

/// The words of a search, checked and cut to [`MAX_QUERY_WORDS`]; `None` for no search.
pub fn search_words(q: Option<&str>) -> Result<Option<String>> {
    let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) else {
        return Ok(None);
    };
    let chars = q.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(Error::bad_parameter(
            "q",
            "too_long",
            format!("must be at most {MAX_QUERY_CHARS} characters (got {chars})"),
        ));
    }
    // PostgreSQL text cannot hold NUL, and no search needs control characters; line breaks
    // and tabs come with pasted text.
    if q.chars()
        .any(|c| (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{7f}')
    {
        return Err(Error::bad_parameter(
            "q",
            "control_character",
            "must not contain control characters",
        ));
    }
    let words: Vec<&str> = q.split_whitespace().take(MAX_QUERY_WORDS).collect();
    Ok(Some(words.join(" ")))
}

/// Text from the search with its matches marked by `\u{2}` … `\u{3}`, as HTML: escaped, the
/// marks as `<mark>` (a stray mark is dropped, so the HTML stays balanced).
pub fn marked_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut open = false;
    for c in text.chars() {
        match c {
            '\u{2}' if !open => {
                out.push_str("<mark>");
                open = true;
            }
            '\u{3}' if open => {
                out.push_str("</mark>");
                open = false;
            }
            '\u{2}' | '\u{3}' => {}
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    if open {
        out.push_str("</mark>");
    }
    out
}

fn parse_flag(name: &str, value: Option<&str>) -> Result<bool> {
    match value.map(str::trim) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(Error::bad_parameter(
            name,
            "invalid_format",
            "must be true or false",
        )),
    }
}

fn parse_one<T: std::str::FromStr<Err = onconet_domain::error::InvalidValue>>(
    name: &str,
    value: Option<&str>,
) -> Result<Option<String>> {
    value
        .map(str::trim)
        .map(|v| {
            v.parse::<T>()
                .map(|_| v.to_owned())
                .map_err(|e| Error::bad_parameter(name, e.code, e.message))
        })
        .transpose()
}

fn parse_code(
    name: &str,
    value: Option<&str>,
    vocabulary: &onconet_domain::Vocabulary,
) -> Result<Option<String>> {
    value
        .map(str::trim)
        .map(|v| {
            onconet_domain::parse_code(vocabulary, v)
                .map_err(|e| Error::bad_parameter(name, e.code, e.message))
        })
        .transpose()
}

impl Registry {
    /// Creates a toolbox item as a draft. An adviser's item belongs to their ROS unless it
    /// says otherwise (and it may not name another).
    pub async fn create_toolbox_item(
        &self,
        ctx: &Author<'_>,
        mut input: ToolboxInput,
        demo: bool,
    ) -> Result<ToolboxItem> {
        let actor = ctx.actor;
        if !actor.can_create() {
            return Err(Error::Forbidden(
                "your token carries no onconet role".into(),
            ));
        }
        if !actor.is_registry_staff() && input.ros_org.is_none() {
            input.ros_org = actor.org.clone();
        }
        let content = checked(self, actor, input)?;
        let mut conn = self.conn().await?;
        conn.transaction::<_, Error, _>(async |conn| {
            check_networks(conn, actor, &content).await?;
            let row = q::insert(
                conn,
                Uuid::now_v7(),
                &columns(&content),
                RegistryState::Draft.as_str(),
                demo,
            )
            .await?;
            let item = into_domain(row)?;
            record(conn, ctx, &item, "created", None, None).await?;
            Ok(item)
        })
        .await
    }

    /// Applies a JSON Merge Patch (RFC 7396) to item `id` at the `if_match` version.
    pub async fn update_toolbox_item<D: ToolboxDocument>(
        &self,
        ctx: &Author<'_>,
        id: Uuid,
        if_match: &Precondition,
        patch: serde_json::Value,
    ) -> Result<ToolboxItem> {
        const READ_ONLY: [&str; 6] = ["id", "state", "version", "created_at", "updated_at", "demo"];
        let Some(fields) = patch.as_object() else {
            return Err(Error::Invalid(vec![Invalid::pointer(
                "",
                "invalid_type",
                "a merge patch must be a JSON object",
            )]));
        };
        let read_only: Vec<Invalid> = READ_ONLY
            .iter()
            .filter(|k| fields.contains_key(**k))
            .map(|k| {
                Invalid::pointer(
                    format!("/{k}"),
                    "read_only",
                    if *k == "state" {
                        "the state changes through POST /v1/toolbox/{id}/transitions".to_owned()
                    } else {
                        format!("`{k}` is set by the registry")
                    },
                )
            })
            .collect();
        let mut conn = self.conn().await?;
        conn.transaction::<_, Error, _>(async |conn| {
            let current = lock_editable(conn, ctx.actor, id).await?;
            if_match.check(current.version)?;
            if !read_only.is_empty() {
                return Err(Error::Invalid(read_only));
            }
            let mut doc = serde_json::to_value(ToolboxInput::from(&current.content))
                .map_err(Error::internal)?;
            json_patch::merge(&mut doc, &patch);
            let content = checked(self, ctx.actor, D::from_document(doc)?.into_input())?;
            if content == current.content {
                return Ok(current);
            }
            check_networks(conn, ctx.actor, &content).await?;
            let before = snapshot(&current)?;
            let row = q::update(
                conn,
                id,
                current.version,
                &columns(&content),
                current.state.as_str(),
            )
            .await?
            .ok_or(Error::Stale {
                current_version: current.version + 1,
            })?;
            let item = into_domain(row)?;
            record(conn, ctx, &item, "updated", Some(&before), None).await?;
            Ok(item)
        })
        .await
    }

    /// Moves item `id` to `to` in the review workflow; `reason` goes into the revision.
    pub async fn transition_toolbox_item(
        &self,
        ctx: &Author<'_>,
        id: Uuid,
        if_match: &Precondition,
        to: RegistryState,
        reason: Option<String>,
    ) -> Result<ToolboxItem> {
        let reason = parse_note("/reason", reason)?;
        let message = |e: TransitionError| {
            e.to_string()
                .replace("a network", "a toolbox item")
                .replace("move a network", "move a toolbox item")
        };
        let mut conn = self.conn().await?;
        conn.transaction::<_, Error, _>(async |conn| {
            let current = lock_editable(conn, ctx.actor, id).await?;
            if let Err(e) = check_role(ctx.actor, to) {
                return Err(Error::Forbidden(message(e)));
            }
            if_match.check(current.version)?;
            check_transition(ctx.actor, current.state, to).map_err(|e| match e {
                TransitionError::Forbidden { .. } => Error::Forbidden(message(e)),
                TransitionError::NotAllowed { .. } => Error::Conflict(message(e)),
            })?;
            let before = snapshot(&current)?;
            let row = q::update(
                conn,
                id,
                current.version,
                &columns(&current.content),
                to.as_str(),
            )
            .await?
            .ok_or(Error::Stale {
                current_version: current.version + 1,
            })?;
            let item = into_domain(row)?;
            record(conn, ctx, &item, "transition", Some(&before), reason).await?;
            Ok(item)
        })
        .await
    }

    /// One item: published ones for everybody, others for those who may see their ROS's
    /// drafts (404 otherwise). The flag says whether `viewer` may edit it.
    pub async fn toolbox_item(
        &self,
        id: Uuid,
        viewer: Option<&Actor>,
    ) -> Result<(ToolboxItem, bool)> {
        let mut conn = self.conn().await?;
        let item = into_domain(q::find(&mut conn, id).await?.ok_or_else(|| not_found(id))?)?;
        let editor = viewer.is_some_and(|a| a.can_edit(item.content.ros_org.as_ref()));
        if item.state != RegistryState::Published && !editor {
            return Err(not_found(id));
        }
        if item.state == RegistryState::Published {
            self.usage
                .count(UsageKind::ToolboxView, id.to_string(), String::new(), true);
        }
        Ok((item, editor))
    }

    /// The toolbox, searched and filtered: with `q` best match first, otherwise by title.
    pub async fn search_toolbox(
        &self,
        params: ToolboxParams<'_>,
        page: PageRequest,
        viewer: Option<&Actor>,
    ) -> Result<ToolboxPage> {
        let states =
            crate::filter::parse_list("state", params.states, |s| s.parse::<RegistryState>())?;
        let mut states: Vec<String> = states.iter().map(|s| s.as_str().to_owned()).collect();
        if states.is_empty() {
            states.push(RegistryState::Published.as_str().into());
        }
        states.sort();
        states.dedup();
        let mut unpublished_of = None;
        if states
            .iter()
            .any(|s| s != RegistryState::Published.as_str())
            && !is_staff(viewer)
        {
            match viewer
                .filter(|a| a.has(Role::RosAdviser))
                .and_then(|a| a.org.clone())
            {
                Some(org) => unpublished_of = Some(org),
                None if viewer.is_none() => {
                    return Err(Error::Unauthenticated(
                        "a bearer token is required to list toolbox items that are not published"
                            .into(),
                    ));
                }
                None => {
                    return Err(Error::Forbidden(
                        "only IKNL staff, admins and ROS advisers (for their own ROS) may list toolbox items that are not published".into(),
                    ));
                }
            }
        }
        let filter = SearchFilter {
            q: search_words(params.q)?,
            kind: parse_one::<ToolboxKind>("kind", params.kind)?,
            financing_form: parse_code(
                "financing_form",
                params.financing_form,
                &self.vocabularies.financing_forms,
            )?,
            network_type: parse_code(
                "network_type",
                params.network_type,
                &self.vocabularies.network_types,
            )?,
            stage: parse_one::<Stage>("stage", params.stage)?,
            states,
            unpublished_of,
            include_stale: parse_flag("include_stale", params.include_stale)?,
            english: params.lang == Lang::En,
            today: today(),
            limit: page.per_page,
            offset: (page.page - 1) * page.per_page,
        };
        let searched = filter.q.is_some();
        let mut conn = self.conn().await?;
        let hits = q::search(&mut conn, &filter).await?;
        let total = hits.first().map_or(0, |h| h.total);
        let items = hits
            .into_iter()
            .map(|h| {
                Ok(ToolboxHit {
                    item: into_domain(h.item)?,
                    rank: searched.then_some(h.rank),
                    title_html: h.title_marked.as_deref().map(marked_html),
                    snippet_html: h.snippet.as_deref().map(marked_html),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        // Past the last page the window function has no row to count on.
        let total = if items.is_empty() && page.page > 1 {
            let mut first = filter.clone();
            first.offset = 0;
            first.limit = 1;
            q::search(&mut conn, &first)
                .await?
                .first()
                .map_or(0, |h| h.total)
        } else {
            total
        };
        // The public toolbox's searches count: with words, first page, published items.
        if let Some(words) = filter
            .q
            .as_deref()
            .filter(|_| page.page == 1 && filter.states == [RegistryState::Published.as_str()])
        {
            self.usage.count(
                UsageKind::ToolboxSearch,
                search_terms(words),
                toolbox_filter_line(&filter),
                total > 0,
            );
        }
        Ok(ToolboxPage { items, total })
    }

    /// Every revision of item `id`, oldest first: for its editors and IKNL staff.
    pub async fn toolbox_history(
        &self,
        id: Uuid,
        viewer: Option<&Actor>,
    ) -> Result<Vec<ToolboxRevision>> {
        let Some(actor) = viewer else {
            return Err(Error::Unauthenticated(
                "the history is for editors: send a bearer token".into(),
            ));
        };
        let mut conn = self.conn().await?;
        let item = into_domain(q::find(&mut conn, id).await?.ok_or_else(|| not_found(id))?)?;
        if !actor.can_view_private(item.content.ros_org.as_ref()) {
            return Err(if item.state == RegistryState::Published {
                Error::Forbidden("the history is for the item's editors and IKNL staff".into())
            } else {
                not_found(id)
            });
        }
        Ok(q::revisions(&mut conn, id).await?)
    }

    /// Whether the demo toolbox has been loaded.
    pub async fn has_demo_toolbox(&self) -> Result<bool> {
        let mut conn = self.conn().await?;
        Ok(q::has_demo(&mut conn).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_become_html_and_text_is_escaped() {
        assert_eq!(
            marked_html("a \u{2}<b>\u{3} & \u{2}x"),
            "a <mark>&lt;b&gt;</mark> &amp; <mark>x</mark>"
        );
        assert_eq!(
            marked_html("\u{3}x\u{2}\u{2}y\u{3}\u{3}"),
            "x<mark>y</mark>"
        );
    }

    #[test]
    fn search_words_are_checked_and_cut() {
        assert_eq!(search_words(Some("  ")).ok(), Some(None));
        let long = "woord ".repeat(1_000);
        assert_eq!(
            search_words(Some(&long))
                .ok()
                .flatten()
                .map(|w| w.split(' ').count()),
            Some(MAX_QUERY_WORDS)
        );
        assert!(search_words(Some(&"x".repeat(MAX_QUERY_CHARS + 1))).is_err());
        assert!(search_words(Some("a\u{0}b")).is_err());
        assert_eq!(
            search_words(Some("a\tb\nc")).ok().flatten().as_deref(),
            Some("a b c")
        );
    }
}
