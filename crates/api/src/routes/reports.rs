//! `/v1/reports/financing`: the financing report for IKNL staff ([`onconet_registry::financing`]).

use crate::auth::RequireActor;
use crate::dto::network::FunderIdBody;
use crate::error::{ApiResult, Problem};
use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use chrono::NaiveDate;
use onconet_domain::programme::FunderId;
use onconet_registry::Registry;
use onconet_registry::financing::{FinancingParams, FinancingReport};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// What the financing report covers.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FinancingReportQuery {
    /// Registry states, comma-separated (any of; default `published`).
    #[param(schema_with = crate::dto::schema::state_list, style = Form, explode = false)]
    pub state: Option<String>,
    /// How far ahead to look for financing that ends, in months (1–24, default 6).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 24, example = 6)]
    pub within_months: Option<String>,
}

impl crate::extract::ListParams for FinancingReportQuery {
    const LISTS: &'static [&'static str] = &["state"];
}

/// How many networks one funder finances in one form.
#[derive(Debug, Serialize, ToSchema)]
pub struct FunderCountResponse {
    /// The funder's name as an entry writes it (`null`: none named).
    pub funder: Option<String>,
    /// Its register code, when entries give one (funders with a code are counted by it).
    pub funder_id: Option<FunderIdBody>,
    pub networks: usize,
}

/// One financing form.
#[derive(Debug, Serialize, ToSchema)]
pub struct FormCountResponse {
    /// Code from the `financing_forms` vocabulary.
    #[schema(example = "insurer_contract")]
    pub form: String,
    /// Networks with at least one entry of this form.
    pub networks: usize,
    /// By funder, most networks first.
    pub funders: Vec<FunderCountResponse>,
}

/// A financing entry that ends within the period, or has ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndingResponse {
    pub network_id: Uuid,
    pub name: String,
    pub state: String,
    pub ros_org: Option<String>,
    /// Its position in the network's `financing` (`/financing/{index}`).
    pub index: usize,
    pub form: String,
    pub funder: Option<String>,
    pub funder_id: Option<FunderIdBody>,
    pub until: NaiveDate,
    /// Days from `as_of` to `until`; negative when it has ended.
    pub days_left: i64,
    /// `ended` (before today) or `ending` (today or later, within the period).
    #[schema(example = "ending")]
    pub status: String,
    #[schema(example = "/v1/networks/0190f5a0-0000-7000-8000-000000000000")]
    pub href: String,
}

/// Networks per financing form and funder, and financing that ends soon or has ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct FinancingReportResponse {
    /// Today.
    pub as_of: NaiveDate,
    /// The last day of the period looked at (`as_of` plus `within_months`).
    pub until: NaiveDate,
    /// The registry states counted.
    pub states: Vec<String>,
    /// Networks with any financing.
    pub networks: usize,
    /// Forms in use, in the vocabulary's order.
    pub forms: Vec<FormCountResponse>,
    /// Entries whose `until` has passed or falls within the period, soonest first.
    pub ending: Vec<EndingResponse>,
}

fn funder_id(id: Option<FunderId>) -> Option<FunderIdBody> {
    id.map(|f| FunderIdBody {
        register: f.register,
        code: f.code,
    })
}

impl From<FinancingReport> for FinancingReportResponse {
    fn from(r: FinancingReport) -> Self {
        Self {
            as_of: r.as_of,
            until: r.until,
            states: r.states.iter().map(|s| s.as_str().to_owned()).collect(),
            networks: r.networks,
            forms: r
                .forms
                .into_iter()
                .map(|f| FormCountResponse {
                    form: f.form,
                    networks: f.networks,
                    funders: f
                        .funders
                        .into_iter()
                        .map(|x| FunderCountResponse {
                            funder: x.funder,
                            funder_id: funder_id(x.funder_id),
                            networks: x.networks,
                        })
                        .collect(),
                })
                .collect(),
            ending: r
                .ending
                .into_iter()
                .map(|e| EndingResponse {
                    href: format!("/v1/networks/{}", e.network_id),
                    status: if e.days_left < 0 { "ended" } else { "ending" }.into(),
                    network_id: e.network_id,
                    name: e.name,
                    state: e.state,
                    ros_org: e.ros_org,
                    index: e.index,
                    form: e.form,
                    funder: e.funder,
                    funder_id: funder_id(e.funder_id),
                    until: e.until,
                    days_left: e.days_left,
                })
                .collect(),
        }
    }
}

/// The financing report for IKNL staff and admins: how many networks each financing form and
/// funder finances (funders with a UZOVI or CBS code counted by it), and the financing that
/// ends within `within_months` or has already passed its `until`.
#[utoipa::path(
    tag = "networks",
    params(FinancingReportQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report", body = FinancingReportResponse),
        (status = 400, description = "A query parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not IKNL staff or an admin", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/reports/financing")]
pub async fn financing_report(
    query: crate::extract::Query<FinancingReportQuery>,
    registry: web::Data<Registry>,
    actor: RequireActor,
) -> ApiResult<HttpResponse> {
    let report = registry
        .financing_report(
            &actor.0,
            FinancingParams {
                states: query.state.as_deref(),
                within_months: query.within_months.as_deref(),
            },
            chrono::Utc::now().date_naive(),
        )
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .json(FinancingReportResponse::from(report)))
}
