//! The catalogue: what a provider sells. Plans (a service type, a recurring price, a rate
//! card) and bolt-ons (a price, a term, allowances, the plans they attach to).
//!
//! Rules kept here: a plan's prices are in one currency; a rate card has at most one rate
//! per usage type and destination prefix, and rating uses the longest prefix that matches
//! (the empty prefix matches every destination); a bolt-on attaches only to the plans it
//! names, in the same currency.

pub mod money;

use std::sync::Arc;

use time::OffsetDateTime;

use super::Violations;
use super::paging::{self, Page, PageRequest, PagingError};
use crate::ids::{BoltOnId, PlanId, TenantId};
use crate::ports::Clock;
use crate::ports::table::{Condition, Index, Query, Table, TableError, Write};
use crate::store::Stamp;
use crate::store::{CursorCodec, keys};
pub use money::{Currency, Money, MonthlyPrice, Price};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ServiceType {
    /// Phone numbers: calls and messages.
    Voice,
    Broadband,
    Mobile,
    Generic,
}

/// What a usage record measures, and in which unit its quantity comes.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum UsageType {
    /// Quantity in seconds; priced per minute.
    Call,
    /// Quantity in messages; priced per message.
    Message,
    /// Quantity in bytes; priced per megabyte (1,000,000 bytes).
    Data,
}

impl UsageType {
    pub const ALL: [UsageType; 3] = [UsageType::Call, UsageType::Message, UsageType::Data];

    /// How many of the quantity's units one priced unit holds.
    pub fn per(self) -> i64 {
        match self {
            UsageType::Call => 60,
            UsageType::Message => 1,
            UsageType::Data => 1_000_000,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            UsageType::Call => "call",
            UsageType::Message => "message",
            UsageType::Data => "data",
        }
    }

    pub fn parse(text: &str) -> Option<UsageType> {
        UsageType::ALL.into_iter().find(|t| t.name() == text)
    }
}

/// One line of a rate card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    pub usage: UsageType,
    /// Destination digits the rate applies to (`61`, `614`); empty: every destination.
    pub prefix: String,
    /// Per minute, message or megabyte.
    pub price: Price,
    /// Calls are billed in steps of this many seconds (1 to 60), rounded up.
    pub increment_seconds: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub id: PlanId,
    pub tenant: TenantId,
    pub name: String,
    pub service_type: ServiceType,
    pub currency: Currency,
    /// Charged each month, in minor units.
    pub recurring_minor: i64,
    pub rates: Vec<Rate>,
    pub created_at: OffsetDateTime,
}

impl Plan {
    /// The rate for a record: its usage type's rate with the longest matching prefix.
    pub fn rate_for(&self, usage: UsageType, destination: &str) -> Option<&Rate> {
        self.rates
            .iter()
            .filter(|r| r.usage == usage && destination.starts_with(&r.prefix))
            .max_by_key(|r| r.prefix.len())
    }
}

/// An amount of usage a bolt-on includes each month.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Allowance {
    pub usage: UsageType,
    /// In the usage type's own unit: seconds, messages, bytes.
    pub quantity: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoltOn {
    pub id: BoltOnId,
    pub tenant: TenantId,
    pub name: String,
    pub currency: Currency,
    /// Charged each month while attached, in minor units.
    pub price_minor: i64,
    /// The minimum months it stays once added (0: none).
    pub term_months: u32,
    pub allowances: Vec<Allowance>,
    /// The plans it may be added to.
    pub plans: Vec<PlanId>,
    pub created_at: OffsetDateTime,
}

pub struct NewPlan {
    pub name: String,
    pub service_type: ServiceType,
    pub currency: String,
    pub recurring_minor: i64,
    pub rates: Vec<NewRate>,
}

pub struct NewRate {
    pub usage: UsageType,
    pub prefix: String,
    /// Minor units with up to four decimals, as text (`"2.5"`).
    pub price: String,
    pub increment_seconds: Option<i64>,
}

