//! The corrections of rules.md: return (退回), its ruling (改派 / 驳回) and
//! withdrawal (撤销). The move table has already said the move is allowed
//! from the issue's state; these add what the move means.

use super::{Effect, Effects, Issue, Refused, Reminder, book, dispatch_date, dispatch_timers, reminder};
use crate::core::charge;
use crate::core::clock::{LocalTime, add_days};
use crate::core::correction::{Undo, undo};
use crate::core::workflow::Workflow;

/// 退回: only up to day d + R, R the workflow's return window. Because R is
/// shorter than the overdue day, a returned issue was never charged.
pub(super) fn give_back(wf: &Workflow, issue: &Issue, next: &mut Issue, now: LocalTime, effects: &mut Effects) -> Result<(), Refused> {
    let dispatched = dispatch_date(issue);
    let closed = add_days(dispatched, wf.return_window_days);
    if now.date() > closed {
        return Err(Refused::ReturnWindowClosed { dispatched, closed });
    }
    next.returns += 1;
    effects.push(reminder(wf, now, Reminder::Return(next.returns)));
    Ok(())
}

/// 改派: a new assignment, whose d is today. The earlier one is void: its
/// timers no longer match the assignment number, and it charged nothing (a
/// return comes before any report and before the overdue day).
pub(super) fn reassign(wf: &Workflow, issue: &Issue, next: &mut Issue, now: LocalTime, effects: &mut Effects) {
    next.assignment = issue.assignment + 1;
    next.dispatched_at = Some(now);
    next.awaiting_at_overdue = false;
    dispatch_timers(wf, now, next.assignment, effects);
    effects.push(reminder(wf, now, Reminder::Ruling(issue.returns)));
    effects.push(reminder(wf, now, Reminder::Assign(next.assignment)));
}

/// 驳回: the same unit and the same d — the clock never stopped, so a
/// return that began day d + 31 while it waited is charged now (case 4).
pub(super) fn reject(wf: &Workflow, issue: &Issue, next: &mut Issue, now: LocalTime, effects: &mut Effects) {
    if !issue.charged && issue.awaiting_at_overdue {
        book(next, effects, charge::overdue(wf, dispatch_date(issue), now));
    }
    effects.push(reminder(wf, now, Reminder::Ruling(issue.returns)));
}

/// 撤销: a charge not yet final never will be (the withdrawn state makes no
/// more moves and no timer charges it); a final one is taken back.
pub(super) fn withdraw(wf: &Workflow, issue: &Issue, now: LocalTime, effects: &mut Effects) {
    if let (true, Some(booked)) = (issue.charged, issue.booked) {
        match undo(wf, booked, now) {
            Undo::Remove(quarter) => effects.push(Effect::Uncharge(quarter)),
            Undo::Correct(correction) => effects.push(Effect::Correction(correction)),
            Undo::Nothing => {}
        }
    }
    if issue.dispatched_at.is_some() {
        effects.push(reminder(wf, now, Reminder::Withdrawn));
    }
}
