//! Service groups: a provider's own groupings of services across its accounts (the VoIP
//! portal's number groups, endpoint groups, 911 groups, ...). A group has a name, unique in
//! the tenant, and a kind the provider chooses; a service can be in any number of groups.
//!
//! A group and its members share one partition, so its member list is one query a page.
//! Each member names its account, so staff limited to account groups can be kept out.

mod record;

use std::sync::Arc;

use time::OffsetDateTime;

use super::Violations;
use super::paging::{self, Page, PageRequest, PagingError};
use super::services::{ServiceError, Services};
use crate::ids::{AccountId, ServiceGroupId, ServiceId, TenantId};
use crate::ports::Clock;
use crate::ports::table::{Condition, Table, TableError, Write};
use crate::store::{CursorCodec, Stamp, Transaction, TransactionError};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ServiceGroup {
    pub id: String,
    pub name: String,
    /// The provider's own kind of group: `number-group`, `e911`, `endpoint`, ...
    pub kind: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Member {
    pub service: String,
    pub account: String,
    pub identifier: String,
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: OffsetDateTime,
}

#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    #[error("invalid: {0}")]
    Invalid(Violations),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error(transparent)]
    Paging(#[from] PagingError),
    #[error(transparent)]
    Storage(#[from] TableError),
}

#[derive(Clone)]
pub struct ServiceGroups {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    cursors: CursorCodec,
    services: Services,
}

fn clean(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl ServiceGroups {
    pub fn new(table: Arc<dyn Table>, clock: Arc<dyn Clock>, cursors: CursorCodec) -> Self {
        ServiceGroups {
            services: Services::new(table.clone(), clock.clone(), cursors.clone()),
            table,
            clock,
            cursors,
        }
    }

    /// Creates a group; one of the same name is answered as it is, with `false`.
    pub async fn create(
        &self,
        tenant: &TenantId,
        name: &str,
        kind: &str,
        stamp: &Stamp,
    ) -> Result<(ServiceGroup, bool), GroupError> {
        let (name, kind) = (clean(name), clean(kind));
        let mut v = Violations::default();
        if !(1..=80).contains(&name.chars().count()) {
            v.add("/name", "1 to 80 characters");
        }
        if !(1..=40).contains(&kind.len())
            || !kind
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            v.add("/kind", "1 to 40 lower-case letters, digits and -");
        }
        v.into_result().map_err(GroupError::Invalid)?;
        if let Some(existing) = self.by_name(tenant, &name).await? {
            return Ok((existing, false));
        }
        let now = self.clock.now();
        let group = ServiceGroup {
            id: ServiceGroupId::generate(now).to_string(),
            name: name.clone(),
            kind,
            created_at: now,
        };
        let mut tx = Transaction::new();
        tx.add(
            "name claim",
            Write::Put {
                item: record::name_claim(tenant, &name, &group.id),
                condition: Some(Condition::Absent),
            },
        );
        tx.add(
            "group",
            Write::Put {
                item: record::group_item(tenant, &group)?,
                condition: Some(Condition::Absent),
            },
        );
        tx.extend("audit entry", stamp.writes());
        match tx.commit(self.table.as_ref()).await {
            Ok(()) => Ok((group, true)),
            // A twin request made it meanwhile.
            Err(TransactionError::ConditionFailed("name claim")) => self
                .by_name(tenant, &name)
                .await?
                .map(|g| (g, false))
                .ok_or(GroupError::NotFound),
            Err(e) => Err(TableError::from(e).into()),
        }
    }

    async fn by_name(
        &self,
        tenant: &TenantId,
        name: &str,
    ) -> Result<Option<ServiceGroup>, GroupError> {
        let claim = self.table.get(&record::name_key(tenant, name)).await?;
        match claim.as_ref().and_then(record::claimed) {
            Some(id) => self.get(tenant, id).await.map(Some),
            None => Ok(None),
        }
    }

    /// One of the tenant's groups.
    pub async fn get(&self, tenant: &TenantId, id: &str) -> Result<ServiceGroup, GroupError> {
        if id.parse::<ServiceGroupId>().is_err() {
            return Err(GroupError::NotFound);
        }
        let item = self
            .table
            .get(&record::group_key(tenant, id))
            .await?
            .ok_or(GroupError::NotFound)?;
        Ok(record::group_from_item(&item)?)
    }

    /// The tenant's groups by name, a page at a time.
    pub async fn list(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<ServiceGroup>, GroupError> {
        Ok(paging::fetch(
            self.table.as_ref(),
            &self.cursors,
            &format!("service-groups:{tenant}"),
            record::groups_of(tenant),
            page,
            record::group_from_item,
        )
        .await?)
    }

    /// Puts one of an account's services in a group (the caller has checked the account is
    /// one it may touch). Adding a member again is not an error.
    pub async fn add(
        &self,
        tenant: &TenantId,
        group: &str,
        account: &AccountId,
        service: &ServiceId,
        stamp: &Stamp,
    ) -> Result<Member, GroupError> {
        let group = self.get(tenant, group).await?;
        let service = self.services.get(tenant, account, service).await?;
        let key = record::member_key(tenant, &group.id, &service.id);
        if let Some(item) = self.table.get(&key).await? {
            return Ok(record::member_from_item(&item)?);
        }
        let member = Member {
            service: service.id.to_string(),
            account: account.to_string(),
            identifier: service.identifier,
            added_at: self.clock.now(),
        };
        let mut tx = Transaction::new();
        tx.add(
            "member",
            Write::Put {
                item: record::member_item(key.clone(), &member)?,
                condition: Some(Condition::Absent),
            },
        );
        tx.extend("audit entry", stamp.writes());
        match tx.commit(self.table.as_ref()).await {
            Ok(()) => Ok(member),
            // A twin request added it meanwhile: it is a member, once.
            Err(TransactionError::ConditionFailed("member")) => match self.table.get(&key).await? {
                Some(item) => Ok(record::member_from_item(&item)?),
                None => Err(GroupError::Storage(TableError::ConditionFailed)),
            },
            Err(e) => Err(TableError::from(e).into()),
        }
    }

    /// Takes an account's service out of a group; NotFound when it is not in it.
    pub async fn remove(
        &self,
        tenant: &TenantId,
        group: &str,
        account: &AccountId,
        service: &ServiceId,
        stamp: &Stamp,
    ) -> Result<(), GroupError> {
        let group = self.get(tenant, group).await?;
        let key = record::member_key(tenant, &group.id, service);
        let theirs = record::member_of(account);
        let mut tx = Transaction::new();
        tx.add(
            "member",
            Write::Delete {
                key,
                condition: Some(theirs),
            },
        );
        tx.extend("audit entry", stamp.writes());
        match tx.commit(self.table.as_ref()).await {
            Ok(()) => Ok(()),
            Err(TransactionError::ConditionFailed("member")) => Err(GroupError::NotFound),
            Err(e) => Err(TableError::from(e).into()),
        }
    }

    /// A group's members, by service id, a page at a time.
    pub async fn members(
        &self,
        tenant: &TenantId,
        group: &str,
        page: &PageRequest,
    ) -> Result<Page<Member>, GroupError> {
        let group = self.get(tenant, group).await?;
        Ok(paging::fetch(
            self.table.as_ref(),
            &self.cursors,
            &format!("service-group:{tenant}:{}", group.id),
            record::members_of(tenant, &group.id),
            page,
            record::member_from_item,
        )
        .await?)
    }
}
