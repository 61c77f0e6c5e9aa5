//! How billing is keyed and mapped to items of the single table. Everything of an
//! account's billing lives in its partition (its invoices, its ledger and balance, the
//! claim each billing period makes, what each charge is billed up to); the invoice
//! counter is the tenant's.
//!
//! Each record that several bill runs could race for is written on a condition: a period
//! claim on its absence, the counter, the balance and the billed-up-to markers on the
//! version they were read at. One invoice's writes are one transaction.

use std::collections::BTreeMap;

use time::Date;

use super::batches::{BatchOutcome, RunBatch, RunStart};
use super::corrections::{ChargeState, CreditNote, OneOffCharge};
use super::dates;
use super::invoice::{DayUsage, Invoice};
use super::ledger::LedgerEntry;
use super::payments::Payment;
use crate::ids::{AccountId, TenantId};
use crate::ports::table::{
    Condition, GSI1_PK, GSI1_SK, Index, Item, Key, Query, SortKey, TableError, Value, Write,
};
use crate::store::transaction::{VERSION, on_version};
use crate::store::{self, keys};

/// The `kind` of an invoice's item and a credit note's: the stream filter that writes their
/// files picks them by it.
pub const INVOICE_KIND: &str = "invoice";
pub const CREDIT_NOTE_KIND: &str = "credit-note";

/// Names of an invoice transaction's writes whose refusal means something of its own.
pub const PERIOD_CLAIM: &str = "period claim";

fn account(tenant: &TenantId, account: &AccountId) -> String {
    keys::account(tenant, account)
}

/// A write over what was read: absent when nothing was (`read` None), else its version.
fn versioned(item: Item, read: Option<u64>) -> Write {
    Write::Put {
        item,
        condition: Some(match read {
            None => Condition::Absent,
            Some(v) => on_version(v),
        }),
    }
}

/// A small record of `attributes` at `key`, its version moved on, written over the version
/// it was read at (`read` None: nothing was there).
fn versioned_record(key: Key, attributes: Vec<(&str, Value)>, read: Option<u64>) -> Write {
    let mut item: Item = attributes
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    item.insert(
        VERSION.to_owned(),
        Value::N(read.map_or(1, |v| v + 1) as i64),
    );
    versioned(store::keyed(item, &[("pk", key.pk), ("sk", key.sk)]), read)
}

fn version_of(item: &Item) -> u64 {
    item.get(VERSION).and_then(Value::as_n).unwrap_or(0) as u64
}

// Invoices.

pub fn invoice_key(tenant: &TenantId, account_id: &AccountId, invoice: &str) -> Key {
    Key::new(account(tenant, account_id), format!("INVOICE#{invoice}"))
}

pub fn invoice_item(
    tenant: &TenantId,
    account_id: &AccountId,
    invoice: &Invoice,
    version: u64,
) -> Result<Item, TableError> {
    let k = invoice_key(tenant, account_id, &invoice.id);
    let mut item = store::keyed(
        store::to_item(invoice)?,
        &[
            ("pk", k.pk),
            ("sk", k.sk),
            ("kind", INVOICE_KIND.to_owned()),
            ("tenant", tenant.to_string()),
            // The provider's invoices by date, for its reports.
            (GSI1_PK, format!("{}#INVOICES", keys::tenant(tenant))),
            (
                GSI1_SK,
                format!(
                    "{}#{:012}",
                    dates::text(invoice.issued_on),
                    invoice.sequence
                ),
            ),
        ],
    );
    item.insert(VERSION.into(), Value::N(version as i64));
    Ok(item)
}

pub fn invoice_from_item(item: &Item) -> Result<(Invoice, u64), TableError> {
    Ok((store::from_item(item)?, version_of(item)))
}

/// An account's invoices, newest first (ids sort by time).
pub fn invoices_of(tenant: &TenantId, account_id: &AccountId) -> Query {
    Query::partition(Index::Primary, account(tenant, account_id))
        .sort(SortKey::BeginsWith("INVOICE#".into()))
        .backward()
}

