//! Accounts: the end users and agents of a retail provider.
//!
//! Rules kept here: an account's kind never changes (nothing can set it after creation);
//! accounts are deactivated and reactivated, never deleted; account numbers are unique
//! within the tenant; every account has one to ten primary email addresses, all of which
//! receive its mail; the tenant decides which extra attributes accounts carry.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::Violations;
use super::contact::{EmailAddress, PhoneNumber, PostalAddress, PostalAddressInput};
use super::paging::{self, Page, PageRequest, PagingError};
use super::tenancy::{Tenant, TenantKind};
use crate::ids::{AccountId, TenantId};
use crate::ports::Clock;
use crate::ports::table::{
    Condition, EXPIRES_AT, Index, Item, Key, Query, SortKey, Table, TableError, Update, Value,
    Write,
};
use crate::store::Stamp;
/// The names of the writes whose refusal means something of its own.
const IDEMPOTENCY_CLAIM: &str = "idempotency claim";
const NUMBER_CLAIM: &str = "account number claim";

use crate::store::{self, CursorCodec, Transaction, TransactionError, keys};

pub const MAX_EMAILS: usize = 10;
pub const MAX_PHONES: usize = 5;
/// How long a create request's idempotency key is remembered.
pub const IDEMPOTENCY_WINDOW: time::Duration = time::Duration::hours(24);

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    EndUser,
    Agent,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    Inactive,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub tenant: TenantId,
    kind: AccountKind,
    pub number: String,
    pub name: String,
    pub billing_address: Option<PostalAddress>,
    pub phones: Vec<PhoneNumber>,
    pub emails: Vec<EmailAddress>,
    pub attributes: BTreeMap<String, String>,
    /// The account group it belongs to; staff limited to groups see only theirs.
    pub group: Option<String>,
    pub status: AccountStatus,
    /// Grows by one with every change; a client sends it back to update safely.
    pub version: u64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Account {
    /// Fixed at creation: there is no setter.
    pub fn kind(&self) -> AccountKind {
        self.kind
    }

    pub fn summary(&self) -> AccountSummary {
        AccountSummary {
            id: self.id,
            number: self.number.clone(),
            name: self.name.clone(),
            kind: self.kind,
            status: self.status,
            group: self.group.clone(),
        }
    }
}

/// What lists and searches show of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSummary {
    pub id: AccountId,
    pub number: String,
    pub name: String,
    pub kind: AccountKind,
    pub status: AccountStatus,
    pub group: Option<String>,
}

/// A new account as asked for, before validation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NewAccount {
    pub kind: AccountKind,
    /// Left out, the next number of the tenant's sequence is given.
    pub number: Option<String>,
    pub name: String,
    pub billing_address: Option<PostalAddressInput>,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub attributes: BTreeMap<String, String>,
    pub group: Option<String>,
}

/// Changes to an account; what is None stays as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccountChanges {
    /// An account's kind never changes: only the kind it has is accepted here (clients
    /// that send the whole account back), any other is refused as [`AccountError::KindImmutable`].
    pub kind: Option<AccountKind>,
    pub name: Option<String>,
    /// `Some(None)` removes the address.
    pub billing_address: Option<Option<PostalAddressInput>>,
    pub phones: Option<Vec<String>>,
    pub emails: Option<Vec<String>>,
    /// Replaces the attributes given; others stay.
    pub attributes: Option<BTreeMap<String, String>>,
    /// `Some(None)` takes the account out of its group.
    pub group: Option<Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountSearch {
    /// Accounts whose name begins with this (case and spacing ignored).
    NamePrefix(String),
    Email(String),
    Number(String),
    /// What staff type in one box: a piece of the name anywhere in it, the account
    /// number, an email address, or the digits of a phone number (national or
    /// international form). No index serves a piece of a name: accounts are read in name
    /// order and a page may come back short, with a cursor to go on from. `groups`: the
    /// account groups the reader sees (None: every account); an account outside them is
    /// never counted, so neither a page's items nor where it stopped depend on it.
    Anything {
        text: String,
        groups: Option<BTreeSet<String>>,
    },
}

