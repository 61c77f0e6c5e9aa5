//! Cost centres: an end user's own labels for parts of its business ("Sales", "Site 4"),
//! each service under at most one, and the month's usage and spend totalled by them.
//!
//! A cost centre lives in its account's partition; its name is unique within the account
//! (case aside), so creating one that exists answers the existing one and a retried create
//! never makes two. Totals follow the services' current cost centres: moving a service
//! moves its whole month, as the customer would expect of a report run today.

mod record;

use std::collections::BTreeMap;
use std::sync::Arc;

use time::{Date, OffsetDateTime};

use super::Violations;
use super::catalogue::UsageType;
use super::services::{Service, ServiceError, Services};
use super::usage::{Period, Totals, UsageError, UsageViews};
use crate::ids::{AccountId, CostCentreId, ServiceId, TenantId};
use crate::ports::Clock;
use crate::ports::table::{Condition, Table, TableError, Write};
use crate::store::{self, CursorCodec, Stamp, Transaction, TransactionError};

/// An account has at most this many cost centres.
pub const MAX_PER_ACCOUNT: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CostCentre {
    pub id: String,
    pub name: String,
    /// The customer's own code for it (a ledger code), if any.
    #[serde(default)]
    pub code: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A month's usage of the services under one cost centre (or under none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostCentreUsage {
    /// None: the services under no cost centre.
    pub cost_centre: Option<CostCentre>,
    pub services: Vec<ServiceId>,
    pub by_type: BTreeMap<UsageType, Totals>,
    pub total_charge: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum CostCentreError {
    #[error("invalid: {0}")]
    Invalid(Violations),
    #[error("not found")]
    NotFound,
    #[error("the account has {MAX_PER_ACCOUNT} cost centres already")]
    TooMany,
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error(transparent)]
    Usage(#[from] UsageError),
    #[error(transparent)]
    Storage(#[from] TableError),
}

#[derive(Clone)]
pub struct CostCentres {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    services: Services,
    usage: UsageViews,
}

impl CostCentres {
    pub fn new(table: Arc<dyn Table>, clock: Arc<dyn Clock>, cursors: CursorCodec) -> Self {
        CostCentres {
            services: Services::new(table.clone(), clock.clone(), cursors.clone()),
            usage: UsageViews::new(table.clone()),
            table,
            clock,
        }
    }

    /// Creates a cost centre; one of the same name is answered as it is, with `false`.
    pub async fn create(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        name: &str,
        code: Option<&str>,
        stamp: &Stamp,
    ) -> Result<(CostCentre, bool), CostCentreError> {
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut v = Violations::default();
        if !(1..=80).contains(&name.chars().count()) {
            v.add("/name", "1 to 80 characters");
        }
        let code = code.map(str::trim).filter(|c| !c.is_empty());
        if code.is_some_and(|c| c.chars().count() > 32) {
            v.add("/code", "up to 32 characters");
        }
        v.into_result().map_err(CostCentreError::Invalid)?;
        if let Some(existing) = self.by_name(tenant, account, &name).await? {
            return Ok((existing, false));
        }
        if self.list(tenant, account).await?.len() >= MAX_PER_ACCOUNT {
            return Err(CostCentreError::TooMany);
        }
        let now = self.clock.now();
        let centre = CostCentre {
            id: CostCentreId::generate(now).to_string(),
            name: name.clone(),
            code: code.map(str::to_owned),
            created_at: now,
        };
        let mut tx = Transaction::new();
        tx.add(
            "name claim",
            Write::Put {
                item: record::name_claim(tenant, account, &name, &centre.id),
                condition: Some(Condition::Absent),
            },
        )
        .add(
            "cost centre",
            Write::Put {
                item: record::to_item(tenant, account, &centre)?,
                condition: Some(Condition::Absent),
            },
        );
        tx.extend("audit entry", stamp.writes());
        match tx.commit(self.table.as_ref()).await {
            Ok(()) => Ok((centre, true)),
            // A twin request made it meanwhile.
            Err(TransactionError::ConditionFailed("name claim")) => self
                .by_name(tenant, account, &name)
                .await?
                .map(|c| (c, false))
                .ok_or(CostCentreError::NotFound),
            Err(e) => Err(TableError::from(e).into()),
        }
    }

    async fn by_name(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        name: &str,
    ) -> Result<Option<CostCentre>, CostCentreError> {
        let claim = self
            .table
            .get(&record::name_key(tenant, account, name))
            .await?;
        match claim.as_ref().and_then(record::claimed) {
            Some(id) => self.get(tenant, account, id).await.map(Some),
            None => Ok(None),
        }
    }

    /// One of the account's cost centres; NotFound for another account's.
    pub async fn get(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        id: &str,
    ) -> Result<CostCentre, CostCentreError> {
        if id.parse::<CostCentreId>().is_err() {
            return Err(CostCentreError::NotFound);
        }
        let item = self
            .table
            .get(&record::key(tenant, account, id))
            .await?
            .ok_or(CostCentreError::NotFound)?;
        Ok(record::from_item(&item)?)
    }

    /// The account's cost centres, by name.
    pub async fn list(
        &self,
        tenant: &TenantId,
        account: &AccountId,
    ) -> Result<Vec<CostCentre>, CostCentreError> {
        let query = record::all_of(tenant, account).limit(MAX_PER_ACCOUNT);
        let mut centres: Vec<CostCentre> = store::query_all(self.table.as_ref(), query)
            .await?
            .iter()
            .map(record::from_item)
            .collect::<Result<_, _>>()?;
        centres.sort_by_key(|c| c.name.to_lowercase());
        Ok(centres)
    }

    /// Puts one of the account's services under one of its cost centres, or under none.
    pub async fn assign(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        service: &ServiceId,
        cost_centre: Option<&str>,
        stamp: &Stamp,
    ) -> Result<Service, CostCentreError> {
        let centre = match cost_centre {
            Some(id) => match self.get(tenant, account, id).await {
                Ok(c) => Some(c.id.parse().map_err(|_| CostCentreError::NotFound)?),
                Err(CostCentreError::NotFound) => {
                    let mut v = Violations::default();
                    v.add("/cost_centre", "no such cost centre on this account");
                    return Err(CostCentreError::Invalid(v));
                }
                Err(e) => return Err(e),
            },
            None => None,
        };
        Ok(self
            .services
            .set_cost_centre(tenant, account, service, centre, stamp)
            .await?)
    }

    /// The account's usage in a month by cost centre: one entry per cost centre (with no
    /// services, zero), then the services under none.
    pub async fn usage(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        period: Period,
        today: Date,
    ) -> Result<Vec<CostCentreUsage>, CostCentreError> {
        let centres = self.list(tenant, account).await?;
        let services = self.services.of_account(tenant, account).await?;
        let mut out: Vec<CostCentreUsage> = centres
            .into_iter()
            .map(Some)
            .chain([None])
            .map(|cost_centre| CostCentreUsage {
                cost_centre,
                services: Vec::new(),
                by_type: BTreeMap::new(),
                total_charge: 0,
            })
            .collect();
        for service in services {
            let centre = service.cost_centre.map(|c| c.to_string());
            // A cost centre not listed (there is none such today) counts as none: the last.
            let slot = out
                .iter()
                .position(|u| u.cost_centre.as_ref().map(|c| &c.id) == centre.as_ref())
                .unwrap_or(out.len().saturating_sub(1));
            let month = self
                .usage
                .service_month(tenant, &service.id, period, today)
                .await?;
            let Some(entry) = out.get_mut(slot) else {
                continue;
            };
            entry.services.push(service.id);
            for (usage, totals) in &month.by_type {
                entry.by_type.entry(*usage).or_default().add(totals);
            }
            entry.total_charge += month.total_charge;
        }
        Ok(out)
    }
}
