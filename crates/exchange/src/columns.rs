//! The columns of a spreadsheet of networks (CSV, XLSX): the profile document's fields, each
//! under an English and a Dutch heading. A heading matches when it equals the key, the English
//! or the Dutch heading ignoring case, spaces and punctuation (`Extern ID`, `external_id`).
//! Lists of codes are one cell separated by `;` (also `,`, `|` or a line break); lists of
//! records (contacts, members, …) are a JSON array in one cell, or, for the common case of
//! one contact person, five plain columns.

/// How a cell becomes a JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string; empty is absent.
    Text,
    /// Codes separated by `;`, `,`, `|` or line breaks: a JSON array of strings.
    List,
    /// JSON (an array or object), written in the cell as text.
    Json,
    /// `yes`/`no`, `ja`/`nee`, `true`/`false`, `1`/`0`.
    Bool,
    /// Written on export (id, state, …), read back for information only: the registry sets it.
    Informational,
}

/// One column.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Where the value goes in the document, dotted (`service_area.municipalities`);
    /// `contact.*` columns make up the first contact person.
    pub key: &'static str,
    pub en: &'static str,
    pub nl: &'static str,
    pub kind: Kind,
    /// Written by an export and shown in the template (the single-contact columns are not:
    /// the export writes every contact in `contacts`).
    pub exported: bool,
    /// What the template says about it.
    pub hint_en: &'static str,
    pub hint_nl: &'static str,
}

const fn col(
    key: &'static str,
    en: &'static str,
    nl: &'static str,
    kind: Kind,
    hint_en: &'static str,
    hint_nl: &'static str,
) -> Column {
    Column {
        key,
        en,
        nl,
        kind,
        exported: true,
        hint_en,
        hint_nl,
    }
}

const fn contact(key: &'static str, en: &'static str, nl: &'static str, kind: Kind) -> Column {
    Column {
        key,
        en,
        nl,
        kind,
        exported: false,
        hint_en: "",
        hint_nl: "",
    }
}

