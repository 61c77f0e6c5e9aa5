//! Corrections: one-off charges and credits, credit notes.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::idempotency_key;
use crate::domain::billing::adjustments::{ChargeState, CreditNote, OneOffCharge};
use crate::domain::billing::dates;
use crate::domain::catalogue::money::decimal;
use crate::domain::identity::Permission;
use crate::http::access::{StaffUser, visible_account};
use crate::http::problem::{JsonBody, Problem};
use crate::platform::Platform;

#[derive(Debug, Serialize, ToSchema)]
pub struct CreditNoteView {
    pub id: String,
    pub number: String,
    pub invoice_number: String,
    /// Tax included.
    pub amount: String,
    pub tax: String,
    pub reason: String,
    pub issued_on: String,
}

impl From<CreditNote> for CreditNoteView {
    fn from(n: CreditNote) -> Self {
        CreditNoteView {
            id: n.id,
            number: n.number,
            invoice_number: n.invoice_number,
            amount: decimal(n.amount),
            tax: decimal(n.tax),
            reason: n.reason,
            issued_on: dates::text(n.issued_on),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChargeView {
    pub id: String,
    pub description: String,
    /// Negative for a credit.
    pub amount: String,
    pub reason: String,
    pub state: ChargeState,
    /// The invoice that took it.
    pub invoice: Option<String>,
    pub added_on: String,
    pub added_by: String,
}

impl From<OneOffCharge> for ChargeView {
    fn from(c: OneOffCharge) -> Self {
        ChargeView {
            id: c.id,
            description: c.description,
            amount: decimal(c.amount),
            reason: c.reason,
            state: c.state,
            invoice: c.invoice,
            added_on: dates::text(c.added_on),
            added_by: c.added_by,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChargeInput {
    /// What the customer reads on the invoice.
    #[schema(min_length = 1, max_length = 80)]
    pub description: String,
    /// Minor units, as the provider's prices are (tax included or not); negative for a
    /// credit, never zero.
    #[schema(minimum = -100000000_i64, maximum = 100000000_i64)]
    pub amount_minor: i64,
    /// Why: kept with the charge and on the audit trail.
    #[schema(min_length = 1, max_length = 200)]
    pub reason: String,
}

/// An account's one-off charges and credits, newest first (the last 1,000).
#[utoipa::path(get, path = "/v1/console/accounts/{account}/charges", tag = "console",
    params(("account" = String, Path)),
    responses((status = 200, body = Vec<ChargeView>), (status = 404, body = Problem)))]
pub async fn charges(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
) -> Result<Json<Vec<ChargeView>>, Problem> {
    staff.require(Permission::AccountsRead)?;
    let account = visible_account(&platform, &staff, &account).await?;
    let list = platform
        .billing()
        .charges(&staff.session.tenant, &account.id)
        .await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// Add a one-off charge or credit to the account's next invoice.
#[utoipa::path(post, path = "/v1/console/accounts/{account}/charges", tag = "console",
    params(("account" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "8 to 128 characters; a retry with the same key and body answers the charge the first added (200)")),
    request_body = ChargeInput,
    responses((status = 201, body = ChargeView), (status = 200, body = ChargeView),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn add_charge(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
    headers: axum::http::HeaderMap,
    JsonBody(input): JsonBody<ChargeInput>,
) -> Result<(StatusCode, Json<ChargeView>), Problem> {
    staff.require(Permission::BillingManage)?;
    let account = visible_account(&platform, &staff, &account).await?;
    let (charge, added) = platform
        .billing()
        .add_charge(
            &staff.session.tenant,
            &account.id,
            &input.description,
            input.amount_minor,
            &input.reason,
            &staff.session.username,
            idempotency_key(&headers).as_deref(),
        )
        .await?;
    if !added {
        return Ok((StatusCode::OK, Json(charge.into())));
    }
    staff
        .record(
            &platform,
            Some(account.id),
            "charge.added",
            &format!(
                "{} {}: {}",
                charge.description,
                decimal(charge.amount),
                charge.reason
            ),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(charge.into())))
}

/// Take back a one-off charge or credit no invoice has taken yet.
#[utoipa::path(delete, path = "/v1/console/accounts/{account}/charges/{charge}", tag = "console",
    params(("account" = String, Path), ("charge" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
pub async fn remove_charge(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path((account, charge)): Path<(String, String)>,
) -> Result<StatusCode, Problem> {
    staff.require(Permission::BillingManage)?;
    let account = visible_account(&platform, &staff, &account).await?;
    platform
        .billing()
        .remove_charge(&staff.session.tenant, &account.id, &charge)
        .await?;
    staff
        .record(&platform, Some(account.id), "charge.removed", &charge)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditNoteInput {
    /// Minor units, tax included: at most what the invoice still holds to credit.
    #[schema(minimum = 1, maximum = 100000000_i64)]
    pub amount_minor: i64,
    #[schema(min_length = 1, max_length = 200)]
    pub reason: String,
}

/// Correct an issued invoice with a credit note (its own number; the invoice itself
/// never changes).
#[utoipa::path(post, path = "/v1/console/accounts/{account}/invoices/{invoice}/credit-notes",
    tag = "console", params(("account" = String, Path), ("invoice" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "8 to 128 characters; a retry with the same key and body answers the credit note the first issued (200)")),
    request_body = CreditNoteInput,
    responses((status = 201, body = CreditNoteView), (status = 200, body = CreditNoteView),
        (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn credit_note(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path((account, invoice)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
    JsonBody(input): JsonBody<CreditNoteInput>,
) -> Result<(StatusCode, Json<CreditNoteView>), Problem> {
    staff.require(Permission::BillingManage)?;
    let account = visible_account(&platform, &staff, &account).await?;
    let (note, issued) = platform
        .billing()
        .credit_invoice(
            &staff.session.tenant,
            &account.id,
            &invoice,
            input.amount_minor,
            &input.reason,
            &staff.session.username,
            idempotency_key(&headers).as_deref(),
        )
        .await?;
    if !issued {
        return Ok((StatusCode::OK, Json(note.into())));
    }
    staff
        .record(
            &platform,
            Some(account.id),
            "credit_note.issued",
            &format!(
                "{} against {} for {}: {}",
                note.number,
                note.invoice_number,
                decimal(note.amount),
                note.reason
            ),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(note.into())))
}
