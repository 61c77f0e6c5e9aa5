//! Money and prices, in integers only.
//!
//! An amount is a whole number of the currency's minor unit (cents) with its ISO 4217 code.
//! A price per unit of usage may need finer steps (2.5 cents a minute), so prices carry four
//! more decimal places: [`Price`] counts ten-thousandths of a minor unit.
//!
//! Rounding rule: each rated record's charge is computed exactly (128-bit integers) and
//! rounded once, half away from zero, to the minor unit; totals are sums of those rounded
//! charges, so a statement's lines always add up to its total.

use std::fmt;

/// An ISO 4217 code: three upper-case letters. Every currency we bill in has two decimal
/// places (AUD, USD, EUR, GBP, NZD, CAD); others are refused rather than mis-scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency([u8; 3]);

pub const CURRENCIES: [&str; 6] = ["AUD", "USD", "EUR", "GBP", "NZD", "CAD"];

impl Currency {
    pub fn parse(code: &str) -> Result<Self, String> {
        let upper = code.trim().to_ascii_uppercase();
        if CURRENCIES.contains(&upper.as_str()) {
            let b = upper.as_bytes();
            Ok(Currency([b[0], b[1], b[2]]))
        } else {
            Err(format!("one of {}", CURRENCIES.join(", ")))
        }
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An amount in minor units (cents).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    /// `12.34`, `-0.05`: the amount as a decimal string (for CSV and people).
    pub fn decimal(&self) -> String {
        decimal(self.minor)
    }
}

/// Minor units as a two-place decimal string.
pub fn decimal(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Ten-thousandths of a minor unit: `Price(25_000)` is 2.5 cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Price(pub i64);

pub const PRICE_SCALE: i64 = 10_000;

impl Price {
    /// A price in minor units with up to four decimals: `"2.5"` cents → `Price(25_000)`.
    pub fn parse_minor(text: &str) -> Result<Price, String> {
        let refuse = || "a number of minor units (cents), up to 4 decimal places".to_owned();
        let text = text.trim();
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        if whole.is_empty()
            || fraction.len() > 4
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(refuse());
        }
        let whole: i64 = whole.parse().map_err(|_| refuse())?;
        let fraction: i64 = format!("{fraction:0<4}").parse().map_err(|_| refuse())?;
        whole
            .checked_mul(PRICE_SCALE)
            .and_then(|w| w.checked_add(fraction))
            .map(Price)
            .ok_or_else(refuse)
    }

    /// The charge for `quantity / per` units at this price, rounded half away from zero
    /// to the minor unit. `per` is the size of one priced unit in the quantity's own units
    /// (60 seconds to a minute, 1,000,000 bytes to a megabyte, 1 message).
    pub fn charge(self, quantity: i64, per: i64) -> i64 {
        let numerator = i128::from(self.0) * i128::from(quantity);
        let denominator = i128::from(PRICE_SCALE) * i128::from(per.max(1));
        let rounded = (numerator.abs() + denominator / 2) / denominator;
        let signed = if numerator < 0 { -rounded } else { rounded };
        i64::try_from(signed).unwrap_or(i64::MAX)
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / PRICE_SCALE;
        let fraction = self.0 % PRICE_SCALE;
        if fraction == 0 {
            write!(f, "{whole}")
        } else {
            let digits = format!("{fraction:04}");
            write!(f, "{whole}.{}", digits.trim_end_matches('0'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_parse_to_ten_thousandths_of_a_cent_and_print_back() {
        assert_eq!(Price::parse_minor("2.5"), Ok(Price(25_000)));
        assert_eq!(Price::parse_minor("0.0001"), Ok(Price(1)));
        assert_eq!(Price::parse_minor("15"), Ok(Price(150_000)));
        for bad in ["", "-1", "1.23456", "1,5", "abc", ".5"] {
            assert!(Price::parse_minor(bad).is_err(), "{bad}");
        }
        assert_eq!(Price(25_000).to_string(), "2.5");
        assert_eq!(Price(150_000).to_string(), "15");
    }

    #[test]
    fn charges_round_half_away_from_zero_once_per_record() {
        // 2.5 cents a minute for 90 seconds: 3.75 cents → 4.
        assert_eq!(Price(25_000).charge(90, 60), 4);
        // 2.5 cents a minute for 60 seconds: exactly 2.5 → 3 (half away from zero).
        assert_eq!(Price(25_000).charge(60, 60), 3);
        // 1.2 cents a minute for 60 seconds: 1.2 → 1.
        assert_eq!(Price(12_000).charge(60, 60), 1);
        // 10 cents a megabyte for 1,499,999 bytes: 14.99999 → 15.
        assert_eq!(Price(100_000).charge(1_499_999, 1_000_000), 15);
        // A credit rounds the same way, away from zero.
        assert_eq!(Price(-25_000).charge(60, 60), -3);
        // Nothing used, nothing charged; huge quantities do not overflow.
        assert_eq!(Price(25_000).charge(0, 60), 0);
        assert_eq!(
            Price(1_000_000).charge(i64::MAX / 2, 1),
            i64::MAX,
            "saturates rather than wrapping"
        );
    }

    #[test]
    fn amounts_print_as_two_place_decimals() {
        assert_eq!(decimal(1234), "12.34");
        assert_eq!(decimal(-5), "-0.05");
        assert_eq!(decimal(0), "0.00");
        assert_eq!(Currency::parse("aud").unwrap().as_str(), "AUD");
        assert!(Currency::parse("JPY").is_err());
    }
}

/// What something adds to the bill each month: a plan, a service with its bolt-ons, or
/// an order as the catalogue priced it when it was placed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct MonthlyPrice {
    /// In the currency's minor unit (cents).
    pub monthly_minor: i64,
    pub currency: String,
}
