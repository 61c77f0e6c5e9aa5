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

use std::sync::Arc;

use super::context::Context;
use super::credentials::Credentials;
use super::lockout::Lockout;
use super::logins::Logins;
use super::model::LinkPurpose;
use super::model::SignInOutcome;
use super::records;
use super::two_factor::TwoFactor;
use time::{Duration, OffsetDateTime};

use super::error::IdentityError;
use super::tokens;
use crate::ids::TenantId;
use crate::ports::table::{Condition, EXPIRES_AT, Key, TableError, Update, Value, Write};
use crate::store::{self, Transaction, TransactionError, keys};

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

/// Sign-in with a username (or an address) and a password.
#[derive(Clone)]
pub struct SignIn {
    pub(super) cx: Arc<Context>,
}

impl SignIn {
    fn lockout(&self) -> Lockout {
        Lockout {
            cx: self.cx.clone(),
        }
    }

    fn logins(&self) -> Logins {
        Logins {
            cx: self.cx.clone(),
        }
    }

    fn two_factor(&self) -> TwoFactor {
        TwoFactor {
            cx: self.cx.clone(),
        }
    }

    fn credentials(&self) -> Credentials {
        Credentials {
            cx: self.cx.clone(),
        }
    }

    /// Signs in with the single-use link of a failed-payment mail, in place of the password
    /// only: a login with two-factor sign-in still answers its challenge, and a locked login
    /// or an inactive account is refused as at the sign-in form. The link is spent either
    /// way, so a mail read twice (or by a scanner that follows it) does not sign in twice.
    pub async fn sign_in_with_card_link(
        &self,
        tenant: &TenantId,
        secret: &str,
    ) -> Result<SignInOutcome, IdentityError> {
        let credentials = self.credentials();
        let Some((hash, LinkPurpose::CardSignIn { login, epoch })) =
            credentials.open_link(tenant, secret).await?
        else {
            return Err(IdentityError::LinkUnusable);
        };
        // Gone, or its password changed or reset since the link was made.
        let Some(login) = credentials
            .linked_login(tenant, &login)
            .await?
            .filter(|l| l.sessions_epoch == epoch)
        else {
            return Err(IdentityError::LinkUnusable);
        };
        if login.is_locked() {
            return Err(IdentityError::Locked);
        }
        self.logins().refuse_if_account_inactive(&login).await?;
        let now = self.cx.clock.now();
        let mut tx = Transaction::new();
        tx.add("open link", records::spend_link(tenant, &hash, now));
        let mut started = None;
        if login.second_factor.is_none() {
            let (session, session_write) = self.two_factor().card_session_for(&login).await?;
            tx.add("session", session_write).add(
                "unlocked login",
                Write::Update {
                    key: records::key(tenant, &login.id),
                    update: Update::default().set("last_sign_in_at", store::rfc3339(now)),
                    // Locked meanwhile: no session.
                    condition: Some(Condition::Equals("locked".into(), Value::Bool(false))),
                },
            );
            started = Some(session);
        }
        match tx.commit(self.cx.table.as_ref()).await {
            Ok(()) => {}
            Err(TransactionError::ConditionFailed("open link")) => {
                return Err(IdentityError::LinkUnusable);
            }
            Err(TransactionError::ConditionFailed("unlocked login")) => {
                return Err(IdentityError::Locked);
            }
            Err(e) => return Err(TableError::from(e).into()),
        }
        // The challenge only once the link is spent: a used link never leads to one. Its
        // session, after the code, is for the card pages only too.
        let outcome = match started {
            Some(session) => SignInOutcome::SignedIn(Box::new(session)),
            None => SignInOutcome::SecondFactorRequired(
                self.two_factor().challenge_for(&login, true).await?,
            ),
        };
        tracing::info!(tenant = %tenant, login = %login.id, "signed in from a card link");
        Ok(outcome)
    }

    /// Signs in with a username (or an address only one login has) and a password.
    pub async fn sign_in(
        &self,
        tenant: &TenantId,
        identifier: &str,
        password: &str,
        address: &str,
    ) -> Result<SignInOutcome, IdentityError> {
        let now = self.cx.clock.now();
        let window = records::window_key(tenant, address, now);
        self.lockout().refuse_if_throttled(&window, now).await?;
        let Some(login) = self.logins().find_by_identifier(tenant, identifier).await? else {
            return Err(self
                .refuse_unknown_name(tenant, identifier, password, &window, now)
                .await?);
        };
        if login.is_locked() {
            // Still an attempt: an address that keeps trying a locked login is throttled,
            // so nobody polls for the moment its owner unlocks it.
            self.lockout().count_failure(&window, now).await?;
            return Err(IdentityError::Locked);
        }
        if !self
            .cx
            .hasher
            .verify(password, &login.password_hash)
            .await?
        {
            self.lockout().count_failure(&window, now).await?;
            return Err(if self.lockout().fail_login(&login, address).await? {
                IdentityError::Locked
            } else {
                IdentityError::InvalidCredentials
            });
        }
        self.logins().refuse_if_account_inactive(&login).await?;
        if login.second_factor.is_some() {
            // The failed-attempt count stays until the second step succeeds too.
            return Ok(SignInOutcome::SecondFactorRequired(
                self.two_factor().challenge(&login).await?,
            ));
        }
        let (started, session_write) = self.two_factor().session_for(&login).await?;
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
        match tx.commit(self.cx.table.as_ref()).await {
            Ok(()) => {}
            Err(TransactionError::ConditionFailed("unlocked login")) => {
                return Err(IdentityError::Locked);
            }
            Err(e) => return Err(TableError::from(e).into()),
        }
        tracing::info!(tenant = %tenant, login = %login.id, "signed in");
        Ok(SignInOutcome::SignedIn(Box::new(started)))
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
            .cx
            .table
            .get(&key)
            .await?
            .and_then(|i| i.get("locked").cloned())
            == Some(Value::Bool(true));
        if locked {
            self.lockout().count_failure(window, now).await?;
            return Ok(IdentityError::Locked);
        }
        self.cx.hasher.verify_decoy(password).await?;
        self.lockout().count_failure(window, now).await?;
        let item = self
            .cx
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
        let settings = self.cx.settings(tenant).await?;
        if failures < i64::from(settings.lockout_threshold) {
            return Ok(IdentityError::InvalidCredentials);
        }
        self.cx
            .table
            .update(&key, Update::default().set("locked", true), None)
            .await?;
        Ok(IdentityError::Locked)
    }
}
