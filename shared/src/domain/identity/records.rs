//! Identity's records: the keys, item mapping and writes of logins, one-time links and
//! sign-in throttling windows, over the single table. The services read and write through
//! these; nothing else spells an identity key.

use time::OffsetDateTime;

use super::error::IdentityError;
use super::model::{
    KEEP_USED, LinkPurpose, Login, MailTopic, Permission, Principal, Role, SecondFactor,
    THROTTLE_WINDOW, username_lookalike,
};
use crate::domain::contact::EmailAddress;
use crate::ids::{AccountId, LoginId, TenantId};
use crate::ports::table::{Condition, EXPIRES_AT, Item, Key, TableError, Value, Write};
use crate::store::{self, Transaction, keys};

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    EndUser,
    Staff,
}

#[derive(serde::Serialize, serde::Deserialize)]
pub struct LoginRecord {
    pub id: String,
    pub tenant: String,
    pub username: String,
    pub email: String,
    pub name: Option<String>,
    pub language: String,
    pub kind: Kind,
    pub account: Option<String>,
    pub role: Option<Role>,
    #[serde(default)]
    pub allow_orders: bool,
    #[serde(default)]
    pub permissions: Vec<Permission>,
    pub groups: Option<Vec<String>>,
    pub password_hash: String,
    #[serde(default)]
    pub failed_attempts: i64,
    /// Always present, so a write can be conditional on it.
    pub locked: bool,
    pub locked_at: Option<String>,
    pub last_failed_from: Option<String>,
    pub last_sign_in_at: Option<String>,
    /// The TOTP secret (base32), the last time step accepted (a code works once), the
    /// SHA-256 hashes of the unused recovery codes (comma-separated), and when it was
    /// turned on. All four or none.
    pub totp_secret: Option<String>,
    pub totp_last_step: Option<i64>,
    pub recovery_codes: Option<String>,
    pub two_factor_enabled_at: Option<String>,
    #[serde(default)]
    pub sessions_epoch: i64,
    /// Kept as words: a topic this build does not know (after a rollback) is skipped,
    /// not a login that cannot be read.
    #[serde(default)]
    pub mail_topics: Vec<String>,
    pub version: i64,
    pub created_at: String,
}

/// The sessions epoch a login's item holds (0 before logins had one).
pub fn sessions_epoch_in(item: &Item) -> u64 {
    item.get("sessions_epoch")
        .and_then(Value::as_n)
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(0)
}

pub fn key(tenant: &TenantId, id: &LoginId) -> Key {
    Key::new(keys::login(tenant, id), keys::LOGIN_SK)
}

pub fn username_key(tenant: &TenantId, username: &str) -> Key {
    Key::new(keys::username(tenant, username), "USERNAME")
}

/// The write that lifts a login's lock (only if it is locked).
pub fn unlock_write(tenant: &TenantId, login: &LoginId) -> Write {
    Write::Update {
        key: key(tenant, login),
        update: crate::ports::table::Update::default()
            .set("locked", false)
            .set("failed_attempts", 0)
            .remove("locked_at")
            .remove("gsi2pk")
            .remove("gsi2sk"),
        condition: Some(Condition::Equals("locked".into(), Value::Bool(true))),
    }
}

/// The claim on a username's look (see [`username_lookalike`]).
pub fn lookalike_key(tenant: &TenantId, username: &str) -> Key {
    Key::new(
        keys::username_lookalike(tenant, &username_lookalike(username)),
        "LOOKALIKE",
    )
}

/// The write that claims a username's look for `login` (refused if another has it).
pub fn lookalike_claim(tenant: &TenantId, username: &str, login: &LoginId) -> Write {
    let key = lookalike_key(tenant, username);
    Write::Put {
        item: store::keyed(
            Item::from([("login".to_owned(), Value::S(login.to_string()))]),
            &[("pk", key.pk), ("sk", key.sk)],
        ),
        condition: Some(Condition::Absent),
    }
}

pub fn email_key(tenant: &TenantId, email: &EmailAddress, id: &LoginId) -> Key {
    Key::new(
        keys::login_email(tenant, &email.folded()),
        format!("LOGIN#{id}"),
    )
}

/// The marker that an account's owner login exists (one per account).
pub fn owner_key(tenant: &TenantId, account: &AccountId) -> Key {
    Key::new(keys::account(tenant, account), "OWNER")
}

/// The write that makes `login` its account's owner (refused if the account has one).
pub fn owner_write(tenant: &TenantId, account: &AccountId, login: &LoginId) -> Write {
    let owner = owner_key(tenant, account);
    Write::Put {
        item: store::keyed(
            Item::from([("login".to_owned(), Value::S(login.to_string()))]),
            &[("pk", owner.pk), ("sk", owner.sk)],
        ),
        condition: Some(Condition::Absent),
    }
}

fn bad(what: &str) -> TableError {
    TableError::Unreadable(format!("a stored login has a bad {what}"))
}

