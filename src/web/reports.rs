//! The quarter report as a page: the table per unit, the ranking, a bar
//! chart, the items behind each figure, the corrections of earlier quarters,
//! the issues carried over, whether the quarter is frozen, the year's score
//! so far, and the .xlsx download. A unit sees its own row.

use super::chart;
use super::layout::{Layout, Me, WebResult, render};
use super::report_rows::{self as rows, CorrectionRow, ItemRow, OpenRow};
use super::report_units::{Trend, UnitLine, trend, unit_lines};
use crate::app::issues;
use crate::app::{open_list, reports, stats};
use crate::core::Quarter;
use crate::core::report::{Corrected, Item, OpenEntry, UnitRow};
use crate::core::score::YearReport;
use crate::core::state::Role;
use crate::http::HttpState;
use crate::http::xlsx::unit_columns;
use askama::Template;
use axum::extract::{Query, State};
use serde::Deserialize;

pub fn previous(q: Quarter) -> Quarter {
    Quarter::of(q.first_day().pred_opt().unwrap_or(q.first_day()))
}

pub struct Rank {
    pub place: usize,
    pub unit: String,
    pub points: String,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportPage {
    layout: Layout,
    quarter: String,
    prev: String,
    next: Option<String>,
    due: String,
    frozen: bool,
    total: String,
    /// The workbook's unit columns, in its order ([`unit_columns`]).
    columns: Vec<String>,
    units: Vec<UnitLine>,
    ranking: Vec<Rank>,
    chart: String,
    trend: Trend,
    /// The first [`LISTED`] items; `items_total` counts them all.
    items: Vec<ItemRow>,
    items_total: usize,
    /// Every correction: a few, and each one matters.
    corrections: Vec<CorrectionRow>,
    /// The first [`LISTED`] open issues; `open_total` counts them all.
    open: Vec<OpenRow>,
    open_total: usize,
    year: YearReport,
    as_of: String,
    own_unit: bool,
}

/// Rows the page lists of the quarter's items and of the open issues. A
/// province's quarter has 200,000 items: no one reads them on a page, and
/// the page would hold them all in memory. The workbook has every one.
const LISTED: usize = 500;

/// The first `limit` values pushed, and how many were pushed.
struct Listed<T> {
    shown: Vec<T>,
    total: usize,
    limit: usize,
}

impl<T> Listed<T> {
    fn new(limit: usize) -> Listed<T> {
        Listed { shown: Vec::new(), total: 0, limit }
    }

