//! Sessions: a random token (the tenant's id, a dot, 256 random bits) stored only as its
//! hash, with an idle and an absolute expiry. The TTL attribute is the idle deadline, so
//! the table removes ended sessions by itself; reads ignore expired ones before it does.
//!
//! A session item carries everything a request's authorisation needs (who, which account,
//! which role or permissions, who is impersonating), so an authenticated request costs one
//! read for its session. It is refreshed at most once a minute, not on every request.

use std::sync::Arc;

use super::context::Context;
use super::model::{
    Impersonator, Login, Permission, Principal, Role, Session, SessionSpec, Started,
};
use std::collections::BTreeSet;

use time::{Duration, OffsetDateTime};

use super::error::IdentityError;
use super::tokens;
use crate::ids::{LoginId, TenantId};
use crate::ports::table::{
    Condition, EXPIRES_AT, Index, Item, Key, Query, TableError, Update, Value, Write,
};
use crate::store::{self, keys};

/// A session's idle deadline is pushed forward at most this often.
const REFRESH_EVERY: Duration = Duration::minutes(1);

#[derive(serde::Serialize, serde::Deserialize)]
struct SessionRecord {
    tenant: String,
    login: String,
    username: String,
    language: String,
    account: Option<String>,
    role: Option<Role>,
    #[serde(default)]
    allow_orders: bool,
    #[serde(default)]
    permissions: Vec<Permission>,
    groups: Option<Vec<String>>,
    impersonator: Option<String>,
    impersonator_username: Option<String>,
    read_only: bool,
    #[serde(default)]
    enrolment_only: bool,
    #[serde(default)]
    card_only: bool,
    csrf_hash: String,
    started_at: i64,
    last_seen_at: i64,
    idle_seconds: i64,
    absolute_expires_at: i64,
    #[serde(default)]
    epoch: i64,
    #[serde(default)]
    impersonator_epoch: Option<i64>,
}

fn key(tenant: &TenantId, hash: &str) -> Key {
    Key::new(keys::session(tenant, hash), "SESSION")
}

fn at(seconds: i64) -> Result<OffsetDateTime, TableError> {
    OffsetDateTime::from_unix_timestamp(seconds)
        .map_err(|_| TableError::Unreadable("a stored session has a bad time".into()))
}

/// One of a login's sessions, as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct OwnSession {
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen_at: OffsetDateTime,
    /// When it ends at the latest (sooner when idle).
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// The session asking.
    pub current: bool,
    /// The provider's staff using the portal as this login.
    pub staff_acting: bool,
}

fn from_item(item: &Item) -> Result<Session, TableError> {
    let r: SessionRecord = store::from_item(item)?;
    let bad = |what: &str| TableError::Unreadable(format!("a stored session has a bad {what}"));
    let principal = match (r.account, r.role) {
        (Some(account), Some(role)) => Principal::EndUser {
            account: account.parse().map_err(|_| bad("account"))?,
            role,
            allow_orders: r.allow_orders,
        },
        _ => Principal::Staff {
            permissions: r.permissions.into_iter().collect(),
            groups: r.groups.map(|g| g.into_iter().collect::<BTreeSet<_>>()),
        },
    };
    let impersonator = match (r.impersonator, r.impersonator_username) {
        (Some(login), Some(username)) => Some(Impersonator {
            login: login.parse().map_err(|_| bad("impersonator"))?,
            username,
        }),
        _ => None,
    };
    let hash = item
        .get("pk")
        .and_then(Value::as_s)
        .and_then(|pk| pk.rsplit('#').next())
        .ok_or_else(|| bad("key"))?
        .to_owned();
    let idle_expires_at = at(item.get(EXPIRES_AT).and_then(Value::as_n).unwrap_or(0))?;
    Ok(Session {
        tenant: r.tenant.parse().map_err(|_| bad("tenant"))?,
        login: r.login.parse().map_err(|_| bad("login"))?,
        username: r.username,
        language: r.language,
        principal,
        impersonator,
        read_only: r.read_only,
        enrolment_only: r.enrolment_only,
        card_only: r.card_only,
        started_at: at(r.started_at)?,
        idle_expires_at,
        expires_at: at(r.absolute_expires_at)?,
        idle: Duration::seconds(r.idle_seconds),
        hash,
        csrf_hash: r.csrf_hash,
        last_seen_at: at(r.last_seen_at)?,
        epoch: u64::try_from(r.epoch).unwrap_or(0),
        impersonator_epoch: r.impersonator_epoch.and_then(|e| u64::try_from(e).ok()),
    })
}

