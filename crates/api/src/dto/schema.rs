//! OpenAPI schemas for domain enums (the domain crate does not know utoipa).

use onconet_domain::{
    ContactRole, Lifecycle, LinkKind, MemberKind, NetworkType, RegistryState, Scale,
};
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

fn codes(values: Vec<&'static str>, description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .description(Some(description))
        .build()
}

pub fn network_type() -> Object {
    codes(
        NetworkType::codes(),
        "Kind of network (see the network_types vocabulary).",
    )
}
pub fn scale() -> Object {
    codes(Scale::codes(), "How large an area the network serves.")
}
pub fn lifecycle() -> Object {
    codes(Lifecycle::codes(), "Whether the network itself is running.")
}
pub fn registry_state() -> Object {
    codes(
        RegistryState::codes(),
        "Where the profile is in the review workflow.",
    )
}
pub fn proposal_decision() -> Object {
    codes(
        vec!["accepted", "rejected", "withdrawn"],
        "What becomes of the proposal.",
    )
}
pub fn funder_register() -> Object {
    codes(
        onconet_domain::programme::FunderRegister::codes(),
        "The register that names the funder: `uzovi` (health insurers) or `cbs` (municipalities).",
    )
}
pub fn consultation_channel() -> Object {
    codes(
        onconet_domain::programme::ConsultationChannel::codes(),
        "How the panel is consulted.",
    )
}
pub fn meeting_frequency() -> Object {
    let mut values: Vec<serde_json::Value> = onconet_domain::programme::MeetingFrequency::codes()
        .into_iter()
        .map(serde_json::Value::from)
        .collect();
    values.push(serde_json::Value::Null);
    ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            Type::String,
            Type::Null,
        ]))
        .enum_values(Some(values))
        .description(Some("How often the network meets (`null`: not said)."))
        .build()
}
pub fn care_roles() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(codes(
            onconet_domain::programme::CareRole::codes(),
            "What the member does for the tumour type.",
        ))
        .min_items(Some(1))
        .build()
}
pub fn member_kind() -> Object {
    codes(
        MemberKind::codes(),
        "What kind of organisation the member is.",
    )
}
pub fn link_kind() -> Object {
    codes(LinkKind::codes(), "How the networks are connected.")
}
pub fn contact_role() -> Object {
    codes(ContactRole::codes(), "The contact's role in the network.")
}

use utoipa::openapi::schema::{Array, ArrayBuilder, KnownFormat, SchemaFormat};

fn list_of(values: Vec<&'static str>, description: &str) -> Array {
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(values)),
        )
        .description(Some(description))
        .build()
}

fn builtin_codes(kind: onconet_domain::VocabularyKind) -> Vec<&'static str> {
    onconet_domain::Vocabularies::builtin()
        .get(kind)
        .codes()
        .collect()
}

pub fn network_type_list() -> Array {
    list_of(
        NetworkType::codes(),
        "Network types, comma-separated (any of).",
    )
}
pub fn lifecycle_list() -> Array {
    list_of(Lifecycle::codes(), "Lifecycles, comma-separated (any of).")
}
pub fn state_list() -> Array {
    list_of(
        RegistryState::codes(),
        "Registry states, comma-separated (any of).",
    )
}
pub fn discipline_list() -> Array {
    list_of(
        builtin_codes(onconet_domain::VocabularyKind::Disciplines),
        "Discipline codes, comma-separated (all of).",
    )
}
pub fn tumour_type_list() -> Array {
    list_of(
        builtin_codes(onconet_domain::VocabularyKind::TumourTypes),
        "Tumour-type codes, comma-separated (all of).",
    )
}
pub fn discipline() -> Object {
    codes(
        builtin_codes(onconet_domain::VocabularyKind::Disciplines),
        "A discipline code.",
    )
}
pub fn tumour_type() -> Object {
    codes(
        builtin_codes(onconet_domain::VocabularyKind::TumourTypes),
        "A tumour-type code.",
    )
}
pub fn uuid_list() -> Array {
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))),
        )
        .description(Some("Network ids, comma-separated."))
        .build()
}
pub fn layer() -> Object {
    codes(vec!["municipality", "province", "pc4"], "A region layer.")
}
pub fn webhook_events() -> Array {
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(onconet_domain::events::EventType::codes())),
        )
        .min_items(Some(1))
        .unique_items(true)
        .description(Some("The events to receive, at least one, each once."))
        .build()
}
pub fn webhook_state() -> Object {
    codes(
        onconet_registry::webhooks::STATES.to_vec(),
        "`active`, or `disabled` (nothing is sent).",
    )
}
pub fn delivery_state() -> Object {
    codes(
        onconet_registry::webhooks::DELIVERY_STATES.to_vec(),
        "`pending` (to be tried, or tried again), `delivered`, or `failed` (given up).",
    )
}
pub fn toolbox_kind() -> Object {
    codes(
        onconet_domain::toolbox::ToolboxKind::codes(),
        "What kind of knowledge a toolbox item holds.",
    )
}
pub fn toolbox_stage() -> Object {
    codes(
        onconet_domain::toolbox::Stage::codes(),
        "The stage of a network a toolbox item is meant for.",
    )
}
pub fn financing_form() -> Object {
    codes(
        builtin_codes(onconet_domain::VocabularyKind::FinancingForms),
        "A code from the financing_forms vocabulary.",
    )
}
