//! The OpenAPI document: collected from the same `service(...)` calls that mount the routes
//! (utoipa-actix-web), on top of this base.

use crate::error::{InvalidParam, Problem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "onconet",
        description = "The national registry of oncology networks in the Netherlands: regional oncology networks, network tumour groups, expert panels and oncology care networks, with their disciplines, service areas and quality.\n\nConventions: errors are RFC 9457 problem documents; single resources carry an `ETag` and every change needs `If-Match`; lists are paginated with an RFC 8288 `Link` header; labels follow `Accept-Language` (`nl`, `en`).",
        license(name = "EUPL-1.2", identifier = "EUPL-1.2"),
    ),
    servers((url = "/", description = "This server")),
    components(schemas(Problem, InvalidParam)),
    modifiers(&Security),
    tags(
        (name = "networks", description = "Network profiles and their review workflow"),
        (name = "proposals", description = "Changes ROS advisers propose to published networks, and their \"still correct\", waiting for IKNL to accept or reject them; the published profile stays as it is meanwhile"),
        (name = "search", description = "Find a network for a place"),
        (name = "coverage", description = "Coverage-gap reports for IKNL"),
        (name = "exchange", description = "Networks in and out as files: imports (CSV, XLSX, GeoJSON, NDJSON) with a dry run, their templates, exports in the same formats, and signed webhooks (Standard Webhooks) with their delivery log"),
        (name = "toolbox", description = "The financing toolbox for people who lead or start a network: guides, example documents, good practices, trainings, advice and projects, searched in Dutch and English, written through the same review workflow as networks"),
        (name = "usage", description = "Anonymous usage counts for IKNL: searches, whether they found anything, toolbox use; nothing about who asked, no count below 5 shown"),
        (name = "regions", description = "Municipalities, provinces and postcode areas"),
        (name = "HSDS", description = "Open Referral HSDS 3 read-only views of the published networks: organizations, services, service areas, locations"),
        (name = "vocabularies", description = "Codes and labels used in profiles and filters"),
        (name = "widget", description = "The embeddable \"find a network\" web component"),
        (name = "operations", description = "Health, readiness and metrics"),
        (name = "FHIR", description = "Read-only FHIR R4 views following IHE mCSD: networks and members as Organization, memberships and links as OrganizationAffiliation, service areas as Location (application/fhir+json; errors are OperationOutcome resources)"),
    )
)]
pub struct BaseDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A JWT from your organisation's identity provider (or `onconet token` in development).",
                    ))
                    .build(),
            ),
        );
    }
}
