//! The network filter's query parameters, declared once for every route that filters
//! (`/v1/networks`, `/v1/search`, `/v1/coverage`, `/v1/coverage/disciplines`): their names,
//! schemas and descriptions in the OpenAPI document, and their hand-over to the registry's
//! one parser ([`onconet_registry::NetworkFilter::parse`]).

/// Declares a query struct: the route's own parameters, then the filter's (`type`,
/// `discipline`, `tumour_type`, `lifecycle`). The struct refuses unknown parameters, as
/// every query struct here does, and gets `filter_params()` for the registry. `lists` names
/// the route's own list parameters (the filter's are lists too): see
/// [`crate::extract::ListParams`].
macro_rules! filtered_query {
    (
        lists [$($list:literal),* $(,)?];
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
            /// Network types, comma-separated (any of). Coverage reports count
            /// `oncology_care_network` when none is given.
            #[serde(rename = "type")]
            #[param(rename = "type", schema_with = crate::dto::schema::network_type_list, style = Form, explode = false)]
            pub network_type: Option<String>,
            /// Discipline codes, comma-separated (all of: a network must offer each).
            #[param(schema_with = crate::dto::schema::discipline_list, style = Form, explode = false)]
            pub discipline: Option<String>,
            /// Tumour-type codes, comma-separated (all of).
            #[param(schema_with = crate::dto::schema::tumour_type_list, style = Form, explode = false)]
            pub tumour_type: Option<String>,
            /// Lifecycles, comma-separated (any of). Coverage reports count `active` networks
            /// when none is given.
            #[param(schema_with = crate::dto::schema::lifecycle_list, style = Form, explode = false)]
            pub lifecycle: Option<String>,
        }

        impl crate::extract::ListParams for $name {
            const LISTS: &'static [&'static str] =
                &["type", "discipline", "tumour_type", "lifecycle", $($list),*];
        }

        impl $name {
            /// The filter's parameters as given, for the registry's parser.
            pub fn filter_params(&self) -> onconet_registry::FilterParams<'_> {
                onconet_registry::FilterParams {
                    types: self.network_type.as_deref(),
                    disciplines: self.discipline.as_deref(),
                    tumour_types: self.tumour_type.as_deref(),
                    lifecycles: self.lifecycle.as_deref(),
                }
            }
        }
    };
}

pub(crate) use filtered_query;
