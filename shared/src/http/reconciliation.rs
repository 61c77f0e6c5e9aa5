//! Manual account reconciliation in the console: an account's invoices and payments side
//! by side, a payment's money moved between invoices, what an invoice owes written off.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::access::{StaffUser, visible_account};
use super::problem::{JsonBody, Problem};
use super::views::today;
use crate::domain::billing::dates;
use crate::domain::billing::invoice::InvoiceStatus;
use crate::domain::billing::reconciliation::{Reconciliation, WantedAllocation};
use crate::domain::catalogue::money::decimal;
use crate::domain::identity::Permission;
use crate::ids::AccountId;
use crate::platform::Platform;

#[derive(Debug, Serialize, ToSchema)]
pub struct ReconciledInvoiceView {
    pub id: String,
    pub number: String,
    pub issued_on: String,
    pub due_on: String,
    pub status: InvoiceStatus,
    /// What was to pay when issued.
    pub amount_due: String,
    pub paid: String,
    pub credited: String,
    pub written_off: String,
    pub outstanding: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentPartView {
    pub invoice: String,
    pub number: String,
    pub amount: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReconciledPaymentView {
    pub id: String,
    pub reference: String,
    pub received_on: String,
    pub amount: String,
    pub allocations: Vec<PaymentPartView>,
    /// Parts later invoices used as credit when issued (they were issued owing less).
    pub credit_used: Vec<PaymentPartView>,
    /// What no invoice took nor used as credit yet.
    pub unallocated: String,
}

/// An account's invoices and payments side by side (the newest 200 of each).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReconciliationView {
    pub currency: String,
    pub invoices: Vec<ReconciledInvoiceView>,
    pub payments: Vec<ReconciledPaymentView>,
    /// What of the payments no invoice took.
    pub unallocated: String,
    /// What the account owes (negative: its credit).
    pub balance: String,
}

/// One part of a payment: `amount_minor` of it settling `invoice`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllocationInput {
    #[schema(min_length = 1, max_length = 40)]
    pub invoice: String,
    /// Minor units, more than zero.
    #[schema(minimum = 1, maximum = 10000000000_i64)]
    pub amount_minor: i64,
}

/// How a payment is to be spread: every part of it (what is left is credit).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllocationsBody {
    #[schema(max_items = 90)]
    pub allocations: Vec<AllocationInput>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteOffBody {
    /// Why it will not be collected.
    #[schema(min_length = 1, max_length = 200)]
    pub reason: String,
}

async fn view(
    platform: &Platform,
    tenant: &crate::ids::TenantId,
    account: &AccountId,
) -> Result<ReconciliationView, Problem> {
    let billing = platform.billing();
    let Reconciliation {
        invoices,
        payments,
        unallocated,
        balance,
    } = billing.reconciliation(tenant, account).await?;
    let currency = billing.settings(tenant).await?.currency;
    let on = today(platform, tenant).await?;
    Ok(ReconciliationView {
        currency,
        invoices: invoices
            .into_iter()
            .map(|i| ReconciledInvoiceView {
                status: i.status(on),
                outstanding: decimal(i.outstanding()),
                id: i.id,
                number: i.number,
                issued_on: dates::text(i.issued_on),
                due_on: dates::text(i.due_on),
                amount_due: decimal(i.amount_due),
                paid: decimal(i.paid),
                credited: decimal(i.credited),
                written_off: decimal(i.written_off),
            })
            .collect(),
        payments: payments
            .into_iter()
            .map(|p| ReconciledPaymentView {
                id: p.id,
                reference: p.reference,
                received_on: dates::text(p.received_on),
                amount: decimal(p.amount),
                allocations: p
                    .allocations
                    .into_iter()
                    .map(|a| PaymentPartView {
                        invoice: a.invoice,
                        number: a.number,
                        amount: decimal(a.amount),
                    })
                    .collect(),
                credit_used: p
                    .credit_used
                    .into_iter()
                    .map(|a| PaymentPartView {
                        invoice: a.invoice,
                        number: a.number,
                        amount: decimal(a.amount),
                    })
                    .collect(),
                unallocated: decimal(p.unallocated),
            })
            .collect(),
        unallocated: decimal(unallocated),
        balance: decimal(balance),
    })
}

