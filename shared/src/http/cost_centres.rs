//! Cost centres over HTTP: an end user names its cost centres, puts services under them
//! and reads the month's usage by cost centre (`api-services`); staff read the same for
//! any account they may see (`api-console-services`).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::access::portal_account;
use super::access::visible_account;
use super::access::{PortalAction, require};
use super::access::{PortalUser, StaffUser};
use super::problem::{JsonBody, Problem, QueryParams, parse_id};
use super::views::{PeriodQuery, ServiceView, TotalsView, period_of, today};
use crate::domain::catalogue::{UsageType, money};
use crate::domain::cost_centres::{CostCentre, CostCentreUsage};
use crate::domain::identity::Permission;
use crate::domain::settings::Module;
use crate::ids::{AccountId, TenantId};
use crate::platform::Platform;

#[derive(Debug, Serialize, ToSchema)]
pub struct CostCentreView {
    pub id: String,
    pub name: String,
    pub code: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<CostCentre> for CostCentreView {
    fn from(c: CostCentre) -> Self {
        CostCentreView {
            id: c.id,
            name: c.name,
            code: c.code,
            created_at: c.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CostCentreInput {
    pub name: String,
    #[serde(default)]
    pub code: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignInput {
    /// A cost centre of the account; null to take the service out of its cost centre.
    pub cost_centre: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CostCentreUsageView {
    /// None for the services under no cost centre.
    pub cost_centre: Option<CostCentreView>,
    pub services: Vec<String>,
    pub by_type: BTreeMap<UsageType, TotalsView>,
    pub total_charge: String,
}

impl From<CostCentreUsage> for CostCentreUsageView {
    fn from(u: CostCentreUsage) -> Self {
        CostCentreUsageView {
            cost_centre: u.cost_centre.map(Into::into),
            services: u.services.iter().map(ToString::to_string).collect(),
            by_type: u
                .by_type
                .iter()
                .map(|(k, v)| (*k, TotalsView::from(v)))
                .collect(),
            total_charge: money::decimal(u.total_charge),
        }
    }
}

async fn list(
    platform: &Platform,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<Json<Vec<CostCentreView>>, Problem> {
    let centres = platform.cost_centres().list(tenant, account).await?;
    Ok(Json(centres.into_iter().map(Into::into).collect()))
}

async fn usage(
    platform: &Platform,
    tenant: &TenantId,
    account: &AccountId,
    period: Option<&str>,
) -> Result<Json<Vec<CostCentreUsageView>>, Problem> {
    let today = today(platform, tenant).await?;
    let usage = platform
        .cost_centres()
        .usage(tenant, account, period_of(period, today)?, today)
        .await?;
    Ok(Json(usage.into_iter().map(Into::into).collect()))
}

/// The account's cost centres, by name.
#[utoipa::path(get, path = "/v1/portal/cost-centres", tag = "portal",
    responses((status = 200, body = Vec<CostCentreView>)))]
pub async fn portal_cost_centres(
    State(platform): State<Platform>,
    user: PortalUser,
) -> Result<Json<Vec<CostCentreView>>, Problem> {
    let account = portal_account(&platform, &user, Module::Services).await?;
    list(&platform, &user.session.tenant, &account).await
}

/// Add a cost centre (owner and billing logins). One of the same name is answered as it
/// is, with 200, so a retry never makes two.
#[utoipa::path(post, path = "/v1/portal/cost-centres", tag = "portal",
    request_body = CostCentreInput,
    responses((status = 201, body = CostCentreView), (status = 200, body = CostCentreView),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_cost_centre(
    State(platform): State<Platform>,
    user: PortalUser,
    JsonBody(body): JsonBody<CostCentreInput>,
) -> Result<(StatusCode, Json<CostCentreView>), Problem> {
    let account = portal_account(&platform, &user, Module::Services).await?;
    require(&user.session, PortalAction::AccountEdit)?;
    let stamp = user.stamp(
        &platform,
        &format!("POST /v1/portal/cost-centres ({})", body.name.trim()),
    )?;
    let (centre, created) = platform
        .cost_centres()
        .create(
            &user.session.tenant,
            &account,
            &body.name,
            body.code.as_deref(),
            &stamp,
        )
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(centre.into())))
}

/// Put a service under a cost centre, or under none (owner and billing logins).
#[utoipa::path(put, path = "/v1/portal/services/{service}/cost-centre", tag = "portal",
    params(("service" = String, Path)), request_body = AssignInput,
    responses((status = 200, body = ServiceView), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn assign_cost_centre(
    State(platform): State<Platform>,
    user: PortalUser,
    Path(service): Path<String>,
    JsonBody(body): JsonBody<AssignInput>,
) -> Result<Json<ServiceView>, Problem> {
    let account = portal_account(&platform, &user, Module::Services).await?;
    require(&user.session, PortalAction::AccountEdit)?;
    let service: crate::ids::ServiceId = parse_id(&service)?;
    let stamp = user.stamp(
        &platform,
        &format!("PUT /v1/portal/services/{service}/cost-centre"),
    )?;
    let service = platform
        .cost_centres()
        .assign(
            &user.session.tenant,
            &account,
            &service,
            body.cost_centre.as_deref(),
            &stamp,
        )
        .await?;
    Ok(Json(service.into()))
}

/// The month's usage and spend by cost centre, then the services under none.
#[utoipa::path(get, path = "/v1/portal/cost-centres/usage", tag = "portal",
    params(PeriodQuery),
    responses((status = 200, body = Vec<CostCentreUsageView>), (status = 422, body = Problem)))]
pub async fn portal_cost_centre_usage(
    State(platform): State<Platform>,
    user: PortalUser,
    QueryParams(q): QueryParams<PeriodQuery>,
) -> Result<Json<Vec<CostCentreUsageView>>, Problem> {
    let account = portal_account(&platform, &user, Module::Usage).await?;
    usage(
        &platform,
        &user.session.tenant,
        &account,
        q.period.as_deref(),
    )
    .await
}

/// An account's cost centres.
#[utoipa::path(get, path = "/v1/console/accounts/{account}/cost-centres", tag = "console",
    params(("account" = String, Path)),
    responses((status = 200, body = Vec<CostCentreView>), (status = 404, body = Problem)))]
pub async fn console_cost_centres(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
) -> Result<Json<Vec<CostCentreView>>, Problem> {
    staff.require(Permission::AccountsRead)?;
    let account = visible_account(&platform, &staff, &account).await?;
    list(&platform, &staff.session.tenant, &account.id).await
}

/// An account's month of usage by cost centre.
#[utoipa::path(get, path = "/v1/console/accounts/{account}/cost-centres/usage",
    tag = "console", params(("account" = String, Path), PeriodQuery),
    responses((status = 200, body = Vec<CostCentreUsageView>), (status = 404, body = Problem)))]
pub async fn console_cost_centre_usage(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
    QueryParams(q): QueryParams<PeriodQuery>,
) -> Result<Json<Vec<CostCentreUsageView>>, Problem> {
    staff.require(Permission::AccountsRead)?;
    let account = visible_account(&platform, &staff, &account).await?;
    usage(
        &platform,
        &staff.session.tenant,
        &account.id,
        q.period.as_deref(),
    )
    .await
}

pub fn portal_routes() -> OpenApiRouter<Platform> {
    OpenApiRouter::new()
        .routes(routes!(portal_cost_centres, create_cost_centre))
        .routes(routes!(assign_cost_centre))
        .routes(routes!(portal_cost_centre_usage))
}

pub fn console_routes() -> OpenApiRouter<Platform> {
    OpenApiRouter::new()
        .routes(routes!(console_cost_centres))
        .routes(routes!(console_cost_centre_usage))
}
