//! The reports a provider grants an account on the portal (the End User Portal's "reports
//! that you have granted them access to"): what one invoice came to by cost centre, by
//! service, and its calls, messages and data by service. Each is worked out from the
//! invoice as issued, so it always agrees with the invoice to the cent.

use std::collections::BTreeMap;

use time::Date;

use super::invoice::{Invoice, LineKind};
pub use super::settings::GrantedReport;

/// One row of a report: what it groups by, and its sums in minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    /// The cost centre, the service's identifier; empty for the account's own charges (no
    /// service) or services under no cost centre.
    pub label: String,
    /// Records (calls by invoice) or lines summed.
    pub quantity: i64,
    /// The period it covers (calls by invoice: the usage's days).
    pub period: Option<(Date, Date)>,
    pub net: i64,
    pub tax: i64,
    pub gross: i64,
}

/// The report's rows for the invoice, in a stable order (by label, then period).
pub fn rows(report: GrantedReport, invoice: &Invoice) -> Vec<ReportRow> {
    let mut groups: BTreeMap<(String, Option<(Date, Date)>), ReportRow> = BTreeMap::new();
    for line in &invoice.lines {
        let (label, period, quantity) = match report {
            GrantedReport::SpendByCostCentre => {
                (line.cost_centre.clone().unwrap_or_default(), None, 1)
            }
            GrantedReport::SpendByService => (line.identifier.clone(), None, 1),
            GrantedReport::CallsByInvoice => {
                if line.kind != LineKind::Usage {
                    continue;
                }
                (
                    line.identifier.clone(),
                    Some((line.period_start, line.period_end)),
                    line.quantity,
                )
            }
        };
        let row = groups
            .entry((label.clone(), period))
            .or_insert_with(|| ReportRow {
                label,
                quantity: 0,
                period,
                net: 0,
                tax: 0,
                gross: 0,
            });
        row.quantity += quantity;
        row.net += line.net;
        row.tax += line.tax;
        row.gross += line.gross;
    }
    groups.into_values().collect()
}
