//! Reminder keys and instants that do not belong to one issue.

use super::Workflow;
use super::clock::{LocalTime, Quarter, add_days};

/// `dispatch:<dispatch instant>:<unit>`: one mail per unit per list instant.
pub fn dispatch_key(listed_at: LocalTime, unit: &str) -> String {
    format!("dispatch:{listed_at}:{unit}")
}

/// `revoked:<violation id>`, to the violation's unit.
pub fn revoked_key(violation: &str) -> String {
    format!("revoked:{violation}")
}

/// `quarter-report:<q>` (the quarter is over) and `quarter-due:<q>` (the
/// report is due soon), each with its sending instant.
pub fn quarter_mails(wf: &Workflow, q: Quarter) -> [(String, LocalTime); 2] {
    let report = LocalTime::start_of(q.next().first_day());
    let due = LocalTime::start_of(add_days(q.due(wf.due_day), -wf.reminders.quarter_due_before_days));
    [(format!("quarter-report:{q}"), wf.calendar.next_working(report)), (format!("quarter-due:{q}"), wf.calendar.next_working(due))]
}
