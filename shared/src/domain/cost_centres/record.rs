//! How cost centres are keyed and mapped to items: each in its account's partition, and a
//! claim on its name (case aside) so that a retried create finds the one it made.

use super::CostCentre;
use crate::ids::{AccountId, TenantId};
use crate::ports::table::{Index, Item, Key, Query, SortKey, TableError, Value};
use crate::store::{self, keys};

pub(super) fn key(tenant: &TenantId, account: &AccountId, id: &str) -> Key {
    Key::new(keys::account(tenant, account), format!("COST_CENTRE#{id}"))
}

pub(super) fn to_item(
    tenant: &TenantId,
    account: &AccountId,
    centre: &CostCentre,
) -> Result<Item, TableError> {
    let k = key(tenant, account, &centre.id);
    Ok(store::keyed(
        store::to_item(centre)?,
        &[("pk", k.pk), ("sk", k.sk)],
    ))
}

pub(super) fn from_item(item: &Item) -> Result<CostCentre, TableError> {
    store::from_item(item)
}

/// Every cost centre of an account.
pub(super) fn all_of(tenant: &TenantId, account: &AccountId) -> Query {
    Query::partition(Index::Primary, keys::account(tenant, account))
        .sort(SortKey::BeginsWith("COST_CENTRE#".into()))
}

pub(super) fn name_key(tenant: &TenantId, account: &AccountId, name: &str) -> Key {
    Key::new(
        keys::account(tenant, account),
        format!("COST_CENTRE_NAME#{}", name.to_lowercase()),
    )
}

/// The claim on a name, naming the cost centre that holds it.
pub(super) fn name_claim(tenant: &TenantId, account: &AccountId, name: &str, id: &str) -> Item {
    let claim = name_key(tenant, account, name);
    store::keyed(
        Item::from([("cost_centre".to_owned(), Value::S(id.to_owned()))]),
        &[("pk", claim.pk), ("sk", claim.sk)],
    )
}

/// The cost centre a name claim names.
pub(super) fn claimed(claim: &Item) -> Option<&str> {
    claim.get("cost_centre").and_then(Value::as_s)
}
