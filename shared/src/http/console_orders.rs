//! Orders over HTTP, for staff (the `api-console-orders` function): approvals, order
//! settings, the number inventory and the manual-provisioning queue.
//!
//! An order is found through its account, within the staff member's tenant and groups, for
//! approvals; through the fulfiller (the caller's tenant) for the provisioning queue, where
//! a wholesaler reaches its retailers' orders and nothing else.

use super::order_views::{NumberSearch, NumberView, OrderQuery, OrderView, available_numbers};
use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::access::StaffUser;
use super::access::visible_account;
use super::problem::{JsonBody, Problem, QueryParams, parse_id};
use super::views::{PageOf, Paging};
use crate::domain::identity::{Permission, Principal};
use crate::domain::orders::settings::OrderSettings;
use crate::domain::orders::{Activation, Actor, ActorKind, Order, OrderRef, ProvisioningDetails};
use crate::ids::AccountId;
use crate::platform::Platform;
use crate::store::Stamp;

fn staff_actor(staff: &StaffUser, wholesale: bool) -> Actor {
    Actor::person(
        if wholesale {
            ActorKind::Wholesaler
        } else {
            ActorKind::Staff
        },
        &staff.session.login,
        &staff.session.username,
    )
}

/// The provider's order settings.
#[utoipa::path(get, path = "/v1/console/settings/orders", tag = "console",
    responses((status = 200, body = OrderSettings), (status = 403, body = Problem)))]
pub async fn order_settings(
    State(platform): State<Platform>,
    staff: StaffUser,
) -> Result<Json<OrderSettings>, Problem> {
    staff.require(Permission::SettingsManage)?;
    let settings = platform.orders().settings(&staff.session.tenant).await?;
    Ok(Json(settings))
}

/// Replace the provider's order settings (fields left out take their defaults).
#[utoipa::path(put, path = "/v1/console/settings/orders", tag = "console",
    request_body = OrderSettings,
    responses((status = 200, body = OrderSettings), (status = 422, body = Problem)))]
pub async fn set_order_settings(
    State(platform): State<Platform>,
    staff: StaffUser,
    JsonBody(settings): JsonBody<OrderSettings>,
) -> Result<Json<OrderSettings>, Problem> {
    staff.require(Permission::SettingsManage)?;
    let stamp = staff.stamp(&platform, None, "settings.orders_changed", "")?;
    let settings = platform
        .orders()
        .set_settings(&staff.session.tenant, settings, &stamp)
        .await?;
    Ok(Json(settings))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NumbersInput {
    pub area: String,
    pub tier: String,
    /// Up to 100 numbers in E.164.
    pub numbers: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NumbersAdded {
    /// The numbers added; those already held or already services are left out.
    pub added: Vec<String>,
}

/// Add numbers to the provider's inventory (adding them again is harmless).
#[utoipa::path(post, path = "/v1/console/numbers", tag = "console", request_body = NumbersInput,
    responses((status = 200, body = NumbersAdded), (status = 422, body = Problem)))]
pub async fn add_numbers(
    State(platform): State<Platform>,
    staff: StaffUser,
    JsonBody(input): JsonBody<NumbersInput>,
) -> Result<Json<NumbersAdded>, Problem> {
    staff.require(Permission::ProvisioningManage)?;
    let added = platform
        .orders()
        .numbers()
        .add(
            &staff.session.tenant,
            &input.area,
            &input.tier,
            &input.numbers,
        )
        .await?;
    Ok(Json(NumbersAdded { added }))
}

/// The provider's available numbers in an area.
#[utoipa::path(get, path = "/v1/console/numbers", tag = "console", params(NumberSearch),
    responses((status = 200, body = PageOf<NumberView>), (status = 403, body = Problem)))]
pub async fn console_numbers(
    State(platform): State<Platform>,
    staff: StaffUser,
    QueryParams(search): QueryParams<NumberSearch>,
) -> Result<Json<PageOf<NumberView>>, Problem> {
    staff.require(Permission::ProvisioningManage)?;
    let page = available_numbers(&platform, &staff.session.tenant, &search).await?;
    Ok(Json(PageOf::from(page)))
}

