//! The provider's card payment reports: each card payment against the invoice it settled
//! (Cardlines by Invoice), the takings of each of the provider's days, the failed ones.

use std::collections::BTreeMap;

use time::Date;

use super::model::{CardPayment, CardPaymentStatus};
use super::{PaymentError, Payments};
use crate::ids::{AccountId, TenantId};

/// One card payment with the account it belongs to, as staff read it.
#[derive(Debug, Clone)]
pub struct CardLine {
    pub payment: CardPayment,
    pub account_number: String,
    pub account_name: String,
    /// The provider's day the money was taken (a succeeded payment), or the day it was
    /// started (the others).
    pub day: Date,
}

/// The card takings of one of the provider's days (by the day each payment succeeded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardDay {
    pub day: Date,
    pub currency: String,
    pub succeeded: u32,
    pub failed: u32,
    /// Minor units taken (succeeded payments), what was given back of them, and the
    /// gateway's fees where its balance has shown them.
    pub taken: i64,
    pub refunded: i64,
    pub fees: i64,
    /// Succeeded payments whose fee the gateway check has not read yet (not in `fees`).
    pub fees_unknown: u32,
}

impl CardDay {
    /// What stays with the provider: taken less refunds and fees.
    pub fn net(&self) -> i64 {
        self.taken - self.refunded - self.fees
    }
}

impl Payments {
    /// Every card payment started between two of the provider's days (both included), with
    /// its account's number and name, oldest first.
    pub async fn card_lines(
        &self,
        tenant: &TenantId,
        from: Date,
        to: Date,
    ) -> Result<Vec<CardLine>, PaymentError> {
        let zone = crate::domain::settings::zone(self.table.as_ref(), tenant).await?;
        let mut names: BTreeMap<String, (String, String)> = BTreeMap::new();
        let mut out = Vec::new();
        for payment in self.payments_between(tenant, from, to).await? {
            if !names.contains_key(&payment.account) {
                let id: AccountId = payment
                    .account
                    .parse()
                    .map_err(|_| PaymentError::NotFound)?;
                let a = self
                    .accounts
                    .get(tenant, &id)
                    .await
                    .map_err(|_| PaymentError::NotFound)?;
                names.insert(payment.account.clone(), (a.number, a.name));
            }
            let (number, name) = names[&payment.account].clone();
            out.push(CardLine {
                day: zone.date_of(payment.succeeded_at.unwrap_or(payment.created_at)),
                payment,
                account_number: number,
                account_name: name,
            });
        }
        Ok(out)
    }

    /// The card takings of each of the provider's days between two days, days without a
    /// card payment left out.
    pub async fn card_days(
        &self,
        tenant: &TenantId,
        from: Date,
        to: Date,
    ) -> Result<Vec<CardDay>, PaymentError> {
        Ok(days_of(&self.card_lines(tenant, from, to).await?))
    }

    /// The card payments started between two days that failed (and are not paid since),
    /// with the bank's reason and the next automatic try.
    pub async fn failed_card_payments(
        &self,
        tenant: &TenantId,
        from: Date,
        to: Date,
    ) -> Result<Vec<CardLine>, PaymentError> {
        let mut lines = self.card_lines(tenant, from, to).await?;
        lines.retain(|l| l.payment.status == CardPaymentStatus::Failed);
        Ok(lines)
    }
}

/// Sums card lines by day and currency.
pub fn days_of(lines: &[CardLine]) -> Vec<CardDay> {
    let mut days: BTreeMap<(Date, String), CardDay> = BTreeMap::new();
    for line in lines {
        let p = &line.payment;
        let day = days
            .entry((line.day, p.currency.clone()))
            .or_insert_with(|| CardDay {
                day: line.day,
                currency: p.currency.clone(),
                succeeded: 0,
                failed: 0,
                taken: 0,
                refunded: 0,
                fees: 0,
                fees_unknown: 0,
            });
        match p.status {
            CardPaymentStatus::Succeeded => {
                day.succeeded += 1;
                day.taken += p.amount;
                day.refunded += p.refunded;
                match p.fee {
                    Some(fee) => day.fees += fee,
                    None => day.fees_unknown += 1,
                }
            }
            CardPaymentStatus::Failed => day.failed += 1,
            _ => {}
        }
    }
    days.into_values().collect()
}
