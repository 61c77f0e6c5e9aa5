//! The provider's billing reports: aged balances (what each account owes, by how long past
//! due) and the invoices and credit notes of a period with their tax, for its tax return.

use std::collections::BTreeMap;

use time::Date;

use super::adjustments::CreditNote;
use super::invoice::Invoice;
use super::{Billing, BillingError, record};
use crate::ids::TenantId;
use crate::store;

/// What an account owes, by how long it is past due.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgedBalance {
    pub account: String,
    pub account_number: String,
    pub account_name: String,
    /// Not yet due.
    pub current: i64,
    pub days_1_30: i64,
    pub days_31_60: i64,
    pub days_61_90: i64,
    pub days_over_90: i64,
    pub total: i64,
}

/// The invoices and credit notes of a period, and their totals.
#[derive(Debug, Clone, Default)]
pub struct IssuedInPeriod {
    pub invoices: Vec<Invoice>,
    pub credit_notes: Vec<CreditNote>,
    pub subtotal: i64,
    pub tax: i64,
    pub total: i64,
    /// Credit notes' tax, to take from the invoices'.
    pub credited_tax: i64,
    pub credited: i64,
}

impl AgedBalance {
    /// Takes `credit` off, from the oldest bucket up.
    fn settle_oldest_first(&mut self, credit: i64) {
        let mut left = credit.max(0);
        for bucket in [
            &mut self.days_over_90,
            &mut self.days_61_90,
            &mut self.days_31_60,
            &mut self.days_1_30,
            &mut self.current,
        ] {
            let taken = left.min(*bucket);
            *bucket -= taken;
            left -= taken;
        }
        self.total -= credit.max(0) - left;
    }
}

/// The most invoices a report reads; past it the report says it is partial.
pub const REPORT_LIMIT: usize = 20_000;

impl Billing {
    /// Every account with something still owed on its invoices, most owed first, aged on
    /// `today` (the provider's date) by each invoice's due date.
    pub async fn aged_balances(
        &self,
        tenant: &TenantId,
        today: Date,
    ) -> Result<Vec<AgedBalance>, BillingError> {
        let first = Date::from_calendar_date(2000, time::Month::January, 1).unwrap_or(today);
        let everything =
            record::issued_between(tenant, "INVOICES", first, today).limit(REPORT_LIMIT);
        let mut by_account: BTreeMap<String, AgedBalance> = BTreeMap::new();
        for item in store::query_all(self.table.as_ref(), everything).await? {
            let (invoice, _) = record::invoice_from_item(&item)?;
            let owed = invoice.outstanding();
            if owed == 0 {
                continue;
            }
            let row = by_account
                .entry(invoice.account.clone())
                .or_insert_with(|| AgedBalance {
                    account: invoice.account.clone(),
                    account_number: invoice.account_number.clone(),
                    account_name: invoice.account_name.clone(),
                    ..AgedBalance::default()
                });
            let late = (today - invoice.due_on).whole_days();
            match late {
                ..=0 => row.current += owed,
                1..=30 => row.days_1_30 += owed,
                31..=60 => row.days_31_60 += owed,
                61..=90 => row.days_61_90 += owed,
                _ => row.days_over_90 += owed,
            }
            row.total += owed;
        }
        // Credit the invoices do not show (a credit note larger than what its invoice owed,
        // a negative invoice, a payment no invoice took) settles the oldest first: an
        // account is never shown owing more than its balance.
        let mut rows = Vec::new();
        for mut row in by_account.into_values() {
            let Ok(account) = row.account.parse::<crate::ids::AccountId>() else {
                continue;
            };
            let owed = self.balance(tenant, &account).await?.owed;
            row.settle_oldest_first(row.total - owed.max(0));
            if row.total > 0 {
                rows.push(row);
            }
        }
        rows.sort_by(|a, b| {
            b.total
                .cmp(&a.total)
                .then(a.account_number.cmp(&b.account_number))
        });
        Ok(rows)
    }

    /// The invoices and credit notes issued from `from` to `to` (the provider's dates, both
    /// included), oldest first, with their totals.
    pub async fn issued_in(
        &self,
        tenant: &TenantId,
        from: Date,
        to: Date,
    ) -> Result<IssuedInPeriod, BillingError> {
        let mut out = IssuedInPeriod::default();
        let invoices = record::issued_between(tenant, "INVOICES", from, to).limit(REPORT_LIMIT);
        for item in store::query_all(self.table.as_ref(), invoices).await? {
            let (invoice, _) = record::invoice_from_item(&item)?;
            out.subtotal += invoice.subtotal;
            out.tax += invoice.tax;
            out.total += invoice.total;
            out.invoices.push(invoice);
        }
        let notes = record::issued_between(tenant, "CREDIT_NOTES", from, to).limit(REPORT_LIMIT);
        for item in store::query_all(self.table.as_ref(), notes).await? {
            let note = record::credit_note_from_item(&item)?;
            out.credited += note.amount;
            out.credited_tax += note.tax;
            out.credit_notes.push(note);
        }
        Ok(out)
    }
}

/// One part of a payment against the invoice it settled (the "Cardlines by Invoice"
/// report: card payments join these when the gateway is built); a part no invoice took is
/// a line without an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentLine {
    pub received_on: Date,
    pub account_number: String,
    pub account_name: String,
    pub method: super::payments::PaymentMethod,
    pub reference: String,
    /// The invoice's number; empty for what no invoice took.
    pub invoice_number: String,
    pub amount: i64,
}

impl Billing {
    /// The payments received from `from` to `to` (both included), one line per invoice
    /// each settles, oldest first.
    pub async fn payments_by_invoice(
        &self,
        tenant: &TenantId,
        from: Date,
        to: Date,
    ) -> Result<Vec<PaymentLine>, BillingError> {
        let query = record::issued_between(tenant, "PAYMENTS", from, to).limit(REPORT_LIMIT);
        let mut names: BTreeMap<String, (String, String)> = BTreeMap::new();
        let mut out = Vec::new();
        for item in store::query_all(self.table.as_ref(), query).await? {
            let payment = record::payment_from_item(&item)?;
            let Some(account) = record::payment_account(&item) else {
                continue;
            };
            let key = account.to_string();
            if !names.contains_key(&key) {
                let a = self.accounts.get(tenant, &account).await?;
                names.insert(key.clone(), (a.number.clone(), a.name.clone()));
            }
            let (number, name) = names[&key].clone();
            let line = |invoice_number: String, amount: i64| PaymentLine {
                received_on: payment.received_on,
                account_number: number.clone(),
                account_name: name.clone(),
                method: payment.method,
                reference: payment.reference.clone(),
                invoice_number,
                amount,
            };
            for part in &payment.allocations {
                out.push(line(part.number.clone(), part.amount));
            }
            if payment.unallocated > 0 {
                out.push(line(String::new(), payment.unallocated));
            }
        }
        Ok(out)
    }
}
