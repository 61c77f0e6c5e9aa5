//! Orders over HTTP: the portal's ordering (the `api-orders` function) and the console's
//! approvals, order settings, number inventory and manual-provisioning queue (the
//! `api-console-orders` function).
//!
//! The portal takes the account from the session. The console finds an order through its
//! account, within the staff member's tenant and groups, for approvals; through the
//! fulfiller (the caller's tenant) for the provisioning queue, where a wholesaler reaches
//! its retailers' orders and nothing else.

use std::collections::{BTreeMap, BTreeSet};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::access::{PortalUser, StaffUser};
use super::console_accounts::visible_account;
use super::portal::{PortalAction, require};
use super::problem::{JsonBody, Problem, QueryParams, parse_id};
use super::services::portal_account;
use super::views::{PageOf, Paging};
use crate::domain::identity::{Module, Permission, Principal};
use crate::domain::orders::lifecycle::OrderState;
use crate::domain::orders::numbers::InventoryNumber;
use crate::domain::orders::settings::{AutoApproval, Feature, OrderSettings};
use crate::domain::orders::{
    Activation, Actor, ActorKind, Order, OrderError, OrderEvent, OrderRef, OrderRequest,
    ProvisioningDetails, Requester,
};
use crate::domain::paging::Page;
use crate::ids::{AccountId, OrderId, TenantId};
use crate::platform::Platform;

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderAccountView {
    pub id: String,
    pub number: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    pub id: String,
    /// The provider the account belongs to (a wholesaler's queue holds its retailers').
    pub provider: String,
    pub account: OrderAccountView,
    pub request: OrderRequest,
    pub summary: String,
    pub state: OrderState,
    /// Fulfilled by hand once approved.
    pub needs_hands: bool,
    /// Provisioned by the provider's wholesaler.
    pub wholesale: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub submitted_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub completed_at: Option<OffsetDateTime>,
    /// Why it was rejected or halted.
    pub reason: Option<String>,
    pub provisioning: ProvisioningDetails,
    /// The service it changed or created, once completed.
    pub service: Option<String>,
    pub events: Vec<OrderEvent>,
    pub version: u64,
}

impl OrderView {
    fn console(order: Order) -> Self {
        OrderView {
            wholesale: order
                .fulfiller
                .as_deref()
                .is_some_and(|f| f != order.tenant),
            id: order.id,
            provider: order.tenant,
            account: OrderAccountView {
                id: order.account,
                number: order.account_number,
                name: order.account_name,
            },
            request: order.request,
            summary: order.summary,
            state: order.state,
            needs_hands: order.needs_hands,
            submitted_at: order.submitted_at,
            decided_at: order.decided_at,
            completed_at: order.completed_at,
            reason: order.reason,
            provisioning: order.provisioning,
            service: order.service,
            events: order.events,
            version: order.version,
        }
    }

    /// The customer's view: staff are named by role, not by login, and the provider's
    /// internal notes stay out.
    fn portal(order: Order) -> Self {
        let mut view = OrderView::console(order);
        view.provisioning.note = None;
        for event in &mut view.events {
            if event.actor.kind != ActorKind::Customer {
                event.actor.login = None;
                event.actor.username = None;
            }
        }
        view
    }
}

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

// ---- Portal ----

/// The modules an order's kind needs beyond orders.
fn module_of(request: &OrderRequest) -> Option<Module> {
    match request {
        OrderRequest::Number { .. } | OrderRequest::PortIn { .. } => Some(Module::NumberOrdering),
        OrderRequest::EmergencyAddress { .. } => Some(Module::E911),
        _ => None,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PortalOrderSettings {
    /// The kinds of order this login may place now (none without "allow order requests").
    pub kinds: BTreeSet<String>,
    pub orderable_tiers: BTreeSet<String>,
    pub editable_features: BTreeSet<Feature>,
    /// What is approved without waiting for the provider.
    pub auto_approve: AutoApproval,
}

/// What this login may order, for a site to offer only that.
#[utoipa::path(get, path = "/v1/portal/orders/settings", tag = "portal",
    responses((status = 200, body = PortalOrderSettings), (status = 404, body = Problem)))]
