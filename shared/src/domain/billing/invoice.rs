//! What an invoice is and how its lines are worked out: the rules, with no storage.
//!
//! Recurring charges (each service's plan and each bolt-on) are billed in advance for the
//! billing period, from the day billing started (the service's activation, the bolt-on's
//! attachment) and never twice: each charge carries the date it is billed up to, and an
//! invoice bills from there to the end of its period, a stretch left over from an earlier
//! period (a service activated after that period's invoice) on a line of its own.
//!
//! Usage is billed in arrears: the rated charges of every day before the invoice's period
//! began, less what earlier invoices already billed for that day. A record that arrives
//! after its period's invoice was issued is billed once, on the next invoice, on a line
//! labelled with the period it belongs to.

use std::collections::BTreeMap;

use time::{Date, OffsetDateTime};

use super::amounts::{self, Taxed};
use super::dates;
use super::settings::{BillDay, TaxSetting};
use crate::domain::calendar::add_months;

/// A billing period: from its first day up to (not including) `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct BillPeriod {
    pub start: Date,
    pub end: Date,
}

impl BillPeriod {
    /// The period of an account billed on `day` of the month that holds `date`.
    pub fn containing(date: Date, day: u8) -> BillPeriod {
        let day = day.clamp(1, 28);
        let start = if date.day() >= day {
            date.replace_day(day).unwrap_or(date)
        } else {
            // The bill day of the month before.
            let last_month = date
                .replace_day(1)
                .ok()
                .and_then(Date::previous_day)
                .unwrap_or(date);
            last_month.replace_day(day).unwrap_or(last_month)
        };
        BillPeriod {
            start,
            end: add_months(start, 1),
        }
    }

    pub fn days(&self) -> i64 {
        amounts::days_between(self.start, self.end)
    }

    /// The last day in it, as people write a period ("1 – 30 November").
    pub fn last_day(&self) -> Date {
        self.end.previous_day().unwrap_or(self.end)
    }
}

/// What a line charges for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// A plan's monthly price.
    Plan,
    /// A bolt-on's monthly price.
    BoltOn,
    /// Rated usage.
    Usage,
    /// A one-off charge or credit staff added to the account.
    OneOff,
}

/// One line of an invoice. Amounts are minor units; `net + tax = gross`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InvoiceLine {
    pub kind: LineKind,
    pub description: String,
    /// The service it is for, and its identifier (the phone number, the circuit).
    pub service: String,
    pub identifier: String,
    /// The cost centre the service was under when the invoice was issued.
    pub cost_centre: Option<String>,
    #[serde(with = "dates::iso")]
    pub period_start: Date,
    /// The last day the line covers.
    #[serde(with = "dates::iso")]
    pub period_end: Date,
    /// Days for a recurring charge, records for usage.
    pub quantity: i64,
    pub net: i64,
    pub tax: i64,
    pub gross: i64,
}

/// Where an invoice stands. An issued invoice never changes apart from what is paid of it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Issued,
    PartlyPaid,
    Paid,
    /// Past its due date with something still to pay (worked out when read).
    Overdue,
    /// What was left to pay was written off.
    WrittenOff,
}

/// An issued invoice.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Invoice {
    pub id: String,
    /// As printed (`INV-000042`): sequential per provider, without gaps.
    pub number: String,
    pub sequence: i64,
    pub account: String,
    pub account_name: String,
    pub account_number: String,
    #[serde(with = "dates::iso")]
    pub period_start: Date,
    /// The last day of the billing period.
    #[serde(with = "dates::iso")]
    pub period_end: Date,
    #[serde(with = "dates::iso")]
    pub issued_on: Date,
    #[serde(with = "dates::iso")]
    pub due_on: Date,
    pub currency: String,
    pub tax_name: String,
    pub lines: Vec<InvoiceLine>,
    pub subtotal: i64,
    pub tax: i64,
    pub total: i64,
    /// Credit on the account when it was issued that this invoice used.
    pub credit_applied: i64,
    /// What was left to pay when it was issued: `total - credit_applied`.
    pub amount_due: i64,
    /// Paid of `amount_due` since.
    pub paid: i64,
    /// Corrected by credit notes since.
    #[serde(default)]
    pub credited: i64,
    /// Written off since: staff gave up collecting it.
    #[serde(default)]
    pub written_off: i64,
    /// The reminder day (days late) of the last overdue reminder sent; 0 for none.
    #[serde(default)]
    pub reminded_at_days: u16,
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
}

