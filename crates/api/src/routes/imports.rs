//! `/v1/imports`: a file of networks taken in (or checked, dry), and the templates to fill
//! in. The file is read by `onconet_exchange`, its rows written by the registry's import.

use crate::auth::RequireActor;
use crate::dto::import::ImportReportResponse;
use crate::dto::network::NetworkBody;
use crate::error::{ApiError, ApiResult, InvalidParam, Problem};
use crate::extract::read_body_up_to;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use onconet_exchange::write::Headings;
use onconet_exchange::{Format, Parsed};
use onconet_registry::imports::{ImportRow, check_may_import};
use onconet_registry::{Author, Invalid, Registry};
use serde::Deserialize;
use tracing_actix_web::RequestId;
use utoipa::IntoParams;

/// The largest file an import takes (20 MiB: ten thousand networks with their municipalities
/// are about 3 MB of CSV).
pub const MAX_IMPORT_BYTES: usize = 20 * 1024 * 1024;

/// How long an import's file may take to arrive.
const UPLOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

const ACCEPTED: [&str; 6] = [
    "text/csv",
    "application/csv",
    onconet_exchange::XLSX_MEDIA_TYPE,
    "application/geo+json",
    "application/x-ndjson",
    "application/ndjson",
];

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Check every row and report what the import would do, without writing anything.
    #[serde(default)]
    pub dry_run: bool,
}

/// The problems of reading the file, as the registry reports problems.
fn file_problems(parsed: &Parsed) -> Vec<Invalid> {
    parsed
        .problems
        .iter()
        .map(|p| {
            let mut invalid = Invalid::in_file(p.at, p.code, p.detail.clone());
            invalid.column = p.column.clone();
            invalid
        })
        .collect()
}

/// Import networks from a file: CSV (comma or semicolon separated, UTF-8 with or without
/// BOM), XLSX, a GeoJSON FeatureCollection (properties = the profile, geometry = the service
/// area) or NDJSON (one profile per line), chosen by `Content-Type`. Every row goes through
/// the rules of `POST /v1/networks`. A row naming the `id` of a stored network, or the
/// `external_id` one has within the same `ros_org`, updates that network: the fields the file
/// gives replace the stored ones (an empty cell clears one), the others stay; a row that
/// changes nothing writes nothing. New networks are drafts. Every write keeps a revision with
/// the action `imported`. With any problem nothing is written: the 422 problem document
/// lists every one by `row` (line, feature), `column` (the heading as the file writes it)
/// and `pointer` (the field). The columns, in English or Dutch, are those of
/// `/v1/imports/template.csv`. IKNL staff and admins only.
#[utoipa::path(
    tag = "exchange",
    params(ImportQuery),
    request_body(
        description = "The file, as sent (at most 20 MiB)",
        content(
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (Object = "application/geo+json"),
            (String = "application/x-ndjson"),
        )
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Imported (or, dry run, checked): what became of each row", body = ImportReportResponse),
        (status = 400, description = "A query parameter is invalid, or the body could not be read", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Imports are for IKNL staff and admins", body = Problem, content_type = "application/problem+json"),
        (status = 408, description = "The file did not arrive within 120 s", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A concurrent change got in the way; send the file again", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "A network of the file changed while the import ran; send the file again", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than 20 MiB (refused before it is read)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The Content-Type is not one of the four formats", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The file has problems; nothing was written. Each is listed with its `row`, `column` and `pointer`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/imports")]
pub async fn create_import(
    req: HttpRequest,
    payload: web::Payload,
    query: web::Query<ImportQuery>,
    registry: web::Data<Registry>,
    actor: RequireActor,
    request_id: RequestId,
) -> ApiResult<HttpResponse> {
    // Refused before a byte of a possibly large file is read.
    check_may_import(&actor.0)?;
    let body = read_body_up_to(&req, payload, &ACCEPTED, MAX_IMPORT_BYTES, UPLOAD_TIMEOUT).await?;
    let essence = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or("");
    let format = Format::from_media_type(essence).ok_or_else(|| {
        ApiError::UnsupportedMediaType(format!(
            "Content-Type must be one of {}",
            Format::MEDIA_TYPES
        ))
    })?;
    let mut parsed = web::block(move || onconet_exchange::read(&body, format))
        .await
        .map_err(ApiError::internal)?;
    let rows: Vec<ImportRow> = std::mem::take(&mut parsed.rows)
        .into_iter()
        .map(|r| ImportRow {
            at: r.at,
            document: r.document,
        })
        .collect();
    let author = Author {
        actor: &actor.0,
        request_id: Some(request_id.to_string()),
    };
    let report = registry
        .import::<NetworkBody>(
            &author,
            rows,
            file_problems(&parsed),
            query.dry_run,
            &|_, _, _| {},
        )
        .await
        .map_err(|e| with_columns(e, &parsed))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(ImportReportResponse::new(report, parsed.unit.as_str())))
}

/// Names the column of each row problem the registry found by field.
fn with_columns(e: onconet_registry::Error, parsed: &Parsed) -> ApiError {
    match e {
        onconet_registry::Error::Invalid(errors) => ApiError::Validation(
            errors
                .into_iter()
                .map(|mut e| {
                    if e.column.is_none()
                        && let Some(p) = &e.pointer
                    {
                        e.column = parsed.heading_for(p);
                    }
                    InvalidParam::from(e)
                })
                .collect(),
        ),
        other => other.into(),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TemplateQuery {
    /// The language of the headings: `nl` (default) or `en`.
    #[param(pattern = "^(nl|en)$", example = "nl")]
    pub lang: Option<String>,
}

fn headings(query: &TemplateQuery) -> ApiResult<Headings> {
    match query.lang.as_deref() {
        None | Some("nl") => Ok(Headings::Dutch),
        Some("en") => Ok(Headings::English),
        Some(_) => Err(ApiError::BadRequest {
            detail: "query parameter `lang` must be `nl` or `en`".into(),
            errors: vec![InvalidParam::parameter(
                "lang",
                "unknown_code",
                "must be `nl` or `en`",
            )],
        }),
    }
}

fn download(body: Vec<u8>, media_type: &str, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(media_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

/// The import template as CSV: the columns, with Dutch or English headings, and one example
/// row (UTF-8 with BOM, so Excel opens it right).
#[utoipa::path(
    tag = "exchange",
    params(TemplateQuery),
    responses(
        (status = 200, description = "The template", body = String, content_type = "text/csv"),
        (status = 400, description = "`lang` is not `nl` or `en`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/imports/template.csv")]
pub async fn template_csv(query: web::Query<TemplateQuery>) -> ApiResult<HttpResponse> {
    let h = headings(&query)?;
    Ok(download(
        onconet_exchange::write::template_csv(h),
        Format::Csv.media_type(),
        "onconet-import.csv",
    ))
}

/// The import template as XLSX: the columns with Dutch or English headings, one example row,
/// and a second sheet that explains every column.
#[utoipa::path(
    tag = "exchange",
    params(TemplateQuery),
    responses(
        (status = 200, description = "The template", body = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 400, description = "`lang` is not `nl` or `en`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/imports/template.xlsx")]
pub async fn template_xlsx(query: web::Query<TemplateQuery>) -> ApiResult<HttpResponse> {
    let h = headings(&query)?;
    let body = web::block(move || onconet_exchange::write::template_xlsx(h))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    Ok(download(
        body,
        Format::Xlsx.media_type(),
        "onconet-import.xlsx",
    ))
}
