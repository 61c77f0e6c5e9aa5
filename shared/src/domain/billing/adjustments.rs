//! Corrections staff make, as operations: one-off charges and credits added to an
//! account, billed on its next invoice; and credit notes against an issued invoice, with
//! numbers of their own, because an issued invoice is never edited. What they are is in
//! [`super::corrections`].

pub use super::corrections::{ChargeState, CreditNote, MAX_ADJUSTMENT, OneOffCharge, one_off_line};
use super::invoice::Invoice;
use super::ledger::{EntryKind, LedgerEntry};
use super::{ATTEMPTS, Billing, BillingError, amounts, back_off, record};
use crate::domain::Violations;
use crate::ids::{AccountId, InvoiceId, TenantId};
use crate::ports::table::TableError;
use crate::store::{Transaction, idempotency};

/// What an idempotency key is claimed for.
const CHARGE_SCOPE: &str = "ADD_CHARGE";
const CREDIT_NOTE_SCOPE: &str = "CREDIT_NOTE";

fn check_key(v: &mut Violations, key: Option<&str>) {
    if let Some(key) = key
        && let Err(m) = idempotency::check(key)
    {
        v.add("idempotency-key", m);
    }
}

fn check_text(v: &mut Violations, field: &str, text: &str, most: usize) {
    if !(1..=most).contains(&text.trim().chars().count()) {
        v.add(field, format!("1 to {most} characters"));
    }
}

impl Billing {
    /// Adds a one-off charge (or, negative, a credit) to the account's next invoice. With
    /// an idempotency key, the same request again answers the charge the first added
    /// (false: not added now).
    #[allow(clippy::too_many_arguments)]
    pub async fn add_charge(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        description: &str,
        amount: i64,
        reason: &str,
        added_by: &str,
        idempotency_key: Option<&str>,
    ) -> Result<(OneOffCharge, bool), BillingError> {
        let mut v = Violations::default();
        check_text(&mut v, "/description", description, 80);
        check_text(&mut v, "/reason", reason, 200);
        if amount == 0 || amount.abs() > MAX_ADJUSTMENT {
            v.add(
                "/amount_minor",
                "not zero, and at most 1,000,000.00 either way",
            );
        }
        check_key(&mut v, idempotency_key);
        v.into_result().map_err(BillingError::Invalid)?;
        self.accounts.get(tenant, account).await?;
        let fingerprint = idempotency::fingerprint(&(
            "charge",
            account.to_string(),
            description.trim(),
            amount,
            reason.trim(),
        ));
        if let Some(key) = idempotency_key
            && let Some(made) = self
                .earlier(tenant, key, CHARGE_SCOPE, &fingerprint)
                .await?
        {
            let charge = self
                .table
                .get(&record::charge_key(tenant, account, &made))
                .await?
                .ok_or(BillingError::NotFound)?;
            return Ok((record::charge_from_item(&charge)?, false));
        }
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
        let mut writes = vec![record::charge_write(tenant, account, &charge, None)?];
        if let Some(key) = idempotency_key {
            writes.push(idempotency::claim(
                tenant,
                key,
                CHARGE_SCOPE,
                &fingerprint,
                &charge.id,
                now,
            ));
        }
        match self.table.transact(writes).await {
            Ok(()) => Ok((charge, true)),
            // The same key at the same moment: the other request added it.
            Err(TableError::ConditionFailed) if idempotency_key.is_some() => {
                Box::pin(self.add_charge(
                    tenant,
                    account,
                    description,
                    amount,
                    reason,
                    added_by,
                    idempotency_key,
                ))
                .await
            }
            Err(e) => Err(e.into()),
        }
    }

    /// What an earlier request under the key made, or that another request holds it.
    async fn earlier(
        &self,
        tenant: &TenantId,
        key: &str,
        scope: &str,
        fingerprint: &str,
    ) -> Result<Option<String>, BillingError> {
        match idempotency::earlier(self.table.as_ref(), tenant, key, scope, fingerprint).await? {
            None => Ok(None),
            Some(idempotency::Earlier::Made(id)) => Ok(Some(id)),
            Some(idempotency::Earlier::Reused) => Err(BillingError::IdempotencyKeyReused),
        }
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
    #[allow(clippy::too_many_arguments)]
    pub async fn credit_invoice(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        invoice: &str,
        amount: i64,
        reason: &str,
        issued_by: &str,
        idempotency_key: Option<&str>,
    ) -> Result<(CreditNote, bool), BillingError> {
        let mut v = Violations::default();
        check_text(&mut v, "/reason", reason, 200);
        if amount <= 0 || amount > MAX_ADJUSTMENT {
            v.add("/amount_minor", "more than zero, at most 1,000,000.00");
        }
        check_key(&mut v, idempotency_key);
        v.into_result().map_err(BillingError::Invalid)?;
        let fingerprint = idempotency::fingerprint(&(
            "credit note",
            account.to_string(),
            invoice,
            amount,
            reason.trim(),
        ));
        for attempt in 1..=ATTEMPTS {
            if let Some(key) = idempotency_key
                && let Some(made) = self
                    .earlier(tenant, key, CREDIT_NOTE_SCOPE, &fingerprint)
                    .await?
            {
                let notes = self.credit_notes_of(tenant, account, invoice).await?;
                let note = notes
                    .into_iter()
                    .find(|n| n.id == made)
                    .ok_or(BillingError::NotFound)?;
                return Ok((note, false));
            }
            let (original, version) = self.invoice_versioned(tenant, account, invoice).await?;
            // What was written off is settled already: a credit for it would pay the
            // customer back money it never paid.
            let room = original.total - original.credited - original.written_off;
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
            if let Some(key) = idempotency_key {
                tx.add(
                    idempotency::CLAIM,
                    idempotency::claim(tenant, key, CREDIT_NOTE_SCOPE, &fingerprint, &note.id, now),
                );
            }
            match tx.commit(self.table.as_ref()).await {
                Ok(()) => return Ok((note, true)),
                // The same key at the same moment: the next turn answers what the other made.
                Err(crate::store::TransactionError::ConditionFailed(idempotency::CLAIM))
                    if attempt < ATTEMPTS => {}
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
