//! The audit trail: every console action and every action taken in an impersonated
//! session, with who did it, on whose behalf, what, when and the request id. Entries are
//! written in the same transaction as the change they record where the change is one
//! transaction; they are never changed or removed.

use time::OffsetDateTime;

use std::sync::Arc;

use super::identity::model::Session;
use crate::domain::paging::{self, Page, PageRequest, PagingError};
use crate::ids::{AccountId, TenantId};
use crate::ports::Clock;
use crate::ports::table::{Condition, Index, Item, Query, SortKey, Table, TableError, Write};
use crate::store::{self, CursorCodec, keys};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The login that acted: the staff member, also when impersonating.
    pub actor: String,
    pub actor_username: String,
    /// The end-user login acted as, in an impersonated session.
    pub on_behalf_of: Option<String>,
    pub on_behalf_of_username: Option<String>,
    pub account: Option<String>,
    /// What was done, `thing.verb` (`login.unlocked`, `account.updated`).
    pub action: String,
    pub detail: String,
    pub request_id: String,
}

fn from_item(item: &Item) -> Result<AuditEntry, TableError> {
    store::from_item(item)
}

/// What a reading of the trail is narrowed to. Times are instants: the caller turns the
/// provider's days into them.
#[derive(Debug, Clone, Default)]
pub struct TrailFilter {
    pub account: Option<AccountId>,
    /// The staff member who acted (also when impersonating).
    pub actor: Option<String>,
    /// From this instant on.
    pub since: Option<OffsetDateTime>,
    /// Before this instant.
    pub before: Option<OffsetDateTime>,
}

impl TrailFilter {
    /// The entries' ids are ULIDs, which sort by time: a time range is a key range.
    fn key_range(&self) -> SortKey {
        let millis = |t: OffsetDateTime| (t.unix_timestamp_nanos() / 1_000_000).max(0) as u64;
        let low = self
            .since
            .map_or(ulid::Ulid::nil(), |t| ulid::Ulid::from_parts(millis(t), 0));
        let high = match self.before {
            Some(t) if millis(t) == 0 => ulid::Ulid::nil(),
            Some(t) => ulid::Ulid::from_parts(millis(t) - 1, u128::MAX),
            None => ulid::Ulid::from(u128::MAX),
        };
        SortKey::Between(low.to_string(), high.to_string())
    }

    fn scope(&self, tenant: &TenantId) -> String {
        let when =
            |t: Option<OffsetDateTime>| t.map_or(String::new(), |t| t.unix_timestamp().to_string());
        format!(
            "audit:{tenant}:{}:{}:{}:{}",
            self.account.map(|a| a.to_string()).unwrap_or_default(),
            self.actor.as_deref().unwrap_or_default(),
            when(self.since),
            when(self.before)
        )
    }
}

/// The trail's service: writes entries (alone, or as a write for the change's own
/// transaction) and reads the tenant's, an account's, and an account's access history.
#[derive(Clone)]
pub struct Audit {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    cursors: CursorCodec,
}

impl Audit {
    pub fn new(table: Arc<dyn Table>, clock: Arc<dyn Clock>, cursors: CursorCodec) -> Self {
        Audit {
            table,
            clock,
            cursors,
        }
    }

    /// The write that records an action of `session` (add it to the change's transaction).
    /// `access`: the entry also goes on the account's access history (impersonations).
    pub fn write(
        &self,
        session: &Session,
        account: Option<AccountId>,
        action: &str,
        detail: &str,
        request_id: &str,
        access: bool,
    ) -> Result<Write, TableError> {
        let now = self.clock.now();
        let id = ulid::Ulid::from_datetime(now.into()).to_string();
        let (actor, actor_username, on_behalf_of, on_behalf_of_username) =
            match &session.impersonator {
                Some(i) => (
                    i.login.to_string(),
                    i.username.clone(),
                    Some(session.login.to_string()),
                    Some(session.username.clone()),
                ),
                None => (
                    session.login.to_string(),
                    session.username.clone(),
                    None,
                    None,
                ),
            };
        let entry = AuditEntry {
            id: id.clone(),
            at: now,
            actor,
            actor_username,
            on_behalf_of,
            on_behalf_of_username,
            account: account.map(|a| a.to_string()),
            action: action.to_owned(),
            detail: detail.chars().take(500).collect(),
            request_id: request_id.to_owned(),
        };
        let mut attributes = vec![("pk", keys::audit(&session.tenant)), ("sk", id.clone())];
        if let Some(account) = &account {
            attributes.push(("gsi1pk", keys::account_audit(&session.tenant, account)));
            attributes.push(("gsi1sk", id.clone()));
            if access {
                attributes.push(("gsi2pk", keys::account_access(&session.tenant, account)));
                attributes.push(("gsi2sk", id));
            }
        }
        Ok(Write::Put {
            item: store::keyed(store::to_item(&entry)?, &attributes),
            condition: Some(Condition::Absent),
        })
    }

    /// Records an action that was not one transaction of its own.
    pub async fn record(
        &self,
        session: &Session,
        account: Option<AccountId>,
        action: &str,
        detail: &str,
        request_id: &str,
    ) -> Result<(), TableError> {
        let write = self.write(session, account, action, detail, request_id, false)?;
        self.table.transact(vec![write]).await?;
        Ok(())
    }

    /// Records a change made in an impersonated session (what was asked), on the audit
    /// trail and the customer's access history.
    pub async fn record_impersonated_change(
        &self,
        session: &Session,
        asked: &str,
        request_id: &str,
    ) -> Result<(), TableError> {
        let write = self.write(
            session,
            session.account(),
            "impersonation.change",
            asked,
            request_id,
            true,
        )?;
        self.table.transact(vec![write]).await?;
        Ok(())
    }

    /// The tenant's trail (or one account's) narrowed by `filter`, newest first.
    pub async fn search(
        &self,
        tenant: &TenantId,
        filter: &TrailFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>, PagingError> {
        let query = match &filter.account {
            Some(account) => Query::partition(Index::Gsi1, keys::account_audit(tenant, account)),
            None => Query::partition(Index::Primary, keys::audit(tenant)),
        }
        .sort(filter.key_range())
        .backward();
        let scope = filter.scope(tenant);
        match &filter.actor {
            None => {
                paging::fetch(
                    self.table.as_ref(),
                    &self.cursors,
                    &scope,
                    query,
                    page,
                    from_item,
                )
                .await
            }
            Some(actor) => {
                paging::fetch_where(
                    self.table.as_ref(),
                    &self.cursors,
                    &scope,
                    query,
                    page,
                    from_item,
                    |entry| entry.actor == *actor,
                )
                .await
            }
        }
    }

    /// One account's trail, newest first.
    pub async fn account_trail(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>, PagingError> {
        let query = Query::partition(Index::Gsi1, keys::account_audit(tenant, account)).backward();
        paging::fetch(
            self.table.as_ref(),
            &self.cursors,
            &format!("audit:{tenant}:{account}"),
            query,
            page,
            from_item,
        )
        .await
    }

    /// Who accessed an account on its behalf (impersonations), newest first: what the
    /// end user sees.
    pub async fn access_history(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>, PagingError> {
        let query = Query::partition(Index::Gsi2, keys::account_access(tenant, account)).backward();
        paging::fetch(
            self.table.as_ref(),
            &self.cursors,
            &format!("access:{tenant}:{account}"),
            query,
            page,
            from_item,
        )
        .await
    }
}
