//! How service groups are keyed and mapped to items: a group and its members share one
//! partition; the tenant's groups are listed by name through the first index; a claim on
//! each name (case aside) keeps names unique and lets a retried create find its group.

use super::{Member, ServiceGroup};
use crate::ids::{AccountId, ServiceId, TenantId};
use crate::ports::table::{Condition, Index, Item, Key, Query, SortKey, TableError, Value};
use crate::store;

fn group_partition(tenant: &TenantId, id: &str) -> String {
    format!("TENANT#{tenant}#SERVICE_GROUP#{id}")
}

fn groups_partition(tenant: &TenantId) -> String {
    format!("TENANT#{tenant}#SERVICE_GROUPS")
}

pub(super) fn group_key(tenant: &TenantId, id: &str) -> Key {
    Key::new(group_partition(tenant, id), "GROUP")
}

pub(super) fn group_item(tenant: &TenantId, group: &ServiceGroup) -> Result<Item, TableError> {
    Ok(store::keyed(
        store::to_item(group)?,
        &[
            ("pk", group_partition(tenant, &group.id)),
            ("sk", "GROUP".to_owned()),
            ("gsi1pk", groups_partition(tenant)),
            (
                "gsi1sk",
                format!("{}#{}", group.name.to_lowercase(), group.id),
            ),
        ],
    ))
}

pub(super) fn group_from_item(item: &Item) -> Result<ServiceGroup, TableError> {
    store::from_item(item)
}

/// The tenant's groups, by name.
pub(super) fn groups_of(tenant: &TenantId) -> Query {
    Query::partition(Index::Gsi1, groups_partition(tenant))
}

pub(super) fn name_key(tenant: &TenantId, name: &str) -> Key {
    Key::new(
        format!("TENANT#{tenant}#SERVICE_GROUP_NAME#{}", name.to_lowercase()),
        "SERVICE_GROUP_NAME",
    )
}

/// The claim on a name, naming the group that holds it.
pub(super) fn name_claim(tenant: &TenantId, name: &str, group: &str) -> Item {
    let claim = name_key(tenant, name);
    store::keyed(
        Item::from([("group".to_owned(), Value::S(group.to_owned()))]),
        &[("pk", claim.pk), ("sk", claim.sk)],
    )
}

/// The group a name claim names.
pub(super) fn claimed(claim: &Item) -> Option<&str> {
    claim.get("group").and_then(Value::as_s)
}

pub(super) fn member_key(tenant: &TenantId, group: &str, service: &ServiceId) -> Key {
    Key::new(group_partition(tenant, group), format!("MEMBER#{service}"))
}

pub(super) fn member_item(key: Key, member: &Member) -> Result<Item, TableError> {
    Ok(store::keyed(
        store::to_item(member)?,
        &[("pk", key.pk), ("sk", key.sk)],
    ))
}

pub(super) fn member_from_item(item: &Item) -> Result<Member, TableError> {
    store::from_item(item)
}

/// The condition that a member item is the account's: a service is taken out of a group
/// only by way of its own account.
pub(super) fn member_of(account: &AccountId) -> Condition {
    Condition::Equals("account".into(), Value::S(account.to_string()))
}

/// A group's members, by service id.
pub(super) fn members_of(tenant: &TenantId, group: &str) -> Query {
    Query::partition(Index::Primary, group_partition(tenant, group))
        .sort(SortKey::BeginsWith("MEMBER#".into()))
}
