//! The network filter: one type, one parser, for every operation that selects networks (the
//! list, the search, the coverage report). Front ends hand over the raw parameter values;
//! the rules of the comma lists and the vocabulary checks live here once.

use crate::error::{Error, Result};
use onconet_domain::error::InvalidValue;
use onconet_domain::{Lifecycle, NetworkType, Vocabularies, parse_code};

/// The parameters of a filter as given (`type=a,b&discipline=c`): each a comma list, or
/// absent.
#[derive(Debug, Clone, Copy, Default)]
pub struct FilterParams<'a> {
    /// `type`: network types (any of).
    pub types: Option<&'a str>,
    /// `discipline`: discipline codes (all of).
    pub disciplines: Option<&'a str>,
    /// `tumour_type`: tumour-type codes (all of).
    pub tumour_types: Option<&'a str>,
    /// `lifecycle`: lifecycles (any of).
    pub lifecycles: Option<&'a str>,
}

/// Which networks an operation is about. Empty lists do not restrict.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct NetworkFilter {
    /// Any of these types.
    pub types: Vec<NetworkType>,
    /// All of these disciplines.
    pub disciplines: Vec<String>,
    /// All of these tumour types.
    pub tumour_types: Vec<String>,
    /// Any of these lifecycles.
    pub lifecycles: Vec<Lifecycle>,
}

impl NetworkFilter {
    /// Parses the parameters, checking codes against the vocabularies; a bad item is a 400
    /// naming its parameter.
    pub fn parse(params: FilterParams<'_>, vocabularies: &Vocabularies) -> Result<Self> {
        let v = vocabularies;
        Ok(Self {
            types: parse_list("type", params.types, |s| s.parse::<NetworkType>())?,
            disciplines: parse_list("discipline", params.disciplines, |s| {
                parse_code(&v.disciplines, s)
            })?,
            tumour_types: parse_list("tumour_type", params.tumour_types, |s| {
                parse_code(&v.tumour_types, s)
            })?,
            lifecycles: parse_list("lifecycle", params.lifecycles, |s| s.parse::<Lifecycle>())?,
        })
    }

    /// Whether nothing is restricted.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
            && self.disciplines.is_empty()
            && self.tumour_types.is_empty()
            && self.lifecycles.is_empty()
    }

    /// Whether a network with these properties passes.
    pub fn matches(
        &self,
        network_type: NetworkType,
        lifecycle: Lifecycle,
        disciplines: &[String],
        tumour_types: &[String],
    ) -> bool {
        (self.types.is_empty() || self.types.contains(&network_type))
            && (self.lifecycles.is_empty() || self.lifecycles.contains(&lifecycle))
            && self.disciplines.iter().all(|d| disciplines.contains(d))
            && self.tumour_types.iter().all(|t| tumour_types.contains(t))
    }

    /// The filter in one canonical line, as usage counts keep it: the restricted facets in a
    /// fixed order, each list sorted (`type=expert_panel&discipline=dietetics,physiotherapy`;
    /// `""` when nothing is restricted). [`NetworkFilter::from_canonical`] reads it back.
    pub fn canonical(&self) -> String {
        fn facet(out: &mut Vec<String>, name: &str, mut codes: Vec<&str>) {
            if !codes.is_empty() {
                codes.sort_unstable();
                codes.dedup();
                out.push(format!("{name}={}", codes.join(",")));
            }
        }
        let mut out = Vec::new();
        facet(
            &mut out,
            "type",
            self.types.iter().map(|t| t.as_str()).collect(),
        );
        facet(
            &mut out,
            "discipline",
            self.disciplines.iter().map(String::as_str).collect(),
        );
        facet(
            &mut out,
            "tumour_type",
            self.tumour_types.iter().map(String::as_str).collect(),
        );
        facet(
            &mut out,
            "lifecycle",
            self.lifecycles.iter().map(|l| l.as_str()).collect(),
        );
        out.join("&")
    }

    /// Reads back a [`NetworkFilter::canonical`] line (`None` when it is not one, e.g. a code
    /// that left the vocabulary).
    pub fn from_canonical(line: &str, vocabularies: &Vocabularies) -> Option<Self> {
        let mut params = FilterParams::default();
        for part in line.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = part.split_once('=')?;
            let slot = match name {
                "type" => &mut params.types,
                "discipline" => &mut params.disciplines,
                "tumour_type" => &mut params.tumour_types,
                "lifecycle" => &mut params.lifecycles,
                _ => return None,
            };
            *slot = Some(value);
        }
        Self::parse(params, vocabularies).ok()
    }

    /// Whether a search made with this filter asked for what `report` is about: on each of
    /// type, discipline and tumour type, either of them does not restrict it or they share a
    /// code. (A search for physiotherapy is demand for a physiotherapy report and for the
    /// report of all care networks; a search for dietetics is not demand for physiotherapy.)
    pub fn asks_for(&self, report: &NetworkFilter) -> bool {
        fn overlap<T: PartialEq>(a: &[T], b: &[T]) -> bool {
            a.is_empty() || b.is_empty() || a.iter().any(|x| b.contains(x))
        }
        overlap(&self.types, &report.types)
            && overlap(&self.disciplines, &report.disciplines)
            && overlap(&self.tumour_types, &report.tumour_types)
    }

    /// What coverage counts when the filter does not say: oncology care networks, active
    /// ones (DESIGN section 4).
    pub fn or_coverage_defaults(mut self) -> Self {
        if self.types.is_empty() {
            self.types.push(NetworkType::OncologyCareNetwork);
        }
        if self.lifecycles.is_empty() {
            self.lifecycles.push(Lifecycle::Active);
        }
        self
    }
}

