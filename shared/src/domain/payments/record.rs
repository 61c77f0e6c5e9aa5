//! How card payments are keyed in the single table. An account's wallet and payments live
//! in its partition; the provider's connection, settings, the index from the gateway's
//! payment ids to ours, and the webhook events seen live in the tenant's.

use super::GatewayCheck;
use super::model::{CardPayment, Connection, PaymentSettings, Wallet};
use crate::domain::billing::dates;
use crate::ids::{AccountId, TenantId};
use crate::ports::table::{
    Condition, GSI1_PK, GSI1_SK, Index, Item, Key, Query, SortKey, TableError, Value, Write,
};
use crate::store::transaction::{VERSION, on_version};
use crate::store::{self, keys};

/// The `kind` of a card payment's item.
pub const CARD_PAYMENT_KIND: &str = "card-payment";

fn version_of(item: &Item) -> u64 {
    item.get(VERSION).and_then(Value::as_n).unwrap_or(0) as u64
}

fn json_record<T: serde::Serialize>(
    key: Key,
    record: &T,
    version: u64,
) -> Result<Item, TableError> {
    let json = serde_json::to_string(record)
        .map_err(|e| TableError::Invalid(format!("a payment record would not serialise: {e}")))?;
    Ok(store::keyed(
        Item::from([
            ("record".to_owned(), Value::S(json)),
            (VERSION.to_owned(), Value::N(version as i64)),
        ]),
        &[("pk", key.pk), ("sk", key.sk)],
    ))
}

fn from_json<T: serde::de::DeserializeOwned>(item: &Item) -> Result<(T, u64), TableError> {
    let json = item
        .get("record")
        .and_then(Value::as_s)
        .ok_or_else(|| TableError::Unreadable("a payment record has no body".into()))?;
    let record = serde_json::from_str(json)
        .map_err(|e| TableError::Unreadable(format!("a payment record is unreadable: {e}")))?;
    Ok((record, version_of(item)))
}

/// A put over the version read (None: nothing was there).
fn versioned(item: Item, read: Option<u64>) -> Write {
    Write::Put {
        item,
        condition: Some(match read {
            None => Condition::Absent,
            Some(v) => on_version(v),
        }),
    }
}

// The provider's connection and settings.

pub fn connection_key(tenant: &TenantId) -> Key {
    Key::new(keys::tenant(tenant), "PAYMENT_GATEWAY")
}

pub fn connection_item(tenant: &TenantId, c: &Connection) -> Result<Item, TableError> {
    json_record(connection_key(tenant), c, 1)
}

pub fn connection_from(item: &Item) -> Result<Connection, TableError> {
    Ok(from_json(item)?.0)
}

/// The provider's last check of the gateway's balance against the ledger.
pub fn check_key(tenant: &TenantId) -> Key {
    Key::new(keys::tenant(tenant), "PAYMENT_GATEWAY_CHECK")
}

pub fn check_item(tenant: &TenantId, check: &GatewayCheck) -> Result<Item, TableError> {
    json_record(check_key(tenant), check, 1)
}

pub fn check_from(item: &Item) -> Result<GatewayCheck, TableError> {
    Ok(from_json(item)?.0)
}

pub fn settings_key(tenant: &TenantId) -> Key {
    Key::new(keys::tenant(tenant), "PAYMENT_SETTINGS")
}

pub fn settings_item(tenant: &TenantId, s: &PaymentSettings) -> Result<Item, TableError> {
    json_record(settings_key(tenant), s, 1)
}

pub fn settings_from(item: Option<&Item>) -> Result<PaymentSettings, TableError> {
    match item {
        Some(item) => Ok(from_json(item)?.0),
        None => Ok(PaymentSettings::default()),
    }
}

// An account's wallet.

pub fn wallet_key(tenant: &TenantId, account: &AccountId) -> Key {
    Key::new(keys::account(tenant, account), "WALLET")
}

pub fn wallet_from(item: Option<&Item>) -> Result<(Wallet, Option<u64>), TableError> {
    match item {
        Some(item) => {
            let (w, v) = from_json(item)?;
            Ok((w, Some(v)))
        }
        None => Ok((Wallet::default(), None)),
    }
}

pub fn wallet_write(
    tenant: &TenantId,
    account: &AccountId,
    wallet: &Wallet,
    read: Option<u64>,
) -> Result<Write, TableError> {
    let item = json_record(
        wallet_key(tenant, account),
        wallet,
        read.map_or(1, |v| v + 1),
    )?;
    Ok(versioned(item, read))
}

// Card payments.

pub fn payment_key(tenant: &TenantId, account: &AccountId, id: &str) -> Key {
    Key::new(keys::account(tenant, account), format!("CARDPAY#{id}"))
}

pub fn payment_write(
    tenant: &TenantId,
    account: &AccountId,
    p: &CardPayment,
    read: Option<u64>,
) -> Result<Write, TableError> {
    let mut item = json_record(
        payment_key(tenant, account, &p.id),
        p,
        read.map_or(1, |v| v + 1),
    )?;
    item = store::keyed(
        item,
        &[
            ("kind", CARD_PAYMENT_KIND.to_owned()),
            ("tenant", tenant.to_string()),
            // The provider's card payments by day, for its reports.
            (GSI1_PK, format!("{}#CARDPAYS", keys::tenant(tenant))),
            (GSI1_SK, format!("{}#{}", time_text(p.created_at), p.id)),
        ],
    );
    Ok(versioned(item, read))
}

