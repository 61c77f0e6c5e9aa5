//! The single table's key design and the mapping of each domain record to items, over the
//! Table port (so both adapters store the same items). `docs/data-model.md` lists every
//! access pattern and the key condition that serves it; the builders below are the only
//! place keys are spelled.

pub mod cursor;
pub mod idempotency;
pub mod scope;
pub mod stamp;
pub mod transaction;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::ports::table::{Item, Query, Table, TableError, Value, Write};

pub use cursor::{CursorCodec, InvalidCursor};
pub use stamp::Stamp;
pub use transaction::{
    NamedWrite, Saved, Transaction, TransactionError, on_version, put_on_version, save_on_version,
    update_on_version,
};

/// Converts a storage record (a private serde struct of a store module) to attributes.
pub fn to_item<T: Serialize>(record: &T) -> Result<Item, TableError> {
    match serde_json::to_value(record) {
        Ok(serde_json::Value::Object(map)) => map
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| Ok((k, json_to_value(v)?)))
            .collect(),
        Ok(_) => Err(TableError::Invalid("a record must be a struct".into())),
        Err(e) => Err(TableError::Invalid(format!(
            "a record would not serialise: {e}"
        ))),
    }
}

/// Reads a storage record back from an item (extra attributes, such as keys, are ignored).
pub fn from_item<T: DeserializeOwned>(item: &Item) -> Result<T, TableError> {
    let map: serde_json::Map<String, serde_json::Value> = item
        .iter()
        .map(|(k, v)| (k.clone(), value_to_json(v)))
        .collect();
    serde_json::from_value(serde_json::Value::Object(map))
        .map_err(|e| TableError::Unreadable(format!("a stored item is not a valid record: {e}")))
}

fn json_to_value(json: serde_json::Value) -> Result<Value, TableError> {
    Ok(match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => Value::N(
            n.as_i64()
                .ok_or_else(|| TableError::Invalid(format!("{n} is not a whole number")))?,
        ),
        serde_json::Value::String(s) => Value::S(s),
        serde_json::Value::Array(list) => Value::L(
            list.into_iter()
                .map(json_to_value)
                .collect::<Result<_, _>>()?,
        ),
        serde_json::Value::Object(map) => Value::M(
            map.into_iter()
                .map(|(k, v)| Ok((k, json_to_value(v)?)))
                .collect::<Result<_, TableError>>()?,
        ),
    })
}

fn value_to_json(value: &Value) -> serde_json::Value {
    match value {
        Value::S(s) => serde_json::Value::String(s.clone()),
        Value::N(n) => serde_json::Value::from(*n),
        Value::B(b) => serde_json::Value::Array(b.iter().map(|x| (*x).into()).collect()),
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Null => serde_json::Value::Null,
        Value::L(list) => serde_json::Value::Array(list.iter().map(value_to_json).collect()),
        Value::M(map) => serde_json::Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), value_to_json(v)))
                .collect(),
        ),
        Value::Ss(set) => serde_json::Value::Array(set.iter().map(|s| s.as_str().into()).collect()),
    }
}

/// Every item a query matches, reading page after page: for partitions known to stay
/// small (an account's services, a month's totals parts, a login's sessions). Large ones
/// are read a page at a time by their callers.
pub async fn query_all(table: &dyn Table, query: Query) -> Result<Vec<Item>, TableError> {
    let mut items = Vec::new();
    let mut query = query;
    loop {
        let page = table.query(query.clone()).await?;
        items.extend(page.items);
        match page.next {
            Some(next) => query = query.after(Some(next)),
            None => return Ok(items),
        }
    }
}

/// A tenant's settings document (access, orders, branding): one item holding the settings
/// as JSON text in `attribute`, the defaults while the tenant has chosen none.
pub async fn read_settings<T: DeserializeOwned + Default>(
    table: &dyn Table,
    key: &crate::ports::table::Key,
    attribute: &str,
) -> Result<T, TableError> {
    match table
        .get(key)
        .await?
        .as_ref()
        .and_then(|item| item.get(attribute))
        .and_then(Value::as_s)
    {
        Some(json) => serde_json::from_str(json).map_err(|e| {
            TableError::Unreadable(format!("stored settings ({key}) are unreadable: {e}"))
        }),
        None => Ok(T::default()),
    }
}

/// Replaces a settings document (see [`read_settings`]).
pub async fn write_settings<T: Serialize>(
    table: &dyn Table,
    key: &crate::ports::table::Key,
    attribute: &str,
    settings: &T,
    now: time::OffsetDateTime,
    with: Vec<Write>,
) -> Result<(), TableError> {
    let json = serde_json::to_string(settings)
        .map_err(|e| TableError::Invalid(format!("settings would not serialise: {e}")))?;
    let item = keyed(
        Item::from([
            (attribute.to_owned(), Value::S(json)),
            ("updated_at".to_owned(), Value::S(rfc3339(now))),
        ]),
        &[("pk", key.pk.clone()), ("sk", key.sk.clone())],
    );
    let mut writes = vec![Write::Put {
        item,
        condition: None,
    }];
    writes.extend(with);
    table.transact(writes).await
}

