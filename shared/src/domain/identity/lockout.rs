//! Lock-out: failed sign-ins counted per login and per address, the lock after the
//! provider's number of failures in a row (with the notice and its unlock link), throttling
//! of an address, staff unlocking a login, and the Locked Out Users report.

use std::sync::Arc;

use super::context::Context;
use super::error::IdentityError;
use super::logins::Logins;
use super::model::{LinkPurpose, Login, Permission, Principal, Session, THROTTLE_WINDOW};
use super::records;
use super::tokens;
use crate::domain::notifications::Notice;
use crate::domain::outbox;
use crate::domain::paging::{self, Page, PageRequest};
use crate::ids::LoginId;
use crate::ports::table::{
    Condition, EXPIRES_AT, Index, Key, Query, TableError, Update, Value, Write,
};
use crate::store::{self, Transaction, TransactionError, keys};
use time::{Duration, OffsetDateTime};

pub const THROTTLE_LIMIT: i64 = 30;

/// How long the unlock link of a lock notice works.
pub const UNLOCK_LINK_LIFETIME: Duration = Duration::hours(24);

/// Lock-out: failures counted, logins locked and unlocked, addresses throttled.
#[derive(Clone)]
pub struct Lockout {
    pub(super) cx: Arc<Context>,
}

impl Lockout {
    fn logins(&self) -> Logins {
        Logins {
            cx: self.cx.clone(),
        }
    }

    /// Refuses an address that failed too often in the current window.
    pub(super) async fn refuse_if_throttled(
        &self,
        window: &Key,
        now: OffsetDateTime,
    ) -> Result<(), IdentityError> {
        let failures = self
            .cx
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
        self.cx
            .table
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
        let now = self.cx.clock.now();
        let updated = self
            .cx
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
        let settings = self.cx.settings(&login.tenant).await?;
        if failures < i64::from(settings.lockout_threshold) {
            return Ok(false);
        }
        let tenant = self.cx.tenant(&login.tenant).await?;
        let (secret, hash) = tokens::generate();
        let link = self
            .cx
            .links
            .page_with_secret(&tenant, "credentials/unlock", &secret);
        let message = self.cx.mail_to_login(
            &tenant,
            &settings,
            login,
            Notice::LockedOut {
                username: &login.username,
                link: &link,
                attempts: settings.lockout_threshold,
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
            .cx
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
        let current = self.logins().login(&staff.tenant, login).await?;
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
        let audit = self.cx.audit().write(
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
        match tx.commit(self.cx.table.as_ref()).await {
            // Unlocked by someone else meanwhile: the same result.
            Ok(()) | Err(TransactionError::ConditionFailed("locked login")) => {}
            Err(e) => return Err(TableError::from(e).into()),
        }
        self.logins().login(&staff.tenant, login).await
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
            self.cx.table.as_ref(),
            &self.cx.cursors,
            &format!("locked:{}", staff.tenant),
            Query::partition(Index::Gsi2, keys::locked_logins(&staff.tenant)),
            page,
            records::from_item,
        )
        .await?)
    }
}
