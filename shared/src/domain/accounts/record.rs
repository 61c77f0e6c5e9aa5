//! How this capability's records are keyed and mapped to items of the single table.

use std::collections::BTreeMap;

use super::{Account, AccountKind, AccountStatus, AccountSummary, fold_name};
use crate::domain::contact::{EmailAddress, PhoneNumber, PostalAddress, PostalAddressInput};
use crate::ids::{AccountId, TenantId};
use crate::ports::table::{Item, Key, TableError};
use crate::store::{self, keys};

#[derive(serde::Serialize, serde::Deserialize)]
pub struct AccountRecord {
    pub id: String,
    pub tenant: String,
    pub kind: AccountKind,
    pub number: String,
    pub name: String,
    pub billing_address: Option<PostalAddressInput>,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub attributes: BTreeMap<String, String>,
    #[serde(default)]
    pub group: Option<String>,
    pub status: AccountStatus,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// What the number and email index items hold, so a search costs one read.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct SummaryRecord {
    pub account: String,
    pub number: String,
    pub name: String,
    pub kind: AccountKind,
    pub status: AccountStatus,
    #[serde(default)]
    pub group: Option<String>,
}

fn bad(what: &str) -> TableError {
    TableError::Unreadable(format!("a stored account has a bad {what}"))
}

pub fn account_key(tenant: &TenantId, id: &AccountId) -> Key {
    Key::new(keys::account(tenant, id), keys::ACCOUNT_SK)
}

pub fn number_key(tenant: &TenantId, number: &str) -> Key {
    Key::new(keys::account_number(tenant, number), "ACCOUNT_NUMBER")
}

pub fn group_key(tenant: &TenantId, group: &str, id: &AccountId) -> Key {
    Key::new(keys::account_group(tenant, group), format!("ACCOUNT#{id}"))
}

pub fn email_key(tenant: &TenantId, email: &EmailAddress, id: &AccountId) -> Key {
    Key::new(
        keys::account_email(tenant, &email.folded()),
        format!("ACCOUNT#{id}"),
    )
}

pub fn to_item(a: &Account) -> Result<Item, TableError> {
    let record = AccountRecord {
        id: a.id.to_string(),
        tenant: a.tenant.to_string(),
        kind: a.kind,
        number: a.number.clone(),
        name: a.name.clone(),
        billing_address: a.billing_address.as_ref().map(PostalAddress::to_input),
        phones: a.phones.iter().map(|p| p.as_str().to_owned()).collect(),
        emails: a.emails.iter().map(|e| e.as_str().to_owned()).collect(),
        attributes: a.attributes.clone(),
        group: a.group.clone(),
        status: a.status,
        version: a.version as i64,
        created_at: store::rfc3339(a.created_at),
        updated_at: store::rfc3339(a.updated_at),
    };
    let key = account_key(&a.tenant, &a.id);
    Ok(store::keyed(
        store::to_item(&record)?,
        &[
            ("pk", key.pk),
            ("sk", key.sk),
            ("gsi1pk", keys::accounts_of(&a.tenant)),
            ("gsi1sk", a.id.to_string()),
            ("gsi2pk", keys::accounts_by_name(&a.tenant)),
            ("gsi2sk", format!("{}#{}", fold_name(&a.name), a.id)),
        ],
    ))
}

pub fn from_item(item: &Item) -> Result<Account, TableError> {
    let r: AccountRecord = store::from_item(item)?;
    Ok(Account {
        id: r.id.parse().map_err(|_| bad("id"))?,
        tenant: r.tenant.parse().map_err(|_| bad("tenant"))?,
        kind: r.kind,
        number: r.number,
        name: r.name,
        billing_address: r
            .billing_address
            .as_ref()
            .map(PostalAddress::parse)
            .transpose()
            .map_err(|_| bad("address"))?,
        phones: r.phones.iter().map(|p| PhoneNumber::stored(p)).collect(),
        emails: r
            .emails
            .iter()
            .map(|e| EmailAddress::parse(e))
            .collect::<Result<_, _>>()
            .map_err(|_| bad("email"))?,
        attributes: r.attributes,
        group: r.group,
        status: r.status,
        version: u64::try_from(r.version).map_err(|_| bad("version"))?,
        created_at: store::parse_rfc3339(&r.created_at).ok_or_else(|| bad("time"))?,
        updated_at: store::parse_rfc3339(&r.updated_at).ok_or_else(|| bad("time"))?,
    })
}

pub fn summary_item(a: &Account, key: Key) -> Result<Item, TableError> {
    let record = SummaryRecord {
        account: a.id.to_string(),
        number: a.number.clone(),
        name: a.name.clone(),
        kind: a.kind,
        status: a.status,
        group: a.group.clone(),
    };
    Ok(store::keyed(
        store::to_item(&record)?,
        &[("pk", key.pk), ("sk", key.sk)],
    ))
}

pub fn summary_from_item(item: &Item) -> Result<AccountSummary, TableError> {
    let r: SummaryRecord = store::from_item(item)?;
    Ok(AccountSummary {
        id: r.account.parse().map_err(|_| bad("id"))?,
        number: r.number,
        name: r.name,
        kind: r.kind,
        status: r.status,
        group: r.group,
    })
}

pub fn summary_from_account_item(item: &Item) -> Result<AccountSummary, TableError> {
    Ok(from_item(item)?.summary())
}
