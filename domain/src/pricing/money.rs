//! Money: exact USD amounts.
//!
//! In Rust money is a `rust_decimal::Decimal`; at rest it is an integer count
//! of nano-dollars (10⁻⁹ USD), so that SQL `sum()` is exact on SQLite and
//! Postgres alike; in JSON it is a decimal string. Conversions happen here
//! and nowhere else.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// Decimal places kept at rest: nano-dollars.
pub const SCALE: u32 = 9;

/// An exact amount of US dollars, stored as nano-dollars.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Nanos(pub i64);

/// The amount does not fit in the nano-dollar range (about ±9.2 billion USD).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("amount is out of range")]
pub struct OutOfRange;

impl Nanos {
    /// Zero dollars.
    pub const ZERO: Nanos = Nanos(0);

    /// Converts dollars to nano-dollars, rounding half to even past 9 places.
    pub fn from_usd(usd: Decimal) -> Result<Nanos, OutOfRange> {
        let rounded = usd.round_dp_with_strategy(SCALE, RoundingStrategy::MidpointNearestEven);
        let scaled = rounded.checked_mul(Decimal::from(1_000_000_000i64)).ok_or(OutOfRange)?;
        i64::try_from(scaled.trunc()).map(Nanos).map_err(|_| OutOfRange)
    }

    /// The exact dollar amount.
    pub fn to_usd(self) -> Decimal {
        Decimal::new(self.0, SCALE)
    }

    /// Adds, saturating at the range's edge (sums of stored values never get there).
    pub fn saturating_add(self, other: Nanos) -> Nanos {
        Nanos(self.0.saturating_add(other.0))
    }
}

impl std::ops::Add for Nanos {
    type Output = Nanos;
    fn add(self, rhs: Nanos) -> Nanos {
        self.saturating_add(rhs)
    }
}

impl std::ops::AddAssign for Nanos {
    fn add_assign(&mut self, rhs: Nanos) {
        *self = self.saturating_add(rhs);
    }
}

/// Formats dollars for JSON: a plain decimal string with at most 9 places and
/// no trailing zeros beyond two, e.g. `"12.50"`, `"0.000000125"`.
pub fn usd_string(n: Nanos) -> String {
    let d = n.to_usd().normalize();
    if d.scale() < 2 {
        format!("{:.2}", d)
    } else {
        d.to_string()
    }
}

/// An ISO 4217 currency code as bills and callers write it (`usd`, `USD`):
/// three letters, upper-cased; `None` for anything else.
pub fn currency_code(s: &str) -> Option<String> {
    let s = s.trim();
    (s.len() == 3 && s.bytes().all(|b| b.is_ascii_alphabetic())).then(|| s.to_ascii_uppercase())
}

/// Digits with a comma every three from the right: `1234567` → `1,234,567`.
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

/// Dollars for people: `$12,345.67`; amounts under a dollar keep four places (`$0.0042`).
pub fn usd_display(n: Nanos) -> String {
    let d = n.to_usd();
    let places = if d.abs() < Decimal::ONE && !d.is_zero() { 4 } else { 2 };
    let r = d.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
    let text = format!("{:.*}", places as usize, r.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let grouped = group_digits(int);
    let sign = if r.is_sign_negative() && !r.is_zero() { "-" } else { "" };
    format!("{sign}${grouped}.{frac}")
}

/// Serde adapter that writes [`Nanos`] as a USD decimal string and reads one back.
pub mod usd_str {
    use super::*;
    use serde::{de::Error, Deserializer, Serializer};
    use std::str::FromStr;

    pub fn serialize<S: Serializer>(n: &Nanos, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&usd_string(*n))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Nanos, D::Error> {
        let s = String::deserialize(d)?;
        let dec = Decimal::from_str(&s).map_err(D::Error::custom)?;
        Nanos::from_usd(dec).map_err(D::Error::custom)
    }
}

/// Serde adapter for an optional amount: a USD decimal string or `null`.
pub mod opt_usd_str {
    use super::*;
    use serde::{de::Error, Deserializer, Serializer};
    use std::str::FromStr;

    pub fn serialize<S: Serializer>(n: &Option<Nanos>, s: S) -> Result<S::Ok, S::Error> {
        match n {
            Some(n) => s.serialize_str(&usd_string(*n)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Nanos>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) => {
                let dec = Decimal::from_str(&s).map_err(D::Error::custom)?;
                Nanos::from_usd(dec).map(Some).map_err(D::Error::custom)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn round_trips_exactly() {
        let d = Decimal::from_str("1234.567890123").unwrap();
        let n = Nanos::from_usd(d).unwrap();
        assert_eq!(n, Nanos(1_234_567_890_123));
        assert_eq!(n.to_usd(), d);
    }

    #[test]
    fn rounds_half_to_even_past_nine_places() {
        assert_eq!(Nanos::from_usd(Decimal::from_str("0.0000000005").unwrap()).unwrap(), Nanos(0));
        assert_eq!(Nanos::from_usd(Decimal::from_str("0.0000000015").unwrap()).unwrap(), Nanos(2));
    }

    #[test]
    fn rejects_amounts_out_of_range() {
        assert!(Nanos::from_usd(Decimal::from_str("10000000000").unwrap()).is_err());
    }

    #[test]
    fn formats_as_plain_decimal_strings() {
        assert_eq!(usd_string(Nanos(12_500_000_000)), "12.50");
        assert_eq!(usd_string(Nanos(125)), "0.000000125");
        assert_eq!(usd_string(Nanos(0)), "0.00");
        assert_eq!(usd_string(Nanos(-1_000_000_000)), "-1.00");
    }
}
