//! How this capability's records are keyed and mapped to items of the single table.

use super::money::{Currency, Price};
use super::{Allowance, BoltOn, Plan, Rate, ServiceType, UsageType};
use crate::ids::{BoltOnId, PlanId, TenantId};
use crate::ports::table::{Item, Key, TableError};
use crate::store::{self, keys};

#[derive(serde::Serialize, serde::Deserialize)]
pub struct RateRecord {
    pub usage: UsageType,
    pub prefix: String,
    pub price: i64,
    pub increment_seconds: i64,
}

#[derive(serde::Serialize, serde::Deserialize)]
pub struct PlanRecord {
    pub id: String,
    pub tenant: String,
    pub name: String,
    pub service_type: ServiceType,
    pub currency: String,
    pub recurring_minor: i64,
    pub rates: Vec<RateRecord>,
    pub created_at: String,
}

#[derive(serde::Serialize, serde::Deserialize)]
pub struct BoltOnRecord {
    pub id: String,
    pub tenant: String,
    pub name: String,
    pub currency: String,
    pub price_minor: i64,
    pub term_months: i64,
    pub allowances: Vec<Allowance>,
    pub plans: Vec<String>,
    pub created_at: String,
}

fn bad(what: &str) -> TableError {
    TableError::Unreadable(format!("a stored catalogue item has a bad {what}"))
}

pub fn plan_key(tenant: &TenantId, id: &PlanId) -> Key {
    Key::new(keys::plan(tenant, id), "PLAN")
}

pub fn bolt_on_key(tenant: &TenantId, id: &BoltOnId) -> Key {
    Key::new(keys::bolt_on(tenant, id), "BOLT_ON")
}

pub fn plan_to_item(p: &Plan) -> Result<Item, TableError> {
    let record = PlanRecord {
        id: p.id.to_string(),
        tenant: p.tenant.to_string(),
        name: p.name.clone(),
        service_type: p.service_type,
        currency: p.currency.to_string(),
        recurring_minor: p.recurring_minor,
        rates: p
            .rates
            .iter()
            .map(|r| RateRecord {
                usage: r.usage,
                prefix: r.prefix.clone(),
                price: r.price.0,
                increment_seconds: r.increment_seconds,
            })
            .collect(),
        created_at: store::rfc3339(p.created_at),
    };
    let k = plan_key(&p.tenant, &p.id);
    Ok(store::keyed(
        store::to_item(&record)?,
        &[
            ("pk", k.pk),
            ("sk", k.sk),
            ("gsi1pk", keys::plans_of(&p.tenant)),
            ("gsi1sk", p.id.to_string()),
        ],
    ))
}

pub fn plan_from_item(item: &Item) -> Result<Plan, TableError> {
    let r: PlanRecord = store::from_item(item)?;
    Ok(Plan {
        id: r.id.parse().map_err(|_| bad("id"))?,
        tenant: r.tenant.parse().map_err(|_| bad("tenant"))?,
        name: r.name,
        service_type: r.service_type,
        currency: Currency::parse(&r.currency).map_err(|_| bad("currency"))?,
        recurring_minor: r.recurring_minor,
        rates: r
            .rates
            .into_iter()
            .map(|r| Rate {
                usage: r.usage,
                prefix: r.prefix,
                price: Price(r.price),
                increment_seconds: r.increment_seconds,
            })
            .collect(),
        created_at: store::parse_rfc3339(&r.created_at).ok_or_else(|| bad("time"))?,
    })
}

pub fn bolt_on_to_item(b: &BoltOn) -> Result<Item, TableError> {
    let record = BoltOnRecord {
        id: b.id.to_string(),
        tenant: b.tenant.to_string(),
        name: b.name.clone(),
        currency: b.currency.to_string(),
        price_minor: b.price_minor,
        term_months: i64::from(b.term_months),
        allowances: b.allowances.clone(),
        plans: b.plans.iter().map(ToString::to_string).collect(),
        created_at: store::rfc3339(b.created_at),
    };
    let k = bolt_on_key(&b.tenant, &b.id);
    Ok(store::keyed(
        store::to_item(&record)?,
        &[
            ("pk", k.pk),
            ("sk", k.sk),
            ("gsi1pk", keys::bolt_ons_of(&b.tenant)),
            ("gsi1sk", b.id.to_string()),
        ],
    ))
}

pub fn bolt_on_from_item(item: &Item) -> Result<BoltOn, TableError> {
    let r: BoltOnRecord = store::from_item(item)?;
    Ok(BoltOn {
        id: r.id.parse().map_err(|_| bad("id"))?,
        tenant: r.tenant.parse().map_err(|_| bad("tenant"))?,
        name: r.name,
        currency: Currency::parse(&r.currency).map_err(|_| bad("currency"))?,
        price_minor: r.price_minor,
        term_months: u32::try_from(r.term_months).map_err(|_| bad("term"))?,
        allowances: r.allowances,
        plans: r
            .plans
            .iter()
            .map(|p| p.parse())
            .collect::<Result<_, _>>()
            .map_err(|_| bad("plan"))?,
        created_at: store::parse_rfc3339(&r.created_at).ok_or_else(|| bad("time"))?,
    })
}
