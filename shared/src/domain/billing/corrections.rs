//! What staff corrections are: a one-off charge or credit waiting for an account's next
//! invoice, and a credit note against an issued one; and the line a charge makes.

use time::{Date, OffsetDateTime};

use super::invoice::{InvoiceLine, LineKind};
use super::{amounts, dates, settings};

/// The largest one-off charge or credit, and credit note: 1,000,000.00.
pub const MAX_ADJUSTMENT: i64 = 100_000_000;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ChargeState {
    /// Waiting for the account's next invoice.
    Pending,
    /// On an invoice.
    Invoiced,
}

/// A one-off charge (positive) or credit (negative) staff added to an account.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OneOffCharge {
    pub id: String,
    /// What the customer reads on the invoice.
    pub description: String,
    /// Minor units, tax as the provider's prices are; negative for a credit.
    pub amount: i64,
    /// Why, for the provider's own records (the audit trail holds it too).
    pub reason: String,
    pub state: ChargeState,
    pub invoice: Option<String>,
    pub added_by: String,
    #[serde(with = "dates::iso")]
    pub added_on: Date,
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: OffsetDateTime,
}

/// A credit note: part or all of an issued invoice taken back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CreditNote {
    pub id: String,
    /// As printed (`CN-000003`): sequential per provider, without gaps.
    pub number: String,
    pub sequence: i64,
    pub invoice: String,
    pub invoice_number: String,
    /// Minor units credited, tax included; its tax part.
    pub amount: i64,
    pub tax: i64,
    pub reason: String,
    #[serde(with = "dates::iso")]
    pub issued_on: Date,
    pub issued_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
}

/// A one-off charge's line on an invoice.
pub fn one_off_line(charge: &OneOffCharge, tax: &settings::TaxSetting) -> InvoiceLine {
    let t = amounts::tax(charge.amount, tax.rate_basis_points, tax.prices_include_tax);
    InvoiceLine {
        kind: LineKind::OneOff,
        description: charge.description.clone(),
        service: String::new(),
        identifier: String::new(),
        cost_centre: None,
        period_start: charge.added_on,
        period_end: charge.added_on,
        quantity: 1,
        net: t.net,
        tax: t.tax,
        gross: t.gross,
    }
}
