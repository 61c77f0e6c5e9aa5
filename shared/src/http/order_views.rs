//! What orders and numbers look like over HTTP, to customers and to staff alike.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::problem::Problem;
use super::views::Paging;
use crate::domain::catalogue::MonthlyPrice;
use crate::domain::orders::lifecycle::OrderState;
use crate::domain::orders::numbers::InventoryNumber;
use crate::domain::orders::{
    ActorKind, Order, OrderEvent, OrderFilter, OrderRequest, ProvisioningDetails,
};
use crate::domain::paging::{Page, PageRequest};
use crate::ids::TenantId;
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
    /// For people: in mail, on the phone (`O-A7XK2M9QZ4`).
    pub reference: String,
    /// The provider the account belongs to (a wholesaler's queue holds its retailers').
    pub provider: String,
    /// That provider's name, in a wholesaler's queue where it is a retailer (account
    /// numbers repeat across retailers).
    pub provider_name: Option<String>,
    pub account: OrderAccountView,
    pub request: OrderRequest,
    /// What it asks, in the reader's language.
    pub summary: String,
    pub state: OrderState,
    /// Fulfilled by hand once approved.
    pub needs_hands: bool,
    /// What it adds to the bill each month, as priced when it was placed.
    pub price: Option<MonthlyPrice>,
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
    /// Staff's view, its summary in `language` (the reader's).
    pub fn console(order: Order, language: &str) -> Self {
        OrderView {
            summary: order.summary_in(language),
            wholesale: order
                .fulfiller
                .as_deref()
                .is_some_and(|f| f != order.tenant),
            reference: order.reference(),
            id: order.id,
            provider: order.tenant,
            provider_name: None,
            account: OrderAccountView {
                id: order.account,
                number: order.account_number,
                name: order.account_name,
            },
            request: order.request,
            state: order.state,
            needs_hands: order.needs_hands,
            price: order.price,
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
    pub fn portal(order: Order, language: &str) -> Self {
        let mut view = OrderView::console(order, language);
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

/// A list of orders narrowed by state and the provider's days they were placed, paged.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrderQuery {
    /// One state only.
    pub state: Option<OrderState>,
    /// Placed on or after this day (the provider's calendar).
    #[param(format = Date)]
    pub from: Option<String>,
    /// Placed on or before this day.
    #[param(format = Date)]
    pub to: Option<String>,
    /// 1 to 100; 25 when left out.
    pub limit: Option<usize>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl OrderQuery {
    /// The filter and the page it asks for. A narrowed page can be short, even empty,
    /// and still carry a cursor: follow it.
    pub async fn read(
        &self,
        platform: &Platform,
        tenant: &TenantId,
    ) -> Result<(OrderFilter, PageRequest), Problem> {
        let (since, before) =
            super::views::day_range(platform, tenant, self.from.as_deref(), self.to.as_deref())
                .await?;
        Ok((
            OrderFilter {
                state: self.state,
                since,
                before,
            },
            PageRequest {
                limit: self.limit,
                cursor: self.cursor.clone(),
            },
        ))
    }
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

pub async fn available_numbers(
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