/// The claim an invoice makes on its account's billing period: one invoice a period,
/// however many runs try.
pub fn period_claim(
    tenant: &TenantId,
    account_id: &AccountId,
    start: Date,
    invoice: &str,
) -> Write {
    let k = period_key(tenant, account_id, start);
    Write::Put {
        item: store::keyed(
            Item::from([("invoice".to_owned(), Value::S(invoice.to_owned()))]),
            &[("pk", k.pk), ("sk", k.sk)],
        ),
        condition: Some(Condition::Absent),
    }
}

pub fn period_key(tenant: &TenantId, account_id: &AccountId, start: Date) -> Key {
    Key::new(
        account(tenant, account_id),
        format!("INVOICE_PERIOD#{}", dates::text(start)),
    )
}

pub fn claimed_invoice(item: &Item) -> Option<&str> {
    item.get("invoice").and_then(Value::as_s)
}

// The tenant's invoice counter: the next sequence number, moved on only by the
// transaction that issues an invoice, so numbers have no gaps.

pub fn counter_key(tenant: &TenantId) -> Key {
    Key::new(keys::tenant(tenant), "INVOICE_COUNTER")
}

/// The next number and the version it was read at (None: no invoice yet).
pub fn counter_from(item: Option<&Item>) -> (i64, Option<u64>) {
    match item {
        None => (1, None),
        Some(item) => (
            item.get("next").and_then(Value::as_n).unwrap_or(1),
            Some(version_of(item)),
        ),
    }
}

pub fn counter_write(tenant: &TenantId, next: i64, read: Option<u64>) -> Write {
    versioned_record(counter_key(tenant), vec![("next", Value::N(next))], read)
}

// The balance and the ledger: entries append-only, numbered; the balance item holds the
// running balance and the number of entries, moved on with each entry.

pub fn balance_key(tenant: &TenantId, account_id: &AccountId) -> Key {
    Key::new(account(tenant, account_id), "BALANCE")
}

/// The balance, the entries so far and the version they were read at.
pub fn balance_from(item: Option<&Item>) -> (i64, i64, Option<u64>) {
    match item {
        None => (0, 0, None),
        Some(item) => (
            item.get("balance").and_then(Value::as_n).unwrap_or(0),
            item.get("entries").and_then(Value::as_n).unwrap_or(0),
            Some(version_of(item)),
        ),
    }
}

pub fn balance_write(
    tenant: &TenantId,
    account_id: &AccountId,
    balance: i64,
    entries: i64,
    read: Option<u64>,
) -> Write {
    versioned_record(
        balance_key(tenant, account_id),
        vec![
            ("balance", Value::N(balance)),
            ("entries", Value::N(entries)),
        ],
        read,
    )
}

pub fn entry_write(
    tenant: &TenantId,
    account_id: &AccountId,
    entry: &LedgerEntry,
) -> Result<Write, TableError> {
    Ok(Write::Put {
        item: store::keyed(
            store::to_item(entry)?,
            &[
                ("pk", account(tenant, account_id)),
                ("sk", format!("LEDGER#{:010}", entry.sequence)),
            ],
        ),
        condition: Some(Condition::Absent),
    })
}

pub fn entry_from_item(item: &Item) -> Result<LedgerEntry, TableError> {
    store::from_item(item)
}

/// An account's ledger, newest first.
pub fn ledger_of(tenant: &TenantId, account_id: &AccountId) -> Query {
    Query::partition(Index::Primary, account(tenant, account_id))
        .sort(SortKey::BeginsWith("LEDGER#".into()))
        .backward()
}

// What each recurring charge is billed up to.

pub fn billed_through_key(tenant: &TenantId, account_id: &AccountId, charge: &str) -> Key {
    Key::new(account(tenant, account_id), format!("BILLED#{charge}"))
}

pub fn billed_through_from(item: Option<&Item>) -> (Option<Date>, Option<u64>) {
    match item {
        None => (None, None),
        Some(item) => (
            item.get("through")
                .and_then(Value::as_s)
                .and_then(dates::parse),
            Some(version_of(item)),
        ),
    }
}

pub fn billed_through_write(
    tenant: &TenantId,
    account_id: &AccountId,
    charge: &str,
    through: Date,
    read: Option<u64>,
) -> Write {
    versioned_record(
        billed_through_key(tenant, account_id, charge),
        vec![("through", Value::S(dates::text(through)))],
        read,
    )
}

// What each service's usage days have been billed at, one item a service and month.