/// Words to find in a network's name or description (`q`): trimmed, case-insensitive, at
/// most 200 characters, no control characters (PostgreSQL text cannot hold NUL, and no search
/// needs them). The list asks PostgreSQL (`ILIKE`), the search its in-memory index
/// ([`TextQuery::matches`]); both read the words as one literal piece of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextQuery {
    /// As given, trimmed (for the database).
    pub text: String,
    /// In lower case (for the index).
    lower: String,
}

impl TextQuery {
    pub const MAX_CHARS: usize = 200;

    /// `None` when absent or blank; a 400 naming `q` when it cannot be a search.
    pub fn parse(value: Option<&str>) -> Result<Option<Self>> {
        let Some(text) = value.map(str::trim).filter(|q| !q.is_empty()) else {
            return Ok(None);
        };
        if text.chars().any(|c| c < ' ' || c == '\u{7f}') {
            return Err(Error::bad_parameter(
                "q",
                "control_character",
                "must not contain control characters",
            ));
        }
        if text.chars().count() > Self::MAX_CHARS {
            return Err(Error::bad_parameter(
                "q",
                "too_long",
                format!("must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        Ok(Some(Self {
            text: text.to_owned(),
            lower: text.to_lowercase(),
        }))
    }

    /// Whether the words occur in `haystack`, which is already in lower case
    /// ([`TextQuery::haystack`]).
    pub fn matches(&self, haystack: &str) -> bool {
        haystack.contains(&self.lower)
    }

    /// What a network is searched by: its name and both descriptions, in lower case, each on a
    /// line of its own (a query holds no line break, so it never matches across two fields).
    pub fn haystack<'a>(fields: impl IntoIterator<Item = &'a str>) -> String {
        let mut out = String::new();
        for f in fields {
            out.push_str(&f.to_lowercase());
            out.push('\n');
        }
        out
    }
}

