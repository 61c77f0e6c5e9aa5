//! Logins: the record, its claims (username, email) and what staff and account owners do
//! with them: list, rename, limit, remove.

use std::collections::BTreeSet;

use time::OffsetDateTime;

use super::two_factor::SecondFactor;
use super::{Identity, IdentityError, Permission, Principal, Role, invalid};
use crate::domain::contact::EmailAddress;
use crate::domain::paging::{self, Page, PageRequest};
use crate::ids::{AccountId, LoginId, TenantId};
use crate::ports::table::{Condition, Index, Item, Key, Query, TableError, Value, Write};
use crate::store::{self, keys};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub id: LoginId,
    pub tenant: TenantId,
    /// Lower case; unique within the tenant.
    pub username: String,
    pub email: EmailAddress,
    pub name: Option<String>,
    /// The language of its mail and pages (`en`, `fr`).
    pub language: String,
    pub principal: Principal,
    pub(super) password_hash: String,
    pub failed_attempts: u32,
    pub locked_at: Option<OffsetDateTime>,
    /// The client address of the last failed sign-in, for the Locked Out Users report.
    pub last_failed_from: Option<String>,
    pub last_sign_in_at: Option<OffsetDateTime>,
    /// Two-factor sign-in, when the login has turned it on.
    pub second_factor: Option<SecondFactor>,
    /// Sessions started under an earlier epoch are over: a change that must end the
    /// login's sessions (a new password, less access) moves it in its own write, so no
    /// session outlives the change even if cleaning them up fails.
    pub sessions_epoch: u64,
    pub version: u64,
    pub created_at: OffsetDateTime,
}

impl Login {
    pub fn is_locked(&self) -> bool {
        self.locked_at.is_some()
    }
}

/// An account's portal access, as the console's panel shows it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum LoginState {
    /// No username and no live credential-create link: send one.
    NoUsername,
    /// A credential-create link is out and unused.
    Invited,
    Active,
    Locked,
}

/// Usernames: 2 to 64 letters, digits and `.`, `_`, `-`, `@`; compared after Unicode
/// compatibility normalisation (NFKC: `ａｄｍｉｎ` is `admin`) in lower case.
pub fn normalise_username(text: &str) -> Result<String, String> {
    use unicode_normalization::UnicodeNormalization;
    let name = text.trim().nfkc().collect::<String>().to_lowercase();
    let ok = (2..=64).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(name)
    } else {
        Err("use 2 to 64 letters, digits, and . _ - @".into())
    }
}

/// What a username looks like (its UTS #39 confusable skeleton, in lower case): two
/// usernames that look alike (`admin`, `аdmin` with a Cyrillic а, `adrnin`) have the same
/// one, and a tenant holds one username per look.
pub fn username_lookalike(username: &str) -> String {
    unicode_security::confusable_detection::skeleton(username)
        .collect::<String>()
        .to_lowercase()
}

pub(super) mod record {
    use super::*;

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

    /// How many of [`create_writes`]' first writes are username claims: a failed condition
    /// among them means the username (or one that looks like it) is taken.
    pub const USERNAME_CLAIMS: usize = 2;

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
            version: u64::try_from(r.version).map_err(|_| bad("version"))?,
            created_at: store::parse_rfc3339(&r.created_at).ok_or_else(|| bad("time"))?,
        })
    }

    /// The writes that create a login with its claims.
    pub fn create_writes(l: &Login) -> Result<Vec<Write>, TableError> {
        let mut writes = vec![
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
            lookalike_claim(&l.tenant, &l.username, &l.id),
            Write::Put {
                item: to_item(l)?,
                condition: Some(Condition::Absent),
            },
        ];
        let email = email_key(&l.tenant, &l.email, &l.id);
        writes.push(Write::Put {
            item: store::keyed(
                Item::from([("login".to_owned(), Value::S(l.id.to_string()))]),
                &[("pk", email.pk), ("sk", email.sk)],
            ),
            condition: None,
        });
        Ok(writes)
    }
}

