//! Local wall-clock time, calendar days and quarters.
//!
//! Every rule speaks of local dates in the workflow's time zone (Asia/Shanghai
//! has had no daylight saving since 1991), so the core works on local wall
//! time and leaves the conversion from an instant to the adapters. Days are
//! calendar days between local dates, never 24-hour spans.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use std::fmt;

/// A local wall-clock time to the second, e.g. `2021-03-16T09:00:00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime(NaiveDateTime);

/// The only offset a timeline may carry: that of Asia/Shanghai.
const ACCEPTED_OFFSET: &str = "+08:00";

impl LocalTime {
    pub fn new(value: NaiveDateTime) -> LocalTime {
        LocalTime(value.with_nanosecond(0).unwrap_or(value))
    }

    /// Midnight at the start of `date`: the instant that day "begins".
    pub fn start_of(date: NaiveDate) -> LocalTime {
        LocalTime(date.and_time(NaiveTime::MIN))
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS`, optionally followed by `+08:00`.
    pub fn parse(text: &str) -> Result<LocalTime, String> {
        let (body, offset) = text.split_at(text.len().min(19));
        if !offset.is_empty() && offset != ACCEPTED_OFFSET {
            return Err(format!("time `{text}`: the offset must be {ACCEPTED_OFFSET} or absent"));
        }
        parse_body(body).ok_or_else(|| format!("time `{text}` is not a local time YYYY-MM-DDTHH:MM:SS"))
    }

    pub fn naive(self) -> NaiveDateTime {
        self.0
    }

    pub fn date(self) -> NaiveDate {
        self.0.date()
    }

    pub fn time(self) -> NaiveTime {
        self.0.time()
    }

    pub fn plus_hours(self, hours: i64) -> LocalTime {
        LocalTime(self.0 + Duration::hours(hours))
    }

    pub fn is_midnight(self) -> bool {
        self.0.time() == NaiveTime::MIN
    }
}

/// Strict, allocation-free parse: the replay reads a million of these.
fn parse_body(body: &str) -> Option<LocalTime> {
    let b = body.as_bytes();
    if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |from, to| super::day::number(b, from, to);
    let date = super::day::parse(&body[..10])?;
    let time = NaiveTime::from_hms_opt(num(11, 13)?, num(14, 16)?, num(17, 19)?)?;
    Some(LocalTime(date.and_time(time)))
}

impl fmt::Display for LocalTime {
    /// Written out by hand: chrono's `format` re-parses its pattern on every
    /// call, and the replay prints hundreds of thousands of these.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.digits() {
            Some(text) => f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?),
            None => {
                let (d, t) = (self.0.date(), self.0.time());
                write!(f, "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", d.year(), d.month(), d.day(), t.hour(), t.minute(), t.second())
            }
        }
    }
}

impl LocalTime {
    /// `YYYY-MM-DDTHH:MM:SS` as bytes, digit by digit (None outside years
    /// 0–9999): even `write!` costs a formatter call per field, and a
    /// replay writes a time for every charge and every mail.
    fn digits(&self) -> Option<[u8; 19]> {
        let t = self.0.time();
        let mut out = *b"0000-00-00T00:00:00";
        out[..10].copy_from_slice(&super::day::digits(self.0.date())?);
        super::day::put(&mut out, 11, t.hour(), 2);
        super::day::put(&mut out, 14, t.minute(), 2);
        super::day::put(&mut out, 17, t.second(), 2);
        Some(out)
    }
}

impl serde::Serialize for LocalTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.digits() {
            Some(text) => s.serialize_str(std::str::from_utf8(&text).map_err(serde::ser::Error::custom)?),
            None => s.collect_str(self),
        }
    }
}

/// Calendar days from `from` to `to` (negative if `to` is earlier).
pub fn days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days()
}

pub fn add_days(date: NaiveDate, days: i64) -> NaiveDate {
    date + Duration::days(days)
}

/// A calendar quarter, shown as `2021Q1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    pub year: i32,
    /// 1 to 4.
    pub number: u8,
}

impl Quarter {
    pub fn of(date: NaiveDate) -> Quarter {
        Quarter { year: date.year(), number: (date.month0() / 3 + 1) as u8 }
    }

