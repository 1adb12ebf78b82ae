//! The financing toolbox (DESIGN §7): knowledge items for people who lead or start a network,
//! linked to financing forms, network types and the networks a good practice comes from;
//! reviewed on a date and stale when past the next review.
//!
//! [`ToolboxInput`] is an item as written (every field optional, so that a missing one is
//! reported by name); [`ToolboxInput::check`] turns it into a [`ToolboxContent`], which is
//! always valid.

use crate::error::{FieldError, FieldErrors, InvalidValue};
use crate::network::{OrgCode, RegistryState, Website, parse_code, parse_text, string_enum};
use crate::vocabulary::{Vocabularies, Vocabulary};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

string_enum!(
    /// What kind of knowledge an item holds.
    ToolboxKind {
        Guide = "guide",
        ExampleDocument = "example_document",
        GoodPractice = "good_practice",
        Training = "training",
        Advice = "advice",
        Project = "project",
    }
);

string_enum!(
    /// The stage of a network an item is meant for.
    Stage { Starting = "starting", Developing = "developing", Professionalising = "professionalising" }
);

/// Sizes of an item's fields.
pub mod limits {
    pub const TITLE: usize = 200;
    pub const SUMMARY: usize = 1_000;
    /// Markdown, in characters.
    pub const BODY: usize = 50_000;
    /// Networks a good practice comes from.
    pub const NETWORKS: usize = 50;
    /// The longest review interval: knowledge is looked at again within five years.
    pub const REVIEW_INTERVAL_DAYS: i64 = 5 * 366;
}

/// A text in Dutch and English, both required.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bilingual {
    pub nl: String,
    pub en: String,
}

impl Bilingual {
    pub fn get(&self, lang: crate::Lang) -> &str {
        match lang {
            crate::Lang::En => &self.en,
            crate::Lang::Nl => &self.nl,
        }
    }
}

/// Bilingual text as written: either language may be missing (and is then reported).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BilingualInput {
    pub nl: Option<String>,
    pub en: Option<String>,
}

/// A toolbox item as written, in the API's shape (what a merge patch is applied to).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolboxInput {
    pub kind: Option<String>,
    pub title: Option<BilingualInput>,
    pub summary: Option<BilingualInput>,
    pub body: Option<String>,
    pub financing_forms: Option<Vec<String>>,
    pub network_types: Option<Vec<String>>,
    pub stage: Option<String>,
    pub url: Option<String>,
    pub network_ids: Option<Vec<Uuid>>,
    pub reviewed_at: Option<NaiveDate>,
    pub review_due: Option<NaiveDate>,
    pub ros_org: Option<String>,
}

/// A valid toolbox item's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolboxContent {
    pub kind: ToolboxKind,
    pub title: Bilingual,
    pub summary: Bilingual,
    /// Markdown as written (sanitised to HTML only on output).
    pub body: String,
    pub financing_forms: Vec<String>,
    pub network_types: Vec<String>,
    pub stage: Stage,
    pub url: Option<Website>,
    pub network_ids: Vec<Uuid>,
    pub reviewed_at: NaiveDate,
    pub review_due: NaiveDate,
    pub ros_org: Option<OrgCode>,
}

/// A stored toolbox item.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolboxItem {
    pub id: Uuid,
    pub content: ToolboxContent,
    pub state: RegistryState,
    pub version: i64,
    pub demo: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ToolboxItem {
    /// Past its review date on `today`: left out of the default list.
    pub fn is_stale(&self, today: NaiveDate) -> bool {
        is_stale(self.content.review_due, today)
    }
}

/// An item is stale once the day of its next review has passed.
pub fn is_stale(review_due: NaiveDate, today: NaiveDate) -> bool {
    review_due < today
}

fn required<T>(errors: &mut FieldErrors, key: &str, value: Option<T>) -> Option<T> {
    if value.is_none() {
        errors.add_at(key, "required", "is required");
    }
    value
}

