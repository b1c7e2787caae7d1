//! One issue's reaction to a move or a timer: the only place state changes.
//!
//! `step` and `on_timer` take the issue as it is and `now`, and return the
//! issue as it becomes plus the effects (charges, corrections, timers) as
//! data. The replay keeps issues in memory and timers in a heap; the service
//! keeps both in its database. Neither decides anything itself. The
//! corrections (return, ruling, withdrawal) are in [`corrections`].

mod corrections;

use super::charge::{self, Charge};
use super::clock::{LocalTime, Quarter, add_days};
use super::correction::{Booked, Correction};
use super::state::{Action, State};
use super::workflow::Workflow;
use chrono::NaiveDate;

pub use super::reminder::{Reminder, Timer, TimerKind};

/// The facts about an issue that the rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub state: State,
    /// The dispatch of the current assignment: a reassignment starts a new d.
    pub dispatched_at: Option<LocalTime>,
    /// How many completion reports the unit has made.
    pub reports: u32,
    /// The latest report; while `reported`, the one awaiting recheck.
    pub last_report: Option<LocalTime>,
    /// The charge is final (it may have been charged while work goes on).
    pub charged: bool,
    /// The unit did not have it when the overdue day began: it was awaiting
    /// recheck (charge case 3) or returned (case 4), so the failing recheck
    /// or the rejected return makes the charge final.
    pub awaiting_at_overdue: bool,
    /// The current assignment, numbered from 1 at the first dispatch; 0
    /// while registered.
    pub assignment: u32,
    /// How many times the unit has returned it (退回).
    pub returns: u32,
    /// The final charge as booked. An adapter that keeps charges elsewhere
    /// must fill it in for a charged issue before withdrawing it: the
    /// withdrawal takes back exactly this.
    pub booked: Option<Booked>,
}

impl Issue {
    pub fn registered() -> Issue {
        Issue {
            state: State::Registered,
            dispatched_at: None,
            reports: 0,
            last_report: None,
            charged: false,
            awaiting_at_overdue: false,
            assignment: 0,
            returns: 0,
            booked: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// The issue's charge became final.
    Charge(Charge),
    /// The issue was withdrawn and its charge is removed from this quarter,
    /// which was not frozen yet: as if it had never been made.
    Uncharge(Quarter),
    /// The issue was withdrawn after its charge's quarter froze: a
    /// correction item for it.
    Correction(Correction),
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
pub enum Refused {
    #[error("`{action}` is not allowed while the issue is `{state}`")]
    NotAllowed { action: &'static str, state: State },
    #[error("`return` is too late: dispatched on {dispatched}, the return window closed on {closed}")]
    ReturnWindowClosed { dispatched: NaiveDate, closed: NaiveDate },
}

/// Applies a move at `now`, or refuses it and changes nothing.
pub fn step(wf: &Workflow, issue: &Issue, action: Action, now: LocalTime) -> Result<Decision, Refused> {
    let rule = wf.transition(issue.state, action).ok_or(Refused::NotAllowed { action: action.api_name(), state: issue.state })?;
    let mut next = issue.clone();
    next.state = rule.to;
    let mut effects = Effects::new();
    match action {
        Action::Dispatch => {
            next.dispatched_at = Some(now);
            next.assignment = 1;
            dispatch_timers(wf, now, next.assignment, &mut effects);
        }
        Action::Report => {
            next.reports += 1;
            next.last_report = Some(now);
            let nominal = now.plus_hours(wf.reminders.recheck_wait_hours);
            effects.push(reminder(wf, nominal, Reminder::RecheckWait(next.reports)));
        }
        Action::RecheckPass if !issue.charged => {
            let (d, c) = (dispatch_date(issue), issue.last_report.unwrap_or(now).date());
            book(&mut next, &mut effects, charge::on_recheck_pass(wf, d, c, now));
        }
        Action::RecheckFail if !issue.charged && issue.awaiting_at_overdue => {
            book(&mut next, &mut effects, charge::overdue(wf, dispatch_date(issue), now));
        }
        Action::Return => corrections::give_back(wf, issue, &mut next, now, &mut effects)?,
        Action::Reassign => corrections::reassign(wf, issue, &mut next, now, &mut effects),
        Action::RejectReturn => corrections::reject(wf, issue, &mut next, now, &mut effects),
        Action::Withdraw => corrections::withdraw(wf, issue, now, &mut effects),
        _ => {}
    }
    Ok(Decision { issue: next, effects })
}

/// Fires a timer at `now`. Reminders change nothing here: whether one is
/// owed is [`Reminder::is_owed`], asked by whoever sends it.
pub fn on_timer(wf: &Workflow, issue: &Issue, kind: TimerKind, now: LocalTime) -> Decision {
    let mut next = issue.clone();
    let mut effects = Effects::new();
    if let TimerKind::Overdue { assignment } = kind
        && !issue.charged
        && assignment == issue.assignment
    {
        if issue.state.with_unit() {
            book(&mut next, &mut effects, charge::overdue(wf, dispatch_date(issue), now));
        } else if matches!(issue.state, State::Reported | State::Returned) {
            next.awaiting_at_overdue = true;
        }
    }
    Decision { issue: next, effects }
}

/// Makes `charge` the issue's final charge.
fn book(next: &mut Issue, effects: &mut Effects, charge: Charge) {
    next.charged = true;
    next.booked = Some(Booked { quarter: charge.quarter, points: charge.points });
    effects.push(Effect::Charge(charge));
}

fn dispatch_date(issue: &Issue) -> chrono::NaiveDate {
    issue.dispatched_at.map(|t| t.date()).expect("moves after dispatch have a dispatch date")
}

/// The overdue timer and the warn/tier reminders of an assignment
/// dispatched at `now`.
fn dispatch_timers(wf: &Workflow, now: LocalTime, assignment: u32, effects: &mut Effects) {
    let d = now.date();
    let overdue = LocalTime::start_of(add_days(d, wf.overdue_day()));
    effects.push(Effect::Timer(Timer { at: overdue, kind: TimerKind::Overdue { assignment } }));
    for day in wf.tier_start_days() {
        let warn = LocalTime::start_of(add_days(d, day - wf.reminders.warn_before_days));
        effects.push(reminder(wf, warn, Reminder::Warn { day, assignment }));
        effects.push(reminder(wf, LocalTime::start_of(add_days(d, day)), Reminder::Tier { day, assignment }));
    }
}

fn reminder(wf: &Workflow, nominal: LocalTime, which: Reminder) -> Effect {
    Effect::Timer(Timer { at: wf.calendar.next_working(nominal), kind: TimerKind::Reminder(which) })
}

/// What an open issue would be charged if completed at `as_of`; one awaiting
/// recheck is judged by its pending report, as if that recheck passed, and a
/// returned one as if the unit still had it (the clock never stops).
pub fn provisional_points(wf: &Workflow, issue: &Issue, as_of: LocalTime) -> crate::core::Points {
    let d = dispatch_date(issue);
    let completed = match (issue.state, issue.last_report) {
        (State::Reported, Some(report)) => report.date(),
        _ => as_of.date(),
    };
    wf.points_for_days(crate::core::clock::days_between(d, completed))
}