pub fn usage_billed_key(
    tenant: &TenantId,
    account_id: &AccountId,
    service: &str,
    month: &str,
) -> Key {
    Key::new(
        account(tenant, account_id),
        format!("USAGE_BILLED#{service}#{month}"),
    )
}

pub type BilledDays = BTreeMap<Date, DayUsage>;

pub fn usage_billed_from(item: Option<&Item>) -> Result<(BilledDays, Option<u64>), TableError> {
    match item {
        None => Ok((BTreeMap::new(), None)),
        Some(item) => {
            let stored: BTreeMap<String, DayUsage> = match item.get("days").and_then(Value::as_s) {
                Some(text) => serde_json::from_str(text)
                    .map_err(|e| TableError::Unreadable(format!("billed usage days: {e}")))?,
                None => BTreeMap::new(),
            };
            let days = stored
                .into_iter()
                .filter_map(|(d, u)| Some((dates::parse(&d)?, u)))
                .collect();
            Ok((days, Some(version_of(item))))
        }
    }
}

pub fn usage_billed_write(
    key: Key,
    days: &BilledDays,
    read: Option<u64>,
) -> Result<Write, TableError> {
    let stored: BTreeMap<String, DayUsage> =
        days.iter().map(|(d, u)| (dates::text(*d), *u)).collect();
    let text = serde_json::to_string(&stored)
        .map_err(|e| TableError::Invalid(format!("billed usage days: {e}")))?;
    Ok(versioned_record(key, vec![("days", Value::S(text))], read))
}

// Payments received outside a card gateway.

pub fn payment_key(tenant: &TenantId, account_id: &AccountId, payment: &str) -> Key {
    Key::new(account(tenant, account_id), format!("PAYMENT#{payment}"))
}

/// A payment's item: in its account's partition, and by the date it was received in the
/// provider's payments (for the payments-by-invoice report), at `version`.
fn payment_item(
    tenant: &TenantId,
    account_id: &AccountId,
    payment: &Payment,
    version: u64,
) -> Result<Item, TableError> {
    let k = payment_key(tenant, account_id, &payment.id);
    let mut item = store::keyed(
        store::to_item(payment)?,
        &[
            ("pk", k.pk),
            ("sk", k.sk),
            ("account", account_id.to_string()),
            (GSI1_PK, format!("{}#PAYMENTS", keys::tenant(tenant))),
            (
                GSI1_SK,
                format!("{}#{}", dates::text(payment.received_on), payment.id),
            ),
        ],
    );
    item.insert(VERSION.into(), Value::N(version as i64));
    Ok(item)
}

pub fn payment_write(
    tenant: &TenantId,
    account_id: &AccountId,
    payment: &Payment,
) -> Result<Write, TableError> {
    Ok(Write::Put {
        item: payment_item(tenant, account_id, payment, 1)?,
        condition: Some(Condition::Absent),
    })
}

/// A payment's allocations changed, over the version it was read at.
pub fn payment_reallocated_write(
    tenant: &TenantId,
    account_id: &AccountId,
    payment: &Payment,
    read: u64,
) -> Result<Write, TableError> {
    Ok(versioned(
        payment_item(tenant, account_id, payment, read + 1)?,
        Some(read),
    ))
}

/// The account a payment item belongs to.
pub fn payment_account(item: &Item) -> Option<AccountId> {
    item.get("account")?.as_s()?.parse().ok()
}

/// An account's payments, newest first.
pub fn payments_of(tenant: &TenantId, account_id: &AccountId) -> Query {
    Query::partition(Index::Primary, account(tenant, account_id))
        .sort(SortKey::BeginsWith("PAYMENT#".into()))
        .backward()
}

pub fn payment_from_item(item: &Item) -> Result<Payment, TableError> {
    store::from_item(item)
}

/// A payment and the version it was read at.
pub fn payment_with_version(item: &Item) -> Result<(Payment, u64), TableError> {
    Ok((store::from_item(item)?, version_of(item)))
}

/// The claim a payment's reference makes within its account, so a payment entered twice
/// (a double click, a retried request) is recorded once.
pub fn payment_reference_claim(
    tenant: &TenantId,
    account_id: &AccountId,
    reference: &str,
    payment: &str,
) -> Write {
    let k = payment_reference_key(tenant, account_id, reference);
    Write::Put {
        item: store::keyed(
            Item::from([("payment".to_owned(), Value::S(payment.to_owned()))]),
            &[("pk", k.pk), ("sk", k.sk)],
        ),
        condition: Some(Condition::Absent),
    }
}

