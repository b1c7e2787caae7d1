//! The item's score (年度得分, rules.md): assessment item 10 is worth S points
//! a year, and a unit keeps S minus its points, never below 0 nor above S.
//!
//! Computed from the quarter reports rather than from charges, so that the
//! year and its quarters cannot disagree: a point belongs to the year of the
//! quarter that carries it, corrections included. The clamp at S is why a
//! refund booked in a later year cannot lift that year above full marks.

use super::clock::Quarter;
use super::points::Points;
use super::report::QuarterReport;
use super::workflow::Workflow;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YearReport {
    pub year: i32,
    pub score: Points,
    pub units: Vec<YearRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YearRow {
    pub unit: String,
    /// The sum of the unit's points over the year's quarters reported.
    pub points: Points,
    pub remaining: Points,
}

/// One entry per calendar year of `quarters` (in order), every unit in the
/// order of the quarters' unit rows.
pub fn years(wf: &Workflow, quarters: &[QuarterReport]) -> Vec<YearReport> {
    let mut out: Vec<YearReport> = Vec::new();
    for q in quarters {
        let year = Quarter::parse(&q.quarter).expect("reports name their quarter as YYYYQn").year;
        if out.last().is_none_or(|y| y.year != year) {
            let units = q.units.iter().map(|u| YearRow { unit: u.unit.clone(), points: Points::ZERO, remaining: Points::ZERO }).collect();
            out.push(YearReport { year, score: wf.item_score, units });
        }
        let entry = out.last_mut().expect("pushed above");
        for (row, unit) in entry.units.iter_mut().zip(&q.units) {
            row.points = row.points + unit.points;
        }
    }
    for entry in &mut out {
        for row in &mut entry.units {
            row.remaining = remaining(wf.item_score, row.points);
        }
    }
    out
}

/// S − points, clamped to [0, S].
pub fn remaining(score: Points, points: Points) -> Points {
    (score - points).clamp(Points::ZERO, score)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_score_is_clamped_at_zero_and_at_full_marks() {
        let s = Points::parse("3.00").unwrap();
        assert_eq!(remaining(s, Points::parse("0.05").unwrap()).to_string(), "2.95");
        assert_eq!(remaining(s, Points::parse("3.50").unwrap()).to_string(), "0.00");
        assert_eq!(remaining(s, -Points::parse("0.05").unwrap()).to_string(), "3.00");
    }
}
