//! Quarter reports and the open list, built from charges.
//!
//! The replay and the service both feed a [`ReportBook`] with the items that
//! became final, in the order they did, and ask it for the quarters; so the
//! report a clerk downloads and the one `simulate` prints cannot disagree.
//! Corrections are items like any other (negative points, counted in no
//! column); a charge taken back before its quarter froze is removed.

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
        #[serde(serialize_with = "super::day::ser")]
        dispatched: NaiveDate,
        #[serde(serialize_with = "super::day::ser_opt")]
        completed: Option<NaiveDate>,
        days: i64,
        points: Points,
    },
    Violation {
        unit: Arc<str>,
        #[serde(serialize_with = "super::day::ser")]
        date: NaiveDate,
        points: Points,
        /// What was not executed: for the pages and the workbook; the JSON
        /// report is a quarter of simulate's, which has no notes.
        #[serde(skip)]
        note: Option<String>,
        /// The id a revocation names it by, when it was given one.
        #[serde(skip_serializing_if = "Option::is_none")]
        violation: Option<Arc<str>>,
    },
    /// Minus a charge of the frozen quarter `corrects` (rules.md, Corrections).
    Correction {
        #[serde(flatten)]
        of: Corrected,
        unit: Arc<str>,
        corrects: Quarter,
        #[serde(serialize_with = "super::day::ser")]
        date: NaiveDate,
        points: Points,
    },
}

/// What a correction takes back: `"issue": id` or `"violation": id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Corrected {
    Issue(Arc<str>),
    Violation(Arc<str>),
}

/// What counts an item adds to its unit's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Tier(TierIndex),
    Violation,
    /// Points only: a refund is not an issue or a violation of its quarter.
    Correction,
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
    #[serde(serialize_with = "super::day::ser")]
    pub dispatched: NaiveDate,
    pub days: i64,
    pub provisional_points: Points,
}

#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    points: Points,
    counts: [u64; 4],
}

#[derive(Debug)]
struct Entry {
    unit: usize,
    column: Option<usize>,
    /// How many charges the entry stands for: 1 for an item, more for
    /// totals kept elsewhere ([`ReportBook::add_totals`]).
    count: u64,
    points: Points,
    /// None in a book of totals only.
    item: Option<Item>,
}

/// A quarter's entries in the order they became final; a removed one
/// leaves a hole, so that the others keep their [`ItemRef`].
#[derive(Debug, Default)]
struct QuarterBook {
    entries: Vec<Option<Entry>>,
    /// In a book of totals only, each unit's one entry per column (the
    /// last slot: corrections, which have none), that its items add to: a
    /// streamed quarter of 250,000 items holds a few entries per unit, not
    /// one per item.
    summed: Vec<[Option<usize>; 5]>,
}

/// Where an item was added, to take it out again (a withdrawal or a
/// revocation before its quarter froze).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemRef {
    quarter: Quarter,
    index: usize,
    /// What it added, to take back from a sum (a book of totals only).
    points: Points,
}

/// Collects final items per quarter, in the order they are added.
#[derive(Debug, Default)]
pub struct ReportBook {
    quarters: BTreeMap<Quarter, QuarterBook>,
    totals_only: bool,
}

impl ReportBook {
    /// A book that keeps each unit's totals and drops the items: the year's
    /// score and the trend read four quarters of charges and show no item,
    /// and a province's quarter holds 200,000 of them.
    pub fn totals_only() -> Self {
        Self { totals_only: true, ..Self::default() }
    }

