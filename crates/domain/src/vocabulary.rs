//! Controlled vocabularies: network types, disciplines, tumour types and financing forms.
//!
//! Vocabularies are data (`{code, label {nl, en}}`), served by the API and used to validate
//! profiles. The built-in set below is the registry's starting point; codes are English
//! snake_case and never change meaning once published.

use crate::lang::Lang;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VocabularyKind {
    NetworkTypes,
    Disciplines,
    TumourTypes,
    FinancingForms,
}

impl VocabularyKind {
    pub const ALL: [VocabularyKind; 4] = [
        VocabularyKind::NetworkTypes,
        VocabularyKind::Disciplines,
        VocabularyKind::TumourTypes,
        VocabularyKind::FinancingForms,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VocabularyKind::NetworkTypes => "network_types",
            VocabularyKind::Disciplines => "disciplines",
            VocabularyKind::TumourTypes => "tumour_types",
            VocabularyKind::FinancingForms => "financing_forms",
        }
    }
}

/// One entry of a vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VocabularyEntry {
    pub code: &'static str,
    pub label_nl: &'static str,
    pub label_en: &'static str,
    /// Vektis COD016 care-provider type, where one exists (disciplines only).
    pub vektis_cod016: Option<&'static str>,
}

impl VocabularyEntry {
    pub fn label(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Nl => self.label_nl,
            Lang::En => self.label_en,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Vocabulary {
    pub kind: VocabularyKind,
    pub entries: Vec<VocabularyEntry>,
}

impl Vocabulary {
    pub fn contains(&self, code: &str) -> bool {
        self.entries.iter().any(|e| e.code == code)
    }

    pub fn get(&self, code: &str) -> Option<&VocabularyEntry> {
        self.entries.iter().find(|e| e.code == code)
    }

    pub fn codes(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.entries.iter().map(|e| e.code)
    }
}

/// All vocabularies the registry validates against.
#[derive(Debug, Clone)]
pub struct Vocabularies {
    pub network_types: Vocabulary,
    pub disciplines: Vocabulary,
    pub tumour_types: Vocabulary,
    pub financing_forms: Vocabulary,
}

const fn entry(code: &'static str, nl: &'static str, en: &'static str) -> VocabularyEntry {
    VocabularyEntry {
        code,
        label_nl: nl,
        label_en: en,
        vektis_cod016: None,
    }
}

const fn vektis(
    code: &'static str,
    nl: &'static str,
    en: &'static str,
    cod016: &'static str,
) -> VocabularyEntry {
    VocabularyEntry {
        code,
        label_nl: nl,
        label_en: en,
        vektis_cod016: Some(cod016),
    }
}

impl Vocabularies {
    /// The built-in vocabularies.
    pub fn builtin() -> Self {
        Self {
            network_types: Vocabulary {
                kind: VocabularyKind::NetworkTypes,
                entries: vec![
                    entry(
                        "regional_oncology_network",
                        "Regionaal oncologienetwerk",
                        "Regional oncology network",
                    ),
                    entry(
                        "network_tumour_group",
                        "Netwerktumorgroep",
                        "Network tumour group",
                    ),
                    entry("expert_panel", "Expertpanel", "Expert panel"),
                    entry(
                        "oncology_care_network",
                        "Oncologiezorgnetwerk",
                        "Oncology care network",
                    ),
                ],
            },
            disciplines: Vocabulary {
                kind: VocabularyKind::Disciplines,
                entries: vec![
                    vektis("physiotherapy", "Fysiotherapie", "Physiotherapy", "0400"),
                    entry("exercise_therapy", "Oefentherapie", "Exercise therapy"),
                    entry(
                        "skin_therapy",
                        "Huidtherapie (incl. oedeemtherapie)",
                        "Skin therapy (incl. oedema therapy)",
                    ),
                    entry(
                        "occupational_therapy",
                        "Ergotherapie",
                        "Occupational therapy",
                    ),
                    entry("dietetics", "Diëtetiek", "Dietetics"),
                    entry("speech_therapy", "Logopedie", "Speech therapy"),
                    entry("psychology", "Psychologie", "Psychology"),
                    entry("social_work", "Maatschappelijk werk", "Social work"),
                    entry(
                        "psychosocial_therapy",
                        "Psychosociale therapie",
                        "Psychosocial therapy",
                    ),
                    entry("spiritual_care", "Geestelijke verzorging", "Spiritual care"),
                    vektis(
                        "general_practice",
                        "Huisartsenzorg",
                        "General practice",
                        "0100",
                    ),
                    entry(
                        "practice_nurse_mental_health",
                        "Praktijkondersteuner GGZ (POH-GGZ)",
                        "Practice nurse mental health (POH-GGZ)",
                    ),
                    entry("district_nursing", "Wijkverpleging", "District nursing"),
                    entry(
                        "oncology_nursing",
                        "Oncologieverpleegkunde",
                        "Oncology nursing",
                    ),
                    entry("sexology", "Seksuologie", "Sexology"),
                    entry("podiatry", "Podotherapie", "Podiatry"),
                    entry("rehabilitation", "Revalidatie", "Rehabilitation"),
                    entry(
                        "work_reintegration",
                        "Re-integratie naar werk",
                        "Return to work",
                    ),
                    entry("walk_in_centre", "Inloophuis", "Walk-in centre"),
                    vektis("pharmacy", "Farmacie", "Pharmacy", "0200"),
                ],
            },
            tumour_types: Vocabulary {
                kind: VocabularyKind::TumourTypes,
                entries: vec![
                    entry("breast", "Mammacarcinoom", "Breast"),
                    entry("lung", "Longkanker", "Lung"),
                    entry("colorectal", "Colorectaal carcinoom", "Colorectal"),
                    entry(
                        "upper_gi",
                        "Slokdarm- en maagkanker",
                        "Upper gastrointestinal",
                    ),
                    entry(
                        "hpb",
                        "Lever-, galweg- en pancreaskanker",
                        "Hepato-pancreato-biliary",
                    ),
                    entry(
                        "gynaecological",
                        "Gynaecologische oncologie",
                        "Gynaecological",
                    ),
                    entry("urological", "Urologische tumoren", "Urological"),
                    entry("prostate", "Prostaatkanker", "Prostate"),
                    entry("head_neck", "Hoofd-halstumoren", "Head and neck"),
                    entry(
                        "melanoma_skin",
                        "Melanoom en huidkanker",
                        "Melanoma and skin",
                    ),
                    entry("neuro", "Neuro-oncologie", "Neuro-oncology"),
                    entry("haematological", "Hemato-oncologie", "Haematological"),
                    entry("sarcoma", "Sarcomen", "Sarcoma"),
                    entry("endocrine", "Endocriene tumoren", "Endocrine"),
                    entry("eye", "Oogtumoren", "Eye"),
                    entry("paediatric", "Kinderoncologie", "Paediatric"),
                    entry(
                        "neuroendocrine",
                        "Neuro-endocriene tumoren",
                        "Neuroendocrine",
                    ),
                ],
            },
            financing_forms: Vocabulary {
                kind: VocabularyKind::FinancingForms,
                entries: vec![
                    entry("membership_fee", "Contributie", "Membership fee"),
                    entry(
                        "insurer_contract",
                        "Contract met zorgverzekeraar",
                        "Insurer contract",
                    ),
                    entry(
                        "insurer_innovation_grant",
                        "Innovatiesubsidie zorgverzekeraar",
                        "Insurer innovation grant",
                    ),
                    entry(
                        "municipality_grant",
                        "Subsidie gemeente",
                        "Municipality grant",
                    ),
                    entry("project_grant", "Projectsubsidie", "Project grant"),
                    entry(
                        "hospital_contribution",
                        "Bijdrage ziekenhuis",
                        "Hospital contribution",
                    ),
                    entry(
                        "integrated_care_funding",
                        "Integrale bekostiging",
                        "Integrated care funding",
                    ),
                    entry(
                        "consultation_fee",
                        "Consultatie- of MDO-vergoeding",
                        "Consultation fee",
                    ),
                    entry("sponsorship", "Sponsoring", "Sponsorship"),
                    entry("none", "Geen financiering", "None"),
                ],
            },
        }
    }

    pub fn get(&self, kind: VocabularyKind) -> &Vocabulary {
        match kind {
            VocabularyKind::NetworkTypes => &self.network_types,
            VocabularyKind::Disciplines => &self.disciplines,
            VocabularyKind::TumourTypes => &self.tumour_types,
            VocabularyKind::FinancingForms => &self.financing_forms,
        }
    }

    pub fn all(&self) -> [&Vocabulary; 4] {
        VocabularyKind::ALL.map(|k| self.get(k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::NetworkType;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_snake_case_and_labelled() {
        let vocabularies = Vocabularies::builtin();
        for vocabulary in vocabularies.all() {
            let mut seen = HashSet::new();
            for e in &vocabulary.entries {
                assert!(seen.insert(e.code), "duplicate code {}", e.code);
                assert!(
                    e.code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                    "{} is not snake_case",
                    e.code
                );
                assert!(!e.label_nl.is_empty() && !e.label_en.is_empty());
            }
        }
    }

    #[test]
    fn network_type_vocabulary_matches_the_enum() {
        let vocabularies = Vocabularies::builtin();
        let codes: Vec<_> = vocabularies.network_types.codes().collect();
        let enum_codes: Vec<_> = NetworkType::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(codes, enum_codes);
    }

    #[test]
    fn physiotherapy_maps_to_vektis_0400() {
        let vocabularies = Vocabularies::builtin();
        let physio = vocabularies.disciplines.get("physiotherapy");
        assert_eq!(physio.and_then(|e| e.vektis_cod016), Some("0400"));
    }
}
