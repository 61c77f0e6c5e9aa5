//! Sign-in, lock-out and throttling.
//!
//! Guessing is limited two ways. Per login: after the tenant's number of failed sign-ins in
//! a row the login locks; a locked login's password is not even checked, so guessing stops
//! there. Its owner is told by mail, with a single-use link that lifts the lock at once, so
//! a stranger who locks a login does not keep its owner out; staff can unlock it too (the
//! Locked Out Users report shows who is locked and the address of the last failed
//! attempt). Per client address: more than [`THROTTLE_LIMIT`] failures in
//! [`THROTTLE_WINDOW`] and the address is refused for the rest of the window, so one address
//! cannot walk through many usernames.
//!
//! A name no login has is answered as a login would be: wrong passwords count against the
//! name (for a day) and lock it at the same threshold with the same answer, and the work
//! done (reads, a password hash, writes) is the same, so neither the answer nor its timing
//! tells which usernames exist.

use super::model::{
    LinkPurpose, Login, Permission, Principal, Session, SignInOutcome, THROTTLE_WINDOW,
};
use super::records;
use time::{Duration, OffsetDateTime};

use super::{Identity, IdentityError, tokens};
use crate::domain::notifications::{self as mail, Mail, Notice};
use crate::domain::outbox;
use crate::domain::paging::{self, Page, PageRequest};
use crate::ids::{LoginId, TenantId};
use crate::ports::table::{
    Condition, EXPIRES_AT, Index, Key, Query, TableError, Update, Value, Write,
};
use crate::store::{self, Transaction, TransactionError, keys};

pub const THROTTLE_LIMIT: i64 = 30;
/// How long the unlock link of a lock notice works.
pub const UNLOCK_LINK_LIFETIME: Duration = Duration::hours(24);
/// How long failed sign-ins under a name no login has are remembered (a login's own lock
/// lasts until it is lifted; a name no login has forgets a month after its last failure).
const UNKNOWN_NAME_MEMORY: Duration = Duration::days(30);

/// Where failed sign-ins under a name no login has are counted: by the name's hash, as
/// a login would be looked up (a username normalised as usernames are, NFKC and lower
/// case, so `ａｌｉｃｅ` and `alice` are one name).
fn unknown_name_key(tenant: &TenantId, identifier: &str) -> Key {
    let name = super::model::normalise_username(identifier)
        .unwrap_or_else(|_| identifier.trim().to_lowercase());
    Key::new(
        keys::unknown_sign_ins(tenant, &tokens::hash(&name)),
        "SIGN_INS",
    )
}

impl Identity {
    /// Signs in with a username (or an address only one login has) and a password.
    pub async fn sign_in(
        &self,
        tenant: &TenantId,
        identifier: &str,
        password: &str,
        address: &str,
    ) -> Result<SignInOutcome, IdentityError> {
        let now = self.clock.now();
        let window = records::window_key(tenant, address, now);
        self.refuse_if_throttled(&window, now).await?;
        let Some(login) = self.find_by_identifier(tenant, identifier).await? else {
            return Err(self
                .refuse_unknown_name(tenant, identifier, password, &window, now)
                .await?);
        };
        if login.is_locked() {
            // Still an attempt: an address that keeps trying a locked login is throttled,
            // so nobody polls for the moment its owner unlocks it.
            self.count_failure(&window, now).await?;
            return Err(IdentityError::Locked);
        }
        if !self.hasher.verify(password, &login.password_hash).await? {
            self.count_failure(&window, now).await?;
            return Err(if self.fail_login(&login, address).await? {
                IdentityError::Locked
            } else {
                IdentityError::InvalidCredentials
            });
        }
        self.refuse_if_account_inactive(&login).await?;
        if login.second_factor.is_some() {
            // The failed-attempt count stays until the second step succeeds too.
            return Ok(SignInOutcome::SecondFactorRequired(
                self.challenge(&login).await?,
            ));
        }
        let (started, session_write) = self.session_for(&login).await?;
        let mut signed_in = Update::default()
            .set("last_sign_in_at", store::rfc3339(now))
            .set("failed_attempts", 0);
        if login.failed_attempts == 0 {
            signed_in = Update::default().set("last_sign_in_at", store::rfc3339(now));
        }
        let mut tx = Transaction::new();
        tx.add("session", session_write).add(
            "unlocked login",
            Write::Update {
                key: records::key(tenant, &login.id),
                update: signed_in,
                // Locked meanwhile by another attempt: no session.
                condition: Some(Condition::Equals("locked".into(), Value::Bool(false))),
            },
        );
        match tx.commit(self.table.as_ref()).await {
            Ok(()) => {}
            Err(TransactionError::ConditionFailed("unlocked login")) => {
                return Err(IdentityError::Locked);
            }
            Err(e) => return Err(TableError::from(e).into()),
        }
        tracing::info!(tenant = %tenant, login = %login.id, "signed in");
        Ok(SignInOutcome::SignedIn(Box::new(started)))
    }

