//! Usage exports over HTTP: the portal's own account and the console's accounts (served
//! by the `api-services` and `api-console-services` functions).
//!
//! `POST` answers 201 with a download link when the export was small enough to write at
//! once, or 202 with a job to poll (`GET .../exports/{id}`) until it is `completed`. Every
//! `GET` of a completed export signs a fresh link; links expire after 15 minutes.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::access::portal_account;
use super::access::visible_account;
use super::access::{PortalUser, StaffUser};
use super::problem::{JsonBody, Problem, parse_id};
use super::views::period_of;
use crate::domain::identity::Permission;
use crate::domain::settings::Module;
use crate::domain::usage::export::{ExportJob, ExportScope, ExportStatus};
use crate::ids::{AccountId, TenantId};
use crate::platform::Platform;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportInput {
    /// A month, `2026-11`; the current month when left out.
    #[serde(default)]
    pub period: Option<String>,
    /// One service of the account; every service when left out.
    #[serde(default)]
    pub service: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportView {
    pub id: String,
    pub status: ExportStatus,
    pub period: String,
    /// The one service exported; none for the whole account.
    pub service: Option<String>,
    /// Records in the file, once written.
    pub rows: Option<i64>,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    /// Where to download the CSV, once completed; a new link on every read.
    pub download_url: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub download_expires_at: Option<OffsetDateTime>,
    pub error: Option<String>,
}

async fn view(platform: &Platform, job: ExportJob) -> Result<ExportView, Problem> {
    let exports = platform.usage_exports();
    let link = exports.link(&job).await?;
    let status = job.status_at(platform.clock.now());
    Ok(ExportView {
        error: match status {
            ExportStatus::Failed => Some(
                job.error
                    .unwrap_or_else(|| "the export did not finish; start another".into()),
            ),
            _ => None,
        },
        id: job.id,
        status,
        period: job.period,
        service: job.service,
        rows: job.rows,
        requested_at: job.requested_at,
        finished_at: job.finished_at,
        download_url: link.as_ref().map(|l| l.url.clone()),
        download_expires_at: link.map(|l| l.expires_at),
    })
}

async fn start(
    platform: &Platform,
    tenant: &TenantId,
    account: &AccountId,
    headers: &HeaderMap,
    body: ExportInput,
) -> Result<(StatusCode, Json<ExportView>), Problem> {
    let period = period_of(
        body.period.as_deref(),
        super::views::today(platform, tenant).await?,
    )?;
    let scope = match &body.service {
        Some(service) => ExportScope::Service(
            service
                .parse()
                .map_err(|_| Problem::validation().field("/service", "not a service id"))?,
        ),
        None => ExportScope::Account,
    };
    let key = headers.get("idempotency-key").and_then(|h| h.to_str().ok());
    let job = platform
        .usage_exports()
        .request(tenant, account, scope, period, key)
        .await?;
    let status = match job.status {
        ExportStatus::Completed => StatusCode::CREATED,
        _ => StatusCode::ACCEPTED,
    };
    Ok((status, Json(view(platform, job).await?)))
}

async fn show(
    platform: &Platform,
    tenant: &TenantId,
    account: &AccountId,
    id: &str,
) -> Result<Json<ExportView>, Problem> {
    let job = platform
        .usage_exports()
        .job(tenant, account, &parse_id(id)?)
        .await?;
    Ok(Json(view(platform, job).await?))
}

/// Export the account's usage of a month as CSV (one service or all). 201 with a download
/// link when written at once; 202 with a job to poll when large. Send an `Idempotency-Key`
/// to make a retry answer the same export.
#[utoipa::path(post, path = "/v1/portal/usage/exports", tag = "portal",
    request_body = ExportInput,
    params(("idempotency-key" = Option<String>, Header)),
    responses((status = 201, body = ExportView), (status = 202, body = ExportView),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn portal_export(
    State(platform): State<Platform>,
    user: PortalUser,
    headers: HeaderMap,
    JsonBody(body): JsonBody<ExportInput>,
) -> Result<(StatusCode, Json<ExportView>), Problem> {
    let account = portal_account(&platform, &user, Module::Usage).await?;
    start(&platform, &user.session.tenant, &account, &headers, body).await
}

/// One of the account's exports, with a fresh download link once completed.
#[utoipa::path(get, path = "/v1/portal/usage/exports/{export}", tag = "portal",
    params(("export" = String, Path)),
    responses((status = 200, body = ExportView), (status = 404, body = Problem)))]
pub async fn portal_export_status(
    State(platform): State<Platform>,
    user: PortalUser,
    Path(export): Path<String>,
) -> Result<Json<ExportView>, Problem> {
    let account = portal_account(&platform, &user, Module::Usage).await?;
    show(&platform, &user.session.tenant, &account, &export).await
}

/// Export an account's usage of a month as CSV, as the portal does.
#[utoipa::path(post, path = "/v1/console/accounts/{account}/usage/exports", tag = "console",
    request_body = ExportInput,
    params(("account" = String, Path), ("idempotency-key" = Option<String>, Header)),
    responses((status = 201, body = ExportView), (status = 202, body = ExportView),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn console_export(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<ExportInput>,
) -> Result<(StatusCode, Json<ExportView>), Problem> {
    staff.require(Permission::AccountsRead)?;
    let account = visible_account(&platform, &staff, &account).await?;
    start(
        &platform,
        &staff.session.tenant,
        &account.id,
        &headers,
        body,
    )
    .await
}

/// One of an account's exports.
#[utoipa::path(get, path = "/v1/console/accounts/{account}/usage/exports/{export}",
    tag = "console", params(("account" = String, Path), ("export" = String, Path)),
    responses((status = 200, body = ExportView), (status = 404, body = Problem)))]
pub async fn console_export_status(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path((account, export)): Path<(String, String)>,
) -> Result<Json<ExportView>, Problem> {
    staff.require(Permission::AccountsRead)?;
    let account = visible_account(&platform, &staff, &account).await?;
    show(&platform, &staff.session.tenant, &account.id, &export).await
}

pub fn portal_routes() -> OpenApiRouter<Platform> {
    OpenApiRouter::new()
        .routes(routes!(portal_export))
        .routes(routes!(portal_export_status))
}

pub fn console_routes() -> OpenApiRouter<Platform> {
    OpenApiRouter::new()
        .routes(routes!(console_export))
        .routes(routes!(console_export_status))
}