fn to_item(s: &Session) -> Result<Item, TableError> {
    let (account, role, allow_orders, permissions, groups) = match &s.principal {
        Principal::EndUser {
            account,
            role,
            allow_orders,
        } => (
            Some(account.to_string()),
            Some(*role),
            *allow_orders,
            vec![],
            None,
        ),
        Principal::Staff {
            permissions,
            groups,
        } => (
            None,
            None,
            false,
            permissions.iter().copied().collect(),
            groups.as_ref().map(|g| g.iter().cloned().collect()),
        ),
    };
    let record = SessionRecord {
        tenant: s.tenant.to_string(),
        login: s.login.to_string(),
        username: s.username.clone(),
        language: s.language.clone(),
        account,
        role,
        allow_orders,
        permissions,
        groups,
        impersonator: s.impersonator.as_ref().map(|i| i.login.to_string()),
        impersonator_username: s.impersonator.as_ref().map(|i| i.username.clone()),
        read_only: s.read_only,
        enrolment_only: s.enrolment_only,
        card_only: s.card_only,
        csrf_hash: s.csrf_hash.clone(),
        started_at: s.started_at.unix_timestamp(),
        last_seen_at: s.last_seen_at.unix_timestamp(),
        idle_seconds: s.idle.whole_seconds(),
        absolute_expires_at: s.expires_at.unix_timestamp(),
        epoch: s.epoch as i64,
        impersonator_epoch: s.impersonator_epoch.map(|e| e as i64),
    };
    let k = key(&s.tenant, &s.hash);
    let mut item = store::keyed(
        store::to_item(&record)?,
        &[
            ("pk", k.pk),
            ("sk", k.sk),
            ("gsi1pk", keys::sessions_of(&s.tenant, &s.login)),
            ("gsi1sk", s.started_at.unix_timestamp().to_string()),
        ],
    );
    item.insert(
        EXPIRES_AT.to_owned(),
        Value::N(s.idle_expires_at.unix_timestamp()),
    );
    Ok(item)
}

/// Sessions: started, authenticated on each request, refreshed and ended.
#[derive(Clone)]
pub struct Sessions {
    pub(super) cx: Arc<Context>,
}

impl Sessions {
    /// The write that starts a session for `login` (to go in the sign-in's transaction).
    pub(super) fn new_session(
        &self,
        login: &Login,
        spec: SessionSpec,
    ) -> Result<(Started, Write), IdentityError> {
        let now = self.cx.clock.now();
        let (secret, _) = tokens::generate();
        let token = format!("{}.{secret}", login.tenant);
        let (csrf_token, csrf_hash) = tokens::generate();
        let expires_at = now + spec.absolute;
        let session = Session {
            tenant: login.tenant,
            login: login.id,
            username: login.username.clone(),
            language: login.language.clone(),
            principal: login.principal.clone(),
            impersonator_epoch: spec.impersonator.as_ref().map(|(_, epoch)| *epoch),
            impersonator: spec.impersonator.map(|(who, _)| who),
            epoch: login.sessions_epoch,
            read_only: spec.read_only,
            enrolment_only: spec.enrolment_only,
            card_only: spec.card_only,
            started_at: now,
            idle_expires_at: (now + spec.idle).min(expires_at),
            expires_at,
            idle: spec.idle,
            hash: tokens::hash(&token),
            csrf_hash,
            last_seen_at: now,
        };
        let write = Write::Put {
            item: to_item(&session)?,
            condition: Some(Condition::Absent),
        };
        Ok((
            Started {
                session,
                token,
                csrf_token,
            },
            write,
        ))
    }

