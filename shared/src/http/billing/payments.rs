//! Payments received outside a card gateway.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::created_or_found;
use crate::domain::billing::NewPayment;
use crate::domain::billing::dates;
use crate::domain::billing::payments::{Allocation, Payment, PaymentMethod};
use crate::domain::catalogue::money::decimal;
use crate::domain::identity::Permission;
use crate::http::access::{StaffUser, visible_account};
use crate::http::problem::{JsonBody, Problem};
use crate::platform::Platform;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    pub method: PaymentMethod,
    /// Minor units (cents), more than zero.
    #[schema(minimum = 1, maximum = 10000000000_i64)]
    pub amount_minor: i64,
    /// `2026-11-30`: the day the money arrived.
    #[schema(format = Date)]
    pub received_on: String,
    /// The bank's or cheque's reference; one payment a reference in an account.
    #[schema(min_length = 1, max_length = 60)]
    pub reference: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AllocationView {
    pub invoice: String,
    pub number: String,
    pub amount: String,
}

impl From<Allocation> for AllocationView {
    fn from(a: Allocation) -> Self {
        AllocationView {
            invoice: a.invoice,
            number: a.number,
            amount: decimal(a.amount),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentView {
    pub id: String,
    pub method: PaymentMethod,
    pub currency: String,
    pub amount: String,
    pub received_on: String,
    pub reference: String,
    /// The invoices it settled, oldest first.
    pub allocations: Vec<AllocationView>,
    /// What no invoice needed: a credit the next invoices use first.
    pub unallocated: String,
    /// True when this answers a payment recorded before under the same reference.
    pub already_recorded: bool,
}

impl PaymentView {
    fn of(p: Payment, currency: String, already_recorded: bool) -> Self {
        PaymentView {
            id: p.id,
            method: p.method,
            currency,
            amount: decimal(p.amount),
            received_on: dates::text(p.received_on),
            reference: p.reference,
            allocations: p.allocations.into_iter().map(Into::into).collect(),
            unallocated: decimal(p.unallocated),
            already_recorded,
        }
    }
}

/// Record a payment received by bank transfer, cheque or cash; it settles the account's
/// unpaid invoices oldest first and leaves the rest as credit. The same reference again
/// answers the payment already recorded, with 200.
#[utoipa::path(post, path = "/v1/console/accounts/{account}/payments", tag = "console",
    params(("account" = String, Path)), request_body = PaymentInput,
    responses((status = 201, body = PaymentView), (status = 200, body = PaymentView),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn record_payment(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
    JsonBody(input): JsonBody<PaymentInput>,
) -> Result<(StatusCode, Json<PaymentView>), Problem> {
    staff.require(Permission::BillingManage)?;
    let account = visible_account(&platform, &staff, &account).await?;
    let received_on = dates::parse(&input.received_on)
        .ok_or_else(|| Problem::validation().field("/received_on", "a date such as 2026-11-30"))?;
    let (payment, recorded) = platform
        .billing()
        .record_payment(
            &staff.session.tenant,
            &account.id,
            NewPayment {
                method: input.method,
                amount: input.amount_minor,
                received_on,
                reference: input.reference,
            },
            &staff.session.username,
        )
        .await?;
    if recorded {
        staff
            .record(
                &platform,
                Some(account.id),
                "payment.recorded",
                &format!("{} {}", payment.reference, decimal(payment.amount)),
            )
            .await?;
    }
    let status = created_or_found(recorded);
    let currency = platform
        .billing()
        .settings(&staff.session.tenant)
        .await?
        .currency;
    Ok((status, Json(PaymentView::of(payment, currency, !recorded))))
}