pub async fn portal_order_settings(
    State(platform): State<Platform>,
    user: PortalUser,
) -> Result<Json<PortalOrderSettings>, Problem> {
    portal_account(&platform, &user, Module::Orders).await?;
    let (access, settings) = tokio::try_join!(
        async {
            platform
                .identity()
                .settings(&user.session.tenant)
                .await
                .map_err(Problem::from)
        },
        async {
            platform
                .orders()
                .settings(&user.session.tenant)
                .await
                .map_err(Problem::from)
        },
    )?;
    let mut kinds = BTreeSet::new();
    if require(&user.session, PortalAction::OrdersCreate).is_ok() {
        let numbers = access.modules.contains(&Module::NumberOrdering);
        for (kind, offered) in [
            ("subscribe_bolt_on", true),
            ("cancel_bolt_on", true),
            ("number_features", !settings.editable_features.is_empty()),
            ("number", numbers && settings.number_ordering),
            ("port_in", numbers && settings.port_ins),
            (
                "emergency_address",
                access.modules.contains(&Module::E911) && settings.emergency_addresses,
            ),
            ("new_service", settings.new_services),
        ] {
            if offered {
                kinds.insert(kind.to_owned());
            }
        }
    }
    Ok(Json(PortalOrderSettings {
        kinds,
        orderable_tiers: settings.orderable_tiers,
        editable_features: settings.editable_features,
        auto_approve: settings.auto_approve,
    }))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NumberSearch {
    /// The area (code) to search.
    pub area: String,
    /// One tier only.
    pub tier: Option<String>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NumberView {
    pub number: String,
    pub area: String,
    pub tier: String,
}

impl From<InventoryNumber> for NumberView {
    fn from(n: InventoryNumber) -> Self {
        NumberView {
            number: n.number,
            area: n.area,
            tier: n.tier,
        }
    }
}

async fn available_numbers(
    platform: &Platform,
    tenant: &TenantId,
    search: &NumberSearch,
) -> Result<Page<InventoryNumber>, Problem> {
    let paging = Paging {
        limit: search.limit,
        cursor: search.cursor.clone(),
    };
    platform
        .orders()
        .numbers()
        .available(
            tenant,
            &search.area,
            search.tier.as_deref(),
            &paging.request(),
        )
        .await
        .map_err(Problem::from)
}

/// The provider's numbers a customer may order, in an area (only the tiers it offers).
#[utoipa::path(get, path = "/v1/portal/numbers", tag = "portal", params(NumberSearch),
    responses((status = 200, body = PageOf<NumberView>), (status = 403, body = Problem)))]
pub async fn portal_numbers(
    State(platform): State<Platform>,
    user: PortalUser,
    QueryParams(search): QueryParams<NumberSearch>,
) -> Result<Json<PageOf<NumberView>>, Problem> {
    portal_account(&platform, &user, Module::NumberOrdering).await?;
    let settings = platform.orders().settings(&user.session.tenant).await?;
    if !settings.number_ordering {
        return Err(Problem::from(OrderError::NotOffered(
            "Your provider does not take orders for numbers here.".into(),
        )));
    }
    if let Some(tier) = &search.tier
        && !settings.orderable_tiers.contains(tier)
    {
        return Ok(Json(PageOf {
            items: Vec::new(),
            next_cursor: None,
        }));
    }
    let mut page = available_numbers(&platform, &user.session.tenant, &search).await?;
    page.items
        .retain(|n| settings.orderable_tiers.contains(&n.tier));
    Ok(Json(PageOf::from(page)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderInput {
    pub request: OrderRequest,
}

/// Place an order. It is approved at once when the provider's settings say so (the
/// answer then shows it completed); otherwise it waits for the provider. Send an
/// `Idempotency-Key` header to retry safely.
#[utoipa::path(post, path = "/v1/portal/orders", tag = "portal", request_body = OrderInput,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = OrderView), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn place_order(
    State(platform): State<Platform>,
    user: PortalUser,
    headers: HeaderMap,
    JsonBody(input): JsonBody<OrderInput>,
) -> Result<(StatusCode, Json<OrderView>), Problem> {
    portal_account(&platform, &user, Module::Orders).await?;
    if let Some(module) = module_of(&input.request) {
        portal_account(&platform, &user, module).await?;
    }
    let account = require(&user.session, PortalAction::OrdersCreate)?;
    let key = headers.get("idempotency-key").and_then(|h| h.to_str().ok());
    let order = platform
        .orders()
        .submit(&requester(&user, account), input.request, key)
        .await?;
    Ok((StatusCode::CREATED, Json(OrderView::portal(order))))
}

fn requester(user: &PortalUser, account: AccountId) -> Requester<'_> {
    Requester {
        tenant: user.session.tenant,
        account,
        login: user.session.login,
        username: &user.session.username,
        language: &user.session.language,
        impersonator: user
            .session
            .impersonator
            .as_ref()
            .map(|i| i.username.as_str()),
    }
}

/// The account's orders, newest first.
#[utoipa::path(get, path = "/v1/portal/orders", tag = "portal", params(Paging),
    responses((status = 200, body = PageOf<OrderView>), (status = 404, body = Problem)))]
