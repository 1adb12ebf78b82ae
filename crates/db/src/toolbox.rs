//! Queries on the toolbox: `toolbox_items` (with their generated full-text columns
//! `search_nl` and `search_en`) and `toolbox_revisions`.

use crate::DbError;
use crate::schema::{toolbox_items, toolbox_revisions};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Float4, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = toolbox_items)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct ToolboxRow {
    pub id: Uuid,
    pub kind: String,
    pub title_nl: String,
    pub title_en: String,
    pub summary_nl: String,
    pub summary_en: String,
    pub body: String,
    pub body_text: String,
    pub financing_forms: Vec<String>,
    pub network_types: Vec<String>,
    pub stage: String,
    pub url: Option<String>,
    pub network_ids: Vec<Uuid>,
    pub reviewed_at: NaiveDate,
    pub review_due: NaiveDate,
    pub ros_org: Option<String>,
    pub state: String,
    pub demo: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What an author writes of an item (everything but its id, state and bookkeeping).
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = toolbox_items)]
#[diesel(treat_none_as_null = true)]
pub struct ToolboxColumns {
    pub kind: String,
    pub title_nl: String,
    pub title_en: String,
    pub summary_nl: String,
    pub summary_en: String,
    pub body: String,
    pub body_text: String,
    pub financing_forms: Vec<String>,
    pub network_types: Vec<String>,
    pub stage: String,
    pub url: Option<String>,
    pub network_ids: Vec<Uuid>,
    pub reviewed_at: NaiveDate,
    pub review_due: NaiveDate,
    pub ros_org: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = toolbox_revisions)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct ToolboxRevisionRow {
    pub id: i64,
    pub item_id: Uuid,
    pub version: i64,
    pub action: String,
    pub actor_sub: String,
    pub actor_name: Option<String>,
    pub request_id: Option<String>,
    pub changes: Value,
    pub snapshot: Value,
    pub state: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = toolbox_revisions)]
