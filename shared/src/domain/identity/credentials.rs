//! The credential lifecycle: credential-create links (to an account's addresses, to a new
//! login an owner adds, to a new staff member), forgot and reset password, change password.
//!
//! A link's secret is stored only as its hash, with an expiry (the TTL attribute) and a
//! status: used once, it answers "sign in" like an expired or unknown one, never its form
//! again. Sending a new credential-create email for an account retires the previous link.

use std::sync::Arc;

use super::context::Context;
use super::logins::Logins;
use super::model::{
    LinkPurpose, Login, NewLogin, Permission, Principal, Role, Session, check_groups,
    normalise_username,
};
use super::records;
use super::sessions::Sessions;
use std::collections::BTreeSet;

use time::{Duration, OffsetDateTime};

use super::error::{IdentityError, invalid};
use super::passwords;
use super::tokens;
use crate::domain::accounts::AccountStatus;
use crate::domain::contact::EmailAddress;
use crate::domain::notifications::{self as mail, Mail, Notice};
use crate::domain::outbox;
use crate::domain::settings::LANGUAGE_FALLBACK;
use crate::domain::tenancy::TenantKind;
use crate::ids::{AccountId, LoginId, TenantId};
use crate::ports::table::{Condition, EXPIRES_AT, Item, Key, TableError, Value, Write};
use crate::store::{self, Transaction, TransactionError, keys};

pub const RESET_LINK_LIFETIME: Duration = Duration::hours(1);
/// A "fix your card" link works once, for three days: dunning mail is read later than a
/// reset the reader asked for.
pub const CARD_LINK_LIFETIME: Duration = Duration::days(3);
/// At most one reset email per login in this time, however often it is asked for.
pub const RESET_MAIL_GAP: Duration = Duration::minutes(5);
/// How long a forgot-password request is kept (answered in seconds; kept for redelivery).
const PASSWORD_HELP_KEPT: Duration = Duration::days(1);
/// How long a forgot-password request may wait for the stream before the sweep answers it:
/// the stream is the quick way, but it reads every change of the table in order, and a
/// usage file's burst of records can hold it back for minutes.
pub const PASSWORD_HELP_WAIT: Duration = Duration::minutes(1);
/// At most this many answered a sweep (about a second of work each at worst).
const PASSWORD_HELP_PER_SWEEP: usize = 200;
/// The sort key of forgot-password requests (the notifier's stream filter names it).
pub const PASSWORD_HELP_SK: &str = "PASSWORD_HELP";

/// Is this item a forgot-password request?
pub fn is_password_help(item: &Item) -> bool {
    item.get("sk").and_then(Value::as_s) == Some(PASSWORD_HELP_SK)
}

/// What a link leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkView {
    /// The credential-create form, for this person.
    Create { name: String, email: String },
    /// The new-password form, for this username.
    Reset { username: String },
    /// The unlock button, for this username.
    Unlock { username: String },
    /// "Continue to your card page" as this username (a link of a failed-payment mail).
    CardSignIn { username: String },
    /// Used, expired or unknown: the sign-in page.
    SignIn,
}

/// A new end-user login an account's owner (or staff) adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginInvitation {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub allow_orders: bool,
    pub language: Option<String>,
}

/// A new staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffInvitation {
    pub email: String,
    pub name: String,
    pub permissions: BTreeSet<Permission>,
    pub groups: Option<BTreeSet<String>>,
    pub language: Option<String>,
}

fn reset_gap_key(tenant: &TenantId, login: &LoginId) -> Key {
    Key::new(keys::login(tenant, login), "RESET_SENT")
}

fn language_or(language: Option<&str>, fallback: &str) -> String {
    match language {
        Some(l) if crate::domain::settings::LANGUAGES.contains(&l) => l.to_owned(),
        _ => fallback.to_owned(),
    }
}

/// Credentials and one-time links: invitations, credential-create, password reset and change,
/// forgot password, unlock links.
#[derive(Clone)]
pub struct Credentials {
    pub(super) cx: Arc<Context>,
}

impl Credentials {
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