pub fn to_item(l: &Login) -> Result<Item, TableError> {
    let (kind, account, role, allow_orders, permissions, groups) = match &l.principal {
        Principal::EndUser {
            account,
            role,
            allow_orders,
        } => (
            Kind::EndUser,
            Some(account.to_string()),
            Some(*role),
            *allow_orders,
            Vec::new(),
            None,
        ),
        Principal::Staff {
            permissions,
            groups,
        } => (
            Kind::Staff,
            None,
            None,
            false,
            permissions.iter().copied().collect(),
            groups.as_ref().map(|g| g.iter().cloned().collect()),
        ),
    };
    let record = LoginRecord {
        id: l.id.to_string(),
        tenant: l.tenant.to_string(),
        username: l.username.clone(),
        email: l.email.to_string(),
        name: l.name.clone(),
        language: l.language.clone(),
        kind,
        account,
        role,
        allow_orders,
        permissions,
        groups,
        password_hash: l.password_hash.clone(),
        failed_attempts: i64::from(l.failed_attempts),
        locked: l.locked_at.is_some(),
        locked_at: l.locked_at.map(store::rfc3339),
        last_failed_from: l.last_failed_from.clone(),
        last_sign_in_at: l.last_sign_in_at.map(store::rfc3339),
        totp_secret: l.second_factor.as_ref().map(|f| f.secret.clone()),
        totp_last_step: l.second_factor.as_ref().map(|f| f.last_step as i64),
        recovery_codes: l
            .second_factor
            .as_ref()
            .map(|f| f.recovery_hashes.join(",")),
        two_factor_enabled_at: l
            .second_factor
            .as_ref()
            .map(|f| store::rfc3339(f.enabled_at)),
        sessions_epoch: l.sessions_epoch as i64,
        mail_topics: l
            .mail_topics
            .iter()
            .filter_map(|t| serde_json::to_value(t).ok()?.as_str().map(str::to_owned))
            .collect(),
        version: l.version as i64,
        created_at: store::rfc3339(l.created_at),
    };
    let key = key(&l.tenant, &l.id);
    let list = match &l.principal {
        Principal::EndUser { account, .. } => keys::logins_of(&l.tenant, account),
        Principal::Staff { .. } => keys::staff_of(&l.tenant),
    };
    let mut attributes = vec![
        ("pk", key.pk),
        ("sk", key.sk),
        ("gsi1pk", list),
        ("gsi1sk", l.id.to_string()),
    ];
    if let Some(at) = l.locked_at {
        attributes.push(("gsi2pk", keys::locked_logins(&l.tenant)));
        attributes.push(("gsi2sk", format!("{}#{}", store::rfc3339(at), l.id)));
    }
    Ok(store::keyed(store::to_item(&record)?, &attributes))
}

pub fn from_item(item: &Item) -> Result<Login, TableError> {
    let r: LoginRecord = store::from_item(item)?;
    let time = |t: &Option<String>| -> Result<Option<OffsetDateTime>, TableError> {
        t.as_deref()
            .map(|t| store::parse_rfc3339(t).ok_or_else(|| bad("time")))
            .transpose()
    };
    let principal = match r.kind {
        Kind::EndUser => Principal::EndUser {
            account: r
                .account
                .as_deref()
                .and_then(|a| a.parse().ok())
                .ok_or_else(|| bad("account"))?,
            role: r.role.ok_or_else(|| bad("role"))?,
            allow_orders: r.allow_orders,
        },
        Kind::Staff => Principal::Staff {
            permissions: r.permissions.into_iter().collect(),
            groups: r.groups.map(|g| g.into_iter().collect()),
        },
    };
    Ok(Login {
        id: r.id.parse().map_err(|_| bad("id"))?,
        tenant: r.tenant.parse().map_err(|_| bad("tenant"))?,
        username: r.username,
        email: EmailAddress::parse(&r.email).map_err(|_| bad("email"))?,
        name: r.name,
        language: r.language,
        principal,
        password_hash: r.password_hash,
        failed_attempts: u32::try_from(r.failed_attempts).unwrap_or(0),
        locked_at: time(&r.locked_at)?,
        last_failed_from: r.last_failed_from,
        last_sign_in_at: time(&r.last_sign_in_at)?,
        second_factor: match (r.totp_secret, r.totp_last_step, &r.two_factor_enabled_at) {
            (Some(secret), Some(step), Some(_)) => Some(SecondFactor {
                secret,
                last_step: u64::try_from(step).map_err(|_| bad("step"))?,
                recovery_hashes: r
                    .recovery_codes
                    .as_deref()
                    .unwrap_or_default()
                    .split(',')
                    .filter(|h| !h.is_empty())
                    .map(str::to_owned)
                    .collect(),
                enabled_at: time(&r.two_factor_enabled_at)?.ok_or_else(|| bad("time"))?,
            }),
            _ => None,
        },
        sessions_epoch: u64::try_from(r.sessions_epoch).unwrap_or(0),
        mail_topics: r
            .mail_topics
            .iter()
            .filter_map(|t| serde_json::from_value::<MailTopic>(serde_json::json!(t)).ok())
            .collect(),
        version: u64::try_from(r.version).map_err(|_| bad("version"))?,
        created_at: store::parse_rfc3339(&r.created_at).ok_or_else(|| bad("time"))?,
    })
}

