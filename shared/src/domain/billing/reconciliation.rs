//! Manual account reconciliation: staff see an account's invoices, its payments and what of
//! them no invoice took, side by side; move a payment's money between invoices; and write
//! off what an invoice still owes.
//!
//! Moving money between invoices is no money movement: the balance and the ledger stay as
//! they are, only what each invoice shows as paid changes (and the audit trail says who did
//! it). A write-off is one: a ledger entry that lowers the balance by what was owed.
//! Every change is written on the versions read, in one transaction, and asked for as the
//! state wanted (a payment's allocations, an invoice written off), so a retry changes
//! nothing more.

use std::collections::BTreeMap;

use super::invoice::Invoice;
use super::ledger::{EntryKind, LedgerEntry};
use super::payments::{Allocation, Payment};
use super::{ATTEMPTS, Billing, BillingError, MAX_WRITES, back_off, record};
use crate::domain::Violations;
use crate::ids::{AccountId, TenantId};
use crate::ports::table::TableError;
use crate::store::Transaction;

/// The most invoices and payments the picture holds (newest first).
pub const MOST: usize = 200;

/// An account's invoices and payments side by side.
#[derive(Debug, Clone)]
pub struct Reconciliation {
    /// Newest first.
    pub invoices: Vec<Invoice>,
    /// Newest first.
    pub payments: Vec<Payment>,
    /// What of its payments no invoice took.
    pub unallocated: i64,
    /// What the account owes (negative: its credit).
    pub balance: i64,
}

/// One part of a payment as staff want it: `amount` of it settling `invoice`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WantedAllocation {
    pub invoice: String,
    pub amount: i64,
}

impl Billing {
    pub async fn reconciliation(
        &self,
        tenant: &TenantId,
        account: &AccountId,
    ) -> Result<Reconciliation, BillingError> {
        self.accounts.get(tenant, account).await?;
        let invoices = self
            .table
            .query(record::invoices_of(tenant, account).limit(MOST))
            .await?
            .items
            .iter()
            .map(|item| record::invoice_from_item(item).map(|(i, _)| i))
            .collect::<Result<Vec<_>, _>>()?;
        let payments = self
            .table
            .query(record::payments_of(tenant, account).limit(MOST))
            .await?
            .items
            .iter()
            .map(record::payment_from_item)
            .collect::<Result<Vec<_>, _>>()?;
        // What payments hold that no invoice took nor used as credit.
        let unallocated = payments.iter().map(|p| p.unallocated).sum();
        let balance = self.balance(tenant, account).await?.owed;
        Ok(Reconciliation {
            invoices,
            payments,
            unallocated,
            balance,
        })
    }

