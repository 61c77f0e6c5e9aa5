//! Usage: rated call, message and data records of a service, their totals per day and
//! usage type, and the views a customer reads (month to date, a daily series, the records
//! themselves).
//!
//! Periods and days are the provider's, cut in its time zone ([`crate::domain::calendar`]).
//! Totals are stored as parts, one per ingest chunk, service, day and usage type, and summed when read: a part is written whole and written
//! again identically if its chunk is redone, so a redelivered or resumed file never counts
//! twice (see [`ingest`]). A month of a service is one partition of parts; a month of an
//! account is another, so either view is one query.

pub mod alerts;
pub mod blocks;
pub mod export;
pub mod ingest;
pub mod rating;
pub mod records;

use std::collections::BTreeMap;
use std::sync::Arc;

use time::{Date, Month, OffsetDateTime};

use super::catalogue::UsageType;
use super::paging::PagingError;
use crate::ids::{AccountId, ServiceId, TenantId};
use crate::ports::table::{Index, Item, Query, Table, TableError, Value};
use crate::store;

/// A calendar month, `2026-11`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    pub year: i32,
    pub month: Month,
}

impl Period {
    /// The month a date of the provider's calendar is in (see [`crate::domain::calendar`]:
    /// an instant becomes a date in the provider's time zone first).
    pub fn containing(date: Date) -> Period {
        Period {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn parse(text: &str) -> Option<Period> {
        let (year, month) = text.split_once('-')?;
        if year.len() != 4 || month.len() != 2 {
            return None;
        }
        let month: u8 = month.parse().ok()?;
        Some(Period {
            year: year.parse().ok()?,
            month: Month::try_from(month).ok()?,
        })
    }

    pub fn first_day(self) -> Date {
        Date::from_calendar_date(self.year, self.month, 1).unwrap_or(Date::MIN)
    }

    pub fn days(self) -> u8 {
        self.month.length(self.year)
    }

    pub fn previous(self) -> Period {
        let month = self.month.previous();
        Period {
            year: if month == Month::December {
                self.year - 1
            } else {
                self.year
            },
            month,
        }
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, u8::from(self.month))
    }
}

pub mod keys {
    use super::*;

    /// A service's records of a month: the index of their blocks ([`blocks`]).
    pub fn records(tenant: &TenantId, service: &ServiceId, period: Period) -> String {
        format!("TENANT#{tenant}#SERVICE#{service}#USAGE#{period}")
    }
    pub fn service_totals(tenant: &TenantId, service: &ServiceId, period: Period) -> String {
        format!("TENANT#{tenant}#SERVICE#{service}#TOTALS#{period}")
    }
    pub fn account_totals(tenant: &TenantId, account: &AccountId, period: Period) -> String {
        format!("TENANT#{tenant}#ACCOUNT#{account}#TOTALS#{period}")
    }
    pub fn ingest(tenant: &TenantId, id: &str) -> String {
        format!("TENANT#{tenant}#INGEST#{id}")
    }
    /// A tenant's ingests, newest last (GSI1).
    pub fn ingests_of(tenant: &TenantId) -> String {
        format!("TENANT#{tenant}#INGESTS")
    }
}

/// One rated record, as stored and shown.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UsageRecord {
    /// The provider's own id of the record (unique within a file).
    pub record_id: String,
    pub service: String,
    pub usage: UsageType,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    pub destination: String,
    /// As measured: seconds, messages, bytes.
    pub quantity: i64,
    /// As billed: calls rounded up to the rate's increment.
    pub billable: i64,
    /// The part of `billable` a bolt-on's allowance covered.
    pub covered: i64,
    /// Minor units.
    pub charge: i64,
    pub currency: String,
}

/// Totals of some usage: how many records, how much, what it cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Totals {
    pub count: i64,
    pub quantity: i64,
    pub billable: i64,
    pub covered: i64,
    /// Minor units.
    pub charge: i64,
}

impl Totals {
    pub fn add(&mut self, other: &Totals) {
        self.count += other.count;
        self.quantity += other.quantity;
        self.billable += other.billable;
        self.covered += other.covered;
        self.charge += other.charge;
    }

