//! Working hours: when a reminder may actually be sent.
//!
//! Nobody reads a reminder at 00:00 on a Sunday, so a mail whose nominal
//! instant falls outside working hours waits for the next start of working
//! hours. Holidays and make-up workdays (调休) cannot be said in cron, hence
//! explicit date lists.

use super::clock::LocalTime;
use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};
use std::collections::BTreeSet;

#[derive(Debug, Clone)]
pub struct WorkingCalendar {
    /// Start of working hours, included.
    pub start: NaiveTime,
    /// End of working hours, excluded.
    pub end: NaiveTime,
    pub weekdays: BTreeSet<u32>,
    pub holidays: BTreeSet<NaiveDate>,
    pub workdays: BTreeSet<NaiveDate>,
}

impl WorkingCalendar {
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        if self.workdays.contains(&date) {
            return true;
        }
        if self.holidays.contains(&date) {
            return false;
        }
        self.weekdays.contains(&date.weekday().num_days_from_monday())
    }

    /// `nominal` itself if it falls in working hours, otherwise the start of
    /// the next working hours. The workflow parser guarantees at least one
    /// working weekday, so the search ends; the bound is a guard against a
    /// calendar whose holidays swallow years.
    pub fn next_working(&self, nominal: LocalTime) -> LocalTime {
        let mut date = nominal.date();
        if self.is_working_day(date) {
            let time = nominal.time();
            if time < self.start {
                return LocalTime::new(date.and_time(self.start));
            }
            if time < self.end {
                return nominal;
            }
        }
        for _ in 0..3660 {
            date = date.succ_opt().expect("dates stay in range");
            if self.is_working_day(date) {
                return LocalTime::new(date.and_time(self.start));
            }
        }
        nominal
    }
}

pub fn parse_weekday(text: &str) -> Option<Weekday> {
    text.parse::<Weekday>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calendar() -> WorkingCalendar {
        WorkingCalendar {
            start: NaiveTime::from_hms_opt(8, 30, 0).unwrap(),
            end: NaiveTime::from_hms_opt(17, 30, 0).unwrap(),
            weekdays: (0..5).collect(),
            holidays: [NaiveDate::from_ymd_opt(2021, 10, 1).unwrap()].into(),
            workdays: [NaiveDate::from_ymd_opt(2021, 10, 9).unwrap()].into(),
        }
    }

    fn at(s: &str) -> LocalTime {
        LocalTime::parse(s).unwrap()
    }

    #[test]
    fn start_is_included_and_end_is_excluded() {
        let c = calendar();
        assert_eq!(c.next_working(at("2021-07-14T08:30:00")), at("2021-07-14T08:30:00"));
        assert_eq!(c.next_working(at("2021-07-14T17:29:59")), at("2021-07-14T17:29:59"));
        assert_eq!(c.next_working(at("2021-07-14T17:30:00")), at("2021-07-15T08:30:00"));
        assert_eq!(c.next_working(at("2021-07-14T00:00:00")), at("2021-07-14T08:30:00"));
    }

    #[test]
    fn weekends_and_holidays_wait_and_make_up_days_work() {
        let c = calendar();
        // Saturday 2021-07-17 → Monday.
        assert_eq!(c.next_working(at("2021-07-17T00:00:00")), at("2021-07-19T08:30:00"));
        // Friday 2021-10-01 is a holiday → Monday 10-04.
        assert_eq!(c.next_working(at("2021-10-01T09:00:00")), at("2021-10-04T08:30:00"));
        // Saturday 2021-10-09 is a make-up workday.
        assert_eq!(c.next_working(at("2021-10-09T07:00:00")), at("2021-10-09T08:30:00"));
    }
}