/// Adds the key and index attributes to a record's item.
pub fn keyed(mut item: Item, keys: &[(&str, String)]) -> Item {
    for (name, value) in keys {
        item.insert((*name).to_owned(), Value::S(value.clone()));
    }
    item
}

/// Key builders: every key in the table starts from the tenant it belongs to.
pub mod keys {
    use crate::ids::{AccountId, BoltOnId, LoginId, PlanId, TenantId};

    pub const TENANT_SK: &str = "TENANT";
    pub const ACCOUNT_SK: &str = "ACCOUNT";

    pub fn tenant(id: &TenantId) -> String {
        format!("TENANT#{id}")
    }
    /// The partition listing every tenant (GSI1).
    pub const ALL_TENANTS: &str = "TENANTS";
    pub fn retailers_of(wholesaler: &TenantId) -> String {
        format!("TENANT#{wholesaler}#RETAILERS")
    }
    pub fn slug(slug: &str) -> String {
        format!("SLUG#{slug}")
    }
    /// A tenant's own domain name (a claim: one tenant per domain).
    pub fn custom_domain(domain: &str) -> String {
        format!("DOMAIN#{domain}")
    }
    pub fn account(tenant: &TenantId, account: &AccountId) -> String {
        format!("TENANT#{tenant}#ACCOUNT#{account}")
    }
    pub fn accounts_of(tenant: &TenantId) -> String {
        format!("TENANT#{tenant}#ACCOUNTS")
    }
    pub fn accounts_by_name(tenant: &TenantId) -> String {
        format!("TENANT#{tenant}#ACCOUNTS_BY_NAME")
    }
    pub fn account_number(tenant: &TenantId, number: &str) -> String {
        format!("TENANT#{tenant}#ACCOUNT_NUMBER#{number}")
    }
    pub fn account_email(tenant: &TenantId, email: &str) -> String {
        format!("TENANT#{tenant}#ACCOUNT_EMAIL#{email}")
    }
    pub fn account_group(tenant: &TenantId, group: &str) -> String {
        format!("TENANT#{tenant}#ACCOUNT_GROUP#{group}")
    }
    pub fn idempotency(tenant: &TenantId, key: &str) -> String {
        format!("TENANT#{tenant}#IDEMPOTENCY#{key}")
    }
    pub fn plan(tenant: &TenantId, plan: &PlanId) -> String {
        format!("TENANT#{tenant}#PLAN#{plan}")
    }
    /// A tenant's plans (GSI1).
    pub fn plans_of(tenant: &TenantId) -> String {
        format!("TENANT#{tenant}#PLANS")
    }
    pub fn bolt_on(tenant: &TenantId, bolt_on: &BoltOnId) -> String {
        format!("TENANT#{tenant}#BOLT_ON#{bolt_on}")
    }
    /// A tenant's bolt-ons (GSI1).
    pub fn bolt_ons_of(tenant: &TenantId) -> String {
        format!("TENANT#{tenant}#BOLT_ONS")
    }
    /// The claim on a service identifier (a phone number, a circuit id).
    pub fn service_identifier(tenant: &TenantId, identifier: &str) -> String {
        format!("TENANT#{tenant}#SERVICE_IDENTIFIER#{identifier}")
    }
    pub const LOGIN_SK: &str = "LOGIN";
    pub fn login(tenant: &TenantId, login: &LoginId) -> String {
        format!("TENANT#{tenant}#LOGIN#{login}")
    }
    /// The claim on a username's look (its confusable skeleton).
    pub fn username_lookalike(tenant: &TenantId, skeleton: &str) -> String {
        format!("TENANT#{tenant}#USERNAME_LOOK#{skeleton}")
    }
    pub fn username(tenant: &TenantId, username: &str) -> String {
        format!("TENANT#{tenant}#USERNAME#{username}")
    }
    pub fn login_email(tenant: &TenantId, email: &str) -> String {
        format!("TENANT#{tenant}#LOGIN_EMAIL#{email}")
    }
    /// An account's logins (GSI1).
    pub fn logins_of(tenant: &TenantId, account: &AccountId) -> String {
        format!("TENANT#{tenant}#ACCOUNT#{account}#LOGINS")
    }
    /// A tenant's staff (GSI1).
    pub fn staff_of(tenant: &TenantId) -> String {
        format!("TENANT#{tenant}#STAFF")
    }
    /// A tenant's locked logins, by when they locked (GSI2, only locked logins have it).
    pub fn locked_logins(tenant: &TenantId) -> String {
        format!("TENANT#{tenant}#LOCKED")
    }
    /// A one-time link, by the hash of its secret.
    pub fn link(tenant: &TenantId, hash: &str) -> String {
        format!("TENANT#{tenant}#LINK#{hash}")
    }
    /// The second step of a sign-in, by the hash of its token.
    pub fn sign_in_challenge(tenant: &TenantId, hash: &str) -> String {
        format!("TENANT#{tenant}#CHALLENGE#{hash}")
    }
    /// A session, by the hash of its token.
    pub fn session(tenant: &TenantId, hash: &str) -> String {
        format!("TENANT#{tenant}#SESSION#{hash}")
    }
    /// A login's sessions (GSI1).
    pub fn sessions_of(tenant: &TenantId, login: &LoginId) -> String {
        format!("TENANT#{tenant}#LOGIN#{login}#SESSIONS")
    }
    /// Failed sign-ins from one client address in one window.
    /// A forgot-password request, waiting for the notifier.
    pub fn password_help(tenant: &TenantId, id: &str) -> String {
        format!("TENANT#{tenant}#PASSWORD_HELP#{id}")
    }
    /// Failed sign-ins under a name no login has (by the name's hash).
    pub fn unknown_sign_ins(tenant: &TenantId, name_hash: &str) -> String {
        format!("TENANT#{tenant}#UNKNOWN_SIGN_INS#{name_hash}")
    }
    pub fn throttle(tenant: &TenantId, address: &str) -> String {
        format!("TENANT#{tenant}#THROTTLE#{address}")
    }
    /// The tenant's audit trail, newest last.
    pub fn audit(tenant: &TenantId) -> String {
        format!("TENANT#{tenant}#AUDIT")
    }
    /// One account's audit trail (GSI1).
    pub fn account_audit(tenant: &TenantId, account: &AccountId) -> String {
        format!("TENANT#{tenant}#ACCOUNT#{account}#AUDIT")
    }
    /// Who accessed an account on its behalf: impersonations (GSI2).
    /// The colleagues an account's owner invited who have not set up their access yet.
    pub fn account_invitations(tenant: &TenantId, account: &AccountId) -> String {
        format!("TENANT#{tenant}#ACCOUNT#{account}#INVITED")
    }
    pub fn account_access(tenant: &TenantId, account: &AccountId) -> String {
        format!("TENANT#{tenant}#ACCOUNT#{account}#ACCESS")
    }
    /// A tenant's orders waiting for approval, oldest first (GSI1).
    pub fn orders_pending(tenant: &TenantId) -> String {
        format!("TENANT#{tenant}#ORDERS_PENDING")
    }
    /// A tenant's approved and rejected orders, by when they were decided (GSI1).
    pub fn orders_decided(tenant: &TenantId) -> String {
        format!("TENANT#{tenant}#ORDERS_DECIDED")
    }
    /// The orders a tenant provisions by hand: its own and, for a wholesaler, its
    /// retailers' (GSI2, while provisioning or halted).
    pub fn provisioning_queue(fulfiller: &TenantId) -> String {
        format!("TENANT#{fulfiller}#PROVISIONING")
    }
    /// A phone number of a tenant's inventory, until it is assigned.
    pub fn number(tenant: &TenantId, number: &str) -> String {
        format!("TENANT#{tenant}#NUMBER#{number}")
    }
    /// A tenant's available numbers of an area, by tier (GSI1, only while available).
    pub fn numbers_available(tenant: &TenantId, area: &str) -> String {
        format!("TENANT#{tenant}#NUMBERS_AVAILABLE#{area}")
    }
    pub const OUTBOX_SK: &str = "OUTBOX";
    pub fn outbox(tenant: &TenantId, id: &str) -> String {
        format!("TENANT#{tenant}#OUTBOX#{id}")
    }
    /// A tenant's failed mail, for staff (GSI1).
    pub fn outbox_failed(tenant: &TenantId) -> String {
        format!("TENANT#{tenant}#OUTBOX_FAILED")
    }
    /// Outbox messages waiting to be sent or retried, by when they are due (GSI2).
    pub const OUTBOX_DUE: &str = "OUTBOX_DUE";
    /// Forgot-password requests not answered yet, by when they were made (GSI2).
    pub const PASSWORD_HELP_WAITING: &str = "PASSWORD_HELP_WAITING";
}

/// Times are stored as RFC 3339 UTC text, which sorts as it reads.
pub fn rfc3339(at: time::OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

pub fn parse_rfc3339(text: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}
