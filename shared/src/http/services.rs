//! Services over HTTP: an account's own services and the bolt-ons offered on them (portal),
//! and for staff an account's services, new ones, and bolt-ons attached (console).
//!
//! The portal reads only the signed-in account's partition; the console finds the account
//! within the staff member's tenant and groups first. Another account's service id finds
//! nothing either way.

use super::access::{portal_account, visible_account};
use super::views::{IncludedView, ServiceView};
use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::access::{PortalUser, StaffUser};
use super::problem::{JsonBody, Problem, parse_id};
use crate::domain::catalogue::{BoltOn, MonthlyPrice, UsageType, money};
use crate::domain::identity::Permission;
use crate::domain::services::{NewService, Service, ServiceStatus};
use crate::domain::settings::Module;
use crate::ids::TenantId;
use crate::platform::Platform;

/// Services as people read them: each with its plan's name and what it costs a month (its
/// plan and bolt-ons), the catalogue read once per plan and bolt-on.
pub(super) async fn priced(
    platform: &Platform,
    tenant: &TenantId,
    services: Vec<Service>,
) -> Vec<ServiceView> {
    let catalogue = platform.catalogue();
    let mut plans = BTreeMap::new();
    let mut bolt_ons = BTreeMap::new();
    let mut views = Vec::with_capacity(services.len());
    for service in services {
        if let Entry::Vacant(slot) = plans.entry(service.plan) {
            slot.insert(catalogue.plan(tenant, &service.plan).await.ok());
        }
        for attached in &service.bolt_ons {
            if let Entry::Vacant(slot) = bolt_ons.entry(attached.bolt_on) {
                slot.insert(catalogue.bolt_on(tenant, &attached.bolt_on).await.ok());
            }
        }
        let plan = plans.get(&service.plan).cloned().flatten();
        let offers: Vec<Option<BoltOn>> = service
            .bolt_ons
            .iter()
            .map(|b| bolt_ons.get(&b.bolt_on).cloned().flatten())
            .collect();
        let extras: Option<i64> = offers
            .iter()
            .map(|o| o.as_ref().map(|o| o.price_minor))
            .sum();
        let mut included: BTreeMap<UsageType, i64> = BTreeMap::new();
        for allowance in offers.iter().flatten().flat_map(|o| &o.allowances) {
            *included.entry(allowance.usage).or_default() += allowance.quantity;
        }
        let mut view = ServiceView::from(service);
        view.allowances = included
            .into_iter()
            .map(|(usage, quantity)| IncludedView { usage, quantity })
            .collect();
        if let Some(plan) = plan {
            view.price = extras.map(|extras| MonthlyPrice {
                monthly_minor: plan.recurring_minor + extras,
                currency: plan.currency.to_string(),
            });
            view.plan_name = Some(plan.name);
        }
        views.push(view);
    }
    views
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
    Ok(Json(
        priced(&platform, &user.session.tenant, services).await,
    ))
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
    let [view] = priced(&platform, &user.session.tenant, vec![service])
        .await
        .try_into()
        .map_err(|_| Problem::not_found())?;
    Ok(Json(view))
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

pub fn portal_routes() -> OpenApiRouter<Platform> {
    OpenApiRouter::new()
        .routes(routes!(portal_services))
        .routes(routes!(portal_service))
        .routes(routes!(portal_service_bolt_ons))
}

// ---- Console ----

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
    let stamp = staff.stamp(
        &platform,
        Some(account.id),
        "service.created",
        body.identifier.trim(),
    )?;
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
            &stamp,
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
    Ok(Json(
        priced(&platform, &staff.session.tenant, services).await,
    ))
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
    let service_id = parse_id(&service)?;
    let bolt_on = parse_id(&body.bolt_on)?;
    let known = platform
        .services()
        .get(&staff.session.tenant, &account.id, &service_id)
        .await?;
    let stamp = staff.stamp(
        &platform,
        Some(account.id),
        "service.bolt_on_attached",
        &format!("{} on {}", body.bolt_on, known.identifier),
    )?;
    let service = platform
        .services()
        .attach_bolt_on(
            &staff.session.tenant,
            &account.id,
            &service_id,
            &bolt_on,
            &stamp,
        )
        .await?;
    Ok(Json(service.into()))
}

pub fn console_routes() -> OpenApiRouter<Platform> {
    OpenApiRouter::new()
        .routes(routes!(create_service, account_services))
        .routes(routes!(attach_bolt_on))
}
