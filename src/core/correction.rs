//! Taking back a final charge (rules.md, Corrections): a withdrawn issue's,
//! a revoked violation's.
//!
//! A frozen quarter is never rewritten: the assessor already has it. So a
//! charge whose quarter is still open simply goes, and one whose quarter is
//! frozen stays where it is and is answered by a correction of minus its
//! points in the quarter of the correction — a refund, visible as such.

use super::charge::is_frozen;
use super::clock::{LocalTime, Quarter};
use super::points::Points;
use super::workflow::Workflow;
use chrono::NaiveDate;

/// A final charge as booked: the quarter carrying it and its points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Booked {
    pub quarter: Quarter,
    pub points: Points,
}

/// A correction item: minus `points` of a charge in the frozen `corrects`,
/// booked in `quarter` (the one containing `date`, never frozen then).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Correction {
    pub quarter: Quarter,
    pub corrects: Quarter,
    pub date: NaiveDate,
    /// Negative: −0.05 for a withdrawn overdue issue.
    pub points: Points,
}

/// What taking back a booked charge does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undo {
    /// Its quarter is not frozen: the charge is removed from that quarter,
    /// as if it had never been made.
    Remove(Quarter),
    /// Its quarter is frozen: a correction goes into today's quarter.
    Correct(Correction),
    /// Its quarter is frozen and it cost nothing: there is nothing to refund.
    Nothing,
}

/// Takes back `booked` at `now`.
pub fn undo(wf: &Workflow, booked: Booked, now: LocalTime) -> Undo {
    let today = now.date();
    if !is_frozen(wf, booked.quarter, today) {
        Undo::Remove(booked.quarter)
    } else if booked.points.is_zero() {
        Undo::Nothing
    } else {
        Undo::Correct(Correction { quarter: Quarter::of(today), corrects: booked.quarter, date: today, points: -booked.points })
    }
}
