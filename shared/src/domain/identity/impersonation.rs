//! Impersonation: staff open a portal session as one of an account's end-user logins,
//! read-only or not, for 30 minutes at most, audited and on the account's access history.

use std::sync::Arc;

use super::context::Context;
use super::error::IdentityError;
use super::logins::Logins;
use super::model::{Impersonator, Permission, Session, SessionSpec, Started};
use super::sessions::Sessions;
use crate::ids::{AccountId, LoginId};
use time::Duration;

/// Impersonation sessions end this long after they start, whatever the tenant's settings.
pub const IMPERSONATION_LIFETIME: Duration = Duration::minutes(30);

/// Impersonation: staff acting in an end user's portal session.
#[derive(Clone)]
pub struct Impersonation {
    pub(super) cx: Arc<Context>,
}

impl Impersonation {
    fn logins(&self) -> Logins {
        Logins {
            cx: self.cx.clone(),
        }
    }

    fn sessions(&self) -> Sessions {
        Sessions {
            cx: self.cx.clone(),
        }
    }

    /// Starts a portal session as one of the tenant's end-user logins, on behalf of
    /// `staff`: it ends within 30 minutes, can be read-only, and is audited.
    pub async fn impersonate(
        &self,
        staff: &Session,
        account: &AccountId,
        login: &LoginId,
        read_only: bool,
        request_id: &str,
    ) -> Result<Started, IdentityError> {
        if staff.impersonator.is_some() || !staff.principal.may(Permission::Impersonate) {
            return Err(IdentityError::Forbidden(
                "impersonation needs its permission",
            ));
        }
        let login = self
            .logins()
            .login_of_account(&staff.tenant, account, login)
            .await?;
        self.logins().refuse_if_account_inactive(&login).await?;
        let spec = SessionSpec {
            idle: IMPERSONATION_LIFETIME,
            absolute: IMPERSONATION_LIFETIME,
            impersonator: Some((
                Impersonator {
                    login: staff.login,
                    username: staff.username.clone(),
                },
                staff.epoch,
            )),
            read_only,
            enrolment_only: false,
            card_only: false,
        };
        let (started, write) = self.sessions().new_session(&login, spec)?;
        let audit = self.cx.audit().write(
            staff,
            Some(*account),
            "impersonation.started",
            &format!(
                "as {}{}",
                login.username,
                if read_only { ", read-only" } else { "" }
            ),
            request_id,
            true,
        )?;
        self.cx.table.transact(vec![write, audit]).await?;
        tracing::info!(tenant = %staff.tenant, staff = %staff.login, login = %login.id,
            read_only, "impersonation started");
        Ok(started)
    }
}
