//! What `POST /v1/imports` answers.

use onconet_registry::imports::ImportReport;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// One row of the file and the network it became.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportedRow {
    /// The row (spreadsheet row, line, or GeoJSON feature) as the file counts them.
    pub row: usize,
    pub id: Uuid,
    /// `created`, `updated` or `unchanged`.
    #[schema(example = "created")]
    pub outcome: &'static str,
}

/// What an import did, or (dry run) would do. With any problem nothing is written and the
/// answer is a 422 problem document listing each by `row`, `column` and `pointer`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReportResponse {
    /// `true`: checked and rolled back, nothing was written.
    pub dry_run: bool,
    /// `row`, `line` or `feature`: what the row numbers count.
    #[schema(example = "line")]
    pub unit: &'static str,
    pub created: usize,
    pub updated: usize,
    /// Rows identical to the stored network (no revision written).
    pub unchanged: usize,
    pub rows: Vec<ImportedRow>,
}

impl ImportReportResponse {
    pub fn new(report: ImportReport, unit: &'static str) -> Self {
        Self {
            dry_run: report.dry_run,
            unit,
            created: report.created,
            updated: report.updated,
            unchanged: report.unchanged,
            rows: report
                .rows
                .into_iter()
                .map(|(row, id, outcome)| ImportedRow {
                    row,
                    id,
                    outcome: outcome.as_str(),
                })
                .collect(),
        }
    }
}