impl Invoice {
    /// What is still owed on it.
    pub fn outstanding(&self) -> i64 {
        (self.amount_due - self.paid - self.credited - self.written_off).max(0)
    }

    /// Where it stands on `today` (the provider's date).
    pub fn status(&self, today: Date) -> InvoiceStatus {
        if self.outstanding() == 0 && self.written_off > 0 {
            InvoiceStatus::WrittenOff
        } else if self.outstanding() == 0 {
            InvoiceStatus::Paid
        } else if today > self.due_on {
            InvoiceStatus::Overdue
        } else if self.paid > 0 {
            InvoiceStatus::PartlyPaid
        } else {
            InvoiceStatus::Issued
        }
    }
}

/// A recurring charge as the bill run finds it: a plan on a service, or a bolt-on on it.
#[derive(Debug, Clone)]
pub struct Recurring {
    pub kind: LineKind,
    /// What the charge is known by until its billing stops: `service` for a plan,
    /// `service/bolt-on/since` for a bolt-on (attached again later, it is another charge).
    pub charge_key: String,
    pub name: String,
    pub service: String,
    pub identifier: String,
    pub cost_centre: Option<String>,
    /// The price of a whole period.
    pub price: i64,
    /// The provider's date billing started.
    pub from: Date,
    /// The provider's date billing stopped (a bolt-on taken off), if it has.
    pub until: Option<Date>,
    /// Billed up to (not including) this date already.
    pub billed_through: Option<Date>,
}

/// A day's rated usage of one service: records and charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct DayUsage {
    pub records: i64,
    pub charge: i64,
}

/// One service's usage as the bill run finds it: each day's totals now, and what earlier
/// invoices billed of each day.
#[derive(Debug, Clone, Default)]
pub struct ServiceUsage {
    pub service: String,
    pub identifier: String,
    pub cost_centre: Option<String>,
    pub now: BTreeMap<Date, DayUsage>,
    pub billed: BTreeMap<Date, DayUsage>,
}

/// The lines of an invoice for `period`, and what it bills: the date each recurring
/// charge is billed up to after it, and each service's usage days as billed after it.
#[derive(Debug, Clone, Default)]
pub struct Composed {
    pub lines: Vec<InvoiceLine>,
    pub billed_through: Vec<(String, Date)>,
    pub usage_billed: Vec<(String, BTreeMap<Date, DayUsage>)>,
}

/// Works out an invoice's lines.
pub fn compose(
    period: BillPeriod,
    bill_day: BillDay,
    account_opened: Date,
    tax: &TaxSetting,
    recurring: &[Recurring],
    usage: &[ServiceUsage],
) -> Composed {
    let day = bill_day.day_for(account_opened);
    let taxed = |amount: i64| -> Taxed {
        amounts::tax(amount, tax.rate_basis_points, tax.prices_include_tax)
    };
    let mut out = Composed::default();
    for charge in recurring {
        // This invoice bills the charge up to the end of its period, or to the day the
        // charge stopped if that is sooner.
        let end = charge
            .until
            .map_or(period.end, |until| until.min(period.end))
            .max(charge.from);
        match charge.billed_through {
            // Stopped inside a stretch already billed: the days after it are credited.
            Some(billed) if charge.until.is_some() && billed > end => {
                for (start, stop, within) in stretches(end, billed, day) {
                    let days = amounts::days_between(start, stop);
                    let t = taxed(-amounts::prorate(charge.price, days, within));
                    out.lines.push(line(
                        charge,
                        start,
                        stop,
                        days,
                        t,
                        format!("{} (credit, {days} of {within} days unused)", charge.name),
                    ));
                }
                out.billed_through.push((charge.charge_key.clone(), end));
            }
            billed => {
                let from = billed.unwrap_or(charge.from).max(charge.from);
                if from >= end {
                    continue;
                }
                // A stretch left over from earlier periods is billed period by period,
                // each part prorated against the length of the period it falls in.
                for (start, stop, within) in stretches(from, end, day) {
                    let days = amounts::days_between(start, stop);
                    let t = taxed(amounts::prorate(charge.price, days, within));
                    let description = if days == within {
                        charge.name.clone()
                    } else {
                        format!("{} ({days} of {within} days)", charge.name)
                    };
                    out.lines
                        .push(line(charge, start, stop, days, t, description));
                }
                out.billed_through.push((charge.charge_key.clone(), end));
            }
        }
    }
    for service in usage {
        // Per billing period the days belong to: what is new since the last invoice.
        let mut by_period: BTreeMap<BillPeriod, DayUsage> = BTreeMap::new();
        let mut billed_now = BTreeMap::new();
        // Every day rated now or billed before: a day corrected down to nothing is credited.
        let days: std::collections::BTreeSet<Date> = service
            .now
            .range(..period.start)
            .chain(service.billed.range(..period.start))
            .map(|(d, _)| *d)
            .collect();
        for date in &days {
            let now = &service.now.get(date).copied().unwrap_or_default();
            let before = service.billed.get(date).copied().unwrap_or_default();
            if *now == before {
                continue;
            }
            let delta = by_period
                .entry(BillPeriod::containing(*date, day))
                .or_default();
            delta.records += now.records - before.records;
            delta.charge += now.charge - before.charge;
            billed_now.insert(*date, *now);
        }
        for (within, delta) in by_period {
            if delta.records == 0 && delta.charge == 0 {
                continue;
            }
            let t = taxed(delta.charge);
            out.lines.push(InvoiceLine {
                kind: LineKind::Usage,
                description: "Usage".into(),
                service: service.service.clone(),
                identifier: service.identifier.clone(),
                cost_centre: service.cost_centre.clone(),
                period_start: within.start,
                period_end: within.last_day(),
                quantity: delta.records,
                net: t.net,
                tax: t.tax,
                gross: t.gross,
            });
        }
        if !billed_now.is_empty() {
            out.usage_billed.push((service.service.clone(), billed_now));
        }
    }
    out
}