    /// An inactive account's logins do not sign in (told only after a right password).
    /// Making an account inactive also ends its sessions: each request checks the account.
    pub(super) async fn refuse_if_account_inactive(
        &self,
        login: &Login,
    ) -> Result<(), IdentityError> {
        let Some(account) = login.principal.account() else {
            return Ok(());
        };
        match self.accounts().get(&login.tenant, &account).await {
            Ok(a) if a.status == crate::domain::accounts::AccountStatus::Active => Ok(()),
            Ok(_) => Err(IdentityError::AccountInactive),
            Err(e) => Err(e.into()),
        }
    }

    /// A name no login has: the same steps as a wrong password for a login (read its
    /// record, check a password hash, count the failure, read the settings) and the same
    /// answers, locked at the same threshold.
    async fn refuse_unknown_name(
        &self,
        tenant: &TenantId,
        identifier: &str,
        password: &str,
        window: &Key,
        now: OffsetDateTime,
    ) -> Result<IdentityError, IdentityError> {
        let key = unknown_name_key(tenant, identifier);
        let locked = self
            .table
            .get(&key)
            .await?
            .and_then(|i| i.get("locked").cloned())
            == Some(Value::Bool(true));
        if locked {
            self.count_failure(window, now).await?;
            return Ok(IdentityError::Locked);
        }
        self.hasher.verify_decoy(password).await?;
        self.count_failure(window, now).await?;
        let item = self
            .table
            .update(
                &key,
                Update::default()
                    .add("failed_attempts", 1)
                    .set(EXPIRES_AT, (now + UNKNOWN_NAME_MEMORY).unix_timestamp()),
                None,
            )
            .await?;
        let failures = item
            .get("failed_attempts")
            .and_then(Value::as_n)
            .unwrap_or(0);
        let settings = self.settings(tenant).await?;
        if failures < i64::from(settings.lockout_threshold) {
            return Ok(IdentityError::InvalidCredentials);
        }
        self.table
            .update(&key, Update::default().set("locked", true), None)
            .await?;
        Ok(IdentityError::Locked)
    }

    /// Refuses an address that failed too often in the current window.
    pub(super) async fn refuse_if_throttled(
        &self,
        window: &Key,
        now: OffsetDateTime,
    ) -> Result<(), IdentityError> {
        let failures = self
            .table
            .get(window)
            .await?
            .and_then(|i| i.get("failures").and_then(Value::as_n))
            .unwrap_or(0);
        if failures >= THROTTLE_LIMIT {
            let window_seconds = THROTTLE_WINDOW.whole_seconds();
            let retry_after = window_seconds - now.unix_timestamp().rem_euclid(window_seconds);
            return Err(IdentityError::Throttled {
                retry_after: retry_after as u64,
            });
        }
        Ok(())
    }

    pub(super) async fn count_failure(
        &self,
        window: &Key,
        now: OffsetDateTime,
    ) -> Result<(), IdentityError> {
        self.table
            .update(
                window,
                Update::default().add("failures", 1).set(
                    EXPIRES_AT,
                    (now + THROTTLE_WINDOW + THROTTLE_WINDOW).unix_timestamp(),
                ),
                None,
            )
            .await?;
        Ok(())
    }

