//! Quarter reports and the open list, built from charges.
//!
//! The replay and the service both feed a [`ReportBook`] with the items that
//! became final, in the order they did, and ask it for the quarters; so the
//! report a clerk downloads and the one `simulate` prints cannot disagree.

use super::clock::{LocalTime, Quarter};
use super::points::Points;
use super::state::State;
use super::workflow::{TierIndex, Workflow};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One line of a quarter's `items`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Item {
    Issue {
        issue: Arc<str>,
        unit: Arc<str>,
        dispatched: NaiveDate,
        completed: Option<NaiveDate>,
        days: i64,
        points: Points,
    },
    Violation {
        unit: Arc<str>,
        date: NaiveDate,
        points: Points,
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
}

/// What counts an item adds to its unit's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Tier(TierIndex),
    Violation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitRow {
    pub unit: String,
    pub points: Points,
    pub on_time: u64,
    pub late_16_30: u64,
    pub late_over_30: u64,
    pub violations: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuarterReport {
    pub quarter: String,
    pub due: NaiveDate,
    pub total: Points,
    pub units: Vec<UnitRow>,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenEntry {
    pub issue: String,
    pub unit: String,
    pub state: State,
    pub dispatched: NaiveDate,
    pub days: i64,
    pub provisional_points: Points,
}

#[derive(Debug, Default)]
struct Tally {
    points: Points,
    counts: [u64; 4],
}

#[derive(Debug, Default)]
struct QuarterBook {
    units: BTreeMap<usize, Tally>,
    items: Vec<Item>,
}

/// Collects final items per quarter, in the order they are added.
#[derive(Debug, Default)]
pub struct ReportBook {
    quarters: BTreeMap<Quarter, QuarterBook>,
}

impl ReportBook {
    /// Adds an item charged to `quarter` against the unit numbered `unit`
    /// (an index into the unit list given to [`ReportBook::quarters`]).
    pub fn add(&mut self, wf: &Workflow, quarter: Quarter, unit: usize, class: Class, item: Item) {
        let book = self.quarters.entry(quarter).or_default();
        let tally = book.units.entry(unit).or_default();
        tally.points = tally.points + item_points(&item);
        tally.counts[column(wf, class)] += 1;
        book.items.push(item);
    }

    /// The reports of `from` through `to`, every unit in `units` order.
    pub fn quarters(mut self, wf: &Workflow, from: Quarter, to: Quarter, units: &[impl AsRef<str>]) -> Vec<QuarterReport> {
        from.through(to)
            .map(|q| {
                let book = self.quarters.remove(&q).unwrap_or_default();
                let rows: Vec<UnitRow> = units.iter().enumerate().map(|(i, name)| row(name.as_ref(), book.units.get(&i))).collect();
                QuarterReport {
                    quarter: q.to_string(),
                    due: q.due(wf.due_day),
                    total: rows.iter().map(|r| r.points).sum(),
                    units: rows,
                    items: book.items,
                }
            })
            .collect()
    }
}

fn item_points(item: &Item) -> Points {
    match item {
        Item::Issue { points, .. } | Item::Violation { points, .. } => *points,
    }
}

/// on_time, late_16_30, late_over_30, violations: the first tier, the middle
/// tiers, the overdue tier, violations.
fn column(wf: &Workflow, class: Class) -> usize {
    match class {
        Class::Violation => 3,
        Class::Tier(TierIndex(0)) => 0,
        Class::Tier(TierIndex(i)) if i >= wf.tiers.len() => 2,
        Class::Tier(_) => 1,
    }
}

fn row(name: &str, tally: Option<&Tally>) -> UnitRow {
    let (points, c) = tally.map_or((Points::ZERO, [0; 4]), |t| (t.points, t.counts));
    UnitRow { unit: name.to_string(), points, on_time: c[0], late_16_30: c[1], late_over_30: c[2], violations: c[3] }
}

/// The open-list entry of an issue that is dispatched and not final.
pub fn open_entry(wf: &Workflow, code: &str, unit: &str, issue: &super::engine::Issue, as_of: LocalTime) -> OpenEntry {
    let dispatched = issue.dispatched_at.map(|t| t.date()).unwrap_or(as_of.date());
    OpenEntry {
        issue: code.to_string(),
        unit: unit.to_string(),
        state: issue.state,
        dispatched,
        days: super::clock::days_between(dispatched, as_of.date()),
        provisional_points: super::engine::provisional_points(wf, issue, as_of),
    }
}