    /// The live session a token opens, refreshing its idle deadline at most once a minute.
    pub async fn authenticate(&self, token: &str) -> Result<Session, IdentityError> {
        let tenant: TenantId = token
            .split_once('.')
            .and_then(|(t, _)| t.parse().ok())
            .ok_or(IdentityError::Unauthenticated)?;
        let hash = tokens::hash(token);
        let item = self
            .cx
            .table
            .get(&key(&tenant, &hash))
            .await?
            .ok_or(IdentityError::Unauthenticated)?;
        let mut session = from_item(&item)?;
        let now = self.cx.clock.now();
        if session.tenant != tenant || now >= session.expires_at || now >= session.idle_expires_at {
            return Err(IdentityError::Unauthenticated);
        }
        self.check_still_valid(&session).await?;
        if now - session.last_seen_at >= REFRESH_EVERY {
            let idle_expires_at = (now + session.idle).min(session.expires_at);
            let refreshed = self
                .cx
                .table
                .update(
                    &key(&tenant, &hash),
                    Update::default()
                        .set("last_seen_at", now.unix_timestamp())
                        .set(EXPIRES_AT, idle_expires_at.unix_timestamp()),
                    Some(Condition::Exists),
                )
                .await;
            match refreshed {
                Ok(_) => {
                    session.last_seen_at = now;
                    session.idle_expires_at = idle_expires_at;
                }
                // Ended meanwhile (signed out elsewhere).
                Err(TableError::ConditionFailed) => return Err(IdentityError::Unauthenticated),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(session)
    }

    /// A session lives only while what it was started on holds: its login is there at the
    /// same sessions epoch (no new password, no less access since), an impersonating staff
    /// member likewise, and an end user's account is active. One batched read.
    async fn check_still_valid(&self, session: &Session) -> Result<(), IdentityError> {
        use super::records as login_record;
        let own = login_record::key(&session.tenant, &session.login);
        let mut keys = vec![own.clone()];
        let account = session
            .account()
            .map(|a| crate::domain::accounts::record_key(&session.tenant, &a));
        keys.extend(account.clone());
        let impersonator = session
            .impersonator
            .as_ref()
            .map(|i| login_record::key(&session.tenant, &i.login));
        keys.extend(impersonator.clone());
        let found = self.cx.table.get_many(&keys).await?;
        let same_epoch = |key: &Key, epoch: u64| {
            found
                .get(key)
                .is_some_and(|item| login_record::sessions_epoch_in(item) == epoch)
        };
        // An impersonating staff member limited to account groups must still see the
        // account (it may have been moved out of their groups since).
        let impersonator_sees_account = || {
            let (Some(k), Some(a)) = (&impersonator, &account) else {
                return true;
            };
            let groups = match found.get(k).and_then(|i| i.get("groups")) {
                Some(Value::L(groups)) => groups,
                _ => return true,
            };
            let group = found
                .get(a)
                .and_then(|i| i.get("group"))
                .and_then(Value::as_s);
            group.is_some_and(|g| groups.iter().any(|v| v.as_s() == Some(g)))
        };
        let valid = same_epoch(&own, session.epoch)
            && impersonator
                .as_ref()
                .is_none_or(|k| same_epoch(k, session.impersonator_epoch.unwrap_or(0)))
            && impersonator_sees_account()
            && account.as_ref().is_none_or(|k| {
                found.get(k).and_then(crate::domain::accounts::status_in)
                    == Some(crate::domain::accounts::AccountStatus::Active)
            });
        if valid {
            Ok(())
        } else {
            Err(IdentityError::Unauthenticated)
        }
    }

    /// The write that moves a session to its login's new sessions epoch (the session that
    /// made the change lives on), in the change's transaction.
    pub(super) fn session_epoch_write(session: &Session, epoch: u64) -> Write {
        Write::Update {
            key: key(&session.tenant, &session.hash),
            update: Update::default().set("epoch", epoch as i64),
            condition: Some(Condition::Exists),
        }
    }

    /// The write that lifts a session's enrolment-only limit (second factor now set up).
    pub(super) fn enrolled_write(session: &Session) -> Write {
        Write::Update {
            key: key(&session.tenant, &session.hash),
            update: Update::default().set("enrolment_only", false),
            condition: Some(Condition::Exists),
        }
    }

    /// The signed-in person chooses the language of their pages and mail: the login keeps
    /// it, and this session shows it at once (other sessions from their next sign-in).
    /// In an impersonated session it is the customer's choice, so it is refused there.
    pub async fn set_language(
        &self,
        session: &Session,
        language: &str,
    ) -> Result<(), IdentityError> {
        if !crate::domain::settings::LANGUAGES.contains(&language) {
            return Err(super::invalid("/language", "one of en, fr"));
        }
        if session.impersonator.is_some() || session.read_only {
            return Err(super::invalid(
                "/language",
                "the customer chooses their own language",
            ));
        }
        self.cx
            .table
            .transact(vec![
                Write::Update {
                    key: super::records::key(&session.tenant, &session.login),
                    update: Update::default()
                        .set("language", language)
                        .add("version", 1),
                    condition: Some(Condition::Exists),
                },
                Write::Update {
                    key: key(&session.tenant, &session.hash),
                    update: Update::default().set("language", language),
                    condition: Some(Condition::Exists),
                },
            ])
            .await?;
        Ok(())
    }

    /// Ends one session (sign-out). Ending an ended session is not an error.
    pub async fn end_session(&self, session: &Session) -> Result<(), IdentityError> {
        self.cx
            .table
            .delete(&key(&session.tenant, &session.hash), None)
            .await?;
        Ok(())
    }

    /// The sessions of `session`'s login still in force, newest first (expired ones that
    /// the table has not swept yet are left out).
    pub async fn of_own_login(&self, session: &Session) -> Result<Vec<OwnSession>, IdentityError> {
        let now = self.cx.clock.now();
        let query = Query::partition(
            Index::Gsi1,
            keys::sessions_of(&session.tenant, &session.login),
        )
        .limit(100);
        let mut found = Vec::new();
        for item in crate::store::query_all(self.cx.table.as_ref(), query).await? {
            let s = from_item(&item)?;
            if s.expires_at > now && s.idle_expires_at > now {
                found.push(OwnSession {
                    started_at: s.started_at,
                    last_seen_at: s.last_seen_at,
                    expires_at: s.expires_at,
                    current: s.hash == session.hash,
                    staff_acting: s.impersonator.is_some(),
                });
            }
        }
        found.sort_by_key(|s| std::cmp::Reverse(s.started_at));
        Ok(found)
    }

    /// "Sign out everywhere else": every other session of the caller's login ends. Staff
    /// acting as the customer cannot do this for them.
    pub async fn end_other_sessions(&self, session: &Session) -> Result<usize, IdentityError> {
        if session.impersonator.is_some() || session.read_only {
            return Err(IdentityError::Forbidden(
                "the customer signs out their own sessions",
            ));
        }
        self.end_sessions_of(&session.tenant, &session.login, Some(session))
            .await
    }

    /// Ends every session of a login, but `keep` (the one changing its password).
    pub async fn end_sessions_of(
        &self,
        tenant: &TenantId,
        login: &LoginId,
        keep: Option<&Session>,
    ) -> Result<usize, IdentityError> {
        let mut ended = 0;
        let query = Query::partition(Index::Gsi1, keys::sessions_of(tenant, login)).limit(100);
        for item in crate::store::query_all(self.cx.table.as_ref(), query).await? {
            let Some(k) = Key::of(&item) else { continue };
            if keep.is_some_and(|s| k == key(&s.tenant, &s.hash)) {
                continue;
            }
            self.cx.table.delete(&k, None).await?;
            ended += 1;
        }
        Ok(ended)
    }
}