/// The claim a gateway's refund makes within its account: recorded once, whoever tells of
/// it first (the console that asked for it, the webhook).
pub fn refund_claim(tenant: &TenantId, account_id: &AccountId, refund: &str, amount: i64) -> Write {
    let k = refund_key(tenant, account_id, refund);
    Write::Put {
        item: store::keyed(
            Item::from([("amount".to_owned(), Value::N(amount))]),
            &[("pk", k.pk), ("sk", k.sk)],
        ),
        condition: Some(Condition::Absent),
    }
}

pub fn refund_key(tenant: &TenantId, account_id: &AccountId, refund: &str) -> Key {
    Key::new(account(tenant, account_id), format!("REFUND#{refund}"))
}

pub fn payment_reference_key(tenant: &TenantId, account_id: &AccountId, reference: &str) -> Key {
    Key::new(
        account(tenant, account_id),
        format!("PAYMENT_REF#{}", reference.to_lowercase()),
    )
}

pub fn claimed_payment(item: &Item) -> Option<&str> {
    item.get("payment").and_then(Value::as_s)
}

/// An invoice written again with what was paid of it, over the version it was read at.
pub fn invoice_paid_write(
    tenant: &TenantId,
    account_id: &AccountId,
    invoice: &Invoice,
    read: u64,
) -> Result<Write, TableError> {
    Ok(versioned(
        invoice_item(tenant, account_id, invoice, read + 1)?,
        Some(read),
    ))
}

/// A put of a freshly issued invoice: its id is new, so nothing can be there.
pub fn invoice_write(
    tenant: &TenantId,
    account_id: &AccountId,
    invoice: &Invoice,
) -> Result<Write, TableError> {
    Ok(versioned(
        invoice_item(tenant, account_id, invoice, 1)?,
        None,
    ))
}

// The tenant's bill runs: one item a day (its latest attempt's plan), and one per batch of
// each attempt that reported.

pub fn run_key(tenant: &TenantId, on: Date) -> Key {
    Key::new(
        keys::tenant(tenant),
        format!("BILL_RUN#{}", dates::text(on)),
    )
}

pub(super) fn run_item(tenant: &TenantId, start: &RunStart) -> Result<Item, TableError> {
    let k = run_key(tenant, start.date);
    Ok(store::keyed(
        store::to_item(start)?,
        &[("pk", k.pk), ("sk", k.sk)],
    ))
}

pub(super) fn run_from_item(item: &Item) -> Result<RunStart, TableError> {
    store::from_item(item)
}

/// The tenant's runs, newest first.
pub fn runs_of(tenant: &TenantId) -> Query {
    Query::partition(Index::Primary, keys::tenant(tenant))
        .sort(SortKey::BeginsWith("BILL_RUN#".into()))
        .backward()
}

fn batches_prefix(on: Date, attempt: u32) -> String {
    format!("BILL_BATCH#{}#{attempt:06}#", dates::text(on))
}

pub(super) fn batch_item(batch: &RunBatch, outcome: &BatchOutcome) -> Result<Item, TableError> {
    Ok(store::keyed(
        store::to_item(outcome)?,
        &[
            ("pk", keys::tenant(&batch.tenant)),
            (
                "sk",
                format!(
                    "{}{:06}",
                    batches_prefix(batch.date, batch.attempt),
                    batch.batch
                ),
            ),
        ],
    ))
}

pub(super) fn batch_from_item(item: &Item) -> Result<BatchOutcome, TableError> {
    store::from_item(item)
}

/// The batches of an attempt that reported.
pub(super) fn batches_of(tenant: &TenantId, on: Date, attempt: u32) -> Query {
    Query::partition(Index::Primary, keys::tenant(tenant))
        .sort(SortKey::BeginsWith(batches_prefix(on, attempt)))
        .limit(1000)
}

// One-off charges and credits: pending until an invoice takes them.

pub fn charge_key(tenant: &TenantId, account_id: &AccountId, id: &str) -> Key {
    Key::new(account(tenant, account_id), format!("CHARGE#{id}"))
}

