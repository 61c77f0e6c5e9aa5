//! The reports a provider grants an account, on the portal (the Reports module): which it
//! may read, and each for one of its invoices, as JSON or CSV.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::access::{PortalAction, PortalUser, portal_account, require};
use super::downloads::{ReportFormat, csv_response, wants_csv};
use super::problem::{Problem, QueryParams};
use crate::domain::billing::dates;
use crate::domain::billing::granted::{self, GrantedReport};
use crate::domain::catalogue::money::decimal;
use crate::domain::settings::Module;
use crate::ids::AccountId;
use crate::platform::Platform;

/// The reports the account's provider lets it read.
#[derive(Debug, Serialize, ToSchema)]
pub struct GrantedReportsView {
    pub reports: Vec<GrantedReport>,
}

/// One row: what it groups by and its sums.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportRowView {
    /// The cost centre or the service's identifier; empty for the account's own charges
    /// or services under no cost centre.
    pub label: String,
    /// Records (calls by invoice) or invoice lines.
    pub quantity: i64,
    /// The days the usage covers (calls by invoice only).
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub net: String,
    pub tax: String,
    pub gross: String,
}

/// A granted report of one invoice.
#[derive(Debug, Serialize, ToSchema)]
pub struct GrantedReportView {
    pub report: GrantedReport,
    pub invoice: String,
    pub invoice_number: String,
    pub currency: String,
    pub rows: Vec<ReportRowView>,
    /// The rows' sum, tax included.
    pub total: String,
}

/// The account the portal login reads reports of, when its role reads bills.
async fn reporting_account(platform: &Platform, user: &PortalUser) -> Result<AccountId, Problem> {
    let account = portal_account(platform, user, Module::Reports).await?;
    require(&user.session, PortalAction::BillingView)?;
    Ok(account)
}

/// The reports the provider granted the account, in a stable order.
#[utoipa::path(get, path = "/v1/portal/reports", tag = "portal",
    responses((status = 200, body = GrantedReportsView), (status = 403, body = Problem)))]
pub async fn granted_reports(
    State(platform): State<Platform>,
    user: PortalUser,
) -> Result<Json<GrantedReportsView>, Problem> {
    let account = reporting_account(&platform, &user).await?;
    let own = platform
        .billing()
        .account_settings(&user.session.tenant, &account)
        .await?;
    Ok(Json(GrantedReportsView {
        reports: own.granted_reports.into_iter().collect(),
    }))
}

/// A granted report of one of the account's invoices: by cost centre, by service, or its
/// calls, messages and data by service; as JSON or CSV.
#[utoipa::path(get, path = "/v1/portal/reports/{report}/invoices/{invoice}", tag = "portal",
    params(("report" = GrantedReport, Path), ("invoice" = String, Path), ReportFormat),
    responses((status = 200, description = "JSON, or CSV with `format=csv`",
            content((GrantedReportView = "application/json"), (String = "text/csv"))),
        (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn granted_report(
    State(platform): State<Platform>,
    user: PortalUser,
    Path((report, invoice)): Path<(String, String)>,
    QueryParams(q): QueryParams<ReportFormat>,
) -> Result<Response, Problem> {
    let account = reporting_account(&platform, &user).await?;
    let csv = wants_csv(q.format.as_deref())?;
    let report: GrantedReport = serde_json::from_value(serde_json::Value::String(report))
        .map_err(|_| Problem::not_found())?;
    let tenant = &user.session.tenant;
    let billing = platform.billing();
    let own = billing.account_settings(tenant, &account).await?;
    if !own.granted_reports.contains(&report) {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "report-not-granted",
            "Your provider has not shared this report with you",
        ));
    }
    let invoice = billing.invoice(tenant, &account, &invoice).await?;
    let rows = granted::rows(report, &invoice);
    let total: i64 = rows.iter().map(|r| r.gross).sum();
    let rows: Vec<ReportRowView> = rows
        .into_iter()
        .map(|r| ReportRowView {
            label: r.label,
            quantity: r.quantity,
            period_start: r.period.map(|(from, _)| dates::text(from)),
            period_end: r.period.map(|(_, to)| dates::text(to)),
            net: decimal(r.net),
            tax: decimal(r.tax),
            gross: decimal(r.gross),
        })
        .collect();
    if csv {
        let name = serde_json::to_value(report)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        return csv_response(
            &format!("{name}-{}.csv", invoice.number.replace('/', "-")),
            &[
                "label",
                "quantity",
                "period_start",
                "period_end",
                "currency",
                "net",
                "tax",
                "gross",
            ],
            rows.into_iter()
                .map(|r| {
                    vec![
                        // Cost centres are named by customers: no formula reaches a sheet.
                        crate::export::csv_safe(&r.label).into_owned(),
                        r.quantity.to_string(),
                        r.period_start.unwrap_or_default(),
                        r.period_end.unwrap_or_default(),
                        invoice.currency.clone(),
                        r.net,
                        r.tax,
                        r.gross,
                    ]
                })
                .collect(),
        );
    }
    Ok(Json(GrantedReportView {
        report,
        invoice: invoice.id.clone(),
        invoice_number: invoice.number.clone(),
        currency: invoice.currency.clone(),
        rows,
        total: decimal(total),
    })
    .into_response())
}

pub fn routes() -> OpenApiRouter<Platform> {
    OpenApiRouter::new()
        .routes(routes!(granted_reports))
        .routes(routes!(granted_report))
}
