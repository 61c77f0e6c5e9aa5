//! How orders are keyed and mapped to items of the single table: the order in its
//! account's partition with the index entries its state puts it in, and the claim an
//! idempotency key makes for a day.

use time::OffsetDateTime;

use super::lifecycle::OrderState;
use super::{Order, OrderRef};
use crate::ids::{AccountId, OrderId, TenantId};
use crate::ports::table::{
    EXPIRES_AT, GSI1_PK, GSI1_SK, GSI2_PK, GSI2_SK, Item, Key, TableError, Value,
};
use crate::store::{self, keys};

pub(super) fn key(r: &OrderRef) -> Key {
    Key::new(
        keys::account(&r.tenant, &r.account),
        format!("ORDER#{}", r.order),
    )
}

/// The order's item, with the index entries its state puts it in: the pending list, the
/// decided list, the provisioning queue of whoever fulfils it.
/// The one open order of an account for a request (a second identical one is refused while
/// the first is pending or being fulfilled): its key, by the request's fingerprint.
pub(super) fn open_request_key(tenant: &TenantId, account: &AccountId, fingerprint: &str) -> Key {
    Key::new(
        keys::account(tenant, account),
        format!("ORDER_OPEN#{fingerprint}"),
    )
}

pub(super) fn open_request_item(
    tenant: &TenantId,
    account: &AccountId,
    fingerprint: &str,
    order: &str,
) -> Item {
    let k = open_request_key(tenant, account, fingerprint);
    store::keyed(
        Item::from([("order".to_owned(), Value::S(order.to_owned()))]),
        &[("pk", k.pk), ("sk", k.sk)],
    )
}

pub(super) fn open_request_order(item: &Item) -> Option<OrderId> {
    item.get("order")
        .and_then(Value::as_s)
        .and_then(|o| o.parse().ok())
}

pub(super) fn to_item(order: &Order, r: &OrderRef) -> Result<Item, TableError> {
    let k = key(r);
    let mut attributes = vec![("pk", k.pk), ("sk", k.sk)];
    match order.state {
        OrderState::Pending => {
            attributes.push((GSI1_PK, keys::orders_pending(&r.tenant)));
            attributes.push((
                GSI1_SK,
                format!("{}#{}", store::rfc3339(order.submitted_at), order.id),
            ));
        }
        _ => {
            let decided = order.decided_at.unwrap_or(order.submitted_at);
            attributes.push((GSI1_PK, keys::orders_decided(&r.tenant)));
            attributes.push((GSI1_SK, format!("{}#{}", store::rfc3339(decided), order.id)));
        }
    }
    if matches!(
        order.state,
        OrderState::Provisioning | OrderState::ProvisioningHalted
    ) && let Some(fulfiller) = &order.fulfiller
    {
        let fulfiller: TenantId = fulfiller
            .parse()
            .map_err(|_| TableError::Invalid("an order's fulfiller is not a tenant".into()))?;
        attributes.push((GSI2_PK, keys::provisioning_queue(&fulfiller)));
        attributes.push((
            GSI2_SK,
            format!(
                "{}#{}",
                store::rfc3339(order.decided_at.unwrap_or(order.submitted_at)),
                order.id
            ),
        ));
    }
    Ok(store::keyed(store::to_item(order)?, &attributes))
}

pub(super) fn from_item(item: &Item) -> Result<Order, TableError> {
    store::from_item(item)
}

/// The claim an idempotency key makes: which order it made, for what request, until when.
pub(super) fn idempotency_claim(
    tenant: &TenantId,
    idempotency_key: &str,
    account: &AccountId,
    order: &str,
    fingerprint: &str,
    expires: OffsetDateTime,
) -> Item {
    store::keyed(
        Item::from([
            ("order".to_owned(), Value::S(order.to_owned())),
            ("fingerprint".to_owned(), Value::S(fingerprint.to_owned())),
            (EXPIRES_AT.to_owned(), Value::N(expires.unix_timestamp())),
        ]),
        &[
            ("pk", keys::idempotency(tenant, idempotency_key)),
            ("sk", format!("ORDER#{account}")),
        ],
    )
}

pub(super) fn idempotency_key(
    tenant: &TenantId,
    idempotency_key: &str,
    account: &AccountId,
) -> Key {
    Key::new(
        keys::idempotency(tenant, idempotency_key),
        format!("ORDER#{account}"),
    )
}

/// What a claim holds.
pub(super) struct Claimed {
    pub order: OrderId,
    pub fingerprint: String,
}

pub(super) fn claimed_order(item: &Item) -> Result<Claimed, TableError> {
    let order = item
        .get("order")
        .and_then(Value::as_s)
        .and_then(|s| s.parse::<OrderId>().ok())
        .ok_or_else(|| TableError::Unavailable("an idempotency item lacks its order".into()))?;
    let fingerprint = item
        .get("fingerprint")
        .and_then(Value::as_s)
        .unwrap_or_default()
        .to_owned();
    Ok(Claimed { order, fingerprint })
}
