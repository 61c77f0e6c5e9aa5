//! Logins: the record, its claims (username, email) and what staff and account owners do
//! with them: list, rename, limit, remove.

use std::sync::Arc;

use super::context::Context;
use super::model::{
    Login, LoginState, Permission, Principal, Role, check_groups, normalise_username,
    username_lookalike,
};
use super::records;
use super::sessions::Sessions;
use std::collections::BTreeSet;

use time::OffsetDateTime;

use super::error::{IdentityError, invalid};
use crate::domain::contact::EmailAddress;
use crate::domain::paging::{self, Page, PageRequest};
use crate::ids::{AccountId, LoginId, TenantId};
use crate::ports::table::{Condition, Index, Item, Query, TableError, Value, Write};
use crate::store::{self, Stamp, Transaction, TransactionError, keys};

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

/// A tenant's logins: finding them, renaming, removing, and what each may do.
#[derive(Clone)]
pub struct Logins {
    pub(super) cx: Arc<Context>,
}

impl Logins {
    fn sessions(&self) -> Sessions {
        Sessions {
            cx: self.cx.clone(),
        }
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
        match self.cx.accounts().get(&login.tenant, &account).await {
            Ok(a) if a.status == crate::domain::accounts::AccountStatus::Active => Ok(()),
            Ok(_) => Err(IdentityError::AccountInactive),
            Err(e) => Err(e.into()),
        }
    }

    /// When the account's live credential-create link expires, if one is out.
    pub async fn live_invitation(
        &self,
        tenant: &TenantId,
        account: &AccountId,
    ) -> Result<Option<OffsetDateTime>, IdentityError> {
        Ok(self
            .cx
            .table
            .get(&records::invitation_key(tenant, account))
            .await?
            .and_then(|i| i.get("valid_until").and_then(Value::as_n))
            .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
            .filter(|t| *t > self.cx.clock.now()))
    }

    pub async fn login(&self, tenant: &TenantId, id: &LoginId) -> Result<Login, IdentityError> {
        let item = self
            .cx
            .table
            .get(&records::key(tenant, id))
            .await?
            .ok_or(IdentityError::NotFound)?;
        let login = records::from_item(&item)?;
        if login.tenant != *tenant {
            return Err(IdentityError::NotFound);
        }
        Ok(login)
    }

    /// The mail the signed-in login chose to get at its own address.
    pub async fn mail_choices(
        &self,
        session: &super::Session,
    ) -> Result<super::mail_choices::MailChoices, IdentityError> {
        let login = self.login(&session.tenant, &session.login).await?;
        Ok(super::mail_choices::choices_of(&login))
    }