    /// Adds an item charged to `quarter` against the unit numbered `unit`
    /// (an index into the unit list given to [`ReportBook::quarters`]).
    pub fn add(&mut self, wf: &Workflow, quarter: Quarter, unit: usize, class: Class, item: Item) -> ItemRef {
        let book = self.quarters.entry(quarter).or_default();
        let (points, column) = (item_points(&item), column(wf, class));
        if !self.totals_only {
            book.entries.push(Some(Entry { unit, column, count: 1, points, item: Some(item) }));
            return ItemRef { quarter, index: book.entries.len() - 1, points };
        }
        if book.summed.len() <= unit {
            book.summed.resize(unit + 1, [None; 5]);
        }
        let slot = &mut book.summed[unit][column.unwrap_or(4)];
        let index = *slot.get_or_insert_with(|| {
            book.entries.push(Some(Entry { unit, column, count: 0, points: Points::ZERO, item: None }));
            book.entries.len() - 1
        });
        if let Some(Some(sum)) = book.entries.get_mut(index) {
            sum.count += 1;
            sum.points = sum.points + points;
        }
        ItemRef { quarter, index, points }
    }

    /// Adds `count` charges of `class` worth `points` together, to `unit`'s
    /// row of `quarter`, with no item: the totals the database keeps per
    /// unit, quarter and class, for a book of totals only.
    pub fn add_totals(&mut self, wf: &Workflow, quarter: Quarter, unit: usize, class: Class, count: u64, points: Points) {
        let book = self.quarters.entry(quarter).or_default();
        book.entries.push(Some(Entry { unit, column: column(wf, class), count, points, item: None }));
    }

    /// Takes an item out, as if it had never been added. Only for a quarter
    /// that is not frozen: the caller asked [`crate::core::correction::undo`].
    pub fn remove(&mut self, at: ItemRef) {
        let Some(slot) = self.quarters.get_mut(&at.quarter).and_then(|b| b.entries.get_mut(at.index)) else { return };
        match slot {
            Some(sum) if self.totals_only => {
                sum.count = sum.count.saturating_sub(1);
                sum.points = sum.points - at.points;
            }
            _ => *slot = None,
        }
    }

    /// The reports of `from` through `to`, every unit in `units` order.
    pub fn quarters(mut self, wf: &Workflow, from: Quarter, to: Quarter, units: &[impl AsRef<str>]) -> Vec<QuarterReport> {
        from.through(to)
            .map(|q| {
                let book = self.quarters.remove(&q).unwrap_or_default();
                let mut tallies = vec![Tally::default(); units.len()];
                let mut items = Vec::with_capacity(if self.totals_only { 0 } else { book.entries.len() });
                for entry in book.entries.into_iter().flatten() {
                    if let Some(tally) = tallies.get_mut(entry.unit) {
                        tally.points = tally.points + entry.points;
                        if let Some(c) = entry.column {
                            tally.counts[c] += entry.count;
                        }
                    }
                    items.extend(entry.item);
                }
                let rows: Vec<UnitRow> = units.iter().zip(&tallies).map(|(name, t)| row(name.as_ref(), t)).collect();
                QuarterReport { quarter: q.to_string(), due: q.due(wf.due_day), total: rows.iter().map(|r| r.points).sum(), units: rows, items }
            })
            .collect()
    }
}

fn item_points(item: &Item) -> Points {
    match item {
        Item::Issue { points, .. } | Item::Violation { points, .. } | Item::Correction { points, .. } => *points,
    }
}

/// on_time, late_16_30, late_over_30, violations: the first tier, the middle
/// tiers, the overdue tier, violations.
fn column(wf: &Workflow, class: Class) -> Option<usize> {
    match class {
        Class::Correction => None,
        Class::Violation => Some(3),
        Class::Tier(TierIndex(0)) => Some(0),
        Class::Tier(TierIndex(i)) if i >= wf.tiers.len() => Some(2),
        Class::Tier(_) => Some(1),
    }
}