    /// Parses `YYYYQn`.
    pub fn parse(text: &str) -> Option<Quarter> {
        let (year, number) = text.split_once('Q')?;
        let year: i32 = year.parse().ok().filter(|y| (0..=9999).contains(y) && year.len() == 4)?;
        let number: u8 = number.parse().ok().filter(|n| (1..=4).contains(n))?;
        Some(Quarter { year, number })
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, u32::from(self.number) * 3 - 2, 1).expect("a quarter's first day exists")
    }

    pub fn next(self) -> Quarter {
        if self.number == 4 { Quarter { year: self.year + 1, number: 1 } } else { Quarter { year: self.year, number: self.number + 1 } }
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().expect("a quarter's last day exists")
    }

    /// The report's due date: `due_day` of the next quarter's first month,
    /// that day included. The workflow parser keeps `due_day` within 1..=28.
    pub fn due(self, due_day: u32) -> NaiveDate {
        self.next().first_day().with_day(due_day).expect("due day validated by the workflow")
    }

    /// Every quarter from `self` to `last`, both included.
    pub fn through(self, last: Quarter) -> impl Iterator<Item = Quarter> {
        std::iter::successors(Some(self), move |q| Some(q.next()).filter(|n| *n <= last)).take_while(move |q| *q <= last)
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}Q{}", self.year, self.number)
    }
}

impl serde::Serialize for Quarter {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// The digit-by-digit text is chrono's, over years, months, days and
    /// times of day (and JSON gets the same text).
    #[test]
    fn a_time_is_written_as_chrono_writes_it() {
        let start = NaiveDate::from_ymd_opt(9, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
        let mut t = start;
        while t.date().year() <= 9999 {
            let expected = t.format("%Y-%m-%dT%H:%M:%S").to_string();
            assert_eq!(LocalTime(t).to_string(), expected);
            assert_eq!(serde_json::to_string(&LocalTime(t)).unwrap(), format!("\"{expected}\""));
            t += Duration::seconds(86_400 * 37 + 3_600 * 5 + 61 * 7 + 13);
        }
    }

    #[test]
    fn parses_local_times_with_or_without_the_shanghai_offset() {
        let plain = LocalTime::parse("2021-03-16T09:00:00").unwrap();
        assert_eq!(LocalTime::parse("2021-03-16T09:00:00+08:00").unwrap(), plain);
        assert_eq!(plain.to_string(), "2021-03-16T09:00:00");
        for bad in
            ["2021-03-16T09:00:00Z", "2021-03-16T09:00:00+09:00", "2021-02-30T09:00:00", "2021-03-16 09:00:00", "2021-03-16T24:00:00", "2021-3-16T09:00:00", ""]
        {
            assert!(LocalTime::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn q4_report_is_due_in_january_of_the_next_year() {
        let q4 = Quarter::of(date("2021-12-31"));
        assert_eq!(q4.to_string(), "2021Q4");
        assert_eq!(q4.due(10), date("2022-01-10"));
        assert_eq!(q4.next().to_string(), "2022Q1");
        assert_eq!(Quarter::parse("2021Q4"), Some(q4));
        assert_eq!(Quarter::parse("2021Q5"), None);
    }

    #[test]
    fn quarters_run_through_inclusive() {
        let from = Quarter::parse("2021Q3").unwrap();
        let to = Quarter::parse("2022Q1").unwrap();
        let all: Vec<String> = from.through(to).map(|q| q.to_string()).collect();
        assert_eq!(all, ["2021Q3", "2021Q4", "2022Q1"]);
        assert_eq!(from.last_day(), date("2021-09-30"));
    }
}