pub struct NewToolboxRevision {
    pub item_id: Uuid,
    pub version: i64,
    pub action: String,
    pub actor_sub: String,
    pub actor_name: Option<String>,
    pub request_id: Option<String>,
    pub changes: Value,
    pub snapshot: Value,
    pub state: String,
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    columns: &ToolboxColumns,
    state: &str,
    demo: bool,
) -> Result<ToolboxRow, DbError> {
    Ok(diesel::insert_into(toolbox_items::table)
        .values((
            toolbox_items::id.eq(id),
            columns.clone(),
            toolbox_items::state.eq(state),
            toolbox_items::demo.eq(demo),
        ))
        .returning(ToolboxRow::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> Result<Option<ToolboxRow>, DbError> {
    Ok(toolbox_items::table
        .find(id)
        .select(ToolboxRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn find_for_update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> Result<Option<ToolboxRow>, DbError> {
    Ok(toolbox_items::table
        .find(id)
        .select(ToolboxRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?)
}

/// Writes `columns` and `state` as the version after `version`; `None` when the item has
/// moved on since.
pub async fn update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    version: i64,
    columns: &ToolboxColumns,
    state: &str,
) -> Result<Option<ToolboxRow>, DbError> {
    Ok(diesel::update(
        toolbox_items::table
            .filter(toolbox_items::id.eq(id))
            .filter(toolbox_items::version.eq(version)),
    )
    .set((
        columns.clone(),
        toolbox_items::state.eq(state),
        toolbox_items::version.eq(version + 1),
        toolbox_items::updated_at.eq(diesel::dsl::now),
    ))
    .returning(ToolboxRow::as_returning())
    .get_result(conn)
    .await
    .optional()?)
}

pub async fn insert_revision(
    conn: &mut AsyncPgConnection,
    new: &NewToolboxRevision,
) -> Result<(), DbError> {
    diesel::insert_into(toolbox_revisions::table)
        .values(new.clone())
        .execute(conn)
        .await?;
    Ok(())
}

/// Every revision of item `id`, oldest first.
pub async fn revisions(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> Result<Vec<ToolboxRevisionRow>, DbError> {
    Ok(toolbox_revisions::table
        .filter(toolbox_revisions::item_id.eq(id))
        .order(toolbox_revisions::version.asc())
        .select(ToolboxRevisionRow::as_select())
        .load(conn)
        .await?)
}

/// The Dutch and English titles of the items among `ids` (for the usage report's top list).
pub async fn titles(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> Result<Vec<(Uuid, String, String)>, DbError> {
    Ok(toolbox_items::table
        .filter(toolbox_items::id.eq_any(ids))
        .select((
            toolbox_items::id,
            toolbox_items::title_nl,
            toolbox_items::title_en,
        ))
        .load(conn)
        .await?)
}

pub async fn has_demo(conn: &mut AsyncPgConnection) -> Result<bool, DbError> {
    Ok(diesel::select(diesel::dsl::exists(
        toolbox_items::table.filter(toolbox_items::demo.eq(true)),
    ))
    .get_result(conn)
    .await?)
}

/// A toolbox search: which items, in which order.
#[derive(Debug, Clone, Default)]
pub struct SearchFilter {
    /// The searched words (already cut to a sensible number by the caller); `None` lists.
    pub q: Option<String>,
    pub kind: Option<String>,
    pub financing_form: Option<String>,
    pub network_type: Option<String>,
    pub stage: Option<String>,
    /// Registry states to include.
    pub states: Vec<String>,
    /// Outside `published`, only items of this ROS (an adviser's view).
    pub unpublished_of: Option<String>,
    /// Whether items past their review date are included.
    pub include_stale: bool,
    /// Titles and snippets in English (`en`) or Dutch.
    pub english: bool,
    pub today: NaiveDate,
    pub limit: i64,
    pub offset: i64,
}

/// One item found, with its rank and the highlighted text (`\u{2}` opens a match, `\u{3}`
/// closes it; the text is not HTML-escaped).
#[derive(Debug, Clone, QueryableByName)]
pub struct SearchHit {
    #[diesel(embed)]
    pub item: ToolboxRow,
    #[diesel(sql_type = Float4)]
    pub rank: f32,
    #[diesel(sql_type = Nullable<Text>)]
    pub title_marked: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub snippet: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub total: i64,
}

/// The search. `q` holds words separated by single spaces; they become an OR query of their
/// lexemes in each language (a quote, `&`,
/// `!` or `:*` in the text is a character like any other, never query syntax: every lexeme is
/// quoted), ranked by the sum of both languages' `ts_rank` (titles weigh most, then summaries,
/// then bodies). Fixed SQL: every filter is a bind that may be null.
pub async fn search(
    conn: &mut AsyncPgConnection,
    filter: &SearchFilter,
) -> Result<Vec<SearchHit>, DbError> {
    const SQL: &str = r#"
WITH words AS (
    -- A word counts when it is a word in both languages: a stop word of either ("de", "the")
    -- or a bare operator ("&", "!") matches nothing, so that a Dutch "de" does not match the
    -- Dutch text that an English vector also holds.
    SELECT w FROM unnest(string_to_array(coalesce($1, ''), ' ')) AS w
    WHERE to_tsvector('onconet_dutch'::regconfig, w) <> ''::tsvector
      AND to_tsvector('onconet_english'::regconfig, w) <> ''::tsvector
), query AS (
    SELECT
        coalesce((SELECT string_agg(DISTINCT '''' || replace(replace(l.lexeme, '\', '\\'), '''', '''''') || '''', ' | ')
                  FROM words, unnest(to_tsvector('onconet_dutch'::regconfig, words.w)) AS l), '')::tsquery AS nl,
        coalesce((SELECT string_agg(DISTINCT '''' || replace(replace(l.lexeme, '\', '\\'), '''', '''''') || '''', ' | ')
                  FROM words, unnest(to_tsvector('onconet_english'::regconfig, words.w)) AS l), '')::tsquery AS en
), found AS (
    SELECT i.*,
           CASE WHEN $1 IS NULL THEN 0::real
                ELSE ts_rank(i.search_nl, query.nl) + ts_rank(i.search_en, query.en) END AS rank
    FROM toolbox_items i, query
    WHERE ($1 IS NULL OR i.search_nl @@ query.nl OR i.search_en @@ query.en)
      AND ($2::text IS NULL OR i.kind = $2)
      AND ($3::text IS NULL OR $3 = ANY (i.financing_forms))
      AND ($4::text IS NULL OR $4 = ANY (i.network_types))
      AND ($5::text IS NULL OR i.stage = $5)
      AND i.state = ANY ($6)
      AND (i.state = 'published' OR $7::text IS NULL OR i.ros_org = $7)
      AND ($8 OR i.review_due >= $9)
)
SELECT found.id, found.kind, found.title_nl, found.title_en, found.summary_nl, found.summary_en,
       found.body, found.body_text, found.financing_forms, found.network_types, found.stage,
       found.url, found.network_ids, found.reviewed_at, found.review_due, found.ros_org,
       found.state, found.demo, found.version, found.created_at, found.updated_at,
       found.rank,
       CASE WHEN $1 IS NULL THEN NULL
            WHEN $10 THEN ts_headline('onconet_english'::regconfig, found.title_en, query.en,
                                      'HighlightAll=true, StartSel=' || chr(2) || ', StopSel=' || chr(3))
            ELSE ts_headline('onconet_dutch'::regconfig, found.title_nl, query.nl,
                             'HighlightAll=true, StartSel=' || chr(2) || ', StopSel=' || chr(3)) END AS title_marked,
       CASE WHEN $1 IS NULL THEN NULL
            WHEN $10 THEN ts_headline('onconet_english'::regconfig, found.summary_en || E'\n' || found.body_text, query.en,
                                      'MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … ", StartSel=' || chr(2) || ', StopSel=' || chr(3))
            ELSE ts_headline('onconet_dutch'::regconfig, found.summary_nl || E'\n' || found.body_text, query.nl,
                             'MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … ", StartSel=' || chr(2) || ', StopSel=' || chr(3)) END AS snippet,
       count(*) OVER () AS total
FROM found, query
ORDER BY found.rank DESC,
         CASE WHEN $10 THEN found.title_en ELSE found.title_nl END,
         found.id
LIMIT $11 OFFSET $12
"#;
    Ok(diesel::sql_query(SQL)
        .bind::<Nullable<Text>, _>(filter.q.as_deref())
        .bind::<Nullable<Text>, _>(filter.kind.as_deref())
        .bind::<Nullable<Text>, _>(filter.financing_form.as_deref())
        .bind::<Nullable<Text>, _>(filter.network_type.as_deref())
        .bind::<Nullable<Text>, _>(filter.stage.as_deref())
        .bind::<Array<Text>, _>(&filter.states)
        .bind::<Nullable<Text>, _>(filter.unpublished_of.as_deref())
        .bind::<Bool, _>(filter.include_stale)
        .bind::<diesel::sql_types::Date, _>(filter.today)
        .bind::<Bool, _>(filter.english)
        .bind::<BigInt, _>(filter.limit)
        .bind::<BigInt, _>(filter.offset)
        .load(conn)
        .await?)
}
