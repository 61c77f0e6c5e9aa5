//! Services and usage over HTTP: the portal's view of an account's own services and usage
//! (the `api-services` function), and the console's catalogue, an account's services, and
//! the usage ingests (the `api-console-services` function).
//!
//! The portal reads only the signed-in account's partition; the console finds the account
//! within the staff member's tenant and groups first. Another account's service id finds
//! nothing either way.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::access::{PortalUser, StaffUser, module_disabled};
use super::console_accounts::visible_account;
use super::problem::{JsonBody, Problem, QueryParams, parse_id};
use super::views::{PageOf, Paging};
use crate::domain::catalogue::{
    Allowance, BoltOn, NewBoltOn, NewPlan, NewRate, Plan, ServiceType, UsageType, money,
};
use crate::domain::identity::{Module, Permission, Session};
use crate::domain::services::{
    EmergencyAddress, NewService, Service, ServiceStatus, VoiceFeatures,
};
use crate::domain::usage::ingest::IngestResult;
use crate::domain::usage::{MonthUsage, Period, Totals, UsageRecord};
use crate::ids::{AccountId, ServiceId, TenantId};
use crate::platform::Platform;

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceView {
    pub id: String,
    pub service_type: ServiceType,
    pub plan: String,
    pub identifier: String,
    pub status: ServiceStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    pub attributes: BTreeMap<String, String>,
    pub bolt_ons: Vec<String>,
    /// The account's cost centre the service is under.
    pub cost_centre: Option<String>,
    /// Voice services: the number's features (changed by ordering).
    pub features: VoiceFeatures,
    /// Voice services: the emergency address provisioned for the number.
    pub emergency_address: Option<EmergencyAddress>,
    pub version: u64,
}

