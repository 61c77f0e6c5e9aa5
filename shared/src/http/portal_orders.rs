//! Ordering over HTTP, for customers (the `api-orders` function): what the provider
//! offers, numbers to choose from, placing an order, and its history. The account is the
//! session's; another account's order finds nothing.

use super::order_views::{NumberSearch, NumberView, OrderQuery, OrderView, available_numbers};
use std::collections::BTreeSet;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::access::PortalUser;
use super::access::portal_account;
use super::access::{PortalAction, require};
use super::problem::{JsonBody, Problem, QueryParams, parse_id};
use super::views::PageOf;
use crate::domain::orders::settings::{AutoApproval, Feature};
use crate::domain::orders::{OrderError, OrderRef, OrderRequest, Requester};
use crate::domain::settings::Module;
use crate::ids::{AccountId, OrderId};
use crate::platform::Platform;
use crate::store::Stamp;

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
    /// The countries whose numbers take an emergency address (a service's `country`).
    pub emergency_address_countries: BTreeSet<String>,
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
                .settings()
                .get(&user.session.tenant)
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
        emergency_address_countries: settings.emergency_address_countries,
        auto_approve: settings.auto_approve,
    }))
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
    let stamp = user.stamp(&platform, "POST /v1/portal/orders")?;
    let order = platform
        .orders()
        .submit(&requester(&user, account, &stamp), input.request, key)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(OrderView::portal(order, &user.session.language)),
    ))
}

fn requester<'a>(user: &'a PortalUser, account: AccountId, stamp: &'a Stamp) -> Requester<'a> {
    Requester {
        stamp,
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

/// The account's orders, newest first; narrowed by state and the provider's days they
/// were placed (a narrowed page can be short and carry a cursor).
#[utoipa::path(get, path = "/v1/portal/orders", tag = "portal", params(OrderQuery),
    responses((status = 200, body = PageOf<OrderView>), (status = 404, body = Problem),
        (status = 400, body = Problem), (status = 422, body = Problem)))]
pub async fn portal_orders(
    State(platform): State<Platform>,
    user: PortalUser,
    QueryParams(q): QueryParams<OrderQuery>,
) -> Result<Json<PageOf<OrderView>>, Problem> {
    let account = portal_account(&platform, &user, Module::Orders).await?;
    let (filter, page) = q.read(&platform, &user.session.tenant).await?;
    let page = platform
        .orders()
        .of_account_where(&user.session.tenant, &account, &page, &filter)
        .await?;
    Ok(Json(PageOf {
        items: page
            .items
            .into_iter()
            .map(|o| OrderView::portal(o, &user.session.language))
            .collect(),
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
    Ok(Json(OrderView::portal(order, &user.session.language)))
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
    let stamp = user.stamp(&platform, &format!("POST /v1/portal/orders/{id}/resubmit"))?;
    let order = platform
        .orders()
        .resubmit(&requester(&user, account, &stamp), &id, input.request)
        .await?;
    Ok(Json(OrderView::portal(order, &user.session.language)))
}

/// Take back an order still waiting for approval (a number it reserved is released; the
/// same request may be placed again). Withdrawing it again, or once decided, is 409.
#[utoipa::path(post, path = "/v1/portal/orders/{order}/withdraw", tag = "portal",
    params(("order" = String, Path)),
    responses((status = 200, body = OrderView), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn withdraw_order(
    State(platform): State<Platform>,
    user: PortalUser,
    Path(order): Path<String>,
) -> Result<Json<OrderView>, Problem> {
    portal_account(&platform, &user, Module::Orders).await?;
    let account = require(&user.session, PortalAction::OrdersCreate)?;
    let id: OrderId = parse_id(&order)?;
    let stamp = user.stamp(&platform, &format!("POST /v1/portal/orders/{id}/withdraw"))?;
    let order = platform
        .orders()
        .withdraw(&requester(&user, account, &stamp), &id)
        .await?;
    Ok(Json(OrderView::portal(order, &user.session.language)))
}

pub fn routes() -> OpenApiRouter<Platform> {
    OpenApiRouter::new()
        .routes(routes!(portal_order_settings))
        .routes(routes!(portal_numbers))
        .routes(routes!(place_order, portal_orders))
        .routes(routes!(portal_order))
        .routes(routes!(resubmit_order))
        .routes(routes!(withdraw_order))
}
