//! Tiers and the four ways an issue's charge becomes final (rules.md).
//!
//! 1. A recheck passes: the tier of days = c − d, where c is the date of the
//!    report that recheck accepted; known on the recheck date k.
//! 2. The overdue day (d + 31) begins while the unit still has the issue:
//!    the overdue points, known that day.
//! 3. The issue was awaiting recheck when the overdue day began and that
//!    recheck fails: the overdue points, known on the failing recheck's date.
//! 4. The issue was returned when the overdue day began and the return is
//!    rejected: the overdue points, known on the rejection date.
//!
//! Cases 3 and 4 are one mechanism in [`crate::core::engine`]: the unit did
//! not have the issue when the day began, and the move that gives it back
//! without a completion makes the charge final.
//!
//! A newcomer asking "why was 0.02 charged" should land here.

use super::clock::{LocalTime, Quarter, days_between};
use super::points::Points;
use super::workflow::{TierIndex, Workflow};
use chrono::NaiveDate;

/// A final charge against one issue. Each issue gets at most one, ever.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub points: Points,
    pub tier: TierIndex,
    /// Days from dispatch to completion; the overdue day when uncompleted.
    pub days: i64,
    pub dispatched: NaiveDate,
    /// The date of the accepted report; `None` when it became final uncompleted.
    pub completed: Option<NaiveDate>,
    /// When the charge became known (final).
    pub known_at: LocalTime,
    /// The quarter whose report carries it.
    pub quarter: Quarter,
}

/// Case 1: a passing recheck at `known_at` accepts the report made on `completed`.
pub fn on_recheck_pass(wf: &Workflow, dispatched: NaiveDate, completed: NaiveDate, known_at: LocalTime) -> Charge {
    let days = days_between(dispatched, completed);
    let tier = wf.tier_index(days);
    Charge {
        points: wf.tier(tier).points,
        tier,
        days,
        dispatched,
        completed: Some(completed),
        known_at,
        quarter: completion_quarter(wf, completed, known_at.date()),
    }
}

/// Cases 2, 3 and 4: final uncompleted, charged to the quarter it became known in.
pub fn overdue(wf: &Workflow, dispatched: NaiveDate, known_at: LocalTime) -> Charge {
    Charge {
        points: wf.overdue.points,
        tier: TierIndex(wf.tiers.len()),
        days: wf.overdue_day(),
        dispatched,
        completed: None,
        known_at,
        quarter: Quarter::of(known_at.date()),
    }
}

/// Case 1's quarter: the completion's quarter when the recheck came by that
/// quarter's due date (the due day included); otherwise the recheck's
/// quarter, because the completion's quarter was already frozen.
pub fn completion_quarter(wf: &Workflow, completed: NaiveDate, rechecked: NaiveDate) -> Quarter {
    let quarter = Quarter::of(completed);
    if rechecked <= quarter.due(wf.due_day) { quarter } else { Quarter::of(rechecked) }
}

/// A violation (未执行调度方案或者指令) is charged on the date it is recorded.
pub fn violation_quarter(recorded: LocalTime) -> Quarter {
    Quarter::of(recorded.date())
}

/// A quarter's report is frozen once its due date has passed.
pub fn is_frozen(wf: &Workflow, quarter: Quarter, today: NaiveDate) -> bool {
    today > quarter.due(wf.due_day)
}