impl AccountSearch {
    fn matches(text: &str, groups: Option<BTreeSet<String>>) -> impl Fn(&Account) -> bool {
        let folded = fold_name(text);
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        // A phone number as typed: digits and the usual separators, at least six digits.
        let national = digits.trim_start_matches('0').to_owned();
        let phone = national.len() >= 6
            && text
                .chars()
                .all(|c| c.is_ascii_digit() || " +-.()".contains(c));
        move |account: &Account| {
            let visible = match &groups {
                None => true,
                Some(groups) => account.group.as_ref().is_some_and(|g| groups.contains(g)),
            };
            // National form (02 5550 1234) matches the international one (+61 2 5550 1234).
            visible
                && (fold_name(&account.name).contains(&folded)
                    || account.number.eq_ignore_ascii_case(text.trim())
                    || account.emails.iter().any(|e| e.folded() == folded)
                    || (phone
                        && account.phones.iter().any(|p| {
                            let own: String =
                                p.as_str().chars().filter(char::is_ascii_digit).collect();
                            own.ends_with(&national)
                        })))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("invalid account: {0}")]
    Invalid(Violations),
    #[error("no such account")]
    NotFound,
    #[error("the account number {0} is taken")]
    NumberTaken(String),
    #[error("the account has changed since version {expected}; it is at {current}")]
    StaleVersion { expected: u64, current: u64 },
    #[error("this idempotency key was used for a different request")]
    IdempotencyKeyReused,
    #[error("accounts are deactivated, never deleted")]
    DeletionRefused,
    #[error("an account's kind never changes: it is {0:?}")]
    KindImmutable(AccountKind),
    #[error("accounts belong to retail providers, not to wholesalers")]
    WrongTenantKind,
    #[error("the cursor is not one this list issued")]
    InvalidCursor,
    #[error(transparent)]
    Storage(#[from] TableError),
}

fn invalid(field: &str, message: impl Into<String>) -> AccountError {
    let mut v = Violations::default();
    v.add(field, message);
    AccountError::Invalid(v)
}

/// Account numbers: 1 to 32 letters, digits and dashes.
pub fn check_account_number(number: &str) -> Result<(), String> {
    if (1..=32).contains(&number.len())
        && number
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        Ok(())
    } else {
        Err("use 1 to 32 letters, digits and dashes".into())
    }
}

/// Account group names: 1 to 40 letters, digits, spaces, - and _.
pub fn check_group(name: &str) -> Result<(), String> {
    if (1..=40).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_' || c == ' ')
    {
        Ok(())
    } else {
        Err("use 1 to 40 letters, digits, spaces, - and _".into())
    }
}

/// How names are compared in search: lower case, single spaces.
fn paging_error(e: PagingError) -> AccountError {
    match e {
        PagingError::InvalidLimit(m) => invalid("limit", m),
        PagingError::InvalidCursor => AccountError::InvalidCursor,
        PagingError::Storage(e) => AccountError::Storage(e),
    }
}

pub fn fold_name(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

struct Details {
    name: String,
    billing_address: Option<PostalAddress>,
    phones: Vec<PhoneNumber>,
    emails: Vec<EmailAddress>,
}

fn check_details(
    name: &str,
    address: Option<&PostalAddressInput>,
    phones: &[String],
    emails: &[String],
    violations: &mut Violations,
) -> Option<Details> {
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > 120 {
        violations.add("/name", "give a name of 1 to 120 characters");
    }
    let billing_address = match address.map(PostalAddress::parse) {
        None => None,
        Some(Ok(a)) => Some(a),
        Some(Err(errors)) => {
            for (field, message) in errors {
                violations.add(format!("/billing_address/{field}"), message);
            }
            None
        }
    };
    if phones.len() > MAX_PHONES {
        violations.add("/phones", format!("at most {MAX_PHONES} phone numbers"));
    }
    let mut parsed_phones = Vec::new();
    for (i, p) in phones.iter().enumerate() {
        match PhoneNumber::parse(p) {
            Ok(p) if !parsed_phones.contains(&p) => parsed_phones.push(p),
            Ok(_) => {}
            Err(m) => violations.add(format!("/phones/{i}"), m),
        }
    }
    if emails.is_empty() || emails.len() > MAX_EMAILS {
        violations.add("/emails", format!("give 1 to {MAX_EMAILS} email addresses"));
    }
    let mut parsed_emails: Vec<EmailAddress> = Vec::new();
    for (i, e) in emails.iter().enumerate() {
        match EmailAddress::parse(e) {
            Ok(e) if !parsed_emails.iter().any(|x| x.folded() == e.folded()) => {
                parsed_emails.push(e)
            }
            Ok(_) => {}
            Err(m) => violations.add(format!("/emails/{i}"), m),
        }
    }
    violations.is_empty().then_some(Details {
        name,
        billing_address,
        phones: parsed_phones,
        emails: parsed_emails,
    })
}

/// Checks attributes against the tenant's definitions; with `fill`, adds the defaults.
fn check_attributes(
    tenant: &Tenant,
    given: &BTreeMap<String, String>,
    fill: bool,
    violations: &mut Violations,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (name, value) in given {
        if !tenant.account_attributes.iter().any(|d| &d.name == name) {
            violations.add(
                format!("/attributes/{name}"),
                "this provider has no such attribute",
            );
        } else if value.chars().count() > 200 {
            violations.add(format!("/attributes/{name}"), "at most 200 characters");
        } else {
            out.insert(name.clone(), value.clone());
        }
    }
    if fill {
        for definition in &tenant.account_attributes {
            if out.contains_key(&definition.name) {
                continue;
            }
            match &definition.default {
                Some(default) => {
                    out.insert(definition.name.clone(), default.clone());
                }
                None if definition.required => violations.add(
                    format!("/attributes/{}", definition.name),
                    "this attribute is required",
                ),
                None => {}
            }
        }
    }
    out
}

/// The key of an account's record, for reads batched with others.
pub fn record_key(tenant: &TenantId, id: &AccountId) -> Key {
    record::account_key(tenant, id)
}

/// The status an account's record holds.
pub fn status_in(item: &Item) -> Option<AccountStatus> {
    match item.get("status").and_then(Value::as_s)? {
        "active" => Some(AccountStatus::Active),
        "inactive" => Some(AccountStatus::Inactive),
        _ => None,
    }
}

mod record;

pub struct Accounts {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    cursors: CursorCodec,
}

impl Accounts {
    pub fn new(table: Arc<dyn Table>, clock: Arc<dyn Clock>, cursors: CursorCodec) -> Self {
        Accounts {
            table,
            clock,
            cursors,
        }
    }

    /// Opens an account. With an idempotency key, a repeat of the same request returns
    /// the account the first one opened, and a different request under the key is refused.
    pub async fn create(
        &self,
        tenant: &Tenant,
        new: NewAccount,
        idempotency_key: Option<&str>,
    ) -> Result<Account, AccountError> {
        if tenant.kind != TenantKind::Retail {
            return Err(AccountError::WrongTenantKind);
        }
        let mut violations = Violations::default();
        if let Some(number) = &new.number
            && let Err(m) = check_account_number(number)
        {
            violations.add("/number", m);
        }
        if let Some(group) = &new.group
            && let Err(m) = check_group(group)
        {
            violations.add("/group", m);
        }
        if let Some(key) = idempotency_key
            && !(8..=128).contains(&key.len())
        {
            violations.add("idempotency-key", "use 8 to 128 characters");
        }
        let details = check_details(
            &new.name,
            new.billing_address.as_ref(),
            &new.phones,
            &new.emails,
            &mut violations,
        );
        let attributes = check_attributes(tenant, &new.attributes, true, &mut violations);
        let Some(details) = details.filter(|_| violations.is_empty()) else {
            return Err(AccountError::Invalid(violations));
        };
        let fingerprint = {
            let json = serde_json::to_vec(&new).unwrap_or_default();
            hex::encode(Sha256::digest(json))
        };
        if let Some(key) = idempotency_key
            && let Some(existing) = self.replay(&tenant.id, key, &fingerprint).await?
        {
            return Ok(existing);
        }
        let number = match new.number {
            Some(number) => number,
            None => self.next_number(&tenant.id).await?,
        };
        let now = self.clock.now();
        let account = Account {
            id: AccountId::generate(now),
            tenant: tenant.id,
            kind: new.kind,
            number,
            name: details.name,
            billing_address: details.billing_address,
            phones: details.phones,
            emails: details.emails,
            attributes,
            group: new.group.clone(),
            status: AccountStatus::Active,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let mut tx = Transaction::new();
        if let Some(key) = idempotency_key {
            let item = store::keyed(
                Item::from([
                    ("account".to_owned(), Value::S(account.id.to_string())),
                    ("fingerprint".to_owned(), Value::S(fingerprint.clone())),
                    (
                        EXPIRES_AT.to_owned(),
                        Value::N((now + IDEMPOTENCY_WINDOW).unix_timestamp()),
                    ),
                ]),
                &[
                    ("pk", keys::idempotency(&tenant.id, key)),
                    ("sk", "CREATE_ACCOUNT".to_owned()),
                ],
            );
            tx.add(
                IDEMPOTENCY_CLAIM,
                Write::Put {
                    item,
                    condition: Some(Condition::Absent),
                },
            );
        }
        tx.add(
            NUMBER_CLAIM,
            Write::Put {
                item: record::summary_item(
                    &account,
                    record::number_key(&tenant.id, &account.number),
                )?,
                condition: Some(Condition::Absent),
            },
        );
        tx.add(
            "account",
            Write::Put {
                item: record::to_item(&account)?,
                condition: Some(Condition::Absent),
            },
        );
        if let Some(group) = &account.group {
            tx.add(
                "index entry",
                Write::Put {
                    item: record::summary_item(
                        &account,
                        record::group_key(&tenant.id, group, &account.id),
                    )?,
                    condition: None,
                },
            );
        }
        for email in &account.emails {
            tx.add(
                "index entry",
                Write::Put {
                    item: record::summary_item(
                        &account,
                        record::email_key(&tenant.id, email, &account.id),
                    )?,
                    condition: None,
                },
            );
        }
        match tx.commit(self.table.as_ref()).await {
            Ok(()) => {
                tracing::info!(tenant = %tenant.id, account = %account.id, "account opened");
                Ok(account)
            }
            Err(TransactionError::ConditionFailed(NUMBER_CLAIM)) => {
                Err(AccountError::NumberTaken(account.number))
            }
            Err(TransactionError::ConditionFailed(IDEMPOTENCY_CLAIM)) => {
                // Another request with the same key won the race: answer as it was answered.
                let key = idempotency_key.unwrap_or_default();
                self.replay(&tenant.id, key, &fingerprint)
                    .await?
                    .ok_or(AccountError::IdempotencyKeyReused)
            }
            Err(e) => Err(TableError::from(e).into()),
        }
    }

    /// The account an earlier request with this key opened, if any.
    async fn replay(
        &self,
        tenant: &TenantId,
        key: &str,
        fingerprint: &str,
    ) -> Result<Option<Account>, AccountError> {
        let Some(item) = self
            .table
            .get(&Key::new(keys::idempotency(tenant, key), "CREATE_ACCOUNT"))
            .await?
        else {
            return Ok(None);
        };
        if item.get("fingerprint").and_then(Value::as_s) != Some(fingerprint) {
            return Err(AccountError::IdempotencyKeyReused);
        }
        let id = item
            .get("account")
            .and_then(Value::as_s)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| {
                TableError::Unavailable("an idempotency item lacks its account".into())
            })?;
        self.get(tenant, &id).await.map(Some)
    }

    /// The next number of the tenant's sequence (100001, 100002, …). A number drawn for a
    /// request that then fails is skipped, never given twice.
    async fn next_number(&self, tenant: &TenantId) -> Result<String, AccountError> {
        for _ in 0..5 {
            let counter = self
                .table
                .update(
                    &Key::new(keys::tenant(tenant), "COUNTER#ACCOUNT_NUMBER"),
                    Update::default().add("value", 1),
                    None,
                )
                .await?;
            let n = counter.get("value").and_then(Value::as_n).unwrap_or(1);
            let number = (100_000 + n).to_string();
            // A provider may have chosen this number by hand: skip it if so.
            if self
                .table
                .get(&record::number_key(tenant, &number))
                .await?
                .is_none()
            {
                return Ok(number);
            }
        }
        Err(AccountError::NumberTaken("(sequence)".into()))
    }

    pub async fn get(&self, tenant: &TenantId, id: &AccountId) -> Result<Account, AccountError> {
        let item = self
            .table
            .get(&record::account_key(tenant, id))
            .await?
            .ok_or(AccountError::NotFound)?;
        let account = record::from_item(&item)?;
        // Keys carry the tenant, so this cannot differ; checked anyway, as a second wall.
        if account.tenant != *tenant {
            return Err(AccountError::NotFound);
        }
        Ok(account)
    }

    /// Applies the changes. With `expected_version`, refuses if the account has moved on.
    pub async fn update(
        &self,
        tenant: &Tenant,
        id: &AccountId,
        changes: AccountChanges,
        expected_version: Option<u64>,
        stamp: &Stamp,
    ) -> Result<Account, AccountError> {
        self.change(&tenant.id, id, expected_version, stamp, |current| {
            if changes.kind.is_some_and(|kind| kind != current.kind) {
                return Err(AccountError::KindImmutable(current.kind));
            }
            let mut violations = Violations::default();
            let address = match &changes.billing_address {
                None => current
                    .billing_address
                    .as_ref()
                    .map(PostalAddress::to_input),
                Some(a) => a.clone(),
            };
            let phones = changes.phones.clone().unwrap_or_else(|| {
                current
                    .phones
                    .iter()
                    .map(|p| p.as_str().to_owned())
                    .collect()
            });
            let emails = changes.emails.clone().unwrap_or_else(|| {
                current
                    .emails
                    .iter()
                    .map(|e| e.as_str().to_owned())
                    .collect()
            });
            let details = check_details(
                changes.name.as_deref().unwrap_or(&current.name),
                address.as_ref(),
                &phones,
                &emails,
                &mut violations,
            );
            let mut attributes = current.attributes.clone();
            if let Some(given) = &changes.attributes {
                attributes.extend(check_attributes(tenant, given, false, &mut violations));
            }
            let mut group = current.group.clone();
            if let Some(given) = &changes.group {
                if let Some(name) = given
                    && let Err(m) = check_group(name)
                {
                    violations.add("/group", m);
                }
                group = given.clone();
            }
            let details = details.filter(|_| violations.is_empty());
            let details = details.ok_or(AccountError::Invalid(violations))?;
            let mut next = current.clone();
            next.name = details.name;
            next.billing_address = details.billing_address;
            next.phones = details.phones;
            next.emails = details.emails;
            next.attributes = attributes;
            next.group = group;
            Ok(next)
        })
        .await
    }

    pub async fn deactivate(
        &self,
        tenant: &TenantId,
        id: &AccountId,
        stamp: &Stamp,
    ) -> Result<Account, AccountError> {
        self.set_status(tenant, id, AccountStatus::Inactive, stamp)
            .await
    }

    pub async fn reactivate(
        &self,
        tenant: &TenantId,
        id: &AccountId,
        stamp: &Stamp,
    ) -> Result<Account, AccountError> {
        self.set_status(tenant, id, AccountStatus::Active, stamp)
            .await
    }

    /// Always refused: an account keeps its history. Deactivate it instead.
    pub async fn delete(&self, _tenant: &TenantId, _id: &AccountId) -> Result<(), AccountError> {
        Err(AccountError::DeletionRefused)
    }

    /// Idempotent: setting the status an account has already changes nothing.
    async fn set_status(
        &self,
        tenant: &TenantId,
        id: &AccountId,
        status: AccountStatus,
        stamp: &Stamp,
    ) -> Result<Account, AccountError> {
        self.change(tenant, id, None, stamp, |current| {
            let mut next = current.clone();
            next.status = status;
            Ok(next)
        })
        .await
    }

    /// Reads, applies `edit`, and writes back on the condition that nobody wrote between;
    /// retries a lost race unless the caller named the version it expects.
    async fn change(
        &self,
        tenant: &TenantId,
        id: &AccountId,
        expected_version: Option<u64>,
        stamp: &Stamp,
        edit: impl Fn(&Account) -> Result<Account, AccountError>,
    ) -> Result<Account, AccountError> {
        for _ in 0..5 {
            let current = self.get(tenant, id).await?;
            if let Some(expected) = expected_version
                && expected != current.version
            {
                return Err(AccountError::StaleVersion {
                    expected,
                    current: current.version,
                });
            }
            let mut next = edit(&current)?;
            if next == current {
                return Ok(current);
            }
            next.version = current.version + 1;
            next.updated_at = self.clock.now();
            let mut tx = Transaction::new();
            tx.add(
                "account",
                store::put_on_version(record::to_item(&next)?, current.version),
            );
            tx.extend("audit entry", stamp.writes());
            tx.add(
                "index entry",
                Write::Put {
                    item: record::summary_item(&next, record::number_key(tenant, &next.number))?,
                    condition: None,
                },
            );
            for gone in current
                .emails
                .iter()
                .filter(|e| !next.emails.iter().any(|n| n.folded() == e.folded()))
            {
                tx.add(
                    "index entry",
                    Write::Delete {
                        key: record::email_key(tenant, gone, id),
                        condition: None,
                    },
                );
            }
            for email in &next.emails {
                tx.add(
                    "index entry",
                    Write::Put {
                        item: record::summary_item(&next, record::email_key(tenant, email, id))?,
                        condition: None,
                    },
                );
            }
            if let Some(gone) = &current.group
                && next.group.as_ref() != Some(gone)
            {
                tx.add(
                    "index entry",
                    Write::Delete {
                        key: record::group_key(tenant, gone, id),
                        condition: None,
                    },
                );
            }
            if let Some(group) = &next.group {
                tx.add(
                    "index entry",
                    Write::Put {
                        item: record::summary_item(&next, record::group_key(tenant, group, id))?,
                        condition: None,
                    },
                );
            }
            match tx.commit(self.table.as_ref()).await {
                Ok(()) => return Ok(next),
                Err(TransactionError::ConditionFailed("account") | TransactionError::Conflict) => {
                    if let Some(expected) = expected_version {
                        let now = self.get(tenant, id).await?;
                        return Err(AccountError::StaleVersion {
                            expected,
                            current: now.version,
                        });
                    }
                }
                Err(e) => return Err(TableError::from(e).into()),
            }
        }
        Err(AccountError::Storage(TableError::Unavailable(
            "the account kept changing; try again".into(),
        )))
    }

    /// The accounts of one account group, oldest first.
    pub async fn list_in_group(
        &self,
        tenant: &TenantId,
        group: &str,
        page: &PageRequest,
    ) -> Result<Page<AccountSummary>, AccountError> {
        let query = Query::partition(Index::Primary, keys::account_group(tenant, group));
        self.page(
            format!("accounts:{tenant}:group:{group}"),
            query,
            page,
            record::summary_from_item,
        )
        .await
    }

    /// The tenant's accounts, newest first.
    pub async fn list(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<AccountSummary>, AccountError> {
        let query = Query::partition(Index::Gsi1, keys::accounts_of(tenant)).backward();
        self.page(
            format!("accounts:{tenant}"),
            query,
            page,
            record::summary_from_account_item,
        )
        .await
    }

    pub async fn search(
        &self,
        tenant: &TenantId,
        search: &AccountSearch,
        page: &PageRequest,
    ) -> Result<Page<AccountSummary>, AccountError> {
        match search {
            AccountSearch::Number(number) => {
                if check_account_number(number).is_err() {
                    return Ok(Page {
                        items: vec![],
                        next_cursor: None,
                    });
                }
                let item = self.table.get(&record::number_key(tenant, number)).await?;
                Ok(Page {
                    items: item
                        .iter()
                        .map(record::summary_from_item)
                        .collect::<Result<_, _>>()?,
                    next_cursor: None,
                })
            }
            AccountSearch::Email(email) => {
                let email = EmailAddress::parse(email).map_err(|m| invalid("email", m))?;
                let query =
                    Query::partition(Index::Primary, keys::account_email(tenant, &email.folded()));
                self.page(
                    format!("accounts-by-email:{tenant}:{}", email.folded()),
                    query,
                    page,
                    record::summary_from_item,
                )
                .await
            }
            AccountSearch::Anything { text, groups } => {
                let text = text.trim();
                if text.is_empty() || text.chars().count() > 120 {
                    return Err(invalid("q", "give 1 to 120 characters to search for"));
                }
                let found = paging::fetch_where(
                    self.table.as_ref(),
                    &self.cursors,
                    &format!("accounts-matching:{tenant}:{}", fold_name(text)),
                    Query::partition(Index::Gsi2, keys::accounts_by_name(tenant)),
                    page,
                    record::from_item,
                    AccountSearch::matches(text, groups.clone()),
                )
                .await
                .map_err(paging_error)?;
                Ok(Page {
                    items: found.items.iter().map(Account::summary).collect(),
                    next_cursor: found.next_cursor,
                })
            }
            AccountSearch::NamePrefix(prefix) => {
                let prefix = fold_name(prefix);
                if prefix.is_empty() || prefix.chars().count() > 120 {
                    return Err(invalid("name", "give 1 to 120 characters to search for"));
                }
                let query = Query::partition(Index::Gsi2, keys::accounts_by_name(tenant))
                    .sort(SortKey::BeginsWith(prefix.clone()));
                self.page(
                    format!("accounts-by-name:{tenant}:{prefix}"),
                    query,
                    page,
                    record::summary_from_account_item,
                )
                .await
            }
        }
    }

    async fn page<T>(
        &self,
        scope: String,
        query: Query,
        page: &PageRequest,
        read: fn(&Item) -> Result<T, TableError>,
    ) -> Result<Page<T>, AccountError> {
        paging::fetch(
            self.table.as_ref(),
            &self.cursors,
            &scope,
            query,
            page,
            read,
        )
        .await
        .map_err(paging_error)
    }
}
