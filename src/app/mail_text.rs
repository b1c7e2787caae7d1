//! From the core's reminder to the mail module's text: gathers the numbers a
//! reminder states (tier day and date, points, hours) from the workflow, so
//! the wording lives in one place (`crate::mail`) and the numbers in another
//! (the workflow file).

use crate::core::Workflow;
use crate::core::clock::{Quarter, add_days};
use crate::core::engine::Reminder;
use crate::mail::{IssueRef, ReminderMail, reminder_subject_and_body};

/// Where an issue's page is, for the link in a mail.
fn link(public_url: Option<&str>, path: &str) -> Option<String> {
    public_url.map(|u| format!("{}{path}", u.trim_end_matches('/')))
}

pub struct IssueFacts<'a> {
    pub id: &'a str,
    pub code: &'a str,
    pub title: &'a str,
    pub unit: &'a str,
    /// `YYYY-MM-DDTHH:MM:SS` of the dispatch.
    pub dispatched_at: &'a str,
    /// `YYYY-MM-DDTHH:MM:SS` of the latest report.
    pub reported_at: &'a str,
}

/// What the corrections' mails say besides the issue: the reason given,
/// and where a reassignment sent the issue.
#[derive(Debug, Default)]
pub struct Extra {
    pub reason: String,
    pub ruling_to: Option<String>,
}

/// Subject and body of an issue reminder.
pub fn reminder_text(wf: &Workflow, reminder: Reminder, issue: &IssueFacts<'_>, extra: &Extra, public_url: Option<&str>) -> (String, String) {
    let dispatched_on = issue.dispatched_at.get(..10).unwrap_or(issue.dispatched_at);
    let r = IssueRef { code: issue.code, title: issue.title, unit: issue.unit, dispatched_on };
    let day_u32 = |day: i64| u32::try_from(day).unwrap_or(0);
    let tier_date = |day: i64| dispatched_on.parse().map(|d| add_days(d, day).to_string()).unwrap_or_default();
    let link = link(public_url, &format!("/issues/{}", issue.id));
    match reminder {
        Reminder::Warn { day, .. } => {
            let (date, points) = (tier_date(day), wf.points_for_days(day).to_string());
            reminder_subject_and_body(&ReminderMail::Warn { issue: r, tier_day: day_u32(day), tier_date: &date, points: &points }, link.as_deref())
        }
        Reminder::Tier { day, .. } => {
            let points = wf.points_for_days(day).to_string();
            reminder_subject_and_body(&ReminderMail::Tier { issue: r, tier_day: day_u32(day), points: &points }, link.as_deref())
        }
        Reminder::RecheckWait(n) => {
            let hours = u32::try_from(wf.reminders.recheck_wait_hours).unwrap_or(0);
            reminder_subject_and_body(&ReminderMail::RecheckWait { issue: r, report_no: n, reported_at: issue.reported_at, hours }, link.as_deref())
        }
        Reminder::Return(_) => reminder_subject_and_body(&ReminderMail::Returned { issue: r, reason: &extra.reason }, link.as_deref()),
        Reminder::Ruling(_) => {
            reminder_subject_and_body(&ReminderMail::Ruling { issue: r, to: extra.ruling_to.as_deref(), reason: &extra.reason }, link.as_deref())
        }
        Reminder::Assign(_) => reminder_subject_and_body(&ReminderMail::Assigned { issue: r }, link.as_deref()),
        Reminder::Withdrawn => reminder_subject_and_body(&ReminderMail::Withdrawn { issue: r, reason: &extra.reason }, link.as_deref()),
    }
}

/// Subject and body of `quarter-report` (`which` = "report") or `quarter-due`.
pub fn quarter_text(wf: &Workflow, which: &str, q: Quarter, public_url: Option<&str>) -> (String, String) {
    let (quarter, due) = (q.to_string(), q.due(wf.due_day).to_string());
    let link = link(public_url, &format!("/reports/{quarter}"));
    let mail =
        if which == "due" { ReminderMail::QuarterDue { quarter: &quarter, due: &due } } else { ReminderMail::QuarterReport { quarter: &quarter, due: &due } };
    reminder_subject_and_body(&mail, link.as_deref())
}
