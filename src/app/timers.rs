//! Timer rows ↔ [`Job`]: what a row in `timers` asks the scheduler to do,
//! parsed once where it is read and written once where it is made.
//!
//! The row keeps `kind` and `payload` as short text (`reminder` + `warn:16`)
//! because rows outlive releases: a row this release cannot read is not
//! deleted but *parked* with the reason, for an operator (or a later
//! release that knows it) — a timer silently dropped is a reminder or a
//! charge silently lost.

use super::AppResult;
use crate::core::engine::{Reminder, Timer, TimerKind};
use crate::core::{LocalTime, Quarter};
use crate::db::entities::timer;
use sea_orm::{ActiveModelTrait, ActiveValue::NotSet, ConnectionTrait, Set};

/// Timer classes at one instant, in firing order (as in the replay): the
/// start of day, then the scheduled dispatch, then mail.
pub const CLASS_DAY_START: i32 = 0;
pub const CLASS_DISPATCH: i32 = 1;
pub const CLASS_MAIL: i32 = 2;

/// Which quarter mail a quarter timer sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuarterMail {
    /// `quarter-report:<q>`: the quarter is over.
    Report,
    /// `quarter-due:<q>`: its report is due soon.
    Due,
}

impl QuarterMail {
    pub fn as_str(self) -> &'static str {
        match self {
            QuarterMail::Report => "report",
            QuarterMail::Due => "due",
        }
    }

    /// Its position in [`crate::core::mail_keys::quarter_mails`].
    pub fn index(self) -> usize {
        match self {
            QuarterMail::Report => 0,
            QuarterMail::Due => 1,
        }
    }
}

/// What a timer does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// The overdue day of an issue's assignment begins (charge case 2).
    Overdue { assignment: u32 },
    /// A reminder about an issue, judged when it fires.
    Reminder(Reminder),
    /// The scheduled dispatch of the pool.
    Dispatch,
    /// A quarter mail; it schedules the next quarter's.
    Quarter(QuarterMail, Quarter),
}

impl Job {
    /// Reads a row's kind and payload; `Err` says why it cannot be fired.
    pub fn parse(kind: &str, payload: &str) -> Result<Job, String> {
        let bad = || format!("unreadable {kind} timer payload `{payload}`");
        match kind {
            // Rows of release 0.1 carry no assignment: theirs is the first.
            "overdue" if payload.is_empty() => Ok(Job::Overdue { assignment: 1 }),
            "overdue" => payload.parse().map(|assignment| Job::Overdue { assignment }).map_err(|_| bad()),
            "dispatch" => Ok(Job::Dispatch),
            "reminder" => decode_reminder(payload).map(Job::Reminder).ok_or_else(bad),
            "quarter" => {
                let (which, q) = payload.split_once(':').ok_or_else(bad)?;
                let which = match which {
                    "report" => QuarterMail::Report,
                    "due" => QuarterMail::Due,
                    _ => return Err(bad()),
                };
                Ok(Job::Quarter(which, Quarter::parse(q).ok_or_else(bad)?))
            }
            other => Err(format!("unknown timer kind `{other}`")),
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            Job::Overdue { .. } => "overdue",
            Job::Reminder(_) => "reminder",
            Job::Dispatch => "dispatch",
            Job::Quarter(..) => "quarter",
        }
    }

    pub fn payload(self) -> String {
        match self {
            Job::Overdue { assignment: 1 } | Job::Dispatch => String::new(),
            Job::Overdue { assignment } => assignment.to_string(),
            Job::Reminder(r) => encode_reminder(r),
            Job::Quarter(which, q) => format!("{}:{q}", which.as_str()),
        }
    }

    pub fn class(self) -> i32 {
        match self {
            Job::Overdue { .. } => CLASS_DAY_START,
            Job::Dispatch => CLASS_DISPATCH,
            Job::Reminder(_) | Job::Quarter(..) => CLASS_MAIL,
        }
    }
}

impl From<TimerKind> for Job {
    fn from(kind: TimerKind) -> Job {
        match kind {
            TimerKind::Overdue { assignment } => Job::Overdue { assignment },
            TimerKind::Reminder(r) => Job::Reminder(r),
        }
    }
}

/// Stores a timer; `issue_id` for the jobs about one issue.
pub async fn insert(db: &impl ConnectionTrait, at: LocalTime, job: Job, issue_id: Option<String>) -> AppResult<()> {
    row(at, job, issue_id).insert(db).await?;
    Ok(())
}