/// What an account owner (or staff) may change of a login of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndUserAccess {
    pub role: Role,
    pub allow_orders: bool,
}

/// What staff may change of a staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffAccess {
    pub permissions: BTreeSet<Permission>,
    pub groups: Option<BTreeSet<String>>,
}

/// The console's portal access panel for one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessPanel {
    pub state: LoginState,
    /// The owner login, when there is one.
    pub owner: Option<Login>,
    /// When the live credential-create link expires, when one is out.
    pub invitation_expires_at: Option<OffsetDateTime>,
    /// Every login of the account, the owner's included.
    pub logins: Vec<Login>,
}

impl Identity {
    pub async fn login(&self, tenant: &TenantId, id: &LoginId) -> Result<Login, IdentityError> {
        let item = self
            .table
            .get(&record::key(tenant, id))
            .await?
            .ok_or(IdentityError::NotFound)?;
        let login = record::from_item(&item)?;
        if login.tenant != *tenant {
            return Err(IdentityError::NotFound);
        }
        Ok(login)
    }

    /// The login of an account, or NotFound (also when it belongs to another account).
    pub async fn login_of_account(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        id: &LoginId,
    ) -> Result<Login, IdentityError> {
        let login = self.login(tenant, id).await?;
        if login.principal.account() != Some(*account) {
            return Err(IdentityError::NotFound);
        }
        Ok(login)
    }

