use crate::dto::vocabulary::VocabulariesResponse;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use onconet_registry::Registry;

/// All vocabularies (network types, disciplines, tumour types, financing forms) with labels in
/// the language of `Accept-Language` (`nl` or `en`; default `nl`).
#[utoipa::path(
    tag = "vocabularies",
    params(("Accept-Language" = Option<String>, Header, description = "`nl` (default) or `en`")),
    responses((status = 200, description = "The vocabularies", body = VocabulariesResponse,
        headers(("Content-Language" = String, description = "The language of the labels"))))
)]
#[get("/vocabularies")]
pub async fn list_vocabularies(req: HttpRequest, registry: web::Data<Registry>) -> HttpResponse {
    let lang = crate::extract::lang(&req);
    HttpResponse::Ok()
        .insert_header((header::CONTENT_LANGUAGE, lang.as_str()))
        .insert_header((header::VARY, "Accept-Language"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .json(VocabulariesResponse::new(&registry.vocabularies, lang))
}
