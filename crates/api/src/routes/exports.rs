//! `/v1/exports/networks`: every network the caller may see, streamed as NDJSON, CSV, GeoJSON
//! or XLSX (written by `onconet_exchange`, in batches from the registry's export).

use crate::auth::MaybeActor;
use crate::dto::network::NetworkResponse;
use crate::error::{ApiError, ApiResult, InvalidParam, Problem};
use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use futures_util::stream;
use onconet_domain::{Actor, Network};
use onconet_exchange::Format;
use onconet_exchange::write::{self, Headings, XlsxWriter};
use onconet_registry::Registry;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::IntoParams;
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `ndjson` (default: one network a line, as `GET /v1/networks/{id}` shows it), `csv`,
    /// `geojson` (a FeatureCollection; the service area's own geometry is each feature's) or
    /// `xlsx`.
    #[param(pattern = "^(ndjson|csv|geojson|xlsx)$", example = "csv")]
    pub format: Option<String>,
    /// The language of the CSV and XLSX headings: `nl` (default) or `en`.
    #[param(pattern = "^(nl|en)$", example = "nl")]
    pub lang: Option<String>,
}

fn bad(name: &str, detail: &str) -> ApiError {
    ApiError::BadRequest {
        detail: format!("query parameter `{name}` {detail}"),
        errors: vec![InvalidParam::parameter(name, "unknown_code", detail)],
    }
}

fn document(network: &Network, private: bool) -> Map<String, Value> {
    match serde_json::to_value(NetworkResponse::new(network, private)) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// One batch in the format (the header or opening with the first).
fn encode(format: Format, headings: Headings, batch: &[(Network, bool)], first: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if first {
        match format {
            Format::Csv => out.extend(write::csv_header(headings)),
            Format::GeoJson => out.extend(write::GEOJSON_START),
            _ => {}
        }
    }
    for (i, (n, private)) in batch.iter().enumerate() {
        let doc = document(n, *private);
        match format {
            Format::Csv => out.extend(write::csv_row(&doc)),
            Format::Ndjson => out.extend(write::ndjson_line(&doc)),
            Format::GeoJson => out.extend(write::geojson_feature(&doc, first && i == 0)),
            Format::Xlsx => {}
        }
    }
    out
}

/// Export the networks you may see: published ones with their public fields for anyone;
/// with a token, IKNL staff and admins get every network with its private contacts, a ROS
/// adviser also those of their own ROS. The answer is streamed (batches of 500 by id), so its
/// size does not matter; CSV and XLSX cells that a spreadsheet would run as a formula (`=`,
/// `+`, `-`, `@`) start with an apostrophe. Every format imports back through
/// `POST /v1/imports` (the registry's own fields, such as `state`, are left as they are).
#[utoipa::path(
    tag = "exchange",
    params(ExportQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The networks, as a file", content(
            (String = "application/x-ndjson"),
            (String = "text/csv"),
            (Object = "application/geo+json"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ), headers(("Content-Disposition" = String, description = "attachment; the file name"))),
        (status = 400, description = "`format` or `lang` is not one of its values", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "The bearer token is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/exports/networks")]
pub async fn export_networks(
    query: web::Query<ExportQuery>,
    registry: web::Data<Registry>,
    actor: MaybeActor,
) -> ApiResult<HttpResponse> {
    let format = match query.format.as_deref() {
        None => Format::Ndjson,
        Some(code) => Format::from_code(code)
            .ok_or_else(|| bad("format", "must be ndjson, csv, geojson or xlsx"))?,
    };
    let headings = match query.lang.as_deref() {
        None | Some("nl") => Headings::Dutch,
        Some("en") => Headings::English,
        Some(_) => return Err(bad("lang", "must be nl or en")),
    };
    let viewer: Option<Actor> = actor.0;
    // The first batch before the answer starts, so a database failure is still a 503.
    let first = registry.export_batch(viewer.as_ref(), None).await?;
    let name = format!(
        "attachment; filename=\"onconet-networks-{}.{}\"",
        chrono::Utc::now().format("%Y-%m-%d"),
        format.code()
    );
    let mut response = HttpResponse::Ok();
    response
        .content_type(format.media_type())
        .insert_header((header::CONTENT_DISPOSITION, name))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    if format == Format::Xlsx {
        return Ok(response.body(xlsx(&registry, viewer, headings, first).await?));
    }

    struct State {
        registry: web::Data<Registry>,
        viewer: Option<Actor>,
        pending: Option<Vec<(Network, bool)>>,
        after: Option<Uuid>,
        first: bool,
        done: bool,
    }
    let state = State {
        registry: registry.clone(),
        viewer,
        pending: Some(first),
        after: None,
        first: true,
        done: false,
    };
    let body = stream::try_unfold(state, move |mut st| async move {
        if st.done {
            return Ok::<_, std::io::Error>(None);
        }
        let batch = match st.pending.take() {
            Some(b) => b,
            None => st
                .registry
                .export_batch(st.viewer.as_ref(), st.after)
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, "an export stopped half-way");
                    std::io::Error::other(e.to_string())
                })?,
        };
        let mut out = encode(format, headings, &batch, st.first);
        st.first = false;
        if batch.is_empty() {
            if format == Format::GeoJson {
                out.extend(write::GEOJSON_END);
            }
            st.done = true;
        }
        st.after = batch.last().map(|(n, _)| n.id).or(st.after);
        Ok(Some((web::Bytes::from(out), st)))
    });
    Ok(response.streaming(body))
}

/// An XLSX file cannot go out before it is finished (it is a zip); its rows are written in
/// constant memory (a temporary file) batch by batch on the blocking pool.
async fn xlsx(
    registry: &Registry,
    viewer: Option<Actor>,
    headings: Headings,
    first: Vec<(Network, bool)>,
) -> ApiResult<Vec<u8>> {
    let mut writer = XlsxWriter::export(headings).map_err(ApiError::internal)?;
    let mut batch = first;
    while let Some(last) = batch.last().map(|(n, _)| n.id) {
        let docs: Vec<Map<String, Value>> = batch
            .iter()
            .map(|(n, private)| document(n, *private))
            .collect();
        writer = web::block(move || -> Result<XlsxWriter, write::XlsxError> {
            for doc in &docs {
                writer.push(doc)?;
            }
            Ok(writer)
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
        batch = registry.export_batch(viewer.as_ref(), Some(last)).await?;
    }
    web::block(move || writer.finish())
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}