    /// Sends the account's credential-create email to every primary address of the account
    /// (staff, or on account creation when the tenant says so). Refused when the account
    /// already has its owner login: that one gets a password reset instead.
    pub async fn send_create_email(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        actor: Option<(&Session, &str)>,
    ) -> Result<OffsetDateTime, IdentityError> {
        let account = self.cx.accounts().get(tenant, account).await?;
        if account.status != AccountStatus::Active {
            return Err(IdentityError::Conflict("the account is inactive".into()));
        }
        if self
            .cx
            .table
            .get(&records::owner_key(tenant, &account.id))
            .await?
            .is_some()
        {
            return Err(IdentityError::Conflict(
                "the account already has a username; send a password reset email instead".into(),
            ));
        }
        let tenant_record = self.cx.tenant(tenant).await?;
        let settings = self.cx.settings(tenant).await?;
        let now = self.cx.clock.now();
        let valid_until = now + Duration::days(i64::from(settings.create_link_days));
        let purpose = LinkPurpose::Create(NewLogin {
            account: Some(account.id.to_string()),
            owner: true,
            role: Some(Role::Owner),
            allow_orders: true,
            permissions: Vec::new(),
            groups: None,
            email: account.emails[0].to_string(),
            name: account.name.clone(),
            language: settings.default_language.clone(),
        });
        let (secret, hash) = tokens::generate();
        let link = self
            .cx
            .links
            .page_with_secret(&tenant_record, "credentials/create", &secret);
        let message = mail::compose(
            &tenant_record,
            &settings,
            &self.cx.sender,
            &account.emails,
            Mail {
                language: &settings.default_language,
                name: &account.name,
                notice: Notice::CredentialCreate {
                    link: &link,
                    days: settings.create_link_days,
                },
            },
        )?;
        let invitation = records::invitation_key(tenant, &account.id);
        let mut writes = vec![
            Write::Put {
                item: records::link_item(tenant, &hash, &purpose, valid_until)?,
                condition: Some(Condition::Absent),
            },
            Write::Put {
                item: store::keyed(
                    Item::from([
                        ("link".to_owned(), Value::S(hash)),
                        (
                            "valid_until".to_owned(),
                            Value::N(valid_until.unix_timestamp()),
                        ),
                        ("sent_at".to_owned(), Value::S(store::rfc3339(now))),
                        (
                            EXPIRES_AT.to_owned(),
                            Value::N(valid_until.unix_timestamp()),
                        ),
                    ]),
                    &[("pk", invitation.pk), ("sk", invitation.sk)],
                ),
                condition: None,
            },
            outbox::enqueue(&message, now),
        ];
        if let Some((session, request_id)) = actor {
            writes.push(self.cx.audit().write(
                session,
                Some(account.id),
                "login.create_email_sent",
                &format!("to {} address(es)", account.emails.len()),
                request_id,
                false,
            )?);
        }
        self.cx.table.transact(writes).await?;
        tracing::info!(tenant = %tenant, account = %account.id, "credential-create email queued");
        Ok(valid_until)
    }

    /// An account's owner (or staff) adds a login to the account: a credential-create
    /// link goes to the new login's address.
    pub async fn invite_login(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        invitation: LoginInvitation,
        actor: (&Session, &str),
    ) -> Result<OffsetDateTime, IdentityError> {
        if actor.0.impersonator.is_some() {
            return Err(IdentityError::Forbidden(
                "an impersonation cannot create logins: they would outlive it",
            ));
        }
        let account = self.cx.accounts().get(tenant, account).await?;
        let email = EmailAddress::parse(&invitation.email).map_err(|m| invalid("/email", m))?;
        let name = check_name(&invitation.name)?;
        let settings = self.cx.settings(tenant).await?;
        let language = language_or(invitation.language.as_deref(), &settings.default_language);
        let purpose = LinkPurpose::Create(NewLogin {
            account: Some(account.id.to_string()),
            owner: false,
            role: Some(invitation.role),
            allow_orders: invitation.allow_orders,
            permissions: Vec::new(),
            groups: None,
            email: email.to_string(),
            name: name.clone(),
            language: language.clone(),
        });
        self.send_link(
            tenant,
            purpose,
            &email,
            &name,
            &language,
            Some(account.id),
            actor,
        )
        .await
    }

