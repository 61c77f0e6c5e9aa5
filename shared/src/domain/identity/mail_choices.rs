//! Which mail a customer's login chooses to get at its own address (`MailTopic`), and who
//! a topic's mail goes to: the account's own addresses always (they are its contacts), and
//! each login that chose the topic, at its address and in its language. An address is
//! written to once: a login whose address is also the account's gets the mail in its own
//! language instead.

use std::collections::BTreeSet;

use super::model::{MailTopic, Principal, Session};
use super::records;
use super::{IdentityError, Login};
use crate::domain::contact::EmailAddress;
use crate::domain::{Violations, accounts::Account};
use crate::ids::TenantId;
use crate::ports::table::{Condition, Index, Query, Table, Update, Value, Write};
use crate::store::keys;

/// The most logins of one account that get a topic's mail at their own address: each is
/// one more message in the transaction of the change it tells of (an order's step, an
/// invoice), which holds at most 100 writes.
pub const MOST_PER_TOPIC: usize = 5;

/// What the signed-in login gets, and what it may choose from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct MailChoices {
    /// The login's own address, where these go.
    pub email: String,
    pub topics: BTreeSet<MailTopic>,
    /// The topics its role may have (bills only for roles that read them).
    pub offered: Vec<MailTopic>,
}

/// One message's addressees, the language it is written in and the name it greets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressee {
    pub to: Vec<EmailAddress>,
    pub language: String,
    pub name: String,
    /// The login it is written to (none for the account's own addresses).
    pub login: Option<Login>,
}

fn role_of(principal: &Principal) -> Option<super::Role> {
    match principal {
        Principal::EndUser { role, .. } => Some(*role),
        Principal::Staff { .. } => None,
    }
}

/// The choices of `login`.
pub fn choices_of(login: &Login) -> MailChoices {
    let offered = match role_of(&login.principal) {
        Some(role) => MailTopic::ALL
            .into_iter()
            .filter(|t| t.offered_to(role))
            .collect(),
        None => Vec::new(),
    };
    MailChoices {
        email: login.email.to_string(),
        topics: login
            .mail_topics
            .iter()
            .copied()
            .filter(|t| offered.contains(t))
            .collect(),
        offered,
    }
}

/// The write that keeps `topics` as the session's login's choice. The customer's own: an
/// impersonating or read-only session cannot choose for them, a role gets only what it is
/// offered, and a topic [`MOST_PER_TOPIC`] other logins of the account have is full.
pub async fn choose(
    table: &dyn Table,
    session: &Session,
    topics: &BTreeSet<MailTopic>,
) -> Result<Write, IdentityError> {
    let Some(role) = role_of(&session.principal) else {
        return Err(super::invalid(
            "/topics",
            "staff get mail by the console's settings",
        ));
    };
    if session.impersonator.is_some() || session.read_only {
        return Err(super::invalid(
            "/topics",
            "the customer chooses their own mail",
        ));
    }
    let mut v = Violations::default();
    for topic in topics {
        if !topic.offered_to(role) {
            v.add("/topics", "this login's role does not read bills");
        }
    }
    v.into_result().map_err(IdentityError::Invalid)?;
    if let Some(account) = session.principal.account() {
        let logins = logins_of(table, &session.tenant, &account).await?;
        let mut v = Violations::default();
        for topic in topics {
            let others = logins
                .iter()
                .filter(|l| l.id != session.login && choices_of(l).topics.contains(topic))
                .count();
            if others >= MOST_PER_TOPIC {
                v.add(
                    "/topics",
                    format!("at most {MOST_PER_TOPIC} logins of an account get this mail"),
                );
            }
        }
        v.into_result().map_err(IdentityError::Invalid)?;
    }
    let list = topics
        .iter()
        .map(|t| {
            Value::S(
                serde_json::to_value(t)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
            )
        })
        .collect();
    Ok(Write::Update {
        key: records::key(&session.tenant, &session.login),
        update: Update::default()
            .set("mail_topics", Value::L(list))
            .add("version", 1),
        condition: Some(Condition::Exists),
    })
}

async fn logins_of(
    table: &dyn Table,
    tenant: &TenantId,
    account: &crate::ids::AccountId,
) -> Result<Vec<Login>, crate::ports::table::TableError> {
    let page = table
        .query(Query::partition(Index::Gsi1, keys::logins_of(tenant, account)).limit(100))
        .await?;
    page.items.iter().map(records::from_item).collect()
}

/// The logins of `account` that chose `topic` (and may have it), one per address, at
/// most [`MOST_PER_TOPIC`] (the oldest, should more have it).
pub async fn chosen_by(
    table: &dyn Table,
    tenant: &TenantId,
    account: &Account,
    topic: MailTopic,
) -> Result<Vec<Login>, crate::ports::table::TableError> {
    let mut seen = BTreeSet::new();
    Ok(logins_of(table, tenant, &account.id)
        .await?
        .into_iter()
        .filter(|l| choices_of(l).topics.contains(&topic))
        .filter(|l| seen.insert(l.email.folded()))
        .take(MOST_PER_TOPIC)
        .collect())
}

/// Who `topic`'s mail about `account` goes to: the logins that chose it, each in its
/// language, then the account's addresses no login took over, in `account_language`.
pub async fn addressees(
    table: &dyn Table,
    tenant: &TenantId,
    account: &Account,
    topic: MailTopic,
    account_language: &str,
) -> Result<Vec<Addressee>, crate::ports::table::TableError> {
    let logins = chosen_by(table, tenant, account, topic).await?;
    Ok(with_account(logins, account, account_language))
}

/// The logins' addressees, then the account's addresses none of them has.
pub fn with_account(logins: Vec<Login>, account: &Account, language: &str) -> Vec<Addressee> {
    let taken: BTreeSet<String> = logins.iter().map(|l| l.email.folded()).collect();
    let rest: Vec<EmailAddress> = account
        .emails
        .iter()
        .filter(|e| !taken.contains(&e.folded()))
        .cloned()
        .collect();
    let mut out: Vec<Addressee> = logins
        .into_iter()
        .map(|login| Addressee {
            to: vec![login.email.clone()],
            language: login.language.clone(),
            name: login.name.clone().unwrap_or_else(|| login.username.clone()),
            login: Some(login),
        })
        .collect();
    if !rest.is_empty() {
        out.push(Addressee {
            to: rest,
            language: language.to_owned(),
            name: account.name.clone(),
            login: None,
        });
    }
    out
}