    fn push(&mut self, value: T) {
        self.total += 1;
        if self.shown.len() < self.limit {
            self.shown.push(value);
        }
    }
}

/// The quarter, read a page of items at a time: its unit rows and total
/// count every item, the page keeps the first [`LISTED`] and every
/// correction (`total` counts the items that are not corrections).
async fn quarter_items(s: &HttpState, me: &Me, quarter: Quarter) -> Result<(reports::QuarterView, Listed<Item>), crate::app::AppError> {
    let mut stream = reports::quarter_stream(&s.app, &me.actor, &quarter.to_string()).await?;
    let (mut listed, mut corrections) = (Listed::new(LISTED), Vec::new());
    while let Some(page) = stream.next().await? {
        for item in page.items() {
            match item {
                Item::Correction { .. } => corrections.push(item.clone()),
                _ => listed.push(item.clone()),
            }
        }
        stream.count(&s.app.wf, page);
    }
    listed.shown.extend(corrections);
    Ok((stream.finish(&s.app.wf), listed))
}

/// The first [`LISTED`] open issues, and how many there are.
async fn open_rows(s: &HttpState, me: &Me) -> Result<Listed<OpenEntry>, crate::app::AppError> {
    let mut list = open_list::open_list(&s.app, &me.actor).await?;
    let mut listed = Listed::new(LISTED);
    while let Some(chunk) = list.next().await? {
        chunk.into_iter().for_each(|o| listed.push(o));
    }
    Ok(listed)
}

#[derive(Deserialize)]
pub struct ReportQuery {
    q: Option<String>,
}

/// Fewest points first; equal points share a place (1, 1, 3).
pub fn ranking(units: &[UnitRow]) -> Vec<Rank> {
    let mut sorted: Vec<&UnitRow> = units.iter().collect();
    sorted.sort_by_key(|u| u.points);
    let mut out: Vec<Rank> = Vec::new();
    for (i, u) in sorted.iter().enumerate() {
        let place = match out.last() {
            Some(prev) if prev.points == u.points.to_string() => prev.place,
            _ => i + 1,
        };
        out.push(Rank { place, unit: u.unit.clone(), points: u.points.to_string() });
    }
    out
}

pub async fn page(State(s): State<HttpState>, me: Me, Query(q): Query<ReportQuery>) -> WebResult {
    me.require(&[Role::Dispatcher, Role::Assessor, Role::Admin, Role::Unit])?;
    let wf = &s.app.wf;
    let now = s.app.now().await?;
    let current = Quarter::of(now.date());
    let quarter = q.q.as_deref().and_then(Quarter::parse).unwrap_or(current);
    let (view, listed) = quarter_items(&s, &me, quarter).await?;
    let r = view.report;
    let open = open_rows(&s, &me).await?;
    let item_codes = listed.shown.iter().filter_map(|i| match i {
        Item::Issue { issue, .. } | Item::Correction { of: Corrected::Issue(issue), .. } => Some(&**issue),
        _ => None,
    });
    let ids = issues::ids_of_codes(&s.app, &me.actor, item_codes.chain(open.shown.iter().map(|o| o.issue.as_str()))).await?;
    let stats = stats::quarter(&s.app, &me.actor, &quarter.to_string()).await?;
    let trend = trend(&s, &me, quarter.year, current).await?;
    let columns = unit_columns(wf);
    let bars: Vec<(String, rust_decimal::Decimal, String)> = r.units.iter().map(|u| (u.unit.clone(), u.points.decimal(), u.points.to_string())).collect();
    let (items, corrections) = rows::items(&listed.shown, &ids);
    let (items_total, open_total) = (listed.total, open.total);
    let open = rows::open(wf, open.shown, &ids);
    let year = reports::year(&s.app, &me.actor, &quarter.year.to_string()).await?;
    let own_unit = me.role() == Role::Unit;
    let title = if own_unit { "本单位扣分" } else { "考核报表" };
    let layout = Layout::new(&s, &me, &format!("{quarter} {title}"), "/reports").await;
    Ok(render(&ReportPage {
        layout,
        quarter: quarter.to_string(),
        prev: previous(quarter).to_string(),
        next: (quarter < current).then(|| quarter.next().to_string()),
        due: r.due.to_string(),
        frozen: view.frozen,
        total: r.total.to_string(),
        units: unit_lines(&columns, &r.units, &stats.units),
        columns,
        ranking: ranking(&r.units),
        chart: chart::bars(&format!("{quarter} 各单位扣分"), &bars),
        trend,
        items,
        items_total,
        corrections,
        open,
        open_total,
        year,
        as_of: super::layout::short_time(&now.to_string()),
        own_unit,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Points;

    fn row(unit: &str, points: &str) -> UnitRow {
        UnitRow { unit: unit.into(), points: Points::parse(points).unwrap(), on_time: 0, late_16_30: 0, late_over_30: 0, violations: 0 }
    }

    #[test]
    fn fewest_points_rank_first_and_ties_share_a_place() {
        let ranks = ranking(&[row("甲", "0.05"), row("乙", "0.00"), row("丙", "0.00"), row("丁", "0.07")]);
        let places: Vec<(usize, &str)> = ranks.iter().map(|r| (r.place, r.unit.as_str())).collect();
        assert_eq!(places, [(1, "乙"), (1, "丙"), (3, "甲"), (4, "丁")]);
    }

    #[test]
    fn a_list_keeps_its_first_rows_and_counts_them_all() {
        let mut listed = Listed::new(3);
        (1..=7).for_each(|n| listed.push(n));
        assert_eq!((listed.shown, listed.total), (vec![1, 2, 3], 7));
        let mut short = Listed::new(3);
        (1..=2).for_each(|n| short.push(n));
        assert_eq!((short.shown, short.total), (vec![1, 2], 2));
    }

    #[test]
    fn the_quarter_before_the_first_is_last_years_fourth() {
        assert_eq!(previous(Quarter::parse("2021Q1").unwrap()).to_string(), "2020Q4");
        assert_eq!(previous(Quarter::parse("2021Q3").unwrap()).to_string(), "2021Q2");
    }
}