    fn of_item(item: &Item) -> Totals {
        let n = |name: &str| item.get(name).and_then(Value::as_n).unwrap_or(0);
        Totals {
            count: n("count"),
            quantity: n("quantity"),
            billable: n("billable"),
            covered: n("covered"),
            charge: n("charge"),
        }
    }
}

/// A month of usage: totals by type, and a day-by-day series for a chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthUsage {
    pub period: Period,
    pub by_type: BTreeMap<UsageType, Totals>,
    pub total_charge: i64,
    /// One entry per day of the month (up to today for the current month), each by type.
    pub days: Vec<(Date, BTreeMap<UsageType, Totals>)>,
}

#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("invalid: {0}")]
    Invalid(String),
    /// Another file that holds some of this file's record ids has not finished loading:
    /// this one is delivered again later (it never counts a record twice, nor drops one).
    #[error("waiting for {0} to finish loading")]
    WaitingFor(String),
    #[error(transparent)]
    Paging(#[from] PagingError),
    #[error(transparent)]
    Storage(#[from] TableError),
    /// The bucket would not give or take a file.
    #[error(transparent)]
    Blobs(#[from] crate::ports::BlobError),
}

impl From<crate::domain::services::ServiceError> for UsageError {
    /// What the services say while usage is rated: their storage's failure as it is; a
    /// service or plan that should be there and is not is a record this version cannot
    /// read, not a bad request.
    fn from(e: crate::domain::services::ServiceError) -> Self {
        match e {
            crate::domain::services::ServiceError::Storage(e) => UsageError::Storage(e),
            other => UsageError::Storage(TableError::Unreadable(other.to_string())),
        }
    }
}

/// Reads usage. Which account and service may be read is the caller's check; every key
/// here names the tenant and the service or account, so nothing else can be reached.
#[derive(Clone)]
pub struct UsageViews {
    table: Arc<dyn Table>,
}

impl UsageViews {
    pub fn new(table: Arc<dyn Table>) -> Self {
        UsageViews { table }
    }

    async fn month_of(
        &self,
        partition: String,
        period: Period,
        until: Option<Date>,
    ) -> Result<MonthUsage, UsageError> {
        let mut by_day: BTreeMap<u8, BTreeMap<UsageType, Totals>> = BTreeMap::new();
        let query = Query::partition(Index::Primary, partition).limit(1000);
        for item in &store::query_all(self.table.as_ref(), query).await? {
            let Some(sk) = item.get("sk").and_then(Value::as_s) else {
                continue;
            };
            let mut parts = sk.split('#');
            let day: Option<u8> = parts.next().and_then(|d| d.parse().ok());
            let usage = parts.next().and_then(UsageType::parse);
            if let (Some(day), Some(usage)) = (day, usage) {
                by_day
                    .entry(day)
                    .or_default()
                    .entry(usage)
                    .or_default()
                    .add(&Totals::of_item(item));
            }
        }
        let last_day = match until {
            Some(today) if Period::containing(today) == period => today.day(),
            _ => period.days(),
        };
        let mut by_type: BTreeMap<UsageType, Totals> = BTreeMap::new();
        let mut days = Vec::with_capacity(usize::from(last_day));
        for day in 1..=last_day {
            let totals = by_day.remove(&day).unwrap_or_default();
            for (usage, t) in &totals {
                by_type.entry(*usage).or_default().add(t);
            }
            let date = Date::from_calendar_date(period.year, period.month, day)
                .unwrap_or(period.first_day());
            days.push((date, totals));
        }
        Ok(MonthUsage {
            period,
            total_charge: by_type.values().map(|t| t.charge).sum(),
            by_type,
            days,
        })
    }

    /// A service's usage in a month; for the current month, up to `today`.
    pub async fn service_month(
        &self,
        tenant: &TenantId,
        service: &ServiceId,
        period: Period,
        today: Date,
    ) -> Result<MonthUsage, UsageError> {
        self.month_of(
            keys::service_totals(tenant, service, period),
            period,
            Some(today),
        )
        .await
    }

    /// An account's usage in a month, over all its services.
    pub async fn account_month(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        period: Period,
        today: Date,
    ) -> Result<MonthUsage, UsageError> {
        self.month_of(
            keys::account_totals(tenant, account, period),
            period,
            Some(today),
        )
        .await
    }
}
