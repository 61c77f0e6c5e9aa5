//! Service groups: a provider's own groupings of services across its accounts (the VoIP
//! portal's number groups, endpoint groups, 911 groups, ...). A group has a name, unique in
//! the tenant, and a kind the provider chooses; a service can be in any number of groups.
//!
//! A group and its members share one partition, so its member list is one query a page.
//! Each member names its account, so staff limited to account groups can be kept out.

use std::sync::Arc;

use time::OffsetDateTime;

use super::Violations;
use super::paging::{self, Page, PageRequest, PagingError};
use super::services::{ServiceError, Services};
use crate::ids::{AccountId, ServiceGroupId, ServiceId, TenantId};
use crate::ports::Clock;
use crate::ports::table::{
    Condition, Index, Item, Key, Query, SortKey, Table, TableError, Value, Write,
};
use crate::store::{self, CursorCodec, Transaction, TransactionError};

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

mod keys {
    use super::*;

    pub fn group(tenant: &TenantId, id: &str) -> String {
        format!("TENANT#{tenant}#SERVICE_GROUP#{id}")
    }
    pub fn groups_of(tenant: &TenantId) -> String {
        format!("TENANT#{tenant}#SERVICE_GROUPS")
    }
    pub fn name(tenant: &TenantId, name: &str) -> Key {
        Key::new(
            format!("TENANT#{tenant}#SERVICE_GROUP_NAME#{}", name.to_lowercase()),
            "SERVICE_GROUP_NAME",
        )
    }
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
        let claim = keys::name(tenant, &name);
        let mut tx = Transaction::new();
        tx.add(
            "name claim",
            Write::Put {
                item: store::keyed(
                    Item::from([("group".to_owned(), Value::S(group.id.clone()))]),
                    &[("pk", claim.pk), ("sk", claim.sk)],
                ),
                condition: Some(Condition::Absent),
            },
        );
        tx.add(
            "group",
            Write::Put {
                item: store::keyed(
                    store::to_item(&group)?,
                    &[
                        ("pk", keys::group(tenant, &group.id)),
                        ("sk", "GROUP".to_owned()),
                        ("gsi1pk", keys::groups_of(tenant)),
                        ("gsi1sk", format!("{}#{}", name.to_lowercase(), group.id)),
                    ],
                ),
                condition: Some(Condition::Absent),
            },
        );
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
        let Some(claim) = self.table.get(&keys::name(tenant, name)).await? else {
            return Ok(None);
        };
        match claim.get("group").and_then(Value::as_s) {
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
            .get(&Key::new(keys::group(tenant, id), "GROUP"))
            .await?
            .ok_or(GroupError::NotFound)?;
        Ok(store::from_item(&item)?)
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
            Query::partition(Index::Gsi1, keys::groups_of(tenant)),
            page,
            store::from_item,
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
    ) -> Result<Member, GroupError> {
        let group = self.get(tenant, group).await?;
        let service = self.services.get(tenant, account, service).await?;
        let key = Key::new(
            keys::group(tenant, &group.id),
            format!("MEMBER#{}", service.id),
        );
        if let Some(item) = self.table.get(&key).await? {
            return Ok(store::from_item(&item)?);
        }
        let member = Member {
            service: service.id.to_string(),
            account: account.to_string(),
            identifier: service.identifier,
            added_at: self.clock.now(),
        };
        self.table
            .put(
                store::keyed(store::to_item(&member)?, &[("pk", key.pk), ("sk", key.sk)]),
                None,
            )
            .await?;
        Ok(member)
    }

    /// Takes an account's service out of a group; NotFound when it is not in it.
    pub async fn remove(
        &self,
        tenant: &TenantId,
        group: &str,
        account: &AccountId,
        service: &ServiceId,
    ) -> Result<(), GroupError> {
        let group = self.get(tenant, group).await?;
        let key = Key::new(keys::group(tenant, &group.id), format!("MEMBER#{service}"));
        let theirs = Condition::Equals("account".into(), Value::S(account.to_string()));
        match self.table.delete(&key, Some(theirs)).await {
            Ok(()) => Ok(()),
            Err(TableError::ConditionFailed) => Err(GroupError::NotFound),
            Err(e) => Err(e.into()),
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
            Query::partition(Index::Primary, keys::group(tenant, &group.id))
                .sort(SortKey::BeginsWith("MEMBER#".into())),
            page,
            store::from_item,
        )
        .await?)
    }
}
