//! Usage over HTTP: an account's own usage by month, day and record (portal), and for
//! staff an account's usage, the providers' overview, and the usage files they upload and
//! the loads of them (console).
//!
//! The portal reads only the signed-in account's partition; the console finds the account
//! within the staff member's tenant and groups first.

use super::access::{portal_account, visible_account};
use super::views::{PeriodQuery, TotalsView, period_of, today};
use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::access::{PortalUser, StaffUser};
use super::problem::{JsonBody, Problem, QueryParams, parse_id};
use super::views::{PageOf, Paging};
use crate::domain::catalogue::{UsageType, money};
use crate::domain::identity::{Permission, Session};
use crate::domain::settings::Module;
use crate::domain::usage::ingest::{IngestResult, IngestStatus, Retry};
use crate::domain::usage::{MonthUsage, Totals, UsageRecord};
use crate::ids::{AccountId, ServiceId, TenantId};
use crate::platform::Platform;

#[derive(Debug, Serialize, ToSchema)]
pub struct DayView {
    #[schema(value_type = String, example = "2026-11-03")]
    pub date: String,
    pub by_type: BTreeMap<UsageType, TotalsView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MonthView {
    pub period: String,
    pub by_type: BTreeMap<UsageType, TotalsView>,
    pub total_charge: String,
    /// The currency of every charge in it (the provider's billing currency).
    pub currency: String,
    /// A day-by-day series for a chart (up to today in the current month).
    pub days: Vec<DayView>,
}

/// The month as the customer reads it, its charges in the provider's currency.
async fn month_view(
    platform: &Platform,
    tenant: &TenantId,
    month: MonthUsage,
) -> Result<Json<MonthView>, Problem> {
    let currency = platform.billing().settings(tenant).await?.currency;
    Ok(Json(MonthView::of(month, currency)))
}

impl MonthView {
    fn of(m: MonthUsage, currency: String) -> Self {
        let by_type = |map: &BTreeMap<UsageType, Totals>| {
            map.iter().map(|(k, v)| (*k, TotalsView::from(v))).collect()
        };
        MonthView {
            period: m.period.to_string(),
            by_type: by_type(&m.by_type),
            total_charge: money::decimal(m.total_charge),
            currency,
            days: m
                .days
                .iter()
                .map(|(date, totals)| DayView {
                    date: date.to_string(),
                    by_type: by_type(totals),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecordView {
    pub record_id: String,
    pub usage: UsageType,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    pub destination: String,
    pub quantity: i64,
    pub billable: i64,
    pub covered: i64,
    pub charge: String,
    pub currency: String,
}

impl From<UsageRecord> for RecordView {
    fn from(r: UsageRecord) -> Self {
        RecordView {
            record_id: r.record_id,
            usage: r.usage,
            started_at: r.started_at,
            destination: r.destination,
            quantity: r.quantity,
            billable: r.billable,
            covered: r.covered,
            charge: money::decimal(r.charge),
            currency: r.currency,
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RecordsQuery {
    /// A month, `2026-11`; the current month when left out.
    pub period: Option<String>,
    /// `call`, `message` or `data`; every type when left out.
    #[serde(rename = "type")]
    pub usage: Option<UsageType>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

async fn service_month(
    platform: &Platform,
    tenant: &TenantId,
    account: &AccountId,
    service: &str,
    period: Option<&str>,
) -> Result<Json<MonthView>, Problem> {
    let service: ServiceId = parse_id(service)?;
    platform.services().get(tenant, account, &service).await?;
    let today = today(platform, tenant).await?;
    let month = platform
        .usage()
        .service_month(tenant, &service, period_of(period, today)?, today)
        .await?;
    month_view(platform, tenant, month).await
}

/// A service's usage and spend in a month, by type and by day.
#[utoipa::path(get, path = "/v1/portal/services/{service}/usage", tag = "portal",
    params(("service" = String, Path), PeriodQuery),
    responses((status = 200, body = MonthView), (status = 404, body = Problem)))]
pub async fn portal_service_usage(
    State(platform): State<Platform>,
    user: PortalUser,
    Path(service): Path<String>,
    QueryParams(q): QueryParams<PeriodQuery>,
) -> Result<Json<MonthView>, Problem> {
    let account = portal_account(&platform, &user, Module::Usage).await?;
    service_month(
        &platform,
        &user.session.tenant,
        &account,
        &service,
        q.period.as_deref(),
    )
    .await
}

/// A service's records, newest first; one query a page.
#[utoipa::path(get, path = "/v1/portal/services/{service}/usage/records", tag = "portal",
    params(("service" = String, Path), RecordsQuery),
    responses((status = 200, body = PageOf<RecordView>), (status = 404, body = Problem)))]
pub async fn portal_service_records(
    State(platform): State<Platform>,
    user: PortalUser,
    Path(service): Path<String>,
    QueryParams(q): QueryParams<RecordsQuery>,
) -> Result<Json<PageOf<RecordView>>, Problem> {
    let account = portal_account(&platform, &user, Module::Usage).await?;
    records(&platform, &user.session, &account, &service, q).await
}

async fn records(
    platform: &Platform,
    session: &Session,
    account: &AccountId,
    service: &str,
    q: RecordsQuery,
) -> Result<Json<PageOf<RecordView>>, Problem> {
    let service: ServiceId = parse_id(service)?;
    platform
        .services()
        .get(&session.tenant, account, &service)
        .await?;
    let period = period_of(q.period.as_deref(), today(platform, &session.tenant).await?)?;
    let page = platform
        .usage_records()
        .page(
            &session.tenant,
            &service,
            period,
            q.usage,
            &Paging {
                limit: q.limit,
                cursor: q.cursor,
            }
            .request(),
        )
        .await?;
    Ok(Json(PageOf {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// The account's usage and spend in a month, over all its services.
#[utoipa::path(get, path = "/v1/portal/usage", tag = "portal", params(PeriodQuery),
    responses((status = 200, body = MonthView), (status = 404, body = Problem)))]
pub async fn portal_usage(
    State(platform): State<Platform>,
    user: PortalUser,
    QueryParams(q): QueryParams<PeriodQuery>,
) -> Result<Json<MonthView>, Problem> {
    let account = portal_account(&platform, &user, Module::Usage).await?;
    let today = today(&platform, &user.session.tenant).await?;
    let month = platform
        .usage()
        .account_month(
            &user.session.tenant,
            &account,
            period_of(q.period.as_deref(), today)?,
            today,
        )
        .await?;
    month_view(&platform, &user.session.tenant, month).await
}

/// An account's service's usage in a month, as its customer sees it.
#[utoipa::path(get, path = "/v1/console/accounts/{account}/services/{service}/usage", tag = "console",
    params(("account" = String, Path), ("service" = String, Path), PeriodQuery),
    responses((status = 200, body = MonthView), (status = 404, body = Problem)))]
pub async fn console_service_usage(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path((account, service)): Path<(String, String)>,
    QueryParams(q): QueryParams<PeriodQuery>,
) -> Result<Json<MonthView>, Problem> {
    staff.require(Permission::AccountsRead)?;
    let account = visible_account(&platform, &staff, &account).await?;
    service_month(
        &platform,
        &staff.session.tenant,
        &account.id,
        &service,
        q.period.as_deref(),
    )
    .await
}

/// Usage files cover every account: staff limited to account groups neither see nor retry
/// them.
fn every_account(staff: &StaffUser) -> Result<(), Problem> {
    if staff.session.principal.sees_group(None) {
        return Ok(());
    }
    Err(Problem::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "Usage files cover every account; staff limited to groups cannot see them",
    ))
}

/// A usage file's ingest, as staff see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct IngestView {
    pub id: String,
    /// The file's key in the ingest bucket.
    pub file: String,
    pub status: IngestStatus,
    pub rows_read: i64,
    pub accepted: i64,
    pub rejected: i64,
    /// The rejects file (line, reason), when there were rejects.
    pub rejects_file: Option<String>,
    pub error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    /// Chunks finished (progress, and where a redelivery carries on).
    pub chunks_done: i64,
    /// Still marked running but not moved for 20 minutes: shown `failed`.
    pub stalled: bool,
    /// Staff may retry it (`POST …/retry`): stopped, or a retry asked before did not get
    /// as far as storing the file again.
    pub retryable: bool,
    /// The ingest of the file stored again when staff retried this one.
    pub retried_as: Option<String>,
    /// Where to download the rejects file (line, reason) while the link works.
    pub rejects_url: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub rejects_url_expires_at: Option<OffsetDateTime>,
}

/// Usage files loaded, newest first: rows read, accepted and rejected, and a link to each
/// rejects file. A record id already loaded from another file is refused in the rejects
/// (a record counts once); a corrected record comes as a new record id.
#[utoipa::path(get, path = "/v1/console/usage/ingests", tag = "console", params(Paging),
    responses((status = 200, body = PageOf<IngestView>), (status = 403, body = Problem)))]
pub async fn ingests(
    State(platform): State<Platform>,
    staff: StaffUser,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<PageOf<IngestView>>, Problem> {
    staff.require(Permission::ReportsView)?;
    every_account(&staff)?;
    let ingest = platform.ingest();
    let page = ingest
        .results(&staff.session.tenant, &paging.request())
        .await?;
    let mut items = Vec::with_capacity(page.items.len());
    for result in page.items {
        items.push(ingest_view(&platform, result).await?);
    }
    Ok(Json(PageOf {
        items,
        next_cursor: page.next_cursor,
    }))
}

async fn ingest_view(platform: &Platform, result: IngestResult) -> Result<IngestView, Problem> {
    let now = platform.clock.now();
    let link = platform.ingest().rejects_link(&result).await?;
    Ok(IngestView {
        rejects_url_expires_at: link.as_ref().map(|(_, at)| *at),
        rejects_url: link.map(|(url, _)| url),
        status: result.status_at(now),
        error: result.error_at(now),
        stalled: result.stalled_at(now),
        retryable: result.retryable_at(now),
        id: result.id,
        file: result.file,
        rows_read: result.rows_read,
        accepted: result.accepted,
        rejected: result.rejected,
        rejects_file: result.rejects_file,
        started_at: result.started_at,
        finished_at: result.finished_at,
        chunks_done: result.chunks_done,
        retried_as: result.retried_as,
    })
}

/// Loads a usage file whose load stopped again (settings_manage): the version it loaded is
/// stored again under its name and loads as a new ingest (records already loaded are not
/// counted twice); this one stays failed and names the new one. Asking again answers the
/// same.
#[utoipa::path(post, path = "/v1/console/usage/ingests/{id}/retry", tag = "console",
    params(("id" = String, Path, description = "The ingest")),
    responses((status = 200, body = IngestView), (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, body = Problem, description = "`ingest-not-stopped`: it is loading, completed or refused; `ingest-file-gone`: the file is no longer in the bucket")))]
pub async fn retry_ingest(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(id): Path<String>,
) -> Result<Json<IngestView>, Problem> {
    staff.require(Permission::SettingsManage)?;
    every_account(&staff)?;
    let outcome = platform
        .ingest()
        .retry(&staff.session.tenant, &id)
        .await?
        .ok_or_else(Problem::not_found)?;
    let result = match outcome {
        Retry::Retried(result) => result,
        Retry::NotStopped(_) => {
            return Err(Problem::new(
                StatusCode::CONFLICT,
                "ingest-not-stopped",
                "Only a load that stopped can be retried",
            )
            .detail(
                "The file is loading, has loaded, or was refused for what it holds; \
                 its result is among the usage files.",
            ));
        }
        Retry::FileGone(_) => {
            return Err(Problem::new(
                StatusCode::CONFLICT,
                "ingest-file-gone",
                "The file is no longer in the bucket",
            )
            .detail(
                "That version of the file is gone, or a newer file was stored under its \
                 name since; upload the file again to load it.",
            ));
        }
    };
    staff
        .record(&platform, None, "usage.load_retried", &result.file)
        .await?;
    Ok(Json(ingest_view(&platform, result).await?))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OverviewQuery {
    /// A month, `2026-11`; the current month when left out.
    pub period: Option<String>,
    /// One account group; staff limited to several groups must choose one.
    pub group: Option<String>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountUsageView {
    pub account: String,
    pub number: String,
    pub name: String,
    pub group: Option<String>,
    pub by_type: BTreeMap<UsageType, TotalsView>,
    pub total_charge: String,
}

/// The month to date of each account, a page of accounts at a time (as the accounts list
/// orders them): totals by usage type and the spend.
#[utoipa::path(get, path = "/v1/console/usage/overview", tag = "console", params(OverviewQuery),
    responses((status = 200, body = PageOf<AccountUsageView>), (status = 422, body = Problem)))]
pub async fn usage_overview(
    State(platform): State<Platform>,
    staff: StaffUser,
    QueryParams(q): QueryParams<OverviewQuery>,
) -> Result<Json<PageOf<AccountUsageView>>, Problem> {
    staff.require(Permission::ReportsView)?;
    let tenant = staff.session.tenant;
    let today = today(&platform, &tenant).await?;
    let period = period_of(q.period.as_deref(), today)?;
    let page = crate::domain::paging::PageRequest {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let group = super::access::group_to_list(&staff, q.group.as_ref())?;
    let accounts = platform.accounts();
    let listed = match &group {
        Some(group) => accounts.list_in_group(&tenant, group, &page).await,
        None => accounts.list(&tenant, &page).await,
    }?;
    let usage = platform.usage();
    let mut items = Vec::with_capacity(listed.items.len());
    for account in listed.items {
        let month = usage
            .account_month(&tenant, &account.id, period, today)
            .await?;
        items.push(AccountUsageView {
            account: account.id.to_string(),
            number: account.number,
            name: account.name,
            group: account.group,
            by_type: month
                .by_type
                .iter()
                .map(|(k, v)| (*k, TotalsView::from(v)))
                .collect(),
            total_charge: money::decimal(month.total_charge),
        });
    }
    Ok(Json(PageOf {
        items,
        next_cursor: listed.next_cursor,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadInput {
    /// The file's name, new for each file: `cdr-2026-11-03.csv` (letters, digits, `.`, `_`,
    /// `-`; ending in `.csv`).
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UploadView {
    /// The file's key in the ingest bucket.
    pub file: String,
    /// `PUT` the file's bytes here, with the `Content-Type` below, before it expires.
    pub upload_url: String,
    pub method: String,
    pub content_type: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// A file of this name was stored before: this one is loaded as a corrected file.
    pub corrects_earlier_file: bool,
    /// What happens to it, in words for the person uploading.
    pub note: String,
}

/// What happens to a file stored again under its name.
pub const CORRECTED_FILE_NOTE: &str = "A file of this name was loaded before. This one is \
    loaded as well, as a file of its own: records whose record_id was already loaded are \
    refused in its rejects (\"loaded before\" when they say the same, \"with other \
    details\" when they differ, since a loaded record is never changed), and new record ids \
    are loaded. Send corrections as records with new record ids.";

/// How long an upload URL works.
const UPLOAD_LIFETIME: time::Duration = time::Duration::minutes(15);

/// A URL to upload a usage file to (settings_manage): the file is loaded as soon as it is
/// stored, and its result appears among the ingests. A file stored again under a name
/// already loaded is loaded again as a corrected file (see the answer's `note`).
#[utoipa::path(post, path = "/v1/console/usage/uploads", tag = "console",
    request_body = UploadInput,
    responses((status = 201, body = UploadView), (status = 422, body = Problem)))]
pub async fn usage_upload(
    State(platform): State<Platform>,
    staff: StaffUser,
    JsonBody(body): JsonBody<UploadInput>,
) -> Result<(StatusCode, Json<UploadView>), Problem> {
    staff.require(Permission::SettingsManage)?;
    let name = body.name.trim();
    let valid = (5..=100).contains(&name.len())
        && name.ends_with(".csv")
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !valid {
        return Err(
            Problem::validation().field("/name", "5 to 100 letters, digits, . _ -, ending in .csv")
        );
    }
    let tenant = staff.session.tenant;
    let file = crate::ports::BlobKey::parse(&format!("{tenant}/usage/{name}"))
        .map_err(|_| Problem::validation().field("/name", "not a file name"))?;
    let corrects_earlier_file = platform
        .ingest
        .list(file.as_str(), None, 1)
        .await
        .map_err(|e| Problem::unavailable(&e))?
        .blobs
        .iter()
        .any(|b| b.key == file);
    let url = platform
        .ingest
        .presign_put(&file, UPLOAD_LIFETIME.unsigned_abs(), "text/csv")
        .await
        .map_err(|e| Problem::unavailable(&e))?;
    staff
        .record(&platform, None, "usage.upload_started", file.as_str())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(UploadView {
            file: file.as_str().to_owned(),
            upload_url: url,
            method: "PUT".into(),
            content_type: "text/csv".into(),
            expires_at: platform.clock.now() + UPLOAD_LIFETIME,
            corrects_earlier_file,
            note: if corrects_earlier_file {
                CORRECTED_FILE_NOTE.to_owned()
            } else {
                "The file is loaded as soon as it is stored; its result appears among the \
                 usage files, with a link to its rejects."
                    .to_owned()
            },
        }),
    ))
}

pub fn portal_routes() -> OpenApiRouter<Platform> {
    OpenApiRouter::new()
        .routes(routes!(portal_service_usage))
        .routes(routes!(portal_service_records))
        .routes(routes!(portal_usage))
}

pub fn console_routes() -> OpenApiRouter<Platform> {
    OpenApiRouter::new()
        .routes(routes!(console_service_usage))
        .routes(routes!(ingests))
        .routes(routes!(retry_ingest))
        .routes(routes!(usage_overview))
        .routes(routes!(usage_upload))
}
