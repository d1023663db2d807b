//! Money, exactly: amounts in ten-thousandths of a currency unit (prices.csv allows
//! up to 4 decimals), added and multiplied as integers, never in floating point;
//! and the currencies that must never be added together.

use std::fmt;

/// Ten-thousandths in one unit.
const SCALE: i128 = 10_000;
/// Most digits before the point a price may have: a trillion a license a month is
/// far beyond any real price, and keeps every sum well inside an `i128`.
const MAX_WHOLE_DIGITS: usize = 12;

/// An exact amount of money, in ten-thousandths of a unit; negative for a saving.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(i128);

/// Why a price cell is not an amount.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error(
        "`{0}` is not a price: write digits with an optional `.` and up to 4 decimals (`12.5`, `12.50`)"
    )]
    Malformed(String),
    #[error("`{0}` has more than 4 decimals: prices are counted in ten-thousandths")]
    TooPrecise(String),
    #[error(
        "`{0}` is too large for a monthly price (at most {MAX_WHOLE_DIGITS} digits before the point)"
    )]
    TooLarge(String),
}

impl Amount {
    pub const ZERO: Amount = Amount(0);

    /// Parses a price as prices.csv writes it: digits, optionally a `.` and 1 to 4
    /// decimals. No sign, no grouping, no exponent, no currency symbol.
    pub fn parse(text: &str) -> Result<Amount, AmountError> {
        let (whole, decimals) = match text.split_once('.') {
            Some((w, d)) => (w, d),
            None => (text, ""),
        };
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || !digits(whole)
            || !digits(decimals)
            || (text.contains('.') && decimals.is_empty())
        {
            return Err(AmountError::Malformed(text.to_string()));
        }
        if decimals.len() > 4 {
            return Err(AmountError::TooPrecise(text.to_string()));
        }
        let whole = whole.trim_start_matches('0');
        if whole.len() > MAX_WHOLE_DIGITS {
            return Err(AmountError::TooLarge(text.to_string()));
        }
        let mut value: i128 = 0;
        for b in whole.bytes().chain(decimals.bytes()) {
            value = value * 10 + i128::from(b - b'0');
        }
        for _ in decimals.len()..4 {
            value *= 10;
        }
        Ok(Amount(value))
    }

    /// This amount `n` times (a price times a number of licenses).
    pub fn times(self, n: u64) -> Amount {
        Amount(self.0.saturating_mul(i128::from(n)))
    }

    pub fn plus(self, other: Amount) -> Amount {
        Amount(self.0.saturating_add(other.0))
    }

    pub fn minus(self, other: Amount) -> Amount {
        Amount(self.0.saturating_sub(other.0))
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// The amount with its digits grouped by thousands (`1,234.50`), as the report
    /// shows it; the same decimals as [`Display`](fmt::Display).
    pub fn grouped(self) -> String {
        let plain = self.to_string();
        let (sign, rest) = match plain.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", plain.as_str()),
        };
        let (whole, decimals) = rest.split_once('.').unwrap_or((rest, ""));
        format!("{sign}{}.{decimals}", group_digits(whole))
    }
}

/// At least 2 decimals, and as many more as the amount has (`12.50`, `3.1416`).
impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let scale = SCALE as u128;
        let whole = abs / scale;
        let mut decimals = format!("{:04}", abs % scale);
        while decimals.len() > 2 && decimals.ends_with('0') {
            decimals.pop();
        }
        write!(f, "{sign}{whole}.{decimals}")
    }
}

/// `1234567` → `1,234,567`.
pub fn group_digits(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A currency as prices.csv names it: an ISO 4217 code (`EUR`, kept uppercase), or
/// none (`""`) when the file names none. Amounts of different currencies are never
/// added together.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency(String);

impl Currency {
    /// A currency cell: empty, or three letters (any case).
    pub fn parse(text: &str) -> Option<Currency> {
        let ok =
            text.is_empty() || (text.len() == 3 && text.bytes().all(|b| b.is_ascii_alphabetic()));
        ok.then(|| Currency(text.to_ascii_uppercase()))
    }

    /// The code, or `""` when none is named.
    pub fn code(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(text: &str) -> Amount {
        Amount::parse(text).unwrap()
    }

    #[test]
    fn prices_parse_exactly_in_ten_thousandths() {
        assert_eq!(amount("12.5"), Amount(125_000));
        assert_eq!(amount("12.50"), amount("12.5"));
        assert_eq!(amount("0.0001"), Amount(1));
        assert_eq!(amount("007"), Amount(70_000));
        assert_eq!(amount("999999999999.9999"), Amount(9_999_999_999_999_999));
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "", ".5", "5.", "1,5", "1,000", "1e3", "-1", "+1", "€5", "5 ", "1.2.3", "12.5EUR",
        ] {
            assert!(
                matches!(Amount::parse(bad), Err(AmountError::Malformed(_))),
                "{bad:?}"
            );
        }
        assert_eq!(
            Amount::parse("1.23456"),
            Err(AmountError::TooPrecise("1.23456".into()))
        );
        assert!(matches!(
            Amount::parse("1234567890123"),
            Err(AmountError::TooLarge(_))
        ));
    }

    #[test]
    fn shown_with_at_least_two_decimals_and_every_one_it_has() {
        assert_eq!(amount("12.5").to_string(), "12.50");
        assert_eq!(amount("3").to_string(), "3.00");
        assert_eq!(amount("3.1416").to_string(), "3.1416");
        assert_eq!(amount("3.141").to_string(), "3.141");
        assert_eq!(Amount::ZERO.minus(amount("0.05")).to_string(), "-0.05");
        assert_eq!(Amount::ZERO.to_string(), "0.00");
    }

    #[test]
    fn arithmetic_is_exact_where_floats_are_not() {
        // 0.1 + 0.2 is 0.30000000000000004 in binary floating point.
        assert_eq!(amount("0.1").plus(amount("0.2")), amount("0.3"));
        // 3 × 16.4 is 49.199999999999996 in f64.
        assert_eq!(amount("16.4").times(3).to_string(), "49.20");
        assert_eq!(
            amount("22")
                .times(10)
                .minus(amount("22").times(12))
                .to_string(),
            "-44.00"
        );
    }

    #[test]
    fn grouped_for_reading() {
        assert_eq!(amount("1234567.5").grouped(), "1,234,567.50");
        assert_eq!(amount("999").grouped(), "999.00");
        assert_eq!(Amount::ZERO.minus(amount("1234")).grouped(), "-1,234.00");
        assert_eq!(group_digits("1000"), "1,000");
    }

    #[test]
    fn currencies_are_three_letters_or_none() {
        assert_eq!(Currency::parse("eur").unwrap().code(), "EUR");
        assert_eq!(Currency::parse("").unwrap().code(), "");
        for bad in ["€", "EURO", "E1R", "US"] {
            assert_eq!(Currency::parse(bad), None, "{bad}");
        }
    }
}
