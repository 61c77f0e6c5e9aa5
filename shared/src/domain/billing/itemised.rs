//! An invoice's itemised usage ("call records by invoice"): every rated record of the days
//! its usage lines cover, for each line's service, in the usage export's columns.
//!
//! Made when asked for from the records as rated now: a record that arrived late and was
//! billed on a later invoice is listed under its own day on both.

use time::Date;

use super::invoice::{Invoice, LineKind};
use super::{Billing, BillingError};
use crate::domain::usage::Period;
use crate::domain::usage::export::{COLUMNS, write_row};
use crate::ids::{AccountId, ServiceId, TenantId};
use crate::ports::table::TableError;

/// The most records one itemised file holds.
pub const MAX_RECORDS: usize = 200_000;

impl Billing {
    /// The invoice's itemised usage as CSV.
    pub async fn itemised_usage(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        invoice: &Invoice,
    ) -> Result<Vec<u8>, BillingError> {
        let zone = self.zone(tenant).await?;
        let fail = |e: &dyn std::fmt::Display| TableError::Invalid(format!("itemised CSV: {e}"));
        let mut csv = csv::Writer::from_writer(Vec::new());
        csv.write_record(COLUMNS).map_err(|e| fail(&e))?;
        let mut written = 0;
        for line in invoice.lines.iter().filter(|l| l.kind == LineKind::Usage) {
            let Ok(service_id) = line.service.parse::<ServiceId>() else {
                continue;
            };
            let service = self.services.get(tenant, account, &service_id).await?;
            let mut month = Period::containing(line.period_start);
            while month.first_day() <= line.period_end {
                let records = self.records.month(tenant, &service_id, month).await?;
                for record in records {
                    let record = record?;
                    let day: Date = zone.date_of(record.started_at);
                    if day < line.period_start || day > line.period_end {
                        continue;
                    }
                    if written == MAX_RECORDS {
                        return Err(BillingError::TooManyCharges(written));
                    }
                    write_row(&mut csv, &service, &record, &zone).map_err(|e| fail(&e))?;
                    written += 1;
                }
                month =
                    Period::containing(crate::domain::calendar::add_months(month.first_day(), 1));
            }
        }
        Ok(csv.into_inner().map_err(|e| fail(&e))?)
    }
}
