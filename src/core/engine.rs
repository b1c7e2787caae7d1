//! One issue's reaction to a move or a timer: the only place state changes.
//!
//! `step` and `on_timer` take the issue as it is and `now`, and return the
//! issue as it becomes plus the effects (charges, timers) as data. The replay
//! keeps issues in memory and timers in a heap; the service keeps both in its
//! database. Neither decides anything itself.

use super::charge::{self, Charge};
use super::clock::{add_days, LocalTime};
use super::state::{Action, State};
use super::workflow::Workflow;

/// The facts about an issue that the rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub state: State,
    pub dispatched_at: Option<LocalTime>,
    /// How many completion reports the unit has made.
    pub reports: u32,
    /// The latest report; while `reported`, the one awaiting recheck.
    pub last_report: Option<LocalTime>,
    /// The charge is final (it may have been charged while work goes on).
    pub charged: bool,
    /// It was awaiting recheck when the overdue day began (charge case 3).
    pub awaiting_at_overdue: bool,
}

impl Issue {
    pub fn registered() -> Issue {
        Issue { state: State::Registered, dispatched_at: None, reports: 0, last_report: None, charged: false, awaiting_at_overdue: false }
    }
}

/// A reminder about one issue, named as in rules.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reminder {
    /// `warn-<day>`: the tier beginning on `day` is near.
    Warn(i64),
    /// `tier-<day>`: the tier beginning on `day` has begun.
    Tier(i64),
    /// `recheck-wait:<n>`: the n-th report has waited for its recheck.
    RecheckWait(u32),
}

impl Reminder {
    /// The mail key, e.g. `warn-16:W-001` or `recheck-wait:W-003:1`.
    pub fn key(self, issue: &str) -> String {
        match self {
            Reminder::Warn(day) => format!("warn-{day}:{issue}"),
            Reminder::Tier(day) => format!("tier-{day}:{issue}"),
            Reminder::RecheckWait(n) => format!("recheck-wait:{issue}:{n}"),
        }
    }

    /// Whether the reminder is owed, judged at its sending instant.
    pub fn is_owed(self, issue: &Issue) -> bool {
        match self {
            Reminder::Warn(_) | Reminder::Tier(_) => issue.state.with_unit(),
            Reminder::RecheckWait(n) => issue.state == State::Reported && issue.reports == n,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerKind {
    /// The start of the overdue day (d + 31).
    Overdue,
    /// A reminder, due at its sending instant (working hours applied).
    Reminder(Reminder),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timer {
    pub at: LocalTime,
    pub kind: TimerKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Charge(Charge),
    Timer(Timer),
}

/// A move's effects: inline up to a dispatch's worth (the overdue timer and
/// two reminders per tier), so the common move allocates nothing.
pub type Effects = smallvec::SmallVec<[Effect; 5]>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub issue: Issue,
    pub effects: Effects,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{action}` is not allowed while the issue is `{state}`")]
pub struct Refused {
    pub action: &'static str,
    pub state: State,
}

/// Applies a move at `now`, or refuses it and changes nothing.
pub fn step(wf: &Workflow, issue: &Issue, action: Action, now: LocalTime) -> Result<Decision, Refused> {
    let rule = wf
        .transition(issue.state, action)
        .ok_or(Refused { action: action.api_name(), state: issue.state })?;
    let mut next = issue.clone();
    next.state = rule.to;
    let mut effects = Effects::new();
    match action {
        Action::Dispatch => {
            next.dispatched_at = Some(now);
            dispatch_timers(wf, now, &mut effects);
        }
        Action::Report => {
            next.reports += 1;
            next.last_report = Some(now);
            let nominal = now.plus_hours(wf.reminders.recheck_wait_hours);
            effects.push(reminder(wf, nominal, Reminder::RecheckWait(next.reports)));
        }
        Action::RecheckPass if !issue.charged => {
            let (d, c) = (dispatch_date(issue), issue.last_report.unwrap_or(now).date());
            effects.push(Effect::Charge(charge::on_recheck_pass(wf, d, c, now)));
            next.charged = true;
        }
        Action::RecheckFail if !issue.charged && issue.awaiting_at_overdue => {
            effects.push(Effect::Charge(charge::overdue(wf, dispatch_date(issue), now)));
            next.charged = true;
        }
        _ => {}
    }
    Ok(Decision { issue: next, effects })
}

/// Fires a timer at `now`. Reminders change nothing here: whether one is
/// owed is [`Reminder::is_owed`], asked by whoever sends it.
pub fn on_timer(wf: &Workflow, issue: &Issue, kind: TimerKind, now: LocalTime) -> Decision {
    let mut next = issue.clone();
    let mut effects = Effects::new();
    if kind == TimerKind::Overdue && !issue.charged {
        if issue.state.with_unit() {
            effects.push(Effect::Charge(charge::overdue(wf, dispatch_date(issue), now)));
            next.charged = true;
        } else if issue.state == State::Reported {
            next.awaiting_at_overdue = true;
        }
    }
    Decision { issue: next, effects }
}

fn dispatch_date(issue: &Issue) -> chrono::NaiveDate {
    issue.dispatched_at.map(|t| t.date()).expect("moves after dispatch have a dispatch date")
}

/// The overdue timer and the warn/tier reminders of a dispatch at `now`.
fn dispatch_timers(wf: &Workflow, now: LocalTime, effects: &mut Effects) {
    let d = now.date();
    let overdue = LocalTime::start_of(add_days(d, wf.overdue_day()));
    effects.push(Effect::Timer(Timer { at: overdue, kind: TimerKind::Overdue }));
    for day in wf.tier_start_days() {
        let warn = LocalTime::start_of(add_days(d, day - wf.reminders.warn_before_days));
        effects.push(reminder(wf, warn, Reminder::Warn(day)));
        effects.push(reminder(wf, LocalTime::start_of(add_days(d, day)), Reminder::Tier(day)));
    }
}

fn reminder(wf: &Workflow, nominal: LocalTime, which: Reminder) -> Effect {
    Effect::Timer(Timer { at: wf.calendar.next_working(nominal), kind: TimerKind::Reminder(which) })
}

/// What an open issue would be charged if completed at `as_of`; one awaiting
/// recheck is judged by its pending report, as if that recheck passed.
pub fn provisional_points(wf: &Workflow, issue: &Issue, as_of: LocalTime) -> crate::core::Points {
    let d = dispatch_date(issue);
    let completed = match (issue.state, issue.last_report) {
        (State::Reported, Some(report)) => report.date(),
        _ => as_of.date(),
    };
    wf.points_for_days(crate::core::clock::days_between(d, completed))
}
