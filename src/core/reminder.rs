//! The mails about one issue (rules.md, Reminders) and the timers that
//! carry them and the overdue day.
//!
//! A reminder is scheduled when its move is made and judged when it is due:
//! [`Reminder::is_owed`] looks at the issue as it is then, so a mail whose
//! reason went away (the issue was reported, returned, reassigned, withdrawn)
//! is dropped for good rather than cancelled by whoever changed the issue.

use super::clock::LocalTime;
use super::engine::Issue;
use super::state::State;

/// A reminder about one issue, named as in rules.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reminder {
    /// `warn-<day>`: the tier beginning on `day` of `assignment` is near.
    Warn { day: i64, assignment: u32 },
    /// `tier-<day>`: the tier beginning on `day` of `assignment` has begun.
    Tier { day: i64, assignment: u32 },
    /// `recheck-wait:<n>`: the n-th report has waited for its recheck.
    RecheckWait(u32),
    /// `return:<n>`, to 攻坚办: the n-th return awaits a ruling.
    Return(u32),
    /// `ruling:<n>`, to the unit that made the n-th return: it was ruled on.
    Ruling(u32),
    /// `assign:<a>`, to the new unit: assignment a (≥ 2) has begun.
    Assign(u32),
    /// `withdrawn`, to the issue's unit: a dispatched issue was withdrawn.
    Withdrawn,
}

impl Reminder {
    /// The mail key, e.g. `warn-16:W-001`, `tier-31:W-001#2` or
    /// `recheck-wait:W-003:1`. Assignment 1 keeps the plain tier keys, so
    /// that keys sent before corrections existed keep their meaning.
    pub fn key(self, issue: &str) -> String {
        let of = |assignment: u32| if assignment > 1 { format!("#{assignment}") } else { String::new() };
        match self {
            Reminder::Warn { day, assignment } => format!("warn-{day}:{issue}{}", of(assignment)),
            Reminder::Tier { day, assignment } => format!("tier-{day}:{issue}{}", of(assignment)),
            Reminder::RecheckWait(n) => format!("recheck-wait:{issue}:{n}"),
            Reminder::Return(n) => format!("return:{issue}:{n}"),
            Reminder::Ruling(n) => format!("ruling:{issue}:{n}"),
            Reminder::Assign(a) => format!("assign:{issue}:{a}"),
            Reminder::Withdrawn => format!("withdrawn:{issue}"),
        }
    }

    /// Whether the reminder is owed, judged at its sending instant. The
    /// mails that report a decision (ruling, assign, withdrawn) are owed
    /// whatever happened since: the decision was made.
    pub fn is_owed(self, issue: &Issue) -> bool {
        match self {
            Reminder::Warn { assignment, .. } | Reminder::Tier { assignment, .. } => issue.state.with_unit() && issue.assignment == assignment,
            Reminder::RecheckWait(n) => issue.state == State::Reported && issue.reports == n,
            Reminder::Return(n) => issue.state == State::Returned && issue.returns == n,
            Reminder::Ruling(_) | Reminder::Assign(_) | Reminder::Withdrawn => true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerKind {
    /// The start of the overdue day (d + 31) of `assignment`: a timer of a
    /// void assignment must not charge the new one, even on the same day.
    Overdue { assignment: u32 },
    /// A reminder, due at its sending instant (working hours applied).
    Reminder(Reminder),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timer {
    pub at: LocalTime,
    pub kind: TimerKind,
}
