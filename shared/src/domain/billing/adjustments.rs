//! Corrections staff make: one-off charges and credits added to an account, billed on its
//! next invoice; and credit notes against an issued invoice, with numbers of their own,
//! because an issued invoice is never edited.

use time::{Date, OffsetDateTime};

use super::invoice::{Invoice, InvoiceLine, LineKind};
use super::ledger::{EntryKind, LedgerEntry};
use super::{ATTEMPTS, Billing, BillingError, amounts, back_off, dates, record, settings};
use crate::domain::Violations;
use crate::ids::{AccountId, InvoiceId, TenantId};
use crate::ports::table::TableError;
use crate::store::Transaction;

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

fn check_text(v: &mut Violations, field: &str, text: &str, most: usize) {
    if !(1..=most).contains(&text.trim().chars().count()) {
        v.add(field, format!("1 to {most} characters"));
    }
}

impl Billing {
    /// Adds a one-off charge (or, negative, a credit) to the account's next invoice.
    pub async fn add_charge(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        description: &str,
        amount: i64,
        reason: &str,
        added_by: &str,
    ) -> Result<OneOffCharge, BillingError> {
        let mut v = Violations::default();
        check_text(&mut v, "/description", description, 80);
        check_text(&mut v, "/reason", reason, 200);
        if amount == 0 || amount.abs() > MAX_ADJUSTMENT {
            v.add(
                "/amount_minor",
                "not zero, and at most 1,000,000.00 either way",
            );
        }
        v.into_result().map_err(BillingError::Invalid)?;
        self.accounts.get(tenant, account).await?;
        let now = self.clock.now();
        let charge = OneOffCharge {
            id: InvoiceId::generate(now).to_string(),
            description: description.trim().to_owned(),
            amount,
            reason: reason.trim().to_owned(),
            state: ChargeState::Pending,
            invoice: None,
            added_by: added_by.to_owned(),
            added_on: self.today(tenant).await?,
            added_at: now,
        };
        self.table
            .transact(vec![record::charge_write(tenant, account, &charge, None)?])
            .await?;
        Ok(charge)
    }

    /// The account's one-off charges and credits, newest first (the last 1,000).
    pub async fn charges(
        &self,
        tenant: &TenantId,
        account: &AccountId,
    ) -> Result<Vec<OneOffCharge>, BillingError> {
        let items = self
            .table
            .query(record::charges_of(tenant, account).limit(1000))
            .await?
            .items;
        Ok(items
            .iter()
            .map(record::charge_from_item)
            .collect::<Result<_, _>>()?)
    }

    /// Takes back a one-off charge not yet invoiced; once on an invoice, a credit note
    /// corrects it instead.
    pub async fn remove_charge(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        id: &str,
    ) -> Result<(), BillingError> {
        if id.parse::<InvoiceId>().is_err() {
            return Err(BillingError::NotFound);
        }
        match self
            .table
            .delete(
                &record::charge_key(tenant, account, id),
                Some(record::still_pending()),
            )
            .await
        {
            Ok(()) => Ok(()),
            Err(TableError::ConditionFailed) => {
                match self
                    .table
                    .get(&record::charge_key(tenant, account, id))
                    .await?
                {
                    None => Err(BillingError::NotFound),
                    Some(_) => Err(BillingError::ChargeInvoiced),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Issues a credit note of `amount` (tax included) against an issued invoice.
    pub async fn credit_invoice(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        invoice: &str,
        amount: i64,
        reason: &str,
        issued_by: &str,
    ) -> Result<CreditNote, BillingError> {
        let mut v = Violations::default();
        check_text(&mut v, "/reason", reason, 200);
        if amount <= 0 || amount > MAX_ADJUSTMENT {
            v.add("/amount_minor", "more than zero, at most 1,000,000.00");
        }
        v.into_result().map_err(BillingError::Invalid)?;
        for attempt in 1..=ATTEMPTS {
            let (original, version) = self.invoice_versioned(tenant, account, invoice).await?;
            let room = original.total - original.credited;
            if amount > room {
                let mut v = Violations::default();
                v.add(
                    "/amount_minor",
                    format!(
                        "at most {}: what the invoice still holds to credit",
                        crate::domain::catalogue::money::decimal(room.max(0))
                    ),
                );
                return Err(BillingError::Invalid(v));
            }
            let now = self.clock.now();
            let today = self.today(tenant).await?;
            let counter = self
                .table
                .get(&record::credit_note_counter_key(tenant))
                .await?;
            let (sequence, counter_read) = record::counter_from(counter.as_ref());
            let tax = if original.total == 0 {
                0
            } else {
                amounts::round_half_away(
                    i128::from(amount) * i128::from(original.tax),
                    i128::from(original.total),
                )
            };
            let note = CreditNote {
                id: InvoiceId::generate(now).to_string(),
                number: format!("CN-{sequence:06}"),
                sequence,
                invoice: original.id.clone(),
                invoice_number: original.number.clone(),
                amount,
                tax,
                reason: reason.trim().to_owned(),
                issued_on: today,
                issued_by: issued_by.to_owned(),
                issued_at: now,
            };
            let corrected = Invoice {
                credited: original.credited + amount,
                ..original.clone()
            };
            let (owed, entries, balance_read) = record::balance_from(
                self.table
                    .get(&record::balance_key(tenant, account))
                    .await?
                    .as_ref(),
            );
            let entry = LedgerEntry {
                sequence: entries + 1,
                kind: EntryKind::CreditNote,
                date: today,
                reference: note.number.clone(),
                description: format!("Credit note against {}", original.number),
                amount: -amount,
                balance: owed - amount,
                invoice: Some(original.id.clone()),
                payment: None,
                credit_note: Some(note.id.clone()),
                recorded_at: now,
            };
            let mut tx = Transaction::new();
            tx.add(
                "credit note",
                record::credit_note_write(tenant, account, &note)?,
            )
            .add(
                "credit note counter",
                record::credit_note_counter_write(tenant, sequence + 1, counter_read),
            )
            .add(
                "invoice",
                record::invoice_paid_write(tenant, account, &corrected, version)?,
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
                Ok(()) => return Ok(note),
                Err(e) if e.is_contention() && attempt < ATTEMPTS => back_off(attempt).await,
                Err(e) if e.is_contention() => return Err(BillingError::Conflict),
                Err(e) => return Err(TableError::from(e).into()),
            }
        }
        Err(BillingError::Conflict)
    }

    /// The account's credit notes against one invoice, oldest first.
    pub async fn credit_notes_of(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        invoice: &str,
    ) -> Result<Vec<CreditNote>, BillingError> {
        let items = self
            .table
            .query(record::credit_notes_of(tenant, account).limit(200))
            .await?
            .items;
        let mut notes: Vec<CreditNote> = items
            .iter()
            .map(record::credit_note_from_item)
            .collect::<Result<_, _>>()?;
        notes.retain(|n| n.invoice == invoice);
        notes.sort_by_key(|n| n.sequence);
        Ok(notes)
    }
}
