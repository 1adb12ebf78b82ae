//! Query strings of `/v1/networks` and `/v1/search` read as the API reads them
//! (`onconet_api::extract::parse_query`), then every parameter parsed: the network filter (and
//! its canonical form read back), the text query, paging, the radius and the list filter for
//! an anonymous caller and for IKNL staff.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onconet_api::dto::page::parse_paging;
use onconet_api::extract::parse_query;
use onconet_api::routes::networks::ListNetworksQuery;
use onconet_api::routes::search::SearchQuery;
use onconet_domain::{Actor, Role, Vocabularies};
use onconet_registry::networks::list_filter;
use onconet_registry::places::parse_radius;
use onconet_registry::{NetworkFilter, TextQuery};
use std::sync::LazyLock;

static VOCABULARIES: LazyLock<Vocabularies> = LazyLock::new(Vocabularies::builtin);

fn filter_round_trip(filter: &NetworkFilter) {
    let line = filter.canonical();
    let back = NetworkFilter::from_canonical(&line, &VOCABULARIES).map(|f| f.canonical());
    assert_eq!(back.as_deref(), Some(line.as_str()));
}

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(q) = parse_query::<SearchQuery>(query) {
        if let Ok(filter) = NetworkFilter::parse(q.filter_params(), &VOCABULARIES) {
            filter_round_trip(&filter);
        }
        if let Ok(Some(text)) = TextQuery::parse(q.q.as_deref()) {
            let _ = text.matches("Oncologienetwerk Groningen");
        }
        if let Ok(km) = parse_radius(q.radius_km.as_deref()) {
            assert!(km.is_finite() && km >= 0.0, "radius {km}");
        }
        if let Ok((page, per_page)) = parse_paging(q.page.as_deref(), q.per_page.as_deref()) {
            assert!(page >= 1 && per_page >= 1);
        }
    }
    if let Ok(q) = parse_query::<ListNetworksQuery>(query) {
        let staff = Actor {
            sub: "fuzz".into(),
            name: None,
            roles: vec![Role::IknlStaff],
            org: None,
        };
        let _ = list_filter(q.params(), &VOCABULARIES, None);
        let _ = list_filter(q.params(), &VOCABULARIES, Some(&staff));
        let _ = parse_paging(q.page.as_deref(), q.per_page.as_deref());
    }
});