fn bilingual(
    errors: &mut FieldErrors,
    key: &str,
    value: Option<BilingualInput>,
    max: usize,
) -> Option<Bilingual> {
    let value = required(errors, key, value)?;
    errors.in_key(key, |errors| {
        let mut one = |lang: &str, text: Option<String>| {
            let text = required(errors, lang, text)?;
            errors.check(lang, parse_text(&text, max))
        };
        let nl = one("nl", value.nl);
        let en = one("en", value.en);
        Some(Bilingual { nl: nl?, en: en? })
    })
}

fn codes(
    errors: &mut FieldErrors,
    key: &str,
    value: Option<Vec<String>>,
    vocabulary: &Vocabulary,
) -> Vec<String> {
    let mut codes = value.unwrap_or_default();
    errors.in_key(key, |errors| {
        for (i, code) in codes.iter().enumerate() {
            if let Err(e) = parse_code(vocabulary, code) {
                errors.in_index(i, |errors| errors.add(e.code, e.message));
            }
        }
    });
    codes.sort();
    codes.dedup();
    codes
}

fn parse_enum<T: FromStr<Err = InvalidValue>>(
    errors: &mut FieldErrors,
    key: &str,
    value: Option<String>,
) -> Option<T> {
    let value = required(errors, key, value)?;
    errors.check(key, value.parse())
}

impl ToolboxInput {
    /// Every rule at once, by field; `today` bounds the review dates.
    pub fn check(
        self,
        vocabularies: &Vocabularies,
        today: NaiveDate,
    ) -> Result<ToolboxContent, Vec<FieldError>> {
        let mut errors = FieldErrors::new();
        let kind = parse_enum::<ToolboxKind>(&mut errors, "kind", self.kind);
        let title = bilingual(&mut errors, "title", self.title, limits::TITLE);
        let summary = bilingual(&mut errors, "summary", self.summary, limits::SUMMARY);
        let body = match self.body.as_deref().map(str::trim) {
            None | Some("") => Some(String::new()),
            Some(body) => errors.check("body", parse_text(body, limits::BODY)),
        };
        let financing_forms = codes(
            &mut errors,
            "financing_forms",
            self.financing_forms,
            &vocabularies.financing_forms,
        );
        let network_types = codes(
            &mut errors,
            "network_types",
            self.network_types,
            &vocabularies.network_types,
        );
        let stage = parse_enum::<Stage>(&mut errors, "stage", self.stage);
        let url = match self.url.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(url) => errors.check("url", Website::parse(url)).map(Some),
        };
        let mut network_ids = self.network_ids.unwrap_or_default();
        network_ids.sort();
        network_ids.dedup();
        if network_ids.len() > limits::NETWORKS {
            errors.add_at(
                "network_ids",
                "too_many",
                format!("at most {} networks", limits::NETWORKS),
            );
        }
        let reviewed_at = required(&mut errors, "reviewed_at", self.reviewed_at);
        let review_due = required(&mut errors, "review_due", self.review_due);
        if let Some(reviewed) = reviewed_at
            && reviewed > today
        {
            errors.add_at(
                "reviewed_at",
                "in_future",
                "must not be after today: it says when the item was last reviewed",
            );
        }
        if let (Some(reviewed), Some(due)) = (reviewed_at, review_due) {
            if due <= reviewed {
                errors.add_at("review_due", "before_start", "must be after `reviewed_at`");
            } else if (due - reviewed).num_days() > limits::REVIEW_INTERVAL_DAYS {
                errors.add_at(
                    "review_due",
                    "out_of_range",
                    "must be at most five years after `reviewed_at`",
                );
            }
        }
        let ros_org = match self.ros_org.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(org) => errors.check("ros_org", OrgCode::parse(org)).map(Some),
        };
        match (
            kind,
            title,
            summary,
            body,
            stage,
            url,
            reviewed_at,
            review_due,
            ros_org,
        ) {
            (
                Some(kind),
                Some(title),
                Some(summary),
                Some(body),
                Some(stage),
                Some(url),
                Some(reviewed_at),
                Some(review_due),
                Some(ros_org),
            ) if errors.is_empty() => Ok(ToolboxContent {
                kind,
                title,
                summary,
                body,
                financing_forms,
                network_types,
                stage,
                url,
                network_ids,
                reviewed_at,
                review_due,
                ros_org,
            }),
            _ => Err(errors.into_vec()),
        }
    }
}