pub async fn portal_orders(
    State(platform): State<Platform>,
    user: PortalUser,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<PageOf<OrderView>>, Problem> {
    let account = portal_account(&platform, &user, Module::Orders).await?;
    let page = platform
        .orders()
        .of_account(&user.session.tenant, &account, &paging.request())
        .await?;
    Ok(Json(PageOf {
        items: page.items.into_iter().map(OrderView::portal).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One of the account's orders, with its history.
#[utoipa::path(get, path = "/v1/portal/orders/{order}", tag = "portal",
    params(("order" = String, Path)),
    responses((status = 200, body = OrderView), (status = 404, body = Problem)))]
pub async fn portal_order(
    State(platform): State<Platform>,
    user: PortalUser,
    Path(order): Path<String>,
) -> Result<Json<OrderView>, Problem> {
    let account = portal_account(&platform, &user, Module::Orders).await?;
    let r = OrderRef {
        tenant: user.session.tenant,
        account,
        order: parse_id(&order)?,
    };
    let order = platform.orders().get(&r).await?;
    Ok(Json(OrderView::portal(order)))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResubmitInput {
    /// The order as it should now be (same kind); as it was when left out.
    #[serde(default)]
    pub request: Option<OrderRequest>,
}

/// Send a halted order back to provisioning, changed as the reason asked or as it was.
#[utoipa::path(post, path = "/v1/portal/orders/{order}/resubmit", tag = "portal",
    params(("order" = String, Path)), request_body = ResubmitInput,
    responses((status = 200, body = OrderView), (status = 409, body = Problem)))]
pub async fn resubmit_order(
    State(platform): State<Platform>,
    user: PortalUser,
    Path(order): Path<String>,
    JsonBody(input): JsonBody<ResubmitInput>,
) -> Result<Json<OrderView>, Problem> {
    portal_account(&platform, &user, Module::Orders).await?;
    let account = require(&user.session, PortalAction::OrdersCreate)?;
    let id: OrderId = parse_id(&order)?;
    let order = platform
        .orders()
        .resubmit(&requester(&user, account), &id, input.request)
        .await?;
    Ok(Json(OrderView::portal(order)))
}

pub fn portal_router() -> OpenApiRouter<Platform> {
    OpenApiRouter::new()
        .routes(routes!(portal_order_settings))
        .routes(routes!(portal_numbers))
        .routes(routes!(place_order, portal_orders))
        .routes(routes!(portal_order))
        .routes(routes!(resubmit_order))
}

// ---- Console ----

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
    let settings = platform
        .orders()
        .set_settings(&staff.session.tenant, settings)
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
    if !matches!(
        staff.session.principal,
        Principal::Staff {
            groups: Some(_),
            ..
        }
    ) {
        return Ok(orders.into_iter().map(OrderView::console).collect());
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
            out.push(OrderView::console(order));
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

/// Approved and rejected orders, most recently decided first.
#[utoipa::path(get, path = "/v1/console/orders/history", tag = "console", params(Paging),
    responses((status = 200, body = PageOf<OrderView>), (status = 403, body = Problem)))]
pub async fn order_history(
    State(platform): State<Platform>,
    staff: StaffUser,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<PageOf<OrderView>>, Problem> {
    staff.require(Permission::OrdersApprove)?;
    let page = platform
        .orders()
        .decided(&staff.session.tenant, &paging.request())
        .await?;
    Ok(Json(PageOf {
        items: visible_orders(&platform, &staff, page.items).await?,
        next_cursor: page.next_cursor,
    }))
}

/// An account's orders, newest first.
#[utoipa::path(get, path = "/v1/console/accounts/{account}/orders", tag = "console",
    params(("account" = String, Path), Paging),
    responses((status = 200, body = PageOf<OrderView>), (status = 404, body = Problem)))]
pub async fn account_orders(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<PageOf<OrderView>>, Problem> {
    staff.require(Permission::AccountsRead)?;
    let account = visible_account(&platform, &staff, &account).await?;
    let page = platform
        .orders()
        .of_account(&staff.session.tenant, &account.id, &paging.request())
        .await?;
    Ok(Json(PageOf {
        items: page.items.into_iter().map(OrderView::console).collect(),
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
    Ok(Json(OrderView::console(order)))
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
    let order = platform
        .orders()
        .approve(&r, &staff_actor(&staff, false))
        .await?;
    Ok(Json(OrderView::console(order)))
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
    let order = platform
        .orders()
        .reject(&r, &staff_actor(&staff, false), &input.reason)
        .await?;
    Ok(Json(OrderView::console(order)))
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
    let order = platform
        .orders()
        .undo_rejection(&r, &staff_actor(&staff, false))
        .await?;
    Ok(Json(OrderView::console(order)))
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
    let order = platform.orders().queued(&staff.session.tenant, &r).await?;
    let visible = visible_orders(platform, staff, vec![order.clone()]).await?;
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
    Ok(Json(OrderView::console(order)))
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
    let order = platform
        .orders()
        .update_details(
            &staff.session.tenant,
            &r,
            &staff_actor(&staff, r.tenant != staff.session.tenant),
            &details,
        )
        .await?;
    Ok(Json(OrderView::console(order)))
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
    let order = platform
        .orders()
        .activate(
            &staff.session.tenant,
            &r,
            &staff_actor(&staff, r.tenant != staff.session.tenant),
            &Activation {
                identifier: input.identifier,
            },
        )
        .await?;
    Ok(Json(OrderView::console(order)))
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
    let order = platform
        .orders()
        .halt(
            &staff.session.tenant,
            &r,
            &staff_actor(&staff, r.tenant != staff.session.tenant),
            &input.reason,
        )
        .await?;
    Ok(Json(OrderView::console(order)))
}

pub fn console_router() -> OpenApiRouter<Platform> {
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