impl From<Service> for ServiceView {
    fn from(s: Service) -> Self {
        ServiceView {
            id: s.id.to_string(),
            service_type: s.service_type,
            plan: s.plan.to_string(),
            identifier: s.identifier,
            status: s.status,
            started_at: s.started_at,
            attributes: s.attributes,
            bolt_ons: s.bolt_ons.iter().map(|b| b.bolt_on.to_string()).collect(),
            cost_centre: s.cost_centre.map(|c| c.to_string()),
            features: s.features,
            emergency_address: s.emergency_address,
            version: s.version,
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    /// A month, `2026-11`; the current month when left out.
    pub period: Option<String>,
}

/// The month asked for, or the provider's current one (`today` is the provider's date).
pub(super) fn period_of(text: Option<&str>, today: Date) -> Result<Period, Problem> {
    match text {
        None => Ok(Period::containing(today)),
        Some(text) => Period::parse(text)
            .ok_or_else(|| Problem::validation().field("period", "a month such as 2026-11")),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TotalsView {
    pub count: i64,
    /// Seconds, messages or bytes, as measured.
    pub quantity: i64,
    pub billable: i64,
    /// What allowances covered.
    pub covered: i64,
    /// A decimal amount, `12.34`.
    pub charge: String,
}

impl From<&Totals> for TotalsView {
    fn from(t: &Totals) -> Self {
        TotalsView {
            count: t.count,
            quantity: t.quantity,
            billable: t.billable,
            covered: t.covered,
            charge: money::decimal(t.charge),
        }
    }
}

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
    /// A day-by-day series for a chart (up to today in the current month).
    pub days: Vec<DayView>,
}

impl From<MonthUsage> for MonthView {
    fn from(m: MonthUsage) -> Self {
        let by_type = |map: &BTreeMap<UsageType, Totals>| {
            map.iter().map(|(k, v)| (*k, TotalsView::from(v))).collect()
        };
        MonthView {
            period: m.period.to_string(),
            by_type: by_type(&m.by_type),
            total_charge: money::decimal(m.total_charge),
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

/// The portal's account, once its module is on.
pub(super) async fn portal_account(
    platform: &Platform,
    user: &PortalUser,
    module: Module,
) -> Result<AccountId, Problem> {
    let settings = platform.identity().settings(&user.session.tenant).await?;
    if !settings.modules.contains(&module) {
        return Err(module_disabled(module));
    }
    user.session.account().ok_or_else(Problem::not_found)
}

/// Today in the provider's calendar (its time zone).
pub(super) async fn today(platform: &Platform, tenant: &TenantId) -> Result<Date, Problem> {
    let zone = crate::domain::identity::settings::zone(platform.table.as_ref(), tenant)
        .await
        .map_err(|e| Problem::storage(&e))?;
    Ok(zone.date_of(platform.clock.now()))
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
    Ok(Json(month.into()))
}

/// The account's services.
#[utoipa::path(get, path = "/v1/portal/services", tag = "portal",
    responses((status = 200, body = Vec<ServiceView>), (status = 404, body = Problem)))]
pub async fn portal_services(
    State(platform): State<Platform>,
    user: PortalUser,
) -> Result<Json<Vec<ServiceView>>, Problem> {
    let account = portal_account(&platform, &user, Module::Services).await?;
    let services = platform
        .services()
        .of_account(&user.session.tenant, &account)
        .await?;
    Ok(Json(services.into_iter().map(Into::into).collect()))
}

/// One of the account's services.
#[utoipa::path(get, path = "/v1/portal/services/{service}", tag = "portal",
    params(("service" = String, Path)),
    responses((status = 200, body = ServiceView), (status = 404, body = Problem)))]
pub async fn portal_service(
    State(platform): State<Platform>,
    user: PortalUser,
    Path(service): Path<String>,
) -> Result<Json<ServiceView>, Problem> {
    let account = portal_account(&platform, &user, Module::Services).await?;
    let service = platform
        .services()
        .get(&user.session.tenant, &account, &parse_id(&service)?)
        .await?;
    Ok(Json(service.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OfferedBoltOnView {
    pub id: String,
    pub name: String,
    pub currency: String,
    /// A month, as a decimal amount: `3.00`.
    pub price: String,
    pub price_minor: i64,
    /// The minimum months it stays once added.
    pub term_months: u32,
    /// The service has it now.
    pub attached: bool,
}

/// The bolt-ons and add-ons offered on one of the account's services (those of its plan),
/// and whether it has each, for a site to offer ordering or cancelling them.
#[utoipa::path(get, path = "/v1/portal/services/{service}/bolt-ons", tag = "portal",
    params(("service" = String, Path)),
    responses((status = 200, body = Vec<OfferedBoltOnView>), (status = 404, body = Problem)))]
pub async fn portal_service_bolt_ons(
    State(platform): State<Platform>,
    user: PortalUser,
    Path(service): Path<String>,
) -> Result<Json<Vec<OfferedBoltOnView>>, Problem> {
    let account = portal_account(&platform, &user, Module::Services).await?;
    let service = platform
        .services()
        .get(&user.session.tenant, &account, &parse_id(&service)?)
        .await?;
    let catalogue = platform.catalogue();
    let mut offered = Vec::new();
    let mut cursor = None;
    loop {
        let page = catalogue
            .bolt_ons(
                &user.session.tenant,
                &crate::domain::paging::PageRequest::after(100, cursor),
            )
            .await?;
        offered.extend(
            page.items
                .into_iter()
                .filter(|b| b.plans.contains(&service.plan))
                .map(|b| OfferedBoltOnView {
                    attached: service.bolt_ons.iter().any(|a| a.bolt_on == b.id),
                    id: b.id.to_string(),
                    name: b.name,
                    currency: b.currency.to_string(),
                    price: money::decimal(b.price_minor),
                    price_minor: b.price_minor,
                    term_months: b.term_months,
                }),
        );
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(Json(offered)),
        }
    }
}

/// The provider's plans, for a customer choosing one when ordering a number, a port or a
/// new service.
#[utoipa::path(get, path = "/v1/portal/plans", tag = "portal", params(Paging),
    responses((status = 200, body = PageOf<PlanView>), (status = 404, body = Problem)))]
