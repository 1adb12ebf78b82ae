//! Request and response bodies of `/v1/toolbox`.

use chrono::{DateTime, NaiveDate, Utc};
use onconet_domain::toolbox::{BilingualInput, ToolboxInput, ToolboxItem};
use onconet_registry::toolbox::{ToolboxDocument, ToolboxHit};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A text in Dutch and English.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BilingualBody {
    /// Dutch.
    #[schema(value_type = String, required = true)]
    pub nl: Option<String>,
    /// English.
    #[schema(value_type = String, required = true)]
    pub en: Option<String>,
}

/// A toolbox item as written. Every rule is checked at once and each problem named by JSON
/// pointer (422).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ToolboxBody {
    /// What kind of knowledge it holds.
    #[schema(schema_with = crate::dto::schema::toolbox_kind, required = true)]
    pub kind: Option<String>,
    /// Both languages required, each at most 200 characters.
    #[schema(value_type = BilingualBody, required = true,
        example = json!({"nl": "Contract met de zorgverzekeraar", "en": "A contract with the health insurer"}))]
    pub title: Option<BilingualBody>,
    /// Both languages required, each at most 1,000 characters.
    #[schema(value_type = BilingualBody, required = true)]
    pub summary: Option<BilingualBody>,
    /// Markdown (CommonMark with tables), at most 50,000 characters. Raw HTML in it is shown
    /// as text, not markup, and the output (`body_html`) is sanitised as well: scripts,
    /// styles, frames, forms, images, event attributes and links other than http, https and
    /// mailto are removed.
    #[serde(default)]
    pub body: Option<String>,
    /// Codes from the `financing_forms` vocabulary the item is about.
    #[serde(default)]
    #[schema(example = json!(["insurer_contract"]))]
    pub financing_forms: Option<Vec<String>>,
    /// Codes from the `network_types` vocabulary it is meant for.
    #[serde(default)]
    #[schema(example = json!(["oncology_care_network"]))]
    pub network_types: Option<Vec<String>>,
    /// The stage of a network it is meant for.
    #[schema(schema_with = crate::dto::schema::toolbox_stage, required = true)]
    pub stage: Option<String>,
    /// Where the full document, training or project lives (http or https).
    #[serde(default)]
    #[schema(example = "https://example.org/handleiding")]
    pub url: Option<String>,
    /// The networks a good practice comes from (at most 50; each must exist).
    #[serde(default)]
    pub network_ids: Option<Vec<Uuid>>,
    /// When the content was last reviewed (not after today).
    #[schema(value_type = NaiveDate, required = true)]
    pub reviewed_at: Option<NaiveDate>,
    /// When it must be reviewed again: after `reviewed_at`, at most five years later. Past
    /// this day the item is stale and left out of the default list.
    #[schema(value_type = NaiveDate, required = true)]
    pub review_due: Option<NaiveDate>,
    /// The ROS whose advisers may edit it; an adviser's item is their own ROS's. Items of
    /// no ROS are edited by IKNL staff only.
    #[serde(default)]
    pub ros_org: Option<String>,
}

impl From<BilingualBody> for BilingualInput {
    fn from(b: BilingualBody) -> Self {
        Self { nl: b.nl, en: b.en }
    }
}

impl ToolboxDocument for ToolboxBody {
    fn from_document(document: serde_json::Value) -> onconet_registry::Result<Self> {
        Ok(crate::extract::from_value(document)?)
    }

    fn into_input(self) -> ToolboxInput {
        ToolboxInput {
            kind: self.kind,
            title: self.title.map(Into::into),
            summary: self.summary.map(Into::into),
            body: self.body,
            financing_forms: self.financing_forms,
            network_types: self.network_types,
            stage: self.stage,
            url: self.url,
            network_ids: self.network_ids,
            reviewed_at: self.reviewed_at,
            review_due: self.review_due,
            ros_org: self.ros_org,
        }
    }
}

/// A text in Dutch and English.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BilingualResponse {
    pub nl: String,
    pub en: String,
}

/// How a search matched an item.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ToolboxMatch {
    /// Higher is better (titles weigh most, then summaries, then bodies).
    pub rank: f32,
    /// The title in the language of `Accept-Language`, HTML-escaped, with the matched words
    /// in `<mark>`.
    pub title_html: String,
    /// Up to two passages of the summary and body (same language), HTML-escaped, matches in
    /// `<mark>`, joined by ` … `.
    pub snippet_html: String,
}

/// A toolbox item.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ToolboxItemResponse {
    pub id: Uuid,
    #[schema(schema_with = crate::dto::schema::toolbox_kind)]
    pub kind: String,
    pub title: BilingualResponse,
    pub summary: BilingualResponse,
    /// The body as safe HTML (sanitised: no scripts, styles, frames, forms, images, event
    /// attributes, or links but http, https and mailto).
    pub body_html: String,
    /// The body's Markdown as written: for its editors only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    pub financing_forms: Vec<String>,
    pub network_types: Vec<String>,
    #[schema(schema_with = crate::dto::schema::toolbox_stage)]
    pub stage: String,
    pub url: Option<String>,
    /// The networks a good practice comes from.
    pub network_ids: Vec<Uuid>,
    pub reviewed_at: NaiveDate,
    pub review_due: NaiveDate,
    /// Past `review_due`: the knowledge may be out of date.
    pub stale: bool,
    #[schema(schema_with = crate::dto::schema::registry_state)]
    pub state: String,
    pub ros_org: Option<String>,
    /// Part of the clearly labelled demo set.
    pub demo: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// With `q`: how the search matched it.
    #[serde(rename = "match", skip_serializing_if = "Option::is_none")]
    pub matched: Option<ToolboxMatch>,
}

impl ToolboxItemResponse {
    pub fn new(item: &ToolboxItem, editor: bool, today: NaiveDate) -> Self {
        let c = &item.content;
        let text = |b: &onconet_domain::toolbox::Bilingual| BilingualResponse {
            nl: b.nl.clone(),
            en: b.en.clone(),
        };
        Self {
            id: item.id,
            kind: c.kind.as_str().into(),
            title: text(&c.title),
            summary: text(&c.summary),
            body_html: onconet_registry::markdown::safe_html(&c.body),
            body: editor.then(|| c.body.clone()),
            financing_forms: c.financing_forms.clone(),
            network_types: c.network_types.clone(),
            stage: c.stage.as_str().into(),
            url: c.url.as_ref().map(|u| u.as_str().into()),
            network_ids: c.network_ids.clone(),
            reviewed_at: c.reviewed_at,
            review_due: c.review_due,
            stale: item.is_stale(today),
            state: item.state.as_str().into(),
            ros_org: c.ros_org.as_ref().map(|o| o.as_str().into()),
            demo: item.demo,
            version: item.version,
            created_at: item.created_at,
            updated_at: item.updated_at,
            matched: None,
        }
    }

    pub fn from_hit(
        hit: ToolboxHit,
        viewer: Option<&onconet_domain::Actor>,
        today: NaiveDate,
    ) -> Self {
        let editor = viewer.is_some_and(|a| a.can_edit(hit.item.content.ros_org.as_ref()));
        let mut out = Self::new(&hit.item, editor, today);
        if let (Some(rank), Some(title_html), Some(snippet_html)) =
            (hit.rank, hit.title_html, hit.snippet_html)
        {
            out.matched = Some(ToolboxMatch {
                rank,
                title_html,
                snippet_html,
            });
        }
        out
    }
}