/// Every column, in the order an export and the template write them.
pub const COLUMNS: &[Column] = &[
    col(
        "id",
        "ID",
        "ID",
        Kind::Text,
        "the registry's id: set to update that network, empty for a new one",
        "het id in het register: invullen om dat netwerk bij te werken, leeg voor een nieuw",
    ),
    col(
        "external_id",
        "External ID",
        "Extern ID",
        Kind::Text,
        "your own key for the network (unique per ROS); importing again updates it",
        "uw eigen sleutel voor het netwerk (uniek per ROS); opnieuw importeren werkt het bij",
    ),
    col(
        "name",
        "Name",
        "Naam",
        Kind::Text,
        "required, 1-200 characters",
        "verplicht, 1-200 tekens",
    ),
    col(
        "type",
        "Type",
        "Soort",
        Kind::Text,
        "regional_oncology_network, network_tumour_group, expert_panel or oncology_care_network",
        "regional_oncology_network, network_tumour_group, expert_panel of oncology_care_network",
    ),
    col(
        "scale",
        "Scale",
        "Schaal",
        Kind::Text,
        "local, regional or supra_regional",
        "local, regional of supra_regional",
    ),
    col(
        "lifecycle",
        "Lifecycle",
        "Levensfase",
        Kind::Text,
        "in_formation (default), active or inactive",
        "in_formation (standaard), active of inactive",
    ),
    col(
        "parent_id",
        "Parent network ID",
        "Bovenliggend netwerk (ID)",
        Kind::Text,
        "id of the network this one is part of",
        "id van het netwerk waar dit deel van is",
    ),
    col(
        "ros_org",
        "ROS",
        "ROS",
        Kind::Text,
        "code of the supporting ROS",
        "code van de ondersteunende ROS",
    ),
    col(
        "website",
        "Website",
        "Website",
        Kind::Text,
        "https://…",
        "https://…",
    ),
    col(
        "description.nl",
        "Description (Dutch)",
        "Omschrijving (Nederlands)",
        Kind::Text,
        "",
        "",
    ),
    col(
        "description.en",
        "Description (English)",
        "Omschrijving (Engels)",
        Kind::Text,
        "",
        "",
    ),
    col(
        "disciplines",
        "Disciplines",
        "Disciplines",
        Kind::List,
        "codes from /v1/vocabularies, separated by ;",
        "codes uit /v1/vocabularies, gescheiden door ;",
    ),
    col(
        "tumour_types",
        "Tumour types",
        "Tumorsoorten",
        Kind::List,
        "codes from /v1/vocabularies, separated by ;",
        "codes uit /v1/vocabularies, gescheiden door ;",
    ),
    col(
        "service_area.municipalities",
        "Municipalities (CBS codes)",
        "Gemeenten (CBS-codes)",
        Kind::List,
        "GM0014; GM0034",
        "GM0014; GM0034",
    ),
    col(
        "service_area.postcodes",
        "Postcodes (PC4)",
        "Postcodes (PC4)",
        Kind::List,
        "9711; 9712",
        "9711; 9712",
    ),
    col(
        "service_area.circles",
        "Circles (JSON)",
        "Cirkels (JSON)",
        Kind::Json,
        "[{\"lat\":52.1,\"lon\":5.1,\"radius_km\":10}]",
        "[{\"lat\":52.1,\"lon\":5.1,\"radius_km\":10}]",
    ),
    col(
        "service_area.geometry",
        "Service area geometry (GeoJSON)",
        "Werkgebied-geometrie (GeoJSON)",
        Kind::Json,
        "a GeoJSON Polygon or MultiPolygon",
        "een GeoJSON Polygon of MultiPolygon",
    ),
    col(
        "contacts",
        "Contacts (JSON)",
        "Contactpersonen (JSON)",
        Kind::Json,
        "[{\"role\":\"coordinator\",\"name\":\"…\",\"email\":\"…\",\"public\":true}], or use the five contact columns",
        "[{\"role\":\"coordinator\",\"name\":\"…\",\"email\":\"…\",\"public\":true}], of gebruik de vijf kolommen voor de contactpersoon",
    ),
    contact(
        "contact.name",
        "Contact name",
        "Naam contactpersoon",
        Kind::Text,
    ),
    contact(
        "contact.role",
        "Contact role",
        "Rol contactpersoon",
        Kind::Text,
    ),
    contact(
        "contact.email",
        "Contact email",
        "E-mail contactpersoon",
        Kind::Text,
    ),
    contact(
        "contact.phone",
        "Contact phone",
        "Telefoon contactpersoon",
        Kind::Text,
    ),
    contact(
        "contact.public",
        "Contact public",
        "Contactpersoon openbaar",
        Kind::Bool,
    ),
    col(
        "members",
        "Members (JSON)",
        "Leden (JSON)",
        Kind::Json,
        "[{\"name\":\"…\",\"kind\":\"practice\",\"agb\":\"12345678\"}]",
        "[{\"name\":\"…\",\"kind\":\"practice\",\"agb\":\"12345678\"}]",
    ),
    col(
        "financing",
        "Financing (JSON)",
        "Financiering (JSON)",
        Kind::Json,
        "[{\"form\":\"…\",\"funder\":\"…\"}]",
        "[{\"form\":\"…\",\"funder\":\"…\"}]",
    ),
    col(
        "links",
        "Links (JSON)",
        "Koppelingen (JSON)",
        Kind::Json,
        "[{\"network_id\":\"…\",\"kind\":\"hospital_network\"}]",
        "[{\"network_id\":\"…\",\"kind\":\"hospital_network\"}]",
    ),
    col(
        "partners",
        "Partners outside the registry (JSON)",
        "Partners buiten het register (JSON)",
        Kind::Json,
        "[{\"name\":\"…\",\"kind\":\"rehabilitation\",\"agb\":\"05012345\"}]",
        "[{\"name\":\"…\",\"kind\":\"rehabilitation\",\"agb\":\"05012345\"}]",
    ),
    col(
        "consultation",
        "Consultation (JSON, expert panels)",
        "Consultatie (JSON, expertpanels)",
        Kind::Json,
        "{\"channel\":\"email\",\"contact_point\":\"…\",\"turnaround_days\":5}",
        "{\"channel\":\"email\",\"contact_point\":\"…\",\"turnaround_days\":5}",
    ),
    col(
        "founded_on",
        "Founded on",
        "Opgericht op",
        Kind::Text,
        "YYYY-MM-DD (regional networks and tumour groups)",
        "JJJJ-MM-DD (regionale netwerken en tumorwerkgroepen)",
    ),
    col(
        "meeting_frequency",
        "Meeting frequency",
        "Vergaderfrequentie",
        Kind::Text,
        "weekly, fortnightly, monthly, quarterly, twice_a_year, yearly or as_needed",
        "weekly, fortnightly, monthly, quarterly, twice_a_year, yearly of as_needed",
    ),
    col(
        "mdo",
        "Joint MDO (JSON)",
        "Gezamenlijk MDO (JSON)",
        Kind::Json,
        "{\"schedule\":\"…\",\"how_to_submit\":\"…\"}",
        "{\"schedule\":\"…\",\"how_to_submit\":\"…\"}",
    ),
    col(
        "quality",
        "Quality attestation (JSON)",
        "Kwaliteitsverklaring (JSON)",
        Kind::Json,
        "set by IKNL",
        "door IKNL ingevuld",
    ),
    col(
        "state",
        "State",
        "Status",
        Kind::Informational,
        "set by the registry",
        "door het register bepaald",
    ),
    col(
        "version",
        "Version",
        "Versie",
        Kind::Informational,
        "set by the registry",
        "door het register bepaald",
    ),
    col(
        "updated_at",
        "Updated at",
        "Gewijzigd op",
        Kind::Informational,
        "set by the registry",
        "door het register bepaald",
    ),
];