    pub async fn find_by_username(
        &self,
        tenant: &TenantId,
        username: &str,
    ) -> Result<Option<Login>, IdentityError> {
        let Ok(username) = normalise_username(username) else {
            return Ok(None);
        };
        let Some(claim) = self
            .table
            .get(&record::username_key(tenant, &username))
            .await?
        else {
            return Ok(None);
        };
        let Some(id) = claim
            .get("login")
            .and_then(Value::as_s)
            .and_then(|s| s.parse().ok())
        else {
            return Ok(None);
        };
        match self.login(tenant, &id).await {
            Ok(login) => Ok(Some(login)),
            Err(IdentityError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A username, or an email address that exactly one login of the tenant has.
    pub async fn find_by_identifier(
        &self,
        tenant: &TenantId,
        identifier: &str,
    ) -> Result<Option<Login>, IdentityError> {
        if let Some(login) = self.find_by_username(tenant, identifier).await? {
            return Ok(Some(login));
        }
        let Ok(email) = EmailAddress::parse(identifier.trim()) else {
            return Ok(None);
        };
        let page = self
            .table
            .query(
                Query::partition(Index::Primary, keys::login_email(tenant, &email.folded()))
                    .limit(2),
            )
            .await?;
        if page.items.len() != 1 {
            return Ok(None);
        }
        let Some(id) = page.items[0]
            .get("login")
            .and_then(Value::as_s)
            .and_then(|s| s.parse().ok())
        else {
            return Ok(None);
        };
        match self.login(tenant, &id).await {
            Ok(login) => Ok(Some(login)),
            Err(IdentityError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every login of an account (at most 100: an account has a handful).
    pub async fn logins_of_account(
        &self,
        tenant: &TenantId,
        account: &AccountId,
    ) -> Result<Vec<Login>, IdentityError> {
        let page = self
            .table
            .query(Query::partition(Index::Gsi1, keys::logins_of(tenant, account)).limit(100))
            .await?;
        Ok(page
            .items
            .iter()
            .map(record::from_item)
            .collect::<Result<_, _>>()?)
    }

    pub async fn staff(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<Login>, IdentityError> {
        Ok(paging::fetch(
            self.table.as_ref(),
            &self.cursors,
            &format!("staff:{tenant}"),
            Query::partition(Index::Gsi1, keys::staff_of(tenant)),
            page,
            record::from_item,
        )
        .await?)
    }

    /// The console's panel: the owner login's state, the live invitation, every login.
    pub async fn access_panel(
        &self,
        tenant: &TenantId,
        account: &AccountId,
    ) -> Result<AccessPanel, IdentityError> {
        self.accounts().get(tenant, account).await?;
        let logins = self.logins_of_account(tenant, account).await?;
        let owner_id = self
            .table
            .get(&record::owner_key(tenant, account))
            .await?
            .and_then(|i| {
                i.get("login")
                    .and_then(Value::as_s)
                    .and_then(|s| s.parse().ok())
            });
        let owner = logins.iter().find(|l| Some(l.id) == owner_id).cloned();
        let invitation_expires_at = self.live_invitation(tenant, account).await?;
        let state = match (&owner, invitation_expires_at) {
            (Some(o), _) if o.is_locked() => LoginState::Locked,
            (Some(_), _) => LoginState::Active,
            (None, Some(_)) => LoginState::Invited,
            (None, None) => LoginState::NoUsername,
        };
        Ok(AccessPanel {
            state,
            owner,
            invitation_expires_at,
            logins,
        })
    }

    /// Gives a login a new username; the old one is free again at once.
    pub async fn rename(
        &self,
        tenant: &TenantId,
        id: &LoginId,
        username: &str,
    ) -> Result<Login, IdentityError> {
        let username = normalise_username(username).map_err(|m| invalid("/username", m))?;
        let login = self.login(tenant, id).await?;
        if login.username == username {
            return Ok(login);
        }
        let mut next = login.clone();
        next.username = username.clone();
        next.version += 1;
        let claim = store::keyed(
            Item::from([("login".to_owned(), Value::S(id.to_string()))]),
            &[
                ("pk", record::username_key(tenant, &username).pk),
                ("sk", "USERNAME".to_owned()),
            ],
        );
        let mut writes = vec![
            Write::Put {
                item: claim,
                condition: Some(Condition::Absent),
            },
            Write::Delete {
                key: record::username_key(tenant, &login.username),
                condition: Some(Condition::Equals("login".into(), Value::S(id.to_string()))),
            },
            Write::Put {
                item: record::to_item(&next)?,
                condition: Some(Condition::Equals(
                    "version".into(),
                    Value::N(login.version as i64),
                )),
            },
        ];
        // A new look is claimed and the old one let go; the same look stays claimed.
        let look_changes = username_lookalike(&username) != username_lookalike(&login.username);
        if look_changes {
            writes.push(record::lookalike_claim(tenant, &username, id));
            writes.extend(self.let_go_of_look(tenant, &login.username, id).await?);
        }
        match self.table.transact(writes).await {
            Ok(()) => Ok(next),
            Err(TableError::TransactionConditionFailed { index: 0 | 3 }) => {
                Err(IdentityError::UsernameTaken(username))
            }
            Err(TableError::TransactionConditionFailed { .. })
            | Err(TableError::TransactionConflict) => Err(IdentityError::Conflict(
                "the login changed meanwhile; try again".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// The write that lets go of a username's look, if this login holds it (logins made
    /// before looks were claimed do not).
    async fn let_go_of_look(
        &self,
        tenant: &TenantId,
        username: &str,
        id: &LoginId,
    ) -> Result<Option<Write>, IdentityError> {
        let look = record::lookalike_key(tenant, username);
        let holder = self
            .table
            .get(&look)
            .await?
            .and_then(|i| i.get("login").and_then(Value::as_s).map(str::to_owned));
        Ok((holder == Some(id.to_string())).then(|| Write::Delete {
            key: look,
            condition: Some(Condition::Equals("login".into(), Value::S(id.to_string()))),
        }))
    }

    /// Removes a login and its username (an account's owner can then be sent a new
    /// credential-create email). Its sessions end.
    pub async fn remove_login(&self, tenant: &TenantId, id: &LoginId) -> Result<(), IdentityError> {
        let login = self.login(tenant, id).await?;
        let mut writes = vec![
            Write::Delete {
                key: record::key(tenant, id),
                condition: Some(Condition::Equals(
                    "version".into(),
                    Value::N(login.version as i64),
                )),
            },
            Write::Delete {
                key: record::username_key(tenant, &login.username),
                condition: None,
            },
            Write::Delete {
                key: record::email_key(tenant, &login.email, id),
                condition: None,
            },
        ];
        writes.extend(self.let_go_of_look(tenant, &login.username, id).await?);
        if let Some(account) = login.principal.account() {
            let owner = record::owner_key(tenant, &account);
            let is_owner = self
                .table
                .get(&owner)
                .await?
                .and_then(|i| i.get("login").and_then(Value::as_s).map(str::to_owned))
                == Some(id.to_string());
            if is_owner {
                writes.push(Write::Delete {
                    key: owner,
                    condition: Some(Condition::Equals("login".into(), Value::S(id.to_string()))),
                });
            }
        }
        match self.table.transact(writes).await {
            Ok(()) => {}
            Err(TableError::TransactionConditionFailed { .. })
            | Err(TableError::TransactionConflict) => {
                return Err(IdentityError::Conflict(
                    "the login changed meanwhile; try again".into(),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        self.end_sessions_of(tenant, id, None).await?;
        Ok(())
    }

    /// Changes an end-user login's role and order permission; its sessions end, so the
    /// new rights apply from its next sign-in.
    pub async fn set_end_user_access(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        id: &LoginId,
        access: EndUserAccess,
    ) -> Result<Login, IdentityError> {
        let login = self.login_of_account(tenant, account, id).await?;
        let mut next = login.clone();
        next.principal = Principal::EndUser {
            account: *account,
            role: access.role,
            allow_orders: access.allow_orders,
        };
        self.replace(&login, next).await
    }

    /// Changes a staff member's permissions and account groups; its sessions end.
    pub async fn set_staff_access(
        &self,
        tenant: &TenantId,
        id: &LoginId,
        access: StaffAccess,
    ) -> Result<Login, IdentityError> {
        check_groups(access.groups.as_ref())?;
        let login = self.login(tenant, id).await?;
        if !matches!(login.principal, Principal::Staff { .. }) {
            return Err(IdentityError::NotFound);
        }
        let mut next = login.clone();
        next.principal = Principal::Staff {
            permissions: access.permissions,
            groups: access.groups,
        };
        self.replace(&login, next).await
    }

    async fn replace(&self, current: &Login, mut next: Login) -> Result<Login, IdentityError> {
        if next == *current {
            return Ok(next);
        }
        next.version = current.version + 1;
        next.sessions_epoch = current.sessions_epoch + 1;
        match self
            .table
            .put(
                record::to_item(&next)?,
                Some(Condition::Equals(
                    "version".into(),
                    Value::N(current.version as i64),
                )),
            )
            .await
        {
            Ok(()) => {}
            Err(TableError::ConditionFailed) => {
                return Err(IdentityError::Conflict(
                    "the login changed meanwhile; try again".into(),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        self.end_sessions_of(&current.tenant, &current.id, None)
            .await?;
        Ok(next)
    }
}

pub(super) fn check_groups(groups: Option<&BTreeSet<String>>) -> Result<(), IdentityError> {
    if let Some(groups) = groups {
        if groups.is_empty() {
            return Err(invalid(
                "/groups",
                "give at least one group, or none to see every account",
            ));
        }
        for g in groups {
            crate::domain::accounts::check_group(g).map_err(|m| invalid("/groups", m))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_compared_as_they_look() {
        assert_eq!(normalise_username(" ＡＤＭＩＮ ").unwrap(), "admin");
        let admin = username_lookalike("admin");
        assert_eq!(username_lookalike("\u{0430}dmin"), admin, "Cyrillic a");
        assert_eq!(username_lookalike("adrnin"), admin, "r and n");
        assert_ne!(username_lookalike("admins"), admin);
        assert_ne!(username_lookalike("sam"), username_lookalike("pam"));
    }
}
