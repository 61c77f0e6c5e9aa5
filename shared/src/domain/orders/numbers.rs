//! A provider's phone-number inventory: numbers it holds, by area and tier, which customers
//! search and order. A number is `available` (listed in the area's index), `reserved` by
//! one order (from its submission until it is rejected or fulfilled), and leaves the
//! inventory when the order is fulfilled and the number becomes a service. Reserving is a
//! conditional write, so of many customers ordering the last number exactly one gets it.

use std::sync::Arc;

use time::OffsetDateTime;

use super::OrderError;
use super::settings::check_tier;
use crate::domain::Violations;
use crate::domain::paging::{self, Page, PageRequest, PagingError};
use crate::ids::{OrderId, TenantId};
use crate::ports::Clock;
use crate::ports::table::{
    Condition, GSI1_PK, GSI1_SK, Index, Item, Key, Query, SortKey, Table, TableError, Update,
    Value, Write,
};
use crate::store::{self, CursorCodec, keys};

/// A number as people write it (national form in `region`, the provider's country), in
/// E.164, checked by libphonenumber's rules.
pub fn normalise_e164(text: &str, region: Option<&str>) -> Result<String, String> {
    crate::domain::contact::PhoneNumber::parse_in(text, region).map(|n| n.as_str().to_owned())
}

/// An area code or name: 1 to 12 letters and digits.
pub fn check_area(area: &str) -> Result<(), String> {
    if (1..=12).contains(&area.len()) && area.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err("1 to 12 letters and digits".into())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberState {
    Available,
    Reserved,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InventoryNumber {
    pub number: String,
    pub area: String,
    pub tier: String,
    pub state: NumberState,
    /// The order holding it, while reserved.
    #[serde(default)]
    pub order: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: OffsetDateTime,
}

fn key(tenant: &TenantId, number: &str) -> Key {
    Key::new(keys::number(tenant, number), "NUMBER")
}

fn index_attributes(tenant: &TenantId, n: &InventoryNumber) -> [(&'static str, String); 2] {
    [
        (GSI1_PK, keys::numbers_available(tenant, &n.area)),
        (GSI1_SK, format!("{}#{}", n.tier, n.number)),
    ]
}

fn from_item(item: &Item) -> Result<InventoryNumber, TableError> {
    store::from_item(item)
}

/// Takes an available number for `order`; fails its condition when it is not available.
pub(crate) fn reserve(tenant: &TenantId, number: &str, order: &OrderId) -> Write {
    Write::Update {
        key: key(tenant, number),
        update: Update::default()
            .set("state", "reserved")
            .set("order", order.to_string())
            .remove(GSI1_PK)
            .remove(GSI1_SK),
        condition: Some(Condition::Equals("state".into(), Value::from("available"))),
    }
}

/// Gives a number `order` reserved back to the inventory.
pub(crate) fn release(tenant: &TenantId, n: &InventoryNumber, order: &OrderId) -> Write {
    let [(pk_name, pk), (sk_name, sk)] = index_attributes(tenant, n);
    Write::Update {
        key: key(tenant, &n.number),
        update: Update::default()
            .set("state", "available")
            .remove("order")
            .set(pk_name, pk)
            .set(sk_name, sk),
        condition: Some(Condition::Equals(
            "order".into(),
            Value::S(order.to_string()),
        )),
    }
}

/// The number leaves the inventory: it is now a service.
pub(crate) fn assign(tenant: &TenantId, number: &str, order: &OrderId) -> Write {
    Write::Delete {
        key: key(tenant, number),
        condition: Some(Condition::Equals(
            "order".into(),
            Value::S(order.to_string()),
        )),
    }
}

#[derive(Clone)]
pub struct NumberInventory {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    cursors: CursorCodec,
}

impl NumberInventory {
    pub fn new(table: Arc<dyn Table>, clock: Arc<dyn Clock>, cursors: CursorCodec) -> Self {
        NumberInventory {
            table,
            clock,
            cursors,
        }
    }

    /// Adds numbers of one area and tier (up to 100). A number already held, or already a
    /// service of the tenant, is skipped, so adding a list again is harmless. Answers the
    /// numbers added.
    pub async fn add(
        &self,
        tenant: &TenantId,
        area: &str,
        tier: &str,
        numbers: &[String],
    ) -> Result<Vec<String>, OrderError> {
        let mut v = Violations::default();
        if let Err(m) = check_area(area) {
            v.add("/area", m);
        }
        if let Err(m) = check_tier(tier) {
            v.add("/tier", m);
        }
        if numbers.is_empty() || numbers.len() > 100 {
            v.add("/numbers", "1 to 100 numbers");
        }
        let region = crate::domain::settings::read(self.table.as_ref(), tenant)
            .await?
            .phone_country;
        let mut normalised = Vec::with_capacity(numbers.len());
        for (i, n) in numbers.iter().enumerate() {
            match normalise_e164(n, region.as_deref()) {
                Ok(n) => normalised.push(n),
                Err(m) => v.add(format!("/numbers/{i}"), m),
            }
        }
        v.into_result().map_err(OrderError::Invalid)?;
        normalised.sort();
        normalised.dedup();
        let now = self.clock.now();
        let mut added = Vec::new();
        for number in normalised {
            let entry = InventoryNumber {
                number: number.clone(),
                area: area.to_owned(),
                tier: tier.to_owned(),
                state: NumberState::Available,
                order: None,
                added_at: now,
            };
            let k = key(tenant, &number);
            let [(a, b), (c, d)] = index_attributes(tenant, &entry);
            let item = store::to_item(&entry)?;
            let writes = vec![
                Write::Check {
                    key: crate::domain::services::identifier_claim(tenant, &number),
                    condition: Condition::Absent,
                },
                Write::Put {
                    item: store::keyed(item, &[("pk", k.pk), ("sk", k.sk), (a, b), (c, d)]),
                    condition: Some(Condition::Absent),
                },
            ];
            match self.table.transact(writes).await {
                Ok(()) => added.push(number),
                Err(TableError::TransactionConditionFailed { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(added)
    }

    /// A page of the available numbers of an area, by tier then number; one tier only
    /// when `tier` is given.
    pub async fn available(
        &self,
        tenant: &TenantId,
        area: &str,
        tier: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<InventoryNumber>, PagingError> {
        let partition = keys::numbers_available(tenant, area);
        let sort = match tier {
            Some(t) => SortKey::BeginsWith(format!("{t}#")),
            None => SortKey::Any,
        };
        let scope = format!("{partition}|{}", tier.unwrap_or(""));
        paging::fetch(
            self.table.as_ref(),
            &self.cursors,
            &scope,
            Query::partition(Index::Gsi1, partition).sort(sort),
            page,
            from_item,
        )
        .await
    }

    pub async fn get(
        &self,
        tenant: &TenantId,
        number: &str,
    ) -> Result<Option<InventoryNumber>, TableError> {
        match self.table.get(&key(tenant, number)).await? {
            Some(item) => Ok(Some(from_item(&item)?)),
            None => Ok(None),
        }
    }
}
