//! The API's own documentation: the OpenAPI document and Swagger UI (served from the vendored
//! assets, nothing from elsewhere).

use crate::error::{ApiError, Problem};
use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use std::sync::Arc;

/// The OpenAPI document, as generated at start-up.
pub struct OpenApiJson(pub web::Bytes);

/// This document: the OpenAPI 3.1 description of the API (identical to `openapi/openapi.json`
/// in the repository).
#[utoipa::path(tag = "operations", responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
#[get("/openapi.json")]
pub async fn openapi_document(doc: web::Data<OpenApiJson>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(doc.0.clone())
}

/// Swagger UI lives at `/docs/`.
#[utoipa::path(tag = "operations", responses((status = 308, description = "To /docs/")))]
#[get("/docs")]
pub async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/docs/"))
        .finish()
}

/// Swagger UI: the interactive documentation of this API.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The Swagger UI page", content_type = "text/html"))
)]
#[get("/docs/")]
pub async fn swagger_page(
    config: web::Data<Arc<utoipa_swagger_ui::Config<'static>>>,
) -> Result<HttpResponse, ApiError> {
    swagger_file("", &config)
}

/// A file of Swagger UI (its style sheets, scripts and icons; they all sit in `/docs/`). A
/// plain `{file}` segment, not a regex one: the metrics middleware names a route by its
/// pattern and cannot fill in `{file:.*}`.
#[utoipa::path(
    tag = "operations",
    params(("file" = String, Path, description = "A Swagger UI file, e.g. `swagger-ui.css`")),
    responses(
        (status = 200, description = "A Swagger UI file", content_type = "text/html"),
        (status = 404, description = "No such file", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/docs/{file}")]
pub async fn swagger_ui(
    path: web::Path<String>,
    config: web::Data<Arc<utoipa_swagger_ui::Config<'static>>>,
) -> Result<HttpResponse, ApiError> {
    swagger_file(&path.into_inner(), &config)
}

fn swagger_file(
    file: &str,
    config: &Arc<utoipa_swagger_ui::Config<'static>>,
) -> Result<HttpResponse, ApiError> {
    match utoipa_swagger_ui::serve(file, config.clone()).map_err(ApiError::internal)? {
        Some(f) => {
            let mut response = HttpResponse::Ok();
            response
                .content_type(f.content_type)
                .insert_header((header::CACHE_CONTROL, "public, max-age=3600"));
            if f.gzpipped {
                response.insert_header((header::CONTENT_ENCODING, "gzip"));
            }
            Ok(response.body(f.bytes.into_owned()))
        }
        None => Err(ApiError::NotFound(format!(
            "no documentation file `{file}`"
        ))),
    }
}
