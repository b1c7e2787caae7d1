//! `?format=xlsx`: the reports as workbooks a leader can work with.
//!
//! Figures are numbers (points formatted `0.00`, rates `0%`), so Excel sums
//! them; the units sheet has the page's columns in the page's order
//! ([`unit_columns`], shared with the page); the items and the carried-over
//! issues have sheets of their own; a year has its own workbook.

use super::error::{ApiError, ApiResult};
use crate::app::reports::QuarterView;
use crate::app::stats::{QuarterStats, Trend};
use crate::core::Workflow;
use crate::core::report::{Corrected, Item, OpenEntry};
use crate::core::score::YearReport;
use crate::mail::{Book, Cell, Sheet, xlsx_book, xlsx_sheets};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The units table's columns, in order — the report page shows the same.
pub fn unit_columns(wf: &Workflow) -> Vec<String> {
    let first = wf.tiers.first().map_or("", |t| t.label.as_str()).to_string();
    let middle = wf.tiers.iter().skip(1).map(|t| t.label.as_str()).collect::<Vec<_>>().join("/");
    ["单位".to_string(), "扣分".into(), first, middle, wf.overdue.label.clone(), wf.violation_label.clone()]
        .into_iter()
        .chain(["按期完成率", "返工率", "平均完成天数", "退回", "催办"].map(String::from))
        .collect()
}

/// Points as the number Excel sums: thousandths over 1,000 (IEEE
/// division rounds exactly as parsing the decimal text would), or the
/// text parsed for a finer value.
fn points(p: crate::core::Points) -> Cell {
    let milli = p.thousandths();
    if crate::core::Points::from_thousandths(milli) == p {
        return Cell::Points(milli as f64 / 1000.0);
    }
    Cell::Points(p.to_string().parse().unwrap_or(0.0))
}

fn number(n: impl Into<f64>) -> Cell {
    Cell::Number(n.into())
}

fn text(t: impl ToString) -> Cell {
    Cell::Text(t.to_string())
}

fn rate(r: &Option<String>) -> Cell {
    r.as_deref().and_then(|r| r.parse().ok()).map_or(Cell::Empty, Cell::Rate)
}

/// `items`: the quarter's items as they are read (the view's own are none:
/// it holds the totals only, so the items sheet is written as it streams).
/// The sheets are written, not yet zipped: [`download`] zips them into
/// the answer.
pub fn report(wf: &Workflow, view: &QuarterView, stats: &QuarterStats, open: &[OpenEntry], items: impl Iterator<Item = Item>) -> ApiResult<Book> {
    let r = &view.report;
    let mut units: Vec<Vec<Cell>> = r
        .units
        .iter()
        .zip(&stats.units)
        .map(|(u, s)| {
            vec![
                text(&u.unit),
                points(u.points),
                number(u.on_time as f64),
                number(u.late_16_30 as f64),
                number(u.late_over_30 as f64),
                number(u.violations as f64),
                rate(&s.on_time_rate),
                rate(&s.rework_rate),
                s.average_days.as_deref().and_then(|d| d.parse().ok()).map_or(Cell::Empty, Cell::Number),
                number(s.returns as f64),
                number(s.chases as f64),
            ]
        })
        .collect();
    units.push(vec![text("合计"), points(r.total)]);
    let items = items.map(|item| match item {
        Item::Issue { issue, unit, dispatched, completed, days, points: p } => vec![
            Cell::Label("问题"),
            Cell::Shared(issue),
            Cell::Shared(unit),
            Cell::Day(dispatched),
            completed.map_or(Cell::Label("未完成"), Cell::Day),
            number(days as f64),
            points(p),
            Cell::Empty,
        ],
        Item::Violation { unit, date, points: p, note, .. } => {
            vec![
                Cell::Label("未执行调度"),
                Cell::Text(note.unwrap_or_default()),
                Cell::Shared(unit),
                Cell::Day(date),
                Cell::Empty,
                Cell::Empty,
                points(p),
                Cell::Empty,
            ]
        }
        Item::Correction { of, unit, corrects, date, points: p } => {
            let what = match of {
                Corrected::Issue(code) => format!("问题 {code}"),
                Corrected::Violation(id) => format!("违规记录 {id}"),
            };
            vec![Cell::Label("更正"), Cell::Text(what), Cell::Shared(unit), Cell::Day(date), Cell::Empty, Cell::Empty, points(p), text(corrects)]
        }
    });
    let carried = open
        .iter()
        .map(|o| vec![text(&o.issue), text(&o.unit), text(wf.state_label(o.state)), text(o.dispatched), number(o.days as f64), points(o.provisional_points)]);
    let sheets = vec![
        Sheet { name: format!("{} 扣分", r.quarter), headers: unit_columns(wf), rows: Box::new(units.into_iter()) },
        Sheet {
            name: "明细".into(),
            headers: ["类型", "编号 / 说明", "单位", "交办 / 记录日期", "完成日期", "天数", "扣分", "更正季度"].map(String::from).to_vec(),
            rows: Box::new(items),
        },
        Sheet {
            name: "跨季度未定分".into(),
            headers: ["编号", "单位", "状态", "交办日期", "天数", "暂计扣分"].map(String::from).to_vec(),
            rows: Box::new(carried),
        },
    ];
    xlsx_sheets(sheets).map_err(failed)
}

/// The year: each unit's points per quarter, the year's points and score.
pub fn year(year: &YearReport, trend: &Trend) -> ApiResult<Response> {
    let rows: Vec<Vec<Cell>> = year
        .units
        .iter()
        .map(|u| {
            let quarters = trend.units.iter().find(|t| t.unit == u.unit).map(|t| t.points.clone()).unwrap_or_default();
            std::iter::once(text(&u.unit))
                .chain(quarters.iter().map(|p| Cell::Points(p.parse().unwrap_or(0.0))))
                .chain([points(u.points), points(u.remaining)])
                .collect()
        })
        .collect();
    let headers =
        std::iter::once("单位".to_string()).chain(trend.quarters.iter().cloned()).chain(["全年扣分".into(), format!("得分（满分 {}）", year.score)]).collect();
    workbook(vec![Sheet { name: format!("{} 年度得分", year.year), headers, rows: Box::new(rows.into_iter()) }], &year.year.to_string())
}

fn failed(e: anyhow::Error) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("无法生成Excel: {e:#}"))
}

fn headers(name: &str) -> [(header::HeaderName, String); 2] {
    let disposition = format!("attachment; filename=\"jiaoban-{name}.xlsx\"");
    [(header::CONTENT_TYPE, crate::mail::XLSX_CONTENT_TYPE.to_string()), (header::CONTENT_DISPOSITION, disposition)]
}

fn workbook(sheets: Vec<Sheet<'_>>, name: &str) -> ApiResult<Response> {
    let bytes = xlsx_book(sheets).map_err(failed)?;
    Ok((headers(name), bytes).into_response())
}

/// A quarter's workbook as the answer, zipped on a blocking thread
/// straight into the body: 28 MB for a quarter of 1,000,000 charges is
/// never in memory. Its sheets were written before the answer starts, so
/// a failure to read the items still gets its status; a failure while
/// zipping (the disk) can only cut the body short.
pub fn download(book: Book, name: &str) -> Response {
    (headers(name), super::stream::blocking_body(move |out| book.zip_into(out))).into_response()
}
