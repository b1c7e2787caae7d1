//! Assessment points: exact decimals, shown with two places.
//!
//! Binary floats cannot hold 0.01 exactly and a quarter total must add up to
//! the cent, so points are `rust_decimal::Decimal` behind a newtype that only
//! the workflow parser and arithmetic can create.

use rust_decimal::Decimal;
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, Neg, Sub};
use std::str::FromStr;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Points(Decimal);

impl Points {
    pub const ZERO: Points = Points(Decimal::ZERO);

    /// Parses a non-negative decimal such as `"0.02"`.
    pub fn parse(text: &str) -> Result<Points, String> {
        let value = Decimal::from_str(text.trim()).map_err(|e| format!("`{text}` is not a decimal number ({e})"))?;
        if value.is_sign_negative() {
            return Err(format!("`{text}` is negative"));
        }
        Ok(Points(value))
    }

    pub fn decimal(self) -> Decimal {
        self.0
    }

    pub fn from_decimal(value: Decimal) -> Points {
        Points(value)
    }

    /// Thousandths as an integer: how the database stores points so that SQL
    /// sums stay exact on every backend.
    pub fn thousandths(self) -> i64 {
        use rust_decimal::prelude::ToPrimitive;
        (self.0 * Decimal::from(1000)).round().to_i64().unwrap_or(i64::MAX)
    }

    pub fn from_thousandths(value: i64) -> Points {
        Points(Decimal::new(value, 3))
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }
}

impl fmt::Display for Points {
    /// Always two decimals, as the report shows them ("0.05", "0.10").
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.0.round_dp(2))
    }
}

impl Add for Points {
    type Output = Points;
    fn add(self, other: Points) -> Points {
        Points(self.0 + other.0)
    }
}

impl Sub for Points {
    type Output = Points;
    fn sub(self, other: Points) -> Points {
        Points(self.0 - other.0)
    }
}

/// Only corrections are negative: a refund of a charge in a frozen quarter.
impl Neg for Points {
    type Output = Points;
    fn neg(self) -> Points {
        Points(-self.0)
    }
}

impl Sum for Points {
    fn sum<I: Iterator<Item = Points>>(iter: I) -> Points {
        iter.fold(Points::ZERO, Add::add)
    }
}

impl Points {
    /// The text [`Display`](fmt::Display) writes, written from the digits
    /// when the value is a whole number of hundredths, as every charge and
    /// total is (None otherwise). A quarter report writes one for each of
    /// its 200,000 items, and `Decimal`'s formatting to a precision builds
    /// its text in several passes, which serde_json then escapes a piece at
    /// a time.
    fn hundredths_text(self, out: &mut [u8; 48]) -> Option<&str> {
        let (mantissa, scale) = (self.0.mantissa(), self.0.scale());
        let hundredths = match scale.checked_sub(2) {
            Some(extra) => {
                let unit = 10i128.checked_pow(extra)?;
                (mantissa % unit == 0).then_some(mantissa / unit)?
            }
            None => mantissa.checked_mul(10i128.pow(2 - scale))?,
        };
        if hundredths == 0 && self.0.is_sign_negative() {
            return None;
        }
        let mut at = out.len();
        let mut rest = hundredths.unsigned_abs();
        for place in 0.. {
            if place == 2 {
                at -= 1;
                out[at] = b'.';
            }
            at -= 1;
            out[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 && place >= 2 {
                break;
            }
        }
        if hundredths < 0 {
            at -= 1;
            out[at] = b'-';
        }
        std::str::from_utf8(&out[at..]).ok()
    }
}

impl serde::Serialize for Points {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.hundredths_text(&mut [0; 48]) {
            Some(text) => s.serialize_str(text),
            None => s.collect_str(self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// JSON gets exactly the text `Display` writes, whatever the value.
    #[test]
    fn json_writes_what_display_shows() {
        let cases = (-2_100_000i64..=2_100_000).step_by(7).map(|m| (m, 3)).chain((-300..=300).flat_map(|m| (0..=6).map(move |scale| (m, scale))));
        for (mantissa, scale) in cases.chain([(i64::MAX, 0), (i64::MIN, 2), (0, 28), (1, 28)]) {
            let p = Points(Decimal::new(mantissa, scale));
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{p}\""), "{mantissa}e-{scale}");
        }
        let minus_zero = Points(-Decimal::new(0, 3));
        assert_eq!(serde_json::to_string(&minus_zero).unwrap(), format!("\"{minus_zero}\""));
    }

    #[test]
    fn shows_two_decimals_and_adds_exactly() {
        let a = Points::parse("0.01").unwrap();
        let total: Points = std::iter::repeat_n(a, 10).sum();
        assert_eq!(total.to_string(), "0.10");
        assert_eq!(Points::ZERO.to_string(), "0.00");
        assert_eq!(Points::parse("0.05").unwrap().thousandths(), 50);
        assert_eq!(Points::from_thousandths(70).to_string(), "0.07");
    }

    #[test]
    fn corrections_show_their_sign() {
        let five = Points::parse("0.05").unwrap();
        assert_eq!((-five).to_string(), "-0.05");
        assert_eq!((Points::parse("0.01").unwrap() - five).to_string(), "-0.04");
    }

    #[test]
    fn refuses_negative_and_garbage() {
        assert!(Points::parse("-0.01").is_err());
        assert!(Points::parse("abc").is_err());
    }
}