/// A heading without case, spaces or punctuation: `E-mail contactpersoon` → `emailcontactpersoon`.
fn folded(heading: &str) -> String {
    heading
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The column a heading names.
pub fn by_heading(heading: &str) -> Option<&'static Column> {
    let h = folded(heading.trim_start_matches('\u{feff}'));
    if h.is_empty() {
        return None;
    }
    // The service area's parts also go by their own names (`municipalities`, `postcodes`).
    COLUMNS.iter().find(|c| {
        folded(c.key) == h
            || folded(c.en) == h
            || folded(c.nl) == h
            || c.key
                .strip_prefix("service_area.")
                .is_some_and(|k| folded(k) == h)
    })
}

/// The column a field of the document (JSON pointer, `/service_area/municipalities/2`)
/// was read from, among `present` (the file's columns).
pub fn for_pointer<'a>(pointer: &str, present: &[&'a Column]) -> Option<&'a Column> {
    let path: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    present
        .iter()
        .filter(|c| {
            let key: Vec<&str> = c.key.split('.').collect();
            let key = if key[0] == "contact" {
                // The single-contact columns fill `contacts/0/<field>`.
                vec!["contacts", "0", key[1]]
            } else {
                key
            };
            path.len() >= key.len() && path[..key.len()] == key[..]
        })
        .max_by_key(|c| c.key.len())
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_match_in_either_language_and_any_spelling() {
        for (heading, key) in [
            ("external_id", "external_id"),
            ("Extern ID", "external_id"),
            ("EXTERNAL-ID", "external_id"),
            ("Naam", "name"),
            ("\u{feff}Naam", "name"),
            ("Gemeenten (CBS-codes)", "service_area.municipalities"),
            ("service_area.municipalities", "service_area.municipalities"),
            ("e-mail contactpersoon", "contact.email"),
            ("Omschrijving (Engels)", "description.en"),
            ("municipalities", "service_area.municipalities"),
            ("Postcodes", "service_area.postcodes"),
        ] {
            assert_eq!(by_heading(heading).map(|c| c.key), Some(key), "{heading}");
        }
        assert!(by_heading("Favourite colour").is_none());
        assert!(by_heading("  ").is_none());
    }

    #[test]
    fn headings_are_unambiguous() {
        let mut seen = std::collections::HashMap::new();
        for c in COLUMNS {
            for h in [c.key, c.en, c.nl] {
                if let Some(other) = seen.insert(folded(h), c.key) {
                    assert_eq!(other, c.key, "{h} names two columns");
                }
            }
        }
    }

    #[test]
    fn pointers_lead_back_to_their_column() {
        let present: Vec<&Column> = COLUMNS.iter().collect();
        for (pointer, key) in [
            ("/name", "name"),
            (
                "/service_area/municipalities/2",
                "service_area.municipalities",
            ),
            ("/description/nl", "description.nl"),
            ("/contacts/0/email", "contact.email"),
            ("/contacts/3/email", "contacts"),
            ("/members/0/agb", "members"),
        ] {
            assert_eq!(
                for_pointer(pointer, &present).map(|c| c.key),
                Some(key),
                "{pointer}"
            );
        }
        assert!(for_pointer("/service_area", &present).is_none());
    }
}
