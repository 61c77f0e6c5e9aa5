//! Payments received outside a card gateway (bank transfer, cheque, cash), entered by
//! staff, and how a payment is spread over an account's invoices.

use time::{Date, OffsetDateTime};

use super::dates;
use super::invoice::Invoice;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    BankTransfer,
    Cheque,
    Cash,
    /// Paid by card through the provider's gateway (recorded by selfcare itself, never
    /// entered by staff).
    Card,
}

/// The part of a payment that settled one invoice.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Allocation {
    pub invoice: String,
    pub number: String,
    /// Minor units.
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Payment {
    pub id: String,
    pub method: PaymentMethod,
    /// Minor units, more than zero.
    pub amount: i64,
    #[serde(with = "dates::iso")]
    pub received_on: Date,
    /// The bank's or cheque's reference; one payment a reference in an account.
    pub reference: String,
    pub allocations: Vec<Allocation>,
    /// What no invoice needed: a credit the next invoices use first.
    pub unallocated: i64,
    /// The parts of it later invoices used as credit when they were issued (taken from
    /// `unallocated`; each such invoice was issued owing that much less).
    #[serde(default)]
    pub credit_used: Vec<Allocation>,
    pub recorded_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
    /// What was given back (card refunds), minor units.
    #[serde(default)]
    pub refunded: i64,
}

/// Spreads `amount` over `invoices` oldest first (by number), each up to what it still
/// owes; answers the allocations and what is left over.
pub fn allocate(amount: i64, invoices: &[Invoice]) -> (Vec<Allocation>, i64) {
    allocate_preferring(amount, invoices, None)
}

/// The same, settling the invoice the payer chose (`preferred`) first.
pub fn allocate_preferring(
    amount: i64,
    invoices: &[Invoice],
    preferred: Option<&str>,
) -> (Vec<Allocation>, i64) {
    let mut open: Vec<&Invoice> = invoices.iter().filter(|i| i.outstanding() > 0).collect();
    open.sort_by_key(|i| (Some(i.id.as_str()) != preferred, i.sequence));
    let mut left = amount;
    let mut out = Vec::new();
    for invoice in open {
        if left == 0 {
            break;
        }
        let part = left.min(invoice.outstanding());
        out.push(Allocation {
            invoice: invoice.id.clone(),
            number: invoice.number.clone(),
            amount: part,
        });
        left -= part;
    }
    (out, left)
}

/// A refund's parts: what it takes back from the credit no invoice used, then from the
/// invoices the payment settled, the newest first (they are owed again).
pub fn unallocate(payment: &Payment, amount: i64) -> (i64, Vec<Allocation>) {
    let spare = payment.unallocated.max(0);
    let from_credit = amount.min(spare);
    let mut left = amount - from_credit;
    let mut parts = Vec::new();
    for allocation in payment.allocations.iter().rev() {
        if left == 0 {
            break;
        }
        let part = left.min(allocation.amount);
        if part > 0 {
            parts.push(Allocation {
                amount: part,
                ..allocation.clone()
            });
            left -= part;
        }
    }
    (from_credit, parts)
}

impl Payment {
    /// What of it may be spread over invoices: all but what invoices used as credit.
    pub fn allocatable(&self) -> i64 {
        self.amount - self.credit_used.iter().map(|c| c.amount).sum::<i64>()
    }
}