/// Parses a list parameter (comma-separated; a repeated key arrives joined with commas) item
/// by item; an empty item is refused like any other bad one.
pub fn parse_list<T>(
    name: &str,
    value: Option<&str>,
    parse: impl Fn(&str) -> std::result::Result<T, InvalidValue>,
) -> Result<Vec<T>> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    value
        .split(',')
        .map(str::trim)
        .map(|item| {
            if item.is_empty() {
                return Err(Error::bad_parameter(name, "empty", "a list item is empty"));
            }
            parse(item).map_err(|e| Error::bad_parameter(name, e.code, e.message))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(p: FilterParams<'_>) -> Result<NetworkFilter> {
        NetworkFilter::parse(p, &Vocabularies::builtin())
    }

    #[test]
    fn text_queries_are_literal_case_insensitive_and_stay_within_a_field() {
        let q = TextQuery::parse(Some("  Zorg GRONINGEN "))
            .unwrap()
            .unwrap();
        assert_eq!(q.text, "Zorg GRONINGEN");
        let hay = TextQuery::haystack(["Oncologiezorg Groningen", "", "Care in Groningen"]);
        assert!(q.matches(&hay));
        assert!(
            TextQuery::parse(Some("CARE IN"))
                .unwrap()
                .unwrap()
                .matches(&hay)
        );
        // Not across the name and a description.
        assert!(
            !TextQuery::parse(Some("groningen care"))
                .unwrap()
                .unwrap()
                .matches(&hay)
        );
        let two = TextQuery::haystack(["Noord", "Zuid"]);
        assert!(
            !TextQuery::parse(Some("noord zuid"))
                .unwrap()
                .unwrap()
                .matches(&two)
        );
        assert!(
            TextQuery::parse(Some("%"))
                .unwrap()
                .unwrap()
                .matches("100%\n")
        );
        assert!(
            !TextQuery::parse(Some("%"))
                .unwrap()
                .unwrap()
                .matches("abc\n")
        );
        assert_eq!(TextQuery::parse(Some("   ")).unwrap(), None);
        assert_eq!(TextQuery::parse(None).unwrap(), None);
        for bad in ["a\u{0}b", "tab\there", &"x".repeat(201)] {
            assert!(matches!(
                TextQuery::parse(Some(bad)),
                Err(Error::BadRequest { .. })
            ));
        }
        assert!(TextQuery::parse(Some(&"é".repeat(200))).unwrap().is_some());
    }

    #[test]
    fn lists_are_parsed_and_checked() {
        let f = parse(FilterParams {
            types: Some("oncology_care_network, expert_panel"),
            disciplines: Some("physiotherapy,dietetics"),
            tumour_types: None,
            lifecycles: Some("active"),
        })
        .unwrap();
        assert_eq!(
            f.types,
            [NetworkType::OncologyCareNetwork, NetworkType::ExpertPanel]
        );
        assert_eq!(f.disciplines, ["physiotherapy", "dietetics"]);
        assert!(f.tumour_types.is_empty());
        for (params, name) in [
            (
                FilterParams {
                    types: Some("castle"),
                    ..Default::default()
                },
                "type",
            ),
            (
                FilterParams {
                    disciplines: Some("physiotherapy,,dietetics"),
                    ..Default::default()
                },
                "discipline",
            ),
            (
                FilterParams {
                    tumour_types: Some("astrology"),
                    ..Default::default()
                },
                "tumour_type",
            ),
        ] {
            match parse(params) {
                Err(Error::BadRequest { errors, .. }) => {
                    assert_eq!(errors[0].parameter.as_deref(), Some(name));
                }
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    #[test]
    fn all_of_for_codes_any_of_for_types() {
        let f = parse(FilterParams {
            types: Some("oncology_care_network,expert_panel"),
            disciplines: Some("physiotherapy,dietetics"),
            ..Default::default()
        })
        .unwrap();
        let both = ["physiotherapy".to_owned(), "dietetics".to_owned()];
        assert!(f.matches(NetworkType::ExpertPanel, Lifecycle::Active, &both, &[]));
        assert!(!f.matches(NetworkType::ExpertPanel, Lifecycle::Active, &both[..1], &[]));
        assert!(!f.matches(
            NetworkType::RegionalOncologyNetwork,
            Lifecycle::Active,
            &both,
            &[]
        ));
        assert!(NetworkFilter::default().matches(
            NetworkType::RegionalOncologyNetwork,
            Lifecycle::Inactive,
            &[],
            &[]
        ));
        let defaults = NetworkFilter::default().or_coverage_defaults();
        assert_eq!(defaults.types, [NetworkType::OncologyCareNetwork]);
        assert_eq!(defaults.lifecycles, [Lifecycle::Active]);
    }

    #[test]
    fn canonical_lines_are_sorted_and_read_back() {
        let f = parse(FilterParams {
            types: Some("oncology_care_network,expert_panel"),
            disciplines: Some("physiotherapy,dietetics,physiotherapy"),
            lifecycles: Some("active"),
            ..Default::default()
        })
        .unwrap();
        let line = f.canonical();
        assert_eq!(
            line,
            "type=expert_panel,oncology_care_network&discipline=dietetics,physiotherapy&lifecycle=active"
        );
        let back = NetworkFilter::from_canonical(&line, &Vocabularies::builtin()).unwrap();
        assert_eq!(back.canonical(), line);
        assert_eq!(NetworkFilter::default().canonical(), "");
        let v = Vocabularies::builtin();
        assert_eq!(
            NetworkFilter::from_canonical("", &v),
            Some(NetworkFilter::default())
        );
        for bad in [
            "discipline=astrology",
            "colour=red",
            "type",
            "type=expert_panel&&x",
        ] {
            assert_eq!(NetworkFilter::from_canonical(bad, &v), None, "{bad}");
        }
    }

    #[test]
    fn a_search_asks_for_a_report_when_each_facet_is_open_or_shared() {
        let f = |types: Option<&str>, disciplines: Option<&str>| {
            parse(FilterParams {
                types,
                disciplines,
                ..Default::default()
            })
            .unwrap()
        };
        let physio_report = f(Some("oncology_care_network"), Some("physiotherapy"));
        let all_care = f(Some("oncology_care_network"), None);
        assert!(f(None, None).asks_for(&physio_report));
        assert!(f(None, Some("physiotherapy,dietetics")).asks_for(&physio_report));
        assert!(!f(None, Some("dietetics")).asks_for(&physio_report));
        assert!(f(None, Some("dietetics")).asks_for(&all_care));
        assert!(!f(Some("expert_panel"), None).asks_for(&all_care));
        assert!(f(Some("expert_panel,oncology_care_network"), None).asks_for(&all_care));
    }
}
