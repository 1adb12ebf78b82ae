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
}