/// Leaves out the orders of accounts a group-limited staff member does not see (and,
/// for them, every retailer's order in a wholesaler's queue).
async fn visible_orders(
    platform: &Platform,
    staff: &StaffUser,
    orders: Vec<Order>,
) -> Result<Vec<OrderView>, Problem> {
    let mut views = visible_to_staff(platform, staff, orders).await?;
    name_retailers(platform, staff, &mut views).await;
    Ok(views)
}

/// Names the retailer of each order a wholesaler sees in its queue.
async fn name_retailers(platform: &Platform, staff: &StaffUser, views: &mut [OrderView]) {
    let own = staff.session.tenant.to_string();
    let mut names: BTreeMap<String, Option<String>> = BTreeMap::new();
    for view in views.iter_mut().filter(|v| v.provider != own) {
        if !names.contains_key(&view.provider) {
            let name = match view.provider.parse() {
                Ok(id) => platform.tenants().get(&id).await.ok().map(|t| t.name),
                Err(_) => None,
            };
            names.insert(view.provider.clone(), name);
        }
        view.provider_name = names.get(&view.provider).cloned().flatten();
    }
}

async fn visible_to_staff(
    platform: &Platform,
    staff: &StaffUser,
    orders: Vec<Order>,
) -> Result<Vec<OrderView>, Problem> {
    if !matches!(
        staff.session.principal,
        Principal::Staff {
            groups: Some(_),
            ..
        }
    ) {
        return Ok(orders
            .into_iter()
            .map(|o| OrderView::console(o, &staff.session.language))
            .collect());
    }
    let own = staff.session.tenant.to_string();
    let mut groups: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut out = Vec::new();
    for order in orders {
        if order.tenant != own {
            continue;
        }
        if !groups.contains_key(&order.account) {
            let group = match order.account.parse::<AccountId>() {
                Ok(id) => platform
                    .accounts()
                    .get(&staff.session.tenant, &id)
                    .await
                    .ok()
                    .and_then(|a| a.group),
                Err(_) => None,
            };
            groups.insert(order.account.clone(), group);
        }
        let group = groups.get(&order.account).cloned().flatten();
        if staff.session.principal.sees_group(group.as_deref()) {
            out.push(OrderView::console(order, &staff.session.language));
        }
    }
    Ok(out)
}

/// Orders waiting for approval, oldest first.
#[utoipa::path(get, path = "/v1/console/orders/pending", tag = "console", params(Paging),
    responses((status = 200, body = PageOf<OrderView>), (status = 403, body = Problem)))]
pub async fn pending_orders(
    State(platform): State<Platform>,
    staff: StaffUser,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<PageOf<OrderView>>, Problem> {
    staff.require(Permission::OrdersApprove)?;
    let page = platform
        .orders()
        .pending(&staff.session.tenant, &paging.request())
        .await?;
    Ok(Json(PageOf {
        items: visible_orders(&platform, &staff, page.items).await?,
        next_cursor: page.next_cursor,
    }))
}

/// Approved and rejected orders, most recently decided first; narrowed by state and the
/// provider's days they were placed (a narrowed page can be short and carry a cursor).
#[utoipa::path(get, path = "/v1/console/orders/history", tag = "console", params(OrderQuery),
    responses((status = 200, body = PageOf<OrderView>), (status = 403, body = Problem),
        (status = 400, body = Problem), (status = 422, body = Problem)))]
pub async fn order_history(
    State(platform): State<Platform>,
    staff: StaffUser,
    QueryParams(q): QueryParams<OrderQuery>,
) -> Result<Json<PageOf<OrderView>>, Problem> {
    staff.require(Permission::OrdersApprove)?;
    let (filter, page) = q.read(&platform, &staff.session.tenant).await?;
    let page = platform
        .orders()
        .decided(&staff.session.tenant, &page, &filter)
        .await?;
    Ok(Json(PageOf {
        items: visible_orders(&platform, &staff, page.items).await?,
        next_cursor: page.next_cursor,
    }))
}

/// An account's orders, newest first; narrowed by state and the provider's days they were
/// placed.
#[utoipa::path(get, path = "/v1/console/accounts/{account}/orders", tag = "console",
    params(("account" = String, Path), OrderQuery),
    responses((status = 200, body = PageOf<OrderView>), (status = 404, body = Problem),
        (status = 400, body = Problem), (status = 422, body = Problem)))]
