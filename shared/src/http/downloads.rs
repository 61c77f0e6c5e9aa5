//! Answers as CSV: the `format` parameter of the endpoints that answer JSON or CSV, and a
//! CSV file written with the `csv` crate.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::problem::Problem;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportFormat {
    /// `json` (the default) or `csv`.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

/// Whether the answer is wanted as CSV (`format=csv`) rather than JSON.
pub fn wants_csv(format: Option<&str>) -> Result<bool, Problem> {
    match format {
        None | Some("json") => Ok(false),
        Some("csv") => Ok(true),
        Some(_) => Err(Problem::validation().field("format", "json or csv")),
    }
}

/// A CSV file to save as `name`: the header row, then the rows (each cell made safe for
/// spreadsheets: see [`crate::export::csv_safe`]).
pub fn csv_response(
    name: &str,
    header_row: &[&str],
    rows: Vec<Vec<String>>,
) -> Result<Response, Problem> {
    let fail = |e: &dyn std::fmt::Display| Problem::internal(e);
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(header_row).map_err(|e| fail(&e))?;
    // Every cell is made safe for spreadsheets here, where every file is written.
    for row in rows {
        writer
            .write_record(
                row.iter()
                    .map(|cell| crate::export::csv_safe(cell).into_owned()),
            )
            .map_err(|e| fail(&e))?;
    }
    let body = writer.into_inner().map_err(|e| fail(&e))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response())
}
