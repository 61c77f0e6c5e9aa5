//! The transaction ledger: every money movement on an account, append-only, each with the
//! running balance after it. An account's balance is what it owes (negative: credit), and
//! it is always the sum of its entries.

use time::{Date, OffsetDateTime};

use super::dates;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// An invoice issued: the account owes its total.
    Invoice,
    /// A payment received: the account owes that much less.
    Payment,
    /// A credit note correcting an invoice: the account owes that much less.
    CreditNote,
    /// What an invoice still owed, written off by staff: the account owes that much less.
    WriteOff,
    /// Money given back on a payment: the account owes that much more.
    Refund,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LedgerEntry {
    /// 1, 2, 3, ... within the account.
    pub sequence: i64,
    pub kind: EntryKind,
    /// The provider's date it happened on.
    #[serde(with = "dates::iso")]
    pub date: Date,
    /// The invoice's number, the payment's reference.
    pub reference: String,
    pub description: String,
    /// Minor units: positive adds to what the account owes, negative takes from it.
    pub amount: i64,
    /// What the account owes after it.
    pub balance: i64,
    pub invoice: Option<String>,
    pub payment: Option<String>,
    #[serde(default)]
    pub credit_note: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
}