/// `[from, to)` cut at the bill day: each part with the length of the period it is in.
fn stretches(from: Date, to: Date, day: u8) -> Vec<(Date, Date, i64)> {
    let mut out = Vec::new();
    let mut start = from;
    while start < to {
        let within = BillPeriod::containing(start, day);
        let end = within.end.min(to);
        out.push((start, end, within.days()));
        start = end;
    }
    out
}

fn line(
    charge: &Recurring,
    start: Date,
    stop: Date,
    days: i64,
    t: Taxed,
    description: String,
) -> InvoiceLine {
    InvoiceLine {
        kind: charge.kind,
        description,
        service: charge.service.clone(),
        identifier: charge.identifier.clone(),
        cost_centre: charge.cost_centre.clone(),
        period_start: start,
        period_end: stop.previous_day().unwrap_or(stop),
        quantity: days,
        net: t.net,
        tax: t.tax,
        gross: t.gross,
    }
}

/// An invoice's totals: the sums of its rounded lines.
pub fn totals(lines: &[InvoiceLine]) -> (i64, i64, i64) {
    lines.iter().fold((0, 0, 0), |(net, tax, gross), l| {
        (net + l.net, tax + l.tax, gross + l.gross)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn gst() -> TaxSetting {
        TaxSetting {
            name: "GST".into(),
            rate_basis_points: 1000,
            prices_include_tax: true,
        }
    }

    fn plan(from: Date, billed_through: Option<Date>) -> Recurring {
        Recurring {
            kind: LineKind::Plan,
            charge_key: "svc".into(),
            name: "Business Voice".into(),
            service: "svc".into(),
            identifier: "+61255501234".into(),
            cost_centre: None,
            price: 4995,
            from,
            until: None,
            billed_through,
        }
    }

    const FIRST: BillDay = BillDay::Fixed { day: 1 };
    const OPENED: Date = date!(2026 - 01 - 10);

    #[test]
    fn a_period_runs_from_the_bill_day_to_the_same_day_next_month() {
        let p = BillPeriod::containing(date!(2026 - 11 - 20), 15);
        assert_eq!(
            (p.start, p.end),
            (date!(2026 - 11 - 15), date!(2026 - 12 - 15))
        );
        let p = BillPeriod::containing(date!(2026 - 11 - 10), 15);
        assert_eq!(
            (p.start, p.end),
            (date!(2026 - 10 - 15), date!(2026 - 11 - 15))
        );
        let p = BillPeriod::containing(date!(2027 - 01 - 05), 28);
        assert_eq!(
            (p.start, p.end),
            (date!(2026 - 12 - 28), date!(2027 - 01 - 28))
        );
        assert_eq!(BillDay::Anniversary.day_for(date!(2026 - 01 - 31)), 28);
    }

    #[test]
    fn a_service_active_all_period_is_billed_its_whole_price_in_advance() {
        let period = BillPeriod::containing(date!(2026 - 12 - 01), 1);
        let c = compose(
            period,
            FIRST,
            OPENED,
            &gst(),
            &[plan(date!(2026 - 03 - 02), Some(date!(2026 - 12 - 01)))],
            &[],
        );
        assert_eq!(c.lines.len(), 1);
        let line = &c.lines[0];
        assert_eq!((line.gross, line.tax, line.net), (4995, 454, 4541));
        assert_eq!(line.description, "Business Voice");
        assert_eq!(
            (line.period_start, line.period_end),
            (date!(2026 - 12 - 01), date!(2026 - 12 - 31))
        );
        assert_eq!(
            c.billed_through,
            vec![("svc".into(), date!(2027 - 01 - 01))]
        );
    }

    #[test]
    fn activation_mid_period_after_its_invoice_is_caught_up_on_the_next() {
        // Activated on 16 November, after November's invoice: December's invoice bills
        // 16–30 November (15 of 30 days: $24.98) and all of December.
        let period = BillPeriod::containing(date!(2026 - 12 - 01), 1);
        let c = compose(
            period,
            FIRST,
            OPENED,
            &gst(),
            &[plan(date!(2026 - 11 - 16), None)],
            &[],
        );
        let amounts: Vec<(Date, i64, i64)> = c
            .lines
            .iter()
            .map(|l| (l.period_start, l.quantity, l.gross))
            .collect();
        assert_eq!(
            amounts,
            [
                (date!(2026 - 11 - 16), 15, 2498),
                (date!(2026 - 12 - 01), 31, 4995)
            ]
        );
        assert_eq!(c.lines[0].description, "Business Voice (15 of 30 days)");
        let (net, tax, gross) = totals(&c.lines);
        assert_eq!(gross, 7493);
        assert_eq!(tax, 227 + 454);
        assert_eq!(net + tax, gross);
    }

    #[test]
    fn activation_inside_the_period_bills_from_that_day() {
        // Billed on the 15th; activated on 20 February 2027 inside a 15 February – 15
        // March period of 28 days: 23 days of $49.95 = $41.03.
        let period = BillPeriod::containing(date!(2027 - 02 - 15), 15);
        let c = compose(
            period,
            BillDay::Fixed { day: 15 },
            OPENED,
            &gst(),
            &[plan(date!(2027 - 02 - 20), None)],
            &[],
        );
        assert_eq!(c.lines.len(), 1);
        assert_eq!((c.lines[0].quantity, c.lines[0].gross), (23, 4103));
    }

    #[test]
    fn nothing_is_billed_twice_for_the_same_days() {
        let period = BillPeriod::containing(date!(2026 - 12 - 01), 1);
        let c = compose(
            period,
            FIRST,
            OPENED,
            &gst(),
            &[plan(date!(2026 - 11 - 16), Some(date!(2027 - 01 - 01)))],
            &[],
        );
        assert!(c.lines.is_empty());
    }

    #[test]
    fn usage_is_billed_in_arrears_and_late_records_once_under_their_own_period() {
        let period = BillPeriod::containing(date!(2026 - 12 - 01), 1);
        let day = |records, charge| DayUsage { records, charge };
        let usage = ServiceUsage {
            service: "svc".into(),
            identifier: "+61255501234".into(),
            cost_centre: Some("Sales".into()),
            now: BTreeMap::from([
                // October, billed on November's invoice, then a late record arrived.
                (date!(2026 - 10 - 30), day(3, 120)),
                // November.
                (date!(2026 - 11 - 02), day(2, 50)),
                (date!(2026 - 11 - 30), day(1, 25)),
                // December: next invoice's.
                (date!(2026 - 12 - 01), day(9, 900)),
            ]),
            billed: BTreeMap::from([(date!(2026 - 10 - 30), day(2, 100))]),
        };
        let c = compose(
            period,
            FIRST,
            OPENED,
            &gst(),
            &[],
            std::slice::from_ref(&usage),
        );
        let lines: Vec<(Date, Date, i64, i64)> = c
            .lines
            .iter()
            .map(|l| (l.period_start, l.period_end, l.quantity, l.gross))
            .collect();
        assert_eq!(
            lines,
            [
                (date!(2026 - 10 - 01), date!(2026 - 10 - 31), 1, 20),
                (date!(2026 - 11 - 01), date!(2026 - 11 - 30), 3, 75),
            ]
        );
        assert_eq!(c.lines[1].cost_centre.as_deref(), Some("Sales"));
        // Billed again with what this invoice billed: nothing new.
        let mut after = usage;
        after.billed.extend(c.usage_billed[0].1.clone());
        let again = compose(period, FIRST, OPENED, &gst(), &[], &[after]);
        assert!(again.lines.is_empty(), "{:?}", again.lines);
    }
}

#[cfg(test)]
mod stopped {
    use super::*;
    use time::macros::date;

    fn bolt_on(from: Date, until: Option<Date>, billed_through: Option<Date>) -> Recurring {
        Recurring {
            kind: LineKind::BoltOn,
            charge_key: "svc/bolt".into(),
            name: "100 minutes".into(),
            service: "svc".into(),
            identifier: "+61255501234".into(),
            cost_centre: None,
            price: 3000,
            from,
            until,
            billed_through,
        }
    }

    fn tax_free() -> TaxSetting {
        TaxSetting {
            name: "Tax".into(),
            rate_basis_points: 0,
            prices_include_tax: true,
        }
    }

    #[test]
    fn a_bolt_on_taken_off_after_its_month_was_billed_is_credited_the_days_unused() {
        // Billed through 1 January, taken off on 21 December: 11 of December's 31 days
        // unused, $30.00 × 11 / 31 = $10.645... → a credit of $10.65.
        let c = compose(
            BillPeriod::containing(date!(2027 - 01 - 01), 1),
            BillDay::Fixed { day: 1 },
            date!(2026 - 01 - 01),
            &tax_free(),
            &[bolt_on(
                date!(2026 - 11 - 05),
                Some(date!(2026 - 12 - 21)),
                Some(date!(2027 - 01 - 01)),
            )],
            &[],
        );
        let lines: Vec<(Date, i64, i64)> = c
            .lines
            .iter()
            .map(|l| (l.period_start, l.quantity, l.gross))
            .collect();
        assert_eq!(lines, [(date!(2026 - 12 - 21), 11, -1065)]);
        assert_eq!(
            c.billed_through,
            vec![("svc/bolt".to_owned(), date!(2026 - 12 - 21))]
        );
    }

    #[test]
    fn a_bolt_on_on_and_off_between_two_invoices_is_billed_the_days_it_ran() {
        // On from 2 to 30 November, never invoiced: 28 of 30 days, $28.00.
        let c = compose(
            BillPeriod::containing(date!(2026 - 12 - 01), 1),
            BillDay::Fixed { day: 1 },
            date!(2026 - 01 - 01),
            &tax_free(),
            &[bolt_on(
                date!(2026 - 11 - 02),
                Some(date!(2026 - 11 - 30)),
                None,
            )],
            &[],
        );
        assert_eq!(c.lines.len(), 1);
        assert_eq!((c.lines[0].quantity, c.lines[0].gross), (28, 2800));
        // Settled: the next invoice has nothing for it.
        let next = compose(
            BillPeriod::containing(date!(2027 - 01 - 01), 1),
            BillDay::Fixed { day: 1 },
            date!(2026 - 01 - 01),
            &tax_free(),
            &[bolt_on(
                date!(2026 - 11 - 02),
                Some(date!(2026 - 11 - 30)),
                Some(date!(2026 - 11 - 30)),
            )],
            &[],
        );
        assert!(next.lines.is_empty());
    }

    #[test]
    fn a_usage_day_corrected_down_to_nothing_is_credited() {
        let usage = ServiceUsage {
            service: "svc".into(),
            identifier: "+61255501234".into(),
            cost_centre: None,
            now: BTreeMap::new(),
            billed: BTreeMap::from([(
                date!(2026 - 11 - 03),
                DayUsage {
                    records: 2,
                    charge: 40,
                },
            )]),
        };
        let c = compose(
            BillPeriod::containing(date!(2027 - 01 - 01), 1),
            BillDay::Fixed { day: 1 },
            date!(2026 - 01 - 01),
            &tax_free(),
            &[],
            &[usage],
        );
        assert_eq!(c.lines.len(), 1);
        assert_eq!((c.lines[0].quantity, c.lines[0].gross), (-2, -40));
    }
}
