use onconet_domain::{Lang, Vocabularies, VocabularyEntry};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct Labels {
    pub nl: String,
    pub en: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VocabularyEntryResponse {
    /// Stable code, used in profiles and filters.
    #[schema(example = "physiotherapy")]
    pub code: String,
    /// Label in the language chosen by `Accept-Language` (`nl` by default).
    #[schema(example = "Fysiotherapie")]
    pub label: String,
    /// Both labels.
    pub labels: Labels,
    /// Vektis COD016 care-provider type, where the discipline has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "0400")]
    pub vektis_cod016: Option<String>,
}

/// Every vocabulary of the registry.
#[derive(Debug, Serialize, ToSchema)]
pub struct VocabulariesResponse {
    /// The language of `label`.
    #[schema(example = "nl")]
    pub lang: String,
    pub network_types: Vec<VocabularyEntryResponse>,
    pub disciplines: Vec<VocabularyEntryResponse>,
    pub tumour_types: Vec<VocabularyEntryResponse>,
    pub financing_forms: Vec<VocabularyEntryResponse>,
}

fn entries(list: &[VocabularyEntry], lang: Lang) -> Vec<VocabularyEntryResponse> {
    list.iter()
        .map(|e| VocabularyEntryResponse {
            code: e.code.into(),
            label: e.label(lang).into(),
            labels: Labels {
                nl: e.label_nl.into(),
                en: e.label_en.into(),
            },
            vektis_cod016: e.vektis_cod016.map(Into::into),
        })
        .collect()
}

impl VocabulariesResponse {
    pub fn new(v: &Vocabularies, lang: Lang) -> Self {
        Self {
            lang: lang.as_str().into(),
            network_types: entries(&v.network_types.entries, lang),
            disciplines: entries(&v.disciplines.entries, lang),
            tumour_types: entries(&v.tumour_types.entries, lang),
            financing_forms: entries(&v.financing_forms.entries, lang),
        }
    }
}