    /// Keeps what mail the signed-in login gets (see [`super::mail_choices::choose`]);
    /// choosing the same again changes nothing.
    pub async fn choose_mail(
        &self,
        session: &super::Session,
        topics: &std::collections::BTreeSet<super::MailTopic>,
    ) -> Result<super::mail_choices::MailChoices, IdentityError> {
        let write = super::mail_choices::choose(self.cx.table.as_ref(), session, topics).await?;
        match self.cx.table.transact(vec![write]).await {
            Ok(()) => self.mail_choices(session).await,
            // The login was removed meanwhile.
            Err(TableError::ConditionFailed) => Err(IdentityError::NotFound),
            Err(e) => Err(e.into()),
        }
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
            .cx
            .table
            .get(&records::username_key(tenant, &username))
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
            .cx
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
    /// The colleagues invited to an account who have not set up their access yet (their
    /// link in force or run out), newest first.
    pub async fn invited(
        &self,
        tenant: &TenantId,
        account: &AccountId,
    ) -> Result<Vec<records::InvitedColleague>, IdentityError> {
        let page = self
            .cx
            .table
            .query(
                Query::partition(Index::Primary, keys::account_invitations(tenant, account))
                    .limit(100),
            )
            .await?;
        let mut invited = page
            .items
            .iter()
            .map(records::invited_from)
            .collect::<Result<Vec<_>, _>>()?;
        invited.sort_by_key(|i| std::cmp::Reverse(i.invited_at));
        Ok(invited)
    }

    pub async fn logins_of_account(
        &self,
        tenant: &TenantId,
        account: &AccountId,
    ) -> Result<Vec<Login>, IdentityError> {
        let page = self
            .cx
            .table
            .query(Query::partition(Index::Gsi1, keys::logins_of(tenant, account)).limit(100))
            .await?;
        Ok(page
            .items
            .iter()
            .map(records::from_item)
            .collect::<Result<_, _>>()?)
    }

    pub async fn staff(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<Login>, IdentityError> {
        Ok(paging::fetch(
            self.cx.table.as_ref(),
            &self.cx.cursors,
            &format!("staff:{tenant}"),
            Query::partition(Index::Gsi1, keys::staff_of(tenant)),
            page,
            records::from_item,
        )
        .await?)
    }

    /// The console's panel: the owner login's state, the live invitation, every login.
    pub async fn access_panel(
        &self,
        tenant: &TenantId,
        account: &AccountId,
    ) -> Result<AccessPanel, IdentityError> {
        self.cx.accounts().get(tenant, account).await?;
        let logins = self.logins_of_account(tenant, account).await?;
        let owner_id = self
            .cx
            .table
            .get(&records::owner_key(tenant, account))
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
        stamp: &Stamp,
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
                ("pk", records::username_key(tenant, &username).pk),
                ("sk", "USERNAME".to_owned()),
            ],
        );
        let mut tx = Transaction::new();
        tx.add(
            "username claim",
            Write::Put {
                item: claim,
                condition: Some(Condition::Absent),
            },
        )
        .add(
            "old username",
            Write::Delete {
                key: records::username_key(tenant, &login.username),
                condition: Some(Condition::Equals("login".into(), Value::S(id.to_string()))),
            },
        )
        .add(
            "login",
            store::put_on_version(records::to_item(&next)?, login.version),
        );
        // A new look is claimed and the old one let go; the same look stays claimed.
        let look_changes = username_lookalike(&username) != username_lookalike(&login.username);
        if look_changes {
            tx.add(
                "look-alike claim",
                records::lookalike_claim(tenant, &username, id),
            );
            tx.extend(
                "old look",
                self.let_go_of_look(tenant, &login.username, id).await?,
            );
        }
        tx.extend("audit entry", stamp.writes());
        match tx.commit(self.cx.table.as_ref()).await {
            Ok(()) => Ok(next),
            Err(TransactionError::ConditionFailed("username claim" | "look-alike claim")) => {
                Err(IdentityError::UsernameTaken(username))
            }
            Err(e) if e.is_contention() => Err(IdentityError::login_changed()),
            Err(e) => Err(TableError::from(e).into()),
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
        let look = records::lookalike_key(tenant, username);
        let holder = self
            .cx
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
    pub async fn remove_login(
        &self,
        tenant: &TenantId,
        id: &LoginId,
        stamp: &Stamp,
    ) -> Result<(), IdentityError> {
        let login = self.login(tenant, id).await?;
        let mut tx = Transaction::new();
        tx.add(
            "login",
            Write::Delete {
                key: records::key(tenant, id),
                condition: Some(store::on_version(login.version)),
            },
        )
        .add(
            "username",
            Write::Delete {
                key: records::username_key(tenant, &login.username),
                condition: None,
            },
        )
        .add(
            "email",
            Write::Delete {
                key: records::email_key(tenant, &login.email, id),
                condition: None,
            },
        );
        tx.extend(
            "look",
            self.let_go_of_look(tenant, &login.username, id).await?,
        );
        if let Some(account) = login.principal.account() {
            let owner = records::owner_key(tenant, &account);
            let is_owner = self
                .cx
                .table
                .get(&owner)
                .await?
                .and_then(|i| i.get("login").and_then(Value::as_s).map(str::to_owned))
                == Some(id.to_string());
            if is_owner {
                tx.add(
                    "owner",
                    Write::Delete {
                        key: owner,
                        condition: Some(Condition::Equals(
                            "login".into(),
                            Value::S(id.to_string()),
                        )),
                    },
                );
            }
        }
        tx.extend("audit entry", stamp.writes());
        match tx.commit(self.cx.table.as_ref()).await {
            Ok(()) => {}
            Err(e) if e.is_contention() => return Err(IdentityError::login_changed()),
            Err(e) => return Err(TableError::from(e).into()),
        }
        self.sessions().end_sessions_of(tenant, id, None).await?;
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
        stamp: &Stamp,
    ) -> Result<Login, IdentityError> {
        let login = self.login_of_account(tenant, account, id).await?;
        let mut next = login.clone();
        next.principal = Principal::EndUser {
            account: *account,
            role: access.role,
            allow_orders: access.allow_orders,
        };
        self.replace(&login, next, stamp).await
    }

    /// Changes a staff member's permissions and account groups; its sessions end.
    pub async fn set_staff_access(
        &self,
        tenant: &TenantId,
        id: &LoginId,
        access: StaffAccess,
        stamp: &Stamp,
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
        self.replace(&login, next, stamp).await
    }

    /// Saves `next` in place of `current` if nobody changed it meanwhile, with the change's
    /// audit entry, and ends the login's sessions (its access changed).
    async fn replace(
        &self,
        current: &Login,
        mut next: Login,
        stamp: &Stamp,
    ) -> Result<Login, IdentityError> {
        if next == *current {
            return Ok(next);
        }
        next.version = current.version + 1;
        next.sessions_epoch = current.sessions_epoch + 1;
        let mut tx = Transaction::new();
        tx.add(
            "login",
            Write::Put {
                item: records::to_item(&next)?,
                condition: Some(store::on_version(current.version)),
            },
        );
        tx.extend("audit entry", stamp.writes());
        match tx.commit(self.cx.table.as_ref()).await {
            Ok(()) => {}
            Err(TransactionError::ConditionFailed("login")) => {
                return Err(IdentityError::login_changed());
            }
            Err(e) => return Err(TableError::from(e).into()),
        }
        self.sessions()
            .end_sessions_of(&current.tenant, &current.id, None)
            .await?;
        Ok(next)
    }
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
