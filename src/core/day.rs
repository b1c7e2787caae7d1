//! Calendar dates as text (`YYYY-MM-DD`), read and written digit by digit.
//!
//! A quarter report lists up to 200,000 items of one or two dates each,
//! read from the database as text and written out again as JSON. chrono's
//! `FromStr` runs its general format parser for each, and its `Display`
//! writes the date a field at a time through the formatter, which serde_json
//! escapes a piece at a time (`collect_str`): in `perf` of the report the
//! two were 3–7% of its time (SQLite, PostgreSQL).

use chrono::{Datelike, NaiveDate};

/// Parses exactly `YYYY-MM-DD` (what the database stores and chrono
/// writes for years 0–9999).
pub fn parse(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    NaiveDate::from_ymd_opt(number(b, 0, 4)? as i32, number(b, 5, 7)?, number(b, 8, 10)?)
}

/// The decimal number `b[from..to]` (None unless every byte is a digit).
pub(super) fn number(b: &[u8], from: usize, to: usize) -> Option<u32> {
    b[from..to].iter().try_fold(0u32, |acc, c| c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0')))
}

/// `date` as `YYYY-MM-DD` bytes (None outside years 0–9999, which chrono
/// writes with a sign).
pub fn digits(date: NaiveDate) -> Option<[u8; 10]> {
    let year = u32::try_from(date.year()).ok().filter(|y| *y <= 9999)?;
    let mut out = *b"0000-00-00";
    put(&mut out, 0, year, 4);
    put(&mut out, 5, date.month(), 2);
    put(&mut out, 8, date.day(), 2);
    Some(out)
}

/// Writes `value`'s last `width` decimal digits into `out` from `at`.
pub(super) fn put(out: &mut [u8], at: usize, value: u32, width: usize) {
    let mut v = value;
    for i in (at..at + width).rev() {
        out[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// A date as serde writes chrono's (`#[serde(serialize_with = "day::ser")]`).
pub fn ser<S: serde::Serializer>(date: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    match digits(*date) {
        Some(text) => s.serialize_str(std::str::from_utf8(&text).map_err(serde::ser::Error::custom)?),
        None => s.collect_str(date),
    }
}

/// [`ser`] for an optional date: `null` when None.
pub fn ser_opt<S: serde::Serializer>(date: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
    match date {
        Some(d) => ser(d, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every day of years 0–9999 (and either side) reads and writes as
    /// chrono does, in JSON too.
    #[test]
    fn a_date_is_read_and_written_as_chrono_does() {
        let mut d = NaiveDate::from_ymd_opt(-1, 12, 25).unwrap();
        let last = NaiveDate::from_ymd_opt(10000, 1, 5).unwrap();
        while d <= last {
            let text = d.to_string();
            let json = serde_json::to_string(&d).unwrap();
            let mut ours = Vec::new();
            ser(&d, &mut serde_json::Serializer::new(&mut ours)).unwrap();
            assert_eq!(String::from_utf8(ours).unwrap(), json);
            assert_eq!(parse(&text), text.parse().ok().filter(|_| text.len() == 10), "{text}");
            d = d.succ_opt().unwrap();
        }
    }

    #[test]
    fn what_is_not_a_date_is_refused() {
        for text in ["2021-02-30", "2021-13-01", "2021-1-01", "2021/01/01", "20210101xx", "2021-01-0a", "", "+2021-01-01", "２０２１-01-01"] {
            assert_eq!(parse(text), None, "{text}");
        }
        let mut nothing = Vec::new();
        ser_opt(&None, &mut serde_json::Serializer::new(&mut nothing)).unwrap();
        assert_eq!(nothing, b"null");
    }
}
