//! The transaction ledger and balance, and its CSV.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use crate::domain::billing::Balance;
use crate::domain::billing::dates;
use crate::domain::billing::ledger::{EntryKind, LedgerEntry};
use crate::domain::catalogue::money::decimal;
use crate::domain::identity::Permission;
use crate::domain::settings::Module;
use crate::http::access::{
    PortalAction, PortalUser, StaffUser, portal_account, require, visible_account,
};
use crate::http::downloads::csv_response;
use crate::http::problem::{Problem, QueryParams};
use crate::http::views::Paging;
use crate::ids::AccountId;
use crate::platform::Platform;

#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerEntryView {
    pub sequence: i64,
    pub kind: EntryKind,
    pub date: String,
    pub reference: String,
    pub description: String,
    /// Positive adds to what the account owes; negative takes from it.
    pub amount: String,
    /// What the account owes after it (negative: credit).
    pub balance: String,
    pub invoice: Option<String>,
}

impl From<LedgerEntry> for LedgerEntryView {
    fn from(e: LedgerEntry) -> Self {
        LedgerEntryView {
            sequence: e.sequence,
            kind: e.kind,
            date: dates::text(e.date),
            reference: e.reference,
            description: e.description,
            amount: decimal(e.amount),
            balance: decimal(e.balance),
            invoice: e.invoice,
        }
    }
}

/// The account's balance and its ledger, newest entry first.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerView {
    pub currency: String,
    /// What the account owes now (negative: credit).
    pub balance: String,
    /// The provider's date the account is next billed on.
    pub next_bill_on: String,
    pub items: Vec<LedgerEntryView>,
    /// Send it as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

async fn ledger_view(
    platform: &Platform,
    tenant: &crate::ids::TenantId,
    account: &AccountId,
    paging: &Paging,
) -> Result<LedgerView, Problem> {
    let billing = platform.billing();
    let Balance { owed, .. } = billing.balance(tenant, account).await?;
    let page = billing.ledger(tenant, account, &paging.request()).await?;
    Ok(LedgerView {
        currency: billing.settings(tenant).await?.currency,
        balance: decimal(owed),
        next_bill_on: dates::text(billing.next_bill_on(tenant, account).await?),
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    })
}

/// The account's balance and transaction ledger.
#[utoipa::path(get, path = "/v1/portal/ledger", tag = "portal", params(Paging),
    responses((status = 200, body = LedgerView), (status = 404, body = Problem)))]
pub async fn portal_ledger(
    State(platform): State<Platform>,
    user: PortalUser,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<LedgerView>, Problem> {
    let account = portal_account(&platform, &user, Module::Invoices).await?;
    require(&user.session, PortalAction::BillingView)?;
    Ok(Json(
        ledger_view(&platform, &user.session.tenant, &account, &paging).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LedgerExport {
    /// The first day, `2026-11-01`; from the first entry when left out.
    #[param(format = Date)]
    pub from: Option<String>,
    /// The last day, included; to the latest entry when left out.
    #[param(format = Date)]
    pub to: Option<String>,
}

async fn ledger_csv(
    platform: &Platform,
    tenant: &crate::ids::TenantId,
    account: &AccountId,
    q: &LedgerExport,
) -> Result<Response, Problem> {
    let day = |text: &Option<String>, field: &str| -> Result<Option<Date>, Problem> {
        match text {
            None => Ok(None),
            Some(t) => dates::parse(t)
                .map(Some)
                .ok_or_else(|| Problem::validation().field(field, "a date such as 2026-11-01")),
        }
    };
    let (from, to) = (day(&q.from, "from")?, day(&q.to, "to")?);
    let entries = platform
        .billing()
        .ledger_between(tenant, account, from, to)
        .await?;
    let name = format!(
        "transactions-{}-to-{}.csv",
        from.map(dates::text).unwrap_or_else(|| "start".into()),
        to.map(dates::text).unwrap_or_else(|| "now".into())
    );
    csv_response(
        &name,
        &[
            "date",
            "transaction",
            "reference",
            "description",
            "amount",
            "balance",
        ],
        entries
            .into_iter()
            .map(|e| {
                vec![
                    dates::text(e.date),
                    wire_kind(e.kind),
                    crate::export::csv_safe(&e.reference).into_owned(),
                    crate::export::csv_safe(&e.description).into_owned(),
                    decimal(e.amount),
                    decimal(e.balance),
                ]
            })
            .collect(),
    )
}

fn wire_kind(kind: EntryKind) -> String {
    crate::http::access::wire_name(&kind)
}

/// The account's transactions from `from` to `to` as CSV, oldest first, with the running
/// balance.
#[utoipa::path(get, path = "/v1/portal/ledger/export", tag = "portal", params(LedgerExport),
    responses((status = 200, description = "CSV", content_type = "text/csv"),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn portal_ledger_csv(
    State(platform): State<Platform>,
    user: PortalUser,
    QueryParams(q): QueryParams<LedgerExport>,
) -> Result<Response, Problem> {
    let account = portal_account(&platform, &user, Module::Invoices).await?;
    require(&user.session, PortalAction::BillingView)?;
    ledger_csv(&platform, &user.session.tenant, &account, &q).await
}

/// An account's transactions from `from` to `to` as CSV, oldest first.
#[utoipa::path(get, path = "/v1/console/accounts/{account}/ledger/export", tag = "console",
    params(("account" = String, Path), LedgerExport),
    responses((status = 200, description = "CSV", content_type = "text/csv"),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn console_ledger_csv(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
    QueryParams(q): QueryParams<LedgerExport>,
) -> Result<Response, Problem> {
    staff.require(Permission::AccountsRead)?;
    let account = visible_account(&platform, &staff, &account).await?;
    ledger_csv(&platform, &staff.session.tenant, &account.id, &q).await
}

/// An account's balance and transaction ledger.
#[utoipa::path(get, path = "/v1/console/accounts/{account}/ledger", tag = "console",
    params(("account" = String, Path), Paging),
    responses((status = 200, body = LedgerView), (status = 404, body = Problem)))]
pub async fn console_ledger(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<LedgerView>, Problem> {
    staff.require(Permission::AccountsRead)?;
    let account = visible_account(&platform, &staff, &account).await?;
    Ok(Json(
        ledger_view(&platform, &staff.session.tenant, &account.id, &paging).await?,
    ))
}
