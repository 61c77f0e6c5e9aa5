//! Usage alerts over HTTP: the end user's own thresholds (`api-services`) and the
//! provider's default alerts per plan (`api-console-services`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::access::portal_account;
use super::access::{PortalAction, require};
use super::access::{PortalUser, StaffUser};
use super::problem::{JsonBody, Problem, parse_id};
use crate::domain::catalogue::UsageType;
use crate::domain::identity::Permission;
use crate::domain::settings::Module;
use crate::domain::usage::alerts::{Alert, AlertScope, Measure, NewAlert};
use crate::ids::{AlertId, PlanId};
use crate::platform::Platform;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertInput {
    /// One service of the account; the whole account when left out (portal only).
    #[serde(default)]
    pub service: Option<String>,
    pub measure: Measure,
    /// For quantity alerts: `call`, `message` or `data`.
    #[serde(default)]
    pub usage: Option<UsageType>,
    /// Minor units for spend (`5000` is 50.00); seconds, messages or bytes for quantity.
    pub threshold: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertView {
    pub id: String,
    /// The service watched; none for the whole account (or every service of a plan).
    pub service: Option<String>,
    pub measure: Measure,
    pub usage: Option<UsageType>,
    pub threshold: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<Alert> for AlertView {
    fn from(a: Alert) -> Self {
        AlertView {
            id: a.id.to_string(),
            service: match a.scope {
                AlertScope::Service(_, s) => Some(s.to_string()),
                _ => None,
            },
            measure: a.measure,
            usage: a.usage,
            threshold: a.threshold,
            created_at: a.created_at,
        }
    }
}

/// The account's alerts: its own and its services'.
#[utoipa::path(get, path = "/v1/portal/usage/alerts", tag = "portal",
    responses((status = 200, body = Vec<AlertView>)))]
pub async fn portal_alerts(
    State(platform): State<Platform>,
    user: PortalUser,
) -> Result<Json<Vec<AlertView>>, Problem> {
    let account = portal_account(&platform, &user, Module::Usage).await?;
    let alerts = platform
        .alerts()
        .list(&user.session.tenant, &AlertScope::Account(account))
        .await?;
    Ok(Json(alerts.into_iter().map(Into::into).collect()))
}

/// Set an alert on the month's spend or quantity, of a service or the whole account
/// (owner and billing logins). Reaching it sends one email a month. The same alert again
/// answers the one there.
#[utoipa::path(post, path = "/v1/portal/usage/alerts", tag = "portal", request_body = AlertInput,
    responses((status = 201, body = AlertView), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_portal_alert(
    State(platform): State<Platform>,
    user: PortalUser,
    JsonBody(body): JsonBody<AlertInput>,
) -> Result<(StatusCode, Json<AlertView>), Problem> {
    let account = portal_account(&platform, &user, Module::Usage).await?;
    require(&user.session, PortalAction::AccountEdit)?;
    let tenant = &user.session.tenant;
    let scope = match &body.service {
        Some(service) => {
            let service = platform
                .services()
                .get(tenant, &account, &parse_id(service)?)
                .await?;
            AlertScope::Service(account, service.id)
        }
        None => AlertScope::Account(account),
    };
    let stamp = user.stamp(&platform, "POST /v1/portal/usage/alerts")?;
    let alert = platform
        .alerts()
        .create(
            tenant,
            scope,
            NewAlert {
                measure: body.measure,
                usage: body.usage,
                threshold: body.threshold,
            },
            &stamp,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(alert.into())))
}

/// Remove one of the account's alerts (owner and billing logins).
#[utoipa::path(delete, path = "/v1/portal/usage/alerts/{alert}", tag = "portal",
    params(("alert" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_portal_alert(
    State(platform): State<Platform>,
    user: PortalUser,
    Path(alert): Path<String>,
) -> Result<StatusCode, Problem> {
    let account = portal_account(&platform, &user, Module::Usage).await?;
    require(&user.session, PortalAction::AccountEdit)?;
    let alert: AlertId = parse_id(&alert)?;
    let stamp = user.stamp(
        &platform,
        &format!("DELETE /v1/portal/usage/alerts/{alert}"),
    )?;
    platform
        .alerts()
        .delete(
            &user.session.tenant,
            &AlertScope::Account(account),
            &alert,
            &stamp,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn own_plan(platform: &Platform, staff: &StaffUser, plan: &str) -> Result<PlanId, Problem> {
    let plan = platform
        .catalogue()
        .plan(&staff.session.tenant, &parse_id(plan)?)
        .await?;
    Ok(plan.id)
}

/// A plan's default alerts: every service on the plan has them.
#[utoipa::path(get, path = "/v1/console/plans/{plan}/alerts", tag = "console",
    params(("plan" = String, Path)),
    responses((status = 200, body = Vec<AlertView>), (status = 404, body = Problem)))]
pub async fn plan_alerts(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(plan): Path<String>,
) -> Result<Json<Vec<AlertView>>, Problem> {
    staff.require(Permission::AccountsRead)?;
    let plan = own_plan(&platform, &staff, &plan).await?;
    let alerts = platform
        .alerts()
        .list(&staff.session.tenant, &AlertScope::Plan(plan))
        .await?;
    Ok(Json(alerts.into_iter().map(Into::into).collect()))
}

/// Add a default alert to a plan (settings_manage). Each service on the plan is alerted on
/// its own month; its account's addresses get the email.
#[utoipa::path(post, path = "/v1/console/plans/{plan}/alerts", tag = "console",
    params(("plan" = String, Path)), request_body = AlertInput,
    responses((status = 201, body = AlertView), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn create_plan_alert(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(plan): Path<String>,
    JsonBody(body): JsonBody<AlertInput>,
) -> Result<(StatusCode, Json<AlertView>), Problem> {
    staff.require(Permission::SettingsManage)?;
    let plan = own_plan(&platform, &staff, &plan).await?;
    if body.service.is_some() {
        return Err(Problem::validation().field("/service", "a plan's alert covers its services"));
    }
    let stamp = staff.stamp(
        &platform,
        None,
        "catalogue.plan_alert_added",
        &plan.to_string(),
    )?;
    let alert = platform
        .alerts()
        .create(
            &staff.session.tenant,
            AlertScope::Plan(plan),
            NewAlert {
                measure: body.measure,
                usage: body.usage,
                threshold: body.threshold,
            },
            &stamp,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(alert.into())))
}

/// Remove a plan's default alert (settings_manage).
#[utoipa::path(delete, path = "/v1/console/plans/{plan}/alerts/{alert}", tag = "console",
    params(("plan" = String, Path), ("alert" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_plan_alert(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path((plan, alert)): Path<(String, String)>,
) -> Result<StatusCode, Problem> {
    staff.require(Permission::SettingsManage)?;
    let plan = own_plan(&platform, &staff, &plan).await?;
    let stamp = staff.stamp(
        &platform,
        None,
        "catalogue.plan_alert_removed",
        &plan.to_string(),
    )?;
    platform
        .alerts()
        .delete(
            &staff.session.tenant,
            &AlertScope::Plan(plan),
            &parse_id(&alert)?,
            &stamp,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn portal_routes() -> OpenApiRouter<Platform> {
    OpenApiRouter::new()
        .routes(routes!(portal_alerts, create_portal_alert))
        .routes(routes!(delete_portal_alert))
}

pub fn console_routes() -> OpenApiRouter<Platform> {
    OpenApiRouter::new()
        .routes(routes!(plan_alerts, create_plan_alert))
        .routes(routes!(delete_plan_alert))
}