impl From<&ToolboxContent> for ToolboxInput {
    fn from(c: &ToolboxContent) -> Self {
        let text = |b: &Bilingual| BilingualInput {
            nl: Some(b.nl.clone()),
            en: Some(b.en.clone()),
        };
        Self {
            kind: Some(c.kind.as_str().into()),
            title: Some(text(&c.title)),
            summary: Some(text(&c.summary)),
            body: Some(c.body.clone()),
            financing_forms: Some(c.financing_forms.clone()),
            network_types: Some(c.network_types.clone()),
            stage: Some(c.stage.as_str().into()),
            url: c.url.as_ref().map(|u| u.as_str().into()),
            network_ids: Some(c.network_ids.clone()),
            reviewed_at: Some(c.reviewed_at),
            review_due: Some(c.review_due),
            ros_org: c.ros_org.as_ref().map(|o| o.as_str().into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn input() -> ToolboxInput {
        ToolboxInput {
            kind: Some("guide".into()),
            title: Some(BilingualInput {
                nl: Some(" Titel ".into()),
                en: Some("Title".into()),
            }),
            summary: Some(BilingualInput {
                nl: Some("Samenvatting".into()),
                en: Some("Summary".into()),
            }),
            body: Some("## Kop\n\nTekst".into()),
            financing_forms: Some(vec!["membership_fee".into(), "membership_fee".into()]),
            network_types: None,
            stage: Some("starting".into()),
            url: None,
            network_ids: None,
            reviewed_at: Some(day("2026-01-01")),
            review_due: Some(day("2027-01-01")),
            ros_org: None,
        }
    }

    #[test]
    fn a_complete_item_is_valid_and_normalised() {
        let c = input()
            .check(&Vocabularies::builtin(), day("2026-06-01"))
            .unwrap();
        assert_eq!(c.title.nl, "Titel");
        assert_eq!(c.financing_forms, ["membership_fee"]);
        assert_eq!(
            ToolboxInput::from(&c).check(&Vocabularies::builtin(), day("2026-06-01")),
            Ok(c)
        );
    }

    #[test]
    fn every_problem_is_named_by_pointer() {
        let mut i = input();
        i.kind = Some("recipe".into());
        i.title = Some(BilingualInput {
            nl: None,
            en: Some(String::new()),
        });
        i.summary = None;
        i.stage = None;
        i.financing_forms = Some(vec!["barter".into()]);
        i.url = Some("javascript:alert(1)".into());
        i.reviewed_at = Some(day("2026-07-01"));
        i.review_due = Some(day("2026-07-01"));
        let errors = i
            .check(&Vocabularies::builtin(), day("2026-06-01"))
            .unwrap_err();
        let pointers: Vec<String> = errors.iter().map(|e| e.pointer()).collect();
        assert_eq!(
            pointers,
            [
                "/kind",
                "/title/nl",
                "/title/en",
                "/summary",
                "/financing_forms/0",
                "/stage",
                "/url",
                "/reviewed_at",
                "/review_due"
            ]
        );
    }

    #[test]
    fn review_interval_is_bounded() {
        let mut i = input();
        i.review_due = Some(day("2032-01-02"));
        assert!(
            i.check(&Vocabularies::builtin(), day("2026-06-01"))
                .is_err()
        );
    }

    #[test]
    fn stale_after_the_review_day() {
        assert!(!is_stale(day("2026-06-01"), day("2026-06-01")));
        assert!(is_stale(day("2026-06-01"), day("2026-06-02")));
    }
}
