//! The dispatch schedule: the next instant a cron expression names, on local
//! wall time.
//!
//! The cron crate parses the expression; we walk its field sets ourselves
//! rather than call `Schedule::after`, for two reasons: `after` needs a time
//! zone and stops at local times that do not exist (Asia/Shanghai had
//! daylight saving in 1986–1991), and its years end at 2100. The rules speak
//! of local wall time ("09:00 on the 1st and the 16th"), so that is what we
//! match, in any year.

use super::clock::LocalTime;
use chrono::{Datelike, NaiveTime};
use cron::{Schedule, TimeUnitSpec};

/// How far ahead to look: a schedule with nothing in eight years (say,
/// February 30th) has nothing at all.
const SEARCH_DAYS: u32 = 366 * 8;

/// The first instant of `schedule` strictly after `after`.
pub fn next_after(schedule: &Schedule, after: LocalTime) -> Option<LocalTime> {
    let mut date = after.date();
    for _ in 0..SEARCH_DAYS {
        if day_matches(schedule, date) {
            let from = (date == after.date()).then(|| after.time());
            if let Some(time) = first_time(schedule, from) {
                return Some(LocalTime::new(date.and_time(time)));
            }
        }
        date = date.succ_opt()?;
    }
    None
}

fn day_matches(schedule: &Schedule, date: chrono::NaiveDate) -> bool {
    let year_ok = !(1970..=2100).contains(&date.year()) || schedule.years().includes(date.year() as u32);
    year_ok
        && schedule.months().includes(date.month())
        && schedule.days_of_month().includes(date.day())
        && schedule.days_of_week().includes(date.weekday().number_from_sunday())
}

/// The first time of day the schedule names, strictly after `from` if given.
fn first_time(schedule: &Schedule, from: Option<NaiveTime>) -> Option<NaiveTime> {
    for h in schedule.hours().iter() {
        for m in schedule.minutes().iter() {
            for s in schedule.seconds().iter() {
                let t = NaiveTime::from_hms_opt(h, m, s)?;
                if from.is_none_or(|f| t > f) {
                    return Some(t);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn next(expr: &str, after: &str) -> Option<String> {
        next_after(&Schedule::from_str(expr).unwrap(), LocalTime::parse(after).unwrap()).map(|t| t.to_string())
    }

    #[test]
    fn half_monthly_dispatch_in_any_year() {
        let half = "0 0 9 1,16 * *";
        assert_eq!(next(half, "2021-03-01T08:59:59").as_deref(), Some("2021-03-01T09:00:00"));
        assert_eq!(next(half, "2021-03-01T09:00:00").as_deref(), Some("2021-03-16T09:00:00"));
        assert_eq!(next(half, "2021-12-16T09:00:00").as_deref(), Some("2022-01-01T09:00:00"));
        assert_eq!(next(half, "2200-07-30T17:30:00").as_deref(), Some("2200-08-01T09:00:00"));
        assert_eq!(next(half, "1988-04-10T01:00:00").as_deref(), Some("1988-04-16T09:00:00"));
    }

    #[test]
    fn weekdays_count_from_sunday_as_in_the_cron_crate() {
        // 2021-03-01 is a Monday (2 in cron's numbering).
        assert_eq!(next("0 30 8 * * 2", "2021-03-01T09:00:00").as_deref(), Some("2021-03-08T08:30:00"));
        assert_eq!(next("0 0 0 30 2 *", "2021-01-01T00:00:00"), None);
    }
}