pub async fn account_orders(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
    QueryParams(q): QueryParams<OrderQuery>,
) -> Result<Json<PageOf<OrderView>>, Problem> {
    staff.require(Permission::AccountsRead)?;
    let account = visible_account(&platform, &staff, &account).await?;
    let (filter, page) = q.read(&platform, &staff.session.tenant).await?;
    let page = platform
        .orders()
        .of_account_where(&staff.session.tenant, &account.id, &page, &filter)
        .await?;
    Ok(Json(PageOf {
        items: page
            .items
            .into_iter()
            .map(|o| OrderView::console(o, &staff.session.language))
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

async fn account_order_ref(
    platform: &Platform,
    staff: &StaffUser,
    account: &str,
    order: &str,
) -> Result<OrderRef, Problem> {
    let account = visible_account(platform, staff, account).await?;
    Ok(OrderRef {
        tenant: staff.session.tenant,
        account: account.id,
        order: parse_id(order)?,
    })
}

/// The audit entry of a decision on the order at `r`, naming what was asked (and why,
/// for a refusal). A wholesaler acting on a retailer's order keeps it on its own trail,
/// naming the retailer, since the account is not one of its own.
async fn decision_stamp(
    platform: &Platform,
    staff: &StaffUser,
    r: &OrderRef,
    action: &str,
    reason: Option<&str>,
) -> Result<Stamp, Problem> {
    let order = platform.orders().get(r).await?;
    let mut detail = format!("{} ({})", order.summary, order.id);
    if let Some(reason) = reason {
        detail.push_str(": ");
        detail.push_str(reason);
    }
    let account = if r.tenant == staff.session.tenant {
        Some(r.account)
    } else {
        detail = format!("retailer {}, account {}: {detail}", r.tenant, r.account);
        None
    };
    staff.stamp(platform, account, action, &detail)
}

/// One order of an account, with its history.
#[utoipa::path(get, path = "/v1/console/accounts/{account}/orders/{order}", tag = "console",
    params(("account" = String, Path), ("order" = String, Path)),
    responses((status = 200, body = OrderView), (status = 404, body = Problem)))]
pub async fn account_order(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path((account, order)): Path<(String, String)>,
) -> Result<Json<OrderView>, Problem> {
    staff.require(Permission::AccountsRead)?;
    let r = account_order_ref(&platform, &staff, &account, &order).await?;
    let order = platform.orders().get(&r).await?;
    Ok(Json(OrderView::console(order, &staff.session.language)))
}

/// Approve a pending order: it is applied at once, or joins the provisioning queue
/// when it needs hands. Of two staff acting at once, one succeeds; the other gets 409.
#[utoipa::path(post, path = "/v1/console/accounts/{account}/orders/{order}/approve",
    tag = "console", params(("account" = String, Path), ("order" = String, Path)),
    responses((status = 200, body = OrderView), (status = 409, body = Problem)))]
pub async fn approve_order(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path((account, order)): Path<(String, String)>,
) -> Result<Json<OrderView>, Problem> {
    staff.require(Permission::OrdersApprove)?;
    let r = account_order_ref(&platform, &staff, &account, &order).await?;
    let stamp = decision_stamp(&platform, &staff, &r, "order.approved", None).await?;
    let order = platform
        .orders()
        .approve(&r, &staff_actor(&staff, false), &stamp)
        .await?;
    Ok(Json(OrderView::console(order, &staff.session.language)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonInput {
    /// What the customer is told (1 to 500 characters).
    pub reason: String,
}

/// Reject a pending order, saying why.
#[utoipa::path(post, path = "/v1/console/accounts/{account}/orders/{order}/reject",
    tag = "console", params(("account" = String, Path), ("order" = String, Path)),
    request_body = ReasonInput,
    responses((status = 200, body = OrderView), (status = 409, body = Problem)))]
pub async fn reject_order(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path((account, order)): Path<(String, String)>,
    JsonBody(input): JsonBody<ReasonInput>,
) -> Result<Json<OrderView>, Problem> {
    staff.require(Permission::OrdersApprove)?;
    let r = account_order_ref(&platform, &staff, &account, &order).await?;
    let stamp = decision_stamp(
        &platform,
        &staff,
        &r,
        "order.rejected",
        Some(input.reason.trim()),
    )
    .await?;
    let order = platform
        .orders()
        .reject(&r, &staff_actor(&staff, false), &input.reason, &stamp)
        .await?;
    Ok(Json(OrderView::console(order, &staff.session.language)))
}

/// Undo a rejection: the order waits for approval again.
#[utoipa::path(post, path = "/v1/console/accounts/{account}/orders/{order}/undo-rejection",
    tag = "console", params(("account" = String, Path), ("order" = String, Path)),
    responses((status = 200, body = OrderView), (status = 409, body = Problem)))]
