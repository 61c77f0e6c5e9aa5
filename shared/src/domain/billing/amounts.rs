//! The arithmetic of a bill, in integer minor units: tax on a line and the part of a
//! recurring price a stretch of days is worth.
//!
//! Rounding is stated once and applied the same way everywhere: each line's tax and each
//! prorated charge is computed exactly (128-bit integers) and rounded once, half away from
//! zero, to the minor unit. Totals are sums of rounded lines, so an invoice's lines always
//! add up to its totals.

use time::Date;

/// A tax rate in basis points: 1000 is 10 %.
pub type BasisPoints = u32;

/// `numerator / denominator`, rounded half away from zero.
pub fn round_half_away(numerator: i128, denominator: i128) -> i64 {
    debug_assert!(denominator > 0);
    let half = denominator / 2;
    let rounded = if numerator >= 0 {
        (numerator + half) / denominator
    } else {
        (numerator - half) / denominator
    };
    // A bill's amounts are far inside i64; saturate rather than wrap if one is not.
    rounded.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// A line's amount split into what is before tax, the tax and the whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Taxed {
    pub net: i64,
    pub tax: i64,
    pub gross: i64,
}

/// The tax on a line priced at `amount`. Prices entered tax-inclusive hold the tax
/// (`amount × rate / (1 + rate)`); tax-exclusive ones have it added (`amount × rate`).
pub fn tax(amount: i64, rate: BasisPoints, prices_include_tax: bool) -> Taxed {
    let rate = i128::from(rate);
    let amount_wide = i128::from(amount);
    if prices_include_tax {
        let tax = round_half_away(amount_wide * rate, 10_000 + rate);
        Taxed {
            net: amount - tax,
            tax,
            gross: amount,
        }
    } else {
        let tax = round_half_away(amount_wide * rate, 10_000);
        Taxed {
            net: amount,
            tax,
            gross: amount + tax,
        }
    }
}

/// The part of `price` (for a whole period of `period_days` days) that `days` of it are
/// worth.
pub fn prorate(price: i64, days: i64, period_days: i64) -> i64 {
    if period_days <= 0 || days >= period_days {
        return price;
    }
    round_half_away(
        i128::from(price) * i128::from(days.max(0)),
        i128::from(period_days),
    )
}

/// Days from `start` up to (not including) `end`.
pub fn days_between(start: Date, end: Date) -> i64 {
    (end - start).whole_days()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn halves_round_away_from_zero() {
        assert_eq!(round_half_away(5, 10), 1);
        assert_eq!(round_half_away(-5, 10), -1);
        assert_eq!(round_half_away(4, 10), 0);
        assert_eq!(round_half_away(-4, 10), 0);
        assert_eq!(round_half_away(15, 10), 2);
        assert_eq!(round_half_away(-15, 10), -2);
    }

    /// Australian GST, 10 %: the worked examples a provider's accountant would check.
    #[test]
    fn gst_on_tax_inclusive_and_exclusive_prices() {
        // $49.95 including GST holds $4.54 of it (49.95 / 11 = 4.5409...).
        assert_eq!(
            tax(4995, 1000, true),
            Taxed {
                net: 4541,
                tax: 454,
                gross: 4995
            }
        );
        // $0.55 including GST: 5 cents exactly.
        assert_eq!(tax(55, 1000, true).tax, 5);
        // $0.05 including GST: 0.4545... rounds to 0.
        assert_eq!(tax(5, 1000, true).tax, 0);
        // $0.06 including GST: 0.5454... rounds to 1.
        assert_eq!(tax(6, 1000, true).tax, 1);
        // $45.45 before GST: $4.545 rounds half away from zero to $4.55.
        assert_eq!(
            tax(4545, 1000, false),
            Taxed {
                net: 4545,
                tax: 455,
                gross: 5000
            }
        );
        // A credit of -$45.45 before GST: -$4.55, the mirror image.
        assert_eq!(tax(-4545, 1000, false).tax, -455);
        // UK VAT 20 % on £12.34 exclusive: £2.468 → £2.47.
        assert_eq!(tax(1234, 2000, false).tax, 247);
        // No tax.
        assert_eq!(tax(1234, 0, true).tax, 0);
    }

    #[test]
    fn a_month_is_prorated_by_day() {
        // Activated on 16 November of a 1 November – 1 December period (30 days): 15 days
        // of $49.95 is $24.975, which rounds to $24.98.
        let days = days_between(date!(2026 - 11 - 16), date!(2026 - 12 - 01));
        assert_eq!(days, 15);
        assert_eq!(prorate(4995, days, 30), 2498);
        // A 15 February – 15 March period of 2027 has 28 days; 10 of them of $30.00 is
        // $10.714..., so $10.71.
        let period = days_between(date!(2027 - 02 - 15), date!(2027 - 03 - 15));
        assert_eq!(period, 28);
        assert_eq!(prorate(3000, 10, period), 1071);
        // The whole period is the whole price, whatever its length.
        assert_eq!(prorate(3000, 31, 31), 3000);
        assert_eq!(prorate(3000, 0, 31), 0);
    }
}