    /// Spreads a payment over the account's invoices as `wanted` says (what is not
    /// allocated is credit). Each invoice may take at most what it owes besides this
    /// payment. Answers the payment as it now is, and whether anything changed.
    pub async fn reallocate(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        payment: &str,
        wanted: &[WantedAllocation],
    ) -> Result<(Payment, bool), BillingError> {
        let mut v = Violations::default();
        let mut amounts: BTreeMap<&str, i64> = BTreeMap::new();
        for (n, want) in wanted.iter().enumerate() {
            if want.amount <= 0 || want.amount > super::MAX_PAYMENT {
                v.add(
                    format!("/allocations/{n}/amount_minor"),
                    "more than zero, at most 100,000,000.00",
                );
            }
            if want.invoice.parse::<crate::ids::InvoiceId>().is_err() {
                v.add(
                    format!("/allocations/{n}/invoice"),
                    "not an invoice of this account",
                );
            }
            if amounts.insert(want.invoice.as_str(), want.amount).is_some() {
                v.add(format!("/allocations/{n}/invoice"), "once per invoice");
            }
        }
        if wanted.len() > MAX_WRITES - 10 {
            v.add("/allocations", "at most 90 invoices");
        }
        v.into_result().map_err(BillingError::Invalid)?;
        if payment.parse::<crate::ids::PaymentId>().is_err() {
            return Err(BillingError::NotFound);
        }
        for attempt in 1..=ATTEMPTS {
            let item = self
                .table
                .get(&record::payment_key(tenant, account, payment))
                .await?
                .ok_or(BillingError::NotFound)?;
            let (current, version) = record::payment_with_version(&item)?;
            let total = amounts
                .values()
                .try_fold(0i64, |sum, a| sum.checked_add(*a))
                .unwrap_or(i64::MAX);
            if total > current.allocatable() {
                let mut v = Violations::default();
                v.add(
                    "/allocations",
                    format!(
                        "the parts come to more than the {} of the payment that no invoice used as credit",
                        crate::domain::catalogue::money::decimal(current.allocatable())
                    ),
                );
                return Err(BillingError::Invalid(v));
            }
            // Every invoice it settles now or is to settle, with what this payment gives it.
            let before: BTreeMap<&str, i64> = current
                .allocations
                .iter()
                .map(|a| (a.invoice.as_str(), a.amount))
                .collect();
            let mut touched: Vec<(Invoice, u64, i64)> = Vec::new();
            let mut v = Violations::default();
            let ids: std::collections::BTreeSet<&str> =
                before.keys().chain(amounts.keys()).copied().collect();
            for id in ids {
                let was = before.get(id).copied().unwrap_or(0);
                let now = amounts.get(id).copied().unwrap_or(0);
                if was == now {
                    continue;
                }
                let Some(item) = self
                    .table
                    .get(&record::invoice_key(tenant, account, id))
                    .await?
                else {
                    let n = wanted.iter().position(|w| w.invoice == id).unwrap_or(0);
                    v.add(
                        format!("/allocations/{n}/invoice"),
                        "not an invoice of this account",
                    );
                    continue;
                };
                let (invoice, invoice_version) = record::invoice_from_item(&item)?;
                // What it owes with this payment's part taken back.
                let room = invoice.outstanding() + was;
                if now > room {
                    let n = wanted.iter().position(|w| w.invoice == id).unwrap_or(0);
                    v.add(
                        format!("/allocations/{n}/amount_minor"),
                        format!(
                            "{} owes at most {} besides this payment",
                            invoice.number,
                            crate::domain::catalogue::money::decimal(room)
                        ),
                    );
                    continue;
                }
                touched.push((invoice, invoice_version, now - was));
            }
            v.into_result().map_err(BillingError::Invalid)?;
            if touched.is_empty() {
                return Ok((current, false));
            }
            // Each part under its invoice's number, in number order (oldest first).
            let number_of = |id: &str| {
                touched
                    .iter()
                    .map(|(i, _, _)| (i.id.as_str(), i.number.as_str()))
                    .chain(
                        current
                            .allocations
                            .iter()
                            .map(|a| (a.invoice.as_str(), a.number.as_str())),
                    )
                    .find(|(invoice, _)| *invoice == id)
                    .map(|(_, number)| number.to_owned())
                    .unwrap_or_default()
            };
            let mut allocations: Vec<Allocation> = amounts
                .iter()
                .map(|(id, amount)| Allocation {
                    invoice: (*id).to_owned(),
                    number: number_of(id),
                    amount: *amount,
                })
                .collect();
            allocations.sort_by(|a, b| a.number.cmp(&b.number));
            let changed = Payment {
                unallocated: current.allocatable() - total,
                allocations,
                ..current.clone()
            };
            let mut tx = Transaction::new();
            tx.add(
                "payment",
                record::payment_reallocated_write(tenant, account, &changed, version)?,
            );
            for (invoice, invoice_version, delta) in &touched {
                let mut paid = invoice.clone();
                paid.paid += delta;
                tx.add(
                    "invoice",
                    record::invoice_paid_write(tenant, account, &paid, *invoice_version)?,
                );
            }
            match tx.commit(self.table.as_ref()).await {
                Ok(()) => return Ok((changed, true)),
                Err(e) if e.is_contention() && attempt < ATTEMPTS => back_off(attempt).await,
                Err(e) if e.is_contention() => return Err(BillingError::Conflict),
                Err(e) => return Err(TableError::from(e).into()),
            }
        }
        Err(BillingError::Conflict)
    }

    /// Writes off what the invoice still owes: a ledger entry lowering the balance by it,
    /// dated today. Answers the invoice and how much this wrote off (0 when nothing was
    /// owed, as after the same request before).
    pub async fn write_off(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        invoice: &str,
        reason: &str,
    ) -> Result<(Invoice, i64), BillingError> {
        let reason = reason.trim();
        if !(1..=200).contains(&reason.chars().count()) {
            let mut v = Violations::default();
            v.add("/reason", "say why, in up to 200 characters");
            return Err(BillingError::Invalid(v));
        }
        if invoice.parse::<crate::ids::InvoiceId>().is_err() {
            return Err(BillingError::NotFound);
        }
        for attempt in 1..=ATTEMPTS {
            let item = self
                .table
                .get(&record::invoice_key(tenant, account, invoice))
                .await?
                .ok_or(BillingError::NotFound)?;
            let (current, version) = record::invoice_from_item(&item)?;
            let amount = current.outstanding();
            if amount == 0 {
                return Ok((current, 0));
            }
            let today = self.today(tenant).await?;
            let (owed, entries, balance_read) = record::balance_from(
                self.table
                    .get(&record::balance_key(tenant, account))
                    .await?
                    .as_ref(),
            );
            let entry = LedgerEntry {
                sequence: entries + 1,
                kind: EntryKind::WriteOff,
                date: today,
                reference: current.number.clone(),
                description: format!("Written off: {reason}"),
                amount: -amount,
                balance: owed - amount,
                invoice: Some(current.id.clone()),
                payment: None,
                credit_note: None,
                recorded_at: self.clock.now(),
            };
            let written = Invoice {
                written_off: current.written_off + amount,
                ..current.clone()
            };
            let mut tx = Transaction::new();
            tx.add(
                "invoice",
                record::invoice_paid_write(tenant, account, &written, version)?,
            )
            .add(
                "balance",
                record::balance_write(tenant, account, entry.balance, entry.sequence, balance_read),
            )
            .add(
                "ledger entry",
                record::entry_write(tenant, account, &entry)?,
            );
            match tx.commit(self.table.as_ref()).await {
                Ok(()) => return Ok((written, amount)),
                Err(e) if e.is_contention() && attempt < ATTEMPTS => back_off(attempt).await,
                Err(e) if e.is_contention() => return Err(BillingError::Conflict),
                Err(e) => return Err(TableError::from(e).into()),
            }
        }
        Err(BillingError::Conflict)
    }
}