/// A timer's row, to insert now or with a batch.
pub fn row(at: LocalTime, job: Job, issue_id: Option<String>) -> timer::ActiveModel {
    timer::ActiveModel {
        id: NotSet,
        due_at: Set(at.to_string()),
        class: Set(job.class()),
        kind: Set(job.kind().into()),
        issue_id: Set(issue_id),
        payload: Set(job.payload()),
        parked: Set(None),
    }
}

/// A core timer of one issue.
pub async fn insert_for_issue(db: &impl ConnectionTrait, issue_id: &str, t: Timer) -> AppResult<()> {
    insert(db, t.at, t.kind.into(), Some(issue_id.to_string())).await
}

/// Assignment 1 keeps the payloads stored before assignments existed.
fn of_assignment(assignment: u32) -> String {
    if assignment > 1 { format!("#{assignment}") } else { String::new() }
}

fn encode_reminder(r: Reminder) -> String {
    match r {
        Reminder::Warn { day, assignment } => format!("warn:{day}{}", of_assignment(assignment)),
        Reminder::Tier { day, assignment } => format!("tier:{day}{}", of_assignment(assignment)),
        Reminder::RecheckWait(n) => format!("recheck-wait:{n}"),
        Reminder::Return(n) => format!("return:{n}"),
        Reminder::Ruling(n) => format!("ruling:{n}"),
        Reminder::Assign(a) => format!("assign:{a}"),
        Reminder::Withdrawn => "withdrawn:0".into(),
    }
}

fn decode_reminder(text: &str) -> Option<Reminder> {
    let (kind, n) = text.split_once(':')?;
    match kind {
        "warn" | "tier" => {
            let (day, assignment) = match n.split_once('#') {
                Some((day, a)) => (day, a.parse().ok()?),
                None => (n, 1),
            };
            let day = day.parse().ok()?;
            Some(if kind == "warn" { Reminder::Warn { day, assignment } } else { Reminder::Tier { day, assignment } })
        }
        "recheck-wait" => Some(Reminder::RecheckWait(n.parse().ok()?)),
        "return" => Some(Reminder::Return(n.parse().ok()?)),
        "ruling" => Some(Reminder::Ruling(n.parse().ok()?)),
        "assign" => Some(Reminder::Assign(n.parse().ok()?)),
        "withdrawn" => Some(Reminder::Withdrawn),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_reads_back_as_itself() {
        let q = Quarter::parse("2021Q4").unwrap();
        let reminders = [
            Reminder::Warn { day: 16, assignment: 1 },
            Reminder::Tier { day: 31, assignment: 3 },
            Reminder::RecheckWait(3),
            Reminder::Return(2),
            Reminder::Ruling(1),
            Reminder::Assign(2),
            Reminder::Withdrawn,
        ];
        let jobs = [
            Job::Overdue { assignment: 1 },
            Job::Overdue { assignment: 2 },
            Job::Dispatch,
            Job::Quarter(QuarterMail::Report, q),
            Job::Quarter(QuarterMail::Due, q),
        ];
        for job in jobs.into_iter().chain(reminders.map(Job::Reminder)) {
            assert_eq!(Job::parse(job.kind(), &job.payload()), Ok(job));
        }
    }

    #[test]
    fn rows_of_the_first_release_still_read() {
        assert_eq!(Job::parse("reminder", "recheck-wait:2"), Ok(Job::Reminder(Reminder::RecheckWait(2))));
        assert_eq!(Job::parse("reminder", "warn:16"), Ok(Job::Reminder(Reminder::Warn { day: 16, assignment: 1 })));
        assert_eq!(Job::parse("overdue", ""), Ok(Job::Overdue { assignment: 1 }));
        assert_eq!(Job::parse("quarter", "due:2021Q1").map(Job::class), Ok(CLASS_MAIL));
        assert_eq!(Job::parse("dispatch", ""), Ok(Job::Dispatch));
    }

    #[test]
    fn an_unknown_row_says_why_instead_of_vanishing() {
        assert_eq!(Job::parse("escalate", "x"), Err("unknown timer kind `escalate`".into()));
        assert!(Job::parse("reminder", "warn:x").unwrap_err().contains("warn:x"));
        assert!(Job::parse("quarter", "soon:2021Q1").is_err());
    }
}