/// The writes that create a login with its claims.
/// The writes that make a login, added to `tx`: its username and look-alike claims
/// (named [`USERNAME_CLAIM`] and [`LOOK_CLAIM`]: a failed condition of either means the
/// username, or one that looks like it, is taken), the login, and its email index.
pub fn add_creation(tx: &mut Transaction, l: &Login) -> Result<(), TableError> {
    let email = email_key(&l.tenant, &l.email, &l.id);
    tx.add(
        USERNAME_CLAIM,
        Write::Put {
            item: store::keyed(
                Item::from([("login".to_owned(), Value::S(l.id.to_string()))]),
                &[
                    ("pk", username_key(&l.tenant, &l.username).pk),
                    ("sk", "USERNAME".to_owned()),
                ],
            ),
            condition: Some(Condition::Absent),
        },
    )
    .add(LOOK_CLAIM, lookalike_claim(&l.tenant, &l.username, &l.id))
    .add(
        "login",
        Write::Put {
            item: to_item(l)?,
            condition: Some(Condition::Absent),
        },
    )
    .add(
        "email index",
        Write::Put {
            item: store::keyed(
                Item::from([("login".to_owned(), Value::S(l.id.to_string()))]),
                &[("pk", email.pk), ("sk", email.sk)],
            ),
            condition: None,
        },
    );
    Ok(())
}

/// The names of the writes that claim a username and its look.
pub const USERNAME_CLAIM: &str = "username claim";
pub const LOOK_CLAIM: &str = "look-alike claim";

/// The write that spends an open one-time link (refused once it is used).
pub fn spend_link(tenant: &TenantId, hash: &str, now: OffsetDateTime) -> Write {
    Write::Update {
        key: link_key(tenant, hash),
        update: crate::ports::table::Update::default()
            .set("status", "used")
            .set("used_at", store::rfc3339(now)),
        condition: Some(Condition::Equals("status".into(), Value::S("open".into()))),
    }
}

pub fn link_key(tenant: &TenantId, hash: &str) -> Key {
    Key::new(keys::link(tenant, hash), "LINK")
}

pub(super) fn link_item(
    tenant: &TenantId,
    hash: &str,
    purpose: &LinkPurpose,
    expires_at: OffsetDateTime,
) -> Result<Item, IdentityError> {
    let k = link_key(tenant, hash);
    let spec = serde_json::to_string(purpose).map_err(|e| IdentityError::Mail(e.to_string()))?;
    Ok(store::keyed(
        Item::from([
            ("spec".to_owned(), Value::S(spec)),
            ("status".to_owned(), Value::S("open".into())),
            (
                "valid_until".to_owned(),
                Value::N(expires_at.unix_timestamp()),
            ),
            (
                EXPIRES_AT.to_owned(),
                Value::N((expires_at + KEEP_USED).unix_timestamp()),
            ),
        ]),
        &[("pk", k.pk), ("sk", k.sk)],
    ))
}

pub fn window_key(tenant: &TenantId, address: &str, now: OffsetDateTime) -> Key {
    let window = now.unix_timestamp() / THROTTLE_WINDOW.whole_seconds();
    Key::new(keys::throttle(tenant, address), window.to_string())
}

/// A colleague invited to an account, until they set up their access (one per address:
/// inviting again replaces it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct InvitedColleague {
    pub email: String,
    pub name: String,
    pub role: Option<super::model::Role>,
    #[serde(with = "time::serde::rfc3339")]
    pub invited_at: OffsetDateTime,
    /// The link works until then; after it, invite again.
    #[serde(with = "time::serde::rfc3339")]
    pub valid_until: OffsetDateTime,
}

pub fn invited_key(tenant: &TenantId, account: &AccountId, email: &str) -> Key {
    Key::new(
        keys::account_invitations(tenant, account),
        email.to_lowercase(),
    )
}

pub fn invited_item(
    tenant: &TenantId,
    account: &AccountId,
    invited: &InvitedColleague,
) -> Result<Item, TableError> {
    let key = invited_key(tenant, account, &invited.email);
    Ok(store::keyed(
        store::to_item(invited)?,
        &[("pk", key.pk), ("sk", key.sk)],
    ))
}

pub fn invited_from(item: &Item) -> Result<InvitedColleague, TableError> {
    store::from_item(item)
}

pub fn invitation_key(tenant: &TenantId, account: &AccountId) -> Key {
    Key::new(keys::account(tenant, account), "INVITATION")
}