pub async fn undo_rejection(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path((account, order)): Path<(String, String)>,
) -> Result<Json<OrderView>, Problem> {
    staff.require(Permission::OrdersApprove)?;
    let r = account_order_ref(&platform, &staff, &account, &order).await?;
    let stamp = decision_stamp(&platform, &staff, &r, "order.rejection_undone", None).await?;
    let order = platform
        .orders()
        .undo_rejection(&r, &staff_actor(&staff, false), &stamp)
        .await?;
    Ok(Json(OrderView::console(order, &staff.session.language)))
}

/// The orders this provider fulfils by hand: its own and, for a wholesaler, those its
/// retailers' customers placed; oldest first, halted ones included.
#[utoipa::path(get, path = "/v1/console/provisioning", tag = "console", params(Paging),
    responses((status = 200, body = PageOf<OrderView>), (status = 403, body = Problem)))]
pub async fn provisioning_queue(
    State(platform): State<Platform>,
    staff: StaffUser,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<PageOf<OrderView>>, Problem> {
    staff.require(Permission::ProvisioningManage)?;
    let page = platform
        .orders()
        .queue(&staff.session.tenant, &paging.request())
        .await?;
    Ok(Json(PageOf {
        items: visible_orders(&platform, &staff, page.items).await?,
        next_cursor: page.next_cursor,
    }))
}

/// The order at `provider/account/order` of this staff member's queue.
async fn queued_order(
    platform: &Platform,
    staff: &StaffUser,
    path: &(String, String, String),
) -> Result<(OrderRef, Order), Problem> {
    staff.require(Permission::ProvisioningManage)?;
    let (provider, account, order) = path;
    let r = OrderRef {
        tenant: parse_id(provider)?,
        account: parse_id(account)?,
        order: parse_id(order)?,
    };
    if r.tenant != staff.session.tenant {
        // A wholesaler reaches a retailer's order only if the retailer is its own: then,
        // and only then, the request may touch that retailer's items (the second wall).
        let retailer = match platform.tenants().get(&r.tenant).await {
            Ok(retailer) => retailer,
            Err(crate::domain::tenancy::TenantError::Storage(e)) => {
                return Err(Problem::storage(&e));
            }
            Err(_) => return Err(Problem::not_found()),
        };
        if retailer.wholesaler != Some(staff.session.tenant) {
            return Err(Problem::not_found());
        }
        // The order lives under the retailer's account; its mail goes from the retailer's
        // outbox and follows the retailer's settings; activating it makes the service (its
        // number claimed in the retailer's identifiers) on the retailer's plans and
        // bolt-ons, so billing starts.
        let retailer = crate::store::keys::tenant(&r.tenant);
        crate::store::scope::reach(crate::store::keys::account(&r.tenant, &r.account));
        crate::store::scope::reach(format!("{retailer}#OUTBOX"));
        crate::store::scope::reach(format!("{retailer}#SERVICE_IDENTIFIER"));
        crate::store::scope::reach_read(retailer.clone(), "SETTINGS#");
        crate::store::scope::reach_read(format!("{retailer}#PLAN"), "");
        crate::store::scope::reach_read(format!("{retailer}#BOLT_ON"), "");
    }
    let order = platform.orders().queued(&staff.session.tenant, &r).await?;
    let visible = visible_to_staff(platform, staff, vec![order.clone()]).await?;
    if visible.is_empty() {
        return Err(Problem::not_found());
    }
    Ok((r, order))
}

/// An order of the provisioning queue.
#[utoipa::path(get, path = "/v1/console/provisioning/{provider}/{account}/{order}",
    tag = "console",
    params(("provider" = String, Path), ("account" = String, Path), ("order" = String, Path)),
    responses((status = 200, body = OrderView), (status = 404, body = Problem)))]