pub struct NewBoltOn {
    pub name: String,
    pub currency: String,
    pub price_minor: i64,
    pub term_months: u32,
    pub allowances: Vec<Allowance>,
    pub plans: Vec<PlanId>,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("invalid: {0}")]
    Invalid(Violations),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Paging(#[from] PagingError),
    #[error(transparent)]
    Storage(#[from] TableError),
}

mod record;

fn check_name(name: &str, v: &mut Violations) -> String {
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 120 {
        v.add("/name", "1 to 120 characters");
    }
    name
}

/// The catalogue of one provider.
#[derive(Clone)]
pub struct Catalogue {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    cursors: CursorCodec,
}

impl Catalogue {
    pub fn new(table: Arc<dyn Table>, clock: Arc<dyn Clock>, cursors: CursorCodec) -> Self {
        Catalogue {
            table,
            clock,
            cursors,
        }
    }

    pub async fn create_plan(
        &self,
        tenant: &TenantId,
        new: NewPlan,
        stamp: &Stamp,
    ) -> Result<Plan, CatalogueError> {
        let mut v = Violations::default();
        let name = check_name(&new.name, &mut v);
        let currency = Currency::parse(&new.currency)
            .map_err(|m| v.add("/currency", m))
            .ok();
        if !(0..=100_000_000).contains(&new.recurring_minor) {
            v.add("/recurring_minor", "0 to 100,000,000 minor units");
        }
        if new.rates.len() > 500 {
            v.add("/rates", "at most 500 rates");
        }
        let mut rates: Vec<Rate> = Vec::with_capacity(new.rates.len());
        for (i, rate) in new.rates.into_iter().enumerate() {
            let at = |field: &str| format!("/rates/{i}/{field}");
            if rate.prefix.len() > 15 || !rate.prefix.bytes().all(|b| b.is_ascii_digit()) {
                v.add(
                    at("prefix"),
                    "up to 15 digits, or empty for every destination",
                );
            }
            let price = Price::parse_minor(&rate.price)
                .map_err(|m| v.add(at("price"), m))
                .unwrap_or(Price(0));
            let increment = rate.increment_seconds.unwrap_or(match rate.usage {
                UsageType::Call => 60,
                _ => 1,
            });
            if !(1..=60).contains(&increment) {
                v.add(at("increment_seconds"), "1 to 60 seconds");
            }
            if rates
                .iter()
                .any(|r| r.usage == rate.usage && r.prefix == rate.prefix)
            {
                v.add(at("prefix"), "another rate has this usage type and prefix");
            }
            rates.push(Rate {
                usage: rate.usage,
                prefix: rate.prefix,
                price,
                increment_seconds: increment,
            });
        }
        v.clone().into_result().map_err(CatalogueError::Invalid)?;
        let now = self.clock.now();
        let plan = Plan {
            id: PlanId::generate(now),
            tenant: *tenant,
            name,
            service_type: new.service_type,
            currency: currency.ok_or(CatalogueError::Invalid(v))?,
            recurring_minor: new.recurring_minor,
            rates,
            created_at: now,
        };
        let mut writes = vec![Write::Put {
            item: record::plan_to_item(&plan)?,
            condition: Some(Condition::Absent),
        }];
        writes.extend(stamp.writes());
        self.table.transact(writes).await?;
        Ok(plan)
    }

    pub async fn plan(&self, tenant: &TenantId, id: &PlanId) -> Result<Plan, CatalogueError> {
        let item = self
            .table
            .get(&record::plan_key(tenant, id))
            .await?
            .ok_or(CatalogueError::NotFound)?;
        Ok(record::plan_from_item(&item)?)
    }

    pub async fn plans(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<Plan>, CatalogueError> {
        Ok(paging::fetch(
            self.table.as_ref(),
            &self.cursors,
            &format!("plans:{tenant}"),
            Query::partition(Index::Gsi1, keys::plans_of(tenant)),
            page,
            record::plan_from_item,
        )
        .await?)
    }

    pub async fn create_bolt_on(
        &self,
        tenant: &TenantId,
        new: NewBoltOn,
        stamp: &Stamp,
    ) -> Result<BoltOn, CatalogueError> {
        let mut v = Violations::default();
        let name = check_name(&new.name, &mut v);
        let currency = Currency::parse(&new.currency)
            .map_err(|m| v.add("/currency", m))
            .ok();
        if !(0..=100_000_000).contains(&new.price_minor) {
            v.add("/price_minor", "0 to 100,000,000 minor units");
        }
        if new.term_months > 60 {
            v.add("/term_months", "0 to 60 months");
        }
        if new.allowances.is_empty() || new.allowances.len() > 10 {
            v.add("/allowances", "1 to 10 allowances");
        }
        for (i, a) in new.allowances.iter().enumerate() {
            if a.quantity <= 0 {
                v.add(format!("/allowances/{i}/quantity"), "more than 0");
            }
        }
        if new.plans.is_empty() || new.plans.len() > 100 {
            v.add("/plans", "1 to 100 plans it attaches to");
        }
        for (i, plan) in new.plans.iter().enumerate() {
            match self.plan(tenant, plan).await {
                Ok(p) if Some(p.currency) == currency => {}
                Ok(_) => v.add(format!("/plans/{i}"), "this plan bills in another currency"),
                Err(CatalogueError::NotFound) => v.add(format!("/plans/{i}"), "no such plan"),
                Err(e) => return Err(e),
            }
        }
        v.clone().into_result().map_err(CatalogueError::Invalid)?;
        let now = self.clock.now();
        let bolt_on = BoltOn {
            id: BoltOnId::generate(now),
            tenant: *tenant,
            name,
            currency: currency.ok_or(CatalogueError::Invalid(v))?,
            price_minor: new.price_minor,
            term_months: new.term_months,
            allowances: new.allowances,
            plans: new.plans,
            created_at: now,
        };
        let mut writes = vec![Write::Put {
            item: record::bolt_on_to_item(&bolt_on)?,
            condition: Some(Condition::Absent),
        }];
        writes.extend(stamp.writes());
        self.table.transact(writes).await?;
        Ok(bolt_on)
    }

    pub async fn bolt_on(
        &self,
        tenant: &TenantId,
        id: &BoltOnId,
    ) -> Result<BoltOn, CatalogueError> {
        let item = self
            .table
            .get(&record::bolt_on_key(tenant, id))
            .await?
            .ok_or(CatalogueError::NotFound)?;
        Ok(record::bolt_on_from_item(&item)?)
    }

    pub async fn bolt_ons(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<BoltOn>, CatalogueError> {
        Ok(paging::fetch(
            self.table.as_ref(),
            &self.cursors,
            &format!("bolt-ons:{tenant}"),
            Query::partition(Index::Gsi1, keys::bolt_ons_of(tenant)),
            page,
            record::bolt_on_from_item,
        )
        .await?)
    }
}
