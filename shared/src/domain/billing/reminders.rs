//! Overdue reminders: an invoice past its due date with something still to pay is told to
//! the account once on each of the provider's reminder days (7, 14 and 30 days late unless
//! it chose others), by mail written in the same transaction that records it was sent, so
//! a reminder goes once whatever runs overlap. Run once a provider's day, on its own
//! schedule beside the bill run.

use time::Date;

use super::{Billing, BillingError, dates, record, settings};
use crate::domain::catalogue::money::decimal;
use crate::domain::notifications::{self, InvoiceFacts, Mail, Notice};
use crate::domain::outbox;
use crate::domain::tenancy::Tenants;
use crate::ids::{AccountId, TenantId};
use crate::ports::table::TableError;
use crate::store::Transaction;

impl Billing {
    /// Sends the reminders due on `today` (the provider's date); answers how many went.
    pub async fn send_reminders(
        &self,
        tenant: &TenantId,
        today: Date,
        sender: &crate::domain::contact::EmailAddress,
    ) -> Result<u32, BillingError> {
        let settings = settings::read(self.table.as_ref(), tenant).await?;
        if settings.reminder_days.is_empty() {
            return Ok(0);
        }
        // Only invoices whose last reminder day can still be coming: issued within the
        // payment terms, the last reminder day and a month's grace of today (an invoice left
        // unreminded longer, as when reminders were off, is not reminded late).
        let last_step = settings.reminder_days.iter().copied().max().unwrap_or(0);
        let window = i64::from(settings.payment_terms_days) + i64::from(last_step) + 31;
        let first = today - time::Duration::days(window);
        let everything = record::issued_between(tenant, "INVOICES", first, today)
            .limit(super::reports::REPORT_LIMIT);
        let tenant_record =
            Tenants::new(self.table.clone(), self.clock.clone(), self.cursors.clone())
                .get(tenant)
                .await
                .map_err(|e| TableError::Unavailable(e.to_string()))?;
        let access = crate::domain::settings::read(self.table.as_ref(), tenant).await?;
        let mut sent = 0;
        for item in crate::store::query_all(self.table.as_ref(), everything).await? {
            let (invoice, version) = record::invoice_from_item(&item)?;
            let late = (today - invoice.due_on).whole_days();
            // The latest reminder day passed; sent unless a reminder of that day or a
            // later one went already (a changed list neither repeats nor skips one).
            let Some(step) = settings
                .reminder_days
                .iter()
                .copied()
                .filter(|d| late >= i64::from(*d))
                .max()
            else {
                continue;
            };
            if invoice.outstanding() == 0 || step <= invoice.reminded_at_days {
                continue;
            }
            let Ok(account_id) = invoice.account.parse::<AccountId>() else {
                continue;
            };
            // An account whose credit covers what its invoices show (credit from a note or
            // a negative invoice settles no invoice) owes nothing: no reminder.
            if self.balance(tenant, &account_id).await?.owed <= 0 {
                continue;
            }
            let account = self.accounts.get(tenant, &account_id).await?;
            let own = settings::read_account(self.table.as_ref(), tenant, &account_id).await?;
            let recipients = self
                .recipients(tenant, &account, &own, &access.default_language)
                .await?;
            if recipients.is_empty() {
                continue;
            }
            let mut messages = Vec::new();
            for recipient in &recipients {
                messages.push(
                    notifications::compose(
                        &tenant_record,
                        &access,
                        sender,
                        &recipient.to,
                        Mail {
                            language: &recipient.language,
                            name: &recipient.name,
                            notice: Notice::InvoiceOverdue(InvoiceFacts {
                                number: invoice.number.clone(),
                                outstanding: format!(
                                    "{} {}",
                                    invoice.currency,
                                    decimal(invoice.outstanding())
                                ),
                                due_on: dates::text(invoice.due_on),
                                days_late: late,
                            }),
                        },
                    )
                    .map_err(|e| TableError::Unavailable(e.to_string()))?,
                );
            }
            let reminded = super::invoice::Invoice {
                reminded_at_days: step,
                ..invoice
            };
            let mut tx = Transaction::new();
            tx.add(
                "invoice",
                record::invoice_paid_write(tenant, &account_id, &reminded, version)?,
            );
            for message in &messages {
                tx.add("mail", outbox::enqueue(message, self.clock.now()));
            }
            match tx.commit(self.table.as_ref()).await {
                Ok(()) => sent += 1,
                // Paid, credited or reminded meanwhile: the next run looks again.
                Err(e) if e.is_contention() => {}
                Err(e) => return Err(TableError::from(e).into()),
            }
        }
        Ok(sent)
    }

    /// How many reminders the provider's reminders of `on` sent, if they ran.
    pub async fn reminded_on(
        &self,
        tenant: &TenantId,
        on: Date,
    ) -> Result<Option<i64>, BillingError> {
        let item = self.table.get(&record::reminders_key(tenant, on)).await?;
        Ok(item.and_then(|i| i.get("sent").and_then(crate::ports::table::Value::as_n)))
    }

    /// Records that the reminders of `on` ran (kept for 60 days).
    pub async fn mark_reminded(
        &self,
        tenant: &TenantId,
        on: Date,
        sent: u32,
    ) -> Result<(), BillingError> {
        self.table
            .put(
                record::reminders_item(tenant, on, sent, self.clock.now()),
                None,
            )
            .await?;
        Ok(())
    }
}