fn row(name: &str, tally: &Tally) -> UnitRow {
    let (points, c) = (tally.points, tally.counts);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(mut book: ReportBook, wf: &Workflow, q: Quarter) -> QuarterReport {
        let date = |d: &str| d.parse::<NaiveDate>().unwrap();
        let (a, b): (Arc<str>, Arc<str>) = ("甲".into(), "乙".into());
        let issue = |code: &str, unit: &Arc<str>, days, milli| Item::Issue {
            issue: code.into(),
            unit: unit.clone(),
            dispatched: date("2021-03-01"),
            completed: Some(date("2021-04-02")),
            days,
            points: Points::from_thousandths(milli),
        };
        book.add(wf, q, 0, Class::Tier(TierIndex(1)), issue("W-1", &a, 20, 20));
        let gone = book.add(wf, q, 1, Class::Tier(TierIndex(2)), issue("W-2", &b, 40, 50));
        book.add(
            wf,
            q,
            1,
            Class::Violation,
            Item::Violation { unit: b.clone(), date: date("2021-04-03"), points: Points::from_thousandths(10), note: None, violation: None },
        );
        book.remove(gone);
        book.quarters(wf, q, q, &["甲", "乙"]).remove(0)
    }

    /// The database keeps per unit, quarter and class what the items add
    /// up to; a book fed those sums has the rows of one fed the items.
    #[test]
    fn totals_added_as_sums_make_the_rows_the_items_make() {
        let wf = Workflow::parse("water-environment.toml", include_str!("../../workflows/water-environment.toml")).unwrap();
        let q = Quarter::parse("2021Q2").unwrap();
        let whole = fill(ReportBook::default(), &wf, q);
        let mut sums = ReportBook::totals_only();
        sums.add_totals(&wf, q, 0, Class::Tier(TierIndex(1)), 1, Points::from_thousandths(20));
        sums.add_totals(&wf, q, 1, Class::Violation, 1, Points::from_thousandths(10));
        sums.add_totals(&wf, q, 1, Class::Tier(TierIndex(0)), 3, Points::from_thousandths(0));
        let sums = sums.quarters(&wf, q, q, &["甲", "乙"]).remove(0);
        assert_eq!((sums.total, sums.units[0].clone()), (whole.total, whole.units[0].clone()));
        assert_eq!((sums.units[1].on_time, sums.units[1].violations, sums.units[1].points), (3, 1, whole.units[1].points));
    }

    /// A streamed quarter's book grows with its units and columns, not
    /// with its items, and still counts every one of them.
    #[test]
    fn a_book_of_totals_only_keeps_one_entry_per_unit_and_column() {
        let wf = Workflow::parse("water-environment.toml", include_str!("../../workflows/water-environment.toml")).unwrap();
        let q = Quarter::parse("2021Q2").unwrap();
        let mut book = ReportBook::totals_only();
        let unit: Arc<str> = "甲".into();
        for i in 0..1000 {
            let date = "2021-04-01".parse::<NaiveDate>().unwrap();
            let points = Points::from_thousandths(10);
            let item = Item::Violation { unit: unit.clone(), date, points, note: None, violation: None };
            book.add(&wf, q, i % 2, if i % 4 < 2 { Class::Violation } else { Class::Tier(TierIndex(0)) }, item);
        }
        assert_eq!(book.quarters[&q].entries.len(), 4);
        let report = book.quarters(&wf, q, q, &["甲", "乙"]).remove(0);
        assert_eq!((report.units[0].violations, report.units[1].on_time, report.total.to_string()), (250, 250, "10.00".into()));
    }

    #[test]
    fn a_book_of_totals_only_has_the_same_rows_and_no_items() {
        let wf = Workflow::parse("water-environment.toml", include_str!("../../workflows/water-environment.toml")).unwrap();
        let q = Quarter::parse("2021Q2").unwrap();
        let (whole, totals) = (fill(ReportBook::default(), &wf, q), fill(ReportBook::totals_only(), &wf, q));
        assert_eq!(whole.items.len(), 2, "the removed item is gone");
        assert!(totals.items.is_empty());
        assert_eq!((whole.units.clone(), whole.total), (totals.units, totals.total));
        assert_eq!(whole.total.to_string(), "0.03");
        assert_eq!((whole.units[0].late_16_30, whole.units[1].violations, whole.units[1].late_over_30), (1, 1, 0));
    }
}