pub async fn queued(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(path): Path<(String, String, String)>,
) -> Result<Json<OrderView>, Problem> {
    let (_, order) = queued_order(&platform, &staff, &path).await?;
    let mut views = [OrderView::console(order, &staff.session.language)];
    name_retailers(&platform, &staff, &mut views).await;
    let [view] = views;
    Ok(Json(view))
}

/// Record provisioning progress: the carrier's reference, the expected date, a note.
#[utoipa::path(patch, path = "/v1/console/provisioning/{provider}/{account}/{order}",
    tag = "console",
    params(("provider" = String, Path), ("account" = String, Path), ("order" = String, Path)),
    request_body = ProvisioningDetails,
    responses((status = 200, body = OrderView), (status = 409, body = Problem)))]
pub async fn update_queued(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(path): Path<(String, String, String)>,
    JsonBody(details): JsonBody<ProvisioningDetails>,
) -> Result<Json<OrderView>, Problem> {
    let (r, _) = queued_order(&platform, &staff, &path).await?;
    let stamp = decision_stamp(&platform, &staff, &r, "order.details_updated", None).await?;
    let order = platform
        .orders()
        .update_details(
            &staff.session.tenant,
            &r,
            &staff_actor(&staff, r.tenant != staff.session.tenant),
            &details,
            &stamp,
        )
        .await?;
    Ok(Json(OrderView::console(order, &staff.session.language)))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivationInput {
    /// The new service's identifier (its circuit id, ...): required for a new service;
    /// a port uses its number.
    #[serde(default)]
    pub identifier: Option<String>,
}

/// Activate: the service is live and billing starts now.
#[utoipa::path(post, path = "/v1/console/provisioning/{provider}/{account}/{order}/activate",
    tag = "console",
    params(("provider" = String, Path), ("account" = String, Path), ("order" = String, Path)),
    request_body = ActivationInput,
    responses((status = 200, body = OrderView), (status = 409, body = Problem)))]
pub async fn activate_order(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(path): Path<(String, String, String)>,
    JsonBody(input): JsonBody<ActivationInput>,
) -> Result<Json<OrderView>, Problem> {
    let (r, _) = queued_order(&platform, &staff, &path).await?;
    let stamp = decision_stamp(&platform, &staff, &r, "order.activated", None).await?;
    let order = platform
        .orders()
        .activate(
            &staff.session.tenant,
            &r,
            &staff_actor(&staff, r.tenant != staff.session.tenant),
            &Activation {
                identifier: input.identifier,
            },
            &stamp,
        )
        .await?;
    Ok(Json(OrderView::console(order, &staff.session.language)))
}

/// Halt provisioning, telling the customer what must change; they may resubmit.
#[utoipa::path(post, path = "/v1/console/provisioning/{provider}/{account}/{order}/halt",
    tag = "console",
    params(("provider" = String, Path), ("account" = String, Path), ("order" = String, Path)),
    request_body = ReasonInput,
    responses((status = 200, body = OrderView), (status = 409, body = Problem)))]
pub async fn halt_order(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(path): Path<(String, String, String)>,
    JsonBody(input): JsonBody<ReasonInput>,
) -> Result<Json<OrderView>, Problem> {
    let (r, _) = queued_order(&platform, &staff, &path).await?;
    let stamp = decision_stamp(
        &platform,
        &staff,
        &r,
        "order.halted",
        Some(input.reason.trim()),
    )
    .await?;
    let order = platform
        .orders()
        .halt(
            &staff.session.tenant,
            &r,
            &staff_actor(&staff, r.tenant != staff.session.tenant),
            &input.reason,
            &stamp,
        )
        .await?;
    Ok(Json(OrderView::console(order, &staff.session.language)))
}

pub fn routes() -> OpenApiRouter<Platform> {
    OpenApiRouter::new()
        .routes(routes!(order_settings, set_order_settings))
        .routes(routes!(add_numbers, console_numbers))
        .routes(routes!(pending_orders))
        .routes(routes!(order_history))
        .routes(routes!(account_orders))
        .routes(routes!(account_order))
        .routes(routes!(approve_order))
        .routes(routes!(reject_order))
        .routes(routes!(undo_rejection))
        .routes(routes!(provisioning_queue))
        .routes(routes!(queued, update_queued))
        .routes(routes!(activate_order))
        .routes(routes!(halt_order))
}