    /// Staff (or the operator tool, for a tenant's first staff member) invite a staff
    /// member: a credential-create link goes to their address.
    pub async fn invite_staff(
        &self,
        tenant: &TenantId,
        invitation: StaffInvitation,
        actor: Option<(&Session, &str)>,
    ) -> Result<OffsetDateTime, IdentityError> {
        let email = EmailAddress::parse(&invitation.email).map_err(|m| invalid("/email", m))?;
        let name = check_name(&invitation.name)?;
        check_groups(invitation.groups.as_ref())?;
        let settings = self.cx.settings(tenant).await?;
        let language = language_or(invitation.language.as_deref(), &settings.default_language);
        let purpose = LinkPurpose::Create(NewLogin {
            account: None,
            owner: false,
            role: None,
            allow_orders: false,
            permissions: invitation.permissions.into_iter().collect(),
            groups: invitation.groups.map(|g| g.into_iter().collect()),
            email: email.to_string(),
            name: name.clone(),
            language: language.clone(),
        });
        match actor {
            Some(actor) => {
                self.send_link(tenant, purpose, &email, &name, &language, None, actor)
                    .await
            }
            None => {
                self.send_link_unaudited(tenant, purpose, &email, &name, &language)
                    .await
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn send_link(
        &self,
        tenant: &TenantId,
        purpose: LinkPurpose,
        email: &EmailAddress,
        name: &str,
        language: &str,
        account: Option<AccountId>,
        (session, request_id): (&Session, &str),
    ) -> Result<OffsetDateTime, IdentityError> {
        let audit = self.cx.audit().write(
            session,
            account,
            "login.invited",
            &format!("{name} <{email}>"),
            request_id,
            false,
        )?;
        self.queue_create_link(tenant, purpose, email, name, language, Some(audit))
            .await
    }

    async fn send_link_unaudited(
        &self,
        tenant: &TenantId,
        purpose: LinkPurpose,
        email: &EmailAddress,
        name: &str,
        language: &str,
    ) -> Result<OffsetDateTime, IdentityError> {
        self.queue_create_link(tenant, purpose, email, name, language, None)
            .await
    }

    async fn queue_create_link(
        &self,
        tenant: &TenantId,
        purpose: LinkPurpose,
        email: &EmailAddress,
        name: &str,
        language: &str,
        audit: Option<Write>,
    ) -> Result<OffsetDateTime, IdentityError> {
        let tenant_record = self.cx.tenant(tenant).await?;
        let settings = self.cx.settings(tenant).await?;
        let now = self.cx.clock.now();
        let valid_until = now + Duration::days(i64::from(settings.create_link_days));
        let (secret, hash) = tokens::generate();
        // Staff set up their access on the console, customers on the portal.
        let page = match &purpose {
            LinkPurpose::Create(new) if new.account.is_none() => "console/credentials/create",
            _ => "credentials/create",
        };
        let link = self
            .cx
            .links
            .page_with_secret(&tenant_record, page, &secret);
        let message = mail::compose(
            &tenant_record,
            &settings,
            &self.cx.sender,
            std::slice::from_ref(email),
            Mail {
                language,
                name,
                notice: Notice::CredentialCreate {
                    link: &link,
                    days: settings.create_link_days,
                },
            },
        )?;
        let mut writes = vec![
            Write::Put {
                item: records::link_item(tenant, &hash, &purpose, valid_until)?,
                condition: Some(Condition::Absent),
            },
            outbox::enqueue(&message, now),
        ];
        // A colleague an owner invited shows on the account's list until they set up.
        if let LinkPurpose::Create(new) = &purpose
            && !new.owner
            && let Some(account) = new.account.as_deref().and_then(|a| a.parse().ok())
        {
            writes.push(Write::Put {
                item: records::invited_item(
                    tenant,
                    &account,
                    &records::InvitedColleague {
                        email: new.email.clone(),
                        name: new.name.clone(),
                        role: new.role,
                        invited_at: now,
                        valid_until,
                    },
                )?,
                condition: None,
            });
        }
        writes.extend(audit);
        self.cx.table.transact(writes).await?;
        Ok(valid_until)
    }

    pub(super) async fn open_link(
        &self,
        tenant: &TenantId,
        secret: &str,
    ) -> Result<Option<(String, LinkPurpose)>, IdentityError> {
        let hash = tokens::hash(secret);
        let Some(item) = self.cx.table.get(&records::link_key(tenant, &hash)).await? else {
            return Ok(None);
        };
        let open = item.get("status").and_then(Value::as_s) == Some("open")
            && item
                .get("valid_until")
                .and_then(Value::as_n)
                .is_some_and(|t| t > self.cx.clock.now().unix_timestamp());
        if !open {
            return Ok(None);
        }
        let purpose = item
            .get("spec")
            .and_then(Value::as_s)
            .and_then(|s| serde_json::from_str(s).ok());
        Ok(purpose.map(|p| (hash, p)))
    }

    /// What a link leads to: its form while it is usable, the sign-in page after.
    pub async fn inspect_link(
        &self,
        tenant: &TenantId,
        secret: &str,
    ) -> Result<LinkView, IdentityError> {
        Ok(match self.open_link(tenant, secret).await? {
            None => LinkView::SignIn,
            Some((_, LinkPurpose::Create(new))) => LinkView::Create {
                name: new.name,
                email: new.email,
            },
            Some((_, LinkPurpose::Reset { login })) => {
                match self.linked_login(tenant, &login).await? {
                    Some(login) => LinkView::Reset {
                        username: login.username,
                    },
                    None => LinkView::SignIn,
                }
            }
            Some((_, LinkPurpose::Unlock { login })) => {
                match self.linked_login(tenant, &login).await? {
                    Some(login) if login.is_locked() => LinkView::Unlock {
                        username: login.username,
                    },
                    _ => LinkView::SignIn,
                }
            }
            Some((_, LinkPurpose::CardSignIn { login, epoch })) => {
                match self.linked_login(tenant, &login).await? {
                    Some(login) if login.sessions_epoch == epoch => LinkView::CardSignIn {
                        username: login.username,
                    },
                    _ => LinkView::SignIn,
                }
            }
        })
    }

    /// A single-use link that signs the login in to the portal's card page (for a
    /// failed-payment mail): the address, and the write that keeps its hash; the link
    /// exists once that write is committed with the mail.
    pub async fn card_sign_in_link(
        &self,
        tenant: &TenantId,
        login: &LoginId,
    ) -> Result<(String, Write), IdentityError> {
        let provider = self.cx.tenant(tenant).await?;
        let epoch = self.logins().login(tenant, login).await?.sessions_epoch;
        let (secret, hash) = tokens::generate();
        let link = self
            .cx
            .links
            .page_with_secret(&provider, "credentials/card", &secret);
        let write = Write::Put {
            item: records::link_item(
                tenant,
                &hash,
                &LinkPurpose::CardSignIn {
                    login: login.to_string(),
                    epoch,
                },
                self.cx.clock.now() + CARD_LINK_LIFETIME,
            )?,
            condition: Some(Condition::Absent),
        };
        Ok((link, write))
    }

    /// The login a link names, if it is still there.
    pub(super) async fn linked_login(
        &self,
        tenant: &TenantId,
        login: &str,
    ) -> Result<Option<Login>, IdentityError> {
        let Ok(id) = login.parse::<LoginId>() else {
            return Ok(None);
        };
        match self.logins().login(tenant, &id).await {
            Ok(login) => Ok(Some(login)),
            Err(IdentityError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Uses the unlock link of a lock notice: the login's owner lifts the lock (the link
    /// is spent, the failed attempts start again from zero). A stranger who locked the
    /// login cannot keep its owner out.
    pub async fn unlock_with_link(
        &self,
        tenant: &TenantId,
        secret: &str,
    ) -> Result<Login, IdentityError> {
        let Some((hash, LinkPurpose::Unlock { login })) = self.open_link(tenant, secret).await?
        else {
            return Err(IdentityError::LinkUnusable);
        };
        let Some(login) = self.linked_login(tenant, &login).await? else {
            return Err(IdentityError::LinkUnusable);
        };
        let spend = records::spend_link(tenant, &hash, self.cx.clock.now());
        let mut tx = Transaction::new();
        tx.add("open link", spend);
        if login.is_locked() {
            tx.add("locked login", records::unlock_write(tenant, &login.id));
        }
        match tx.commit(self.cx.table.as_ref()).await {
            Ok(()) => {}
            Err(TransactionError::ConditionFailed("open link")) => {
                return Err(IdentityError::LinkUnusable);
            }
            // Unlocked by staff meanwhile: the same result, and the link is not spent.
            Err(TransactionError::ConditionFailed("locked login")) => {}
            Err(e) => return Err(TableError::from(e).into()),
        }
        tracing::info!(tenant = %tenant, login = %login.id, "login unlocked from its lock notice");
        self.logins().login(tenant, &login.id).await
    }

    /// Uses a credential-create link: the login is made with the username and password
    /// chosen, and the link is spent.
    pub async fn accept_create_link(
        &self,
        tenant: &TenantId,
        secret: &str,
        username: &str,
        password: &str,
    ) -> Result<Login, IdentityError> {
        let Some((hash, LinkPurpose::Create(new))) = self.open_link(tenant, secret).await? else {
            return Err(IdentityError::LinkUnusable);
        };
        let username = normalise_username(username).map_err(|m| invalid("/username", m))?;
        let email = EmailAddress::parse(&new.email)
            .map_err(|_| TableError::Unreadable("a stored link has a bad email".into()))?;
        let local_part = email.as_str().split('@').next().unwrap_or_default();
        passwords::check_policy(
            password,
            &[&username, local_part, email.as_str(), &new.name],
        )
        .map_err(|m| invalid("/password", m))?;
        let principal = match (&new.account, new.role) {
            (Some(account), Some(role)) => Principal::EndUser {
                account: account.parse().map_err(|_| {
                    TableError::Unreadable("a stored link has a bad account".into())
                })?,
                role,
                allow_orders: new.allow_orders,
            },
            _ => Principal::Staff {
                permissions: new.permissions.iter().copied().collect(),
                groups: new.groups.clone().map(|g| g.into_iter().collect()),
            },
        };
        let now = self.cx.clock.now();
        let login = Login {
            id: LoginId::generate(now),
            tenant: *tenant,
            username: username.clone(),
            email,
            name: Some(new.name.clone()),
            language: language_or(Some(&new.language), LANGUAGE_FALLBACK),
            principal,
            password_hash: self.cx.hasher.hash(password).await?,
            failed_attempts: 0,
            locked_at: None,
            last_failed_from: None,
            last_sign_in_at: None,
            second_factor: None,
            mail_topics: Default::default(),
            sessions_epoch: 0,
            version: 1,
            created_at: now,
        };
        let mut tx = Transaction::new();
        tx.add("open link", records::spend_link(tenant, &hash, now));
        records::add_creation(&mut tx, &login)?;
        if let (false, Some(account)) = (new.owner, login.principal.account()) {
            tx.add(
                "invitation shown",
                Write::Delete {
                    key: records::invited_key(tenant, &account, &new.email),
                    condition: None,
                },
            );
        }
        if let (true, Some(account)) = (new.owner, login.principal.account()) {
            tx.add("owner", records::owner_write(tenant, &account, &login.id));
            // Only the newest link the account was sent makes its owner.
            tx.add(
                "newest invitation",
                Write::Delete {
                    key: records::invitation_key(tenant, &account),
                    condition: Some(Condition::Equals("link".into(), Value::S(hash.clone()))),
                },
            );
        }
        match tx.commit(self.cx.table.as_ref()).await {
            Ok(()) => {
                tracing::info!(tenant = %tenant, login = %login.id, "credentials created");
                Ok(login)
            }
            Err(TransactionError::ConditionFailed(
                records::USERNAME_CLAIM | records::LOOK_CLAIM,
            )) => Err(IdentityError::UsernameTaken(username)),
            Err(e) if e.is_contention() => Err(IdentityError::LinkUnusable),
            Err(e) => Err(TableError::from(e).into()),
        }
    }

    /// Forgot password: records the request, one write whoever asks; the notifier answers
    /// it from the table's stream ([`Identity::answer_password_help`]), so neither the
    /// answer nor the time it takes tells which usernames exist.
    pub async fn forgot_password(
        &self,
        tenant: &TenantId,
        identifier: &str,
    ) -> Result<(), IdentityError> {
        let now = self.cx.clock.now();
        let id = ulid::Ulid::from_datetime(now.into()).to_string();
        let item = store::keyed(
            Item::from([
                ("tenant".to_owned(), Value::S(tenant.to_string())),
                (
                    "identifier".to_owned(),
                    Value::S(identifier.trim().chars().take(320).collect()),
                ),
                (
                    EXPIRES_AT.to_owned(),
                    Value::N((now + PASSWORD_HELP_KEPT).unix_timestamp()),
                ),
            ]),
            &[
                ("pk", keys::password_help(tenant, &id)),
                ("sk", PASSWORD_HELP_SK.to_owned()),
                // Waiting for an answer: the sweep answers it if the stream has not.
                ("gsi2pk", keys::PASSWORD_HELP_WAITING.to_owned()),
                ("gsi2sk", format!("{}#{id}", store::rfc3339(now))),
            ],
        );
        self.cx.table.put(item, None).await?;
        Ok(())
    }

    /// Answers the forgot-password requests the stream has not answered within
    /// [`PASSWORD_HELP_WAIT`] (the outbox sweep, every minute). Returns how many.
    pub async fn answer_waiting_password_help(&self) -> Result<usize, IdentityError> {
        use crate::ports::table::{Index, Query, SortKey};
        let before = store::rfc3339(self.cx.clock.now() - PASSWORD_HELP_WAIT);
        let mut answered = 0;
        let mut after = None;
        loop {
            let page = self
                .cx
                .table
                .query(
                    Query::partition(Index::Gsi2, keys::PASSWORD_HELP_WAITING)
                        .sort(SortKey::LessThan(before.clone()))
                        .limit(100)
                        .after(after),
                )
                .await?;
            for request in &page.items {
                // One request that cannot be answered does not hold the others back; it
                // is tried again next time, until it expires (a day).
                match self.answer_password_help(request).await {
                    Ok(()) => answered += 1,
                    Err(error) => tracing::warn!(%error, "a forgot-password request not answered"),
                }
            }
            // Bounded work a minute: the rest waits for the next sweep.
            match page.next {
                Some(next) if answered < PASSWORD_HELP_PER_SWEEP => after = Some(next),
                _ => return Ok(answered),
            }
        }
    }

    /// Answers a forgot-password request (the notifier, from the table's stream): a reset
    /// link goes to the login's address if the username (or an address only one login has)
    /// exists. Delivered twice, it mails once (resets are spaced by [`RESET_MAIL_GAP`]).
    pub async fn answer_password_help(&self, request: &Item) -> Result<(), IdentityError> {
        let text = |name: &str| request.get(name).and_then(Value::as_s);
        let (Some(tenant), Some(identifier)) = (
            text("tenant").and_then(|t| t.parse::<TenantId>().ok()),
            text("identifier"),
        ) else {
            return Err(
                TableError::Unreadable("a password-help request is unreadable".into()).into(),
            );
        };
        let key = Key::of(request).ok_or_else(|| {
            IdentityError::from(TableError::Unreadable(
                "a password-help request without its key".into(),
            ))
        })?;
        // Answered once: the answer takes the request's waiting mark in the same
        // transaction as its mail, so the stream and the sweep cannot both mail a link.
        let answered = Write::Update {
            key: key.clone(),
            update: crate::ports::table::Update::default()
                .remove("gsi2pk")
                .remove("gsi2sk"),
            // A request written before requests waited (no mark) is answered as it was.
            condition: request.contains_key("gsi2pk").then(|| {
                Condition::Equals(
                    "gsi2pk".into(),
                    Value::S(keys::PASSWORD_HELP_WAITING.into()),
                )
            }),
        };
        let login = self
            .logins()
            .find_by_identifier(&tenant, identifier)
            .await?;
        match login {
            Some(login) => self.queue_reset(&login, None, Some(answered)).await,
            None => {
                let mut tx = Transaction::new();
                tx.add("request answered", answered);
                match tx.commit(self.cx.table.as_ref()).await {
                    Ok(()) | Err(TransactionError::ConditionFailed("request answered")) => Ok(()),
                    Err(e) => Err(TableError::from(e).into()),
                }
            }
        }
    }

    /// Staff send a login its reset email.
    pub async fn send_reset_email(
        &self,
        tenant: &TenantId,
        login: &LoginId,
        actor: (&Session, &str),
    ) -> Result<(), IdentityError> {
        let login = self.logins().login(tenant, login).await?;
        self.queue_reset(&login, Some(actor), None).await
    }

    /// Mails `login` a reset link. `answering`: the forgot-password request it answers,
    /// taken off the waiting list in the same transaction (a request already answered
    /// mails nothing).
    async fn queue_reset(
        &self,
        login: &Login,
        actor: Option<(&Session, &str)>,
        answering: Option<Write>,
    ) -> Result<(), IdentityError> {
        let tenant_record = self.cx.tenant(&login.tenant).await?;
        let settings = self.cx.settings(&login.tenant).await?;
        let now = self.cx.clock.now();
        let (secret, hash) = tokens::generate();
        let page = match login.principal {
            Principal::Staff { .. } => "console/credentials/reset",
            _ => "credentials/reset",
        };
        let link = self
            .cx
            .links
            .page_with_secret(&tenant_record, page, &secret);
        let message = self.cx.mail_to_login(
            &tenant_record,
            &settings,
            login,
            Notice::PasswordReset {
                username: &login.username,
                link: &link,
            },
        )?;
        let gap = reset_gap_key(&login.tenant, &login.id);
        let mut tx = Transaction::new();
        // Refused (and nothing sent) while an earlier reset email is this recent.
        tx.add(
            "reset gap",
            Write::Put {
                item: store::keyed(
                    Item::from([(
                        EXPIRES_AT.to_owned(),
                        Value::N((now + RESET_MAIL_GAP).unix_timestamp()),
                    )]),
                    &[("pk", gap.pk), ("sk", gap.sk)],
                ),
                condition: Some(Condition::Absent),
            },
        )
        .add(
            "reset link",
            Write::Put {
                item: records::link_item(
                    &login.tenant,
                    &hash,
                    &LinkPurpose::Reset {
                        login: login.id.to_string(),
                    },
                    now + RESET_LINK_LIFETIME,
                )?,
                condition: Some(Condition::Absent),
            },
        )
        .add("mail", outbox::enqueue(&message, now));
        if let Some(answered) = answering {
            tx.add("request answered", answered);
        }
        if let Some((session, request_id)) = actor {
            tx.add(
                "audit entry",
                self.cx.audit().write(
                    session,
                    login.principal.account(),
                    "login.reset_email_sent",
                    &login.username,
                    request_id,
                    false,
                )?,
            );
        }
        match tx.commit(self.cx.table.as_ref()).await {
            Ok(()) => Ok(()),
            // Answered already, by the stream or the sweep.
            Err(TransactionError::ConditionFailed("request answered")) => Ok(()),
            Err(TransactionError::ConditionFailed("reset gap")) => {
                if actor.is_some() {
                    Err(IdentityError::Conflict(
                        "a reset email was sent to this login minutes ago".into(),
                    ))
                } else {
                    Ok(())
                }
            }
            Err(e) => Err(TableError::from(e).into()),
        }
    }

    /// Uses a reset link: sets the new password and ends every session of the login.
    pub async fn reset_password(
        &self,
        tenant: &TenantId,
        secret: &str,
        password: &str,
    ) -> Result<Login, IdentityError> {
        let Some((hash, LinkPurpose::Reset { login })) = self.open_link(tenant, secret).await?
        else {
            return Err(IdentityError::LinkUnusable);
        };
        let id: LoginId = login.parse().map_err(|_| IdentityError::LinkUnusable)?;
        let login = match self.logins().login(tenant, &id).await {
            Ok(login) => login,
            Err(IdentityError::NotFound) => return Err(IdentityError::LinkUnusable),
            Err(e) => return Err(e),
        };
        let mut next = self.with_password(&login, password).await?;
        next.version = login.version + 1;
        next.sessions_epoch = login.sessions_epoch + 1;
        let mut tx = Transaction::new();
        tx.add(
            "open link",
            records::spend_link(tenant, &hash, self.cx.clock.now()),
        )
        .add(
            "login",
            store::put_on_version(records::to_item(&next)?, login.version),
        );
        match tx.commit(self.cx.table.as_ref()).await {
            Ok(()) => {}
            Err(TransactionError::ConditionFailed("open link")) => {
                return Err(IdentityError::LinkUnusable);
            }
            Err(e) if e.is_contention() => return Err(IdentityError::login_changed()),
            Err(e) => return Err(TableError::from(e).into()),
        }
        self.sessions().end_sessions_of(tenant, &id, None).await?;
        Ok(next)
    }

    /// A signed-in login changes its password; its other sessions end.
    pub async fn change_password(
        &self,
        session: &Session,
        current: &str,
        new: &str,
    ) -> Result<(), IdentityError> {
        if session.impersonator.is_some() {
            return Err(IdentityError::Forbidden(
                "an impersonated session cannot change the password",
            ));
        }
        let login = self.logins().login(&session.tenant, &session.login).await?;
        if !self.cx.hasher.verify(current, &login.password_hash).await? {
            return Err(invalid(
                "/current_password",
                "this is not your current password",
            ));
        }
        let mut next = self.with_password(&login, new).await?;
        next.version = login.version + 1;
        next.sessions_epoch = login.sessions_epoch + 1;
        // The other sessions end with the change; this one moves to the new epoch with it.
        let mut tx = Transaction::new();
        tx.add(
            "login",
            store::put_on_version(records::to_item(&next)?, login.version),
        )
        .add(
            "this session",
            Sessions::session_epoch_write(session, next.sessions_epoch),
        );
        match tx.commit(self.cx.table.as_ref()).await {
            Ok(()) => {}
            Err(TransactionError::ConditionFailed("this session")) => {
                return Err(IdentityError::Unauthenticated);
            }
            Err(e) if e.is_contention() => return Err(IdentityError::login_changed()),
            Err(e) => return Err(TableError::from(e).into()),
        }
        self.sessions()
            .end_sessions_of(&session.tenant, &session.login, Some(session))
            .await?;
        Ok(())
    }

    async fn with_password(&self, login: &Login, password: &str) -> Result<Login, IdentityError> {
        let local_part = login.email.as_str().split('@').next().unwrap_or_default();
        let name = login.name.clone().unwrap_or_default();
        passwords::check_policy(
            password,
            &[&login.username, local_part, login.email.as_str(), &name],
        )
        .map_err(|m| invalid("/password", m))?;
        let mut next = login.clone();
        next.password_hash = self.cx.hasher.hash(password).await?;
        Ok(next)
    }

    /// Creates a staff login with a password at once: the operator tool's way to give a
    /// new tenant its first staff member, and the demo data's.
    pub async fn create_staff_with_password(
        &self,
        tenant: &TenantId,
        username: &str,
        email: &str,
        name: &str,
        password: &str,
        permissions: BTreeSet<Permission>,
    ) -> Result<Login, IdentityError> {
        let tenant_record = self.cx.tenant(tenant).await?;
        debug_assert!(matches!(
            tenant_record.kind,
            TenantKind::Retail | TenantKind::Wholesale
        ));
        let principal = Principal::Staff {
            permissions,
            groups: None,
        };
        self.create_with_password(tenant, username, email, name, password, principal, None)
            .await
    }

    /// Creates an account's owner login with a password at once (demo data only: real
    /// customers choose their own through the credential-create link).
    pub async fn create_owner_with_password(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        username: &str,
        password: &str,
    ) -> Result<Login, IdentityError> {
        let account = self.cx.accounts().get(tenant, account).await?;
        let principal = Principal::EndUser {
            account: account.id,
            role: Role::Owner,
            allow_orders: true,
        };
        let email = account.emails[0].to_string();
        self.create_with_password(
            tenant,
            username,
            &email,
            &account.name,
            password,
            principal,
            Some(account.id),
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn create_with_password(
        &self,
        tenant: &TenantId,
        username: &str,
        email: &str,
        name: &str,
        password: &str,
        principal: Principal,
        owner_of: Option<AccountId>,
    ) -> Result<Login, IdentityError> {
        let username = normalise_username(username).map_err(|m| invalid("/username", m))?;
        let email = EmailAddress::parse(email).map_err(|m| invalid("/email", m))?;
        let name = check_name(name)?;
        let local_part = email.as_str().split('@').next().unwrap_or_default();
        passwords::check_policy(password, &[&username, local_part, email.as_str(), &name])
            .map_err(|m| invalid("/password", m))?;
        let now = self.cx.clock.now();
        let settings = self.cx.settings(tenant).await?;
        let login = Login {
            id: LoginId::generate(now),
            tenant: *tenant,
            username: username.clone(),
            email,
            name: Some(name),
            language: settings.default_language,
            principal,
            password_hash: self.cx.hasher.hash(password).await?,
            failed_attempts: 0,
            locked_at: None,
            last_failed_from: None,
            last_sign_in_at: None,
            second_factor: None,
            mail_topics: Default::default(),
            sessions_epoch: 0,
            version: 1,
            created_at: now,
        };
        let mut tx = Transaction::new();
        records::add_creation(&mut tx, &login)?;
        if let Some(account) = owner_of {
            tx.add("owner", records::owner_write(tenant, &account, &login.id));
        }
        match tx.commit(self.cx.table.as_ref()).await {
            Ok(()) => Ok(login),
            Err(TransactionError::ConditionFailed(
                records::USERNAME_CLAIM | records::LOOK_CLAIM,
            )) => Err(IdentityError::UsernameTaken(username)),
            Err(TransactionError::ConditionFailed(_)) => Err(IdentityError::Conflict(
                "the account already has its owner login".into(),
            )),
            Err(e) => Err(TableError::from(e).into()),
        }
    }
}

fn check_name(name: &str) -> Result<String, IdentityError> {
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > 120 {
        return Err(invalid("/name", "give a name of 1 to 120 characters"));
    }
    Ok(name)
}
