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
