//! An issue's deduction tier as a colour and a sentence, from the workflow:
//! green while in the first tier, yellow in a middle one, red once overdue,
//! and how many days are left before the next tier begins. No tier day is
//! written here; change the workflow file and the board follows.

use crate::app::issues::{IssueView, MoveView};
use crate::core::Workflow;
use crate::core::clock::days_between;
use chrono::NaiveDate;

pub struct Badge {
    /// CSS class: `green`, `yellow` or `red`.
    pub class: &'static str,
    /// The tier's label and its points, e.g. `16–30天 · 扣0.02分`.
    pub label: String,
    /// Days left before the next tier, or how the days are counted.
    pub hint: String,
    /// While the days count: the date each charged tier begins, e.g.
    /// `3月17日起扣0.02分 · 4月1日起超期（扣0.05分）`; empty otherwise.
    pub dates: String,
    /// Sort key: higher is more urgent.
    pub urgency: i64,
}

/// A charged tier's first day for an issue dispatched on a given date.
pub struct TierStart {
    pub date: NaiveDate,
    /// `扣0.02分`, or `超期（扣0.05分）` for the overdue tier.
    pub what: String,
}

/// Each charged tier's first day, from the workflow's tiers: day `up_to + 1`
/// after the dispatch date `d` (days are c − d, rules.md).
pub fn tier_starts(wf: &Workflow, d: NaiveDate) -> Vec<TierStart> {
    wf.tier_start_days()
        .map(|day| {
            let tier = wf.tier(wf.tier_index(day));
            let what = if day >= wf.overdue_day() { format!("超期（扣{}分）", tier.points) } else { format!("扣{}分", tier.points) };
            TierStart { date: d + chrono::Duration::days(day), what }
        })
        .collect()
}

/// The last day of the first tier: finished by then, nothing is charged.
pub fn first_tier_last_date(wf: &Workflow, d: NaiveDate) -> Option<NaiveDate> {
    wf.tiers.first().and_then(|t| t.up_to_day).map(|up| d + chrono::Duration::days(up))
}

/// `4月1日`, with the year when it is not `year`'s.
pub fn month_day(date: NaiveDate, year: i32) -> String {
    use chrono::Datelike;
    let md = format!("{}月{}日", date.month(), date.day());
    if date.year() == year { md } else { format!("{}年{md}", date.year()) }
}

/// `3月17日起扣0.02分 · 4月1日起超期（扣0.05分）`.
pub fn dates_line(wf: &Workflow, d: NaiveDate) -> String {
    use chrono::Datelike;
    tier_starts(wf, d).iter().map(|t| format!("{}起{}", month_day(t.date, d.year()), t.what)).collect::<Vec<_>>().join(" · ")
}

/// The tier of an issue on day `days` since dispatch. `running`: the unit
/// still holds the issue, so the days keep counting.
pub fn badge(wf: &Workflow, days: i64, running: bool) -> Badge {
    let index = wf.tier_index(days);
    let tier = wf.tier(index);
    let class = if index.0 == 0 {
        "green"
    } else if index.0 >= wf.tiers.len() {
        "red"
    } else {
        "yellow"
    };
    let label = if tier.points.is_zero() { tier.label.clone() } else { format!("{} · 扣{}分", tier.label, tier.points) };
    let next = wf.tier_start_days().into_iter().find(|start| *start > days);
    let hint = match (running, next) {
        (false, _) => format!("按反馈日计第 {days} 天"),
        (true, Some(start)) => {
            let next_tier = wf.tier(wf.tier_index(start));
            let left = start - days;
            let next_label = if next_tier.points.is_zero() { next_tier.label.clone() } else { format!("{}（扣{}分）", next_tier.label, next_tier.points) };
            if left == 1 {
                format!("第 {days} 天，明天进入「{next_label}」")
            } else {
                format!("第 {days} 天，还剩 {left} 天进入「{next_label}」")
            }
        }
        (true, None) => format!("第 {days} 天，已超过 {} 天期限", wf.overdue_day() - 1),
    };
    let urgency = if running { days } else { days - 1000 };
    Badge { class, label, hint, dates: String::new(), urgency }
}

