//! The provider's catalogue over HTTP: plans and bolt-ons staff define (console), and the
//! plans a customer may choose from (portal).

use super::access::portal_account;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::access::{PortalUser, StaffUser};
use super::problem::{JsonBody, Problem, QueryParams, parse_id};
use super::views::{PageOf, Paging};
use crate::domain::catalogue::{
    Allowance, BoltOn, NewBoltOn, NewPlan, NewRate, Plan, ServiceType, UsageType,
};
use crate::domain::identity::Permission;
use crate::domain::settings::Module;
use crate::platform::Platform;

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
    let stamp = staff.stamp(
        &platform,
        None,
        "catalogue.plan_added",
        &format!(
            "{} ({:?}, {} {})",
            body.name, body.service_type, body.recurring_minor, body.currency
        ),
    )?;
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
            &stamp,
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
    let stamp = staff.stamp(
        &platform,
        None,
        "catalogue.bolt_on_added",
        &format!("{} ({} {})", body.name, body.price_minor, body.currency),
    )?;
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
            &stamp,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(bolt_on.into())))
}

pub fn portal_routes() -> OpenApiRouter<Platform> {
    OpenApiRouter::new().routes(routes!(portal_plans))
}

/// The catalogue's bolt-ons and add-ons.
#[utoipa::path(get, path = "/v1/console/bolt-ons", tag = "console", params(Paging),
    responses((status = 200, body = PageOf<BoltOnView>), (status = 400, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list_bolt_ons(
    State(platform): State<Platform>,
    staff: StaffUser,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<PageOf<BoltOnView>>, Problem> {
    staff.require(Permission::AccountsRead)?;
    let page = platform
        .catalogue()
        .bolt_ons(&staff.session.tenant, &paging.request())
        .await?;
    Ok(Json(PageOf::from(page)))
}

pub fn console_routes() -> OpenApiRouter<Platform> {
    OpenApiRouter::new()
        .routes(routes!(create_plan, list_plans))
        .routes(routes!(create_bolt_on, list_bolt_ons))
}
