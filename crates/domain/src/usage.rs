//! Anonymous usage counts (DESIGN §7, issue 17): what is counted, how a toolbox search is
//! reduced to its terms, and the k-anonymity rule that every output obeys.
//!
//! Anonymous by construction: a count's key is a day, a kind, a subject (a municipality code,
//! a toolbox search's terms or a toolbox item id), the filter used and whether anything was
//! found. There is no field for an address, a user agent, a token subject or a cookie, so
//! none can be stored.

use chrono::{Months, NaiveDate};
use std::collections::HashSet;
use std::sync::OnceLock;

/// Counts below this are never shown (k-anonymity): not in a series, a total or a top list.
pub const MIN_SHOWN: i64 = 5;

/// Counts are kept this many months, then deleted.
pub const RETENTION_MONTHS: u32 = 24;

/// A toolbox search keeps at most this many terms…
pub const MAX_TERMS: usize = 8;
/// …of at most this many characters each.
pub const MAX_TERM_CHARS: usize = 32;

/// What was counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UsageKind {
    /// A find-a-network search (`/v1/search`, first page): subject = the place's
    /// municipality code (`""` outside every municipality), filter = the network filter,
    /// found = a network covers the place.
    FinderSearch,
    /// A toolbox search with words: subject = its terms ([`search_terms`]), filter = the
    /// toolbox filters, found = an item matched.
    ToolboxSearch,
    /// A published toolbox item opened: subject = its id.
    ToolboxView,
}

impl UsageKind {
    pub const ALL: [UsageKind; 3] = [Self::FinderSearch, Self::ToolboxSearch, Self::ToolboxView];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::FinderSearch => "finder_search",
            Self::ToolboxSearch => "toolbox_search",
            Self::ToolboxView => "toolbox_view",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The key of one counter: everything a count may say.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UsageKey {
    pub day: NaiveDate,
    pub kind: UsageKind,
    pub subject: String,
    pub filter: String,
    pub found: bool,
}

/// A count as it may be shown: `None` below [`MIN_SHOWN`].
pub fn shown(count: i64) -> Option<i64> {
    (count >= MIN_SHOWN).then_some(count)
}

/// The first day still kept on `today`: counts of earlier days are deleted.
pub fn retention_start(today: NaiveDate) -> NaiveDate {
    today
        .checked_sub_months(Months::new(RETENTION_MONTHS))
        .unwrap_or(NaiveDate::MIN)
}

fn stop_words() -> &'static HashSet<&'static str> {
    static WORDS: OnceLock<HashSet<&'static str>> = OnceLock::new();
    WORDS.get_or_init(|| {
        [
            include_str!("usage/stopwords-nl.txt"),
            include_str!("usage/stopwords-en.txt"),
        ]
        .iter()
        .flat_map(|list| list.lines())
        .map(str::trim)
        .filter(|w| !w.is_empty() && !w.starts_with('#'))
        .collect()
    })
}

/// A toolbox search's terms, as counted: the words of `q` in lower case (letters and digits;
/// everything else separates words), without the Dutch and English stop words (Snowball's
/// lists, as PostgreSQL's text search uses them), each cut to [`MAX_TERM_CHARS`]
/// characters; the first [`MAX_TERMS`] different ones, sorted and joined by single spaces
/// (so that "MDO financiering" and "financiering van het MDO" count as one search).
pub fn search_terms(q: &str) -> String {
    let stop = stop_words();
    let mut terms: Vec<String> = Vec::new();
    for word in q.split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        let word: String = word.to_lowercase().chars().take(MAX_TERM_CHARS).collect();
        if stop.contains(word.as_str()) || terms.contains(&word) {
            continue;
        }
        terms.push(word);
        if terms.len() == MAX_TERMS {
            break;
        }
    }
    terms.sort();
    terms.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_drop_stop_words_in_both_languages_and_sort() {
        assert_eq!(search_terms("Financiering van het MDO"), "financiering mdo");
        assert_eq!(search_terms("MDO financiering"), "financiering mdo");
        assert_eq!(
            search_terms("How to write the policy plan?"),
            "plan policy write"
        );
        assert_eq!(search_terms("de het een the a"), "");
        assert_eq!(search_terms(""), "");
    }

    #[test]
    fn terms_treat_operators_and_quotes_as_separators() {
        assert_eq!(
            search_terms("'zorgverzekeraar' & !contract | \"x:*\""),
            "contract x zorgverzekeraar"
        );
        assert_eq!(
            search_terms("Zorgverzekeraar ZORGVERZEKERAAR"),
            "zorgverzekeraar"
        );
        assert_eq!(
            search_terms("beleidsplan—voorbeeld"),
            "beleidsplan voorbeeld"
        );
    }

    #[test]
    fn terms_are_bounded_whatever_the_input() {
        let long = "abcdefghij".repeat(1000);
        let many: String = (0..2000).map(|i| format!("w{i} ")).collect();
        assert_eq!(search_terms(&long).chars().count(), MAX_TERM_CHARS);
        let t = search_terms(&many);
        assert_eq!(t.split(' ').count(), MAX_TERMS);
        assert!(t.split(' ').all(|w| w.starts_with('w')));
        // Accented and non-Latin letters are letters.
        assert_eq!(search_terms("Café ÉÉN 東京"), "café één 東京");
    }

    #[test]
    fn small_counts_are_not_shown() {
        assert_eq!(shown(0), None);
        assert_eq!(shown(4), None);
        assert_eq!(shown(5), Some(5));
        assert_eq!(shown(1_000_000), Some(1_000_000));
    }

    #[test]
    fn retention_is_24_months() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(retention_start(d("2026-12-06")), d("2024-12-06"));
        assert_eq!(retention_start(d("2026-02-28")), d("2024-02-28"));
        assert_eq!(retention_start(d("2028-02-29")), d("2026-02-28"));
    }

    #[test]
    fn kinds_round_trip() {
        for k in UsageKind::ALL {
            assert_eq!(UsageKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(UsageKind::parse("x"), None);
    }
}