/// An account's invoices, payments and unallocated credit, side by side.
#[utoipa::path(get, path = "/v1/console/accounts/{account}/reconciliation", tag = "console",
    params(("account" = String, Path)),
    responses((status = 200, body = ReconciliationView), (status = 404, body = Problem)))]
pub async fn reconciliation(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
) -> Result<Json<ReconciliationView>, Problem> {
    staff.require(Permission::AccountsRead)?;
    let account = visible_account(&platform, &staff, &account).await?;
    Ok(Json(
        view(&platform, &staff.session.tenant, &account.id).await?,
    ))
}

/// Spread a payment over the account's invoices as given (what is left is credit); each
/// invoice takes at most what it owes besides this payment. Sent again, it changes
/// nothing more. Answers the account's reconciliation after it.
#[utoipa::path(put, path = "/v1/console/accounts/{account}/payments/{payment}/allocations",
    tag = "console", params(("account" = String, Path), ("payment" = String, Path)),
    request_body = AllocationsBody,
    responses((status = 200, body = ReconciliationView), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn reallocate(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path((account, payment)): Path<(String, String)>,
    JsonBody(body): JsonBody<AllocationsBody>,
) -> Result<Json<ReconciliationView>, Problem> {
    staff.require(Permission::BillingManage)?;
    let account = visible_account(&platform, &staff, &account).await?;
    let tenant = &staff.session.tenant;
    let wanted: Vec<WantedAllocation> = body
        .allocations
        .into_iter()
        .map(|a| WantedAllocation {
            invoice: a.invoice,
            amount: a.amount_minor,
        })
        .collect();
    let (changed, moved) = platform
        .billing()
        .reallocate(tenant, &account.id, &payment, &wanted)
        .await?;
    if moved {
        let parts: Vec<String> = changed
            .allocations
            .iter()
            .map(|a| format!("{} {}", a.number, decimal(a.amount)))
            .collect();
        let detail = format!(
            "payment {} now settles {}; unallocated {}",
            changed.reference,
            if parts.is_empty() {
                "no invoice".to_owned()
            } else {
                parts.join(", ")
            },
            decimal(changed.unallocated)
        );
        platform
            .audit()
            .record(
                &staff.session,
                Some(account.id),
                "billing.payment_reallocated",
                &detail,
                &staff.request_id,
            )
            .await?;
    }
    Ok(Json(view(&platform, tenant, &account.id).await?))
}

/// Write off what an invoice still owes (a ledger entry of today). Sent again, it writes
/// off nothing more. Answers the account's reconciliation after it.
#[utoipa::path(post, path = "/v1/console/accounts/{account}/invoices/{invoice}/write-off",
    tag = "console", params(("account" = String, Path), ("invoice" = String, Path)),
    request_body = WriteOffBody,
    responses((status = 200, body = ReconciliationView), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn write_off(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path((account, invoice)): Path<(String, String)>,
    JsonBody(body): JsonBody<WriteOffBody>,
) -> Result<Json<ReconciliationView>, Problem> {
    staff.require(Permission::BillingManage)?;
    let account = visible_account(&platform, &staff, &account).await?;
    let tenant = &staff.session.tenant;
    let (written, amount) = platform
        .billing()
        .write_off(tenant, &account.id, &invoice, &body.reason)
        .await?;
    if amount > 0 {
        platform
            .audit()
            .record(
                &staff.session,
                Some(account.id),
                "billing.invoice_written_off",
                &format!(
                    "{} written off on {}: {}",
                    decimal(amount),
                    written.number,
                    body.reason.trim()
                ),
                &staff.request_id,
            )
            .await?;
    }
    Ok(Json(view(&platform, tenant, &account.id).await?))
}

pub fn routes() -> OpenApiRouter<Platform> {
    OpenApiRouter::new()
        .routes(routes!(reconciliation))
        .routes(routes!(reallocate))
        .routes(routes!(write_off))
}