pub async fn portal_plans(
    State(platform): State<Platform>,
    user: PortalUser,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<PageOf<PlanView>>, Problem> {
    portal_account(&platform, &user, Module::Orders).await?;
    let page = platform
        .catalogue()
        .plans(&user.session.tenant, &paging.request())
        .await?;
    Ok(Json(PageOf {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
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
        .usage()
        .records(
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
    Ok(Json(month.into()))
}

pub fn portal_router() -> OpenApiRouter<Platform> {
    OpenApiRouter::new()
        .routes(routes!(portal_services))
        .routes(routes!(portal_service))
        .routes(routes!(portal_service_bolt_ons))
        .routes(routes!(portal_plans))
        .routes(routes!(portal_service_usage))
        .routes(routes!(portal_service_records))
        .routes(routes!(portal_usage))
        .merge(super::exports::portal_routes())
        .merge(super::cost_centres::portal_routes())
        .merge(super::alerts::portal_routes())
}

// ---- Console ----

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateInput {
    pub usage: UsageType,
    /// Destination digits; empty or left out: every destination.
    #[serde(default)]
    pub prefix: String,
    /// Minor units per minute, message or megabyte, up to 4 decimals: `"2.5"`.
    pub price: String,
    /// Calls: billed in steps of this many seconds (default 60).
    pub increment_seconds: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    pub name: String,
    pub service_type: ServiceType,
    pub currency: String,
    pub recurring_minor: i64,
    #[serde(default)]
    pub rates: Vec<RateInput>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RateView {
    pub usage: UsageType,
    pub prefix: String,
    pub price: String,
    pub increment_seconds: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanView {
    pub id: String,
    pub name: String,
    pub service_type: ServiceType,
    pub currency: String,
    pub recurring_minor: i64,
    pub rates: Vec<RateView>,
}

impl From<Plan> for PlanView {
    fn from(p: Plan) -> Self {
        PlanView {
            id: p.id.to_string(),
            name: p.name,
            service_type: p.service_type,
            currency: p.currency.to_string(),
            recurring_minor: p.recurring_minor,
            rates: p
                .rates
                .into_iter()
                .map(|r| RateView {
                    usage: r.usage,
                    prefix: r.prefix,
                    price: r.price.to_string(),
                    increment_seconds: r.increment_seconds,
                })
                .collect(),
        }
    }
}

/// Add a plan to the catalogue.
#[utoipa::path(post, path = "/v1/console/plans", tag = "console", request_body = PlanInput,
    responses((status = 201, body = PlanView), (status = 422, body = Problem)))]
pub async fn create_plan(
    State(platform): State<Platform>,
    staff: StaffUser,
    JsonBody(body): JsonBody<PlanInput>,
) -> Result<(StatusCode, Json<PlanView>), Problem> {
    staff.require(Permission::SettingsManage)?;
    let plan = platform
        .catalogue()
        .create_plan(
            &staff.session.tenant,
            NewPlan {
                name: body.name,
                service_type: body.service_type,
                currency: body.currency,
                recurring_minor: body.recurring_minor,
                rates: body
                    .rates
                    .into_iter()
                    .map(|r| NewRate {
                        usage: r.usage,
                        prefix: r.prefix,
                        price: r.price,
                        increment_seconds: r.increment_seconds,
                    })
                    .collect(),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(plan.into())))
}

/// The catalogue's plans.
#[utoipa::path(get, path = "/v1/console/plans", tag = "console", params(Paging),
    responses((status = 200, body = PageOf<PlanView>)))]
pub async fn list_plans(
    State(platform): State<Platform>,
    staff: StaffUser,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<PageOf<PlanView>>, Problem> {
    staff.require(Permission::AccountsRead)?;
    let page = platform
        .catalogue()
        .plans(&staff.session.tenant, &paging.request())
        .await?;
    Ok(Json(PageOf {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoltOnInput {
    pub name: String,
    pub currency: String,
    pub price_minor: i64,
    #[serde(default)]
    pub term_months: u32,
    pub allowances: Vec<Allowance>,
    /// The plans it attaches to.
    pub plans: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BoltOnView {
    pub id: String,
    pub name: String,
    pub currency: String,
    pub price_minor: i64,
    pub term_months: u32,
    pub allowances: Vec<Allowance>,
    pub plans: Vec<String>,
}

impl From<BoltOn> for BoltOnView {
    fn from(b: BoltOn) -> Self {
        BoltOnView {
            id: b.id.to_string(),
            name: b.name,
            currency: b.currency.to_string(),
            price_minor: b.price_minor,
            term_months: b.term_months,
            allowances: b.allowances,
            plans: b.plans.iter().map(ToString::to_string).collect(),
        }
    }
}

/// Add a bolt-on to the catalogue.
#[utoipa::path(post, path = "/v1/console/bolt-ons", tag = "console", request_body = BoltOnInput,
    responses((status = 201, body = BoltOnView),
        (status = 404, description = "A plan it is offered on is not the provider's", body = Problem),
        (status = 422, body = Problem)))]
pub async fn create_bolt_on(
    State(platform): State<Platform>,
    staff: StaffUser,
    JsonBody(body): JsonBody<BoltOnInput>,
) -> Result<(StatusCode, Json<BoltOnView>), Problem> {
    staff.require(Permission::SettingsManage)?;
    let plans = body
        .plans
        .iter()
        .map(|p| parse_id(p))
        .collect::<Result<Vec<_>, _>>()?;
    let bolt_on = platform
        .catalogue()
        .create_bolt_on(
            &staff.session.tenant,
            NewBoltOn {
                name: body.name,
                currency: body.currency,
                price_minor: body.price_minor,
                term_months: body.term_months,
                allowances: body.allowances,
                plans,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(bolt_on.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceInput {
    pub plan: String,
    pub identifier: String,
    pub status: Option<ServiceStatus>,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

/// Give an account a service.
#[utoipa::path(post, path = "/v1/console/accounts/{account}/services", tag = "console",
    params(("account" = String, Path)), request_body = ServiceInput,
    responses((status = 201, body = ServiceView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn create_service(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
    JsonBody(body): JsonBody<ServiceInput>,
) -> Result<(StatusCode, Json<ServiceView>), Problem> {
    staff.require(Permission::AccountsWrite)?;
    let account = visible_account(&platform, &staff, &account).await?;
    let service = platform
        .services()
        .create(
            &staff.session.tenant,
            &account.id,
            NewService {
                plan: parse_id(&body.plan)?,
                identifier: body.identifier,
                status: body.status.unwrap_or(ServiceStatus::PendingProvisioning),
                started_at: None,
                attributes: body.attributes,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(service.into())))
}

/// An account's services.
#[utoipa::path(get, path = "/v1/console/accounts/{account}/services", tag = "console",
    params(("account" = String, Path)),
    responses((status = 200, body = Vec<ServiceView>), (status = 404, body = Problem)))]
pub async fn account_services(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
) -> Result<Json<Vec<ServiceView>>, Problem> {
    staff.require(Permission::AccountsRead)?;
    let account = visible_account(&platform, &staff, &account).await?;
    let services = platform
        .services()
        .of_account(&staff.session.tenant, &account.id)
        .await?;
    Ok(Json(services.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachBoltOn {
    pub bolt_on: String,
}

/// Add a bolt-on to an account's service.
#[utoipa::path(post, path = "/v1/console/accounts/{account}/services/{service}/bolt-ons", tag = "console",
    params(("account" = String, Path), ("service" = String, Path)), request_body = AttachBoltOn,
    responses((status = 200, body = ServiceView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn attach_bolt_on(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path((account, service)): Path<(String, String)>,
    JsonBody(body): JsonBody<AttachBoltOn>,
) -> Result<Json<ServiceView>, Problem> {
    staff.require(Permission::AccountsWrite)?;
    let account = visible_account(&platform, &staff, &account).await?;
    let service = platform
        .services()
        .attach_bolt_on(
            &staff.session.tenant,
            &account.id,
            &parse_id(&service)?,
            &parse_id(&body.bolt_on)?,
        )
        .await?;
    Ok(Json(service.into()))
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

/// A usage file's ingest, as staff see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct IngestView {
    #[serde(flatten)]
    pub result: IngestResult,
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
    if !staff.session.principal.sees_group(None) {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Usage files cover every account; staff limited to groups cannot see them",
        ));
    }
    let ingest = platform.ingest();
    let page = ingest
        .results(&staff.session.tenant, &paging.request())
        .await?;
    let mut items = Vec::with_capacity(page.items.len());
    for result in page.items {
        let link = ingest.rejects_link(&result).await?;
        items.push(IngestView {
            rejects_url_expires_at: link.as_ref().map(|(_, at)| *at),
            rejects_url: link.map(|(url, _)| url),
            result,
        });
    }
    Ok(Json(PageOf {
        items,
        next_cursor: page.next_cursor,
    }))
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
    let group = super::console_accounts::group_to_list(&staff, q.group.as_ref())?;
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

pub fn console_router() -> OpenApiRouter<Platform> {
    OpenApiRouter::new()
        .routes(routes!(create_plan, list_plans))
        .routes(routes!(create_bolt_on))
        .routes(routes!(create_service, account_services))
        .routes(routes!(attach_bolt_on))
        .routes(routes!(console_service_usage))
        .routes(routes!(ingests))
        .routes(routes!(usage_overview))
        .routes(routes!(usage_upload))
        .merge(super::exports::console_routes())
        .merge(super::cost_centres::console_routes())
        .merge(super::alerts::console_routes())
        .merge(super::service_groups::console_routes())
}
