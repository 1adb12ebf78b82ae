//! The list envelope: `{"items": [...], "page": {...}}` plus an RFC 8288 `Link` header.

use crate::error::ApiError;
use serde::Serialize;
use utoipa::ToSchema;

pub const DEFAULT_PER_PAGE: i64 = 20;
pub const MAX_PER_PAGE: i64 = 100;

#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
pub struct PageInfo {
    /// This page, 1-based.
    pub page: i64,
    /// Items per page (at most 100).
    pub per_page: i64,
    /// Items matching the filters, on all pages.
    pub total_items: i64,
    /// Number of pages (0 when nothing matches).
    pub total_pages: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListResponse<T: ToSchema> {
    pub items: Vec<T>,
    pub page: PageInfo,
}

/// Parses `page` and `per_page` (defaults 1 and 20; `per_page` at most 100).
pub fn parse_paging(page: Option<&str>, per_page: Option<&str>) -> Result<(i64, i64), ApiError> {
    let parse = |name: &str, value: Option<&str>, default: i64, max: i64| match value {
        None => Ok(default),
        Some(v) => match v.trim().parse::<i64>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            Ok(_) => Err(ApiError::bad_parameter(
                name,
                "out_of_range",
                format!("must be between 1 and {max}"),
            )),
            Err(_) => Err(ApiError::bad_parameter(
                name,
                "invalid_type",
                "must be a positive integer",
            )),
        },
    };
    Ok((
        parse("page", page, 1, 1_000_000)?,
        parse("per_page", per_page, DEFAULT_PER_PAGE, MAX_PER_PAGE)?,
    ))
}

impl PageInfo {
    pub fn new(page: i64, per_page: i64, total_items: i64) -> Self {
        Self {
            page,
            per_page,
            total_items,
            total_pages: (total_items + per_page - 1) / per_page,
        }
    }

    /// The RFC 8288 `Link` header: `first`, `prev`, `next`, `last` as applicable, each the
    /// request's own path and query with `page` replaced.
    pub fn link_header(&self, path: &str, query: &str) -> String {
        use std::fmt::Write;
        // The query as sent without its `page` pairs; each link adds its own `page`.
        let mut base = String::with_capacity(query.len());
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let key = pair.split('=').next().unwrap_or_default();
            let is_page = url::form_urlencoded::parse(key.as_bytes())
                .next()
                .is_some_and(|(k, _)| k == "page");
            if is_page {
                continue;
            }
            if !base.is_empty() {
                base.push('&');
            }
            // A pair with characters that do not belong in a URI is encoded afresh.
            let plain = pair
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~%=+,:;!$'()*@/?".contains(&b));
            if plain {
                base.push_str(pair);
            } else {
                let mut encoded = url::form_urlencoded::Serializer::new(String::new());
                encoded.extend_pairs(url::form_urlencoded::parse(pair.as_bytes()));
                base.push_str(&encoded.finish());
            }
        }
        let separator = if base.is_empty() { "" } else { "&" };
        let mut links = String::with_capacity(4 * (path.len() + base.len() + 32));
        let mut link = |page: i64, rel: &str| {
            if !links.is_empty() {
                links.push_str(", ");
            }
            let _ = write!(
                links,
                "<{path}?{base}{separator}page={page}>; rel=\"{rel}\""
            );
        };
        let last = self.total_pages.max(1);
        link(1, "first");
        if self.page > 1 {
            link((self.page - 1).min(last), "prev");
        }
        if self.page < self.total_pages {
            link(self.page + 1, "next");
        }
        link(last, "last");
        links
    }
}

/// Declares a query struct whose last parameters are `page` and `per_page` (1–100, default
/// 20): the route's own fields, then those two, documented once here. It refuses unknown
/// parameters, as every query struct does, and has `paging()` for [`parse_paging`]. An opening
/// `lists ["state"];` names the parameters that take a list (comma-separated or repeated).
macro_rules! paged_query {
    (
        $(lists [$($list:literal),* $(,)?];)?
        $(#[$m:meta])*
        pub struct $name:ident {
            $( $(#[$fm:meta])* pub $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$m])*
        #[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
        #[serde(deny_unknown_fields)]
        #[into_params(parameter_in = Query)]
        pub struct $name {
            $( $(#[$fm])* pub $field: $ty, )*
            /// Page number, from 1.
            #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000, example = 1)]
            pub page: Option<String>,
            /// Items per page, 1–100 (default 20).
            #[param(value_type = Option<i64>, minimum = 1, maximum = 100, example = 20)]
            pub per_page: Option<String>,
        }

        impl crate::extract::ListParams for $name {
            const LISTS: &'static [&'static str] = &[$($($list),*)?];
        }

        impl $name {
            /// `page` and `per_page`, checked.
            pub fn paging(&self) -> Result<(i64, i64), crate::error::ApiError> {
                crate::dto::page::parse_paging(self.page.as_deref(), self.per_page.as_deref())
            }
        }
    };
}
pub(crate) use paged_query;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_math_and_links() {
        let p = PageInfo::new(2, 10, 25);
        assert_eq!(p.total_pages, 3);
        assert_eq!(
            p.link_header("/v1/networks", "type=expert_panel&page=2"),
            "</v1/networks?type=expert_panel&page=1>; rel=\"first\", </v1/networks?type=expert_panel&page=1>; rel=\"prev\", </v1/networks?type=expert_panel&page=3>; rel=\"next\", </v1/networks?type=expert_panel&page=3>; rel=\"last\""
        );
        assert_eq!(PageInfo::new(1, 20, 0).total_pages, 0);
        // Other parameters keep their encoding; every `page` (however written) is replaced.
        assert_eq!(
            PageInfo::new(1, 10, 5)
                .link_header("/v1/search", "pag%65=3&q=a%20b&&page=9&lat=52.1&x=<y>"),
            "</v1/search?q=a%20b&lat=52.1&x=%3Cy%3E&page=1>; rel=\"first\", </v1/search?q=a%20b&lat=52.1&x=%3Cy%3E&page=1>; rel=\"last\""
        );
    }

    #[test]
    fn paging_bounds() {
        assert_eq!(parse_paging(None, None).ok(), Some((1, 20)));
        assert!(parse_paging(Some("0"), None).is_err());
        assert!(parse_paging(None, Some("101")).is_err());
        assert!(parse_paging(Some("x"), None).is_err());
        assert_eq!(parse_paging(Some("3"), Some("100")).ok(), Some((3, 100)));
    }
}