/// The badge of an issue as it stands: counting while the unit holds it
/// and while it is returned (a rejected return keeps its dispatch date),
/// frozen at the last report while it awaits recheck, none before dispatch,
/// after a passing recheck or once withdrawn.
pub fn of_issue(wf: &Workflow, issue: &IssueView, history: Option<&[MoveView]>) -> Option<Badge> {
    let days = issue.days?;
    match issue.state.as_str() {
        "assigned" | "rectifying" | "returned" => {
            let mut b = badge(wf, days, true);
            b.dates = issue.dispatched_at.as_deref().and_then(date_of).map(|d| dates_line(wf, d)).unwrap_or_default();
            Some(b)
        }
        "reported" => {
            let dispatched = date_of(issue.dispatched_at.as_deref()?)?;
            let reported = history.and_then(last_report_date).unwrap_or(dispatched + chrono::Duration::days(days));
            Some(badge(wf, days_between(dispatched, reported), false))
        }
        _ => None,
    }
}

pub fn date_of(text: &str) -> Option<NaiveDate> {
    text.get(..10)?.parse().ok()
}

fn last_report_date(history: &[MoveView]) -> Option<NaiveDate> {
    history.iter().rev().find(|m| m.action == "report").and_then(|m| date_of(&m.at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Workflow {
        Workflow::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/workflows/water-environment.toml"))).unwrap()
    }

    #[test]
    fn colours_and_days_left_follow_the_workflow_tiers() {
        let wf = shipped();
        let day10 = badge(&wf, 10, true);
        assert_eq!((day10.class, day10.hint.as_str()), ("green", "第 10 天，还剩 6 天进入「16–30天（扣0.02分）」"));
        assert_eq!(badge(&wf, 15, true).class, "green");
        assert!(badge(&wf, 15, true).hint.contains("明天"));
        let day16 = badge(&wf, 16, true);
        assert_eq!((day16.class, day16.label.as_str()), ("yellow", "16–30天 · 扣0.02分"));
        assert!(day16.hint.contains("还剩 15 天进入「超过30天（扣0.05分）」"), "{}", day16.hint);
        assert_eq!(badge(&wf, 30, true).class, "yellow");
        let day31 = badge(&wf, 31, true);
        assert_eq!((day31.class, day31.hint.as_str()), ("red", "第 31 天，已超过 30 天期限"));
    }

    #[test]
    fn tiers_begin_on_dates_counted_from_dispatch() {
        let wf = shipped();
        let d = NaiveDate::from_ymd_opt(2021, 3, 16).unwrap();
        assert_eq!(dates_line(&wf, d), "4月1日起扣0.02分 · 4月16日起超期（扣0.05分）");
        assert_eq!(first_tier_last_date(&wf, d), NaiveDate::from_ymd_opt(2021, 3, 31));
        let december = NaiveDate::from_ymd_opt(2021, 12, 16).unwrap();
        assert_eq!(dates_line(&wf, december), "2022年1月1日起扣0.02分 · 2022年1月16日起超期（扣0.05分）");
        // The day a tier begins is the day the badge changes colour.
        for t in tier_starts(&wf, d) {
            let day = days_between(d, t.date);
            assert_ne!(badge(&wf, day - 1, true).class, badge(&wf, day, true).class, "{}", t.what);
        }
    }

    #[test]
    fn another_workflow_moves_the_colours() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/workflows/water-environment.toml")).unwrap();
        let wf = Workflow::parse("short.toml", &text.replace("up_to_day = 15", "up_to_day = 5")).unwrap();
        assert_eq!(badge(&wf, 6, true).class, "yellow");
        assert!(badge(&wf, 3, true).hint.contains("还剩 3 天"));
        let d = NaiveDate::from_ymd_opt(2021, 3, 1).unwrap();
        assert_eq!(dates_line(&wf, d), "3月7日起扣0.02分 · 4月1日起超期（扣0.05分）", "no tier day is written in the pages");
    }
}