/// The condition that a charge is still waiting for an invoice.
pub fn still_pending() -> Condition {
    Condition::Equals("state".into(), Value::S("pending".into()))
}

/// A charge written new (`was_pending` None) or taken by an invoice (over its pending
/// state, so two invoices cannot both take it).
pub fn charge_write(
    tenant: &TenantId,
    account_id: &AccountId,
    charge: &OneOffCharge,
    was_pending: Option<()>,
) -> Result<Write, TableError> {
    let k = charge_key(tenant, account_id, &charge.id);
    Ok(Write::Put {
        item: store::keyed(store::to_item(charge)?, &[("pk", k.pk), ("sk", k.sk)]),
        condition: Some(match was_pending {
            None => Condition::Absent,
            Some(()) => still_pending(),
        }),
    })
}

pub fn charge_from_item(item: &Item) -> Result<OneOffCharge, TableError> {
    store::from_item(item)
}

/// An account's one-off charges, newest first.
pub fn charges_of(tenant: &TenantId, account_id: &AccountId) -> Query {
    Query::partition(Index::Primary, account(tenant, account_id))
        .sort(SortKey::BeginsWith("CHARGE#".into()))
        .backward()
}

pub fn is_pending(charge: &OneOffCharge) -> bool {
    charge.state == ChargeState::Pending
}

// Credit notes, and the tenant's counter of their numbers.

pub fn credit_note_counter_key(tenant: &TenantId) -> Key {
    Key::new(keys::tenant(tenant), "CREDIT_NOTE_COUNTER")
}

pub fn credit_note_counter_write(tenant: &TenantId, next: i64, read: Option<u64>) -> Write {
    versioned_record(
        credit_note_counter_key(tenant),
        vec![("next", Value::N(next))],
        read,
    )
}

pub fn credit_note_write(
    tenant: &TenantId,
    account_id: &AccountId,
    note: &CreditNote,
) -> Result<Write, TableError> {
    Ok(Write::Put {
        item: store::keyed(
            store::to_item(note)?,
            &[
                ("pk", account(tenant, account_id)),
                ("sk", format!("CREDIT_NOTE#{}", note.id)),
                ("kind", CREDIT_NOTE_KIND.to_owned()),
                ("tenant", tenant.to_string()),
                ("account", account_id.to_string()),
                (GSI1_PK, format!("{}#CREDIT_NOTES", keys::tenant(tenant))),
                (
                    GSI1_SK,
                    format!("{}#{:012}", dates::text(note.issued_on), note.sequence),
                ),
            ],
        ),
        condition: Some(Condition::Absent),
    })
}

pub fn credit_note_from_item(item: &Item) -> Result<CreditNote, TableError> {
    store::from_item(item)
}

pub fn credit_notes_of(tenant: &TenantId, account_id: &AccountId) -> Query {
    Query::partition(Index::Primary, account(tenant, account_id))
        .sort(SortKey::BeginsWith("CREDIT_NOTE#".into()))
}

/// The provider's invoices, or credit notes, issued from `from` to `to` (both included).
pub fn issued_between(tenant: &TenantId, what: &str, from: Date, to: Date) -> Query {
    Query::partition(Index::Gsi1, format!("{}#{what}", keys::tenant(tenant))).sort(
        SortKey::Between(
            format!("{}#", dates::text(from)),
            format!("{}#~", dates::text(to)),
        ),
    )
}

/// The mark that a provider's overdue reminders of a day ran (expires after 60 days).
pub fn reminders_key(tenant: &TenantId, on: Date) -> Key {
    Key::new(
        keys::tenant(tenant),
        format!("REMINDERS#{}", dates::text(on)),
    )
}

pub fn reminders_item(tenant: &TenantId, on: Date, sent: u32, now: time::OffsetDateTime) -> Item {
    let k = reminders_key(tenant, on);
    store::keyed(
        Item::from([
            ("sent".to_owned(), Value::N(i64::from(sent))),
            (
                crate::ports::table::EXPIRES_AT.to_owned(),
                Value::N((now + time::Duration::days(60)).unix_timestamp()),
            ),
        ]),
        &[("pk", k.pk), ("sk", k.sk)],
    )
}