    /// Counts a failed sign-in; locks the login when it reaches the tenant's threshold and
    /// tells its owner by email. True when the login is now locked.
    pub(super) async fn fail_login(
        &self,
        login: &Login,
        address: &str,
    ) -> Result<bool, IdentityError> {
        let key = records::key(&login.tenant, &login.id);
        let now = self.clock.now();
        let updated = self
            .table
            .update(
                &key,
                Update::default()
                    .add("failed_attempts", 1)
                    .set("last_failed_from", address)
                    .set("last_failed_at", store::rfc3339(now)),
                Some(Condition::Exists),
            )
            .await;
        let item = match updated {
            Ok(item) => item,
            // Removed meanwhile.
            Err(TableError::ConditionFailed) => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        let failures = item
            .get("failed_attempts")
            .and_then(Value::as_n)
            .unwrap_or(0);
        let settings = self.settings(&login.tenant).await?;
        if failures < i64::from(settings.lockout_threshold) {
            return Ok(false);
        }
        let tenant = self.tenant(&login.tenant).await?;
        let (secret, hash) = tokens::generate();
        let link = self
            .links
            .page_with_secret(&tenant, "credentials/unlock", &secret);
        let message = mail::compose(
            &tenant,
            &settings,
            &self.sender,
            std::slice::from_ref(&login.email),
            Mail {
                language: &login.language,
                name: login.name.as_deref().unwrap_or(&login.username),
                notice: Notice::LockedOut {
                    username: &login.username,
                    link: &link,
                    attempts: settings.lockout_threshold,
                },
            },
        )?;
        let lock = Write::Update {
            key,
            update: Update::default()
                .set("locked", true)
                .set("locked_at", store::rfc3339(now))
                .set("gsi2pk", keys::locked_logins(&login.tenant))
                .set("gsi2sk", format!("{}#{}", store::rfc3339(now), login.id)),
            // Locked once, and told once, however many attempts race.
            condition: Some(Condition::Equals("locked".into(), Value::Bool(false))),
        };
        let unlock_link = Write::Put {
            item: records::link_item(
                &login.tenant,
                &hash,
                &LinkPurpose::Unlock {
                    login: login.id.to_string(),
                },
                now + UNLOCK_LINK_LIFETIME,
            )?,
            condition: Some(Condition::Absent),
        };
        match self
            .table
            .transact(vec![lock, unlock_link, outbox::enqueue(&message, now)])
            .await
        {
            Ok(()) => {
                tracing::warn!(tenant = %login.tenant, login = %login.id, address,
                    "login locked after failed sign-ins");
                Ok(true)
            }
            Err(TableError::TransactionConditionFailed { .. })
            | Err(TableError::TransactionConflict) => Ok(true),
            Err(e) => Err(e.into()),
        }
    }

    /// Staff unlock a locked login; its failed attempts start again from zero.
    pub async fn unlock(
        &self,
        staff: &Session,
        login: &LoginId,
        request_id: &str,
    ) -> Result<Login, IdentityError> {
        let current = self.login(&staff.tenant, login).await?;
        if matches!(current.principal, Principal::Staff { .. })
            && (current.id == staff.login || !staff.principal.reaches(&current.principal))
        {
            return Err(IdentityError::Forbidden(
                "staff unlock only colleagues within their own reach",
            ));
        }
        if !current.is_locked() {
            return Ok(current);
        }
        let audit = self.audit().write(
            staff,
            current.principal.account(),
            "login.unlocked",
            &current.username,
            request_id,
            false,
        )?;
        let mut tx = Transaction::new();
        tx.add("locked login", records::unlock_write(&staff.tenant, login))
            .add("audit entry", audit);
        match tx.commit(self.table.as_ref()).await {
            // Unlocked by someone else meanwhile: the same result.
            Ok(()) | Err(TransactionError::ConditionFailed("locked login")) => {}
            Err(e) => return Err(TableError::from(e).into()),
        }
        self.login(&staff.tenant, login).await
    }

    /// The Locked Out Users report: locked logins, longest locked first.
    pub async fn locked_logins(
        &self,
        staff: &Session,
        page: &PageRequest,
    ) -> Result<Page<Login>, IdentityError> {
        if !staff.principal.may(Permission::ReportsView) {
            return Err(IdentityError::Forbidden(
                "reports need the reports permission",
            ));
        }
        if !staff.principal.sees_group(None) {
            return Err(IdentityError::Forbidden(
                "the report covers every account; staff limited to groups cannot run it",
            ));
        }
        Ok(paging::fetch(
            self.table.as_ref(),
            &self.cursors,
            &format!("locked:{}", staff.tenant),
            Query::partition(Index::Gsi2, keys::locked_logins(&staff.tenant)),
            page,
            records::from_item,
        )
        .await?)
    }
}