fn time_text(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

pub fn payment_from(item: &Item) -> Result<(CardPayment, u64), TableError> {
    from_json(item)
}

/// An account's card payments, newest first.
pub fn payments_of(tenant: &TenantId, account: &AccountId) -> Query {
    Query::partition(Index::Primary, keys::account(tenant, account))
        .sort(SortKey::BeginsWith("CARDPAY#".into()))
        .backward()
}

/// The provider's card payments started between two instants (RFC 3339 text bounds).
pub fn payments_between(tenant: &TenantId, from: &str, to: &str) -> Query {
    Query::partition(Index::Gsi1, format!("{}#CARDPAYS", keys::tenant(tenant)))
        .sort(SortKey::Between(from.to_owned(), format!("{to}\u{ffff}")))
}

/// The one payment a customer may have open on an invoice at a time: twenty clicks on
/// "Pay" start one.
pub fn open_on_invoice_key(tenant: &TenantId, account: &AccountId, invoice: &str) -> Key {
    Key::new(
        keys::account(tenant, account),
        format!("CARDPAY_OPEN#{invoice}"),
    )
}

pub fn open_on_invoice_write(
    tenant: &TenantId,
    account: &AccountId,
    invoice: &str,
    payment: &str,
    replacing: Option<&str>,
) -> Write {
    let k = open_on_invoice_key(tenant, account, invoice);
    Write::Put {
        item: store::keyed(
            Item::from([("payment".to_owned(), Value::S(payment.to_owned()))]),
            &[("pk", k.pk), ("sk", k.sk)],
        ),
        condition: Some(match replacing {
            None => Condition::Absent,
            Some(old) => Condition::Equals("payment".into(), Value::S(old.to_owned())),
        }),
    }
}

pub fn named_payment(item: &Item) -> Option<&str> {
    item.get("payment").and_then(Value::as_s)
}

/// The gateway's payment id, to ours: a webhook finds its payment within its tenant only.
pub fn intent_key(tenant: &TenantId, intent: &str) -> Key {
    Key::new(keys::tenant(tenant), format!("INTENT#{intent}"))
}

pub fn intent_write(tenant: &TenantId, intent: &str, account: &AccountId, payment: &str) -> Write {
    let k = intent_key(tenant, intent);
    Write::Put {
        item: store::keyed(
            Item::from([
                ("account".to_owned(), Value::S(account.to_string())),
                ("payment".to_owned(), Value::S(payment.to_owned())),
            ]),
            &[("pk", k.pk), ("sk", k.sk)],
        ),
        condition: None,
    }
}

pub fn intent_owner(item: &Item) -> Option<(AccountId, String)> {
    let account = item.get("account").and_then(Value::as_s)?.parse().ok()?;
    Some((account, named_payment(item)?.to_owned()))
}

/// A webhook event handled: a second delivery of it changes nothing.
pub fn event_key(tenant: &TenantId, event: &str) -> Key {
    Key::new(keys::tenant(tenant), format!("GATEWAY_EVENT#{event}"))
}

pub fn event_item(tenant: &TenantId, event: &str, kind: &str, at: time::OffsetDateTime) -> Item {
    let k = event_key(tenant, event);
    store::keyed(
        Item::from([
            ("type".to_owned(), Value::S(kind.to_owned())),
            ("received_at".to_owned(), Value::S(time_text(at))),
            // Kept a year, then the table forgets it (Stripe retries for three days).
            (
                crate::ports::table::EXPIRES_AT.to_owned(),
                Value::N((at + time::Duration::days(365)).unix_timestamp()),
            ),
        ]),
        &[("pk", k.pk), ("sk", k.sk)],
    )
}

/// Failed autopays waiting for a retry, by the provider's day it is due.
pub fn retry_key(tenant: &TenantId, on: time::Date, account: &AccountId, payment: &str) -> Key {
    Key::new(
        format!("{}#AUTOPAY_RETRIES", keys::tenant(tenant)),
        format!("{}#{account}#{payment}", dates::text(on)),
    )
}

pub fn retries_until(tenant: &TenantId, on: time::Date) -> Query {
    Query::partition(
        Index::Primary,
        format!("{}#AUTOPAY_RETRIES", keys::tenant(tenant)),
    )
    .sort(SortKey::Between(
        "0000".to_owned(),
        format!("{}#\u{ffff}", dates::text(on)),
    ))
}

pub fn retry_item(tenant: &TenantId, on: time::Date, account: &AccountId, payment: &str) -> Item {
    let k = retry_key(tenant, on, account, payment);
    store::keyed(
        Item::from([
            ("account".to_owned(), Value::S(account.to_string())),
            ("payment".to_owned(), Value::S(payment.to_owned())),
        ]),
        &[("pk", k.pk), ("sk", k.sk)],
    )
}

pub fn retry_from(item: &Item) -> Option<(AccountId, String)> {
    intent_owner(item)
}
