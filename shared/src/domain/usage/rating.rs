//! Rating: what a record costs on its service's plan, after the allowances of its bolt-ons.
//!
//! A call is billed in the rate's increments, rounded up (a 61-second call on a 60-second
//! increment is 120 seconds). Allowances of a usage type are pooled per service and month
//! and drawn in the order records are rated; what they do not cover is charged at the rate
//! with the longest matching destination prefix, rounded once per record (see
//! [`crate::domain::catalogue::money`]).

use time::OffsetDateTime;

use crate::domain::catalogue::{Plan, UsageType};

/// A row of a usage file, checked but not yet rated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRow {
    pub record_id: String,
    pub identifier: String,
    pub usage: UsageType,
    pub started_at: OffsetDateTime,
    pub destination: String,
    pub quantity: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rated {
    pub billable: i64,
    pub covered: i64,
    pub charge: i64,
}

/// Rates `row` on `plan`, drawing on `allowance_left` (of the row's usage type, for its
/// service and month), which it reduces by what it covers.
pub fn rate(plan: &Plan, row: &UsageRow, allowance_left: &mut i64) -> Result<Rated, String> {
    let Some(rate) = plan.rate_for(row.usage, &row.destination) else {
        return Err(format!(
            "the plan {:?} has no {} rate for destination {:?}",
            plan.name,
            row.usage.name(),
            row.destination
        ));
    };
    let billable = match row.usage {
        UsageType::Call => {
            let step = rate.increment_seconds.max(1);
            (row.quantity.max(0) as u64)
                .div_ceil(step as u64)
                .saturating_mul(step as u64)
                .min(i64::MAX as u64) as i64
        }
        UsageType::Message | UsageType::Data => row.quantity,
    };
    let covered = billable.min((*allowance_left).max(0));
    *allowance_left -= covered;
    Ok(Rated {
        billable,
        covered,
        charge: rate.price.charge(billable - covered, row.usage.per()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalogue::{Currency, Price, Rate, ServiceType};
    use crate::ids::{PlanId, TenantId};

    fn plan() -> Plan {
        let rate = |usage, prefix: &str, price, increment_seconds| Rate {
            usage,
            prefix: prefix.into(),
            price: Price(price),
            increment_seconds,
        };
        Plan {
            id: PlanId::generate(OffsetDateTime::UNIX_EPOCH),
            tenant: TenantId::generate(OffsetDateTime::UNIX_EPOCH),
            name: "Talk".into(),
            service_type: ServiceType::Voice,
            currency: Currency::parse("AUD").unwrap(),
            recurring_minor: 2_000,
            rates: vec![
                rate(UsageType::Call, "", 100_000, 60),   // 10 c/min anywhere
                rate(UsageType::Call, "61", 25_000, 60),  // 2.5 c/min in Australia
                rate(UsageType::Call, "614", 150_000, 1), // 15 c/min to mobiles, per second
                rate(UsageType::Data, "", 50_000, 1),     // 5 c/MB
            ],
            created_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn call(destination: &str, seconds: i64) -> UsageRow {
        UsageRow {
            record_id: "r".into(),
            identifier: "+61255501234".into(),
            usage: UsageType::Call,
            started_at: OffsetDateTime::UNIX_EPOCH,
            destination: destination.into(),
            quantity: seconds,
        }
    }

    #[test]
    fn the_longest_prefix_prices_the_call_in_its_increments() {
        let mut none = 0;
        // Landline: 61 s rounds up to 120 s at 2.5 c/min = 5 c.
        let landline = rate(&plan(), &call("61255509999", 61), &mut none).unwrap();
        assert_eq!((landline.billable, landline.charge), (120, 5));
        // Mobile: per-second at 15 c/min, 61 s = 15.25 c → 15.
        let mobile = rate(&plan(), &call("61412345678", 61), &mut none).unwrap();
        assert_eq!((mobile.billable, mobile.charge), (61, 15));
        // Overseas: the empty prefix, 10 c/min.
        let abroad = rate(&plan(), &call("4420794600", 30), &mut none).unwrap();
        assert_eq!((abroad.billable, abroad.charge), (60, 10));
        // No message rate at all: refused with a reason.
        let mut text = call("61412345678", 1);
        text.usage = UsageType::Message;
        assert!(
            rate(&plan(), &text, &mut none)
                .unwrap_err()
                .contains("no message rate")
        );
    }

    #[test]
    fn an_allowance_covers_what_it_can_and_the_rest_is_charged() {
        let mut left = 150; // 2.5 minutes
        let first = rate(&plan(), &call("61255509999", 100), &mut left).unwrap();
        assert_eq!((first.billable, first.covered, first.charge), (120, 120, 0));
        assert_eq!(left, 30);
        // 120 s billable, 30 covered, 90 charged at 2.5 c/min = 3.75 → 4.
        let second = rate(&plan(), &call("61255509999", 120), &mut left).unwrap();
        assert_eq!((second.covered, second.charge), (30, 4));
        assert_eq!(left, 0);
        let third = rate(&plan(), &call("61255509999", 60), &mut left).unwrap();
        assert_eq!((third.covered, third.charge), (0, 3));
    }
}
